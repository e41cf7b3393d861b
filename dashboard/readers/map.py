"""The map reader: what the supervisor map and the wall's map ask the store, memoized."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from urllib.parse import urlencode

import numpy as np
import pandas as pd

from dashboard.settings import Settings, load_problems
from geodata.gcj02 import shift_coords
from geodata.model import Level
from geodata.store import Window
from layers import geojson
from layers.mapfig import Basemap, ProblemSpots, Scene, Values
from layers.view import CITY, COLOURED, ViewState, data_as_of, window_of

from .source import Source

OSM_TILES = "https://tile.openstreetmap.org/{z}/{x}/{y}.png"
# Tianditu web-Mercator vector map and its Chinese annotation layer.
TIANDITU_TILES = (
    "https://t0.tianditu.gov.cn/{layer}_w/wmts?SERVICE=WMTS&REQUEST=GetTile&VERSION=1.0.0"
    "&LAYER={layer}&STYLE=default&TILEMATRIXSET=w&FORMAT=tiles"
    "&TILEMATRIX={{z}}&TILEROW={{y}}&TILECOL={{x}}&tk={key}"
)
AMAP_TILES = (
    "https://webrd01.is.autonavi.com/appmaptile?lang=zh_cn&size=1&scale=1&style=8&x={x}&y={y}&z={z}"
)
GEOMETRY_PATH = "/geometry/"  # the geometry route: /geometry/<level>.json?street=…&v=…


@dataclass(frozen=True)
class Coloured:
    """What the view's coloured layers show: their values, the window, and what was counted."""

    values: list[Values]
    window: Window
    period: tuple[dt.date, dt.date]  # first and last local day of the window
    cases: int
    visits: int


def parent_of(street: str) -> str | None:
    """The store's `parent` argument for a street choice (None: the whole city)."""
    return None if street == CITY else street


def as_of(src: Source) -> dt.date:
    """The day the data runs to (the store's as-of date)."""
    return data_as_of(src.store.meta())


def streets(src: Source) -> list[tuple[str, str]]:
    """(code, name) of every street, by code; read once per data revision."""

    def compute() -> list[tuple[str, str]]:
        frame = src.store.areas(Level.STREET).sort_values("code")
        return [(str(c), str(n)) for c, n in zip(frame["code"], frame["name"], strict=True)]

    return src.memo("streets", [src.revision()], compute)


def offered_streets(src: Source) -> list[tuple[str, str]]:
    """(code, name) of the streets the asker may choose, by code."""
    who = src.principal
    return [s for s in streets(src) if who is None or who.offers_street(s[0])]


def street_name(src: Source, code: str) -> str:
    """The name of the street `code` (the code itself if there is none)."""
    return dict(streets(src)).get(code, code)


def area_names(src: Source, level: str, street: str, rev: str) -> dict:
    """{"codes": [...], "names": [...]} of a level's areas in the street, by code."""

    def compute() -> dict:
        frame = visible(src, src.store.areas(Level(level), parent=parent_of(street)), level, street)
        return {"codes": frame["code"].astype(str).tolist(), "names": frame["name"].tolist()}

    return src.memo("names", [level, street, rev, src.reach_key(street)], compute)


def visible(src: Source, frame: pd.DataFrame, level: str, street: str) -> pd.DataFrame:
    """The rows of an area frame of `street` the asker sees."""
    reach = src.reach_in(street)
    return frame if reach is None else frame[reach.rows_inside(frame, level)]


def shift_for(settings: Settings) -> Callable[[np.ndarray], np.ndarray] | None:
    """The coordinate shift the basemap needs: GCJ-02 under AMap tiles, none otherwise."""
    return shift_coords if settings.tiles == "amap" else None


def _collection(src: Source, level: str, street: str) -> dict:
    """The FeatureCollection of the street's areas of `level` the asker sees (rounded,
    simplified, shifted if asked); a street's outline is shown whole."""
    areas = src.store.areas(Level(level), parent=parent_of(street))
    if level != Level.STREET.value:
        areas = visible(src, areas, level, street)
    return geojson.feature_collection(areas, level, shift_for(src.settings))


def _shape_key(src: Source, level: str, street: str, rev: str) -> list[object]:
    """Everything a level's shapes depend on: the data, the basemap's shift, the asker's reach."""
    return [level, street, rev, src.settings.tiles, src.reach_key(street)]


def shapes(src: Source, levels: Sequence[str], street: str, rev: str) -> dict[str, dict]:
    """level → FeatureCollection of the street's areas (rounded, simplified, shifted if asked)."""

    def one(level: str) -> dict:
        key = _shape_key(src, level, street, rev)
        return src.memo("shapes", key, lambda: _collection(src, level, street))

    return {level: one(level) for level in levels}


@dataclass(frozen=True)
class ShapeFile:
    """One level's shapes as the geometry route sends them (dashboard/geometry.py)."""

    version: str  # names this content: the URL's `v` and the ETag
    body: bytes  # gzip-compressed GeoJSON


def shape_version(src: Source, level: str, street: str, rev: str) -> str:
    """A short name for the content of a level's shapes as the asker sees them."""
    text = json.dumps(_shape_key(src, level, street, rev))
    return hashlib.sha256(text.encode()).hexdigest()[:20]


def shape_file(src: Source, level: str, street: str, rev: str) -> ShapeFile:
    """The street's shapes of `level` ready to send; encoded once per data revision."""
    key = _shape_key(src, level, street, rev)

    def compute() -> ShapeFile:
        body = geojson.encoded(_collection(src, level, street))
        return ShapeFile(shape_version(src, level, street, rev), body)

    return src.memo("shape-file", key, compute)


def shape_urls(src: Source, levels: Sequence[str], street: str, rev: str) -> dict[str, str]:
    """level → the address of its shapes: the browser fetches them once and keeps them as
    long as the address stands (it changes with the data, the basemap and the asker's reach)."""
    return {
        level: geometry_url(level, street, shape_version(src, level, street, rev))
        for level in levels
    }


def geometry_url(level: str, street: str, version: str) -> str:
    """The geometry route's address of one level's shapes of a street (or the city)."""
    return f"{GEOMETRY_PATH}{level}.json?" + urlencode({"street": street, "v": version})


def area_table(src: Source, level: str, street: str, rev: str) -> pd.DataFrame:
    """The street's areas of a level without geometry (codes, names, parents, households)."""

    def compute() -> pd.DataFrame:
        frame = visible(src, src.store.areas(Level(level), parent=parent_of(street)), level, street)
        return pd.DataFrame(frame.drop(columns="geometry"))

    return src.memo("area-table", [level, street, rev, src.reach_key(street)], compute)


def problems(src: Source) -> ProblemSpots | None:
    """The spots of the GRIDBOARD_PROBLEMS file, read once per file version (path + mtime);
    None when unset, not written yet, or no longer readable (then the layer is not offered),
    and for an asker who does not see the whole city: the file covers every street."""
    settings = src.settings
    path = settings.problems
    if path is None or (src.principal is not None and not src.principal.sees.city):
        return None
    try:
        stamp = path.stat().st_mtime_ns
    except OSError:
        return None

    def compute() -> ProblemSpots | bool:
        try:
            return load_problems(path, shift_for(settings))
        except ValueError:
            return False  # remembered too, so a bad file is not read on every request

    spots = src.memo("problems", [str(path.resolve()), stamp, settings.tiles], compute)
    return spots or None


def bounds(src: Source, street: str) -> tuple[float, float, float, float] | None:
    """(west, south, east, north) of the street, or of the city."""
    frame = src.store.areas(Level.STREET)
    if street != CITY:
        frame = frame[frame["code"] == street]
    return geojson.bounds(frame)


def metrics(
    src: Source, level: str, window: Window, category: str | None, street: str, rev: str
) -> pd.DataFrame:
    """store.metrics for one level of the street, memoized (aggregates only, never rows)."""
    parts = [level, window.start.isoformat(), window.end.isoformat(), category, street, rev]
    return src.memo(
        "metrics",
        parts,
        lambda: src.store.metrics(
            Level(level), window, category=category, parent=parent_of(street)
        ),
    )


def coloured_values(
    src: Source, view: ViewState, window: Window, rev: str
) -> tuple[list[Values], int, int]:
    """The shown coloured levels' values, and the cases and visits counted in them."""
    result, cases, visits = [], 0, 0
    for level in (layer for layer in view.shown() if layer in COLOURED):
        names = area_names(src, level, view.street, rev)
        frame = metrics(src, level, window, view.category, view.street, rev)
        frame = frame.reindex(names["codes"])
        values = frame[view.metric].astype(float).to_numpy()
        result.append(Values(level, names["codes"], names["names"], values))
        cases = max(cases, int(frame["cases"].fillna(0).sum()))
        visits = max(visits, int(frame["visits"].fillna(0).sum()))
    return result, cases, visits


def coloured(src: Source, view: ViewState, rev: str) -> Coloured:
    """The view's coloured layers over the view's window of the data."""
    window = window_of(view.window, as_of(src))
    values, cases, visits = coloured_values(src, view, window, rev)
    return Coloured(values, window, window.local_days(), cases, visits)


def scene(
    src: Source,
    view: ViewState,
    values: Sequence[Values],
    rev: str,
    spots: ProblemSpots | None = None,
    problem_texts: Sequence[str] = (),
) -> Scene:
    """Everything the full figure of `view` draws: shapes, outlines, tiles, bounds, problems."""
    return Scene(
        coloured=list(values),
        shapes=shape_urls(src, view.shown_areas(), view.street, rev),
        outlines=[layer for layer in view.shown_areas() if layer not in COLOURED],
        basemap=basemap(src.settings),
        revision=f"{view.street}|{view.layers}",
        bounds=bounds(src, view.street),
        problems=spots,
        problem_texts=list(problem_texts),
    )


def basemap(settings: Settings) -> Basemap:
    """The tiles of the configured provider (none by default: a plain background)."""
    if settings.tiles == "osm":
        return Basemap((OSM_TILES,), "© OpenStreetMap contributors")
    if settings.tiles == "tianditu":
        urls = tuple(
            TIANDITU_TILES.format(layer=layer, key=settings.tianditu_key)
            for layer in ("vec", "cva")
        )
        return Basemap(urls, "© 天地图")
    if settings.tiles == "amap":
        return Basemap((AMAP_TILES,), "© 高德地图")
    return Basemap()
