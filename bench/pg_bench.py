"""PostGIS: the city copied in (`gridboard migrate`), and `gridboard import cases` end to end
(vs a bare COPY). The region's part is bench/region_bench.py."""

from __future__ import annotations

import datetime as dt
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import psycopg

from geodata import transfer
from geodata.backends import open_store
from geodata.model import Level
from tests import pgserver

from .common import OUT, Result
from .import_bench import BUDGET_ROWS_S, ROWS, _points, _text_table


def run(city: Path, as_of: dt.date) -> list[Result]:
    del as_of
    with pgserver.server() as admin, pgserver.database(admin, "gridboard_bench") as url:
        return [_copy(city, url), _import(url)]


def _copy(city: Path, url: str) -> Result:
    started = time.perf_counter()
    with open_store(city, readonly=True) as source, open_store(url, create=True) as target:
        copied = transfer.copy_store(source, target)
    took = time.perf_counter() - started
    rows = sum(copied.values())
    return Result(
        "PostGIS: the city copied in (`gridboard migrate`, digest checked)",
        took,
        "s",
        note=f"{rows:,} rows, {rows / took:,.0f} rows/s, with both digests",
    )


def _import(url: str) -> Result:
    """`gridboard import cases` of ROWS rows into the PostGIS city, against COPY of the same
    file into a bare table (no checks, areas, rollups or indexes)."""
    with open_store(url, readonly=True) as store:
        cells = store.areas(Level.GRID)
    x, y = _points(cells, ROWS)
    OUT.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=OUT) as tmp:
        csv = Path(tmp) / "cases.csv"
        _text_table(x, y).to_csv(csv, index=False)
        command = [sys.executable, "-m", "dashboard.cli", "import", "cases", str(csv)]
        command += ["--data", url, "--skip-bad", "--rejects", str(Path(tmp) / "bad.csv")]
        started = time.perf_counter()
        done = subprocess.run(command, capture_output=True, text=True, check=True)
        ours_s = time.perf_counter() - started
        started = time.perf_counter()
        with psycopg.connect(url) as con, csv.open("rb") as fh:
            con.execute(
                "CREATE TEMP TABLE naive_cases (id text, category text, status text, lon text,"
                " lat text, reported_at text)"
            )
            with con.cursor().copy("COPY naive_cases FROM STDIN (FORMAT csv, HEADER)") as copy:
                while chunk := fh.read(1 << 20):
                    copy.write(chunk)
        naive_s = time.perf_counter() - started
    said = done.stdout.strip().splitlines()[-1] if done.stdout.strip() else ""
    return Result(
        f"PostGIS: `gridboard import cases` of {ROWS:,} rows, end to end (budget ≥ 300k rows/s)",
        ours_s,
        "s",
        baseline=naive_s,
        budget=ROWS / BUDGET_ROWS_S,
        note=f"{ROWS / ours_s:,.0f} rows/s; a bare COPY of the file {ROWS / naive_s:,.0f}"
        f" rows/s; {said}",
    )
