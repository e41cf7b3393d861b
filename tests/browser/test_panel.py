"""The area panel in a browser: opened by URL and by a click on the map, matching the store."""

from __future__ import annotations

from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from dashboard import ids
from dashboard.i18n import t
from geodata.model import Level, Role
from geodata.store import Store
from layers.view import DEFAULTS, data_as_of, window_of
from tests.browser import pageutil

pytestmark = pytest.mark.browser

MAP_PAGE = Path(__file__).resolve().parents[2] / "dashboard" / "pages" / "map.py"
STREET = "370832001"
GARDEN_NAME = "运河花园"
needs_map_page = pytest.mark.skipif(not MAP_PAGE.exists(), reason="the map page is not there yet")


@pytest.fixture(scope="module")
def garden(served_store: Store) -> str:
    compounds = served_store.areas(Level.COMPOUND).set_index("name")
    return str(compounds.at[GARDEN_NAME, "code"])


def holders(store: Store, code: str, role: Role) -> list[str]:
    """Names of the people holding `role` for the area `code` itself."""
    return [
        m.name
        for m in store.staff(code)
        if any(r.role == role and r.area_code in {code, *_cells(store, code)} for r in m.roles)
    ]


def _cells(store: Store, code: str) -> set[str]:
    return set(store.areas(Level.GRID, parent=code)["code"])


def panel_case_ids(page: Page) -> list[str]:
    """Case ids of the panel's grid, in the order shown."""
    rows = page.locator(f"#{ids.PANEL_CASES} .ag-center-cols-container .ag-row")
    found = rows.evaluate_all(
        "rows => rows.map(r => [Number(r.getAttribute('row-index')), r.getAttribute('row-id')])"
    )
    return [row_id for _, row_id in sorted(found)]


def check_garden_panel(page: Page, store: Store, garden: str) -> None:
    header = page.locator(f"#{ids.PANEL_HEADER}")
    expect(header).to_contain_text(GARDEN_NAME)
    expect(header).to_contain_text(garden)
    staff = page.locator(f"#{ids.PANEL_STAFF}")
    workers = holders(store, garden, Role.GRID_WORKER)
    administrators = holders(store, garden, Role.PROPERTY_ADMINISTRATOR)
    assert workers and administrators
    for name in {*workers, *administrators}:
        person = staff.locator(".gb-person", has=page.get_by_text(name, exact=True))
        expect(person).to_have_count(1)  # listed once, with all roles
    for member in store.staff(garden):
        if member.cross_appointed:
            person = staff.locator(".gb-person", has=page.get_by_text(member.name, exact=True))
            expect(person).to_contain_text(t("panel.cross_appointed", "zh"))
            expect(person).to_contain_text(member.phone)
    latest = [c.id for c in store.recent_cases(garden, 20)]
    expect(page.locator(f"#{ids.PANEL_CASES} .ag-center-cols-container .ag-row")).to_have_count(
        len(latest)
    )
    assert panel_case_ids(page) == latest


@needs_map_page
def test_url_with_an_area_opens_its_panel(
    page: Page, app_url: str, served_store: Store, garden: str
) -> None:
    page.goto(f"{app_url}/?street={STREET}&area={garden}")
    pageutil.wait_for_map(page)  # the first page of a fresh server: its callbacks take a while
    check_garden_panel(page, served_store, garden)
    expect(page.locator(f"#{ids.CASE_TABLE_TITLE}")).to_contain_text(GARDEN_NAME)
    check_case_table(page, served_store, garden)


def check_case_table(page: Page, store: Store, code: str) -> None:
    """The case table lists the newest cases of `code` (rows come from the server in blocks)."""
    page.locator(f"#{ids.CASE_TABLE}").scroll_into_view_if_needed()
    cells = page.locator(f"#{ids.CASE_TABLE} .ag-pinned-left-cols-container .ag-cell")
    window = window_of(DEFAULTS["window"], data_as_of(store.meta()))
    newest = store.cases(code, window)["id"].tolist()[:5]
    for index, case_id in enumerate(newest):  # rows arrive before their cells are filled
        expect(cells.nth(index)).to_have_text(case_id)


@needs_map_page
def test_without_an_area_the_panel_asks_for_a_click(page: Page, app_url: str) -> None:
    page.goto(f"{app_url}/?street={STREET}")
    expect(page.locator(f"#{ids.PANEL}")).to_contain_text(t("panel.prompt", "zh"))


@needs_map_page
def test_clicking_the_compound_on_the_map_opens_its_panel(
    page: Page, app_url: str, served_store: Store, garden: str
) -> None:
    page.set_viewport_size({"width": 1600, "height": 1000})
    page.goto(f"{app_url}/?street={STREET}")
    expect(page.locator(f"#{ids.PANEL}")).to_contain_text(t("panel.prompt", "zh"))
    pageutil.wait_for_map(page)
    compounds = served_store.areas(Level.COMPOUND).set_index("code")
    point = compounds.loc[[garden]].representative_point().iloc[0]
    page.locator(f"#{ids.MAP}").scroll_into_view_if_needed()
    pageutil.wait_for_map(page)
    pageutil.click_map_at(page, point.x, point.y)
    check_garden_panel(page, served_store, garden)
    expect(page.locator(f"#{ids.CASE_TABLE_TITLE}")).to_contain_text(GARDEN_NAME)
    check_case_table(page, served_store, garden)  # the street's rows made way for the garden's


@needs_map_page
def test_a_panel_case_opens_its_drawer_and_a_desk_records_a_call_here(
    page: Page, app_url: str, served_store: Store, garden: str
) -> None:
    page.goto(f"{app_url}/?street={STREET}&area={garden}")
    record = page.locator(f"#{ids.PANEL} a.gb-record-here")
    expect(record).to_have_text(t("panel.record_here", "zh"))
    expect(record).to_have_attribute("href", f"/cases/new?area={garden}&lang=zh")
    newest = served_store.recent_cases(garden, 20)[0].id
    page.locator(f"#{ids.PANEL} a.gb-case-open[data-case='{newest}']").click()
    expect(page.locator("#case-drawer")).to_have_attribute("data-case", newest)
    page.go_back()
    page.locator(f"#{ids.PANEL} a.gb-record-here").click()
    expect(page.locator("#case-new input[name=area]")).to_have_value(garden)
    expect(page.locator("#case-new")).to_be_visible()  # the form opens by itself
