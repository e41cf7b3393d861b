"""Importing records into the street demo: all or nothing, every bad row named, rejects."""

from __future__ import annotations

import hashlib
import re
import shutil
import sqlite3
from pathlib import Path

import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from geodata import importer, rules
from geodata.backends import open_store
from geodata.importer import ImportProblems
from geodata.tabular import TabularError, load_mapping

GOOD = Path(__file__).parent / "data" / "records"
BAD = Path(__file__).parent / "data" / "bad" / "records"


def digest(path: Path) -> str:
    """The store's content: a hash of its SQL dump (as tests/test_store.py compares)."""
    con = sqlite3.connect(path)
    try:
        h = hashlib.sha256()
        for line in con.iterdump():
            h.update(line.encode())
        return h.hexdigest()
    finally:
        con.close()


@pytest.fixture
def store_path(street_store_path: Path, tmp_path: Path) -> Path:
    path = tmp_path / "street.gpkg"
    shutil.copy(street_store_path, path)
    return path


@pytest.fixture
def store(store_path: Path):
    with open_store(store_path) as opened:
        yield opened


@pytest.mark.parametrize("name", ["cases.csv", "cases_bom.csv", "cases_gbk.csv"])
def test_cases_import_into_their_cells(store, name):
    report = importer.import_cases(store, GOOD / name)
    assert (report.written, report.rejected) == (4, 0)
    cases = store.cases().set_index("id")
    t1 = cases.loc["T1"]
    assert (t1["category"], t1["status"], t1["source"]) == ("noise", "closed", "hotline_12345")
    assert t1["reported_at"] == pd.Timestamp("2026-11-20 06:30", tz="UTC")
    assert t1["closed_at"] == pd.Timestamp("2026-11-21 02:00", tz="UTC")
    assert t1["grid_code"].startswith("370832001") and len(t1["grid_code"]) == 15
    assert t1["description"] == "楼上装修噪音" and t1["reporter_name"] == "张先生"
    assert cases.loc["T2", "status"] == "in_progress"
    assert cases.loc["T3", "status"] == "reported"  # no status given, not closed: reported
    assert cases.loc["T4", "category"] == "parking" and cases.loc["T4", "source"] == "mini_program"
    # parking: 3 working days from Wednesday 12:00 (timed from the report: no dispatch time)
    assert cases.loc["T4", "reported_at"] == pd.Timestamp("2026-11-25 04:00", tz="UTC")
    assert cases.loc["T4", "due_at"] == pd.Timestamp("2026-11-30 04:00", tz="UTC")  # Mon noon
    assert pd.isna(cases.loc["T3", "due_at"])  # not dispatched: the clock has not started


def test_a_mapping_file_names_headers_and_values(store):
    mapping = load_mapping(GOOD / "mapping.toml")
    report = importer.import_cases(store, GOOD / "cases_odd_headers.csv", mapping)
    assert report.written == 2
    cases = store.cases().set_index("id")
    assert cases.loc["M1", "category"] == "sanitation" and cases.loc["M1", "status"] == "verified"
    assert cases.loc["M2", "category"] == "noise" and cases.loc["M2", "status"] == "reported"


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("missing_coordinates.csv", ["line 3: lon is missing", "line 4: lat is missing"]),
        (
            "impossible_dates.csv",
            [
                "line 2: reported_at '2026-02-30 10:00' is not a real date or time",
                "line 3: reported_at '2026-11-25 25:00' is not a real date or time",
                "line 4: reported_at '昨天下午' is not a date and time in a known form",
            ],
        ),
        ("unknown_category.csv", ["line 3: category '独角兽' is not a known category"]),
        ("duplicate_ids.csv", ["line 4: id 'T1' appears again (first on line 2)"]),
        (
            "hostile_ids.csv",
            [
                "line 2: id '=XSS-007' holds '='",
                "line 3: status '已办结' is closed but closed_at (column '办结时间') is empty",
                "line 4: id '<b>2</b>' holds '<'",
            ],
        ),
    ],
)
def test_bad_rows_are_all_named_and_nothing_is_written(store, store_path, name, expected):
    before = digest(store_path)
    with pytest.raises(ImportProblems) as info:
        importer.import_cases(store, BAD / name)
    lines = info.value.lines()
    for text in expected:
        assert any(line.startswith(text) for line in lines), (text, lines)
    assert str(BAD / name) in str(info.value) and "nothing was written" in str(info.value)
    assert digest(store_path) == before


@pytest.mark.parametrize(
    ("name", "message"),
    [
        ("empty.csv", "the file is empty"),
        ("header_only.csv", "no records below the header row"),
        ("gbk_read_as_utf8.csv", "looks like GBK text read as UTF-8"),
        ("kunkao_mojibake.csv", "line 2: '锟斤拷' looks like GBK text read as UTF-8"),
        ("not_text.csv", "neither UTF-8 nor GBK"),
    ],
)
def test_unreadable_files_change_nothing(store, store_path, name, message):
    before = digest(store_path)
    with pytest.raises(TabularError, match=message) as info:
        importer.import_cases(store, BAD / name)
    assert str(BAD / name) in str(info.value)
    assert digest(store_path) == before


def test_a_500_mb_line_changes_nothing(store, store_path, tmp_path):
    path = tmp_path / "huge.csv"
    with path.open("wb") as fh:
        fh.write("工单号,诉求类型,经度,纬度,受理时间\nX1,noise,".encode())
        fh.write(b"1" * (2 << 20))
        fh.truncate(500 << 20)
    before = digest(store_path)
    with pytest.raises(TabularError, match=f"{path}: line 2 is longer than 1 MB"):
        importer.import_cases(store, path)
    assert digest(store_path) == before


def test_ids_in_the_store_and_places_outside_every_cell_are_row_problems(store, tmp_path):
    first = store.cases(limit=1)["id"].iloc[0]
    path = tmp_path / "c.csv"
    path.write_text(
        "id,category,lon,lat,reported_at\n"
        f"{first},noise,116.0913,35.8082,2026-11-20 10:00\n"
        "N2,noise,116.5,35.5,2026-11-20 10:00\n"
        "N3,noise,35.8082,116.0913,2026-11-20 10:00\n"
        "N4,noise,116.0913,35.8082,2030-01-01 10:00\n",
        encoding="utf-8",
    )
    with pytest.raises(ImportProblems) as info:
        importer.import_cases(store, path)
    assert info.value.lines() == [
        f"line 2: id '{first}' is in the store's cases already",
        "line 3: lon,lat '116.5,35.5' is outside every grid cell",
        "line 4: lat '116.0913' is not a latitude (are lon and lat swapped?)",
        "line 5: reported_at '2030-01-01 10:00' is in the future",
    ]


def test_status_and_times_must_agree(store, tmp_path):
    path = tmp_path / "c.csv"
    path.write_text(
        "id,category,status,lon,lat,reported_at,closed_at\n"
        "S1,noise,closed,116.0913,35.8082,2026-11-20 10:00,\n"
        "S2,noise,reported,116.0913,35.8082,2026-11-20 10:00,2026-11-21 10:00\n"
        "S3,noise,lost,116.0913,35.8082,2026-11-20 10:00,\n",
        encoding="utf-8",
    )
    with pytest.raises(ImportProblems) as info:
        importer.import_cases(store, path)
    assert info.value.lines() == [
        "line 2: status 'closed' is closed but closed_at (column 'closed_at') is empty",
        "line 3: status 'reported' is not closed but closed_at is set",
        "line 4: status 'lost' is not a known status; map it under [statuses]",
    ]


def test_a_closed_case_without_a_closing_time_names_where_it_was_looked_for(store, tmp_path):
    path = tmp_path / "c.csv"
    path.write_text(
        "工单号,诉求类型,状态,经度,纬度,受理时间,完结日期\n"
        "S1,noise,已办结,116.0913,35.8082,2026-11-20 10:00,2026-11-21 10:00\n",
        encoding="utf-8",
    )
    with pytest.raises(ImportProblems) as info:
        importer.import_cases(store, path)
    assert info.value.lines() == [
        "line 2: status '已办结' is closed but the file has no closed_at column (looked for"
        " headers: 办结时间, 结案时间, closed_at); name yours in a mapping file:"
        ' [columns] closed_at = "…"'
    ]
    mapping = tmp_path / "m.toml"
    mapping.write_text('[columns]\nclosed_at = "完结日期"\n', encoding="utf-8")
    assert importer.import_cases(store, path, load_mapping(mapping)).written == 1


def test_the_list_of_problems_is_cut_with_a_count_of_the_rest(store, tmp_path):
    path = tmp_path / "c.csv"
    rows = "".join(f"X{i},unicorns,116.0913,35.8082,2026-11-20 10:00\n" for i in range(120))
    path.write_text("id,category,lon,lat,reported_at\n" + rows, encoding="utf-8")
    with pytest.raises(ImportProblems) as info:
        importer.import_cases(store, path)
    lines = info.value.lines()
    assert len(lines) == 51 and lines[-1] == "… and 70 more problems"
    assert "120 of 120 rows have problems" in str(info.value)


def test_skip_bad_writes_the_good_rows_and_a_reject_file(store, store_path):
    src = BAD / "impossible_dates.csv"
    path = store_path.parent / "dates.csv"
    path.write_bytes(src.read_bytes() + GOOD.joinpath("cases.csv").read_bytes().split(b"\n", 1)[1])
    report = importer.import_cases(store, path, skip_bad=True)
    assert (report.rows, report.written, report.rejected) == (7, 4, 3)
    assert report.rejects == store_path.parent / "dates.rejects.csv"
    rejects = pd.read_csv(report.rejects, dtype=str, encoding="utf-8-sig")
    assert list(rejects["工单号"]) == ["B1", "B2", "B3"]
    assert list(rejects["line"]) == ["2", "3", "4"]
    assert rejects["reason"][0].startswith("reported_at '2026-02-30 10:00' is not a real date")
    assert set(store.cases()["id"]) >= {"T1", "T2", "T3", "T4"}


def test_skip_bad_to_a_named_reject_file(store, tmp_path):
    target = tmp_path / "out" / "r.csv"
    target.parent.mkdir()
    report = importer.import_cases(store, BAD / "unknown_category.csv", skip_bad=True,
                                   rejects=target)  # fmt: skip
    assert report.written == 1 and target.exists()
    assert list(target.parent.iterdir()) == [target]  # no temporary file left beside it


def test_a_row_with_the_wrong_number_of_fields_is_named_as_such(store, store_path, tmp_path):
    before = digest(store_path)
    with pytest.raises(ImportProblems) as info:
        importer.import_cases(store, BAD / "ragged_rows.csv")
    assert info.value.lines() == [
        "line 3 has 9 fields, the header has 7",
        "line 4 has 3 fields, the header has 7",
    ]  # not "category '116.0913' is not a known category" or "lon is missing"
    assert digest(store_path) == before
    report = importer.import_cases(
        store, BAD / "ragged_rows.csv", skip_bad=True, rejects=tmp_path / "r.csv"
    )
    assert (report.written, report.rejected) == (1, 2)
    rejects = pd.read_csv(tmp_path / "r.csv", dtype=str, encoding="utf-8-sig")
    assert list(rejects["reason"]) == [
        "the line has 9 fields, the header has 7",
        "the line has 3 fields, the header has 7",
    ]


def test_an_unwritable_reject_file_changes_nothing(store, store_path):
    before = digest(store_path)
    with pytest.raises(TabularError, match=r"/proc/rej\.csv: cannot write the reject file"):
        importer.import_cases(
            store, BAD / "unknown_category.csv", skip_bad=True, rejects=Path("/proc/rej.csv")
        )
    assert digest(store_path) == before
    assert importer.import_cases(store, BAD / "unknown_category.csv", skip_bad=True,
                                 rejects=store_path.parent / "r.csv").written == 1  # fmt: skip


def test_a_failed_store_write_leaves_no_reject_file(store, tmp_path, monkeypatch):
    def fail(_rows, _categories=()):
        raise RuntimeError("disk full")

    monkeypatch.setattr(store, "add_cases", fail)
    (tmp_path / "out").mkdir()
    with pytest.raises(RuntimeError):
        importer.import_cases(store, BAD / "unknown_category.csv", skip_bad=True,
                              rejects=tmp_path / "out" / "r.csv")  # fmt: skip
    assert list((tmp_path / "out").iterdir()) == []


def test_visits_from_a_building_or_a_cell(store):
    report = importer.import_visits(store, GOOD / "visits.csv")
    assert report.written == 2
    visits = store.visits().set_index("id")
    assert visits.loc["W1", "date"] == "2026-11-25" or str(visits.loc["W1", "date"]) == "2026-11-25"
    assert visits.loc["W1", "grid_code"] == "370832001001001"
    assert visits.loc["W2", "grid_code"] == "370832001002021"


def test_bad_visits_are_named(store, store_path, tmp_path):
    path = tmp_path / "v.csv"
    path.write_text(
        "id,worker_id,date,building_id,households_reached\n"
        "V1,P1,2026-11-25,NOPE,3\n"
        "V2,,2026-11-25,370832001001XQ001-01,-2\n"
        "V3,P1,2026-13-01,370832001001XQ001-01,2\n",
        encoding="utf-8",
    )
    before = digest(store_path)
    with pytest.raises(ImportProblems) as info:
        importer.import_visits(store, path)
    assert info.value.lines() == [
        "line 2: building_id 'NOPE' is not a building in the store",
        "line 3: worker_id is missing",
        "line 3: households_reached '-2' is not a whole number from 0 to 100,000",
        "line 4: date '2026-13-01' is not a real date or time (no such day, hour or minute)",
    ]
    assert digest(store_path) == before


def test_staff_roster(store):
    report = importer.import_staff(store, GOOD / "staff.csv")
    assert report.written == 3
    names = {m.name: m for m in store.staff("370832001001001")}
    assert "王小明" in names
    compound_staff = {m.name for m in store.staff("370832001001XQ001")}
    assert "赵丽" in compound_staff


def test_bad_staff_rows_are_named(store, tmp_path):
    path = tmp_path / "s.csv"
    path.write_text(
        "人员编号,姓名,单位,职务,区域编码\n"
        "S1,王小明,两委,网格员,370832001001001\n"
        "S1,王晓明,两委,网格员,370832001001002\n"
        "S3,李,两委,厨师,370832001001001\n"
        "S4,周,两委,网格员,370832001999001\n",
        encoding="utf-8",
    )
    with pytest.raises(ImportProblems) as info:
        importer.import_staff(store, path)
    lines = info.value.lines()
    assert lines[0].startswith(
        "line 3: name '王晓明' differs from person_id S1's first line, line 2"
    )
    assert lines[1].startswith("line 4: role '厨师' is not a known role")
    assert lines[2] == "line 5: area_code '370832001999001' is not an area in the store"


def test_staff_already_in_the_store_is_named_by_its_line(store, store_path, tmp_path):
    """The store numbered its own frame ("persons: row 2"); the file's line is 3."""
    person = store.staff("370832001001001")[0].person_id
    path = tmp_path / "s.csv"
    path.write_text(
        "人员编号,姓名,单位,职务,区域编码\n"
        "S9,王九,锦绣两委,网格员,370832001001001\n"
        f"{person},某人,锦绣两委,网格员,370832001001001\n",
        encoding="utf-8",
    )
    before = digest(store_path)
    with pytest.raises(ImportProblems) as info:
        importer.import_staff(store, path)
    assert info.value.lines() == [
        f"line 3: person_id '{person}' is in the store's persons already"
        " (--replace replaces the roster)"
    ]
    assert digest(store_path) == before


HOSTILE_IDS = ("=XSS-007", "javascript:alert(1)", "<b>1</b>", "{{7*7}}", "-23", "a\x01b", "x" * 65)


def test_case_and_visit_ids_outside_the_id_rule_are_named(store, store_path, tmp_path):
    cases = tmp_path / "c.csv"
    rows = "".join(
        f"{case_id},noise,text,116.0913,35.8082,2026-11-20 10:00\n" for case_id in HOSTILE_IDS
    )
    cases.write_text("id,category,description,lon,lat,reported_at\n" + rows, encoding="utf-8")
    visits = tmp_path / "v.csv"
    visits.write_text(
        "id,worker_id,date,households_reached,grid_code\n=V1,W1,2026-11-20,3,370832001001001\n",
        encoding="utf-8",
    )
    before = digest(store_path)
    with pytest.raises(ImportProblems) as info:
        importer.import_cases(store, cases)
    lines = info.value.lines()
    assert [line.split(":")[0] for line in lines] == [f"line {n}" for n in range(2, 9)]
    assert lines[0].startswith("line 2: id '=XSS-007' holds '='; an id is letters, digits")
    assert "starts with '-'" in lines[4] and "is 65 characters" in lines[6]
    with pytest.raises(ImportProblems) as info:
        importer.import_visits(store, visits)
    assert info.value.lines()[0].startswith("line 2: id '=V1' holds '='")
    assert digest(store_path) == before


@pytest.mark.parametrize(
    "phone",
    ["13812345678", "138 1234 5678", "+86 138-1234-5678", "0537-7321001", "(0537)7321001 转12",
     "0537 7321001 ext 123", "+86 537 7321001", "400-123-4567"],
)  # fmt: skip
def test_staff_phones_people_write(store, tmp_path, phone):
    path = tmp_path / "s.csv"
    path.write_text(
        f"人员编号,姓名,电话,单位,职务,区域编码\nS9,王九,{phone},锦绣两委,网格员,370832001001001\n",
        encoding="utf-8",
    )
    assert importer.import_staff(store, path).written == 1


def test_staff_phones_and_ids_outside_the_rules_are_named(store, store_path, tmp_path):
    path = tmp_path / "s.csv"
    path.write_text(
        "人员编号,姓名,电话,单位,职务,区域编码,单位电话\n"
        "S1,王一,javascript:alert(1),锦绣两委,网格员,370832001001001,0537-7321001\n"
        "S2,王二,138,锦绣两委,网格员,370832001001002,12345\n"
        "=S3,王三,13812345678,锦绣两委,网格员,370832001001003,\n",
        encoding="utf-8",
    )
    before = digest(store_path)
    with pytest.raises(ImportProblems) as info:
        importer.import_staff(store, path)
    assert info.value.lines() == [
        f"line 2: phone 'javascript:alert(1)' {rules.PHONE_RULE}",
        f"line 3: phone '138' {rules.PHONE_RULE}",
        f"line 3: org_phone '12345' {rules.PHONE_RULE}",
        f"line 4: person_id '=S3' holds '='; {rules.ID_RULE}",
    ]
    assert digest(store_path) == before


def test_open311_requests(store):
    report = importer.import_open311(store, GOOD / "open311.json")
    assert report.written == 2
    cases = store.cases().set_index("id")
    assert cases.loc["311-1", "status"] == "reported"
    assert cases.loc["311-1", "reported_at"] == pd.Timestamp("2026-11-20 13:10", tz="UTC")
    assert cases.loc["311-2", "category"] == "sanitation"  # by service_name: the code is theirs
    assert cases.loc["311-2", "status"] == "closed"
    assert cases.loc["311-2", "closed_at"] == pd.Timestamp("2026-11-19 16:00", tz="UTC")
    assert cases.loc["311-2", "assignee_id"] == "环卫所"


def test_truncated_open311_json(store, store_path):
    before = digest(store_path)
    with pytest.raises(TabularError, match=r"truncated.json: not valid JSON at line 3 .*truncated"):
        importer.import_open311(store, BAD / "truncated.json")
    assert digest(store_path) == before


def test_bad_open311_requests_are_named(store, store_path):
    before = digest(store_path)
    with pytest.raises(ImportProblems) as info:
        importer.import_open311(store, BAD / "open311_bad_rows.json")
    assert info.value.lines() == [
        "request 1: status 'pending' is not open or closed",
        "request 2: service_code 'unicorn' is not a known category; map it under [categories]"
        " in a --mapping file, or add it to the catalogue with --add-categories",
        "request 2: updated_datetime is missing for a closed request",
        "request 3: service_request_id is missing (only a token: not yet accepted)",
        "request 3: service_request_id is missing",
    ]
    assert digest(store_path) == before


def test_open311_skip_bad_writes_json_rejects(store, store_path, tmp_path):
    path = tmp_path / "req.json"
    shutil.copy(BAD / "open311_bad_rows.json", path)
    report = importer.import_open311(store, path, skip_bad=True)
    assert report.written == 0 and report.rejected == 3
    import json

    rejected = json.loads((tmp_path / "req.rejects.json").read_text(encoding="utf-8"))
    assert rejected[0]["service_request_id"] == "311-a" and "pending" in rejected[0]["reason"]


@settings(max_examples=400, deadline=None)
@given(
    st.text(alphabet=st.characters(codec="utf-8"), max_size=70)
    | st.text(alphabet="ab1-_ .:#（=<{\u3000\u200b", max_size=70)
)
def test_an_id_the_fast_match_passes_is_one_id_problem_passes(text: str) -> None:
    """ID_FINE lets checks skip id_problem: every id it matches must be one id_problem takes."""
    if re.fullmatch(rules.ID_FINE, text):
        assert rules.id_problem(text) is None
    if rules.id_problem(text) is None and len(text) <= rules.MAX_ID_CHARS:
        assert re.fullmatch(rules.ID_FINE, text)  # and the fast path skips no good id
