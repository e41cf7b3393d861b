"""Talking to the app over HTTP as a browser would: signing in, and callback request bodies."""

from __future__ import annotations

import importlib
import json
import re
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from typing import Any

import dash
import flask
from flask_compress import Compress

import dashboard.panel
from dashboard.app import create_app
from dashboard.sessions import COOKIE, start
from dashboard.settings import Settings
from geodata.store import Store
from layers.access import Principal, Reach

# What the in-process tests of pages and readers run as: the whole city, residents' data
# masked (the access tests try every role through the gate).
CITY_VIEWER = Principal(
    "tester", "user", ("city",), Reach(city=True), routes=Reach(city=True), street_codes=None
)


@contextmanager
def signed_in(app: Any, principal: Principal = CITY_VIEWER) -> Iterator[None]:
    """An app context of `app` in which `principal` is the one asking."""
    with app.server.app_context():
        flask.g.principal = principal
        yield


def compressed_kept(app: dash.Dash) -> dict[str, bytes]:
    """What flask-compress's cache holds in `app`."""
    hooks = app.server.after_request_funcs[None]
    compress = next(f.__self__ for f in hooks if isinstance(getattr(f, "__self__", None), Compress))
    return compress.cache._kept


CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


def session_client(store: Store, login: str) -> Any:
    """A test client of a new app on `store`, signed in as the account `login`."""
    client = create_app(Settings.from_env({}), store).server.test_client()
    client.set_cookie(COOKIE, start(store, "user", login))
    return client


def form_token(html: str) -> str:
    """The csrf_token of the first form on a page."""
    found = CSRF.search(html)
    assert found, "no csrf_token on the page"
    return found.group(1)


def login(client: Any, user: str, password: str) -> Any:
    """Sign `client` in through the /login form; returns the response to the form."""
    page = client.get("/login")
    return client.post(
        "/login",
        data={"username": user, "password": password, "csrf_token": form_token(page.text)},
    )


def session_secret(client: Any) -> str | None:
    """The session cookie the client holds, if any."""
    cookie = client.get_cookie(COOKIE)
    return cookie.value if cookie else None


def _outputs(output: str) -> Any:
    """The outputs part of a request for a dependency's output string (hashes dropped)."""
    parts = output.strip(".").split("...") if output.startswith("..") else [output]
    found = []
    for part in parts:
        name, prop = part.rsplit(".", 1)
        found.append({"id": name, "property": prop.split("@")[0]})
    return found if output.startswith("..") else found[0]


def _concrete(item: dict[str, Any]) -> Any:
    if item["id"].startswith("{"):
        pattern = json.loads(item["id"])
        return {k: ("S1" if v == ["ALL"] else v) for k, v in pattern.items()}
    return item["id"]


def _slot(item: dict[str, Any], value: Any) -> Any:
    """One input or state of a request; a wildcard (ALL) input is a list of one match."""
    slot = {"id": _concrete(item), "property": item["property"], "value": value}
    return [slot] if item["id"].startswith("{") else slot


def _changed(item: dict[str, Any]) -> str:
    concrete = _concrete(item)
    if isinstance(concrete, dict):
        return json.dumps(concrete, separators=(",", ":"), sort_keys=True) + "." + item["property"]
    return f"{concrete}.{item['property']}"


def request_body(dependency: dict[str, Any], values: list[Any]) -> dict[str, Any]:
    """A /_dash-update-component body for `dependency`, its inputs then states set to `values`."""
    inputs, states = dependency["inputs"], dependency["state"]
    slots = [_slot(item, value) for item, value in zip([*inputs, *states], values, strict=True)]
    return {
        "output": dependency["output"],
        "outputs": _outputs(dependency["output"]),
        "inputs": slots[: len(inputs)],
        "state": slots[len(inputs) :],
        "changedPropIds": [_changed(inputs[0])],
    }


def post(client: Any, body: Any) -> Any:
    text = json.dumps(body)  # NaN and Infinity as a browser-side forger would write them
    return client.post(
        "/_dash-update-component", data=text, headers={"Content-Type": "application/json"}
    )


def server_callbacks(client: Any) -> list[dict[str, Any]]:
    """Every callback the server answers (clientside ones never reach it)."""
    dependencies = client.get("/_dash-dependencies").get_json()
    return [d for d in dependencies if not d.get("clientside_function")]


def serving_app(store: Store) -> dash.Dash:
    """An app that answers every callback over HTTP. Dash hands the callbacks registered so
    far to the first app that serves a request; create_app runs the pages again, which
    registers theirs, the panel's are registered again here, and this app is set up at once."""
    importlib.reload(dashboard.panel)
    app = create_app(Settings.from_env({}), store)
    app.server.test_client().get("/_dash-dependencies")
    return app


def signed_clients(app: dash.Dash, logins: Iterable[str], password: str) -> dict[str, Any]:
    """A test client of `app` signed in as each of `logins` (all with `password`)."""
    signed = {}
    for name in logins:
        client = app.server.test_client()
        assert login(client, name, password).status_code == 303, name
        signed[name] = client
    return signed
