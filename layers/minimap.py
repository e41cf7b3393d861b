"""A case drawer's small map, pure: its compound, grid cell and buildings around the case's point,
as SVG path data made of numbers only (no script, no tiles: it draws offline)."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import shapely
from shapely.geometry.base import BaseGeometry

WIDTH, HEIGHT, MARGIN = 280, 180, 12  # SVG user units
MIN_SPAN_M = 120.0  # the view is at least this wide, so a lone point still shows its street
M_PER_DEGREE = 111_320.0


@dataclass(frozen=True)
class Shape:
    """One drawn outline (kind: compound, grid, building) as SVG path data."""

    kind: str
    d: str


@dataclass(frozen=True)
class MiniMap:
    width: int
    height: int
    shapes: tuple[Shape, ...]
    point: tuple[float, float] | None  # where the case lies, in SVG units
    metres_per_unit: float  # for a scale bar


def minimap(
    outlines: Sequence[tuple[str, BaseGeometry]],
    point: tuple[float, float] | None,
    width: int = WIDTH,
    height: int = HEIGHT,
) -> MiniMap | None:
    """The outlines (kind, lon/lat geometry) and the case's (lon, lat) fitted into a
    `width` × `height` box, north up; None when there is nothing to draw."""
    geoms = [g for _, g in outlines if g is not None and not g.is_empty]
    if point is not None and not all(map(math.isfinite, point)):
        point = None
    if point is None and not geoms:
        return None
    frame = _Frame.around(geoms, point, width, height)
    shapes = tuple(
        Shape(kind, frame.path(g)) for kind, g in outlines if g is not None and not g.is_empty
    )
    dot = frame.xy(np.array([point])).tolist()[0] if point is not None else None
    return MiniMap(width, height, shapes, tuple(dot) if dot else None, frame.metres_per_unit)


@dataclass(frozen=True)
class _Frame:
    """lon/lat → SVG units: metres east and north of a corner (equirectangular: a few hundred
    metres across, the error is far below a pixel), scaled to fit, y down."""

    lon0: float
    lat0: float
    cos: float
    scale: float  # SVG units per metre
    x0: float
    y0: float
    height: int

    @classmethod
    def around(cls, geoms, point, width: int, height: int) -> _Frame:
        boxes = [g.bounds for g in geoms]
        if point is not None:
            boxes.append((point[0], point[1], point[0], point[1]))
        box = np.array(boxes, dtype=float)
        west, south = box[:, 0].min(), box[:, 1].min()
        east, north = box[:, 2].max(), box[:, 3].max()
        cos = math.cos(math.radians((south + north) / 2))
        span_x = max((east - west) * M_PER_DEGREE * cos, MIN_SPAN_M)
        span_y = max((north - south) * M_PER_DEGREE, MIN_SPAN_M * height / width)
        scale = min((width - 2 * MARGIN) / span_x, (height - 2 * MARGIN) / span_y)
        # centre what is drawn in the box
        x0 = (width - (east - west) * M_PER_DEGREE * cos * scale) / 2
        y0 = (height - (north - south) * M_PER_DEGREE * scale) / 2
        return cls(west, south, cos, scale, x0, y0, height)

    @property
    def metres_per_unit(self) -> float:
        return 1 / self.scale

    def xy(self, lonlat: np.ndarray) -> np.ndarray:
        x = (lonlat[:, 0] - self.lon0) * M_PER_DEGREE * self.cos * self.scale + self.x0
        y = self.height - ((lonlat[:, 1] - self.lat0) * M_PER_DEGREE * self.scale + self.y0)
        return np.round(np.column_stack([x, y]), 1)

    def path(self, geom: BaseGeometry) -> str:
        """SVG path data of a geometry: rings closed, lines open, points as small squares."""
        parts = []
        for part in shapely.get_parts(geom):
            if isinstance(part, shapely.Polygon):
                for ring in (part.exterior, *part.interiors):
                    parts.append(self._line(np.asarray(ring.coords)[:, :2]) + "Z")
            elif isinstance(part, shapely.LineString):
                parts.append(self._line(np.asarray(part.coords)[:, :2]))
            elif isinstance(part, shapely.Point):
                x, y = self.xy(np.array([[part.x, part.y]]))[0]
                parts.append(f"M{x - 2:g},{y - 2:g}h4v4h-4Z")
        return "".join(parts)

    def _line(self, coords: np.ndarray) -> str:
        xy = self.xy(coords)
        return "M" + "L".join(f"{x:g},{y:g}" for x, y in xy)
