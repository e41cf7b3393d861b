"""The `gridboard` command: build demo data, inspect and export a store, serve the dashboard."""

from __future__ import annotations

import datetime as dt
import json
import os
import sys
import tempfile
import time
from pathlib import Path

import click

from geodata.model import LOCAL_TZ, Level
from geodata.store import StoreError, open_store

EXPORT_DRIVERS = {".geojson": "GeoJSON", ".json": "GeoJSON", ".gpkg": "GPKG"}
LEVEL_NAMES = [level.value for level in Level]
FIRST_AS_OF, LAST_AS_OF = dt.date(2002, 1, 1), dt.date(2100, 12, 31)  # two years of history fit


class CliError(click.ClickException):
    """A problem the user can fix; printed as one line."""


def _today() -> dt.date:
    return dt.datetime.now(LOCAL_TZ).date()


def _parse_date(_ctx: click.Context, _param: click.Parameter, value: str | None) -> dt.date:
    if value is None:
        return _today()
    try:
        day = dt.date.fromisoformat(value)
    except ValueError:
        raise click.BadParameter(f"{value!r} is not a date (YYYY-MM-DD)") from None
    if not FIRST_AS_OF <= day <= LAST_AS_OF:
        raise click.BadParameter(f"{value} is outside {FIRST_AS_OF}..{LAST_AS_OF}")
    return day


def _existing_store(path: Path, *, readonly: bool = True):
    try:
        return open_store(path, readonly=readonly)
    except StoreError as exc:
        raise CliError(str(exc)) from exc


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="gridboard")
def cli() -> None:
    """网格治理一张图 — gridboard: a map dashboard for community grid governance."""


@cli.command()
@click.option(
    "--scale",
    type=click.Choice(["street", "city"]),
    default="street",
    show_default=True,
    help="street: 梁山县水泊街道, seconds to build; city: 济宁, 1,000,000 cases, minutes.",
)
@click.option(
    "--seed", type=click.IntRange(0, 2**32 - 1), default=1, show_default=True, help="Random seed."
)
@click.option(
    "--as-of",
    callback=_parse_date,
    help="Last day of the generated history (YYYY-MM-DD); default today.",
)
@click.option("--out", type=click.Path(dir_okay=False, path_type=Path), required=True)
def demo(scale: str, seed: int, as_of: dt.date, out: Path) -> None:
    """Build a deterministic demo city into the store file OUT (replacing its content)."""
    from geodata.demo import build_demo

    _check_writable_target(out)
    tmp = _reserve_temporary(out)
    try:
        started = time.perf_counter()
        city = build_demo(scale, seed=seed, as_of=as_of, progress=sys.stderr.isatty())
        click.echo(f"generated {scale} demo in {time.perf_counter() - started:.1f} s", err=True)
        with open_store(tmp, create=True) as store:
            store.write_city(city)
            counts = store.counts()
        os.replace(tmp, out)  # readers never see a half-written store
    finally:
        tmp.unlink(missing_ok=True)
    click.echo(
        f"wrote {out}: {counts['streets']} streets, {counts['communities']} communities,"
        f" {counts['compounds']} compounds, {counts['grid_cells']} grid cells,"
        f" {counts['cases']:,} cases, {counts['visits']:,} visits"
        f" in {time.perf_counter() - started:.1f} s"
    )


def _reserve_temporary(out: Path) -> Path:
    """A free name beside `out` for the file being built (so the final rename is atomic)."""
    try:
        fd, name = tempfile.mkstemp(dir=out.parent, prefix=f".{out.name}.", suffix=".tmp")
    except OSError as exc:
        raise CliError(f"{out}: cannot write in {out.parent} ({exc.strerror})") from exc
    os.close(fd)
    os.unlink(name)
    return Path(name)


def _check_writable_target(out: Path) -> None:
    if out.is_dir():
        raise CliError(f"{out} is a folder; give a file name such as {out / 'demo.gpkg'}")
    if not out.parent.is_dir():
        raise CliError(f"{out}: folder {out.parent} does not exist")
    if not os.access(out.parent, os.W_OK):
        raise CliError(f"{out}: folder {out.parent} is not writable")
    if out.exists():
        _existing_store(out).close()  # only ever replace a gridboard store
        if not os.access(out, os.W_OK):
            raise CliError(f"{out} is not writable")


@cli.command()
@click.option("--data", type=click.Path(path_type=Path), required=True, help="Store file.")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
def info(data: Path, as_json: bool) -> None:
    """Print what a store holds: counts per level and per table."""
    with _existing_store(data) as store:
        counts = store.counts()
        meta = store.meta()
    tables = {
        Level.STREET: "streets",
        Level.COMMUNITY: "communities",
        Level.COMPOUND: "compounds",
        Level.GRID: "grid_cells",
    }
    report = {
        "path": str(data),
        "meta": meta,
        "levels": {level.value: counts[table] for level, table in tables.items()},
        "tables": counts,
    }
    if as_json:
        click.echo(json.dumps(report, ensure_ascii=False, indent=2))
        return
    click.echo(f"{data}: {meta.get('name', '(unnamed)')}, as of {meta.get('as_of', '?')}")
    for table, count in counts.items():
        click.echo(f"  {table:<14} {count:>12,}")


@cli.command()
@click.option("--data", type=click.Path(path_type=Path), required=True, help="Store file.")
@click.option("--level", type=click.Choice(LEVEL_NAMES), required=True)
@click.option(
    "--out",
    type=click.Path(dir_okay=False, path_type=Path),
    required=True,
    help="Output file: .geojson/.json (GeoJSON) or .gpkg (GeoPackage).",
)
def export(data: Path, level: str, out: Path) -> None:
    """Write one level's areas with their codes and parent codes."""
    driver = EXPORT_DRIVERS.get(out.suffix.lower())
    if driver is None:
        raise CliError(f"{out}: unknown file type {out.suffix!r}; use .geojson, .json or .gpkg")
    if not out.parent.is_dir():
        raise CliError(f"{out}: folder {out.parent} does not exist")
    with _existing_store(data) as store:
        areas = store.areas(Level(level))
    try:
        areas.to_file(out, driver=driver, layer=level, engine="pyogrio")
    except Exception as exc:  # pyogrio raises several types; the message is what matters
        raise CliError(f"{out}: cannot write ({exc})") from exc
    click.echo(f"wrote {len(areas)} {level} areas to {out}")


@cli.command()
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
    store = _existing_store(Path(settings.data))
    app = create_app(settings, store)
    click.echo(f"serving {settings.data} on http://{settings.host}:{settings.port}/", err=True)
    app.run(host=settings.host, port=settings.port, debug=settings.debug)


def main(argv: list[str] | None = None) -> None:
    """Entry point: every expected failure ends in one line on stderr and a non-zero exit."""
    try:
        cli.main(args=argv, prog_name="gridboard", standalone_mode=False)
    except click.exceptions.Abort:
        click.echo("gridboard: aborted", err=True)
        sys.exit(130)
    except click.UsageError as exc:
        click.echo(f"gridboard: error: {exc.format_message()}", err=True)
        sys.exit(2)
    except click.ClickException as exc:
        click.echo(f"gridboard: error: {exc.format_message()}", err=True)
        sys.exit(exc.exit_code)
    except (StoreError, OSError) as exc:
        click.echo(f"gridboard: error: {exc}", err=True)
        sys.exit(1)


if __name__ == "__main__":
    main()
