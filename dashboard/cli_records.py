"""`gridboard import cases|staff|visits|open311`: records from CSV, XLSX or GeoReport JSON."""

from __future__ import annotations
