"""The export reader: the table the map's metrics download holds, per area of the view."""

from __future__ import annotations

import pandas as pd

from layers import export
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
