"""The work queue's forms over HTTP: who may record a call, forged tokens, cases and
assignees outside one's area — each refused with nothing written."""

from __future__ import annotations

import datetime as dt
import io
import re
from typing import Any
from urllib.parse import urlencode

import pandas as pd
import pytest

from dashboard.app import create_app
from dashboard.i18n import t
from dashboard.sessions import COOKIE, start
from dashboard.settings import Settings
from geodata.casework import Action, Actor, Request
from geodata.model import Level
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


# --- bulk dispatch on the 待派遣 tab ------------------------------------------------------------
def _registered(store: Store, ids_areas: dict[str, str]) -> None:
    """Cases waiting for dispatch (status registered), each at the inner point of its area."""
    now = pd.Timestamp.now(tz="UTC")
    rows = []
    for case_id, code in ids_areas.items():
        level = Level.COMPOUND if "XQ" in code else Level.GRID
        point = store.areas(level).set_index("code").at[code, "geometry"].representative_point()
        rows.append({"id": case_id, "category": "noise", "status": "registered", "lon": point.x,
                     "lat": point.y, "reported_at": now, "description": "噪音"})  # fmt: skip
    store.add_cases(pd.DataFrame(rows))


def _offered(page: str) -> dict[str, str]:
    """The bulk form's organisations: id → label."""
    return dict(re.findall(r'<option value="([^"|]+)\|">([^<]+)</option>', page))


def _bulk(client: Any, token: str, picks: list[str], org: str) -> Any:
    form = {"csrf_token": token, "bulk": "dispatch", "assignee": f"{org}|", "case": picks}
    return client.post("/cases?tab=registered", data=form)


def _other_company_compound(store: Store, town: Town) -> str:
    """A compound of street A run by a company other than the town's property company."""
    compounds = store.areas(Level.COMPOUND, parent=town.street_a)
    others = compounds[compounds["property_company_id"].notna()]
    others = others[others["property_company_id"] != town.property_org]
    return str(others.sort_values("code")["code"].iloc[0])


def test_a_bulk_dispatch_sends_each_case_it_may_and_says_why_not_the_others(
    store: Store, town: Town
) -> None:
    far = town.scopes["street"].outside["area"]  # a cell of street B
    other = _other_company_compound(store, town)
    _registered(store, {"B1": town.compound, "B2": town.compound, "B3": town.compound,
                        "B4": other, "B5": far})  # fmt: skip
    client, token = _client(store, "street")
    page = client.get("/cases?tab=registered").get_data(as_text=True)
    shown = re.findall(r'name="case" value="([^"]+)"', page)
    assert {"B1|0", "B2|0", "B3|0", "B4|0"} <= set(shown) and not any("B5" in s for s in shown)
    assert town.property_org in _offered(page)
    city = Actor("city", frozenset({"city"}))  # someone dispatches B3 in the meantime
    at = dt.datetime.now(dt.UTC)
    store.act("B3", Request(Action.DISPATCH, org_id=town.property_org), city, 0, at)

    answer = _bulk(client, token, ["B1|0", "B2|0", "B3|0", "B4|0", "B5|0"], town.property_org)
    body = answer.get_data(as_text=True)
    assert answer.status_code == 200 and t("cases.bulk.done", "zh", count=2) in body
    refused = dict(re.findall(r'<li data-case="([^"]+)">[^:]+: ([^<]+)</li>', body))
    assert refused["B3"].startswith("case B3 changed by 测试city at ")
    assert refused["B3"].endswith("— reload")
    assert refused["B4"] == t("cases.problem.bad_assignee", "zh")
    assert refused["B5"] == t("cases.problem.no_case", "zh")
    for case_id in ("B1", "B2"):
        state = store.case_state(case_id)
        assert (state.status.value, state.assignee_org, state.version) == (
            "dispatched",
            town.property_org,
            1,
        )
        assert [e.actor for e in store.case_events(case_id)] == ["street"]
    assert [e.actor for e in store.case_events("B3")] == ["city"]  # the other's, alone
    for case_id in ("B4", "B5"):
        assert store.case_events(case_id) == []
        assert store.case_state(case_id).status.value == "registered"
    assert any(
        e.action == "case_bulk_dispatch" and e.outcome == "refused" and "B5" in e.target
        for e in store.audit_entries()
    )
    page = client.get("/cases?tab=handling").get_data(as_text=True)
    assert 'data-case="B1"' in page and 'data-case="B2"' in page


def test_a_bulk_dispatch_over_the_cap_or_without_a_choice_changes_nothing(
    store: Store, town: Town
) -> None:
    _registered(store, {"C1": town.compound})
    client, token = _client(store, "street")
    before = store.case_state("C1")
    too_many = ["C1|0"] + [f"X{i}|0" for i in range(100)]
    answer = _bulk(client, token, too_many, town.property_org)
    assert answer.status_code == 400
    assert t("cases.bulk.problem.too_many", "zh", limit=100, count=101) in answer.text
    for form, key in (
        ({"csrf_token": token, "bulk": "dispatch", "assignee": f"{town.property_org}|"}, "none"),
        ({"csrf_token": token, "bulk": "dispatch", "case": "C1|0"}, "no_assignee"),
    ):
        answer = client.post("/cases?tab=registered", data=form)
        assert answer.status_code == 400 and t(f"cases.bulk.problem.{key}", "zh") in answer.text
    assert _bulk(client, "forged", ["C1|0"], town.property_org).status_code == 400
    property_, property_token = _client(store, "property")  # not a desk: refused outright
    answer = _bulk(property_, property_token, ["C1|0"], town.property_org)
    assert answer.status_code == 403 and t("cases.problem.not_desk", "zh") in answer.text
    assert store.case_state("C1") == before and store.case_events("C1") == []


def test_select_all_ticks_every_case_on_the_page(store: Store, town: Town) -> None:
    _registered(store, {"D1": town.compound, "D2": town.compound})
    client, _ = _client(store, "street")
    boxes = re.compile(r'<input type="checkbox" name="case"[^>]*>')
    plain = boxes.findall(client.get("/cases?tab=registered").text)
    ticked = boxes.findall(client.get("/cases?tab=registered&pick=all").text)
    assert len(plain) == len(ticked) >= 2
    assert not any("checked" in b for b in plain) and all("checked" in b for b in ticked)
    assert "cases-bulk" not in client.get("/cases?tab=reported").text  # only 待派遣


# --- the map panel's links into the queue --------------------------------------------------------
def test_the_desk_call_form_opens_prefilled_with_an_area_in_scope(store: Store, town: Town) -> None:
    client, _ = _client(store, "street")
    answer = client.get(f"/cases/new?{urlencode({'area': town.compound, 'lang': 'en'})}")
    assert answer.status_code == 200
    assert '<details class="gb-case-new" open>' in answer.text
    assert re.search(rf'<input name="area"[^>]* value="{town.compound}">', answer.text)
    assert store.area(town.compound)["name"] in answer.text
    outside = client.get(f"/cases/new?area={town.scopes['street'].outside['area']}")
    assert outside.status_code == 400 and t("cases.problem.bad_area", "zh") in outside.text
    assert re.search(r'<input name="area"[^>]* value="">', outside.text)  # open, not filled
    for junk in ("", "x" * 500, "<script>"):
        assert client.get("/cases/new", query_string={"area": junk}).status_code == 400
    worker, _ = _client(store, "grid_worker")  # not a desk: no form, prefilled or not
    answer = worker.get(f"/cases/new?area={town.scopes['grid_worker'].inside['area']}")
    assert answer.status_code == 403 and 'id="case-new"' not in answer.text


def test_a_case_link_opens_its_drawer_only_in_scope(store: Store, town: Town) -> None:
    _registered(store, {"E1": town.compound})
    street, _ = _client(store, "street")
    assert 'id="case-drawer" data-case="E1"' in street.get("/cases?case=E1&lang=zh").text
    other, _ = _client(store, "community")  # another community's desk
    answer = other.get("/cases?case=E1")
    assert 'id="case-drawer"' not in answer.text
    assert t("cases.problem.no_case", "zh") in answer.text


def test_the_drawer_draws_its_compound_cell_buildings_and_point(store: Store, town: Town) -> None:
    _registered(store, {"E2": town.compound})
    street, _ = _client(store, "street")
    page = street.get("/cases?case=E2&lang=zh").text
    svg = re.search(r'<svg id="case-minimap".*?</svg>', page, re.S)[0]
    assert svg.count('class="gb-mini-compound"') == 1
    assert svg.count('class="gb-mini-grid"') == 1
    buildings = store.buildings(town.compound)
    assert svg.count('class="gb-mini-building"') == len(buildings) > 0
    assert 'id="case-minimap-point"' in svg
    assert "<script" not in svg


def _handling(store: Store, town: Town, case_id: str) -> None:
    """A case in the grid worker's cell, dispatched to them and accepted."""
    cell = town.scopes["grid_worker"].inside["area"]
    _registered(store, {case_id: cell})
    community = store.area(cell)["community_code"]
    desk = Actor("desk", frozenset({"street"}))
    worker = Actor("grid_worker", frozenset({"grid_worker"}), town.worker)
    now = dt.datetime.now(dt.UTC)
    dispatch = Request(Action.DISPATCH, org_id=f"ORG-COM-{community}", person_id=town.worker)
    store.act(case_id, dispatch, desk, 0, now)
    store.act(case_id, Request(Action.ACCEPT), worker, 1, now)


def _jpeg() -> bytes:
    from PIL import Image

    out = io.BytesIO()
    Image.new("RGB", (300, 200), "green").save(out, "JPEG")
    return out.getvalue()


def _noisy_jpeg() -> bytes:
    import numpy as np
    from PIL import Image

    pixels = np.random.default_rng(1).integers(0, 255, (1400, 1400, 3), dtype=np.uint8)
    out = io.BytesIO()
    Image.fromarray(pixels).save(out, "JPEG", quality=95)
    assert out.tell() > 2_000_000
    return out.getvalue()


def test_a_resolve_brings_a_photo_that_only_those_who_may_see_residents_see(
    store: Store, town: Town
) -> None:
    _handling(store, town, "PH1")
    worker, token = _client(store, "grid_worker")
    form = {"csrf_token": token, "case": "PH1", "action": "resolve", "version": "2"}
    pdf = (io.BytesIO(b"%PDF-1.7\n" + b"x" * 2000), "photo.jpg")  # renamed
    answer = worker.post("/cases/act", data=form | {"note": "已处理", "photo": pdf})
    assert answer.status_code == 400 and t("cases.photo.not_photo", "zh") in answer.text
    assert "not a JPEG" not in answer.text  # the reason is said in the reader's language
    assert store.case_state("PH1").status.value == "in_progress"
    assert store.case_photos("PH1") == []
    too_big = (io.BytesIO(b"\xff\xd8" + b"0" * 9_000_000), "big.jpg")
    answer = worker.post("/cases/act", data=form | {"note": "已处理", "photo": too_big})
    assert answer.status_code == 413 and store.case_photos("PH1") == []
    assert t("cases.photo.too_big", "zh", mb=8) in answer.text
    photo = (io.BytesIO(_noisy_jpeg()), "现场.jpg")  # over 2 MB: above the forms' 1 MB limit
    answer = worker.post("/cases/act", data=form | {"note": "已处理", "photo": photo})
    assert answer.status_code == 303
    (kept,) = store.case_photos("PH1")
    street, _ = _client(store, "street")
    drawer = street.get("/cases?case=PH1&lang=zh").text
    assert f'src="/cases/photo?id={kept["id"]}"' in drawer
    shown = street.get(f"/cases/photo?id={kept['id']}")
    assert shown.status_code == 200 and shown.mimetype == "image/jpeg"
    assert shown.data == store.case_photo(kept["id"])[1]
    looks = [e for e in store.audit_entries() if e.action == "case_photo"]
    assert looks and f"photo={kept['id']}" in looks[-1].target
    community, _ = _client(store, "community")
    assert community.get(f"/cases/photo?id={kept['id']}").status_code == 200  # its area


def test_a_photo_is_not_shown_to_who_may_not_see_residents_data(store: Store, town: Town) -> None:
    """A property company sees its compounds' cases, and that a photo exists, never the photo."""
    from geodata.photos import clean_photo

    _registered(store, {"PH2": town.compound})
    desk = Actor("desk", frozenset({"street"}))
    company = Actor("property", frozenset({"property"}), None, frozenset({town.property_org}))
    now = dt.datetime.now(dt.UTC)
    store.act("PH2", Request(Action.DISPATCH, org_id=town.property_org), desk, 0, now)
    store.act("PH2", Request(Action.ACCEPT), company, 1, now)
    photo = clean_photo(_jpeg())
    store.act("PH2", Request(Action.RESOLVE, note="好"), company, 2, now, "-", photo)
    (kept,) = store.case_photos("PH2")
    viewer, _ = _client(store, "property")
    drawer = viewer.get("/cases?case=PH2&lang=zh").text
    assert 'id="case-drawer" data-case="PH2"' in drawer
    assert "case-photos-hidden" in drawer and "/cases/photo?id=" not in drawer
    assert viewer.get(f"/cases/photo?id={kept['id']}").status_code == 404
    street, _ = _client(store, "street")
    assert street.get(f"/cases/photo?id={kept['id']}").status_code == 200
    assert street.get("/cases/photo?id=nope").status_code == 404


def test_the_queue_names_assignees(store: Store, town: Town) -> None:
    _handling(store, town, "AN1")
    street, _ = _client(store, "street")
    page = street.get("/cases?tab=handling&lang=zh").text
    row = re.search(r'<tr data-case="AN1">.*?</tr>', page, re.S)[0]
    assert f'<td title="{town.worker}">{store.person(town.worker)["name"]}</td>' in row
