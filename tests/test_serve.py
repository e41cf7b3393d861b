"""`gridboard serve` as users run it: gunicorn on a real port, /healthz, a killed worker."""

from __future__ import annotations

import http.client
import http.cookiejar
import json
import os
import signal
import subprocess
import sys
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import TypeVar

import pytest

from tests import procutil
from tests.accounts_city import PASSWORD, Town
from tests.procutil import children, free_port
from tests.webutil import form_token

T = TypeVar("T")
START_SECONDS = 60  # gunicorn and two workers importing Dash on a loaded 2-core machine


@dataclass
class Answer:
    status: int
    text: str
    url: str


class Browserless:
    """An HTTP client with a cookie jar, over a real socket (what a test client skips)."""

    def __init__(self, base: str) -> None:
        self.base = base
        self.opener = urllib.request.build_opener(
            urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar())
        )

    def get(self, path: str) -> Answer:
        return self._open(urllib.request.Request(self.base + path))

    def post(self, path: str, form: dict[str, str]) -> Answer:
        body = urllib.parse.urlencode(form).encode()
        return self._open(urllib.request.Request(self.base + path, data=body, method="POST"))

    def _open(self, request: urllib.request.Request) -> Answer:
        try:
            with self.opener.open(request, timeout=30) as response:
                return Answer(response.status, response.read().decode(), response.url)
        except urllib.error.HTTPError as exc:
            return Answer(exc.code, exc.read().decode(), exc.url)


def wait_for(condition: Callable[[], T], what: str, seconds: float = START_SECONDS) -> T:
    """procutil.wait_for, failing the test when the time is up."""
    try:
        return procutil.wait_for(condition, what, seconds)
    except TimeoutError as exc:
        pytest.fail(str(exc))


def _health(base: str) -> dict | None:
    try:
        with urllib.request.urlopen(base + "/healthz", timeout=5) as response:
            return json.loads(response.read())
    except (urllib.error.URLError, ConnectionError):
        return None


@pytest.fixture
def served(town: Town) -> Iterator[tuple[str, subprocess.Popen]]:
    """`gridboard serve` on the town: two workers of two threads, on a free port."""
    port = free_port()
    command = [sys.executable, "-m", "dashboard.cli", "serve", "--data", str(town.path)]
    command += ["--port", str(port), "--workers", "2", "--threads", "2"]
    env = {k: v for k, v in os.environ.items() if not k.startswith("GRIDBOARD_")}
    server = subprocess.Popen(command, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    try:
        wait_for(lambda: _health(base) or server.poll() is not None, "/healthz answering")
        assert server.poll() is None, server.stdout.read().decode() if server.stdout else ""
        yield base, server
    finally:
        procutil.stop(server)


def test_serve_runs_gunicorn_workers_and_replaces_a_killed_one(
    served: tuple[str, subprocess.Popen], town: Town
) -> None:
    base, server = served
    health = _health(base)
    assert health == {
        "ok": True,
        "store": "answering",
        "revision": health["revision"] if health else None,
        "cache": "local",
    }
    workers = wait_for(lambda: len(children(server.pid)) == 2 and children(server.pid), "2 workers")
    client = Browserless(base)
    page = client.get("/login")
    signed = client.post(
        "/login", {"username": "street", "password": PASSWORD, "csrf_token": form_token(page.text)}
    )
    assert signed.status == 200 and "/login" not in signed.url  # followed the 303 to the map
    victim = min(workers)
    os.kill(victim, signal.SIGKILL)
    replaced = wait_for(
        lambda: (now := children(server.pid)) and victim not in now and len(now) == 2 and now,
        "gunicorn replacing the killed worker",
    )
    assert victim not in replaced
    for _ in range(6):  # whichever worker answers, the session (kept in the store) holds
        assert client.get("/").status == 200
    assert client.get("/?street=" + town.street_b).status == 403  # and so does its scope


def test_healthz_names_no_data_and_needs_no_sign_in(served: tuple[str, subprocess.Popen]) -> None:
    base, _ = served
    answer = Browserless(base).get("/healthz")
    assert answer.status == 200
    assert set(json.loads(answer.text)) == {"ok", "store", "revision", "cache"}


def test_every_answer_closes_its_connection(served: tuple[str, subprocess.Popen]) -> None:
    """No kept-alive connection that gunicorn could close under a request already sent."""
    base, _ = served
    connection = http.client.HTTPConnection(urllib.parse.urlsplit(base).netloc, timeout=30)
    try:
        for path in ("/healthz", "/login"):
            connection.request("GET", path)  # HTTP/1.1: kept alive unless the server says no
            answer = connection.getresponse()
            answer.read()
            assert answer.status == 200
            assert answer.getheader("Connection") == "close"
    finally:
        connection.close()


def test_serve_refuses_a_bad_worker_count(town: Town) -> None:
    command = [sys.executable, "-m", "dashboard.cli", "serve", "--data", str(town.path)]
    done = subprocess.run([*command, "--workers", "0"], capture_output=True, text=True, timeout=60)
    assert done.returncode != 0
    assert "GRIDBOARD_WORKERS=0" in done.stderr and "Traceback" not in done.stderr
