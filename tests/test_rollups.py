"""Rollups: every metric read from them equals the same metric counted from the raw rows, on
the demo and on random small cities after random sequences of writes."""

from __future__ import annotations

import datetime as dt
import sqlite3
import tempfile
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pandas.testing import assert_frame_equal
from shapely.geometry import box

from geodata import rollups
from geodata.backends import open_store
from geodata.city import COLUMNS
from geodata.gpkg import rollups as rollup_store
from geodata.model import CATEGORIES, LOCAL_TZ, Level
from geodata.store import Store, Window
from layers.view import data_as_of, window_of
from tests import storekit
from tests import tiny_city as tc
from tests.conftest import STORE_KINDS

LEVELS = tuple(Level)
CATEGORY_CODES = [c.code for c in CATEGORIES]
BUILDINGS = [f"{tc.GARDEN}-0{i}" for i in range(1, 5)] + [f"{tc.XINTIANDI}-0{i}" for i in (1, 2)]


def assert_agree(store: Store, level: Level, window: Window, category=None, parent=None) -> None:
    rolled = store.metrics(level, window, category=category, parent=parent)
    raw = store.raw_metrics(level, window, category=category, parent=parent)
    assert_frame_equal(rolled, raw, check_dtype=False)


# --- the demo ---------------------------------------------------------------------------------
@pytest.mark.parametrize("level", LEVELS)
def test_rollups_agree_with_the_rows_on_the_demo(street_store: Store, level: Level) -> None:
    as_of = data_as_of(street_store.meta())
    street = str(street_store.areas(Level.STREET)["code"].iloc[0])
    community = str(street_store.areas(Level.COMMUNITY)["code"].iloc[0])
    # past windows whose ends fall late in a month: months less their other days
    for choice in ("7d", "30d", "90d", "2025-12-30..2026-03-02", "2026-03-01..2026-03-25",
                   "2026-10-03..2026-11-20"):  # fmt: skip
        window = window_of(choice, as_of)
        for category in (None, "noise", "emergency"):
            assert_agree(street_store, level, window, category)
    year = window_of(f"{as_of - dt.timedelta(days=364)}..{as_of}", as_of)
    for parent in (street, community):
        if level in (Level.STREET, Level.COMMUNITY) and parent == community:
            continue
        assert_agree(street_store, level, year, "sanitation", parent)


def test_the_demo_metrics_come_from_the_rollups(street_store: Store, street_store_path) -> None:
    """Changing a block changes the answer: metrics really read the rollups."""
    as_of = data_as_of(street_store.meta())
    window = window_of("30d", as_of)
    with tempfile.TemporaryDirectory() as folder:
        copy = Path(folder) / "copy.gpkg"
        copy.write_bytes(street_store_path.read_bytes())
        con = sqlite3.connect(copy)
        with con:
            con.execute("DELETE FROM rollups WHERE level = 'grid' AND category = ''")
        con.close()
        with open_store(copy, readonly=True) as store:
            rolled = store.metrics(Level.GRID, window)
            assert rolled["cases"].sum() == 0 and rolled["visits"].sum() == 0
            assert store.raw_metrics(Level.GRID, window)["cases"].sum() > 0


def test_a_window_not_from_midnight_is_counted_from_the_rows(street_store: Store) -> None:
    as_of = data_as_of(street_store.meta())
    end = dt.datetime.combine(as_of, dt.time(15, 30), LOCAL_TZ)
    window = Window(end - dt.timedelta(days=10), end)
    assert_agree(street_store, Level.GRID, window)


def test_a_store_from_before_the_rollups_gets_them_when_opened_writable(
    street_store_path, tmp_path
) -> None:
    copy = tmp_path / "old.gpkg"
    copy.write_bytes(street_store_path.read_bytes())
    con = sqlite3.connect(copy)
    with con:
        con.execute("DROP TABLE rollups")
        con.execute("DROP TABLE rollup_codes")
        con.execute("DELETE FROM gridboard_meta WHERE key = ?", (rollup_store.READY,))
    con.close()
    with open_store(copy, readonly=True) as old:  # read-only: counted from the rows
        window = window_of("30d", data_as_of(old.meta()))
        expected = old.raw_metrics(Level.COMPOUND, window)
        assert_frame_equal(old.metrics(Level.COMPOUND, window), expected)
        revision = old.revision()
    with open_store(copy) as store:
        assert rollup_store.ready(store._connect())
        assert store.revision() == revision  # derived data: caches stay valid
        assert_frame_equal(store.metrics(Level.COMPOUND, window), expected, check_dtype=False)


# --- random small cities, random writes -------------------------------------------------------
def _case(n: int, draw) -> dict:
    """A random case somewhere in (or just outside) the tiny city."""
    x = draw(st.floats(-50, 850))
    y = draw(st.floats(-50, 450))
    reported = tc.local(-draw(st.integers(0, 400)), draw(st.integers(0, 23)))
    row = tc.case_row(f"R{n}", draw(st.sampled_from(CATEGORY_CODES)), x, y, reported, "dispatched")
    ending = draw(st.sampled_from(["open", "closed", "rejected"]))
    if ending != "open":
        row[f"{ending}_at"] = reported + pd.Timedelta(hours=draw(st.integers(0, 3000)))
        row["status"] = ending
    if draw(st.booleans()):
        row["due_at"] = None
    return row


def _visit(n: int, draw) -> tuple:
    day = tc.AS_OF - dt.timedelta(days=draw(st.integers(0, 400)))
    reached = draw(st.integers(0, 80))
    return (f"RV{n}", "P1", day, draw(st.sampled_from(BUILDINGS)), reached, 0, 0)


def _cell(draw) -> gpd.GeoDataFrame:
    """One of the tiny city's cells with a new outline (cases and visits move with it)."""
    code = draw(st.sampled_from(sorted(tc.CELLS)))
    minx, miny, maxx, maxy = tc.CELLS[code]
    grow = draw(st.floats(-150, 150))
    shape = box(tc.X0 + minx, tc.Y0 + miny, tc.X0 + maxx + grow, tc.Y0 + maxy)
    return gpd.GeoDataFrame({"code": [code], "name": ["新网格"]}, geometry=[shape], crs=tc.CRS)


def _write(store: Store, kind: str, n: int, draw) -> None:
    if kind == "cases":
        rows = [_case(n * 10 + i, draw) for i in range(draw(st.integers(1, 6)))]
        store.add_cases(pd.DataFrame(rows))
    elif kind == "visits":
        rows = [_visit(n * 10 + i, draw) for i in range(draw(st.integers(1, 4)))]
        store.add_visits(pd.DataFrame(rows, columns=list(COLUMNS["visits"])))
    else:
        store.write_areas(Level.GRID, _cell(draw))


@pytest.mark.parametrize("kind", STORE_KINDS)
@settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
@given(st.data())
def test_rollups_agree_with_the_rows_after_any_writes(kind, request, data) -> None:
    draw = data.draw
    with storekit.fresh_store(kind, request) as store:
        store.write_city(tc.build())
        kinds = draw(st.lists(st.sampled_from(["cases", "visits", "cell"]), max_size=5))
        for n, kind in enumerate(kinds):
            _write(store, kind, n, draw)
        level = draw(st.sampled_from(LEVELS))
        start = draw(st.integers(0, 420))
        days = draw(st.integers(1, 420))
        first = dt.datetime.combine(tc.AS_OF - dt.timedelta(days=start), dt.time(), LOCAL_TZ)
        window = Window(first, first + dt.timedelta(days=days))
        category = draw(st.sampled_from([None, *CATEGORY_CODES]))
        assert_agree(store, level, window, category)
        assert_agree(store, level, window, category, parent=tc.STREET)
        if level in (Level.COMPOUND, Level.GRID):
            assert_agree(store, level, window, category, parent=tc.YUNHE)


@pytest.mark.parametrize("kind", STORE_KINDS)
def test_the_raw_and_rolled_backlog_match_by_hand(kind, request) -> None:
    """The tiny city counted by hand: C1, C2, C4 and C6 open at the end of the as-of day;
    C1 (48 h), C4 (72 h) and C6 (24 h) past due by then; visits V1, V2 and V4 in 30 days."""
    with storekit.fresh_store(kind, request) as store:
        store.write_city(tc.build())
        window = window_of("30d", tc.AS_OF)
        street = store.metrics(Level.STREET, window).loc[tc.STREET]
        assert (street["open_cases"], street["overdue_cases"]) == (4, 3)
        assert np.isclose(street["visits"], 3)


@pytest.mark.parametrize("kind", STORE_KINDS)
def test_a_later_visit_moved_out_and_an_earlier_one_in_take_the_last_visit_back(
    kind, request
) -> None:
    """运河社区's two cells swap halves: the north cell loses 1号楼 (V1, a day before the
    as-of day) and gains 4号楼 (a visit on the 10th) in one write. Its visits that month
    sum to no change, but its last visit is now V2's, eight days back."""
    with storekit.fresh_store(kind, request) as store:
        store.write_city(tc.build())
        early = tc.AS_OF.replace(day=10)
        row = ("RV1", "P1", early, f"{tc.GARDEN}-04", 10, 0, 0)
        store.add_visits(pd.DataFrame([row], columns=list(COLUMNS["visits"])))
        north, south = tc.YUNHE + "001", tc.YUNHE + "002"
        swapped = gpd.GeoDataFrame(
            {"code": [north, south], "name": ["东半", "西半"]},
            geometry=[
                box(tc.X0 + 200, tc.Y0, tc.X0 + 400, tc.Y0 + 400),
                box(tc.X0, tc.Y0, tc.X0 + 200, tc.Y0 + 400),
            ],
            crs=tc.CRS,
        )
        store.write_areas(Level.GRID, swapped)
        for days in ("7d", "30d"):
            window = window_of(days, tc.AS_OF)
            assert_agree(store, Level.GRID, window)
            cells = store.metrics(Level.GRID, window)
            assert cells.loc[north, "days_since_visit"] == 8  # V2, not V1 (moved out)


# --- the blocks a sum reads ---------------------------------------------------------------------
def _days_of(span: str, start: int, far: int) -> range:
    """The days a block sums: a day, a month, or every day before a month (from `far`)."""
    if span == rollups.DAY:
        return range(start, start + 1)
    if span == rollups.MONTH:
        return range(start, rollups.next_month(start))
    return range(far, start)


def _signed_days(plan: rollups.Plan, far: int) -> dict[int, int]:
    """How many times each day counts in a plan's signed sum (from `far` on)."""
    counted: dict[int, int] = {}
    for span, first, end, sign in plan:
        step = rollups.DAY if span == rollups.DAY else rollups.MONTH
        starts = range(first, end) if step == rollups.DAY else rollups.months(first, end - 1)
        for start in (d for d in starts if first <= d < end):
            for day in _days_of(span, start, far):
                counted[day] = counted.get(day, 0) + sign
    return {day: n for day, n in counted.items() if n}


@given(st.integers(19_000, 21_000), st.integers(-500, 500), st.booleans())
def test_a_before_plan_counts_each_day_before_once(day: int, ahead: int, subtract: bool) -> None:
    """Every day before `day` counts once, whether the last cumulative block is after it or
    before (then the months since are read too); at most half a month's days are read."""
    through = rollups.month_of(day + ahead)
    far = min(day, through) - 800
    plan = rollups.before_plan(day, through, subtract)
    assert _signed_days(plan, far) == dict.fromkeys(range(far, day), 1)
    assert [span for span, *_ in plan].count(rollups.CUM) == 1
    assert sum(e - f for s, f, e, _ in plan if s == rollups.DAY) <= (16 if subtract else 30)
    months = [m for s, f, e, _ in plan if s == rollups.MONTH for m in rollups.months(f, e - 1)]
    assert len(months) <= max(0, (day - through) // 28 + 1)


def test_the_last_visit_of_a_sum_is_the_latest_whatever_the_order_of_its_blocks() -> None:
    """A cumulative block and the first day of its month start on the same day: the order
    the database gives them in must not matter."""
    cumulative = np.array([[0, 1, 0, 0, 0, 0, 0, 3, 40, 20_000]])
    day = np.array([[0, 0, 0, 0, 0, 0, 0, 1, 10, 20_031]])
    for blocks in ([cumulative, day], [day, cumulative]):
        summed = rollups.totals(blocks, 1, [1, 1])
        assert summed.tolist() == [[1, 0, 0, 0, 0, 0, 4, 50, 20_031]]


def test_with_no_rollups_a_plan_reads_nothing() -> None:
    assert rollups.before_plan(20_000, None) == []


@given(
    st.dictionaries(st.integers(0, 40), st.integers(-3, 9), min_size=1, max_size=8),
    st.integers(0, 12),
)
def test_cumulative_deltas_sum_every_month_before(counts: dict[int, int], beyond: int) -> None:
    """Month deltas (here of one area, `reported` only) make each cumulative block the sum
    of the months before it, from the month after the first delta's up to `through`."""
    first = rollups.month_of(20_000)
    month = [rollups.months(first, first + 31 * 60)[n] for n in range(60)]
    deltas = {month[n]: np.array([[7, c, 0, 0, 0, 0, 0, 0, 0, 0]]) for n, c in counts.items()}
    through = month[max(counts) + 1 + beyond]
    made = rollups.cumulative_deltas(deltas, through)
    assert [m for m, _ in made] == rollups.months(month[min(counts) + 1], through)
    for start, rows in made:
        expected = sum(c for n, c in counts.items() if month[n] < start)
        assert (rows[:, 1].sum() if len(rows) else 0) == expected


def test_rollups_of_the_earlier_kind_are_upgraded_when_opened_writable(store_factory) -> None:
    """A store whose rollups have quarter and year blocks and no cumulative ones (kind "1")
    counts from the rows when opened read-only, and gets cumulative blocks, the same metrics
    and no quarters or years when first opened writable."""
    store = store_factory(create=True)
    store.write_city(tc.build())
    store.close()
    store_factory.raw("DELETE FROM rollups WHERE span = 'c'")
    store_factory.raw("UPDATE gridboard_meta SET value = '1' WHERE key = ?", (rollup_store.READY,))
    store_factory.raw("DELETE FROM gridboard_meta WHERE key = ?", (rollup_store.THROUGH,))
    store_factory.raw("INSERT INTO rollups VALUES ('grid', '', 'y', 0, 0, ?)", (b"r-",))
    windows = [window_of(w, tc.AS_OF) for w in ("7d", "90d", "2025-06-01..2026-11-28")]
    old = store_factory(readonly=True)
    for level in LEVELS:
        for window in windows:
            assert_agree(old, level, window)  # from the rows: no cumulative blocks to read
    old.close()
    upgraded = store_factory()
    assert rollup_store.ready(upgraded.sql_connection())
    spans = {r[0] for r in store_factory.raw("SELECT DISTINCT span FROM rollups")}
    assert spans == {rollups.DAY, rollups.MONTH, rollups.CUM}
    for level in LEVELS:
        for window in windows:
            assert_agree(upgraded, level, window)


@pytest.mark.parametrize("kind", STORE_KINDS)
def test_rollups_built_in_parts_are_the_rollups_of_the_whole(kind, request, monkeypatch) -> None:
    """A region's cases and visits are rolled up a part at a time: the same sums."""
    monkeypatch.setattr(rollup_store, "REBUILD_ROWS", 2)
    with storekit.fresh_store(kind, request) as store:
        store.write_city(tc.build())
        for level in LEVELS:
            for days in ("7d", "90d", "2025-06-01..2026-11-28"):
                assert_agree(store, level, window_of(days, tc.AS_OF), None)


def test_metrics_within_an_area_read_only_the_parts_that_hold_it(store_factory, monkeypatch):
    """Areas are indexed in the order of their codes, so a community's cells share parts;
    its metrics read those parts only (here, two cells a part: a community's cells)."""
    monkeypatch.setattr(rollups, "PART_AREAS", 2)
    window = window_of("2025-06-01..2026-11-28", tc.AS_OF)
    store = store_factory(create=True)
    store.write_city(tc.build())
    codes = rollup_store.codes(store.sql_connection(), Level.GRID)
    assert codes == sorted(codes) and set(codes) <= set(tc.CELLS)
    assert [c[:12] for c in codes] == [tc.YUNHE, tc.YUNHE, tc.JINXIU]  # parts 0, 0, 1
    store_factory.raw("UPDATE rollups SET data = ? WHERE level = 'grid' AND part = 1", (b"r-",))
    assert_agree(store, Level.GRID, window, None, tc.YUNHE)  # part 0 only
    with pytest.raises(ValueError):
        store.metrics(Level.GRID, window, parent=tc.JINXIU)  # reads the broken part
