"""The access matrix: every page, callback and download the app lists refuses strangers, and
answers each role inside its scope and refuses it outside (with an audit entry)."""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import urlencode

import dash
import dash_ag_grid as dag
import pytest
from dash import Input, Output

from dashboard import ids
from dashboard.i18n import t
from geodata.store import Store
from layers.routeview import RouteView
from layers.view import ViewState
from tests.accounts_city import PASSWORD, Town
from tests.webutil import (
    login,
    post,
    request_body,
    server_callbacks,
    serving_app,
    signed_clients,
)

ROLES = ("city", "street", "community", "property", "grid_worker", "admin")
# Who may open each page: the table, written out here (not read from the app).
PAGES = {
    "/": {"city", "street", "community", "property", "grid_worker"},
    "/overview": {"city", "street"},
    "/routes": {"city", "street", "community", "grid_worker"},
    "/wall": {"city", "street"},
    "/audit": {"admin"},
}
# A callback's page, by the first output's id.
ID_PAGES = (("map-", "/"), ("panel", "/"), ("case-", "/"), ("routes-", "/routes"))
ID_PAGES += (("wall-", "/wall"), ("overview", "/overview"))
DAY = "2026-12-02"
ANSWERED = (200, 204)


def page_of(output: str) -> str | None:
    first = output.strip(".").split("...")[0]
    for prefix, page in ID_PAGES:
        if first.startswith(prefix):
            return page
    return None  # Dash's pages router


# What a request puts in each input, from the codes it asks for; the kinds of code it reads.
def _view(codes: dict[str, str]) -> Any:
    return ViewState(street=codes["street"], area=codes.get("area")).as_dict()


def _route_view(codes: dict[str, str]) -> Any:
    return RouteView(worker=codes.get("worker"), date=DAY).as_dict()


SLOTS: dict[tuple[str, str], tuple[Any, tuple[str, ...]]] = {
    (ids.VIEW, "data"): (_view, ("street", "area")),
    (ids.MAP, "clickData"): (lambda c: {"points": [{"location": c.get("area")}]}, ("area",)),
    (ids.STREET_SELECT, "value"): (lambda c: c["street"], ("street",)),
    (ids.ROUTES_VIEW, "data"): (_route_view, ("worker",)),
    (ids.ROUTES_WORKER, "value"): (lambda c: c.get("worker"), ("worker",)),
    (ids.WALL_CONFIG, "data"): (lambda c: {"place": c["street"], "lang": "zh"}, ("street",)),
    (ids.CASE_TABLE, "getRowsRequest"): (lambda c: {"startRow": 0, "endRow": 100}, ()),
}


def slot_value(item: dict[str, Any], codes: dict[str, str]) -> Any:
    make = SLOTS.get((item["id"], item["property"]))
    if make:
        return make[0](codes)
    return 1 if item["property"] in ("n_clicks", "n_intervals") else None


def kinds_read(dependency: dict[str, Any]) -> set[str]:
    found: set[str] = set()
    for item in [*dependency["inputs"], *dependency["state"]]:
        found |= set(SLOTS.get((item["id"], item["property"]), (None, ()))[1])
    return found


def callback_request(dependency: dict[str, Any], codes: dict[str, str], page: str) -> Any:
    if page_of(dependency["output"]) is None:  # the router: a page address
        query = {k: v for k, v in codes.items() if k in ("street", "area", "worker")}
        values = [page, "?" + urlencode(query)]
    else:
        values = [slot_value(i, codes) for i in [*dependency["inputs"], *dependency["state"]]]
    return request_body(dependency, values)


# --- fixtures ------------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def app(town_store: Store) -> dash.Dash:
    return serving_app(town_store)


@pytest.fixture(scope="module")
def clients(app: dash.Dash) -> dict[str, Any]:
    return signed_clients(app, ROLES, PASSWORD)


@pytest.fixture(scope="module")
def callbacks(clients: dict[str, Any]) -> list[dict[str, Any]]:
    found = server_callbacks(clients["city"])
    assert len(found) >= 15  # the map, panel, table, routes and wall callbacks, and the router
    return found


def _refusals(store: Store) -> int:
    return sum(1 for e in store.audit_entries() if e.action == "refused")


# --- strangers -----------------------------------------------------------------------------------
def test_every_route_refuses_an_anonymous_request(app: dash.Dash) -> None:
    client = app.server.test_client()
    public = {"/login", "/logout", "/login/style.css", "/_favicon.ico", "/healthz"}
    # The Open311 door answers anyone's GET with nothing personal; its POST needs a key.
    open_reads = {"/open311/v2/services.json", "/open311/v2/requests.json"}
    checked = 0
    for rule in app.server.url_map.iter_rules():
        if rule.arguments or rule.rule in public:
            continue
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            if rule.rule in open_reads and method == "GET":
                continue
            response = client.open(rule.rule, method=method)
            assert response.status_code in (302, 401, 403), (rule.rule, method)
            if response.status_code == 302:
                assert response.location.startswith("/login?next=")
            checked += 1
    for path in [*PAGES, "/_dash-layout", "/_dash-dependencies"]:
        assert client.get(path).status_code in (302, 401), path
    assert checked >= 8


def test_code_and_styles_are_served_to_anyone(app: dash.Dash) -> None:
    """A page signing out while AG Grid's lazy chunk is on its way still gets script."""
    client = app.server.test_client()
    assert client.get("/assets/gridboard.css").status_code == 200
    chunk = f"/_dash-component-suites/dash_ag_grid/async-community.js?v={dag.__version__}"
    response = client.get(chunk)
    assert response.status_code == 200 and "javascript" in response.mimetype


def test_every_callback_refuses_an_anonymous_request(
    app: dash.Dash, callbacks: list[dict[str, Any]], town: Town
) -> None:
    client = app.server.test_client()
    for dependency in callbacks:
        response = post(client, callback_request(dependency, town.scopes["city"].inside, "/"))
        assert response.status_code == 401, dependency["output"]


# --- each role, inside and outside its scope -----------------------------------------------------
@pytest.mark.parametrize("role", ROLES)
def test_pages_answer_inside_the_scope_and_refuse_outside(
    role: str, clients: dict[str, Any], town: Town, town_store: Store
) -> None:
    client, scope = clients[role], town.scopes[role]
    for page, allowed in PAGES.items():
        inside = client.get(page + "?" + urlencode(scope.inside))
        assert inside.status_code == (200 if role in allowed else 403), (role, page)
        for kind, code in scope.outside.items():
            if page == "/audit":
                continue
            before = _refusals(town_store)
            outside = client.get(page + "?" + urlencode({**scope.inside, kind: code}))
            assert outside.status_code == 403, (role, page, kind)
            assert _refusals(town_store) == before + 1


@pytest.mark.parametrize("role", ROLES)
def test_callbacks_answer_inside_the_scope_and_refuse_outside(
    role: str,
    clients: dict[str, Any],
    callbacks: list[dict[str, Any]],
    town: Town,
    town_store: Store,
) -> None:
    client, scope = clients[role], town.scopes[role]
    dash_pages = [page["path"] for page in dash.page_registry.values()]
    assert set(dash_pages) <= set(PAGES)  # a new page must say here who may open it
    for dependency in callbacks:
        own = page_of(dependency["output"])
        for page in [own] if own else dash_pages:
            allowed = role in PAGES[page]
            response = post(client, callback_request(dependency, scope.inside, page))
            expected = ANSWERED if allowed else (403,)
            assert response.status_code in expected, (role, dependency["output"][:50], page)
            if not allowed:
                continue
            router = own is None
            for kind in (set(scope.outside) & kinds_read(dependency)) | (
                set(scope.outside) if router else set()
            ):
                codes = {**scope.inside, kind: scope.outside[kind]}
                before = _refusals(town_store)
                refused = post(client, callback_request(dependency, codes, page))
                assert refused.status_code == 403, (role, dependency["output"][:50], kind)
                assert _refusals(town_store) == before + 1


@pytest.mark.parametrize("prefix", ["probe", "map-probe"])  # of no page; of the map page
def test_a_callback_without_an_access_rule_is_refused(town_store: Store, prefix: str) -> None:
    """A new callback reading an input the access rules do not cover answers nobody."""
    app = serving_app(town_store)

    @app.callback(Output(f"{prefix}-out", "children"), Input(f"{prefix}-in", "value"))
    def probe(value: Any) -> str:
        return str(value)

    client = app.server.test_client()
    login(client, "city", PASSWORD)
    dependency = {
        "output": f"{prefix}-out.children",
        "inputs": [{"id": f"{prefix}-in", "property": "value"}],
        "state": [],
    }
    assert post(client, request_body(dependency, ["x"])).status_code == 403
    assert probe("x") == "x"  # the callback itself works: only the gate stops it


def test_the_panel_shows_which_staff_person_has_an_account(
    clients: dict[str, Any], callbacks: list[dict[str, Any]], town: Town
) -> None:
    fill = next(d for d in callbacks if d["output"] == f"{ids.PANEL}.children")
    cell = town.scopes["grid_worker"].inside["area"]
    codes = {"street": town.street_a, "area": cell}
    response = post(clients["city"], callback_request(fill, codes, "/"))
    text = json.dumps(response.get_json(), ensure_ascii=False)
    assert t("panel.account", "zh", login="grid_worker") in text


def test_no_page_carries_another_scope_in_its_html(town_store: Store, town: Town) -> None:
    """The page shell is the same for everyone and holds no data: signed in first as the
    city, then as a property company, the HTML names no street, worker or staff person."""
    app = serving_app(town_store)
    city, company = app.server.test_client(), app.server.test_client()
    login(city, "city", PASSWORD)
    assert city.get("/overview").status_code == 200
    login(company, "property", PASSWORD)
    page = company.get("/")
    html = page.get_data(as_text=True)
    assert page.status_code == 200 and len(page.data) < 200_000
    names = [town_store.area(town.street_b)["name"], town.worker]
    names += [m.name for m in town_store.staff(town.community)]
    assert not [name for name in names if name in html]
