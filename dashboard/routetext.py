"""A visit route in a language: walking distances, minutes, why a stop is listed; GPX and CSV."""

from __future__ import annotations

from dashboard.i18n import format_number, t
from layers import routefiles
from layers.itinerary import CandidateStop, Itinerary


def reason_text(stop: CandidateStop, lang: str) -> str:
    """Why the stop is on the list, in `lang`."""
    return routefiles.reason_text(stop, lang, t)


def distance_text(metres: float, lang: str) -> str:
    """A walking distance: 850 米 below a kilometre, else 2.4 公里."""
    if metres < 1000:
        return t("route.unit.m", lang, value=format_number(round(metres), lang))
    return t("route.unit.km", lang, value=format_number(metres / 1000, lang, decimals=1))


def minutes_text(minutes: float, lang: str) -> str:
    """Whole minutes, grouped like every number of the page."""
    return format_number(round(minutes), lang)


def gpx_text(route: Itinerary, lang: str = "zh") -> str:
    """The route as GPX 1.1, reasons in `lang`."""
    return routefiles.gpx_text(route, lambda s: reason_text(s, lang))


def csv_bytes(route: Itinerary, lang: str = "zh") -> bytes:
    """The route as CSV (UTF-8 with BOM), reasons in `lang`."""
    headers = tuple(t(f"route.col.{column}", lang) for column in routefiles.CSV_COLUMNS)
    return routefiles.csv_bytes(route, lambda s: reason_text(s, lang), headers)
