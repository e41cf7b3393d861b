"""Supervisor map page ("/"): areas coloured by a metric, the view kept in the URL."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from typing import Any

import dash
import dash_mantine_components as dmc
from dash import Input, Output, Patch, State, callback, dcc, html, no_update
from dash.development.base_component import Component

# Imported with this page, not in layout(): Dash registers @callbacks only at start-up.
from dashboard import context, ids, panel
from dashboard.header import (
    address_and_links,
    empty_store_view,
    first_value,
    header,
    other_pages,
    page_title,
)
from dashboard.i18n import (
    category_name,
    export_words,
    format_date,
    format_number,
    problem_name,
    resolve_language,
    t,
)
from dashboard.mappaint import map_texts, paint_message, paint_texts
from dashboard.readers import export as export_reader
from dashboard.readers import map as map_reader
from dashboard.readers.source import Source
from geodata.model import CATEGORIES
from layers import classify, export, mapfig
from layers.view import (
    BAD_VIEW,
    CITY,
    COLOURED,
    LAYERS,
    PRESET_WINDOWS,
    PROBLEMS,
    Problem,
    ViewState,
    clicked_area,
    layers_text,
    parse_view,
    window_of,
)

PATH = "/"
RANGE = "range"  # the window choice "a date range"
CASE_METRICS = frozenset({"open_cases", "overdue_cases", "cases_per_1000"})
PROBLEM_SWATCH = {
    "background": "rgba(215, 25, 28, 0.2)",
    "border": f"2px solid {mapfig.PROBLEM_COLOUR}",
}
# The problems legend sits at the map's top right (the metric legend is at the bottom left).
PROBLEMS_KEY_STYLE = {"left": "auto", "bottom": "auto", "right": "0.75rem", "top": "0.75rem"}

dash.register_page(__name__, path=PATH, name="map", order=0, title=page_title())


# --- view state: controls and clicks → ViewState ----------------------------------------------
def controls_view(
    view: ViewState,
    street: str | None,
    metric: str | None,
    window_choice: str | None,
    dates: Sequence[str | None] | None,
    category: str | None,
    layers: Sequence[str] | None,
) -> ViewState:
    """The view the controls show; a new street drops the selected area."""
    window = view.window
    if isinstance(window_choice, str) and window_choice in PRESET_WINDOWS:
        window = window_choice
    elif window_choice == RANGE and isinstance(dates, list) and len(dates) == 2 and all(dates):
        first, last = sorted(str(d)[:10] for d in dates)
        window = f"{first}..{last}"
    street = street or CITY
    wanted = {
        "street": street,
        "metric": metric or view.metric,
        "window": window,
        "category": category or None,
        "area": view.area if street == view.street else None,
        "lang": view.lang,
        "layers": layers_text(layers),
    }
    return ViewState.checked(wanted, view)[0]  # what the controls cannot mean keeps its value


def clicked_view(view: ViewState, click: Mapping[str, Any] | None) -> ViewState:
    """The view after a click: the area clicked is selected; clicked again, it is deselected."""
    code = clicked_area(click)
    if code is None:
        return view
    return ViewState.from_dict({**view.as_dict(), "area": None if code == view.area else code})


# --- texts: view → words of the page ---------------------------------------------------------
def problem_text(problem: Problem, lang: str) -> str:
    """One plain sentence about a query parameter (or a view field) that could not be used."""
    if problem.reason == BAD_VIEW:
        return t("view.problem", lang, param=problem.param, value=problem.value)
    if problem.reason == "unknown_street":
        return t("map.problem.unknown_street", lang, value=problem.value)
    return t("map.problem.bad_value", lang, param=problem.param, value=problem.value)


def problem_texts(spots: mapfig.ProblemSpots | None, lang: str) -> list[str]:
    """The hover text of each problem spot: what the problem is, where, and how big."""
    texts = []
    for mark in spots.marks if spots else ():
        parts = [mark.area] if mark.area else []
        if mark.size_m2 is not None:
            parts.append(t("problems.size", lang, size=format_number(mark.size_m2, lang, 1)))
        kind = problem_name(mark.kind, lang)
        area = " · ".join(parts)
        texts.append(t("problems.hover", lang, kind=kind, area=area) if area else kind)
    return texts


def problems_key_children(spots: mapfig.ProblemSpots | None, view: ViewState) -> list[Component]:
    """The problems layer's legend (kinds and counts) while the layer is shown, else nothing."""
    if spots is None or PROBLEMS not in view.shown():
        return []
    lang = view.lang
    rows = [
        html.Li(
            [
                html.Span(className="gb-swatch", style=PROBLEM_SWATCH),
                html.Span(problem_name(kind, lang)),
                html.Span(t("problems.count", lang, count=count), className="gb-muted"),
            ]
        )
        for kind, count in spots.kinds
    ]
    return [html.Div(t("problems.title", lang), className="gb-legend-title"), html.Ul(rows)]


def place_name(street: str, names: Mapping[str, str], lang: str) -> str:
    """The street's name, or "the whole city"."""
    return names.get(street) or t("map.city", lang)


def notice(
    view: ViewState, place: str, counts: tuple[int, int, int], period: tuple[dt.date, dt.date]
) -> str | None:
    """What the map cannot show, in plain words: no layers, no areas, nothing counted."""
    areas, cases, visits = counts
    lang = view.lang
    span = {"start": format_date(period[0], lang), "end": format_date(period[1], lang)}
    if not view.shown():
        return t("map.notice.no_layers", lang)
    if not areas and any(layer in COLOURED for layer in view.shown()):
        return t("map.notice.no_areas", lang, place=place)
    if areas and view.metric in CASE_METRICS and not cases:
        return t("map.notice.no_cases", lang, place=place, **span)
    if areas and view.metric not in CASE_METRICS and not visits:
        return t("map.notice.no_visits", lang, place=place, **span)
    return None


# --- the map: view → figure or patch -----------------------------------------------------------
def needs_full_figure(view: ViewState, drawn: Mapping[str, Any] | None) -> bool:
    """Geometry is sent again only when the street, the layers or the language change."""
    if not drawn:
        return True
    return any(drawn.get(k) != getattr(view, k) for k in ("street", "layers", "lang"))


def repaint(view: ViewState, drawn: Mapping[str, Any] | None) -> bool:
    """Colours and legend are sent for a new figure or a new metric, window or category."""
    if needs_full_figure(view, drawn):
        return True
    return any((drawn or {}).get(k) != getattr(view, k) for k in ("metric", "window", "category"))


def patch_of(updates: Sequence[tuple[int, Mapping[str, Any]]], patch: Patch) -> Patch:
    """Apply (trace index, {dotted property: value}) updates to a figure Patch."""
    for index, props in updates:
        for dotted, value in props.items():
            target = patch["data"][index]
            *path, last = dotted.split(".")
            for key in path:
                target = target[key]
            target[last] = value
    return patch


def render_map(
    view: ViewState, drawn: Mapping[str, Any] | None, problems: Sequence[Problem] = ()
) -> tuple[Any, ...]:
    """(figure or Patch, paint message, notice, drawn view) for `view`: reader → layers → parts.

    A full figure carries geometry and colours; afterwards a change of metric, window or
    category sends only the paint message (about two bytes per area), which assets/paint.js
    turns into new colours, hover texts and legend in the browser."""
    src = context.source()
    rev = src.revision()
    coloured = map_reader.coloured(src, view, rev)
    if needs_full_figure(view, drawn):
        spots = map_reader.problems(src) if PROBLEMS in view.shown() else None
        scene = map_reader.scene(
            src, view, coloured.values, rev, spots, problem_texts(spots, view.lang)
        )
        figure: Any = mapfig.figure(
            scene, view.metric, map_texts(view.metric, view.lang), view.area
        )
    else:  # the colours travel in the paint message, assets/paint.js applies them
        figure = Patch()
        if (drawn or {}).get("area") != view.area:
            patch_of(mapfig.reselect(coloured.values, view.area), figure)
    names = dict(map_reader.streets(src))
    counts = (sum(len(v.codes) for v in coloured.values), coloured.cases, coloured.visits)
    place = place_name(view.street, names, view.lang)
    message = notice(view, place, counts, coloured.period)
    if problems:  # a view the browser sent that could not be used: say so, show the default
        message = " ".join([*(problem_text(p, view.lang) for p in problems), message or ""])
    paint: Any = no_update
    if repaint(view, drawn):
        paint = paint_message(coloured.values, view, coloured.period)
        # A full figure is coloured already: the browser only writes the legend from it.
        paint["painted"] = not isinstance(figure, Patch)
    return figure, paint, message, view.as_dict()


@callback(
    Output(ids.MAP, "figure"),
    Output(ids.MAP_PAINT, "data"),
    Output(ids.MAP_NOTICE, "children"),
    Output(ids.MAP_DRAWN, "data"),
    Input(ids.VIEW, "data"),
    State(ids.MAP_DRAWN, "data"),
    prevent_initial_call=True,  # the page comes with its map drawn (layout)
)
def draw_map(view: dict, drawn: dict | None) -> tuple[Any, ...]:
    """VIEW → the map: a full figure for a new street or layers, else the paint message."""
    state, problems = ViewState.checked(view)
    return render_map(state, drawn if isinstance(drawn, dict) else None, problems)


# Colours, hover texts and legend from the paint message, in the browser (assets/paint.js).
dash.clientside_callback(
    dash.ClientsideFunction(namespace="gridboard", function_name="paint"),
    Output(ids.MAP, "figure", allow_duplicate=True),
    Output(ids.LEGEND, "children"),
    Input(ids.MAP_PAINT, "data"),
    State(ids.PAINT_TEXTS, "data"),
    State(ids.VIEW, "data"),  # a message for another view than this one is dropped
    State(ids.MAP, "figure"),  # its shapes are fetched at once, while plotly loads
    # Also at the start: the legend of the map the page came with (draw_map waits for a change).
    prevent_initial_call="initial_duplicate",
)


@callback(
    Output(ids.VIEW, "data"),
    Input(ids.STREET_SELECT, "value"),
    Input(ids.METRIC_SELECT, "value"),
    Input(ids.WINDOW_SELECT, "value"),
    Input(ids.DATE_RANGE, "value"),
    Input(ids.CATEGORY_SELECT, "value"),
    Input(ids.LAYER_TOGGLES, "value"),
    State(ids.VIEW, "data"),
    prevent_initial_call=True,
)
def view_from_controls(
    street: str | None,
    metric: str | None,
    window_choice: str | None,
    dates: list[str | None] | None,
    category: str | None,
    layers: list[str] | None,
    view: dict,
) -> dict:
    """Controls → VIEW."""
    current = ViewState.from_dict(view)
    new = controls_view(current, street, metric, window_choice, dates, category, layers)
    return new.as_dict() if new != current else no_update


@callback(
    Output(ids.VIEW, "data", allow_duplicate=True),
    Input(ids.MAP, "clickData"),
    State(ids.VIEW, "data"),
    prevent_initial_call=True,
)
def view_from_click(click: dict | None, view: dict) -> dict:
    """A click on a compound or grid cell → VIEW.area."""
    current = ViewState.from_dict(view)
    new = clicked_view(current, click)
    return new.as_dict() if new != current else no_update


@callback(
    Output(ids.URL, "search"),
    Output(ids.LANG_SWITCH, "children"),
    Input(ids.VIEW, "data"),
    prevent_initial_call=True,
)
def url_from_view(view: dict) -> tuple[str, list]:
    """VIEW → the address bar (no reload) and language links that keep the view."""
    state = ViewState.from_dict(view)
    return address_and_links(state.query(context.settings().language), state.lang, PATH)


@callback(
    Output(ids.DATE_RANGE, "disabled"),
    Input(ids.WINDOW_SELECT, "value"),
    prevent_initial_call=True,  # controls() sets it for the page's window
)
def date_range_disabled(window_choice: str | None) -> bool:
    """The date range is picked only when the period is a custom range."""
    return window_choice != RANGE


@callback(
    Output(ids.METRICS_DOWNLOAD, "data"),
    Input(ids.METRICS_CSV_BUTTON, "n_clicks"),
    State(ids.VIEW, "data"),
    prevent_initial_call=True,
)
def download_metrics(_clicks: int | None, view: dict) -> dict[str, Any]:
    """The download button → the view's metrics per area as CSV."""
    return metrics_csv(ViewState.from_dict(view))


@callback(Output(ids.PROBLEMS_KEY, "children"), Input(ids.VIEW, "data"), prevent_initial_call=True)
def problems_key(view: dict) -> list[Component]:
    """VIEW → the problems layer's legend (empty while the layer is off or not offered)."""
    spots = map_reader.problems(context.source())
    return problems_key_children(spots, ViewState.from_dict(view))


# --- the metrics download: view → export reader → layers.export → CSV ------------------------
def metrics_csv(view: ViewState) -> dict[str, Any]:
    """dcc.Download data: metrics per area of the view's street, window, category and coloured
    levels (layers.export columns), UTF-8 CSV with a BOM, headers in the page's language."""
    table = export_reader.view_metrics(context.source(), view)
    content = export.csv_bytes(table, *export_words(view.lang))
    return dcc.send_bytes(content, metrics_csv_name(view), type="text/csv;charset=utf-8")


def metrics_csv_name(view: ViewState) -> str:
    """The CSV's file name: the street, the window and the category, if any."""
    parts = ["gridboard-metrics", view.street, view.window.replace("..", "_")]
    return "-".join([*parts, *([view.category] if view.category else [])]) + ".csv"


# --- layout ------------------------------------------------------------------------------------
def _select_data(pairs: Sequence[tuple[str, str]]) -> list[dict[str, str]]:
    return [{"value": value, "label": label} for value, label in pairs]


def controls(
    view: ViewState,
    streets: Sequence[tuple[str, str]],
    as_of: dt.date,
    offered: Sequence[str] = LAYERS,
    whole_city: bool = True,
) -> Component:
    """Street, metric, period, category and layer controls showing `view`, and the metrics
    download; `offered` are the layers that can be switched on (top first in the list)."""
    choices = [(CITY, t("map.city", view.lang)), *streets] if whole_city else list(streets)
    lang = view.lang
    window = window_of(view.window, as_of)
    first, last = window.local_days()
    choice = view.window if view.window in PRESET_WINDOWS else RANGE
    windows = [*PRESET_WINDOWS, RANGE]
    return html.Div(
        [
            dmc.Select(
                id=ids.STREET_SELECT,
                label=t("map.street", lang),
                data=_select_data(choices),
                value=view.street,
                searchable=True,
                allowDeselect=False,
                w=200,
            ),
            dmc.Select(
                id=ids.METRIC_SELECT,
                label=t("map.metric", lang),
                data=_select_data([(m, t(f"metric.{m}", lang)) for m in classify.METRIC_STYLE]),
                value=view.metric,
                allowDeselect=False,
                w=230,
            ),
            dmc.Stack(
                [
                    dmc.Text(t("map.window", lang), size="sm", fw=500),
                    dmc.SegmentedControl(
                        id=ids.WINDOW_SELECT,
                        data=_select_data([(w, t(f"window.{w}", lang)) for w in windows]),
                        value=choice,
                    ),
                ],
                gap=2,
            ),
            dmc.DatePickerInput(
                id=ids.DATE_RANGE,
                label=t("map.date_range", lang),
                type="range",
                value=[first.isoformat(), last.isoformat()],
                maxDate=as_of.isoformat(),
                valueFormat="YYYY-MM-DD",
                monthLabelFormat="YYYY-MM",
                disabled=choice != RANGE,
                w=230,
            ),
            dmc.Select(
                id=ids.CATEGORY_SELECT,
                label=t("map.category", lang),
                placeholder=t("map.all_categories", lang),
                data=_select_data([(c.code, category_name(c.code, lang)) for c in CATEGORIES]),
                value=view.category,
                clearable=True,
                w=200,
            ),
            dmc.CheckboxGroup(
                dmc.Group(
                    [
                        dmc.Checkbox(label=t(f"layer.{layer}", lang), value=layer)
                        for layer in LAYERS[::-1]
                        if layer in offered
                    ],
                    gap="sm",
                    mt=6,
                ),
                id=ids.LAYER_TOGGLES,
                label=t("map.layers", lang),
                value=list(view.shown()),
            ),
            dmc.Button(
                t("map.download_metrics", lang),
                id=ids.METRICS_CSV_BUTTON,
                variant="light",
                n_clicks=0,
            ),
            dcc.Download(id=ids.METRICS_DOWNLOAD),
        ],
        className="gb-controls",
    )


def problems_alert(problems: Sequence[Problem], lang: str) -> Component | None:
    """The query parameters that could not be used, each in a plain sentence; None if a
    ll were fine."""
    if not problems:
        return None
    return dmc.Alert([dmc.Text(problem_text(p, lang)) for p in problems], color="yellow")


def panel_pieces(view: ViewState) -> tuple[Component, Component]:
    """The area panel and the case table of `view` (then dashboard/panel.py follows VIEW)."""
    store, as_dict = context.store(), view.as_dict()
    side = panel.side_panel(panel.panel_children(store, as_dict))
    return side, panel.case_table(*panel.case_table_content(store, as_dict))


def map_view(
    view: ViewState,
    problems: Sequence[Problem],
    streets: Sequence[tuple[str, str]],
    as_of: dt.date,
    query: Mapping[str, Any],
    offered: Sequence[str] = LAYERS,
    whole_city: bool = True,
) -> Component:
    """The page for a store holding data, its map drawn (no callback before the first paint:
    the figure fetches its shapes from the geometry route); `offered`: the layers that can be
    switched on; `whole_city`: the street choice offers the whole city."""
    lang = view.lang
    side, table = panel_pieces(view)
    figure, paint, message, drawn = render_map(view, None)
    return html.Main(
        [
            header(
                lang,
                query,
                PATH,
                other_pages(PATH, lang),
            ),
            html.Div(
                [problems_alert(problems, lang), html.Div(message, id=ids.MAP_NOTICE)],
                id=ids.MAP_MESSAGE,
                role="status",
            ),
            controls(view, streets, as_of, offered, whole_city),
            html.Div(
                [
                    html.Div(
                        [
                            dcc.Graph(
                                id=ids.MAP,
                                figure=figure,
                                className="gb-map",
                                config={"displaylogo": False, "scrollZoom": True},
                            ),
                            html.Div(id=ids.LEGEND, className="gb-legend"),
                            html.Div(
                                problems_key_children(map_reader.problems(context.source()), view),
                                id=ids.PROBLEMS_KEY,
                                className="gb-legend",
                                style=PROBLEMS_KEY_STYLE,
                            ),
                        ],
                        className="gb-map-box",
                        role="region",
                        **{"aria-label": t("map.label", lang)},
                    ),
                    html.Div(side, className="gb-side"),
                ],
                className="gb-map-row",
            ),
            table,
            dcc.Location(id=ids.URL, refresh=False),
            dcc.Store(id=ids.VIEW, data=view.as_dict()),
            dcc.Store(id=ids.MAP_DRAWN, data=drawn),
            dcc.Store(id=ids.MAP_PAINT, data=paint),
            dcc.Store(id=ids.PAINT_TEXTS, data=paint_texts(lang)),
        ],
        className="gb-page gb-page-wide",
    )


def layout(**query: Any) -> Component:
    """The page for `?street=…&metric=…&window=…&category=…&area=…&lang=…`."""
    src = context.source()
    flat = {key: first_value(value) for key, value in query.items()}
    lang = resolve_language(flat.get("lang"), src.settings.language)
    if not map_reader.streets(src):
        return empty_store_view(lang, query, PATH, ids.MAP_MESSAGE)
    streets = map_reader.offered_streets(src)
    whole_city = src.principal is None or src.principal.street_codes is None
    if not streets:
        return nothing_in_scope(lang, query)
    codes = {c for c, _ in streets}
    view, problems = parse_view({**flat, "lang": lang}, codes, src.settings.language)
    if view.street == CITY and not whole_city:  # the first street of the user's own
        view = ViewState.from_dict({**view.as_dict(), "street": streets[0][0]})
    rest = {k: v for k, v in query.items() if k != "lang"}
    offered = offered_layers(src)
    return map_view(view, problems, streets, map_reader.as_of(src), rest, offered, whole_city)


def nothing_in_scope(lang: str, query: Mapping[str, Any]) -> Component:
    """The page of a user whose scope holds no area of this store."""
    alert = dmc.Alert(t("refused.scope", lang), id=ids.MAP_MESSAGE, color="yellow")
    return html.Main(
        [header(lang, query, PATH, other_pages(PATH, lang)), alert], className="gb-page"
    )


def offered_layers(src: Source) -> tuple[str, ...]:
    """Every layer, less the problems layer when there is no problems file to show."""
    has_problems = map_reader.problems(src) is not None
    return tuple(layer for layer in LAYERS if layer != PROBLEMS or has_problems)
