"""The offline route sheet: no CDN, Leaflet inlined, stops in order, escaped data, print CSS."""

from __future__ import annotations

import datetime as dt
import json
import re
from dataclasses import replace
from html.parser import HTMLParser
from pathlib import Path

import pytest

from dashboard.i18n import category_name, contains_cjk, t
from dashboard.routesheet import (
    LEAFLET_DIR,
    LeafletMissingError,
    leaflet_assets,
    route_sheet_html,
    stop_reason,
)
from geodata.model import LOCAL_TZ
from layers.itinerary import CandidateStop, Itinerary, Network, Place, RouteStop, StopKind

ROOT = Path(__file__).resolve().parents[1]
HOSTILE = "<script>alert(1)</script>"
HALL = Place("锦绣社区党群服务中心", 116.5862, 35.4151, "济宁市任城区锦绣路18号")


def _candidate(
    key: str, name: str, lon: float, lat: float, address: str, **reason: object
) -> CandidateStop:
    kind = StopKind.FOLLOW_UP if key.startswith("C:") else StopKind.DUE_VISIT
    return CandidateStop(
        id=key,
        kind=kind,
        place=Place(name, lon, lat, address),
        grid_code="370811003012001",
        priority=float(reason.pop("priority", 1.0)),
        service_min=10.0,
        reason=str(reason.pop("reason")),
        reason_args=dict(reason),
        building_id=key[2:] if kind is StopKind.DUE_VISIT else None,
        case_id=key[2:] if kind is StopKind.FOLLOW_UP else None,
    )


CANDIDATES = (
    _candidate(
        "B:370811003012-0003",
        "锦绣花园3号楼",
        116.5878,
        35.4163,
        "锦绣花园小区3号楼",
        reason="route.reason.due_visit",
        days=41,
        households=36,
        due=36,
    ),
    _candidate(
        "C:2026112500317",
        "和谐家园12号楼",
        116.5901,
        35.4172,
        "和谐家园小区12号楼2单元",
        reason="route.reason.overdue_follow_up",
        days=3,
        category="stray_animals",
    ),
    _candidate(
        "B:370811003012-0021",
        "翰林苑5号楼",
        116.5915,
        35.4140,
        "翰林苑小区A区5号楼",
        reason="route.reason.never_visited",
        households=48,
    ),
    _candidate(
        "C:2026112700088",
        "幸福里7号楼",
        116.5880,
        35.4128,
        "幸福里小区7号楼",
        reason="route.reason.follow_up",
        category="noise",
    ),
)
DROPPED = _candidate(
    "B:370811003012-0030",
    "建设里2号楼",
    116.5950,
    35.4190,
    "建设里小区2号楼",
    reason="route.reason.due_visit",
    days=12,
    households=18,
    due=2,
    priority=0.2,
)


def _stops(candidates: tuple[CandidateStop, ...], start: dt.datetime) -> tuple[RouteStop, ...]:
    stops, clock = [], start
    for number, candidate in enumerate(candidates, start=1):
        clock += dt.timedelta(minutes=7 + (number if number != 1 else 0) * 10)
        stops.append(RouteStop(number, candidate, clock, 7.0, 520.0))
    return tuple(stops)


def sample_itinerary(candidates: tuple[CandidateStop, ...] = CANDIDATES, **changes) -> Itinerary:
    """A grid worker's Wednesday afternoon in a Jining community: four stops, one dropped."""
    departure = dt.datetime(2026, 12, 2, 14, 0, tzinfo=LOCAL_TZ)
    stops = _stops(candidates, departure)
    corners = [(s.stop.place.lon, s.stop.place.lat) for s in stops]
    path = [(HALL.lon, HALL.lat)]
    for lon, lat in corners:  # along the streets: first east-west, then north-south
        path += [(lon, path[-1][1]), (lon, lat)]
    path += [(HALL.lon, path[-1][1]), (HALL.lon, HALL.lat)]
    itinerary = Itinerary(
        worker_id="W-0312",
        worker_name="王秀兰",
        community_name="锦绣社区",
        date=dt.date(2026, 12, 2),
        start=HALL,
        departure=departure,
        budget_min=180.0,
        stops=stops,
        dropped=(DROPPED,),
        path=tuple(path),
        walk_m=2840.0,
        walk_min=37.9,
        total_min=165.4,
        back=departure + dt.timedelta(minutes=165.4),
        network=Network.ROADS,
    )
    return replace(itinerary, **changes)


def map_island(html: str) -> dict:
    """The JSON the sheet's script draws its map from."""
    found = re.search(r'<script type="application/json" id="gb-route-data">(.*?)</script>', html)
    assert found, "no map data in the sheet"
    return json.loads(found.group(1))


class _Refs(HTMLParser):
    """What a page would fetch: script src, stylesheet/link href, CSS url() and @import."""

    def __init__(self) -> None:
        super().__init__()
        self.fetched: list[str] = []
        self.styles: list[str] = []
        self._in_style = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = dict(attrs)
        if tag == "script" and values.get("src"):
            self.fetched.append(values["src"] or "")
        if tag == "link" and values.get("href"):
            self.fetched.append(values["href"] or "")
        if tag in ("img", "iframe") and values.get("src"):
            self.fetched.append(values["src"] or "")
        if values.get("style"):
            self.styles.append(values["style"] or "")
        self._in_style = tag == "style"

    def handle_endtag(self, tag: str) -> None:
        self._in_style = False

    def handle_data(self, data: str) -> None:
        if self._in_style:
            self.styles.append(data)


def _references(html: str) -> list[str]:
    parser = _Refs()
    parser.feed(html)
    css = "\n".join(parser.styles)
    urls = re.findall(r"url\(\s*['\"]?([^)'\"]*)", css) + re.findall(
        r"@import\s+(?:url\()?\s*['\"]?([^'\")\s;]+)", css
    )
    return parser.fetched + urls


@pytest.fixture(scope="module")
def sheet_zh() -> str:
    return route_sheet_html(sample_itinerary(), "zh")


@pytest.fixture(scope="module")
def sheet_en() -> str:
    return route_sheet_html(sample_itinerary(), "en")


def _visible_text(html: str) -> str:
    """Body text outside <script> and <style>: what a reader sees."""
    html = re.sub(r"<(script|style)\b.*?</\1>", " ", html, flags=re.DOTALL | re.IGNORECASE)
    return re.sub(r"<[^>]+>", " ", html)


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_nothing_is_fetched_from_a_network(lang: str) -> None:
    html = route_sheet_html(sample_itinerary(), lang)
    references = _references(html)
    assert not [r for r in references if re.match(r"\s*(https?:)?//", r, re.IGNORECASE)]
    assert not references  # not even a relative file beside the sheet
    assert not re.search(r"<(script|link)\b[^>]*(src|href)\s*=\s*['\"]?https?:", html, re.I)


def test_no_cdn_assets(sheet_zh: str) -> None:
    for host in ("cdn.jsdelivr.net", "unpkg.com", "cdnjs.cloudflare.com", "code.jquery.com"):
        assert host not in sheet_zh
    for name in ("jquery", "bootstrap", "font-awesome", "fontawesome", "awesome-markers"):
        assert name not in sheet_zh.lower()


def test_leaflet_is_inlined(sheet_zh: str) -> None:
    banner = (LEAFLET_DIR / "leaflet.js").read_text(encoding="utf-8").splitlines()[1]
    assert "Leaflet 1.9" in banner and banner in sheet_zh
    assert ".leaflet-container" in sheet_zh  # the stylesheet
    assert "sourceMappingURL" not in sheet_zh
    assert sheet_zh.count("<script>") >= 2 and "L.map(" in sheet_zh
    # inline Leaflet comes before the map script that needs it
    assert sheet_zh.index(banner) < sheet_zh.index("L.map(")


def test_leaflet_version_matches_package_json() -> None:
    pinned = json.loads((ROOT / "package.json").read_text())["dependencies"]["leaflet"]
    installed = json.loads((LEAFLET_DIR.parent / "package.json").read_text())["version"]
    assert re.fullmatch(r"1\.9\.\d+", pinned), "pin an exact Leaflet 1.9.x"
    assert installed == pinned, f"node_modules has Leaflet {installed}: run `make node_modules`"


def test_stops_are_listed_in_order_with_numbers_and_names(sheet_zh: str) -> None:
    rows = re.findall(r'<tr class="gb-stop-row" data-number="(\d+)">(.*?)</tr>', sheet_zh, re.S)
    assert [int(n) for n, _ in rows] == [1, 2, 3, 4]
    for (_, row), candidate in zip(rows, CANDIDATES, strict=True):
        assert candidate.place.name in row and candidate.place.address in row
    body = _visible_text(sheet_zh)
    positions = [body.index(c.place.name) for c in CANDIDATES]
    assert positions == sorted(positions)
    # the map has one numbered marker per stop, at the stop
    stops = map_island(sheet_zh)["stops"]
    assert [s["number"] for s in stops] == [1, 2, 3, 4]
    assert [s["name"] for s in stops] == [c.place.name for c in CANDIDATES]
    assert [s["at"] for s in stops] == [[c.place.lat, c.place.lon] for c in CANDIDATES]


def test_arrival_times_and_header_facts(sheet_zh: str) -> None:
    body = _visible_text(sheet_zh)
    for fact in ("王秀兰", "W-0312", "锦绣社区", "2026年12月2日", "星期三", "14:00", "16:45"):
        assert fact in body, fact
    for stop in sample_itinerary().stops:
        assert stop.arrival.strftime("%H:%M") in body
    assert "2.8 公里" in body and "38 分钟" in body and "180 分钟" in body


def test_reasons_are_translated_with_category_names(sheet_zh: str, sheet_en: str) -> None:
    assert "41 天未走访，36 户" in sheet_zh
    assert f"超期 3 天的诉求回访：{category_name('stray_animals', 'zh')}" in sheet_zh
    assert f"Case follow-up: {category_name('noise', 'en')}" in sheet_en
    assert "Never visited, 48 households" in sheet_en
    assert "stray_animals" not in _visible_text(sheet_en)


def test_dropped_stops_are_listed(sheet_zh: str, sheet_en: str) -> None:
    assert t("sheet.dropped.title", "zh", count=1) in sheet_zh
    tail = sheet_zh[sheet_zh.index(t("sheet.dropped.title", "zh", count=1)) :]
    assert DROPPED.place.name in tail and "12 天未走访，18 户" in tail
    assert "Stops left out for lack of time (1)" in sheet_en
    nothing_dropped = route_sheet_html(sample_itinerary(dropped=()), "en")
    assert t("sheet.dropped.none", "en") in nothing_dropped


def test_english_sheet_has_chinese_only_in_data(sheet_en: str) -> None:
    itinerary = sample_itinerary()
    names = [itinerary.worker_name, itinerary.community_name, HALL.name, HALL.address]
    for stop in (*CANDIDATES, DROPPED):
        names += [stop.place.name, stop.place.address]
    text = _visible_text(sheet_en)
    for name in sorted(names, key=len, reverse=True):
        text = text.replace(name, " ")
    assert not contains_cjk(text), [w for w in text.split() if contains_cjk(w)]
    assert 'lang="en"' in sheet_en and "Visit route sheet" in sheet_en


def test_data_text_is_escaped_everywhere() -> None:
    hostile = replace(CANDIDATES[0], place=Place(HOSTILE, 116.5878, 35.4163, HOSTILE))
    itinerary = sample_itinerary(
        (hostile, *CANDIDATES[1:]),
        worker_name=HOSTILE,
        community_name=HOSTILE,
        start=replace(HALL, name=HOSTILE),
        dropped=(replace(DROPPED, place=Place(HOSTILE, 116.59, 35.41, HOSTILE)),),
    )
    for lang in ("zh", "en"):
        html = route_sheet_html(itinerary, lang)
        assert HOSTILE not in html
        assert "<script>alert" not in html
        assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
        assert html.lower().count("</script>") == html.lower().count("<script")


def test_print_stylesheet(sheet_zh: str) -> None:
    css = sheet_zh[sheet_zh.index("@media print") :]
    assert "size: A4" in css
    assert "page-break-inside: avoid" in css and "break-inside: avoid" in css
    assert ".leaflet-control-zoom" in css and "display: none" in css
    assert "color: #000" in css and "background: #fff" in css


def test_straight_line_routes_say_so() -> None:
    html = route_sheet_html(sample_itinerary(network=Network.STRAIGHT_LINE), "zh")
    assert t("sheet.straight_line", "zh") in html


def test_a_route_without_stops_still_renders() -> None:
    html = route_sheet_html(sample_itinerary(stops=(), path=()), "zh")
    assert t("sheet.stops.none", "zh") in html and "L.map(" in html
    assert 'class="gb-stop-row"' not in html


def test_stop_reason_uses_the_reader_language() -> None:
    assert stop_reason(CANDIDATES[3], "zh") == "诉求回访：噪音扰民"
    assert stop_reason(CANDIDATES[3], "en") == "Case follow-up: Noise"


def test_missing_leaflet_names_the_path_and_the_fix(tmp_path: Path) -> None:
    with pytest.raises(LeafletMissingError) as caught:
        route_sheet_html(sample_itinerary(), "zh", leaflet_dir=tmp_path / "nowhere")
    message = str(caught.value)
    assert str(tmp_path / "nowhere" / "leaflet.js") in message
    assert "make node_modules" in message and "npm ci" in message


def test_missing_css_is_named_too(tmp_path: Path) -> None:
    (tmp_path / "leaflet.js").write_text("/* not really */", encoding="utf-8")
    with pytest.raises(LeafletMissingError, match=re.escape(str(tmp_path / "leaflet.css"))):
        leaflet_assets(tmp_path)


def test_inlined_assets_cannot_close_their_element(tmp_path: Path) -> None:
    (tmp_path / "leaflet.js").write_text('var s = "</script><b>";', encoding="utf-8")
    (tmp_path / "leaflet.css").write_text(
        ".a { background: url(images/x.png) } /* </style> */", encoding="utf-8"
    )
    assets = leaflet_assets(tmp_path)
    assert "</script" not in assets.js and "</style" not in assets.css
    assert "url(" not in assets.css
