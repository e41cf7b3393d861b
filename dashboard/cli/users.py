"""`gridboard user`, `display` and `audit`: accounts, wall display tokens and the audit trail."""

from __future__ import annotations

import datetime as dt
import getpass
import json
import os
import re
import sys
from collections.abc import Callable, Sequence
from pathlib import Path

import click

from dashboard.cli.common import STORE, CliError, existing_store, parse_date
from dashboard.passwords import (
    MAX_LENGTH,
    hash_password,
    new_token,
    one_time_password,
    password_problem,
    token_digest,
)
from geodata.accounts import (
    ROLES,
    SCOPE_KINDS,
    AccountError,
    AuditEntry,
    Display,
    Grant,
    User,
    first_broken,
)
from geodata.model import LOCAL_TZ, Level, OrgKind
from geodata.store import Store

LOGIN_PATTERN = re.compile(r"[a-z][a-z0-9_.-]{2,31}")
LOGIN_RULE = "3-32 characters of a-z, 0-9, _ . -, starting with a letter"
DISPLAY_NAME_MAX = 64
DEFAULT_URL = "http://127.0.0.1:8050"
SCOPE_WORDS = {
    "street": "a street code",
    "community": "a community code",
    "organisation": "a property company's organisation id",
    "grid": "a grid cell code",
}


def _data_option(fn: Callable) -> Callable:
    return click.option(
        "--data",
        type=STORE,
        required=True,
        help="Store file.",
    )(fn)


def _json_option(fn: Callable) -> Callable:
    return click.option("--json", "as_json", is_flag=True, help="Print JSON.")(fn)


def _password_stdin_option(fn: Callable) -> Callable:
    return click.option(
        "--password-stdin",
        is_flag=True,
        help="Read the password from one line of stdin (else a one-time password is printed).",
    )(fn)


def _grant_options(fn: Callable) -> Callable:
    fn = click.option(
        "--scope",
        "scopes",
        multiple=True,
        help="What the role covers (repeatable): a street or community code, a property"
        " company's organisation id, a grid cell code; none for city and admin.",
    )(fn)
    return click.option("--role", required=True, help=f"One of {', '.join(ROLES)}.")(fn)


def now() -> dt.datetime:
    """The current moment, aware UTC."""
    return dt.datetime.now(dt.UTC)


def cli_actor() -> str:
    """Who is running the command, as the audit trail names them."""
    try:
        return "cli:" + getpass.getuser()
    except (OSError, KeyError):  # no user name in the environment nor in the password file
        return f"cli:uid-{os.getuid()}"


def record(store: Store, action: str, target: str) -> None:
    """One audit entry for a change made from the command line."""
    store.audit(now(), cli_actor(), "cli", action, target, "ok")


def grants_text(grants: Sequence[Grant]) -> str:
    """Roles with their scopes, e.g. "street:370832001,community:370832001001"."""
    return ",".join(g.role if g.scope is None else f"{g.role}:{g.scope}" for g in grants) or "-"


# --- checks ---------------------------------------------------------------------------------
def check_login(login: str) -> None:
    """Refuse a login that breaks LOGIN_RULE."""
    if not LOGIN_PATTERN.fullmatch(login):
        raise CliError(f"login {login!r} is not {LOGIN_RULE}")


def existing_user(store: Store, login: str) -> User:
    """The account `login`; a CliError naming it when there is none."""
    found = store.user(login)
    if found is None:
        raise CliError(f"no account with login {login!r}")
    return found


def checked_grants(
    store: Store, login: str, role: str, scopes: Sequence[str], person_id: str | None
) -> tuple[Grant, ...]:
    """The grants of `role` over each of `scopes`, each scope checked against the store;
    `person_id` is the staff person the account is (or will be) linked to."""
    if role not in ROLES:
        raise CliError(f"{login}: unknown role {role!r}; use one of {', '.join(ROLES)}")
    kind = SCOPE_KINDS[role]
    scopes = tuple(dict.fromkeys(scopes))
    if kind is None:
        if scopes:
            raise CliError(f"{login}: role {role} takes no --scope (it is not limited to an area)")
        return (Grant(role),)
    if not scopes:
        if role != "grid_worker":
            raise CliError(f"{login}: role {role} needs --scope ({SCOPE_WORDS[kind]})")
        _check_cells_of_person(store, login, person_id)
        return (Grant(role),)
    for scope in scopes:
        problem = _scope_problem(store, kind, scope)
        if problem:
            raise CliError(f"{login}: --scope {scope!r} {problem}")
    return tuple(Grant(role, scope) for scope in scopes)


def _check_cells_of_person(store: Store, login: str, person_id: str | None) -> None:
    """A grid worker account without a scope covers its person's cells: there must be some."""
    if person_id is None:
        raise CliError(
            f"{login}: role grid_worker needs --scope (a grid cell code) or --person"
            " (a grid worker of the staff table: then that person's cells)"
        )
    if store.grid_workers(person_id).empty:
        raise CliError(
            f"{login}: person {person_id!r} is not a grid worker, so role grid_worker needs"
            " --scope (a grid cell code)"
        )


def _scope_problem(store: Store, kind: str, scope: str) -> str | None:
    """Why `scope` is not a stored scope of `kind`, or None."""
    if kind == "organisation":
        org = store.organisation(scope)
        if org is None or org["kind"] != OrgKind.PROPERTY_COMPANY.value:
            return "is not a property company's organisation id in the store"
        return None
    area = store.area(scope)
    if area is None or area["level"] != Level(kind).value:
        return f"is not a {kind} code in the store"
    return None


def checked_person(store: Store, login: str, person_id: str | None) -> dict | None:
    """The staff person `person_id` ({id, name, phone}), or None when not given."""
    if person_id is None:
        return None
    person = store.person(person_id)
    if person is None:
        raise CliError(f"{login}: --person {person_id!r} is not a person of the staff table")
    return person


def new_password(login: str, from_stdin: bool) -> tuple[str, bool]:
    """(password, must_change): one line of stdin checked by password_problem, or a new
    one-time password that must be changed at first login."""
    if not from_stdin:
        return one_time_password(), True
    line = sys.stdin.readline(MAX_LENGTH + 2)  # enough to see that a longer one is too long
    password = line.removesuffix("\n").removesuffix("\r")
    if not line:
        raise CliError(f"{login}: no password on stdin (--password-stdin reads one line)")
    problem = password_problem(password, login)
    if problem:
        raise CliError(f"{login}: password refused: {problem}")
    return password, False


def _echo_password(password: str, must_change: bool) -> None:
    if must_change:
        click.echo(f"one-time password (to be changed at first login): {password}")


# --- user -----------------------------------------------------------------------------------
@click.group("user")
def user_group() -> None:
    """Accounts: add, list, disable, enable, passwd, roles."""


@user_group.command("add")
@click.argument("login")
@_data_option
@_grant_options
@click.option("--name", help="The account holder's name (default: the person's, or LOGIN).")
@click.option("--person", "person_id", help="Link to this person (id) of the staff table.")
@_password_stdin_option
def user_add(
    login: str,
    data: Path,
    role: str,
    scopes: tuple[str, ...],
    name: str | None,
    person_id: str | None,
    password_stdin: bool,
) -> None:
    """Add the account LOGIN with one role over its scopes (each --scope: one grant)."""
    check_login(login)
    with existing_store(data, readonly=False) as store:
        if store.user(login) is not None:
            raise CliError(f"{login}: an account with this login exists already")
        person = checked_person(store, login, person_id)
        grants = checked_grants(store, login, role, scopes, person_id)
        password, must_change = new_password(login, password_stdin)
        account = User(
            login=login,
            name=name or (person["name"] if person else login),
            grants=grants,
            password_hash=hash_password(password),
            person_id=person_id,
            must_change=must_change,
            created_at=now(),
        )
        try:
            store.add_user(account)
        except AccountError as exc:
            raise CliError(f"{login}: {exc}") from exc
        record(store, "user_change", f"{login} added ({grants_text(grants)})")
    click.echo(f"added {login}: {grants_text(grants)}")
    _echo_password(password, must_change)


@user_group.command("list")
@_data_option
@_json_option
def user_list(data: Path, as_json: bool) -> None:
    """List the accounts: login, name, roles and scopes, person, state."""
    with existing_store(data) as store:
        accounts = store.users()
    at = now()
    if as_json:
        rows = [_user_json(u, at) for u in accounts]
        click.echo(json.dumps(rows, ensure_ascii=False, indent=2))
        return
    for u in accounts:
        states = [
            word
            for word, on in (
                ("disabled", u.disabled),
                ("must_change", u.must_change),
                ("locked", _locked(u, at)),
            )
            if on
        ]
        click.echo(
            f"{u.login}\t{u.name}\t{grants_text(u.grants)}\t{u.person_id or '-'}"
            f"\t{','.join(states) or 'active'}"
        )


def _locked(user: User, at: dt.datetime) -> bool:
    return user.locked_until is not None and user.locked_until > at


def _user_json(user: User, at: dt.datetime) -> dict:
    return {
        "login": user.login,
        "name": user.name,
        "roles": [{"role": g.role, "scope": g.scope} for g in user.grants],
        "person_id": user.person_id,
        "disabled": user.disabled,
        "must_change": user.must_change,
        "locked": _locked(user, at),
        "locked_until": user.locked_until.isoformat() if user.locked_until else None,
        "failed_logins": user.failed_logins,
        "created_at": user.created_at.isoformat() if user.created_at else None,
    }


def _set_disabled(login: str, data: Path, disabled: bool) -> None:
    word = "disabled" if disabled else "enabled"
    with existing_store(data, readonly=False) as store:
        existing_user(store, login)
        store.set_disabled(login, disabled)
        record(store, "user_change", f"{login} {word}")
    click.echo(f"{login} is {word}" + (" (its sessions are ended)" if disabled else ""))


@user_group.command("disable")
@click.argument("login")
@_data_option
def user_disable(login: str, data: Path) -> None:
    """Disable LOGIN: it can no longer sign in, and its sessions end at once."""
    _set_disabled(login, data, True)


@user_group.command("enable")
@click.argument("login")
@_data_option
def user_enable(login: str, data: Path) -> None:
    """Enable LOGIN again."""
    _set_disabled(login, data, False)


@user_group.command("passwd")
@click.argument("login")
@_data_option
@_password_stdin_option
def user_passwd(login: str, data: Path, password_stdin: bool) -> None:
    """Give LOGIN a new password (its sessions end and its lock-out is cleared)."""
    with existing_store(data, readonly=False) as store:
        existing_user(store, login)
        password, must_change = new_password(login, password_stdin)
        store.set_password(login, hash_password(password), must_change=must_change)
        what = "one-time password issued" if must_change else "password set"
        record(store, "user_change", f"{login} {what}")
    click.echo(f"{login}: {what}")
    _echo_password(password, must_change)


@user_group.command("roles")
@click.argument("login")
@_data_option
@_grant_options
def user_roles(login: str, data: Path, role: str, scopes: tuple[str, ...]) -> None:
    """Replace LOGIN's roles and scopes with ROLE over each --scope (its sessions end)."""
    with existing_store(data, readonly=False) as store:
        account = existing_user(store, login)
        grants = checked_grants(store, login, role, scopes, account.person_id)
        store.set_grants(login, grants)
        change = f"{grants_text(account.grants)} -> {grants_text(grants)}"
        record(store, "user_change", f"{login} roles {change}")
    click.echo(f"{login}: roles {change}")


# --- display --------------------------------------------------------------------------------
@click.group("display")
def display_group() -> None:
    """Wall displays: add, list, revoke.

    A display signs in with the token in its URL and sees the wall (masked, read-only) of its
    scope, nothing else."""


def check_display_name(name: str) -> None:
    """Refuse a display name that is empty, too long, padded or holds control characters."""
    if not name or len(name) > DISPLAY_NAME_MAX or name.strip() != name or not name.isprintable():
        raise CliError(
            f"display name {name!r} is not 1-{DISPLAY_NAME_MAX} printable characters"
            " without spaces at either end"
        )


def wall_base_url() -> str:
    """Where the dashboard is reached: GRIDBOARD_PUBLIC_URL, else the local default."""
    from dashboard.settings import Settings, SettingsError

    try:
        public = Settings.from_env().public_url
    except SettingsError as exc:
        raise CliError(str(exc)) from exc
    return (public or DEFAULT_URL).rstrip("/")


@display_group.command("add")
@click.argument("name")
@_data_option
@click.option("--scope", help="The street (code) the wall shows; default the whole city.")
def display_add(name: str, data: Path, scope: str | None) -> None:
    """Add the wall display NAME and print its URL (the token is shown this once)."""
    check_display_name(name)
    base = wall_base_url()
    with existing_store(data, readonly=False) as store:
        if any(d.name == name for d in store.displays()):
            raise CliError(f"display {name!r} exists already")
        problem = None if scope is None else _scope_problem(store, "street", scope)
        if problem:
            raise CliError(f"display {name!r}: --scope {scope!r} {problem}")
        token = new_token()
        try:
            store.add_display(Display(name, scope, now()), token_digest(token))
        except AccountError as exc:
            raise CliError(f"display {name!r}: {exc}") from exc
        record(store, "display_change", f"display {name} added ({scope or 'city'})")
    click.echo(f"added display {name} ({scope or 'the whole city'}); its URL, shown only now:")
    click.echo(f"{base}/wall?token={token}")


@display_group.command("list")
@_data_option
@_json_option
def display_list(data: Path, as_json: bool) -> None:
    """List the wall displays: name, scope, when added, revoked or not."""
    with existing_store(data) as store:
        found = store.displays()
    if as_json:
        rows = [
            {
                "name": d.name,
                "scope": d.scope,
                "created_at": d.created_at.isoformat(),
                "revoked": d.revoked,
            }
            for d in found
        ]
        click.echo(json.dumps(rows, ensure_ascii=False, indent=2))
        return
    for d in found:
        state = "revoked" if d.revoked else "active"
        click.echo(f"{d.name}\t{d.scope or '-'}\t{d.created_at.isoformat()}\t{state}")


@display_group.command("revoke")
@click.argument("name")
@_data_option
def display_revoke(name: str, data: Path) -> None:
    """Revoke the display NAME's token: its wall signs out at once."""
    with existing_store(data, readonly=False) as store:
        if not any(d.name == name for d in store.displays()):
            raise CliError(f"no display named {name!r}")
        try:
            store.revoke_display(name)
        except AccountError as exc:
            raise CliError(f"display {name!r}: {exc}") from exc
        record(store, "display_change", f"display {name} revoked")
    click.echo(f"display {name} is revoked")


# --- audit ----------------------------------------------------------------------------------
def _parse_since(
    ctx: click.Context, param: click.Parameter, value: str | None
) -> dt.datetime | None:
    if value is None:
        return None
    return dt.datetime.combine(parse_date(ctx, param, value), dt.time(), LOCAL_TZ)


@click.group("audit", invoke_without_command=True)
@click.option("--data", type=STORE, help="Store file.")
@click.option("--since", callback=_parse_since, help="From this day on (YYYY-MM-DD, China time).")
@click.option("--user", "actor", help="Only what this login (or cli:NAME, display:NAME) did.")
@_json_option
@click.pass_context
def audit_group(
    ctx: click.Context,
    data: Path | None,
    since: dt.datetime | None,
    actor: str | None,
    as_json: bool,
) -> None:
    """List the audit trail's entries, oldest first. `audit verify` checks its hash chain."""
    ctx.obj = data
    if ctx.invoked_subcommand is not None:
        return
    if data is None:
        raise CliError("give --data PATH (the store file)")
    with existing_store(data) as store:
        entries = store.audit_entries(since=since, actor=actor)
    if as_json:
        click.echo(json.dumps([_entry_json(e) for e in entries], ensure_ascii=False, indent=2))
        return
    for e in entries:
        at = e.at.astimezone(LOCAL_TZ).isoformat(timespec="seconds")
        click.echo(f"{e.seq}\t{at}\t{e.actor}\t{e.address}\t{e.action}\t{e.target}\t{e.outcome}")


def _entry_json(entry: AuditEntry) -> dict:
    return {
        "seq": entry.seq,
        "at": entry.at.isoformat(),
        "actor": entry.actor,
        "address": entry.address,
        "action": entry.action,
        "target": entry.target,
        "outcome": entry.outcome,
        "prev": entry.prev,
        "hash": entry.hash,
    }


@audit_group.command("verify")
@click.option("--data", type=STORE, help="Store file.")
@click.pass_context
def audit_verify(ctx: click.Context, data: Path | None) -> None:
    """Check the audit trail's hash chain: exit 1 naming the first changed or missing entry."""
    data = data or ctx.obj
    if data is None:
        raise CliError("give --data PATH (the store file)")
    with existing_store(data) as store:
        entries = store.audit_entries()
        head = store.audit_head()
    reason = first_broken(entries, head)
    if reason is not None:
        raise CliError(f"{data}: audit trail broken: {reason}")
    click.echo(f"audit trail intact: {len(entries)} entries")
