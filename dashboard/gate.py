"""The gate every request passes: who asks (the session), whether they may (page, callback and
the areas, streets and workers the request names), and the headers every answer carries."""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import flask
from flask import Response, g, request

from dashboard import context, ids, plotlymap, signin
from dashboard.i18n import resolve_language, t
from dashboard.readers import access as access_reader
from dashboard.readers.map import GEOMETRY_PATH
from dashboard.sessions import COOKIE, Signed, resume
from layers.access import PAGE_ROLES, Principal, cell_area, code_area
from layers.routeview import RouteView
from layers.view import CITY, ViewState, clicked_area

log = logging.getLogger(__name__)

CALLBACK_PATH = "/_dash-update-component"
# Open to anyone: signing in, its stylesheet, and the load balancer's health check.
PUBLIC_PATHS = frozenset({"/login", "/login/style.css", "/logout", "/healthz"})
# Code and styles, ours and the libraries': no data in them, and a page that signs out while
# a lazy chunk (AG Grid's) is on its way must still get script, not a 401 it cannot run.
STATIC_PREFIXES = ("/_dash-component-suites/", plotlymap.PATH, "/assets/", "/_favicon.ico")
# Dash's own requests (layout, dependencies, callbacks): any signed-in principal.
INTERNAL_PREFIXES = ("/_dash-", "/_reload-hash")
OPEN311_PREFIX = "/open311/"
# Addresses a page downloads or posts its forms to: that page's roles rule them.
PAGE_PARTS = {
    "/audit.csv": "/audit",
    "/kpi.csv": "/kpi",
    "/kpi.xlsx": "/kpi",
    "/kpi.html": "/kpi",
    "/cases/act": "/cases",
    "/cases/new": "/cases",
    "/cases/photo": "/cases",
    "/m/visit": "/m",
    "/m/case": "/m",
    "/m/act": "/m",
}
# Pages whose queries name no area: the trail's filters, and pages whose readers cut what
# they read (and each case or area a form names) to the principal's scope themselves.
AREALESS_QUERIES = frozenset({"/audit", "/cases", "/admin/categories", "/admin/visitrules", "/kpi"})
# Pages a user who must change a one-time password may still open.
PASSWORD_PATHS = frozenset({"/password"})
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
ROUTER_PREFIX = "_pages_"  # Dash's pages router (location, content, store)


@dataclass(frozen=True)
class Target:
    """Something a request names that must lie in the principal's scope."""

    kind: str  # "street", "area", "worker", "page"
    code: str


Extract = Callable[[Any], list[Target]]


def _none(_value: Any) -> list[Target]:
    return []


def _view(value: Any) -> list[Target]:
    view = ViewState.from_dict(value)
    return _street(view.street) + ([Target("area", view.area)] if view.area else [])


def _street(value: Any) -> list[Target]:
    return [Target("street", value)] if isinstance(value, str) and value else []


def _click(value: Any) -> list[Target]:
    code = clicked_area(value)
    return [Target("area", code)] if code else []


def _route_view(value: Any) -> list[Target]:
    return _worker(RouteView.from_dict(value).worker)


def _worker(value: Any) -> list[Target]:
    return [Target("worker", value)] if isinstance(value, str) and value else []


def _wall_config(value: Any) -> list[Target]:
    place = value.get("place") if isinstance(value, Mapping) else None
    return _street(place if isinstance(place, str) else CITY)


# Every input and state a server callback may receive, and the targets its value names. A
# callback reading anything not listed here is refused (and the matrix test fails): a new
# callback is covered by adding its inputs here, with the scope they carry.
INPUT_RULES: dict[tuple[str, str], Extract] = {
    (ids.VIEW, "data"): _view,
    (ids.MAP_DRAWN, "data"): _none,  # the view last drawn: read back only to compare
    (ids.MAP, "clickData"): _click,
    (ids.STREET_SELECT, "value"): _street,
    (ids.METRIC_SELECT, "value"): _none,
    (ids.WINDOW_SELECT, "value"): _none,
    (ids.DATE_RANGE, "value"): _none,
    (ids.CATEGORY_SELECT, "value"): _none,
    (ids.LAYER_TOGGLES, "value"): _none,
    (ids.METRICS_CSV_BUTTON, "n_clicks"): _none,
    (ids.CASE_TABLE, "getRowsRequest"): _none,
    (ids.CASE_CSV_BUTTON, "n_clicks"): _none,
    (ids.CASE_TABLE_START, "data"): _none,  # the map has been drawn
    (ids.ROUTES_VIEW, "data"): _route_view,
    (ids.ROUTES_WORKER, "value"): _worker,
    (ids.ROUTES_DATE, "value"): _none,
    (ids.ROUTES_BUDGET, "value"): _none,
    (ids.ROUTES_DEPART, "value"): _none,
    (ids.ROUTES_SHOWN, "data"): _none,  # stop ids of the route drawn for ROUTES_VIEW
    (ids.ROUTES_MOVE, "n_clicks"): _none,
    (ids.ROUTES_RESET, "n_clicks"): _none,
    (ids.ROUTES_SHEET_BUTTON, "n_clicks"): _none,
    (ids.ROUTES_GPX_BUTTON, "n_clicks"): _none,
    (ids.ROUTES_CSV_BUTTON, "n_clicks"): _none,
    (ids.WALL_REFRESH, "n_intervals"): _none,
    (ids.WALL_CONFIG, "data"): _wall_config,
    (ids.WALL_SENT, "data"): _none,  # fingerprints of what this browser was sent
}
# Which page a callback belongs to, by the id of its first output.
ID_PAGES: tuple[tuple[str, str], ...] = (
    ("map-", "/"),
    ("panel", "/"),
    ("case-", "/"),
    ("routes-", "/routes"),
    ("wall-", "/wall"),
    ("overview", "/overview"),
)


def id_key(component_id: Any) -> str:
    """A component id as the rules name it: the string, or a pattern-matching id's type."""
    if isinstance(component_id, Mapping):
        return str(component_id.get("type"))
    return str(component_id)


def page_of(component_id: Any) -> str | None:
    """The page a component belongs to; None for Dash's pages router."""
    key = id_key(component_id)
    for prefix, page in ID_PAGES:
        if key.startswith(prefix):
            return page
    return None


def query_targets(query: Iterable[tuple[str, str]]) -> list[Target]:
    """What a page address names: street, area (map, wall) and worker (routes)."""
    found: list[Target] = []
    for key, value in query:
        if key == "street":
            found += _street(value)
        elif key == "area" and value:
            found.append(Target("area", value))
        elif key == "worker":
            found += _worker(value)
    return found


def _slots(body: Mapping[str, Any]) -> Iterable[Mapping[str, Any]]:
    """Every input and state slot of a callback request (pattern-matching ones flattened)."""
    for group in (body.get("inputs") or [], body.get("state") or []):
        for slot in group:
            if isinstance(slot, list):
                yield from (s for s in slot if isinstance(s, Mapping))
            elif isinstance(slot, Mapping):
                yield slot


def callback_targets(body: Mapping[str, Any]) -> tuple[str | None, list[Target]] | str:
    """(page, targets) of a callback request; a string saying what is not covered instead."""
    outputs = body.get("outputs")
    first = outputs[0] if isinstance(outputs, list) and outputs else outputs
    if not isinstance(first, Mapping):
        return "no output"
    page = page_of(first.get("id"))
    targets: list[Target] = []
    if page is None:
        if not id_key(first.get("id")).startswith(ROUTER_PREFIX):
            return f"output {id_key(first.get('id'))} belongs to no page"
        return None, _router_targets(body)
    for slot in _slots(body):
        rule = INPUT_RULES.get((id_key(slot.get("id")), str(slot.get("property"))))
        if rule is None:
            return f"input {id_key(slot.get('id'))}.{slot.get('property')} has no access rule"
        targets += rule(slot.get("value"))
    return page, targets


def _router_targets(body: Mapping[str, Any]) -> list[Target]:
    values = {s.get("property"): s.get("value") for s in _slots(body)}
    path = values.get("pathname") if isinstance(values.get("pathname"), str) else "/"
    search = values.get("search") if isinstance(values.get("search"), str) else ""
    return [Target("page", path), *query_targets(parse_qsl(search.lstrip("?")))]


def dash_request_problem(body: object) -> str | None:
    """Why a /_dash-update-component body is not a callback request Dash can dispatch, or
    None. Our callbacks check their own values (layers.view, layers.routeview); this checks
    the envelope, and the page router's pathname and search, which Dash reads unchecked."""
    if not isinstance(body, dict) or not isinstance(body.get("output"), str):
        return "not a callback request"
    slots = body.get("inputs")
    if not isinstance(slots, list) or not isinstance(body.get("state", []), list):
        return "inputs and state must be lists"
    if body["output"].startswith(".._pages_content."):
        address = {s.get("property"): s.get("value") for s in slots if isinstance(s, dict)}
        path, search = address.get("pathname"), address.get("search")
        if not (isinstance(path, str) and path.startswith("/")) or not isinstance(
            search, str | None
        ):
            return "the page address must be a path and a query"
    return None


# --- checking targets against a principal ------------------------------------------------------
def refused_target(principal: Principal, targets: Iterable[Target]) -> Target | None:
    """The first target outside the principal's scope, or None."""
    for target in targets:
        if not _allowed(principal, target):
            return target
    return None


def _allowed(principal: Principal, target: Target) -> bool:
    if target.kind == "page":
        return target.code not in PAGE_ROLES or principal.may_open(target.code)
    if target.kind == "street":
        if target.code == CITY:
            return principal.street_codes is None
        return principal.offers_street(target.code)
    if target.kind == "area":
        area = code_area(target.code) if isinstance(target.code, str) else None
        return area is None or principal.sees.covers(area)
    if target.kind == "worker":
        cells = access_reader.worker_cells(context.source(), target.code)
        return cells is None or principal.may_route(target.code, map(cell_area, cells))
    return False


# --- the Flask hooks ----------------------------------------------------------------------------
def install(server: flask.Flask) -> None:
    """Put the gate in front of every request of `server`, and the headers on every answer."""
    server.before_request(_gate)
    server.after_request(_headers)


def _gate() -> Response | None:
    g.principal, g.signed = None, None
    if request.method not in SAFE_METHODS and not same_origin():
        return plain(403, "cross-origin request refused")
    path = request.path
    if path in PUBLIC_PATHS or path.startswith(STATIC_PREFIXES):
        return None
    if path.startswith(OPEN311_PREFIX):  # no session: its GETs say nothing personal, a POST
        return None  # needs an API key (dashboard/open311api.py)
    if path == "/wall" and "token" in request.args:
        return signin.display_sign_in(request.args["token"])
    signed = resume(context.store(), request.cookies.get(COOKIE), context.settings().idle())
    if signed is None:
        return _anonymous(path)
    g.signed = signed
    g.principal = principal = _principal(signed)
    if signed.user is not None and signed.user.must_change and path not in PASSWORD_PATHS:
        return _must_change(path)
    if path == CALLBACK_PATH and request.method == "POST":
        return _check_callback(principal)
    if path.startswith(INTERNAL_PREFIXES) or path in PASSWORD_PATHS:
        return None
    return _check_page(principal, path)


def _principal(signed: Signed) -> Principal:
    src = context.source()
    if signed.user is not None:
        return access_reader.principal_of_user(src, signed.user)
    assert signed.display is not None
    return access_reader.principal_of_display(src, signed.display)


def _anonymous(path: str) -> Response:
    if request.method == "GET" and not path.startswith(INTERNAL_PREFIXES) and _navigation():
        return signin.login_redirect()
    return plain(401, "sign in first")


def _navigation() -> bool:
    """Whether a GET opens a page (not an image, a script, a favicon): only a page is sent to
    the sign-in form. A favicon sent there would get a new sign-in form, and its token in
    place of the one on the screen. A client that does not say is taken as opening one."""
    return request.headers.get("Sec-Fetch-Dest", "document") in ("document", "iframe")


def _must_change(path: str) -> Response:
    if request.method == "GET" and not path.startswith(INTERNAL_PREFIXES):
        return flask.redirect("/password")
    return plain(403, "change your one-time password first")


def page_of_path(path: str) -> str:
    """The page whose roles and scope rule an address: a page, or what a page fetches."""
    if path in PAGE_PARTS:
        return PAGE_PARTS[path]
    if path.startswith(GEOMETRY_PATH):  # the map's shapes: the map's roles, its street rule
        return "/"
    return path


def _check_page(principal: Principal, path: str) -> Response | None:
    page = page_of_path(path)
    if page not in PAGE_ROLES:
        return None  # Dash answers unknown pages with its own "not found"
    if not principal.may_open(page):
        return refuse(principal, Target("page", page), "refused.page")
    if page in AREALESS_QUERIES:
        return None
    bad = refused_target(principal, query_targets(request.args.items(multi=True)))
    return refuse(principal, bad) if bad else None


def _check_callback(principal: Principal) -> Response | None:
    body = request.get_json(silent=True)
    if dash_request_problem(body):
        return None  # not a callback request at all: answered 400 by the app's next check
    found = callback_targets(body if isinstance(body, Mapping) else {})
    if isinstance(found, str):
        log.error("callback refused: %s", found)
        return refuse(principal, Target("callback", found))
    page, targets = found
    if page is not None and not principal.may_open(page):
        return refuse(principal, Target("page", page), "refused.page")
    bad = refused_target(principal, targets)
    return refuse(principal, bad) if bad else None


def refuse(principal: Principal | None, target: Target, key: str = "refused.scope") -> Response:
    """The plain "not in your area" answer (403), and its audit entry."""
    context.audit("refused", f"{request.path} {target.kind}={target.code}", "refused")
    if request.path == CALLBACK_PATH or request.method != "GET":
        return plain(403, t(key, request_language()))
    return signin.refused_page(key)


def request_language() -> str:
    return resolve_language(request.args.get("lang"), context.settings().language)


def plain(status: int, text: str) -> Response:
    return Response(text, status=status, mimetype="text/plain")


def same_origin() -> bool:
    """Whether a state-changing request comes from a page of this app (Origin, else Referer);
    a request naming neither (a script, curl) is let through to the session and CSRF checks."""
    source = request.headers.get("Origin") or request.headers.get("Referer")
    if request.headers.get("Sec-Fetch-Site") == "cross-site":
        return False
    if not source or source == "null":
        return source != "null"
    parts = urlsplit(source)
    return f"{parts.scheme}://{parts.netloc}" == request.host_url.rstrip("/")


# --- headers on every answer --------------------------------------------------------------------
def _headers(response: Response) -> Response:
    headers = response.headers
    headers.setdefault("Content-Security-Policy", flask.current_app.config["GRIDBOARD_CSP"]())
    headers.setdefault("X-Content-Type-Options", "nosniff")
    headers.setdefault("Referrer-Policy", "same-origin")
    headers.setdefault("X-Frame-Options", "DENY")
    if request.path != "/login/style.css" and not request.path.startswith(STATIC_PREFIXES):
        headers.setdefault("Cache-Control", "no-store")
    return response


def content_security_policy(script_hashes: Iterable[str], tile_hosts: Iterable[str]) -> str:
    """The app's CSP: its own scripts (and Dash's inline renderer start, by hash), its own
    styles, no frames, no plugins; map tiles from the configured provider only."""
    hosts = " ".join(tile_hosts)
    return "; ".join(
        [
            "default-src 'self'",
            "script-src 'self' " + " ".join(script_hashes),
            # Plotly, MapLibre, Mantine and AG Grid set style elements and attributes at run
            # time; styles cannot run script.
            "style-src 'self' 'unsafe-inline'",
            f"img-src 'self' data: blob: {hosts}".strip(),
            f"connect-src 'self' {hosts}".strip(),
            "worker-src 'self' blob:",
            "child-src 'self' blob:",
            "font-src 'self' data:",
            "object-src 'none'",
            "base-uri 'self'",
            "form-action 'self'",
            "frame-ancestors 'none'",
        ]
    )
