"""Class breaks (quantiles), the class of every value and colour-blind-safe palettes."""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from dataclasses import dataclass

import mapclassify
import numpy as np

CLASS_COUNT = 5
NO_DATA = 0  # class index of a missing value (NaN: no households, never visited, …)
ZERO = 1  # class index of an exact zero, drawn apart from the positive classes
FIRST_CLASS = 2

# ColorBrewer sequential schemes (Cynthia Brewer, colorbrewer2.org), both marked there as
# colour-blind safe: YlOrRd where more is worse, YlGnBu where more is better (visits).
YL_OR_RD = ("#ffffb2", "#fecc5c", "#fd8d3c", "#f03b20", "#bd0026")
YL_GN_BU = ("#ffffcc", "#a1dab4", "#41b6c4", "#2c7fb8", "#253494")
NO_DATA_COLOUR = "#9e9e9e"  # mid grey: no hue, darker than zero, unlike every palette step
ZERO_COLOUR = "#f0f0f0"  # near white: nothing counted

# metric → (decimals shown, integer-valued, unit translation key, palette)
METRIC_STYLE: dict[str, tuple[int, bool, str, tuple[str, ...]]] = {
    "open_cases": (0, True, "unit.cases", YL_OR_RD),
    "overdue_cases": (0, True, "unit.cases", YL_OR_RD),
    "cases_per_1000": (1, False, "unit.per_1000", YL_OR_RD),
    "visits_per_100": (1, False, "unit.per_100", YL_GN_BU),
    "days_since_visit": (0, True, "unit.days", YL_OR_RD),
}


@dataclass(frozen=True)
class Classes:
    """Classes of one metric over one set of areas: no data, zero, then ascending ranges."""

    metric: str
    uppers: tuple[float, ...]  # inclusive upper bound of each positive class, ascending
    lowers: tuple[float, ...]  # smallest value each positive class can hold (for the legend)
    colours: tuple[str, ...]  # one colour per class index: no data, zero, positive classes

    @property
    def count(self) -> int:
        """Number of class indices (no data and zero included)."""
        return len(self.colours)


def _values(values: Sequence[float] | np.ndarray) -> np.ndarray:
    return np.asarray(values, dtype=float)


def _breaks(positive: np.ndarray, integer: bool, places: int) -> np.ndarray:
    """Ascending inclusive upper bounds: quantiles of the positive values, at most CLASS_COUNT."""
    distinct = np.unique(positive)
    if distinct.size <= CLASS_COUNT:
        return distinct
    with warnings.catch_warnings():
        # Ties can merge quantiles ("not enough unique values"); merged breaks are dropped below.
        warnings.simplefilter("ignore", UserWarning)
        bins = mapclassify.Quantiles(positive, k=CLASS_COUNT).bins
    # Breaks fall on the grid of shown values (a count is never 2.5: "up to 2.5" is "up to
    # 2"), so a class is decided by the number the reader sees, in the server and the browser.
    step = 1.0 if integer else 10.0**places
    uppers = np.floor(np.asarray(bins, dtype=float) * step + 1e-9) / step
    uppers[-1] = distinct[-1]
    return np.unique(uppers[uppers > 0])


def _lowers(positive: np.ndarray, uppers: np.ndarray, integer: bool) -> tuple[float, ...]:
    if uppers.size == 0:
        return ()
    firsts = [float(positive.min())]
    for upper in uppers[:-1]:
        firsts.append(float(upper + 1) if integer else float(upper))
    return tuple(firsts)


def classify(metric: str, values: Sequence[float] | np.ndarray) -> Classes:
    """Quantile classes of the positive values of `metric`; zero and missing get their own."""
    places, integer, _, palette = METRIC_STYLE[metric]
    data = _values(values)
    positive = data[np.isfinite(data) & (data > 0)]
    uppers = _breaks(positive, integer, places) if positive.size else np.array([])
    # Fewer classes than the palette has: spread them over it, keeping its light-to-dark range.
    steps = np.linspace(0, len(palette) - 1, uppers.size).round().astype(int) if uppers.size else []
    colours = (NO_DATA_COLOUR, ZERO_COLOUR, *(palette[i] for i in steps))
    return Classes(metric, tuple(map(float, uppers)), _lowers(positive, uppers, integer), colours)


def class_of(classes: Classes, values: Sequence[float] | np.ndarray) -> np.ndarray:
    """The class index of every value: NO_DATA, ZERO or FIRST_CLASS + rank of its range."""
    data = _values(values)
    index = FIRST_CLASS + np.searchsorted(np.asarray(classes.uppers), data, side="left")
    index = np.minimum(index, classes.count - 1)  # values above the last break (none by design)
    index = np.where(data == 0, ZERO, index)
    return np.where(np.isfinite(data), index, NO_DATA).astype(int)


def colourscale(classes: Classes) -> list[list[float | str]]:
    """A stepped plotly colourscale drawing class index i (z = i, zmin 0) in its colour."""
    n = classes.count
    if n == 1:
        return [[0.0, classes.colours[0]], [1.0, classes.colours[0]]]
    scale: list[list[float | str]] = []
    for i, colour in enumerate(classes.colours):
        # z = i sits at i / (n - 1); each colour owns the band around it.
        low, high = max(0.0, (i - 0.5) / (n - 1)), min(1.0, (i + 0.5) / (n - 1))
        scale += [[low, colour], [high, colour]]
    return scale


def decimals(metric: str) -> int:
    """Decimals a value of `metric` is shown with."""
    return METRIC_STYLE[metric][0]


def unit_key(metric: str) -> str:
    """Translation key of the unit of `metric` (e.g. "unit.cases")."""
    return METRIC_STYLE[metric][2]
