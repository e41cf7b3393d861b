"""The map's own plotly.js (only the traces gridboard draws), served under a content address;
assets/plotlymap.js has dcc.Graph load it instead of Dash's full plotly.js."""

from __future__ import annotations

import hashlib
import logging
import re
from dataclasses import dataclass
from pathlib import Path

import flask
from flask import Response, request

from dashboard.npm import INSTALL_COMMAND, NODE_MODULES

log = logging.getLogger(__name__)

# Built by `make` from dashboard/bundle/plotly-map.js (esbuild writes the styles beside it).
BUILT = NODE_MODULES / ".gridboard"
SCRIPT, STYLE = "plotly-map.min.js", "plotly-map.min.css"
PATH = "/_gridboard-code/"
# An address carries its content's digest: the browser keeps it without asking again.
KEEP = "public, max-age=31536000, immutable"
CHECK = "public, no-cache"
ADDRESS = re.compile(r"plotly-map\.([0-9a-f]{20})\.min\.(js|css)")
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
        log.warning("the map's plotly.js is not built (%s): run '%s'", error, INSTALL_COMMAND)
        return None
    digest = hashlib.sha256(script + b"\0" + style).hexdigest()[:20]
    return PlotlyMap(script, style, digest)


def compression_key(path: str) -> str:
    """The compressed-code cache's key for a request to `path` under PATH: one per file kind,
    whatever digest the address names (any serves this build; a key per address would let
    anyone fill the memory), "" when it names no bundle file."""
    found = ADDRESS.fullmatch(path[len(PATH) :]) if path.startswith(PATH) else None
    return f"{PATH}plotly-map.min.{found.group(2)}" if found else ""


def install(server: flask.Flask, bundle: PlotlyMap) -> None:
    """Serve `bundle` from `server` at its content addresses (anyone may fetch code)."""

    def serve(name: str) -> Response:
        found = ADDRESS.fullmatch(name)
        if not found:
            return Response("no such file", status=404, mimetype="text/plain")
        digest, suffix = found.groups()
        body, mimetype = (
            (bundle.script, "text/javascript") if suffix == "js" else (bundle.style, "text/css")
        )
        response = Response(body, mimetype=mimetype)
        response.set_etag(f"{bundle.digest}.{suffix}")
        # An earlier build's address (a page opened before an upgrade, its first graph still
        # to come) gets this build, kept only until the next look: never under its name.
        response.headers["Cache-Control"] = KEEP if digest == bundle.digest else CHECK
        return response.make_conditional(request)

    server.add_url_rule(f"{PATH}<name>", "plotly_map", serve)
