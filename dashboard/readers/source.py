"""Source: the store, the cache and the settings a reader reads through."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, TypeVar

if TYPE_CHECKING:
    from dashboard.cache import AppCache
    from dashboard.settings import Settings
    from geodata.store import Store
    from layers.access import Principal, Reach

T = TypeVar("T")


@dataclass(frozen=True)
class Source:
    """Where a reader reads: the store, the app's cache (None: nothing is kept), settings,
    and who is asking (None: a reader run outside a request, e.g. a benchmark, sees all)."""

    store: Store
    settings: Settings
    cache: AppCache | None = None
    principal: Principal | None = None

    def reach_in(self, street: str) -> Reach | None:
        """What the asker sees of `street` (a code or layers.view.CITY); None: all of it."""
        who = self.principal
        if who is None or who.sees.city or who.sees.whole_street(street):
            return None
        return who.sees

    def reach_key(self, street: str) -> list[object] | None:
        """A cache-key part for reach_in(street)."""
        reach = self.reach_in(street)
        return None if reach is None else reach.key()

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
