"""Overview in a browser: loads cleanly, shows the street's numbers, switches language by URL."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from urllib.parse import parse_qs, urlparse

import pytest
from playwright.sync_api import Page, expect

from dashboard import ids
from dashboard.i18n import LANGUAGE_NAMES, format_number, t
from geodata.model import LOCAL_TZ, Level
from geodata.store import Store, Window
from tests.browser.pageutil import Watch, data_names, untranslated

pytestmark = pytest.mark.browser

STREET_NAME = "水泊街道"
END = dt.datetime(2026, 11, 29, tzinfo=LOCAL_TZ)  # end of the demo's as-of day, 2026-11-28
SINCE_START = Window(dt.datetime(1970, 1, 1, tzinfo=dt.UTC), END)
LAST_30_DAYS = Window(END - dt.timedelta(days=30), END)


def street_numbers(store: Store) -> tuple[str, dict[str, int]]:
    """The code of 水泊街道 and its numbers, asked from the store directly."""
    streets = store.areas(Level.STREET).set_index("name")
    code = streets.at[STREET_NAME, "code"]
    open_now = store.metrics(Level.STREET, SINCE_START)
    recent = store.metrics(Level.STREET, LAST_30_DAYS)
    return code, {
        "communities": len(store.areas(Level.COMMUNITY, parent=code)),
        "compounds": len(store.areas(Level.COMPOUND, parent=code)),
        "grid_cells": len(store.areas(Level.GRID, parent=code)),
        "households": int(streets.at[STREET_NAME, "households"]),
        "open_cases": int(open_now.at[code, "open_cases"]),
        "overdue_cases": int(open_now.at[code, "overdue_cases"]),
        "cases_30d": int(recent.at[code, "cases"]),
    }


def open_overview(page: Page, url: str) -> None:
    page.goto(url)
    expect(page.locator(".ag-row", has_text=STREET_NAME).first).to_be_visible()


def cell(page: Page, row_name: str, column: str) -> str:
    """Text of a cell of the street table; the name column is pinned, so rows come in parts."""
    name_cell = page.locator(f'.ag-cell[col-id="name"]:text-is("{row_name}")')
    index = name_cell.locator("xpath=ancestor::*[@row-index][1]").get_attribute("row-index")
    center = page.locator(f'.ag-center-cols-container .ag-row[row-index="{index}"]')
    return center.locator(f'.ag-cell[col-id="{column}"]').inner_text().strip()


def test_page_loads_without_errors(
    page: Page, app_url: str, watch: Watch, output_dir: Path
) -> None:
    open_overview(page, app_url + "/overview")
    expect(page.locator(f"#{ids.PAGE_TITLE}")).to_have_text("网格治理一张图")
    expect(page).to_have_title("网格治理一张图")
    page.wait_for_load_state("networkidle")
    page.screenshot(path=output_dir / "overview-zh.png", full_page=True)
    assert watch.problems == []
    assert watch.outside == []


def test_street_row_shows_its_numbers(
    page: Page, app_url: str, watch: Watch, served_store: Store
) -> None:
    code, numbers = street_numbers(served_store)
    open_overview(page, app_url + "/overview")
    assert cell(page, STREET_NAME, "code") == code
    for column, value in numbers.items():
        assert cell(page, STREET_NAME, column) == format_number(value, "zh"), column
    assert watch.problems == []


def test_english_leaves_only_data_names_in_chinese(
    page: Page, app_url: str, watch: Watch, served_store: Store, output_dir: Path
) -> None:
    open_overview(page, app_url + "/overview")
    page.locator(f"#{ids.lang_link('en')}").click()
    expect(page.locator(f"#{ids.PAGE_TITLE}")).to_have_text(t("app.title", "en"))
    expect(page.locator(".ag-header-cell-text").first).to_have_text(t("column.street", "en"))
    page.screenshot(path=output_dir / "overview-en.png", full_page=True)
    text = page.locator("body").inner_text()
    names = [*data_names(served_store), LANGUAGE_NAMES["zh"]]
    assert untranslated(text, names) == ([], [])
    assert watch.problems == []


def test_language_choice_lives_in_the_url(page: Page, app_url: str, watch: Watch) -> None:
    open_overview(page, app_url + "/overview?lang=en&street=x")
    expect(page.locator(f"#{ids.PAGE_TITLE}")).to_have_text(t("app.title", "en"))
    page.reload()
    expect(page.locator(f"#{ids.PAGE_TITLE}")).to_have_text(t("app.title", "en"))

    page.locator(f"#{ids.lang_link('zh')}").click()
    expect(page.locator(f"#{ids.PAGE_TITLE}")).to_have_text(t("app.title", "zh"))
    query = parse_qs(urlparse(page.url).query)
    assert query == {"lang": ["zh"], "street": ["x"]}
    page.reload()
    expect(page.locator(f"#{ids.PAGE_TITLE}")).to_have_text(t("app.title", "zh"))

    page.go_back()
    expect(page.locator(f"#{ids.PAGE_TITLE}")).to_have_text(t("app.title", "en"))
    assert watch.problems == []
