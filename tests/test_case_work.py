"""Case work through the store (both backends): actions, versions, events, rollups, the audit."""

from __future__ import annotations

import datetime as dt
import threading

import pytest

from geodata.casework import Action, ActionRefused, Actor, Request
from geodata.model import LOCAL_TZ, CaseStatus, Level
from geodata.store import QueueFilter, StaleCase, StoreError, Window
from tests import tiny_city as tc

T0 = dt.datetime(2026, 11, 27, 9, tzinfo=LOCAL_TZ)  # a Friday
DESK = Actor("desk", frozenset({"street"}))
CHECKER = Actor("checker", frozenset({"community"}))
WORKER = Actor("worker", frozenset({"grid_worker"}), "P1")
NEW = {
    "id": "N1",
    "category": "sanitation",
    "description": "垃圾未清运",
    "source": "hotline_12345",
    "status": "reported",
    "lon": tc.lonlat(100, 310)[0],
    "lat": tc.lonlat(100, 310)[1],
    "reported_at": T0 - dt.timedelta(hours=1),
}
WINDOW = Window(T0 - dt.timedelta(days=30), T0 + dt.timedelta(days=10))


@pytest.fixture
def store(store_factory):
    import pandas as pd

    s = store_factory(create=True)
    s.write_city(tc.build())
    s.add_cases(pd.DataFrame([NEW]))
    return s


def _do(store, actor, action, at, **fields):
    version = store.case_state("N1").version
    return store.act("N1", Request(Action(action), **fields), actor, version, at)


def test_a_whole_life_with_rework_is_kept_with_its_events_and_audit(store):
    hour = dt.timedelta(hours=1)
    _do(store, DESK, "register", T0)
    state = _do(store, DESK, "dispatch", T0 + hour, org_id="ORG1", person_id="P1")
    # sanitation: 4 working hours from Friday 10:00 → 2 h before lunch, 2 h after: 15:30
    assert state.due_at == dt.datetime(2026, 11, 27, 15, 30, tzinfo=LOCAL_TZ)
    _do(store, WORKER, "accept", T0 + 2 * hour)
    _do(store, WORKER, "resolve", T0 + 3 * hour, note="已清运")
    _do(store, CHECKER, "verify_fail", T0 + 4 * hour, note="仍有垃圾")
    _do(store, WORKER, "accept", T0 + 5 * hour)
    _do(store, WORKER, "resolve", T0 + 6 * hour, note="已彻底清运")
    state = _do(store, CHECKER, "verify_pass", T0 + 7 * hour)
    assert (state.status, state.reworks, state.version) == (CaseStatus.CLOSED, 1, 8)
    events = store.case_events("N1")
    assert [e.action for e in events][-3:] == ["accept", "resolve", "verify_pass"]
    assert events[4].to_status is CaseStatus.DISPATCHED and events[4].note == "仍有垃圾"
    assert (events[1].assignee_org, events[1].assignee_person) == ("ORG1", "P1")  # to whom
    assert all(e.assignee_org is None for e in events if e.action != "dispatch")
    case = store.cases().set_index("id").loc["N1"]
    assert case["status"] == "closed" and case["closed_at"] == T0 + 7 * hour
    audit = [e for e in store.audit_entries() if e.target == "N1"]
    assert [e.action for e in audit] == [f"case.{e.action}" for e in events]
    assert store.metrics(Level.GRID, WINDOW).equals(store.raw_metrics(Level.GRID, WINDOW))


def test_the_open_count_rises_and_falls_with_the_case(store):
    def open_cases() -> int:
        return int(store.metrics(Level.COMPOUND, WINDOW)["open_cases"].sum())

    before = open_cases()
    _do(store, DESK, "reject", T0, note="重复上报")
    assert open_cases() == before - 1
    assert store.metrics(Level.GRID, WINDOW).equals(store.raw_metrics(Level.GRID, WINDOW))


def test_an_action_on_a_stale_version_is_refused_naming_who_and_when(store):
    store.act("N1", Request(Action.REGISTER), DESK, 0, T0)
    digest_before = store.case_state("N1")
    with pytest.raises(StaleCase, match="changed by desk at 09:00 — reload"):
        store.act("N1", Request(Action.REJECT, note="x"), CHECKER, 0, T0)
    assert store.case_state("N1") == digest_before


def test_two_dispatches_at_once_one_wins(store, store_factory):
    store.act("N1", Request(Action.REGISTER), DESK, 0, T0)
    results: list[object] = []

    def dispatch(org: str) -> None:
        other = store_factory()  # a session of its own
        try:
            other.act("N1", Request(Action.DISPATCH, org_id=org), DESK, 1, T0)
            results.append("ok")
        except StaleCase as exc:
            results.append(str(exc))

    threads = [threading.Thread(target=dispatch, args=(org,)) for org in ("ORG1", "ORG2")]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(results)[0].startswith("case N1 changed by desk at 09:00")
    assert sorted(results)[1] == "ok"
    assert [e.action for e in store.case_events("N1")] == ["register", "dispatch"]


def test_a_refused_action_changes_nothing(store, store_factory):
    digest = store_factory.digest()
    with pytest.raises(ActionRefused, match="only the street or community desk may register"):
        store.act("N1", Request(Action.REGISTER), WORKER, 0, T0)
    with pytest.raises(StoreError, match="no case 'N9'"):
        store.act("N9", Request(Action.REGISTER), DESK, 0, T0)
    assert store_factory.digest() == digest


def test_the_work_queue_lists_each_tab_in_scope(store):
    at = T0 + dt.timedelta(days=1)
    counts = store.queue_counts(None, at)
    assert counts["reported"] == 1  # N1; the tiny city's own cases are dispatched or closed
    queue, total = store.work_queue(None, "reported", at)
    assert total == 1 and list(queue["id"]) == ["N1"] and queue.at[0, "version"] == 0
    store.act("N1", Request(Action.REGISTER), DESK, 0, T0)
    assert store.queue_counts(None, at)["reported"] == 0
    assert store.queue_counts(None, at)["registered"] == 1
    store.act("N1", Request(Action.DISPATCH, org_id="ORG1", person_id="P1"), DESK, 1, T0)
    store.act("N1", Request(Action.ASK_EXTENSION, note="需协调", hours=8), WORKER, 2, T0)
    queue, total = store.work_queue(None, "extension", at)
    assert list(queue["id"]) == ["N1"] and queue.at[0, "extension_asked"] == 8
    overdue, _ = store.work_queue(None, "overdue", at)
    assert "N1" in set(overdue["id"])  # due Friday 14:30; the queue is read on Saturday
    handling, _ = store.work_queue(tc.STREET, "handling", at)
    assert "N1" in set(handling["id"])
    assert store.work_queue("370832999", "handling", at)[1] == 0  # another street
    narrowed = QueueFilter(category="noise")
    assert store.work_queue(None, "handling", at, narrowed)[1] == 0
    with pytest.raises(ValueError, match="no work queue tab 'later'"):
        store.work_queue(None, "later", at)


def _near(case_id: str, category: str, metres_east: float, hours: float) -> dict:
    """A case `metres_east` of N1, reported `hours` after it."""
    lon, lat = tc.lonlat(100 + metres_east, 310)
    at = NEW["reported_at"] + dt.timedelta(hours=hours)
    return {**NEW, "id": case_id, "category": category, "lon": lon, "lat": lat, "reported_at": at}


def test_a_duplicate_is_offered_merged_and_closes_with_its_original(store):
    import pandas as pd

    rows = [_near("N2", "sanitation", 30, 1), _near("N3", "noise", 30, 1)]
    rows.append(_near("N4", "sanitation", 150, 1))  # too far
    store.add_cases(pd.DataFrame(rows))
    assert list(store.duplicates_near("N2")["id"]) == ["N1", "C1"]  # C1: 10 days old, open
    with pytest.raises(ActionRefused, match="another case as the original"):
        store.act("N2", Request(Action.MERGE, original="N2"), DESK, 0, T0)
    state = store.act("N2", Request(Action.MERGE, original="N1"), DESK, 0, T0)
    assert (state.status, state.merged_into) == (CaseStatus.REPORTED, "N1")
    queue, _ = store.work_queue(None, "reported", T0 + dt.timedelta(days=1))
    assert "N2" not in set(queue["id"]) and "N1" in set(queue["id"])
    assert list(store.duplicates_near("N4")["id"]) == []  # N1 150 m away; N2 merged
    hour = dt.timedelta(hours=1)
    for actor, action, fields in (
        (DESK, "register", {}),
        (DESK, "dispatch", {"org_id": "ORG1", "person_id": "P1"}),
        (WORKER, "accept", {}),
        (WORKER, "resolve", {"note": "已清运"}),
        (CHECKER, "verify_pass", {}),
    ):
        _do(store, actor, action, T0 + hour, **fields)
    assert store.case_state("N2").status is CaseStatus.CLOSED
    assert [e.action for e in store.case_events("N2")] == ["merge", "close_with"]
    assert store.metrics(Level.GRID, WINDOW).equals(store.raw_metrics(Level.GRID, WINDOW))
    with pytest.raises(ActionRefused, match="closed or merged itself"):
        store.act("N4", Request(Action.MERGE, original="N1"), DESK, 0, T0)


def test_nobody_takes_the_stores_own_actions(store):
    with pytest.raises(ActionRefused, match="close_with is taken by gridboard itself"):
        store.act("N1", Request(Action.CLOSE_WITH), DESK, 0, T0)
    assert store.case_state("N1").version == 0


def test_work_moves_the_data_as_of_day_forward_never_back_nor_past_today(store):
    """The map's windows end at the data's as-of day: work done after it moves it on (a store
    people work in keeps up with the calendar), older records never move it back, and a
    record dated in the future stops at today."""
    import pandas as pd

    today = dt.datetime.now(LOCAL_TZ).date()
    assert store.meta()["as_of"] == tc.AS_OF.isoformat()  # N1 was reported before it
    _do(store, DESK, "register", T0 + dt.timedelta(days=2))
    expected = min(dt.date(2026, 11, 29), max(today, tc.AS_OF))
    assert store.meta()["as_of"] == expected.isoformat()
    old = dict(NEW, id="N0", reported_at=T0 - dt.timedelta(days=20))
    store.add_cases(pd.DataFrame([old]))
    assert store.meta()["as_of"] == expected.isoformat()
    future = dict(NEW, id="N9", reported_at=dt.datetime(2099, 1, 1, tzinfo=LOCAL_TZ))
    store.add_cases(pd.DataFrame([future]))
    assert store.meta()["as_of"] == max(expected, today).isoformat()
