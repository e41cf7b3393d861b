"""The demo generator's entry: `build_demo` puts towns, staff, cases and visits together."""

from __future__ import annotations

import datetime as dt
import sys

import geopandas as gpd
import numpy as np
import pandas as pd
from tqdm import tqdm

from ..city import COLUMNS, CityData
from ..model import LOCAL_TZ
from ._shapes import TO_LONLAT
from .cases import simulate_cases
from .households import care_visits, tag_households
from .names import community_name_pool
from .plan import SCALES, SPECS, plan
from .staff import Staff, appoint_staff
from .town import TownGeo, build_town, concat_towns
from .visits import simulate_visits


def build_demo(
    scale: str,
    seed: int,
    as_of: dt.date,
    progress: bool = False,
    *,
    communities: int | None = None,
    streets: int = 1,
    until: dt.datetime | None = None,
) -> CityData:
    """The demo city of `scale` for `seed`, with cases and visits up to and including `as_of`.

    street: 梁山县水泊街道 with `communities` communities (default 10; tests pass a small
    number, 2–30, for a quick build), or the first `streets` (1-3) streets of 梁山县 with as
    many communities each. city: 49 streets and 406 communities over nine counties of 济宁.
    The same arguments always give the same data. `until` (aware) ends the history earlier
    than the as-of day's end — at "now", when that day is today, so that no case is reported
    and nothing happens in the future; what comes before it is the same as without it.
    """
    if scale not in SCALES:
        raise ValueError(f"unknown demo scale {scale!r}: expected one of {', '.join(SCALES)}")
    spec, rng = SPECS[scale], np.random.default_rng(seed)
    towns = plan(scale, rng, communities, streets)
    end = dt.datetime.combine(as_of + dt.timedelta(days=1), dt.time(), LOCAL_TZ)
    start = end - dt.timedelta(days=spec.days)
    with tqdm(total=len(towns) + 3, desc="demo city", file=sys.stderr, disable=not progress) as bar:
        names = community_name_pool(rng)
        parts = []
        for town in towns:
            bar.set_postfix_str(town.county_name)
            parts.append(build_town(rng, town, names))
            bar.update()
        geo = concat_towns(parts)
        bar.set_postfix_str("staff")
        staff = appoint_staff(rng, geo)
        bar.update()
        bar.set_postfix_str("cases")
        cut = end if until is None else max(start, min(end, until))
        cases, work, events = simulate_cases(rng, geo, staff, start, end, cut)
        bar.update()
        bar.set_postfix_str("visits")
        visits = simulate_visits(rng, geo, staff, as_of, spec.days)
        households = tag_households(rng, geo.buildings)
        workers = pd.Series(
            staff.workers_of(pd.Index(geo.buildings["cell_code"])), index=geo.buildings["id"]
        )
        care, links = care_visits(rng, households, visits, workers, as_of)
        visits = pd.concat([visits, care], ignore_index=True)
        bar.update()
    meta = {
        "name": spec.name,
        "county_code": spec.county_code,
        "scale": scale,
        "seed": str(seed),
        "as_of": as_of.isoformat(),
    }
    city = _city_data(meta, geo, staff, cases, visits)
    city.case_work, city.case_events = work, events
    city.households, city.visit_households = households, links
    return city


def _city_data(
    meta: dict, geo: TownGeo, staff: Staff, cases: pd.DataFrame, visits: pd.DataFrame
) -> CityData:
    communities = geo.communities.copy()
    communities["hall_lon"], communities["hall_lat"] = TO_LONLAT.transform(
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
