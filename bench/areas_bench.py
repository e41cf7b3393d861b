"""Replacing one grid cell at city scale: what it touches recomputed, vs everything re-derived."""

from __future__ import annotations

import datetime as dt
import shutil
import sqlite3
import statistics
import tempfile
import time
from pathlib import Path
from unittest import mock

import pandas as pd
import shapely

from geodata.backends import open_store
from geodata.gpkg import derived
from geodata.model import Level

ROUNDS = 3  # each round shrinks the cell, then restores it
BUDGET_S = 2.0


def _derived_rows(path: Path) -> int:
    """One number for the areas of every case and building and the compound↔grid links."""
    con = sqlite3.connect(path)
    try:
        parts = [
            "SELECT fid, street_code, community_code, compound_code, grid_code FROM cases",
            "SELECT id, street_code, community_code, compound_code, grid_code FROM buildings",
            "SELECT compound_code, grid_code FROM compound_grid ORDER BY 1, 2",
        ]
        frames = [pd.read_sql_query(sql, con) for sql in parts]
        return sum(int(pd.util.hash_pandas_object(f, index=False).sum()) for f in frames)
    finally:
        con.close()


def _timed(store, cells) -> float:
    started = time.perf_counter()
    store.write_areas(Level.GRID, cells)
    return time.perf_counter() - started


def run(city: Path, as_of: dt.date) -> list:
    from .common import Result

    with tempfile.TemporaryDirectory(dir=city.parent) as tmp:
        path = Path(tmp) / "areas.gpkg"
        shutil.copy(city, path)
        with open_store(path) as store:
            cells = store.areas(Level.GRID).sort_values("code")
            cell = cells.iloc[[len(cells) // 2]][["code", "name", "geometry"]]
            size = shapely.area(cell.geometry.values) ** 0.5
            shrunk = cell.set_geometry(shapely.buffer(cell.geometry.values, -0.15 * size))
            times = []
            for _ in range(ROUNDS):
                times.append(_timed(store, shrunk))
                touched_digest = _derived_rows(path)
                times.append(_timed(store, cell))
            with mock.patch.object(
                derived, "refresh_touched", lambda con, *_: derived.refresh_all(con)
            ):
                full_s = _timed(store, shrunk)
            same = _derived_rows(path) == touched_digest
            cases = store.counts()["cases"]
    if not same:
        raise SystemExit("areas bench: replacing a cell and re-deriving everything disagree")
    return [
        Result(
            f"areas: replace one grid cell of {len(cells):,} ({cases:,} cases)",
            statistics.median(times),
            "s",
            baseline=full_s,
            budget=BUDGET_S,
            note="median of shrinking a cell and restoring it; baseline: the same write with"
            " every case, building, visit and link re-derived (once); same result: yes",
        )
    ]
