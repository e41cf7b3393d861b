"""Reading record files: encodings, mojibake, over-long lines, headers, dates and value names."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from geodata import tabular, timetext
from geodata.tabular import Mapping, TabularError

GOOD = Path(__file__).parent / "data" / "records"
BAD = Path(__file__).parent / "data" / "bad" / "records"


@pytest.mark.parametrize("name", ["cases.csv", "cases_bom.csv", "cases_gbk.csv"])
def test_utf8_bom_and_gbk_files_read_the_same(name):
    frame = tabular.read_table(GOOD / name)
    assert list(frame.columns)[:3] == ["工单号", "诉求类型", "诉求内容"]
    assert frame.loc[2, "诉求内容"] == "楼上装修噪音"
    assert list(frame.index) == [2, 3, 4, 5]  # the header is row 1


def test_encoding_detection():
    assert tabular.scan_text(GOOD / "cases.csv")[0] == "utf-8"
    assert tabular.scan_text(GOOD / "cases_bom.csv")[0] == "utf-8-sig"
    assert tabular.scan_text(GOOD / "cases_gbk.csv")[0] == "gb18030"


@pytest.mark.parametrize(
    ("name", "message"),
    [
        ("gbk_read_as_utf8.csv", "line 1: '\ufffd' looks like GBK text read as UTF-8"),
        ("kunkao_mojibake.csv", "line 2: '锟斤拷' looks like GBK text read as UTF-8"),
        ("not_text.csv", "line 2: the text is neither UTF-8 nor GBK/GB18030"),
        ("empty.csv", "the file is empty"),
    ],
)
def test_unreadable_text_is_refused_naming_file_and_line(name, message):
    with pytest.raises(TabularError, match=message) as info:
        tabular.read_table(BAD / name)
    assert str(BAD / name) in str(info.value)


def test_latin1_mojibake_is_refused(tmp_path):
    path = tmp_path / "latin.csv"
    text = "id,category\nX1,噪音扰民\n".encode().decode("latin-1")
    path.write_text(text, encoding="utf-8")
    with pytest.raises(TabularError, match=r"line 2: .* looks like UTF-8 text read as Latin-1"):
        tabular.read_table(path)


def test_a_500_mb_line_is_refused_without_reading_it(tmp_path):
    path = tmp_path / "huge.csv"
    with path.open("wb") as fh:
        fh.write(b"id,category,description\nX1,noise,")
        fh.write(b"x" * (2 << 20))
        fh.truncate(500 << 20)  # the rest of the one line: 500 MB (sparse on disk)
    with pytest.raises(TabularError, match=r"line 2 is longer than 1 MB"):
        tabular.read_table(path)


def test_blank_lines_keep_the_row_numbers(tmp_path):
    path = tmp_path / "gaps.csv"
    path.write_text("id,category\nA,noise\n\n,\nB,noise\n", encoding="utf-8")
    frame = tabular.read_table(path)
    assert list(frame.index) == [2, 5] and list(frame["id"]) == ["A", "B"]


def test_semicolon_and_tab_separated(tmp_path):
    for sep in (";", "\t"):
        path = tmp_path / "sep.csv"
        path.write_text(f"id{sep}category\nA{sep}noise\n", encoding="utf-8")
        assert tabular.read_table(path).loc[2, "category"] == "noise"


def test_rows_with_more_or_fewer_fields_than_the_header_are_row_problems(tmp_path):
    path = tmp_path / "ragged.csv"
    path.write_text(
        "id,category,lon\n116.1,noise,extra,more,1\nA,noise,1\n\nB\nC,noise,\n", encoding="utf-8"
    )
    frame = tabular.read_table(path)
    assert list(frame.columns) == ["id", "category", "lon"]  # no leading fields as an index
    assert frame.loc[2, "id"] == "116.1" and frame.loc[3, "category"] == "noise"
    shown = [p.text() for p in frame.attrs["row_problems"]]
    assert shown == [
        "line 2 has 5 fields, the header has 3",
        "line 5 has 1 field, the header has 3",
    ]


@pytest.mark.parametrize(
    ("header", "message"),
    [
        ("id,id,category,lon,lat,reported_at",
         "the header 'id' appears 2 times: 'id' (column 1), 'id' (column 2); which one is id?"),
        ("编号,category,id,lon,lat,reported_at",
         "columns '编号' (column 1), 'id' (column 3) are both id; which one is id?"),
        ("id,category,lon,lat,受理时间,来电时间",
         "columns '受理时间' (column 5), '来电时间' (column 6) are both reported_at"),
    ],
)  # fmt: skip
def test_duplicate_and_ambiguous_headers_are_refused(tmp_path, header, message):
    path = tmp_path / "dup.csv"
    path.write_text(header + "\nA,B,C,D,E,F\n", encoding="utf-8")
    frame = tabular.read_table(path)
    with pytest.raises(TabularError) as info:
        tabular.recognise(frame, "cases", tabular.Mapping(), path)
    assert str(info.value).startswith(f"{path}: {message}")


def test_a_mapping_file_settles_which_column_is_meant(tmp_path):
    path = tmp_path / "two.csv"
    path.write_text("编号,category,id,lon,lat,reported_at\nA,B,C,D,E,F\n", encoding="utf-8")
    mapping = tabular.Mapping(columns={"id": ("id",)})
    table = tabular.recognise(tabular.read_table(path), "cases", mapping, path)
    assert table.loc[2, "id"] == "C"


def test_a_duplicated_header_we_do_not_use_is_harmless(tmp_path):
    path = tmp_path / "notes.csv"
    path.write_text("id,备注,category,备注,lon,lat,reported_at\nA,x,B,y,C,D,E\n", encoding="utf-8")
    table = tabular.recognise(tabular.read_table(path), "cases", tabular.Mapping(), path)
    assert table.loc[2, "id"] == "A" and table.loc[2, "category"] == "B"


def test_xlsx_with_dates_and_numbers(tmp_path):
    import datetime as dt

    import openpyxl

    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(["工单号", "诉求类型", "经度", "纬度", "受理时间"])
    sheet.append(["X1", "噪音扰民", 116.0913, 35.8082, dt.datetime(2026, 11, 20, 14, 30)])
    sheet.append([None, None, None, None, None])
    sheet.append([12345, "noise", 116.0903, 35.7938, 46351.5])
    book.save(tmp_path / "cases.xlsx")
    frame = tabular.read_table(tmp_path / "cases.xlsx")
    assert list(frame.index) == [2, 4]
    assert frame.loc[2, "受理时间"] == "2026-11-20 14:30:00"
    assert frame.loc[4, "工单号"] == "12345"
    times, problems = timetext.parse_times(frame["受理时间"])
    assert problems.isna().all()
    assert times[4].tz_convert("Asia/Shanghai").strftime("%Y-%m-%d %H:%M") == "2026-11-25 12:00"


@pytest.mark.parametrize(
    "text",
    [
        "2026-11-28 14:30",
        "2026/11/28 14:30:00",
        "2026年11月28日 14时30分",
        "2026年11月28日14:30",
        "20261128143000",
        "202611281430",
        "2026-11-28T14:30:00+08:00",
        "2026-11-28T06:30:00Z",
        "2026.11.28 14:30",
        "2026/11/28 14:30",
        "46354.6041666667",
    ],
)
def test_date_forms(text):
    times, problems = timetext.parse_times(pd.Series([text]))
    assert problems.isna().all(), problems[0]
    assert times[0] == pd.Timestamp("2026-11-28 06:30", tz="UTC")


@pytest.mark.parametrize(
    ("text", "local"),
    [
        ("2024年5月1日下午3点", "2024-05-01 15:00"),
        ("2024年5月1日上午9点30分", "2024-05-01 09:30"),
        ("2024年5月1日晚上8点", "2024-05-01 20:00"),
        ("2024年5月1日中午12点", "2024-05-01 12:00"),
        ("2024年5月1日中午1点", "2024-05-01 13:00"),
        ("2024年5月1日凌晨12点", "2024-05-01 00:00"),
        ("2024年5月1日上午12点", "2024-05-01 12:00"),
        ("2024年5月1日下午12点", "2024-05-01 12:00"),
        ("2024年5月1日下午3点半", "2024-05-01 15:30"),
        ("2024年5月1日 下午 3:15", "2024-05-01 15:15"),
        ("2024年5月1日下午15时", "2024-05-01 15:00"),
        ("2024年5月1日早上7点5分", "2024-05-01 07:05"),
    ],
)
def test_morning_afternoon_and_evening_hours(text, local):
    times, problems = timetext.parse_times(pd.Series([text]))
    assert problems.isna().all(), problems[0]
    assert times[0] == pd.Timestamp(local, tz="Asia/Shanghai")


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("2024年5月1日晚上12点", "is not a time of day: 晚上12点 is ambiguous"),
        ("2024年5月1日上午15点", "is not a time of day: 上午15点 is not a morning hour (0–12)"),
        ("2024年5月1日中午5点", "is not a time of day: 中午5点 is not a noon hour"),
        ("2024-05-01 xyz", "is not a date and time in a known form"),
    ],
)
def test_hours_that_do_not_fit_their_part_of_the_day(text, problem):
    times, problems = timetext.parse_times(pd.Series([text]))
    assert pd.isna(times[0]) and problems[0].startswith(problem), problems[0]


def test_date_only_and_single_digits():
    times, problems = timetext.parse_times(pd.Series(["2026/1/5", "2026年1月5日 9时5分", None]))
    assert problems.isna().all()
    local = times.dt.tz_convert("Asia/Shanghai")
    assert local[0] == pd.Timestamp("2026-01-05", tz="Asia/Shanghai")
    assert local[1] == pd.Timestamp("2026-01-05 09:05", tz="Asia/Shanghai")
    assert pd.isna(times[2])


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("2026-02-30 10:00", "not a real date"),
        ("2026-11-25 25:00", "not a real date"),
        ("2026-11-25 10:61", "not a real date"),
        ("昨天下午", "not a date and time in a known form"),
        ("12", "not a date and time in a known form"),
    ],
)
def test_impossible_and_unknown_dates(text, problem):
    times, problems = timetext.parse_times(pd.Series([text]))
    assert pd.isna(times[0]) and problem in problems[0]


def test_headers_recognised_in_chinese_and_english():
    frame = pd.DataFrame({"ID": ["A"], "Category": ["noise"], "经度": ["1"], "纬度": ["2"],
                          "reported at": ["x"], "其他": ["y"]})  # fmt: skip
    out = tabular.recognise(frame, "cases", Mapping(), Path("f.csv"))
    assert list(out.columns) == ["id", "category", "lon", "lat", "reported_at"]


def test_a_missing_column_names_what_was_looked_for():
    frame = pd.DataFrame({"工单号": ["A"], "诉求类型": ["noise"]})
    with pytest.raises(TabularError, match=r"f\.csv: no column for lon .*经度.*--mapping"):
        tabular.recognise(frame, "cases", Mapping(), Path("f.csv"))


def test_mapping_file_names_columns_and_values():
    mapping = tabular.load_mapping(GOOD / "mapping.toml")
    frame = tabular.read_table(GOOD / "cases_odd_headers.csv")
    out = tabular.recognise(frame, "cases", mapping, GOOD / "cases_odd_headers.csv")
    assert out.loc[2, "lon"] == "116.0913"
    codes, unknown = tabular.map_values(out["category"], tabular.category_table(mapping))
    assert list(codes) == ["sanitation", "noise"] and not unknown.any()
    statuses, _ = tabular.map_values(out["status"], tabular.status_table(mapping))
    assert list(statuses) == ["verified", "reported"]


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("[columns]\nid = 3\n", "id must be a header name"),
        ("[categories]\n'x' = 'unicorns'\n", "'unicorns' is not one of"),
        ("[colums]\nid = 'a'\n", "unknown table \\[colums\\]"),
        ("id = ", "not a TOML mapping file"),
    ],
)
def test_bad_mapping_files(tmp_path, text, message):
    path = tmp_path / "map.toml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(TabularError, match=message):
        tabular.load_mapping(path)


def test_categories_by_code_chinese_or_english_name_any_case():
    values = pd.Series(["noise", "噪音扰民", "Stray animals", " PARKING ", "独角兽", None])
    codes, unknown = tabular.map_values(values, tabular.category_table(Mapping()))
    assert list(codes[:4]) == ["noise", "noise", "stray_animals", "parking"]
    assert list(unknown) == [False, False, False, False, True, False]
