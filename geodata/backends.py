"""Opening a store: the backend that serves a data location (a GeoPackage file or PostGIS)."""

from __future__ import annotations

from pathlib import Path

from .gpkg import GeoPackageStore
from .store import Store

URL_SCHEMES = ("postgresql://", "postgres://")


def is_database_url(location: str | Path) -> bool:
    """Whether a data location names a PostgreSQL database rather than a file."""
    return isinstance(location, str) and location.startswith(URL_SCHEMES)


def location(raw: str) -> str | Path:
    """A data location as given (a command-line value, a setting): a database URL stays
    text, anything else is a file path."""
    return raw if is_database_url(raw) else Path(raw)


def shown(location: str | Path) -> str:
    """A data location as messages, logs and pages may show it: a URL without its password."""
    if not is_database_url(location):
        return str(location)
    from .pg.connection import redacted

    return redacted(str(location))


def exists(location: str | Path) -> bool:
    """Whether there is a store at `location` yet: a file, or a database that holds one."""
    if not is_database_url(location):
        return Path(location).exists()
    from .pg.connection import holds_store

    return holds_store(str(location))


def open_store(location: str | Path, *, create: bool = False, readonly: bool = False) -> Store:
    """Open the store at `location`: a postgresql:// URL (PostGIS) or a GeoPackage file. With
    `create`, a missing file or an empty database is made a store."""
    if is_database_url(location):
        from .pg import PostGISStore  # psycopg is loaded only where a database is used

        return PostGISStore(str(location), create=create, readonly=readonly)
    return GeoPackageStore(Path(location), create=create, readonly=readonly)
