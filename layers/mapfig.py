"""The map figure: coloured compound and grid-cell traces, outline layers, basemap, recolouring."""

from __future__ import annotations

import base64
import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import plotly.graph_objects as go

from . import classify

WHITE_BG = "white-bg"  # MapLibre style with no tiles: needs no network
# Outline styles: (line colour, line width in px) for each level.
TRACE_LINE = {"grid": ("#ffffff", 0.8), "compound": ("#3b3b3b", 1.2)}
SELECTED_LINE = ("#000000", 4.0)
OUTLINE = {"community": ("#52606d", 1.6), "street": ("#1f2933", 2.8)}
OPACITY = {"grid": 0.75, "compound": 0.9}
TILE_PX = 512  # MapLibre's world is 512 px wide at zoom 0
# The smallest map the page lays out (px); the view is fitted to it, with a margin.
FIT_SIZE = (900, 600)
FIT_MARGIN = 0.9
CITY_ZOOM = (116.6, 35.4, 8.0)  # lon, lat, zoom when there is nothing to fit


@dataclass(frozen=True)
class Values:
    """One coloured level's areas (in trace order) and their values of the metric."""

    level: str
    codes: Sequence[str]
    names: Sequence[str]
    values: np.ndarray


@dataclass(frozen=True)
class Texts:
    """Words the map shows, already in the page's language, and its number format."""

    metric: str  # name of the metric, e.g. "Open cases"
    unit: str  # e.g. "cases"
    no_data: str
    number: Callable[[float, int], str]  # (value, decimals) → text


@dataclass(frozen=True)
class Basemap:
    """Raster tiles under the areas; none (the default) draws on a plain background."""

    tiles: Sequence[str] = ()  # URL templates with {x} {y} {z}; drawn in order
    attribution: str = ""


@dataclass(frozen=True)
class Scene:
    """Everything a full figure holds: geometry per level and what to draw on it."""

    coloured: Sequence[Values]  # bottom to top
    shapes: Mapping[str, dict]  # level → FeatureCollection (coloured and outline levels)
    outlines: Sequence[str] = ()  # outlined levels, bottom to top
    basemap: Basemap = field(default_factory=Basemap)
    revision: str = ""  # changes when the view should be fitted again
    bounds: tuple[float, float, float, float] | None = None  # west, south, east, north to fit


def _mercator_y(lat: float) -> float:
    return math.log(math.tan(math.pi / 4 + math.radians(lat) / 2))


def camera(
    bounds: tuple[float, float, float, float] | None, size: tuple[int, int] = FIT_SIZE
) -> dict[str, Any]:
    """Centre and zoom showing `bounds` whole in a map of `size` px (web Mercator)."""
    if bounds is None:
        lon, lat, zoom = CITY_ZOOM
        return {"center": {"lon": lon, "lat": lat}, "zoom": zoom}
    west, south, east, north = bounds
    x_share = max((east - west) / 360.0, 1e-9)
    y_share = max((_mercator_y(north) - _mercator_y(south)) / (2 * math.pi), 1e-9)
    width, height = size
    zoom = math.log2(FIT_MARGIN * min(width / x_share, height / y_share) / TILE_PX)
    middle_y = (_mercator_y(north) + _mercator_y(south)) / 2
    centre_lat = math.degrees(2 * math.atan(math.exp(middle_y))) - 90.0
    return {
        "center": {"lon": (west + east) / 2, "lat": centre_lat},
        "zoom": round(min(zoom, 18.0), 2),
    }


def value_texts(values: Values, metric: str, texts: Texts) -> list[str]:
    """Every area's value, or "no data"; the unit is in the hover template, the name in the
    trace's customdata, so a recolour sends no more than a short number per area."""
    places = classify.decimals(metric)
    return [
        texts.number(value, places) if np.isfinite(value) else texts.no_data
        for value in values.values
    ]


def hover_template(metric_name: str, unit: str) -> str:
    """Hover: the area's name, then the metric, its unit and its value."""
    label = f"{metric_name} ({unit})".replace("%", "%%")
    return f"<b>%{{customdata}}</b><br>{label}: %{{text}}<extra></extra>"


def typed_array(values: np.ndarray) -> dict[str, str]:
    """A small-integer array as plotly's typed-array spec: one byte per area, base64."""
    return {"dtype": "i1", "bdata": base64.b64encode(values.astype(np.int8).tobytes()).decode()}


def z_values(z: Any) -> list[int]:
    """The class indices of a trace's z, whether a typed-array spec or a plain sequence."""
    if isinstance(z, dict):
        return np.frombuffer(base64.b64decode(z["bdata"]), dtype=np.dtype(z["dtype"])).tolist()
    return [int(v) for v in z]


def colours(values: Values, metric: str, texts: Texts) -> dict[str, Any]:
    """The colour properties of one coloured trace: z (class index), scale, range, hover text."""
    classes = classify.classify(metric, values.values)
    return {
        "z": typed_array(classify.class_of(classes, values.values)),
        "colorscale": classify.colourscale(classes),
        "zmin": 0,
        "zmax": max(classes.count - 1, 1),
        "text": value_texts(values, metric, texts),
        "hovertemplate": hover_template(texts.metric, texts.unit),
    }


def outline_widths(values: Values, selected: str | None) -> dict[str, Any]:
    """Line colour and width of every area of a trace, the selected one stands out."""
    colour, width = TRACE_LINE[values.level]
    chosen = [code == selected for code in values.codes]
    return {
        "marker.line.color": [SELECTED_LINE[0] if c else colour for c in chosen],
        "marker.line.width": [SELECTED_LINE[1] if c else width for c in chosen],
    }


def _trace(values: Values, shape: dict, metric: str, texts: Texts, selected: str | None):
    paint = colours(values, metric, texts)
    lines = outline_widths(values, selected)
    return go.Choroplethmap(
        geojson=shape,
        locations=list(values.codes),
        featureidkey="id",
        name=values.level,
        meta=values.level,
        customdata=list(values.names),
        showscale=False,
        marker={
            "opacity": OPACITY[values.level],
            "line": {"color": lines["marker.line.color"], "width": lines["marker.line.width"]},
        },
        **paint,
    )


def _outline_layer(level: str, shape: dict) -> dict[str, Any]:
    colour, width = OUTLINE[level]
    return {
        "sourcetype": "geojson",
        "source": shape,
        "type": "line",
        "color": colour,
        "line": {"width": width},
        "name": level,
    }


def _tile_layers(basemap: Basemap) -> list[dict[str, Any]]:
    return [
        {
            "sourcetype": "raster",
            "source": [url],
            "below": "traces",
            "sourceattribution": basemap.attribution,
        }
        for url in basemap.tiles
    ]


def figure(scene: Scene, metric: str, texts: Texts, selected: str | None = None) -> go.Figure:
    """The map: coloured traces, outlines above them, tiles below; fitted to the scene's bounds."""
    traces = [
        _trace(values, scene.shapes[values.level], metric, texts, selected)
        for values in scene.coloured
    ]
    layers = _tile_layers(scene.basemap) + [
        _outline_layer(level, scene.shapes[level]) for level in scene.outlines
    ]
    fig = go.Figure(traces)
    fig.update_layout(
        map={"style": WHITE_BG, "layers": layers, **camera(scene.bounds)},
        margin={"l": 0, "r": 0, "t": 0, "b": 0},
        showlegend=False,
        # Same revision, same camera: recolouring keeps the user's pan and zoom.
        uirevision=scene.revision,
        hoverlabel={"bgcolor": "#ffffff", "font": {"size": 14}},
        paper_bgcolor="#ffffff",
    )
    return fig


def recolour(
    coloured: Sequence[Values], metric: str, texts: Texts
) -> list[tuple[int, dict[str, Any]]]:
    """(trace index, new colour properties) for every coloured trace: no geometry at all."""
    return [(i, colours(values, metric, texts)) for i, values in enumerate(coloured)]


def reselect(coloured: Sequence[Values], selected: str | None) -> list[tuple[int, dict[str, Any]]]:
    """(trace index, new outline properties) marking `selected`: no geometry either."""
    return [(i, outline_widths(values, selected)) for i, values in enumerate(coloured)]
