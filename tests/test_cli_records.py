"""`gridboard import cases|visits|staff|open311`: messages, exit codes, and a killed import."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import shapely

from dashboard.cli import main
from geodata.backends import open_store
from geodata.model import CATEGORIES, Level
from tests.test_importer import BAD, GOOD, digest

KILL_ROWS = 1_000_000


@pytest.fixture
def store_path(street_store_path: Path, tmp_path: Path) -> Path:
    path = tmp_path / "street.gpkg"
    shutil.copy(street_store_path, path)
    return path


def run(argv: list[str], capsys) -> tuple[int, str, str]:
    try:
        main(argv)
        code = 0
    except SystemExit as exc:
        code = exc.code
    out = capsys.readouterr()
    return code, out.out, out.err


def _cell_points(store_path: Path, n: int = 3) -> tuple[list[str], np.ndarray, np.ndarray]:
    """Codes and WGS-84 centres (well inside) of the first `n` grid cells."""
    with open_store(store_path, readonly=True) as store:
        cells = store.areas(Level.GRID).iloc[:n]
    inner = shapely.point_on_surface(cells.geometry.values)
    return list(cells["code"]), shapely.get_x(inner), shapely.get_y(inner)


@pytest.mark.parametrize("crs", ["gcj02", "EPSG:4549"])
def test_cases_in_another_crs_land_in_their_cells(store_path, tmp_path, capsys, crs):
    import pyproj

    from geodata.gcj02 import wgs84_to_gcj02

    codes, lon, lat = _cell_points(store_path)
    if crs == "gcj02":
        x, y = wgs84_to_gcj02(lon, lat)
    else:
        x, y = pyproj.Transformer.from_crs(4326, crs, always_xy=True).transform(lon, lat)
    path = tmp_path / "c.csv"
    rows = "".join(f"G{i},noise,{x[i]:.6f},{y[i]:.6f},2026-11-20 10:00\n" for i in range(3))
    path.write_text("id,category,lon,lat,reported_at\n" + rows, encoding="utf-8")
    argv = ["import", "cases", str(path), "--data", str(store_path), "--crs", crs]
    code, _, err = run(argv, capsys)
    assert code == 0, err
    with open_store(store_path, readonly=True) as store:
        cases = store.cases().set_index("id").loc[["G0", "G1", "G2"]]
    assert list(cases["grid_code"]) == codes
    assert np.allclose(cases["lon"], lon, atol=1e-6) and np.allclose(cases["lat"], lat, atol=1e-6)


def test_a_bad_crs_for_records_gives_one_line(store_path, capsys):
    argv = ["import", "open311", str(GOOD / "open311.json"), "--data", str(store_path)]
    before = digest(store_path)
    code, _, err = run([*argv, "--crs", "EPSG:999999"], capsys)
    assert code != 0 and err.strip().splitlines() == [
        "gridboard: error: --crs 'EPSG:999999' is not a coordinate reference system"
        " (try EPSG:4549 or gcj02)"
    ]
    assert digest(store_path) == before


def test_import_cases(store_path, capsys):
    code, out, _ = run(
        ["import", "cases", str(GOOD / "cases_gbk.csv"), "--data", str(store_path)], capsys
    )
    assert code == 0
    assert out.strip() == f"wrote 4 cases from {GOOD / 'cases_gbk.csv'} to {store_path}"


def test_every_bad_row_is_printed_and_the_store_is_unchanged(store_path, capsys):
    before = digest(store_path)
    code, out, err = run(
        ["import", "cases", str(BAD / "impossible_dates.csv"), "--data", str(store_path)], capsys
    )
    assert code == 1 and out == ""
    lines = err.strip().splitlines()
    assert lines[0].startswith("read 3 rows")
    assert lines[1] == "  line 2: reported_at '2026-02-30 10:00' is not a real date or time" + (
        " (no such day, hour or minute)"
    )
    assert lines[-1].startswith(f"gridboard: error: {BAD / 'impossible_dates.csv'}: 3 of 3 rows")
    assert digest(store_path) == before


def test_skip_bad_and_rejects(store_path, tmp_path, capsys):
    rejects = tmp_path / "bad.csv"
    argv = ["import", "cases", str(BAD / "unknown_category.csv"), "--data", str(store_path),
            "--skip-bad", "--rejects", str(rejects)]  # fmt: skip
    code, out, _ = run(argv, capsys)
    assert code == 0 and out.strip().endswith(f"1 bad rows written to {rejects}")
    assert "独角兽" in rejects.read_text(encoding="utf-8-sig")


def test_an_unwritable_reject_file_is_one_line_and_changes_nothing(store_path, tmp_path, capsys):
    before = digest(store_path)
    argv = ["import", "cases", str(BAD / "unknown_category.csv"), "--data", str(store_path),
            "--skip-bad", "--rejects", "/proc/rej.csv"]  # fmt: skip
    code, out, err = run(argv, capsys)
    assert code == 1 and out == ""
    assert err.strip().splitlines()[-1] == (
        "gridboard: error: /proc/rej.csv: cannot write the reject file (No such file or"
        " directory); nothing was written"
    )
    assert digest(store_path) == before
    # a re-run writes the good row (it is not "in the store already")
    code, out, _ = run([*argv[:-1], str(tmp_path / "r.csv")], capsys)
    assert code == 0 and out.startswith("wrote 1 cases")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["r.csv", "street.gpkg"]


@pytest.mark.parametrize(
    ("kind", "name", "message"),
    [
        ("cases", "empty.csv", "the file is empty"),
        ("cases", "header_only.csv", "no records below the header row"),
        ("open311", "truncated.json", "not valid JSON at line 3"),
        ("cases", "missing.csv", "no such file"),
    ],
)
def test_file_problems_are_one_line(store_path, capsys, kind, name, message):
    before = digest(store_path)
    code, _, err = run(["import", kind, str(BAD / name), "--data", str(store_path)], capsys)
    assert code == 1 and len(err.strip().splitlines()) == 1
    assert err.startswith(f"gridboard: error: {BAD / name}: ") and message in err
    assert digest(store_path) == before


def test_visits_staff_and_open311(store_path, capsys):
    for kind, name, count in (("visits", "visits.csv", 2), ("staff", "staff.csv", 3),
                              ("open311", "open311.json", 2)):  # fmt: skip
        code, out, err = run(["import", kind, str(GOOD / name), "--data", str(store_path)], capsys)
        assert code == 0, err
        assert out.startswith(f"wrote {count} ")


def test_a_bad_mapping_file_is_one_line(store_path, tmp_path, capsys):
    mapping = tmp_path / "m.toml"
    mapping.write_text("[columns]\nfoo = 'bar'\n", encoding="utf-8")
    argv = ["import", "cases", str(GOOD / "cases.csv"), "--data", str(store_path),
            "--mapping", str(mapping)]  # fmt: skip
    code, _, err = run(argv, capsys)
    assert code == 1 and "foo is not a cases column" in err


def test_a_missing_store_is_refused(tmp_path, capsys):
    code, _, err = run(
        ["import", "cases", str(GOOD / "cases.csv"), "--data", str(tmp_path / "x.gpkg")], capsys
    )
    assert code == 1 and "no such file" in err


# --- killed mid-way -----------------------------------------------------------------------
def _million_cases(store_path: Path, out: Path, n: int = KILL_ROWS) -> None:
    """`n` valid cases at points inside the store's grid cells, written vectorised."""
    with open_store(store_path, readonly=True) as store:
        cells = store.areas(Level.GRID)
    rng = np.random.default_rng(11)
    inside = shapely.get_coordinates(cells.geometry.representative_point().values)
    xy = inside[rng.integers(0, len(inside), n)]
    codes = np.array([c.code for c in CATEGORIES])
    minutes = rng.integers(0, 300 * 24 * 60, n).astype("timedelta64[m]")
    pd.DataFrame(
        {
            "id": np.char.add("K", np.arange(n).astype(str)),
            "category": codes[rng.integers(0, len(codes), n)],
            "status": "reported",
            "lon": np.round(xy[:, 0], 7),
            "lat": np.round(xy[:, 1], 7),
            "reported_at": np.datetime_as_string(np.datetime64("2026-01-01T00:00") + minutes),
        }
    ).to_csv(out, index=False)


def test_an_import_killed_mid_way_leaves_the_store_as_it_was(store_path, tmp_path):
    source = tmp_path / "million.csv"
    _million_cases(store_path, source)
    before = digest(store_path)
    journal = Path(f"{store_path}-journal")
    wal = Path(f"{store_path}-wal")
    cmd = [sys.executable, "-c", "from dashboard.cli import main; main()",
           "import", "cases", str(source), "--data", str(store_path)]  # fmt: skip
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        deadline = time.monotonic() + 120
        # Kill the moment the write transaction has begun: inserting a million rows and
        # rebuilding the indexes takes seconds, so the import is well inside its write.
        while not (journal.exists() or wal.exists()):
            assert proc.poll() is None, proc.stderr.read().decode()
            assert time.monotonic() < deadline, "the import never started writing"
            time.sleep(0.005)
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait(30)
    finally:
        if proc.poll() is None:
            proc.kill()
        proc.stderr.close()
    assert proc.returncode == -signal.SIGKILL
    assert digest(store_path) == before  # the hot journal is rolled back on opening
    with open_store(store_path, readonly=True) as store:
        assert not store.cases(limit=5)["id"].str.startswith("K").any()
