"""The demo's people: community committees, grid workers, property companies, 交叉任职."""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import pandas as pd

from ..city import COLUMNS
from ..model import Level, OrgKind, Role
from ._arrays import Numbering, ids
from .names import landlines, mobiles, person_names, unique_names
from .town import TownGeo


@dataclass
class Staff:
    """Organisations, people and roles, and who answers for each compound, cell and building."""

    organisations: pd.DataFrame
    persons: pd.DataFrame
    roles: pd.DataFrame
    company_of_compound: dict[str, str]
    worker_of_cell: dict[str, str]
    manager_of_building: dict[str, str]  # building id → its 楼管 (managed compounds only)

    def workers_of(self, cells: pd.Series | pd.Index) -> np.ndarray:
        """The grid worker of each of the given cell codes."""
        return cells.map(self.worker_of_cell).to_numpy(dtype=object)


class _Roster:
    """Collects organisations, people and their roles; names and phones are drawn at the end."""

    def __init__(self, first: Numbering) -> None:
        self.orgs: list[tuple] = []
        self.roles: list[tuple] = []
        self.count = 0
        self.first = first

    def org(self, org: str, kind: OrgKind, name: str, area: str | None, phone: bool = True) -> str:
        self.orgs.append((org, kind.value, name, area, phone))
        return org

    def people(self, n: int = 1) -> list[str]:
        self.count += n
        return list(ids("P", self.first.person + self.count - n, n, 6))

    def give(self, person: str, org: str, role: Role, level: Level, area: str) -> None:
        self.roles.append((person, org, role.value, level.value, area))

    def frames(self, rng: np.random.Generator) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
        orgs = pd.DataFrame(self.orgs, columns=list(COLUMNS["organisations"]))
        listed = orgs["phone"].to_numpy(dtype=bool)
        orgs["phone"] = None
        orgs.loc[listed, "phone"] = landlines(rng, int(listed.sum()))
        phones = mobiles(rng, self.count)
        while (dup := pd.Series(phones).duplicated().to_numpy()).any():
            phones[dup] = mobiles(rng, int(dup.sum()))
        persons = pd.DataFrame(
            {
                "id": ids("P", self.first.person, self.count, 6),
                "name": person_names(rng, self.count),
                "phone": phones,
            }
        )
        return orgs, persons, pd.DataFrame(self.roles, columns=list(COLUMNS["roles"]))


def appoint_staff(rng: np.random.Generator, geo: TownGeo, first: Numbering | None = None) -> Staff:
    """Committees, a grid worker per cell, property companies and their cross-appointments;
    people and companies numbered from `first` (default: from 1)."""
    roster = _Roster(first or Numbering())
    members = _committees(rng, roster, geo.communities)
    workers = dict(zip(geo.cells["code"], roster.people(len(geo.cells)), strict=True))
    for cell, community in zip(geo.cells["code"], geo.cells["community_code"], strict=True):
        roster.give(workers[cell], f"ORG-COM-{community}", Role.GRID_WORKER, Level.GRID, cell)
    companies = _companies(rng, roster, geo.compounds)
    main_cell = _main_cells(geo.buildings)
    by_compound = geo.buildings.groupby("compound_code", sort=False)["id"].apply(list)
    served = dict.fromkeys(members, 0)  # compounds each committee already serves
    managers: dict[str, str] = {}
    for code, name, community, kind in geo.compounds[
        ["code", "name", "community_code", "kind"]
    ].itertuples(index=False):
        if code not in companies:
            continue
        team = members[community]
        director = team[served[community] % len(team)]
        served[community] += 1
        admin = workers[main_cell[code]]
        _cross_appoint(roster, code, community, companies[code], director, admin)
        managers |= _building_managers(roster, code, companies[code], by_compound[code])
        if rng.random() < (0.5 if kind == "new" else 0.2):
            _owners_committee(roster, code, name)
    orgs, persons, roles = roster.frames(rng)
    return Staff(orgs, persons, roles, companies, workers, managers)


def _committees(rng: np.random.Generator, roster: _Roster, communities: pd.DataFrame) -> dict:
    """社区两委 with secretary, director and members; returns the members of each community."""
    members = {}
    for code, name in zip(communities["code"], communities["name"], strict=True):
        org = roster.org(f"ORG-COM-{code}", OrgKind.COMMITTEE, f"{name}两委", code)
        (secretary,) = roster.people()
        # 书记、主任"一肩挑": in most communities one person holds both posts
        director = secretary if rng.random() < 0.6 else roster.people()[0]
        roster.give(secretary, org, Role.SECRETARY, Level.COMMUNITY, code)
        roster.give(director, org, Role.DIRECTOR, Level.COMMUNITY, code)
        members[code] = roster.people(int(rng.integers(3, 7)))
        for person in members[code]:
            roster.give(person, org, Role.COMMITTEE_MEMBER, Level.COMMUNITY, code)
    return members


def _companies(rng: np.random.Generator, roster: _Roster, compounds: pd.DataFrame) -> dict:
    """物业服务企业 of each county, each managing one to several of its compounds."""
    managed = compounds[compounds["managed"]]
    chars = "鸿顺泰安恒信瑞丰宏达佳和嘉诚华邦鑫盛润泽万家金鼎福德美景康圣源儒昌隆兴旺"
    names = iter(unique_names(rng, len(managed), (), list(chars), list(chars)))
    company_of: dict[str, str] = {}
    n = roster.first.company - 1
    for _, group in managed.groupby(managed["street_code"].str[:6], sort=True):
        todo = list(group["code"].to_numpy()[rng.permutation(len(group))])
        while todo:
            size = int(rng.choice([1, 2, 3, 4, 5, 6], p=[0.3, 0.25, 0.18, 0.12, 0.09, 0.06]))
            n += 1
            org = f"ORG-PM-{n:04d}"
            roster.org(org, OrgKind.PROPERTY_COMPANY, f"济宁{next(names)}物业服务有限公司", None)
            company_of |= dict.fromkeys(todo[:size], org)
            todo = todo[size:]
    return company_of


def _main_cells(buildings: pd.DataFrame) -> pd.Series:
    """The grid cell holding most of each compound's households."""
    per_cell = buildings.groupby(["compound_code", "cell_code"])["households"].sum()
    top = per_cell.sort_values(ascending=False, kind="stable").reset_index()
    return top.drop_duplicates("compound_code").set_index("compound_code")["cell_code"]


def _cross_appoint(
    roster: _Roster, code: str, community: str, company: str, director: str, admin: str
) -> None:
    """交叉任职 at one compound: the committee member as service-quality director, the grid
    worker as property administrator, and the project manager on the committee."""
    committee = f"ORG-COM-{community}"
    (manager,) = roster.people()
    roster.give(manager, company, Role.PROJECT_MANAGER, Level.COMPOUND, code)
    roster.give(manager, committee, Role.PART_TIME_MEMBER, Level.COMMUNITY, community)
    roster.give(director, company, Role.SERVICE_QUALITY_DIRECTOR, Level.COMPOUND, code)
    roster.give(admin, company, Role.PROPERTY_ADMINISTRATOR, Level.COMPOUND, code)


def _building_managers(roster: _Roster, code: str, company: str, buildings: list[str]) -> dict:
    """楼管: one for about every ten buildings; returns each building's manager."""
    staff = roster.people(max(1, math.ceil(len(buildings) / 10)))
    for person in staff:
        roster.give(person, company, Role.BUILDING_MANAGER, Level.COMPOUND, code)
    return {b: staff[i * len(staff) // len(buildings)] for i, b in enumerate(buildings)}


def _owners_committee(roster: _Roster, code: str, name: str) -> None:
    org = roster.org(f"ORG-OC-{code}", OrgKind.OWNERS_COMMITTEE, f"{name}业主委员会", code, False)
    (chair,) = roster.people()
    roster.give(chair, org, Role.OWNERS_CHAIR, Level.COMPOUND, code)
