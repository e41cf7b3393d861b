"""Opening a store: the backend that serves a data location (today a GeoPackage file)."""

from __future__ import annotations

from pathlib import Path

from .gpkg import GeoPackageStore
from .store import Store


def open_store(path: str | Path, *, create: bool = False, readonly: bool = False) -> Store:
    """Open the store at `path` (a GeoPackage file). With `create`, a missing file is made."""
    return GeoPackageStore(Path(path), create=create, readonly=readonly)
