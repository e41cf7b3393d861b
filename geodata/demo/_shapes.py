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
SNAP_M = 1e-6  # a vertex of another area this close to an edge is put into it


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


def with_vertices_of(geoms: np.ndarray, others: np.ndarray) -> np.ndarray:
    """(Multi)polygons `geoms` with every vertex of `others` that lies on their edges put in.

    Areas that meet then share the same vertices, so they still tile exactly once moved into
    lon/lat, where an edge between other vertices would bend away by millimetres.
    """
    theirs = shapely.get_coordinates(others)
    mine, owner = shapely.get_coordinates(geoms, return_index=True)
    ids = np.unique(np.vstack([theirs, mine]), axis=0, return_inverse=True)[1].ravel()
    their_id, my_id, n = ids[: len(theirs)], ids[len(theirs) :], int(ids.max()) + 1
    geom, vertex = shapely.STRtree(shapely.points(theirs)).query(
        shapely.boundary(geoms), predicate="dwithin", distance=SNAP_M
    )
    missing = ~np.isin(geom * n + their_id[vertex], owner * n + my_id)
    geom, vertex = geom[missing], vertex[missing]
    out = np.asarray(geoms, dtype=object).copy()
    for i in np.unique(geom):
        out[i] = _with_vertices(out[i], np.unique(theirs[vertex[geom == i]], axis=0))
    return out


def _with_vertices(geom: shapely.Geometry, points: np.ndarray) -> shapely.Geometry:
    polys = []
    for part in shapely.get_parts(geom):
        shell, *holes = (_ring_with(r, points) for r in shapely.get_rings(part))
        polys.append(shapely.Polygon(shell, holes))
    return polys[0] if len(polys) == 1 else shapely.multipolygons(polys)


def _ring_with(ring: shapely.LinearRing, points: np.ndarray) -> np.ndarray:
    """The coordinates of `ring` with `points` lying on a segment (not at its ends) put in."""
    c = shapely.get_coordinates(ring)
    start, step = c[:-1], np.diff(c, axis=0)
    rel = points[:, None, :] - start[None, :, :]
    t = np.einsum("psk,sk->ps", rel, step) / np.maximum((step**2).sum(axis=1), 1e-300)
    t = np.clip(t, 0.0, 1.0)
    dist = np.linalg.norm(rel - t[..., None] * step, axis=-1)
    seg = dist.argmin(axis=1)
    at = np.arange(len(points))
    ok = (dist[at, seg] < SNAP_M) & (t[at, seg] > 0) & (t[at, seg] < 1)
    ok &= ~(points[:, None, :] == c[None, :, :]).all(axis=-1).any(axis=1)
    order = np.lexsort((t[at, seg][ok], seg[ok]))
    return np.insert(c, seg[ok][order] + 1, points[ok][order], axis=0)
