"""The demo's compounds (one per residential parcel) and the buildings laid out in rows inside."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from .. import codes
from ._shapes import clip_lines, largest, rotate, rotated_line, unrotated_coords

# floors to choose from, units (stairwells) per building, row and column spacing in metres
_KINDS = {
    "old": ((5, 6, 6, 7), (3, 4, 5), 34.0, 30.0),
    "mid": ((6, 7, 11, 12, 15, 18), (2, 3), 46.0, 40.0),
    "new": ((18, 24, 26, 28, 30, 32, 33), (2,), 66.0, 52.0),
}


def _compound_kinds(rng: np.random.Generator, dist: np.ndarray) -> np.ndarray:
    """老旧小区 near the old centre, high-rise estates towards the edge."""
    rel = dist / max(dist.max(), 1.0)
    p_old = np.clip(0.45 - 0.5 * rel, 0.05, None)
    p_new = np.clip(0.15 + 0.5 * rel, None, 0.6)
    u = rng.random(len(dist))
    kinds = np.where(u < p_old, "old", np.where(u < p_old + p_new, "new", "mid"))
    central = [i for i in np.argsort(dist, kind="stable") if kinds[i] != "old"]
    missing = max(1, len(dist) // 12) - int((kinds == "old").sum())  # a few 老旧小区 at least
    kinds[central[: max(0, missing)]] = "old"
    return kinds


def _layout(rng: np.random.Generator, compound: shapely.Geometry, kind: str, theta: float):
    """Building points in rows (rotated with the street grid) and the rows' positions."""
    floors, units, dv, du = _KINDS[kind]
    dv, du = dv * rng.uniform(0.9, 1.15), du * rng.uniform(0.9, 1.15)
    inner = shapely.buffer(compound, -12.0, join_style="mitre")
    if inner.is_empty:
        inner = compound
    u, v = unrotated_coords(inner, theta)
    rows = np.arange(v.max() - dv * rng.uniform(0.3, 0.7), v.min(), -dv)
    cols = np.arange(u.min() + du * rng.uniform(0.3, 0.7), u.max(), du)
    uu, vv = np.meshgrid(cols, rows)
    uu = uu + (np.arange(len(rows))[:, None] % 2) * du * rng.uniform(0, 0.4)
    uu, vv = uu.ravel() + rng.uniform(-2, 2, uu.size), vv.ravel() + rng.uniform(-2, 2, vv.size)
    x, y = rotate(uu, vv, theta)
    inside = shapely.contains_xy(inner, x, y)
    if not inside.any():
        p = shapely.point_on_surface(inner)
        x, y, inside = np.array([p.x]), np.array([p.y]), np.array([True])
    x, y = x[inside], y[inside]
    fl = rng.choice(floors, len(x))
    un = rng.choice(units, len(x))
    hh = np.clip(fl * un * 2, 30, 150)
    return x, y, fl, hh, rows


def compound_paths(rows: np.ndarray, parcel: shapely.Geometry, theta: float) -> list:
    """A lane through the middle of the compound, between two rows of buildings."""
    if len(rows) < 2:
        return []
    mid = len(rows) // 2
    v = (rows[mid - 1] + rows[mid]) / 2
    u, _ = unrotated_coords(parcel, theta)
    line = rotated_line(np.array([u.min() - 50, u.max() + 50]), np.full(2, v), theta)
    return clip_lines(line, parcel, 40)


def place_compounds(rng: np.random.Generator, parcels: np.ndarray, theta: float, need: int) -> dict:
    """One compound per residential parcel (the block inside the roads), with its buildings.

    About one parcel in six is left for parks, schools and markets; at least `need` are
    residential.
    """
    width = rng.uniform(8, 15, len(parcels))  # half the width of the surrounding roads
    shrunk = shapely.buffer(parcels, -width, join_style="mitre")
    fits = (shapely.area(parcels) > 25_000) & (shapely.area(shrunk) > 12_000)
    residential = fits & (rng.random(len(parcels)) > 0.15)
    spare = [i for i in np.argsort(-shapely.area(shrunk), kind="stable") if not residential[i]]
    residential[spare[: max(0, need - int(residential.sum()))]] = True
    idx = np.flatnonzero(residential)
    centre = shapely.get_coordinates(shapely.centroid(parcels[idx]))
    kinds = _compound_kinds(rng, np.hypot(*centre.T))
    out = {"parcel": idx, "kind": kinds, "rows": [], "buildings": []}
    out["geometry"] = [largest(g) for g in shrunk[idx]]
    for geom, kind in zip(out["geometry"], kinds, strict=True):
        x, y, floors, hh, rows = _layout(rng, geom, kind, theta)
        out["rows"].append(rows)
        out["buildings"].append((x, y, floors, hh))
    return out


def town_buildings(comp: dict, comp_codes: np.ndarray) -> gpd.GeoDataFrame:
    """Buildings numbered 1号楼, 2号楼 … row by row from the north of each compound."""
    parts = []
    for code, (x, y, floors, hh) in zip(comp_codes, comp["buildings"], strict=True):
        n = np.arange(1, len(x) + 1)
        parts.append(
            pd.DataFrame(
                {
                    "id": [codes.building_id(code, int(k)) for k in n],
                    "name": [f"{k}号楼" for k in n],
                    "compound_code": code,
                    "households": hh,
                    "floors": floors,
                    "x": x,
                    "y": y,
                }
            )
        )
    df = pd.concat(parts, ignore_index=True)
    return gpd.GeoDataFrame(df.drop(columns=["x", "y"]), geometry=shapely.points(df["x"], df["y"]))
