"""The demo's grid cells: each community cut into strips and cells of about 400 households."""

from __future__ import annotations

import math
from itertools import product

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from .. import codes
from ._shapes import frame, with_vertices_of

CELL_TARGET = 400  # households per grid cell
# A cut keeps this far from every building (0.1 m each side): edges that are straight in
# metres bend by up to millimetres in lon/lat, where the store places points in cells.
MIN_GAP_M = 0.2
CUT_STEP_M = 50.0  # a cut line gets a vertex this often, so it bends by < 0.1 mm in lon/lat
# a detached part of a cell without buildings, smaller or thinner than this, is a speck: it
# goes to the neighbouring cell it shares most edge with
SPECK_AREA_M2 = 100.0
SPECK_WIDTH_M = 2.0


def _order_ok(bounds: np.ndarray, seq: np.ndarray) -> bool:
    """True when every cell lying entirely north of another is numbered before it."""
    north = bounds[:, 1][:, None] >= bounds[:, 3][None, :]
    return not np.any(north & (seq[:, None] > seq[None, :]))


def _cuts(
    coord: np.ndarray, weight: np.ndarray, pieces: int, shift: float = 0.0, min_gap: float = 1.0
) -> np.ndarray:
    """Cut positions splitting points into `pieces` runs of about equal weight along `coord`.

    A cut lies midway between two neighbouring points, preferably where they are at least
    `min_gap` apart, and never through a point.
    """
    c = np.sort(coord)
    w = weight[np.argsort(coord)]
    cum, gaps = np.cumsum(w), np.diff(c)
    # a cut squeezed between two close buildings costs as much as missing the target by 30;
    # the margin keeps every building clearly on one side after reprojection
    penalty = np.where(gaps < MIN_GAP_M, np.inf, np.where(gaps < min_gap, 30.0, 0.0))
    cuts, prev = [], 0
    for p in range(1, pieces):
        split = np.arange(prev + 1, len(c) - (pieces - p) + 1)
        cost = np.abs(cum[split - 1] - cum[-1] * (p + shift) / pieces) + penalty[split - 1]
        if not np.isfinite(cost).any():
            break
        s = split[np.argmin(cost)]
        cuts.append((c[s - 1] + c[s]) / 2)
        prev = s
    return np.array(cuts)


def _partition(
    poly: shapely.Geometry,
    bx: np.ndarray,
    by: np.ndarray,
    bh: np.ndarray,
    strips: int,
    shift: float,
):
    """Cut a community into strips (at household quantiles of y), each strip into cells (of x).

    The cells are the faces of the community's boundary and the cut lines noded together, so
    neighbours share their vertices and tile the community exactly. Returns the cells, the
    cell of each building and the strip of each cell (0 = southernmost).
    """
    minx, miny, maxx, maxy = shapely.bounds(poly)
    ycuts = _cuts(by, bh, strips, shift)
    yedges = np.concatenate([[miny - 1], ycuts, [maxy + 1]])
    strip = np.searchsorted(ycuts, by)
    lines = [shapely.boundary(poly), *(_cut_line(minx - 1, y, maxx + 1, y) for y in ycuts)]
    xcuts, rows, cell = [], [], np.empty(len(bx), dtype=int)
    for j in range(len(yedges) - 1):
        m = strip == j
        k = min(int(m.sum()), _cell_count(bh[m].sum()))
        cuts = _cuts(bx[m], bh[m], k)
        cell[m] = len(rows) + np.searchsorted(cuts, bx[m])
        lines += [_cut_line(x, yedges[j], x, yedges[j + 1]) for x in cuts]
        xcuts.append(cuts)
        rows += [j] * (len(cuts) + 1)
    faces = _faces(poly, lines)
    owner = _cell_of_face(faces, ycuts, xcuts)
    holds = np.zeros(len(faces), dtype=bool)
    holds[shapely.STRtree(faces).query(shapely.points(bx, by), predicate="within")[1]] = True
    _merge_specks(faces, owner, holds)
    cells = np.array(
        [shapely.coverage_union_all(faces[owner == i]) for i in range(len(rows))], dtype=object
    )
    return cells, cell, np.array(rows)


def _cut_line(x0: float, y0: float, x1: float, y1: float) -> shapely.LineString:
    return shapely.segmentize(shapely.linestrings([[x0, y0], [x1, y1]]), CUT_STEP_M)


def _faces(poly: shapely.Geometry, lines: list) -> np.ndarray:
    """The faces inside `poly` of its boundary and the cut lines, noded where they cross."""
    noded = shapely.get_parts(shapely.union_all(lines))
    faces = shapely.get_parts(shapely.polygonize(noded))
    inside = shapely.contains_xy(poly, *shapely.get_coordinates(shapely.point_on_surface(faces)).T)
    return faces[inside]


def _cell_of_face(faces: np.ndarray, ycuts: np.ndarray, xcuts: list[np.ndarray]) -> np.ndarray:
    """The cell (numbered strip by strip from the south, west to east) each face lies in."""
    xy = shapely.get_coordinates(shapely.point_on_surface(faces))
    strip = np.searchsorted(ycuts, xy[:, 1])
    first = np.cumsum([0] + [len(c) + 1 for c in xcuts])
    column = [np.searchsorted(xcuts[s], x) for s, x in zip(strip, xy[:, 0], strict=True)]
    return first[strip] + np.array(column, dtype=int)


def _merge_specks(faces: np.ndarray, owner: np.ndarray, holds: np.ndarray) -> None:
    """Give each speck (a small or thin face without buildings, detached from the rest of its
    cell) to the cell whose faces share most edge with it; `owner` is changed in place."""
    area, length = shapely.area(faces), shapely.length(faces)
    width = 2 * area / np.maximum(length, 1e-12)
    parts = np.bincount(owner, minlength=owner.max() + 1)
    speck = ~holds & (parts[owner] > 1) & ((area < SPECK_AREA_M2) | (width < SPECK_WIDTH_M))
    rings = shapely.boundary(faces)
    for f in np.flatnonzero(speck):
        other = np.flatnonzero(owner != owner[f])
        shared = shapely.length(shapely.intersection(rings[f], rings[other]))
        if len(other) and shared.max() > 0:
            owner[f] = owner[other[np.argmax(shared)]]


def _cell_count(households: float) -> int:
    """The number of cells whose mean size is nearest CELL_TARGET (by ratio)."""
    low = max(1, math.floor(households / CELL_TARGET))
    return min((low, low + 1), key=lambda k: abs(math.log(households / (k * CELL_TARGET))))


def _reads_in_strips(bounds: np.ndarray, strip: np.ndarray, seq: np.ndarray) -> bool:
    """True when the numbering runs strip by strip from the north, west to east within a
    strip, and no cell lying entirely north of another comes after it."""
    midx = (bounds[:, 0] + bounds[:, 2]) / 2
    expected = np.empty(len(seq), dtype=int)
    expected[np.lexsort((midx, -strip))] = np.arange(1, len(seq) + 1)
    return bool((expected == seq).all()) and _order_ok(bounds, seq)


def _cells(poly: shapely.Geometry, bx: np.ndarray, by: np.ndarray, bh: np.ndarray):
    """Grid cells of one community, their sequence numbers and each building's cell.

    The official numbering (codes.grid_sequence_order) reads rows from the cells' bounds; a
    cell covering only the top of its strip can open a row of its own. Other strip counts
    are tried until the numbering reads strip by strip.
    """
    minx, miny, maxx, maxy = shapely.bounds(poly)
    k = _cell_count(bh.sum())
    r = int(np.clip(round(math.sqrt(k * (maxy - miny) / max(maxx - minx, 1.0))), 1, k))
    first = None
    # k strips of one cell each always read in strips; nearer counts look better
    counts = sorted(range(1, k + 1), key=lambda s: (abs(s - r), s))
    for strips, shift in product(counts, (0.0, 0.3, -0.3)):
        cells, cell, strip = _partition(poly, bx, by, bh, strips, shift)
        bounds = shapely.bounds(cells)
        seq = codes.grid_sequence_order(*bounds.T)
        if _reads_in_strips(bounds, strip, seq):
            return cells, seq, cell
        first = first or (cells, seq, cell)
    return first


def town_cells(
    communities: gpd.GeoDataFrame, compounds: gpd.GeoDataFrame, buildings: gpd.GeoDataFrame
) -> gpd.GeoDataFrame:
    """Grid cells of every community; also sets each building's cell_code."""
    at = pd.Index(compounds["code"]).get_indexer(buildings["compound_code"])
    comm_of_building = compounds["community"].to_numpy()[at]
    xy = shapely.get_coordinates(buildings.geometry.to_numpy())
    hh = buildings["households"].to_numpy()
    rows, cell_code = [], np.empty(len(buildings), dtype=object)
    for i, (code, name, geom) in enumerate(
        zip(communities["code"], communities["name"], communities.geometry, strict=True)
    ):
        m = np.flatnonzero(comm_of_building == i)
        cells, seq, cell = _cells(geom, xy[m, 0], xy[m, 1], hh[m])
        cell_codes = [codes.grid_code(code, int(s)) for s in seq]
        cell_code[m] = np.array(cell_codes, dtype=object)[cell]
        rows += [
            (c, f"{name}第{s}网格", code, g) for c, s, g in zip(cell_codes, seq, cells, strict=True)
        ]
    buildings["cell_code"] = cell_code
    code, name, community, geoms = zip(*rows, strict=True)
    columns = {"code": code, "name": name, "community_code": community}
    geoms = np.array(geoms, dtype=object)
    geoms = with_vertices_of(geoms, geoms)
    return frame(columns | {"street_code": [c[:9] for c in community]}, geoms)
