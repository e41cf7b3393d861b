"""The store's gridboard_meta table: the statement every part sets a value with."""

from __future__ import annotations

SCHEMA_VERSION_SQL = "SELECT value FROM gridboard_meta WHERE key = 'schema_version'"
# Portable upsert (SQLite 3.24+ and PostgreSQL alike).
META_UPSERT = (
    "INSERT INTO gridboard_meta (key, value) VALUES (?, ?)"
    " ON CONFLICT (key) DO UPDATE SET value = excluded.value"
)
