"""The one translation function t(), its zh/en catalogues, and number/date formats per language."""

from __future__ import annotations

import datetime as dt
import math
import re
from collections.abc import Mapping
from numbers import Integral, Real
from types import MappingProxyType

from geodata.model import CATEGORIES, LOCAL_TZ, CaseSource, CaseStatus, Level, OrgKind, Role

LANGUAGES: tuple[str, ...] = ("zh", "en")
DEFAULT_LANGUAGE = "zh"
# Each language is named in itself (an endonym), the same whatever the page language is,
# so a reader stuck in the wrong language can still find their own; hence not in t().
LANGUAGE_NAMES: Mapping[str, str] = MappingProxyType({"zh": "中文", "en": "English"})
MISSING = "—"
_MONTHS_EN = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
_CJK = re.compile(
    r"[\u2e80-\u2fdf\u3000-\u303f\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\uff00-\uffef]"
)

# "Case" is 诉求 everywhere: the word street offices use for what residents bring
# (接诉即办, 12345), and it reads right for problems a worker observes too; 案件 sounds
# like a police or court matter to residents. The life-cycle steps keep their standard
# names (立案, 结案) from the GB/T 30428 family.
_UI: dict[str, tuple[str, str]] = {
    "app.title": ("网格治理一张图", "Grid governance at a glance"),
    "lang.switch": ("语言", "Language"),
    "overview.data": ("数据：{name}", "Data: {name}"),
    "overview.as_of": ("截至 {date}", "As of {date}"),
    "overview.streets": ("街道一览", "Streets at a glance"),
    "overview.note": (
        "在办、超期诉求统计至 {end} 日终；近30天诉求为 {start} 至 {end} 上报的诉求。",
        "Open and overdue cases at the end of {end}; cases in the last 30 days were "
        "reported from {start} to {end}.",
    ),
    "overview.total": ("合计", "Total"),
    "overview.empty.title": ("还没有数据", "No data yet"),
    "overview.empty.hint": (
        "请先生成演示数据，或导入本地数据。生成演示数据的命令：",
        "Build the demo, or import your own data. To build the demo, run:",
    ),
    "column.street": ("街道", "Street"),
    "column.code": ("代码", "Code"),
    "column.communities": ("社区", "Communities"),
    "column.compounds": ("小区", "Compounds"),
    "column.grid_cells": ("网格", "Grid cells"),
    "column.households": ("户数", "Households"),
    "column.open_cases": ("在办诉求", "Open cases"),
    "column.overdue_cases": ("超期诉求", "Overdue cases"),
    "column.cases_30d": ("近30天诉求", "Cases, last 30 days"),
    "grid.no_rows": ("暂无数据", "No rows to show"),
    "grid.loading": ("加载中…", "Loading…"),
    # Words of the domain (DESIGN.md §3).
    "term.street": ("街道", "street"),
    "term.community": ("社区", "community"),
    "term.compound": ("小区", "compound"),
    "term.grid_cell": ("网格", "grid cell"),
    "term.building": ("楼栋", "building"),
    "term.grid_worker": ("网格员", "grid worker"),
    "term.building_manager": ("楼管", "building manager"),
    "term.committee": ("社区两委", "community committee"),
    "term.property_company": ("物业服务企业", "property company"),
    "term.cross_appointment": ("交叉任职", "cross-appointment"),
    "term.case": ("诉求", "case"),
    "term.visit": ("走访", "visit"),
    "term.overdue": ("超期", "overdue"),
}

_LEVELS = {
    Level.STREET: ("街道", "Street"),
    Level.COMMUNITY: ("社区", "Community"),
    Level.COMPOUND: ("小区", "Compound"),
    Level.GRID: ("网格", "Grid cell"),
}
_ORG_KINDS = {
    OrgKind.COMMITTEE: ("社区两委", "Community committee"),
    OrgKind.PROPERTY_COMPANY: ("物业服务企业", "Property company"),
    OrgKind.OWNERS_COMMITTEE: ("业主委员会", "Owners' committee"),
}
_ROLES = {
    Role.SECRETARY: ("社区党委书记", "Party secretary"),
    Role.DIRECTOR: ("居委会主任", "Residents' committee director"),
    Role.COMMITTEE_MEMBER: ("两委委员", "Committee member"),
    Role.PART_TIME_MEMBER: ("兼职委员", "Part-time committee member"),
    Role.GRID_WORKER: ("网格员", "Grid worker"),
    Role.PROPERTY_ADMINISTRATOR: ("物业管理员", "Property administrator"),
    Role.SERVICE_QUALITY_DIRECTOR: ("服务品质总监", "Service-quality director"),
    Role.PROJECT_MANAGER: ("物业项目经理", "Property project manager"),
    Role.BUILDING_MANAGER: ("楼管", "Building manager"),
    Role.OWNERS_CHAIR: ("业委会主任", "Owners' committee chair"),
}
_STATUSES = {
    CaseStatus.REPORTED: ("上报", "Reported"),
    CaseStatus.REGISTERED: ("立案", "Registered"),
    CaseStatus.DISPATCHED: ("派遣", "Dispatched"),
    CaseStatus.IN_PROGRESS: ("处置", "In progress"),
    CaseStatus.RESOLVED: ("反馈", "Resolved"),
    CaseStatus.VERIFIED: ("核查", "Verified"),
    CaseStatus.CLOSED: ("结案", "Closed"),
    CaseStatus.REJECTED: ("不予立案", "Rejected"),
}
_SOURCES = {
    CaseSource.HOTLINE_12345: ("12345热线", "12345 hotline"),
    CaseSource.GRID_WORKER: ("网格员上报", "Grid worker"),
    CaseSource.DOOR_VISIT: ("幸福来敲门走访", "Door-to-door visit"),
    CaseSource.PROPERTY: ("物业上报", "Property company"),
    CaseSource.MINI_PROGRAM: ("小程序随手拍", "Mini-program photo"),
    CaseSource.PATROL: ("城管巡查", "Urban-management patrol"),
}


def _entries() -> dict[str, tuple[str, str]]:
    """Every key with its (zh, en) text: the UI table plus the names of the domain model."""
    entries = dict(_UI)
    for prefix, table in (
        ("level", _LEVELS),
        ("org", _ORG_KINDS),
        ("role", _ROLES),
        ("status", _STATUSES),
        ("source", _SOURCES),
    ):
        entries.update({f"{prefix}.{member.value}": texts for member, texts in table.items()})
    entries.update({f"category.{c.code}": (c.name_zh, c.name_en) for c in CATEGORIES})
    return entries


def _catalogues() -> Mapping[str, Mapping[str, str]]:
    entries = _entries()
    return MappingProxyType(
        {
            lang: MappingProxyType({key: texts[i] for key, texts in entries.items()})
            for i, lang in enumerate(LANGUAGES)
        }
    )


# Read-only after import: one catalogue per language, key → template.
CATALOGUES: Mapping[str, Mapping[str, str]] = _catalogues()


def resolve_language(requested: object, default: str = DEFAULT_LANGUAGE) -> str:
    """A known language code from a URL value (a string, a list of them, or None), else default."""
    if isinstance(requested, list | tuple):
        requested = requested[0] if requested else None
    if isinstance(requested, str) and requested.strip().lower() in LANGUAGES:
        return requested.strip().lower()
    return default if default in LANGUAGES else DEFAULT_LANGUAGE


def t(key: str, lang: str, **kwargs: object) -> str:
    """The text of `key` in `lang` (unknown languages get zh), with `kwargs` filled in.

    A key missing from the catalogue raises KeyError: keys are literals in the code, and
    the tests check every literal against both catalogues, so none reaches a page raw.
    """
    catalogue = CATALOGUES.get(lang, CATALOGUES[DEFAULT_LANGUAGE])
    try:
        template = catalogue[key]
    except KeyError:
        raise KeyError(f"no translation for {key!r}") from None
    return template.format_map(kwargs)


def category_name(code: str, lang: str) -> str:
    """The name of a case category (model.CATEGORIES) in `lang`."""
    return t(f"category.{code}", lang)


def format_number(value: object, lang: str, decimals: int = 0) -> str:
    """A number with thousands separators (12,345 in both languages); None/NaN → a dash."""
    if isinstance(value, bool) or not isinstance(value, Real) or math.isnan(float(value)):
        return MISSING
    if isinstance(value, Integral) and not decimals:
        return f"{int(value):,d}"
    return f"{float(value):,.{decimals}f}"


def format_date(value: dt.date | None, lang: str) -> str:
    """zh: 2026年11月28日, en: 28 Nov 2026; aware datetimes are shown in local (China) time."""
    if value is None:
        return MISSING
    if isinstance(value, dt.datetime):
        value = value.astimezone(LOCAL_TZ).date() if value.tzinfo else value.date()
    if resolve_language(lang) == "en":
        return f"{value.day} {_MONTHS_EN[value.month - 1]} {value.year}"
    return f"{value.year}年{value.month}月{value.day}日"


def contains_cjk(text: str) -> bool:
    """Whether `text` holds a Chinese/Japanese character or CJK/full-width punctuation."""
    return _CJK.search(text) is not None
