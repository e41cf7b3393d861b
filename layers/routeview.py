"""The /routes page's view state, stop moves, list rows and route map figure: pure functions."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, replace
from typing import Any, ClassVar
from urllib.parse import urlencode

from .itinerary import Itinerary, RouteStop, clock
from .view import EARLIEST, LANGUAGES, LATEST, CheckedView, Problem

DEFAULT_BUDGET = 180
MIN_BUDGET, MAX_BUDGET = 30, 600  # minutes: half an hour to a ten-hour day
BUDGET_STEP = 15
DEFAULT_DEPART = "14:00"
VISIT_WEEKDAYS = (2, 3)  # Wednesday and Thursday: 幸福来敲门 days
ORDER_SEP = ","
UP, DOWN = "up", "down"
_CLOCK = re.compile(r"([01]?\d|2[0-3]):([0-5]\d)(?::[0-5]\d)?")
_BUDGET = re.compile(r"\d{1,4}")
_ID = re.compile(r"[BC]:[^,\s]{1,80}")
_WORKER = re.compile(r"[^\x00-\x1f\x7f]{1,80}")


@dataclass(frozen=True)
class RouteView(CheckedView):
    """One view of the routes page; every field is a URL query parameter (self → `self`)."""

    worker: str | None = None
    date: str = ""  # YYYY-MM-DD
    budget: int = DEFAULT_BUDGET  # minutes
    depart: str = DEFAULT_DEPART  # HH:MM, local time
    order: str | None = None  # the user's order: stop ids joined by ORDER_SEP; None = suggested
    lang: str = "zh"
    self_view: bool = False  # a grid worker's own link: the worker picker is hidden
    FIELD_OK: ClassVar[Mapping[str, Any]] = {
        "worker": lambda v: v is None or (isinstance(v, str) and bool(_WORKER.fullmatch(v))),
        "date": lambda v: v == "" or parse_date(v) is not None,
        "budget": lambda v: isinstance(v, int) and parse_budget(v) == v,
        "depart": lambda v: isinstance(v, str) and parse_clock(v) is not None,
        "order": lambda v: v is None or parse_order(v) == v,
        "lang": lambda v: isinstance(v, str) and v in LANGUAGES,
        "self_view": lambda v: isinstance(v, bool),
    }

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)

    def day(self) -> dt.date:
        return dt.date.fromisoformat(self.date)

    def departure(self) -> dt.time:
        return parse_clock(self.depart) or dt.time(14, 0)

    def stop_order(self) -> list[str] | None:
        """The user's order as stop ids, or None for the suggested one."""
        return None if self.order is None else [s for s in self.order.split(ORDER_SEP) if s]

    def query(self, default_lang: str = "zh") -> str:
        """The URL query ("?…"): worker and date always, the rest when not the default."""
        items: dict[str, str] = {}
        if self.worker:
            items["worker"] = self.worker
        if self.date:
            items["date"] = self.date
        if self.budget != DEFAULT_BUDGET:
            items["budget"] = str(self.budget)
        if self.depart != DEFAULT_DEPART:
            items["depart"] = self.depart
        if self.order is not None:
            items["order"] = self.order
        if self.self_view:
            items["self"] = "1"
        if self.lang != default_lang:
            items["lang"] = self.lang
        return "?" + urlencode(items, safe=",:") if items else ""


def with_changes(view: RouteView, **changes: Any) -> RouteView:
    """This view with some fields replaced."""
    return replace(view, **changes)


# --- parsing ----------------------------------------------------------------------------------
def visit_day(as_of: dt.date) -> dt.date:
    """The first Wednesday or Thursday on or after `as_of`."""
    day = as_of
    while day.weekday() not in VISIT_WEEKDAYS:
        day += dt.timedelta(days=1)
    return day


def parse_clock(text: object) -> dt.time | None:
    """HH:MM (or HH:MM:SS) as a time, seconds dropped; None when it is not one."""
    m = _CLOCK.fullmatch(text.strip()) if isinstance(text, str) else None
    return dt.time(int(m.group(1)), int(m.group(2))) if m else None


def clock_text(when: dt.time) -> str:
    """A departure time as HH:MM."""
    return f"{when.hour:02d}:{when.minute:02d}"


def parse_date(text: object) -> dt.date | None:
    """A YYYY-MM-DD date between view.EARLIEST and view.LATEST, else None."""
    if not isinstance(text, str):
        return None
    try:
        day = dt.date.fromisoformat(str(text or "")[:10])
    except ValueError:
        return None
    return day if EARLIEST <= day <= LATEST and len(str(text)) in (10, 19) else None


def parse_budget(text: object) -> int | None:
    """Whole minutes within MIN_BUDGET..MAX_BUDGET, else None."""
    raw = str(text).strip() if text is not None else ""
    if isinstance(text, float) and text.is_integer():
        raw = str(int(text))
    if not _BUDGET.fullmatch(raw):
        return None
    value = int(raw)
    return value if MIN_BUDGET <= value <= MAX_BUDGET else None


def parse_order(text: object) -> str | None:
    """A canonical order text (stop ids, no repeats), or None when it is not one."""
    ids = [s for s in text.split(ORDER_SEP) if s] if isinstance(text, str) else []
    if not ids or not all(_ID.fullmatch(s) for s in ids):
        return None
    return ORDER_SEP.join(dict.fromkeys(ids))


def parse_route_query(
    query: Mapping[str, str | None], as_of: dt.date, default_lang: str = "zh"
) -> tuple[RouteView, list[Problem]]:
    """The view a URL asks for; unusable parameters fall back to defaults and are reported.

    The worker is not checked here (the store knows the workers); `self=1` hides the picker.
    """
    problems: list[Problem] = []

    def pick(param: str, parsed: object, reason: str, fallback: Any) -> Any:
        value = query.get(param)
        if value in (None, ""):
            return fallback
        if parsed is not None:
            return parsed
        problems.append(Problem(param, str(value), reason))
        return fallback

    lang = pick(
        "lang", query.get("lang") if query.get("lang") in LANGUAGES else None, "bad_lang", None
    )
    day = pick("date", parse_date(query.get("date")), "bad_date", visit_day(as_of))
    budget = pick("budget", parse_budget(query.get("budget")), "bad_budget", DEFAULT_BUDGET)
    clock = pick("depart", parse_clock(query.get("depart")), "bad_depart", None)
    order = pick("order", parse_order(query.get("order")), "bad_order", None)
    view = RouteView(
        worker=(query.get("worker") or "").strip() or None,
        date=day.isoformat(),
        budget=budget,
        depart=clock_text(clock) if clock else DEFAULT_DEPART,
        order=order,
        lang=lang or default_lang,
        self_view=query.get("self") in ("1", "true", "yes"),
    )
    return view, problems


# --- moving stops ----------------------------------------------------------------------------
def moved(order: Sequence[str], stop_id: str, direction: str) -> list[str]:
    """`order` with `stop_id` one place earlier (UP) or later (DOWN); unchanged at an end."""
    ids = list(order)
    if stop_id not in ids or direction not in (UP, DOWN):
        return ids
    i = ids.index(stop_id)
    j = i - 1 if direction == UP else i + 1
    if 0 <= j < len(ids):
        ids[i], ids[j] = ids[j], ids[i]
    return ids


def order_text(order: Sequence[str]) -> str:
    """Stop ids as the `order` query parameter (comma-separated)."""
    return ORDER_SEP.join(order)


def unknown_ids(route: Itinerary, order: Sequence[str]) -> list[str]:
    """Ids of `order` that are not candidate stops of the route (no longer due, or made up)."""
    known = {rs.stop.id for rs in route.stops} | {s.id for s in route.dropped}
    return [i for i in order if i not in known]


@dataclass(frozen=True)
class Planned:
    """The route of a view, and the ids of the user's order that are not stops any more."""

    route: Itinerary
    stale: tuple[str, ...] = ()


# --- rows ------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Row:
    """One stop of the list, as plain values."""

    number: int
    id: str
    name: str
    address: str
    arrival: str  # HH:MM
    walk_min: int  # from the previous stop (or the hall), rounded
    walk_m: int
    first: bool
    last: bool


def rows(route: Itinerary) -> list[Row]:
    """The stops in visiting order as list rows."""
    count = len(route.stops)
    return [_row(rs, i == 0, i == count - 1) for i, rs in enumerate(route.stops)]


def _row(rs: RouteStop, first: bool, last: bool) -> Row:
    place = rs.stop.place
    return Row(
        number=rs.number,
        id=rs.stop.id,
        name=place.name,
        address=place.address,
        arrival=clock(rs.arrival),
        walk_min=round(rs.walk_min_before),
        walk_m=round(rs.walk_m_before),
        first=first,
        last=last,
    )


def over_budget(route: Itinerary) -> bool:
    """A user's own order may take longer than the budget (the solver's never does)."""
    return route.total_min > route.budget_min + 1e-6
