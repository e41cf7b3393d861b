"""The rules a case or a visit obeys on its way into the store, written once: the importer
collects every broken one (to name every bad row), the store refuses a write breaking any.

The rules read typed values: codes, lon/lat numbers, aware timestamps, counts as numbers;
None, NaN and NaT are "not given". Turning a file's text into such values (and saying what
text could not be read) is the importer's job; turning a caller's frame into them is the
store's. A finding names its row by the frame's index label.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Collection, Hashable, Iterable
from dataclasses import dataclass, field
from enum import StrEnum

import numpy as np
import pandas as pd

from .locate import Locator
from .model import CATEGORY_BY_CODE, FINAL_STATUSES, TIMESTAMP_FIELDS, CaseSource, CaseStatus

MAX_COUNT = 100_000  # more households than any building, compound or grid cell holds
AREA_COLUMNS = ("street_code", "community_code", "compound_code", "grid_code")
VISIT_COUNTS = {"households_reached": True, "needs_found": False, "cases_raised": False}

# Ids (of cases, visits, people) are letters and digits of any script, and these marks; at
# most MAX_ID_CHARS, never starting with a mark a spreadsheet reads as a formula or with a
# space. So no markup, quotes, template braces or control characters ever sit in an id.
MAX_ID_CHARS = 64
ID_MARKS = "-_./:#（）〔〕【】 "  # ASCII ( ) not: "javascript:alert(1)" is no id
_ID_CHAR = re.compile(r"[^\W_]|[" + re.escape(ID_MARKS) + "]")
# Ids that id_problem surely passes: checked in one vectorised match, the rest one by one.
ID_FINE = rf"(?![- ])(?:{_ID_CHAR.pattern}){{0,{MAX_ID_CHARS}}}"
ID_RULE = (
    f"an id is letters, digits, spaces and {' '.join(ID_MARKS.strip())},"
    f" at most {MAX_ID_CHARS} characters, not starting with - or a space"
)
# A phone is a mobile (13812345678), a landline with its area code (0537-7321001, (0537)
# 7321001) or a 400/800 service number, each optionally after +86 (a landline then without
# its 0) and before an extension (转123, -123, ext 123, x123); spaces and dashes between digits.
_SEP = r"[ -]?"
_MOBILE = rf"1[3-9]\d{_SEP}\d{{4}}{_SEP}\d{{4}}"
_LANDLINE = rf"(?:0\d{{2,3}}|\(0\d{{2,3}}\)){_SEP}\d{{3,4}}{_SEP}\d{{4}}"
_LANDLINE_86 = rf"\(?\d{{2,3}}\)?{_SEP}\d{{3,4}}{_SEP}\d{{4}}"
_SERVICE = rf"[48]00{_SEP}\d{{3}}{_SEP}\d{{4}}"
_EXTENSION = r"(?:\s*(?:转|分机|ext\.?|x|-)\s*\d{1,6})?"
PHONE = re.compile(
    rf"(?:(?:\+|00)86{_SEP}(?:{_MOBILE}|{_LANDLINE_86})|{_MOBILE}|{_LANDLINE}|{_SERVICE})"
    rf"{_EXTENSION}",
    re.IGNORECASE,
)
PHONE_RULE = (
    "is not a phone number: write a mobile (13812345678), a landline with its area code"
    " (0537-7321001), optionally +86 before and an extension after (转123, ext 123)"
)


def id_problem(value: object) -> str | None:
    """What makes `value` unfit as an id (see ID_RULE), or None; a missing one is not
    judged here."""
    if value is None or value != value:
        return None
    text = str(value)
    if len(text) > MAX_ID_CHARS:
        return f"is {len(text)} characters; {ID_RULE}"
    bad = [c for c in text if not _ID_CHAR.fullmatch(c)]
    if bad:
        return f"holds {bad[0]!r}; {ID_RULE}"
    if text[:1] in ("-", " "):
        return f"starts with {text[0]!r}; {ID_RULE}"
    return None


def phone_problem(value: object) -> str | None:
    """PHONE_RULE when `value` is not a phone number PHONE knows, else None; a missing one
    is not judged here."""
    if value is None or value != value or str(value).strip() == "":
        return None
    return None if PHONE.fullmatch(str(value).strip()) else PHONE_RULE


class Rule(StrEnum):
    """Which rule a finding breaks; lets a caller word a finding its own way."""

    MISSING = "missing"
    EMPTY = "empty"
    REPEATED = "repeated"
    STORED = "stored"
    UNKNOWN = "unknown"
    RANGE = "range"
    UNSTAMPED = "unstamped"  # a closed (rejected) case without its closing (rejection) time
    STAMPED = "stamped"  # a closing (rejection) time on a case that is not closed (rejected)
    EARLY = "early"
    OUTSIDE = "outside"
    COUNT = "count"
    UNKNOWN_BUILDING = "unknown_building"
    UNKNOWN_CELL = "unknown_cell"
    ID_TEXT = "id_text"  # an id with characters or a length ID_RULE does not allow
    PHONE = "phone"


@dataclass(frozen=True)
class Finding:
    """One broken rule: row (index label), field, the value checked and what is wrong.
    `about` names the other fields the finding depends on (a time missing for a status)."""

    row: Hashable
    field: str
    value: object
    message: str
    rule: Rule
    about: tuple[str, ...] = ()


@dataclass(frozen=True)
class CaseCheck:
    """Case rows as checked, what is wrong with them, and where each case lies (areas,
    same index; None outside every area). `areas_revision`: the store revision whose areas
    located the points, when the caller knows it (the store then does not locate again)."""

    rows: pd.DataFrame
    findings: list[Finding]
    areas: pd.DataFrame
    areas_revision: str | None = None

    def only(self, labels: Iterable[Hashable]) -> CaseCheck:
        """The same check kept to the rows labelled `labels`."""
        keep = list(labels)
        wanted = set(keep)
        return CaseCheck(
            self.rows.loc[keep],
            [f for f in self.findings if f.row in wanted],
            self.areas.loc[keep],
            self.areas_revision,
        )


@dataclass
class _Findings:
    frame: pd.DataFrame
    found: list[Finding] = field(default_factory=list)

    def flag(
        self, mask: object, column: str, message: str, rule: Rule, about: tuple[str, ...] = ()
    ) -> None:
        values = self.frame[column]
        for row in values.index[np.asarray(mask, dtype=bool)]:
            self.found.append(Finding(row, column, values.at[row], message, rule, about))

    def required(self, column: str) -> None:
        values = self.frame[column]
        missing = values.isna().to_numpy()
        blank = ~missing & (values.astype(str).str.strip() == "").to_numpy()
        self.flag(missing, column, "is missing", Rule.MISSING)
        self.flag(blank, column, "is empty", Rule.EMPTY)

    def each(
        self,
        column: str,
        problem: Callable[[object], str | None],
        rule: Rule,
        fine: str | None = None,
    ) -> None:
        """A finding for each value of `column` that `problem` finds fault with; values whose
        text matches the regex `fine` whole are passed without asking `problem`."""
        values = self.frame[column].dropna()
        if fine is not None:
            values = values[~values.astype(str).str.fullmatch(fine).to_numpy(bool)]
        for row, value in values.items():
            message = problem(value)
            if message is not None:
                self.found.append(Finding(row, column, value, message, rule))

    def known(self, column: str, allowed: Collection[str], what: str) -> None:
        values = self.frame[column]
        bad = values.notna() & ~values.isin(allowed)
        self.flag(bad, column, f"is not a known {what}", Rule.UNKNOWN)


def _check_ids(found: _Findings, stored: Collection[str], what: str) -> None:
    """Ids given, each once, none in the store already (`stored`)."""
    found.required("id")
    found.each("id", id_problem, Rule.ID_TEXT, ID_FINE)
    ids = found.frame["id"]
    present = ids.notna()
    again = present & ids.duplicated(keep="first")
    if again.any():
        firsts = ids[present & ~ids.duplicated(keep="first")]
        first_row = pd.Series(firsts.index, index=firsts.to_numpy())
        for row in ids.index[again.to_numpy()]:
            value = ids.at[row]
            message = f"appears again (first in row {first_row[value]})"
            found.found.append(Finding(row, "id", value, message, Rule.REPEATED))
    in_store = present & ids.astype(str).isin(set(stored))
    found.flag(in_store, "id", f"is in the store's {what} already", Rule.STORED)


# --- cases ------------------------------------------------------------------------------
def check_cases(
    cases: pd.DataFrame,
    locator: Locator,
    stored: Collection[str] = (),
    categories: Collection[str] | None = None,
) -> CaseCheck:
    """Every broken case rule of every row, and the areas of each case (located once).
    `cases` has CityData's case columns; `stored`: case ids the store holds already;
    `categories`: the codes of the store's catalogue (default: the built-in one)."""
    found = _Findings(cases)
    _check_ids(found, stored, "cases")
    found.required("category")
    known = set(CATEGORY_BY_CODE) if categories is None else set(categories)
    found.known("category", known, "category")
    found.known("source", {s.value for s in CaseSource}, "source")
    found.flag(cases["reported_at"].isna(), "reported_at", "is missing", Rule.MISSING)
    found.required("status")
    found.known("status", {s.value for s in CaseStatus}, "status")
    _check_final_times(found)
    for col in TIMESTAMP_FIELDS[1:]:
        early = (cases[col] < cases["reported_at"]).to_numpy()
        found.flag(early, col, "is before reported_at", Rule.EARLY, ("reported_at",))
    placed = _check_coordinates(found)
    areas = _locate(found, locator, placed)
    return CaseCheck(cases, sorted(found.found, key=_row_order(cases)), areas)


def _check_final_times(found: _Findings) -> None:
    """A closed case has its closing time, a rejected one its rejection, an open one neither."""
    status = found.frame["status"]
    known = status.isin({s.value for s in CaseStatus}).to_numpy()
    for final in sorted(FINAL_STATUSES):
        column = f"{final.value}_at"
        stamped = found.frame[column].notna().to_numpy()
        is_final = (status == final.value).to_numpy()
        about = (column,)
        message = f"is {final.value} but {column} is empty"
        found.flag(is_final & ~stamped, "status", message, Rule.UNSTAMPED, about)
        message = f"is not {final.value} but {column} is set"
        found.flag(known & ~is_final & stamped, "status", message, Rule.STAMPED, about)


def _check_coordinates(found: _Findings) -> np.ndarray:
    """Longitude and latitude given and in range (a latitude past ±90 with a longitude
    that would do as one: swapped?); returns which rows have both right."""
    lon, lat = found.frame["lon"].astype(float), found.frame["lat"].astype(float)
    for name, number, limit in (("lon", lon, 180), ("lat", lat, 90)):
        found.flag(number.isna(), name, "is missing", Rule.MISSING)
        outside = (number.abs() > limit).to_numpy()
        swapped = outside & (name == "lat") & (lon.abs() <= 90).to_numpy()
        what = "longitude" if name == "lon" else "latitude"
        found.flag(outside & ~swapped, name, f"is not a {what} (±{limit})", Rule.RANGE)
        message = "is not a latitude (are lon and lat swapped?)"
        found.flag(swapped, name, message, Rule.RANGE, ("lon",))
    return (lon.abs().le(180) & lat.abs().le(90)).to_numpy()


def _locate(found: _Findings, locator: Locator, placed: np.ndarray) -> pd.DataFrame:
    frame = found.frame
    lon = frame["lon"].to_numpy(dtype=float)
    lat = frame["lat"].to_numpy(dtype=float)
    areas = pd.DataFrame(None, index=frame.index, columns=list(AREA_COLUMNS), dtype=object)
    where = locator.locate(lon[placed], lat[placed])
    for col in AREA_COLUMNS:
        areas.loc[placed, col] = where[col].to_numpy()
    outside = placed & areas["grid_code"].isna().to_numpy()
    for row in frame.index[outside]:
        value = f"{frame.at[row, 'lon']},{frame.at[row, 'lat']}"
        found.found.append(
            Finding(row, "lon,lat", value, "is outside every grid cell", Rule.OUTSIDE)
        )
    return areas


def _row_order(frame: pd.DataFrame):
    """Findings by row, in the order they were found within a row."""
    position = {label: i for i, label in enumerate(frame.index)}
    return lambda finding: position[finding.row]


# --- visits -----------------------------------------------------------------------------
def check_visits(
    visits: pd.DataFrame,
    buildings: pd.DataFrame,
    cells: Collection[str],
    stored: Collection[str] = (),
) -> tuple[list[Finding], pd.DataFrame]:
    """Every broken visit rule of every row, and each visit's areas: those of its building
    (`buildings`: id and the area columns), else of the grid cell given (one of `cells`).
    `visits` has CityData's visit columns (counts as numbers, date as a day) and may add
    grid_code; `stored`: visit ids the store holds already."""
    found = _Findings(visits)
    _check_ids(found, stored, "visits")
    found.required("worker_id")
    found.flag(visits["date"].isna(), "date", "is missing", Rule.MISSING)
    for col, required in VISIT_COUNTS.items():
        number = pd.to_numeric(visits[col], errors="coerce")
        if required:
            found.flag(number.isna(), col, "is missing", Rule.MISSING)
        bad = number.notna() & (~number.between(0, MAX_COUNT) | (number % 1 != 0))
        found.flag(bad, col, f"is not a whole number from 0 to {MAX_COUNT:,}", Rule.COUNT)
    areas = _visit_areas(found, buildings, set(cells))
    return sorted(found.found, key=_row_order(visits)), areas


def _visit_areas(found: _Findings, buildings: pd.DataFrame, cells: set[str]) -> pd.DataFrame:
    frame = found.frame
    building = frame["building_id"]
    grid = frame["grid_code"] if "grid_code" in frame else pd.Series(None, index=frame.index)
    by_id = buildings.set_index(buildings["id"].astype(str))[list(AREA_COLUMNS)]
    given = building.notna()
    known = given & building.astype(str).isin(by_id.index)
    found.flag(given & ~known, "building_id", "is not a building in the store",
               Rule.UNKNOWN_BUILDING)  # fmt: skip
    from_cell = ~given & grid.notna()
    if "grid_code" in frame:
        bad_cell = from_cell & ~grid.astype(str).isin(cells)
        found.flag(bad_cell, "grid_code", "is not a grid cell in the store", Rule.UNKNOWN_CELL)
    found.flag(~given & grid.isna(), "building_id", "is missing (and no grid_code)",
               Rule.MISSING, ("grid_code",))  # fmt: skip
    areas = by_id.reindex(building.astype(str).where(known)).set_axis(frame.index)
    cell = grid[from_cell].astype(str)
    areas.loc[from_cell, "grid_code"] = cell.to_numpy()
    areas.loc[from_cell, "community_code"] = cell.str[:12].to_numpy()
    areas.loc[from_cell, "street_code"] = cell.str[:9].to_numpy()
    return areas.astype(object).where(areas.notna(), None)


# --- staff ------------------------------------------------------------------------------
def check_contacts(
    frame: pd.DataFrame, ids: tuple[str, ...] = (), phones: tuple[str, ...] = ()
) -> list[Finding]:
    """Ids (columns `ids`) and phone numbers (columns `phones`) of a roster's people and
    organisations that break ID_RULE or PHONE_RULE, row by row."""
    found = _Findings(frame)
    for column in ids:
        found.each(column, id_problem, Rule.ID_TEXT, ID_FINE)
    for column in phones:
        found.each(column, phone_problem, Rule.PHONE)
    return sorted(found.found, key=_row_order(frame))
