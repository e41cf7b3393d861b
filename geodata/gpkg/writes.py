"""The GeoPackage store's writes: a whole city, cases, visits, areas and the staff roster."""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Sequence

import geopandas as gpd
import pandas as pd

from .. import records, rollups, rules
from ..city import CityData
from ..locate import compound_grid_links
from ..model import LOCAL_TZ, Category, Level
from ..store import ReportPhoto, StoreError
from . import areas as area_writes
from . import derived
from . import rollups as rollup_store
from . import staff as staff_checks
from .casephotos import add_photo
from .categories import UPSERT as CATEGORY_UPSERT
from .categories import category_row
from .connection import Connection
from .householdstore import city_households, link_households
from .meta import META_UPSERT, advance_as_of
from .schema import AREA_TABLES, DATA_TABLES, INDEXES, create_indexes, insert

ID_TABLES = ("cases", "visits", "persons", "organisations")
ID_CHUNK = 500  # ids per IN (...) query, well below SQLite's limit on parameters
# From this many rows on, add_cases drops the case indexes and builds them again after the
# insert: for 1M new cases that beats updating them row by row several times over.
BULK_ROWS = 100_000
_CASE_INDEXES = [n for n, target in INDEXES.items() if target.startswith("cases ")]


class Writes(Connection):
    """Store writes; each is one transaction (all or nothing) that changes the revision."""

    def write_parts(self, parts: Iterable[CityData]) -> None:
        codes = [c.code for c in self.categories()]
        try:
            with self.whole_store_write() as con:
                for name in INDEXES:  # rebuilding beats updating indexes row by row
                    con.execute(f"DROP INDEX IF EXISTS {name}")
                for table in DATA_TABLES:
                    con.execute(f"DELETE FROM {table}")
                rollup_store.clear(con)
                written = 0
                for city in parts:
                    self._write_part(con, city, codes, first=not written)
                    written += 1
                    del city  # else the loop holds this part while the next is built
                if not written:
                    raise StoreError(f"{self.path}: no city to write")
                con.execute(META_UPSERT, (rollup_store.READY, rollup_store.READY_NOW))
                create_indexes(con)
                con.execute("ANALYZE")
        except self._errors as exc:
            raise StoreError(f"{self.path}: city not written ({exc})") from exc

    def _write_part(
        self, con: Connection, city: CityData, codes: list[str], *, first: bool
    ) -> None:
        """One part of the city written (`codes`: the categories' codes); its meta only when
        it is the first, replacing the store's facts."""
        try:
            city.check_columns()
        except ValueError as exc:
            raise StoreError(f"{self.path}: {exc}") from exc
        prepared, locator = records.prepare_city(city)
        cases = pd.DataFrame()
        if len(city.cases):
            cases = records.prepare_cases(city.cases, locator, codes)
        worked = records.prepare_case_work(city.case_work, city.case_events, cases)
        if first:
            # Account tables are not DATA_TABLES: users, sessions and the audit trail
            # outlive the data, and so does the audit trail's recorded head.
            kept = ("schema_version", "revision", "audit_head")
            con.execute(f"DELETE FROM gridboard_meta WHERE key NOT IN {kept}")
            facts = {k: str(v) for k, v in city.meta.items() if k not in kept}
            # New data, new identity: caches keyed on the revision never mix two datasets.
            facts["data_id"] = uuid.uuid4().hex
            con.executemany("INSERT INTO gridboard_meta VALUES (?, ?)", list(facts.items()))
        for table, frame in prepared.items():
            insert(con, table, frame)
        insert(con, "compound_grid", compound_grid_links(city.compounds, city.grid_cells))
        insert(con, "cases", cases)  # insert writes nothing for an empty frame
        for table, frame in zip(("case_work", "case_events"), worked, strict=True):
            insert(con, table, frame)
        visits = pd.DataFrame()
        if len(city.visits):
            visits = records.prepare_visits(city.visits, con)
            insert(con, "visits", visits)
        city_households(con, city, visits)
        rollup_store.add_rows(con, cases, visits)

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

    def add_cases(
        self,
        cases: pd.DataFrame | rules.CaseCheck,
        categories: Sequence[Category] = (),
        photos: Sequence[ReportPhoto] = (),
    ) -> int:
        checked = cases if isinstance(cases, rules.CaseCheck) else None
        rows = checked.rows if checked is not None else cases
        if rows.empty:
            return 0
        codes = [c.code for c in (*self.categories(), *categories)]
        prepared = None
        if checked is None:
            prepared = records.prepare_cases(rows, self._get_locator(), codes)
        bulk = len(rows) >= BULK_ROWS
        try:
            with self._transaction() as con:
                con.executemany(CATEGORY_UPSERT, [category_row(c) for c in categories])
                if checked is not None:
                    prepared = self._checked_cases(checked, codes)
                records.check_new_ids(con, "cases", prepared["id"])
                for name in _CASE_INDEXES if bulk else ():  # rebuilt below: faster than row by row
                    con.execute(f"DROP INDEX IF EXISTS {name}")
                insert(con, "cases", prepared)
                _add_report_photos(con, prepared, photos)
                rollup_store.add(con, rollups.case_events(prepared))
                advance_as_of(con, _local_days(prepared["reported_at"]))
                if bulk:
                    create_indexes(con)
        except self._errors as exc:
            raise StoreError(f"{self.path}: cases not written ({exc})") from exc
        return len(prepared)

    def _checked_cases(self, check: rules.CaseCheck, codes: list[str]) -> pd.DataFrame:
        """Rows of a case check, located again only when the areas may have changed since."""
        refused = [f for f in check.findings if f.rule is not rules.Rule.OUTSIDE]
        records.refuse("cases", refused)
        if check.areas_revision is not None and check.areas_revision == self.revision():
            return records.checked_cases(check)
        return records.prepare_cases(check.rows, self._get_locator(), codes)

    def add_visits(self, visits: pd.DataFrame) -> int:
        if visits.empty:
            return 0
        try:
            with self._transaction() as con:
                prepared = records.prepare_visits(visits, con)
                records.check_new_ids(con, "visits", prepared["id"])
                insert(con, "visits", prepared)
                link_households(con, prepared, records.visit_links(visits))
                rollup_store.add(con, rollups.visit_events(prepared))
                advance_as_of(con, [prepared["date"].max()])
        except self._errors as exc:
            raise StoreError(f"{self.path}: visits not written ({exc})") from exc
        return len(prepared)

    def write_areas(self, level: Level, areas: gpd.GeoDataFrame) -> int:
        level = Level(level)
        table = AREA_TABLES[level]
        frame = area_writes.area_frame(level, areas)
        if frame.empty:
            return 0
        try:
            with self._transaction() as con:
                frame = area_writes.fill_from_store(con, level, frame)
                area_writes.check_parents(con, level, frame)
                changed = derived.outlines(con, level, frame["code"]) + list(frame.geometry)
                area_writes.replace_rows(con, table, "code", frame["code"])
                insert(con, table, records.with_blob(frame, multi=True))
                derived.refresh_touched(con, level, frame["code"], changed)
        except self._errors as exc:
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
        orgs, people, roles = staff_checks.staff_frames(orgs, people, roles)
        try:
            with self._transaction() as con:
                if replace:
                    for table in ("roles", "persons", "organisations"):
                        con.execute(f"DELETE FROM {table}")
                else:
                    records.check_new_ids(con, "organisations", orgs["id"])
                    records.check_new_ids(con, "persons", people["id"])
                insert(con, "organisations", orgs)
                insert(con, "persons", people)
                staff_checks.check_roles(con, roles)
                insert(con, "roles", roles)
        except self._errors as exc:
            raise StoreError(f"{self.path}: staff not written ({exc})") from exc
        return len(roles)


def _local_days(utc_texts: pd.Series) -> list[str]:
    """The latest local day of the store's UTC time texts (a list of one, or none)."""
    latest = pd.to_datetime(utc_texts, utc=True, format="ISO8601").max()
    return [] if pd.isna(latest) else [latest.tz_convert(LOCAL_TZ).date().isoformat()]


def _add_report_photos(con: Connection, cases: pd.DataFrame, photos: Sequence[ReportPhoto]) -> None:
    """Keep each photo with its case's report (version 0), at the time the case was reported."""
    reported = dict(zip(cases["id"], cases["reported_at"], strict=True)) if photos else {}
    for item in photos:
        if item.case_id not in reported:
            raise ValueError(f"a photo for case {item.case_id!r}, which is not among the new cases")
        at = pd.Timestamp(reported[item.case_id])
        at = at.tz_localize("UTC") if at.tzinfo is None else at
        add_photo(con, item.case_id, 0, item.taken_by, at.to_pydatetime(), item.photo)
