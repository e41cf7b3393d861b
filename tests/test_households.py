"""Tagged households, the visits that reached them, the visit rules and the visits' check-in
columns in the store (schema version 5), on both backends: written all or nothing, refusals
naming row and field, an older store upgraded."""

from __future__ import annotations

import datetime as dt

import pandas as pd
import pytest

from geodata.households import DEFAULT_RULES
from geodata.store import StoreError
from tests import storekit
from tests import tiny_city as tc

B1, B2, B3 = (f"{tc.GARDEN}-0{n}" for n in (1, 2, 3))

DAY = tc.AS_OF


def tagged() -> pd.DataFrame:
    return pd.DataFrame(
        [
            ("H1", B1, "1-101", "hardship"),
            ("H2", B1, "2-301", "living_alone,disability"),
            ("H3", B3, "", ["empty_nest"]),
        ],
        columns=["id", "building_id", "unit", "tags"],
    )


@pytest.fixture
def store(store_factory):
    s = store_factory(create=True)
    s.write_city(tc.build())
    s.write_households(tagged())
    return s


def visit(vid: str, building: str, days_ago: int, **extra) -> dict:
    return {"id": vid, "worker_id": "P1", "date": DAY - dt.timedelta(days=days_ago),
            "building_id": building, "households_reached": 5, "needs_found": 0,
            "cases_raised": 0, **extra}  # fmt: skip


def test_households_are_kept_with_their_tags_and_read_by_cell_or_building(store) -> None:
    cell = store.buildings(None).set_index("id").loc[B1, "grid_code"]
    found = store.households([cell])
    assert found["id"].tolist() == ["H1", "H2"]
    assert found["tags"].tolist() == [["hardship"], ["living_alone", "disability"]]
    assert found["unit"].tolist() == ["1-101", "2-301"]
    assert set(found["grid_code"]) == {cell}
    by_building = store.households(building_ids=[B3])
    assert by_building["id"].tolist() == ["H3"] and by_building["unit"].tolist() == [""]
    assert store.households(["nowhere"]).empty
    assert store.counts()["households"] == 3


def test_a_visit_links_the_households_it_reached_and_carries_its_check_in(store) -> None:
    before = store.households(building_ids=[B1], visited_until=DAY)
    assert before["last_visit"].tolist() == [None, None]
    added = pd.DataFrame(
        [
            visit("W1", B1, 40, household_ids=["H1", "H2"], residents_met=3, checkin_m=12.5,
                  notes="老人身体好"),
            visit("W2", B1, 10, household_ids="H2", checkin_m=250.0),
            visit("W3", B1, 5, household_ids=[]),
        ]
    )  # fmt: skip
    store.add_visits(added)
    after = store.households(building_ids=[B1], visited_until=DAY).set_index("id")
    assert after.loc["H1", "last_visit"] == DAY - dt.timedelta(days=40)
    assert after.loc["H2", "last_visit"] == DAY - dt.timedelta(days=10)
    earlier = store.households(building_ids=[B1], visited_until=DAY - dt.timedelta(days=20))
    assert earlier.set_index("id").loc["H2", "last_visit"] == DAY - dt.timedelta(days=40)
    rows = store.visits(worker_id="P1").set_index("id")
    assert rows.loc["W1", "residents_met"] == 3 and rows.loc["W1", "notes"] == "老人身体好"
    assert rows.loc["W1", "far"] == 0 and rows.loc["W2", "far"] == 1  # over 100 m
    assert rows.loc["W2", "checkin_m"] == pytest.approx(250.0)
    assert pd.isna(rows.loc["W3", "checkin_m"]) and pd.isna(rows.loc["W3", "far"])
    assert store.counts()["visit_households"] == 3


@pytest.mark.parametrize(
    ("extra", "said"),
    [
        ({"household_ids": ["H1", "H9"]}, "row 2: household_ids 'H9' is not a household"),
        ({"household_ids": ["H3"]}, "row 2: household_ids 'H3' lives in building"),
        ({"residents_met": -1}, r"row 2: residents_met -1(\.0)? is not a whole number"),
        ({"checkin_m": "near"}, "row 2: checkin_m 'near' is not a number"),
        ({"far": 2}, r"row 2: far 2(\.0)? is not a whole number from 0 to 1"),
        ({"notes": "长" * 2001}, "row 2: notes"),
    ],
)
def test_a_bad_visit_is_named_and_nothing_is_written(store, store_factory, extra, said) -> None:
    before = store_factory.digest()
    rows = pd.DataFrame([visit("W1", B1, 3), visit("W2", B1, 2, **extra)])
    with pytest.raises(StoreError, match=said):
        store.add_visits(rows)
    assert store_factory.digest() == before


@pytest.mark.parametrize(
    ("row", "said"),
    [
        (("H4", "nowhere", "", "hardship"), "row 2: building_id 'nowhere' is not a building"),
        (("H4", B2, "", "vip"), "row 2: tags 'vip' is not a household tag"),
        (("H4", B2, "", ""), "row 2: tags is empty"),
        (("H5", B2, "", "hardship"), "row 2: id 'H5' appears again \\(first in row 1\\)"),
        (("<b>", B2, "", "hardship"), "row 2: id '<b>' holds"),
    ],
)
def test_bad_households_are_named_and_nothing_is_written(store, store_factory, row, said):
    before = store_factory.digest()
    rows = pd.DataFrame([("H5", B2, "", "hardship"), row], columns=tagged().columns)
    with pytest.raises(StoreError, match=said):
        store.write_households(rows)
    assert store_factory.digest() == before


def test_households_are_replaced_by_id_or_all_at_once(store) -> None:
    store.write_households(
        pd.DataFrame([("H1", B2, "3-502", "empty_nest")], columns=tagged().columns)
    )
    moved = store.households(building_ids=[B1, B2]).set_index("id")
    assert moved.loc["H1", "building_id"] == B2 and moved.loc["H1", "tags"] == ["empty_nest"]
    store.write_households(tagged().iloc[2:], replace=True)
    assert store.households(building_ids=[B1, B2, B3])["id"].tolist() == ["H3"]


def test_visit_rules_default_and_change_only_when_every_one_is_good(store, store_factory):
    assert store.visit_rules() == dict(DEFAULT_RULES)
    revision = store.revision()
    assert store.set_visit_rules({"hardship": 14, "ordinary": 90})["hardship"] == 14
    assert store.revision() != revision  # routes cached by revision are planned again
    before = store_factory.digest()
    for bad, said in (({"vip": 3}, "unknown household tag 'vip'"),
                      ({"empty_nest": 7, "disability": 0}, "disability"),
                      ({"empty_nest": 2.5}, "whole number")):  # fmt: skip
        with pytest.raises(StoreError, match=said):
            store.set_visit_rules(bad)
    assert store_factory.digest() == before
    store.close()
    again = store_factory(readonly=True)
    assert again.visit_rules() == {**DEFAULT_RULES, "hardship": 14, "ordinary": 90}


def test_a_version_4_store_gains_households_when_opened_writable(store, store_factory):
    store.add_visits(pd.DataFrame([visit("W1", B1, 3, household_ids=["H1"])]))
    store.set_visit_rules({"hardship": 20})
    store.close()
    storekit.downgrade_to_v4(store_factory)
    old = store_factory(readonly=True)
    assert old.meta()["schema_version"] == "4" and "households" not in old.counts()
    assert old.households([tc.JINXIU + "001"]).empty and old.visit_rules() == dict(DEFAULT_RULES)
    assert "W1" in set(old.visits()["id"])
    old.close()
    upgraded = store_factory()
    assert upgraded.meta()["schema_version"] == "5" and upgraded.counts()["households"] == 0
    upgraded.write_households(tagged())
    upgraded.add_visits(pd.DataFrame([visit("W2", B1, 1, household_ids=["H1"], residents_met=2)]))
    found = upgraded.households(building_ids=[B1], visited_until=DAY).set_index("id")
    assert found.loc["H1", "last_visit"] == DAY - dt.timedelta(days=1)
    assert upgraded.visits().set_index("id").loc["W2", "residents_met"] == 2


def test_visitrules_commands_show_and_set_or_say_what_is_wrong(store, store_factory, capsys):
    from tests.test_catalogue import _run

    store.close()
    data = str(store_factory.location)
    code, out, _ = _run(capsys, "visitrules", "show", "--data", data)
    assert code == 0 and "ordinary                120 days  (default)" in out
    assert _run(capsys, "visitrules", "set", "living_alone", "14", "--data", data)[0] == 0
    before = store_factory.digest()
    for tag, days, said in (("vip", "3", "unknown household tag 'vip'"),
                            ("hardship", "0", "hardship: days between visits must be a whole"),
                            ("hardship", "2.5", "whole number from 1 to 3,650")):  # fmt: skip
        code, _, err = _run(capsys, "visitrules", "set", tag, days, "--data", data)
        assert code == 1 and said in err and len(err.strip().splitlines()) == 1
    assert store_factory.digest() == before
    code, out, _ = _run(capsys, "visitrules", "show", "--data", data)
    assert "living_alone             14 days\n" in out
