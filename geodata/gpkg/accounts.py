"""The GeoPackage store's accounts: users, grants, sessions, wall displays and the audit trail."""

from __future__ import annotations

import datetime as dt
import logging
import sqlite3
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import TypeVar

from ..accounts import (
    GENESIS,
    ROLES,
    SCOPE_KINDS,
    SESSION_KINDS,
    AccountError,
    AuditEntry,
    Display,
    Grant,
    Session,
    User,
    entry_hash,
)
from ..store import ConnectionLost, StoreError
from .connection import Connection
from .schema import ACCOUNTS_SINCE

T = TypeVar("T")
log = logging.getLogger(__name__)

_USER_COLUMNS = (
    "login, name, password_hash, person_id, disabled, must_change, failed_logins,"
    " locked_until, created_at"
)
_SESSION_COLUMNS = "key, kind, login, csrf, created_at, seen_at"
_DISPLAY_COLUMNS = "name, scope, created_at, revoked"
_AUDIT_COLUMNS = "seq, at, actor, address, action, target, outcome, prev, hash"
ACCOUNT_WRITE_WAIT = 30.0  # seconds an account write waits for this process's others
_AUDIT_FIELDS = ("actor", "address", "action", "target", "outcome")


class Accounts(Connection):
    """AccountStore on the GeoPackage file. Writes are transactions that leave the data
    revision alone. A version-1 store opened read-only has no account tables: its reads
    answer as for a store with nobody in it (None, []) and its writes raise StoreError."""

    # --- users -------------------------------------------------------------------------
    def add_user(self, user: User) -> None:
        _check_login(user.login)
        grants = _checked_grants(user.login, user.grants)
        created = _utc_text(user.created_at or dt.datetime.now(dt.UTC), "created_at")
        locked = _utc_text(user.locked_until, "locked_until")
        with self._account_write("account") as con:
            if con.execute("SELECT 1 FROM users WHERE login = ?", (user.login,)).fetchone():
                raise AccountError(f"account {user.login!r} exists already")
            con.execute(
                f"INSERT INTO users ({_USER_COLUMNS}) VALUES (?,?,?,?,?,?,?,?,?)",
                (
                    user.login,
                    user.name,
                    user.password_hash,
                    user.person_id,
                    int(user.disabled),
                    int(user.must_change),
                    user.failed_logins,
                    locked,
                    created,
                ),
            )
            _insert_grants(con, user.login, grants)

    def user(self, login: str) -> User | None:
        rows = self._rows(f"SELECT {_USER_COLUMNS} FROM users WHERE login = ?", (login,))
        if not rows:
            return None
        grants = self._rows("SELECT role, scope FROM user_grants WHERE login = ?", (login,))
        return _user(rows[0], grants)

    def users(self) -> list[User]:
        grants: dict[str, list[tuple]] = {}
        for login, role, scope in self._rows("SELECT login, role, scope FROM user_grants"):
            grants.setdefault(login, []).append((role, scope))
        rows = self._rows(f"SELECT {_USER_COLUMNS} FROM users ORDER BY login")
        return [_user(row, grants.get(row[0], [])) for row in rows]

    def set_password(self, login: str, password_hash: str, *, must_change: bool) -> None:
        with self._account_write("password") as con:
            _update_user(
                con,
                login,
                "password_hash = ?, must_change = ?, failed_logins = 0, locked_until = NULL",
                (password_hash, int(must_change)),
            )
            _end_sessions(con, "user", login)

    def set_disabled(self, login: str, disabled: bool) -> None:
        with self._account_write("account") as con:
            _update_user(con, login, "disabled = ?", (int(disabled),))
            if disabled:
                _end_sessions(con, "user", login)

    def set_grants(self, login: str, grants: Sequence[Grant]) -> None:
        checked = _checked_grants(login, grants)
        with self._account_write("roles") as con:
            if not con.execute("SELECT 1 FROM users WHERE login = ?", (login,)).fetchone():
                raise AccountError(f"no account named {login!r}")
            con.execute("DELETE FROM user_grants WHERE login = ?", (login,))
            _insert_grants(con, login, checked)
            _end_sessions(con, "user", login)

    def login_failed(
        self, login: str, at: dt.datetime, lock_until: dt.datetime | None, lock_from: int = 1
    ) -> int:
        _utc_text(at, "at")  # not kept: the table has no column for it
        locked = _utc_text(lock_until, "lock_until")
        with self._account_write("failed login") as con:
            _update_user(
                con,
                login,
                "failed_logins = failed_logins + 1, locked_until = CASE"
                " WHEN failed_logins + 1 >= ? THEN COALESCE(?, locked_until)"
                " ELSE locked_until END",
                (lock_from, locked),
            )
            sql = "SELECT failed_logins FROM users WHERE login = ?"
            return con.execute(sql, (login,)).fetchone()[0]

    def login_succeeded(self, login: str) -> None:
        self._account_write_again(
            "login",
            lambda con: _update_user(con, login, "failed_logins = 0, locked_until = NULL", ()),
        )

    # --- sessions ----------------------------------------------------------------------
    def add_session(self, session: Session) -> None:
        _check_kind(session.kind)
        created = _utc_text(session.created_at, "created_at")
        seen = _utc_text(session.seen_at, "seen_at")

        def write(con: sqlite3.Connection) -> None:
            if con.execute("SELECT 1 FROM sessions WHERE key = ?", (session.key,)).fetchone():
                raise AccountError(f"a session with key {session.key!r} exists already")
            con.execute(
                f"INSERT INTO sessions ({_SESSION_COLUMNS}) VALUES (?,?,?,?,?,?)",
                (session.key, session.kind, session.login, session.csrf, created, seen),
            )

        self._account_write_again("session", write)

    def session(self, key: str) -> Session | None:
        rows = self._rows(f"SELECT {_SESSION_COLUMNS} FROM sessions WHERE key = ?", (key,))
        if not rows:
            return None
        key, kind, login, csrf, created, seen = rows[0]
        return Session(key, kind, login, csrf, parse_time(created), parse_time(seen))

    def touch_session(self, key: str, at: dt.datetime) -> None:
        seen = _utc_text(at, "at")
        sql = "UPDATE sessions SET seen_at = ? WHERE key = ?"
        self._account_write_again("session", lambda con: con.execute(sql, (seen, key)))

    def end_session(self, key: str) -> None:
        with self._account_write("session") as con:
            con.execute("DELETE FROM sessions WHERE key = ?", (key,))

    def end_sessions(self, kind: str, login: str) -> int:
        _check_kind(kind)
        with self._account_write("sessions") as con:
            return _end_sessions(con, kind, login)

    def end_idle_sessions(self, seen_before: dt.datetime) -> int:
        before = _utc_text(seen_before, "seen_before")
        # Most sweeps (one per sign-in) find nothing: looked for first, as a write would
        # queue behind every other sign-in's writes and hold back the store's readers.
        idle = "SELECT 1 FROM sessions WHERE seen_at < ? LIMIT 1"
        if self._connect().execute(idle, (before,)).fetchone() is None:
            return 0
        with self._account_write("sessions") as con:
            return con.execute("DELETE FROM sessions WHERE seen_at < ?", (before,)).rowcount

    # --- wall displays -----------------------------------------------------------------
    def add_display(self, display: Display, token_hash: str) -> None:
        if not display.name or display.name != display.name.strip():
            raise AccountError(f"display name {display.name!r}: empty or spaces at its ends")
        created = _utc_text(display.created_at, "created_at")
        with self._account_write("display") as con:
            if con.execute("SELECT 1 FROM displays WHERE name = ?", (display.name,)).fetchone():
                raise AccountError(f"display {display.name!r} exists already")
            sql = "SELECT name FROM displays WHERE token_hash = ?"
            if con.execute(sql, (token_hash,)).fetchone():
                raise AccountError(f"display {display.name!r}: its token is another display's")
            con.execute(
                f"INSERT INTO displays ({_DISPLAY_COLUMNS}, token_hash) VALUES (?,?,?,?,?)",
                (display.name, display.scope, created, int(display.revoked), token_hash),
            )

    def display_for(self, token_hash: str) -> Display | None:
        sql = f"SELECT {_DISPLAY_COLUMNS} FROM displays WHERE token_hash = ? AND revoked = 0"
        rows = self._rows(sql, (token_hash,))
        return _display(rows[0]) if rows else None

    def displays(self) -> list[Display]:
        rows = self._rows(f"SELECT {_DISPLAY_COLUMNS} FROM displays ORDER BY name")
        return [_display(row) for row in rows]

    def revoke_display(self, name: str) -> None:
        with self._account_write("display") as con:
            cur = con.execute("UPDATE displays SET revoked = 1 WHERE name = ?", (name,))
            if cur.rowcount == 0:
                raise AccountError(f"no display named {name!r}")
            _end_sessions(con, "display", name)

    # --- what an account links to ---------------------------------------------------------
    def person(self, person_id: str) -> dict | None:
        sql = "SELECT id, name, phone FROM persons WHERE id = ?"
        row = self._connect().execute(sql, (person_id,)).fetchone()
        return dict(zip(("id", "name", "phone"), row, strict=True)) if row else None

    def organisation(self, org_id: str) -> dict | None:
        sql = "SELECT id, kind, name, area_code FROM organisations WHERE id = ?"
        row = self._connect().execute(sql, (org_id,)).fetchone()
        return dict(zip(("id", "kind", "name", "area_code"), row, strict=True)) if row else None

    # --- audit trail -------------------------------------------------------------------
    def audit(
        self, at: dt.datetime, actor: str, address: str, action: str, target: str, outcome: str
    ) -> AuditEntry:
        fields_ = (actor, address, action, target, outcome)
        for name, value in zip(_AUDIT_FIELDS, fields_, strict=True):
            if not isinstance(value, str):
                raise ValueError(f"audit entry: {name} must be text, not {type(value).__name__}")
        return self._account_write_again(
            "audit entry", lambda con: append_audit(con, self.path, at, fields_)
        )

    def audit_entries(
        self, since: dt.datetime | None = None, actor: str | None = None, limit: int | None = None
    ) -> list[AuditEntry]:
        where, params = [], []
        if since is not None:
            where.append("at >= ?")
            params.append(_utc_text(since, "since"))
        if actor is not None:
            where.append("actor = ?")
            params.append(actor)
        sql = f"SELECT {_AUDIT_COLUMNS} FROM audit"
        if where:
            sql += " WHERE " + " AND ".join(where)
        sql += " ORDER BY seq DESC"
        if limit is not None:
            if limit < 0:
                raise ValueError(f"audit entries: limit must be 0 or more, not {limit}")
            sql += " LIMIT ?"
            params.append(limit)
        rows = self._rows(sql, params)
        return [_audit_entry(row) for row in reversed(rows)]

    def audit_head(self) -> tuple[int, str] | None:
        if int(self.schema_version) < ACCOUNTS_SINCE:
            return None
        return _read_head(self._connect(), self.path)

    # --- helpers -----------------------------------------------------------------------
    def _rows(self, sql: str, params: Sequence = ()) -> list[tuple]:
        if int(self.schema_version) < ACCOUNTS_SINCE:
            return []  # an old store opened read-only: no account tables, nobody in them
        return self._connect().execute(sql, list(params)).fetchall()

    def _account_write_again(self, what: str, write: Callable[[sqlite3.Connection], T]) -> T:
        """`write` in an account write; made once more on a new connection when the first
        lost its connection before committing (the database restarted): the writes people
        make by looking (audit entries, sessions) then outlast a restart unnoticed."""
        try:
            with self._account_write(what) as con:
                return write(con)
        except ConnectionLost:
            log.warning("%s: %s lost with its connection; writing it again", self.path, what)
        with self._account_write(what) as con:
            return write(con)

    @contextmanager
    def _account_write(self, what: str) -> Iterator[sqlite3.Connection]:
        """A transaction for an account write (the revision is left alone); SQLite's
        errors become StoreError naming the file and what was not written."""
        if int(self.schema_version) < ACCOUNTS_SINCE:
            raise StoreError(
                f"{self.path}: store schema version {self.schema_version} has no accounts"
                f" and was opened read-only: open it writable once to upgrade it"
            )
        if not self._account_writes.acquire(timeout=ACCOUNT_WRITE_WAIT):
            raise StoreError(f"{self.path}: {what} not written (other writes queued); try again")
        try:
            with self._transaction(data=False) as con:
                yield con
        except self._errors as exc:
            raise StoreError(f"{self.path}: {what} not written ({exc})") from exc
        finally:
            self._account_writes.release()


def _check_login(login: str) -> None:
    # ":" and "-" would read as a display or as nobody in the audit trail's actor column.
    if not login or login != login.strip() or ":" in login or login == "-":
        raise AccountError(
            f"login {login!r} refused: a login is not empty, has no spaces at its ends"
            " and no ':', and is not '-'"
        )


def _check_kind(kind: str) -> None:
    if kind not in SESSION_KINDS:
        raise AccountError(f"unknown session kind {kind!r} (kinds: {', '.join(SESSION_KINDS)})")


def _checked_grants(login: str, grants: Sequence[Grant]) -> list[Grant]:
    """The grants without repeats; AccountError for a scope a role does not take or lacks."""
    checked = []
    for grant in dict.fromkeys(grants):
        kind = SCOPE_KINDS[grant.role]
        if kind is None and grant.scope:
            raise AccountError(
                f"account {login!r}: role {grant.role} takes no scope (got {grant.scope!r})"
            )
        if kind is not None and not grant.scope and grant.role != "grid_worker":
            raise AccountError(f"account {login!r}: role {grant.role} needs a scope (a {kind})")
        checked.append(grant)
    return checked


def _insert_grants(con: sqlite3.Connection, login: str, grants: Sequence[Grant]) -> None:
    con.executemany(
        "INSERT INTO user_grants (login, role, scope) VALUES (?,?,?) ON CONFLICT DO NOTHING",
        [(login, g.role, g.scope or "") for g in grants],
    )


def _update_user(con: sqlite3.Connection, login: str, assignments: str, params: tuple) -> None:
    cur = con.execute(f"UPDATE users SET {assignments} WHERE login = ?", (*params, login))
    if cur.rowcount == 0:
        raise AccountError(f"no account named {login!r}")


def _end_sessions(con: sqlite3.Connection, kind: str, login: str) -> int:
    cur = con.execute("DELETE FROM sessions WHERE kind = ? AND login = ?", (kind, login))
    return cur.rowcount


def _audit_tail(con: sqlite3.Connection, path: Path) -> tuple[int, str]:
    """(seq, hash) to chain the next entry to: the last row's, or the recorded head's when
    it is further on (rows were deleted behind the store's back: the gap must stay seen)."""
    row = con.execute("SELECT seq, hash FROM audit ORDER BY seq DESC LIMIT 1").fetchone()
    last = (row[0], row[1]) if row else (0, GENESIS)
    head = _read_head(con, path)
    return head if head is not None and head[0] > last[0] else last


def append_audit(
    con: sqlite3.Connection, path: Path, at: dt.datetime, fields_: tuple[str, ...]
) -> AuditEntry:
    """Add an entry (actor, address, action, target, outcome) to the chain, inside the
    caller's write transaction (an account write, or a data write it belongs to)."""
    at_text = _utc_text(at, "at")
    at = parse_time(at_text)  # the hash is over the time as it reads back
    seq, prev = _audit_tail(con, path)
    seq += 1
    digest = entry_hash(prev, seq, at, *fields_)
    con.execute(
        f"INSERT INTO audit ({_AUDIT_COLUMNS}) VALUES (?,?,?,?,?,?,?,?,?)",
        (seq, at_text, *fields_, prev, digest),
    )
    con.execute(
        "INSERT INTO gridboard_meta VALUES ('audit_head', ?) ON CONFLICT (key)"
        " DO UPDATE SET value = excluded.value",
        (f"{seq}:{digest}",),
    )
    return AuditEntry(seq, at, *fields_, prev, digest)


def _read_head(con: sqlite3.Connection, path: Path) -> tuple[int, str] | None:
    row = con.execute("SELECT value FROM gridboard_meta WHERE key = 'audit_head'").fetchone()
    if row is None:
        return None
    seq, sep, digest = str(row[0]).partition(":")
    if not sep or not seq.isdigit():
        raise StoreError(f"{path}: audit_head {row[0]!r} is not 'seq:hash'")
    return int(seq), digest


def _user(row: tuple, grants: Sequence[tuple]) -> User:
    login, name, password_hash, person_id, disabled, must_change, failed, locked, created = row
    made = [Grant(role, scope or None) for role, scope in grants]
    return User(
        login=login,
        name=name,
        grants=tuple(sorted(made, key=lambda g: (ROLES.index(g.role), g.scope or ""))),
        password_hash=password_hash,
        person_id=person_id,
        disabled=bool(disabled),
        must_change=bool(must_change),
        failed_logins=failed,
        locked_until=parse_time(locked),
        created_at=parse_time(created),
    )


def _display(row: tuple) -> Display:
    name, scope, created, revoked = row
    return Display(name, scope or None, parse_time(created), bool(revoked))


def _audit_entry(row: tuple) -> AuditEntry:
    seq, at, *rest = row
    return AuditEntry(seq, parse_time(at), *rest)


def _utc_text(at: dt.datetime | None, name: str) -> str | None:
    """`at` as fixed-width ISO-8601 UTC text (so text order is time order), or None."""
    if at is None:
        return None
    if not isinstance(at, dt.datetime) or at.utcoffset() is None:
        raise ValueError(f"{name} must be a timezone-aware datetime, not {at!r}")
    return at.astimezone(dt.UTC).isoformat(timespec="microseconds")


def parse_time(text: str | None) -> dt.datetime | None:
    """A stored time (ISO text, UTC) as an aware datetime; None stays None."""
    return None if text is None else dt.datetime.fromisoformat(text)
