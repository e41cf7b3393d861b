"""A staff roster checked for the GeoPackage store: on its own, then against what is stored."""

from __future__ import annotations

import sqlite3

import numpy as np
import pandas as pd

from .. import records, rules, sqlrows
from ..city import COLUMNS
from ..model import Level, OrgKind, Role
from .schema import AREA_TABLES


def staff_frames(
    orgs: pd.DataFrame, people: pd.DataFrame, roles: pd.DataFrame
) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """The roster checked on its own: columns, ids, kinds, roles, levels."""
    frames = {}
    for table, frame in (("organisations", orgs), ("persons", people), ("roles", roles)):
        required = ("id", "name") if table != "roles" else COLUMNS["roles"]
        if table == "organisations":
            required = ("id", "kind", "name")
        records.require_columns(frame, table, required)
        frame = frame.reset_index(drop=True)
        frames[table] = pd.DataFrame({c: frame.get(c, None) for c in COLUMNS[table]})
    for table, ids in (("organisations", ()), ("persons", ("id",))):
        numbered = frames[table].set_axis(pd.RangeIndex(1, len(frames[table]) + 1))
        records.refuse(table, rules.check_contacts(numbered, ids=ids, phones=("phone",)))
        records.check_ids(frames[table], table)
        names = frames[table]["name"]
        blank = names.isna() | (names.astype(str).str.strip() == "")
        records.raise_rows(table, "name", blank, names, "is empty")
    records.check_members(
        frames["organisations"], "organisations", "kind", {k.value for k in OrgKind}
    )
    roles = frames["roles"]
    records.check_members(roles, "roles", "role", {r.value for r in Role})
    records.check_members(roles, "roles", "area_level", {lv.value for lv in Level})
    repeated = roles.astype(str).duplicated(keep="first")
    records.raise_rows("roles", "person_id", repeated, roles["person_id"], "has this role twice")
    return frames["organisations"], frames["persons"], roles


def check_roles(con: sqlite3.Connection, roles: pd.DataFrame) -> None:
    """Roles point at stored persons, organisations and areas of their level; none twice."""
    persons = {r[0] for r in con.execute("SELECT id FROM persons")}
    orgs = {r[0] for r in con.execute("SELECT id FROM organisations")}
    records.raise_rows(
        "roles", "person_id", ~roles["person_id"].isin(persons), roles["person_id"], "is unknown"
    )
    records.raise_rows(
        "roles", "org_id", ~roles["org_id"].isin(orgs), roles["org_id"], "is unknown"
    )
    known = np.zeros(len(roles), dtype=bool)
    for level, table in AREA_TABLES.items():
        codes = {r[0] for r in con.execute(f"SELECT code FROM {table}")}
        known |= ((roles["area_level"] == level.value) & roles["area_code"].isin(codes)).to_numpy()
    records.raise_rows(
        "roles", "area_code", ~known, roles["area_code"], "is not an area of its area_level"
    )
    stored = sqlrows.frame(con, f"SELECT {', '.join(COLUMNS['roles'])} FROM roles")
    key = list(COLUMNS["roles"])
    both = (
        roles[key]
        .astype(str)
        .merge(stored.astype(str).drop_duplicates(), how="left", indicator=True)
    )
    records.raise_rows(
        "roles",
        "person_id",
        (both["_merge"] == "both").to_numpy(),
        roles["person_id"],
        "has this role in the store already",
    )
