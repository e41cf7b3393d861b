"""A worker's visit route for one day as data: candidate stops, the planned order, the path."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from enum import StrEnum

from geodata.model import LOCAL_TZ

MAX_BUDGET_MIN = 24 * 60.0  # a route is one day's walk at most


class StopKind(StrEnum):
    """Why a stop is on the list."""

    DUE_VISIT = "due_visit"  # a building whose households are due a door-to-door visit
    FOLLOW_UP = "follow_up"  # an open case that needs a follow-up on site
    NOT_DUE = "not_due"  # a building visited lately: not owed a visit, it fills spare time


class Network(StrEnum):
    """How walking distances were measured."""

    ROADS = "roads"  # shortest paths on the store's road network
    STRAIGHT_LINE = "straight_line"  # straight line × detour factor (no network nearby)


@dataclass(frozen=True)
class Place:
    """A point with a name: the service hall, a building, a case's location (WGS-84)."""

    name: str
    lon: float
    lat: float
    address: str = ""


@dataclass(frozen=True)
class CandidateStop:
    """A place worth visiting on the day, with why and how much it matters.

    `reason` is a translation key ("route.reason.due_visit", "route.reason.not_due",
    "route.reason.follow_up", …) and `reason_args` its values (days since the last visit,
    households, case category code, days overdue, …): the words are the reader's.
    """

    id: str  # "B:<building id>" or "C:<case id>"; unique in a route
    kind: StopKind
    place: Place  # building name, compound name + building as address
    grid_code: str
    priority: float  # higher first; dropped lowest first when time runs short
    service_min: float
    reason: str
    reason_args: dict[str, str | int | float] = field(default_factory=dict)
    building_id: str | None = None
    case_id: str | None = None


@dataclass(frozen=True)
class RouteStop:
    """A stop on the planned route."""

    number: int  # 1, 2, … in visiting order
    stop: CandidateStop
    arrival: dt.datetime  # local time (Asia/Shanghai), aware
    walk_min_before: float  # walking minutes from the previous stop (or the hall)
    walk_m_before: float


@dataclass(frozen=True)
class Itinerary:
    """A worker's round trip from the service hall and back on one date."""

    worker_id: str
    worker_name: str
    community_name: str
    date: dt.date
    start: Place  # the service hall: start and end
    departure: dt.datetime  # local, aware
    budget_min: float
    stops: tuple[RouteStop, ...]  # in visiting order
    dropped: tuple[CandidateStop, ...]  # due or to follow up, did not fit; lowest priority first
    path: tuple[tuple[float, float], ...]  # (lon, lat) walking line hall → stops → hall
    walk_m: float
    walk_min: float
    total_min: float  # walking + service, back at the hall
    back: dt.datetime  # local, aware: arrival back at the hall
    network: Network = Network.ROADS


def clock(moment: dt.datetime) -> str:
    """The local (China) clock time of a moment of a route, e.g. 14:05; naive means local."""
    return (moment.astimezone(LOCAL_TZ) if moment.tzinfo else moment).strftime("%H:%M")
