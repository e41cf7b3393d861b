"""Replacing areas recomputes only what they touch, and leaves what a full re-derivation would."""

from __future__ import annotations

import shutil
import sqlite3
from collections.abc import Callable
from pathlib import Path

import geopandas as gpd
import pandas as pd
import pytest
import shapely

from geodata.backends import open_store
from geodata.gpkg import derived
from geodata.model import Level

AREAS = "street_code, community_code, compound_code, grid_code"
# Rows written by UPDATE, and compound↔grid links deleted or added, logged by triggers.
_LOGGED = {
    "cases": "id",
    "buildings": "id",
    "visits": "id",
    "grid_cells": "code",
    "communities": "code",
    "streets": "code",
}


def digest(path: Path) -> dict[str, pd.DataFrame]:
    """What depends on areas, as plain rows: areas of cases, buildings and visits, the
    compound↔grid links, areas' households and layer extents."""
    con = sqlite3.connect(path)
    try:
        queries = {
            "cases": f"SELECT id, {AREAS} FROM cases ORDER BY id",
            "buildings": f"SELECT id, {AREAS} FROM buildings ORDER BY id",
            "visits": f"SELECT id, {AREAS} FROM visits ORDER BY id",
            "compound_grid": "SELECT * FROM compound_grid ORDER BY compound_code, grid_code",
            "extents": "SELECT table_name, min_x, min_y, max_x, max_y FROM gpkg_contents"
            " WHERE table_name IN ('streets', 'communities', 'compounds', 'grid_cells')"
            " ORDER BY table_name",
        }
        for table in ("streets", "communities", "compounds", "grid_cells"):
            queries[table] = f"SELECT code, name, households FROM {table} ORDER BY code"
        return {name: pd.read_sql_query(sql, con) for name, sql in queries.items()}
    finally:
        con.close()


def log_writes(path: Path) -> None:
    con = sqlite3.connect(path)
    with con:
        con.execute("CREATE TABLE written (tbl TEXT, key TEXT)")
        for table, key in _LOGGED.items():
            con.execute(
                f"CREATE TRIGGER log_{table} AFTER UPDATE ON {table}"
                f" BEGIN INSERT INTO written VALUES ('{table}', NEW.{key}); END"
            )
        for event, row in (("DELETE", "OLD"), ("INSERT", "NEW")):
            con.execute(
                f"CREATE TRIGGER log_links_{event} AFTER {event} ON compound_grid BEGIN INSERT"
                f" INTO written VALUES ('compound_grid', {row}.compound_code || ' '"
                f" || {row}.grid_code); END"
            )
    con.close()


def written(path: Path) -> dict[str, set[str]]:
    con = sqlite3.connect(path)
    rows = con.execute("SELECT tbl, key FROM written").fetchall()
    con.close()
    out: dict[str, set[str]] = {t: set() for t in (*_LOGGED, "compound_grid")}
    for table, key in rows:
        out[table].add(str(key))
    return out


def changed_keys(before: pd.DataFrame, after: pd.DataFrame, key: str) -> set[str]:
    a, b = before.set_index(key).fillna(""), after.set_index(key).fillna("")
    return {str(k) for k in a.index[(a != b.loc[a.index]).any(axis=1)]}


def _pair(cells: gpd.GeoDataFrame) -> tuple[int, int]:
    """Two cells of one community sharing an edge longer than 50 m."""
    metric = cells.to_crs(cells.estimate_utm_crs())
    tree = shapely.STRtree(metric.geometry.values)
    left, right = tree.query(metric.geometry.values, predicate="touches")
    for i, j in zip(left, right, strict=True):
        same = cells["community_code"].iloc[i] == cells["community_code"].iloc[j]
        edge = shapely.intersection(metric.geometry.iloc[i], metric.geometry.iloc[j]).length
        if i < j and same and edge > 50:
            return i, j
    raise AssertionError("no two cells share an edge")


Writes = list[tuple[Level, gpd.GeoDataFrame]]


def edge_moved(store) -> Writes:
    """Two neighbouring cells; the strip of the second along their shared edge goes to the
    first."""
    cells = store.areas(Level.GRID)
    i, j = _pair(cells)
    a, b = cells.geometry.iloc[i], cells.geometry.iloc[j]
    width = 0.4 * (b.bounds[2] - b.bounds[0] + b.bounds[3] - b.bounds[1]) / 2
    strip = shapely.intersection(b, shapely.buffer(shapely.intersection(a, b), width))
    pair = cells.iloc[[i, j]][["code", "name", "geometry"]]
    return [
        (
            Level.GRID,
            pair.set_geometry([shapely.union(a, strip), shapely.difference(b, strip)], crs=4326),
        )
    ]


def _one(store, level: Level) -> gpd.GeoDataFrame:
    return store.areas(level).sort_values("code").iloc[[3]][["code", "name", "geometry"]]


def _buffered(level: Level, share: float) -> Callable[..., Writes]:
    """One area of `level` grown (or shrunk) by `share` of its size."""

    def change(store) -> Writes:
        areas = _one(store, level)
        geoms = areas.geometry.values
        grown = shapely.buffer(geoms, share * shapely.area(geoms) ** 0.5)
        return [(level, areas.set_geometry(grown, crs=4326))]

    return change


def _shrunk_and_restored(store) -> Writes:
    """Cases left in no cell by the first write are placed again by the second."""
    return [*_buffered(Level.GRID, -0.15)(store), (Level.GRID, _one(store, Level.GRID))]


CHANGES = {
    "edge between two cells moved": edge_moved,
    "a cell shrunk, then restored": _shrunk_and_restored,
    "a cell grown over its neighbours": _buffered(Level.GRID, 1.0),
    "a compound grown": _buffered(Level.COMPOUND, 0.3),
    "a community grown": _buffered(Level.COMMUNITY, 0.3),
}


@pytest.mark.parametrize("name", CHANGES)
def test_replacing_areas_matches_a_full_rederivation(
    street_store_path, tmp_path, monkeypatch, name
):
    touched, full = tmp_path / "touched.gpkg", tmp_path / "full.gpkg"
    shutil.copy(street_store_path, touched)
    shutil.copy(street_store_path, full)
    log_writes(touched)
    with open_store(touched, readonly=True) as store:
        writes = CHANGES[name](store)
    for level, areas in writes:
        before = digest(touched)
        with open_store(touched) as store:
            assert store.write_areas(level, areas) == len(areas)
        after = digest(touched)
        with monkeypatch.context() as patch:
            patch.setattr(derived, "refresh_touched", lambda con, *_: derived.refresh_all(con))
            with open_store(full) as store:
                store.write_areas(level, areas)
        for part, frame in digest(full).items():
            pd.testing.assert_frame_equal(after[part], frame, obj=part)
        _only_changed_rows_written(touched, before, after, set(areas["code"]))


def _only_changed_rows_written(
    path: Path, before: dict[str, pd.DataFrame], after: dict[str, pd.DataFrame], codes: set[str]
) -> None:
    """Rows of cases, buildings, visits and links written only where their values changed;
    households only of the areas replaced, those buildings moved from or to, and parents."""
    log = written(path)
    for table in ("cases", "buildings", "visits"):
        assert log[table] == changed_keys(before[table], after[table], "id"), table
    links = [{" ".join(r) for r in p["compound_grid"].to_numpy()} for p in (before, after)]
    assert log["compound_grid"] == links[0] ^ links[1]
    moved = changed_keys(before["buildings"], after["buildings"], "id")
    held = pd.concat([before["buildings"], after["buildings"]])
    cells = set(held[held["id"].isin(moved)]["grid_code"].dropna()) | codes
    reach = cells | {c[:12] for c in cells} | {c[:9] for c in cells}
    for table in ("grid_cells", "communities", "streets"):
        assert log[table] <= reach, table
    con = sqlite3.connect(path)
    with con:
        con.execute("DELETE FROM written")
    con.close()
