"""The PostGIS store's tables as versioned migrations: a new store runs them all, an older one
the rest."""

from __future__ import annotations

from ..gpkg.casephotos import v4_statements
from ..gpkg.categories import v3_statements
from ..gpkg.households import v5_statements
from ..gpkg.schema import AREA_COLUMNS, AREA_TABLES, CASE_TIME_COLUMNS

# Text compares byte by byte, as SQLite does: codes, ids and ISO times sort the same on both
# backends whatever the database's own collation. Times are ISO-8601 UTC text, dates ISO
# text, exactly as the GeoPackage keeps them: the shared SQL compares them as text.
T = 'TEXT COLLATE "C"'
_FID = "fid BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY"


def _area_table(name: str, parents: str, after: str = "") -> str:
    """An area table; its columns in the GeoPackage's order (SELECT * reads alike)."""
    return (
        f"CREATE TABLE {name} ({_FID}, geom geometry(MultiPolygon, 4326),"
        f" code {T} NOT NULL UNIQUE, name {T} NOT NULL{parents},"
        f" households INTEGER NOT NULL DEFAULT 0{after})"
    )


_AREAS_SQL = ", ".join(f"{c} {T}" for c in AREA_COLUMNS)
_CASE_TIMES = ", ".join(f"{c} {T}" for c in CASE_TIME_COLUMNS)

# Version 1: the data (what a GeoPackage store of version 1 holds).
_V1 = (
    f"CREATE TABLE gridboard_meta (key {T} PRIMARY KEY, value {T} NOT NULL)",
    _area_table("streets", ""),
    _area_table(
        "communities",
        f", street_code {T} NOT NULL",
        f", hall_lon DOUBLE PRECISION, hall_lat DOUBLE PRECISION, hall_address {T}",
    ),
    _area_table(
        "compounds",
        f", community_code {T} NOT NULL, street_code {T} NOT NULL",
        f", property_company_id {T}, address {T}",
    ),
    _area_table("grid_cells", f", community_code {T} NOT NULL, street_code {T} NOT NULL"),
    f"CREATE TABLE buildings ({_FID}, geom geometry(Point, 4326), id {T} NOT NULL UNIQUE,"
    f" name {T}, compound_code {T}, grid_code {T}, community_code {T}, street_code {T},"
    " households INTEGER NOT NULL, floors INTEGER)",
    f"CREATE TABLE roads ({_FID}, geom geometry(LineString, 4326), id {T} NOT NULL UNIQUE,"
    f" name {T}, kind {T})",
    f"CREATE TABLE compound_grid (compound_code {T} NOT NULL, grid_code {T} NOT NULL,"
    " PRIMARY KEY (compound_code, grid_code))",
    f"CREATE TABLE organisations (id {T} PRIMARY KEY, kind {T} NOT NULL, name {T} NOT NULL,"
    f" area_code {T}, phone {T})",
    f"CREATE TABLE persons (id {T} PRIMARY KEY, name {T} NOT NULL, phone {T})",
    # fid keeps the order roles were written in (SQLite's rowid)
    f"CREATE TABLE roles ({_FID}, person_id {T} NOT NULL, org_id {T} NOT NULL,"
    f" role {T} NOT NULL, area_level {T} NOT NULL, area_code {T} NOT NULL)",
    f"CREATE TABLE categories (code {T} PRIMARY KEY, name_zh {T} NOT NULL,"
    f" name_en {T} NOT NULL, class {T} NOT NULL, time_limit_hours INTEGER NOT NULL)",
    f"CREATE TABLE cases ({_FID}, id {T} NOT NULL UNIQUE, category {T} NOT NULL,"
    f" description {T}, source {T}, status {T} NOT NULL, lon DOUBLE PRECISION NOT NULL,"
    f" lat DOUBLE PRECISION NOT NULL, {_CASE_TIMES}, assignee_id {T}, reporter_name {T},"
    f" reporter_phone {T}, {_AREAS_SQL})",
    f"CREATE TABLE visits ({_FID}, id {T} NOT NULL UNIQUE, worker_id {T} NOT NULL,"
    f" date {T} NOT NULL, building_id {T}, households_reached INTEGER NOT NULL,"
    f" needs_found INTEGER NOT NULL, cases_raised INTEGER NOT NULL, {_AREAS_SQL})",
    *(f"CREATE INDEX {name}_geom ON {name} USING GIST (geom)" for name in AREA_TABLES.values()),
    "CREATE INDEX buildings_geom ON buildings USING GIST (geom)",
    "CREATE INDEX roads_geom ON roads USING GIST (geom)",
)

# Version 2: accounts, sessions, wall displays, the audit trail (unchangeable), the rollups.
_V2 = (
    f"CREATE TABLE users (login {T} PRIMARY KEY, name {T} NOT NULL,"
    f" password_hash {T} NOT NULL, person_id {T}, disabled INTEGER NOT NULL DEFAULT 0,"
    " must_change INTEGER NOT NULL DEFAULT 1, failed_logins INTEGER NOT NULL DEFAULT 0,"
    f" locked_until {T}, created_at {T} NOT NULL)",
    f"CREATE TABLE user_grants (login {T} NOT NULL, role {T} NOT NULL,"
    f" scope {T} NOT NULL DEFAULT '', PRIMARY KEY (login, role, scope))",
    f"CREATE TABLE sessions (key {T} PRIMARY KEY, kind {T} NOT NULL, login {T} NOT NULL,"
    f" csrf {T} NOT NULL, created_at {T} NOT NULL, seen_at {T} NOT NULL)",
    "CREATE INDEX sessions_login ON sessions (kind, login)",
    f"CREATE TABLE displays (name {T} PRIMARY KEY, token_hash {T} NOT NULL UNIQUE,"
    f" scope {T}, created_at {T} NOT NULL, revoked INTEGER NOT NULL DEFAULT 0)",
    f"CREATE TABLE audit (seq BIGINT PRIMARY KEY, at {T} NOT NULL, actor {T} NOT NULL,"
    f" address {T} NOT NULL, action {T} NOT NULL, target {T} NOT NULL, outcome {T} NOT NULL,"
    f" prev {T} NOT NULL, hash {T} NOT NULL)",
    "CREATE FUNCTION gridboard_audit_unchangeable() RETURNS trigger LANGUAGE plpgsql AS"
    " $$ BEGIN RAISE EXCEPTION 'the audit trail cannot be changed'; END $$",
    "CREATE TRIGGER audit_unchangeable BEFORE UPDATE OR DELETE OR TRUNCATE ON audit"
    " FOR EACH STATEMENT EXECUTE FUNCTION gridboard_audit_unchangeable()",
    f"CREATE TABLE rollups (level {T} NOT NULL, category {T} NOT NULL, span {T} NOT NULL,"
    " start INTEGER NOT NULL, part INTEGER NOT NULL, data BYTEA NOT NULL,"
    " PRIMARY KEY (level, category, span, start, part))",
    f"CREATE TABLE rollup_codes (level {T} PRIMARY KEY, codes {T} NOT NULL)",
)

# (version reached, its statements), oldest first. A store records the last one it ran in
# gridboard_meta.schema_version; opening an older store writable runs the rest, in one
# transaction. Never edit a released step: add one.
MIGRATIONS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("1", _V1),
    ("2", _V2),
    ("3", v3_statements(T, "DOUBLE PRECISION")),  # the category catalogue, working days
    ("4", v4_statements(T, "DOUBLE PRECISION", "BYTEA")),  # case photos
    ("5", v5_statements(T, "DOUBLE PRECISION")),  # households, visit rules, check-ins
)
SCHEMA_VERSION = MIGRATIONS[-1][0]
VERSIONS = tuple(version for version, _ in MIGRATIONS)


def steps_after(version: str | None) -> list[tuple[str, tuple[str, ...]]]:
    """The migrations a store at `version` (None: no tables yet) still needs."""
    if version is None:
        return list(MIGRATIONS)
    return list(MIGRATIONS[VERSIONS.index(version) + 1 :])
