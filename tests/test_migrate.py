"""`gridboard migrate`: a store to PostGIS and back, the same digest; targets never half-written."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from geodata import transfer
from geodata.accounts import Grant, User
from geodata.backends import open_store
from geodata.model import LOCAL_TZ, Level
from geodata.store import Window
from tests import storekit
from tests import tiny_city as tc
from tests.test_cli import assert_one_line_error, gridboard

T0 = dt.datetime(2026, 11, 28, 9, 30, tzinfo=dt.UTC)
END = dt.datetime(2026, 11, 29, tzinfo=LOCAL_TZ)
WINDOW = Window(END - dt.timedelta(days=30), END)


def _digest(location: str | Path) -> str:
    with open_store(location, readonly=True) as store:
        return transfer.digest(store.sql_connection())


@pytest.fixture
def source(tmp_path: Path) -> Path:
    """The tiny city with an account, a session and an audit trail of two entries."""
    path = tmp_path / "source.gpkg"
    with open_store(path, create=True) as store:
        store.write_city(tc.build())
        store.add_user(User("wang", "王建国", (Grant("admin", ""),), "hash", created_at=T0))
        store.audit(T0, "wang", "cli", "login", "wang", "ok")
        store.audit(T0, "wang", "10.0.0.1", "panel", tc.XINTIANDI, "ok")
        _worked_with_a_photo(store)
        _households_visited(store)
    return path


def _households_visited(store) -> None:
    """Two tagged households, a visit that reached one of them, a rule of the city's own."""
    import pandas as pd

    from tests.test_households import B1, tagged, visit

    store.write_households(tagged())
    store.add_visits(pd.DataFrame([visit("W1", B1, 2, household_ids=["H2"], checkin_m=30.0)]))
    store.set_visit_rules({"living_alone": 14})


def _worked_with_a_photo(store) -> None:
    """Case N1 worked to resolved, its resolve bringing a photo (bytes in the store)."""
    import pandas as pd

    from geodata.casework import Action, Request
    from geodata.photos import clean_photo
    from tests.test_case_work import DESK, NEW, WORKER
    from tests.test_photos import jpeg

    store.add_cases(pd.DataFrame([NEW]))
    steps = [
        (Request(Action.REGISTER), DESK),
        (Request(Action.DISPATCH, org_id="O1", person_id="P1"), DESK),
        (Request(Action.ACCEPT), WORKER),
    ]
    for version, (request, actor) in enumerate(steps):
        store.act("N1", request, actor, version, T0)
    photo = clean_photo(jpeg((400, 300)))
    store.act("N1", Request(Action.RESOLVE, note="好"), WORKER, 3, T0, "-", photo)


def tc_buildings() -> list[str]:
    return list(tc.build().buildings["id"])


@pytest.fixture
def pg_target(pg_url: str):
    with storekit.pg_schema(pg_url) as url:
        yield url


def test_a_round_trip_through_postgis_keeps_the_digest_and_every_answer(
    source: Path, pg_target: str, tmp_path: Path
) -> None:
    there = gridboard("migrate", "--from", source, "--to", pg_target)
    assert there.returncode == 0, there.stderr
    assert "digest checked" in there.stdout
    back = tmp_path / "back.gpkg"
    again = gridboard("migrate", "--from", pg_target, "--to", back)
    assert again.returncode == 0, again.stderr
    assert _digest(source) == _digest(pg_target) == _digest(back)
    with (
        open_store(source, readonly=True) as a,
        open_store(pg_target, readonly=True) as b,
        open_store(back, readonly=True) as c,
    ):
        assert a.counts() == b.counts() == c.counts()
        for store in (b, c):
            assert store.metrics(Level.GRID, WINDOW).equals(a.metrics(Level.GRID, WINDOW))
            assert store.audit_entries() == a.audit_entries()
            assert store.audit_head() == a.audit_head()
            assert store.user("wang") == a.user("wang")
            assert store.areas(Level.COMPOUND).geometry.equals(a.areas(Level.COMPOUND).geometry)
            assert (
                store.visit_rules() == a.visit_rules() and store.visit_rules()["living_alone"] == 14
            )
            kept = store.households(building_ids=tc_buildings(), visited_until=tc.AS_OF)
            assert kept.equals(a.households(building_ids=tc_buildings(), visited_until=tc.AS_OF))
            assert kept.set_index("id").loc["H2", "last_visit"] is not None
            (photo,) = store.case_photos("N1")
            assert photo == a.case_photos("N1")[0]
            assert store.case_photo(photo["id"]) == a.case_photo(photo["id"])


def test_a_store_that_holds_anything_is_replaced_only_when_asked(
    source: Path, pg_target: str, tmp_path: Path
) -> None:
    with open_store(pg_target, create=True) as other:
        other.audit(T0, "li", "cli", "login", "li", "ok")
    before = _digest(pg_target)
    refused = gridboard("migrate", "--from", source, "--to", pg_target)
    assert_one_line_error(refused, "is not empty", "--replace")
    assert _digest(pg_target) == before
    replaced = gridboard("migrate", "--from", source, "--to", pg_target, "--replace")
    assert replaced.returncode == 0, replaced.stderr
    assert _digest(pg_target) == _digest(source)
    file_target = tmp_path / "backup.gpkg"
    assert gridboard("migrate", "--from", source, "--to", file_target).returncode == 0
    dump = storekit.file_dump(file_target)
    assert_one_line_error(
        gridboard("migrate", "--from", pg_target, "--to", file_target), "is not empty"
    )
    assert storekit.file_dump(file_target) == dump


def test_bad_places_are_named_and_nothing_is_written(source: Path, tmp_path: Path) -> None:
    assert_one_line_error(
        gridboard("migrate", "--from", tmp_path / "missing.gpkg", "--to", tmp_path / "x.gpkg"),
        "missing.gpkg",
        "no such file",
    )
    assert_one_line_error(gridboard("migrate", "--from", source, "--to", source), "the same store")
    notes = tmp_path / "notes.gpkg"
    notes.write_text("my notes")
    assert_one_line_error(
        gridboard("migrate", "--from", source, "--to", notes, "--replace"), "not a gridboard store"
    )
    assert notes.read_text() == "my notes"
    secret = "postgresql://gb:s3cret-pw@127.0.0.1:1/none"
    refused = gridboard("migrate", "--from", source, "--to", secret)
    assert_one_line_error(refused, "postgresql://gb@127.0.0.1:1/none", "cannot connect")
    assert "s3cret" not in refused.stderr
    assert sorted(p.name for p in tmp_path.iterdir()) == ["notes.gpkg", "source.gpkg"]


def test_a_demo_goes_straight_into_an_empty_database_only(
    pg_target: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)  # the accounts file of a database demo lands here
    args = ("demo", "--scale", "street", "--seed", "3", "--as-of", "2026-11-28", "--out")
    made = gridboard(*args, pg_target)
    assert made.returncode == 0, made.stderr
    name = pg_target.split("/")[-1].split("?")[0]
    accounts = (tmp_path / f"{name}.accounts.txt").read_text(encoding="utf-8")
    assert "grid_worker" in accounts
    with open_store(pg_target, readonly=True) as store:
        assert store.meta()["scale"] == "street" and store.counts()["cases"] > 0
        assert len(store.users()) == 6
    before = _digest(pg_target)
    assert_one_line_error(gridboard(*args, pg_target), "holds data", "empty store")
    assert _digest(pg_target) == before


def test_a_copy_keeps_an_identity_of_its_own(source: Path, pg_target: str) -> None:
    """Caches key on data_id and revision: a copy and its source never share a key."""
    assert gridboard("migrate", "--from", source, "--to", pg_target).returncode == 0
    with open_store(source, readonly=True) as a, open_store(pg_target, readonly=True) as b:
        assert a.meta()["data_id"] != b.meta()["data_id"]
        assert a.meta()["name"] == b.meta()["name"]


def test_column_names_in_a_source_file_never_become_sql(source: Path, pg_target: str) -> None:
    """A crafted column in the source is not copied (the copy goes by the target's own
    columns); the digests then differ, and nothing is written."""
    import sqlite3

    con = sqlite3.connect(source)
    with con:
        con.execute('ALTER TABLE persons ADD COLUMN "x); DROP TABLE cases; --" TEXT')
    con.close()
    with open_store(pg_target, create=True) as empty:
        before = _digest(pg_target)
        assert empty.counts()["cases"] == 0
    refused = gridboard("migrate", "--from", source, "--to", pg_target)
    assert_one_line_error(refused, "the copy differs", "nothing was written")
    assert _digest(pg_target) == before
    with open_store(pg_target, readonly=True) as store:
        assert store.counts()["cases"] == 0  # the cases table is there, untouched
