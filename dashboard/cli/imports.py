"""`gridboard import …`: boundaries, cases, visits, staff and Open311 requests into a store."""

from __future__ import annotations

import sys
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

import click
import geopandas as gpd

from dashboard.cli.common import LEVEL_NAMES, STORE, CliError, existing_store
from dashboard.cli.validate import echo_problems
from geodata import backends, importer
from geodata import boundaries as bd
from geodata import validate as vd
from geodata.backends import open_store
from geodata.catalogue import DEFAULT_LIMIT
from geodata.model import Level
from geodata.store import Store, StoreError
from geodata.tabular import TabularError, load_mapping

if TYPE_CHECKING:
    from geodata.tabular import Mapping

PROGRESS_BYTES = 20 << 20  # files above this show progress even when stderr is not a terminal


@click.group("import")
def import_group() -> None:
    """Bring a real city in: boundaries, then staff, cases and visits."""


# --- boundaries ---------------------------------------------------------------------------
@import_group.command("boundaries")
@click.argument("file", type=click.Path(path_type=Path, dir_okay=True))
@click.option(
    "--data",
    required=True,
    type=STORE,
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
@click.option(
    "--county-code",
    help="Streets: the county's 6-digit code (e.g. 370811) for streets the file gives no code.",
)
def import_boundaries(
    file: Path,
    data: Path,
    level: str,
    crs: str | None,
    name_field: str | None,
    code_field: str | None,
    parent_field: str | None,
    layer: str | None,
    county_code: str | None,
) -> None:
    """Import the areas of one level from GeoJSON, GeoPackage or Shapefile (also zipped).

    Nothing is written when any problem found by validation is left unrepaired."""
    lvl = Level(level)
    if county_code is not None and not (len(county_code) == 6 and county_code.isdigit()):
        raise CliError(f"--county-code {county_code!r} is not a 6-digit county code (e.g. 370811)")
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
    existing = existing_store(data, readonly=True) if _exists(data) else None
    try:
        areas, problems = _prepare(areas, lvl, existing, county_code)
    except bd.BoundaryError as exc:
        raise CliError(f"{file}: {exc}") from exc
    finally:
        if existing is not None:
            existing.close()
    if len(problems):
        echo_problems(problems)
    if len(problems.unrepaired):
        raise CliError(f"{file}: {len(problems.unrepaired)} problems; nothing written to {data}")
    written = _write_areas(data, lvl, bd.to_store_frame(areas, lvl))
    repaired = len(problems.frame) - len(problems.unrepaired)
    note = f" ({repaired} geometries repaired)" if repaired else ""
    click.echo(f"wrote {written} {lvl.value} areas to {data}{note}")


def _prepare(
    areas: gpd.GeoDataFrame, level: Level, store: Store | None, county: str | None = None
) -> tuple[gpd.GeoDataFrame, vd.Problems]:
    """Parents, codes (streets without one under `county`, else the store's county) and
    validation against what the store holds (None: an empty store)."""
    parent_level = bd.PARENT_LEVEL[level]
    parents = _areas(store, parent_level) if parent_level else None
    stored = _areas(store, level)
    areas = bd.assign_parents(areas, level, parents if parents is not None else stored.iloc[:0])
    county = county or _county(store, level)
    areas = bd.generate_codes(areas, level, list(stored["code"]), county)
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


def _exists(data: Path | str) -> bool:
    try:
        return backends.exists(data)
    except StoreError as exc:
        raise CliError(str(exc)) from exc


def _write_areas(data: Path | str, level: Level, areas: gpd.GeoDataFrame) -> int:
    created = isinstance(data, Path) and not data.exists()
    try:
        store = open_store(data, create=True)
    except StoreError as exc:
        raise CliError(str(exc)) from exc
    try:
        with store:
            return store.write_areas(level, areas)
    except StoreError as exc:
        if created and isinstance(data, Path):
            data.unlink(missing_ok=True)
        raise CliError(str(exc)) from exc


# --- records ------------------------------------------------------------------------------
def _record_options(fn: Callable) -> Callable:
    """The arguments every record import takes."""
    options = [
        click.argument("file", type=click.Path(dir_okay=False, path_type=Path)),
        click.option(
            "--data", type=STORE, required=True,
            help="Store file.",
        ),
        click.option(
            "--mapping", type=click.Path(dir_okay=False, path_type=Path),
            help="TOML file naming columns and translating values (see geodata/tabular.py).",
        ),
        click.option(
            "--skip-bad", is_flag=True,
            help="Write the good rows; put the bad ones in a reject file.",
        ),
        click.option(
            "--rejects", type=click.Path(dir_okay=False, path_type=Path),
            help="Reject file (default: FILE's name + .rejects.csv/.json, beside it).",
        ),
    ]  # fmt: skip
    for option in reversed(options):
        fn = option(fn)
    return fn


def _add_categories_option(fn: Callable) -> Callable:
    return click.option(
        "--add-categories",
        is_flag=True,
        help="Add categories the catalogue lacks (a default limit; see `gridboard categories`).",
    )(fn)


def _crs_option(fn: Callable) -> Callable:
    return click.option(
        "--crs",
        help="The coordinates' system: EPSG:NNNN, or gcj02 (AMap lon/lat); default WGS-84.",
    )(fn)


@import_group.command("cases")
@_record_options
@_crs_option
@_add_categories_option
def import_cases(
    file: Path,
    data: Path,
    mapping: Path | None,
    skip_bad: bool,
    rejects: Path | None,
    crs: str | None,
    add_categories: bool,
) -> None:
    """Cases (诉求/事件) from a CSV or XLSX file; each is placed in its grid cell and compound."""
    options = _options(file, skip_bad, rejects) | {"crs": crs, "add_categories": add_categories}
    _import(data, mapping, lambda store, m: importer.import_cases(store, file, m, **options))


@import_group.command("visits")
@_record_options
def import_visits(
    file: Path, data: Path, mapping: Path | None, skip_bad: bool, rejects: Path | None
) -> None:
    """Door-to-door visits (走访) from a CSV or XLSX file."""
    options = _options(file, skip_bad, rejects)
    _import(data, mapping, lambda store, m: importer.import_visits(store, file, m, **options))


@import_group.command("staff")
@_record_options
@click.option("--replace", is_flag=True, help="Replace the stored roster instead of adding.")
def import_staff(
    file: Path,
    data: Path,
    mapping: Path | None,
    skip_bad: bool,
    rejects: Path | None,
    replace: bool,
) -> None:
    """A staff roster (one row per person and role) from a CSV or XLSX file."""
    options = _options(file, skip_bad, rejects) | {"replace": replace}
    _import(data, mapping, lambda store, m: importer.import_staff(store, file, m, **options))


@import_group.command("open311")
@_record_options
@_crs_option
@_add_categories_option
def import_open311(
    file: Path,
    data: Path,
    mapping: Path | None,
    skip_bad: bool,
    rejects: Path | None,
    crs: str | None,
    add_categories: bool,
) -> None:
    """GeoReport v2 (Open311) service requests from a JSON file, as cases."""
    # Open311 JSON is read whole: no progress bar.
    options = _options(None, skip_bad, rejects) | {"crs": crs, "add_categories": add_categories}
    _import(data, mapping, lambda store, m: importer.import_open311(store, file, m, **options))


def _options(file: Path | None, skip_bad: bool, rejects: Path | None) -> dict:
    """The importer's keyword arguments common to every kind; `progress` only with a `file`."""
    options: dict = {"skip_bad": skip_bad, "rejects": rejects, "log": _log}
    if file is not None:
        options["progress"] = _progress(file)
    return options


def _progress(path: Path) -> bool:
    try:
        big = path.stat().st_size > PROGRESS_BYTES
    except OSError:
        big = False
    return sys.stderr.isatty() or big


def _log(text: str) -> None:
    click.echo(text, err=True)


def _import(
    data: Path, mapping: Path | None, run: Callable[[Store, Mapping], importer.Report]
) -> None:
    """Open the store, `run(store, mapping)` and print one report line; every failure becomes
    one CliError (after printing each bad row)."""
    try:
        loaded = load_mapping(mapping)
    except TabularError as exc:
        raise CliError(str(exc)) from exc
    with existing_store(data, readonly=False) as store:
        try:
            report = run(store, loaded)
        except importer.ImportProblems as exc:
            for line in exc.lines():
                click.echo(f"  {line}", err=True)
            _unknown_categories(exc)
            raise CliError(str(exc)) from exc
        except (TabularError, StoreError) as exc:
            raise CliError(str(exc)) from exc
    text = f"wrote {report.written:,} {report.kind} from {report.path} to {data}"
    if report.rejects is not None:
        text += f"; {report.rejected:,} bad {report.unit}s written to {report.rejects}"
    click.echo(text)
    if report.added:
        limit, unit = DEFAULT_LIMIT
        names = ", ".join(f"{c.name_zh} ({c.code})" for c in report.added)
        click.echo(
            f"added {len(report.added)} categories to the catalogue with a limit of {limit:g}"
            f" {unit.value} each: {names}; edit them with `gridboard categories export|import`"
        )


def _unknown_categories(problems: importer.ImportProblems) -> None:
    """Every category value the catalogue does not know, once each with its count."""
    unknown = Counter(
        p.value for p in problems.problems if p.message.startswith("is not a known category")
    )
    if unknown:
        listed = ", ".join(f"{value!r} × {n:,}" for value, n in unknown.items())
        click.echo(
            f"  categories the catalogue does not know: {listed}; map them in a --mapping"
            " file, or add them with --add-categories",
            err=True,
        )
