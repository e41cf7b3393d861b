"""The offline route sheet: a standalone folium HTML page with Leaflet inlined, screen and paper."""

from __future__ import annotations

import re
from dataclasses import dataclass
from html import escape
from numbers import Real
from pathlib import Path
from typing import ClassVar

import folium
from branca.element import Element, Figure, MacroElement
from folium.template import Template

from dashboard.i18n import category_name, format_date, format_number, t
from dashboard.routetext import distance_text, minutes_text
from layers.itinerary import CandidateStop, Itinerary, Network, Place, RouteStop, clock

PROJECT_ROOT = Path(__file__).resolve().parents[1]
LEAFLET_DIR = PROJECT_ROOT / "node_modules" / "leaflet" / "dist"
INSTALL_COMMAND = "make node_modules"
HTML_LANG = {"zh": "zh-CN", "en": "en"}

_SOURCE_MAP = re.compile(r"^\s*//# sourceMappingURL=.*$", re.MULTILINE)
_CSS_URL = re.compile(r"url\(\s*(?!['\"]?data:)[^)]*\)")
_FIT_PADDING = (28, 28)
_MAX_ZOOM = 18
_MIN_SPAN_DEG = 0.001  # a route at one spot still gets a street-sized view
# folium adds a marker before setting its DivIcon; Leaflet's default icon would first ask
# for images/marker-icon.png beside the file. With this default, no marker loads an image.
_NO_IMAGE_ICON = (
    '\nL.Marker.prototype.options.icon = L.divIcon({className: "gb-no-icon", html: ""});\n'
)


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


class OfflineMap(folium.Map):
    """A folium Map that links no CDN asset: the page carries Leaflet inline instead.

    folium renders `default_js`/`default_css` as <script src>/<link href> to CDNs
    (Leaflet, jQuery, Bootstrap, Font Awesome, awesome-markers); the sheet uses only
    Leaflet, plain paths and DivIcon markers, so a subclass declares none.
    """

    default_js: ClassVar[list[tuple[str, str]]] = []
    default_css: ClassVar[list[tuple[str, str]]] = []


class _Markup(MacroElement):
    """Fixed HTML for the page body, optional CSS for the head and JS after the map."""

    _template = Template(
        """
        {% macro header(this, kwargs) %}{{ this.css }}{% endmacro %}
        {% macro html(this, kwargs) %}{{ this.markup }}{% endmacro %}
        {% macro script(this, kwargs) %}{{ this.js }}{% endmacro %}
        """
    )

    def __init__(self, markup: str, css: str = "", js: str = "") -> None:
        super().__init__()
        self._name = "RouteSheetPart"
        self.markup, self.css, self.js = markup, css, js


def route_sheet_html(
    itinerary: Itinerary, lang: str = "zh", *, leaflet_dir: Path | None = None
) -> str:
    """The route sheet as one HTML document that opens and prints with no network.

    A Leaflet map (walking path, the service hall, numbered stops; no tiles) and a
    table of the stops in visiting order, then the stops that did not fit. Leaflet's
    JS and CSS are read from npm's `leaflet` package (`leaflet_dir`, default
    node_modules/leaflet/dist) and inlined; LeafletMissingError says how to install it.
    """
    assets = leaflet_assets(leaflet_dir)
    figure = Figure(title=escape(_document_title(itinerary, lang)))
    figure.header.add_child(Element(f"<style>{assets.css}</style>"), name="leaflet_css")
    figure.header.add_child(
        Element(f"<script>{assets.js}{_NO_IMAGE_ICON}</script>"), name="leaflet_js"
    )
    figure.add_child(_Markup(_intro_html(itinerary, lang)))
    route_map = _route_map(itinerary, lang)
    figure.add_child(route_map)
    bounds = _bounds(itinerary)
    figure.add_child(
        _Markup(
            _tables_html(itinerary, lang),
            css=f"<style>{_sheet_css(route_map.get_name())}</style>",
            js=_refit_js(route_map.get_name(), bounds),
        )
    )
    return figure.render()


# --- the map ---------------------------------------------------------------------------------
def _route_map(itinerary: Itinerary, lang: str) -> OfflineMap:
    bounds = _bounds(itinerary)
    center = [(bounds[0][0] + bounds[1][0]) / 2, (bounds[0][1] + bounds[1][1]) / 2]
    route_map = OfflineMap(
        location=center, tiles=None, zoom_start=16, control_scale=False, max_bounds=False
    )
    # No animations: a sheet gets fitted, refitted for paper and printed, never flown about.
    route_map.options.update(
        maxZoom=_MAX_ZOOM, zoomAnimation=False, fadeAnimation=False, markerZoomAnimation=False
    )
    line = _line(itinerary)
    if len(line) >= 2:
        for class_name, color, weight in (("gb-halo", "#bfdbfe", 9), ("gb-path", "#1d4ed8", 4)):
            folium.PolyLine(
                line, color=color, weight=weight, opacity=1, class_name=class_name
            ).add_to(route_map)
    _hall_marker(itinerary.start, lang).add_to(route_map)
    for stop in itinerary.stops:
        _stop_marker(stop).add_to(route_map)
    route_map.fit_bounds(bounds, padding=_FIT_PADDING, max_zoom=_MAX_ZOOM)
    return route_map


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


def _hall_marker(hall: Place, lang: str) -> folium.Marker:
    icon = folium.DivIcon(
        html=f'<span class="gb-hall-badge">{escape(t("sheet.map.hall", lang))}</span>',
        icon_size=(48, 24),
        icon_anchor=(24, 12),
        class_name="gb-hall",
    )
    return folium.Marker((hall.lat, hall.lon), icon=icon, title=hall.name, z_index_offset=-100)


def _stop_marker(stop: RouteStop) -> folium.Marker:
    place = stop.stop.place
    icon = folium.DivIcon(
        html=f'<span class="gb-num">{int(stop.number)}</span>',
        icon_size=(28, 28),
        icon_anchor=(14, 14),
        class_name="gb-stop",
    )
    return folium.Marker(
        (place.lat, place.lon), icon=icon, title=f"{stop.number}. {place.name}", alt=place.name
    )


def _refit_js(map_name: str, bounds: list[list[float]]) -> str:
    """Refit the map when the page switches between screen and paper (the box changes size)."""
    return f"""
        (function () {{
            var map = {map_name};
            var bounds = L.latLngBounds({bounds!r});
            L.control.scale({{imperial: false}}).addTo(map);
            function refit() {{
                map.invalidateSize({{animate: false}});
                map.fitBounds(bounds, {{padding: {list(_FIT_PADDING)!r}, maxZoom: {_MAX_ZOOM},
                                        animate: false}});
            }}
            window.addEventListener("beforeprint", refit);
            window.addEventListener("afterprint", refit);
            window.addEventListener("resize", refit);
            var print = window.matchMedia("print");
            if (print.addEventListener) {{ print.addEventListener("change", refit); }}
        }})();
    """


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


def _intro_html(itinerary: Itinerary, lang: str) -> str:
    """The heading: who, where, when, how far, how long."""
    weekday = t(f"sheet.weekday.{itinerary.date.weekday()}", lang)
    facts = [
        t("sheet.worker", lang, name=itinerary.worker_name, id=itinerary.worker_id),
        t("sheet.community", lang, name=itinerary.community_name),
        t("sheet.date", lang, date=format_date(itinerary.date, lang), weekday=weekday),
        t(
            "sheet.times",
            lang,
            departure=clock(itinerary.departure),
            back=clock(itinerary.back),
        ),
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
    items = "".join(f"<li>{escape(fact)}</li>" for fact in facts)
    note = ""
    if itinerary.network is Network.STRAIGHT_LINE:
        note = f'<p class="gb-note">{escape(t("sheet.straight_line", lang))}</p>'
    return (
        f'<header class="gb-head" lang="{HTML_LANG.get(lang, "zh-CN")}">'
        f"<h1>{escape(t('sheet.title', lang))}</h1>"
        f'<ul class="gb-facts">{items}</ul>{note}</header>'
    )


def _tables_html(itinerary: Itinerary, lang: str) -> str:
    """The visiting order, the dropped stops and a footer line."""
    return (
        f'<section class="gb-list" lang="{HTML_LANG.get(lang, "zh-CN")}">'
        f"{_stops_table(itinerary, lang)}{_dropped_html(itinerary.dropped, lang)}"
        f'<p class="gb-footer">{escape(t("sheet.footer", lang))}</p></section>'
    )


def _stops_table(itinerary: Itinerary, lang: str) -> str:
    heads = ("number", "arrival", "place", "address", "reason", "notes")
    head = "".join(
        f'<th class="gb-col-{h}">{escape(t(f"sheet.col.{h}", lang))}</th>' for h in heads
    )
    hall = itinerary.start
    rows = [_hall_row(hall, clock(itinerary.departure), t("sheet.row.start", lang), lang)]
    rows += [_stop_row(stop, lang) for stop in itinerary.stops]
    if not itinerary.stops:
        rows.append(f'<tr><td colspan="6">{escape(t("sheet.stops.none", lang))}</td></tr>')
    rows.append(_hall_row(hall, clock(itinerary.back), t("sheet.row.back", lang), lang))
    return (
        f"<h2>{escape(t('sheet.stops.title', lang))}</h2>"
        f'<table class="gb-stops"><thead><tr>{head}</tr></thead>'
        f"<tbody>{''.join(rows)}</tbody></table>"
    )


def _hall_row(hall: Place, time: str, what: str, lang: str) -> str:
    badge = f'<span class="gb-hall-badge">{escape(t("sheet.map.hall", lang))}</span>'
    cells = (badge, escape(time), escape(hall.name), escape(hall.address), escape(what))
    return f'<tr class="gb-hall-row">{_cells(cells)}</tr>'


def _stop_row(stop: RouteStop, lang: str) -> str:
    place = stop.stop.place
    cells = (
        f'<span class="gb-num">{int(stop.number)}</span>',
        escape(clock(stop.arrival)),
        escape(place.name),
        escape(place.address),
        escape(stop_reason(stop.stop, lang)),
    )
    return f'<tr class="gb-stop-row" data-number="{int(stop.number)}">{_cells(cells)}</tr>'


def _cells(cells: tuple[str, ...]) -> str:
    """Table cells of ready-made (escaped) HTML, then an empty one to write notes in."""
    return "".join(f"<td>{c}</td>" for c in cells) + '<td class="gb-notes"></td>'


def _dropped_html(dropped: tuple[CandidateStop, ...], lang: str) -> str:
    if not dropped:
        return f'<p class="gb-dropped-none">{escape(t("sheet.dropped.none", lang))}</p>'
    heads = ("place", "address", "reason")
    head = "".join(f"<th>{escape(t(f'sheet.col.{h}', lang))}</th>" for h in heads)
    rows = "".join(
        "<tr>"
        + "".join(
            f"<td>{escape(text)}</td>"
            for text in (stop.place.name, stop.place.address, stop_reason(stop, lang))
        )
        + "</tr>"
        for stop in dropped
    )
    title = escape(t("sheet.dropped.title", lang, count=len(dropped)))
    return (
        f'<h2>{title}</h2><table class="gb-dropped"><thead><tr>{head}</tr></thead>'
        f"<tbody>{rows}</tbody></table>"
    )


# --- the stylesheet --------------------------------------------------------------------------
def _sheet_css(map_id: str) -> str:
    """Screen: map beside the list (stacked on phones); A4 paper: map over table, black on white."""
    return _SCREEN_CSS.replace("MAP_ID", map_id) + "\n" + _PRINT_CSS.replace("MAP_ID", map_id)


_SCREEN_CSS = """
html, body { height: auto; }
body {
    margin: 0; color: #111827; background: #fff;
    font: 15px/1.5 "Noto Sans CJK SC", "Source Han Sans SC", "PingFang SC",
        "Microsoft YaHei", "Helvetica Neue", Arial, sans-serif;
    display: grid; grid-template-columns: minmax(0, 5fr) minmax(0, 6fr);
    grid-template-areas: "head head" "map list"; align-items: start;
}
.gb-head { grid-area: head; padding: 12px 20px 8px; border-bottom: 1px solid #d1d5db; }
.gb-head h1 { margin: 0 0 4px; font-size: 22px; }
.gb-facts {
    list-style: none; margin: 0; padding: 0; display: flex; flex-wrap: wrap; gap: 2px 20px;
}
.gb-note { margin: 6px 0 0; color: #92400e; }
#MAP_ID {
    grid-area: map; position: sticky; top: 0; width: 100%; height: calc(100vh - 120px);
    min-height: 320px; left: 0; background: #f8fafc; border-right: 1px solid #d1d5db;
}
.gb-list { grid-area: list; padding: 8px 20px 20px; }
.gb-list h2 { font-size: 17px; margin: 12px 0 6px; }
.gb-list table { width: 100%; border-collapse: collapse; }
.gb-list th, .gb-list td {
    border: 1px solid #d1d5db; padding: 4px 6px; text-align: left; vertical-align: top;
}
.gb-list th { background: #f3f4f6; white-space: nowrap; }
.gb-col-number { width: 3.2em; }
.gb-col-arrival { width: 4.8em; }
.gb-col-notes { width: 7em; }
.leaflet-control-scale-line { font-size: 11px; }
.gb-hall-row td { background: #f9fafb; }
.gb-footer { color: #6b7280; font-size: 13px; }
.gb-num, .gb-hall-badge {
    display: inline-flex; align-items: center; justify-content: center;
    font-weight: 700; line-height: 1; box-sizing: border-box;
}
.gb-num {
    width: 26px; height: 26px; border-radius: 50%; font-size: 13px;
    background: #1d4ed8; color: #fff; border: 2px solid #fff; box-shadow: 0 0 0 1px #1d4ed8;
}
.gb-hall-badge {
    min-width: 44px; height: 22px; padding: 0 4px; border-radius: 4px; font-size: 12px;
    background: #111827; color: #fff; white-space: nowrap;
}
.leaflet-marker-icon.gb-stop, .leaflet-marker-icon.gb-hall {
    display: flex; align-items: center; justify-content: center; background: none; border: 0;
}
.leaflet-container { font-family: inherit; }
@media (max-width: 800px) {
    body { display: block; }
    #MAP_ID { position: relative; height: 60vh; border-right: 0; }
    .gb-col-notes, .gb-notes { display: none; }
}
"""

_PRINT_CSS = """
@media print {
    @page { size: A4 portrait; margin: 12mm; }
    html, body { background: #fff !important; color: #000 !important; }
    body { display: block; font-size: 10.5pt; }
    .gb-head { padding: 0 0 2mm; border-bottom: 0.4mm solid #000; }
    .gb-head h1 { font-size: 16pt; }
    .gb-note { color: #000; }
    #MAP_ID {
        position: relative; width: 100%; height: 105mm; min-height: 0; margin: 3mm 0;
        background: #fff !important; border: 0.3mm solid #000; break-inside: avoid;
        page-break-inside: avoid;
    }
    .gb-list { padding: 0; }
    .gb-list h2 { font-size: 12pt; break-after: avoid; page-break-after: avoid; }
    .gb-list th, .gb-list td { border: 0.3mm solid #000; color: #000; background: #fff !important; }
    .gb-list thead { display: table-header-group; }
    .gb-list tr, .gb-list td { break-inside: avoid; page-break-inside: avoid; }
    .gb-col-notes, .gb-notes { display: table-cell; }
    .gb-col-notes { width: 30mm; }
    .gb-footer { color: #000; }
    .gb-num, .gb-hall-badge {
        background: #fff !important; color: #000 !important; box-shadow: none;
    }
    .gb-num { border: 0.5mm solid #000; }
    .gb-hall-badge { border: 0.5mm solid #000; }
    .leaflet-overlay-pane path.gb-path { stroke: #000; }
    .leaflet-overlay-pane path.gb-halo { stroke: #d1d5db; }
    .leaflet-control-zoom, .leaflet-control-attribution { display: none !important; }
    .leaflet-control-scale-line { border-color: #000; color: #000; background: #fff; }
    a { color: #000; text-decoration: none; }
}
"""
