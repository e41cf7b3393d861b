"""The grid worker's phone page in a real browser on a phone-sized touch screen: sign in, open
today's round, check in at the first building with the phone's (mocked) location, log a visit."""

from __future__ import annotations

import re
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, expect

from dashboard.i18n import t
from geodata.backends import open_store
from geodata.store import Store
from tests.accounts_city import PASSWORD, Town
from tests.browser.conftest import EXPECT_TIMEOUT_MS, OUTPUT
from tests.browser.pageutil import served

pytestmark = pytest.mark.browser
PHONE = {"width": 390, "height": 844}
UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}")


@pytest.fixture(scope="module")
def town_served(
    town: Town, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[Store, str]]:
    """A copy of the town, served."""
    path = tmp_path_factory.mktemp("mobile") / "town.gpkg"
    shutil.copy(town.path, path)
    with open_store(Path(path)) as store, served(store, quiet=True) as url:
        yield store, url


def _where(store: Store, town: Town, building_id: str) -> dict[str, float]:
    for cell in store.grid_workers(town.worker)["grid_code"].dropna():
        found = store.buildings(cell)
        found = found[found["id"] == building_id]
        if len(found):
            point = found.geometry.iloc[0]
            return {"longitude": float(point.x), "latitude": float(point.y), "accuracy": 10}
    raise AssertionError(building_id)


def test_a_worker_checks_in_and_logs_a_visit_on_the_phone(
    browser: Browser, town_served: tuple[Store, str], town: Town
) -> None:
    store, url = town_served
    context = browser.new_context(
        viewport=PHONE, is_mobile=True, has_touch=True, device_scale_factor=2,
        permissions=["geolocation"], geolocation={"longitude": 0.0, "latitude": 0.0},
    )  # fmt: skip
    page = context.new_page()
    page.set_default_timeout(EXPECT_TIMEOUT_MS)
    page.goto(f"{url}/m")  # to the sign-in form, and back here once signed in
    page.fill("#username", "grid_worker")
    page.fill("#password", PASSWORD)
    page.click("#login-submit")
    first = page.locator("#m-stops li:has(form.gb-m-checkin)").first
    expect(first).to_be_visible()
    expect(page.locator("#m-stops li.gb-m-next")).to_have_count(1)
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    stop = first.get_attribute("data-stop")
    context.set_geolocation(_where(store, town, stop.removeprefix("B:")))
    first.locator("button").tap()
    expect(page.locator("#m-checkin")).to_have_attribute("data-stop", stop)
    expect(page.locator("#m-distance")).to_have_attribute("data-flagged", "0")
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    visit_id = page.locator("#m-visit input[name=visit_id]").input_value()
    assert UUID.fullmatch(visit_id)  # made on the phone
    before = len(store.visits(worker_id=town.worker))
    page.fill("#m-households", "2")
    page.fill("#m-residents", "3")
    page.locator("#m-follow-up").check()
    page.locator("#m-visit-submit").tap()
    expect(page.locator("#m-done")).to_contain_text(t("mobile.done.stored", "zh"))
    expect(page.locator(f"#m-stops li[data-stop='{stop}']")).to_have_class(
        re.compile("gb-m-visited")
    )
    page.screenshot(path=str(OUTPUT / "mobile-round.png"), full_page=True)
    visits = store.visits(worker_id=town.worker)
    assert len(visits) == before + 1
    row = visits.set_index("id").loc[visit_id]
    assert (row["building_id"], row["households_reached"], row["needs_found"]) == (
        stop.removeprefix("B:"), 2, 1,
    )  # fmt: skip
    context.close()
