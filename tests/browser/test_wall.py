"""The wall in a browser: fits 1080p and 4K, refreshes by itself, masks, and says when stale."""

from __future__ import annotations

import contextlib
import datetime as dt
import re
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
from playwright.sync_api import Page, Response, expect

from dashboard.i18n import format_number, t
from dashboard.passwords import token_digest
from geodata.accounts import Display
from geodata.backends import open_store
from geodata.model import LOCAL_TZ, Level
from geodata.store import Store, StoreError
from layers import kpi, wall
from tests import tiny_city as tc
from tests.browser.pageutil import MAP_READY, just_before_now, served

pytestmark = pytest.mark.browser

MAP = "wall-map"
MOBILE = re.compile(r"(?<!\d)1[3-9]\d{9}(?!\d)")
PHONE = "13912345678"
TOKEN = "wall-test-token-0123456789abcdef"


class Switchable:
    """A store that can be switched off: every call then raises, as a lost data source would.

    Renaming the GeoPackage away does not stop SQLite (open connections keep the file), so
    the test stops the data source here, behind the store interface."""

    def __init__(self, store: Store) -> None:
        self.store, self.down = store, False

    def __getattr__(self, name: str) -> Any:
        if self.down:
            raise StoreError("data source stopped (test)")
        return getattr(self.store, name)


@pytest.fixture(scope="module")
def live(street_store_path: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    """A writable copy of the street demo, served by its own app."""
    path = tmp_path_factory.mktemp("wall") / "street.gpkg"
    shutil.copy(street_store_path, path)
    with open_store(path) as store:
        # The wall is a screen's: it signs in with a display link, as `gridboard display add`
        # makes one.
        store.add_display(Display("测试大屏", None, dt.datetime.now(dt.UTC)), token_digest(TOKEN))
        switch = Switchable(store)
        with served(switch, quiet=True) as url:  # type: ignore[arg-type]
            yield switch, url


def open_wall(page: Page, url: str, width: int = 1920, height: int = 1080) -> None:
    """Open the wall's display link `url` (+ its token) and wait until the map is drawn."""
    page.set_viewport_size({"width": width, "height": height})
    page.goto(f"{url}&token={TOKEN}")
    expect(page.locator("[data-dash-is-loading='true']")).to_have_count(0, timeout=30_000)
    page.wait_for_function(MAP_READY, arg=MAP, timeout=30_000)


@pytest.mark.parametrize(("width", "height"), [(1920, 1080), (3840, 2160)])
def test_the_wall_fits_the_screen(
    page: Page, live: Any, output_dir: Path, width: int, height: int
) -> None:
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    open_wall(page, f"{live[1]}/wall?rotate=0", width, height)
    size = page.evaluate(
        "() => [document.documentElement.scrollWidth, document.documentElement.scrollHeight,"
        " window.innerWidth, window.innerHeight]"
    )
    assert size == [width, height, width, height]
    tiles = page.locator(".gb-wall-kpi")
    expect(tiles).to_have_count(len(wall.TILE_SPECS))
    for index in range(len(wall.TILE_SPECS)):
        expect(tiles.nth(index)).to_be_in_viewport(ratio=1)
    expect(page.locator("#wall-feed li").first).to_be_in_viewport(ratio=1)
    expect(page.locator(".gb-wall-feed")).to_be_in_viewport(ratio=1)
    expect(page.locator("#wall-legend")).not_to_be_empty()
    # The map is drawn where its box is, not pushed out of sight below it.
    box = page.locator(".gb-wall-map-box").bounding_box()
    canvas = page.locator(f"#{MAP} canvas.maplibregl-canvas").bounding_box()
    assert box and canvas and canvas["height"] > 0.5 * box["height"]
    assert box["y"] <= canvas["y"] < canvas["y"] + canvas["height"] <= box["y"] + box["height"] + 1
    expect(page.locator(".gb-wall-stale-on")).to_have_count(0)
    page.screenshot(path=output_dir / f"wall-{width}x{height}.png")
    assert errors == []


def test_a_new_case_shows_within_one_refresh_masked(page: Page, live: Any) -> None:
    switch, url = live
    bodies: list[str] = []

    def keep(response: Response) -> None:
        with contextlib.suppress(Exception):  # redirects have no body
            bodies.append(response.text())

    page.on("response", keep)
    open_wall(page, f"{url}/wall?refresh=2&rotate=5&lang=en")
    expect(page).to_have_title(t("wall.title", "en"))
    new_today = page.locator("[data-kpi='new_today'] .gb-wall-kpi-value")
    before = int(new_today.inner_text().replace(",", ""))
    compounds = switch.store.areas(Level.COMPOUND)
    spot = compounds.geometry.iloc[0].representative_point()
    now = just_before_now()
    row = tc.case_row("WALL-1", "noise", 0, 0, now, "reported")
    row |= {"lon": spot.x, "lat": spot.y, "description": f"王先生来电{PHONE}，楼上装修噪音"}
    row["dispatched_at"] = None
    switch.store.add_cases(pd.DataFrame([row]))
    first = page.locator("#wall-feed li").first
    expect(first).to_have_attribute("data-case", "WALL-1", timeout=5_000)
    expect(new_today).to_have_text(f"{before + 1:,}", timeout=5_000)
    expect(first).to_contain_text("139****5678")
    page.wait_for_timeout(2_500)  # one more refresh and a rotation step
    assert page.url.endswith("lang=en")  # no reload
    assert not MOBILE.search(page.locator("body").inner_text())
    leaks = [body[:200] for body in bodies if MOBILE.search(body)]
    assert leaks == []
    assert any("WALL-1" in body for body in bodies)


def on_time_text(store: Store, start: dt.datetime, end: dt.datetime) -> str:
    """The 按期结案率 of [start, end) as layers.kpi counts it (streets summed), as shown."""
    rows = kpi.kpis(store.kpi_cases(start, end), "street", start, end, store.work_clock())
    closed = rows["closed"].sum()
    if not closed:
        return "—"
    on_time = (rows["on_time_rate"].fillna(0) * rows["closed"]).sum()
    return format_number(100 * on_time / closed, "en", 1) + "%"


def test_the_on_time_rate_shows_against_last_week_and_follows_a_closure(
    page: Page, live: Any
) -> None:
    switch, url = live
    open_wall(page, f"{url}/wall?refresh=2&rotate=0&lang=en")
    band = page.locator(f"[data-kpi='{wall.ON_TIME}']")
    expect(band).to_contain_text(t("wall.kpi.on_time_rate_week", "en"))
    expect(band).to_be_in_viewport(ratio=1)
    monday = wall.week_start(dt.datetime.now(LOCAL_TZ))
    last_week = on_time_text(switch.store, monday - dt.timedelta(days=7), monday)
    expect(band.locator(".gb-wall-last")).to_have_text(f"last week {last_week}")
    # A case closed now, well before its due time, counts in this week's rate at once.
    closed = just_before_now()
    spot = switch.store.areas(Level.COMPOUND).geometry.iloc[0].representative_point()
    row = tc.case_row("WALL-OT", "noise", 0, 0, closed - pd.Timedelta(hours=2), "closed", closed)
    row |= {"lon": spot.x, "lat": spot.y, "due_at": closed + pd.Timedelta(days=1)}
    switch.store.add_cases(pd.DataFrame([row]))
    this_week = on_time_text(switch.store, monday, closed + pd.Timedelta(minutes=1))
    assert this_week != "—"
    expect(band.locator(".gb-wall-kpi-value")).to_have_text(this_week, timeout=5_000)
    if last_week != "—":
        expect(band.locator(".gb-wall-kpi-change")).to_contain_text("pts")


def test_a_stopped_data_source_shows_the_stale_banner(page: Page, live: Any) -> None:
    switch, url = live
    open_wall(page, f"{url}/wall?refresh=2&rotate=0")
    banner = page.locator("#wall-stale")
    expect(banner).to_be_hidden()
    page.wait_for_timeout(2_500)
    expect(banner).to_be_hidden()
    switch.down = True
    try:
        expect(banner).to_be_visible(timeout=4_000)  # two refresh periods
    finally:
        switch.down = False
    expect(banner).to_be_hidden(timeout=4_000)
