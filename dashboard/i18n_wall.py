"""Texts of the command-centre wall (/wall), merged into dashboard/i18n.py's catalogues."""

from __future__ import annotations

WALL_UI: dict[str, tuple[str, str]] = {
    "wall.title": ("网格治理指挥中心", "Grid governance command centre"),
    "wall.stale": ("数据已过期：刷新失败，正在重试", "Data stale: refresh failed, retrying"),
    "wall.bad_params": (
        "以下参数无效，已用默认值：{params}",
        "Not usable, defaults used: {params}",
    ),
    "wall.hours": (" 小时", " h"),
    "wall.no_change": ("上周同期无数据", "no figure a week ago"),
    "wall.change": ("较上周同期 {arrow} {change}", "vs a week ago {arrow} {change}"),
    "wall.target": ("目标 {target} · 完成 {share}%", "target {target} · {share}% done"),
    "wall.kpi.open_cases": ("在办诉求", "Open cases"),
    "wall.kpi.overdue_cases": ("超期诉求", "Overdue cases"),
    "wall.kpi.new_today": ("今日新增", "New today"),
    "wall.kpi.closed_today": ("今日结案", "Closed today"),
    "wall.kpi.closure_rate_7d": ("近7天结案率", "Closure rate, 7 days"),
    "wall.kpi.median_close_hours": ("办结时长中位数", "Median time to close"),
    "wall.kpi.visits_week": ("本周走访", "Visits this week"),
    "wall.kpi.households_week": ("本周入户", "Households reached this week"),
    "wall.kpi.on_time_rate_week": ("本周按期结案率", "On-time closure rate, this week"),
    "wall.on_time.last_week": ("上周 {value}", "last week {value}"),
    "wall.on_time.change": ("{arrow} {change} 个百分点", "{arrow} {change} pts"),
    "wall.on_time.no_change": ("无可比数据", "nothing to compare"),
    "wall.ranking.city": ("超期诉求 · 街道排名", "Overdue cases by street"),
    "wall.ranking.street": ("超期诉求 · 社区排名", "Overdue cases by community"),
    "wall.feed": ("最新诉求", "Newest cases"),
    "wall.js.open": ("在办", "Open"),
    "wall.js.overdue": ("超期", "Overdue"),
    "wall.js.rank": ("超期排名第 {rank}", "Overdue rank {rank}"),
    "wall.js.updated": ("更新于 {time}", "Updated {time}"),
    "wall.js.whole": ("全域", "Whole area"),
}
