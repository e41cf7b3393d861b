"""Case-work KPIs after GB/T 30428.4, pure: per street, community, organisation or person for a
period — 立案数, 结案数, 结案率, 按期结案率, 返工率, 延期率, mean working hours to close, and
overdue open cases at the period's end — with a colour grade.

Definitions (each case counted where it lies, or with its assignee):
- registered: registered in the period; closed: closed in the period;
- closure_rate = closed / registered (may pass 1: cases registered earlier close now);
- on_time_rate: of those closed, the share closed by their due time (extensions granted
  move it); rework_rate and extension_rate: of those closed, the share reworked at least
  once, or given more time at least once;
- mean_hours: working hours from dispatch to close, of those closed after a dispatch;
- overdue_open: open at the period's end and past due then.
"""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd

from geodata.worktime import WorkClock, times_to_seconds

GROUPS = {
    "street": "street_code",
    "community": "community_code",
    "organisation": "assignee_org",
    "person": "assignee_id",
}
NAMES = {
    "street": "street_name",
    "community": "community_name",
    "organisation": "org_name",
    "person": "assignee_name",
}
COLUMNS = (
    "registered",
    "closed",
    "closure_rate",
    "on_time_rate",
    "rework_rate",
    "extension_rate",
    "mean_hours",
    "overdue_open",
)
GRADES = ((0.95, "A"), (0.85, "B"), (0.70, "C"))  # 按期结案率 at least …; below: D


def kpis(
    cases: pd.DataFrame, by: str, start: dt.datetime, end: dt.datetime, clock: WorkClock
) -> pd.DataFrame:
    """KPIs of `cases` (Store.kpi_cases rows) per `by` (a GROUPS key) for [start, end),
    best on-time rate first; a row per group with any count."""
    key = cases[GROUPS[by]].fillna("")
    registered = _within(cases["registered_at"], start, end)
    closed = _within(cases["closed_at"], start, end)
    open_at_end = _open_at(cases, end)
    overdue = open_at_end & (cases["due_at"] < pd.Timestamp(end)).to_numpy()
    on_time = closed & (cases["closed_at"] <= cases["due_at"]).to_numpy()
    hours = _hours(cases, closed, clock)
    frame = pd.DataFrame(
        {
            "key": key,
            "registered": registered,
            "closed": closed,
            "on_time": on_time,
            "reworked": closed & (cases["reworks"] > 0).to_numpy(),
            "extended": closed & (cases["extensions"] > 0).to_numpy(),
            "hours": hours,
            "timed": ~np.isnan(hours),
            "overdue_open": overdue,
        }
    )
    sums = frame.groupby("key").sum(numeric_only=True)
    sums = sums[(sums[["registered", "closed", "overdue_open"]] > 0).any(axis=1)]
    out = pd.DataFrame(index=sums.index)
    out["registered"] = sums["registered"].astype(int)
    out["closed"] = sums["closed"].astype(int)
    out["closure_rate"] = _share(sums["closed"], sums["registered"])
    for name, part in (("on_time", "on_time"), ("rework", "reworked"), ("extension", "extended")):
        out[f"{name}_rate"] = _share(sums[part], sums["closed"])
    out["mean_hours"] = _share(sums["hours"], sums["timed"])
    out["overdue_open"] = sums["overdue_open"].astype(int)
    out["grade"] = out["on_time_rate"].map(grade)
    return out.sort_values(["on_time_rate", "closed"], ascending=False, na_position="last")


def names(cases: pd.DataFrame, by: str) -> dict[str, str]:
    """The name of each group's key, as the cases carry it."""
    named = cases[[GROUPS[by], NAMES[by]]].dropna()
    return dict(named.groupby(GROUPS[by])[NAMES[by]].first())


def grade(on_time_rate: float) -> str:
    """A–D by the on-time closure rate; "" when nothing closed."""
    if on_time_rate != on_time_rate:
        return ""
    return next((g for floor, g in GRADES if on_time_rate >= floor), "D")


def period_of(text: str) -> tuple[dt.date, dt.date]:
    """[first day, day after the last) of an ISO week "2026-W48" or a month "2026-11";
    ValueError naming the text otherwise."""
    text = str(text).strip()
    try:
        if "-W" in text:
            year, week = text.split("-W")
            first = dt.date.fromisocalendar(int(year), int(week), 1)
            return first, first + dt.timedelta(days=7)
        year, month = (int(p) for p in text.split("-"))
        first = dt.date(year, month, 1)
        return first, (first + dt.timedelta(days=32)).replace(day=1)
    except (ValueError, OverflowError):
        wanted = "a week (2026-W48) or a month (2026-11)"
        raise ValueError(f"period {text[:20]!r} is not {wanted}") from None


def _within(times: pd.Series, start: dt.datetime, end: dt.datetime) -> np.ndarray:
    return ((times >= pd.Timestamp(start)) & (times < pd.Timestamp(end))).to_numpy()


def _open_at(cases: pd.DataFrame, end: dt.datetime) -> np.ndarray:
    ended = cases["closed_at"].fillna(cases["rejected_at"])
    started = (cases["reported_at"] < pd.Timestamp(end)).to_numpy()
    return started & (ended.isna() | (ended >= pd.Timestamp(end))).to_numpy()


def _hours(cases: pd.DataFrame, closed: np.ndarray, clock: WorkClock) -> np.ndarray:
    out = np.full(len(cases), np.nan)
    timed = closed & cases["dispatched_at"].notna().to_numpy()
    if timed.any():
        start = times_to_seconds(cases["dispatched_at"][timed])
        stop = times_to_seconds(cases["closed_at"][timed])
        out[timed] = clock.hours_between(start, stop)
    return out


def _share(part: pd.Series, whole: pd.Series) -> pd.Series:
    return (part / whole.where(whole > 0)).astype(float)
