"""PostGISStore: the Store in a PostgreSQL + PostGIS database, from the shared SQL parts."""

from __future__ import annotations

from ..gpkg.accounts import Accounts
from ..gpkg.apikeys import ApiKeys
from ..gpkg.catalogue import CatalogueStore
from ..gpkg.householdstore import HouseholdStore
from ..gpkg.metrics import Metrics
from ..gpkg.work import CaseWork
from ..gpkg.writes import Writes
from ..store import Store
from .connection import PgConnection


class PostGISStore(
    PgConnection,
    Accounts,
    ApiKeys,
    CatalogueStore,
    HouseholdStore,
    CaseWork,
    Metrics,
    Writes,
    Store,
):
    """A Store in a PostGIS database (several app processes may share it); the reads, writes
    and rollups are the GeoPackage store's SQL, run through PgConnection."""

    def __init__(self, url: str, *, create: bool = False, readonly: bool = False) -> None:
        self._open(url, create, readonly)
