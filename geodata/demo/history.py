"""The demo's case histories, worked through the case machine: each action a case saw, as events."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from functools import cache

import numpy as np
import pandas as pd

from ..casework import Action, Actor, CaseState, Request, apply
from ..city import COLUMNS
from ..model import LIFE_CYCLE, CaseStatus, LimitUnit
from ..worktime import WorkClock

A = Action
REWORKED = (0.07, 0.012)  # shares of cases sent back for rework once, twice
RETURNED = 0.05  # of cases a second handler could take: first dispatched to the wrong one
ASKED_WHEN_LATE = 0.6  # handlers who see they will miss the due time and ask for more
ASKED_ANYWAY = 0.01
GRANTED = 0.75
MERGED = 0.6  # of repeat reports (same building and category, 14 days) the desk merges
REPEAT_DAYS = 14
REPEAT_METRES = 100.0
NOTES = {
    A.REJECT: ("不属于受理范围", "重复反映，已电话答复", "信息不全，无法核实"),
    A.RETURN: ("非本单位职责，请改派",),
    A.RESOLVE: ("已现场处理完毕", "已协调相关方解决", "已清理完毕", "已维修完成", "已调解"),
    A.VERIFY_FAIL: ("回访居民不满意，需重新处理", "现场核查问题仍存在"),
    A.ASK_EXTENSION: ("涉及多方协调，申请延期", "需等待材料和配件，申请延期"),
    A.REFUSE_EXTENSION: ("时限内可以完成，不予延期",),
    A.MERGE: ("重复诉求，合并办理",),
}
_NAT = np.iinfo(np.int64).min
WORK_COLUMNS = COLUMNS["case_work"]
EVENT_COLUMNS = COLUMNS["case_events"]
STAMPED = (*LIFE_CYCLE[1:], CaseStatus.REJECTED)  # the stages a case's times record


@dataclass(frozen=True)
class Anchors:
    """Each case's moments as if nothing went wrong (int64 UTC seconds, never cut at the end)."""

    reported: np.ndarray
    registered: np.ndarray
    dispatched: np.ndarray
    accepted: np.ndarray
    resolved: np.ndarray
    closed: np.ndarray
    rejected: np.ndarray  # bool: the desk refuses it
    rejected_at: np.ndarray


@dataclass(frozen=True)
class People:
    """Who acts on each case: the community's desk (a person id), the street office, the handler
    (person and organisation) and, where there is one, a second possible handler."""

    desk: np.ndarray
    street: np.ndarray
    handler: np.ndarray
    handler_org: np.ndarray
    other: np.ndarray  # None where nobody else could take it
    other_org: np.ndarray


@dataclass(frozen=True)
class Limits:
    """Each case's time limit and its unit (LimitUnit values)."""

    limit: np.ndarray
    unit: np.ndarray


@dataclass(frozen=True)
class History:
    """What the machine made of the cases by the end: status, stage times and due time (int64
    seconds, _NAT when not reached), the cases' assignees, case_work and case_events rows."""

    status: np.ndarray
    times: dict[str, np.ndarray]
    assignee_id: np.ndarray
    work: pd.DataFrame
    events: pd.DataFrame


@dataclass(frozen=True)
class _Plan:
    """Each case's path through the machine, as drawn."""

    repeat_of: np.ndarray  # index of the case it repeats and is merged into, or -1
    returned: np.ndarray
    extension: np.ndarray  # 0 none, 1 granted, 2 refused
    reworks: np.ndarray
    hours: np.ndarray  # extension asked (working hours)


# --- what happens to each case ----------------------------------------------------------------
def _plan(
    rng: np.random.Generator,
    when: Anchors,
    people: People,
    limits: Limits,
    places: tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray],
    clock: WorkClock,
) -> _Plan:
    n = len(when.reported)
    repeat_of = _repeats(rng, when, places)
    worked = ~when.rejected & (repeat_of < 0)
    returned = worked & pd.notna(people.other) & (rng.random(n) < RETURNED)
    redispatch = when.dispatched + (when.accepted - when.dispatched) * 6 // 10
    due = clock.due(np.where(returned, redispatch, when.dispatched), limits.limit, limits.unit)
    late = when.resolved > due
    ask = worked & (rng.random(n) < np.where(late, ASKED_WHEN_LATE, ASKED_ANYWAY))
    extension = np.where(ask, np.where(rng.random(n) < GRANTED, 1, 2), 0)
    short = np.maximum(clock.hours_between(due, when.resolved), 0)
    hours = np.clip(np.ceil(short * 1.2 + 4), 4, 2000)
    u = rng.random(n)
    reworks = np.where(worked, (u < sum(REWORKED)).astype(int) + (u < REWORKED[1]), 0)
    return _Plan(repeat_of, returned, extension, reworks, hours)


def _repeats(
    rng: np.random.Generator,
    when: Anchors,
    places: tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray],
) -> np.ndarray:
    """For each case the earlier case it repeats and is merged into (-1: none): the same
    category at the same building within 14 days and 100 m, the earlier one still open when
    the repeat is registered, neither rejected, no chains."""
    building, category, x, y = places
    order = np.lexsort((when.reported, category, building))
    prev, this = order[:-1], order[1:]
    same = (building[prev] == building[this]) & (category[prev] == category[this])
    soon = when.reported[this] - when.reported[prev] <= REPEAT_DAYS * 86400
    near = np.hypot(x[this] - x[prev], y[this] - y[prev]) <= REPEAT_METRES
    still_open = when.closed[prev] > when.registered[this] + 3600
    fine = ~when.rejected[prev] & ~when.rejected[this]
    pair = same & soon & near & still_open & fine & (rng.random(len(this)) < MERGED)
    pair[1:] &= ~pair[:-1]  # an original is never a repeat itself
    out = np.full(len(when.reported), -1)
    out[this[pair]] = prev[pair]
    return out


# --- the paths, run once each through the machine ---------------------------------------------
_DESK = Actor("desk", frozenset({"community"}))
_STREET = Actor("street", frozenset({"street"}))
_HANDLERS = {
    who: Actor(who, frozenset({"grid_worker"}), who, frozenset({f"{who}-org"}))
    for who in ("first", "final")
}
_BASE = dt.datetime(2000, 1, 1, tzinfo=dt.UTC)


@dataclass(frozen=True)
class _Step:
    action: Action
    who: str  # desk, street, first, final (the handler before and after a return)
    to: CaseStatus
    version: int
    state: CaseState
    to_whom: tuple[str | None, str | None] = (None, None)  # a dispatch's stand-ins


def _path(key: tuple[int, int, int, int, int]) -> tuple[tuple[Action, str], ...]:
    """The actions of a path (rejected, repeat, returned, extension, reworks) and who takes
    each: a dispatch names its handler instead."""
    rejected, repeat, returned, extension, reworks = key
    if rejected:
        return ((A.REJECT, "desk"),)
    if repeat:
        return ((A.REGISTER, "desk"), (A.MERGE, "desk"), (A.CLOSE_WITH, "desk"))
    steps = [(A.REGISTER, "desk")]
    if returned:
        steps += [(A.DISPATCH, "first"), (A.RETURN, "first")]
    steps += [(A.DISPATCH, "final"), (A.ACCEPT, "final")]
    if extension:
        answer = A.GRANT_EXTENSION if extension == 1 else A.REFUSE_EXTENSION
        steps += [(A.ASK_EXTENSION, "final"), (answer, "street")]
    steps += [(A.RESOLVE, "final"), (A.VERIFY_FAIL, "desk"), (A.ACCEPT, "final")] * reworks
    steps += [(A.RESOLVE, "final"), (A.VERIFY_PASS, "desk")]
    return tuple(steps)


@cache
def _run(path: tuple[tuple[Action, str], ...]) -> tuple[_Step, ...]:
    """The path through the machine with stand-in people; ActionRefused if it is not legal.
    A dispatch's due time is the stand-in day 1 + its step; a grant adds 1,000 days."""
    state, steps = CaseState(CaseStatus.REPORTED), []
    for i, (action, who) in enumerate(path):
        target = who if action is A.DISPATCH else None
        request = Request(
            action,
            note="-",
            org_id=f"{target}-org" if target else None,
            person_id=target,
            hours=1.0,
            original="original",
        )
        who = "desk" if target else who  # the desk dispatches, to the handler named
        actor = _HANDLERS.get(who) or (_STREET if who == "street" else _DESK)
        state, event = apply(
            state,
            request,
            actor,
            _BASE + dt.timedelta(seconds=i),
            lambda at: _BASE + dt.timedelta(days=1 + (at - _BASE).seconds),
            lambda due, hours: due + dt.timedelta(days=1000),
        )
        to_whom = (event.assignee_org, event.assignee_person)
        steps.append(_Step(action, who, event.to_status, event.version, state, to_whom))
    return tuple(steps)


def _moments(key: tuple, when: Anchors, rows: np.ndarray, plan: _Plan) -> list[np.ndarray]:
    """The moment of each step of the path `key` for the cases `rows`, in order."""
    rejected, repeat, returned, extension, reworks = key
    if rejected:
        return [when.rejected_at[rows]]
    reg = when.registered[rows]
    if repeat:
        original = plan.repeat_of[rows]
        return [reg, reg + 600, np.maximum(when.closed[original], reg + 600)]
    disp, acc, res = when.dispatched[rows], when.accepted[rows], when.resolved[rows]
    out = [reg, disp]
    if returned:
        out += [disp + (acc - disp) * 3 // 10, disp + (acc - disp) * 6 // 10]
    out.append(acc)
    part = (res - acc) // (reworks + 1)
    if extension:
        out += [acc + part * 4 // 10, acc + part * 7 // 10]
    for j in range(1, reworks + 1):
        done = acc + part * j
        out += [done, done + part * 3 // 10, done + part * 5 // 10]
    return [*out, res, when.closed[rows]]


# --- putting it together ----------------------------------------------------------------------
def work_cases(
    rng: np.random.Generator,
    ids: np.ndarray,
    when: Anchors,
    people: People,
    limits: Limits,
    places: tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray],
    end: int,
    clock: WorkClock,
) -> History:
    """Work every case through the machine up to `end` (UTC seconds): the path each takes is
    drawn (returns, extensions, reworks, repeats merged into their original), each distinct path
    is run once through the machine, and each case keeps the steps it reached before `end`."""
    plan = _plan(rng, when, people, limits, places, clock)
    keys = np.stack(
        [
            when.rejected.astype(int),
            (plan.repeat_of >= 0).astype(int),
            plan.returned.astype(int),
            plan.extension,
            plan.reworks,
        ],
        axis=1,
    )
    n = len(ids)
    out = _Out.empty(n)
    unique, which = np.unique(keys, axis=0, return_inverse=True)
    for k, key in enumerate(map(tuple, unique.tolist())):
        rows = np.flatnonzero(which.ravel() == k)
        _work_path(rng, key, rows, ids, when, people, limits, plan, end, clock, out)
    return out.history(n)


@dataclass
class _Out:
    status: np.ndarray
    times: dict[str, np.ndarray]
    assignee: np.ndarray
    work: list[pd.DataFrame]
    events: list[pd.DataFrame]

    @classmethod
    def empty(cls, n: int) -> _Out:
        times = {f"{s.value}_at": np.full(n, _NAT) for s in STAMPED}
        times["due_at"] = np.full(n, _NAT)
        status = np.full(n, CaseStatus.REPORTED.value, dtype=object)
        return cls(status, times, np.full(n, None, dtype=object), [], [])

    def history(self, n: int) -> History:
        work = pd.concat(self.work, ignore_index=True) if self.work else _empty(WORK_COLUMNS)
        events = pd.concat(self.events, ignore_index=True) if self.events else None
        if events is None:
            events = _empty(EVENT_COLUMNS)
        else:
            order = np.lexsort((events["version"].to_numpy(), events.pop("row").to_numpy()))
            events = events.iloc[order].reset_index(drop=True)
        return History(self.status, self.times, self.assignee, work, events)


def _empty(columns: tuple[str, ...]) -> pd.DataFrame:
    return pd.DataFrame({c: pd.Series(dtype=object) for c in columns})


def _work_path(rng, key, rows, ids, when, people, limits, plan, end, clock, out: _Out) -> None:
    """Record the cases `rows`, which take path `key`, as far as they got by `end`."""
    steps = _run(_path(key))
    moments = _moments(key, when, rows, plan)
    kept = (np.stack(moments, axis=1) < end).sum(axis=1)
    by = _actors(rows, people, plan)
    dues = _dues(steps, moments, rows, limits, plan, clock)
    # drawn for every step, reached or not: what happened before a cut does not depend on it
    notes = [_notes(rng, step.action, len(rows)) for step in steps]
    for i, step in enumerate(steps):
        done = kept > i
        if not done.any():
            break
        at, sel = moments[i][done], rows[done]
        out.events.append(_event_rows(step, i, steps, sel, ids, at, by, done, notes[i][done]))
        _stamp(out, steps, i, sel, at)
        out.status[sel] = step.to.value
        out.assignee[sel] = _assignee(step.state, by, done, out.assignee[sel])
        out.times["due_at"][sel] = _due_of(step.state, dues, done)
    acted = kept > 0
    if acted.any():
        out.work.append(_work_rows(steps, kept[acted], rows[acted], ids, by, acted, plan))


def _actors(rows: np.ndarray, people: People, plan: _Plan) -> dict[str, np.ndarray]:
    """Who each stand-in is, for each case of `rows`; "original": the case a repeat is merged
    into (its index; -1 for the others)."""
    returned = plan.returned[rows]
    return {
        "desk": people.desk[rows],
        "street": people.street[rows],
        "first": np.where(returned, people.other[rows], people.handler[rows]),
        "final": people.handler[rows],
        "first-org": np.where(returned, people.other_org[rows], people.handler_org[rows]),
        "final-org": people.handler_org[rows],
        "original": np.where(plan.repeat_of[rows] >= 0, plan.repeat_of[rows], -1),
    }


def _dues(steps, moments, rows, limits, plan, clock) -> dict[int, np.ndarray]:
    """Due moments of the path's dispatches (by step) and of a granted extension (-step-1)."""
    dues = {}
    for i, step in enumerate(steps):
        if step.action is A.DISPATCH:
            dues[i] = clock.due(moments[i], limits.limit[rows], limits.unit[rows])
            hours = plan.hours[rows]
            unit = np.full(len(rows), LimitUnit.WORK_HOURS.value, dtype=object)
            dues[-i - 1] = clock.due(dues[i], hours, unit)
    return dues


def _due_of(state: CaseState, dues: dict[int, np.ndarray], done: np.ndarray) -> np.ndarray:
    """The due moments the machine's stand-in due time stands for."""
    if state.due_at is None:
        return np.full(int(done.sum()), _NAT)
    days = (state.due_at - _BASE).days
    step = days - 1 if days < 1000 else -(days - 1000 - 1) - 1
    return dues[step][done]


def _assignee(state: CaseState, by: dict, done: np.ndarray, before: np.ndarray) -> np.ndarray:
    """The cases' assignee_id after a step, as the store keeps it: the person, else the
    organisation, else whom it had."""
    if state.assignee_person is not None:
        return by[state.assignee_person][done]
    if state.assignee_org is not None:
        return by[state.assignee_org][done]
    return before


def _stamp(out: _Out, steps: tuple[_Step, ...], i: int, sel: np.ndarray, at: np.ndarray) -> None:
    """A stage's time is when the case first reached it (as the store stamps it)."""
    step = steps[i]
    before = CaseStatus.REPORTED if i == 0 else steps[i - 1].to
    if step.to is before:
        return
    stages = [step.to] + ([CaseStatus.VERIFIED] if step.action is A.VERIFY_PASS else [])
    for stage in stages:
        column = out.times[f"{stage.value}_at"]
        column[sel] = np.where(column[sel] == _NAT, at, column[sel])


def _notes(rng: np.random.Generator, action: Action, n: int) -> np.ndarray:
    """A note for each of `n` events of `action` (empty where the action needs none)."""
    notes = NOTES.get(action, ("",))
    return np.array(notes, dtype=object)[rng.integers(0, len(notes), n)]


def _event_rows(step: _Step, i: int, steps, sel, ids, at, by, done, notes) -> pd.DataFrame:
    """The events of step `i` for the cases `sel` (`done` of the path's; their row, to sort
    by)."""
    before = CaseStatus.REPORTED if i == 0 else steps[i - 1].to
    org, person = (None if key is None else by[key][done] for key in step.to_whom)
    return pd.DataFrame(
        {
            "row": sel,
            "case_id": ids[sel],
            "version": step.version,
            "at": at,
            "actor": by[step.who][done],
            "action": step.action.value,
            "from_status": before.value,
            "to_status": step.to.value,
            "note": notes,
            "assignee_org": org,
            "assignee_person": person,
        }
    )


def _work_rows(steps, kept, rows, ids, by, acted, plan) -> pd.DataFrame:
    """case_work: each case's place in the machine after its last kept step."""
    frames = []
    for count in np.unique(kept):
        state = steps[count - 1].state
        mine = kept == count
        pick = {k: v[acted][mine] for k, v in by.items()}
        original = pick["original"]
        frames.append(
            pd.DataFrame(
                {
                    "case_id": ids[rows[mine]],
                    "version": state.version,
                    "assignee_org": _stand_in(state.assignee_org, pick),
                    "assignee_person": _stand_in(state.assignee_person, pick),
                    "resolved_by": _stand_in(state.resolved_by, pick),
                    "reworks": state.reworks,
                    "returns": state.returns,
                    "extensions": state.extensions,
                    "extension_asked": (
                        plan.hours[rows[mine]] if state.extension_asked is not None else np.nan
                    ),
                    "merged_into": ids[original] if state.merged_into is not None else None,
                }
            )
        )
    return pd.concat(frames, ignore_index=True)


def _stand_in(value: str | None, pick: dict[str, np.ndarray]) -> np.ndarray | None:
    return None if value is None else pick[value]
