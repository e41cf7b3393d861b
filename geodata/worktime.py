"""The working-time clock: due times and working hours on China's official calendar (调休 included).

Working days come from PyPI `chinese-calendar` (official holidays and the weekend days swapped
into working days); a year it does not know is taken as Monday to Friday, and the clock says
so (`assumed_years`). A city's own extra days off or on override both. Working hours are a
list of daily intervals in China time (default 08:30–12:00 and 13:30–17:30).

Time limits come in three units: working hours (工作时), working days (工作日, each as long
as one working day's hours) and calendar hours. A case timed from outside working hours
starts at the next working minute. Everything works on whole arrays (an import times a
million cases at once); the scalar helpers call the same code.
"""

from __future__ import annotations

import datetime as dt
import functools
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from enum import StrEnum

import chinese_calendar
import numpy as np
import pandas as pd

FIRST_DAY = dt.date(2000, 1, 1)
LAST_DAY = dt.date(2100, 12, 31)
# China has kept UTC+8 without daylight saving since 1991: local time is a fixed shift.
LOCAL_OFFSET_S = 8 * 3600
DEFAULT_HOURS = "08:30-12:00,13:30-17:30"
_EPOCH = np.datetime64(FIRST_DAY, "D")
_HOURS_TEXT = re.compile(r"^\s*(\d{1,2}):(\d{2})\s*-\s*(\d{1,2}):(\d{2})\s*$")


class LimitUnit(StrEnum):
    """How a category's time limit is counted."""

    WORK_HOURS = "work_hours"  # 工作时
    WORK_DAYS = "work_days"  # 工作日
    HOURS = "hours"  # calendar hours (round the clock: emergencies)


class WorkTimeError(ValueError):
    """Working hours or a calendar entry that cannot be used; the message says why."""


@dataclass(frozen=True)
class WorkHours:
    """Daily working intervals, in seconds after local midnight, sorted and apart."""

    intervals: tuple[tuple[int, int], ...]

    @classmethod
    def parse(cls, text: str) -> WorkHours:
        """'08:30-12:00,13:30-17:30' (any number of intervals, in order, not overlapping)."""
        intervals = []
        for part in str(text).split(","):
            match = _HOURS_TEXT.match(part)
            if not match:
                raise WorkTimeError(f"working hours {text!r}: {part.strip()!r} is not HH:MM-HH:MM")
            h1, m1, h2, m2 = (int(g) for g in match.groups())
            if h1 > 24 or h2 > 24 or m1 > 59 or m2 > 59:
                raise WorkTimeError(f"working hours {text!r}: {part.strip()!r} is not a time")
            intervals.append((h1 * 3600 + m1 * 60, h2 * 3600 + m2 * 60))
        for (start, end), before in zip(intervals, [(0, 0), *intervals], strict=False):
            if not before[1] <= start < end <= 86400:
                raise WorkTimeError(
                    f"working hours {text!r}: intervals must be in order, apart, within a day"
                )
        return cls(tuple(intervals))

    def text(self) -> str:
        def hhmm(seconds: int) -> str:
            return f"{seconds // 3600:02d}:{seconds % 3600 // 60:02d}"

        return ",".join(f"{hhmm(a)}-{hhmm(b)}" for a, b in self.intervals)

    @property
    def day_seconds(self) -> int:
        """Working seconds in one working day."""
        return sum(end - start for start, end in self.intervals)


@functools.lru_cache(maxsize=1)
def _official_days() -> tuple[np.ndarray, tuple[int, ...]]:
    """Per day from FIRST_DAY to LAST_DAY: a working day on the official calendar? And the
    years the calendar does not know (Monday to Friday assumed there)."""
    days = pd.date_range(FIRST_DAY, LAST_DAY, freq="D")
    working = np.asarray(days.day_of_week < 5).copy()
    unknown = []
    for year in range(FIRST_DAY.year, LAST_DAY.year + 1):
        try:
            chinese_calendar.is_workday(dt.date(year, 1, 1))
        except NotImplementedError:
            unknown.append(year)
            continue
        at = (dt.date(year, 1, 1) - FIRST_DAY).days
        for i in range(366 if year % 4 == 0 and (year % 100 or year % 400 == 0) else 365):
            working[at + i] = chinese_calendar.is_workday(FIRST_DAY + dt.timedelta(at + i))
    working.flags.writeable = False
    return working, tuple(unknown)


@dataclass(frozen=True)
class WorkClock:
    """Working time on the official calendar, with a city's own `extra` days (date → working
    or not) and its working `hours`."""

    hours: WorkHours = field(default_factory=lambda: WorkHours.parse(DEFAULT_HOURS))
    extra: Mapping[dt.date, bool] = field(default_factory=dict)

    @functools.cached_property
    def _days(self) -> tuple[np.ndarray, np.ndarray]:
        """Per day: working seconds that day, and working seconds before it (since FIRST_DAY)."""
        official, _ = _official_days()
        working = official.copy()
        for day, on in self.extra.items():
            if FIRST_DAY <= day <= LAST_DAY:
                working[(day - FIRST_DAY).days] = bool(on)
        seconds = working.astype(np.int64) * self.hours.day_seconds
        before = np.concatenate([[0], np.cumsum(seconds)[:-1]])
        return seconds, before

    @functools.cached_property
    def _marks(self) -> tuple[np.ndarray, np.ndarray]:
        """Within a working day: clock seconds of each interval's ends, and the working
        seconds done by then (a piecewise-linear map, flat over breaks)."""
        clock, done = [0], [0]
        for start, end in self.hours.intervals:
            clock += [start, end]
            done += [done[-1], done[-1] + end - start]
        clock.append(86400)
        done.append(done[-1])
        return np.array(clock, dtype=np.int64), np.array(done, dtype=np.int64)

    # --- arrays of UTC seconds since the Unix epoch -------------------------------------
    def worked(self, utc_s: np.ndarray) -> np.ndarray:
        """Working seconds from FIRST_DAY up to each moment (UTC seconds since 1970)."""
        local = np.asarray(utc_s, dtype=np.int64) + LOCAL_OFFSET_S
        day = local // 86400 - _EPOCH.astype(np.int64)
        seconds, before = self._days
        day = _check_span(day)
        clock, done = self._marks
        within = np.interp(local % 86400, clock, done).astype(np.int64)
        return before[day] + np.where(seconds[day] > 0, within, 0)

    def moment(self, worked: np.ndarray) -> np.ndarray:
        """The first moment (UTC seconds since 1970) at which `worked` working seconds are
        done: the inverse of worked(), landing on the end of an interval, never a break."""
        worked = np.asarray(worked, dtype=np.int64)
        seconds, before = self._days
        ends = before + seconds
        day = np.searchsorted(ends, worked, side="left")
        if (day >= len(ends)).any():
            raise WorkTimeError(f"a due time after {LAST_DAY} is beyond the working calendar")
        rest = worked - before[day]
        bounds = np.cumsum([end - start for start, end in self.hours.intervals])
        interval = np.searchsorted(bounds, rest, side="left")
        starts = np.array([s for s, _ in self.hours.intervals], dtype=np.int64)
        done_before = np.concatenate([[0], bounds[:-1]])
        local = (day + _EPOCH.astype(np.int64)) * 86400 + starts[interval] + rest
        return local - done_before[interval] - LOCAL_OFFSET_S

    def due(self, start_utc_s: np.ndarray, limit: np.ndarray, unit: np.ndarray) -> np.ndarray:
        """Due moments (UTC seconds) for limits counted from `start` in each row's unit
        (LimitUnit values; a limit may be fractional)."""
        start = np.asarray(start_utc_s, dtype=np.int64)
        limit = np.asarray(limit, dtype=float)
        unit = np.asarray(unit, dtype=object)
        per_unit = np.select(
            [unit == LimitUnit.WORK_HOURS, unit == LimitUnit.WORK_DAYS, unit == LimitUnit.HOURS],
            [3600, self.hours.day_seconds, 3600],
            default=-1,
        )
        if (per_unit < 0).any():
            bad = sorted({str(u) for u in unit[per_unit < 0]})
            raise WorkTimeError(f"unknown time-limit unit {bad[0]!r}; use one of {_units()}")
        span = np.rint(limit * per_unit).astype(np.int64)
        calendar = unit == LimitUnit.HOURS
        out = start + span
        working = ~calendar
        if working.any():
            out[working] = self.moment(self.worked(start[working]) + span[working])
        return out

    def hours_between(self, start_utc_s: np.ndarray, end_utc_s: np.ndarray) -> np.ndarray:
        """Working hours from each start to its end (negative when the end comes first)."""
        return (self.worked(end_utc_s) - self.worked(start_utc_s)) / 3600

    # --- one moment at a time -----------------------------------------------------------
    def due_at(self, start: dt.datetime, limit: float, unit: str) -> dt.datetime:
        """The due time of one case: `limit` `unit`s after `start` (timezone-aware)."""
        out = self.due(np.array([_utc_s(start)]), np.array([limit]), np.array([unit], object))
        return dt.datetime.fromtimestamp(int(out[0]), dt.UTC)

    def working_hours(self, start: dt.datetime, end: dt.datetime) -> float:
        return float(self.hours_between(np.array([_utc_s(start)]), np.array([_utc_s(end)]))[0])

    def is_working_day(self, day: dt.date) -> bool:
        seconds, _ = self._days
        return bool(seconds[int(_check_span(np.array([(day - FIRST_DAY).days]))[0])] > 0)

    def assumed_years(self, days: Iterable[dt.date]) -> list[int]:
        """Which years of `days` the official calendar does not know (weekdays assumed)."""
        _, unknown = _official_days()
        return sorted({d.year for d in days} & set(unknown))


def _units() -> str:
    return ", ".join(u.value for u in LimitUnit)


def _utc_s(moment: dt.datetime) -> int:
    if moment.tzinfo is None:
        raise WorkTimeError(f"{moment} has no timezone")
    return int(moment.timestamp())


def _check_span(day: np.ndarray) -> np.ndarray:
    if len(day) and (day.min() < 0 or day.max() > (LAST_DAY - FIRST_DAY).days):
        raise WorkTimeError(f"a time outside {FIRST_DAY} – {LAST_DAY} is beyond the calendar")
    return day


def times_to_seconds(times: pd.Series) -> np.ndarray:
    """Aware pandas times as UTC seconds since 1970 (NaT: the minimum int64)."""
    naive = times.dt.tz_convert("UTC").dt.tz_localize(None)
    return naive.to_numpy("datetime64[s]").astype(np.int64)
