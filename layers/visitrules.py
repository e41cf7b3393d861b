"""Visit rules by household, pure: how often each household must be visited, by its tags, and
which buildings are due — a building is due when any of its households is."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping

import numpy as np
import pandas as pd

from geodata.households import DEFAULT_RULES, ORDINARY, TAGS, check_rules

__all__ = [
    "DEFAULT_RULES",
    "ORDINARY",
    "TAGS",
    "building_households",
    "buildings_due",
    "check_rules",
    "households_due",
    "interval",
    "never_visited",
]

NEVER = 10**6  # days since the last visit of a household never visited


def never_visited(overdue_days: int) -> bool:
    """Whether a household `overdue_days` past its rule (households_due) was never visited."""
    return overdue_days > NEVER // 2


def interval(tags: Iterable[str], rules: Mapping[str, int]) -> int:
    """Days allowed between visits of a household with `tags`: its strictest tag's (an untagged
    household is ordinary; an unknown tag counts as none)."""
    days = [rules[t] for t in tags if t in rules and t != ORDINARY]
    return min(days, default=rules[ORDINARY])


def households_due(
    households: pd.DataFrame, rules: Mapping[str, int], today: dt.date
) -> pd.DataFrame:
    """Per household (columns building_id, tags: a list of tag codes, last_visit: a date or
    None): its interval, days since its last visit, whether it is due today, by how many days
    it is overdue and in how many it will be due (0 when due)."""
    allowed = np.array([interval(tags, rules) for tags in households["tags"]], dtype=np.int64)
    last = pd.to_datetime(households["last_visit"])
    since = (pd.Timestamp(today) - last).dt.days.fillna(NEVER).to_numpy(dtype=np.int64)
    out = households[["building_id"]].copy()
    out["interval"] = allowed
    out["days_since"] = since
    out["due"] = since >= allowed
    out["overdue_days"] = np.maximum(since - allowed, 0)
    out["days_to_due"] = np.maximum(allowed - since, 0)
    return out


def buildings_due(
    households: pd.DataFrame, rules: Mapping[str, int], today: dt.date
) -> pd.DataFrame:
    """Per building with households: due (any household due), due households (a row's `count`
    when given, else 1 a row) and of them the tagged ones, the most overdue days of them; the
    due buildings first, most overdue first — the order a round fills its time with."""
    per = households_due(households, rules, today)
    count = households["count"] if "count" in households else pd.Series(1, index=per.index)
    per["due_count"] = np.where(per["due"], count.to_numpy(dtype=np.int64), 0)
    per["due_tagged"] = per["due"] & np.array([len(t) > 0 for t in households["tags"]], bool)
    grouped = per.groupby("building_id", sort=False)
    out = pd.DataFrame(
        {
            "due": grouped["due"].any(),
            "due_households": grouped["due_count"].sum().astype(np.int64),
            "due_tagged": grouped["due_tagged"].sum().astype(np.int64),
            "overdue_days": grouped["overdue_days"].max(),
            "days_to_due": grouped["days_to_due"].min(),
        }
    )
    return out.sort_values(
        ["due", "overdue_days", "due_households", "days_to_due"],
        ascending=[False, False, False, True],
        kind="stable",
    )


def building_households(
    buildings: pd.DataFrame,
    last_visit: Mapping[str, dt.date] | pd.Series,
    tagged: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """The households the rules judge, as households_due takes them, with a `count` each.

    Per building (`buildings`: id, households) one row for its ordinary households — as many
    as it has less its tagged ones, judged by the building's latest visit by anyone
    (`last_visit`: building id → date) — kept, as one, for a building with no household on
    record; then each tagged household (`tagged`: building_id, tags, last_visit — the latest
    visit that reached it) on its own.
    """
    tagged = _tagged_of(tagged, buildings["id"])
    ids = buildings["id"].astype(str).to_numpy(dtype=object)
    per_building = tagged.groupby("building_id").size()
    ordinary = buildings["households"].fillna(0).to_numpy(dtype=np.int64) - per_building.reindex(
        ids, fill_value=0
    ).to_numpy(dtype=np.int64)
    keep = (ordinary > 0) | (per_building.reindex(ids, fill_value=0).to_numpy() == 0)
    last = pd.Series(last_visit, dtype=object) if len(last_visit) else pd.Series([], dtype=object)
    plain = pd.DataFrame(
        {
            "building_id": ids[keep],
            "tags": [[] for _ in range(int(keep.sum()))],
            "last_visit": last.reindex(ids[keep]).to_numpy(dtype=object),
            "count": np.maximum(ordinary[keep], 1),
        }
    )
    marked = tagged.assign(count=1)[["building_id", "tags", "last_visit", "count"]]
    return pd.concat([plain, marked], ignore_index=True)


def _tagged_of(tagged: pd.DataFrame | None, buildings: pd.Series) -> pd.DataFrame:
    columns = ["building_id", "tags", "last_visit"]
    if tagged is None or tagged.empty:
        return pd.DataFrame({c: pd.Series(dtype=object) for c in columns})
    ours = tagged[tagged["building_id"].astype(str).isin(set(buildings.astype(str)))]
    return ours[columns].astype({"building_id": str}).reset_index(drop=True)
