"""`gridboard route`, run as a user would: workers, JSON, GPX and CSV files, one-line errors."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import xml.etree.ElementTree as ET

import pytest
from shapely.geometry import Point

from dashboard.i18n import t
from dashboard.readers import routes as rd
from geodata.backends import open_store
from geodata.model import LOCAL_TZ, Level
from tests.conftest import DEMO_AS_OF
from tests.test_cli import assert_one_line_error, gridboard

GPX = "{http://www.topografix.com/GPX/1/1}"
DAY = DEMO_AS_OF - dt.timedelta(days=3)


@pytest.fixture(scope="module")
def worker(street_store_path) -> rd.Worker:
    """The street demo's grid worker with the most candidate stops on DAY."""
    at = dt.datetime.combine(DAY, dt.time(14), LOCAL_TZ)
    with open_store(street_store_path, readonly=True) as store:
        found = rd.workers(store)
        return max(found, key=lambda w: (len(rd.candidate_stops(store, w.grid_codes, at)), w.id))


def route_args(path, worker, *more: str) -> list:
    return ["route", "--data", path, "--worker", worker.id, "--date", DAY.isoformat(), *more]


def test_list_workers_as_json_and_text(street_store_path):
    listed = gridboard("route", "--data", street_store_path, "--list-workers", "--json")
    assert listed.returncode == 0, listed.stderr
    rows = json.loads(listed.stdout)
    with open_store(street_store_path, readonly=True) as store:
        expected = rd.workers(store)
    assert [r["id"] for r in rows] == [w.id for w in expected]
    first = rows[0]
    assert first["name"] == expected[0].name and first["community"] == expected[0].community_name
    assert first["grid_codes"] == list(expected[0].grid_codes)
    text = gridboard("route", "--data", street_store_path, "--list-workers")
    assert text.returncode == 0 and len(text.stdout.strip().splitlines()) == len(rows)
    assert expected[0].id in text.stdout and expected[0].grid_codes[0] in text.stdout


def test_json_route_in_order_with_reasons_times_and_totals(street_store_path, worker):
    done = gridboard(*route_args(street_store_path, worker, "--json", "--budget-min", "90"))
    assert done.returncode == 0, done.stderr
    report = json.loads(done.stdout)
    assert report["worker"] == {"id": worker.id, "name": worker.name}
    assert report["date"] == DAY.isoformat() and report["departure"] == "14:00"
    stops = report["stops"]
    assert [s["number"] for s in stops] == list(range(1, len(stops) + 1))
    assert [s["arrival"] for s in stops] == sorted(s["arrival"] for s in stops)
    assert stops and report["dropped"]  # 90 minutes are not enough for every stop
    for s in [*stops, *report["dropped"]]:
        assert s["reason_key"].startswith("route.reason.")
        assert s["reason"] and "{" not in s["reason"]
        assert 115 < s["lon"] < 118 and 34 < s["lat"] < 37
        assert s["grid_code"] in worker.grid_codes
    assert report["total_min"] <= 90
    assert report["walk_m"] > 0 and report["walk_min"] == pytest.approx(
        report["walk_m"] / 75, abs=0.2
    )
    # the same plan as the library's
    with open_store(street_store_path, readonly=True) as store:
        plan = rd.itinerary(store, worker.id, DAY, 90)
    assert [s["id"] for s in stops] == [rs.stop.id for rs in plan.stops]


def test_english_text_output(street_store_path, worker):
    done = gridboard(*route_args(street_store_path, worker, "--lang", "en"))
    assert done.returncode == 0, done.stderr
    assert worker.name in done.stdout and " stops, " in done.stdout
    assert "households" in done.stdout or "follow-up" in done.stdout.lower()


def test_buildings_not_due_fill_a_long_day(street_store_path, worker):
    args = route_args(street_store_path, worker, "--json", "--lang", "en", "--budget-min", "480")
    done = gridboard(*args)
    assert done.returncode == 0, done.stderr
    report = json.loads(done.stdout)
    fill = [s for s in report["stops"] if s["kind"] == "not_due"]
    owed = [s for s in report["stops"] if s["kind"] != "not_due"]
    assert fill and owed
    assert all("not due yet" in s["reason"] for s in fill)
    assert max(s["priority"] for s in fill) < min(s["priority"] for s in owed)
    assert all(s["kind"] != "not_due" for s in report["dropped"])


def test_gpx_is_gpx_11_in_order_within_the_workers_cells(street_store_path, worker, tmp_path):
    out = tmp_path / "route.gpx"
    done = gridboard(*route_args(street_store_path, worker, "--gpx", out, "--json"))
    assert done.returncode == 0, done.stderr
    report = json.loads(done.stdout)
    root = ET.parse(out).getroot()
    assert root.tag == f"{GPX}gpx"
    assert root.get("version") == "1.1" and root.get("creator") == "gridboard"
    children = [child.tag for child in root]
    assert children[0] == f"{GPX}metadata" and children[-1] == f"{GPX}trk"
    wpts = root.findall(f"{GPX}wpt")
    assert [w.findtext(f"{GPX}name") for w in wpts] == [
        f"{s['number']} {s['place']}" for s in report["stops"]
    ]
    assert [w.findtext(f"{GPX}desc") for w in wpts] == [s["reason"] for s in report["stops"]]
    times = [w.findtext(f"{GPX}time") for w in wpts]
    assert times == sorted(times) and all(t.endswith("Z") for t in times)
    points = root.findall(f"{GPX}trk/{GPX}trkseg/{GPX}trkpt")
    assert len(points) >= len(wpts) + 2
    assert points[0].attrib == points[-1].attrib  # back at the start
    with open_store(street_store_path, readonly=True) as store:
        cells = store.areas(Level.GRID).set_index("code").geometry
    area = cells.loc[list(worker.grid_codes)].union_all().buffer(1e-6)
    for w, stop in zip(wpts, report["stops"], strict=True):
        assert float(w.get("lon")) == pytest.approx(stop["lon"], abs=1e-7)
        if stop["kind"] in ("due_visit", "not_due"):
            assert area.contains(Point(float(w.get("lon")), float(w.get("lat"))))


def test_csv_rows_with_bom_then_dropped(street_store_path, worker, tmp_path):
    out = tmp_path / "route.csv"
    done = gridboard(*route_args(street_store_path, worker, "--csv", out, "--budget-min", "60"))
    assert done.returncode == 0, done.stderr
    content = out.read_bytes()
    assert content.startswith(b"\xef\xbb\xbf")
    rows = list(csv.DictReader(io.StringIO(content.decode("utf-8-sig"))))
    order, arrival = t("route.col.order", "zh"), t("route.col.arrival", "zh")  # headers in zh
    numbered = [r for r in rows if r[order]]
    assert [int(r[order]) for r in numbered] == list(range(1, len(numbered) + 1))
    assert rows[: len(numbered)] == numbered  # visited first, then dropped
    assert len(rows) > len(numbered)
    assert all(r[arrival] == "" for r in rows[len(numbered) :])
    assert all(len(r[arrival]) == 5 for r in numbered)


def test_route_sheet_html(street_store_path, worker, tmp_path):
    pytest.importorskip("dashboard.routesheet")
    out = tmp_path / "route.html"
    done = gridboard(*route_args(street_store_path, worker, "--out", out))
    assert done.returncode == 0, done.stderr
    assert out.read_text(encoding="utf-8").lstrip().lower().startswith("<!doctype html")


@pytest.mark.parametrize(
    ("args", "words"),
    [
        (["--worker", "P999999", "--date", "2026-11-25"], ["P999999"]),
        (["--worker", "P000001", "--date", "2026-02-30"], ["--date", "2026-02-30"]),
        (["--date", "2026-11-25"], ["--worker"]),
        (["--worker", "W", "--date", "2026-11-25", "--budget-min", "0"], ["--budget-min"]),
        (["--worker", "W", "--date", "2026-11-25", "--budget-min", "99999"], ["--budget-min"]),
        (["--worker", "W", "--date", "2026-11-25", "--depart", "25:00"], ["--depart"]),
        (["--worker", "W", "--date", "2026-11-25", "--start", "north"], ["--start"]),
        (
            ["--worker", "W", "--date", "2026-11-25", "--gpx", "/nonexistent/r.gpx"],
            ["/nonexistent"],
        ),
    ],
)
def test_bad_input_is_one_line(street_store_path, args, words):
    done = gridboard("route", "--data", street_store_path, "--lang", "en", *args)
    assert_one_line_error(done, *words)


def test_route_problems_are_one_line_in_the_language(street_store_path, worker):
    zh = gridboard(*route_args(street_store_path, worker, "--budget-min", "1"))
    assert_one_line_error(zh, "1 分钟")
    en = gridboard(*route_args(street_store_path, worker, "--budget-min", "1", "--lang", "en"))
    assert_one_line_error(en, "No stop fits in 1 minutes")


def test_an_unwritable_output_is_refused_before_planning(street_store_path, worker, tmp_path):
    folder = tmp_path / "out"
    folder.mkdir()
    done = gridboard(*route_args(street_store_path, worker, "--csv", folder))
    assert_one_line_error(done, "is a folder")
    missing = gridboard("route", "--data", tmp_path / "none.gpkg", "--list-workers")
    assert_one_line_error(missing, "none.gpkg")
