"""One demo town in metres: roads, parcels, streets, communities, compounds, buildings, cells."""

from __future__ import annotations

import math
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from .. import codes
from ._arrays import ids
from ._shapes import METRIC_CRS, TO_METRIC, frame, largest_array, unrotate, with_vertices_of
from .buildings import compound_paths, place_compounds, town_buildings
from .cells import town_cells
from .names import name_places, road_names
from .plan import Town
from .roads import (
    RoadSource,
    arterial_roads,
    faces,
    river_road,
    road_edges,
    secondary_roads,
    town_outline,
)

PARCELS_PER_COMMUNITY = 5.0
MEAN_PARCEL_AREA = 100_000.0  # m², after secondary roads split the large blocks


@dataclass
class TownGeo:
    """One town's tables in metres (EPSG:32650), before people and history."""

    streets: gpd.GeoDataFrame
    communities: gpd.GeoDataFrame
    compounds: gpd.GeoDataFrame
    cells: gpd.GeoDataFrame
    buildings: gpd.GeoDataFrame
    roads: gpd.GeoDataFrame

    def tables(self) -> dict[str, gpd.GeoDataFrame]:
        """The tables by name, in the order of the fields."""
        return {
            "streets": self.streets,
            "communities": self.communities,
            "compounds": self.compounds,
            "cells": self.cells,
            "buildings": self.buildings,
            "roads": self.roads,
        }


def build_town(rng: np.random.Generator, town: Town, community_names: Iterator[str]) -> TownGeo:
    """One town: a street grid turned a little, a river road, compounds in the blocks."""
    theta = rng.uniform(-0.25, 0.25)
    radius = math.sqrt(sum(town.communities) * PARCELS_PER_COMMUNITY * MEAN_PARCEL_AREA / math.pi)
    source = RoadSource()
    arterials = arterial_roads(rng, 1.35 * radius, theta)
    river = river_road(rng, radius, theta)
    blocks = faces([*arterials, river], town_outline(rng, radius))
    outline = shapely.coverage_union_all(blocks)
    secondaries = secondary_roads(rng, blocks, theta)
    parcels = faces([*arterials, river, *secondaries], outline)

    comp = place_compounds(rng, parcels, theta, need=2 * sum(town.communities))
    paths = [
        (p, i)
        for i, rows in enumerate(comp["rows"])
        for p in compound_paths(rows, parcels[comp["parcel"][i]], theta)
    ]
    arterial_names, secondary_names = road_names(rng, town, len(arterials), len(secondaries))
    source.add(arterials, arterial_names, "arterial")
    source.add([river], [town.river], "arterial")
    source.add(secondaries, secondary_names, "secondary")
    source.add([p for p, _ in paths], [""] * len(paths), "path", [i for _, i in paths])
    roads = road_edges(source, outline)
    return _areas(rng, town, parcels, comp, roads, river, community_names, theta)


def _divide(town: Town, parcels: np.ndarray, comp: dict, theta: float):
    """Street and community (index within the town) of every parcel, by household weight."""
    hh = np.zeros(len(parcels))
    hh[comp["parcel"]] = [b[3].sum() for b in comp["buildings"]]
    res = (hh > 0).astype(int)
    pts = shapely.get_coordinates(shapely.point_on_surface(parcels))
    u, v = unrotate(pts[:, 0], pts[:, 1], theta)
    street = _bisect(u, v, hh, res, town.communities)
    community = np.empty(len(parcels), dtype=int)
    offset = 0
    for s, n in enumerate(town.communities):
        m = street == s
        community[m] = offset + _bisect(u[m], v[m], hh[m], res[m], [1.0] * n)
        offset += n
    return street, community


def _bisect(u: np.ndarray, v: np.ndarray, w: np.ndarray, res: np.ndarray, shares: Sequence[float]):
    """Label parcels 0..k-1 by recursive bisection: contiguous groups of the given weight shares.

    Every group gets at least one residential parcel (`res`).
    """
    labels = np.zeros(len(u), dtype=int)
    _bisect_into(labels, np.arange(len(u)), u, v, w, res, list(shares), 0)
    return labels


def _bisect_into(labels, idx, u, v, w, res, shares, first) -> None:
    k = len(shares)
    if k == 1:
        labels[idx] = first
        return
    k1 = k // 2
    axis = u if np.ptp(u[idx]) >= np.ptp(v[idx]) else v
    order = idx[np.argsort(axis[idx], kind="stable")]
    cum_w, cum_r = np.cumsum(w[order]), np.cumsum(res[order])
    target = cum_w[-1] * sum(shares[:k1]) / sum(shares)
    split = np.arange(1, len(order))
    ok = (cum_r[split - 1] >= k1) & (cum_r[-1] - cum_r[split - 1] >= k - k1)
    cost = np.abs(cum_w[split - 1] - target) + np.where(ok, 0, np.inf)
    s = split[np.argmin(cost)]
    _bisect_into(labels, order[:s], u, v, w, res, shares[:k1], first)
    _bisect_into(labels, order[s:], u, v, w, res, shares[k1:], first + k1)


def _reading_order(geoms: np.ndarray) -> np.ndarray:
    return codes.grid_sequence_order(*shapely.bounds(np.asarray(geoms, dtype=object)).T)


def _union_by(parcels: np.ndarray, labels: np.ndarray, n: int) -> np.ndarray:
    return np.array(
        [shapely.coverage_union_all(parcels[labels == i]) for i in range(n)], dtype=object
    )


def _codes_within(
    parents: np.ndarray,
    geoms: np.ndarray,
    parent_codes: np.ndarray,
    make: Callable[[str, int], str],
) -> np.ndarray:
    """Codes of child areas numbered in reading order within each parent."""
    out = np.empty(len(geoms), dtype=object)
    for p in np.unique(parents):
        m = np.flatnonzero(parents == p)
        out[m] = [make(parent_codes[p], int(s)) for s in _reading_order(geoms[m])]
    return out


def _areas(
    rng: np.random.Generator,
    town: Town,
    parcels: np.ndarray,
    comp: dict,
    roads: gpd.GeoDataFrame,
    river: shapely.Geometry,
    community_names: Iterator[str],
    theta: float,
) -> TownGeo:
    """Streets, communities, compounds, buildings and cells of one town, moved into UTM."""
    street_of, comm_of = _divide(town, parcels, comp, theta)
    streets, communities = _street_frames(town, parcels, street_of, comm_of)
    compounds = _compound_frame(rng, comp, comm_of[comp["parcel"]], communities, parcels)
    name_places(rng, town, communities, compounds, river, community_names)
    buildings = town_buildings(comp, compounds["code"].to_numpy())
    cells = town_cells(communities, compounds, buildings)
    _share_vertices(streets, communities, cells)
    _place_services(rng, town, streets, communities, compounds, parcels, comm_of, roads)
    paths = roads["kind"] == "path"
    owners = roads.loc[paths, "owner"].to_numpy()
    roads.loc[paths, "name"] = compounds["name"].to_numpy()[owners] + "内部道路"
    geo = TownGeo(streets, communities, compounds, cells, buildings, roads.drop(columns="owner"))
    return _shifted(geo, np.array(TO_METRIC.transform(town.lon, town.lat)))


def _share_vertices(
    streets: gpd.GeoDataFrame, communities: gpd.GeoDataFrame, cells: gpd.GeoDataFrame
) -> None:
    """Communities get the cells' vertices on their borders, streets the communities', so
    each level tiles the one above exactly in lon/lat too."""
    cell_geoms = cells.geometry.to_numpy()
    communities.geometry = with_vertices_of(communities.geometry.to_numpy(), cell_geoms)
    streets.geometry = with_vertices_of(
        streets.geometry.to_numpy(), communities.geometry.to_numpy()
    )


def _street_frames(town: Town, parcels: np.ndarray, street_of: np.ndarray, comm_of: np.ndarray):
    """Streets and communities as unions of parcels, coded in reading order."""
    street_geom = _union_by(parcels, street_of, len(town.communities))
    seq = _reading_order(street_geom)
    street_codes = np.array([codes.street_code(town.county, int(s)) for s in seq], dtype=object)
    names = np.array(town.street_names, dtype=object)[seq - 1]
    streets = frame({"code": street_codes, "name": names}, street_geom)
    comm_geom = _union_by(parcels, comm_of, sum(town.communities))
    parent = np.array([street_of[np.argmax(comm_of == i)] for i in range(len(comm_geom))])
    communities = frame(
        {
            "code": _codes_within(parent, comm_geom, street_codes, codes.community_code),
            "name": None,
            "street_code": street_codes[parent],
        },
        comm_geom,
    )
    return streets, communities


def _compound_frame(
    rng: np.random.Generator,
    comp: dict,
    comp_comm: np.ndarray,
    communities: gpd.GeoDataFrame,
    parcels: np.ndarray,
) -> gpd.GeoDataFrame:
    geoms = np.array(comp["geometry"], dtype=object)
    comm_codes = communities["code"].to_numpy(dtype=object)
    old = comp["kind"] == "old"
    unmanaged = old & (rng.random(len(geoms)) < 0.6)  # 老旧小区 without a property company
    unmanaged[np.flatnonzero(old)[:1]] = True
    kerb = shapely.buffer(parcels[comp["parcel"]], -3.0, join_style="mitre")
    return frame(
        {
            "code": _codes_within(comp_comm, geoms, comm_codes, codes.compound_code),
            "name": None,
            "community_code": comm_codes[comp_comm],
            "street_code": communities["street_code"].to_numpy(dtype=object)[comp_comm],
            "households": [b[3].sum() for b in comp["buildings"]],
            "property_company_id": None,
            "address": None,
            "kind": comp["kind"],
            "managed": ~unmanaged,
            "community": comp_comm,  # position in the town's communities
            # the road surface just outside the compound: street vending and ads happen here
            "ring": shapely.get_exterior_ring(largest_array(kerb)),
        },
        geoms,
    )


def _place_services(
    rng: np.random.Generator,
    town: Town,
    streets: gpd.GeoDataFrame,
    communities: gpd.GeoDataFrame,
    compounds: gpd.GeoDataFrame,
    parcels: np.ndarray,
    comm_of: np.ndarray,
    roads: gpd.GeoDataFrame,
) -> None:
    """Service halls, and the addresses of halls and compounds."""
    street_names = communities["street_code"].map(streets.set_index("code")["name"])
    prefix = town.county_name + street_names.to_numpy(dtype=object)
    halls = _halls(communities.geometry.to_numpy(), parcels, comm_of)
    communities["hall_x"], communities["hall_y"] = halls[:, 0], halls[:, 1]
    communities["hall_address"] = _addresses(rng, prefix, halls, roads)
    gates = shapely.get_coordinates(shapely.point_on_surface(compounds.geometry.to_numpy()))
    compounds["address"] = _addresses(rng, prefix[compounds["community"]], gates, roads)


def _halls(comm_geom: np.ndarray, parcels: np.ndarray, comm_of: np.ndarray) -> np.ndarray:
    """A service hall on a road near each community's centre (nudged a few metres inside)."""
    out = []
    for i, geom in enumerate(comm_geom):
        lines = shapely.union_all(shapely.boundary(parcels[comm_of == i]))
        centre = shapely.centroid(geom)
        road = shapely.get_coordinates(shapely.shortest_line(lines, centre))[0]
        step = shapely.get_coordinates(centre)[0] - road
        dist = float(np.hypot(*step))
        p = road + (step / dist * min(6.0, dist / 2) if dist else 0)
        out.append(p if shapely.contains_xy(geom, *p) else road)
    return np.array(out)


def _addresses(
    rng: np.random.Generator, prefix: np.ndarray, xy: np.ndarray, roads: gpd.GeoDataFrame
) -> np.ndarray:
    """ "梁山县水泊街道运河路88号": the nearest named road and a house number."""
    named = roads[roads["kind"] != "path"]
    nearest = shapely.STRtree(named.geometry.to_numpy()).query_nearest(
        shapely.points(xy), all_matches=False
    )[1]
    numbers = rng.integers(1, 300, len(xy)).astype(str).astype(object)
    return prefix + named["name"].to_numpy(dtype=object)[nearest] + numbers + "号"


def _shifted(geo: TownGeo, shift: np.ndarray) -> TownGeo:
    """Move a town from local metres (centred on 0, 0) to its place in UTM."""

    def move(geoms: object) -> np.ndarray:
        return shapely.transform(np.asarray(geoms), lambda c: c + shift)

    def moved(gdf: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
        return gdf.set_geometry(gpd.GeoSeries(move(gdf.geometry), index=gdf.index, crs=METRIC_CRS))

    out = TownGeo(**{name: moved(gdf) for name, gdf in geo.tables().items()})
    out.compounds["ring"] = move(out.compounds["ring"])
    out.communities["hall_x"] += shift[0]
    out.communities["hall_y"] += shift[1]
    return out


def concat_towns(parts: list[TownGeo], first_road: int = 1) -> TownGeo:
    """The towns' tables end to end, with road ids numbered across them from `first_road`."""
    tables = {
        name: pd.concat([p.tables()[name] for p in parts], ignore_index=True)
        for name in parts[0].tables()
    }
    tables["roads"]["id"] = ids("R", first_road, len(tables["roads"]), 6)
    return TownGeo(**tables)
