"""Visit rules by household, pure: how often each household must be visited, by its tags, and
which buildings are due — a building is due when any of its households is."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from types import MappingProxyType

import numpy as np
import pandas as pd

ORDINARY = "ordinary"  # a household without a tag
# Days between visits, after local practice: ordinary households a few times a year,
# vulnerable ones monthly. A city edits its own (the store keeps them; these are defaults).
DEFAULT_RULES: Mapping[str, int] = MappingProxyType(
    {
        ORDINARY: 120,
        "hardship": 30,  # 困难家庭
        "empty_nest": 30,  # 空巢老人
        "living_alone": 30,  # 独居老人
        "disability": 30,  # 残疾人
        "community_correction": 30,  # 社区矫正对象
    }
)
TAGS = tuple(t for t in DEFAULT_RULES if t != ORDINARY)
NEVER = 10**6  # days since the last visit of a household never visited


def check_rules(rules: Mapping[str, int]) -> dict[str, int]:
    """`rules` as days per tag, every tag present (defaults fill gaps); ValueError naming the
    tag whose days are not a whole number from 1 to 3,650."""
    out = dict(DEFAULT_RULES)
    for tag, days in rules.items():
        if tag not in DEFAULT_RULES:
            raise ValueError(f"unknown household tag {str(tag)[:40]!r}")
        if (
            isinstance(days, bool)
            or not isinstance(days, int | np.integer)
            or not 1 <= days <= 3650
        ):
            raise ValueError(f"{tag}: days between visits must be a whole number from 1 to 3,650")
        out[tag] = int(days)
    return out


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
    """Per building with households: due (any household due), due households, and the most
    overdue days of them; the due buildings first, most overdue first — the order a round
    fills its time with."""
    per = households_due(households, rules, today)
    grouped = per.groupby("building_id", sort=False)
    out = pd.DataFrame(
        {
            "due": grouped["due"].any(),
            "due_households": grouped["due"].sum().astype(np.int64),
            "overdue_days": grouped["overdue_days"].max(),
            "days_to_due": grouped["days_to_due"].min(),
        }
    )
    return out.sort_values(
        ["due", "overdue_days", "due_households", "days_to_due"],
        ascending=[False, False, False, True],
        kind="stable",
    )
