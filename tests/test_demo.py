"""Tests of the deterministic demo city generator, on the street scale."""

from __future__ import annotations

import datetime as dt

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely
from geopandas.testing import assert_geodataframe_equal
from hypothesis import given, settings
from hypothesis import strategies as st

from geodata import codes
from geodata.city import GEOMETRY_TABLES, CityData
from geodata.demo import SCALES, build_demo
from geodata.model import (
    CATEGORY_BY_CODE,
    FINAL_STATUSES,
    LIFE_CYCLE,
    LOCAL_TZ,
    CaseSource,
    CaseStatus,
    Level,
    LimitUnit,
    Role,
)
from geodata.worktime import WorkClock

AS_OF = dt.date(2026, 11, 28)
END = pd.Timestamp(dt.datetime.combine(AS_OF + dt.timedelta(days=1), dt.time(), LOCAL_TZ))
START = END - pd.Timedelta(days=365)
METRIC = "EPSG:32650"
TABLES = (
    *GEOMETRY_TABLES,
    "organisations",
    "persons",
    "roles",
    "cases",
    "visits",
    "case_work",
    "case_events",
)


@pytest.fixture(scope="module")
def city() -> CityData:
    return build_demo("street", 7, AS_OF)


@pytest.fixture(scope="module")
def metric(city: CityData) -> dict[str, gpd.GeoDataFrame]:
    """The geometry tables in metres (UTM 50N), where areas are compared."""
    return {name: getattr(city, name).to_crs(METRIC) for name in GEOMETRY_TABLES}


def roles_of(city: CityData, role: Role) -> pd.DataFrame:
    return city.roles[city.roles["role"] == role.value]


def assert_same_city(a: CityData, b: CityData) -> None:
    assert a.meta == b.meta
    for name in TABLES:
        if name in GEOMETRY_TABLES:
            assert_geodataframe_equal(getattr(a, name), getattr(b, name), check_less_precise=False)
        else:
            pd.testing.assert_frame_equal(getattr(a, name), getattr(b, name))


# --- arguments and determinism -------------------------------------------------------------


def test_scales_are_street_city_and_region() -> None:
    assert SCALES == ("street", "city", "region")


def test_the_region_is_five_cities_worth_of_communities() -> None:
    from geodata.demo.plan import plan

    region = plan("region", np.random.default_rng(1), None)
    city = plan("city", np.random.default_rng(1), None)
    assert sum(sum(t.communities) for t in city) == 406
    assert sum(sum(t.communities) for t in region) == 5 * 406
    assert {t.county[:4] for t in region} == {"3708", "3709", "3717", "3704", "3713"}
    assert min(min(t.communities) for t in region) >= 5
    assert len({t.county for t in region}) == len(region)  # codes never repeat


def test_unknown_scale_is_refused() -> None:
    with pytest.raises(ValueError, match="scale 'town'"):
        build_demo("town", 1, AS_OF)


def test_community_count_only_on_the_street_scale() -> None:
    with pytest.raises(ValueError, match="street"):
        build_demo("city", 1, AS_OF, communities=3)
    with pytest.raises(ValueError, match="between 2 and 30"):
        build_demo("street", 1, AS_OF, communities=1)


def test_same_arguments_give_the_same_city(city: CityData) -> None:
    assert_same_city(city, build_demo("street", 7, AS_OF))


def test_another_seed_gives_another_city(city: CityData) -> None:
    other = build_demo("street", 8, AS_OF)
    assert other.meta["seed"] == "8"
    assert not city.streets.geometry.iloc[0].equals(other.streets.geometry.iloc[0])
    assert not city.cases.equals(other.cases)


def test_progress_bar_goes_to_stderr(capsys: pytest.CaptureFixture[str]) -> None:
    build_demo("street", 1, AS_OF, progress=True, communities=2)
    captured = capsys.readouterr()
    assert captured.out == ""
    assert "demo city" in captured.err


def test_meta(city: CityData) -> None:
    assert city.meta == {
        "name": "梁山县水泊街道（演示）",
        "county_code": "370832",
        "scale": "street",
        "seed": "7",
        "as_of": "2026-11-28",
    }


# --- areas and codes -----------------------------------------------------------------------


def test_columns_follow_the_contract(city: CityData) -> None:
    city.check_columns()
    for name in GEOMETRY_TABLES:
        assert getattr(city, name).crs.to_epsg() == 4326


def test_counts(city: CityData) -> None:
    assert list(city.streets["code"]) == [codes.street_code("370832", 1)]
    assert list(city.streets["name"]) == ["水泊街道"]
    assert 8 <= len(city.communities) <= 12
    assert 30 <= len(city.compounds) <= 60
    assert len(city.grid_cells) >= 5 * len(city.communities)
    assert 10 <= len(city.buildings) / len(city.compounds) <= 80
    assert set(city.roads["kind"]) == {"arterial", "secondary", "path"}
    assert (city.compounds["property_company_id"].isna()).sum() >= 1  # a few 老旧小区
    assert city.compounds["property_company_id"].notna().mean() > 0.7


def test_named_places(city: CityData) -> None:
    communities = city.communities.set_index("name")["code"]
    compounds = city.compounds.set_index("name")
    assert {"运河社区", "锦绣社区"} <= set(communities.index)
    assert {"运河花园", "东方新天地"} <= set(compounds.index)
    assert compounds.loc["运河花园", "community_code"] == communities["运河社区"]
    assert "运河路" in set(city.roads["name"])


def test_names_are_distinct_within_their_parent(city: CityData) -> None:
    assert city.communities["name"].is_unique
    assert not city.compounds.duplicated(["community_code", "name"]).any()
    assert not city.buildings.duplicated(["compound_code", "name"]).any()
    assert city.grid_cells["name"].str.fullmatch(r"\w+社区第\d+网格").all()


def test_codes_are_valid_and_unique(city: CityData) -> None:
    for frame, column, level in (
        (city.streets, "code", Level.STREET),
        (city.communities, "code", Level.COMMUNITY),
        (city.compounds, "code", Level.COMPOUND),
        (city.grid_cells, "code", Level.GRID),
    ):
        assert frame[column].is_unique
        for code in frame[column]:
            codes.check(level, code)
    assert city.buildings["id"].is_unique
    for building, compound in zip(
        city.buildings["id"], city.buildings["compound_code"], strict=True
    ):
        assert codes.compound_of_building(building) == compound
    assert city.roads["id"].is_unique


def test_codes_nest(city: CityData) -> None:
    streets = set(city.streets["code"])
    assert set(city.communities["street_code"]) <= streets
    assert (city.communities["code"].str[:9] == city.communities["street_code"]).all()
    communities = set(city.communities["code"])
    for frame in (city.compounds, city.grid_cells):
        assert set(frame["community_code"]) <= communities
        assert (frame["code"].str[:12] == frame["community_code"]).all()
        assert (frame["street_code"] == frame["community_code"].str[:9]).all()
    cells = city.grid_cells
    assert (cells["code"] == cells["community_code"] + cells["code"].str[-3:]).all()
    assert cells["code"].str[-3:].str.fullmatch(r"\d{3}").all()
    assert set(city.buildings["compound_code"]) <= set(city.compounds["code"])


# --- geometry ------------------------------------------------------------------------------


def tiling_errors(metric: dict[str, gpd.GeoDataFrame]) -> list[str]:
    """Gaps, overlaps and spill-overs above 1 m² between cells, compounds and communities."""
    errors = []
    cells, compounds = metric["grid_cells"], metric["compounds"]
    for code, community in zip(
        metric["communities"]["code"], metric["communities"].geometry, strict=True
    ):
        mine = cells.geometry[cells["community_code"] == code].to_numpy()
        gap = shapely.symmetric_difference(shapely.union_all(mine), community).area
        if gap > 1:
            errors.append(f"{code}: cells differ from the community by {gap:.2f} m²")
        for kind, geoms in (
            ("cell", mine),
            ("compound", compounds.geometry[compounds["community_code"] == code]),
        ):
            spill = shapely.area(shapely.difference(np.asarray(geoms), community))
            if len(spill) and spill.max() > 1:
                errors.append(f"{code}: a {kind} lies {spill.max():.2f} m² outside")
    geoms = cells.geometry.to_numpy()
    left, right = shapely.STRtree(geoms).query(geoms, predicate="intersects")
    pairs = left < right
    overlap = shapely.area(shapely.intersection(geoms[left[pairs]], geoms[right[pairs]]))
    errors += [f"cells overlap by {a:.2f} m²" for a in overlap[overlap > 1]]
    return errors


def test_cells_tile_every_community(metric: dict[str, gpd.GeoDataFrame]) -> None:
    assert tiling_errors(metric) == []


def test_communities_tile_the_street(metric: dict[str, gpd.GeoDataFrame]) -> None:
    street = metric["streets"].geometry.iloc[0]
    union = shapely.union_all(metric["communities"].geometry.to_numpy())
    assert shapely.symmetric_difference(union, street).area < 1


def test_geometries_are_valid_polygons(city: CityData, metric) -> None:
    for name in ("streets", "communities", "compounds", "grid_cells"):
        geoms = getattr(city, name).geometry
        assert geoms.is_valid.all(), name
        assert set(geoms.geom_type) <= {"Polygon", "MultiPolygon"}, name
        assert (metric[name].area > 100).all(), name
    assert set(city.buildings.geom_type) == {"Point"}
    assert set(city.roads.geom_type) == {"LineString"}


@settings(max_examples=4, deadline=None)
@given(seed=st.integers(0, 2**32 - 1), communities=st.integers(2, 4))
def test_cells_tile_for_any_seed(seed: int, communities: int) -> None:
    small = build_demo("street", seed, AS_OF, communities=communities)
    assert len(small.communities) == communities
    assert tiling_errors({n: getattr(small, n).to_crs(METRIC) for n in GEOMETRY_TABLES}) == []


def test_roads_form_one_connected_network(city: CityData) -> None:
    """Roads meet in shared vertices (ends or crossings), so one can walk from any to any."""
    coords = [shapely.get_coordinates(g) for g in city.roads.geometry]
    _, node = np.unique(np.vstack(coords), axis=0, return_inverse=True)
    parent = list(range(node.max() + 1))

    def root(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    start = 0
    for c in coords:
        line = node.ravel()[start : start + len(c)]
        for a in line[1:]:
            parent[root(a)] = root(line[0])
        start += len(c)
    assert len({root(i) for i in range(len(parent))}) == 1


def test_buildings_lie_in_their_compounds(city: CityData, metric) -> None:
    compounds = metric["compounds"].set_index("code").geometry
    buildings = metric["buildings"]
    assert shapely.contains(
        compounds.loc[buildings["compound_code"]].to_numpy(), buildings.geometry.to_numpy()
    ).all()
    assert buildings["name"].str.fullmatch(r"\d+号楼").all()


def test_halls_lie_in_their_communities(city: CityData, metric) -> None:
    halls = gpd.GeoSeries.from_xy(
        city.communities["hall_lon"], city.communities["hall_lat"], crs=4326
    )
    assert halls.to_crs(METRIC).within(metric["communities"].geometry.buffer(1)).all()
    assert city.communities["hall_address"].str.match(r"梁山县水泊街道.+[路街道巷同]\d+号").all()


def test_cells_are_numbered_north_to_south_then_west_to_east(metric) -> None:
    """Cells of one strip row share its band, so their vertical extents overlap; cells of
    different rows only touch."""
    cells = metric["grid_cells"]
    for _, group in cells.groupby("community_code"):
        minx, miny, maxx, maxy = group.geometry.bounds.to_numpy().T
        seq = group["code"].str[-3:].astype(int).to_numpy()
        assert sorted(seq) == list(range(1, len(seq) + 1))
        later = seq[:, None] < seq[None, :]  # [a, b]: a is numbered before b
        north = miny[:, None] >= maxy[None, :]
        assert not (north & ~later).any()
        same_row = (miny[:, None] < maxy[None, :] - 1) & (miny[None, :] < maxy[:, None] - 1)
        west = maxx[:, None] <= minx[None, :]
        assert not (same_row & west & ~later).any()


def test_households_add_up(city: CityData) -> None:
    sums = city.buildings.groupby("compound_code")["households"].sum()
    compounds = city.compounds.set_index("code")["households"]
    pd.testing.assert_series_equal(sums.sort_index(), compounds.sort_index(), check_names=False)
    assert city.buildings["households"].between(30, 150).all()
    assert (city.buildings["floors"] >= 1).all()


def test_cells_hold_about_400_households(metric) -> None:
    """Rule: every cell holds 200–600 households and at least 90 % hold 300–500; cuts fall
    between whole buildings of 30–150 households, so a cell can miss the target by one."""
    buildings, cells = metric["buildings"], metric["grid_cells"]
    joined = gpd.sjoin(buildings, cells[["code", "geometry"]], predicate="within")
    assert len(joined) == len(buildings)  # every building in exactly one cell
    per_cell = joined.groupby("code")["households"].sum().reindex(cells["code"], fill_value=0)
    assert per_cell.between(200, 600).all(), per_cell.describe()
    assert per_cell.between(300, 500).mean() >= 0.9


# --- people --------------------------------------------------------------------------------


def test_ids_and_references(city: CityData) -> None:
    assert city.persons["id"].is_unique
    assert city.persons["id"].str.fullmatch(r"P\d{6}").all()
    assert city.persons["phone"].str.fullmatch(r"1[3-9]\d{9}").all()
    assert city.persons["phone"].is_unique
    assert city.persons["name"].str.fullmatch(r"\w{2,4}").all()
    assert city.organisations["id"].is_unique
    assert set(city.roles["person_id"]) <= set(city.persons["id"])
    assert set(city.roles["org_id"]) <= set(city.organisations["id"])
    assert set(city.roles["role"]) <= {r.value for r in Role}
    assert not city.roles.duplicated().any()


def test_every_community_has_a_committee(city: CityData) -> None:
    orgs = city.organisations.set_index("id")
    for code, name in zip(city.communities["code"], city.communities["name"], strict=True):
        org = f"ORG-COM-{code}"
        assert orgs.loc[org, "kind"] == "committee"
        assert orgs.loc[org, "name"] == f"{name}两委"
        assert orgs.loc[org, "area_code"] == code
        mine = city.roles[city.roles["org_id"] == org]
        counts = mine["role"].value_counts()
        assert counts.get("secretary") == 1 and counts.get("director") == 1
        assert 3 <= counts.get("committee_member", 0) <= 6


def test_every_cell_has_exactly_one_grid_worker(city: CityData) -> None:
    workers = roles_of(city, Role.GRID_WORKER)
    assert (workers["area_level"] == "grid").all()
    assert workers["area_code"].value_counts().eq(1).all()
    assert set(workers["area_code"]) == set(city.grid_cells["code"])
    assert (workers["org_id"] == "ORG-COM-" + workers["area_code"].str[:12]).all()


def test_cross_appointments_in_every_managed_compound(city: CityData, metric) -> None:
    cells = metric["grid_cells"].set_index("code").geometry
    compounds = metric["compounds"].set_index("code")
    roles = city.roles
    managed = compounds[compounds["property_company_id"].notna()]
    for code, compound in managed.iterrows():
        here = roles[roles["area_code"] == code]
        company, committee = (
            compound["property_company_id"],
            f"ORG-COM-{compound['community_code']}",
        )
        assert (here["org_id"] == company).any()
        by_role = {r: set(here.loc[here["role"] == r, "person_id"]) for r in set(here["role"])}
        # a grid worker whose cell overlaps the compound is its property administrator
        (admin,) = by_role["property_administrator"]
        (cell,) = roles.loc[
            (roles["person_id"] == admin) & (roles["role"] == "grid_worker"), "area_code"
        ]
        assert cells[cell].intersection(compound.geometry).area > 1
        # a committee member is its service-quality director
        (director,) = by_role["service_quality_director"]
        member = roles[(roles["person_id"] == director) & (roles["role"] == "committee_member")]
        assert list(member["org_id"]) == [committee]
        # the project manager sits on the committee part time
        (manager,) = by_role["project_manager"]
        part_time = roles[(roles["person_id"] == manager) & (roles["role"] == "part_time_member")]
        assert list(part_time["org_id"]) == [committee]
        assert list(part_time["area_level"]) == ["community"]
        assert by_role["building_manager"]


def test_the_canal_garden_is_cross_appointed(city: CityData) -> None:
    garden = city.compounds.set_index("name").loc["运河花园"]
    here = city.roles[city.roles["area_code"] == garden["code"]]
    admin = here.loc[here["role"] == "property_administrator", "person_id"].item()
    assert (
        here.loc[here["role"] == "property_administrator", "org_id"]
        == garden["property_company_id"]
    ).all()
    worker = roles_of(city, Role.GRID_WORKER)
    assert admin in set(
        worker.loc[worker["area_code"].str[:12] == garden["community_code"], "person_id"]
    )


def test_property_companies_and_owners_committees(city: CityData) -> None:
    orgs = city.organisations
    companies = orgs[orgs["kind"] == "property_company"]
    assert companies["id"].str.fullmatch(r"ORG-PM-\d{4}").all()
    assert companies["name"].str.fullmatch(r"济宁\w+物业服务有限公司").all()
    assert set(city.compounds["property_company_id"].dropna()) == set(companies["id"])
    owners = orgs[orgs["kind"] == "owners_committee"]
    assert len(owners) >= 1
    assert (owners["id"] == "ORG-OC-" + owners["area_code"]).all()
    chairs = roles_of(city, Role.OWNERS_CHAIR)
    assert sorted(chairs["org_id"]) == sorted(owners["id"])


# --- cases ---------------------------------------------------------------------------------


def test_case_values(city: CityData) -> None:
    cases = city.cases
    assert cases["id"].is_unique
    assert cases["id"].str.fullmatch(r"C\d{9}").all()
    assert set(cases["category"]) == set(CATEGORY_BY_CODE)
    assert set(cases["source"]) <= {s.value for s in CaseSource}
    assert set(cases["status"]) <= {s.value for s in CaseStatus}
    assert (cases["description"].str.len() > 5).all()
    for col in ("reported_at", "due_at", "closed_at"):
        assert isinstance(cases[col].dtype, pd.DatetimeTZDtype)


def test_case_timestamps_follow_the_life_cycle(city: CityData) -> None:
    """Each stage's time is when the case first reached it (a rework or a return sends it back
    without clearing them), so the times that are there come in life-cycle order."""
    cases = city.cases
    stamps = cases[[f"{s.value}_at" for s in LIFE_CYCLE]]
    rejected = (cases["status"] == "rejected").to_numpy()
    assert (cases["rejected_at"].notna().to_numpy() == rejected).all()
    assert stamps[rejected].iloc[:, 1:].isna().all().all()
    assert (cases.loc[rejected, "rejected_at"] >= cases.loc[rejected, "reported_at"]).all()
    for earlier, later in zip(stamps.columns[:-1], stamps.columns[1:], strict=True):
        both = stamps[earlier].notna() & stamps[later].notna()
        assert (stamps.loc[both, later] >= stamps.loc[both, earlier]).all(), later
    closed = cases["status"] == "closed"
    assert cases.loc[closed, "closed_at"].notna().all()


def test_due_time_follows_the_category_limit_in_working_time(city: CityData) -> None:
    """Due: the category's limit on the working-time clock from the last dispatch (a return
    dispatches again), later only where a street granted more time."""
    cases = city.cases.set_index("id")
    events = city.case_events
    last = events[events["action"] == "dispatch"].groupby("case_id")["at"].max()
    granted = set(events.loc[events["action"] == "grant_extension", "case_id"])
    clock = WorkClock()
    for case_id, start in last.iloc[::40].items():
        row = cases.loc[case_id]
        category = CATEGORY_BY_CODE[row["category"]]
        expected = clock.due_at(start.to_pydatetime(), category.time_limit, category.time_unit)
        if case_id in granted:
            assert row["due_at"].to_pydatetime() > expected, case_id
        else:
            assert row["due_at"].to_pydatetime() == expected, case_id
        if category.time_unit is LimitUnit.WORK_DAYS and case_id not in granted:
            worked = clock.working_hours(start.to_pydatetime(), expected)
            assert worked == category.time_limit * clock.hours.day_seconds / 3600
    dispatched = cases["dispatched_at"].notna()
    assert cases.loc[~dispatched, "due_at"].isna().all()
    assert cases.loc[dispatched, "assignee_id"].notna().all()


def test_cases_lie_in_the_window(city: CityData) -> None:
    cases = city.cases
    assert cases["reported_at"].min() >= START
    assert cases["reported_at"].max() < END
    for col in [f"{s.value}_at" for s in CaseStatus]:
        assert (cases[col].dropna() < END).all(), col
    assert cases["reported_at"].is_monotonic_increasing


def test_some_cases_are_open_and_some_overdue(city: CityData) -> None:
    cases = city.cases
    open_ = ~cases["status"].isin([s.value for s in FINAL_STATUSES])
    assert 0.01 <= open_.mean() <= 0.15
    overdue = open_ & (cases["due_at"] < END)
    assert 0 < overdue.sum() < open_.sum()
    assert (cases["status"] == "rejected").mean() < 0.1
    assert cases.loc[open_, "status"].nunique() >= 3


def test_cases_lie_in_the_street(city: CityData, metric) -> None:
    points = gpd.GeoSeries.from_xy(city.cases["lon"], city.cases["lat"], crs=4326).to_crs(METRIC)
    street = metric["streets"].geometry.iloc[0]
    assert shapely.contains(street, points.to_numpy()).all()


def test_cases_follow_the_week_and_the_seasons(city: CityData) -> None:
    local = city.cases["reported_at"].dt.tz_convert(LOCAL_TZ)
    per_weekday = local.dt.day_of_week.value_counts()
    assert per_weekday[2] > 1.3 * per_weekday[6]  # Wednesday busier than Sunday
    per_hour = local.dt.hour.value_counts()
    assert per_hour.reindex(range(9, 12)).sum() > 3 * per_hour.reindex(range(0, 6)).sum()
    summer = local.dt.month.isin([7, 8])
    emergency = city.cases["category"] == "emergency"
    assert summer[emergency].mean() > 2 * summer.mean()


def test_cases_have_hotspots(city: CityData, metric) -> None:
    points = gpd.GeoDataFrame(
        geometry=gpd.points_from_xy(city.cases["lon"], city.cases["lat"]), crs=4326
    ).to_crs(METRIC)
    joined = gpd.sjoin(
        points, metric["compounds"][["code", "households", "geometry"]], predicate="within"
    )
    rate = joined.groupby("code").size() / metric["compounds"].set_index("code")["households"]
    assert rate.max() > 3 * rate.median()


def test_assignees_and_reporters(city: CityData) -> None:
    cases = city.cases
    handlers = set(roles_of(city, Role.GRID_WORKER)["person_id"]) | set(
        roles_of(city, Role.BUILDING_MANAGER)["person_id"]
    )
    assert set(cases["assignee_id"].dropna()) <= handlers
    hotline = cases["source"] == CaseSource.HOTLINE_12345.value
    assert cases.loc[hotline, "reporter_name"].str.fullmatch(r"\w(先生|女士)").all()
    assert cases.loc[hotline, "reporter_phone"].str.fullmatch(r"1[3-9]\d{9}").all()
    with_phone = cases["description"].str.contains(r"1[3-9]\d{9}")
    assert 0.05 < with_phone.mean() < 0.9  # as in real 12345 records, some texts carry a phone


# --- visits --------------------------------------------------------------------------------


def rounds(city: CityData) -> pd.DataFrame:
    """The building rounds: visits but those made only to call on tagged households (those
    reach just the households they link; a round reaches 10 or more)."""
    linked = city.visit_households.groupby("visit_id").size()
    visits = city.visits
    care = visits["households_reached"].to_numpy() == linked.reindex(visits["id"]).to_numpy()
    return visits[~care]


def test_visits_on_wednesdays_and_thursdays(city: CityData) -> None:
    visits = city.visits
    assert visits["id"].is_unique and visits["id"].str.fullmatch(r"V\d{9}").all()
    assert all(type(d) is dt.date for d in visits["date"])
    assert {d.weekday() for d in visits["date"]} == {2, 3}
    assert min(visits["date"]) > AS_OF - dt.timedelta(days=365)
    assert max(visits["date"]) <= AS_OF
    assert not visits.duplicated(["building_id", "date"]).any()  # one visit per building a day
    walked = rounds(city)
    days = {d for d in walked["date"]}
    per_worker_day = len(walked) / (len(city.grid_cells) * len(days))
    assert 0.75 < per_worker_day <= 1.0  # about one building round a day, some days missed
    assert not walked.duplicated(["worker_id", "date"]).any()


def test_visits_stay_in_the_workers_cell(city: CityData, metric) -> None:
    visits = city.visits
    workers = roles_of(city, Role.GRID_WORKER).set_index("person_id")["area_code"]
    cells = metric["grid_cells"].set_index("code").geometry
    buildings = metric["buildings"].set_index("id")
    cell = cells.loc[visits["worker_id"].map(workers)].to_numpy()
    point = buildings.geometry.loc[visits["building_id"]].to_numpy()
    assert shapely.contains(cell, point).all()
    households = buildings["households"].loc[visits["building_id"]].to_numpy()
    assert (visits["households_reached"].to_numpy() <= households).all()
    assert visits["households_reached"].between(1, 60).all()
    assert visits["needs_found"].between(0, 5).all()
    assert (visits["cases_raised"] <= visits["needs_found"]).all()


def test_visits_go_round_the_cell(city: CityData, metric) -> None:
    """The building visited next is always the one visited longest ago (or never)."""
    joined = gpd.sjoin(metric["buildings"], metric["grid_cells"][["code", "geometry"]])
    buildings_in = joined.groupby("code").size()
    cell_of = roles_of(city, Role.GRID_WORKER).set_index("person_id")["area_code"]
    for worker, visits in rounds(city).sort_values("date").groupby("worker_id"):
        seen = list(visits["building_id"])
        size = buildings_in[cell_of[worker]]
        assert len(set(seen[:size])) == min(size, len(seen))
        assert seen[size:] == seen[: len(seen) - size]


# --- tagged households ---------------------------------------------------------------------
RATES = {"hardship": 0.02, "empty_nest": 0.06, "living_alone": 0.03, "disability": 0.025,
         "community_correction": 0.001}  # fmt: skip


def test_tagged_households_come_at_believable_rates(city: CityData) -> None:
    homes = city.households
    total = city.buildings["households"].sum()
    tags = homes["tags"].str.split(",").explode().value_counts()
    for tag, rate in RATES.items():
        assert abs(tags.get(tag, 0) / total - rate) <= max(0.15 * rate, 0.0008), tag
    assert homes["id"].is_unique and homes["id"].str.fullmatch(r"H\d{8}").all()
    assert set(homes["building_id"]) <= set(city.buildings["id"])
    assert not homes.duplicated(["building_id", "unit"]).any()  # one door each
    assert homes["unit"].str.fullmatch(r"\d+-\d+0[12]").all()
    assert (homes["tags"] == "living_alone,disability").any()  # two tags on some
    per = homes.groupby("building_id").size()
    assert (per <= city.buildings.set_index("id")["households"].reindex(per.index)).all()


def test_tagged_households_are_visited_about_monthly(city: CityData) -> None:
    links = city.visit_households
    visits = city.visits.set_index("id")
    assert set(links["visit_id"]) <= set(visits.index)
    assert set(links["household_id"]) == set(city.households["id"])  # each reached
    home = city.households.set_index("id")["building_id"]
    assert (visits.loc[links["visit_id"], "building_id"].to_numpy()
            == home.loc[links["household_id"]].to_numpy()).all()  # fmt: skip
    dated = links.assign(day=pd.to_datetime(visits.loc[links["visit_id"], "date"]).to_numpy())
    gaps = dated.sort_values("day").groupby("household_id")["day"].diff().dt.days.dropna()
    assert 25 <= gaps.median() <= 40 and gaps.max() <= 52
