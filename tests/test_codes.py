"""Area codes: derivation, checks, and the west→east, north→south numbering of grid cells."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from geodata import codes
from geodata.model import Level


def test_codes_are_derived_from_their_parents():
    street = codes.street_code("370832", 1)
    community = codes.community_code(street, 12)
    assert (street, community) == ("370832001", "370832001012")
    assert codes.grid_code(community, 7) == "370832001012007"
    assert codes.compound_code(community, 3) == "370832001012XQ003"
    assert codes.building_id("370832001012XQ003", 5) == "370832001012XQ003-05"


@pytest.mark.parametrize(
    ("code", "level", "parent"),
    [
        ("370832001", Level.STREET, None),
        ("370832001012", Level.COMMUNITY, "370832001"),
        ("370832001012007", Level.GRID, "370832001012"),
        ("370832001012XQ003", Level.COMPOUND, "370832001012"),
    ],
)
def test_levels_and_parents(code, level, parent):
    assert codes.level_of(code) is level
    assert codes.parent_code(code) == parent
    assert codes.street_of(code) == "370832001"
    assert codes.check(level, code) == code


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda: codes.street_code("37083", 1), "county code"),
        (lambda: codes.street_code("370832", 1000), "out of range"),
        (lambda: codes.grid_code("370832001", 1), "not a valid community code"),
        (lambda: codes.level_of("37083200101"), "is not a street"),
        (lambda: codes.check(Level.GRID, "37083200101200a"), "not a valid grid code"),
        (lambda: codes.compound_of_building("370832001012XQ003"), "not a valid building"),
        (lambda: codes.community_of("370832001"), "street code"),
    ],
)
def test_malformed_codes_are_refused(call, message):
    with pytest.raises(codes.CodeError, match=message):
        call()


def test_numbering_reads_rows_north_to_south_then_west_to_east():
    # Two rows of three cells; given shuffled.
    boxes = {
        "sw": (0, 0, 10, 10),
        "ne": (20, 10, 30, 20),
        "nw": (0, 10, 10, 20),
        "se": (20, 0, 30, 10),
        "n": (10, 10, 20, 20),
        "s": (10, 0, 20, 10),
    }
    seq = codes.grid_sequence_order(*np.array(list(boxes.values())).T)
    numbered = dict(zip(boxes, seq, strict=True))
    assert [k for k, _ in sorted(numbered.items(), key=lambda kv: kv[1])] == [
        "nw",
        "n",
        "ne",
        "sw",
        "s",
        "se",
    ]


@st.composite
def strip_partitions(draw):
    """Random rows (strips) of random widths, each split into cells of random widths."""
    heights = draw(st.lists(st.floats(1, 50), min_size=1, max_size=6))
    boxes, top = [], sum(heights)
    for h in heights:
        widths = draw(st.lists(st.floats(1, 50), min_size=1, max_size=6))
        x = 0.0
        for w in widths:
            # cells may be clipped vertically by the community edge, but keep half the strip
            shrink = draw(st.floats(0, h / 2))
            boxes.append((x, top - h + shrink, x + w, top))
            x += w
        top -= h
    return np.array(boxes)


@settings(max_examples=200, deadline=None)
@given(strip_partitions())
def test_numbering_property(boxes):
    seq = codes.grid_sequence_order(*boxes.T)
    assert sorted(seq) == list(range(1, len(boxes) + 1))
    minx, miny, maxx, maxy = boxes.T
    for a in range(len(boxes)):
        for b in range(len(boxes)):
            north_of = miny[a] >= maxy[b]
            same_row_west = maxy[a] == maxy[b] and maxx[a] <= minx[b]
            if north_of or same_row_west:
                assert seq[a] < seq[b]
