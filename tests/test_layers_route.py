"""Visit routes: optimal order on small instances, the budget, and which stops are dropped."""

from __future__ import annotations

import itertools
import sys

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from layers import route
from layers.route import Plan, Stop, plan_route

DETOUR = 1.3  # street walking is longer than the crow flies
SPEED = 80.0  # metres per minute


def instance(
    n: int, seed: int, *, asymmetric: bool = False, extent: float = 1500.0
) -> tuple[list[Stop], np.ndarray]:
    """Random stops on a square, walking minutes = Euclidean metres × detour / speed."""
    rng = np.random.default_rng(seed)
    points = rng.uniform(0, extent, size=(n + 1, 2))
    metres = np.linalg.norm(points[:, None, :] - points[None, :, :], axis=2)
    walk = metres * DETOUR / SPEED
    if asymmetric:  # uphill one way, one-way paths: up to 25 % longer in one direction
        walk = walk * rng.uniform(1.0, 1.25, size=walk.shape)
    stops = [
        Stop(
            id=f"s{i:02d}",
            priority=float(rng.integers(1, 6)),  # few levels, so ties occur and are broken by id
            service_min=float(rng.uniform(5, 20)),
            reason="test",
        )
        for i in range(n)
    ]
    return stops, walk


def tour_walk(order: tuple[int, ...], walk: np.ndarray) -> float:
    """Walking minutes of hall → stops (matrix indices) → hall."""
    closed = (0, *order, 0)
    return sum(walk[a, b] for a, b in itertools.pairwise(closed))


def brute_force_walk(nodes: list[int], walk: np.ndarray) -> float:
    if not nodes:
        return 0.0
    return min(tour_walk(p, walk) for p in itertools.permutations(nodes))


def brute_force_dropped(stops: list[Stop], walk: np.ndarray, budget: float) -> list[str]:
    """The dropping rule, recomputed with optimal routes found by trying every order."""
    ranking = sorted(range(len(stops)), key=lambda i: (-stops[i].priority, stops[i].id))
    kept: list[int] = []
    dropped: list[str] = []
    for i in ranking:
        nodes = [k + 1 for k in [*kept, i]]
        service = sum(stops[k].service_min for k in [*kept, i])
        if brute_force_walk(nodes, walk) + service <= budget:
            kept.append(i)
        else:
            dropped.append(stops[i].id)
    return dropped[::-1]


def node_of(plan: Plan, stops: list[Stop]) -> tuple[int, ...]:
    index = {s.id: k + 1 for k, s in enumerate(stops)}
    return tuple(index[s] for s in plan.order)


def check_consistent(plan: Plan, stops: list[Stop], walk: np.ndarray, budget: float) -> None:
    """Budget, each stop once, arrivals and totals recomputed from the matrix."""
    ids = [s.id for s in stops]
    assert len(set(plan.order)) == len(plan.order)
    assert sorted(plan.order + plan.dropped) == sorted(ids)
    assert plan.total_min <= budget + 1e-9
    by_id = {s.id: s for s in stops}
    clock, here = 0.0, 0
    for stop_id, node, arrival in zip(
        plan.order, node_of(plan, stops), plan.arrival_min, strict=True
    ):
        clock += walk[here, node]
        assert arrival == pytest.approx(clock)
        clock += by_id[stop_id].service_min
        here = node
    walked = tour_walk(node_of(plan, stops), walk)
    assert plan.total_walk_min == pytest.approx(walked)
    assert plan.total_min == pytest.approx(clock + walk[here, 0])
    # lowest priority first, ties by id backwards: the ranking (priority down, id up) reversed
    ranks = [(-by_id[s].priority, s) for s in plan.dropped]
    assert ranks == sorted(ranks, reverse=True)


CASES = [(n, seed, asym) for n in range(1, 8) for seed in range(3) for asym in (False, True)]


@pytest.mark.parametrize(("n", "seed", "asymmetric"), CASES)
def test_order_is_optimal_when_every_stop_fits(n: int, seed: int, asymmetric: bool) -> None:
    stops, walk = instance(n, seed, asymmetric=asymmetric)
    plan = plan_route(stops, walk, budget_min=1e9)
    assert plan.dropped == ()
    assert plan.total_walk_min == pytest.approx(brute_force_walk(list(range(1, n + 1)), walk))


@pytest.mark.parametrize(("n", "seed", "asymmetric"), CASES)
def test_dropped_stops_follow_the_greedy_priority_rule(n: int, seed: int, asymmetric: bool) -> None:
    stops, walk = instance(n, seed, asymmetric=asymmetric)
    budget = float(np.random.default_rng(seed + 100).uniform(30, 120))
    plan = plan_route(stops, walk, budget_min=budget)
    assert list(plan.dropped) == brute_force_dropped(stops, walk, budget)
    kept = [k + 1 for k, s in enumerate(stops) if s.id in plan.order]
    assert plan.total_walk_min == pytest.approx(brute_force_walk(kept, walk))
    check_consistent(plan, stops, walk, budget)


def test_priority_beats_proximity() -> None:
    near = Stop("near", priority=1, service_min=10, reason="routine visit")
    far = Stop("far", priority=5, service_min=10, reason="overdue case")
    walk = np.array([[0, 5, 40], [5, 0, 40], [40, 40, 0]], dtype=float)
    plan = plan_route([near, far], walk, budget_min=95)
    assert plan.order == ("far",)
    assert plan.dropped == ("near",)
    assert plan.arrival_min == (40.0,)
    assert plan.total_walk_min == 80.0
    assert plan.total_min == 90.0


def test_a_low_priority_stop_that_still_fits_is_kept() -> None:
    # greedy, not a prefix: the mid stop is too far, the low one on the way still fits
    stops = [
        Stop("high", priority=3, service_min=10, reason=""),
        Stop("mid", priority=2, service_min=10, reason=""),
        Stop("low", priority=1, service_min=10, reason=""),
    ]
    walk = np.array(
        [[0, 20, 100, 10], [20, 0, 100, 10], [100, 100, 0, 100], [10, 10, 100, 0]], dtype=float
    )
    plan = plan_route(stops, walk, budget_min=75)
    assert set(plan.order) == {"high", "low"}
    assert plan.dropped == ("mid",)


def test_dropped_are_listed_lowest_priority_first_ties_by_id() -> None:
    stops = [
        Stop(k, priority=p, service_min=30, reason="") for k, p in [("b", 1), ("a", 1), ("c", 2)]
    ]
    walk = np.zeros((4, 4))
    plan = plan_route(stops, walk, budget_min=10)
    assert plan.order == ()
    # ranking is c, a, b (priority down, id up); dropped lists it backwards
    assert plan.dropped == ("b", "a", "c")


def test_asymmetric_matrix_is_walked_in_the_cheaper_direction() -> None:
    stops = [Stop(k, priority=1, service_min=0, reason="") for k in "ab"]
    # 0→a→b→0 costs 3, 0→b→a→0 costs 30
    walk = np.array([[0, 1, 10], [10, 0, 1], [1, 10, 0]], dtype=float)
    plan = plan_route(stops, walk)
    assert plan.order == ("a", "b")
    assert plan.total_walk_min == 3.0


def test_zero_stops_and_a_budget_too_small() -> None:
    assert plan_route([], np.zeros((1, 1))) == Plan((), (), (), 0.0, 0.0)
    stops, walk = instance(4, 0)
    plan = plan_route(stops, walk, budget_min=1.0)
    assert plan.order == ()
    assert sorted(plan.dropped) == sorted(s.id for s in stops)
    assert plan.total_min == 0.0
    assert plan_route(stops, walk, budget_min=-5).order == ()


@pytest.mark.parametrize(
    ("matrix", "message"),
    [
        (np.zeros((3, 2)), "square"),
        (np.zeros(9), "square"),
        (np.zeros((4, 4)), r"3×3"),
        (np.array([[0, 1, 2], [1, 0, np.nan], [2, 1, 0]]), "finite"),
        (np.array([[0, 1, 2], [1, 0, np.inf], [2, 1, 0]]), "finite"),
        (np.array([[0, 1, 2], [1, 0, -1], [2, 1, 0]]), "negative"),
    ],
)
def test_bad_matrices_raise(matrix: np.ndarray, message: str) -> None:
    stops = [Stop(k, priority=1, service_min=5, reason="") for k in "ab"]
    with pytest.raises(ValueError, match=message):
        plan_route(stops, matrix)


def test_bad_stops_raise() -> None:
    walk = np.zeros((3, 3))
    twice = [Stop("a", 1, 5, ""), Stop("a", 2, 5, "")]
    with pytest.raises(ValueError, match="unique"):
        plan_route(twice, walk)
    with pytest.raises(ValueError, match="service_min"):
        plan_route([Stop("a", 1, -5, ""), Stop("b", 1, 5, "")], walk)


@settings(max_examples=40, deadline=None)
@given(
    n=st.integers(0, 9),
    seed=st.integers(0, 2**32 - 1),
    asymmetric=st.booleans(),
    budget=st.floats(0, 300),
)
def test_small_plans_never_exceed_the_budget(
    n: int, seed: int, asymmetric: bool, budget: float
) -> None:
    stops, walk = instance(n, seed, asymmetric=asymmetric)
    check_consistent(plan_route(stops, walk, budget_min=budget), stops, walk, budget)


@settings(max_examples=8, deadline=None)
@given(seed=st.integers(0, 2**32 - 1), asymmetric=st.booleans(), budget=st.floats(60, 400))
def test_large_plans_never_exceed_the_budget(seed: int, asymmetric: bool, budget: float) -> None:
    stops, walk = instance(25, seed, asymmetric=asymmetric)
    plan = plan_route(stops, walk, budget_min=budget, time_limit_s=0)
    check_consistent(plan, stops, walk, budget)


def nearest_neighbour_walk(walk: np.ndarray) -> float:
    left = set(range(1, len(walk)))
    order, here = [], 0
    while left:
        here = min(left, key=lambda v: walk[here, v])
        order.append(here)
        left.remove(here)
    return tour_walk(tuple(order), walk)


def two_opt_reference(walk: np.ndarray, restarts: int, seed: int) -> float:
    """Best of many random starts, each 2-opted to a local optimum (symmetric matrix)."""
    rng = np.random.default_rng(seed)
    d = walk.tolist()
    best = np.inf
    for _ in range(restarts):
        tour = [0, *(int(v) for v in rng.permutation(np.arange(1, len(d)))), 0]
        improved = True
        while improved:
            improved = False
            for i in range(1, len(tour) - 2):
                for j in range(i + 1, len(tour) - 1):
                    a, b, c, e = tour[i - 1], tour[i], tour[j], tour[j + 1]
                    if d[a][c] + d[b][e] < d[a][b] + d[c][e] - 1e-9:
                        tour[i : j + 1] = tour[i : j + 1][::-1]
                        improved = True
        best = min(best, tour_walk(tuple(tour[1:-1]), walk))
    return best


def test_heuristic_on_60_stops_is_close_to_a_long_2_opt_search() -> None:
    stops, walk = instance(60, 7)
    plan = plan_route(stops, walk, budget_min=1e9, time_limit_s=0)  # heuristic only
    assert plan.dropped == ()
    check_consistent(plan, stops, walk, 1e9)
    assert plan.total_walk_min <= nearest_neighbour_walk(walk) + 1e-9
    assert plan.total_walk_min <= 1.10 * two_opt_reference(walk, restarts=200, seed=1)


def test_held_karp_matches_brute_force_on_a_matrix_without_triangle_inequality() -> None:
    rng = np.random.default_rng(3)
    walk = rng.uniform(1, 50, size=(8, 8))
    order = route._held_karp(walk)
    assert sorted(order) == list(range(1, 8))
    assert tour_walk(tuple(order), walk) == pytest.approx(brute_force_walk(list(range(1, 8)), walk))


def test_ortools_result_is_valid_and_no_worse_than_the_heuristic() -> None:
    pytest.importorskip("ortools")
    stops, walk = instance(30, 11, asymmetric=True)
    heuristic = plan_route(stops, walk, budget_min=1e9, time_limit_s=0)
    solved = plan_route(stops, walk, budget_min=1e9, time_limit_s=1.0)
    check_consistent(solved, stops, walk, 1e9)
    assert solved.total_walk_min <= heuristic.total_walk_min + 1e-9


def test_without_ortools_large_plans_fall_back_to_the_heuristic(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setitem(sys.modules, "ortools.constraint_solver", None)  # import now fails
    stops, walk = instance(20, 5, asymmetric=True)
    heuristic = plan_route(stops, walk, budget_min=1e9, time_limit_s=0)
    plan = plan_route(stops, walk, budget_min=1e9, time_limit_s=5)
    assert plan == heuristic


def test_a_given_order_is_timed_as_given_and_the_rest_dropped_lowest_first() -> None:
    stops, walk = instance(6, seed=11)
    order = ["s04", "s01", "s05", "nonexistent", "s01"]
    plan = route.plan_in_order(stops, walk, order)
    assert plan.order == ("s04", "s01", "s05")
    nodes = (5, 2, 6)
    service = {s.id: s.service_min for s in stops}
    assert plan.total_walk_min == pytest.approx(tour_walk(nodes, walk))
    assert plan.arrival_min[0] == pytest.approx(walk[0, 5])
    assert plan.arrival_min[1] == pytest.approx(walk[0, 5] + service["s04"] + walk[5, 2])
    left = [s for s in stops if s.id not in plan.order]
    ranking = sorted(left, key=lambda s: (-s.priority, s.id))
    assert plan.dropped == tuple(s.id for s in ranking[::-1])


def test_cheapest_round_trip() -> None:
    stops, walk = instance(5, seed=12)
    expected = min(walk[0, i + 1] + s.service_min + walk[i + 1, 0] for i, s in enumerate(stops))
    assert route.cheapest_round_trip(stops, walk) == pytest.approx(expected)
    budget = route.cheapest_round_trip(stops, walk)
    assert len(plan_route(stops, walk, budget - 0.01).order) == 0
    assert len(plan_route(stops, walk, budget + 0.01).order) >= 1
