"""The work-queue reader: a principal's queue tabs, one case's drawer, and actions on cases —
every read and write cut to what the principal sees, on the server."""

from __future__ import annotations

import datetime as dt
import re
import secrets
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from geodata.casework import Action, ActionRefused, Actor, CaseState, Event, Request, allowed
from geodata.model import LOCAL_TZ, CaseSource, Level, OrgKind, StaffMember
from geodata.photos import Photo
from geodata.store import QUEUE_TABS, QueueFilter, StaleCase, StoreError
from layers.access import Principal
from layers.mask import mask_case_text, mask_name, mask_phone
from layers.minimap import MiniMap, minimap

from .panel import reach_codes
from .source import Source

QUEUE_ROWS = 200  # newest cases a tab lists
BULK_LIMIT = 100  # cases one bulk dispatch may name
# Where a desk call comes from (Open311 posts come through their own door).
DESK_SOURCES = tuple(s.value for s in CaseSource if s is not CaseSource.OPEN311)
PHONE = re.compile(r"\+?[0-9][0-9 \-]{4,19}")
NOTE_CHARS = 2000


@dataclass(frozen=True)
class Queue:
    tab: str
    rows: list[dict[str, Any]]
    total: int
    counts: Mapping[str, int]


@dataclass(frozen=True)
class Drawer:
    """One case as its drawer shows it."""

    case: Mapping[str, Any]
    state: CaseState
    events: list[Event]
    actions: list[Action]
    assignees: list[dict[str, Any]] = field(default_factory=list)
    personal: bool = False
    duplicates: list[dict[str, Any]] = field(default_factory=list)  # to merge into
    actors: Mapping[str, str] = field(default_factory=dict)  # the events' actors' names
    minimap: MiniMap | None = None  # its compound, cell and buildings around its point
    photos: list[dict[str, Any]] = field(default_factory=list)  # shown to `personal` only


def scope_codes(who: Principal) -> list[str] | None:
    """The areas whose cases `who` works on (None: the whole city)."""
    return None if who.sees.city else reach_codes(who.sees)


def queue(src: Source, who: Principal, tab: str, narrowed: QueueFilter, at: dt.datetime) -> Queue:
    """One tab of the work queue, newest first, with every tab's count; nothing outside what
    `who` sees (an unknown tab lists the first)."""
    tab = tab if tab in QUEUE_TABS else QUEUE_TABS[0]
    codes = scope_codes(who)
    if codes == []:
        return Queue(tab, [], 0, dict.fromkeys(QUEUE_TABS, 0))
    frame, total = src.store.work_queue(codes, tab, at, narrowed, limit=QUEUE_ROWS)
    rows = _rows(frame, at)
    names = src.store.actor_names([r["assignee"] for r in rows if r["assignee"]])
    for row in rows:  # a person's or an organisation's name; the id filters by it
        row["assignee_name"] = names.get(row["assignee"], row["assignee"])
    return Queue(tab, rows, total, src.store.queue_counts(codes, at))


def _rows(frame: pd.DataFrame, at: dt.datetime) -> list[dict[str, Any]]:
    """Queue rows; descriptions masked, as in the map's case table (the drawer shows them
    as stored to those who may see them)."""
    rows = []
    for case in frame.to_dict("records"):
        due = case["due_at"]
        rows.append(
            {
                "id": case["id"],
                "category": case["category"],
                "status": case["status"],
                "source": case["source"] or "",
                "reported": local_text(case["reported_at"]),
                "due": local_text(due),
                "overdue": bool(pd.notna(due) and due < at),
                "community_code": case["community_code"] or "",
                "compound_code": _plain(case["compound_code"]),
                "version": int(case["version"]),
                "assignee": case["assignee_id"] or case["assignee_org"] or "",
                "reworks": int(case["reworks"]),
                "extension_asked": _hours(case["extension_asked"]),
                "description": _short(_text(case, False)),
            }
        )
    return rows


def drawer(src: Source, who: Principal, case_id: str) -> Drawer | None:
    """A case's drawer: details (the reporter masked unless `who` may see them), timeline,
    the actions `who` may take now and, for dispatch, the people and organisations to
    suggest; None when there is no such case or it lies outside what `who` sees."""
    case = _case(src, who, case_id)
    if case is None:
        return None
    state = src.store.case_state(case_id)
    staff = _staff(src, case)
    actor = actor_of(who, staff)
    personal = bool(who.personal.rows_inside(pd.DataFrame([case]))[0])
    shown = dict(case)
    if not personal:
        shown["reporter_name"] = mask_name(case.get("reporter_name") or "")
        shown["reporter_phone"] = mask_phone(case.get("reporter_phone") or "")
        shown["description"] = _text(case, False)
    actions = allowed(state, actor)
    assignees = _assignees(src, staff) if Action.DISPATCH in actions else []
    near = _duplicates(src, who, case_id, personal) if Action.MERGE in actions else []
    events = src.store.case_events(case_id)
    named = [e.actor for e in events]
    named += [x for e in events for x in (e.assignee_org, e.assignee_person) if x]
    actors = src.store.actor_names(named)
    small = _minimap(src, case)
    photos = src.store.case_photos(case_id)
    names = src.store.actor_names([p["taken_by"] for p in photos])
    for p in photos:
        p["taken_by"] = names.get(p["taken_by"], p["taken_by"])
    return Drawer(shown, state, events, actions, assignees, personal, near, actors, small, photos)


def photo(src: Source, who: Principal, photo_id: str) -> tuple[bytes, str] | None:
    """A case photo's bytes and case id, for someone who may see residents' data where its
    case lies (a photo may show residents); None otherwise, or when there is none."""
    found = src.store.case_photo(photo_id)
    if found is None:
        return None
    facts, content = found
    case = _case(src, who, facts["case_id"])
    if case is None or not who.personal.rows_inside(pd.DataFrame([case]))[0]:
        return None
    return content, facts["case_id"]


def _minimap(src: Source, case: Mapping[str, Any]) -> MiniMap | None:
    """The drawer's small map: the case's compound and grid cell, the compound's buildings,
    and where the case lies."""
    compound, cell = _plain(case.get("compound_code")), _plain(case.get("grid_code"))
    shapes = src.store.area_shapes([c for c in (compound, cell) if c])
    shape = dict(zip(shapes["code"], shapes.geometry, strict=True))
    outlines = [(kind, shape.get(code)) for kind, code in (("compound", compound), ("grid", cell))]
    outlines = [(kind, geom) for kind, geom in outlines if geom is not None]
    if compound:
        outlines += [("building", g) for g in src.store.buildings(compound).geometry]
    lon, lat = case.get("lon"), case.get("lat")
    point = (float(lon), float(lat)) if pd.notna(lon) and pd.notna(lat) else None
    return minimap(outlines, point)


def _duplicates(src: Source, who: Principal, case_id: str, personal: bool) -> list[dict]:
    """Cases this one may repeat (same category, 100 m, 14 days), in `who`'s scope."""
    near = src.store.duplicates_near(case_id)
    near = near[who.sees.rows_inside(near)] if len(near) else near
    return [
        {
            "id": c["id"],
            "reported": local_text(c["reported_at"]),
            "status": c["status"],
            "description": _short(_text(c, personal)),
        }
        for c in near.to_dict("records")
    ]


def act(
    src: Source,
    who: Principal,
    form: Mapping[str, str],
    address: str,
    photo: Photo | None = None,
) -> str | None:
    """Take the action a drawer's form asks for (a resolve may bring a photo, made safe by
    geodata.photos.clean_photo); None when done, else why not (a stale version: who changed
    the case and when)."""
    case_id = form.get("case", "")
    case = _case(src, who, case_id)
    if case is None:
        return "no_case"
    org, _, person = form.get("assignee", "").partition("|")
    try:
        request = Request(
            Action(form.get("action", "")),
            note=form.get("note", "")[: NOTE_CHARS + 1],
            org_id=org or None,
            person_id=person or None,
            hours=float(form["hours"]) if form.get("hours") else None,
            original=(form.get("original") or "").strip()[:64] or None,
        )
        version = int(form.get("version", ""))
    except ValueError:
        return "bad_form"
    if request.original and _case(src, who, request.original) is None:
        return "no_case"  # an original outside one's area is not even named
    staff = _staff(src, case)
    if org and (org, person) not in {(a["org"], a["person"]) for a in _pairs(staff)}:
        return "bad_assignee"
    actor = actor_of(who, staff)
    try:
        src.store.act(case_id, request, actor, version, dt.datetime.now(dt.UTC), address, photo)
    except (StaleCase, ActionRefused) as exc:
        return str(exc)
    except StoreError:
        return "not_written"
    return None


@dataclass(frozen=True)
class Bulk:
    """What a bulk dispatch did: the cases dispatched, and each refused one with why (a
    cases.problem key, or the store's words: a stale version names who changed it and when)."""

    done: list[str]
    refused: list[tuple[str, str]]


def dispatch_many(
    src: Source, who: Principal, picks: Sequence[str], assignee: str, address: str
) -> Bulk:
    """Dispatch each picked case ("id|version", the version `who` saw) to `assignee`
    ("org|person") through the same checks and store call as a drawer's dispatch: one outside
    what `who` sees, changed since, or not served by the organisation is refused and left as
    it was. Raises ValueError naming the problem of the whole form (nothing dispatched): none
    picked ("none"), more than BULK_LIMIT ("too_many"), no organisation ("no_assignee")."""
    if not picks:
        raise ValueError("none")
    if len(picks) > BULK_LIMIT:
        raise ValueError("too_many")
    if not assignee.partition("|")[0]:
        raise ValueError("no_assignee")
    done, refused = [], []
    for case_id, version in _picked(picks):
        form = {"case": case_id, "version": version, "action": "dispatch", "assignee": assignee}
        problem = act(src, who, form, address)
        if problem is None:
            done.append(case_id)
        else:
            refused.append((case_id, problem))
    return Bulk(done, refused)


def _picked(picks: Sequence[str]) -> list[tuple[str, str]]:
    """(case id, version) of each pick, each case once (its first pick)."""
    found: dict[str, str] = {}
    for pick in picks:
        case_id, _, version = pick.rpartition("|")
        found.setdefault(case_id.strip()[:65], version.strip()[:12])
    return list(found.items())


def bulk_assignees(src: Source, rows: Sequence[Mapping[str, Any]]) -> list[dict[str, str]]:
    """The organisations a page of cases may be dispatched to at once: the committees of
    their communities, then the property companies of their compounds, each by name. Each
    case is checked again when dispatched (one the organisation does not serve is refused)."""
    orgs: dict[str, tuple[int, str, str]] = {}
    for community in sorted({r["community_code"] for r in rows if r["community_code"]}):
        for member in src.store.staff(community):
            for role in member.roles:
                if role.org_kind is OrgKind.COMMITTEE and role.area_code == community:
                    orgs[role.org_id] = (0, role.org_name, OrgKind.COMMITTEE.value)
    for compound in sorted({r["compound_code"] for r in rows if r["compound_code"]}):
        area = src.store.area(compound) or {}
        org = area.get("property_company_id")
        if org and org not in orgs:
            name = area.get("property_company") or org
            orgs[org] = (1, name, OrgKind.PROPERTY_COMPANY.value)
    ordered = sorted(orgs.items(), key=lambda item: (item[1][0], item[1][1], item[0]))
    return [{"org": org, "org_name": name, "kind": kind} for org, (_, name, kind) in ordered]


def record(src: Source, who: Principal, form: Mapping[str, str], at: dt.datetime) -> str:
    """A case from a desk call (上报): in a compound or grid cell `who` sees, placed at the
    area's inner point; returns its id, or raises ValueError naming the problem (nothing
    written)."""
    area = record_area(src, who, form.get("area") or "")
    if area is None:
        raise ValueError("bad_area")
    codes = {c.code for c in src.store.categories()}
    category, source = form.get("category", ""), form.get("source", "")
    description = (form.get("description") or "").strip()
    name, phone = (form.get(k, "").strip() for k in ("reporter_name", "reporter_phone"))
    if category not in codes or source not in DESK_SOURCES:
        raise ValueError("bad_form")
    if not description or len(description) > NOTE_CHARS or len(name) > 40:
        raise ValueError("bad_text")
    if phone and not PHONE.fullmatch(phone):
        raise ValueError("bad_phone")
    shapes = src.store.areas(Level(area["level"]), parent=area["community_code"])
    point = shapes.set_index("code").at[area["code"], "geometry"].representative_point()
    case_id = f"D{at:%Y%m%d}-{secrets.token_hex(3).upper()}"
    row = {
        "id": case_id, "category": category, "description": description, "source": source,
        "status": "reported", "lon": point.x, "lat": point.y, "reported_at": at,
        "reporter_name": name or None, "reporter_phone": phone or None,
    }  # fmt: skip
    src.store.add_cases(pd.DataFrame([row]))
    return case_id


def record_area(src: Source, who: Principal, code: str) -> dict[str, Any] | None:
    """The compound or grid cell coded `code` when `who` sees it (a call may be recorded
    there), else None."""
    area = src.store.area(code.strip()[:32]) if code.strip() else None
    if area is None or area["level"] not in ("compound", "grid") or not who.sees.covers(area):
        return None
    return area


def actor_of(who: Principal, staff: list[StaffMember]) -> Actor:
    """The principal as the case machine sees it, with the organisations it stands for here
    (its roles among the case's staff)."""
    orgs = {r.org_id for m in staff if m.person_id == who.person_id for r in m.roles}
    return Actor(who.login, frozenset(who.roles), who.person_id, frozenset(orgs))


# --- helpers ----------------------------------------------------------------------------------
def _case(src: Source, who: Principal, case_id: str) -> dict[str, Any] | None:
    """The case as stored, when `who` sees it (else None: a forged id learns nothing)."""
    if not case_id or len(case_id) > 64:
        return None
    frame = src.store.case_record(case_id)
    if frame.empty or not who.sees.rows_inside(frame)[0]:
        return None
    return frame.iloc[0].to_dict()


def _staff(src: Source, case: Mapping[str, Any]) -> list[StaffMember]:
    out: dict[str, StaffMember] = {}
    for code in (case.get("grid_code"), case.get("compound_code")):
        if isinstance(code, str) and code:
            out.update({m.person_id: m for m in src.store.staff(code)})
    return list(out.values())


def _pairs(staff: list[StaffMember]) -> list[dict[str, Any]]:
    """Who a case here may go to: each organisation of the area's staff alone (person ""),
    then each person with each organisation they work for, cross-appointed people first."""
    orgs: dict[str, dict[str, Any]] = {}
    people = []
    for member in sorted(staff, key=lambda m: (not m.cross_appointed, m.name)):
        for org_id, org_name in dict.fromkeys((r.org_id, r.org_name) for r in member.roles):
            orgs.setdefault(
                org_id,
                {"org": org_id, "org_name": org_name, "person": "", "name": "", "cross": False},
            )
            people.append(
                {
                    "org": org_id,
                    "org_name": org_name,
                    "person": member.person_id,
                    "name": member.name,
                    "cross": member.cross_appointed,
                }
            )
    return [*orgs.values(), *people]


def _assignees(src: Source, staff: list[StaffMember]) -> list[dict[str, Any]]:
    """_pairs with each person's open load (cases being handled that name them)."""
    now = dt.datetime.now(dt.UTC)
    out = []
    for pair in _pairs(staff):
        load = 0
        if pair["person"]:
            narrowed = QueueFilter(assignee=pair["person"])
            load = src.store.work_queue(None, "handling", now, narrowed, limit=0)[1]
        out.append({**pair, "load": load})
    return out


def local_text(moment: object) -> str:
    """A stored moment as China time to the minute ("" for none)."""
    if moment is None or pd.isna(moment):
        return ""
    return pd.Timestamp(moment).tz_convert(LOCAL_TZ).strftime("%Y-%m-%d %H:%M")


def _hours(value: object) -> str:
    return "" if value is None or pd.isna(value) else f"{float(value):g}"


def _text(case: Mapping[str, Any], personal: bool) -> str:
    """A case's description as stored, or with residents' data masked (its reporter, and
    names, phones, ids … mask_case_text finds)."""
    text, name, phone = (
        _plain(case.get(k)) for k in ("description", "reporter_name", "reporter_phone")
    )
    return text if personal else mask_case_text(text, name, phone)


def _plain(value: object) -> str:
    return "" if value is None or (isinstance(value, float) and pd.isna(value)) else str(value)


def _short(text: str, limit: int = 60) -> str:
    return text if len(text) <= limit else text[:limit] + "…"
