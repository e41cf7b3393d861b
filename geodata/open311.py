"""GeoReport v2 (Open311) service requests read into a text table in our case columns."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd

from .tabular import Mapping, Problem, TabularError, category_table, status_table

MAX_JSON_BYTES = 512 << 20  # an Open311 file is read whole; bigger ones are refused
OPEN311_FIELDS = {
    "id": "service_request_id",
    "category": "service_code",
    "lon": "long",
    "reported_at": "requested_datetime",
    "closed_at": "updated_datetime",
    "rejected_at": "updated_datetime",
    "assignee_id": "agency_responsible",
}


def read_open311(path: Path) -> list:
    """The service requests of a GeoReport v2 JSON file."""
    path = Path(path)
    if not path.is_file():
        raise TabularError(f"{path}: no such file")
    size = path.stat().st_size
    if size == 0:
        raise TabularError(f"{path}: the file is empty")
    if size > MAX_JSON_BYTES:
        raise TabularError(f"{path}: {size / 2**20:,.0f} MB is more than an Open311 file holds")
    try:
        text = path.read_bytes().decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise TabularError(f"{path}: not UTF-8 text (byte {exc.start}); JSON is UTF-8") from exc
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        ends = exc.pos >= len(text.rstrip())
        why = "the file ends in the middle (truncated?)" if ends else exc.msg
        raise TabularError(
            f"{path}: not valid JSON at line {exc.lineno} column {exc.colno}: {why}"
        ) from exc
    if isinstance(data, dict):
        data = data.get("service_requests")
    if not isinstance(data, list):
        raise TabularError(
            f"{path}: expected a JSON array of service requests"
            ' (or an object with "service_requests")'
        )
    if not data:
        raise TabularError(f"{path}: no service requests in the file")
    return data


def open311_table(requests: list, mapping: Mapping) -> tuple[pd.DataFrame, list[Problem]]:
    """Requests as a text table in our case columns (index: request number from 1)."""
    problems: list[Problem] = []
    rows = []
    for number, req in enumerate(requests, start=1):
        if not isinstance(req, dict):
            problems.append(Problem(number, "request", str(req)[:40], "is not a JSON object"))
            req = {}
        rows.append(_open311_row(number, req, mapping, problems))
    index = pd.RangeIndex(1, len(requests) + 1)
    return pd.DataFrame(rows, index=index, dtype=object), problems


def _text(value: object) -> str | None:
    if value is None or isinstance(value, dict | list):
        return None
    text = str(value).strip()
    return text or None


def _open311_row(number: int, req: dict, mapping: Mapping, problems: list[Problem]) -> dict:
    categories = category_table(mapping)
    code, name = _text(req.get("service_code")), _text(req.get("service_name"))
    category = next((v for v in (code, name) if v and v.casefold() in categories), code or name)
    status = (_text(req.get("status")) or "").casefold()
    notes = _text(req.get("status_notes"))
    ours = status_table(mapping).get(notes.casefold()) if notes else None
    row = {
        "id": _text(req.get("service_request_id")),
        "category": category,
        "description": _text(req.get("description")),
        "lon": _text(req.get("long")),
        "lat": _text(req.get("lat")),
        "reported_at": _text(req.get("requested_datetime")),
        "assignee_id": _text(req.get("agency_responsible")),
    }
    updated = _text(req.get("updated_datetime"))
    if status == "closed":
        row["status"] = ours if ours in ("closed", "rejected") else "closed"
        row[f"{row['status']}_at"] = updated
    elif status == "open":
        row["status"] = ours if ours and ours not in ("closed", "rejected") else "reported"
    else:
        shown = req.get("status")
        problems.append(
            Problem(number, "status", "" if shown is None else str(shown), "is not open or closed")
        )
    if row["id"] is None and req.get("token"):
        problems.append(
            Problem(number, "service_request_id", "", "is missing (only a token: not yet accepted)")
        )
    return row


def open311_field(problem: Problem) -> Problem:
    """A problem named by GeoReport's fields instead of our case columns."""
    name = OPEN311_FIELDS.get(problem.field, problem.field)
    if problem.field == "lon,lat":
        name = "lat,long"
    if problem.field == "status" and "_at is empty" in problem.message:
        return Problem(problem.row, "updated_datetime", "", "is missing for a closed request")
    return Problem(problem.row, name, problem.value, problem.message)
