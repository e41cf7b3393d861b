"""Template and markup payloads, brought in through every import path, come out literally in
every output: route sheet, GPX, CSV, JSON, GeoJSON, GeoPackage and the pages (issue 10)."""

from __future__ import annotations

import csv
import io
import json
import xml.etree.ElementTree as ET
from collections.abc import Iterable, Iterator
from html.parser import HTMLParser
from pathlib import Path

import geopandas as gpd
import pytest

from dashboard.app import create_app
from dashboard.settings import Settings
from geodata.backends import open_store
from geodata.store import Store
from layers.routeview import RouteView
from layers.view import ViewState
from tests import payload_city as pc
from tests import tiny_city as tc
from tests.webutil import signed_in

RAN = "uid="  # what the os.popen payload prints if it is ever evaluated
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


@pytest.fixture(scope="module")
def city(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, str]]:
    return pc.build(tmp_path_factory.mktemp("payloads"))


@pytest.fixture(scope="module")
def store(city) -> Iterator[Store]:
    with open_store(city[0]) as opened:  # writable, as the app serves it (audit trail)
        yield opened


# --- reading outputs back as the plain strings a reader sees ------------------------------------
class _Text(HTMLParser):
    """Every text node and attribute value of an HTML page, entities decoded; the tags seen."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.strings: list[str] = []
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self._json = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs)))
        self.strings += [value for _, value in attrs if value]
        self._json = tag == "script" and dict(attrs).get("type") == "application/json"

    def handle_data(self, data: str) -> None:
        if self._json:
            self.strings += list(_json_strings(json.loads(data)))
        else:
            self.strings.append(data)

    def handle_endtag(self, tag: str) -> None:
        self._json = False


def html_strings(text: str) -> tuple[list[str], list[tuple[str, dict[str, str | None]]]]:
    parser = _Text()
    parser.feed(text)
    parser.close()
    return parser.strings, parser.tags


def _json_strings(value: object) -> Iterator[str]:
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for key, item in value.items():
            yield str(key)
            yield from _json_strings(item)
    elif isinstance(value, list | tuple):
        for item in value:
            yield from _json_strings(item)


def csv_strings(data: bytes) -> list[str]:
    """The cells of a CSV; a formula-guarded cell (a leading ') is read back as it was meant."""
    cells = [cell for row in csv.reader(io.StringIO(data.decode("utf-8-sig"))) for cell in row]
    for cell in cells:
        assert not cell.startswith(FORMULA_START), f"a spreadsheet would run {cell!r}"
    return [c[1:] if c.startswith("'") and c[1:].startswith(FORMULA_START) else c for c in cells]


def xml_strings(text: str) -> list[str]:
    root = ET.fromstring(text.encode("utf-8"))
    return [s for node in root.iter() for s in (node.text, *node.attrib.values()) if s]


def frame_strings(frame: gpd.GeoDataFrame) -> list[str]:
    return [
        v
        for column in frame.columns
        if column != "geometry"
        for v in frame[column]
        if isinstance(v, str)
    ]


def assert_literal(strings: Iterable[str], expected: Iterable[str], where: str) -> None:
    """Each expected payload is in some string as written; nothing was evaluated."""
    strings = list(strings)
    joined = "\n".join(strings)
    assert RAN not in joined, f"{where}: a payload ran a command"
    missing = [p for p in dict.fromkeys(expected) if not any(p in s for s in strings)]
    assert not missing, f"{where}: not shown literally: {missing}"


def assert_no_markup(tags: list[tuple[str, dict[str, str | None]]], where: str) -> None:
    """No element that a payload could have made: no img, no event handler, no extra script."""
    assert not [t for t, _ in tags if t in ("img", "iframe", "object", "embed")], where
    handlers = [k for _, attrs in tags for k in attrs if k.startswith("on")]
    assert not handlers, f"{where}: event handlers {handlers}"


# --- what each output must carry -----------------------------------------------------------------
def route_payloads(placed: dict[str, str]) -> list[str]:
    """The worker, the community, the compound and every open case id of the north cells."""
    keys = ["worker", f"community:{tc.YUNHE}", f"compound:{tc.GARDEN}"]
    keys += [k for k in placed if k.startswith(("case_id:", "open311_id:"))]
    return [placed[k] for k in keys]


def area_payloads(placed: dict[str, str], level: str) -> list[str]:
    return [name for key, name in placed.items() if key.startswith(f"{level}:")]


# --- the command line ----------------------------------------------------------------------------
def test_every_import_path_took_its_payloads(city) -> None:
    _, placed = city
    assert set(pc.PAYLOADS) <= set(placed.values())
    kinds = {key.split(":")[0] for key in placed}
    assert {
        "street",
        "community",
        "compound",
        "grid",
        "worker",
        "case_text",
        "case_reporter",
        "open311_text",
    } <= kinds


def _refused(argv: list[object], capsys) -> list[str]:
    """The bad-row lines a gridboard import that must fail prints."""
    from dashboard.cli import main

    capsys.readouterr()
    with pytest.raises(SystemExit) as exit_:
        main([str(a) for a in argv])
    assert exit_.value.code not in (0, None)
    err = capsys.readouterr().err
    assert "nothing was written" in err and "Traceback" not in err
    return [line.strip() for line in err.splitlines() if line.startswith("  line ")]


def test_payloads_as_ids_or_phones_are_refused_by_line_and_field(city, tmp_path, capsys):
    path, _ = city
    store = tmp_path / "copy.gpkg"
    store.write_bytes(path.read_bytes())
    before = store.read_bytes()
    lon, lat = tc.lonlat(100, 300)
    cases = tmp_path / "cases.csv"
    rows = [[text, "noise", "text", lon, lat, "2026-11-20 10:00"] for text in pc.PAYLOADS]
    header = ["工单号", "诉求类型", "诉求内容", "经度", "纬度", "受理时间"]
    shown = _refused(
        ["import", "cases", pc._write_csv(cases, header, rows), "--data", store], capsys
    )
    assert [line.split(" is")[0].split(" holds")[0] for line in shown] == [
        f"line {n}: id {text!r}" for n, text in enumerate(pc.PAYLOADS, start=2)
    ]
    staff = tmp_path / "staff.csv"
    header = ["人员编号", "姓名", "电话", "单位", "职务", "区域编码"]
    rows = [[f"PX{i}", "王", text, "两委", "网格员", tc.YUNHE + "001"] for i, text in
            enumerate(pc.PAYLOADS)]  # fmt: skip
    shown = _refused(
        ["import", "staff", pc._write_csv(staff, header, rows), "--data", store], capsys
    )
    assert shown == [
        f"line {n}: phone {text!r} is not a phone number"
        + shown[0].split("is not a phone number")[1]
        for n, text in enumerate(pc.PAYLOADS, start=2)
    ]
    assert store.read_bytes() == before


def test_route_sheet_gpx_csv_and_json_show_payloads_as_text(city, tmp_path, capsys) -> None:
    path, placed = city
    sheet, gpx, table = tmp_path / "r.html", tmp_path / "r.gpx", tmp_path / "r.csv"
    argv = [
        "route",
        "--data",
        path,
        "--worker",
        pc.WORKER,
        "--date",
        pc.ROUTE_DATE,
        "--budget-min",
        600,
    ]
    capsys.readouterr()
    pc.run(*argv, "--out", sheet, "--gpx", gpx, "--csv", table)
    assert RAN not in capsys.readouterr().out
    pc.run(*argv, "--json")
    printed = json.loads(capsys.readouterr().out)
    expected = route_payloads(placed)
    html = sheet.read_text(encoding="utf-8")
    strings, tags = html_strings(html)
    assert_literal(strings, expected, "route sheet")
    assert_no_markup(tags, "route sheet")
    assert [t for t, a in tags if t == "script"] == ["script"] * 3  # Leaflet, data, map
    assert_literal(xml_strings(gpx.read_text(encoding="utf-8")), expected, "GPX")
    assert_literal(csv_strings(table.read_bytes()), expected[2:], "route CSV")
    assert_literal(_json_strings(printed), expected, "route --json")


def test_a_worker_named_with_an_open_brace_gets_a_sheet(city, tmp_path, capsys) -> None:
    """`王{{小明` made the download fail with HTTP 500 and the CLI print a traceback."""
    path, placed = city
    assert placed["worker"] != "王{{小明"
    renamed = tmp_path / "staff.csv"
    renamed.write_text(
        "人员编号,姓名,电话,单位,职务,区域编码\n"
        f"PW2,王{{{{小明,13700000009,锦绣社区两委,网格员,{tc.JINXIU}001\n",
        encoding="utf-8",
    )
    store = tmp_path / "copy.gpkg"
    store.write_bytes(path.read_bytes())
    pc.run("import", "staff", renamed, "--data", store)
    sheet = tmp_path / "wang.html"
    capsys.readouterr()
    pc.run("route", "--data", store, "--worker", "PW2", "--date", pc.ROUTE_DATE, "--out", sheet)
    captured = capsys.readouterr()
    assert "Traceback" not in captured.err
    strings, _ = html_strings(sheet.read_text(encoding="utf-8"))
    assert any("王{{小明" in s for s in strings)


def test_workers_list_shows_names_as_written(city, capsys) -> None:
    path, placed = city
    capsys.readouterr()
    pc.run("route", "--data", path, "--list-workers", "--json")
    listed = json.loads(capsys.readouterr().out)
    assert_literal(_json_strings(listed), [placed["worker"]], "--list-workers --json")
    pc.run("route", "--data", path, "--list-workers")
    assert_literal([capsys.readouterr().out], [placed["worker"]], "--list-workers")


@pytest.mark.parametrize("suffix", [".geojson", ".gpkg"])
@pytest.mark.parametrize("level", pc.LEVELS)
def test_area_exports_keep_names_as_values(city, tmp_path, level, suffix) -> None:
    path, placed = city
    out = tmp_path / f"areas{suffix}"
    pc.run("export", "--data", path, "--level", level, "--out", out)
    assert_literal(frame_strings(gpd.read_file(out)), area_payloads(placed, level), out.name)


@pytest.mark.parametrize("suffix", [".csv", ".geojson"])
def test_metrics_exports_keep_names_as_values(city, tmp_path, suffix) -> None:
    path, placed = city
    out = tmp_path / f"metrics{suffix}"
    pc.run("export", "--data", path, "--level", "compound", "--metrics", "--out", out)
    strings = (
        csv_strings(out.read_bytes()) if suffix == ".csv" else frame_strings(gpd.read_file(out))
    )
    assert_literal(strings, area_payloads(placed, "compound"), out.name)


def test_info_prints_without_evaluating(city, capsys) -> None:
    capsys.readouterr()
    pc.run("info", "--data", city[0], "--json")
    assert RAN not in capsys.readouterr().out


# --- the pages -----------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def served(store: Store):
    app = create_app(Settings.from_env({}), store)
    with signed_in(app):
        yield app


def component_strings(value: object) -> Iterator[str]:
    """The strings in a Dash component tree, as the browser receives them."""
    yield from _json_strings(json.loads(json.dumps(value, cls=_PlotlyEncoder())))


def _PlotlyEncoder():
    from plotly.utils import PlotlyJSONEncoder

    return PlotlyJSONEncoder


def test_panel_and_case_table_show_payloads_as_text(city, served) -> None:
    from dashboard.panel import case_rows_response, case_table_content, panel_children

    path, placed = city
    with open_store(path, readonly=True) as store:
        view = ViewState(street=tc.STREET, area=tc.GARDEN, window="90d").as_dict()
        panel = list(component_strings(panel_children(store, view)))
        table = list(component_strings(case_table_content(store, view)))
        rows = case_rows_response(store, {"startRow": 0, "endRow": 200}, view)["rowData"]
        table += [value for row in rows for value in row.values() if isinstance(value, str)]
    cases = [v for k, v in placed.items() if k.startswith(("case_id:", "case_text:"))]
    ids = [placed[f"case_id:{i}"] for i in range(10)]  # the panel lists cases by id only
    assert_literal(panel, [placed[f"compound:{tc.GARDEN}"], *ids], "panel")
    assert_literal(table, cases, "case table")


def test_route_page_download_shows_payloads_as_text(city, served) -> None:
    from dashboard.pages.routes import route_download

    view = RouteView(worker=pc.WORKER, date=pc.ROUTE_DATE, budget=600)
    sent = route_download("sheet", view, None)
    strings, tags = html_strings(sent["content"])
    assert_literal(strings, route_payloads(city[1]), "route sheet download")
    assert_no_markup(tags, "route sheet download")
    for kind in ("gpx", "csv"):
        assert route_download(kind, view, None) is not None


def test_wall_feed_shows_payloads_as_text(city, served) -> None:
    import datetime as dt

    from dashboard.pages.wall import feed_item, wall_parts
    from dashboard.readers.source import Source
    from dashboard.readers.wall import wall_data
    from geodata.model import LOCAL_TZ

    path, placed = city
    at = dt.datetime(2026, 11, 28, 12, tzinfo=LOCAL_TZ)
    with open_store(path, readonly=True) as store:
        source = Source(store, Settings.from_env({}))
        parts = wall_parts(wall_data(source, tc.STREET, at), "zh")
    feed = [s for row in parts["feed"] for s in component_strings(feed_item(row, "zh"))]
    texts = [v for k, v in placed.items() if k.startswith(("case_text:", "open311_text:"))]
    shown = [text for text in texts if any(text in s for s in feed)]
    assert len(shown) >= 8, feed  # the newest cases, masked for the wall but never evaluated
    assert_literal(feed, shown, "wall feed")


def test_gpx_stays_readable_with_control_characters_in_names() -> None:
    from layers.routefiles import gpx_text
    from tests.test_routesheet import sample_itinerary

    name = "王\x01小明\x1b[31m\ufffe"
    root = ET.fromstring(gpx_text(sample_itinerary(worker_name=name)).encode("utf-8"))
    title = root.find("{http://www.topografix.com/GPX/1/1}metadata/{*}name")
    assert title is not None and title.text.startswith("王\ufffd小明\ufffd[31m\ufffd")
