"""The map figure: traces, outline layers, camera, and recolouring without geometry."""

from __future__ import annotations

import json

import numpy as np
import plotly.graph_objects as go
import plotly.io as pio
import pytest
from hypothesis import given
from hypothesis import strategies as st

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


def built(*args: object, **kwargs: object) -> go.Figure:
    """mapfig.figure's plain dict, through plotly's validators (they raise on a property plotly
    does not know or a value of the wrong kind)."""
    return go.Figure(mapfig.figure(*args, **kwargs))


def test_figure_has_a_trace_per_coloured_level_and_outline_layers() -> None:
    fig = built(scene(), "open_cases", TEXTS, selected="c2")
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
    fig = built(scene(), "open_cases", TEXTS)
    assert fig.layout.map.style == mapfig.WHITE_BG
    assert "http" not in pio.to_json(fig)


def test_tiles_go_under_the_traces() -> None:
    tiles = mapfig.Basemap(("https://tiles.example/{z}/{x}/{y}.png",), "© example")
    fig = built(scene(basemap=tiles), "open_cases", TEXTS)
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


def test_paint_carries_numbers_and_classes_but_no_geometry() -> None:
    fig = built(scene(), "open_cases", TEXTS)
    rates = mapfig.Values("grid", GRID.codes, GRID.names, np.array([12.54, 0.0, np.nan]))
    paint = mapfig.paint(rates, "visits_per_100")
    assert set(paint) == {"level", "numbers", "tops", "lowers", "colours"}
    assert mapfig.z_values(paint["numbers"]) == [125, 0, mapfig.NO_VALUE]  # shown: 12.5
    assert paint["tops"] == [125] and paint["lowers"] == [125]
    assert paint["colours"][: classify.FIRST_CLASS] == [
        classify.NO_DATA_COLOUR,
        classify.ZERO_COLOUR,
    ]
    payload = json.dumps(paint)
    assert "coordinates" not in payload and "geometry" not in payload
    assert len(payload) < len(pio.to_json(fig)) / 2


@pytest.mark.parametrize(
    ("numbers", "dtype"),
    [([0, 5, -1], "i1"), ([0, 127], "i1"), ([128, -1], "i2"), ([40_000], "i4")],
)
def test_typed_arrays_take_the_smallest_type(numbers: list[int], dtype: str) -> None:
    spec = mapfig.typed_array(np.array(numbers))
    assert spec["dtype"] == dtype
    assert mapfig.z_values(spec) == numbers


@given(
    st.lists(st.one_of(st.just(0.0), st.just(float("nan")), st.floats(0.0, 5e4)), max_size=300),
    st.sampled_from(sorted(classify.METRIC_STYLE)),
)
def test_the_class_rule_on_shown_numbers_agrees_with_classify(
    values: list[float], metric: str
) -> None:
    places = classify.decimals(metric)
    numbers = mapfig.shown_numbers(np.array(values), places)
    shown = mapfig.shown_values(numbers, places)
    classes = classify.classify(metric, shown)
    index = mapfig.class_index(numbers, mapfig.class_tops(classes, places), classes.count)
    assert index.tolist() == classify.class_of(classes, shown).tolist()


def test_reselect_marks_one_area() -> None:
    updates = dict(mapfig.reselect([GRID, COMPOUND], "g2"))
    assert updates[0]["marker.line.width"] == [0.8, 4.0, 0.8]
    # a trace without the selected area: one colour and width for all, not one per area
    assert updates[1]["marker.line.color"] == mapfig.TRACE_LINE["compound"][0]
    assert updates[1]["marker.line.width"] == mapfig.TRACE_LINE["compound"][1]


def test_names_from_data_cannot_become_markup_in_the_hover() -> None:
    hostile = mapfig.Values("compound", ["c1"], ['<a href="x">运河</a> & <b>'], np.array([1.0]))
    fig = built(
        mapfig.Scene(coloured=[hostile], shapes={"compound": fc("c1")}), "open_cases", TEXTS
    )
    (shown,) = fig.data[0].customdata
    assert "<" not in shown and ">" not in shown
    assert shown == '&lt;a href="x"&gt;运河&lt;/a&gt; &amp; &lt;b&gt;'
