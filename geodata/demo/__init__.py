"""Deterministic demo cities: 梁山县水泊街道 (street scale) and 济宁市 (city scale)."""

from .build import build_demo
from .plan import SCALES

__all__ = ["SCALES", "build_demo"]
