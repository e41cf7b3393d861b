"""Signing in, refusals, masking and wall links in a real browser, on the town of two streets."""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
import shutil
import sqlite3
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Browser, Page, expect

from dashboard import ids
from dashboard.i18n import t
from dashboard.passwords import hash_password, token_digest
from geodata.accounts import Display, Grant, User, first_broken
from geodata.store import Store
from tests.accounts_city import PASSWORD, Town
from tests.browser.conftest import EXPECT_TIMEOUT_MS
from tests.browser.pageutil import guard, served

pytestmark = pytest.mark.browser

MOBILE = re.compile(r"(?<!\d)1[3-9]\d{9}(?!\d)")


@pytest.fixture(scope="module")
def town_url(town_store: Store) -> Iterator[str]:
    with served(town_store, quiet=True) as url:
        yield url


@pytest.fixture
def stranger(browser: Browser, town_url: str) -> Iterator[Page]:
    """A page of a browser nobody has signed in with; fails the test on console errors
    (a Content-Security-Policy violation among them)."""
    context = browser.new_context()
    page = context.new_page()
    page.set_default_timeout(EXPECT_TIMEOUT_MS)
    problems: list[str] = []
    guard(page, town_url, problems, [])
    yield page
    context.close()
    assert not [p for p in problems if "Content Security Policy" in p or "Refused" in p]


def sign_in(page: Page, url: str, login: str, password: str = PASSWORD) -> None:
    page.goto(f"{url}/login")
    page.fill("#username", login)
    page.fill("#password", password)
    page.click("#login-submit")


def test_sign_in_and_out(stranger: Page, town_url: str) -> None:
    stranger.goto(f"{town_url}/?street=370832001")
    expect(stranger).to_have_url(re.compile(r"/login\?next="))
    stranger.fill("#username", "street")
    stranger.fill("#password", PASSWORD)
    stranger.click("#login-submit")
    expect(stranger.locator(f"#{ids.ACCOUNT_NAME}")).to_contain_text("street")
    expect(stranger.locator(f"#{ids.ACCOUNT_ROLES}")).to_contain_text(
        t("account_role.street", "zh")
    )
    expect(stranger.locator(f"#{ids.MAP} .js-plotly-plot")).to_be_visible()
    stranger.click(f"#{ids.LOGOUT}")
    expect(stranger.locator("#signed-out")).to_be_visible()
    stranger.goto(f"{town_url}/")
    expect(stranger).to_have_url(re.compile(r"/login\?next="))


def test_five_wrong_passwords_lock_the_account(
    stranger: Page, town_url: str, town_store: Store
) -> None:
    town_store.add_user(
        User("lockme", "锁定测试", (Grant("city"),), hash_password(PASSWORD), must_change=False)
    )
    for _ in range(5):
        sign_in(stranger, town_url, "lockme", "wrong password!")
        expect(stranger.locator("#login-error")).to_contain_text(t("login.failed", "zh"))
    sign_in(stranger, town_url, "lockme")  # the right one, now too late
    expect(stranger.locator("#login-error")).to_contain_text(t("login.failed", "zh"))
    assert "/login" in stranger.url
    assert town_store.user("lockme").locked_until is not None


def test_a_supervisor_who_edits_the_url_to_another_street_is_refused(
    stranger: Page, town_url: str, town: Town
) -> None:
    sign_in(stranger, town_url, "street")
    expect(stranger.locator(f"#{ids.ACCOUNT_NAME}")).to_be_visible()
    stranger.goto(f"{town_url}/?street={town.street_b}")
    expect(stranger.locator("#refused")).to_have_text(t("refused.scope", "zh"))
    options = stranger.goto(f"{town_url}/?street={town.street_a}")
    assert options is not None and options.status == 200
    expect(stranger.locator(f"#{ids.STREET_SELECT}")).to_have_value(re.compile(".+"))


def _csv_of(page: Page) -> list[list[str]]:
    with page.expect_download() as download:
        page.click(f"#{ids.CASE_CSV_BUTTON}")
    text = download.value.path().read_text(encoding="utf-8-sig")
    return list(csv.reader(io.StringIO(text)))


def test_a_property_company_sees_reporters_masked(
    stranger: Page, town_url: str, town: Town, town_store: Store
) -> None:
    phones = town_store.cases(town.compound)["reporter_phone"].dropna()
    assert len(phones)  # the compound has reporters with phones: masking is a real check
    sign_in(stranger, town_url, "property")
    expect(stranger.locator(f"#{ids.ACCOUNT_NAME}")).to_be_visible()
    stranger.goto(f"{town_url}/?street={town.street_a}&area={town.compound}&window=90d")
    panel = stranger.locator(f"#{ids.PANEL_CASES}")
    expect(panel.locator(".ag-row[row-id]").first).to_be_attached()
    table = stranger.locator(f"#{ids.CASE_TABLE}")
    # A row of the table's first block, with its data (a loading row has no row-id yet).
    expect(table.locator(".ag-center-cols-container .ag-row[row-id]").first).to_be_attached()
    shown = (panel.text_content() or "") + (table.text_content() or "")
    assert "****" in shown and not MOBILE.search(shown)
    rows = _csv_of(stranger)
    assert len(rows) > 1 and not MOBILE.search(repr(rows))
    column = rows[0].index(t("casecol.reporter_phone", "zh"))
    assert all("****" in row[column] for row in rows[1:] if row[column])


def test_a_street_supervisor_sees_reporters_and_the_look_is_audited(
    stranger: Page, town_url: str, town: Town, town_store: Store
) -> None:
    sign_in(stranger, town_url, "street")
    expect(stranger.locator(f"#{ids.ACCOUNT_NAME}")).to_be_visible()
    since = dt.datetime.now(dt.UTC)
    stranger.goto(f"{town_url}/?street={town.street_a}&area={town.compound}&window=90d")
    expect(stranger.locator(f"#{ids.PANEL_CASES} .ag-row[row-id]").first).to_be_attached()
    rows = _csv_of(stranger)
    assert MOBILE.search(repr(rows))  # shown unmasked to her
    looks = [e for e in town_store.audit_entries(since=since) if e.action == "personal_data"]
    assert {e.actor for e in looks} == {"street"}
    assert any(e.target.startswith("panel: " + town.compound) for e in looks)
    assert any(e.target.startswith("case_csv: ") for e in looks)
    assert first_broken(town_store.audit_entries(), town_store.audit_head()) is None


def test_a_wall_token_shows_the_wall_and_nothing_else(
    stranger: Page, town_url: str, town: Town, town_store: Store
) -> None:
    token = "wall-token-" + "x" * 30
    town_store.add_display(
        Display("一楼大厅", town.street_a, dt.datetime.now(dt.UTC)), token_digest(token)
    )
    stranger.goto(f"{town_url}/wall?token={token}&rotate=0")
    expect(stranger).to_have_url(f"{town_url}/wall?rotate=0")
    expect(stranger.locator(f"#{ids.WALL_KPIS}")).to_be_visible()
    for path in ("/", "/overview", "/routes", f"/wall?street={town.street_b}"):
        response: Any = stranger.goto(f"{town_url}{path}")
        assert response.status == 403, path
        expect(stranger.locator("#refused")).to_be_visible()


def test_the_audit_trail_of_the_browser_sessions_verifies_and_tampering_is_named(
    town: Town, town_store: Store, tmp_path: Path
) -> None:
    """`gridboard audit verify` on the store the browsers used; then on a copy with one
    entry changed by sqlite3, as someone with the file in hand could."""
    assert len(town_store.audit_entries()) > 10  # sign-ins, refusals, looks of this module
    ok = gridboard("audit", "verify", "--data", town.path)
    assert ok.returncode == 0 and "intact" in ok.stdout, ok.stderr
    copy = tmp_path / "tampered.gpkg"
    shutil.copy(town.path, copy)
    with sqlite3.connect(copy) as con:
        for (name,) in con.execute("SELECT name FROM sqlite_master WHERE type = 'trigger'"):
            con.execute(f'DROP TRIGGER "{name}"')
        con.execute("UPDATE audit SET actor = 'someone else' WHERE seq = 3")
    broken = gridboard("audit", "verify", "--data", copy)
    assert broken.returncode == 1 and "entry 3 " in broken.stderr, broken.stderr


def gridboard(*argv: object) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "dashboard.cli", *map(str, argv)],
        capture_output=True,
        text=True,
        check=False,
    )
