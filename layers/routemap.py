"""The route map: the walking path, the service hall and the numbered stops as a plotly figure."""

from __future__ import annotations

from dataclasses import dataclass

import plotly.graph_objects as go

from . import mapfig
from .itinerary import Itinerary, clock

# Route map styles.
PATH_COLOUR, PATH_HALO = "#1d4ed8", "#bfdbfe"
STOP_COLOUR, HALL_COLOUR = "#c2410c", "#1f2933"
CELL_LINE = ("#52606d", 1.5)
STOP_SIZE, HALL_SIZE = 22, 18
FIT_SIZE = (800, 480)  # the route map is fitted as if this small (px), to leave a margin
MIN_SPAN_DEG = 0.002  # a route at one spot still gets a street-sized view


@dataclass(frozen=True)
class MapTexts:
    """Words of the route map in the page language."""

    hall: str  # marker hover name of the service hall, e.g. "服务大厅"
    hall_badge: str  # its short label on the map, e.g. "大厅"
    arrival: str  # "预计到达 {time}" with a {time} slot


def route_bounds(route: Itinerary) -> tuple[float, float, float, float]:
    """(west, south, east, north) around the path, the hall and the stops."""
    points = [*route.path, (route.start.lon, route.start.lat)]
    points += [(rs.stop.place.lon, rs.stop.place.lat) for rs in route.stops]
    lons, lats = [p[0] for p in points], [p[1] for p in points]
    pad_lon = max(0.0, MIN_SPAN_DEG - (max(lons) - min(lons))) / 2
    pad_lat = max(0.0, MIN_SPAN_DEG - (max(lats) - min(lats))) / 2
    return min(lons) - pad_lon, min(lats) - pad_lat, max(lons) + pad_lon, max(lats) + pad_lat


def route_figure(
    route: Itinerary,
    texts: MapTexts,
    cells: dict | None = None,
    basemap: mapfig.Basemap | None = None,
    revision: str = "",
) -> go.Figure:
    """The walking path, the hall and the stops in visiting order on a plain (or tiled) map.

    Stop numbers are not drawn as map text (MapLibre would fetch glyphs from the network):
    the hall and stops traces carry their label last in `customdata` ("5,6" for stops at one
    place, then "" for the later ones) for the page to draw over the map.
    """
    path = list(route.path) or [(route.start.lon, route.start.lat)]
    lons, lats = [p[0] for p in path], [p[1] for p in path]
    stops = route.stops
    traces = [
        go.Scattermap(
            lon=lons,
            lat=lats,
            mode="lines",
            line={"color": colour, "width": width},
            hoverinfo="skip",
            meta=name,
            name=name,
        )
        for name, colour, width in (("halo", PATH_HALO, 9), ("path", PATH_COLOUR, 4))
    ]
    traces.append(
        go.Scattermap(
            lon=[route.start.lon],
            lat=[route.start.lat],
            mode="markers",
            meta="hall",
            name="hall",
            marker={"size": HALL_SIZE, "color": HALL_COLOUR},
            customdata=[
                [mapfig.hover_safe(route.start.name), route.start.address, texts.hall_badge]
            ],
            hovertemplate=f"<b>{mapfig.hover_safe(texts.hall)}</b><br>%{{customdata[0]}}<extra></extra>",
        )
    )
    arrival = mapfig.hover_safe(texts.arrival).replace("{time}", "%{customdata[2]}")
    traces.append(
        go.Scattermap(
            lon=[rs.stop.place.lon for rs in stops],
            lat=[rs.stop.place.lat for rs in stops],
            mode="markers",
            meta="stops",
            name="stops",
            marker={"size": STOP_SIZE, "color": STOP_COLOUR},
            customdata=[
                [rs.number, mapfig.hover_safe(rs.stop.place.name), clock(rs.arrival), label]
                for rs, label in zip(stops, stop_labels(route), strict=True)
            ],
            hovertemplate=f"<b>%{{customdata[0]}}. %{{customdata[1]}}</b><br>{arrival}"
            "<extra></extra>",
        )
    )
    layers = mapfig.tile_layers(basemap) if basemap else []
    layers += [mapfig.line_layer(cells, *CELL_LINE, "grid")] if cells else []
    fig = go.Figure(traces)
    fig.update_layout(
        map={
            "style": mapfig.WHITE_BG,
            "layers": layers,
            **mapfig.camera(route_bounds(route), FIT_SIZE),
        },
        margin={"l": 0, "r": 0, "t": 0, "b": 0},
        showlegend=False,
        uirevision=revision,
        hoverlabel={"bgcolor": "#ffffff", "font": {"size": 14}},
        paper_bgcolor="#ffffff",
    )
    return fig


def stop_labels(route: Itinerary) -> list[str]:
    """The map label of each stop: its number; stops at one place share "5,6" on the first."""
    numbers: dict[tuple[float, float], list[int]] = {}
    for rs in route.stops:
        numbers.setdefault((rs.stop.place.lon, rs.stop.place.lat), []).append(rs.number)
    labels = []
    for rs in route.stops:
        same = numbers[(rs.stop.place.lon, rs.stop.place.lat)]
        labels.append(",".join(map(str, same)) if same[0] == rs.number else "")
    return labels
