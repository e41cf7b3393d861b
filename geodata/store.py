"""The store interface every part of gridboard reads and writes through, and how to open one."""

from __future__ import annotations

import abc
import datetime as dt
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

import geopandas as gpd
import pandas as pd

from .accounts import AccountStore
from .city import CityData
from .model import LOCAL_TZ, Case, Category, Level, StaffMember
from .worktime import WorkClock, WorkHours

if TYPE_CHECKING:
    from .casework import Actor, CaseState, Event, Request
    from .photos import Photo
    from .rules import CaseCheck


class StoreError(Exception):
    """A store that cannot be opened, read or written; the message names file and problem."""


class ConnectionLost(StoreError):
    """A write whose connection to the database was lost before its COMMIT (the server
    restarted): the server rolled it back, nothing of it was written."""


@dataclass(frozen=True)
class ReportPhoto:
    """A photo that comes with a new case's report (geodata.photos.clean_photo made it)."""

    case_id: str
    taken_by: str  # the login that reported
    photo: Photo


class StaleCase(StoreError):
    """An action on a case someone else changed since it was read: who, when — reload."""


@dataclass(frozen=True)
class Window:
    """A half-open time window [start, end); both ends timezone-aware."""

    start: dt.datetime
    end: dt.datetime

    def __post_init__(self) -> None:
        if self.start.tzinfo is None or self.end.tzinfo is None:
            raise ValueError("window ends must be timezone-aware")
        if self.end <= self.start:
            raise ValueError("window end must be after its start")

    def local_days(self) -> tuple[dt.date, dt.date]:
        """First and last local (China time) calendar day the half-open window touches."""
        first = self.start.astimezone(LOCAL_TZ).date()
        last = (self.end - dt.timedelta(microseconds=1)).astimezone(LOCAL_TZ).date()
        return first, last


# The case page (Store.case_page): columns it sorts by, and the filters it applies.
CASE_SORT_COLUMNS = (
    "id",
    "reported_at",
    "category",
    "status",
    "community_code",
    "compound_code",
    "grid_code",
)
TEXT_FILTER_OPS = ("contains", "notContains", "equals", "notEqual", "startsWith", "endsWith")
TIME_FILTER_OPS = ("after", "until")  # reported_at > value, reported_at <= value
CASE_FILTER_OPS = {"id": TEXT_FILTER_OPS, "reported_at": TIME_FILTER_OPS}


@dataclass(frozen=True)
class CaseFilter:
    """One condition of a case page: `column` (a CASE_FILTER_OPS key) `op` `value`."""

    column: str
    op: str
    value: str | dt.datetime

    def __post_init__(self) -> None:
        if self.op not in CASE_FILTER_OPS.get(self.column, ()):
            raise ValueError(f"cannot filter cases by {self.column} {self.op}")
        wanted = dt.datetime if self.column == "reported_at" else str
        if not isinstance(self.value, wanted):
            raise ValueError(f"a {self.column} filter needs a {wanted.__name__}")


# The supervisor's work queue (Store.work_queue): its tabs, in the order the page shows them.
QUEUE_TABS = ("reported", "registered", "handling", "resolved", "overdue", "extension")


@dataclass(frozen=True)
class QueueFilter:
    """What the work queue is narrowed to (None: any)."""

    community: str | None = None
    category: str | None = None
    source: str | None = None
    assignee: str | None = None


METRIC_COLUMNS = (
    "households",  # households living in the area
    "cases",  # cases reported in the window
    "open_cases",  # open at the window's end, whenever reported (the backlog)
    "overdue_cases",  # of those open, past their due time at the window's end
    "cases_per_1000",  # cases per 1,000 households
    "visits",  # visits (worker × building × day) in the window
    "households_reached",  # households reached by those visits
    "visits_per_100",  # households reached per 100 households
    "last_visit",  # date of the latest visit up to the window's end (NaT if none)
    "days_since_visit",  # days from that visit to the window's end (NaN if none)
)


# The wall's figures (Store.wall_figures), each for the moment asked and, with the suffix
# "_prev", for the same moment one week earlier. "Today" is the local day of the moment,
# up to the moment; "7d" the seven days up to the moment; "week" the local calendar week
# (Monday first) up to the moment's day.
WALL_FIGURES = (
    "open_cases",  # open at the moment (reported before it, neither closed nor rejected)
    "overdue_cases",  # of those, past their due time at the moment
    "new_today",  # reported today
    "closed_today",  # closed today
    "reported_7d",  # reported in the last 7 days
    "closed_7d",  # closed in the last 7 days (whenever reported)
    "median_close_hours",  # median report-to-close hours of the cases closed in the 7 days
    "visits_week",  # visits this week
    "households_week",  # households reached by those visits
)
WALL_WINDOW = dt.timedelta(days=7)


class Store(AccountStore):
    """What gridboard needs from a store (its accounts part: geodata.accounts).
    Implementations: GeoPackage (embedded file, geodata.gpkg) and PostGIS (geodata.pg).

    Area frames have the columns code, name, parent_code, street_code, community_code
    (None for streets), households and geometry (EPSG:4326); compounds add
    property_company_id, property_company and address.
    """

    # --- reading -------------------------------------------------------------------------
    @abc.abstractmethod
    def meta(self) -> dict[str, str]:
        """Facts about the data: name, county_code, scale, seed, as_of, schema_version."""

    @abc.abstractmethod
    def revision(self) -> str:
        """Changes with every successful write; caches of derived data key on it."""

    @abc.abstractmethod
    def counts(self) -> dict[str, int]:
        """Row count of every table (streets, communities, …, cases, visits)."""

    @abc.abstractmethod
    def areas(self, level: Level, parent: str | None = None) -> gpd.GeoDataFrame:
        """Areas of `level`, optionally only those within the area coded `parent`."""

    @abc.abstractmethod
    def area(self, code: str) -> dict | None:
        """One area's attributes (no geometry) plus level and parent names, or None."""

    @abc.abstractmethod
    def area_shapes(self, codes: Sequence[str]) -> gpd.GeoDataFrame:
        """The outlines (EPSG:4326) of the areas coded `codes` that exist: code, geometry."""

    @abc.abstractmethod
    def metrics(
        self,
        level: Level,
        window: Window,
        category: str | None = None,
        parent: str | None = None,
    ) -> pd.DataFrame:
        """METRIC_COLUMNS per area of `level` (index: code), every area present."""

    @abc.abstractmethod
    def raw_metrics(
        self,
        level: Level,
        window: Window,
        category: str | None = None,
        parent: str | None = None,
    ) -> pd.DataFrame:
        """metrics() counted from the case and visit rows, never from the rollups (that
        metrics() reads for periods from midnight to midnight): what they must agree with."""

    @abc.abstractmethod
    def wall_figures(self, at: dt.datetime, parent: str | None = None) -> dict[str, float]:
        """WALL_FIGURES at the aware moment `at` and one week earlier ("<name>_prev"), plus
        grid_workers (grid workers with a cell in the area, for the weekly visit target).
        `parent`: a street or community code (None: the whole city). A median of no case is
        NaN."""

    @abc.abstractmethod
    def overdue_ranking(self, at: dt.datetime, parent: str | None = None) -> pd.DataFrame:
        """Every street (or community of the street / grid cell of the community `parent`)
        with name, open_cases and overdue_cases at `at`, most overdue first (index: code)."""

    @abc.abstractmethod
    def newest_cases(
        self, limit: int, parent: str | None = None, before: dt.datetime | None = None
    ) -> pd.DataFrame:
        """The `limit` latest cases reported (before `before`), newest first: id, reported_at
        (aware UTC), category, status, description, reporter_name, reporter_phone,
        street_name, community_name, compound_name, grid_name. Raw: nothing is masked here."""

    @abc.abstractmethod
    def staff(self, code: str) -> list[StaffMember]:
        """People responsible for an area, each once, with all the roles they hold."""

    @abc.abstractmethod
    def recent_cases(self, code: str, limit: int = 20, category: str | None = None) -> list[Case]:
        """The latest cases reported in an area, newest first."""

    @abc.abstractmethod
    def cases(
        self,
        code: str | None = None,
        window: Window | None = None,
        category: str | None = None,
        limit: int | None = None,
    ) -> pd.DataFrame:
        """Cases (all columns, area codes included) of an area, newest first."""

    @abc.abstractmethod
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
        """One page of the cases() of an area (a list: of any of those areas; None: the city),
        window and category, and how
        many there are in all. `sort`: (CASE_SORT_COLUMNS name, descending) pairs, then newest
        first; `filters`: every group must hold, one condition of a group is enough."""

    @abc.abstractmethod
    def visits(
        self,
        code: str | None = None,
        window: Window | None = None,
        worker_id: str | None = None,
    ) -> pd.DataFrame:
        """Visits of an area and/or a worker, newest first; `date` is a local date."""

    @abc.abstractmethod
    def buildings(self, code: str | None = None) -> gpd.GeoDataFrame:
        """Buildings (points) of an area, with compound_code and grid_code."""

    @abc.abstractmethod
    def roads(self) -> gpd.GeoDataFrame:
        """The road network (lines) for walking routes."""

    # --- visit routes --------------------------------------------------------------------
    @abc.abstractmethod
    def grid_workers(self, person_id: str | None = None) -> pd.DataFrame:
        """Grid workers (Role.GRID_WORKER), one row per person and grid cell, by person and cell.

        Columns person_id, name, community_code, community_name, grid_code. A worker whose
        role is on something other than an existing grid cell (a community, say) has one row
        with grid_code None, so that "responsible for no cells" can be said. `person_id`
        keeps that person only (no rows: not a grid worker)."""

    @abc.abstractmethod
    def last_visits(self, grid_codes: Sequence[str], until: dt.date) -> pd.Series:
        """Local date of the latest visit on or before `until` of each building of the cells
        that has one (index: building_id, values: datetime.date); by anyone."""

    @abc.abstractmethod
    def open_cases(self, grid_codes: Sequence[str], at: dt.datetime) -> pd.DataFrame:
        """Cases of the cells open at the aware moment `at` (reported before it, neither
        closed nor rejected by then), most overdue first. Columns id, category, status (as
        stored now), lon, lat, reported_at, due_at (aware UTC, NaT if none), grid_code,
        compound_code, community_code."""

    # --- writing -------------------------------------------------------------------------
    def write_city(self, city: CityData) -> None:
        """Replace everything with `city`, in one transaction."""
        self.write_parts([city])

    @abc.abstractmethod
    def write_parts(self, parts: Iterable[CityData]) -> None:
        """Replace everything with one city given in parts, in one transaction: parts whose
        areas and ids do not overlap (a region's towns, say), taken one at a time from
        `parts`, so that a generator need hold only one in memory. The first part's meta
        becomes the store's."""

    @abc.abstractmethod
    def existing_ids(self, table: str, ids: Iterable[str]) -> set[str]:
        """Which of `ids` the table (cases, visits, persons, organisations) holds already."""

    @abc.abstractmethod
    def add_cases(
        self,
        cases: pd.DataFrame | CaseCheck,
        categories: Sequence[Category] = (),
        photos: Sequence[ReportPhoto] = (),
    ) -> int:
        """Add cases (CityData's case columns); each is assigned to its street, community,
        compound and grid cell by location, once, here. A case breaking a rule of
        geodata.rules fails the write (a point outside every grid cell is kept, without
        areas). Given a rules.CaseCheck whose areas_revision is this store's revision, its
        areas are taken as located. `categories` are added to the catalogue with the cases,
        `photos` (each of a case among them) with their reports (version 0). All or nothing.
        Returns the count."""

    @abc.abstractmethod
    def add_visits(self, visits: pd.DataFrame) -> int:
        """Add visits (CityData's visit columns); areas derived from the building. Optional
        columns: city.OPTIONAL_VISIT_COLUMNS (residents_met, notes, checkin_m, far — far, when
        left out, is 1 where a given checkin_m is over 100 m) and household_ids, the tagged
        households the visit reached (a list, or ids separated by commas; each must live in the
        visit's building), linked in the same transaction. All or nothing. Returns the count."""

    # --- households and visit rules (schema version 5) ------------------------------------
    @abc.abstractmethod
    def households(
        self,
        grid_codes: Sequence[str] = (),
        *,
        building_ids: Sequence[str] = (),
        visited_until: dt.date | None = None,
    ) -> pd.DataFrame:
        """The tagged households of the cells and of the buildings given, by building and id:
        id, building_id, unit, tags (a list of geodata.households.TAGS), grid_code; with
        `visited_until`, also last_visit: the local date of the latest visit on or before it
        that reached each (None if none). Sensitive personal data."""

    @abc.abstractmethod
    def write_households(self, households: pd.DataFrame, *, replace: bool = False) -> int:
        """Add (or, by id, replace) tagged households: id, building_id, unit, tags (codes,
        comma-separated or a list). `replace`: remove the ones not given. An unknown building
        or tag, a repeated id or no tag fails the write naming row and field; all or nothing."""

    @abc.abstractmethod
    def visit_rules(self) -> dict[str, int]:
        """Days between visits per tag and for ordinary households (defaults where unset)."""

    @abc.abstractmethod
    def set_visit_rules(self, rules: Mapping[str, int]) -> dict[str, int]:
        """Set the days of the tags given (checked by geodata.households.check_rules; a bad
        one fails naming the tag, nothing changed); every rule as it now stands."""

    @abc.abstractmethod
    def write_areas(self, level: Level, areas: gpd.GeoDataFrame) -> int:
        """Add or replace (by code) areas of one level: the columns of CityData for that level
        and polygons in any CRS (stored in EPSG:4326). Columns left out keep their stored values
        for areas replaced (e.g. a community's hall), else are empty; compounds and cells may
        omit community_code and street_code, communities street_code (taken from the code).
        The parent of every area must be in the store (or the write fails naming the area).
        What depends on areas is recomputed where the old and new outlines of the areas written
        lie (nothing outside them can change): compound↔grid links, buildings' areas,
        households, the areas of cases and visits. All or nothing; returns the number of areas
        written."""

    @abc.abstractmethod
    def write_staff(
        self,
        orgs: pd.DataFrame,
        people: pd.DataFrame,
        roles: pd.DataFrame,
        *,
        replace: bool = False,
    ) -> int:
        """Write the staff roster: organisations, persons and roles (CityData's columns).
        With `replace` the stored roster is replaced, else rows are added and an id already
        stored (or a role stored already) fails, naming table, row and field. Roles must point
        at areas, persons and organisations that exist (in the store or in this write). All or
        nothing; returns the number of roles written."""

    # --- the catalogue and working time --------------------------------------------------
    @abc.abstractmethod
    def categories(self) -> tuple[Category, ...]:
        """The city's category catalogue, by code."""

    @abc.abstractmethod
    def write_categories(self, categories: Sequence[Category], *, replace: bool = False) -> int:
        """Add or change categories (by code); `replace` removes the others too, unless cases
        use them (the error names them; nothing written). Returns the count written."""

    @abc.abstractmethod
    def work_clock(self) -> WorkClock:
        """The working-time clock: the store's working hours and the city's own days."""

    @abc.abstractmethod
    def work_days(self) -> list[tuple[dt.date, bool, str]]:
        """The city's own days off and on: (day, working, note), by day."""

    @abc.abstractmethod
    def set_work_hours(self, hours: WorkHours) -> None:
        """Working hours from now on (due times already stored keep theirs)."""

    @abc.abstractmethod
    def set_work_days(self, days: Mapping[dt.date, bool | None], note: str = "") -> int:
        """Days off (False) or on (True) for the city; None: the official calendar again."""

    # --- case work ---------------------------------------------------------------------
    @abc.abstractmethod
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
        """Take an action on a case (geodata.casework) as `actor` (at client `address`), who
        saw it at `version`:
        the case's times, its event, the rollups, an audit entry and a resolve's `photo`
        (geodata.photos.clean_photo) in one transaction. A stale version raises StaleCase (who
        changed it, when); an action the machine refuses, casework.ActionRefused (so does a
        photo with another action). Returns the case's new state."""

    @abc.abstractmethod
    def work_queue(
        self,
        codes: str | Sequence[str] | None,
        tab: str,
        at: dt.datetime,
        narrowed: QueueFilter | None = None,
        offset: int = 0,
        limit: int = 100,
    ) -> tuple[pd.DataFrame, int]:
        """(one page, how many in all) of a QUEUE_TABS tab for the areas `codes` (None: the
        city): reported (待立案), registered (待派遣), handling (处置中), resolved (待核查),
        overdue at `at` (超期), extension asked (延期申请); newest report first. Columns: the
        cases' and version, assignee_org, extension_asked, reworks."""

    @abc.abstractmethod
    def queue_counts(self, codes: str | Sequence[str] | None, at: dt.datetime) -> dict[str, int]:
        """How many cases each QUEUE_TABS tab holds for the areas `codes`."""

    @abc.abstractmethod
    def service_requests(
        self,
        start: dt.datetime,
        end: dt.datetime,
        status: str | None = None,
        category: str | None = None,
        ids: Sequence[str] = (),
        limit: int = 1000,
    ) -> pd.DataFrame:
        """Cases reported in [start, end), newest first, for the Open311 door: status "open"
        or "closed" (closed or rejected), one category, these ids; at most `limit`."""

    @abc.abstractmethod
    def duplicates_near(self, case_id: str, metres: float = 100, days: int = 14) -> pd.DataFrame:
        """Open cases of the case's category within `metres`, reported in the `days` before
        it and not merged themselves: what the desk is offered to merge it into."""

    @abc.abstractmethod
    def locate(self, lon: float, lat: float) -> dict[str, str] | None:
        """The areas a point lies in (street_code … grid_code), or None outside every cell."""

    @abc.abstractmethod
    def kpi_cases(self, start: dt.datetime, end: dt.datetime) -> pd.DataFrame:
        """The cases the KPIs of [start, end) count (registered or closed in it, or open at
        its end): areas, assignee (person, organisation), stage times, reworks, extensions,
        and the names of street, community, organisation and person."""

    @abc.abstractmethod
    def case_record(self, case_id: str) -> pd.DataFrame:
        """One case's row (all columns, times parsed, area codes); empty when there is none."""

    @abc.abstractmethod
    def case_state(self, case_id: str) -> CaseState:
        """Where a case stands in the case machine (version 0: never acted on here)."""

    @abc.abstractmethod
    def case_events(self, case_id: str) -> list[Event]:
        """A case's transitions, oldest first."""

    @abc.abstractmethod
    def closures(self, start: dt.datetime, end: dt.datetime) -> pd.DataFrame:
        """The cases closed in [start, end): id, their areas (street_code … grid_code),
        closed_at and due_at (aware UTC times) — what an on-time rate needs, read by the
        closing-time index."""

    @abc.abstractmethod
    def case_photos(self, case_id: str) -> list[dict]:
        """A case's photos, oldest first: id, version (of the action they came with), taken_by,
        at, content_type, width, height, lon, lat — no bytes."""

    @abc.abstractmethod
    def case_photo(self, photo_id: str) -> tuple[dict, bytes] | None:
        """One photo's facts (as case_photos) and its bytes, or None."""

    @abc.abstractmethod
    def actor_names(self, logins: Sequence[str]) -> dict[str, str]:
        """The names of the events' actors and assignees that have one: an account's name,
        else a staff person's (a login that is a person id) or an organisation's, else a
        street office's ("street:CODE")."""

    def close(self) -> None:
        """Release the store's resources."""

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
