"""The geometry route: the map's shapes as a cacheable resource, inside each asker's scope."""

from __future__ import annotations

import gzip
import importlib
import json
from typing import Any
from urllib.parse import parse_qs, urlsplit

import dash
import pytest

from bench.dashclient import router_body
from dashboard import geometry
from dashboard.readers import map as map_reader
from geodata.model import Level
from geodata.store import Store
from tests.accounts_city import PASSWORD, Town
from tests.webutil import post, serving_app, signed_clients

MAP_ROLES = ("city", "street", "community", "property", "grid_worker")


@pytest.fixture(scope="module")
def app(town_store: Store) -> dash.Dash:
    return serving_app(town_store)


@pytest.fixture(scope="module")
def clients(app: dash.Dash) -> dict[str, Any]:
    return signed_clients(app, (*MAP_ROLES, "admin"), PASSWORD)


def fetch(client: Any, url: str, **headers: str) -> Any:
    """GET `url` as a browser does: gzip accepted."""
    return client.get(url, headers={"Accept-Encoding": "gzip, deflate", **headers})


def shapes(response: Any) -> dict:
    """The FeatureCollection of a gzip-encoded answer."""
    assert response.headers["Content-Encoding"] == "gzip"
    return json.loads(gzip.decompress(response.data))


def figure_urls(client: Any, street: str) -> dict[str, str]:
    """level → the shapes address the map page's figure names, for `client`'s user."""
    layout = json.dumps(post(client, router_body("/", f"?street={street}")).get_json())
    found = {}
    for url in set(_addresses(layout)):
        found[urlsplit(url).path.rsplit("/", 1)[1].removesuffix(".json")] = url
    return found


def _addresses(text: str) -> list[str]:
    prefix = '"' + map_reader.GEOMETRY_PATH
    parts = text.split(prefix)[1:]
    return [map_reader.GEOMETRY_PATH + part.split('"', 1)[0] for part in parts]


def test_the_map_fetches_its_shapes_from_the_route(clients: dict, town: Town) -> None:
    urls = figure_urls(clients["city"], town.street_a)
    assert set(urls) == {"grid", "compound", "community", "street"}
    for level, url in urls.items():
        response = fetch(clients["city"], url)
        assert response.status_code == 200, level
        assert response.mimetype == geometry.MIME
        assert response.headers["Cache-Control"] == geometry.KEEP
        assert parse_qs(urlsplit(url).query)["v"] == [response.headers["ETag"].strip('"')]
        assert shapes(response)["type"] == "FeatureCollection"


def test_shapes_are_the_areas_of_the_street(clients: dict, town: Town, town_store: Store) -> None:
    for level in (Level.GRID, Level.COMPOUND):
        response = fetch(clients["city"], f"/geometry/{level.value}.json?street={town.street_a}")
        ids = [f["id"] for f in shapes(response)["features"]]
        assert ids == sorted(town_store.areas(level, parent=town.street_a)["code"])
        everywhere = fetch(clients["city"], f"/geometry/{level.value}.json?street=all")
        assert len(shapes(everywhere)["features"]) == len(town_store.areas(level))


def test_a_second_look_moves_no_shapes(clients: dict, town: Town) -> None:
    url = figure_urls(clients["city"], town.street_a)["grid"]
    first = fetch(clients["city"], url)
    again = fetch(clients["city"], url, **{"If-None-Match": first.headers["ETag"]})
    assert again.status_code == 304 and again.data == b""
    unversioned = fetch(clients["city"], f"/geometry/grid.json?street={town.street_a}")
    assert unversioned.headers["Cache-Control"] == geometry.CHECK
    assert unversioned.headers["ETag"] == first.headers["ETag"]
    old = fetch(clients["city"], f"/geometry/grid.json?street={town.street_a}&v=0123")
    assert old.headers["Cache-Control"] == geometry.CHECK


def test_without_gzip_the_shapes_come_plain(clients: dict, town: Town) -> None:
    response = clients["city"].get(f"/geometry/grid.json?street={town.street_a}")
    assert "Content-Encoding" not in response.headers
    assert json.loads(response.data)["type"] == "FeatureCollection"


@pytest.mark.parametrize("role", MAP_ROLES)
def test_each_role_gets_only_its_scope(
    role: str, clients: dict, town: Town, town_store: Store
) -> None:
    client, scope = clients[role], town.scopes[role]
    inside = fetch(client, f"/geometry/grid.json?street={scope.inside['street']}")
    assert inside.status_code == 200
    cells = {f["id"] for f in shapes(inside)["features"]}
    assert cells <= set(town_store.areas(Level.GRID, parent=town.street_a)["code"])
    if role == "community":
        assert cells == set(town_store.areas(Level.GRID, parent=town.community)["code"])
    for street in [scope.outside.get("street"), "all"]:
        if street and role != "city":
            refused = fetch(client, f"/geometry/grid.json?street={street}")
            assert refused.status_code == 403, (role, street)
            assert b"coordinates" not in refused.data


def test_scopes_have_shape_versions_of_their_own(clients: dict, town: Town) -> None:
    city = figure_urls(clients["city"], town.street_a)["grid"]
    community = figure_urls(clients["community"], town.street_a)["grid"]
    assert city != community  # a browser shared by both never shows one the other's cache


def test_strangers_and_other_pages_roles_are_refused(app: dash.Dash, clients: dict, town) -> None:
    url = f"/geometry/grid.json?street={town.street_a}"
    stranger = app.server.test_client().get(url)
    assert stranger.status_code == 302 and stranger.location.startswith("/login")
    assert fetch(clients["admin"], url).status_code == 403


@pytest.mark.parametrize(
    ("address", "said"),
    [
        ("/geometry/roads.json?street=all", "no map layer 'roads'"),
        ("/geometry/grid.json?street=999999999", "no street '999999999'"),
    ],
)
def test_bad_addresses_are_named(clients: dict, address: str, said: str) -> None:
    response = fetch(clients["city"], address)
    assert response.status_code == 404 and response.text == said


def test_the_version_follows_the_data_the_basemap_and_the_reach(app: dash.Dash) -> None:
    importlib.import_module("dashboard.readers.map")
    from dashboard import context
    from tests.webutil import signed_in

    with signed_in(app):
        src = context.source()
        one = map_reader.shape_version(src, "grid", "all", "rev-1")
        assert one != map_reader.shape_version(src, "grid", "all", "rev-2")
        assert one != map_reader.shape_version(src, "compound", "all", "rev-1")
