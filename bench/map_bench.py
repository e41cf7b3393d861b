"""The supervisor map at city scale: first payloads, the recolour Patch, click → panel time."""

from __future__ import annotations

import datetime as dt
import gzip
import json
import statistics
import time
from pathlib import Path

import flask
import numpy as np
from dash import Patch, no_update
from plotly.utils import PlotlyJSONEncoder

from dashboard import context, panel
from dashboard.app import create_app
from dashboard.readers import map as map_reader
from dashboard.settings import Settings
from geodata.backends import open_store
from geodata.model import Level
from geodata.store import Store
from layers.access import Principal, Reach
from layers.view import CITY, ViewState

from .common import Result

CLICKS = 200  # areas clicked, half compounds and half grid cells
# The command centre: the whole city, residents' data masked (no audit write per click).
CITY_VIEWER = Principal("bench", "user", ("city",), Reach(city=True), street_codes=None)


def _size(obj: object) -> tuple[int, int]:
    """Bytes of the JSON Dash sends for `obj`, raw and gzipped."""
    raw = json.dumps(obj, cls=PlotlyJSONEncoder).encode()
    return len(raw), len(gzip.compress(raw, 6))


def _response(parts: tuple) -> list:
    """The outputs of one map callback, as Dash sends them (a Patch as its operations)."""
    return [p.to_plotly_json() if isinstance(p, Patch) else p for p in parts if p is not no_update]


def _shapes_size(view: ViewState) -> tuple[int, int]:
    """Bytes of the shapes the view's figure fetches from the geometry route, raw and gzipped."""
    src = context.source()
    files = [
        map_reader.shape_file(src, level, view.street, src.revision())
        for level in view.shown_areas()
    ]
    return sum(len(gzip.decompress(f.body)) for f in files), sum(len(f.body) for f in files)


def _payloads(render, view: ViewState, label: str) -> list[Result]:
    """The whole first load (figure, paint, notice, and the shapes the figure fetches) against
    the whole recolour response."""
    first = render(view, None)
    figure_raw, figure_gz = _size(_response(first))
    shapes_raw, shapes_gz = _shapes_size(view)
    full_raw, full_gz = figure_raw + shapes_raw, figure_gz + shapes_gz
    recoloured = ViewState.from_dict(view.as_dict() | {"metric": "visits_per_100"})
    patch_raw, patch_gz = _size(_response(render(recoloured, first[-1])))
    return [
        Result(
            f"first map payload, {label} (raw)",
            full_raw / 1e3,
            "KB",
            note=f"figure {figure_raw / 1e3:.0f} KB + shapes {shapes_raw / 1e3:.0f} KB",
        ),
        Result(
            f"first map payload, {label} (gzip)",
            full_gz / 1e3,
            "KB",
            note=f"figure {figure_gz / 1e3:.0f} KB + shapes {shapes_gz / 1e3:.0f} KB",
        ),
        Result(
            f"recolour response, {label} (raw, % of first payload)",
            100 * patch_raw / full_raw,
            "%",
            budget=2.0,
            note=f"{patch_raw / 1e3:.1f} KB",
        ),
        Result(
            f"recolour response, {label} (gzip, % of first payload)",
            100 * patch_gz / full_gz,
            "%",
            # Not budgeted: gzip squeezes the geometry ~8×, but not the hover values, whose
            # own information (~10 bits an area at one decimal) exceeds 2 % of it per street.
            note=f"{patch_gz / 1e3:.1f} KB",
        ),
    ]


def _click_times(store: Store, codes: list[str], street_of: dict[str, str]) -> list[float]:
    times = []
    for code in codes:
        view = ViewState(street=street_of[code], area=code).as_dict()
        started = time.perf_counter()
        panel.panel_children(store, view)
        times.append(time.perf_counter() - started)
    return times


def _percentiles(label: str, times: list[float], budget_ms: float) -> list[Result]:
    ms = np.array(times) * 1000
    return [
        Result(f"click → panel, {label}, p50", float(np.percentile(ms, 50)), "ms"),
        Result(
            f"click → panel, {label}, p95", float(np.percentile(ms, 95)), "ms", budget=budget_ms
        ),
    ]


def run(city: Path, as_of: dt.date) -> list[Result]:
    del as_of  # the page takes it from the store
    with open_store(city, readonly=True) as store:
        app = create_app(Settings.from_env({}, data=city), store)
        from dashboard.pages.map import render_map  # registered by create_app

        results: list[Result] = []
        with app.server.test_request_context():
            flask.g.principal = CITY_VIEWER  # what the gate sets for a signed-in user
            street = store.areas(Level.STREET)["code"].iloc[0]
            results += _payloads(render_map, ViewState(street=street), "one street")
            results += _payloads(render_map, ViewState(street=CITY), "whole city")
            rng = np.random.default_rng(1)
            areas = [store.areas(Level.COMPOUND), store.areas(Level.GRID)]
            picks = [rng.choice(a["code"].to_numpy(), CLICKS // 2, replace=False) for a in areas]
            codes = [str(c) for pick in picks for c in pick]
            street_of = {c: c[:9] for c in codes}
            cold = _click_times(store, codes, street_of)
            warm = _click_times(store, codes, street_of)
        results += _percentiles("first click on each area (cold)", cold, 300.0)
        results += _percentiles("clicked again (warm)", warm, 50.0)
        results.append(
            Result("click → panel, mean", statistics.mean(warm) * 1000, "ms", note="warm")
        )
    return results
