"""The demo's tagged households (困难家庭, 空巢老人 …) and the care visits that reach them about
monthly, drawn for a whole city at once."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd

from ._arrays import ids, run_starts

# Tag combinations and their shares of all households, after what street offices report:
# hardship 2%, empty nest 6%, living alone 3% (a fifth of them also disabled), disability 2.5%
# in all, community correction 0.1%.
ALSO_DISABLED = 0.2
COMBINATIONS: tuple[tuple[str, float], ...] = (
    ("hardship", 0.02),
    ("empty_nest", 0.06),
    ("living_alone", 0.03 * (1 - ALSO_DISABLED)),
    ("living_alone,disability", 0.03 * ALSO_DISABLED),
    ("disability", 0.025 - 0.03 * ALSO_DISABLED),
    ("community_correction", 0.001),
)
CARE_GAP_DAYS = (24, 45)  # days between care visits of a tagged household: about monthly
CARE_HISTORY_DAYS = 90  # care visits of the last three months (when the register began)
VISIT_WEEKDAYS = (2, 3)  # 幸福来敲门: Wednesday and Thursday
_DAY_SPAN = 1 << 20  # building code × this + day number: one key per building and day


def tag_households(
    rng: np.random.Generator, buildings: pd.DataFrame, first_id: int = 1
) -> pd.DataFrame:
    """Tagged households of `buildings` (id, households, floors): id (numbered from
    `first_id`), building_id, unit (the door, "stairwell-floor+door" as 2-301), tags; each
    building's doors spread out."""
    sizes = buildings["households"].to_numpy(dtype=np.int64)
    shares = [p for _, p in COMBINATIONS]
    drawn = rng.multinomial(sizes, [*shares, 1 - sum(shares)])[:, :-1]
    flat = drawn.ravel()  # building by building, combination by combination
    building = np.repeat(np.repeat(np.arange(len(sizes)), len(shares)), flat)
    combination = np.repeat(np.tile(np.arange(len(shares)), len(sizes)), flat)
    tagged = np.bincount(building, minlength=len(sizes))
    nth = np.arange(len(building)) - run_starts(tagged)[building]
    offset = rng.random(len(sizes))[building]
    size = sizes[building]
    slot = np.floor((nth + offset) * size / tagged[building]).astype(np.int64)
    floors = np.maximum(buildings["floors"].fillna(1).to_numpy(dtype=np.int64), 1)[building]
    per_floor = -(-size // floors)
    floor, door = slot // per_floor + 1, slot % per_floor
    unit = _door_labels(door // 2 + 1, floor, door % 2 + 1)
    names = np.array([c for c, _ in COMBINATIONS], dtype=object)
    return pd.DataFrame(
        {
            "id": ids("H", first_id, len(building), 8),
            "building_id": buildings["id"].to_numpy(dtype=object)[building],
            "unit": unit,
            "tags": names[combination.astype(np.int64)],
        }
    )


def _door_labels(stair: np.ndarray, floor: np.ndarray, door: np.ndarray) -> np.ndarray:
    """Doors as "stair-floor+door" (2-301): each distinct door written once, then looked up."""
    code = (stair * 1000 + floor) * 100 + door
    distinct, at = np.unique(code, return_inverse=True)
    texts = [f"{c // 100_000}-{c // 100 % 1000}{c % 100:02d}" for c in distinct.tolist()]
    return np.array(texts, dtype=object)[at]


def care_visits(
    rng: np.random.Generator,
    households: pd.DataFrame,
    rounds: pd.DataFrame,
    worker_of_building: pd.Series,
    last: dt.date,
    first_id: int = 1,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Visits reaching each tagged household every CARE_GAP_DAYS over the last
    CARE_HISTORY_DAYS, on a visit day; households of one building on one day share a visit,
    the building round's when there is one that day. Returns the new visits (numbered after
    `rounds`' ids, which start at `first_id`) and the links (visit_id, household_id)."""
    n = len(households)
    low, high = CARE_GAP_DAYS
    steps = CARE_HISTORY_DAYS // low + 1
    gaps = rng.integers(low, high + 1, (n, steps))
    gaps[:, 0] = rng.integers(0, high, n)  # the first visit: anywhere in the first gap
    start = np.datetime64(last - dt.timedelta(days=CARE_HISTORY_DAYS - 1), "D")
    days = start + np.cumsum(gaps, axis=1).astype("timedelta64[D]")
    who = np.repeat(np.arange(n), steps)
    days = _next_visit_day(days.ravel())
    keep = days <= np.datetime64(last, "D")
    who, days = who[keep], days[keep]
    building, buildings = pd.factorize(households["building_id"].to_numpy(dtype=object))
    buildings = pd.Index(buildings)
    return _as_visits(rng, households["id"].to_numpy(dtype=object)[who], building[who], days,
                      (buildings, rounds, worker_of_building), first_id + len(rounds))  # fmt: skip


def _next_visit_day(days: np.ndarray) -> np.ndarray:
    """Each day, or the next Wednesday or Thursday after it."""
    weekday = (days.astype("datetime64[D]").astype(np.int64) + 3) % 7  # 1970-01-01: a Thursday
    wait = np.where(np.isin(weekday, VISIT_WEEKDAYS), 0, (VISIT_WEEKDAYS[0] - weekday) % 7)
    return days + wait.astype("timedelta64[D]")


def _as_visits(
    rng: np.random.Generator,
    household: np.ndarray,
    building: np.ndarray,
    days: np.ndarray,
    known: tuple[pd.Index, pd.DataFrame, pd.Series],
    next_id: int,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """One visit per (building, day) of the households reached there (`building`: codes into
    known[0]), the building round's of that day (known[1]) where there was one; new visits
    numbered from `next_id`."""
    buildings, rounds, worker_of_building = known
    day = days.astype("datetime64[D]").astype(np.int64)
    key = building * _DAY_SPAN + day
    _, firsts, group_of = np.unique(key, return_index=True, return_inverse=True)
    ours = buildings.get_indexer(rounds["building_id"])
    round_day = pd.to_datetime(rounds["date"]).to_numpy().astype("datetime64[D]").astype(np.int64)
    round_key = pd.Series(rounds["id"].to_numpy(dtype=object), index=ours * _DAY_SPAN + round_day)
    round_key = round_key[(round_key.index >= 0) & ~round_key.index.duplicated()]
    visit = round_key.reindex(key[firsts]).to_numpy(dtype=object)
    new = pd.isna(visit)
    visit[new] = ids("V", next_id, int(new.sum()), 9)
    links = pd.DataFrame({"visit_id": visit[group_of], "household_id": household})
    made = firsts[new]
    needs = np.minimum(5, rng.poisson(0.3, len(made)))
    visits = pd.DataFrame(
        {
            "id": visit[new],
            "worker_id": worker_of_building.reindex(buildings[building[made]]).to_numpy(object),
            "date": day[made].astype("datetime64[D]").astype(object),
            "building_id": buildings[building[made]].to_numpy(dtype=object),
            "households_reached": np.bincount(group_of)[new],
            "needs_found": needs,
            "cases_raised": rng.binomial(needs, 0.35),
        }
    )
    return visits, links
