"""Metrics per area over 1,000,000 cases: rollups vs the group-by over rows vs a spatial join."""

from __future__ import annotations

import datetime as dt
import sqlite3
from pathlib import Path

import geopandas as gpd
import pandas as pd

from geodata.backends import open_store
from geodata.model import LOCAL_TZ, Level
from geodata.records import utc_text
from geodata.store import Window

from .common import Result, median_time


def naive_metrics(path: Path, cells: gpd.GeoDataFrame, window: Window) -> pd.DataFrame:
    """What a reader without write-time assignment must do: load points, join, count.

    It computes the case metrics only (no visits), so the comparison flatters the baseline.
    """
    start, end = (utc_text(w) for w in (window.start, window.end))
    con = sqlite3.connect(path)
    rows = pd.read_sql_query(
        "SELECT lon, lat, reported_at, closed_at, rejected_at, due_at FROM cases"
        " WHERE reported_at < ?",
        con,
        params=[end],
    )
    con.close()
    points = gpd.GeoDataFrame(rows, geometry=gpd.points_from_xy(rows.lon, rows.lat), crs=4326)
    joined = gpd.sjoin(points, cells[["code", "geometry"]], predicate="intersects")
    # a point on an edge shared by two cells counts once, in the first, as the store counts it
    joined = joined.sort_values("index_right", kind="stable")
    joined = joined[~joined.index.duplicated(keep="first")]
    still_open = (joined.closed_at.isna() | (joined.closed_at >= end)) & (
        joined.rejected_at.isna() | (joined.rejected_at >= end)
    )
    joined["cases"] = joined.reported_at >= start
    joined["open_cases"] = still_open
    joined["overdue_cases"] = still_open & (joined.due_at < end)
    return joined.groupby("code")[["cases", "open_cases", "overdue_cases"]].sum()


def _check_agreement(ours: pd.DataFrame, naive: pd.DataFrame) -> None:
    """A fast answer is worth nothing if it differs from the slow one."""
    cols = ["cases", "open_cases", "overdue_cases"]
    naive = naive.reindex(ours.index).fillna(0).astype("int64")
    if not ours[cols].equals(naive[cols]):
        raise AssertionError("store metrics differ from the naive computation")


METRICS_BUDGET_MS = 50.0  # any level, 30- and 365-day windows, any category, no app cache


def _rolled_rows(store, end: dt.datetime) -> list[Result]:
    """Every level, 30 and 365 days, all categories and one: from the rollups, against the
    raw group-by over case and visit rows (they must agree)."""
    results = []
    for level in Level:
        for days in (30, 365):
            window = Window(end - dt.timedelta(days=days), end)
            for category in (None, "noise"):
                ours = median_time(lambda lv=level, w=window, c=category: store.metrics(lv, w, c))
                raw = median_time(
                    lambda lv=level, w=window, c=category: store.raw_metrics(lv, w, c), 3
                )
                rolled = store.metrics(level, window, category)
                if not rolled.equals(store.raw_metrics(level, window, category)):
                    raise AssertionError(f"rollups differ from the rows: {level} {days} days")
                what = f", {category}" if category else ""
                results.append(
                    Result(
                        f"{level.value} metrics, {days}-day window{what} (rollups)",
                        ours * 1000,
                        "ms",
                        baseline=raw * 1000,
                        budget=METRICS_BUDGET_MS,
                        note="baseline: group-by over the case and visit rows",
                    )
                )
    return results


def run(city: Path, as_of: dt.date) -> list[Result]:
    end = dt.datetime.combine(as_of + dt.timedelta(days=1), dt.time(), LOCAL_TZ)
    results = []
    with open_store(city, readonly=True) as store:
        cells = store.areas(Level.GRID)
        for days in (30, 365):
            window = Window(end - dt.timedelta(days=days), end)
            raw = median_time(lambda w=window: store.raw_metrics(Level.GRID, w))
            naive = median_time(lambda w=window: naive_metrics(city, cells, w), repeat=3)
            _check_agreement(store.metrics(Level.GRID, window), naive_metrics(city, cells, window))
            results.append(
                Result(
                    f"grid-cell metrics from rows, {days}-day window",
                    raw * 1000,
                    "ms",
                    baseline=naive * 1000,
                    note="baseline: load points + sjoin at read time",
                )
            )
        results += _rolled_rows(store, end)
        street = store.areas(Level.STREET)["code"].iloc[0]
        window = Window(end - dt.timedelta(days=30), end)
        ours = median_time(lambda: store.metrics(Level.GRID, window, parent=street))
        results.append(
            Result(
                "grid-cell metrics of one street, 30 days",
                ours * 1000,
                "ms",
                budget=METRICS_BUDGET_MS,
            )
        )
    return results
