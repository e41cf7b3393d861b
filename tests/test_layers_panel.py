"""Panel and case-table rows from a store holding the tiny city: staff, cases, visits, CSV."""

from __future__ import annotations

import csv
import datetime as dt
import io
from collections.abc import Iterator

import pandas as pd
import pytest

from geodata.model import LOCAL_TZ, Level
from geodata.store import Store
from layers import panel
from layers.mask import mask_case_text
from layers.view import window_of
from tests import tiny_city as tc

AT = panel.end_of_day(tc.AS_OF)  # 2026-11-29 00:00 in China
NORTH, SOUTH = tc.YUNHE + "001", tc.YUNHE + "002"


@pytest.fixture
def store(store_factory) -> Iterator[Store]:
    store = store_factory(create=True)
    store.write_city(tc.build())
    yield store


def test_end_of_day_is_local_midnight() -> None:
    assert dt.datetime(2026, 11, 29, tzinfo=LOCAL_TZ) == AT


def test_age_counts_whole_days_and_never_goes_negative() -> None:
    reported = dt.datetime(2026, 11, 28, 10, tzinfo=LOCAL_TZ)
    assert panel.age_days(reported, AT) == 0
    assert panel.age_days(reported - dt.timedelta(days=3, hours=1), AT) == 3
    assert panel.age_days(AT + dt.timedelta(hours=1), AT) == 0


# --- staff ---------------------------------------------------------------------------------------
def test_garden_staff_each_person_once_with_all_roles(store: Store) -> None:
    rows = panel.staff_rows(store.staff(tc.GARDEN))
    assert [r["person_id"] for r in rows] == [m.person_id for m in store.staff(tc.GARDEN)]
    by_id = {r["person_id"]: r for r in rows}
    assert set(by_id) == {"P1", "P2", "P3", "P4", "P5"}  # not P6 of 锦绣社区
    p1 = by_id["P1"]
    assert (p1["name"], p1["phone"], p1["cross_appointed"]) == ("王建国", "13800000001", True)
    assert [(r["role"], r["org_name"]) for r in p1["roles"]] == [
        ("grid_worker", "运河社区两委"),
        ("property_administrator", "济宁运河物业服务有限公司"),
    ]
    assert [r["org_kind"] for r in p1["roles"]] == ["committee", "property_company"]


def test_cross_appointment_needs_both_organisations(store: Store) -> None:
    flags = {r["person_id"]: r["cross_appointed"] for r in panel.staff_rows(store.staff(tc.GARDEN))}
    assert flags == {"P1": True, "P2": False, "P3": True, "P4": True, "P5": False}


def test_grid_cell_staff_come_in_the_stores_order(store: Store) -> None:
    rows = panel.staff_rows(store.staff(NORTH))
    assert [r["name"] for r in rows] == [m.name for m in store.staff(NORTH)]
    assert rows[0]["name"] == "王建国"  # the cell's own grid worker first
    assert "李秀英" not in [r["name"] for r in rows]  # the south cell's worker


def test_a_role_held_for_one_organisation_twice_is_listed_once(store: Store) -> None:
    member = store.staff(tc.GARDEN)[0]
    doubled = type(member)(
        member.person_id, member.name, member.phone, (*member.roles, member.roles[0])
    )
    assert panel.staff_rows([doubled])[0]["roles"] == panel.staff_rows([member])[0]["roles"]


def test_an_area_without_staff_has_no_rows(store: Store) -> None:
    assert panel.staff_rows(store.staff(tc.JINXIU + "002")) == []


MASKED = {"reporter": "张**", "reporter_phone": "139****5678"}  # 张先生, 13912345678


# --- recent cases --------------------------------------------------------------------------------
def test_recent_cases_of_the_garden(store: Store) -> None:
    found = panel.recent_case_rows(store.recent_cases(tc.GARDEN), AT)
    assert all({k: r[k] for k in MASKED} == MASKED for r in found)  # masked by default
    rows = [{k: v for k, v in r.items() if k not in MASKED} for r in found]
    assert rows == [
        {
            "id": "C2",
            "reported": "2026-11-26",
            "category": "property_fees",
            "status": "dispatched",
            "age_days": 2,
            "overdue": False,  # 168 h have not run yet
        },
        {
            "id": "C3",
            "reported": "2026-11-23",
            "category": "noise",
            "status": "closed",
            "age_days": 5,
            "overdue": False,
        },
        {
            "id": "C1",
            "reported": "2026-11-18",
            "category": "sanitation",
            "status": "dispatched",
            "age_days": 10,
            "overdue": True,  # open, and 48 h ran out long ago
        },
        {
            "id": "C5",
            "reported": "2026-05-12",
            "category": "sanitation",
            "status": "closed",
            "age_days": 200,
            "overdue": False,  # closed cases are never overdue
        },
    ]


def test_overdue_is_judged_at_the_end_of_the_as_of_day(store: Store) -> None:
    # C6 (street vending, 4 working hours) was dispatched at 11:00 on Friday 27 November:
    # due at 16:30 on the 27th (1 h before lunch, 3 h after), so overdue by the end of that
    # day but not by the end of the day before.
    [case] = [c for c in store.recent_cases(NORTH) if c.id == "C6"]
    assert case.due_at == dt.datetime(2026, 11, 27, 16, 30, tzinfo=LOCAL_TZ)
    assert panel.recent_case_rows([case], panel.end_of_day(case.due_at.date()))[0]["overdue"]
    evening = panel.end_of_day(dt.date(2026, 11, 26))
    assert panel.recent_case_rows([case], evening)[0]["overdue"] is False


def test_reported_date_is_the_local_day() -> None:
    late_utc = dt.datetime(2026, 11, 27, 20, tzinfo=dt.UTC)  # 04:00 on the 28th in China
    assert panel.local_date(late_utc) == "2026-11-28"


# --- visits --------------------------------------------------------------------------------------
def test_visit_summary_of_the_garden_over_30_days(store: Store) -> None:
    window = window_of("30d", tc.AS_OF)
    metrics = store.metrics(Level.COMPOUND, window, parent=tc.GARDEN)
    assert panel.visit_summary(metrics, tc.GARDEN) == {
        "last_visit": "2026-11-27",  # V1; V3 (50 days ago) is outside the window
        "visits": 2,
        "households_reached": 70,
    }


def test_last_visit_is_shown_even_when_outside_the_window(store: Store) -> None:
    window = window_of("7d", tc.AS_OF)
    metrics = store.metrics(Level.GRID, window, parent=SOUTH)
    assert panel.visit_summary(metrics, SOUTH) == {
        "last_visit": "2026-10-09",  # V3, 50 days before the as-of day
        "visits": 0,
        "households_reached": 0,
    }


def test_an_area_never_visited(store: Store) -> None:
    window = window_of("90d", tc.AS_OF)
    code = tc.JINXIU + "002"
    metrics = store.metrics(Level.GRID, window, parent=code)
    expected = {"last_visit": None, "visits": 0, "households_reached": 0}
    assert panel.visit_summary(metrics, code) == expected
    assert panel.visit_summary(metrics.iloc[0:0], code) == expected


# --- case table ----------------------------------------------------------------------------------
def _names(store: Store) -> dict[str, str]:
    levels = (Level.COMMUNITY, Level.COMPOUND, Level.GRID)
    return panel.area_names(*(store.areas(level, parent=tc.STREET) for level in levels))


def test_area_names_cover_every_level(store: Store) -> None:
    names = _names(store)
    assert names[tc.YUNHE] == "运河社区"
    assert names[tc.GARDEN] == "运河花园"
    assert names[NORTH] == "第1网格"
    assert len(names) == 2 + 2 + 4


def test_case_table_rows_of_the_street(store: Store) -> None:
    rows = panel.case_table_rows(store.cases(tc.STREET), _names(store), AT)
    assert [r["id"] for r in rows] == ["C6", "C2", "C3", "C1", "C4", "C5"]
    assert all(tuple(r) == (*panel.CASE_COLUMNS, "personal") for r in rows)
    by_id = {r["id"]: r for r in rows}
    assert by_id["C1"] == {
        "id": "C1",
        "reported": "2026-11-18",
        "category": "sanitation",
        "status": "dispatched",
        "community": "运河社区",
        "compound": "运河花园",
        "grid": "第1网格",
        "age_days": 10,
        "overdue": True,
        **MASKED,
        "description": "楼道堆放杂物",
        "personal": False,
    }
    assert by_id["C6"]["compound"] == ""  # on the road: a cell, no compound
    assert by_id["C4"]["compound"] == "东方新天地"
    assert [r["id"] for r in rows if r["overdue"]] == ["C6", "C1", "C4"]


def test_case_table_rows_mask_reporters_by_default(store: Store) -> None:
    rows = panel.case_table_rows(store.cases(tc.STREET), _names(store), AT)
    text = repr(rows)
    assert "13912345678" not in text and "张先生" not in text


def test_case_table_rows_show_reporters_where_asked(store: Store) -> None:
    cases = store.cases(tc.STREET)
    shown = [case_id == "C1" for case_id in cases["id"]]
    rows = {r["id"]: r for r in panel.case_table_rows(cases, _names(store), AT, shown)}
    assert rows["C1"]["reporter"] == "张先生" and rows["C1"]["reporter_phone"] == "13912345678"
    assert rows["C1"]["personal"] is True
    assert rows["C2"]["reporter"] == "张**" and rows["C2"]["personal"] is False


def test_recent_cases_show_reporters_where_asked(store: Store) -> None:
    rows = panel.recent_case_rows(store.recent_cases(tc.GARDEN), AT, personal=True)
    assert {r["reporter_phone"] for r in rows} == {"13912345678"}


def test_unknown_area_codes_are_shown_as_codes(store: Store) -> None:
    rows = panel.case_table_rows(store.cases(tc.GARDEN), {}, AT)
    assert {r["compound"] for r in rows} == {tc.GARDEN}


def test_no_cases_no_rows(store: Store) -> None:
    window = window_of("7d", tc.AS_OF - dt.timedelta(days=300))
    assert panel.case_table_rows(store.cases(tc.STREET, window), _names(store), AT) == []


# --- CSV -----------------------------------------------------------------------------------------
def test_csv_has_a_bom_a_header_and_one_line_per_row(store: Store) -> None:
    rows = panel.case_table_rows(store.cases(tc.STREET), _names(store), AT)
    headers = [f"列{i}" for i in range(len(panel.CASE_COLUMNS))]
    data = panel.csv_bytes(rows, panel.CASE_COLUMNS, headers)
    assert data.startswith(b"\xef\xbb\xbf")
    table = list(csv.reader(io.StringIO(data.decode("utf-8-sig"))))
    assert table[0] == headers
    assert [line[0] for line in table[1:]] == [r["id"] for r in rows]
    assert table[1][panel.CASE_COLUMNS.index("description")] == "楼道堆放杂物"


def test_csv_defuses_spreadsheet_formulas() -> None:
    rows = [{"a": '=HYPERLINK("http://x")', "b": "@SUM(1)", "c": 3, "d": None}]
    data = panel.csv_bytes(rows, ["a", "b", "c", "d"], ["a", "b", "c", "d"])
    line = list(csv.reader(io.StringIO(data.decode("utf-8-sig"))))[1]
    assert line == ['\'=HYPERLINK("http://x")', "'@SUM(1)", "3", ""]


def test_csv_keeps_commas_quotes_and_newlines_in_text() -> None:
    text = '噪音，"很大",\n晚上'
    data = panel.csv_bytes([{"d": text}], ["d"], ["描述"])
    frame = pd.read_csv(io.BytesIO(data), encoding="utf-8-sig")
    assert frame.iloc[0, 0] == text


# --- residents' personal data in the description -------------------------------------------------
# The panel masks with layers.mask (its own corpus is tests/data/mask_corpus.tsv); these are
# the first-pass cases, kept as a check that the panel goes through it. Stricter on purpose
# than the first pass: landlines hide 4 digits (not 3), and room numbers are masked.
@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("联系电话13561290308。", "联系电话135****0308。"),
        ("电话0537-7321001", "电话0537-****001"),
        ("05377321001", "0537****001"),
        ("3号楼1201室", "3号楼****室"),
        ("编号213561290308", "编号213561290308"),  # part of a longer number: not a phone
        ("手机 138 1234 5678", "手机 138****5678"),
        ("手机138-1234-5678", "手机138****5678"),
        ("电话0537 7321001", "电话0537 ****001"),
        ("电话１３８１２３４５６７８", "电话138****5678"),
        ("身份证37083219800101123X", "身份证370832********123X"),
        ("身份证号370832198001011234，", "身份证号370832********1234，"),
    ],
)
def test_masked_description_masks_phones_ids_and_rooms(text: str, expected: str) -> None:
    assert mask_case_text(text, "", "") == expected


def test_masked_description_hides_the_reporter() -> None:
    text = "3号楼吴建华反映门禁损坏，联系电话13561290308。"
    masked = mask_case_text(text, "吴建华", "13561290308")
    assert masked == "3号楼吴**反映门禁损坏，联系电话135****0308。"
    assert mask_case_text("无", "", "") == "无"


def test_masked_description_hides_a_reporter_no_pattern_knows() -> None:
    # a bare name and an odd number in running text: only the record identifies them
    text = "吴建华说门禁坏了，打0086-537-7321001找他"
    masked = mask_case_text(text, "吴建华", "0086-537-7321001")
    assert "吴建华" not in masked and "7321001" not in masked
    assert masked.startswith("吴**说门禁坏了")


def test_staff_phones_are_not_masked(store: Store) -> None:
    # staff are not residents: the supervisor needs to call them
    phones = {r["phone"] for r in panel.staff_rows(store.staff(tc.GARDEN))}
    assert "13800000001" in phones


def test_case_table_masks_the_reporter_in_the_description(store: Store) -> None:
    row = tc.case_row("C9", "noise", 100, 310, tc.local(-1), "dispatched")
    row["description"] = "张先生反映夜间噪音，回电13912345678"
    store.add_cases(pd.DataFrame([row]))
    [case] = panel.case_table_rows(store.cases(tc.GARDEN, limit=1), {}, AT)
    assert case["description"] == "张**反映夜间噪音，回电139****5678"


def test_staff_rows_name_the_account_linked_to_a_person(store: Store) -> None:
    rows = panel.staff_rows(store.staff(tc.GARDEN), {"P1": "wang"})
    accounts = {r["person_id"]: r["account"] for r in rows}
    assert accounts["P1"] == "wang" and {accounts[p] for p in accounts if p != "P1"} == {None}
