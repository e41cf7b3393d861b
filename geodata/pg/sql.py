"""The store's shared SQL (written for SQLite) turned into PostgreSQL's: placeholders and hints."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from functools import lru_cache

# Outside quoted text: a numbered (?1), plain (?) or named (:t) placeholder, a percent sign
# (psycopg's own marker), SQLite's planner hints (INDEXED BY, a unary + on a column) and
# the two SQLite spellings PostgreSQL lacks.
_TOKEN = re.compile(
    r"""(?P<quoted>'(?:[^']|'')*'|"(?:[^"]|"")*")"""
    r"|(?P<numbered>\?(?P<number>\d+))"
    r"|(?P<plain>\?)"
    r"|(?<![:\w])(?P<named>:(?P<name>[A-Za-z_]\w*))"
    r"|(?P<percent>%)"
    r"|(?P<indexed>\s+INDEXED\s+BY\s+\w+)"
    r"|(?<=[\s(,])(?P<hint>\+)(?=[A-Za-z_])"
    r"|(?P<instr>\binstr\()"
    r"|(?P<rowid>\.rowid\b)"
)
_SPELLED = {"instr": "strpos(", "rowid": ".fid"}


@lru_cache(maxsize=1024)
def _translated(sql: str) -> tuple[str, str]:
    """`sql` in psycopg's format, and its placeholder style: "", "plain", "numbered" or
    "named" (a statement uses one style, as sqlite3 requires too)."""
    style = ""
    out = []
    last = 0
    for match in _TOKEN.finditer(sql):
        kind = match.lastgroup  # the outer group of a nested one
        out.append(sql[last : match.start()])
        last = match.end()
        if kind == "quoted":
            out.append(match.group().replace("%", "%%"))
        elif kind == "numbered":
            style = "numbered"
            out.append(f"%(p{match.group('number')})s")
        elif kind == "plain":
            style = "plain"
            out.append("%s")
        elif kind == "named":
            style = "named"
            out.append(f"%({match.group('name')})s")
        elif kind == "percent":
            out.append("%%")
        elif kind in _SPELLED:
            out.append(_SPELLED[kind])
        # indexed, hint: dropped (PostgreSQL's planner takes no hints)
    out.append(sql[last:])
    return "".join(out), style


def translate(sql: str, params: Sequence | Mapping | None = ()) -> tuple[str, Sequence | Mapping]:
    """SQLite `sql` and its parameters as psycopg takes them."""
    text, style = _translated(sql)
    if params is None:
        params = ()
    if style == "numbered":
        params = {f"p{i}": value for i, value in enumerate(params, start=1)}
    elif style == "named" and not isinstance(params, Mapping):
        raise ValueError("named placeholders need a mapping of parameters")
    return text, params
