"""Visit route from the service hall and back: which stops fit the time budget, in which order."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

EXACT_MAX = 12  # Held–Karp is exact and takes milliseconds up to here (2^12 × 12 states)
EPS = 1e-9  # float slack when comparing a route's time with the budget or with another route
OR_OPT_LENGTHS = (1, 2, 3)
COST_SCALE = 1000  # OR-Tools wants integer arc costs: minutes → milliminutes


@dataclass(frozen=True)
class Stop:
    """A place to visit: a compound, a household, a case on site."""

    id: str
    priority: float  # higher = more important, kept first when time runs short
    service_min: float  # minutes spent at the stop
    reason: str


@dataclass(frozen=True)
class Plan:
    """A route leaving the service hall and coming back to it."""

    order: tuple[str, ...]  # stop ids in visiting order
    dropped: tuple[str, ...]  # stops that did not fit, lowest priority first
    arrival_min: tuple[float, ...]  # minutes after departure at which each visited stop is reached
    total_walk_min: float
    total_min: float  # walking plus service, back at the hall


def plan_route(
    stops: Sequence[Stop],
    walk_min: np.ndarray,
    budget_min: float = 180.0,
    *,
    time_limit_s: float = 2.0,
) -> Plan:
    """Plan a round trip from the service hall through as many important stops as the budget allows.

    ``walk_min`` is an (n+1)×(n+1) matrix of walking minutes, possibly asymmetric; index 0 is
    the service hall (start and end), index i+1 is ``stops[i]``.

    Dropping rule: stops are considered from highest to lowest priority (ties by id); a stop
    is kept if a route through all stops kept so far plus this one fits the budget (walking
    plus service), otherwise it is dropped. So the dropped stops are exactly the
    lowest-priority ones that did not fit in this greedy sense. Up to ``EXACT_MAX`` kept
    stops "fits" is decided on the optimal route (Held–Karp); beyond that on the route the
    heuristic (cheapest insertion, 2-opt, or-opt) finds.

    The order is optimal up to ``EXACT_MAX`` stops. Larger routes are improved by OR-Tools
    (guided local search for ``time_limit_s`` seconds) when the package is installed and
    the limit is positive, else by the heuristic alone.
    """
    d = _validated_matrix(walk_min, len(stops))
    _validate_stops(stops)
    service = np.array([s.service_min for s in stops], dtype=float)
    tour, dropped = _greedy_fill(stops, d, service, budget_min)
    if len(tour) > EXACT_MAX and time_limit_s > 0:
        tour = _best_of(tour, _ortools_tour(d, tour, time_limit_s), d)
    return _plan(stops, tour, dropped, d, service)


def plan_in_order(stops: Sequence[Stop], walk_min: np.ndarray, order: Sequence[str]) -> Plan:
    """Time the round trip through the stops with ids ``order``, in exactly that order.

    No solving and no budget: the person chose. Ids not among ``stops`` are ignored, repeats
    count once; the stops left out are dropped, lowest priority first (as in plan_route).
    """
    d = _validated_matrix(walk_min, len(stops))
    _validate_stops(stops)
    index = {s.id: i for i, s in enumerate(stops)}
    chosen = [index[i] for i in dict.fromkeys(order) if i in index]
    left = set(range(len(stops))) - set(chosen)
    dropped = sorted(left, key=lambda i: (-stops[i].priority, stops[i].id))[::-1]
    service = np.array([s.service_min for s in stops], dtype=float)
    return _plan(stops, [i + 1 for i in chosen], dropped, d, service)


def cheapest_round_trip(stops: Sequence[Stop], walk_min: np.ndarray) -> float:
    """Minutes of the shortest hall → one stop → hall trip, service included (inf: no stops)."""
    d = _validated_matrix(walk_min, len(stops))
    if not stops:
        return float("inf")
    service = np.array([s.service_min for s in stops], dtype=float)
    return float((d[0, 1:] + service + d[1:, 0]).min())


def ortools_tour(
    walk_min: np.ndarray, start: Sequence[int], time_limit_s: float
) -> list[int] | None:
    """OR-Tools' round trip from node 0 through the nodes of ``start`` (matrix indices),
    improving that order for ``time_limit_s`` seconds; None when OR-Tools is missing."""
    return _ortools_tour(np.asarray(walk_min, dtype=float), list(start), time_limit_s)


def _validated_matrix(walk_min: np.ndarray, n: int) -> np.ndarray:
    d = np.asarray(walk_min, dtype=float)
    if d.ndim != 2 or d.shape[0] != d.shape[1]:
        raise ValueError(f"walk_min must be a square matrix, got shape {d.shape}")
    if d.shape[0] != n + 1:
        raise ValueError(
            f"walk_min must be {n + 1}×{n + 1} (service hall + {n} stops), got {d.shape}"
        )
    if not np.isfinite(d).all():
        raise ValueError("walk_min must contain only finite minutes")
    if (d < 0).any():
        raise ValueError("walk_min must not contain negative minutes")
    return d


def _validate_stops(stops: Sequence[Stop]) -> None:
    ids = [s.id for s in stops]
    if len(set(ids)) != len(ids):
        raise ValueError("stop ids must be unique")
    for s in stops:
        if not np.isfinite(s.service_min) or s.service_min < 0:
            raise ValueError(f"stop {s.id!r}: service_min must be finite and non-negative")


def _greedy_fill(
    stops: Sequence[Stop], d: np.ndarray, service: np.ndarray, budget: float
) -> tuple[list[int], list[int]]:
    """Apply the dropping rule; return the kept route (matrix nodes) and dropped stop indices."""
    ranking = sorted(range(len(stops)), key=lambda i: (-stops[i].priority, stops[i].id))
    tour: list[int] = []
    dropped: list[int] = []
    for i in ranking:
        candidate = _route_with(tour, i + 1, d)
        if _tour_walk(candidate, d) + service[[v - 1 for v in candidate]].sum() <= budget + EPS:
            tour = candidate
        else:
            dropped.append(i)
    return tour, dropped[::-1]


def _route_with(tour: list[int], node: int, d: np.ndarray) -> list[int]:
    """A short route through the nodes of ``tour`` plus ``node``."""
    nodes = [*tour, node]
    if len(nodes) <= EXACT_MAX:
        return _held_karp_on(nodes, d)
    inserted = _cheapest_insertion(tour, node, d)
    return _improve(inserted, d)


def _held_karp_on(nodes: list[int], d: np.ndarray) -> list[int]:
    sub = [0, *nodes]
    order = _held_karp(d[np.ix_(sub, sub)])
    return [nodes[k - 1] for k in order]


def _held_karp(d: np.ndarray) -> list[int]:
    """Optimal order of nodes 1..k of a (k+1)×(k+1) matrix for a round trip from node 0."""
    k = len(d) - 1
    if k == 0:
        return []
    full = 1 << k
    masks = np.arange(full)
    size = sum((masks >> b) & 1 for b in range(k))
    inner = d[1:, 1:]
    # best[mask, j]: shortest path from the hall through exactly the set `mask`, ending at j
    best = np.full((full, k), np.inf)
    parent = np.full((full, k), -1, dtype=np.int64)
    best[1 << np.arange(k), np.arange(k)] = d[0, 1:]
    for s in range(2, k + 1):
        layer = masks[size == s]
        for j in range(k):
            sel = layer[(layer >> j) & 1 == 1]
            cand = best[sel ^ (1 << j)] + inner[:, j]  # inf where i is not in the previous set
            arg = cand.argmin(axis=1)
            best[sel, j] = cand[np.arange(len(sel)), arg]
            parent[sel, j] = arg
    return _held_karp_path(parent, int((best[full - 1] + d[1:, 0]).argmin()), full - 1)


def _held_karp_path(parent: np.ndarray, last: int, mask: int) -> list[int]:
    path = []
    while last >= 0:
        path.append(last + 1)
        last, mask = int(parent[mask, last]), mask ^ (1 << last)
    return path[::-1]


def _cheapest_insertion(tour: list[int], node: int, d: np.ndarray) -> list[int]:
    closed = np.array([0, *tour, 0])
    a, b = closed[:-1], closed[1:]
    at = int((d[a, node] + d[node, b] - d[a, b]).argmin())
    return [*tour[:at], node, *tour[at:]]


def _improve(tour: list[int], d: np.ndarray) -> list[int]:
    """Local search: 2-opt and or-opt moves until neither shortens the route."""
    while True:
        tour = _two_opt(tour, d)
        moved = _or_opt(tour, d)
        if moved is None:
            return tour
        tour = moved


def _two_opt(tour: list[int], d: np.ndarray) -> list[int]:
    """Reverse the segment that shortens the route most, until none does."""
    while len(tour) >= 2:
        closed = np.array([0, *tour, 0])
        m = len(tour)
        # A reversed segment walks its inner edges backwards, which costs differently when
        # the matrix is asymmetric: prefix sums of both directions price that in O(1).
        fwd = np.concatenate([[0.0], np.cumsum(d[closed[:-1], closed[1:]])])
        bwd = np.concatenate([[0.0], np.cumsum(d[closed[1:], closed[:-1]])])
        i = np.arange(1, m + 1)[:, None]  # first position of the segment in `closed`
        j = np.arange(1, m + 1)[None, :]  # last position
        delta = (
            d[closed[i - 1], closed[j]]
            + d[closed[i], closed[j + 1]]
            + (bwd[j] - bwd[i])
            - d[closed[i - 1], closed[i]]
            - d[closed[j], closed[j + 1]]
            - (fwd[j] - fwd[i])
        )
        delta = np.where(j > i, delta, 0.0)
        flat = int(delta.argmin())
        if delta.flat[flat] >= -EPS:
            break
        a, b = divmod(flat, m)
        tour = tour[:a] + tour[a : b + 1][::-1] + tour[b + 1 :]
    return tour


def _or_opt(tour: list[int], d: np.ndarray) -> list[int] | None:
    """The first move of a run of 1–3 stops elsewhere that shortens the route, or None."""
    for length in OR_OPT_LENGTHS:
        for start in range(len(tour) - length + 1):
            moved = _moved_segment(tour, start, length, d)
            if moved is not None:
                return moved
    return None


def _moved_segment(tour: list[int], start: int, length: int, d: np.ndarray) -> list[int] | None:
    seg = tour[start : start + length]
    rest = tour[:start] + tour[start + length :]
    before = tour[start - 1] if start > 0 else 0
    after = tour[start + length] if start + length < len(tour) else 0
    saved = d[before, seg[0]] + d[seg[-1], after] - d[before, after]
    closed = np.array([0, *rest, 0])
    a, b = closed[:-1], closed[1:]
    added = d[a, seg[0]] + d[seg[-1], b] - d[a, b]
    at = int(added.argmin())
    if added[at] - saved >= -EPS:
        return None
    return rest[:at] + seg + rest[at:]


def _ortools_tour(d: np.ndarray, start: list[int], time_limit_s: float) -> list[int] | None:
    """Improve ``start`` with OR-Tools guided local search; None when OR-Tools is missing."""
    try:
        from ortools.constraint_solver import pywrapcp, routing_enums_pb2
    except ImportError:
        return None
    sub = [0, *start]
    costs = np.rint(d[np.ix_(sub, sub)] * COST_SCALE).astype(np.int64).tolist()
    manager = pywrapcp.RoutingIndexManager(len(sub), 1, 0)
    routing = pywrapcp.RoutingModel(manager)

    def arc_cost(a: int, b: int) -> int:
        return costs[manager.IndexToNode(a)][manager.IndexToNode(b)]

    routing.SetArcCostEvaluatorOfAllVehicles(routing.RegisterTransitCallback(arc_cost))
    params = pywrapcp.DefaultRoutingSearchParameters()
    params.local_search_metaheuristic = (
        routing_enums_pb2.LocalSearchMetaheuristic.GUIDED_LOCAL_SEARCH
    )
    params.time_limit.FromMilliseconds(max(1, round(time_limit_s * 1000)))
    route = [manager.NodeToIndex(k) for k in range(1, len(sub))]
    initial = routing.ReadAssignmentFromRoutes([route], True)
    if initial is None:
        return None
    solution = routing.SolveFromAssignmentWithParameters(initial, params)
    if solution is None:
        return None
    order = []
    index = solution.Value(routing.NextVar(routing.Start(0)))
    while not routing.IsEnd(index):
        order.append(sub[manager.IndexToNode(index)])
        index = solution.Value(routing.NextVar(index))
    return order


def _best_of(tour: list[int], other: list[int] | None, d: np.ndarray) -> list[int]:
    # OR-Tools optimises rounded costs, so its answer is re-priced in exact minutes.
    if other is None or _tour_walk(other, d) >= _tour_walk(tour, d) - EPS:
        return tour
    return other


def _tour_walk(tour: list[int], d: np.ndarray) -> float:
    closed = [0, *tour, 0]
    return float(d[closed[:-1], closed[1:]].sum())


def _plan(
    stops: Sequence[Stop], tour: list[int], dropped: list[int], d: np.ndarray, service: np.ndarray
) -> Plan:
    arrivals = []
    clock, here = 0.0, 0
    for node in tour:
        clock += d[here, node]
        arrivals.append(float(clock))
        clock += service[node - 1]
        here = node
    walk = _tour_walk(tour, d)
    return Plan(
        order=tuple(stops[v - 1].id for v in tour),
        dropped=tuple(stops[i].id for i in dropped),
        arrival_min=tuple(arrivals),
        total_walk_min=walk,
        total_min=walk + float(service[[v - 1 for v in tour]].sum()),
    )
