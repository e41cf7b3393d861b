"""The map page in a browser: loads cleanly, recolours, speaks English, reopens from its URL."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlparse

import pytest
from playwright.sync_api import Page, expect
from plotly.offline import get_plotlyjs_version

from dashboard import ids, plotlymap
from dashboard.i18n import LANGUAGE_NAMES, t
from dashboard.mappaint import painted_view
from geodata.model import Level
from geodata.store import Store
from layers.view import ViewState
from tests.browser import pageutil
from tests.browser.pageutil import Watch, data_names, untranslated

pytestmark = pytest.mark.browser

STREET = "370832001"
# _fullData: z arrives as a typed-array spec and is decoded there.
TRACES = """(id) => document.querySelector(`#${id} .js-plotly-plot`)._fullData.map(
    trace => ({meta: trace.meta, z: Array.from(trace.z), colorscale: trace.colorscale}))"""


def open_map(page: Page, url: str) -> None:
    page.set_viewport_size({"width": 1600, "height": 1000})
    page.goto(url)
    wait_for_map(page)


def wait_for_map(page: Page) -> None:
    pageutil.wait_for_map(page)
    expect(page.locator(f"#{ids.LEGEND}")).not_to_be_empty()


def wait_for_legend(page: Page, view: ViewState) -> None:
    """Until the legend (and the colours painted with it) describes `view`."""
    described = json.dumps(painted_view(view), ensure_ascii=False, separators=(",", ":"))
    title = page.locator(f"#{ids.LEGEND} .gb-legend-title")
    expect(title).to_have_attribute("data-view", described)


def traces(page: Page) -> list[dict[str, Any]]:
    return page.evaluate(TRACES, ids.MAP)


def choose(page: Page, select_id: str, option: str) -> None:
    page.locator(f"#{select_id}").click()
    page.get_by_role("option", name=option, exact=True).click()


def test_map_page_loads_without_errors(
    page: Page, app_url: str, watch: Watch, output_dir: Path
) -> None:
    open_map(page, f"{app_url}/?street={STREET}")
    expect(page).to_have_title("网格治理一张图")
    assert [trace["meta"] for trace in traces(page)] == ["grid", "compound"]
    legend = page.locator(f"#{ids.LEGEND}")
    expect(legend).to_contain_text(t("metric.open_cases", "zh"))
    expect(legend).to_contain_text(t("unit.cases", "zh"))
    page.screenshot(path=output_dir / "map-zh.png")
    assert watch.problems == []
    assert watch.outside == []


def test_the_map_runs_on_its_own_plotly_bundle(page: Page, app_url: str, watch: Watch) -> None:
    """The page loads the map's plotly.js (dashboard/plotlymap.py), never Dash's full one, and
    MapLibre's styles that come with it apply."""
    asked: list[str] = []
    page.on("request", lambda request: asked.append(urlparse(request.url).path))
    open_map(page, f"{app_url}/?street={STREET}")
    assert not [path for path in asked if path.endswith("/plotly.min.js")]
    ours = [path for path in asked if path.startswith(plotlymap.PATH)]
    assert len(ours) == 2 and {path.rsplit(".", 1)[1] for path in ours} == {"js", "css"}
    assert page.evaluate("() => Plotly.version") == get_plotlyjs_version()
    canvas = page.locator(f"#{ids.MAP} canvas.maplibregl-canvas")
    expect(canvas).to_have_css("position", "absolute")  # from MapLibre's styles
    assert watch.problems == [] and watch.outside == []


def test_a_page_without_a_graph_never_runs_plotly(page: Page, app_url: str, watch: Watch) -> None:
    page.goto(f"{app_url}/overview")
    expect(page.locator(".ag-row").first).to_be_visible()  # the streets' table is drawn
    assert page.evaluate("() => typeof window.Plotly") == "undefined"
    assert watch.problems == [] and watch.outside == []


def test_switching_the_metric_recolours_and_relabels(
    page: Page, app_url: str, watch: Watch, output_dir: Path
) -> None:
    open_map(page, f"{app_url}/?street={STREET}")
    before = traces(page)
    legend = page.locator(f"#{ids.LEGEND}")
    before_text = legend.inner_text()
    choose(page, ids.METRIC_SELECT, t("metric.visits_per_100", "zh"))
    expect(legend).to_contain_text(t("unit.per_100", "zh"))
    expect(page).to_have_url(re.compile(r"metric=visits_per_100"))
    wait_for_map(page)
    after = traces(page)
    assert [trace["meta"] for trace in after] == ["grid", "compound"]
    assert [trace["z"] for trace in after] != [trace["z"] for trace in before]
    assert after[1]["colorscale"] != before[1]["colorscale"]  # the palette for visits
    assert legend.inner_text() != before_text
    page.screenshot(path=output_dir / "map-visits.png")
    assert watch.problems == []


def test_english_leaves_only_data_names_in_chinese(
    page: Page, app_url: str, watch: Watch, served_store: Store, output_dir: Path
) -> None:
    open_map(page, f"{app_url}/?street={STREET}&metric=overdue_cases")
    page.locator(f"#{ids.lang_link('en')}").click()
    expect(page.locator(f"#{ids.PAGE_TITLE}")).to_have_text(t("app.title", "en"))
    expect(page).to_have_title(t("app.title", "en"))  # the browser tab too
    wait_for_map(page)
    expect(page.locator(f"#{ids.LEGEND}")).to_contain_text(t("metric.overdue_cases", "en"))
    assert parse_qs(urlparse(page.url).query)["metric"] == ["overdue_cases"]
    page.wait_for_load_state("networkidle")
    page.screenshot(path=output_dir / "map-en.png")
    # This page's own parts; the panel and the case table (dashboard/panel.py) show case texts.
    parts = ["header", ".gb-controls", f"#{ids.MAP_MESSAGE}", f"#{ids.LEGEND}"]
    text = "\n".join(page.locator(part).first.inner_text() for part in parts)
    names = [*data_names(served_store), LANGUAGE_NAMES["zh"]]
    assert untranslated(text, names) == ([], [])
    assert watch.problems == []


def test_a_copied_url_reopens_the_same_view(
    page: Page, app_url: str, watch: Watch, served_store: Store
) -> None:
    open_map(page, f"{app_url}/?street={STREET}")
    choose(page, ids.METRIC_SELECT, t("metric.cases_per_1000", "zh"))
    page.get_by_text(t("window.90d", "zh"), exact=True).click()
    choose(page, ids.CATEGORY_SELECT, t("category.noise", "zh"))
    page.get_by_label(t("layer.grid", "zh"), exact=True).uncheck()
    expect(page).to_have_url(re.compile(r"category=noise"))
    expect(page).to_have_url(re.compile(r"window=90d"))
    expect(page).to_have_url(re.compile(r"layers=compound"))
    wanted = ViewState(
        street=STREET,
        metric="cases_per_1000",
        window="90d",
        category="noise",
        layers="compound,community,street",
    )
    wait_for_legend(page, wanted)
    wait_for_map(page)
    legend = page.locator(f"#{ids.LEGEND}").inner_text()
    shown = traces(page)
    assert [trace["meta"] for trace in shown] == ["compound"]
    copied = page.url
    assert parse_qs(urlparse(copied).query) == {
        "street": [STREET],
        "metric": ["cases_per_1000"],
        "window": ["90d"],
        "category": ["noise"],
        "layers": ["compound,community,street"],
    }

    again = page.context.new_page()
    open_map(again, copied)
    expect(again.locator(f"#{ids.METRIC_SELECT}")).to_have_value(t("metric.cases_per_1000", "zh"))
    expect(again.locator(f"#{ids.CATEGORY_SELECT}")).to_have_value(t("category.noise", "zh"))
    expect(again.get_by_label(t("layer.grid", "zh"), exact=True)).not_to_be_checked()
    wait_for_legend(again, wanted)
    wait_for_map(again)
    assert again.locator(f"#{ids.LEGEND}").inner_text() == legend
    assert traces(again) == shown
    assert watch.problems == []


def test_clicking_a_compound_selects_it(
    page: Page, app_url: str, watch: Watch, served_store: Store
) -> None:
    compounds = served_store.areas(Level.COMPOUND, parent=STREET)
    target = compounds.iloc[len(compounds) // 2]
    inside = target.geometry.representative_point()
    open_map(page, f"{app_url}/?street={STREET}&layers=compound")
    pageutil.click_map_at(page, inside.x, inside.y)
    expect(page).to_have_url(re.compile(rf"area={target['code']}"))
    pageutil.wait_for_map(page)
    pageutil.click_map_at(page, inside.x, inside.y)  # again: deselects
    expect(page).not_to_have_url(re.compile(r"area="))
    assert watch.problems == []


def test_unknown_street_says_so(page: Page, app_url: str, watch: Watch) -> None:
    open_map(page, f"{app_url}/?street=370832999&lang=en")
    message = page.locator(f"#{ids.MAP_MESSAGE}")
    expect(message).to_contain_text(t("map.problem.unknown_street", "en", value="370832999"))
    assert watch.problems == []


# z from the full data: plotly keeps a typed-array spec of the server's figure as sent.
PAINTED = """(id) => {
    const gd = document.querySelector(`#${id} .js-plotly-plot`);
    return gd.data.map((trace, i) => ({z: Array.from(gd._fullData[i].z), text: trace.text,
        colorscale: trace.colorscale, zmax: trace.zmax, hovertemplate: trace.hovertemplate}));
}"""


@pytest.mark.parametrize("metric", ["cases_per_1000", "days_since_visit"])
def test_the_browser_paints_what_the_server_draws(
    page: Page, app_url: str, watch: Watch, metric: str
) -> None:
    """assets/paint.js recolours the map for a new metric; its classes and texts must be those
    of the figure the server draws when the page opens on that metric."""
    query = f"{app_url}/?street={STREET}&window=90d&lang=en"
    open_map(page, f"{query}&metric={metric}")  # coloured by the server, in the page's layout
    expected = page.evaluate(PAINTED, ids.MAP)
    open_map(page, f"{query}&metric=open_cases")
    choose(page, ids.METRIC_SELECT, t(f"metric.{metric}", "en"))
    view = ViewState.from_dict({"street": STREET, "metric": metric, "window": "90d", "lang": "en"})
    wait_for_legend(page, view)
    painted = page.evaluate(PAINTED, ids.MAP)
    assert len(painted) == len(expected) == 2
    assert painted == expected
    # Legend: per level the classes top down, then zero and no data, with every area counted.
    blocks = page.locator(f"#{ids.LEGEND} .gb-legend-block")
    for index, trace in enumerate(painted):
        rows = blocks.nth(index).locator("li")
        kinds = [rows.nth(i).get_attribute("class") for i in range(rows.count())]
        ranges = [k for k in kinds if k == "gb-legend-range"]
        assert kinds[: len(ranges)] == ranges and kinds[len(ranges) :] in (
            [],
            ["gb-legend-zero"],
            ["gb-legend-no_data"],
            ["gb-legend-zero", "gb-legend-no_data"],
        )
        counts = rows.locator(".gb-muted").all_inner_texts()
        assert sum(int(re.sub(r"\D", "", text)) for text in counts) == len(trace["z"])
        assert len(set(trace["z"])) == len(kinds)  # a row for every class in use, no more
    assert watch.problems == []


def test_download_metrics_of_the_view(
    page: Page, app_url: str, watch: Watch, served_store: Store, tmp_path: Path
) -> None:
    from dashboard.i18n import export_words
    from layers.export import COLUMNS

    open_map(page, f"{app_url}/?street={STREET}&window=7d&layers=compound,street&lang=en")
    with page.expect_download() as info:
        page.get_by_role("button", name=t("map.download_metrics", "en")).click()
    download = info.value
    assert download.suggested_filename == f"gridboard-metrics-{STREET}-7d.csv"
    target = tmp_path / download.suggested_filename
    download.save_as(target)
    raw = target.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")
    lines = raw.decode("utf-8-sig").splitlines()
    headers, _ = export_words("en")
    assert lines[0].split(",")[:3] == [headers[key] for key in COLUMNS[:3]]
    compounds = served_store.areas(Level.COMPOUND, parent=STREET)
    assert len(lines) == 1 + len(compounds)  # the compounds shown, one row each
    assert all(line.startswith("Compound,") for line in lines[1:])
    assert watch.problems == []
    assert watch.outside == []
