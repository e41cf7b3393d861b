"""The map's view state: layers in the URL, round trips through the query and a dcc.Store."""

from __future__ import annotations

import datetime as dt
from urllib.parse import parse_qsl

import pytest

from layers.view import (
    CITY,
    LAYERS,
    NO_LAYERS,
    ViewState,
    layers_of,
    layers_text,
    parse_view,
    window_of,
)

STREETS = {"370832001"}


def test_defaults_make_an_empty_query() -> None:
    assert ViewState().query() == ""
    assert ViewState().shown() == LAYERS


@pytest.mark.parametrize(
    "view",
    [
        ViewState(street="370832001", metric="visits_per_100", window="7d", lang="en"),
        ViewState(window="2026-10-01..2026-10-31", category="noise", area="370832001001XQ001"),
        ViewState(layers="compound,street"),
        ViewState(layers=NO_LAYERS),
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
    assert view.layers == ",".join(LAYERS)
    assert [p.reason for p in problems] == ["bad_layers"]


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
