"""The app cache: flask-caching underneath; a Redis that stops answering slows pages only."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from typing import Any

from flask_caching import Cache
from redis.exceptions import RedisError

log = logging.getLogger(__name__)

REST_SECONDS = 10.0  # after a failure the server is left alone this long: requests go uncached
_FAILURES = (RedisError, OSError)


class AppCache:
    """get and set of the app's flask-caching Cache. While the backend fails (Redis stopped,
    unreachable), a get misses and a set does nothing; the log says when it went away and when
    it came back, once each."""

    def __init__(self, cache: Cache, clock: Callable[[], float] = time.monotonic) -> None:
        self._cache = cache
        self._clock = clock
        self._down_since: float | None = None
        self._tried_at = 0.0

    def get(self, key: str) -> Any:
        """The value under `key`, or None (not there, or the server is not answering)."""
        return self._call(lambda: self._cache.get(key))

    def set(self, key: str, value: Any) -> None:
        """Keep `value` under `key` (skipped while the server is not answering)."""
        self._call(lambda: self._cache.set(key, value))

    def answering(self) -> bool:
        """Whether the backend answers now (asked at once, even while resting)."""
        self._tried_at = 0.0
        self._call(lambda: self._cache.get("gridboard-health-probe"))
        return self._down_since is None

    def _call(self, action: Callable[[], Any]) -> Any:
        now = self._clock()
        if self._down_since is not None and now - self._tried_at < REST_SECONDS:
            return None
        try:
            value = action()
        except _FAILURES as exc:
            self._tried_at = now
            if self._down_since is None:
                self._down_since = now
                log.warning("cache server not answering (%s): serving uncached", exc)
            return None
        if self._down_since is not None:
            log.warning("cache server answering again after %.0f s", now - self._down_since)
            self._down_since = None
        return value
