"""Checks of areas before they are written and of a whole store: geometry, tiling, codes, names."""

from __future__ import annotations

from dataclasses import dataclass

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from .atomic import write_atomically
from .codes import is_valid
from .model import Level
from .store import Store

TOLERANCE_M2 = 1.0  # overlaps, gaps and parts outside a parent smaller than this are fine
SLIVER_WIDTH_M = 0.5  # a polygon part thinner than this on average (2·area/perimeter) is a sliver
REPAIR_AREA_RATIO = 1e-3  # make_valid may change a repaired area by this share at most

PARENT: dict[Level, Level | None] = {
    Level.STREET: None,
    Level.COMMUNITY: Level.STREET,
    Level.COMPOUND: Level.COMMUNITY,
    Level.GRID: Level.COMMUNITY,
}
KINDS = (
    "invalid_geometry",
    "overlap",
    "gap",
    "sliver",
    "outside_parent",
    "no_parent",
    "duplicate_code",
    "malformed_code",
    "missing_name",
)
COLUMNS = ("level", "code", "name", "problem", "size_m2", "lon", "lat", "repaired", "detail")


@dataclass(frozen=True)
class Problems:
    """Problems found: a GeoDataFrame with COLUMNS and the problem spot (EPSG:4326)."""

    frame: gpd.GeoDataFrame

    @property
    def unrepaired(self) -> gpd.GeoDataFrame:
        return self.frame[~self.frame["repaired"].astype(bool)]

    def __len__(self) -> int:
        return len(self.frame)


def empty_problems() -> gpd.GeoDataFrame:
    data = {c: pd.Series(dtype=object) for c in COLUMNS}
    return gpd.GeoDataFrame(data, geometry=gpd.GeoSeries([], crs=4326), crs=4326)


def _problems(
    level: Level,
    kind: str,
    codes: np.ndarray,
    names: np.ndarray,
    spots: np.ndarray,
    sizes: np.ndarray,
    details: np.ndarray | str = "",
    repaired: np.ndarray | bool = False,
) -> pd.DataFrame:
    """Rows of problems; `spots` in the metric CRS, turned to lon/lat later."""
    n = len(codes)
    return pd.DataFrame(
        {
            "level": np.full(n, Level(level).value, dtype=object),
            "code": np.asarray(codes, dtype=object),
            "name": np.asarray(names, dtype=object),
            "problem": np.full(n, kind, dtype=object),
            "size_m2": np.asarray(sizes, dtype=float),
            "repaired": np.broadcast_to(np.asarray(repaired, dtype=bool), n).copy(),
            "detail": np.broadcast_to(np.asarray(details, dtype=object), n).copy(),
            "spot": np.asarray(spots, dtype=object),
        }
    )


# --- single areas -----------------------------------------------------------------------------
def repair_geometries(
    areas: gpd.GeoDataFrame, level: Level
) -> tuple[gpd.GeoDataFrame, pd.DataFrame]:
    """Areas with invalid polygons made valid where the repair is unambiguous (one polygonal
    result with as many parts and near-equal area), and a row for every invalid polygon."""
    geoms = np.asarray(areas.geometry.values, dtype=object)
    invalid = np.flatnonzero(~shapely.is_valid(geoms))
    if not len(invalid):
        return areas, _no_rows()
    reasons = shapely.is_valid_reason(geoms[invalid])
    fixed = np.asarray([_polygonal(g) for g in shapely.make_valid(geoms[invalid])], dtype=object)
    ok = _unambiguous(geoms[invalid], fixed)
    out = areas.copy()
    repaired = geoms.copy()
    repaired[invalid[ok]] = fixed[ok]
    out = out.set_geometry(list(repaired), crs=areas.crs)
    metric = _metric(gpd.GeoSeries(geoms[invalid], crs=areas.crs))
    spots = shapely.point_on_surface(shapely.make_valid(metric))
    rows = _problems(
        level,
        "invalid_geometry",
        areas["code"].to_numpy(dtype=object)[invalid],
        areas["name"].to_numpy(dtype=object)[invalid],
        spots,
        shapely.area(shapely.make_valid(metric)),
        reasons.astype(object),
        ok,
    )
    return out, rows


def _polygonal(geom: shapely.Geometry) -> shapely.Geometry | None:
    """The polygons of a make_valid result (lines and points of collapsed parts dropped)."""
    if geom is None:
        return None
    parts = [p for p in shapely.get_parts(geom) if p.geom_type in ("Polygon", "MultiPolygon")]
    if not parts:
        return None
    union = shapely.union_all(parts)
    return union if union.geom_type in ("Polygon", "MultiPolygon") else None


def _unambiguous(before: np.ndarray, after: np.ndarray) -> np.ndarray:
    ok = np.zeros(len(before), dtype=bool)
    for i, (old, new) in enumerate(zip(before, after, strict=True)):
        if new is None or old is None:
            continue
        same_parts = shapely.get_num_geometries(new) == shapely.get_num_geometries(old)
        area = abs(shapely.area(old))
        close = area > 0 and abs(shapely.area(new) - area) <= REPAIR_AREA_RATIO * area
        ok[i] = bool(same_parts and close)
    return ok


def check_codes(areas: gpd.GeoDataFrame, level: Level, metric: np.ndarray) -> pd.DataFrame:
    """Codes that are repeated, missing, not of the level's form or not under their parent."""
    level = Level(level)
    codes = areas["code"].to_numpy(dtype=object)
    names = areas["name"].to_numpy(dtype=object)
    spots = shapely.point_on_surface(metric)
    sizes = shapely.area(metric)
    text = pd.Series(codes, dtype=object)
    dup = text.notna() & text.duplicated(keep=False)
    malformed = ~text.map(lambda c: is_valid(level, c)).to_numpy(dtype=bool)
    parents = areas["parent_code"] if "parent_code" in areas else pd.Series(None, index=areas.index)
    parents = parents.to_numpy(dtype=object)
    wrong_parent = np.array(
        [
            bool(ok and isinstance(p, str) and not _under(level, c, p))
            for c, p, ok in zip(codes, parents, ~malformed, strict=True)
        ],
        dtype=bool,
    )
    rows = [
        _problems(level, "duplicate_code", codes[dup], names[dup], spots[dup], sizes[dup],
                  "the code is used by several areas"),
        _problems(level, "malformed_code", codes[malformed], names[malformed], spots[malformed],
                  sizes[malformed], f"not a {level.value} code"),
        _problems(level, "malformed_code", codes[wrong_parent], names[wrong_parent],
                  spots[wrong_parent], sizes[wrong_parent],
                  "the code does not start with its parent's code"),
    ]  # fmt: skip
    return pd.concat(rows, ignore_index=True)


def _under(level: Level, code: str, parent: str) -> bool:
    return code[:9] == parent if level is Level.COMMUNITY else code[:12] == parent


def check_names(areas: gpd.GeoDataFrame, level: Level, metric: np.ndarray) -> pd.DataFrame:
    names = areas["name"]
    blank = (names.isna() | (names.astype(str).str.strip() == "")).to_numpy()
    return _problems(
        level,
        "missing_name",
        areas["code"].to_numpy(dtype=object)[blank],
        np.full(int(blank.sum()), None, dtype=object),
        shapely.point_on_surface(metric[blank]),
        shapely.area(metric[blank]),
        "no name",
    )


def check_slivers(areas: gpd.GeoDataFrame, level: Level, metric: np.ndarray) -> pd.DataFrame:
    """Polygon parts thinner than SLIVER_WIDTH_M on average, or (of a multi-part area) smaller
    than the tolerance."""
    parts, owner = shapely.get_parts(metric, return_index=True)
    area, length = shapely.area(parts), shapely.length(parts)
    width = np.divide(2 * area, length, out=np.zeros_like(area), where=length > 0)
    several = np.bincount(owner, minlength=len(metric))[owner] > 1
    thin = (width < SLIVER_WIDTH_M) | (several & (area < TOLERANCE_M2))
    return _problems(
        level,
        "sliver",
        areas["code"].to_numpy(dtype=object)[owner[thin]],
        areas["name"].to_numpy(dtype=object)[owner[thin]],
        shapely.point_on_surface(parts[thin]),
        area[thin],
        [f"{w:.2f} m wide on average" for w in width[thin]],
    )


# --- areas against their parents and each other ------------------------------------------------
def check_parents(
    areas: gpd.GeoDataFrame,
    level: Level,
    metric: np.ndarray,
    parents: gpd.GeoDataFrame,
    parent_metric: np.ndarray,
) -> pd.DataFrame:
    """Areas without a parent, and parts of areas outside their parent beyond the tolerance."""
    codes = areas["code"].to_numpy(dtype=object)
    names = areas["name"].to_numpy(dtype=object)
    index = pd.Series(np.arange(len(parents)), index=parents["code"].to_numpy(dtype=object))
    index = index[~index.index.duplicated()]
    given = areas["parent_code"].to_numpy(dtype=object)
    pos = pd.Series(given, dtype=object).map(index).to_numpy(dtype=float)
    orphan = np.isnan(pos)
    rows = [
        _problems(level, "no_parent", codes[orphan], names[orphan],
                  shapely.point_on_surface(metric[orphan]), shapely.area(metric[orphan]),
                  "inside no area of the level above"),
    ]  # fmt: skip
    have = np.flatnonzero(~orphan)
    if len(have):
        outside = shapely.difference(metric[have], parent_metric[pos[have].astype(int)])
        parts, owner = shapely.get_parts(outside, return_index=True)
        area = shapely.area(parts)
        big = area > TOLERANCE_M2
        who = have[owner[big]]
        rows.append(
            _problems(level, "outside_parent", codes[who], names[who],
                      shapely.point_on_surface(parts[big]), area[big],
                      [f"outside {p}" for p in given[who]])
        )  # fmt: skip
    return pd.concat(rows, ignore_index=True)


def check_tiling(
    cells: gpd.GeoDataFrame,
    metric: np.ndarray,
    communities: gpd.GeoDataFrame,
    community_metric: np.ndarray,
) -> pd.DataFrame:
    """Grid cells overlapping each other, and gaps between the cells inside their community."""
    return pd.concat(
        [
            _overlaps(cells, metric),
            _gaps(cells, metric, communities, community_metric),
        ],
        ignore_index=True,
    )


def _overlaps(cells: gpd.GeoDataFrame, metric: np.ndarray) -> pd.DataFrame:
    left, right = shapely.STRtree(metric).query(metric, predicate="intersects")
    keep = left < right
    left, right = left[keep], right[keep]
    shared = shapely.intersection(metric[left], metric[right])
    parts, owner = shapely.get_parts(shared, return_index=True)
    area = shapely.area(parts)
    big = area > TOLERANCE_M2
    codes = cells["code"].to_numpy(dtype=object)
    names = cells["name"].to_numpy(dtype=object)
    a, b = left[owner[big]], right[owner[big]]
    return _problems(
        Level.GRID,
        "overlap",
        codes[a],
        names[a],
        shapely.point_on_surface(parts[big]),
        area[big],
        [f"overlaps {c}" for c in codes[b]],
    )


def _gaps(
    cells: gpd.GeoDataFrame,
    metric: np.ndarray,
    communities: gpd.GeoDataFrame,
    community_metric: np.ndarray,
) -> pd.DataFrame:
    parent = cells["parent_code"].to_numpy(dtype=object)
    comm_codes = communities["code"].to_numpy(dtype=object)
    comm_names = communities["name"].to_numpy(dtype=object)
    has_cells = pd.Series(comm_codes).isin(set(parent)).to_numpy()
    covered = []
    for code in comm_codes[has_cells]:
        covered.append(shapely.union_all(metric[parent == code]))
    holes = shapely.difference(community_metric[has_cells], np.asarray(covered, dtype=object))
    parts, owner = shapely.get_parts(holes, return_index=True)
    area = shapely.area(parts)
    big = area > TOLERANCE_M2
    which = np.flatnonzero(has_cells)[owner[big]]
    return _problems(
        Level.COMMUNITY,
        "gap",
        comm_codes[which],
        comm_names[which],
        shapely.point_on_surface(parts[big]),
        area[big],
        "covered by no grid cell",
    )


# --- running the checks -----------------------------------------------------------------------
def metric_crs(*frames: gpd.GeoDataFrame):
    """The local UTM zone of the first non-empty frame (EPSG:32650 when all are empty)."""
    for frame in frames:
        if len(frame):
            return frame.to_crs(4326).estimate_utm_crs()
    return "EPSG:32650"


def _metric(frame: gpd.GeoSeries | gpd.GeoDataFrame, crs=None) -> np.ndarray:
    series = frame.geometry if isinstance(frame, gpd.GeoDataFrame) else frame
    crs = crs or metric_crs(gpd.GeoDataFrame(geometry=series))
    return np.asarray(series.to_crs(crs).values, dtype=object)


def _no_rows() -> pd.DataFrame:
    return _problems(Level.STREET, "", *(np.array([], dtype=object),) * 3, np.array([]))


def validate_areas(
    areas: gpd.GeoDataFrame,
    level: Level,
    parents: gpd.GeoDataFrame | None = None,
    siblings: gpd.GeoDataFrame | None = None,
) -> tuple[gpd.GeoDataFrame, Problems]:
    """Check areas of one level (columns code, name, parent_code, geometry in EPSG:4326)
    before they are written. Invalid geometries are repaired where unambiguous; grid cells
    are checked for overlaps and gaps together with `siblings` (cells already stored that
    stay). Returns the repaired areas and every problem."""
    level = Level(level)
    areas, invalid = repair_geometries(areas.reset_index(drop=True), level)
    parents = parents if parents is not None else _empty_areas()
    crs = metric_crs(areas, parents)
    valid = shapely.is_valid(areas.geometry.values)
    metric = _metric(areas, crs)
    rows = [
        invalid,
        check_codes(areas, level, metric),
        check_names(areas, level, metric),
        check_slivers(areas[valid], level, metric[valid]),
    ]
    if PARENT[level] is not None:
        parent_metric = _metric(parents, crs) if len(parents) else np.array([], dtype=object)
        rows.append(check_parents(areas[valid], level, metric[valid], parents, parent_metric))
        if level is Level.GRID:
            cells = areas[valid]
            cell_metric = metric[valid]
            if siblings is not None and len(siblings):
                cells = pd.concat([cells, siblings], ignore_index=True)
                cell_metric = np.concatenate([cell_metric, _metric(siblings, crs)])
            rows.append(check_tiling(cells, cell_metric, parents, parent_metric))
    return areas, Problems(_finish(rows, crs))


def _empty_areas() -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame(
        {"code": [], "name": [], "parent_code": []}, geometry=gpd.GeoSeries([], crs=4326)
    )


def _finish(rows: list[pd.DataFrame], crs) -> gpd.GeoDataFrame:
    frame = (
        pd.concat([r for r in rows if len(r)], ignore_index=True)
        if any(len(r) for r in rows)
        else None
    )
    if frame is None:
        return empty_problems()
    spots = gpd.GeoSeries(frame.pop("spot").to_numpy(), crs=crs).to_crs(4326)
    frame["lon"], frame["lat"] = spots.x.to_numpy(), spots.y.to_numpy()
    frame["size_m2"] = frame["size_m2"].round(2)
    out = gpd.GeoDataFrame(frame[list(COLUMNS)], geometry=spots.values, crs=4326)
    return out.sort_values(["level", "code", "problem"], kind="stable", ignore_index=True)


def validate_store(store: Store) -> Problems:
    """Every check over every level of the areas in `store` (nothing is repaired)."""
    levels = {level: _with_parent(store.areas(level)) for level in Level}
    crs = metric_crs(*levels.values())
    metric = {level: _metric(frame, crs) for level, frame in levels.items()}
    rows = []
    for level, frame in levels.items():
        valid = shapely.is_valid(frame.geometry.values)
        _, invalid = repair_geometries(frame, level)
        rows += [
            invalid.assign(repaired=False),
            check_codes(frame, level, metric[level]),
            check_names(frame, level, metric[level]),
            check_slivers(frame[valid], level, metric[level][valid]),
        ]
        parent = PARENT[level]
        if parent is not None:
            rows.append(
                check_parents(
                    frame[valid], level, metric[level][valid], levels[parent], metric[parent]
                )
            )
    cells_ok = shapely.is_valid(levels[Level.GRID].geometry.values)
    rows.append(
        check_tiling(
            levels[Level.GRID][cells_ok],
            metric[Level.GRID][cells_ok],
            levels[Level.COMMUNITY],
            metric[Level.COMMUNITY],
        )
    )
    return Problems(_finish(rows, crs))


def _with_parent(frame: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    if "parent_code" not in frame:
        frame = frame.assign(parent_code=None)
    return frame


# --- output -----------------------------------------------------------------------------------
def report_lines(problems: Problems, limit: int | None = None) -> list[str]:
    """The problems as a text table: area, problem, size in m², where (lon, lat), detail."""
    frame = problems.frame
    if frame.empty:
        return ["no problems found"]
    lines = [f"{'area':<20} {'name':<12} {'problem':<17} {'size m²':>12}  where (lon, lat)"]
    shown = frame if limit is None else frame.iloc[:limit]
    for row in shown.itertuples():
        name = row.name if isinstance(row.name, str) else "-"
        flag = " (repaired)" if row.repaired else ""
        lines.append(
            f"{row.code or '-':<20} {name:<12} {row.problem:<17} {row.size_m2:>12,.1f}"
            f"  {row.lon:.6f}, {row.lat:.6f}  {row.detail}{flag}"
        )
    if limit is not None and len(frame) > limit:
        lines.append(f"… and {len(frame) - limit} more problems")
    return lines


def write_geojson(problems: Problems, path) -> None:
    """The problem spots as a GeoJSON FeatureCollection (kind, area, size as properties)."""
    frame = problems.frame.copy()
    frame["repaired"] = frame["repaired"].astype(bool)
    # The dashboard may be reading this file (GRIDBOARD_PROBLEMS): replace it whole.
    write_atomically(path, frame.to_json(drop_id=True, ensure_ascii=False))
