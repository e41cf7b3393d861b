"""Walking distances and paths between places along a road network (or straight, with a detour)."""

from __future__ import annotations

import itertools
import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import shapely
from pyproj import Transformer
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import dijkstra
from scipy.spatial import cKDTree

from .itinerary import Network

WALK_M_PER_MIN = 75.0  # 4.5 km/h: an unhurried walk with a clipboard, crossings included
DETOUR = 1.3  # streets are this much longer than the crow flies (a common urban figure)
SNAP_M = 1.0  # line ends closer than this are one node (digitising slack)
FAR_M = 300.0  # a place farther than this from every road is reached in a straight line
CLIP_MARGIN_M = 500.0  # roads this far beyond the places still count (a detour round a block)


@dataclass(frozen=True)
class Roads:
    """A walking graph in metres: node coordinates (metric), edges, and the projection used."""

    xy: np.ndarray  # (n, 2) node coordinates in the metric CRS
    a: np.ndarray  # edge start nodes
    b: np.ndarray  # edge end nodes
    length: np.ndarray  # edge lengths in metres
    epsg: int  # the metric CRS (a UTM zone)

    @property
    def empty(self) -> bool:
        return len(self.a) == 0


@dataclass(frozen=True)
class Walks:
    """Walking metres between places (index 0 usually the start), and the paths behind them."""

    metres: np.ndarray  # (p, p) metres, symmetric
    network: Network
    lonlat: np.ndarray  # (p, 2) the places
    node_lonlat: np.ndarray | None = None  # (n, 2) the graph's nodes
    snap_lonlat: np.ndarray | None = None  # (p, 2) nearest point on the network of each place
    via: np.ndarray | None = None  # (p, p, 2) graph nodes used leaving i and reaching j (-1: none)
    sources: np.ndarray | None = None  # graph nodes the shortest-path trees start from
    predecessors: np.ndarray | None = None  # one row per source

    @property
    def minutes(self) -> np.ndarray:
        """Walking minutes at WALK_M_PER_MIN."""
        return self.metres / WALK_M_PER_MIN

    def path(self, order: Sequence[int]) -> list[tuple[float, float]]:
        """(lon, lat) line through the places `order` (indices), along the roads where used."""
        if len(order) == 0:
            return []
        points: list[tuple[float, float]] = [_pair(self.lonlat[order[0]])]
        for i, j in itertools.pairwise(order):
            points += self._leg(int(i), int(j))[1:]
        return points

    def _leg(self, i: int, j: int) -> list[tuple[float, float]]:
        start, end = _pair(self.lonlat[i]), _pair(self.lonlat[j])
        if i == j:
            return [start, end]
        if self.via is None or self.snap_lonlat is None or self.via[i, j, 0] == -1:
            return [start, end]
        u, v = (int(n) for n in self.via[i, j])
        if u == -2:  # both on the same road segment: along it
            inner = np.array([self.snap_lonlat[i], self.snap_lonlat[j]])
        else:
            nodes = _node_path(self.sources, self.predecessors, u, v)
            inner = np.vstack([self.snap_lonlat[i], self.node_lonlat[nodes], self.snap_lonlat[j]])
        return _dedupe([start, *(_pair(p) for p in inner), end])


def utm_epsg(lon: float, lat: float) -> int:
    """EPSG code of the WGS-84 UTM zone holding (lon, lat)."""
    zone = min(60, max(1, math.floor((lon + 180) / 6) + 1))
    return (32600 if lat >= 0 else 32700) + zone


def build_roads(lines: Sequence, epsg: int, bbox: tuple[float, float, float, float] | None = None):
    """The walking graph of WGS-84 `lines` (shapely LineStrings), optionally only those meeting
    `bbox` (metric minx, miny, maxx, maxy). Crossing lines are split where they cross; line
    ends within SNAP_M of each other become one node."""
    geoms = np.asarray([g for g in lines if g is not None and not g.is_empty], dtype=object)
    if len(geoms):
        fwd = _to_metric(epsg)
        geoms = shapely.transform(geoms, lambda c: np.column_stack(fwd.transform(c[:, 0], c[:, 1])))
        if bbox is not None:
            geoms = geoms[shapely.intersects(geoms, shapely.box(*bbox))]
    if len(geoms) == 0:
        return Roads(np.empty((0, 2)), *(np.empty(0, dtype=np.int64),) * 2, np.empty(0), epsg)
    parts = shapely.get_parts(shapely.node(shapely.multilinestrings(geoms)))
    coords, index = shapely.get_coordinates(parts, return_index=True)
    same_line = index[:-1] == index[1:]
    key = _merge_close(coords)
    a, b = key[:-1][same_line], key[1:][same_line]
    keep = a != b
    uniq, inverse = np.unique(np.concatenate([a[keep], b[keep]]), return_inverse=True)
    a2, b2 = np.split(inverse, 2)
    xy = coords[uniq] if len(uniq) else np.empty((0, 2))
    length = np.hypot(*(xy[a2] - xy[b2]).T) if len(a2) else np.empty(0)
    return Roads(xy, a2.astype(np.int64), b2.astype(np.int64), length, epsg)


def _merge_close(coords: np.ndarray) -> np.ndarray:
    """For each coordinate, the index of a representative within SNAP_M (union-find)."""
    parent = np.arange(len(coords))
    pairs = cKDTree(coords).query_pairs(SNAP_M, output_type="ndarray")

    def find(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    for i, j in pairs:
        ri, rj = find(int(i)), find(int(j))
        if ri != rj:
            parent[max(ri, rj)] = min(ri, rj)
    return np.array([find(i) for i in range(len(coords))], dtype=np.int64)


def walks(places: Sequence[tuple[float, float]], roads: Roads | None) -> Walks:
    """Walking metres between every pair of WGS-84 `places` (lon, lat).

    Each place is snapped to the nearest point of the nearest road segment and walks there
    in a straight line; between snapped points the walk is the shortest path on the roads
    (Dijkstra). A place more than FAR_M from every road, and every place when there are no
    roads, is reached in a straight line × DETOUR instead (then the network says so).
    """
    lonlat = np.asarray(places, dtype=float).reshape(-1, 2)
    if roads is None or roads.empty:
        return _straight(lonlat, utm_epsg(*lonlat.mean(axis=0)) if len(lonlat) else 32650)
    xy = np.column_stack(_to_metric(roads.epsg).transform(lonlat[:, 0], lonlat[:, 1]))
    seg, t, snap, access = _snap(xy, roads)
    far = access > FAR_M
    if far.all():
        return _straight(lonlat, roads.epsg)
    ends = np.stack([roads.a[seg], roads.b[seg]], axis=1)  # (p, 2) nodes of each place's edge
    offsets = np.stack([t, 1 - t], axis=1) * roads.length[seg][:, None] + access[:, None]
    sources, inv = np.unique(ends, return_inverse=True)
    inv = inv.reshape(ends.shape)
    graph = _graph(roads)
    dist, pred = dijkstra(graph, directed=False, indices=sources, return_predecessors=True)
    metres, via = _pairwise(dist, inv, ends, offsets, seg, t, access, roads)
    straight = np.hypot(*(xy[:, None, :] - xy[None, :, :]).transpose(2, 0, 1)) * DETOUR
    unreachable = ~np.isfinite(metres) | far[:, None] | far[None, :]
    metres = np.where(unreachable, straight, metres)
    via[unreachable] = -1
    np.fill_diagonal(metres, 0.0)
    back = _to_lonlat(roads.epsg)
    node_lonlat = np.column_stack(back.transform(roads.xy[:, 0], roads.xy[:, 1]))
    snap_lonlat = np.column_stack(back.transform(snap[:, 0], snap[:, 1]))
    return Walks(metres, Network.ROADS, lonlat, node_lonlat, snap_lonlat, via, sources, pred)


def _straight(lonlat: np.ndarray, epsg: int) -> Walks:
    xy = np.column_stack(_to_metric(epsg).transform(lonlat[:, 0], lonlat[:, 1]))
    diff = xy[:, None, :] - xy[None, :, :]
    metres = np.hypot(diff[..., 0], diff[..., 1]) * DETOUR
    return Walks(metres, Network.STRAIGHT_LINE, lonlat)


def _snap(xy: np.ndarray, roads: Roads):
    """Nearest segment of each point, the position along it (0..1), the point on it, distance."""
    p, q = roads.xy[roads.a], roads.xy[roads.b]
    segments = shapely.linestrings(np.stack([p, q], axis=1))
    tree = shapely.STRtree(segments)
    (_, seg), _ = tree.query_nearest(shapely.points(xy), return_distance=True, all_matches=False)
    d = q[seg] - p[seg]
    norm = np.maximum((d**2).sum(axis=1), 1e-12)
    t = np.clip(((xy - p[seg]) * d).sum(axis=1) / norm, 0.0, 1.0)
    snap = p[seg] + t[:, None] * d
    return seg, t, snap, np.hypot(*(xy - snap).T)


def _graph(roads: Roads):
    n = len(roads.xy)
    return coo_matrix((roads.length, (roads.a, roads.b)), shape=(n, n)).tocsr()


def _pairwise(dist, inv, ends, offsets, seg, t, access, roads):
    """Shortest metres between snapped places over the four end-node combinations."""
    # total[i, j, k, m] = offset of i to its end k + graph metres + offset of j from its end m
    graph_m = dist[inv[:, :, None, None], ends[None, None, :, :]]  # (p, 2, p, 2)
    total = offsets[:, :, None, None] + graph_m + offsets[None, None, :, :]
    total = total.transpose(0, 2, 1, 3).reshape(len(seg), len(seg), 4)
    best = total.argmin(axis=2)
    metres = np.take_along_axis(total, best[..., None], axis=2)[..., 0]
    k, m = best // 2, best % 2
    rows = np.arange(len(seg))
    via = np.stack([ends[rows[:, None], k], ends[rows[None, :], m]], axis=2)
    # Two places on the same segment walk along it directly when that is shorter.
    same = seg[:, None] == seg[None, :]
    along = np.abs(t[:, None] - t[None, :]) * roads.length[seg][:, None] + access[:, None]
    along = along + access[None, :]
    direct = same & (along < metres)
    metres = np.where(direct, along, metres)
    via[direct] = -2
    return metres, via


def _node_path(sources: np.ndarray, pred: np.ndarray, u: int, v: int) -> list[int]:
    """Graph nodes from u to v along the shortest-path tree rooted at u."""
    row = int(np.searchsorted(sources, u))
    nodes = [v]
    while nodes[-1] != u:
        back = int(pred[row, nodes[-1]])
        if back < 0:
            return [u, v]
        nodes.append(back)
    return nodes[::-1]


def _to_metric(epsg: int) -> Transformer:
    return Transformer.from_crs("EPSG:4326", f"EPSG:{epsg}", always_xy=True)


def _to_lonlat(epsg: int) -> Transformer:
    return Transformer.from_crs(f"EPSG:{epsg}", "EPSG:4326", always_xy=True)


def _pair(lonlat: np.ndarray) -> tuple[float, float]:
    return float(lonlat[0]), float(lonlat[1])


def _dedupe(points: list[tuple[float, float]]) -> list[tuple[float, float]]:
    out = [points[0]]
    for p in points[1:]:
        if abs(p[0] - out[-1][0]) > 1e-9 or abs(p[1] - out[-1][1]) > 1e-9:
            out.append(p)
    return out
