"""Metrics per area over 1,000,000 cases: the store's group-by vs a spatial join at read time."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import geopandas as gpd
import pandas as pd

from geodata.model import LOCAL_TZ, Level
from geodata.store import Window, open_store

from .common import Result, median_time


def naive_metrics(path: Path, cells: gpd.GeoDataFrame, window: Window) -> pd.Series:
    """What a reader without write-time assignment must do: load points, join, count."""
    import sqlite3

    con = sqlite3.connect(path)
    start, end = (
        w.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ") for w in (window.start, window.end)
    )
    rows = pd.read_sql_query(
        "SELECT lon, lat, closed_at FROM cases WHERE reported_at >= ? AND reported_at < ?",
        con,
        params=[start, end],
    )
    con.close()
    points = gpd.GeoDataFrame(rows, geometry=gpd.points_from_xy(rows.lon, rows.lat), crs=4326)
    joined = gpd.sjoin(points, cells[["code", "geometry"]], predicate="within")
    return joined.groupby("code").size()


def run(city: Path, as_of: dt.date) -> list[Result]:
    end = dt.datetime.combine(as_of + dt.timedelta(days=1), dt.time(), LOCAL_TZ)
    results = []
    with open_store(city, readonly=True) as store:
        cells = store.areas(Level.GRID)
        for days in (30, 365):
            window = Window(end - dt.timedelta(days=days), end)
            ours = median_time(lambda w=window: store.metrics(Level.GRID, w))
            naive = median_time(lambda w=window: naive_metrics(city, cells, w), repeat=3)
            results.append(
                Result(
                    f"grid-cell metrics, {days}-day window",
                    ours * 1000,
                    "ms",
                    baseline=naive * 1000,
                    note="baseline: load points + sjoin at read time",
                )
            )
        for level in (Level.STREET, Level.COMMUNITY, Level.COMPOUND):
            window = Window(end - dt.timedelta(days=30), end)
            ours = median_time(lambda lv=level, w=window: store.metrics(lv, w))
            results.append(Result(f"{level.value} metrics, 30-day window", ours * 1000, "ms"))
        street = store.areas(Level.STREET)["code"].iloc[0]
        window = Window(end - dt.timedelta(days=30), end)
        ours = median_time(lambda: store.metrics(Level.GRID, window, parent=street))
        results.append(Result("grid-cell metrics of one street, 30 days", ours * 1000, "ms"))
    return results
