"""`gridboard demo` and `gridboard info`: build a demo city into a store, say what a store holds."""

from __future__ import annotations

import datetime as dt
import json
import os
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import click

from dashboard.cli.common import (
    STORE,
    CliError,
    check_output,
    existing_store,
    file_beside,
    parse_date,
    why_not_written,
)
from dashboard.cli.users import grants_text, now, record
from dashboard.passwords import hash_password, one_time_password
from geodata import transfer
from geodata.accounts import Grant, User
from geodata.atomic import replacing
from geodata.backends import open_store, shown
from geodata.city import CityData
from geodata.model import LOCAL_TZ, Level, OrgKind, Role
from geodata.store import Store, StoreError

LEVEL_TABLES = {
    Level.STREET: "streets",
    Level.COMMUNITY: "communities",
    Level.COMPOUND: "compounds",
    Level.GRID: "grid_cells",
}
# The name of a demo account that is not linked to a staff person: its role's title.
DEMO_NAMES = {
    "city": "指挥中心",
    "street": "街道主管",
    "community": "社区工作人员",
    "property": "物业",
    "grid_worker": "网格员",
    "admin": "系统管理员",
}


@click.command()
@click.option(
    "--scale",
    type=click.Choice(["street", "city", "region"]),
    default="street",
    show_default=True,
    help="street: 梁山县水泊街道, seconds to build; city: 济宁, 1,000,000 cases, minutes;"
    " region: five cities, 5,000,000 cases (for the PostGIS bench; give --out a URL).",
)
@click.option(
    "--seed", type=click.IntRange(0, 2**32 - 1), default=1, show_default=True, help="Random seed."
)
@click.option(
    "--as-of",
    callback=parse_date,
    help="Last day of the generated history (YYYY-MM-DD); default today.",
)
@click.option(
    "--out",
    type=STORE,
    required=True,
    help="A store file (its content replaced) or an empty PostGIS database (postgresql://…).",
)
def demo(scale: str, seed: int, as_of: dt.date, out: Path | str) -> None:
    """Build a deterministic demo city into the store file OUT (replacing its content), or
    into the empty PostGIS database OUT."""
    if isinstance(out, str):
        _demo_into_database(scale, seed, as_of, out)
        return

    check_output(out)
    if out.exists():
        existing_store(out).close()  # only ever replace a gridboard store
    kept = f"{out} is untouched" if out.exists() else "nothing was written"
    accounts_file = accounts_path(out)
    try:
        with file_beside(out) as tmp:
            started = time.perf_counter()
            with open_store(tmp, create=True) as store:
                store.write_parts(_parts(scale, seed, as_of))
                counts = store.counts()
                accounts = add_demo_accounts(store)
            try:
                write_accounts(accounts_file, out.name, accounts)
            except OSError as exc:
                raise CliError(f"{accounts_file}: cannot write ({exc.strerror}); {kept}") from exc
    except (StoreError, OSError) as exc:
        raise CliError(f"{out}: {why_not_written(exc)}; {kept}") from exc
    click.echo(
        f"wrote {out}: {counts['streets']} streets, {counts['communities']} communities,"
        f" {counts['compounds']} compounds, {counts['grid_cells']} grid cells,"
        f" {counts['cases']:,} cases, {counts['visits']:,} visits"
        f" in {time.perf_counter() - started:.1f} s"
    )
    click.echo(f"wrote {len(accounts)} demo accounts (one per role) to {accounts_file}")


def _parts(scale: str, seed: int, as_of: dt.date) -> Iterator[CityData]:
    """The demo city, in parts built as they are written (see demo_parts); a history whose
    last day is today ends now, not at midnight."""
    from geodata.demo import demo_parts

    moment = dt.datetime.now(LOCAL_TZ)
    until = moment if as_of >= moment.date() else None
    return demo_parts(scale, seed, as_of, sys.stderr.isatty(), until=until)


def _demo_into_database(scale: str, seed: int, as_of: dt.date, url: str) -> None:
    """The demo written straight into a database, in one transaction; only an empty one
    (a demo must never replace real data). Its accounts file goes to the current folder."""

    database = shown(url).rsplit("/", 1)[-1] or "gridboard"
    accounts_file = Path(f"{database}.accounts.txt")
    check_output(accounts_file)
    try:
        with open_store(url, create=True) as store:
            if not transfer.is_empty(store.sql_connection()):
                raise CliError(f"{shown(url)} holds data: a demo goes only into an empty store")
            started = time.perf_counter()
            store.write_parts(_parts(scale, seed, as_of))
            counts = store.counts()
            accounts = add_demo_accounts(store)
    except StoreError as exc:
        raise CliError(f"{why_not_written(exc)}; nothing was written") from exc
    try:
        write_accounts(accounts_file, database, accounts)
    except OSError as exc:
        raise CliError(f"{accounts_file}: cannot write ({exc.strerror})") from exc
    click.echo(
        f"wrote {shown(url)}: {counts['streets']} streets, {counts['communities']} communities,"
        f" {counts['grid_cells']} grid cells, {counts['cases']:,} cases,"
        f" {counts['visits']:,} visits in {time.perf_counter() - started:.1f} s"
    )
    click.echo(f"wrote {len(accounts)} demo accounts (one per role) to {accounts_file}")


def accounts_path(store_path: Path) -> Path:
    """Where `gridboard demo` writes the demo accounts of the store at `store_path`."""
    return store_path.with_name(store_path.name + ".accounts.txt")


def add_demo_accounts(store: Store) -> list[tuple[User, str]]:
    """One account per role (see _demo_plans), with a generated password usable at once;
    (account, password) of each."""
    made = []
    for login, role, scope, person_id in _demo_plans(store):
        person = store.person(person_id) if person_id else None
        password = one_time_password()
        account = User(
            login=login,
            name=person["name"] if person else DEMO_NAMES[role],
            grants=(Grant(role, scope),),
            password_hash=hash_password(password),
            person_id=person_id,
            must_change=False,
            created_at=now(),
        )
        store.add_user(account)
        record(store, "user_change", f"{login} added ({grants_text(account.grants)}) by demo")
        made.append((account, password))
    return made


def _demo_plans(store: Store) -> list[tuple[str, str, str | None, str | None]]:
    """(login, role, scope, person id) of the demo accounts. Scopes come from the first street
    by code: the street, its first community, a property company managing a compound in it,
    a grid worker of its cells (linked, no scope). A role the data has nothing for is left
    out."""
    plans: list[tuple[str, str, str | None, str | None]] = [("city", "city", None, None)]
    street = min(store.areas(Level.STREET)["code"], default=None)
    if street is not None:
        communities = store.areas(Level.COMMUNITY, parent=street)
        community = min(communities["code"], default=None)
        compounds = store.areas(Level.COMPOUND, parent=street)
        company = min(compounds["property_company_id"].dropna(), default=None)
        workers = store.grid_workers()
        ours = workers["community_code"].isin(set(communities["code"]))
        worker = min(workers.loc[ours & workers["grid_code"].notna(), "person_id"], default=None)
        plans.append(("street", "street", street, _committee_person(store, street)))
        if community is not None:
            person = _committee_person(store, community)
            plans.append(("community", "community", community, person))
        if company is not None:
            plans.append(("property", "property", company, None))
        if worker is not None:
            plans.append(("gridworker", "grid_worker", None, worker))
    plans.append(("admin", "admin", None, None))
    return plans


def _committee_person(store: Store, code: str) -> str | None:
    """A person with a committee role on the area `code` (the highest role first), or None."""
    rank = {role: i for i, role in enumerate(Role)}
    found = [
        (rank[r.role], m.person_id)
        for m in store.staff(code)
        for r in m.roles
        if r.org_kind == OrgKind.COMMITTEE and r.area_code == code
    ]
    return min(found)[1] if found else None


def write_accounts(path: Path, store_name: str, accounts: list[tuple[User, str]]) -> None:
    """The demo accounts and their passwords, as a file only its owner can read, written
    whole or not at all; OSError when it cannot be."""
    lines = [
        f"# gridboard demo accounts of {store_name}: sign in at /login.",
        "# Whoever reads this file can sign in: keep it to yourself.",
        f"{'login':<12} {'password':<18} {'role':<12} {'scope':<16} person",
    ]
    for account, password in accounts:
        grant = account.grants[0]
        lines.append(
            f"{account.login:<12} {password:<18} {grant.role:<12} {grant.scope or '-':<16}"
            f" {account.person_id or '-'}"
        )
    content = ("\n".join(lines) + "\n").encode("utf-8")
    with replacing(path, absent=True) as tmp:
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "wb") as file:
            file.write(content)


@click.command()
@click.option("--data", type=STORE, required=True, help="Store file.")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
def info(data: Path, as_json: bool) -> None:
    """Print what a store holds: counts per level and per table."""
    with existing_store(data) as store:
        counts = store.counts()
        meta = store.meta()
    report = {
        "path": str(data),
        "meta": meta,
        "levels": {level.value: counts[table] for level, table in LEVEL_TABLES.items()},
        "tables": counts,
    }
    if as_json:
        click.echo(json.dumps(report, ensure_ascii=False, indent=2))
        return
    click.echo(f"{data}: {meta.get('name', '(unnamed)')}, as of {meta.get('as_of', '?')}")
    for table, count in counts.items():
        click.echo(f"  {table:<14} {count:>12,}")
