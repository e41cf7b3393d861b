"""The KPI ranking for supervisors: /kpi (a week or a month; streets, communities,
organisations or people), /kpi.csv (the same table) and the period's report as /kpi.xlsx and
/kpi.html (layers.report), each cut to the asker's scope."""

from __future__ import annotations

import csv
import datetime as dt
import io
from typing import TYPE_CHECKING

import flask
from flask import Response, request

from dashboard import context, reportfile
from dashboard.i18n import t
from dashboard.signin import language, render
from geodata.model import LOCAL_TZ
from layers import kpi, report

if TYPE_CHECKING:
    import pandas as pd

    from layers.access import Principal

PATH = "/kpi"
ROW_LIMIT = 500  # rows a ranking lists


def install(server: flask.Flask) -> None:
    """Add /kpi, /kpi.csv, /kpi.xlsx and /kpi.html to `server` (the gate lets in the roles of
    PAGE_ROLES for /kpi)."""
    server.add_url_rule(PATH, "kpi", _page)
    server.add_url_rule(f"{PATH}.csv", "kpi_csv", _csv)
    server.add_url_rule(f"{PATH}.xlsx", "kpi_xlsx", _xlsx)
    server.add_url_rule(f"{PATH}.html", "kpi_html", _html)


def last_week(today: dt.date) -> str:
    """The ISO week before the one holding `today`, as "2026-W48"."""
    year, week, _ = (today - dt.timedelta(days=7)).isocalendar()
    return f"{year}-W{week:02d}"


def _asked() -> tuple[str, str]:
    period = (request.args.get("period") or "").strip()[:10]
    period = period or last_week(dt.datetime.now(LOCAL_TZ).date())
    by = request.args.get("by", "street")
    return period, by if by in kpi.GROUPS else "street"


def _table() -> tuple[str, str, list[dict], str]:
    """(period, by, rows, problem) of the request, within the asker's scope."""
    period, by = _asked()
    try:
        first, after = kpi.period_of(period)
    except ValueError as exc:
        return period, by, [], str(exc)
    start = dt.datetime.combine(first, dt.time(), LOCAL_TZ)
    end = dt.datetime.combine(after, dt.time(), LOCAL_TZ)
    store, who = context.store(), context.principal()
    cases = _inside(store.kpi_cases(start, end), who)
    frame = kpi.kpis(cases, by, start, end, store.work_clock()).head(ROW_LIMIT)
    names = kpi.names(cases, by)
    rows = [
        {"key": key, "name": names.get(key, key or "—"), **row}
        for key, row in zip(frame.index, frame.to_dict("records"), strict=True)
    ]
    return period, by, rows, ""


def _page() -> Response:
    period, by, rows, problem = _table()
    return render(
        "kpi.html",
        400 if problem else 200,
        period=period,
        by=by,
        groups=list(kpi.GROUPS),
        rows=rows,
        columns=kpi.COLUMNS,
        problem=problem,
        shown=_shown,
    )


def _shown(key: str, value: object) -> str:
    """A figure as the table shows it: rates in per cent, hours to one decimal."""
    if value is None or value != value:
        return "—"
    if key.endswith("_rate"):
        return f"{float(value) * 100:.1f}%"
    if key == "mean_hours":
        return f"{float(value):.1f}"
    return f"{int(value):,}"


def _csv() -> Response:
    period, by, rows, problem = _table()
    if problem:
        return Response(problem, status=400, mimetype="text/plain")
    lang = language()
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(
        [
            t(f"kpi.by.{by}", lang),
            *(t(f"kpi.col.{c}", lang) for c in kpi.COLUMNS),
            t("kpi.col.grade", lang),
        ]
    )
    for row in rows:
        writer.writerow([row["name"], *(_shown(c, row[c]) for c in kpi.COLUMNS), row["grade"]])
    name = f"kpi-{by}-{period}.csv"
    return Response(
        "\ufeff" + out.getvalue(),
        mimetype="text/csv",
        headers={"Content-Disposition": f"attachment; filename={name}"},
    )


def _inside(cases: pd.DataFrame, who: Principal) -> pd.DataFrame:
    """The KPI rows (Store.kpi_cases) of cases inside `who`'s scope."""
    return cases[who.sees.rows_inside(cases)] if len(cases) else cases


def _built() -> tuple[report.Report | None, str]:
    """(the report of the asked period in the asker's scope, problem with the request)."""
    text, _ = _asked()
    try:
        when = report.period(text)
    except ValueError as exc:
        return None, str(exc)
    store, who = context.store(), context.principal()
    cases = _inside(store.kpi_cases(when.start, when.end), who)
    before = _inside(store.kpi_cases(when.previous_start, when.start), who)
    return report.build(cases, before, when, store.work_clock()), ""


def _scope(lang: str) -> str:
    who = context.principal()
    return reportfile.scope_text(None if who.sees.city else [n for _, n in who.labels], lang)


def _xlsx() -> Response:
    built, problem = _built()
    if built is None:
        return Response(problem, status=400, mimetype="text/plain")
    body = reportfile.xlsx_bytes(built, language(), _scope(language()))
    name = reportfile.file_name(built, "xlsx")
    return Response(
        body,
        mimetype=reportfile.MIMETYPES["xlsx"],
        headers={"Content-Disposition": f"attachment; filename={name}"},
    )


def _html() -> Response:
    """The report as a page to read and print (saved under its name)."""
    built, problem = _built()
    if built is None:
        return Response(problem, status=400, mimetype="text/plain")
    lang = language()
    page = reportfile.html_text(built, lang, _scope(lang), dt.datetime.now(LOCAL_TZ))
    name = reportfile.file_name(built, "html")
    return Response(
        page,
        mimetype=reportfile.MIMETYPES["html"],
        headers={"Content-Disposition": f"inline; filename={name}"},
    )
