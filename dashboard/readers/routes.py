"""The routes reader: what a visit route needs from the store, handed to the pure planners."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass

import pandas as pd

from dashboard.i18n import t
from geodata.model import LOCAL_TZ, Level
from geodata.store import Store
from layers import geojson, plan, routeview, stops
from layers.access import cell_area
from layers.itinerary import MAX_BUDGET_MIN, CandidateStop, Itinerary, Place
from layers.routeview import Planned, RouteView

from .source import Source


class RouteProblem(Exception):
    """Why no route can be planned: a route.problem.* key and the values its text needs."""

    def __init__(self, key: str, **args_map: str | int | float) -> None:
        self.key = key
        self.args_map = dict(args_map)
        super().__init__(key)

    def __str__(self) -> str:
        return t(self.key, "en", **self.args_map)

    def text(self, lang: str) -> str:
        """The problem said in `lang`."""
        return t(self.key, lang, **self.args_map)


@dataclass(frozen=True)
class Worker:
    """A grid worker and the cells they walk."""

    id: str
    name: str
    community_code: str
    community_name: str
    grid_codes: tuple[str, ...]


def workers(store: Store) -> list[Worker]:
    """Every grid worker, by ID."""
    return _workers_of(store.grid_workers())


def worker(store: Store, worker_id: str) -> Worker:
    """The grid worker `worker_id`; RouteProblem route.problem.unknown_worker if none."""
    found = _workers_of(store.grid_workers(worker_id))
    if not found:
        raise RouteProblem("route.problem.unknown_worker", worker=worker_id)
    return found[0]


def _workers_of(rows: pd.DataFrame) -> list[Worker]:
    cells: dict[str, list[str]] = {}
    first: dict[str, tuple] = {}
    for person, name, code, community, cell in rows[
        ["person_id", "name", "community_code", "community_name", "grid_code"]
    ].itertuples(index=False):
        first.setdefault(person, (name, code, community))
        cells.setdefault(person, [])
        if isinstance(cell, str):
            cells[person].append(cell)
    return [
        Worker(str(p), str(n), str(c or ""), str(cn or ""), tuple(cells[p]))
        for p, (n, c, cn) in sorted(first.items())
    ]


def candidate_stops(
    store: Store, grid_codes: Sequence[str], at: dt.datetime
) -> list[CandidateStop]:
    """The cells' buildings (due by the store's visit rules first) and open cases at the local
    moment `at`, best first.

    Only visits before `at`'s day count: a visit made that day is what the route was for.
    """
    codes = list(dict.fromkeys(grid_codes))
    buildings = pd.concat([store.buildings(code) for code in codes], ignore_index=True)
    communities = {code[:12] for code in codes}
    compounds = pd.concat(
        [store.areas(Level.COMPOUND, parent=c).drop(columns="geometry") for c in communities],
        ignore_index=True,
    )
    day = at.astimezone(LOCAL_TZ).date()
    before = day - dt.timedelta(days=1)
    last = store.last_visits(codes, before)
    tagged = store.households(codes, visited_until=before)
    cases = store.open_cases(codes, at)
    return stops.candidates(buildings, last, cases, at, compounds, tagged, store.visit_rules())


def service_hall(store: Store, community_code: str) -> Place:
    """The community's service hall; the community's middle when the store has no hall."""
    info = store.area(community_code) or {}
    name = str(info.get("name") or community_code)
    lon, lat = info.get("hall_lon"), info.get("hall_lat")
    if lon is None or lat is None:
        shape = store.areas(Level.COMMUNITY, parent=community_code)
        point = shape.geometry.iloc[0].representative_point()
        lon, lat = point.x, point.y
    return Place(name, float(lon), float(lat), str(info.get("hall_address") or ""))


def itinerary(
    store: Store,
    worker_id: str,
    date: dt.date,
    budget_min: float = 180.0,
    *,
    order: Sequence[str] | None = None,
    departure: dt.time = dt.time(14, 0),
    start: tuple[float, float] | None = None,
    time_limit_s: float = 2.0,
) -> Itinerary:
    """The worker's round trip on `date`, leaving at `departure` (local) from the service
    hall (or `start`, lon/lat). With `order` (stop ids), that order exactly, re-timed.

    The history considered is the store's up to `date`: visits before it, cases open at the
    departure. Buildings not due yet fill the time the due ones and the cases leave. Raises
    RouteProblem when no route can be planned.
    """
    if not 0 < budget_min <= MAX_BUDGET_MIN:
        raise ValueError(f"budget {budget_min} min is outside 0..{MAX_BUDGET_MIN:g}")
    who = worker(store, worker_id)
    if not who.grid_codes:
        raise RouteProblem("route.problem.no_cells", name=who.name)
    leaving = dt.datetime.combine(date, departure, LOCAL_TZ)
    found = candidate_stops(store, who.grid_codes, leaving)
    if not found:
        raise RouteProblem("route.problem.no_stops", date=date.isoformat(), name=who.name)
    hall = service_hall(store, who.community_code)
    if start is not None:
        hall = Place(f"{start[0]:.6f}, {start[1]:.6f}", float(start[0]), float(start[1]))
    walks = plan.route_walks(hall, found, store.roads().geometry.to_numpy())
    day_plan = plan.plan_day(found, walks, budget_min, order=order, time_limit_s=time_limit_s)
    if not day_plan.order and order is None:
        needed = plan.cheapest_stop_min(found, walks)
        minutes, needed = _whole(budget_min), _whole(needed, up=True)
        raise RouteProblem("route.problem.budget_too_small", minutes=minutes, needed=needed)
    names = plan.Who(who.id, who.name, who.community_name)
    return plan.itinerary(names, date, hall, leaving, budget_min, found, day_plan, walks)


def _whole(minutes: float, *, up: bool = False) -> int | float:
    if up:
        return int(-(-minutes // 1))
    return int(minutes) if float(minutes).is_integer() else round(minutes, 1)


# --- what the routes page reads, through the cache ---------------------------------------------
def cached_workers(src: Source) -> list[Worker]:
    """Every grid worker, through the cache (keyed by the data's revision)."""
    return src.memo("route-workers", [src.revision()], lambda: workers(src.store))


def visible_workers(src: Source) -> list[Worker]:
    """The grid workers whose routes the asker may open."""
    who = src.principal
    every = cached_workers(src)
    if who is None:
        return every
    return [w for w in every if who.may_route(w.id, [cell_area(c) for c in w.grid_codes])]


def cell_shapes(src: Source, worker_id: str) -> dict | None:
    """The worker's grid cells as a FeatureCollection (None if they have none)."""
    try:
        who = worker(src.store, worker_id)
    except RouteProblem:
        return None
    if not who.grid_codes:
        return None

    def compute() -> dict:
        cells = src.store.areas(Level.GRID, parent=who.community_code)
        cells = cells[cells["code"].isin(who.grid_codes)]
        return geojson.feature_collection(cells, "grid")

    parts = [worker_id, ",".join(who.grid_codes), src.revision()]
    return src.memo("route-cells", parts, compute)


def planned(src: Source, view: RouteView, order: Sequence[str] | None = None) -> Planned:
    """The view's route: in `order` (default: the view's own), else the suggested one.

    Raises RouteProblem when no route can be planned. An order none of whose stops is due
    any more gives the suggested route.
    """
    wanted = view.stop_order() if order is None else list(order)

    def route_in(ids_: Sequence[str] | None) -> Itinerary:
        return itinerary(
            src.store,
            str(view.worker),
            view.day(),
            float(view.budget),
            order=ids_,
            departure=view.departure(),
        )

    if wanted is None:
        return Planned(route_in(None))
    route = route_in(wanted)
    stale = tuple(routeview.unknown_ids(route, wanted))
    if len(stale) == len(wanted):
        return Planned(route_in(None), stale)
    return Planned(route, stale)
