"""Category catalogue files (CSV/XLSX): read and checked row by row, written for editing.

Headers are ours (`code, name_zh, …`) or the usual Chinese ones (编码, 名称, 英文名称, 大类, 小类,
责任主体, 责任部门, 时限, 时限单位, 立案条件, 结案条件). Units: work_hours / 工作时, work_days /
工作日, hours / 小时 (calendar hours). Responsible: committee / 社区, property_company / 物业,
department / 部门 (with the department's name).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from pathlib import Path

import pandas as pd

from .model import CATEGORY_FIELDS, Category, LimitUnit, Responsible, category_values
from .tabular import ImportProblems, Problem, TabularError, read_table

COLUMNS = CATEGORY_FIELDS
REQUIRED = ("code", "name_zh", "major", "time_limit", "time_unit")
HEADERS = {
    "code": ("编码", "代码", "类别编码"),
    "name_zh": ("名称", "中文名称", "类别名称"),
    "name_en": ("英文名称", "english"),
    "major": ("大类",),
    "minor": ("小类",),
    "responsible": ("责任主体", "责任类型"),
    "department": ("责任部门", "责任单位"),
    "time_limit": ("时限", "处置时限"),
    "time_unit": ("时限单位", "单位"),
    "register_rule": ("立案条件", "立案标准"),
    "close_rule": ("结案条件", "结案标准"),
}
UNIT_NAMES = {
    "工作时": LimitUnit.WORK_HOURS,
    "工作小时": LimitUnit.WORK_HOURS,
    "工作日": LimitUnit.WORK_DAYS,
    "小时": LimitUnit.HOURS,
    "自然小时": LimitUnit.HOURS,
}
RESPONSIBLE_NAMES = {
    "社区": Responsible.COMMITTEE,
    "居委会": Responsible.COMMITTEE,
    "物业": Responsible.PROPERTY_COMPANY,
    "部门": Responsible.DEPARTMENT,
}
CODE = re.compile(r"^[a-z][a-z0-9_]{0,39}$")
MAX_TEXT = 2000  # characters of a name, class or condition
MAX_LIMIT = {LimitUnit.WORK_HOURS: 2000, LimitUnit.WORK_DAYS: 250, LimitUnit.HOURS: 8760}
DEFAULT_LIMIT = (5.0, LimitUnit.WORK_DAYS)  # a category added by an import names no limit


def read_catalogue(path: Path) -> list[Category]:
    """The categories in a CSV or XLSX file; every bad row and field is named (ImportProblems)
    and nothing is returned while any is."""
    raw = read_table(Path(path))
    if raw.empty:
        raise TabularError(f"{path}: no categories below the header row")
    table = _ours(raw, path)
    problems: list[Problem] = list(raw.attrs.get("row_problems", []))
    out = []
    seen: dict[str, int] = {}
    for line, row in table.iterrows():
        category = _category(int(line), row, problems)
        if category is None:
            continue
        if category.code in seen:
            said = f"appears again (first on line {seen[category.code]})"
            problems.append(Problem(int(line), "code", category.code, said))
            continue
        seen[category.code] = int(line)
        out.append(category)
    if problems:
        found = sorted(problems, key=lambda p: p.row)
        raise ImportProblems(Path(path), found, len(table), hint="fix them and import again")
    return out


def category_from_values(values: Mapping[str, str]) -> tuple[Category | None, list[Problem]]:
    """One category from a form's values (the file's column names); None and what is wrong
    when anything is."""
    problems: list[Problem] = []
    return _category(0, pd.Series(dict(values), dtype=object), problems), problems


def write_catalogue(path: Path, categories: Iterable[Category]) -> None:
    """The catalogue as a CSV (UTF-8 with BOM, for spreadsheets) or XLSX file, by suffix."""
    frame = pd.DataFrame([_row(c) for c in categories], columns=list(COLUMNS))
    if Path(path).suffix.lower() == ".xlsx":
        frame.to_excel(path, index=False, sheet_name="categories")
    else:
        with Path(path).open("w", encoding="utf-8-sig", newline="") as fh:
            frame.to_csv(fh, index=False, lineterminator="\n")


def added_category(code: str) -> Category:
    """A category an import met and the catalogue lacks: its name is the file's text, its
    limit DEFAULT_LIMIT, until someone edits it."""
    limit, unit = DEFAULT_LIMIT
    return Category(
        _new_code(code), code, code, "未分类", "", Responsible.COMMITTEE, "", limit, unit
    )


def _new_code(text: str) -> str:
    """A code for a category known only by its name: its own text when it is one, else a
    stable one made from the name."""
    if CODE.match(text):
        return text
    return "c_" + "".join(f"{ord(ch):x}" for ch in text)[:37]


def _row(c: Category) -> list:
    """A category as a file's row: a whole limit written without ".0"."""
    row = dict(zip(COLUMNS, category_values(c), strict=True))
    limit = float(row["time_limit"])
    row["time_limit"] = int(limit) if limit.is_integer() else limit
    return list(row.values())


def _key(text: object) -> str:
    return re.sub(r"[\s_\-]", "", str(text)).casefold().lstrip("\ufeff")


def _ours(raw: pd.DataFrame, path: Path) -> pd.DataFrame:
    """The file's columns under our names; a required column missing is named."""
    names = {_key(c): c for c in COLUMNS}
    for ours, theirs in HEADERS.items():
        names.update({_key(t): ours for t in theirs})
    renamed = {}
    for header in raw.columns:
        ours = names.get(_key(header))
        if ours is not None and ours not in renamed.values():
            renamed[header] = ours
    table = raw[list(renamed)].rename(columns=renamed)
    missing = [c for c in REQUIRED if c not in table]
    if missing:
        wanted = ", ".join(f"{c} ({'/'.join(HEADERS[c])})" for c in missing)
        raise TabularError(f"{path}: no column for {wanted}")
    return table


def _category(line: int, row: pd.Series, problems: list[Problem]) -> Category | None:
    """One row as a Category, or None after adding what is wrong with it to `problems`."""
    before = len(problems)

    def text(field: str, required: bool = False) -> str:
        value = row.get(field)
        value = "" if value is None or pd.isna(value) else str(value).strip()
        if required and not value:
            problems.append(Problem(line, field, "", "is missing"))
        if len(value) > MAX_TEXT:
            problems.append(
                Problem(line, field, value[:40] + "…", f"is over {MAX_TEXT} characters")
            )
        return value

    code = text("code", True)
    if code and not CODE.match(code):
        problems.append(
            Problem(line, "code", code, "is not a code (a-z, 0-9, _; a letter first; ≤ 40)")
        )
    values = {
        f: text(f, f in REQUIRED)
        for f in COLUMNS
        if f not in ("code", "responsible", "time_unit", "time_limit")
    }
    unit = _choice(line, "time_unit", text("time_unit", True), LimitUnit, UNIT_NAMES, problems)
    responsible_text = text("responsible") or Responsible.COMMITTEE.value
    responsible = _choice(
        line, "responsible", responsible_text, Responsible, RESPONSIBLE_NAMES, problems
    )
    if responsible is Responsible.DEPARTMENT and not values["department"]:
        problems.append(Problem(line, "department", "", "is missing (responsible is a department)"))
    limit = _limit(line, text("time_limit", True), unit, problems)
    if len(problems) > before:
        return None
    return Category(
        code,
        values["name_zh"],
        values["name_en"] or code,
        values["major"],
        values["minor"],
        responsible,
        values["department"],
        limit,
        unit,
        values["register_rule"],
        values["close_rule"],
    )


def _choice(line, field, value, kind, names, problems):
    if not value:
        return None
    found = names.get(value) or next((k for k in kind if k.value == value.casefold()), None)
    if found is None:
        allowed = ", ".join([*(k.value for k in kind), *names])
        problems.append(Problem(line, field, value, f"is not one of {allowed}"))
    return found


def _limit(line: int, value: str, unit: LimitUnit | None, problems: list[Problem]) -> float:
    if not value:
        return 0.0
    try:
        limit = float(value)
    except ValueError:
        problems.append(Problem(line, "time_limit", value, "is not a number"))
        return 0.0
    top = MAX_LIMIT.get(unit, max(MAX_LIMIT.values())) if unit else max(MAX_LIMIT.values())
    if not 0 < limit <= top:
        problems.append(
            Problem(line, "time_limit", value, f"must be more than 0 and at most {top}")
        )
    return limit
