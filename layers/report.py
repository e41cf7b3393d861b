"""The weekly or monthly KPI report as tables, pure: the whole scope against the previous period,
a ranking per street, community, organisation and person (layers.kpi), and bar-chart geometry."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass

import pandas as pd

from geodata.model import LOCAL_TZ
from geodata.worktime import WorkClock
from layers import kpi

RANKINGS = tuple(kpi.GROUPS)  # street, community, organisation, person: the report's order
CHARTED = ("street", "community")  # on-time rate per street and per community, as bars
SUMMARY_ROWS = ("current", "previous", "change")
FIRST_YEAR, LAST_YEAR = 2000, 2100
COUNTS = ("registered", "closed", "overdue_open")
CHART_ROWS = 40  # bars a chart draws at most (the best first, as the ranking orders them)
LABEL_CHARS = 12  # longer names are cut, with "…"
_WHOLE = "*"  # the one key the summary groups by


@dataclass(frozen=True)
class Period:
    """A report's period and the one before it, each [start, end) in China time."""

    text: str  # "2026-W48" or "2026-11"
    start: dt.datetime
    end: dt.datetime
    previous_text: str
    previous_start: dt.datetime

    @property
    def first_day(self) -> dt.date:
        return self.start.date()

    @property
    def last_day(self) -> dt.date:
        return (self.end - dt.timedelta(days=1)).date()


@dataclass(frozen=True)
class Bar:
    """One bar of a chart: its label and value, and where it is drawn (SVG user units)."""

    label: str
    value: float | None  # None: nothing closed, no bar
    grade: str
    label_y: float  # baseline of the label and the value text
    bar_y: float
    length: float
    value_x: float


@dataclass(frozen=True)
class Chart:
    """A horizontal bar chart of one rate (0–1) per group, ready for an SVG template."""

    by: str
    column: str
    bars: tuple[Bar, ...]
    total: int  # groups in the ranking; len(bars) of them are drawn
    ticks: tuple[tuple[float, float], ...]  # (x, value) of the grid lines
    width: int = 640
    label_width: int = 180
    scale: int = 380  # the length of a bar at 100 %
    row_height: int = 18
    top: int = 20  # room for the tick labels

    @property
    def bar_height(self) -> int:
        return self.row_height - 6

    @property
    def height(self) -> int:
        return self.top + self.row_height * len(self.bars) + 4


@dataclass(frozen=True)
class Report:
    """What the report shows: the summary rows (this period, the previous one, the change),
    the rankings by group, and the charts."""

    period: Period
    street: str | None
    summary: tuple[dict, ...]
    rankings: Mapping[str, tuple[dict, ...]]
    charts: tuple[Chart, ...]


def period(text: str) -> Period:
    """The report period of an ISO week "2026-W48" or a month "2026-11" within FIRST_YEAR to
    LAST_YEAR; ValueError naming the text otherwise."""
    try:
        first, after = kpi.period_of(text)
    except OverflowError:
        first = after = dt.date.min
    if not FIRST_YEAR <= first.year <= LAST_YEAR:
        raise ValueError(
            f"period {str(text).strip()[:20]!r} is not a week (2026-W48) or a month (2026-11)"
            f" between {FIRST_YEAR} and {LAST_YEAR}"
        )
    weekly = "-W" in str(text)
    before = (
        first - dt.timedelta(days=7) if weekly else (first - dt.timedelta(days=1)).replace(day=1)
    )
    return Period(
        _name(first, weekly),
        _local(first),
        _local(after),
        _name(before, weekly),
        _local(before),
    )


def build(
    cases: pd.DataFrame,
    previous: pd.DataFrame,
    when: Period,
    clock: WorkClock,
    street: str | None = None,
) -> Report:
    """The report of `cases` (Store.kpi_cases rows of the period) and `previous` (those of the
    period before), both already cut to the reader's scope; with `street`, of its cases only."""
    cases, previous = _of_street(cases, street), _of_street(previous, street)
    now = whole(cases, when.start, when.end, clock)
    before = whole(previous, when.previous_start, when.start, clock)
    summary = (now, before, change(now, before))
    rankings = {by: ranking(cases, by, when.start, when.end, clock) for by in RANKINGS}
    charts = tuple(chart(by, rankings[by]) for by in CHARTED if len(rankings[by]) > 1)
    return Report(when, street, summary, rankings, charts)


def whole(cases: pd.DataFrame, start: dt.datetime, end: dt.datetime, clock: WorkClock) -> dict:
    """The KPIs of all `cases` together, as layers.kpi counts them (zeros when there are none)."""
    one = cases.assign(**{kpi.GROUPS["street"]: _WHOLE})
    found = kpi.kpis(one, "street", start, end, clock)
    if found.empty:
        return {c: (0 if c in COUNTS else None) for c in kpi.COLUMNS} | {"grade": ""}
    return _plain(found.iloc[0].to_dict())


def change(now: Mapping, before: Mapping) -> dict:
    """This period's figures less the previous period's (rates as fractions); None where
    either lacks one."""
    out = {}
    for column in kpi.COLUMNS:
        a, b = now[column], before[column]
        out[column] = None if a is None or b is None else a - b
    return out | {"grade": ""}


def ranking(
    cases: pd.DataFrame, by: str, start: dt.datetime, end: dt.datetime, clock: WorkClock
) -> tuple[dict, ...]:
    """layers.kpi's rows of `by` in its order, each with its rank, key and name ("" for cases
    nobody is assigned to)."""
    found = kpi.kpis(cases, by, start, end, clock)
    names = kpi.names(cases, by)
    return tuple(
        {"rank": n, "key": key, "name": names.get(key, key), **_plain(row)}
        for n, (key, row) in enumerate(zip(found.index, found.to_dict("records"), strict=True), 1)
    )


def chart(by: str, rows: tuple[dict, ...], column: str = "on_time_rate") -> Chart:
    """Bars of `column` (a rate) for the first CHART_ROWS of `rows`, at Chart's proportions."""
    bars = []
    for n, row in enumerate(rows[:CHART_ROWS]):
        value = row[column]
        length = 0.0 if value is None else round(max(0.0, min(value, 1.0)) * Chart.scale, 1)
        top = Chart.top + n * Chart.row_height
        bars.append(
            Bar(
                label=_short(row["name"] or ""),
                value=value,
                grade=row.get("grade", ""),
                label_y=top + Chart.row_height - 5,
                bar_y=top + 3,
                length=length,
                value_x=Chart.label_width + length + 4,
            )
        )
    ticks = tuple((Chart.label_width + f * Chart.scale, f) for f in (0, 0.25, 0.5, 0.75, 1))
    return Chart(by, column, tuple(bars), len(rows), ticks)


def _of_street(cases: pd.DataFrame, street: str | None) -> pd.DataFrame:
    return cases if street is None else cases[cases[kpi.GROUPS["street"]] == street]


def _plain(row: Mapping) -> dict:
    """A KPI row with Python numbers: counts as int, rates and hours as float or None."""
    out: dict = {}
    for column in kpi.COLUMNS:
        value = row[column]
        if column in COUNTS:
            out[column] = int(value)
        else:
            out[column] = None if value is None or value != value else float(value)
    out["grade"] = row.get("grade", "")
    return out


def _short(name: str) -> str:
    return name if len(name) <= LABEL_CHARS else name[: LABEL_CHARS - 1] + "…"


def _local(day: dt.date) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(), LOCAL_TZ)


def _name(first: dt.date, weekly: bool) -> str:
    if weekly:
        year, week, _ = first.isocalendar()
        return f"{year}-W{week:02d}"
    return f"{first.year}-{first.month:02d}"
