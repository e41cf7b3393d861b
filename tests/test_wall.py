"""The wall page: pure pieces, and its callbacks called as plain functions on the street demo."""

from __future__ import annotations

import datetime as dt
import importlib
import re
from types import ModuleType

import dash
import pandas as pd
import pytest

from dashboard import ids
from dashboard.i18n import t
from geodata.model import LOCAL_TZ, OPEN_STATUSES
from geodata.store import Store
from layers import wall
from layers.mask import mask_case_text
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
    assert len(tiles) == 8
    text = " ".join(strings(tiles[0]))
    assert t("wall.kpi.open_cases", "en") in text and f"{expected['open_cases']:,}" in text


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
    assert len(first[1]) == 8 and len(first[3]) == len(sent["feed"])


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
