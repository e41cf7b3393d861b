"""What the browser tests (and the screenshot script) share: map readiness, map clicks, a watch."""

from __future__ import annotations

import re
import threading
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

import pandas as pd
from playwright.sync_api import Page, Request, Route, expect
from werkzeug.serving import WSGIRequestHandler, make_server

from dashboard import ids
from dashboard.i18n import CATALOGUES, contains_cjk
from geodata.model import LOCAL_TZ, Level
from geodata.store import Store
from tests.webutil import serving_app

# The plotly map's MapLibre instance: ready once loaded and no longer moving.
# Drawn: the map has loaded every source (shapes fetched from an address included), stands
# still, and holds a layer for each coloured trace (added once its shapes have arrived).
MAP_READY = """(id) => {
    const gd = document.querySelector(`#${id} .js-plotly-plot`);
    const map = gd && gd._fullLayout && gd._fullLayout.map && gd._fullLayout.map._subplot
        && gd._fullLayout.map._subplot.map;
    if (!(map && map.loaded() && !map.isMoving())) return false;
    return gd._fullData.every((trace) => trace.type !== "choroplethmap" || !trace.visible
        || Boolean(map.getLayer(`plotly-trace-layer-${trace.uid}-fill`)));
}"""
# Page coordinates of a lon/lat on the map.
PROJECT = """([id, lon, lat]) => {
    const map = document.querySelector(`#${id} .js-plotly-plot`)._fullLayout.map._subplot.map;
    const point = map.project([lon, lat]);
    const box = map.getCanvas().getBoundingClientRect();
    return {x: box.left + point.x, y: box.top + point.y};
}"""


@dataclass
class Watch:
    """What went wrong in the page: console errors, uncaught errors, requests off this host."""

    problems: list[str] = field(default_factory=list)
    outside: list[str] = field(default_factory=list)


def wait_for_map(page: Page, timeout: int = 30_000) -> None:
    """Until no Dash callback is in flight and the map has loaded and stopped moving."""
    expect(page.locator("[data-dash-is-loading='true']")).to_have_count(0, timeout=timeout)
    page.wait_for_function(MAP_READY, arg=ids.MAP, timeout=timeout)


def just_before_now() -> pd.Timestamp:
    """A report time a few seconds ago, but today (China time): counted in the wall's
    "new today" whenever the test runs, local midnight included."""
    now = pd.Timestamp.now(tz=LOCAL_TZ)
    return max(now - pd.Timedelta(seconds=5), now.normalize())


def click_map_at(page: Page, lon: float, lat: float) -> None:
    """Click the map where `lon`, `lat` is drawn."""
    spot = page.evaluate(PROJECT, [ids.MAP, lon, lat])
    page.mouse.click(spot["x"], spot["y"])


class QuietHandler(WSGIRequestHandler):
    """No log line per request."""

    def log_request(self, *args: object, **kwargs: object) -> None:
        pass


@contextmanager
def served(store: Store, quiet: bool = False) -> Iterator[str]:
    """The dashboard on `store`, served from a thread on 127.0.0.1 at a port the OS picks."""
    app = serving_app(store)  # owns every callback, whichever app of the run came first
    handler = QuietHandler if quiet else WSGIRequestHandler
    server = make_server("127.0.0.1", 0, app.server, threaded=True, request_handler=handler)
    with in_thread(server, "gridboard-test-server") as port:
        yield f"http://127.0.0.1:{port}"


@contextmanager
def in_thread(server: Any, name: str) -> Iterator[int]:
    """`server` (a socketserver bound to 127.0.0.1) serving from a thread of its own; its port.
    Shut down and closed on the way out."""
    thread = threading.Thread(target=server.serve_forever, name=name)
    thread.start()
    try:
        yield server.server_port
    finally:
        server.shutdown()
        thread.join(timeout=10)
        server.server_close()


def data_names(store: Store) -> list[str]:
    """Names in the data (which stay Chinese on the English page), longest first."""
    names = {store.meta().get("name", "")}
    for level in Level:
        names |= set(store.areas(level)["name"].dropna().astype(str))
    return sorted((n for n in names if n), key=len, reverse=True)


def untranslated(text: str, names: Iterable[str]) -> tuple[list[str], list[str]]:
    """What an English page shows that is not English: lines still holding Chinese once the
    data's own `names` are taken out (longest first), and translation keys shown raw."""
    for name in sorted(names, key=len, reverse=True):
        text = text.replace(name, "")
    chinese = [line for line in text.splitlines() if contains_cjk(line)]
    keys = [key for key in CATALOGUES["en"] if re.search(rf"\b{re.escape(key)}\b", text)]
    return chinese, keys


def guard(page: Page, allowed: str, problems: list[str], refused: list[str]) -> None:
    """Record the page's console errors and uncaught errors in `problems`, and abort (and
    record in `refused`) every request whose URL does not start with `allowed`."""
    page.on("console", lambda m: problems.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda error: problems.append(str(error)))

    def only_allowed(route: Route, request: Request) -> None:
        if request.url.startswith(allowed):
            route.continue_()
        else:  # no test reaches the internet
            refused.append(request.url)
            route.abort()

    page.route("**/*", only_allowed)
