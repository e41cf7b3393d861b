"""Record files (CSV, XLSX) read into rows of text; headers, dates, categories, statuses recognised.

Encodings: UTF-8 (with or without BOM) is tried strictly first, then GB18030 (a superset of
GBK and GB2312). Text that was GBK read as UTF-8 and saved again ("�", "锟斤拷", "Ã©"-style
sequences) is refused with a message saying so. A line longer than MAX_LINE_BYTES is refused
while the file is scanned, before anything is parsed.

Records are named by their line as a spreadsheet shows it: the header is line 1, the first
record line 2 (a record whose quoted text spans several lines of the file is one line there).

Headers are recognised from common Chinese and English names (HEADERS), or given in a
mapping file (`--mapping MAP.toml`), whose tables are all optional:

    [columns]            # our column = their header (or a list of possible headers)
    id = "受理编号"
    lon = ["X坐标", "经度(WGS84)"]
    [categories]         # their value = our category code (see geodata.model.CATEGORIES)
    "市容环境-垃圾暴露" = "sanitation"
    [statuses]           # their value = our status (reported … closed, rejected)
    "已回访" = "closed"
    [sources]            # their value = our case source (hotline_12345, grid_worker, …)
    "市长信箱" = "hotline_12345"
    [roles]              # their value = our role (grid_worker, building_manager, …)
    "网格长" = "grid_worker"
    [org_kinds]          # their value = committee | property_company | owners_committee
    "物业服务中心" = "property_company"
    [options]
    sheet = "Sheet2"     # XLSX: the sheet to read (default: the first)

Values are matched ignoring case and surrounding spaces; the mapping file is consulted
before the built-in names. Dates: ISO 8601 with or without offset, 2026-11-28 14:30,
2026/11/28 14:30:00, 2026.11.28, 2026年11月28日 14时30分, 2026年11月28日下午2点半, compact
digits and Excel serial day numbers (read by geodata.timetext); a time without offset is
China time (Asia/Shanghai).
"""

from __future__ import annotations

import codecs
import csv
import datetime as dt
import re
import tomllib
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from .model import CATEGORIES, CaseSource, CaseStatus, Category, OrgKind, Role
from .names import HEADERS, ORG_KIND_NAMES, ROLE_NAMES, SOURCE_NAMES, STATUS_NAMES

MAX_SHOWN = 50  # bad rows printed; the rest are counted
MAX_LINE_BYTES = 1 << 20  # one record line; a longer one is not a record (or holds a document)
CHUNK_BYTES = 1 << 20
SAMPLE_BYTES = 64 << 10
MOJIBAKE = re.compile("\ufffd|锟斤拷|[\u00c0-\u00ef][\u0080-\u00bf]")
DELIMITERS = (",", "\t", ";", "|")

REQUIRED: dict[str, tuple[str, ...]] = {
    "cases": ("id", "category", "lon", "lat", "reported_at"),
    "visits": ("id", "worker_id", "date", "households_reached"),
    "staff": ("person_id", "name", "role", "area_code"),
}


class TabularError(ValueError):
    """A file that cannot be read as records at all; the message names the file."""


def place(unit: str) -> str:
    """The word naming where a problem is: a row by its line as a spreadsheet shows it
    (header = line 1), anything else (an Open311 "request") by its position."""
    return "line" if unit == "row" else unit


@dataclass(frozen=True)
class Problem:
    """One thing wrong with one value: `row`, the line as a spreadsheet shows it (header =
    1) or the request's position; field, value."""

    row: int
    field: str
    value: str
    message: str

    def text(self, unit: str = "row") -> str:
        if not self.field:  # the row as a whole: "line 5 has 8 fields, the header has 6"
            return f"{place(unit)} {self.row} {self.message}"
        return f"{place(unit)} {self.row}: {self.reason(unit)}"

    def reason(self, unit: str = "row") -> str:
        """The problem without the line number (a reject file's reason)."""
        if not self.field:
            return f"the {place(unit)} {self.message}"
        shown = f" {self.value!r}" if self.value not in ("", None) else ""
        return f"{self.field}{shown} {self.message}"


class ImportProblems(ValueError):
    """A file with bad rows; nothing was written. `lines()` names every bad row by its line."""

    def __init__(
        self,
        path: Path,
        problems: list[Problem],
        rows: int,
        unit: str = "row",
        hint: str = "fix them, or use --skip-bad to write the good ones",
    ):
        self.path, self.problems, self.rows, self.unit = path, problems, rows, unit
        bad = len({p.row for p in problems})
        super().__init__(
            f"{path}: {bad} of {rows} {unit}s have problems; nothing was written ({hint})"
        )

    def lines(self, limit: int = MAX_SHOWN) -> list[str]:
        shown = [p.text(self.unit) for p in self.problems[:limit]]
        rest = len(self.problems) - limit
        if rest > 0:
            shown.append(f"… and {rest} more problems")
        return shown


@dataclass
class Mapping:
    """What a mapping file says: header names and value translations (see module docstring)."""

    columns: dict[str, tuple[str, ...]] = field(default_factory=dict)
    categories: dict[str, str] = field(default_factory=dict)
    statuses: dict[str, str] = field(default_factory=dict)
    sources: dict[str, str] = field(default_factory=dict)
    roles: dict[str, str] = field(default_factory=dict)
    org_kinds: dict[str, str] = field(default_factory=dict)
    options: dict[str, str] = field(default_factory=dict)


_MAPPING_TABLES = ("columns", "categories", "statuses", "sources", "roles", "org_kinds", "options")


def load_mapping(path: Path | None) -> Mapping:
    """The mapping file at `path` (TOML), checked; an empty Mapping for None."""
    if path is None:
        return Mapping()
    try:
        data = tomllib.loads(Path(path).read_text(encoding="utf-8-sig"))
    except OSError as exc:
        raise TabularError(f"{path}: cannot read ({exc.strerror})") from exc
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise TabularError(f"{path}: not a TOML mapping file ({exc})") from exc
    unknown = sorted(set(data) - set(_MAPPING_TABLES))
    if unknown:
        raise TabularError(f"{path}: unknown table [{unknown[0]}]; known: {_MAPPING_TABLES}")
    out = Mapping()
    for table in _MAPPING_TABLES:
        entries = data.get(table, {})
        if not isinstance(entries, dict):
            raise TabularError(f"{path}: [{table}] must be a table of name = value")
        for key, value in entries.items():
            _check_mapping_entry(path, table, key, value)
        if table == "columns":
            out.columns = {k: (v,) if isinstance(v, str) else tuple(v) for k, v in entries.items()}
        else:
            setattr(out, table, {_key(k): str(v) for k, v in entries.items()})
    return out


def _check_mapping_entry(path: Path, table: str, key: str, value: object) -> None:
    allowed = {
        "categories": {c.code for c in CATEGORIES},
        "statuses": {s.value for s in CaseStatus},
        "sources": {s.value for s in CaseSource},
        "roles": {r.value for r in Role},
        "org_kinds": {k.value for k in OrgKind},
    }.get(table)
    is_text_list = isinstance(value, list) and all(isinstance(v, str) for v in value)
    if table == "columns" and not (isinstance(value, str) or is_text_list):
        raise TabularError(f"{path}: [columns] {key} must be a header name or a list of them")
    if allowed is not None and value not in allowed:
        raise TabularError(
            f"{path}: [{table}] {key!r} = {value!r} is not one of {', '.join(sorted(allowed))}"
        )


def _key(text: str) -> str:
    return text.strip().casefold()


def _header_key(text: str) -> str:
    return re.sub(r"[\s_\-]", "", str(text)).casefold().lstrip("\ufeff")


# --- reading ----------------------------------------------------------------------------
def read_table(path: Path, mapping: Mapping | None = None, progress: bool = False) -> pd.DataFrame:
    """Every cell of a CSV or XLSX file as text (None for empty), index = line (header 1).

    Rows with no value at all are dropped (their numbers are skipped). `attrs["headers"]`
    holds the header row as written (duplicates unrenamed); `attrs["row_problems"]` a
    Problem for each CSV row whose number of fields differs from the header's (such a row
    keeps the fields that fit under the header)."""
    path = Path(path)
    if not path.is_file():
        raise TabularError(f"{path}: no such file")
    if path.stat().st_size == 0:
        raise TabularError(f"{path}: the file is empty")
    with path.open("rb") as fh:
        magic = fh.read(4)
    if magic == b"PK\x03\x04" or path.suffix.lower() in (".xlsx", ".xlsm"):
        sheet = (mapping or Mapping()).options.get("sheet")
        frame = _read_xlsx(path, sheet)
    else:
        frame = _read_csv(path, progress)
    if frame.columns.empty:
        raise TabularError(f"{path}: no header row")
    headers = frame.attrs.get("headers", [str(c) for c in frame.columns])
    row_problems = frame.attrs.get("row_problems", [])
    blank = frame.isna().all(axis=1)
    out = frame[~blank.to_numpy()]
    out.attrs = {"headers": headers, "row_problems": row_problems}
    return out


def scan_text(path: Path) -> tuple[str, int]:
    """Encoding of a text file (utf-8-sig, utf-8 or gb18030) and its number of lines; refuses
    over-long lines, undecodable bytes and UTF-8 text that is GBK mangled on the way."""
    with path.open("rb") as fh:
        bom = fh.read(3) == codecs.BOM_UTF8
    lines, bad_at = _scan_utf8(path)
    if bad_at is None:
        return ("utf-8-sig" if bom else "utf-8"), lines
    gbk_bad_at = _gb18030_failure(path)
    if gbk_bad_at is None:
        return "gb18030", lines
    line = _line_of(path, max(bad_at, gbk_bad_at))
    raise TabularError(
        f"{path}: line {line}: the text is neither UTF-8 nor GBK/GB18030"
        f" (byte {max(bad_at, gbk_bad_at)});"
        " save it from the source program as CSV UTF-8"
    )


def _scan_utf8(path: Path) -> tuple[int, int | None]:
    """Lines, and the byte offset where strict UTF-8 fails (None if it never does)."""
    decoder = codecs.getincrementaldecoder("utf-8")("strict")
    lines, current, offset, bad_at = 1, 0, 0, None
    with path.open("rb") as fh:
        for chunk in iter(lambda: fh.read(CHUNK_BYTES), b""):
            lines, current = _check_lines(path, chunk, lines, current)
            if bad_at is None:
                try:
                    text = decoder.decode(chunk)
                except UnicodeDecodeError as exc:
                    bad_at = offset + exc.start
                else:
                    _check_mojibake(path, text, lines)
            offset += len(chunk)
    if bad_at is None:
        try:
            decoder.decode(b"", final=True)
        except UnicodeDecodeError:
            bad_at = offset
    return lines, bad_at


def _check_lines(path: Path, chunk: bytes, lines: int, current: int) -> tuple[int, int]:
    """Line count and length of the line running at the end of `chunk`; a line over
    MAX_LINE_BYTES is refused (chunks are no longer than the limit, so only the line
    running across chunk ends can exceed it)."""
    first = chunk.find(b"\n")
    if first < 0:
        current += len(chunk)
    else:
        if current + first > MAX_LINE_BYTES:
            current += first
        else:
            lines += chunk.count(b"\n")
            current = len(chunk) - chunk.rfind(b"\n") - 1
    if current > MAX_LINE_BYTES:
        raise TabularError(
            f"{path}: line {lines} is longer than {MAX_LINE_BYTES // (1 << 20)} MB;"
            " a record file has short lines (is this the right file, or does a field hold"
            " a whole document?)"
        )
    return lines, current


def _check_mojibake(path: Path, text: str, lines: int) -> None:
    found = MOJIBAKE.search(text)
    if found is None:
        return
    line = lines - text.count("\n") + text.count("\n", 0, found.start())
    latin = len(found.group()) == 2
    what = "UTF-8 text read as Latin-1" if latin else "GBK text read as UTF-8"
    raise TabularError(
        f"{path}: line {line}: {found.group()!r} looks like {what} and saved again"
        " (mojibake); the original characters are lost — export the file again from the"
        " source system"
    )


def _gb18030_failure(path: Path) -> int | None:
    """Byte offset where strict GB18030 decoding fails, or None."""
    decoder = codecs.getincrementaldecoder("gb18030")("strict")
    offset = 0
    try:
        with path.open("rb") as fh:
            for chunk in iter(lambda: fh.read(CHUNK_BYTES), b""):
                decoder.decode(chunk)
                offset += len(chunk)
        decoder.decode(b"", final=True)
    except UnicodeDecodeError as exc:
        return offset + exc.start
    return None


def _line_of(path: Path, offset: int) -> int:
    with path.open("rb") as fh:
        return fh.read(offset).count(b"\n") + 1


def _read_csv(path: Path, progress: bool) -> pd.DataFrame:
    encoding, lines = scan_text(path)
    with path.open("r", encoding=encoding, newline="") as fh:
        sample = fh.read(SAMPLE_BYTES)
    header = sample.splitlines()[0] if sample.strip() else ""
    if not header.strip():
        raise TabularError(f"{path}: the first line (the header) is empty")
    sep = max(DELIMITERS, key=header.count)
    names, row_problems = _field_counts(path, encoding, sep)
    chunks = []
    try:
        reader = pd.read_csv(
            path,
            sep=sep,
            dtype=str,
            encoding=encoding,
            header=0,
            names=list(range(len(names))),  # the header's columns; a longer row's rest is cut
            usecols=list(range(len(names))),
            index_col=False,
            keep_default_na=False,
            na_values=[""],
            skip_blank_lines=False,
            chunksize=200_000,
        )
        with _bar(progress, lines - 1, path.name) as bar:
            for chunk in reader:
                chunks.append(chunk)
                bar.update(len(chunk))
    except pd.errors.ParserError as exc:
        raise TabularError(f"{path}: not a well-formed CSV file ({_parser_message(exc)})") from exc
    except pd.errors.EmptyDataError as exc:
        raise TabularError(f"{path}: the file has no header row") from exc
    frame = pd.concat(chunks) if chunks else pd.DataFrame(columns=range(len(names)))
    frame.columns = _unique(names)
    frame.index = np.arange(2, len(frame) + 2)
    frame = frame.astype(object).where(frame.notna(), None)
    frame.attrs = {"headers": names, "row_problems": row_problems}
    return frame


def _field_counts(path: Path, encoding: str, sep: str) -> tuple[list[str], list[Problem]]:
    """The header's fields, and a Problem for each record (line 2 on) with more or fewer
    fields than the header; blank lines are not records and are not counted."""
    limit = csv.field_size_limit()
    csv.field_size_limit(max(limit, 2 * MAX_LINE_BYTES))
    problems: list[Problem] = []
    try:
        with path.open("r", encoding=encoding, newline="") as fh:
            records = csv.reader(fh, delimiter=sep, quotechar='"', doublequote=True, strict=False)
            names = [name.lstrip("\ufeff") for name in next(records, [])]
            width = len(names)
            for row, fields in enumerate(records, start=2):
                if len(fields) != width and any(f.strip() for f in fields):
                    problems.append(
                        Problem(row, "", "", _width_message(len(fields), width, "field"))
                    )
    except csv.Error as exc:
        raise TabularError(f"{path}: not a well-formed CSV file ({exc})") from exc
    finally:
        csv.field_size_limit(limit)
    if not names:
        raise TabularError(f"{path}: the file has no header row")
    return names, problems


def _width_message(count: int, width: int, what: str) -> str:
    return f"has {count} {what}{'' if count == 1 else 's'}, the header has {width}"


def _unique(names: list[str]) -> list[str]:
    """Column labels for the header: a repeated name gets .1, .2 … (as pandas does)."""
    seen: set[str] = set()
    out = []
    for i, name in enumerate(names):
        base = name or f"Unnamed: {i}"
        label, n = base, 0
        while label in seen:
            n += 1
            label = f"{base}.{n}"
        seen.add(label)
        out.append(label)
    return out


def _parser_message(exc: Exception) -> str:
    text = str(exc).strip().splitlines()[-1]
    return text.replace("Error tokenizing data. C error: ", "")


def _bar(enabled: bool, total: int, name: str):
    from contextlib import nullcontext

    if not enabled:
        return nullcontext(_NoBar())
    from tqdm import tqdm

    return tqdm(total=total, unit=" rows", desc=f"reading {name}", leave=False)


class _NoBar:
    def update(self, _n: int) -> None:
        pass


def _read_xlsx(path: Path, sheet: str | None) -> pd.DataFrame:
    import openpyxl

    try:
        book = openpyxl.load_workbook(path, read_only=True, data_only=True)
    except Exception as exc:  # zipfile, XML and openpyxl errors alike: not a readable workbook
        raise TabularError(f"{path}: not a readable XLSX workbook ({exc})") from exc
    try:
        if sheet is not None and sheet not in book.sheetnames:
            raise TabularError(f"{path}: no sheet {sheet!r}; sheets: {', '.join(book.sheetnames)}")
        rows = list(book[sheet].iter_rows(values_only=True) if sheet else book.worksheets[0].values)
    finally:
        book.close()
    if not rows or all(v is None for v in rows[0]):
        raise TabularError(f"{path}: the first row (the header) is empty")
    header = [str(v).strip() if v is not None else f"column {i + 1}" for i, v in enumerate(rows[0])]
    width = len(header)
    body = [[_cell_text(v) for v in r[:width]] for r in rows[1:]]
    row_problems = []
    for row, r in enumerate(rows[1:], start=2):
        if len(r) > width and any(_cell_text(v) is not None for v in r[width:]):
            last = max(i for i, v in enumerate(r) if _cell_text(v) is not None) + 1
            row_problems.append(Problem(row, "", "", _width_message(last, width, "cell")))
    index = np.arange(2, len(body) + 2)
    frame = pd.DataFrame(body, columns=_unique(header), index=index, dtype=object)
    frame.attrs = {"headers": header, "row_problems": row_problems}
    for col in frame.columns:
        text = frame[col].dropna().astype(str)
        bad = text.str.contains(MOJIBAKE)
        if bad.any():
            row = bad.idxmax()
            _check_mojibake(path, "\n" * (row - 1) + str(frame.at[row, col]), row)
    return frame


def _cell_text(value: object) -> str | None:
    if value is None:
        return None
    if isinstance(value, dt.datetime):
        return value.isoformat(sep=" ")
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    text = str(value).strip()
    return text or None


# --- headers ----------------------------------------------------------------------------
def recognise(frame: pd.DataFrame, kind: str, mapping: Mapping, path: Path) -> pd.DataFrame:
    """The frame's columns renamed to ours (unknown columns dropped, values stripped;
    `attrs["columns"]`: our column → the header it was found under); a missing required
    column is a TabularError naming the headers looked for."""
    names = HEADERS[kind]
    headers = frame.attrs.get("headers") or [str(c) for c in frame.columns]
    by_key: dict[str, list[int]] = {}  # header key → positions of the columns it names
    for position, header in enumerate(headers):
        by_key.setdefault(_header_key(header), []).append(position)
    chosen: dict[str, int] = {}
    for ours in names:
        for group in (mapping.columns.get(ours, ()), names[ours]):
            keys = dict.fromkeys(_header_key(c) for c in group)
            found = [i for key in keys for i in by_key.get(key, ()) if i not in chosen.values()]
            if found:
                _refuse_ambiguous(path, ours, sorted(found) if len(found) > 1 else [], headers)
                chosen[ours] = found[0]
                break
    unknown = sorted(set(mapping.columns) - set(names))
    if unknown:
        raise TabularError(f"mapping: [columns] {unknown[0]} is not a {kind} column")
    for ours in REQUIRED[kind]:
        if ours not in chosen:
            looked = ", ".join(looked_for(kind, ours, mapping))
            raise TabularError(
                f"{path}: no column for {ours} (looked for headers: {looked});"
                " name it in a mapping file with --mapping"
            )
    out = pd.DataFrame(index=frame.index)
    for ours, position in chosen.items():
        out[ours] = _stripped(frame.iloc[:, position])
    out.attrs["columns"] = {ours: headers[position] for ours, position in chosen.items()}
    return out


def looked_for(kind: str, column: str, mapping: Mapping) -> tuple[str, ...]:
    """The headers `recognise` looks for as our `column` of `kind`: the mapping's, then ours."""
    return tuple(dict.fromkeys((*mapping.columns.get(column, ()), *HEADERS[kind][column])))


def _refuse_ambiguous(path: Path, ours: str, positions: list[int], headers: list[str]) -> None:
    """Two or more columns would be our column `ours`: refuse, naming them."""
    if not positions:
        return
    shown = ", ".join(f"{headers[i]!r} (column {i + 1})" for i in positions)
    if len({headers[i] for i in positions}) == 1:
        what = f"the header {headers[positions[0]]!r} appears {len(positions)} times: {shown}"
    else:
        what = f"columns {shown} are {'both' if len(positions) == 2 else 'all'} {ours}"
    raise TabularError(
        f"{path}: {what}; which one is {ours}? Rename or remove the others,"
        f' or name the one to use in a mapping file ([columns] {ours} = "…")'
    )


def _stripped(values: pd.Series) -> pd.Series:
    present = values.notna()
    text = values[present].astype(str).str.strip()
    out = pd.Series(None, index=values.index, dtype=object)
    out[present] = text.where(text != "", None)
    return out


# --- values -----------------------------------------------------------------------------
def lookup_table(builtin: dict[str, str], mapped: dict[str, str], codes: Iterable[str]) -> dict:
    """Value → code: the mapping file's entries first, then built-in names, then the codes."""
    table = {_key(c): c for c in codes}
    table.update({_key(k): v for k, v in builtin.items()})
    table.update(mapped)
    return table


def category_table(mapping: Mapping, catalogue: Iterable[Category] = CATEGORIES) -> dict[str, str]:
    """Value → category code: the mapping file's, then the catalogue's names and codes."""
    catalogue = tuple(catalogue)
    names = {c.name_zh: c.code for c in catalogue} | {c.name_en: c.code for c in catalogue}
    return lookup_table(names, mapping.categories, (c.code for c in catalogue))


def status_table(mapping: Mapping) -> dict[str, str]:
    return lookup_table(STATUS_NAMES, mapping.statuses, (s.value for s in CaseStatus))


def source_table(mapping: Mapping) -> dict[str, str]:
    return lookup_table(SOURCE_NAMES, mapping.sources, (s.value for s in CaseSource))


def role_table(mapping: Mapping) -> dict[str, str]:
    return lookup_table(ROLE_NAMES, mapping.roles, (r.value for r in Role))


def org_kind_table(mapping: Mapping) -> dict[str, str]:
    return lookup_table(ORG_KIND_NAMES, mapping.org_kinds, (k.value for k in OrgKind))


def map_values(values: pd.Series, table: dict[str, str]) -> tuple[pd.Series, np.ndarray]:
    """Codes for the values (None where missing) and a mask of values not in the table."""
    present = values.notna().to_numpy()
    keys = values[present].astype(str).str.strip().str.casefold()
    codes = pd.Series(None, index=values.index, dtype=object)
    codes[present] = keys.map(table).to_numpy()
    unknown = present & codes.isna().to_numpy()
    return codes, unknown
