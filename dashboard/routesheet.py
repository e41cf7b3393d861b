"""The offline route sheet: one standalone HTML page with Leaflet inlined, for screen and paper."""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache
from numbers import Real
from pathlib import Path
from typing import Any

from jinja2 import FileSystemLoader, StrictUndefined
from jinja2.sandbox import ImmutableSandboxedEnvironment
from markupsafe import Markup

from dashboard.i18n import category_name, format_date, format_number, t
from dashboard.npm import INSTALL_COMMAND, NODE_MODULES, PROJECT_ROOT
from dashboard.routetext import distance_text, minutes_text
from layers.itinerary import CandidateStop, Itinerary, Network, Place, clock

LEAFLET_DIR = NODE_MODULES / "leaflet" / "dist"
TEMPLATES = Path(__file__).resolve().parent / "templates"
HTML_LANG = {"zh": "zh-CN", "en": "en"}

_SOURCE_MAP = re.compile(r"^\s*//# sourceMappingURL=.*$", re.MULTILINE)
_CSS_URL = re.compile(r"url\(\s*(?!['\"]?data:)[^)]*\)")
_FIT_PADDING = (28, 28)
_MAX_ZOOM = 18
_MIN_SPAN_DEG = 0.001  # a route at one spot still gets a street-sized view
_STOP_HEADS = ("number", "arrival", "place", "address", "reason", "notes")
_DROPPED_HEADS = ("place", "address", "reason")


class LeafletMissingError(FileNotFoundError):
    """Leaflet's files, installed from npm at set-up time, are not where the sheet looks."""


@dataclass(frozen=True)
class LeafletAssets:
    """Leaflet's JavaScript and CSS, ready to sit inside a <script> and a <style>."""

    js: str
    css: str


def leaflet_assets(directory: Path | None = None) -> LeafletAssets:
    """leaflet.js and leaflet.css from `directory` (default: the project's node_modules)."""
    directory = Path(directory) if directory is not None else LEAFLET_DIR
    js_path, css_path = directory / "leaflet.js", directory / "leaflet.css"
    for path in (js_path, css_path):
        if not path.is_file():
            raise LeafletMissingError(
                f"Leaflet is not installed: {path} is missing. Run `{INSTALL_COMMAND}` "
                f"in {PROJECT_ROOT} (it runs `npm ci`) to install it from package-lock.json."
            )
    js = _SOURCE_MAP.sub("", js_path.read_text(encoding="utf-8"))
    css = _CSS_URL.sub("none", css_path.read_text(encoding="utf-8"))
    return LeafletAssets(js=_inert(js, "script"), css=_inert(css, "style"))


def _inert(source: str, tag: str) -> str:
    """Text that cannot close the <script>/<style> element it is inlined into."""
    return re.sub(rf"</(?={tag})", r"<\\/", source, flags=re.IGNORECASE)


@cache
def _environment() -> ImmutableSandboxedEnvironment:
    """The sheet's template engine: the one template is the only source it ever compiles.

    Data reaches it as context values only, escaped by autoescape or serialised by |tojson
    (folium/branca were dropped here: they compile each element's rendered output as a
    template again, so a name in the data became template source).
    """
    return ImmutableSandboxedEnvironment(
        loader=FileSystemLoader(TEMPLATES), autoescape=True, undefined=StrictUndefined
    )


def _static(name: str) -> Markup:
    """One of the sheet's own files (CSS, JS) to inline as it is: code of ours, never data."""
    return Markup(_inert((TEMPLATES / name).read_text(encoding="utf-8"), name.rsplit(".")[-1]))


def route_sheet_html(
    itinerary: Itinerary, lang: str = "zh", *, leaflet_dir: Path | None = None
) -> str:
    """The route sheet as one HTML document that opens and prints with no network.

    A Leaflet map (walking path, the service hall, numbered stops; no tiles) and a
    table of the stops in visiting order, then the stops that did not fit. Leaflet's
    JS and CSS are read from npm's `leaflet` package (`leaflet_dir`, default
    node_modules/leaflet/dist) and inlined; LeafletMissingError says how to install it.
    Every text from data is a value of the template's context, never template source.
    """
    assets = leaflet_assets(leaflet_dir)
    context = {
        "html_lang": HTML_LANG.get(lang, "zh-CN"),
        "leaflet_js": Markup(assets.js),
        "leaflet_css": Markup(assets.css),
        "sheet_css": _static("route_sheet.css"),
        "sheet_js": _static("route_sheet.js"),
        "map_data": map_data(itinerary, lang),
        **_intro(itinerary, lang),
        **_tables(itinerary, lang),
    }
    return _environment().get_template("route_sheet.html").render(context)


# --- the map ---------------------------------------------------------------------------------
def map_data(itinerary: Itinerary, lang: str) -> dict[str, Any]:
    """What the sheet's script draws, as plain JSON values: path, hall, stops and bounds."""
    hall = itinerary.start
    return {
        "line": [list(point) for point in _line(itinerary)],
        "hall": {
            "at": [hall.lat, hall.lon],
            "name": hall.name,
            "badge": t("sheet.map.hall", lang),
        },
        "stops": [
            {
                "at": [stop.stop.place.lat, stop.stop.place.lon],
                "number": int(stop.number),
                "name": stop.stop.place.name,
                "title": f"{int(stop.number)}. {stop.stop.place.name}",
            }
            for stop in itinerary.stops
        ],
        "bounds": _bounds(itinerary),
        "padding": list(_FIT_PADDING),
        "maxZoom": _MAX_ZOOM,
    }


def _line(itinerary: Itinerary) -> list[tuple[float, float]]:
    """The walking line as (lat, lon); hall → stops → hall in straight legs if no path."""
    if itinerary.path:
        return [(lat, lon) for lon, lat in itinerary.path]
    places = [itinerary.start, *(s.stop.place for s in itinerary.stops), itinerary.start]
    return [(p.lat, p.lon) for p in places] if itinerary.stops else []


def _bounds(itinerary: Itinerary) -> list[list[float]]:
    """[[south, west], [north, east]] around the path, the hall and every stop."""
    points = [*_line(itinerary), (itinerary.start.lat, itinerary.start.lon)]
    points += [(s.stop.place.lat, s.stop.place.lon) for s in itinerary.stops]
    lats, lons = [p[0] for p in points], [p[1] for p in points]
    pad_lat = max(0.0, _MIN_SPAN_DEG - (max(lats) - min(lats))) / 2
    pad_lon = max(0.0, _MIN_SPAN_DEG - (max(lons) - min(lons))) / 2
    return [[min(lats) - pad_lat, min(lons) - pad_lon], [max(lats) + pad_lat, max(lons) + pad_lon]]


# --- the text --------------------------------------------------------------------------------
def stop_reason(stop: CandidateStop, lang: str) -> str:
    """Why a stop is on the list, in the reader's words (category codes become names)."""
    args = {key: _reason_arg(key, value, lang) for key, value in stop.reason_args.items()}
    return t(stop.reason, lang, **args)


def _reason_arg(key: str, value: object, lang: str) -> str:
    if key == "category" and isinstance(value, str):
        return category_name(value, lang)
    if isinstance(value, Real) and not isinstance(value, bool):
        return format_number(value, lang)
    return str(value)


def _document_title(itinerary: Itinerary, lang: str) -> str:
    date = format_date(itinerary.date, lang)
    return t("sheet.document_title", lang, worker=itinerary.worker_name, date=date)


def _intro(itinerary: Itinerary, lang: str) -> dict[str, Any]:
    """The heading: who, where, when, how far, how long."""
    weekday = t(f"sheet.weekday.{itinerary.date.weekday()}", lang)
    date = format_date(itinerary.date, lang)
    facts = [
        t("sheet.worker", lang, name=itinerary.worker_name, id=itinerary.worker_id),
        t("sheet.community", lang, name=itinerary.community_name),
        t("sheet.date", lang, date=date, weekday=weekday),
        t("sheet.times", lang, departure=clock(itinerary.departure), back=clock(itinerary.back)),
        t(
            "sheet.walk",
            lang,
            distance=distance_text(itinerary.walk_m, lang),
            minutes=minutes_text(itinerary.walk_min, lang),
        ),
        t(
            "sheet.budget",
            lang,
            budget=minutes_text(itinerary.budget_min, lang),
            total=minutes_text(itinerary.total_min, lang),
        ),
        t("sheet.stops_count", lang, count=len(itinerary.stops)),
    ]
    straight = itinerary.network is Network.STRAIGHT_LINE
    return {
        "title": _document_title(itinerary, lang),
        "heading": t("sheet.title", lang),
        "facts": facts,
        "note": t("sheet.straight_line", lang) if straight else "",
    }


def _tables(itinerary: Itinerary, lang: str) -> dict[str, Any]:
    """The visiting order (hall, stops, hall), the dropped stops and a footer line."""
    hall = itinerary.start
    rows = [_hall_row(hall, clock(itinerary.departure), t("sheet.row.start", lang))]
    rows += [
        {
            "hall": False,
            "number": int(stop.number),
            "arrival": clock(stop.arrival),
            "name": stop.stop.place.name,
            "address": stop.stop.place.address,
            "reason": stop_reason(stop.stop, lang),
        }
        for stop in itinerary.stops
    ]
    rows.append(_hall_row(hall, clock(itinerary.back), t("sheet.row.back", lang)))
    dropped = [
        {"name": s.place.name, "address": s.place.address, "reason": stop_reason(s, lang)}
        for s in itinerary.dropped
    ]
    return {
        "stops_title": t("sheet.stops.title", lang),
        "stop_heads": [{"key": h, "text": t(f"sheet.col.{h}", lang)} for h in _STOP_HEADS],
        "hall_badge": t("sheet.map.hall", lang),
        "rows": rows,
        "no_stops": "" if itinerary.stops else t("sheet.stops.none", lang),
        "dropped": dropped,
        "dropped_title": t("sheet.dropped.title", lang, count=len(dropped)),
        "dropped_heads": [{"text": t(f"sheet.col.{h}", lang)} for h in _DROPPED_HEADS],
        "dropped_none": t("sheet.dropped.none", lang),
        "footer": t("sheet.footer", lang),
    }


def _hall_row(hall: Place, time: str, what: str) -> dict[str, Any]:
    return {
        "hall": True,
        "arrival": time,
        "name": hall.name,
        "address": hall.address,
        "reason": what,
    }
