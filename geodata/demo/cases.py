"""The demo's cases: when, where and what residents report, and how far each case has got."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
import shapely

from ..casework import STREET_ACTOR
from ..model import CATEGORIES, LOCAL_TZ, TIMESTAMP_FIELDS, CaseSource, Role
from ..worktime import WorkClock
from . import history
from ._arrays import ids, run_starts, weighted_draw, words
from ._shapes import TO_LONLAT
from .names import addressed_surnames, mobiles
from .staff import Staff
from .town import TownGeo

CASES_PER_HOUSEHOLD_YEAR = 0.125

_CAT_CODES = tuple(c.code for c in CATEGORIES)
_LIMITS = np.array([c.time_limit for c in CATEGORIES])
_UNITS = np.array([c.time_unit.value for c in CATEGORIES], dtype=object)
_SHARE = {
    "stray_animals": 0.11,
    "sanitation": 0.14,
    "property_fees": 0.09,
    "noise": 0.10,
    "parking": 0.11,
    "repairs": 0.12,
    "neighbour_disputes": 0.07,
    "illegal_structures": 0.05,
    "illegal_ads": 0.05,
    "construction": 0.05,
    "street_vending": 0.07,
    "emergency": 0.04,
}
_FLAT = (1,) * 12
# relative frequency per month, January first
_SEASON = {
    "stray_animals": (0.7, 0.7, 0.9, 1.1, 1.3, 1.4, 1.4, 1.4, 1.3, 1.0, 0.8, 0.7),
    "sanitation": (0.9, 0.9, 1.0, 1.0, 1.1, 1.2, 1.3, 1.3, 1.1, 1.0, 0.9, 0.9),
    "property_fees": (1.5, 1.2, 0.9, 0.8, 0.8, 0.8, 0.8, 0.8, 0.9, 1.0, 1.3, 1.6),
    "noise": (0.7, 0.7, 0.9, 1.0, 1.2, 1.4, 1.5, 1.5, 1.2, 1.0, 0.8, 0.7),
    "parking": _FLAT,
    "repairs": (1.4, 1.2, 0.9, 0.8, 0.8, 1.0, 1.3, 1.2, 0.9, 0.9, 1.2, 1.4),
    "neighbour_disputes": _FLAT,
    "illegal_structures": (0.6, 0.6, 1.1, 1.2, 1.2, 1.1, 1.0, 1.0, 1.1, 1.2, 1.0, 0.7),
    "illegal_ads": _FLAT,
    "construction": (0.4, 0.5, 1.1, 1.3, 1.3, 1.2, 1.0, 1.0, 1.2, 1.3, 1.1, 0.6),
    "street_vending": (0.7, 0.7, 0.9, 1.1, 1.3, 1.4, 1.4, 1.4, 1.2, 1.0, 0.8, 0.7),
    "emergency": (1.4, 1.0, 0.6, 0.6, 0.8, 1.8, 5.0, 4.0, 1.2, 0.6, 0.7, 1.3),
}
_MONTH_VOLUME = (0.85, 0.8, 0.95, 1.0, 1.05, 1.12, 1.2, 1.2, 1.05, 1.0, 0.95, 0.9)
_WEEKDAY_VOLUME = (1.15, 1.1, 1.12, 1.08, 1.0, 0.72, 0.62)  # Monday first
# reports per hour of the day, from midnight; noise and stray animals keep people up
_DAY_HOURS = np.array(
    words("1 0.6 0.4 0.3 0.3 0.5 1.5 3.5 6.5 8.5 8.5 7.5 5 5.5 7.5 8 7.5 6 4.5 4 3.5 3 2.2 1.5"),
    dtype=float,
)
_NIGHT_HOURS = np.array(
    words("3 2.5 1.5 1 0.6 0.6 1 2 3 3.5 3.5 3 2.5 3 3 3 3 3 3.5 4.5 5.5 6.5 6 4.5"), dtype=float
)
_NIGHT_CATEGORIES = ("noise", "stray_animals")
_ROAD_CATEGORIES = ("street_vending", "illegal_ads")
# how often a category arises in old / mid / new compounds, relative to households
_BY_KIND = {
    "stray_animals": (1.6, 1.0, 0.8),
    "sanitation": (1.5, 1.0, 0.8),
    "property_fees": (0.6, 1.0, 1.3),
    "parking": (1.4, 1.0, 1.3),
    "repairs": (1.8, 1.0, 0.6),
    "neighbour_disputes": (1.3, 1.0, 0.9),
    "illegal_structures": (2.0, 1.0, 0.8),
    "construction": (0.7, 1.0, 1.6),
    "emergency": (1.5, 1.0, 0.8),
}
_SOURCES = tuple(s for s in CaseSource if s is not CaseSource.OPEN311)  # none come by it
# where cases come from, in _SOURCES order: hotline, grid worker, door visit, property,
# mini program, patrol; keyed by category code, or by "is a community category"
_SOURCE_MIX = {
    True: (0.39, 0.22, 0.12, 0.13, 0.14, 0.0),
    False: (0.25, 0.30, 0.03, 0.04, 0.13, 0.25),
    "emergency": (0.50, 0.20, 0.0, 0.15, 0.10, 0.05),
}
# share of cases that drag on for weeks or months (disputes, demolitions, leaks)
_HARD = {
    "neighbour_disputes": 0.2,
    "property_fees": 0.15,
    "illegal_structures": 0.2,
    "repairs": 0.1,
}
_PROPERTY_CATEGORIES = ("property_fees", "repairs", "parking", "sanitation")
# sources whose cases are registered within minutes (staff report them themselves)
_QUICK_SOURCES = (
    CaseSource.GRID_WORKER,
    CaseSource.DOOR_VISIT,
    CaseSource.PROPERTY,
    CaseSource.PATROL,
)
_REPORTING_SOURCES = (
    CaseSource.HOTLINE_12345,
    CaseSource.MINI_PROGRAM,
)  # with a reporter on record
_BODIES = {
    "stray_animals": (
        "楼下流浪猫较多，夜间叫声扰民",
        "小区内有流浪狗出没，担心伤到老人孩子",
        "绿化带里流浪猫聚集，气味很大",
        "有人长期投喂流浪猫狗，楼道环境脏乱",
    ),
    "sanitation": (
        "垃圾桶满溢多日无人清运",
        "楼道堆放杂物和垃圾，影响通行",
        "小区门口污水外溢，气味难闻",
        "绿化带内建筑垃圾未清理",
    ),
    "property_fees": (
        "对物业费上涨有异议，要求公示收支明细",
        "物业收取停车费标准不清楚",
        "暖气费与物业费捆绑收取，要求解释",
        "物业服务不到位，业主拒交物业费",
    ),
    "noise": (
        "楼上住户夜间噪音较大，影响休息",
        "广场舞音响声音过大，持续到晚上十点",
        "楼下商户夜间播放音乐扰民",
        "邻居家中装修早上七点前施工",
    ),
    "parking": (
        "消防通道被私家车长期占用",
        "小区内车辆乱停乱放，堵塞出入口",
        "地下车库车位被外来车辆占用",
        "电动车在楼道内充电，存在安全隐患",
    ),
    "repairs": (
        "楼顶漏水，家中墙面发霉",
        "单元门门禁损坏，陌生人随意进出",
        "楼道灯不亮，老人上下楼不便",
        "暖气不热，室温不足十六度",
        "电梯经常停运，困人情况时有发生",
    ),
    "neighbour_disputes": (
        "与邻居因楼道堆物发生纠纷",
        "楼上住户卫生间渗水至楼下，协商未果",
        "邻居在公共区域种菜引发矛盾",
        "因宠物问题与邻居发生争吵，请求调解",
    ),
    "illegal_structures": (
        "一楼住户私自扩建院墙占用绿地",
        "楼顶有住户违规搭建彩钢房",
        "有人在公共绿地私搭棚子",
    ),
    "illegal_ads": (
        "路边电线杆上小广告较多",
        "墙面被喷涂办证小广告",
        "公交站牌贴满非法广告",
    ),
    "construction": (
        "附近工地夜间施工，噪音扰民",
        "工地渣土车未覆盖，扬尘严重",
        "住户装修垃圾乱堆，粉尘较大",
    ),
    "street_vending": (
        "路边流动摊贩占道经营，影响通行",
        "早市摊位占用人行道和车道",
        "商户店外经营，占用人行道",
    ),
    "emergency": (
        "暴雨后路面积水严重，车辆无法通行",
        "地下室进水，请求紧急排水",
        "自来水管道爆裂，路面冒水",
        "楼道内有烟雾，疑似电动车起火",
        "燃气味道较重，怀疑燃气泄漏",
    ),
}
_ROAD_PLACES = np.array(["门口", "东门外", "南门外", "西侧", "北侧", "附近路口"], dtype=object)
_SOURCE_LEADS = {
    CaseSource.HOTLINE_12345: "",
    CaseSource.GRID_WORKER: "网格员上报：",
    CaseSource.DOOR_VISIT: "幸福来敲门走访中，",
    CaseSource.PROPERTY: "物业上报：",
    CaseSource.MINI_PROGRAM: "居民随手拍反映：",
    CaseSource.PATROL: "城管巡查发现",
}


def _category_in(category: np.ndarray, codes: Sequence[str]) -> np.ndarray:
    """Whether each category (an index into CATEGORIES) is one of `codes`."""
    return np.isin(category, [_CAT_CODES.index(c) for c in codes])


def _source_in(source: np.ndarray, sources: Sequence[CaseSource]) -> np.ndarray:
    """Whether each source (an index into CaseSource) is one of `sources`."""
    return np.isin(source, [_SOURCES.index(s) for s in sources])


@dataclass
class _CaseDraw:
    """The per-case arrays built up step by step (all aligned, length n)."""

    reported: np.ndarray  # epoch seconds
    category: np.ndarray  # index into CATEGORIES
    building: np.ndarray = field(default_factory=lambda: np.empty(0, dtype=int))
    x: np.ndarray = field(default_factory=lambda: np.empty(0))
    y: np.ndarray = field(default_factory=lambda: np.empty(0))
    cell: np.ndarray = field(default_factory=lambda: np.empty(0, dtype=int))
    source: np.ndarray = field(default_factory=lambda: np.empty(0, dtype=int))


def _case_times(rng: np.random.Generator, n: int, start: dt.datetime, days: int):
    """Report times following the weekly, seasonal and daily rhythm; and each case's category."""
    dates = pd.date_range(start.date(), periods=days, freq="D")
    weight = np.array(_WEEKDAY_VOLUME)[dates.day_of_week] * np.array(_MONTH_VOLUME)[dates.month - 1]
    weight *= np.linspace(0.95, 1.05, days)  # a slow rise in reporting over the years
    day = np.sort(rng.choice(days, n, p=weight / weight.sum()))
    month = dates.month.to_numpy()[day] - 1
    category = np.empty(n, dtype=int)
    table = np.array([_SHARE[c] * np.array(_SEASON[c]) for c in _CAT_CODES]).T
    cum = np.cumsum(table / table.sum(axis=1, keepdims=True), axis=1)
    u = rng.random(n)
    for m in range(12):
        sel = month == m
        category[sel] = np.minimum(np.searchsorted(cum[m], u[sel]), len(_CAT_CODES) - 1)
    night = _category_in(category, _NIGHT_CATEGORIES)
    hour = np.where(night, weighted_draw(rng, _NIGHT_HOURS, n), weighted_draw(rng, _DAY_HOURS, n))
    seconds = day * 86400 + hour * 3600 + rng.integers(0, 3600, n)
    order = np.argsort(seconds, kind="stable")
    return _CaseDraw(reported=int(start.timestamp()) + seconds[order], category=category[order])


def _case_places(rng: np.random.Generator, draw: _CaseDraw, geo: TownGeo, cell_index) -> None:
    """A building per case (hotspots weigh heavily), and a point near it or on the road outside."""
    b, comp = geo.buildings, geo.compounds
    comp_pos = pd.Index(comp["code"]).get_indexer(b["compound_code"])
    hot = rng.lognormal(0, 0.4, len(comp))
    spots = rng.choice(len(comp), max(1, len(comp) // 12), replace=False)
    hot[spots] = rng.uniform(4, 7, len(spots))  # hotspots: several times the usual rate
    cell_pos = cell_index.get_indexer(b["cell_code"])
    base = (
        b["households"].to_numpy()
        * hot[comp_pos]
        * rng.lognormal(0, 0.35, len(cell_index))[cell_pos]
    )
    kind = pd.Index(["old", "mid", "new"]).get_indexer(comp["kind"])[comp_pos]
    managed = comp["managed"].to_numpy()[comp_pos]
    draw.building = np.empty(len(draw.category), dtype=int)
    for c, code in enumerate(_CAT_CODES):
        sel = np.flatnonzero(draw.category == c)
        w = base * np.array(_BY_KIND.get(code, (1, 1, 1)))[kind]
        if code == "property_fees":
            w = w * np.where(managed, 1.0, 0.05)
        draw.building[sel] = rng.choice(len(b), len(sel), p=w / w.sum())
    xy = shapely.get_coordinates(b.geometry.values)[draw.building]
    r, a = 8.0 * np.sqrt(rng.random(len(xy))), rng.uniform(0, 2 * np.pi, len(xy))
    draw.x, draw.y = xy[:, 0] + r * np.cos(a), xy[:, 1] + r * np.sin(a)
    road = np.flatnonzero(_category_in(draw.category, _ROAD_CATEGORIES))
    rings = comp["ring"].to_numpy()[comp_pos[draw.building[road]]]
    pts = shapely.line_interpolate_point(rings, rng.random(len(road)), normalized=True)
    draw.x[road], draw.y[road] = shapely.get_coordinates(pts).T
    _locate_cells(draw, geo, cell_pos)


def _locate_cells(draw: _CaseDraw, geo: TownGeo, cell_of_building: np.ndarray) -> None:
    """The grid cell each case point falls in (the building's cell if on an edge)."""
    draw.cell = cell_of_building[draw.building].copy()
    tree = shapely.STRtree(geo.cells.geometry.values)
    point, cell = tree.query(shapely.points(draw.x, draw.y), predicate="within")
    draw.cell[point] = cell


def _case_sources(rng: np.random.Generator, draw: _CaseDraw, geo: TownGeo) -> None:
    draw.source = np.empty(len(draw.category), dtype=int)
    for c, category in enumerate(CATEGORIES):
        sel = np.flatnonzero(draw.category == c)
        mix = _SOURCE_MIX.get(category.code) or _SOURCE_MIX[category.major == "community"]
        draw.source[sel] = weighted_draw(rng, mix, len(sel))
    # no property company, no property report: the grid worker reports instead
    managed = geo.buildings["compound_code"].map(geo.compounds.set_index("code")["managed"])
    orphan = ~managed.to_numpy(dtype=bool)[draw.building]
    property_source = draw.source == _SOURCES.index(CaseSource.PROPERTY)
    draw.source[orphan & property_source] = _SOURCES.index(CaseSource.GRID_WORKER)


def _hours(
    rng: np.random.Generator, median: float | np.ndarray, sigma: float, n: int
) -> np.ndarray:
    return np.maximum(60, median * 3600 * rng.lognormal(0, sigma, n)).astype(np.int64)


def _anchors(rng: np.random.Generator, draw: _CaseDraw) -> history.Anchors:
    """Each case's moments as if nothing went wrong; the history decides what happened."""
    n, rep = len(draw.reported), draw.reported
    quick = _source_in(draw.source, _QUICK_SOURCES)
    registered = rep + _hours(rng, np.where(quick, 0.3, 1.5), 0.8, n)
    dispatched = registered + _hours(rng, 0.7, 0.8, n)
    # The work takes a share of the time the category allows on the working-time clock.
    limit = WorkClock().due(dispatched, _LIMITS[draw.category], _UNITS[draw.category]) - dispatched
    accepted = dispatched + (limit * 0.1 * rng.lognormal(0, 0.6, n)).astype(np.int64)
    factor = rng.lognormal(np.log(0.45), 0.5, n)
    hard = rng.random(n) < np.array([_HARD.get(c, 0.04) for c in _CAT_CODES])[draw.category]
    factor[hard] *= rng.uniform(3, 90, int(hard.sum()))
    resolved = accepted + (limit * factor).astype(np.int64)
    closed = resolved + _hours(rng, 16, 0.7, n)  # 核查: a call back or a look on the spot
    rejected = rng.random(n) < 0.03
    rejected_at = rep + _hours(rng, 5, 0.7, n)
    return history.Anchors(
        rep, registered, dispatched, accepted, resolved, closed, rejected, rejected_at
    )


def _people(rng: np.random.Generator, draw: _CaseDraw, geo: TownGeo, staff: Staff):
    """Who works each case: the community's desk (its secretary), the street office, and the
    handler — the grid worker of the case's cell, or the building's 楼管 for property matters —
    with the other of the two where the compound has a property company."""
    cells = geo.cells
    community = cells["community_code"].to_numpy(dtype=object)[draw.cell]
    roles = staff.roles[staff.roles["role"] == Role.SECRETARY.value]
    desk = pd.Series(community).map(roles.set_index("area_code")["person_id"]).to_numpy(object)
    street = STREET_ACTOR + cells["street_code"].to_numpy(dtype=object)[draw.cell]
    worker = staff.workers_of(cells["code"])[draw.cell]
    worker_org = "ORG-COM-" + community
    building = geo.buildings["id"]
    manager = building.map(staff.manager_of_building).to_numpy(dtype=object)[draw.building]
    compound = geo.buildings["compound_code"].to_numpy(dtype=object)[draw.building]
    company = pd.Series(compound).map(staff.company_of_compound).to_numpy(dtype=object)
    prop = _category_in(draw.category, _PROPERTY_CATEGORIES)
    managed = pd.notna(manager)
    use_manager = prop & managed & (rng.random(len(prop)) < 0.6)
    return history.People(
        desk=desk,
        street=street,
        handler=np.where(use_manager, manager, worker),
        handler_org=np.where(use_manager, company, worker_org),
        other=np.where(use_manager, worker, np.where(managed, manager, None)),
        other_org=np.where(use_manager, worker_org, np.where(managed, company, None)),
    )


def _places_text(rng: np.random.Generator, draw: _CaseDraw, geo: TownGeo):
    """Where, in words: "运河花园3号楼2单元" (or "运河花园东门外" on the road), and a flat."""
    n, b = len(draw.category), geo.buildings
    names = geo.compounds.set_index("code")["name"]
    compound = b["compound_code"].map(names).to_numpy(dtype=object)[draw.building]
    unit = rng.integers(1, 4, n).astype(str).astype(object) + "单元"
    loc = compound + b["name"].to_numpy(dtype=object)[draw.building]
    loc = loc + np.where(rng.random(n) < 0.6, unit, "")
    road = _category_in(draw.category, _ROAD_CATEGORIES)
    loc = np.where(road, compound + _ROAD_PLACES[rng.integers(0, len(_ROAD_PLACES), n)], loc)
    floor = rng.integers(1, b["floors"].to_numpy()[draw.building] + 1)
    flat = (floor * 100 + rng.integers(1, 3, n)).astype(str).astype(object) + "室"
    return loc, np.where(road, "", flat)


def _descriptions(
    rng: np.random.Generator, draw: _CaseDraw, geo: TownGeo, caller: np.ndarray, phone: np.ndarray
) -> np.ndarray:
    """Short texts the way 12345 records read, residents' names and phones included."""
    n = len(draw.category)
    loc, flat = _places_text(rng, draw, geo)
    neighbour = addressed_surnames(rng, n)
    hotline = draw.source == _SOURCES.index(CaseSource.HOTLINE_12345)
    visit = draw.source == _SOURCES.index(CaseSource.DOOR_VISIT)
    who = np.where(hotline, caller + "反映", np.where(visit, flat + neighbour + "反映", ""))
    bodies = np.array([body for code in _CAT_CODES for body in _BODIES[code]], dtype=object)
    count = np.array([len(_BODIES[c]) for c in _CAT_CODES])
    first = run_starts(count)
    body = bodies[first[draw.category] + (rng.random(n) * count[draw.category]).astype(int)]
    leads = np.array([_SOURCE_LEADS[s] for s in _SOURCES], dtype=object)[draw.source]
    contact = np.where(hotline & (rng.random(n) < 0.7), "，联系电话" + phone.astype(object), "")
    return leads + loc + who + body + contact + "。"


def simulate_cases(
    rng: np.random.Generator,
    geo: TownGeo,
    staff: Staff,
    start: dt.datetime,
    end: dt.datetime,
    cut: dt.datetime | None = None,
    first_id: int = 1,
) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """Cases reported from `start` to `end`, about one per eight households a year, worked
    through the case machine: (cases, case_work, case_events) as they stand at `cut`
    (default `end`; those reported later are drawn, then left out, so that what comes before
    `cut` does not depend on it). Case ids are numbered from `first_id`."""
    cut = end if cut is None else cut
    days = (end - start).days
    n = int(rng.poisson(CASES_PER_HOUSEHOLD_YEAR * geo.buildings["households"].sum() * days / 365))
    draw = _case_times(rng, n, start, days)
    _case_places(rng, draw, geo, pd.Index(geo.cells["code"]))
    _case_sources(rng, draw, geo)
    when = _anchors(rng, draw)
    reporting = _source_in(draw.source, _REPORTING_SOURCES)
    caller = addressed_surnames(rng, n)
    phone = mobiles(rng, n)
    lon, lat = TO_LONLAT.transform(draw.x, draw.y)
    case_ids = ids("C", first_id, n, 9)
    worked = history.work_cases(
        rng,
        case_ids,
        when,
        _people(rng, draw, geo, staff),
        history.Limits(_LIMITS[draw.category], _UNITS[draw.category]),
        (draw.building, draw.category, draw.x, draw.y),
        int(cut.timestamp()),
        WorkClock(),
    )
    frame = pd.DataFrame(
        {
            "id": case_ids,
            "category": np.array(_CAT_CODES, dtype=object)[draw.category],
            "description": _descriptions(rng, draw, geo, caller, phone),
            "source": np.array([s.value for s in _SOURCES], dtype=object)[draw.source],
            "status": worked.status,
            "lon": lon,
            "lat": lat,
        }
    )
    times = dict(worked.times, reported_at=when.reported)
    for col in (*TIMESTAMP_FIELDS, "due_at"):
        frame[col] = _local_times(times[col])
    frame["assignee_id"] = worked.assignee_id
    frame["reporter_name"] = np.where(reporting, caller, None)
    frame["reporter_phone"] = np.where(reporting, phone, None)
    events = worked.events
    events["at"] = _local_times(events["at"].to_numpy(np.int64))
    frame = frame[when.reported < int(cut.timestamp())].reset_index(drop=True)
    return frame, worked.work, events


def _local_times(seconds: np.ndarray) -> pd.Series:
    utc = pd.Series(seconds.view("datetime64[s]")).dt.tz_localize("UTC")
    return utc.dt.tz_convert(LOCAL_TZ)
