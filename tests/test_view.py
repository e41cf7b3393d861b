"""The map's view state: parsing URL queries, reporting bad parameters, windows."""

from __future__ import annotations

import datetime as dt
from urllib.parse import parse_qsl

import pytest

from geodata.model import LOCAL_TZ
from layers.view import CITY, ViewState, data_as_of, parse_view, window_of

STREETS = {"370832001", "370811001"}


def test_a_full_query_round_trips():
    view = ViewState("370832001", "overdue_cases", "2026-01-01..2026-03-31", "noise", "x", "en")
    parsed, problems = parse_view(dict(parse_qsl(view.query()[1:])), STREETS)
    assert problems == [] and parsed == view


def test_defaults_are_left_out_of_the_query():
    assert ViewState().query() == ""
    assert ViewState(metric="visits_per_100").query() == "?metric=visits_per_100"


@pytest.mark.parametrize(
    ("param", "value", "reason"),
    [
        ("street", "999999999", "unknown_street"),
        ("metric", "happiness", "bad_metric"),
        ("window", "14d", "bad_window"),
        ("window", "2026-03-31..2026-01-01", "bad_window"),
        ("window", "2026-02-30..2026-03-01", "bad_window"),
        ("window", "2026-01-01..9999-12-31", "bad_window"),
        ("window", "0001-01-01..2026-01-01", "bad_window"),
        ("category", "ufo", "bad_category"),
        ("lang", "fr", "bad_lang"),
    ],
)
def test_bad_parameters_fall_back_and_are_reported(param, value, reason):
    view, problems = parse_view({param: value}, STREETS)
    assert [(p.param, p.value, p.reason) for p in problems] == [(param, value, reason)]
    assert getattr(view, param) == getattr(ViewState(), param)


def test_empty_query_is_the_whole_city():
    view, problems = parse_view({}, STREETS, default_lang="en")
    assert view.street == CITY and view.lang == "en" and problems == []


def test_windows_end_with_the_as_of_day_in_china():
    as_of = dt.date(2026, 11, 28)
    w = window_of("7d", as_of)
    assert w.end == dt.datetime(2026, 11, 29, tzinfo=LOCAL_TZ)
    assert w.start == dt.datetime(2026, 11, 22, tzinfo=LOCAL_TZ)
    r = window_of("2026-01-01..2026-01-31", as_of)
    assert (r.end - r.start) == dt.timedelta(days=31)
    with pytest.raises(ValueError, match="not a window"):
        window_of("forever", as_of)


def test_as_of_comes_from_the_data():
    assert data_as_of({"as_of": "2025-06-01"}) == dt.date(2025, 6, 1)
    assert data_as_of({}) == dt.datetime.now(LOCAL_TZ).date()
