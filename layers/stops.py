"""Candidate stops of a visit route: buildings to visit (due by the visit rules first, most
overdue first) and cases to follow up."""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Mapping

import pandas as pd

from geodata.model import LOCAL_TZ

from . import visitrules
from .itinerary import CandidateStop, Place, StopKind
from .visitrules import DEFAULT_RULES

# A building is due when any of its households is due under the visit rules (layers.visitrules):
# its ordinary households by its latest visit, each tagged household by the latest visit that
# reached it. Due buildings rank by how overdue their most overdue household is.
NEVER_VISITED_DAYS = 730  # overdue days counted for a household nobody ever visited
DAYS_CAP = 365  # overdue days count up to here for visited households
OVERDUE_SCALE_DAYS = 14  # a building two weeks overdue scores twice one just due
# Household weight: a building of REFERENCE_HOUSEHOLDS households weighs 1; bounds keep a tiny
# building from vanishing and a tower from swamping everything else.
REFERENCE_HOUSEHOLDS = 50
WEIGHT_RANGE = (0.5, 4.0)
# Service time at a building: a walk through its stairwells and a few doors, longer for more
# households (5 min + 0.1 min per household, at most 30 min: 50 households → 10 min).
BUILDING_BASE_MIN = 5.0
BUILDING_PER_HOUSEHOLD_MIN = 0.1
BUILDING_MAX_MIN = 30.0
# A tagged household due a visit is called on at its door on top of the walk through: ask after
# health and needs, note them (8 min each, at most 120 min a building: the rest another day).
CARE_VISIT_MIN = 8.0
CARE_MAX_MIN = 120.0
CASE_SERVICE_MIN = 10.0  # a follow-up: find the resident or the spot, look, talk, note
# Case priorities on the buildings' scale (a building of 50 households just due scores 1, two
# weeks overdue 2, never visited 53): an open case scores 20, an overdue one 40 plus two per
# day overdue, so overdue follow-ups go first.
CASE_PRIORITY = 20.0
OVERDUE_PRIORITY = 40.0
OVERDUE_PER_DAY = 2.0
# Buildings not due yet score below all of these (see fill_priority): the solver keeps them
# only in time the due buildings and the cases leave over, and drops them first.


def _weight(households: int) -> float:
    low, high = WEIGHT_RANGE
    return min(high, max(low, households / REFERENCE_HOUSEHOLDS))


def building_priority(overdue_days: float | None, households: int) -> float:
    """Priority of a due building whose most overdue household is `overdue_days` past its
    rule (None: never visited), weighted by households; at least WEIGHT_RANGE[0]."""
    counted = NEVER_VISITED_DAYS if overdue_days is None else min(overdue_days, DAYS_CAP)
    return round((1 + counted / OVERDUE_SCALE_DAYS) * _weight(households), 6)


def fill_priority(days_to_due: int, households: int) -> float:
    """Priority of a building not due yet, due in `days_to_due` (≥ 1) days: those soonest due
    and the largest first, below every due building and case."""
    # At most weight · low/high / 2 ≤ low/2: under the least a due building scores (low).
    low, high = WEIGHT_RANGE
    return round(_weight(households) * low / high / (1 + max(days_to_due, 1)), 6)


def building_service_min(households: int, due_tagged: int = 0) -> float:
    """Minutes spent at a building of `households` households, `due_tagged` of them tagged
    households due a visit."""
    walk = min(BUILDING_MAX_MIN, BUILDING_BASE_MIN + BUILDING_PER_HOUSEHOLD_MIN * households)
    return walk + min(CARE_MAX_MIN, CARE_VISIT_MIN * due_tagged)


def building_stops(
    buildings: pd.DataFrame,
    last_visit: Mapping[str, dt.date] | pd.Series,
    day: dt.date,
    compounds: pd.DataFrame | None = None,
    tagged: pd.DataFrame | None = None,
    rules: Mapping[str, int] = DEFAULT_RULES,
) -> list[CandidateStop]:
    """Every building as a stop on `day`, most due first: a building any of whose households
    is due under `rules` is due, the others (StopKind.NOT_DUE) fill a day that the due ones
    leave time in.

    `buildings` has id, name, compound_code, grid_code, households and lon, lat (or a point
    geometry); `last_visit` maps building id → date of the latest visit before `day`;
    `tagged` holds the tagged households (building_id, tags, last_visit: of the latest visit
    before `day` that reached each); `compounds` (code, name, address) names the places.
    """
    if buildings.empty:
        return []
    names, addresses = _compound_texts(compounds)
    lon, lat = _coordinates(buildings)
    rows = visitrules.building_households(buildings, last_visit, tagged)
    judged = visitrules.buildings_due(rows, rules, day)
    stops = []
    for i, row in enumerate(buildings.to_dict("records")):
        last = last_visit.get(row["id"]) if len(last_visit) else None
        days = None if last is None or pd.isna(last) else max(0, (day - last).days)
        verdict = judged.loc[str(row["id"])]
        stops.append(_building_stop(row, days, verdict, (lon[i], lat[i]), names, addresses))
    return sorted(stops, key=lambda s: (-s.priority, s.id))


def _building_stop(
    row: dict, days: int | None, verdict: pd.Series, where: tuple, names: dict, addresses: dict
) -> CandidateStop:
    households = int(row["households"])
    compound = names.get(row.get("compound_code"), "")
    name = f"{compound}{row.get('name') or row['id']}"
    args: dict[str, str | int | float] = {"days": days, "households": households}
    overdue = int(verdict["overdue_days"])
    if not verdict["due"]:
        kind, priority = StopKind.NOT_DUE, fill_priority(int(verdict["days_to_due"]), households)
        reason = "route.reason.not_due"
    elif days is None:
        kind, priority = StopKind.DUE_VISIT, building_priority(None, households)
        reason, args = "route.reason.never_visited", {"households": households}
    else:
        counted = None if visitrules.never_visited(overdue) else overdue
        kind, priority = StopKind.DUE_VISIT, building_priority(counted, households)
        reason = "route.reason.due_visit"
        args["due"] = int(verdict["due_households"])
    return CandidateStop(
        id=f"B:{row['id']}",
        kind=kind,
        place=Place(
            name, float(where[0]), float(where[1]), addresses.get(row.get("compound_code")) or ""
        ),
        grid_code=str(row.get("grid_code") or ""),
        priority=priority,
        service_min=building_service_min(households, int(verdict["due_tagged"])),
        reason=reason,
        reason_args=args,
        building_id=str(row["id"]),
    )


def case_priority(overdue_days: int | None) -> float:
    """Priority of an open case: overdue ones first, the longer overdue the higher."""
    if overdue_days is None:
        return CASE_PRIORITY
    return OVERDUE_PRIORITY + OVERDUE_PER_DAY * overdue_days


def follow_ups(
    cases: pd.DataFrame, at: dt.datetime, compounds: pd.DataFrame | None = None
) -> list[CandidateStop]:
    """One stop per open case (id, category, lon, lat, due_at, grid_code, compound_code),
    overdue first. A case in a building that is also due stays a stop of its own: it has its
    own reason and time on site, and walking between the two costs nothing."""
    names, addresses = _compound_texts(compounds)
    stops = []
    for row in cases.to_dict("records"):
        due = row.get("due_at")
        overdue = None
        if due is not None and not pd.isna(due) and due < at:
            overdue = max(0, math.floor((at - due).total_seconds() / 86400))
        code = row.get("compound_code")
        if overdue is None:
            reason, args = "route.reason.follow_up", {"category": row["category"]}
        else:
            args = {"days": overdue, "category": row["category"]}
            reason = "route.reason.overdue_follow_up"
        stops.append(
            CandidateStop(
                id=f"C:{row['id']}",
                kind=StopKind.FOLLOW_UP,
                place=Place(
                    f"{names.get(code, '')} {row['id']}".strip(),
                    float(row["lon"]),
                    float(row["lat"]),
                    addresses.get(code, ""),
                ),
                grid_code=str(row.get("grid_code") or ""),
                priority=case_priority(overdue),
                service_min=CASE_SERVICE_MIN,
                reason=reason,
                reason_args=args,
                case_id=str(row["id"]),
            )
        )
    return sorted(stops, key=lambda s: (-s.priority, s.id))


def candidates(
    buildings: pd.DataFrame,
    last_visit: Mapping[str, dt.date] | pd.Series,
    cases: pd.DataFrame,
    at: dt.datetime,
    compounds: pd.DataFrame | None = None,
    tagged: pd.DataFrame | None = None,
    rules: Mapping[str, int] = DEFAULT_RULES,
) -> list[CandidateStop]:
    """Every candidate of the (China) day `at` falls on, highest priority first (ties by id):
    due buildings (by the visit `rules`, see building_stops) and cases to follow up, then the
    buildings not due yet."""
    day = at.astimezone(LOCAL_TZ).date() if at.tzinfo else at.date()
    stops = building_stops(buildings, last_visit, day, compounds, tagged, rules)
    stops += follow_ups(cases, at, compounds)
    return sorted(stops, key=lambda s: (-s.priority, s.id))


def _compound_texts(compounds: pd.DataFrame | None) -> tuple[dict, dict]:
    if compounds is None or compounds.empty:
        return {}, {}
    codes = compounds["code"].tolist()
    names = dict(zip(codes, compounds["name"].fillna("").tolist(), strict=True))
    address = compounds["address"] if "address" in compounds else pd.Series([""] * len(codes))
    return names, dict(zip(codes, address.fillna("").tolist(), strict=True))


def _coordinates(frame: pd.DataFrame) -> tuple[list[float], list[float]]:
    if "lon" in frame and "lat" in frame:
        return frame["lon"].tolist(), frame["lat"].tolist()
    geoms = frame.geometry
    return geoms.x.tolist(), geoms.y.tolist()
