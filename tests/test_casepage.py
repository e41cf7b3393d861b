"""The work queue's forms over HTTP: who may record a call, forged tokens, cases and
assignees outside one's area — each refused with nothing written."""

from __future__ import annotations

import re
from typing import Any

import pytest

from dashboard.app import create_app
from dashboard.sessions import COOKIE, start
from dashboard.settings import Settings
from geodata.store import Store
from tests.accounts_city import Town


@pytest.fixture
def store(town_copy: Store) -> Store:
    return town_copy


def _client(store: Store, login: str) -> tuple[Any, str]:
    client = create_app(Settings.from_env({}), store).server.test_client()
    client.set_cookie(COOKIE, start(store, "user", login))
    page = client.get("/cases").get_data(as_text=True)
    return client, re.search(r'name="csrf_token" value="([^"]+)"', page)[1]


def _count(store: Store) -> int:
    return store.counts()["cases"]


def test_only_a_desk_records_a_call_and_only_in_its_area(store: Store, town: Town) -> None:
    call = {"area": town.compound, "category": "noise", "source": "hotline_12345",
            "description": "噪音"}  # fmt: skip
    before = _count(store)
    client, token = _client(store, "property")
    assert client.post("/cases/new", data=call | {"csrf_token": token}).status_code == 403
    client, token = _client(store, "street")
    assert client.post("/cases/new", data=call | {"csrf_token": "forged"}).status_code == 400
    outside = call | {"csrf_token": token, "area": town.scopes["street"].outside["area"]}
    assert client.post("/cases/new", data=outside).status_code == 400
    bad_phone = call | {"csrf_token": token, "reporter_phone": "call me"}
    assert client.post("/cases/new", data=bad_phone).status_code == 400
    assert _count(store) == before
    assert client.post("/cases/new", data=call | {"csrf_token": token}).status_code == 303
    assert _count(store) == before + 1


def test_an_action_outside_ones_area_or_to_a_stranger_is_refused(store: Store, town: Town) -> None:
    client, token = _client(store, "street")
    call = {"area": town.compound, "category": "noise", "source": "hotline_12345",
            "description": "噪音", "csrf_token": token}  # fmt: skip
    where = client.post("/cases/new", data=call).location
    case_id = re.search(r"case=([^&]+)", where)[1]
    form = {"csrf_token": token, "case": case_id, "version": "0", "action": "register"}
    assert client.post("/cases/act", data=form).status_code == 303
    stranger = {**form, "version": "1", "action": "dispatch", "assignee": "ORG-NOBODY|P9"}
    answer = client.post("/cases/act", data=stranger)
    assert answer.status_code == 409 and "所选处置单位不负责此处" in answer.get_data(as_text=True)
    other, other_token = _client(store, "community")  # another community's desk
    in_b = {**form, "csrf_token": other_token, "version": "1", "action": "reject", "note": "x"}
    assert not town.compound.startswith(town.community)  # the town puts it elsewhere
    answer = other.post("/cases/act", data=in_b)
    assert answer.status_code == 409 and "没有此诉求" in answer.get_data(as_text=True)
    assert [e.action for e in store.case_events(case_id)] == ["register"]


def test_a_case_outside_ones_area_is_never_merged_into(store: Store, town: Town) -> None:
    city, city_token = _client(store, "city")
    call = {"category": "noise", "source": "hotline_12345", "description": "噪音",
            "csrf_token": city_token}  # fmt: skip
    outside = town.scopes["street"].outside["area"]  # a cell of street B
    far = re.search(
        r"case=([^&]+)", city.post("/cases/new", data=call | {"area": outside}).location
    )[1]
    client, token = _client(store, "street")
    mine = re.search(
        r"case=([^&]+)",
        client.post(
            "/cases/new", data=call | {"area": town.compound, "csrf_token": token}
        ).location,
    )[1]
    merge = {"csrf_token": token, "case": mine, "version": "0", "action": "merge", "original": far}
    answer = client.post("/cases/act", data=merge)
    assert answer.status_code == 409 and "没有此诉求" in answer.get_data(as_text=True)
    assert store.case_events(mine) == []


def test_the_kpi_ranking_is_cut_to_ones_scope(store: Store, town: Town) -> None:
    city, _ = _client(store, "city")
    month = "2026-11"  # the town's demo history ends on 28 November
    page = city.get(f"/kpi?period={month}&by=street").get_data(as_text=True)
    assert f'data-key="{town.street_a}"' in page and f'data-key="{town.street_b}"' in page
    street, _ = _client(store, "street")
    page = street.get(f"/kpi?period={month}&by=community").get_data(as_text=True)
    keys = re.findall(r'<tr data-key="([^"]+)"', page)
    assert keys and all(k.startswith(town.street_a) for k in keys)
    table = street.get(f"/kpi.csv?period={month}&by=community").get_data(as_text=True)
    assert table.startswith("\ufeff社区,立案数") and len(table.splitlines()) == len(keys) + 1
    bad = street.get("/kpi?period=last-week")
    assert bad.status_code == 400 and "is not a week" in bad.get_data(as_text=True)
    property_, _ = _client(store, "property")
    assert property_.get("/kpi").status_code == 403
