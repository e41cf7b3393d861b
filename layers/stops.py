"""Candidate stops of a visit route: buildings to visit, due ones first, and cases to follow up."""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Mapping

import pandas as pd

from geodata.model import LOCAL_TZ

from .itinerary import CandidateStop, Place, StopKind

# A building is due when nobody has visited it in the last DUE_AFTER_DAYS days. Visits run every
# Wednesday and Thursday, one building per worker and day, so a cell's buildings come round
# every three weeks or so; two weeks without a knock on the door makes a building due.
DUE_AFTER_DAYS = 14
# Days counted for a building nobody ever visited: more than any visited building can have.
NEVER_VISITED_DAYS = 730
DAYS_CAP = 365  # days since the last visit count up to here for visited buildings
# Household weight: a building of REFERENCE_HOUSEHOLDS households weighs 1; bounds keep a tiny
# building from vanishing and a tower from swamping everything else.
REFERENCE_HOUSEHOLDS = 50
WEIGHT_RANGE = (0.5, 4.0)
# Service time at a building: a walk through its stairwells and a few doors, longer for more
# households (5 min + 0.1 min per household, at most 30 min: 50 households → 10 min).
BUILDING_BASE_MIN = 5.0
BUILDING_PER_HOUSEHOLD_MIN = 0.1
BUILDING_MAX_MIN = 30.0
CASE_SERVICE_MIN = 10.0  # a follow-up: find the resident or the spot, look, talk, note
# Case priorities on the buildings' scale (a building due for 14 days with 50 households
# scores 1, never visited with 50 households scores 52): an open case scores 20, an
# overdue one 40 plus two per day overdue, so overdue follow-ups go first.
CASE_PRIORITY = 20.0
OVERDUE_PRIORITY = 40.0
OVERDUE_PER_DAY = 2.0
# Buildings not due yet score below all of these (see fill_priority): the solver keeps them
# only in time the due buildings and the cases leave over, and drops them first.


def building_priority(days: float | None, households: int) -> float:
    """Priority of a building visited `days` ago (None: never), weighted by households."""
    counted = NEVER_VISITED_DAYS if days is None else min(days, DAYS_CAP)
    low, high = WEIGHT_RANGE
    weight = min(high, max(low, households / REFERENCE_HOUSEHOLDS))
    return round(counted / DUE_AFTER_DAYS * weight, 6)


def fill_priority(days: int, households: int) -> float:
    """Priority of a building visited `days` ago that is not due yet (days < DUE_AFTER_DAYS):
    those visited longest ago and the largest first, below every due building and case."""
    # Unscaled it stays under the highest weight; scaled by low/high it stays under the
    # lowest weight, which is the least a due building scores (days/DUE_AFTER_DAYS >= 1).
    low, high = WEIGHT_RANGE
    return round(building_priority(days, households) * low / high, 6)


def building_service_min(households: int) -> float:
    """Minutes spent at a building of `households` households."""
    return min(BUILDING_MAX_MIN, BUILDING_BASE_MIN + BUILDING_PER_HOUSEHOLD_MIN * households)


def building_stops(
    buildings: pd.DataFrame,
    last_visit: Mapping[str, dt.date] | pd.Series,
    day: dt.date,
    compounds: pd.DataFrame | None = None,
) -> list[CandidateStop]:
    """Every building as a stop on `day`, most due first: those nobody visited in the
    DUE_AFTER_DAYS days before it are due, the others (StopKind.NOT_DUE) fill a day that
    the due ones leave time in.

    `buildings` has id, name, compound_code, grid_code, households and lon, lat (or a point
    geometry); `last_visit` maps building id → date of the latest visit before `day`;
    `compounds` (code, name, address) names the places.
    """
    names, addresses = _compound_texts(compounds)
    lon, lat = _coordinates(buildings)
    stops = []
    for i, row in enumerate(buildings.to_dict("records")):
        last = last_visit.get(row["id"]) if len(last_visit) else None
        days = None if last is None or pd.isna(last) else max(0, (day - last).days)
        stops.append(_building_stop(row, days, lon[i], lat[i], names, addresses))
    return sorted(stops, key=lambda s: (-s.priority, s.id))


def _building_stop(
    row: dict, days: int | None, lon: float, lat: float, names: dict, addresses: dict
) -> CandidateStop:
    households = int(row["households"])
    compound = names.get(row.get("compound_code"), "")
    name = f"{compound}{row.get('name') or row['id']}"
    args: dict[str, str | int | float] = {"days": days, "households": households}
    if days is None:
        kind, priority = StopKind.DUE_VISIT, building_priority(None, households)
        reason, args = "route.reason.never_visited", {"households": households}
    elif days >= DUE_AFTER_DAYS:
        kind, priority = StopKind.DUE_VISIT, building_priority(days, households)
        reason = "route.reason.due_visit"
    else:
        kind, priority = StopKind.NOT_DUE, fill_priority(days, households)
        reason = "route.reason.not_due"
    return CandidateStop(
        id=f"B:{row['id']}",
        kind=kind,
        place=Place(name, float(lon), float(lat), addresses.get(row.get("compound_code"), "")),
        grid_code=str(row.get("grid_code") or ""),
        priority=priority,
        service_min=building_service_min(households),
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
) -> list[CandidateStop]:
    """Every candidate of the (China) day `at` falls on, highest priority first (ties by id):
    due buildings and cases to follow up, then the buildings not due yet."""
    day = at.astimezone(LOCAL_TZ).date() if at.tzinfo else at.date()
    stops = building_stops(buildings, last_visit, day, compounds)
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
