"""The access reader: an account's or a wall display's grants, resolved against the store into
a layers.access.Principal (memoized per data revision)."""

from __future__ import annotations

from geodata.accounts import Display, Grant, User
from geodata.codes import street_of
from geodata.model import Level
from geodata.store import Store
from layers.access import PERSONAL_ROLES, Principal, Reach

from .source import Source

ROUTING_ROLES = frozenset({"city", "street", "community"})  # may open others' routes


def principal_of_user(src: Source, user: User) -> Principal:
    """The principal of a signed-in user: the union of what each of its grants reaches."""
    grants = [[g.role, g.scope] for g in user.grants]
    parts = [user.login, grants, user.person_id, src.revision()]
    return src.memo("principal", parts, lambda: _resolve_user(src.store, user))


def principal_of_display(src: Source, display: Display) -> Principal:
    """A wall display: the city, or one street; read-only, residents' data masked."""
    parts = [display.name, display.scope, src.revision()]
    return src.memo("display-principal", parts, lambda: _resolve_display(src.store, display))


def _resolve_display(store: Store, display: Display) -> Principal:
    if display.scope is None:
        return Principal(display.name, "display", ("display",), Reach(city=True), street_codes=None)
    area = store.area(display.scope)
    name = area["name"] if area else display.scope
    return Principal(
        display.name,
        "display",
        ("display",),
        Reach(streets=frozenset({display.scope})),
        street_codes=frozenset({display.scope}),
        labels=(("display", name),),
    )


def _resolve_user(store: Store, user: User) -> Principal:
    sees, personal, routes = Reach(), Reach(), Reach()
    streets: set[str] | None = set()
    labels: list[tuple[str, str]] = []
    own: set[str] = set()
    for grant in user.grants:
        reach, label = _reach(store, grant, user.person_id)
        labels.append((grant.role, label))
        sees |= reach
        if grant.role in PERSONAL_ROLES:
            personal |= reach
        if grant.role in ROUTING_ROLES:
            routes |= reach
        if grant.role == "grid_worker" and user.person_id:
            own.add(user.person_id)
        if grant.role == "city":
            streets = None
        elif streets is not None:
            streets |= _streets_of(reach)
    return Principal(
        login=user.login,
        kind="user",
        roles=user.roles,
        sees=sees,
        personal=personal,
        routes=routes,
        own_workers=frozenset(own),
        street_codes=None if streets is None else frozenset(streets),
        name=user.name,
        person_id=user.person_id,
        labels=tuple(labels),
    )


def _reach(store: Store, grant: Grant, person_id: str | None) -> tuple[Reach, str]:
    """What one grant reaches, and the name of its scope for the header."""
    role, scope = grant.role, grant.scope
    if role == "city":
        return Reach(city=True), ""
    if role == "admin":
        return Reach(), ""
    if role == "property":
        compounds = store.areas(Level.COMPOUND)
        mine = compounds.loc[compounds["property_company_id"] == scope, "code"]
        org = store.organisation(scope) if scope else None
        return Reach(compounds=frozenset(mine.astype(str))), org["name"] if org else str(scope)
    if role == "grid_worker":
        cells = {scope} if scope else set()
        if person_id:
            linked = store.grid_workers(person_id)["grid_code"].dropna()
            cells |= set(linked.astype(str))
        person = store.person(person_id) if person_id else None
        return Reach(grids=frozenset(cells)), person["name"] if person else ""
    area = store.area(scope) if scope else None
    if area is None:
        return Reach(), str(scope or "")
    if role == "street":
        return Reach(streets=frozenset({scope})), area["name"]
    return Reach(communities=frozenset({scope})), area["name"]


def _streets_of(reach: Reach) -> set[str]:
    """Streets in which `reach` holds any area (the store keeps parents as codes name them)."""
    codes = (*reach.streets, *reach.communities, *reach.compounds, *reach.grids)
    return {street_of(code) for code in codes}


def worker_cells(src: Source, worker: str) -> list[str] | None:
    """The grid cells of the grid worker `worker` (None: no such worker), per data revision."""

    def compute() -> list[str] | None:
        rows = src.store.grid_workers(worker)
        return None if rows.empty else [str(c) for c in rows["grid_code"].dropna()]

    return src.memo("worker-cells", [worker, src.revision()], compute)
