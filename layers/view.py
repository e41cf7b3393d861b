"""The map's view state: what the URL query carries, parsed, checked and turned into a Window."""

from __future__ import annotations

import datetime as dt
import re
import reprlib
from collections.abc import Callable, Iterable, Mapping
from dataclasses import asdict, dataclass, fields, replace
from typing import Any, ClassVar, Self
from urllib.parse import urlencode

from geodata.codes import CodeError, level_of
from geodata.model import CATEGORY_BY_CODE, LOCAL_TZ, Level
from geodata.store import Window

METRICS = ("open_cases", "overdue_cases", "cases_per_1000", "visits_per_100", "days_since_visit")
PRESET_WINDOWS = {"7d": 7, "30d": 30, "90d": 90}
LANGUAGES = ("zh", "en")
CITY = "all"  # the street choice meaning "the whole city"
CLICKABLE = frozenset({Level.COMPOUND, Level.GRID})  # what a click on the map selects
# Map layers, drawn bottom to top; grid cells and compounds are coloured, the rest outlined.
AREA_LAYERS = ("grid", "compound", "community", "street")
COLOURED = ("grid", "compound")
# Spots found by `gridboard validate --out` (GRIDBOARD_PROBLEMS), drawn on top of the areas;
# offered only when the file is there, and off until switched on.
PROBLEMS = "problems"
LAYERS = (*AREA_LAYERS, PROBLEMS)
NO_LAYERS = "none"  # the layers text when every layer is switched off
DEFAULTS = {"metric": "open_cases", "window": "30d", "layers": ",".join(AREA_LAYERS)}
# Dates a window may span: before 2000 there were no grid workers, past 2100 no data yet;
# the bounds also keep every window's ends representable in any timezone.
EARLIEST, LATEST = dt.date(2000, 1, 1), dt.date(2100, 12, 31)
_RANGE = re.compile(r"(\d{4}-\d{2}-\d{2})\.\.(\d{4}-\d{2}-\d{2})")
_STREET = re.compile(r"\d{9}")
_AREA = re.compile(r"[0-9A-Za-z_-]{1,40}")
BAD_VIEW = "bad_view"  # the reason of a Problem about a view the browser sent


class CheckedView:
    """from_dict() and checked() of a view dataclass whose FIELD_OK checks each field."""

    FIELD_OK: ClassVar[Mapping[str, Callable[[object], bool]]]

    @classmethod
    def from_dict(cls, data: object) -> Self:
        """The view of an as_dict() (e.g. from a dcc.Store); see checked()."""
        return cls.checked(data)[0]

    @classmethod
    def checked(cls, data: object, fallback: Self | None = None) -> tuple[Self, list[Problem]]:
        """The view of an as_dict() sent by a browser, which is never trusted: a field that is
        not usable takes `fallback`'s value (default: the default view) and is reported, and
        anything but a mapping is `fallback`; unknown keys are ignored."""
        return checked_fields(cls, cls.FIELD_OK, data, fallback or cls())


@dataclass(frozen=True)
class ViewState(CheckedView):
    """One view of the map; every field is also a URL query parameter of the same name."""

    street: str = CITY  # a street code, or CITY
    metric: str = DEFAULTS["metric"]
    window: str = DEFAULTS["window"]  # 7d | 30d | 90d | YYYY-MM-DD..YYYY-MM-DD
    category: str | None = None  # a category code; None = all categories
    area: str | None = None  # code of the selected compound or grid cell
    lang: str = "zh"
    layers: str = DEFAULTS["layers"]  # shown LAYERS, comma-separated in LAYERS order, or NO_LAYERS
    FIELD_OK: ClassVar[Mapping[str, Callable[[object], bool]]] = {
        "street": lambda v: isinstance(v, str) and (v == CITY or bool(_STREET.fullmatch(v))),
        "metric": lambda v: isinstance(v, str) and v in METRICS,
        "window": lambda v: isinstance(v, str) and _window_ok(v),
        "category": lambda v: v is None or (isinstance(v, str) and v in CATEGORY_BY_CODE),
        "area": lambda v: v is None or (isinstance(v, str) and bool(_AREA.fullmatch(v))),
        "lang": lambda v: isinstance(v, str) and v in LANGUAGES,
        "layers": lambda v: isinstance(v, str) and _layers_ok(v),
    }

    def as_dict(self) -> dict:
        return asdict(self)

    def shown(self) -> tuple[str, ...]:
        """The layers switched on, bottom to top."""
        return layers_of(self.layers)

    def shown_areas(self) -> tuple[str, ...]:
        """The area levels switched on (coloured or outlined), bottom to top."""
        return tuple(layer for layer in self.shown() if layer in AREA_LAYERS)

    def query(self, default_lang: str = "zh") -> str:
        """The URL query string ("?…") of this view; defaults are left out."""
        items = {k: v for k, v in self.as_dict().items() if v is not None}
        for key, default in (*DEFAULTS.items(), ("street", CITY), ("lang", default_lang)):
            if items.get(key) == default:
                del items[key]
        return "?" + urlencode(items, safe=",.") if items else ""


@dataclass(frozen=True)
class Problem:
    """A query parameter that could not be used; the dashboard says so in plain words."""

    param: str
    value: str
    reason: str  # a translation key suffix: unknown_street, bad_metric, bad_window, …


def checked_fields(
    cls: type, field_ok: Mapping[str, Callable[[object], bool]], data: object, fallback: object
) -> tuple:
    """(instance of the dataclass `cls`, problems) from untrusted `data`: each field that
    `field_ok` refuses takes `fallback`'s value and is reported as a Problem (BAD_VIEW)."""
    if not isinstance(data, Mapping):
        problems = [] if data is None else [Problem("view", reprlib.repr(data), BAD_VIEW)]
        return fallback, problems
    values, problems = {}, []
    for name in (f.name for f in fields(cls)):
        value = data.get(name, getattr(fallback, name))
        if field_ok[name](value):
            values[name] = value
        else:
            problems.append(Problem(name, reprlib.repr(value), BAD_VIEW))
            values[name] = getattr(fallback, name)
    return cls(**values), problems


def parse_view(
    query: Mapping[str, str | None],
    streets: set[str],
    default_lang: str = "zh",
) -> tuple[ViewState, list[Problem]]:
    """The view a URL asks for; unusable parameters fall back to defaults and are reported."""
    problems: list[Problem] = []

    def pick(param: str, ok: bool, reason: str, fallback):
        value = query.get(param)
        if value in (None, ""):
            return fallback
        if ok:
            return value
        problems.append(Problem(param, str(value), reason))
        return fallback

    lang = pick("lang", query.get("lang") in LANGUAGES, "bad_lang", default_lang)
    street = pick("street", query.get("street") in streets | {CITY}, "unknown_street", CITY)
    metric = pick("metric", query.get("metric") in METRICS, "bad_metric", DEFAULTS["metric"])
    window = pick("window", _window_ok(query.get("window")), "bad_window", DEFAULTS["window"])
    category = pick("category", query.get("category") in CATEGORY_BY_CODE, "bad_category", None)
    layers = pick("layers", _layers_ok(query.get("layers")), "bad_layers", DEFAULTS["layers"])
    area = query.get("area") or None
    view = ViewState(street, metric, window, category, area, lang, layers_text(layers_of(layers)))
    return view, problems


def layers_of(text: str | None) -> tuple[str, ...]:
    """The known layers named in a layers text, in drawing order."""
    named = set((text or "").split(","))
    return tuple(layer for layer in LAYERS if layer in named)


def layers_text(layers: Iterable[str] | None) -> str:
    """The canonical layers text of a selection of layers (NO_LAYERS when empty); items
    that are not layer names are left out."""
    named = layers if isinstance(layers, list | tuple) else ()
    shown = layers_of(",".join(item for item in named if isinstance(item, str)))
    return ",".join(shown) if shown else NO_LAYERS


def _layers_ok(text: str | None) -> bool:
    names = (text or "").split(",")
    return text == NO_LAYERS or all(name in LAYERS for name in names)


def _window_ok(text: str | None) -> bool:
    if text in PRESET_WINDOWS:
        return True
    m = _RANGE.fullmatch(text or "")
    if not m:
        return False
    try:
        first, last = (dt.date.fromisoformat(g) for g in m.groups())
    except ValueError:
        return False
    return EARLIEST <= first <= last <= LATEST


def window_of(text: str, as_of: dt.date) -> Window:
    """The half-open Window of a window text; preset windows end with the as-of day."""
    if text in PRESET_WINDOWS:
        last = as_of
        first = as_of - dt.timedelta(days=PRESET_WINDOWS[text] - 1)
    else:
        m = _RANGE.fullmatch(text)
        if not m or not _window_ok(text):
            raise ValueError(f"{text!r} is not a window (7d, 30d, 90d or YYYY-MM-DD..YYYY-MM-DD)")
        first, last = (dt.date.fromisoformat(g) for g in m.groups())
    start = dt.datetime.combine(first, dt.time(), LOCAL_TZ)
    end = dt.datetime.combine(last + dt.timedelta(days=1), dt.time(), LOCAL_TZ)
    return Window(start, end)


def with_changes(view: ViewState, **changes: object) -> ViewState:
    """This view with some fields replaced."""
    return replace(view, **changes)


def data_as_of(meta: Mapping[str, str]) -> dt.date:
    """The data's as-of date (meta "as_of"), or today in China when the data has none."""
    try:
        return dt.date.fromisoformat(meta["as_of"])
    except (KeyError, TypeError, ValueError):
        return dt.datetime.now(LOCAL_TZ).date()


def clicked_area(click: Mapping[str, Any] | None) -> str | None:
    """The code of the compound or grid cell a map click landed on, if it did."""
    points = click.get("points") if isinstance(click, dict) else None
    first = points[0] if isinstance(points, list) and points else None
    code = first.get("location") if isinstance(first, dict) else None
    if not isinstance(code, str):
        return None
    try:
        return code if level_of(code) in CLICKABLE else None
    except CodeError:
        return None
