"""The one translation function t(), its zh/en catalogues, and number/date formats per language."""

from __future__ import annotations

import datetime as dt
import math
import re
from collections.abc import Mapping
from numbers import Integral, Real
from types import MappingProxyType

from dashboard.i18n_access import ACCESS_UI
from dashboard.i18n_cases import CASES_UI
from dashboard.i18n_mobile import MOBILE_UI
from dashboard.i18n_routes import ROUTE_UI
from dashboard.i18n_sheet import SHEET_UI
from dashboard.i18n_visitrules import VISITRULES_UI
from dashboard.i18n_wall import WALL_UI
from geodata.model import CATEGORIES, LOCAL_TZ, CaseSource, CaseStatus, Level, OrgKind, Role
from layers.view import LANGUAGES

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
    # Navigation between pages.
    "nav.map": ("地图", "Map"),
    "nav.overview": ("街道一览", "Streets at a glance"),
    # Supervisor map page.
    "map.street": ("街道", "Street"),
    "map.city": ("全市", "Whole city"),
    "map.metric": ("指标", "Measure"),
    "map.window": ("时间", "Period"),
    "map.date_range": ("日期范围", "Date range"),
    "map.category": ("诉求类别", "Case category"),
    "map.all_categories": ("全部类别", "All categories"),
    "map.layers": ("图层", "Layers"),
    "map.label": ("网格治理地图", "Grid governance map"),
    "metric.open_cases": ("在办诉求", "Open cases"),
    "metric.overdue_cases": ("超期诉求", "Overdue cases"),
    "metric.cases_per_1000": ("每千户诉求", "Cases per 1,000 households"),
    "metric.visits_per_100": ("每百户走访", "Visits per 100 households"),
    "metric.days_since_visit": ("距上次走访天数", "Days since the last visit"),
    "unit.cases": ("件", "cases"),
    "unit.per_1000": ("件/千户", "cases per 1,000 households"),
    "unit.per_100": ("户次/百户", "households reached per 100 households"),
    "unit.days": ("天", "days"),
    "window.7d": ("近7天", "7 days"),
    "window.30d": ("近30天", "30 days"),
    "window.90d": ("近90天", "90 days"),
    "window.range": ("自定义", "Custom"),
    "layer.grid": ("网格", "Grid cells"),
    "layer.compound": ("小区", "Compounds"),
    "layer.community": ("社区边界", "Community boundaries"),
    "layer.street": ("街道边界", "Street boundaries"),
    "legend.title": ("{metric}（{unit}）", "{metric} ({unit})"),
    "legend.period": ("{start} 至 {end}", "{start} to {end}"),
    "legend.method": ("按分位数分级；颜色越深数值越大", "Quantile classes; darker means more"),
    "legend.zero": ("无（0）", "None (0)"),
    "legend.no_data": ("无数据", "No data"),
    "legend.areas": ("{count} 处", "{count} areas"),
    "legend.area": ("{count} 处", "{count} area"),
    "legend.open_note": ("在办、超期按时段末计", "Open and overdue at the end of the period"),
    "map.problem.unknown_street": (
        "没有代码为 {value} 的街道，现显示全市。",
        "There is no street with code {value}; the whole city is shown.",
    ),
    "map.problem.bad_value": (
        "链接中的 {param}={value} 无法识别，已改用默认值。",
        "The link's {param}={value} is not understood; the default is used.",
    ),
    "map.notice.no_cases": (
        "{place}在 {start} 至 {end} 没有诉求。",
        "{place} has no cases from {start} to {end}.",
    ),
    "map.notice.no_visits": (
        "{place}在 {start} 至 {end} 没有走访记录。",
        "{place} has no visits from {start} to {end}.",
    ),
    "map.notice.no_areas": (
        "{place}还没有小区或网格。",
        "{place} has no compounds or grid cells yet.",
    ),
    "map.notice.no_layers": ("所有图层都已关闭。", "Every layer is switched off."),
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
    # Area panel and case table (dashboard/panel.py).
    "panel.prompt": (
        "在地图上点击小区或网格，查看责任人、最新诉求和走访情况。",
        "Click a compound or grid cell on the map to see who is responsible, "
        "its latest cases and visits.",
    ),
    "panel.unknown_area": (
        "没有代码为 {code} 的小区或网格。",
        "No compound or grid cell has the code {code}.",
    ),
    "panel.code": ("代码", "Code"),
    "panel.community": ("所属社区", "Community"),
    "panel.households": ("户数", "Households"),
    "panel.property_company": ("物业服务企业", "Property company"),
    "panel.no_property_company": ("无物业", "None"),
    "panel.staff": ("责任人", "Responsible staff"),
    "panel.no_staff": ("暂无登记的责任人。", "No staff recorded for this area."),
    "panel.cross_appointed": ("交叉任职", "Cross-appointed"),
    "panel.phone": ("电话", "Phone"),
    "panel.cases": ("最新 {limit} 条诉求", "Latest {limit} cases"),
    "panel.no_cases": ("这里还没有诉求。", "No cases here yet."),
    "panel.visits": ("走访", "Visits"),
    "panel.last_visit": ("最近走访", "Last visit"),
    "panel.visit_log": ("走访记录（最近 10 条）", "Visit log (latest 10)"),
    "panel.visit_log.line": (
        "{date} · {worker} · {building} · 入户 {n}",
        "{date} · {worker} · {building} · {n} households",
    ),
    "panel.visit_log.follow_up": ("需跟进", "Follow-up"),
    "panel.visit_log.far": ("到达点距楼栋 {m} 米", "Checked in {m} m away"),
    "panel.visit_log.unlocated": ("到达无定位", "Checked in without location"),
    "panel.never_visited": ("无记录", "none on record"),
    "panel.visits_in_window": ("走访次数", "Visits"),
    "panel.households_reached": ("走访户数", "Households reached"),
    "panel.period": ("{start} 至 {end}", "{start} to {end}"),
    "casecol.id": ("诉求编号", "Case no."),
    "casecol.reported": ("上报日期", "Reported"),
    "casecol.category": ("类别", "Category"),
    "casecol.status": ("状态", "Status"),
    "casecol.community": ("社区", "Community"),
    "casecol.compound": ("小区", "Compound"),
    "casecol.grid": ("网格", "Grid cell"),
    "casecol.age_days": ("已过天数", "Age (days)"),
    "casecol.overdue": ("超期", "Overdue"),
    "casecol.reporter": ("反映人", "Reporter"),
    "casecol.reporter_phone": ("联系电话", "Reporter's phone"),
    "casecol.description": ("诉求内容", "Description"),
    "casetable.title": ("诉求列表：{scope}", "Cases: {scope}"),
    "casetable.city": ("全市", "whole city"),
    "casetable.summary": (
        "{start} 至 {end} 上报的诉求，共 {count} 条。",
        "{count} cases reported from {start} to {end}.",
    ),
    "casetable.empty": (
        "{start} 至 {end} 没有上报的诉求。",
        "No cases were reported from {start} to {end}.",
    ),
    "casetable.too_long": (
        "{start} 至 {end} 超过 {days} 天：诉求列表最多列出 {days} 天的诉求，请选短一些的时段。",
        "From {start} to {end} is more than {days} days, the longest period the case table"
        " lists; choose a shorter period.",
    ),
    "view.problem": (
        "页面状态中的 {param}={value} 无法识别，已改用默认值。",
        "The page's {param}={value} is not understood; the default is used.",
    ),
    "casetable.category": ("类别：{name}", "Category: {name}"),
    "casetable.csv": ("下载 CSV", "Download CSV"),
    "agrid.filterOoo": ("筛选…", "Filter…"),
    "agrid.contains": ("包含", "Contains"),
    "agrid.notContains": ("不包含", "Does not contain"),
    "agrid.equals": ("等于", "Equals"),
    "agrid.notEqual": ("不等于", "Does not equal"),
    "agrid.startsWith": ("开头是", "Begins with"),
    "agrid.endsWith": ("结尾是", "Ends with"),
    "agrid.blank": ("为空", "Blank"),
    "agrid.notBlank": ("不为空", "Not blank"),
    "agrid.lessThan": ("小于", "Less than"),
    "agrid.greaterThan": ("大于", "Greater than"),
    "agrid.lessThanOrEqual": ("小于或等于", "Less than or equal to"),
    "agrid.greaterThanOrEqual": ("大于或等于", "Greater than or equal to"),
    "agrid.inRange": ("介于", "Between"),
    "agrid.inRangeStart": ("从", "From"),
    "agrid.inRangeEnd": ("到", "To"),
    "agrid.andCondition": ("并且", "AND"),
    "agrid.orCondition": ("或者", "OR"),
    "agrid.before": ("早于", "Before"),
    "agrid.after": ("晚于", "After"),
    "agrid.noRowsToShow": ("没有符合条件的诉求", "No matching cases"),
    "agrid.loadingOoo": ("加载中…", "Loading…"),
    # Metrics export (layers/export.py): the CSV download and `gridboard export --metrics`.
    "map.download_metrics": ("下载指标", "Download metrics"),
    "export.col.level": ("层级", "Level"),
    "export.col.code": ("代码", "Code"),
    "export.col.name": ("名称", "Name"),
    "export.col.parent_code": ("上级代码", "Parent code"),
    "export.col.street_code": ("街道代码", "Street code"),
    "export.col.community_code": ("社区代码", "Community code"),
    "export.col.households": ("户数", "Households"),
    "export.col.open_cases": ("在办诉求", "Open cases"),
    "export.col.overdue_cases": ("超期诉求", "Overdue cases"),
    "export.col.cases_per_1000": ("每千户诉求", "Cases per 1,000 households"),
    "export.col.visits_per_100": ("每百户走访", "Visits per 100 households"),
    "export.col.days_since_visit": ("距上次走访天数", "Days since the last visit"),
    "export.col.cases": ("时段内诉求", "Cases in the period"),
    "export.col.visits": ("时段内走访次数", "Visits in the period"),
    "export.col.households_reached": ("走访户数", "Households reached"),
    "export.col.last_visit": ("最近走访日期", "Last visit"),
    "export.col.window_first": ("起始日期", "First day"),
    "export.col.window_last": ("截止日期", "Last day"),
    "export.col.category": ("诉求类别", "Case category"),
    # Problems layer (GRIDBOARD_PROBLEMS, written by `gridboard validate --out`).
    "layer.problems": ("问题", "Problems"),
    "problems.title": ("数据问题", "Data problems"),
    "problems.count": ("{count} 处", "{count}"),
    "problems.size": ("{size} 平方米", "{size} m²"),
    "problems.hover": ("{kind}：{area}", "{kind}: {area}"),
    "problem.overlap": ("网格重叠", "Overlap"),
    "problem.gap": ("网格空隙", "Gap"),
    "problem.sliver": ("细碎图斑", "Sliver"),
    "problem.invalid_geometry": ("图形无效", "Invalid geometry"),
    "problem.outside_parent": ("超出上级范围", "Outside its parent"),
    "problem.duplicate_code": ("代码重复", "Duplicate code"),
    "problem.malformed_code": ("代码格式错误", "Malformed code"),
    "problem.no_parent": ("无上级区域", "No parent area"),
    "problem.missing_name": ("缺少名称", "Missing name"),
    "problem.unknown": ("未说明的问题", "Unspecified problem"),
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
    CaseSource.OPEN311: ("Open311 接口", "Open311"),
}


def _entries() -> dict[str, tuple[str, str]]:
    """Every key with its (zh, en) text: the UI table plus the names of the domain model."""
    entries = dict(_UI)
    entries.update(ROUTE_UI)
    entries.update(SHEET_UI)
    entries.update(WALL_UI)
    entries.update(ACCESS_UI)
    entries.update(CASES_UI)
    entries.update(MOBILE_UI)
    entries.update(VISITRULES_UI)
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


def problem_name(kind: str, lang: str) -> str:
    """The name of a problem kind of `gridboard validate` in `lang`; an unknown kind as written."""
    key = f"problem.{kind}"
    return t(key, lang) if key in CATALOGUES[DEFAULT_LANGUAGE] else kind


def export_words(lang: str) -> tuple[dict[str, str], dict[str, dict[str, str]]]:
    """The metrics export's CSV header texts and the words for its level and category keys."""
    keys = [key.removeprefix("export.col.") for key in _UI if key.startswith("export.col.")]
    headers = {key: t(f"export.col.{key}", lang) for key in keys}
    words = {
        "level": {level.value: t(f"level.{level.value}", lang) for level in Level},
        "category": {c.code: category_name(c.code, lang) for c in CATEGORIES},
    }
    return headers, words
