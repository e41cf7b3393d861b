"""The case machine: random action sequences by random roles stay legal and consistent."""

from __future__ import annotations

import datetime as dt
import itertools

import hypothesis
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from geodata.casework import (
    INTERNAL,
    Action,
    ActionRefused,
    Actor,
    CaseState,
    Request,
    allowed,
    apply,
    refusal,
)
from geodata.model import LOCAL_TZ, CaseStatus

S = CaseStatus
T0 = dt.datetime(2026, 11, 27, 9, tzinfo=LOCAL_TZ)
ACTORS = {
    "street": Actor("street", frozenset({"street"})),
    "community": Actor("community", frozenset({"community"})),
    "city": Actor("city", frozenset({"city"})),
    "worker": Actor("worker", frozenset({"grid_worker"}), "P1", frozenset({"ORG1"})),
    "property": Actor("property", frozenset({"property"}), "P2", frozenset({"ORG2"})),
    # 交叉任职: on the committee and in the property company, may handle and verify
    "crossed": Actor("crossed", frozenset({"community", "property"}), "P3", frozenset({"ORG2"})),
    "admin": Actor("admin", frozenset({"admin"})),
}
LEGAL = {S.REPORTED, S.REGISTERED, S.REJECTED, S.DISPATCHED, S.IN_PROGRESS, S.RESOLVED, S.CLOSED}
HANDLED = {S.DISPATCHED, S.IN_PROGRESS, S.RESOLVED}


def due_after(at: dt.datetime) -> dt.datetime:
    return at + dt.timedelta(hours=48)


def full(action: Action, org: str = "ORG2", person: str | None = None) -> Request:
    """A request with everything an action may need."""
    return Request(action, note="原因", org_id=org, person_id=person, hours=8, original="C0")


def _request(data: st.DataObject, state: CaseState, actor: Actor) -> Request:
    """Mostly an action the actor may take now (so that lives run deep), sometimes any."""
    choices = allowed(state, actor)
    pick = data.draw(st.booleans()) if choices else False
    action = data.draw(st.sampled_from(choices if pick else list(Action)))
    return Request(
        action,
        note=data.draw(st.sampled_from(["现场已清理", "现场已清理", "", "x" * 2001])),
        org_id=data.draw(st.sampled_from(["ORG1", "ORG2", None])),
        person_id=data.draw(st.sampled_from([None, "P1", "P2", "P3"])),
        hours=data.draw(st.sampled_from([4, 24, None, 0, 5000])),
        original=data.draw(st.sampled_from(["C0", None])),
    )


@settings(max_examples=300, deadline=None)
@given(st.data())
def test_random_actions_keep_every_case_legal_and_its_history_consistent(data):
    state, events, at = CaseState(S.REPORTED), [], T0
    for _ in range(data.draw(st.integers(0, 40))):
        actor = ACTORS[data.draw(st.sampled_from(sorted(ACTORS)))]
        request, at = _request(data, state, actor), at + dt.timedelta(minutes=7)
        before = state
        try:
            state, step = apply(state, request, actor, at, due_after)
        except ActionRefused:
            assert refusal(before, request, actor) is not None
            continue
        assert request.action in allowed(before, actor) or request.action in INTERNAL
        if request.action in (Action.VERIFY_PASS, Action.VERIFY_FAIL):
            assert actor.login != before.resolved_by  # never their own work
        assert (step.from_status, step.to_status) == (before.status, state.status)
        assert step.version == state.version == before.version + 1
        events.append(step)
        _legal(state)
    assert [e.version for e in events] == list(range(1, len(events) + 1))
    for earlier, later in itertools.pairwise(events):
        assert later.from_status == earlier.to_status
    counted = {a: sum(e.action is a for e in events) for a in Action}
    assert state.reworks == counted[Action.VERIFY_FAIL]
    assert state.returns == counted[Action.RETURN]
    assert state.extensions == counted[Action.GRANT_EXTENSION]
    hypothesis.event(f"reached {state.status.value}")


def _legal(state: CaseState) -> None:
    assert state.status in LEGAL
    if state.status in HANDLED:
        assert state.assignee_org is not None and state.due_at is not None
    if state.status is S.RESOLVED:
        assert state.resolved_by is not None
    if state.extension_asked is not None:
        assert state.status in (S.DISPATCHED, S.IN_PROGRESS)
    if not state.is_open or state.merged_into is not None:  # a duplicate waits, untouched
        assert all(allowed(state, actor) == [] for actor in ACTORS.values())
    if state.merged_into is not None:
        assert state.status in (S.REPORTED, S.REGISTERED, S.CLOSED)


def _walk(*steps: tuple[str, Request]) -> tuple[CaseState, list]:
    state, events, at = CaseState(S.REPORTED), [], T0
    for name, request in steps:
        at += dt.timedelta(hours=1)
        state, event = apply(state, request, ACTORS[name], at, due_after)
        events.append(event)
    return state, events


def test_one_whole_life_with_rework():
    state, events = _walk(
        ("community", full(Action.REGISTER)),
        ("community", full(Action.DISPATCH, "ORG1", "P1")),
        ("worker", full(Action.ACCEPT)),
        ("worker", full(Action.RESOLVE)),
        ("street", full(Action.VERIFY_FAIL)),
        ("worker", full(Action.ACCEPT)),
        ("worker", full(Action.RESOLVE)),
        ("community", full(Action.VERIFY_PASS)),
    )
    assert state.status is S.CLOSED and state.reworks == 1 and state.version == 8
    assert [e.to_status for e in events][4] is S.DISPATCHED  # 返工: back to dispatched


def test_a_cross_appointed_resolver_may_not_verify_their_own_work():
    state, _ = _walk(
        ("street", full(Action.REGISTER)),
        ("street", full(Action.DISPATCH, "ORG2")),
        ("crossed", full(Action.ACCEPT)),
        ("crossed", full(Action.RESOLVE)),
    )
    assert Action.VERIFY_PASS not in allowed(state, ACTORS["crossed"])
    with pytest.raises(ActionRefused, match="may not verify their own work"):
        apply(state, full(Action.VERIFY_PASS), ACTORS["crossed"], T0)
    assert Action.VERIFY_PASS in allowed(state, ACTORS["community"])


def test_only_the_assignee_handles_and_only_a_street_grants_more_time():
    state, _ = _walk(
        ("street", full(Action.REGISTER)), ("street", full(Action.DISPATCH, "ORG1", "P1"))
    )
    with pytest.raises(ActionRefused, match="only the assignee may accept"):
        apply(state, full(Action.ACCEPT), ACTORS["property"], T0)
    asked, _ = apply(state, full(Action.ASK_EXTENSION), ACTORS["worker"], T0)
    with pytest.raises(ActionRefused, match="only a street supervisor may grant extension"):
        apply(asked, full(Action.GRANT_EXTENSION), ACTORS["community"], T0)
    granted, event = apply(asked, full(Action.GRANT_EXTENSION), ACTORS["street"], T0)
    assert granted.due_at == state.due_at + dt.timedelta(hours=8) and granted.extensions == 1
    assert event.from_status is event.to_status is S.DISPATCHED


def test_a_return_goes_back_to_dispatch_and_a_rejection_needs_a_reason():
    state, _ = _walk(("street", full(Action.REGISTER)), ("street", full(Action.DISPATCH, "ORG2")))
    returned, _ = apply(state, full(Action.RETURN), ACTORS["property"], T0)
    assert returned.status is S.REGISTERED and returned.assignee_org is None
    assert returned.returns == 1
    with pytest.raises(ActionRefused, match="reject needs a note saying why"):
        apply(CaseState(S.REPORTED), Request(Action.REJECT, note=" "), ACTORS["street"], T0)
    with pytest.raises(ActionRefused, match="a closed case cannot be dispatched"):
        apply(CaseState(S.CLOSED), full(Action.DISPATCH), ACTORS["street"], T0)


def test_a_merged_duplicate_waits_for_its_original_and_closes_with_it():
    merged, _ = apply(CaseState(S.REPORTED), full(Action.MERGE), ACTORS["street"], T0)
    assert merged.status is S.REPORTED and merged.merged_into == "C0"
    assert allowed(merged, ACTORS["street"]) == []
    with pytest.raises(ActionRefused, match="merged into C0: it closes with that case"):
        apply(merged, full(Action.REGISTER), ACTORS["street"], T0)
    closed, event = apply(merged, Request(Action.CLOSE_WITH), ACTORS["street"], T0)
    assert closed.status is S.CLOSED and event.action is Action.CLOSE_WITH
    with pytest.raises(ActionRefused, match="only a merged duplicate may"):
        apply(CaseState(S.REPORTED), Request(Action.CLOSE_WITH), ACTORS["street"], T0)
