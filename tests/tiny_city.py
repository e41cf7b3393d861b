"""A hand-made city small enough to reason about: 1 street, 2 communities, 4 cells, 2 compounds."""

from __future__ import annotations

import datetime as dt

import geopandas as gpd
import pandas as pd
from shapely.geometry import LineString, Point, box

from geodata.city import COLUMNS, CityData
from geodata.model import LOCAL_TZ, due_time

X0, Y0 = 417_000.0, 3_962_000.0  # metres in UTM 50N, near 116.09°E 35.80°N
CRS = 32650
AS_OF = dt.date(2026, 11, 28)
STREET = "370832001"
YUNHE, JINXIU = "370832001001", "370832001002"
CELLS = {  # code → (minx, miny, maxx, maxy) relative to (X0, Y0)
    YUNHE + "001": (0, 200, 400, 400),  # north half of 运河社区
    YUNHE + "002": (0, 0, 400, 200),  # south half
    JINXIU + "001": (400, 0, 600, 400),  # west part of 锦绣社区
    JINXIU + "002": (600, 0, 800, 400),  # east part
}
GARDEN, XINTIANDI = YUNHE + "XQ001", JINXIU + "XQ001"  # 运河花园, 东方新天地


def _box(minx: float, miny: float, maxx: float, maxy: float):
    return box(X0 + minx, Y0 + miny, X0 + maxx, Y0 + maxy)


def _point(x: float, y: float) -> Point:
    return Point(X0 + x, Y0 + y)


def local(day_offset: int, hour: int = 10) -> pd.Timestamp:
    """A local time `day_offset` days before AS_OF (negative = past)."""
    day = AS_OF + dt.timedelta(days=day_offset)
    return pd.Timestamp(dt.datetime(day.year, day.month, day.day, hour, tzinfo=LOCAL_TZ))


def lonlat(x: float, y: float) -> tuple[float, float]:
    p = gpd.GeoSeries([_point(x, y)], crs=CRS).to_crs(4326).iloc[0]
    return p.x, p.y


def _areas() -> dict[str, gpd.GeoDataFrame]:
    def frame(rows: list[dict]) -> gpd.GeoDataFrame:
        return gpd.GeoDataFrame(rows, geometry="geometry", crs=CRS)

    return {
        "streets": frame([{"code": STREET, "name": "水泊街道", "geometry": _box(0, 0, 800, 400)}]),
        "communities": frame(
            [
                {
                    "code": c,
                    "name": n,
                    "street_code": STREET,
                    "hall_lon": None,
                    "hall_lat": None,
                    "hall_address": f"{n}党群服务中心",
                    "geometry": _box(x, 0, x + 400, 400),
                }
                for c, n, x in ((YUNHE, "运河社区", 0), (JINXIU, "锦绣社区", 400))
            ]
        ),
        "compounds": frame(
            [
                {
                    "code": GARDEN,
                    "name": "运河花园",
                    "community_code": YUNHE,
                    "street_code": STREET,
                    "households": 400,
                    "property_company_id": "ORG-PM-0001",
                    "address": "运河路1号",
                    "geometry": _box(20, 20, 380, 380),
                },
                {
                    "code": XINTIANDI,
                    "name": "东方新天地",
                    "community_code": JINXIU,
                    "street_code": STREET,
                    "households": 200,
                    "property_company_id": None,
                    "address": "建设路8号",
                    "geometry": _box(420, 20, 580, 380),
                },
            ]
        ),
        "grid_cells": frame(
            [
                {
                    "code": c,
                    "name": f"第{c[-1]}网格",
                    "community_code": c[:12],
                    "street_code": STREET,
                    "geometry": _box(*b),
                }
                for c, b in CELLS.items()
            ]
        ),
        "buildings": frame(
            [
                {
                    "id": f"{GARDEN}-01",
                    "name": "1号楼",
                    "compound_code": GARDEN,
                    "households": 100,
                    "floors": 11,
                    "geometry": _point(100, 300),
                },
                {
                    "id": f"{GARDEN}-02",
                    "name": "2号楼",
                    "compound_code": GARDEN,
                    "households": 100,
                    "floors": 11,
                    "geometry": _point(300, 300),
                },
                {
                    "id": f"{GARDEN}-03",
                    "name": "3号楼",
                    "compound_code": GARDEN,
                    "households": 120,
                    "floors": 18,
                    "geometry": _point(100, 100),
                },
                {
                    "id": f"{GARDEN}-04",
                    "name": "4号楼",
                    "compound_code": GARDEN,
                    "households": 80,
                    "floors": 6,
                    "geometry": _point(300, 100),
                },
                {
                    "id": f"{XINTIANDI}-01",
                    "name": "1号楼",
                    "compound_code": XINTIANDI,
                    "households": 150,
                    "floors": 18,
                    "geometry": _point(500, 300),
                },
                {
                    "id": f"{XINTIANDI}-02",
                    "name": "2号楼",
                    "compound_code": XINTIANDI,
                    "households": 50,
                    "floors": 6,
                    "geometry": _point(500, 100),
                },
            ]
        ),
        "roads": frame(
            [
                {
                    "id": "R1",
                    "name": "运河路",
                    "kind": "arterial",
                    "geometry": LineString([(X0, Y0 + 200), (X0 + 800, Y0 + 200)]),
                },
                {
                    "id": "R2",
                    "name": "建设路",
                    "kind": "arterial",
                    "geometry": LineString([(X0 + 400, Y0), (X0 + 400, Y0 + 400)]),
                },
            ]
        ),
    }


def _people() -> dict[str, pd.DataFrame]:
    orgs = [
        ("ORG-COM-" + YUNHE, "committee", "运河社区两委", YUNHE, "0537-7321001"),
        ("ORG-COM-" + JINXIU, "committee", "锦绣社区两委", JINXIU, "0537-7321002"),
        ("ORG-PM-0001", "property_company", "济宁运河物业服务有限公司", None, "0537-7329000"),
    ]
    persons = [
        ("P1", "王建国", "13800000001"),  # grid worker, north cell; property administrator
        ("P2", "李秀英", "13800000002"),  # grid worker, south cell
        ("P3", "张伟", "13800000003"),  # committee member; service-quality director
        ("P4", "刘洋", "13800000004"),  # project manager; part-time committee member
        ("P5", "陈静", "13800000005"),  # building manager
        ("P6", "赵磊", "13800000006"),  # grid worker, 锦绣社区 west cell
    ]
    com_y, pm = "ORG-COM-" + YUNHE, "ORG-PM-0001"
    roles = [
        ("P1", com_y, "grid_worker", "grid", YUNHE + "001"),
        ("P1", pm, "property_administrator", "compound", GARDEN),
        ("P2", com_y, "grid_worker", "grid", YUNHE + "002"),
        ("P3", com_y, "committee_member", "community", YUNHE),
        ("P3", pm, "service_quality_director", "compound", GARDEN),
        ("P4", pm, "project_manager", "compound", GARDEN),
        ("P4", com_y, "part_time_member", "community", YUNHE),
        ("P5", pm, "building_manager", "compound", GARDEN),
        ("P6", "ORG-COM-" + JINXIU, "grid_worker", "grid", JINXIU + "001"),
    ]
    return {
        "organisations": pd.DataFrame(orgs, columns=["id", "kind", "name", "area_code", "phone"]),
        "persons": pd.DataFrame(persons, columns=["id", "name", "phone"]),
        "roles": pd.DataFrame(
            roles, columns=["person_id", "org_id", "role", "area_level", "area_code"]
        ),
    }


def case_row(
    case_id: str,
    category: str,
    x: float,
    y: float,
    reported: pd.Timestamp,
    status: str,
    closed: pd.Timestamp | None = None,
) -> dict:
    """A case at (x, y) metres in the tiny city; dispatched one hour after it was reported."""
    lon, lat = lonlat(x, y)
    dispatched = reported + pd.Timedelta(hours=1)
    return {
        "id": case_id,
        "category": category,
        "description": "楼道堆放杂物",
        "source": "hotline_12345",
        "status": status,
        "lon": lon,
        "lat": lat,
        "reported_at": reported,
        "registered_at": reported,
        "dispatched_at": dispatched,
        "in_progress_at": None,
        "resolved_at": None,
        "verified_at": None,
        "closed_at": closed,
        "rejected_at": None,
        "due_at": due_time(category, dispatched.to_pydatetime()),
        "assignee_id": "P1",
        "reporter_name": "张先生",
        "reporter_phone": "13912345678",
    }


def cases() -> pd.DataFrame:
    rows = [
        # open, overdue (sanitation: 4 working hours), north cell of 运河花园
        case_row("C1", "sanitation", 100, 310, local(-10), "dispatched"),
        # open, not overdue yet (property fees: 5 working days), south cell of 运河花园
        case_row("C2", "property_fees", 100, 110, local(-2), "dispatched"),
        # closed, north cell
        case_row("C3", "noise", 300, 310, local(-5), "closed", closed=local(-4)),
        # open, 锦绣社区 west cell, 东方新天地
        case_row("C4", "stray_animals", 500, 300, local(-20), "dispatched"),
        # long ago: outside a 30-day window, closed
        case_row("C5", "sanitation", 100, 310, local(-200), "closed", closed=local(-199)),
        # on the road between compounds: a cell but no compound
        case_row("C6", "street_vending", 395, 210, local(-1), "dispatched"),
    ]
    return pd.DataFrame(rows)


def visits() -> pd.DataFrame:
    rows = [
        ("V1", "P1", AS_OF - dt.timedelta(days=1), f"{GARDEN}-01", 40, 2, 1),
        ("V2", "P1", AS_OF - dt.timedelta(days=8), f"{GARDEN}-02", 30, 0, 0),
        ("V3", "P2", AS_OF - dt.timedelta(days=50), f"{GARDEN}-03", 25, 1, 0),
        ("V4", "P6", AS_OF - dt.timedelta(days=2), f"{XINTIANDI}-01", 60, 3, 1),
    ]
    return pd.DataFrame(rows, columns=list(COLUMNS["visits"]))


def build() -> CityData:
    meta = {"name": "测试城", "county_code": "370832", "scale": "tiny", "as_of": AS_OF.isoformat()}
    return CityData(meta=meta, **_areas(), **_people(), cases=cases(), visits=visits())
