"""The phone page's reader: a grid worker's round today, a check-in's distance, a visit's checks
and its write (once per phone-made id), and the worker's own open cases."""

from __future__ import annotations

import datetime as dt
import math
import re
import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from dashboard.routesheet import map_data
from geodata.model import LOCAL_TZ
from geodata.store import QueueFilter, StoreError
from layers.access import Principal
from layers.itinerary import Itinerary, StopKind, clock
from layers.routeview import DEFAULT_BUDGET

from . import cases as case_reader
from . import routes as route_reader
from .source import Source

NEAR_M = 100.0  # a check-in farther than this from the building is flagged
FAR_AWAY_M = 50_000.0  # a location this far from the building is refused: another place
EARTH_RADIUS_M = 6_371_008.8
MAX_COUNT_DIGITS = 6
RESIDENTS_PER_HOUSEHOLD = 10  # residents met: at most this many per household of the building
NOTES_CHARS = 2000
_COUNT = re.compile(r"\d{1,6}")
_BUILDING = re.compile(r"[^\x00-\x1f\x7f]{1,80}")
_COORD = re.compile(r"-?\d{1,3}(\.\d{1,12})?")


@dataclass(frozen=True)
class Stop:
    """One stop of today's round as the phone lists it."""

    number: int
    id: str  # "B:<building>" or "C:<case>"
    kind: str  # layers.itinerary.StopKind value
    name: str
    address: str
    households: int | None
    arrival: str  # HH:MM local
    lon: float
    lat: float
    building_id: str | None
    case_id: str | None
    walk_m: int = 0  # walking metres from the previous stop (or the service hall)
    walk_min: int = 0
    visited: bool = False  # a visit logged today by this worker (buildings)
    next: bool = False


@dataclass(frozen=True)
class Round:
    """Today's round of a worker, or why there is none (a route.problem.* key and values)."""

    day: dt.date
    stops: list[Stop] = field(default_factory=list)
    map_data: Mapping[str, Any] = field(default_factory=dict)  # routesheet.map_data's values
    problem: str | None = None
    problem_args: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Outcome:
    """What a record sent from the phone (a visit, a report, a case action) came to: stored,
    already stored, a conflict (the case changed meanwhile) or refused (a mobile.problem.*
    key and values); a visit's check-in distance in metres (None: no location given)."""

    status: str  # "stored", "already", "conflict", "refused"
    problem: str = ""
    problem_args: Mapping[str, Any] = field(default_factory=dict)
    record_id: str = ""  # the record's id: a visit's, a reported or acted-on case's
    distance_m: float | None = None


def today() -> dt.date:
    """Today in China."""
    return dt.datetime.now(LOCAL_TZ).date()


def worker_of(who: Principal) -> str | None:
    """The grid worker a principal walks as: its linked person, when it has the role."""
    return who.person_id if "grid_worker" in who.roles and who.person_id else None


# --- today's round ------------------------------------------------------------------------------
def todays_round(src: Source, worker_id: str, day: dt.date, lang: str = "zh") -> Round:
    """The worker's planned round for `day` (the routes page's default budget and departure),
    each building stop marked when the worker logged a visit there that day, and the stop
    after the last one visited marked next. The plan is kept for the day (a visit logged
    does not reorder the round)."""
    try:
        cells = route_reader.worker(src.store, worker_id).grid_codes
        parts = [worker_id, day.isoformat(), ",".join(cells), lang]
        planned = src.memo("mobile-round", parts, lambda: _planned(src, worker_id, day, lang))
    except route_reader.RouteProblem as problem:
        return Round(day, problem=problem.key, problem_args=problem.args_map)
    done = visited_on(src, worker_id, day)
    stops = [Stop(**row, visited=row["building_id"] in done) for row in planned["stops"]]
    last = max((s.number for s in stops if s.visited), default=0)
    nxt = next((s.number for s in stops if s.number > last), None)
    return Round(day, [_marked(s, nxt) for s in stops], planned["map"])


def _marked(stop: Stop, nxt: int | None) -> Stop:
    if stop.number != nxt:
        return stop
    return Stop(**{**stop.__dict__, "next": True})


def _planned(src: Source, worker_id: str, day: dt.date, lang: str) -> dict[str, Any]:
    """The round's stops as rows and what its small map draws."""
    route = route_reader.itinerary(src.store, worker_id, day, float(DEFAULT_BUDGET))
    return {"stops": _stop_rows(route), "map": map_data(route, lang)}


def _stop_rows(route: Itinerary) -> list[dict[str, Any]]:
    rows = []
    for stop in route.stops:
        s = stop.stop
        households = s.reason_args.get("households") if s.kind is not StopKind.FOLLOW_UP else None
        rows.append(
            {
                "number": stop.number,
                "id": s.id,
                "kind": s.kind.value,
                "name": s.place.name,
                "address": s.place.address,
                "households": int(households) if households is not None else None,
                "arrival": clock(stop.arrival),
                "lon": s.place.lon,
                "lat": s.place.lat,
                "building_id": s.building_id,
                "case_id": s.case_id,
                "walk_m": round(stop.walk_m_before),
                "walk_min": max(1, round(stop.walk_min_before)),
            }
        )
    return rows


def visited_on(src: Source, worker_id: str, day: dt.date) -> set[str]:
    """Buildings the worker logged a visit at on `day`."""
    visits = src.store.visits(worker_id=worker_id)
    if visits.empty:
        return set()
    return set(visits.loc[visits["date"] == day, "building_id"].dropna().astype(str))


def find_stop(found: Round, stop_id: str) -> Stop | None:
    """A building stop of the round by its id."""
    return next((s for s in found.stops if s.id == stop_id and s.building_id), None)


# --- check-in distance --------------------------------------------------------------------------
def distance_m(lon1: float, lat1: float, lon2: float, lat2: float) -> float:
    """Great-circle metres between two WGS-84 points."""
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lon2 - lon1)
    a = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * EARTH_RADIUS_M * math.asin(min(1.0, math.sqrt(a)))


def location(form: Mapping[str, str]) -> tuple[float, float] | str | None:
    """The phone's lon/lat from a form: a pair, None when not given, "bad" when unusable."""
    lon, lat = (str(form.get(k) or "").strip() for k in ("lon", "lat"))
    if not lon and not lat:
        return None
    if not (_COORD.fullmatch(lon) and _COORD.fullmatch(lat)):
        return "bad"
    x, y = float(lon), float(lat)
    return (x, y) if -180 <= x <= 180 and -90 <= y <= 90 else "bad"


def far(distance: float | None) -> bool:
    """Whether a check-in is flagged: no location, or farther than NEAR_M."""
    return distance is None or distance > NEAR_M


# --- a visit ------------------------------------------------------------------------------------
def new_record_id() -> str:
    """An id for a record's form (the page's script replaces it with one made on the phone)."""
    return str(uuid.uuid4())


def record_visit(src: Source, who: Principal, form: Mapping[str, str], day: dt.date) -> Outcome:
    """Check a posted visit and store it once (its id made on the phone): the building in one
    of the worker's own cells, whole plausible counts, a location not in another place."""
    worker_id = worker_of(who)
    if worker_id is None:
        return refused("not_worker")
    visit_id = phone_id(form.get("visit_id"))
    if visit_id is None:
        return refused("bad_id")
    if visit_id in _stored_ids(src, worker_id):
        return Outcome("already", record_id=visit_id)
    checked = _checked(src, worker_id, form)
    if isinstance(checked, Outcome):
        return checked
    row = {"id": visit_id, "worker_id": worker_id, "date": day, **checked["row"]}
    try:
        src.store.add_visits(pd.DataFrame([row]))
    except StoreError:
        if visit_id in _stored_ids(src, worker_id):  # the same visit, sent twice at once
            return Outcome("already", record_id=visit_id)
        return refused("not_written")
    return Outcome("stored", record_id=visit_id, distance_m=checked["distance"])


def refused(problem: str, **args: Any) -> Outcome:
    """A refusal: a mobile.problem.* key and its values."""
    return Outcome("refused", problem, args)


def phone_id(raw: object) -> str | None:
    """A record's id made on the phone (a UUID), as text; None when it is not one."""
    try:
        return str(uuid.UUID(str(raw or "").strip()[:40]))
    except ValueError:
        return None


def _stored_ids(src: Source, worker_id: str) -> set[str]:
    return set(src.store.visits(worker_id=worker_id)["id"].astype(str))


def _checked(src: Source, worker_id: str, form: Mapping[str, str]) -> dict[str, Any] | Outcome:
    """The visit's stored columns and check-in distance, or the refusal."""
    building_id = str(form.get("building") or "").strip()
    known = _BUILDING.fullmatch(building_id)
    building = own_building(src, worker_id, building_id) if known else None
    if building is None:
        return refused("not_yours")
    counts = _counts(form, int(building["households"]))
    if isinstance(counts, Outcome):
        return counts
    where = location(form)
    if where == "bad":
        return refused("bad_location")
    distance = None
    if isinstance(where, tuple):
        distance = distance_m(where[0], where[1], building["lon"], building["lat"])
        if distance > FAR_AWAY_M:
            return refused("far_away", km=round(distance / 1000))
    notes = str(form.get("notes") or "").strip()
    if len(notes) > NOTES_CHARS:
        return refused("notes_too_long", chars=NOTES_CHARS)
    reached = _tagged_reached(src, building_id, form)
    if reached is None:
        return refused("bad_household")
    follow_up = int(form.get("follow_up") in ("1", "on", "yes"))
    row = {"building_id": building_id, **counts, "needs_found": follow_up, "cases_raised": 0,
           "notes": notes or None, "checkin_m": distance, "far": int(far(distance)),
           "household_ids": reached}  # fmt: skip
    return {"row": row, "distance": distance}


def _counts(form: Mapping[str, str], households: int) -> dict[str, int] | Outcome:
    """Households reached and residents met: whole, at least 0, plausible for the building."""
    reached = _count(form.get("households_reached"))
    met = _count(form.get("residents_met") or "0")
    if reached is None or met is None:
        return refused("bad_count")
    if reached > households:
        return refused("too_many_households", households=households)
    if met > RESIDENTS_PER_HOUSEHOLD * max(households, 1):
        return refused("too_many_residents")
    return {"households_reached": reached, "residents_met": met}


def _tagged_reached(src: Source, building_id: str, form: Mapping[str, str]) -> list[str] | None:
    """The building's tagged households the form says were reached; None when it names one
    the building does not have."""
    named = form.getlist("household") if hasattr(form, "getlist") else []
    named = sorted({str(h).strip()[:64] for h in named if str(h).strip()})
    if not named:
        return []
    known = set(src.store.households(building_ids=[building_id])["id"].astype(str))
    return named if set(named) <= known else None


def _count(raw: object) -> int | None:
    text = str(raw if raw is not None else "").strip()
    return int(text) if _COUNT.fullmatch(text) else None


def own_cells(src: Source, worker_id: str) -> list[str]:
    """The codes of the grid cells the worker is responsible for, sorted."""
    return sorted(set(src.store.grid_workers(worker_id)["grid_code"].dropna().astype(str)))


def own_building(src: Source, worker_id: str, building_id: str) -> dict[str, Any] | None:
    """A building of one of the worker's own cells (id, households, lon, lat), or None."""
    for cell in own_cells(src, worker_id):
        found = src.store.buildings(cell)
        found = found[found["id"].astype(str) == building_id]
        if len(found):
            point = found.geometry.iloc[0]
            return {"id": building_id, "households": int(found["households"].iloc[0] or 0),
                    "lon": float(point.x), "lat": float(point.y)}  # fmt: skip
    return None


def tagged_households(src: Source, worker_id: str) -> dict[str, list[dict[str, Any]]]:
    """The tagged households of the worker's own cells by building: id, unit (door) and tags,
    for the visit form to tick those reached (sensitive: the worker's own cells only)."""
    cells = own_cells(src, worker_id)
    found = src.store.households(cells) if cells else None
    if found is None or found.empty:
        return {}
    out: dict[str, list[dict[str, Any]]] = {}
    for row in found.to_dict("records"):
        item = {"id": str(row["id"]), "unit": str(row["unit"] or ""), "tags": list(row["tags"])}
        out.setdefault(str(row["building_id"]), []).append(item)
    return out


# --- my cases -----------------------------------------------------------------------------------
def my_cases(src: Source, who: Principal, at: dt.datetime) -> list[dict[str, Any]]:
    """The worker's assigned cases being handled (dispatched, in progress), newest first."""
    worker_id = worker_of(who)
    if worker_id is None:
        return []
    narrowed = QueueFilter(None, None, None, worker_id)
    return case_reader.queue(src, who, "handling", narrowed, at).rows
