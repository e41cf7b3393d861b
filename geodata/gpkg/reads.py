"""The GeoPackage store's reads of areas, people, cases, visits, buildings, roads and routes."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

import geopandas as gpd
import pandas as pd

from .. import records
from ..codes import CodeError, level_of
from ..locate import Locator
from ..model import Case, Level, StaffMember
from ..store import CASE_SORT_COLUMNS, CaseFilter, Window
from .casephotos import PHOTOS_SINCE, V4_TABLES
from .categories import CATALOGUE_SINCE, V3_TABLES
from .connection import Connection
from .households import HOUSEHOLDS_SINCE, V5_TABLES
from .schema import (
    AREA_COLUMN,
    AREA_TABLES,
    CASE_TIME_COLUMNS,
    DATA_TABLES,
    LOCATOR_LEVELS,
    area_select,
    level_or_error,
    plain,
)


class Reads(Connection):
    """Store reads other than metrics and the wall's figures."""

    def meta(self) -> dict[str, str]:
        rows = self._connect().execute("SELECT key, value FROM gridboard_meta").fetchall()
        return dict(rows)

    def revision(self) -> str:
        meta = self.meta()
        return f"{meta.get('data_id', '')}:{meta.get('revision', '0')}"

    def counts(self) -> dict[str, int]:
        con = self._connect()
        tables = DATA_TABLES
        version = int(self.schema_version)  # an old store opened read-only lacks some
        if version < HOUSEHOLDS_SINCE:
            tables = tuple(t for t in tables if t not in V5_TABLES)
        if version < PHOTOS_SINCE:
            tables = tuple(t for t in tables if t not in V4_TABLES)
        if version < CATALOGUE_SINCE:
            tables = tuple(t for t in tables if t not in V3_TABLES)
        return {t: con.execute(f"SELECT COUNT(*) FROM {t}").fetchone()[0] for t in tables}

    def areas(self, level: Level, parent: str | None = None) -> gpd.GeoDataFrame:
        level = Level(level)
        where, params = self._within(level, parent)
        sql = f"SELECT {area_select(level)} FROM {AREA_TABLES[level]} a {where} ORDER BY a.code"
        return self._geoframe(sql, params)

    def _within(self, level: Level, parent: str | None) -> tuple[str, list[str]]:
        """SQL condition on alias `a` selecting areas of `level` inside area `parent`."""
        if parent is None:
            return "", []
        plevel = level_or_error(parent)
        if plevel is level:
            return "WHERE a.code = ?", [parent]
        if plevel in (Level.STREET, Level.COMMUNITY) and level is not Level.STREET:
            return f"WHERE a.{AREA_COLUMN[plevel]} = ?", [parent]
        if {plevel, level} == {Level.COMPOUND, Level.GRID}:
            mine, other = AREA_COLUMN[level], AREA_COLUMN[plevel]
            return (f"WHERE a.code IN (SELECT {mine} FROM compound_grid WHERE {other} = ?)"), [
                parent
            ]
        return "WHERE FALSE", []

    def area(self, code: str) -> dict | None:
        try:
            level = level_of(code)
        except CodeError:
            return None
        sql = f"SELECT {area_select(level)} FROM {AREA_TABLES[level]} a WHERE a.code = ?"
        df = self._frame(sql, [code])
        if df.empty:
            return None
        row = {k: plain(v) for k, v in df.drop(columns="geom").iloc[0].items()}
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

    def staff(self, code: str) -> list[StaffMember]:
        level = level_or_error(code)
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
        for col in CASE_TIME_COLUMNS:
            df[col] = pd.to_datetime(df[col], utc=True, format="ISO8601")
        return df

    def case_page(
        self,
        code: str | Sequence[str] | None,
        window: Window,
        category: str | None = None,
        sort: Sequence[tuple[str, bool]] = (),
        filters: Sequence[Sequence[CaseFilter]] = (),
        offset: int = 0,
        limit: int = 100,
    ) -> tuple[pd.DataFrame, int]:
        conds, params = self._record_filters(code, window, category, "reported_at")
        for group in filters:
            parts = [_case_condition(f, params) for f in group]
            conds += (" AND " if conds else "WHERE ") + "(" + " OR ".join(parts or ["FALSE"]) + ")"
        order = []
        for column, descending in sort:
            if column not in CASE_SORT_COLUMNS:  # names become SQL: only the listed ones
                raise ValueError(f"cannot sort cases by {column!r}")
            order.append(f"{column} {'DESC' if descending else 'ASC'}")
        total = self._connect().execute(f"SELECT COUNT(*) FROM cases {conds}", params).fetchone()
        order += ["reported_at DESC", "id DESC"]
        sql = (
            f"SELECT * FROM cases {conds} ORDER BY {', '.join(order)}"
            f" LIMIT {max(0, int(limit))} OFFSET {max(0, int(offset))}"
        )
        df = records.case_times(self._frame(sql, params).drop(columns="fid"))
        return df, int(total[0])

    def _record_filters(
        self,
        code: str | Sequence[str] | None,
        window: Window | None,
        category: str | None,
        time_col: str,
    ) -> tuple[str, list]:
        conds: list[str] = []
        params: list = []
        if isinstance(code, str):
            conds.append(f"{AREA_COLUMN[level_or_error(code)]} = ?")
            params.append(code)
        elif code is not None:
            conds.append(_any_area(list(code), params))
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

    def area_shapes(self, codes: Sequence[str]) -> gpd.GeoDataFrame:
        frames = []
        for code in dict.fromkeys(c for c in codes if c):
            try:
                level = level_of(code)
            except CodeError:
                continue
            sql = f"SELECT code, geom FROM {AREA_TABLES[level]} WHERE code = ?"
            frames.append(self._geoframe(sql, [code]))
        if not frames:
            return gpd.GeoDataFrame({"code": []}, geometry=gpd.GeoSeries([], crs=4326), crs=4326)
        return pd.concat(frames, ignore_index=True)

    def buildings(self, code: str | None = None) -> gpd.GeoDataFrame:
        where, params = "", []
        if code is not None:
            level = level_or_error(code)
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
            " ORDER BY r.person_id, g.code NULLS LAST",
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
            " ORDER BY due_at NULLS LAST, id",
            [*codes, moment, moment, moment],
        )
        for col in ("reported_at", "due_at"):
            df[col] = pd.to_datetime(df[col], utc=True, format="ISO8601")
        return df

    def _get_locator(self) -> Locator:
        with self._lock:
            if self._locator is None:
                self._locator = Locator(*(self.areas(lv) for lv in LOCATOR_LEVELS))
            return self._locator


_TEXT_SQL = {  # (SQL with ? for the value, value → parameter); case-insensitive like AG Grid's
    "contains": ("instr(lower(id), ?) > 0", str.lower),
    "notContains": ("instr(lower(id), ?) = 0", str.lower),
    "equals": ("lower(id) = ?", str.lower),
    "notEqual": ("lower(id) <> ?", str.lower),
    "startsWith": ("lower(id) LIKE ? ESCAPE '\\'", lambda v: _like(v.lower()) + "%"),
    "endsWith": ("lower(id) LIKE ? ESCAPE '\\'", lambda v: "%" + _like(v.lower())),
}


def _any_area(codes: list[str], params: list) -> str:
    """SQL true for a record in any of the areas `codes` (of any levels; none: false)."""
    by_column: dict[str, list[str]] = {}
    for code in codes:
        by_column.setdefault(AREA_COLUMN[level_or_error(code)], []).append(code)
    parts = []
    for column, listed in by_column.items():
        parts.append(f"{column} IN ({','.join('?' * len(listed))})")
        params += listed
    return "(" + (" OR ".join(parts) or "FALSE") + ")"


def _like(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def _case_condition(f: CaseFilter, params: list) -> str:
    """SQL of one checked CaseFilter (its column and op are from CASE_FILTER_OPS)."""
    if f.column == "reported_at":
        params.append(records.utc_text(f.value))  # type: ignore[arg-type]
        return "reported_at > ?" if f.op == "after" else "reported_at <= ?"
    sql, param = _TEXT_SQL[f.op]
    params.append(param(str(f.value)))
    return sql


def _drop_cellless_duplicates(frame: pd.DataFrame) -> pd.DataFrame:
    """Keep a worker's row without a cell only when the worker has no cell at all."""
    has_cell = frame["grid_code"].notna()
    with_cells = set(frame.loc[has_cell, "person_id"])
    keep = has_cell | ~frame["person_id"].isin(with_cells)
    return frame[keep].drop_duplicates(["person_id", "grid_code"]).reset_index(drop=True)
