"""Command-centre wall ("/wall?street=…&rotate=20&refresh=30&lang=en"): map, KPIs, ranking, feed."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from typing import Any

import dash
from dash import Input, Output, Patch, State, callback, dcc, html, no_update
from dash.development.base_component import Component

from dashboard import context, ids
from dashboard.header import first_value, page_title
from dashboard.i18n import category_name, format_number, resolve_language, t
from dashboard.mappaint import map_texts, paint_message, paint_texts
from dashboard.readers import map as map_reader
from dashboard.readers.source import Source
from dashboard.readers.wall import map_values, scene, unit_frame, wall_data, wall_moment, wall_view
from geodata.model import LOCAL_TZ
from layers import mapfig, wall
from layers.view import CITY

PATH = "/wall"
dash.register_page(__name__, path=PATH, name="wall", title=page_title("wall.title"))

DEFAULT_ROTATE, DEFAULT_REFRESH = 20, 30  # seconds
ROTATE_RANGE, REFRESH_RANGE = (5, 3600), (2, 3600)
RANKING_ROWS = 8


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


def wall_paint(coloured: Sequence[mapfig.Values], place: str, lang: str, at: dt.datetime) -> dict:
    """The paint message (dashboard/mappaint.py) for the wall's colours and legend."""
    day = at.astimezone(LOCAL_TZ).date()
    return paint_message(coloured, wall_view(place, lang), (day, day))


# --- pieces of the page: plain data → components ---------------------------------------------
def figure_text(value: float | None, kind: str, lang: str) -> str:
    """A tile's figure as shown: 12,345, 87.5% or 30.2 h; a dash when there is none."""
    suffix = {"percent": "%", "hours": t("wall.hours", lang)}.get(kind, "")
    shown = format_number(value, lang, wall.decimals(kind))
    return shown + (suffix if value is not None else "")


def _arrow(tile: wall.Tile) -> str:
    return {"up": "▲", "down": "▼"}.get(tile.direction, "＝")


def _tone(tile: wall.Tile) -> str:
    return {True: "good", False: "bad"}.get(tile.good, "neutral")  # type: ignore[arg-type]


def tile_text(tile: wall.Tile, lang: str) -> tuple[str, str]:
    """(value, change) of a tile as shown: 12,345 / ▲ 12 (+3.4 for percents and hours)."""
    value = figure_text(tile.value, tile.kind, lang)
    if tile.change is None:
        return value, t("wall.no_change", lang)
    change = format_number(abs(tile.change), lang, wall.decimals(tile.kind))
    return value, t("wall.change", lang, arrow=_arrow(tile), change=change)


def on_time_view(tile: wall.Tile, lang: str) -> Component:
    """The 按期结案率 band: this ISO week so far, last week, and the change in points."""
    if tile.change is None:
        change = t("wall.on_time.no_change", lang)
    else:
        points = format_number(abs(tile.change), lang, wall.decimals(tile.kind))
        change = t("wall.on_time.change", lang, arrow=_arrow(tile), change=points)
    last_week = figure_text(tile.previous, tile.kind, lang)
    return html.Div(
        [
            html.Div(t("wall.kpi.on_time_rate_week", lang), className="gb-wall-kpi-label"),
            html.Div(figure_text(tile.value, tile.kind, lang), className="gb-wall-kpi-value"),
            html.Div(t("wall.on_time.last_week", lang, value=last_week), className="gb-wall-last"),
            html.Div(change, className=f"gb-wall-kpi-change gb-wall-{_tone(tile)}"),
        ],
        className="gb-wall-kpi gb-wall-kpi-wide",
        **{"data-kpi": tile.key},
    )


def tile_view(tile: wall.Tile, lang: str) -> Component:
    """One KPI tile: label, value, and its change against the same moment last week."""
    if tile.key == wall.ON_TIME:
        return on_time_view(tile, lang)
    value, change = tile_text(tile, lang)
    tone = _tone(tile)
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


def _fingerprint(value: Any) -> bool:
    """A fingerprint the browser keeps for the wall (a digest, or a list of them)."""
    return isinstance(value, str) or (
        isinstance(value, list) and all(isinstance(v, str) for v in value)
    )


def refresh_wall(config: Mapping[str, Any], sent: Mapping[str, Any] | None) -> tuple[Any, ...]:
    """(paint, KPI tiles, ranking, feed, unit stats, refreshed stamp, sent): unchanged parts
    are no_update, the KPI tiles and the feed are Patches of what changed."""
    src = context.source()
    # The browser's copy of the config is not trusted: checked again like the URL was.
    streets = [code for code, _ in map_reader.offered_streets(src)]
    config = config if isinstance(config, Mapping) else {}
    checked = wall_config(
        {"street": config.get("place"), "lang": config.get("lang")}, streets, src.settings.language
    )
    lang, place = checked["lang"], checked["place"]
    if place == CITY and src.principal is not None and src.principal.street_codes is not None:
        place = streets[0] if streets else place  # never the city for a street's wall
    sent = {k: v for k, v in sent.items() if _fingerprint(v)} if isinstance(sent, dict) else {}
    at = wall_moment()
    parts = wall_parts(wall_data(src, place, at), lang)
    paint = wall_paint(map_values(src, place, lang, at), place, lang, at)
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
    Output(ids.WALL_PAINT, "data"),
    Output(ids.WALL_KPIS, "children"),
    Output(ids.WALL_RANKING, "children"),
    Output(ids.WALL_FEED, "children"),
    Output(ids.WALL_UNIT_STATS, "data"),
    Output(ids.WALL_REFRESHED, "data"),
    Output(ids.WALL_SENT, "data"),
    Input(ids.WALL_REFRESH, "n_intervals"),
    State(ids.WALL_CONFIG, "data"),
    State(ids.WALL_SENT, "data"),
    prevent_initial_call=True,
)
def refresh(_: int, config: dict, sent: dict | None) -> tuple[Any, ...]:
    """Every `refresh` seconds: store → layers.wall → only the parts that changed."""
    return refresh_wall(config, sent)


# Colours and legend from the paint message (assets/paint.js, shared with the map page).
dash.clientside_callback(
    dash.ClientsideFunction(namespace="gridboard", function_name="paint"),
    Output(ids.WALL_MAP, "figure", allow_duplicate=True),
    Output(ids.WALL_LEGEND, "children"),
    Input(ids.WALL_PAINT, "data"),
    State(ids.WALL_PAINT_TEXTS, "data"),
    prevent_initial_call="initial_duplicate",
)
# The rotation: camera, highlighted outline and spotlight, all in the browser (assets/wall.js).
dash.clientside_callback(
    dash.ClientsideFunction(namespace="gridboard_wall", function_name="rotate"),
    Output(ids.WALL_MAP, "figure", allow_duplicate=True),
    Output(ids.WALL_SPOTLIGHT, "children"),
    Input(ids.WALL_ROTATE, "n_intervals"),
    Input(ids.WALL_UNIT_STATS, "data"),
    State(ids.WALL_STOPS, "data"),
    State(ids.WALL_CONFIG, "data"),
    prevent_initial_call="initial_duplicate",
)
# A successful refresh is seen now (browser clock) …
dash.clientside_callback(
    dash.ClientsideFunction(namespace="gridboard_wall", function_name="seen"),
    Output(ids.WALL_SEEN, "data"),
    Input(ids.WALL_REFRESHED, "data"),
)
# … and every tick the clock runs and the stale banner shows when no refresh came lately.
dash.clientside_callback(
    dash.ClientsideFunction(namespace="gridboard_wall", function_name="tick"),
    Output(ids.WALL_CLOCK, "children"),
    Output(ids.WALL_UPDATED, "children"),
    Output(ids.WALL_STALE, "className"),
    Input(ids.WALL_TICK, "n_intervals"),
    State(ids.WALL_SEEN, "data"),
    State(ids.WALL_REFRESHED, "data"),
    State(ids.WALL_CONFIG, "data"),
)


# --- layout ------------------------------------------------------------------------------------
def wall_figure(src: Source, place: str, lang: str, at: dt.datetime) -> tuple[Any, dict, list]:
    """(figure, paint message, rotation stops): geometry is sent here, once."""
    coloured = map_values(src, place, lang, at)
    level, units = unit_frame(src, place)
    drawn = scene(src, place, coloured, level)
    figure = mapfig.figure(drawn, "open_cases", map_texts("open_cases", lang))
    figure["layout"]["map"]["layers"] += wall.unit_layers(drawn.shapes[level])
    figure["layout"]["map"]["style"] = wall.DARK_STYLE
    figure["layout"]["paper_bgcolor"] = "#0b1220"
    for trace in figure["data"]:  # see-through colours turn muddy on a dark ground
        trace.setdefault("marker", {})["opacity"] = 1.0
    place_name = t("map.city", lang) if place == CITY else map_reader.street_name(src, place)
    stops = wall.rotation_stops(units, (place_name, drawn.bounds))
    offset = len(drawn.basemap.tiles)
    for stop in stops:
        stop["layer"] = stop["layer"] + offset if stop["layer"] >= 0 else -1
    return figure, wall_paint(coloured, place, lang, at), stops


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
            html.Div(
                t("wall.stale", lang), id=ids.WALL_STALE, className="gb-wall-stale", role="alert"
            ),
            html.Div(notice, id=ids.WALL_NOTICE, className="gb-wall-notice"),
            html.Div(
                [
                    html.Div(id=ids.WALL_CLOCK, className="gb-wall-clock"),
                    html.Div(id=ids.WALL_UPDATED),
                ],
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
    src = context.source()
    flat = {k: first_value(v) for k, v in query.items()}
    streets = map_reader.offered_streets(src)
    if src.principal is not None and src.principal.street_codes is not None and streets:
        flat.setdefault("street", streets[0][0])  # a street's wall opens on its street
    config = wall_config(flat, [c for c, _ in streets], src.settings.language)
    config["texts"] = texts_for_browser(config["lang"])
    lang, place = config["lang"], config["place"]
    if not streets:
        return html.Main(
            html.H1(t("overview.empty.title", lang)), className="gb-wall gb-wall-empty"
        )
    at = wall_moment()
    figure, paint, stops = wall_figure(src, place, lang, at)
    parts = wall_parts(wall_data(src, place, at), lang)
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
                                id=ids.WALL_MAP,
                                figure=figure,
                                className="gb-wall-map",
                                config={"displayModeBar": False, "staticPlot": False},
                            ),
                            html.Div(id=ids.WALL_SPOTLIGHT, className="gb-wall-spotlight"),
                            html.Div(id=ids.WALL_LEGEND, className="gb-legend gb-wall-legend"),
                        ],
                        className="gb-wall-map-box",
                    ),
                    html.Section(
                        [
                            html.Div(parts["tiles"], id=ids.WALL_KPIS, className="gb-wall-kpis"),
                            html.Div(
                                [
                                    html.Section(
                                        [
                                            html.H2(ranking_title),
                                            html.Ol(parts["ranking"], id=ids.WALL_RANKING),
                                        ],
                                        className="gb-wall-ranking",
                                    ),
                                    html.Section(
                                        [
                                            html.H2(t("wall.feed", lang)),
                                            html.Ul(
                                                [feed_item(r, lang) for r in parts["feed"]],
                                                id=ids.WALL_FEED,
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
            dcc.Store(id=ids.WALL_CONFIG, data=config),
            dcc.Store(id=ids.WALL_STOPS, data=stops),
            dcc.Store(id=ids.WALL_UNIT_STATS, data=parts["stats"]),
            dcc.Store(id=ids.WALL_PAINT, data=paint),
            dcc.Store(id=ids.WALL_PAINT_TEXTS, data=paint_texts(lang)),
            dcc.Store(id=ids.WALL_SENT, data=sent),
            dcc.Store(
                id=ids.WALL_REFRESHED,
                data={"at": now.isoformat(), "text": now.strftime("%H:%M:%S")},
            ),
            dcc.Store(id=ids.WALL_SEEN),
            dcc.Interval(id=ids.WALL_REFRESH, interval=config["refresh"] * 1000),
            dcc.Interval(
                id=ids.WALL_ROTATE,
                interval=max(config["rotate"], 1) * 1000,
                disabled=config["rotate"] == 0,
            ),
            dcc.Interval(id=ids.WALL_TICK, interval=500),
        ],
        className="gb-wall",
        lang="zh-CN" if lang == "zh" else "en",
    )
