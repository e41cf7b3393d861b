"""The wall page: pure pieces, and its callbacks called as plain functions on the street demo."""

from __future__ import annotations

import datetime as dt
import importlib
import re
from types import ModuleType

import dash
import pandas as pd
import plotly.graph_objects as go
import pytest

from dashboard import context, ids
from dashboard.i18n import t
from dashboard.readers import wall as wall_reader
from dashboard.readers.source import Source
from dashboard.settings import Settings
from geodata.model import LOCAL_TZ, OPEN_STATUSES, Level
from geodata.store import Store
from layers import kpi, wall
from layers.access import Principal, Reach
from layers.mask import mask_case_text
from layers.view import CITY
from tests.components import strings
from tests.webutil import signed_in

MOBILE = re.compile(r"(?<!\d)1[3-9]\d{9}(?!\d)")


@pytest.fixture(scope="module")
def page(app: dash.Dash) -> ModuleType:
    return importlib.import_module("dashboard.pages.wall")


def test_tiles_say_which_way_is_good() -> None:
    figures = {
        **{k: 10 for k in ("open_cases", "overdue_cases", "new_today", "closed_today")},
        **{f"{k}_prev": 8 for k in ("open_cases", "overdue_cases", "new_today", "closed_today")},
        "reported_7d": 100,
        "closed_7d": 90,
        "reported_7d_prev": 0,
        "closed_7d_prev": 5,
        "median_close_hours": 30.0,
        "median_close_hours_prev": 30.04,
        "visits_week": 15,
        "visits_week_prev": 20,
        "households_week": 300,
        "households_week_prev": 300,
        "grid_workers": 10,
        "closed_week": 40,
        "on_time_week": 30,
        "closed_week_prev": 50,
        "on_time_week_prev": 40,
    }
    tiles = {tile.key: tile for tile in wall.kpi_tiles(figures)}
    assert [tile.key for tile in wall.kpi_tiles(figures)] == [k for k, _, _ in wall.TILE_SPECS]
    assert tiles["open_cases"].direction == "up" and tiles["open_cases"].good is False
    assert tiles["closed_today"].good is True and tiles["new_today"].good is None
    assert tiles["closure_rate_7d"].value == pytest.approx(90.0)
    assert (
        tiles["closure_rate_7d"].previous is None and tiles["closure_rate_7d"].direction == "none"
    )
    assert tiles["median_close_hours"].direction == "flat"  # −0.04 h shows as 0.0
    assert tiles["visits_week"].target == 20 and tiles["visits_week"].good is False
    assert tiles["households_week"].direction == "flat" and tiles["households_week"].good is None
    on_time = tiles[wall.ON_TIME]
    assert (on_time.value, on_time.previous) == (pytest.approx(75.0), pytest.approx(80.0))
    assert on_time.change == pytest.approx(-5.0) and on_time.good is False
    nothing_closed = {**figures, "closed_week": 0, "on_time_week": 0}
    on_time = {t.key: t for t in wall.kpi_tiles(nothing_closed)}[wall.ON_TIME]
    assert on_time.value is None and on_time.direction == "none" and on_time.good is None


# --- 按期结案率: this ISO week so far against last week --------------------------------------
def _local(day: int, hour: int, minute: int = 0, second: int = 0) -> pd.Timestamp:
    return pd.Timestamp(dt.datetime(2026, 11, day, hour, minute, second, tzinfo=LOCAL_TZ))


NOW = _local(26, 10).to_pydatetime()  # Thursday of ISO week 2026-W48 (Monday the 23rd)
# (id, street, closed_at, due_at): which count, and how, is said beside each.
CLOSURES = [
    ("A", "S1", _local(24, 9), _local(24, 12)),  # this week, on time
    ("B", "S1", _local(25, 15), _local(25, 11)),  # this week, late
    ("C", "S1", _local(25, 16), _local(26, 9)),  # due 25th 10:00, an extension moved it: on time
    ("D", "S1", _local(26, 9, 59, 59), _local(26, 9, 59, 59)),  # at its due second: on time
    ("E", "S1", _local(26, 10), _local(27, 10)),  # at NOW: not yet "so far"
    ("F", "S1", _local(26, 17), _local(27, 10)),  # later today: not yet
    ("G", "S1", _local(16, 8), _local(16, 9)),  # last week, on time
    ("H", "S1", _local(22, 23, 59), _local(22, 12)),  # last week's last minute, late
    ("I", "S1", _local(20, 9), pd.NaT),  # last week, no due time: not on time (as layers.kpi)
    ("J", "S1", _local(15, 23), _local(16, 9)),  # the week before last: not counted
    ("K", "S2", _local(24, 9), _local(24, 12)),  # another street, this week, on time
    ("L", "S1", pd.NaT, _local(24, 12)),  # open
]


def _closures_frame() -> pd.DataFrame:
    frame = pd.DataFrame(CLOSURES, columns=["id", "street_code", "closed_at", "due_at"])
    for column in ("closed_at", "due_at"):
        frame[column] = pd.to_datetime(frame[column], utc=True)
    frame["extensions"] = (frame["id"] == "C").astype(int)
    return frame


def test_on_time_closures_this_week_so_far_and_last_week() -> None:
    monday = wall.week_start(NOW)
    assert monday == dt.datetime(2026, 11, 23, tzinfo=LOCAL_TZ)
    counts = wall.closures(
        _closures_frame(), monday - dt.timedelta(days=7), NOW + dt.timedelta(days=4)
    )
    figures = wall.on_time_figures(counts, "S1", NOW)
    assert figures == {
        "closed_week": 4,  # A B C D
        "on_time_week": 3,  # A C D
        "closed_week_prev": 3,  # G H I
        "on_time_week_prev": 1,  # G
    }
    city = wall.on_time_figures(counts, None, NOW)
    assert (city["closed_week"], city["on_time_week"]) == (5, 4)  # and K
    assert wall.on_time_figures(counts, "S3", NOW) == dict.fromkeys(wall.ON_TIME_FIGURES, 0)
    later = wall.on_time_figures(counts, "S1", _local(26, 17, 1).to_pydatetime())
    assert (later["closed_week"], later["on_time_week"]) == (6, 5)  # E and F by then
    tile = {t.key: t for t in wall.kpi_tiles(_figures_with(figures))}[wall.ON_TIME]
    assert (tile.value, tile.previous) == (pytest.approx(75.0), pytest.approx(100 / 3))
    assert tile.direction == "up" and tile.good is True


@pytest.mark.parametrize(
    ("at", "monday"),
    [
        (dt.datetime(2026, 11, 29, 23, 59, 59, tzinfo=LOCAL_TZ), dt.date(2026, 11, 23)),
        (dt.datetime(2026, 11, 29, 16, 30, tzinfo=dt.UTC), dt.date(2026, 11, 30)),  # 00:30 local
        (dt.datetime(2027, 1, 1, 12, tzinfo=LOCAL_TZ), dt.date(2026, 12, 28)),  # ISO 2026-W53
    ],
)
def test_the_week_starts_on_monday_local_time(at: dt.datetime, monday: dt.date) -> None:
    assert wall.week_start(at) == dt.datetime.combine(monday, dt.time(), LOCAL_TZ)


def _figures_with(on_time: dict[str, int]) -> dict[str, float]:
    """Store.wall_figures of nothing at all, with the on-time figures `on_time`."""
    keys = [k for k, _, _ in wall.TILE_SPECS if k not in ("closure_rate_7d", wall.ON_TIME)]
    keys += ["reported_7d", "closed_7d"]
    zero = {name: 0 for key in keys for name in (key, f"{key}_prev")}
    return {**zero, "grid_workers": 0, **on_time}


def test_the_on_time_band_says_this_week_last_week_and_points(page: ModuleType) -> None:
    figures = {"closed_week": 4, "on_time_week": 3, "closed_week_prev": 3, "on_time_week_prev": 1}
    tile = {t.key: t for t in wall.kpi_tiles(_figures_with(figures))}[wall.ON_TIME]
    text = strings(page.tile_view(tile, "en"))
    shown = [t("wall.kpi.on_time_rate_week", "en"), "75.0%", "last week 33.3%", "▲ 41.7 pts"]
    assert [s for s in text if s in shown] == shown  # in this order
    assert "gb-wall-kpi gb-wall-kpi-wide" in text and wall.ON_TIME in text
    assert "gb-wall-kpi-change gb-wall-good" in text
    figures |= {"closed_week_prev": 0, "on_time_week_prev": 0}
    tile = {t.key: t for t in wall.kpi_tiles(_figures_with(figures))}[wall.ON_TIME]
    text = strings(page.tile_view(tile, "zh"))
    assert "上周 —" in text and t("wall.on_time.no_change", "zh") in text


def _kpi_rate(
    store: Store, start: dt.datetime, end: dt.datetime, column: str | None, code: str = ""
) -> float:
    """按期结案率 in percent of [start, end) as layers.kpi ranks streets, summed over them;
    only the cases whose `column` is `code` (None: all)."""
    cases = store.kpi_cases(start, end)
    if column is not None:
        cases = cases[cases[column] == code]
    rows = kpi.kpis(cases, "street", start, end, store.work_clock())
    on_time = (rows["on_time_rate"].fillna(0) * rows["closed"]).sum()
    return 100 * on_time / rows["closed"].sum()


@pytest.mark.parametrize("where", ["city", "street"])
def test_the_wall_on_time_rate_agrees_with_the_kpis(street_store: Store, where: str) -> None:
    at = dt.datetime(2026, 11, 27, 15, 0, tzinfo=LOCAL_TZ)  # the demo runs to the 28th's end
    street = str(street_store.areas(Level.STREET)["code"].iloc[0])
    place = CITY if where == "city" else street
    src = Source(street_store, Settings.from_env({}))
    data = wall_reader.wall_data(src, place, at)
    figures = data["figures"]
    monday = wall.week_start(at)
    assert figures["closed_week"] > 50 and figures["closed_week_prev"] > 50
    assert 0 < figures["on_time_week"] < figures["closed_week"]  # some late: a real test
    tile = {t.key: t for t in wall.kpi_tiles(figures)}[wall.ON_TIME]
    column = None if place == CITY else "street_code"
    this_week = _kpi_rate(street_store, monday, at, column, street)
    assert tile.value == pytest.approx(this_week, abs=1e-9)
    last_week = _kpi_rate(street_store, monday - dt.timedelta(days=7), monday, column, street)
    assert tile.previous == pytest.approx(last_week, abs=1e-9)


def test_the_on_time_rate_is_of_what_the_asker_sees_and_cached(
    app: dash.Dash, street_store: Store
) -> None:
    at = dt.datetime(2026, 11, 27, 15, 0, tzinfo=LOCAL_TZ)
    monday = wall.week_start(at)
    street = str(street_store.areas(Level.STREET)["code"].iloc[0])
    community = str(street_store.areas(Level.COMMUNITY)["code"].iloc[0])
    partial = Principal(
        "one-community",
        "user",
        ("street",),
        Reach(communities=frozenset({community})),
        street_codes=frozenset({street}),
    )
    with signed_in(app):
        whole = wall_reader.on_time(context.source(), street, at)
        whole_data = wall_reader.wall_data(context.source(), street, at)
    with signed_in(app, partial):
        src = context.source()
        assert src.cache is not None and src.reach_in(street) is not None
        first = wall_reader.on_time(src, street, at)
        again = wall_reader.on_time(src, street, at)
        data = wall_reader.wall_data(src, street, at)  # same place and minute: not shared
    assert first == again and 0 < first["closed_week"] < whole["closed_week"]
    assert data["figures"]["closed_week"] == first["closed_week"]
    assert whole_data["figures"]["closed_week"] == whole["closed_week"]
    rate = wall.on_time_rate(first["on_time_week"], first["closed_week"])
    assert rate == pytest.approx(
        _kpi_rate(street_store, monday, at, "community_code", community), abs=1e-9
    )


def test_feed_rows_are_masked_and_cut() -> None:
    cases = pd.DataFrame(
        [
            {
                "id": "C1",
                "reported_at": pd.Timestamp("2026-11-28T02:05:00Z"),
                "category": "noise",
                "status": "dispatched",
                "description": "张先生（电话13912345678）反映3号楼2单元501室楼上装修噪音，" * 2,
                "street_name": "水泊街道",
                "community_name": "运河社区",
                "compound_name": "运河花园",
                "grid_name": "第1网格",
            }
        ]
    )
    (row,) = wall.feed_rows(cases)
    assert row["time"] == "10:05" and row["area"] == "运河社区 · 运河花园"
    assert not MOBILE.search(row["text"]) and "张先生" not in row["text"]
    assert row["text"] == wall.short_text(mask_case_text(cases["description"][0]))
    assert len(row["text"]) == wall.FEED_TEXT_CHARS and row["text"].endswith("…")


def test_a_bare_reporter_name_on_record_is_masked_and_never_sent() -> None:
    cases = pd.DataFrame(
        [
            {
                "id": "C2",
                "reported_at": pd.Timestamp("2026-11-28T02:05:00Z"),
                "category": "blocked_passage",
                "status": "reported",
                "description": "张建国反映楼道堵塞，电话13812345678",
                "reporter_name": "张建国",
                "reporter_phone": "13812345678",
            }
        ]
    )
    (row,) = wall.feed_rows(cases)
    assert "张建国" not in row["text"] and "13812345678" not in row["text"]
    assert row["text"].startswith("张**反映")
    assert "reporter_name" not in row and "reporter_phone" not in row


def _row(case_id: str, status: str = "reported") -> dict:
    return {"id": case_id, "status": status, "text": "…", "area": "运河社区"}


def test_new_feed_rows_on_top_or_whole() -> None:
    sent = [wall.row_key(_row(i)) for i in ("A", "B", "C", "D")]
    rows = [_row(i) for i in ("N2", "N1", "A", "B")]
    assert wall.new_feed_rows(rows, sent) == 2
    assert wall.new_feed_rows(rows, []) is None
    swapped = [wall.row_key(_row(i)) for i in ("B", "A", "C", "D")]
    assert wall.new_feed_rows(rows, swapped) is None
    # A shown case whose status changed is not "the same row": the feed is sent again.
    closed = [_row("A", "closed"), *(_row(i) for i in ("B", "C", "D"))]
    assert wall.new_feed_rows(closed, sent) is None


def test_rotation_visits_the_whole_place_then_each_unit() -> None:
    units = pd.DataFrame(
        {
            "code": ["2", "1"],
            "name": ["乙", "甲"],
            "west": [116.0, 116.1],
            "south": [35.0, 35.0],
            "east": [116.1, 116.2],
            "north": [35.1, 35.1],
        }
    )
    stops = wall.rotation_stops(units, ("全市", (116.0, 35.0, 116.2, 35.1)))
    assert [s["name"] for s in stops] == ["全市", "甲", "乙"]
    assert [s["layer"] for s in stops] == [-1, 0, 1]
    assert stops[1]["zoom"] > stops[0]["zoom"]
    assert [wall.rotation_stop(n, 3, True) for n in range(5)] == [0, 1, 2, 0, 1]
    assert wall.rotation_stop(7, 3, False) == 0


def test_layout_kpis_match_the_raw_cases(app: dash.Dash, page: ModuleType, street_store: Store):
    with signed_in(app):
        layout = page.layout(lang="en")
    at = page.wall_moment()
    cases = street_store.cases()
    reported, closed = cases["reported_at"], cases["closed_at"]
    rejected = cases["rejected_at"]
    open_now = (
        (reported < at) & (closed.isna() | (closed >= at)) & (rejected.isna() | (rejected >= at))
    )
    day = at.replace(hour=0, minute=0)
    expected = {
        "open_cases": int(open_now.sum()),
        "overdue_cases": int((open_now & (cases["due_at"] < at)).sum()),
        "new_today": int(((reported >= day) & (reported < at)).sum()),
        "closed_today": int(((closed >= day) & (closed < at)).sum()),
    }
    figures = street_store.wall_figures(at)
    assert {k: figures[k] for k in expected} == expected
    assert expected["open_cases"] <= int(cases["status"].isin(list(OPEN_STATUSES)).sum())
    tiles = layout[ids.WALL_KPIS].children
    assert len(tiles) == len(wall.TILE_SPECS) == 9
    text = " ".join(strings(tiles[0]))
    assert t("wall.kpi.open_cases", "en") in text and f"{expected['open_cases']:,}" in text


def test_the_wall_map_is_dark_opaque_and_outlines_its_units(app: dash.Dash, page: ModuleType):
    with signed_in(app):
        layout = page.layout(lang="en")
    figure = go.Figure(layout[ids.WALL_MAP].figure)  # plotly's validators check the dict
    assert figure.layout.map.style == wall.DARK_STYLE
    assert figure.layout.paper_bgcolor == "#0b1220"
    assert [trace.marker.opacity for trace in figure.data] == [1.0] * len(figure.data)
    units = [layer.name for layer in figure.layout.map.layers if layer.name.isdigit()]
    assert units and units == sorted(units)  # one outline per unit, for the rotation


def test_layout_feed_is_masked_and_bad_parameters_fall_back(app: dash.Dash, page: ModuleType):
    with signed_in(app):
        layout = page.layout(rotate="often", refresh="-3", street="999", lang="xx")
    config = layout[ids.WALL_CONFIG].data
    assert (config["rotate"], config["refresh"], config["place"], config["lang"]) == (
        20,
        30,
        "all",
        "zh",
    )
    assert "rotate=often" in " ".join(strings(layout[ids.WALL_NOTICE]))
    feed = " ".join(strings(layout[ids.WALL_FEED]))
    assert feed and not MOBILE.search(feed)
    assert not re.search(r"[\u4e00-\u9fff](先生|女士)", feed)


def test_refresh_sends_only_what_changed(app: dash.Dash, page: ModuleType) -> None:
    with signed_in(app):
        layout = page.layout(rotate="0", refresh="5")
        config, sent = layout[ids.WALL_CONFIG].data, layout[ids.WALL_SENT].data
        again = page.refresh(1, config, sent)
        first = page.refresh(1, config, {})
    assert all(part is dash.no_update for part in again[:5])
    assert again[5]["text"] and again[6]["feed"] == sent["feed"]
    assert isinstance(first[0], dict) and first[0]["levels"][0]["level"] == "grid"
    assert len(first[1]) == len(wall.TILE_SPECS) and len(first[3]) == len(sent["feed"])


def test_a_forged_config_falls_back_instead_of_failing(app: dash.Dash, page: ModuleType) -> None:
    with signed_in(app):
        layout = page.layout(rotate="0", refresh="5")
        config = layout[ids.WALL_CONFIG].data
        forged = {**config, "place": "999999999'; DROP TABLE cases", "lang": "xx"}
        parts = page.refresh(1, forged, {})
        honest = page.refresh(1, config, {})
    assert parts[0] == honest[0]  # the whole city, as for an unknown street in the URL


@pytest.mark.parametrize(
    ("now", "moment"),
    [
        ((14, 3, 27), (14, 4, 0)),  # the end of the minute: one cache key a minute
        ((23, 58, 59), (23, 59, 0)),
        ((23, 59, 30), (23, 59, 59)),  # never tomorrow: "today" stays today to its end
    ],
)
def test_the_wall_moment_ends_the_minute_but_never_the_day(now, moment) -> None:
    from dashboard.readers.wall import wall_moment

    day = dt.date(2026, 11, 30)
    at = wall_moment(dt.datetime.combine(day, dt.time(*now), LOCAL_TZ))
    assert at == dt.datetime.combine(day, dt.time(*moment), LOCAL_TZ)
