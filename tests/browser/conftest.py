"""Browser fixtures: Debian's Chromium for Playwright, and the app served from a thread."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Page, expect

from geodata.backends import open_store
from geodata.store import Store
from tests.browser.pageutil import Watch, guard, served

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-dev-shm-usage",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
OUTPUT = Path(__file__).resolve().parents[1] / "output"
# How long an assertion waits for what it expects before it fails. Playwright's 5 s is short
# for a first page on a 2-core machine that is also running the server and Chromium's software
# WebGL; a test still waits for its condition, never sleeps, and passes as soon as it holds.
EXPECT_TIMEOUT_MS = 30_000
expect.set_options(timeout=EXPECT_TIMEOUT_MS)


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args: dict[str, Any]) -> dict[str, Any]:
    """Playwright cannot download its own browser here: drive the system Chromium."""
    return {**browser_type_launch_args, "executable_path": CHROMIUM, "args": CHROMIUM_ARGS}


@pytest.fixture(scope="session")
def served_store(street_store_path: Path) -> Iterator[Store]:
    with open_store(street_store_path, readonly=True) as store:
        yield store


@pytest.fixture(scope="session")
def app_url(served_store: Store) -> Iterator[str]:
    """The street demo served by create_app on 127.0.0.1, on a port the OS picks."""
    with served(served_store) as url:
        yield url


@pytest.fixture(scope="session")
def output_dir() -> Path:
    OUTPUT.mkdir(exist_ok=True)
    return OUTPUT


@pytest.fixture
def watch(page: Page, app_url: str) -> Iterator[Watch]:
    """Collects console errors, uncaught page errors and requests off this host (aborted)."""
    seen = Watch()
    page.set_default_timeout(EXPECT_TIMEOUT_MS)
    guard(page, app_url, seen.problems, seen.outside)
    yield seen
