"""Overview page ("/overview"): the data's name and date, and every street's counts."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from typing import Any

import dash
import dash_ag_grid as dag
import dash_mantine_components as dmc
from dash import html
from dash.development.base_component import Component

from dashboard import context, ids
from dashboard.header import empty_store_view, other_pages, page_title
from dashboard.header import header as page_header
from dashboard.i18n import (
    format_date,
    format_number,
    resolve_language,
    t,
)
from dashboard.readers import map as map_reader
from dashboard.readers import overview as overview_reader
from dashboard.readers.overview import COUNT_COLUMNS, total_row, windows
from layers.view import data_as_of

PATH = "/overview"
dash.register_page(__name__, path=PATH, name="overview", order=1, title=page_title())


# --- view: plain rows → components -------------------------------------------------------------
def header(lang: str, query: Mapping[str, Any]) -> Component:
    """The page title, the link to the map and the language switch."""
    return page_header(lang, query, PATH, other_pages(PATH, lang))


def _column(key: str, lang: str) -> dict[str, Any]:
    return {
        "field": key,
        "headerName": t(f"column.{key}", lang),
        "type": "rightAligned",
        # Numbers are formatted in Python (i18n.format_number) and shown from the *_text field.
        "valueFormatter": {"function": f"params.data.{key}_text"},
    }


def _grid_row(row: Mapping[str, Any], lang: str) -> dict[str, Any]:
    texts = {f"{key}_text": format_number(row[key], lang) for key in COUNT_COLUMNS}
    return {**row, **texts}


def street_table(rows: Sequence[Mapping[str, Any]], lang: str) -> Component:
    """The streets with their counts, sortable, and a pinned total row."""
    total = {"name": t("overview.total", lang), "code": "", **total_row(rows)}
    columns = [
        {"field": "name", "headerName": t("column.street", lang), "pinned": "left"},
        {"field": "code", "headerName": t("column.code", lang)},
        *(_column(key, lang) for key in COUNT_COLUMNS),
    ]
    return dag.AgGrid(
        id=ids.OVERVIEW_STREETS,
        rowData=[_grid_row(row, lang) for row in rows],
        columnDefs=columns,
        defaultColDef={
            "sortable": True,
            "resizable": True,
            "suppressMovable": True,
            "minWidth": 96,
            "wrapHeaderText": True,
            "autoHeaderHeight": True,
        },
        columnSize="responsiveSizeToFit",
        dashGridOptions={
            "domLayout": "autoHeight",
            "pinnedBottomRowData": [_grid_row(total, lang)],
            "localeText": {
                "noRowsToShow": t("grid.no_rows", lang),
                "loadingOoo": t("grid.loading", lang),
            },
        },
        className="gb-table",
    )


def overview_view(
    lang: str,
    query: Mapping[str, Any],
    meta: Mapping[str, str],
    as_of: dt.date,
    rows: Sequence[Mapping[str, Any]],
) -> Component:
    """The overview of a store holding data."""
    _, recent = windows(as_of)
    period = {"start": format_date(recent.start, lang), "end": format_date(as_of, lang)}
    facts = [
        dmc.Text(t("overview.as_of", lang, date=format_date(as_of, lang)), id=ids.OVERVIEW_AS_OF)
    ]
    if meta.get("name"):
        facts.insert(
            0, dmc.Text(t("overview.data", lang, name=meta["name"]), id=ids.OVERVIEW_DATA_NAME)
        )
    return html.Main(
        [
            header(lang, query),
            dmc.Group(facts, className="gb-facts"),
            dmc.Title(t("overview.streets", lang), order=2),
            street_table(rows, lang),
            dmc.Text(t("overview.note", lang, **period), id=ids.OVERVIEW_NOTE, className="gb-note"),
        ],
        id=ids.OVERVIEW,
        className="gb-page",
    )


# --- page ------------------------------------------------------------------------------------
def layout(lang: str | list[str] | None = None, **query: Any) -> Component:
    """The page for `?lang=…&…`: overview reader → rows → components."""
    src = context.source()
    language = resolve_language(lang, src.settings.language)
    if not map_reader.streets(src):
        return empty_store_view(language, query, PATH, ids.OVERVIEW_EMPTY, ids.OVERVIEW)
    meta = src.store.meta()
    as_of = data_as_of(meta)
    rows = overview_reader.visible_rows(src, overview_reader.cached_street_rows(src, as_of))
    return overview_view(language, query, meta, as_of, rows)
