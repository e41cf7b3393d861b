"""Areas to write into the GeoPackage store: checked, completed from the store, replaced."""

from __future__ import annotations

import sqlite3

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from .. import records, sqlrows
from ..city import COLUMNS
from ..codes import is_valid
from ..model import Level
from .schema import AREA_TABLES, key_table

_PARENT: dict[Level, tuple[str, Level] | None] = {
    Level.STREET: None,
    Level.COMMUNITY: ("street_code", Level.STREET),
    Level.COMPOUND: ("community_code", Level.COMMUNITY),
    Level.GRID: ("community_code", Level.COMMUNITY),
}
_AREA_DEFAULTS = {"households": 0}


def area_frame(level: Level, areas: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """The areas checked on their own (no store): columns, codes, names, polygons, WGS-84."""
    table = AREA_TABLES[level]
    records.require_columns(areas, table, ("code", "name"))
    if not isinstance(areas, gpd.GeoDataFrame) or areas.geometry.name not in areas:
        raise records.RecordError(f"{table}: no geometry column")
    if areas.crs is None:
        raise records.RecordError(f"{table}: the geometry has no coordinate reference system")
    areas = areas.to_crs(4326).reset_index(drop=True)
    records.check_ids(areas, table, "code")
    codes = areas["code"]
    bad = ~codes.map(lambda c: is_valid(level, c))
    records.raise_rows(table, "code", bad, codes, f"is not a valid {level.value} code")
    names = areas["name"]
    blank = names.isna() | (names.astype(str).str.strip() == "")
    records.raise_rows(table, "name", blank, codes, "has no name")
    _check_polygons(areas, table)
    out = gpd.GeoDataFrame(
        {c: areas[c] for c in COLUMNS[table] if c in areas},
        geometry=areas.geometry.values,
        crs=4326,
    )
    _derive_parent_codes(level, out, table)
    if level is Level.COMPOUND and "households" in out:
        _check_households(out, table)
    return out


def _check_polygons(areas: gpd.GeoDataFrame, table: str) -> None:
    geoms = areas.geometry.values
    codes = areas["code"]
    missing = shapely.is_missing(geoms) | shapely.is_empty(geoms)
    records.raise_rows(table, "geometry", missing, codes, "has no geometry")
    kind = shapely.get_type_id(geoms)
    records.raise_rows(table, "geometry", ~np.isin(kind, (3, 6)), codes, "is not a polygon")
    records.raise_rows(table, "geometry", ~shapely.is_valid(geoms), codes, "has bad geometry")


def _derive_parent_codes(level: Level, frame: gpd.GeoDataFrame, table: str) -> None:
    """Fill the parent columns from the code; a given parent must be the code's own."""
    if level is Level.STREET:
        return
    derived = {"street_code": frame["code"].str[:9]}
    if level in (Level.COMPOUND, Level.GRID):
        derived["community_code"] = frame["code"].str[:12]
    for column, value in derived.items():
        if column not in frame:
            frame[column] = value
            continue
        given = frame[column]
        wrong = given.notna() & (given.astype(str) != value)
        records.raise_rows(table, column, wrong, given, "is not the parent the code names")
        frame[column] = value


def _check_households(frame: pd.DataFrame, table: str) -> None:
    given = frame["households"]
    number = pd.to_numeric(given, errors="coerce").fillna(0)
    bad = ~number.between(0, records.MAX_HOUSEHOLDS) | (number % 1 != 0)
    records.raise_rows(table, "households", bad, given, "is not a whole number of households")
    frame["households"] = number.astype(np.int64)


def fill_from_store(
    con: sqlite3.Connection, level: Level, frame: gpd.GeoDataFrame
) -> gpd.GeoDataFrame:
    """Columns the caller left out: the stored values of areas replaced, else empty."""
    table = AREA_TABLES[level]
    absent = [c for c in COLUMNS[table] if c not in frame]
    if not absent:
        return frame
    stored = sqlrows.frame(con, f"SELECT code, {', '.join(absent)} FROM {table}").set_index("code")
    for column in absent:
        value = frame["code"].map(stored[column]) if len(stored) else None
        frame[column] = value
        if column in _AREA_DEFAULTS:
            frame[column] = frame[column].fillna(_AREA_DEFAULTS[column]).astype(np.int64)
    return frame


def check_parents(con: sqlite3.Connection, level: Level, frame: pd.DataFrame) -> None:
    parent = _PARENT[level]
    if parent is None:
        return
    column, plevel = parent
    ptable = AREA_TABLES[plevel]
    known = {r[0] for r in con.execute(f"SELECT code FROM {ptable}")}
    missing = ~frame[column].isin(known)
    if missing.any():
        rows = np.flatnonzero(missing.to_numpy())
        named = [
            f"row {i + 1}: {frame['code'].iloc[i]} {frame['name'].iloc[i]}:"
            f" {column} {frame[column].iloc[i]!r} is not in {ptable}"
            for i in rows[: records.MAX_REPORTED]
        ]
        more = len(rows) - records.MAX_REPORTED
        tail = f"; and {more} more rows" if more > 0 else ""
        raise records.RecordError(
            f"{AREA_TABLES[level]}: {len(rows)} areas without their parent — "
            + "; ".join(named)
            + tail
        )


def replace_rows(con: sqlite3.Connection, table: str, column: str, keys: pd.Series) -> None:
    con.execute(f"DELETE FROM {table} WHERE {column} IN {key_table(con, 'replaced_keys', keys)}")
