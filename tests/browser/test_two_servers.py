"""Two `gridboard serve` processes on one PostGIS store and one Redis: a write — from outside,
and through server A's work queue — shows on both walls within one refresh."""

from __future__ import annotations

import dataclasses
import datetime as dt
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pandas as pd
import pytest
from playwright.sync_api import Browser, expect

from dashboard.passwords import hash_password, token_digest
from geodata import transfer
from geodata.accounts import Display, Grant, User
from geodata.backends import open_store
from geodata.model import Level
from tests import procutil, storekit
from tests import tiny_city as tc
from tests.accounts_city import PASSWORD
from tests.browser.pageutil import just_before_now
from tests.browser.test_wall import TOKEN, open_wall
from tests.test_redis_cache import REDIS_URL
from tests.test_serve import _health, wait_for

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def shared(street_store_path: Path, pg_url: str) -> Iterator[str]:
    """The street demo copied into a PostGIS schema, with a wall display."""
    with storekit.pg_schema(pg_url) as url:
        with (
            open_store(street_store_path, readonly=True) as source,
            open_store(url, create=True) as target,
        ):
            transfer.copy_store(source, target)
            target.add_display(
                Display("双机大屏", None, dt.datetime.now(dt.UTC)), token_digest(TOKEN)
            )
            desk = User("desk", "值班员", (Grant("city"),), hash_password(PASSWORD))
            target.add_user(dataclasses.replace(desk, must_change=False))
        yield url


@pytest.fixture(scope="module")
def servers(shared: str) -> Iterator[list[str]]:
    """Two app processes (gunicorn, a worker each) on the shared store and Redis."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("GRIDBOARD_")}
    env |= {"GRIDBOARD_REDIS_URL": REDIS_URL}
    started, bases = [], []
    try:
        for _ in range(2):
            port = procutil.free_port()
            command = [sys.executable, "-m", "dashboard.cli", "serve", "--data", shared]
            command += ["--port", str(port), "--workers", "1", "--threads", "4"]
            started.append(subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL))
            bases.append(f"http://127.0.0.1:{port}")
        for base, server in zip(bases, started, strict=True):
            wait_for(lambda b=base, s=server: _health(b) or s.poll() is not None, f"{base}/healthz")
            assert server.poll() is None
        yield bases
    finally:
        for server in started:
            procutil.stop(server)


def test_a_write_shows_on_both_servers_walls_within_one_refresh(
    browser: Browser, servers: list[str], shared: str
) -> None:
    pages = [browser.new_page() for _ in servers]
    tiles = []
    for page, base in zip(pages, servers, strict=True):
        open_wall(page, f"{base}/wall?refresh=2&rotate=0&lang=en")
        tiles.append(page.locator("[data-kpi='new_today'] .gb-wall-kpi-value"))
    counts = [int(tile.inner_text().replace(",", "")) for tile in tiles]
    assert counts[0] == counts[1]
    with open_store(shared) as store:
        spot = store.areas(Level.COMPOUND).geometry.iloc[0].representative_point()
        now = just_before_now()
        row = tc.case_row("TWO-1", "noise", 0, 0, now, "reported")
        row |= {"lon": spot.x, "lat": spot.y, "dispatched_at": None}
        store.add_cases(pd.DataFrame([row]))
    for page, tile in zip(pages, tiles, strict=True):
        expect(tile).to_have_text(f"{counts[0] + 1:,}", timeout=6_000)  # refresh=2 s
        expect(page.locator("#wall-feed li").first).to_have_attribute("data-case", "TWO-1")
    opened = [page.locator("[data-kpi='open_cases'] .gb-wall-kpi-value") for page in pages]
    before = [int(tile.inner_text().replace(",", "")) for tile in opened]
    _reject_through(browser, servers[0], "TWO-1")  # a write through server A's own page
    for tile, count in zip(opened, before, strict=True):
        expect(tile).to_have_text(f"{count - 1:,}", timeout=6_000)
    for page in pages:
        page.close()


def _reject_through(browser: Browser, base: str, case: str) -> None:
    """Sign in on `base` and reject `case` from its work queue (不予立案)."""
    page = browser.new_context().new_page()
    page.goto(f"{base}/cases?tab=reported&case={case}")
    page.fill("#username", "desk")
    page.fill("#password", PASSWORD)
    page.click("#login-submit")
    page.locator("#act-reject textarea[name=note]").fill("重复上报")
    page.locator("#act-reject button").click()
    expect(page.locator("#cases-done")).to_be_visible()
    page.context.close()
