"""Names and phone numbers the demo gives to places and people, drawn from local word pools."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from itertools import product

import geopandas as gpd
import numpy as np
import shapely

from .. import codes
from ._arrays import words
from .plan import LIANGSHAN, Town

_SURNAMES = (
    "王张李刘陈杨赵孙马孔孟朱徐高郭宋吴周胡黄田韩曹冯于董程魏袁许吕姜崔贾侯颜梁石任丁潘秦邵范薛闫路"
    "尹贺段郝武蒋谢唐毛钱付沈杜彭卢仲"
)
_GIVEN = (
    "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超霞平刚华红玉兰英梅琳建国志海波斌鹏辉宇浩凯峰晶婷雪颖佳欣怡晨阳"
    "帅凤秀云莉燕新文博立东晓庆春亮庆冬宁翠荣萍桂莹倩瑞鑫彬慧丹光福德昌永"
)
_MOBILE_PREFIXES = np.array(
    words(
        "130 131 132 133 134 135 136 137 138 139 150 151 152 153 155 156 157 158 159 176 "
        "177 178 180 181 182 183 185 186 187 188 189 198 199"
    ),
    dtype=object,
)
_LIANGSHAN_COMMUNITIES = words(
    "水泊社区 青年路社区 新华社区 杏花村社区 金线岭社区 府前社区 公园社区 凤凰城社区 "
    "建设社区 文化社区 龙山社区 北关社区 南关社区 东关社区 西关社区"
)
_COMMUNITY_WORDS = words(
    "运河 锦绣 水泊 青年路 新华 杏花村 金线岭 府前 公园 凤凰城 建设 文化 古槐 济阳 越河 "
    "南池 太白 仙营 红星 琵琶山 北湖 洸河 龙行 光明 和平 幸福 永安 康乐 安居 兴隆 书院 "
    "鼓楼 龙桥 九仙 鲁城 五马祠 钢山 千泉 凫山 峄山 中都 嘉禾 卧龙 金城 鱼山 谷亭 滨湖 "
    "东门 西门 南门 北门 东关 西关 南关 北关 富民 利民 惠民 为民 新村 东苑 西苑 南苑 北苑 "
    "阳光 朝阳 育才 春晖 绿园 翠园 枣店 许庄 李营 柳行 唐口 观音阁 白石 新兴 兴华 振兴 "
    "胜利 工人 园丁 车站 火炬 科苑 学苑 华苑 金宇 铁塔 府河 泉河 杏坛 颜庙 尼山 孟府 子思 "
    "三迁 亚圣 银河 金桥 如意 吉祥 红旗 东方 前进 双语"
)
_LIANGSHAN_COMPOUNDS = words("锦绣苑 水泊人家 梁山新村 翰林苑 康乐小区 阳光花园 御景湾 水浒家园")
_COMPOUND_WORDS = words(
    "锦绣 阳光 幸福 和谐 东方 金色 翡翠 御景 书香 紫荆 丽景 盛世 龙湖 翰林 康乐 水泊 水浒 "
    "梁山 忠义 聚义 杏花 凤凰 泰和 瑞祥 鸿福 嘉禾 银座 金都 福源 富源 鑫源 天和 万福 安泰 "
    "怡景 颐和 君悦 悦澜 清华 星河 枫林 兰亭 荷塘 湖畔 滨河 运河 古槐 琵琶 太白 南池 北湖 "
    "洸府 泗河 尼山 杏坛 鲁源 孔子 曲水 春秋 宏图 祥和 仁和 文昌 状元 金桥 永安 如意 吉祥 "
    "百合 丽水 天润 明珠 香榭 铂悦 海棠 紫薇 玉兰 蓝天 学府 文苑"
)
_COMPOUND_SUFFIXES = words(
    "花园 小区 家园 苑 新村 雅居 名苑 公馆 华庭 嘉园 新城 府 湾 佳苑 丽都 雅苑 名都 庄园 首府 国际"
)
_OLD_COMPOUNDS = words(
    "供电局 粮食局 棉纺厂 机械厂 化肥厂 酒厂 烟草公司 邮电局 建筑公司 交通局 水利局 "
    "卫生局 教育局 农机厂 纺织厂 食品厂 印刷厂 电厂 煤建公司 百货公司 供销社 税务局 "
    "人民医院 一中 公安局 法院 财政局 自来水公司 商业局 物资局 二轻局 轴承厂 水泥厂 造纸厂 "
    "啤酒厂 棉麻公司 电业局 气象局 师范学校 林业局 地质队 运输公司 化工厂 面粉厂 油厂 三中"
)
_OLD_SUFFIXES = ("宿舍", "家属院", "小区")
_LIANGSHAN_ROADS = words(
    "建设路 青年路 水泊中路 杏花村路 公园路 新华路 金线岭路 府前街 凤凰路 梁山大道 "
    "水泊南路 水泊北路 人民路 文化路"
)
_ROAD_WORDS = words(
    "建设 青年 人民 解放 文化 新华 和平 幸福 育才 振兴 光明 胜利 红星 北湖 太白 车站 工业 "
    "科技 学院 健康 公园 府前 凤凰 英才 金宇 共青团 古槐 洸河 琵琶山 火炬 龙行 荷花 杏花 "
    "翠柳 枣园 中心 永丰 兴业 民主 团结 友谊 丰收 长青 富强 创新 阳光 东风 西城 南环 北环 "
    "东环 西环 政通 齐鲁 明德 通达"
)
_ARTERIAL_SUFFIXES = ("路", "大道", "东路", "西路", "南路", "北路", "中路")
_SECONDARY_SUFFIXES = ("街", "巷", "胡同", "二街", "后街")


def unique_names(
    rng: np.random.Generator,
    n: int,
    fixed: Sequence[str],
    stems: Sequence[str],
    suffixes: Sequence[str],
    exclude: Sequence[str] = (),
) -> list[str]:
    """`n` distinct names: the fixed ones first, then shuffled word+suffix combinations."""
    names = list(dict.fromkeys(fixed))
    taken = set(names) | set(exclude)
    pool = [w + s for w, s in product(stems, suffixes) if w + s not in taken]
    pool = [pool[i] for i in rng.permutation(len(pool))]
    names += pool[: max(0, n - len(names))]
    extra = 2
    while len(names) < n:  # pool exhausted: numbered second, third … phases
        names += [f"{p}{_chinese_number(extra)}期" for p in pool[: n - len(names)]]
        extra += 1
    return names[:n]


def _chinese_number(n: int) -> str:
    return "〇一二三四五六七八九十"[n] if n <= 10 else str(n)


def road_names(
    rng: np.random.Generator, town: Town, arterials: int, secondaries: int
) -> tuple[list[str], list[str]]:
    """Distinct names for a town's arterial roads and then for its secondary roads."""
    fixed = _LIANGSHAN_ROADS if town.county == LIANGSHAN.county else ()
    main = unique_names(rng, arterials + 1, fixed, _ROAD_WORDS, _ARTERIAL_SUFFIXES, (town.river,))
    side = unique_names(rng, secondaries, (), _ROAD_WORDS, _SECONDARY_SUFFIXES, main)
    return main[:arterials], side


def mobiles(rng: np.random.Generator, n: int) -> np.ndarray:
    """`n` mobile numbers with real Chinese prefixes."""
    prefix = _MOBILE_PREFIXES[rng.integers(0, len(_MOBILE_PREFIXES), n)]
    rest = np.char.zfill(rng.integers(0, 10**8, n).astype(str), 8).astype(object)
    return prefix + rest


def landlines(rng: np.random.Generator, n: int) -> np.ndarray:
    """`n` Jining landline numbers (area code 0537)."""
    digits = rng.integers(2_000_000, 9_000_000, n).astype(str).astype(object)
    return "0537-" + digits


def _surnames(rng: np.random.Generator, n: int) -> np.ndarray:
    weights = 1 / (np.arange(len(_SURNAMES)) + 3.0)
    pool = np.array(list(_SURNAMES), dtype=object)
    return pool[rng.choice(len(pool), n, p=weights / weights.sum())]


def person_names(rng: np.random.Generator, n: int) -> np.ndarray:
    """`n` full names: a common surname and one or two given characters."""
    given = np.array(list(_GIVEN), dtype=object)
    first = given[rng.integers(0, len(given), n)]
    second = np.where(rng.random(n) < 0.7, given[rng.integers(0, len(given), n)], "")
    return _surnames(rng, n) + first + second


def addressed_surnames(rng: np.random.Generator, n: int) -> np.ndarray:
    """`n` residents as a case record names them: 王先生, 李女士."""
    return _surnames(rng, n) + np.where(rng.random(n) < 0.5, "先生", "女士")


def name_places(
    rng: np.random.Generator,
    town: Town,
    communities: gpd.GeoDataFrame,
    compounds: gpd.GeoDataFrame,
    river: shapely.Geometry,
    community_names: Iterator[str],
) -> None:
    """Name communities and compounds; 水泊街道 gets its landmarks."""
    comm_names, fixed = {}, {}
    shuipo = codes.street_code(LIANGSHAN.county, 1)
    if town.county == LIANGSHAN.county:
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
    river: shapely.Geometry,
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
    names[old] = unique_names(rng, len(old), (), _OLD_COMPOUNDS, _OLD_SUFFIXES, taken)
    new = todo[kinds[todo] != "old"]
    names[new] = unique_names(rng, len(new), (), _COMPOUND_WORDS, _COMPOUND_SUFFIXES, taken)
    return names


def community_name_pool(rng: np.random.Generator) -> Iterator[str]:
    """City-wide distinct community names; 水泊街道's own names are kept out."""
    reserved = {"运河社区", "锦绣社区", *_LIANGSHAN_COMMUNITIES}
    base = [w + "社区" for w in _COMMUNITY_WORDS if w + "社区" not in reserved]
    yield from (base[i] for i in rng.permutation(len(base)))
    yield from unique_names(
        rng, 2000, (), _COMMUNITY_WORDS, ("东社区", "西社区", "南社区", "北社区")
    )
