"""Who may see what: a signed-in person's reach over areas, pages and residents' data, in data."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from geodata.codes import CodeError, community_of, level_of, street_of
from geodata.model import Level

# Pages by the path Dash serves them at; the roles (and "display" for a wall token) that may
# open each. The admin role sees accounts and the audit trail, no case data.
PAGE_ROLES: dict[str, frozenset[str]] = {
    "/": frozenset({"city", "street", "community", "property", "grid_worker"}),
    "/overview": frozenset({"city", "street"}),
    "/routes": frozenset({"city", "street", "community", "grid_worker"}),
    "/wall": frozenset({"city", "street", "display"}),
    "/audit": frozenset({"admin"}),
    "/admin/categories": frozenset({"admin"}),
    "/admin/visitrules": frozenset({"admin"}),
    "/cases": frozenset({"city", "street", "community", "property", "grid_worker"}),
    "/kpi": frozenset({"city", "street"}),
    "/m": frozenset({"grid_worker"}),
}
# Roles whose job needs residents' names and phone numbers, within their scope.
PERSONAL_ROLES = frozenset({"street", "community", "grid_worker"})
# The area columns of cases and visits, in the order of a Reach's sets.
AREA_COLUMNS = ("street_code", "community_code", "compound_code", "grid_code")


@dataclass(frozen=True)
class Reach:
    """A set of areas: the whole city, or whole streets and communities, single compounds and
    grid cells. An area is inside when it, or the street or community it lies in, is."""

    city: bool = False
    streets: frozenset[str] = frozenset()
    communities: frozenset[str] = frozenset()
    compounds: frozenset[str] = frozenset()
    grids: frozenset[str] = frozenset()

    def __or__(self, other: Reach) -> Reach:
        return Reach(
            self.city or other.city,
            self.streets | other.streets,
            self.communities | other.communities,
            self.compounds | other.compounds,
            self.grids | other.grids,
        )

    def whole_street(self, street: str) -> bool:
        """Every area of `street` is inside."""
        return self.city or street in self.streets

    def covers(self, area: Mapping[str, object]) -> bool:
        """Whether an area (a store.area() dict: code, level, street_code, community_code) is
        inside. A street or community is inside only when all of it is."""
        if self.city:
            return True
        code, level = area.get("code"), area.get("level")
        if area.get("street_code") in self.streets:
            return True
        if level == "street":
            return False
        if area.get("community_code") in self.communities:
            return True
        return (level == "compound" and code in self.compounds) or (
            level == "grid" and code in self.grids
        )

    def rows_inside(self, frame: pd.DataFrame, level: str | None = None) -> np.ndarray:
        """Boolean mask of the rows of `frame` inside: records with AREA_COLUMNS (cases,
        visits), or an area frame of `level` (code, street_code, community_code)."""
        n = len(frame)
        if self.city:
            return np.ones(n, dtype=bool)
        inside = np.zeros(n, dtype=bool)
        sets = (self.streets, self.communities, self.compounds, self.grids)
        columns = dict(zip(AREA_COLUMNS, sets, strict=True))
        if level == "compound":
            columns["code"] = self.compounds
        elif level == "grid":
            columns["code"] = self.grids
        for column, codes in columns.items():
            if codes and column in frame.columns:
                inside |= frame[column].isin(codes).to_numpy()
        return inside

    def key(self) -> list[object]:
        """A cache-key part naming this reach."""
        return [
            self.city,
            *(sorted(s) for s in (self.streets, self.communities, self.compounds, self.grids)),
        ]


@dataclass(frozen=True)
class Principal:
    """Whoever a request comes from: a user with roles, or a wall display.

    `sees` is the case data it may read; `personal` where residents' names and phone numbers
    are shown to it unmasked; `routes` whose workers' routes it may open besides its own
    workers' (`own_workers`); `street_codes` the streets its map offers (None: every one);
    `labels` (role, scope name) pairs the page header shows."""

    login: str
    kind: str  # "user" or "display"
    roles: tuple[str, ...]
    sees: Reach = field(default_factory=Reach)
    personal: Reach = field(default_factory=Reach)
    routes: Reach = field(default_factory=Reach)
    own_workers: frozenset[str] = frozenset()
    street_codes: frozenset[str] | None = frozenset()
    name: str = ""
    person_id: str | None = None
    labels: tuple[tuple[str, str], ...] = ()

    @property
    def actor(self) -> str:
        """How the audit trail names this principal."""
        return self.login if self.kind == "user" else f"display:{self.login}"

    def may_open(self, path: str) -> bool:
        """Whether a page (by path) is open to one of this principal's roles."""
        allowed = PAGE_ROLES.get(path, frozenset())
        return bool(allowed.intersection(self.roles))

    def offers_street(self, street: str) -> bool:
        """Whether the map and the wall may show `street` (partly or wholly)."""
        return self.street_codes is None or street in self.street_codes

    def may_route(self, worker: str, cells: Iterable[Mapping[str, object]]) -> bool:
        """Whether this principal may open the route of `worker`, whose grid cells (store.area()
        dicts) are `cells`: its own, or one whose every cell lies in its `routes` reach."""
        if worker in self.own_workers or self.routes.city:
            return True
        cells = list(cells)
        return bool(cells) and all(self.routes.covers(c) for c in cells)

    def shows_personal(self, area: Mapping[str, object]) -> bool:
        """Whether residents' data of an area (a store.area() dict) is shown unmasked."""
        return self.personal.covers(area)

    def key(self) -> list[object]:
        """A cache-key part for what this principal may see."""
        return [self.sees.key(), self.personal.key(), sorted(self.street_codes or ["*"])]


def cell_area(code: str) -> dict[str, str]:
    """A grid cell as Reach.covers reads it, from its code alone (the store keeps every
    area's parents as its code names them: geodata.codes)."""
    return {
        "code": code,
        "level": "grid",
        "community_code": community_of(code),
        "street_code": street_of(code),
    }


def code_area(code: str) -> dict[str, str | None] | None:
    """Any area as Reach.covers reads it, from its code alone; None for a code of no area."""
    try:
        level = level_of(code)
    except CodeError:
        return None
    return {
        "code": code,
        "level": level.value,
        "street_code": street_of(code),
        "community_code": None if level is Level.STREET else community_of(code),
    }
