"""The store suite: every Store method, through a real file, against the tiny hand-made city."""

from __future__ import annotations

import datetime as dt
import math
import sqlite3

import pandas as pd
import pyogrio
import pytest
import shapely

from geodata import sqlrows
from geodata.gpkg.schema import SCHEMA_VERSION
from geodata.model import CATEGORY_BY_CODE, LOCAL_TZ, Level, Role
from geodata.store import METRIC_COLUMNS, CaseFilter, StoreError, Window
from tests import tiny_city as tc

END = dt.datetime(2026, 11, 29, tzinfo=LOCAL_TZ)  # the end of AS_OF, local time
LAST_30 = Window(END - dt.timedelta(days=30), END)


@pytest.fixture
def store(store_factory):
    s = store_factory(create=True)
    s.write_city(tc.build())
    return s


def _naive_cell(lon: float, lat: float, cells) -> str | None:
    point = shapely.Point(lon, lat)
    for code, geom in zip(cells["code"], cells.geometry, strict=True):
        if geom.covers(point):
            return code
    return None


def naive_case_metrics(store, window: Window, category: str | None = None) -> dict:
    """The metric definitions applied row by row, as an oracle for the store's group-bys."""
    cells = store.areas(Level.GRID)
    out = {code: {"cases": 0, "open_cases": 0, "overdue_cases": 0} for code in cells["code"]}
    for case in tc.cases().to_dict("records"):
        if category and case["category"] != category:
            continue
        if case["reported_at"] >= window.end:
            continue
        code = _naive_cell(case["lon"], case["lat"], cells)
        closed = case["closed_at"]
        is_open = closed is None or pd.isna(closed) or closed >= window.end
        out[code]["cases"] += case["reported_at"] >= window.start
        out[code]["open_cases"] += is_open
        out[code]["overdue_cases"] += is_open and case["due_at"] < window.end
    return out


def test_new_store_is_empty_and_survives_reopen(store_factory):
    store = store_factory(create=True)
    assert set(store.counts().values()) == {0}
    assert store.meta()["schema_version"] == SCHEMA_VERSION
    store.close()
    again = store_factory()
    assert set(again.counts().values()) == {0}
    assert again.areas(Level.STREET).empty


def test_city_written_is_read_back_after_reopen(store, store_factory):
    store.close()
    reopened = store_factory(readonly=True)
    counts = reopened.counts()
    assert counts["streets"] == 1 and counts["communities"] == 2
    assert counts["compounds"] == 2 and counts["grid_cells"] == 4
    assert counts["buildings"] == 6 and counts["roles"] == 9
    assert counts["cases"] == len(tc.cases()) and counts["visits"] == len(tc.visits())
    assert reopened.meta()["name"] == "测试城"


def test_areas_of_each_level_with_parents(store):
    comms = store.areas(Level.COMMUNITY)
    assert list(comms["name"]) == ["运河社区", "锦绣社区"]
    assert comms.crs.to_epsg() == 4326
    assert set(store.areas(Level.GRID, parent=tc.YUNHE)["code"]) == {
        tc.YUNHE + "001",
        tc.YUNHE + "002",
    }
    assert set(store.areas(Level.COMMUNITY, parent=tc.STREET)["code"]) == {tc.YUNHE, tc.JINXIU}
    # compounds and cells cross: the garden spans both cells of 运河社区
    assert set(store.areas(Level.GRID, parent=tc.GARDEN)["code"]) == {
        tc.YUNHE + "001",
        tc.YUNHE + "002",
    }
    assert list(store.areas(Level.COMPOUND, parent=tc.JINXIU + "001")["name"]) == ["东方新天地"]
    assert store.areas(Level.COMPOUND, parent=tc.JINXIU + "002").empty


def test_geometry_round_trips(store):
    cells = store.areas(Level.GRID).to_crs(tc.CRS)
    for code, (x0, y0, x1, y1) in tc.CELLS.items():
        geom = cells.loc[cells["code"] == code].geometry.iloc[0]
        expected = shapely.box(tc.X0 + x0, tc.Y0 + y0, tc.X0 + x1, tc.Y0 + y1)
        assert geom.symmetric_difference(expected).area < 0.01


def test_households_are_summed_from_buildings(store):
    cells = store.areas(Level.GRID).set_index("code")["households"]
    assert cells[tc.YUNHE + "001"] == 200 and cells[tc.YUNHE + "002"] == 200
    assert cells[tc.JINXIU + "001"] == 200 and cells[tc.JINXIU + "002"] == 0
    assert store.areas(Level.STREET)["households"].iloc[0] == 600


def test_area_details(store):
    garden = store.area(tc.GARDEN)
    assert garden["name"] == "运河花园" and garden["level"] == "compound"
    assert garden["community_name"] == "运河社区" and garden["street_name"] == "水泊街道"
    assert garden["property_company"] == "济宁运河物业服务有限公司"
    assert store.area(tc.XINTIANDI)["property_company"] is None
    assert store.area("370832001999") is None
    assert store.area("not a code") is None


@pytest.mark.parametrize("category", [None, "sanitation", "street_vending", "noise"])
def test_case_metrics_match_the_definitions(store, category):
    got = store.metrics(Level.GRID, LAST_30, category=category)
    assert list(got.columns) == list(METRIC_COLUMNS)
    expected = naive_case_metrics(store, LAST_30, category)
    for code, values in expected.items():
        for col, value in values.items():
            assert got.loc[code, col] == value, (code, col)


def test_metrics_by_hand(store):
    got = store.metrics(Level.GRID, LAST_30)
    north = got.loc[tc.YUNHE + "001"]
    assert (north.cases, north.open_cases, north.overdue_cases) == (3, 2, 2)
    assert north.cases_per_1000 == pytest.approx(15.0)
    assert (north.visits, north.households_reached) == (2, 70)
    assert north.visits_per_100 == pytest.approx(35.0)
    assert north.days_since_visit == 1
    south = got.loc[tc.YUNHE + "002"]
    assert south.visits == 0 and south.days_since_visit == 50  # visited before the window
    empty = got.loc[tc.JINXIU + "002"]
    assert empty.cases == 0 and math.isnan(empty.cases_per_1000)  # no households: no data
    assert math.isnan(empty.days_since_visit) and empty.last_visit is None


def test_metrics_window_end_in_the_past(store):
    """Open means open at the window's end: C3, closed on day -4, is open at day -5's end."""
    end = dt.datetime(2026, 11, 24, tzinfo=LOCAL_TZ)
    got = store.metrics(Level.GRID, Window(end - dt.timedelta(days=7), end))
    assert got.loc[tc.YUNHE + "001", "open_cases"] == 2  # C1 and C3; C6 not reported yet
    assert store.metrics(Level.GRID, LAST_30).loc[tc.YUNHE + "001", "open_cases"] == 2  # C1, C6


def test_open_cases_count_the_backlog_however_old(store):
    old = tc.case_row("C8", "repairs", 300, 110, tc.local(-120), "in_progress")
    store.add_cases(pd.DataFrame([old]))
    cell = store.metrics(Level.GRID, LAST_30).loc[tc.YUNHE + "002"]
    assert cell.cases == 1  # C2 only: C8 was reported long before the window
    assert (cell.open_cases, cell.overdue_cases) == (2, 1)  # C2 open, C8 open and overdue


def test_metrics_per_level_and_parent(store):
    for level in Level:
        got = store.metrics(level, LAST_30)
        assert list(got.index) == list(store.areas(level)["code"])
    within = store.metrics(Level.GRID, LAST_30, parent=tc.YUNHE)
    assert set(within.index) == {tc.YUNHE + "001", tc.YUNHE + "002"}
    compounds = store.metrics(Level.COMPOUND, LAST_30)
    assert compounds.loc[tc.GARDEN, "cases"] == 3  # C1, C2, C3; C6 is on the road
    street = store.metrics(Level.STREET, LAST_30).iloc[0]
    assert street.cases == 5 and street.visits == 3


def test_staff_of_a_compound_lists_each_person_once_with_all_roles(store):
    staff = store.staff(tc.GARDEN)
    ids = [m.person_id for m in staff]
    assert len(ids) == len(set(ids))
    assert set(ids) == {"P1", "P2", "P3", "P4", "P5"}
    by_id = {m.person_id: m for m in staff}
    assert {r.role for r in by_id["P1"].roles} == {Role.GRID_WORKER, Role.PROPERTY_ADMINISTRATOR}
    assert by_id["P1"].cross_appointed and by_id["P3"].cross_appointed
    assert by_id["P4"].cross_appointed
    assert not by_id["P2"].cross_appointed and not by_id["P5"].cross_appointed
    assert staff[0].person_id in {"P1", "P2"}  # grid workers first
    assert by_id["P1"].phone == "13800000001"


def test_staff_of_a_grid_cell_includes_its_compounds_staff(store):
    ids = {m.person_id for m in store.staff(tc.YUNHE + "001")}
    assert ids == {"P1", "P3", "P4", "P5"}
    assert store.staff(tc.JINXIU + "002") == []


def test_recent_cases_newest_first(store):
    recent = store.recent_cases(tc.GARDEN)
    assert [c.id for c in recent] == ["C2", "C3", "C1", "C5"]
    assert [c.id for c in store.recent_cases(tc.GARDEN, limit=2)] == ["C2", "C3"]
    assert [c.id for c in store.recent_cases(tc.GARDEN, category="sanitation")] == ["C1", "C5"]
    first = recent[0]
    assert first.reported_at == tc.local(-2).to_pydatetime()
    assert first.is_open and first.grid_code == tc.YUNHE + "002"


def test_cases_and_visits_tables(store):
    cases = store.cases(tc.STREET, window=LAST_30)
    assert set(cases["id"]) == {"C1", "C2", "C3", "C4", "C6"}
    assert cases["reported_at"].is_monotonic_decreasing
    visits = store.visits(worker_id="P1")
    assert list(visits["id"]) == ["V1", "V2"]
    assert visits["grid_code"].tolist() == [tc.YUNHE + "001"] * 2
    assert list(store.visits(tc.JINXIU, window=LAST_30)["id"]) == ["V4"]


def test_a_case_page_is_a_slice_of_the_cases_with_the_total(store):
    every = store.cases(tc.STREET, window=LAST_30)["id"].tolist()
    page, total = store.case_page(tc.STREET, LAST_30, offset=1, limit=2)
    assert total == len(every) and page["id"].tolist() == every[1:3]
    assert store.case_page(tc.STREET, LAST_30, limit=0)[0].empty
    by_id, _ = store.case_page(tc.STREET, LAST_30, sort=[("id", True)])
    assert by_id["id"].tolist() == sorted(every, reverse=True)
    sanitation, count = store.case_page(tc.STREET, LAST_30, category="sanitation")
    assert count == len(sanitation) and set(sanitation["category"]) == {"sanitation"}


def test_a_case_page_filters_in_the_store(store):
    one = [[CaseFilter("id", "equals", "c2")]]  # AG Grid's text filters ignore case
    assert store.case_page(tc.STREET, LAST_30, filters=one)[0]["id"].tolist() == ["C2"]
    either = [[CaseFilter("id", "equals", "C2"), CaseFilter("id", "endsWith", "3")]]
    assert set(store.case_page(tc.STREET, LAST_30, filters=either)[0]["id"]) == {"C2", "C3"}
    both = [[CaseFilter("id", "startsWith", "C")], [CaseFilter("id", "notContains", "2")]]
    page, total = store.case_page(tc.STREET, LAST_30, filters=both)
    assert "C2" not in set(page["id"]) and total == len(page) > 0
    wildcard = [[CaseFilter("id", "startsWith", "%")]]  # LIKE's wildcards are plain text
    assert store.case_page(tc.STREET, LAST_30, filters=wildcard)[1] == 0
    since = [[CaseFilter("reported_at", "after", tc.local(-3).to_pydatetime())]]
    newer = store.case_page(tc.STREET, LAST_30, filters=since)[0]
    assert (newer["reported_at"] > tc.local(-3)).all() and len(newer) > 0


def test_a_case_page_refuses_columns_it_does_not_list(store):
    with pytest.raises(ValueError, match="sort"):
        store.case_page(tc.STREET, LAST_30, sort=[("description; DROP TABLE cases", False)])
    with pytest.raises(ValueError, match="filter"):
        CaseFilter("description", "contains", "x")


def test_buildings_and_roads(store):
    b = store.buildings(tc.YUNHE + "002")
    assert set(b["id"]) == {f"{tc.GARDEN}-03", f"{tc.GARDEN}-04"}
    assert set(b["compound_code"]) == {tc.GARDEN}
    assert list(store.roads()["name"]) == ["运河路", "建设路"]


def test_a_written_case_lands_in_its_compound_and_cell_and_survives_reopen(store, store_factory):
    new = pd.DataFrame([tc.case_row("C7", "noise", 500, 110, tc.local(0, 9), "reported")])
    assert store.add_cases(new) == 1
    store.close()
    reopened = store_factory()
    (case,) = reopened.recent_cases(tc.XINTIANDI, limit=1)
    assert case.id == "C7"
    assert (case.grid_code, case.compound_code) == (tc.JINXIU + "001", tc.XINTIANDI)
    assert (case.community_code, case.street_code) == (tc.JINXIU, tc.STREET)
    assert reopened.metrics(Level.COMPOUND, LAST_30).loc[tc.XINTIANDI, "cases"] == 2


def test_a_bulk_of_cases_is_written_with_its_indexes_rebuilt(store, store_factory, monkeypatch):
    from geodata.gpkg import schema, writes

    monkeypatch.setattr(writes, "BULK_ROWS", 2)  # take the bulk path with a small batch
    rows = [tc.case_row(f"B{i}", "noise", 500, 110, tc.local(0, 9), "reported") for i in range(3)]
    assert store.add_cases(pd.DataFrame(rows)) == 3
    store.close()
    reopened = store_factory()
    assert reopened.existing_ids("cases", ["B0", "B1", "B2", "B9"]) == {"B0", "B1", "B2"}
    assert reopened.metrics(Level.COMPOUND, LAST_30).loc[tc.XINTIANDI, "cases"] == 4
    wanted = [n for n, target in schema.INDEXES.items() if target.startswith("cases ")]
    con = reopened.sql_connection()
    assert all(sqlrows.has_relation(con, name) for name in wanted)


def test_existing_ids_answers_for_each_table(store):
    assert store.existing_ids("cases", []) == set()
    case_ids = list(store.cases()["id"].astype(str))
    many = [*case_ids, *(f"X{i}" for i in range(1200))]  # more than one query's worth
    assert store.existing_ids("cases", many) == set(case_ids)
    visit = str(store.visits()["id"].iloc[0])
    assert store.existing_ids("visits", [visit, "nope"]) == {visit}
    with pytest.raises(ValueError, match="not one of"):
        store.existing_ids("cases; DROP TABLE cases", ["x"])


def test_compounds_all_multipolygons_are_written(store_factory):
    city = tc.build()
    city.compounds = city.compounds.set_geometry(
        shapely.multipolygons([[g] for g in city.compounds.geometry]), crs=city.compounds.crs
    )
    target = store_factory(create=True)
    target.write_city(city)
    assert len(target.areas(Level.COMPOUND)) == len(city.compounds)


def test_a_written_visit_takes_the_areas_of_its_building(store, store_factory):
    visit = tc.visits().iloc[:1].assign(id="V9", building_id=f"{tc.XINTIANDI}-02")
    assert store.add_visits(visit) == 1
    store.close()
    row = store_factory().visits(worker_id="P1").iloc[0]
    assert row["id"] == "V9" and row["grid_code"] == tc.JINXIU + "001"


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"category": "unicorns"}, "row 2: category 'unicorns'"),
        ({"lat": 123.0}, "row 2: lat 123.0 is not a latitude"),
        ({"status": "lost"}, "row 2: status 'lost'"),
        ({"id": "C1"}, "row 2: id 'C1' is in the store already"),
        ({"reported_at": "yesterday-ish"}, "row 2: reported_at 'yesterday-ish' is not a time"),
        ({"status": "closed"}, "row 2: status 'closed' has no closed_at"),
        ({"closed_at": tc.local(0, 12)}, "row 2: status 'reported' but closed_at is set"),
        ({"id": "=XSS-007"}, "row 2: id '=XSS-007' holds '='; an id is letters"),
    ],
)
def test_bad_cases_are_refused_whole_and_leave_the_store_as_it_was(
    store, store_factory, change, message
):
    rows = [
        tc.case_row("C8", "noise", 100, 110, tc.local(0), "reported"),
        tc.case_row("C9", "noise", 100, 110, tc.local(0), "reported") | change,
    ]
    before = store_factory.digest()
    with pytest.raises(StoreError, match=message.replace("(", r"\(")):
        store.add_cases(pd.DataFrame(rows))
    assert store_factory.digest() == before


def test_a_rules_check_is_written_as_located_or_refused_for_its_findings(store):
    from dataclasses import replace

    from geodata import records, rules
    from geodata.locate import Locator

    levels = (Level.GRID, Level.COMPOUND, Level.COMMUNITY, Level.STREET)
    locator = Locator(*(store.areas(level) for level in levels))
    rows = [
        tc.case_row("C8", "noise", 100, 110, tc.local(0), "reported"),
        tc.case_row("C9", "noise", 100, 110, tc.local(0), "closed"),
    ]
    check = rules.check_cases(records.typed_cases(pd.DataFrame(rows)), locator)
    assert [(f.row, f.field, f.rule) for f in check.findings] == [(2, "status", "unstamped")]
    with pytest.raises(StoreError, match="row 2: status 'closed' has no closed_at"):
        store.add_cases(check)
    good = check.only([1])
    assert store.add_cases(replace(good, areas_revision=store.revision())) == 1
    # Checked against areas since changed: the store locates the points again.
    stale = rules.check_cases(records.typed_cases(pd.DataFrame(rows[:1]).assign(id="C7")), locator)
    assert store.add_cases(replace(stale, areas_revision="stale")) == 1
    assert set(store.cases(tc.GARDEN)["id"]) >= {"C7", "C8"}


def test_times_in_several_timezones_are_kept_apart_from_naive_ones(store):
    rows = [
        tc.case_row("C8", "noise", 100, 110, tc.local(0), "reported"),
        tc.case_row("C9", "noise", 100, 110, tc.local(0), "reported"),
    ]
    rows[0]["reported_at"] = "2026-11-28T09:00:00+08:00"
    rows[1]["reported_at"] = "2026-11-28T01:30:00Z"
    assert store.add_cases(pd.DataFrame(rows)) == 2
    got = store.cases(tc.GARDEN).set_index("id")["reported_at"]
    assert got["C8"] == pd.Timestamp("2026-11-28T01:00:00Z")
    assert got["C9"] == pd.Timestamp("2026-11-28T01:30:00Z")
    rows = [tc.case_row(f"C1{i}", "noise", 100, 110, tc.local(0), "reported") for i in range(2)]
    rows[0]["reported_at"], rows[1]["reported_at"] = "2026-11-28T09:00:00+08:00", "2026-11-28"
    with pytest.raises(StoreError, match="row 2: reported_at '2026-11-28' has no timezone"):
        store.add_cases(pd.DataFrame(rows))


def test_cases_without_optional_fields_read_back_as_none(store):
    row = tc.case_row("C8", "noise", 100, 110, tc.local(0), "reported")
    row |= {"source": None, "description": None, "assignee_id": None, "reporter_name": None}
    store.add_cases(pd.DataFrame([row]))
    (case,) = store.recent_cases(tc.GARDEN, limit=1)
    assert case.id == "C8" and case.source is None and case.assignee_id is None
    assert case.description == ""


def test_revision_changes_with_every_write_and_only_then(store, store_factory):
    first = store.revision()
    store.add_cases(pd.DataFrame([tc.case_row("C8", "noise", 100, 110, tc.local(0), "reported")]))
    second = store.revision()
    assert second != first
    with pytest.raises(StoreError):
        store.add_cases(pd.DataFrame([tc.case_row("C8", "noise", 1, 1, tc.local(0), "reported")]))
    assert store.revision() == second
    store.close()
    assert store_factory(readonly=True).revision() == second


def test_bad_visits_are_refused(store, store_factory):
    before = store_factory.digest()
    visit = tc.visits().iloc[:2].assign(id=["V10", "V11"], building_id=["nowhere", None])
    with pytest.raises(StoreError, match="row 1: building_id 'nowhere' is not a known building"):
        store.add_visits(visit)
    assert store_factory.digest() == before


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"households_reached": 10**20}, "row 1: households_reached"),
        ({"households_reached": None}, "row 1: households_reached None"),
        ({"worker_id": " "}, "row 1: worker_id ' ' is empty"),
        ({"building_id": None, "grid_code": "370832001001999"}, "not a known grid cell"),
    ],
)
def test_bad_visit_values_are_refused(store, store_factory, change, message):
    before = store_factory.digest()
    visit = tc.visits().iloc[:1].assign(id="V10")
    for column, value in change.items():
        visit[column] = pd.Series([value], dtype=object)
    with pytest.raises(StoreError, match=message):
        store.add_visits(visit)
    assert store_factory.digest() == before


def test_read_only_store_refuses_writes(store, store_factory):
    store.close()
    ro = store_factory(readonly=True)
    with pytest.raises(StoreError, match="read-only"):
        ro.add_cases(pd.DataFrame([tc.case_row("C8", "noise", 1, 1, tc.local(0), "reported")]))


def test_odd_characters_in_the_path(tmp_path):
    from geodata.backends import open_store

    odd = tmp_path / "a#b?c%d.gpkg"
    with open_store(odd, create=True) as store:
        store.write_city(tc.build())
    with open_store(odd, readonly=True) as again:
        assert again.counts()["streets"] == 1
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a#b?c%d.gpkg"]


def test_opening_what_is_not_a_store(tmp_path):
    from geodata.backends import open_store

    with pytest.raises(StoreError, match="no such file"):
        open_store(tmp_path / "missing.gpkg")
    text = tmp_path / "notes.gpkg"
    text.write_text("hello")
    with pytest.raises(StoreError, match="not a gridboard store"):
        open_store(text)
    other = tmp_path / "other.sqlite"
    sqlite3.connect(other).execute("CREATE TABLE t (x)").connection.commit()
    with pytest.raises(StoreError, match="not a gridboard store"):
        open_store(other)


def test_the_store_is_one_other_gis_tools_read(store, store_factory):
    if store_factory.kind == "pg":  # QGIS and ogr2ogr find PostGIS layers in geometry_columns
        found = store_factory.raw(
            "SELECT f_table_name, type, srid FROM geometry_columns"
            " WHERE f_table_schema = current_schema()"
        )
        layers = {name: (kind, srid) for name, kind, srid in found}
        assert layers["compounds"] == ("MULTIPOLYGON", 4326)
        assert layers["buildings"] == ("POINT", 4326) and layers["roads"] == ("LINESTRING", 4326)
        return
    path = store_factory.location
    layers = dict(pyogrio.list_layers(path))
    assert layers["compounds"] == "MultiPolygon" and layers["buildings"] == "Point"
    assert layers["roads"] == "LineString"
    compounds = pyogrio.read_dataframe(path, layer="compounds")
    assert set(compounds["name"]) == {"运河花园", "东方新天地"}
    assert compounds.crs.to_epsg() == 4326
    assert compounds.geometry.is_valid.all()


def test_categories_are_kept_in_the_store(store, store_factory):
    rows = store_factory.raw("SELECT code, time_limit, time_unit FROM categories")
    limits = {code: (limit, unit) for code, limit, unit in rows}
    assert limits == {c: (cat.time_limit, cat.time_unit) for c, cat in CATEGORY_BY_CODE.items()}
    assert store.categories() == tuple(sorted(CATEGORY_BY_CODE.values(), key=lambda c: c.code))


def test_reads_from_many_threads_agree_and_reuse_connections(store):
    import threading

    expected = store.metrics(Level.GRID, LAST_30)
    results, seen = [], []

    def read() -> None:
        results.append(store.metrics(Level.GRID, LAST_30).equals(expected))
        seen.append(id(store._connect()))

    for _ in range(3):  # one after another: an ended thread's connection is reused
        thread = threading.Thread(target=read)
        thread.start()
        thread.join()
    assert len(set(seen)) == 1
    threads = [threading.Thread(target=read) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert results == [True] * 11


# --- visit routes --------------------------------------------------------------------------------
def test_grid_workers_with_their_cells_and_community(store):
    rows = store.grid_workers()
    assert list(rows["person_id"]) == ["P1", "P2", "P6"]
    assert list(rows["grid_code"]) == [tc.YUNHE + "001", tc.YUNHE + "002", tc.JINXIU + "001"]
    assert list(rows["community_name"]) == ["运河社区", "运河社区", "锦绣社区"]
    assert list(rows["name"]) == ["王建国", "李秀英", "赵磊"]
    assert list(store.grid_workers("P6")["grid_code"]) == [tc.JINXIU + "001"]
    assert store.grid_workers("P3").empty  # a committee member, not a grid worker
    assert store.grid_workers("nobody").empty


def test_a_grid_worker_without_cells_is_listed_once_with_no_cell(store_factory):
    city = tc.build()
    city.persons = pd.concat(
        [city.persons, pd.DataFrame([("P7", "孙丽", "13800000007")], columns=city.persons.columns)]
    )
    extra = [
        ("P7", "ORG-COM-" + tc.JINXIU, "grid_worker", "community", tc.JINXIU),
        ("P6", "ORG-COM-" + tc.JINXIU, "grid_worker", "grid", tc.JINXIU + "002"),
        ("P6", "ORG-COM-" + tc.JINXIU, "grid_worker", "community", tc.JINXIU),
    ]
    city.roles = pd.concat([city.roles, pd.DataFrame(extra, columns=city.roles.columns)])
    store = store_factory(create=True)
    store.write_city(city)
    p7 = store.grid_workers("P7")
    assert len(p7) == 1 and p7["grid_code"].isna().all()
    assert p7["community_code"].tolist() == [tc.JINXIU]
    assert p7["community_name"].tolist() == ["锦绣社区"]
    p6 = store.grid_workers("P6")  # the community-level role adds no cell-less row
    assert list(p6["grid_code"]) == [tc.JINXIU + "001", tc.JINXIU + "002"]


def test_last_visit_of_each_building_up_to_a_day(store):
    more = tc.visits().iloc[:1].assign(id="V9", date=tc.AS_OF - dt.timedelta(days=30))
    store.add_visits(more)  # an older visit to GARDEN-01 does not hide the newer one
    north = [tc.YUNHE + "001"]
    last = store.last_visits(north, tc.AS_OF)
    assert last.to_dict() == {
        f"{tc.GARDEN}-01": tc.AS_OF - dt.timedelta(days=1),
        f"{tc.GARDEN}-02": tc.AS_OF - dt.timedelta(days=8),
    }
    earlier = store.last_visits(north, tc.AS_OF - dt.timedelta(days=5))
    assert earlier.to_dict() == {
        f"{tc.GARDEN}-01": tc.AS_OF - dt.timedelta(days=30),
        f"{tc.GARDEN}-02": tc.AS_OF - dt.timedelta(days=8),
    }
    both = store.last_visits([tc.YUNHE + "002", tc.JINXIU + "001"], tc.AS_OF)
    assert set(both.index) == {f"{tc.GARDEN}-03", f"{tc.XINTIANDI}-01"}
    assert store.last_visits([], tc.AS_OF).empty


def test_open_cases_of_cells_at_a_moment_most_overdue_first(store):
    cells = list(tc.CELLS)
    now = store.open_cases(cells, END)
    assert list(now["id"]) == ["C4", "C1", "C6", "C2"]  # by due time
    assert now["due_at"].is_monotonic_increasing
    assert str(now["due_at"].dt.tz) == "UTC"
    north = store.open_cases([tc.YUNHE + "001"], tc.local(-4, 9).to_pydatetime())
    assert set(north["id"]) == {"C1", "C3"}  # C3 was closed an hour later
    assert north.set_index("id").loc["C3", "grid_code"] == tc.YUNHE + "001"
    before = store.open_cases(cells, tc.local(-30).to_pydatetime())
    assert before.empty
    assert store.open_cases([], END).empty


# --- the wall: figures at a moment and a week earlier, ranking, newest cases ------------------
NOON = tc.local(0, 12).to_pydatetime()  # 2026-11-28 (a Saturday) at noon


def _open_at(case: dict, at) -> bool:
    closed = case["closed_at"]
    return case["reported_at"] < at and (closed is None or pd.isna(closed) or closed >= at)


def naive_wall_figures(at) -> dict:
    """The wall's definitions applied row by row to the tiny city's cases and visits."""
    cases = tc.cases().to_dict("records")
    day = at.replace(hour=0, minute=0, second=0, microsecond=0)
    week = dt.timedelta(days=7)

    def count(test) -> int:
        return sum(1 for c in cases if test(c))

    def closed_in(c, start, end) -> bool:
        return (
            c["closed_at"] is not None
            and not pd.isna(c["closed_at"])
            and (start <= c["closed_at"] < end)
        )

    out = {}
    for suffix, moment, today in (("", at, day), ("_prev", at - week, day - week)):
        out[f"open_cases{suffix}"] = count(lambda c, m=moment: _open_at(c, m))
        out[f"overdue_cases{suffix}"] = count(
            lambda c, m=moment: _open_at(c, m) and c["due_at"] < m
        )
        out[f"new_today{suffix}"] = count(lambda c, m=moment, d=today: d <= c["reported_at"] < m)
        out[f"closed_today{suffix}"] = count(lambda c, m=moment, d=today: closed_in(c, d, m))
        out[f"reported_7d{suffix}"] = count(lambda c, m=moment: m - week <= c["reported_at"] < m)
        out[f"closed_7d{suffix}"] = count(lambda c, m=moment: closed_in(c, m - week, m))
    return out


def test_wall_figures_match_the_definitions(store):
    figures = store.wall_figures(NOON)
    naive = naive_wall_figures(NOON)
    assert {k: figures[k] for k in naive} == naive
    assert figures["open_cases"] == 4 and figures["overdue_cases"] == 3  # C1, C4, C6
    # C3: reported 5 days ago at 10:00, closed a day later → 24 h; nothing closed the week before
    assert figures["median_close_hours"] == pytest.approx(24.0)
    assert math.isnan(figures["median_close_hours_prev"])
    # The week runs Monday 23 Nov .. Saturday 28 Nov: V1 (27th), V4 (26th); V2 (20th) a week ago
    assert (figures["visits_week"], figures["households_week"]) == (2, 100)
    assert (figures["visits_week_prev"], figures["households_week_prev"]) == (1, 30)
    assert figures["grid_workers"] == 3


def test_wall_figures_of_a_street_and_a_community(store):
    assert store.wall_figures(NOON, tc.STREET) == store.wall_figures(NOON)
    jinxiu = store.wall_figures(NOON, tc.JINXIU)
    assert (jinxiu["open_cases"], jinxiu["visits_week"], jinxiu["grid_workers"]) == (1, 1, 1)
    with pytest.raises(StoreError):
        store.wall_figures(NOON, tc.GARDEN)


def test_a_written_case_counts_at_once(store):
    before = store.wall_figures(NOON)
    store.add_cases(
        pd.DataFrame([tc.case_row("C8", "noise", 100, 110, tc.local(0, 11), "reported")])
    )
    after = store.wall_figures(NOON)
    assert after["new_today"] == before["new_today"] + 1
    assert after["open_cases"] == before["open_cases"] + 1
    assert store.newest_cases(1, before=NOON)["id"].tolist() == ["C8"]


def test_overdue_ranking_of_the_city_and_of_a_street(store):
    city = store.overdue_ranking(NOON)
    assert city.to_dict("index") == {
        tc.STREET: {"name": "水泊街道", "open_cases": 4, "overdue_cases": 3}
    }
    street = store.overdue_ranking(NOON, tc.STREET)
    assert list(street.index) == [tc.YUNHE, tc.JINXIU]
    assert street["overdue_cases"].tolist() == [2, 1]
    assert street["open_cases"].tolist() == [3, 1]
    cells = store.overdue_ranking(NOON, tc.JINXIU)
    assert set(cells.index) == {tc.JINXIU + "001", tc.JINXIU + "002"}
    assert cells["overdue_cases"].tolist() == [1, 0]


def test_newest_cases_with_area_names_newest_first(store):
    newest = store.newest_cases(3, before=NOON)
    assert newest["id"].tolist() == ["C6", "C2", "C3"]
    first = newest.iloc[0]
    assert first["street_name"] == "水泊街道" and first["community_name"] == "运河社区"
    assert pd.isna(first["compound_name"]) and first["grid_name"] == "第1网格"
    assert str(newest["reported_at"].dt.tz) == "UTC"
    assert store.newest_cases(5, tc.JINXIU)["id"].tolist() == ["C4"]
    assert store.newest_cases(2, before=tc.local(-3).to_pydatetime())["id"].tolist() == [
        "C3",
        "C1",
    ]


# --- writing areas and staff piece by piece --------------------------------------------------
_LEVEL_TABLES = (
    (Level.STREET, "streets"),
    (Level.COMMUNITY, "communities"),
    (Level.COMPOUND, "compounds"),
    (Level.GRID, "grid_cells"),
)


def _fill_level_by_level(store) -> None:
    city = tc.build()
    for level, table in _LEVEL_TABLES:
        assert store.write_areas(level, getattr(city, table)) == len(getattr(city, table))


def test_an_empty_store_takes_areas_level_by_level(store_factory):
    store = store_factory(create=True)
    revision = store.revision()
    _fill_level_by_level(store)
    assert store.revision() != revision
    counts = store.counts()
    assert (counts["streets"], counts["communities"], counts["compounds"]) == (1, 2, 2)
    assert counts["grid_cells"] == 4
    assert set(store.areas(Level.GRID, parent=tc.GARDEN)["code"]) == {
        tc.YUNHE + "001",
        tc.YUNHE + "002",
    }
    cells = store.areas(Level.GRID).to_crs(tc.CRS)
    for code, (x0, y0, x1, y1) in tc.CELLS.items():
        geom = cells.loc[cells["code"] == code].geometry.iloc[0]
        expected = shapely.box(tc.X0 + x0, tc.Y0 + y0, tc.X0 + x1, tc.Y0 + y1)
        assert geom.symmetric_difference(expected).area < 0.01
    assert store.area(tc.GARDEN)["households"] == 400
    assert store.area(tc.JINXIU)["hall_address"] == "锦绣社区党群服务中心"


def test_areas_need_their_parent_and_a_failed_write_changes_nothing(store_factory, tmp_path):
    store = store_factory(create=True)
    city = tc.build()
    store.write_areas(Level.STREET, city.streets)
    before = store_factory.digest()
    with pytest.raises(StoreError, match=rf"row 1: {tc.YUNHE}001 第1网格: community_code"):
        store.write_areas(Level.GRID, city.grid_cells)
    assert store_factory.digest() == before


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"code": "37083200100"}, "row 1: code '37083200100' is not a valid grid code"),
        ({"name": " "}, "has no name"),
        ({"geometry": shapely.LineString([(0, 0), (1, 1)])}, "is not a polygon"),
        ({"community_code": tc.JINXIU}, "is not the parent the code names"),
    ],
)
def test_bad_areas_are_refused(store, store_factory, change, message):
    before = store_factory.digest()
    cells = tc.build().grid_cells.iloc[:1].copy()
    for column, value in change.items():
        if column == "geometry":
            cells = cells.set_geometry([value])
        else:
            cells[column] = value
    with pytest.raises(StoreError, match=message):
        store.write_areas(Level.GRID, cells)
    assert store_factory.digest() == before


def test_replacing_areas_recomputes_what_depends_on_them(store):
    city = tc.build()
    north, south = tc.YUNHE + "001", tc.YUNHE + "002"
    # The north cell grows over the south one's top half (cases at y=110 stay south).
    cells = city.grid_cells.set_index("code").loc[[north, south]].reset_index()
    cells = cells.set_geometry(
        [
            shapely.box(tc.X0, tc.Y0 + 150, tc.X0 + 400, tc.Y0 + 400),
            shapely.box(tc.X0, tc.Y0, tc.X0 + 400, tc.Y0 + 150),
        ],
        crs=tc.CRS,
    ).drop(columns=["community_code", "street_code"])
    moved = store.cases().set_index("id")
    store.write_areas(Level.GRID, cells)
    assert store.counts()["grid_cells"] == 4
    grid = store.areas(Level.GRID).set_index("code")
    assert grid.loc[north, "community_code"] == tc.YUNHE
    assert grid.loc[north, "households"] == 200 and grid.loc[south, "households"] == 200
    after = store.cases().set_index("id")
    assert (after["grid_code"] == moved["grid_code"]).all()  # no case lies in 150..200
    # move the boundary to y=50: the 3rd building (y=100) and the cases at y=110 go north
    cells = cells.set_geometry(
        [
            shapely.box(tc.X0, tc.Y0 + 50, tc.X0 + 400, tc.Y0 + 400),
            shapely.box(tc.X0, tc.Y0, tc.X0 + 400, tc.Y0 + 50),
        ],
        crs=tc.CRS,
    )
    store.write_areas(Level.GRID, cells)
    grid = store.areas(Level.GRID).set_index("code")
    assert grid.loc[north, "households"] == 400 and grid.loc[south, "households"] == 0
    assert set(store.buildings(north)["id"]) == {f"{tc.GARDEN}-0{i}" for i in (1, 2, 3, 4)}
    assert store.cases(south).empty
    visits = store.visits(north)
    assert set(visits["building_id"]) >= {f"{tc.GARDEN}-03"}


def test_replacing_a_community_keeps_its_hall_when_not_given(store):
    city = tc.build()
    comm = city.communities.iloc[:1][["code", "name", "geometry"]].assign(name="新运河社区")
    store.write_areas(Level.COMMUNITY, comm)
    row = store.area(tc.YUNHE)
    assert row["name"] == "新运河社区" and row["hall_address"] == "运河社区党群服务中心"
    assert row["households"] == 400  # summed from its cells again


def _roster():
    city = tc.build()
    return city.organisations, city.persons, city.roles


def test_a_roster_is_added_then_replaced(store_factory, tmp_path):
    store = store_factory(create=True)
    _fill_level_by_level(store)
    orgs, people, roles = _roster()
    assert store.write_staff(orgs, people, roles) == len(roles)
    members = store.staff(tc.YUNHE + "001")
    assert {m.person_id for m in members} >= {"P1"}
    before = store_factory.digest()
    with pytest.raises(StoreError, match=r"persons: .*row 1: id 'P1' is in the store already"):
        store.write_staff(orgs.iloc[:0], people.iloc[:1], roles.iloc[:0])
    assert store_factory.digest() == before
    assert store.write_staff(orgs, people.iloc[:1], roles.iloc[:1], replace=True) == 1
    assert store.counts()["persons"] == 1 and store.counts()["roles"] == 1


@pytest.mark.parametrize(
    ("person", "message"),
    [
        (("P9", "孙丽", "javascript:alert(1)"), "persons: 1 bad rows — row 1: phone"),
        (("=P9", "孙丽", "13800000009"), "persons: 1 bad rows — row 1: id '=P9' holds '='"),
    ],
)
def test_staff_phones_and_ids_follow_the_rules(store, store_factory, person, message):
    orgs, people, _ = _roster()
    before = store_factory.digest()
    with pytest.raises(StoreError, match=message):
        store.write_staff(orgs.iloc[:0], pd.DataFrame([person], columns=people.columns),
                          _roster()[2].iloc[:0])  # fmt: skip
    assert store_factory.digest() == before


def test_staff_rows_are_added_to_a_roster(store):
    orgs, people, roles = _roster()
    extra_person = pd.DataFrame([("P9", "孙丽", "13800000009")], columns=people.columns)
    org = roles["org_id"].iloc[0]
    extra_role = pd.DataFrame(
        [("P9", org, "grid_worker", "grid", tc.JINXIU + "002")], columns=roles.columns
    )
    assert store.write_staff(orgs.iloc[:0], extra_person, extra_role) == 1
    assert "P9" in set(store.grid_workers()["person_id"])


@pytest.mark.parametrize(
    ("column", "value", "message"),
    [
        ("area_code", "370832001001999", "row 1: area_code '370832001001999' is not an area"),
        ("person_id", "nobody", "row 1: person_id 'nobody' is unknown"),
        ("org_id", "ORG-X", "row 1: org_id 'ORG-X' is unknown"),
        ("role", "king", "row 1: role 'king' is not one of the known values"),
        ("area_level", "city", "row 1: area_level 'city'"),
    ],
)
def test_bad_roles_are_refused(store, store_factory, column, value, message):
    orgs, people, roles = _roster()
    before = store_factory.digest()
    bad = roles.iloc[:1].copy()
    bad[column] = value
    with pytest.raises(StoreError, match=message):
        store.write_staff(orgs.iloc[:0], people.iloc[:0], bad)
    assert store_factory.digest() == before


def test_repeated_ids_in_a_roster_are_refused(store_factory):
    store = store_factory(create=True)
    _fill_level_by_level(store)
    orgs, people, roles = _roster()
    twice = pd.concat([people, people.iloc[:1]], ignore_index=True)
    with pytest.raises(StoreError, match=rf"persons: .*row {len(twice)}: id 'P1' is repeated"):
        store.write_staff(orgs, twice, roles)
    assert store.counts()["persons"] == 0
