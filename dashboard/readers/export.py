"""The export reader: the tables a download holds (the map's metrics per area, a visit route)."""

from __future__ import annotations

import pandas as pd

from dashboard.i18n import t
from dashboard.routetext import reason_text
from layers import export, routefiles
from layers.itinerary import Itinerary
from layers.view import COLOURED, ViewState, window_of

from . import map as map_reader
from .source import Source


def download_levels(view: ViewState) -> list[str]:
    """The coloured levels the view shows; both when neither is shown."""
    return [layer for layer in view.shown() if layer in COLOURED] or list(COLOURED)


def view_metrics(src: Source, view: ViewState) -> pd.DataFrame:
    """Metrics per area (layers.export columns) of the view's street, window, category and
    coloured levels, one table."""
    rev = src.revision()
    window = window_of(view.window, map_reader.as_of(src))
    tables = [
        export.metrics_table(
            map_reader.area_table(src, level, view.street, rev),
            map_reader.metrics(src, level, window, view.category, view.street, rev),
            level,
            window,
            view.category,
        )
        for level in download_levels(view)
    ]
    return export.combined(tables)


def gpx_text(route: Itinerary, lang: str = "zh") -> str:
    """The route as GPX 1.1, reasons in `lang`."""
    return routefiles.gpx_text(route, lambda s: reason_text(s, lang))


def csv_bytes(route: Itinerary, lang: str = "zh") -> bytes:
    """The route as CSV (UTF-8 with BOM), reasons in `lang`."""
    headers = tuple(t(f"route.col.{column}", lang) for column in routefiles.CSV_COLUMNS)
    return routefiles.csv_bytes(route, lambda s: reason_text(s, lang), headers)
