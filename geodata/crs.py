"""Coordinate systems as users name them (EPSG:NNNN, anything pyproj reads, gcj02), to WGS-84."""

from __future__ import annotations

import numpy as np
import pyproj

from .gcj02 import gcj02_to_wgs84

GCJ02 = "gcj02"  # AMap/Gaode and Tencent lon/lat: WGS-84 with the published offset


class CrsError(ValueError):
    """A coordinate system that cannot be read; the message says what was given."""


def parse_crs(text: str) -> pyproj.CRS | str:
    """The CRS named by `text`, or GCJ02."""
    if text.strip().lower() == GCJ02:
        return GCJ02
    try:
        return pyproj.CRS.from_user_input(text)
    except pyproj.exceptions.CRSError:
        raise CrsError(
            f"--crs {text!r} is not a coordinate reference system (try EPSG:4549 or gcj02)"
        ) from None


def points_to_wgs84(
    x: np.ndarray, y: np.ndarray, crs: pyproj.CRS | str
) -> tuple[np.ndarray, np.ndarray]:
    """Points given in `crs` as WGS-84 lon/lat; NaN where a point has no place there."""
    x, y = np.asarray(x, dtype=float), np.asarray(y, dtype=float)
    if crs == GCJ02:
        lon, lat = gcj02_to_wgs84(x, y)
    else:
        to_wgs84 = pyproj.Transformer.from_crs(crs, 4326, always_xy=True)
        lon, lat = to_wgs84.transform(x, y, errcheck=False)
    lon, lat = np.asarray(lon, dtype=float), np.asarray(lat, dtype=float)
    bad = ~(np.isfinite(lon) & np.isfinite(lat))
    return np.where(bad, np.nan, lon), np.where(bad, np.nan, lat)
