"""Overview page ("/overview"): the data's name and date, and every street's counts."""

from __future__ import annotations

import datetime as dt
import shlex
from collections.abc import Mapping, Sequence
from typing import Any

import dash
import dash_ag_grid as dag
import dash_mantine_components as dmc
from dash import html
from dash.development.base_component import Component
from flask_caching import Cache

from dashboard import context, ids, mapdata
from dashboard.header import DEMO_COMMAND, other_pages, page_title
from dashboard.header import header as page_header
from dashboard.i18n import (
    format_date,
    format_number,
    resolve_language,
    t,
)
from geodata.model import LOCAL_TZ, Level
from geodata.store import Store, Window
from layers.view import data_as_of

PATH = "/overview"
RECENT_DAYS = 30
# The start of "all cases ever": open and overdue counts look at every case reported before
# the end of the as-of day, not only the last 30 days, since old cases stay open too.
EPOCH = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)
COUNT_COLUMNS = (
    "communities",
    "compounds",
    "grid_cells",
    "households",
    "open_cases",
    "overdue_cases",
    "cases_30d",
)

dash.register_page(__name__, path=PATH, name="overview", order=1, title=page_title())


# --- data: store → plain rows ------------------------------------------------------------------
def windows(as_of: dt.date) -> tuple[Window, Window]:
    """(everything up to the end of the as-of day, the 30 days ending then), in China time."""
    end = dt.datetime.combine(as_of + dt.timedelta(days=1), dt.time(), LOCAL_TZ)
    return Window(EPOCH, end), Window(end - dt.timedelta(days=RECENT_DAYS), end)


def _children_per_street(store: Store, level: Level) -> Mapping[str, int]:
    return store.areas(level)["street_code"].value_counts().to_dict()


def _count(value: Any) -> int:
    """A count from a frame cell; a missing value (no records) counts as 0."""
    return 0 if value is None or value != value else int(value)


def street_rows(store: Store, as_of: dt.date) -> list[dict[str, Any]]:
    """One row per street: code, name and COUNT_COLUMNS; no personal data of anyone."""
    streets = store.areas(Level.STREET).sort_values("code")
    if streets.empty:
        return []
    since_start, recent = windows(as_of)
    children = {
        "communities": _children_per_street(store, Level.COMMUNITY),
        "compounds": _children_per_street(store, Level.COMPOUND),
        "grid_cells": _children_per_street(store, Level.GRID),
    }
    open_now = store.metrics(Level.STREET, since_start)
    last_30 = store.metrics(Level.STREET, recent)
    rows = []
    for code, name, households in streets[["code", "name", "households"]].itertuples(False):
        row: dict[str, Any] = {"code": str(code), "name": str(name)}
        row.update({key: int(counts.get(code, 0)) for key, counts in children.items()})
        row["households"] = _count(households)
        row["open_cases"] = _count(open_now.at[code, "open_cases"])
        row["overdue_cases"] = _count(open_now.at[code, "overdue_cases"])
        row["cases_30d"] = _count(last_30.at[code, "cases"])
        rows.append(row)
    return rows


def total_row(rows: Sequence[Mapping[str, Any]]) -> dict[str, int]:
    """The sum of every count column over `rows`."""
    return {key: sum(int(row[key]) for row in rows) for key in COUNT_COLUMNS}


def cached_street_rows(store: Store, cache: Cache, as_of: dt.date) -> list[dict[str, Any]]:
    """street_rows through the cache, keyed by the data's revision and the as-of day."""
    parts = [store.revision(), as_of.isoformat()]
    return mapdata.memo(cache, "overview-streets", parts, lambda: street_rows(store, as_of))


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


def empty_view(lang: str, query: Mapping[str, Any], command: str) -> Component:
    """The overview of a store with no data yet: the `command` that builds the demo."""
    return html.Main(
        [
            header(lang, query),
            dmc.Alert(
                [dmc.Text(t("overview.empty.hint", lang)), dmc.Code(command, block=True)],
                title=t("overview.empty.title", lang),
                id=ids.OVERVIEW_EMPTY,
                color="blue",
            ),
        ],
        id=ids.OVERVIEW,
        className="gb-page",
    )


# --- page ------------------------------------------------------------------------------------
def layout(lang: str | list[str] | None = None, **query: Any) -> Component:
    """The page for `?lang=…&…`: store → rows → components."""
    settings = context.settings()
    language = resolve_language(lang, settings.language)
    store = context.store()
    if not mapdata.streets(store, context.cache()):
        command = DEMO_COMMAND.format(path=shlex.quote(str(settings.data)))
        return empty_view(language, query, command)
    meta = store.meta()
    as_of = data_as_of(meta)
    rows = cached_street_rows(store, context.cache(), as_of)
    return overview_view(language, query, meta, as_of, rows)
