"""What the map page asks the store for, memoized in the app's cache by a data revision."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections.abc import Callable, Sequence
from typing import Any, TypeVar

import numpy as np
import pandas as pd
from flask_caching import Cache

from geodata.gcj02 import shift_coords
from geodata.model import Level
from geodata.store import Store, Window
from layers import geojson
from layers.mapfig import Basemap, ProblemSpots, Values
from layers.view import CITY, COLOURED, ViewState

from .settings import Settings, load_problems

T = TypeVar("T")
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


def memo(cache: Cache, name: str, parts: Sequence[Any], compute: Callable[[], T]) -> T:
    """`compute()` through the cache, under `name` and a hash of `parts`."""
    key = f"map-{name}:" + hashlib.sha256(json.dumps(list(parts)).encode()).hexdigest()
    value = cache.get(key)
    if value is None:
        value = compute()
        cache.set(key, value)
    return value


def parent_of(street: str) -> str | None:
    """The store's `parent` argument for a street choice (None: the whole city)."""
    return None if street == CITY else street


def streets(store: Store, cache: Cache) -> list[tuple[str, str]]:
    """(code, name) of every street, by code; read once per data revision."""

    def compute() -> list[tuple[str, str]]:
        frame = store.areas(Level.STREET).sort_values("code")
        return [(str(c), str(n)) for c, n in zip(frame["code"], frame["name"], strict=True)]

    return memo(cache, "streets", [store.revision()], compute)


def area_names(store: Store, cache: Cache, level: str, street: str, rev: str) -> dict:
    """{"codes": [...], "names": [...]} of a level's areas in the street, by code."""

    def compute() -> dict:
        frame = store.areas(Level(level), parent=parent_of(street))
        return {"codes": frame["code"].astype(str).tolist(), "names": frame["name"].tolist()}

    return memo(cache, "names", [level, street, rev], compute)


def shift_for(settings: Settings) -> Callable[[np.ndarray], np.ndarray] | None:
    """The coordinate shift the basemap needs: GCJ-02 under AMap tiles, none otherwise."""
    return shift_coords if settings.tiles == "amap" else None


def shapes(
    store: Store, cache: Cache, levels: Sequence[str], street: str, rev: str, settings: Settings
) -> dict[str, dict]:
    """level → FeatureCollection of the street's areas (rounded, simplified, shifted if asked)."""

    def one(level: str) -> dict:
        def compute() -> dict:
            areas = store.areas(Level(level), parent=parent_of(street))
            return geojson.feature_collection(areas, level, shift_for(settings))

        return memo(cache, "shapes", [level, street, rev, settings.tiles], compute)

    return {level: one(level) for level in levels}


def area_table(store: Store, cache: Cache, level: str, street: str, rev: str) -> pd.DataFrame:
    """The street's areas of a level without geometry (codes, names, parents, households)."""

    def compute() -> pd.DataFrame:
        frame = store.areas(Level(level), parent=parent_of(street))
        return pd.DataFrame(frame.drop(columns="geometry"))

    return memo(cache, "area-table", [level, street, rev], compute)


def problems(settings: Settings, cache: Cache) -> ProblemSpots | None:
    """The spots of the GRIDBOARD_PROBLEMS file, read once per file version (path + mtime);
    None when unset, not written yet, or no longer readable (then the layer is not offered)."""
    path = settings.problems
    if path is None:
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

    spots = memo(cache, "problems", [str(path.resolve()), stamp, settings.tiles], compute)
    return spots or None


def bounds(store: Store, street: str) -> tuple[float, float, float, float] | None:
    """(west, south, east, north) of the street, or of the city."""
    frame = store.areas(Level.STREET)
    if street != CITY:
        frame = frame[frame["code"] == street]
    return geojson.bounds(frame)


def metrics(
    store: Store,
    cache: Cache,
    level: str,
    window: Window,
    category: str | None,
    street: str,
    rev: str,
) -> pd.DataFrame:
    """store.metrics for one level of the street, memoized (aggregates only, never rows)."""
    parts = [level, window.start.isoformat(), window.end.isoformat(), category, street, rev]
    return memo(
        cache,
        "metrics",
        parts,
        lambda: store.metrics(Level(level), window, category=category, parent=parent_of(street)),
    )


def coloured_values(
    store: Store, cache: Cache, view: ViewState, window: Window, rev: str
) -> tuple[list[Values], int, int]:
    """The shown coloured levels' values, and the cases and visits counted in them."""
    result, cases, visits = [], 0, 0
    for level in (layer for layer in view.shown() if layer in COLOURED):
        names = area_names(store, cache, level, view.street, rev)
        frame = metrics(store, cache, level, window, view.category, view.street, rev)
        frame = frame.reindex(names["codes"])
        values = frame[view.metric].astype(float).to_numpy()
        result.append(Values(level, names["codes"], names["names"], values))
        cases = max(cases, int(frame["cases"].fillna(0).sum()))
        visits = max(visits, int(frame["visits"].fillna(0).sum()))
    return result, cases, visits


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


def period(window: Window) -> tuple[dt.date, dt.date]:
    """First and last local day of a window."""
    return window.start.date(), (window.end - dt.timedelta(days=1)).date()
