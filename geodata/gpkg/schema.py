"""The GeoPackage store's tables, indexes and layers, and the SQL helpers its parts share."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable

import numpy as np
import pandas as pd

from .. import geopackage as gp
from .. import records, sqlrows
from ..codes import CodeError, level_of
from ..model import CATEGORIES, TIMESTAMP_FIELDS, Level
from ..store import StoreError
from . import rollups as rollup_store
from .casephotos import v4_statements
from .categories import UPSERT as CATEGORY_UPSERT
from .categories import category_row, v3_tables
from .households import v5_statements
from .meta import META_UPSERT

SCHEMA_VERSION = "5"
# Versions this gridboard opens: an older store (1: no accounts; 2: categories without
# units, no working days; 3: no case photos; 4: no households) is upgraded in place when
# opened writable, and read as it is when opened read-only.
OLD_SCHEMA_VERSIONS = ("1", "2", "3", "4")
ACCOUNTS_SINCE = 2  # the schema version that brought accounts and the audit trail


AREA_TABLES: dict[Level, str] = {
    Level.STREET: "streets",
    Level.COMMUNITY: "communities",
    Level.COMPOUND: "compounds",
    Level.GRID: "grid_cells",
}

# Column of cases/visits/buildings that holds the code of an area of each level.
AREA_COLUMN: dict[Level, str] = {
    Level.STREET: "street_code",
    Level.COMMUNITY: "community_code",
    Level.COMPOUND: "compound_code",
    Level.GRID: "grid_code",
}
CASE_TIME_COLUMNS = (*TIMESTAMP_FIELDS, "due_at")
AREA_COLUMNS = ("street_code", "community_code", "compound_code", "grid_code")

_SCHEMA = f"""
CREATE TABLE IF NOT EXISTS gridboard_meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS streets (fid INTEGER PRIMARY KEY AUTOINCREMENT, geom MULTIPOLYGON,
  code TEXT NOT NULL UNIQUE, name TEXT NOT NULL, households INTEGER NOT NULL DEFAULT 0);
CREATE TABLE IF NOT EXISTS communities (fid INTEGER PRIMARY KEY AUTOINCREMENT,
  geom MULTIPOLYGON, code TEXT NOT NULL UNIQUE, name TEXT NOT NULL, street_code TEXT NOT NULL,
  households INTEGER NOT NULL DEFAULT 0, hall_lon REAL, hall_lat REAL, hall_address TEXT);
CREATE TABLE IF NOT EXISTS compounds (fid INTEGER PRIMARY KEY AUTOINCREMENT, geom MULTIPOLYGON,
  code TEXT NOT NULL UNIQUE, name TEXT NOT NULL, community_code TEXT NOT NULL,
  street_code TEXT NOT NULL, households INTEGER NOT NULL DEFAULT 0,
  property_company_id TEXT, address TEXT);
CREATE TABLE IF NOT EXISTS grid_cells (fid INTEGER PRIMARY KEY AUTOINCREMENT,
  geom MULTIPOLYGON, code TEXT NOT NULL UNIQUE, name TEXT NOT NULL,
  community_code TEXT NOT NULL, street_code TEXT NOT NULL,
  households INTEGER NOT NULL DEFAULT 0);
CREATE TABLE IF NOT EXISTS buildings (fid INTEGER PRIMARY KEY AUTOINCREMENT, geom POINT,
  id TEXT NOT NULL UNIQUE, name TEXT, compound_code TEXT, grid_code TEXT,
  community_code TEXT, street_code TEXT, households INTEGER NOT NULL, floors INTEGER);
CREATE TABLE IF NOT EXISTS roads (fid INTEGER PRIMARY KEY AUTOINCREMENT, geom LINESTRING,
  id TEXT NOT NULL UNIQUE, name TEXT, kind TEXT);
CREATE TABLE IF NOT EXISTS compound_grid (compound_code TEXT NOT NULL,
  grid_code TEXT NOT NULL, PRIMARY KEY (compound_code, grid_code));
CREATE TABLE IF NOT EXISTS organisations (id TEXT PRIMARY KEY, kind TEXT NOT NULL,
  name TEXT NOT NULL, area_code TEXT, phone TEXT);
CREATE TABLE IF NOT EXISTS persons (id TEXT PRIMARY KEY, name TEXT NOT NULL, phone TEXT);
CREATE TABLE IF NOT EXISTS roles (person_id TEXT NOT NULL, org_id TEXT NOT NULL,
  role TEXT NOT NULL, area_level TEXT NOT NULL, area_code TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS categories (code TEXT PRIMARY KEY, name_zh TEXT NOT NULL,
  name_en TEXT NOT NULL, major TEXT NOT NULL, minor TEXT NOT NULL DEFAULT '',
  responsible TEXT NOT NULL DEFAULT 'committee', department TEXT NOT NULL DEFAULT '',
  time_limit REAL NOT NULL DEFAULT 0, time_unit TEXT NOT NULL DEFAULT 'hours',
  register_rule TEXT NOT NULL DEFAULT '', close_rule TEXT NOT NULL DEFAULT '');
CREATE TABLE IF NOT EXISTS cases (fid INTEGER PRIMARY KEY AUTOINCREMENT,
  id TEXT NOT NULL UNIQUE, category TEXT NOT NULL, description TEXT, source TEXT,
  status TEXT NOT NULL, lon REAL NOT NULL, lat REAL NOT NULL,
  {", ".join(f"{c} DATETIME" for c in CASE_TIME_COLUMNS)},
  assignee_id TEXT, reporter_name TEXT, reporter_phone TEXT,
  {", ".join(f"{c} TEXT" for c in AREA_COLUMNS)});
CREATE TABLE IF NOT EXISTS visits (fid INTEGER PRIMARY KEY AUTOINCREMENT,
  id TEXT NOT NULL UNIQUE, worker_id TEXT NOT NULL, date DATE NOT NULL, building_id TEXT,
  households_reached INTEGER NOT NULL, needs_found INTEGER NOT NULL,
  cases_raised INTEGER NOT NULL, {", ".join(f"{c} TEXT" for c in AREA_COLUMNS)});
"""

INDEXES: dict[str, str] = {
    "roles_area": "roles (area_code)",
    "roles_person": "roles (person_id)",
    "compound_grid_grid": "compound_grid (grid_code)",
    "buildings_grid": "buildings (grid_code)",
    "buildings_compound": "buildings (compound_code)",
    "cases_reported": "cases (reported_at)",
    "cases_closed": "cases (closed_at)",
    # Covers the wall's backlog counts (GeoPackageStore._backlog): no table row is read.
    "cases_backlog": "cases (closed_at, rejected_at, reported_at, due_at, street_code,"
    " community_code)",
    "visits_date": "visits (date)",
    # Cover the metrics' list of areas and households: no polygon page is read for it.
    **{f"{table}_households": f"{table} (code, households)" for table in AREA_TABLES.values()},
    "visits_worker": "visits (worker_id, date)",
    **{f"cases_{c}": f"cases ({c}, reported_at)" for c in AREA_COLUMNS},
    **{f"visits_{c}": f"visits ({c}, date)" for c in AREA_COLUMNS},
}

LAYERS: dict[str, str | None] = {
    "streets": "MULTIPOLYGON",
    "communities": "MULTIPOLYGON",
    "compounds": "MULTIPOLYGON",
    "grid_cells": "MULTIPOLYGON",
    "buildings": "POINT",
    "roads": "LINESTRING",
    "compound_grid": None,
    "organisations": None,
    "persons": None,
    "roles": None,
    "categories": None,
    "work_days": None,
    "cases": None,
    "case_work": None,
    "case_events": None,
    "case_photos": None,
    "visits": None,
    "households": None,
    "visit_households": None,
    "visit_rules": None,
    "gridboard_meta": None,
}
# Accounts, sessions, wall displays and the audit trail (schema version 2). Attribute tables
# outside DATA_TABLES: counts() and write_city never touch them. A statement each, not a
# script: executescript() would commit the upgrade's transaction half-way.
ACCOUNT_TABLES = ("users", "user_grants", "sessions", "displays", "audit")
ACCOUNT_SCHEMA = (
    """CREATE TABLE IF NOT EXISTS users (login TEXT PRIMARY KEY, name TEXT NOT NULL,
  password_hash TEXT NOT NULL, person_id TEXT, disabled INTEGER NOT NULL DEFAULT 0,
  must_change INTEGER NOT NULL DEFAULT 1, failed_logins INTEGER NOT NULL DEFAULT 0,
  locked_until TEXT, created_at TEXT NOT NULL)""",
    # scope '' where the role takes none (NULL would let a primary key repeat)
    """CREATE TABLE IF NOT EXISTS user_grants (login TEXT NOT NULL, role TEXT NOT NULL,
  scope TEXT NOT NULL DEFAULT '', PRIMARY KEY (login, role, scope))""",
    """CREATE TABLE IF NOT EXISTS sessions (key TEXT PRIMARY KEY, kind TEXT NOT NULL,
  login TEXT NOT NULL, csrf TEXT NOT NULL, created_at TEXT NOT NULL, seen_at TEXT NOT NULL)""",
    "CREATE INDEX IF NOT EXISTS sessions_login ON sessions (kind, login)",
    """CREATE TABLE IF NOT EXISTS displays (name TEXT PRIMARY KEY,
  token_hash TEXT NOT NULL UNIQUE, scope TEXT, created_at TEXT NOT NULL,
  revoked INTEGER NOT NULL DEFAULT 0)""",
    """CREATE TABLE IF NOT EXISTS audit (seq INTEGER PRIMARY KEY, at TEXT NOT NULL,
  actor TEXT NOT NULL, address TEXT NOT NULL, action TEXT NOT NULL, target TEXT NOT NULL,
  outcome TEXT NOT NULL, prev TEXT NOT NULL, hash TEXT NOT NULL)""",
    """CREATE TRIGGER IF NOT EXISTS audit_no_update BEFORE UPDATE ON audit
  BEGIN SELECT RAISE(ABORT, 'the audit trail cannot be changed'); END""",
    """CREATE TRIGGER IF NOT EXISTS audit_no_delete BEFORE DELETE ON audit
  BEGIN SELECT RAISE(ABORT, 'the audit trail cannot be changed'); END""",
)


def category_rows() -> list[tuple]:
    """The default catalogue's rows, as categories.UPSERT takes them."""
    return [category_row(c) for c in CATEGORIES]


INSERT_ROWS = 200_000  # rows turned into Python values at once by insert()
LOCATOR_LEVELS = (Level.GRID, Level.COMPOUND, Level.COMMUNITY, Level.STREET)
# A city's settings, not its data: write_city leaves them alone.
SETTING_TABLES = ("categories", "work_days", "visit_rules")
DATA_TABLES = tuple(t for t in LAYERS if t not in ("gridboard_meta", *SETTING_TABLES))


def init_schema(con: sqlite3.Connection) -> None:
    """Make `con`'s database an empty gridboard GeoPackage (idempotent)."""
    gp.init(con)
    con.executescript(_SCHEMA)
    for statement in (*v3_tables("TEXT"), *v4_statements("TEXT"), *v5_statements("TEXT")):
        con.execute(statement)
    create_indexes(con)
    for table, gtype in LAYERS.items():
        gp.register_layer(con, table, gtype)
    con.executemany(CATEGORY_UPSERT, category_rows())
    init_account_tables(con)
    rollup_store.init(con)
    con.execute(META_UPSERT, (rollup_store.READY, rollup_store.READY_NOW))


def init_account_tables(con: sqlite3.Connection) -> None:
    """Add the account tables (schema version 2) to `con`'s database (idempotent); inside
    the caller's transaction."""
    for statement in ACCOUNT_SCHEMA:
        con.execute(statement)
    for table in ACCOUNT_TABLES:
        gp.register_layer(con, table, None)


def create_indexes(con: sqlite3.Connection) -> None:
    for name, target in INDEXES.items():
        con.execute(f"CREATE INDEX IF NOT EXISTS {name} ON {target}")


def level_or_error(code: str) -> Level:
    try:
        return level_of(code)
    except CodeError as exc:
        raise StoreError(str(exc)) from exc


def area_select(level: Level) -> str:
    cols = ["a.geom", "a.code", "a.name"]
    if level is Level.STREET:
        cols += ["NULL AS parent_code", "a.code AS street_code", "NULL AS community_code"]
    elif level is Level.COMMUNITY:
        cols += ["a.street_code AS parent_code", "a.street_code", "a.code AS community_code"]
        cols += ["a.hall_lon", "a.hall_lat", "a.hall_address"]
    else:
        cols += ["a.community_code AS parent_code", "a.street_code", "a.community_code"]
    cols.append("a.households")
    if level is Level.COMPOUND:
        cols += [
            "a.property_company_id",
            "(SELECT name FROM organisations o WHERE o.id = a.property_company_id)"
            " AS property_company",
            "a.address",
        ]
    return ", ".join(cols)


def key_table(con: sqlite3.Connection, name: str, keys: Iterable[object]) -> str:
    """Fill the temporary table `name` with `keys` (as text); returns `(SELECT key FROM name)`
    for `... IN` clauses."""
    con.execute(f"CREATE TEMP TABLE IF NOT EXISTS {name} (key TEXT PRIMARY KEY)")
    con.execute(f"DELETE FROM {name}")
    rows = ((str(k),) for k in keys)
    con.executemany(f"INSERT INTO {name} (key) VALUES (?) ON CONFLICT DO NOTHING", rows)
    return f"(SELECT key FROM {name})"


def plain(value: object) -> object:
    if isinstance(value, np.generic):
        return value.item()
    if value is None or (isinstance(value, float) and np.isnan(value)):
        return None
    return value


def insert(con: sqlite3.Connection, table: str, frame: pd.DataFrame) -> None:
    if frame.empty:
        return
    cols = list(frame.columns)
    for start in range(0, len(frame), INSERT_ROWS):  # bounded memory: a region's 5M cases
        sqlrows.bulk_insert(con, table, cols, records.rows(frame.iloc[start : start + INSERT_ROWS]))
    if "geom" in cols and table in LAYERS and LAYERS[table]:
        bounds = frame.attrs.get("bounds")
        if bounds is not None:
            update_extent(con, table, bounds)


def update_extent(con: sqlite3.Connection, table: str, bounds) -> None:
    """The layer's extent in the GeoPackage's contents (PostGIS keeps none: it computes)."""
    if not sqlrows.on_postgis(con):
        gp.update_extent(con, table, bounds)
