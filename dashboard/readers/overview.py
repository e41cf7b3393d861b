"""The overview reader: every street's counts (areas, households, open, overdue, recent cases)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from typing import Any

from geodata.model import LOCAL_TZ, Level
from geodata.store import Store, Window

from .source import Source

RECENT_DAYS = 30
# The start of "all cases ever": open and overdue counts look at every case reported before
# the end of the as-of day, not only the last 30 days, since old cases stay open too.
EPOCH = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)
COUNT_COLUMNS = (
    "communities",
    "compounds",
    "grid_cells",
    "households",
    "open_cases",
    "overdue_cases",
    "cases_30d",
)


def windows(as_of: dt.date) -> tuple[Window, Window]:
    """(everything up to the end of the as-of day, the 30 days ending then), in China time."""
    end = dt.datetime.combine(as_of + dt.timedelta(days=1), dt.time(), LOCAL_TZ)
    return Window(EPOCH, end), Window(end - dt.timedelta(days=RECENT_DAYS), end)


def _children_per_street(store: Store, level: Level) -> Mapping[str, int]:
    return store.areas(level)["street_code"].value_counts().to_dict()


def _count(value: Any) -> int:
    """A count from a frame cell; a missing value (no records) counts as 0."""
    return 0 if value is None or value != value else int(value)


def street_rows(store: Store, as_of: dt.date) -> list[dict[str, Any]]:
    """One row per street: code, name and COUNT_COLUMNS; no personal data of anyone."""
    streets = store.areas(Level.STREET).sort_values("code")
    if streets.empty:
        return []
    since_start, recent = windows(as_of)
    children = {
        "communities": _children_per_street(store, Level.COMMUNITY),
        "compounds": _children_per_street(store, Level.COMPOUND),
        "grid_cells": _children_per_street(store, Level.GRID),
    }
    open_now = store.metrics(Level.STREET, since_start)
    last_30 = store.metrics(Level.STREET, recent)
    rows = []
    for code, name, households in streets[["code", "name", "households"]].itertuples(False):
        row: dict[str, Any] = {"code": str(code), "name": str(name)}
        row.update({key: int(counts.get(code, 0)) for key, counts in children.items()})
        row["households"] = _count(households)
        row["open_cases"] = _count(open_now.at[code, "open_cases"])
        row["overdue_cases"] = _count(open_now.at[code, "overdue_cases"])
        row["cases_30d"] = _count(last_30.at[code, "cases"])
        rows.append(row)
    return rows


def total_row(rows: Sequence[Mapping[str, Any]]) -> dict[str, int]:
    """The sum of every count column over `rows`."""
    return {key: sum(int(row[key]) for row in rows) for key in COUNT_COLUMNS}


def cached_street_rows(src: Source, as_of: dt.date) -> list[dict[str, Any]]:
    """street_rows through the cache, keyed by the data's revision and the as-of day."""
    parts = [src.revision(), as_of.isoformat()]
    return src.memo("overview-streets", parts, lambda: street_rows(src.store, as_of))


def visible_rows(src: Source, rows: Sequence[Mapping[str, Any]]) -> list[Mapping[str, Any]]:
    """The rows of the streets the asker sees whole (a street's totals tell of all of it)."""
    who = src.principal
    return [r for r in rows if who is None or who.sees.whole_street(str(r["code"]))]
