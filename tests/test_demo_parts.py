"""A demo in parts, the region's way: whole towns per part, ids that never repeat, and the
parts written one after another into one store as one city, all or nothing."""

from __future__ import annotations

import datetime as dt
from dataclasses import replace

import numpy as np
import pandas as pd
import pytest

from geodata.city import CityData
from geodata.demo import demo_parts
from geodata.demo.build import town_groups, town_parts
from geodata.demo.plan import CITY_COMMUNITIES, LIANGSHAN, Town, plan
from geodata.model import Level
from geodata.store import StoreError
from layers.view import window_of
from tests import storekit
from tests.conftest import STORE_KINDS
from tests.test_demo import assert_same_city
from tests.test_rollups import assert_agree

AS_OF = dt.date(2026, 11, 28)
SEED = 5
WENSHANG = Town("370830", "汶上县", 116.49, 35.73, ("汶上街道",), "泉河路")
# Two small towns, two communities each: two parts when a part holds at most two.
TOWNS = [
    replace(LIANGSHAN, street_names=LIANGSHAN.street_names[:1], communities=(2,)),
    replace(WENSHANG, communities=(2,)),
]
ID_COLUMNS = {
    "cases": "id",
    "visits": "id",
    "households": "id",
    "persons": "id",
    "roads": "id",
    "organisations": "id",
    "buildings": "id",
    "grid_cells": "code",
}


@pytest.fixture(scope="module")
def parts() -> list[CityData]:
    return list(town_parts(TOWNS, SEED, AS_OF, most=2))


def test_the_region_comes_in_parts_of_whole_towns_of_at_most_a_city() -> None:
    towns = plan("region", np.random.default_rng(1), None)
    groups = town_groups(towns, CITY_COMMUNITIES)
    assert [t for g in groups for t in g] == towns  # every town once, in order
    sizes = [sum(sum(t.communities) for t in g) for g in groups]
    assert max(sizes) <= CITY_COMMUNITIES
    assert sum(sizes) == 5 * CITY_COMMUNITIES
    assert len(groups) >= 5


def test_a_town_bigger_than_a_part_is_a_part_of_its_own() -> None:
    big, small = replace(WENSHANG, communities=(9,)), replace(LIANGSHAN, communities=(1,))
    assert town_groups([small, big, small], 4) == [[small], [big], [small]]


def test_the_street_and_the_city_are_one_part() -> None:
    (only,) = demo_parts("street", SEED, AS_OF)
    assert only.meta["scale"] == "street"


def test_each_part_holds_its_towns_and_no_id_repeats(parts: list[CityData]) -> None:
    assert len(parts) == 2
    for part, town in zip(parts, TOWNS, strict=True):
        assert set(part.streets["code"].str[:6]) == {town.county}
        assert part.meta["scale"] == "region"
        assert len(part.cases) and len(part.visits) and len(part.households)
    for table, column in ID_COLUMNS.items():
        first, second = (set(getattr(p, table)[column]) for p in parts)
        assert first and second and not first & second, table


def test_ids_run_on_from_one_part_to_the_next(parts: list[CityData]) -> None:
    def numbers(frame: pd.DataFrame) -> pd.Series:
        return frame["id"].str.extract(r"(\d+)$", expand=False).astype(int)

    for table in ("cases", "visits", "households", "persons", "roads"):
        first, second = (numbers(getattr(p, table)) for p in parts)
        assert first.min() == 1, table
        assert second.min() > first.max(), table
    references = parts[1].case_events["case_id"]
    assert references.isin(set(parts[1].cases["id"])).all()


def test_the_same_arguments_give_the_same_parts(parts: list[CityData]) -> None:
    for part, again in zip(parts, town_parts(TOWNS, SEED, AS_OF, most=2), strict=True):
        assert_same_city(part, again)


@pytest.mark.parametrize("kind", STORE_KINDS)
def test_parts_are_written_as_one_city(kind, request, parts: list[CityData]) -> None:
    with storekit.fresh_store(kind, request) as store:
        store.write_parts(iter(parts))
        counts = store.counts()
        for table in ("streets", "grid_cells", "cases", "visits", "persons", "households"):
            assert counts[table] == sum(len(getattr(p, table)) for p in parts), table
        assert store.meta()["scale"] == "region"
        for level in Level:
            for days in ("30d", "2025-11-29..2026-11-28", "2025-06-01..2026-11-28"):
                assert_agree(store, level, window_of(days, AS_OF))
            assert_agree(store, level, window_of("90d", AS_OF), "noise")


@pytest.mark.parametrize("kind", STORE_KINDS)
def test_a_part_that_cannot_be_written_leaves_the_store_as_it_was(
    kind, request, parts: list[CityData]
) -> None:
    with storekit.fresh_store(kind, request) as store:
        store.write_city(parts[0])
        before = (store.counts(), store.meta(), store.revision())
        with pytest.raises(StoreError, match="city not written"):
            store.write_parts([parts[1], parts[1]])  # the same areas and ids twice
        assert (store.counts(), store.meta(), store.revision()) == before


@pytest.mark.parametrize("kind", STORE_KINDS)
def test_no_parts_at_all_is_refused(kind, request, parts: list[CityData]) -> None:
    with storekit.fresh_store(kind, request) as store:
        store.write_city(parts[0])
        before = store.counts()
        with pytest.raises(StoreError, match="no city to write"):
            store.write_parts([])
        assert store.counts() == before
