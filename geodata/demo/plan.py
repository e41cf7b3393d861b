"""The demo's plan: which towns and streets to build, with how many communities each."""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np

from ._arrays import words

SCALES = ("street", "city", "region")


@dataclass(frozen=True)
class Town:
    """A county town: where it lies, its streets and its river road."""

    county: str
    county_name: str
    lon: float
    lat: float
    street_names: tuple[str, ...]
    river: str  # the curved canal-side or river-side road
    communities: tuple[int, ...] = ()  # communities per street, filled by plan


@dataclass(frozen=True)
class Spec:
    """What a scale is called and how much history it has."""

    name: str
    county_code: str
    days: int  # history length before as_of


SPECS = {
    "street": Spec("梁山县水泊街道（演示）", "370832", 365),
    "city": Spec("济宁市（演示）", "370800", 730),
    "region": Spec("鲁西南五市（演示）", "370000", 730),
}

LIANGSHAN = Town("370832", "梁山县", 116.09, 35.80, words("水泊街道 梁山街道 杨营街道"), "运河路")
# county towns of 济宁 near their real places; 49 streets in all
_CITY_TOWNS = (
    Town(
        "370811",
        "任城区",
        116.59,
        35.41,
        words(
            "古槐街道 济阳街道 阜桥街道 越河街道 南苑街道 仙营街道 金城街道 "
            "许庄街道 观音阁街道 李营街道 唐口街道 安居街道 柳行街道 南张街道"
        ),
        "运河路",
    ),
    Town(
        "370812",
        "兖州区",
        116.78,
        35.55,
        words("鼓楼街道 龙桥街道 酒仙桥街道 兴隆庄街道 大安街道 新兖街道"),
        "泗河路",
    ),
    Town(
        "370881",
        "曲阜市",
        116.99,
        35.58,
        words("鲁城街道 书院街道 时庄街道 小雪街道 陵城街道"),
        "沂河路",
    ),
    Town(
        "370883",
        "邹城市",
        116.97,
        35.40,
        words("钢山街道 千泉街道 凫山街道 峄山街道 太平街道 城东街道 城西街道"),
        "滨河路",
    ),
    LIANGSHAN,
    Town(
        "370829", "嘉祥县", 116.34, 35.41, words("嘉祥街道 卧龙山街道 城南街道 城北街道"), "滨河路"
    ),
    Town("370830", "汶上县", 116.49, 35.73, words("汶上街道 中都街道 城东街道 城西街道"), "泉河路"),
    Town("370828", "金乡县", 116.31, 35.07, words("金乡街道 高河街道 鱼山街道"), "滨河路"),
    Town("370827", "鱼台县", 116.65, 35.01, words("谷亭街道 滨湖街道 城南街道"), "滨湖路"),
)
CITY_COMMUNITIES = 406  # the reported coverage: 49 streets, 406 communities
# The region: 济宁 and four neighbouring cities, their county towns near their real places.
_REGION_TOWNS = (
    *_CITY_TOWNS,
    Town(
        "370902",
        "泰山区",
        117.13,
        36.19,
        words("岱庙街道 财源街道 泰前街道 上高街道 徐家楼街道"),
        "环山路",
    ),
    Town("370911", "岱岳区", 117.04, 36.19, words("粥店街道 天平街道 北集坡街道"), "泮河路"),
    Town("370982", "新泰市", 117.77, 35.91, words("青云街道 新汶街道 新甫街道"), "平阳河路"),
    Town("370983", "肥城市", 116.77, 36.18, words("新城街道 老城街道 王瓜店街道"), "康王河路"),
    Town("370921", "宁阳县", 116.80, 35.76, words("文庙街道 八仙桥街道"), "滨河路"),
    Town("370923", "东平县", 116.47, 35.94, words("东平街道 彭集街道 州城街道"), "稻屯洼路"),
    Town(
        "371702",
        "牡丹区",
        115.42,
        35.25,
        words("东城街道 西城街道 南城街道 北城街道 牡丹街道 丹阳街道 岳程街道"),
        "赵王河路",
    ),
    Town("371703", "定陶区", 115.57, 35.07, words("天中街道 滨河街道"), "万福河路"),
    Town("371721", "曹县", 115.54, 34.83, words("曹城街道 磐石街道 郑庄街道"), "太行堤路"),
    Town("371722", "单县", 116.08, 34.79, words("北城街道 南城街道 东城街道 园艺街道"), "东舜河路"),
    Town("371725", "郓城县", 115.94, 35.60, words("郓州街道 唐塔街道"), "宋江河路"),
    Town("371724", "巨野县", 116.09, 35.40, words("凤凰街道 永丰街道"), "洙水河路"),
    Town(
        "370402",
        "市中区",
        117.55,
        34.86,
        words("中心街道 光明路街道 矿区街道 文化路街道 龙山路街道"),
        "十里泉路",
    ),
    Town(
        "370403", "薛城区", 117.26, 34.80, words("临城街道 常庄街道 巨山街道 新城街道"), "蟠龙河路"
    ),
    Town("370404", "峄城区", 117.59, 34.77, words("坛山街道 吴林街道"), "承水路"),
    Town("370405", "台儿庄区", 117.73, 34.56, words("运河街道"), "运河路"),
    Town("370406", "山亭区", 117.46, 35.10, words("山城街道"), "薛河路"),
    Town(
        "370481",
        "滕州市",
        117.16,
        35.08,
        words("荆河街道 龙泉街道 北辛街道 善南街道 东沙河街道"),
        "荆河路",
    ),
    Town(
        "371302",
        "兰山区",
        118.35,
        35.05,
        words("兰山街道 银雀山街道 金雀山街道 柳青街道"),
        "沂河路",
    ),
    Town("371311", "罗庄区", 118.28, 34.99, words("罗庄街道 傅庄街道 盛庄街道"), "涑河路"),
    Town("371312", "河东区", 118.40, 35.09, words("九曲街道 芝麻墩街道 凤凰岭街道"), "沂河路"),
    Town("371321", "沂南县", 118.47, 35.55, words("界湖街道"), "汶河路"),
    Town("371322", "郯城县", 118.37, 34.61, words("郯城街道"), "沭河路"),
    Town("371323", "沂水县", 118.63, 35.79, words("沂城街道 龙家圈街道"), "沂河路"),
)
REGION_COMMUNITIES = 5 * CITY_COMMUNITIES  # five cities' worth


def plan(
    scale: str, rng: np.random.Generator, communities: int | None, streets: int = 1
) -> list[Town]:
    """The towns to build, each with the number of communities of each of its streets."""
    if scale == "street":
        n = 10 if communities is None else communities
        if not 2 <= n <= 30:
            raise ValueError(f"communities must be between 2 and 30, got {n}")
        if not 1 <= streets <= len(LIANGSHAN.street_names):
            raise ValueError(f"streets must be between 1 and {len(LIANGSHAN.street_names)}")
        names = LIANGSHAN.street_names[:streets]
        return [replace(LIANGSHAN, street_names=names, communities=(n,) * streets)]
    if communities is not None or streets != 1:
        raise ValueError("communities= and streets= are only for the street scale")
    if scale == "region":
        return _spread(_REGION_TOWNS, REGION_COMMUNITIES, rng)
    return _spread(_CITY_TOWNS, CITY_COMMUNITIES, rng)


def _spread(towns: tuple[Town, ...], total: int, rng: np.random.Generator) -> list[Town]:
    """The towns with `total` communities spread over their streets, at least five each."""
    n_streets = sum(len(t.street_names) for t in towns)
    extra = rng.multinomial(total - 5 * n_streets, np.full(n_streets, 1 / n_streets))
    counts = iter(5 + extra)
    return [
        replace(town, communities=tuple(int(next(counts)) for _ in town.street_names))
        for town in towns
    ]
