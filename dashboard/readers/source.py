"""Source: the store, the cache and the settings a reader reads through."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, TypeVar

if TYPE_CHECKING:
    from flask_caching import Cache

    from dashboard.settings import Settings
    from geodata.store import Store

T = TypeVar("T")


@dataclass(frozen=True)
class Source:
    """Where a reader reads: the store, the app's cache (None: nothing is kept) and settings."""

    store: Store
    settings: Settings
    cache: Cache | None = None

    def revision(self) -> str:
        """The store's data revision: part of every cache key, so new data is read anew."""
        return self.store.revision()

    def memo(self, name: str, parts: Sequence[Any], compute: Callable[[], T]) -> T:
        """`compute()` through the cache, under `name` and a hash of `parts`."""
        if self.cache is None:
            return compute()
        key = f"map-{name}:" + hashlib.sha256(json.dumps(list(parts)).encode()).hexdigest()
        value = self.cache.get(key)
        if value is None:
            value = compute()
            self.cache.set(key, value)
        return value
