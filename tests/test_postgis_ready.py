"""The tests' PostGIS takes what the store keeps: area shapes (GiST-indexed) and rollup blocks."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import psycopg
import shapely

from geodata import rollups as ru
from tests import pgserver
from tests import tiny_city as tc


def test_area_shapes_go_in_by_copy_and_come_back_the_same(pg_url: str) -> None:
    cells = tc.build().grid_cells
    shapes = [shapely.MultiPolygon([g]) if g.geom_type == "Polygon" else g for g in cells.geometry]
    with psycopg.connect(pg_url) as con:
        con.execute(
            'CREATE TEMP TABLE cells (code text COLLATE "C" PRIMARY KEY,'
            " geom geometry(MultiPolygon, 4326) NOT NULL)"
        )
        with con.cursor().copy("COPY cells (code, geom) FROM STDIN") as copy:
            for code, shape in zip(cells["code"], shapes, strict=True):
                ewkb = shapely.to_wkb(shapely.set_srid(shape, 4326), hex=True, include_srid=True)
                copy.write_row((code, ewkb))
        con.execute("CREATE INDEX cells_geom ON cells USING GIST (geom)")
        back = con.execute("SELECT code, ST_AsBinary(geom) FROM cells ORDER BY code").fetchall()
        inside = shapely.get_coordinates(shapely.point_on_surface(shapes[0]))[0]
        con.execute("SET enable_seqscan = off")
        covering = (
            "SELECT code FROM cells WHERE ST_Covers(geom, ST_SetSRID(ST_Point(%s, %s), 4326))"
        )
        plan = con.execute("EXPLAIN " + covering, tuple(inside)).fetchall()
        hit = con.execute(covering, tuple(inside)).fetchall()
    assert [code for code, _ in back] == sorted(cells["code"])
    by_code = dict(zip(cells["code"], shapes, strict=True))
    assert all(shapely.from_wkb(bytes(wkb)).equals_exact(by_code[code], 0) for code, wkb in back)
    assert "cells_geom" in " ".join(row[0] for row in plan)
    assert hit == [(cells["code"].iloc[0],)]


def test_rollup_blocks_keep_every_byte(pg_url: str) -> None:
    rng = np.random.default_rng(3)
    rows = np.column_stack([np.arange(50), rng.integers(-5, 500, (50, len(ru.FIELDS)))])
    blocks = {span: ru.encode(rows, span) for span in (ru.DAY, ru.MONTH)}
    with psycopg.connect(pg_url) as con:
        con.execute("CREATE TEMP TABLE blocks (span text PRIMARY KEY, data bytea NOT NULL)")
        con.cursor().executemany("INSERT INTO blocks VALUES (%s, %s)", list(blocks.items()))
        back = dict(con.execute("SELECT span, data FROM blocks").fetchall())
    for span, data in blocks.items():
        assert bytes(back[span]) == data
        assert (ru.decode(bytes(back[span])) == rows).all()


def test_a_throwaway_server_starts_and_leaves_nothing_behind() -> None:
    """What `make test` falls back on where no PostGIS server runs (a fresh machine)."""
    with pgserver.throwaway() as cluster:
        admin = cluster.url
        assert pgserver.has_postgis(admin)
        cluster.stop()  # and again, as the load test restarts it
        cluster.start()
        assert pgserver.has_postgis(admin)
        with psycopg.connect(admin) as con:
            folder = Path(con.execute("SHOW data_directory").fetchone()[0]).parent
        assert folder.is_dir()
    assert not folder.exists() and not pgserver.has_postgis(admin)
