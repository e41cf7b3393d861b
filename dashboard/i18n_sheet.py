"""The (zh, en) texts of the printable route sheet (the offline HTML export)."""

from __future__ import annotations

SHEET_UI: dict[str, tuple[str, str]] = {
    "sheet.title": ("巡访路线单", "Visit route sheet"),
    "sheet.document_title": (
        "巡访路线单 · {worker} · {date}",
        "Visit route sheet · {worker} · {date}",
    ),
    "sheet.worker": ("网格员：{name}（{id}）", "Grid worker: {name} ({id})"),
    "sheet.community": ("社区：{name}", "Community: {name}"),
    "sheet.date": ("日期：{date} {weekday}", "Date: {weekday} {date}"),
    "sheet.times": ("出发 {departure}，预计返回 {back}", "Leave {departure}, back about {back}"),
    "sheet.walk": (
        "步行 {distance}，约 {minutes} 分钟",
        "Walking {distance}, about {minutes} min",
    ),
    "sheet.budget": (
        "时间预算 {budget} 分钟，预计用时 {total} 分钟（含走访）",
        "Time budget {budget} min, planned {total} min (visits included)",
    ),
    "sheet.stops_count": ("共 {count} 个点位", "{count} stops"),
    "sheet.straight_line": (
        "附近没有路网数据，步行距离按直线距离估算。",
        "No road network nearby: walking distances are estimated from straight lines.",
    ),
    "sheet.map.label": ("巡访路线图", "Map of the visit route"),
    "sheet.map.hall": ("大厅", "Hall"),
    "sheet.col.number": ("序号", "No."),
    "sheet.col.arrival": ("预计到达", "Arrival"),
    "sheet.col.place": ("地点", "Place"),
    "sheet.col.address": ("地址", "Address"),
    "sheet.col.reason": ("事由", "Reason"),
    "sheet.col.notes": ("走访记录", "Notes"),
    "sheet.row.start": ("从服务大厅出发", "Leave the service hall"),
    "sheet.row.back": ("返回服务大厅", "Back at the service hall"),
    "sheet.stops.title": ("巡访顺序", "Visiting order"),
    "sheet.stops.none": ("今天没有安排点位。", "No stops are planned for the day."),
    "sheet.dropped.title": (
        "时间不够、未排入路线的点位（{count} 个）",
        "Stops left out for lack of time ({count})",
    ),
    "sheet.dropped.none": (
        "到期的楼栋和要回访的诉求都已排入路线。",
        "Every due building and case follow-up fits in the route.",
    ),
    "sheet.footer": (
        "本路线单可离线打开和打印；到达时间为预计时间。",
        "This sheet opens and prints without a network; arrival times are estimates.",
    ),
    "sheet.weekday.0": ("星期一", "Monday"),
    "sheet.weekday.1": ("星期二", "Tuesday"),
    "sheet.weekday.2": ("星期三", "Wednesday"),
    "sheet.weekday.3": ("星期四", "Thursday"),
    "sheet.weekday.4": ("星期五", "Friday"),
    "sheet.weekday.5": ("星期六", "Saturday"),
    "sheet.weekday.6": ("星期日", "Sunday"),
}
