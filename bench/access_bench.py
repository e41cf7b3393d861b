"""The access check's added server time per callback, against the same callback without it."""

from __future__ import annotations

import datetime as dt
import json
import time
from pathlib import Path
from typing import Any

import flask
import numpy as np

from dashboard import gate
from dashboard.app import create_app
from dashboard.sessions import COOKIE
from dashboard.settings import Settings
from geodata.accounts import Grant
from geodata.backends import open_store
from geodata.model import Level
from geodata.store import Store
from layers.routeview import RouteView
from layers.view import ViewState

from .common import Result, signed_session

CHECKS = 300  # access checks timed per callback
CALLS = 7  # requests without the check timed per callback (some plan a whole route)
JSON = {"Content-Type": "application/json"}
BENCH_USER = "bench-street"  # a street supervisor: the check reads areas and workers


def _ms_p95(times: list[float]) -> float:
    return float(np.percentile(np.array(times) * 1000, 95))


def _values(dependency: dict[str, Any], codes: dict[str, str]) -> list[Any]:
    """In-scope values for every input and state of a callback (as a browser would send)."""
    by_slot = {
        ("map-view", "data"): ViewState(street=codes["street"], area=codes["area"]).as_dict(),
        ("map-graph", "clickData"): {"points": [{"location": codes["area"]}]},
        ("map-street-select", "value"): codes["street"],
        ("routes-view", "data"): RouteView(worker=codes["worker"], date=codes["day"]).as_dict(),
        ("routes-worker-select", "value"): codes["worker"],
        ("wall-config", "data"): {"place": codes["street"], "lang": "zh"},
        ("case-table", "getRowsRequest"): {"startRow": 0, "endRow": 100},
        ("_pages_location", "pathname"): "/",
        ("_pages_location", "search"): f"?street={codes['street']}",
    }
    values = []
    for item in [*dependency["inputs"], *dependency["state"]]:
        default = 1 if item["property"] in ("n_clicks", "n_intervals") else None
        values.append(by_slot.get((item["id"], item["property"]), default))
    return values


def _body(dependency: dict[str, Any], values: list[Any]) -> dict[str, Any]:
    from tests.webutil import request_body  # the tests' one way of writing a request

    return request_body(dependency, values)


def _codes(store: Store, as_of: dt.date) -> dict[str, str]:
    street = str(store.areas(Level.STREET)["code"].sort_values().iloc[0])
    workers = store.grid_workers().dropna(subset=["grid_code"])
    worker = str(workers[workers["grid_code"].str.startswith(street)]["person_id"].iloc[0])
    area = str(store.areas(Level.COMPOUND, parent=street)["code"].iloc[0])
    day = as_of + dt.timedelta(days=(2 - as_of.weekday()) % 7)  # a Wednesday
    return {"street": street, "area": area, "worker": worker, "day": day.isoformat()}


def _check_times(server: flask.Flask, body: dict[str, Any], secret: str) -> list[float]:
    """Wall times of the gate alone on one callback request (session, page, every input)."""
    times = []
    environ = {"HTTP_COOKIE": f"{COOKIE}={secret}"}
    for _ in range(CHECKS):
        with server.test_request_context(
            gate.CALLBACK_PATH, method="POST", json=body, environ_base=environ
        ):
            started = time.perf_counter()
            refused = gate._gate()
            times.append(time.perf_counter() - started)
            if refused is not None:
                raise RuntimeError(f"the bench's own request was refused: {refused.get_data()}")
    return times


def _call_times(server: flask.Flask, body: dict[str, Any], secret: str) -> list[float]:
    """Wall times of the whole callback request with the gate taken out (the principal the
    gate would have found is set directly)."""
    signed = gate.resume(gate.context.store(), secret, dt.timedelta(hours=8))
    principal = gate._principal(signed)

    def without_gate() -> None:
        flask.g.principal, flask.g.signed = principal, signed

    funcs = server.before_request_funcs[None]
    saved = list(funcs)
    funcs[funcs.index(gate._gate)] = without_gate
    try:
        client, times = server.test_client(), []
        for _ in range(CALLS):
            started = time.perf_counter()
            response = client.post(gate.CALLBACK_PATH, data=json.dumps(body), headers=JSON)
            times.append(time.perf_counter() - started)
            assert response.status_code in (200, 204), response.status_code
        return times
    finally:
        funcs[:] = saved


def run(city: Path, as_of: dt.date) -> list[Result]:
    results = []
    with open_store(city) as store:  # writable: the gate reads and touches sessions
        app = create_app(Settings.from_env({}, data=city), store)
        server = app.server
        codes = _codes(store, as_of)
        secret = signed_session(store, BENCH_USER, Grant("street", codes["street"]))
        client = server.test_client()
        client.set_cookie(COOKIE, secret)
        dependencies = [
            d for d in client.get("/_dash-dependencies").get_json() if not d["clientside_function"]
        ]
        seen: set[str] = set()
        with server.app_context():
            for dependency in dependencies:
                key = json.dumps([dependency[k] for k in ("output", "inputs", "state")])
                if key in seen:  # a second app in the process lists its pages' callbacks again
                    continue
                seen.add(key)
                name = dependency["output"].strip(".").split("...")[0].split("@")[0]
                name += " ← " + str(dependency["inputs"][0]["id"])[:30]
                body = _body(dependency, _values(dependency, codes))
                check = _ms_p95(_check_times(server, body, secret))
                call = _ms_p95(_call_times(server, body, secret))
                results.append(Result(f"access check p95: {name}", check, "ms", call, budget=2.0))
    return results
