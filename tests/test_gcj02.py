"""WGS-84 → GCJ-02 against published reference pairs, and the inverse round trip."""

from __future__ import annotations

import numpy as np
import pytest

from geodata.gcj02 import gcj02_to_wgs84, wgs84_to_gcj02

# (WGS-84 lon, lat) → (GCJ-02 lon, lat) pairs published with two independent implementations:
# - googollee/eviltransform, python/test.py (Shanghai, Shenzhen, Beijing);
# - wandergis/coordtransform, test/app.js (the "wgs84togcj02" result for 116.404, 39.915).
REFERENCE = [
    ((121.5272106, 31.1774276), (121.531541859215, 31.17530398364597)),
    ((113.912316, 22.543847), (113.9171764808363, 22.540796131694766)),
    ((116.377817, 39.911954), (116.38404722455657, 39.91334545536069)),
    ((116.404, 39.915), (116.41024449916938, 39.91640428150164)),
]
METRE = 1 / 111_320


@pytest.mark.parametrize(("wgs", "gcj"), REFERENCE)
def test_reference_points(wgs: tuple[float, float], gcj: tuple[float, float]) -> None:
    lon, lat = wgs84_to_gcj02(wgs[0], wgs[1])
    assert float(lon) == pytest.approx(gcj[0], abs=1e-9)
    assert float(lat) == pytest.approx(gcj[1], abs=1e-9)


def test_vectorised_matches_point_by_point() -> None:
    wgs = np.array([pair[0] for pair in REFERENCE])
    lon, lat = wgs84_to_gcj02(wgs[:, 0], wgs[:, 1])
    assert np.allclose(np.column_stack([lon, lat]), [pair[1] for pair in REFERENCE], atol=1e-9)


def test_inverse_round_trips_within_a_metre() -> None:
    rng = np.random.default_rng(3)
    lon, lat = rng.uniform(74, 135, 20_000), rng.uniform(18, 53, 20_000)
    back_lon, back_lat = gcj02_to_wgs84(*wgs84_to_gcj02(lon, lat))
    error_m = np.hypot((back_lon - lon) * np.cos(np.radians(lat)), back_lat - lat) / METRE
    assert error_m.max() < 1.0
    assert error_m.max() < 0.001  # in fact well under a millimetre


def test_inverse_of_reference_points() -> None:
    for wgs, gcj in REFERENCE:
        lon, lat = gcj02_to_wgs84(*gcj)
        assert abs(float(lon) - wgs[0]) < METRE and abs(float(lat) - wgs[1]) < METRE


def test_the_shift_is_hundreds_of_metres_in_china_and_none_outside() -> None:
    lon, lat = wgs84_to_gcj02(116.09, 35.80)  # 梁山
    assert 100 * METRE < abs(float(lon) - 116.09) + abs(float(lat) - 35.80) < 1500 * METRE
    assert wgs84_to_gcj02(2.35, 48.85) == (2.35, 48.85)  # Paris: not in China


def test_unshift_undoes_shift_to_a_centimetre_on_geometries() -> None:
    import shapely

    from geodata.gcj02 import shift_coords, unshift_coords

    rng = np.random.default_rng(5)
    coords = np.column_stack([rng.uniform(115.8, 117.2, 500), rng.uniform(34.9, 35.9, 500)])
    back = unshift_coords(shift_coords(coords))
    error_m = (
        np.hypot(
            (back[:, 0] - coords[:, 0]) * np.cos(np.radians(coords[:, 1])),
            back[:, 1] - coords[:, 1],
        )
        / METRE
    )
    assert error_m.max() < 0.01
    polygon = shapely.box(116.0, 35.0, 116.01, 35.01)
    shifted = shapely.transform(polygon, shift_coords)
    assert shapely.hausdorff_distance(shifted, polygon) > 0.001  # hundreds of metres apart
    assert shapely.hausdorff_distance(shapely.transform(shifted, unshift_coords), polygon) < 1e-7
