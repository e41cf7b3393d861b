"""Sessions and sign-in: the session cookie, checked against the store, and the login rules."""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import secrets
from dataclasses import dataclass

from geodata.accounts import Display, Session, User
from geodata.store import Store

from .passwords import DUMMY_HASH, verify_password

COOKIE = "gridboard_session"
LOGIN_CSRF_COOKIE = "gridboard_login"  # the login form's own token, before any session
MAX_FAILED = 5  # wrong passwords in a row that lock an account …
LOCK_TIME = dt.timedelta(minutes=15)  # … for this long
TOUCH_EVERY = dt.timedelta(minutes=1)  # a session's last use is written at most this often
SECRET_CHARS = 200  # a longer cookie is no secret of ours: not even hashed
LOGIN_CHARS = 64  # a typed user name is kept in the audit trail cut to this length


def now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def digest(secret: str) -> str:
    """What the store keeps of a cookie secret or a display token: its sha256."""
    return hashlib.sha256(secret.encode("utf-8")).hexdigest()


def same_token(a: str | None, b: str | None) -> bool:
    """Constant-time comparison of two tokens; False when either is missing."""
    return bool(a) and bool(b) and hmac.compare_digest(str(a), str(b))


@dataclass(frozen=True)
class Signed:
    """A request's valid session and who holds it (a user, or a wall display)."""

    session: Session
    user: User | None = None
    display: Display | None = None


def start(store: Store, kind: str, login: str) -> str:
    """A new session for a user or display; returns the cookie secret (kept only hashed)."""
    secret = secrets.token_urlsafe(32)
    at = now()
    store.add_session(Session(digest(secret), kind, login, secrets.token_urlsafe(24), at, at))
    return secret


def stored_session(store: Store, secret: str | None) -> Session | None:
    """The store's session of a cookie secret, as stored (idle or not), or None."""
    if not secret or len(secret) > SECRET_CHARS:
        return None
    return store.session(digest(secret))


def resume(store: Store, secret: str | None, idle: dt.timedelta) -> Signed | None:
    """The session of a cookie secret if it is known, not idle too long, and its user is still
    enabled (or its display not revoked); None otherwise (a stale session is forgotten)."""
    session = stored_session(store, secret)
    if session is None:
        return None
    key = session.key
    at = now()
    holder = _holder(store, session)
    if holder is None or at - session.seen_at > idle:
        store.end_session(key)
        return None
    if at - session.seen_at > TOUCH_EVERY:
        store.touch_session(key, at)
    if session.kind == "user":
        return Signed(session, user=holder)  # type: ignore[arg-type]
    return Signed(session, display=holder)  # type: ignore[arg-type]


def _holder(store: Store, session: Session) -> User | Display | None:
    if session.kind == "user":
        user = store.user(session.login)
        return user if user is not None and not user.disabled else None
    display = next((d for d in store.displays() if d.name == session.login), None)
    return display if display is not None and not display.revoked else None


@dataclass(frozen=True)
class Attempt:
    """What a login attempt came to: the user signed in (or None), and what the audit trail
    records (action, outcome)."""

    user: User | None
    action: str
    outcome: str


def attempt(store: Store, login: str, password: str) -> Attempt:
    """Check a login: the same answer, and about the same time, whether or not `login` exists;
    a locked or disabled account is refused even with the right password."""
    user = store.user(login) if login else None
    if user is None:
        verify_password(DUMMY_HASH, password)
        return Attempt(None, "login_failed", "unknown user")
    at = now()
    if user.disabled:
        verify_password(DUMMY_HASH, password)
        return Attempt(None, "login_failed", "disabled")
    if user.locked_until is not None and user.locked_until > at:
        verify_password(DUMMY_HASH, password)
        return Attempt(None, "login_failed", "locked")
    if not verify_password(user.password_hash, password):
        if user.locked_until is not None and user.locked_until <= at:
            store.login_succeeded(user.login)  # a lock served in full starts the count afresh
        failed = store.login_failed(user.login, at, at + LOCK_TIME, lock_from=MAX_FAILED)
        if failed == MAX_FAILED:
            return Attempt(None, "locked", f"{failed} wrong passwords")
        return Attempt(None, "login_failed", "wrong password")
    if user.failed_logins or user.locked_until is not None:
        # Only when there is a count to clear: in a morning's rush of sign-ins, each write
        # waits for the others and holds back every reader of the store.
        store.login_succeeded(user.login)
    return Attempt(user, "login", "ok")
