"""The (zh, en) texts of the printable route sheet (the offline HTML export)."""

from __future__ import annotations

SHEET_UI: dict[str, tuple[str, str]] = {
    "sheet.title": ("巡访路线单", "Visit route sheet"),
}
