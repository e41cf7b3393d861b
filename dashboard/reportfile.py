"""The KPI report (layers.report) as files: an XLSX workbook, one sheet per table, and a
printable A4 HTML page with inline SVG charts; both as bytes or text, in zh or en."""

from __future__ import annotations

import datetime as dt
import io
from collections.abc import Iterable, Sequence
from functools import cache
from pathlib import Path
from typing import Any

from jinja2 import FileSystemLoader, StrictUndefined
from jinja2.sandbox import ImmutableSandboxedEnvironment

from dashboard.i18n import MISSING, contains_cjk, format_date, t
from geodata.model import LOCAL_TZ
from layers import kpi
from layers.report import RANKINGS, SUMMARY_ROWS, Report

TEMPLATES = Path(__file__).resolve().parent / "templates"
FORMATS = {".xlsx": "xlsx", ".html": "html", ".htm": "html"}  # by the file's suffix
MIMETYPES = {
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "html": "text/html",
}
HTML_LANG = {"zh": "zh-CN", "en": "en"}
# Spreadsheet number formats: counts, rates (fractions shown in per cent), hours; the change
# row shows rates in percentage points.
_FORMATS = {"count": "#,##0", "rate": "0.0%", "hours": "0.0", "date": "yyyy-mm-dd"}
_CHANGE_FORMATS = {"count": "+#,##0;-#,##0;0", "rate": "+0.0;-0.0;0.0", "hours": "+0.0;-0.0;0.0"}
_WIDTHS = (6, 40)  # narrowest and widest column, in characters


def scope_text(names: Iterable[str] | None, lang: str) -> str:
    """The scope a report covers in words: the whole city (None), or the areas named."""
    if names is None:
        return t("report.scope.city", lang)
    return "、".join(n for n in names if n) or t("report.scope.yours", lang)


def file_name(report: Report, kind: str) -> str:
    """A download's name, e.g. kpi-report-2026-W48.xlsx (a street's code added)."""
    street = f"-{report.street}" if report.street else ""
    return f"kpi-report-{report.period.text}{street}.{kind}"


# --- shared ------------------------------------------------------------------------------------
def kind_of(column: str) -> str:
    """How a KPI column is shown: "count", "rate" or "hours"."""
    if column.endswith("_rate"):
        return "rate"
    return "hours" if column == "mean_hours" else "count"


def shown(column: str, value: Any, change: bool = False) -> str:
    """A figure as the page prints it: 95.2%, 12.3 (hours), 1,234; with `change`, signed and
    rates in percentage points."""
    if value is None:
        return MISSING
    kind = kind_of(column)
    if kind == "rate":
        return f"{value * 100:+.1f}" if change else f"{value * 100:.1f}%"
    if kind == "hours":
        return f"{value:+.1f}" if change else f"{value:.1f}"
    return f"{value:+,d}" if change else f"{value:,d}"


def _name(row: dict, lang: str) -> str:
    return row["name"] or t("report.unassigned", lang)


def _row_label(which: str, report: Report, lang: str) -> tuple[str, str]:
    """(label, period text) of a summary row."""
    text = {"current": report.period.text, "previous": report.period.previous_text}
    return t(f"report.row.{which}", lang), text.get(which, "")


# --- XLSX --------------------------------------------------------------------------------------
def xlsx_bytes(report: Report, lang: str, scope: str) -> bytes:
    """The report as a workbook: a summary sheet, then one sheet per ranking; header row
    frozen, rates as per cent, widths fitted to the text."""
    from openpyxl import Workbook

    book = Workbook()
    _sheet(book.active, t("report.sheet.summary", lang), *_summary_table(report, lang, scope))
    for by in RANKINGS:
        _sheet(book.create_sheet(), t(f"kpi.by.{by}", lang), *_ranking_table(report, by, lang))
    book.properties.creator = "gridboard"
    book.properties.title = t("report.title", lang)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


Cell = tuple[Any, str | None]  # a value and its number format (None: as it is)


def _summary_table(report: Report, lang: str, scope: str) -> tuple[list[str], list[list[Cell]]]:
    heads = [t(f"report.col.{c}", lang) for c in ("row", "period", "first", "last", "scope")]
    heads += [t(f"kpi.col.{c}", lang) for c in (*kpi.COLUMNS, "grade")]
    when = report.period
    spans = {
        "current": (when.first_day, when.last_day),
        "previous": (when.previous_start.date(), when.first_day - dt.timedelta(days=1)),
    }
    rows = []
    for which, figures in zip(SUMMARY_ROWS, report.summary, strict=True):
        label, period = _row_label(which, report, lang)
        first, last = spans.get(which, (None, None))
        head = [(label, None), (period, None), (first, "date"), (last, "date")]
        head.append((scope if which != "change" else "", None))
        rows.append(head + _figures(figures, which == "change"))
    return heads, rows


def _ranking_table(report: Report, by: str, lang: str) -> tuple[list[str], list[list[Cell]]]:
    heads = [t(f"report.col.{c}", lang) for c in ("rank", "code", "name")]
    heads += [t(f"kpi.col.{c}", lang) for c in (*kpi.COLUMNS, "grade")]
    rows = [
        [(row["rank"], "count"), (row["key"], None), (_name(row, lang), None), *_figures(row)]
        for row in report.rankings[by]
    ]
    return heads, rows


def _figures(row: dict, change: bool = False) -> list[Cell]:
    cells: list[Cell] = []
    for column in kpi.COLUMNS:
        kind, value = kind_of(column), row[column]
        if change and kind == "rate" and value is not None:
            value = round(value * 100, 6)  # percentage points
        cells.append((value, ("change-" if change else "") + kind))
    return [*cells, (row["grade"], None)]


def _sheet(sheet: Any, title: str, heads: Sequence[str], rows: Sequence[Sequence[Cell]]) -> None:
    from openpyxl.styles import Font
    from openpyxl.utils import get_column_letter

    sheet.title = title
    for col, head in enumerate(heads, 1):
        sheet.cell(1, col, head).font = Font(bold=True)
    for r, row in enumerate(rows, 2):
        for col, (value, kind) in enumerate(row, 1):
            _put(sheet.cell(r, col), value, kind)
    sheet.freeze_panes = "A2"
    for col, head in enumerate(heads, 1):
        texts = [head, *(_width_text(row[col - 1]) for row in rows)]
        width = max(_text_width(s) for s in texts) + 2
        sheet.column_dimensions[get_column_letter(col)].width = min(
            max(width, _WIDTHS[0]), _WIDTHS[1]
        )


def _put(cell: Any, value: Any, kind: str | None) -> None:
    """A value into a cell as a number, a date or text that never becomes a formula."""
    from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

    if isinstance(value, str):
        cell.value = ILLEGAL_CHARACTERS_RE.sub("", value)
        cell.data_type = "s"  # a name such as "=1+1" stays text
        return
    cell.value = value
    if kind is not None and value is not None:
        formats = _CHANGE_FORMATS if kind.startswith("change-") else _FORMATS
        cell.number_format = formats[kind.removeprefix("change-")]


def _width_text(cell: Cell) -> str:
    value, kind = cell
    if value is None:
        return ""
    if kind == "date":
        return "2026-11-30"
    if kind in ("rate", "change-rate"):
        return f"{value * 100:.1f}%" if kind == "rate" else f"{value:+.1f}"
    return f"{value:,.1f}" if isinstance(value, float) else f"{value}"


def _text_width(text: str) -> int:
    """Columns a text takes in a spreadsheet: a Chinese character about two."""
    return sum(2 if contains_cjk(ch) else 1 for ch in text)


# --- HTML --------------------------------------------------------------------------------------
@cache
def _environment() -> ImmutableSandboxedEnvironment:
    """The report page's engine: data reaches the one template as autoescaped values only."""
    return ImmutableSandboxedEnvironment(
        loader=FileSystemLoader(TEMPLATES), autoescape=True, undefined=StrictUndefined
    )


def html_text(report: Report, lang: str, scope: str, made_at: dt.datetime) -> str:
    """The report as one standalone A4 page: no script, no outside resource."""

    def text(key: str, **values: object) -> str:
        return t(key, lang, **values)

    made = made_at.astimezone(LOCAL_TZ)
    summary = [
        (*_row_label(which, report, lang), figures, which == "change")
        for which, figures in zip(SUMMARY_ROWS, report.summary, strict=True)
    ]
    return (
        _environment()
        .get_template("report.html")
        .render(
            lang=lang,
            html_lang=HTML_LANG.get(lang, lang),
            text=text,
            shown=shown,
            name=lambda row: _name(row, lang),
            report=report,
            summary=summary,
            rankings=[(by, report.rankings[by]) for by in RANKINGS],
            columns=kpi.COLUMNS,
            first=format_date(report.period.first_day, lang),
            last=format_date(report.period.last_day, lang),
            scope=scope,
            made=f"{format_date(made, lang)} {made:%H:%M}",
        )
    )
