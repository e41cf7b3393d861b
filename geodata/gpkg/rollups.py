"""The GeoPackage store's rollups (geodata.rollups): their tables, their upkeep in every write's
transaction, and the sums metrics read from them."""

from __future__ import annotations

import json
import sqlite3
from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from .. import geopackage as gp
from .. import rollups as ru
from .. import sqlrows
from ..model import Level
from .meta import META_UPSERT

TABLES = ("rollups", "rollup_codes")
SCHEMA = (
    """CREATE TABLE IF NOT EXISTS rollups (level TEXT NOT NULL, category TEXT NOT NULL,
  span TEXT NOT NULL, start INTEGER NOT NULL, part INTEGER NOT NULL, data BLOB NOT NULL,
  PRIMARY KEY (level, category, span, start, part)) WITHOUT ROWID""",
    # Per level, the codes in the order of the blocks' area indexes (JSON list, only grows).
    "CREATE TABLE IF NOT EXISTS rollup_codes (level TEXT PRIMARY KEY, codes TEXT NOT NULL)",
)
READY = "rollups"  # gridboard_meta key: "1" once the rollups hold every case and visit
_CASE_COLUMNS = "category, reported_at, closed_at, rejected_at, due_at"
_AREAS = "street_code, community_code, compound_code, grid_code"
REBUILD_ROWS = 2_000_000  # cases (or visits) turned into rollup events at once
_BATCH = 4096  # day blocks merged at once: few numpy calls, bounded memory


def init(con: sqlite3.Connection) -> None:
    """Add the rollup tables (idempotent), inside the caller's transaction."""
    for statement in SCHEMA:
        con.execute(statement)
    for table in TABLES:
        gp.register_layer(con, table, None)


def exists(con: sqlite3.Connection) -> bool:
    """Whether the store has the rollup tables (a store written before them has not)."""
    return sqlrows.has_relation(con, "rollups")


def ready(con: sqlite3.Connection) -> bool:
    """Whether the rollups hold every case and visit (else metrics count raw rows)."""
    row = con.execute("SELECT value FROM gridboard_meta WHERE key = ?", (READY,)).fetchone()
    return row is not None and row[0] == "1"


def rebuild(
    con: sqlite3.Connection, cases: pd.DataFrame | None = None, visits: pd.DataFrame | None = None
) -> None:
    """The rollups made again from every case and visit: those given (all the store holds,
    as written), else those read from the store."""
    clear(con)
    if cases is None:
        cases = sqlrows.frame(con, f"SELECT {_CASE_COLUMNS}, {_AREAS} FROM cases")
    if visits is None:
        visits = sqlrows.frame(con, f"SELECT date, households_reached, {_AREAS} FROM visits")
    add_rows(con, cases, visits)
    con.execute(META_UPSERT, (READY, "1"))


def clear(con: sqlite3.Connection) -> None:
    """No rollups at all (as for a store with no cases and no visits)."""
    con.execute("DELETE FROM rollups")
    con.execute("DELETE FROM rollup_codes")


def _codes_in(frames: Iterable[pd.DataFrame], column: str) -> list[str]:
    """The codes in `column` of the frames, in order."""
    found = [f[column].dropna().unique() for f in frames if column in f]
    return sorted({str(code) for codes in found for code in codes})


def add_codes(con: sqlite3.Connection, codes: dict[Level, Iterable[str]]) -> None:
    """Give areas not indexed yet their indexes in the blocks, in the order given, ahead of
    their events: codes in order keep a street's or a community's areas in few parts, which
    is all that metrics within it read."""
    index = _codes(con)
    before = {level: len(known) for level, known in index.items()}
    for level, given in codes.items():
        known = index.setdefault(level.value, {})
        for code in given:
            known.setdefault(str(code), len(known))
    _save_codes(con, index, before)


def add_rows(con: sqlite3.Connection, cases: pd.DataFrame, visits: pd.DataFrame) -> None:
    """Add new cases and visits (rows as written) to the rollups; their new areas indexed
    in the order of their codes."""
    add_codes(con, {level: _codes_in((cases, visits), c) for level, c in ru.LEVEL_COLUMN.items()})
    # In parts, so that memory stays bounded: the sums of the parts are the sums of the whole.
    for rows, events in ((cases, ru.case_events), (visits, ru.visit_events)):
        for start in range(0, len(rows), REBUILD_ROWS):
            add(con, events(rows.iloc[start : start + REBUILD_ROWS]))


def move(con: sqlite3.Connection, table: str, key: str, updates: pd.DataFrame) -> None:
    """Rollup upkeep for rows of `table` (cases or visits) about to take the areas in
    `updates` (columns `key` and the area columns): out of their old areas, into the new, in
    one step, so that levels whose area stays the same see no change at all."""
    if updates.empty:
        return
    columns = _CASE_COLUMNS if table == "cases" else "date, households_reached"
    old = _rows(con, table, f"{key}, {columns}, {_AREAS}", key, updates[key].tolist())
    areas = _AREAS.split(", ")
    new = old.drop(columns=areas).merge(updates[[key, *areas]], on=key, how="inner")
    events = ru.case_events if table == "cases" else ru.visit_events
    add(con, pd.concat([events(old, -1), events(new)], ignore_index=True))


def _rows(con: sqlite3.Connection, table: str, columns: str, key: str, values) -> pd.DataFrame:
    keys = f"rollup_{key}s"  # fid: whole numbers; id: text
    kind = "BIGINT" if key == "fid" else "TEXT"
    con.execute(f"CREATE TEMP TABLE IF NOT EXISTS {keys} (key {kind} PRIMARY KEY)")
    con.execute(f"DELETE FROM {keys}")
    rows = ((v,) for v in values)
    con.executemany(f"INSERT INTO {keys} (key) VALUES (?) ON CONFLICT DO NOTHING", rows)
    sql = f"SELECT {columns} FROM {table} WHERE {key} IN (SELECT key FROM {keys})"
    return sqlrows.frame(con, sql)


# --- upkeep ---------------------------------------------------------------------------------
def add(con: sqlite3.Connection, events: pd.DataFrame) -> None:
    """Add events (geodata.rollups.case_events/visit_events, any sign) to the day blocks, and
    to the month, quarter and year blocks holding those days."""
    if events.empty:
        return
    codes = _codes(con)
    before = {level: len(index) for level, index in codes.items()}
    days = ru.day_deltas(events, codes)
    _save_codes(con, codes, before)
    keys = list(days)
    deltas = list(days.values())
    for at in range(0, len(keys), _BATCH):
        batch = keys[at : at + _BATCH]
        olds = _read_days(con, batch)
        _write_all(
            con, batch, ru.merged_days(olds, deltas[at : at + _BATCH], [k.start for k in batch])
        )
    months: dict[ru.Key, list[np.ndarray]] = defaultdict(list)
    for key, delta in zip(keys, deltas, strict=True):
        month = ru.Key(key.level, key.category, ru.MONTH, ru.month_of(key.start), key.part)
        months[month].append(delta)
    quarters = _roll_up(con, months, ru.DAY, ru.next_month, ru.QUARTER, ru.quarter_of)
    years = _roll_up(con, quarters, ru.MONTH, ru.next_quarter, ru.YEAR, ru.year_of)
    _roll_up(con, years, ru.QUARTER, ru.next_year, None, None)


def _roll_up(
    con: sqlite3.Connection,
    spans: dict[ru.Key, list[np.ndarray]],
    below: str,
    end_of: Callable[[int], int],
    upper: str | None,
    start_of: Callable[[int], int] | None,
) -> dict[ru.Key, list[np.ndarray]]:
    """Write each block of `spans` with its deltas added (made of blocks of span `below`);
    return the deltas of the blocks of span `upper` holding them."""
    out: dict[ru.Key, list[np.ndarray]] = defaultdict(list)
    blocks = []
    for key, deltas in spans.items():
        delta = ru.combined(deltas)
        blocks.append(_summed(con, key, delta, below, end_of(key.start)))
        if upper is not None and start_of is not None:
            up = ru.Key(key.level, key.category, upper, start_of(key.start), key.part)
            out[up].append(delta)
    _write_all(con, list(spans), blocks)  # read by the next span up: written before it
    return out


def _summed(
    con: sqlite3.Connection, key: ru.Key, delta: np.ndarray, below: str, end: int
) -> np.ndarray:
    """A month or year block with `delta` added. Its last_visit is the latest of its parts:
    only when visits were taken away is it read again from the parts."""
    if (delta[:, 1 + ru.VISITS] >= 0).all():
        return ru.added(_read(con, key), delta)
    parts = [
        ru.decode(data)
        for (data,) in con.execute(
            "SELECT data FROM rollups WHERE level = ? AND category = ? AND span = ?"
            " AND start >= ? AND start < ? AND part = ?",
            (key.level, key.category, below, key.start, end, key.part),
        )
    ]
    return ru.combined(parts)


def _read_days(con: sqlite3.Connection, keys: list[ru.Key]) -> list[np.ndarray | None]:
    """The stored day blocks of `keys` (None where there is none): one query per level,
    category and part, over the days between the first and the last asked for."""
    runs: dict[tuple[str, str, int], list[int]] = defaultdict(list)
    for key in keys:
        runs[(key.level, key.category, key.part)].append(key.start)
    found: dict[ru.Key, np.ndarray] = {}
    sql = (
        "SELECT start, data FROM rollups WHERE level = ? AND category = ? AND span = ?"
        " AND part = ? AND start BETWEEN ? AND ?"
    )
    for (level, category, part), days in runs.items():
        asked = (level, category, ru.DAY, part, min(days), max(days))
        for start, data in con.execute(sql, asked):
            found[ru.Key(level, category, ru.DAY, start, part)] = data
    return [ru.decode(found[k]) if k in found else None for k in keys]


def _read(con: sqlite3.Connection, key: ru.Key) -> np.ndarray | None:
    row = con.execute(
        "SELECT data FROM rollups WHERE level = ? AND category = ? AND span = ? AND start = ?"
        " AND part = ?",
        (key.level, key.category, key.span, key.start, key.part),
    ).fetchone()
    return ru.decode(row[0]) if row else None


def _write_all(con: sqlite3.Connection, keys: list[ru.Key], blocks: list[np.ndarray]) -> None:
    """Store each block under its key; a block with no rows is deleted."""
    where = [(k.level, k.category, k.span, k.start, k.part) for k in keys]
    con.executemany(
        "DELETE FROM rollups WHERE level = ? AND category = ? AND span = ? AND start = ?"
        " AND part = ?",
        (w for w, rows in zip(where, blocks, strict=True) if not len(rows)),
    )
    con.executemany(
        "INSERT INTO rollups (level, category, span, start, part, data) VALUES (?, ?, ?, ?, ?, ?)"
        " ON CONFLICT (level, category, span, start, part) DO UPDATE SET data = excluded.data",
        ((*w, ru.encode(rows, w[2])) for w, rows in zip(where, blocks, strict=True) if len(rows)),
    )


def _codes(con: sqlite3.Connection) -> dict[str, dict[str, int]]:
    out: dict[str, dict[str, int]] = {}
    for level, text in con.execute("SELECT level, codes FROM rollup_codes"):
        out[level] = {code: i for i, code in enumerate(json.loads(text))}
    return out


def _save_codes(con: sqlite3.Connection, codes: dict[str, dict[str, int]], before: dict) -> None:
    for level, index in codes.items():
        if len(index) != before.get(level, 0):
            ordered = sorted(index, key=index.__getitem__)
            con.execute(
                "INSERT INTO rollup_codes (level, codes) VALUES (?, ?)"
                " ON CONFLICT (level) DO UPDATE SET codes = excluded.codes",
                (level, json.dumps(ordered)),
            )


# --- reading --------------------------------------------------------------------------------
def codes(con: sqlite3.Connection, level: Level) -> list[str]:
    """The codes of `level` in the order of the blocks' area indexes."""
    row = con.execute("SELECT codes FROM rollup_codes WHERE level = ?", (level.value,)).fetchone()
    return json.loads(row[0]) if row else []


@dataclass(frozen=True)
class Sums:
    """What to sum: the level and category, how many areas the level's codes() list, and
    the parts of the blocks to read (None: all)."""

    level: Level
    category: str
    size: int
    parts: Sequence[int] | None = None


def parts_of(at: np.ndarray) -> list[int]:
    """The parts of the blocks that hold the areas at the indexes `at` (-1: none)."""
    return sorted(set((at[at >= 0] // ru.PART_AREAS).tolist()))


def sums_before(con: sqlite3.Connection, sums: Sums, day: int) -> np.ndarray:
    """FIELDS summed over every day before `day`, by area index (sums.size × FIELDS)."""
    blocks, sign = _read_plan(con, sums, ru.before_plan(day))
    if any(g < 0 and block[:, 1 + ru.VISITS].any() for block, g in zip(blocks, sign, strict=True)):
        # a visit on a day taken away: the month's last_visit may be after `day`
        plan = [(span, first, end, 1) for span, first, end in ru.before(day)]
        blocks, sign = _read_plan(con, sums, plan)
    return ru.totals(blocks, sums.size, sign)


def sums_between(con: sqlite3.Connection, sums: Sums, start: int, end: int) -> np.ndarray:
    """The additive FIELDS summed over the days from `start` up to `end`, by area index
    (last_visit: 0)."""
    blocks, sign = _read_plan(con, sums, ru.between_plan(start, end))
    out = ru.totals(blocks, sums.size, sign)
    out[:, ru.LAST] = 0  # a month block less days: its last_visit may lie outside
    return out


def _read_plan(
    con: sqlite3.Connection, sums: Sums, plan: ru.Plan
) -> tuple[list[np.ndarray], list[int]]:
    """The blocks of `plan` (in the order of their days) and the sign of each."""
    clauses = " OR ".join("(span = ? AND start >= ? AND start < ?)" for _ in plan) or "FALSE"
    sql = f"SELECT span, start, data FROM rollups WHERE level = ? AND category = ? AND ({clauses})"
    params = [sums.level.value, sums.category, *(v for p in plan for v in p[:3])]
    if sums.parts is not None:
        sql += f" AND part IN ({','.join('?' * len(sums.parts)) or 'NULL'})"
        params += list(sums.parts)
    sql += " ORDER BY start"  # last_visit: from the latest block with a visit
    rows = con.execute(sql, params).fetchall()
    span = np.array([r[0] for r in rows], dtype=object)
    start = np.array([r[1] for r in rows], dtype=np.int64)
    return [ru.decode(r[2]) for r in rows], ru.signs(plan, span, start).tolist()
