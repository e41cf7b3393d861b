"""Validation: every defect seeded into a copy of the demo grid is found; none in the demo."""

from __future__ import annotations

import json

import geopandas as gpd
import pytest
import shapely

from geodata import validate as vd
from geodata.model import Level

METRIC = 32650


@pytest.fixture(scope="module")
def demo(street_store) -> dict[Level, gpd.GeoDataFrame]:
    return {level: street_store.areas(level) for level in Level}


def test_the_clean_demo_has_no_problems(street_store, demo):
    problems = vd.validate_store(street_store)
    assert problems.frame.empty, vd.report_lines(problems)
    for level in Level:
        parents = demo[vd.PARENT[level]] if vd.PARENT[level] else None
        repaired, found = vd.validate_areas(demo[level], level, parents)
        assert found.frame.empty, vd.report_lines(found)
        assert len(repaired) == len(demo[level])


def _seeded(
    cells: gpd.GeoDataFrame, communities: gpd.GeoDataFrame
) -> tuple[gpd.GeoDataFrame, dict]:
    """The demo's cells in metres with one defect each in nine cells; (kind → code) seeded."""
    cells = cells.to_crs(METRIC).reset_index(drop=True)
    comm = communities.to_crs(METRIC).set_index("code").geometry
    geoms = list(cells.geometry.values)
    codes = cells["code"].tolist()
    pick = [codes[i] for i in range(0, len(codes), 25)][:9]
    at = {code: codes.index(code) for code in pick}
    seeded = {}

    def seed(kind: str, i: int) -> None:
        seeded.setdefault(kind, set()).add(codes[i] if kind != "gap" else cells["parent_code"][i])

    i = at[pick[0]]  # overlap: the cell grows 3 m into its neighbours (within its community)
    geoms[i] = geoms[i].buffer(3, join_style="mitre").intersection(comm[cells["parent_code"][i]])
    seed("overlap", i)
    i = at[pick[1]]  # gap: the cell shrinks by 3 m
    geoms[i] = geoms[i].buffer(-3, join_style="mitre")
    seed("gap", i)
    i = at[pick[2]]  # outside: the cell moves 2 km east
    geoms[i] = shapely.affinity.translate(geoms[i], 2000, 0)
    seed("outside_parent", i)
    i = at[pick[3]]  # self-intersection: a bow tie, not repairable
    x0, y0, x1, y1 = geoms[i].bounds
    geoms[i] = shapely.Polygon([(x0, y0), (x1, y1), (x1, y0), (x0, y1)])
    seed("invalid_geometry", i)
    i = at[pick[4]]  # a zero-width spike: repairable, still reported
    ring = list(geoms[i].geoms[0].exterior.coords if geoms[i].geom_type == "MultiPolygon"
                else geoms[i].exterior.coords)  # fmt: skip
    spike = (ring[0][0] + 0.001, ring[0][1] - 30)
    geoms[i] = shapely.Polygon([ring[0], spike, ring[0], *ring[1:]])
    seed("invalid_geometry", i)
    i = at[pick[5]]  # missing name
    cells.loc[i, "name"] = " "
    seed("missing_name", i)
    i, j = at[pick[6]], at[pick[7]]  # a duplicate code
    cells.loc[j, "code"] = codes[i]
    seeded.setdefault("duplicate_code", set()).add(codes[i])
    i = at[pick[8]]  # malformed code
    cells.loc[i, "code"] = "37083200100"
    seeded.setdefault("malformed_code", set()).add("37083200100")
    cells = cells.set_geometry(geoms, crs=METRIC)
    # a sliver: a new cell 0.2 m wide along the inside of a community's boundary
    parent = cells["parent_code"][0]
    edge = (
        comm[parent].exterior
        if comm[parent].geom_type == "Polygon"
        else comm[parent].geoms[0].exterior
    )
    strip = shapely.LineString(shapely.get_coordinates(edge)[:2]).buffer(0.1, cap_style="flat")
    extra = gpd.GeoDataFrame(
        {"code": [parent + "999"], "name": ["细条网格"], "parent_code": [parent]},
        geometry=[strip.intersection(comm[parent])],
        crs=METRIC,
    )
    seeded["sliver"] = {parent + "999"}
    return gpd.pd.concat([cells, extra], ignore_index=True).to_crs(4326), seeded


def test_every_seeded_defect_is_found(demo, tmp_path):
    cells, seeded = _seeded(demo[Level.GRID], demo[Level.COMMUNITY])
    repaired, problems = vd.validate_areas(cells, Level.GRID, demo[Level.COMMUNITY])
    frame = problems.frame
    found = {(p, c) for p, c in zip(frame["problem"], frame["code"], strict=True)}
    for kind, codes in seeded.items():
        for code in codes:
            assert (kind, code) in found, (kind, code, vd.report_lines(problems))
    assert frame.loc[frame["problem"] == "overlap", "size_m2"].max() > 1.0
    invalid = frame[frame["problem"] == "invalid_geometry"]
    assert sorted(invalid["repaired"]) == [False, True]  # the spike is repaired, the bow tie not
    assert len(problems.unrepaired) == len(frame) - 1
    fixed = repaired.set_index("code").loc[invalid.loc[invalid["repaired"], "code"].iloc[0]]
    assert shapely.is_valid(fixed.geometry)
    assert frame["lon"].between(115, 118).all() and frame["lat"].between(34, 37).all()
    lines = vd.report_lines(problems)
    assert lines[0].split()[:3] == ["area", "name", "problem"] and len(lines) == len(frame) + 1
    out = tmp_path / "problems.geojson"
    vd.write_geojson(problems, out)
    collection = json.loads(out.read_text(encoding="utf-8"))
    assert collection["type"] == "FeatureCollection"
    assert len(collection["features"]) == len(frame)
    props = collection["features"][0]["properties"]
    assert {"problem", "code", "name", "size_m2"} <= set(props)


def test_compounds_outside_any_community(demo):
    compounds = demo[Level.COMPOUND].copy()
    moved = shapely.affinity.translate(compounds.geometry.iloc[0], 0.5, 0)  # ~45 km east
    compounds = compounds.set_geometry([moved, *compounds.geometry.iloc[1:]], crs=4326)
    compounds.loc[0, "parent_code"] = None
    _, problems = vd.validate_areas(compounds, Level.COMPOUND, demo[Level.COMMUNITY])
    assert problems.frame[["problem", "code"]].values.tolist() == [
        ["no_parent", compounds["code"].iloc[0]]
    ]


def test_an_empty_report_says_so():
    assert vd.report_lines(vd.Problems(vd.empty_problems())) == ["no problems found"]
