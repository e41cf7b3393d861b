"""The demo's plan: which towns and streets to build, with how many communities each."""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np

from ._arrays import words

SCALES = ("street", "city")


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
    n_streets = sum(len(t.street_names) for t in _CITY_TOWNS)
    extra = rng.multinomial(CITY_COMMUNITIES - 5 * n_streets, np.full(n_streets, 1 / n_streets))
    counts = iter(5 + extra)  # at least five communities a street, about eight on average
    return [
        replace(town, communities=tuple(int(next(counts)) for _ in town.street_names))
        for town in _CITY_TOWNS
    ]
