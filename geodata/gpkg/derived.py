"""What depends on the stored areas, recomputed after they change: all of it, or what they touch."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from .. import geopackage as gp
from .. import records, sqlrows
from ..locate import Locator, compound_grid_links
from ..model import Level
from . import rollups as rollup_store
from .schema import (
    AREA_COLUMNS,
    AREA_TABLES,
    LOCATOR_LEVELS,
    area_select,
    insert,
    key_table,
    update_extent,
)

_AREAS = ", ".join(AREA_COLUMNS)
_MOVED = ("id", "old_grid", *AREA_COLUMNS)
# Households of each table summed from the one below: (table, rows summed, their parent column).
_SUMS = (
    ("grid_cells", "buildings", "grid_code"),
    ("communities", "grid_cells", "community_code"),
    ("streets", "communities", "street_code"),
)


def stored_areas(con: sqlite3.Connection, level: Level) -> gpd.GeoDataFrame:
    """The stored areas of `level` in table order (the order a Locator breaks ties in)."""
    sql = f"SELECT {area_select(level)} FROM {AREA_TABLES[level]} a ORDER BY a.fid"
    df = sqlrows.frame(con, sql)
    geom = gp.decode(df.pop("geom")) if len(df) else []
    return gpd.GeoDataFrame(df, geometry=gpd.GeoSeries(geom, crs=4326), crs=4326)


def outlines(con: sqlite3.Connection, level: Level, codes: Iterable[str]) -> list:
    """The stored polygons of those areas of `level` whose code is in `codes`."""
    keys = key_table(con, "outline_keys", codes)
    sql = f"SELECT geom FROM {AREA_TABLES[level]} WHERE code IN {keys}"
    return list(gp.decode([row[0] for row in con.execute(sql)]))


def refresh_all(con: sqlite3.Connection) -> None:
    """Everything derived from areas recomputed from all stored areas (extents, links,
    buildings, households, cases, visits): the reference refresh_touched must agree with."""
    areas = {level: stored_areas(con, level) for level in LOCATOR_LEVELS}
    for level, frame in areas.items():
        if len(frame):
            update_extent(con, AREA_TABLES[level], frame.total_bounds)
    con.execute("DELETE FROM compound_grid")
    insert(con, "compound_grid", compound_grid_links(areas[Level.COMPOUND], areas[Level.GRID]))
    locator = Locator(*(areas[level] for level in LOCATOR_LEVELS))
    compounds = set(areas[Level.COMPOUND]["code"])
    buildings = sqlrows.frame(con, f"SELECT id, geom, {_AREAS} FROM buildings")
    _place_buildings(con, locator, compounds, buildings)
    _sum_households(con)
    _place_cases(con, locator, sqlrows.frame(con, f"SELECT fid, lon, lat, {_AREAS} FROM cases"))
    sets = ", ".join(f"{c} = b.{c}" for c in AREA_COLUMNS)
    con.execute(f"UPDATE visits SET {sets} FROM buildings b WHERE b.id = visits.building_id")
    rollup_store.rebuild(con)


def refresh_touched(
    con: sqlite3.Connection, level: Level, codes: Iterable[str], changed: list
) -> None:
    """After the areas `codes` of `level` were replaced, `changed` being their old and new
    polygons: what lies inside those polygons is recomputed, and only rows whose values
    change are written — the same store refresh_all would leave. Relies on what every write
    keeps true: stored areas of cases and buildings are where they lie, visits have their
    building's areas."""
    codes = set(codes)
    reach = shapely.union_all(changed)
    shapely.prepare(reach)
    areas = {lv: stored_areas(con, lv) for lv in LOCATOR_LEVELS}
    update_extent(con, AREA_TABLES[level], areas[level].total_bounds)
    # An area holding a point inside the reach overlaps the reach: a locator over these
    # areas (in table order) places those points as one over all areas would.
    near = {lv: f[shapely.intersects(f.geometry.values, reach)] for lv, f in areas.items()}
    if level in (Level.COMPOUND, Level.GRID):
        _relink(con, level, codes, areas[Level.COMPOUND], near[Level.GRID])
    locator = Locator(*(near[lv] for lv in LOCATOR_LEVELS))
    # A point inside the reach is stored with a cell overlapping the reach, or with none.
    cells = key_table(con, "near_cells", near[Level.GRID]["code"])
    buildings = _rows_near(con, "buildings", f"id, geom, {_AREAS}", cells)
    xy = shapely.get_coordinates(gp.decode(buildings["geom"])) if len(buildings) else None
    buildings = _inside(buildings, reach, xy)
    moved = _place_buildings(con, locator, set(areas[Level.COMPOUND]["code"]), buildings)
    cases = _rows_near(con, "cases", f"fid, lon, lat, {_AREAS}", cells)
    _place_cases(con, locator, _inside(cases, reach, cases[["lon", "lat"]].to_numpy()))
    _move_visits(con, moved)
    by_table = {AREA_TABLES[level]: codes}
    by_table["grid_cells"] = by_table.get("grid_cells", set()) | _codes(moved, "old_grid")
    by_table["grid_cells"] |= _codes(moved, "grid_code")
    _sum_households(con, by_table)


def _rows_near(con: sqlite3.Connection, table: str, columns: str, cells: str) -> pd.DataFrame:
    """Rows of `table` stored in one of the `cells`, or in no cell."""
    sql = f"SELECT {columns} FROM {table} WHERE grid_code IN {cells}"
    sql += f" UNION ALL SELECT {columns} FROM {table} WHERE grid_code IS NULL"
    return sqlrows.frame(con, sql)


def _inside(frame: pd.DataFrame, reach: shapely.Geometry, xy: np.ndarray | None) -> pd.DataFrame:
    if frame.empty:
        return frame
    return frame[shapely.intersects_xy(reach, xy[:, 0], xy[:, 1])].reset_index(drop=True)


def _codes(frame: pd.DataFrame, column: str) -> set[str]:
    return set(frame[column].dropna())


def _relink(
    con: sqlite3.Connection,
    level: Level,
    codes: set[str],
    compounds: gpd.GeoDataFrame,
    cells: gpd.GeoDataFrame,
) -> None:
    """Compound↔grid links of the changed compounds or cells: those gone deleted, new ones
    added. Links are computed against all compounds, as refresh_all does (same projection)."""
    column = "grid_code" if level is Level.GRID else "compound_code"
    if level is Level.GRID:
        cells = cells[cells["code"].isin(codes)]
    links = compound_grid_links(compounds, cells)
    new = set(links[links[column].isin(codes)].itertuples(index=False, name=None))
    keys = key_table(con, "relinked", codes)
    sql = f"SELECT compound_code, grid_code FROM compound_grid WHERE {column} IN {keys}"
    old = set(con.execute(sql).fetchall())
    con.executemany(
        "DELETE FROM compound_grid WHERE compound_code = ? AND grid_code = ?", sorted(old - new)
    )
    con.executemany("INSERT INTO compound_grid VALUES (?, ?)", sorted(new - old))


def _place_buildings(
    con: sqlite3.Connection, locator: Locator, compounds: set[str], frame: pd.DataFrame
) -> pd.DataFrame:
    """Buildings located again (one naming a stored compound keeps it); those whose areas
    changed are written and returned, with the cell they were in as old_grid."""
    if frame.empty:
        return pd.DataFrame(columns=_MOVED)
    xy = shapely.get_coordinates(gp.decode(frame["geom"]))
    where = locator.locate(xy[:, 0], xy[:, 1])
    kept = frame["compound_code"].where(frame["compound_code"].isin(compounds))
    where["compound_code"] = kept.where(kept.notna(), where["compound_code"]).to_numpy()
    changed = _write_changed(con, "buildings", "id", frame, where)
    moved = where.loc[changed, list(AREA_COLUMNS)]
    moved.insert(0, "old_grid", frame.loc[changed, "grid_code"].to_numpy())
    moved.insert(0, "id", frame.loc[changed, "id"].to_numpy())
    return moved.reset_index(drop=True)


def _place_cases(con: sqlite3.Connection, locator: Locator, frame: pd.DataFrame) -> None:
    if frame.empty:
        return
    where = locator.locate(frame["lon"].to_numpy(), frame["lat"].to_numpy())
    _write_changed(con, "cases", "fid", frame, where)


def _write_changed(
    con: sqlite3.Connection, table: str, key: str, old: pd.DataFrame, new: pd.DataFrame
) -> np.ndarray:
    """Writes the rows of `table` whose areas differ between `old` (as read, with `key`) and
    `new` (as located, same order); returns which rows those were."""
    cols = list(AREA_COLUMNS)
    before = old[cols].fillna("").to_numpy(dtype=object)
    changed = (before != new[cols].fillna("").to_numpy(dtype=object)).any(axis=1)
    updates = new.loc[changed, cols].assign(**{key: old.loc[changed, key].to_numpy()})
    sets = ", ".join(f"{c} = ?" for c in cols)
    if table == "cases":  # cases count in the rollups under their areas
        rollup_store.move(con, table, key, updates)
    con.executemany(f"UPDATE {table} SET {sets} WHERE {key} = ?", records.rows(updates))
    return changed


def _move_visits(con: sqlite3.Connection, moved: pd.DataFrame) -> None:
    """Visits of moved buildings take the buildings' new areas (and count there)."""
    if moved.empty:
        return
    con.execute(
        "CREATE TEMP TABLE IF NOT EXISTS moved_buildings (id TEXT PRIMARY KEY, old_grid TEXT,"
        f" {', '.join(f'{c} TEXT' for c in AREA_COLUMNS)})"
    )
    con.execute("DELETE FROM moved_buildings")
    insert(con, "moved_buildings", moved)
    sets = ", ".join(f"{c} = m.{c}" for c in AREA_COLUMNS)
    # A visit holds its building's cell: the grid_code index finds the visits to move.
    olds = ["visits.grid_code IN (SELECT old_grid FROM moved_buildings)"]
    if moved["old_grid"].isna().any():
        olds.append("visits.grid_code IS NULL")
    new_areas = ", ".join(f"m.{c}" for c in AREA_COLUMNS)
    found = " UNION ALL ".join(
        f"SELECT visits.id, {new_areas} FROM visits JOIN moved_buildings m"
        f" ON m.id = visits.building_id WHERE {old}"
        for old in olds
    )
    # visits count in the rollups under their areas
    rollup_store.move(con, "visits", "id", sqlrows.frame(con, found))
    update = f"UPDATE visits SET {sets} FROM moved_buildings m WHERE m.id = visits.building_id"
    for old in olds:
        con.execute(f"{update} AND {old}")


def _sum_households(con: sqlite3.Connection, changed: dict[str, set[str]] | None = None) -> None:
    """Households of cells summed from their buildings, of communities from their cells, of
    streets from their communities: of all of them, or of the areas `changed` (codes by
    table) and the parents of those."""
    codes: set[str] = set()
    for table, rows, parent in _SUMS:
        total = f"SELECT SUM(r.households) FROM {rows} r WHERE r.{parent} = {table}.code"
        update = f"UPDATE {table} SET households = COALESCE(({total}), 0)"
        if changed is None:
            con.execute(update)
            continue
        if codes:  # the parents of the rows summed just before
            keys = key_table(con, "summed", codes)
            codes = {r[0] for r in con.execute(f"SELECT {parent} FROM {rows} WHERE code IN {keys}")}
        codes |= changed.get(table, set())
        con.execute(f"{update} WHERE code IN {key_table(con, 'summed', codes)}")
