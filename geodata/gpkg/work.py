"""Case work in the store: an action through the case machine, in one transaction with its event,
the case's new times, the rollups and an audit entry; both backends."""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd

from .. import rollups
from ..casework import (
    INTERNAL,
    STREET_ACTOR,
    Action,
    ActionRefused,
    Actor,
    CaseState,
    Event,
    Request,
    apply,
)
from ..model import LOCAL_TZ, CaseStatus, LimitUnit
from ..photos import Photo
from ..records import case_times, utc_text
from ..store import QUEUE_TABS, QueueFilter, StaleCase, StoreError
from . import rollups as rollup_store
from .accounts import append_audit, parse_time
from .casephotos import PHOTOS_SINCE, add_photo, photo_content, photo_list
from .connection import Connection
from .meta import advance_as_of
from .schema import AREA_COLUMNS, CASE_TIME_COLUMNS

_WORK = (
    "version, assignee_org, assignee_person, resolved_by, reworks, returns, extensions,"
    " extension_asked, merged_into"
)
_QUEUE_FROM = "cases c LEFT JOIN case_work w ON w.case_id = c.id"
_QUEUE_WORK = "w.version, w.assignee_org, w.extension_asked, w.reworks"
# Every tab lists open cases; said by the times, so that the backlog index (closed_at,
# rejected_at, …) finds them without reading the closed ones.
_OPEN = "c.closed_at IS NULL AND c.rejected_at IS NULL"
_TAB_SQL = {
    "reported": "c.status = 'reported'",
    "registered": "c.status = 'registered'",
    "handling": "c.status IN ('dispatched', 'in_progress')",
    "resolved": "c.status = 'resolved'",
    "overdue": "c.due_at < ?",  # the moment the queue is read
    "extension": "w.extension_asked IS NOT NULL",
}
# What the KPIs of [s, e) read: registered or closed in it, or open at its end.
_KPI_SQL = (
    "SELECT c.id, c.street_code, c.community_code, c.compound_code, c.grid_code,"
    " c.assignee_id, w.assignee_org, c.reported_at, c.registered_at, c.dispatched_at,"
    " c.closed_at, c.rejected_at, c.due_at, w.reworks, w.extensions,"
    " s.name AS street_name, m.name AS community_name, o.name AS org_name,"
    " p.name AS assignee_name"
    f" FROM {_QUEUE_FROM} LEFT JOIN streets s ON s.code = c.street_code"
    " LEFT JOIN communities m ON m.code = c.community_code"
    " LEFT JOIN organisations o ON o.id = w.assignee_org"
    " LEFT JOIN persons p ON p.id = c.assignee_id"
    " WHERE (c.registered_at >= :s AND c.registered_at < :e)"
    " OR (c.closed_at >= :s AND c.closed_at < :e)"
    " OR (c.reported_at < :e AND (c.closed_at IS NULL OR c.closed_at >= :e)"
    " AND (c.rejected_at IS NULL OR c.rejected_at >= :e))"
)
_CASE = f"status, category, assignee_id, {', '.join(CASE_TIME_COLUMNS)}, {', '.join(AREA_COLUMNS)}"


class CaseWork(Connection):
    """Actions on cases, and their history."""

    def act(
        self,
        case_id: str,
        request: Request,
        actor: Actor,
        version: int,
        at: dt.datetime,
        address: str = "-",
        photo: Photo | None = None,
    ) -> CaseState:
        """Take `request` on the case as `actor`, who saw it at `version`. A stale version is
        refused (StaleCase: who changed it and when); so is an action the machine does not
        allow (ActionRefused). All or nothing; returns the case's new state."""
        if request.action in INTERNAL:
            raise ActionRefused(f"{request.action.value} is taken by gridboard itself")
        if photo is not None and request.action is not Action.RESOLVE:
            raise ActionRefused("a photo goes with a resolve only")
        try:
            with self._transaction() as con:
                row, state = self._read_state(con, case_id)
                if state.version != version:
                    raise StaleCase(self._changed_by(con, case_id))
                if request.action is Action.MERGE:
                    self._check_original(con, case_id, request.original)
                new, event = apply(state, request, actor, at, self._due_after(row), self._extend)
                self._write(con, case_id, row, new, event)
                if photo is not None:
                    add_photo(con, case_id, new.version, actor.login, at, photo)
                append_audit(
                    con,
                    self.path,
                    at,
                    (actor.login, address, f"case.{event.action}", case_id, "ok"),
                )
                if new.status is CaseStatus.CLOSED:
                    self._close_duplicates(con, case_id, actor, at, address)
                advance_as_of(con, [at.astimezone(LOCAL_TZ).date()])
        except self._errors as exc:
            raise StoreError(f"{self.path}: case {case_id} not changed ({exc})") from exc
        return new

    def work_queue(
        self,
        codes: str | Sequence[str] | None,
        tab: str,
        at: dt.datetime,
        narrowed: QueueFilter | None = None,
        offset: int = 0,
        limit: int = 100,
    ) -> tuple[pd.DataFrame, int]:
        if tab not in QUEUE_TABS:
            raise ValueError(f"no work queue tab {tab!r} (tabs: {', '.join(QUEUE_TABS)})")
        conds, params = self._queue_filters(codes, narrowed or QueueFilter())
        conds += f" AND {_TAB_SQL[tab]}"
        params += _tab_params(tab, at)
        con = self._connect()
        total = con.execute(f"SELECT COUNT(*) FROM {_QUEUE_FROM} {conds}", params).fetchone()[0]
        sql = (
            f"SELECT c.*, {_QUEUE_WORK} FROM {_QUEUE_FROM} {conds}"
            f" ORDER BY c.reported_at DESC, c.id DESC LIMIT {max(0, int(limit))}"
            f" OFFSET {max(0, int(offset))}"
        )
        frame = self._frame(sql, params).drop(columns="fid")
        case_times(frame)
        frame["version"] = frame["version"].fillna(0).astype(int)
        frame["reworks"] = frame["reworks"].fillna(0).astype(int)
        return frame, int(total)

    def queue_counts(self, codes: str | Sequence[str] | None, at: dt.datetime) -> dict[str, int]:
        conds, params = self._queue_filters(codes, QueueFilter())
        sums = ", ".join(f"SUM(CASE WHEN {_TAB_SQL[tab]} THEN 1 ELSE 0 END)" for tab in QUEUE_TABS)
        asked = [p for tab in QUEUE_TABS for p in _tab_params(tab, at)] + params  # SELECT first
        row = self._connect().execute(f"SELECT {sums} FROM {_QUEUE_FROM} {conds}", asked)
        return {tab: int(n or 0) for tab, n in zip(QUEUE_TABS, row.fetchone(), strict=True)}

    def _queue_filters(
        self, codes: str | Sequence[str] | None, narrowed: QueueFilter
    ) -> tuple[str, list]:
        """The open cases of the scope as narrowed: WHERE and its parameters."""
        where, params = self._record_filters(codes, None, narrowed.category, "reported_at")
        conds = [_OPEN, "w.merged_into IS NULL"]  # a duplicate waits for its original
        if where:
            conds.append(where.removeprefix("WHERE "))
        for column, value in (
            ("community_code", narrowed.community),
            ("source", narrowed.source),
            ("assignee_id", narrowed.assignee),
        ):
            if value:
                conds.append(f"c.{column} = ?")
                params.append(value)
        return "WHERE " + " AND ".join(conds), params

    def service_requests(
        self,
        start: dt.datetime,
        end: dt.datetime,
        status: str | None = None,
        category: str | None = None,
        ids: Sequence[str] = (),
        limit: int = 1000,
    ) -> pd.DataFrame:
        conds = ["c.reported_at >= ?", "c.reported_at < ?"]
        params: list = [utc_text(start), utc_text(end)]
        if status == "open":
            conds.append(_OPEN)
        elif status == "closed":
            conds.append(f"NOT ({_OPEN})")
        if category:
            conds.append("c.category = ?")
            params.append(category)
        if ids:
            conds.append(f"c.id IN ({', '.join('?' * len(ids))})")
            params += list(ids)
        sql = (
            f"SELECT c.* FROM cases c WHERE {' AND '.join(conds)}"
            f" ORDER BY c.reported_at DESC, c.id DESC LIMIT {max(0, int(limit))}"
        )
        frame = self._frame(sql, params).drop(columns="fid")
        case_times(frame)
        return frame

    def locate(self, lon: float, lat: float) -> dict[str, str] | None:
        found = self._get_locator().locate(np.array([lon]), np.array([lat])).iloc[0]
        if pd.isna(found["grid_code"]):
            return None
        return {k: str(v) for k, v in found.items() if pd.notna(v)}

    def kpi_cases(self, start: dt.datetime, end: dt.datetime) -> pd.DataFrame:
        frame = self._named(_KPI_SQL, {"s": utc_text(start), "e": utc_text(end)})
        for col in ("reported_at", "registered_at", "dispatched_at", "closed_at", "rejected_at"):
            frame[col] = pd.to_datetime(frame[col], utc=True, format="ISO8601")
        frame["due_at"] = pd.to_datetime(frame["due_at"], utc=True, format="ISO8601")
        for col in ("reworks", "extensions"):
            frame[col] = frame[col].fillna(0).astype(int)
        return frame

    def closures(self, start: dt.datetime, end: dt.datetime) -> pd.DataFrame:
        sql = (
            f"SELECT id, {', '.join(AREA_COLUMNS)}, closed_at, due_at FROM cases"
            " WHERE closed_at >= ? AND closed_at < ?"
        )
        frame = self._frame(sql, [utc_text(start), utc_text(end)])
        for col in ("closed_at", "due_at"):
            frame[col] = pd.to_datetime(frame[col], utc=True, format="ISO8601")
        return frame.drop(columns="fid", errors="ignore")

    def case_record(self, case_id: str) -> pd.DataFrame:
        frame = self._frame("SELECT * FROM cases WHERE id = ?", [case_id]).drop(columns="fid")
        case_times(frame)
        return frame

    def case_state(self, case_id: str) -> CaseState:
        """Where a case stands in the machine (version 0: never acted on here)."""
        con = self._connect()
        row = self._case_row(con, case_id)
        work = con.execute(f"SELECT {_WORK} FROM case_work WHERE case_id = ?", (case_id,))
        return _state(row, work.fetchone())

    def case_events(self, case_id: str) -> list[Event]:
        """A case's transitions, oldest first."""
        to_whom = "assignee_org, assignee_person"
        if int(self.schema_version) < PHOTOS_SINCE:  # an old store opened read-only
            to_whom = "NULL, NULL"
        rows = self._connect().execute(
            "SELECT action, actor, at, from_status, to_status, version, note,"
            f" {to_whom} FROM case_events WHERE case_id = ? ORDER BY version",
            (case_id,),
        )
        return [
            Event(Action(a), who, parse_time(at), CaseStatus(f), CaseStatus(t), v, note, o, p)
            for a, who, at, f, t, v, note, o, p in rows
        ]

    def case_photos(self, case_id: str) -> list[dict]:
        if int(self.schema_version) < PHOTOS_SINCE:  # an old store opened read-only
            return []
        return photo_list(self._connect(), case_id)

    def case_photo(self, photo_id: str) -> tuple[dict, bytes] | None:
        if int(self.schema_version) < PHOTOS_SINCE:
            return None
        return photo_content(self._connect(), str(photo_id)[:64])

    def actor_names(self, logins: Sequence[str]) -> dict[str, str]:
        wanted = sorted({str(x) for x in logins})[:500]
        if not wanted:
            return {}
        marks = ", ".join("?" * len(wanted))
        con = self._connect()
        names = {}
        streets = [w.removeprefix(STREET_ACTOR) for w in wanted if w.startswith(STREET_ACTOR)]
        if streets:
            found = con.execute(
                f"SELECT code, name FROM streets WHERE code IN ({', '.join('?' * len(streets))})",
                streets,
            )
            names |= {f"{STREET_ACTOR}{code}": f"{name}办事处" for code, name in found}
        for table, key in (("organisations", "id"), ("persons", "id"), ("users", "login")):
            sql = f"SELECT {key}, name FROM {table} WHERE {key} IN ({marks})"
            names |= dict(con.execute(sql, wanted))
        return names

    def duplicates_near(self, case_id: str, metres: float = 100, days: int = 14) -> pd.DataFrame:
        """Open cases of the same category within `metres` of the case, reported in the
        `days` before it, not merged themselves: what a desk is offered to merge it into."""
        case = self.case_record(case_id)
        if case.empty:
            return case
        me = case.iloc[0]
        lat_span = metres / 111_320
        lon_span = lat_span / max(math.cos(math.radians(me["lat"])), 0.01)
        since = utc_text(me["reported_at"] - dt.timedelta(days=days))
        sql = (
            f"SELECT c.* FROM {_QUEUE_FROM} WHERE {_OPEN} AND w.merged_into IS NULL"
            " AND c.category = ? AND c.id <> ? AND c.reported_at >= ? AND c.lon BETWEEN ? AND ?"
            " AND c.lat BETWEEN ? AND ? ORDER BY c.reported_at DESC LIMIT 50"
        )
        params = [me["category"], case_id, since, me["lon"] - lon_span, me["lon"] + lon_span]
        params += [me["lat"] - lat_span, me["lat"] + lat_span]
        near = case_times(self._frame(sql, params).drop(columns="fid"))
        far = _metres(near["lon"], near["lat"], me["lon"], me["lat"]) > metres
        return near[~far].reset_index(drop=True)

    # --- helpers -----------------------------------------------------------------------
    def _read_state(self, con: Any, case_id: str) -> tuple[dict, CaseState]:
        row = self._case_row(con, case_id)
        work = con.execute(f"SELECT {_WORK} FROM case_work WHERE case_id = ?", (case_id,))
        return row, _state(row, work.fetchone())

    def _check_original(self, con: Any, case_id: str, original: str | None) -> None:
        """A duplicate is merged into another open case that is not merged itself."""
        if not original or original == case_id:
            raise ActionRefused("merge needs another case as the original")
        try:
            _, state = self._read_state(con, original)
        except StoreError:
            raise ActionRefused(f"no case {original!r} to merge into") from None
        if not state.is_open or state.merged_into is not None:
            raise ActionRefused(f"case {original} is closed or merged itself")

    def _close_duplicates(
        self, con: Any, case_id: str, actor: Actor, at: dt.datetime, address: str
    ) -> None:
        """Every duplicate merged into a case that has just closed closes with it."""
        merged = con.execute("SELECT case_id FROM case_work WHERE merged_into = ?", (case_id,))
        for (duplicate,) in merged.fetchall():
            row, state = self._read_state(con, duplicate)
            if not state.is_open:
                continue
            new, event = apply(state, Request(Action.CLOSE_WITH), actor, at)
            self._write(con, duplicate, row, new, event)
            audit = (actor.login, address, f"case.{event.action}", duplicate, "ok")
            append_audit(con, self.path, at, audit)

    def _case_row(self, con: Any, case_id: str) -> dict:
        found = con.execute(f"SELECT {_CASE} FROM cases WHERE id = ?", (case_id,)).fetchone()
        if found is None:
            raise StoreError(f"{self.path}: no case {case_id!r}")
        return dict(zip(_CASE.split(", "), found, strict=True))

    def _changed_by(self, con: Any, case_id: str) -> str:
        last = con.execute(
            "SELECT actor, at FROM case_events WHERE case_id = ? ORDER BY version DESC LIMIT 1",
            (case_id,),
        ).fetchone()
        if last is None:
            return f"case {case_id} changed meanwhile — reload"
        login, at = last
        name = self.actor_names([login]).get(login, login)
        when = parse_time(at).astimezone(LOCAL_TZ).strftime("%H:%M")
        return f"case {case_id} changed by {name} at {when} — reload"

    def _due_after(self, row: dict):
        """When the case would be due if dispatched at a moment: the catalogue and the clock
        are read only when an action asks (a dispatch)."""

        def due(at: dt.datetime) -> dt.datetime | None:
            category = {c.code: c for c in self.categories()}.get(row["category"])
            if category is None:
                return None
            return self.work_clock().due_at(at, category.time_limit, category.time_unit)

        return due

    def _extend(self, due: dt.datetime, hours: float) -> dt.datetime:
        return self.work_clock().due_at(due, hours, LimitUnit.WORK_HOURS)

    def _write(self, con: Any, case_id: str, row: dict, new: CaseState, event: Event) -> None:
        after = dict(row, status=new.status.value, due_at=_text(new.due_at))
        after["assignee_id"] = new.assignee_person or new.assignee_org or row["assignee_id"]
        # A stage's time is when the case first reached it (a rework dispatches it again; the
        # events keep every time): working hours to close count from the first dispatch.
        if event.to_status is not event.from_status:
            stamped = [event.to_status.value]
            if event.to_status is CaseStatus.CLOSED and event.action == "verify_pass":
                stamped.append("verified")
            for stage in stamped:
                after[f"{stage}_at"] = after[f"{stage}_at"] or _text(event.at)
        sets = ", ".join(f"{c} = ?" for c in ("status", "assignee_id", *CASE_TIME_COLUMNS))
        con.execute(
            f"UPDATE cases SET {sets} WHERE id = ?",
            (
                after["status"],
                after["assignee_id"],
                *(after[c] for c in CASE_TIME_COLUMNS),
                case_id,
            ),
        )
        _upkeep(con, row, after)
        con.execute(
            f"INSERT INTO case_work (case_id, {_WORK}) VALUES (?,?,?,?,?,?,?,?,?,?)"
            f" ON CONFLICT (case_id) DO UPDATE SET "
            + ", ".join(f"{c} = excluded.{c}" for c in _WORK.split(", ")),
            (
                case_id,
                new.version,
                new.assignee_org,
                new.assignee_person,
                new.resolved_by,
                new.reworks,
                new.returns,
                new.extensions,
                new.extension_asked,
                new.merged_into,
            ),
        )
        con.execute(
            "INSERT INTO case_events (case_id, version, at, actor, action, from_status,"
            " to_status, note, assignee_org, assignee_person) VALUES (?,?,?,?,?,?,?,?,?,?)",
            (
                case_id,
                event.version,
                _text(event.at),
                event.actor,
                event.action.value,
                event.from_status.value,
                event.to_status.value,
                event.note,
                event.assignee_org,
                event.assignee_person,
            ),
        )


def _upkeep(con: Any, before: dict, after: dict) -> None:
    """The rollups moved from the case as it was to the case as it is."""
    frame = pd.DataFrame([before, after])
    for col in CASE_TIME_COLUMNS:
        frame[col] = pd.to_datetime(frame[col], utc=True)
    events = pd.concat(
        [rollups.case_events(frame.iloc[[0]], -1), rollups.case_events(frame.iloc[[1]])],
        ignore_index=True,
    )
    rollup_store.add(con, events)


def _state(row: dict, work: tuple | None) -> CaseState:
    due = parse_time(row["due_at"])
    if work is None:  # never acted on here: as imported
        return CaseState(CaseStatus(row["status"]), 0, None, row["assignee_id"], due_at=due)
    version, org, person, resolver, reworks, returns, extensions, asked, merged = work
    asked = None if asked is None or (isinstance(asked, float) and np.isnan(asked)) else asked
    return CaseState(
        CaseStatus(row["status"]),
        version,
        org,
        person,
        resolver,
        reworks,
        returns,
        extensions,
        asked,
        due,
        merged,
    )


def _text(moment: dt.datetime | None) -> str | None:
    return None if moment is None else utc_text(moment)


def _tab_params(tab: str, at: dt.datetime) -> list:
    """The parameters of a tab's condition (the overdue tab's moment)."""
    return [utc_text(at)] * _TAB_SQL[tab].count("?")


def _metres(lon: pd.Series, lat: pd.Series, lon0: float, lat0: float) -> np.ndarray:
    """Distances in metres from (lon0, lat0), on a sphere (good to a metre at 100 m)."""
    phi, phi0 = np.radians(lat.to_numpy(float)), math.radians(lat0)
    dphi, dlam = phi - phi0, np.radians(lon.to_numpy(float) - lon0)
    h = np.sin(dphi / 2) ** 2 + np.cos(phi) * math.cos(phi0) * np.sin(dlam / 2) ** 2
    return 2 * 6_371_000 * np.arcsin(np.sqrt(h))
