"""`gridboard route`: plan a grid worker's visit route for a day, or list the grid workers."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import TYPE_CHECKING

import click

from dashboard.cli.common import (
    STORE,
    CliError,
    check_output,
    existing_store,
    parse_date,
    write_file,
)
from dashboard.routetext import csv_bytes, gpx_text, reason_text
from layers.itinerary import MAX_BUDGET_MIN, CandidateStop, Itinerary, clock

if TYPE_CHECKING:
    from dashboard.readers.routes import Worker


def _parse_route_date(
    ctx: click.Context, param: click.Parameter, value: str | None
) -> dt.date | None:
    return None if value is None else parse_date(ctx, param, value)


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


def _write(path: Path, content: str | bytes) -> None:
    write_file(path, content)
    click.echo(f"wrote {path}", err=True)


@click.command()
@click.option("--data", type=STORE, required=True, help="Store file.")
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
    from dashboard.readers import routes as routedata  # the planner's imports take a while

    if list_workers:
        with existing_store(data) as store:
            _print_workers(routedata.workers(store), as_json)
        return
    if not worker_id:
        raise CliError("give --worker ID (or --list-workers to see them)")
    if day is None:
        raise CliError("give --date YYYY-MM-DD")
    for path in (out, gpx, csv_path):
        check_output(path)
    with existing_store(data) as store:
        try:
            plan = routedata.itinerary(
                store, worker_id, day, budget_min, departure=depart, start=start
            )
        except routedata.RouteProblem as exc:
            raise CliError(exc.text(lang)) from exc
    if out is not None:
        from dashboard.routesheet import route_sheet_html  # Jinja2 and Leaflet: only when asked

        _write(out, route_sheet_html(plan, lang))
    if gpx is not None:
        _write(gpx, gpx_text(plan, lang))
    if csv_path is not None:
        _write(csv_path, csv_bytes(plan, lang))
    if as_json:
        click.echo(json.dumps(_route_json(plan, lang), ensure_ascii=False, indent=2))
    else:
        _print_route(plan, lang)


def _print_workers(found: list[Worker], as_json: bool) -> None:
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


def _stop_json(stop: CandidateStop, lang: str) -> dict:
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


def _route_json(plan: Itinerary, lang: str) -> dict:
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


def _print_route(plan: Itinerary, lang: str) -> None:
    click.echo(
        f"{plan.worker_name} ({plan.worker_id}), {plan.community_name}, {plan.date.isoformat()}:"
        f" {clock(plan.departure)}–{clock(plan.back)}, {len(plan.stops)} stops,"
        f" {plan.walk_m / 1000:.1f} km, {plan.walk_min:.0f} min walking"
    )
    for rs in plan.stops:
        reason = reason_text(rs.stop, lang)
        click.echo(f"{rs.number:>3}  {clock(rs.arrival)}  {rs.stop.place.name}  {reason}")
    for stop in plan.dropped:
        click.echo(f"  -  --:--  {stop.place.name}  {reason_text(stop, lang)}")
