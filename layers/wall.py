"""The command-centre wall in plain data: KPI tiles, ranking, masked feed, rotation and outlines."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import math
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass
from typing import Any

import pandas as pd

from geodata.model import LOCAL_TZ

from . import mapfig
from .mask import mask_case_text

# The weekly visit target: two visits (worker × building × day) per grid worker, one on each
# of the Wednesday and Thursday "happiness knocks at the door" (幸福来敲门) visiting days.
# A MapLibre style of one dark background layer: like plotly's "white-bg", it needs no network.
DARK_STYLE: dict = {
    "version": 8,
    "sources": {},
    "layers": [
        {"id": "background", "type": "background", "paint": {"background-color": "#16213a"}}
    ],
}
VISITS_PER_WORKER_WEEK = 2
FEED_TEXT_CHARS = 40  # a feed row's description is cut to this many characters, after masking
# The map size the rotation's cameras are fitted to; the browser corrects the zoom for the
# map's real size (assets/wall.js), so one camera serves 1080p and 4K walls alike.
CAMERA_SIZE = (1000, 700)
OUTLINE = ("#9fb3c8", 1.2)  # a rotation unit's outline
HIGHLIGHT = ("#ffd166", 5.0)  # the unit the rotation shows

ON_TIME = "on_time_rate_week"  # 按期结案率, this ISO week so far against last week's
# (key, unit kind, whether a rise is good: True, False, or None when it is neither)
TILE_SPECS: tuple[tuple[str, str, bool | None], ...] = (
    ("open_cases", "count", False),
    ("overdue_cases", "count", False),
    ("new_today", "count", None),
    ("closed_today", "count", True),
    ("closure_rate_7d", "percent", True),
    ("median_close_hours", "hours", False),
    ("visits_week", "count", True),
    ("households_week", "count", True),
    (ON_TIME, "percent", True),
)
# What on_time_figures adds to Store.wall_figures: closures this ISO week so far and how many
# of them were on time, and the same of last week ("_prev").
ON_TIME_FIGURES = ("closed_week", "on_time_week", "closed_week_prev", "on_time_week_prev")


@dataclass(frozen=True)
class Tile:
    """One KPI: its value now and a week earlier, the change, and what the change means."""

    key: str
    kind: str  # count | percent | hours
    value: float | None
    previous: float | None
    change: float | None  # value - previous (percentage points for percents)
    direction: str  # up | down | flat | none
    good: bool | None  # whether the change is good news; None: neutral or unknown
    target: float | None = None  # visits_week only: the weekly target

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def _number(value: object) -> float | None:
    if value is None:
        return None
    number = float(value)  # type: ignore[arg-type]
    return None if math.isnan(number) else number


def closure_rate(closed: float, reported: float) -> float | None:
    """Closed ÷ reported over the same 7 days, in percent; None when nothing was reported.

    A throughput ratio, the 结案率 street offices report: over 100 % the backlog shrank."""
    return None if not reported else 100.0 * closed / reported


def on_time_rate(on_time: float | None, closed: float | None) -> float | None:
    """按期结案率 in percent: closed on time ÷ closed; None when nothing closed."""
    return None if not closed else 100.0 * (on_time or 0) / closed


def week_start(at: dt.datetime) -> dt.datetime:
    """Monday 00:00, local time, of the ISO week holding the aware moment `at`."""
    day = at.astimezone(LOCAL_TZ).date()
    return dt.datetime.combine(day - dt.timedelta(days=day.weekday()), dt.time(), LOCAL_TZ)


def closures(cases: pd.DataFrame, start: dt.datetime, end: dt.datetime) -> pd.DataFrame:
    """The cases (Store.kpi_cases rows) closed in [start, end), counted per street and minute
    of closing: street_code, minute, closed, on_time — on time as layers.kpi counts it (closed
    by the due time, which a granted extension moved). Counts, no case: what is cached, and
    it answers any moment of the period to the minute."""
    closed_at = cases["closed_at"]
    inside = ((closed_at >= pd.Timestamp(start)) & (closed_at < pd.Timestamp(end))).to_numpy()
    rows = cases[inside].reset_index(drop=True)
    frame = pd.DataFrame(
        {
            "street_code": rows["street_code"].fillna("").astype(str),
            "minute": rows["closed_at"].dt.floor("min"),
            "closed": 1,
            "on_time": (rows["closed_at"] <= rows["due_at"]).astype(int),
        }
    )
    return frame.groupby(["street_code", "minute"], as_index=False)[["closed", "on_time"]].sum()


def closed_on_time(
    counts: pd.DataFrame, street: str | None, start: dt.datetime, end: dt.datetime
) -> tuple[int, int]:
    """(closed, on time) of closures() `counts` in [start, end) of `street` (None: all);
    `start` and `end` whole minutes."""
    minute = counts["minute"]
    inside = (minute >= pd.Timestamp(start)) & (minute < pd.Timestamp(end))
    if street is not None:
        inside &= counts["street_code"] == street
    chosen = counts[inside.to_numpy()]
    return int(chosen["closed"].sum()), int(chosen["on_time"].sum())


def on_time_figures(counts: pd.DataFrame, street: str | None, at: dt.datetime) -> dict[str, int]:
    """ON_TIME_FIGURES of `street` (None: all) from closures() `counts`: this ISO week up to
    `at` (to the minute), and the whole of last week."""
    monday = week_start(at)
    now = closed_on_time(counts, street, monday, at)
    before = closed_on_time(counts, street, monday - dt.timedelta(days=7), monday)
    return dict(zip(ON_TIME_FIGURES, (*now, *before), strict=True))


def visit_target(grid_workers: int) -> int:
    """The weekly visit target of an area: VISITS_PER_WORKER_WEEK per grid worker."""
    return VISITS_PER_WORKER_WEEK * int(grid_workers)


def kpi_values(figures: Mapping[str, float]) -> dict[str, tuple[float | None, float | None]]:
    """(now, a week earlier) of every tile, from Store.wall_figures and on_time_figures (the
    on-time tile: this ISO week so far, and last week)."""

    def pair(key: str) -> tuple[float | None, float | None]:
        return _number(figures.get(key)), _number(figures.get(f"{key}_prev"))

    rates = ("closure_rate_7d", ON_TIME)
    values = {key: pair(key) for key, _, _ in TILE_SPECS if key not in rates}
    values["closure_rate_7d"] = (
        closure_rate(figures["closed_7d"], figures["reported_7d"]),
        closure_rate(figures["closed_7d_prev"], figures["reported_7d_prev"]),
    )
    values[ON_TIME] = (
        on_time_rate(figures.get("on_time_week"), figures.get("closed_week")),
        on_time_rate(figures.get("on_time_week_prev"), figures.get("closed_week_prev")),
    )
    return values


def _direction(change: float | None, places: int) -> str:
    if change is None:
        return "none"
    shown = round(change, places)
    return "up" if shown > 0 else "down" if shown < 0 else "flat"


def kpi_tiles(figures: Mapping[str, float]) -> list[Tile]:
    """The KPI tiles, in TILE_SPECS order, each with its change against a week earlier (the
    on-time rate: against last week; its change in percentage points)."""
    values = kpi_values(figures)
    tiles = []
    for key, kind, up_is_good in TILE_SPECS:
        value, previous = values[key]
        change = None if value is None or previous is None else value - previous
        direction = _direction(change, decimals(kind))
        good = (
            None
            if up_is_good is None or direction in ("flat", "none")
            else ((direction == "up") == up_is_good)
        )
        target = visit_target(int(figures.get("grid_workers", 0))) if key == "visits_week" else None
        tiles.append(Tile(key, kind, value, previous, change, direction, good, target))
    return tiles


def decimals(kind: str) -> int:
    """Decimals a tile of `kind` is shown with."""
    return 1 if kind in ("percent", "hours") else 0


def ranking_rows(ranking: pd.DataFrame, limit: int) -> list[dict[str, Any]]:
    """The `limit` most overdue areas (Store.overdue_ranking order) with a bar share 0..1."""
    top = ranking.head(limit)
    most = max(int(top["overdue_cases"].max()) if len(top) else 0, 1)
    return [
        {
            "rank": rank,
            "code": str(code),
            "name": str(row["name"]),
            "overdue": int(row["overdue_cases"]),
            "open": int(row["open_cases"]),
            "share": round(int(row["overdue_cases"]) / most, 3),
        }
        for rank, (code, row) in enumerate(top.iterrows(), start=1)
    ]


def short_text(text: str, chars: int = FEED_TEXT_CHARS) -> str:
    """`text` cut to `chars` characters, with an ellipsis when cut."""
    text = " ".join(str(text).split())
    return text if len(text) <= chars else text[: chars - 1] + "…"


def _area_text(row: Mapping[str, Any]) -> str:
    parts = [row.get("community_name"), row.get("compound_name") or row.get("grid_name")]
    return " · ".join(str(p) for p in parts if isinstance(p, str) and p)


def feed_rows(cases: pd.DataFrame) -> list[dict[str, Any]]:
    """Newest cases (Store.newest_cases) as feed rows; every description masked, reporter on
    record included, then cut. The reporter's name and phone never enter a row."""
    rows = []
    for case in cases.to_dict("records"):
        text = mask_case_text(
            str(case.get("description") or ""),
            str(case.get("reporter_name") or ""),
            str(case.get("reporter_phone") or ""),
        )
        reported = pd.Timestamp(case["reported_at"]).tz_convert(LOCAL_TZ)
        rows.append(
            {
                "id": str(case["id"]),
                "time": reported.strftime("%H:%M"),
                "date": reported.date().isoformat(),
                "street": case.get("street_name") or "",
                "area": _area_text(case),
                "category": str(case["category"]),
                "status": str(case["status"]),
                "text": short_text(text),
            }
        )
    return rows


def row_key(row: Mapping[str, Any]) -> str:
    """What a shown feed row depends on: a case whose status or text changes is sent again."""
    return digest([row["id"], row["status"], row["text"], row["area"]])


def new_feed_rows(rows: Sequence[Mapping[str, Any]], sent_ids: Sequence[str]) -> int | None:
    """How many rows are new on top of what was sent (the rest shifted down), or None when the
    feed must be sent whole (first time, or an order that is not "new rows on top")."""
    ids = [row_key(r) for r in rows]
    if not sent_ids:
        return None
    fresh = 0
    while fresh < len(ids) and ids[fresh] not in sent_ids:
        fresh += 1
    kept = ids[fresh:]
    return fresh if kept == list(sent_ids[: len(kept)]) and len(ids) == len(sent_ids) else None


def rotation_stops(
    units: pd.DataFrame, whole: tuple[str, tuple[float, float, float, float] | None]
) -> list[dict[str, Any]]:
    """The rotation: first the whole place, then each unit (street or community) by code.

    `units`: code, name, west, south, east, north; `whole`: (name, bounds). Each stop carries
    the camera that fits it in CAMERA_SIZE and the index of its outline layer (-1: none)."""
    name, bounds = whole
    stops = [{"code": "", "name": name, "layer": -1, **mapfig.camera(bounds, CAMERA_SIZE)}]
    ordered = units.sort_values("code").reset_index(drop=True)
    for index, row in ordered.iterrows():
        box = (row["west"], row["south"], row["east"], row["north"])
        stops.append(
            {
                "code": str(row["code"]),
                "name": str(row["name"]),
                "layer": int(index),
                **mapfig.camera(tuple(float(v) for v in box), CAMERA_SIZE),  # type: ignore[arg-type]
            }
        )
    return stops


def rotation_stop(tick: int | None, count: int, rotating: bool) -> int:
    """The stop shown at interval tick `tick`: the whole place while not rotating."""
    if not rotating or not count or not tick:
        return 0
    return int(tick) % count


def unit_layers(shapes: Mapping[str, Any]) -> list[dict[str, Any]]:
    """One outline map layer per unit (FeatureCollection feature), in code order, so that the
    rotation highlights a unit by restyling its layer: no geometry is sent again."""
    features = sorted(shapes.get("features", []), key=lambda f: str(f.get("id")))
    colour, width = OUTLINE
    return [
        {
            "sourcetype": "geojson",
            "source": {"type": "FeatureCollection", "features": [feature]},
            "type": "line",
            "color": colour,
            "line": {"width": width},
            "name": str(feature.get("id")),
        }
        for feature in features
    ]


def digest(value: Any) -> str:
    """A short fingerprint of JSON-able `value`: what was sent is compared by it."""
    text = json.dumps(value, sort_keys=True, ensure_ascii=False, default=str)
    return hashlib.sha256(text.encode()).hexdigest()[:16]
