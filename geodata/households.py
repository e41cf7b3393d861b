"""Tagged households and the visit rules as data: the tags, the default days between visits, and
the checks every entry point (store, CLI, admin page) applies to them."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from types import MappingProxyType

import numpy as np
import pandas as pd

from .rules import ID_FINE, id_problem

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
MAX_RULE_DAYS = 3650
MAX_UNIT_CHARS = 32
HOUSEHOLD_COLUMNS = ("id", "building_id", "unit", "tags")


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
            or not 1 <= days <= MAX_RULE_DAYS
        ):
            raise ValueError(f"{tag}: days between visits must be a whole number from 1 to 3,650")
        out[tag] = int(days)
    return out


def tag_list(value: object) -> list[str]:
    """A household's tags as a list: from comma-separated text (either comma) or a list."""
    if value is None or (isinstance(value, float) and np.isnan(value)):
        return []
    parts = value if isinstance(value, list | tuple) else str(value).replace("，", ",").split(",")
    return [str(p).strip() for p in parts if str(p).strip()]


def tag_text(tags: Iterable[str]) -> str:
    """Tags as the store keeps them: comma-separated, each once, in TAGS order."""
    given = set(tags)
    return ",".join(t for t in TAGS if t in given)


def household_problems(frame: pd.DataFrame, buildings: Iterable[str]) -> list[str]:
    """What is wrong with household rows (HOUSEHOLD_COLUMNS; rows numbered from 1), each as
    "row N: field 'value' problem", by row; empty when they may be written. Vectorised: a
    city's households are checked in about a second."""
    rows = frame[list(HOUSEHOLD_COLUMNS)].reset_index(drop=True)
    number = pd.Series(np.arange(1, len(rows) + 1))
    found: list[tuple[int, str]] = []
    found += _id_problems(rows["id"], number)
    building = rows["building_id"]
    unknown = building.isna() | ~building.astype(str).isin(set(buildings))
    found += [(r, f"building_id {_shown(v)!r} is not a building in the store")
              for r, v in zip(number[unknown], building[unknown], strict=True)]  # fmt: skip
    unit = rows["unit"]
    long = unit.notna() & (unit.astype(str).str.len() > MAX_UNIT_CHARS)
    found += [(r, f"unit is longer than {MAX_UNIT_CHARS} characters") for r in number[long]]
    found += _tag_problems(rows["tags"], number)
    return [f"row {r}: {text}" for r, text in sorted(found, key=lambda p: p[0])]


def _id_problems(ids: pd.Series, number: pd.Series) -> list[tuple[int, str]]:
    text = ids.astype(object).where(ids.notna(), "").astype(str).str.strip()
    found = [(r, "id is missing") for r in number[text == ""]]
    given = text != ""
    again = given & text.duplicated(keep="first")
    first = pd.Series(number[given & ~again].to_numpy(), index=text[given & ~again].to_numpy())
    found += [(r, f"id {v!r} appears again (first in row {first[v]})")
              for r, v in zip(number[again], text[again], strict=True)]  # fmt: skip
    plain = text.str.fullmatch(r"[A-Za-z0-9][A-Za-z0-9_.:#-]{0,63}")  # most ids: no more to ask
    odd = text[given & ~again & ~plain]
    odd = odd[~odd.str.fullmatch(ID_FINE)]
    for r, v in zip(number[odd.index], odd, strict=True):
        problem = id_problem(v)
        if problem is not None:
            found.append((r, f"id {v[:40]!r} {problem}"))
    return found


def _tag_problems(tags: pd.Series, number: pd.Series) -> list[tuple[int, str]]:
    code, lists = tag_codes(tags)
    found = []
    for k, given in enumerate(lists):
        rows = number[code == k]
        if not given:
            found += [
                (r, "tags is empty (only tagged households are kept one by one)") for r in rows
            ]
        for tag in (t for t in given if t not in TAGS):
            text = f"tags {tag[:40]!r} is not a household tag ({', '.join(TAGS)})"
            found += [(r, text) for r in rows]
    return found


def tag_codes(tags: pd.Series) -> tuple[np.ndarray, list[list[str]]]:
    """Each row's tags as a code into a list of distinct tag lists (a city's households have
    a handful): read once per distinct value, not once per row."""
    values = tags.to_numpy(dtype=object)
    keys = [",".join(map(str, v)) if isinstance(v, list | tuple) else v for v in values]
    code, distinct = pd.factorize(pd.Series(keys, dtype=object), use_na_sentinel=False)
    return code, [tag_list(v) for v in distinct]


def _shown(value: object) -> object:
    return None if value is None or (isinstance(value, float) and np.isnan(value)) else value
