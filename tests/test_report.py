"""The weekly or monthly KPI report: its tables agree with layers.kpi and with a count of their
own, the XLSX and HTML files carry them (data escaped, never a formula), `gridboard report`
refuses bad input and writes nothing, and /kpi.xlsx and /kpi.html are cut to the asker's scope."""

from __future__ import annotations

import datetime as dt
import io
import re
from typing import Any

import openpyxl
import pandas as pd
import pytest

from dashboard.app import create_app
from dashboard.cli import main
from dashboard.reportfile import html_text, xlsx_bytes
from dashboard.sessions import COOKIE, start
from dashboard.settings import Settings
from geodata.model import LOCAL_TZ
from geodata.store import Store
from layers import kpi, report
from tests.accounts_city import Town

WEEK = "2026-W48"  # the demo's history ends on 28 November 2026
MONTH = "2026-11"
MADE = dt.datetime(2026, 11, 30, 9, 5, tzinfo=LOCAL_TZ)
SHEETS_ZH = ["总体", "街道", "社区", "处置单位", "处置人"]


def _read(store: Store, text: str) -> tuple[report.Period, pd.DataFrame, pd.DataFrame]:
    when = report.period(text)
    now = store.kpi_cases(when.start, when.end)
    return when, now, store.kpi_cases(when.previous_start, when.start)


@pytest.fixture(scope="module")
def weekly(street_store: Store) -> tuple[report.Report, pd.DataFrame, pd.DataFrame]:
    when, now, before = _read(street_store, WEEK)
    return report.build(now, before, when, street_store.work_clock()), now, before


# --- the tables --------------------------------------------------------------------------------
def test_rankings_are_layers_kpi_rows_in_its_order(weekly, street_store: Store) -> None:
    built, cases, _ = weekly
    when, clock = built.period, street_store.work_clock()
    for by in report.RANKINGS:
        expected = kpi.kpis(cases, by, when.start, when.end, clock)
        rows = built.rankings[by]
        assert [r["key"] for r in rows] == list(expected.index), by
        assert [r["rank"] for r in rows] == list(range(1, len(rows) + 1))
        for row, (_, want) in zip(rows, expected.iterrows(), strict=True):
            assert [row[c] for c in report.COUNTS] == [int(want[c]) for c in report.COUNTS]
            for column in ("on_time_rate", "rework_rate", "mean_hours"):
                value = want[column]
                assert row[column] == (None if value != value else pytest.approx(value)), by
            assert row["grade"] == want["grade"]
    names = kpi.names(cases, "community")
    assert [r["name"] for r in built.rankings["community"]] == [
        names[r["key"]] for r in built.rankings["community"]
    ]
    assert len(built.rankings["community"]) > 5 and len(built.rankings["person"]) > 50


def test_the_summary_counts_the_whole_scope_against_the_week_before(weekly) -> None:
    built, now, before = weekly
    when = built.period
    current, previous, change = built.summary
    for figures, cases, first, after in (
        (current, now, when.start, when.end),
        (previous, before, when.previous_start, when.start),
    ):
        registered = cases["registered_at"].between(first, after, inclusive="left")
        closed = cases["closed_at"].between(first, after, inclusive="left")
        on_time = closed & (cases["closed_at"] <= cases["due_at"])
        assert figures["registered"] == registered.sum() > 0
        assert figures["closed"] == closed.sum() > 0
        assert figures["on_time_rate"] == pytest.approx(on_time.sum() / closed.sum())
        assert figures["grade"] == kpi.grade(figures["on_time_rate"])
    streets = built.rankings["street"]
    assert current["registered"] == sum(r["registered"] for r in streets)
    assert current["overdue_open"] == sum(r["overdue_open"] for r in streets)
    assert change["closed"] == current["closed"] - previous["closed"]
    assert change["on_time_rate"] == pytest.approx(
        current["on_time_rate"] - previous["on_time_rate"]
    )


@pytest.mark.parametrize(
    ("text", "name", "first", "last", "previous", "previous_first"),
    [
        ("2026-W48", "2026-W48", dt.date(2026, 11, 23), dt.date(2026, 11, 29), "2026-W47",
         dt.date(2026, 11, 16)),
        ("2027-W01", "2027-W01", dt.date(2027, 1, 4), dt.date(2027, 1, 10), "2026-W53",
         dt.date(2026, 12, 28)),
        ("2026-3", "2026-03", dt.date(2026, 3, 1), dt.date(2026, 3, 31), "2026-02",
         dt.date(2026, 2, 1)),
        ("2026-01", "2026-01", dt.date(2026, 1, 1), dt.date(2026, 1, 31), "2025-12",
         dt.date(2025, 12, 1)),
    ],
)  # fmt: skip
def test_a_period_knows_the_one_before(text, name, first, last, previous, previous_first) -> None:
    when = report.period(text)
    assert (when.text, when.first_day, when.last_day) == (name, first, last)
    assert (when.previous_text, when.previous_start.date()) == (previous, previous_first)
    assert when.start.tzinfo is LOCAL_TZ and when.end - when.start >= dt.timedelta(days=7)


@pytest.mark.parametrize("text", ["2026-W54", "9999-12", "1999-W10", "2026-13", "week 48", ""])
def test_a_bad_period_is_named(text) -> None:
    with pytest.raises(ValueError, match="is not a week"):
        report.period(text)


def test_a_street_report_has_that_street_alone(town_store: Store, town: Town) -> None:
    when, now, before = _read(town_store, MONTH)
    assert {town.street_a, town.street_b} <= set(now["street_code"])  # both have cases
    built = report.build(now, before, when, town_store.work_clock(), town.street_a)
    assert [r["key"] for r in built.rankings["street"]] == [town.street_a]
    communities = [r["key"] for r in built.rankings["community"]]
    assert communities and all(c.startswith(town.street_a) for c in communities)
    mine = now[now["street_code"] == town.street_a]
    assert built.summary[0]["registered"] == int(
        mine["registered_at"].between(when.start, when.end, inclusive="left").sum()
    )
    whole = report.build(now, before, when, town_store.work_clock())
    assert whole.summary[0]["registered"] > built.summary[0]["registered"]


def test_a_chart_draws_the_rates_to_scale(weekly) -> None:
    built, _, _ = weekly
    [chart] = built.charts  # one street: its bar would say nothing; the communities'
    rows = built.rankings["community"]
    assert chart.by == "community" and len(chart.bars) == min(len(rows), report.CHART_ROWS)
    for bar, row in zip(chart.bars, rows, strict=False):
        assert bar.length == pytest.approx((row["on_time_rate"] or 0) * chart.scale, abs=0.06)
        assert bar.value_x == pytest.approx(chart.label_width + bar.length + 4)
    tops = [bar.bar_y for bar in chart.bars]
    assert tops == sorted(tops) and chart.height > tops[-1] + chart.bar_height


# --- the files ---------------------------------------------------------------------------------
def _hostile(cases: pd.DataFrame) -> pd.DataFrame:
    """The cases with one community named like a script and one organisation like a formula."""
    cases = cases.copy()
    first = cases["community_code"] == cases["community_code"].dropna().iloc[0]
    cases.loc[first, "community_name"] = "<script>alert(1)</script>社区"
    org = cases["assignee_org"] == cases["assignee_org"].dropna().iloc[0]
    cases.loc[org, "org_name"] = '=HYPERLINK("http://x","y")'
    cases.loc[first, ["assignee_id", "assignee_name"]] = None  # nobody's: named as such
    return cases


def test_the_workbook_has_a_sheet_per_table_with_its_numbers(weekly) -> None:
    built, _, _ = weekly
    book = openpyxl.load_workbook(io.BytesIO(xlsx_bytes(built, "zh", "水泊街道")))
    assert book.sheetnames == SHEETS_ZH
    summary = book["总体"]
    assert [c.value for c in summary[1]][:6] == [
        "项目",
        "周期",
        "起始日",
        "截止日",
        "范围",
        "立案数",
    ]
    assert [summary.cell(r, 2).value for r in (2, 3)] == [WEEK, "2026-W47"]
    assert summary.cell(2, 3).value.date() == dt.date(2026, 11, 23)
    assert summary.cell(2, 5).value == "水泊街道"
    assert summary.cell(2, 6).value == built.summary[0]["registered"]
    on_time = summary.cell(2, 9)
    assert on_time.value == pytest.approx(built.summary[0]["on_time_rate"])
    assert on_time.number_format == "0.0%"
    change = summary.cell(4, 9)  # percentage points
    assert change.value == pytest.approx(built.summary[2]["on_time_rate"] * 100)
    sheet = book["社区"]
    assert sheet.freeze_panes == "A2"
    heads = [c.value for c in sheet[1]]
    assert heads[:4] == ["名次", "代码", "名称", "立案数"] and heads[-1] == "等级"
    rows = built.rankings["community"]
    assert sheet.max_row == len(rows) + 1
    for r, row in enumerate(rows, 2):
        values = [c.value for c in sheet[r]]
        assert values[1:5] == [row["key"], row["name"], row["registered"], row["closed"]]
        assert values[6] == pytest.approx(row["on_time_rate"]) and values[-1] == row["grade"]
    assert (
        sheet.column_dimensions["C"].width >= 10
    )  # a Chinese name is about two columns a character
    english = openpyxl.load_workbook(io.BytesIO(xlsx_bytes(built, "en", "Whole city")))
    assert english.sheetnames == ["Summary", "Street", "Community", "Organisation", "Person"]


def test_text_from_the_data_is_never_a_formula(street_store: Store) -> None:
    when, now, before = _read(street_store, WEEK)
    built = report.build(_hostile(now), before, when, street_store.work_clock())
    sheet = openpyxl.load_workbook(io.BytesIO(xlsx_bytes(built, "zh", "x")))["处置单位"]
    cells = [row[2] for row in sheet.iter_rows(min_row=2) if row[2].value.startswith("=")]
    assert [c.data_type for c in cells] == ["s"]
    people = openpyxl.load_workbook(io.BytesIO(xlsx_bytes(built, "zh", "x")))["处置人"]
    assert [r[2].value for r in people.iter_rows(min_row=2) if r[1].value is None] == ["未指派"]


def test_the_page_escapes_names_and_needs_nothing_from_outside(street_store: Store) -> None:
    when, now, before = _read(street_store, WEEK)
    built = report.build(_hostile(now), before, when, street_store.work_clock())
    page = html_text(built, "zh", "<b>水泊</b>", MADE)
    assert "&lt;script&gt;alert(1)&lt;/script&gt;社区" in page
    assert "<script" not in page and "<b>" not in page and "&lt;b&gt;水泊" in page
    assert "@page { size: A4" in page and page.count("<svg") == len(built.charts) == 1
    assert not re.search(r"\b(src|href)=|<link|url\(|@import", page)
    assert "2026年11月30日 09:05" in page and "诉求办理考核报告" in page
    for row in built.rankings["person"]:
        assert f'data-key="{row["key"]}"' in page
    english = html_text(built, "en", "Whole city", MADE)
    assert 'lang="en"' in english and "On-time closure rate by community" in english


# --- the command -------------------------------------------------------------------------------
def _run(capsys, *argv: object) -> tuple[int, str, str]:
    try:
        main([str(a) for a in argv])
        code = 0
    except SystemExit as exc:
        code = int(exc.code or 0)
    out = capsys.readouterr()
    return code, out.out, out.err


def test_the_command_writes_the_workbook_and_the_page(capsys, street_store_path, tmp_path) -> None:
    data, book = street_store_path, tmp_path / "report.xlsx"
    code, out, err = _run(capsys, "report", "--data", data, "--period", WEEK, "--out", book)
    assert code == 0, err
    assert f"wrote the {WEEK} report to {book}" in out
    assert openpyxl.load_workbook(book).sheetnames == SHEETS_ZH
    page = tmp_path / "report.html"
    street = "370832001"
    argv = ["--period", MONTH, "--street", street, "--out", page, "--lang", "en"]
    code, _, err = _run(capsys, "report", "--data", data, *argv)
    assert code == 0, err
    text = page.read_text(encoding="utf-8")
    assert "Period: 2026-11 (1 Nov 2026 to 30 Nov 2026)" in text and f'data-key="{street}"' in text
    assert sorted(p.name for p in tmp_path.iterdir()) == ["report.html", "report.xlsx"]


@pytest.mark.parametrize(
    ("argv", "words", "exit_code"),
    [
        (["--period", "2026-W60"], ["--period", "'2026-W60' is not a week"], 2),
        (["--street", "370832999"], ["no street with code '370832999'"], 1),
        (["--out", "{dir}/report.pdf"], ["unknown file type '.pdf'", ".xlsx or .html"], 1),
        (["--data", "{dir}/missing.gpkg"], ["missing.gpkg"], 1),
        (["--out", "{dir}/no/report.xlsx"], ["does not exist"], 1),
    ],
)
def test_bad_input_is_named_and_writes_nothing(
    capsys, street_store_path, tmp_path, argv, words, exit_code
) -> None:
    given = {"--data": str(street_store_path), "--period": WEEK, "--out": "{dir}/report.xlsx"}
    given.update(zip(argv[::2], argv[1::2], strict=True))
    old = tmp_path / "report.xlsx"
    old.write_bytes(b"last week's report")
    flat = [str(v).replace("{dir}", str(tmp_path)) for pair in given.items() for v in pair]
    code, out, err = _run(capsys, "report", *flat)
    assert code == exit_code and out == ""
    lines = err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("gridboard: error:")
    assert all(w in lines[0] for w in words), lines[0]
    assert [p.name for p in tmp_path.iterdir()] == ["report.xlsx"]
    assert old.read_bytes() == b"last week's report"


# --- the KPI page's downloads ------------------------------------------------------------------
@pytest.fixture(scope="module")
def web(town_store: Store):
    return create_app(Settings.from_env({}), town_store).server


def _client(server: Any, store: Store, login: str) -> Any:
    client = server.test_client()
    client.set_cookie(COOKIE, start(store, "user", login))
    return client


def _book(answer: Any) -> openpyxl.Workbook:
    assert answer.status_code == 200, answer.get_data(as_text=True)[:200]
    assert answer.mimetype.endswith("spreadsheetml.sheet")
    assert answer.headers["Content-Disposition"] == f"attachment; filename=kpi-report-{MONTH}.xlsx"
    return openpyxl.load_workbook(io.BytesIO(answer.get_data()))


def _keys(sheet: Any) -> list[str]:
    return [row[1].value for row in sheet.iter_rows(min_row=2)]


def test_the_downloads_are_cut_to_the_askers_scope(web, town_store: Store, town: Town) -> None:
    city = _client(web, town_store, "city")
    book = _book(city.get(f"/kpi.xlsx?period={MONTH}"))
    assert sorted(_keys(book["街道"])) == sorted([town.street_a, town.street_b])
    assert book["总体"].cell(2, 5).value == "全市"
    street = _client(web, town_store, "street")
    page = street.get(f"/kpi?period={MONTH}").get_data(as_text=True)
    assert f'href="/kpi.xlsx?period={MONTH}&amp;lang=zh" id="kpi-xlsx"' in page
    assert 'id="kpi-report"' in page
    book = _book(street.get(f"/kpi.xlsx?period={MONTH}"))
    when, now, before = _read(town_store, MONTH)
    mine = report.build(now, before, when, town_store.work_clock(), town.street_a)
    assert _keys(book["街道"]) == [town.street_a]
    assert _keys(book["社区"]) == [r["key"] for r in mine.rankings["community"]]
    assert _keys(book["处置人"]) == [r["key"] or None for r in mine.rankings["person"]]
    assert book["总体"].cell(2, 6).value == mine.summary[0]["registered"]
    assert book["总体"].cell(3, 6).value == mine.summary[1]["registered"]
    answer = street.get(f"/kpi.html?period={MONTH}&lang=en")
    assert answer.status_code == 200 and answer.mimetype == "text/html"
    text = answer.get_data(as_text=True)
    shown = re.findall(r'<tr data-key="([^"]+)"', text)
    assert town.street_a in shown and town.street_b not in shown
    assert not any(k.startswith(town.street_b) for k in shown)
    assert f"Scope: {town_store.area(town.street_a)['name']}</p>" in text


def test_the_downloads_refuse_who_may_not_rank_and_name_a_bad_period(
    web, town_store: Store
) -> None:
    street = _client(web, town_store, "street")
    for path in ("/kpi.xlsx", "/kpi.html"):
        bad = street.get(f"{path}?period=2026-W99")
        assert bad.status_code == 400 and "is not a week" in bad.get_data(as_text=True)
    for login in ("property", "community", "grid_worker", "admin"):
        other = _client(web, town_store, login)
        for path in ("/kpi.xlsx", "/kpi.html"):
            assert other.get(f"{path}?period={MONTH}").status_code == 403, (login, path)
    assert web.test_client().get(f"/kpi.xlsx?period={MONTH}").status_code in (302, 401)
