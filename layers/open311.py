"""The Open311 GeoReport v2 door, pure: the catalogue as services, cases as service requests
(nothing personal), and every query or posted request checked with the spec's errors."""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

import pandas as pd

from geodata.model import LOCAL_TZ, TIMESTAMP_FIELDS, Category
from layers.mask import mask_case_text

MAX_RANGE = dt.timedelta(days=90)  # the spec's default window and the longest one asked
MAX_REQUESTS = 1000
_SECOND = dt.timedelta(seconds=1)
MAX_DESCRIPTION = 4000  # characters of a posted description
MAX_FIELD = 200  # characters of a posted name, phone, address or id
FINAL = {"closed", "rejected"}


class Open311Error(ValueError):
    """A request the door refuses: its HTTP status and the spec's description."""

    def __init__(self, status: int, description: str):
        super().__init__(description)
        self.status, self.description = status, description

    def body(self) -> list[dict[str, Any]]:
        return [{"code": self.status, "description": self.description}]


def services(categories: Iterable[Category], lang: str = "zh") -> list[dict[str, Any]]:
    """The catalogue as GeoReport services."""
    return [
        {
            "service_code": c.code,
            "service_name": c.name(lang),
            "description": c.register_rule or c.name(lang),
            "metadata": False,
            "type": "realtime",
            "keywords": ",".join(k for k in (c.major, c.minor) if k),
            "group": c.major,
        }
        for c in categories
    ]


@dataclass(frozen=True)
class Query:
    """What GET requests.json asks for, checked."""

    start: dt.datetime
    end: dt.datetime
    status: str | None = None
    service_code: str | None = None
    ids: tuple[str, ...] = ()


def query(args: Mapping[str, str], now: dt.datetime, codes: Iterable[str]) -> Query:
    """The query of GET requests.json: a window of at most 90 days (default: the last 90),
    status open|closed, a known service_code, or service_request_id (a comma list)."""
    # stored times are whole seconds and the end is excluded: "now" takes this second in
    end = _time(args.get("end_date"), "end_date") or now.replace(microsecond=0) + _SECOND
    start = _time(args.get("start_date"), "start_date") or end - MAX_RANGE
    if end <= start:
        raise Open311Error(400, "end_date must be after start_date")
    if end - start > MAX_RANGE:
        raise Open311Error(400, "the date range is over 90 days")
    status = (args.get("status") or "").strip().lower() or None
    if status not in (None, "open", "closed"):
        raise Open311Error(400, "status must be open or closed")
    code = (args.get("service_code") or "").strip() or None
    if code is not None and code not in set(codes):
        raise Open311Error(404, f"service_code {code[:40]!r} not found")
    ids = tuple(i.strip() for i in (args.get("service_request_id") or "").split(",") if i.strip())
    if len(ids) > MAX_REQUESTS or any(len(i) > 64 for i in ids):
        raise Open311Error(400, "service_request_id lists too many or too long ids")
    return Query(start, end, status, code, ids)


def request_rows(cases: pd.DataFrame, names: Mapping[str, str]) -> list[dict[str, Any]]:
    """Cases as GeoReport service requests: no reporter, and the description masked (names,
    phones, ids, plates … of residents are personal)."""
    out = []
    for case in cases.to_dict("records"):
        final = case["status"] in FINAL
        updated = [case[c] for c in TIMESTAMP_FIELDS if pd.notna(case[c])]
        out.append(
            {
                "service_request_id": case["id"],
                "status": "closed" if final else "open",
                "status_notes": case["status"],
                "service_name": names.get(case["category"], case["category"]),
                "service_code": case["category"],
                "description": mask_case_text(
                    _plain(case["description"]),
                    _plain(case["reporter_name"]),
                    _plain(case["reporter_phone"]),
                ),
                "agency_responsible": "",
                "service_notice": "",
                "requested_datetime": _iso(case["reported_at"]),
                "updated_datetime": _iso(max(updated)) if updated else None,
                "expected_datetime": _iso(case["due_at"]),
                "address": "",
                "address_id": "",
                "zipcode": "",
                "lat": _number(case["lat"]),
                "long": _number(case["lon"]),
                "media_url": "",
            }
        )
    return out


def posted(form: Mapping[str, str], codes: Iterable[str], now: dt.datetime) -> dict[str, Any]:
    """A posted request as a case row (status reported, source open311), or Open311Error."""
    code = (form.get("service_code") or "").strip()
    if not code:
        raise Open311Error(400, "service_code is missing")
    if code not in set(codes):
        raise Open311Error(404, f"service_code {code[:40]!r} not found")
    lat, lon = _coordinate(form, "lat", 90), _coordinate(form, "long", 180)
    description = (form.get("description") or "").strip()
    if len(description) > MAX_DESCRIPTION:
        raise Open311Error(400, f"description is over {MAX_DESCRIPTION} characters")
    fields = {k: (form.get(k) or "").strip() for k in ("first_name", "last_name", "phone")}
    long_field = next((k for k, v in fields.items() if len(v) > MAX_FIELD), None)
    if long_field:
        raise Open311Error(400, f"{long_field} is over {MAX_FIELD} characters")
    name = (fields["last_name"] + fields["first_name"]).strip() or None
    return {
        "category": code,
        "description": description or None,
        "source": "open311",
        "status": "reported",
        "lon": lon,
        "lat": lat,
        "reported_at": now,
        "reporter_name": name,
        "reporter_phone": fields["phone"] or None,
    }


def _coordinate(form: Mapping[str, str], key: str, limit: float) -> float:
    text = (form.get(key) or "").strip()
    if not text:
        raise Open311Error(400, "a location is required: lat and long")
    try:
        value = float(text)
    except ValueError:
        raise Open311Error(400, f"{key} is not a number") from None
    if not math.isfinite(value) or abs(value) > limit:
        raise Open311Error(400, f"{key} is not a coordinate")
    return value


def _time(text: str | None, name: str) -> dt.datetime | None:
    if not text:
        return None
    try:
        moment = dt.datetime.fromisoformat(text.strip())
    except ValueError:
        raise Open311Error(400, f"{name} is not an ISO 8601 time") from None
    return moment.replace(tzinfo=LOCAL_TZ) if moment.tzinfo is None else moment


def _iso(moment: object) -> str | None:
    if moment is None or pd.isna(moment):
        return None
    return pd.Timestamp(moment).tz_convert(LOCAL_TZ).isoformat(timespec="seconds")


def _plain(value: object) -> str:
    return "" if value is None or pd.isna(value) else str(value)


def _number(value: object) -> float | None:
    return None if value is None or pd.isna(value) else round(float(value), 6)
