"""Component ids of the dashboard, declared once; pages and tests import them from here."""

from typing import Final

# Shared by every page.
LANG_SWITCH: Final = "lang-switch"
LANG_LINK_PREFIX: Final = "lang-link-"  # + language code, e.g. "lang-link-en"
PAGE_TITLE: Final = "page-title"

# Overview page ("/overview").
OVERVIEW: Final = "overview"
OVERVIEW_DATA_NAME: Final = "overview-data-name"
OVERVIEW_AS_OF: Final = "overview-as-of"
OVERVIEW_STREETS: Final = "overview-streets"
OVERVIEW_NOTE: Final = "overview-note"
OVERVIEW_EMPTY: Final = "overview-empty"


def lang_link(lang: str) -> str:
    """Id of the language-switch link to `lang`."""
    return f"{LANG_LINK_PREFIX}{lang}"


# Supervisor map page ("/"): controls, map and legend (owned by pages/map.py).
URL: Final = "map-url"  # dcc.Location: the query string holds the view
VIEW: Final = "map-view"  # dcc.Store: the current view (layers.view.ViewState as a dict)
STREET_SELECT: Final = "map-street-select"
METRIC_SELECT: Final = "map-metric-select"
WINDOW_SELECT: Final = "map-window-select"
DATE_RANGE: Final = "map-date-range"
CATEGORY_SELECT: Final = "map-category-select"
LAYER_TOGGLES: Final = "map-layer-toggles"
MAP: Final = "map-graph"
LEGEND: Final = "map-legend"
MAP_MESSAGE: Final = "map-message"  # plain-language notice: empty store, unknown street, …
MAP_NOTICE: Final = "map-notice"  # inside MAP_MESSAGE: what the drawn view cannot show
MAP_DRAWN: Final = "map-drawn"  # dcc.Store: the view the figure was last drawn for
MAP_PAINT: Final = "map-paint"  # dcc.Store: colours and legend of the view (assets/paint.js)
PAINT_TEXTS: Final = "map-paint-texts"  # dcc.Store: the legend's fixed words in the page language

# Area panel and case table (owned by dashboard/panel.py).
PANEL: Final = "panel"
PANEL_HEADER: Final = "panel-header"
PANEL_STAFF: Final = "panel-staff"
PANEL_CASES: Final = "panel-cases"  # dash-ag-grid of the latest 20 cases
PANEL_VISITS: Final = "panel-visits"
CASE_TABLE: Final = "case-table"  # dash-ag-grid of the selected area's or street's cases
CASE_TABLE_TITLE: Final = "case-table-title"
CASE_CSV_BUTTON: Final = "case-csv-button"
CASE_CSV_DOWNLOAD: Final = "case-csv-download"
# The case table's grid is rebuilt inside this container, so a language change reaches
# AG Grid's own texts (localeText is read only when a grid is created).
CASE_TABLE_BODY: Final = "case-table-body"
