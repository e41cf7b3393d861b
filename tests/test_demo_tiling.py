"""The demo's grid cells as the store keeps them (lon/lat): they tile exactly, every building
lies in one cell of its community, and the validator finds no problem, whatever the seed."""

from __future__ import annotations

import datetime as dt
import tempfile
from pathlib import Path

import numpy as np
import pytest
import shapely
from hypothesis import example, given, settings
from hypothesis import strategies as st

from geodata.backends import open_store
from geodata.city import CityData
from geodata.demo import build_demo
from geodata.validate import report_lines, validate_store

AS_OF = dt.date(2026, 11, 28)
SEEDS = (1, 3, 5, 7, 8)  # seed 1 put a building on the edge of two cells, 3 and 8 had slivers


@pytest.fixture(scope="module", params=SEEDS)
def city(request: pytest.FixtureRequest) -> CityData:
    return build_demo("street", request.param, AS_OF)


def test_neighbouring_cells_share_their_edges_exactly(city: CityData) -> None:
    """Neighbours share their vertices, so they do not overlap even by a hair in lon/lat,
    where straight edges between other vertices would bend apart by millimetres."""
    cells = city.grid_cells.geometry.to_numpy()
    left, right = shapely.STRtree(cells).query(cells, predicate="intersects")
    pairs = left < right
    overlap = shapely.area(shapely.intersection(cells[left[pairs]], cells[right[pairs]]))
    assert overlap.max() == 0.0


def test_cells_make_up_their_community_and_communities_their_street_exactly(
    city: CityData,
) -> None:
    cells, communities = city.grid_cells, city.communities
    for code, community in zip(communities["code"], communities.geometry, strict=True):
        mine = cells.geometry[cells["community_code"] == code].to_numpy()
        assert shapely.symmetric_difference(shapely.coverage_union_all(mine), community).area == 0
    union = shapely.coverage_union_all(communities.geometry.to_numpy())
    assert shapely.symmetric_difference(union, city.streets.geometry.iloc[0]).area == 0


def test_every_building_lies_in_exactly_one_cell_of_its_community(city: CityData) -> None:
    buildings, cells = city.buildings, city.grid_cells
    which, cell = shapely.STRtree(cells.geometry.to_numpy()).query(
        buildings.geometry.to_numpy(), predicate="intersects"
    )
    assert (np.bincount(which, minlength=len(buildings)) == 1).all()
    community = buildings["compound_code"].map(city.compounds.set_index("code")["community_code"])
    assert (cells["community_code"].to_numpy()[cell] == community.to_numpy()[which]).all()


@settings(max_examples=4, deadline=None)
@given(seed=st.integers(0, 2**32 - 1), communities=st.integers(2, 10))
@example(seed=3, communities=10)  # a 0.06 m wide sliver of 370832001009016
def test_the_demo_passes_validation_for_any_seed(seed: int, communities: int) -> None:
    city = build_demo("street", seed, AS_OF, communities=communities)
    with (
        tempfile.TemporaryDirectory() as tmp,
        open_store(Path(tmp) / "demo.gpkg", create=True) as store,
    ):
        store.write_city(city)
        problems = validate_store(store)
    assert problems.frame.empty, report_lines(problems)
