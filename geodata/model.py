"""The domain model of gridboard: levels, organisations, roles, case life cycle and categories."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field, fields
from enum import StrEnum
from zoneinfo import ZoneInfo

from .worktime import LimitUnit, WorkClock

# The cities gridboard serves keep China Standard Time (no daylight saving); stored times are UTC.
LOCAL_TZ = ZoneInfo("Asia/Shanghai")


class Level(StrEnum):
    """Area levels, from the largest down."""

    STREET = "street"
    COMMUNITY = "community"
    COMPOUND = "compound"
    GRID = "grid"


class OrgKind(StrEnum):
    COMMITTEE = "committee"  # 社区"两委"
    PROPERTY_COMPANY = "property_company"  # 物业服务企业
    OWNERS_COMMITTEE = "owners_committee"  # 业主委员会


class Role(StrEnum):
    """Roles a person can hold; one person may hold several (交叉任职)."""

    SECRETARY = "secretary"  # 社区党委书记
    DIRECTOR = "director"  # 居委会主任
    COMMITTEE_MEMBER = "committee_member"  # 两委委员
    PART_TIME_MEMBER = "part_time_member"  # 兼职委员 (a property manager on the committee)
    GRID_WORKER = "grid_worker"  # 网格员
    PROPERTY_ADMINISTRATOR = "property_administrator"  # 物业管理员 (a grid worker in the company)
    SERVICE_QUALITY_DIRECTOR = "service_quality_director"  # 服务品质总监 (a committee member)
    PROJECT_MANAGER = "project_manager"  # 物业项目经理
    BUILDING_MANAGER = "building_manager"  # 楼管
    OWNERS_CHAIR = "owners_chair"  # 业委会主任


class CaseStatus(StrEnum):
    """Case life cycle after the GB/T 30428 family: reported → … → closed, or rejected."""

    REPORTED = "reported"  # 上报
    REGISTERED = "registered"  # 立案
    DISPATCHED = "dispatched"  # 派遣
    IN_PROGRESS = "in_progress"  # 处置
    RESOLVED = "resolved"  # 反馈
    VERIFIED = "verified"  # 核查
    CLOSED = "closed"  # 结案
    REJECTED = "rejected"  # 不予立案


LIFE_CYCLE: tuple[CaseStatus, ...] = (
    CaseStatus.REPORTED,
    CaseStatus.REGISTERED,
    CaseStatus.DISPATCHED,
    CaseStatus.IN_PROGRESS,
    CaseStatus.RESOLVED,
    CaseStatus.VERIFIED,
    CaseStatus.CLOSED,
)
FINAL_STATUSES = frozenset({CaseStatus.CLOSED, CaseStatus.REJECTED})
OPEN_STATUSES = frozenset(set(CaseStatus) - FINAL_STATUSES)


def timestamp_field(status: CaseStatus) -> str:
    """Name of the column/attribute holding the time a case entered `status`."""
    return f"{status.value}_at"


TIMESTAMP_FIELDS: tuple[str, ...] = tuple(timestamp_field(s) for s in CaseStatus)


class CaseSource(StrEnum):
    HOTLINE_12345 = "hotline_12345"  # 12345热线
    GRID_WORKER = "grid_worker"  # 网格员上报
    DOOR_VISIT = "door_visit"  # 幸福来敲门走访
    PROPERTY = "property"  # 物业上报
    MINI_PROGRAM = "mini_program"  # 小程序随手拍
    PATROL = "patrol"  # 城管巡查
    OPEN311 = "open311"  # GeoReport v2 (12345 hotline, residents' app) through the Open311 door


class Responsible(StrEnum):
    """Who a category's cases go to by default."""

    COMMITTEE = "committee"  # 社区居委会
    PROPERTY_COMPANY = "property_company"  # 物业服务企业
    DEPARTMENT = "department"  # a named department (城管, 住建, 应急 …)


@dataclass(frozen=True)
class Category:
    """One row of a city's category catalogue (立案标准); the store keeps the catalogue."""

    code: str
    name_zh: str
    name_en: str
    major: str  # 大类: "community" or an urban-management event class
    minor: str  # 小类 ("" when the major class has none)
    responsible: Responsible
    department: str  # the department's name when responsible is DEPARTMENT, else ""
    time_limit: float  # in time_unit, counted from dispatch
    time_unit: LimitUnit
    register_rule: str = ""  # 立案条件
    close_rule: str = ""  # 结案条件

    def name(self, lang: str) -> str:
        """The category's name in `lang` (Chinese unless English is asked)."""
        return self.name_en if lang == "en" else self.name_zh


def _default(code, zh, en, major, minor, responsible, limit, unit, department=""):
    return Category(code, zh, en, major, minor, responsible, department, limit, unit)


_C, _P, _D = Responsible.COMMITTEE, Responsible.PROPERTY_COMPANY, Responsible.DEPARTMENT
_WH, _WD, _H = LimitUnit.WORK_HOURS, LimitUnit.WORK_DAYS, LimitUnit.HOURS
# The catalogue a new store starts with; each city edits its own (gridboard categories).
CATEGORIES: tuple[Category, ...] = (
    _default("stray_animals", "流浪动物", "Stray animals", "community", "", _C, 3, _WD),
    _default("sanitation", "环境卫生", "Sanitation", "市容环境", "暴露垃圾", _P, 4, _WH),
    _default("property_fees", "物业收费", "Property fees", "community", "", _P, 5, _WD),
    _default("noise", "噪音扰民", "Noise", "community", "", _C, 2, _WD),
    _default("parking", "停车管理", "Parking", "community", "", _P, 3, _WD),
    _default("repairs", "房屋维修", "Repairs", "community", "", _P, 5, _WD),
    _default("neighbour_disputes", "邻里纠纷", "Neighbour disputes", "community", "", _C, 5, _WD),
    _default(
        "illegal_structures",
        "违章搭建",
        "Illegal structures",
        "市容环境",
        "违法搭建",
        _D,
        15,
        _WD,
        "城管执法",
    ),
    _default("illegal_ads", "乱贴广告", "Illegal ads", "宣传广告", "", _D, 1, _WD, "城管执法"),
    _default(
        "construction",
        "施工扰民",
        "Construction noise and dust",
        "施工管理",
        "",
        _D,
        3,
        _WD,
        "住房城乡建设",
    ),
    _default(
        "street_vending", "占道经营", "Street vending", "街面秩序", "", _D, 4, _WH, "城管执法"
    ),
    _default(
        "emergency",
        "突发事件",
        "Emergencies (burst pipes, flooding, fire)",
        "突发事件",
        "",
        _D,
        4,
        _H,
        "应急管理",
    ),
)
CATEGORY_BY_CODE: dict[str, Category] = {c.code: c for c in CATEGORIES}
# The catalogue's fields in order: its table's columns and its files' headers.
CATEGORY_FIELDS: tuple[str, ...] = tuple(f.name for f in fields(Category))


def category_values(category: Category) -> tuple:
    """A category's values in CATEGORY_FIELDS order, its choices as their codes."""
    values = (getattr(category, name) for name in CATEGORY_FIELDS)
    return tuple(v.value if isinstance(v, StrEnum) else v for v in values)


def due_time(category: str, dispatched_at: dt.datetime) -> dt.datetime:
    """When a case of a default category dispatched at `dispatched_at` is due, on the
    default working-time clock (a store's own catalogue and clock: Store.work_clock)."""
    c = CATEGORY_BY_CODE[category]
    return WorkClock().due_at(dispatched_at, c.time_limit, c.time_unit)


@dataclass(frozen=True)
class StaffRole:
    role: Role
    org_id: str
    org_name: str
    org_kind: OrgKind
    area_level: Level
    area_code: str


@dataclass(frozen=True)
class StaffMember:
    """A person responsible for an area, listed once with all the roles they hold anywhere."""

    person_id: str
    name: str
    phone: str
    roles: tuple[StaffRole, ...]

    @property
    def cross_appointed(self) -> bool:
        """交叉任职: roles in both a community committee and a property company."""
        kinds = {r.org_kind for r in self.roles}
        return OrgKind.COMMITTEE in kinds and OrgKind.PROPERTY_COMPANY in kinds


@dataclass
class Case:
    """A resident's request or an observed problem; times are timezone-aware."""

    id: str
    category: str
    description: str
    source: CaseSource | None
    status: CaseStatus
    lon: float
    lat: float
    reported_at: dt.datetime
    times: dict[str, dt.datetime] = field(default_factory=dict)  # timestamp field → time
    due_at: dt.datetime | None = None
    assignee_id: str | None = None
    reporter_name: str | None = None
    reporter_phone: str | None = None
    # Filled by the store when the case is written; never by the caller.
    street_code: str | None = None
    community_code: str | None = None
    compound_code: str | None = None
    grid_code: str | None = None

    @property
    def is_open(self) -> bool:
        return self.status not in FINAL_STATUSES

    def is_overdue(self, at: dt.datetime) -> bool:
        return self.is_open and self.due_at is not None and self.due_at < at
