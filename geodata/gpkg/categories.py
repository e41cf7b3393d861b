"""The category catalogue's table (schema version 3): its columns, rows and upgrade, for both
backends."""

from __future__ import annotations

from collections.abc import Sequence

from ..model import CATEGORY_FIELDS, Category, LimitUnit, Responsible, category_values

COLUMNS = CATEGORY_FIELDS
WORK_HOURS_KEY = "work_hours"  # gridboard_meta: the daily working hours (WorkHours.text)
CATALOGUE_SINCE = 3  # the schema version that brought the catalogue's columns


def v3_statements(text: str, real: str = "REAL") -> tuple[str, ...]:
    """Schema version 3 on a version-2 store (`text`, `real`: the backend's types): categories
    as a city's catalogue, limits with their unit; a city's own working days. Stored limits
    stay calendar hours, as the cases' due times were computed."""
    return (
        "ALTER TABLE categories RENAME COLUMN class TO major",
        f"ALTER TABLE categories ADD COLUMN minor {text} NOT NULL DEFAULT ''",
        f"ALTER TABLE categories ADD COLUMN responsible {text} NOT NULL DEFAULT 'committee'",
        f"ALTER TABLE categories ADD COLUMN department {text} NOT NULL DEFAULT ''",
        f"ALTER TABLE categories ADD COLUMN time_limit {real} NOT NULL DEFAULT 0",
        f"ALTER TABLE categories ADD COLUMN time_unit {text} NOT NULL DEFAULT 'hours'",
        f"ALTER TABLE categories ADD COLUMN register_rule {text} NOT NULL DEFAULT ''",
        f"ALTER TABLE categories ADD COLUMN close_rule {text} NOT NULL DEFAULT ''",
        "UPDATE categories SET time_limit = time_limit_hours, responsible = CASE major"
        " WHEN 'community' THEN 'committee' ELSE 'department' END",
        "ALTER TABLE categories DROP COLUMN time_limit_hours",
        *v3_tables(text, real),
    )


V3_TABLES = ("work_days", "case_work", "case_events", "api_keys")


def v3_tables(text: str, real: str = "REAL") -> tuple[str, ...]:
    """The tables schema version 3 adds: a city's own working days; the case machine's —
    each case's place in it, and every transition (a case never acted on here has neither);
    the Open311 door's API keys (hashes only)."""
    return (
        f"CREATE TABLE IF NOT EXISTS work_days (day {text} PRIMARY KEY,"
        f" working INTEGER NOT NULL, note {text} NOT NULL DEFAULT '')",
        f"CREATE TABLE IF NOT EXISTS case_work (case_id {text} PRIMARY KEY,"
        f" version INTEGER NOT NULL, assignee_org {text}, assignee_person {text},"
        f" resolved_by {text}, reworks INTEGER NOT NULL DEFAULT 0,"
        " returns INTEGER NOT NULL DEFAULT 0, extensions INTEGER NOT NULL DEFAULT 0,"
        f" extension_asked {real}, merged_into {text})",
        f"CREATE TABLE IF NOT EXISTS case_events (case_id {text} NOT NULL,"
        f" version INTEGER NOT NULL, at {text} NOT NULL, actor {text} NOT NULL,"
        f" action {text} NOT NULL, from_status {text} NOT NULL, to_status {text} NOT NULL,"
        f" note {text} NOT NULL DEFAULT '', PRIMARY KEY (case_id, version))",
        f"CREATE TABLE IF NOT EXISTS api_keys (name {text} PRIMARY KEY,"
        f" key_hash {text} NOT NULL UNIQUE, created_at {text} NOT NULL,"
        " revoked INTEGER NOT NULL DEFAULT 0)",
    )


UPSERT = (
    f"INSERT INTO categories ({', '.join(COLUMNS)}) VALUES ({', '.join('?' * len(COLUMNS))})"
    " ON CONFLICT (code) DO UPDATE SET " + ", ".join(f"{c} = excluded.{c}" for c in COLUMNS[1:])
)


def category_row(c: Category) -> tuple:
    """A category as the catalogue's row (COLUMNS); the limit as a float, as stored."""
    row = category_values(c)
    at = COLUMNS.index("time_limit")
    return (*row[:at], float(row[at]), *row[at + 1 :])


def category_from_row(row: Sequence) -> Category:
    values = dict(zip(COLUMNS, row, strict=True))
    values["responsible"] = Responsible(values["responsible"])
    values["time_unit"] = LimitUnit(values["time_unit"])
    values["time_limit"] = float(values["time_limit"])
    return Category(**values)
