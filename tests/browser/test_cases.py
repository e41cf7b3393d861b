"""The work queue in a real browser: one case's whole life by two people, with rework; a
stale form; a case outside one's area."""

from __future__ import annotations

import datetime as dt
import io
import re
import shutil
from collections.abc import Iterator
from pathlib import Path

import pandas as pd
import pytest
from playwright.sync_api import Browser, Page, expect

from dashboard import ids
from dashboard.i18n import t
from geodata.backends import open_store
from geodata.model import LOCAL_TZ, Level
from geodata.store import Store
from tests.accounts_city import PASSWORD, Town
from tests.browser.conftest import EXPECT_TIMEOUT_MS, OUTPUT
from tests.browser.pageutil import served, wait_for_map

pytestmark = pytest.mark.browser
CASE = "WQ-1"


@pytest.fixture(scope="module")
def desk(town: Town, tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Store, str]]:
    """A copy of the town with one new case, reported a few minutes ago in the grid worker's
    first cell, served."""
    path = tmp_path_factory.mktemp("cases") / "town.gpkg"
    shutil.copy(town.path, path)
    with open_store(Path(path)) as store:
        cell = town.scopes["grid_worker"].inside["area"]
        shape = store.areas(Level.GRID).set_index("code").loc[cell, "geometry"]
        point = shape.representative_point()
        reported = pd.Timestamp.now(tz="UTC") - pd.Timedelta(minutes=5)
        new = {
            "id": CASE,
            "category": "sanitation",
            "status": "reported",
            "lon": point.x,
            "lat": point.y,
            "reported_at": reported,
            "description": "楼道垃圾<b>未清</b>",
            "source": "hotline_12345",
            "reporter_name": "张先生",
            "reporter_phone": "13912345678",
        }
        store.add_cases(pd.DataFrame([new]))
        with served(store, quiet=True) as url:
            yield store, url


def _person(browser: Browser, url: str, login: str) -> Page:
    page = browser.new_context().new_page()
    page.set_default_timeout(EXPECT_TIMEOUT_MS)
    page.goto(f"{url}/cases")  # to the sign-in form, and back here once signed in
    page.fill("#username", login)
    page.fill("#password", PASSWORD)
    page.click("#login-submit")
    expect(page.locator("#cases-tabs")).to_be_visible()
    return page


def _open_case(page: Page, url: str, tab: str, case: str = CASE) -> None:
    page.goto(f"{url}/cases?tab={tab}")
    page.locator(f"#cases-table tr[data-case='{case}'] a").click()
    expect(page.locator("#case-drawer")).to_have_attribute("data-case", case)


def _do(page: Page, action: str, note: str | None = None) -> None:
    form = page.locator(f"#act-{action}")
    if note is not None:
        form.locator("textarea[name=note]").fill(note)
    form.locator("button[type=submit]").click()
    expect(page.locator("#cases-done")).to_contain_text(t(f"action.{action}", "zh"))


# The hover text of one area on the map as the server drew it: its metric's value.
AREA_TEXT = """([id, code]) => {
    const gd = document.querySelector(`#${id} .js-plotly-plot`);
    for (const trace of gd.data) {
        const at = (trace.locations || []).indexOf(code);
        if (at >= 0) return trace.text[at];
    }
    return null;
}"""


def _map_open_count(page: Page, url: str, street: str, compound: str) -> int:
    """The compound's open cases as the map shows them after a reload (one refresh)."""
    page.goto(f"{url}/?street={street}&metric=open_cases&layers=compound")
    wait_for_map(page)
    text = page.evaluate(AREA_TEXT, [ids.MAP, compound])
    assert text is not None, f"{compound} is not on the map"
    return int(re.sub(r"\D", "", text))


def test_one_whole_life_with_rework_by_two_people(browser: Browser, desk, town: Town) -> None:
    """A case reported on the data's last day (inside the map's window) raises the compound's
    open count on the map; worked through register, dispatch, resolve, rework, resolve and
    verify by two people, it closes and the count falls back."""
    store, url = desk
    case = "WQ-0"
    first = store.case_record(CASE).iloc[0]
    compound, street = first["compound_code"], first["street_code"]
    supervisor, worker = _person(browser, url, "street"), _person(browser, url, "grid_worker")
    map_page = supervisor.context.new_page()
    before = _map_open_count(map_page, url, street, compound)
    as_of = dt.date.fromisoformat(store.meta()["as_of"])
    reported = dt.datetime.combine(as_of, dt.time(10), LOCAL_TZ)
    new = {**first[["category", "lon", "lat", "source"]], "id": case, "status": "reported"}
    store.add_cases(pd.DataFrame([new | {"reported_at": reported, "description": "楼道垃圾"}]))
    assert _map_open_count(map_page, url, street, compound) == before + 1

    _open_case(supervisor, url, "reported", case)
    expect(supervisor.locator("#case-minimap-point")).to_be_visible()  # where, at a glance
    OUTPUT.mkdir(exist_ok=True)
    supervisor.locator("#case-drawer").screenshot(path=str(OUTPUT / "case-drawer.png"))
    _do(supervisor, "register")
    assert supervisor.locator("#act-dispatch select option").count() >= 2
    supervisor.select_option("#case-assignee", value=_worker_option(supervisor, town.worker))
    _do(supervisor, "dispatch")

    _open_case(worker, url, "handling", case)
    _do(worker, "accept")
    photo = {"name": "现场.jpg", "mimeType": "image/jpeg", "buffer": _jpeg()}
    worker.locator("#act-resolve input[name=photo]").set_input_files(photo)
    _do(worker, "resolve", "已清运")
    expect(worker.locator("#act-verify_pass")).to_have_count(0)  # never their own check

    _open_case(supervisor, url, "resolved", case)
    shown = supervisor.locator("#case-photos img")
    expect(shown).to_have_count(1)
    expect(shown).to_have_js_property("complete", True)
    assert shown.evaluate("img => img.naturalWidth") == 320  # the photo, kept and served
    _do(supervisor, "verify_fail", "仍有垃圾")
    _open_case(worker, url, "handling", case)
    _do(worker, "accept")
    _do(worker, "resolve", "已彻底清运")
    assert _map_open_count(map_page, url, street, compound) == before + 1  # still open
    _open_case(supervisor, url, "resolved", case)
    _do(supervisor, "verify_pass")
    expect(supervisor.locator("#case-status")).to_have_text(t("status.closed", "zh"))
    timeline = supervisor.locator("#case-timeline li")
    expect(timeline).to_have_count(8)
    expect(timeline.nth(4)).to_contain_text("仍有垃圾")
    expect(timeline.nth(0)).to_contain_text(store.user("street").name)  # a name, not a login
    expect(timeline.nth(1)).to_contain_text(store.person(town.worker)["name"])  # to whom
    assert _map_open_count(map_page, url, street, compound) == before


def _jpeg() -> bytes:
    from PIL import Image

    out = io.BytesIO()
    Image.new("RGB", (320, 240), "green").save(out, "JPEG")
    return out.getvalue()


def _worker_option(page: Page, person: str) -> str:
    values = page.locator("#case-assignee option").evaluate_all("os => os.map(o => o.value)")
    return next(v for v in values if v.endswith(f"|{person}"))


def test_a_stale_form_says_who_changed_the_case(browser: Browser, desk) -> None:
    store, url = desk
    copied = store.case_record(CASE).iloc[0][["category", "lon", "lat", "description"]]
    new = {"id": "WQ-2", **copied, "status": "reported", "reported_at": pd.Timestamp.now(tz="UTC")}
    store.add_cases(pd.DataFrame([new]))
    first, second = _person(browser, url, "street"), _person(browser, url, "city")
    for page in (first, second):
        page.goto(f"{url}/cases?tab=reported&case=WQ-2")
        expect(page.locator("#act-register")).to_be_visible()
    first.locator("#act-register button").click()
    expect(first.locator("#cases-done")).to_be_visible()
    second.locator("#act-register button").click()
    expect(second.locator("#cases-problem")).to_contain_text("changed by 测试street at")
    assert [e.action for e in store.case_events("WQ-2")] == ["register"]


def test_a_case_outside_ones_area_is_not_shown(browser: Browser, desk, town: Town) -> None:
    _, url = desk
    page = _person(browser, url, "property")  # the case lies in no compound of theirs, or not
    page.goto(f"{url}/cases?case=NO-SUCH-CASE")
    expect(page.locator("#cases-problem")).to_have_text(t("cases.problem.no_case", "zh"))
    expect(page.locator("#case-drawer")).to_have_count(0)


def test_a_duplicate_is_offered_and_merged_from_the_drawer(browser: Browser, desk) -> None:
    store, url = desk
    base = store.case_record(CASE).iloc[0]
    now = pd.Timestamp.now(tz="UTC")
    rows = [
        {
            "id": case_id,
            "category": "noise",
            "status": "reported",
            "lon": base["lon"],
            "lat": base["lat"] + 0.0002,
            "reported_at": now - pd.Timedelta(minutes=m),
            "description": "夜间噪音",
        }
        for case_id, m in (("WQ-3", 30), ("WQ-4", 10))
    ]
    store.add_cases(pd.DataFrame(rows))
    page = _person(browser, url, "street")
    page.goto(f"{url}/cases?tab=reported&case=WQ-4")
    offered = page.locator("#case-duplicates li[data-case='WQ-3']")
    expect(offered).to_be_visible()
    offered.locator("button.gb-merge").click()
    expect(page.locator("#cases-done")).to_contain_text(t("action.merge", "zh"))
    expect(page.locator("#case-merged")).to_contain_text("WQ-3")
    expect(page.locator("#case-no-actions")).to_be_visible()
    expect(page.locator("#cases-tab-reported .gb-count")).to_have_text(
        str(store.queue_counts(None, dt.datetime.now(dt.UTC))["reported"])
    )
    assert store.case_state("WQ-4").merged_into == "WQ-3"


def test_a_desk_call_is_recorded_and_waits_to_be_registered(
    browser: Browser, desk, town: Town
) -> None:
    store, url = desk
    page = _person(browser, url, "street")
    page.goto(f"{url}/cases?tab=reported")
    page.click("#case-new-open")
    form = page.locator("#case-new")
    form.locator("input[name=area]").fill(town.compound)
    form.locator("select[name=category]").select_option("parking")
    form.locator("textarea[name=description]").fill("消防通道被占用<script>x</script>")
    form.locator("input[name=reporter_phone]").fill("13812345678")
    form.locator("#case-new-submit").click()
    expect(page.locator("#cases-done")).to_contain_text("已登记诉求 D")
    expect(page.locator("#case-drawer")).to_contain_text("消防通道被占用<script>x</script>")
    case_id = page.locator("#case-drawer").get_attribute("data-case")
    case = store.case_record(case_id).iloc[0]
    assert (case["status"], case["compound_code"]) == ("reported", town.compound)
    assert case_id in {
        e.target.removeprefix("case=") for e in store.audit_entries() if e.action == "case_record"
    }
    page.goto(f"{url}/cases?tab=reported")
    page.click("#case-new-open")  # a cell of street B, outside this supervisor's
    page.locator("#case-new input[name=area]").fill(town.scopes["street"].outside["area"])
    page.locator("#case-new textarea[name=description]").fill("越界")
    page.locator("#case-new-submit").click()
    expect(page.locator("#cases-problem")).to_have_text(t("cases.problem.bad_area", "zh"))


def test_two_ticked_cases_are_dispatched_at_once(browser: Browser, desk) -> None:
    store, url = desk
    base = store.case_record(CASE).iloc[0]
    now = pd.Timestamp.now(tz="UTC")
    rows = [
        {"id": case_id, "category": "noise", "status": "registered", "lon": base["lon"],
         "lat": base["lat"], "reported_at": now, "description": "夜间噪音"}
        for case_id in ("WQ-B1", "WQ-B2")
    ]  # fmt: skip
    store.add_cases(pd.DataFrame(rows))
    page = _person(browser, url, "street")
    page.goto(f"{url}/cases?tab=registered")
    for case_id in ("WQ-B1", "WQ-B2"):
        page.locator(f"#cases-table tr[data-case='{case_id}'] input[type=checkbox]").check()
    committee = t("cases.bulk.kind.committee", "zh")
    options = page.locator("#cases-bulk-assignee option")
    labels = options.evaluate_all("os => os.map(o => [o.value, o.textContent])")
    org = next(value for value, label in labels if label.endswith(f" · {committee}"))
    page.select_option("#cases-bulk-assignee", value=org)
    page.click("#cases-bulk-submit")
    expect(page.locator("#cases-bulk-done")).to_have_text(t("cases.bulk.done", "zh", count=2))
    expect(page.locator("#cases-bulk-refused")).to_have_count(0)
    page.click("#cases-tab-handling")
    for case_id in ("WQ-B1", "WQ-B2"):
        row = page.locator(f"#cases-table tr[data-case='{case_id}']")
        expect(row).to_contain_text(t("status.dispatched", "zh"))
        assert store.case_state(case_id).assignee_org == org.removesuffix("|")
