"""Visit rules by household: a building is due exactly when one of its households is due under
its rules (a property test against a plain loop), and due buildings come first."""

from __future__ import annotations

import datetime as dt

import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from layers.visitrules import (
    DEFAULT_RULES,
    ORDINARY,
    TAGS,
    building_households,
    buildings_due,
    check_rules,
    interval,
)

TODAY = dt.date(2026, 11, 30)

households = st.lists(
    st.tuples(
        st.sampled_from(["B1", "B2", "B3", "B4"]),
        st.lists(st.sampled_from([*TAGS, "unknown"]), max_size=3),
        st.one_of(st.none(), st.integers(0, 400).map(lambda d: TODAY - dt.timedelta(days=d))),
    ),
    min_size=1,
    max_size=25,
)
rules = st.fixed_dictionaries({tag: st.integers(1, 400) for tag in DEFAULT_RULES})


def _naive_due(rows, rule) -> dict[str, bool]:
    """Each building: whether any of its households is due, one household at a time."""
    due: dict[str, bool] = {}
    for building, tags, last in rows:
        strict = [rule[t] for t in tags if t in TAGS]
        allowed = min(strict) if strict else rule[ORDINARY]
        never = last is None
        due[building] = due.get(building, False) or never or (TODAY - last).days >= allowed
    return due


@settings(max_examples=300, deadline=None)
@given(households, rules)
def test_a_building_is_due_exactly_when_one_of_its_households_is(rows, rule) -> None:
    frame = pd.DataFrame(rows, columns=["building_id", "tags", "last_visit"])
    found = buildings_due(frame, rule, TODAY)
    assert found["due"].to_dict() == _naive_due(rows, rule)
    # the order a round fills its time with: due first, the most overdue of them first
    due = found["due"].to_numpy()
    assert not (~due[:-1] & due[1:]).any()
    overdue = found.loc[found["due"], "overdue_days"].to_numpy()
    assert (overdue[:-1] >= overdue[1:]).all()
    assert (found.loc[~found["due"], "days_to_due"] > 0).all()


def test_the_strictest_tag_rules_and_untagged_is_ordinary() -> None:
    assert interval([], DEFAULT_RULES) == DEFAULT_RULES[ORDINARY] == 120
    assert interval(["empty_nest", "hardship"], {**DEFAULT_RULES, "hardship": 14}) == 14
    assert interval(["nonsense"], DEFAULT_RULES) == 120


@pytest.mark.parametrize(
    ("given_rules", "said"),
    [({"vip": 10}, "unknown household tag"), ({"hardship": 0}, "hardship"),
     ({"hardship": 2.5}, "whole number"), ({"hardship": True}, "whole number")],
)  # fmt: skip
def test_bad_rules_are_named(given_rules, said) -> None:
    with pytest.raises(ValueError, match=said):
        check_rules(given_rules)
    assert check_rules({"hardship": 14})["hardship"] == 14


buildings = st.lists(
    st.tuples(
        st.integers(0, 60),  # households, tagged ones among them
        st.one_of(st.none(), st.integers(0, 400)),  # days since its latest visit
        st.lists(  # its tagged households: tags, days since a visit reached them
            st.tuples(
                st.lists(st.sampled_from(TAGS), min_size=1, max_size=2),
                st.one_of(st.none(), st.integers(0, 400)),
            ),
            max_size=4,
        ),
    ),
    min_size=1,
    max_size=8,
)


def _ago(days: int | None) -> dt.date | None:
    return None if days is None else TODAY - dt.timedelta(days=days)


def _naive_building_due(size, last, homes, rule) -> bool:
    """Ordinary households (if any, or none recorded at all) by the building's latest visit;
    each tagged household by the latest visit that reached it, under its strictest tag."""
    due = False
    if size > len(homes) or not homes:
        due = last is None or last >= rule[ORDINARY]
    for tags, seen in homes:
        due = due or seen is None or seen >= min(rule[t] for t in tags)
    return due


@settings(max_examples=300, deadline=None)
@given(buildings, rules)
def test_a_building_is_due_exactly_when_one_of_its_households_is_including_the_ordinary(
    given_buildings, rule
) -> None:
    ids = [f"B{i}" for i in range(len(given_buildings))]
    frame = pd.DataFrame({"id": ids, "households": [max(n, len(h)) for n, _, h in given_buildings]})
    last = {b: _ago(d) for b, (_, d, _) in zip(ids, given_buildings, strict=True) if d is not None}
    homes = pd.DataFrame(
        [(b, tags, _ago(seen)) for b, (_, _, h) in zip(ids, given_buildings, strict=True)
         for tags, seen in h],
        columns=["building_id", "tags", "last_visit"],
    )  # fmt: skip
    found = buildings_due(building_households(frame, last, homes), rule, TODAY)
    expected = {
        b: _naive_building_due(max(n, len(h)), d, h, rule)
        for b, (n, d, h) in zip(ids, given_buildings, strict=True)
    }
    assert found["due"].to_dict() == expected
