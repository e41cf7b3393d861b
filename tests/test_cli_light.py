"""The command line loads Dash and plotly only to serve: every other command runs without them."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

from dashboard.readers import routes as routedata
from geodata.backends import open_store
from tests.conftest import DEMO_AS_OF
from tests.test_importer import GOOD

HEAVY = ["dash", "plotly"]

# Runs the commands (JSON in argv[1]) in one fresh interpreter through the console script's
# entry point, then prints each command's exit code and which of the modules in argv[2] it loaded.
PROBE = """
import json, sys
from dashboard.cli import main

codes = []
for argv in json.loads(sys.argv[1]):
    try:
        main(argv)
        codes.append([argv[0], 0])
    except SystemExit as exc:
        codes.append([argv[0], exc.code])
loaded = sorted(name for name in sys.argv[2].split() if name in sys.modules)
print(json.dumps({"codes": codes, "loaded": loaded}))
"""


def probe(runs: list[list]) -> dict:
    commands = json.dumps([[str(arg) for arg in argv] for argv in runs])
    done = subprocess.run(
        [sys.executable, "-c", PROBE, commands, " ".join(HEAVY)],
        capture_output=True,
        text=True,
        timeout=600,
        cwd=Path(__file__).parent.parent,
    )
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout.strip().splitlines()[-1])


def test_commands_other_than_serve_do_not_load_dash(street_store_path: Path, tmp_path: Path):
    data = tmp_path / "street.gpkg"
    shutil.copy(street_store_path, data)  # `import cases` writes to it
    with open_store(data, readonly=True) as store:
        worker = routedata.workers(store)[0].id
    day = DEMO_AS_OF.isoformat()
    found = probe([
        ["--help"],
        ["import", "--help"],
        ["demo", "--as-of", day, "--out", tmp_path / "demo.gpkg"],
        ["info", "--data", data, "--json"],
        ["export", "--data", data, "--level", "grid", "--out", tmp_path / "grid.gpkg"],
        ["export", "--data", data, "--level", "grid", "--metrics", "--headers", "en",
         "--out", tmp_path / "grid.csv"],
        ["validate", "--data", data, "--out", tmp_path / "problems.geojson"],
        ["import", "cases", GOOD / "cases_gbk.csv", "--data", data],
        ["route", "--data", data, "--list-workers"],
        ["route", "--data", data, "--worker", worker, "--date", day, "--json",
         "--out", tmp_path / "route.html", "--gpx", tmp_path / "route.gpx",
         "--csv", tmp_path / "route.csv"],
        ["report", "--data", data, "--period", "2026-W47", "--out", tmp_path / "report.html"],
    ])  # fmt: skip
    assert found["loaded"] == []
    # each command did its work (validate exits 1 when it finds problems)
    assert [code for command, code in found["codes"] if command != "validate"] == [0] * 10
    made = {"demo.gpkg", "grid.gpkg", "grid.csv", "route.html", "report.html"}
    assert made <= set(os.listdir(tmp_path))


def test_serve_loads_dash(tmp_path: Path):
    """The probe sees Dash when a command loads it: serve does, before it opens the store."""
    found = probe([["serve", "--data", tmp_path / "missing.gpkg"]])
    assert found["codes"] == [["serve", 1]]
    assert found["loaded"] == HEAVY
