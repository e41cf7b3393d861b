"""The map's words and paint message (assets/paint.js), shared by the map page and the wall."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any

from dashboard.i18n import format_date, format_number, t
from layers import classify, mapfig
from layers.view import ViewState

# The view fields a paint message depends on; assets/paint.js drops a message whose fields
# differ from the page's current view (a late answer to an older request).
PAINTED_FIELDS = ("street", "metric", "window", "category", "layers", "lang")


def map_texts(metric: str, lang: str) -> mapfig.Texts:
    """The words and number format the figure needs, in `lang`."""
    return mapfig.Texts(
        metric=t(f"metric.{metric}", lang),
        unit=t(classify.unit_key(metric), lang),
        no_data=t("legend.no_data", lang),
        number=lambda value, places: format_number(float(value), lang, places),
    )


def paint_texts(lang: str) -> dict[str, str]:
    """The legend's fixed words in `lang`, sent once with the page for assets/paint.js."""
    keys = ("zero", "no_data", "area", "areas", "method", "open_note")
    return {key: t(f"legend.{key}", lang, count="{count}") for key in keys}


def painted_view(view: ViewState) -> dict[str, Any]:
    """The fields of `view` a paint message describes (the legend carries them as data-view)."""
    whole = view.as_dict()
    return {key: whole[key] for key in PAINTED_FIELDS}


def paint_message(
    coloured: Sequence[mapfig.Values], view: ViewState, period: tuple[dt.date, dt.date]
) -> dict[str, Any]:
    """What assets/paint.js needs to colour the map and write the legend for `view`."""
    lang = view.lang
    metric, unit = t(f"metric.{view.metric}", lang), t(classify.unit_key(view.metric), lang)
    span = {"start": format_date(period[0], lang), "end": format_date(period[1], lang)}
    return {
        "view": painted_view(view),
        "places": classify.decimals(view.metric),
        "title": t("legend.title", lang, metric=metric, unit=unit),
        "period": t("legend.period", lang, **span),
        "open_note": view.metric in ("open_cases", "overdue_cases"),
        "hover": mapfig.hover_template(metric, unit),
        "levels": [
            {**mapfig.paint(values, view.metric), "name": t(f"level.{values.level}", lang)}
            for values in coloured
        ],
    }
