"""The grid worker's phone page /m in Chromium on emulated Fast 3G: first load, offline repeat."""

from __future__ import annotations

import datetime as dt
import gzip
import re
import secrets
import statistics
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from dashboard.passwords import hash_password
from dashboard.sessions import COOKIE, start
from geodata.accounts import Grant, User
from geodata.backends import open_store
from geodata.model import Level
from geodata.store import Store
from tests.browser.pageutil import in_thread, served

from .common import Result

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-dev-shm-usage", "--disable-gpu"]
PHONE = {"viewport": {"width": 390, "height": 844}, "is_mobile": True, "has_touch": True}
RUNS = 3  # each in a fresh browser context: median reported
WORKERS_TRIED = 5  # demo grid workers tried, in order, until one has stops today
BENCH_LOGIN = "bench-phone-{}"
# The issue's "Fast 3G": 1.6 Mbit/s down, 750 kbit/s up, 150 ms. (DevTools' own "Fast 3G"
# preset scales these to 1.44 Mbit/s and 562.5 ms; the numbers are used as stated.)
FAST_3G = {
    "offline": False,
    "latency": 150,
    "downloadThroughput": 1.6e6 / 8,
    "uploadThroughput": 750e3 / 8,
}
OFFLINE = {"offline": True, "latency": 0, "downloadThroughput": -1, "uploadThroughput": -1}
FIRST_LOAD_BUDGET_MS = 3_000.0
FIRST_LOAD_BUDGET_KB = 300.0
OFFLINE_BUDGET_MS = 1_000.0
SERVER_S = 300  # longest wait for the server's first /m (it plans the round)
ROUND_MS = 30_000  # longest wait for the round, per visit
READY_PROBE_MS = 5_000  # how long the warm-up visit waits for data-m-ready to tell it is used
SW_FOUND_MS = 3_000  # a service worker registered within this long after the load event...
SW_READY_MS = 20_000  # ...and active within this long, or the page has none
# The round on screen: a stop listed and visible (and, when the page's script announces it,
# html[data-m-ready="1"]); resolves to performance.now(), ms since the navigation started.
INTERACTIVE = """(wantsReady) => {
    const stop = document.querySelector("#m-stops li");
    if (!stop || !stop.checkVisibility()) return false;
    if (wantsReady && document.documentElement.dataset.mReady !== "1") return false;
    return performance.now();
}"""
FIRST_BYTE = "() => performance.getEntriesByType('navigation')[0].responseStart"
HAS_READY = """() => document.documentElement.dataset.mReady === "1" """
SW_REGISTERED = """() => "serviceWorker" in navigator
    && navigator.serviceWorker.getRegistration().then((r) => Boolean(r))"""
SW_READY = """(ms) => Promise.race([
    navigator.serviceWorker.ready.then((r) => Boolean(r.active)),
    new Promise((resolve) => setTimeout(() => resolve(false), ms)),
])"""
NO_WORKER = "no service worker became active after the first visit"
_ASSETS = re.compile(r"<link[^>]*rel=\"stylesheet\"[^>]*>|<script\b[^>]*>.*?</script>", re.S)


@dataclass
class Visit:
    """One visit: ms from navigation to the round interactive (inf: never), bytes moved."""

    ms: float
    page_bytes: int = 0
    worker_bytes: int = 0  # fetched by the page's service worker (its install, mostly)
    sizes: dict[str, int] = field(default_factory=dict)  # the page's bytes by path
    note: str = ""
    first_byte_ms: float = float("nan")  # the document's first byte: server time + latency


def _session(store: Store, worker: str) -> str:
    """A session of a grid worker account linked to `worker` (made once, random password)."""
    login = BENCH_LOGIN.format(worker)
    if store.user(login) is None:
        hashed = hash_password(secrets.token_urlsafe(16))
        grants = (Grant("grid_worker"),)
        store.add_user(User(login, "bench", grants, hashed, person_id=worker, must_change=False))
    return start(store, "user", login)


def _get(url: str, secret: str) -> tuple[float, str]:
    """(seconds, HTML) of one plain request of `url` with the session cookie."""
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
    request = urllib.request.Request(url, headers={"Cookie": f"{COOKIE}={secret}"})
    started = time.perf_counter()
    with opener.open(request, timeout=SERVER_S) as response:
        html = response.read().decode()
    return time.perf_counter() - started, html


def _worker_with_round(store: Store, base: str) -> tuple[str, str, float, str]:
    """(worker, session secret, seconds of the server's first /m, its HTML) for the first
    demo grid worker of the first street whose round today has stops."""
    street = str(store.areas(Level.STREET)["code"].sort_values().iloc[0])
    workers = store.grid_workers().dropna(subset=["grid_code"])
    workers = workers[workers["grid_code"].str.startswith(street)]
    tried = []
    for worker in list(dict.fromkeys(workers["person_id"].astype(str)))[:WORKERS_TRIED]:
        secret = _session(store, worker)
        took, html = _get(f"{base}/m", secret)
        if 'id="m-stops"' in html:
            return worker, secret, took, html
        tried.append(worker)
    raise RuntimeError(f"no round today on /m for the grid workers {tried}")


@contextmanager
def _static_page(html: str) -> Iterator[str]:
    """The round's HTML without its stylesheet and script, gzipped, from a loopback server."""
    body = gzip.compress(_ASSETS.sub("", html).encode())

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            # the visit may be over before the whole page has come: a closed connection
            with suppress(ConnectionError):
                self.send_response(200)
                self.send_header("Content-Type", "text/html; charset=utf-8")
                self.send_header("Content-Encoding", "gzip")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

        def log_message(self, *args: object) -> None:
            pass

    with in_thread(ThreadingHTTPServer(("127.0.0.1", 0), Handler), "phone-bench-static") as port:
        yield f"http://127.0.0.1:{port}/m"


def _new_page(context: Any, conditions: dict[str, Any], cache: bool) -> tuple[Any, list]:
    """A page of `context` under `conditions` (CDP), and the list its requests go into."""
    page = context.new_page()
    cdp = context.new_cdp_session(page)
    cdp.send("Network.enable")
    cdp.send("Network.setCacheDisabled", {"cacheDisabled": not cache})
    cdp.send("Network.emulateNetworkConditions", conditions)
    requests: list = []
    page.on("requestfinished", lambda request: requests.append(request))
    return page, requests


def _moved(requests: list) -> dict[str, int]:
    """Bytes over the wire (headers and encoded body; 0 from a cache) by path, of finished
    requests whose sizes can still be read."""
    from playwright.sync_api import Error

    moved: dict[str, int] = {}
    for request in requests:
        try:
            sizes = request.sizes()
        except Error:  # its page or worker has gone
            continue
        path = urlsplit(request.url).path
        moved[path] = moved.get(path, 0) + sizes["responseHeadersSize"] + sizes["responseBodySize"]
    return moved


def _interactive(page: Any, url: str, wants_ready: bool) -> tuple[float, str]:
    """Open `url` in `page`: (ms from navigation to the round interactive, or inf; what went
    wrong, if anything)."""
    from playwright.sync_api import Error

    try:
        response = page.goto(url, wait_until="commit", timeout=ROUND_MS)
    except Error as error:
        return float("inf"), str(error).splitlines()[0]
    if response is None or not response.ok:
        status = response.status if response else "none"
        return float("inf"), f"/m answered {status} (service worker: {_from_worker(response)})"
    try:
        found = page.wait_for_function(
            INTERACTIVE, arg=wants_ready, timeout=ROUND_MS, polling="raf"
        )
    except Error:
        return float("inf"), f"no interactive round within {ROUND_MS / 1e3:g} s"
    return float(found.json_value()), ""


def _from_worker(response: Any) -> bool:
    return bool(response and response.from_service_worker)


def _service_worker(page: Any) -> bool:
    """Whether the page registered a service worker that became active (bounded waits)."""
    from playwright.sync_api import Error

    try:
        page.wait_for_load_state("load", timeout=ROUND_MS)
        page.wait_for_function(SW_REGISTERED, timeout=SW_FOUND_MS)
    except Error:
        return False
    return bool(page.evaluate(SW_READY, SW_READY_MS))


def _run(browser: Any, url: str, cookie: dict, wants_ready: bool) -> tuple[Visit, Visit]:
    """A fresh phone: the first visit on Fast 3G with the cache off, the service worker let
    settle, then a visit offline."""
    context = browser.new_context(**PHONE)
    context.add_cookies([{**cookie, "url": url}])
    worker_requests: list = []
    context.on("requestfinished", lambda r: worker_requests.append(r) if r.service_worker else None)
    try:
        page, requests = _new_page(context, FAST_3G, cache=False)
        first = Visit(*_interactive(page, url, wants_ready))
        if first.ms != float("inf"):
            first.first_byte_ms = page.evaluate(FIRST_BYTE)
        has_worker = _service_worker(page)
        sizes = _moved(requests)
        first.sizes, first.page_bytes = sizes, sum(sizes.values())
        first.worker_bytes = sum(_moved(worker_requests).values())
        page.close()
        context.set_offline(True)
        page, requests = _new_page(context, OFFLINE, cache=True)
        again = Visit(*_interactive(page, url, wants_ready))
        again.page_bytes = sum(_moved(requests).values())
        if not has_worker:
            again.note = "; ".join(filter(None, [NO_WORKER, again.note]))
        page.close()
        return first, again
    finally:
        context.close()


def _static_run(browser: Any, url: str) -> float:
    context = browser.new_context(**PHONE)
    try:
        page, _ = _new_page(context, FAST_3G, cache=False)
        took, problem = _interactive(page, url, wants_ready=False)
        if problem:
            raise RuntimeError(f"the static page did not load: {problem}")
        return took
    finally:
        context.close()


def _wants_ready(browser: Any, url: str, cookie: dict) -> bool:
    """Whether the page's script sets html[data-m-ready="1"] (an unthrottled warm-up visit)."""
    from playwright.sync_api import Error

    context = browser.new_context(**PHONE)
    context.add_cookies([{**cookie, "url": url}])
    try:
        page = context.new_page()
        page.goto(url, timeout=ROUND_MS)
        page.wait_for_function(HAS_READY, timeout=READY_PROBE_MS)
        return True
    except Error:
        return False
    finally:
        context.close()


def _median(values: list[float]) -> float:
    return statistics.median(values)


def _top(sizes: dict[str, int], n: int = 4) -> str:
    biggest = sorted(sizes.items(), key=lambda kv: -kv[1])[:n]
    return ", ".join(f"{path} {size / 1e3:,.1f} KB" for path, size in biggest)


def _runs(visits: list[Visit]) -> str:
    """Each run's time, and what went wrong in any."""
    times = "runs " + ", ".join(f"{v.ms:,.0f}" for v in visits) + " ms"
    return "; ".join([times, *sorted({v.note for v in visits if v.note})])


def _results(
    label: str,
    runs: list[tuple[Visit, Visit]],
    static_ms: list[float],
    server_s: float,
    how: str,
) -> list[Result]:
    firsts, agains = [first for first, _ in runs], [again for _, again in runs]
    first_ms = _median([v.ms for v in firsts])
    page_kb = _median([v.page_bytes / 1e3 for v in firsts])
    worker_kb = _median([v.worker_bytes / 1e3 for v in firsts])
    static = _median(static_ms)
    first_byte = _median([v.first_byte_ms for v in firsts])
    return [
        Result(
            f"phone /m ({label}): first load on Fast 3G → interactive round",
            first_ms,
            "ms",
            budget=FIRST_LOAD_BUDGET_MS,
            note=f"median of {RUNS} fresh phones (1.6 Mbit/s, 150 ms, cache off), {how};"
            f" {_runs(firsts)}; the document's first byte at {first_byte:,.0f} ms",
        ),
        Result(
            f"phone /m ({label}): bytes of the first load (page + its service worker)",
            _median([(v.page_bytes + v.worker_bytes) / 1e3 for v in firsts]),
            "KB",
            budget=FIRST_LOAD_BUDGET_KB,
            note=f"page {page_kb:,.1f} KB ({_top(firsts[0].sizes)});"
            f" service worker {worker_kb:,.1f} KB",
        ),
        Result(
            f"phone /m ({label}): first load on Fast 3G ÷ a static page of the same round",
            first_ms / static,
            "×",
            note=f"{first_ms:,.0f} ms vs {static:,.0f} ms (the round's HTML alone, gzipped,"
            " from a bare loopback server)",
        ),
        Result(
            f"phone /m ({label}): repeat visit offline → interactive round",
            _median([v.ms for v in agains]),
            "ms",
            budget=OFFLINE_BUDGET_MS,
            note=f"median of {RUNS}, each after its first load; {_runs(agains)}",
        ),
        Result(
            f"phone /m ({label}): server's first /m today (plans the round; not in the timings)",
            server_s,
            "s",
        ),
    ]


def run(city: Path, as_of: dt.date) -> list[Result]:
    del as_of  # /m plans the round for today (China time), whatever the store's day
    from playwright.sync_api import sync_playwright

    with open_store(city) as store, served(store, quiet=True) as base:
        worker, secret, server_s, html = _worker_with_round(store, base)
        cookie = {"name": COOKIE, "value": secret}
        url = f"{base}/m"
        with sync_playwright() as playwright, _static_page(html) as static_url:
            browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
            try:
                wants_ready = _wants_ready(browser, url, cookie)
                runs = [_run(browser, url, cookie, wants_ready) for _ in range(RUNS)]
                static_ms = [_static_run(browser, static_url) for _ in range(RUNS)]
            finally:
                browser.close()
    how = "round visible" + (' and html[data-m-ready="1"]' if wants_ready else " (no data-m-ready)")
    return _results(city.stem, runs, static_ms, server_s, f"{how}, worker {worker}")


if __name__ == "__main__":
    from geodata.model import LOCAL_TZ

    from .__main__ import _row
    from .common import ensure_city

    path, _ = ensure_city(dt.datetime.now(LOCAL_TZ).date())
    print("| benchmark | value | naive baseline | ratio | budget |")
    print("|---|---|---|---|---|")
    rows = run(path, dt.datetime.now(LOCAL_TZ).date())
    for row in rows:
        print(_row(row))
    for row in rows:
        print(f"- {row.name}: {row.note}" if row.note else f"- {row.name}")
