"""What record files call our columns, statuses, case sources, roles and organisation kinds:
the built-in names (a mapping file adds its own; see geodata.tabular)."""

from __future__ import annotations

# Our column → the headers it is recognised by (compared ignoring case, spaces, _ and -).
HEADERS: dict[str, dict[str, tuple[str, ...]]] = {
    "cases": {
        "id": ("编号", "工单号", "工单编号", "诉求编号", "案件编号", "事件编号", "id", "case_id"),
        "category": ("类别", "分类", "诉求类型", "诉求分类", "问题类型", "事件类型", "category"),
        "description": ("内容", "诉求内容", "描述", "问题描述", "事件描述", "description"),
        "status": ("状态", "办理状态", "处理状态", "案件状态", "status"),
        "lon": ("经度", "lon", "lng", "long", "longitude", "x"),
        "lat": ("纬度", "lat", "latitude", "y"),
        "reported_at": ("上报时间", "受理时间", "来电时间", "反映时间", "创建时间", "reported_at"),
        "registered_at": ("立案时间", "registered_at"),
        "dispatched_at": ("派遣时间", "派单时间", "dispatched_at"),
        "in_progress_at": ("处置时间", "开始处置时间", "in_progress_at"),
        "resolved_at": ("反馈时间", "处置完成时间", "resolved_at"),
        "verified_at": ("核查时间", "verified_at"),
        "closed_at": ("办结时间", "结案时间", "closed_at"),
        "rejected_at": ("不予立案时间", "退回时间", "rejected_at"),
        "due_at": ("截止时间", "办理时限", "due_at"),
        "source": ("来源", "诉求来源", "案件来源", "source"),
        "reporter_name": ("联系人", "反映人", "诉求人", "来电人", "reporter_name"),
        "reporter_phone": ("联系电话", "来电号码", "电话", "reporter_phone"),
        "assignee_id": ("承办人编号", "处置人编号", "assignee_id"),
    },
    "visits": {
        "id": ("编号", "走访编号", "记录编号", "id", "visit_id"),
        "worker_id": ("网格员编号", "走访人编号", "人员编号", "工号", "worker_id"),
        "date": ("走访日期", "日期", "走访时间", "date"),
        "building_id": ("楼栋编号", "楼栋", "building_id"),
        "grid_code": ("网格编码", "网格编号", "grid_code"),
        "households_reached": ("走访户数", "入户数", "户数", "households_reached", "households"),
        "needs_found": ("收集需求", "需求数", "发现需求", "needs_found"),
        "cases_raised": ("上报事件数", "转办事件数", "cases_raised"),
    },
    "staff": {
        "person_id": ("人员编号", "工号", "编号", "person_id", "id"),
        "name": ("姓名", "name"),
        "phone": ("电话", "联系电话", "手机", "手机号", "phone"),
        "org_id": ("单位编号", "组织编号", "org_id"),
        "org_name": ("单位", "单位名称", "组织", "组织名称", "所在单位", "org_name", "org"),
        "org_kind": ("单位类型", "组织类型", "org_kind"),
        "org_phone": ("单位电话", "org_phone"),
        "role": ("职务", "角色", "岗位", "role"),
        "area_code": ("区域编码", "负责区域编码", "网格编码", "area_code"),
    },
}

STATUS_NAMES: dict[str, str] = {
    "上报": "reported", "已上报": "reported", "待受理": "reported", "open": "reported",
    "立案": "registered", "已立案": "registered", "受理": "registered", "已受理": "registered",
    "派遣": "dispatched", "已派遣": "dispatched", "派单": "dispatched", "已派单": "dispatched",
    "处置": "in_progress", "处置中": "in_progress", "处理中": "in_progress",
    "办理中": "in_progress", "in progress": "in_progress",
    "反馈": "resolved", "已反馈": "resolved", "已处置": "resolved",
    "核查": "verified", "已核查": "verified",
    "结案": "closed", "已结案": "closed", "办结": "closed", "已办结": "closed",
    "已完成": "closed",
    "不予立案": "rejected", "不予受理": "rejected", "驳回": "rejected", "已驳回": "rejected",
}  # fmt: skip
SOURCE_NAMES: dict[str, str] = {
    "12345": "hotline_12345", "12345热线": "hotline_12345", "热线": "hotline_12345",
    "市民热线": "hotline_12345", "网格员": "grid_worker", "网格员上报": "grid_worker",
    "走访": "door_visit", "入户走访": "door_visit", "幸福来敲门": "door_visit",
    "幸福来敲门走访": "door_visit", "物业": "property", "物业上报": "property",
    "小程序": "mini_program", "随手拍": "mini_program", "小程序随手拍": "mini_program",
    "巡查": "patrol", "城管巡查": "patrol", "open311": "open311", "Open311接口": "open311",
}  # fmt: skip
ROLE_NAMES: dict[str, str] = {
    "社区党委书记": "secretary", "书记": "secretary", "党委书记": "secretary",
    "居委会主任": "director", "主任": "director", "两委委员": "committee_member",
    "委员": "committee_member", "兼职委员": "part_time_member", "网格员": "grid_worker",
    "专职网格员": "grid_worker", "物业管理员": "property_administrator",
    "服务品质总监": "service_quality_director", "物业项目经理": "project_manager",
    "项目经理": "project_manager", "楼管": "building_manager", "楼栋长": "building_manager",
    "业委会主任": "owners_chair",
}  # fmt: skip
ORG_KIND_NAMES: dict[str, str] = {
    "社区": "committee", "两委": "committee", "社区两委": "committee", "居委会": "committee",
    "社区居委会": "committee", "物业": "property_company", "物业公司": "property_company",
    "物业服务企业": "property_company", "业委会": "owners_committee",
    "业主委员会": "owners_committee",
}  # fmt: skip
