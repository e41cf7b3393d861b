"""Visit routes page ("/routes", 巡访路线); a grid worker's own link is /routes?worker=ID&self=1."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from typing import Any, NamedTuple

import dash
import dash_mantine_components as dmc
import plotly.graph_objects as go
from dash import ALL, Input, Output, State, callback, dcc, html, no_update
from dash.development.base_component import Component

# Imported with this page, not in layout(): Dash registers @callbacks only at start-up.
from dashboard import context, ids, routetext
from dashboard.header import (
    address_and_links,
    empty_store_view,
    first_value,
    header,
    other_pages,
    page_title,
)
from dashboard.i18n import format_date, resolve_language, t
from dashboard.readers import map as map_reader
from dashboard.readers import routes as route_reader
from dashboard.readers.routes import RouteProblem, Worker
from dashboard.readers.source import Source
from dashboard.routelist import dropped_list, heading, stop_table, summary
from dashboard.routesheet import route_sheet_html
from layers import routemap, routeview
from layers.routeview import RouteView
from layers.view import Problem

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


def worker_label(worker: Worker) -> str:
    """A worker as the picker lists them: name · community."""
    return f"{worker.name} · {worker.community_name}"  # data names only: no words to translate


def worker_options(workers: Sequence[Worker]) -> list[dict[str, str]]:
    """The picker's choices: "name · community", by community then name."""
    ordered = sorted(workers, key=lambda w: (w.community_code, w.name, w.id))
    return [{"value": w.id, "label": worker_label(w)} for w in ordered]


def map_texts(lang: str) -> routemap.MapTexts:
    """The words the route map shows, in `lang`."""
    return routemap.MapTexts(
        hall=t("route.page.hall", lang),
        hall_badge=t("sheet.map.hall", lang),
        arrival=t("route.page.arrival_at", lang, time="{time}"),
    )


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


def render_route(view: RouteView, problems: Sequence[Problem] = ()) -> Parts:
    """The parts of the page for `view`: route reader → layers.routeview → components."""
    lang = view.lang
    if problems:  # a view the browser sent that could not be used
        return no_route(" ".join(t("view.problem", lang, **vars(p)) for p in problems))
    if not view.worker:
        return no_route(t("route.page.pick_worker", lang))
    src = context.source()
    view = dated(src, view)
    try:
        planned = route_reader.planned(src, view)
    except RouteProblem as problem:
        return no_route(problem.text(lang))
    route = planned.route
    basemap = None if map_reader.shift_for(src.settings) else map_reader.basemap(src.settings)
    figure = routemap.route_figure(
        route,
        map_texts(lang),
        route_reader.cell_shapes(src, view.worker),
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


def dated(src: Source, view: RouteView) -> RouteView:
    """The view with a date: its own, else the next visit day after the data's as-of day."""
    if routeview.parse_date(view.date):
        return view
    return routeview.with_changes(view, date=routeview.visit_day(map_reader.as_of(src)).isoformat())


def stop_ids(shown: object) -> list[str] | None:
    """The drawn order the browser sent, if it is a list of stop ids; else None."""
    if isinstance(shown, list) and all(isinstance(s, str) for s in shown):
        return shown
    return None


def route_download(kind: str | None, view: RouteView, shown: Sequence[str] | None) -> dict | None:
    """The file of the route drawn (`shown` order): route sheet HTML, GPX or CSV."""
    if kind not in ("sheet", "gpx", "csv") or not view.worker:
        return None
    src = context.source()
    view = dated(src, view)
    route = route_reader.planned(src, view, stop_ids(shown)).route
    name = f"route-{view.worker}-{view.date}"
    context.audit("route_download", f"{kind}: worker={view.worker} date={view.date}")
    if kind == "sheet":
        html_text = route_sheet_html(route, view.lang)
        return dcc.send_string(html_text, f"{name}.html", type="text/html")
    if kind == "gpx":
        gpx = routetext.gpx_text(route, view.lang)
        return dcc.send_string(gpx, f"{name}.gpx", type="application/gpx+xml")
    data = routetext.csv_bytes(route, view.lang)
    return dcc.send_bytes(data, f"{name}.csv", type="text/csv")


# --- callbacks ---------------------------------------------------------------------------------
# What draw_route fills, in the order of Parts.outputs().
DRAWN = (
    (ids.ROUTES_MAP, "figure"),
    (ids.ROUTES_BODY, "className"),
    (ids.ROUTES_HEADING, "children"),
    (ids.ROUTES_SUMMARY, "children"),
    (ids.ROUTES_LIST, "children"),
    (ids.ROUTES_DROPPED, "children"),
    (ids.ROUTES_NOTICE, "children"),
    (ids.ROUTES_SHOWN, "data"),
    (ids.ROUTES_RESET, "disabled"),
)


@callback(*[Output(id_, prop) for id_, prop in DRAWN], Input(ids.ROUTES_VIEW, "data"))
def draw_route(view: dict) -> tuple[Any, ...]:
    """VIEW → map, heading, summary, list of stops, dropped stops, or why there is no route."""
    return render_route(*RouteView.checked(view)).outputs()


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
    new = RouteView.checked(
        controls_view(current, worker, date, budget, depart).as_dict(), current
    )[0]
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
    if not isinstance(button, Mapping) or not dash.ctx.triggered[0].get("value"):
        return no_update
    stop, direction = button.get("stop"), button.get("dir")
    if not isinstance(stop, str) or not isinstance(direction, str):
        return no_update
    current = RouteView.from_dict(view)
    new = moved_view(current, stop_ids(shown) or [], stop, direction)
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
        data = route_download(DOWNLOADS.get(str(dash.ctx.triggered_id)), state, stop_ids(shown))
    except (RouteProblem, OSError) as error:
        message = error.text(state.lang) if isinstance(error, RouteProblem) else str(error)
        return no_update, t("route.page.download.failed", state.lang, error=message)
    return (data, None) if data else (no_update, no_update)


# The stop numbers over the map, in the browser: MapLibre would fetch fonts for map text.
dash.clientside_callback(
    dash.ClientsideFunction(namespace="gridboard_routes", function_name="numbers"),
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
    A grid worker signed in opens straight on their own route (next visit day) with the
    worker picker hidden, as `/routes?worker=ID&self=1` does; others see only the workers
    whose every cell lies in their scope.
    """
    src = context.source()
    flat = {key: first_value(value) for key, value in query.items()}
    lang = resolve_language(flat.get("lang"), src.settings.language)
    if not map_reader.streets(src):
        return empty_store_view(lang, query, PATH, ids.ROUTES_MESSAGE)
    as_of = map_reader.as_of(src)
    view, problems = routeview.parse_route_query(flat, as_of, src.settings.language)
    view = routeview.with_changes(view, lang=lang)  # "EN" is English too
    own = sorted(src.principal.own_workers) if src.principal else []
    if view.worker is None and own:  # a grid worker opens on their own round
        view = routeview.with_changes(view, worker=own[0], self_view=True)
    rest = {k: v for k, v in query.items() if k != "lang"}
    return route_page(view, problems, route_reader.visible_workers(src), as_of, rest)
