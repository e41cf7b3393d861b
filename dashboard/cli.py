"""The `gridboard` command: build demo data, inspect and export a store, serve the dashboard."""

from __future__ import annotations

import datetime as dt
import json
import os
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

import click

from geodata.atomic import write_atomically
from geodata.model import LOCAL_TZ, Level
from geodata.store import StoreError, open_store
from layers.itinerary import clock

if TYPE_CHECKING:
    import pandas as pd

EXPORT_DRIVERS = {".geojson": "GeoJSON", ".json": "GeoJSON", ".gpkg": "GPKG"}
LEVEL_NAMES = [level.value for level in Level]
MAX_BUDGET_MIN = 24 * 60.0  # as dashboard.readers.routes: a route is one day's walk at most
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


def _check_window(_ctx: click.Context, _param: click.Parameter, value: str) -> str:
    from layers.view import EARLIEST, LATEST, window_of

    try:
        window_of(value, _today())
    except ValueError:
        raise click.BadParameter(
            f"{value!r} is not a window (7d, 30d, 90d or YYYY-MM-DD..YYYY-MM-DD,"
            f" between {EARLIEST} and {LATEST})"
        ) from None
    return value


@cli.command()
@click.option("--data", type=click.Path(path_type=Path), required=True, help="Store file.")
@click.option("--level", type=click.Choice(LEVEL_NAMES), required=True)
@click.option(
    "--out",
    type=click.Path(dir_okay=False, path_type=Path),
    required=True,
    help="Output file: .geojson/.json (GeoJSON) or .gpkg (GeoPackage); with --metrics also .csv.",
)
@click.option("--metrics", is_flag=True, help="Write the map's metrics per area for a window.")
@click.option(
    "--window",
    callback=_check_window,
    default="30d",
    show_default=True,
    help="With --metrics: 7d, 30d, 90d (ending on the data's as-of day) or YYYY-MM-DD..YYYY-MM-DD.",
)
@click.option("--category", help="With --metrics: count only cases of this category code.")
@click.option("--street", help="With --metrics: only the areas of this street (9-digit code).")
@click.option(
    "--headers",
    type=click.Choice(["key", "zh", "en"]),
    default="key",
    show_default=True,
    help="With --metrics, CSV only: header row as stable English keys or in zh/en words.",
)
@click.pass_context
def export(
    ctx: click.Context,
    data: Path,
    level: str,
    out: Path,
    metrics: bool,
    window: str,
    category: str | None,
    street: str | None,
    headers: str,
) -> None:
    """Write one level's areas with their codes and parent codes, or (--metrics) their metrics.

    With --metrics the columns are level, code, name, parent_code, street_code, community_code,
    households, open_cases, overdue_cases, cases_per_1000, visits_per_100, days_since_visit,
    cases, visits, households_reached, last_visit, window_first, window_last, category.
    """
    if metrics:
        _export_metrics(data, Level(level), out, window, category, street, headers)
        return
    _reject_metric_options(ctx)
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


METRIC_OPTIONS = ("window", "category", "street", "headers")
METRICS_FORMATS = {".csv": "CSV", **EXPORT_DRIVERS}


def _reject_metric_options(ctx: click.Context) -> None:
    given = [
        f"--{name}"
        for name in METRIC_OPTIONS
        if ctx.get_parameter_source(name) is not click.core.ParameterSource.DEFAULT
    ]
    if given:
        raise CliError(f"{', '.join(given)} can only be used with --metrics")


def _export_metrics(
    data: Path,
    level: Level,
    out: Path,
    window_text: str,
    category: str | None,
    street: str | None,
    headers: str,
) -> None:
    """Write the metrics of `level`'s areas (of `street`) for the window, atomically."""
    from geodata.model import CATEGORY_BY_CODE
    from layers import export as table_of
    from layers.view import data_as_of, window_of

    file_type = METRICS_FORMATS.get(out.suffix.lower())
    if file_type is None:
        raise CliError(
            f"{out}: unknown file type {out.suffix!r}; use .csv, .geojson, .json or .gpkg"
        )
    if category is not None and category not in CATEGORY_BY_CODE:
        raise CliError(f"unknown category {category!r}; use one of {', '.join(CATEGORY_BY_CODE)}")
    _check_output(out)
    with _existing_store(data) as store:
        if street is not None and street not in set(store.areas(Level.STREET)["code"]):
            raise CliError(f"{data} has no street with code {street!r}")
        window = window_of(window_text, data_as_of(store.meta()))
        areas = store.areas(level, parent=street)
        found = store.metrics(level, window, category=category, parent=street)
    table = table_of.metrics_table(areas, found, level.value, window, category)
    if file_type == "CSV":
        _replace_atomically(out, lambda tmp: tmp.write_bytes(_metrics_csv(table, headers)))
    else:
        frame = table_of.geo_frame(table)
        layer = f"{level.value}_metrics"
        _replace_atomically(
            out, lambda tmp: frame.to_file(tmp, driver=file_type, layer=layer, engine="pyogrio")
        )
    first, last = table_of.period(window)
    click.echo(f"wrote metrics of {len(table)} {level.value} areas ({first}..{last}) to {out}")


def _metrics_csv(table: pd.DataFrame, headers: str) -> bytes:
    from dashboard.i18n import export_words
    from layers import export as table_of

    if headers == "key":
        return table_of.csv_bytes(table)
    return table_of.csv_bytes(table, *export_words(headers))


def _replace_atomically(out: Path, write: Callable[[Path], object]) -> None:
    """Write through `write(tmp)` to a temporary file beside `out`, then rename it to `out`:
    a failed or interrupted export leaves no half-written file."""
    try:
        fd, name = tempfile.mkstemp(dir=out.parent, prefix=f".{out.name}.", suffix=out.suffix)
    except OSError as exc:
        raise CliError(f"{out}: cannot write in {out.parent} ({exc.strerror})") from exc
    os.close(fd)
    tmp = Path(name)
    tmp.unlink()  # GIS drivers want to create the file themselves
    try:
        write(tmp)
        os.replace(tmp, out)
    except Exception as exc:  # pyogrio raises several types; the message is what matters
        raise CliError(f"{out}: cannot write ({exc})") from exc
    finally:
        tmp.unlink(missing_ok=True)


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


def _parse_route_date(
    ctx: click.Context, param: click.Parameter, value: str | None
) -> dt.date | None:
    return None if value is None else _parse_date(ctx, param, value)


def _parse_clock(_ctx: click.Context, _param: click.Parameter, value: str) -> dt.time:
    try:
        hours, minutes = (int(part) for part in value.split(":"))
        return dt.time(hours, minutes)
    except ValueError:
        raise click.BadParameter(f"{value!r} is not a time of day (HH:MM)") from None


def _parse_lonlat(
    _ctx: click.Context, _param: click.Parameter, value: str | None
) -> tuple[float, float] | None:
    if value is None:
        return None
    try:
        lon, lat = (float(part) for part in value.split(","))
    except ValueError:
        raise click.BadParameter(f"{value!r} is not LON,LAT (e.g. 116.09,35.80)") from None
    if not (-180 <= lon <= 180 and -90 <= lat <= 90):
        raise click.BadParameter(f"{value!r} is not a longitude,latitude pair")
    return lon, lat


def _check_output(path: Path | None) -> None:
    if path is None:
        return
    if path.is_dir():
        raise CliError(f"{path} is a folder; give a file name")
    if not path.parent.is_dir():
        raise CliError(f"{path}: folder {path.parent} does not exist")
    if not os.access(path.parent, os.W_OK) or (path.exists() and not os.access(path, os.W_OK)):
        raise CliError(f"{path} is not writable")


def _write(path: Path, content: str | bytes) -> None:
    try:
        write_atomically(path, content)
    except OSError as exc:
        raise CliError(f"{path}: cannot write ({exc.strerror})") from exc
    click.echo(f"wrote {path}", err=True)


@cli.command()
@click.option("--data", type=click.Path(path_type=Path), required=True, help="Store file.")
@click.option("--worker", "worker_id", help="Grid worker ID (see --list-workers).")
@click.option("--date", "day", callback=_parse_route_date, help="Visit day (YYYY-MM-DD).")
@click.option(
    "--budget-min",
    type=click.FloatRange(0, MAX_BUDGET_MIN, min_open=True),
    default=180.0,
    show_default=True,
    help="Time for walking and visits, in minutes.",
)
@click.option("--depart", default="14:00", show_default=True, callback=_parse_clock)
@click.option("--start", callback=_parse_lonlat, help="Start and end LON,LAT (default: hall).")
@click.option("--out", type=click.Path(path_type=Path), help="Route sheet (HTML) to write.")
@click.option("--gpx", type=click.Path(path_type=Path), help="GPX file to write.")
@click.option("--csv", "csv_path", type=click.Path(path_type=Path), help="CSV file to write.")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@click.option("--lang", type=click.Choice(["zh", "en"]), default="zh", show_default=True)
@click.option("--list-workers", is_flag=True, help="List the grid workers instead.")
def route(
    data: Path,
    worker_id: str | None,
    day: dt.date | None,
    budget_min: float,
    depart: dt.time,
    start: tuple[float, float] | None,
    out: Path | None,
    gpx: Path | None,
    csv_path: Path | None,
    as_json: bool,
    lang: str,
    list_workers: bool,
) -> None:
    """Plan a grid worker's visit route for a day, or list the grid workers."""
    from dashboard.readers import export as route_files
    from dashboard.readers import routes as routedata

    if list_workers:
        with _existing_store(data) as store:
            _print_workers(routedata.workers(store), as_json)
        return
    if not worker_id:
        raise CliError("give --worker ID (or --list-workers to see them)")
    if day is None:
        raise CliError("give --date YYYY-MM-DD")
    for path in (out, gpx, csv_path):
        _check_output(path)
    with _existing_store(data) as store:
        try:
            plan = routedata.itinerary(
                store, worker_id, day, budget_min, departure=depart, start=start
            )
        except routedata.RouteProblem as exc:
            raise CliError(exc.text(lang)) from exc
    if out is not None:
        from dashboard.routesheet import route_sheet_html

        _write(out, route_sheet_html(plan, lang))
    if gpx is not None:
        _write(gpx, route_files.gpx_text(plan, lang))
    if csv_path is not None:
        _write(csv_path, route_files.csv_bytes(plan, lang))
    if as_json:
        click.echo(json.dumps(_route_json(plan, lang), ensure_ascii=False, indent=2))
    else:
        _print_route(plan, lang)


def _print_workers(found: list, as_json: bool) -> None:
    if as_json:
        rows = [
            {
                "id": w.id,
                "name": w.name,
                "community_code": w.community_code,
                "community": w.community_name,
                "grid_codes": list(w.grid_codes),
            }
            for w in found
        ]
        click.echo(json.dumps(rows, ensure_ascii=False, indent=2))
        return
    for w in found:
        click.echo(f"{w.id}\t{w.name}\t{w.community_name}\t{','.join(w.grid_codes) or '-'}")


def _stop_json(stop, lang: str) -> dict:
    from dashboard.routetext import reason_text

    return {
        "id": stop.id,
        "kind": stop.kind.value,
        "place": stop.place.name,
        "address": stop.place.address,
        "lon": round(stop.place.lon, 7),
        "lat": round(stop.place.lat, 7),
        "grid_code": stop.grid_code,
        "reason": reason_text(stop, lang),
        "reason_key": stop.reason,
        "reason_args": stop.reason_args,
        "priority": stop.priority,
        "service_min": stop.service_min,
    }


def _route_json(plan, lang: str) -> dict:
    return {
        "worker": {"id": plan.worker_id, "name": plan.worker_name},
        "community": plan.community_name,
        "date": plan.date.isoformat(),
        "start": {
            "name": plan.start.name,
            "address": plan.start.address,
            "lon": round(plan.start.lon, 7),
            "lat": round(plan.start.lat, 7),
        },
        "departure": clock(plan.departure),
        "back": clock(plan.back),
        "budget_min": plan.budget_min,
        "network": plan.network.value,
        "stops": [
            _stop_json(rs.stop, lang)
            | {
                "number": rs.number,
                "arrival": clock(rs.arrival),
                "walk_m_before": round(rs.walk_m_before, 1),
                "walk_min_before": round(rs.walk_min_before, 1),
            }
            for rs in plan.stops
        ],
        "dropped": [_stop_json(stop, lang) for stop in plan.dropped],
        "walk_m": round(plan.walk_m, 1),
        "walk_min": round(plan.walk_min, 1),
        "total_min": round(plan.total_min, 1),
    }


def _print_route(plan, lang: str) -> None:
    from dashboard.routetext import reason_text

    click.echo(
        f"{plan.worker_name} ({plan.worker_id}), {plan.community_name}, {plan.date.isoformat()}:"
        f" {clock(plan.departure)}–{clock(plan.back)}, {len(plan.stops)} stops,"
        f" {plan.walk_m / 1000:.1f} km, {plan.walk_min:.0f} min walking"
    )
    for rs in plan.stops:
        stop = rs.stop
        click.echo(
            f"{rs.number:>3}  {clock(rs.arrival)}  {stop.place.name}  {reason_text(stop, lang)}"
        )
    for stop in plan.dropped:
        click.echo(f"  -  --:--  {stop.place.name}  {reason_text(stop, lang)}")


# The import and validate commands live in their own modules, which register on these groups.
from dashboard import cli_boundaries, cli_records  # noqa: E402, F401
from dashboard.cli_import import import_group  # noqa: E402

cli.add_command(import_group)


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
