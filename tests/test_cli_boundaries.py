"""`gridboard import boundaries` and `gridboard validate` as run by a user: bad input, one line."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import geopandas as gpd
import pytest
import shapely

from dashboard.cli import main
from geodata.backends import open_store
from geodata.model import Level
from tests.storekit import file_dump as _digest
from tests.test_cli import assert_one_line_error, gridboard
from tests.test_store_areas import edge_moved, log_writes, written

BAD = Path(__file__).parent / "data" / "bad" / "boundaries"


def run(capsys, *args: object) -> tuple[int, str, str]:
    """Run the CLI in-process: exit code, stdout, stderr."""
    try:
        main([str(a) for a in args])
        code = 0
    except SystemExit as exc:
        code = exc.code if isinstance(exc.code, int) else 1
    out = capsys.readouterr()
    return code, out.out, out.err


def assert_one_line(code: int, err: str, *words: str) -> None:
    assert code != 0
    assert "Traceback" not in err
    lines = err.strip().splitlines()
    assert len(lines) == 1, err
    assert lines[0].startswith("gridboard: error:")
    for word in words:
        assert word in lines[0], lines[0]


@pytest.fixture
def store_copy(street_store_path, tmp_path) -> Path:
    path = tmp_path / "store.gpkg"
    shutil.copy(street_store_path, path)
    return path


@pytest.mark.parametrize(
    ("name", "words"),
    [
        ("truncated.geojson", ["truncated.geojson", "cannot read"]),
        ("wrong_geometry.geojson", ["feature 2 (第2网格) is a LineString, not a polygon"]),
        ("empty.geojson", ["the file is empty"]),
        ("no_prj.shp", ["no coordinate reference system (no .prj file)", "--crs"]),
        ("no_dbf.shp", ["no .dbf file (attribute table)"]),
    ],
)
def test_broken_files_leave_the_store_as_it_was(capsys, store_copy, name, words):
    before = _digest(store_copy)
    code, _, err = run(
        capsys, "import", "boundaries", BAD / name, "--data", store_copy, "--level", "grid"
    )
    assert_one_line(code, err, *words)
    assert _digest(store_copy) == before


def test_a_broken_file_makes_no_new_store(capsys, tmp_path):
    new = tmp_path / "new.gpkg"
    code, _, err = run(
        capsys,
        "import",
        "boundaries",
        BAD / "truncated.geojson",
        "--data",
        new,
        "--level",
        "street",
    )
    assert_one_line(code, err)
    assert not new.exists()


def test_a_shapefile_without_prj_imports_with_crs(capsys, tmp_path):
    new = tmp_path / "new.gpkg"
    street = gpd.GeoDataFrame(
        {"名称": ["水泊街道"], "编码": ["370832001"]},
        geometry=[shapely.box(416000, 3962000, 417000, 3963000)],
        crs=32650,
    )
    street.to_file(tmp_path / "street.shp", engine="pyogrio", encoding="UTF-8")
    (tmp_path / "street.prj").unlink()
    code, out, err = run(
        capsys, "import", "boundaries", tmp_path / "street.shp", "--data", new,
        "--level", "street", "--crs", "EPSG:32650",
    )  # fmt: skip
    assert code == 0, err
    assert "wrote 1 street areas" in out
    with open_store(new, readonly=True) as store:
        assert store.areas(Level.STREET)["name"].tolist() == ["水泊街道"]


def test_streets_without_codes_take_the_county_code(capsys, tmp_path):
    new = tmp_path / "new.gpkg"
    streets = gpd.GeoDataFrame(
        {"名称": ["水泊街道", "杏花村街道"]},
        geometry=[shapely.box(116.0, 35.7, 116.1, 35.8), shapely.box(116.1, 35.7, 116.2, 35.8)],
        crs=4326,
    )
    path = tmp_path / "streets.geojson"
    streets.to_file(path, engine="pyogrio")
    args = ("import", "boundaries", path, "--data", new, "--level", "street")
    code, _, err = run(capsys, *args)
    assert_one_line(code, err, "streets without codes need a county code", "--county-code")
    assert not new.exists()
    assert run(capsys, *args, "--county-code", "37081")[0] != 0
    code, _, err = run(capsys, *args, "--county-code", "370811")
    assert code == 0, err
    with open_store(new, readonly=True) as store:
        assert sorted(store.areas(Level.STREET)["code"]) == ["370811001", "370811002"]


@pytest.mark.parametrize(
    ("extra", "words"),
    [
        (["--level", "city"], ["'city' is not one of"]),
        (["--level", "grid", "--crs", "EPSG:999999"], ["--crs 'EPSG:999999'"]),
        (["--level", "grid", "--crs", "wgs"], ["--crs 'wgs'"]),
        (["--level", "grid", "--name-field", "NAMEX"], ["no field 'NAMEX' for the name"]),
        (["--level", "grid", "--code-field", "BM"], ["no field 'BM' for the code"]),
        (["--level", "grid", "--parent-field", "SQ"], ["no field 'SQ' for the parent"]),
        (["--level", "grid", "--layer", "roads"], ["no layer 'roads'; layers: cells"]),
    ],
)
def test_bad_options_give_one_line(capsys, store_copy, tmp_path, extra, words):
    path = tmp_path / "cells.geojson"
    with open_store(store_copy, readonly=True) as store:
        store.areas(Level.GRID).iloc[:3].to_file(path, engine="pyogrio")
    before = _digest(store_copy)
    code, _, err = run(capsys, "import", "boundaries", path, "--data", store_copy, *extra)
    assert_one_line(code, err, *words)
    assert _digest(store_copy) == before


def test_a_missing_file_gives_one_line_from_the_console_script(store_copy, tmp_path):
    missing = tmp_path / "nowhere.geojson"
    result = gridboard("import", "boundaries", missing, "--data", store_copy, "--level", "grid")
    assert_one_line_error(result, "nowhere.geojson: no such file")


def test_an_import_with_problems_writes_nothing_and_prints_them(capsys, store_copy, tmp_path):
    with open_store(store_copy, readonly=True) as store:
        cells = store.areas(Level.GRID)
    first = cells.geometry.iloc[0]
    cells = cells.set_geometry([first.buffer(0.0005), *cells.geometry.iloc[1:]], crs=4326)
    path = tmp_path / "cells.gpkg"
    cells.to_file(path, engine="pyogrio")
    before = _digest(store_copy)
    code, out, err = run(
        capsys, "import", "boundaries", path, "--data", store_copy, "--level", "grid"
    )
    assert_one_line(code, err, "problems; nothing written")
    assert "overlap" in out and cells["code"].iloc[0] in out
    assert _digest(store_copy) == before


def test_reimporting_cells_replaces_them(capsys, store_copy, tmp_path):
    with open_store(store_copy, readonly=True) as store:
        cells = store.areas(Level.GRID)
        revision = store.revision()
    path = tmp_path / "cells.geojson"
    cells.assign(name=cells["name"] + "（新）").to_file(path, engine="pyogrio")
    code, _, err = run(
        capsys, "import", "boundaries", path, "--data", store_copy, "--level", "grid"
    )
    assert code == 0, err
    with open_store(store_copy, readonly=True) as store:
        assert store.revision() != revision
        again = store.areas(Level.GRID)
        assert len(again) == len(cells) and again["name"].str.endswith("（新）").all()
        assert (again["households"].to_numpy() == cells["households"].to_numpy()).all()


def test_importing_two_cells_reassigns_the_cases_between_them_only(capsys, store_copy, tmp_path):
    with open_store(store_copy, readonly=True) as store:
        [(_, pair)] = edge_moved(store)
        first, second = pair["code"]
        cases = store.cases(second)
    strip = shapely.difference(pair.geometry.iloc[0], shapely.buffer(pair.geometry.iloc[1], 1e-7))
    inside = shapely.contains_xy(strip, cases["lon"], cases["lat"])
    assert inside.sum() > 0
    path = tmp_path / "pair.geojson"
    pair.to_file(path, engine="pyogrio")
    log_writes(store_copy)
    code, _, err = run(
        capsys, "import", "boundaries", path, "--data", store_copy, "--level", "grid"
    )
    assert code == 0, err
    with open_store(store_copy, readonly=True) as store:
        assert set(cases["id"][inside]) <= set(store.cases(first)["id"])
        assert set(cases["id"][~inside]) == set(store.cases(second)["id"])
    assert written(store_copy)["cases"] == set(cases["id"][inside])


def test_validate_the_demo_and_a_broken_copy(capsys, street_store_path, store_copy, tmp_path):
    code, out, err = run(capsys, "validate", "--data", street_store_path)
    assert code == 0, err
    assert "no problems found" in out
    with open_store(store_copy) as store:  # a cell grows over its neighbours
        cells = store.areas(Level.GRID).iloc[:1]
        store.write_areas(
            Level.GRID, cells.set_geometry(shapely.buffer(cells.geometry.values, 0.0003), crs=4326)
        )
    problems = tmp_path / "problems.geojson"
    code, out, err = run(capsys, "validate", "--data", store_copy, "--out", problems)
    assert_one_line(code, err, "problems found")
    assert "overlap" in out
    features = json.loads(problems.read_text(encoding="utf-8"))["features"]
    assert {f["properties"]["problem"] for f in features} >= {"overlap"}


def test_validate_with_bad_options(capsys, tmp_path, street_store_path):
    code, _, err = run(capsys, "validate", "--data", tmp_path / "none.gpkg")
    assert_one_line(code, err, "no such file")
    code, _, err = run(capsys, "validate", "--data", street_store_path, "--out", tmp_path / "p.txt")
    assert_one_line(code, err, "unknown file type")
