"""Case work on the city demo (a copy): a dispatch round trip through the case machine, and one
street's /cases queue page, each p95 against a naive way measured in the same run."""

from __future__ import annotations

import datetime as dt
import html
import re
import shutil
import sqlite3
import tempfile
import time
from pathlib import Path

import numpy as np

from dashboard.app import create_app
from dashboard.sessions import COOKIE
from dashboard.settings import Settings
from geodata.accounts import Grant
from geodata.backends import open_store
from geodata.model import Level

from .common import OUT, Result, signed_session

ACTIONS = 60  # cases dispatched
PAGES = 25  # queue pages opened (5 streets × 5)


def _p95_ms(times: list[float]) -> float:
    return float(np.percentile(np.array(times) * 1000, 95))


def _dispatches(store, path: Path) -> tuple[float, float, int]:
    """p95 of a dispatch as the browser sends it (POST /cases/act: gate, CSRF, scope, the case
    machine, event, times, rollups, audit), each after opening the case's drawer; and of a
    bare UPDATE of as many reported cases' status, each in a transaction of its own."""
    now = dt.datetime.now(dt.UTC)
    registered, _ = store.work_queue(None, "registered", now, limit=ACTIONS)
    reported, _ = store.work_queue(None, "reported", now, limit=ACTIONS)
    app = create_app(Settings.from_env({}, data=path), store)
    client = app.server.test_client()
    client.set_cookie(COOKIE, signed_session(store, "bench-city", Grant("city")))
    ours, naive = [], []
    for case_id in registered["id"]:
        drawer = client.get(f"/cases?tab=registered&case={case_id}").get_data(as_text=True)
        form = {name: _field(drawer, name) for name in ("csrf_token", "version")}
        form |= {"case": case_id, "action": "dispatch", "assignee": _assignee(drawer)}
        started = time.perf_counter()
        answer = client.post("/cases/act", data=form)
        ours.append(time.perf_counter() - started)
        assert answer.status_code == 303, answer.get_data(as_text=True)[:300]
    con = sqlite3.connect(path)
    for case_id in reported["id"]:
        started = time.perf_counter()
        with con:
            con.execute(
                "UPDATE cases SET status = 'dispatched', dispatched_at = ? WHERE id = ?",
                (dt.datetime.now(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ"), case_id),
            )
        naive.append(time.perf_counter() - started)
    con.close()
    return _p95_ms(ours), _p95_ms(naive), len(ours)


def _field(page: str, name: str) -> str:
    return re.search(rf'name="{name}" value="([^"]*)"', page)[1]


def _assignee(page: str) -> str:
    return html.unescape(re.search(r'id="case-assignee"[^>]*>\s*<option value="([^"]*)"', page)[1])


def _queue_pages(store, path: Path) -> tuple[float, float]:
    """p95 of GET /cases?tab=handling as each of 5 streets' supervisor (server time, gate
    included), and of the naive way: every case of the street read, then filtered."""
    app = create_app(Settings.from_env({}, data=path), store)
    streets = sorted(store.areas(Level.STREET)["code"])[:5]
    ours, naive = [], []
    for street in streets:
        client = app.server.test_client()
        login = f"bench-{street}"
        client.set_cookie(COOKIE, signed_session(store, login, Grant("street", street)))
        client.get("/cases?tab=handling")  # warm
        for _ in range(PAGES // len(streets)):
            started = time.perf_counter()
            answer = client.get("/cases?tab=handling")
            ours.append(time.perf_counter() - started)
            assert answer.status_code == 200
            started = time.perf_counter()
            cases = store.cases(street)
            cases[cases["status"].isin(["dispatched", "in_progress"])].head(200)
            naive.append(time.perf_counter() - started)
    return _p95_ms(ours), _p95_ms(naive)


def run(city: Path, as_of: dt.date) -> list[Result]:
    OUT.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=OUT) as tmp:
        path = Path(tmp) / "city.gpkg"
        shutil.copy(city, path)
        with open_store(path) as store:
            act, bare, done = _dispatches(store, path)
            page, read_all = _queue_pages(store, path)
    return [
        Result(
            "case work: a dispatch round trip p95 (budget ≤ 100 ms)",
            act,
            "ms",
            baseline=bare,
            budget=100,
            note=f"{done} dispatches as the browser posts them (gate, CSRF, scope, the case"
            " machine, event, times, rollups, audit: one transaction); baseline: a bare"
            " UPDATE of the status",
        ),
        Result(
            "case work: one street's /cases queue page p95 (budget ≤ 300 ms)",
            page,
            "ms",
            baseline=read_all,
            budget=300,
            note="server time of the whole page (gate, counts of six tabs, 200 rows); baseline:"
            " every case of the street read, then filtered",
        ),
    ]
