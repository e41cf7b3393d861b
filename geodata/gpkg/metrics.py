"""The GeoPackage store's aggregates: metrics per area and window, and the wall's figures."""

from __future__ import annotations

import datetime as dt
import math

import numpy as np
import pandas as pd

from .. import records, rollups, sqlrows
from ..model import LOCAL_TZ, Level
from ..store import METRIC_COLUMNS, WALL_WINDOW, StoreError, Window
from . import rollups as rollup_store
from .reads import Reads
from .schema import AREA_COLUMN, AREA_TABLES, level_or_error


class Metrics(Reads):
    """Group-by counts over the areas each case and visit was assigned to when written."""

    def metrics(
        self,
        level: Level,
        window: Window,
        category: str | None = None,
        parent: str | None = None,
    ) -> pd.DataFrame:
        return self._metrics(Level(level), window, category, parent, rolled=True)

    def raw_metrics(
        self,
        level: Level,
        window: Window,
        category: str | None = None,
        parent: str | None = None,
    ) -> pd.DataFrame:
        """metrics() counted from the case and visit rows, never from the rollups: what the
        rollups must agree with."""
        return self._metrics(Level(level), window, category, parent, rolled=False)

    def _metrics(
        self, level: Level, window: Window, category: str | None, parent: str | None, rolled: bool
    ) -> pd.DataFrame:
        where, params = self._within(level, parent)
        sql = f"SELECT a.code, a.households FROM {AREA_TABLES[level]} a {where} ORDER BY a.code"
        rows = self._connect().execute(sql, params).fetchall()  # read_sql: twice as slow
        base = pd.DataFrame(rows, columns=["code", "households"]).set_index("code")
        days = rolled_days(window)
        if rolled and days is not None and rollup_store.ready(self._connect()):
            cases, visits = self._rolled_counts(level, days, category, base.index, parent)
        else:
            cases = self._case_counts(level, window, category, parent)
            visits = self._visit_counts(level, window, parent)
        return records.combine_metrics(base, cases, visits, window)[list(METRIC_COLUMNS)]

    def _rolled_counts(
        self,
        level: Level,
        days: tuple[int, int],
        category: str | None,
        areas: pd.Index,
        parent: str | None,
    ) -> tuple[pd.DataFrame, pd.DataFrame]:
        """Case and visit counts of the midnight-to-midnight window `days` from the rollups,
        for `areas` (in `parent`: only the parts of the blocks holding them are read): the
        backlog and the last visit from the sums before its end, the rest from the sums over
        its days."""
        con = self._connect()
        start, end = days
        listed = rollup_store.codes(con, level)
        at = _positions(listed, areas)  # -1: an area with nothing in the rollups

        def aligned(sums: np.ndarray) -> dict[str, np.ndarray]:
            rows = np.vstack([sums, np.zeros((1, len(rollups.FIELDS)), dtype=sums.dtype)])[at]
            return dict(zip(rollups.FIELDS, rows.T, strict=True))

        parts = None if parent is None else rollup_store.parts_of(at)
        total = rollup_store.Sums(level, rollups.TOTAL, len(listed), parts)
        upto, inside = (aligned(s) for s in rollup_store.sums_window(con, total, start, end))
        last, reported = upto, inside["reported"]
        if category:
            chosen = rollup_store.Sums(level, category, len(listed), parts)
            last, within = (aligned(s) for s in rollup_store.sums_window(con, chosen, start, end))
            reported = within["reported"]
        cases = pd.DataFrame(
            {
                "cases": reported,
                "open_cases": last["reported"] - last["open_out"],
                "overdue_cases": last["overdue_in"] - last["overdue_out"],
            },
            index=areas,
        )
        visits = pd.DataFrame(
            {
                "visits": inside["visits"],
                "households_reached": inside["households_reached"],
                "last_visit": rollups.last_visit_dates(pd.Series(upto["last_visit"], index=areas)),
            },
            index=areas,
        )
        return cases, visits

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
            f" {_counted('due_at IS NOT NULL AND due_at < ?2', 'overdue_cases')} FROM cases"
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
        plevel = level_or_error(parent)
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
        return sqlrows.has_relation(self._connect(), name)

    def _area_condition(self, parent: str | None, params: dict, alias: str = "") -> str:
        """ " AND <area column> = :parent" for a street or community parent, else ""."""
        if parent is None:
            return ""
        level = level_or_error(parent)
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
        is_open = f"{now} AND (closed IS NULL OR closed >= :t)"
        # Every case read was open a week ago or later; open at the moment: not closed by it.
        return self._named(
            f"SELECT code, {_counted(is_open, 'open_cases')},"
            f" {_counted(f'{is_open} AND due_at < :t', 'overdue_cases')},"
            f" {_counted(prev, 'open_cases_prev')},"
            f" {_counted(f'{prev} AND due_at < :p', 'overdue_cases_prev')}"
            f" FROM ({union}) AS u GROUP BY code",
            params,
        ).fillna(0)

    def _reported_figures(self, moments: dict[str, str], parent: str | None) -> dict[str, int]:
        params = dict(moments)
        extra = self._area_condition(parent, params)
        source = "cases INDEXED BY cases_reported" if parent is None else "cases"
        row = self._named(
            f"SELECT {_counted('reported_at >= :d', 'new_today')},"
            f" {_counted('reported_at >= :dp AND reported_at < :p', 'new_today_prev')},"
            f" {_counted('reported_at >= :p', 'reported_7d')},"
            f" {_counted('reported_at < :p', 'reported_7d_prev')}"
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
            " closed_at, reported_at"
            f" FROM cases INDEXED BY cases_closed WHERE closed_at >= :pp AND closed_at < :t{extra}",
            params,
        )
        recent = rows["recent"].astype(bool)
        spans = pd.to_datetime(rows["closed_at"], utc=True, format="ISO8601") - pd.to_datetime(
            rows["reported_at"], utc=True, format="ISO8601"
        )
        rows["hours"] = spans.dt.total_seconds() / 3600
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
            f"SELECT {_counted(this_week, 'visits_week')},"
            f" SUM(CASE WHEN {this_week} THEN households_reached END) AS households_week,"
            f" {_counted(last_week, 'visits_week_prev')},"
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
        level = Level.STREET if parent is None else _child_level(level_or_error(parent))
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
            f" WHERE TRUE{extra} ORDER BY c.reported_at DESC, c.id DESC LIMIT :limit",
            params,
        )
        df["reported_at"] = pd.to_datetime(df["reported_at"], utc=True, format="ISO8601")
        df["description"] = df["description"].fillna("")
        return df


def rolled_days(window: Window) -> tuple[int, int] | None:
    """The first and end day of a window from local midnight to local midnight (what the
    rollups answer), or None."""
    start, end = (rollups.local_midnight_day(pd.Timestamp(w)) for w in (window.start, window.end))
    return None if start is None or end is None else (start, end)


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


def _counted(condition: str, name: str) -> str:
    """The rows for which `condition` holds, counted as `name` (portable SQL)."""
    return f"COUNT(*) FILTER (WHERE {condition}) AS {name}"


def _positions(listed: list[str], areas: pd.Index) -> np.ndarray:
    """Where each of `areas` is in the rollups' code list (-1: not in it). Both are in code
    order for a store written whole: then they are mostly the same list."""
    if len(listed) == len(areas) and listed == areas.tolist():
        return np.arange(len(listed))
    return pd.Index(listed).get_indexer(areas)
