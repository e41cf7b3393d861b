"""WGS-84 ↔ GCJ-02 (the offset AMap/Gaode and Tencent tiles are drawn in), vectorised with numpy."""

from __future__ import annotations

import numpy as np

# The published GCJ-02 obfuscation: Krasovsky 1940 ellipsoid parameters and a fixed polynomial
# plus sine series in the offset from (105°E, 35°N); the result is hundreds of metres off WGS-84.
A = 6378245.0
EE = 0.00669342162296594323
# GCJ-02 applies in mainland China only; outside this box coordinates pass through unchanged.
CHINA_BOX = (72.004, 0.8293, 137.8347, 55.8271)  # west, south, east, north
INVERSE_STEPS = 10  # fixed-point steps; each gains ~4 orders of magnitude, 3 reach < 1 mm


def _series_lat(x: np.ndarray, y: np.ndarray) -> np.ndarray:
    out = -100.0 + 2.0 * x + 3.0 * y + 0.2 * y * y + 0.1 * x * y + 0.2 * np.sqrt(np.abs(x))
    out += (20.0 * np.sin(6.0 * x * np.pi) + 20.0 * np.sin(2.0 * x * np.pi)) * 2.0 / 3.0
    out += (20.0 * np.sin(y * np.pi) + 40.0 * np.sin(y / 3.0 * np.pi)) * 2.0 / 3.0
    out += (160.0 * np.sin(y / 12.0 * np.pi) + 320.0 * np.sin(y * np.pi / 30.0)) * 2.0 / 3.0
    return out


def _series_lon(x: np.ndarray, y: np.ndarray) -> np.ndarray:
    out = 300.0 + x + 2.0 * y + 0.1 * x * x + 0.1 * x * y + 0.1 * np.sqrt(np.abs(x))
    out += (20.0 * np.sin(6.0 * x * np.pi) + 20.0 * np.sin(2.0 * x * np.pi)) * 2.0 / 3.0
    out += (20.0 * np.sin(x * np.pi) + 40.0 * np.sin(x / 3.0 * np.pi)) * 2.0 / 3.0
    out += (150.0 * np.sin(x / 12.0 * np.pi) + 300.0 * np.sin(x / 30.0 * np.pi)) * 2.0 / 3.0
    return out


def _inside_china(lon: np.ndarray, lat: np.ndarray) -> np.ndarray:
    west, south, east, north = CHINA_BOX
    return (lon >= west) & (lon <= east) & (lat >= south) & (lat <= north)


def offset(lon: np.ndarray, lat: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(Δlon, Δlat) in degrees that GCJ-02 adds at WGS-84 (lon, lat); zero outside China."""
    lon, lat = np.asarray(lon, dtype=float), np.asarray(lat, dtype=float)
    x, y = lon - 105.0, lat - 35.0
    rad = np.radians(lat)
    magic = 1.0 - EE * np.sin(rad) ** 2
    dlat = _series_lat(x, y) * 180.0 / ((A * (1.0 - EE)) / (magic * np.sqrt(magic)) * np.pi)
    dlon = _series_lon(x, y) * 180.0 / (A / np.sqrt(magic) * np.cos(rad) * np.pi)
    inside = _inside_china(lon, lat)
    return np.where(inside, dlon, 0.0), np.where(inside, dlat, 0.0)


def wgs84_to_gcj02(lon: np.ndarray, lat: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """GCJ-02 (lon, lat) of WGS-84 (lon, lat); arrays of any matching shape."""
    lon, lat = np.asarray(lon, dtype=float), np.asarray(lat, dtype=float)
    dlon, dlat = offset(lon, lat)
    return lon + dlon, lat + dlat


def gcj02_to_wgs84(lon: np.ndarray, lat: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """WGS-84 (lon, lat) of GCJ-02 (lon, lat), by fixed-point iteration on the forward offset."""
    lon, lat = np.asarray(lon, dtype=float), np.asarray(lat, dtype=float)
    wlon, wlat = lon.copy(), lat.copy()
    for _ in range(INVERSE_STEPS):
        dlon, dlat = offset(wlon, wlat)
        wlon, wlat = lon - dlon, lat - dlat
    return wlon, wlat


def shift_coords(coords: np.ndarray) -> np.ndarray:
    """An (n, 2) array of WGS-84 lon/lat shifted to GCJ-02 (for shapely.transform)."""
    lon, lat = wgs84_to_gcj02(coords[:, 0], coords[:, 1])
    return np.column_stack([lon, lat])


def unshift_coords(coords: np.ndarray) -> np.ndarray:
    """An (n, 2) array of GCJ-02 lon/lat taken back to WGS-84 (for shapely.transform)."""
    lon, lat = gcj02_to_wgs84(coords[:, 0], coords[:, 1])
    return np.column_stack([lon, lat])
