"""The routes page in a browser: numbered stops and path, moving a stop, English, links, sheet."""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path
from urllib.parse import parse_qs, urlparse

import pytest
from playwright.sync_api import Page, expect

from dashboard import ids
from dashboard.i18n import LANGUAGE_NAMES, t
from dashboard.readers import routes as rd
from geodata.store import Store
from tests.browser import pageutil
from tests.browser.pageutil import Watch, data_names, untranslated

pytestmark = pytest.mark.browser

WORKER = "P000060"
DAY = "2026-12-02"
ROWS = f"#{ids.ROUTES_LIST} tr.gb-route-row"
NUMBERS = f"#{ids.ROUTES_MAP} .gb-route-num"
TRACES = """(id) => document.querySelector(`#${id} .js-plotly-plot`)._fullData.map(
    trace => ({meta: trace.meta, lon: Array.from(trace.lon || []),
               numbers: (trace.customdata || []).map(c => c[0])}))"""


def open_routes(page: Page, url: str) -> None:
    page.set_viewport_size({"width": 1600, "height": 1100})
    page.goto(url)
    wait_for_route(page)


def wait_for_route(page: Page) -> None:
    expect(page.locator("[data-dash-is-loading='true']")).to_have_count(0, timeout=30_000)
    page.wait_for_function(pageutil.MAP_READY, arg=ids.ROUTES_MAP, timeout=30_000)


def traces(page: Page) -> dict[str, dict]:
    return {trace["meta"]: trace for trace in page.evaluate(TRACES, ids.ROUTES_MAP)}


def listed(page: Page) -> list[str]:
    return page.locator(ROWS).evaluate_all("rows => rows.map(r => r.dataset.stop)")


def arrival_times(page: Page) -> list[str]:
    return page.locator(f"{ROWS} .gb-route-arrival").all_inner_texts()


def suggested(store: Store) -> rd.Itinerary:
    return rd.itinerary(store, WORKER, dt.date.fromisoformat(DAY))


def test_route_page_draws_numbered_stops_and_the_path(
    page: Page, app_url: str, watch: Watch, served_store: Store, output_dir: Path
) -> None:
    route = suggested(served_store)
    open_routes(page, f"{app_url}/routes?worker={WORKER}&date={DAY}")
    expect(page).to_have_title("网格治理一张图")
    expected = [rs.stop.id for rs in route.stops]
    expect(page.locator(ROWS)).to_have_count(len(expected))
    assert listed(page) == expected
    assert arrival_times(page) == [rs.arrival.strftime("%H:%M") for rs in route.stops]
    drawn = traces(page)
    assert drawn["stops"]["numbers"] == list(range(1, len(expected) + 1))
    assert len(drawn["path"]["lon"]) == len(route.path)
    numbers = page.locator(NUMBERS)
    expect(numbers).not_to_have_count(0)
    labels = ",".join(numbers.all_inner_texts()).split(",")  # stops at one place: "5,6"
    assert labels == [str(n) for n in range(1, len(expected) + 1)]
    expect(page.locator(f"#{ids.ROUTES_MAP} .gb-route-hall-label")).to_have_text(
        t("sheet.map.hall", "zh")
    )
    first = numbers.first.bounding_box()
    box = page.locator(f"#{ids.ROUTES_MAP}").bounding_box()
    assert first and box and box["x"] <= first["x"] <= box["x"] + box["width"]
    page.screenshot(path=output_dir / "routes-zh.png")
    assert watch.problems == []
    assert watch.outside == []


def test_moving_stop_one_down_swaps_and_retimes(
    page: Page, app_url: str, watch: Watch, served_store: Store
) -> None:
    route = suggested(served_store)
    first, second = route.stops[0].stop, route.stops[1].stop
    open_routes(page, f"{app_url}/routes?worker={WORKER}&date={DAY}")
    page.evaluate("window.__gbSamePage = true")
    before = arrival_times(page)
    button = page.get_by_role("button", name=t("route.page.move_down", "zh", name=first.place.name))
    button.click()
    expect(page).to_have_url(re.compile(r"order="))
    expect(page.locator(ROWS).first).to_have_attribute("data-stop", second.id)
    wait_for_route(page)
    assert listed(page)[:2] == [second.id, first.id]
    after = arrival_times(page)
    assert after[:2] != before[:2]
    assert page.evaluate("window.__gbSamePage") is True  # no reload
    order = parse_qs(urlparse(page.url).query)["order"][0].split(",")
    assert order[:2] == [second.id, first.id]
    again = rd.itinerary(served_store, WORKER, dt.date.fromisoformat(DAY), order=order)
    assert after == [rs.arrival.strftime("%H:%M") for rs in again.stops]
    expect(page.locator(NUMBERS)).not_to_have_count(0)
    page.get_by_role("button", name=t("route.page.reset", "zh")).click()
    expect(page.locator(ROWS).first).to_have_attribute("data-stop", first.id)
    assert watch.problems == []


def test_english_leaves_only_data_names_in_chinese(
    page: Page, app_url: str, watch: Watch, served_store: Store, output_dir: Path
) -> None:
    open_routes(page, f"{app_url}/routes?worker={WORKER}&date={DAY}")
    page.locator(f"#{ids.lang_link('en')}").click()
    expect(page.locator(f"#{ids.PAGE_TITLE}")).to_have_text(t("app.title", "en"))
    wait_for_route(page)
    expect(page.locator(f"#{ids.ROUTES_HEADING}")).to_contain_text("visit route")
    assert parse_qs(urlparse(page.url).query)["worker"] == [WORKER]
    page.wait_for_load_state("networkidle")
    page.screenshot(path=output_dir / "routes-en.png", full_page=True)
    text = page.locator("main").inner_text()
    route = suggested(served_store)
    names = {*data_names(served_store), LANGUAGE_NAMES["zh"], route.start.address}
    for stop in [*(rs.stop for rs in route.stops), *route.dropped]:
        names |= {stop.place.name, stop.place.address}
    names |= {w.name for w in rd.workers(served_store)}
    assert untranslated(text, names) == ([], [])
    assert watch.problems == []


def test_a_copied_url_reopens_the_same_view(
    page: Page, app_url: str, watch: Watch, served_store: Store
) -> None:
    open_routes(page, f"{app_url}/routes?worker={WORKER}&date={DAY}&budget=120")
    route = rd.itinerary(served_store, WORKER, dt.date.fromisoformat(DAY), budget_min=120)
    second = route.stops[1].stop
    name = t("route.page.move_up", "zh", name=second.place.name)
    page.get_by_role("button", name=name).click()
    expect(page.locator(ROWS).first).to_have_attribute("data-stop", second.id)
    wait_for_route(page)
    shown, times = listed(page), arrival_times(page)
    copied = page.url
    query = parse_qs(urlparse(copied).query)
    assert query["worker"] == [WORKER] and query["budget"] == ["120"]
    assert query["date"] == [DAY] and query["order"] == [",".join(shown)]

    again = page.context.new_page()
    open_routes(again, copied)
    expect(again.locator(ROWS)).to_have_count(len(shown))
    assert listed(again) == shown and arrival_times(again) == times
    expect(again.locator(f"#{ids.ROUTES_RESET}")).to_be_enabled()
    assert watch.problems == []


def test_route_sheet_download(page: Page, app_url: str, watch: Watch, tmp_path: Path) -> None:
    open_routes(page, f"{app_url}/routes?worker={WORKER}&self=1")
    expect(page.locator(f"#{ids.ROUTES_WORKER_BOX}")).to_be_hidden()
    with page.expect_download() as info:
        page.get_by_role("button", name=t("route.page.download.sheet", "zh")).click()
    download = info.value
    assert download.suggested_filename == f"route-{WORKER}-{DAY}.html"
    target = tmp_path / download.suggested_filename
    download.save_as(target)
    sheet = target.read_text(encoding="utf-8")
    assert t("sheet.title", "zh") in sheet
    assert not re.search(r"""<(script|link)[^>]+(src|href)=["']?https?://""", sheet)
    assert watch.problems == []


def test_a_problem_is_said_instead_of_a_map(page: Page, app_url: str, watch: Watch) -> None:
    page.goto(f"{app_url}/routes?worker=P000061&date={DAY}&budget=30&lang=en")
    notice = page.locator(f"#{ids.ROUTES_NOTICE}")
    expect(notice).to_contain_text("No stop fits in 30 minutes")
    expect(page.locator(f"#{ids.ROUTES_MAP}")).not_to_be_in_viewport()
    assert watch.problems == []
