"""Shared fixtures: stores built from the tiny hand-made city and from the street-scale demo."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from pathlib import Path

import pandas as pd
import pytest

from geodata.backends import open_store
from geodata.store import Store
from tests import accounts_city, pgserver, storekit
from tests import tiny_city as tc

DEMO_SEED = 7
DEMO_AS_OF = dt.date(2026, 11, 28)

# Every store implementation runs the same suite.
STORE_KINDS = ["gpkg", "pg"]


@pytest.fixture(params=STORE_KINDS)
def store_factory(
    request: pytest.FixtureRequest, tmp_path: Path
) -> Iterator[storekit.StoreFactory]:
    """Opens (or creates) one store per test, a GeoPackage file or a PostGIS schema of its
    own; call it again to reopen the same store (tests/storekit.py)."""
    if request.param == "gpkg":
        factory = storekit.StoreFactory("gpkg", tmp_path / "store.gpkg")
        yield factory
        factory.close()
        return
    admin = request.getfixturevalue("pg_url")
    with storekit.pg_schema(admin) as url:
        factory = storekit.StoreFactory("pg", url)
        yield factory
        factory.close()


@pytest.fixture(scope="session")
def street_store_path(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A GeoPackage holding the street-scale demo, built once per test session."""
    from geodata.demo import build_demo

    path = tmp_path_factory.mktemp("street") / "street.gpkg"
    with open_store(path, create=True) as store:
        store.write_city(build_demo("street", seed=DEMO_SEED, as_of=DEMO_AS_OF))
    return path


@pytest.fixture(scope="module")
def street_store(street_store_path: Path) -> Iterator[Store]:
    """The street demo, opened read-only."""
    with open_store(street_store_path, readonly=True) as store:
        yield store


@pytest.fixture(scope="module")
def app(street_store: Store):
    """A dashboard app on the street demo."""
    from dashboard.app import create_app
    from dashboard.settings import Settings

    return create_app(Settings.from_env({}), street_store)


@pytest.fixture
def empty_store_path(tmp_path: Path) -> Path:
    path = tmp_path / "empty.gpkg"
    open_store(path, create=True).close()
    return path


@pytest.fixture(scope="session")
def tiny_routes(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Store]:
    """The tiny city plus P7, a grid worker with no cell (a role on a community), P8, the
    worker of 锦绣社区's east cell (no building, no case), and P2's visits to both buildings
    of the south cell three days before AS_OF: nothing due there after that day."""
    city = tc.build()
    people = [("P7", "孙丽", "13800000007"), ("P8", "周强", "13800000008")]
    city.persons = pd.concat([city.persons, pd.DataFrame(people, columns=city.persons.columns)])
    roles = [
        ("P7", "ORG-COM-" + tc.JINXIU, "grid_worker", "community", tc.JINXIU),
        ("P8", "ORG-COM-" + tc.JINXIU, "grid_worker", "grid", tc.JINXIU + "002"),
    ]
    city.roles = pd.concat([city.roles, pd.DataFrame(roles, columns=city.roles.columns)])
    path = tmp_path_factory.mktemp("tiny-routes") / "tiny.gpkg"
    with open_store(path, create=True) as store:
        store.write_city(city)
        day = tc.AS_OF - dt.timedelta(days=3)
        visits = pd.DataFrame(
            [
                ("V21", "P2", day, f"{tc.GARDEN}-03", 20, 0, 0),
                ("V22", "P2", day, f"{tc.GARDEN}-04", 20, 0, 0),
            ],
            columns=tc.visits().columns,
        )
        store.add_visits(visits)
    with open_store(path, readonly=True) as store:
        yield store


@pytest.fixture(scope="session")
def town(tmp_path_factory: pytest.TempPathFactory) -> accounts_city.Town:
    """Two streets, one account per role (password accounts_city.PASSWORD)."""
    return accounts_city.build(tmp_path_factory.mktemp("town"))


@pytest.fixture
def town_copy(town: accounts_city.Town, tmp_path: Path) -> Iterator[Store]:
    """A copy of the town of the test's own, opened writable: for tests that change it."""
    path = tmp_path / "town.gpkg"
    path.write_bytes(town.path.read_bytes())
    with open_store(path) as opened:
        yield opened


@pytest.fixture(scope="session")
def town_store(town: accounts_city.Town) -> Iterator[Store]:
    """The town, opened writable: signing in writes sessions and the audit trail."""
    with open_store(town.path) as store:
        yield store


@pytest.fixture(scope="session")
def pg_url() -> Iterator[str]:
    """A PostGIS database of this test run's own (tests/pgserver.py), dropped at the end."""
    import os

    with (
        pgserver.server() as admin,
        pgserver.database(admin, f"gridboard_test_{os.getpid()}") as url,
    ):
        yield url
