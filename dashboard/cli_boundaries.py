"""`gridboard import boundaries` and `gridboard validate`: areas in, problems out."""

from __future__ import annotations

from pathlib import Path

import click
import geopandas as gpd

from dashboard.cli import LEVEL_NAMES, CliError, _existing_store, cli
from dashboard.cli_import import import_group
from geodata import boundaries as bd
from geodata import validate as vd
from geodata.model import Level
from geodata.store import Store, StoreError, open_store

REPORT_LIMIT = 200  # problems printed; the GeoJSON (--out) holds them all


@import_group.command("boundaries")
@click.argument("file", type=click.Path(path_type=Path, dir_okay=True))
@click.option(
    "--data",
    required=True,
    type=click.Path(path_type=Path, dir_okay=False),
    help="The store (GeoPackage); a path that does not exist yet becomes a new store.",
)
@click.option("--level", required=True, type=click.Choice(LEVEL_NAMES), help="Areas of the file.")
@click.option(
    "--crs", help="EPSG:NNNN (overrides or fills in the file's), or gcj02 (AMap lon/lat)."
)
@click.option("--name-field", help="Field holding the names (default: recognised, e.g. 名称).")
@click.option("--code-field", help="Field holding the codes (default: recognised; else generated).")
@click.option(
    "--parent-field", help="Field holding the parent codes or names (default: recognised)."
)
@click.option("--layer", help="Layer of a GeoPackage with several.")
def import_boundaries(
    file: Path,
    data: Path,
    level: str,
    crs: str | None,
    name_field: str | None,
    code_field: str | None,
    parent_field: str | None,
    layer: str | None,
) -> None:
    """Import the areas of one level from GeoJSON, GeoPackage or Shapefile (also zipped).

    Nothing is written when any problem found by validation is left unrepaired."""
    lvl = Level(level)
    try:
        raw = bd.read_boundaries(file, layer=layer, crs=crs)
        areas = bd.map_fields(
            raw,
            lvl,
            name_field=name_field,
            code_field=code_field,
            parent_field=parent_field,
            source=file,
        )
    except bd.BoundaryError as exc:
        raise CliError(str(exc)) from exc
    existing = _existing_store(data, readonly=True) if data.exists() else None
    try:
        areas, problems = _prepare(areas, lvl, existing)
    except bd.BoundaryError as exc:
        raise CliError(f"{file}: {exc}") from exc
    finally:
        if existing is not None:
            existing.close()
    _echo_report(problems)
    if len(problems.unrepaired):
        raise CliError(f"{file}: {len(problems.unrepaired)} problems; nothing written to {data}")
    written = _write(data, lvl, bd.to_store_frame(areas, lvl))
    repaired = len(problems.frame) - len(problems.unrepaired)
    note = f" ({repaired} geometries repaired)" if repaired else ""
    click.echo(f"wrote {written} {lvl.value} areas to {data}{note}")


def _prepare(
    areas: gpd.GeoDataFrame, level: Level, store: Store | None
) -> tuple[gpd.GeoDataFrame, vd.Problems]:
    """Parents, codes and validation against what the store holds (None: an empty store)."""
    parent_level = bd.PARENT_LEVEL[level]
    parents = _areas(store, parent_level) if parent_level else None
    stored = _areas(store, level)
    areas = bd.assign_parents(areas, level, parents if parents is not None else stored.iloc[:0])
    areas = bd.generate_codes(areas, level, list(stored["code"]), _county(store, level))
    siblings = None
    if level is Level.GRID and len(stored):
        mine = set(areas["parent_code"].dropna())
        siblings = stored[stored["parent_code"].isin(mine) & ~stored["code"].isin(areas["code"])]
    return vd.validate_areas(areas, level, parents, siblings)


def _areas(store: Store | None, level: Level) -> gpd.GeoDataFrame:
    if store is None:
        return gpd.GeoDataFrame(
            {"code": [], "name": [], "parent_code": []}, geometry=gpd.GeoSeries([], crs=4326)
        )
    return store.areas(level)


def _county(store: Store | None, level: Level) -> str | None:
    if level is not Level.STREET or store is None:
        return None
    county = store.meta().get("county_code")
    if county:
        return county
    streets = store.areas(Level.STREET)["code"]
    return streets.iloc[0][:6] if len(streets) else None


def _write(data: Path, level: Level, areas: gpd.GeoDataFrame) -> int:
    created = not data.exists()
    try:
        store = open_store(data, create=True)
    except StoreError as exc:
        raise CliError(str(exc)) from exc
    try:
        with store:
            return store.write_areas(level, areas)
    except StoreError as exc:
        if created:
            data.unlink(missing_ok=True)
        raise CliError(str(exc)) from exc


def _echo_report(problems: vd.Problems) -> None:
    if len(problems):
        for line in vd.report_lines(problems, REPORT_LIMIT):
            click.echo(line)


@cli.command("validate")
@click.option("--data", required=True, type=click.Path(path_type=Path, dir_okay=False))
@click.option(
    "--out",
    type=click.Path(path_type=Path, dir_okay=False),
    help="Also write the problem spots as GeoJSON (.geojson or .json).",
)
def validate_command(data: Path, out: Path | None) -> None:
    """Check the store's areas: geometry, grid overlaps and gaps, parents, codes, names.

    Exits non-zero when any problem is found."""
    if out is not None:
        if out.suffix.lower() not in (".geojson", ".json"):
            raise CliError(f"{out}: unknown file type {out.suffix!r}; use .geojson or .json")
        if not out.parent.is_dir():
            raise CliError(f"{out}: folder {out.parent} does not exist")
    with _existing_store(data) as store:
        problems = vd.validate_store(store)
    for line in vd.report_lines(problems, REPORT_LIMIT):
        click.echo(line)
    if out is not None:
        vd.write_geojson(problems, out)
        click.echo(f"wrote {len(problems)} problem spots to {out}")
    if len(problems):
        raise CliError(f"{data}: {len(problems)} problems found")
