"""CityData: one city as plain frames, handed from generators and importers to the store."""

from __future__ import annotations

from dataclasses import dataclass, field

import geopandas as gpd
import pandas as pd

# Column contracts. Geometry frames are in EPSG:4326 with a "geometry" column besides these.
# Times are pandas datetime64 columns, timezone-aware (any zone; the store keeps UTC).
COLUMNS: dict[str, tuple[str, ...]] = {
    "streets": ("code", "name"),
    "communities": ("code", "name", "street_code", "hall_lon", "hall_lat", "hall_address"),
    "compounds": (
        "code",
        "name",
        "community_code",
        "street_code",
        "households",
        "property_company_id",  # None for compounds without a property company (老旧小区)
        "address",
    ),
    "grid_cells": ("code", "name", "community_code", "street_code"),
    "buildings": ("id", "name", "compound_code", "households", "floors"),  # Point geometry
    "roads": ("id", "name", "kind"),  # LineString geometry; kind: arterial|secondary|path
    "organisations": ("id", "kind", "name", "area_code", "phone"),
    "persons": ("id", "name", "phone"),
    "roles": ("person_id", "org_id", "role", "area_level", "area_code"),
    "cases": (
        "id",
        "category",
        "description",
        "source",
        "status",
        "lon",
        "lat",
        "reported_at",
        "registered_at",
        "dispatched_at",
        "in_progress_at",
        "resolved_at",
        "verified_at",
        "closed_at",
        "rejected_at",
        "due_at",
        "assignee_id",
        "reporter_name",
        "reporter_phone",
    ),
    # The case machine's record of cases worked here (the demo's all are): each case's place
    # in it, and every transition (see geodata.casework).
    "case_work": (
        "case_id",
        "version",
        "assignee_org",
        "assignee_person",
        "resolved_by",
        "reworks",
        "returns",
        "extensions",
        "extension_asked",
        "merged_into",
    ),
    "case_events": (
        "case_id",
        "version",
        "at",
        "actor",
        "action",
        "from_status",
        "to_status",
        "note",
        "assignee_org",  # a dispatch's: to whom
        "assignee_person",
    ),
    # A visit names its building; the store derives grid cell, compound, community, street.
    "visits": (
        "id",
        "worker_id",
        "date",
        "building_id",
        "households_reached",
        "needs_found",
        "cases_raised",
    ),
    # Tagged households one by one (tags: comma-separated geodata.households.TAGS); a
    # building's other households stay its count. Which of them each visit reached.
    "households": ("id", "building_id", "unit", "tags"),
    "visit_households": ("visit_id", "household_id"),
}
# Visit columns a city (or a caller of Store.add_visits) may give or leave out: residents met,
# notes, the check-in's distance in metres from the building (NULL: the phone gave no
# location) and far (1: flagged — no location, or more than FAR_CHECKIN_M away).
OPTIONAL_VISIT_COLUMNS = ("residents_met", "notes", "checkin_m", "far")
FAR_CHECKIN_M = 100.0
GEOMETRY_TABLES = ("streets", "communities", "compounds", "grid_cells", "buildings", "roads")


@dataclass
class CityData:
    """Everything the store holds about one city, ready to be written in one transaction.

    `meta` carries free-form facts: name, county_code, scale, seed, as_of (ISO date).
    Households of grid cells, communities and streets are not given: the store sums the
    households of the buildings that lie in them.
    """

    meta: dict[str, str]
    streets: gpd.GeoDataFrame
    communities: gpd.GeoDataFrame
    compounds: gpd.GeoDataFrame
    grid_cells: gpd.GeoDataFrame
    buildings: gpd.GeoDataFrame
    roads: gpd.GeoDataFrame
    organisations: pd.DataFrame
    persons: pd.DataFrame
    roles: pd.DataFrame
    cases: pd.DataFrame = field(default_factory=lambda: empty("cases"))
    visits: pd.DataFrame = field(default_factory=lambda: empty("visits"))
    case_work: pd.DataFrame = field(default_factory=lambda: empty("case_work"))
    case_events: pd.DataFrame = field(default_factory=lambda: empty("case_events"))
    households: pd.DataFrame = field(default_factory=lambda: empty("households"))
    visit_households: pd.DataFrame = field(default_factory=lambda: empty("visit_households"))

    def check_columns(self) -> None:
        """Raise ValueError naming the table and the missing columns, if any."""
        for table, cols in COLUMNS.items():
            frame = getattr(self, table)
            missing = [c for c in cols if c not in frame.columns]
            if table in GEOMETRY_TABLES and "geometry" not in frame.columns:
                missing.append("geometry")
            if missing:
                raise ValueError(f"{table}: missing columns {', '.join(missing)}")


def empty(table: str) -> pd.DataFrame:
    return pd.DataFrame({c: pd.Series(dtype=object) for c in COLUMNS[table]})
