"""Forged and malformed requests over HTTP: every callback answers plainly, never with a 500."""

from __future__ import annotations

import json
import math
from typing import Any

import pytest

from dashboard import ids
from dashboard.app import create_app
from dashboard.i18n import t
from dashboard.sessions import COOKIE
from dashboard.settings import Settings
from geodata.store import Store
from tests.accounts_city import PASSWORD
from tests.webutil import login, post, request_body, serving_app, session_secret

# Values a forged request may put anywhere a callback reads an input or a state.
HOSTILE = [
    -5,
    math.nan,
    math.inf,
    1e308,
    1e9,
    -1,
    "abc",
    "x",
    "",
    True,
    [1, 2],
    ["x", None],
    {},
    {"a": {"b": [1]}},
    {"window": -5, "budget": math.nan, "date": "x", "depart": -1, "street": [1]},
    {"window": "2000-01-01..2100-12-31", "street": "all"},
    {"worker": "P1", "date": "x", "budget": "abc", "depart": -1, "order": 5},
    {"points": "x"},
    {"points": [{"location": -5}]},
    [[[[[]]]]],
]


@pytest.fixture(scope="module")
def client(town_store: Store) -> Any:
    """A test client of an app on the town, signed in as the city's command centre."""
    client = serving_app(town_store).server.test_client()
    assert login(client, "city", PASSWORD).status_code == 303
    return client


@pytest.fixture(scope="module")
def server_callbacks(client: Any) -> list[dict[str, Any]]:
    """Every callback the server answers (clientside ones never reach it)."""
    dependencies = client.get("/_dash-dependencies").get_json()
    found = [d for d in dependencies if not d.get("clientside_function")]
    pages = (
        ids.MAP_NOTICE,
        ids.CASE_TABLE,
        ids.CASE_CSV_DOWNLOAD,
        ids.ROUTES_NOTICE,
        ids.WALL_SENT,
    )
    assert all(any(f"{i}." in d["output"] for d in found) for i in pages)  # nothing left out
    return found


def callback_of(callbacks: list[dict[str, Any]], output: str) -> dict[str, Any]:
    """The callback filling `output` ("id.property"); the suite's apps may list it again."""
    return next(d for d in callbacks if output in d["output"])


# --- hostile values in every slot of every callback -------------------------------------------
@pytest.mark.parametrize("value", HOSTILE, ids=[repr(v)[:30] for v in HOSTILE])
def test_every_callback_answers_hostile_values_plainly(
    client: Any, server_callbacks: list[dict[str, Any]], value: Any
) -> None:
    failures = []
    for dependency in server_callbacks:
        width = len(dependency["inputs"]) + len(dependency["state"])
        for slot in range(width):
            values: list[Any] = [None] * width
            values[slot] = value
            for trial in (values, [value] * width):
                response = post(client, request_body(dependency, trial))
                # Dash's own page router reads its address unchecked: text or refused (400).
                router = dependency["output"].startswith(".._pages_content.")
                if response.status_code not in (200, 204, *((400,) if router else ())):
                    failures.append((dependency["output"][:60], slot, response.status_code))
    assert not failures


@pytest.mark.parametrize(
    ("view", "lang", "param", "shown"),
    [
        ("nonsense", "zh", "view", "'nonsense'"),
        ({"window": -5, "lang": "en"}, "en", "window", "-5"),
    ],
)
def test_a_bad_view_is_named_on_the_map(
    client: Any,
    server_callbacks: list[dict[str, Any]],
    view: Any,
    lang: str,
    param: str,
    shown: str,
) -> None:
    draw = callback_of(server_callbacks, f"{ids.MAP_NOTICE}.children")
    response = post(client, request_body(draw, [view, None]))
    assert response.status_code == 200
    notice = response.get_json()["response"][ids.MAP_NOTICE]["children"]
    assert t("view.problem", lang, param=param, value=shown) in notice


def test_a_bad_route_view_is_named_on_the_routes_page(
    client: Any, server_callbacks: list[dict[str, Any]]
) -> None:
    draw = callback_of(server_callbacks, f"{ids.ROUTES_NOTICE}.children")
    forged = {"worker": "P1", "budget": math.inf, "lang": "en"}
    response = post(client, request_body(draw, [forged]))
    assert response.status_code == 200
    body = json.dumps(response.get_json()["response"][ids.ROUTES_NOTICE])
    assert "budget=inf" in body


# --- bodies ----------------------------------------------------------------------------------
def test_json_nested_5000_deep_is_a_bad_request(client: Any) -> None:
    deep = "[" * 5000 + "]" * 5000
    response = client.post(
        "/_dash-update-component", data=deep, headers={"Content-Type": "application/json"}
    )
    assert response.status_code == 400


@pytest.mark.parametrize("body", [{}, [], "x", {"output": 5}, {"output": "a.b", "inputs": {}}])
def test_a_body_that_is_no_callback_request_is_a_bad_request(client: Any, body: Any) -> None:
    assert post(client, body).status_code == 400


def test_a_body_over_the_limit_is_refused_with_413(town_store: Store) -> None:
    app = create_app(Settings.from_env({}, max_request_bytes=1000), town_store)
    client = app.server.test_client()
    login(client, "city", PASSWORD)
    response = client.post(
        "/_dash-update-component",
        data=json.dumps({"pad": "x" * 2000}),
        headers={"Content-Type": "application/json"},
    )
    assert response.status_code == 413


def test_the_default_limit_is_one_megabyte(client: Any) -> None:
    response = client.post(
        "/_dash-update-component",
        data=b"[" + b" " * 1_100_000 + b"]",
        headers={"Content-Type": "application/json"},
    )
    assert response.status_code == 413


# --- the Host header -------------------------------------------------------------------------
@pytest.mark.parametrize("path", ["/", "/routes", "/wall", "/overview"])
def test_a_forged_host_header_is_not_copied_into_the_page(client: Any, path: str) -> None:
    client.set_cookie(COOKIE, session_secret(client), domain="evil.example")
    page = client.get(path, headers={"Host": "evil.example"})
    assert page.status_code == 200
    assert "evil.example" not in page.get_data(as_text=True)


def test_the_public_url_names_the_page_in_link_previews(town_store: Store) -> None:
    settings = Settings.from_env({"GRIDBOARD_PUBLIC_URL": "https://grid.example.cn"})
    client = create_app(settings, town_store).server.test_client()
    login(client, "city", PASSWORD)
    client.set_cookie(COOKIE, session_secret(client), domain="evil.example")
    page = client.get("/", headers={"Host": "evil.example"})
    assert page.status_code == 200
    text = page.get_data(as_text=True)
    assert 'content="https://grid.example.cn"' in text and "evil.example" not in text
