"""The map's geometry as a resource of its own: /geometry/<level>.json?street=…&v=…, cacheable."""

from __future__ import annotations

import gzip

import flask
from flask import Response, request

from dashboard import context
from dashboard.readers import map as map_reader
from geodata.model import Level
from layers.view import CITY

# A versioned address never changes content: the browser keeps it without asking again.
KEEP = "private, max-age=31536000, immutable"
# Any other address (no or an old version): kept, but checked (ETag) before each use.
CHECK = "private, no-cache"
MIME = "application/geo+json"


def install(server: flask.Flask) -> None:
    """Add the geometry route to `server` (the gate lets in who may open the map, and only
    for streets in their scope)."""
    server.add_url_rule(f"{map_reader.GEOMETRY_PATH}<level>.json", "geometry", _geometry)


def _geometry(level: str) -> Response:
    if level not in {lv.value for lv in Level}:
        return _plain(404, f"no map layer {level[:40]!r}")
    src = context.source()
    street = request.args.get("street", CITY)
    if street != CITY and street not in dict(map_reader.streets(src)):
        return _plain(404, f"no street {street[:40]!r}")
    rev = src.revision()
    version = map_reader.shape_version(src, level, street, rev)
    if version in request.if_none_match:  # the browser's copy stands: no body read or sent
        response = Response(status=304)
    else:
        body = map_reader.shape_file(src, level, street, rev).body
        if "gzip" in request.accept_encodings:
            response = Response(body, mimetype=MIME)
            response.headers["Content-Encoding"] = "gzip"
        else:
            response = Response(gzip.decompress(body), mimetype=MIME)
    response.set_etag(version)
    response.headers["Cache-Control"] = KEEP if request.args.get("v") == version else CHECK
    response.vary.update(("Accept-Encoding", "Cookie"))
    return response


def _plain(status: int, text: str) -> Response:
    return Response(text, status=status, mimetype="text/plain")
