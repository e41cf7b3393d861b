"""The map's view state: URL queries, bad parameters, layers, windows and round trips."""

from __future__ import annotations

import datetime as dt
from urllib.parse import parse_qsl

import pytest

from geodata.model import LOCAL_TZ
from layers.view import (
    AREA_LAYERS,
    CITY,
    LAYERS,
    NO_LAYERS,
    PROBLEMS,
    ViewState,
    data_as_of,
    layers_of,
    layers_text,
    parse_view,
    window_of,
)

STREETS = {"370832001"}


def test_defaults_make_an_empty_query() -> None:
    assert ViewState().query() == ""
    assert ViewState().shown() == AREA_LAYERS  # the problems layer is off until switched on


@pytest.mark.parametrize(
    "view",
    [
        ViewState(street="370832001", metric="visits_per_100", window="7d", lang="en"),
        ViewState(window="2026-10-01..2026-10-31", category="noise", area="370832001001XQ001"),
        ViewState(layers="compound,street"),
        ViewState(layers=NO_LAYERS),
        ViewState(layers="grid,street,problems"),
    ],
)
def test_query_round_trip(view: ViewState) -> None:
    query = dict(parse_qsl(view.query().lstrip("?")))
    parsed, problems = parse_view(query, STREETS)
    assert problems == []
    assert parsed == view
    assert ViewState.from_dict(view.as_dict()) == view


def test_layers_are_kept_in_drawing_order() -> None:
    assert layers_of("street,grid") == ("grid", "street")
    assert layers_text(["street", "compound"]) == "compound,street"
    assert layers_text([]) == NO_LAYERS and layers_of(NO_LAYERS) == ()
    assert "layers=compound,street" in ViewState(layers="compound,street").query()


def test_bad_layers_fall_back_and_are_reported() -> None:
    view, problems = parse_view({"layers": "roads"}, STREETS)
    assert view.layers == ",".join(AREA_LAYERS)
    assert [p.reason for p in problems] == ["bad_layers"]


def test_problems_are_drawn_on_top_and_are_no_area_level() -> None:
    assert LAYERS[-1] == PROBLEMS and PROBLEMS not in AREA_LAYERS
    view = ViewState(layers=layers_text(["problems", "street", "grid"]))
    assert view.layers == "grid,street,problems"
    assert view.shown() == ("grid", "street", "problems")
    assert view.shown_areas() == ("grid", "street")
    assert ViewState(layers=PROBLEMS).shown_areas() == ()
    assert "layers=grid,street,problems" in view.query()


def test_unknown_street_falls_back_to_the_city() -> None:
    view, problems = parse_view({"street": "999999999"}, STREETS)
    assert view.street == CITY
    assert [(p.param, p.reason) for p in problems] == [("street", "unknown_street")]


def test_query_keeps_a_language_that_is_not_the_default() -> None:
    assert ViewState(lang="zh").query(default_lang="en") == "?lang=zh"
    assert ViewState(lang="en").query(default_lang="en") == ""


def test_from_dict_ignores_unknown_keys() -> None:
    assert ViewState.from_dict({"metric": "overdue_cases", "extra": 1}).metric == "overdue_cases"
    assert ViewState.from_dict(None) == ViewState()


def test_window_of_a_range_includes_its_last_day() -> None:
    window = window_of("2026-11-01..2026-11-28", dt.date(2026, 11, 28))
    assert (window.end - window.start).days == 28


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
