"""The demo's door-to-door visits: 幸福来敲门 every Wednesday and Thursday."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd

from ._arrays import ids, run_starts
from .staff import Staff
from .town import TownGeo

ATTENDANCE = 0.85  # share of visit days a grid worker goes out


def simulate_visits(
    rng: np.random.Generator,
    geo: TownGeo,
    staff: Staff,
    last: dt.date,
    days: int,
    first_id: int = 1,
) -> pd.DataFrame:
    """幸福来敲门: every Wednesday and Thursday each grid worker visits one building of their cell,
    going round the cell's buildings so the longest-unvisited comes next. Visit ids are
    numbered from `first_id`."""
    dates = pd.date_range(last - dt.timedelta(days=days - 1), last, freq="D")
    dates = dates[dates.day_of_week.isin([2, 3])].to_numpy().astype("datetime64[D]")
    cells = pd.Index(geo.cells["code"])
    cell_of = cells.get_indexer(geo.buildings["cell_code"])
    shuffled = rng.permutation(len(cell_of))
    round_robin = shuffled[np.argsort(cell_of[shuffled], kind="stable")]
    size = np.bincount(cell_of, minlength=len(cells))
    first = run_starts(size)
    went = rng.random((len(dates), len(cells))) < ATTENDANCE
    nth = np.cumsum(went, axis=0) - 1
    day, cell = np.nonzero(went)
    turn = (rng.integers(0, size)[cell] + nth[day, cell]) % size[cell]
    building = round_robin[first[cell] + turn]
    households = geo.buildings["households"].to_numpy()[building]
    needs = np.minimum(5, rng.poisson(1.1, len(day)))
    return pd.DataFrame(
        {
            "id": ids("V", first_id, len(day), 9),
            "worker_id": staff.workers_of(cells)[cell],
            "date": dates[day].astype(object),
            "building_id": geo.buildings["id"].to_numpy(dtype=object)[building],
            "households_reached": np.minimum(households, rng.integers(10, 61, len(day))),
            "needs_found": needs,
            "cases_raised": rng.binomial(needs, 0.35),
        }
    )
