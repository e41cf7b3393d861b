"""The bench's naive metrics: each case counted once, in the first cell it lies in."""

from __future__ import annotations

import datetime as dt
import sqlite3
from pathlib import Path

import geopandas as gpd
import shapely

from bench.store_metrics import naive_metrics
from geodata.model import LOCAL_TZ
from geodata.store import Window

END = dt.datetime(2026, 11, 29, tzinfo=LOCAL_TZ)


def test_a_case_where_cells_meet_or_overlap_is_counted_once(tmp_path: Path) -> None:
    path = tmp_path / "cases.sqlite"
    with sqlite3.connect(path) as con:
        con.execute("CREATE TABLE cases (lon, lat, reported_at, closed_at, rejected_at, due_at)")
        con.executemany(
            "INSERT INTO cases VALUES (?, ?, '2026-11-20T02:00:00Z', NULL, NULL, NULL)",
            [(0.5, 0.5), (1.0, 0.5), (1.05, 0.5), (1.5, 0.5)],  # inside, on the edge, overlap
        )
    con.close()
    cells = gpd.GeoDataFrame(
        {"code": ["A", "B"]},
        geometry=[shapely.box(0, 0, 1.1, 1), shapely.box(1, 0, 2, 1)],
        crs=4326,
    )
    counts = naive_metrics(path, cells, Window(END - dt.timedelta(days=30), END))
    assert counts["cases"].to_dict() == {"A": 3, "B": 1}
    assert counts["open_cases"].sum() == 4
