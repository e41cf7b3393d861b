"""GeoPackageStore: the Store in one GeoPackage file, put together from its parts."""

from __future__ import annotations

from pathlib import Path

from ..store import Store
from .accounts import Accounts
from .apikeys import ApiKeys
from .catalogue import CatalogueStore
from .householdstore import HouseholdStore
from .metrics import Metrics
from .work import CaseWork
from .writes import Writes


class GeoPackageStore(
    Accounts, ApiKeys, CatalogueStore, HouseholdStore, CaseWork, Metrics, Writes, Store
):
    """A Store in one GeoPackage file (SQLite; QGIS opens it); safe to share between threads."""

    def __init__(self, path: Path, *, create: bool = False, readonly: bool = False) -> None:
        self._open(path, create, readonly)
