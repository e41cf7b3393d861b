"""The shared SQL turned into PostgreSQL's: placeholders, percent signs, SQLite's hints."""

from __future__ import annotations

import pytest

from geodata.pg.sql import translate


def test_plain_placeholders_become_psycopg_ones_and_quoted_text_is_left_alone() -> None:
    sql, params = translate("SELECT '?', ':x' FROM t WHERE a = ? AND b LIKE '%z'", ("v",))
    assert sql == "SELECT '?', ':x' FROM t WHERE a = %s AND b LIKE '%%z'"
    assert params == ("v",)


def test_numbered_placeholders_become_named_ones() -> None:
    sql, params = translate("SELECT 1 WHERE a >= ?1 AND b < ?2 AND ?1 = ?1", ["s", "e"])
    assert sql == "SELECT 1 WHERE a >= %(p1)s AND b < %(p2)s AND %(p1)s = %(p1)s"
    assert params == {"p1": "s", "p2": "e"}


def test_named_placeholders_keep_their_names_and_need_a_mapping() -> None:
    sql, _ = translate("SELECT 1 WHERE t < :t AND p >= :pp", {"t": 1, "pp": 2})
    assert sql == "SELECT 1 WHERE t < %(t)s AND p >= %(pp)s"
    with pytest.raises(ValueError, match="named placeholders"):
        translate("SELECT :t", [1])


def test_sqlite_hints_and_spellings_are_turned_into_postgresql() -> None:
    sql, _ = translate(
        "SELECT instr(lower(id), ?) > 0, r.rowid FROM cases INDEXED BY cases_reported"
        " WHERE +grid_code IS NOT NULL AND x = a + 1 GROUP BY +grid_code",
        ("q",),
    )
    assert sql == (
        "SELECT strpos(lower(id), %s) > 0, r.fid FROM cases"
        " WHERE grid_code IS NOT NULL AND x = a + 1 GROUP BY grid_code"
    )
