"""Case import at city scale: assigning 1,000,000 cases to grid cell and compound (vs sjoin),
checking them, and `gridboard import cases` end to end (vs pandas read_csv + to_sql)."""

from __future__ import annotations

import datetime as dt
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd

from geodata.backends import open_store
from geodata.importer import check_cases
from geodata.locate import Locator
from geodata.model import CATEGORIES, Level
from geodata.tabular import Mapping

ROWS = 1_000_000
BUDGET_ROWS_S = 300_000


def _points(cells: gpd.GeoDataFrame, n: int, seed: int = 1) -> tuple[np.ndarray, np.ndarray]:
    """Random points in random cells' bounding boxes (about 99 % inside some cell)."""
    rng = np.random.default_rng(seed)
    bounds = cells.bounds.to_numpy()[rng.integers(0, len(cells), n)]
    x = bounds[:, 0] + (bounds[:, 2] - bounds[:, 0]) * rng.random(n)
    y = bounds[:, 1] + (bounds[:, 3] - bounds[:, 1]) * rng.random(n)
    return x, y


def _sjoin(x: np.ndarray, y: np.ndarray, cells: gpd.GeoDataFrame, compounds: gpd.GeoDataFrame):
    """The naive way: geopandas sjoin of the points into cells, then into compounds."""
    points = gpd.GeoDataFrame(geometry=gpd.points_from_xy(x, y), crs=cells.crs)
    in_cells = gpd.sjoin(points, cells[["code", "geometry"]], predicate="within", how="left")
    in_compounds = gpd.sjoin(points, compounds[["code", "geometry"]], predicate="within")
    return in_cells, in_compounds


def _text_table(x: np.ndarray, y: np.ndarray, seed: int = 2) -> pd.DataFrame:
    """The points as a case file reads: every cell text."""
    rng = np.random.default_rng(seed)
    codes = np.array([c.code for c in CATEGORIES])
    n = len(x)
    minutes = rng.integers(0, 300 * 24 * 60, n).astype("timedelta64[m]")
    return pd.DataFrame(
        {
            "id": np.char.add("B", np.arange(n).astype(str)).astype(object),
            "category": codes[rng.integers(0, len(codes), n)].astype(object),
            "status": "reported",
            "lon": np.round(x, 6).astype(str).astype(object),
            "lat": np.round(y, 6).astype(str).astype(object),
            "reported_at": np.datetime_as_string(
                np.datetime64("2026-01-01T00:00") + minutes, unit="m"
            ).astype(object),
        },
        index=np.arange(2, n + 2),
    )


def _end_to_end(city: Path, table: pd.DataFrame):
    """`gridboard import cases` of `table` as a CSV file into a copy of the city store (a
    process of its own, as a user runs it), and the naive way: pandas read_csv and to_sql
    into another copy, no checks, no areas, no rollups."""
    from .common import OUT, Result

    OUT.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=OUT) as tmp:
        folder = Path(tmp)
        csv, store = folder / "cases.csv", folder / "city.gpkg"
        table.to_csv(csv, index=False)
        shutil.copy(city, store)
        command = [sys.executable, "-m", "dashboard.cli", "import", "cases", str(csv)]
        command += ["--data", str(store), "--skip-bad", "--rejects", str(folder / "bad.csv")]
        started = time.perf_counter()
        done = subprocess.run(command, capture_output=True, text=True, check=True)
        ours_s = time.perf_counter() - started
        shutil.copy(city, store)
        started = time.perf_counter()
        with sqlite3.connect(store) as con:
            pd.read_csv(csv, dtype=str).to_sql("naive_cases", con, index=False, chunksize=100_000)
        naive_s = time.perf_counter() - started
    said = done.stdout.strip().splitlines()[-1] if done.stdout.strip() else ""
    return Result(
        f"import: `gridboard import cases` of {len(table):,} rows, end to end"
        " (budget ≥ 300k rows/s)",
        ours_s,
        "s",
        baseline=naive_s,
        budget=len(table) / BUDGET_ROWS_S,
        note=f"{len(table) / ours_s:,.0f} rows/s into the city store; naive read_csv + to_sql"
        f" (no checks, areas, rollups or indexes) {len(table) / naive_s:,.0f} rows/s; {said}",
    )


def run(city: Path, as_of: dt.date) -> list:
    from .common import Result

    with open_store(city, readonly=True) as store:
        levels = [
            store.areas(lv) for lv in (Level.GRID, Level.COMPOUND, Level.COMMUNITY, Level.STREET)
        ]
    cells, compounds = levels[0], levels[1]
    x, y = _points(cells, ROWS)
    started = time.perf_counter()
    locator = Locator(*levels)
    ours = locator.locate(x, y)
    ours_s = time.perf_counter() - started
    started = time.perf_counter()
    in_cells, _ = _sjoin(x, y, cells, compounds)
    sjoin_s = time.perf_counter() - started
    agree = (
        in_cells[~in_cells.index.duplicated()]["code"].fillna("").to_numpy()
        == ours["grid_code"].fillna("").to_numpy()
    ).mean()
    table = _text_table(x, y)
    started = time.perf_counter()
    check_cases(table, Mapping(), locator, set())
    check_s = time.perf_counter() - started
    note = f"{len(cells):,} cells, {len(compounds):,} compounds; same cell as sjoin for {agree:.4%}"
    return [
        Result(
            f"import: assign {ROWS:,} cases to cell and compound (budget ≥ 300k rows/s)",
            ours_s,
            "s",
            baseline=sjoin_s,
            budget=ROWS / BUDGET_ROWS_S,
            note=f"{ROWS / ours_s:,.0f} rows/s (locator built inside); geopandas sjoin"
            f" {ROWS / sjoin_s:,.0f} rows/s; {note}",
        ),
        Result(
            f"import: check {ROWS:,} case rows (parse, validate, assign)",
            check_s,
            "s",
            note=f"{ROWS / check_s:,.0f} rows/s from text cells to rows ready for the store",
        ),
        _end_to_end(city, table),
    ]
