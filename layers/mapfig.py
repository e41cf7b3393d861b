"""The map figure: coloured compound and grid-cell traces, outline layers, basemap, recolouring."""

from __future__ import annotations

import base64
import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import shapely
from shapely.geometry import mapping
from shapely.geometry import shape as geometry_of

from . import classify
from .geojson import DECIMALS

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
PROBLEM_COLOUR = "#d7191c"  # problems layer: red outline, faint red fill, red marks
PROBLEM_FILL_OPACITY = 0.2
PROBLEM_LINE_PX = 2.5
PROBLEM_MARK_PX = 9


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
class ProblemMark:
    """One problem spot: where to put its hover mark and what it is."""

    lon: float
    lat: float
    kind: str  # the file's `problem` property, e.g. "overlap"
    area: str  # the area's code (or name) the problem concerns; "" when not given
    size_m2: float | None


@dataclass(frozen=True)
class ProblemSpots:
    """A problems file (`gridboard validate --out`) ready to draw."""

    shapes: dict  # FeatureCollection of the polygon and line spots
    points: dict  # FeatureCollection of the point spots
    marks: tuple[ProblemMark, ...]  # one per spot, in file order
    kinds: tuple[tuple[str, int], ...]  # (kind, spots), most frequent first


@dataclass(frozen=True)
class Scene:
    """Everything a full figure holds: geometry per level and what to draw on it."""

    coloured: Sequence[Values]  # bottom to top
    # level → FeatureCollection, or the address the browser fetches it from (coloured and
    # outline levels)
    shapes: Mapping[str, dict | str]
    outlines: Sequence[str] = ()  # outlined levels, bottom to top
    basemap: Basemap = field(default_factory=Basemap)
    revision: str = ""  # changes when the view should be fitted again
    bounds: tuple[float, float, float, float] | None = None  # west, south, east, north to fit
    problems: ProblemSpots | None = None  # drawn on top when given
    problem_texts: Sequence[str] = ()  # hover text of each problem mark, in the page language


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


NO_VALUE = -1  # a missing value among the shown numbers (metrics are never negative)
_INT_TYPES = (("i1", np.int8), ("i2", np.int16), ("i4", np.int32))


def shown_numbers(values: np.ndarray, places: int) -> np.ndarray:
    """Every value as the number the reader sees, times 10**places; NO_VALUE where missing."""
    data = np.asarray(values, dtype=float)
    numbers = np.full(data.shape, NO_VALUE, dtype=np.int64)
    finite = np.isfinite(data)
    numbers[finite] = np.rint(data[finite] * 10.0**places)
    return numbers


def shown_values(numbers: np.ndarray, places: int) -> np.ndarray:
    """The shown numbers back as values (NaN where missing): what the classes are made of."""
    return np.where(numbers == NO_VALUE, np.nan, numbers / 10.0**places)


def typed_array(numbers: np.ndarray) -> dict[str, str]:
    """Integers as plotly's typed-array spec, in the smallest type that holds them (base64)."""
    low, high = (int(numbers.min()), int(numbers.max())) if numbers.size else (0, 0)
    for dtype, kind in _INT_TYPES:
        info = np.iinfo(kind)
        if info.min <= low and high <= info.max:
            data = numbers.astype(np.dtype(kind).newbyteorder("<")).tobytes()
            return {"dtype": dtype, "bdata": base64.b64encode(data).decode()}
    raise ValueError(f"values {low}..{high} do not fit a 32-bit integer")


def z_values(z: Any) -> list[int]:
    """The integers of a trace's z or of a typed-array spec, or of a plain sequence."""
    if isinstance(z, dict):
        dtype = np.dtype(z["dtype"]).newbyteorder("<")
        return np.frombuffer(base64.b64decode(z["bdata"]), dtype=dtype).tolist()
    return [int(v) for v in z]


def class_tops(classes: classify.Classes, places: int) -> list[int]:
    """The largest shown number (times 10**places) of each positive class, ascending."""
    return [round(upper * 10**places) for upper in classes.uppers]


def class_index(numbers: np.ndarray, tops: Sequence[int], count: int) -> np.ndarray:
    """The class index of every shown number; assets/paint.js applies the same rule."""
    index = classify.FIRST_CLASS + np.searchsorted(np.asarray(tops, dtype=np.int64), numbers)
    index = np.minimum(index, count - 1)
    index = np.where(numbers == 0, classify.ZERO, index)
    return np.where(numbers == NO_VALUE, classify.NO_DATA, index)


def hover_safe(text: object) -> str:
    """`text` as plain text in a plotly hover label, which renders <b>, <br>, <a> and the like:
    names from imported files must not become markup (plotly decodes these entities)."""
    return str(text).replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def hover_template(metric_name: str, unit: str) -> str:
    """Hover: the area's name, then the metric, its unit and its value."""
    label = hover_safe(f"{metric_name} ({unit})")
    return f"<b>%{{customdata}}</b><br>{label}: %{{text}}<extra></extra>"


def paint(values: Values, metric: str) -> dict[str, Any]:
    """One coloured level in the fewest bytes: shown numbers, class tops and lowers, colours.

    The browser (assets/paint.js) turns it into z, hover texts, colour scale and legend, so
    a recolour sends about two bytes per area instead of a text and a class for each."""
    places = classify.decimals(metric)
    numbers = shown_numbers(values.values, places)
    classes = classify.classify(metric, shown_values(numbers, places))
    return {
        "level": values.level,
        "numbers": typed_array(numbers),
        "tops": class_tops(classes, places),
        "lowers": [round(lower * 10**places) for lower in classes.lowers],
        "colours": list(classes.colours),
    }


def colours(values: Values, metric: str, texts: Texts) -> dict[str, Any]:
    """The colour properties of one coloured trace: z (class index), scale, range, hover text."""
    places = classify.decimals(metric)
    numbers = shown_numbers(values.values, places)
    classes = classify.classify(metric, shown_values(numbers, places))
    index = class_index(numbers, class_tops(classes, places), classes.count)
    return {
        "z": typed_array(index),
        "colorscale": classify.colourscale(classes),
        "zmin": 0,
        "zmax": max(classes.count - 1, 1),
        "text": number_texts(numbers, places, texts),
        "hovertemplate": hover_template(texts.metric, texts.unit),
    }


def number_texts(numbers: np.ndarray, places: int, texts: Texts) -> list[str]:
    """The hover text of every shown number; each distinct number is formatted once (a city's
    10,000 cells hold a few hundred distinct values)."""
    distinct, where = np.unique(numbers, return_inverse=True)
    words = [
        texts.number(n / 10**places, places) if n != NO_VALUE else texts.no_data
        for n in distinct.tolist()
    ]
    return [words[i] for i in where.ravel().tolist()]


def outline_widths(values: Values, selected: str | None) -> dict[str, Any]:
    """Line colour and width of every area of a trace, the selected one stands out; one colour
    and width for all when none of them is selected (the city's figure is 20,000 values lighter)."""
    colour, width = TRACE_LINE[values.level]
    chosen = [code == selected for code in values.codes]
    if not any(chosen):
        return {"marker.line.color": colour, "marker.line.width": width}
    return {
        "marker.line.color": [SELECTED_LINE[0] if c else colour for c in chosen],
        "marker.line.width": [SELECTED_LINE[1] if c else width for c in chosen],
    }


def _trace(
    values: Values, shape: dict | str, metric: str, texts: Texts, selected: str | None
) -> dict[str, Any]:
    paint = colours(values, metric, texts)
    lines = outline_widths(values, selected)
    return {
        "type": "choroplethmap",
        "geojson": shape,
        "locations": list(values.codes),
        "featureidkey": "id",
        "name": values.level,
        "meta": values.level,
        "customdata": [hover_safe(name) for name in values.names],
        "showscale": False,
        "marker": {
            "opacity": OPACITY[values.level],
            "line": {"color": lines["marker.line.color"], "width": lines["marker.line.width"]},
        },
        **paint,
    }


def line_layer(shape: dict | str, colour: str, width: float, name: str) -> dict[str, Any]:
    """A map layer drawing the outlines of a FeatureCollection, or of the one at an address
    (no hover, no clicks)."""
    return {
        "sourcetype": "geojson",
        "source": shape,
        "type": "line",
        "color": colour,
        "line": {"width": width},
        "name": name,
    }


def tile_layers(basemap: Basemap) -> list[dict[str, Any]]:
    """The basemap's raster tiles as map layers below the traces (none: a plain background)."""
    return [
        {
            "sourcetype": "raster",
            "source": [url],
            "below": "traces",
            "sourceattribution": basemap.attribution,
        }
        for url in basemap.tiles
    ]


def figure(scene: Scene, metric: str, texts: Texts, selected: str | None = None) -> dict[str, Any]:
    """The map: coloured traces, outlines above them, tiles below; fitted to the scene's bounds.

    A plain figure dict, not a `go.Figure`: plotly's validators and deep copies took two
    thirds of a city figure's time (about 200 of 290 ms). tests/test_layers_mapfig.py checks
    every property against plotly's validators instead."""
    traces = [
        _trace(values, scene.shapes[values.level], metric, texts, selected)
        for values in scene.coloured
    ]
    layers = tile_layers(scene.basemap) + [
        line_layer(scene.shapes[level], *OUTLINE[level], level) for level in scene.outlines
    ]
    if scene.problems is not None:  # after the coloured traces: paint.js indexes those
        layers += problem_layers(scene.problems)
        traces.append(problem_trace(scene.problems, scene.problem_texts))
    layout = {
        "map": {"style": WHITE_BG, "layers": layers, **camera(scene.bounds)},
        "margin": {"l": 0, "r": 0, "t": 0, "b": 0},
        "showlegend": False,
        # Same revision, same camera: recolouring keeps the user's pan and zoom.
        "uirevision": scene.revision,
        "hoverlabel": {"bgcolor": "#ffffff", "font": {"size": 14}},
        "paper_bgcolor": "#ffffff",
    }
    return {"data": traces, "layout": layout}


def reselect(coloured: Sequence[Values], selected: str | None) -> list[tuple[int, dict[str, Any]]]:
    """(trace index, new outline properties) marking `selected`: no geometry either."""
    return [(i, outline_widths(values, selected)) for i, values in enumerate(coloured)]


# --- the problems layer ---------------------------------------------------------------------
def problem_spots(
    collection: Any, shift: Callable[[np.ndarray], np.ndarray] | None = None
) -> ProblemSpots:
    """The spots of a problems GeoJSON FeatureCollection (as parsed from JSON), coordinates
    shifted if asked and rounded; ValueError naming what is wrong with it."""
    if not isinstance(collection, dict) or collection.get("type") != "FeatureCollection":
        raise ValueError("is not a GeoJSON FeatureCollection")
    features = collection.get("features")
    if not isinstance(features, list):
        raise ValueError("has no list of features")
    spots = [_spot(number, feature, shift) for number, feature in enumerate(features, 1)]
    spots = [spot for spot in spots if spot is not None]
    counts: dict[str, int] = {}
    for _, mark, _ in spots:
        counts[mark.kind] = counts.get(mark.kind, 0) + 1
    return ProblemSpots(
        shapes=_collection([f for f, _, point in spots if not point]),
        points=_collection([f for f, _, point in spots if point]),
        marks=tuple(mark for _, mark, _ in spots),
        kinds=tuple(sorted(counts.items(), key=lambda item: (-item[1], item[0]))),
    )


def _collection(features: list[dict]) -> dict:
    return {"type": "FeatureCollection", "features": features}


def _spot(
    number: int, feature: Any, shift: Callable[[np.ndarray], np.ndarray] | None
) -> tuple[dict, ProblemMark, bool] | None:
    """(feature to draw, its mark, whether it is a point), or None for a spot without geometry."""
    if not isinstance(feature, dict) or feature.get("type") != "Feature":
        raise ValueError(f"feature {number} is not a GeoJSON Feature")
    props = feature.get("properties") or {}
    if not isinstance(props, dict):
        raise ValueError(f"feature {number} has properties that are not an object")
    if feature.get("geometry") is None:
        return None
    try:
        geometry = geometry_of(feature["geometry"])
    except Exception as exc:  # shapely raises several types for bad GeoJSON geometry
        raise ValueError(f"feature {number} has a bad geometry ({exc})") from None
    if geometry.is_empty:
        return None

    def moved(coords: np.ndarray) -> np.ndarray:
        return np.round(shift(coords) if shift else coords, DECIMALS)

    geometry = shapely.transform(geometry, moved)
    kind = str(props.get("problem") or "unknown")
    drawn = {"type": "Feature", "properties": {"problem": kind}}
    drawn["geometry"] = mapping(geometry)
    where = geometry.representative_point()
    mark = ProblemMark(where.x, where.y, kind, _area_of(props), _size_of(props))
    return drawn, mark, geometry.geom_type in ("Point", "MultiPoint")


def _area_of(props: Mapping[str, Any]) -> str:
    for key in ("code", "area"):
        if props.get(key) not in (None, ""):
            return str(props[key])
    return ""


def _size_of(props: Mapping[str, Any]) -> float | None:
    value = props.get("size_m2")
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        return None
    return float(value)


def problem_layers(spots: ProblemSpots) -> list[dict[str, Any]]:
    """Map layers drawing the spots on top: faint red fill and red outline, red dots."""
    layers: list[dict[str, Any]] = []
    if spots.shapes["features"]:
        base = {"sourcetype": "geojson", "source": spots.shapes, "name": "problems"}
        layers.append(
            {**base, "type": "fill", "color": PROBLEM_COLOUR, "opacity": PROBLEM_FILL_OPACITY}
        )
        layers.append(
            {**base, "type": "line", "color": PROBLEM_COLOUR, "line": {"width": PROBLEM_LINE_PX}}
        )
    if spots.points["features"]:
        layers.append(
            {
                "sourcetype": "geojson",
                "source": spots.points,
                "type": "circle",
                "color": PROBLEM_COLOUR,
                "circle": {"radius": PROBLEM_MARK_PX / 2},
                "name": "problems",
            }
        )
    return layers


def problem_trace(spots: ProblemSpots, texts: Sequence[str]) -> dict[str, Any]:
    """A red ring on each spot whose hover names the problem (`texts`, one per mark)."""
    return {
        "type": "scattermap",
        "lon": [mark.lon for mark in spots.marks],
        "lat": [mark.lat for mark in spots.marks],
        "mode": "markers",
        "marker": {"size": PROBLEM_MARK_PX, "color": PROBLEM_COLOUR, "opacity": 0.9},
        "text": [hover_safe(text) for text in (list(texts) or [m.kind for m in spots.marks])],
        "hovertemplate": "%{text}<extra></extra>",
        "name": "problems",
        "meta": "problems",
        "showlegend": False,
    }
