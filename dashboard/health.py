"""`/healthz`: whether this process reads its store and reaches its cache, for a load balancer."""

from __future__ import annotations

import logging

import flask
from flask import Response

from . import context

log = logging.getLogger(__name__)
PATH = "/healthz"


def install(server: flask.Flask) -> None:
    """Add the health route to `server` (open to anyone: it names no data)."""
    server.add_url_rule(PATH, "healthz", _health)


def _health() -> tuple[Response, int]:
    """200 with the store's revision when the store answers, else 503; the cache's state
    rides along (a cache that is not answering slows pages but breaks none)."""
    try:
        revision = context.store().revision()
    except Exception:  # any failure to read the store is what this route reports
        log.exception("health check: the store does not answer")
        return flask.jsonify(ok=False, store="not answering"), 503
    redis = bool(context.settings().redis_url)
    cache = ("answering" if context.cache().answering() else "not answering") if redis else "local"
    return flask.jsonify(ok=True, store="answering", revision=revision, cache=cache), 200
