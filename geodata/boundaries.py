"""Reading boundary files (GeoJSON, GeoPackage, Shapefile) into areas of one level, in WGS-84."""

from __future__ import annotations

import re
import zipfile
from collections.abc import Sequence
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pyogrio
import pyproj
import shapely

from .codes import compound_code, grid_sequence_order, is_valid
from .crs import GCJ02, CrsError, parse_crs
from .gcj02 import unshift_coords
from .model import Level


class BoundaryError(ValueError):
    """A boundary file or option that cannot be used; the message is one line."""


SUFFIXES = (".geojson", ".json", ".gpkg", ".shp", ".zip")
PARENT_LEVEL: dict[Level, Level | None] = {
    Level.STREET: None,
    Level.COMMUNITY: Level.STREET,
    Level.COMPOUND: Level.COMMUNITY,
    Level.GRID: Level.COMMUNITY,
}
# Field names recognised, in order of preference (compared without case and spaces).
NAME_FIELDS: dict[Level, tuple[str, ...]] = {
    Level.STREET: ("街道名称", "街道名"),
    Level.COMMUNITY: ("社区名称", "社区名"),
    Level.COMPOUND: ("小区名称", "小区名"),
    Level.GRID: ("网格名称", "网格名"),
}
COMMON_NAME_FIELDS = ("名称", "名字", "name", "mc", "fullname", "label", "title")
CODE_FIELDS: dict[Level, tuple[str, ...]] = {
    Level.STREET: ("街道编码", "街道代码", "street_code", "street_cod"),
    Level.COMMUNITY: ("社区编码", "社区代码", "community_code", "community_"),
    Level.COMPOUND: ("小区编码", "小区代码", "compound_code"),
    Level.GRID: ("网格编码", "网格代码", "网格号", "grid_code"),
}
COMMON_CODE_FIELDS = ("编码", "代码", "code", "bm", "dm", "id")
PARENT_FIELDS: dict[Level, tuple[str, ...]] = {
    Level.STREET: (),
    Level.COMMUNITY: ("所属街道", "街道编码", "街道代码", "street_code", "street_cod", "street"),
    Level.COMPOUND: ("所属社区", "社区编码", "社区代码", "community_code", "community_"),
    Level.GRID: ("所属社区", "社区编码", "社区代码", "community_code", "community_"),
}
COMMON_PARENT_FIELDS = ("上级编码", "上级代码", "上级", "parent_code", "parent_cod", "parent")
EXTRA_FIELDS: dict[Level, dict[str, tuple[str, ...]]] = {
    Level.COMPOUND: {
        "households": ("户数", "住户数", "households"),
        "address": ("地址", "address"),
    },
}


def _key(field: str) -> str:
    return re.sub(r"[\s_-]+", "", str(field)).lower()


# --- reading ----------------------------------------------------------------------------------
def read_boundaries(
    path: str | Path, *, layer: str | None = None, crs: str | None = None
) -> gpd.GeoDataFrame:
    """The features of a boundary file, reprojected to WGS-84 (EPSG:4326), Z dropped.

    `crs` ("EPSG:NNNN", anything pyproj reads, or "gcj02") overrides the file's CRS or fills
    it in; every geometry must be a Polygon or MultiPolygon."""
    path = Path(path)
    source = _source(path)
    target = _parse_crs(crs)
    chosen = _choose_layer(path, source, layer)
    try:
        frame = pyogrio.read_dataframe(source, layer=chosen)
    except Exception as exc:  # pyogrio raises several types; the message is what matters
        raise BoundaryError(f"{path}: cannot read ({_first_line(exc)})") from exc
    if len(frame) == 0:
        raise BoundaryError(f"{path}: no features")
    return _to_wgs84(path, _check_geometry(path, frame), target)


def _source(path: Path) -> str:
    """What pyogrio opens for `path`, after checking the files a format needs are there."""
    if not path.exists():
        raise BoundaryError(f"{path}: no such file")
    if path.is_dir():
        raise BoundaryError(f"{path} is a folder; give the .shp, .zip, .gpkg or .geojson file")
    suffix = path.suffix.lower()
    if suffix not in SUFFIXES:
        raise BoundaryError(f"{path}: unknown file type {path.suffix!r}; use {', '.join(SUFFIXES)}")
    if path.stat().st_size == 0:
        raise BoundaryError(f"{path}: the file is empty")
    if suffix == ".shp":
        _check_shapefile_parts(path, {p.name.lower() for p in path.parent.iterdir()})
    if suffix == ".zip":
        return _zip_source(path)
    return str(path)


def _check_shapefile_parts(path: Path, names: set[str], where: str = "") -> None:
    stem = path.name[: -len(path.suffix)].lower()
    for part, what in ((".dbf", "attribute table"), (".shx", "index")):
        if f"{stem}{part}" not in names:
            raise BoundaryError(f"{where or path}: the Shapefile has no {part} file ({what})")


def _zip_source(path: Path) -> str:
    try:
        with zipfile.ZipFile(path) as archive:
            members = [m for m in archive.namelist() if not m.endswith("/")]
    except zipfile.BadZipFile as exc:
        raise BoundaryError(f"{path}: not a zip file ({exc})") from exc
    shps = [m for m in members if m.lower().endswith(".shp")]
    if len(shps) != 1:
        found = "no" if not shps else f"{len(shps)}"
        raise BoundaryError(f"{path}: the zip file holds {found} .shp files; it needs exactly one")
    folder = str(Path(shps[0]).parent).lower()
    names = {Path(m).name.lower() for m in members if str(Path(m).parent).lower() == folder}
    _check_shapefile_parts(Path(shps[0]), names, where=f"{path}: {shps[0]}")
    return f"/vsizip/{path.resolve()}/{shps[0]}"


def _parse_crs(crs: str | None) -> pyproj.CRS | str | None:
    try:
        return None if crs is None else parse_crs(crs)
    except CrsError as exc:
        raise BoundaryError(str(exc)) from None


def _choose_layer(path: Path, source: str, layer: str | None) -> str | None:
    try:
        layers = [str(name) for name, _ in pyogrio.list_layers(source)]
    except Exception as exc:
        raise BoundaryError(f"{path}: cannot read ({_first_line(exc)})") from exc
    if layer is not None:
        if layer not in layers:
            raise BoundaryError(f"{path} has no layer {layer!r}; layers: {', '.join(layers)}")
        return layer
    if not layers:
        raise BoundaryError(f"{path}: no layers")
    if len(layers) > 1:
        raise BoundaryError(
            f"{path} has {len(layers)} layers; choose one with --layer: {', '.join(layers)}"
        )
    return layers[0]


def _first_line(exc: Exception) -> str:
    text = str(exc).strip().splitlines()
    return text[0] if text else type(exc).__name__


def feature_label(frame: pd.DataFrame, i: int) -> str:
    """'feature 3' plus its name or code when the file has one."""
    label = f"feature {i + 1}"
    for column in frame.columns:
        if column == getattr(frame, "_geometry_column_name", None):
            continue
        if _key(column) in {_key(f) for f in (*COMMON_NAME_FIELDS, *COMMON_CODE_FIELDS)}:
            value = frame[column].iloc[i]
            if pd.notna(value) and str(value).strip():
                return f"{label} ({value})"
    return label


def _check_geometry(path: Path, frame: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    geoms = frame.geometry.values
    missing = shapely.is_missing(geoms) | shapely.is_empty(geoms)
    if missing.any():
        first = int(np.flatnonzero(missing)[0])
        raise BoundaryError(
            f"{path}: {feature_label(frame, first)} has no geometry"
            f" ({int(missing.sum())} features without one)"
        )
    kind = shapely.get_type_id(geoms)
    wrong = ~np.isin(kind, (3, 6))
    if wrong.any():
        first = int(np.flatnonzero(wrong)[0])
        raise BoundaryError(
            f"{path}: {feature_label(frame, first)} is a {geoms[first].geom_type},"
            f" not a polygon ({int(wrong.sum())} such features)"
        )
    if shapely.has_z(geoms).any():
        frame = frame.set_geometry(shapely.force_2d(geoms), crs=frame.crs)
    return frame


def _to_wgs84(
    path: Path, frame: gpd.GeoDataFrame, crs: pyproj.CRS | str | None
) -> gpd.GeoDataFrame:
    if crs == GCJ02:
        geoms = shapely.transform(frame.geometry.values, unshift_coords)
        return frame.set_geometry(geoms, crs=4326).set_crs(4326, allow_override=True)
    if crs is not None:
        frame = frame.set_crs(crs, allow_override=True)
    if frame.crs is None:
        hint = " (no .prj file)" if path.suffix.lower() in (".shp", ".zip") else ""
        raise BoundaryError(
            f"{path}: no coordinate reference system{hint}; give one with --crs, e.g. EPSG:4549"
        )
    try:
        out = frame.to_crs(4326)
    except Exception as exc:
        raise BoundaryError(f"{path}: cannot reproject ({_first_line(exc)})") from exc
    _check_lonlat(path, out)
    return out


def _check_lonlat(path: Path, frame: gpd.GeoDataFrame) -> None:
    x0, y0, x1, y1 = frame.total_bounds
    if not (
        np.isfinite([x0, y0, x1, y1]).all() and -180 <= x0 <= x1 <= 180 and -90 <= y0 <= y1 <= 90
    ):
        raise BoundaryError(
            f"{path}: the coordinates do not fit the coordinate reference system"
            f" {frame.crs and frame.crs.name}; check --crs"
        )


# --- fields -----------------------------------------------------------------------------------
def find_field(
    columns: Sequence[str], candidates: Sequence[str], given: str | None, what: str, path: object
) -> str | None:
    """The column named by the option, else the first recognised candidate, else None."""
    attributes = [str(c) for c in columns]
    if given is not None:
        if given in attributes:
            return given
        matches = [c for c in attributes if _key(c) == _key(given)]
        if matches:
            return matches[0]
        raise BoundaryError(
            f"{path} has no field {given!r} for the {what};"
            f" fields: {', '.join(attributes) or 'none'}"
        )
    by_key = {_key(c): c for c in reversed(attributes)}
    for candidate in candidates:
        if _key(candidate) in by_key:
            return by_key[_key(candidate)]
    return None


def map_fields(
    frame: gpd.GeoDataFrame,
    level: Level,
    *,
    name_field: str | None = None,
    code_field: str | None = None,
    parent_field: str | None = None,
    source: object = "the file",
) -> gpd.GeoDataFrame:
    """Areas with columns code, name, parent_code (None where the file has none), the extra
    columns of the level found in the file, and geometry."""
    level = Level(level)
    columns = [c for c in frame.columns if c != frame.geometry.name]
    name = find_field(columns, _name_candidates(level), name_field, "name", source)
    if name is None:
        raise BoundaryError(
            f"{source}: no name field found (fields: {', '.join(map(str, columns)) or 'none'});"
            " name one with --name-field"
        )
    code = find_field(
        columns, (*CODE_FIELDS[level], *COMMON_CODE_FIELDS), code_field, "code", source
    )
    parent = None
    if level is not Level.STREET:
        candidates = (*COMMON_PARENT_FIELDS, *PARENT_FIELDS[level])
        parent = find_field(columns, candidates, parent_field, "parent", source)
        if parent == code:
            parent = None
    out = gpd.GeoDataFrame(
        {
            "code": _text(frame[code]) if code else None,
            "name": _text(frame[name]),
            "parent_code": _text(frame[parent]) if parent else None,
        },
        geometry=frame.geometry.values,
        crs=frame.crs,
    )
    for column, names in EXTRA_FIELDS.get(level, {}).items():
        found = find_field(columns, names, None, column, source)
        if found is not None:
            out[column] = frame[found].to_numpy()
    return out


def _name_candidates(level: Level) -> tuple[str, ...]:
    """The level's own name fields, the common ones, then other levels' (a 小区名称 field
    in a grid file is still the best guess at a name)."""
    others = [f for lv, names in NAME_FIELDS.items() if lv is not level for f in names]
    return (*NAME_FIELDS[level], *COMMON_NAME_FIELDS, *others)


def _text(values: pd.Series) -> pd.Series:
    """Codes and names as stripped text; whole numbers read as floats lose their '.0'."""

    def one(value: object) -> object:
        if value is None or (isinstance(value, float) and np.isnan(value)):
            return None
        if isinstance(value, float) and value.is_integer():
            value = int(value)
        text = str(value).strip()
        return text or None

    return pd.Series([one(v) for v in values], index=values.index, dtype=object)


# --- parents and codes ------------------------------------------------------------------------
def assign_parents(
    areas: gpd.GeoDataFrame, level: Level, parents: gpd.GeoDataFrame
) -> gpd.GeoDataFrame:
    """parent_code for every area: the code (or name) given when it names a parent, else the
    parent the code names, else the parent with the largest overlap (or holding the area's
    representative point); None when none is found."""
    level = Level(level)
    out = areas.copy()
    if PARENT_LEVEL[level] is None:
        out["parent_code"] = None
        return out
    known = set(parents["code"]) if len(parents) else set()
    given = out["parent_code"].astype(object)
    by_name = _unique_names(parents)
    given = given.where(given.isin(known), given.map(by_name))
    from_code = out["code"].map(lambda c: _code_parent(level, c))
    given = given.where(given.notna(), from_code.where(from_code.isin(known)))
    missing = given.isna().to_numpy()
    if missing.any() and len(parents):
        given.loc[missing] = locate_parents(out.geometry.values[missing], parents)
    out["parent_code"] = given.where(given.notna(), None)
    return out


def _unique_names(parents: gpd.GeoDataFrame) -> dict[str, str]:
    if not len(parents):
        return {}
    counts = parents["name"].value_counts()
    unique = parents[parents["name"].map(counts) == 1]
    return dict(zip(unique["name"], unique["code"], strict=True))


def _code_parent(level: Level, code: object) -> str | None:
    if not isinstance(code, str) or not is_valid(level, code):
        return None
    return code[:9] if level is Level.COMMUNITY else code[:12]


def locate_parents(geoms: np.ndarray, parents: gpd.GeoDataFrame) -> np.ndarray:
    """Code of the parent each geometry overlaps most (in a metric CRS), else the one holding
    its representative point, else None."""
    crs = parents.estimate_utm_crs()
    mine = np.asarray(gpd.GeoSeries(geoms, crs=4326).to_crs(crs).values, dtype=object)
    theirs = np.asarray(parents.to_crs(crs).geometry.values, dtype=object)
    codes = parents["code"].to_numpy(dtype=object)
    out = np.full(len(mine), None, dtype=object)
    if not len(mine):
        return out
    child, parent = shapely.STRtree(theirs).query(mine, predicate="intersects")
    if len(child):
        area = shapely.area(shapely.intersection(mine[child], theirs[parent]))
        order = np.lexsort((-area, child))
        child, parent, area = child[order], parent[order], area[order]
        first = np.r_[True, child[1:] != child[:-1]]
        best = first & (area > 0)
        out[child[best]] = codes[parent[best]]
    left = np.flatnonzero(pd.isna(out))
    if len(left):
        points = shapely.point_on_surface(mine[left])
        src, dst = shapely.STRtree(theirs).query(points, predicate="within")
        out[left[src]] = codes[dst]
    return out


def generate_codes(
    areas: gpd.GeoDataFrame,
    level: Level,
    taken: Sequence[str] = (),
    county: str | None = None,
) -> gpd.GeoDataFrame:
    """Codes for the areas without one, in the model's scheme: after the highest code taken
    under the same parent, numbered north→south, west→east (grid_sequence_order)."""
    level = Level(level)
    out = areas.copy()
    blank = out["code"].isna().to_numpy()
    if not blank.any():
        return out
    parent = _parents_for_codes(out, level, blank, county)
    used = [c for c in (*taken, *out["code"].dropna()) if isinstance(c, str)]
    bounds = out.geometry.bounds.to_numpy()
    codes = out["code"].to_numpy(dtype=object, copy=True)
    for key in pd.unique(parent[blank]):
        if key is None:
            continue
        rows = np.flatnonzero(blank & (parent == key))
        seq = grid_sequence_order(*bounds[rows].T)
        start = _highest(level, key, used)
        for row, number in zip(rows, seq, strict=True):
            codes[row] = _make_code(level, key, start + int(number))
    out["code"] = codes
    return out


def _parents_for_codes(
    areas: gpd.GeoDataFrame, level: Level, blank: np.ndarray, county: str | None
) -> np.ndarray:
    if level is Level.STREET:
        if county is None:
            raise BoundaryError(
                "streets without codes need a county code: add a code field to the file,"
                " or give the county's 6-digit code with --county-code (e.g. 370811)"
            )
        return np.where(blank, county, None).astype(object)
    parent = areas["parent_code"].to_numpy(dtype=object)
    return parent


def _highest(level: Level, parent: str, used: Sequence[str]) -> int:
    prefix = parent + "XQ" if level is Level.COMPOUND else parent
    numbers = [
        int(c[len(prefix) :])
        for c in used
        if c.startswith(prefix) and c[len(prefix) :].isdigit() and len(c) == len(prefix) + 3
    ]
    return max(numbers, default=0)


def _make_code(level: Level, parent: str, number: int) -> str:
    if number >= 1000:
        raise BoundaryError(f"more than 999 {level.value} areas under {parent}")
    if level is Level.COMPOUND:
        return compound_code(parent, number)
    return f"{parent}{number:03d}"


def to_store_frame(areas: gpd.GeoDataFrame, level: Level) -> gpd.GeoDataFrame:
    """The columns Store.write_areas takes for `level`, from mapped areas."""
    level = Level(level)
    out = areas.drop(columns=["parent_code"])
    if level is Level.COMMUNITY:
        out["street_code"] = areas["parent_code"]
    elif level in (Level.COMPOUND, Level.GRID):
        out["community_code"] = areas["parent_code"]
    return out
