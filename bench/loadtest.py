"""The locust scenario of `make loadtest`: supervisors, grid workers and walls on loopback servers.

Run by bench/load.py, which starts the servers and sets GRIDBOARD_LOAD (a JSON plan: hosts,
accounts, the wall's link, codes to click, the request log's path).
"""

from __future__ import annotations

import itertools
import json
import os
import random
import re
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import gevent
from locust import HttpUser, between, constant, events, task

from bench.dashclient import DashPage
from dashboard import ids
from dashboard.panel import PAGE_BLOCK
from layers.view import METRICS, PRESET_WINDOWS

PLAN: dict[str, Any] = json.loads(os.environ.get("GRIDBOARD_LOAD", "{}"))
CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')
SIGN_IN_TRIES = 3
_hosts = itertools.count()  # which server a new user is sent to: round robin, as a balancer


@events.request.add_listener
def _log(request_type: str, name: str, response_time: float, exception: Any, **kw: Any) -> None:
    """Every request, for the phase report: when, what, how long, and whether it failed."""
    response = kw.get("response")
    status = getattr(response, "status_code", 0)
    with Path(PLAN["log"]).open("a", encoding="utf-8") as fh:
        row = [time.time(), name, round(response_time, 1), status, exception is not None]
        fh.write(json.dumps(row) + "\n")


class Visitor(HttpUser):
    """A signed-in user of one of the servers, with the Dash app's callbacks at hand."""

    abstract = True
    login = ""

    def on_start(self) -> None:
        hosts = PLAN["hosts"]
        self.base = hosts[next(_hosts) % len(hosts)]
        self.enter()
        self.dependencies = self._json("/_dash-dependencies", "dash dependencies") or []
        self.app_layout = self._json("/_dash-layout", "dash layout")
        self.page = DashPage(self.dependencies, self._callback)

    def enter(self) -> None:
        """Sign in through the form, as a person does. When the form or its answer never came
        (a killed worker), again a second later, as a person presses again (a few times at
        most), rather than going on to pages that would only answer 401."""
        for _ in range(SIGN_IN_TRIES):
            if self._sign_in():
                return
            gevent.sleep(1)

    def _sign_in(self) -> bool:
        with self.client.get(f"{self.base}/login", name="/login", catch_response=True) as form:
            found = CSRF.search(form.text or "") if form.status_code == 200 else None
            if form.status_code == 200 and not found:
                form.failure("the sign-in form has no token")
        if not found:
            return False  # locust counted the failure; nothing to send
        data = {
            "username": self.login,
            "password": PLAN["accounts"][self.login],
            "csrf_token": found[1],
        }
        with self.client.post(
            f"{self.base}/login",
            data=data,
            name="/login POST",
            allow_redirects=False,
            catch_response=True,
        ) as answer:
            if answer.status_code != 303:
                answer.failure(f"sign-in answered {answer.status_code}")
                return False
        return True

    def open(self, pathname: str, search: str) -> None:
        """A navigation: the page's HTML, then the router and the callbacks of its load."""
        self.client.get(f"{self.base}{pathname}{search}", name=f"page {pathname}")
        self.page.open(pathname, search, self.app_layout)

    def _json(self, path: str, name: str) -> Any:
        return self._answer(lambda: self.client.get(f"{self.base}{path}", name=name))

    def _callback(self, body: dict[str, Any], name: str) -> dict[str, Any] | None:
        url = f"{self.base}/_dash-update-component"
        return self._answer(lambda: self.client.post(url, json=body, name=name))

    def _answer(self, ask: Callable[[], Any]) -> Any:
        """The JSON of `ask()`; on a 401 (a sign-in that got no answer, a session gone) the
        user signs in again, as the page sends them to, and asks once more."""
        answer = ask()
        if answer.status_code == 401:
            self.enter()
            answer = ask()
        return _json_of(answer)


def _json_of(answer: Any) -> Any:
    """The JSON of a 200 answer; None for anything else (no answer at all, a refusal: locust
    has counted it as failed, and the user goes on as a browser would)."""
    if answer.status_code != 200:
        return None
    try:
        return answer.json()
    except ValueError:
        return None


class Supervisor(Visitor):
    """A street supervisor: the map, its metric and window, clicks on areas, the case table."""

    weight = 6
    wait_time = between(3, 10)
    login = "street"

    def on_start(self) -> None:
        super().on_start()
        self.fetched: set[str] = set()
        self.block = 0
        self.open_map()

    @task(1)
    def open_map(self) -> None:
        self.open("/", f"?street={PLAN['street']}")
        self.fetch_shapes()
        self.page.set((ids.CASE_TABLE_START, "data"), time.time())  # the map is drawn
        self.block = 0

    @task(3)
    def switch_metric(self) -> None:
        self.page.set((ids.METRIC_SELECT, "value"), random.choice(METRICS))

    @task(2)
    def switch_window(self) -> None:
        self.page.set((ids.WINDOW_SELECT, "value"), random.choice(list(PRESET_WINDOWS)))

    @task(4)
    def click_area(self) -> None:
        click = {"points": [{"location": random.choice(PLAN["areas"])}]}
        self.page.set((ids.MAP, "clickData"), click)

    @task(3)
    def page_cases(self) -> None:
        start = self.block * PAGE_BLOCK
        request = {"startRow": start, "endRow": start + PAGE_BLOCK, "sortModel": []}
        self.page.set((ids.CASE_TABLE, "getRowsRequest"), {**request, "filterModel": {}})
        self.block += 1

    def fetch_shapes(self) -> None:
        """The figure's shapes, once per user: the browser keeps them (immutable)."""
        figure = self.page.props.get((ids.MAP, "figure")) or {}
        for trace in figure.get("data", []):
            url = trace.get("geojson")
            if isinstance(url, str) and url not in self.fetched:
                self.fetched.add(url)
                self.client.get(f"{self.base}{url}", name="geometry")


class GridWorker(Visitor):
    """A grid worker planning a round and trying other time budgets."""

    weight = 2
    wait_time = between(3, 10)
    login = "gridworker"

    def on_start(self) -> None:
        super().on_start()
        self.plan_round()

    @task(1)
    def plan_round(self) -> None:
        self.open("/routes", "")

    @task(2)
    def another_budget(self) -> None:
        self.page.set((ids.ROUTES_BUDGET, "value"), random.choice([60, 90, 120, 180, 240]))


class Wall(Visitor):
    """A command-centre wall: signed in by its link, refreshing every 30 s."""

    weight = 1
    wait_time = constant(30)

    def on_start(self) -> None:
        super().on_start()
        self.open("/wall", "")
        self.refreshes = 0

    def enter(self) -> None:
        self.client.get(f"{self.base}{PLAN['wall']}", name="wall link")

    @task
    def refresh(self) -> None:
        self.refreshes += 1
        self.page.set((ids.WALL_REFRESH, "n_intervals"), self.refreshes)
