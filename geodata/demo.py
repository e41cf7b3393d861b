"""Deterministic demo cities: 梁山县水泊街道 (street scale) and 济宁市 (city scale)."""

from __future__ import annotations

import datetime as dt
import math
import sys
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field, replace
from itertools import product

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from pyproj import Transformer
from tqdm import tqdm

from . import codes
from .city import COLUMNS, CityData
from .model import (
    CATEGORIES,
    LIFE_CYCLE,
    LOCAL_TZ,
    TIMESTAMP_FIELDS,
    CaseSource,
    CaseStatus,
    Level,
    OrgKind,
    Role,
)

SCALES = ("street", "city")
METRIC_CRS = "EPSG:32650"  # UTM zone 50N: every Jining county lies in it
_TO_METRIC = Transformer.from_crs("EPSG:4326", METRIC_CRS, always_xy=True)
_TO_LONLAT = Transformer.from_crs(METRIC_CRS, "EPSG:4326", always_xy=True)

CELL_TARGET = 400  # households per grid cell
PARCELS_PER_COMMUNITY = 5.0
MEAN_PARCEL_AREA = 100_000.0  # m², after secondary roads split the large blocks
SPLIT_AREA = 150_000.0  # m², blocks larger than this get secondary roads
CASES_PER_HOUSEHOLD_YEAR = 0.125
ATTENDANCE = 0.85  # share of visit days a grid worker goes out


# --- plans ---------------------------------------------------------------------------------


def _words(text: str) -> tuple[str, ...]:
    return tuple(text.split())


@dataclass(frozen=True)
class _Town:
    county: str
    county_name: str
    lon: float
    lat: float
    street_names: tuple[str, ...]
    river: str  # the curved canal-side or river-side road
    communities: tuple[int, ...] = ()  # communities per street, filled by _plan


@dataclass(frozen=True)
class _Spec:
    name: str
    county_code: str
    days: int  # history length before as_of


_SPECS = {
    "street": _Spec("梁山县水泊街道（演示）", "370832", 365),
    "city": _Spec("济宁市（演示）", "370800", 730),
}

_LIANGSHAN = _Town(
    "370832", "梁山县", 116.09, 35.80, _words("水泊街道 梁山街道 杨营街道"), "运河路"
)
# county towns of 济宁 near their real places; 49 streets in all
_CITY_TOWNS = (
    _Town(
        "370811",
        "任城区",
        116.59,
        35.41,
        _words(
            "古槐街道 济阳街道 阜桥街道 越河街道 南苑街道 仙营街道 金城街道 "
            "许庄街道 观音阁街道 李营街道 唐口街道 安居街道 柳行街道 南张街道"
        ),
        "运河路",
    ),
    _Town(
        "370812",
        "兖州区",
        116.78,
        35.55,
        _words("鼓楼街道 龙桥街道 酒仙桥街道 兴隆庄街道 大安街道 新兖街道"),
        "泗河路",
    ),
    _Town(
        "370881",
        "曲阜市",
        116.99,
        35.58,
        _words("鲁城街道 书院街道 时庄街道 小雪街道 陵城街道"),
        "沂河路",
    ),
    _Town(
        "370883",
        "邹城市",
        116.97,
        35.40,
        _words("钢山街道 千泉街道 凫山街道 峄山街道 太平街道 城东街道 城西街道"),
        "滨河路",
    ),
    _LIANGSHAN,
    _Town(
        "370829", "嘉祥县", 116.34, 35.41, _words("嘉祥街道 卧龙山街道 城南街道 城北街道"), "滨河路"
    ),
    _Town(
        "370830", "汶上县", 116.49, 35.73, _words("汶上街道 中都街道 城东街道 城西街道"), "泉河路"
    ),
    _Town("370828", "金乡县", 116.31, 35.07, _words("金乡街道 高河街道 鱼山街道"), "滨河路"),
    _Town("370827", "鱼台县", 116.65, 35.01, _words("谷亭街道 滨湖街道 城南街道"), "滨湖路"),
)
CITY_COMMUNITIES = 406  # the reported coverage: 49 streets, 406 communities


def _plan(scale: str, rng: np.random.Generator, communities: int | None) -> list[_Town]:
    """The towns to build, each with the number of communities of each of its streets."""
    if scale == "street":
        n = 10 if communities is None else communities
        if not 2 <= n <= 30:
            raise ValueError(f"communities must be between 2 and 30, got {n}")
        return [replace(_LIANGSHAN, street_names=_LIANGSHAN.street_names[:1], communities=(n,))]
    if communities is not None:
        raise ValueError("communities= is only for the street scale")
    n_streets = sum(len(t.street_names) for t in _CITY_TOWNS)
    extra = rng.multinomial(CITY_COMMUNITIES - 5 * n_streets, np.full(n_streets, 1 / n_streets))
    counts = iter(5 + extra)  # at least five communities a street, about eight on average
    return [
        replace(town, communities=tuple(int(next(counts)) for _ in town.street_names))
        for town in _CITY_TOWNS
    ]


# --- name pools ----------------------------------------------------------------------------

_SURNAMES = (
    "王张李刘陈杨赵孙马孔孟朱徐高郭宋吴周胡黄田韩曹冯于董程魏袁许吕姜崔贾侯颜梁石任丁潘秦邵范薛闫路"
    "尹贺段郝武蒋谢唐毛钱付沈杜彭卢仲"
)
_GIVEN = (
    "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超霞平刚华红玉兰英梅琳建国志海波斌鹏辉宇浩凯峰晶婷雪颖佳欣怡晨阳"
    "帅凤秀云莉燕新文博立东晓庆春亮庆冬宁翠荣萍桂莹倩瑞鑫彬慧丹光福德昌永"
)
_MOBILE_PREFIXES = np.array(
    _words(
        "130 131 132 133 134 135 136 137 138 139 150 151 152 153 155 156 157 158 159 176 "
        "177 178 180 181 182 183 185 186 187 188 189 198 199"
    ),
    dtype=object,
)
_LIANGSHAN_COMMUNITIES = _words(
    "水泊社区 青年路社区 新华社区 杏花村社区 金线岭社区 府前社区 公园社区 凤凰城社区 "
    "建设社区 文化社区 龙山社区 北关社区 南关社区 东关社区 西关社区"
)
_COMMUNITY_WORDS = _words(
    "运河 锦绣 水泊 青年路 新华 杏花村 金线岭 府前 公园 凤凰城 建设 文化 古槐 济阳 越河 "
    "南池 太白 仙营 红星 琵琶山 北湖 洸河 龙行 光明 和平 幸福 永安 康乐 安居 兴隆 书院 "
    "鼓楼 龙桥 九仙 鲁城 五马祠 钢山 千泉 凫山 峄山 中都 嘉禾 卧龙 金城 鱼山 谷亭 滨湖 "
    "东门 西门 南门 北门 东关 西关 南关 北关 富民 利民 惠民 为民 新村 东苑 西苑 南苑 北苑 "
    "阳光 朝阳 育才 春晖 绿园 翠园 枣店 许庄 李营 柳行 唐口 观音阁 白石 新兴 兴华 振兴 "
    "胜利 工人 园丁 车站 火炬 科苑 学苑 华苑 金宇 铁塔 府河 泉河 杏坛 颜庙 尼山 孟府 子思 "
    "三迁 亚圣 银河 金桥 如意 吉祥 红旗 东方 前进 双语"
)
_LIANGSHAN_COMPOUNDS = _words("锦绣苑 水泊人家 梁山新村 翰林苑 康乐小区 阳光花园 御景湾 水浒家园")
_COMPOUND_WORDS = _words(
    "锦绣 阳光 幸福 和谐 东方 金色 翡翠 御景 书香 紫荆 丽景 盛世 龙湖 翰林 康乐 水泊 水浒 "
    "梁山 忠义 聚义 杏花 凤凰 泰和 瑞祥 鸿福 嘉禾 银座 金都 福源 富源 鑫源 天和 万福 安泰 "
    "怡景 颐和 君悦 悦澜 清华 星河 枫林 兰亭 荷塘 湖畔 滨河 运河 古槐 琵琶 太白 南池 北湖 "
    "洸府 泗河 尼山 杏坛 鲁源 孔子 曲水 春秋 宏图 祥和 仁和 文昌 状元 金桥 永安 如意 吉祥 "
    "百合 丽水 天润 明珠 香榭 铂悦 海棠 紫薇 玉兰 蓝天 学府 文苑"
)
_COMPOUND_SUFFIXES = _words(
    "花园 小区 家园 苑 新村 雅居 名苑 公馆 华庭 嘉园 新城 府 湾 佳苑 丽都 雅苑 名都 庄园 首府 国际"
)
_OLD_COMPOUNDS = _words(
    "供电局 粮食局 棉纺厂 机械厂 化肥厂 酒厂 烟草公司 邮电局 建筑公司 交通局 水利局 "
    "卫生局 教育局 农机厂 纺织厂 食品厂 印刷厂 电厂 煤建公司 百货公司 供销社 税务局 "
    "人民医院 一中 公安局 法院 财政局 自来水公司 商业局 物资局 二轻局 轴承厂 水泥厂 造纸厂 "
    "啤酒厂 棉麻公司 电业局 气象局 师范学校 林业局 地质队 运输公司 化工厂 面粉厂 油厂 三中"
)
_OLD_SUFFIXES = ("宿舍", "家属院", "小区")
_LIANGSHAN_ROADS = _words(
    "建设路 青年路 水泊中路 杏花村路 公园路 新华路 金线岭路 府前街 凤凰路 梁山大道 "
    "水泊南路 水泊北路 人民路 文化路"
)
_ROAD_WORDS = _words(
    "建设 青年 人民 解放 文化 新华 和平 幸福 育才 振兴 光明 胜利 红星 北湖 太白 车站 工业 "
    "科技 学院 健康 公园 府前 凤凰 英才 金宇 共青团 古槐 洸河 琵琶山 火炬 龙行 荷花 杏花 "
    "翠柳 枣园 中心 永丰 兴业 民主 团结 友谊 丰收 长青 富强 创新 阳光 东风 西城 南环 北环 "
    "东环 西环 政通 齐鲁 明德 通达"
)
_ARTERIAL_SUFFIXES = ("路", "大道", "东路", "西路", "南路", "北路", "中路")
_SECONDARY_SUFFIXES = ("街", "巷", "胡同", "二街", "后街")


# --- small helpers -------------------------------------------------------------------------


def _unique_names(
    rng: np.random.Generator,
    n: int,
    fixed: Sequence[str],
    words: Sequence[str],
    suffixes: Sequence[str],
    exclude: Sequence[str] = (),
) -> list[str]:
    """`n` distinct names: the fixed ones first, then shuffled word+suffix combinations."""
    names = list(dict.fromkeys(fixed))
    taken = set(names) | set(exclude)
    pool = [w + s for w, s in product(words, suffixes) if w + s not in taken]
    pool = [pool[i] for i in rng.permutation(len(pool))]
    names += pool[: max(0, n - len(names))]
    extra = 2
    while len(names) < n:  # pool exhausted: numbered second, third … phases
        names += [f"{p}{_chinese_number(extra)}期" for p in pool[: n - len(names)]]
        extra += 1
    return names[:n]


def _chinese_number(n: int) -> str:
    return "〇一二三四五六七八九十"[n] if n <= 10 else str(n)


def _rotate(u: np.ndarray, v: np.ndarray, theta: float) -> tuple[np.ndarray, np.ndarray]:
    c, s = math.cos(theta), math.sin(theta)
    return u * c - v * s, u * s + v * c


def _unrotate(x: np.ndarray, y: np.ndarray, theta: float) -> tuple[np.ndarray, np.ndarray]:
    return _rotate(x, y, -theta)


def _polygonal(geoms: np.ndarray) -> np.ndarray:
    """Keep only the polygonal parts of intersection results (touching edges give lines)."""
    out = np.asarray(geoms, dtype=object).copy()
    for i in np.flatnonzero(shapely.get_type_id(out) == 7):
        parts = shapely.get_parts(out[i])
        polys = [p for p in parts if shapely.get_type_id(p) in (3, 6)]
        out[i] = shapely.union_all(polys) if polys else shapely.Polygon()
    return out


def _mobiles(rng: np.random.Generator, n: int) -> np.ndarray:
    prefix = _MOBILE_PREFIXES[rng.integers(0, len(_MOBILE_PREFIXES), n)]
    rest = np.char.zfill(rng.integers(0, 10**8, n).astype(str), 8).astype(object)
    return prefix + rest


def _landlines(rng: np.random.Generator, n: int) -> np.ndarray:
    digits = rng.integers(2_000_000, 9_000_000, n).astype(str).astype(object)
    return "0537-" + digits


def _surnames(rng: np.random.Generator, n: int) -> np.ndarray:
    weights = 1 / (np.arange(len(_SURNAMES)) + 3.0)
    pool = np.array(list(_SURNAMES), dtype=object)
    return pool[rng.choice(len(pool), n, p=weights / weights.sum())]


def _person_names(rng: np.random.Generator, n: int) -> np.ndarray:
    given = np.array(list(_GIVEN), dtype=object)
    first = given[rng.integers(0, len(given), n)]
    second = np.where(rng.random(n) < 0.7, given[rng.integers(0, len(given), n)], "")
    return _surnames(rng, n) + first + second


def _ids(prefix: str, start: int, n: int, width: int) -> np.ndarray:
    numbers = np.char.zfill(np.arange(start, start + n).astype(str), width).astype(object)
    return prefix + numbers


def _order_ok(bounds: np.ndarray, seq: np.ndarray) -> bool:
    """True when every cell lying entirely north of another is numbered before it."""
    north = bounds[:, 1][:, None] >= bounds[:, 3][None, :]
    return not np.any(north & (seq[:, None] > seq[None, :]))


# --- the road network ----------------------------------------------------------------------


@dataclass
class _Source:
    """Road centrelines as drawn, before noding; `owner` is a compound index for paths."""

    geoms: list = field(default_factory=list)
    names: list = field(default_factory=list)
    kinds: list = field(default_factory=list)
    owners: list = field(default_factory=list)

    def add(self, geoms: Sequence, names: Sequence[str], kind: str, owners=None) -> None:
        self.geoms += list(geoms)
        self.names += list(names)
        self.kinds += [kind] * len(geoms)
        self.owners += list(owners) if owners is not None else [-1] * len(geoms)


def _wavy_line(rng: np.random.Generator, pos: float, half: float, axis: int, theta: float):
    t = np.linspace(-half, half, int(2 * half / 200) + 1)
    t[1:-1] += rng.uniform(-40, 40, len(t) - 2)
    amp, wave, phase = rng.uniform(0, 45), rng.uniform(1500, 4000), rng.uniform(0, 2 * np.pi)
    off = pos + amp * np.sin(2 * np.pi * t / wave + phase) + rng.normal(0, 8, len(t))
    u, v = (off, t) if axis == 0 else (t, off)
    return shapely.linestrings(*_rotate(u, v, theta))


def _arterials(rng: np.random.Generator, half: float, theta: float) -> list:
    lines = []
    for axis in (0, 1):
        pos = -half - rng.uniform(0, 300)
        while pos < half:
            lines.append(_wavy_line(rng, pos, half + 400, axis, theta))
            pos += rng.uniform(250, 600)
    return lines


def _river(rng: np.random.Generator, radius: float, theta: float):
    """The canal (or river) with its embankment road: a meandering curve across the town."""
    alpha = theta + rng.choice([-1, 1]) * rng.uniform(0.45, 1.0)
    t = np.arange(-2.2 * radius, 2.2 * radius, 40.0)
    off = rng.uniform(-0.3, 0.3) * radius
    for amp, wave in ((rng.uniform(80, 160), rng.uniform(1800, 3000)), (rng.uniform(20, 60), 900)):
        off = off + amp * np.sin(2 * np.pi * t / wave + rng.uniform(0, 2 * np.pi))
    return shapely.linestrings(*_rotate(t, off, alpha))


def _blob(rng: np.random.Generator, radius: float):
    """A town outline: a rotated ellipse with a wobbly edge."""
    a, turn = rng.uniform(1.0, 1.3), rng.uniform(0, np.pi)
    ang = np.linspace(0, 2 * np.pi, 180, endpoint=False)
    r = radius * (
        1 + sum(rng.uniform(0, 0.1) * np.sin(k * ang + rng.uniform(0, 6)) for k in (2, 3, 5))
    )
    x, y = _rotate(r * np.cos(ang) * a, r * np.sin(ang) / a, turn)
    return shapely.polygons(np.column_stack([x, y]))


def _node(lines: Sequence) -> np.ndarray:
    """Split lines at every crossing and drop the dead ends (overshoots past a crossing)."""
    edges = shapely.get_parts(shapely.node(shapely.multilinestrings(list(lines))))
    while len(edges):
        ends = np.vstack([shapely.get_coordinates(shapely.get_point(edges, i)) for i in (0, -1)])
        _, inverse, counts = np.unique(ends, axis=0, return_inverse=True, return_counts=True)
        degree = counts[inverse.ravel()].reshape(2, -1)
        keep = (degree > 1).all(axis=0)
        if keep.all():
            break
        edges = edges[keep]
    return edges


def _faces(lines: Sequence, inside) -> np.ndarray:
    """Faces of the noded network lying mostly in `inside`."""
    faces = shapely.get_parts(shapely.polygonize(_node(lines)))
    share = shapely.area(shapely.intersection(faces, inside)) / shapely.area(faces)
    return faces[share > 0.5]


def _secondaries(rng: np.random.Generator, blocks: np.ndarray, theta: float) -> list:
    """Secondary roads across the large blocks, perpendicular to their long side."""
    lines = []
    for block in blocks[shapely.area(blocks) > SPLIT_AREA]:
        n = min(2, int(shapely.area(block) // SPLIT_AREA))
        u, v = _unrotate(*shapely.get_coordinates(block).T, theta)
        (lo, hi), (lo2, hi2) = (u.min(), u.max()), (v.min(), v.max())
        swap = hi - lo < hi2 - lo2
        if swap:
            (lo, hi), (lo2, hi2) = (lo2, hi2), (lo, hi)
        for i in range(n):
            pos = lo + (hi - lo) * ((i + 1) / (n + 1) + rng.uniform(-0.08, 0.08))
            tilt = rng.normal(0, 0.04) * (hi2 - lo2)
            a = np.array([pos - tilt, pos + tilt])
            b = np.array([lo2 - 50, hi2 + 50])
            a, b = (b, a) if swap else (a, b)
            line = shapely.linestrings(*_rotate(a, b, theta))
            clipped = shapely.get_parts(shapely.intersection(line, shapely.buffer(block, 2)))
            lines += [g for g in clipped if g.geom_type == "LineString" and g.length > 30]
    return lines


def _road_edges(source: _Source, town) -> gpd.GeoDataFrame:
    """The noded network inside the town, merged per drawn road, named and kinded."""
    edges = _node(source.geoms)
    mid = shapely.line_interpolate_point(edges, 0.5, normalized=True)
    edges = edges[shapely.contains(shapely.buffer(town, 0.5), mid)]
    mid = shapely.line_interpolate_point(edges, 0.5, normalized=True)
    tree = shapely.STRtree(source.geoms)
    owner = tree.query_nearest(mid, all_matches=False)[1]
    rows = []
    for src in np.unique(owner):
        merged = shapely.line_merge(shapely.multilinestrings(list(edges[owner == src])))
        rows += [(g, src) for g in shapely.get_parts(merged)]
    geoms, srcs = zip(*rows, strict=True)
    srcs = np.array(srcs)
    return gpd.GeoDataFrame(
        {
            "name": np.array(source.names, dtype=object)[srcs],
            "kind": np.array(source.kinds, dtype=object)[srcs],
            "owner": np.array(source.owners)[srcs],
        },
        geometry=list(geoms),
    )


# --- compounds and buildings ---------------------------------------------------------------

# floors to choose from, units (stairwells) per building, row and column spacing in metres
_KINDS = {
    "old": ((5, 6, 6, 7), (3, 4, 5), 34.0, 30.0),
    "mid": ((6, 7, 11, 12, 15, 18), (2, 3), 46.0, 40.0),
    "new": ((18, 24, 26, 28, 30, 32, 33), (2,), 66.0, 52.0),
}


def _compound_kinds(rng: np.random.Generator, dist: np.ndarray) -> np.ndarray:
    """老旧小区 near the old centre, high-rise estates towards the edge."""
    rel = dist / max(dist.max(), 1.0)
    p_old = np.clip(0.45 - 0.5 * rel, 0.05, None)
    p_new = np.clip(0.15 + 0.5 * rel, None, 0.6)
    u = rng.random(len(dist))
    kinds = np.where(u < p_old, "old", np.where(u < p_old + p_new, "new", "mid"))
    central = [i for i in np.argsort(dist, kind="stable") if kinds[i] != "old"]
    missing = max(1, len(dist) // 12) - int((kinds == "old").sum())  # a few 老旧小区 at least
    kinds[central[: max(0, missing)]] = "old"
    return kinds


def _layout(rng: np.random.Generator, compound, kind: str, theta: float):
    """Building points in rows (rotated with the street grid) and the rows' positions."""
    floors, units, dv, du = _KINDS[kind]
    dv, du = dv * rng.uniform(0.9, 1.15), du * rng.uniform(0.9, 1.15)
    inner = shapely.buffer(compound, -12.0, join_style="mitre")
    if inner.is_empty:
        inner = compound
    u, v = _unrotate(*shapely.get_coordinates(inner).T, theta)
    rows = np.arange(v.max() - dv * rng.uniform(0.3, 0.7), v.min(), -dv)
    cols = np.arange(u.min() + du * rng.uniform(0.3, 0.7), u.max(), du)
    uu, vv = np.meshgrid(cols, rows)
    uu = uu + (np.arange(len(rows))[:, None] % 2) * du * rng.uniform(0, 0.4)
    uu, vv = uu.ravel() + rng.uniform(-2, 2, uu.size), vv.ravel() + rng.uniform(-2, 2, vv.size)
    x, y = _rotate(uu, vv, theta)
    inside = shapely.contains_xy(inner, x, y)
    if not inside.any():
        p = shapely.point_on_surface(inner)
        x, y, inside = np.array([p.x]), np.array([p.y]), np.array([True])
    x, y = x[inside], y[inside]
    fl = rng.choice(floors, len(x))
    un = rng.choice(units, len(x))
    hh = np.clip(fl * un * 2, 30, 150)
    return x, y, fl, hh, rows


def _paths(compound, rows: np.ndarray, parcel, theta: float) -> list:
    """A lane through the middle of the compound, between two rows of buildings."""
    if len(rows) < 2:
        return []
    mid = len(rows) // 2
    v = (rows[mid - 1] + rows[mid]) / 2
    u, _ = _unrotate(*shapely.get_coordinates(parcel).T, theta)
    line = shapely.linestrings(
        *_rotate(np.array([u.min() - 50, u.max() + 50]), np.full(2, v), theta)
    )
    parts = shapely.get_parts(shapely.intersection(line, shapely.buffer(parcel, 2)))
    return [p for p in parts if p.geom_type == "LineString" and p.length > 40]


# --- streets, communities and grid cells ---------------------------------------------------


def _bisect(u: np.ndarray, v: np.ndarray, w: np.ndarray, res: np.ndarray, shares: Sequence[float]):
    """Label parcels 0..k-1 by recursive bisection: contiguous groups of the given weight shares.

    Every group gets at least one residential parcel (`res`).
    """
    labels = np.zeros(len(u), dtype=int)
    _bisect_into(labels, np.arange(len(u)), u, v, w, res, list(shares), 0)
    return labels


def _bisect_into(labels, idx, u, v, w, res, shares, first) -> None:
    k = len(shares)
    if k == 1:
        labels[idx] = first
        return
    k1 = k // 2
    axis = u if np.ptp(u[idx]) >= np.ptp(v[idx]) else v
    order = idx[np.argsort(axis[idx], kind="stable")]
    cum_w, cum_r = np.cumsum(w[order]), np.cumsum(res[order])
    target = cum_w[-1] * sum(shares[:k1]) / sum(shares)
    split = np.arange(1, len(order))
    ok = (cum_r[split - 1] >= k1) & (cum_r[-1] - cum_r[split - 1] >= k - k1)
    cost = np.abs(cum_w[split - 1] - target) + np.where(ok, 0, np.inf)
    s = split[np.argmin(cost)]
    _bisect_into(labels, order[:s], u, v, w, res, shares[:k1], first)
    _bisect_into(labels, order[s:], u, v, w, res, shares[k1:], first + k1)


def _cuts(
    coord: np.ndarray, weight: np.ndarray, pieces: int, shift: float = 0.0, min_gap: float = 1.0
) -> np.ndarray:
    """Cut positions splitting points into `pieces` runs of about equal weight along `coord`.

    A cut lies midway between two neighbouring points, preferably where they are at least
    `min_gap` apart, and never through a point.
    """
    c = np.sort(coord)
    w = weight[np.argsort(coord)]
    cum, gaps = np.cumsum(w), np.diff(c)
    # a cut squeezed between two close buildings costs as much as missing the target by 30;
    # the margin keeps every building clearly on one side after reprojection
    penalty = np.where(gaps <= 0, np.inf, np.where(gaps < min_gap, 30.0, 0.0))
    cuts, prev = [], 0
    for p in range(1, pieces):
        split = np.arange(prev + 1, len(c) - (pieces - p) + 1)
        cost = np.abs(cum[split - 1] - cum[-1] * (p + shift) / pieces) + penalty[split - 1]
        if not np.isfinite(cost).any():
            break
        s = split[np.argmin(cost)]
        cuts.append((c[s - 1] + c[s]) / 2)
        prev = s
    return np.array(cuts)


def _partition(poly, bx: np.ndarray, by: np.ndarray, bh: np.ndarray, strips: int, shift: float):
    """Cut a community into strips (at household quantiles of y), each strip into cells (of x).

    The cutting boxes share their edges exactly, so the cells tile the community. Returns
    the cells, the cell of each building and the strip of each cell (0 = southernmost).
    """
    minx, miny, maxx, maxy = shapely.bounds(poly)
    ycuts = _cuts(by, bh, strips, shift)
    yedges = np.concatenate([[miny - 1], ycuts, [maxy + 1]])
    strip = np.searchsorted(ycuts, by)
    boxes, rows, cell = [], [], np.empty(len(bx), dtype=int)
    for j in range(len(yedges) - 1):
        m = strip == j
        k = min(int(m.sum()), _cell_count(bh[m].sum()))
        xcuts = _cuts(bx[m], bh[m], k)
        xedges = np.concatenate([[minx - 1], xcuts, [maxx + 1]])
        cell[m] = len(boxes) + np.searchsorted(xcuts, bx[m])
        boxes += list(shapely.box(xedges[:-1], yedges[j], xedges[1:], yedges[j + 1]))
        rows += [j] * (len(xedges) - 1)
    cells = _polygonal(shapely.intersection(poly, np.array(boxes, dtype=object)))
    return cells, cell, np.array(rows)


def _cell_count(households: float) -> int:
    """The number of cells whose mean size is nearest CELL_TARGET (by ratio)."""
    low = max(1, math.floor(households / CELL_TARGET))
    return min((low, low + 1), key=lambda k: abs(math.log(households / (k * CELL_TARGET))))


def _reads_in_strips(bounds: np.ndarray, strip: np.ndarray, seq: np.ndarray) -> bool:
    """True when the numbering runs strip by strip from the north, west to east within a
    strip, and no cell lying entirely north of another comes after it."""
    midx = (bounds[:, 0] + bounds[:, 2]) / 2
    expected = np.empty(len(seq), dtype=int)
    expected[np.lexsort((midx, -strip))] = np.arange(1, len(seq) + 1)
    return bool((expected == seq).all()) and _order_ok(bounds, seq)


def _cells(poly, bx: np.ndarray, by: np.ndarray, bh: np.ndarray):
    """Grid cells of one community, their sequence numbers and each building's cell.

    The official numbering (codes.grid_sequence_order) reads rows from the cells' bounds; a
    cell covering only the top of its strip can open a row of its own. Other strip counts
    are tried until the numbering reads strip by strip.
    """
    minx, miny, maxx, maxy = shapely.bounds(poly)
    k = _cell_count(bh.sum())
    r = int(np.clip(round(math.sqrt(k * (maxy - miny) / max(maxx - minx, 1.0))), 1, k))
    first = None
    # k strips of one cell each always read in strips; nearer counts look better
    counts = sorted(range(1, k + 1), key=lambda s: (abs(s - r), s))
    for strips, shift in product(counts, (0.0, 0.3, -0.3)):
        cells, cell, strip = _partition(poly, bx, by, bh, strips, shift)
        bounds = shapely.bounds(cells)
        seq = codes.grid_sequence_order(*bounds.T)
        if _reads_in_strips(bounds, strip, seq):
            return cells, seq, cell
        first = first or (cells, seq, cell)
    return first


# --- one town ------------------------------------------------------------------------------


@dataclass
class _TownGeo:
    """One town's tables in metres (EPSG:32650), before people and history."""

    streets: gpd.GeoDataFrame
    communities: gpd.GeoDataFrame
    compounds: gpd.GeoDataFrame
    cells: gpd.GeoDataFrame
    buildings: gpd.GeoDataFrame
    roads: gpd.GeoDataFrame


def _build_town(rng: np.random.Generator, town: _Town, community_names: Iterator[str]) -> _TownGeo:
    theta = rng.uniform(-0.25, 0.25)
    radius = math.sqrt(sum(town.communities) * PARCELS_PER_COMMUNITY * MEAN_PARCEL_AREA / math.pi)
    source = _Source()
    arterials = _arterials(rng, 1.35 * radius, theta)
    river = _river(rng, radius, theta)
    blocks = _faces([*arterials, river], _blob(rng, radius))
    outline = shapely.coverage_union_all(blocks)
    secondaries = _secondaries(rng, blocks, theta)
    parcels = _faces([*arterials, river, *secondaries], outline)

    comp = _compounds(rng, parcels, theta, need=2 * sum(town.communities))
    paths = [
        (p, i)
        for i, (c, rows) in enumerate(zip(comp["geometry"], comp["rows"], strict=True))
        for p in _paths(c, rows, parcels[comp["parcel"][i]], theta)
    ]
    road_names = _unique_names(
        rng,
        len(arterials) + 1,
        _LIANGSHAN_ROADS if town.county == _LIANGSHAN.county else (),
        _ROAD_WORDS,
        _ARTERIAL_SUFFIXES,
        exclude=(town.river,),
    )
    source.add(arterials, road_names[: len(arterials)], "arterial")
    source.add([river], [town.river], "arterial")
    source.add(
        secondaries,
        _unique_names(rng, len(secondaries), (), _ROAD_WORDS, _SECONDARY_SUFFIXES, road_names),
        "secondary",
    )
    source.add([p for p, _ in paths], [""] * len(paths), "path", [i for _, i in paths])
    roads = _road_edges(source, outline)
    return _areas(rng, town, parcels, comp, roads, river, community_names, theta)


def _compounds(rng: np.random.Generator, parcels: np.ndarray, theta: float, need: int) -> dict:
    """One compound per residential parcel (the block inside the roads), with its buildings.

    About one parcel in six is left for parks, schools and markets; at least `need` are
    residential.
    """
    width = rng.uniform(8, 15, len(parcels))  # half the width of the surrounding roads
    shrunk = shapely.buffer(parcels, -width, join_style="mitre")
    fits = (shapely.area(parcels) > 25_000) & (shapely.area(shrunk) > 12_000)
    residential = fits & (rng.random(len(parcels)) > 0.15)
    spare = [i for i in np.argsort(-shapely.area(shrunk), kind="stable") if not residential[i]]
    residential[spare[: max(0, need - int(residential.sum()))]] = True
    idx = np.flatnonzero(residential)
    centre = shapely.get_coordinates(shapely.centroid(parcels[idx]))
    kinds = _compound_kinds(rng, np.hypot(*centre.T))
    out = {"parcel": idx, "kind": kinds, "rows": [], "buildings": []}
    out["geometry"] = [_largest(g) for g in shrunk[idx]]
    for geom, kind in zip(out["geometry"], kinds, strict=True):
        x, y, floors, hh, rows = _layout(rng, geom, kind, theta)
        out["rows"].append(rows)
        out["buildings"].append((x, y, floors, hh))
    return out


def _largest(geom):
    parts = shapely.get_parts(geom)
    return parts[np.argmax(shapely.area(parts))]


def _divide(town: _Town, parcels: np.ndarray, comp: dict, theta: float):
    """Street and community (index within the town) of every parcel, by household weight."""
    hh = np.zeros(len(parcels))
    hh[comp["parcel"]] = [b[3].sum() for b in comp["buildings"]]
    res = (hh > 0).astype(int)
    pts = shapely.get_coordinates(shapely.point_on_surface(parcels))
    u, v = _unrotate(pts[:, 0], pts[:, 1], theta)
    street = _bisect(u, v, hh, res, town.communities)
    community = np.empty(len(parcels), dtype=int)
    offset = 0
    for s, n in enumerate(town.communities):
        m = street == s
        community[m] = offset + _bisect(u[m], v[m], hh[m], res[m], [1.0] * n)
        offset += n
    return street, community


def _reading_order(geoms: np.ndarray) -> np.ndarray:
    return codes.grid_sequence_order(*shapely.bounds(np.asarray(geoms, dtype=object)).T)


def _union_by(parcels: np.ndarray, labels: np.ndarray, n: int) -> np.ndarray:
    return np.array(
        [shapely.coverage_union_all(parcels[labels == i]) for i in range(n)], dtype=object
    )


def _codes_within(
    parents: np.ndarray, geoms: np.ndarray, parent_codes: np.ndarray, make
) -> np.ndarray:
    """Codes of child areas numbered in reading order within each parent."""
    out = np.empty(len(geoms), dtype=object)
    for p in np.unique(parents):
        m = np.flatnonzero(parents == p)
        out[m] = [make(parent_codes[p], int(s)) for s in _reading_order(geoms[m])]
    return out


def _areas(
    rng: np.random.Generator,
    town: _Town,
    parcels: np.ndarray,
    comp: dict,
    roads: gpd.GeoDataFrame,
    river,
    community_names: Iterator[str],
    theta: float,
) -> _TownGeo:
    """Streets, communities, compounds, buildings and cells of one town, moved into UTM."""
    street_of, comm_of = _divide(town, parcels, comp, theta)
    streets, communities = _street_frames(town, parcels, street_of, comm_of)
    compounds = _compound_frame(rng, comp, comm_of[comp["parcel"]], communities, parcels)
    _name_places(rng, town, communities, compounds, river, community_names)
    buildings = _town_buildings(comp, compounds["code"].to_numpy())
    cells = _town_cells(communities, compounds, buildings)
    _place_services(rng, town, streets, communities, compounds, parcels, comm_of, roads)
    paths = roads["kind"] == "path"
    owners = roads.loc[paths, "owner"].to_numpy()
    roads.loc[paths, "name"] = compounds["name"].to_numpy()[owners] + "内部道路"
    geo = _TownGeo(streets, communities, compounds, cells, buildings, roads.drop(columns="owner"))
    return _shifted(geo, np.array(_TO_METRIC.transform(town.lon, town.lat)))


def _street_frames(town: _Town, parcels: np.ndarray, street_of: np.ndarray, comm_of: np.ndarray):
    """Streets and communities as unions of parcels, coded in reading order."""
    street_geom = _union_by(parcels, street_of, len(town.communities))
    seq = _reading_order(street_geom)
    street_codes = np.array([codes.street_code(town.county, int(s)) for s in seq], dtype=object)
    names = np.array(town.street_names, dtype=object)[seq - 1]
    streets = _frame({"code": street_codes, "name": names}, street_geom)
    comm_geom = _union_by(parcels, comm_of, sum(town.communities))
    parent = np.array([street_of[np.argmax(comm_of == i)] for i in range(len(comm_geom))])
    communities = _frame(
        {
            "code": _codes_within(parent, comm_geom, street_codes, codes.community_code),
            "name": None,
            "street_code": street_codes[parent],
        },
        comm_geom,
    )
    return streets, communities


def _compound_frame(
    rng: np.random.Generator,
    comp: dict,
    comp_comm: np.ndarray,
    communities: gpd.GeoDataFrame,
    parcels: np.ndarray,
) -> gpd.GeoDataFrame:
    geoms = np.array(comp["geometry"], dtype=object)
    comm_codes = communities["code"].to_numpy(dtype=object)
    old = comp["kind"] == "old"
    unmanaged = old & (rng.random(len(geoms)) < 0.6)  # 老旧小区 without a property company
    unmanaged[np.flatnonzero(old)[:1]] = True
    kerb = shapely.buffer(parcels[comp["parcel"]], -3.0, join_style="mitre")
    return _frame(
        {
            "code": _codes_within(comp_comm, geoms, comm_codes, codes.compound_code),
            "name": None,
            "community_code": comm_codes[comp_comm],
            "street_code": communities["street_code"].to_numpy(dtype=object)[comp_comm],
            "households": [b[3].sum() for b in comp["buildings"]],
            "property_company_id": None,
            "address": None,
            "kind": comp["kind"],
            "managed": ~unmanaged,
            "community": comp_comm,  # position in the town's communities
            # the road surface just outside the compound: street vending and ads happen here
            "ring": shapely.get_exterior_ring(_largest_array(kerb)),
        },
        geoms,
    )


def _name_places(
    rng: np.random.Generator,
    town: _Town,
    communities: gpd.GeoDataFrame,
    compounds: gpd.GeoDataFrame,
    river,
    community_names: Iterator[str],
) -> None:
    """Name communities and compounds; 水泊街道 gets its landmarks."""
    comm_names, fixed = {}, {}
    shuipo = codes.street_code(_LIANGSHAN.county, 1)
    if town.county == _LIANGSHAN.county:
        in_street = np.flatnonzero(communities["street_code"] == shuipo)
        sub = np.flatnonzero(compounds["street_code"] == shuipo)
        names, comps = _special_names(
            rng,
            communities.geometry.to_numpy()[in_street],
            compounds.geometry.to_numpy()[sub],
            np.searchsorted(in_street, compounds["community"].to_numpy()[sub]),
            river,
            compounds["households"].to_numpy()[sub],
            compounds["kind"].to_numpy()[sub],
        )
        comm_names = {int(in_street[i]): n for i, n in names.items()}
        fixed = {int(sub[i]): n for i, n in comps.items()}
        compounds.loc[[i for i, n in fixed.items() if n == "运河花园"], "managed"] = True
    communities["name"] = [
        comm_names.get(i) or next(community_names) for i in range(len(communities))
    ]
    compounds["name"] = _compound_names(rng, compounds["kind"].to_numpy(), fixed)


def _special_names(
    rng: np.random.Generator,
    comm_geom: np.ndarray,
    comp_geom: np.ndarray,
    comp_comm: np.ndarray,
    river,
    hh: np.ndarray,
    kinds: np.ndarray,
) -> tuple[dict[int, str], dict[int, str]]:
    """水泊街道's landmarks: 运河社区 on the canal with 运河花园, 锦绣社区, 东方新天地 …"""
    along = shapely.length(shapely.intersection(river, comm_geom))
    canal = int(np.argmax(along))
    jinxiu = next(i for i in range(len(comm_geom)) if i != canal)
    comms = {canal: "运河社区", jinxiu: "锦绣社区"}
    rest = [i for i in range(len(comm_geom)) if i not in comms]
    comms |= dict(zip(rest, _LIANGSHAN_COMMUNITIES, strict=False))
    in_canal = np.flatnonzero(comp_comm == canal)
    garden = int(in_canal[np.argmin(shapely.distance(comp_geom[in_canal], river))])
    comps = {garden: "运河花园"}
    # the largest newer estate elsewhere (or any other compound in a very small street)
    others = np.flatnonzero((comp_comm != canal) & (kinds != "old"))
    others = others if len(others) else np.setdiff1d(np.arange(len(comp_geom)), [garden])
    if len(others):
        comps[int(others[np.argmax(hh[others])])] = "东方新天地"
    in_jinxiu = np.flatnonzero(comp_comm == jinxiu)
    if len(in_jinxiu) and int(in_jinxiu[0]) not in comps:
        comps[int(in_jinxiu[0])] = "锦绣苑"
    free = [int(i) for i in rng.permutation(len(comp_geom)) if int(i) not in comps]
    fixed = [n for n in _LIANGSHAN_COMPOUNDS if n not in comps.values()]
    comps |= dict(zip(free, fixed, strict=False))
    return comms, comps


def _compound_names(
    rng: np.random.Generator, kinds: np.ndarray, fixed: dict[int, str]
) -> np.ndarray:
    """Distinct names within the town: works' quarters (宿舍) for old compounds."""
    names = np.empty(len(kinds), dtype=object)
    for i, n in fixed.items():
        names[i] = n
    todo = np.array([i for i in range(len(kinds)) if i not in fixed], dtype=int)
    taken = [*fixed.values(), "运河花园", "东方新天地"]
    old = todo[kinds[todo] == "old"]
    names[old] = _unique_names(rng, len(old), (), _OLD_COMPOUNDS, _OLD_SUFFIXES, taken)
    new = todo[kinds[todo] != "old"]
    names[new] = _unique_names(rng, len(new), (), _COMPOUND_WORDS, _COMPOUND_SUFFIXES, taken)
    return names


def _community_name_pool(rng: np.random.Generator) -> Iterator[str]:
    """City-wide distinct community names; 水泊街道's own names are kept out."""
    reserved = {"运河社区", "锦绣社区", *_LIANGSHAN_COMMUNITIES}
    base = [w + "社区" for w in _COMMUNITY_WORDS if w + "社区" not in reserved]
    yield from (base[i] for i in rng.permutation(len(base)))
    yield from _unique_names(
        rng, 2000, (), _COMMUNITY_WORDS, ("东社区", "西社区", "南社区", "北社区")
    )


def _place_services(
    rng: np.random.Generator,
    town: _Town,
    streets: gpd.GeoDataFrame,
    communities: gpd.GeoDataFrame,
    compounds: gpd.GeoDataFrame,
    parcels: np.ndarray,
    comm_of: np.ndarray,
    roads: gpd.GeoDataFrame,
) -> None:
    """Service halls, and the addresses of halls and compounds."""
    street_names = communities["street_code"].map(streets.set_index("code")["name"])
    prefix = town.county_name + street_names.to_numpy(dtype=object)
    halls = _halls(communities.geometry.to_numpy(), parcels, comm_of)
    communities["hall_x"], communities["hall_y"] = halls[:, 0], halls[:, 1]
    communities["hall_address"] = _addresses(rng, prefix, halls, roads)
    gates = shapely.get_coordinates(shapely.point_on_surface(compounds.geometry.to_numpy()))
    compounds["address"] = _addresses(rng, prefix[compounds["community"]], gates, roads)


def _halls(comm_geom: np.ndarray, parcels: np.ndarray, comm_of: np.ndarray) -> np.ndarray:
    """A service hall on a road near each community's centre (nudged a few metres inside)."""
    out = []
    for i, geom in enumerate(comm_geom):
        lines = shapely.union_all(shapely.boundary(parcels[comm_of == i]))
        centre = shapely.centroid(geom)
        road = shapely.get_coordinates(shapely.shortest_line(lines, centre))[0]
        step = shapely.get_coordinates(centre)[0] - road
        dist = float(np.hypot(*step))
        p = road + (step / dist * min(6.0, dist / 2) if dist else 0)
        out.append(p if shapely.contains_xy(geom, *p) else road)
    return np.array(out)


def _addresses(
    rng: np.random.Generator, prefix: np.ndarray, xy: np.ndarray, roads: gpd.GeoDataFrame
) -> np.ndarray:
    """ "梁山县水泊街道运河路88号": the nearest named road and a house number."""
    named = roads[roads["kind"] != "path"]
    nearest = shapely.STRtree(named.geometry.to_numpy()).query_nearest(
        shapely.points(xy), all_matches=False
    )[1]
    numbers = rng.integers(1, 300, len(xy)).astype(str).astype(object)
    return prefix + named["name"].to_numpy(dtype=object)[nearest] + numbers + "号"


def _largest_array(geoms: np.ndarray) -> np.ndarray:
    return np.array([_largest(g) for g in geoms], dtype=object)


def _frame(columns: dict, geoms) -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame(columns, geometry=list(geoms))


def _town_buildings(comp: dict, comp_codes: np.ndarray) -> gpd.GeoDataFrame:
    """Buildings numbered 1号楼, 2号楼 … row by row from the north of each compound."""
    parts = []
    for code, (x, y, floors, hh) in zip(comp_codes, comp["buildings"], strict=True):
        n = np.arange(1, len(x) + 1)
        parts.append(
            pd.DataFrame(
                {
                    "id": [codes.building_id(code, int(k)) for k in n],
                    "name": [f"{k}号楼" for k in n],
                    "compound_code": code,
                    "households": hh,
                    "floors": floors,
                    "x": x,
                    "y": y,
                }
            )
        )
    df = pd.concat(parts, ignore_index=True)
    return gpd.GeoDataFrame(df.drop(columns=["x", "y"]), geometry=shapely.points(df["x"], df["y"]))


def _town_cells(
    communities: gpd.GeoDataFrame, compounds: gpd.GeoDataFrame, buildings: gpd.GeoDataFrame
) -> gpd.GeoDataFrame:
    """Grid cells of every community; also sets each building's cell_code."""
    at = pd.Index(compounds["code"]).get_indexer(buildings["compound_code"])
    comm_of_building = compounds["community"].to_numpy()[at]
    xy = shapely.get_coordinates(buildings.geometry.to_numpy())
    hh = buildings["households"].to_numpy()
    rows, cell_code = [], np.empty(len(buildings), dtype=object)
    for i, (code, name, geom) in enumerate(
        zip(communities["code"], communities["name"], communities.geometry, strict=True)
    ):
        m = np.flatnonzero(comm_of_building == i)
        cells, seq, cell = _cells(geom, xy[m, 0], xy[m, 1], hh[m])
        cell_codes = [codes.grid_code(code, int(s)) for s in seq]
        cell_code[m] = np.array(cell_codes, dtype=object)[cell]
        rows += [
            (c, f"{name}第{s}网格", code, g) for c, s, g in zip(cell_codes, seq, cells, strict=True)
        ]
    buildings["cell_code"] = cell_code
    code, name, community, geoms = zip(*rows, strict=True)
    columns = {"code": code, "name": name, "community_code": community}
    return _frame(columns | {"street_code": [c[:9] for c in community]}, geoms)


def _shifted(geo: _TownGeo, shift: np.ndarray) -> _TownGeo:
    """Move a town from local metres (centred on 0, 0) to its place in UTM."""

    def move(geoms):
        return shapely.transform(np.asarray(geoms), lambda c: c + shift)

    for name in ("streets", "communities", "compounds", "cells", "buildings", "roads"):
        gdf = getattr(geo, name)
        moved = gpd.GeoSeries(move(gdf.geometry), index=gdf.index, crs=METRIC_CRS)
        setattr(geo, name, gdf.set_geometry(moved))
    geo.compounds["ring"] = move(geo.compounds["ring"])
    geo.communities["hall_x"] += shift[0]
    geo.communities["hall_y"] += shift[1]
    return geo


# --- people and organisations --------------------------------------------------------------


@dataclass
class _Staff:
    organisations: pd.DataFrame
    persons: pd.DataFrame
    roles: pd.DataFrame
    company_of_compound: dict[str, str]
    worker_of_cell: dict[str, str]
    manager_of_building: dict[str, str]  # building id → its 楼管 (managed compounds only)


class _Roster:
    """Collects organisations, people and their roles; names and phones are drawn at the end."""

    def __init__(self) -> None:
        self.orgs: list[tuple] = []
        self.roles: list[tuple] = []
        self.count = 0

    def org(self, org: str, kind: OrgKind, name: str, area: str | None, phone: bool = True) -> str:
        self.orgs.append((org, kind.value, name, area, phone))
        return org

    def people(self, n: int = 1) -> list[str]:
        self.count += n
        return list(_ids("P", self.count - n + 1, n, 6))

    def give(self, person: str, org: str, role: Role, level: Level, area: str) -> None:
        self.roles.append((person, org, role.value, level.value, area))

    def frames(self, rng: np.random.Generator) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
        orgs = pd.DataFrame(self.orgs, columns=list(COLUMNS["organisations"]))
        listed = orgs["phone"].to_numpy(dtype=bool)
        orgs["phone"] = None
        orgs.loc[listed, "phone"] = _landlines(rng, int(listed.sum()))
        phones = _mobiles(rng, self.count)
        while (dup := pd.Series(phones).duplicated().to_numpy()).any():
            phones[dup] = _mobiles(rng, int(dup.sum()))
        persons = pd.DataFrame(
            {
                "id": _ids("P", 1, self.count, 6),
                "name": _person_names(rng, self.count),
                "phone": phones,
            }
        )
        return orgs, persons, pd.DataFrame(self.roles, columns=list(COLUMNS["roles"]))


def _staff(rng: np.random.Generator, geo: _TownGeo) -> _Staff:
    roster = _Roster()
    members = _committees(rng, roster, geo.communities)
    workers = dict(zip(geo.cells["code"], roster.people(len(geo.cells)), strict=True))
    for cell, community in zip(geo.cells["code"], geo.cells["community_code"], strict=True):
        roster.give(workers[cell], f"ORG-COM-{community}", Role.GRID_WORKER, Level.GRID, cell)
    companies = _companies(rng, roster, geo.compounds)
    main_cell = _main_cells(geo.buildings)
    by_compound = geo.buildings.groupby("compound_code", sort=False)["id"].apply(list)
    served = dict.fromkeys(members, 0)  # compounds each committee already serves
    managers: dict[str, str] = {}
    for code, name, community, kind in geo.compounds[
        ["code", "name", "community_code", "kind"]
    ].itertuples(index=False):
        if code not in companies:
            continue
        team = members[community]
        director = team[served[community] % len(team)]
        served[community] += 1
        admin = workers[main_cell[code]]
        _cross_appoint(roster, code, community, companies[code], director, admin)
        managers |= _building_managers(roster, code, companies[code], by_compound[code])
        if rng.random() < (0.5 if kind == "new" else 0.2):
            _owners_committee(roster, code, name)
    orgs, persons, roles = roster.frames(rng)
    return _Staff(orgs, persons, roles, companies, workers, managers)


def _committees(rng: np.random.Generator, roster: _Roster, communities: pd.DataFrame) -> dict:
    """社区两委 with secretary, director and members; returns the members of each community."""
    members = {}
    for code, name in zip(communities["code"], communities["name"], strict=True):
        org = roster.org(f"ORG-COM-{code}", OrgKind.COMMITTEE, f"{name}两委", code)
        (secretary,) = roster.people()
        # 书记、主任"一肩挑": in most communities one person holds both posts
        director = secretary if rng.random() < 0.6 else roster.people()[0]
        roster.give(secretary, org, Role.SECRETARY, Level.COMMUNITY, code)
        roster.give(director, org, Role.DIRECTOR, Level.COMMUNITY, code)
        members[code] = roster.people(int(rng.integers(3, 7)))
        for person in members[code]:
            roster.give(person, org, Role.COMMITTEE_MEMBER, Level.COMMUNITY, code)
    return members


def _companies(rng: np.random.Generator, roster: _Roster, compounds: pd.DataFrame) -> dict:
    """物业服务企业 of each county, each managing one to several of its compounds."""
    managed = compounds[compounds["managed"]]
    chars = "鸿顺泰安恒信瑞丰宏达佳和嘉诚华邦鑫盛润泽万家金鼎福德美景康圣源儒昌隆兴旺"
    names = iter(_unique_names(rng, len(managed), (), list(chars), list(chars)))
    company_of: dict[str, str] = {}
    n = 0
    for _, group in managed.groupby(managed["street_code"].str[:6], sort=True):
        todo = list(group["code"].to_numpy()[rng.permutation(len(group))])
        while todo:
            size = int(rng.choice([1, 2, 3, 4, 5, 6], p=[0.3, 0.25, 0.18, 0.12, 0.09, 0.06]))
            n += 1
            org = f"ORG-PM-{n:04d}"
            roster.org(org, OrgKind.PROPERTY_COMPANY, f"济宁{next(names)}物业服务有限公司", None)
            company_of |= dict.fromkeys(todo[:size], org)
            todo = todo[size:]
    return company_of


def _main_cells(buildings: pd.DataFrame) -> pd.Series:
    """The grid cell holding most of each compound's households."""
    per_cell = buildings.groupby(["compound_code", "cell_code"])["households"].sum()
    top = per_cell.sort_values(ascending=False, kind="stable").reset_index()
    return top.drop_duplicates("compound_code").set_index("compound_code")["cell_code"]


def _cross_appoint(
    roster: _Roster, code: str, community: str, company: str, director: str, admin: str
) -> None:
    """交叉任职 at one compound: the committee member as service-quality director, the grid
    worker as property administrator, and the project manager on the committee."""
    committee = f"ORG-COM-{community}"
    (manager,) = roster.people()
    roster.give(manager, company, Role.PROJECT_MANAGER, Level.COMPOUND, code)
    roster.give(manager, committee, Role.PART_TIME_MEMBER, Level.COMMUNITY, community)
    roster.give(director, company, Role.SERVICE_QUALITY_DIRECTOR, Level.COMPOUND, code)
    roster.give(admin, company, Role.PROPERTY_ADMINISTRATOR, Level.COMPOUND, code)


def _building_managers(roster: _Roster, code: str, company: str, buildings: list[str]) -> dict:
    """楼管: one for about every ten buildings; returns each building's manager."""
    staff = roster.people(max(1, math.ceil(len(buildings) / 10)))
    for person in staff:
        roster.give(person, company, Role.BUILDING_MANAGER, Level.COMPOUND, code)
    return {b: staff[i * len(staff) // len(buildings)] for i, b in enumerate(buildings)}


def _owners_committee(roster: _Roster, code: str, name: str) -> None:
    org = roster.org(f"ORG-OC-{code}", OrgKind.OWNERS_COMMITTEE, f"{name}业主委员会", code, False)
    (chair,) = roster.people()
    roster.give(chair, org, Role.OWNERS_CHAIR, Level.COMPOUND, code)


# --- cases ---------------------------------------------------------------------------------

_CAT_CODES = tuple(c.code for c in CATEGORIES)
_LIMIT_S = np.array([c.time_limit_hours * 3600 for c in CATEGORIES], dtype=np.int64)
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
    _words("1 0.6 0.4 0.3 0.3 0.5 1.5 3.5 6.5 8.5 8.5 7.5 5 5.5 7.5 8 7.5 6 4.5 4 3.5 3 2.2 1.5"),
    dtype=float,
)
_NIGHT_HOURS = np.array(
    _words("3 2.5 1.5 1 0.6 0.6 1 2 3 3.5 3.5 3 2.5 3 3 3 3 3 3.5 4.5 5.5 6.5 6 4.5"), dtype=float
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
_SOURCES = tuple(CaseSource)
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
    night = np.isin(category, [_CAT_CODES.index(c) for c in _NIGHT_CATEGORIES])
    hour = np.where(night, _draw(rng, _NIGHT_HOURS, n), _draw(rng, _DAY_HOURS, n))
    seconds = day * 86400 + hour * 3600 + rng.integers(0, 3600, n)
    order = np.argsort(seconds, kind="stable")
    return _CaseDraw(reported=int(start.timestamp()) + seconds[order], category=category[order])


def _draw(rng: np.random.Generator, weights: Sequence[float], n: int) -> np.ndarray:
    p = np.asarray(weights, dtype=float)
    return rng.choice(len(p), n, p=p / p.sum())


def _case_places(rng: np.random.Generator, draw: _CaseDraw, geo: _TownGeo, cell_index) -> None:
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
    road = np.flatnonzero(np.isin(draw.category, [_CAT_CODES.index(c) for c in _ROAD_CATEGORIES]))
    rings = comp["ring"].to_numpy()[comp_pos[draw.building[road]]]
    pts = shapely.line_interpolate_point(rings, rng.random(len(road)), normalized=True)
    draw.x[road], draw.y[road] = shapely.get_coordinates(pts).T
    _locate_cells(draw, geo, cell_pos)


def _locate_cells(draw: _CaseDraw, geo: _TownGeo, cell_of_building: np.ndarray) -> None:
    """The grid cell each case point falls in (the building's cell if on an edge)."""
    draw.cell = cell_of_building[draw.building].copy()
    tree = shapely.STRtree(geo.cells.geometry.values)
    point, cell = tree.query(shapely.points(draw.x, draw.y), predicate="within")
    draw.cell[point] = cell


def _case_sources(rng: np.random.Generator, draw: _CaseDraw, geo: _TownGeo) -> None:
    draw.source = np.empty(len(draw.category), dtype=int)
    for c, category in enumerate(CATEGORIES):
        sel = np.flatnonzero(draw.category == c)
        mix = _SOURCE_MIX.get(category.code) or _SOURCE_MIX[category.group == "community"]
        draw.source[sel] = _draw(rng, mix, len(sel))
    # no property company, no property report: the grid worker reports instead
    managed = geo.buildings["compound_code"].map(geo.compounds.set_index("code")["managed"])
    orphan = ~managed.to_numpy(dtype=bool)[draw.building]
    property_source = draw.source == _SOURCES.index(CaseSource.PROPERTY)
    draw.source[orphan & property_source] = _SOURCES.index(CaseSource.GRID_WORKER)


_NAT = np.iinfo(np.int64).min  # numpy's NaT, as int64 epoch seconds


def _hours(
    rng: np.random.Generator, median: float | np.ndarray, sigma: float, n: int
) -> np.ndarray:
    return np.maximum(60, median * 3600 * rng.lognormal(0, sigma, n)).astype(np.int64)


def _life_cycle(rng: np.random.Generator, draw: _CaseDraw, end: int) -> tuple[dict, np.ndarray]:
    """Stage times (int64 seconds, _NAT when not reached by `end`) and the status at `end`."""
    n, rep = len(draw.reported), draw.reported
    quick = np.isin(draw.source, [_SOURCES.index(s) for s in _QUICK_SOURCES])
    limit = _LIMIT_S[draw.category]
    stages = [rep]
    stages.append(stages[-1] + _hours(rng, np.where(quick, 0.3, 1.5), 0.8, n))  # registered
    stages.append(stages[-1] + _hours(rng, 0.7, 0.8, n))  # dispatched
    stages.append(stages[-1] + (limit * 0.1 * rng.lognormal(0, 0.6, n)).astype(np.int64))
    factor = rng.lognormal(np.log(0.45), 0.5, n)
    hard = rng.random(n) < np.array([_HARD.get(c, 0.04) for c in _CAT_CODES])[draw.category]
    factor[hard] *= rng.uniform(3, 90, int(hard.sum()))
    stages.append(stages[-1] + (limit * factor).astype(np.int64))  # resolved
    stages.append(stages[-1] + _hours(rng, 6, 0.7, n))  # verified
    stages.append(stages[-1] + _hours(rng, 10, 0.7, n))  # closed
    rejected = rng.random(n) < 0.03
    rejected_at = rep + _hours(rng, 5, 0.7, n)
    reached = np.array([t < end for t in stages]) & ~(rejected & (np.arange(7) > 0)[:, None])
    status = np.array([s.value for s in LIFE_CYCLE], dtype=object)[reached.sum(axis=0) - 1]
    rejected &= rejected_at < end
    status[rejected] = CaseStatus.REJECTED.value
    times = {
        f"{s.value}_at": np.where(r, t, _NAT)
        for s, t, r in zip(LIFE_CYCLE, stages, reached, strict=True)
    }
    times["rejected_at"] = np.where(rejected, rejected_at, _NAT)
    times["due_at"] = np.where(reached[2], stages[2] + limit, _NAT)
    return times, status


def _assignees(
    rng: np.random.Generator, draw: _CaseDraw, geo: _TownGeo, staff: _Staff, dispatched
) -> np.ndarray:
    """The grid worker of the case's cell, or the building's 楼管 for property matters."""
    workers = geo.cells["code"].map(staff.worker_of_cell).to_numpy(dtype=object)[draw.cell]
    manager = (
        geo.buildings["id"].map(staff.manager_of_building).to_numpy(dtype=object)[draw.building]
    )
    prop = np.isin(draw.category, [_CAT_CODES.index(c) for c in _PROPERTY_CATEGORIES])
    use_manager = prop & pd.notna(manager) & (rng.random(len(prop)) < 0.6)
    return np.where(dispatched, np.where(use_manager, manager, workers), None)


def _places_text(rng: np.random.Generator, draw: _CaseDraw, geo: _TownGeo):
    """Where, in words: "运河花园3号楼2单元" (or "运河花园东门外" on the road), and a flat."""
    n, b = len(draw.category), geo.buildings
    names = geo.compounds.set_index("code")["name"]
    compound = b["compound_code"].map(names).to_numpy(dtype=object)[draw.building]
    unit = rng.integers(1, 4, n).astype(str).astype(object) + "单元"
    loc = compound + b["name"].to_numpy(dtype=object)[draw.building]
    loc = loc + np.where(rng.random(n) < 0.6, unit, "")
    road = np.isin(draw.category, [_CAT_CODES.index(c) for c in _ROAD_CATEGORIES])
    loc = np.where(road, compound + _ROAD_PLACES[rng.integers(0, len(_ROAD_PLACES), n)], loc)
    floor = rng.integers(1, b["floors"].to_numpy()[draw.building] + 1)
    flat = (floor * 100 + rng.integers(1, 3, n)).astype(str).astype(object) + "室"
    return loc, np.where(road, "", flat)


def _descriptions(
    rng: np.random.Generator, draw: _CaseDraw, geo: _TownGeo, caller: np.ndarray, phone: np.ndarray
) -> np.ndarray:
    """Short texts the way 12345 records read, residents' names and phones included."""
    n = len(draw.category)
    loc, flat = _places_text(rng, draw, geo)
    neighbour = _surnames(rng, n) + np.where(rng.random(n) < 0.5, "先生", "女士")
    hotline = draw.source == _SOURCES.index(CaseSource.HOTLINE_12345)
    visit = draw.source == _SOURCES.index(CaseSource.DOOR_VISIT)
    who = np.where(hotline, caller + "反映", np.where(visit, flat + neighbour + "反映", ""))
    bodies = np.array([body for code in _CAT_CODES for body in _BODIES[code]], dtype=object)
    count = np.array([len(_BODIES[c]) for c in _CAT_CODES])
    first = np.concatenate([[0], np.cumsum(count)[:-1]])
    body = bodies[first[draw.category] + (rng.random(n) * count[draw.category]).astype(int)]
    leads = np.array([_SOURCE_LEADS[s] for s in _SOURCES], dtype=object)[draw.source]
    contact = np.where(hotline & (rng.random(n) < 0.7), "，联系电话" + phone.astype(object), "")
    return leads + loc + who + body + contact + "。"


def _cases(
    rng: np.random.Generator, geo: _TownGeo, staff: _Staff, start: dt.datetime, end: dt.datetime
) -> pd.DataFrame:
    days = (end - start).days
    n = int(rng.poisson(CASES_PER_HOUSEHOLD_YEAR * geo.buildings["households"].sum() * days / 365))
    draw = _case_times(rng, n, start, days)
    _case_places(rng, draw, geo, pd.Index(geo.cells["code"]))
    _case_sources(rng, draw, geo)
    times, status = _life_cycle(rng, draw, int(end.timestamp()))
    reporting = np.isin(draw.source, [_SOURCES.index(s) for s in _REPORTING_SOURCES])
    caller = _surnames(rng, n) + np.where(rng.random(n) < 0.5, "先生", "女士")
    phone = _mobiles(rng, n)
    lon, lat = _TO_LONLAT.transform(draw.x, draw.y)
    frame = pd.DataFrame(
        {
            "id": _ids("C", 1, n, 9),
            "category": np.array(_CAT_CODES, dtype=object)[draw.category],
            "description": _descriptions(rng, draw, geo, caller, phone),
            "source": np.array([s.value for s in _SOURCES], dtype=object)[draw.source],
            "status": status,
            "lon": lon,
            "lat": lat,
        }
    )
    for col in (*TIMESTAMP_FIELDS, "due_at"):
        frame[col] = _local_times(times[col])
    frame["assignee_id"] = _assignees(rng, draw, geo, staff, times["dispatched_at"] != _NAT)
    frame["reporter_name"] = np.where(reporting, caller, None)
    frame["reporter_phone"] = np.where(reporting, phone, None)
    return frame


def _local_times(seconds: np.ndarray) -> pd.Series:
    utc = pd.Series(seconds.view("datetime64[s]")).dt.tz_localize("UTC")
    return utc.dt.tz_convert(LOCAL_TZ)


# --- visits --------------------------------------------------------------------------------


def _visits(
    rng: np.random.Generator, geo: _TownGeo, staff: _Staff, last: dt.date, days: int
) -> pd.DataFrame:
    """幸福来敲门: every Wednesday and Thursday each grid worker visits one building of their cell,
    going round the cell's buildings so the longest-unvisited comes next."""
    dates = pd.date_range(last - dt.timedelta(days=days - 1), last, freq="D")
    dates = dates[dates.day_of_week.isin([2, 3])].to_numpy().astype("datetime64[D]")
    cells = pd.Index(geo.cells["code"])
    cell_of = cells.get_indexer(geo.buildings["cell_code"])
    shuffled = rng.permutation(len(cell_of))
    round_robin = shuffled[np.argsort(cell_of[shuffled], kind="stable")]
    size = np.bincount(cell_of, minlength=len(cells))
    first = np.concatenate([[0], np.cumsum(size)[:-1]])
    went = rng.random((len(dates), len(cells))) < ATTENDANCE
    nth = np.cumsum(went, axis=0) - 1
    day, cell = np.nonzero(went)
    turn = (rng.integers(0, size)[cell] + nth[day, cell]) % size[cell]
    building = round_robin[first[cell] + turn]
    households = geo.buildings["households"].to_numpy()[building]
    needs = np.minimum(5, rng.poisson(1.1, len(day)))
    return pd.DataFrame(
        {
            "id": _ids("V", 1, len(day), 9),
            "worker_id": cells.map(staff.worker_of_cell).to_numpy(dtype=object)[cell],
            "date": dates[day].astype(object),
            "building_id": geo.buildings["id"].to_numpy(dtype=object)[building],
            "households_reached": np.minimum(households, rng.integers(10, 61, len(day))),
            "needs_found": needs,
            "cases_raised": rng.binomial(needs, 0.35),
        }
    )


# --- putting it together -------------------------------------------------------------------


def build_demo(
    scale: str,
    seed: int,
    as_of: dt.date,
    progress: bool = False,
    *,
    communities: int | None = None,
) -> CityData:
    """The demo city of `scale` for `seed`, with cases and visits up to and including `as_of`.

    street: 梁山县水泊街道 with `communities` communities (default 10; tests pass a small
    number, 2–30, for a quick build). city: 49 streets and 406 communities over nine counties
    of 济宁. The same arguments always give the same data.
    """
    if scale not in SCALES:
        raise ValueError(f"unknown demo scale {scale!r}: expected one of {', '.join(SCALES)}")
    spec, rng = _SPECS[scale], np.random.default_rng(seed)
    towns = _plan(scale, rng, communities)
    end = dt.datetime.combine(as_of + dt.timedelta(days=1), dt.time(), LOCAL_TZ)
    start = end - dt.timedelta(days=spec.days)
    with tqdm(total=len(towns) + 3, desc="demo city", file=sys.stderr, disable=not progress) as bar:
        names = _community_name_pool(rng)
        parts = []
        for town in towns:
            bar.set_postfix_str(town.county_name)
            parts.append(_build_town(rng, town, names))
            bar.update()
        geo = _concat(parts)
        bar.set_postfix_str("staff")
        staff = _staff(rng, geo)
        bar.update()
        bar.set_postfix_str("cases")
        cases = _cases(rng, geo, staff, start, end)
        bar.update()
        bar.set_postfix_str("visits")
        visits = _visits(rng, geo, staff, as_of, spec.days)
        bar.update()
    meta = {
        "name": spec.name,
        "county_code": spec.county_code,
        "scale": scale,
        "seed": str(seed),
        "as_of": as_of.isoformat(),
    }
    return _city_data(meta, geo, staff, cases, visits)


def _concat(parts: list[_TownGeo]) -> _TownGeo:
    tables = {
        name: pd.concat([getattr(p, name) for p in parts], ignore_index=True)
        for name in ("streets", "communities", "compounds", "cells", "buildings", "roads")
    }
    tables["roads"]["id"] = _ids("R", 1, len(tables["roads"]), 6)
    return _TownGeo(**tables)


def _city_data(
    meta: dict, geo: _TownGeo, staff: _Staff, cases: pd.DataFrame, visits: pd.DataFrame
) -> CityData:
    communities = geo.communities.copy()
    communities["hall_lon"], communities["hall_lat"] = _TO_LONLAT.transform(
        communities["hall_x"].to_numpy(), communities["hall_y"].to_numpy()
    )
    compounds = geo.compounds.copy()
    compounds["property_company_id"] = compounds["code"].map(staff.company_of_compound)

    def out(table: str, frame: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
        return frame[[*COLUMNS[table], "geometry"]].to_crs("EPSG:4326")

    return CityData(
        meta=meta,
        streets=out("streets", geo.streets),
        communities=out("communities", communities),
        compounds=out("compounds", compounds),
        grid_cells=out("grid_cells", geo.cells),
        buildings=out("buildings", geo.buildings),
        roads=out("roads", geo.roads),
        organisations=staff.organisations,
        persons=staff.persons,
        roles=staff.roles,
        cases=cases,
        visits=visits,
    )
