"""The GeoPackage store's connections (one per thread, reused), creation, checks, transactions."""

from __future__ import annotations

import logging
import queue
import sqlite3
import threading
import uuid
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path

import geopandas as gpd
import pandas as pd

from .. import geopackage as gp
from ..locate import Locator
from ..store import ConnectionLost, StoreError
from . import rollups as rollup_store
from .casephotos import PHOTOS_SINCE, V4_TABLES, v4_statements
from .categories import CATALOGUE_SINCE, V3_TABLES, v3_statements
from .households import HOUSEHOLDS_SINCE, V5_TABLES, v5_statements
from .meta import META_UPSERT, SCHEMA_VERSION_SQL
from .schema import (
    ACCOUNTS_SINCE,
    OLD_SCHEMA_VERSIONS,
    SCHEMA_VERSION,
    create_indexes,
    init_account_tables,
    init_schema,
)

log = logging.getLogger(__name__)


class Connection:
    """A GeoPackage file's connections; safe to share between threads (a connection each,
    handed on to later threads when a thread ends)."""

    path: Path
    readonly: bool
    _errors: tuple[type[Exception], ...] = (sqlite3.Error,)  # the database's own errors
    schema_version: str  # SCHEMA_VERSION, or an older one in a store opened read-only

    def _open(self, path: Path, create: bool, readonly: bool) -> None:
        self.path = Path(path)
        self._setup(readonly)
        if not self.path.exists():
            if not create or readonly:
                raise StoreError(f"{self.path}: no such file")
            self._create()
        self._check()

    def _setup(self, readonly: bool) -> None:
        self.readonly = readonly
        self._local = threading.local()
        self._idle: queue.SimpleQueue[sqlite3.Connection] = queue.SimpleQueue()
        self._lock = threading.Lock()
        # This process's account writes queue here, one at a time, rather than in SQLite's
        # busy loop, whose growing sleeps let newcomers overtake a waiting thread for seconds.
        self._account_writes = threading.Lock()
        self._locator: Locator | None = None

    def _connect(self) -> sqlite3.Connection:
        """This thread's connection: an idle one from a thread that has ended, or a new one.

        A web server runs each request in a new thread; reusing connections keeps their
        page caches warm (measured: p95 of a panel's reads 94 ms with a new connection per
        thread, 28 ms with a reused one).
        """
        lease = getattr(self._local, "lease", None)
        if lease is None:
            try:
                con = self._idle.get_nowait()
            except queue.Empty:
                con = self._open_connection()
            lease = self._local.lease = _Lease(con, self._idle)
        return lease.con

    def _open_connection(self) -> sqlite3.Connection:
        try:
            if self.readonly:
                uri = self.path.resolve().as_uri() + "?mode=ro"  # quotes # ? %
                con = sqlite3.connect(uri, uri=True, check_same_thread=False)
            else:
                con = sqlite3.connect(self.path, check_same_thread=False)
        except sqlite3.Error as exc:
            raise StoreError(f"{self.path}: cannot open ({exc})") from exc
        con.execute("PRAGMA cache_size = -65536")
        return con

    def _create(self) -> None:
        if not self.path.parent.is_dir():
            raise StoreError(f"{self.path}: folder {self.path.parent} does not exist")
        try:
            con = self._connect()
            with con:
                init_schema(con)
                con.executemany(
                    META_UPSERT,
                    [("schema_version", SCHEMA_VERSION), ("data_id", uuid.uuid4().hex)],
                )
        except (sqlite3.Error, OSError) as exc:
            self.close()
            self.path.unlink(missing_ok=True)
            raise StoreError(f"{self.path}: cannot create ({exc})") from exc

    def _check(self) -> None:
        try:
            with self.path.open("rb") as fh:
                head = fh.read(100)
        except OSError as exc:
            raise StoreError(f"{self.path}: cannot read ({exc.strerror})") from exc
        if not gp.is_sqlite_file(head):
            raise StoreError(f"{self.path} is not a gridboard store (not a GeoPackage file)")
        try:
            row = self._connect().execute(SCHEMA_VERSION_SQL).fetchone()
        except sqlite3.DatabaseError as exc:
            self.close()
            raise StoreError(
                f"{self.path} is not a gridboard store (no gridboard_meta table: {exc})"
            ) from exc
        found = row[0] if row else "none"
        if found in OLD_SCHEMA_VERSIONS and not self.readonly:
            self._upgrade(found)
            found = SCHEMA_VERSION
        if found != SCHEMA_VERSION and found not in OLD_SCHEMA_VERSIONS:
            self.close()
            raise StoreError(
                f"{self.path}: store schema version {found}, this gridboard reads {SCHEMA_VERSION}"
            )
        self.schema_version = found
        if not self.readonly:
            self._build_rollups()

    def _build_rollups(self) -> None:
        """Rollups for a store written before they existed, or before their present kind
        (metrics count raw rows until then): built or upgraded once, when the store is first
        opened writable."""
        con = self._connect()
        if rollup_store.exists(con) and rollup_store.ready(con):
            return
        log.warning(
            "%s: bringing the metrics' rollups up to date (once; seconds to upgrade a city's,"
            " minutes to build them)",
            self.path,
        )
        try:
            with self._transaction(data=False) as con:
                rollup_store.init(con)
                create_indexes(con)  # those added with the rollups too
                rollup_store.bring_up_to_date(con)
        except (sqlite3.Error, StoreError) as exc:
            self.close()
            raise StoreError(f"{self.path}: cannot build the rollups ({exc})") from exc

    def _upgrade(self, found: str) -> None:
        """Bring an older store to SCHEMA_VERSION in place, in one transaction. The version
        is read again inside it: another process may have upgraded the file meanwhile."""
        try:
            with self._transaction(data=False) as con:
                row = con.execute(SCHEMA_VERSION_SQL).fetchone()
                if row is not None and row[0] in OLD_SCHEMA_VERSIONS:
                    self._upgrade_from(con, int(row[0]))
                    con.execute(
                        "UPDATE gridboard_meta SET value = ? WHERE key = 'schema_version'",
                        (SCHEMA_VERSION,),
                    )
        except (sqlite3.Error, StoreError) as exc:
            self.close()
            raise StoreError(
                f"{self.path}: cannot upgrade store schema version {found} to {SCHEMA_VERSION}"
                f" ({exc})"
            ) from exc

    @staticmethod
    def _upgrade_from(con: sqlite3.Connection, version: int) -> None:
        """The steps a store at schema `version` still needs, oldest first."""
        if version < ACCOUNTS_SINCE:
            init_account_tables(con)
        steps = (
            (CATALOGUE_SINCE, v3_statements, V3_TABLES),
            (PHOTOS_SINCE, v4_statements, V4_TABLES),
            (HOUSEHOLDS_SINCE, v5_statements, V5_TABLES),
        )
        for since, statements, tables in steps:
            if version < since:
                for statement in statements("TEXT"):
                    con.execute(statement)
                for table in tables:
                    gp.register_layer(con, table, None)

    @contextmanager
    def whole_store_write(self) -> Iterator[sqlite3.Connection]:
        """One data write transaction (see _transaction), for tools that handle the whole
        store (geodata.transfer)."""
        with self._transaction() as con:
            yield con
        self._settle()

    def _settle(self) -> None:
        """After a write of the whole store, once committed: nothing for a file."""

    def sql_connection(self) -> sqlite3.Connection:
        """This thread's connection, for tools that handle the whole store (geodata.transfer)."""
        return self._connect()

    def close(self) -> None:
        lease = getattr(self._local, "lease", None)
        if lease is not None:
            lease.release = False
            lease.con.close()
            self._local.lease = None
        while True:
            try:
                self._idle.get_nowait().close()
            except queue.Empty:
                break

    @contextmanager
    def _transaction(self, *, data: bool = True) -> Iterator[sqlite3.Connection]:
        """One write transaction: everything changes or nothing does. A data write changes
        the revision with it; others (accounts, sessions, the audit trail) leave it alone,
        so the map's caches, keyed on the revision, stay warm while people sign in."""
        if self.readonly:
            raise StoreError(f"{self.path}: opened read-only")
        con = self._connect()
        self._begin(con)
        committing = False
        try:
            yield con
            if data:
                con.execute(
                    "INSERT INTO gridboard_meta (key, value) VALUES ('revision', '1')"
                    " ON CONFLICT (key)"
                    " DO UPDATE SET value = CAST(CAST(gridboard_meta.value AS INTEGER) + 1 AS TEXT)"
                )
            committing = True
            con.execute("COMMIT")
        except BaseException as exc:
            if not committing and isinstance(exc, self._errors) and self._lost(con):
                raise ConnectionLost(
                    f"{self.path}: the connection to the database was lost before the write was"
                    f" committed; nothing was written ({exc})"
                ) from exc
            if con.in_transaction:  # SQLite has rolled back itself after SQLITE_FULL and others
                con.execute("ROLLBACK")
            raise
        finally:
            if data:
                self._locator = None

    @staticmethod
    def _lost(con: sqlite3.Connection) -> bool:
        """Whether the connection is gone (a file's never is)."""
        del con
        return False

    def _begin(self, con: sqlite3.Connection) -> None:
        """Start a write transaction, one writer at a time."""
        try:
            con.execute("BEGIN IMMEDIATE")
        except sqlite3.OperationalError as exc:
            raise StoreError(f"{self.path}: cannot write now ({exc}); try again") from exc

    def _frame(self, sql: str, params: Sequence = ()) -> pd.DataFrame:
        return pd.read_sql_query(sql, self._connect(), params=list(params))

    def _geoframe(self, sql: str, params: Sequence = ()) -> gpd.GeoDataFrame:
        df = self._frame(sql, params)
        geom = gp.decode(df.pop("geom")) if len(df) else []
        return gpd.GeoDataFrame(df, geometry=gpd.GeoSeries(geom, crs=4326), crs=4326)

    def _named(self, sql: str, params: dict) -> pd.DataFrame:
        return pd.read_sql_query(sql, self._connect(), params=params)


class _Lease:
    """A thread's hold on a connection; when the thread ends, the connection goes back idle."""

    def __init__(self, con: sqlite3.Connection, idle: queue.SimpleQueue) -> None:
        self.con, self.idle, self.release = con, idle, True

    def __del__(self) -> None:  # runs when threading.local drops an ended thread's values
        if self.release:
            self.idle.put(self.con)
