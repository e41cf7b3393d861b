"""The domain model of gridboard: levels, organisations, roles, case life cycle and categories."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from enum import StrEnum
from zoneinfo import ZoneInfo

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


@dataclass(frozen=True)
class Category:
    code: str
    name_zh: str
    name_en: str
    group: str  # "community" or an urban-management event class
    time_limit_hours: int


CATEGORIES: tuple[Category, ...] = (
    Category("stray_animals", "流浪动物", "Stray animals", "community", 72),
    Category("sanitation", "环境卫生", "Sanitation", "市容环境", 48),
    Category("property_fees", "物业收费", "Property fees", "community", 168),
    Category("noise", "噪音扰民", "Noise", "community", 48),
    Category("parking", "停车管理", "Parking", "community", 72),
    Category("repairs", "房屋维修", "Repairs", "community", 120),
    Category("neighbour_disputes", "邻里纠纷", "Neighbour disputes", "community", 168),
    Category("illegal_structures", "违章搭建", "Illegal structures", "市容环境", 240),
    Category("illegal_ads", "乱贴广告", "Illegal ads", "宣传广告", 48),
    Category("construction", "施工扰民", "Construction noise and dust", "施工管理", 72),
    Category("street_vending", "占道经营", "Street vending", "街面秩序", 24),
    Category("emergency", "突发事件", "Emergencies (burst pipes, flooding, fire)", "突发事件", 4),
)
CATEGORY_BY_CODE: dict[str, Category] = {c.code: c for c in CATEGORIES}


def due_time(category: str, dispatched_at: dt.datetime) -> dt.datetime:
    """The clock starts at dispatch; a case is due when its category's time limit has run."""
    return dispatched_at + dt.timedelta(hours=CATEGORY_BY_CODE[category].time_limit_hours)


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
