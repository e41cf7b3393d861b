"""The PostGIS store's connections (one per thread, reused), creation, migrations, transactions."""

from __future__ import annotations

import logging
import struct
import time
import uuid
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any

import pandas as pd
import psycopg
from psycopg.adapt import Loader
from psycopg.pq import Format, TransactionStatus
from psycopg.types import TypeInfo
from psycopg.types.numeric import NumericBinaryLoader

from .. import geopackage as gp
from ..gpkg import rollups as rollup_store
from ..gpkg.connection import Connection
from ..gpkg.meta import META_UPSERT, SCHEMA_VERSION_SQL
from ..gpkg.schema import CATEGORY_UPSERT, DATA_TABLES, category_rows, create_indexes
from ..store import ConnectionLost, StoreError
from .schema import SCHEMA_VERSION, VERSIONS, steps_after
from .sql import translate

log = logging.getLogger(__name__)

# One writer at a time, as in SQLite: every write transaction takes this advisory lock first
# (the rollups are read, summed and written back; the audit trail's sequence is read, then
# the next entry written).
WRITE_LOCK = 0x67726964  # "grid"
_EWKB_SRID = 0x20000000
RECONNECT_SECONDS, RECONNECT_PAUSE = 10.0, 0.25  # waiting for a restarting server
_WHOLE_NUMBER_TYPES = (20, 21, 23)  # int8, int2, int4
_HAS_STORE_SQL = "SELECT to_regclass('gridboard_meta') IS NOT NULL"


def redacted(url: str) -> str:
    """`url` without its password: what messages and logs may show."""
    try:
        parts = psycopg.conninfo.conninfo_to_dict(url)
    except psycopg.ProgrammingError:
        return "postgresql://(unreadable address)"
    host = parts.get("host", "localhost")
    port = f":{parts['port']}" if parts.get("port") else ""
    user = f"{parts['user']}@" if parts.get("user") else ""
    return f"postgresql://{user}{host}{port}/{parts.get('dbname', '')}"


def holds_store(url: str) -> bool:
    """Whether the database at `url` holds a gridboard store (StoreError: unreachable)."""
    try:
        with psycopg.connect(url, connect_timeout=10) as raw:
            return raw.execute(_HAS_STORE_SQL).fetchone()[0]
    except psycopg.Error as exc:
        raise StoreError(f"{redacted(url)}: cannot connect ({_first_line(exc)})") from exc


class PgCon:
    """A PostgreSQL connection answering the calls the shared SQL makes of sqlite3's. A
    statement outside a transaction that finds the connection dropped (the server restarted)
    is run again once on a new one, made within RECONNECT_SECONDS (a restart takes a moment);
    inside a transaction the error stands (the write fails whole, as it would on SQLite)."""

    postgis = True

    def __init__(self, connect: Callable[[], psycopg.Connection]) -> None:
        self.connect = connect
        self.raw = connect()

    def execute(self, sql: str, params: Sequence | Mapping = ()) -> psycopg.Cursor:
        text, values = translate(sql, params)
        idle = not self.in_transaction
        try:
            return self.raw.execute(text, values, binary=True)
        except psycopg.OperationalError:
            if not (idle and self.raw.broken):
                raise
            log.warning("the database connection was dropped; connecting again")
            self.raw.close()
            self.raw = self.reconnect()
            return self.raw.execute(text, values, binary=True)

    def reconnect(self) -> psycopg.Connection:
        """A new connection, waiting up to RECONNECT_SECONDS for the server to answer."""
        deadline = time.monotonic() + RECONNECT_SECONDS
        while True:
            try:
                return self.connect()
            except StoreError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(RECONNECT_PAUSE)

    def executemany(self, sql: str, rows: Iterable[Sequence]) -> psycopg.Cursor:
        text, _ = translate(sql, ())
        batch = [translate(sql, row)[1] for row in rows]
        cur = self.raw.cursor()
        if batch:
            cur.executemany(text, batch)
        return cur

    def frame(self, sql: str, params: Sequence | Mapping = ()) -> pd.DataFrame:
        cur = self.execute(sql, params)
        columns = [d.name for d in cur.description or ()]
        return pd.DataFrame.from_records(cur.fetchall(), columns=columns, coerce_float=True)

    def copy_rows(self, table: str, columns: Sequence[str], rows: Iterable[tuple]) -> None:
        """COPY `rows` into `table`; a geom column holds GeoPackage blobs (geodata.geopackage)."""
        names = ", ".join(columns)
        kinds = self.raw.execute(f"SELECT {names} FROM {table} LIMIT 0").description or ()
        # SQLite keeps 600.0 in a whole-number column as 600; COPY refuses the text "600.0"
        wholes = [i for i, d in enumerate(kinds) if d.type_code in _WHOLE_NUMBER_TYPES]
        at = list(columns).index("geom") if "geom" in columns else None
        with self.raw.cursor().copy(f"COPY {table} ({names}) FROM STDIN") as copy:
            for row in rows:
                if at is not None and row[at] is not None:
                    row = (*row[:at], ewkb_hex(row[at]), *row[at + 1 :])
                if wholes:
                    row = _whole(row, wholes)
                copy.write_row(row)

    @property
    def in_transaction(self) -> bool:
        """Whether a transaction is open (one on a dropped connection is gone with it)."""
        return self.usable and self.raw.info.transaction_status != TransactionStatus.IDLE

    @property
    def usable(self) -> bool:
        return not (self.raw.closed or self.raw.broken)

    def close(self) -> None:
        self.raw.close()


def _whole(row: tuple, at: list[int]) -> tuple:
    values = list(row)
    for i in at:
        if isinstance(values[i], float) and values[i].is_integer():
            values[i] = int(values[i])
    return tuple(values)


def ewkb_hex(blob: bytes) -> str:
    """A GeoPackage blob as PostGIS reads geometry text: hex EWKB carrying the SRS id."""
    srs_id, wkb = gp.split(blob)
    order = "<" if wkb[0] == 1 else ">"
    (kind,) = struct.unpack_from(order + "I", wkb, 1)
    head = wkb[:1] + struct.pack(order + "Ii", kind | _EWKB_SRID, srs_id)
    return (head + wkb[5:]).hex()


def gpkg_blob(ewkb: bytes) -> bytes:
    """PostGIS's EWKB as a GeoPackage blob, what the shared reads decode."""
    order = "<" if ewkb[0] == 1 else ">"
    (kind,) = struct.unpack_from(order + "I", ewkb, 1)
    if not kind & _EWKB_SRID:
        return gp.join(0, ewkb)
    (srs_id,) = struct.unpack_from(order + "i", ewkb, 5)
    return gp.join(srs_id, ewkb[:1] + struct.pack(order + "I", kind & ~_EWKB_SRID) + ewkb[9:])


class _GeometryLoader(Loader):
    """Results come in binary (bytea as bytes, not hex text): a shape is its EWKB."""

    format = Format.BINARY

    def load(self, data: Any) -> bytes:
        return gpkg_blob(bytes(data))


class _NumericLoader(NumericBinaryLoader):
    """SUM of whole numbers comes back as numeric: a float, as SQLite's would be summed."""

    def load(self, data: Any) -> float:  # type: ignore[override]
        return float(super().load(data))


class PgConnection(Connection):
    """A PostgreSQL database's connections; safe to share between threads."""

    _errors = (psycopg.Error,)
    url: str

    def _open(self, url: str, create: bool, readonly: bool) -> None:  # type: ignore[override]
        self.url = url
        self.path = redacted(url)  # type: ignore[assignment]  # named in every message
        self._setup(readonly)
        self._check(create)

    def _open_connection(self) -> PgCon:  # type: ignore[override]
        return PgCon(self._raw_connection)

    def _raw_connection(self) -> psycopg.Connection:
        try:
            raw = psycopg.connect(self.url, autocommit=True, connect_timeout=10)
        except psycopg.Error as exc:
            raise StoreError(f"{self.path}: cannot connect ({_first_line(exc)})") from exc
        info = TypeInfo.fetch(raw, "geometry")
        if info is None:
            raw.close()
            raise StoreError(f"{self.path}: the database has no PostGIS (CREATE EXTENSION postgis)")
        raw.adapters.register_loader(info.oid, _GeometryLoader)
        raw.adapters.register_loader("numeric", _NumericLoader)
        return raw

    def _connect(self) -> PgCon:  # type: ignore[override]
        """This thread's connection; one the server dropped (a restart) is made again."""
        con = super()._connect()
        if not con.usable:
            con.raw.close()
            con.raw = con.reconnect()
        return con

    def _check(self, create: bool = False) -> None:  # type: ignore[override]
        con = self._connect()
        if not con.execute(_HAS_STORE_SQL).fetchone()[0]:
            if not create or self.readonly:
                self.close()
                raise StoreError(f"{self.path} is not a gridboard store (no gridboard_meta table)")
            self._migrate(None)
        found = self._version(con)
        if found in VERSIONS and found != SCHEMA_VERSION and not self.readonly:
            self._migrate(found)
            found = SCHEMA_VERSION
        if found not in VERSIONS:
            self.close()
            raise StoreError(
                f"{self.path}: store schema version {found}, this gridboard reads {SCHEMA_VERSION}"
            )
        self.schema_version = found
        if not self.readonly and not rollup_store.ready(con):
            self._upgrade_rollups()

    def _upgrade_rollups(self) -> None:
        """Rollups of an earlier kind made the present kind, once, when the store is first
        opened writable (metrics count raw rows until then)."""
        log.warning("%s: bringing the metrics' rollups up to date (once)", self.path)
        try:
            with self._transaction(data=False) as con:
                rollup_store.bring_up_to_date(con)
        except (psycopg.Error, StoreError) as exc:
            self.close()
            raise StoreError(f"{self.path}: cannot build the rollups ({_first_line(exc)})") from exc

    def _version(self, con: PgCon) -> str:
        row = con.execute(SCHEMA_VERSION_SQL).fetchone()
        return row[0] if row else "none"

    def _migrate(self, found: str | None) -> None:
        """Run the migrations a store at `found` (None: an empty database) lacks, in one
        transaction; the version is read again inside it (another process may have run them)."""
        try:
            with self._transaction(data=False) as con:
                exists = con.execute(_HAS_STORE_SQL).fetchone()[0]
                now = self._version(con) if exists else None
                for version, statements in steps_after(now):
                    for statement in statements:
                        con.execute(statement)
                    con.execute(META_UPSERT, ("schema_version", version))
                if now is None:
                    con.execute(META_UPSERT, ("data_id", uuid.uuid4().hex))
                    con.executemany(CATEGORY_UPSERT, category_rows())
                create_indexes(con)
                rollup_store.bring_up_to_date(con)
        except psycopg.Error as exc:
            self.close()
            raise StoreError(
                f"{self.path}: cannot bring the store to schema version {SCHEMA_VERSION}"
                f" ({_first_line(exc)})"
            ) from exc
        if found is not None:
            log.warning("%s: store upgraded from schema version %s", self.path, found)

    def _settle(self) -> None:
        """After a write of the whole store, once committed: VACUUM, without which a table
        written in bulk has no visibility map and its index-only scans read the table too
        (the grid cells' list of a region: 55 ms, 9 ms after), and ANALYZE. The write stands
        when this fails; autovacuum comes later."""
        tables = ", ".join((*DATA_TABLES, *rollup_store.TABLES))
        try:
            self._connect().execute(f"VACUUM (ANALYZE) {tables}")
        except psycopg.Error as exc:
            log.warning("%s: VACUUM after a whole write failed (%s)", self.path, _first_line(exc))

    @staticmethod
    def _lost(con: PgCon) -> bool:  # type: ignore[override]
        return not con.usable

    def _begin(self, con: PgCon) -> None:  # type: ignore[override]
        """Start a write transaction after every other's (WRITE_LOCK), as SQLite's writers
        take turns."""
        try:
            con.execute("BEGIN")
            con.execute("SELECT pg_advisory_xact_lock(?)", (WRITE_LOCK,))
        except psycopg.Error as exc:
            if not con.usable:
                raise ConnectionLost(
                    f"{self.path}: the connection to the database was lost before the write"
                    f" began; nothing was written ({_first_line(exc)})"
                ) from exc
            raise StoreError(f"{self.path}: cannot write now ({_first_line(exc)})") from exc

    def _frame(self, sql: str, params: Sequence = ()) -> pd.DataFrame:
        return self._connect().frame(sql, params)

    def _named(self, sql: str, params: dict) -> pd.DataFrame:
        return self._connect().frame(sql, params)


def _first_line(exc: Exception) -> str:
    return str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
