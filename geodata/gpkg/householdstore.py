"""The store's reads and writes of tagged households, their visits and the visit rules (schema
version 5), both backends."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd

from .. import sqlrows
from ..households import (
    DEFAULT_RULES,
    HOUSEHOLD_COLUMNS,
    check_rules,
    household_problems,
    tag_codes,
    tag_list,
    tag_text,
)
from ..records import RecordError
from ..store import StoreError
from .connection import Connection
from .households import HOUSEHOLDS_SINCE
from .schema import insert, key_table

MAX_REPORTED = 20  # problems named in one error message; the rest are counted


class HouseholdStore(Connection):
    """Reads and writes of tagged households and of the visit rules."""

    def households(
        self,
        grid_codes: Sequence[str] = (),
        *,
        building_ids: Sequence[str] = (),
        visited_until: dt.date | None = None,
    ) -> pd.DataFrame:
        """Store.households: one query, the latest visit per household as a subquery."""
        if int(self.schema_version) < HOUSEHOLDS_SINCE:
            return _empty_households(visited_until is not None)
        cells, buildings = list(dict.fromkeys(grid_codes)), list(dict.fromkeys(building_ids))
        last = ", NULL AS last_visit"
        params: list[Any] = []
        if visited_until is not None:
            last = (
                ", (SELECT MAX(v.date) FROM visit_households vh JOIN visits v"
                " ON v.id = vh.visit_id WHERE vh.household_id = h.id AND v.date <= ?)"
                " AS last_visit"
            )
            params.append(visited_until.isoformat())
        frame = self._frame(
            f"SELECT h.id, h.building_id, h.unit, h.tags, b.grid_code{last}"
            " FROM households h JOIN buildings b ON b.id = h.building_id"
            f" WHERE b.grid_code IN ({_marks(cells)}) OR h.building_id IN ({_marks(buildings)})"
            " ORDER BY h.building_id, h.id",
            [*params, *cells, *buildings],
        )
        frame["tags"] = [tag_list(t) for t in frame["tags"]]
        if visited_until is None:
            return frame.drop(columns="last_visit")
        dates = pd.to_datetime(frame["last_visit"])
        frame["last_visit"] = [None if pd.isna(d) else d.date() for d in dates]
        return frame

    def write_households(self, households: pd.DataFrame, *, replace: bool = False) -> int:
        """Add tagged households (id, building_id, unit, tags: codes of
        geodata.households.TAGS, comma-separated or a list); a household whose id is stored
        already is replaced. `replace`: the ones not given are removed (their visits keep
        their links). A row with an unknown building or tag, a repeated id or no tag fails
        the write, named by row and field; all or nothing. Returns the count."""
        missing = [c for c in ("id", "building_id", "tags") if c not in households.columns]
        if missing:
            raise RecordError(f"households: missing columns {', '.join(missing)}")
        frame = households.reindex(columns=list(HOUSEHOLD_COLUMNS)).reset_index(drop=True)
        try:
            with self._transaction() as con:
                given = frame["building_id"].dropna().astype(str)
                key_table(con, "wanted_buildings", given)
                known = [
                    r[0]
                    for r in con.execute(
                        "SELECT id FROM buildings WHERE id IN (SELECT key FROM wanted_buildings)"
                    )
                ]
                _refuse(household_problems(frame, known))
                rows = _household_rows(frame)
                if replace:
                    con.execute("DELETE FROM households")
                else:
                    con.executemany("DELETE FROM households WHERE id = ?", [(r[0],) for r in rows])
                con.executemany(
                    "INSERT INTO households (id, building_id, unit, tags) VALUES (?, ?, ?, ?)",
                    rows,
                )
        except self._errors as exc:
            raise StoreError(f"{self.path}: households not written ({exc})") from exc
        return len(frame)

    def visit_rules(self) -> dict[str, int]:
        """Days between visits per tag and for ordinary households: the store's, the
        defaults (geodata.households.DEFAULT_RULES) where it keeps none."""
        if int(self.schema_version) < HOUSEHOLDS_SINCE:
            return dict(DEFAULT_RULES)
        rows = self._connect().execute("SELECT tag, days FROM visit_rules").fetchall()
        stored = {tag: int(days) for tag, days in rows if tag in DEFAULT_RULES}
        return {**DEFAULT_RULES, **stored}

    def set_visit_rules(self, rules: Mapping[str, int]) -> dict[str, int]:
        """Set the days between visits of the tags in `rules` (the others keep theirs); a tag
        unknown or days not a whole number from 1 to 3,650 fails, naming the tag, with
        nothing changed. Returns every rule as it now stands."""
        try:
            check_rules(rules)
        except ValueError as exc:
            raise StoreError(f"{self.path}: visit rules not written ({exc})") from exc
        with self._transaction() as con:
            con.executemany(
                "INSERT INTO visit_rules (tag, days) VALUES (?, ?)"
                " ON CONFLICT (tag) DO UPDATE SET days = excluded.days",
                [(tag, int(days)) for tag, days in rules.items()],
            )
        return self.visit_rules()


def link_households(con: Any, visits: pd.DataFrame, links: pd.DataFrame) -> None:
    """Write which tagged households the new `visits` (id, building_id) reached: `links` has
    row (of the visits as given, from 1), visit_id, household_id. A household not in the
    store, or not in the visit's building, fails the write naming the row."""
    if links.empty:
        return
    key_table(con, "wanted_households", links["household_id"])
    homes = sqlrows.frame(
        con,
        "SELECT id, building_id FROM households WHERE id IN (SELECT key FROM wanted_households)",
    )
    _refuse(link_problems(links, visits, homes), "visits")
    pairs = links[["visit_id", "household_id"]].drop_duplicates()
    insert(con, "visit_households", pairs.reset_index(drop=True))


def link_problems(links: pd.DataFrame, visits: pd.DataFrame, homes: pd.DataFrame) -> list[str]:
    """Links (row, visit_id, household_id) to a household that is not one of `homes` (id,
    building_id) or lives in another building than the visit's (`visits`: id, building_id)."""
    home = links["household_id"].map(dict(zip(homes["id"], homes["building_id"], strict=True)))
    visited = links["visit_id"].map(
        dict(zip(visits["id"].astype(str), visits["building_id"], strict=True))
    )
    unknown = home.isna()
    elsewhere = ~unknown & (home != visited)
    found = [
        f"row {r}: household_ids {h[:40]!r} is not a household in the store"
        for r, h in zip(links["row"][unknown], links["household_id"][unknown], strict=True)
    ]
    found += [
        f"row {r}: household_ids {h[:40]!r} lives in building {b}, not in the visit's"
        for r, h, b in zip(
            links["row"][elsewhere], links["household_id"][elsewhere], home[elsewhere], strict=True
        )
    ]
    return sorted(found, key=lambda text: int(text.split(":")[0][4:]))


def city_households(con: Any, city: Any, visits: pd.DataFrame) -> None:
    """Write a whole city's tagged households and visit links (write_city), checked alike."""
    frame = city.households.reindex(columns=list(HOUSEHOLD_COLUMNS)).reset_index(drop=True)
    if frame.empty:
        return
    _refuse(household_problems(frame, city.buildings["id"].astype(str)))
    rows = pd.DataFrame(_household_rows(frame), columns=list(HOUSEHOLD_COLUMNS))
    insert(con, "households", rows)
    links = city.visit_households.reset_index(drop=True)
    if links.empty:
        return
    if visits.empty:
        visits = pd.DataFrame({"id": pd.Series(dtype=str), "building_id": pd.Series(dtype=str)})
    links = links.assign(row=np.arange(1, len(links) + 1))[["row", "visit_id", "household_id"]]
    links = links.astype({"visit_id": str, "household_id": str})
    _refuse(link_problems(links, visits, rows), "visit_households")
    insert(con, "visit_households", links[["visit_id", "household_id"]].drop_duplicates())


def _household_rows(frame: pd.DataFrame) -> list[tuple[str, str, str, str]]:
    """Rows as stored: ids stripped, no unit as "", tags as tag_text."""
    code, lists = tag_codes(frame["tags"])
    texts = np.array([tag_text(t) for t in lists], dtype=object)[code]
    units = frame["unit"].where(frame["unit"].notna(), "").astype(str)
    ids = frame["id"].astype(str).str.strip()
    return list(zip(ids, frame["building_id"].astype(str), units, texts, strict=True))


def _marks(values: list) -> str:
    return ",".join("?" * len(values)) or "NULL"


def _refuse(problems: list[str], table: str = "households") -> None:
    if not problems:
        return
    more = len(problems) - MAX_REPORTED
    tail = f"; and {more} more problems" if more > 0 else ""
    raise RecordError(f"{table}: " + "; ".join(problems[:MAX_REPORTED]) + tail)


def _empty_households(with_last: bool) -> pd.DataFrame:
    columns = ["id", "building_id", "unit", "tags", "grid_code"]
    return pd.DataFrame(
        {c: pd.Series(dtype=object) for c in [*columns, "last_visit"][: len(columns) + with_last]}
    )
