"""The server store: a PostgreSQL + PostGIS database that several app processes share."""

from .store import PostGISStore

__all__ = ["PostGISStore"]
