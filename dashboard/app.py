"""The app factory: create_app(settings, store) builds the Dash app, its pages, cache and theme."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import dash
import dash_mantine_components as dmc
from dash import html
from flask import Flask
from flask_caching import Cache

from geodata.store import Store

from . import context
from .settings import Settings

TITLE = "网格治理一张图"
ASSETS = Path(__file__).resolve().parents[1] / "assets"
# Same stack as assets/gridboard.css: Mantine components take their font from the theme.
FONT_STACK = '"PingFang SC", "Noto Sans CJK SC", "Microsoft YaHei", sans-serif'


def cache_config(settings: Settings) -> dict[str, Any]:
    """flask-caching configuration for `settings` (CACHE_TYPE is a class name, as 2.5 wants)."""
    config: dict[str, Any] = {
        "CACHE_TYPE": settings.cache_type,
        "CACHE_DEFAULT_TIMEOUT": settings.cache_timeout,
        "CACHE_KEY_PREFIX": "gridboard:",
    }
    if settings.cache_type == "FileSystemCache":
        config["CACHE_DIR"] = str(settings.cache_dir)
    elif settings.cache_type == "RedisCache":
        config["CACHE_REDIS_URL"] = settings.cache_redis_url
    elif settings.cache_type == "NullCache":
        config["CACHE_NO_NULL_WARNING"] = True  # chosen on purpose, e.g. to measure
    return config


def create_app(settings: Settings, store: Store) -> dash.Dash:
    """A Dash app serving `store`; each call makes an independent app (tests make several)."""
    server = Flask("dashboard")
    cache = Cache()
    cache.init_app(server, config=cache_config(settings))
    context.attach(server, settings, store, cache)
    app = dash.Dash(
        # The package name makes Dash load dashboard/pages/*.py as dashboard.pages.<name>,
        # the same module a plain import gives, so no page is registered twice.
        "dashboard",
        server=server,
        use_pages=True,
        pages_folder="pages",
        assets_folder=str(ASSETS),
        title=TITLE,
        update_title=None,
        # gzip/brotli responses (needs flask-compress): map geometry shrinks about tenfold.
        compress=True,
    )
    app.layout = dmc.MantineProvider(
        html.Div(dash.page_container, className="gb-shell"),
        theme={"fontFamily": FONT_STACK, "primaryColor": "blue"},
        forceColorScheme="light",
    )
    return app
