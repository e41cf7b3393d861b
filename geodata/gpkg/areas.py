"""Areas written into the GeoPackage store, and everything that depends on them recomputed."""

from __future__ import annotations

import sqlite3

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from .. import geopackage as gp
from .. import records
from ..city import COLUMNS
from ..codes import is_valid
from ..locate import Locator, compound_grid_links
from ..model import Level
from .schema import AREA_COLUMNS, AREA_TABLES, LOCATOR_LEVELS, area_select, insert

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
    stored = pd.read_sql_query(f"SELECT code, {', '.join(absent)} FROM {table}", con).set_index(
        "code"
    )
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
    con.execute("CREATE TEMP TABLE IF NOT EXISTS replaced_keys (key TEXT PRIMARY KEY)")
    con.execute("DELETE FROM replaced_keys")
    con.executemany("INSERT OR IGNORE INTO replaced_keys VALUES (?)", ((str(k),) for k in keys))
    con.execute(f"DELETE FROM {table} WHERE {column} IN (SELECT key FROM replaced_keys)")
    con.execute("DELETE FROM replaced_keys")


def _stored_areas(con: sqlite3.Connection, level: Level) -> gpd.GeoDataFrame:
    df = pd.read_sql_query(f"SELECT {area_select(level)} FROM {AREA_TABLES[level]} a", con)
    geom = gp.decode(df.pop("geom")) if len(df) else []
    return gpd.GeoDataFrame(df, geometry=gpd.GeoSeries(geom, crs=4326), crs=4326)


def refresh_derived(con: sqlite3.Connection) -> None:
    """After areas changed: links, extents, buildings' areas, households, cases' and visits'
    areas — all recomputed from the stored areas."""
    areas = {level: _stored_areas(con, level) for level in LOCATOR_LEVELS}
    for level, frame in areas.items():
        if len(frame):
            gp.update_extent(con, AREA_TABLES[level], frame.total_bounds)
    con.execute("DELETE FROM compound_grid")
    insert(con, "compound_grid", compound_grid_links(areas[Level.COMPOUND], areas[Level.GRID]))
    locator = Locator(*(areas[level] for level in LOCATOR_LEVELS))
    _relocate_buildings(con, locator, set(areas[Level.COMPOUND]["code"]))
    _sum_households(con)
    _relocate_cases(con, locator)
    con.execute(
        "UPDATE visits SET grid_code = b.grid_code, compound_code = b.compound_code,"
        " community_code = b.community_code, street_code = b.street_code"
        " FROM buildings b WHERE b.id = visits.building_id"
    )


def _relocate_buildings(con: sqlite3.Connection, locator: Locator, compounds: set[str]) -> None:
    frame = pd.read_sql_query("SELECT id, compound_code, geom FROM buildings", con)
    if frame.empty:
        return
    xy = shapely.get_coordinates(gp.decode(frame["geom"]))
    where = locator.locate(xy[:, 0], xy[:, 1])
    kept = frame["compound_code"].where(frame["compound_code"].isin(compounds))
    compound = kept.where(kept.notna(), where["compound_code"])
    updates = pd.DataFrame(
        {
            "grid_code": where["grid_code"],
            "community_code": where["community_code"],
            "street_code": where["street_code"],
            "compound_code": compound,
            "id": frame["id"],
        }
    )
    con.executemany(
        "UPDATE buildings SET grid_code = ?, community_code = ?, street_code = ?,"
        " compound_code = ? WHERE id = ?",
        records.rows(updates),
    )


def _sum_households(con: sqlite3.Connection) -> None:
    con.execute(
        "UPDATE grid_cells SET households = COALESCE((SELECT SUM(b.households) FROM buildings b"
        " WHERE b.grid_code = grid_cells.code), 0)"
    )
    con.execute(
        "UPDATE communities SET households = COALESCE((SELECT SUM(g.households) FROM grid_cells g"
        " WHERE g.community_code = communities.code), 0)"
    )
    con.execute(
        "UPDATE streets SET households = COALESCE((SELECT SUM(c.households) FROM communities c"
        " WHERE c.street_code = streets.code), 0)"
    )


def _relocate_cases(con: sqlite3.Connection, locator: Locator) -> None:
    """Cases whose areas changed get the new ones; the others are not touched."""
    cols = list(AREA_COLUMNS)
    frame = pd.read_sql_query(f"SELECT fid, lon, lat, {', '.join(cols)} FROM cases", con)
    if frame.empty:
        return
    where = locator.locate(frame["lon"].to_numpy(), frame["lat"].to_numpy())
    old = frame[cols].fillna("").to_numpy(dtype=object)
    new = where[cols].fillna("").to_numpy(dtype=object)
    changed = (old != new).any(axis=1)
    if changed.any():
        updates = where.loc[changed, cols].assign(fid=frame.loc[changed, "fid"].to_numpy())
        sets = ", ".join(f"{c} = ?" for c in cols)
        con.executemany(f"UPDATE cases SET {sets} WHERE fid = ?", records.rows(updates))
