"""KPIs (GB/T 30428.4) from the store agree exactly with an independent pandas computation
from the event table, on both backends; periods and grades."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
import pytest

from geodata.casework import Action, Actor, Request
from geodata.model import LOCAL_TZ
from layers import kpi
from tests import tiny_city as tc

MON = dt.datetime(2026, 11, 23, 9, tzinfo=LOCAL_TZ)  # ISO week 2026-W48
DESK = Actor("desk", frozenset({"street"}))
CHECK = Actor("check", frozenset({"community"}))
WORKER = Actor("worker", frozenset({"grid_worker"}), "P1")
# (case, the actions after registering and dispatching, hours between them)
LIVES = {
    "K1": ["accept", "resolve", "verify_pass"],
    "K2": ["accept", "resolve", "verify_fail", "accept", "resolve", "verify_pass"],
    "K3": ["ask_extension", "grant_extension", "accept", "resolve", "verify_pass"],
    "K4": ["accept"],  # still open at the week's end
    "K5": [],  # dispatched only
}


@pytest.fixture
def store(store_factory):
    s = store_factory(create=True)
    s.write_city(tc.build())
    lon, lat = tc.lonlat(100, 310)
    rows = [
        {
            "id": c,
            "category": "sanitation",
            "status": "reported",
            "lon": lon,
            "lat": lat,
            "reported_at": MON + dt.timedelta(hours=n),
        }
        for n, c in enumerate(LIVES)
    ]
    s.add_cases(pd.DataFrame(rows))
    for n, (case_id, actions) in enumerate(LIVES.items()):
        at = MON + dt.timedelta(hours=n, minutes=30)
        steps = [("register", DESK, {}), ("dispatch", DESK, {"org_id": "O1", "person_id": "P1"})]
        steps += [(a, _who(a), _fields(a)) for a in actions]
        for action, actor, fields in steps:
            at += dt.timedelta(hours=7)  # K2's rework lands past its due time
            version = s.case_state(case_id).version
            s.act(case_id, Request(Action(action), **fields), actor, version, at)
    return s


def _who(action: str) -> Actor:
    if action.startswith("verify"):
        return CHECK
    return DESK if action == "grant_extension" else WORKER


def _fields(action: str) -> dict:
    if action == "ask_extension":
        return {"hours": 16, "note": "需协调"}
    return {"note": "说明"} if action in ("resolve", "verify_fail") else {}


def test_kpis_agree_with_the_event_table(store, store_factory) -> None:
    start, end = MON.replace(hour=0), MON.replace(hour=0) + dt.timedelta(days=7)
    cases = store.kpi_cases(start, end)
    cases = cases[cases["id"].isin(LIVES)]  # the town's imported cases have no events
    ours = kpi.kpis(cases, "street", start, end, store.work_clock())
    theirs = _from_events(store, store_factory, start, end)
    assert ours.loc[tc.STREET, ["registered", "closed", "overdue_open"]].tolist() == theirs[:3]
    rates = ours.loc[tc.STREET, ["on_time_rate", "rework_rate", "extension_rate", "mean_hours"]]
    assert rates.tolist() == pytest.approx(theirs[3:], abs=1e-12)
    assert ours.loc[tc.STREET, "grade"] == kpi.grade(theirs[3])
    assert (
        0 < theirs[3] < 1 and theirs[4] > 0 and theirs[5] > 0
    )  # a late close, a rework, more time


def _from_events(store, factory, start, end) -> list:
    """The same figures from the event rows and the cases' due times only."""
    events = pd.DataFrame(
        factory.raw("SELECT case_id, at, action FROM case_events"),
        columns=["case_id", "at", "action"],
    )
    events["at"] = pd.to_datetime(events["at"], utc=True, format="ISO8601")
    due = {c: store.case_record(c).at[0, "due_at"] for c in LIVES}
    inside = events[(events["at"] >= start) & (events["at"] < end)]
    registered = int((inside["action"] == "register").sum())
    closing = inside[inside["action"].isin(["verify_pass", "close_with"])]
    closed = list(closing["case_id"])
    ever = events.groupby("case_id")["action"].apply(set)
    on_time = np.mean([closing.set_index("case_id").at[c, "at"] <= due[c] for c in closed])
    rework = np.mean(["verify_fail" in ever[c] for c in closed])
    extension = np.mean(["grant_extension" in ever[c] for c in closed])
    first = events[events["action"] == "dispatch"].groupby("case_id")["at"].min()
    clock = store.work_clock()
    hours = np.mean(
        [clock.working_hours(first[c], closing.set_index("case_id").at[c, "at"]) for c in closed]
    )
    open_cases = [c for c in LIVES if c not in closed]
    overdue = sum(due[c] < pd.Timestamp(end) for c in open_cases)
    return [registered, len(closed), overdue, on_time, rework, extension, hours]


@pytest.mark.parametrize(
    ("text", "first", "after"),
    [
        ("2026-W48", dt.date(2026, 11, 23), dt.date(2026, 11, 30)),
        ("2026-11", dt.date(2026, 11, 1), dt.date(2026, 12, 1)),
        ("2026-12", dt.date(2026, 12, 1), dt.date(2027, 1, 1)),
    ],
)
def test_periods_are_iso_weeks_or_months(text, first, after) -> None:
    assert kpi.period_of(text) == (first, after)


@pytest.mark.parametrize("text", ["2026-W60", "last week", "2026-13", ""])
def test_a_period_that_is_none_is_named(text) -> None:
    with pytest.raises(ValueError, match="is not a week"):
        kpi.period_of(text)


def test_grades_follow_the_on_time_rate() -> None:
    assert [kpi.grade(r) for r in (1.0, 0.95, 0.9, 0.7, 0.5)] == ["A", "A", "B", "C", "D"]
    assert kpi.grade(float("nan")) == ""
