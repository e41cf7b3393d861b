"""The tiny city with template and markup payloads brought in through every import path."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import geopandas as gpd

from dashboard.cli import main
from geodata.backends import open_store
from tests import tiny_city as tc

PAYLOADS: tuple[str, ...] = tuple(
    line
    for line in (Path(__file__).parent / "data" / "payloads" / "payloads.txt")
    .read_text(encoding="utf-8")
    .splitlines()
    if line
)
WORKER = "PW1"
LEVELS = ("street", "community", "compound", "grid")
ROUTE_DATE = "2026-12-02"  # a Wednesday after tc.AS_OF


def payload(index: int) -> str:
    """The payload at `index`, cycling through the corpus."""
    return PAYLOADS[index % len(PAYLOADS)]


def run(*argv: object) -> None:
    """One gridboard command that must succeed."""
    try:
        main([str(a) for a in argv])
    except SystemExit as exit_:
        assert exit_.code in (0, None), f"gridboard {argv} exited {exit_.code}"


def build(folder: Path) -> tuple[Path, dict[str, str]]:
    """A store of the tiny city whose names and texts are payloads; and where each went.

    Areas are renamed through `import boundaries`, staff, cases, visits and Open311 requests
    come through their importers. Payloads go where text is allowed (names, descriptions,
    reporters, agencies); ids and phones follow geodata.rules (so ids are plain). The map
    names each field ("worker", "case_text:3", …) after the value it holds.
    """
    store = folder / "payloads.gpkg"
    with open_store(store, create=True) as opened:
        opened.write_city(tc.build())
    placed: dict[str, str] = {}
    _rename_areas(store, folder, placed)
    _import_staff(store, folder, placed)
    _import_cases(store, folder, placed)
    _import_visits(store, folder, placed)
    _import_open311(store, folder, placed)
    return store, placed


def _rename_areas(store: Path, folder: Path, placed: dict[str, str]) -> None:
    index = 0
    for level in LEVELS:
        exported = folder / f"{level}.geojson"
        run("export", "--data", store, "--level", level, "--out", exported)
        frame = gpd.read_file(exported)
        names = [payload(index + i) for i in range(len(frame))]
        frame["name"] = names
        for code, name in zip(frame["code"], names, strict=True):
            placed[f"{level}:{code}"] = name
        index += len(frame)
        renamed = folder / f"{level}-payloads.geojson"
        frame.to_file(renamed, driver="GeoJSON")
        run("import", "boundaries", renamed, "--data", store, "--level", level)


def _write_csv(path: Path, header: list[str], rows: list[list[object]]) -> Path:
    with path.open("w", encoding="utf-8", newline="") as out:
        writer = csv.writer(out)
        writer.writerow(header)
        writer.writerows(rows)
    return path


def _import_staff(store: Path, folder: Path, placed: dict[str, str]) -> None:
    name, phone, org = payload(8), "0537-7321001 转8", payload(9)
    placed.update(worker=name, worker_phone=phone, worker_org=org)
    rows = [[WORKER, name, phone, org, "网格员", tc.YUNHE + cell] for cell in ("001", "002")]
    header = ["人员编号", "姓名", "电话", "单位", "职务", "区域编码"]
    run("import", "staff", _write_csv(folder / "staff.csv", header, rows), "--data", store)


def _import_cases(store: Path, folder: Path, placed: dict[str, str]) -> None:
    lon, lat = tc.lonlat(100, 300)  # in the north cell of 运河社区, inside 运河花园
    header = [
        "工单号",
        "诉求类型",
        "诉求内容",
        "状态",
        "经度",
        "纬度",
        "受理时间",
        "联系人",
        "联系电话",
    ]
    rows = []
    for i, _ in enumerate(PAYLOADS):
        text = placed[f"case_id:{i}"] = f"PC-{i:03d}"
        placed[f"case_text:{i}"] = payload(i + 1)
        placed[f"case_reporter:{i}"] = payload(i + 2)
        reported = f"2026-11-2{i % 7} 10:{i:02d}"
        rows.append(
            [text, "noise", payload(i + 1), "处理中", lon, lat, reported, payload(i + 2), ""]
        )
    run("import", "cases", _write_csv(folder / "cases.csv", header, rows), "--data", store)


def _import_visits(store: Path, folder: Path, placed: dict[str, str]) -> None:
    header = [
        "走访编号",
        "网格员编号",
        "走访日期",
        "楼栋编号",
        "网格编码",
        "走访户数",
        "收集需求",
        "上报事件数",
    ]
    rows = [[f"PV-{i}", WORKER, "2026-11-01", f"{tc.GARDEN}-01", "", 3, 1, 0] for i in range(3)]
    for i in range(3):
        placed[f"visit_id:{i}"] = f"PV-{i}"
    run("import", "visits", _write_csv(folder / "visits.csv", header, rows), "--data", store)


def _import_open311(store: Path, folder: Path, placed: dict[str, str]) -> None:
    lon, lat = tc.lonlat(300, 300)
    requests = []
    for i in range(4):
        request_id, text = f"P311-{i}", payload(i + 5)
        placed[f"open311_id:{i}"], placed[f"open311_text:{i}"] = request_id, text
        requests.append(
            {
                "service_request_id": request_id,
                "status": "open",
                "service_code": "noise",
                "description": text,
                "lat": lat,
                "long": lon,
                "requested_datetime": "2026-11-25T21:10:00+08:00",
                "agency_responsible": payload(i + 6),
            }
        )
    path = folder / "open311.json"
    path.write_text(json.dumps({"service_requests": requests}, ensure_ascii=False), "utf-8")
    run("import", "open311", path, "--data", store)
