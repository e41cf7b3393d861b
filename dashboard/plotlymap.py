"""The map's own plotly.js (only the traces gridboard draws), served under a content address;
assets/plotlymap.js has dcc.Graph load it instead of Dash's full plotly.js."""

from __future__ import annotations

import hashlib
import logging
from dataclasses import dataclass
from pathlib import Path

import flask
from flask import Response, request

log = logging.getLogger(__name__)

PROJECT_ROOT = Path(__file__).resolve().parents[1]
# Built by `make` from dashboard/bundle/plotly-map.js (esbuild writes the styles beside it).
BUILT = PROJECT_ROOT / "node_modules" / ".gridboard"
SCRIPT, STYLE = "plotly-map.min.js", "plotly-map.min.css"
PATH = "/_gridboard-code/"
# An address carries its content's digest: the browser keeps it without asking again.
KEEP = "public, max-age=31536000, immutable"
# The head's preload link of the script: assets/plotlymap.js reads the address from it.
LINK_ID = "gb-plotly-map"


@dataclass(frozen=True)
class PlotlyMap:
    """The bundle's script and styles, and the digest their addresses carry."""

    script: bytes
    style: bytes
    digest: str

    def address(self, name: str) -> str:
        """Where `name` (SCRIPT or STYLE) is served: plotly-map.<digest>.min.js, .css."""
        stem, _, suffix = name.partition(".")
        return f"{PATH}{stem}.{self.digest}.{suffix}"

    def head_tags(self, prefix: str) -> str:
        """The head's links: the script preloaded (a graph runs it when it first appears: a
        page without one never pays for it) and the styles."""
        css, js = self.address(STYLE)[1:], self.address(SCRIPT)[1:]
        return (
            f'<link rel="preload" as="script" id="{LINK_ID}" href="{prefix}{js}">'
            f'<link rel="stylesheet" href="{prefix}{css}">'
        )


def load(directory: Path = BUILT) -> PlotlyMap | None:
    """The built bundle in `directory`, or None (with a warning) when it was not built: the
    pages then load Dash's full plotly.js, which works but starts three times slower."""
    try:
        script = (directory / SCRIPT).read_bytes()
        style = (directory / STYLE).read_bytes()
    except OSError as error:
        log.warning("the map's plotly.js is not built (%s): run 'make node_modules'", error)
        return None
    digest = hashlib.sha256(script + b"\0" + style).hexdigest()[:20]
    return PlotlyMap(script, style, digest)


def install(server: flask.Flask, bundle: PlotlyMap) -> None:
    """Serve `bundle` from `server` at its content addresses (anyone may fetch code)."""

    def serve(name: str) -> Response:
        served = {bundle.address(SCRIPT)[len(PATH) :]: (bundle.script, "text/javascript")}
        served[bundle.address(STYLE)[len(PATH) :]] = (bundle.style, "text/css")
        if name not in served:  # another build's address: the page that asked is stale
            return Response("no such file", status=404, mimetype="text/plain")
        body, mimetype = served[name]
        response = Response(body, mimetype=mimetype)
        response.set_etag(bundle.digest)
        response.headers["Cache-Control"] = KEEP
        return response.make_conditional(request)

    server.add_url_rule(f"{PATH}<name>", "plotly_map", serve)
