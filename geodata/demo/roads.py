"""The demo town's road network: arterials, the river road and secondary roads, noded."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import geopandas as gpd
import numpy as np
import shapely

from ._shapes import clip_lines, rotate, rotated_line, unrotated_coords

SPLIT_AREA = 150_000.0  # m², blocks larger than this get secondary roads


@dataclass
class RoadSource:
    """Road centrelines as drawn, before noding; `owner` is a compound index for paths."""

    geoms: list = field(default_factory=list)
    names: list = field(default_factory=list)
    kinds: list = field(default_factory=list)
    owners: list = field(default_factory=list)

    def add(
        self, geoms: Sequence, names: Sequence[str], kind: str, owners: Sequence[int] | None = None
    ) -> None:
        """Add drawn roads of one kind; paths name the compound they belong to in `owners`."""
        self.geoms += list(geoms)
        self.names += list(names)
        self.kinds += [kind] * len(geoms)
        self.owners += list(owners) if owners is not None else [-1] * len(geoms)


def _wavy_line(
    rng: np.random.Generator, pos: float, half: float, axis: int, theta: float
) -> shapely.LineString:
    t = np.linspace(-half, half, int(2 * half / 200) + 1)
    t[1:-1] += rng.uniform(-40, 40, len(t) - 2)
    amp, wave, phase = rng.uniform(0, 45), rng.uniform(1500, 4000), rng.uniform(0, 2 * np.pi)
    off = pos + amp * np.sin(2 * np.pi * t / wave + phase) + rng.normal(0, 8, len(t))
    u, v = (off, t) if axis == 0 else (t, off)
    return rotated_line(u, v, theta)


def arterial_roads(rng: np.random.Generator, half: float, theta: float) -> list:
    """Two families of wavy main roads, 250–600 m apart, across a square of side 2 × `half`."""
    lines = []
    for axis in (0, 1):
        pos = -half - rng.uniform(0, 300)
        while pos < half:
            lines.append(_wavy_line(rng, pos, half + 400, axis, theta))
            pos += rng.uniform(250, 600)
    return lines


def river_road(rng: np.random.Generator, radius: float, theta: float) -> shapely.LineString:
    """The canal (or river) with its embankment road: a meandering curve across the town."""
    alpha = theta + rng.choice([-1, 1]) * rng.uniform(0.45, 1.0)
    t = np.arange(-2.2 * radius, 2.2 * radius, 40.0)
    off = rng.uniform(-0.3, 0.3) * radius
    for amp, wave in ((rng.uniform(80, 160), rng.uniform(1800, 3000)), (rng.uniform(20, 60), 900)):
        off = off + amp * np.sin(2 * np.pi * t / wave + rng.uniform(0, 2 * np.pi))
    return rotated_line(t, off, alpha)


def town_outline(rng: np.random.Generator, radius: float) -> shapely.Polygon:
    """A town outline: a rotated ellipse with a wobbly edge."""
    a, turn = rng.uniform(1.0, 1.3), rng.uniform(0, np.pi)
    ang = np.linspace(0, 2 * np.pi, 180, endpoint=False)
    r = radius * (
        1 + sum(rng.uniform(0, 0.1) * np.sin(k * ang + rng.uniform(0, 6)) for k in (2, 3, 5))
    )
    x, y = rotate(r * np.cos(ang) * a, r * np.sin(ang) / a, turn)
    return shapely.polygons(np.column_stack([x, y]))


def _node(lines: Sequence) -> np.ndarray:
    """Split lines at every crossing and drop the dead ends (overshoots past a crossing)."""
    edges = shapely.get_parts(shapely.node(shapely.multilinestrings(list(lines))))
    while len(edges):
        ends = np.vstack([shapely.get_coordinates(shapely.get_point(edges, i)) for i in (0, -1)])
        _, inverse, counts = np.unique(ends, axis=0, return_inverse=True, return_counts=True)
        degree = counts[inverse.ravel()].reshape(2, -1)
        keep = (degree > 1).all(axis=0)
        if keep.all():
            break
        edges = edges[keep]
    return edges


def faces(lines: Sequence, inside: shapely.Geometry) -> np.ndarray:
    """Faces of the noded network lying mostly in `inside`."""
    faces = shapely.get_parts(shapely.polygonize(_node(lines)))
    share = shapely.area(shapely.intersection(faces, inside)) / shapely.area(faces)
    return faces[share > 0.5]


def secondary_roads(rng: np.random.Generator, blocks: np.ndarray, theta: float) -> list:
    """Secondary roads across the large blocks, perpendicular to their long side."""
    lines = []
    for block in blocks[shapely.area(blocks) > SPLIT_AREA]:
        n = min(2, int(shapely.area(block) // SPLIT_AREA))
        u, v = unrotated_coords(block, theta)
        (lo, hi), (lo2, hi2) = (u.min(), u.max()), (v.min(), v.max())
        swap = hi - lo < hi2 - lo2
        if swap:
            (lo, hi), (lo2, hi2) = (lo2, hi2), (lo, hi)
        for i in range(n):
            pos = lo + (hi - lo) * ((i + 1) / (n + 1) + rng.uniform(-0.08, 0.08))
            tilt = rng.normal(0, 0.04) * (hi2 - lo2)
            a = np.array([pos - tilt, pos + tilt])
            b = np.array([lo2 - 50, hi2 + 50])
            a, b = (b, a) if swap else (a, b)
            lines += clip_lines(rotated_line(a, b, theta), block, 30)
    return lines


def road_edges(source: RoadSource, town: shapely.Geometry) -> gpd.GeoDataFrame:
    """The noded network inside the town, merged per drawn road, named and kinded."""
    edges = _node(source.geoms)
    mid = shapely.line_interpolate_point(edges, 0.5, normalized=True)
    edges = edges[shapely.contains(shapely.buffer(town, 0.5), mid)]
    mid = shapely.line_interpolate_point(edges, 0.5, normalized=True)
    tree = shapely.STRtree(source.geoms)
    owner = tree.query_nearest(mid, all_matches=False)[1]
    rows = []
    for src in np.unique(owner):
        merged = shapely.line_merge(shapely.multilinestrings(list(edges[owner == src])))
        rows += [(g, src) for g in shapely.get_parts(merged)]
    geoms, srcs = zip(*rows, strict=True)
    srcs = np.array(srcs)
    return gpd.GeoDataFrame(
        {
            "name": np.array(source.names, dtype=object)[srcs],
            "kind": np.array(source.kinds, dtype=object)[srcs],
            "owner": np.array(source.owners)[srcs],
        },
        geometry=list(geoms),
    )
