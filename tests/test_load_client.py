"""The load test's Dash client fires what a browser fires: a page's load, then a user's changes."""

from __future__ import annotations

from typing import Any

import dash
import pytest

from bench.dashclient import DashPage
from dashboard import ids
from geodata.store import Store
from tests.accounts_city import PASSWORD, Town
from tests.webutil import serving_app, signed_clients


@pytest.fixture(scope="module")
def app(town_store: Store) -> dash.Dash:
    return serving_app(town_store)


def opened(app: dash.Dash, login: str, pathname: str, search: str) -> tuple[DashPage, list]:
    client = signed_clients(app, [login], PASSWORD)[login]
    asked: list[tuple[str, int]] = []

    def post(body: dict[str, Any], name: str) -> dict[str, Any] | None:
        answer = client.post("/_dash-update-component", json=body)
        asked.append((name, answer.status_code))
        return answer.get_json() if answer.status_code == 200 else None

    page = DashPage(client.get("/_dash-dependencies").get_json(), post)
    page.open(pathname, search, client.get("/_dash-layout").get_json())
    return page, asked


def test_the_map_page_loads_and_answers_a_click_and_the_case_table(
    app: dash.Dash, town: Town
) -> None:
    page, asked = opened(app, "street", "/", f"?street={town.street_a}")
    assert ("router /", 200) in asked and all(status == 200 for _, status in asked), asked
    assert page.props[(ids.VIEW, "data")]["street"] == town.street_a
    page.set((ids.MAP, "clickData"), {"points": [{"location": town.compound}]})
    assert page.props[(ids.VIEW, "data")]["area"] == town.compound
    assert town.compound in str(page.props[(ids.PANEL, "children")])
    page.set((ids.CASE_TABLE_START, "data"), 1)
    request = {"startRow": 0, "endRow": 100, "sortModel": [], "filterModel": {}}
    page.set((ids.CASE_TABLE, "getRowsRequest"), request)
    assert page.props[(ids.CASE_TABLE, "getRowsResponse")]["rowData"]
    assert all(status == 200 for _, status in asked), asked


def test_a_grid_worker_s_round_is_planned_on_load(app: dash.Dash) -> None:
    page, asked = opened(app, "grid_worker", "/routes", "")
    assert ("callback routes-map.figure", 200) in asked
    assert page.props[(ids.ROUTES_MAP, "figure")]["data"]
