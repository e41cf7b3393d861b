"""Files written whole or not at all."""

from __future__ import annotations

from pathlib import Path

import pytest

from geodata.atomic import replacing, write_atomically


def test_text_and_bytes_replace_the_file_whole(tmp_path: Path) -> None:
    target = tmp_path / "problems.geojson"
    target.write_text("old", encoding="utf-8")
    write_atomically(target, "新的内容")
    assert target.read_text(encoding="utf-8") == "新的内容"
    write_atomically(target, b"\xef\xbb\xbfbytes")
    assert target.read_bytes() == b"\xef\xbb\xbfbytes"
    assert [p.name for p in tmp_path.iterdir()] == ["problems.geojson"]  # no temp file left


def test_a_failed_write_leaves_the_old_file_and_no_temp_file(tmp_path: Path) -> None:
    target = tmp_path / "route.gpx"
    target.write_text("old", encoding="utf-8")
    with pytest.raises(TypeError):
        write_atomically(target, 12)  # type: ignore[arg-type]  # not text or bytes
    assert target.read_text(encoding="utf-8") == "old"
    assert [p.name for p in tmp_path.iterdir()] == ["route.gpx"]


def test_a_missing_folder_is_an_os_error(tmp_path: Path) -> None:
    with pytest.raises(OSError):
        write_atomically(tmp_path / "no" / "such.csv", "x")


def test_a_block_that_fails_leaves_the_old_file_and_no_temp_file(tmp_path: Path) -> None:
    target = tmp_path / "rejects.csv"
    target.write_text("old", encoding="utf-8")
    with pytest.raises(RuntimeError), replacing(target) as staged:
        staged.write_text("half", encoding="utf-8")
        raise RuntimeError("the store write failed")
    assert target.read_text(encoding="utf-8") == "old"
    assert [p.name for p in tmp_path.iterdir()] == ["rejects.csv"]
    with replacing(target) as staged:
        staged.write_text("new", encoding="utf-8")
    assert target.read_text(encoding="utf-8") == "new"
    assert [p.name for p in tmp_path.iterdir()] == ["rejects.csv"]
