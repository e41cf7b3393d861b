"""Area frames to GeoJSON FeatureCollections for the map: id = code, ~1 m precision, simplified."""

from __future__ import annotations

import gzip
import json
from collections.abc import Callable

import geopandas as gpd
import numpy as np
import shapely

DECIMALS = 5  # 1e-5 degree ≈ 1.1 m north–south, ≈ 0.9 m east–west at 35°N
METRE = 1 / 111_320  # one metre in degrees of latitude
# Simplification tolerance per level: outlines drawn for context can lose more detail.
TOLERANCE_M = {"street": 8.0, "community": 4.0, "compound": 1.5, "grid": 2.0}
# Levels whose areas tile their parent without gap or overlap; simplified as one coverage so
# neighbours keep their shared edges.
COVERAGES = frozenset({"street", "community", "grid"})

Shift = Callable[[np.ndarray], np.ndarray]


def simplify(geometry: np.ndarray, level: str) -> np.ndarray:
    """Geometries simplified by the level's tolerance (shared edges kept for coverages)."""
    tolerance = TOLERANCE_M.get(level, 1.0) * METRE
    if level in COVERAGES and len(geometry) > 1:
        return shapely.coverage_simplify(geometry, tolerance)
    return shapely.simplify(geometry, tolerance, preserve_topology=True)


def rounded(geometry: np.ndarray, shift: Shift | None = None) -> np.ndarray:
    """Coordinates (shifted first, if asked, e.g. to GCJ-02) rounded to DECIMALS."""

    def transform(coords: np.ndarray) -> np.ndarray:
        return np.round(shift(coords) if shift else coords, DECIMALS)

    return shapely.transform(geometry, transform)


def feature_collection(areas: gpd.GeoDataFrame, level: str, shift: Shift | None = None) -> dict:
    """A FeatureCollection of `areas` (code → feature id; no properties: the traces carry them)."""
    geometry = rounded(simplify(np.asarray(areas.geometry.values), level), shift)
    texts = shapely.to_geojson(geometry)
    features = [
        {"type": "Feature", "id": str(code), "properties": {}, "geometry": json.loads(text)}
        for code, text in zip(areas["code"], texts, strict=True)
    ]
    return {"type": "FeatureCollection", "features": features}


def bounds(areas: gpd.GeoDataFrame) -> tuple[float, float, float, float] | None:
    """(west, south, east, north) of `areas`, or None when there are none."""
    if areas.empty:
        return None
    west, south, east, north = (float(v) for v in areas.total_bounds)
    return west, south, east, north


def encoded(collection: dict) -> bytes:
    """A FeatureCollection as compact JSON, gzip-compressed: the body the geometry route sends."""
    text = json.dumps(collection, separators=(",", ":"), ensure_ascii=False)
    return gzip.compress(text.encode(), compresslevel=6, mtime=0)
