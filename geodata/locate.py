"""Point-in-area assignment and compound↔grid-cell links, vectorised with shapely STRtrees."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely


def _first_hit(tree: shapely.STRtree, points: np.ndarray) -> np.ndarray:
    """Index into the tree's geometries of the first area containing each point, or -1."""
    hits = np.full(len(points), -1, dtype=np.int64)
    if len(points) == 0 or len(tree) == 0:
        return hits
    src, dst = tree.query(points, predicate="intersects")
    order = np.lexsort((dst, src))
    src, dst = src[order], dst[order]
    first = np.r_[True, src[1:] != src[:-1]] if len(src) else np.array([], dtype=bool)
    hits[src[first]] = dst[first]
    return hits


class _Layer:
    def __init__(self, frame: gpd.GeoDataFrame, columns: tuple[str, ...]) -> None:
        self.tree = shapely.STRtree(np.asarray(frame.geometry.values, dtype=object))
        self.values = {c: frame[c].to_numpy(dtype=object) for c in columns}

    def lookup(self, points: np.ndarray) -> tuple[np.ndarray, dict[str, np.ndarray]]:
        idx = _first_hit(self.tree, points)
        found = idx >= 0
        out = {}
        for col, values in self.values.items():
            col_out = np.full(len(points), None, dtype=object)
            col_out[found] = values[idx[found]]
            out[col] = col_out
        return found, out


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
        points = shapely.points(np.asarray(lon, dtype=float), np.asarray(lat, dtype=float))
        in_cell, cell = self._cells.lookup(points)
        result = pd.DataFrame(
            {
                "street_code": cell["street_code"],
                "community_code": cell["community_code"],
                "compound_code": self._compounds.lookup(points)[1]["code"],
                "grid_code": cell["code"],
            }
        )
        self._fall_back(result, points, ~in_cell)
        return result

    def _fall_back(self, result: pd.DataFrame, points: np.ndarray, missing: np.ndarray) -> None:
        if not missing.any():
            return
        if self._communities is not None:
            _, comm = self._communities.lookup(points[missing])
            result.loc[missing, "community_code"] = comm["code"]
            result.loc[missing, "street_code"] = comm["street_code"]
        still = missing & result["street_code"].isna().to_numpy()
        if still.any() and self._streets is not None:
            result.loc[still, "street_code"] = self._streets.lookup(points[still])[1]["code"]


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
