"""Texts of the grid worker's phone page (/m), merged into dashboard/i18n.py's catalogues."""

from __future__ import annotations

MOBILE_UI: dict[str, tuple[str, str]] = {
    "mobile.title": ("网格员走访", "Grid worker's round"),
    "mobile.hello": ("{name}，今天 {date}", "{name}, today {date}"),
    "mobile.round": ("今日路线", "Today's round"),
    "mobile.round.none": ("今日没有需要走访的地点", "No stops today"),
    "mobile.next": ("下一站", "Next"),
    "mobile.visited": ("已走访", "Visited"),
    "mobile.stop.households": ("{n} 户", "{n} households"),
    "mobile.stop.arrival": ("预计 {time}", "Planned {time}"),
    "mobile.stop.case": ("诉求回访", "Case follow-up"),
    "mobile.stop.open_case": ("查看诉求", "Open the case"),
    "mobile.checkin": ("到达", "Check in"),
    "mobile.locating": ("正在定位…", "Finding your location…"),
    "mobile.at": ("当前楼栋：{name}", "At: {name}"),
    "mobile.distance": ("距楼栋 {m} 米", "{m} m from the building"),
    "mobile.distance.far": (
        "距楼栋 {m} 米，超过 {near} 米，请确认是否在楼栋旁",
        "{m} m from the building, more than {near} m: are you at the building?",
    ),
    "mobile.distance.none": (
        "未取得位置，本次到达将标记为无定位",
        "No location: this check-in is marked as unlocated",
    ),
    "mobile.visit": ("走访记录", "Visit log"),
    "mobile.visit.households": ("入户数（本楼共 {n} 户）", "Households reached (of {n})"),
    "mobile.visit.residents": ("见到居民人数", "Residents met"),
    "mobile.visit.notes": ("备注", "Notes"),
    "mobile.visit.notes_hint": (
        "备注暂只在本机显示，不会保存",
        "Notes are not stored yet",
    ),
    "mobile.visit.follow_up": ("需要跟进", "Needs follow-up"),
    "mobile.visit.submit": ("保存走访", "Save the visit"),
    "mobile.visit.cancel": ("返回路线", "Back to the round"),
    "mobile.done.stored": ("走访已记录", "Visit recorded"),
    "mobile.done.stored_at": ("走访已记录（距楼栋 {m} 米）", "Visit recorded ({m} m away)"),
    "mobile.done.already": ("此走访已记录过，未重复保存", "Already recorded: not stored again"),
    "mobile.cases": ("我的诉求", "My cases"),
    "mobile.cases.none": ("暂无待处置的诉求", "No cases to handle"),
    "mobile.cases.due": ("时限 {due}", "Due {due}"),
    "mobile.logout": ("退出登录", "Sign out"),
    "mobile.problem.not_worker": (
        "此页面供网格员使用：您的账号未关联网格员",
        "This page is for grid workers: your account is not linked to one",
    ),
    "mobile.problem.no_stop": ("今日路线中没有这一站", "That stop is not on today's round"),
    "mobile.problem.bad_id": ("走访编号无效，请重新打开页面", "Bad visit id: open the page again"),
    "mobile.problem.not_yours": (
        "该楼栋不在您负责的网格内，未保存",
        "That building is not in your grid cells: nothing stored",
    ),
    "mobile.problem.bad_count": (
        "入户数和见到居民人数须为不小于 0 的整数，未保存",
        "Households and residents must be whole numbers of 0 or more: nothing stored",
    ),
    "mobile.problem.too_many_households": (
        "入户数超过本楼总户数 {households}，未保存",
        "More households than the building's {households}: nothing stored",
    ),
    "mobile.problem.too_many_residents": (
        "见到居民人数不合常理，未保存",
        "Implausibly many residents met: nothing stored",
    ),
    "mobile.problem.bad_location": ("位置数据无效，未保存", "Unusable location: nothing stored"),
    "mobile.problem.far_away": (
        "定位距楼栋约 {km} 公里，不在此地，未保存",
        "The location is about {km} km from the building: nothing stored",
    ),
    "mobile.problem.not_written": ("走访未能保存，请重试", "The visit was not stored: try again"),
}
