"""The supervisor's work queue: /cases (tabs, filters, a case's drawer) and /cases/act (its
actions, each a form with the session's CSRF token and the case's version)."""

from __future__ import annotations

import datetime as dt
from urllib.parse import urlencode

import flask
from flask import Response, request

from dashboard import context
from dashboard.i18n import t
from dashboard.readers import cases as reader
from dashboard.signin import from_session_form, language, render
from geodata.casework import DESK_ROLES, Action
from geodata.model import Level
from geodata.store import QUEUE_TABS, QueueFilter, StoreError

PATH = "/cases"
ACT_PATH = "/cases/act"
NEW_PATH = "/cases/new"
_KEPT = ("tab", "community", "category", "source", "assignee", "lang")  # a queue's address
DONE = {*(a.value for a in Action), "record"}  # what a finished form may say it did
NEEDS_NOTE = {"reject", "return", "resolve", "verify_fail", "ask_extension", "refuse_extension"}


def install(server: flask.Flask) -> None:
    """Add /cases and /cases/act to `server` (the gate lets in the roles of PAGE_ROLES)."""
    server.add_url_rule(PATH, "cases", _page)
    server.add_url_rule(ACT_PATH, "cases_act", _act, methods=["POST"])
    server.add_url_rule(NEW_PATH, "cases_new", _new, methods=["POST"])


def _narrowed(args) -> QueueFilter:
    def value(key: str) -> str | None:
        return (args.get(key) or "").strip()[:64] or None

    return QueueFilter(value("community"), value("category"), value("source"), value("assignee"))


def _page(problem: str = "", status: int = 200, args=None) -> Response:
    """The queue (and a case's drawer) as `args` ask (default: the address's query; a
    refused action's form, to show its case again)."""
    src, who, lang = context.source(), context.principal(), language()
    args = request.args if args is None else args
    tab = args.get("tab") or QUEUE_TABS[0]
    shown = reader.queue(src, who, tab, _narrowed(args), dt.datetime.now(dt.UTC))
    drawer = None
    case_id = (args.get("case") or "").strip()
    if case_id:
        drawer = reader.drawer(src, who, case_id)
        if drawer is None:
            problem = problem or t("cases.problem.no_case", lang)
        elif drawer.personal:
            context.audit("case_view", f"case={case_id}")
    kept = {k: args.get(k) for k in _KEPT if args.get(k)}
    return render(
        "cases.html",
        status,
        queue=shown,
        tabs=QUEUE_TABS,
        drawer=drawer,
        problem=problem,
        done=args.get("done", "") if args.get("done", "") in DONE else "",
        desk=bool(DESK_ROLES & set(who.roles)),
        sources=reader.DESK_SOURCES,
        kept=kept,
        query=lambda **change: urlencode({**kept, **change}),
        categories=_category_names(src, lang),
        communities=_communities(src, who),
        narrowed=_narrowed(args),
        needs_note=NEEDS_NOTE,
        when=reader.local_text,
    )


def _act() -> Response:
    lang = language()
    if not from_session_form():
        return _page(t("login.expired", lang), 400, request.form)
    problem = reader.act(
        context.source(), context.principal(), request.form, context.client_address()
    )
    if problem is not None:
        key = f"cases.problem.{problem}"
        text = t(key, lang) if key in _known_problems() else problem
        return _page(text, 409, request.form)
    kept = {k: request.form.get(k) for k in _KEPT if request.form.get(k)}
    action = request.form.get("action", "")
    kept.update(case=request.form.get("case", ""), done=action)
    return flask.redirect(f"{PATH}?{urlencode(kept)}", code=303)


def _new() -> Response:
    lang = language()
    if not from_session_form():
        return _page(t("login.expired", lang), 400)
    who = context.principal()
    if not DESK_ROLES & set(who.roles):
        return _page(t("cases.problem.not_desk", lang), 403)
    try:
        case_id = reader.record(context.source(), who, request.form, dt.datetime.now(dt.UTC))
    except ValueError as exc:
        return _page(t(f"cases.problem.{exc}", lang), 400)
    except StoreError:
        return _page(t("cases.problem.not_written", lang), 409)
    context.audit("case_record", f"case={case_id}")
    kept = {"lang": language(), "tab": "reported", "case": case_id, "done": "record"}
    return flask.redirect(f"{PATH}?{urlencode(kept)}", code=303)


def _known_problems() -> set[str]:
    return {f"cases.problem.{p}" for p in ("no_case", "bad_form", "bad_assignee", "not_written")}


def _category_names(src, lang: str) -> dict[str, str]:
    return {c.code: c.name(lang) for c in src.store.categories()}


def _communities(src, who) -> list[tuple[str, str]]:
    frame = src.store.areas(Level.COMMUNITY)
    inside = who.sees.rows_inside(frame, "community") if len(frame) else []
    rows = frame[inside] if len(frame) else frame
    return sorted(zip(rows["code"].astype(str), rows["name"].astype(str), strict=True))
