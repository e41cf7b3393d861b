"""The embedded store: one GeoPackage file (SQLite) holding areas, staff, cases and visits."""

from .store import GeoPackageStore

__all__ = ["GeoPackageStore"]
