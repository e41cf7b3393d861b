"""`gridboard export`: one level's areas, or (--metrics) the map's metrics per area, to a file."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import TYPE_CHECKING

import click

from dashboard.cli.common import (
    LEVEL_NAMES,
    STORE,
    CliError,
    check_output,
    existing_store,
    replace_atomically,
    today,
    write_file,
)
from geodata.model import Level

if TYPE_CHECKING:
    import geopandas as gpd
    import pandas as pd

EXPORT_DRIVERS = {".geojson": "GeoJSON", ".json": "GeoJSON", ".gpkg": "GPKG"}
METRICS_FORMATS = {".csv": "CSV", **EXPORT_DRIVERS}
METRIC_OPTIONS = ("window", "category", "street", "headers")


def _check_window(_ctx: click.Context, _param: click.Parameter, value: str) -> str:
    from layers.view import EARLIEST, LATEST, window_of

    try:
        window_of(value, today())
    except ValueError:
        raise click.BadParameter(
            f"{value!r} is not a window (7d, 30d, 90d or YYYY-MM-DD..YYYY-MM-DD,"
            f" between {EARLIEST} and {LATEST})"
        ) from None
    return value


@click.command()
@click.option("--data", type=STORE, required=True, help="Store file.")
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
    _export_areas(data, Level(level), out)


def _reject_metric_options(ctx: click.Context) -> None:
    given = [
        f"--{name}"
        for name in METRIC_OPTIONS
        if ctx.get_parameter_source(name) is not click.core.ParameterSource.DEFAULT
    ]
    if given:
        raise CliError(f"{', '.join(given)} can only be used with --metrics")


def _export_areas(data: Path, level: Level, out: Path) -> None:
    """Write `level`'s areas with their codes and parent codes."""
    driver = EXPORT_DRIVERS.get(out.suffix.lower())
    if driver is None:
        raise CliError(f"{out}: unknown file type {out.suffix!r}; use .geojson, .json or .gpkg")
    check_output(out)
    with existing_store(data) as store:
        areas = store.areas(level)
    write_layer(out, areas, driver, level.value)
    click.echo(f"wrote {len(areas)} {level.value} areas to {out}")


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
    check_output(out)
    with existing_store(data) as store:
        if street is not None and street not in set(store.areas(Level.STREET)["code"]):
            raise CliError(f"{data} has no street with code {street!r}")
        window = window_of(window_text, data_as_of(store.meta()))
        areas = store.areas(level, parent=street)
        found = store.metrics(level, window, category=category, parent=street)
    table = table_of.metrics_table(areas, found, level.value, window, category)
    if file_type == "CSV":
        write_file(out, _metrics_csv(table, headers))
    else:
        write_layer(out, table_of.geo_frame(table), file_type, f"{level.value}_metrics")
    first, last = window.local_days()
    click.echo(f"wrote metrics of {len(table)} {level.value} areas ({first}..{last}) to {out}")


def write_layer(out: Path, frame: gpd.GeoDataFrame, driver: str, layer: str) -> None:
    """`frame` as `layer` of `out`, whole or not at all: a copy is written beside and renamed.
    Into an existing GeoPackage the layer is added or replaced and the others are kept."""

    def write(tmp: Path) -> None:
        if driver == "GPKG" and out.is_file():
            shutil.copyfile(out, tmp)
        frame.to_file(tmp, driver=driver, layer=layer, engine="pyogrio")

    replace_atomically(out, write)


def _metrics_csv(table: pd.DataFrame, headers: str) -> bytes:
    from dashboard.i18n import export_words
    from layers import export as table_of

    if headers == "key":
        return table_of.csv_bytes(table)
    return table_of.csv_bytes(table, *export_words(headers))
