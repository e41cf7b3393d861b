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
import plotly.graph_objects as go
import pytest
from dash import Patch
from dash._utils import to_json
from dash.development.base_component import Component

from dashboard import ids
from dashboard.app import create_app
from dashboard.i18n import LANGUAGE_NAMES, contains_cjk, format_number, t
from dashboard.settings import Settings
from geodata.backends import open_store
from geodata.model import Level
from geodata.store import Store
from layers import classify, mapfig
from layers.access import Principal, Reach
from layers.view import CITY, METRICS, ViewState, data_as_of, window_of
from tests.components import strings
from tests.webutil import signed_in

STREET = "370832001"
STREET_NAME = "水泊街道"


@pytest.fixture(scope="module")
def page(app: dash.Dash) -> ModuleType:
    return importlib.import_module("dashboard.pages.map")


def render(app: dash.Dash, page: ModuleType, **query: Any) -> Component:
    with signed_in(app):
        return page.layout(**query)


def draw(app: dash.Dash, page: ModuleType, view: ViewState, drawn: dict | None = None) -> tuple:
    """draw_map's outputs; a full figure (a plain dict) checked by plotly's validators."""
    with signed_in(app):
        figure, *rest = page.draw_map(view.as_dict(), drawn)
    if isinstance(figure, dict):
        figure = go.Figure(figure)  # raises on a property plotly does not know
    return (figure, *rest)


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
        assert len(body) < len(to_json(full)) / 10, change
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
    with signed_in(app):
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
    texts = strings(layout) + strings(paint)  # the case table's title names the street
    for name in sorted(names, key=len, reverse=True):  # data names stay Chinese
        texts = [text.replace(name, "") for text in texts]
    assert [s for s in texts if contains_cjk(s)] == []


# --- metrics download ------------------------------------------------------------------------
def metrics_download(app: dash.Dash, page: ModuleType, view: ViewState) -> tuple[dict, Any]:
    import base64
    import io

    import pandas as pd

    with signed_in(app):
        sent = page.download_metrics(1, view.as_dict())
    raw = base64.b64decode(sent["content"])
    assert raw.startswith(b"\xef\xbb\xbf")  # BOM: Excel reads the Chinese right
    frame = pd.read_csv(io.BytesIO(raw), encoding="utf-8-sig", dtype={"代码": str, "Code": str})
    return sent, frame


def test_download_metrics_is_the_views_metrics(
    app: dash.Dash, page: ModuleType, street_store: Store
) -> None:
    from dashboard.i18n import export_words
    from layers.export import COLUMNS

    view = ViewState(street=STREET, window="7d", category="noise", lang="en")
    sent, frame = metrics_download(app, page, view)
    assert sent["filename"] == f"gridboard-metrics-{STREET}-7d-noise.csv"
    headers, _ = export_words("en")
    assert list(frame.columns) == [headers[key] for key in COLUMNS]
    window = window_of("7d", data_as_of(street_store.meta()))
    for level in (Level.GRID, Level.COMPOUND):
        rows = frame[frame["Level"] == t(f"level.{level.value}", "en")].set_index("Code")
        expected = street_store.metrics(level, window, category="noise", parent=STREET)
        assert sorted(rows.index) == sorted(expected.index)
        got = rows.loc[expected.index]
        assert (got["Open cases"].to_numpy() == expected["open_cases"].to_numpy()).all()
        assert np.allclose(got["Cases per 1,000 households"], expected["cases_per_1000"])
    assert set(frame["First day"]) == {"2026-11-22"} and set(frame["Last day"]) == {"2026-11-28"}
    assert set(frame["Case category"]) == {t("category.noise", "en")}


def test_download_follows_the_coloured_layers_and_language(
    app: dash.Dash, page: ModuleType, street_store: Store
) -> None:
    view = ViewState(street=STREET, layers="compound,street")
    sent, frame = metrics_download(app, page, view)
    assert sent["filename"] == f"gridboard-metrics-{STREET}-30d.csv"
    assert frame.columns[:3].tolist() == ["层级", "代码", "名称"]
    assert set(frame["层级"]) == {t("level.compound", "zh")}
    assert len(frame) == len(street_store.areas(Level.COMPOUND, parent=STREET))
    _, both = metrics_download(app, page, ViewState(layers="none", lang="en"))
    assert set(both["Level"]) == {"Grid cell", "Compound"}  # nothing coloured: both levels


def test_layout_has_the_download_button(app: dash.Dash, page: ModuleType) -> None:
    for lang in ("zh", "en"):
        layout = render(app, page, street=STREET, lang=lang)
        assert layout[ids.METRICS_CSV_BUTTON].children == t("map.download_metrics", lang)
        assert layout[ids.METRICS_DOWNLOAD] is not None


# --- problems layer ----------------------------------------------------------------------------
PROBLEMS_FILE = Path(__file__).resolve().parent / "data" / "problems" / "problems.geojson"


@pytest.fixture(scope="module")
def problems_app(street_store: Store) -> dash.Dash:
    return create_app(Settings.from_env({"GRIDBOARD_PROBLEMS": str(PROBLEMS_FILE)}), street_store)


def layer_values(layout: Component) -> list[str]:
    return [box.value for box in layout[ids.LAYER_TOGGLES].children.children]


def test_problems_layer_is_offered_only_with_a_problems_file(
    app: dash.Dash, problems_app: dash.Dash, page: ModuleType
) -> None:
    assert "problems" not in layer_values(render(app, page, street=STREET))
    offered = layer_values(render(problems_app, page, street=STREET))
    assert offered[0] == "problems"  # listed first: drawn on top
    layout = render(problems_app, page, street=STREET)
    assert "problems" not in layout[ids.LAYER_TOGGLES].value  # off until switched on


def test_problems_layer_is_only_for_those_who_see_the_whole_city(
    problems_app: dash.Dash, page: ModuleType
) -> None:
    """The problems file covers every street: a street supervisor is not offered it."""
    supervisor = Principal(
        "wang",
        "user",
        ("street",),
        Reach(streets=frozenset({STREET})),
        street_codes=frozenset({STREET}),
    )
    with signed_in(problems_app, supervisor):
        layout = page.layout(street=STREET)
        assert "problems" not in layer_values(layout)
        assert page.problems_key(ViewState(street=STREET, layers="problems").as_dict()) == []


def test_problems_layer_is_drawn_on_top_when_shown(
    problems_app: dash.Dash, page: ModuleType
) -> None:
    view = ViewState(street=STREET, layers="grid,compound,street,problems", lang="en")
    figure, paint, _, _ = draw(problems_app, page, view)
    assert [trace.meta for trace in figure.data] == ["grid", "compound", "problems"]
    assert len(paint["levels"]) == 2  # paint.js recolours the area traces only
    marks = figure.data[2]
    assert len(marks.lon) == 4
    assert marks.text[0] == "Overlap: 370832001001001 · 412.5 m²"
    assert marks.text[2] == "Invalid geometry: 370832001001XQ001"
    layers = figure.layout.map.layers
    assert [layer.name for layer in layers] == ["street", "problems", "problems", "problems"]
    assert [layer.type for layer in layers[1:]] == ["fill", "line", "circle"]
    assert all(layer.color == mapfig.PROBLEM_COLOUR for layer in layers[1:])
    with signed_in(problems_app):
        key = page.problems_key(view.as_dict())
        hidden = page.problems_key(ViewState(street=STREET).as_dict())
    text = " ".join(strings(key))
    assert "Data problems" in text and "Overlap" in text and "Gap" in text
    assert hidden == []


def test_no_problems_layer_without_the_setting(app: dash.Dash, page: ModuleType) -> None:
    view = ViewState(street=STREET, layers="grid,compound,problems")
    figure, *_ = draw(app, page, view)
    assert [trace.meta for trace in figure.data] == ["grid", "compound"]
    assert not figure.layout.map.layers
    with signed_in(app):
        assert page.problems_key(view.as_dict()) == []


def test_problems_file_not_written_yet_is_not_offered(
    street_store: Store, page: ModuleType, tmp_path: Path
) -> None:
    later = tmp_path / "problems.geojson"
    app = create_app(Settings.from_env({"GRIDBOARD_PROBLEMS": str(later)}), street_store)
    assert "problems" not in layer_values(render(app, page, street=STREET))
    later.write_text(PROBLEMS_FILE.read_text(encoding="utf-8"), encoding="utf-8")
    assert "problems" in layer_values(render(app, page, street=STREET))  # read once it exists


def test_bad_problems_setting_is_a_settings_error(tmp_path: Path) -> None:
    from dashboard.settings import SettingsError

    broken = tmp_path / "broken.geojson"
    broken.write_text('{"type": "FeatureCollection", "features": [', encoding="utf-8")
    with pytest.raises(SettingsError, match=r"GRIDBOARD_PROBLEMS.*not a JSON file"):
        Settings.from_env({"GRIDBOARD_PROBLEMS": str(broken)})
