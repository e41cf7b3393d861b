"""Visit routes page ("/routes", 巡访路线); a grid worker's own link is /routes?worker=ID&self=1."""

from __future__ import annotations

import datetime as dt
import shlex
from collections.abc import Mapping, Sequence
from typing import Any, NamedTuple

import dash
import dash_mantine_components as dmc
import plotly.graph_objects as go
from dash import ALL, Input, Output, State, callback, dcc, html, no_update
from dash.development.base_component import Component

# Imported with this page, not in layout(): Dash registers @callbacks only at start-up.
from dashboard import context, ids, mapdata, routedata
from dashboard.header import (
    DEMO_COMMAND,
    address_and_links,
    empty_store_view,
    first_value,
    header,
    other_pages,
    page_title,
)
from dashboard.i18n import format_date, format_number, resolve_language, t
from dashboard.routedata import RouteProblem, Worker
from dashboard.routesheet import route_sheet_html
from geodata.model import Level
from geodata.store import Store
from layers import geojson, routeview
from layers.itinerary import CandidateStop, Itinerary, Network, clock
from layers.routeview import DOWN, UP, Planned, RouteView, Row
from layers.view import Problem, data_as_of

PATH = "/routes"
DOWNLOADS = {
    ids.ROUTES_SHEET_BUTTON: "sheet",
    ids.ROUTES_GPX_BUTTON: "gpx",
    ids.ROUTES_CSV_BUTTON: "csv",
}
WORKER_OPTIONS_LIMIT = 200  # the searchable picker lists this many matches at most
HIDDEN = "gb-route-offstage"  # keeps the map its real size while nothing is shown

dash.register_page(__name__, path=PATH, name="routes", order=2, title=page_title())


# --- view state: controls and buttons → RouteView --------------------------------------------
def controls_view(
    view: RouteView,
    worker: str | None,
    date: str | None,
    budget: Any,
    depart: str | None,
) -> RouteView:
    """The view the controls show; unusable input (half-typed) keeps the current value.

    A new worker, date or budget asks for a new suggestion: the user's order is dropped.
    """
    day = routeview.parse_date(date)
    minutes = routeview.parse_budget(budget)
    clock = routeview.parse_clock(depart)
    new = routeview.with_changes(
        view,
        worker=worker or view.worker,
        date=day.isoformat() if day else view.date,
        budget=minutes if minutes is not None else view.budget,
        depart=routeview.clock_text(clock) if clock else view.depart,
    )
    if (new.worker, new.date, new.budget) != (view.worker, view.date, view.budget):
        new = routeview.with_changes(new, order=None)
    return new


def moved_view(view: RouteView, shown: Sequence[str], stop_id: str, direction: str) -> RouteView:
    """The view after moving `stop_id` up or down in the drawn order `shown`."""
    order = routeview.moved(shown, stop_id, direction)
    if order == list(shown):
        return view
    return routeview.with_changes(view, order=routeview.order_text(order))


def reset_view(view: RouteView) -> RouteView:
    """The view with the suggested order again."""
    return routeview.with_changes(view, order=None)


# --- data: store → itinerary -------------------------------------------------------------------
def plan(store: Store, view: RouteView, order: Sequence[str] | None = None) -> Planned:
    """The view's route: in `order` (default: the view's own), else the suggested one.

    Raises RouteProblem when no route can be planned. An order none of whose stops is due
    any more gives the suggested route.
    """
    wanted = view.stop_order() if order is None else list(order)

    def route_in(ids_: Sequence[str] | None) -> Itinerary:
        return routedata.itinerary(
            store,
            str(view.worker),
            view.day(),
            float(view.budget),
            order=ids_,
            departure=view.departure(),
        )

    if wanted is None:
        return Planned(route_in(None))
    route = route_in(wanted)
    stale = tuple(routeview.unknown_ids(route, wanted))
    if len(stale) == len(wanted):
        return Planned(route_in(None), stale)
    return Planned(route, stale)


def workers(store: Store) -> list[Worker]:
    """Every grid worker, through the cache (keyed by the data's revision)."""
    return mapdata.memo(
        context.cache(), "route-workers", [store.revision()], lambda: routedata.workers(store)
    )


def cell_shapes(store: Store, worker_id: str) -> dict | None:
    """The worker's grid cells as a FeatureCollection (None if they have none)."""
    try:
        who = routedata.worker(store, worker_id)
    except RouteProblem:
        return None
    if not who.grid_codes:
        return None

    def compute() -> dict:
        cells = store.areas(Level.GRID, parent=who.community_code)
        cells = cells[cells["code"].isin(who.grid_codes)]
        return geojson.feature_collection(cells, "grid")

    parts = [worker_id, ",".join(who.grid_codes), store.revision()]
    return mapdata.memo(context.cache(), "route-cells", parts, compute)


# --- texts ---------------------------------------------------------------------------------
def problem_text(problem: Problem, lang: str, as_of: dt.date) -> str:
    """One plain sentence about a query parameter that could not be used."""
    if problem.reason == "bad_budget":
        return t(
            "route.url.bad_budget",
            lang,
            value=problem.value,
            low=routeview.MIN_BUDGET,
            high=routeview.MAX_BUDGET,
            default=routeview.DEFAULT_BUDGET,
        )
    if problem.reason == "bad_date":
        default = format_date(routeview.visit_day(as_of), lang)
        return t("route.url.bad_date", lang, value=problem.value, default=default)
    return t("route.url.bad_value", lang, param=problem.param, value=problem.value)


def weekday_text(day: dt.date, lang: str) -> str:
    """The weekday of `day` in `lang` (星期三, Wednesday)."""
    return t(f"sheet.weekday.{day.weekday()}", lang)


def worker_label(worker: Worker) -> str:
    """A worker as the picker lists them: name · community."""
    return f"{worker.name} · {worker.community_name}"  # data names only: no words to translate


def worker_options(workers: Sequence[Worker]) -> list[dict[str, str]]:
    """The picker's choices: "name · community", by community then name."""
    ordered = sorted(workers, key=lambda w: (w.community_code, w.name, w.id))
    return [{"value": w.id, "label": worker_label(w)} for w in ordered]


def map_texts(lang: str) -> routeview.MapTexts:
    """The words the route map shows, in `lang`."""
    return routeview.MapTexts(
        hall=t("route.page.hall", lang),
        hall_badge=t("sheet.map.hall", lang),
        arrival=t("route.page.arrival_at", lang, time="{time}"),
    )


# --- components: itinerary → list, summary, dropped --------------------------------------------
def heading(route: Itinerary, lang: str) -> str:
    """The route's heading: worker, community, date and weekday."""
    day = route.date
    return t(
        "route.page.heading",
        lang,
        name=route.worker_name,
        date=format_date(day, lang),
        weekday=weekday_text(day, lang),
    )


def summary(planned: Planned, view: RouteView) -> list[Component]:
    """Stops, walking, time against the budget, back at the hall; notes on the user's order."""
    route, lang = planned.route, view.lang
    facts = [
        t("route.page.summary.stops", lang, count=len(route.stops)),
        t(
            "route.page.summary.walk",
            lang,
            distance=routedata.distance_text(route.walk_m, lang),
            minutes=routedata.minutes_text(route.walk_min, lang),
        ),
        t(
            "route.page.summary.total",
            lang,
            total=routedata.minutes_text(route.total_min, lang),
            budget=routedata.minutes_text(route.budget_min, lang),
        ),
        t("route.page.summary.back", lang, time=clock(route.back)),
    ]
    parts: list[Component] = [
        html.Ul([html.Li(fact) for fact in facts], className="gb-route-facts")
    ]
    notes = summary_notes(planned, view)
    if notes:
        parts.append(dmc.Alert([dmc.Text(note) for note in notes], color="yellow"))
    return parts


def summary_notes(planned: Planned, view: RouteView) -> list[str]:
    """What the reader should know about this route beyond its figures."""
    route, lang = planned.route, view.lang
    notes = []
    if planned.stale:
        notes.append(t("route.page.stale_order", lang, count=len(planned.stale)))
    if routeview.over_budget(route):
        over = routedata.minutes_text(route.total_min - route.budget_min, lang)
        notes.append(
            t(
                "route.page.over_budget",
                lang,
                total=routedata.minutes_text(route.total_min, lang),
                over=over,
            )
        )
    if route.network is Network.STRAIGHT_LINE:
        notes.append(t("route.page.straight_line", lang))
    return notes


def _move_button(row: Row, direction: str, lang: str) -> Component:
    label = t(f"route.page.move_{direction}", lang, name=row.name)
    disabled = row.first if direction == UP else row.last
    return html.Button(
        "↑" if direction == UP else "↓",
        id=ids.route_move(row.id, direction),
        className=f"gb-route-move gb-route-move-{direction}",
        title=label,
        disabled=disabled,
        n_clicks=0,
        **{"aria-label": label},
    )


def stop_row(row: Row, stop: CandidateStop, lang: str) -> Component:
    """One stop: number, arrival, place and address, reason, walk from before, move buttons."""
    walk = t("route.page.walk_min", lang, minutes=format_number(row.walk_min, lang))
    return html.Tr(
        [
            html.Td(html.Span(str(row.number), className="gb-route-num-badge")),
            html.Td(row.arrival, className="gb-route-arrival"),
            html.Td(
                [
                    html.Div(row.name, className="gb-route-place"),
                    html.Div(row.address, className="gb-route-address"),
                ]
            ),
            html.Td(routedata.reason_text(stop, lang), className="gb-route-reason"),
            html.Td(
                [
                    walk,
                    html.Div(
                        routedata.distance_text(row.walk_m, lang), className="gb-route-address"
                    ),
                ],
                className="gb-route-walk",
            ),
            html.Td(
                [_move_button(row, UP, lang), _move_button(row, DOWN, lang)],
                className="gb-route-moves",
            ),
        ],
        className="gb-route-row",
        **{"data-stop": row.id, "data-number": str(row.number)},
    )


def hall_row(route: Itinerary, when: dt.datetime, key: str, lang: str) -> Component:
    """The service hall as a row of the stop list (leaving from it, or back at it)."""
    hall = route.start
    return html.Tr(
        [
            html.Td(html.Span(t("route.page.hall", lang), className="gb-route-hall-badge")),
            html.Td(clock(when), className="gb-route-arrival"),
            html.Td(
                [
                    html.Div(hall.name, className="gb-route-place"),
                    html.Div(hall.address, className="gb-route-address"),
                ]
            ),
            html.Td(t(key, lang), colSpan=3),
        ],
        className="gb-route-hall-row",
    )


def stop_table(route: Itinerary, lang: str) -> Component:
    """The stops in visiting order between leaving and coming back to the service hall."""
    heads = ("number", "arrival", "place", "reason", "walk", "move")
    by_id = {rs.stop.id: rs.stop for rs in route.stops}
    body = [
        hall_row(route, route.departure, "route.page.leave_hall", lang),
        *(stop_row(row, by_id[row.id], lang) for row in routeview.rows(route)),
        hall_row(route, route.back, "route.page.back_hall", lang),
    ]
    return html.Table(
        [
            html.Thead(html.Tr([html.Th(t(f"route.page.col.{h}", lang)) for h in heads])),
            html.Tbody(body),
        ],
        className="gb-route-table",
    )


def dropped_list(route: Itinerary, lang: str) -> list[Component]:
    """The stops that did not fit, lowest priority first, with why they were wanted."""
    if not route.dropped:
        return [dmc.Text(t("route.page.dropped.none", lang), className="gb-note")]
    items = [
        html.Li(
            [
                html.Span(stop.place.name, className="gb-route-place"),
                html.Span(f" · {stop.place.address}", className="gb-route-address"),
                html.Div(routedata.reason_text(stop, lang), className="gb-route-reason"),
            ],
            **{"data-stop": stop.id},
        )
        for stop in route.dropped
    ]
    title = t("route.page.dropped.title", lang, count=len(route.dropped))
    return [dmc.Title(title, order=3), html.Ul(items, className="gb-route-dropped-list")]


# --- the route: view → parts of the page ------------------------------------------------------
class Parts(NamedTuple):
    """What draw_route sends to the page."""

    figure: Any
    body_class: str
    heading: str
    summary: Any
    stops: Any
    dropped: Any
    notice: Any
    shown: list[str] | None
    custom: bool  # the user's own order is shown: "reset" makes sense

    def outputs(self) -> tuple[Any, ...]:
        return (
            self.figure,
            self.body_class,
            self.heading,
            self.summary,
            self.stops,
            self.dropped,
            self.notice,
            self.shown,
            not self.custom,
        )


def no_route(message: str) -> Parts:
    """The page when there is no route to show: the message instead of the map."""
    notice = dmc.Alert(message, color="blue", className="gb-route-problem")
    return Parts(go.Figure(), f"gb-route-body {HIDDEN}", "", [], [], [], notice, None, False)


def render_route(view: RouteView) -> Parts:
    """The parts of the page for `view`: store → routedata → layers.routeview → components."""
    lang = view.lang
    if not view.worker:
        return no_route(t("route.page.pick_worker", lang))
    store, settings = context.store(), context.settings()
    try:
        planned = plan(store, view)
    except RouteProblem as problem:
        return no_route(problem.text(lang))
    route = planned.route
    basemap = None if mapdata.shift_for(settings) else mapdata.basemap(settings)
    figure = routeview.route_figure(
        route,
        map_texts(lang),
        cell_shapes(store, view.worker),
        basemap,
        revision=f"{view.worker}|{view.date}|{view.budget}",
    )
    own = view.stop_order()
    custom = own is not None and len(planned.stale) < len(own)  # else the suggestion is shown
    return Parts(
        figure=figure,
        body_class="gb-route-body",
        heading=heading(route, lang),
        summary=summary(planned, view),
        stops=stop_table(route, lang),
        dropped=dropped_list(route, lang),
        notice=None,
        shown=[rs.stop.id for rs in route.stops],
        custom=custom,
    )


def route_download(kind: str | None, view: RouteView, shown: Sequence[str] | None) -> dict | None:
    """The file of the route drawn (`shown` order): route sheet HTML, GPX or CSV."""
    if kind not in ("sheet", "gpx", "csv") or not view.worker:
        return None
    route = plan(context.store(), view, shown).route
    name = f"route-{view.worker}-{view.date}"
    if kind == "sheet":
        html_text = route_sheet_html(route, view.lang)
        return dcc.send_string(html_text, f"{name}.html", type="text/html")
    if kind == "gpx":
        gpx = routedata.gpx_text(route, view.lang)
        return dcc.send_string(gpx, f"{name}.gpx", type="application/gpx+xml")
    data = routedata.csv_bytes(route, view.lang)
    return dcc.send_bytes(data, f"{name}.csv", type="text/csv")


# --- callbacks ---------------------------------------------------------------------------------
@callback(
    Output(ids.ROUTES_MAP, "figure"),
    Output(ids.ROUTES_BODY, "className"),
    Output(ids.ROUTES_HEADING, "children"),
    Output(ids.ROUTES_SUMMARY, "children"),
    Output(ids.ROUTES_LIST, "children"),
    Output(ids.ROUTES_DROPPED, "children"),
    Output(ids.ROUTES_NOTICE, "children"),
    Output(ids.ROUTES_SHOWN, "data"),
    Output(ids.ROUTES_RESET, "disabled"),
    Input(ids.ROUTES_VIEW, "data"),
)
def draw_route(view: dict) -> tuple[Any, ...]:
    """VIEW → map, heading, summary, list of stops, dropped stops, or why there is no route."""
    return render_route(RouteView.from_dict(view)).outputs()


@callback(
    Output(ids.ROUTES_VIEW, "data"),
    Input(ids.ROUTES_WORKER, "value"),
    Input(ids.ROUTES_DATE, "value"),
    Input(ids.ROUTES_BUDGET, "value"),
    Input(ids.ROUTES_DEPART, "value"),
    State(ids.ROUTES_VIEW, "data"),
    prevent_initial_call=True,
)
def view_from_controls(
    worker: str | None, date: str | None, budget: Any, depart: str | None, view: dict
) -> dict:
    """Controls → VIEW."""
    current = RouteView.from_dict(view)
    new = controls_view(current, worker, date, budget, depart)
    return new.as_dict() if new != current else no_update


@callback(
    Output(ids.ROUTES_VIEW, "data", allow_duplicate=True),
    Input(ids.route_move(ALL, ALL), "n_clicks"),
    State(ids.ROUTES_SHOWN, "data"),
    State(ids.ROUTES_VIEW, "data"),
    prevent_initial_call=True,
)
def view_from_move(clicks: list[int | None], shown: list[str] | None, view: dict) -> dict:
    """An up/down button → VIEW.order (the route is re-timed in that order)."""
    button = dash.ctx.triggered_id
    if not button or not any(clicks or ()) or not dash.ctx.triggered[0].get("value"):
        return no_update
    current = RouteView.from_dict(view)
    new = moved_view(current, shown or [], button["stop"], button["dir"])
    return new.as_dict() if new != current else no_update


@callback(
    Output(ids.ROUTES_VIEW, "data", allow_duplicate=True),
    Input(ids.ROUTES_RESET, "n_clicks"),
    State(ids.ROUTES_VIEW, "data"),
    prevent_initial_call=True,
)
def view_from_reset(clicks: int | None, view: dict) -> dict:
    """ "Back to the suggested order" → VIEW without an order."""
    current = RouteView.from_dict(view)
    return reset_view(current).as_dict() if clicks and current.order is not None else no_update


@callback(
    Output(ids.ROUTES_URL, "search"),
    Output(ids.LANG_SWITCH, "children", allow_duplicate=True),
    Input(ids.ROUTES_VIEW, "data"),
    prevent_initial_call=True,
)
def url_from_view(view: dict) -> tuple[str, list]:
    """VIEW → the address bar (no reload) and language links that keep the view."""
    state = RouteView.from_dict(view)
    return address_and_links(state.query(context.settings().language), state.lang, PATH)


@callback(
    Output(ids.ROUTES_DOWNLOAD, "data"),
    Output(ids.ROUTES_DOWNLOAD_NOTE, "children"),
    Input(ids.ROUTES_SHEET_BUTTON, "n_clicks"),
    Input(ids.ROUTES_GPX_BUTTON, "n_clicks"),
    Input(ids.ROUTES_CSV_BUTTON, "n_clicks"),
    State(ids.ROUTES_VIEW, "data"),
    State(ids.ROUTES_SHOWN, "data"),
    prevent_initial_call=True,
)
def download(
    sheet: int | None, gpx: int | None, csv: int | None, view: dict, shown: list[str] | None
) -> tuple[Any, Any]:
    """A download button → the drawn route as a route sheet, GPX or CSV file."""
    state = RouteView.from_dict(view)
    try:
        data = route_download(DOWNLOADS.get(str(dash.ctx.triggered_id)), state, shown)
    except (RouteProblem, OSError) as error:
        message = error.text(state.lang) if isinstance(error, RouteProblem) else str(error)
        return no_update, t("route.page.download.failed", state.lang, error=message)
    return (data, None) if data else (no_update, no_update)


# The stop numbers over the map, in the browser: MapLibre would fetch fonts for map text.
dash.clientside_callback(
    """
    function (figure, boxId) {
        function labelsOf(gd) {
            const labels = [];
            (gd._fullData || []).filter((tr) => tr.meta === "hall" || tr.meta === "stops")
                .forEach((tr) => (tr.customdata || []).forEach((c, i) => {
                    const text = String(c[c.length - 1] || "");
                    if (text) { labels.push([text, tr.lon[i], tr.lat[i], tr.meta]); }
                }));
            return labels;
        }
        function attach(tries) {
            const box = document.getElementById(boxId);
            const gd = box && box.querySelector(".js-plotly-plot");
            const sub = gd && gd._fullLayout && gd._fullLayout.map && gd._fullLayout.map._subplot;
            const map = sub && sub.map;
            if (!map) {
                if (tries > 0) { setTimeout(() => attach(tries - 1), 100); }
                return;
            }
            if (!map._gbNumbers) {
                const layer = document.createElement("div");
                layer.className = "gb-route-numbers";
                map.getContainer().appendChild(layer);
                map._gbNumbers = () => {
                    const stops = labelsOf(gd);
                    const key = JSON.stringify(stops);
                    if (layer.dataset.key !== key) {
                        layer.replaceChildren(...stops.map((s) => {
                            const label = document.createElement("span");
                            label.className = s[3] === "hall" ? "gb-route-hall-label"
                                : "gb-route-num";
                            label.textContent = String(s[0]);
                            return label;
                        }));
                        layer.dataset.key = key;
                    }
                    const placed = [];  // labels that would overlap move aside, rightwards
                    stops.forEach((s, i) => {
                        const p = map.project([s[1], s[2]]);
                        const el = layer.children[i];
                        const width = Math.max(el.offsetWidth, 22);
                        let x = p.x;
                        while (placed.some((q) => Math.abs(q[1] - p.y) < 20
                                && x < q[0] + q[2] / 2 + width / 2 + 2
                                && x > q[0] - q[2] / 2 - width / 2 - 2)) {
                            x += 4;
                        }
                        placed.push([x, p.y, width]);
                        el.style.transform = `translate(${x}px, ${p.y}px) translate(-50%, -50%)`;
                    });
                };
                map.on("render", map._gbNumbers);
            }
            map._gbNumbers();
        }
        attach(100);
        return window.dash_clientside.no_update;
    }
    """,
    Output(ids.ROUTES_LABELS, "data"),
    Input(ids.ROUTES_MAP, "figure"),
    State(ids.ROUTES_MAP, "id"),
)


# --- layout ------------------------------------------------------------------------------------
def controls(view: RouteView, workers: Sequence[Worker]) -> Component:
    """Worker (hidden on a worker's own link), date, time budget and departure."""
    lang = view.lang
    known = {w.id for w in workers}
    hide_picker = view.self_view and view.worker in known
    return html.Div(
        [
            html.Div(
                dmc.Select(
                    id=ids.ROUTES_WORKER,
                    label=t("route.page.worker", lang),
                    placeholder=t("route.page.worker_placeholder", lang),
                    data=worker_options(workers),
                    value=view.worker if view.worker in known else None,
                    searchable=True,
                    allowDeselect=False,
                    limit=WORKER_OPTIONS_LIMIT,
                    nothingFoundMessage="—",
                    w=280,
                ),
                id=ids.ROUTES_WORKER_BOX,
                hidden=hide_picker,
            ),
            dmc.DatePickerInput(
                id=ids.ROUTES_DATE,
                label=t("route.page.date", lang),
                value=view.date,
                valueFormat="YYYY-MM-DD",
                monthLabelFormat="YYYY-MM",
                w=160,
            ),
            dmc.NumberInput(
                id=ids.ROUTES_BUDGET,
                label=t("route.page.budget", lang),
                value=view.budget,
                min=routeview.MIN_BUDGET,
                max=routeview.MAX_BUDGET,
                step=routeview.BUDGET_STEP,
                allowDecimal=False,
                allowNegative=False,
                debounce=500,
                w=170,
            ),
            dmc.TimeInput(
                id=ids.ROUTES_DEPART,
                label=t("route.page.depart", lang),
                value=view.depart,
                debounce=500,
                w=130,
            ),
        ],
        id=ids.ROUTES_CONTROLS,
        className="gb-controls",
    )


def actions(lang: str) -> Component:
    """Reset the order; download the route sheet, GPX and CSV."""
    buttons = [
        dmc.Button(t(f"route.page.download.{kind}", lang), id=button, variant="light")
        for button, kind in DOWNLOADS.items()
    ]
    return dmc.Group(
        [
            dmc.Button(
                t("route.page.reset", lang), id=ids.ROUTES_RESET, variant="default", disabled=True
            ),
            *buttons,
            html.Div(id=ids.ROUTES_DOWNLOAD_NOTE, role="status"),
            dcc.Download(id=ids.ROUTES_DOWNLOAD),
        ],
        className="gb-route-actions",
        gap="sm",
    )


def problems_alert(problems: Sequence[Problem], lang: str, as_of: dt.date) -> Component | None:
    """The query parameters that could not be used, each in a plain sentence; None if a
    ll were fine."""
    if not problems:
        return None
    return dmc.Alert([dmc.Text(problem_text(p, lang, as_of)) for p in problems], color="yellow")


def route_page(
    view: RouteView,
    problems: Sequence[Problem],
    workers: Sequence[Worker],
    as_of: dt.date,
    query: Mapping[str, Any],
) -> Component:
    """The page for a store holding data; the route itself comes from draw_route."""
    lang = view.lang
    return html.Main(
        [
            header(lang, query, PATH, other_pages(PATH, lang)),
            dmc.Title(t("route.title", lang), order=2, className="gb-route-title"),
            html.Div(
                [problems_alert(problems, lang, as_of), html.Div(id=ids.ROUTES_NOTICE)],
                id=ids.ROUTES_MESSAGE,
                role="status",
            ),
            controls(view, workers),
            html.Div(
                [
                    dmc.Title(id=ids.ROUTES_HEADING, order=3),
                    html.Div(
                        [
                            html.Div(
                                dcc.Graph(
                                    id=ids.ROUTES_MAP,
                                    className="gb-route-map",
                                    config={"displaylogo": False, "scrollZoom": True},
                                ),
                                className="gb-route-map-box",
                                role="region",
                                **{"aria-label": t("route.page.map_label", lang)},
                            ),
                            html.Div(id=ids.ROUTES_SUMMARY, className="gb-route-summary"),
                        ],
                        className="gb-route-top",
                    ),
                    actions(lang),
                    html.Div(id=ids.ROUTES_LIST),
                    html.Div(id=ids.ROUTES_DROPPED, className="gb-route-dropped"),
                ],
                id=ids.ROUTES_BODY,
                className=f"gb-route-body {HIDDEN}",
            ),
            dcc.Location(id=ids.ROUTES_URL, refresh=False),
            dcc.Store(id=ids.ROUTES_VIEW, data=view.as_dict()),
            dcc.Store(id=ids.ROUTES_SHOWN),
            dcc.Store(id=ids.ROUTES_LABELS),
        ],
        className="gb-page gb-page-wide gb-routes",
    )


def layout(**query: Any) -> Component:
    """The page for `?worker=ID&date=YYYY-MM-DD&budget=MIN&depart=HH:MM&order=…&lang=…&self=1`.

    worker: a grid worker's person ID; date: default the first Wednesday or Thursday on or
    after the data's as-of date; budget: minutes, 30–600 (default 180); depart: leaving the
    service hall, default 14:00; order: the user's own order of stop ids, comma-separated.
    There is no login yet: a grid worker's own link is `/routes?worker=ID&self=1`, which
    opens straight on their route (next visit day) with the worker picker hidden.
    """
    settings = context.settings()
    store = context.store()
    flat = {key: first_value(value) for key, value in query.items()}
    lang = resolve_language(flat.get("lang"), settings.language)
    if not mapdata.streets(store, context.cache()):
        command = DEMO_COMMAND.format(path=shlex.quote(str(settings.data)))
        return empty_store_view(lang, query, PATH, command, ids.ROUTES_MESSAGE)
    as_of = data_as_of(store.meta())
    view, problems = routeview.parse_route_query(flat, as_of, settings.language)
    view = routeview.with_changes(view, lang=lang)  # "EN" is English too
    rest = {k: v for k, v in query.items() if k != "lang"}
    return route_page(view, problems, workers(store), as_of, rest)
