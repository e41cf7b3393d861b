"""Metrics export: the pure table (layers/export.py) and `gridboard export --metrics`."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pyogrio
import pytest

from geodata.model import Level
from geodata.store import Store
from layers import export
from layers.view import data_as_of, window_of
from tests.test_cli import assert_one_line_error, gridboard

STREET = "370832001"


def read_csv(content: bytes) -> pd.DataFrame:
    assert content.startswith(b"\xef\xbb\xbf")
    return pd.read_csv(io.BytesIO(content), encoding="utf-8-sig", dtype={"code": str})


@pytest.mark.parametrize("level", list(Level))
@pytest.mark.parametrize(("window_text", "category"), [("30d", None), ("90d", "noise")])
def test_table_equals_store_metrics(
    street_store: Store, level: Level, window_text: str, category: str | None
) -> None:
    window = window_of(window_text, data_as_of(street_store.meta()))
    metrics = street_store.metrics(level, window, category=category)
    areas = street_store.areas(level)
    table = export.metrics_table(areas, metrics, level.value, window, category)
    assert isinstance(table, gpd.GeoDataFrame) and table.crs.to_epsg() == 4326
    assert list(table.columns) == [*export.COLUMNS, "geometry"]
    assert table["code"].tolist() == sorted(areas["code"])
    expected = metrics.reindex(table["code"])
    for column in ("households", "cases", "open_cases", "overdue_cases", "visits"):
        assert table[column].tolist() == expected[column].tolist(), column
    for column in ("cases_per_1000", "visits_per_100", "days_since_visit"):
        got = table[column].astype(float).to_numpy()
        assert np.allclose(got, expected[column].to_numpy(), equal_nan=True), column
    visited = expected["last_visit"].map(lambda d: d.isoformat() if pd.notna(d) else None)
    assert table["last_visit"].tolist() == visited.tolist()
    first, last = window.local_days()
    assert set(table["window_first"]) == {first.isoformat()}
    assert set(table["window_last"]) == {last.isoformat()}
    assert set(table["category"]) == {category or ""}
    assert set(table["level"]) == {level.value}
    parents = areas.set_index("code").loc[table["code"], "parent_code"]
    assert table["parent_code"].tolist() == parents.tolist()


def test_period_is_the_first_and_last_local_day(street_store: Store) -> None:
    window = window_of("2026-11-01..2026-11-10", data_as_of(street_store.meta()))
    assert [d.isoformat() for d in window.local_days()] == ["2026-11-01", "2026-11-10"]


def test_area_without_metrics_has_empty_values(street_store: Store) -> None:
    window = window_of("7d", data_as_of(street_store.meta()))
    areas = street_store.areas(Level.COMPOUND, parent=STREET)
    metrics = street_store.metrics(Level.COMPOUND, window).iloc[1:]  # first area lacks a row
    table = export.metrics_table(areas.drop(columns="geometry"), metrics, "compound", window)
    assert not isinstance(table, gpd.GeoDataFrame)
    row = export.records(table)[0]
    assert row["code"] == sorted(areas["code"])[0]
    assert row["open_cases"] is None and row["last_visit"] is None
    text = export.csv_bytes(table).decode("utf-8-sig")
    assert "nan" not in text.lower() and "<NA>" not in text


def test_csv_round_trip_with_keys_or_words(street_store: Store) -> None:
    window = window_of("30d", data_as_of(street_store.meta()))
    grid = street_store.areas(Level.GRID)
    table = export.metrics_table(
        grid, street_store.metrics(Level.GRID, window, category="noise"), "grid", window, "noise"
    )
    keyed = read_csv(export.csv_bytes(table))
    assert list(keyed.columns) == list(export.COLUMNS)
    assert keyed["code"].tolist() == table["code"].tolist()
    assert keyed["open_cases"].tolist() == table["open_cases"].tolist()
    assert np.allclose(keyed["cases_per_1000"], table["cases_per_1000"])
    headers = {key: key.upper() for key in export.COLUMNS}
    words = {"level": {"grid": "网格"}, "category": {"noise": "噪音扰民"}}
    worded = read_csv(export.csv_bytes(table, headers, words))
    assert list(worded.columns) == [key.upper() for key in export.COLUMNS]
    assert set(worded["LEVEL"]) == {"网格"} and set(worded["CATEGORY"]) == {"噪音扰民"}


def test_csv_guards_against_formulas(street_store: Store) -> None:
    window = window_of("30d", data_as_of(street_store.meta()))
    areas = street_store.areas(Level.COMPOUND).drop(columns="geometry")
    areas.loc[areas.index[0], "name"] = '=HYPERLINK("http://x")'
    areas.loc[areas.index[1], "name"] = "+1+1"
    table = export.metrics_table(
        areas, street_store.metrics(Level.COMPOUND, window), "compound", window
    )
    rows = list(csv.reader(io.StringIO(export.csv_bytes(table).decode("utf-8-sig"))))
    names = {row[2] for row in rows[1:]}
    assert '\'=HYPERLINK("http://x")' in names and "'+1+1" in names
    assert not any(name.startswith(("=", "+", "-", "@")) for name in names)


def test_combined_levels_keep_the_columns(street_store: Store) -> None:
    window = window_of("30d", data_as_of(street_store.meta()))
    tables = [
        export.metrics_table(
            street_store.areas(level), street_store.metrics(level, window), level.value, window
        )
        for level in (Level.GRID, Level.COMPOUND)
    ]
    both = export.combined(tables)
    assert list(both.columns) == list(export.COLUMNS)
    assert len(both) == sum(len(table) for table in tables)
    assert list(export.combined([]).columns) == list(export.COLUMNS)


# --- the command ---------------------------------------------------------------------------------
@pytest.mark.parametrize("suffix", [".csv", ".geojson", ".json", ".gpkg"])
def test_cli_writes_metrics_in_each_format(
    street_store_path: Path, street_store: Store, tmp_path: Path, suffix: str
) -> None:
    out = tmp_path / f"compounds{suffix}"
    result = gridboard(
        "export", "--data", street_store_path, "--level", "compound", "--metrics",
        "--window", "7d", "--category", "noise", "--street", STREET, "--out", out,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert "compound" in result.stdout and "2026-11-22..2026-11-28" in result.stdout
    window = window_of("7d", data_as_of(street_store.meta()))
    expected = street_store.metrics(Level.COMPOUND, window, category="noise", parent=STREET)
    if suffix == ".csv":
        back = read_csv(out.read_bytes())
    else:
        back = pyogrio.read_dataframe(out)
        assert back.crs.to_epsg() == 4326 and back.geometry.notna().all()
        assert pyogrio.list_layers(out)[:, 0].tolist() == ["compound_metrics"]
    assert list(back.columns[: len(export.COLUMNS)]) == list(export.COLUMNS)
    back = back.set_index("code").loc[expected.index]
    assert back["open_cases"].tolist() == expected["open_cases"].tolist()
    assert np.allclose(back["visits_per_100"], expected["visits_per_100"])
    assert set(back["category"]) == {"noise"}
    assert [p.name for p in tmp_path.iterdir()] == [out.name]  # no temporary file left


def test_cli_geojson_is_a_feature_collection(street_store_path: Path, tmp_path: Path) -> None:
    out = tmp_path / "grid.geojson"
    result = gridboard(
        "export", "--data", street_store_path, "--level", "grid", "--metrics", "--out", out
    )
    assert result.returncode == 0, result.stderr
    collection = json.loads(out.read_text(encoding="utf-8"))
    assert collection["type"] == "FeatureCollection"
    feature = collection["features"][0]
    assert set(export.COLUMNS) <= set(feature["properties"])
    assert feature["geometry"]["type"] in ("Polygon", "MultiPolygon")
    assert feature["properties"]["window_last"] == "2026-11-28"


def test_cli_csv_headers_in_a_language(street_store_path: Path, tmp_path: Path) -> None:
    out = tmp_path / "grid.csv"
    result = gridboard(
        "export", "--data", street_store_path, "--level", "grid", "--metrics",
        "--headers", "zh", "--out", out,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    header = out.read_bytes().decode("utf-8-sig").splitlines()[0].split(",")
    assert header[:3] == ["层级", "代码", "名称"]


def test_cli_without_metrics_behaves_as_before(street_store_path: Path, tmp_path: Path) -> None:
    out = tmp_path / "grid.geojson"
    result = gridboard("export", "--data", street_store_path, "--level", "grid", "--out", out)
    assert result.returncode == 0, result.stderr
    assert "open_cases" not in pyogrio.read_dataframe(out).columns


@pytest.mark.parametrize(
    ("args", "words"),
    [
        (["--window", "13d"], ["--window", "13d"]),
        (["--window", "2026-11-10..2026-11-01"], ["2026-11-10..2026-11-01"]),
        (["--window", "1999-01-01..1999-01-02"], ["1999-01-01"]),
        (["--category", "moon"], ["unknown category", "moon"]),
        (["--street", "370832999"], ["no street", "370832999"]),
        (["--headers", "fr"], ["fr"]),
    ],
)
def test_cli_bad_values(street_store_path: Path, tmp_path: Path, args: list, words: list) -> None:
    out = tmp_path / "m.csv"
    result = gridboard(
        "export", "--data", street_store_path, "--level", "grid", "--metrics", *args, "--out", out
    )
    assert_one_line_error(result, *words)
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize(
    ("out", "words"),
    [
        ("m.shp", [".shp", ".csv"]),
        ("no/such/folder/m.csv", ["does not exist"]),
        (".", ["directory"]),
    ],
)
def test_cli_bad_output(
    street_store_path: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, out: str, words: list
) -> None:
    monkeypatch.chdir(tmp_path)
    result = gridboard(
        "export", "--data", street_store_path, "--level", "grid", "--metrics", "--out", out
    )
    assert_one_line_error(result, *words)
    assert list(tmp_path.iterdir()) == []


def test_cli_metric_options_need_metrics(street_store_path: Path, tmp_path: Path) -> None:
    result = gridboard(
        "export", "--data", street_store_path, "--level", "grid", "--window", "7d",
        "--out", tmp_path / "grid.gpkg",
    )  # fmt: skip
    assert_one_line_error(result, "--window", "--metrics")


def test_cli_missing_store(tmp_path: Path) -> None:
    result = gridboard(
        "export", "--data", tmp_path / "missing.gpkg", "--level", "grid", "--metrics",
        "--out", tmp_path / "m.csv",
    )  # fmt: skip
    assert_one_line_error(result, "missing.gpkg")
    assert [p.name for p in tmp_path.iterdir()] == []


def test_failed_write_leaves_the_old_file(
    street_store: Store, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Atomic: a write that fails half-way leaves the previous file and no temporary file."""
    from dashboard.cli import common as cli

    out = tmp_path / "m.gpkg"
    out.write_bytes(b"previous export")

    def half_then_fail(tmp: Path) -> None:
        tmp.write_bytes(b"half a file")
        raise OSError("disk full")

    with pytest.raises(cli.CliError, match="disk full"):
        cli.replace_atomically(out, half_then_fail)
    assert out.read_bytes() == b"previous export"
    assert [p.name for p in tmp_path.iterdir()] == ["m.gpkg"]
    cli.replace_atomically(out, lambda tmp: tmp.write_bytes(b"new"))
    assert out.read_bytes() == b"new"
    assert [p.name for p in tmp_path.iterdir()] == ["m.gpkg"]


def _gridboard(*argv: object) -> int:
    """The exit code of one gridboard command."""
    from dashboard.cli import main

    try:
        main([str(a) for a in argv])
    except SystemExit as exit_:
        return exit_.code or 0
    return 0


@pytest.mark.parametrize("suffix", [".geojson", ".gpkg"])
def test_an_area_export_that_fails_half_way_leaves_the_old_file(
    street_store_path: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, suffix: str
) -> None:
    """Issue 13: on a full disk `export --level grid` turned a good file into broken JSON."""
    import geopandas as gpd

    out = tmp_path / f"prev{suffix}"
    assert _gridboard("export", "--data", street_store_path, "--level", "grid", "--out", out) == 0
    before = out.read_bytes()
    real_to_file = gpd.GeoDataFrame.to_file

    def disk_full(self, path, *args, **kwargs):
        real_to_file(self.iloc[:3], path, *args, **kwargs)  # part of the file is written
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(gpd.GeoDataFrame, "to_file", disk_full)
    args = ("export", "--data", street_store_path, "--level", "compound", "--out", out)
    assert _gridboard(*args) != 0
    assert out.read_bytes() == before
    assert [p.name for p in tmp_path.iterdir()] == [out.name]


def test_an_area_export_into_a_geopackage_keeps_its_other_layers(
    street_store_path: Path, tmp_path: Path
) -> None:
    import pyogrio

    out = tmp_path / "areas.gpkg"
    for level in ("street", "grid"):
        assert (
            _gridboard("export", "--data", street_store_path, "--level", level, "--out", out) == 0
        )
    assert sorted(name for name, _ in pyogrio.list_layers(out)) == ["grid", "street"]
