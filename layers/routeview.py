"""The /routes page's view state, stop moves, list rows and route map figure: pure functions."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, replace
from typing import Any
from urllib.parse import urlencode

import plotly.graph_objects as go

from . import mapfig
from .itinerary import Itinerary, RouteStop, clock
from .view import EARLIEST, LANGS, LATEST, Problem

DEFAULT_BUDGET = 180
MIN_BUDGET, MAX_BUDGET = 30, 600  # minutes: half an hour to a ten-hour day
BUDGET_STEP = 15
DEFAULT_DEPART = "14:00"
VISIT_WEEKDAYS = (2, 3)  # Wednesday and Thursday: 幸福来敲门 days
ORDER_SEP = ","
UP, DOWN = "up", "down"
_CLOCK = re.compile(r"([01]?\d|2[0-3]):([0-5]\d)(?::[0-5]\d)?")
_BUDGET = re.compile(r"\d{1,4}")
_ID = re.compile(r"[BC]:[^,\s]{1,80}")

# Route map styles.
PATH_COLOUR, PATH_HALO = "#1d4ed8", "#bfdbfe"
STOP_COLOUR, HALL_COLOUR = "#c2410c", "#1f2933"
CELL_LINE = ("#52606d", 1.5)
STOP_SIZE, HALL_SIZE = 22, 18
FIT_SIZE = (800, 480)  # the route map is fitted as if this small (px), to leave a margin
MIN_SPAN_DEG = 0.002  # a route at one spot still gets a street-sized view


@dataclass(frozen=True)
class RouteView:
    """One view of the routes page; every field is a URL query parameter (self → `self`)."""

    worker: str | None = None
    date: str = ""  # YYYY-MM-DD
    budget: int = DEFAULT_BUDGET  # minutes
    depart: str = DEFAULT_DEPART  # HH:MM, local time
    order: str | None = None  # the user's order: stop ids joined by ORDER_SEP; None = suggested
    lang: str = "zh"
    self_view: bool = False  # a grid worker's own link: the worker picker is hidden

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: Mapping[str, object] | None) -> RouteView:
        """The view of an as_dict() (e.g. from a dcc.Store); unknown keys are ignored."""
        names = set(cls.__dataclass_fields__)
        return cls(**{k: v for k, v in (data or {}).items() if k in names})

    def day(self) -> dt.date:
        return dt.date.fromisoformat(self.date)

    def departure(self) -> dt.time:
        return parse_clock(self.depart) or dt.time(14, 0)

    def stop_order(self) -> list[str] | None:
        """The user's order as stop ids, or None for the suggested one."""
        return None if self.order is None else [s for s in self.order.split(ORDER_SEP) if s]

    def query(self, default_lang: str = "zh") -> str:
        """The URL query ("?…"): worker and date always, the rest when not the default."""
        items: dict[str, str] = {}
        if self.worker:
            items["worker"] = self.worker
        if self.date:
            items["date"] = self.date
        if self.budget != DEFAULT_BUDGET:
            items["budget"] = str(self.budget)
        if self.depart != DEFAULT_DEPART:
            items["depart"] = self.depart
        if self.order is not None:
            items["order"] = self.order
        if self.self_view:
            items["self"] = "1"
        if self.lang != default_lang:
            items["lang"] = self.lang
        return "?" + urlencode(items, safe=",:") if items else ""


def with_changes(view: RouteView, **changes: Any) -> RouteView:
    """This view with some fields replaced."""
    return replace(view, **changes)


# --- parsing ----------------------------------------------------------------------------------
def visit_day(as_of: dt.date) -> dt.date:
    """The first Wednesday or Thursday on or after `as_of`."""
    day = as_of
    while day.weekday() not in VISIT_WEEKDAYS:
        day += dt.timedelta(days=1)
    return day


def parse_clock(text: str | None) -> dt.time | None:
    """HH:MM (or HH:MM:SS) as a time, seconds dropped; None when it is not one."""
    m = _CLOCK.fullmatch((text or "").strip())
    return dt.time(int(m.group(1)), int(m.group(2))) if m else None


def clock_text(when: dt.time) -> str:
    """A departure time as HH:MM."""
    return f"{when.hour:02d}:{when.minute:02d}"


def parse_date(text: str | None) -> dt.date | None:
    """A YYYY-MM-DD date between view.EARLIEST and view.LATEST, else None."""
    try:
        day = dt.date.fromisoformat(str(text or "")[:10])
    except ValueError:
        return None
    return day if EARLIEST <= day <= LATEST and len(str(text)) in (10, 19) else None


def parse_budget(text: object) -> int | None:
    """Whole minutes within MIN_BUDGET..MAX_BUDGET, else None."""
    raw = str(text).strip() if text is not None else ""
    if isinstance(text, int | float) and not isinstance(text, bool) and float(text).is_integer():
        raw = str(int(text))
    if not _BUDGET.fullmatch(raw):
        return None
    value = int(raw)
    return value if MIN_BUDGET <= value <= MAX_BUDGET else None


def parse_order(text: str | None) -> str | None:
    """A canonical order text (stop ids, no repeats), or None when it is not one."""
    ids = [s for s in (text or "").split(ORDER_SEP) if s]
    if not ids or not all(_ID.fullmatch(s) for s in ids):
        return None
    return ORDER_SEP.join(dict.fromkeys(ids))


def parse_route_query(
    query: Mapping[str, str | None], as_of: dt.date, default_lang: str = "zh"
) -> tuple[RouteView, list[Problem]]:
    """The view a URL asks for; unusable parameters fall back to defaults and are reported.

    The worker is not checked here (the store knows the workers); `self=1` hides the picker.
    """
    problems: list[Problem] = []

    def pick(param: str, parsed: object, reason: str, fallback: Any) -> Any:
        value = query.get(param)
        if value in (None, ""):
            return fallback
        if parsed is not None:
            return parsed
        problems.append(Problem(param, str(value), reason))
        return fallback

    lang = pick("lang", query.get("lang") if query.get("lang") in LANGS else None, "bad_lang", None)
    day = pick("date", parse_date(query.get("date")), "bad_date", visit_day(as_of))
    budget = pick("budget", parse_budget(query.get("budget")), "bad_budget", DEFAULT_BUDGET)
    clock = pick("depart", parse_clock(query.get("depart")), "bad_depart", None)
    order = pick("order", parse_order(query.get("order")), "bad_order", None)
    view = RouteView(
        worker=(query.get("worker") or "").strip() or None,
        date=day.isoformat(),
        budget=budget,
        depart=clock_text(clock) if clock else DEFAULT_DEPART,
        order=order,
        lang=lang or default_lang,
        self_view=query.get("self") in ("1", "true", "yes"),
    )
    return view, problems


# --- moving stops ----------------------------------------------------------------------------
def moved(order: Sequence[str], stop_id: str, direction: str) -> list[str]:
    """`order` with `stop_id` one place earlier (UP) or later (DOWN); unchanged at an end."""
    ids = list(order)
    if stop_id not in ids or direction not in (UP, DOWN):
        return ids
    i = ids.index(stop_id)
    j = i - 1 if direction == UP else i + 1
    if 0 <= j < len(ids):
        ids[i], ids[j] = ids[j], ids[i]
    return ids


def order_text(order: Sequence[str]) -> str:
    """Stop ids as the `order` query parameter (comma-separated)."""
    return ORDER_SEP.join(order)


def unknown_ids(route: Itinerary, order: Sequence[str]) -> list[str]:
    """Ids of `order` that are not candidate stops of the route (no longer due, or made up)."""
    known = {rs.stop.id for rs in route.stops} | {s.id for s in route.dropped}
    return [i for i in order if i not in known]


@dataclass(frozen=True)
class Planned:
    """The route of a view, and the ids of the user's order that are not stops any more."""

    route: Itinerary
    stale: tuple[str, ...] = ()


# --- rows ------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Row:
    """One stop of the list, as plain values."""

    number: int
    id: str
    name: str
    address: str
    arrival: str  # HH:MM
    walk_min: int  # from the previous stop (or the hall), rounded
    walk_m: int
    first: bool
    last: bool


def rows(route: Itinerary) -> list[Row]:
    """The stops in visiting order as list rows."""
    count = len(route.stops)
    return [_row(rs, i == 0, i == count - 1) for i, rs in enumerate(route.stops)]


def _row(rs: RouteStop, first: bool, last: bool) -> Row:
    place = rs.stop.place
    return Row(
        number=rs.number,
        id=rs.stop.id,
        name=place.name,
        address=place.address,
        arrival=clock(rs.arrival),
        walk_min=round(rs.walk_min_before),
        walk_m=round(rs.walk_m_before),
        first=first,
        last=last,
    )


def over_budget(route: Itinerary) -> bool:
    """A user's own order may take longer than the budget (the solver's never does)."""
    return route.total_min > route.budget_min + 1e-6


# --- the map ---------------------------------------------------------------------------------
@dataclass(frozen=True)
class MapTexts:
    """Words of the route map in the page language."""

    hall: str  # marker hover name of the service hall, e.g. "服务大厅"
    hall_badge: str  # its short label on the map, e.g. "大厅"
    arrival: str  # "预计到达 {time}" with a {time} slot


def route_bounds(route: Itinerary) -> tuple[float, float, float, float]:
    """(west, south, east, north) around the path, the hall and the stops."""
    points = [*route.path, (route.start.lon, route.start.lat)]
    points += [(rs.stop.place.lon, rs.stop.place.lat) for rs in route.stops]
    lons, lats = [p[0] for p in points], [p[1] for p in points]
    pad_lon = max(0.0, MIN_SPAN_DEG - (max(lons) - min(lons))) / 2
    pad_lat = max(0.0, MIN_SPAN_DEG - (max(lats) - min(lats))) / 2
    return min(lons) - pad_lon, min(lats) - pad_lat, max(lons) + pad_lon, max(lats) + pad_lat


def route_figure(
    route: Itinerary,
    texts: MapTexts,
    cells: dict | None = None,
    basemap: mapfig.Basemap | None = None,
    revision: str = "",
) -> go.Figure:
    """The walking path, the hall and the stops in visiting order on a plain (or tiled) map.

    Stop numbers are not drawn as map text (MapLibre would fetch glyphs from the network):
    the hall and stops traces carry their label last in `customdata` ("5,6" for stops at one
    place, then "" for the later ones) for the page to draw over the map.
    """
    path = list(route.path) or [(route.start.lon, route.start.lat)]
    lons, lats = [p[0] for p in path], [p[1] for p in path]
    stops = route.stops
    traces = [
        go.Scattermap(
            lon=lons,
            lat=lats,
            mode="lines",
            line={"color": colour, "width": width},
            hoverinfo="skip",
            meta=name,
            name=name,
        )
        for name, colour, width in (("halo", PATH_HALO, 9), ("path", PATH_COLOUR, 4))
    ]
    traces.append(
        go.Scattermap(
            lon=[route.start.lon],
            lat=[route.start.lat],
            mode="markers",
            meta="hall",
            name="hall",
            marker={"size": HALL_SIZE, "color": HALL_COLOUR},
            customdata=[
                [mapfig.hover_safe(route.start.name), route.start.address, texts.hall_badge]
            ],
            hovertemplate=f"<b>{mapfig.hover_safe(texts.hall)}</b><br>%{{customdata[0]}}<extra></extra>",
        )
    )
    arrival = mapfig.hover_safe(texts.arrival).replace("{time}", "%{customdata[2]}")
    traces.append(
        go.Scattermap(
            lon=[rs.stop.place.lon for rs in stops],
            lat=[rs.stop.place.lat for rs in stops],
            mode="markers",
            meta="stops",
            name="stops",
            marker={"size": STOP_SIZE, "color": STOP_COLOUR},
            customdata=[
                [rs.number, mapfig.hover_safe(rs.stop.place.name), clock(rs.arrival), label]
                for rs, label in zip(stops, stop_labels(route), strict=True)
            ],
            hovertemplate=f"<b>%{{customdata[0]}}. %{{customdata[1]}}</b><br>{arrival}"
            "<extra></extra>",
        )
    )
    layers = mapfig.tile_layers(basemap) if basemap else []
    layers += [mapfig.line_layer(cells, *CELL_LINE, "grid")] if cells else []
    fig = go.Figure(traces)
    fig.update_layout(
        map={
            "style": mapfig.WHITE_BG,
            "layers": layers,
            **mapfig.camera(route_bounds(route), FIT_SIZE),
        },
        margin={"l": 0, "r": 0, "t": 0, "b": 0},
        showlegend=False,
        uirevision=revision,
        hoverlabel={"bgcolor": "#ffffff", "font": {"size": 14}},
        paper_bgcolor="#ffffff",
    )
    return fig


def stop_labels(route: Itinerary) -> list[str]:
    """The map label of each stop: its number; stops at one place share "5,6" on the first."""
    numbers: dict[tuple[float, float], list[int]] = {}
    for rs in route.stops:
        numbers.setdefault((rs.stop.place.lon, rs.stop.place.lat), []).append(rs.number)
    labels = []
    for rs in route.stops:
        same = numbers[(rs.stop.place.lon, rs.stop.place.lat)]
        labels.append(",".join(map(str, same)) if same[0] == rs.number else "")
    return labels
