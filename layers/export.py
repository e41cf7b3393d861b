"""Metrics per area as an export table: store metrics joined to area codes, as CSV or GeoJSON."""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import geopandas as gpd
import pandas as pd

from geodata.store import Window
from layers.panel import csv_bytes as _csv_bytes

# The export's columns, in order. These are also the stable keys: GeoJSON and GeoPackage
# property names, and the CSV header when no translated header is asked for.
AREA_COLUMNS = ("level", "code", "name", "parent_code", "street_code", "community_code")
METRIC_KEYS = (
    "households",
    "open_cases",
    "overdue_cases",
    "cases_per_1000",
    "visits_per_100",
    "days_since_visit",  # whole days; empty when the area has never been visited
    "cases",
    "visits",
    "households_reached",
    "last_visit",  # ISO date; empty when never visited
)
PERIOD_COLUMNS = ("window_first", "window_last", "category")  # ISO dates; category code or empty
COLUMNS = (*AREA_COLUMNS, *METRIC_KEYS, *PERIOD_COLUMNS)
WHOLE_NUMBERS = ("households", "open_cases", "overdue_cases", "cases", "visits")
WHOLE_NUMBERS += ("households_reached", "days_since_visit")


def metrics_table(
    areas: pd.DataFrame,
    metrics: pd.DataFrame,
    level: str,
    window: Window,
    category: str | None = None,
) -> pd.DataFrame:
    """One row per area of `areas` (by code) with its metrics and the window's first and last
    local day; a GeoDataFrame when `areas` has geometry. `metrics` is store.metrics() for the
    same window and category (index: code); an area it lacks gets empty metrics."""
    first, last = window.local_days()
    ordered = areas.sort_values("code").reset_index(drop=True)
    codes = ordered["code"].astype(str)
    found = metrics.reindex(codes.to_numpy())
    table = pd.DataFrame({"level": level, "code": codes})
    for column in AREA_COLUMNS[2:]:
        table[column] = ordered[column].to_numpy() if column in ordered else None
    for column in METRIC_KEYS:
        table[column] = _metric_column(found[column], column)
    table["window_first"] = first.isoformat()
    table["window_last"] = last.isoformat()
    table["category"] = category or ""
    table = table.astype({c: "object" for c in ("name", "parent_code", "community_code")})
    if isinstance(areas, gpd.GeoDataFrame) and "geometry" in areas:
        return gpd.GeoDataFrame(table, geometry=ordered.geometry.to_numpy(), crs=areas.crs)
    return table


def _metric_column(values: pd.Series, column: str) -> pd.Series:
    series = values.reset_index(drop=True)
    if column == "last_visit":
        return series.map(_iso_date).astype(object)
    if column in WHOLE_NUMBERS:
        return series.round().astype("Int64")
    return series.astype(float)


def _iso_date(value: object) -> str | None:
    if isinstance(value, dt.datetime):
        return value.date().isoformat()
    if isinstance(value, dt.date):
        return value.isoformat()
    return None


def combined(tables: Sequence[pd.DataFrame]) -> pd.DataFrame:
    """Several levels' tables as one, in the order given (an empty table with COLUMNS if none)."""
    frames = [pd.DataFrame(table[list(COLUMNS)]) for table in tables]
    return pd.concat(frames, ignore_index=True) if frames else pd.DataFrame(columns=list(COLUMNS))


def records(table: pd.DataFrame) -> list[dict[str, Any]]:
    """The table's rows (COLUMNS only) with plain Python values; missing values are None."""
    rows = pd.DataFrame(table[list(COLUMNS)]).to_dict("records")
    return [{key: _plain(value) for key, value in row.items()} for row in rows]


def _plain(value: object) -> object:
    if value is None or value is pd.NA or value is pd.NaT:
        return None
    if isinstance(value, float) and math.isnan(value):
        return None
    if hasattr(value, "item"):  # numpy scalars
        return value.item()
    return value


def csv_bytes(
    table: pd.DataFrame,
    headers: Mapping[str, str] | None = None,
    words: Mapping[str, Mapping[str, str]] | None = None,
) -> bytes:
    """The table as UTF-8 CSV with a BOM, formula-guarded (layers.panel.csv_bytes).

    `headers` maps column keys to header texts (default: the keys themselves); `words` maps
    a column (level, category) to the words written for its keys (default: the keys)."""
    rows: Iterable[dict[str, Any]] = records(table)
    for column, names in (words or {}).items():
        rows = [{**row, column: names.get(row[column], row[column])} for row in rows]
    header_row = [(headers or {}).get(key, key) for key in COLUMNS]
    return _csv_bytes(rows, COLUMNS, header_row)


def geo_frame(table: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """The table ready for a GIS file: COLUMNS and geometry, missing values as nulls."""
    return gpd.GeoDataFrame(table[[*COLUMNS, "geometry"]].copy(), crs=table.crs)
