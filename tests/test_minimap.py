"""The drawer's small map: outlines and the case's point fitted in the box, north up, as path
data made only of numbers."""

from __future__ import annotations

import re

import pytest
import shapely

from layers.minimap import HEIGHT, MARGIN, WIDTH, minimap

LON, LAT = 116.08, 35.79
D = 0.001  # about 90 m east-west and 111 m north-south here
SQUARE = shapely.box(LON, LAT, LON + D, LAT + D)
NUMBERS = re.compile(r"^(?:[MLZhv]|-?\d+(?:\.\d+)?|,)+$")


def _xy(path: str) -> list[tuple[float, float]]:
    return [(float(x), float(y)) for x, y in re.findall(r"(-?[\d.]+),(-?[\d.]+)", path)]


def test_the_outlines_and_the_point_fit_the_box_north_up() -> None:
    small = minimap([("compound", SQUARE)], (LON + D / 2, LAT + D * 0.9))
    assert small is not None and (small.width, small.height) == (WIDTH, HEIGHT)
    (shape,) = small.shapes
    assert shape.kind == "compound" and NUMBERS.match(shape.d) and shape.d.endswith("Z")
    xs, ys = zip(*_xy(shape.d), strict=True)
    assert min(xs) >= MARGIN - 1 and max(xs) <= WIDTH - MARGIN + 1
    assert min(ys) >= MARGIN - 1 and max(ys) <= HEIGHT - MARGIN + 1
    x, y = small.point
    assert min(xs) < x < max(xs) and min(ys) < y < max(ys)
    assert y < sum(ys) / len(ys)  # north of the middle is drawn above it
    # metres keep their proportions: 111 m north-south against 90 m east-west
    assert (max(ys) - min(ys)) / (max(xs) - min(xs)) == pytest.approx(111 / 90.2, rel=0.02)


def test_holes_parts_lines_and_points_are_drawn() -> None:
    ring = SQUARE.difference(SQUARE.centroid.buffer(D / 4))
    two = shapely.MultiPolygon([SQUARE, shapely.box(LON + 2 * D, LAT, LON + 3 * D, LAT + D)])
    small = minimap(
        [("compound", ring), ("grid", two), ("building", shapely.Point(LON, LAT))], None
    )
    paths = {s.kind: s.d for s in small.shapes}
    assert paths["compound"].count("M") == 2 and paths["grid"].count("M") == 2
    assert paths["building"].endswith("h4v4h-4Z")
    assert small.point is None


def test_a_lone_point_is_shown_at_a_street_scale_and_nothing_is_none() -> None:
    small = minimap([], (LON, LAT))
    assert small.point == (WIDTH / 2, HEIGHT / 2) and small.shapes == ()
    assert small.metres_per_unit > 0.4  # at least 120 m across the box
    assert minimap([], None) is None
    assert minimap([], (float("nan"), LAT)) is None
