"""The Open311 GeoReport v2 door over HTTP against a served app: a round trip, and every bad
request answered with the spec's error and nothing stored."""

from __future__ import annotations

import contextlib
import datetime as dt
import io
import json
import shutil
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

from dashboard.cli import main
from geodata.backends import open_store
from geodata.model import Level
from tests.browser.pageutil import served
from tests.storekit import file_dump

DOOR = "/open311/v2"


@pytest.fixture(scope="module")
def door(street_store_path: Path, tmp_path_factory) -> Iterator[tuple[str, Path, str]]:
    """The street demo copied and served, with an API key made by `gridboard apikey add`."""
    path = tmp_path_factory.mktemp("door") / "street.gpkg"
    shutil.copy(street_store_path, path)
    key = _new_key(path, "12345热线")
    with open_store(path) as store, served(store, quiet=True) as url:
        yield url, path, key


def _new_key(path: Path, name: str) -> str:
    out = io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.suppress(SystemExit):
        main(["apikey", "add", name, "--data", str(path)])
    return out.getvalue().strip().rsplit(": ", 1)[1]


def _get(url: str, path: str, **query: str) -> tuple[int, object]:
    address = f"{url}{DOOR}{path}" + (f"?{urllib.parse.urlencode(query)}" if query else "")
    return _answer(urllib.request.Request(address))


def _post(url: str, form: dict[str, str]) -> tuple[int, object]:
    body = urllib.parse.urlencode(form).encode()
    return _answer(urllib.request.Request(f"{url}{DOOR}/requests.json", data=body))


def _answer(req: urllib.request.Request) -> tuple[int, object]:
    try:
        with urllib.request.urlopen(req, timeout=30) as answer:
            return answer.status, json.loads(answer.read())
    except urllib.error.HTTPError as exc:
        return exc.code, json.loads(exc.read())


def _inside(path: Path) -> tuple[float, float]:
    with open_store(path, readonly=True) as store:
        point = store.areas(Level.GRID).geometry.iloc[0].representative_point()
    return point.x, point.y


def test_a_posted_request_comes_back_by_id_and_in_the_list(door) -> None:
    url, path, key = door
    status, services = _get(url, "/services.json")
    assert status == 200 and "noise" in {s["service_code"] for s in services}
    lon, lat = _inside(path)
    form = {"api_key": key, "service_code": "noise", "lat": str(lat), "long": str(lon),
            "description": "楼上深夜噪音，联系电话13912345678", "last_name": "张",
            "first_name": "三", "phone": "13912345678"}  # fmt: skip
    status, made = _post(url, form)
    assert status == 200
    request_id = made[0]["service_request_id"]
    status, [one] = _get(url, f"/requests/{request_id}.json")
    assert status == 200 and one["status"] == "open" and one["service_code"] == "noise"
    assert "13912345678" not in json.dumps(one, ensure_ascii=False)  # nothing personal
    assert one["lat"] == pytest.approx(lat) and one["long"] == pytest.approx(lon)
    status, listed = _get(url, "/requests.json", service_code="noise", status="open")
    assert status == 200 and request_id in {r["service_request_id"] for r in listed}
    assert all(r["service_code"] == "noise" and r["status"] == "open" for r in listed)
    assert len(listed) <= 1000
    status, closed = _get(url, "/requests.json", status="closed")
    assert request_id not in {r["service_request_id"] for r in closed}
    with open_store(path, readonly=True) as store:
        case = store.case_record(request_id).iloc[0]
        assert (case["source"], case["status"], case["reporter_name"]) == (
            "open311",
            "reported",
            "张三",
        )
        assert case["grid_code"] is not None
        assert any(e.actor == "apikey:12345热线" for e in store.audit_entries())


@pytest.mark.parametrize(
    ("change", "status", "says"),
    [
        ({"service_code": ""}, 400, "service_code is missing"),
        ({"service_code": "unicorn"}, 404, "service_code 'unicorn' not found"),
        ({"lat": "10.0", "long": "10.0"}, 400, "outside the city"),
        ({"lat": "north"}, 400, "lat is not a number"),
        ({"api_key": "not-a-key"}, 403, "api_key is missing, unknown or revoked"),
        ({"api_key": ""}, 403, "api_key is missing"),
        ({"description": "长" * 5000}, 400, "description is over 4000 characters"),
    ],
)
def test_a_bad_post_is_the_specs_error_and_stores_nothing(door, change, status, says) -> None:
    url, path, key = door
    lon, lat = _inside(path)
    form = {"api_key": key, "service_code": "noise", "lat": str(lat), "long": str(lon)}
    before = file_dump(path)
    got, body = _post(url, {**form, **change})
    assert (got, body[0]["code"]) == (status, status) and says in body[0]["description"]
    assert _cases_of(before) == _cases_of(file_dump(path))


def _cases_of(dump: bytes) -> list[bytes]:
    """The dump's case rows (the audit trail and sessions change with any request)."""
    return [line for line in dump.split(b"\n") if line.startswith(b'INSERT INTO "cases"')]


@pytest.mark.parametrize(
    ("query", "status", "says"),
    [
        (
            {"start_date": "2026-01-01T00:00:00+08:00", "end_date": "2026-06-01T00:00:00+08:00"},
            400,
            "over 90 days",
        ),
        ({"start_date": "yesterday"}, 400, "start_date is not an ISO 8601 time"),
        ({"status": "pending"}, 400, "status must be open or closed"),
        ({"service_code": "unicorn"}, 404, "not found"),
    ],
)
def test_a_bad_query_is_the_specs_error(door, query, status, says) -> None:
    url, _, _ = door
    got, body = _get(url, "/requests.json", **query)
    assert (got, body[0]["code"]) == (status, status) and says in body[0]["description"]


def test_an_unknown_request_is_404_and_a_revoked_key_403(door) -> None:
    url, path, _ = door
    status, body = _get(url, "/requests/NO-SUCH.json")
    assert status == 404 and body == [{"code": 404, "description": "service_request_id not found"}]
    key = _new_key(path, "residents-app")
    lon, lat = _inside(path)
    form = {"api_key": key, "service_code": "noise", "lat": str(lat), "long": str(lon)}
    assert _post(url, form)[0] == 200
    with contextlib.suppress(SystemExit):
        main(["apikey", "revoke", "residents-app", "--data", str(path)])
    assert _post(url, form)[0] == 403


def test_the_default_window_is_the_last_90_days(door) -> None:
    url, _, _ = door
    status, listed = _get(url, "/requests.json")
    now = dt.datetime.now(dt.UTC)
    assert status == 200
    for row in listed:
        when = dt.datetime.fromisoformat(row["requested_datetime"])
        assert now - dt.timedelta(days=90, minutes=5) <= when <= now


def test_one_address_is_held_to_its_limit_and_told_so_in_the_specs_form(street_store) -> None:
    """A public door must not read out the city as fast as a machine asks: past the limit an
    address gets 429 (the spec's error array), another address is still served."""
    from dashboard.app import create_app
    from dashboard.open311api import REQUESTS_PER_MINUTE
    from dashboard.settings import Settings

    client = create_app(Settings.from_env({}), street_store).server.test_client()
    busy = {"REMOTE_ADDR": "10.0.0.9"}
    codes = [
        client.get(f"{DOOR}/services.json", environ_base=busy).status_code
        for _ in range(REQUESTS_PER_MINUTE)
    ]
    assert codes == [200] * REQUESTS_PER_MINUTE
    refused = client.get(f"{DOOR}/requests.json", environ_base=busy)  # one limit for all
    assert refused.status_code == 429
    assert (
        refused.get_json()[0]["code"] == 429 and "a minute" in refused.get_json()[0]["description"]
    )
    other = client.get(f"{DOOR}/services.json", environ_base={"REMOTE_ADDR": "10.0.0.10"})
    assert other.status_code == 200
