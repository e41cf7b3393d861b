"""The store's gridboard_meta table: the statement every part sets a value with."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from typing import Any

from ..model import LOCAL_TZ

SCHEMA_VERSION_SQL = "SELECT value FROM gridboard_meta WHERE key = 'schema_version'"
# Portable upsert (SQLite 3.24+ and PostgreSQL alike).
META_UPSERT = (
    "INSERT INTO gridboard_meta (key, value) VALUES (?, ?)"
    " ON CONFLICT (key) DO UPDATE SET value = excluded.value"
)


def meta_value(con: Any, key: str) -> str | None:
    """The value the store keeps under `key` (None: none)."""
    row = con.execute("SELECT value FROM gridboard_meta WHERE key = ?", (key,)).fetchone()
    return None if row is None else row[0]


def advance_as_of(con: Any, days: Iterable[object]) -> None:
    """Move the data's as-of day (where the map's windows end) to the latest of `days` (ISO
    dates or dates) when that is later, never past today in China: a store people work in keeps
    up with the calendar, and a record dated in the future does not drag it ahead. A store
    without an as-of day (then the map uses today) is left so."""
    latest = max((str(d)[:10] for d in days if d is not None and str(d)[:10]), default=None)
    if latest is None:
        return
    today = dt.datetime.now(LOCAL_TZ).date().isoformat()
    latest = min(latest, today)
    con.execute(
        "UPDATE gridboard_meta SET value = ? WHERE key = 'as_of' AND value < ?", (latest, latest)
    )
