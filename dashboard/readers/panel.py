"""The panel reader: the clicked area's people, latest cases and visits, and the case table's rows.

These are rows, not aggregates, so they are read from the store each time and never cached.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from geodata.model import Level
from geodata.store import Store, Window
from layers import panel as rows_of
from layers.view import CITY, DEFAULTS, ViewState, data_as_of, window_of

PANEL_CASE_LIMIT = 20
TABLE_ROW_LIMIT = 5000  # newest cases sent to the browser; more would make the page sluggish
AREA_LEVELS = (Level.COMPOUND, Level.GRID)
PANEL_LEVELS = (Level.COMPOUND.value, Level.GRID.value)  # what a click on the map selects


@dataclass(frozen=True)
class AreaPanel:
    """What the side panel shows of one compound or grid cell."""

    area: Mapping[str, Any]
    staff: list[dict[str, Any]]
    cases: list[dict[str, Any]]  # latest first, layers.panel rows
    visits: Mapping[str, Any]  # layers.panel.visit_summary
    window: Window


@dataclass(frozen=True)
class CaseTable:
    """The case table's rows (codes, not words) and what they cover."""

    rows: list[dict[str, Any]]
    cut: bool  # TABLE_ROW_LIMIT cut the rows short
    scope: str | None  # name of the area or street listed; None: the whole city
    window: Window


def view_window(store: Store, state: ViewState) -> tuple[Window, dt.date]:
    """The view's time window, and the data's as-of day."""
    as_of = data_as_of(store.meta())
    try:
        return window_of(state.window, as_of), as_of
    except ValueError:
        return window_of(DEFAULTS["window"], as_of), as_of


def area_panel(store: Store, state: ViewState) -> AreaPanel | None:
    """The panel of the view's area; None when the store has no such compound or grid cell."""
    area = store.area(str(state.area))
    if area is None or area["level"] not in PANEL_LEVELS:
        return None
    window, as_of = view_window(store, state)
    at = rows_of.end_of_day(as_of)
    cases = store.recent_cases(state.area, PANEL_CASE_LIMIT, category=state.category)
    metrics = store.metrics(Level(area["level"]), window, parent=state.area)
    return AreaPanel(
        area=area,
        staff=rows_of.staff_rows(store.staff(state.area)),
        cases=rows_of.recent_case_rows(cases, at),
        visits=rows_of.visit_summary(metrics, state.area),
        window=window,
    )


def table_scope(store: Store, state: ViewState) -> tuple[str | None, str | None]:
    """(code, name) of what the table lists: the selected area, else the street, else the city."""
    for code in (state.area, None if state.street == CITY else state.street):
        if code:
            area = store.area(code)
            if area is not None:
                return code, area["name"]
    return None, None


def case_table(store: Store, state: ViewState) -> CaseTable:
    """The newest cases (at most TABLE_ROW_LIMIT) of the view's scope, window and category."""
    window, as_of = view_window(store, state)
    code, name = table_scope(store, state)
    cases = store.cases(code, window, state.category, limit=TABLE_ROW_LIMIT + 1)
    street = store.area(code)["street_code"] if code else None
    names = rows_of.area_names(
        *(store.areas(level, parent=street) for level in (Level.COMMUNITY, *AREA_LEVELS))
    )
    rows = rows_of.case_table_rows(cases.head(TABLE_ROW_LIMIT), names, rows_of.end_of_day(as_of))
    return CaseTable(rows, len(cases) > TABLE_ROW_LIMIT, name, window)
