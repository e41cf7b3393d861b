"""Candidate stops: which buildings are due, how cases rank, reasons and service times."""

from __future__ import annotations

import datetime as dt

import pandas as pd
import pytest

from geodata.model import LOCAL_TZ
from layers import stops
from layers.itinerary import StopKind

DAY = dt.date(2026, 11, 25)
AT = dt.datetime(2026, 11, 25, 14, 0, tzinfo=LOCAL_TZ)


def buildings(*rows: tuple[str, int]) -> pd.DataFrame:
    return pd.DataFrame(
        [
            {
                "id": bid,
                "name": f"{k + 1}号楼",
                "compound_code": "XQ1",
                "grid_code": "G1",
                "households": households,
                "lon": 116.0 + k / 1000,
                "lat": 35.8,
            }
            for k, (bid, households) in enumerate(rows)
        ]
    )


COMPOUNDS = pd.DataFrame([{"code": "XQ1", "name": "运河花园", "address": "运河路1号"}])


def days_ago(n: int) -> dt.date:
    return DAY - dt.timedelta(days=n)


def due_buildings(
    frame: pd.DataFrame, last: dict | pd.Series, day: dt.date, compounds=None
) -> list:
    found = stops.building_stops(frame, last, day, compounds)
    return [s for s in found if s.kind is StopKind.DUE_VISIT]


def test_only_buildings_unvisited_for_the_threshold_are_due():
    frame = buildings(("b13", 50), ("b14", 50), ("b40", 50), ("never", 50))
    last = {"b13": days_ago(stops.DUE_AFTER_DAYS - 1), "b14": days_ago(14), "b40": days_ago(40)}
    due = due_buildings(frame, last, DAY, COMPOUNDS)
    assert [s.id for s in due] == ["B:never", "B:b40", "B:b14"]  # never visited is most due
    never, b40, b14 = due
    assert never.reason == "route.reason.never_visited"
    assert never.reason_args == {"households": 50}
    assert b40.reason == "route.reason.due_visit"
    assert b40.reason_args == {"days": 40, "households": 50}
    assert b14.place.name == "运河花园2号楼" and b14.place.address == "运河路1号"
    assert b14.kind is StopKind.DUE_VISIT and b14.building_id == "b14" and b14.grid_code == "G1"


def test_households_weigh_in():
    frame = buildings(("small", 20), ("large", 120))
    last = {"small": days_ago(30), "large": days_ago(30)}
    assert [s.id for s in due_buildings(frame, last, DAY)] == ["B:large", "B:small"]
    # a long-forgotten small building still beats a large one just due
    frame = buildings(("small", 20), ("large", 120))
    last = {"small": days_ago(200), "large": days_ago(15)}
    assert [s.id for s in due_buildings(frame, last, DAY)] == ["B:small", "B:large"]


def test_a_never_visited_building_outranks_any_visited_one_of_its_size():
    assert stops.building_priority(None, 50) > stops.building_priority(10_000, 50)


def test_visits_after_the_day_do_not_count():
    frame = buildings(("b", 50))
    assert due_buildings(frame, {}, DAY)[0].reason == "route.reason.never_visited"
    assert due_buildings(frame, pd.Series({"b": days_ago(3)}), DAY) == []


def test_buildings_not_due_are_there_to_fill_the_day():
    frame = buildings(("b1", 50), ("b13", 20), ("b13big", 200), ("b40", 50))
    last = {"b1": days_ago(1), "b13": days_ago(13), "b13big": days_ago(13), "b40": days_ago(40)}
    found = stops.building_stops(frame, last, DAY, COMPOUNDS)
    assert [s.id for s in found] == ["B:b40", "B:b13big", "B:b13", "B:b1"]
    b40, big, b13, b1 = found
    assert b40.kind is StopKind.DUE_VISIT
    assert {s.kind for s in (big, b13, b1)} == {StopKind.NOT_DUE}
    assert b1.reason == "route.reason.not_due" and b1.reason_args == {"days": 1, "households": 50}
    assert b1.service_min == stops.building_service_min(50) and b1.place.name == "运河花园1号楼"
    assert due_buildings(frame, last, DAY, COMPOUNDS) == [b40]


def test_a_building_not_due_ranks_below_every_due_building_and_every_case():
    highest_fill = max(
        stops.fill_priority(days, households)
        for days in range(stops.DUE_AFTER_DAYS)
        for households in (1, 50, 200, 10_000)
    )
    lowest_due = stops.building_priority(stops.DUE_AFTER_DAYS, 1)
    assert 0 <= stops.fill_priority(0, 1) < highest_fill < lowest_due
    assert lowest_due < stops.case_priority(None) < stops.case_priority(0)


def test_service_time_grows_with_households_and_is_capped():
    assert stops.building_service_min(50) == pytest.approx(10.0)
    assert stops.building_service_min(100) > stops.building_service_min(50)
    assert stops.building_service_min(10_000) == stops.BUILDING_MAX_MIN


def cases(*rows: tuple[str, str, dt.datetime | None]) -> pd.DataFrame:
    return pd.DataFrame(
        [
            {
                "id": cid,
                "category": category,
                "lon": 116.0,
                "lat": 35.8,
                "due_at": pd.Timestamp(due) if due else pd.NaT,
                "grid_code": "G1",
                "compound_code": "XQ1",
            }
            for cid, category, due in rows
        ]
    )


def test_overdue_follow_ups_first_the_longest_overdue_first():
    frame = cases(
        ("C1", "noise", AT + dt.timedelta(days=2)),
        ("C2", "repairs", AT - dt.timedelta(days=3, hours=1)),
        ("C3", "parking", AT - dt.timedelta(days=10)),
        ("C4", "sanitation", None),
    )
    found = stops.follow_ups(frame, AT, COMPOUNDS)
    assert [s.id for s in found] == ["C:C3", "C:C2", "C:C1", "C:C4"]
    c3, c2, c1, _ = found
    assert c3.reason == "route.reason.overdue_follow_up"
    assert c3.reason_args == {"days": 10, "category": "parking"}
    assert c2.reason_args == {"days": 3, "category": "repairs"}
    assert c1.reason == "route.reason.follow_up" and c1.reason_args == {"category": "noise"}
    assert all(s.service_min == stops.CASE_SERVICE_MIN for s in found)
    assert c3.kind is StopKind.FOLLOW_UP and c3.case_id == "C3" and "运河花园" in c3.place.name


def test_candidates_mix_buildings_and_cases_by_priority():
    frame = buildings(("old", 50), ("recent", 50))
    last = {"old": days_ago(20), "recent": days_ago(2)}
    found = stops.candidates(
        frame, last, cases(("C1", "noise", AT - dt.timedelta(days=1))), AT, COMPOUNDS
    )
    assert [s.id for s in found] == ["C:C1", "B:old", "B:recent"]  # recent: not due, fills
    assert found[0].priority > found[1].priority > found[2].priority
    assert [s.kind for s in found[1:]] == [StopKind.DUE_VISIT, StopKind.NOT_DUE]
    assert stops.candidates(frame.iloc[:0], {}, cases(), AT) == []


def test_the_day_of_a_utc_moment_is_the_china_day() -> None:
    # 2026-12-01 20:00 UTC is Wednesday 2 December 04:00 in China: Wednesday's candidates.
    buildings = pd.DataFrame(
        {
            "id": ["B1"],
            "name": ["1号楼"],
            "compound_code": ["X"],
            "grid_code": ["G"],
            "households": [40],
            "lon": [116.0],
            "lat": [35.0],
        }
    )
    last = {"B1": dt.date(2026, 11, 18)}  # 14 days before 2 December: due that day only
    empty = pd.DataFrame(columns=["id"])
    at_utc = dt.datetime(2026, 12, 1, 20, 0, tzinfo=dt.UTC)
    assert [s.id for s in stops.candidates(buildings, last, empty, at_utc)] == ["B:B1"]
