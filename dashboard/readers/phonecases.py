"""The phone's case reader: a case reported from the doorstep and a worker's action on their own
case, each stored once per phone-made id, a stale action told apart from its own resend."""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Mapping
from typing import Any

import pandas as pd

from geodata.casework import Action, allowed
from geodata.photos import Photo
from geodata.store import ReportPhoto, StoreError
from layers.access import Principal

from . import cases as case_reader
from . import mobile as reader
from .mobile import Outcome
from .source import Source

# What a worker does to their own case on the phone; the desk's actions stay at the desk.
PHONE_ACTIONS = (Action.ACCEPT, Action.RETURN, Action.RESOLVE, Action.ASK_EXTENSION)
CASE_PREFIX = "M-"  # a case reported on a phone: M- and 16 hex digits of the phone's id


def case_id_of(report_id: str) -> str:
    """The case id a phone-made report id becomes: the same id on every resend."""
    return CASE_PREFIX + uuid.UUID(report_id).hex[:16].upper()


def my_cases(src: Source, who: Principal, at: dt.datetime) -> list[dict[str, Any]]:
    """The worker's assigned cases being handled, each with the phone actions the case
    machine lets them take now."""
    rows = reader.my_cases(src, who, at)
    actor = case_reader.actor_of(who, [])
    for row in rows:
        state = src.store.case_state(row["id"])
        row["actions"] = [a.value for a in allowed(state, actor) if a in PHONE_ACTIONS]
    return rows


def report_case(
    src: Source, who: Principal, form: Mapping[str, str], photo: Photo | None, at: dt.datetime
) -> Outcome:
    """A case from the doorstep (上报, source grid_worker) in one of the worker's own cells,
    at the phone's location or else at the stop's building; stored once per report id."""
    worker_id = reader.worker_of(who)
    if worker_id is None:
        return reader.refused("not_worker")
    report_id = reader.phone_id(form.get("report_id"))
    if report_id is None:
        return reader.refused("bad_id")
    case_id = case_id_of(report_id)
    if src.store.existing_ids("cases", [case_id]):
        return Outcome("already", record_id=case_id)
    checked = _report_fields(src, worker_id, form)
    if isinstance(checked, Outcome):
        return checked
    row = {"id": case_id, "source": "grid_worker", "status": "reported", "reported_at": at,
           "reporter_name": None, "reporter_phone": None, **checked}  # fmt: skip
    photos = [ReportPhoto(case_id, who.login, photo)] if photo is not None else []
    try:
        src.store.add_cases(pd.DataFrame([row]), photos=photos)
    except StoreError:
        if src.store.existing_ids("cases", [case_id]):  # the same report, sent twice at once
            return Outcome("already", record_id=case_id)
        return reader.refused("not_written")
    return Outcome("stored", record_id=case_id)


def _report_fields(src: Source, worker_id: str, form: Mapping[str, str]) -> dict | Outcome:
    """Category, description and the point of a report, or its refusal."""
    category = str(form.get("category") or "")
    if category not in {c.code for c in src.store.categories()}:
        return reader.refused("bad_category")
    description = str(form.get("description") or "").strip()
    if not description or len(description) > case_reader.NOTE_CHARS:
        return reader.refused("bad_description", chars=case_reader.NOTE_CHARS)
    point = _report_point(src, worker_id, form)
    if isinstance(point, Outcome):
        return point
    return {"category": category, "description": description, "lon": point[0], "lat": point[1]}


def _report_point(src: Source, worker_id: str, form: Mapping[str, str]) -> tuple | Outcome:
    """The phone's location when given, else the named stop's building; in one of the
    worker's own cells."""
    where = reader.location(form)
    if where == "bad":
        return reader.refused("bad_location")
    if where is None:
        building = reader.own_building(src, worker_id, str(form.get("building") or "")[:80])
        if building is None:
            return reader.refused("no_location")
        return building["lon"], building["lat"]
    found = src.store.locate(where[0], where[1])
    if not found or found.get("grid_code") not in reader.own_cells(src, worker_id):
        return reader.refused("outside_cells")
    return where


def act(
    src: Source, who: Principal, form: Mapping[str, str], photo: Photo | None, address: str
) -> Outcome:
    """A worker's action on their own case (accept, return, resolve with a note and photo, ask
    for more time) at the version the phone saw: stored, already stored (this very action was
    taken by them from that version: a resend), a conflict (someone else changed the case
    meanwhile: who and when), or refused."""
    case_id = str(form.get("case") or "")[:64]
    if reader.worker_of(who) is None:
        return reader.refused("not_worker")
    if form.get("action") not in {a.value for a in PHONE_ACTIONS}:
        return reader.refused("bad_action")
    problem = case_reader.act(src, who, form, address, photo)
    if problem is None:
        return Outcome("stored", record_id=case_id)
    if problem in ("no_case", "bad_form", "bad_assignee", "not_written"):
        return reader.refused(f"case_{problem}")
    if _already_taken(src, who, case_id, form):
        return Outcome("already", record_id=case_id)
    if _stale(src, case_id, form):
        return Outcome("conflict", "conflict", {"why": problem}, case_id)
    return reader.refused("case_refused", why=problem)


def _stale(src: Source, case_id: str, form: Mapping[str, str]) -> bool:
    return str(src.store.case_state(case_id).version) != str(form.get("version") or "")


def _already_taken(src: Source, who: Principal, case_id: str, form: Mapping[str, str]) -> bool:
    """Whether the event after the version the phone saw is this very action by this login
    (its note too): the phone sent it again after an answer it never got."""
    try:
        seen = int(str(form.get("version") or ""))
    except ValueError:
        return False
    following = [e for e in src.store.case_events(case_id) if e.version == seen + 1]
    return any(
        e.actor == who.login
        and e.action.value == form.get("action")
        and e.note == str(form.get("note") or "")[: case_reader.NOTE_CHARS + 1]
        for e in following
    )
