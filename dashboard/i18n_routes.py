"""The (zh, en) texts of visit routes: the /routes page, the route sheet and the CLI's words."""

from __future__ import annotations

ROUTE_UI: dict[str, tuple[str, str]] = {
    "route.title": ("巡访路线", "Visit routes"),
    "route.reason.due_visit": (
        "{days} 天未走访，{households} 户",
        "Not visited for {days} days, {households} households",
    ),
    "route.reason.never_visited": (
        "从未走访，{households} 户",
        "Never visited, {households} households",
    ),
    "route.reason.follow_up": ("诉求回访：{category}", "Case follow-up: {category}"),
    "route.reason.overdue_follow_up": (
        "超期 {days} 天的诉求回访：{category}",
        "Follow-up of a case {days} days overdue: {category}",
    ),
}
