"""The area side panel and the case table: layout pieces for the map page, and their callbacks."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from typing import Any
from urllib.parse import urlencode

import dash
import dash_ag_grid as dag
import dash_mantine_components as dmc
from dash import Input, Output, State, callback, dcc, html, no_update
from dash.development.base_component import Component

from dashboard import context, ids
from dashboard.casepage import NEW_PATH
from dashboard.casepage import PATH as CASES_PATH
from dashboard.i18n import category_name, format_date, format_number, resolve_language, t
from dashboard.readers import panel as panel_reader
from dashboard.readers.panel import PANEL_CASE_LIMIT
from geodata.casework import DESK_ROLES
from geodata.model import Level
from geodata.store import Store, Window
from layers import panel as rows_of
from layers.access import Principal
from layers.view import ViewState

PAGE_BLOCK = 100  # rows the grid asks for at a time (the server answers at most PAGE_ROW_LIMIT)
# AG Grid's own words (filter menus, empty grid) in the page's language.
GRID_TEXT_KEYS = (
    "filterOoo",
    "contains",
    "notContains",
    "equals",
    "notEqual",
    "startsWith",
    "endsWith",
    "blank",
    "notBlank",
    "lessThan",
    "greaterThan",
    "lessThanOrEqual",
    "greaterThanOrEqual",
    "inRange",
    "inRangeStart",
    "inRangeEnd",
    "andCondition",
    "orCondition",
    "before",
    "after",
    "noRowsToShow",
    "loadingOoo",
)


# --- layout pieces -------------------------------------------------------------------------------
def side_panel(children: list[Component]) -> Component:
    """The right-hand panel with `children` (panel_children of the page's view); then its
    content follows the view (ids.VIEW)."""
    return html.Aside(children, id=ids.PANEL, className="gb-panel", **{"aria-live": "polite"})


def case_table(title: list[Component], button: str) -> Component:
    """The case table under the map, with its CSV download (`title` and the `button`'s label:
    case_table_content of the page's view). The grid stays for the page's life and asks for
    its rows (case_rows); a new view empties its cache in the browser."""
    return html.Section(
        [
            dmc.Group(
                [
                    html.Div(title, id=ids.CASE_TABLE_TITLE, className="gb-case-title"),
                    dmc.Button(button, id=ids.CASE_CSV_BUTTON, variant="light", n_clicks=0),
                ],
                justify="space-between",
                align="flex-start",
            ),
            dcc.Download(id=ids.CASE_CSV_DOWNLOAD),
            html.Div(id=ids.CASE_TABLE_BODY),
            dcc.Store(id=ids.CASE_TABLE_START),
        ],
        className="gb-cases",
    )


# --- callbacks -----------------------------------------------------------------------------------
# The page comes with both filled for its view (no callback before the first paint).
@callback(Output(ids.PANEL, "children"), Input(ids.VIEW, "data"), prevent_initial_call=True)
def fill_panel(view: Mapping[str, Any] | None) -> list[Component]:
    """VIEW → the side panel of the selected area."""
    return panel_children(context.store(), view)


@callback(
    Output(ids.CASE_TABLE_TITLE, "children"),
    Output(ids.CASE_CSV_BUTTON, "children"),
    Input(ids.VIEW, "data"),
    prevent_initial_call=True,
)
def fill_case_table(view: Mapping[str, Any] | None) -> tuple[list[Component], str]:
    """VIEW → the case table of the selected area or street."""
    return case_table_content(context.store(), view)


# The grid comes after the map has been drawn: its scripts would slow the first paint.
dash.clientside_callback(
    dash.ClientsideFunction(namespace="gridboard_cases", function_name="afterMap"),
    Output(ids.CASE_TABLE_START, "data"),
    Input(ids.MAP, "id"),
    State(ids.CASE_TABLE_START, "id"),
)


@callback(
    Output(ids.CASE_TABLE_BODY, "children"),
    Input(ids.CASE_TABLE_START, "data"),
    State(ids.VIEW, "data"),
    prevent_initial_call=True,
)
def start_case_table(_started: Any, view: Mapping[str, Any] | None) -> Component:
    """The grid of the case table, once the map is drawn (it then asks for its rows)."""
    return _case_grid(view_state(view).lang)


@callback(
    Output(ids.CASE_TABLE, "getRowsResponse"),
    Input(ids.CASE_TABLE, "getRowsRequest"),
    State(ids.VIEW, "data"),
    prevent_initial_call=True,  # an answer nobody asked for would fill the grid's first block
)
def case_rows(request: Mapping[str, Any] | None, view: Mapping[str, Any] | None) -> Any:
    """A block of rows the grid asks for (sorted, filtered and cut in the store) → the grid."""
    if request is None:  # the grid clears its request once answered: nothing is asked
        return no_update
    return case_rows_response(context.store(), request, view)


# A new view purges the grid's cached blocks in the browser (assets/casetable.js).
dash.clientside_callback(
    dash.ClientsideFunction(namespace="gridboard_cases", function_name="refresh"),
    Output(ids.CASE_TABLE, "getRowsResponse", allow_duplicate=True),
    Input(ids.VIEW, "data"),
    State(ids.CASE_TABLE, "id"),
    prevent_initial_call=True,
)


@callback(
    Output(ids.CASE_CSV_DOWNLOAD, "data"),
    Input(ids.CASE_CSV_BUTTON, "n_clicks"),
    State(ids.VIEW, "data"),
    prevent_initial_call=True,
)
def download_cases(_clicks: int | None, view: Mapping[str, Any] | None) -> Any:
    """The view's cases as CSV (residents' data masked), read from the store."""
    return case_csv(context.store(), view)


# --- the view ------------------------------------------------------------------------------------
def audit_personal(what: str, ids_shown: Sequence[str]) -> None:
    """An audit entry for a response that carries residents' data unmasked (`ids_shown`: the
    area and case ids whose reporters it shows; nothing when none)."""
    if ids_shown:
        context.audit("personal_data", f"{what}: {','.join(ids_shown)}")


def view_state(view: Mapping[str, Any] | None) -> ViewState:
    """The ViewState of the store's data (None before the map page has set one)."""
    state = ViewState.from_dict(view)  # whatever the browser sent: a usable view
    return ViewState(**{**state.as_dict(), "lang": resolve_language(state.lang)})


def _period(window: Window, lang: str) -> dict[str, str]:
    last_day = window.end - dt.timedelta(seconds=1)
    return {"start": format_date(window.start, lang), "end": format_date(last_day, lang)}


# --- side panel ----------------------------------------------------------------------------------
def panel_children(store: Store, view: Mapping[str, Any] | None) -> list[Component]:
    """The panel for the view's area: header, staff, latest cases, visits; or a prompt."""
    state = view_state(view)
    lang = state.lang
    if not state.area:
        return [_notice(t("panel.prompt", lang))]
    who = context.principal()
    found = panel_reader.area_panel(store, state, who)
    if found is None:
        return [_notice(t("panel.unknown_area", lang, code=state.area))]
    if found.cases and who.shows_personal(found.area):
        audit_personal("panel", [str(state.area), *(row["id"] for row in found.cases)])
    return [
        panel_header(found.area, lang),
        staff_section(found.staff, lang),
        cases_section(found.cases, lang, queue_links(who, str(state.area), found.cases, lang)),
        visits_section(found.visits, _period(found.window, lang), lang, found.visit_log),
    ]


def _notice(text: str) -> Component:
    return html.Div(dmc.Text(text, c="dimmed"), id=ids.PANEL_HEADER, className="gb-panel-notice")


def _facts(pairs: Sequence[tuple[str, str]]) -> Component:
    items: list[Component] = []
    for label, value in pairs:
        items += [html.Dt(label), html.Dd(value)]
    return html.Dl(items, className="gb-facts-list")


def panel_header(area: Mapping[str, Any], lang: str) -> Component:
    """Name, level, code, community, households and (for a compound) property company."""
    facts = [
        (t("panel.code", lang), str(area["code"])),
        (t("panel.community", lang), area.get("community_name") or str(area["community_code"])),
        (t("panel.households", lang), format_number(area.get("households"), lang)),
    ]
    if area["level"] == Level.COMPOUND:
        company = area.get("property_company") or t("panel.no_property_company", lang)
        facts.append((t("panel.property_company", lang), company))
    return html.Header(
        [
            dmc.Badge(t(f"level.{area['level']}", lang), variant="light"),
            dmc.Title(area["name"], order=2, className="gb-panel-title"),
            _facts(facts),
        ],
        id=ids.PANEL_HEADER,
    )


def staff_section(staff: Sequence[Mapping[str, Any]], lang: str) -> Component:
    """Each person once: name, cross-appointment badge, phone, every role with organisation."""
    body: list[Component] = [dmc.Title(t("panel.staff", lang), order=3)]
    if not staff:
        body.append(dmc.Text(t("panel.no_staff", lang), c="dimmed"))
    body += [_person(person, lang) for person in staff]
    return html.Section(body, id=ids.PANEL_STAFF, className="gb-panel-section")


def _person(person: Mapping[str, Any], lang: str) -> Component:
    name: list[Component] = [dmc.Text(person["name"], fw=600, className="gb-person-name")]
    if person["cross_appointed"]:
        name.append(
            dmc.Badge(t("panel.cross_appointed", lang), color="grape", className="gb-cross")
        )
    if person.get("account"):
        account = t("panel.account", lang, login=person["account"])
        name.append(
            dmc.Badge(account, color="gray", variant="outline", className="gb-person-account")
        )
    roles = [html.Li(_role_text(role, lang)) for role in person["roles"]]
    return html.Div(
        [
            dmc.Group(name, gap="xs"),
            html.Ul(roles, className="gb-person-roles"),
            dmc.Text(
                [f"{t('panel.phone', lang)} ", html.Span(person["phone"], className="gb-phone")],
                size="sm",
            ),
        ],
        className="gb-person",
        **{"data-person": person["person_id"]},
    )


def _role_text(role: Mapping[str, str], lang: str) -> str:
    label = t(f"role.{role['role']}", lang)
    return f"{label} · {role['org_name']}"


def cases_section(
    rows: Sequence[Mapping[str, Any]], lang: str, links: Mapping[str, Any] | None = None
) -> Component:
    """The latest cases as a small sortable grid, or a line saying there are none; with the
    work queue's `links` (queue_links): the desk-call form for the area, each case's drawer."""
    links = links or {}
    title = dmc.Title(t("panel.cases", lang, limit=PANEL_CASE_LIMIT), order=3)
    if not rows:
        body: Component = dmc.Text(t("panel.no_cases", lang), c="dimmed", id=ids.PANEL_CASES)
    else:
        body = _recent_grid(rows, lang)
    record = links.get("record")
    opened = links.get("cases") or []
    children = [title]
    if record:
        children.append(
            html.A(t("panel.record_here", lang), href=record, className="gb-record-here")
        )
    children.append(body)
    if opened:
        children.append(_case_links(opened, lang))
    return html.Section(children, className="gb-panel-section")


def queue_links(
    who: Principal, area: str, rows: Sequence[Mapping[str, Any]], lang: str
) -> dict[str, Any]:
    """Addresses in the work queue: "record", the desk-call form prefilled with `area` (desk
    roles only: the form refuses the others too), and "cases", (id, the drawer's address) of
    each case in `rows` (for those who may open the queue, which checks the scope again)."""
    links: dict[str, Any] = {}
    if DESK_ROLES & set(who.roles):
        links["record"] = f"{NEW_PATH}?{urlencode({'area': area, 'lang': lang})}"
    if who.may_open(CASES_PATH):
        links["cases"] = [
            (row["id"], f"{CASES_PATH}?{urlencode({'case': row['id'], 'lang': lang})}")
            for row in rows
        ]
    return links


def _case_links(cases: Sequence[tuple[str, str]], lang: str) -> Component:
    anchors = [
        html.A(
            case_id,
            href=href,
            title=t("panel.open_case", lang, id=case_id),
            className="gb-case-open",
            **{"data-case": case_id},
        )
        for case_id, href in cases
    ]
    return html.Div(
        [dmc.Text(t("panel.open_cases", lang), size="sm", c="dimmed"), dmc.Group(anchors, gap=8)],
        className="gb-panel-case-links",
    )


def _display_case(row: Mapping[str, Any], lang: str) -> dict[str, Any]:
    """A layers row with its words in `lang`; codes kept for sorting and tests."""
    return {
        **row,
        "reported_text": format_date(dt.date.fromisoformat(row["reported"]), lang),
        "category": category_name(row["category"], lang),
        "category_code": row["category"],
        "status": t(f"status.{row['status']}", lang),
        "status_code": row["status"],
        "overdue": t("casecol.overdue", lang) if row["overdue"] else "",
        "overdue_flag": bool(row["overdue"]),
    }


def _column(key: str, lang: str, **extra: Any) -> dict[str, Any]:
    return {"field": key, "headerName": t(f"casecol.{key}", lang), **extra}


# Rows of the infinite case table have no data until their block arrives.
_DATE = {"valueFormatter": {"function": "params.data ? params.data.reported_text : ''"}}
_BADGE = {"cellClassRules": {"gb-overdue": "params.data ? params.data.overdue_flag : false"}}
_NUMBER = {"type": "rightAligned", "filter": "agNumberColumnFilter"}


def _recent_grid(rows: Sequence[Mapping[str, Any]], lang: str) -> Component:
    # Rows come newest first from the store (no initial sort: same-day cases would swap).
    # In 380 px, ISO dates and narrow fixed columns leave the category its room.
    columns = [
        _column("reported", lang, width=104),
        _column("category", lang, flex=1, minWidth=80),
        _column("status", lang, width=76),
        _column("age_days", lang, type="rightAligned", width=64),
        _column("overdue", lang, width=64, **_BADGE),
        _column("reporter", lang, width=80),
        _column("reporter_phone", lang, width=120),
    ]
    return dag.AgGrid(
        id=ids.PANEL_CASES,
        rowData=[_display_case(row, lang) for row in rows],
        columnDefs=columns,
        defaultColDef={
            "sortable": True,
            "resizable": True,
            "suppressMovable": True,
            "wrapHeaderText": True,
            "autoHeaderHeight": True,
        },
        getRowId="params.data.id",
        dashGridOptions={"domLayout": "autoHeight", "localeText": grid_text(lang)},
        className="gb-table gb-panel-cases",
    )


def visits_section(
    summary: Mapping[str, Any],
    period: Mapping[str, str],
    lang: str,
    log: Sequence[Mapping[str, Any]] = (),
) -> Component:
    """Last visit, visits and households reached in the view's window, and the latest visits
    (the visit log: check-ins far from the building flagged for the supervisor)."""
    last = summary["last_visit"]
    last_text = (
        format_date(dt.date.fromisoformat(last), lang) if last else t("panel.never_visited", lang)
    )
    facts = [
        (t("panel.last_visit", lang), last_text),
        (t("panel.visits_in_window", lang), format_number(summary["visits"], lang)),
        (t("panel.households_reached", lang), format_number(summary["households_reached"], lang)),
    ]
    return html.Section(
        [
            dmc.Title(t("panel.visits", lang), order=3),
            dmc.Text(t("panel.period", lang, **period), size="sm", c="dimmed"),
            _facts(facts),
            *([_visit_log(log, lang)] if log else []),
        ],
        id=ids.PANEL_VISITS,
        className="gb-panel-section",
    )


def _visit_log(log: Sequence[Mapping[str, Any]], lang: str) -> Component:
    title = dmc.Text(t("panel.visit_log", lang), fw=600, size="sm")
    items = [_visit_item(row, lang) for row in log]
    return html.Div([title, html.Ul(items, className="gb-visit-log")], id=ids.PANEL_VISIT_LOG)


def _visit_item(row: Mapping[str, Any], lang: str) -> Component:
    day = format_date(dt.date.fromisoformat(row["date"]), lang)
    n = format_number(row["households_reached"], lang)
    line = t(
        "panel.visit_log.line", lang, date=day, worker=row["worker"], building=row["building"], n=n
    )
    parts: list[Component] = [html.Span(line)]
    if row["follow_up"]:
        parts.append(dmc.Badge(t("panel.visit_log.follow_up", lang), color="orange", size="sm"))
    if row["far"]:
        parts.append(_far_badge(row, lang))
    if row["notes"]:
        parts.append(html.Div(row["notes"], className="gb-visit-notes"))
    flag = {"data-visit": row["id"], "data-far": "1" if row["far"] else "0"}
    return html.Li(parts, **flag)


def _far_badge(row: Mapping[str, Any], lang: str) -> Component:
    text = (
        t("panel.visit_log.unlocated", lang)
        if row["distance_m"] is None
        else t("panel.visit_log.far", lang, m=format_number(row["distance_m"], lang))
    )
    return dmc.Badge(text, color="red", size="sm", className="gb-visit-far")


def grid_text(lang: str) -> dict[str, str]:
    """AG Grid's localeText in `lang`."""
    return {key: t(f"agrid.{key}", lang) for key in GRID_TEXT_KEYS}


# --- case table ----------------------------------------------------------------------------------
def case_table_content(store: Store, view: Mapping[str, Any] | None) -> tuple[list[Component], str]:
    """(title lines, the CSV button's label) for the view."""
    state = view_state(view)
    lang = state.lang
    who = context.principal()
    table = panel_reader.case_table(store, state, who, context.settings().max_window_days)
    scope = table.scope or t("casetable.city", lang)
    title = [dmc.Title(t("casetable.title", lang, scope=scope), order=2)]
    if state.category:
        title.append(
            dmc.Text(t("casetable.category", lang, name=category_name(state.category, lang)))
        )
    period = _period(table.window, lang)
    title.append(dmc.Text(_summary(table, period, lang), c="dimmed"))
    return title, t("casetable.csv", lang)


def _summary(table: panel_reader.CaseTable, period: Mapping[str, str], lang: str) -> str:
    count = table.total
    if table.too_long:
        days = format_number(context.settings().max_window_days, lang)
        return t("casetable.too_long", lang, days=days, **period)
    if not count:
        return t("casetable.empty", lang, **period)
    return t("casetable.summary", lang, count=format_number(count, lang), **period)


def _case_grid(lang: str) -> Component:
    # Infinite row model: the grid asks case_rows for blocks, sorted and filtered in the store;
    # only the columns the store sorts or filters by offer it (layers.panel).
    columns = [
        _column("id", lang, pinned="left", minWidth=120, filter="agTextColumnFilter"),
        _column("reported", lang, minWidth=140, **_DATE),
        _column("category", lang),
        _column("status", lang),
        _column("community", lang),
        _column("compound", lang),
        _column("grid", lang),
        _column("age_days", lang, **_NUMBER),
        _column("overdue", lang, **_BADGE),
        _column("reporter", lang),
        _column("reporter_phone", lang, minWidth=130),
        _column("description", lang, minWidth=320, flex=2),
    ]
    for column in columns:
        if column["field"] in rows_of.SORT_COLUMNS:
            column["sortable"] = True
    return dag.AgGrid(
        id=ids.CASE_TABLE,
        rowModelType="infinite",
        columnDefs=columns,
        defaultColDef={
            "sortable": False,
            "filter": False,
            "floatingFilter": True,
            "resizable": True,
            "minWidth": 110,
            "flex": 1,
        },
        getRowId="params.data.id",
        dashGridOptions={
            "localeText": grid_text(lang),
            "animateRows": False,
            "cacheBlockSize": PAGE_BLOCK,
        },
        style={"height": "520px"},
        className="gb-table gb-case-table",
    )


def case_rows_response(
    store: Store, request: Mapping[str, Any] | None, view: Mapping[str, Any] | None
) -> dict[str, Any]:
    """getRowsResponse for a getRowsRequest: at most layers.panel.PAGE_ROW_LIMIT rows, and
    how many there are (none for a request the table does not offer)."""
    state = view_state(view)
    max_days = context.settings().max_window_days
    who = context.principal()
    rows, total = panel_reader.case_page(store, state, who, request, max_days)
    audit_personal("case_table", [row["id"] for row in rows if row["personal"]])
    return {"rowData": [_display_case(row, state.lang) for row in rows], "rowCount": total}


def case_csv(store: Store, view: Mapping[str, Any] | None) -> Any:
    """dcc.Download data: the view's newest cases from the store (masked) as UTF-8 CSV with a
    BOM, headers in the language; nothing for a window longer than the table lists."""
    state = view_state(view)
    rows = panel_reader.csv_rows(
        store, state, context.principal(), context.settings().max_window_days
    )
    if rows is None:
        return no_update  # the table's title already says the period is too long
    audit_personal("case_csv", [row["id"] for row in rows if row["personal"]])
    columns = rows_of.CASE_COLUMNS
    headers = [t(f"casecol.{key}", state.lang) for key in columns]
    content = rows_of.csv_bytes(rows, columns, headers)
    return dcc.send_bytes(content, csv_name(state), type="text/csv;charset=utf-8")


def csv_name(state: ViewState) -> str:
    """The CSV's file name: what it lists and over which window."""
    scope = state.area or state.street
    return f"gridboard-cases-{scope}-{state.window.replace('..', '_')}.csv"
