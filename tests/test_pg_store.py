"""What only the PostGIS store has to get right: a dropped connection, writers on several
processes, the address it names, GiST indexes."""

from __future__ import annotations

import datetime as dt
import threading

import pandas as pd
import psycopg
import pytest

from geodata import transfer
from geodata.backends import open_store
from geodata.model import LOCAL_TZ, Level
from geodata.store import StoreError, Window
from tests import storekit
from tests import tiny_city as tc

END = dt.datetime(2026, 11, 29, tzinfo=LOCAL_TZ)
WINDOW = Window(END - dt.timedelta(days=30), END)  # midnight to midnight: from the rollups


@pytest.fixture
def url(pg_url: str):
    with storekit.pg_schema(pg_url) as address:
        with open_store(address, create=True) as store:
            store.write_city(tc.build())
        yield address


def _drop_connections(url: str) -> int:
    """End every other session on the store's database, as a server restart does."""
    with psycopg.connect(url, autocommit=True) as con:
        rows = con.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
            " WHERE datname = current_database() AND pid <> pg_backend_pid()"
        ).fetchall()
    return len(rows)


def test_reads_go_on_after_the_server_dropped_the_connection(url: str) -> None:
    with open_store(url) as store:
        before = store.counts()
        assert _drop_connections(url) >= 1
        assert store.counts() == before  # connected again, no error
        assert store.area(tc.XINTIANDI)["name"] == "东方新天地"


def test_writes_go_on_after_the_server_dropped_the_connection(url: str) -> None:
    with open_store(url) as store:
        revision = store.revision()
        _drop_connections(url)
        rows = [tc.case_row("D1", "noise", 500, 110, tc.local(0, 9), "reported")]
        assert store.add_cases(pd.DataFrame(rows)) == 1
        assert store.revision() != revision
        assert store.existing_ids("cases", ["D1"]) == {"D1"}


def test_writers_in_two_openings_take_turns_and_lose_nothing(url: str) -> None:
    """Two app processes (here: two openings) writing at once: every case arrives, the
    rollups count each once, the revision moves once per write."""
    stores = [open_store(url), open_store(url)]
    start = int(stores[0].meta()["revision"])
    errors: list[BaseException] = []

    def write(worker: int) -> None:
        try:
            for i in range(5):
                row = tc.case_row(f"W{worker}x{i}", "noise", 500, 110, tc.local(0, 9), "reported")
                stores[worker % 2].add_cases(pd.DataFrame([row]))
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=write, args=(w,)) for w in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    try:
        assert errors == []
        store = stores[0]
        assert int(store.meta()["revision"]) == start + 20
        assert store.counts()["cases"] == len(tc.cases()) + 20
        assert store.metrics(Level.GRID, WINDOW).equals(store.raw_metrics(Level.GRID, WINDOW))
    finally:
        for opened in stores:
            opened.close()


def test_the_address_is_named_without_its_password(pg_url: str) -> None:
    with pytest.raises(StoreError) as caught:
        open_store("postgresql://gb:s3cret@127.0.0.1:1/gridboard")
    assert "postgresql://gb@127.0.0.1:1/gridboard: cannot connect" in str(caught.value)
    assert "s3cret" not in str(caught.value)
    with storekit.pg_schema(pg_url) as empty, pytest.raises(StoreError, match="not a gridboard"):
        open_store(empty)


def test_area_shapes_have_gist_indexes(url: str) -> None:
    with psycopg.connect(url) as con:
        found = con.execute(
            "SELECT tablename FROM pg_indexes WHERE schemaname = current_schema()"
            " AND indexdef LIKE '%USING gist (geom)%'"
        ).fetchall()
    assert {t for (t,) in found} == {
        "streets",
        "communities",
        "compounds",
        "grid_cells",
        "buildings",
        "roads",
    }


@pytest.mark.parametrize("write", ["city", "migrate"])
def test_a_whole_store_write_is_vacuumed(pg_url: str, write: str, tmp_path) -> None:
    """A table written in bulk has no visibility map until VACUUM: without it, every
    index-only scan (the list of areas of each metric) reads the table as well."""
    with storekit.pg_schema(pg_url) as address, open_store(address, create=True) as store:
        if write == "city":
            store.write_city(tc.build())
        else:
            with open_store(tmp_path / "source.gpkg", create=True) as source:
                source.write_city(tc.build())
                transfer.copy_store(source, store)
        with psycopg.connect(address) as con:
            visible = con.execute(
                "SELECT relname, relallvisible FROM pg_class WHERE relname IN"
                " ('grid_cells', 'cases', 'rollups')"
                " AND relnamespace = current_schema()::regnamespace"
            ).fetchall()
        assert len(visible) == 3 and all(pages > 0 for _, pages in visible), visible
