"""The grid worker's phone page in a real browser on a phone-sized touch screen: a round with its
small map, a check-in with the phone's (mocked) location, a visit and a case with a photo seen
on the supervisor's map within one refresh; and the same without signal: kept on the phone,
the page opening offline, everything arriving once, a conflict shown."""

from __future__ import annotations

import io
import re
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from PIL import Image
from playwright.sync_api import Browser, BrowserContext, Page, expect

from dashboard import ids
from dashboard.i18n import t
from dashboard.readers.phonecases import case_id_of
from geodata.backends import open_store
from geodata.store import Store
from tests.accounts_city import PASSWORD, Town
from tests.browser.conftest import EXPECT_TIMEOUT_MS, OUTPUT
from tests.browser.pageutil import served, wait_for_map
from tests.browser.test_cases import AREA_TEXT
from tests.test_phone_cases import change_meanwhile

pytestmark = pytest.mark.browser
PHONE = {"width": 390, "height": 844}
UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}")


@pytest.fixture
def town_served(town: Town, tmp_path: Path) -> Iterator[tuple[Store, str]]:
    """A copy of the town of the test's own, served."""
    path = tmp_path / "town.gpkg"
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


def _phone(browser: Browser, url: str) -> tuple[BrowserContext, Page]:
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
    expect(page.locator("html[data-m-ready='1'] #m-stops li").first).to_be_visible()
    return context, page


def _stop(page: Page, index: int) -> tuple[str, str]:
    """The data-stop and building id of the index-th building stop of the round."""
    stop = page.locator("#m-stops li:has(form.gb-m-checkin)").nth(index).get_attribute("data-stop")
    return stop, stop.removeprefix("B:")


def _check_in_and_log(
    page: Page, context: BrowserContext, store: Store, town: Town, index: int
) -> str:
    stop, building = _stop(page, index)
    context.set_geolocation(_where(store, town, building))
    page.locator(f"#m-stops li[data-stop='{stop}'] form.gb-m-checkin button").tap()
    expect(page.locator("#m-checkin")).to_have_attribute("data-stop", stop)
    expect(page.locator("#m-checkin")).to_be_visible()
    expect(page.locator("#m-distance")).to_have_attribute("data-flagged", "0")
    visit_id = page.locator("#m-visit input[name=visit_id]").input_value()
    assert UUID.fullmatch(visit_id)  # made on the phone
    page.fill("#m-households", "2")
    page.fill("#m-residents", "3")
    page.fill("#m-notes", "三楼住户反映楼道灯坏了")
    page.locator("#m-follow-up").check()
    page.locator("#m-visit-submit").tap()
    return visit_id


def _report(page: Page, photo: Path | None, text: str) -> str:
    report_id = page.locator("#m-report-form input[name=report_id]").input_value()
    page.select_option("#m-report-category", "sanitation")
    page.fill("#m-report-description", text)
    if photo is not None:
        page.set_input_files("#m-report-photo", str(photo))
    page.locator("#m-report-submit").tap()
    return report_id


def _photo(folder: Path) -> Path:
    path = folder / "doorstep.jpg"
    image = Image.new("RGB", (3000, 2000), (90, 140, 200))
    out = io.BytesIO()
    image.save(out, "JPEG", quality=92)
    path.write_bytes(out.getvalue())
    return path


def _map_text(page: Page, url: str, street: str, metric: str, layer: str, code: str) -> str:
    page.goto(f"{url}/?street={street}&metric={metric}&layers={layer}&window=30d")
    wait_for_map(page)
    text = page.evaluate(AREA_TEXT, [ids.MAP, code])
    assert text is not None, f"{code} is not on the map"
    return text


def _number(text: str) -> float:
    return float(re.sub(r"[^\d.]", "", text))


def _supervisor(browser: Browser, url: str) -> Page:
    page = browser.new_context().new_page()
    page.set_default_timeout(EXPECT_TIMEOUT_MS)
    page.goto(f"{url}/login")
    page.fill("#username", "street")
    page.fill("#password", PASSWORD)
    page.click("#login-submit")
    page.wait_for_url(re.compile(r"^(?!.*login).*$"))
    return page


def test_a_worker_logs_a_visit_and_reports_a_case_seen_on_the_supervisors_map(
    browser: Browser, town_served: tuple[Store, str], town: Town, tmp_path: Path
) -> None:
    store, url = town_served
    context, page = _phone(browser, url)
    expect(page.locator("#m-stops li.gb-m-next")).to_have_count(1)
    stops = page.locator("#m-stops li").count()
    expect(page.locator("#m-map .gb-m-pin")).to_have_count(stops)  # the small map
    expect(page.locator("#m-map .gb-m-pin-next")).to_have_count(1)
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    stop, building = _stop(page, 0)
    cell = store.buildings().set_index("id").loc[building, "grid_code"]
    street, compound_of = (
        town.street_a,
        store.buildings().set_index("id").loc[building, "compound_code"],
    )
    boss = _supervisor(browser, url)
    visits_before = _number(_map_text(boss, url, street, "visits_per_100", "grid", cell))
    open_before = _number(_map_text(boss, url, street, "open_cases", "compound", compound_of))

    visit_id = _check_in_and_log(page, context, store, town, 0)
    sent = page.locator("#m-notices li[data-tone='sent']")
    expect(sent).to_contain_text(t("mobile.done.stored", "zh"))
    expect(page.locator(f"#m-stops li[data-stop='{stop}']")).to_have_class(
        re.compile("gb-m-visited")
    )
    row = store.visits(worker_id=town.worker).set_index("id").loc[visit_id]
    assert (row["building_id"], row["households_reached"], row["needs_found"]) == (building, 2, 1)
    assert (row["residents_met"], row["notes"], row["far"]) == (3, "三楼住户反映楼道灯坏了", 0)

    report_id = _report(page, _photo(tmp_path), "门口消防通道被电动车堵住")
    expect(sent).to_contain_text(t("mobile.done.reported", "zh"))
    expect(page.locator("#m-queue")).to_be_hidden()
    case_id = case_id_of(report_id)
    case = store.case_record(case_id).iloc[0]
    assert (case["source"], case["status"], case["compound_code"]) == (
        "grid_worker",
        "reported",
        compound_of,
    )
    assert len(store.case_photos(case_id)) == 1
    page.screenshot(path=str(OUTPUT / "mobile-round.png"), full_page=True)

    assert _number(_map_text(boss, url, street, "visits_per_100", "grid", cell)) > visits_before
    assert (
        _number(_map_text(boss, url, street, "open_cases", "compound", compound_of))
        == open_before + 1
    )
    context.close()
    boss.context.close()


def _queue_count(page: Page, n: int) -> None:
    expect(page.locator("#m-queue")).to_be_visible()
    expect(page.locator("#m-queue-count")).to_have_text(str(n))


def test_without_signal_records_wait_on_the_phone_and_arrive_once(
    browser: Browser, town_served: tuple[Store, str], town: Town
) -> None:
    store, url = town_served
    context, page = _phone(browser, url)
    page.evaluate("navigator.serviceWorker.ready.then(() => true)")
    page.wait_for_function(
        "navigator.serviceWorker.controller !== null || caches.has('gridboard-m-v1')"
    )
    page.wait_for_function("caches.open('gridboard-m-v1').then(c => c.match('/m')).then(r => !!r)")
    case_row = page.locator("#m-cases li:has(details[data-action='resolve'])").first
    case_id, version = case_row.get_attribute("data-case"), case_row.get_attribute("data-version")
    counts = store.counts()

    context.set_offline(True)
    first = _check_in_and_log(page, context, store, town, 0)
    _queue_count(page, 1)
    second = _check_in_and_log(page, context, store, town, 1)
    _queue_count(page, 2)
    _, building = _stop(page, 0)
    context.set_geolocation(_where(store, town, building))
    report_id = _report(page, None, "楼顶水箱漏水")
    _queue_count(page, 3)
    action = case_row.locator("details[data-action='resolve']")
    action.locator("summary").tap()
    action.locator("textarea[name=note]").fill("已处理")
    action.locator("button[type=submit]").tap()
    _queue_count(page, 4)
    expect(page.locator("#m-queue-text")).to_contain_text(t("mobile.queue.offline", "zh"))
    assert store.counts() == counts  # nothing reached the server

    page.reload()  # offline: the service worker opens the page
    expect(page.locator("html[data-m-ready='1'] #m-stops li").first).to_be_visible()
    _queue_count(page, 4)
    # meanwhile, someone else changes the case the worker resolved offline
    change_meanwhile(store, case_id, int(version), town.worker)

    records = page.evaluate("window.gridboardPhone.outbox()")  # no photo: plain values
    assert sorted(r["kind"] for r in records) == ["act", "report", "visit", "visit"]
    context.set_offline(False)  # the page sends its queue by itself
    expect(page.locator("#m-notices li[data-tone='conflict']")).to_contain_text(
        t("mobile.kind.act", "zh")
    )
    expect(page.locator("#m-queue")).to_be_hidden()
    visits = store.visits(worker_id=town.worker)
    assert {first, second} <= set(visits["id"])
    after = store.counts()
    assert (after["visits"], after["cases"]) == (counts["visits"] + 2, counts["cases"] + 1)
    assert store.case_record(case_id_of(report_id)).iloc[0]["source"] == "grid_worker"
    assert store.case_state(case_id).status.value != "resolved"
    # the same queue sent again, twice over: nothing stored twice, the conflict stays one
    answers = page.evaluate(
        """async (records) => {
            const out = [];
            for (const r of records) {
                for (let i = 0; i < 2; i += 1) {
                    out.push([r.kind, (await window.gridboardPhone.sendOne(r)).status]);
                }
            }
            return out;
        }""",
        records,
    )
    assert {kind: status for kind, status in answers} == {
        "visit": "already", "report": "already", "act": "conflict"
    }  # fmt: skip
    assert store.counts() == after
    page.locator("#m-notices li[data-tone='conflict'] button").tap()
    expect(page.locator("#m-notices li[data-tone='conflict']")).to_have_count(0)
    context.close()


def test_a_tap_on_the_map_places_a_report_checked_against_the_workers_cells(
    browser: Browser, town_served: tuple[Store, str], town: Town
) -> None:
    store, url = town_served
    context, page = _phone(browser, url)
    box = page.locator("#m-map").bounding_box()
    page.touchscreen.tap(box["x"] + box["width"] * 0.3, box["y"] + box["height"] * 0.7)
    expect(page.locator("#m-report-place")).to_be_visible()
    form = page.locator("#m-report-form")
    lon = float(form.locator("input[name=lon]").input_value())
    lat = float(form.locator("input[name=lat]").input_value())
    report_id = _report(page, None, "路灯不亮")
    found = store.locate(lon, lat) or {}
    if found.get("grid_code") in set(store.grid_workers(town.worker)["grid_code"]):
        expect(page.locator("#m-notices li[data-tone='sent']")).to_be_visible()
        case = store.case_record(case_id_of(report_id)).iloc[0]
        assert (round(case["lon"], 6), round(case["lat"], 6)) == (lon, lat)
    else:
        refused = page.locator("#m-notices li[data-tone='refused']")
        expect(refused).to_contain_text(t("mobile.problem.outside_cells", "zh"))
        assert store.case_record(case_id_of(report_id)).empty
    context.close()
