"""The route sheet in Chromium with no network: Leaflet draws the path and the numbered stops."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from dashboard.routesheet import route_sheet_html
from tests import payload_city
from tests.browser.pageutil import guard
from tests.test_routesheet import sample_itinerary

pytestmark = pytest.mark.browser

STOPS = ["1", "2", "3", "4"]


@dataclass
class Offline:
    """Every request the page made, the ones refused, and what went wrong in it."""

    requests: list[str] = field(default_factory=list)
    refused: list[str] = field(default_factory=list)
    failed: list[str] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)


@pytest.fixture
def offline(page: Page) -> Iterator[Offline]:
    """The page with the network off: anything but a file:// URL is aborted and recorded."""
    seen = Offline()
    page.context.set_offline(True)
    page.on("request", lambda request: seen.requests.append(request.url))
    page.on("requestfailed", lambda request: seen.failed.append(request.url))
    guard(page, "file://", seen.problems, seen.refused)
    yield seen


def _open_sheet(page: Page, tmp_path: Path, lang: str) -> str:
    sheet = tmp_path / f"route-{lang}.html"
    sheet.write_text(route_sheet_html(sample_itinerary(), lang), encoding="utf-8")
    url = sheet.as_uri()
    page.goto(url, wait_until="load")
    return url


def _box(page: Page, selector: str) -> dict[str, float]:
    box = page.locator(selector).first.bounding_box()
    assert box is not None, selector
    return box


def _inside(inner: dict[str, float], outer: dict[str, float]) -> bool:
    cx, cy = inner["x"] + inner["width"] / 2, inner["y"] + inner["height"] / 2
    return (
        outer["x"] <= cx <= outer["x"] + outer["width"]
        and outer["y"] <= cy <= outer["y"] + outer["height"]
    )


def _assert_map_drawn(page: Page) -> None:
    """A Leaflet map with the walking path and every numbered stop inside its box."""
    expect(page.locator(".leaflet-container")).to_have_count(1)
    path = page.locator(".leaflet-overlay-pane svg path.gb-path")
    expect(path).to_have_count(1)
    assert len(path.get_attribute("d") or "") > 20
    path_box = path.bounding_box()
    assert path_box and path_box["width"] > 50 and path_box["height"] > 50
    markers = page.locator(".leaflet-marker-icon.gb-stop")
    expect(markers).to_have_text(STOPS)
    expect(page.locator(".leaflet-marker-icon.gb-hall")).to_be_visible()
    map_box = _box(page, ".leaflet-container")
    for index in range(len(STOPS)):
        expect(markers.nth(index)).to_be_visible()
        marker_box = markers.nth(index).bounding_box()
        assert marker_box and _inside(marker_box, map_box), STOPS[index]


def test_sheet_renders_its_map_with_the_network_off(
    page: Page, offline: Offline, tmp_path: Path, output_dir: Path
) -> None:
    url = _open_sheet(page, tmp_path, "zh")
    _assert_map_drawn(page)
    expect(page.locator("tr.gb-stop-row")).to_have_count(len(STOPS))
    assert page.evaluate("L.version").startswith("1.9.")
    page.screenshot(path=str(output_dir / "routesheet-screen.png"), full_page=True)
    assert offline.requests == [url]  # the file itself and nothing else
    assert not offline.refused and not offline.failed and not offline.problems


def test_sheet_prints_map_and_table(
    page: Page, offline: Offline, tmp_path: Path, output_dir: Path
) -> None:
    url = _open_sheet(page, tmp_path, "en")
    expect(page.locator(".leaflet-control-zoom")).to_be_visible()
    page.emulate_media(media="print")
    page.set_viewport_size({"width": 794, "height": 1123})  # A4 at 96 dpi
    page.wait_for_timeout(200)  # Leaflet refits on the media change
    expect(page.locator("table.gb-stops")).to_be_visible()
    expect(page.locator("table.gb-dropped")).to_be_visible()
    expect(page.locator(".leaflet-control-zoom")).to_be_hidden()
    _assert_map_drawn(page)
    colour = page.evaluate("getComputedStyle(document.querySelector('table.gb-stops td')).color")
    assert colour == "rgb(0, 0, 0)"
    map_box, table_box = _box(page, ".leaflet-container"), _box(page, "table.gb-stops")
    assert table_box["y"] >= map_box["y"] + map_box["height"] - 1  # map above the table
    page.pdf(path=str(output_dir / "routesheet-a4.pdf"), format="A4", print_background=True)
    assert offline.requests == [url]
    assert not offline.refused and not offline.failed and not offline.problems


def test_hostile_names_are_shown_as_text(page: Page, offline: Offline, tmp_path: Path) -> None:
    hostile = "<img src=x onerror=alert(1)><script>alert(2)</script>"
    first = sample_itinerary().stops[0]
    stop = replace(first, stop=replace(first.stop, place=replace(first.stop.place, name=hostile)))
    itinerary = sample_itinerary(worker_name=hostile)
    itinerary = replace(itinerary, stops=(stop, *itinerary.stops[1:]))
    dialogs: list[str] = []
    page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
    sheet = tmp_path / "hostile.html"
    sheet.write_text(route_sheet_html(itinerary, "zh"), encoding="utf-8")
    page.goto(sheet.as_uri(), wait_until="load")
    _assert_map_drawn(page)
    expect(page.locator("tr.gb-stop-row").first).to_contain_text(hostile)
    expect(page.locator(".leaflet-marker-icon.gb-stop").first).to_have_attribute(
        "title", f"1. {hostile}"
    )
    assert page.locator("img").count() == 0
    assert not dialogs
    assert offline.requests == [sheet.as_uri()]
    assert not offline.refused and not offline.failed and not offline.problems


def test_a_sheet_made_from_payload_data_runs_nothing(
    page: Page, offline: Offline, tmp_path: Path
) -> None:
    """Names, ids and texts imported as template and markup payloads are text on the sheet."""
    store, placed = payload_city.build(tmp_path)
    sheet = tmp_path / "payloads.html"
    payload_city.run(
        "route", "--data", store, "--worker", payload_city.WORKER,
        "--date", payload_city.ROUTE_DATE, "--budget-min", 600, "--out", sheet,
    )  # fmt: skip
    dialogs: list[str] = []
    page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
    page.goto(sheet.as_uri(), wait_until="load")
    expect(page.locator(".leaflet-marker-icon.gb-stop").first).to_be_visible()
    expect(page.locator(".gb-facts")).to_contain_text(placed["worker"])
    rows = page.locator("tr.gb-stop-row")
    case_ids = [v for k, v in placed.items() if k.startswith(("case_id:", "open311_id:"))]
    expect(rows.first).to_be_visible()
    shown = " ".join(rows.all_inner_texts())
    assert not [case_id for case_id in case_ids if case_id not in shown]
    titles = page.locator(".leaflet-marker-icon.gb-stop").evaluate_all(
        "icons => icons.map(icon => icon.title)"
    )
    assert all(any(case_id in title for title in titles) for case_id in case_ids)
    assert page.locator("img, iframe, object, embed").count() == 0
    assert page.locator("script").count() == 3
    assert page.evaluate("document.querySelectorAll('[onerror], [onload]').length") == 0
    assert "uid=" not in page.content()
    assert not dialogs
    assert offline.requests == [sheet.as_uri()]
    assert not offline.refused and not offline.failed and not offline.problems
