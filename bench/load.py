"""`make loadtest`: the locust scenario against (a) one server and (b) two sharing a store and a
Redis on PostGIS, with a worker killed, PostgreSQL restarted, and Redis stopped and started
during (b); what users saw, by phase, and whether every write they were told of was kept.

Loopback only; bounded (USERS users for SECONDS seconds per run). The report is printed and
written to bench/out/loadtest.md.
"""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import json
import os
import shutil
import signal
import statistics
import subprocess
import sys
import time
import urllib.request
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

from geodata.accounts import first_broken
from geodata.backends import open_store
from geodata.model import Level
from tests import pgserver
from tests.procutil import children, free_port, stop, wait_for

from .common import OUT, ROOT

USERS, SECONDS, SPAWN_RATE = 200, 60, 20
AS_OF = "2026-11-30"
# Every user signs in from 127.0.0.1: the sign-in limit per address is lifted for the run.
SERVER_ENV = {"GRIDBOARD_LOGIN_ATTEMPTS_PER_MINUTE": "1000000"}


@dataclass(frozen=True)
class Fault:
    at: float  # seconds into the run
    name: str  # the phase it starts
    act: Callable[[], None]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--scale", choices=("street", "city"), default="street")
    parser.add_argument("--users", type=int, default=USERS)
    parser.add_argument("--seconds", type=int, default=SECONDS)
    args = parser.parse_args()
    OUT.mkdir(parents=True, exist_ok=True)
    store = _demo(args.scale)
    plan = _plan(store)
    reports = [_run_single(store, plan, args), _run_pair(store, plan, args)]
    text = "\n\n".join(reports) + "\n"
    print(text)
    (OUT / "loadtest.md").write_text(text, encoding="utf-8")


# --- the store and what users do in it ------------------------------------------------------------
def _demo(scale: str) -> Path:
    """A demo store of its own for the load test (sessions and audit entries pile up in it)."""
    path = OUT / f"load-{scale}.gpkg"
    if not path.exists():
        _gridboard("demo", "--scale", scale, "--seed", "1", "--as-of", AS_OF, "--out", str(path))
    return path


def _plan(store: Path) -> dict:
    accounts, scopes = {}, {}
    for line in Path(f"{store}.accounts.txt").read_text(encoding="utf-8").splitlines():
        words = line.split()  # login, password, role, scope, person
        if words and not line.startswith("#") and words[0] != "login":
            accounts[words[0]], scopes[words[0]] = words[1], words[3]
    said = _gridboard("display", "add", f"load-{time.time_ns()}", "--data", str(store))
    wall = "/wall?" + said.split("/wall?", 1)[1].split()[0]
    street = scopes["street"]  # the supervisors' street: their account's scope
    with open_store(store, readonly=True) as opened:
        areas = [
            *opened.areas(Level.COMPOUND, parent=street)["code"].head(40),
            *opened.areas(Level.GRID, parent=street)["code"].head(40),
        ]
    return {"accounts": accounts, "wall": wall, "street": street, "areas": areas}


def _gridboard(*argv: str) -> str:
    command = [sys.executable, "-m", "dashboard.cli", *argv]
    return subprocess.run(command, check=True, capture_output=True, text=True, cwd=ROOT).stdout


# --- runs ---------------------------------------------------------------------------------------
def _run_single(store: Path, plan: dict, args: argparse.Namespace) -> str:
    with _server(store, "a", workers=1, env={}) as (url, _):
        rows = _locust({**plan, "hosts": [url]}, args, faults=[])
    head = "## (a) one process: `gridboard serve --workers 1`, GeoPackage, its own cache"
    return head + "\n\n" + _table(rows, [(0.0, "steady")])


def _run_pair(store: Path, plan: dict, args: argparse.Namespace) -> str:
    with (
        _postgis(store) as (data, cluster),
        _redis() as (redis_url, redis),
        contextlib.ExitStack() as stack,
    ):
        env = {"GRIDBOARD_REDIS_URL": redis_url}
        first, first_server = stack.enter_context(_server(data, "b1", workers=2, env=env))
        second, _ = stack.enter_context(_server(data, "b2", workers=2, env=env))
        fifth = args.seconds / 5
        took: list[float] = []  # how long PostgreSQL was away
        faults = [
            Fault(fifth, "one worker killed (kill -9)", lambda: _kill_a_worker(first_server)),
            Fault(2 * fifth, "PostgreSQL restarted", lambda: took.append(_restart(cluster))),
            Fault(3 * fifth, "Redis stopped", redis.stop),
            Fault(4 * fifth, "Redis started again", redis.start),
        ]
        started = dt.datetime.now(dt.UTC)
        rows = _locust({**plan, "hosts": [first, second]}, args, faults)
        writes = _writes_kept(data, rows, started)
    phases = [(0.0, "steady"), *[(f.at, f.name) for f in faults]]
    head = (
        "## (b) two `gridboard serve --workers 2` on two ports, one PostGIS, one Redis"
        f"\n\nPostgreSQL was back {sum(took):.1f} s after it was stopped. {writes}"
    )
    return head + "\n\n" + _table(rows, phases)


def _restart(cluster: pgserver.Cluster) -> float:
    """Stop PostgreSQL (fast) and start it again; the seconds it was away."""
    began = time.perf_counter()
    cluster.stop("fast")
    cluster.start()
    return time.perf_counter() - began


def _writes_kept(data: str, rows: list[list], since: dt.datetime) -> str:
    """Every sign-in a user was told succeeded has its audit entry; the chain is whole."""
    told = sum(1 for r in rows if r[1] == "/login POST" and r[3] == 303)
    with open_store(data, readonly=True) as store:
        entries = store.audit_entries(since=since)
        broken = first_broken(store.audit_entries(), store.audit_head())
    kept = sum(
        1
        for e in entries
        if e.action == "login" and e.outcome == "ok" and e.target.startswith("login=")
    )
    # More entries than answers: a sign-in was kept but its answer died with a killed worker.
    verdict = "no write lost" if kept >= told else f"{told - kept} WRITES LOST"
    chain = "whole" if broken is None else f"broken: {broken}"
    return (
        f"Sign-ins answered 303: {told:,}; their audit entries: {kept:,}"
        f" ({verdict}; the audit chain is {chain})."
    )


@contextlib.contextmanager
def _postgis(store: Path) -> Iterator[tuple[str, pgserver.Cluster]]:
    """The demo store copied (`gridboard migrate`) into a PostgreSQL of the run's own, which
    the run may restart; stopped and removed afterwards."""
    with pgserver.throwaway() as cluster, pgserver.database(cluster.url, "gridboard") as url:
        _gridboard("migrate", "--from", str(store), "--to", url)
        yield url, cluster


def _locust(plan: dict, args: argparse.Namespace, faults: list[Fault]) -> list[list]:
    """The scenario for args.seconds with args.users; each fault acted at its time. Returns the
    request log: [time since start, name, ms, status, failed]."""
    log = OUT / "loadtest-requests.jsonl"
    log.unlink(missing_ok=True)
    command = [sys.executable, "-m", "locust", "-f", str(ROOT / "bench" / "loadtest.py")]
    command += ["--headless", "--only-summary", "-u", str(args.users), "-r", str(SPAWN_RATE)]
    command += ["-t", f"{args.seconds}s", "--host", plan["hosts"][0], "--stop-timeout", "10"]
    env = {**os.environ, "GRIDBOARD_LOAD": json.dumps({**plan, "log": str(log)})}
    started = time.time()
    runner = subprocess.Popen(command, env=env, cwd=ROOT, stdout=subprocess.DEVNULL)
    for fault in faults:
        time.sleep(max(0.0, started + fault.at - time.time()))
        fault.act()
    runner.wait(timeout=args.seconds + 120)
    rows = [json.loads(line) for line in log.read_text().splitlines()] if log.exists() else []
    return [[t - started, *rest] for t, *rest in rows]


def _table(rows: list[list], phases: list[tuple[float, str]]) -> str:
    lines = [
        "| phase | requests | failed | per s | p50 ms | p95 ms | worst |",
        "|---|---|---|---|---|---|---|",
    ]
    ends = [at for at, _ in phases[1:]] + [float("inf")]
    for (start, name), end in zip(phases, ends, strict=True):
        chunk = [r for r in rows if start <= r[0] < end]
        span = (min(end, max((r[0] for r in rows), default=start)) - start) or 1.0
        times = sorted(r[2] for r in chunk) or [0.0]
        failed = [r for r in chunk if r[4] or r[3] >= 400 or r[3] == 0]
        worst = _worst(failed)
        p95 = times[int(0.95 * (len(times) - 1))]
        lines.append(
            f"| {name} | {len(chunk):,} | {len(failed):,} | {len(chunk) / span:,.1f}"
            f" | {statistics.median(times):,.0f} | {p95:,.0f} | {worst} |"
        )
    return "\n".join(lines)


def _worst(failed: list[list]) -> str:
    if not failed:
        return "–"
    counts: dict[str, int] = {}
    for r in failed:
        key = f"{r[1]} ({r[3] or 'no answer'})"
        counts[key] = counts.get(key, 0) + 1
    return ", ".join(f"{k} ×{v}" for k, v in sorted(counts.items(), key=lambda kv: -kv[1])[:3])


# --- the parts: servers and a Redis of the run's own -------------------------------------------
@contextlib.contextmanager
def _server(
    store: Path | str, name: str, workers: int, env: dict[str, str]
) -> Iterator[tuple[str, subprocess.Popen]]:
    """`gridboard serve` on a free port; gunicorn's and the app's log in
    bench/out/loadtest-server-NAME.log (the last run's)."""
    port = free_port()
    command = [sys.executable, "-m", "dashboard.cli", "serve", "--data", str(store)]
    command += ["--port", str(port), "--workers", str(workers), "--threads", "8"]
    clean = {k: v for k, v in os.environ.items() if not k.startswith("GRIDBOARD_")}
    log = (OUT / f"loadtest-server-{name}.log").open("w")
    server = subprocess.Popen(
        command, env={**clean, **SERVER_ENV, **env}, cwd=ROOT, stdout=log, stderr=log
    )
    url = f"http://127.0.0.1:{port}"
    try:
        wait_for(lambda: _healthy(url), f"{url}/healthz", seconds=120)
        yield url, server
    finally:
        stop(server)
        log.close()


class _Redis:
    def __init__(self, port: int, folder: Path) -> None:
        self.command = ["redis-server", "--port", str(port), "--bind", "127.0.0.1"]
        self.command += ["--save", "", "--appendonly", "no", "--dir", str(folder)]
        self.process: subprocess.Popen | None = None

    def start(self) -> None:
        self.process = subprocess.Popen(self.command, stdout=subprocess.DEVNULL)

    def stop(self) -> None:
        if self.process is not None:
            self.process.terminate()
            self.process.wait(timeout=30)
            self.process = None


@contextlib.contextmanager
def _redis() -> Iterator[tuple[str, _Redis]]:
    if shutil.which("redis-server") is None:
        raise SystemExit("the load test needs redis-server (`make loadtest` installs it)")
    port = free_port()
    redis = _Redis(port, OUT)
    redis.start()
    try:
        yield f"redis://127.0.0.1:{port}/0", redis
    finally:
        redis.stop()


def _kill_a_worker(server: subprocess.Popen) -> None:
    workers = children(server.pid)
    if workers:
        os.kill(min(workers), signal.SIGKILL)


def _healthy(url: str) -> bool:
    try:
        with urllib.request.urlopen(f"{url}/healthz", timeout=5) as answer:
            return json.loads(answer.read()).get("ok") is True
    except OSError:
        return False


if __name__ == "__main__":
    main()
