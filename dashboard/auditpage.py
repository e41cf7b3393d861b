"""The audit trail for administrators: /audit (filters, newest entries) and /audit.csv."""

from __future__ import annotations

import csv
import datetime as dt
import io

import flask
from flask import Response, request

from dashboard import context
from dashboard.i18n import t
from dashboard.signin import language, render
from geodata.accounts import AuditEntry
from geodata.model import LOCAL_TZ

PAGE_ENTRIES = 500  # newest entries the page lists
CSV_COLUMNS = ("seq", "at", "actor", "address", "action", "target", "outcome", "hash")
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def install(server: flask.Flask) -> None:
    """Add /audit and /audit.csv to `server` (the gate lets only administrators in)."""
    server.add_url_rule("/audit", "audit", _page)
    server.add_url_rule("/audit.csv", "audit_csv", _csv)


def _filters() -> tuple[dt.datetime | None, str | None, str | None, str]:
    """(since, actor, action, problem) from the query; a bad date is named, not guessed."""
    raw = request.args.get("since", "").strip()
    since, problem = None, ""
    if raw:
        try:
            since = dt.datetime.combine(dt.date.fromisoformat(raw), dt.time(), LOCAL_TZ)
        except ValueError:
            problem = t("audit.bad_date", language(), value=raw[:40])
    actor = request.args.get("actor", "").strip()[:64] or None
    action = request.args.get("action", "").strip()[:32] or None
    return since, actor, action, problem


def _entries(limit: int | None) -> tuple[list[AuditEntry], str]:
    since, actor, action, problem = _filters()
    entries = context.store().audit_entries(since=since, actor=actor)
    if action:
        entries = [e for e in entries if e.action == action]
    return (entries[-limit:] if limit else entries), problem


def _page() -> Response:
    entries, problem = _entries(None)
    shown = list(reversed(entries[-PAGE_ENTRIES:]))
    return render(
        "audit.html",
        entries=[_row(e) for e in shown],
        count=len(entries),
        shown=len(shown),
        problem=problem,
        query={k: request.args.get(k, "") for k in ("since", "actor", "action")},
        csv_query=request.query_string.decode("ascii", "replace"),
    )


def _row(entry: AuditEntry) -> dict[str, str]:
    at = entry.at.astimezone(LOCAL_TZ).strftime("%Y-%m-%d %H:%M:%S")
    return {"seq": str(entry.seq), "at": at, **{k: getattr(entry, k) for k in CSV_COLUMNS[2:]}}


def _csv() -> Response:
    entries, problem = _entries(None)
    if problem:
        return Response(problem, status=400, mimetype="text/plain")
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow([t(f"audit.col.{key}", language()) for key in CSV_COLUMNS])
    for entry in entries:
        writer.writerow([_cell(v) for v in _row(entry).values()])
    context.audit("audit_export", f"{len(entries)} entries", "ok")
    return Response(
        "\ufeff" + out.getvalue(),
        mimetype="text/csv",
        headers={"Content-Disposition": "attachment; filename=audit.csv"},
    )


def _cell(value: str) -> str:
    """A cell a spreadsheet will not read as a formula (the target holds typed user names)."""
    return "'" + value if value.startswith(_FORMULA_START) else value
