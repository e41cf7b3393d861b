"""Reading Dash component trees in tests: every string they would show or send."""

from __future__ import annotations

from typing import Any

from dash.development.base_component import Component


def strings(node: Any) -> list[str]:
    """Every string in a component tree: texts, headers, row data, attributes."""
    if isinstance(node, Component):
        node = node.to_plotly_json()
    if isinstance(node, str):
        return [node]
    if isinstance(node, dict):
        return [s for value in node.values() for s in strings(value)]
    if isinstance(node, list | tuple):
        return [s for value in node for s in strings(value)]
    return []
