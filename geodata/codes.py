"""Area codes: derive and check street, community, compound, grid-cell and building codes.

Scheme (county = the 6-digit administrative division code):
  street     9 digits   county + 3
  community  12 digits  street + 3
  grid cell  15 digits  community + 3-digit sequence numbered west→east, north→south
  compound   community + "XQ" + 3 digits   (小区 have no national code)
  building   compound + "-" + 2 or more digits
"""

from __future__ import annotations

import re

import numpy as np

from .model import Level

_PATTERNS: dict[Level, re.Pattern[str]] = {
    Level.STREET: re.compile(r"\d{9}"),
    Level.COMMUNITY: re.compile(r"\d{12}"),
    Level.GRID: re.compile(r"\d{15}"),
    Level.COMPOUND: re.compile(r"\d{12}XQ\d{3}"),
}
_COUNTY = re.compile(r"\d{6}")
_BUILDING = re.compile(r"(\d{12}XQ\d{3})-(\d{2,})")


class CodeError(ValueError):
    """A code that does not follow the scheme."""


def _child(parent: str, seq: int, width: int = 3) -> str:
    if not 1 <= seq < 10**width:
        raise CodeError(f"sequence {seq} out of range 1..{10**width - 1}")
    return f"{parent}{seq:0{width}d}"


def street_code(county: str, seq: int) -> str:
    if not _COUNTY.fullmatch(county):
        raise CodeError(f"county code {county!r} is not 6 digits")
    return _child(county, seq)


def community_code(street: str, seq: int) -> str:
    check(Level.STREET, street)
    return _child(street, seq)


def grid_code(community: str, seq: int) -> str:
    check(Level.COMMUNITY, community)
    return _child(community, seq)


def compound_code(community: str, seq: int) -> str:
    check(Level.COMMUNITY, community)
    return community + "XQ" + _child("", seq)


def building_id(compound: str, number: int) -> str:
    check(Level.COMPOUND, compound)
    return f"{compound}-{number:02d}"


def is_valid(level: Level, code: str) -> bool:
    return isinstance(code, str) and bool(_PATTERNS[Level(level)].fullmatch(code))


def check(level: Level, code: str) -> str:
    """Return `code` if it is a well-formed code of `level`, else raise CodeError."""
    if not is_valid(level, code):
        raise CodeError(f"{code!r} is not a valid {Level(level).value} code")
    return code


def level_of(code: str) -> Level:
    """The level a code belongs to, judged by its form."""
    for level, pattern in _PATTERNS.items():
        if isinstance(code, str) and pattern.fullmatch(code):
            return level
    raise CodeError(f"{code!r} is not a street, community, compound or grid-cell code")


def parent_code(code: str) -> str | None:
    """The code of the containing area (street of a community, community of a cell/compound)."""
    level = level_of(code)
    if level is Level.STREET:
        return None
    return code[: 9 if level is Level.COMMUNITY else 12]


def street_of(code: str) -> str:
    level_of(code)
    return code[:9]


def community_of(code: str) -> str:
    if level_of(code) is Level.STREET:
        raise CodeError(f"{code!r} is a street code; it has no community")
    return code[:12]


def compound_of_building(building: str) -> str:
    m = _BUILDING.fullmatch(building)
    if not m:
        raise CodeError(f"{building!r} is not a valid building id")
    return m.group(1)


def grid_sequence_order(
    minx: np.ndarray, miny: np.ndarray, maxx: np.ndarray, maxy: np.ndarray
) -> np.ndarray:
    """Reading order of the cells of one community: rows north→south, then west→east.

    Cells are taken by their vertical middle from north to south; a cell opens a new row
    when its middle lies below the lowest bottom edge of the current row's cells. Within a
    row cells are ordered by their horizontal middle. Returns the 1-based sequence number
    of each cell, aligned with the inputs.
    """
    minx, miny, maxx, maxy = (np.asarray(a, dtype=float) for a in (minx, miny, maxx, maxy))
    n = len(minx)
    midx, midy = (minx + maxx) / 2, (miny + maxy) / 2
    rows = np.empty(n, dtype=int)
    row, floor = 0, np.inf
    for k, i in enumerate(np.lexsort((midx, -midy))):
        if k > 0 and midy[i] < floor:
            row, floor = row + 1, miny[i]
        else:
            floor = min(floor, miny[i])
        rows[i] = row
    order = np.lexsort((midx, rows))
    seq = np.empty(n, dtype=int)
    seq[order] = np.arange(1, n + 1)
    return seq
