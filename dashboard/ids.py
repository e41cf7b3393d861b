"""Component ids of the dashboard, declared once; pages and tests import them from here."""

from typing import Final

# Shared by every page.
LANG_SWITCH: Final = "lang-switch"
LANG_LINK_PREFIX: Final = "lang-link-"  # + language code, e.g. "lang-link-en"
PAGE_TITLE: Final = "page-title"
ACCOUNT: Final = "account"  # who is signed in, and the sign-out button
ACCOUNT_NAME: Final = "account-name"
ACCOUNT_ROLES: Final = "account-roles"
LOGOUT: Final = "logout"

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
METRICS_CSV_BUTTON: Final = "map-metrics-csv-button"  # downloads the view's metrics per area
METRICS_DOWNLOAD: Final = "map-metrics-download"  # dcc.Download of that CSV
PROBLEMS_KEY: Final = "map-problems-key"  # legend of the problems layer: kinds and counts

# Area panel and case table (owned by dashboard/panel.py).
PANEL: Final = "panel"
PANEL_HEADER: Final = "panel-header"
PANEL_STAFF: Final = "panel-staff"
PANEL_CASES: Final = "panel-cases"  # dash-ag-grid of the latest 20 cases
PANEL_VISITS: Final = "panel-visits"
PANEL_VISIT_LOG: Final = "panel-visit-log"
CASE_TABLE: Final = "case-table"  # dash-ag-grid of the selected area's or street's cases
CASE_TABLE_TITLE: Final = "case-table-title"
CASE_CSV_BUTTON: Final = "case-csv-button"
CASE_CSV_DOWNLOAD: Final = "case-csv-download"
# The case table's grid is built inside this container once the map is drawn, in the
# page's language (AG Grid reads localeText only when a grid is created).
CASE_TABLE_BODY: Final = "case-table-body"
# Set in the browser once the map is drawn (assets/casetable.js): then the grid is built.
CASE_TABLE_START: Final = "case-table-start"

# Visit routes page ("/routes", owned by pages/routes.py).
ROUTES_URL: Final = "routes-url"  # dcc.Location: the query string holds the view
ROUTES_VIEW: Final = "routes-view"  # dcc.Store: layers.routeview.RouteView as a dict
ROUTES_SHOWN: Final = "routes-shown"  # dcc.Store: stop ids of the drawn route, in order
ROUTES_CONTROLS: Final = "routes-controls"
ROUTES_WORKER_BOX: Final = "routes-worker-box"  # hidden on a grid worker's own link
ROUTES_WORKER: Final = "routes-worker-select"
ROUTES_DATE: Final = "routes-date"
ROUTES_BUDGET: Final = "routes-budget"
ROUTES_DEPART: Final = "routes-depart"
ROUTES_MESSAGE: Final = "routes-message"  # what the link asked that could not be used
ROUTES_NOTICE: Final = "routes-notice"  # why there is no route, or what to do first
ROUTES_BODY: Final = "routes-body"  # map, summary, list; hidden when there is no route
ROUTES_HEADING: Final = "routes-heading"
ROUTES_MAP: Final = "routes-map"
ROUTES_LABELS: Final = "routes-labels"  # dcc.Store written by the stop-number overlay script
ROUTES_SUMMARY: Final = "routes-summary"
ROUTES_LIST: Final = "routes-list"
ROUTES_DROPPED: Final = "routes-dropped"
ROUTES_MOVE: Final = "routes-move"  # pattern-matching type of the up/down buttons
ROUTES_RESET: Final = "routes-reset"
ROUTES_SHEET_BUTTON: Final = "routes-sheet-button"
ROUTES_GPX_BUTTON: Final = "routes-gpx-button"
ROUTES_CSV_BUTTON: Final = "routes-csv-button"
ROUTES_DOWNLOAD: Final = "routes-download"
ROUTES_DOWNLOAD_NOTE: Final = "routes-download-note"


def route_move(stop_id: str, direction: str) -> dict[str, str]:
    """Id of the button moving stop `stop_id` one place "up" or "down"."""
    return {"type": ROUTES_MOVE, "stop": stop_id, "dir": direction}


# Command-centre wall ("/wall", owned by pages/wall.py).
WALL_MAP: Final = "wall-map"
WALL_LEGEND: Final = "wall-legend"
WALL_PAINT: Final = "wall-paint"  # dcc.Store: colours and legend (assets/paint.js)
WALL_PAINT_TEXTS: Final = "wall-paint-texts"
WALL_KPIS: Final = "wall-kpis"
WALL_RANKING: Final = "wall-ranking"
WALL_FEED: Final = "wall-feed"
WALL_SPOTLIGHT: Final = "wall-spotlight"
WALL_STOPS: Final = "wall-stops"  # dcc.Store: the rotation's stops (assets/wall.js)
WALL_UNIT_STATS: Final = "wall-unit-stats"
WALL_CONFIG: Final = "wall-config"  # dcc.Store: place, language, rotate and refresh seconds
WALL_SENT: Final = "wall-sent"  # dcc.Store: fingerprints of what the browser was sent
WALL_REFRESHED: Final = "wall-refreshed"
WALL_SEEN: Final = "wall-seen"
WALL_REFRESH: Final = "wall-refresh"
WALL_ROTATE: Final = "wall-rotate"
WALL_TICK: Final = "wall-tick"
WALL_CLOCK: Final = "wall-clock"
WALL_UPDATED: Final = "wall-updated"
WALL_STALE: Final = "wall-stale"
WALL_NOTICE: Final = "wall-notice"
