"""The category catalogue and working time as data in the store (both backends), their files,
their CLI, and the due times imports compute from them."""

from __future__ import annotations

import dataclasses
import datetime as dt
from pathlib import Path

import pandas as pd
import pytest

from dashboard.cli import main
from geodata import importer
from geodata.catalogue import read_catalogue, write_catalogue
from geodata.gpkg.schema import SCHEMA_VERSION
from geodata.model import CATEGORIES, CATEGORY_BY_CODE, LOCAL_TZ, LimitUnit, Responsible
from geodata.store import StoreError
from geodata.tabular import ImportProblems, TabularError
from geodata.worktime import WorkHours
from tests import storekit
from tests import tiny_city as tc


@pytest.fixture
def store(store_factory):
    return store_factory(create=True)


def _with(code: str, **changes) -> object:
    return dataclasses.replace(CATEGORY_BY_CODE[code], **changes)


def test_a_changed_category_is_stored_and_changes_the_revision(store):
    before = store.revision()
    changed = _with("noise", time_limit=1.5, time_unit=LimitUnit.WORK_HOURS, register_rule="夜间")
    assert store.write_categories([changed]) == 1
    assert {c.code: c for c in store.categories()}["noise"] == changed
    assert len(store.categories()) == len(CATEGORIES) and store.revision() != before


def test_replacing_the_catalogue_keeps_categories_cases_use(store, store_factory):
    store.write_city(tc.build())
    used = sorted(set(tc.cases()["category"]))
    kept = [CATEGORY_BY_CODE[c] for c in used]
    digest = store_factory.digest()
    with pytest.raises(StoreError, match=f"cases use {used[0]} "):
        store.write_categories(kept[1:], replace=True)
    assert store_factory.digest() == digest
    store.write_categories(kept, replace=True)
    assert [c.code for c in store.categories()] == used


def test_working_hours_and_days_are_kept_for_every_process(store, store_factory):
    store.set_work_hours(WorkHours.parse("09:00-12:00,14:00-18:00"))
    store.set_work_days({dt.date(2026, 12, 31): False}, "跨年")
    store.set_work_days({dt.date(2026, 12, 26): True})
    other = store_factory()  # another opening: what a second app process sees
    clock = other.work_clock()
    assert clock.hours.text() == "09:00-12:00,14:00-18:00"
    assert not clock.is_working_day(dt.date(2026, 12, 31))
    assert clock.is_working_day(dt.date(2026, 12, 26))
    assert other.work_days() == [
        (dt.date(2026, 12, 26), True, ""),
        (dt.date(2026, 12, 31), False, "跨年"),
    ]
    store.set_work_days({dt.date(2026, 12, 26): None})
    assert store_factory().work_clock().is_working_day(dt.date(2026, 12, 26)) is False


def test_a_version_2_store_is_upgraded_keeping_its_limits_in_calendar_hours(store, store_factory):
    store.write_city(tc.build())
    store.close()
    storekit.downgrade_to_v2(store_factory)
    old = store_factory(readonly=True)  # read as it is: limits in hours, accounts readable
    assert old.meta()["schema_version"] == "2"
    assert {c.time_unit for c in old.categories()} == {LimitUnit.HOURS}
    assert old.users() == [] and old.work_clock().hours.text() == "08:30-12:00,13:30-17:30"
    old.close()
    upgraded = store_factory()
    assert upgraded.meta()["schema_version"] == SCHEMA_VERSION
    noise = {c.code: c for c in upgraded.categories()}["noise"]
    assert (noise.time_limit, noise.time_unit) == (16.0, LimitUnit.HOURS)  # 2 work days × 8
    assert noise.responsible is Responsible.COMMITTEE
    assert upgraded.counts()["cases"] == len(tc.cases())
    upgraded.set_work_days({dt.date(2026, 12, 31): False})
    assert not store_factory().work_clock().is_working_day(dt.date(2026, 12, 31))


# --- files ----------------------------------------------------------------------------------
@pytest.mark.parametrize("suffix", [".csv", ".xlsx"])
def test_a_catalogue_file_reads_back_as_written(tmp_path: Path, suffix: str):
    changed = [*CATEGORIES[:-1], dataclasses.replace(CATEGORIES[-1], close_rule="现场核实, 无积水")]
    path = tmp_path / f"categories{suffix}"
    write_catalogue(path, changed)
    assert read_catalogue(path) == changed


def test_chinese_headers_and_unit_names_are_understood(tmp_path: Path):
    path = tmp_path / "标准.csv"
    path.write_text(
        "编码,名称,大类,小类,责任主体,责任部门,时限,时限单位,结案条件\n"
        "garbage,暴露垃圾,市容环境,暴露垃圾,物业,,4,工作时,垃圾清运完毕\n"
        "shed,违法搭建,市容环境,违法搭建,部门,城管执法,15,工作日,\n",
        encoding="gbk",
    )
    garbage, shed = read_catalogue(path)
    assert (garbage.time_limit, garbage.time_unit) == (4.0, LimitUnit.WORK_HOURS)
    assert garbage.responsible is Responsible.PROPERTY_COMPANY and garbage.name_en == "garbage"
    assert (shed.department, shed.time_unit) == ("城管执法", LimitUnit.WORK_DAYS)


def test_every_bad_row_of_a_catalogue_file_is_named(tmp_path: Path):
    path = tmp_path / "bad.csv"
    path.write_text(
        "code,name_zh,major,responsible,department,time_limit,time_unit\n"
        "Bad Code,名,类,committee,,3,work_days\n"
        "a,名,类,department,,3,work_days\n"
        "b,名,类,committee,,-1,work_days\n"
        "c,名,类,committee,,3,weeks\n"
        "d,,类,committee,,三,work_days\n"
        "e,名,类,committee,,3,work_days\n"
        "e,名,类,committee,,4,work_days\n",
        encoding="utf-8",
    )
    with pytest.raises(ImportProblems) as info:
        read_catalogue(path)
    lines = "\n".join(info.value.lines())
    for expected in (
        "line 2: code 'Bad Code' is not a code",
        "line 3: department is missing (responsible is a department)",
        "line 4: time_limit '-1' must be more than 0 and at most 250",
        "line 5: time_unit 'weeks' is not one of",
        "line 6: name_zh is missing",
        "line 6: time_limit '三' is not a number",
        "line 8: code 'e' appears again (first on line 7)",
    ):
        assert expected in lines
    assert "nothing was written (fix them and import again)" in str(info.value)


def test_a_catalogue_file_without_a_limit_column_is_refused(tmp_path: Path):
    path = tmp_path / "no_limit.csv"
    path.write_text("code,name_zh,major,time_unit\nnoise,噪音,社区,工作日\n", encoding="utf-8")
    with pytest.raises(TabularError, match="no column for time_limit"):
        read_catalogue(path)


# --- the CLI --------------------------------------------------------------------------------
def _run(capsys, *argv: str) -> tuple[int, str, str]:
    try:
        main(list(argv))
        code = 0
    except SystemExit as exc:
        code = int(exc.code or 0)
    out = capsys.readouterr()
    return code, out.out, out.err


def test_categories_export_edit_import_round_trip(store, store_factory, tmp_path, capsys):
    store.close()
    data, file = str(store_factory.location), tmp_path / "cats.csv"
    assert _run(capsys, "categories", "export", str(file), "--data", data)[0] == 0
    text = file.read_text(encoding="utf-8-sig")
    file.write_text(
        text.replace(
            "noise,噪音扰民,Noise,community,,committee,,2,work_days",
            "noise,噪音扰民,Noise,community,,committee,,6,工作时",
        ),
        encoding="utf-8",
    )
    code, out, _ = _run(capsys, "categories", "import", str(file), "--data", data)
    assert code == 0 and "wrote 12 categories" in out
    noise = {c.code: c for c in store_factory().categories()}["noise"]
    assert (noise.time_limit, noise.time_unit) == (6.0, LimitUnit.WORK_HOURS)


def test_a_bad_catalogue_file_changes_nothing(store, store_factory, tmp_path, capsys):
    store.close()
    file = tmp_path / "bad.csv"
    file.write_text("code,name_zh,major,time_limit,time_unit\nnoise,噪音,社区,0,工作日\n")
    digest = store_factory.digest()
    code, _, err = _run(
        capsys, "categories", "import", str(file), "--data", str(store_factory.location)
    )
    assert code == 1 and "line 2: time_limit '0' must be more than 0" in err
    assert store_factory.digest() == digest


def test_worktime_commands_set_and_show(store, store_factory, capsys):
    store.close()
    data = str(store_factory.location)
    assert _run(capsys, "worktime", "hours", "09:00-12:00,14:00-18:00", "--data", data)[0] == 0
    assert (
        _run(capsys, "worktime", "day", "2026-12-31", "off", "--note", "跨年", "--data", data)[0]
        == 0
    )
    code, out, err = _run(capsys, "worktime", "show", "--data", data, "--year", "2040")
    assert code == 0 and "09:00-12:00,14:00-18:00" in out and "2026-12-31  off  跨年" in out
    assert "does not know 2040" in err
    code, _, err = _run(capsys, "worktime", "hours", "9-12", "--data", data)
    assert code == 1 and "'9-12' is not HH:MM-HH:MM" in err
    code, _, err = _run(capsys, "worktime", "day", "2026-13-01", "off", "--data", data)
    assert code == 1 and "is not a date" in err


# --- due times of imported cases ----------------------------------------------------------
def _case_file(tmp_path: Path, category: str, dispatched: str) -> Path:
    x, y = tc.lonlat(100, 310)  # the north cell of 运河花园
    path = tmp_path / "cases.csv"
    path.write_text(
        "id,category,status,lon,lat,reported_at,dispatched_at\n"
        f"W1,{category},dispatched,{x},{y},{dispatched},{dispatched}\n",
        encoding="utf-8",
    )
    return path


def _due(store) -> pd.Timestamp:
    return store.cases().set_index("id").at["W1", "due_at"].tz_convert(LOCAL_TZ)


def test_an_imported_case_is_due_in_working_time(store, tmp_path):
    store.write_city(tc.build())
    # sanitation: 4 working hours; Friday 15:00 → 2.5 h that day, 1.5 h on Monday
    importer.import_cases(store, _case_file(tmp_path, "sanitation", "2026-11-27 15:00"))
    assert _due(store) == pd.Timestamp("2026-11-30 10:00", tz=LOCAL_TZ)


def test_an_import_times_cases_by_the_stores_own_catalogue_and_days(store, tmp_path):
    store.write_city(tc.build())
    store.write_categories([_with("sanitation", time_limit=1, time_unit=LimitUnit.WORK_DAYS)])
    store.set_work_days({dt.date(2026, 11, 30): False})  # a local day off on Monday
    importer.import_cases(store, _case_file(tmp_path, "sanitation", "2026-11-27 15:00"))
    # 7.5 h: 2.5 h on Friday, Monday off, on Tuesday 3.5 h before lunch and 1.5 h after
    assert _due(store) == pd.Timestamp("2026-12-01 15:00", tz=LOCAL_TZ)


def _unknown_file(tmp_path: Path, extra: str = "") -> Path:
    x, y = tc.lonlat(100, 310)
    path = tmp_path / "unknown.csv"
    rows = [
        f"U{n},{c},reported,{x},{y},2026-11-27 15:00"
        for n, c in enumerate(["独角兽", "独角兽", "noise", "Dragons"])
    ]
    path.write_text(
        "id,category,status,lon,lat,reported_at\n" + "\n".join(rows) + "\n" + extra,
        encoding="utf-8",
    )
    return path


def test_an_import_adds_the_categories_it_meets_only_when_asked(
    store, store_factory, tmp_path, capsys
):
    store.write_city(tc.build())
    store.close()
    data, file = str(store_factory.location), _unknown_file(tmp_path)
    code, _, err = _run(capsys, "import", "cases", str(file), "--data", data)
    assert code == 1
    assert "categories the catalogue does not know: '独角兽' × 2, 'Dragons' × 1" in err
    code, out, _ = _run(capsys, "import", "cases", str(file), "--data", data, "--add-categories")
    assert code == 0 and "added 2 categories to the catalogue with a limit of 5 work_days" in out
    opened = store_factory()
    added = {c.name_zh: c for c in opened.categories()}
    assert (added["独角兽"].time_limit, added["独角兽"].time_unit) == (5.0, LimitUnit.WORK_DAYS)
    cases = opened.cases().set_index("id")
    assert cases.at["U0", "category"] == added["独角兽"].code
    assert cases.at["U3", "category"] == added["Dragons"].code


def test_categories_are_not_added_when_the_import_fails(store, store_factory, tmp_path):
    store.write_city(tc.build())
    digest = store_factory.digest()
    bad = _unknown_file(tmp_path, "U9,noise,reported,not-a-number,35.8,2026-11-27 15:00\n")
    with pytest.raises(ImportProblems, match="1 of 5 rows have problems"):
        importer.import_cases(store, bad, add_categories=True)
    assert store_factory.digest() == digest
    report = importer.import_cases(store, bad, add_categories=True, skip_bad=True)
    assert report.written == 4 and [c.name_zh for c in report.added] == ["独角兽", "Dragons"]
