"""Rows of the area panel and the case table from store results: staff, cases, visits, CSV."""

from __future__ import annotations

import csv
import datetime as dt
import io
import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import pandas as pd

from geodata.model import LOCAL_TZ, Case, CaseStatus, StaffMember
from geodata.store import TEXT_FILTER_OPS, CaseFilter
from layers.mask import mask_case_text, mask_name, mask_phone

# Columns of the case table and its CSV, in order. The reporter's name and phone are shown
# only to roles whose job needs them, within their scope (`personal`); masked for the rest.
CASE_COLUMNS = (
    "id",
    "reported",
    "category",
    "status",
    "community",
    "compound",
    "grid",
    "age_days",
    "overdue",
    "reporter",
    "reporter_phone",
    "description",
)
# A spreadsheet reads a cell starting with one of these as a formula (CSV injection).
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def end_of_day(day: dt.date) -> dt.datetime:
    """The moment the local (China) day `day` ends: midnight starting the next day."""
    return dt.datetime.combine(day + dt.timedelta(days=1), dt.time(), LOCAL_TZ)


def age_days(reported_at: dt.datetime, at: dt.datetime) -> int:
    """Whole days from `reported_at` to `at` (0 on the day itself; never negative)."""
    return max(0, (at - reported_at).days)


def local_date(moment: dt.datetime) -> str:
    """The local (China) ISO date of an aware moment."""
    return moment.astimezone(LOCAL_TZ).date().isoformat()


# --- staff ---------------------------------------------------------------------------------------
def staff_rows(
    staff: Sequence[StaffMember], accounts: Mapping[str, str] | None = None
) -> list[dict[str, Any]]:
    """One row per person, in the store's order: name, phone, cross-appointed flag, roles,
    and the login of the account linked to the person (`accounts`: person id → login).

    Roles keep the store's order; a role held for the same organisation in several areas
    (a building manager of two compounds) is listed once.
    """
    logins = accounts or {}
    return [{**_staff_row(member), "account": logins.get(member.person_id)} for member in staff]


def _staff_row(member: StaffMember) -> dict[str, Any]:
    roles: list[dict[str, str]] = []
    seen: set[tuple[str, str]] = set()
    for role in member.roles:
        key = (role.role.value, role.org_id)
        if key not in seen:
            seen.add(key)
            roles.append(
                {
                    "role": role.role.value,
                    "org_id": role.org_id,
                    "org_name": role.org_name,
                    "org_kind": role.org_kind.value,
                }
            )
    return {
        "person_id": member.person_id,
        "name": member.name,
        "phone": member.phone,
        "cross_appointed": member.cross_appointed,
        "roles": roles,
    }


# --- cases ---------------------------------------------------------------------------------------
def recent_case_rows(
    cases: Iterable[Case], at: dt.datetime, personal: bool = False
) -> list[dict[str, Any]]:
    """The panel's latest cases: id, reported (local date), category, status, age, overdue,
    and the reporter (name and phone; masked unless `personal`).

    `at` is the as-of moment (end of the as-of day): ages are counted to it, and a case is
    overdue when it is open and its due time has passed by then.
    """
    return [
        {
            "id": case.id,
            "reported": local_date(case.reported_at),
            "category": case.category,
            "status": case.status.value,
            "age_days": age_days(case.reported_at, at),
            "overdue": case.is_overdue(at),
            **reporter(case.reporter_name, case.reporter_phone, personal),
        }
        for case in cases
    ]


def reporter(name: object, phone: object, personal: bool) -> dict[str, str]:
    """The reporter's name and phone as a row shows them: as stored, or masked."""
    name, phone = _text(name), _text(phone)
    if personal:
        return {"reporter": name, "reporter_phone": phone}
    return {"reporter": mask_name(name), "reporter_phone": mask_phone(phone)}


def area_names(*frames: pd.DataFrame) -> dict[str, str]:
    """code → name over area frames (columns code and name); unnamed areas are left out."""
    names: dict[str, str] = {}
    for frame in frames:
        for code, name in zip(frame["code"], frame["name"], strict=True):
            if isinstance(name, str) and name:
                names[str(code)] = name
    return names


def case_table_rows(
    cases: pd.DataFrame,
    names: Mapping[str, str],
    at: dt.datetime,
    personal: Sequence[bool] | None = None,
) -> list[dict[str, Any]]:
    """One row per case of a store.cases() frame, in its order, with CASE_COLUMNS.

    `personal[i]` says whether case i's reporter is shown as stored (default: masked); each
    row says so in its key "personal" (not a column).

    Areas are shown by name where `names` knows the code, else by code ("" when the case
    lies in no such area, e.g. on a road between compounds).
    """
    if cases.empty:
        return []
    closed = {CaseStatus.CLOSED.value, CaseStatus.REJECTED.value}
    rows = []
    shown = [False] * len(cases) if personal is None else list(personal)
    for case, unmasked in zip(cases.to_dict("records"), shown, strict=True):
        reported = case["reported_at"].to_pydatetime()
        due = case.get("due_at")
        is_open = case["status"] not in closed
        rows.append(
            {
                "id": case["id"],
                "reported": local_date(reported),
                "category": case["category"],
                "status": case["status"],
                "community": _area_label(case.get("community_code"), names),
                "compound": _area_label(case.get("compound_code"), names),
                "grid": _area_label(case.get("grid_code"), names),
                "age_days": age_days(reported, at),
                "overdue": bool(is_open and pd.notna(due) and due.to_pydatetime() < at),
                **reporter(case.get("reporter_name"), case.get("reporter_phone"), unmasked),
                "description": mask_case_text(
                    _text(case.get("description")),
                    _text(case.get("reporter_name")),
                    _text(case.get("reporter_phone")),
                ),
                "personal": bool(unmasked),  # whether the reporter is shown as stored
            }
        )
    return rows


def _area_label(code: object, names: Mapping[str, str]) -> str:
    if not isinstance(code, str) or not code:
        return ""
    return names.get(code, code)


def _text(value: object) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return ""
    return str(value)


# --- the case table's pages: an AG Grid infinite-model request → a store case page ---------------
PAGE_ROW_LIMIT = 200  # rows in one answer, whatever the request asks
# Grid column → (store column, reversed): what the table sorts by; age sorts by report time.
SORT_COLUMNS = {
    "id": ("id", False),
    "reported": ("reported_at", False),
    "category": ("category", False),
    "status": ("status", False),
    "community": ("community_code", False),
    "compound": ("compound_code", False),
    "grid": ("grid_code", False),
    "age_days": ("reported_at", True),
}
FILTER_COLUMNS = ("id", "age_days")  # what the table filters by: text and number
MAX_AGE_DAYS = 100_000
_DAY = dt.timedelta(days=1)


@dataclass(frozen=True)
class PageRequest:
    """What the store is asked for one page of the case table."""

    offset: int
    limit: int
    sort: list[tuple[str, bool]]
    filters: list[list[CaseFilter]]


def page_request(request: object, at: dt.datetime) -> PageRequest | None:
    """The store's question for an AG Grid getRowsRequest (ages counted to `at`); None when
    it asks for something the table does not offer, or is not a request at all."""
    if not isinstance(request, Mapping):
        return None
    start, end = request.get("startRow"), request.get("endRow")
    if not (_count(start) and _count(end)) or end <= start:
        return None
    sort = []
    for item in _list(request.get("sortModel")):
        column = SORT_COLUMNS.get(item.get("colId")) if isinstance(item, Mapping) else None
        if column and item.get("sort") in ("asc", "desc"):
            sort.append((column[0], (item["sort"] == "desc") != column[1]))
    filters: list[list[CaseFilter]] = []
    model = request.get("filterModel") or {}
    if not isinstance(model, Mapping):
        return None
    for column, spec in model.items():
        groups = _column_filter(column, spec, at)
        if groups is None:
            return None
        filters += groups
    return PageRequest(start, min(end - start, PAGE_ROW_LIMIT), sort, filters)


def _count(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and 0 <= value <= 10**7


def _list(value: object) -> list:
    return value if isinstance(value, list) else []


def _column_filter(column: object, spec: object, at: dt.datetime) -> list[list[CaseFilter]] | None:
    """Groups (all must hold) for one column's filter model, combined conditions included."""
    if column not in FILTER_COLUMNS or not isinstance(spec, Mapping):
        return None
    if "operator" not in spec:
        return _condition(str(column), spec, at)
    parts = _list(spec.get("conditions")) or [spec.get("condition1"), spec.get("condition2")]
    each = [_condition(str(column), part, at) for part in parts]
    if any(groups is None for groups in each) or spec["operator"] not in ("AND", "OR"):
        return None
    if spec["operator"] == "AND":
        return [group for groups in each for group in groups or ()]
    if any(len(groups or ()) != 1 for groups in each):
        return None  # an OR of conditions that are themselves ANDs: not offered
    return [[f for groups in each for f in (groups or [[]])[0]]]


def _condition(column: str, spec: object, at: dt.datetime) -> list[list[CaseFilter]] | None:
    if not isinstance(spec, Mapping):
        return None
    kind, value = spec.get("type"), spec.get("filter")
    if column == "id":
        ok = isinstance(value, str) and len(value) <= 80 and kind in TEXT_FILTER_OPS
        return [[CaseFilter("id", kind, value)]] if ok else None
    low, high = _age(value), _age(spec.get("filterTo"))
    if low is None or (kind == "inRange" and high is None):
        return None
    at_least = [CaseFilter("reported_at", "until", at - low * _DAY)]  # age >= low
    bounds = {
        "equals": [at_least, [_age_at_most(low, at)]],
        "notEqual": [
            [_age_at_most(low - 1, at), CaseFilter("reported_at", "until", at - (low + 1) * _DAY)]
        ],
        "greaterThanOrEqual": [at_least],
        "greaterThan": [[CaseFilter("reported_at", "until", at - (low + 1) * _DAY)]],
        "lessThanOrEqual": [[_age_at_most(low, at)]],
        "lessThan": [[_age_at_most(low - 1, at)]],
        "inRange": [at_least, [_age_at_most(high or 0, at)]],
    }
    return bounds.get(str(kind))


def _age(value: object) -> int | None:
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    ok = isinstance(value, int) and not isinstance(value, bool) and 0 <= value <= MAX_AGE_DAYS
    return value if ok else None  # type: ignore[return-value]


def _age_at_most(days: int, at: dt.datetime) -> CaseFilter:
    return CaseFilter("reported_at", "after", at - (days + 1) * _DAY)


# --- visits --------------------------------------------------------------------------------------
def visit_summary(metrics: pd.DataFrame, code: str) -> dict[str, Any]:
    """Last visit (ISO date or None), visits and households reached in the window.

    `metrics` is store.metrics() for the area's level with parent=`code`; an area it does
    not hold has had no visits.
    """
    if code not in metrics.index:
        return {"last_visit": None, "visits": 0, "households_reached": 0}
    row = metrics.loc[code]
    last = row["last_visit"]
    return {
        "last_visit": last.isoformat() if pd.notna(last) and isinstance(last, dt.date) else None,
        "visits": int(row["visits"]),
        "households_reached": int(row["households_reached"]),
    }


def visit_log_rows(
    visits: pd.DataFrame,
    workers: Mapping[str, str],
    buildings: Mapping[str, str],
    personal: bool,
    limit: int = 10,
) -> list[dict[str, Any]]:
    """The area's latest visits (`visits` newest first, as store.visits gives them): date,
    worker's and building's names, households reached, needs follow-up, whether the check-in
    was flagged (far from the building or without a location; None when not known) and its
    distance, and the notes (masked unless `personal`: residents speak in them)."""
    rows = []
    for visit in visits.head(limit).to_dict("records"):
        far, metres, notes = visit.get("far"), visit.get("checkin_m"), visit.get("notes")
        day = visit["date"]
        rows.append(
            {
                "id": str(visit["id"]),
                "date": day.isoformat() if isinstance(day, dt.date) else str(day),
                "worker": workers.get(str(visit["worker_id"]), str(visit["worker_id"])),
                "building": buildings.get(str(visit["building_id"]), _text(visit["building_id"])),
                "households_reached": int(visit["households_reached"]),
                "follow_up": bool(visit["needs_found"]),
                "far": None if far is None or pd.isna(far) else bool(far),
                "distance_m": None if metres is None or pd.isna(metres) else round(metres),
                "notes": _text(notes) if personal else mask_case_text(_text(notes)),
            }
        )
    return rows


# --- CSV -----------------------------------------------------------------------------------------
def csv_bytes(
    rows: Iterable[Mapping[str, Any]], columns: Sequence[str], headers: Sequence[str]
) -> bytes:
    """UTF-8 CSV with a byte-order mark (so Excel reads Chinese right): a header row, then
    `columns` of each row. Text that a spreadsheet would run as a formula is quoted with '."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(headers)
    for row in rows:
        writer.writerow([_cell(row.get(key)) for key in columns])
    return out.getvalue().encode("utf-8-sig")


def _cell(value: object) -> object:
    if value is None:
        return ""
    if isinstance(value, str) and value.startswith(_FORMULA_START):
        return "'" + value
    return value
