"""A worker's day from candidate stops: walking matrix, solved or given order, timed itinerary."""

from __future__ import annotations

import datetime as dt
import itertools
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from pyproj import Transformer

from . import walk
from .itinerary import CandidateStop, Itinerary, Place, RouteStop, StopKind
from .route import Plan, Stop, cheapest_round_trip, plan_in_order, plan_route


@dataclass(frozen=True)
class Who:
    """Whose route it is, as the itinerary names it."""

    worker_id: str
    worker_name: str
    community_name: str


def route_walks(start: Place, stops: Sequence[CandidateStop], road_lines: Sequence) -> walk.Walks:
    """Walking metres between the start (index 0) and the stops (1..n), on the roads near them.

    Only roads meeting the places' bounding box widened by walk.CLIP_MARGIN_M are used: a
    community's streets, not a city's.
    """
    lonlat = np.array([(start.lon, start.lat), *((s.place.lon, s.place.lat) for s in stops)])
    epsg = walk.utm_epsg(*lonlat.mean(axis=0))
    fwd = Transformer.from_crs("EPSG:4326", f"EPSG:{epsg}", always_xy=True)
    x, y = fwd.transform(lonlat[:, 0], lonlat[:, 1])
    m = walk.CLIP_MARGIN_M
    bbox = (float(np.min(x)) - m, float(np.min(y)) - m, float(np.max(x)) + m, float(np.max(y)) + m)
    roads = walk.build_roads(road_lines, epsg, bbox)
    return walk.walks([tuple(p) for p in lonlat], roads)


def solver_stops(stops: Sequence[CandidateStop]) -> list[Stop]:
    """The solver's view of the candidates."""
    return [Stop(s.id, s.priority, s.service_min, s.reason) for s in stops]


def plan_day(
    stops: Sequence[CandidateStop],
    walks: walk.Walks,
    budget_min: float,
    *,
    order: Sequence[str] | None = None,
    time_limit_s: float = 2.0,
) -> Plan:
    """Solve the route in the budget, or time the given `order` of stop ids as it is."""
    plain = solver_stops(stops)
    if order is not None:
        return plan_in_order(plain, walks.minutes, order)
    return plan_route(plain, walks.minutes, budget_min, time_limit_s=time_limit_s)


def cheapest_stop_min(stops: Sequence[CandidateStop], walks: walk.Walks) -> float:
    """Minutes needed for the cheapest single stop there and back (service included)."""
    return cheapest_round_trip(solver_stops(stops), walks.minutes)


def itinerary(
    who: Who,
    day: dt.date,
    start: Place,
    departure: dt.datetime,
    budget_min: float,
    stops: Sequence[CandidateStop],
    plan: Plan,
    walks: walk.Walks,
) -> Itinerary:
    """The timed round trip of `plan` (whose stop ids are among `stops`, index i+1 in walks).

    Its dropped stops are those that were owed a visit: a building not due yet that did not
    fit was only ever there to fill the day.
    """
    index = {s.id: i + 1 for i, s in enumerate(stops)}
    by_id = {s.id: s for s in stops}
    nodes = [index[i] for i in plan.order]
    closed = [0, *nodes, 0]
    route = []
    for number, (sid, arrival, prev, node) in enumerate(
        zip(plan.order, plan.arrival_min, [0, *nodes][: len(nodes)], nodes, strict=True), start=1
    ):
        route.append(
            RouteStop(
                number=number,
                stop=by_id[sid],
                arrival=departure + dt.timedelta(minutes=arrival),
                walk_min_before=float(walks.minutes[prev, node]),
                walk_m_before=float(walks.metres[prev, node]),
            )
        )
    walk_m = float(sum(walks.metres[a, b] for a, b in itertools.pairwise(closed)))
    return Itinerary(
        worker_id=who.worker_id,
        worker_name=who.worker_name,
        community_name=who.community_name,
        date=day,
        start=start,
        departure=departure,
        budget_min=float(budget_min),
        stops=tuple(route),
        dropped=tuple(by_id[i] for i in plan.dropped if by_id[i].kind is not StopKind.NOT_DUE),
        path=tuple(walks.path(closed)),
        walk_m=walk_m,
        walk_min=float(plan.total_walk_min),
        total_min=float(plan.total_min),
        back=departure + dt.timedelta(minutes=plan.total_min),
        network=walks.network,
    )
