"""Component ids of the dashboard, declared once; pages and tests import them from here."""

from typing import Final

# Shared by every page.
LANG_SWITCH: Final = "lang-switch"
LANG_LINK_PREFIX: Final = "lang-link-"  # + language code, e.g. "lang-link-en"
PAGE_TITLE: Final = "page-title"

# Overview page ("/").
OVERVIEW: Final = "overview"
OVERVIEW_DATA_NAME: Final = "overview-data-name"
OVERVIEW_AS_OF: Final = "overview-as-of"
OVERVIEW_STREETS: Final = "overview-streets"
OVERVIEW_NOTE: Final = "overview-note"
OVERVIEW_EMPTY: Final = "overview-empty"


def lang_link(lang: str) -> str:
    """Id of the language-switch link to `lang`."""
    return f"{LANG_LINK_PREFIX}{lang}"
