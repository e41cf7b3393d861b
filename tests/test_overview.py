"""Overview page: numbers against the store, both languages, the empty store, the app."""

from __future__ import annotations

import datetime as dt
import importlib
import json
from pathlib import Path
from types import ModuleType
from typing import Any

import dash
import pandas as pd
import pytest
from dash import html
from dash.development.base_component import Component

from bench.dashclient import router_body
from dashboard import context, ids
from dashboard.app import TITLE, cache_config, create_app
from dashboard.i18n import LANGUAGE_NAMES, contains_cjk, format_date, format_number, t
from dashboard.settings import Settings
from geodata.backends import open_store
from geodata.model import LOCAL_TZ, Level
from geodata.store import Store, Window
from layers.view import data_as_of
from tests.accounts_city import PASSWORD
from tests.components import strings
from tests.webutil import login, signed_in

AS_OF = dt.date(2026, 11, 28)  # the demo's as_of (tests/conftest.py)
END = dt.datetime(2026, 11, 29, tzinfo=LOCAL_TZ)  # the end of the as-of day in China
START_30 = dt.datetime(2026, 10, 30, tzinfo=LOCAL_TZ)
STREET_NAME = "水泊街道"


# --- fixtures and helpers -------------------------------------------------------------------
@pytest.fixture(scope="module")
def overview(app: dash.Dash) -> ModuleType:
    """The page module, as the app loaded it (pages register themselves after the app exists)."""
    return importlib.import_module("dashboard.pages.overview")


@pytest.fixture(scope="module")
def reader() -> ModuleType:
    """The overview's reader: the street rows the page shows."""
    return importlib.import_module("dashboard.readers.overview")


@pytest.fixture(scope="module")
def data_names(street_store: Store) -> set[str]:
    """Names that come from the data and may be Chinese on an English page."""
    names = {street_store.meta().get("name", "")}
    for level in Level:
        names |= set(street_store.areas(level)["name"].dropna().astype(str))
    return {n for n in names if n}


def render(app: dash.Dash, overview: ModuleType, **query: Any) -> Component:
    with signed_in(app):
        return overview.layout(**query)


def grid(layout: Component) -> Component:
    return layout[ids.OVERVIEW_STREETS]


def rows_by_name(layout: Component) -> dict[str, dict[str, Any]]:
    return {row["name"]: row for row in grid(layout).rowData}


# --- data ---------------------------------------------------------------------------------
def test_windows_end_with_the_as_of_day_in_china(reader: ModuleType) -> None:
    since_start, recent = reader.windows(AS_OF)
    assert since_start.end == recent.end == END
    assert recent.start == START_30
    assert since_start.start <= dt.datetime(2000, 1, 1, tzinfo=dt.UTC)


def test_as_of_comes_from_the_data(reader: ModuleType, street_store: Store) -> None:
    assert data_as_of(street_store.meta()) == AS_OF


@pytest.mark.parametrize("meta", [{}, {"as_of": "soon"}])
def test_as_of_falls_back_to_today_in_china(reader: ModuleType, meta: dict[str, str]) -> None:
    assert data_as_of(meta) == dt.datetime.now(LOCAL_TZ).date()


def test_rows_equal_what_the_store_gives(reader: ModuleType, street_store: Store) -> None:
    rows = reader.street_rows(street_store, AS_OF)
    streets = street_store.areas(Level.STREET).set_index("code")
    open_now = street_store.metrics(
        Level.STREET, Window(dt.datetime(1970, 1, 1, tzinfo=dt.UTC), END)
    )
    recent = street_store.metrics(Level.STREET, Window(START_30, END))
    assert [row["code"] for row in rows] == sorted(streets.index)
    for row in rows:
        code = row["code"]
        assert row["name"] == streets.at[code, "name"]
        assert row["households"] == streets.at[code, "households"]
        for level, key in (
            (Level.COMMUNITY, "communities"),
            (Level.COMPOUND, "compounds"),
            (Level.GRID, "grid_cells"),
        ):
            assert row[key] == len(street_store.areas(level, parent=code)), key
        assert row["open_cases"] == open_now.at[code, "open_cases"]
        assert row["overdue_cases"] == open_now.at[code, "overdue_cases"]
        assert row["cases_30d"] == recent.at[code, "cases"]


def test_recent_cases_are_those_reported_in_the_30_days(
    reader: ModuleType, street_store: Store
) -> None:
    cases = street_store.cases()
    reported = pd.to_datetime(cases["reported_at"], utc=True)
    inside = cases[(reported >= START_30) & (reported < END)]
    expected = inside.groupby("street_code").size().to_dict()
    rows = reader.street_rows(street_store, AS_OF)
    assert {row["code"]: row["cases_30d"] for row in rows if row["cases_30d"]} == expected
    assert sum(row["cases_30d"] for row in rows) > 0


def test_total_row_sums_every_street(reader: ModuleType, street_store: Store) -> None:
    rows = reader.street_rows(street_store, AS_OF)
    total = reader.total_row(rows)
    for key in reader.COUNT_COLUMNS:
        assert total[key] == sum(row[key] for row in rows)
    assert total["households"] > 0 and total["grid_cells"] > 0


def test_rows_are_cached(
    app: dash.Dash, reader: ModuleType, street_store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    with signed_in(app):
        first = reader.cached_street_rows(context.source(), AS_OF)

        def not_again(*args: object) -> None:
            raise AssertionError("street_rows called although its result is cached")

        monkeypatch.setattr(reader, "street_rows", not_again)
        assert reader.cached_street_rows(context.source(), AS_OF) == first


# --- the page -----------------------------------------------------------------------------
def test_chinese_page_lists_the_street(
    app: dash.Dash, overview: ModuleType, reader: ModuleType, street_store: Store
) -> None:
    layout = render(app, overview)
    assert layout[ids.PAGE_TITLE].children == TITLE
    assert layout[ids.OVERVIEW_AS_OF].children == "截至 2026年11月28日"
    headers = [c["headerName"] for c in grid(layout).columnDefs]
    assert headers[:3] == ["街道", "代码", "社区"]
    assert "在办诉求" in headers and "超期诉求" in headers
    row = rows_by_name(layout)[STREET_NAME]
    expected = {r["code"]: r for r in reader.street_rows(street_store, AS_OF)}[row["code"]]
    for key in reader.COUNT_COLUMNS:
        assert row[key] == expected[key]
        assert row[f"{key}_text"] == format_number(expected[key], "zh")


def test_page_shows_data_name_and_note(
    app: dash.Dash, overview: ModuleType, street_store: Store
) -> None:
    layout = render(app, overview, lang="en")
    name = street_store.meta().get("name")
    if name:
        assert layout[ids.OVERVIEW_DATA_NAME].children == f"Data: {name}"
    note = layout[ids.OVERVIEW_NOTE].children
    assert format_date(AS_OF, "en") in note and "30 Oct 2026" in note


def test_total_row_is_pinned_and_translated(app: dash.Dash, overview: ModuleType) -> None:
    for lang, word in (("zh", "合计"), ("en", "Total")):
        options = grid(render(app, overview, lang=lang)).dashGridOptions
        (total,) = options["pinnedBottomRowData"]
        assert total["name"] == word


def test_english_page_has_no_cjk_outside_data_names(
    app: dash.Dash, overview: ModuleType, data_names: set[str]
) -> None:
    layout = render(app, overview, lang="en")
    allowed = data_names | {LANGUAGE_NAMES["zh"]}
    leftovers = []
    for text in strings(layout):
        for name in sorted(allowed, key=len, reverse=True):
            text = text.replace(name, "")
        if contains_cjk(text):
            leftovers.append(text)
    assert not leftovers
    assert layout[ids.PAGE_TITLE].children == t("app.title", "en")


def test_unknown_language_gets_the_default(app: dash.Dash, overview: ModuleType) -> None:
    assert render(app, overview, lang="fr")[ids.PAGE_TITLE].children == TITLE


def test_default_language_comes_from_settings(street_store: Store) -> None:
    english = create_app(Settings.from_env({}, language="en"), street_store)
    page = importlib.import_module("dashboard.pages.overview")
    assert render(english, page)[ids.PAGE_TITLE].children == "Grid governance at a glance"
    assert render(english, page, lang="zh")[ids.PAGE_TITLE].children == TITLE


def test_language_switch_keeps_the_query(app: dash.Dash, overview: ModuleType) -> None:
    layout = render(app, overview, lang="en", street="370832001", tag=["a", "b"])
    link = layout[ids.lang_link("zh")]
    assert link.href == "/overview?street=370832001&tag=a&tag=b&lang=zh"
    assert link.children == "中文"
    assert layout[ids.lang_link("en")].children == "English"
    assert isinstance(layout[ids.lang_link("en")], html.Span)


def test_no_personal_data_on_the_page(
    app: dash.Dash, overview: ModuleType, street_store: Store, data_names: set[str]
) -> None:
    cases = street_store.cases()
    people = set(cases["reporter_name"].dropna()) | set(cases["reporter_phone"].dropna())
    for code in street_store.areas(Level.COMMUNITY)["code"]:
        for member in street_store.staff(code):
            people |= {member.name, member.phone}
    people = {p for p in map(str, people) if p}
    assert people
    for lang in ("zh", "en"):
        texts = [s for s in strings(render(app, overview, lang=lang)) if s not in data_names]
        found = sorted({p for p in people for text in texts if p in text})
        assert not found, lang


# --- the empty store ----------------------------------------------------------------------
@pytest.mark.parametrize("lang", ["zh", "en"])
def test_empty_store_says_how_to_get_data(empty_store_path: Path, lang: str) -> None:
    with open_store(empty_store_path, readonly=True) as store:
        app = create_app(Settings.from_env({}), store)
        page = importlib.import_module("dashboard.pages.overview")
        layout = render(app, page, lang=lang)
    alert = layout[ids.OVERVIEW_EMPTY]
    assert alert.title == t("overview.empty.title", lang)
    texts = strings(alert)
    assert t("overview.empty.hint", lang) in texts
    assert "gridboard demo --scale street --out data/gridboard.gpkg" in texts
    with pytest.raises(KeyError):
        layout[ids.OVERVIEW_STREETS]
    if lang == "en":
        assert not [s for s in strings(layout) if contains_cjk(s) and s != LANGUAGE_NAMES["zh"]]


# --- the app ------------------------------------------------------------------------------
def test_app_is_registered_with_title_and_assets(app: dash.Dash) -> None:
    assert app.title == TITLE
    assert Path(app.config.assets_folder) == Path(__file__).resolve().parents[1] / "assets"
    paths = {page["path"]: page for page in dash.page_registry.values()}
    assert paths["/overview"]["module"] == "dashboard.pages.overview"
    assert paths["/"]["module"] == "dashboard.pages.map"
    assert len(dash.page_registry) == len(paths)


def test_app_serves_the_page_and_routes_the_query(town_store: Store) -> None:
    client = create_app(Settings.from_env({}), town_store).server.test_client()
    login(client, "city", PASSWORD)
    index = client.get("/")
    assert index.status_code == 200
    assert TITLE in index.get_data(as_text=True)
    assert client.get("/assets/gridboard.css").status_code == 200
    dependencies = client.get("/_dash-dependencies").get_json()
    router = next(d for d in dependencies if "_pages_content" in d["output"])
    body = router_body("/overview", "?lang=en", router["output"])
    response = client.post("/_dash-update-component", json=body)
    assert response.status_code == 200
    body = json.dumps(response.get_json(), ensure_ascii=False)
    assert "Streets at a glance" in body and STREET_NAME in body


@pytest.mark.parametrize("cache_type", ["SimpleCache", "FileSystemCache", "NullCache"])
def test_cache_types(cache_type: str, tmp_path: Path, street_store: Store) -> None:
    settings = Settings.from_env({}, cache_type=cache_type, cache_dir=tmp_path)
    config = cache_config(settings)
    assert config["CACHE_TYPE"] == cache_type
    assert config.get("CACHE_DIR") == (str(tmp_path) if cache_type == "FileSystemCache" else None)
    app = create_app(settings, street_store)
    page = importlib.import_module("dashboard.pages.overview")
    with signed_in(app):
        context.cache().set("probe", [1, 2])
        assert context.cache().get("probe") == (None if cache_type == "NullCache" else [1, 2])
    assert rows_by_name(render(app, page))[STREET_NAME]["households"] > 0


def test_each_app_keeps_its_own_store(street_store: Store, empty_store_path: Path) -> None:
    with open_store(empty_store_path, readonly=True) as empty:
        full_app = create_app(Settings.from_env({}), street_store)
        empty_app = create_app(Settings.from_env({}), empty)
        page = importlib.import_module("dashboard.pages.overview")
        assert STREET_NAME in rows_by_name(render(full_app, page))
        render(empty_app, page)[ids.OVERVIEW_EMPTY]
