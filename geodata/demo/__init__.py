"""Deterministic demo data: 梁山县水泊街道 (street), 济宁市 (city) and five cities (region)."""

from .build import build_demo, demo_parts
from .plan import SCALES

__all__ = ["SCALES", "build_demo", "demo_parts"]
