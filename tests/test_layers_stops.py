"""Candidate stops: which buildings are due by the visit rules, how cases rank, reasons and
service times."""

from __future__ import annotations

import datetime as dt

import pandas as pd
import pytest

from geodata.model import LOCAL_TZ
from layers import stops
from layers.itinerary import StopKind
from layers.visitrules import DEFAULT_RULES

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
    frame: pd.DataFrame, last: dict | pd.Series, day: dt.date, compounds=None, homes=None
) -> list:
    found = stops.building_stops(frame, last, day, compounds, homes)
    return [s for s in found if s.kind is StopKind.DUE_VISIT]


ORDINARY_DAYS = DEFAULT_RULES["ordinary"]  # 120


def tagged(*rows: tuple[str, list[str], int | None]) -> pd.DataFrame:
    """Tagged households: building, tags, days since the latest visit that reached them."""
    return pd.DataFrame(
        [
            {"building_id": b, "tags": tags, "last_visit": None if d is None else days_ago(d)}
            for b, tags, d in rows
        ]
    )


def test_a_building_is_due_when_any_of_its_households_is():
    frame = buildings(("b119", 50), ("b120", 50), ("b400", 50), ("never", 50), ("care", 50),
                      ("cared", 50))  # fmt: skip
    last = {"b119": days_ago(119), "b120": days_ago(120), "b400": days_ago(400),
            "care": days_ago(5), "cared": days_ago(3)}  # fmt: skip
    # care: its ordinary households were visited 5 days ago, but a hardship household was
    # last reached 31 days ago (rule: 30); cared: its empty-nest household 3 days ago
    homes = tagged(("care", ["hardship"], 31), ("care", ["empty_nest"], 5),
                   ("cared", ["empty_nest", "disability"], 3))  # fmt: skip
    due = due_buildings(frame, last, DAY, COMPOUNDS, homes)
    assert [s.id for s in due] == ["B:never", "B:b400", "B:care", "B:b120"]  # most overdue first
    never, b400, care, b120 = due
    assert never.reason == "route.reason.never_visited"
    assert never.reason_args == {"households": 50}
    assert b400.reason == "route.reason.due_visit"
    assert b400.reason_args == {"days": 400, "households": 50, "due": 50}
    assert care.reason_args == {"days": 5, "households": 50, "due": 1}
    assert b120.place.name == "运河花园2号楼" and b120.place.address == "运河路1号"
    assert b120.kind is StopKind.DUE_VISIT and b120.building_id == "b120" and b120.grid_code == "G1"


def test_a_stricter_rule_makes_a_building_due_sooner():
    frame = buildings(("b", 50))
    homes = tagged(("b", ["living_alone"], 20))
    last = {"b": days_ago(20)}
    assert due_buildings(frame, last, DAY, None, homes) == []
    rules = {**DEFAULT_RULES, "living_alone": 14}
    (due,) = stops.building_stops(frame, last, DAY, None, homes, rules)
    assert due.kind is StopKind.DUE_VISIT and due.reason_args["due"] == 1
    # a tagged household never reached counts as never visited, even in a visited building
    (never,) = due_buildings(frame, last, DAY, None, tagged(("b", ["hardship"], None)))
    assert never.priority == stops.building_priority(None, 50)


def test_households_weigh_in():
    frame = buildings(("small", 20), ("large", 120))
    last = {"small": days_ago(130), "large": days_ago(130)}
    assert [s.id for s in due_buildings(frame, last, DAY)] == ["B:large", "B:small"]
    # a long-forgotten small building still beats a large one just due
    last = {"small": days_ago(300), "large": days_ago(121)}
    assert [s.id for s in due_buildings(frame, last, DAY)] == ["B:small", "B:large"]


def test_a_never_visited_building_outranks_any_visited_one_of_its_size():
    assert stops.building_priority(None, 50) > stops.building_priority(10_000, 50)


def test_visits_after_the_day_do_not_count():
    frame = buildings(("b", 50))
    assert due_buildings(frame, {}, DAY)[0].reason == "route.reason.never_visited"
    assert due_buildings(frame, pd.Series({"b": days_ago(3)}), DAY) == []


def test_buildings_not_due_are_there_to_fill_the_day():
    frame = buildings(("b1", 50), ("b100", 20), ("b100big", 200), ("b200", 50))
    last = {"b1": days_ago(1), "b100": days_ago(100), "b100big": days_ago(100),
            "b200": days_ago(200)}  # fmt: skip
    found = stops.building_stops(frame, last, DAY, COMPOUNDS)
    assert [s.id for s in found] == ["B:b200", "B:b100big", "B:b100", "B:b1"]  # soonest due first
    b200, big, b100, b1 = found
    assert b200.kind is StopKind.DUE_VISIT
    assert {s.kind for s in (big, b100, b1)} == {StopKind.NOT_DUE}
    assert b1.reason == "route.reason.not_due" and b1.reason_args == {"days": 1, "households": 50}
    assert b1.service_min == stops.building_service_min(50) and b1.place.name == "运河花园1号楼"
    assert due_buildings(frame, last, DAY, COMPOUNDS) == [b200]


def test_a_building_not_due_ranks_below_every_due_building_and_every_case():
    highest_fill = max(
        stops.fill_priority(days, households)
        for days in range(1, 3651, 7)
        for households in (1, 50, 200, 10_000)
    )
    lowest_due = stops.building_priority(0, 1)
    assert 0 < stops.fill_priority(3650, 1) < highest_fill < lowest_due
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
    last = {"old": days_ago(ORDINARY_DAYS + 10), "recent": days_ago(2)}
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
    last = {"B1": dt.date(2026, 8, 4)}  # 120 days before 2 December: due that day only
    empty = pd.DataFrame(columns=["id"])
    at_utc = dt.datetime(2026, 12, 1, 20, 0, tzinfo=dt.UTC)
    (found,) = stops.candidates(buildings, last, empty, at_utc)
    assert found.id == "B:B1" and found.kind is StopKind.DUE_VISIT
    a_day_before = at_utc - dt.timedelta(hours=12)  # 1 December in China
    assert stops.candidates(buildings, last, empty, a_day_before)[0].kind is StopKind.NOT_DUE
