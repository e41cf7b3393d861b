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


def test_closures_are_the_cases_closed_in_a_window(store) -> None:
    start, end = MON.replace(hour=0), MON.replace(hour=0) + dt.timedelta(days=7)
    closed = store.closures(start, end).set_index("id").sort_index()
    rows = store.kpi_cases(start, end).set_index("id").sort_index()
    rows = rows[(rows["closed_at"] >= start) & (rows["closed_at"] < end)]
    assert list(closed.index) == list(rows.index) and len(closed) >= 3
    for col in ("street_code", "community_code", "closed_at", "due_at"):
        assert closed[col].tolist() == rows[col].tolist(), col
    assert store.closures(end, end + dt.timedelta(days=7)).empty


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


@pytest.mark.parametrize("text", ["2026-W60", "last week", "2026-13", "", "9999-12", "9999-W52"])
def test_a_period_that_is_none_is_named(text) -> None:
    with pytest.raises(ValueError, match="is not a week"):
        kpi.period_of(text)


def test_grades_follow_the_on_time_rate() -> None:
    assert [kpi.grade(r) for r in (1.0, 0.95, 0.9, 0.7, 0.5)] == ["A", "A", "B", "C", "D"]
    assert kpi.grade(float("nan")) == ""


# --- the demo city, worked through the machine ---------------------------------------------
WORK_WINDOWS = ((dt.time(8, 30), dt.time(12)), (dt.time(13, 30), dt.time(17, 30)))


def _working_hours(start: pd.Timestamp, stop: pd.Timestamp) -> float:
    """Working hours between two moments, day by day on China's official calendar: written
    apart from the store's clock, so that the two check each other."""
    import chinese_calendar

    start, stop = start.tz_convert(LOCAL_TZ), stop.tz_convert(LOCAL_TZ)
    total, day = 0.0, start.date()
    while day <= stop.date():
        if chinese_calendar.is_workday(day):
            for a, b in WORK_WINDOWS:
                lo = max(start, pd.Timestamp(dt.datetime.combine(day, a, LOCAL_TZ)))
                hi = min(stop, pd.Timestamp(dt.datetime.combine(day, b, LOCAL_TZ)))
                total += max((hi - lo).total_seconds(), 0) / 3600
        day += dt.timedelta(days=1)
    return total


def _demo_from_events(path, by: str, start: dt.datetime, end: dt.datetime) -> pd.DataFrame:
    """The KPIs of the demo store per `by`, from its event rows, with each case's area,
    assignee and (as it stands) due time read from its record."""
    import sqlite3

    with sqlite3.connect(path) as con:
        events = pd.read_sql("SELECT case_id, at, action FROM case_events", con)
        cases = pd.read_sql(
            "SELECT c.id, c.street_code, c.community_code, c.assignee_id, c.reported_at,"
            " c.due_at, w.assignee_org FROM cases c LEFT JOIN case_work w ON w.case_id = c.id",
            con,
        ).set_index("id")
    events["at"] = pd.to_datetime(events["at"], utc=True)
    due = pd.to_datetime(cases["due_at"], utc=True)
    start, end = pd.Timestamp(start), pd.Timestamp(end)
    inside = events[(events["at"] >= start) & (events["at"] < end)]
    ended = events[events["action"].isin(["verify_pass", "close_with", "reject"])]
    ended = ended.groupby("case_id")["at"].min()
    closing = inside[inside["action"].isin(["verify_pass", "close_with"])].set_index("case_id")
    ever = events.groupby("case_id")["action"].apply(set)
    first = events[events["action"] == "dispatch"].groupby("case_id")["at"].min()
    key = cases[kpi.GROUPS[by]].fillna("")
    rows: dict[str, dict] = {}

    def row(case_id: str) -> dict:
        return rows.setdefault(key[case_id], {"registered": 0, "closed": [], "overdue": 0})

    for case_id in inside.loc[inside["action"] == "register", "case_id"]:
        row(case_id)["registered"] += 1
    for case_id in closing.index:
        row(case_id)["closed"].append(case_id)
    reported = pd.to_datetime(cases["reported_at"], utc=True)
    still_open = (reported < end) & ~(ended.reindex(cases.index) < end)
    for case_id in cases.index[still_open & (due < end)]:
        row(case_id)["overdue"] += 1
    out = {}
    for group, r in rows.items():
        closed = r["closed"]
        timed = [c for c in closed if c in first.index]
        out[group] = {
            "registered": r["registered"],
            "closed": len(closed),
            "on_time_rate": np.mean([closing.at[c, "at"] <= due[c] for c in closed]),
            "rework_rate": np.mean(["verify_fail" in ever[c] for c in closed]),
            "extension_rate": np.mean(["grant_extension" in ever[c] for c in closed]),
            "mean_hours": np.mean([_working_hours(first[c], closing.at[c, "at"]) for c in timed]),
            "overdue_open": r["overdue"],
        }
    return pd.DataFrame.from_dict(out, orient="index")


@pytest.mark.filterwarnings("ignore:Mean of empty slice", "ignore:invalid value")
@pytest.mark.parametrize("by", ["street", "community", "organisation", "person"])
@pytest.mark.parametrize("period", ["2026-W47", "2026-10"])
def test_demo_kpis_agree_with_its_event_table(street_store, street_store_path, by, period):
    first, after = kpi.period_of(period)
    start = dt.datetime.combine(first, dt.time(), LOCAL_TZ)
    end = dt.datetime.combine(after, dt.time(), LOCAL_TZ)
    ours = kpi.kpis(street_store.kpi_cases(start, end), by, start, end, street_store.work_clock())
    theirs = _demo_from_events(street_store_path, by, start, end)
    assert sorted(ours.index) == sorted(theirs.index)
    assert ours["closed"].sum() > 50 and ours["rework_rate"].max() > 0
    assert (ours["extension_rate"] > 0).any() and (ours["on_time_rate"] < 1).any()
    theirs = theirs.loc[ours.index]
    for column in ("registered", "closed", "overdue_open"):
        assert ours[column].tolist() == theirs[column].astype(int).tolist(), column
    for column in ("on_time_rate", "rework_rate", "extension_rate", "mean_hours"):
        a, b = ours[column].to_numpy(float), theirs[column].to_numpy(float)
        assert np.allclose(a, b, rtol=0, atol=1e-9, equal_nan=True), column


def test_the_demo_timeline_names_its_actors(street_store) -> None:
    """Demo events are taken by staff (person ids) and street offices; the drawer shows names."""
    case_id = street_store.kpi_cases(
        dt.datetime(2026, 10, 1, tzinfo=LOCAL_TZ), dt.datetime(2026, 11, 1, tzinfo=LOCAL_TZ)
    )["id"].iloc[0]
    events = street_store.case_events(case_id)
    names = street_store.actor_names([e.actor for e in events] + ["street:370832001", "nobody"])
    for e in events:
        assert names[e.actor] and names[e.actor] != e.actor
        assert street_store.person(e.actor)["name"] == names[e.actor]
    assert names["street:370832001"].endswith("办事处")
    assert "nobody" not in names
