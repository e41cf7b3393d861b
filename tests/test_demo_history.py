"""The demo's case histories: every case's events replay through the case machine to the state the
demo stored, at believable rates of returns, extensions, reworks and merged repeats."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
import pytest

from geodata.casework import DESK_ROLES, Action, Actor, CaseState, Request, apply
from geodata.city import CityData
from geodata.demo import build_demo
from geodata.model import LOCAL_TZ, CaseStatus

AS_OF = dt.date(2026, 11, 28)
DESK_ACTIONS = {"register", "reject", "dispatch", "verify_pass", "verify_fail", "merge"}
HANDLER_ACTIONS = {"accept", "return", "resolve", "ask_extension"}


@pytest.fixture(scope="module")
def city() -> CityData:
    return build_demo("street", 11, AS_OF)


def _actor(event: dict) -> Actor:
    """The actor of a recorded event, with the rights their post gives them."""
    login = event["actor"]
    if login.startswith("street:"):
        return Actor(login, frozenset({"street"}))
    if event["action"] in DESK_ACTIONS:
        return Actor(login, frozenset({"community"}))
    return Actor(login, frozenset({"grid_worker"}), person_id=login)


def _replay(events: list[dict]) -> CaseState:
    """A case's events taken again, one by one, through the machine; every one must be legal
    and lead where the record says. A dispatch goes to whom its event names, and that is
    whoever acts next as its handler."""
    state = CaseState(CaseStatus.REPORTED)
    for i, event in enumerate(events):
        action = Action(event["action"])
        target = None
        if action is Action.DISPATCH:  # to whoever takes it next
            target = event["assignee_person"]
            later = (e["actor"] for e in events[i + 1 :] if e["action"] in HANDLER_ACTIONS)
            assert next(later, target) == target and event["assignee_org"]
        else:
            assert event["assignee_org"] is None and event["assignee_person"] is None
        request = Request(
            action, note="x", org_id="org", person_id=target, hours=8.0, original="original"
        )
        at = event["at"].to_pydatetime()
        state, made = apply(state, request, _actor(event), at)
        assert made.from_status.value == event["from_status"], event
        assert made.to_status.value == event["to_status"], event
        assert made.version == event["version"], event
    return state


def test_every_history_replays_through_the_machine(city: CityData) -> None:
    events = city.case_events
    work = city.case_work.set_index("case_id")
    cases = city.cases.set_index("id")
    assert set(events["case_id"]) == set(work.index)
    for case_id, group in events.groupby("case_id", sort=False):
        kept = work.loc[case_id]
        state = _replay(group.to_dict("records"))
        assert state.status.value == cases.loc[case_id, "status"], case_id
        assert state.version == kept["version"]
        for field in ("reworks", "returns", "extensions"):
            assert getattr(state, field) == kept[field], (case_id, field)
        assert state.assignee_person == (kept["assignee_person"] or None)
        assert (state.resolved_by is None) == pd.isna(kept["resolved_by"])
        assert (state.merged_into is None) == pd.isna(kept["merged_into"])
        assert (state.extension_asked is None) == pd.isna(kept["extension_asked"])
    # a case nobody acted on is still as reported, and has no stage time after that
    untouched = cases.index.difference(work.index)
    assert (cases.loc[untouched, "status"] == "reported").all()
    assert cases.loc[untouched, "registered_at"].isna().all()


def test_stage_times_are_the_first_events_reaching_them(city: CityData) -> None:
    events = city.case_events
    moved = events[events["from_status"] != events["to_status"]]
    first = moved.groupby(["case_id", "to_status"])["at"].min().unstack()
    cases = city.cases.set_index("id").loc[first.index]
    for status in ("registered", "dispatched", "in_progress", "resolved", "closed", "rejected"):
        expected = first[status] if status in first else pd.Series(pd.NaT, index=first.index)
        pd.testing.assert_series_equal(
            cases[f"{status}_at"], expected.astype(cases[f"{status}_at"].dtype), check_names=False
        )
    last = events.groupby("case_id")["to_status"].last()
    assert (cases["status"] == last.loc[cases.index]).all()


def test_nobody_verifies_their_own_work(city: CityData) -> None:
    events = city.case_events
    for _, group in events.groupby("case_id", sort=False):
        resolver = None
        for action, actor in zip(group["action"], group["actor"], strict=True):
            if action == "resolve":
                resolver = actor
            elif action in ("verify_pass", "verify_fail"):
                assert actor != resolver


def test_rates_are_believable(city: CityData) -> None:
    work, cases = city.case_work, city.cases
    worked = cases["status"].isin(["closed"]).sum()
    assert worked > 0.8 * len(cases)
    shares = {
        "reworked": (work["reworks"] > 0).mean(),
        "returned": (work["returns"] > 0).mean(),
        "extended": (work["extensions"] > 0).mean(),
        "merged": work["merged_into"].notna().mean(),
    }
    assert 0.03 < shares["reworked"] < 0.15, shares
    assert 0.01 < shares["returned"] < 0.10, shares
    assert 0.02 < shares["extended"] < 0.15, shares
    assert 0.002 < shares["merged"] < 0.05, shares
    events = city.case_events
    refused = (events["action"] == "refuse_extension").sum()
    assert 0 < refused < (events["action"] == "grant_extension").sum()


def test_merged_repeats_are_what_the_desk_would_be_offered(city: CityData) -> None:
    """A repeat: the same category within 100 m and 14 days of an open original, and it closes
    with it — at the same moment, by the same hand."""
    cases = city.cases.set_index("id")
    work = city.case_work.dropna(subset=["merged_into"])
    assert len(work) > 0
    for dup, original in zip(work["case_id"], work["merged_into"], strict=True):
        a, b = cases.loc[dup], cases.loc[original]
        assert a["category"] == b["category"]
        assert dt.timedelta(0) <= a["reported_at"] - b["reported_at"] <= dt.timedelta(days=14)
        assert _metres(a, b) <= 100
        assert pd.isna(a["dispatched_at"])
        if b["status"] == "closed":
            assert a["status"] == "closed" and a["closed_at"] == b["closed_at"]
        else:
            assert a["status"] == "registered"


def test_everyone_acting_holds_the_post(city: CityData) -> None:
    """Desks are community secretaries, handlers are the cell's grid worker or a 楼管, and
    streets answer extensions."""
    events = city.case_events
    roles = city.roles
    secretaries = set(roles.loc[roles["role"] == "secretary", "person_id"])
    handlers = set(roles.loc[roles["role"].isin(["grid_worker", "building_manager"]), "person_id"])
    desk = events["action"].isin(DESK_ACTIONS | {"close_with"})
    assert set(events.loc[desk, "actor"]) <= secretaries
    assert set(events.loc[events["action"].isin(HANDLER_ACTIONS), "actor"]) <= handlers
    answers = events["action"].isin(["grant_extension", "refuse_extension"])
    assert events.loc[answers, "actor"].str.startswith("street:").all()
    assert "community" in DESK_ROLES


def _metres(a: pd.Series, b: pd.Series) -> float:
    lat = np.radians((a["lat"] + b["lat"]) / 2)
    dx = (a["lon"] - b["lon"]) * 111_320 * np.cos(lat)
    dy = (a["lat"] - b["lat"]) * 110_574
    return float(np.hypot(dx, dy))


def test_a_history_cut_at_a_moment_is_the_same_before_it_and_empty_after(city: CityData) -> None:
    """A demo whose last day is today ends now: nothing reported or done later; what came
    before is what the whole day's demo has."""
    noon = dt.datetime.combine(AS_OF, dt.time(12), LOCAL_TZ)
    cut = build_demo("street", 11, AS_OF, until=noon)
    assert cut.cases["reported_at"].max() < noon
    assert cut.case_events["at"].max() < noon
    assert len(cut.cases) < len(city.cases)
    whole = city.cases.set_index("id").loc[cut.cases["id"]]
    assert (whole["reported_at"].to_numpy() == cut.cases["reported_at"].to_numpy()).all()
    before = city.case_events[city.case_events["at"] < noon].reset_index(drop=True)
    pd.testing.assert_frame_equal(before, cut.case_events.reset_index(drop=True))
    earlier = cut.cases.set_index("id")["status"]
    assert (earlier != whole["status"]).any()  # some were further along by midnight
