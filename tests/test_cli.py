"""The `gridboard` console script, run as a user would: a subprocess, judged by exit and output."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pyogrio
import pytest

from geodata.backends import open_store
from geodata.model import Level
from tests.conftest import DEMO_AS_OF
from tests.storekit import file_dump as _digest


def gridboard(*args: str, env: dict | None = None) -> subprocess.CompletedProcess:
    script = Path(sys.executable).with_name("gridboard")
    command = [str(script)] if script.exists() else [sys.executable, "-m", "dashboard.cli"]
    return subprocess.run(
        [*command, *map(str, args)],
        capture_output=True,
        text=True,
        timeout=300,
        env={**os.environ, **(env or {})},
    )


def assert_one_line_error(result: subprocess.CompletedProcess, *words: str) -> None:
    assert result.returncode != 0
    assert "Traceback" not in result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("gridboard: error:")
    for word in words:
        assert word in lines[0]


def test_demo_then_info_reports_every_level(tmp_path):
    out = tmp_path / "demo.gpkg"
    built = gridboard(
        "demo", "--scale", "street", "--seed", "3", "--as-of", "2026-11-28", "--out", out
    )
    assert built.returncode == 0, built.stderr
    info = gridboard("info", "--data", out, "--json")
    assert info.returncode == 0, info.stderr
    report = json.loads(info.stdout)
    with open_store(out, readonly=True) as store:
        for level in Level:
            assert report["levels"][level.value] == len(store.areas(level))
        assert report["tables"] == store.counts()
    assert report["meta"]["seed"] == "3" and report["meta"]["as_of"] == "2026-11-28"
    assert report["levels"]["street"] == 1 and report["tables"]["cases"] > 1000
    # no temporary file left; the demo accounts' passwords beside the store
    assert sorted(p.name for p in tmp_path.iterdir()) == ["demo.gpkg", "demo.gpkg.accounts.txt"]


def test_info_in_plain_text(street_store_path):
    result = gridboard("info", "--data", street_store_path)
    assert result.returncode == 0
    assert "grid_cells" in result.stdout and DEMO_AS_OF.isoformat() in result.stdout


@pytest.mark.parametrize("suffix", [".geojson", ".gpkg"])
def test_export_writes_areas_with_codes_and_parents(street_store_path, tmp_path, suffix):
    out = tmp_path / f"grid{suffix}"
    result = gridboard("export", "--data", street_store_path, "--level", "grid", "--out", out)
    assert result.returncode == 0, result.stderr
    exported = pyogrio.read_dataframe(out)
    with open_store(street_store_path, readonly=True) as store:
        cells = store.areas(Level.GRID)
    assert sorted(exported["code"]) == sorted(cells["code"])
    assert (exported["parent_code"] == exported["code"].str[:12]).all()
    assert exported.crs.to_epsg() == 4326


@pytest.mark.parametrize(
    ("args", "words"),
    [
        (["demo", "--scale", "town", "--out", "x.gpkg"], ["town"]),
        (["demo", "--as-of", "2026-13-01", "--out", "x.gpkg"], ["2026-13-01"]),
        (["demo", "--as-of", "0001-01-01", "--out", "x.gpkg"], ["0001-01-01"]),
        (["demo", "--seed", "-1", "--out", "x.gpkg"], ["-1"]),
        (["serve", "--data", "missing.gpkg", "--port", "0"], ["port"]),
        (["demo", "--out", "/no/such/folder/x.gpkg"], ["/no/such/folder", "does not exist"]),
        (["demo", "--out", "/proc/gridboard-test.gpkg"], ["/proc"]),
        (["info", "--data", "missing.gpkg"], ["missing.gpkg", "no such file"]),
        (["export", "--data", "missing.gpkg", "--level", "grid", "--out", "a.shp"], [".shp"]),
        (["export", "--data", "missing.gpkg", "--level", "moon", "--out", "a.gpkg"], ["moon"]),
        (["frobnicate"], ["frobnicate"]),
    ],
)
def test_bad_input_gives_one_line_and_non_zero_exit(tmp_path, monkeypatch, args, words):
    monkeypatch.chdir(tmp_path)
    assert_one_line_error(gridboard(*args), *words)
    assert not (tmp_path / "x.gpkg").exists()


def test_a_file_that_is_not_a_store(tmp_path):
    notes = tmp_path / "notes.gpkg"
    notes.write_text("not a database")
    assert_one_line_error(gridboard("info", "--data", notes), "not a gridboard store")
    # demo refuses to overwrite a file that is not a gridboard store
    assert_one_line_error(gridboard("demo", "--out", notes), "not a gridboard store")
    assert notes.read_text() == "not a database"


def test_demo_replaces_a_store_only_when_complete(street_store_path, tmp_path):
    target = tmp_path / "store.gpkg"
    shutil.copy(street_store_path, target)
    before = _digest(target)
    # an impossible date stops the run before anything is written
    assert_one_line_error(gridboard("demo", "--as-of", "someday", "--out", target))
    assert _digest(target) == before


def _small_disk() -> None:
    """In the child: files may grow to 2 MB only, and going past it is an error (EFBIG, which
    SQLite reports as a disk I/O error), not a kill."""
    import resource
    import signal

    signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
    resource.setrlimit(resource.RLIMIT_FSIZE, (2 << 20, 2 << 20))


def test_demo_refused_by_the_disk_keeps_the_store(street_store_path, tmp_path):
    target = tmp_path / "store.gpkg"
    shutil.copy(street_store_path, target)
    before = _digest(target)
    script = Path(sys.executable).with_name("gridboard")
    result = subprocess.run(
        [str(script), "demo", "--as-of", "2026-11-28", "--out", str(target)],
        capture_output=True,
        text=True,
        timeout=300,
        preexec_fn=_small_disk,
    )
    assert result.returncode != 0 and "Traceback" not in result.stderr
    last = result.stderr.strip().splitlines()[-1]
    assert last.startswith(f"gridboard: error: {target}: the disk refused the write (disk I/O")
    assert last.endswith(f"; {target} is untouched") and "rollback" not in last
    assert _digest(target) == before
    assert [p.name for p in tmp_path.iterdir()] == ["store.gpkg"]  # no temporary file left


def test_demo_on_a_full_disk_says_so_and_keeps_the_store(
    street_store_path, tmp_path, monkeypatch, capsys
):
    """SQLite's own SQLITE_FULL, from a page limit on every connection the store opens."""
    from dashboard.cli import main
    from geodata.gpkg.connection import Connection

    opened = Connection._open_connection

    def small(self):
        con = opened(self)
        con.execute("PRAGMA max_page_count = 300")
        return con

    monkeypatch.setattr(Connection, "_open_connection", small)
    target = tmp_path / "store.gpkg"
    shutil.copy(street_store_path, target)
    before = _digest(target)
    with pytest.raises(SystemExit) as exit_:
        main(["demo", "--as-of", "2026-11-28", "--out", str(target)])
    assert exit_.value.code != 0
    last = capsys.readouterr().err.strip().splitlines()[-1]
    assert last == (
        f"gridboard: error: {target}: the disk is full (database or disk is full);"
        f" {target} is untouched"
    )
    assert _digest(target) == before
    assert [p.name for p in tmp_path.iterdir()] == ["store.gpkg"]


def test_serve_with_bad_settings(street_store_path):
    result = gridboard("serve", "--data", street_store_path, env={"GRIDBOARD_PORT": "abc"})
    assert_one_line_error(result, "GRIDBOARD_PORT")
    assert_one_line_error(gridboard("serve", "--data", "missing.gpkg"), "no such file")


def test_a_demo_of_today_ends_now(tmp_path):
    """The default as-of day is today: its history ends at the moment of the build, nothing
    reported or done in the future."""
    import pandas as pd

    out = tmp_path / "today.gpkg"
    built = gridboard("demo", "--scale", "street", "--out", out)
    assert built.returncode == 0, built.stderr
    after = pd.Timestamp.now(tz="UTC")
    with open_store(out, readonly=True) as store:
        cases = store.cases()
        assert cases["reported_at"].max() <= after
        for column in ("registered_at", "dispatched_at", "closed_at"):
            assert cases[column].max() <= after, column
