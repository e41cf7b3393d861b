"""`gridboard user|display|audit` and the demo's accounts, on real stores through the CLI."""

from __future__ import annotations

import datetime as dt
import io
import json
import os
import shutil
import sqlite3
import stat
from dataclasses import dataclass
from pathlib import Path

import pytest

from dashboard.cli import main
from dashboard.cli.users import cli_actor
from dashboard.passwords import token_digest, verify_password
from geodata.accounts import Grant
from geodata.backends import open_store
from geodata.model import Level, OrgKind, Role
from tests.conftest import DEMO_AS_OF

STRONG = "river-stone-harbour-42"


@dataclass(frozen=True)
class Codes:
    """Ids of the street demo that accounts can be scoped to or linked with."""

    street: str
    community: str
    community2: str
    grid: str
    company: str  # a property company's organisation id
    committee: str  # a community committee's organisation id
    worker: str  # a grid worker's person id
    not_worker: str  # a person who is no grid worker


@pytest.fixture(scope="module")
def codes(street_store) -> Codes:
    communities = sorted(street_store.areas(Level.COMMUNITY)["code"])
    compounds = street_store.areas(Level.COMPOUND)
    workers = street_store.grid_workers()
    worker = workers.dropna(subset=["grid_code"])["person_id"].iloc[0]
    committee_staff = [
        (m.person_id, r.org_id)
        for m in street_store.staff(communities[0])
        for r in m.roles
        if r.role == Role.SECRETARY
    ]
    person, committee = committee_staff[0]
    assert street_store.grid_workers(person).empty
    return Codes(
        street=street_store.areas(Level.STREET)["code"].iloc[0],
        community=communities[0],
        community2=communities[1],
        grid=sorted(street_store.areas(Level.GRID)["code"])[0],
        company=compounds["property_company_id"].dropna().iloc[0],
        committee=committee,
        worker=worker,
        not_worker=person,
    )


@pytest.fixture
def store_path(street_store_path: Path, tmp_path: Path) -> Path:
    path = tmp_path / "street.gpkg"
    shutil.copy(street_store_path, path)
    return path


def run(argv: list, capsys, monkeypatch, stdin: str | None = None) -> tuple[int, str, str]:
    """Run `gridboard argv` in this process: (exit code, stdout, stderr)."""
    if stdin is not None:
        monkeypatch.setattr("sys.stdin", io.StringIO(stdin))
    try:
        main([str(a) for a in argv])
        code = 0
    except SystemExit as exc:
        code = exc.code
    out = capsys.readouterr()
    return code, out.out, out.err


def assert_refused(result: tuple[int, str, str], *words: str) -> None:
    code, _, err = result
    assert code != 0
    lines = err.strip().splitlines()
    assert len(lines) == 1, err
    assert lines[0].startswith("gridboard: error:")
    for word in words:
        assert word in lines[0]


def audit_entries(path: Path) -> list:
    with open_store(path, readonly=True) as store:
        return store.audit_entries()


def one_time_password(out: str) -> str:
    lines = [line for line in out.splitlines() if line.startswith("one-time password")]
    assert len(lines) == 1, out
    return lines[0].rsplit(" ", 1)[1]


# --- user add -------------------------------------------------------------------------------
def test_add_prints_a_one_time_password_to_change_at_first_login(
    store_path, codes, capsys, monkeypatch
):
    code, out, err = run(
        ["user", "add", "alice", "--data", store_path, "--role", "street", "--scope", codes.street,
         "--name", "王丽"],
        capsys, monkeypatch,
    )  # fmt: skip
    assert code == 0, err
    password = one_time_password(out)
    with open_store(store_path, readonly=True) as store:
        alice = store.user("alice")
    assert alice.name == "王丽" and alice.must_change and not alice.disabled
    assert alice.grants == (Grant("street", codes.street),)
    assert verify_password(alice.password_hash, password)
    (entry,) = audit_entries(store_path)
    assert (entry.actor, entry.address, entry.action, entry.outcome) == (
        cli_actor(),
        "cli",
        "user_change",
        "ok",
    )
    assert entry.actor.startswith("cli:")
    assert entry.target.startswith("alice ") and codes.street in entry.target


def test_add_with_a_password_from_stdin(store_path, codes, capsys, monkeypatch):
    code, out, err = run(
        ["user", "add", "bob", "--data", store_path, "--role", "city", "--password-stdin"],
        capsys, monkeypatch, stdin=STRONG + "\n",
    )  # fmt: skip
    assert code == 0, err
    assert STRONG not in out and "one-time" not in out
    with open_store(store_path, readonly=True) as store:
        bob = store.user("bob")
    assert not bob.must_change and bob.name == "bob" and bob.grants == (Grant("city"),)
    assert verify_password(bob.password_hash, STRONG)


def test_each_scope_is_one_grant_of_the_role(store_path, codes, capsys, monkeypatch):
    code, _, err = run(
        ["user", "add", "carol", "--data", store_path, "--role", "community",
         "--scope", codes.community, "--scope", codes.community2, "--scope", codes.community],
        capsys, monkeypatch,
    )  # fmt: skip
    assert code == 0, err
    with open_store(store_path, readonly=True) as store:
        grants = store.user("carol").grants
    assert set(grants) == {
        Grant("community", codes.community),
        Grant("community", codes.community2),
    }


@pytest.mark.parametrize(
    ("role", "scope"),
    [("property", "company"), ("grid_worker", "grid"), ("admin", None), ("city", None)],
)
def test_every_role_with_a_scope_of_its_kind(store_path, codes, capsys, monkeypatch, role, scope):
    scoped = ["--scope", getattr(codes, scope)] if scope else []
    code, _, err = run(
        ["user", "add", "dave", "--data", store_path, "--role", role, *scoped], capsys, monkeypatch
    )
    assert code == 0, err
    with open_store(store_path, readonly=True) as store:
        assert store.user("dave").grants == (Grant(role, getattr(codes, scope) if scope else None),)


def test_a_grid_worker_without_scope_is_linked_to_a_worker(store_path, codes, capsys, monkeypatch):
    code, _, err = run(
        ["user", "add", "erin", "--data", store_path, "--role", "grid_worker",
         "--person", codes.worker],
        capsys, monkeypatch,
    )  # fmt: skip
    assert code == 0, err
    with open_store(store_path, readonly=True) as store:
        erin = store.user("erin")
        person = store.person(codes.worker)
    assert erin.grants == (Grant("grid_worker"),)
    assert erin.person_id == codes.worker and erin.name == person["name"]


# Refused `user add` arguments: {name} is a field of Codes.
REFUSED_ADDS = {
    "unknown role": (["--role", "boss"], None, ["carol", "unknown role 'boss'"]),
    "street without scope": (["--role", "street"], None, ["carol", "street", "needs --scope"]),
    "property without scope": (["--role", "property"], None, ["needs --scope"]),
    "city with a scope": (["--role", "city", "--scope", "{street}"], None, ["takes no --scope"]),
    "admin with a scope": (["--role", "admin", "--scope", "{street}"], None, ["takes no --scope"]),
    "unknown street": (
        ["--role", "street", "--scope", "370832999"], None, ["'370832999'", "not a street"]
    ),
    "community as street": (
        ["--role", "street", "--scope", "{community}"], None, ["not a street"]
    ),
    "street as community": (
        ["--role", "community", "--scope", "{street}"], None, ["not a community"]
    ),
    "committee as company": (
        ["--role", "property", "--scope", "{committee}"], None, ["not a property company"]
    ),
    "unknown company": (
        ["--role", "property", "--scope", "ORG-NONE"], None, ["not a property company"]
    ),
    "community as cell": (
        ["--role", "grid_worker", "--scope", "{community}"], None, ["not a grid"]
    ),
    "grid worker with nothing": (["--role", "grid_worker"], None, ["needs --scope", "--person"]),
    "grid worker not a worker": (
        ["--role", "grid_worker", "--person", "{not_worker}"], None, ["is not a grid worker"]
    ),
    "unknown person": (["--role", "city", "--person", "P-NOBODY"], None, ["--person", "P-NOBODY"]),
    "short password": (["--role", "city", "--password-stdin"], "abc123\n", ["shorter than 10"]),
    "common password": (["--role", "city", "--password-stdin"], "Woaini1314\n", ["commonest"]),
    "long password": (["--role", "city", "--password-stdin"], "x" * 100_000, ["longer than"]),
    "no password": (["--role", "city", "--password-stdin"], "", ["no password on stdin"]),
}  # fmt: skip


@pytest.mark.parametrize("case", REFUSED_ADDS)
def test_a_refused_add_writes_nothing(store_path, codes, capsys, monkeypatch, case):
    args, stdin, words = REFUSED_ADDS[case]
    args = [arg.format(**vars(codes)) for arg in args]
    result = run(["user", "add", "carol", "--data", store_path, *args], capsys, monkeypatch, stdin)
    assert_refused(result, *words)
    with open_store(store_path, readonly=True) as store:
        assert store.users() == [] and store.audit_entries() == []


def test_the_login_itself_is_refused_as_a_password(store_path, capsys, monkeypatch):
    result = run(
        ["user", "add", "carol.zhang", "--data", store_path, "--role", "city", "--password-stdin"],
        capsys, monkeypatch, stdin="Carol.Zhang\n",
    )  # fmt: skip
    assert_refused(result, "carol.zhang", "login itself")
    assert audit_entries(store_path) == []


@pytest.mark.parametrize("login", ["Bob", "1abc", "ab", "a" * 33, "al ice", "alice:x", "-", "王丽"])
def test_a_bad_login_is_refused(store_path, capsys, monkeypatch, login):
    result = run(
        ["user", "add", login, "--data", store_path, "--role", "city"], capsys, monkeypatch
    )
    assert_refused(result, "login", "3-32 characters")
    assert audit_entries(store_path) == []


def test_a_duplicate_login_is_refused(store_path, capsys, monkeypatch):
    add = ["user", "add", "alice", "--data", store_path, "--role", "city"]
    assert run(add, capsys, monkeypatch)[0] == 0
    with open_store(store_path, readonly=True) as store:
        before = store.user("alice")
    assert_refused(run([*add[:-1], "admin"], capsys, monkeypatch), "alice", "exists already")
    with open_store(store_path, readonly=True) as store:
        assert store.user("alice") == before
        assert len(store.audit_entries()) == 1


# --- user list, disable, enable, passwd, roles ------------------------------------------------
@pytest.fixture
def accounts(store_path, codes, capsys, monkeypatch) -> Path:
    """The store with alice (street, one-time password) and bob (grid worker, linked)."""
    for argv in (
        ["user", "add", "alice", "--role", "street", "--scope", codes.street],
        ["user", "add", "bob", "--role", "grid_worker", "--person", codes.worker],
    ):
        assert run([*argv, "--data", store_path], capsys, monkeypatch)[0] == 0
    return store_path


def test_list_names_roles_scopes_person_and_state(accounts, codes, capsys, monkeypatch):
    with open_store(accounts) as store:
        store.login_failed(
            "bob", dt.datetime.now(dt.UTC), dt.datetime.now(dt.UTC) + dt.timedelta(minutes=15)
        )
    code, out, _ = run(["user", "list", "--data", accounts], capsys, monkeypatch)
    assert code == 0
    alice, bob = out.splitlines()
    assert alice.split("\t") == ["alice", "alice", f"street:{codes.street}", "-", "must_change"]
    assert bob.split("\t")[2:] == ["grid_worker", codes.worker, "must_change,locked"]
    _, out, _ = run(["user", "list", "--data", accounts, "--json"], capsys, monkeypatch)
    rows = {row["login"]: row for row in json.loads(out)}
    assert rows["alice"]["roles"] == [{"role": "street", "scope": codes.street}]
    assert rows["alice"]["must_change"] and not rows["alice"]["locked"]
    assert rows["bob"]["person_id"] == codes.worker and rows["bob"]["locked"]
    assert not rows["bob"]["disabled"] and rows["bob"]["failed_logins"] == 1
    assert all("password" not in key for row in rows.values() for key in row)


def test_disable_and_enable(accounts, capsys, monkeypatch):
    assert run(["user", "disable", "alice", "--data", accounts], capsys, monkeypatch)[0] == 0
    with open_store(accounts, readonly=True) as store:
        assert store.user("alice").disabled and not store.user("bob").disabled
    _, out, _ = run(["user", "list", "--data", accounts], capsys, monkeypatch)
    assert out.splitlines()[0].endswith("\tdisabled,must_change")
    assert run(["user", "enable", "alice", "--data", accounts], capsys, monkeypatch)[0] == 0
    with open_store(accounts, readonly=True) as store:
        assert not store.user("alice").disabled
    targets = [e.target for e in audit_entries(accounts)[2:]]
    assert targets == ["alice disabled", "alice enabled"]


@pytest.mark.parametrize(
    "argv",
    [
        ["user", "disable", "nobody"],
        ["user", "enable", "nobody"],
        ["user", "passwd", "nobody"],
        ["user", "roles", "nobody", "--role", "city"],
    ],
)
def test_an_unknown_login_is_refused(accounts, capsys, monkeypatch, argv):
    assert_refused(run([*argv, "--data", accounts], capsys, monkeypatch), "'nobody'")
    assert len(audit_entries(accounts)) == 2


def test_passwd_prints_a_new_one_time_password(accounts, capsys, monkeypatch):
    code, out, err = run(["user", "passwd", "bob", "--data", accounts], capsys, monkeypatch)
    assert code == 0, err
    password = one_time_password(out)
    with open_store(accounts, readonly=True) as store:
        bob = store.user("bob")
    assert bob.must_change and verify_password(bob.password_hash, password)
    assert audit_entries(accounts)[-1].target == "bob one-time password issued"


def test_passwd_from_stdin(accounts, capsys, monkeypatch):
    code, out, err = run(
        ["user", "passwd", "alice", "--data", accounts, "--password-stdin"],
        capsys, monkeypatch, stdin=STRONG + "\r\n",
    )  # fmt: skip
    assert code == 0, err
    assert STRONG not in out
    with open_store(accounts, readonly=True) as store:
        alice = store.user("alice")
    assert not alice.must_change and verify_password(alice.password_hash, STRONG)
    assert audit_entries(accounts)[-1].target == "alice password set"


def test_a_weak_new_password_changes_nothing(accounts, capsys, monkeypatch):
    with open_store(accounts, readonly=True) as store:
        before = store.user("alice")
    result = run(
        ["user", "passwd", "alice", "--data", accounts, "--password-stdin"],
        capsys, monkeypatch, stdin="qwerty123\n",
    )  # fmt: skip
    assert_refused(result, "alice", "password refused", "shorter than 10")
    with open_store(accounts, readonly=True) as store:
        assert store.user("alice") == before
    assert len(audit_entries(accounts)) == 2


def test_roles_replaces_the_grants(accounts, codes, capsys, monkeypatch):
    code, _, err = run(
        ["user", "roles", "alice", "--data", accounts, "--role", "community",
         "--scope", codes.community, "--scope", codes.community2],
        capsys, monkeypatch,
    )  # fmt: skip
    assert code == 0, err
    with open_store(accounts, readonly=True) as store:
        grants = set(store.user("alice").grants)
    assert grants == {Grant("community", codes.community), Grant("community", codes.community2)}
    target = audit_entries(accounts)[-1].target
    assert target.startswith(f"alice roles street:{codes.street} -> community:")


def test_roles_as_a_grid_worker_needs_a_linked_worker(accounts, capsys, monkeypatch):
    """bob is linked to a grid worker, so he needs no scope; alice is linked to nobody."""
    assert run(
        ["user", "roles", "bob", "--data", accounts, "--role", "grid_worker"], capsys, monkeypatch
    )[0] == 0  # fmt: skip
    result = run(
        ["user", "roles", "alice", "--data", accounts, "--role", "grid_worker"], capsys, monkeypatch
    )
    assert_refused(result, "alice", "needs --scope")


@pytest.mark.parametrize(
    ("args", "words"),
    [
        (["--role", "admin", "--scope", "{street}"], ["takes no --scope"]),
        (["--role", "street"], ["needs --scope"]),
        (["--role", "street", "--scope", "{community}"], ["not a street"]),
        (["--role", "nobody"], ["unknown role"]),
    ],
)
def test_refused_roles_change_nothing(accounts, codes, capsys, monkeypatch, args, words):
    with open_store(accounts, readonly=True) as store:
        before = store.user("alice")
    args = [arg.format(**vars(codes)) for arg in args]
    assert_refused(
        run(["user", "roles", "alice", "--data", accounts, *args], capsys, monkeypatch),
        "alice", *words,
    )  # fmt: skip
    with open_store(accounts, readonly=True) as store:
        assert store.user("alice") == before
    assert len(audit_entries(accounts)) == 2


# --- display --------------------------------------------------------------------------------
def _wall_url(out: str) -> str:
    (url,) = [line for line in out.splitlines() if "/wall?token=" in line]
    return url


def test_display_add_prints_a_wall_url_whose_token_the_store_knows_by_hash(
    store_path, codes, capsys, monkeypatch
):
    monkeypatch.delenv("GRIDBOARD_PUBLIC_URL", raising=False)
    code, out, err = run(
        ["display", "add", "大厅", "--data", store_path, "--scope", codes.street],
        capsys, monkeypatch,
    )  # fmt: skip
    assert code == 0, err
    url = _wall_url(out)
    assert url.startswith("http://127.0.0.1:8050/wall?token=")
    token = url.split("token=", 1)[1]
    assert len(token) >= 43
    with open_store(store_path, readonly=True) as store:
        display = store.display_for(token_digest(token))
        assert store.display_for(token) is None  # only the digest is kept
    assert (display.name, display.scope, display.revoked) == ("大厅", codes.street, False)
    (entry,) = audit_entries(store_path)
    assert (entry.action, entry.target) == (
        "display_change",
        f"display 大厅 added ({codes.street})",
    )
    assert token not in entry.target


def test_display_url_starts_with_the_public_url(store_path, capsys, monkeypatch):
    monkeypatch.setenv("GRIDBOARD_PUBLIC_URL", "https://grid.example.cn/")
    code, out, err = run(["display", "add", "lobby", "--data", store_path], capsys, monkeypatch)
    assert code == 0, err
    assert _wall_url(out).startswith("https://grid.example.cn/wall?token=")
    with open_store(store_path, readonly=True) as store:
        assert store.displays()[0].scope is None


@pytest.mark.parametrize(
    ("name", "scope", "words"),
    [
        ("lobby", None, ["'lobby'", "exists already"]),
        ("hall", "{community}", ["'hall'", "--scope", "not a street"]),
        ("hall", "370832999", ["not a street"]),
        ("", None, ["display name"]),
        (" hall", None, ["display name"]),
        ("hall\n", None, ["display name"]),
        ("x" * 65, None, ["display name"]),
    ],
)
def test_a_refused_display_writes_nothing(
    store_path, codes, capsys, monkeypatch, name, scope, words
):
    assert run(["display", "add", "lobby", "--data", store_path], capsys, monkeypatch)[0] == 0
    scoped = ["--scope", scope.format(**vars(codes))] if scope else []
    result = run(["display", "add", name, "--data", store_path, *scoped], capsys, monkeypatch)
    assert_refused(result, *words)
    with open_store(store_path, readonly=True) as store:
        assert [d.name for d in store.displays()] == ["lobby"]
    assert len(audit_entries(store_path)) == 1


def test_display_list_and_revoke(store_path, codes, capsys, monkeypatch):
    _, out, _ = run(["display", "add", "lobby", "--data", store_path], capsys, monkeypatch)
    token = _wall_url(out).split("token=", 1)[1]
    run(
        ["display", "add", "hall", "--data", store_path, "--scope", codes.street],
        capsys,
        monkeypatch,
    )
    code, out, _ = run(["display", "revoke", "lobby", "--data", store_path], capsys, monkeypatch)
    assert code == 0
    with open_store(store_path, readonly=True) as store:
        assert store.display_for(token_digest(token)) is None
    code, out, _ = run(["display", "list", "--data", store_path], capsys, monkeypatch)
    hall, lobby = (line.split("\t") for line in out.splitlines())
    assert (hall[0], hall[1], hall[3]) == ("hall", codes.street, "active")
    assert (lobby[0], lobby[1], lobby[3]) == ("lobby", "-", "revoked")
    code, out, _ = run(["display", "list", "--data", store_path, "--json"], capsys, monkeypatch)
    assert [(d["name"], d["scope"], d["revoked"]) for d in json.loads(out)] == [
        ("hall", codes.street, False),
        ("lobby", None, True),
    ]
    assert audit_entries(store_path)[-1].target == "display lobby revoked"
    assert_refused(
        run(["display", "revoke", "nope", "--data", store_path], capsys, monkeypatch), "'nope'"
    )
    assert len(audit_entries(store_path)) == 3


# --- audit ----------------------------------------------------------------------------------
def test_audit_lists_entries_filtered_by_day_and_user(accounts, capsys, monkeypatch):
    code, out, _ = run(["audit", "--data", accounts], capsys, monkeypatch)
    assert code == 0
    lines = [line.split("\t") for line in out.splitlines()]
    assert [line[0] for line in lines] == ["1", "2"]
    assert [line[2:5] for line in lines] == [[cli_actor(), "cli", "user_change"]] * 2
    code, out, _ = run(["audit", "--data", accounts, "--json"], capsys, monkeypatch)
    entries = json.loads(out)
    assert [e["target"].split()[0] for e in entries] == ["alice", "bob"]
    assert entries[1]["prev"] == entries[0]["hash"]
    today = dt.datetime.now(dt.UTC).date()
    for args, count in (
        (["--since", (today - dt.timedelta(days=1)).isoformat()], 2),
        (["--since", (today + dt.timedelta(days=2)).isoformat()], 0),
        (["--user", cli_actor()], 2),
        (["--user", "alice"], 0),
    ):
        code, out, _ = run(["audit", "--data", accounts, "--json", *args], capsys, monkeypatch)
        assert code == 0 and len(json.loads(out)) == count, args


def test_audit_needs_a_store(capsys, monkeypatch):
    assert_refused(run(["audit"], capsys, monkeypatch), "--data")
    assert_refused(run(["audit", "verify"], capsys, monkeypatch), "--data")


def _tamper(path: Path, sql: str) -> None:
    """Change the audit table behind the store's back (its triggers dropped first)."""
    con = sqlite3.connect(path)
    try:
        triggers = con.execute(
            "SELECT name FROM sqlite_master WHERE type = 'trigger' AND tbl_name = 'audit'"
        ).fetchall()
        for (name,) in triggers:
            con.execute(f'DROP TRIGGER "{name}"')
        con.execute(sql)
        con.commit()
    finally:
        con.close()


@pytest.mark.parametrize(
    ("sql", "words"),
    [
        ("UPDATE audit SET target = 'mallory added (admin)' WHERE seq = 2", ["entry 2", "changed"]),
        ("UPDATE audit SET outcome = 'refused' WHERE seq = 1", ["entry 1"]),
        ("DELETE FROM audit WHERE seq = 1", ["entry 1 is missing"]),
        ("DELETE FROM audit WHERE seq = 3", ["deleted"]),
    ],
)
def test_audit_verify_finds_a_changed_or_deleted_entry(accounts, capsys, monkeypatch, sql, words):
    assert run(["user", "disable", "bob", "--data", accounts], capsys, monkeypatch)[0] == 0
    code, out, err = run(["audit", "verify", "--data", accounts], capsys, monkeypatch)
    assert code == 0, err
    assert out.strip() == "audit trail intact: 3 entries"
    _tamper(accounts, sql)
    result = run(["audit", "verify", "--data", accounts], capsys, monkeypatch)
    assert result[0] == 1
    assert_refused(result, "audit trail broken:", *words)


# --- demo -----------------------------------------------------------------------------------
def _accounts_file(path: Path) -> dict[str, dict[str, str]]:
    rows = [line.split() for line in path.read_text(encoding="utf-8").splitlines()]
    header, *accounts = [row for row in rows if row[0] != "#"]
    return {row[0]: dict(zip(header, row, strict=True)) for row in accounts}


def test_demo_writes_working_accounts_to_a_file_only_its_owner_reads(tmp_path, capsys, monkeypatch):
    out = tmp_path / "demo.gpkg"
    old_umask = os.umask(0)  # the file's mode must not depend on the umask
    try:
        code, stdout, err = run(
            ["demo", "--as-of", DEMO_AS_OF.isoformat(), "--out", out], capsys, monkeypatch
        )
    finally:
        os.umask(old_umask)
    assert code == 0, err
    file = tmp_path / "demo.gpkg.accounts.txt"
    assert str(file) in stdout
    assert stat.S_IMODE(file.stat().st_mode) == 0o600
    assert sorted(os.listdir(tmp_path)) == ["demo.gpkg", "demo.gpkg.accounts.txt"]
    listed = _accounts_file(file)
    assert list(listed) == ["city", "street", "community", "property", "gridworker", "admin"]
    with open_store(out, readonly=True) as store:
        for login, row in listed.items():
            account = store.user(login)
            assert verify_password(account.password_hash, row["password"]), login
            assert not account.must_change and not account.disabled
            assert [g.role for g in account.grants] == [row["role"]]
        street = min(store.areas(Level.STREET)["code"])
        communities = store.areas(Level.COMMUNITY, parent=street)
        grant = {login: store.user(login).grants[0] for login in listed}
        assert grant["city"] == Grant("city") and grant["admin"] == Grant("admin")
        assert grant["street"] == Grant("street", street)
        assert grant["community"] == Grant("community", min(communities["code"]))
        company = store.organisation(grant["property"].scope)
        assert company["kind"] == OrgKind.PROPERTY_COMPANY
        compounds = store.areas(Level.COMPOUND, parent=street)
        assert company["id"] in set(compounds["property_company_id"])
        worker = store.user("gridworker")
        assert worker.grants == (Grant("grid_worker"),)
        cells = store.grid_workers(worker.person_id)
        assert set(cells["community_code"]) <= set(communities["code"])
        community = store.user("community")
        roles = {
            r.role
            for m in store.staff(grant["community"].scope)
            if m.person_id == community.person_id
            for r in m.roles
            if r.org_kind == OrgKind.COMMITTEE
        }
        assert roles & {Role.SECRETARY, Role.DIRECTOR}
        assert community.name == store.person(community.person_id)["name"]
        assert len(store.audit_entries()) == 6


def test_a_demo_whose_accounts_file_cannot_be_written_leaves_nothing(tmp_path, capsys, monkeypatch):
    out = tmp_path / "demo.gpkg"
    (tmp_path / "demo.gpkg.accounts.txt").mkdir()  # a folder where the file should go
    code, _, err = run(
        ["demo", "--as-of", DEMO_AS_OF.isoformat(), "--out", out], capsys, monkeypatch
    )
    assert code == 1
    error = err.strip().splitlines()[-1]  # after the line saying the city was generated
    assert error.startswith("gridboard: error:") and "demo.gpkg.accounts.txt: cannot write" in error
    assert "nothing was written" in error
    assert sorted(os.listdir(tmp_path)) == ["demo.gpkg.accounts.txt"]
