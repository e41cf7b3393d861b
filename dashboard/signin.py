"""Signing in and out: the /login, /logout and /password pages, wall-display links, refusals."""

from __future__ import annotations

import datetime as dt
import logging
import re
import secrets
from functools import cache
from pathlib import Path
from typing import Any
from urllib.parse import urlencode, urlsplit

import flask
from flask import Response, g, request
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from jinja2 import FileSystemLoader, StrictUndefined
from jinja2.sandbox import ImmutableSandboxedEnvironment

from dashboard import context
from dashboard.i18n import LANGUAGE_NAMES, LANGUAGES, resolve_language, t
from dashboard.passwords import hash_password, password_problem, verify_password
from dashboard.sessions import (
    COOKIE,
    LOGIN_CHARS,
    LOGIN_CSRF_COOKIE,
    SECRET_CHARS,
    attempt,
    digest,
    same_token,
    start,
    stored_session,
)
from geodata.store import StoreError

TEMPLATES = Path(__file__).resolve().parent / "templates"
LOGIN_TOKEN = re.compile(r"[A-Za-z0-9_-]{32}")  # what token_urlsafe(24) makes
FIELD_CHARS = 1024  # longer user names and passwords are refused before any work

log = logging.getLogger(__name__)


@cache
def _environment() -> ImmutableSandboxedEnvironment:
    """The sign-in pages' templates; data reaches them only as autoescaped values."""
    return ImmutableSandboxedEnvironment(
        loader=FileSystemLoader(TEMPLATES), autoescape=True, undefined=StrictUndefined
    )


def session_token() -> str:
    """The signed-in session's form token ("" before signing in)."""
    signed = g.get("signed")
    return signed.session.csrf if signed is not None else ""


def from_session_form() -> bool:
    """Whether a posted form carries the signed-in session's token."""
    token = session_token()
    return bool(token) and same_token(request.form.get("csrf_token"), token)


def render(name: str, status: int = 200, **values: Any) -> Response:
    """An HTML page from one of our templates, in the request's language; its forms carry
    the session's token unless the page gives its own (the sign-in form)."""
    lang = language()
    values.setdefault("csrf_token", session_token())
    page = (
        _environment()
        .get_template(name)
        .render(
            lang=lang,
            text=lambda key, **kw: t(key, lang, **kw),
            other_languages=[(_in_language(c), LANGUAGE_NAMES[c]) for c in LANGUAGES if c != lang],
            **values,
        )
    )
    return Response(page, status=status, mimetype="text/html")


def _in_language(lang: str) -> str:
    """This page's address in `lang`, keeping the rest of its query (`next`, say)."""
    query = [(k, v) for k, v in request.args.items(multi=True) if k != "lang"]
    return request.path + "?" + urlencode([*query, ("lang", lang)])


def language() -> str:
    return resolve_language(request.args.get("lang"), context.settings().language)


def install(server: flask.Flask, attempts_per_minute: int, redis_url: str = "") -> Limiter:
    """Add the sign-in routes to `server`; sign-in attempts are limited per address, counted
    in Redis when there is one (shared by every app process; each process's own memory while
    Redis is not answering)."""
    limiter = Limiter(
        get_remote_address,
        app=server,
        storage_uri=redis_url or "memory://",
        storage_options={"socket_connect_timeout": 0.5, "socket_timeout": 1.0} if redis_url else {},
        in_memory_fallback_enabled=bool(redis_url),
        swallow_errors=True,
    )
    limit = limiter.limit(
        f"{attempts_per_minute} per minute",
        methods=["POST"],
        on_breach=lambda _limit: _login_form(t("login.too_many", language()), 429),
    )
    server.add_url_rule("/login", "login", limit(_login), methods=["GET", "POST"])
    server.add_url_rule("/logout", "logout", _logout, methods=["POST"])
    server.add_url_rule("/password", "password", _password, methods=["GET", "POST"])
    server.add_url_rule("/login/style.css", "login_style", _style)
    return limiter


def _style() -> Response:
    return flask.send_from_directory(TEMPLATES, "signin.css", mimetype="text/css")


# --- /login ------------------------------------------------------------------------------------
def _login() -> Response:
    if request.method == "GET":
        return _login_form()
    form_token = request.form.get("csrf_token")
    if not same_token(form_token, request.cookies.get(LOGIN_CSRF_COOKIE)):
        context.audit("login_failed", "-", "stale or forged form", actor="-")
        return _login_form(t("login.expired", language()), 400)
    login = request.form.get("username", "").strip()
    password = request.form.get("password", "")
    if not login or len(login) > FIELD_CHARS or not password or len(password) > FIELD_CHARS:
        context.audit("login_failed", login[:LOGIN_CHARS] or "-", "empty or oversized field", "-")
        return _login_form(t("login.failed", language()), 400)
    try:
        return _signed_in(login, password)
    except StoreError as exc:  # the store cannot be written now (a database restarting)
        log.warning("sign-in of %r not answered: %s", login[:LOGIN_CHARS], exc)
        return _login_form(t("login.busy", language()), 503)


def _signed_in(login: str, password: str) -> Response:
    """The answer to a well-formed sign-in: its audit entry written, a session started when
    the password is right; StoreError when the store cannot take the writes."""
    tried = attempt(context.store(), login, password)
    actor = tried.user.login if tried.user else "-"
    context.audit(tried.action, f"login={login[:LOGIN_CHARS]}", tried.outcome, actor=actor)
    if tried.user is None:
        return _login_form(t("login.failed", language()), 401)
    store = context.store()
    store.end_idle_sessions(dt.datetime.now(dt.UTC) - context.settings().idle())  # a sweep
    goal = "/password" if tried.user.must_change else safe_next(request.args.get("next"))
    response = flask.redirect(goal, code=303)
    set_session_cookie(response, start(store, "user", tried.user.login))
    response.delete_cookie(LOGIN_CSRF_COOKIE, path="/login")
    return response


def _login_form(message: str = "", status: int = 200) -> Response:
    # The browser's token, while it holds one: two sign-in tabs (or a form loaded again) must
    # not turn each other's form stale.
    held = request.cookies.get(LOGIN_CSRF_COOKIE, "")
    token = held if LOGIN_TOKEN.fullmatch(held) else secrets.token_urlsafe(24)
    response = render(
        "login.html",
        status,
        message=message,
        csrf_token=token,
        action="/login?"
        + urlencode({k: v for k, v in request.args.items() if k in ("next", "lang")}),
        signed_out=request.args.get("out") == "1",
    )
    _cookie(response, LOGIN_CSRF_COOKIE, token, "Strict", "/login")
    return response


def safe_next(target: str | None) -> str:
    """Where to go after signing in: a path of this app, never another site."""
    if not target or not target.startswith("/") or target.startswith("//"):
        return "/"
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or "\\" in target:
        return "/"
    return target


def login_redirect() -> Response:
    """Send an anonymous visitor of a page to /login, coming back here afterwards."""
    here = request.full_path.rstrip("?")
    query = {"next": here}
    if request.args.get("lang"):
        query["lang"] = request.args["lang"]
    return flask.redirect("/login?" + urlencode(query))


def set_session_cookie(response: Response, secret: str) -> None:
    """The session cookie: never read by scripts, not sent by other sites' forms."""
    _cookie(response, COOKIE, secret, "Lax", "/")


def _cookie(response: Response, name: str, value: str, samesite: str, path: str) -> None:
    """An HttpOnly cookie, Secure when the app is served over TLS (GRIDBOARD_BEHIND_TLS)."""
    secure = context.settings().behind_tls
    response.set_cookie(name, value, httponly=True, samesite=samesite, secure=secure, path=path)


# --- /logout -----------------------------------------------------------------------------------
def _logout() -> Response:
    signed = stored_session(context.store(), request.cookies.get(COOKIE))
    if signed is not None and same_token(request.form.get("csrf_token"), signed.csrf):
        context.store().end_session(signed.key)
        context.audit("logout", f"{signed.kind}={signed.login}", "ok", actor=signed.login)
    response = flask.redirect("/login?out=1", code=303)
    response.delete_cookie(COOKIE, path="/")
    return response


# --- /password ---------------------------------------------------------------------------------
def _password() -> Response:
    signed = g.get("signed")
    if signed is None or signed.user is None:
        return flask.redirect("/login")
    user = signed.user
    if request.method == "GET":
        return _password_form(user.must_change)
    if not from_session_form():
        return _password_form(user.must_change, t("login.expired", language()), 400)
    current = request.form.get("current", "")[:FIELD_CHARS]
    new = request.form.get("new", "")
    problem = _new_password_problem(user, current, new, request.form.get("repeat", ""))
    if problem:
        return _password_form(user.must_change, problem, 400)
    store = context.store()
    store.set_password(user.login, hash_password(new), must_change=False)  # ends its sessions
    context.audit("user_change", f"user={user.login} password changed", "ok")
    response = flask.redirect("/", code=303)
    set_session_cookie(response, start(store, "user", user.login))
    return response


def _new_password_problem(user: Any, current: str, new: str, repeat: str) -> str | None:
    lang = language()
    if not verify_password(user.password_hash, current):
        return t("password.wrong", lang)
    if new != repeat:
        return t("password.mismatch", lang)
    reason = password_problem(new, user.login)
    return t("password.weak", lang, reason=reason) if reason else None


def _password_form(first: bool, message: str = "", status: int = 200) -> Response:
    return render("password.html", status, message=message, first=first)


# --- wall displays and refusals ----------------------------------------------------------------
def display_sign_in(token: str) -> Response:
    """A wall link `/wall?token=…`: a display session, then the wall without the token in the
    address; an unknown or revoked token is refused."""
    store = context.store()
    display = store.display_for(digest(token)) if 0 < len(token) <= SECRET_CHARS else None
    if display is None:
        context.audit("refused", "/wall display token", "refused", actor="-")
        return refused_page("refused.display")
    context.audit("login", f"display={display.name}", "ok", actor=f"display:{display.name}")
    rest = [(k, v) for k, v in request.args.items(multi=True) if k != "token"]
    response = flask.redirect("/wall" + ("?" + urlencode(rest) if rest else ""), code=303)
    set_session_cookie(response, start(store, "display", display.name))
    return response


def refused_page(key: str) -> Response:
    """The plain refusal page (403)."""
    return render("refused.html", 403, message_key=key)
