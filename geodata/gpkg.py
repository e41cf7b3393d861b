"""The embedded store: one GeoPackage file (SQLite) holding areas, staff, cases and visits."""

from __future__ import annotations

import datetime as dt
import math
import queue
import sqlite3
import threading
import uuid
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from . import geopackage as gp
from . import records
from .city import COLUMNS, CityData
from .codes import CodeError, is_valid, level_of
from .locate import Locator, compound_grid_links
from .model import (
    CATEGORIES,
    LOCAL_TZ,
    TIMESTAMP_FIELDS,
    Case,
    Level,
    OrgKind,
    Role,
    StaffMember,
)
from .store import METRIC_COLUMNS, WALL_WINDOW, Store, StoreError, Window

SCHEMA_VERSION = "1"

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
_CASE_TIME_COLUMNS = (*TIMESTAMP_FIELDS, "due_at")
_AREA_COLUMNS = ("street_code", "community_code", "compound_code", "grid_code")

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
  name_en TEXT NOT NULL, class TEXT NOT NULL, time_limit_hours INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS cases (fid INTEGER PRIMARY KEY AUTOINCREMENT,
  id TEXT NOT NULL UNIQUE, category TEXT NOT NULL, description TEXT, source TEXT,
  status TEXT NOT NULL, lon REAL NOT NULL, lat REAL NOT NULL,
  {", ".join(f"{c} DATETIME" for c in _CASE_TIME_COLUMNS)},
  assignee_id TEXT, reporter_name TEXT, reporter_phone TEXT,
  {", ".join(f"{c} TEXT" for c in _AREA_COLUMNS)});
CREATE TABLE IF NOT EXISTS visits (fid INTEGER PRIMARY KEY AUTOINCREMENT,
  id TEXT NOT NULL UNIQUE, worker_id TEXT NOT NULL, date DATE NOT NULL, building_id TEXT,
  households_reached INTEGER NOT NULL, needs_found INTEGER NOT NULL,
  cases_raised INTEGER NOT NULL, {", ".join(f"{c} TEXT" for c in _AREA_COLUMNS)});
"""

ID_TABLES = ("cases", "visits", "persons", "organisations")
ID_CHUNK = 500  # ids per IN (...) query, well below SQLite's limit on parameters
# From this many rows on, add_cases drops the case indexes and builds them again after the
# insert: for 1M new cases that beats updating them row by row several times over.
BULK_ROWS = 100_000
_INDEXES: dict[str, str] = {
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
    "visits_worker": "visits (worker_id, date)",
    **{f"cases_{c}": f"cases ({c}, reported_at)" for c in _AREA_COLUMNS},
    **{f"visits_{c}": f"visits ({c}, date)" for c in _AREA_COLUMNS},
}

_LAYERS: dict[str, str | None] = {
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
    "cases": None,
    "visits": None,
    "gridboard_meta": None,
}
_LOCATOR_LEVELS = (Level.GRID, Level.COMPOUND, Level.COMMUNITY, Level.STREET)
DATA_TABLES = tuple(t for t in _LAYERS if t not in ("gridboard_meta", "categories"))


class GeoPackageStore(Store):
    """A Store in one GeoPackage file; safe to share between threads (a connection each,
    handed on to later threads when a thread ends)."""

    def __init__(self, path: Path, *, create: bool = False, readonly: bool = False) -> None:
        self.path = Path(path)
        self.readonly = readonly
        self._local = threading.local()
        self._idle: queue.SimpleQueue[sqlite3.Connection] = queue.SimpleQueue()
        self._lock = threading.Lock()
        self._locator: Locator | None = None
        if not self.path.exists():
            if not create or readonly:
                raise StoreError(f"{self.path}: no such file")
            self._create()
        self._check()

    # --- connection and schema ------------------------------------------------------------
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
                self._init_schema(con)
                con.executemany(
                    "INSERT OR REPLACE INTO gridboard_meta VALUES (?, ?)",
                    [("schema_version", SCHEMA_VERSION), ("data_id", uuid.uuid4().hex)],
                )
        except (sqlite3.Error, OSError) as exc:
            self.close()
            self.path.unlink(missing_ok=True)
            raise StoreError(f"{self.path}: cannot create ({exc})") from exc

    @staticmethod
    def _init_schema(con: sqlite3.Connection) -> None:
        gp.init(con)
        con.executescript(_SCHEMA)
        _create_indexes(con)
        for table, gtype in _LAYERS.items():
            gp.register_layer(con, table, gtype)
        con.executemany(
            "INSERT OR REPLACE INTO categories VALUES (?,?,?,?,?)",
            [(c.code, c.name_zh, c.name_en, c.group, c.time_limit_hours) for c in CATEGORIES],
        )

    def _check(self) -> None:
        try:
            with self.path.open("rb") as fh:
                head = fh.read(100)
        except OSError as exc:
            raise StoreError(f"{self.path}: cannot read ({exc.strerror})") from exc
        if not gp.is_sqlite_file(head):
            raise StoreError(f"{self.path} is not a gridboard store (not a GeoPackage file)")
        try:
            row = (
                self._connect()
                .execute("SELECT value FROM gridboard_meta WHERE key = 'schema_version'")
                .fetchone()
            )
        except sqlite3.DatabaseError as exc:
            self.close()
            raise StoreError(
                f"{self.path} is not a gridboard store (no gridboard_meta table: {exc})"
            ) from exc
        if row is None or row[0] != SCHEMA_VERSION:
            self.close()
            found = row[0] if row else "none"
            raise StoreError(
                f"{self.path}: store schema version {found}, this gridboard reads {SCHEMA_VERSION}"
            )

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
    def _transaction(self) -> Iterator[sqlite3.Connection]:
        """One write transaction; the revision changes with it, or nothing changes at all."""
        if self.readonly:
            raise StoreError(f"{self.path}: opened read-only")
        con = self._connect()
        try:
            con.execute("BEGIN IMMEDIATE")
        except sqlite3.OperationalError as exc:
            raise StoreError(f"{self.path}: cannot write now ({exc}); try again") from exc
        try:
            yield con
            con.execute(
                "INSERT INTO gridboard_meta VALUES ('revision', '1') ON CONFLICT (key)"
                " DO UPDATE SET value = CAST(value AS INTEGER) + 1"
            )
            con.execute("COMMIT")
        except BaseException:
            con.execute("ROLLBACK")
            raise
        finally:
            self._locator = None

    def _frame(self, sql: str, params: Sequence = ()) -> pd.DataFrame:
        return pd.read_sql_query(sql, self._connect(), params=list(params))

    def _geoframe(self, sql: str, params: Sequence = ()) -> gpd.GeoDataFrame:
        df = self._frame(sql, params)
        geom = gp.decode(df.pop("geom")) if len(df) else []
        return gpd.GeoDataFrame(df, geometry=gpd.GeoSeries(geom, crs=4326), crs=4326)

    # --- reading --------------------------------------------------------------------------
    def meta(self) -> dict[str, str]:
        rows = self._connect().execute("SELECT key, value FROM gridboard_meta").fetchall()
        return dict(rows)

    def revision(self) -> str:
        meta = self.meta()
        return f"{meta.get('data_id', '')}:{meta.get('revision', '0')}"

    def counts(self) -> dict[str, int]:
        con = self._connect()
        return {t: con.execute(f"SELECT COUNT(*) FROM {t}").fetchone()[0] for t in DATA_TABLES}

    def areas(self, level: Level, parent: str | None = None) -> gpd.GeoDataFrame:
        level = Level(level)
        where, params = self._within(level, parent)
        sql = f"SELECT {_area_select(level)} FROM {AREA_TABLES[level]} a {where} ORDER BY a.code"
        return self._geoframe(sql, params)

    def _within(self, level: Level, parent: str | None) -> tuple[str, list[str]]:
        """SQL condition on alias `a` selecting areas of `level` inside area `parent`."""
        if parent is None:
            return "", []
        plevel = _level_or_error(parent)
        if plevel is level:
            return "WHERE a.code = ?", [parent]
        if plevel in (Level.STREET, Level.COMMUNITY) and level is not Level.STREET:
            return f"WHERE a.{AREA_COLUMN[plevel]} = ?", [parent]
        if {plevel, level} == {Level.COMPOUND, Level.GRID}:
            mine, other = AREA_COLUMN[level], AREA_COLUMN[plevel]
            return (f"WHERE a.code IN (SELECT {mine} FROM compound_grid WHERE {other} = ?)"), [
                parent
            ]
        return "WHERE 0", []

    def area(self, code: str) -> dict | None:
        try:
            level = level_of(code)
        except CodeError:
            return None
        sql = f"SELECT {_area_select(level)} FROM {AREA_TABLES[level]} a WHERE a.code = ?"
        df = self._frame(sql, [code])
        if df.empty:
            return None
        row = {k: _plain(v) for k, v in df.drop(columns="geom").iloc[0].items()}
        row["level"] = level.value
        for key in ("street", "community"):
            pcode = row.get(f"{key}_code")
            found = (
                self._connect()
                .execute(f"SELECT name FROM {AREA_TABLES[Level(key)]} WHERE code = ?", (pcode,))
                .fetchone()
            )
            row[f"{key}_name"] = found[0] if found else None
        return row

    def metrics(
        self,
        level: Level,
        window: Window,
        category: str | None = None,
        parent: str | None = None,
    ) -> pd.DataFrame:
        level = Level(level)
        where, params = self._within(level, parent)
        base = self._frame(
            f"SELECT a.code, a.households FROM {AREA_TABLES[level]} a {where} ORDER BY a.code",
            params,
        ).set_index("code")
        cases = self._case_counts(level, window, category, parent)
        visits = self._visit_counts(level, window, parent)
        return records.combine_metrics(base, cases, visits, window)[list(METRIC_COLUMNS)]

    def _case_counts(
        self, level: Level, window: Window, category: str | None, parent: str | None
    ) -> pd.DataFrame:
        """Cases reported in the window; open and overdue cases at its end, however old."""
        col = AREA_COLUMN[level]
        params: list = [records.utc_text(window.start), records.utc_text(window.end)]
        conds: list[str] = []
        if category:
            params.append(category)
            conds.append(f"category = ?{len(params)}")
        conds += self._parent_conditions(level, parent, params)
        extra = "".join(f" AND {c}" for c in conds)
        # Without a parent, the time index reads only the window's rows; SQLite's planner
        # otherwise prefers skip-scanning the (area, time) index, twice as slow.
        source = "cases INDEXED BY cases_reported" if parent is None else "cases"
        reported = self._frame(
            f"SELECT {col} AS code, COUNT(*) AS cases FROM {source}"
            f" WHERE reported_at >= ?1 AND reported_at < ?2{extra} AND +{col} IS NOT NULL"
            f" GROUP BY {col}",
            params,
        ).set_index("code")
        # The unary + keep SQLite on the closed_at index: the backlog is a small share of all
        # cases, while the area and time indexes would walk through every case ever reported.
        backlog = self._frame(
            f"SELECT {col} AS code, COUNT(*) AS open_cases,"
            " SUM(due_at IS NOT NULL AND due_at < ?2) AS overdue_cases FROM cases"
            " WHERE (closed_at IS NULL OR closed_at >= ?2) AND +reported_at < ?2"
            f" AND (rejected_at IS NULL OR rejected_at >= ?2) AND ?1 = ?1{extra}"
            f" AND +{col} IS NOT NULL GROUP BY +{col}",
            params,
        ).set_index("code")
        return reported.join(backlog, how="outer")

    def _parent_conditions(self, level: Level, parent: str | None, params: list) -> list[str]:
        """Conditions (numbered placeholders) keeping records of areas within `parent`."""
        if parent is None:
            return []
        plevel = _level_or_error(parent)
        params.append(parent)
        mark = f"?{len(params)}"
        if plevel in (Level.STREET, Level.COMMUNITY) or plevel is level:
            return [f"{AREA_COLUMN[plevel]} = {mark}"]
        mine, other = AREA_COLUMN[level], AREA_COLUMN[plevel]
        return [f"{mine} IN (SELECT {mine} FROM compound_grid WHERE {other} = {mark})"]

    def _visit_counts(self, level: Level, window: Window, parent: str | None) -> pd.DataFrame:
        col = AREA_COLUMN[level]
        params: list = list(records.local_dates(window))
        extra = "".join(f" AND {c}" for c in self._parent_conditions(level, parent, params))
        source = "visits INDEXED BY visits_date" if parent is None else "visits"
        counts = self._frame(
            f"SELECT {col} AS code, COUNT(*) AS visits, SUM(households_reached) AS"
            f" households_reached FROM {source} WHERE date >= ?1 AND date <= ?2{extra}"
            f" AND +{col} IS NOT NULL GROUP BY {col}",
            params,
        ).set_index("code")
        where, area_params = self._within(level, parent)
        # One index seek per area beats scanning every visit ever made for the maximum.
        latest = self._frame(
            f"SELECT a.code, (SELECT MAX(v.date) FROM visits v WHERE v.{col} = a.code"
            f" AND v.date <= ?) AS last_visit FROM {AREA_TABLES[level]} a {where}",
            [params[1], *area_params],
        ).set_index("code")
        return counts.join(latest, how="outer")

    # --- the wall ------------------------------------------------------------------------
    def wall_figures(self, at: dt.datetime, parent: str | None = None) -> dict[str, float]:
        moments = _wall_moments(at)
        out: dict[str, float] = {}
        backlog = self._backlog(moments, parent, None)
        for key in ("open_cases", "overdue_cases", "open_cases_prev", "overdue_cases_prev"):
            out[key] = int(backlog[key].sum())
        out.update(self._reported_figures(moments, parent))
        out.update(self._closed_figures(moments, parent))
        out.update(self._visit_figures(at, parent))
        out["grid_workers"] = self._grid_workers_in(parent)
        return out

    def _has_index(self, name: str) -> bool:
        """Whether the file has index `name` (stores written before it was added lack it)."""
        found = (
            self._connect()
            .execute("SELECT 1 FROM sqlite_master WHERE type = 'index' AND name = ?", (name,))
            .fetchone()
        )
        return found is not None

    def _named(self, sql: str, params: dict) -> pd.DataFrame:
        return pd.read_sql_query(sql, self._connect(), params=params)

    def _area_condition(self, parent: str | None, params: dict, alias: str = "") -> str:
        """ " AND <area column> = :parent" for a street or community parent, else ""."""
        if parent is None:
            return ""
        level = _level_or_error(parent)
        if level not in (Level.STREET, Level.COMMUNITY):
            raise StoreError(f"{parent}: the wall shows a city, a street or a community")
        params["parent"] = parent
        return f" AND {alias}{AREA_COLUMN[level]} = :parent"

    def _backlog(self, moments: dict[str, str], parent: str | None, col: str | None):
        """Open and overdue cases at the moment and a week earlier, per area of `col`.

        Reads only the cases open a week ago or later (a small share of all cases): those not
        closed, then those closed since, each a range of the closed_at indexes; the
        cases_backlog index covers every column, so no table row is read at all."""
        params = dict(moments)
        covered = self._has_index("cases_backlog")
        # With the covering index, + keeps SQLite off the (area, time) indexes.
        extra = self._area_condition(parent, params, "+" if covered else "")
        code = col or "NULL"
        source = "cases INDEXED BY cases_backlog" if covered else "cases"
        rows = (
            f"SELECT {code} AS code, reported_at, closed_at AS closed, rejected_at, due_at"
            f" FROM {source} WHERE {{closed}} AND +reported_at < :t{extra}"
        )
        union = " UNION ALL ".join(
            rows.format(closed=c) for c in ("closed_at IS NULL", "closed_at >= :p")
        )
        now = "(reported_at < :t AND (rejected_at IS NULL OR rejected_at >= :t))"
        prev = "(reported_at < :p AND (rejected_at IS NULL OR rejected_at >= :p))"
        # Every case read was open a week ago or later; open at the moment: not closed by it.
        return self._named(
            f"SELECT code, SUM({now} AND (closed IS NULL OR closed >= :t)) AS open_cases,"
            f" SUM({now} AND (closed IS NULL OR closed >= :t) AND due_at < :t) AS overdue_cases,"
            f" SUM({prev}) AS open_cases_prev, SUM({prev} AND due_at < :p) AS overdue_cases_prev"
            f" FROM ({union}) GROUP BY code",
            params,
        ).fillna(0)

    def _reported_figures(self, moments: dict[str, str], parent: str | None) -> dict[str, int]:
        params = dict(moments)
        extra = self._area_condition(parent, params)
        source = "cases INDEXED BY cases_reported" if parent is None else "cases"
        row = self._named(
            "SELECT SUM(reported_at >= :d) AS new_today,"
            " SUM(reported_at >= :dp AND reported_at < :p) AS new_today_prev,"
            " SUM(reported_at >= :p) AS reported_7d, SUM(reported_at < :p) AS reported_7d_prev"
            f" FROM {source} WHERE reported_at >= :pp AND reported_at < :t{extra}",
            params,
        ).fillna(0)
        return {k: int(v) for k, v in row.iloc[0].items()}

    def _closed_figures(self, moments: dict[str, str], parent: str | None) -> dict[str, float]:
        params = dict(moments)
        extra = self._area_condition(parent, params)
        rows = self._named(
            "SELECT closed_at >= :d AS today, closed_at >= :p AS recent,"
            " (closed_at >= :dp AND closed_at < :p) AS day_prev,"
            " (julianday(closed_at) - julianday(reported_at)) * 24 AS hours"
            f" FROM cases INDEXED BY cases_closed WHERE closed_at >= :pp AND closed_at < :t{extra}",
            params,
        )
        recent = rows["recent"].astype(bool)
        return {
            "closed_today": int(rows["today"].sum()),
            "closed_today_prev": int(rows["day_prev"].sum()),
            "closed_7d": int(recent.sum()),
            "closed_7d_prev": int((~recent).sum()),
            "median_close_hours": _median(rows.loc[recent, "hours"]),
            "median_close_hours_prev": _median(rows.loc[~recent, "hours"]),
        }

    def _visit_figures(self, at: dt.datetime, parent: str | None) -> dict[str, int]:
        day = at.astimezone(LOCAL_TZ).date()
        monday = day - dt.timedelta(days=day.weekday())
        week = dt.timedelta(days=7)
        params = {
            "m": monday.isoformat(),
            "d": day.isoformat(),
            "mp": (monday - week).isoformat(),
            "dp": (day - week).isoformat(),
        }
        extra = self._area_condition(parent, params)
        source = "visits INDEXED BY visits_date" if parent is None else "visits"
        this_week = "(date >= :m AND date <= :d)"
        last_week = "(date >= :mp AND date <= :dp)"
        row = self._named(
            f"SELECT SUM({this_week}) AS visits_week,"
            f" SUM(CASE WHEN {this_week} THEN households_reached END) AS households_week,"
            f" SUM({last_week}) AS visits_week_prev,"
            f" SUM(CASE WHEN {last_week} THEN households_reached END) AS households_week_prev"
            f" FROM {source} WHERE date >= :mp AND date <= :d{extra}",
            params,
        ).fillna(0)
        return {k: int(v) for k, v in row.iloc[0].items()}

    def _grid_workers_in(self, parent: str | None) -> int:
        params: dict = {}
        extra = self._area_condition(parent, params, "g.")
        row = (
            self._connect()
            .execute(
                "SELECT COUNT(DISTINCT r.person_id) FROM roles r JOIN grid_cells g"
                " ON g.code = r.area_code WHERE r.role = 'grid_worker'"
                f" AND r.area_level = 'grid'{extra}",
                params,
            )
            .fetchone()
        )
        return int(row[0])

    def overdue_ranking(self, at: dt.datetime, parent: str | None = None) -> pd.DataFrame:
        level = Level.STREET if parent is None else _child_level(_level_or_error(parent))
        where, params = self._within(level, parent)
        names = self._frame(
            f"SELECT a.code, a.name FROM {AREA_TABLES[level]} a {where}", params
        ).set_index("code")
        counts = self._backlog(_wall_moments(at), parent, AREA_COLUMN[level]).set_index("code")
        out = names.join(counts[["open_cases", "overdue_cases"]], how="left").fillna(0)
        for col in ("open_cases", "overdue_cases"):
            out[col] = out[col].astype(np.int64)
        out = out.reset_index().sort_values(
            ["overdue_cases", "open_cases", "code"], ascending=[False, False, True]
        )
        return out.set_index("code")

    def newest_cases(
        self, limit: int, parent: str | None = None, before: dt.datetime | None = None
    ) -> pd.DataFrame:
        params: dict = {"limit": int(limit)}
        extra = self._area_condition(parent, params, "c.")
        if before is not None:
            params["before"] = records.utc_text(before)
            extra += " AND c.reported_at < :before"
        df = self._named(
            "SELECT c.id, c.reported_at, c.category, c.status, c.description,"
            " c.reporter_name, c.reporter_phone,"
            " s.name AS street_name, m.name AS community_name, p.name AS compound_name,"
            " g.name AS grid_name FROM cases c"
            " LEFT JOIN streets s ON s.code = c.street_code"
            " LEFT JOIN communities m ON m.code = c.community_code"
            " LEFT JOIN compounds p ON p.code = c.compound_code"
            " LEFT JOIN grid_cells g ON g.code = c.grid_code"
            f" WHERE 1{extra} ORDER BY c.reported_at DESC, c.id DESC LIMIT :limit",
            params,
        )
        df["reported_at"] = pd.to_datetime(df["reported_at"], utc=True, format="ISO8601")
        df["description"] = df["description"].fillna("")
        return df

    def staff(self, code: str) -> list[StaffMember]:
        level = _level_or_error(code)
        related = self._related_codes(code, level)
        marks = ",".join("?" * len(related))
        people = self._frame(
            f"SELECT DISTINCT person_id FROM roles WHERE area_code IN ({marks})", related
        )["person_id"].tolist()
        if not people:
            return []
        marks = ",".join("?" * len(people))
        rows = self._frame(
            "SELECT r.person_id, p.name, p.phone, r.role, r.org_id, o.name AS org_name,"
            " o.kind AS org_kind, r.area_level, r.area_code FROM roles r"
            " JOIN persons p ON p.id = r.person_id JOIN organisations o ON o.id = r.org_id"
            f" WHERE r.person_id IN ({marks}) ORDER BY r.person_id, r.rowid",
            people,
        )
        return records.staff_members(rows, set(related), code)

    def _related_codes(self, code: str, level: Level) -> list[str]:
        """The area itself plus the areas whose staff answer for it too."""
        con = self._connect()
        if level is Level.COMPOUND:
            links = con.execute(
                "SELECT grid_code FROM compound_grid WHERE compound_code = ?", (code,)
            ).fetchall()
        elif level is Level.GRID:
            links = con.execute(
                "SELECT compound_code FROM compound_grid WHERE grid_code = ?", (code,)
            ).fetchall()
        else:
            links = []
        return [code, *(r[0] for r in links)]

    def recent_cases(self, code: str, limit: int = 20, category: str | None = None) -> list[Case]:
        df = self.cases(code, category=category, limit=limit)
        return [records.case_from_row(row) for row in df.to_dict("records")]

    def cases(
        self,
        code: str | None = None,
        window: Window | None = None,
        category: str | None = None,
        limit: int | None = None,
    ) -> pd.DataFrame:
        conds, params = self._record_filters(code, window, category, "reported_at")
        sql = f"SELECT * FROM cases {conds} ORDER BY reported_at DESC, id DESC"
        if limit is not None:
            sql += f" LIMIT {int(limit)}"
        df = self._frame(sql, params).drop(columns="fid")
        for col in _CASE_TIME_COLUMNS:
            df[col] = pd.to_datetime(df[col], utc=True, format="ISO8601")
        return df

    def _record_filters(
        self, code: str | None, window: Window | None, category: str | None, time_col: str
    ) -> tuple[str, list]:
        conds: list[str] = []
        params: list = []
        if code is not None:
            conds.append(f"{AREA_COLUMN[_level_or_error(code)]} = ?")
            params.append(code)
        if window is not None and time_col == "reported_at":
            conds += ["reported_at >= ?", "reported_at < ?"]
            params += [records.utc_text(window.start), records.utc_text(window.end)]
        elif window is not None:
            conds += ["date >= ?", "date <= ?"]
            params += list(records.local_dates(window))
        if category:
            conds.append("category = ?")
            params.append(category)
        return ("WHERE " + " AND ".join(conds) if conds else ""), params

    def visits(
        self,
        code: str | None = None,
        window: Window | None = None,
        worker_id: str | None = None,
    ) -> pd.DataFrame:
        conds, params = self._record_filters(code, window, None, "date")
        if worker_id is not None:
            conds += (" AND " if conds else "WHERE ") + "worker_id = ?"
            params.append(worker_id)
        df = self._frame(f"SELECT * FROM visits {conds} ORDER BY date DESC, id DESC", params)
        df = df.drop(columns="fid")
        df["date"] = pd.to_datetime(df["date"]).dt.date
        return df

    def buildings(self, code: str | None = None) -> gpd.GeoDataFrame:
        where, params = "", []
        if code is not None:
            level = _level_or_error(code)
            where, params = f"WHERE {AREA_COLUMN[level]} = ?", [code]
        return self._geoframe(
            "SELECT geom, id, name, compound_code, grid_code, community_code, street_code,"
            f" households, floors FROM buildings {where} ORDER BY id",
            params,
        )

    def roads(self) -> gpd.GeoDataFrame:
        return self._geoframe("SELECT geom, id, name, kind FROM roads ORDER BY fid")

    def grid_workers(self, person_id: str | None = None) -> pd.DataFrame:
        mine, params = ("AND r.person_id = ?", [person_id]) if person_id is not None else ("", [])
        # The community: of the cell, else of a community the role is on, else the committee's.
        return self._frame(
            "SELECT DISTINCT r.person_id, p.name,"
            " COALESCE(g.community_code, c.code, o.area_code) AS community_code,"
            " cm.name AS community_name, g.code AS grid_code"
            " FROM roles r JOIN persons p ON p.id = r.person_id"
            " LEFT JOIN grid_cells g ON r.area_level = 'grid' AND g.code = r.area_code"
            " LEFT JOIN communities c ON r.area_level = 'community' AND c.code = r.area_code"
            " LEFT JOIN organisations o ON o.id = r.org_id"
            " LEFT JOIN communities cm"
            " ON cm.code = COALESCE(g.community_code, c.code, o.area_code)"
            f" WHERE r.role = 'grid_worker' {mine}"
            " ORDER BY r.person_id, g.code IS NULL, g.code",
            params,
        ).pipe(_drop_cellless_duplicates)

    def last_visits(self, grid_codes: Sequence[str], until: dt.date) -> pd.Series:
        codes = list(dict.fromkeys(grid_codes))
        if not codes:
            return pd.Series([], dtype=object, name="last_visit").rename_axis("building_id")
        marks = ",".join("?" * len(codes))
        frame = self._frame(
            "SELECT building_id, MAX(date) AS last_visit FROM visits"
            f" WHERE grid_code IN ({marks}) AND date <= ? AND building_id IS NOT NULL"
            " GROUP BY building_id",
            [*codes, until.isoformat()],
        )
        dates = pd.to_datetime(frame["last_visit"]).dt.date
        return pd.Series(dates.to_numpy(), index=frame["building_id"], name="last_visit")

    def open_cases(self, grid_codes: Sequence[str], at: dt.datetime) -> pd.DataFrame:
        codes = list(dict.fromkeys(grid_codes))
        marks = ",".join("?" * len(codes))
        moment = records.utc_text(at)
        df = self._frame(
            "SELECT id, category, status, lon, lat, reported_at, due_at, grid_code,"
            f" compound_code, community_code FROM cases WHERE grid_code IN ({marks or 'NULL'})"
            " AND reported_at < ? AND (closed_at IS NULL OR closed_at >= ?)"
            " AND (rejected_at IS NULL OR rejected_at >= ?)"
            " ORDER BY due_at IS NULL, due_at, id",
            [*codes, moment, moment, moment],
        )
        for col in ("reported_at", "due_at"):
            df[col] = pd.to_datetime(df[col], utc=True, format="ISO8601")
        return df

    def _get_locator(self) -> Locator:
        with self._lock:
            if self._locator is None:
                self._locator = Locator(*(self.areas(lv) for lv in _LOCATOR_LEVELS))
            return self._locator

    # --- writing --------------------------------------------------------------------------
    def write_city(self, city: CityData) -> None:
        try:
            city.check_columns()
        except ValueError as exc:
            raise StoreError(f"{self.path}: {exc}") from exc
        prepared, locator = records.prepare_city(city)
        cases = records.prepare_cases(city.cases, locator) if len(city.cases) else None
        try:
            with self._transaction() as con:
                for name in _INDEXES:  # rebuilding beats updating indexes row by row
                    con.execute(f"DROP INDEX IF EXISTS {name}")
                for table in DATA_TABLES:
                    con.execute(f"DELETE FROM {table}")
                kept = ("schema_version", "revision")
                con.execute(f"DELETE FROM gridboard_meta WHERE key NOT IN {kept}")
                facts = {k: str(v) for k, v in city.meta.items() if k not in kept}
                # New data, new identity: caches keyed on the revision never mix two datasets.
                facts["data_id"] = uuid.uuid4().hex
                con.executemany(
                    "INSERT INTO gridboard_meta VALUES (?, ?)",
                    list(facts.items()),
                )
                for table, frame in prepared.items():
                    _insert(con, table, frame)
                _insert(con, "compound_grid", compound_grid_links(city.compounds, city.grid_cells))
                if cases is not None:
                    _insert(con, "cases", cases)
                if len(city.visits):
                    _insert(con, "visits", records.prepare_visits(city.visits, con))
                _create_indexes(con)
                con.execute("ANALYZE")
        except sqlite3.Error as exc:
            raise StoreError(f"{self.path}: city not written ({exc})") from exc

    def existing_ids(self, table: str, ids: Iterable[str]) -> set[str]:
        if table not in ID_TABLES:
            raise ValueError(f"{table!r} is not one of {', '.join(ID_TABLES)}")
        wanted = list(dict.fromkeys(str(i) for i in ids))
        found: set[str] = set()
        con = self._connect()
        for start in range(0, len(wanted), ID_CHUNK):
            chunk = wanted[start : start + ID_CHUNK]
            marks = ",".join("?" * len(chunk))
            sql = f"SELECT id FROM {table} WHERE id IN ({marks})"
            found |= {row[0] for row in con.execute(sql, chunk)}
        return found

    def add_cases(self, cases: pd.DataFrame) -> int:
        if cases.empty:
            return 0
        prepared = records.prepare_cases(cases, self._get_locator())
        indexes = [n for n, target in _INDEXES.items() if target.startswith("cases ")]
        bulk = len(prepared) >= BULK_ROWS
        try:
            with self._transaction() as con:
                records.check_new_ids(con, "cases", prepared["id"])
                for name in indexes if bulk else ():  # rebuilt below: faster than row by row
                    con.execute(f"DROP INDEX IF EXISTS {name}")
                _insert(con, "cases", prepared)
                if bulk:
                    _create_indexes(con)
        except sqlite3.Error as exc:
            raise StoreError(f"{self.path}: cases not written ({exc})") from exc
        return len(prepared)

    def add_visits(self, visits: pd.DataFrame) -> int:
        if visits.empty:
            return 0
        try:
            with self._transaction() as con:
                prepared = records.prepare_visits(visits, con)
                records.check_new_ids(con, "visits", prepared["id"])
                _insert(con, "visits", prepared)
        except sqlite3.Error as exc:
            raise StoreError(f"{self.path}: visits not written ({exc})") from exc
        return len(prepared)

    def write_areas(self, level: Level, areas: gpd.GeoDataFrame) -> int:
        level = Level(level)
        table = AREA_TABLES[level]
        frame = _area_frame(level, areas)
        if frame.empty:
            return 0
        try:
            with self._transaction() as con:
                frame = _fill_from_store(con, level, frame)
                _check_parents(con, level, frame)
                _replace_rows(con, table, "code", frame["code"])
                _insert(con, table, records.with_blob(frame, multi=True))
                _refresh_derived(con)
        except sqlite3.Error as exc:
            raise StoreError(f"{self.path}: {table} not written ({exc})") from exc
        return len(frame)

    def write_staff(
        self,
        orgs: pd.DataFrame,
        people: pd.DataFrame,
        roles: pd.DataFrame,
        *,
        replace: bool = False,
    ) -> int:
        orgs, people, roles = _staff_frames(orgs, people, roles)
        try:
            with self._transaction() as con:
                if replace:
                    for table in ("roles", "persons", "organisations"):
                        con.execute(f"DELETE FROM {table}")
                else:
                    records.check_new_ids(con, "organisations", orgs["id"])
                    records.check_new_ids(con, "persons", people["id"])
                _insert(con, "organisations", orgs)
                _insert(con, "persons", people)
                _check_roles(con, roles)
                _insert(con, "roles", roles)
        except sqlite3.Error as exc:
            raise StoreError(f"{self.path}: staff not written ({exc})") from exc
        return len(roles)


class _Lease:
    """A thread's hold on a connection; when the thread ends, the connection goes back idle."""

    def __init__(self, con: sqlite3.Connection, idle: queue.SimpleQueue) -> None:
        self.con, self.idle, self.release = con, idle, True

    def __del__(self) -> None:  # runs when threading.local drops an ended thread's values
        if self.release:
            self.idle.put(self.con)


def _create_indexes(con: sqlite3.Connection) -> None:
    for name, target in _INDEXES.items():
        con.execute(f"CREATE INDEX IF NOT EXISTS {name} ON {target}")


def _drop_cellless_duplicates(frame: pd.DataFrame) -> pd.DataFrame:
    """Keep a worker's row without a cell only when the worker has no cell at all."""
    has_cell = frame["grid_code"].notna()
    with_cells = set(frame.loc[has_cell, "person_id"])
    keep = has_cell | ~frame["person_id"].isin(with_cells)
    return frame[keep].drop_duplicates(["person_id", "grid_code"]).reset_index(drop=True)


def _wall_moments(at: dt.datetime) -> dict[str, str]:
    """The wall's moments as stored text: t the moment, d its local day's start, p and dp the
    same a week earlier, pp two weeks earlier."""
    if at.tzinfo is None:
        raise ValueError("the wall's moment must be timezone-aware")
    local = at.astimezone(LOCAL_TZ)
    day = local.replace(hour=0, minute=0, second=0, microsecond=0)
    week = WALL_WINDOW
    moments = {"t": local, "d": day, "p": local - week, "dp": day - week, "pp": local - 2 * week}
    return {key: records.utc_text(value) for key, value in moments.items()}


def _child_level(level: Level) -> Level:
    """The level the wall ranks inside an area of `level`."""
    if level is Level.STREET:
        return Level.COMMUNITY
    if level is Level.COMMUNITY:
        return Level.GRID
    raise StoreError(f"a {level.value} has no areas the wall ranks")


def _median(values: pd.Series) -> float:
    return float(values.median()) if len(values) else math.nan


def _level_or_error(code: str) -> Level:
    try:
        return level_of(code)
    except CodeError as exc:
        raise StoreError(str(exc)) from exc


def _area_select(level: Level) -> str:
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


def _plain(value: object) -> object:
    if isinstance(value, np.generic):
        return value.item()
    if value is None or (isinstance(value, float) and np.isnan(value)):
        return None
    return value


def _insert(con: sqlite3.Connection, table: str, frame: pd.DataFrame) -> None:
    if frame.empty:
        return
    cols = list(frame.columns)
    sql = f"INSERT INTO {table} ({', '.join(cols)}) VALUES ({', '.join('?' * len(cols))})"
    con.executemany(sql, records.rows(frame))
    if "geom" in cols and table in _LAYERS and _LAYERS[table]:
        bounds = frame.attrs.get("bounds")
        if bounds is not None:
            gp.update_extent(con, table, bounds)


# --- writing areas and staff --------------------------------------------------------------------
_PARENT: dict[Level, tuple[str, Level] | None] = {
    Level.STREET: None,
    Level.COMMUNITY: ("street_code", Level.STREET),
    Level.COMPOUND: ("community_code", Level.COMMUNITY),
    Level.GRID: ("community_code", Level.COMMUNITY),
}
_AREA_DEFAULTS = {"households": 0}


def _area_frame(level: Level, areas: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """The areas checked on their own (no store): columns, codes, names, polygons, WGS-84."""
    table = AREA_TABLES[level]
    records._require_columns(areas, table, ("code", "name"))
    if not isinstance(areas, gpd.GeoDataFrame) or areas.geometry.name not in areas:
        raise records.RecordError(f"{table}: no geometry column")
    if areas.crs is None:
        raise records.RecordError(f"{table}: the geometry has no coordinate reference system")
    areas = areas.to_crs(4326).reset_index(drop=True)
    records._check_ids(areas, table, "code")
    codes = areas["code"]
    bad = ~codes.map(lambda c: is_valid(level, c))
    records._raise_rows(table, "code", bad, codes, f"is not a valid {level.value} code")
    names = areas["name"]
    blank = names.isna() | (names.astype(str).str.strip() == "")
    records._raise_rows(table, "name", blank, codes, "has no name")
    _check_polygons(areas, table)
    out = gpd.GeoDataFrame(
        {c: areas[c] for c in COLUMNS[table] if c in areas},
        geometry=areas.geometry.values,
        crs=4326,
    )
    _derive_parent_codes(level, out, table)
    if level is Level.COMPOUND and "households" in out:
        _check_households(out, table)
    return out


def _check_polygons(areas: gpd.GeoDataFrame, table: str) -> None:
    geoms = areas.geometry.values
    codes = areas["code"]
    missing = shapely.is_missing(geoms) | shapely.is_empty(geoms)
    records._raise_rows(table, "geometry", missing, codes, "has no geometry")
    kind = shapely.get_type_id(geoms)
    records._raise_rows(table, "geometry", ~np.isin(kind, (3, 6)), codes, "is not a polygon")
    records._raise_rows(table, "geometry", ~shapely.is_valid(geoms), codes, "has bad geometry")


def _derive_parent_codes(level: Level, frame: gpd.GeoDataFrame, table: str) -> None:
    """Fill the parent columns from the code; a given parent must be the code's own."""
    if level is Level.STREET:
        return
    derived = {"street_code": frame["code"].str[:9]}
    if level in (Level.COMPOUND, Level.GRID):
        derived["community_code"] = frame["code"].str[:12]
    for column, value in derived.items():
        if column not in frame:
            frame[column] = value
            continue
        given = frame[column]
        wrong = given.notna() & (given.astype(str) != value)
        records._raise_rows(table, column, wrong, given, "is not the parent the code names")
        frame[column] = value


def _check_households(frame: pd.DataFrame, table: str) -> None:
    given = frame["households"]
    number = pd.to_numeric(given, errors="coerce").fillna(0)
    bad = ~number.between(0, records.MAX_HOUSEHOLDS) | (number % 1 != 0)
    records._raise_rows(table, "households", bad, given, "is not a whole number of households")
    frame["households"] = number.astype(np.int64)


def _fill_from_store(
    con: sqlite3.Connection, level: Level, frame: gpd.GeoDataFrame
) -> gpd.GeoDataFrame:
    """Columns the caller left out: the stored values of areas replaced, else empty."""
    table = AREA_TABLES[level]
    absent = [c for c in COLUMNS[table] if c not in frame]
    if not absent:
        return frame
    stored = pd.read_sql_query(f"SELECT code, {', '.join(absent)} FROM {table}", con).set_index(
        "code"
    )
    for column in absent:
        value = frame["code"].map(stored[column]) if len(stored) else None
        frame[column] = value
        if column in _AREA_DEFAULTS:
            frame[column] = frame[column].fillna(_AREA_DEFAULTS[column]).astype(np.int64)
    return frame


def _check_parents(con: sqlite3.Connection, level: Level, frame: pd.DataFrame) -> None:
    parent = _PARENT[level]
    if parent is None:
        return
    column, plevel = parent
    ptable = AREA_TABLES[plevel]
    known = {r[0] for r in con.execute(f"SELECT code FROM {ptable}")}
    missing = ~frame[column].isin(known)
    if missing.any():
        rows = np.flatnonzero(missing.to_numpy())
        named = [
            f"row {i + 1}: {frame['code'].iloc[i]} {frame['name'].iloc[i]}:"
            f" {column} {frame[column].iloc[i]!r} is not in {ptable}"
            for i in rows[: records.MAX_REPORTED]
        ]
        more = len(rows) - records.MAX_REPORTED
        tail = f"; and {more} more rows" if more > 0 else ""
        raise records.RecordError(
            f"{AREA_TABLES[level]}: {len(rows)} areas without their parent — "
            + "; ".join(named)
            + tail
        )


def _replace_rows(con: sqlite3.Connection, table: str, column: str, keys: pd.Series) -> None:
    con.execute("CREATE TEMP TABLE IF NOT EXISTS replaced_keys (key TEXT PRIMARY KEY)")
    con.execute("DELETE FROM replaced_keys")
    con.executemany("INSERT OR IGNORE INTO replaced_keys VALUES (?)", ((str(k),) for k in keys))
    con.execute(f"DELETE FROM {table} WHERE {column} IN (SELECT key FROM replaced_keys)")
    con.execute("DELETE FROM replaced_keys")


def _stored_areas(con: sqlite3.Connection, level: Level) -> gpd.GeoDataFrame:
    df = pd.read_sql_query(f"SELECT {_area_select(level)} FROM {AREA_TABLES[level]} a", con)
    geom = gp.decode(df.pop("geom")) if len(df) else []
    return gpd.GeoDataFrame(df, geometry=gpd.GeoSeries(geom, crs=4326), crs=4326)


def _refresh_derived(con: sqlite3.Connection) -> None:
    """After areas changed: links, extents, buildings' areas, households, cases' and visits'
    areas — all recomputed from the stored areas."""
    areas = {level: _stored_areas(con, level) for level in _LOCATOR_LEVELS}
    for level, frame in areas.items():
        if len(frame):
            gp.update_extent(con, AREA_TABLES[level], frame.total_bounds)
    con.execute("DELETE FROM compound_grid")
    _insert(con, "compound_grid", compound_grid_links(areas[Level.COMPOUND], areas[Level.GRID]))
    locator = Locator(*(areas[level] for level in _LOCATOR_LEVELS))
    _relocate_buildings(con, locator, set(areas[Level.COMPOUND]["code"]))
    _sum_households(con)
    _relocate_cases(con, locator)
    con.execute(
        "UPDATE visits SET grid_code = b.grid_code, compound_code = b.compound_code,"
        " community_code = b.community_code, street_code = b.street_code"
        " FROM buildings b WHERE b.id = visits.building_id"
    )


def _relocate_buildings(con: sqlite3.Connection, locator: Locator, compounds: set[str]) -> None:
    frame = pd.read_sql_query("SELECT id, compound_code, geom FROM buildings", con)
    if frame.empty:
        return
    xy = shapely.get_coordinates(gp.decode(frame["geom"]))
    where = locator.locate(xy[:, 0], xy[:, 1])
    kept = frame["compound_code"].where(frame["compound_code"].isin(compounds))
    compound = kept.where(kept.notna(), where["compound_code"])
    updates = pd.DataFrame(
        {
            "grid_code": where["grid_code"],
            "community_code": where["community_code"],
            "street_code": where["street_code"],
            "compound_code": compound,
            "id": frame["id"],
        }
    )
    con.executemany(
        "UPDATE buildings SET grid_code = ?, community_code = ?, street_code = ?,"
        " compound_code = ? WHERE id = ?",
        records.rows(updates),
    )


def _sum_households(con: sqlite3.Connection) -> None:
    con.execute(
        "UPDATE grid_cells SET households = COALESCE((SELECT SUM(b.households) FROM buildings b"
        " WHERE b.grid_code = grid_cells.code), 0)"
    )
    con.execute(
        "UPDATE communities SET households = COALESCE((SELECT SUM(g.households) FROM grid_cells g"
        " WHERE g.community_code = communities.code), 0)"
    )
    con.execute(
        "UPDATE streets SET households = COALESCE((SELECT SUM(c.households) FROM communities c"
        " WHERE c.street_code = streets.code), 0)"
    )


def _relocate_cases(con: sqlite3.Connection, locator: Locator) -> None:
    """Cases whose areas changed get the new ones; the others are not touched."""
    cols = list(_AREA_COLUMNS)
    frame = pd.read_sql_query(f"SELECT fid, lon, lat, {', '.join(cols)} FROM cases", con)
    if frame.empty:
        return
    where = locator.locate(frame["lon"].to_numpy(), frame["lat"].to_numpy())
    old = frame[cols].fillna("").to_numpy(dtype=object)
    new = where[cols].fillna("").to_numpy(dtype=object)
    changed = (old != new).any(axis=1)
    if changed.any():
        updates = where.loc[changed, cols].assign(fid=frame.loc[changed, "fid"].to_numpy())
        sets = ", ".join(f"{c} = ?" for c in cols)
        con.executemany(f"UPDATE cases SET {sets} WHERE fid = ?", records.rows(updates))


def _staff_frames(
    orgs: pd.DataFrame, people: pd.DataFrame, roles: pd.DataFrame
) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """The roster checked on its own: columns, ids, kinds, roles, levels."""
    frames = {}
    for table, frame in (("organisations", orgs), ("persons", people), ("roles", roles)):
        required = ("id", "name") if table != "roles" else COLUMNS["roles"]
        if table == "organisations":
            required = ("id", "kind", "name")
        records._require_columns(frame, table, required)
        frame = frame.reset_index(drop=True)
        frames[table] = pd.DataFrame({c: frame.get(c, None) for c in COLUMNS[table]})
    for table in ("organisations", "persons"):
        records._check_ids(frames[table], table)
        names = frames[table]["name"]
        blank = names.isna() | (names.astype(str).str.strip() == "")
        records._raise_rows(table, "name", blank, names, "is empty")
    records._check_members(
        frames["organisations"], "organisations", "kind", {k.value for k in OrgKind}
    )
    roles = frames["roles"]
    records._check_members(roles, "roles", "role", {r.value for r in Role})
    records._check_members(roles, "roles", "area_level", {lv.value for lv in Level})
    repeated = roles.astype(str).duplicated(keep="first")
    records._raise_rows("roles", "person_id", repeated, roles["person_id"], "has this role twice")
    return frames["organisations"], frames["persons"], roles


def _check_roles(con: sqlite3.Connection, roles: pd.DataFrame) -> None:
    """Roles point at stored persons, organisations and areas of their level; none twice."""
    persons = {r[0] for r in con.execute("SELECT id FROM persons")}
    orgs = {r[0] for r in con.execute("SELECT id FROM organisations")}
    records._raise_rows(
        "roles", "person_id", ~roles["person_id"].isin(persons), roles["person_id"], "is unknown"
    )
    records._raise_rows(
        "roles", "org_id", ~roles["org_id"].isin(orgs), roles["org_id"], "is unknown"
    )
    known = np.zeros(len(roles), dtype=bool)
    for level, table in AREA_TABLES.items():
        codes = {r[0] for r in con.execute(f"SELECT code FROM {table}")}
        known |= ((roles["area_level"] == level.value) & roles["area_code"].isin(codes)).to_numpy()
    records._raise_rows(
        "roles", "area_code", ~known, roles["area_code"], "is not an area of its area_level"
    )
    stored = pd.read_sql_query(f"SELECT {', '.join(COLUMNS['roles'])} FROM roles", con)
    key = list(COLUMNS["roles"])
    both = (
        roles[key]
        .astype(str)
        .merge(stored.astype(str).drop_duplicates(), how="left", indicator=True)
    )
    records._raise_rows(
        "roles",
        "person_id",
        (both["_merge"] == "both").to_numpy(),
        roles["person_id"],
        "has this role in the store already",
    )
