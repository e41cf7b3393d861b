"""The panel reader: the clicked area's people, latest cases and visits, and the case table's rows.

These are rows, not aggregates, so they are read from the store each time and never cached.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from geodata.codes import street_of
from geodata.model import Level
from geodata.store import Store, Window
from layers import panel as rows_of
from layers.access import Principal, Reach
from layers.view import CITY, DEFAULTS, ViewState, data_as_of, window_of

PANEL_CASE_LIMIT = 20
PANEL_VISIT_LIMIT = 10  # latest visits in the panel's visit log
CSV_ROW_LIMIT = 5000  # newest cases in the case table's CSV
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
    visit_log: list[dict[str, Any]] = field(default_factory=list)  # layers.panel.visit_log_rows


@dataclass(frozen=True)
class CaseTable:
    """What the case table lists: how many cases, of what, over which window."""

    total: int
    scope: str | None  # name of the area or street listed; None: the whole city
    window: Window
    too_long: bool  # the window is longer than the table lists (GRIDBOARD_MAX_WINDOW_DAYS)


def view_window(store: Store, state: ViewState) -> tuple[Window, dt.date]:
    """The view's time window, and the data's as-of day."""
    as_of = data_as_of(store.meta())
    try:
        return window_of(state.window, as_of), as_of
    except ValueError:
        return window_of(DEFAULTS["window"], as_of), as_of


def area_panel(store: Store, state: ViewState, who: Principal) -> AreaPanel | None:
    """The panel of the view's area; None when the store has no such compound or grid cell,
    or it lies outside what `who` sees. Reporters are shown as stored where `who` may."""
    area = store.area(str(state.area))
    if area is None or area["level"] not in PANEL_LEVELS or not who.sees.covers(area):
        return None
    window, as_of = view_window(store, state)
    at = rows_of.end_of_day(as_of)
    cases = store.recent_cases(state.area, PANEL_CASE_LIMIT, category=state.category)
    metrics = store.metrics(Level(area["level"]), window, parent=state.area)
    return AreaPanel(
        area=area,
        staff=rows_of.staff_rows(store.staff(state.area), _accounts(store)),
        cases=rows_of.recent_case_rows(cases, at, who.shows_personal(area)),
        visits=rows_of.visit_summary(metrics, state.area),
        window=window,
        visit_log=_visit_log(store, str(state.area), window, who.shows_personal(area)),
    )


def _visit_log(store: Store, code: str, window: Window, personal: bool) -> list[dict[str, Any]]:
    """The area's latest visits in the window, by name: who, where, what they found."""
    visits = store.visits(code, window).head(PANEL_VISIT_LIMIT)
    if visits.empty:
        return []
    workers = store.actor_names(sorted(set(visits["worker_id"].astype(str))))
    found = store.buildings(code)
    names = {str(i): str(n) for i, n in zip(found["id"], found["name"], strict=True) if n}
    return rows_of.visit_log_rows(visits, workers, names, personal, PANEL_VISIT_LIMIT)


def _accounts(store: Store) -> dict[str, str]:
    """person id → login of every enabled account linked to a staff person."""
    return {u.person_id: u.login for u in store.users() if u.person_id and not u.disabled}


Codes = str | list[str] | None  # what a case page lists: one area, several, or the city


def table_scope(store: Store, state: ViewState, who: Principal) -> tuple[Codes, str | None]:
    """(codes, name) of what the table lists: the selected area, else the street, else the
    city; cut to the areas `who` sees (an empty list: nothing)."""
    if state.area:
        area = store.area(state.area)
        if area is not None and who.sees.covers(area):
            return state.area, area["name"]
    street = None if state.street == CITY else state.street
    area = store.area(street) if street else None
    if area is not None:
        if who.sees.whole_street(street):
            return street, area["name"]
        return [c for c in reach_codes(who.sees) if c.startswith(street)], area["name"]
    return (None if who.sees.city else reach_codes(who.sees)), None


def reach_codes(reach: Reach) -> list[str]:
    """The codes of every area a (not city-wide) reach names, whole streets included."""
    return sorted(reach.streets | reach.communities | reach.compounds | reach.grids)


def case_table(store: Store, state: ViewState, who: Principal, max_days: int) -> CaseTable:
    """How many cases of the view's scope, window and category the table lists."""
    window, _ = view_window(store, state)
    codes, name = table_scope(store, state, who)
    if window.end - window.start > dt.timedelta(days=max_days):
        return CaseTable(0, name, window, True)
    _, total = store.case_page(codes, window, state.category, limit=0)
    return CaseTable(total, name, window, False)


def case_page(
    store: Store, state: ViewState, who: Principal, request: object, max_days: int
) -> tuple[list[dict[str, Any]], int]:
    """(rows, total) of one page of the case table for an AG Grid getRowsRequest; nothing for
    a request the table does not offer or a window longer than `max_days`."""
    window, as_of = view_window(store, state)
    at = rows_of.end_of_day(as_of)
    asked = rows_of.page_request(request, at)
    if asked is None or window.end - window.start > dt.timedelta(days=max_days):
        return [], 0
    codes, _ = table_scope(store, state, who)
    cases, total = store.case_page(
        codes, window, state.category, asked.sort, asked.filters, asked.offset, asked.limit
    )
    personal = who.personal.rows_inside(cases)
    return rows_of.case_table_rows(cases, _names(store, codes), at, personal), total


def csv_rows(
    store: Store, state: ViewState, who: Principal, max_days: int
) -> list[dict[str, Any]] | None:
    """The newest CSV_ROW_LIMIT cases of the view for its CSV, read from the store (never from
    the browser); None when the window is longer than `max_days`."""
    window, as_of = view_window(store, state)
    if window.end - window.start > dt.timedelta(days=max_days):
        return None
    codes, _ = table_scope(store, state, who)
    cases, _ = store.case_page(codes, window, state.category, limit=CSV_ROW_LIMIT)
    personal = who.personal.rows_inside(cases)
    end = rows_of.end_of_day(as_of)
    return rows_of.case_table_rows(cases, _names(store, codes), end, personal)


def _names(store: Store, codes: Codes) -> dict[str, str]:
    """Names of the areas of the street the codes lie in (of the city when they span more)."""
    listed = [codes] if isinstance(codes, str) else (codes or [])
    streets = {street_of(c) for c in listed}
    street = streets.pop() if len(streets) == 1 else None
    return rows_of.area_names(
        *(store.areas(level, parent=street) for level in (Level.COMMUNITY, *AREA_LEVELS))
    )
