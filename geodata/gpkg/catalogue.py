"""The store's category catalogue and working-time settings (schema version 3), both backends."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence

from ..model import Category, LimitUnit, Responsible
from ..store import StoreError
from ..worktime import DEFAULT_HOURS, WorkClock, WorkHours, WorkTimeError
from .categories import (
    CATALOGUE_SINCE,
    COLUMNS,
    UPSERT,
    WORK_HOURS_KEY,
    category_from_row,
    category_row,
)
from .connection import Connection
from .meta import META_UPSERT, meta_value


class CatalogueStore(Connection):
    """Reads and writes of the catalogue and of the working-time settings."""

    def categories(self) -> tuple[Category, ...]:
        con = self._connect()
        if int(self.schema_version) < CATALOGUE_SINCE:  # an old store opened read-only
            sql = "SELECT code, name_zh, name_en, class, time_limit_hours FROM categories"
            return tuple(_old_category(*row) for row in con.execute(sql + " ORDER BY code"))
        sql = f"SELECT {', '.join(COLUMNS)} FROM categories ORDER BY code"
        return tuple(category_from_row(row) for row in con.execute(sql))

    def write_categories(self, categories: Sequence[Category], *, replace: bool = False) -> int:
        """Add or change `categories` (by code); `replace` also removes the others, unless
        cases use them (named in the error, nothing written)."""
        codes = [c.code for c in categories]
        try:
            with self._transaction() as con:
                if replace:
                    self._remove_other_categories(con, codes)
                con.executemany(UPSERT, [category_row(c) for c in categories])
        except self._errors as exc:
            raise StoreError(f"{self.path}: categories not written ({exc})") from exc
        return len(categories)

    def _remove_other_categories(self, con, keep: list[str]) -> None:
        stored = [row[0] for row in con.execute("SELECT code FROM categories")]
        gone = sorted(set(stored) - set(keep))
        used = []
        for code in gone:
            row = con.execute("SELECT COUNT(*) FROM cases WHERE category = ?", (code,)).fetchone()
            if row[0]:
                used.append(f"{code} ({row[0]:,} cases)")
        if used:
            raise StoreError(
                f"{self.path}: categories not written: cases use {', '.join(used)};"
                " keep them in the file"
            )
        con.executemany("DELETE FROM categories WHERE code = ?", [(c,) for c in gone])

    def work_clock(self) -> WorkClock:
        """The working-time clock: the store's working hours and its own days off and on."""
        if int(self.schema_version) < CATALOGUE_SINCE:
            return WorkClock()
        con = self._connect()
        value = meta_value(con, WORK_HOURS_KEY)
        hours = WorkHours.parse(DEFAULT_HOURS if value is None else value)
        days = con.execute("SELECT day, working FROM work_days")
        return WorkClock(hours, {dt.date.fromisoformat(d): bool(w) for d, w in days})

    def work_days(self) -> list[tuple[dt.date, bool, str]]:
        """The city's own days off and on: (day, working, note), by day."""
        rows = self._connect().execute("SELECT day, working, note FROM work_days ORDER BY day")
        return [(dt.date.fromisoformat(d), bool(w), n) for d, w, n in rows]

    def set_work_hours(self, hours: WorkHours) -> None:
        """Working hours from now on; due times already stored keep theirs."""
        try:
            WorkHours.parse(hours.text())
        except WorkTimeError as exc:
            raise StoreError(f"{self.path}: {exc}") from exc
        with self._transaction() as con:
            con.execute(META_UPSERT, (WORK_HOURS_KEY, hours.text()))

    def set_work_days(self, days: Mapping[dt.date, bool | None], note: str = "") -> int:
        """A city's own days off (False) or on (True); None: back to the official calendar."""
        with self._transaction() as con:
            for day, working in days.items():
                con.execute("DELETE FROM work_days WHERE day = ?", (day.isoformat(),))
                if working is not None:
                    con.execute(
                        "INSERT INTO work_days (day, working, note) VALUES (?, ?, ?)",
                        (day.isoformat(), int(working), note),
                    )
        return len(days)


def _old_category(code: str, zh: str, en: str, major: str, hours: float) -> Category:
    """A category of a store before version 3: a limit in calendar hours."""
    responsible = Responsible.COMMITTEE if major == "community" else Responsible.DEPARTMENT
    return Category(code, zh, en, major, "", responsible, "", float(hours), LimitUnit.HOURS)
