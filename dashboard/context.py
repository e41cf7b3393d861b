"""Where layouts and callbacks find the store, the settings and the cache: on the Flask app."""

from __future__ import annotations

from typing import TYPE_CHECKING

from flask import Flask, current_app

from .readers.source import Source

if TYPE_CHECKING:
    from flask_caching import Cache

    from geodata.store import Store

    from .settings import Settings

STORE_KEY = "GRIDBOARD_STORE"
SETTINGS_KEY = "GRIDBOARD_SETTINGS"
CACHE_EXTENSION = "gridboard_cache"


def attach(server: Flask, settings: Settings, store: Store, cache: Cache) -> None:
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


def cache() -> Cache:
    """The flask-caching Cache of the app serving the current request."""
    return current_app.extensions[CACHE_EXTENSION]


def source() -> Source:
    """The store, settings and cache of the app serving the current request, for a reader."""
    return Source(store(), settings(), cache())
