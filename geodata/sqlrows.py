"""What the store's shared SQL asks of a connection that differs by backend (SQLite, PostGIS)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import pandas as pd


def on_postgis(con: Any) -> bool:
    """Whether `con` is a PostGIS store's connection (geodata.pg) rather than SQLite's."""
    return getattr(con, "postgis", False)


def frame(con: Any, sql: str, params: Sequence | Mapping = ()) -> pd.DataFrame:
    """The rows of `sql` as a frame, typed as pandas reads SQLite's."""
    if on_postgis(con):
        return con.frame(sql, params)
    given = params if isinstance(params, Mapping) else list(params)
    return pd.read_sql_query(sql, con, params=given)


def bulk_insert(con: Any, table: str, columns: Sequence[str], rows: Iterable[tuple]) -> None:
    """Insert `rows` (plain values in the order of `columns`): PostgreSQL's COPY, else one
    prepared statement run for every row."""
    if on_postgis(con):
        con.copy_rows(table, columns, rows)
        return
    marks = ", ".join("?" * len(columns))
    con.executemany(f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({marks})", rows)


def has_relation(con: Any, name: str) -> bool:
    """Whether the store has a table or index called `name`."""
    if on_postgis(con):
        return con.execute("SELECT to_regclass(?) IS NOT NULL", (name,)).fetchone()[0]
    sql = "SELECT 1 FROM sqlite_master WHERE type IN ('table', 'index') AND name = ?"
    return con.execute(sql, (name,)).fetchone() is not None
