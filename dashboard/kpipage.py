"""The KPI ranking for supervisors: /kpi (a week or a month; streets, communities,
organisations or people) and /kpi.csv (the same table), each cut to the asker's scope."""

from __future__ import annotations

import csv
import datetime as dt
import io

import flask
from flask import Response, request

from dashboard import context
from dashboard.i18n import t
from dashboard.signin import language, render
from geodata.model import LOCAL_TZ
from layers import kpi

PATH = "/kpi"
ROW_LIMIT = 500  # rows a ranking lists


def install(server: flask.Flask) -> None:
    """Add /kpi and /kpi.csv to `server` (the gate lets in the roles of PAGE_ROLES)."""
    server.add_url_rule(PATH, "kpi", _page)
    server.add_url_rule(f"{PATH}.csv", "kpi_csv", _csv)


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
    cases = store.kpi_cases(start, end)
    cases = cases[who.sees.rows_inside(cases)] if len(cases) else cases
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
