"""Boundary import: the street demo exported, reprojected, written in every format, read back."""

from __future__ import annotations

import warnings
import zipfile
from pathlib import Path

import geopandas as gpd
import numpy as np
import pytest
import shapely

from dashboard.cli import main
from geodata import boundaries as bd
from geodata.backends import open_store
from geodata.gcj02 import shift_coords
from geodata.model import Level

LEVELS = [Level.STREET, Level.COMMUNITY, Level.COMPOUND, Level.GRID]
FORMATS = ["geojson", "gpkg", "shp", "zip"]
METRIC = 32650
TOLERANCE_M = 0.5


@pytest.fixture(scope="module")
def exported(street_store_path: Path, tmp_path_factory) -> dict[Level, gpd.GeoDataFrame]:
    """Each level of the street demo, as `gridboard export` writes it."""
    folder = tmp_path_factory.mktemp("exported")
    out = {}
    for level in LEVELS:
        path = folder / f"{level.value}.gpkg"
        main(
            ["export", "--data", str(street_store_path), "--level", level.value, "--out", str(path)]
        )
        out[level] = gpd.read_file(path, engine="pyogrio")
    return out


def _reproject(frame: gpd.GeoDataFrame, crs: str) -> gpd.GeoDataFrame:
    if crs == "gcj02":  # lon/lat as drawn on AMap, and no CRS a reader could tell apart
        return frame.set_geometry(shapely.transform(frame.geometry.values, shift_coords))
    return frame.to_crs(crs)


def _write(frame: gpd.GeoDataFrame, folder: Path, stem: str, fmt: str) -> Path:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # Shapefile field names are cut to 10 characters
        if fmt in ("shp", "zip"):
            path = folder / f"{stem}.shp"
            frame.to_file(path, engine="pyogrio", encoding="UTF-8")
            if fmt == "shp":
                return path
            archive = folder / f"{stem}.zip"
            with zipfile.ZipFile(archive, "w") as zf:
                for part in folder.glob(f"{stem}.*"):
                    if part.suffix != ".zip":
                        zf.write(part, f"boundaries/{part.name}")
            return archive
        path = folder / f"{stem}.{fmt}"
        frame.to_file(path, engine="pyogrio", driver="GeoJSON" if fmt == "geojson" else "GPKG")
        return path


@pytest.mark.parametrize("crs", ["EPSG:4549", "gcj02"])
@pytest.mark.parametrize("fmt", FORMATS)
def test_round_trip_gives_back_the_same_areas(exported, street_store, tmp_path, fmt, crs):
    store_path = tmp_path / "new.gpkg"  # does not exist yet: the first import makes it
    for level in LEVELS:
        path = _write(_reproject(exported[level], crs), tmp_path, level.value, fmt)
        args = ["import", "boundaries", str(path), "--data", str(store_path)]
        args += ["--level", level.value]
        if crs == "gcj02":
            args += ["--crs", "gcj02"]
        main(args)
    with open_store(store_path, readonly=True) as store:
        for level in LEVELS:
            want = street_store.areas(level).set_index("code").to_crs(METRIC)
            got = store.areas(level).set_index("code").to_crs(METRIC)
            assert list(got.index) == list(want.index), level
            assert (got["name"] == want["name"]).all()
            assert (got["parent_code"].fillna("") == want["parent_code"].fillna("")).all()
            distance = shapely.hausdorff_distance(got.geometry.values, want.geometry.values)
            assert distance.max() < TOLERANCE_M, (level, distance.max())
        assert len(store.areas(Level.GRID, parent=street_store.areas(Level.COMPOUND)["code"][0]))


def _cells_without_codes(exported) -> gpd.GeoDataFrame:
    cells = exported[Level.GRID][["name", "geometry"]].copy()
    cells = cells.rename(columns={"name": "网格名称"})
    return cells.iloc[::-1].reset_index(drop=True)  # the file's order must not matter


def test_codes_are_generated_in_reading_order_and_parents_found_by_location(exported):
    cells = bd.map_fields(_cells_without_codes(exported), Level.GRID)
    assert cells["code"].isna().all() and cells["parent_code"].isna().all()
    communities = exported[Level.COMMUNITY]
    cells = bd.assign_parents(cells, Level.GRID, communities)
    cells = bd.generate_codes(cells, Level.GRID)
    want = exported[Level.GRID].set_index("name")
    got = cells.set_index("网格名称" if "网格名称" in cells else "name")
    assert (got["parent_code"] == want.loc[got.index, "community_code"]).all()
    # The demo numbers its cells by the same rule: generated codes are the demo's own.
    assert (got["code"] == want.loc[got.index, "code"]).all()


def test_parents_by_name_and_codes_after_those_taken(exported):
    compounds = exported[Level.COMPOUND].iloc[:3][["name", "geometry"]].copy()
    communities = exported[Level.COMMUNITY]
    first = communities["code"].iloc[0]
    compounds["所属社区"] = communities["name"].iloc[0]
    mapped = bd.map_fields(compounds, Level.COMPOUND)
    mapped = bd.assign_parents(mapped, Level.COMPOUND, communities)
    assert (mapped["parent_code"] == first).all()
    coded = bd.generate_codes(mapped, Level.COMPOUND, taken=[first + "XQ007"])
    assert sorted(coded["code"]) == [first + f"XQ{n:03d}" for n in (8, 9, 10)]


@pytest.mark.parametrize(
    ("columns", "expected"),
    [
        (["名称", "编码", "所属社区"], ("名称", "编码", "所属社区")),
        (["NAME", "CODE", "PARENT"], ("NAME", "CODE", "PARENT")),
        (["网格名称", "网格编码", "社区编码"], ("网格名称", "网格编码", "社区编码")),
        (["name", "code", "parent_cod"], ("name", "code", "parent_cod")),
        (["小区名称", "id"], ("小区名称", "id", None)),
    ],
)
def test_fields_recognised_by_their_usual_names(columns, expected):
    frame = gpd.GeoDataFrame(
        {c: ["370832001001001" if c != columns[0] else "甲"] for c in columns},
        geometry=[shapely.box(0, 0, 1, 1)],
        crs=4326,
    )
    mapped = bd.map_fields(frame, Level.GRID)
    name, code, parent = expected
    assert mapped["name"].iloc[0] == frame[name].iloc[0]
    assert mapped["code"].iloc[0] == frame[code].iloc[0]
    assert (mapped["parent_code"].iloc[0] is None) == (parent is None)


def test_a_field_named_by_option_must_exist():
    frame = gpd.GeoDataFrame({"名称": ["甲"]}, geometry=[shapely.box(0, 0, 1, 1)], crs=4326)
    with pytest.raises(bd.BoundaryError, match="no field 'NAMEX' for the name; fields: 名称"):
        bd.map_fields(frame, Level.GRID, name_field="NAMEX")
    unnamed = frame.rename(columns={"名称": "foo"})
    with pytest.raises(bd.BoundaryError, match="no name field found"):
        bd.map_fields(unnamed, Level.GRID)


def test_gpkg_with_several_layers_needs_one_chosen(exported, tmp_path):
    path = tmp_path / "two.gpkg"
    for level in (Level.COMMUNITY, Level.GRID):
        exported[level].to_file(path, layer=level.value, engine="pyogrio")
    with pytest.raises(
        bd.BoundaryError, match="2 layers; choose one with --layer: community, grid"
    ):
        bd.read_boundaries(path)
    with pytest.raises(bd.BoundaryError, match="no layer 'cells'"):
        bd.read_boundaries(path, layer="cells")
    assert len(bd.read_boundaries(path, layer="grid")) == len(exported[Level.GRID])


def test_a_crs_option_overrides_and_z_is_dropped(tmp_path):
    square = shapely.Polygon([(416000, 3962000, 5), (416200, 3962000, 5), (416200, 3962200, 5)])
    frame = gpd.GeoDataFrame({"name": ["甲"]}, geometry=[square], crs=4326)
    path = tmp_path / "wrong.geojson"
    frame.to_file(path, engine="pyogrio")
    with pytest.raises(bd.BoundaryError, match="do not fit"):
        bd.read_boundaries(path)
    read = bd.read_boundaries(path, crs="EPSG:32650")
    assert not shapely.has_z(read.geometry.values).any()
    assert np.allclose(read.total_bounds[[0, 1]], [116.07, 35.79], atol=0.02)
