"""Opening the map in Chromium: time to a drawn, idle map and bytes moved, first and second
visit (medians of ROUNDS), against a bare Dash + plotly page drawing the same areas, served
in the same run."""

from __future__ import annotations

import datetime as dt
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from statistics import median
from typing import Any

from dashboard import ids
from dashboard.sessions import COOKIE
from geodata.accounts import Grant
from geodata.backends import open_store
from geodata.model import Level
from geodata.store import Store
from tests.browser.pageutil import MAP_READY, served

from .bare_page import BARE_GRAPH
from .common import Result, signed_session

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-dev-shm-usage", "--disable-gpu"]
VIEWPORT = {"width": 1600, "height": 1000}
DRAWN_MS = 180_000  # the whole city draws WebGL in software: give it time
BENCH_USER = "bench-city"
# Visits per figure, ours and the bare page's taken in turn: the median of three stands
# where one visit's time, with Chromium drawing in software on 2 cores, varies by a quarter.
ROUNDS = 3
# Bytes the page moved: the document and every resource (0 for what came from the cache).
TRANSFERRED = """() => performance.getEntriesByType('navigation')
    .concat(performance.getEntriesByType('resource'))
    .reduce((sum, e) => sum + (e.transferSize || 0), 0)"""
# The map drawn and no callback in flight (tests/browser/pageutil.MAP_READY and Dash's flag).
IDLE = (
    "(id) => !document.querySelector(\"[data-dash-is-loading='true']\")"
    " && (" + MAP_READY.strip() + ")(id)"
)


@contextmanager
def _bare_page(city: Path, street: str | None) -> Iterator[str]:
    """The bare page (bench/bare_page.py) in a process of its own: two Dash apps in one
    process share Dash's globals (the callbacks go to whichever app served first)."""
    argv = [sys.executable, "-m", "bench.bare_page", str(city), *([street] if street else [])]
    process = subprocess.Popen(argv, stdout=subprocess.PIPE, text=True)
    try:
        url = process.stdout.readline().strip() if process.stdout else ""
        if not url.startswith("http://"):
            raise RuntimeError(f"the bare page did not start ({url!r})")
        yield url
    finally:
        process.terminate()
        process.wait(timeout=30)


def _visit(context: Any, url: str, graph: str) -> tuple[float, int]:
    """(ms from navigation to a drawn, idle map; bytes transferred) of one visit."""
    page = context.new_page()
    page.goto(url)
    page.wait_for_function(IDLE, arg=graph, timeout=DRAWN_MS, polling=50)
    took = page.evaluate("() => performance.now()")
    moved = page.evaluate(TRANSFERRED)
    page.close()
    return took, moved


def _visits(browser: Any, url: str, graph: str, cookie: dict | None) -> list[tuple[float, int]]:
    """A first and a second visit in one browser profile (the second may use its cache)."""
    context = browser.new_context(viewport=VIEWPORT)
    if cookie:
        context.add_cookies([{**cookie, "url": url}])
    try:
        return [_visit(context, url, graph) for _ in range(2)]
    finally:
        context.close()


def _session(store: Store) -> str:
    return signed_session(store, BENCH_USER, Grant("city"))


def _median_visits(rounds: list[list[tuple[float, int]]]) -> list[tuple[float, int]]:
    """The first and the second visit's median time, and the last round's bytes."""
    return [(median(r[visit][0] for r in rounds), rounds[-1][visit][1]) for visit in (0, 1)]


def _results(label: str, ours: list[tuple[float, int]], bare: list[tuple[float, int]]) -> list:
    (first_ms, first_bytes), (second_ms, second_bytes) = ours
    (bare_ms, _), (bare_second_ms, _) = bare
    return [
        Result(
            f"page: {label}, navigation → drawn idle map, ÷ bare page",
            first_ms / bare_ms,
            "×",
            budget=1.0,
            note=f"{first_ms:,.0f} ms vs {bare_ms:,.0f} ms",
        ),
        Result(
            f"page: {label}, second visit, ÷ bare page",
            second_ms / bare_second_ms,
            "×",
            budget=0.7,
            note=f"{second_ms:,.0f} ms vs {bare_second_ms:,.0f} ms",
        ),
        Result(f"page: {label}, bytes on first visit", first_bytes / 1e3, "KB"),
        Result(
            f"page: {label}, bytes on second visit (% of first)",
            100 * second_bytes / max(first_bytes, 1),
            "%",
            budget=5.0,
        ),
    ]


def run(city: Path, as_of: dt.date) -> list[Result]:
    del as_of
    from playwright.sync_api import sync_playwright

    results: list[Result] = []
    with open_store(city) as store, served(store, quiet=True) as base:
        cookie = {"name": COOKIE, "value": _session(store)}
        street = str(store.areas(Level.STREET)["code"].sort_values().iloc[0])
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
            for label, place in (("one street", street), ("whole city", None)):
                query = f"?street={place}" if place else ""
                bare, ours = [], []
                with _bare_page(city, place) as bare_url:
                    for _ in range(ROUNDS):
                        bare.append(_visits(browser, bare_url + "/", BARE_GRAPH, None))
                        ours.append(_visits(browser, f"{base}/{query}", ids.MAP, cookie))
                results += _results(label, _median_visits(ours), _median_visits(bare))
            browser.close()
    html_bytes = _page_html_bytes(base_store=city)
    results.append(Result("page: HTML of the map page", html_bytes / 1e3, "KB", budget=200.0))
    return results


def _page_html_bytes(base_store: Path) -> int:
    """Raw bytes of the map page's HTML (the same shell for every page and user)."""
    from dashboard.app import create_app
    from dashboard.settings import Settings

    with open_store(base_store) as store:
        client = create_app(Settings.from_env({}), store).server.test_client()
        client.set_cookie(COOKIE, _session(store))
        return len(client.get("/").data)
