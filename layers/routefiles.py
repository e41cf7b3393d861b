"""A planned route as files to take along: GPX 1.1 (waypoints and track) and CSV."""

from __future__ import annotations

import datetime as dt
import re
import xml.etree.ElementTree as ET
from collections.abc import Callable

from . import panel
from .itinerary import CandidateStop, Itinerary, clock

GPX_NS = "http://www.topografix.com/GPX/1/1"
GPX_SCHEMA = "http://www.topografix.com/GPX/1/1/gpx.xsd"
XSI_NS = "http://www.w3.org/2001/XMLSchema-instance"
CSV_COLUMNS = ("order", "arrival", "place", "address", "reason", "lon", "lat", "grid_code")
COORD_DECIMALS = 7  # about 1 cm
# Characters XML 1.0 cannot carry at all (control characters, lone surrogates, U+FFFE/F):
# ElementTree would write them and make the file unreadable.
_NOT_XML = re.compile("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")

# The translation function of the dashboard: (key, lang, **values) → text.
Translate = Callable[..., str]
# The words for why a stop is on the list.
Describe = Callable[[CandidateStop], str]


def reason_text(stop: CandidateStop, lang: str, translate: Translate) -> str:
    """The stop's reason in `lang`; a case category code is named in `lang` too."""
    args = dict(stop.reason_args)
    if "category" in args:
        args["category"] = translate(f"category.{args['category']}", lang)
    return translate(stop.reason, lang, **args)


def plain_reason(stop: CandidateStop) -> str:
    """The reason as key and values, for readers without a translation."""
    values = ", ".join(f"{k}={v}" for k, v in stop.reason_args.items())
    return f"{stop.reason} ({values})" if values else stop.reason


def gpx_text(itinerary: Itinerary, describe: Describe = plain_reason) -> str:
    """GPX 1.1: the stops as waypoints in visiting order ("3 运河花园2号楼", reason as
    description, expected arrival as time), then the walking path as one track."""
    # Namespaces written as plain attributes: no prefixes like ns0, and no global registry.
    root = ET.Element(
        "gpx",
        {
            "version": "1.1",
            "creator": "gridboard",
            "xmlns": GPX_NS,
            "xmlns:xsi": XSI_NS,
            "xsi:schemaLocation": f"{GPX_NS} {GPX_SCHEMA}",
        },
    )
    meta = ET.SubElement(root, "metadata")
    title = f"{itinerary.worker_name} {itinerary.date.isoformat()}"
    _text(meta, "name", title)
    _text(meta, "desc", itinerary.community_name)
    _text(meta, "time", _utc(itinerary.departure))
    for rs in itinerary.stops:
        place = rs.stop.place
        wpt = ET.SubElement(root, "wpt", _latlon(place.lon, place.lat))
        _text(wpt, "time", _utc(rs.arrival))
        _text(wpt, "name", f"{rs.number} {place.name}")
        if place.address:
            _text(wpt, "cmt", place.address)
        _text(wpt, "desc", describe(rs.stop))
        _text(wpt, "type", rs.stop.kind.value)
    trk = ET.SubElement(root, "trk")
    _text(trk, "name", title)
    seg = ET.SubElement(trk, "trkseg")
    for lon, lat in itinerary.path:
        ET.SubElement(seg, "trkpt", _latlon(lon, lat))
    ET.indent(root)
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(root, encoding="unicode")


def csv_rows(itinerary: Itinerary, describe: Describe = plain_reason) -> list[dict]:
    """One row per stop in visiting order, then the dropped stops (no order, no arrival)."""
    rows = []
    for rs in itinerary.stops:
        arrival = clock(rs.arrival)
        rows.append(_row(rs.stop, describe, rs.number, arrival))
    rows += [_row(stop, describe, None, None) for stop in itinerary.dropped]
    return rows


def csv_bytes(
    itinerary: Itinerary,
    describe: Describe = plain_reason,
    headers: tuple[str, ...] = CSV_COLUMNS,
) -> bytes:
    """The route as CSV, UTF-8 with a byte-order mark, formulas defused (layers.panel)."""
    return panel.csv_bytes(csv_rows(itinerary, describe), CSV_COLUMNS, headers)


def _row(stop: CandidateStop, describe: Describe, number: int | None, arrival: str | None):
    place = stop.place
    return {
        "order": number,
        "arrival": arrival,
        "place": place.name,
        "address": place.address,
        "reason": describe(stop),
        "lon": round(place.lon, COORD_DECIMALS),
        "lat": round(place.lat, COORD_DECIMALS),
        "grid_code": stop.grid_code,
    }


def _text(parent: ET.Element, tag: str, text: str) -> ET.Element:
    node = ET.SubElement(parent, tag)
    node.text = _NOT_XML.sub("\ufffd", text)
    return node


def _latlon(lon: float, lat: float) -> dict[str, str]:
    return {"lat": f"{lat:.{COORD_DECIMALS}f}", "lon": f"{lon:.{COORD_DECIMALS}f}"}


def _utc(moment: dt.datetime) -> str:
    return moment.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
