"""The map's plotly.js bundle: pinned to the plotly package's version, served long-cached, and
the pages fall back to Dash's full plotly.js only when it was not built."""

from __future__ import annotations

import gzip
import json
import logging
from pathlib import Path
from typing import Any

import dash
import pytest
from plotly.offline import get_plotlyjs_version

from dashboard import plotlymap
from dashboard.app import COMPONENT_SUITES, FULL_PLOTLY, GRAPH_SCRIPT, with_preloads
from geodata.store import Store
from tests.accounts_city import PASSWORD
from tests.webutil import compressed_kept as kept
from tests.webutil import serving_app, signed_clients

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture
def app(town_store: Store) -> dash.Dash:
    return serving_app(town_store)


@pytest.fixture(scope="module")
def bundle() -> plotlymap.PlotlyMap:
    built = plotlymap.load()
    assert built is not None, "make node_modules builds the map's plotly.js"
    return built


def test_the_bundle_is_built_from_the_plotly_js_the_plotly_package_speaks() -> None:
    """The figures are made by the Python package: its plotly.js version, no other."""
    wanted = get_plotlyjs_version()
    pinned = json.loads((ROOT / "package.json").read_text())["dependencies"]["plotly.js"]
    installed = json.loads((ROOT / "node_modules/plotly.js/package.json").read_text())["version"]
    assert pinned == installed == wanted


def test_pages_preload_the_bundle_and_point_the_graph_at_it(
    app: dash.Dash, bundle: plotlymap.PlotlyMap
) -> None:
    page = signed_clients(app, ["city"], PASSWORD)["city"].get("/").text
    script = bundle.address(plotlymap.SCRIPT)
    assert f'<link rel="preload" as="script" id="{plotlymap.LINK_ID}" href="{script}">' in page
    assert f'<link rel="stylesheet" href="{bundle.address(plotlymap.STYLE)}">' in page
    assert f"{COMPONENT_SUITES}{GRAPH_SCRIPT}" in page
    assert FULL_PLOTLY not in page
    # The script that points dcc.Graph at the bundle runs before Dash's renderer starts.
    assert page.index("/assets/plotlymap.js") < page.index("new DashRenderer")


def test_the_bundle_is_served_to_anyone_compressed_and_kept_for_a_year(
    app: dash.Dash, bundle: plotlymap.PlotlyMap
) -> None:
    client: Any = app.server.test_client()  # not signed in: code holds no data
    gz = {"Accept-Encoding": "gzip"}
    script = client.get(bundle.address(plotlymap.SCRIPT), headers=gz)
    assert script.status_code == 200 and script.mimetype == "text/javascript"
    assert gzip.decompress(script.data) == bundle.script
    assert script.headers["Cache-Control"] == plotlymap.KEEP
    style = client.get(bundle.address(plotlymap.STYLE))
    assert style.mimetype == "text/css" and style.data == bundle.style
    again = client.get(
        bundle.address(plotlymap.STYLE), headers={"If-None-Match": style.headers["ETag"]}
    )
    assert again.status_code == 304 and not again.data


OTHER_NAMES = ["plotly-map.min.js", "plotly-map.0123.min.js", "plotly-map.map", "x", "app.py"]


@pytest.mark.parametrize("name", OTHER_NAMES)
def test_a_name_that_is_no_builds_address_is_not_found(app: dash.Dash, name: str) -> None:
    answer = app.server.test_client().get(plotlymap.PATH + name)
    assert answer.status_code == 404 and answer.mimetype == "text/plain"


@pytest.mark.parametrize("suffix", ["js", "css"])
def test_an_earlier_builds_address_gets_this_build_checked_each_time(
    app: dash.Dash, bundle: plotlymap.PlotlyMap, suffix: str
) -> None:
    """A page opened before an upgrade still draws its first graph after it; the compressed
    copy is kept once per file, not once per address anyone makes up."""
    client = app.server.test_client()
    for digest in ("0" * 20, "1" * 20, bundle.digest):
        address = f"{plotlymap.PATH}plotly-map.{digest}.min.{suffix}"
        answer = client.get(address, headers={"Accept-Encoding": "gzip"})
        assert answer.status_code == 200
        assert gzip.decompress(answer.data) == (bundle.script if suffix == "js" else bundle.style)
        fresh = digest == bundle.digest
        assert answer.headers["Cache-Control"] == (plotlymap.KEEP if fresh else plotlymap.CHECK)
    assert [key for key in kept(app) if plotlymap.PATH in key] == [
        f"gzip;{plotlymap.PATH}plotly-map.min.{suffix}"
    ]


def test_a_bundle_not_built_falls_back_to_the_full_plotly(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.WARNING, logger=plotlymap.__name__):
        assert plotlymap.load(tmp_path) is None
    assert "make node_modules" in caplog.text
    index = with_preloads("<head>{%css%}</head>", "/", None)
    assert f'href="{COMPONENT_SUITES}{FULL_PLOTLY}"' in index
    assert plotlymap.PATH not in index and plotlymap.LINK_ID not in index


def test_the_digest_follows_the_content(tmp_path: Path, bundle: plotlymap.PlotlyMap) -> None:
    (tmp_path / plotlymap.SCRIPT).write_bytes(bundle.script + b"\n")
    (tmp_path / plotlymap.STYLE).write_bytes(bundle.style)
    changed = plotlymap.load(tmp_path)
    assert changed is not None and changed.digest != bundle.digest
