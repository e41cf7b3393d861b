"""Command-centre wall ("/wall?street=…&rotate=20&refresh=30&lang=en"): map, KPIs, ranking, feed."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from typing import Any

import dash
from dash import Input, Output, Patch, State, callback, dcc, html, no_update
from dash.development.base_component import Component

from dashboard import context, mapdata
from dashboard.header import page_title
from dashboard.i18n import category_name, format_number, resolve_language, t
from dashboard.pages.map import map_texts, paint_message, paint_texts
from geodata.model import LOCAL_TZ, Level
from geodata.store import Store, Window
from layers import mapfig, wall
from layers.view import CITY, ViewState

PATH = "/wall"
dash.register_page(__name__, path=PATH, name="wall", title=page_title("wall.title"))

# Component ids of this page (kept here, not in dashboard/ids.py, while that file is shared).
MAP = "wall-map"
LEGEND = "wall-legend"
PAINT = "wall-paint"
PAINT_TEXTS = "wall-paint-texts"
KPIS = "wall-kpis"
RANKING = "wall-ranking"
FEED = "wall-feed"
SPOTLIGHT = "wall-spotlight"
STOPS = "wall-stops"
UNIT_STATS = "wall-unit-stats"
CONFIG = "wall-config"
SENT = "wall-sent"
REFRESHED = "wall-refreshed"
SEEN = "wall-seen"
REFRESH = "wall-refresh"
ROTATE = "wall-rotate"
TICK = "wall-tick"
CLOCK = "wall-clock"
UPDATED = "wall-updated"
STALE = "wall-stale"
NOTICE = "wall-notice"

DEFAULT_ROTATE, DEFAULT_REFRESH = 20, 30  # seconds
ROTATE_RANGE, REFRESH_RANGE = (5, 3600), (2, 3600)
FEED_ROWS, RANKING_ROWS = 8, 8


# --- parameters -------------------------------------------------------------------------------
def seconds_param(raw: Any, default: int, bounds: tuple[int, int], off: bool) -> int | None:
    """Seconds from the URL: `default` when missing, None when unusable; 0 turns off if `off`."""
    if raw in (None, ""):
        return default
    try:
        value = int(str(raw).strip())
    except ValueError:
        return None
    if off and value == 0:
        return 0
    return value if bounds[0] <= value <= bounds[1] else None


def wall_config(query: Mapping[str, Any], streets: Sequence[str], default_lang: str) -> dict:
    """place, lang, rotate and refresh seconds of the URL, and the parameters not usable."""
    lang = resolve_language(query.get("lang"), default_lang)
    bad = []
    street = query.get("street") or CITY
    if street != CITY and street not in streets:
        bad.append(f"street={street}")
        street = CITY
    rotate = seconds_param(query.get("rotate"), DEFAULT_ROTATE, ROTATE_RANGE, off=True)
    refresh = seconds_param(query.get("refresh"), DEFAULT_REFRESH, REFRESH_RANGE, off=False)
    if rotate is None:
        bad.append(f"rotate={query.get('rotate')}")
    if refresh is None:
        bad.append(f"refresh={query.get('refresh')}")
    return {
        "place": street,
        "lang": lang,
        "rotate": DEFAULT_ROTATE if rotate is None else rotate,
        "refresh": DEFAULT_REFRESH if refresh is None else refresh,
        "bad": bad,
    }


def wall_moment(now: dt.datetime | None = None) -> dt.datetime:
    """The moment the wall shows: the end of the current minute, local time (one cache key)."""
    now = (now or dt.datetime.now(LOCAL_TZ)).astimezone(LOCAL_TZ)
    return now.replace(second=0, microsecond=0) + dt.timedelta(minutes=1)


def _parent(place: str) -> str | None:
    return None if place == CITY else place


# --- store reads, memoised on revision + minute --------------------------------------------------
def wall_data(store: Store, place: str, at: dt.datetime) -> dict[str, Any]:
    """Figures, ranking and newest cases of `place` at `at` (aggregates, a few rows)."""
    rev = store.revision()

    def compute() -> dict[str, Any]:
        parent = _parent(place)
        return {
            "figures": store.wall_figures(at, parent),
            "ranking": store.overdue_ranking(at, parent),
            "feed": store.newest_cases(FEED_ROWS, parent, before=at),
        }

    return mapdata.memo(context.cache(), "wall", [place, rev, at.isoformat()], compute)


def map_values(store: Store, place: str, lang: str, at: dt.datetime) -> list[mapfig.Values]:
    """Grid cells coloured by the cases open at `at`."""
    view = ViewState(street=place, metric="open_cases", layers="grid", lang=lang)
    window = Window(at - dt.timedelta(days=7), at)
    coloured, _, _ = mapdata.coloured_values(store, context.cache(), view, window, store.revision())
    return coloured


def wall_paint(coloured: Sequence[mapfig.Values], place: str, lang: str, at: dt.datetime) -> dict:
    """The paint message (pages/map.py) for the wall's colours and legend."""
    view = ViewState(street=place, metric="open_cases", layers="grid", lang=lang)
    day = at.astimezone(LOCAL_TZ).date()
    return paint_message(coloured, view, (day, day))


# --- pieces of the page: plain data → components ---------------------------------------------
def tile_text(tile: wall.Tile, lang: str) -> tuple[str, str]:
    """(value, change) of a tile as shown: 12,345 / ▲ 12 (+3.4 for percents and hours)."""
    places = wall.decimals(tile.kind)
    suffix = {"percent": "%", "hours": t("wall.hours", lang)}.get(tile.kind, "")
    value = format_number(tile.value, lang, places) + (suffix if tile.value is not None else "")
    if tile.change is None:
        return value, t("wall.no_change", lang)
    arrow = {"up": "▲", "down": "▼"}.get(tile.direction, "＝")
    change = format_number(abs(tile.change), lang, places)
    return value, t("wall.change", lang, arrow=arrow, change=change)


def tile_view(tile: wall.Tile, lang: str) -> Component:
    """One KPI tile: label, value, and its change against the same moment last week."""
    value, change = tile_text(tile, lang)
    tone = {True: "good", False: "bad"}.get(tile.good, "neutral")  # type: ignore[arg-type]
    extra = []
    if tile.target is not None:
        share = format_number(100 * (tile.value or 0) / tile.target, lang) if tile.target else "—"
        extra = [
            html.Div(
                t("wall.target", lang, target=format_number(tile.target, lang), share=share),
                className="gb-wall-target",
            )
        ]
    return html.Div(
        [
            html.Div(t(f"wall.kpi.{tile.key}", lang), className="gb-wall-kpi-label"),
            html.Div(value, className="gb-wall-kpi-value"),
            *extra,
            html.Div(change, className=f"gb-wall-kpi-change gb-wall-{tone}"),
        ],
        className="gb-wall-kpi",
        **{"data-kpi": tile.key},
    )


def ranking_view(rows: Sequence[Mapping[str, Any]], lang: str) -> list[Component]:
    """The ranking of streets (or communities) by overdue cases, as a list with bars."""
    return [
        html.Li(
            [
                html.Span(str(row["rank"]), className="gb-wall-rank"),
                html.Span(row["name"], className="gb-wall-rank-name"),
                html.Span(
                    html.Span(style={"width": f"{100 * row['share']:.0f}%"}),
                    className="gb-wall-bar",
                ),
                html.Span(format_number(row["overdue"], lang), className="gb-wall-rank-value"),
            ]
        )
        for row in rows
    ]


def feed_item(row: Mapping[str, Any], lang: str) -> Component:
    """One row of the case feed (already masked): time, category, status, area, text."""
    return html.Li(
        [
            html.Span(row["time"], className="gb-wall-feed-time"),
            html.Span(
                [
                    html.Span(category_name(row["category"], lang), className="gb-wall-tag"),
                    html.Span(t(f"status.{row['status']}", lang), className="gb-wall-status"),
                    html.Span(row["area"], className="gb-wall-feed-area"),
                ],
                className="gb-wall-feed-head",
            ),
            html.Span(row["text"], className="gb-wall-feed-text"),
        ],
        **{"data-case": row["id"]},
    )


def unit_stats(ranking_rows: Sequence[Mapping[str, Any]], figures: Mapping[str, float]) -> dict:
    """{code: {open, overdue, rank}} for the spotlight; "" is the whole place."""
    stats = {r["code"]: {k: r[k] for k in ("open", "overdue", "rank")} for r in ranking_rows}
    stats[""] = {"open": figures["open_cases"], "overdue": figures["overdue_cases"], "rank": 0}
    return stats


def wall_parts(data: Mapping[str, Any], lang: str) -> dict[str, Any]:
    """Everything the refresh may send, with the fingerprints that say what changed."""
    tiles = wall.kpi_tiles(data["figures"])
    every = wall.ranking_rows(data["ranking"], len(data["ranking"]))
    rows = wall.feed_rows(data["feed"])
    return {
        "tiles": [tile_view(tile, lang) for tile in tiles],
        "tile_keys": [wall.digest(tile.as_dict()) for tile in tiles],
        "ranking": ranking_view(every[:RANKING_ROWS], lang),
        "ranking_key": wall.digest(every[:RANKING_ROWS]),
        "feed": rows,
        "stats": unit_stats(every, data["figures"]),
    }


# --- refresh: only what changed ------------------------------------------------------------------
def changed_tiles(parts: Mapping[str, Any], sent: Mapping[str, Any]) -> Any:
    """A Patch of the KPI tiles whose figures changed since the last refresh, or no_update."""
    old = sent.get("tiles") or []
    if len(old) != len(parts["tile_keys"]):
        return parts["tiles"]
    patch, changed = Patch(), False
    for index, (new, before) in enumerate(zip(parts["tile_keys"], old, strict=True)):
        if new != before:
            patch[index] = parts["tiles"][index]
            changed = True
    return patch if changed else no_update


def changed_feed(rows: Sequence[Mapping[str, Any]], sent_ids: Sequence[str], lang: str) -> Any:
    """The feed as new rows on top (a Patch), the whole feed, or no_update if unchanged."""
    if [wall.row_key(r) for r in rows] == list(sent_ids):
        return no_update
    fresh = wall.new_feed_rows(rows, sent_ids)
    if fresh is None:
        return [feed_item(row, lang) for row in rows]
    patch = Patch()
    for row in reversed(rows[:fresh]):
        patch.prepend(feed_item(row, lang))
    for _ in range(fresh):
        del patch[len(rows)]
    return patch


def refresh_wall(config: Mapping[str, Any], sent: Mapping[str, Any] | None) -> tuple[Any, ...]:
    """(paint, KPI tiles, ranking, feed, unit stats, refreshed stamp, sent): unchanged parts
    are no_update, the KPI tiles and the feed are Patches of what changed."""
    store = context.store()
    # The browser's copy of the config is not trusted: checked again like the URL was.
    streets = [code for code, _ in mapdata.streets(store, context.cache())]
    checked = wall_config(
        {"street": (config or {}).get("place"), "lang": (config or {}).get("lang")},
        streets,
        context.settings().language,
    )
    lang, place = checked["lang"], checked["place"]
    sent = sent or {}
    at = wall_moment()
    parts = wall_parts(wall_data(store, place, at), lang)
    paint = wall_paint(map_values(store, place, lang, at), place, lang, at)
    paint_key = wall.digest(paint)
    stats_key = wall.digest(parts["stats"])
    now = dt.datetime.now(LOCAL_TZ)
    new_sent = {
        "paint": paint_key,
        "tiles": parts["tile_keys"],
        "ranking": parts["ranking_key"],
        "feed": [wall.row_key(r) for r in parts["feed"]],
        "stats": stats_key,
    }

    def unless(key: str, value: Any) -> Any:
        return no_update if sent.get(key) == new_sent[key] else value

    return (
        unless("paint", paint),
        changed_tiles(parts, sent),
        unless("ranking", parts["ranking"]),
        changed_feed(parts["feed"], sent.get("feed") or [], lang),
        unless("stats", parts["stats"]),
        {"at": now.isoformat(), "text": now.strftime("%H:%M:%S")},
        new_sent,
    )


@callback(
    Output(PAINT, "data"),
    Output(KPIS, "children"),
    Output(RANKING, "children"),
    Output(FEED, "children"),
    Output(UNIT_STATS, "data"),
    Output(REFRESHED, "data"),
    Output(SENT, "data"),
    Input(REFRESH, "n_intervals"),
    State(CONFIG, "data"),
    State(SENT, "data"),
    prevent_initial_call=True,
)
def refresh(_: int, config: dict, sent: dict | None) -> tuple[Any, ...]:
    """Every `refresh` seconds: store → layers.wall → only the parts that changed."""
    return refresh_wall(config, sent)


# Colours and legend from the paint message (assets/paint.js, shared with the map page).
dash.clientside_callback(
    dash.ClientsideFunction(namespace="gridboard", function_name="paint"),
    Output(MAP, "figure", allow_duplicate=True),
    Output(LEGEND, "children"),
    Input(PAINT, "data"),
    State(PAINT_TEXTS, "data"),
    prevent_initial_call="initial_duplicate",
)
# The rotation: camera, highlighted outline and spotlight, all in the browser (assets/wall.js).
dash.clientside_callback(
    dash.ClientsideFunction(namespace="gridboard_wall", function_name="rotate"),
    Output(MAP, "figure", allow_duplicate=True),
    Output(SPOTLIGHT, "children"),
    Input(ROTATE, "n_intervals"),
    Input(UNIT_STATS, "data"),
    State(STOPS, "data"),
    State(CONFIG, "data"),
    prevent_initial_call="initial_duplicate",
)
# A successful refresh is seen now (browser clock) …
dash.clientside_callback(
    dash.ClientsideFunction(namespace="gridboard_wall", function_name="seen"),
    Output(SEEN, "data"),
    Input(REFRESHED, "data"),
)
# … and every tick the clock runs and the stale banner shows when no refresh came lately.
dash.clientside_callback(
    dash.ClientsideFunction(namespace="gridboard_wall", function_name="tick"),
    Output(CLOCK, "children"),
    Output(UPDATED, "children"),
    Output(STALE, "className"),
    Input(TICK, "n_intervals"),
    State(SEEN, "data"),
    State(REFRESHED, "data"),
    State(CONFIG, "data"),
)


# --- layout ------------------------------------------------------------------------------------
def unit_frame(store: Store, place: str) -> tuple[str, Any]:
    """The rotation's level (streets of the city, communities of a street) and their bounds."""
    level = Level.STREET if place == CITY else Level.COMMUNITY
    frame = store.areas(level, parent=_parent(place))
    bounds = frame.geometry.bounds.rename(
        columns={"minx": "west", "miny": "south", "maxx": "east", "maxy": "north"}
    )
    return level.value, frame[["code", "name"]].join(bounds)


def wall_figure(store: Store, place: str, lang: str, at: dt.datetime) -> tuple[Any, dict, list]:
    """(figure, paint message, rotation stops): geometry is sent here, once."""
    cache, settings = context.cache(), context.settings()
    rev = store.revision()
    coloured = map_values(store, place, lang, at)
    level, units = unit_frame(store, place)
    shapes = mapdata.shapes(store, cache, ["grid", level], place, rev, settings)
    basemap = mapdata.basemap(settings)
    scene = mapfig.Scene(
        coloured=coloured,
        shapes=shapes,
        basemap=basemap,
        revision=f"wall|{place}",
        bounds=mapdata.bounds(store, place),
    )
    figure = mapfig.figure(scene, "open_cases", map_texts("open_cases", lang))
    layers = list(figure.layout.map.layers) + wall.unit_layers(shapes[level])
    figure.update_layout(map={"layers": layers, "style": wall.DARK_STYLE}, paper_bgcolor="#0b1220")
    figure.update_traces(marker_opacity=1.0)  # see-through colours turn muddy on a dark ground
    place_name = t("map.city", lang) if place == CITY else _street_name(store, place)
    stops = wall.rotation_stops(units, (place_name, scene.bounds))
    offset = len(basemap.tiles)
    for stop in stops:
        stop["layer"] = stop["layer"] + offset if stop["layer"] >= 0 else -1
    return figure, wall_paint(coloured, place, lang, at), stops


def _street_name(store: Store, code: str) -> str:
    return dict(mapdata.streets(store, context.cache())).get(code, code)


def header_view(config: Mapping[str, Any], place_name: str) -> Component:
    """The wall's header: title, place, stale banner, notice, clock and last refresh."""
    lang = config["lang"]
    notice = t("wall.bad_params", lang, params=", ".join(config["bad"])) if config["bad"] else ""
    return html.Header(
        [
            html.Div(
                [html.H1(t("wall.title", lang)), html.Span(place_name, className="gb-wall-place")],
                className="gb-wall-titles",
            ),
            html.Div(t("wall.stale", lang), id=STALE, className="gb-wall-stale", role="alert"),
            html.Div(notice, id=NOTICE, className="gb-wall-notice"),
            html.Div(
                [html.Div(id=CLOCK, className="gb-wall-clock"), html.Div(id=UPDATED)],
                className="gb-wall-time",
            ),
        ],
        className="gb-wall-header",
    )


def texts_for_browser(lang: str) -> dict[str, str]:
    """The words assets/wall.js writes itself (spotlight figures, last refresh), in `lang`."""
    keys = ("open", "overdue", "rank", "updated", "whole")
    return {key: t(f"wall.js.{key}", lang, rank="{rank}", time="{time}") for key in keys}


def layout(**query: Any) -> Component:
    """The wall for `?street=<code>&rotate=<s, 0 off>&refresh=<s>&lang=zh|en`."""
    store, settings = context.store(), context.settings()
    flat = {k: (v[0] if isinstance(v, list) and v else v) for k, v in query.items()}
    streets = mapdata.streets(store, context.cache())
    config = wall_config(flat, [c for c, _ in streets], settings.language)
    config["texts"] = texts_for_browser(config["lang"])
    lang, place = config["lang"], config["place"]
    if not streets:
        return html.Main(
            html.H1(t("overview.empty.title", lang)), className="gb-wall gb-wall-empty"
        )
    at = wall_moment()
    figure, paint, stops = wall_figure(store, place, lang, at)
    parts = wall_parts(wall_data(store, place, at), lang)
    now = dt.datetime.now(LOCAL_TZ)
    ranking_title = t("wall.ranking.city" if place == CITY else "wall.ranking.street", lang)
    sent = {
        "paint": wall.digest(paint),
        "tiles": parts["tile_keys"],
        "ranking": parts["ranking_key"],
        "feed": [wall.row_key(r) for r in parts["feed"]],
        "stats": wall.digest(parts["stats"]),
    }
    return html.Main(
        [
            header_view(config, stops[0]["name"]),
            html.Div(
                [
                    html.Section(
                        [
                            dcc.Graph(
                                id=MAP,
                                figure=figure,
                                className="gb-wall-map",
                                config={"displayModeBar": False, "staticPlot": False},
                            ),
                            html.Div(id=SPOTLIGHT, className="gb-wall-spotlight"),
                            html.Div(id=LEGEND, className="gb-legend gb-wall-legend"),
                        ],
                        className="gb-wall-map-box",
                    ),
                    html.Section(
                        [
                            html.Div(parts["tiles"], id=KPIS, className="gb-wall-kpis"),
                            html.Div(
                                [
                                    html.Section(
                                        [
                                            html.H2(ranking_title),
                                            html.Ol(parts["ranking"], id=RANKING),
                                        ],
                                        className="gb-wall-ranking",
                                    ),
                                    html.Section(
                                        [
                                            html.H2(t("wall.feed", lang)),
                                            html.Ul(
                                                [feed_item(r, lang) for r in parts["feed"]],
                                                id=FEED,
                                            ),
                                        ],
                                        className="gb-wall-feed",
                                    ),
                                ],
                                className="gb-wall-lists",
                            ),
                        ],
                        className="gb-wall-side",
                    ),
                ],
                className="gb-wall-body",
            ),
            dcc.Store(id=CONFIG, data=config),
            dcc.Store(id=STOPS, data=stops),
            dcc.Store(id=UNIT_STATS, data=parts["stats"]),
            dcc.Store(id=PAINT, data=paint),
            dcc.Store(id=PAINT_TEXTS, data=paint_texts(lang)),
            dcc.Store(id=SENT, data=sent),
            dcc.Store(id=REFRESHED, data={"at": now.isoformat(), "text": now.strftime("%H:%M:%S")}),
            dcc.Store(id=SEEN),
            dcc.Interval(id=REFRESH, interval=config["refresh"] * 1000),
            dcc.Interval(
                id=ROTATE,
                interval=max(config["rotate"], 1) * 1000,
                disabled=config["rotate"] == 0,
            ),
            dcc.Interval(id=TICK, interval=500),
        ],
        className="gb-wall",
        lang="zh-CN" if lang == "zh" else "en",
    )
