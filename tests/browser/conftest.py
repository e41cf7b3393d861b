"""Browser fixtures: Debian's Chromium for Playwright, and the app served from a thread."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Page, expect

from dashboard.passwords import hash_password
from dashboard.sessions import COOKIE, start
from geodata.accounts import Grant, User
from geodata.backends import open_store
from geodata.store import Store
from tests.accounts_city import PASSWORD
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
def served_store(
    street_store_path: Path, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Store]:
    """A copy of the street demo with an account of the command centre (role city), which
    the pages' tests are signed in as; writable: sessions and the audit trail are written."""
    path = tmp_path_factory.mktemp("served") / "street.gpkg"
    path.write_bytes(street_store_path.read_bytes())
    with open_store(path) as store:
        store.add_user(
            User("tester", "Tester", (Grant("city"),), hash_password(PASSWORD), must_change=False)
        )
        yield store


@pytest.fixture(scope="session")
def app_url(served_store: Store) -> Iterator[str]:
    """The street demo served by create_app on 127.0.0.1, on a port the OS picks."""
    with served(served_store) as url:
        yield url


@pytest.fixture(scope="session")
def browser_context_args(
    browser_context_args: dict[str, Any], served_store: Store, app_url: str
) -> dict[str, Any]:
    """Every page of the pages' tests opens signed in (a session made in the store, as a
    sign-in would); the sign-in itself is tested in test_access.py."""
    cookie = {"name": COOKIE, "value": start(served_store, "user", "tester"), "url": app_url}
    return {**browser_context_args, "storage_state": {"cookies": [cookie], "origins": []}}


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
