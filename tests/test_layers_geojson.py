"""GeoJSON for the map: ids are codes, coordinates ~1 m, shapes simplified but still in place."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest
import shapely
from shapely.geometry import shape

from geodata.backends import open_store
from geodata.gcj02 import shift_coords, wgs84_to_gcj02
from geodata.model import Level
from geodata.store import Store
from layers import geojson


@pytest.fixture(scope="module")
def store(street_store_path: Path) -> Iterator[Store]:
    with open_store(street_store_path, readonly=True) as opened:
        yield opened


def coordinates(fc: dict) -> np.ndarray:
    points = [
        point
        for feature in fc["features"]
        for point in shapely.get_coordinates(shape(feature["geometry"]))
    ]
    return np.array(points)


@pytest.mark.parametrize("level", list(Level))
def test_features_carry_the_codes_as_ids(store: Store, level: Level) -> None:
    areas = store.areas(level)
    fc = geojson.feature_collection(areas, level.value)
    assert fc["type"] == "FeatureCollection"
    assert [f["id"] for f in fc["features"]] == areas["code"].tolist()
    assert all(f["geometry"]["type"] in ("Polygon", "MultiPolygon") for f in fc["features"])


@pytest.mark.parametrize("level", list(Level))
def test_coordinates_are_rounded_to_about_a_metre(store: Store, level: Level) -> None:
    fc = geojson.feature_collection(store.areas(level), level.value)
    text = json.dumps(fc)
    numbers = [n for n in text.replace("[", " ").replace("]", " ").replace(",", " ").split()]
    decimals = [len(n.split(".")[1]) for n in numbers if n[0].isdigit() and "." in n]
    assert decimals and max(decimals) <= geojson.DECIMALS
    points = coordinates(fc)
    assert np.allclose(points, np.round(points, 5), atol=1e-9)


@pytest.mark.parametrize("level", list(Level))
def test_shapes_stay_where_they_were(store: Store, level: Level) -> None:
    areas = store.areas(level)
    fc = geojson.feature_collection(areas, level.value)
    for original, feature in zip(areas.geometry, fc["features"], strict=True):
        drawn = shape(feature["geometry"])
        tolerance = (geojson.TOLERANCE_M[level.value] + 1.5) * geojson.METRE
        assert original.hausdorff_distance(drawn) <= tolerance
        assert drawn.area == pytest.approx(original.area, rel=0.05)


def test_simplified_geometry_is_smaller_than_the_raw_frame(store: Store) -> None:
    areas = store.areas(Level.GRID)
    ours = len(json.dumps(geojson.feature_collection(areas, "grid")))
    assert ours < 0.6 * len(areas.to_json())


def test_grid_cells_keep_their_shared_edges(store: Store) -> None:
    areas = store.areas(Level.GRID)
    fc = geojson.feature_collection(areas, "grid")
    drawn = shapely.union_all([shape(f["geometry"]) for f in fc["features"]])
    original = shapely.union_all(areas.geometry.values)
    # A gap between simplified neighbours would leave holes the original union has not got.
    assert shapely.get_num_interior_rings(drawn) <= shapely.get_num_interior_rings(original)


def test_gcj02_shift_moves_every_point(store: Store) -> None:
    areas = store.areas(Level.COMPOUND).head(3)
    plain = coordinates(geojson.feature_collection(areas, "compound"))
    shifted = coordinates(geojson.feature_collection(areas, "compound", shift_coords))
    expected = np.column_stack(wgs84_to_gcj02(plain[:, 0], plain[:, 1]))
    assert np.abs(shifted - expected).max() < 2e-5  # simplify/round happen before the shift
    assert np.abs(shifted - plain).max() > 1e-3  # hundreds of metres


def test_bounds(store: Store) -> None:
    west, south, east, north = geojson.bounds(store.areas(Level.STREET))
    assert 115 < west < east < 117 and 35 < south < north < 36.5
    assert geojson.bounds(store.areas(Level.STREET).iloc[0:0]) is None
