"""The store suite's stores: a GeoPackage file or a PostGIS schema, opened and looked into alike."""

from __future__ import annotations

import contextlib
import sqlite3
import tempfile
import uuid
from collections.abc import Iterator
from pathlib import Path

import psycopg

from geodata import transfer
from geodata.backends import open_store
from geodata.city import OPTIONAL_VISIT_COLUMNS
from geodata.model import CATEGORY_FIELDS
from geodata.pg.sql import translate
from geodata.store import Store
from tests import pgserver


@contextlib.contextmanager
def pg_schema(database: str) -> Iterator[str]:
    """A schema of its own in the test run's database, first on the search path of the URL
    yielded (PostGIS stays in public); dropped with everything in it afterwards."""
    name = "t_" + uuid.uuid4().hex[:12]
    with psycopg.connect(database, autocommit=True) as con:
        con.execute(f"CREATE SCHEMA {name}")
    try:
        yield pgserver.url_of(database, options=f"-csearch_path={name},public")
    finally:
        with psycopg.connect(database, autocommit=True) as con:
            con.execute(f"DROP SCHEMA {name} CASCADE")


@contextlib.contextmanager
def fresh_store(kind: str, request) -> Iterator[Store]:
    """A new empty store of `kind` ("gpkg" or "pg"; `request` of the test, for the run's
    database), gone afterwards: for tests that make many."""
    if kind == "gpkg":
        with (
            tempfile.TemporaryDirectory() as folder,
            open_store(Path(folder) / "store.gpkg", create=True) as store,
        ):
            yield store
        return
    with (
        pg_schema(request.getfixturevalue("pg_url")) as url,
        open_store(url, create=True) as store,
    ):
        yield store


class StoreFactory:
    """Opens the one store of a test (call it); `raw` runs SQL on it past the store, as
    someone with the file or the database in hand could."""

    def __init__(self, kind: str, location: str | Path) -> None:
        self.kind, self.location = kind, location
        self.opened: list[Store] = []

    def __call__(self, *, create: bool = False, readonly: bool = False) -> Store:
        store = open_store(self.location, create=create, readonly=readonly)
        self.opened.append(store)
        return store

    def raw(self, sql: str, params: tuple = ()) -> list[tuple]:
        """Run one statement (SQLite's spelling) in a transaction of its own; its rows."""
        if self.kind == "gpkg":
            con = sqlite3.connect(self.location)
            try:
                with con:
                    return con.execute(sql, params).fetchall()
            finally:
                con.close()
        text, values = translate(sql, params)
        with psycopg.connect(str(self.location)) as con:
            cur = con.execute(text, values)
            return cur.fetchall() if cur.description else []

    def digest(self) -> str:
        """A digest of everything in the store, its revision and rollups too."""
        with open_store(self.location, readonly=True) as store:
            return transfer.digest(store.sql_connection(), exact=True)

    def close(self) -> None:
        for store in self.opened:
            store.close()


def file_dump(path: Path) -> bytes:
    """Everything in a GeoPackage file as SQL text: equal dumps, equal stores."""
    con = sqlite3.connect(path)
    try:
        return "\n".join(con.iterdump()).encode()
    finally:
        con.close()


def downgrade_to_v4(factory: StoreFactory) -> None:
    """Turn a store back into a schema-version-4 one, as gridboard before tagged households,
    visit rules and the visits' check-in columns."""
    for table in ("households", "visit_households", "visit_rules"):
        factory.raw(f"DROP TABLE {table}")
        if factory.kind == "gpkg":
            factory.raw("DELETE FROM gpkg_contents WHERE table_name = ?", (table,))
    for column in OPTIONAL_VISIT_COLUMNS:
        factory.raw(f"ALTER TABLE visits DROP COLUMN {column}")
    factory.raw("UPDATE gridboard_meta SET value = '4' WHERE key = 'schema_version'")


def downgrade_to_v3(factory: StoreFactory) -> None:
    """Turn a store back into a schema-version-3 one, as gridboard before case photos and
    dispatch assignees in events."""
    downgrade_to_v4(factory)
    factory.raw("DROP TABLE case_photos")
    for column in ("assignee_org", "assignee_person"):
        factory.raw(f"ALTER TABLE case_events DROP COLUMN {column}")
    if factory.kind == "gpkg":
        factory.raw("DELETE FROM gpkg_contents WHERE table_name = 'case_photos'")
    factory.raw("UPDATE gridboard_meta SET value = '3' WHERE key = 'schema_version'")


def downgrade_to_v2(factory: StoreFactory) -> None:
    """Turn a store back into a schema-version-2 one, as gridboard before the category
    catalogue made it: categories with a limit in calendar hours, no working days, no case
    machine tables."""
    downgrade_to_v3(factory)
    for table in ("work_days", "case_work", "case_events", "api_keys"):
        factory.raw(f"DROP TABLE {table}")
        if factory.kind == "gpkg":
            factory.raw("DELETE FROM gpkg_contents WHERE table_name = ?", (table,))
    factory.raw("ALTER TABLE categories ADD COLUMN time_limit_hours INTEGER NOT NULL DEFAULT 0")
    factory.raw("UPDATE categories SET time_limit_hours = CAST(time_limit * 8 AS INTEGER)")
    for column in CATALOGUE_ADDED:
        factory.raw(f"ALTER TABLE categories DROP COLUMN {column}")
    factory.raw("ALTER TABLE categories RENAME COLUMN major TO class")
    factory.raw("DELETE FROM gridboard_meta WHERE key = 'work_hours'")
    factory.raw("UPDATE gridboard_meta SET value = '2' WHERE key = 'schema_version'")


# What version 3 added to the categories (the rest were there: code, names, class).
CATALOGUE_ADDED = tuple(
    c for c in CATEGORY_FIELDS if c not in ("code", "name_zh", "name_en", "major")
)
