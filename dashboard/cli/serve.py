"""`gridboard serve`: the one command that loads Dash, and only when it runs."""

from __future__ import annotations

from pathlib import Path

import click

from dashboard.cli.common import CliError, existing_store


@click.command()
@click.option("--data", type=click.Path(path_type=Path), help="Store file [GRIDBOARD_DATA].")
@click.option("--host", help="Address to listen on [GRIDBOARD_HOST].")
@click.option("--port", type=int, help="Port [GRIDBOARD_PORT].")
def serve(data: Path | None, host: str | None, port: int | None) -> None:
    """Serve the dashboard on a store."""
    from dashboard.app import create_app
    from dashboard.settings import Settings, SettingsError

    given = {"data": data, "host": host, "port": port}
    overrides = {k: v for k, v in given.items() if v is not None}
    try:
        settings = Settings.from_env(**overrides)
    except SettingsError as exc:
        raise CliError(str(exc)) from exc
    store = existing_store(Path(settings.data), readonly=False)  # sessions and audit trail
    if not store.users():
        click.echo(
            f"no accounts in {settings.data} yet, so nobody can sign in: add one with"
            f" `gridboard user add LOGIN --data {settings.data} --role admin`",
            err=True,
        )
    app = create_app(settings, store)
    click.echo(f"serving {settings.data} on http://{settings.host}:{settings.port}/", err=True)
    app.run(host=settings.host, port=settings.port, debug=settings.debug)
