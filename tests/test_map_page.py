"""Map page: callbacks called as plain functions on the street demo and on an empty store."""

from __future__ import annotations

import importlib
import json
from pathlib import Path
from types import ModuleType
from typing import Any
from urllib.parse import parse_qsl

import dash
import numpy as np
import pytest
from dash import Patch
from dash._utils import to_json
from dash.development.base_component import Component

from dashboard import ids
from dashboard.app import create_app
from dashboard.i18n import LANGUAGE_NAMES, contains_cjk, format_number, t
from dashboard.settings import Settings
from geodata.model import Level
from geodata.store import Store, open_store
from layers import classify, mapfig
from layers.view import CITY, METRICS, ViewState, data_as_of, window_of
from tests.components import strings

STREET = "370832001"
STREET_NAME = "水泊街道"


@pytest.fixture(scope="module")
def page(app: dash.Dash) -> ModuleType:
    return importlib.import_module("dashboard.pages.map")


def render(app: dash.Dash, page: ModuleType, **query: Any) -> Component:
    with app.server.app_context():
        return page.layout(**query)


def draw(app: dash.Dash, page: ModuleType, view: ViewState, drawn: dict | None = None) -> tuple:
    with app.server.app_context():
        return page.draw_map(view.as_dict(), drawn)


def test_map_is_the_home_page_and_overview_moved(app: dash.Dash) -> None:
    paths = {p["path"]: p["module"] for p in dash.page_registry.values()}
    assert paths["/"] == "dashboard.pages.map"
    assert paths["/overview"] == "dashboard.pages.overview"


def test_layout_shows_the_view_of_the_url(app: dash.Dash, page: ModuleType) -> None:
    layout = render(
        app, page, street=STREET, metric="overdue_cases", window="7d", category="noise", lang="en"
    )
    view = ViewState.from_dict(layout[ids.VIEW].data)
    assert view == ViewState(STREET, "overdue_cases", "7d", "noise", None, "en")
    assert layout[ids.STREET_SELECT].value == STREET
    assert layout[ids.METRIC_SELECT].value == "overdue_cases"
    assert layout[ids.WINDOW_SELECT].value == "7d"
    assert layout[ids.CATEGORY_SELECT].value == "noise"
    assert layout[ids.DATE_RANGE].value == ["2026-11-22", "2026-11-28"]
    assert layout[ids.DATE_RANGE].disabled is True
    assert layout[ids.MAP_MESSAGE].children[0] is None  # no alert about the URL


def test_unknown_street_in_the_url_says_so(app: dash.Dash, page: ModuleType) -> None:
    for lang in ("zh", "en"):
        layout = render(app, page, street="370832999", lang=lang)
        text = " ".join(strings(layout[ids.MAP_MESSAGE]))
        assert t("map.problem.unknown_street", lang, value="370832999") in text
        assert layout[ids.VIEW].data["street"] == CITY
    figure, _, notice, _ = draw(app, page, ViewState(street=CITY))
    assert len(figure.data) == 2 and notice is None


def test_bad_parameters_are_named(app: dash.Dash, page: ModuleType) -> None:
    layout = render(app, page, metric="nonsense", window="13d")
    text = " ".join(strings(layout[ids.MAP_MESSAGE]))
    assert "metric=nonsense" in text and "window=13d" in text


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_empty_store_says_how_to_get_data(empty_store_path: Path, lang: str) -> None:
    with open_store(empty_store_path, readonly=True) as store:
        app = create_app(Settings.from_env({}), store)
        page = importlib.import_module("dashboard.pages.map")
        layout = render(app, page, lang=lang)
    texts = strings(layout[ids.MAP_MESSAGE])
    assert t("overview.empty.title", lang) in texts
    assert "gridboard demo --scale street --out data/gridboard.gpkg" in texts
    with pytest.raises(KeyError):
        layout[ids.MAP]


@pytest.mark.parametrize("metric", METRICS)
def test_each_metric_colours_areas_by_the_store_values(
    app: dash.Dash, page: ModuleType, street_store: Store, metric: str
) -> None:
    view = ViewState(street=STREET, metric=metric, lang="en")
    figure, paint, _, drawn = draw(app, page, view)
    assert drawn == view.as_dict()
    window = window_of("30d", data_as_of(street_store.meta()))
    places = classify.decimals(metric)
    traces = zip(figure.data, paint["levels"], (Level.GRID, Level.COMPOUND), strict=True)
    for trace, painted, level in traces:
        expected = street_store.metrics(level, window, parent=STREET)[metric]
        values = expected.reindex(list(trace.locations)).astype(float).to_numpy()
        shown = np.round(values, places)  # classes are made of the numbers the reader sees
        classes = classify.classify(metric, shown)
        assert mapfig.z_values(trace.z) == classify.class_of(classes, shown).tolist()
        numbers = mapfig.z_values(painted["numbers"])
        assert numbers == [-1 if np.isnan(v) else round(v * 10**places) for v in shown]
        assert painted["tops"] == [round(u * 10**places) for u in classes.uppers]
        unit = t(classify.unit_key(metric), "en")
        first = shown[0]
        text = format_number(first, "en", places)
        assert trace.text[0] == (text if np.isfinite(first) else "No data")
        assert unit in trace.hovertemplate and paint["hover"] == trace.hovertemplate
    assert paint["title"] == t("legend.title", "en", metric=t(f"metric.{metric}", "en"), unit=unit)
    assert [level["name"] for level in paint["levels"]] == [
        t("level.grid", "en"),
        t("level.compound", "en"),
    ]


def test_category_and_window_change_the_counts(app: dash.Dash, page: ModuleType) -> None:
    def texts(view: ViewState) -> str:
        figure, *_ = draw(app, page, view)
        return " ".join(figure.data[1].text)

    open_90 = texts(ViewState(street=STREET, metric="open_cases", window="90d"))
    assert texts(ViewState(STREET, "open_cases", "90d", "noise")) != open_90
    # open cases are the backlog at the window's end, so only the end matters ...
    assert texts(ViewState(STREET, "open_cases", "7d")) == open_90
    # ... while cases reported count within the window
    rate_90 = texts(ViewState(STREET, "cases_per_1000", "90d"))
    assert texts(ViewState(STREET, "cases_per_1000", "7d")) != rate_90


def test_recolouring_sends_a_patch_without_geometry(app: dash.Dash, page: ModuleType) -> None:
    first = ViewState(street=STREET)
    full, _, _, drawn = draw(app, page, first)
    for change in (
        {"metric": "visits_per_100"},
        {"window": "7d"},
        {"category": "parking"},
        {"window": "2026-09-01..2026-09-30"},
    ):
        view = ViewState.from_dict({**first.as_dict(), **change})
        patch, paint, notice, drawn_now = draw(app, page, view, drawn)
        assert isinstance(patch, Patch) and patch._operations == []  # the figure is untouched
        body = to_json([patch, paint, notice, drawn_now])
        assert "coordinates" not in body and "geojson" not in body and "Feature" not in body
        assert len(body) < len(to_json(full)) / 20, change
        assert [level["level"] for level in paint["levels"]] == ["grid", "compound"]
        assert drawn_now == view.as_dict()


def test_selecting_an_area_patches_its_outline_only(app: dash.Dash, page: ModuleType) -> None:
    view = ViewState(street=STREET)
    full, _, _, drawn = draw(app, page, view)
    code = full.data[1].locations[0]
    selected = ViewState.from_dict({**view.as_dict(), "area": code})
    patch, *_ = draw(app, page, selected, drawn)
    body = json.loads(to_json(patch))
    assert "coordinates" not in json.dumps(body)
    widths = [op for op in body["operations"] if op["location"][-1] == "width"]
    assert [op["location"][1] for op in widths] == [0, 1]
    assert max(widths[1]["params"]["value"]) == widths[1]["params"]["value"][0]


def test_new_street_or_layers_send_the_full_figure(app: dash.Dash, page: ModuleType) -> None:
    view = ViewState(street=STREET)
    *_, drawn = draw(app, page, view)
    only_compounds = ViewState.from_dict({**view.as_dict(), "layers": "compound,street"})
    figure, *_ = draw(app, page, only_compounds, drawn)
    assert not isinstance(figure, Patch)
    assert [trace.meta for trace in figure.data] == ["compound"]
    assert [layer.name for layer in figure.layout.map.layers] == ["street"]


def test_a_period_without_cases_says_so(app: dash.Dash, page: ModuleType) -> None:
    view = ViewState(street=STREET, window="2020-01-01..2020-01-31", lang="en")
    figure, _, notice, _ = draw(app, page, view)
    assert notice == t(
        "map.notice.no_cases", "en", place=STREET_NAME, start="1 Jan 2020", end="31 Jan 2020"
    )
    assert set(mapfig.z_values(figure.data[0].z)) == {classify.ZERO}
    visits = ViewState.from_dict({**view.as_dict(), "metric": "visits_per_100"})
    assert draw(app, page, visits)[2] == t(
        "map.notice.no_visits", "en", place=STREET_NAME, start="1 Jan 2020", end="31 Jan 2020"
    )
    none = ViewState.from_dict({**view.as_dict(), "layers": "none"})
    assert draw(app, page, none)[2] == t("map.notice.no_layers", "en")


def test_controls_make_the_view(page: ModuleType) -> None:
    view = ViewState(street=STREET, area="370832001001XQ001")
    same_street = page.controls_view(
        view, STREET, "cases_per_1000", "90d", None, "noise", ["street", "compound"]
    )
    assert same_street == ViewState(
        STREET, "cases_per_1000", "90d", "noise", "370832001001XQ001", "zh", "compound,street"
    )
    city = page.controls_view(view, CITY, "open_cases", "30d", None, None, ["grid"])
    assert city.area is None and city.street == CITY
    ranged = page.controls_view(
        view, STREET, "open_cases", "range", ["2026-11-20", "2026-11-01"], None, ["grid"]
    )
    assert ranged.window == "2026-11-01..2026-11-20"
    half = page.controls_view(view, STREET, "open_cases", "range", ["2026-11-01", None], None, [])
    assert half.window == view.window and half.layers == "none"


def test_view_from_controls_callback(app: dash.Dash, page: ModuleType) -> None:
    view = ViewState(street=STREET)
    new = page.view_from_controls(
        STREET, "overdue_cases", "7d", None, None, ["grid", "compound"], view.as_dict()
    )
    assert new["metric"] == "overdue_cases" and new["layers"] == "grid,compound"
    unchanged = page.view_from_controls(
        STREET, "open_cases", "30d", None, None, list(view.shown()), view.as_dict()
    )
    assert unchanged is dash.no_update


def test_clicks_select_and_deselect_compounds_and_grid_cells(page: ModuleType) -> None:
    view = ViewState(street=STREET)

    def click(code: str) -> dict:
        return {"points": [{"curveNumber": 1, "location": code}]}

    chosen = page.view_from_click(click("370832001001XQ002"), view.as_dict())
    assert chosen["area"] == "370832001001XQ002"
    cell = page.view_from_click(click("370832001001003"), chosen)
    assert cell["area"] == "370832001001003"
    assert page.view_from_click(click("370832001001003"), cell)["area"] is None
    assert page.view_from_click(click("370832001001"), view.as_dict()) is dash.no_update
    assert page.view_from_click({"points": []}, view.as_dict()) is dash.no_update


def test_url_follows_the_view_and_language_links_keep_it(app: dash.Dash, page: ModuleType) -> None:
    view = ViewState(STREET, "visits_per_100", "90d", "noise", "370832001001XQ001", "en")
    with app.server.app_context():
        search, links = page.url_from_view(view.as_dict())
    query = dict(parse_qsl(search.lstrip("?")))
    assert query == {
        "street": STREET,
        "metric": "visits_per_100",
        "window": "90d",
        "category": "noise",
        "area": "370832001001XQ001",
        "lang": "en",
    }
    zh_link = next(link for link in links if getattr(link, "id", None) == ids.lang_link("zh"))
    zh_query = dict(parse_qsl(zh_link.href.split("?", 1)[1]))
    assert zh_query == {**query, "lang": "zh"}


def test_english_page_has_no_chinese_ui_text(
    app: dash.Dash, page: ModuleType, street_store: Store
) -> None:
    names = {street_store.meta().get("name", ""), LANGUAGE_NAMES["zh"]}
    for level in Level:
        names |= set(street_store.areas(level)["name"].astype(str))
    layout = render(app, page, street=STREET, lang="en")
    _, paint, *_ = draw(app, page, ViewState(street=STREET, lang="en"))
    texts = [s for s in strings(layout) + strings(paint) if s not in names]
    assert [s for s in texts if contains_cjk(s)] == []
