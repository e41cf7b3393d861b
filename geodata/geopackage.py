"""Low-level GeoPackage 1.4 on sqlite3: required tables, layer registration, geometry blobs."""

from __future__ import annotations

import sqlite3
import struct
from collections.abc import Iterable, Sequence

import numpy as np
import shapely

APPLICATION_ID = 0x47504B47  # "GPKG"
USER_VERSION = 10400
SQLITE_MAGIC = b"SQLite format 3\x00"

_WGS84_WKT = (
    'GEOGCS["WGS 84",DATUM["WGS_1984",SPHEROID["WGS 84",6378137,298.257223563,'
    'AUTHORITY["EPSG","7030"]],AUTHORITY["EPSG","6326"]],PRIMEM["Greenwich",0,'
    'AUTHORITY["EPSG","8901"]],UNIT["degree",0.0174532925199433,AUTHORITY["EPSG","9122"]],'
    'AXIS["Latitude",NORTH],AXIS["Longitude",EAST],AUTHORITY["EPSG","4326"]]'
)

_CORE_SCHEMA = """
CREATE TABLE IF NOT EXISTS gpkg_spatial_ref_sys (
  srs_name TEXT NOT NULL, srs_id INTEGER PRIMARY KEY, organization TEXT NOT NULL,
  organization_coordsys_id INTEGER NOT NULL, definition TEXT NOT NULL, description TEXT);
CREATE TABLE IF NOT EXISTS gpkg_contents (
  table_name TEXT NOT NULL PRIMARY KEY, data_type TEXT NOT NULL, identifier TEXT UNIQUE,
  description TEXT DEFAULT '',
  last_change DATETIME NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ','now')),
  min_x DOUBLE, min_y DOUBLE, max_x DOUBLE, max_y DOUBLE, srs_id INTEGER,
  CONSTRAINT fk_gc_r_srs_id FOREIGN KEY (srs_id) REFERENCES gpkg_spatial_ref_sys(srs_id));
CREATE TABLE IF NOT EXISTS gpkg_geometry_columns (
  table_name TEXT NOT NULL, column_name TEXT NOT NULL, geometry_type_name TEXT NOT NULL,
  srs_id INTEGER NOT NULL, z TINYINT NOT NULL, m TINYINT NOT NULL,
  CONSTRAINT pk_geom_cols PRIMARY KEY (table_name, column_name),
  CONSTRAINT fk_gc_tn FOREIGN KEY (table_name) REFERENCES gpkg_contents(table_name),
  CONSTRAINT fk_gc_srs FOREIGN KEY (srs_id) REFERENCES gpkg_spatial_ref_sys (srs_id));
"""

# Bytes of envelope by the envelope-contents indicator in the flags byte.
_ENVELOPE_BYTES = {0: 0, 1: 32, 2: 48, 3: 48, 4: 64}


def init(con: sqlite3.Connection) -> None:
    """Make `con`'s database a GeoPackage (idempotent)."""
    con.execute(f"PRAGMA application_id = {APPLICATION_ID}")
    con.execute(f"PRAGMA user_version = {USER_VERSION}")
    con.executescript(_CORE_SCHEMA)
    con.executemany(
        "INSERT OR IGNORE INTO gpkg_spatial_ref_sys VALUES (?,?,?,?,?,?)",
        [
            ("Undefined cartesian SRS", -1, "NONE", -1, "undefined", None),
            ("Undefined geographic SRS", 0, "NONE", 0, "undefined", None),
            ("WGS 84 geodetic", 4326, "EPSG", 4326, _WGS84_WKT, "longitude/latitude WGS 84"),
        ],
    )


def register_layer(
    con: sqlite3.Connection, table: str, geometry_type: str | None, description: str = ""
) -> None:
    """Enter a table in gpkg_contents: a feature layer with a `geom` column, or attributes."""
    data_type = "features" if geometry_type else "attributes"
    con.execute(
        "INSERT OR REPLACE INTO gpkg_contents (table_name, data_type, identifier, description,"
        " srs_id) VALUES (?,?,?,?,?)",
        (table, data_type, table, description, 4326 if geometry_type else None),
    )
    if geometry_type:
        con.execute(
            "INSERT OR REPLACE INTO gpkg_geometry_columns VALUES (?,?,?,?,0,0)",
            (table, "geom", geometry_type, 4326),
        )


def update_extent(con: sqlite3.Connection, table: str, bounds: Sequence[float]) -> None:
    con.execute(
        "UPDATE gpkg_contents SET min_x=?, min_y=?, max_x=?, max_y=?,"
        " last_change=strftime('%Y-%m-%dT%H:%M:%fZ','now') WHERE table_name=?",
        (*map(float, bounds), table),
    )


def encode(geoms: Iterable[shapely.Geometry], srs_id: int = 4326) -> list[bytes | None]:
    """GeoPackage binary blobs (little-endian header with an xy envelope, then WKB)."""
    geoms = np.asarray(list(geoms), dtype=object)
    wkbs = shapely.to_wkb(geoms, byte_order=1, flavor="iso")
    bounds = shapely.bounds(geoms)
    out: list[bytes | None] = []
    for geom, wkb, (x0, y0, x1, y1) in zip(geoms, wkbs, bounds, strict=True):
        if geom is None:
            out.append(None)
        elif shapely.is_empty(geom):
            out.append(b"GP\x00\x11" + struct.pack("<i", srs_id) + wkb)
        else:
            out.append(b"GP\x00\x03" + struct.pack("<i4d", srs_id, x0, x1, y0, y1) + wkb)
    return out


def split(blob: bytes) -> tuple[int, bytes]:
    """The SRS id and the WKB of one GeoPackage geometry blob."""
    if blob[:2] != b"GP":
        raise ValueError("not a GeoPackage geometry blob")
    order = "<" if blob[3] & 1 else ">"
    (srs_id,) = struct.unpack_from(order + "i", blob, 4)
    return srs_id, bytes(blob[8 + _ENVELOPE_BYTES[(blob[3] >> 1) & 0b111] :])


def join(srs_id: int, wkb: bytes) -> bytes:
    """A GeoPackage geometry blob (no envelope) of a WKB geometry."""
    return b"GP\x00\x01" + struct.pack("<i", srs_id) + wkb


def decode(blobs: Iterable[bytes | None]) -> np.ndarray:
    """Shapely geometries from GeoPackage binary blobs (None stays None)."""
    wkbs: list[bytes | None] = []
    for blob in blobs:
        if blob is None:
            wkbs.append(None)
            continue
        if blob[:2] != b"GP":
            raise ValueError("not a GeoPackage geometry blob")
        envelope = (blob[3] >> 1) & 0b111
        wkbs.append(bytes(blob[8 + _ENVELOPE_BYTES[envelope] :]))
    return shapely.from_wkb(np.asarray(wkbs, dtype=object))


def is_sqlite_file(head: bytes) -> bool:
    return head.startswith(SQLITE_MAGIC)
