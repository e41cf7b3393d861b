"""Small array helpers shared by the demo generator's modules: word lists, ids, weighted draws."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np


def words(text: str) -> tuple[str, ...]:
    """The space-separated words of `text`."""
    return tuple(text.split())


def ids(prefix: str, start: int, n: int, width: int) -> np.ndarray:
    """`n` ids `prefix` + zero-padded numbers from `start`: ids("C", 1, 2, 3) → C001, C002."""
    numbers = np.char.zfill(np.arange(start, start + n).astype(str), width).astype(object)
    return prefix + numbers


@dataclass(frozen=True)
class Numbering:
    """The first number of each kind of id a build hands out: 1 in a demo of its own; in a
    region's next part, past the parts before it, so that ids never repeat in the region."""

    case: int = 1
    visit: int = 1
    household: int = 1
    person: int = 1
    road: int = 1
    company: int = 1


def weighted_draw(rng: np.random.Generator, weights: Sequence[float], n: int) -> np.ndarray:
    """`n` indices into `weights`, drawn with probability proportional to the weights."""
    p = np.asarray(weights, dtype=float)
    return rng.choice(len(p), n, p=p / p.sum())


def run_starts(sizes: np.ndarray) -> np.ndarray:
    """Where each run begins when runs of the given sizes are laid end to end."""
    return np.concatenate([[0], np.cumsum(sizes)[:-1]])
