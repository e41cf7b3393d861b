"""The area panel and case table callbacks, called as plain functions on the street demo."""

from __future__ import annotations

import base64
import csv
import io
import math
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import dash
import pandas as pd
import pytest
from dash import html
from dash.development.base_component import Component

from dashboard import ids
from dashboard import panel as dpanel
from dashboard.app import create_app
from dashboard.i18n import category_name, format_number, t
from dashboard.settings import Settings
from geodata.backends import open_store
from geodata.model import Level
from geodata.store import Store
from layers.access import Principal, Reach
from layers.panel import CASE_COLUMNS, PAGE_ROW_LIMIT, end_of_day
from layers.view import ViewState, data_as_of, window_of
from tests import tiny_city as tc
from tests.accounts_city import PASSWORD
from tests.webutil import login, serving_app, signed_in

GARDEN_NAME = "运河花园"
SCRIPT = "<script>alert(1)</script>"


# --- component-tree helpers ----------------------------------------------------------------------
def walk(node: Any) -> Iterator[Any]:
    """Every component and string in a tree (children only, as Dash renders them)."""
    if isinstance(node, list | tuple):
        for item in node:
            yield from walk(item)
        return
    yield node
    if isinstance(node, Component):
        yield from walk(getattr(node, "children", None))


def find(tree: Any, component_id: str) -> Component:
    [found] = [
        n
        for n in walk(tree)
        if isinstance(n, Component) and n.to_plotly_json()["props"].get("id") == component_id
    ]
    return found


def text(tree: Any) -> str:
    return " ".join(n for n in walk(tree) if isinstance(n, str))


# --- fixtures ------------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def demo(street_store_path: Path) -> Iterator[Store]:
    with open_store(street_store_path, readonly=True) as store:
        yield store


@pytest.fixture(scope="module")
def demo_app(demo: Store) -> Iterator[dash.Dash]:
    app = create_app(Settings.from_env({}), demo)
    with signed_in(app):
        yield app


@pytest.fixture(scope="module")
def garden(demo: Store) -> str:
    compounds = demo.areas(Level.COMPOUND).set_index("name")
    return str(compounds.at[GARDEN_NAME, "code"])


def view(store: Store, area: str | None, **changes: Any) -> dict[str, Any]:
    street = store.area(area)["street_code"] if area else "all"
    return ViewState(street=street, area=area).as_dict() | changes


@pytest.fixture
def tiny(tmp_path: Path) -> Iterator[Store]:
    with open_store(tmp_path / "tiny.gpkg", create=True) as store:
        store.write_city(tc.build())
        yield store


# --- side panel ----------------------------------------------------------------------------------
@pytest.mark.parametrize("lang", ["zh", "en"])
def test_without_an_area_the_panel_asks_for_a_click(demo_app, demo: Store, lang: str) -> None:
    tree = dpanel.fill_panel(view(demo, None, lang=lang))
    assert t("panel.prompt", lang) in text(tree)
    assert text(dpanel.fill_panel(None)) == t("panel.prompt", "zh")  # before any view


def test_an_unknown_area_is_named(demo_app, demo: Store) -> None:
    tree = dpanel.fill_panel(ViewState(area="370832001006XQ999").as_dict())
    assert t("panel.unknown_area", "zh", code="370832001006XQ999") in text(tree)


def test_panel_header_of_the_garden(demo_app, demo: Store, garden: str) -> None:
    area = demo.area(garden)
    header = text(find(dpanel.fill_panel(view(demo, garden)), ids.PANEL_HEADER))
    for expected in (
        GARDEN_NAME,
        garden,
        area["community_name"],
        format_number(area["households"], "zh"),
        area["property_company"],
    ):
        assert expected in header


def test_panel_staff_match_the_store(demo_app, demo: Store, garden: str) -> None:
    tree = dpanel.fill_panel(view(demo, garden))
    people = [
        n
        for n in walk(find(tree, ids.PANEL_STAFF))
        if isinstance(n, Component) and getattr(n, "className", None) == "gb-person"
    ]
    staff = demo.staff(garden)
    assert len(people) == len(staff) == len({m.person_id for m in staff})
    for person, member in zip(people, staff, strict=True):
        words = text(person)
        assert member.name in words and member.phone in words
        assert (t("panel.cross_appointed", "zh") in words) is member.cross_appointed
        for role in member.roles:
            assert t(f"role.{role.role.value}", "zh") in words
    grid_workers = [m for m in staff if any(r.role == "grid_worker" for r in m.roles)]
    assert grid_workers and any(m.cross_appointed for m in grid_workers)


def test_panel_cases_are_the_20_latest(demo_app, demo: Store, garden: str) -> None:
    grid = find(dpanel.fill_panel(view(demo, garden)), ids.PANEL_CASES)
    latest = demo.recent_cases(garden, 20)
    assert [row["id"] for row in grid.rowData] == [c.id for c in latest]
    at = end_of_day(data_as_of(demo.meta()))
    assert [row["overdue_flag"] for row in grid.rowData] == [c.is_overdue(at) for c in latest]
    assert grid.rowData[0]["category"] == category_name(latest[0].category, "zh")
    assert all(col.get("sortable", True) for col in grid.columnDefs)
    assert grid.defaultColDef["sortable"] is True


def test_panel_cases_follow_the_category(demo_app, demo: Store, garden: str) -> None:
    grid = find(dpanel.fill_panel(view(demo, garden, category="noise")), ids.PANEL_CASES)
    latest = demo.recent_cases(garden, 20, category="noise")
    assert [row["id"] for row in grid.rowData] == [c.id for c in latest]


def links(tree: Any, class_name: str) -> list[Component]:
    """The html.A components of a tree with `class_name`."""
    return [n for n in walk(tree) if isinstance(n, html.A) and n.className == class_name]


def query_of(href: str, path: str) -> dict[str, list[str]]:
    """The query of a link to `path` (a link elsewhere fails)."""
    parts = urlsplit(href)
    assert (parts.scheme, parts.netloc, parts.path) == ("", "", path), href
    return parse_qs(parts.query)


def test_each_latest_case_links_to_its_drawer_and_a_desk_to_the_call_form(
    demo_app, demo: Store, garden: str
) -> None:
    tree = dpanel.fill_panel(view(demo, garden, lang="en"))
    opened = links(tree, "gb-case-open")
    assert [a.children for a in opened] == [c.id for c in demo.recent_cases(garden, 20)]
    for anchor in opened:
        assert query_of(anchor.href, "/cases") == {"case": [anchor.children], "lang": ["en"]}
    [record] = links(tree, "gb-record-here")
    assert record.children == t("panel.record_here", "en")
    assert query_of(record.href, "/cases/new") == {"area": [garden], "lang": ["en"]}


@pytest.mark.parametrize(
    ("roles", "record", "cases"),
    [
        (("community",), True, True),
        (("grid_worker",), False, True),
        (("property",), False, True),
        (("display",), False, False),  # the wall's account opens no queue
    ],
)
def test_only_a_desk_is_offered_the_call_form(
    demo_app, demo: Store, garden: str, roles: tuple[str, ...], record: bool, cases: bool
) -> None:
    who = Principal("p", "user", roles, Reach(city=True), street_codes=None)
    with signed_in(demo_app, who):
        tree = dpanel.fill_panel(view(demo, garden))
    assert bool(links(tree, "gb-record-here")) is record
    assert bool(links(tree, "gb-case-open")) is cases


def test_case_links_are_encoded(tiny: Store) -> None:
    odd = "C9 x/#（1）"  # what an id may hold that a URL must escape
    case = tc.case_row(odd, "noise", 100, 310, tc.local(-1), "dispatched")
    tiny.add_cases(pd.DataFrame([case]))
    app = create_app(Settings.from_env({}), tiny)
    with signed_in(app):
        tree = dpanel.fill_panel(ViewState(street=tc.STREET, area=tc.GARDEN).as_dict())
    [anchor] = [a for a in links(tree, "gb-case-open") if a.children == odd]
    assert anchor.href == "/cases?case=C9+x%2F%23%EF%BC%881%EF%BC%89&lang=zh"
    assert query_of(anchor.href, "/cases")["case"] == [odd]


def test_panel_visits_match_the_store(demo_app, demo: Store, garden: str) -> None:
    visits = text(find(dpanel.fill_panel(view(demo, garden, window="90d")), ids.PANEL_VISITS))
    window = window_of("90d", data_as_of(demo.meta()))
    frame = demo.visits(garden, window)
    assert format_number(len(frame), "zh") in visits
    assert format_number(int(frame["households_reached"].sum()), "zh") in visits


def test_the_panel_lists_the_latest_visits_by_name(demo_app, demo: Store, garden: str) -> None:
    tree = dpanel.fill_panel(view(demo, garden, window="90d"))
    log = find(tree, ids.PANEL_VISIT_LOG)
    window = window_of("90d", data_as_of(demo.meta()))
    latest = demo.visits(garden, window).head(10)
    assert len(latest) >= 2  # the demo garden is visited
    shown = [li for li in log.children[1].children]
    assert [li.to_plotly_json()["props"]["data-visit"] for li in shown] == list(latest["id"])
    names = demo.actor_names(list(latest["worker_id"]))
    first = latest.iloc[0]
    assert names[first["worker_id"]] in text(shown[0])
    assert format_number(int(first["households_reached"]), "zh") in text(shown[0])


def test_panel_in_english(demo_app, demo: Store, garden: str) -> None:
    words = text(dpanel.fill_panel(view(demo, garden, lang="en")))
    assert t("panel.staff", "en") in words and t("panel.visits", "en") in words
    assert t("role.grid_worker", "en") in words


# --- case table ----------------------------------------------------------------------------------
def ask(start: int = 0, end: int = 100, sort: Any = (), filters: Any = None) -> dict[str, Any]:
    """A getRowsRequest as AG Grid's infinite row model sends it."""
    return {"startRow": start, "endRow": end, "sortModel": list(sort), "filterModel": filters or {}}


def all_rows(the_view: dict[str, Any], **request: Any) -> list[dict[str, Any]]:
    """Every row of the case table, block by block as the grid asks for them."""
    rows: list[dict[str, Any]] = []
    while True:
        answer = dpanel.case_rows(ask(len(rows), len(rows) + 100, **request), the_view)
        rows += answer["rowData"]
        if len(rows) >= answer["rowCount"] or not answer["rowData"]:
            return rows


def test_case_table_of_the_garden(demo_app, demo: Store, garden: str) -> None:
    title, button = dpanel.fill_case_table(view(demo, garden))
    shell = dpanel.case_table(title, button)  # the page's table: no grid until the map is drawn
    assert not [n for n in walk(shell) if getattr(n, "id", None) == ids.CASE_TABLE]
    grid = find(dpanel.start_case_table(1, view(demo, garden)), ids.CASE_TABLE)
    window = window_of("30d", data_as_of(demo.meta()))
    expected = demo.cases(garden, window)
    rows = all_rows(view(demo, garden))
    assert [row["id"] for row in rows] == expected["id"].tolist()
    assert {row["compound"] for row in rows} == {GARDEN_NAME}
    assert GARDEN_NAME in text(title)
    assert format_number(len(expected), "zh") in text(title)
    assert button == t("casetable.csv", "zh")
    assert grid.rowModelType == "infinite" and not getattr(grid, "rowData", None)
    assert [c["field"] for c in grid.columnDefs] == list(CASE_COLUMNS)


def test_case_table_of_the_street(demo_app, demo: Store, garden: str) -> None:
    street = demo.area(garden)["street_code"]
    the_view = ViewState(street=street, window="7d").as_dict()
    window = window_of("7d", data_as_of(demo.meta()))
    assert [row["id"] for row in all_rows(the_view)] == demo.cases(street, window)["id"].tolist()


def test_a_block_is_capped_whatever_the_request_asks(demo_app, demo: Store) -> None:
    the_view = ViewState(window="2024-01-01..2026-11-28").as_dict()
    answer = dpanel.case_rows(ask(0, 1_000_000), the_view)
    assert len(answer["rowData"]) == PAGE_ROW_LIMIT < answer["rowCount"]


def test_the_store_sorts_and_filters_the_table(demo_app, demo: Store, garden: str) -> None:
    the_view = view(demo, garden, window="90d")
    by_id = all_rows(the_view, sort=[{"colId": "id", "sort": "asc"}])
    assert [r["id"] for r in by_id] == sorted(r["id"] for r in by_id)
    oldest = all_rows(the_view, sort=[{"colId": "age_days", "sort": "desc"}])
    assert [r["age_days"] for r in oldest] == sorted((r["age_days"] for r in oldest), reverse=True)
    one = by_id[3]["id"]
    found = all_rows(
        the_view, filters={"id": {"filterType": "text", "type": "equals", "filter": one}}
    )
    assert [r["id"] for r in found] == [one]
    week = {"age_days": {"filterType": "number", "type": "lessThanOrEqual", "filter": 6}}
    recent = all_rows(the_view, filters=week)
    assert recent and all(r["age_days"] <= 6 for r in recent)
    assert len(recent) == sum(r["age_days"] <= 6 for r in by_id)


@pytest.mark.parametrize(
    "request_",
    [
        None,
        "x",
        {"startRow": -5, "endRow": 10},
        {"startRow": 0, "endRow": math.nan},
        {"startRow": 0, "endRow": 10, "filterModel": {"description": {"type": "contains"}}},
        {"startRow": 0, "endRow": 10, "filterModel": {"id": {"type": "regex", "filter": "."}}},
        {"startRow": 0, "endRow": 10, "sortModel": [{"colId": "x; DROP TABLE cases"}]},
    ],
)
def test_a_request_the_table_does_not_offer_gets_nothing(demo_app, demo, request_) -> None:
    if request_ is None:  # the grid clears its request once answered: nothing to answer
        assert dpanel.case_rows(request_, ViewState().as_dict()) is dash.no_update
        return
    answer = dpanel.case_rows(request_, ViewState().as_dict())
    assert len(answer["rowData"]) <= PAGE_ROW_LIMIT
    if not (isinstance(request_, dict) and "sortModel" in request_):
        assert answer == {"rowData": [], "rowCount": 0}


def test_a_window_longer_than_the_setting_is_refused(demo_app, demo: Store) -> None:
    the_view = ViewState(window="2000-01-01..2100-12-31").as_dict()
    title, _ = dpanel.fill_case_table(the_view)
    assert t(
        "casetable.too_long", "zh", days="1,096", start="2000年1月1日", end="2100年12月31日"
    ) in (text(title))
    assert dpanel.case_rows(ask(), the_view) == {"rowData": [], "rowCount": 0}
    assert dpanel.download_cases(1, the_view) is dash.no_update


def test_a_period_without_cases_says_so(demo_app, demo: Store, garden: str) -> None:
    quiet = view(demo, garden, window="2001-01-01..2001-01-31")
    title, _ = dpanel.fill_case_table(quiet)
    assert all_rows(quiet) == []
    assert t("casetable.empty", "zh", start="2001年1月1日", end="2001年1月31日") in text(title)


def test_an_empty_store_says_so(empty_store_path: Path) -> None:
    with open_store(empty_store_path, readonly=True) as store:
        app = create_app(Settings.from_env({}), store)
        with signed_in(app):
            title, _ = dpanel.fill_case_table(ViewState().as_dict())
            panel_tree = dpanel.fill_panel(ViewState().as_dict())
            assert all_rows(ViewState().as_dict()) == []
    assert t("casetable.city", "zh") in text(title)
    assert "没有上报的诉求" in text(title)
    assert t("panel.prompt", "zh") in text(panel_tree)


# --- CSV -----------------------------------------------------------------------------------------
def _csv(download: dict[str, Any]) -> tuple[bytes, list[list[str]]]:
    data = base64.b64decode(download["content"])
    return data, list(csv.reader(io.StringIO(data.decode("utf-8-sig"))))


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_csv_of_the_garden(demo_app, demo: Store, garden: str, lang: str) -> None:
    the_view = view(demo, garden, lang=lang, window="90d")
    download = dpanel.download_cases(1, the_view)
    data, table = _csv(download)
    assert data.startswith(b"\xef\xbb\xbf")
    assert download["filename"].endswith(".csv")
    assert table[0] == [t(f"casecol.{key}", lang) for key in CASE_COLUMNS]
    window = window_of("90d", data_as_of(demo.meta()))
    cases = demo.cases(garden, window)
    assert [line[0] for line in table[1:]] == cases["id"].tolist()
    phones = [p for p in cases["reporter_phone"].dropna() if p]
    assert phones  # the demo has reporters, so leaving them out is a real check
    content = data.decode("utf-8-sig")
    assert not [p for p in phones if p in content]
    assert not re.search(r"(?<!\d)1[3-9]\d{9}(?!\d)", content)  # nor any other mobile number
    described = dict(zip(cases["id"], cases["reporter_name"], strict=True))
    column = CASE_COLUMNS.index("description")
    for line in table[1:]:  # a reporter who wrote their name into the text is not named
        name = described[line[0]]
        assert not (isinstance(name, str) and name and name in line[column]), line


def test_csv_comes_from_the_store_never_from_the_browser(town_store: Store) -> None:
    """A forged request posting rows of its own gets the view's cases, not its rows."""
    client = serving_app(town_store).server.test_client()
    login(client, "city", PASSWORD)
    dependency = next(  # the suite's apps may list it again, with a hash
        d
        for d in client.get("/_dash-dependencies").get_json()
        if d["output"].startswith(f"{ids.CASE_CSV_DOWNLOAD}.data")
    )
    forged = [{"id": "FORGED", "description": "13812345678"}]
    states = [
        {"id": s["id"], "property": s["property"], "value": forged} for s in dependency["state"]
    ]
    states[-1]["value"] = ViewState(window="7d").as_dict()
    response = client.post(
        "/_dash-update-component",
        json={
            "output": dependency["output"],
            "outputs": {"id": ids.CASE_CSV_DOWNLOAD, "property": "data"},
            "inputs": [{"id": ids.CASE_CSV_BUTTON, "property": "n_clicks", "value": 1}],
            "state": states,
            "changedPropIds": [f"{ids.CASE_CSV_BUTTON}.n_clicks"],
        },
    )
    assert response.status_code == 200
    download = response.get_json()["response"][ids.CASE_CSV_DOWNLOAD]["data"]
    _, table = _csv(download)
    assert len(table) > 1 and "FORGED" not in {line[0] for line in table}


# --- residents' text stays text ------------------------------------------------------------------
def test_a_script_in_a_description_stays_plain_text(tiny: Store) -> None:
    case = tc.case_row("C9", "noise", 100, 310, tc.local(-1), "dispatched")
    tiny.add_cases(pd.DataFrame([{**case, "description": SCRIPT}]))
    the_view = ViewState(street=tc.STREET, area=tc.GARDEN).as_dict()
    app = create_app(Settings.from_env({}), tiny)
    with signed_in(app):
        title, button = dpanel.fill_case_table(the_view)
        body = [dpanel.case_table(title, button), dpanel.start_case_table(1, the_view)]
        panel_tree = dpanel.fill_panel(the_view)
        rows = all_rows(the_view)
        download = dpanel.download_cases(1, the_view)
    grid = find(body, ids.CASE_TABLE)
    [row] = [row for row in rows if row["id"] == "C9"]
    assert row["description"] == SCRIPT
    description = next(c for c in grid.columnDefs if c["field"] == "description")
    assert set(description) <= {"field", "headerName", "minWidth", "flex"}  # default renderer
    props = grid.to_plotly_json()["props"]
    assert not props.get("dangerously_allow_code")
    for node in walk([title, body, panel_tree]):
        if isinstance(node, Component):
            assert node._type not in {"Markdown"}
            assert not getattr(node, "dangerously_allow_html", False)
    assert SCRIPT in base64.b64decode(download["content"]).decode("utf-8-sig")


def test_a_far_check_in_is_flagged_and_notes_masked_unless_personal(tiny: Store) -> None:
    far = {"id": "VF", "worker_id": "P1", "date": tc.AS_OF, "building_id": f"{tc.GARDEN}-01",
           "households_reached": 2, "needs_found": 0, "cases_raised": 0, "checkin_m": 250.4,
           "far": 1, "notes": "张伟家 13812345678 水管漏水"}  # fmt: skip
    tiny.add_visits(pd.DataFrame([far]))
    app = create_app(Settings.from_env({}), tiny)
    state = ViewState(street=tc.STREET, area=tc.GARDEN).as_dict()
    with signed_in(app):
        masked = find(dpanel.fill_panel(state), ids.PANEL_VISIT_LOG)
    [item] = [
        li
        for li in masked.children[1].children
        if li.to_plotly_json()["props"]["data-visit"] == "VF"
    ]
    assert item.to_plotly_json()["props"]["data-far"] == "1"
    assert t("panel.visit_log.far", "zh", m="250") in text(item)
    assert "13812345678" not in text(item) and "水管漏水" in text(item)
    personal = Principal("boss", "user", ("city",), Reach(city=True), personal=Reach(city=True))
    with signed_in(app, personal):
        shown = find(dpanel.fill_panel(state), ids.PANEL_VISIT_LOG)
    assert "13812345678" in text(shown)
