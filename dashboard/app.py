"""The app factory: create_app(settings, store) builds the Dash app, its pages, cache and theme."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import dash
import dash_mantine_components as dmc
from dash import html
from flask import Flask, abort, request
from flask.json.provider import DefaultJSONProvider
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


class _BoundedJSON(DefaultJSONProvider):
    """Flask's JSON, where a body nested too deep to parse is a bad request (400), not a 500."""

    def loads(self, s: str | bytes, **kwargs: Any) -> Any:
        try:
            return super().loads(s, **kwargs)
        except RecursionError:
            raise ValueError("JSON nested too deep") from None


def dash_request_problem(body: object) -> str | None:
    """Why a /_dash-update-component body is not a callback request Dash can dispatch, or
    None. Our callbacks check their own values (layers.view, layers.routeview); this checks
    the envelope, and the page router's pathname and search, which Dash reads unchecked."""
    if not isinstance(body, dict) or not isinstance(body.get("output"), str):
        return "not a callback request"
    slots = body.get("inputs")
    if not isinstance(slots, list) or not isinstance(body.get("state", []), list):
        return "inputs and state must be lists"
    if body["output"].startswith(".._pages_content."):
        address = {s.get("property"): s.get("value") for s in slots if isinstance(s, dict)}
        path, search = address.get("pathname"), address.get("search")
        if not (isinstance(path, str) and path.startswith("/")) or not isinstance(
            search, str | None
        ):
            return "the page address must be a path and a query"
    return None


def link_preview_tags(settings: Settings) -> list[dict[str, str]]:
    """The pages' og/twitter tags: the configured public URL or none (Dash's would copy the
    request's Host header into every page)."""
    tags = [
        {"property": "og:type", "content": "website"},
        {"property": "og:title", "content": TITLE},
    ]
    if settings.public_url:
        tags += [
            {"property": "og:url", "content": settings.public_url},
            {"property": "twitter:url", "content": settings.public_url},
        ]
    return tags


def create_app(settings: Settings, store: Store) -> dash.Dash:
    """A Dash app serving `store`; each call makes an independent app (tests make several)."""
    server = Flask("dashboard")
    server.config["MAX_CONTENT_LENGTH"] = settings.max_request_bytes  # bigger bodies get 413
    server.json = _BoundedJSON(server)

    @server.before_request
    def _refuse_malformed_callbacks() -> None:
        if request.method == "POST" and request.path.endswith("/_dash-update-component"):
            problem = dash_request_problem(request.get_json(silent=True))
            if problem:
                abort(400, description=problem)

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
        include_pages_meta=False,
        meta_tags=link_preview_tags(settings),
    )
    app.layout = dmc.MantineProvider(
        html.Div(dash.page_container, className="gb-shell"),
        theme={"fontFamily": FONT_STACK, "primaryColor": "blue"},
        forceColorScheme="light",
    )
    return app
