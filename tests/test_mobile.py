"""The grid worker's phone page over HTTP: today's round, a check-in's distance, a visit stored
once however often it is sent, and each bad visit refused with nothing stored."""

from __future__ import annotations

import datetime as dt
import re
import uuid
from typing import Any

import pytest
from markupsafe import escape

from dashboard.i18n import t
from dashboard.readers import mobile as reader
from geodata.store import QueueFilter, Store
from tests.accounts_city import Town
from tests.webutil import form_token, session_client


@pytest.fixture
def store(town_copy: Store) -> Store:
    return town_copy


def _client(store: Store, login: str = "grid_worker") -> Any:
    return session_client(store, login)


def _first_building(page: str) -> str:
    return re.search(r'data-stop="B:([^"]+)"', page)[1]


def _building(store: Store, town: Town, building_id: str) -> dict[str, Any]:
    cell = town.scopes["grid_worker"].inside["area"]
    for code in [cell, *store.grid_workers(town.worker)["grid_code"].dropna()]:
        found = store.buildings(code)
        found = found[found["id"] == building_id]
        if len(found):
            point = found.geometry.iloc[0]
            return {"lon": point.x, "lat": point.y, "households": int(found["households"].iloc[0])}
    raise AssertionError(building_id)


def _visits(store: Store, town: Town) -> int:
    return len(store.visits(worker_id=town.worker))


def _form(page: str, building: str, where: dict[str, Any], **changes: Any) -> dict[str, Any]:
    form = {
        "csrf_token": form_token(page),
        "visit_id": str(uuid.uuid4()),
        "building": building,
        "stop": f"B:{building}",
        "lon": f"{where['lon']:.6f}",
        "lat": f"{where['lat']:.6f}",
        "households_reached": "3",
        "residents_met": "4",
        "notes": "楼道灯坏了",
        "follow_up": "1",
    }
    return form | changes


def test_the_worker_sees_todays_round_and_own_cases(store: Store, town: Town) -> None:
    answer = _client(store).get("/m")
    page = answer.get_data(as_text=True)
    assert answer.status_code == 200
    assert t("mobile.round", "zh") in page and t("mobile.cases", "zh") in page
    stops = re.findall(r'<li class="gb-m-stop[^"]*" data-stop="([BC]:[^"]+)"', page)
    assert len(stops) >= 2
    assert re.search(r'gb-m-next" data-stop="' + re.escape(stops[0]), page)
    assert page.count('aria-current="step"') == 1
    assert "plotly" not in page and "<script>" not in page  # a light page, no inline script
    now = dt.datetime.now(dt.UTC)
    mine, _ = store.work_queue(None, "handling", now, QueueFilter(None, None, None, town.worker))
    listed = re.findall(r'<li data-case="([^"]+)"', page)
    assert sorted(listed) == sorted(mine["id"]) and listed
    english = _client(store).get("/m?lang=en").get_data(as_text=True)
    assert str(escape(t("mobile.round", "en"))) in english and "今日路线" not in english


def test_a_check_in_shows_the_distance_flagged_when_far_or_unknown(
    store: Store, town: Town
) -> None:
    client = _client(store)
    building = _first_building(client.get("/m").get_data(as_text=True))
    at = _building(store, town, building)
    near = client.get(f"/m?stop=B:{building}&lon={at['lon']:.6f}&lat={at['lat']:.6f}")
    page = near.get_data(as_text=True)
    assert 'id="m-checkin"' in page and 'data-flagged="0"' in page
    assert re.search(r'data-metres="[0-9]"', page)  # rounding to 6 decimals: under 1 m off
    away = client.get(f"/m?stop=B:{building}&lon={at['lon'] + 0.003:.6f}&lat={at['lat']:.6f}")
    assert 'data-flagged="1"' in away.get_data(as_text=True)
    unknown = client.get(f"/m?stop=B:{building}").get_data(as_text=True)
    assert t("mobile.distance.none", "zh") in unknown
    assert t("mobile.problem.no_stop", "zh") in client.get("/m?stop=B:NOPE").get_data(as_text=True)


def test_a_visit_is_stored_once_however_often_it_is_sent(store: Store, town: Town) -> None:
    client = _client(store)
    page = client.get("/m").get_data(as_text=True)
    building = _first_building(page)
    form = _form(page, building, _building(store, town, building))
    before = _visits(store, town)
    first = client.post("/m/visit", data=form)
    assert first.status_code == 303 and "done=stored" in first.location
    again = client.post("/m/visit", data=form)
    assert again.status_code == 303 and "done=already" in again.location
    assert _visits(store, town) == before + 1
    stored = store.visits(worker_id=town.worker).set_index("id").loc[form["visit_id"]]
    assert stored["building_id"] == building
    assert (stored["households_reached"], stored["needs_found"]) == (3, 1)
    assert (stored["residents_met"], stored["notes"], stored["far"]) == (4, "楼道灯坏了", 0)
    assert stored["checkin_m"] < 1
    done = client.get(first.location).get_data(as_text=True)
    assert t("mobile.done.stored_at", "zh", m=0) in done
    assert re.search(r'gb-m-visited" data-stop="B:' + re.escape(building), done)
    entries = store.audit_entries(actor="grid_worker")
    mine = [e for e in entries if e.action == "visit_record"]
    assert [e.outcome for e in mine] == ["stored", "already"]
    assert f"visit={form['visit_id']}" in mine[0].target and "far=0" in mine[0].target
    assert "楼道灯" not in " ".join(e.target for e in entries)  # the notes stay in the store


@pytest.mark.parametrize(
    ("change", "problem"),
    [
        ({"households_reached": "-1"}, "bad_count"),
        ({"households_reached": "2.5"}, "bad_count"),
        ({"residents_met": "lots"}, "bad_count"),
        ({"households_reached": "100000"}, "too_many_households"),
        ({"lon": "2.352200", "lat": "48.856600"}, "far_away"),  # Paris
        ({"lon": "east", "lat": "35"}, "bad_location"),
        ({"visit_id": "not-a-uuid"}, "bad_id"),
        ({"notes": "长" * 2001}, "notes_too_long"),
        ({"household": "H-NOT-HERE"}, "bad_household"),
    ],
)
def test_a_bad_visit_is_refused_with_nothing_stored(
    store: Store, town: Town, change: dict[str, str], problem: str
) -> None:
    client = _client(store)
    page = client.get("/m").get_data(as_text=True)
    building = _first_building(page)
    before = _visits(store, town)
    at = _building(store, town, building)
    answer = client.post("/m/visit", data=_form(page, building, at) | change)
    assert answer.status_code == 400
    km = round(reader.distance_m(2.3522, 48.8566, at["lon"], at["lat"]) / 1000)
    expected = t(f"mobile.problem.{problem}", "zh", households=at["households"], km=km, chars=2000)
    assert expected in answer.get_data(as_text=True)
    assert _visits(store, town) == before
    assert not [e for e in store.audit_entries() if e.outcome == "stored"]


def test_a_building_in_another_workers_cell_is_refused(store: Store, town: Town) -> None:
    client = _client(store)
    page = client.get("/m").get_data(as_text=True)
    other_cell = town.scopes["grid_worker"].outside["area"]
    others = store.buildings(other_cell)
    point = others.geometry.iloc[0]
    where = {"lon": point.x, "lat": point.y}
    before = _visits(store, town)
    answer = client.post("/m/visit", data=_form(page, str(others["id"].iloc[0]), where))
    assert answer.status_code == 400
    assert t("mobile.problem.not_yours", "zh") in answer.get_data(as_text=True)
    assert _visits(store, town) == before
    refusals = [e for e in store.audit_entries() if e.action == "visit_record"]
    assert [e.outcome for e in refusals] == ["refused"] and "not_yours" in refusals[0].target


def test_a_forged_form_and_a_non_worker_are_refused(store: Store, town: Town) -> None:
    client = _client(store)
    page = client.get("/m").get_data(as_text=True)
    building = _first_building(page)
    form = _form(page, building, _building(store, town, building))
    before = store.counts()["visits"]
    assert client.post("/m/visit", data=form | {"csrf_token": "forged"}).status_code == 400
    desk = _client(store, "street")
    assert desk.get("/m").status_code == 403
    assert desk.post("/m/visit", data=form).status_code == 403
    assert store.counts()["visits"] == before


def test_tagged_households_reached_are_linked_to_the_visit(store: Store, town: Town) -> None:
    client = _client(store)
    page = client.get("/m").get_data(as_text=True)
    cells = list(store.grid_workers(town.worker)["grid_code"].dropna())
    tagged = store.households(cells)
    assert len(tagged) and str(tagged["id"].iloc[0]) in page  # the worker's own, to tick
    looks = [e for e in store.audit_entries(actor="grid_worker") if e.action == "households_view"]
    assert looks and f"households={len(tagged)}" in looks[-1].target
    building = str(tagged["building_id"].iloc[0])
    ticked = list(tagged.loc[tagged["building_id"] == building, "id"].astype(str))[:2]
    form = _form(page, building, _building(store, town, building)) | {"household": ticked}
    form["households_reached"] = str(len(ticked))
    assert client.post("/m/visit", data=form).status_code == 303
    today = reader.today()
    seen = store.households(building_ids=[building], visited_until=today).set_index("id")
    assert all(seen.loc[h, "last_visit"] == today for h in ticked)
    in_building = store.households(building_ids=[building], visited_until=today)
    others = in_building.set_index("id").drop(ticked)
    assert not (others["last_visit"] == today).any()  # only those ticked were reached
