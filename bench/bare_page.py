"""`python -m bench.bare_page STORE [STREET]`: a bare Dash page with one plotly map of the
compounds and grid cells (the page bench's baseline); prints its URL, serves until stopped."""

from __future__ import annotations

import sys
from pathlib import Path

import dash
import numpy as np
import plotly.graph_objects as go
from dash import dcc, html
from werkzeug.serving import make_server

from geodata.backends import open_store
from geodata.model import Level
from geodata.store import Store
from layers import geojson, mapfig
from tests.browser.pageutil import QuietHandler

BARE_GRAPH = "bare-map"


def _bare_app(store: Store, street: str | None) -> dash.Dash:
    """A Dash page with one plotly map of the compounds and grid cells, nothing else."""
    traces = []
    for level in ("grid", "compound"):
        areas = store.areas(Level(level), parent=street)
        shapes = geojson.feature_collection(areas, level)
        codes = areas["code"].astype(str).tolist()
        traces.append(
            go.Choroplethmap(
                geojson=shapes,
                locations=codes,
                z=np.arange(len(codes)) % 7,
                featureidkey="id",
                colorscale="YlOrRd",
                showscale=False,
                marker={"line": {"width": 0.5}},
            )
        )
    streets = store.areas(Level.STREET)
    shown = streets if street is None else streets[streets["code"] == street]
    view = mapfig.camera(tuple(float(v) for v in shown.total_bounds))  # the app's own view
    figure = go.Figure(traces, layout={"map": {"style": "white-bg", **view}})
    app = dash.Dash(__name__)
    app.layout = html.Div([dcc.Graph(id=BARE_GRAPH, figure=figure, style={"height": "80vh"})])
    return app


def main() -> None:
    city, street = Path(sys.argv[1]), (sys.argv[2] if len(sys.argv) > 2 else None)
    with open_store(city, readonly=True) as store:
        app = _bare_app(store, street)
    server = make_server("127.0.0.1", 0, app.server, threaded=True, request_handler=QuietHandler)
    print(f"http://127.0.0.1:{server.server_port}", flush=True)
    server.serve_forever()


if __name__ == "__main__":
    main()
