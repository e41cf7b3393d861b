"""The working-time clock over the 2026 calendar: 国庆节 and its 调休 days, Fridays, breaks."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from geodata.model import LOCAL_TZ
from geodata.worktime import LimitUnit, WorkClock, WorkHours, WorkTimeError

CLOCK = WorkClock()


def at(*parts: int) -> dt.datetime:
    return dt.datetime(*parts, tzinfo=LOCAL_TZ)


def due(start: dt.datetime, limit: float, unit: str, clock: WorkClock = CLOCK) -> dt.datetime:
    return clock.due_at(start, limit, unit).astimezone(LOCAL_TZ)


def test_the_2026_national_day_week_is_off_and_its_swapped_saturday_is_on():
    days = {d: CLOCK.is_working_day(dt.date(2026, 10, d)) for d in range(1, 12)}
    assert [d for d, on in days.items() if on] == [8, 9, 10]  # Sat 10 Oct is 调休
    assert CLOCK.is_working_day(dt.date(2026, 9, 20))  # a Sunday worked before the holiday
    assert not CLOCK.is_working_day(dt.date(2026, 9, 26))  # 中秋节, a Saturday anyway
    assert not CLOCK.is_working_day(dt.date(2026, 9, 25))  # 中秋节 on a Friday


def test_a_case_dispatched_on_friday_afternoon_runs_on_into_monday():
    assert due(at(2026, 11, 27, 15), 4, "work_hours") == at(2026, 11, 30, 10)
    assert CLOCK.working_hours(at(2026, 11, 27, 15), at(2026, 11, 30, 10)) == 4.0


def test_a_case_over_the_holiday_waits_for_it_and_works_the_swapped_saturday():
    # 30 Sep: 6 h; 8 and 9 Oct: 7.5 h each; Saturday 10 Oct (调休): the last 1.5 h.
    assert due(at(2026, 9, 30, 10), 3, "work_days") == at(2026, 10, 10, 10)
    assert due(at(2026, 9, 30, 16), 2, "work_hours") == at(2026, 10, 8, 9)
    assert due(at(2026, 10, 9, 17), 1, "work_hours") == at(2026, 10, 10, 9)


def test_the_lunch_break_is_not_working_time():
    assert due(at(2026, 11, 27, 11), 1, "work_hours") == at(2026, 11, 27, 12)
    assert due(at(2026, 11, 27, 12, 30), 1, "work_hours") == at(2026, 11, 27, 14, 30)
    assert due(at(2026, 11, 27, 11, 30), 1, "work_hours") == at(2026, 11, 27, 14)


def test_a_case_reported_at_night_starts_at_the_next_working_minute():
    assert due(at(2026, 11, 26, 22), 0.5, "work_hours") == at(2026, 11, 27, 9)
    assert due(at(2026, 11, 28, 9), 1, "work_days") == at(2026, 11, 30, 17, 30)


def test_calendar_hours_run_round_the_clock_and_through_holidays():
    assert due(at(2026, 10, 1, 22), 4, "hours") == at(2026, 10, 2, 2)


def test_local_days_off_and_on_override_the_official_calendar():
    # 2027 is beyond the official calendar here: the city enters New Year's Day itself.
    off = {dt.date(2026, 12, 31): False, dt.date(2027, 1, 1): False}
    clock = WorkClock(extra={**off, dt.date(2026, 12, 26): True})
    assert not clock.is_working_day(dt.date(2026, 12, 31))
    assert clock.is_working_day(dt.date(2026, 12, 26))  # a Saturday
    assert due(at(2026, 12, 30, 17), 1, "work_hours", clock) == at(2027, 1, 4, 9)
    assert due(at(2026, 12, 25, 17), 1, "work_hours", clock) == at(2026, 12, 26, 9)


def test_working_hours_come_from_the_setting():
    clock = WorkClock(hours=WorkHours.parse("09:00-12:00, 14:00-18:00"))
    assert clock.hours.day_seconds == 7 * 3600
    assert due(at(2026, 11, 27, 8), 1, "work_days", clock) == at(2026, 11, 27, 18)
    assert clock.hours.text() == "09:00-12:00,14:00-18:00"


@pytest.mark.parametrize(
    ("text", "says"),
    [
        ("8:30-12", "is not HH:MM-HH:MM"),
        ("08:30-12:00,11:00-17:00", "in order, apart"),
        ("12:00-08:30", "in order, apart"),
        ("08:75-12:00", "is not a time"),
        ("", "is not HH:MM-HH:MM"),
    ],
)
def test_working_hours_that_cannot_be_used_are_named(text, says):
    with pytest.raises(WorkTimeError, match=says):
        WorkHours.parse(text)


def test_a_year_the_calendar_does_not_know_is_weekdays_and_said_so():
    assert CLOCK.assumed_years([dt.date(2026, 5, 1), dt.date(2040, 5, 1)]) == [2040]
    assert CLOCK.is_working_day(dt.date(2040, 5, 1))  # a Tuesday; no holiday known
    assert not CLOCK.is_working_day(dt.date(2040, 5, 5))  # a Saturday


def test_an_unknown_unit_and_a_naive_time_are_refused():
    with pytest.raises(WorkTimeError, match="unknown time-limit unit 'weeks'"):
        CLOCK.due_at(at(2026, 11, 27, 9), 1, "weeks")
    with pytest.raises(WorkTimeError, match="no timezone"):
        CLOCK.due_at(dt.datetime(2026, 11, 27, 9), 1, "hours")


@settings(max_examples=300, deadline=None)
@given(
    start=st.integers(1_735_660_800, 1_830_297_600),  # 2025 … 2027, seconds
    limit=st.floats(0.01, 60, allow_nan=False),
    unit=st.sampled_from([LimitUnit.WORK_HOURS, LimitUnit.WORK_DAYS]),
)
def test_a_due_time_is_exactly_the_limit_in_working_time_after_its_start(start, limit, unit):
    starts = np.array([start])
    out = CLOCK.due(starts, np.array([limit]), np.array([unit], dtype=object))
    per_unit = 3600 if unit is LimitUnit.WORK_HOURS else CLOCK.hours.day_seconds
    span = round(limit * per_unit)
    assert out[0] > start
    assert CLOCK.worked(out)[0] - CLOCK.worked(starts)[0] == span
    # the earliest such moment: one second sooner is not enough
    assert CLOCK.worked(out - 1)[0] - CLOCK.worked(starts)[0] == span - 1
