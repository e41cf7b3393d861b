"""Visit routes page: layout and callbacks called as plain functions on the street demo."""

from __future__ import annotations

import datetime as dt
import importlib
import re
from pathlib import Path
from types import ModuleType
from typing import Any
from urllib.parse import parse_qs

import dash
import pytest
from dash.development.base_component import Component

from dashboard import ids
from dashboard.app import create_app
from dashboard.i18n import LANGUAGE_NAMES, contains_cjk, t
from dashboard.readers import routes as rd
from dashboard.routetext import reason_text
from dashboard.settings import Settings
from geodata.backends import open_store
from geodata.store import Store
from layers import routemap, routeview
from layers.routeview import RouteView
from tests import tiny_city as tc
from tests.components import strings
from tests.webutil import signed_in

WORKER = "P000060"  # 仲斌, 锦绣社区: six stops on the first visit day
TIGHT = "P000061"  # no stop of theirs fits in 30 minutes
DAY = "2026-12-02"  # the Wednesday after the demo's as-of date, Saturday 2026-11-28


@pytest.fixture(scope="module")
def page(app: dash.Dash) -> ModuleType:
    return importlib.import_module("dashboard.pages.routes")


def render(app: dash.Dash, page: ModuleType, **query: Any) -> Component:
    with signed_in(app):
        return page.layout(**query)


def draw(app: dash.Dash, page: ModuleType, view: RouteView) -> tuple[Any, ...]:
    with signed_in(app):
        return page.draw_route(view.as_dict())


def parts(app: dash.Dash, page: ModuleType, view: RouteView) -> Any:
    with signed_in(app):
        return page.render_route(view)


def text_of(node: Any) -> str:
    return " ".join(strings(node))


def row_ids(stops: Component) -> list[str]:
    rows = stops.children[1].children  # Table → [Thead, Tbody] → rows
    return [row.to_plotly_json()["props"]["data-stop"] for row in rows[1:-1]]


def arrivals(stops: Component) -> list[str]:
    rows = stops.children[1].children[1:-1]
    return [row.children[1].children for row in rows]


def test_routes_page_is_registered(app: dash.Dash) -> None:
    paths = {p["path"]: p["module"] for p in dash.page_registry.values()}
    assert paths["/routes"] == "dashboard.pages.routes"


def test_layout_shows_the_view_of_the_url(app: dash.Dash, page: ModuleType) -> None:
    layout = render(app, page, worker=WORKER, date=DAY, budget="120", depart="08:30")
    view = RouteView.from_dict(layout[ids.ROUTES_VIEW].data)
    assert view == RouteView(WORKER, DAY, 120, "08:30", None, "zh", False)
    assert layout[ids.ROUTES_WORKER].value == WORKER
    assert layout[ids.ROUTES_DATE].value == DAY
    assert layout[ids.ROUTES_BUDGET].value == 120
    assert layout[ids.ROUTES_DEPART].value == "08:30"
    assert layout[ids.ROUTES_WORKER_BOX].hidden is False
    assert layout[ids.ROUTES_MESSAGE].children[0] is None  # nothing wrong with the URL
    labels = {o["value"]: o["label"] for o in layout[ids.ROUTES_WORKER].data}
    assert labels[WORKER] == "仲斌 · 锦绣社区"


def test_defaults_next_visit_day_and_personal_link(app: dash.Dash, page: ModuleType) -> None:
    assert routeview.visit_day(dt.date(2026, 11, 28)) == dt.date(2026, 12, 2)  # Sat → Wed
    assert routeview.visit_day(dt.date(2026, 12, 3)) == dt.date(2026, 12, 3)  # a Thursday
    layout = render(app, page, worker=WORKER, self="1")
    view = RouteView.from_dict(layout[ids.ROUTES_VIEW].data)
    assert (view.date, view.budget, view.depart, view.self_view) == (DAY, 180, "14:00", True)
    assert layout[ids.ROUTES_WORKER_BOX].hidden is True


def test_no_worker_asks_for_one(app: dash.Dash, page: ModuleType) -> None:
    layout = render(app, page)
    assert layout[ids.ROUTES_WORKER].value is None
    out = draw(app, page, RouteView.from_dict(layout[ids.ROUTES_VIEW].data))
    assert t("route.page.pick_worker", "zh") in text_of(out[6])
    assert "gb-route-offstage" in out[1]


def test_the_route_is_drawn_and_listed(app: dash.Dash, page: ModuleType, street_store) -> None:
    view = RouteView(WORKER, DAY)
    figure, body, heading, summary, stops, dropped, notice, shown, reset_off = draw(app, page, view)
    route = rd.itinerary(street_store, WORKER, dt.date.fromisoformat(DAY))
    expected = [rs.stop.id for rs in route.stops]
    assert shown == expected and row_ids(stops) == expected
    assert arrivals(stops) == [rs.arrival.strftime("%H:%M") for rs in route.stops]
    assert notice is None and "offstage" not in body and reset_off is True
    assert heading == "仲斌 的巡访路线 · 2026年12月2日 星期三"
    traces = {trace.meta: trace for trace in figure.data}
    assert [c[0] for c in traces["stops"].customdata] == list(range(1, len(expected) + 1))
    assert list(traces["stops"].lon) == [rs.stop.place.lon for rs in route.stops]
    assert len(traces["path"].lon) == len(route.path) >= 2
    assert figure.layout.map.style == "white-bg"
    assert figure.layout.map.layers[0].type == "line"  # the worker's grid cell
    text = text_of(summary)
    assert t("route.page.summary.stops", "zh", count=len(expected)) in text
    assert f"预计 {route.back.strftime('%H:%M')} 返回服务大厅" in text
    assert t("route.page.dropped.none", "zh") in text_of(dropped) or route.dropped
    reason = reason_text(route.stops[0].stop, "zh")
    assert reason in text_of(stops)


def test_moving_a_stop_reorders_and_retimes(app: dash.Dash, page: ModuleType) -> None:
    view = RouteView(WORKER, DAY)
    before = parts(app, page, view)
    first, second = before.shown[:2]
    moved = page.moved_view(view, before.shown, first, routeview.DOWN)
    assert moved.stop_order() == [second, first, *before.shown[2:]]
    after = parts(app, page, moved)
    assert after.shown == moved.stop_order()
    assert arrivals(after.stops)[:2] != arrivals(before.stops)[:2]
    assert after.custom is True and after.outputs()[-1] is False  # "reset" is enabled
    assert t("route.page.summary.stops", "zh", count=len(before.shown)) in text_of(after.summary)
    # Up from the top and down from the bottom change nothing; reset gives the suggestion back
    assert page.moved_view(view, before.shown, first, routeview.UP) == view
    assert page.moved_view(view, before.shown, before.shown[-1], routeview.DOWN) == view
    assert parts(app, page, page.reset_view(moved)).shown == before.shown
    # The move is in the URL: the same view again from a copied link
    query = {k: v[0] for k, v in parse_qs(moved.query().lstrip("?")).items()}
    again = RouteView.from_dict(render(app, page, **query)[ids.ROUTES_VIEW].data)
    assert again == moved


def test_controls_change_the_view(page: ModuleType) -> None:
    view = RouteView(WORKER, DAY, order="C:1,C:2")
    same = page.controls_view(view, WORKER, DAY, 180, "14:00")
    assert same == view
    later = page.controls_view(view, WORKER, DAY, 180, "15:30")
    assert later.depart == "15:30" and later.order == "C:1,C:2"  # re-timed, same order
    other = page.controls_view(view, "P000061", DAY, 180, "14:00")
    assert other.worker == "P000061" and other.order is None
    typing = page.controls_view(view, WORKER, DAY, "", "1")  # half-typed input is ignored
    assert typing == view
    assert page.controls_view(view, WORKER, DAY, 700, None).budget == 180  # out of bounds


def test_budget_too_small_says_so(app: dash.Dash, page: ModuleType) -> None:
    for lang in ("zh", "en"):
        out = parts(app, page, RouteView(TIGHT, DAY, budget=30, lang=lang))
        assert out.shown is None and "offstage" in out.body_class
        message = out.notice.children
        assert message == t("route.problem.budget_too_small", lang, minutes=30, needed=34)


def test_unknown_worker_says_so(app: dash.Dash, page: ModuleType) -> None:
    layout = render(app, page, worker="P404", self="1", lang="en")
    assert layout[ids.ROUTES_WORKER_BOX].hidden is False  # a broken own link: pick instead
    out = draw(app, page, RouteView.from_dict(layout[ids.ROUTES_VIEW].data))
    assert out[6].children == t("route.problem.unknown_worker", "en", worker="P404")


@pytest.mark.parametrize(
    ("query", "names"),
    [
        ({"budget": "9999"}, ["9999", "30", "600"]),
        ({"budget": "1e3"}, ["1e3"]),
        ({"date": "2026-02-30"}, ["2026-02-30"]),
        ({"depart": "25:00"}, ["depart=25:00"]),
        ({"order": "<script>"}, ["order=<script>"]),
        ({"lang": "fr"}, ["lang=fr"]),
    ],
)
def test_bad_url_values_are_named(
    app: dash.Dash, page: ModuleType, query: dict[str, str], names: list[str]
) -> None:
    layout = render(app, page, worker=WORKER, **query)
    text = text_of(layout[ids.ROUTES_MESSAGE])
    assert all(name in text for name in names), text
    view = RouteView.from_dict(layout[ids.ROUTES_VIEW].data)
    assert view == RouteView(WORKER, DAY)  # every bad value fell back to its default
    assert parts(app, page, view).shown  # and the route is drawn


def test_an_order_of_stops_no_longer_due(app: dash.Dash, page: ModuleType) -> None:
    suggested = parts(app, page, RouteView(WORKER, DAY)).shown
    stale = parts(app, page, RouteView(WORKER, DAY, order="C:gone,B:gone"))
    assert stale.shown == suggested and stale.custom is False
    mixed = parts(app, page, RouteView(WORKER, DAY, order=f"C:gone,{suggested[1]}"))
    assert mixed.shown == [suggested[1]]
    assert t("route.page.stale_order", "zh", count=1) in text_of(mixed.summary)


def test_an_own_order_over_budget_is_flagged(app: dash.Dash, page: ModuleType) -> None:
    view = RouteView(WORKER, DAY, budget=60)
    planned = parts(app, page, view)
    with_dropped = parts(app, page, RouteView(WORKER, DAY))
    everything = ",".join(with_dropped.shown)
    over = parts(app, page, routeview.with_changes(view, order=everything))
    assert len(planned.shown) < len(with_dropped.shown)
    assert "超出时间预算" in text_of(over.summary)


def test_downloads(page: ModuleType, street_store_path: Path, tmp_path: Path) -> None:
    """Each route file, and an audit entry for each (on a writable copy of the demo)."""
    path = tmp_path / "street.gpkg"
    path.write_bytes(street_store_path.read_bytes())
    with open_store(path) as store:
        app = create_app(Settings.from_env({}), store)
        view = RouteView(WORKER, DAY, lang="en")
        shown = parts(app, page, view).shown
        order = [shown[1], shown[0], *shown[2:]]
        before = len(store.audit_entries())
        with signed_in(app):
            sheet = page.route_download("sheet", view, order)
            gpx = page.route_download("gpx", view, order)
            csv = page.route_download("csv", view, order)
            assert page.route_download("nonsense", view, order) is None
        logged = store.audit_entries()[before:]
    assert [(e.actor, e.action) for e in logged] == [("tester", "route_download")] * 3
    assert all(f"worker={WORKER}" in e.target for e in logged)
    assert sheet["filename"] == f"route-{WORKER}-{DAY}.html"
    assert "<html" in sheet["content"]
    assert not re.search(r"""<(script|link)[^>]+(src|href)=["']?https?://""", sheet["content"])
    assert gpx["filename"].endswith(".gpx") and "<gpx" in gpx["content"]
    assert csv["filename"].endswith(".csv") and csv["base64"] is True


def test_english_page_has_no_chinese_ui(app: dash.Dash, page: ModuleType, street_store) -> None:
    layout = render(app, page, worker=WORKER, date=DAY, lang="en")
    view = RouteView.from_dict(layout[ids.ROUTES_VIEW].data)
    out = parts(app, page, view)
    route = rd.itinerary(street_store, WORKER, dt.date.fromisoformat(DAY))
    names = {LANGUAGE_NAMES["zh"], route.worker_name, route.community_name}
    names |= {route.start.name, route.start.address}
    for stop in [*(rs.stop for rs in route.stops), *route.dropped]:
        names |= {stop.place.name, stop.place.address}
    names |= {w.community_name for w in rd.workers(street_store)}
    names |= {w.name for w in rd.workers(street_store)}
    texts = strings(layout) + strings([out.heading, out.summary, out.stops, out.dropped])
    hover = [trace.hovertemplate or "" for trace in out.figure.data]
    left = [s for s in texts + hover if contains_cjk(_without(s, names))]
    assert left == []


def _without(text: str, names: set[str]) -> str:
    for name in sorted(names, key=len, reverse=True):
        text = text.replace(name, "")
    return text


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_empty_store_says_how_to_get_data(empty_store_path: Path, lang: str) -> None:
    with open_store(empty_store_path, readonly=True) as store:
        app = create_app(Settings.from_env({}), store)
        page = importlib.import_module("dashboard.pages.routes")
        layout = render(app, page, lang=lang)
    texts = strings(layout[ids.ROUTES_MESSAGE])
    assert t("overview.empty.title", lang) in texts
    with pytest.raises(KeyError):
        layout[ids.ROUTES_MAP]


# --- the tiny city: a worker with no grid cells, one with cells holding nothing to visit -------
@pytest.mark.parametrize("lang", ["zh", "en"])
def test_route_problems_in_the_tiny_city(tiny_routes: Store, page: ModuleType, lang: str) -> None:
    app = create_app(Settings.from_env({}), tiny_routes)
    day = tc.AS_OF - dt.timedelta(days=3)
    no_cells = parts(app, page, RouteView("P7", tc.AS_OF.isoformat(), lang=lang))
    assert no_cells.notice.children == t("route.problem.no_cells", lang, name="孙丽")
    no_stops = parts(app, page, RouteView("P8", day.isoformat(), lang=lang))
    expected = t("route.problem.no_stops", lang, date=day.isoformat(), name="周强")
    assert no_stops.notice.children == expected
    for out in (no_cells, no_stops):
        assert out.shown is None and "offstage" in out.body_class


def test_stops_at_one_place_share_a_map_label(street_store: Store) -> None:
    route = rd.itinerary(street_store, WORKER, dt.date.fromisoformat(DAY))
    labels = routemap.stop_labels(route)
    shown = [label for label in labels if label]
    assert ",".join(shown).split(",") == [str(rs.number) for rs in route.stops]
    places = {(rs.stop.place.lon, rs.stop.place.lat) for rs in route.stops}
    assert len(shown) == len(places)
