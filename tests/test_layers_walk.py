"""Walking network: hand-computed shortest paths, snapping, the straight-line fallback, paths."""

from __future__ import annotations

import math

import networkx as nx
import numpy as np
import pytest
from pyproj import Transformer
from shapely.geometry import LineString

from layers import walk
from layers.itinerary import Network

EPSG = 32650
X0, Y0 = 417_000.0, 3_962_000.0
_BACK = Transformer.from_crs(EPSG, 4326, always_xy=True)
_FWD = Transformer.from_crs(4326, EPSG, always_xy=True)


def ll(x: float, y: float) -> tuple[float, float]:
    """WGS-84 of a point (x, y) metres from the origin of the test area."""
    lon, lat = _BACK.transform(X0 + x, Y0 + y)
    return float(lon), float(lat)


def line(*points: tuple[float, float]) -> LineString:
    return LineString([ll(x, y) for x, y in points])


# A cross (two roads that cross without a shared vertex) and a dead-end spur:
#
#   (0,400)                    spur from (400,400) east to (700,400)
#      |
#   (0,200)---------------(400,200)----(800,200)      x: 0..800, y: 0..400
#      |                      |
#                          (400,0)
CROSS = [line((0, 200), (800, 200)), line((400, 0), (400, 400)), line((400, 400), (700, 400))]


def test_crossing_lines_are_split_where_they_cross():
    roads = walk.build_roads(CROSS, EPSG)
    assert len(roads.xy) == 6  # four ends of the cross, its centre, the spur's far end
    assert roads.length.sum() == pytest.approx(800 + 400 + 300, abs=1e-3)


def test_distances_equal_hand_computed_shortest_paths():
    roads = walk.build_roads(CROSS, EPSG)
    places = [ll(100, 210), ll(390, 300), ll(700, 190), ll(650, 410)]
    w = walk.walks(places, roads)
    assert w.network is Network.ROADS
    # 10 m to the road, along y=200 to the crossing, up to y=300, 10 m across
    assert w.metres[0, 1] == pytest.approx(10 + 300 + 100 + 10, abs=0.01)
    assert w.metres[0, 2] == pytest.approx(10 + 600 + 10, abs=0.01)
    # to the spur: up to (400,400) then east to x=650
    assert w.metres[0, 3] == pytest.approx(10 + 300 + 200 + 250 + 10, abs=0.01)
    assert w.metres[2, 3] == pytest.approx(10 + 300 + 200 + 250 + 10, abs=0.01)
    assert np.allclose(w.metres, w.metres.T)
    assert np.all(np.diag(w.metres) == 0)
    assert w.minutes[0, 2] == pytest.approx(620 / walk.WALK_M_PER_MIN)


def test_two_places_on_one_segment_walk_along_it():
    roads = walk.build_roads([line((0, 0), (1000, 0))], EPSG)
    w = walk.walks([ll(100, 5), ll(300, -5)], roads)
    assert w.metres[0, 1] == pytest.approx(5 + 200 + 5, abs=0.01)
    path = w.path([0, 1])
    assert len(path) == 4  # place, its foot on the road, the other's foot, the other place


def test_line_ends_within_a_metre_are_joined_and_farther_ones_are_not():
    joined = walk.build_roads([line((0, 0), (500, 0)), line((500.6, 0), (1000, 0))], EPSG)
    apart = walk.build_roads([line((0, 0), (500, 0)), line((505, 0), (1000, 0))], EPSG)
    places = [ll(0, 0), ll(1000, 0)]
    assert walk.walks(places, joined).metres[0, 1] == pytest.approx(1000, abs=0.7)
    straight = walk.walks(places, apart).metres[0, 1]
    assert straight == pytest.approx(1000 * walk.DETOUR, abs=0.5)  # no way through: straight


def test_without_roads_the_walk_is_straight_times_the_detour():
    places = [ll(0, 0), ll(300, 400), ll(600, 0)]
    for roads in (None, walk.build_roads([], EPSG)):
        w = walk.walks(places, roads)
        assert w.network is Network.STRAIGHT_LINE
        assert w.metres[0, 1] == pytest.approx(500 * walk.DETOUR, abs=0.5)
        assert w.metres[0, 2] == pytest.approx(600 * walk.DETOUR, abs=0.5)
        assert w.path([0, 1, 0]) == [places[0], places[1], places[0]]


def test_a_place_far_from_every_road_is_reached_in_a_straight_line():
    roads = walk.build_roads(CROSS, EPSG)
    far = ll(100, 200 + walk.FAR_M + 100)  # 400 m north of the road along y=200
    w = walk.walks([ll(100, 210), far, ll(700, 190)], roads)
    assert w.network is Network.ROADS
    assert w.metres[0, 1] == pytest.approx(390 * walk.DETOUR, abs=0.5)
    expected = math.hypot(600, 410) * walk.DETOUR
    assert w.metres[1, 2] == pytest.approx(expected, abs=0.5)
    assert w.metres[0, 2] == pytest.approx(620, abs=0.01)  # the others still use the roads


def test_roads_outside_the_box_are_left_out():
    box = (X0 - 50, Y0 + 150, X0 + 450, Y0 + 250)
    roads = walk.build_roads(CROSS, EPSG, bbox=box)
    assert roads.length.sum() == pytest.approx(800 + 400, abs=1e-3)  # the spur is outside


def test_path_follows_the_roads_and_is_as_long_as_the_distance():
    roads = walk.build_roads(CROSS, EPSG)
    places = [ll(100, 210), ll(390, 300), ll(650, 410)]
    w = walk.walks(places, roads)
    path = w.path([0, 1, 2, 0])
    assert path[0] == places[0] and path[-1] == places[0]
    xy = np.column_stack(_FWD.transform(*np.array(path).T))
    length = np.hypot(*np.diff(xy, axis=0).T).sum()
    total = w.metres[0, 1] + w.metres[1, 2] + w.metres[2, 0]
    assert length == pytest.approx(total, abs=0.05)
    crossing = np.hypot(xy[:, 0] - (X0 + 400), xy[:, 1] - (Y0 + 200)).min()
    assert crossing < 0.01  # the walk turns at the crossing, not across the block


def test_random_grid_distances_match_networkx():
    rng = np.random.default_rng(3)
    size, step = 6, 120.0
    lines, graph = [], nx.Graph()
    for i in range(size):
        for j in range(size):
            for di, dj in ((1, 0), (0, 1)):
                if i + di < size and j + dj < size and rng.random() < 0.8:
                    a, b = (i * step, j * step), ((i + di) * step, (j + dj) * step)
                    lines.append(line(a, b))
                    graph.add_edge(a, b, weight=step)
    nodes = sorted(graph.nodes)
    picks = [nodes[k] for k in rng.choice(len(nodes), 8, replace=False)]
    w = walk.walks([ll(*p) for p in picks], walk.build_roads(lines, EPSG))
    for i, a in enumerate(picks):
        lengths = nx.single_source_dijkstra_path_length(graph, a)
        for j, b in enumerate(picks):
            if b in lengths:
                assert w.metres[i, j] == pytest.approx(lengths[b], abs=0.01)
            else:
                assert w.metres[i, j] == pytest.approx(math.dist(a, b) * walk.DETOUR, abs=0.5)


def test_utm_zone():
    assert walk.utm_epsg(116.09, 35.8) == 32650
    assert walk.utm_epsg(121.47, 31.23) == 32651
    assert walk.utm_epsg(-70.6, -33.4) == 32719
