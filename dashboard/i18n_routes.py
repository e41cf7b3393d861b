"""The (zh, en) texts of visit routes: the /routes page, the route sheet and the CLI's words."""

from __future__ import annotations

ROUTE_UI: dict[str, tuple[str, str]] = {
    "route.title": ("巡访路线", "Visit routes"),
    "route.reason.due_visit": (
        "{days} 天未走访，{households} 户，其中 {due} 户到期",
        "Not visited for {days} days, {households} households, {due} of them due",
    ),
    "route.reason.never_visited": (
        "从未走访，{households} 户",
        "Never visited, {households} households",
    ),
    "route.reason.not_due": (
        "{days} 天前走访过，{households} 户（未到期，补满时间）",
        "Last visited {days} d ago, {households} households (not due yet; fills the day)",
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
        "{name} 的网格里没有楼栋，{date} 也没有需要回访的诉求",
        "{name}'s grid cells have no buildings and on {date} no case needs a follow-up",
    ),
    "route.problem.budget_too_small": (
        "{minutes} 分钟内一个点位也去不了：最近的点位往返需 {needed} 分钟",
        "No stop fits in {minutes} minutes: the nearest one takes {needed} minutes there and back",
    ),
    # The /routes page (dashboard/pages/routes.py).
    "nav.routes": ("巡访路线", "Visit routes"),
    "route.page.worker": ("网格员", "Grid worker"),
    "route.page.worker_placeholder": ("输入姓名或社区查找", "Type a name or a community"),
    "route.page.date": ("日期", "Date"),
    "route.page.budget": ("时间预算（分钟）", "Time budget (minutes)"),
    "route.page.depart": ("出发时间", "Leaving at"),
    "route.page.pick_worker": (
        "请选择一位网格员，查看他（她）的巡访路线。",
        "Pick a grid worker to see their visit route.",
    ),
    "route.page.heading": (
        "{name} 的巡访路线 · {date} {weekday}",
        "{name}'s visit route · {weekday} {date}",
    ),
    "route.page.map_label": ("巡访路线图", "Map of the visit route"),
    "route.page.hall": ("服务大厅", "Service hall"),
    "route.page.arrival_at": ("预计 {time} 到达", "Arrival about {time}"),
    "route.page.col.number": ("序号", "No."),
    "route.page.col.arrival": ("预计到达", "Arrival"),
    "route.page.col.place": ("地点", "Place"),
    "route.page.col.reason": ("事由", "Reason"),
    "route.page.col.walk": ("步行", "Walk"),
    "route.page.col.move": ("调整顺序", "Move"),
    "route.page.walk_min": ("{minutes} 分钟", "{minutes} min"),
    "route.page.move_up": ("上移：{name}", "Move up: {name}"),
    "route.page.move_down": ("下移：{name}", "Move down: {name}"),
    "route.page.leave_hall": ("从服务大厅出发", "Leave the service hall"),
    "route.page.back_hall": ("返回服务大厅", "Back at the service hall"),
    "route.page.summary.stops": ("{count} 个点位", "{count} stops"),
    "route.page.summary.walk": (
        "步行 {distance}，约 {minutes} 分钟",
        "Walking {distance}, about {minutes} min",
    ),
    "route.page.summary.total": (
        "预计用时 {total} 分钟（时间预算 {budget} 分钟）",
        "Planned {total} min (budget {budget} min)",
    ),
    "route.page.summary.back": ("预计 {time} 返回服务大厅", "Back at the hall about {time}"),
    "route.page.over_budget": (
        "按调整后的顺序需要 {total} 分钟，超出时间预算 {over} 分钟。",
        "In your order the route takes {total} min, {over} min over the budget.",
    ),
    "route.page.custom_order": (
        "当前为手动调整的顺序。",
        "This is your own order.",
    ),
    "route.page.reset": ("恢复建议顺序", "Back to the suggested order"),
    "route.page.straight_line": (
        "附近没有路网数据，步行距离按直线距离估算。",
        "No road network nearby: walking distances are estimated from straight lines.",
    ),
    "route.page.dropped.title": (
        "时间不够、未排入路线的点位（{count} 个）",
        "Stops left out for lack of time ({count})",
    ),
    "route.page.dropped.none": (
        "到期的楼栋和要回访的诉求都已排入路线。",
        "Every due building and case follow-up fits in the route.",
    ),
    "route.page.stale_order": (
        "链接中的顺序里有 {count} 个点位已不需要走访，已略去。",
        "{count} stops of the link's order are no longer due and were left out.",
    ),
    "route.page.download": ("下载", "Download"),
    "route.page.download.sheet": ("路线单（可离线打开）", "Route sheet (opens offline)"),
    "route.page.download.gpx": ("GPX 轨迹", "GPX track"),
    "route.page.download.csv": ("CSV 表格", "CSV table"),
    "route.page.download.failed": (
        "路线单生成失败：{error}",
        "The route sheet could not be made: {error}",
    ),
    "route.unit.m": ("{value} 米", "{value} m"),
    "route.unit.km": ("{value} 公里", "{value} km"),
    "route.url.bad_value": (
        "链接中的 {param}={value} 无法识别，已改用默认值。",
        "The link's {param}={value} is not understood; the default is used.",
    ),
    "route.url.bad_budget": (
        "链接中的时间预算 {value} 不可用：应为 {low} 至 {high} 分钟的整数，已改用 {default} 分钟。",
        "The link's time budget {value} cannot be used: it must be whole minutes from "
        "{low} to {high}; {default} min is used.",
    ),
    "route.url.bad_date": (
        "链接中的日期 {value} 无法识别（应为 YYYY-MM-DD），已改用 {default}。",
        "The link's date {value} is not a date (YYYY-MM-DD); {default} is used.",
    ),
    # Column headers of the route's CSV download.
    "route.col.order": ("序号", "No."),
    "route.col.arrival": ("预计到达", "Arrival"),
    "route.col.place": ("地点", "Place"),
    "route.col.address": ("地址", "Address"),
    "route.col.reason": ("原因", "Reason"),
    "route.col.lon": ("经度", "Longitude"),
    "route.col.lat": ("纬度", "Latitude"),
    "route.col.grid_code": ("网格编码", "Grid code"),
}
