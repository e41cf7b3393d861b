"""The case machine: every action on a case, who may take it, and what it changes — in one place.

上报 reported → 立案 registered (or 不予立案 rejected, with a reason) → 派遣 dispatched to an
organisation and optionally a person → 处置 accepted by the assignee (or returned as "not ours",
back to registered for dispatch again) → 处置完成 resolved with a note → 核查 by someone other
than the resolver: pass → 结案 closed; fail → 返工 back to dispatched, counted. 延期: the
assignee asks for more time with a reason; a street supervisor grants (the due time moves) or
refuses. A duplicate is merged into its original and closes with it.

Pure: no store, no clock reading. `apply` returns the case's next state and the event to
record, or raises ActionRefused saying why; `allowed` lists what an actor may do now (the UI
shows only those). Every action bumps the case's version; the store refuses an action on a
stale version.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field
from enum import StrEnum

from .model import CaseStatus

S = CaseStatus
MAX_NOTE = 2000  # characters of a note or reason
MAX_EXTENSION_HOURS = 2000


class Action(StrEnum):
    REGISTER = "register"  # 立案
    REJECT = "reject"  # 不予立案
    DISPATCH = "dispatch"  # 派遣
    ACCEPT = "accept"  # 接单 (处置)
    RETURN = "return"  # 退回: not ours
    RESOLVE = "resolve"  # 处置完成
    VERIFY_PASS = "verify_pass"  # 核查通过 → 结案
    VERIFY_FAIL = "verify_fail"  # 核查不通过 → 返工
    ASK_EXTENSION = "ask_extension"  # 申请延期
    GRANT_EXTENSION = "grant_extension"  # 批准延期
    REFUSE_EXTENSION = "refuse_extension"  # 驳回延期
    MERGE = "merge"  # 合并: a duplicate waits for its original
    CLOSE_WITH = "close_with"  # 随原诉求结案: taken by the store when the original closes


STREET_ACTOR = "street:"  # "street:CODE": an event taken by a street office, not an account
DESK_ROLES = frozenset({"city", "street", "community"})  # register, reject, dispatch, verify
HANDLING_ROLES = frozenset({"community", "property", "grid_worker"})  # when assigned to them
EXTENSION_ROLES = frozenset({"street"})  # a street supervisor grants or refuses


class ActionRefused(ValueError):
    """An action this actor may not take on this case now; the message says why."""


@dataclass(frozen=True)
class Actor:
    """Who acts: their login, roles, and what they stand for (a staff person, organisations)."""

    login: str
    roles: frozenset[str]
    person_id: str | None = None
    org_ids: frozenset[str] = frozenset()


@dataclass(frozen=True)
class CaseState:
    """What the machine knows of a case. Times are aware."""

    status: CaseStatus
    version: int = 0
    assignee_org: str | None = None
    assignee_person: str | None = None
    resolved_by: str | None = None  # login of the last resolver
    reworks: int = 0  # 返工
    returns: int = 0  # 退回
    extensions: int = 0  # 延期 granted
    extension_asked: float | None = None  # hours asked, while a request waits
    due_at: dt.datetime | None = None
    merged_into: str | None = None

    @property
    def is_open(self) -> bool:
        return self.status not in (S.CLOSED, S.REJECTED)


@dataclass(frozen=True)
class Request:
    """One action as asked: its note or reason, and what it needs (an assignee, hours, the
    original case)."""

    action: Action
    note: str = ""
    org_id: str | None = None
    person_id: str | None = None
    hours: float | None = None
    original: str | None = None
    data: dict = field(default_factory=dict)


@dataclass(frozen=True)
class Event:
    """One transition, as recorded: who, when, from, to, the note; `version` is the case's
    version after it."""

    action: Action
    actor: str
    at: dt.datetime
    from_status: CaseStatus
    to_status: CaseStatus
    version: int
    note: str = ""
    assignee_org: str | None = None  # a dispatch: to whom
    assignee_person: str | None = None


# --- who may act ----------------------------------------------------------------------------
def _desk(actor: Actor, state: CaseState) -> str | None:
    return None if actor.roles & DESK_ROLES else "only the street or community desk may"


def _assignee(actor: Actor, state: CaseState) -> str | None:
    if not actor.roles & HANDLING_ROLES:
        return "only the assignee may"
    mine = (state.assignee_person is not None and state.assignee_person == actor.person_id) or (
        state.assignee_person is None and state.assignee_org in actor.org_ids
    )
    return None if mine else "only the assignee may"


def _verifier(actor: Actor, state: CaseState) -> str | None:
    if _desk(actor, state):
        return "only the street or community desk may"
    if actor.login == state.resolved_by:
        return "the resolver may not verify their own work"
    return None


def _street(actor: Actor, state: CaseState) -> str | None:
    return None if actor.roles & EXTENSION_ROLES else "only a street supervisor may"


def _with_original(actor: Actor, state: CaseState) -> str | None:
    return None if state.merged_into is not None else "only a merged duplicate may"


@dataclass(frozen=True)
class _Rule:
    sources: frozenset[CaseStatus]
    target: CaseStatus | None  # None: the status stays
    who: Callable[[Actor, CaseState], str | None]
    needs_note: bool = False


_OPEN_HANDLING = frozenset({S.DISPATCHED, S.IN_PROGRESS})
RULES: dict[Action, _Rule] = {
    Action.REGISTER: _Rule(frozenset({S.REPORTED}), S.REGISTERED, _desk),
    Action.REJECT: _Rule(frozenset({S.REPORTED}), S.REJECTED, _desk, needs_note=True),
    Action.DISPATCH: _Rule(frozenset({S.REGISTERED}), S.DISPATCHED, _desk),
    Action.ACCEPT: _Rule(frozenset({S.DISPATCHED}), S.IN_PROGRESS, _assignee),
    Action.RETURN: _Rule(frozenset({S.DISPATCHED}), S.REGISTERED, _assignee, needs_note=True),
    Action.RESOLVE: _Rule(frozenset({S.IN_PROGRESS}), S.RESOLVED, _assignee, needs_note=True),
    # An imported case may arrive verified (核查 done elsewhere): closing it is the same step.
    Action.VERIFY_PASS: _Rule(frozenset({S.RESOLVED, S.VERIFIED}), S.CLOSED, _verifier),
    Action.VERIFY_FAIL: _Rule(frozenset({S.RESOLVED}), S.DISPATCHED, _verifier, needs_note=True),
    Action.ASK_EXTENSION: _Rule(_OPEN_HANDLING, None, _assignee, needs_note=True),
    Action.GRANT_EXTENSION: _Rule(_OPEN_HANDLING, None, _street),
    Action.REFUSE_EXTENSION: _Rule(_OPEN_HANDLING, None, _street, needs_note=True),
    Action.MERGE: _Rule(frozenset({S.REPORTED, S.REGISTERED}), None, _desk),
    Action.CLOSE_WITH: _Rule(frozenset({S.REPORTED, S.REGISTERED}), S.CLOSED, _with_original),
}
INTERNAL = frozenset({Action.CLOSE_WITH})  # never offered to a person


# --- the machine ----------------------------------------------------------------------------
def refusal(state: CaseState, request: Request, actor: Actor) -> str | None:
    """Why `actor` may not take `request` on a case in `state` now (None: they may)."""
    rule = RULES[request.action]
    if state.merged_into is not None and request.action is not Action.CLOSE_WITH:
        return f"merged into {state.merged_into}: it closes with that case"
    if state.status not in rule.sources:
        return f"a {state.status.value} case cannot be {_past(request.action)}"
    who = rule.who(actor, state)
    if who is not None:
        return f"{who} {request.action.value.replace('_', ' ')}"
    return _request_problem(state, request, rule)


def _request_problem(state: CaseState, request: Request, rule: _Rule) -> str | None:
    note = request.note.strip()
    if rule.needs_note and not note:
        return f"{request.action.value.replace('_', ' ')} needs a note saying why"
    if len(note) > MAX_NOTE:
        return f"the note is over {MAX_NOTE} characters"
    action = request.action
    pending = _extension_problem(state, action)
    if pending is not None:
        return pending
    if action is Action.DISPATCH and not request.org_id:
        return "dispatch needs an organisation"
    hours = request.hours
    if action is Action.ASK_EXTENSION and (hours is None or not 0 < hours <= MAX_EXTENSION_HOURS):
        return f"an extension needs hours from more than 0 to {MAX_EXTENSION_HOURS}"
    if action is Action.MERGE and not request.original:
        return "merge needs the original case"
    return None


def _extension_problem(state: CaseState, action: Action) -> str | None:
    """One request for more time at once, and an answer only to a request."""
    if action is Action.ASK_EXTENSION and state.extension_asked is not None:
        return "an extension is asked already"
    answers = (Action.GRANT_EXTENSION, Action.REFUSE_EXTENSION)
    if action in answers and state.extension_asked is None:
        return "no extension is asked"
    return None


def allowed(state: CaseState, actor: Actor) -> list[Action]:
    """The actions `actor` may take now (notes and assignees aside)."""
    if state.merged_into is not None:
        return []
    return [
        action
        for action, rule in RULES.items()
        if action not in INTERNAL
        and state.status in rule.sources
        and rule.who(actor, state) is None
        and _extension_problem(state, action) is None
    ]


def apply(
    state: CaseState,
    request: Request,
    actor: Actor,
    at: dt.datetime,
    due_after: Callable[[dt.datetime], dt.datetime | None] = lambda _: None,
    extend: Callable[[dt.datetime, float], dt.datetime] = lambda due, h: (
        due + dt.timedelta(hours=h)
    ),
) -> tuple[CaseState, Event]:
    """The case after `actor` takes `request` at `at`, and the event to record. `due_after`
    gives the due time of a case dispatched at a moment (the category's limit on the
    working-time clock); `extend` moves a due time by granted hours."""
    why = refusal(state, request, actor)
    if why is not None:
        raise ActionRefused(why)
    rule = RULES[request.action]
    target = rule.target or state.status
    new = _changed(state, request, actor, at, due_after, extend)
    new = dataclasses.replace(new, status=target, version=state.version + 1)
    to_whom = (request.org_id, request.person_id) if request.action is Action.DISPATCH else ()
    event = Event(
        request.action,
        actor.login,
        at,
        state.status,
        target,
        new.version,
        request.note.strip(),
        *to_whom,
    )
    return new, event


def _changed(state, request, actor, at, due_after, extend) -> CaseState:
    """The fields an action changes besides status and version."""
    action, change = request.action, {}
    if action is Action.DISPATCH:
        change = {
            "assignee_org": request.org_id,
            "assignee_person": request.person_id,
            "due_at": due_after(at) or state.due_at,
        }
    elif action is Action.RETURN:
        change = {"returns": state.returns + 1, "assignee_org": None, "assignee_person": None}
        change["extension_asked"] = None
    elif action is Action.RESOLVE:  # a request for more time is moot once the work is done
        change = {"resolved_by": actor.login, "extension_asked": None}
    elif action is Action.VERIFY_FAIL:
        change = {"reworks": state.reworks + 1, "resolved_by": None}
    elif action is Action.ASK_EXTENSION:
        change = {"extension_asked": float(request.hours)}
    elif action is Action.GRANT_EXTENSION:
        due = state.due_at
        change = {
            "extension_asked": None,
            "extensions": state.extensions + 1,
            "due_at": extend(due, state.extension_asked) if due is not None else None,
        }
    elif action is Action.REFUSE_EXTENSION:
        change = {"extension_asked": None}
    elif action is Action.MERGE:
        change = {"merged_into": request.original}
    return dataclasses.replace(state, **change)


def _past(action: Action) -> str:
    return {
        Action.REGISTER: "registered",
        Action.REJECT: "rejected",
        Action.DISPATCH: "dispatched",
        Action.ACCEPT: "accepted",
        Action.RETURN: "returned",
        Action.RESOLVE: "resolved",
        Action.VERIFY_PASS: "verified",
        Action.VERIFY_FAIL: "sent back for rework",
        Action.ASK_EXTENSION: "given more time",
        Action.GRANT_EXTENSION: "given more time",
        Action.REFUSE_EXTENSION: "refused more time",
        Action.MERGE: "merged",
        Action.CLOSE_WITH: "closed with an original",
    }[action]
