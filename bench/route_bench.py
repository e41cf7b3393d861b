"""Visit routes at city scale: 80 stops planned in time, and how short against OR-Tools."""

from __future__ import annotations

import datetime as dt
import time
from pathlib import Path

import numpy as np

from dashboard.readers import routes as routedata
from geodata.backends import open_store
from geodata.model import LOCAL_TZ
from geodata.store import Store
from layers import plan as lplan
from layers import route

STOPS = 80
PLAN_BUDGET_S = 2.0
ORTOOLS_S = 30.0
OURS_ORTOOLS_S = 1.0  # the OR-Tools share of our own plan, inside the 2 s budget
BIG_BUDGET_MIN = 10_000.0  # every stop fits: the order alone is compared


def _instance(store: Store, day: dt.date):
    """80 highest-priority candidates of the first community whose grid workers together
    have 80 or more (one worker has a dozen at most): their cells are combined in worker
    order until there are enough, as if one worker covered for colleagues."""
    at = dt.datetime.combine(day, dt.time(14), LOCAL_TZ)
    by_community: dict[str, list[routedata.Worker]] = {}
    for w in routedata.workers(store):
        by_community.setdefault(w.community_code, []).append(w)
    for community, team in sorted(by_community.items()):
        cells: list[str] = []
        for w in team:
            cells += w.grid_codes
            found = routedata.candidate_stops(store, cells, at)
            if len(found) >= STOPS:
                hall = routedata.service_hall(store, community)
                return found[:STOPS], hall, len(cells), community
    raise RuntimeError("no community has 80 candidate stops")


def _nearest_neighbour(d: np.ndarray) -> list[int]:
    left, tour, here = set(range(1, len(d))), [], 0
    while left:
        here = min(left, key=lambda j: d[here, j])
        tour.append(here)
        left.remove(here)
    return tour


def _tour(nodes: list[int], d: np.ndarray) -> float:
    closed = [0, *nodes, 0]
    return float(d[closed[:-1], closed[1:]].sum())


def run(city: Path, as_of: dt.date) -> list:
    from .common import Result

    with open_store(city, readonly=True) as store:
        stops, hall, n_cells, community = _instance(store, as_of)
        lines = store.roads().geometry.to_numpy()
        started = time.perf_counter()
        walks = lplan.route_walks(hall, stops, lines)
        matrix_s = time.perf_counter() - started
        ours = lplan.plan_day(stops, walks, BIG_BUDGET_MIN, time_limit_s=OURS_ORTOOLS_S)
        plan_s = time.perf_counter() - started
        heuristic = lplan.plan_day(stops, walks, BIG_BUDGET_MIN, time_limit_s=0)
    d = walks.minutes
    solver = route.ortools_tour(d, _nearest_neighbour(d), ORTOOLS_S)
    index = {s.id: i + 1 for i, s in enumerate(stops)}
    ours_m = _tour([index[i] for i in ours.order], walks.metres)
    heur_m = _tour([index[i] for i in heuristic.order], walks.metres)
    best_m = _tour(solver, walks.metres) if solver else float("nan")
    naive_m = _tour(_nearest_neighbour(d), walks.metres)
    note = f"{community}: {n_cells} cells' workers combined, network {walks.network.value}"
    return [
        Result(
            f"route, {STOPS} stops: matrix + plan (incl. {OURS_ORTOOLS_S:g} s OR-Tools)",
            plan_s,
            "s",
            budget=PLAN_BUDGET_S,
            note=f"{note}; walking matrix {matrix_s * 1000:.0f} ms",
        ),
        Result(
            f"route, {STOPS} stops: our length vs OR-Tools {ORTOOLS_S:g} s",
            100 * ours_m / best_m,
            "%",
            baseline=100 * naive_m / best_m,
            budget=105.0,
            note=f"ours {ours_m:.0f} m, OR-Tools {best_m:.0f} m, nearest neighbour {naive_m:.0f} m",
        ),
        Result(
            f"route, {STOPS} stops: heuristic alone (no OR-Tools) vs OR-Tools {ORTOOLS_S:g} s",
            100 * heur_m / best_m,
            "%",
            baseline=100 * naive_m / best_m,
            note=f"{heur_m:.0f} m",
        ),
    ]
