"""Geometry helpers shared by the demo generator's modules: the metric CRS, rotation, clipping."""

from __future__ import annotations

import math

import geopandas as gpd
import numpy as np
import shapely
from pyproj import Transformer

METRIC_CRS = "EPSG:32650"  # UTM zone 50N: every Jining county lies in it
TO_METRIC = Transformer.from_crs("EPSG:4326", METRIC_CRS, always_xy=True)
TO_LONLAT = Transformer.from_crs(METRIC_CRS, "EPSG:4326", always_xy=True)


def rotate(u: np.ndarray, v: np.ndarray, theta: float) -> tuple[np.ndarray, np.ndarray]:
    """(u, v) turned by `theta` radians anticlockwise about the origin."""
    c, s = math.cos(theta), math.sin(theta)
    return u * c - v * s, u * s + v * c


def unrotate(x: np.ndarray, y: np.ndarray, theta: float) -> tuple[np.ndarray, np.ndarray]:
    """(x, y) turned back by `theta`: the inverse of `rotate`."""
    return rotate(x, y, -theta)


def unrotated_coords(geom: shapely.Geometry, theta: float) -> tuple[np.ndarray, np.ndarray]:
    """The coordinates of `geom` in the frame of a street grid turned by `theta`."""
    return unrotate(*shapely.get_coordinates(geom).T, theta)


def rotated_line(u: np.ndarray, v: np.ndarray, theta: float) -> shapely.LineString:
    """A line through (u, v) given in the frame of a street grid turned by `theta`."""
    return shapely.linestrings(*rotate(u, v, theta))


def clip_lines(line: shapely.Geometry, area: shapely.Geometry, min_length: float) -> list:
    """The pieces of `line` inside `area` (give or take 2 m) longer than `min_length`."""
    parts = shapely.get_parts(shapely.intersection(line, shapely.buffer(area, 2)))
    return [p for p in parts if p.geom_type == "LineString" and p.length > min_length]


def largest(geom: shapely.Geometry) -> shapely.Geometry:
    """The largest part of a (multi)polygon."""
    parts = shapely.get_parts(geom)
    return parts[np.argmax(shapely.area(parts))]


def largest_array(geoms: np.ndarray) -> np.ndarray:
    """The largest part of each (multi)polygon."""
    return np.array([largest(g) for g in geoms], dtype=object)


def frame(columns: dict, geoms: object) -> gpd.GeoDataFrame:
    """A GeoDataFrame of `columns` and the geometries `geoms`."""
    return gpd.GeoDataFrame(columns, geometry=list(geoms))
