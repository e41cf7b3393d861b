"""Visit routes from a real store: workers, problems said plainly, budget, drops, given order."""

from __future__ import annotations

import datetime as dt
import itertools

import numpy as np
import pandas as pd
import pytest

from dashboard.readers import routes as rd
from dashboard.routetext import csv_bytes, gpx_text, reason_text
from geodata.backends import open_store
from geodata.model import LOCAL_TZ, Level
from layers import plan as lplan
from layers.itinerary import Network, StopKind
from tests import tiny_city as tc
from tests.conftest import DEMO_AS_OF

DAY = DEMO_AS_OF - dt.timedelta(days=3)  # a Wednesday


def problem(call) -> rd.RouteProblem:
    with pytest.raises(rd.RouteProblem) as info:
        call()
    return info.value


def test_workers_with_cells_and_community(tiny_routes):
    found = {w.id: w for w in rd.workers(tiny_routes)}
    assert set(found) == {"P1", "P2", "P6", "P7", "P8"}
    assert found["P1"] == rd.Worker("P1", "王建国", tc.YUNHE, "运河社区", (tc.YUNHE + "001",))
    assert found["P7"].grid_codes == () and found["P7"].community_name == "锦绣社区"


def test_unknown_worker(tiny_routes):
    err = problem(lambda: rd.itinerary(tiny_routes, "P404", tc.AS_OF))
    assert err.key == "route.problem.unknown_worker" and err.args_map == {"worker": "P404"}
    assert str(err) == "No grid worker has the ID P404"
    assert "P404" in err.text("zh")
    assert problem(lambda: rd.itinerary(tiny_routes, "P3", tc.AS_OF)).key == err.key  # not a worker


def test_a_worker_with_no_grid_cells(tiny_routes):
    err = problem(lambda: rd.itinerary(tiny_routes, "P7", tc.AS_OF))
    assert err.key == "route.problem.no_cells" and err.args_map == {"name": "孙丽"}
    assert "孙丽" in str(err)


def test_cells_with_nothing_to_visit(tiny_routes):
    # 锦绣社区's east cell has no building and no case: there is nothing to fill a day with
    day = tc.AS_OF - dt.timedelta(days=3)
    err = problem(lambda: rd.itinerary(tiny_routes, "P8", day))
    assert err.key == "route.problem.no_stops"
    assert err.args_map == {"date": day.isoformat(), "name": "周强"}


def test_visits_on_the_planned_day_do_not_hide_its_buildings(tiny_routes):
    # P2 visited both south buildings on `day`: planned for that day, the route is still the
    # one the morning had: 3号楼 last visited 50 days before AS_OF, 4号楼 never.
    day = tc.AS_OF - dt.timedelta(days=3)
    route = rd.itinerary(tiny_routes, "P2", day)
    found = {rs.stop.id: rs.stop for rs in route.stops}
    assert set(found) == {f"B:{tc.GARDEN}-03", f"B:{tc.GARDEN}-04"}  # case C2 is not reported yet
    assert found[f"B:{tc.GARDEN}-03"].reason_args == {"days": 47, "households": 120}
    assert found[f"B:{tc.GARDEN}-04"].reason == "route.reason.never_visited"


def test_buildings_not_due_fill_the_day_after_the_due_stops(tiny_routes):
    # The day after P2's visits nothing is due but the case C2: the two buildings fill the day.
    route = rd.itinerary(tiny_routes, "P2", tc.AS_OF - dt.timedelta(days=2))
    by_kind = {rs.stop.id: rs.stop.kind for rs in route.stops}
    assert by_kind == {
        "C:C2": StopKind.FOLLOW_UP,
        f"B:{tc.GARDEN}-03": StopKind.NOT_DUE,
        f"B:{tc.GARDEN}-04": StopKind.NOT_DUE,
    }
    fill = next(rs.stop for rs in route.stops if rs.stop.kind is StopKind.NOT_DUE)
    assert fill.reason == "route.reason.not_due" and fill.reason_args["days"] == 1
    # The case is kept first when time runs short; a building that did not fit is not owed
    short = rd.itinerary(tiny_routes, "P2", tc.AS_OF - dt.timedelta(days=2), budget_min=20)
    assert [rs.stop.id for rs in short.stops] == ["C:C2"] and short.dropped == ()


def test_a_budget_too_small_for_any_stop(tiny_routes):
    err = problem(lambda: rd.itinerary(tiny_routes, "P6", tc.AS_OF, budget_min=2))
    assert err.key == "route.problem.budget_too_small"
    assert err.args_map["minutes"] == 2 and err.args_map["needed"] > 2
    fits = rd.itinerary(tiny_routes, "P6", tc.AS_OF, budget_min=err.args_map["needed"])
    assert len(fits.stops) >= 1


def test_bad_budgets_are_refused(tiny_routes):
    for budget in (0, -5, 10_000):
        with pytest.raises(ValueError, match="budget"):
            rd.itinerary(tiny_routes, "P6", tc.AS_OF, budget_min=budget)


def test_tiny_route_by_hand(tiny_routes):
    route = rd.itinerary(tiny_routes, "P6", tc.AS_OF)
    kinds = {rs.stop.id: rs.stop.kind for rs in route.stops}
    assert kinds == {
        f"B:{tc.XINTIANDI}-02": StopKind.DUE_VISIT,  # never visited
        "C:C4": StopKind.FOLLOW_UP,  # the open case
        f"B:{tc.XINTIANDI}-01": StopKind.NOT_DUE,  # visited 2 days before: fills the day
    }
    assert route.network is Network.ROADS
    assert route.start.address == "锦绣社区党群服务中心"  # no hall coordinates: the middle
    assert route.departure == dt.datetime.combine(tc.AS_OF, dt.time(14), LOCAL_TZ)
    assert route.back == route.departure + dt.timedelta(minutes=route.total_min)
    assert route.path[0] == route.path[-1] == (route.start.lon, route.start.lat)


@pytest.fixture(scope="module")
def street(street_store_path):
    with open_store(street_store_path, readonly=True) as store:
        yield store


@pytest.fixture(scope="module")
def busy(street):
    """Grid workers of the street demo with the most candidate stops on DAY."""
    at = dt.datetime.combine(DAY, dt.time(14), LOCAL_TZ)
    found = [(len(rd.candidate_stops(street, w.grid_codes, at)), w) for w in rd.workers(street)]
    found.sort(key=lambda pair: (-pair[0], pair[1].id))
    return [w for n, w in found[:6] if n >= 4]


def test_the_budget_is_never_exceeded_on_the_demo(street, busy):
    assert busy
    for worker in busy:
        for budget in (45, 90, 180):
            route = rd.itinerary(street, worker.id, DAY, budget_min=budget, time_limit_s=0.2)
            assert route.total_min <= budget + 1e-6
            service = sum(rs.stop.service_min for rs in route.stops)
            assert route.total_min == pytest.approx(route.walk_min + service)
            arrivals = [rs.arrival for rs in route.stops]
            assert arrivals == sorted(arrivals)
            assert [rs.number for rs in route.stops] == list(range(1, len(route.stops) + 1))
            ids = [rs.stop.id for rs in route.stops] + [s.id for s in route.dropped]
            assert len(ids) == len(set(ids))  # no stop twice


def test_building_stops_lie_in_the_workers_cells(street, busy):
    cells = street.areas(Level.GRID).set_index("code").geometry
    for worker in busy:
        route = rd.itinerary(street, worker.id, DAY, time_limit_s=0.2)
        for rs in route.stops:
            assert rs.stop.grid_code in worker.grid_codes
            if rs.stop.building_id:
                point = pd.Series([rs.stop.place.lon, rs.stop.place.lat])
                cell = cells.loc[rs.stop.grid_code]
                assert cell.buffer(1e-6).contains(_point(*point))


def _point(lon: float, lat: float):
    from shapely.geometry import Point

    return Point(lon, lat)


def _tour_min(nodes: tuple[int, ...], minutes: np.ndarray) -> float:
    closed = (0, *nodes, 0)
    return float(sum(minutes[a, b] for a, b in itertools.pairwise(closed)))


def test_a_day_with_time_to_spare_is_filled(street):
    # Only due buildings used to count: a worker with 180 minutes walked 1 stop and was back
    # in 37. Now a route uses most of its budget, or every building left out takes longer
    # than the time left (a building with tagged households due is a long stop).
    filled = 0
    at = dt.datetime.combine(DAY, dt.time(14), LOCAL_TZ)
    for worker in rd.workers(street)[::13]:
        for budget in (120, 180):
            route = rd.itinerary(street, worker.id, DAY, budget_min=budget, time_limit_s=0.2)
            visited = [rs.stop for rs in route.stops if rs.stop.building_id]
            taken = {s.id for s in visited}
            left = [s for s in rd.candidate_stops(street, worker.grid_codes, at)
                    if s.building_id and s.id not in taken]  # fmt: skip
            spare = budget - route.total_min
            assert route.total_min >= 0.8 * budget or all(s.service_min > spare for s in left), (
                worker.id
            )
            fill = [s for s in visited if s.kind is StopKind.NOT_DUE]
            assert all(s.reason == "route.reason.not_due" for s in fill)
            assert all(s.kind is not StopKind.NOT_DUE for s in route.dropped)
            filled += len(fill)
    assert filled


def test_a_visit_on_a_past_day_does_not_hide_its_building_that_day(street, busy):
    worker = busy[-1]
    latest = street.last_visits(worker.grid_codes, DAY)
    building, day = latest.idxmax(), latest.max()  # visited that day, the latest of the cells
    before = street.last_visits(worker.grid_codes, day - dt.timedelta(days=1)).get(building)
    route = rd.itinerary(street, worker.id, day, budget_min=480, time_limit_s=0.2)
    stop = next(rs.stop for rs in route.stops if rs.stop.building_id == building)
    assert stop.reason_args.get("days") == (None if before is None else (day - before).days)
    assert stop.reason_args.get("days") != 0


def test_dropped_stops_are_the_lowest_priority_ones_that_did_not_fit(street, busy):
    worker, budget = busy[0], 60
    route = rd.itinerary(street, worker.id, DAY, budget_min=budget, time_limit_s=0.2)
    assert route.dropped, "the budget should be too small for every stop"
    found = rd.candidate_stops(street, worker.grid_codes, route.departure)
    walks = lplan.route_walks(route.start, found, street.roads().geometry.to_numpy())
    index = {s.id: i + 1 for i, s in enumerate(found)}
    service = {s.id: s.service_min for s in found}
    ranking = sorted(found, key=lambda s: (-s.priority, s.id))
    kept = {rs.stop.id for rs in route.stops}
    assert [s.priority for s in route.dropped] == sorted(s.priority for s in route.dropped)
    # Replay the rule with brute-force optimal tours: each stop, in priority order, is kept
    # exactly when it fits with the stops kept before it.
    so_far: list[str] = []
    for stop in ranking:
        trial = [*so_far, stop.id]
        if len(trial) > 7:
            break
        best = min(
            _tour_min(p, walks.minutes) for p in itertools.permutations(index[i] for i in trial)
        )
        fits = best + sum(service[i] for i in trial) <= budget + 1e-9
        assert fits == (stop.id in kept), stop.id
        if fits:
            so_far.append(stop.id)


def test_a_given_order_is_kept_and_re_timed(street, busy):
    worker = busy[0]
    solved = rd.itinerary(street, worker.id, DAY, budget_min=240, time_limit_s=0.2)
    ids = [rs.stop.id for rs in solved.stops]
    assert len(ids) >= 3
    wanted = [ids[-1], *ids[1:-1][::-1], ids[0]]  # the route backwards, ends swapped
    wanted = [wanted[1], wanted[0], *wanted[2:]]
    extra = [s.id for s in solved.dropped][:1]
    given = rd.itinerary(street, worker.id, DAY, budget_min=240, order=wanted)
    assert [rs.stop.id for rs in given.stops] == wanted
    assert {s.id for s in given.dropped} == set(extra) | {s.id for s in solved.dropped}
    assert given.walk_m >= solved.walk_m - 1e-6  # the solver's order was at least as short
    first = given.stops[0]
    assert first.arrival == given.departure + dt.timedelta(minutes=first.walk_min_before)
    for a, b in itertools.pairwise(given.stops):
        gap = (b.arrival - a.arrival).total_seconds() / 60
        assert gap == pytest.approx(a.stop.service_min + b.walk_min_before, abs=1e-6)


def test_an_order_of_unknown_stops_gives_a_route_with_none(street, busy):
    worker = busy[0]
    empty = rd.itinerary(street, worker.id, DAY, order=["B:no-such-building"])
    assert empty.stops == () and empty.walk_m == 0 and empty.back == empty.departure
    assert empty.dropped  # every candidate is listed as dropped


def test_a_start_other_than_the_hall(street, busy):
    worker = busy[0]
    hall = rd.itinerary(street, worker.id, DAY, time_limit_s=0.2).start
    moved = rd.itinerary(
        street, worker.id, DAY, start=(hall.lon + 0.002, hall.lat), time_limit_s=0.2
    )
    assert (moved.start.lon, moved.start.lat) == (hall.lon + 0.002, hall.lat)
    assert moved.path[0] == moved.path[-1] == (hall.lon + 0.002, hall.lat)


def test_texts_and_files(street, busy):
    route = rd.itinerary(street, busy[0].id, DAY, time_limit_s=0.2)
    stop = route.stops[0].stop
    assert reason_text(stop, "en") != reason_text(stop, "zh")
    assert "{" not in reason_text(stop, "en")
    case = next((rs.stop for rs in route.stops if rs.stop.kind is StopKind.FOLLOW_UP), None)
    if case is not None:  # the category is named, not coded
        assert case.reason_args["category"] not in reason_text(case, "en")
    content = csv_bytes(route, "en")
    assert content.startswith(b"\xef\xbb\xbf")
    lines = content.decode("utf-8-sig").strip().split("\r\n")
    assert len(lines) == 1 + len(route.stops) + len(route.dropped)
    assert gpx_text(route, "en").count("<wpt ") == len(route.stops)


def test_a_long_round_is_filled_with_due_buildings_first(street_store):
    """The street demo's grid worker with the most due work: their 180 minutes are filled
    (tagged households due are called on), due buildings before any not due."""
    at = dt.datetime.combine(DAY, dt.time(14), LOCAL_TZ)

    def due_minutes(worker: rd.Worker) -> float:
        found = rd.candidate_stops(street_store, worker.grid_codes, at)
        return sum(s.service_min for s in found if s.kind is StopKind.DUE_VISIT)

    busy = max((w for w in rd.workers(street_store) if w.grid_codes), key=due_minutes)
    assert due_minutes(busy) > 180
    route = rd.itinerary(street_store, busy.id, DAY, 180.0)
    assert 150 <= route.total_min <= 180
    kinds = [s.stop.kind for s in route.stops]
    assert StopKind.DUE_VISIT in kinds
    # a building not due fills only time no due building left out could use
    fill = [s for s in route.stops if s.stop.kind is StopKind.NOT_DUE]
    freed = 180.0 - route.total_min + sum(s.stop.service_min + s.walk_min_before for s in fill)
    assert all(s.service_min > freed for s in route.dropped if s.kind is StopKind.DUE_VISIT)
    care = [s.stop for s in route.stops if s.stop.kind is StopKind.DUE_VISIT]
    assert any(s.service_min > rd.stops.building_service_min(s.reason_args["households"])
               for s in care)  # fmt: skip


def test_every_demo_worker_fills_a_day_with_due_buildings_before_any_not_due(street_store):
    at = dt.datetime.combine(DAY, dt.time(14), LOCAL_TZ)
    for worker in [w for w in rd.workers(street_store) if w.grid_codes][::40]:
        found = rd.candidate_stops(street_store, worker.grid_codes, at)
        due = [s.priority for s in found if s.kind is not StopKind.NOT_DUE]
        fill = [s.priority for s in found if s.kind is StopKind.NOT_DUE]
        assert not due or not fill or min(due) > max(fill)
