"""Schema version 5: tagged households, which of them a visit reached, the visit rules and the
visits' check-in columns."""

from __future__ import annotations

HOUSEHOLDS_SINCE = 5  # the schema version that brought households and visit rules
V5_TABLES = ("households", "visit_households", "visit_rules")


def v5_statements(text: str, real: str = "REAL") -> tuple[str, ...]:
    """Schema version 5 (`text`, `real`: the backend's types): tagged households one by one
    (a building's other households stay a count), the link of a visit to the tagged
    households it reached, the days between visits per tag, and what the phone adds to a
    visit: residents met, notes, the check-in's distance from the building and its flag."""
    return (
        f"CREATE TABLE IF NOT EXISTS households (id {text} PRIMARY KEY,"
        f" building_id {text} NOT NULL, unit {text} NOT NULL DEFAULT '',"
        f" tags {text} NOT NULL DEFAULT '')",
        "CREATE INDEX IF NOT EXISTS households_building ON households (building_id)",
        f"CREATE TABLE IF NOT EXISTS visit_households (visit_id {text} NOT NULL,"
        f" household_id {text} NOT NULL, PRIMARY KEY (visit_id, household_id))",
        "CREATE INDEX IF NOT EXISTS visit_households_household"
        " ON visit_households (household_id, visit_id)",
        f"CREATE TABLE IF NOT EXISTS visit_rules (tag {text} PRIMARY KEY, days INTEGER NOT NULL)",
        "ALTER TABLE visits ADD COLUMN residents_met INTEGER",
        f"ALTER TABLE visits ADD COLUMN notes {text}",
        f"ALTER TABLE visits ADD COLUMN checkin_m {real}",
        "ALTER TABLE visits ADD COLUMN far INTEGER",
    )
