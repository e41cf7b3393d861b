"""Rollups: per area, local day and category, the counts every metric is a sum of (pure part).

A case adds to the day it was reported (reported), the day it stopped being open (open_out),
the day it became overdue (overdue_in) and the day that ended (overdue_out), and the days it
was closed or rejected; a visit adds to its day (visits, households_reached). A case is open
at a local midnight when reported before it and not closed or rejected before it, so the
backlog at midnight D is the sum of reported − open_out over the days before D; overdue the
same with overdue_in − overdue_out. Windows from midnight to midnight are differences of two
such sums: rollups answer exactly what the raw group-bys answer for them.

Blocks hold the sums of one level and category over some days: for each area with anything
in it, its index in the level's code list and the FIELDS. Days are the truth; a month block
is the sum of its days, and a cumulative block the sum of every day before its month, kept
for each month up to the one after the data's as-of day. A sum over every day before a
midnight reads one cumulative block and at most half a month's days (before_plan; for a
midnight past the last cumulative block, the months since too); a window is the
difference of two such sums: two cumulative blocks and a month's days at most, however
long the window.
"""

from __future__ import annotations

import zlib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from itertools import pairwise

import numpy as np
import pandas as pd

from .model import LOCAL_TZ, Level

FIELDS = (
    "reported",
    "open_out",
    "overdue_in",
    "overdue_out",
    "closed",
    "rejected",
    "visits",
    "households_reached",
    "last_visit",  # the latest day with a visit (day number + 1; 0: none), the one maximum
)
ADDITIVE = len(FIELDS) - 1
LAST = ADDITIVE  # column of last_visit
VISITS = FIELDS.index("visits")
CASE_FIELDS = FIELDS[:6]
TOTAL = ""  # the category of the blocks over all categories
DAY, MONTH, CUM = "d", "m", "c"  # CUM: the sums of every day before a month
LEVEL_COLUMN = {
    Level.STREET: "street_code",
    Level.COMMUNITY: "community_code",
    Level.COMPOUND: "compound_code",
    Level.GRID: "grid_code",
}
_NONE = np.iinfo(np.int64).min  # a missing day
_EMPTY = np.zeros((0, len(FIELDS) + 1), dtype=np.int64)
_LOCAL_OFFSET = np.timedelta64(8, "h")  # China Standard Time, no daylight saving


PART_AREAS = 1024  # a block is stored in parts of this many area indexes: a write to a few
# areas rewrites only their parts


@dataclass(frozen=True)
class Key:
    """Which block: level, category (TOTAL for all), span, first day (days since 1970) and
    part (area index // PART_AREAS)."""

    level: str
    category: str
    span: str
    start: int
    part: int


def local_days(times: pd.Series) -> np.ndarray:
    """Local calendar day (days since 1970-01-01) of UTC times or their stored text; _NONE
    where missing."""
    parsed = pd.to_datetime(times, utc=True, format="ISO8601")
    naive = parsed.dt.tz_localize(None).to_numpy("datetime64[s]")
    days = (naive + _LOCAL_OFFSET).astype("datetime64[D]").astype(np.int64)
    return np.where(np.isnat(naive), _NONE, days)


def date_days(dates: pd.Series) -> np.ndarray:
    """Days since 1970-01-01 of local dates (date objects or ISO text)."""
    return pd.to_datetime(dates).to_numpy("datetime64[D]").astype(np.int64)


def case_events(cases: pd.DataFrame, sign: int = 1) -> pd.DataFrame:
    """What cases add to the rollups (`sign` -1: what they take away): rows of day, category,
    the area columns, field (its index in FIELDS) and weight, one per case and kind of
    event."""
    r = local_days(cases["reported_at"])
    closed = local_days(cases["closed_at"])
    rejected = local_days(cases["rejected_at"])
    ended = np.where(
        closed == _NONE, rejected, np.where(rejected == _NONE, closed, np.minimum(closed, rejected))
    )
    due = local_days(cases["due_at"])
    over = np.where(due == _NONE, _NONE, np.maximum(due, r))
    has_end = ended != _NONE
    parts = [
        (r, "reported", np.ones(len(r), bool)),
        (np.maximum(ended, r), "open_out", has_end),
        (over, "overdue_in", over != _NONE),
        (np.maximum(ended, over), "overdue_out", (over != _NONE) & has_end),
        (closed, "closed", closed != _NONE),
        (rejected, "rejected", rejected != _NONE),
    ]
    labels = _labels(cases)
    frames = [_events(labels, days, field, keep, sign) for days, field, keep in parts]
    return pd.concat(frames, ignore_index=True)


def visit_events(visits: pd.DataFrame, sign: int = 1) -> pd.DataFrame:
    """What visits add to the rollups (`sign` -1: take away), as case_events."""
    days = date_days(visits["date"])
    labels = _labels(visits)
    every = np.ones(len(days), bool)
    households = sign * visits["households_reached"].to_numpy(np.int64)
    return pd.concat(
        [
            _events(labels, days, "visits", every, sign),
            _events(labels, days, "households_reached", every, households),
        ],
        ignore_index=True,
    )


def _labels(rows: pd.DataFrame) -> dict[str, pd.Categorical]:
    """Category (TOTAL for visits) and area codes, as categoricals: each event copies small
    integer codes, and summing factorizes the codes once, not each event's text."""
    category = rows["category"] if "category" in rows else pd.Series(TOTAL, index=rows.index)
    columns = {"category": category, **{c: rows[c] for c in LEVEL_COLUMN.values()}}
    return {name: pd.Categorical(values.to_numpy(object)) for name, values in columns.items()}


def _events(
    labels: dict[str, pd.Categorical],
    days: np.ndarray,
    field: str,
    keep: np.ndarray,
    weight: int | np.ndarray,
) -> pd.DataFrame:
    out = pd.DataFrame({"day": days[keep]})
    for name, values in labels.items():
        out[name] = values[keep]
    out["field"] = np.int8(FIELDS.index(field))
    out["weight"] = weight if np.isscalar(weight) else np.asarray(weight)[keep]
    return out


def day_deltas(events: pd.DataFrame, codes: dict[str, dict[str, int]]) -> dict[Key, np.ndarray]:
    """Events summed into per-day blocks of every level, per category and over all: Key →
    rows of (area index, FIELDS), last_visit the day where the sum adds a visit. `codes`:
    per level, code → index (grown here for codes not listed yet)."""
    out: dict[Key, np.ndarray] = {}
    if events.empty:
        return out
    categories, category = pd.factorize(events["category"])
    names = [str(c) for c in category]
    total = names.index(TOTAL) if TOTAL in names else len(names)
    names += [TOTAL] if total == len(names) else []
    day = events["day"].to_numpy(np.int64)
    field = events["field"].to_numpy(np.int64)
    weight = events["weight"].to_numpy(np.int64)
    for level, column in LEVEL_COLUMN.items():
        idx = _area_indexes(events[column], codes.setdefault(level.value, {}))
        here = idx >= 0
        split = here & (categories != total)  # counted in their category and in the total
        summed = _summed_events(
            np.concatenate([categories[split], np.full(here.sum(), total)]),
            np.concatenate([day[split], day[here]]),
            np.concatenate([idx[split], idx[here]]),
            np.concatenate([field[split], field[here]]),
            np.concatenate([weight[split], weight[here]]),
        )
        for (cat, first_day, part), rows in summed:
            out[Key(level.value, names[cat], DAY, first_day, part)] = rows
    return out


def _area_indexes(column: pd.Series, index: dict[str, int]) -> np.ndarray:
    """Each row's area index in `index` (grown for new codes); -1 where no area."""
    found, uniques = pd.factorize(column)
    for code in uniques:
        index.setdefault(str(code), len(index))
    table = np.array([index[str(code)] for code in uniques], dtype=np.int64)
    return np.where(found >= 0, table[np.maximum(found, 0)] if len(table) else -1, -1)


def _summed_events(
    category: np.ndarray, day: np.ndarray, idx: np.ndarray, field: np.ndarray, weight: np.ndarray
) -> list[tuple[tuple[int, int, int], np.ndarray]]:
    """Weights summed per category, day, area index and field (areas whose sums are all zero
    dropped), in runs of one (category, day, part): ((category, day, part), rows of (index,
    FIELDS))."""
    if not len(day):
        return []
    low, areas = day.min(), idx.max() + 1
    span = day.max() - low + 1
    place = (category * span + (day - low)) * areas + idx
    key = place * ADDITIVE + field
    order = np.argsort(key)
    key = key[order]
    starts = np.flatnonzero(np.concatenate([[True], key[1:] != key[:-1]]))
    sums = np.add.reduceat(weight[order], starts)
    key = key[starts]
    place = key // ADDITIVE
    first = np.concatenate([[True], place[1:] != place[:-1]])
    row = np.cumsum(first) - 1
    matrix = np.zeros((row[-1] + 1, ADDITIVE), dtype=np.int64)
    matrix[row, key % ADDITIVE] = sums
    place = place[first]
    keep = (matrix != 0).any(axis=1)
    matrix, place = matrix[keep], place[keep]
    days = place // areas
    return _runs(days // span, days % span + low, place % areas, matrix)


def _runs(
    category: np.ndarray, day: np.ndarray, idx: np.ndarray, sums: np.ndarray
) -> list[tuple[tuple[int, int, int], np.ndarray]]:
    """Summed rows cut into runs of one (category, day, part), with last_visit."""
    part = idx // PART_AREAS
    rows = np.column_stack([idx, sums, _last_visit(sums[:, VISITS], day)])
    run = np.ones(len(day), dtype=bool)
    run[1:] = (category[1:] != category[:-1]) | (day[1:] != day[:-1]) | (part[1:] != part[:-1])
    edges = [*np.flatnonzero(run), len(day)]
    return [((int(category[a]), int(day[a]), int(part[a])), rows[a:b]) for a, b in pairwise(edges)]


# --- blocks ---------------------------------------------------------------------------------
def encode(rows: np.ndarray, span: str) -> bytes:
    """A block: rows of (area index, FIELDS), sorted by index, as little-endian int32 columns;
    day blocks (many, small, mostly zeros) compressed, month and year blocks (read by every
    metric) plain."""
    rows = rows[np.argsort(rows[:, 0], kind="stable")]
    data = np.ascontiguousarray(rows.T).astype("<i4").tobytes()
    return b"z" + zlib.compress(data, 1) if span == DAY else b"r" + data


def decode(data: bytes) -> np.ndarray:
    """The rows of (area index, FIELDS) of a block."""
    body = zlib.decompress(data[1:]) if data[:1] == b"z" else memoryview(data)[1:]
    return np.frombuffer(body, dtype="<i4").reshape(len(FIELDS) + 1, -1).T


def merged_days(
    olds: Sequence[np.ndarray | None], deltas: Sequence[np.ndarray], days: Sequence[int]
) -> list[np.ndarray]:
    """Day blocks after adding `deltas` (rows of day_deltas) to the stored `olds` (None:
    none yet), all at once: areas with nothing left are dropped; last_visit is the day where
    the sum has a visit. Sorted by area index."""
    stored = [old for old in olds if old is not None]
    block = np.repeat(
        np.arange(len(olds) * 2),
        [0 if old is None else len(old) for old in olds] + [len(d) for d in deltas],
    ) % max(len(olds), 1)
    # int32, as blocks are stored: half the memory of a city's worth of blocks at once
    rows = np.concatenate([*stored, *deltas], dtype=np.int32) if len(block) else _EMPTY
    order = np.argsort(block * (int(rows[:, 0].max(initial=0)) + 1) + rows[:, 0], kind="stable")
    block, rows = block[order], rows[order]
    new = np.ones(len(rows), dtype=bool)
    new[1:] = (block[1:] != block[:-1]) | (rows[1:, 0] != rows[:-1, 0])
    starts = np.flatnonzero(new)
    fields = rows[:, 1 : ADDITIVE + 1]
    sums = np.add.reduceat(fields, starts, axis=0) if len(starts) else fields
    block, idx = block[starts], rows[starts, 0]
    keep = (sums != 0).any(axis=1)
    block, idx, sums = block[keep], idx[keep], sums[keep]
    day = np.asarray(days, dtype=np.int64)[block] if len(block) else block
    merged = np.column_stack([idx, sums, _last_visit(sums[:, VISITS], day)])
    edges = np.searchsorted(block, np.arange(len(olds) + 1))
    return [merged[a:b] for a, b in pairwise(edges)]


def _last_visit(visits: np.ndarray, day: np.ndarray) -> np.ndarray:
    return np.where(visits > 0, day + 1, 0)


def added(old: np.ndarray | None, delta: np.ndarray) -> np.ndarray:
    """Block rows `old` (sorted by area index) with `delta` rows (unique area indexes) added:
    sums, the later last_visit; areas left with nothing are dropped. Sorted by area index."""
    if old is None or not len(old):
        out = delta.astype(np.int64)
    else:
        out = old.astype(np.int64)
        pos = np.minimum(np.searchsorted(out[:, 0], delta[:, 0]), len(out) - 1)
        hit = out[pos, 0] == delta[:, 0]
        at = pos[hit]
        out[at, 1 : ADDITIVE + 1] += delta[hit, 1 : ADDITIVE + 1]
        out[at, LAST + 1] = np.maximum(out[at, LAST + 1], delta[hit, LAST + 1])
        if not hit.all():
            out = np.concatenate([out, delta[~hit]])
    out = out[np.argsort(out[:, 0], kind="stable")]
    keep = (out[:, 1 : ADDITIVE + 1] != 0).any(axis=1) | (out[:, LAST + 1] > 0)
    return out[keep]


def combined(blocks: Iterable[np.ndarray]) -> np.ndarray:
    """Blocks of shorter spans summed into one (last_visit: the latest)."""
    rows = [b for b in blocks if len(b)]
    if not rows:
        return np.zeros((0, len(FIELDS) + 1), dtype=np.int64)
    stacked = np.concatenate(rows)
    idx, inverse = np.unique(stacked[:, 0], return_inverse=True)
    sums = np.zeros((len(idx), ADDITIVE), dtype=np.int64)
    np.add.at(sums, inverse, stacked[:, 1 : ADDITIVE + 1])
    last = np.zeros(len(idx), dtype=np.int64)
    np.maximum.at(last, inverse, stacked[:, LAST + 1])
    keep = (sums != 0).any(axis=1) | (last > 0)
    return np.column_stack([idx, sums, last])[keep]


def _start(day: int, step: int = 0) -> int:
    """First day (since 1970) of the month of `day`, `step` months on."""
    period = np.datetime64(day, "D").astype("datetime64[M]") + step
    return int(period.astype("datetime64[D]").astype(np.int64))


def month_of(day: int) -> int:
    """First day of the month of `day` (days since 1970)."""
    return _start(day)


def next_month(start: int) -> int:
    return _start(start, 1)


def months(first: int, last: int) -> list[int]:
    """First days of the months from the month starting `first` up to `last`'s, both in."""
    span = np.arange(
        np.datetime64(first, "D").astype("datetime64[M]"),
        np.datetime64(last, "D").astype("datetime64[M]") + 1,
    )
    return span.astype("datetime64[D]").astype(np.int64).tolist()


FAR_PAST = -(10**9)  # a day before any

# A plan of blocks to sum: (span, first start, end start, sign) — every block of the span
# starting in [first, end), added (1) or taken away (-1).
Plan = list[tuple[str, int, int, int]]


def before_plan(day: int, through: int | None, subtract: bool = True) -> Plan:
    """The blocks whose signed sum is the sum over every day before `day`, where cumulative
    blocks are kept up to the month starting `through` (None: no rollups at all): the
    cumulative block of `day`'s month (or of `through`, and the months from it on) and that
    month's days before `day`; or, where those days are more than the rest of the month's
    (and `subtract`), the same up to the next month, less the days from `day` on. The second
    sums additive fields alike; its last_visit is right only when the days taken away had no
    visit."""
    if through is None:
        return []
    month = month_of(day)
    following = next_month(month)
    if subtract and day - month > 1 + following - day:
        upto, days = following, (DAY, day, following, -1)
    else:
        upto, days = month, (DAY, month, day, 1)
    base = min(upto, through)
    plan = [(CUM, base, base + 1, 1), (MONTH, base, upto, 1), days]
    return [(span, first, end, sign) for span, first, end, sign in plan if first < end]


def cumulative_deltas(deltas: dict[int, np.ndarray], through: int) -> list[tuple[int, np.ndarray]]:
    """What each cumulative block takes from month deltas (month start → rows, as
    day_deltas'): for every month after the first delta's, up to the one starting
    `through`, the deltas of the months before it combined (last_visit: the latest)."""
    out: list[tuple[int, np.ndarray]] = []
    if not deltas:
        return out
    running = _EMPTY
    for month in months(next_month(min(deltas)), through):
        before = month_of(month - 1)
        if before in deltas:
            running = combined([running, deltas[before]])
        out.append((month, running))
    return out


def signs(plan: Plan, span: np.ndarray, start: np.ndarray) -> np.ndarray:
    """The sign of each block read (its span and start) in `plan`."""
    out = np.zeros(len(start), dtype=np.int64)
    for kind, first, end, sign in plan:
        out[(span == kind) & (start >= first) & (start < end)] = sign
    return out


def totals(blocks: Sequence[np.ndarray], size: int, sign: Sequence[int]) -> np.ndarray:
    """Blocks added or (sign -1) taken away, summed into one dense array (size × FIELDS) by
    area index; last_visit the latest of the blocks added."""
    sums = np.zeros((size, ADDITIVE), dtype=np.int64)
    last = np.zeros(size, dtype=np.int64)
    for block, g in zip(blocks, sign, strict=True):
        at = _rows_of(block[:, 0])
        if g < 0:
            sums[at] -= block[:, 1 : ADDITIVE + 1]
            continue
        sums[at] += block[:, 1 : ADDITIVE + 1]
        last[at] = np.maximum(last[at], block[:, LAST + 1])
    return np.column_stack([sums, last])


def _rows_of(idx: np.ndarray) -> slice | np.ndarray:
    """Where a block's rows go (its area indexes, sorted, each once): a slice when they run
    without a gap, as in most month and cumulative blocks (four times faster to add)."""
    if len(idx) and idx[-1] - idx[0] + 1 == len(idx):
        return slice(int(idx[0]), int(idx[-1]) + 1)
    return idx


def local_midnight_day(moment: pd.Timestamp) -> int | None:
    """The day (since 1970) a local midnight starts, or None for any other moment."""
    local = pd.Timestamp(moment).tz_convert(LOCAL_TZ)
    if local != local.normalize():
        return None
    return int(np.datetime64(local.date(), "D").astype(np.int64))


def last_visit_dates(last: pd.Series) -> pd.Series:
    """last_visit values (day number + 1; 0: none) as dates (NaT for none)."""
    days = last.to_numpy(np.int64) - 1
    dates = np.where(days >= 0, days, np.iinfo(np.int64).min).astype("datetime64[D]")
    return pd.Series(dates.astype("datetime64[ns]"), index=last.index)
