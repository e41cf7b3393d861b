"""Moving a whole store between backends (GeoPackage ↔ PostGIS): its tables copied row for row,
checked by counts and a logical digest that both backends compute alike."""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from typing import Any

import numpy as np
import pandas as pd
import shapely

from . import geopackage as gp
from . import sqlrows
from .gpkg import rollups as rollup_store
from .gpkg.schema import (
    ACCOUNT_TABLES,
    DATA_TABLES,
    INDEXES,
    LAYERS,
    SETTING_TABLES,
    create_indexes,
    insert,
    update_extent,
)
from .store import Store, StoreError

# Meta keys that belong to the store, not to the data it holds. data_id too: caches key on
# data_id and revision, and a copy that goes its own way must never share a key with its source.
OWN_META = ("schema_version", "revision", rollup_store.READY, rollup_store.THROUGH, "data_id")
# What a store holds, in the order it is copied (parents before what points at them).
TABLES = ("gridboard_meta", *SETTING_TABLES, *DATA_TABLES, *ACCOUNT_TABLES, "api_keys")
# The digest leaves out what is derived (rollups) or passing (sessions).
DIGESTED = tuple(t for t in TABLES if t != "sessions")


def table_frame(con: Any, table: str, *, own: bool = False) -> pd.DataFrame:
    """Every row of `table` without the row number a backend adds (fid); the meta table
    without the store's OWN_META unless `own`."""
    frame = sqlrows.frame(con, f"SELECT * FROM {table}")
    if table == "gridboard_meta" and not own:
        frame = frame[~frame["key"].isin(OWN_META)]
    return frame.drop(columns="fid", errors="ignore").reset_index(drop=True)


def present(con: Any, tables: tuple[str, ...]) -> list[str]:
    """Those of `tables` the store has (a version-1 store has no account tables)."""
    return [t for t in tables if sqlrows.has_relation(con, t)]


def digest(con: Any, *, exact: bool = False) -> str:
    """A hash of what the store holds, the same on both backends for the same data: rows in
    a fixed order, values as canonical text, shapes as their WKB. `exact`: of everything,
    the store's own meta (revision) and the rollups too."""
    total = hashlib.sha256()
    tables = (*DIGESTED, "sessions", *rollup_store.TABLES) if exact else DIGESTED
    for table in present(con, tables):
        _digest_table(total, table, table_frame(con, table, own=exact))
    return total.hexdigest()


def _digest_table(total: Any, table: str, frame: pd.DataFrame) -> None:
    """Add one table's rows to the running hash `total` (digest: in DIGESTED order)."""
    if frame.empty:  # as if absent: a version-1 store has no account tables at all
        return
    frame = frame[sorted(frame.columns)]
    total.update(f"{table}:{len(frame)}:{','.join(frame.columns)}\n".encode())
    total.update("\n".join(sorted(_lines(frame))).encode())


def _lines(frame: pd.DataFrame) -> Iterator[str]:
    columns = [_texts(frame[name], name == "geom").tolist() for name in frame.columns]
    return ("\t".join(row) for row in zip(*columns, strict=True))


def _texts(column: pd.Series, shapes: bool) -> np.ndarray:
    """A column's values as canonical text, whatever type a backend read them as: \\N for
    none, whole numbers without a decimal point, bytes (and shapes, as WKB) in hex."""
    missing = column.isna().to_numpy()
    if pd.api.types.is_float_dtype(column):
        values = column.to_numpy(dtype=float)
        whole = np.isfinite(values) & (values == np.round(values))
        text = np.where(
            whole, np.nan_to_num(values).astype(np.int64).astype(str), values.astype(str)
        )
    elif pd.api.types.is_integer_dtype(column) or pd.api.types.is_bool_dtype(column):
        text = column.to_numpy().astype(np.int64).astype(str)
    elif pd.api.types.infer_dtype(column, skipna=True) in ("string", "empty"):
        text = column.to_numpy(dtype=object)  # text as it is (most columns: no call per value)
    else:
        text = np.array([_text(v, shapes) for v in column.to_numpy(dtype=object)], dtype=object)
    return np.where(missing, "\\N", text).astype(object)


def _text(value: object, shapes: bool) -> str:
    if value is None or (isinstance(value, float) and np.isnan(value)):
        return "\\N"
    if isinstance(value, bytes | memoryview):
        return (gp.split(bytes(value))[1] if shapes else bytes(value)).hex()
    if isinstance(value, float) and value.is_integer():
        return str(int(value))  # a whole-number column with gaps reads as float
    return str(value)


def counts(con: Any) -> dict[str, int]:
    """Rows per table the store has."""
    return {t: con.execute(f"SELECT COUNT(*) FROM {t}").fetchone()[0] for t in present(con, TABLES)}


def is_empty(con: Any) -> bool:
    """Whether a store holds nothing anyone wrote: no data, no accounts, no audit trail."""
    settings = ("gridboard_meta", *SETTING_TABLES)
    return not any(n for t, n in counts(con).items() if t not in settings)


class TransferError(StoreError):
    """A copy refused or failed; the target is left as it was."""


def copy_store(source: Store, target: Store, *, replace: bool = False) -> dict[str, int]:
    """Copy everything `source` holds into `target`, in one transaction of the target that
    commits only when the target's digest equals the source's. A target holding anything
    (data, accounts, an audit trail) is refused unless `replace`. Returns rows per table."""
    with target.whole_store_write() as con:
        if not replace and not is_empty(con):
            raise TransferError(
                f"{target.path} is not empty: give --replace to overwrite what it holds"
            )
        copied, expected = copy_into(source.sql_connection(), con)
        found = digest(con)
        if found != expected:
            raise TransferError(
                f"{target.path}: the copy differs from {source.path} (digest {found[:12]}"
                f" ≠ {expected[:12]}); nothing was written"
            )
    return copied


def copy_into(source: Any, target: Any) -> tuple[dict[str, int], str]:
    """Copy every table of `source` into `target`, emptied first (inside the caller's
    transaction); the rollups too when the source's are complete, else built again. Each
    source table is read once, for the copy and for the source's digest. Returns the rows
    copied per table and that digest."""
    copied: dict[str, int] = {}
    total = hashlib.sha256()
    for name in INDEXES:  # built again at the end: faster than kept up row by row
        target.execute(f"DROP INDEX IF EXISTS {name}")
    for table in (*TABLES, *rollup_store.TABLES):
        _empty(target, table)
    for table in present(source, TABLES):
        frame = table_frame(source, table)
        if table in DIGESTED:
            _digest_table(total, table, frame)
        _insert_as_target(target, table, frame)
        copied[table] = len(frame)
    if rollup_store.exists(source) and rollup_store.ready(source):
        for table in rollup_store.TABLES:
            _insert_as_target(target, table, table_frame(source, table))
        rollup_store.copy_through(source, target)
    else:
        rollup_store.rebuild(target)
    create_indexes(target)
    return copied, total.hexdigest()


def _insert_as_target(target: Any, table: str, frame: pd.DataFrame) -> None:
    """Insert the source's rows under the target's own column names: names read from a
    source file never become SQL. A source column the target lacks is left out (the digests
    then differ and the copy is refused); one the target has and the source lacks is named."""
    found = target.execute(f"SELECT * FROM {table} LIMIT 0").description or ()
    columns = [d[0] for d in found if d[0] != "fid"]
    missing = [c for c in columns if c not in frame.columns]
    if missing:
        raise TransferError(f"{table}: the source has no column {', '.join(missing)}")
    insert(target, table, frame[columns])
    kind = LAYERS.get(table)
    if kind and len(frame) and not sqlrows.on_postgis(target):  # a GeoPackage layer's extent
        update_extent(target, table, shapely.total_bounds(gp.decode(frame["geom"])))


def _empty(con: Any, table: str) -> None:
    """Delete every row of `table` but the store's own meta; the audit trail's guard is
    lifted for it (an explicit --replace)."""
    if table == "gridboard_meta":
        marks = ", ".join("?" * len(OWN_META))
        con.execute(f"DELETE FROM gridboard_meta WHERE key NOT IN ({marks})", OWN_META)
        return
    if not con.execute(f"SELECT EXISTS (SELECT 1 FROM {table})").fetchone()[0]:
        return
    if table == "audit" and sqlrows.on_postgis(con):
        con.execute("ALTER TABLE audit DISABLE TRIGGER audit_unchangeable")
        con.execute("DELETE FROM audit")
        con.execute("ALTER TABLE audit ENABLE TRIGGER audit_unchangeable")
        return
    con.execute(f"DELETE FROM {table}")
