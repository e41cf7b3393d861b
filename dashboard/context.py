"""Where layouts and callbacks find the store, the settings and the cache: on the Flask app."""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING

from flask import Flask, current_app, g, has_app_context, has_request_context, request

from .readers.source import Source

AUDIT_TARGET_CHARS = 100_000  # an audit entry's target is cut to this length (a CSV's ids fit)

if TYPE_CHECKING:
    from geodata.store import Store
    from layers.access import Principal

    from .cache import AppCache
    from .sessions import Signed
    from .settings import Settings

STORE_KEY = "GRIDBOARD_STORE"
SETTINGS_KEY = "GRIDBOARD_SETTINGS"
CACHE_EXTENSION = "gridboard_cache"


def attach(server: Flask, settings: Settings, store: Store, cache: AppCache) -> None:
    """Keep the app's settings, store and cache on its Flask server, for this app only."""
    server.config[SETTINGS_KEY] = settings
    server.config[STORE_KEY] = store
    server.extensions[CACHE_EXTENSION] = cache


def store() -> Store:
    """The store of the app serving the current request."""
    return current_app.config[STORE_KEY]


def settings() -> Settings:
    """The settings of the app serving the current request."""
    return current_app.config[SETTINGS_KEY]


def cache() -> AppCache:
    """The cache of the app serving the current request."""
    return current_app.extensions[CACHE_EXTENSION]


def source() -> Source:
    """The store, settings and cache of the app serving the current request, for a reader."""
    return Source(store(), settings(), cache(), current_principal())


def principal() -> Principal:
    """Who the current request comes from (the gate has let it through, so there is one)."""
    found = g.get("principal") if has_app_context() else None
    if found is None:
        raise PermissionError("no signed-in principal for this request")
    return found


def current_principal() -> Principal | None:
    """Who the current request comes from; None outside a request or before the gate."""
    return g.get("principal") if has_app_context() else None


def signed() -> Signed | None:
    """The current request's session, or None."""
    return g.get("signed") if has_app_context() else None


def client_address() -> str:
    """The address the request came from (the proxy's, unless the deployment sets ProxyFix)."""
    return (request.remote_addr or "-") if has_request_context() else "-"


def audit(action: str, target: str, outcome: str = "ok", actor: str | None = None) -> None:
    """Append an audit entry for the current request: who, from where, what, outcome."""
    who = actor or (g.get("principal").actor if g.get("principal") else "-")
    store().audit(
        dt.datetime.now(dt.UTC), who, client_address(), action, target[:AUDIT_TARGET_CHARS], outcome
    )
