"""The demo generator's entry: towns, staff, cases and visits put together, whole or in parts."""

from __future__ import annotations

import datetime as dt
import sys
from collections.abc import Iterator
from dataclasses import dataclass

import geopandas as gpd
import numpy as np
import pandas as pd
from tqdm import tqdm

from ..city import COLUMNS, CityData
from ..model import LOCAL_TZ, OrgKind
from ._arrays import Numbering
from ._shapes import TO_LONLAT
from .cases import simulate_cases
from .households import care_visits, tag_households
from .names import community_name_pool
from .plan import CITY_COMMUNITIES, SCALES, SPECS, Town, plan
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
    and nothing happens in the future; what comes before it is the same as without it. The
    region is too big to hold at once: demo_parts builds it a part at a time.
    """
    if scale == "region":
        raise ValueError("the region is built a part at a time: use demo_parts")
    if scale not in SCALES:
        raise ValueError(f"unknown demo scale {scale!r}: expected one of {', '.join(SCALES)}")
    rng = np.random.default_rng(seed)
    towns = plan(scale, rng, communities, streets)
    when = _History(as_of, SPECS[scale].days, until)
    return _build(_meta(scale, seed, as_of), towns, rng, when, Numbering(), progress)


def demo_parts(
    scale: str,
    seed: int,
    as_of: dt.date,
    progress: bool = False,
    *,
    until: dt.datetime | None = None,
) -> Iterator[CityData]:
    """The demo of `scale` as parts to write one after another (Store.write_parts): the
    street and the city in one part; the region in parts of at most a city's worth of
    communities (town_parts)."""
    if scale != "region":
        yield build_demo(scale, seed, as_of, progress, until=until)
        return
    towns = plan(scale, np.random.default_rng(seed), None)
    yield from town_parts(towns, seed, as_of, scale=scale, progress=progress, until=until)


def town_parts(
    towns: list[Town],
    seed: int,
    as_of: dt.date,
    *,
    scale: str = "region",
    most: int = CITY_COMMUNITIES,
    progress: bool = False,
    until: dt.datetime | None = None,
) -> Iterator[CityData]:
    """The towns as parts of whole towns of at most `most` communities each (town_groups),
    built only when asked for, so that one part at a time is in memory; with the history
    and meta of `scale`. Ids run on from part to part; the same arguments give the same
    parts."""
    groups = town_groups(towns, most)
    when, meta = _History(as_of, SPECS[scale].days, until), _meta(scale, seed, as_of)
    first = Numbering()
    for k, group in enumerate(groups):
        rng = np.random.default_rng([seed, k])
        label = f"demo part {k + 1}/{len(groups)}"
        part = _build(dict(meta), group, rng, when, first, progress, label)
        first = numbering_after(first, part)
        yield part
        del part  # before the next part is built


def town_groups(towns: list[Town], most: int) -> list[list[Town]]:
    """The towns in order, cut into runs of at most `most` communities (a town with more is
    a run of its own)."""
    groups: list[list[Town]] = []
    size = 0
    for town in towns:
        n = sum(town.communities)
        if not groups or size + n > most:
            groups.append([])
            size = 0
        groups[-1].append(town)
        size += n
    return groups


def numbering_after(first: Numbering, part: CityData) -> Numbering:
    """Where the next part's ids start: past every id of `part`."""
    companies = part.organisations["id"][
        part.organisations["kind"] == OrgKind.PROPERTY_COMPANY.value
    ]
    return Numbering(
        case=_past(part.cases["id"], first.case),
        visit=_past(part.visits["id"], first.visit),
        household=_past(part.households["id"], first.household),
        person=_past(part.persons["id"], first.person),
        road=_past(part.roads["id"], first.road),
        company=_past(companies, first.company),
    )


def _past(ids: pd.Series, first: int) -> int:
    """One more than the largest number ending the ids, and at least `first`."""
    numbers = ids.astype(str).str.extract(r"(\d+)$", expand=False).dropna().astype(np.int64)
    return max(first, int(numbers.max()) + 1) if len(numbers) else first


@dataclass(frozen=True)
class _History:
    """The history's days: up to and including `as_of`, `days` long, cut at `until`."""

    as_of: dt.date
    days: int
    until: dt.datetime | None

    @property
    def end(self) -> dt.datetime:
        return dt.datetime.combine(self.as_of + dt.timedelta(days=1), dt.time(), LOCAL_TZ)

    @property
    def start(self) -> dt.datetime:
        return self.end - dt.timedelta(days=self.days)

    @property
    def cut(self) -> dt.datetime:
        return self.end if self.until is None else max(self.start, min(self.end, self.until))


def _meta(scale: str, seed: int, as_of: dt.date) -> dict[str, str]:
    spec = SPECS[scale]
    return {
        "name": spec.name,
        "county_code": spec.county_code,
        "scale": scale,
        "seed": str(seed),
        "as_of": as_of.isoformat(),
    }


def _build(
    meta: dict[str, str],
    towns: list[Town],
    rng: np.random.Generator,
    when: _History,
    first: Numbering,
    progress: bool,
    label: str = "demo city",
) -> CityData:
    """The towns with their staff, cases and visits, ids numbered from `first`."""
    with tqdm(total=len(towns) + 3, desc=label, file=sys.stderr, disable=not progress) as bar:
        names = community_name_pool(rng)
        parts = []
        for town in towns:
            bar.set_postfix_str(town.county_name)
            parts.append(build_town(rng, town, names))
            bar.update()
        geo = concat_towns(parts, first.road)
        bar.set_postfix_str("staff")
        staff = appoint_staff(rng, geo, first)
        bar.update()
        bar.set_postfix_str("cases")
        cases, work, events = simulate_cases(
            rng, geo, staff, when.start, when.end, when.cut, first.case
        )
        bar.update()
        bar.set_postfix_str("visits")
        visits = simulate_visits(rng, geo, staff, when.as_of, when.days, first.visit)
        households = tag_households(rng, geo.buildings, first.household)
        workers = pd.Series(
            staff.workers_of(pd.Index(geo.buildings["cell_code"])), index=geo.buildings["id"]
        )
        care, links = care_visits(rng, households, visits, workers, when.as_of, first.visit)
        visits = pd.concat([visits, care], ignore_index=True)
        bar.update()
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
