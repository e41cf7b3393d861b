"""PostGIS region (five cities, built once into a database kept for later runs): metrics
from the rollups (vs the group-by over rows) and one street's map callback. A suite of its
own, so that a region that cannot be built leaves the other PostGIS results standing."""

from __future__ import annotations

import datetime as dt
import statistics
import subprocess
import sys
import time
from pathlib import Path

import flask
import psycopg

from geodata.backends import open_store
from geodata.model import LOCAL_TZ, Level
from geodata.store import Store, Window
from tests import pgserver

from .common import OUT, Result, median_time

METRICS_BUDGET_MS = 100  # issue 15: any level and window, cold, in PostGIS
REGION_DB = "gridboard_bench_region"  # kept between runs: the build takes many minutes
MAP_BUDGET_MS = 300  # issue 15: one street's map callback, in PostGIS
STREETS = 5  # streets whose map is drawn cold


def run(city: Path, as_of: dt.date) -> list[Result]:
    del city
    with pgserver.server() as admin:
        region, built = _region(admin, as_of)
        results = [built] if built else []
        with open_store(region, readonly=True) as store:
            region_as_of = dt.date.fromisoformat(store.meta()["as_of"])
            results += _metrics(store, region_as_of)
            results.append(_street_maps(store, region))
    return results


def _region(admin: str, as_of: dt.date) -> tuple[str, Result | None]:
    """The region demo's database: the one of an earlier run, or built now (and timed)."""
    url = pgserver.with_database(admin, REGION_DB)
    if pgserver.has_database(admin, REGION_DB):
        with open_store(url, readonly=True) as store:
            scale = store.meta().get("scale")
        if scale == "region":
            open_store(url).close()  # writable once: rollups of an earlier kind upgraded
            return url, None
        with psycopg.connect(admin, autocommit=True) as con:
            con.execute(f'DROP DATABASE "{REGION_DB}" WITH (FORCE)')
    pgserver.create_database(admin, REGION_DB)
    command = [sys.executable, "-m", "dashboard.cli", "demo", "--scale", "region", "--seed", "1"]
    command += ["--as-of", as_of.isoformat(), "--out", url]
    started = time.perf_counter()
    done = subprocess.run(command, capture_output=True, text=True, check=True, cwd=OUT)
    took = time.perf_counter() - started
    said = done.stdout.strip().splitlines()[0] if done.stdout.strip() else ""
    return url, Result("PostGIS: region demo built (once)", took, "s", note=said)


def _metrics(store: Store, as_of: dt.date) -> list[Result]:
    end = dt.datetime.combine(as_of + dt.timedelta(days=1), dt.time(), LOCAL_TZ)
    cells = store.counts()["grid_cells"]
    results = []
    for level in Level:
        for days in (30, 365):
            window = Window(end - dt.timedelta(days=days), end)
            ours = median_time(lambda lv=level, w=window: store.metrics(lv, w))
            raw = median_time(lambda lv=level, w=window: store.raw_metrics(lv, w), repeat=1)
            results.append(
                Result(
                    f"PostGIS region: {level.value} metrics, {days}-day window",
                    ours * 1000,
                    "ms",
                    baseline=raw * 1000,
                    budget=METRICS_BUDGET_MS,
                    note=f"{cells:,} cells; baseline: group-by over the case and visit rows",
                )
            )
    return results


def _street_maps(store: Store, url: str) -> Result:
    """One street's map callback (figure, paint, notice), each street's first: cold."""
    from bench.map_bench import CITY_VIEWER
    from dashboard.app import create_app
    from dashboard.settings import Settings
    from layers.view import ViewState

    app = create_app(Settings.from_env({}, data=url), store)
    from dashboard.pages.map import render_map  # registered by create_app

    streets = store.areas(Level.STREET)["code"].tolist()[
        :: max(1, store.counts()["streets"] // STREETS)
    ]
    times = []
    with app.server.test_request_context():
        flask.g.principal = CITY_VIEWER
        for street in streets[:STREETS]:
            started = time.perf_counter()
            render_map(ViewState(street=street), None)
            times.append(time.perf_counter() - started)
    return Result(
        f"PostGIS region: one street's map callback, cold (worst of {len(times)})",
        max(times) * 1000,
        "ms",
        budget=MAP_BUDGET_MS,
        note="median " + f"{statistics.median(times) * 1000:.0f} ms",
    )
