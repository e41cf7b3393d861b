"""The app factory: create_app(settings, store) builds the Dash app, its pages, cache and theme."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

import dash
import dash_mantine_components as dmc
from dash import html
from flask import Flask, Request, abort, request
from flask.json.provider import DefaultJSONProvider
from flask_caching import Cache
from werkzeug.middleware.proxy_fix import ProxyFix

from geodata.store import Store

from . import (
    auditpage,
    casepage,
    catalogpage,
    context,
    gate,
    geometry,
    health,
    kpipage,
    mobile,
    open311api,
    plotlymap,
    rulespage,
    signin,
)
from .cache import AppCache
from .npm import PROJECT_ROOT
from .settings import Settings

TITLE = "网格治理一张图"
ASSETS = PROJECT_ROOT / "assets"
# Same stack as assets/gridboard.css: Mantine components take their font from the theme.
FONT_STACK = '"PingFang SC", "Noto Sans CJK SC", "Microsoft YaHei", sans-serif'


def cache_config(settings: Settings) -> dict[str, Any]:
    """flask-caching configuration for `settings` (CACHE_TYPE is a class name, as 2.5 wants):
    Redis, shared by every app process, when a Redis URL is set."""
    config: dict[str, Any] = {
        "CACHE_TYPE": "RedisCache" if settings.redis_url else settings.cache_type,
        "CACHE_DEFAULT_TIMEOUT": settings.cache_timeout,
        "CACHE_KEY_PREFIX": "gridboard:",
    }
    if settings.redis_url:
        config["CACHE_REDIS_URL"] = settings.redis_url
        # A Redis that stops answering costs a request at most this long (then uncached).
        config["CACHE_OPTIONS"] = {"socket_connect_timeout": 0.5, "socket_timeout": 1.0}
    elif settings.cache_type == "FileSystemCache":
        config["CACHE_DIR"] = str(settings.cache_dir)
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


# Scripts Dash loads only once the page's layout holds a graph (after the router's answer):
# fetched with the page's own scripts instead, they are ready when the graph asks. The graph
# runs the map's own plotly.js (dashboard/plotlymap.py), or Dash's full one when that was not
# built.
GRAPH_SCRIPT = "dash/dcc/async-graph.js"
FULL_PLOTLY = "plotly/package_data/plotly.min.js"
COMPONENT_SUITES = "/_dash-component-suites/"


def with_preloads(index: str, prefix: str, bundle: plotlymap.PlotlyMap | None) -> str:
    """Dash's page template with the late scripts preloaded in its head (and, when built, the
    map's plotly.js with its styles)."""
    late = (GRAPH_SCRIPT,) if bundle else (GRAPH_SCRIPT, FULL_PLOTLY)
    links = "".join(
        f'<link rel="preload" as="script" href="{prefix}{COMPONENT_SUITES[1:]}{path}">'
        for path in late
    )
    if bundle:
        links += bundle.head_tags(prefix)
    return index.replace("{%css%}", "{%css%}" + links, 1)


def tile_hosts(settings: Settings) -> list[str]:
    """The hosts the map may load tiles from (none by default: the map works offline)."""
    from .readers.map import basemap

    return sorted({f"https://{urlsplit(u).netloc}" for u in basemap(settings).tiles})


def _attach_context(server: Flask, settings: Settings, store: Store) -> None:
    """The app's cache, settings and store, kept on its Flask server."""
    cache = Cache()
    cache.init_app(server, config=cache_config(settings))
    context.attach(server, settings, store, AppCache(cache))


class CompressedCode:
    """flask-compress's cache, keeping only the libraries' code (compressed_code_key): its
    bytes never change while the process runs, so each file is compressed once, not on every
    page view (plotly.js: 100 ms of gzip, even for a 304)."""

    def __init__(self) -> None:
        self._kept: dict[str, bytes] = {}

    def get(self, key: str) -> bytes | None:
        return self._kept.get(key)

    def set(self, key: str, value: bytes) -> None:
        if not key.endswith(";"):  # compressed_code_key gave no key: a page, data
            self._kept[key] = value


def compressed_code_key(request: Request) -> str:
    """The cache key of a library's file: its path, never its query (anyone may ask for code,
    and a key per query would let them fill the memory), or the map's plotly.js's key; "" for
    anything else (our assets too, which may change on disk while the process runs)."""
    if request.path.startswith(plotlymap.PATH):
        return plotlymap.compression_key(request.path)
    return request.path if request.path.startswith(COMPONENT_SUITES) else ""


def create_app(settings: Settings, store: Store) -> dash.Dash:
    """A Dash app serving `store`; each call makes an independent app (tests make several)."""
    server = Flask("dashboard")
    server.config["COMPRESS_CACHE_BACKEND"] = CompressedCode
    server.config["COMPRESS_CACHE_KEY"] = compressed_code_key
    # Files sent as streams (our /assets/) get an ETag naming the compression; without this
    # a browser asking again with it got the whole file, not 304, on every visit.
    server.config["COMPRESS_STREAMING_ENDPOINT_CONDITIONAL"] = ["static", "_dash_assets.static"]
    server.config["MAX_CONTENT_LENGTH"] = settings.max_request_bytes  # bigger bodies get 413
    if settings.proxy_hops:  # the client's address and scheme as the trusted proxies saw them
        hops = settings.proxy_hops
        server.wsgi_app = ProxyFix(server.wsgi_app, x_for=hops, x_proto=hops)  # type: ignore[method-assign]
    server.json = _BoundedJSON(server)
    _attach_context(server, settings, store)
    gate.install(server)  # first: a stranger learns nothing, not even what is malformed

    @server.before_request
    def _refuse_malformed_callbacks() -> None:
        if request.method == "POST" and request.path.endswith("/_dash-update-component"):
            problem = gate.dash_request_problem(request.get_json(silent=True))
            if problem:
                abort(400, description=problem)

    limiter = signin.install(server, settings.login_attempts_per_minute, settings.redis_url)
    auditpage.install(server)
    casepage.install(server)
    catalogpage.install(server)
    rulespage.install(server)
    kpipage.install(server)
    mobile.install(server)
    open311api.install(server, limiter)
    geometry.install(server)
    health.install(server)
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
        # No validation layout: Dash would build it by calling every page's layout for the
        # first request's user and then send it in every page's HTML, to every user (a scope
        # leak, and 4.8 MB on the city demo). It only checks callback ids in the browser.
        suppress_callback_exceptions=True,
        meta_tags=link_preview_tags(settings),
    )
    bundle = plotlymap.load()
    if bundle:
        plotlymap.install(server, bundle)
    app.index_string = with_preloads(app.index_string, app.config.requests_pathname_prefix, bundle)
    hosts = tile_hosts(settings)
    # Hashed on each answer: Dash adds inline scripts of its own (its clientside callbacks)
    # when it sets itself up on the first request, after this function has returned.
    server.config["GRIDBOARD_CSP"] = lambda: gate.content_security_policy(app.csp_hashes(), hosts)
    app.layout = dmc.MantineProvider(
        html.Div(dash.page_container, className="gb-shell"),
        theme={"fontFamily": FONT_STACK, "primaryColor": "blue"},
        forceColorScheme="light",
    )
    return app
