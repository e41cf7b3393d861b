"""Schema version 4 — case photos, and to whom each dispatch went — and writing and reading a
photo."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

from ..photos import Photo
from ..records import utc_text

PHOTOS_SINCE = 4  # the schema version that brought case photos
V4_TABLES = ("case_photos",)
_COLUMNS = "id, case_id, version, taken_by, at, content_type, width, height, lon, lat"


def v4_statements(text: str, real: str = "REAL", blob: str = "BLOB") -> tuple[str, ...]:
    """Schema version 4: each photo kept in the store beside its case, in the same transaction
    as the action it goes with (a store is one thing to back up and to migrate); a dispatch's
    event names its assignee."""
    return (
        f"ALTER TABLE case_events ADD COLUMN assignee_org {text}",
        f"ALTER TABLE case_events ADD COLUMN assignee_person {text}",
        f"CREATE TABLE IF NOT EXISTS case_photos (id {text} PRIMARY KEY, case_id {text} NOT NULL,"
        f" version INTEGER NOT NULL, taken_by {text} NOT NULL, at {text} NOT NULL,"
        f" content_type {text} NOT NULL, width INTEGER NOT NULL, height INTEGER NOT NULL,"
        f" lon {real}, lat {real}, content {blob} NOT NULL)",
        "CREATE INDEX IF NOT EXISTS case_photos_case ON case_photos (case_id, version)",
    )


def add_photo(
    con: Any, case_id: str, version: int, taken_by: str, at: dt.datetime, photo: Photo
) -> str:
    """Keep `photo` with the case's action that made `version`; its new id."""
    photo_id = uuid.uuid4().hex
    con.execute(
        f"INSERT INTO case_photos ({_COLUMNS}, content) VALUES (?,?,?,?,?,?,?,?,?,?,?)",
        (
            photo_id,
            case_id,
            version,
            taken_by,
            utc_text(at),
            photo.content_type,
            photo.width,
            photo.height,
            photo.lon,
            photo.lat,
            photo.content,
        ),
    )
    return photo_id


def photo_list(con: Any, case_id: str) -> list[dict]:
    """A case's photos, oldest first, without their bytes."""
    rows = con.execute(
        f"SELECT {_COLUMNS} FROM case_photos WHERE case_id = ? ORDER BY version, at", (case_id,)
    ).fetchall()
    return [dict(zip(_COLUMNS.split(", "), row, strict=True)) for row in rows]


def photo_content(con: Any, photo_id: str) -> tuple[dict, bytes] | None:
    """One photo's facts and bytes, or None."""
    row = con.execute(
        f"SELECT {_COLUMNS}, content FROM case_photos WHERE id = ?", (photo_id,)
    ).fetchone()
    if row is None:
        return None
    *facts, content = row
    return dict(zip(_COLUMNS.split(", "), facts, strict=True)), bytes(content)
