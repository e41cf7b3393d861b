"""The supervisor's work queue: /cases (tabs, filters, a case's drawer; posted to: a bulk
dispatch), /cases/act (a case's actions, each a form with the session's CSRF token and the
case's version; a resolve may bring a photo), /cases/new (a desk call: the form, prefilled
with an area, and its post) and /cases/photo (a case photo)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any
from urllib.parse import urlencode

import flask
from flask import Response, request

from dashboard import context, mobile
from dashboard.i18n import t
from dashboard.readers import cases as reader
from dashboard.signin import from_session_form, language, render
from geodata import photos
from geodata.casework import DESK_ROLES, Action
from geodata.model import Level
from geodata.store import QUEUE_TABS, QueueFilter, StoreError

PATH = "/cases"
ACT_PATH = "/cases/act"
NEW_PATH = "/cases/new"
PHOTO_PATH = "/cases/photo"
FORM_BYTES = 200_000  # an action's form besides its photo
_KEPT = ("tab", "community", "category", "source", "assignee", "lang")  # a queue's address
DONE = {*(a.value for a in Action), "record"}  # what a finished form may say it did
NEEDS_NOTE = {"reject", "return", "resolve", "verify_fail", "ask_extension", "refuse_extension"}


def install(server: flask.Flask) -> None:
    """Add /cases, /cases/act and /cases/new to `server` (the gate lets in the roles of
    PAGE_ROLES)."""
    server.add_url_rule(PATH, "cases", _page)
    server.add_url_rule(PATH, "cases_bulk", _bulk, methods=["POST"])
    server.add_url_rule(ACT_PATH, "cases_act", _act, methods=["POST"])
    server.add_url_rule(NEW_PATH, "cases_new_form", _new_form)
    server.add_url_rule(NEW_PATH, "cases_new", _new, methods=["POST"])
    server.add_url_rule(PHOTO_PATH, "cases_photo", _photo)
    server.register_error_handler(413, _too_large)


def _narrowed(args) -> QueueFilter:
    def value(key: str) -> str | None:
        return (args.get(key) or "").strip()[:64] or None

    return QueueFilter(value("community"), value("category"), value("source"), value("assignee"))


def _page(
    problem: str = "",
    status: int = 200,
    args=None,
    bulk: Mapping[str, Any] | None = None,
    new_area: Mapping[str, Any] | None = None,
) -> Response:
    """The queue (and a case's drawer) as `args` ask (default: the address's query; a
    refused action's form, to show its case again). `bulk`: what a bulk dispatch did (how
    many dispatched, each refused case with why); `new_area`: the area the desk-call form
    opens with ({}: open, empty)."""
    src, who, lang = context.source(), context.principal(), language()
    args = request.args if args is None else args
    tab = args.get("tab") or QUEUE_TABS[0]
    shown = reader.queue(src, who, tab, _narrowed(args), dt.datetime.now(dt.UTC))
    desk = bool(DESK_ROLES & set(who.roles))
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
        desk=desk,
        **_bulk_form(src, shown, desk, args),
        bulk=bulk,
        new_area=new_area,
        sources=reader.DESK_SOURCES,
        kept=kept,
        query=lambda **change: urlencode({**kept, **change}),
        categories=_category_names(src, lang),
        communities=_communities(src, who),
        narrowed=_narrowed(args),
        needs_note=NEEDS_NOTE,
        when=reader.local_text,
    )


def _bulk_form(src, shown: reader.Queue, desk: bool, args) -> dict[str, Any]:
    """What the 待派遣 tab's bulk dispatch form needs (a desk's, when cases are listed):
    the organisations offered, the cap, whether every case starts ticked (?pick=all)."""
    shows = desk and shown.tab == "registered" and bool(shown.rows)
    return {
        "bulk_form": shows,
        "bulk_assignees": reader.bulk_assignees(src, shown.rows) if shows else [],
        "bulk_limit": reader.BULK_LIMIT,
        "pick_all": args.get("pick") == "all",
    }


def _act() -> Response:
    lang = language()
    request.max_content_length = photos.MAX_BYTES + FORM_BYTES  # a resolve may carry a photo
    if not from_session_form():
        return _page(t("login.expired", lang), 400, request.form)
    try:
        photo = mobile.form_photo()
    except photos.PhotoError as exc:
        return _page(_photo_refused(exc.kind, lang), 400, request.form)
    problem = reader.act(
        context.source(), context.principal(), request.form, context.client_address(), photo
    )
    if problem is not None:
        return _page(_problem_text(problem, lang), 409, request.form)
    kept = {k: request.form.get(k) for k in _KEPT if request.form.get(k)}
    action = request.form.get("action", "")
    kept.update(case=request.form.get("case", ""), done=action)
    return flask.redirect(f"{PATH}?{urlencode(kept)}", code=303)


def _too_large(error: Exception) -> Response | Exception:
    """An action's form past its limit (a photo over photos.MAX_BYTES): said on the queue, in
    the reader's language (on the phone page's forms, as the phone page says it); any other
    too-large request keeps the plain answer."""
    if request.path in mobile.UPLOAD_PATHS:
        return mobile.too_large(language())
    if request.path != ACT_PATH:
        return error
    return _page(_photo_refused("too_big", language()), 413, {})


def _photo_refused(kind: str, lang: str) -> str:
    """Why a photo was refused (photos.PhotoError.kind), in the reader's language."""
    why = t(f"cases.photo.{kind}", lang, mb=photos.MAX_BYTES // 1_000_000)
    return t("cases.problem.photo", lang, why=why)


def _photo() -> Response:
    """A case photo (?id=), to those who may see residents' data where its case lies; each
    look audited."""
    photo_id = (request.args.get("id") or "").strip()[:64]
    found = reader.photo(context.source(), context.principal(), photo_id)
    if found is None:
        return Response(t("cases.problem.no_photo", language()), 404, mimetype="text/plain")
    content, case_id = found
    context.audit("case_photo", f"case={case_id} photo={photo_id}")
    return Response(
        content,
        mimetype=photos.CONTENT_TYPE,
        headers={"Cache-Control": "private, max-age=3600"},
    )


def _bulk() -> Response:
    """A bulk dispatch from the 待派遣 tab: each ticked case through the drawer's dispatch,
    then the queue again with what was dispatched and why each other one was not."""
    lang, who = language(), context.principal()
    refused = _desk_form_refused(lang)
    if refused is not None:
        return refused
    picks = request.form.getlist("case")
    if request.form.get("bulk") != "dispatch":
        return _page(t("cases.problem.bad_form", lang), 400)
    try:
        result = reader.dispatch_many(
            context.source(), who, picks, request.form.get("assignee", ""), context.client_address()
        )
    except ValueError as exc:
        limits = {"limit": reader.BULK_LIMIT, "count": len(picks)}
        return _page(t(f"cases.bulk.problem.{exc}", lang, **limits), 400)
    outside = [case_id for case_id, why in result.refused if why == "no_case"]
    if outside:
        context.audit("case_bulk_dispatch", f"cases={','.join(outside)}", "refused")
    refused = [(case_id, _problem_text(why, lang)) for case_id, why in result.refused]
    shown = {"done": len(result.done), "refused": refused}
    return _page(status=200 if result.done else 409, bulk=shown)


def _desk_form_refused(lang: str) -> Response | None:
    """Why a desk's form is refused (no session token, not a desk), or None."""
    if not from_session_form():
        return _page(t("login.expired", lang), 400)
    if not DESK_ROLES & set(context.principal().roles):
        return _page(t("cases.problem.not_desk", lang), 403)
    return None


def _new_form() -> Response:
    """The queue with the desk-call form open, prefilled with the area `area` of the address
    (a compound or grid cell the desk sees; the map's panel links here)."""
    lang = language()
    who = context.principal()
    if not DESK_ROLES & set(who.roles):
        return _page(t("cases.problem.not_desk", lang), 403)
    area = reader.record_area(context.source(), who, request.args.get("area") or "")
    if area is None:
        return _page(t("cases.problem.bad_area", lang), 400, new_area={})
    return _page(new_area=area)


def _new() -> Response:
    lang, who = language(), context.principal()
    refused = _desk_form_refused(lang)
    if refused is not None:
        return refused
    try:
        case_id = reader.record(context.source(), who, request.form, dt.datetime.now(dt.UTC))
    except ValueError as exc:
        return _page(t(f"cases.problem.{exc}", lang), 400)
    except StoreError:
        return _page(t("cases.problem.not_written", lang), 409)
    context.audit("case_record", f"case={case_id}")
    kept = {"lang": language(), "tab": "reported", "case": case_id, "done": "record"}
    return flask.redirect(f"{PATH}?{urlencode(kept)}", code=303)


def _problem_text(problem: str, lang: str) -> str:
    """Why an action was refused, in `lang`: a reader's problem, or the store's own words."""
    known = ("no_case", "bad_form", "bad_assignee", "not_written")
    return t(f"cases.problem.{problem}", lang) if problem in known else problem


def _category_names(src, lang: str) -> dict[str, str]:
    return {c.code: c.name(lang) for c in src.store.categories()}


def _communities(src, who) -> list[tuple[str, str]]:
    frame = src.store.areas(Level.COMMUNITY)
    inside = who.sees.rows_inside(frame, "community") if len(frame) else []
    rows = frame[inside] if len(frame) else frame
    return sorted(zip(rows["code"].astype(str), rows["name"].astype(str), strict=True))
