"""Masking residents' data in case descriptions: texts per second on the city demo."""

from __future__ import annotations

import datetime as dt
import re
import time
from pathlib import Path

from geodata.backends import open_store
from layers.mask import mask_text

from .common import Result

TEXTS = 20_000
# The least any masker must do: hide 11-digit mobiles with one precompiled pattern.
MOBILE = re.compile(r"(1[3-9]\d)\d{4}(\d{4})")


def _rate(texts: list[str], mask) -> float:
    started = time.perf_counter()
    for text in texts:
        mask(text)
    return len(texts) / (time.perf_counter() - started)


def run(city: Path, as_of: dt.date) -> list[Result]:
    del as_of
    with open_store(city, readonly=True) as store:
        texts = store.cases(limit=TEXTS)["description"].dropna().tolist()
    full = _rate(texts, mask_text)
    mobiles_only = _rate(texts, lambda text: MOBILE.sub(r"\1****\2", text))
    # Result.ratio is baseline / value: here seconds per text, so the ratio says how many
    # times the full masker costs against hiding mobiles alone.
    return [
        Result(
            f"mask residents' data in {len(texts):,} case descriptions",
            1e6 / full,
            "µs/text",
            baseline=1e6 / mobiles_only,
            note=f"{full:,.0f} texts/s; baseline: mobiles only, one regex",
        )
    ]
