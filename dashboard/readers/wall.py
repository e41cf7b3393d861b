"""The wall reader: figures, ranking, newest cases and map of a place, memoized per minute."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pandas as pd

from geodata.model import LOCAL_TZ, Level
from geodata.store import Window
from layers import mapfig, wall
from layers.view import CITY, ViewState

from . import map as map_reader
from .source import Source

FEED_ROWS = 8  # newest cases on the wall


def wall_moment(now: dt.datetime | None = None) -> dt.datetime:
    """The moment the wall shows: the end of the current minute, local time (one cache key);
    in the day's last minute, the day's last second, so that "today" is still today."""
    now = (now or dt.datetime.now(LOCAL_TZ)).astimezone(LOCAL_TZ)
    end = now.replace(second=0, microsecond=0) + dt.timedelta(minutes=1)
    midnight = dt.datetime.combine(now.date() + dt.timedelta(days=1), dt.time(), LOCAL_TZ)
    return min(end, midnight - dt.timedelta(seconds=1))


def wall_view(place: str, lang: str) -> ViewState:
    """The map view the wall shows: grid cells of `place` coloured by open cases."""
    return ViewState(street=place, metric="open_cases", layers="grid", lang=lang)


def wall_data(src: Source, place: str, at: dt.datetime) -> dict[str, Any]:
    """Figures, ranking and newest cases of `place` at `at` (aggregates, a few rows); the
    on-time figures of what the asker sees of `place`."""
    rev = src.revision()

    def compute() -> dict[str, Any]:
        parent = map_reader.parent_of(place)
        return {
            "figures": {**src.store.wall_figures(at, parent), **on_time(src, place, at)},
            "ranking": src.store.overdue_ranking(at, parent),
            "feed": src.store.newest_cases(FEED_ROWS, parent, before=at),
        }

    return src.memo("wall", [place, rev, at.isoformat(), src.reach_key(place)], compute)


def on_time(src: Source, place: str, at: dt.datetime) -> dict[str, int]:
    """The 按期结案率 figures (layers.wall.ON_TIME_FIGURES) of `place` at `at`. The closures of
    last week and this one (by the closing-time index) are read once per data revision and
    week, and kept as counts per street and minute; each refresh sums them."""
    monday = wall.week_start(at)
    reach = src.reach_in(place)

    def compute() -> pd.DataFrame:
        start, end = monday - dt.timedelta(days=7), monday + dt.timedelta(days=7)
        cases = src.store.closures(start, end)
        if reach is not None:
            cases = cases[reach.rows_inside(cases)]
        return wall.closures(cases, start, end)

    parts = [src.revision(), monday.isoformat(), src.reach_key(place)]
    counts = src.memo("wall-on-time", parts, compute)
    return wall.on_time_figures(counts, map_reader.parent_of(place), at)


def map_values(src: Source, place: str, lang: str, at: dt.datetime) -> list[mapfig.Values]:
    """Grid cells coloured by the cases open at `at`."""
    window = Window(at - dt.timedelta(days=7), at)
    coloured, _, _ = map_reader.coloured_values(src, wall_view(place, lang), window, src.revision())
    return coloured


def unit_frame(src: Source, place: str) -> tuple[str, pd.DataFrame]:
    """The rotation's level (streets of the city, communities of a street) and their bounds."""
    level = Level.STREET if place == CITY else Level.COMMUNITY
    frame = src.store.areas(level, parent=map_reader.parent_of(place))
    bounds = frame.geometry.bounds.rename(
        columns={"minx": "west", "miny": "south", "maxx": "east", "maxy": "north"}
    )
    return level.value, frame[["code", "name"]].join(bounds)


def scene(src: Source, place: str, coloured: list[mapfig.Values], level: str) -> mapfig.Scene:
    """The wall map's geometry: grid cells and the rotation's units of `place`."""
    rev = src.revision()
    return mapfig.Scene(
        coloured=coloured,
        shapes=map_reader.shapes(src, ["grid", level], place, rev),
        basemap=map_reader.basemap(src.settings),
        revision=f"wall|{place}",
        bounds=map_reader.bounds(src, place),
    )
