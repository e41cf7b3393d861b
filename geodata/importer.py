"""Record files into the store — cases, visits, staff, Open311 requests — all or nothing.

Every row is checked before anything is written and every problem is collected (its line as a
spreadsheet shows it, header = line 1; field, value, what is wrong). A file with any bad row
writes nothing and raises ImportProblems; with `skip_bad` the good rows are written and the
bad ones go to a reject file (the rows as they were plus `line` and `reason` columns). The
store's own writes are one transaction each, so an import killed mid-way leaves the store as
it was.

due_at is the given due time, else dispatched_at plus the category's time limit; a case
dispatched or later whose file has no dispatch time is timed from its report.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable
from contextlib import ExitStack
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TypedDict, Unpack

import numpy as np
import pandas as pd
import pyproj

from . import rules
from .atomic import replacing
from .catalogue import added_category
from .city import COLUMNS
from .codes import CodeError, level_of
from .crs import CrsError, parse_crs, points_to_wgs84
from .locate import Locator
from .model import (
    CATEGORIES,
    LIFE_CYCLE,
    LOCAL_TZ,
    TIMESTAMP_FIELDS,
    CaseStatus,
    Category,
    Level,
    Role,
)
from .open311 import open311_field, open311_table, read_open311
from .store import Store
from .tabular import (
    ImportProblems,
    Mapping,
    Problem,
    TabularError,
    category_table,
    looked_for,
    map_values,
    org_kind_table,
    read_table,
    recognise,
    role_table,
    source_table,
    status_table,
)
from .timetext import parse_times
from .worktime import WorkClock, times_to_seconds

FUTURE_SLACK = dt.timedelta(hours=1)  # clocks differ a little; a report from tomorrow is wrong
Log = Callable[[str], None]
DISPATCHED_OR_LATER = {s.value for s in LIFE_CYCLE[LIFE_CYCLE.index(CaseStatus.DISPATCHED) :]}

# Which organisation kind a role belongs to when the roster does not say.
ROLE_ORG_KIND = {
    Role.PROPERTY_ADMINISTRATOR: "property_company",
    Role.PROJECT_MANAGER: "property_company",
    Role.BUILDING_MANAGER: "property_company",
    Role.OWNERS_CHAIR: "owners_committee",
}


@dataclass
class Report:
    """What an import did."""

    kind: str
    path: Path
    rows: int
    written: int
    problems: list[Problem] = field(default_factory=list)
    rejects: Path | None = None
    unit: str = "row"
    added: list[Category] = field(default_factory=list)  # categories added to the catalogue

    @property
    def rejected(self) -> int:
        return len({p.row for p in self.problems})


@dataclass
class _Checked:
    """Rows ready for the store (index: lines of the file) and the problems found."""

    frame: pd.DataFrame
    problems: list[Problem] = field(default_factory=list)
    cases: rules.CaseCheck | None = None  # cases: the rules' check, areas located
    added: list[Category] = field(default_factory=list)  # cases: categories new to the store

    def added_for(self, good: pd.DataFrame) -> list[Category]:
        """The new categories the `good` rows use."""
        used = set(good["category"]) if "category" in good else set()
        return [c for c in self.added if c.code in used]

    def flag(self, mask: object, values: pd.Series, field_: str, message: str) -> None:
        mask = np.asarray(mask, dtype=bool)
        for row in values.index[mask]:
            self.problems.append(Problem(int(row), field_, _shown(values.at[row]), message))

    def flag_each(self, messages: pd.Series, values: pd.Series, field_: str) -> None:
        for row, message in messages.dropna().items():
            self.problems.append(Problem(int(row), field_, _shown(values.at[row]), message))

    @property
    def bad_rows(self) -> set[int]:
        return {p.row for p in self.problems}


def _shown(value: object) -> str:
    return "" if value is None or (isinstance(value, float) and value != value) else str(value)


# --- entry points -----------------------------------------------------------------------
class Options(TypedDict, total=False):
    """How an import runs: `skip_bad` writes the good rows and the bad ones to `rejects`
    (default: beside the file); `progress` shows a bar while reading; `log` hears each step;
    `crs` names the system of a case file's coordinates."""

    skip_bad: bool
    add_categories: bool  # cases: categories the catalogue lacks are added to it
    rejects: Path | None
    progress: bool
    log: Log | None
    crs: str | None  # cases: the coordinates' system (EPSG:NNNN, gcj02); default WGS-84


def import_cases(
    store: Store, path: Path, mapping: Mapping | None = None, **options: Unpack[Options]
) -> Report:
    """Cases from a CSV or XLSX file; each is placed in its grid cell and compound."""
    mapping = mapping or Mapping()
    crs = _crs(options)
    raw, table = _read(path, "cases", mapping, options)
    checked = _checked_cases(store, table, mapping, crs, options.get("add_categories", False))
    return _finish("cases", _case_writer(store, checked), path, raw, checked, options)


def import_visits(
    store: Store, path: Path, mapping: Mapping | None = None, **options: Unpack[Options]
) -> Report:
    """Door-to-door visits from a CSV or XLSX file; areas come from the building or cell."""
    mapping = mapping or Mapping()
    raw, table = _read(path, "visits", mapping, options)
    checked = check_visits(table, store)
    return _finish("visits", store.add_visits, path, raw, checked, options)


def import_staff(
    store: Store,
    path: Path,
    mapping: Mapping | None = None,
    *,
    replace: bool = False,
    **options: Unpack[Options],
) -> Report:
    """A staff roster (one row per person and role) from a CSV or XLSX file; `replace`
    replaces the stored roster instead of adding to it."""
    mapping = mapping or Mapping()
    raw, table = _read(path, "staff", mapping, {**options, "log": None})
    checked = check_staff(table, mapping, store, replace=replace)

    def write(rows: pd.DataFrame) -> int:
        orgs, people, roles = staff_frames(rows)
        return store.write_staff(orgs, people, roles, replace=replace)

    return _finish("staff", write, path, raw, checked, options)


def import_open311(
    store: Store, path: Path, mapping: Mapping | None = None, **options: Unpack[Options]
) -> Report:
    """GeoReport v2 service requests (a JSON array, or an object with service_requests)."""
    mapping = mapping or Mapping()
    crs = _crs(options)
    requests = read_open311(path)
    table, shape_problems = open311_table(requests, mapping)
    checked = _checked_cases(store, table, mapping, crs, options.get("add_categories", False))
    checked.problems[:0] = shape_problems
    checked.problems = [open311_field(p) for p in checked.problems]
    raw = pd.DataFrame({"request": requests}, index=table.index)
    write = _case_writer(store, checked)
    return _finish("cases", write, path, raw, checked, options, unit="request")


# --- shared steps -----------------------------------------------------------------------
def _say(log: Log | None, text: str) -> None:
    if log is not None:
        log(text)


def _read(
    path: Path, kind: str, mapping: Mapping, options: Options
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The file as read (for the reject file) and as a table in our columns."""
    log = options.get("log")
    raw = read_table(path, mapping, options.get("progress", False))
    if raw.empty:
        raise TabularError(f"{path}: no records below the header row")
    table = recognise(raw, kind, mapping, path)
    _say(log, f"read {len(table):,} rows from {path}; checking")
    return raw, table


def _whole_row_problems(checked: _Checked, problems: list[Problem]) -> None:
    """A row with more or fewer fields than the header is reported as that alone: its values
    sit under the wrong headers, so what its fields seem to say is not reported."""
    if problems:
        rows = {p.row for p in problems}
        checked.problems = [p for p in checked.problems if p.row not in rows] + problems


def _locator(store: Store) -> Locator:
    levels = (Level.GRID, Level.COMPOUND, Level.COMMUNITY, Level.STREET)
    return Locator(*(store.areas(level) for level in levels))


def _crs(options: Options) -> pyproj.CRS | str | None:
    text = options.get("crs")
    try:
        return None if text is None else parse_crs(text)
    except CrsError as exc:
        raise TabularError(str(exc)) from None


def _checked_cases(
    store: Store,
    table: pd.DataFrame,
    mapping: Mapping,
    crs: pyproj.CRS | str | None = None,
    add_categories: bool = False,
) -> _Checked:
    stored = _stored_ids(store, "cases", table.get("id"))
    revision = store.revision()  # read first: areas changed after it make the store relocate
    catalogue = store.categories()
    added = _new_categories(table, mapping, catalogue) if add_categories else []
    timing = Timing((*catalogue, *added), store.work_clock())
    checked = check_cases(table, mapping, _locator(store), stored, crs, timing)
    checked.added = added
    checked.cases = replace(checked.cases, areas_revision=revision)
    return checked


def _new_categories(
    table: pd.DataFrame, mapping: Mapping, catalogue: tuple[Category, ...]
) -> list[Category]:
    """A category for each distinct value the catalogue (and mapping) does not know, in the
    order the file first names them."""
    values = table["category"].dropna().astype(str).str.strip() if "category" in table else []
    known = category_table(mapping, catalogue)
    new: dict[str, Category] = {}
    for value in dict.fromkeys(values):
        key = value.casefold()
        if value and key not in known and key not in new:
            new[key] = added_category(value)
    return list(new.values())


def _case_writer(store: Store, checked: _Checked) -> Callable[[pd.DataFrame], int]:
    """Writes the good rows with the areas the check located (not located again), and the
    categories new to the catalogue that they use, in the same transaction."""
    check = checked.cases
    return lambda good: store.add_cases(check.only(good.index), checked.added_for(good))


def _stored_ids(store: Store, table: str, ids: pd.Series | None) -> set[str]:
    """Which of the file's `ids` the store holds in `table` already."""
    if ids is None:
        return set()
    return store.existing_ids(table, ids.dropna().astype(str).str.strip())


def _finish(
    kind: str,
    write: Callable[[pd.DataFrame], int],
    path: Path,
    raw: pd.DataFrame,
    checked: _Checked,
    options: Options,
    unit: str = "row",
) -> Report:
    log = options.get("log")
    _whole_row_problems(checked, raw.attrs.get("row_problems", []))
    problems = sorted(checked.problems, key=lambda p: p.row)
    if problems and not options.get("skip_bad", False):
        raise ImportProblems(path, problems, len(raw), unit)
    bad = checked.bad_rows
    good = checked.frame[~checked.frame.index.isin(list(bad))]
    if not problems:
        _say(log, f"writing {len(good):,} {kind}")
        written = write(good) if len(good) else 0
        added = checked.added_for(good) if written else []
        return Report(kind, path, len(raw), written, problems, None, unit, added)
    reject_path = options.get("rejects") or _default_rejects(path, unit)
    _check_reject_path(path, reject_path)
    with ExitStack() as stack:
        try:  # the reject file first: a folder that cannot take it fails before any write
            staged = stack.enter_context(replacing(reject_path))
            _write_rejects(staged, raw, problems, unit)
        except OSError as exc:
            raise TabularError(
                f"{reject_path}: cannot write the reject file ({exc.strerror}); nothing was written"
            ) from exc
        _say(log, f"writing {len(good):,} {kind}")
        written = write(good) if len(good) else 0
    added = checked.added_for(good) if written else []
    return Report(kind, path, len(raw), written, problems, reject_path, unit, added)


def _default_rejects(path: Path, unit: str) -> Path:
    suffix = ".rejects.json" if unit == "request" else ".rejects.csv"
    return path.with_name(path.stem + suffix)


def _check_reject_path(path: Path, reject_path: Path) -> None:
    if reject_path.resolve() == path.resolve():
        raise TabularError(f"{reject_path}: the reject file would overwrite the input")
    if not reject_path.parent.is_dir():
        raise TabularError(f"{reject_path}: folder {reject_path.parent} does not exist")


def _write_rejects(path: Path, raw: pd.DataFrame, problems: list[Problem], unit: str) -> None:
    """The rows as they were plus a reason: CSV (with a BOM, for spreadsheets) or JSON."""
    reasons: dict[int, list[str]] = {}
    for p in problems:
        reasons.setdefault(p.row, []).append(p.reason(unit))
    rows = raw.loc[sorted(reasons)]
    text = ["; ".join(reasons[r]) for r in rows.index]
    if unit == "request":
        out = [req | {"reason": why} for req, why in zip(rows["request"], text, strict=True)]
        path.write_text(json.dumps(out, ensure_ascii=False, indent=2), encoding="utf-8")
        return
    frame = rows.copy()
    frame.columns = raw.attrs.get("headers") or list(raw.columns)
    frame["line"] = rows.index
    frame["reason"] = text
    with path.open("w", encoding="utf-8-sig", newline="") as fh:
        frame.to_csv(fh, index=False, lineterminator="\n")


def _now() -> pd.Timestamp:
    return pd.Timestamp.now(tz="UTC")


# --- cases ------------------------------------------------------------------------------
@dataclass(frozen=True)
class Timing:
    """What times a case: the category catalogue (limits and their units) and the clock."""

    categories: tuple[Category, ...] = CATEGORIES
    clock: WorkClock = field(default_factory=WorkClock)


def check_cases(
    table: pd.DataFrame,
    mapping: Mapping,
    locator: Locator,
    stored: set[str],
    crs: pyproj.CRS | str | None = None,
    timing: Timing | None = None,
) -> _Checked:
    """Case rows in the store's columns (times as aware timestamps, lon/lat brought from `crs`
    to WGS-84), every problem named: text that says nothing we know (names, times, numbers),
    then every broken case rule. `timing`: the store's catalogue and clock (default: the
    built-in catalogue on the official calendar)."""
    timing = timing or Timing()
    out = pd.DataFrame(index=table.index)
    checked = _Checked(out)
    get = _getter(table)
    out["id"] = get("id")
    names = category_table(mapping, timing.categories)
    out["category"] = _mapped(checked, get("category"), names, "category", False)
    out["description"] = get("description")
    out["source"] = _mapped(checked, get("source"), source_table(mapping), "source", False)
    for col in (*TIMESTAMP_FIELDS, "due_at"):
        out[col] = _times(checked, get(col), col)
    out["status"] = _statuses(checked, get("status"), out, mapping)
    for col in ("lon", "lat"):
        out[col] = _number(checked, get(col), col, "is not a number")
    if crs is not None:
        _to_wgs84(checked, out, table, crs)
    for col in ("assignee_id", "reporter_name", "reporter_phone"):
        out[col] = get(col)
    out["due_at"] = _due(out, timing)
    out = out[list(COLUMNS["cases"])]
    codes = [c.code for c in timing.categories]
    checked.cases = rules.check_cases(out, locator, stored, codes)
    _add_findings(checked, checked.cases.findings, table, mapping)
    checked.frame = out
    return checked


def _to_wgs84(
    checked: _Checked, out: pd.DataFrame, table: pd.DataFrame, crs: pyproj.CRS | str
) -> None:
    """Coordinates given in `crs` as WGS-84 lon/lat; a point with no place there is named."""
    given = (out["lon"].notna() & out["lat"].notna()).to_numpy()
    lon, lat = points_to_wgs84(out["lon"][given], out["lat"][given], crs)
    out.loc[given, "lon"], out.loc[given, "lat"] = lon, lat
    name = crs if isinstance(crs, str) else crs.name
    for row in out.index[given][np.isnan(lon)]:
        value = f"{table.at[row, 'lon']},{table.at[row, 'lat']}"
        checked.problems.append(Problem(int(row), "lon,lat", value, f"is not a point in {name}"))


def _getter(table: pd.DataFrame) -> Callable[[str], pd.Series]:
    empty = pd.Series(None, index=table.index, dtype=object)
    return lambda col: table.get(col, empty)


def _add_findings(
    checked: _Checked,
    findings: list[rules.Finding],
    table: pd.DataFrame,
    mapping: Mapping | None = None,
) -> None:
    """The rules' findings, shown with the file's text and lines; a value already reported as
    unreadable is not reported again (as missing, say)."""
    reported = {(p.row, p.field) for p in checked.problems}
    ids = table["id"].dropna() if "id" in table else pd.Series(dtype=object)
    first_line = pd.Series(ids.index, index=ids.to_numpy()).groupby(level=0).first()
    for f in findings:
        if any((f.row, name) in reported for name in (f.field, *f.about)):
            continue
        value = table.at[f.row, f.field] if f.field in table else f.value
        message = f.message
        if f.rule is rules.Rule.REPEATED:
            message = f"appears again (first on line {first_line[value]})"
        if f.rule is rules.Rule.UNSTAMPED and "columns" in table.attrs:
            message = _unstamped(str(f.value), f.about[0], table.attrs["columns"], mapping)
        checked.problems.append(Problem(int(f.row), f.field, _shown(value), message))


def _unstamped(status: str, column: str, found: dict[str, str], mapping: Mapping | None) -> str:
    """A closed (rejected) case without its time, saying where the time was looked for."""
    if column in found:
        return f"is {status} but {column} (column {found[column]!r}) is empty"
    looked = ", ".join(looked_for("cases", column, mapping or Mapping()))
    return (
        f"is {status} but the file has no {column} column (looked for headers: {looked});"
        f' name yours in a mapping file: [columns] {column} = "…"'
    )


def _mapped(
    checked: _Checked, values: pd.Series, table: dict, name: str, required: bool = True
) -> pd.Series:
    codes, unknown = map_values(values, table)
    hint = f"is not a known {name}; map it under [{_plural(name)}] in a --mapping file"
    if name == "category":
        hint += ", or add it to the catalogue with --add-categories"
    checked.flag(unknown, values, name, hint)
    if required:
        checked.flag(values.isna(), values, name, "is missing")
    return codes


def _plural(name: str) -> str:
    return {"category": "categories", "status": "statuses", "org_kind": "org_kinds"}.get(
        name, name + "s"
    )


def _times(checked: _Checked, values: pd.Series, name: str) -> pd.Series:
    parsed, problems = parse_times(values)
    checked.flag_each(problems, values, name)
    future = (parsed > _now() + FUTURE_SLACK).to_numpy()
    checked.flag(future, values, name, "is in the future")
    return parsed.where(~future)


def _number(checked: _Checked, text: pd.Series, name: str, message: str) -> pd.Series:
    number = pd.to_numeric(text, errors="coerce")
    checked.flag(text.notna() & number.isna(), text, name, message)
    return number


def _statuses(
    checked: _Checked, values: pd.Series, out: pd.DataFrame, mapping: Mapping
) -> pd.Series:
    """The file's statuses as codes; none given: closed, rejected or reported by the times."""
    codes, unknown = map_values(values, status_table(mapping))
    checked.flag(unknown, values, "status", "is not a known status; map it under [statuses]")
    derived = np.where(
        out["closed_at"].notna(),
        "closed",
        np.where(out["rejected_at"].notna(), "rejected", "reported"),
    )
    return codes.where(values.notna(), pd.Series(derived, index=out.index))


def _due(out: pd.DataFrame, timing: Timing) -> pd.Series:
    """Given due time, else the category's limit from dispatch on the working-time clock; a
    case past dispatch whose file has no dispatch time is timed from its report."""
    past_dispatch = out["status"].isin(DISPATCHED_OR_LATER)
    start = out["dispatched_at"].where(
        out["dispatched_at"].notna() | ~past_dispatch, out["reported_at"]
    )
    limit = out["category"].map({c.code: c.time_limit for c in timing.categories})
    unit = out["category"].map({c.code: c.time_unit.value for c in timing.categories})
    timed = (start.notna() & limit.notna()).to_numpy()
    computed = pd.Series(pd.NaT, index=out.index, dtype="datetime64[s, UTC]")
    if timed.any():
        due = timing.clock.due(
            times_to_seconds(start[timed]),
            limit[timed].to_numpy(float),
            unit[timed].to_numpy(object),
        )
        computed[timed] = pd.to_datetime(due, unit="s", utc=True)
    return out["due_at"].fillna(computed)


# --- visits -----------------------------------------------------------------------------
def check_visits(table: pd.DataFrame, store: Store) -> _Checked:
    """Visit rows in the store's columns, every problem named."""
    out = pd.DataFrame(index=table.index)
    checked = _Checked(out)
    get = _getter(table)
    out["id"] = get("id")
    out["worker_id"] = get("worker_id")
    when = _times(checked, get("date"), "date")
    out["date"] = when.dt.tz_convert(LOCAL_TZ).dt.strftime("%Y-%m-%d").where(when.notna(), None)
    for col in rules.VISIT_COUNTS:
        whole = f"is not a whole number from 0 to {rules.MAX_COUNT:,}"
        out[col] = _number(checked, get(col), col, whole)
    out["building_id"] = get("building_id")
    out["grid_code"] = get("grid_code")
    stored = _stored_ids(store, "visits", out["id"])
    cells = store.areas(Level.GRID)["code"].astype(str)
    findings, _ = rules.check_visits(out, store.buildings(), set(cells), stored)
    _add_findings(checked, findings, table)
    checked.frame = out
    return checked


# --- staff ------------------------------------------------------------------------------
def check_staff(
    table: pd.DataFrame, mapping: Mapping, store: Store, *, replace: bool = False
) -> _Checked:
    """Roster rows (person, organisation, role, area), every problem named; unless the roster
    `replace`s the stored one, its people and organisations must be new to the store."""
    out = pd.DataFrame(index=table.index)
    checked = _Checked(out)
    get = _getter(table)
    for col in ("person_id", "name", "phone", "area_code"):
        out[col] = get(col)
    checked.flag(out["person_id"].isna(), out["person_id"], "person_id", "is missing")
    checked.flag(out["name"].isna(), out["name"], "name", "is missing")
    out["role"] = _mapped(checked, get("role"), role_table(mapping), "role")
    out["area_level"] = _area_levels(checked, out["area_code"], store)
    _organisations(checked, out, get, mapping)
    contacts = rules.check_contacts(out, ids=("person_id",), phones=("phone", "org_phone"))
    _add_findings(checked, contacts, table)
    _consistent(checked, out, "person_id", ("name",))
    _consistent(checked, out, "org_id", ("org_kind", "org_name"))
    key = out[["person_id", "org_id", "role", "area_code"]].astype(str)
    repeated = key.duplicated(keep="first").to_numpy()
    checked.flag(repeated, out["person_id"], "person_id", "has the same role twice in the file")
    if not replace:
        for col, table_ in (("person_id", "persons"), ("org_id", "organisations")):
            stored = _stored_ids(store, table_, out[col])
            message = f"is in the store's {table_} already (--replace replaces the roster)"
            checked.flag(out[col].astype(str).isin(stored), out[col], col, message)
    checked.frame = out
    return checked


def _area_levels(checked: _Checked, codes: pd.Series, store: Store) -> pd.Series:
    levels = pd.Series(None, index=codes.index, dtype=object)
    for row, code in codes.dropna().items():
        try:
            levels[row] = level_of(str(code)).value
        except CodeError:
            checked.problems.append(
                Problem(int(row), "area_code", str(code), "is not an area code")
            )
    known = set()
    for level in Level:
        known |= set(store.areas(level)["code"].astype(str))
    unknown = codes.notna() & levels.notna() & ~codes.isin(known)
    checked.flag(unknown, codes, "area_code", "is not an area in the store")
    checked.flag(codes.isna(), codes, "area_code", "is missing")
    return levels


def _organisations(checked: _Checked, out: pd.DataFrame, get: Callable, mapping: Mapping) -> None:
    org_id, org_name = get("org_id"), get("org_name")
    out["org_id"] = org_id.fillna(org_name)
    out["org_name"] = org_name.fillna(org_id)
    checked.flag(out["org_id"].isna(), org_id, "org_id", "is missing (and no org_name)")
    kinds = _mapped(checked, get("org_kind"), org_kind_table(mapping), "org_kind", False)
    by_role = out["role"].map(lambda r: ROLE_ORG_KIND.get(r, "committee") if r else None)
    out["org_kind"] = kinds.fillna(by_role)
    out["org_phone"] = get("org_phone")


def _consistent(checked: _Checked, out: pd.DataFrame, key: str, columns: tuple[str, ...]) -> None:
    for col in columns:
        pairs = out[[key, col]].dropna()
        first = pairs.groupby(key, sort=False)[col].transform("first")
        first_line = pairs.index.to_series().groupby(pairs[key].to_numpy()).transform("first")
        differs = pairs[col] != first
        for row in pairs.index[differs.to_numpy()]:
            said = f"{key} {out.at[row, key]}'s first line, line {first_line[row]}"
            message = f"differs from {said} ({first[row]!r})"
            checked.problems.append(Problem(int(row), col, str(out.at[row, col]), message))


def staff_frames(rows: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """Organisations, persons and roles (CityData's columns) from checked roster rows."""
    orgs = pd.DataFrame(
        {
            "id": rows["org_id"],
            "kind": rows["org_kind"],
            "name": rows["org_name"],
            "area_code": None,
            "phone": rows["org_phone"],
        }
    ).drop_duplicates("id")
    people = rows[["person_id", "name", "phone"]].rename(columns={"person_id": "id"})
    roles = rows[list(COLUMNS["roles"])]
    return orgs, people.drop_duplicates("id"), roles
