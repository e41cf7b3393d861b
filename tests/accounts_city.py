"""A town of two streets with one account per role, and what lies inside and outside each scope."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from pathlib import Path

from dashboard.passwords import hash_password
from geodata.accounts import Grant, User
from geodata.backends import open_store
from geodata.demo import build_demo
from geodata.model import Level

PASSWORD = "Grid-board test 2026"  # every test account's password
AS_OF = dt.date(2026, 11, 28)


@dataclass(frozen=True)
class Scope:
    """Codes a role may ask for (`inside`) and may not (`outside`), by target kind."""

    inside: dict[str, str]
    outside: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class Town:
    path: Path
    scopes: dict[str, Scope]  # login (= role name) → its scope
    street_a: str
    street_b: str
    community: str
    compound: str
    property_org: str
    worker: str


def _first(frame, column: str = "code") -> str:
    return str(frame.sort_values(column)[column].iloc[0])


def build(folder: Path) -> Town:
    """Write the town into `folder`/town.gpkg with accounts city, street, community, property,
    grid_worker and admin (password PASSWORD), and say what each may see."""
    path = folder / "town.gpkg"
    with open_store(path, create=True) as store:
        store.write_city(build_demo("street", seed=3, as_of=AS_OF, communities=3, streets=2))
        streets = sorted(store.areas(Level.STREET)["code"])
        a, b = streets[0], streets[1]
        communities = store.areas(Level.COMMUNITY, parent=a).sort_values("code")
        community, other_community = communities["code"].iloc[0], communities["code"].iloc[1]
        compounds = store.areas(Level.COMPOUND, parent=a).dropna(subset=["property_company_id"])
        in_b = set(store.areas(Level.COMPOUND, parent=b)["property_company_id"].dropna())
        org = sorted(set(compounds["property_company_id"]) - in_b)[0]  # a company of A only
        mine = compounds[compounds["property_company_id"] == org]
        others = compounds[compounds["property_company_id"] != org]
        cells_b = store.areas(Level.GRID, parent=b)
        workers = store.grid_workers().dropna(subset=["grid_code"])
        in_a = workers[workers["grid_code"].str.startswith(community)]
        worker = str(in_a["person_id"].iloc[0])
        own = workers[workers["person_id"] == worker]["grid_code"]
        other = workers[
            (workers["person_id"] != worker) & workers["grid_code"].str.startswith(other_community)
        ]
        worker_b = workers[workers["grid_code"].str.startswith(b)]
        cell_other_community = _first(store.areas(Level.GRID, parent=other_community))
        scopes = {
            "city": Scope({"street": a, "area": _first(cells_b), "worker": worker}),
            "street": Scope(
                {"street": a, "area": _first(mine), "worker": worker},
                {
                    "street": b,
                    "area": _first(cells_b),
                    "worker": str(worker_b["person_id"].iloc[0]),
                },
            ),
            "community": Scope(
                {"street": a, "area": str(own.iloc[0]), "worker": worker},
                {
                    "street": b,
                    "area": cell_other_community,
                    "worker": str(other["person_id"].iloc[0]),
                },
            ),
            "property": Scope(
                {"street": a, "area": _first(mine)},
                {"street": b, "area": _first(others) if len(others) else _first(cells_b)},
            ),
            "grid_worker": Scope(
                {"street": a, "area": str(own.iloc[0]), "worker": worker},
                {
                    "street": b,
                    "area": cell_other_community,
                    "worker": str(other["person_id"].iloc[0]),
                },
            ),
            "admin": Scope({"street": a}),
        }
        grants = {
            "city": [Grant("city")],
            "street": [Grant("street", a)],
            "community": [Grant("community", community)],
            "property": [Grant("property", org)],
            "grid_worker": [Grant("grid_worker")],
            "admin": [Grant("admin")],
        }
        hashed = hash_password(PASSWORD)
        for login, given in grants.items():
            person = worker if login == "grid_worker" else None
            store.add_user(
                User(
                    login, f"测试{login}", tuple(given), hashed, person_id=person, must_change=False
                )
            )
    return Town(path, scopes, a, b, community, _first(mine), org, worker)
