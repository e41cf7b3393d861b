"""Class breaks, class indices, colours and legends of the map's metrics."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from layers import classify
from layers.classify import FIRST_CLASS, NO_DATA, NO_DATA_COLOUR, ZERO, ZERO_COLOUR

METRICS = list(classify.METRIC_STYLE)


def test_zero_and_no_data_have_their_own_classes_and_colours() -> None:
    values = np.array([np.nan, 0, 1, 2, 3, 5, 8, 13, 21, 0, np.nan])
    classes = classify.classify("open_cases", values)
    index = classify.class_of(classes, values)
    assert list(index[[0, 10]]) == [NO_DATA, NO_DATA]
    assert list(index[[1, 9]]) == [ZERO, ZERO]
    assert (index[2:9] >= FIRST_CLASS).all()
    assert classes.colours[NO_DATA] == NO_DATA_COLOUR
    assert classes.colours[ZERO] == ZERO_COLOUR
    assert len(set(classes.colours)) == classes.count  # every class drawn differently


def test_quantile_classes_split_the_positive_values() -> None:
    values = np.arange(1, 101, dtype=float)
    classes = classify.classify("cases_per_1000", values)
    assert classes.uppers == (20.8, 40.6, 60.4, 80.2, 100.0)
    counts = np.bincount(classify.class_of(classes, values))[FIRST_CLASS:]
    assert list(counts) == [20, 20, 20, 20, 20]


def test_integer_metrics_get_integer_breaks_and_adjacent_ranges() -> None:
    values = np.array([1, 1, 1, 2, 2, 3, 4, 5, 7, 9, 12, 30], dtype=float)
    classes = classify.classify("open_cases", values)
    assert all(u == int(u) for u in classes.uppers)
    for previous, lower in zip(classes.uppers, classes.lowers[1:], strict=False):
        assert lower == previous + 1
    assert classes.lowers[0] == 1 and classes.uppers[-1] == 30


def test_few_distinct_values_make_one_class_each() -> None:
    classes = classify.classify("overdue_cases", [0, 2, 2, 5, np.nan])
    assert classes.uppers == (2.0, 5.0)
    assert classes.count == FIRST_CLASS + 2


def test_nothing_positive_leaves_only_zero_and_no_data() -> None:
    classes = classify.classify("days_since_visit", [0, 0, np.nan])
    assert classes.uppers == ()
    assert list(classify.class_of(classes, [0, np.nan])) == [ZERO, NO_DATA]


def test_visits_use_a_palette_where_more_is_better() -> None:
    cases = classify.classify("open_cases", np.arange(1, 50))
    visits = classify.classify("visits_per_100", np.arange(1, 50))
    assert cases.colours[FIRST_CLASS:] == classify.YL_OR_RD
    assert visits.colours[FIRST_CLASS:] == classify.YL_GN_BU


@given(
    st.lists(
        st.one_of(st.just(0.0), st.just(float("nan")), st.floats(0.001, 1e6)),
        min_size=1,
        max_size=200,
    ),
    st.sampled_from(METRICS),
)
def test_every_value_falls_in_its_range(values: list[float], metric: str) -> None:
    classes = classify.classify(metric, values)
    assert list(classes.uppers) == sorted(set(classes.uppers))  # strictly increasing
    assert classes.count <= FIRST_CLASS + classify.CLASS_COUNT
    for value, index in zip(values, classify.class_of(classes, values), strict=True):
        if np.isnan(value):
            assert index == NO_DATA
        elif value == 0:
            assert index == ZERO
        else:
            rank = index - FIRST_CLASS
            assert 0 <= rank < len(classes.uppers)
            assert value <= classes.uppers[rank]
            assert rank == 0 or value > classes.uppers[rank - 1]


def test_colourscale_steps_map_each_index_to_its_colour() -> None:
    classes = classify.classify("open_cases", [0, 1, 2, 3, 4, 5, 6, np.nan])
    scale = classify.colourscale(classes)
    n = classes.count
    for index, colour in enumerate(classes.colours):
        position = index / (n - 1)
        around = [c for p, c in scale if abs(p - position) <= 0.5 / (n - 1) + 1e-12]
        assert set(around) <= {colour, *classes.colours[max(index - 1, 0) : index + 2]}
        assert colour in around
    assert scale[0][0] == 0.0 and scale[-1][0] == 1.0


@pytest.mark.parametrize(
    ("metric", "unit", "decimals"),
    [
        ("open_cases", "unit.cases", 0),
        ("overdue_cases", "unit.cases", 0),
        ("cases_per_1000", "unit.per_1000", 1),
        ("visits_per_100", "unit.per_100", 1),
        ("days_since_visit", "unit.days", 0),
    ],
)
def test_units_and_decimals(metric: str, unit: str, decimals: int) -> None:
    assert classify.unit_key(metric) == unit
    assert classify.decimals(metric) == decimals
