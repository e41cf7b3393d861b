"""Conversions between the store's rows and frames/model objects, with validation of writes."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Collection, Iterator
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from . import geopackage as gp
from . import rules, sqlrows
from .city import COLUMNS, FAR_CHECKIN_M, CityData
from .codes import is_valid
from .locate import Locator
from .model import (
    LOCAL_TZ,
    TIMESTAMP_FIELDS,
    Case,
    CaseSource,
    CaseStatus,
    Level,
    OrgKind,
    Role,
    StaffMember,
    StaffRole,
)
from .store import StoreError, Window

_TZ_SUFFIX = re.compile(r"(Z|[+-]\d{2}:?\d{2})$")
MAX_HOUSEHOLDS = rules.MAX_COUNT
MAX_REPORTED = 20  # bad rows named in one error message; the rest are counted


class RecordError(StoreError):
    """Rows that cannot be written; the message names table, row and field."""


# --- time -------------------------------------------------------------------------------
def utc_text(moment: dt.datetime) -> str:
    """A timezone-aware time as the GeoPackage DATETIME text the store keeps (UTC)."""
    return moment.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def local_dates(window: Window) -> tuple[str, str]:
    """First and last local calendar day (ISO text) touched by the half-open window."""
    first, last = window.local_days()
    return first.isoformat(), last.isoformat()


def aware_times(values: pd.Series, table: str, column: str) -> pd.Series:
    """Times as one UTC column (NaT where not given); several offsets are fine, a time
    without one is not."""
    parsed = _parse_times(values, table, column)
    bad = parsed.isna() & values.notna()
    raise_rows(table, column, bad, values, "is not a time")
    if parsed.isna().all():
        return pd.Series(pd.NaT, index=values.index, dtype="datetime64[ns, UTC]")
    if parsed.dt.tz is None:
        raise RecordError(f"{table}: column {column} has times without a timezone")
    return parsed.dt.tz_convert("UTC")


def case_times(frame: pd.DataFrame) -> pd.DataFrame:
    """Cases read from the store with their time columns as aware UTC times (in place)."""
    for col in (*TIMESTAMP_FIELDS, "due_at"):
        frame[col] = pd.to_datetime(frame[col], utc=True, format="ISO8601")
    return frame


def utc_text_column(times: pd.Series) -> np.ndarray:
    """Aware times as the store's DATETIME text (None for NaT)."""
    if times.isna().all():
        return np.full(len(times), None, dtype=object)
    naive = times.dt.tz_convert("UTC").dt.tz_localize(None).to_numpy("datetime64[s]")
    text = np.char.add(np.datetime_as_string(naive, unit="s"), "Z").astype(object)
    text[times.isna().to_numpy()] = None
    return text


def _parse_times(values: pd.Series, table: str, column: str) -> pd.Series:
    """Times as one timezone-aware column; several offsets are fine, a missing one is not."""
    try:
        return pd.to_datetime(values, errors="coerce", format="mixed")
    except (ValueError, TypeError):  # offsets differ between rows, or aware and naive mixed
        pass
    naive = values.map(_lacks_timezone)
    raise_rows(table, column, naive, values, "has no timezone")
    return pd.to_datetime(values, errors="coerce", format="mixed", utc=True)


def _lacks_timezone(value: object) -> bool:
    if isinstance(value, dt.datetime):
        return value.tzinfo is None
    if isinstance(value, str):
        return not _TZ_SUFFIX.search(value.strip())
    return False


def _date_text_column(values: pd.Series, table: str) -> np.ndarray:
    parsed = pd.to_datetime(values, errors="coerce", format="mixed")
    raise_rows(table, "date", parsed.isna(), values, "is not a date")
    if parsed.dt.tz is not None:  # a moment, not a day: the day it was in China
        parsed = parsed.dt.tz_convert(LOCAL_TZ).dt.tz_localize(None)
    return np.datetime_as_string(parsed.to_numpy("datetime64[D]"), unit="D").astype(object)


# --- validation -------------------------------------------------------------------------
def raise_rows(table: str, column: str, bad: Any, values: pd.Series, problem: str) -> None:
    bad = np.asarray(bad, dtype=bool)
    if not bad.any():
        return
    rows = np.flatnonzero(bad)
    lines = [
        f"row {i + 1}: {column} {_plain(values.iloc[i])!r} {problem}" for i in rows[:MAX_REPORTED]
    ]
    more = len(rows) - MAX_REPORTED
    tail = f"; and {more} more rows" if more > 0 else ""
    raise RecordError(f"{table}: {len(rows)} bad rows — " + "; ".join(lines) + tail)


def _plain(value: Any) -> Any:
    return value.item() if isinstance(value, np.generic) else value


def check_new_ids(con: Any, table: str, ids: pd.Series) -> None:
    """Raise RecordError naming the rows whose id the table holds already."""
    con.execute("CREATE TEMP TABLE IF NOT EXISTS new_ids (id TEXT)")
    con.execute("DELETE FROM new_ids")
    sqlrows.bulk_insert(con, "new_ids", ["id"], ((str(i),) for i in ids))
    taken = {
        r[0] for r in con.execute(f"SELECT id FROM {table} WHERE id IN (SELECT id FROM new_ids)")
    }
    con.execute("DELETE FROM new_ids")
    raise_rows(table, "id", ids.astype(str).isin(taken), ids, "is in the store already")


def require_columns(frame: pd.DataFrame, table: str, required: tuple[str, ...]) -> None:
    missing = [c for c in required if c not in frame.columns]
    if missing:
        raise RecordError(f"{table}: missing columns {', '.join(missing)}")


def check_ids(frame: pd.DataFrame, table: str, column: str = "id") -> None:
    ids = frame[column]
    blank = ids.isna() | (ids.astype(str).str.strip() == "")
    raise_rows(table, column, blank, ids, "is empty")
    raise_rows(table, column, ids.duplicated(keep="first"), ids, "is repeated")


def check_members(frame: pd.DataFrame, table: str, column: str, allowed: set[str]) -> None:
    values = frame[column]
    raise_rows(table, column, ~values.isin(allowed), values, "is not one of the known values")


# --- cases and visits -------------------------------------------------------------------
# How the store words a refusal where its callers know its own words (see rules.Rule).
_STORE_WORDS = {
    rules.Rule.UNSTAMPED: "has no {about}",
    rules.Rule.STAMPED: "but {about} is set",
    rules.Rule.UNKNOWN_BUILDING: "is not a known building",
    rules.Rule.UNKNOWN_CELL: "is not a known grid cell",
}


def refuse(table: str, findings: list[rules.Finding], given: pd.DataFrame | None = None) -> None:
    """Raise RecordError naming the findings, with the values as `given` (same row labels)
    where it has the field."""
    if not findings:
        return
    lines = []
    for f in findings[:MAX_REPORTED]:
        value = given.at[f.row, f.field] if given is not None and f.field in given else f.value
        words = _STORE_WORDS.get(f.rule, f.message).format(about=", ".join(f.about))
        lines.append(f"row {f.row}: {f.field} {_plain(value)!r} {words}")
    more = len(findings) - MAX_REPORTED
    tail = f"; and {more} more problems" if more > 0 else ""
    bad = len({f.row for f in findings})
    raise RecordError(f"{table}: {bad} bad rows — " + "; ".join(lines) + tail)


def typed_cases(cases: pd.DataFrame) -> pd.DataFrame:
    """A caller's case rows in CityData's columns with numbers and aware UTC times, rows
    labelled from 1; a time that is not one, or has no timezone, is a RecordError."""
    require_columns(cases, "cases", ("id", "category", "status", "lon", "lat", "reported_at"))
    cases = cases.reset_index(drop=True)
    out = pd.DataFrame({c: cases.get(c, None) for c in COLUMNS["cases"]})
    out["lon"] = pd.to_numeric(cases["lon"], errors="coerce")
    out["lat"] = pd.to_numeric(cases["lat"], errors="coerce")
    for col in (*TIMESTAMP_FIELDS, "due_at"):
        given = cases[col] if col in cases else pd.Series(None, index=cases.index, dtype=object)
        out[col] = aware_times(given, "cases", col)
    return out.set_axis(pd.RangeIndex(1, len(out) + 1))


def prepare_cases(
    cases: pd.DataFrame, locator: Locator, categories: Collection[str] | None = None
) -> pd.DataFrame:
    """Case rows checked by the case rules (a point outside every grid cell is kept, with no
    areas; `categories`: the catalogue's codes), with UTC time text and the areas each case
    lies in."""
    typed = typed_cases(cases)
    check = rules.check_cases(typed, locator, categories=categories)
    given = cases.reset_index(drop=True).set_axis(typed.index)
    # The store keeps a case outside every cell (the city demo has a few); imports refuse it.
    refuse("cases", [f for f in check.findings if f.rule is not rules.Rule.OUTSIDE], given)
    return checked_cases(check)


def checked_cases(check: rules.CaseCheck) -> pd.DataFrame:
    """Rows ready to insert from a case check: UTC time text, then the areas."""
    out = check.rows[list(COLUMNS["cases"])].copy()
    for col in (*TIMESTAMP_FIELDS, "due_at"):
        out[col] = utc_text_column(pd.to_datetime(out[col], utc=True))
    out = pd.concat([out, check.areas[list(rules.AREA_COLUMNS)]], axis=1)
    return out.reset_index(drop=True)


def prepare_case_work(
    work: pd.DataFrame, events: pd.DataFrame, cases: pd.DataFrame
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The case machine's rows of a city (case_work, case_events) ready to insert: every one
    names a case of `cases` (prepared), event times as UTC text."""
    work = work[list(COLUMNS["case_work"])].reset_index(drop=True)
    events = events[list(COLUMNS["case_events"])].reset_index(drop=True)
    known = set(cases["id"]) if len(cases) else set()
    for table, frame in (("case_work", work), ("case_events", events)):
        stray = ~frame["case_id"].isin(known)
        if stray.any():
            at = int(np.flatnonzero(stray.to_numpy())[0])
            raise RecordError(f"{table} row {at + 1}: case_id {frame['case_id'][at]!r} is no case")
    events = events.assign(at=utc_text_column(pd.to_datetime(events["at"], utc=True)))
    return work, events


def prepare_visits(visits: pd.DataFrame, con: Any) -> pd.DataFrame:
    """Visit rows checked by the visit rules; areas come from the visited building (or a
    given grid_code)."""
    require_columns(visits, "visits", ("id", "worker_id", "date", "households_reached"))
    visits = visits.reset_index(drop=True).set_axis(pd.RangeIndex(1, len(visits) + 1))
    out = pd.DataFrame({c: visits.get(c, None) for c in COLUMNS["visits"]})
    out["date"] = _date_text_column(visits["date"], "visits")
    for col in rules.VISIT_COUNTS:
        out[col] = pd.to_numeric(out[col], errors="coerce")
    if "grid_code" in visits:
        out["grid_code"] = visits["grid_code"]
    buildings = sqlrows.frame(
        con, "SELECT id, street_code, community_code, compound_code, grid_code FROM buildings"
    )
    cells = {r[0] for r in con.execute("SELECT code FROM grid_cells")}
    findings, areas = rules.check_visits(out, buildings, cells)
    refuse("visits", findings, visits)
    for col in rules.VISIT_COUNTS:
        out[col] = out[col].fillna(0).astype(np.int64)
    out = pd.concat([out[list(COLUMNS["visits"])], areas, _visit_extras(visits)], axis=1)
    return out.reset_index(drop=True)


MAX_NOTE_CHARS = 2000
MAX_CHECKIN_M = 1_000_000.0


def _visit_extras(visits: pd.DataFrame) -> pd.DataFrame:
    """The optional visit columns given (OPTIONAL_VISIT_COLUMNS), checked; far, when not
    given, follows from a given check-in distance."""
    out = pd.DataFrame(index=visits.index)
    if "residents_met" in visits:
        met = _numbers(visits, "residents_met", 0, MAX_HOUSEHOLDS, whole=True)
        out["residents_met"] = met.astype(object).where(met.notna(), None)
    if "checkin_m" in visits:
        out["checkin_m"] = _numbers(visits, "checkin_m", 0, MAX_CHECKIN_M, whole=False)
    if "far" in visits:
        far = _numbers(visits, "far", 0, 1, whole=True)
        out["far"] = far.astype(object).where(far.notna(), None)
    elif "checkin_m" in out:
        far = (out["checkin_m"] > FAR_CHECKIN_M).astype(np.int64).astype(object)
        out["far"] = far.where(out["checkin_m"].notna(), None)
    if "notes" in visits:
        notes = visits["notes"].astype(object).where(visits["notes"].notna(), None)
        long = notes.map(lambda n: n is not None and len(str(n)) > MAX_NOTE_CHARS)
        raise_rows("visits", "notes", long, notes, f"is longer than {MAX_NOTE_CHARS} characters")
        out["notes"] = notes.map(lambda n: None if n is None else str(n))
    return out


def _numbers(
    frame: pd.DataFrame, column: str, low: float, high: float, *, whole: bool
) -> pd.Series:
    """A column of numbers from `low` to `high` (whole ones if `whole`), NaN where not given."""
    given = frame[column]
    number = pd.to_numeric(given, errors="coerce")
    bad = given.notna() & (number.isna() | ~number.between(low, high))
    if whole:
        bad |= number.notna() & (number % 1 != 0)
    kind = "a whole number" if whole else "a number"
    raise_rows("visits", column, bad, given, f"is not {kind} from {low:g} to {high:,g}")
    return number.astype(float)


def visit_links(visits: pd.DataFrame) -> pd.DataFrame:
    """The tagged households each visit reached, from its optional household_ids (a list, or
    ids separated by commas): row (from 1), visit_id, household_id."""
    columns = ["row", "visit_id", "household_id"]
    if "household_ids" not in visits or visits.empty:
        return pd.DataFrame({c: pd.Series(dtype=object) for c in columns})
    lists = [_id_list(v) for v in visits["household_ids"]]
    rows = np.repeat(np.arange(1, len(visits) + 1), [len(x) for x in lists])
    ids = visits["id"].astype(str).to_numpy(dtype=object)[rows - 1]
    return pd.DataFrame(
        {"row": rows, "visit_id": ids, "household_id": [h for x in lists for h in x]},
        columns=columns,
    )


def _id_list(value: object) -> list[str]:
    if value is None or (isinstance(value, float) and np.isnan(value)):
        return []
    if isinstance(value, str):
        value = value.replace("，", ",").split(",")
    return [str(v).strip() for v in value if str(v).strip()]


# --- the city ---------------------------------------------------------------------------
def prepare_city(city: CityData) -> tuple[dict[str, pd.DataFrame], Locator]:
    """Frames ready to insert, in insert order, with households summed from buildings;
    and a Locator over the city's areas."""
    geo = {t: _to_wgs84(getattr(city, t)) for t in ("streets", "communities", "compounds")}
    geo["grid_cells"] = _to_wgs84(city.grid_cells)
    geo["buildings"] = _to_wgs84(city.buildings)
    geo["roads"] = _to_wgs84(city.roads)
    _check_areas(geo)
    locator = Locator(geo["grid_cells"], geo["compounds"], geo["communities"], geo["streets"])
    buildings = _place_buildings(geo["buildings"], locator)
    households = buildings.groupby("grid_code")["households"].sum()
    geo["grid_cells"]["households"] = geo["grid_cells"]["code"].map(households).fillna(0)
    by_comm = geo["grid_cells"].groupby("community_code")["households"].sum()
    geo["communities"]["households"] = geo["communities"]["code"].map(by_comm).fillna(0)
    by_street = geo["communities"].groupby("street_code")["households"].sum()
    geo["streets"]["households"] = geo["streets"]["code"].map(by_street).fillna(0)
    geo["buildings"] = buildings
    tables = {t: with_blob(f, multi=t not in ("buildings", "roads")) for t, f in geo.items()}
    for table in ("organisations", "persons", "roles"):
        tables[table] = getattr(city, table)[list(COLUMNS[table])]
    return tables, locator


def _to_wgs84(frame: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    if frame.crs is None:
        raise RecordError("a geometry table has no coordinate reference system")
    return frame.to_crs(4326).reset_index(drop=True)


def _check_areas(geo: dict[str, gpd.GeoDataFrame]) -> None:
    for table, level in (
        ("streets", Level.STREET),
        ("communities", Level.COMMUNITY),
        ("compounds", Level.COMPOUND),
        ("grid_cells", Level.GRID),
    ):
        frame = geo[table]
        check_ids(frame, table, "code")
        bad = ~frame["code"].map(lambda c, lv=level: is_valid(lv, c))
        raise_rows(table, "code", bad, frame["code"], f"is not a valid {level.value} code")
        raise_rows(table, "geometry", ~frame.geometry.is_valid, frame["code"], "has bad geometry")
    for table, column, parent in (
        ("communities", "street_code", "streets"),
        ("compounds", "community_code", "communities"),
        ("grid_cells", "community_code", "communities"),
    ):
        known = set(geo[parent]["code"])
        values = geo[table][column]
        raise_rows(table, column, ~values.isin(known), values, f"is not in {parent}")


def _place_buildings(buildings: gpd.GeoDataFrame, locator: Locator) -> gpd.GeoDataFrame:
    check_ids(buildings, "buildings")
    xy = shapely.get_coordinates(buildings.geometry.values)
    where = locator.locate(xy[:, 0], xy[:, 1])
    out = buildings.copy()
    for col in ("grid_code", "community_code", "street_code"):
        out[col] = where[col].to_numpy()
    given = out["compound_code"] if "compound_code" in out else pd.Series(None, index=out.index)
    out["compound_code"] = given.where(given.notna(), where["compound_code"])
    return out


def with_blob(frame: gpd.GeoDataFrame, multi: bool) -> pd.DataFrame:
    """Rows to insert: the geometry as a GeoPackage blob first (polygons as MultiPolygons when
    `multi`), then the attribute columns; the bounds ride along for the layer's extent."""
    geoms = frame.geometry.values
    single = shapely.get_type_id(geoms) == 3 if multi else np.zeros(len(geoms), dtype=bool)
    if single.any():  # shapely.multipolygons fails on an empty list
        geoms = np.asarray(geoms, dtype=object)
        geoms[single] = shapely.multipolygons(geoms[single, None].tolist())
    out = pd.DataFrame(frame.drop(columns=frame.geometry.name))
    out.insert(0, "geom", gp.encode(geoms))
    out.attrs["bounds"] = frame.total_bounds if len(frame) else None
    return out


def rows(frame: pd.DataFrame) -> Iterator[tuple]:
    """Rows as tuples of plain Python values, None for missing."""
    columns = []
    for name in frame.columns:
        col = frame[name]
        values = col.to_numpy(dtype=object, copy=True)
        values[pd.isna(values)] = None
        columns.append(values.tolist())
    return zip(*columns, strict=True)


# --- reading back -----------------------------------------------------------------------
def combine_metrics(
    base: pd.DataFrame, cases: pd.DataFrame, visits: pd.DataFrame, window: Window
) -> pd.DataFrame:
    """Metrics per area from the raw group-by counts; every area of `base` present."""
    out = base.join(cases, how="left").join(visits, how="left")
    for col in ("cases", "open_cases", "overdue_cases", "visits", "households_reached"):
        out[col] = out.get(col, pd.Series(dtype=float)).fillna(0).astype(np.int64)
    households = out["households"].where(out["households"] > 0)
    out["cases_per_1000"] = out["cases"] / households * 1000
    out["visits_per_100"] = out["households_reached"] / households * 100
    last = pd.to_datetime(out.get("last_visit", pd.Series(dtype=object)), errors="coerce")
    out["last_visit"] = last.dt.date.where(last.notna(), None)
    reference = pd.Timestamp(local_dates(window)[1])
    out["days_since_visit"] = (reference - last).dt.days.astype(float)
    return out


_AREA_ROLE_ORDER = (
    Role.GRID_WORKER,
    Role.PROPERTY_ADMINISTRATOR,
    Role.SERVICE_QUALITY_DIRECTOR,
    Role.PROJECT_MANAGER,
    Role.BUILDING_MANAGER,
    Role.OWNERS_CHAIR,
    Role.PART_TIME_MEMBER,
    Role.SECRETARY,
    Role.DIRECTOR,
    Role.COMMITTEE_MEMBER,
)


def staff_members(rows_: pd.DataFrame, related: set[str], code: str) -> list[StaffMember]:
    """One StaffMember per person, ordered by their most relevant role for the area `code`."""
    members = []
    for person_id, group in rows_.groupby("person_id", sort=False):
        roles = tuple(
            StaffRole(
                role=Role(r.role),
                org_id=r.org_id,
                org_name=r.org_name,
                org_kind=OrgKind(r.org_kind),
                area_level=Level(r.area_level),
                area_code=r.area_code,
            )
            for r in group.itertuples()
        )
        first = _none_for_missing(group.iloc[0].to_dict())
        members.append(StaffMember(str(person_id), first["name"], first["phone"] or "", roles))

    def rank(member: StaffMember) -> tuple[int, int, str]:
        here = [r for r in member.roles if r.area_code in related]
        own = min((0 if r.area_code == code else 1 for r in here), default=2)
        best = min((_AREA_ROLE_ORDER.index(r.role) for r in here), default=len(_AREA_ROLE_ORDER))
        return best, own, member.person_id

    return sorted(members, key=rank)


def _none_for_missing(row: dict) -> dict:
    """pandas reads a NULL text as NaN; model objects want None."""
    return {
        k: (None if not isinstance(v, pd.Timestamp) and _is_na(v) else v) for k, v in row.items()
    }


def _is_na(value: object) -> bool:
    return value is None or (isinstance(value, float) and value != value)


def case_from_row(row: dict) -> Case:
    row = _none_for_missing(row)
    times = {f: row[f].to_pydatetime() for f in TIMESTAMP_FIELDS if f in row and pd.notna(row[f])}
    due = row.get("due_at")
    return Case(
        id=row["id"],
        category=row["category"],
        description=row.get("description") or "",
        source=CaseSource(row["source"]) if row.get("source") else None,
        status=CaseStatus(row["status"]),
        lon=float(row["lon"]),
        lat=float(row["lat"]),
        reported_at=times["reported_at"],
        times=times,
        due_at=due.to_pydatetime() if pd.notna(due) else None,
        assignee_id=row.get("assignee_id"),
        reporter_name=row.get("reporter_name"),
        reporter_phone=row.get("reporter_phone"),
        street_code=row.get("street_code"),
        community_code=row.get("community_code"),
        compound_code=row.get("compound_code"),
        grid_code=row.get("grid_code"),
    )
