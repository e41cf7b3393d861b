"""The grid worker's phone page: /m (today's round, a check-in at a stop, my cases), /m/visit (a
visit's form, stored once per phone-made id) and the page's own script and stylesheet."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any
from urllib.parse import urlencode

import flask
from flask import Response, request

from dashboard import context
from dashboard.i18n import t
from dashboard.readers import mobile as reader
from dashboard.signin import TEMPLATES, from_session_form, language, render

PATH = "/m"
VISIT_PATH = "/m/visit"
SCRIPT_PATH = "/m/mobile.js"
STYLE_PATH = "/m/mobile.css"
DONE = ("stored", "already")


def install(server: flask.Flask) -> None:
    """Add /m, /m/visit and the page's script and stylesheet to `server` (the gate lets in
    the roles of PAGE_ROLES["/m"])."""
    server.add_url_rule(PATH, "mobile", _page)
    server.add_url_rule(VISIT_PATH, "mobile_visit", _visit, methods=["POST"])
    server.add_url_rule(SCRIPT_PATH, "mobile_script", _script)
    server.add_url_rule(STYLE_PATH, "mobile_style", _style)


def _script() -> Response:
    return flask.send_from_directory(TEMPLATES, "mobile.js", mimetype="text/javascript")


def _style() -> Response:
    return flask.send_from_directory(TEMPLATES, "mobile.css", mimetype="text/css")


def _page(problem: str = "", status: int = 200, args: Mapping[str, Any] | None = None) -> Response:
    """The page as `args` ask (default: the address's query; a refused visit's form, to show
    its stop again): the round, the stop checked in at, the worker's cases."""
    src, who, lang = context.source(), context.principal(), language()
    args = request.args if args is None else args
    worker_id = reader.worker_of(who)
    if worker_id is None:
        return render("mobile.html", 403, **_empty(t("mobile.problem.not_worker", lang)))
    day = reader.today()
    found = reader.todays_round(src, worker_id, day)
    checkin = _checkin(found, args, lang)
    problem = problem or checkin.pop("problem", "")
    done = args.get("done", "") if args.get("done", "") in DONE else ""
    return render(
        "mobile.html",
        status,
        round=found,
        round_problem=_round_problem(found, lang),
        checkin=checkin,
        cases=reader.my_cases(src, who, dt.datetime.now(dt.UTC)),
        categories={c.code: c.name(lang) for c in src.store.categories()},
        problem=problem,
        done=done,
        done_distance=_metres(args.get("dist")),
        visit_id=reader.new_visit_id(),
        worker_name=who.name,
        near_m=int(reader.NEAR_M),
    )


def _empty(problem: str) -> dict[str, Any]:
    return {"round": None, "round_problem": "", "checkin": {}, "cases": [], "problem": problem,
            "done": "", "done_distance": None, "visit_id": "", "worker_name": "", "categories": {},
            "near_m": int(reader.NEAR_M)}  # fmt: skip


def _round_problem(found: reader.Round, lang: str) -> str:
    if found.problem is None:
        return ""
    return t(found.problem, lang, **found.problem_args)


def _checkin(found: reader.Round, args: Mapping[str, Any], lang: str) -> dict[str, Any]:
    """The stop checked in at (?stop=&checkin=1, with the phone's lon/lat when it gave them):
    the stop, the distance to it and whether it is flagged; {} when none was asked for."""
    stop_id = str(args.get("stop") or "")
    if not stop_id:
        return {}
    stop = reader.find_stop(found, stop_id)
    if stop is None:
        return {"problem": t("mobile.problem.no_stop", lang)}
    where = reader.location(args)
    if where == "bad":
        return {"problem": t("mobile.problem.bad_location", lang)}
    distance = None
    if isinstance(where, tuple):
        distance = reader.distance_m(where[0], where[1], stop.lon, stop.lat)
    return {
        "stop": stop,
        "lon": args.get("lon", "") if where else "",
        "lat": args.get("lat", "") if where else "",
        "distance": None if distance is None else round(distance),
        "flagged": reader.far(distance),
    }


def _metres(raw: object) -> int | None:
    text = str(raw or "")
    return int(text) if text.isdigit() and len(text) <= 6 else None


def _visit() -> Response:
    lang, who = language(), context.principal()
    if not from_session_form():
        return _page(t("login.expired", lang), 400, request.form)
    outcome = reader.record_visit(context.source(), who, request.form, reader.today())
    if outcome.status == "refused":
        context.audit("visit_record", _target(outcome, request.form), "refused")
        text = t(f"mobile.problem.{outcome.problem}", lang, **outcome.problem_args)
        return _page(text, 403 if outcome.problem == "not_worker" else 400, request.form)
    context.audit("visit_record", _target(outcome, request.form), outcome.status)
    kept = {"lang": lang, "done": outcome.status}
    if outcome.distance_m is not None:
        kept["dist"] = str(round(outcome.distance_m))
    return flask.redirect(f"{PATH}?{urlencode(kept)}", code=303)


def _target(outcome: reader.Outcome, form: Mapping[str, str]) -> str:
    """The audit entry's target: the visit and what it said (residents met and the check-in
    distance live here until the visits table has columns for them; notes are not kept)."""
    parts = {
        "visit": outcome.visit_id or "-",
        "building": str(form.get("building") or "-")[:80],
        "problem": outcome.problem or None,
        "residents_met": reader.residents_met(form) if outcome.status == "stored" else None,
        "distance_m": None if outcome.distance_m is None else round(outcome.distance_m),
        "far": int(reader.far(outcome.distance_m)) if outcome.status == "stored" else None,
    }
    return " ".join(f"{k}={v}" for k, v in parts.items() if v is not None)
