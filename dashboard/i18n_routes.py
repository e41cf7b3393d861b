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
    # Why no route could be planned: said plainly on the page, in the CLI and in the sheet.
    "route.problem.unknown_worker": (
        "没有编号为 {worker} 的网格员",
        "No grid worker has the ID {worker}",
    ),
    "route.problem.no_cells": (
        "{name} 没有负责的网格，无法规划路线",
        "{name} is responsible for no grid cells, so there is no route to plan",
    ),
    "route.problem.no_stops": (
        "{date} {name} 的网格里没有需要走访的楼栋或需要回访的诉求",
        "On {date} no building in {name}'s grid cells is due a visit and no case needs a follow-up",
    ),
    "route.problem.budget_too_small": (
        "{minutes} 分钟内一个点位也去不了：最近的点位往返需 {needed} 分钟",
        "No stop fits in {minutes} minutes: the nearest one takes {needed} minutes there and back",
    ),
}
