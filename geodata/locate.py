"""Point-in-area assignment and compound↔grid-cell links, vectorised (bucket grids, shapely)."""

from __future__ import annotations

import os
from concurrent.futures import ThreadPoolExecutor

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

MAX_BUCKETS = 4_000_000  # cap on a layer's bucket grid
BUCKETS_PER_AREA = 4  # buckets across a typical area: most buckets then lie inside one area
CHUNK = 250_000  # points per thread task; shapely's predicates release the GIL


class _Layer:
    """Areas indexed by a uniform bucket grid. A bucket lying wholly inside the first area
    that touches it answers for its points at once; for the others, a point's candidates
    are the areas whose bounding boxes touch its bucket and a prepared `intersects_xy`
    test decides."""

    def __init__(self, frame: gpd.GeoDataFrame, columns: tuple[str, ...]) -> None:
        self.geoms = np.asarray(frame.geometry.values, dtype=object)
        shapely.prepare(self.geoms)
        self.values = {c: frame[c].to_numpy(dtype=object) for c in columns}
        self._build_buckets(shapely.bounds(self.geoms))

    def _build_buckets(self, bounds: np.ndarray) -> None:
        ok = np.isfinite(bounds).all(axis=1)
        if not ok.any():
            self.origin, self.size, self.shape = np.zeros(2), 1.0, (1, 1)
            self.starts, self.members = np.zeros(2, np.int64), np.zeros(0, np.int64)
            self.owner = np.full(1, -1, dtype=np.int64)
            return
        lo, hi = bounds[ok, :2].min(axis=0), bounds[ok, 2:].max(axis=0)
        extent = np.maximum(hi - lo, 1e-9)
        typical = float(np.median(np.max(bounds[ok, 2:] - bounds[ok, :2], axis=1)))
        typical /= BUCKETS_PER_AREA
        size = max(typical, float(np.sqrt(extent[0] * extent[1] / MAX_BUCKETS)), 1e-9)
        nx, ny = (np.floor(extent / size).astype(np.int64) + 1).tolist()
        self.origin, self.size, self.shape = lo, size, (nx, ny)
        first = self._bucket_xy(bounds[ok, 0], bounds[ok, 1])
        last = self._bucket_xy(bounds[ok, 2], bounds[ok, 3])
        area_ids = np.flatnonzero(ok)
        widths, heights = last[0] - first[0] + 1, last[1] - first[1] + 1
        per_area = widths * heights
        owner = np.repeat(np.arange(len(area_ids)), per_area)
        k = np.arange(per_area.sum()) - np.repeat(np.cumsum(per_area) - per_area, per_area)
        bx = first[0][owner] + k % widths[owner]
        by = first[1][owner] + k // widths[owner]
        bucket = bx * ny + by
        order = np.lexsort((area_ids[owner], bucket))  # by bucket, then area (code) order
        self.members = area_ids[owner][order]
        counts = np.bincount(bucket, minlength=nx * ny)
        self.starts = np.r_[0, np.cumsum(counts)]
        self.owner = self._owners(bucket[order], nx * ny)

    def _owners(self, bucket: np.ndarray, n: int) -> np.ndarray:
        """Per bucket, the area holding all of it when that area is the first (in frame
        order) to touch it; else -1 (the bucket's points are tested one by one)."""
        owner = np.full(n, -1, dtype=np.int64)
        if len(bucket) == 0:
            return owner
        bx, by = bucket // self.shape[1], bucket % self.shape[1]
        x0, y0 = self.origin[0] + bx * self.size, self.origin[1] + by * self.size
        boxes = shapely.box(x0, y0, x0 + self.size, y0 + self.size)
        touches = shapely.intersects(self.geoms[self.members], boxes)
        hit = np.flatnonzero(touches)
        first = hit[np.r_[True, bucket[hit][1:] != bucket[hit][:-1]]] if len(hit) else hit
        holds = shapely.contains_properly(self.geoms[self.members[first]], boxes[first])
        owner[bucket[first[holds]]] = self.members[first[holds]]
        return owner

    def _bucket_xy(self, x: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        bx = np.floor((x - self.origin[0]) / self.size).astype(np.int64)
        by = np.floor((y - self.origin[1]) / self.size).astype(np.int64)
        return np.clip(bx, 0, self.shape[0] - 1), np.clip(by, 0, self.shape[1] - 1)

    def first_hit(self, x: np.ndarray, y: np.ndarray) -> np.ndarray:
        """Index of the first area (in frame order) containing each point, or -1."""
        hits = np.full(len(x), -1, dtype=np.int64)
        inside = np.isfinite(x) & np.isfinite(y)
        inside &= (x >= self.origin[0]) & (y >= self.origin[1])
        inside &= x <= self.origin[0] + self.size * self.shape[0]
        inside &= y <= self.origin[1] + self.size * self.shape[1]
        points = np.flatnonzero(inside)
        if len(points) == 0 or len(self.members) == 0:
            return hits
        bx, by = self._bucket_xy(x[points], y[points])
        bucket = bx * self.shape[1] + by
        owned = self.owner[bucket]
        direct = owned >= 0
        hits[points[direct]] = owned[direct]
        points, bucket = points[~direct], bucket[~direct]
        begin, count = self.starts[bucket], self.starts[bucket + 1] - self.starts[bucket]
        src = np.repeat(np.arange(len(points)), count)
        offset = np.arange(len(src)) - np.repeat(np.cumsum(count) - count, count)
        dst = self.members[begin[src] + offset]
        ok = shapely.intersects_xy(self.geoms[dst], x[points[src]], y[points[src]])
        src, dst = src[ok], dst[ok]
        first = np.r_[True, src[1:] != src[:-1]] if len(src) else np.zeros(0, bool)
        hits[points[src[first]]] = dst[first]
        return hits

    def lookup(self, x: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, dict[str, np.ndarray]]:
        idx = _threaded(self.first_hit, x, y)
        found = idx >= 0
        out = {}
        for col, values in self.values.items():
            col_out = np.full(len(x), None, dtype=object)
            col_out[found] = values[idx[found]]
            out[col] = col_out
        return found, out


def _threaded(fn, x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """`fn(x, y)` over chunks on a few threads (numpy and shapely release the GIL)."""
    workers = min(os.cpu_count() or 1, 8)
    if len(x) <= CHUNK or workers == 1:
        return fn(x, y)
    bounds = range(0, len(x), CHUNK)
    with ThreadPoolExecutor(workers) as pool:
        parts = pool.map(lambda i: fn(x[i : i + CHUNK], y[i : i + CHUNK]), bounds)
        return np.concatenate(list(parts))


class Locator:
    """Finds the grid cell, compound, community and street of points (lon/lat, EPSG:4326).

    A point outside every grid cell falls back to the community, then the street, that
    contains it; a point on a shared edge goes to the first area in code order.
    """

    def __init__(
        self,
        cells: gpd.GeoDataFrame,
        compounds: gpd.GeoDataFrame,
        communities: gpd.GeoDataFrame | None = None,
        streets: gpd.GeoDataFrame | None = None,
    ) -> None:
        self._cells = _Layer(cells, ("code", "community_code", "street_code"))
        self._compounds = _Layer(compounds, ("code",))
        self._communities = (
            _Layer(communities, ("code", "street_code")) if communities is not None else None
        )
        self._streets = _Layer(streets, ("code",)) if streets is not None else None

    def locate(self, lon: np.ndarray, lat: np.ndarray) -> pd.DataFrame:
        x, y = np.asarray(lon, dtype=float), np.asarray(lat, dtype=float)
        in_cell, cell = self._cells.lookup(x, y)
        result = pd.DataFrame(
            {
                "street_code": cell["street_code"],
                "community_code": cell["community_code"],
                "compound_code": self._compounds.lookup(x, y)[1]["code"],
                "grid_code": cell["code"],
            }
        )
        self._fall_back(result, x, y, ~in_cell)
        return result

    def _fall_back(
        self, result: pd.DataFrame, x: np.ndarray, y: np.ndarray, missing: np.ndarray
    ) -> None:
        if not missing.any():
            return
        if self._communities is not None:
            _, comm = self._communities.lookup(x[missing], y[missing])
            result.loc[missing, "community_code"] = comm["code"]
            result.loc[missing, "street_code"] = comm["street_code"]
        still = missing & result["street_code"].isna().to_numpy()
        if still.any() and self._streets is not None:
            result.loc[still, "street_code"] = self._streets.lookup(x[still], y[still])[1]["code"]


def compound_grid_links(
    compounds: gpd.GeoDataFrame, cells: gpd.GeoDataFrame, min_m2: float = 1.0
) -> pd.DataFrame:
    """Pairs (compound_code, grid_code) whose areas overlap by more than `min_m2`."""
    empty = pd.DataFrame({"compound_code": [], "grid_code": []}, dtype=object)
    if compounds.empty or cells.empty:
        return empty
    crs = compounds.to_crs(4326).estimate_utm_crs()
    comp = np.asarray(compounds.to_crs(crs).geometry.values, dtype=object)
    cell = np.asarray(cells.to_crs(crs).geometry.values, dtype=object)
    ci, gi = shapely.STRtree(cell).query(comp, predicate="intersects")
    if len(ci) == 0:
        return empty
    area = shapely.area(shapely.intersection(comp[ci], cell[gi]))
    keep = area > min_m2
    links = pd.DataFrame(
        {
            "compound_code": compounds["code"].to_numpy(dtype=object)[ci[keep]],
            "grid_code": cells["code"].to_numpy(dtype=object)[gi[keep]],
        }
    )
    return links.drop_duplicates().sort_values(["compound_code", "grid_code"], ignore_index=True)
