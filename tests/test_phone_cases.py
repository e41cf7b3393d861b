"""Cases from the grid worker's phone over HTTP: a doorstep report with a photo stored once
however often it is sent, a worker's action on their own case, a resend told apart from a
conflict, the JSON answers the page's send queue reads, and each bad record refused with
nothing stored."""

from __future__ import annotations

import datetime as dt
import io
import re
import uuid
from typing import Any

import pytest
from PIL import Image

from dashboard.i18n import t
from dashboard.mobile import QUEUE_HEADER
from dashboard.readers.phonecases import case_id_of
from geodata.casework import Action, Actor, Request
from geodata.photos import MAX_BYTES
from geodata.store import Store
from tests.accounts_city import Town
from tests.test_mobile import _building, _client, _first_building
from tests.webutil import form_token

QUEUE = {QUEUE_HEADER: "1"}


@pytest.fixture
def store(town_copy: Store) -> Store:
    return town_copy


def _jpeg(size: tuple[int, int] = (2400, 1800)) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", size, (200, 120, 40)).save(out, "JPEG", quality=90)
    return out.getvalue()


def _report(page: str, where: dict[str, Any], **changes: Any) -> dict[str, Any]:
    form = {
        "csrf_token": form_token(page),
        "report_id": str(uuid.uuid4()),
        "category": "sanitation",
        "description": "三单元楼道堆放杂物<script>alert(1)</script>",
        "lon": f"{where['lon']:.6f}",
        "lat": f"{where['lat']:.6f}",
        "building": "",
    }
    return form | changes


def _at_first_building(client: Any, store: Store, town: Town) -> tuple[str, dict[str, Any]]:
    page = client.get("/m").get_data(as_text=True)
    return page, _building(store, town, _first_building(page))


def test_a_report_with_a_photo_is_stored_once_however_often_it_is_sent(
    store: Store, town: Town
) -> None:
    client = _client(store)
    page, at = _at_first_building(client, store, town)
    form = _report(page, at)
    before = store.counts()["cases"]
    first = client.post("/m/case", data=form | {"photo": (io.BytesIO(_jpeg()), "p.jpg")})
    assert first.status_code == 303 and "done=reported" in first.location
    again = client.post(
        "/m/case", data=form | {"photo": (io.BytesIO(_jpeg()), "p.jpg")}, headers=QUEUE
    )
    assert again.status_code == 200 and again.json["status"] == "already"
    assert store.counts()["cases"] == before + 1
    case_id = case_id_of(form["report_id"])
    case = store.case_record(case_id).iloc[0]
    assert (case["source"], case["status"], case["category"]) == (
        "grid_worker",
        "reported",
        "sanitation",
    )
    assert case["grid_code"] in set(store.grid_workers(town.worker)["grid_code"])
    photos = store.case_photos(case_id)
    assert len(photos) == 1 and photos[0]["version"] == 0 and photos[0]["taken_by"] == "grid_worker"
    assert max(photos[0]["width"], photos[0]["height"]) == 1600  # shrunk on the server too
    done = client.get(first.location).get_data(as_text=True)
    assert t("mobile.done.reported", "zh") in done
    outcomes = [e.outcome for e in store.audit_entries() if e.action == "case_report"]
    assert outcomes == ["stored", "already"]


def test_a_report_without_a_location_is_placed_at_the_chosen_building(
    store: Store, town: Town
) -> None:
    client = _client(store)
    page, at = _at_first_building(client, store, town)
    building = _first_building(page)
    form = _report(page, at, lon="", lat="", building=building)
    answer = client.post("/m/case", data=form, headers=QUEUE)
    assert answer.status_code == 200 and answer.json["status"] == "stored"
    case = store.case_record(case_id_of(form["report_id"])).iloc[0]
    assert (round(case["lon"], 6), round(case["lat"], 6)) == (
        round(at["lon"], 6),
        round(at["lat"], 6),
    )


def _pdf() -> bytes:
    return b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n" * 50


@pytest.mark.parametrize(
    ("change", "photo", "status", "problem"),
    [
        ({}, ("renamed.jpg", _pdf), 400, "photo.not_photo"),
        ({}, ("huge.jpg", lambda: b"\xff\xd8" + b"0" * 30_000_000), 413, "photo.too_big"),
        ({"lon": "-74.006000", "lat": "40.712800"}, None, 400, "outside_cells"),  # New York
        ({"lon": "", "lat": ""}, None, 400, "no_location"),
        ({"category": "no_such"}, None, 400, "bad_category"),
        ({"description": "   "}, None, 400, "bad_description"),
        ({"description": "长" * 2001}, None, 400, "bad_description"),
        ({"report_id": "1234"}, None, 400, "bad_id"),
    ],
)
def test_a_bad_report_is_refused_plainly_with_nothing_stored(
    store: Store, town: Town, change: dict, photo: tuple | None, status: int, problem: str
) -> None:
    client = _client(store)
    page, at = _at_first_building(client, store, town)
    form = _report(page, at) | change
    if photo is not None:
        form["photo"] = (io.BytesIO(photo[1]()), photo[0])
    before = (store.counts()["cases"], len(store.case_photos(case_id_of(str(uuid.uuid4())))))
    answer = client.post("/m/case", data=form)
    assert answer.status_code == status
    expected = t(f"mobile.problem.{problem}", "zh", mb=MAX_BYTES // 1_000_000, chars=2000)
    assert expected in answer.get_data(as_text=True)
    assert (store.counts()["cases"], 0) == before
    queued = client.post("/m/case", data=_report(page, at) | change, headers=QUEUE)
    if photo is None:  # the page's queue reads the same refusal as JSON
        assert queued.status_code == status and queued.json["status"] == "refused"
        assert queued.json["message"] == expected


def _my_case(client: Any, action: str) -> tuple[str, str, str]:
    """A case of the worker's with `action` offered: its id, version and the page."""
    page = client.get("/m").get_data(as_text=True)
    for case_id, version, body in re.findall(
        r'<li data-case="([^"]+)" data-version="(\d+)">(.*?)</li>', page, re.S
    ):
        if f'data-action="{action}"' in body:
            return case_id, version, page
    raise AssertionError(f"no case offers {action}")


def _act(page: str, case_id: str, version: str, action: str, **more: str) -> dict[str, Any]:
    return {"csrf_token": form_token(page), "case": case_id, "version": version, "action": action,
            "note": "已清理，居民满意"} | more  # fmt: skip


def test_a_resolve_with_a_photo_is_taken_once_and_a_resend_is_told_already(
    store: Store, town: Town
) -> None:
    client = _client(store)
    case_id, version, page = _my_case(client, "resolve")
    form = _act(page, case_id, version, "resolve")
    answer = client.post(
        "/m/act", data=form | {"photo": (io.BytesIO(_jpeg((800, 600))), "p.jpg")}, headers=QUEUE
    )
    assert answer.status_code == 200 and answer.json["status"] == "stored"
    state = store.case_state(case_id)
    assert state.status.value == "resolved" and state.version == int(version) + 1
    assert [p["version"] for p in store.case_photos(case_id)] == [state.version]
    again = client.post("/m/act", data=form, headers=QUEUE)
    assert again.status_code == 200 and again.json["status"] == "already"
    assert store.case_state(case_id).version == state.version


def change_meanwhile(store: Store, case_id: str, version: int, worker_id: str) -> None:
    """The worker asks for more time from another phone and the street grants it: the case
    moves on two versions past `version`."""
    worker = Actor("grid_worker", frozenset({"grid_worker"}), worker_id, frozenset())
    street = Actor("street", frozenset({"street"}), None, frozenset())
    now = dt.datetime.now(dt.UTC)
    asked = Request(Action.ASK_EXTENSION, note="另一台手机", hours=8)
    store.act(case_id, asked, worker, version, now)
    store.act(case_id, Request(Action.GRANT_EXTENSION, note="同意"), street, version + 1, now)


def test_a_case_changed_meanwhile_is_a_conflict_naming_who(store: Store, town: Town) -> None:
    client = _client(store)
    case_id, version, page = _my_case(client, "resolve")
    change_meanwhile(store, case_id, int(version), town.worker)
    answer = client.post("/m/act", data=_act(page, case_id, version, "resolve"), headers=QUEUE)
    assert answer.status_code == 409 and answer.json["status"] == "conflict"
    assert "street" in answer.json["message"] or "街道" in answer.json["message"]
    assert store.case_state(case_id).status.value != "resolved"


def test_a_desk_action_or_someone_elses_case_is_refused_on_the_phone(
    store: Store, town: Town
) -> None:
    client = _client(store)
    case_id, version, page = _my_case(client, "resolve")
    desk_only = client.post("/m/act", data=_act(page, case_id, version, "dispatch"))
    assert desk_only.status_code == 400
    assert t("mobile.problem.bad_action", "zh") in desk_only.get_data(as_text=True)
    foreign = store.work_queue(None, "handling", dt.datetime.now(dt.UTC))[0]
    outside = foreign[~foreign["grid_code"].isin(store.grid_workers(town.worker)["grid_code"])]
    stranger = str(outside["id"].iloc[0])
    answer = client.post("/m/act", data=_act(page, stranger, "1", "resolve"), headers=QUEUE)
    assert answer.status_code == 400 and answer.json["status"] == "refused"
    assert answer.json["message"] == t("mobile.problem.case_no_case", "zh")
