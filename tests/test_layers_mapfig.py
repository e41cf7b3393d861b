"""The map figure: traces, outline layers, camera, and recolouring without geometry."""

from __future__ import annotations

import json

import numpy as np
import plotly.io as pio
import pytest

from layers import classify, mapfig

SQUARE = {
    "type": "Polygon",
    "coordinates": [
        [[116.0, 35.0], [116.01, 35.0], [116.01, 35.01], [116.0, 35.01], [116.0, 35.0]]
    ],
}


def fc(*codes: str) -> dict:
    return {
        "type": "FeatureCollection",
        "features": [
            {"type": "Feature", "id": c, "properties": {}, "geometry": SQUARE} for c in codes
        ],
    }


TEXTS = mapfig.Texts("Open cases", "cases", "No data", lambda v, d: f"{v:,.{d}f}")
GRID = mapfig.Values(
    "grid", ["g1", "g2", "g3"], ["Cell 1", "Cell 2", "Cell 3"], np.array([0, 4, np.nan])
)
COMPOUND = mapfig.Values("compound", ["c1", "c2"], ["North", "South"], np.array([3.0, 7.0]))


def scene(**extra: object) -> mapfig.Scene:
    return mapfig.Scene(
        coloured=[GRID, COMPOUND],
        shapes={"grid": fc("g1", "g2", "g3"), "compound": fc("c1", "c2"), "street": fc("s")},
        outlines=["street"],
        bounds=(116.0, 35.0, 116.1, 35.1),
        **extra,
    )


def test_figure_has_a_trace_per_coloured_level_and_outline_layers() -> None:
    fig = mapfig.figure(scene(), "open_cases", TEXTS, selected="c2")
    assert [trace.type for trace in fig.data] == ["choroplethmap", "choroplethmap"]
    grid, compound = fig.data
    assert list(grid.locations) == ["g1", "g2", "g3"] and grid.featureidkey == "id"
    assert mapfig.z_values(grid.z) == [classify.ZERO, classify.FIRST_CLASS, classify.NO_DATA]
    assert list(grid.customdata) == ["Cell 1", "Cell 2", "Cell 3"]
    assert list(grid.text) == ["0", "4", "No data"]
    assert "Open cases" in grid.hovertemplate and "<extra></extra>" in grid.hovertemplate
    assert list(compound.marker.line.width) == [mapfig.TRACE_LINE["compound"][1], 4.0]
    layers = fig.layout.map.layers
    assert [layer.type for layer in layers] == ["line"]
    assert layers[0].source["features"][0]["id"] == "s"


def test_default_basemap_needs_no_network() -> None:
    fig = mapfig.figure(scene(), "open_cases", TEXTS)
    assert fig.layout.map.style == mapfig.WHITE_BG
    assert "http" not in pio.to_json(fig)


def test_tiles_go_under_the_traces() -> None:
    tiles = mapfig.Basemap(("https://tiles.example/{z}/{x}/{y}.png",), "© example")
    fig = mapfig.figure(scene(basemap=tiles), "open_cases", TEXTS)
    raster = fig.layout.map.layers[0]
    assert raster.sourcetype == "raster" and raster.below == "traces"


def test_camera_fits_the_bounds() -> None:
    view = mapfig.camera((116.0, 35.0, 116.1, 35.1), (900, 600))
    assert view["center"]["lon"] == pytest.approx(116.05)
    assert 35.0 < view["center"]["lat"] < 35.1
    wider = mapfig.camera((116.0, 35.0, 116.4, 35.4), (900, 600))
    assert wider["zoom"] == pytest.approx(view["zoom"] - 2, abs=0.05)
    # The fitted span, in px at that zoom, fits the map.
    span_px = 0.1 / 360 * mapfig.TILE_PX * 2 ** view["zoom"]
    assert span_px <= 900
    assert mapfig.camera(None)["zoom"] > 0


def test_recolour_returns_colours_only() -> None:
    fig = mapfig.figure(scene(), "open_cases", TEXTS)
    visits = [
        mapfig.Values(v.level, v.codes, v.names, np.array([12.5, 0.0, 80.0][: len(v.codes)]))
        for v in (GRID, COMPOUND)
    ]
    updates = mapfig.recolour(visits, "visits_per_100", TEXTS)
    assert [index for index, _ in updates] == [0, 1]
    for index, props in updates:
        assert set(props) == {"z", "colorscale", "zmin", "zmax", "text", "hovertemplate"}
        assert len(mapfig.z_values(props["z"])) == len(fig.data[index].locations)
    payload = json.dumps(updates)
    assert "coordinates" not in payload and "geometry" not in payload
    assert len(payload) < len(pio.to_json(fig)) / 2


def test_reselect_marks_one_area() -> None:
    updates = dict(mapfig.reselect([GRID, COMPOUND], "g2"))
    assert updates[0]["marker.line.width"] == [0.8, 4.0, 0.8]
    assert updates[1]["marker.line.color"] == [mapfig.TRACE_LINE["compound"][0]] * 2
