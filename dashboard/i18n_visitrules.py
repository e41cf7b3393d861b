"""The (zh, en) texts of the visit rules: the /admin/visitrules page and the household tags."""

from __future__ import annotations

VISITRULES_UI: dict[str, tuple[str, str]] = {
    "visitrules.title": ("走访周期", "Visit rules"),
    "visitrules.note": (
        "每类家庭两次走访之间最多相隔的天数。有多个标签的家庭按最严的标签；楼栋内任一家庭到期，"
        "该楼栋即列入巡访路线。",
        "The most days that may pass between two visits of each kind of household. A household"
        " with several tags follows its strictest; a building is due on a route when any of its"
        " households is.",
    ),
    "visitrules.col.tag": ("家庭类别", "Household"),
    "visitrules.col.days": ("走访周期（天）", "Days between visits"),
    "visitrules.col.default": ("默认", "Default"),
    "visitrules.save": ("保存", "Save"),
    "visitrules.saved": ("已保存：{tag}", "Saved: {tag}"),
    "visitrules.bad_days": (
        "{tag}：走访周期“{days}”须为 1 到 3650 的整数天",
        "{tag}: days between visits '{days}' must be a whole number from 1 to 3,650",
    ),
    "visitrules.unknown_tag": ("未知的家庭类别“{tag}”", "Unknown household kind '{tag}'"),
    "visitrules.tag.ordinary": ("普通家庭", "Ordinary households"),
    "visitrules.tag.hardship": ("困难家庭", "Hardship households"),
    "visitrules.tag.empty_nest": ("空巢老人", "Empty-nest elderly"),
    "visitrules.tag.living_alone": ("独居老人", "Elderly living alone"),
    "visitrules.tag.disability": ("残疾人", "People with disabilities"),
    "visitrules.tag.community_correction": (
        "社区矫正对象",
        "People under community correction",
    ),
}
