"""Small array helpers shared by the demo generator's modules: word lists, ids, weighted draws."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np


def words(text: str) -> tuple[str, ...]:
    """The space-separated words of `text`."""
    return tuple(text.split())


def ids(prefix: str, start: int, n: int, width: int) -> np.ndarray:
    """`n` ids `prefix` + zero-padded numbers from `start`: ids("C", 1, 2, 3) → C001, C002."""
    numbers = np.char.zfill(np.arange(start, start + n).astype(str), width).astype(object)
    return prefix + numbers


def weighted_draw(rng: np.random.Generator, weights: Sequence[float], n: int) -> np.ndarray:
    """`n` indices into `weights`, drawn with probability proportional to the weights."""
    p = np.asarray(weights, dtype=float)
    return rng.choice(len(p), n, p=p / p.sum())


def run_starts(sizes: np.ndarray) -> np.ndarray:
    """Where each run begins when runs of the given sizes are laid end to end."""
    return np.concatenate([[0], np.cumsum(sizes)[:-1]])
