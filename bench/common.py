"""Shared bench plumbing: the city-scale store, timing, and result rows."""

from __future__ import annotations

import datetime as dt
import secrets
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from dashboard.passwords import hash_password
from dashboard.sessions import start
from geodata.accounts import Grant, User
from geodata.backends import open_store

ROOT = Path(__file__).resolve().parents[1]
CITY = ROOT / "data" / "demo-city.gpkg"
OUT = ROOT / "bench" / "out"


@dataclass
class Result:
    name: str
    value: float
    unit: str
    baseline: float | None = None  # the naive way, measured in the same run
    budget: float | None = None  # value must stay below this
    note: str = ""

    @property
    def ratio(self) -> float | None:
        """How many times faster/smaller than the naive baseline."""
        return self.baseline / self.value if self.baseline and self.value else None

    @property
    def within_budget(self) -> bool | None:
        return None if self.budget is None else self.value <= self.budget

    def as_dict(self) -> dict:
        return asdict(self) | {"ratio": self.ratio, "within_budget": self.within_budget}


def median_time(fn: Callable[[], object], repeat: int = 5) -> float:
    """Median wall time of `fn` in seconds, after one warm-up call."""
    fn()
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        fn()
        times.append(time.perf_counter() - started)
    return statistics.median(times)


def ensure_city(as_of: dt.date) -> tuple[Path, Result | None]:
    """The city-scale demo store; built (and its build timed) when missing, else opened
    writable once (rollups of an earlier kind upgraded: read-only, they are not read)."""
    if CITY.exists():
        open_store(CITY).close()
        return CITY, None
    CITY.parent.mkdir(parents=True, exist_ok=True)
    script = Path(sys.executable).with_name("gridboard")
    started = time.perf_counter()
    subprocess.run(
        [
            str(script),
            "demo",
            "--scale",
            "city",
            "--seed",
            "1",
            "--as-of",
            as_of.isoformat(),
            "--out",
            str(CITY),
        ],
        check=True,
    )
    took = time.perf_counter() - started
    return CITY, Result("demo city build (generate + write)", took, "s", budget=300.0)


def signed_session(store: Any, login: str, grant: Grant, name: str = "bench") -> str:
    """A session of the account `login` (added with `grant` and a random password when the
    store has none), made as a sign-in would make it; the session cookie's secret."""
    if store.user(login) is None:
        hashed = hash_password(secrets.token_urlsafe(16))
        store.add_user(User(login, name, (grant,), hashed, must_change=False))
    return start(store, "user", login)
