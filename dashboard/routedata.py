"""What a visit route needs from the store, handed to the pure planners in layers."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass

import pandas as pd

from geodata.model import LOCAL_TZ, Level
from geodata.store import Store
from layers import plan, routefiles, stops
from layers.itinerary import CandidateStop, Itinerary, Place

from .i18n import format_number, t

MAX_BUDGET_MIN = 24 * 60.0  # a route is one day's walk at most


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
    """Buildings due a visit and open cases of the cells at the local moment `at`, best first."""
    codes = list(dict.fromkeys(grid_codes))
    buildings = pd.concat([store.buildings(code) for code in codes], ignore_index=True)
    communities = {code[:12] for code in codes}
    compounds = pd.concat(
        [store.areas(Level.COMPOUND, parent=c).drop(columns="geometry") for c in communities],
        ignore_index=True,
    )
    last = store.last_visits(codes, at.date())
    cases = store.open_cases(codes, at)
    return stops.candidates(buildings, last, cases, at, compounds)


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

    The history considered is the store's up to `date`: visits on or before it, cases open
    at the departure. Raises RouteProblem when no route can be planned.
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


# --- texts and files ---------------------------------------------------------------------------
def reason_text(stop: CandidateStop, lang: str) -> str:
    """Why the stop is on the list, in `lang`."""
    return routefiles.reason_text(stop, lang, t)


def gpx_text(route: Itinerary, lang: str = "zh") -> str:
    """The route as GPX 1.1, reasons in `lang`."""
    return routefiles.gpx_text(route, lambda s: reason_text(s, lang))


def csv_bytes(route: Itinerary, lang: str = "zh") -> bytes:
    """The route as CSV (UTF-8 with BOM), reasons in `lang`."""
    headers = tuple(t(f"route.col.{column}", lang) for column in routefiles.CSV_COLUMNS)
    return routefiles.csv_bytes(route, lambda s: reason_text(s, lang), headers)


def distance_text(metres: float, lang: str) -> str:
    """A walking distance: 850 米 below a kilometre, else 2.4 公里."""
    if metres < 1000:
        return t("route.unit.m", lang, value=format_number(round(metres), lang))
    return t("route.unit.km", lang, value=format_number(metres / 1000, lang, decimals=1))


def minutes_text(minutes: float, lang: str) -> str:
    """Whole minutes, grouped like every number of the page."""
    return format_number(round(minutes), lang)
