"""The store's accounts part through a real file: users, sessions, displays, audit, upgrade."""

from __future__ import annotations

import contextlib
import datetime as dt
import sqlite3
import threading
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor

import psycopg
import pytest

from geodata.accounts import (
    GENESIS,
    AccountError,
    AuditEntry,
    Display,
    Grant,
    Session,
    User,
    entry_hash,
    first_broken,
)
from geodata.gpkg.schema import ACCOUNT_TABLES, DATA_TABLES, SCHEMA_VERSION
from geodata.model import LOCAL_TZ, Level
from geodata.store import StoreError, Window
from tests import storekit
from tests import tiny_city as tc

T0 = dt.datetime(2026, 11, 28, 9, 30, tzinfo=dt.UTC)
END = dt.datetime(2026, 11, 29, tzinfo=LOCAL_TZ)
WINDOW = Window(END - dt.timedelta(days=30), END)  # midnight to midnight: from the rollups
STREET = tc.STREET


def _user(login: str = "wang", **changes) -> User:
    fields = {
        "login": login,
        "name": "王主管",
        "grants": (Grant("street", STREET),),
        "password_hash": "$argon2id$v=19$m=65536,t=3,p=4$c2FsdA$aGFzaA",
        "created_at": T0,
    }
    return User(**{**fields, **changes})


def _session(key: str, login: str = "wang", kind: str = "user") -> Session:
    return Session(key, kind, login, "csrf-" + key, T0, T0)


# What the database itself answers to a statement past the store (file or server in hand).
DB_ERRORS = (sqlite3.DatabaseError, psycopg.Error)
VERSION_SQL = "SELECT value FROM gridboard_meta WHERE key = 'schema_version'"


@pytest.fixture
def store(store_factory):
    return store_factory(create=True)


# --- users -----------------------------------------------------------------------------------
def test_a_user_reads_back_with_grants_in_role_order(store):
    grants = (Grant("grid_worker"), Grant("street", "370832002"), Grant("street", STREET))
    local = dt.datetime(2026, 11, 28, 17, 30, tzinfo=LOCAL_TZ)
    store.add_user(_user(grants=grants, person_id="P1", created_at=local))
    user = store.user("wang")
    assert user.grants == (
        Grant("street", STREET),
        Grant("street", "370832002"),
        Grant("grid_worker"),
    )
    assert user.roles == ("street", "grid_worker")
    assert user.person_id == "P1" and user.must_change and not user.disabled
    assert user.failed_logins == 0 and user.locked_until is None
    assert user.created_at == local and user.created_at.tzinfo == dt.UTC
    assert user.password_hash == _user().password_hash
    assert store.user("nobody") is None


def test_users_are_listed_by_login(store):
    store.add_user(_user("zhao", grants=()))
    store.add_user(_user("admin", grants=(Grant("admin"),), created_at=None))
    store.add_user(_user("li", grants=(Grant("city"), Grant("admin"))))
    users = store.users()
    assert [u.login for u in users] == ["admin", "li", "zhao"]
    assert [u.roles for u in users] == [("admin",), ("city", "admin"), ()]
    assert users[0].created_at.tzinfo == dt.UTC  # given none: the time it was added


def test_times_are_kept_as_iso_utc_text(store, store_factory):
    store.add_user(_user(locked_until=T0 + dt.timedelta(minutes=15)))
    row = store_factory.raw("SELECT created_at, locked_until FROM users")[0]
    assert row == ("2026-11-28T09:30:00.000000+00:00", "2026-11-28T09:45:00.000000+00:00")


def test_a_duplicate_login_is_refused(store):
    store.add_user(_user())
    with pytest.raises(AccountError, match="'wang' exists already"):
        store.add_user(_user(name="另一个"))
    assert store.user("wang").name == "王主管"


@pytest.mark.parametrize("login", ["", " wang", "display:lobby", "-"])
def test_logins_that_would_read_wrong_in_the_audit_trail_are_refused(store, login):
    with pytest.raises(AccountError, match="login"):
        store.add_user(_user(login))
    assert store.users() == []


@pytest.mark.parametrize(
    ("grant", "message"),
    [
        (Grant("city", STREET), "role city takes no scope"),
        (Grant("admin", "x"), "role admin takes no scope"),
        (Grant("street"), r"role street needs a scope \(a street\)"),
        (Grant("property", ""), r"role property needs a scope \(a organisation\)"),
    ],
)
def test_grants_with_a_wrong_scope_are_refused(store, grant, message):
    with pytest.raises(AccountError, match=message):
        store.add_user(_user(grants=(grant,)))
    store.add_user(_user())
    with pytest.raises(AccountError, match="'wang': " + message):
        store.set_grants("wang", [grant])
    assert store.user("wang").grants == (Grant("street", STREET),)


def test_a_time_without_a_timezone_is_refused(store):
    with pytest.raises(ValueError, match="created_at must be a timezone-aware datetime"):
        store.add_user(_user(created_at=dt.datetime(2026, 11, 28, 9, 30)))
    with pytest.raises(ValueError, match="at must be a timezone-aware"):
        store.audit(dt.datetime(2026, 11, 28), "-", "cli", "login", "wang", "failed")


@pytest.mark.parametrize(
    "change",
    [
        lambda s: s.set_password("ghost", "h", must_change=False),
        lambda s: s.set_disabled("ghost", True),
        lambda s: s.set_grants("ghost", [Grant("city")]),
        lambda s: s.login_failed("ghost", T0, None),
        lambda s: s.login_succeeded("ghost"),
    ],
)
def test_changes_to_an_unknown_login_name_it(store, change):
    with pytest.raises(AccountError, match="no account named 'ghost'"):
        change(store)
    assert store.users() == []


def test_password_disable_and_grants_end_that_users_sessions_only(store):
    store.add_user(_user())
    store.add_user(_user("li"))

    def sign_in(key: str) -> None:
        store.add_session(_session(key))

    store.add_session(_session("li-1", "li"))
    store.add_session(_session("wall-1", "wang", kind="display"))  # a display named wang
    sign_in("a")
    store.set_password("wang", "new-hash", must_change=False)
    assert store.session("a") is None
    user = store.user("wang")
    assert user.password_hash == "new-hash" and not user.must_change
    sign_in("b")
    store.set_disabled("wang", True)
    assert store.session("b") is None and store.user("wang").disabled
    store.set_disabled("wang", False)
    sign_in("c")
    store.set_disabled("wang", False)  # enabling ends nothing
    assert store.session("c") is not None and not store.user("wang").disabled
    store.set_grants("wang", [Grant("community", tc.YUNHE), Grant("city")])
    assert store.session("c") is None
    assert store.user("wang").grants == (Grant("city"), Grant("community", tc.YUNHE))
    assert store.session("li-1") is not None and store.session("wall-1") is not None


def test_a_lock_is_decided_with_the_count_in_one_write(store):
    """Wrong passwords arriving at once, each lock-from-5: the account locks at the fifth,
    whatever the callers read before (8 threads, 10 wrong passwords)."""
    store.add_user(_user())
    lock = T0 + dt.timedelta(minutes=15)
    assert [store.login_failed("wang", T0, lock, lock_from=3) for _ in range(2)] == [1, 2]
    assert store.user("wang").locked_until is None
    assert store.login_failed("wang", T0, lock, lock_from=3) == 3
    assert store.user("wang").locked_until == lock
    store.login_succeeded("wang")
    with ThreadPoolExecutor(8) as pool:
        counts = sorted(pool.map(lambda _: store.login_failed("wang", T0, lock, 5), range(10)))
    assert counts == list(range(1, 11)) and store.user("wang").locked_until == lock


def test_failed_logins_count_and_lock_until_a_good_one_or_a_new_password(store):
    store.add_user(_user())
    assert [store.login_failed("wang", T0, None) for _ in range(4)] == [1, 2, 3, 4]
    assert store.user("wang").locked_until is None
    lock = T0 + dt.timedelta(minutes=15)
    assert store.login_failed("wang", T0, lock) == 5
    assert store.login_failed("wang", T0, None) == 6  # a lock given once stays
    user = store.user("wang")
    assert user.failed_logins == 6 and user.locked_until == lock
    store.login_succeeded("wang")
    user = store.user("wang")
    assert user.failed_logins == 0 and user.locked_until is None
    store.login_failed("wang", T0, lock)
    store.set_password("wang", "h2", must_change=True)
    user = store.user("wang")
    assert user.failed_logins == 0 and user.locked_until is None and user.must_change


# --- sessions --------------------------------------------------------------------------------
def test_sessions_are_kept_touched_and_ended(store):
    store.add_session(_session("k1"))
    store.add_session(_session("k2"))
    store.add_session(_session("k3", "li"))
    assert store.session("k1") == _session("k1")
    later = dt.datetime(2026, 11, 28, 20, 0, 1, 250, tzinfo=LOCAL_TZ)
    store.touch_session("k1", later)
    touched = store.session("k1")
    assert touched.seen_at == later and touched.seen_at.tzinfo == dt.UTC
    assert touched.created_at == T0
    store.touch_session("gone", later)  # a session ended meanwhile: nothing to do
    store.end_session("k1")
    assert store.session("k1") is None
    assert store.end_sessions("user", "wang") == 1
    assert store.end_sessions("user", "wang") == 0
    assert store.session("k3") is not None


def test_bad_sessions_are_refused(store):
    store.add_session(_session("k1"))
    with pytest.raises(AccountError, match="session with key 'k1' exists"):
        store.add_session(_session("k1", "li"))
    with pytest.raises(AccountError, match="unknown session kind 'robot'"):
        store.add_session(_session("k2", kind="robot"))
    with pytest.raises(AccountError, match="unknown session kind 'robot'"):
        store.end_sessions("robot", "wang")
    assert store.session("k1").login == "wang" and store.session("k2") is None


# --- wall displays ---------------------------------------------------------------------------
def test_displays_are_found_by_token_until_revoked(store):
    lobby = Display("lobby", STREET, T0)
    store.add_display(lobby, "t" * 64)
    store.add_display(Display("hall", None, T0), "u" * 64)
    assert store.display_for("t" * 64) == lobby
    assert store.display_for("nothing") is None
    store.add_session(_session("w1", "lobby", kind="display"))
    store.add_session(_session("u1", "lobby"))  # a user called lobby keeps hers
    store.revoke_display("lobby")
    assert store.display_for("t" * 64) is None
    assert store.session("w1") is None and store.session("u1") is not None
    assert store.displays() == [Display("hall", None, T0), Display("lobby", STREET, T0, True)]


def test_bad_displays_are_refused(store):
    store.add_display(Display("lobby", None, T0), "t" * 64)
    with pytest.raises(AccountError, match="display 'lobby' exists already"):
        store.add_display(Display("lobby", STREET, T0), "x" * 64)
    with pytest.raises(AccountError, match="display 'hall': its token is another display's"):
        store.add_display(Display("hall", None, T0), "t" * 64)
    with pytest.raises(AccountError, match="display name ''"):
        store.add_display(Display("", None, T0), "y" * 64)
    with pytest.raises(AccountError, match="no display named 'hall'"):
        store.revoke_display("hall")
    assert [d.name for d in store.displays()] == ["lobby"]


# --- people an account links to -------------------------------------------------------------
def test_persons_and_organisations(store):
    assert store.person("P1") is None and store.organisation("ORG-PM-0001") is None
    store.write_city(tc.build())
    assert store.person("P1") == {"id": "P1", "name": "王建国", "phone": "13800000001"}
    assert store.organisation("ORG-PM-0001") == {
        "id": "ORG-PM-0001",
        "kind": "property_company",
        "name": "济宁运河物业服务有限公司",
        "area_code": None,
    }
    assert store.organisation("ORG-COM-" + tc.YUNHE)["area_code"] == tc.YUNHE
    assert store.person("P99") is None and store.organisation("nope") is None


# --- the revision ----------------------------------------------------------------------------
def test_account_and_audit_writes_leave_the_revision_alone(store):
    store.write_city(tc.build())
    before = store.revision()
    store.add_user(_user())
    store.set_password("wang", "h2", must_change=False)
    store.set_grants("wang", [Grant("city")])
    store.set_disabled("wang", True)
    store.login_failed("wang", T0, T0)
    store.login_succeeded("wang")
    store.add_session(_session("k"))
    store.touch_session("k", T0)
    store.end_session("k")
    store.end_sessions("user", "wang")
    store.add_display(Display("lobby", None, T0), "t" * 64)
    store.revoke_display("lobby")
    store.audit(T0, "wang", "127.0.0.1", "login", "wang", "ok")
    assert store.revision() == before
    assert set(store.counts()) == set(DATA_TABLES)
    assert not set(ACCOUNT_TABLES) & set(DATA_TABLES)


# --- the audit trail -------------------------------------------------------------------------
def _fill(store, n: int = 3) -> list:
    return [
        store.audit(T0 + dt.timedelta(minutes=i), f"u{i % 2}", "10.0.0.1", "panel", f"C{i}", "ok")
        for i in range(n)
    ]


def test_audit_entries_are_chained_and_read_back_oldest_first(store):
    assert store.audit_head() is None and store.audit_entries() == []
    local = dt.datetime(2026, 11, 28, 17, 30, 0, 5, tzinfo=LOCAL_TZ)
    first = store.audit(local, "-", "cli", "login_failed", "王", "failed")
    assert first.seq == 1 and first.prev == GENESIS and first.at == local
    # the hash is over the time in UTC, as it reads back
    utc = local.astimezone(dt.UTC)
    assert first.hash == entry_hash(GENESIS, 1, utc, "-", "cli", "login_failed", "王", "failed")
    second = store.audit(T0, "display:lobby", "10.0.0.2", "wall", STREET, "ok")
    assert second.prev == first.hash
    assert store.audit_entries() == [first, second]
    assert store.audit_head() == (2, second.hash)
    assert first_broken(store.audit_entries(), store.audit_head()) is None


@pytest.mark.parametrize("store_factory", ["pg"], indirect=True)
def test_an_account_write_whose_connection_is_lost_before_commit_is_made_again(store, monkeypatch):
    """The database ends the connection in the middle of an audit entry and of a session
    (as a restart does): each is written once, on a new connection, and the chain holds."""
    from geodata.gpkg import accounts as account_store

    store.add_user(_user())
    lost: list[str] = []

    def dropping(write):
        def once(con, *args):
            if len(lost) < 2 and write.__name__ not in lost:
                lost.append(write.__name__)
                con.execute("SELECT pg_terminate_backend(pg_backend_pid())")
            return write(con, *args)

        return once

    monkeypatch.setattr(account_store, "append_audit", dropping(account_store.append_audit))
    entry = store.audit(T0, "wang", "10.0.0.2", "personal_data", "case_table: C1", "ok")
    monkeypatch.setattr(account_store, "_update_user", dropping(account_store._update_user))
    store.login_succeeded("wang")
    assert lost == ["append_audit", "_update_user"]  # each connection really was ended
    assert store.audit_entries() == [entry] and entry.seq == 1
    assert first_broken(store.audit_entries(), store.audit_head()) is None
    assert store.user("wang").failed_logins == 0


@pytest.mark.parametrize("store_factory", ["gpkg"], indirect=True)
def test_a_file_store_has_no_connection_to_lose(store, monkeypatch):
    """On a GeoPackage an account write that fails is not made again: it fails once."""
    from geodata.gpkg import accounts as account_store

    calls = []

    def failing(con, *args):
        calls.append(1)
        raise sqlite3.OperationalError("disk I/O error")

    monkeypatch.setattr(account_store, "append_audit", failing)
    with pytest.raises(StoreError, match="audit entry not written"):
        store.audit(T0, "wang", "10.0.0.2", "wall", STREET, "ok")
    assert calls == [1]


def test_audit_entries_by_time_actor_and_newest_few(store):
    entries = _fill(store, 6)
    assert store.audit_entries(since=T0 + dt.timedelta(minutes=3)) == entries[3:]
    at_3_local = (T0 + dt.timedelta(minutes=3)).astimezone(LOCAL_TZ)
    assert store.audit_entries(since=at_3_local) == entries[3:]
    assert store.audit_entries(actor="u1") == entries[1::2]
    assert store.audit_entries(limit=2) == entries[4:]
    assert store.audit_entries(actor="u0", limit=2) == [entries[2], entries[4]]
    assert store.audit_entries(limit=0) == []
    with pytest.raises(ValueError, match="limit must be 0 or more"):
        store.audit_entries(limit=-1)


def test_audit_fields_must_be_text(store):
    with pytest.raises(ValueError, match="target must be text, not int"):
        store.audit(T0, "wang", "cli", "login", 7, "ok")
    assert store.audit_entries() == []


def test_the_file_refuses_changes_to_the_audit_trail(store, store_factory):
    _fill(store)
    with pytest.raises(DB_ERRORS, match="the audit trail cannot be changed"):
        store_factory.raw("UPDATE audit SET outcome = 'refused' WHERE seq = 2")
    with pytest.raises(DB_ERRORS, match="the audit trail cannot be changed"):
        store_factory.raw("DELETE FROM audit WHERE seq = 3")
    assert len(store.audit_entries()) == 3


def test_a_changed_entry_is_found(store, store_factory):
    _fill(store)
    _lift_audit_guard(store_factory, "update")
    store_factory.raw("UPDATE audit SET target = 'C9' WHERE seq = 2")
    assert first_broken(store.audit_entries(), store.audit_head()) == (
        "entry 2 was changed after it was written"
    )


def test_a_garbled_head_is_named(store, store_factory):
    _fill(store, 1)
    store_factory.raw("UPDATE gridboard_meta SET value = 'garbage' WHERE key = 'audit_head'")
    with pytest.raises(StoreError, match="audit_head 'garbage' is not 'seq:hash'"):
        store.audit_head()
    with pytest.raises(StoreError, match="audit_head 'garbage'"):
        store.audit(T0, "wang", "cli", "login", "wang", "ok")
    assert len(store.audit_entries()) == 1


def test_a_deleted_last_entry_is_found_and_stays_found(store, store_factory):
    entries = _fill(store)
    _lift_audit_guard(store_factory, "delete")
    store_factory.raw("DELETE FROM audit WHERE seq = 3")
    assert first_broken(store.audit_entries(), store.audit_head()) == (
        "entries after 2 were deleted (the trail ended at 3)"
    )
    # the next entry goes on from the recorded head: the gap does not close over
    fourth = store.audit(T0, "wang", "cli", "login", "wang", "ok")
    assert fourth.seq == 4 and fourth.prev == entries[2].hash
    assert first_broken(store.audit_entries(), store.audit_head()) == (
        "entry 3 is missing (found 4 after it)"
    )


def _lift_audit_guard(factory, change: str) -> None:
    """What someone with the file or the database in hand can do: let `change` through."""
    if factory.kind == "gpkg":
        factory.raw(f"DROP TRIGGER audit_no_{change}")
    else:
        factory.raw("ALTER TABLE audit DISABLE TRIGGER audit_unchangeable")


def _append_at_once(stores: list, threads: int, each: int) -> list[AuditEntry]:
    """`threads` threads, taking the stores in turn, each appending `each` entries."""
    errors: list[BaseException] = []

    def append(worker: int) -> None:
        try:
            for i in range(each):
                stores[worker % len(stores)].audit(
                    T0, f"w{worker}", "10.0.0.1", "panel", str(i), "ok"
                )
        except BaseException as exc:
            errors.append(exc)

    running = [threading.Thread(target=append, args=(w,)) for w in range(threads)]
    for thread in running:
        thread.start()
    for thread in running:
        thread.join()
    assert errors == []
    return stores[0].audit_entries()


def test_entries_appended_from_many_threads_form_one_chain(store):
    entries = _append_at_once([store], threads=8, each=50)
    assert [e.seq for e in entries] == list(range(1, 401))
    assert {e.actor for e in entries} == {f"w{w}" for w in range(8)}
    assert store.audit_head() == (400, entries[-1].hash)
    assert first_broken(entries, store.audit_head()) is None


def test_entries_appended_through_two_openings_form_one_chain(store, store_factory):
    # Two openings of the file share no lock but SQLite's, as two processes would.
    entries = _append_at_once([store, store_factory()], threads=4, each=25)
    assert [e.seq for e in entries] == list(range(1, 101))
    assert first_broken(entries, store.audit_head()) is None


# --- reopening, write_city, upgrading ------------------------------------------------------
def _some_of_everything(store) -> None:
    store.add_user(_user(grants=(Grant("street", STREET), Grant("admin"))))
    store.add_session(_session("k1"))
    store.add_display(Display("lobby", STREET, T0), "t" * 64)
    _fill(store)


def _everything(store) -> tuple:
    return (
        store.users(),
        store.session("k1"),
        store.displays(),
        store.audit_entries(),
        store.audit_head(),
    )


def test_reopening_keeps_everything(store, store_factory):
    _some_of_everything(store)
    kept = _everything(store)
    store.close()
    assert _everything(store_factory(readonly=True)) == kept
    assert _everything(store_factory()) == kept


def test_writing_a_city_keeps_accounts_and_the_audit_trail(store):
    store.write_city(tc.build())
    _some_of_everything(store)
    kept = _everything(store)
    store.write_city(tc.build())
    assert _everything(store) == kept
    assert first_broken(store.audit_entries(), store.audit_head()) is None
    assert store.counts()["streets"] == 1


def _make_v1(factory) -> None:
    """Turn a store back into a schema-version-1 one, as gridboard before accounts made (in
    PostGIS, version 1 had no rollups either: migration 2 brings them)."""
    storekit.downgrade_to_v2(factory)
    tables = ["users", "user_grants", "sessions", "displays", "audit"]
    if factory.kind == "pg":
        tables += ["rollups", "rollup_codes"]
        factory.raw("DROP FUNCTION gridboard_audit_unchangeable CASCADE")
        factory.raw("DELETE FROM gridboard_meta WHERE key = 'rollups'")
    for table in tables:
        factory.raw(f"DROP TABLE {table}")
    if factory.kind == "gpkg":
        factory.raw(
            "DELETE FROM gpkg_contents WHERE table_name IN"
            " ('users', 'user_grants', 'sessions', 'displays', 'audit')"
        )
    factory.raw("UPDATE gridboard_meta SET value = '1' WHERE key = 'schema_version'")
    factory.raw("DELETE FROM gridboard_meta WHERE key = 'audit_head'")


def test_a_version_1_store_is_read_as_before_when_opened_read_only(store, store_factory):
    store.write_city(tc.build())
    revision = store.revision()
    store.close()
    _make_v1(store_factory)
    old = store_factory(readonly=True)
    assert old.meta()["schema_version"] == "1" and old.revision() == revision
    assert old.counts()["streets"] == 1 and old.person("P1")["name"] == "王建国"
    assert old.users() == [] and old.user("wang") is None and old.session("k") is None
    assert old.displays() == [] and old.display_for("t" * 64) is None
    assert old.audit_entries() == [] and old.audit_head() is None
    with pytest.raises(StoreError, match="open it writable once to upgrade"):
        old.add_user(_user())
    with pytest.raises(StoreError, match="open it writable once to upgrade"):
        old.audit(T0, "-", "cli", "login", "wang", "failed")
    old.close()
    assert store_factory.raw(VERSION_SQL) == [("1",)]


def test_a_version_1_store_is_upgraded_in_place_when_opened_writable(store, store_factory):
    store.write_city(tc.build())
    revision = store.revision()
    store.close()
    _make_v1(store_factory)
    upgraded = store_factory()
    assert upgraded.meta()["schema_version"] == SCHEMA_VERSION and upgraded.revision() == revision
    assert upgraded.counts()["cases"] == len(tc.cases())
    upgraded.add_user(_user())
    upgraded.audit(T0, "wang", "cli", "login", "wang", "ok")
    with pytest.raises(DB_ERRORS, match="the audit trail cannot be changed"):
        store_factory.raw("DELETE FROM audit")
    if store_factory.kind == "gpkg":  # registered where GIS tools look for tables
        contents = {row[0] for row in store_factory.raw("SELECT table_name FROM gpkg_contents")}
        assert set(ACCOUNT_TABLES) <= contents
    assert upgraded.metrics(Level.GRID, WINDOW).equals(upgraded.raw_metrics(Level.GRID, WINDOW))
    upgraded.close()
    again = store_factory(readonly=True)
    assert again.user("wang") is not None and again.audit_head()[0] == 1


@pytest.mark.parametrize("version", ["6", "0"])
@pytest.mark.parametrize("readonly", [False, True])
def test_a_store_of_an_unknown_version_is_refused(store, store_factory, version, readonly):
    store.close()
    store_factory.raw(
        "UPDATE gridboard_meta SET value = ? WHERE key = 'schema_version'", (version,)
    )
    with pytest.raises(
        StoreError, match=f"store schema version {version}, this gridboard reads {SCHEMA_VERSION}"
    ):
        store_factory(readonly=readonly)
    assert store_factory.raw(VERSION_SQL) == [(version,)]


@contextlib.contextmanager
def writer_holding_sessions(factory: storekit.StoreFactory) -> Iterator[threading.Event]:
    """Another connection holding the write lock on the sessions (the whole file, for a
    GeoPackage) until the block ends, or for at most 30 s; the event is set once it let go."""
    let_go, done = threading.Event(), threading.Event()
    if factory.kind == "gpkg":
        con = sqlite3.connect(factory.location, check_same_thread=False)
        con.execute("BEGIN IMMEDIATE")
    else:
        con = psycopg.connect(str(factory.location))
        con.execute("LOCK TABLE sessions IN EXCLUSIVE MODE")  # readers pass, writers wait

    def hold() -> None:
        done.wait(30)
        con.rollback()
        let_go.set()

    holder = threading.Thread(target=hold)
    holder.start()
    try:
        yield let_go
    finally:
        done.set()
        holder.join()
        con.close()


def test_a_sweep_that_finds_nothing_idle_does_not_wait_for_other_writers(store, store_factory):
    store.add_user(_user())
    store.add_session(Session("k-new", "user", "wang", "c2", T0, T0))
    with writer_holding_sessions(store_factory) as let_go:
        assert store.end_idle_sessions(T0 - dt.timedelta(hours=8)) == 0
        assert not let_go.is_set()  # answered while the other writer still held its lock
    assert store.session("k-new") is not None


def test_idle_sessions_are_swept(store):
    store.add_user(_user())
    old, new = T0 - dt.timedelta(hours=9), T0
    store.add_session(Session("k-old", "user", "wang", "c1", old, old))
    store.add_session(Session("k-new", "user", "wang", "c2", new, new))
    assert store.end_idle_sessions(T0 - dt.timedelta(hours=8)) == 1
    assert store.session("k-old") is None and store.session("k-new") is not None
