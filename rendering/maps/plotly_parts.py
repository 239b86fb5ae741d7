"""Parts of the interactive siting map: hover words in English and Chinese, number formats, colour scales,
GeoJSON, the placed-cluster markers (capped sizes, co-located workloads on a ring), China's whole territory
with the South China Sea inset (plotly traces), and how the base scene's JSON text goes into a figure
(:class:`_Inline`)."""

from __future__ import annotations

import html
import json
import math
from typing import Any

import geopandas as gpd
import matplotlib.colors as mcolors
import numpy as np
import pandas as pd
import shapely
from matplotlib import colormaps
from shapely.geometry import MultiPolygon, Polygon, mapping
from shapely.geometry.polygon import orient

from rendering.maps.base import HtmlBase, TerritoryTraces, no_data_names
from rendering.maps.common import (
    _OTHER_WORKLOAD,
    QUANTITIES,
    WORKLOAD_COLOURS,
    _norm,
    _polygons,
    _t,
    _tonnes,
)
from rendering.maps.scene import _Scene

#: hover-text words of the interactive map, English and Chinese
_H: dict[str, tuple[str, str]] = {
    "added_energy": ("Added energy", "新增用电量"),
    "new_wind": ("New wind", "新增风电"),
    "new_solar": ("New solar", "新增光伏"),
    "cert_sold": ("Certificates sold", "售出绿证"),
    "cert_bought": ("Certificates bought", "购入绿证"),
    "exported": ("Green power exported", "绿电外送"),
    "imported": ("Green power imported", "绿电受入"),
    "added_peak": ("Added peak (design)", "新增峰值负荷（设计）"),
    "firm_imports": ("Firm imports", "可靠受入电力"),
    "new_firm": ("New firm capacity", "新增可靠容量"),
    "shed": ("Load shed", "切负荷"),
    "clusters": ("Clusters", "集群数"),
    "facility": ("facility", "设施"),
    "energy": ("Energy", "用电量"),
    "transfer": ("Energy", "输送电量"),
    "grid": ("grid", "电网"),
    "dedicated": ("dedicated green", "专用绿电"),
    "certificates": ("certificates", "绿证"),
    "green_share": ("Green share", "绿电占比"),
    "quota": ("quota", "配额"),
    "price": ("Price", "电价"),
    "ef": ("EF", "排放因子"),
    "emissions": ("Emissions", "排放"),
    "location": ("location-based", "基于位置"),
    "market": ("market-based", "基于市场"),
    "capacity": ("Capacity", "容量"),
    "rated": ("rated", "额定"),
    "max_flow": ("Max flow", "最大潮流"),
    "mean": ("mean", "平均"),
    "utilisation": ("utilisation", "利用率"),
    "per_year": ("per year", "每年"),
    "dedicated_route": ("Dedicated green power", "专用绿电输送"),
    "cert_route": ("Certificates", "绿证交易"),
    "cost": ("cost", "费用"),
    "for_sites": ("for sites", "购买站点"),
    "region": ("Region", "区域"),
    "hub": ("hub", "枢纽"),
    "max": ("max", "上限"),
    "n_clusters": ("{n} {wl} cluster(s)", "{n} 个{wl}集群"),
    "also_here": ("Also at this site", "同一站点另有"),
    "no_data_unit": ("part of China's territory; no data in this region set", "中国领土；本区域集无数据"),
    "na": ("n/a", "无"),
    "training": ("training", "训练"),
    "inference": ("inference", "推理"),
    "hub_cluster": ("hub cluster", "枢纽集群"),
    "generic": ("candidate site", "候选站点"),
    "ac_tie": ("AC tie", "交流联络线"),
    "uhv_dc": ("UHV DC", "特高压直流"),
}


def _h(key: str, lang: str) -> str:
    en, zh = _H[key]
    return zh if lang == "zh" else en


def _word(value: str, lang: str) -> str:
    """A table word (workload, site kind, corridor kind) in ``lang`` when it is one :data:`_H` knows."""
    return _h(value, lang) if lang == "zh" and value in _H else value


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


def _na(text: str, lang: str) -> str:
    """A hover text with 'n/a' in ``lang``."""
    return text.replace("n/a", _h("na", lang)) if lang == "zh" else text


def _site_hover(scene: _Scene, sid: str) -> list[str]:
    st = scene.site_stats
    if sid not in st.index:
        return []
    x = st.loc[sid]
    cur, lg = scene.currency, scene.lang

    def h(key: str) -> str:
        return _h(key, lg)

    lines = [
        f"{h('clusters')}: {_fmt(x['n_clusters'])} · IT {_fmt(x['it_mw'], 'MW')} · {h('facility')} "
        f"{_fmt(x['facility_mw'], 'MW')}",
        f"{h('energy')} {_fmt(x['energy_gwh'], 'GWh')}: {h('grid')} {_fmt(x['grid_gwh'], 'GWh')}, {h('dedicated')} "
        f"{_fmt(x['dedicated_green_gwh'], 'GWh')}, {h('certificates')} {_fmt(x['certificates_gwh'], 'GWh')}",
        f"{h('green_share')} {_pct(x['green_share'])} ({h('quota')} {_pct(x['quota'])})",
        f"{h('price')} {_fmt(x['price_per_mwh'], f'{cur}/MWh', 1)} · {h('ef')} "
        f"{_fmt(x['ef_t_per_mwh'], 't CO₂/MWh', 3)}",
        f"{h('emissions')}: {h('location')} {_tonnes(x['emissions_location_t'])}, {h('market')} "
        f"{_tonnes(x['emissions_market_t'])}",
    ]
    return [_na(line, lg) for line in lines]


def _z(scene: _Scene, key: str) -> list[float | None]:
    """Displayed values of a quantity per region (None where unknown, so plotly leaves the region grey)."""
    v = scene.regions[key].to_numpy(dtype=float) * QUANTITIES[key].scale
    return [float(x) if np.isfinite(x) else None for x in v]


def _zrange(scene: _Scene, key: str) -> tuple[float, float]:
    n = _norm(scene.regions[key].to_numpy(dtype=float), key)
    s = QUANTITIES[key].scale
    return float(n.vmin or 0.0) * s, float(n.vmax or 0.0) * s  # set by _norm, never None here


#: interactive map: diameter (px) of the largest cluster marker and the smallest one drawn
_MAX_MARKER_PX = 30.0
_MIN_MARKER_PX = 8.0


def _marker_px(mw: pd.Series, top: float) -> np.ndarray:
    """Marker diameters in px, area ∝ facility MW: ``d_i = D_max · sqrt(MW_i / max_j MW_j)`` (at least
    ``_MIN_MARKER_PX``), so the largest cluster never grows past ``_MAX_MARKER_PX`` however many GW it holds."""
    share = np.sqrt(mw.clip(lower=0).to_numpy(dtype=float) / top) if top > 0 else np.zeros(len(mw))
    return np.maximum(_MAX_MARKER_PX * share, _MIN_MARKER_PX).round(1)


def _ring_positions(placed: pd.DataFrame, diameters: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """lon/lat of each marker: a site holding several workloads gets its markers on a small ring around it (one
    per workload, evenly spaced, the first to the west), so that none hides another; a lone marker stays put.
    The ring radius (degrees) grows with the largest marker at the site: ``0.06° per px`` of its diameter."""
    lon = placed["lon"].to_numpy(dtype=float).copy()
    lat = placed["lat"].to_numpy(dtype=float).copy()
    pos = {idx: i for i, idx in enumerate(placed.index)}
    for _, grp in placed.groupby("site_id"):
        if len(grp) < 2:
            continue
        radius = 0.06 * float(max(diameters[pos[i]] for i in grp.index))
        for j, idx in enumerate(grp.sort_values("workload").index):
            ang = math.pi + 2 * math.pi * j / len(grp)
            i = pos[idx]
            lon[i] += radius * math.cos(ang) / max(math.cos(math.radians(lat[i])), 0.2)
            lat[i] += radius * math.sin(ang)
    return lon, lat


def _cluster_traces(scene: _Scene) -> list:
    """Placed clusters per workload: neutral circles (area ∝ facility MW, capped), co-located workloads on a
    small ring around their site; the hover lists every cluster and what else the site holds."""
    import plotly.graph_objects as go

    placed = scene.placed.reset_index(drop=True)
    if not len(placed):
        return []
    lg = scene.lang
    diam = _marker_px(placed["mw"], float(placed["mw"].max()))
    lon, lat = _ring_positions(placed, diam)
    traces = []
    for wl in sorted(placed["workload"].unique(), key=lambda w: (w not in WORKLOAD_COLOURS, w)):
        sub = placed[placed["workload"] == wl]
        texts = []
        for i, r in sub.iterrows():
            n_txt = _h("n_clusters", lg).format(n=r.n, wl=html.escape(_word(wl, lg)))
            lines = [
                f"<b>{html.escape(r.label)}</b> ({html.escape(r.site_id)}): {n_txt}, {_fmt(r.mw, 'MW')} "
                f"{_h('facility', lg)}"
            ]
            lines += [
                f"· {html.escape(cid)}: IT {_fmt(it, 'MW')}, {_h('facility', lg)} {_fmt(fmw, 'MW')}"
                for cid, it, fmw in r.clusters
            ]
            lines.append(f"{_h('energy', lg)} {_fmt(r.energy_gwh, 'GWh')} {_h('per_year', lg)}")
            others = placed[(placed["site_id"] == r.site_id) & (placed.index != i)]
            for o in others.itertuples(index=False):
                ids = ", ".join(html.escape(c[0]) for c in o.clusters)
                n_txt = _h("n_clusters", lg).format(n=o.n, wl=html.escape(_word(o.workload, lg)))
                lines.append(f"{_h('also_here', lg)}: {n_txt} ({ids}), {_fmt(o.mw, 'MW')}")
            texts.append(_na("<br>".join(lines + _site_hover(scene, r.site_id)), lg))
        key = wl if wl in WORKLOAD_COLOURS else "other_workload"
        idx = sub.index.to_numpy()
        traces.append(
            go.Scattergeo(
                lon=lon[idx].round(4).tolist(),
                lat=lat[idx].round(4).tolist(),
                mode="markers",
                text=texts,
                hovertemplate="%{text}<extra></extra>",
                name=f"{_t(key, lg)} ({_t('size_facility', lg)})",
                legendgroup=f"placed-{wl}",
                legendrank=7,
                marker={
                    "size": diam[idx].tolist(),
                    "color": WORKLOAD_COLOURS.get(wl, _OTHER_WORKLOAD),
                    "opacity": 0.9,
                    "line": {"color": "#1a1a1a", "width": 1.5},
                },
            )
        )
    return traces


def _geom_lines(geom: Any) -> tuple[list[float | None], list[float | None]]:
    """lon/lat lists (parts separated by None) of the lines of ``geom`` (polygon boundaries or lines)."""
    lon: list[float | None] = []
    lat: list[float | None] = []
    if geom is None or geom.is_empty:
        return lon, lat
    if geom.geom_type in ("Polygon", "MultiPolygon", "GeometryCollection"):
        geom = geom.boundary
    parts = getattr(geom, "geoms", [geom])
    for part in parts:
        if part.is_empty or not hasattr(part, "coords"):
            continue
        xs, ys = part.xy
        lon += [round(float(x), 3) for x in xs] + [None]
        lat += [round(float(y), 3) for y in ys] + [None]
    return lon, lat


class _Inline:
    """How the base scene's JSON text (:class:`~rendering.maps.base.HtmlBase`) goes into a plotly figure.

    With ``parse`` (a figure handed to the caller) the text is parsed into the figure's properties. Without it (a
    page being written) each property gets a placeholder, and :meth:`fill` puts the text itself in the written
    page where plotly wrote the placeholder: plotly then neither copies, validates nor encodes the region shapes,
    and the page is the same bytes, because the text is what plotly writes for those values
    (:func:`plotly.io.json.to_json_plotly`, compact and context-free)."""

    def __init__(self, key: str, parse: bool) -> None:
        self.parse = parse
        self._prefix = f"gridsite-base-{key[:16]}-"
        self._texts: dict[str, str] = {}

    def geojson(self, name: str, text: str) -> Any:
        """The value of a ``geojson`` property: the GeoJSON of ``text``, or a placeholder string."""
        if self.parse:
            return json.loads(text)
        token = self._prefix + name
        self._texts[json.dumps(token)] = text
        return token

    def array(self, name: str, text: str) -> list:
        """The value of a data-array property (``lon``, ``lat``): the list of ``text``, or a placeholder list."""
        if self.parse:
            return list(json.loads(text))
        token = self._prefix + name
        self._texts[json.dumps([token])] = text
        return [token]

    def fill(self, page: str) -> str:
        """``page`` with every placeholder replaced by its JSON text (each must occur: plotly wrote it)."""
        for placeholder, text in self._texts.items():
            if placeholder not in page:
                raise RuntimeError(f"placeholder {placeholder} of the base scene is missing from the page")
            page = page.replace(placeholder, text)
        return page


def _territory_traces(scene: _Scene, tt: TerritoryTraces, geo: str, parts: _Inline) -> list:
    """China's whole territory on one geo subplot, cut to its box (``tt``, from the base scene): the units without
    data (Taiwan, Hong Kong, Macao: grey, hover says so), the national boundary and the dashed maritime boundary
    line. Trace names (and ``meta``) ``territory-no-data``, ``territory-outline``, ``territory-dashes``."""
    import plotly.graph_objects as go

    if scene.territory is None:
        return []
    lg = scene.lang
    traces: list = []
    main = geo == "geo"
    if tt.no_data_geojson is not None:
        en, zh = no_data_names(tt.no_data_ids)
        names = "、".join(zh) if lg == "zh" else ", ".join(en)
        labels = zh if lg == "zh" else en
        traces.append(
            go.Choropleth(
                geojson=parts.geojson(f"no-data-{geo}", tt.no_data_geojson),
                locations=list(tt.no_data_ids),
                z=[0] * len(tt.no_data_ids),
                colorscale=[[0, "#dcdcdc"], [1, "#dcdcdc"]],
                showscale=False,
                marker_line_color="#7a7a7a",
                marker_line_width=0.6,
                text=[f"<b>{html.escape(n)}</b><br>{_h('no_data_unit', lg)}" for n in labels],
                hovertemplate="%{text}<extra></extra>",
                name=_t("territory_no_data", lg).format(names=names),
                meta="territory-no-data",
                legendgroup="territory-no-data",
                legendrank=8,
                showlegend=main,
                geo=geo,
            )
        )
    for lon, lat, key, meta, dash, width in (
        (tt.outline_lon, tt.outline_lat, "outline", "territory-outline", "solid", 1.2),
        (tt.dashes_lon, tt.dashes_lat, "dashes", "territory-dashes", "solid", 1.8),
    ):
        if lon is None or lat is None:
            continue
        traces.append(
            go.Scattergeo(
                lon=parts.array(f"{key}-lon-{geo}", lon),
                lat=parts.array(f"{key}-lat-{geo}", lat),
                mode="lines",
                line={"color": "#4d4d4d", "width": width, "dash": dash},
                hoverinfo="skip",
                name=_t(key, lg),
                meta=meta,
                legendgroup="territory",
                legendrank=9,
                showlegend=main and key == "dashes",
                geo=geo,
            )
        )
    return traces


def _inset_traces(scene: _Scene, quantity: str, base: HtmlBase, parts: _Inline) -> tuple[list, int]:
    """The South China Sea inset (subplot ``geo2``, lower right): the regions cut to the inset's box coloured
    like the main map, and the territory layers. Returns the traces and the index of its choropleth among them."""
    import plotly.graph_objects as go

    assert base.inset_geojson is not None
    q = QUANTITIES[quantity]
    ids = list(base.inset_ids)
    lo, hi = _zrange(scene, quantity)
    z = dict(zip(scene.regions["id"], _z(scene, quantity), strict=True))
    choro = go.Choropleth(
        geojson=parts.geojson("inset", base.inset_geojson),
        locations=ids,
        z=[z[i] for i in ids],
        zmin=lo,
        zmax=hi,
        zauto=False,
        colorscale=_plotly_scale(q.cmap),
        showscale=False,
        marker_line_color="#9a9a9a",
        marker_line_width=0.4,
        hoverinfo="skip",
        name=_t("scs_islands", scene.lang),
        meta="inset-regions",
        showlegend=False,
        legendgroup="regions",
        geo="geo2",
    )
    territory = base.territory.get("geo2")
    return [choro, *(_territory_traces(scene, territory, "geo2", parts) if territory else [])], 0
