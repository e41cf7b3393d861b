"""The grid worker's phone page: /m (today's round, a check-in at a stop, my cases), the records
it sends (/m/visit, /m/case, /m/act: each stored once per phone-made id, answered as a page or,
to the page's send queue, as JSON), its script, stylesheet and service worker."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping
from typing import Any
from urllib.parse import urlencode

import flask
from flask import Response, request

from dashboard import context
from dashboard.i18n import t
from dashboard.readers import mobile as reader
from dashboard.readers import phonecases
from dashboard.routesheet import LEAFLET_DIR
from dashboard.signin import TEMPLATES, from_session_form, language, render
from geodata import photos
from geodata.households import TAGS

PATH = "/m"
VISIT_PATH = "/m/visit"
REPORT_PATH = "/m/case"
ACT_PATH = "/m/act"
UPLOAD_PATHS = (REPORT_PATH, ACT_PATH)  # forms that may carry a photo
SCRIPT_PATH = "/m/mobile.js"
STYLE_PATH = "/m/mobile.css"
WORKER_PATH = "/m/sw.js"
LEAFLET_PATH = "/m/<any('leaflet.js', 'leaflet.css'):name>"
DONE = ("stored", "already", "reported", "reported_already", "acted", "acted_already")
QUEUE_HEADER = "X-Gridboard-Queue"  # the page's send queue asks for a JSON answer
FORM_BYTES = 64_000  # a form's fields beside its photo
STATUS_CODES = {"stored": 200, "already": 200, "conflict": 409, "refused": 400}


def install(server: flask.Flask) -> None:
    """Add /m, the addresses its records are sent to, and the page's script, stylesheet,
    service worker and Leaflet to `server` (the gate lets in the roles of PAGE_ROLES["/m"])."""
    server.add_url_rule(PATH, "mobile", _page)
    server.add_url_rule(VISIT_PATH, "mobile_visit", _visit, methods=["POST"])
    server.add_url_rule(REPORT_PATH, "mobile_report", _report, methods=["POST"])
    server.add_url_rule(ACT_PATH, "mobile_act", _act, methods=["POST"])
    server.add_url_rule(SCRIPT_PATH, "mobile_script", _script)
    server.add_url_rule(STYLE_PATH, "mobile_style", _style)
    server.add_url_rule(WORKER_PATH, "mobile_worker", _service_worker)
    server.add_url_rule(LEAFLET_PATH, "mobile_leaflet", _leaflet)


def _script() -> Response:
    return flask.send_from_directory(TEMPLATES, "mobile.js", mimetype="text/javascript")


def _style() -> Response:
    return flask.send_from_directory(TEMPLATES, "mobile.css", mimetype="text/css")


def _leaflet(name: str) -> Response:
    """The pinned Leaflet, from the project's node_modules (the small map draws without tiles)."""
    return flask.send_from_directory(LEAFLET_DIR, name, max_age=86_400)


def _service_worker() -> Response:
    """The page's service worker, allowed to control /m and below (it is served from there)."""
    response = flask.send_from_directory(TEMPLATES, "mobile_sw.js", mimetype="text/javascript")
    response.headers["Cache-Control"] = "no-cache"  # a new version reaches phones at once
    response.headers["Service-Worker-Allowed"] = PATH  # it serves /m itself, above /m/
    return response


def _page(problem: str = "", status: int = 200, args: Mapping[str, Any] | None = None) -> Response:
    """The page as `args` ask (default: the address's query; a refused visit's form, to show
    its stop again): the round, the stop checked in at, the worker's cases."""
    src, who, lang = context.source(), context.principal(), language()
    args = request.args if args is None else args
    worker_id = reader.worker_of(who)
    if worker_id is None:
        return render("mobile.html", 403, **_empty(t("mobile.problem.not_worker", lang)))
    day = reader.today()
    found = reader.todays_round(src, worker_id, day, lang)
    tagged = reader.tagged_households(src, worker_id)
    if tagged:  # residents' sensitive data on the phone: every look is in the trail
        shown = sum(len(v) for v in tagged.values())
        context.audit("households_view", f"worker={worker_id} households={shown}", "shown")
    checkin = _checkin(found, args, lang)
    problem = problem or checkin.pop("problem", "")
    done = args.get("done", "") if args.get("done", "") in DONE else ""
    return render(
        "mobile.html",
        status,
        round=found,
        round_problem=_round_problem(found, lang),
        checkin=checkin,
        cases=phonecases.my_cases(src, who, dt.datetime.now(dt.UTC)),
        categories={c.code: c.name(lang) for c in src.store.categories()},
        problem=problem,
        done=done,
        done_distance=_metres(args.get("dist")),
        visit_id=reader.new_record_id(),
        report_id=reader.new_record_id(),
        worker_name=who.name,
        login=who.login,
        tagged=tagged,
        tag_names={tag: t(f"visitrules.tag.{tag}", lang) for tag in TAGS},
        near_m=int(reader.NEAR_M),
        map_data=found.map_data,
        photo_mb=photos.MAX_BYTES // 1_000_000,
    )


def _empty(problem: str) -> dict[str, Any]:
    return {"round": None, "round_problem": "", "checkin": {}, "cases": [], "problem": problem,
            "done": "", "done_distance": None, "visit_id": "", "report_id": "", "worker_name": "",
            "login": "", "categories": {}, "tagged": {}, "tag_names": {},
            "near_m": int(reader.NEAR_M), "map_data": {},
            "photo_mb": photos.MAX_BYTES // 1_000_000}  # fmt: skip


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
        return _expired(lang)
    outcome = reader.record_visit(context.source(), who, request.form, reader.today())
    context.audit("visit_record", _target(outcome, request.form), outcome.status)
    kept = {} if outcome.distance_m is None else {"dist": str(round(outcome.distance_m))}
    return _answer(outcome, "visit", lang, kept)


def _report() -> Response:
    """A case reported from the doorstep, with an optional photo."""
    lang, who = language(), context.principal()
    outcome = _with_photo(
        lambda photo: phonecases.report_case(
            context.source(), who, request.form, photo, dt.datetime.now(dt.UTC)
        )
    )
    if outcome is None:
        return _expired(lang)
    target = f"case={outcome.record_id or '-'} photo={int(bool(request.files.get('photo')))}"
    context.audit("case_report", target, outcome.status)
    return _answer(outcome, "report", lang)


def _act() -> Response:
    """A worker's action on their own case (a resolve may bring a photo)."""
    lang, who = language(), context.principal()
    outcome = _with_photo(
        lambda photo: phonecases.act(
            context.source(), who, request.form, photo, context.client_address()
        )
    )
    if outcome is None:
        return _expired(lang)
    if outcome.status != "stored":  # a stored action is audited by the store with its event
        target = f"case={str(request.form.get('case') or '-')[:64]}"
        context.audit("case_act_phone", target, outcome.status)
    return _answer(outcome, "act", lang)


def _with_photo(take: Callable[[photos.Photo | None], reader.Outcome]) -> reader.Outcome | None:
    """What `take` makes of the form and its photo (made safe), or the photo's refusal; None
    when the form lacks the session's token."""
    request.max_content_length = photos.MAX_BYTES + FORM_BYTES
    if not from_session_form():
        return None
    photo = _photo()
    return photo if isinstance(photo, reader.Outcome) else take(photo)


def _photo() -> photos.Photo | reader.Outcome | None:
    """The form's photo made safe, None without one, or its refusal."""
    try:
        return form_photo()
    except photos.PhotoError as exc:
        return reader.refused(f"photo.{exc.kind}", mb=photos.MAX_BYTES // 1_000_000)


def form_photo() -> photos.Photo | None:
    """The request form's photo made safe (photos.clean_photo), None without one; PhotoError
    when it is not a photo gridboard keeps (the desk's forms take photos this way too)."""
    upload = request.files.get("photo")
    if upload is None or not upload.filename:
        return None
    return photos.clean_photo(upload.read(photos.MAX_BYTES + 1))


def too_large(lang: str) -> Response:
    """A phone's form past its limit (a photo over photos.MAX_BYTES), answered like any
    refusal (casepage's 413 handler sends UPLOAD_PATHS here)."""
    outcome = reader.refused("photo.too_big", mb=photos.MAX_BYTES // 1_000_000)
    context.audit("case_report" if request.path == REPORT_PATH else "case_act_phone", "-", "413")
    return _answer(outcome, "report" if request.path == REPORT_PATH else "act", lang, code=413)


def _expired(lang: str) -> Response:
    text = t("login.expired", lang)
    if request.headers.get(QUEUE_HEADER):
        return _json({"status": "signin", "message": text}, 401)
    return _page(text, 400, request.form)


def _answer(
    outcome: reader.Outcome,
    kind: str,
    lang: str,
    kept: Mapping[str, str] | None = None,
    code: int | None = None,
) -> Response:
    """The answer to a sent record: JSON to the page's send queue; else the page again with
    the problem, or back to the page saying what was done."""
    text = _outcome_text(outcome, kind, lang)
    status = code or STATUS_CODES[outcome.status]
    if outcome.problem == "not_worker":
        status = 403
    if request.headers.get(QUEUE_HEADER):
        return _json({"status": outcome.status, "id": outcome.record_id, "message": text}, status)
    if outcome.status in ("refused", "conflict"):
        return _page(text, status, request.form if kind == "visit" else {})
    done = _DONE_KEYS[kind][outcome.status]
    query = {"lang": lang, "done": done, **(kept or {})}
    return flask.redirect(f"{PATH}?{urlencode(query)}", code=303)


_DONE_KEYS = {
    "visit": {"stored": "stored", "already": "already"},
    "report": {"stored": "reported", "already": "reported_already"},
    "act": {"stored": "acted", "already": "acted_already"},
}


def _outcome_text(outcome: reader.Outcome, kind: str, lang: str) -> str:
    if outcome.status in ("refused", "conflict"):
        return t(f"mobile.problem.{outcome.problem}", lang, **outcome.problem_args)
    done = _DONE_KEYS[kind][outcome.status]
    if done == "stored" and outcome.distance_m is not None:
        return t("mobile.done.stored_at", lang, m=round(outcome.distance_m))
    return t(f"mobile.done.{done}", lang)


def _json(body: Mapping[str, Any], status: int) -> Response:
    response = flask.jsonify(body)
    response.status_code = status
    response.headers["Cache-Control"] = "no-store"
    return response


def _target(outcome: reader.Outcome, form: Mapping[str, str]) -> str:
    """The audit entry's target: the visit, its building, why it was refused, and the
    check-in distance and flag (the notes stay in the store, not in the trail)."""
    parts = {
        "visit": outcome.record_id or "-",
        "building": str(form.get("building") or "-")[:80],
        "problem": outcome.problem or None,
        "distance_m": None if outcome.distance_m is None else round(outcome.distance_m),
        "far": int(reader.far(outcome.distance_m)) if outcome.status == "stored" else None,
    }
    return " ".join(f"{k}={v}" for k, v in parts.items() if v is not None)
