"""Code and styles are compressed once per process and preloaded; pages and data never kept."""

from __future__ import annotations

import gzip
from importlib.resources import files
from typing import Any

import dash
import pytest

from dashboard.app import GRAPH_SCRIPT
from geodata.store import Store
from tests.accounts_city import PASSWORD
from tests.webutil import compressed_kept as kept
from tests.webutil import serving_app, signed_clients

PLOTLY = "/_dash-component-suites/plotly/package_data/plotly.min.js"


@pytest.fixture(scope="module")
def app(town_store: Store) -> dash.Dash:
    return serving_app(town_store)


def test_plotly_is_compressed_once_and_pages_never_kept(app: dash.Dash) -> None:
    client: Any = signed_clients(app, ["city"], PASSWORD)["city"]
    gz = {"Accept-Encoding": "gzip"}
    first, again = client.get(PLOTLY, headers=gz), client.get(PLOTLY, headers=gz)
    source = files("plotly").joinpath("package_data/plotly.min.js").read_bytes()
    assert first.headers["Content-Encoding"] == "gzip" and gzip.decompress(first.data) == source
    assert again.data == first.data
    assert client.get("/", headers=gz).status_code == 200  # a page: compressed, never kept
    assert client.get(PLOTLY + "?junk=1", headers=gz).data == first.data
    assert client.get("/assets/gridboard.css", headers=gz).status_code == 200  # ours: not kept
    assert list(kept(app)) == [f"gzip;{PLOTLY}"]  # one key per file, whatever the query
    revalidated = client.get(PLOTLY, headers={**gz, "If-None-Match": first.headers["ETag"]})
    assert revalidated.status_code == 304


def test_the_graph_script_is_preloaded_from_an_address_that_serves_it(app: dash.Dash) -> None:
    client = signed_clients(app, ["city"], PASSWORD)["city"]
    page = client.get("/").text
    address = f"/_dash-component-suites/{GRAPH_SCRIPT}"
    assert f'<link rel="preload" as="script" href="{address}">' in page
    served = client.get(address)
    assert served.status_code == 200 and served.mimetype.endswith("javascript")


@pytest.mark.parametrize("encoding", ["zstd", "br", "gzip"])
def test_our_assets_are_revalidated_whatever_the_compression(app: dash.Dash, encoding) -> None:
    """A browser asks again for /assets/ files (no-cache) with the ETag it was given, which
    names the compression (Chromium takes zstd): it gets 304, not the whole file again."""
    client: Any = signed_clients(app, ["city"], PASSWORD)["city"]
    asked = {"Accept-Encoding": encoding}
    first = client.get("/assets/gridboard.css?m=1", headers=asked)
    assert first.status_code == 200 and first.headers["ETag"]
    again = client.get(
        "/assets/gridboard.css?m=1", headers={**asked, "If-None-Match": first.headers["ETag"]}
    )
    assert again.status_code == 304 and not again.data
