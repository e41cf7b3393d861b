"""The cache in a real Redis: shared by app processes, keyed by revision, never a broken page."""

from __future__ import annotations

import logging
import os
import shutil
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import redis
from flask import Flask
from flask_caching import Cache

from dashboard import context
from dashboard.app import cache_config, create_app
from dashboard.cache import REST_SECONDS, AppCache
from dashboard.settings import Settings
from geodata.backends import open_store
from geodata.store import Store
from tests.accounts_city import PASSWORD, Town
from tests.procutil import free_port
from tests.test_serve import wait_for
from tests.webutil import form_token, signed_clients

# Database 15 of the machine's Redis: the tests' own (`make test` starts a Redis if none runs).
REDIS_URL = os.environ.get("GRIDBOARD_TEST_REDIS_URL", "redis://127.0.0.1:6379/15")
GONE_URL = "redis://127.0.0.1:1/0"  # nothing listens on port 1


@pytest.fixture(scope="module")
def server() -> redis.Redis:
    client = redis.Redis.from_url(REDIS_URL)
    try:
        client.ping()
    except redis.RedisError as exc:
        pytest.fail(f"no Redis at {REDIS_URL} ({exc}); `make test` starts one")
    return client


@pytest.fixture
def store(town: Town, tmp_path: Path) -> Iterator[Store]:
    """A copy of the town (its accounts too), writable: the tests write to it."""
    path = tmp_path / "town.gpkg"
    shutil.copy(town.path, path)
    with open_store(path) as opened:
        yield opened


def cached_keys(server: redis.Redis) -> set[bytes]:
    return set(server.scan_iter(match=b"gridboard:map-*"))


def shapes_of(client: Any, street: str) -> Any:
    return client.get(f"/geometry/grid.json?street={street}", headers={"Accept-Encoding": "gzip"})


def test_app_processes_share_what_one_computed(
    server: redis.Redis, store: Store, town: Town
) -> None:
    settings = Settings.from_env({}, redis_url=REDIS_URL)
    first, second = create_app(settings, store), create_app(settings, store)
    before = cached_keys(server)
    client = signed_clients(first, ["city"], PASSWORD)["city"]
    assert shapes_of(client, town.street_a).status_code == 200
    made = cached_keys(server) - before
    assert made  # the shapes are in Redis now, not in the process
    key = sorted(made)[0].decode().removeprefix("gridboard:")
    with first.server.app_context():
        kept = context.cache().get(key)
    with second.server.app_context():
        assert context.cache().get(key) == kept is not None


def test_a_write_is_seen_under_new_keys(server: redis.Redis, store: Store, town: Town) -> None:
    """Keys carry the store's revision: after a write no process reads the old answer."""
    app = create_app(Settings.from_env({}, redis_url=REDIS_URL), store)
    client = signed_clients(app, ["city"], PASSWORD)["city"]
    old = shapes_of(client, town.street_a)
    before = cached_keys(server)
    store.add_visits(store.visits(town.street_a).head(0))  # nothing: the revision stays
    assert shapes_of(client, town.street_a).headers["ETag"] == old.headers["ETag"]
    assert cached_keys(server) == before
    cases = store.cases(town.street_a).head(1).assign(id="REDIS-TEST-1")
    store.add_cases(cases.drop(columns=[c for c in cases if c.endswith("_code")]))
    new = shapes_of(client, town.street_a)
    assert new.status_code == 200 and new.headers["ETag"] != old.headers["ETag"]
    assert cached_keys(server) - before


def test_without_redis_pages_are_served_uncached_and_the_log_says_so(
    store: Store, town: Town, caplog: pytest.LogCaptureFixture
) -> None:
    app = create_app(Settings.from_env({}, redis_url=GONE_URL), store)
    client = signed_clients(app, ["city"], PASSWORD)["city"]
    with caplog.at_level(logging.WARNING, logger="dashboard.cache"):
        for _ in range(3):
            assert shapes_of(client, town.street_a).status_code == 200
            assert client.get("/").status_code == 200
    said = [r.getMessage() for r in caplog.records if r.name == "dashboard.cache"]
    assert len(said) == 1 and "serving uncached" in said[0]  # once, not once per request
    health = client.get("/healthz").get_json()
    assert health["ok"] is True and health["cache"] == "not answering"


def test_the_cache_comes_back_with_its_server(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """A Redis of the test's own, stopped and started again under a running cache."""
    port = free_port()
    start = ["redis-server", "--port", str(port), "--bind", "127.0.0.1", "--save", ""]
    start += ["--appendonly", "no", "--dir", str(tmp_path)]
    url = f"redis://127.0.0.1:{port}/0"
    now = [0.0]
    app = Flask("cache-test")
    cache = Cache()
    cache.init_app(app, config=cache_config(Settings.from_env({}, redis_url=url)))
    shared = AppCache(cache, clock=lambda: now[0])
    own = subprocess.Popen(start, stdout=subprocess.DEVNULL)
    client = redis.Redis.from_url(url)
    try:
        wait_for(lambda: _pings(client), "the test's Redis answering")
        with app.app_context(), caplog.at_level(logging.WARNING, logger="dashboard.cache"):
            shared.set("k", [1])
            assert shared.get("k") == [1]
            own.terminate()
            own.wait(timeout=30)
            assert shared.get("k") is None  # a miss, not an error
            assert not shared.answering()
            own = subprocess.Popen(start, stdout=subprocess.DEVNULL)
            wait_for(lambda: _pings(client), "the test's Redis answering again")
            now[0] += REST_SECONDS / 2
            shared.set("k", [2])  # still resting: not even tried
            assert client.get("gridboard:k") is None
            now[0] += REST_SECONDS
            shared.set("k", [2])
            assert shared.get("k") == [2]
        said = [r.getMessage() for r in caplog.records if r.name == "dashboard.cache"]
        assert len(said) == 2 and "answering again" in said[1]
    finally:
        own.terminate()
        own.wait(timeout=30)


def _pings(client: redis.Redis) -> bool:
    try:
        return bool(client.ping())
    except redis.RedisError:
        return False


def test_sign_in_attempts_are_counted_across_app_processes(store: Store) -> None:
    settings = Settings.from_env({}, redis_url=REDIS_URL, login_attempts_per_minute=4)
    apps = [create_app(settings, store), create_app(settings, store)]
    address = f"10.{os.getpid() % 250}.{time.time_ns() % 250}.7"  # this run's own counter
    statuses = []
    for attempt in range(6):
        client = apps[attempt % 2].server.test_client()
        wrong = {"username": "street", "password": "not the password!"}
        statuses.append(_sign_in(client, wrong, address))
    assert statuses[:4] == [401] * 4 and statuses[4:] == [429, 429]  # four in all, not per app


def test_without_redis_signing_in_still_works(store: Store) -> None:
    app = create_app(Settings.from_env({}, redis_url=GONE_URL), store)
    client = app.server.test_client()
    answer = {"username": "street", "password": PASSWORD}
    assert _sign_in(client, answer, "10.0.0.9") == 303


def _sign_in(client: Any, form: dict[str, str], address: str) -> int:
    base = {"REMOTE_ADDR": address}
    page = client.get("/login", environ_base=base)
    form = {**form, "csrf_token": form_token(page.text)}
    return client.post("/login", data=form, environ_base=base).status_code
