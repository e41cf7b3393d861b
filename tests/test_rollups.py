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


# --- the blocks a sum reads ---------------------------------------------------------------------
def _days_of(span: str, start: int) -> set[int]:
    ends = {
        rollups.DAY: lambda d: d + 1,
        rollups.MONTH: rollups.next_month,
        rollups.QUARTER: rollups.next_quarter,
        rollups.YEAR: rollups.next_year,
    }
    return set(range(start, ends[span](start)))


@given(st.integers(19_000, 21_000), st.integers(0, 900))
def test_between_covers_each_day_once(start: int, length: int) -> None:
    blocks = rollups.between(start, start + length)
    covered = [day for span, first in blocks for day in _days_of(span, first)]
    assert sorted(covered) == list(range(start, start + length))
    assert len(blocks) <= 2 * (31 + 2 + 3) + 1  # days, months and quarters at each end, years


@given(st.integers(19_000, 21_000))
def test_before_reads_at_most_a_year_three_quarters_two_months_and_a_month(day: int) -> None:
    spans = rollups.before(day)
    (_, _, year), (_, q_first, quarter), (_, m_first, month), (_, d_first, end) = spans
    assert (q_first, m_first, d_first, end) == (year, quarter, month, day)
    assert (quarter - year) // 89 <= 3 and (month - quarter) // 28 <= 2 and day - month <= 30


def _signed_days(plan: rollups.Plan, far: int) -> dict[int, int]:
    """How many times each day counts in a plan's signed sum (from `far` on)."""
    counted: dict[int, int] = {}
    for span, first, end, sign in plan:
        starts = [
            d for d in range(max(first, far), end) if _days_of(span, d) and _is_start(span, d)
        ]
        for start in starts:
            for day in _days_of(span, start):
                counted[day] = counted.get(day, 0) + sign
    return {day: n for day, n in counted.items() if n}


def _is_start(span: str, day: int) -> bool:
    firsts = {
        rollups.DAY: lambda d: d,
        rollups.MONTH: rollups.month_of,
        rollups.QUARTER: rollups.quarter_of,
        rollups.YEAR: rollups.year_of,
    }
    return firsts[span](day) == day


@given(st.integers(19_000, 21_000), st.integers(0, 900))
def test_a_between_plan_counts_each_day_once_and_reads_no_more(start: int, length: int) -> None:
    plan = rollups.between_plan(start, start + length)
    assert _signed_days(plan, start - 400) == dict.fromkeys(range(start, start + length), 1)
    assert len(plan) <= len(rollups.between(start, start + length))
    assert sum(1 for span, *_ in plan if span == rollups.DAY) <= 2 * 16


@given(st.integers(19_000, 21_000))
def test_a_before_plan_counts_each_day_before_once(day: int) -> None:
    far = rollups.year_of(day) - 400
    plan = [(s, max(f, far), e, g) for s, f, e, g in rollups.before_plan(day)]
    counted = _signed_days(plan, far)
    assert counted == dict.fromkeys(range(min(counted), day), 1)
    assert sum(e - f for s, f, e, _ in plan if s == rollups.DAY) <= 16


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
