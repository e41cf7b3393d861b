"""Accounts, sessions, display tokens and the audit trail: what a store keeps about who looks."""

from __future__ import annotations

import abc
import datetime as dt
import hashlib
import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

# Roles, in the order the README and the header name them.
ROLES = ("city", "street", "community", "property", "grid_worker", "admin")
# What a role's scope code names: a street or community code, a property company's
# organisation id, a grid cell code; city and admin take none (a grid worker may take none:
# then the grid cells of the staff person the account is linked to).
SCOPE_KINDS = {
    "city": None,
    "street": "street",
    "community": "community",
    "property": "organisation",
    "grid_worker": "grid",
    "admin": None,
}
SESSION_KINDS = ("user", "display")
GENESIS = "0" * 64  # the `prev` of the first audit entry


class AccountError(ValueError):
    """A change to accounts the store refuses (unknown login, duplicate, bad role or scope)."""


@dataclass(frozen=True)
class Grant:
    """One role of an account, over one scope code (None where the role takes none)."""

    role: str
    scope: str | None = None

    def __post_init__(self) -> None:
        if self.role not in ROLES:
            raise AccountError(f"unknown role {self.role!r} (roles: {', '.join(ROLES)})")


@dataclass(frozen=True)
class User:
    """An account. `password_hash` is an argon2id hash string, never a password."""

    login: str
    name: str
    grants: tuple[Grant, ...]
    password_hash: str = field(repr=False)
    person_id: str | None = None  # the staff person (persons.id) this account is
    disabled: bool = False
    must_change: bool = True  # a one-time password: changed at first login
    failed_logins: int = 0  # wrong passwords since the last good one
    locked_until: dt.datetime | None = None  # aware UTC; None: not locked
    created_at: dt.datetime | None = None

    @property
    def roles(self) -> tuple[str, ...]:
        return tuple(dict.fromkeys(g.role for g in self.grants))


@dataclass(frozen=True)
class Session:
    """A signed-in browser: a user's, or a wall display's (then `login` is the display name).
    The store keeps only the sha256 of the cookie's secret (`key`)."""

    key: str
    kind: str
    login: str
    csrf: str
    created_at: dt.datetime
    seen_at: dt.datetime


@dataclass(frozen=True)
class Display:
    """A wall display's token (the store keeps only its sha256) and scope (None: the city)."""

    name: str
    scope: str | None
    created_at: dt.datetime
    revoked: bool = False


@dataclass(frozen=True)
class AuditEntry:
    """One line of the append-only audit trail; `hash` chains it to the entry before."""

    seq: int
    at: dt.datetime  # aware UTC
    actor: str  # a login, "display:NAME", or "-" for nobody signed in
    address: str  # the client's address, or "cli"
    action: str  # login, login_failed, logout, locked, user_change, refused, personal_data …
    target: str  # what was looked at or changed: area or case ids, a login, a path
    outcome: str  # ok, refused, failed
    prev: str
    hash: str


def entry_hash(prev: str, seq: int, at: dt.datetime, *fields_: str) -> str:
    """The hash of an audit entry: sha256 over the previous hash and the entry's fields."""
    body = json.dumps([prev, seq, at.isoformat(), *fields_], ensure_ascii=False)
    return hashlib.sha256(body.encode("utf-8")).hexdigest()


def first_broken(entries: Iterable[AuditEntry], head: tuple[int, str] | None) -> str | None:
    """Why the chain of `entries` (by seq) is not intact, naming the first bad entry, or
    None. `head` is the (seq, hash) the store recorded with its latest entry."""
    prev, expected_seq = GENESIS, 1
    for e in entries:
        if e.seq != expected_seq:
            return f"entry {expected_seq} is missing (found {e.seq} after it)"
        if e.prev != prev:
            return f"entry {e.seq} does not follow entry {e.seq - 1} (its link was changed)"
        fields_ = (e.actor, e.address, e.action, e.target, e.outcome)
        if entry_hash(e.prev, e.seq, e.at, *fields_) != e.hash:
            return f"entry {e.seq} was changed after it was written"
        prev, expected_seq = e.hash, expected_seq + 1
    last = (expected_seq - 1, prev)
    if head is not None and head != last and not (head[0] == 0 and last[0] == 0):
        return f"entries after {last[0]} were deleted (the trail ended at {head[0]})"
    return None


class AccountStore(abc.ABC):
    """The accounts part of a store. Nothing here changes the data revision (the map's
    caches stay warm while people sign in and the audit trail grows)."""

    # --- users -------------------------------------------------------------------------
    @abc.abstractmethod
    def add_user(self, user: User) -> None:
        """Add an account; AccountError if the login exists."""

    @abc.abstractmethod
    def user(self, login: str) -> User | None:
        """The account `login`, or None."""

    @abc.abstractmethod
    def users(self) -> list[User]:
        """Every account, by login."""

    @abc.abstractmethod
    def set_password(self, login: str, password_hash: str, *, must_change: bool) -> None:
        """A new password hash; ends the account's sessions and clears its lock-out."""

    @abc.abstractmethod
    def set_disabled(self, login: str, disabled: bool) -> None:
        """Disable or enable; disabling ends the account's sessions."""

    @abc.abstractmethod
    def set_grants(self, login: str, grants: Sequence[Grant]) -> None:
        """Replace the account's roles and scopes; ends its sessions."""

    @abc.abstractmethod
    def login_failed(
        self, login: str, at: dt.datetime, lock_until: dt.datetime | None, lock_from: int = 1
    ) -> int:
        """Count a wrong password; the new count. Lock until `lock_until` (if given) when the
        new count reaches `lock_from`, decided in the same write, so that wrong passwords
        arriving at once cannot slip past the limit."""

    @abc.abstractmethod
    def login_succeeded(self, login: str) -> None:
        """Reset the wrong-password count and lock."""

    # --- sessions ----------------------------------------------------------------------
    @abc.abstractmethod
    def add_session(self, session: Session) -> None:
        """Keep a new session."""

    @abc.abstractmethod
    def session(self, key: str) -> Session | None:
        """The session whose key (sha256 of the cookie secret) is `key`, or None."""

    @abc.abstractmethod
    def touch_session(self, key: str, at: dt.datetime) -> None:
        """The session was used at `at`."""

    @abc.abstractmethod
    def end_session(self, key: str) -> None:
        """Forget one session (logout)."""

    @abc.abstractmethod
    def end_sessions(self, kind: str, login: str) -> int:
        """Forget every session of a user or display; how many there were."""

    @abc.abstractmethod
    def end_idle_sessions(self, seen_before: dt.datetime) -> int:
        """Forget every session last used before `seen_before`; how many there were."""

    # --- wall displays -----------------------------------------------------------------
    @abc.abstractmethod
    def add_display(self, display: Display, token_hash: str) -> None:
        """Add a display; AccountError if the name exists."""

    @abc.abstractmethod
    def display_for(self, token_hash: str) -> Display | None:
        """The display, not revoked, whose token hashes to `token_hash`, or None."""

    @abc.abstractmethod
    def displays(self) -> list[Display]:
        """Every display, by name (revoked ones included)."""

    @abc.abstractmethod
    def revoke_display(self, name: str) -> None:
        """Revoke a display's token and end its sessions; AccountError if unknown."""

    # --- API keys of the Open311 door ------------------------------------------------------
    @abc.abstractmethod
    def add_api_key(self, name: str, key_hash: str, at: dt.datetime) -> None:
        """Add a key (only its hash); AccountError if the name exists."""

    @abc.abstractmethod
    def api_key_name(self, key_hash: str) -> str | None:
        """The name of the key, not revoked, that hashes to `key_hash`, or None."""

    @abc.abstractmethod
    def api_keys(self) -> list[tuple[str, str, bool]]:
        """Every key: (name, created at, revoked), by name."""

    @abc.abstractmethod
    def revoke_api_key(self, name: str) -> None:
        """Revoke a key; AccountError if unknown."""

    # --- what an account links to ---------------------------------------------------------
    @abc.abstractmethod
    def person(self, person_id: str) -> dict | None:
        """{id, name, phone} of a staff person (persons table), or None."""

    @abc.abstractmethod
    def organisation(self, org_id: str) -> dict | None:
        """{id, kind, name, area_code} of an organisation (organisations table), or None."""

    # --- audit trail -------------------------------------------------------------------
    @abc.abstractmethod
    def audit(
        self, at: dt.datetime, actor: str, address: str, action: str, target: str, outcome: str
    ) -> AuditEntry:
        """Append one entry to the trail, chained to the one before (in one transaction)."""

    @abc.abstractmethod
    def audit_entries(
        self, since: dt.datetime | None = None, actor: str | None = None, limit: int | None = None
    ) -> list[AuditEntry]:
        """Entries by seq (oldest first), from `since`, of `actor`; the newest `limit` ones."""

    @abc.abstractmethod
    def audit_head(self) -> tuple[int, str] | None:
        """(seq, hash) recorded with the latest entry, or None before the first."""
