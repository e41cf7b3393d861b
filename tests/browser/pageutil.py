"""What the browser tests (and the screenshot script) share: map readiness, map clicks, a watch."""

from __future__ import annotations

from dataclasses import dataclass, field

from playwright.sync_api import Page, expect

from dashboard import ids

# The plotly map's MapLibre instance: ready once loaded and no longer moving.
MAP_READY = """(id) => {
    const gd = document.querySelector(`#${id} .js-plotly-plot`);
    const map = gd && gd._fullLayout && gd._fullLayout.map && gd._fullLayout.map._subplot
        && gd._fullLayout.map._subplot.map;
    return Boolean(map && map.loaded() && !map.isMoving());
}"""
# Page coordinates of a lon/lat on the map.
PROJECT = """([id, lon, lat]) => {
    const map = document.querySelector(`#${id} .js-plotly-plot`)._fullLayout.map._subplot.map;
    const point = map.project([lon, lat]);
    const box = map.getCanvas().getBoundingClientRect();
    return {x: box.left + point.x, y: box.top + point.y};
}"""


@dataclass
class Watch:
    """What went wrong in the page: console errors, uncaught errors, requests off this host."""

    problems: list[str] = field(default_factory=list)
    outside: list[str] = field(default_factory=list)


def wait_for_map(page: Page, timeout: int = 30_000) -> None:
    """Until no Dash callback is in flight and the map has loaded and stopped moving."""
    expect(page.locator("[data-dash-is-loading='true']")).to_have_count(0, timeout=timeout)
    page.wait_for_function(MAP_READY, arg=ids.MAP, timeout=timeout)


def click_map_at(page: Page, lon: float, lat: float) -> None:
    """Click the map where `lon`, `lat` is drawn."""
    spot = page.evaluate(PROJECT, [ids.MAP, lon, lat])
    page.mouse.click(spot["x"], spot["y"])
