"""The GeoPackage store's rollups (geodata.rollups): their tables, their upkeep in every write's
transaction, and the sums metrics read from them."""

from __future__ import annotations

import datetime as dt
import json
import sqlite3
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from itertools import groupby

import numpy as np
import pandas as pd

from .. import geopackage as gp
from .. import rollups as ru
from .. import sqlrows
from ..model import LOCAL_TZ, Level
from .meta import META_UPSERT, meta_value

TABLES = ("rollups", "rollup_codes")
SCHEMA = (
    """CREATE TABLE IF NOT EXISTS rollups (level TEXT NOT NULL, category TEXT NOT NULL,
  span TEXT NOT NULL, start INTEGER NOT NULL, part INTEGER NOT NULL, data BLOB NOT NULL,
  PRIMARY KEY (level, category, span, start, part)) WITHOUT ROWID""",
    # Per level, the codes in the order of the blocks' area indexes (JSON list, only grows).
    "CREATE TABLE IF NOT EXISTS rollup_codes (level TEXT PRIMARY KEY, codes TEXT NOT NULL)",
)
READY = "rollups"  # gridboard_meta key: READY_NOW once the rollups hold every case and visit
READY_NOW = "2"  # with cumulative blocks
READY_BEFORE = "1"  # with year and quarter blocks instead: upgraded when opened writable
THROUGH = "rollups_through"  # gridboard_meta key: the last month with cumulative blocks
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
    return meta_value(con, READY) == READY_NOW


def bring_up_to_date(con: sqlite3.Connection) -> None:
    """Rollups of the present kind, inside the caller's transaction: those of an earlier
    kind upgraded (cumulative blocks made from their months), none at all built."""
    if ready(con):
        return
    if meta_value(con, READY) == READY_BEFORE:
        upgrade(con)
    else:
        rebuild(con)


def through(con: sqlite3.Connection) -> int | None:
    """The first day of the last month with cumulative blocks (None: no rollups yet)."""
    value = meta_value(con, THROUGH)
    return None if value is None else int(value)


def copy_through(source: sqlite3.Connection, target: sqlite3.Connection) -> None:
    """With the rollup tables copied from `source`: their bound too."""
    value = meta_value(source, THROUGH)
    if value is None:
        target.execute("DELETE FROM gridboard_meta WHERE key = ?", (THROUGH,))
    else:
        target.execute(META_UPSERT, (THROUGH, value))


def _bound(con: sqlite3.Connection) -> int:
    """The first day of the month after the data's as-of day (today's, for a store without
    one): the last month the cumulative blocks are kept up to. Later days (due dates ahead,
    say) are summed from the month and day blocks: a write about today then adds to one or
    two cumulative blocks, not to every month up to the furthest due date."""
    try:
        day = dt.date.fromisoformat((meta_value(con, "as_of") or "")[:10])
    except ValueError:
        day = dt.datetime.now(LOCAL_TZ).date()
    return ru.next_month(int(np.datetime64(day, "D").astype(np.int64)))


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
    con.execute(META_UPSERT, (READY, READY_NOW))


def clear(con: sqlite3.Connection) -> None:
    """No rollups at all (as for a store with no cases and no visits)."""
    con.execute("DELETE FROM rollups")
    con.execute("DELETE FROM rollup_codes")
    con.execute("DELETE FROM gridboard_meta WHERE key = ?", (THROUGH,))


def upgrade(con: sqlite3.Connection) -> None:
    """Rollups of kind "1" (day, month, quarter and year blocks) made the present kind: the
    quarters and years dropped, each month's cumulative block summed from the months."""
    con.execute("DELETE FROM rollups WHERE span IN ('q', 'y')")
    end = _bound(con)
    sql = (
        "SELECT level, category, part, start, data FROM rollups WHERE span = ?"
        " ORDER BY level, category, part, start"
    )
    rows = con.execute(sql, (ru.MONTH,)).fetchall()
    for group, found in groupby(rows, key=lambda row: tuple(row[:3])):
        months = {start: ru.decode(data) for *_, start, data in found}
        _write_cumulative(con, group, months, end)
    if rows:
        con.execute(META_UPSERT, (THROUGH, str(end)))
    con.execute(META_UPSERT, (READY, READY_NOW))


def _write_cumulative(
    con: sqlite3.Connection, group: tuple, months: dict[int, np.ndarray], end: int
) -> None:
    """The cumulative blocks of one level, category and part, from all its month blocks."""
    level, category, part = group
    made = ru.cumulative_deltas(months, end)
    keys = [ru.Key(level, category, ru.CUM, month, part) for month, _ in made]
    _write_all(con, keys, [rows for _, rows in made])


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
    """Add events (geodata.rollups.case_events/visit_events, any sign) to the day blocks, to
    the month blocks holding those days and to the cumulative blocks of the months after."""
    if events.empty:
        return
    codes = _codes(con)
    before = {level: len(index) for level, index in codes.items()}
    days = ru.day_deltas(events, codes)
    _save_codes(con, codes, before)
    keys = list(days)
    deltas = list(days.values())
    months: dict[ru.Key, list[np.ndarray]] = defaultdict(list)
    for key, delta in zip(keys, deltas, strict=True):
        month = ru.Key(key.level, key.category, ru.MONTH, ru.month_of(key.start), key.part)
        months[month].append(delta)
    if not months:
        return
    old, bound = through(con), _bound(con)
    end = bound if old is None else max(old, bound)
    if old is not None and end > old:
        _extend(con, old, end)  # from the months as they were: before any is written
    for at in range(0, len(keys), _BATCH):
        batch = keys[at : at + _BATCH]
        olds = _read_days(con, batch)
        _write_all(
            con, batch, ru.merged_days(olds, deltas[at : at + _BATCH], [k.start for k in batch])
        )
    _add_cumulative(con, _write_months(con, months), end)
    con.execute(META_UPSERT, (THROUGH, str(end)))


def _write_months(
    con: sqlite3.Connection, months: dict[ru.Key, list[np.ndarray]]
) -> dict[ru.Key, tuple[np.ndarray, bool]]:
    """Write each month block with its deltas (of its days) added; returns each month's
    delta, combined, and whether it takes a visit away."""
    out = {key: (ru.combined(deltas), _taken(deltas)) for key, deltas in months.items()}
    blocks = [
        _summed(con, key, delta, ru.DAY, ru.next_month(key.start), taken)
        for key, (delta, taken) in out.items()
    ]
    _write_all(con, list(out), blocks)
    return out


def _taken(deltas: Iterable[np.ndarray]) -> bool:
    """Whether any of the deltas takes a visit away (their sum may hide it: one visit out
    of an area late in a month, another in early)."""
    return any((delta[:, 1 + ru.VISITS] < 0).any() for delta in deltas)


def _extend(con: sqlite3.Connection, old: int, end: int) -> None:
    """Cumulative blocks for the months after `old` up to `end`: each the one before plus
    that month's block, for every level, category and part."""
    sql = "SELECT level, category, part, data FROM rollups WHERE span = ? AND start = ?"
    for month in ru.months(old, ru.month_of(end - 1)):
        found: dict[tuple[str, str, int], list[np.ndarray]] = defaultdict(list)
        for span in (ru.CUM, ru.MONTH):
            for level, category, part, data in con.execute(sql, (span, month)).fetchall():
                found[(level, category, part)].append(ru.decode(data))
        following = ru.next_month(month)
        keys = [ru.Key(lv, cat, ru.CUM, following, part) for lv, cat, part in found]
        _write_all(con, keys, [ru.combined(blocks) for blocks in found.values()])


def _add_cumulative(
    con: sqlite3.Connection, months: dict[ru.Key, tuple[np.ndarray, bool]], end: int
) -> None:
    """Add each month's delta to the cumulative blocks of the months after it, up to the one
    starting `end`. Where visits were taken away, last_visit may go back: those blocks are
    summed again from the month blocks (written first)."""
    groups: dict[tuple[str, str, int], dict[int, np.ndarray]] = defaultdict(dict)
    taking: set[tuple[str, str, int]] = set()
    for key, (delta, taken) in months.items():
        groups[(key.level, key.category, key.part)][key.start] = delta
        if taken:
            taking.add((key.level, key.category, key.part))
    for (level, category, part), deltas in groups.items():
        made = ru.cumulative_deltas(deltas, end)
        if not made:  # every delta in or after the month of `end`
            continue
        first = made[0][0]
        olds = _blocks(con, level, category, ru.CUM, part, first, end)
        if (level, category, part) in taking:
            stored = _blocks(con, level, category, ru.MONTH, part, ru.FAR_PAST, end)
            again = dict(ru.cumulative_deltas(stored, end))
            made = [(month, again.get(month, ru.combined([]))) for month, _ in made]
            olds = {}
        keys = [ru.Key(level, category, ru.CUM, month, part) for month, _ in made]
        blocks = [ru.added(olds.get(month), rows) for month, rows in made]
        _write_all(con, keys, blocks)


def _blocks(
    con: sqlite3.Connection, level: str, category: str, span: str, part: int, first: int, last: int
) -> dict[int, np.ndarray]:
    """The stored blocks of one level, category, span and part starting from `first` to
    `last`, both in, by start."""
    sql = (
        "SELECT start, data FROM rollups WHERE level = ? AND category = ? AND span = ?"
        " AND part = ? AND start BETWEEN ? AND ?"
    )
    rows = con.execute(sql, (level, category, span, part, first, last)).fetchall()
    return {start: ru.decode(data) for start, data in rows}


def _summed(
    con: sqlite3.Connection, key: ru.Key, delta: np.ndarray, below: str, end: int, taken: bool
) -> np.ndarray:
    """A month block with `delta` added. Its last_visit is the latest of its parts: only
    when visits were `taken` away is it read again from the parts."""
    if not taken:
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


def sums_window(
    con: sqlite3.Connection, sums: Sums, start: int, end: int
) -> tuple[np.ndarray, np.ndarray]:
    """FIELDS summed over every day before `end`, and the additive FIELDS over the days
    from `start` up to `end` (last_visit: 0): that sum less the one before `start`."""
    bound = through(con)
    upto = _sums_before(con, sums, end, bound)
    blocks, sign = _read_plan(con, sums, ru.before_plan(start, bound))
    inside = upto - ru.totals(blocks, sums.size, sign)
    inside[:, ru.LAST] = 0
    return upto, inside


def _sums_before(con: sqlite3.Connection, sums: Sums, day: int, bound: int | None) -> np.ndarray:
    """FIELDS summed over every day before `day`, by area index (sums.size × FIELDS)."""
    blocks, sign = _read_plan(con, sums, ru.before_plan(day, bound))
    if any(g < 0 and block[:, 1 + ru.VISITS].any() for block, g in zip(blocks, sign, strict=True)):
        # a visit on a day taken away: the month's last_visit may be after `day`
        blocks, sign = _read_plan(con, sums, ru.before_plan(day, bound, subtract=False))
    return ru.totals(blocks, sums.size, sign)


def _read_plan(
    con: sqlite3.Connection, sums: Sums, plan: ru.Plan
) -> tuple[list[np.ndarray], list[int]]:
    """The blocks of `plan` and the sign of each."""
    clauses = " OR ".join("(span = ? AND start >= ? AND start < ?)" for _ in plan) or "FALSE"
    sql = f"SELECT span, start, data FROM rollups WHERE level = ? AND category = ? AND ({clauses})"
    params = [sums.level.value, sums.category, *(v for p in plan for v in p[:3])]
    if sums.parts is not None:
        sql += f" AND part IN ({','.join('?' * len(sums.parts)) or 'NULL'})"
        params += list(sums.parts)
    rows = con.execute(sql, params).fetchall()
    span = np.array([r[0] for r in rows], dtype=object)
    start = np.array([r[1] for r in rows], dtype=np.int64)
    return [ru.decode(r[2]) for r in rows], ru.signs(plan, span, start).tolist()
