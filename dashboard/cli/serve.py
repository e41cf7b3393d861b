"""`gridboard serve`: the one command that loads Dash, and only when it runs."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import click
from gunicorn.app.base import BaseApplication

from dashboard.cli.common import STORE, CliError, existing_store
from geodata.backends import shown

if TYPE_CHECKING:
    from flask import Flask

    from dashboard.settings import Settings


@click.command()
@click.option("--data", type=STORE, help="Store file [GRIDBOARD_DATA].")
@click.option("--host", help="Address to listen on [GRIDBOARD_HOST].")
@click.option("--port", type=int, help="Port [GRIDBOARD_PORT].")
@click.option("--workers", type=int, help="App processes [GRIDBOARD_WORKERS].")
@click.option("--threads", type=int, help="Threads per process [GRIDBOARD_THREADS].")
@click.option(
    "--debug",
    is_flag=True,
    default=None,
    help="Flask's development server with Dash's dev tools [GRIDBOARD_DEBUG].",
)
def serve(**given: Any) -> None:
    """Serve the dashboard on a store: gunicorn, several processes (the development server
    only with --debug)."""
    # Dash first: workers forked from here share its imported code instead of each loading it.
    from dashboard.app import create_app
    from dashboard.settings import Settings, SettingsError

    overrides = {k: v for k, v in given.items() if v is not None}
    try:
        settings = Settings.from_env(**overrides)
    except SettingsError as exc:
        raise CliError(str(exc)) from exc
    store = existing_store(settings.data, readonly=False)  # sessions and audit trail
    if not store.users():
        click.echo(
            f"no accounts in {shown(settings.data)} yet, so nobody can sign in: add one with"
            f" `gridboard user add LOGIN --data {shown(settings.data)} --role admin`",
            err=True,
        )
    click.echo(f"serving {shown(settings.data)} on http://{_bind(settings)}/", err=True)
    if settings.debug:
        create_app(settings, store).run(host=settings.host, port=settings.port, debug=True)
        return
    store.close()  # each worker opens its own: a SQLite connection must not cross a fork
    _Gunicorn(settings).run()


def _bind(settings: Settings) -> str:
    host = f"[{settings.host}]" if ":" in settings.host else settings.host
    return f"{host}:{settings.port}"


def _app(settings: Settings) -> Flask:
    """One worker's app, on a store connection of its own."""
    from dashboard.app import create_app
    from geodata.backends import open_store

    return create_app(settings, open_store(settings.data, readonly=False)).server


class _Gunicorn(BaseApplication):
    """gunicorn run from here: settings in, one app per worker (built after the fork)."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        super().__init__()

    def load_config(self) -> None:
        s = self.settings
        options = {
            "bind": _bind(s),
            "workers": s.workers,
            "threads": s.threads,
            "worker_class": "gthread",
            # Long enough for a city's first map of a new revision (shapes encoded once).
            "timeout": 120,
            "graceful_timeout": 10,
            # One request per connection. gunicorn's threaded worker closes an idle kept-alive
            # connection from its own loop; under load, a request that arrives on it just then
            # is dropped unanswered (4 % of the load test's requests, with no fault at all).
            "keepalive": 0,
            # Proxy headers are trusted only as GRIDBOARD_PROXY_HOPS says (ProxyFix in the app).
            "secure_scheme_headers": {},
            "forwarded_allow_ips": "",
            "proc_name": "gridboard",
        }
        for key, value in options.items():
            self.cfg.set(key, value)

    def load(self) -> Flask:
        return _app(self.settings)
