"""The scene: everything both siting maps draw, prepared once from a region set, the result tables and the summary.

Region polygons with their quantities, candidate sites, placed clusters per site and workload, corridors (from
the ``flows`` table, or the grid graph when it is empty), green-power transfers, cross-region certificates, the
title and subtitle lines, the projection and the boundary attribution.
"""

from __future__ import annotations

import warnings
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd

from geodata.regionset import RegionSet
from rendering.maps.base import Base
from rendering.maps.common import (
    _APPLIES,
    _AREA_NAME,
    _MATCHING_ZH,
    ATTRIBUTION,
    MIN_ARROW_SHARE,
    QUANTITIES,
    _money,
    _num,
    _region_values,
    _short,
    _t,
    _tonnes,
)
from rendering.maps.territory import Schematic

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
    idle_hidden: int = 0  # corridors of the flows table that carry no flow (not drawn)
    territory: Schematic | None = None  # a China map: drawn with the whole territory, and its note


def _attribution(region_set: RegionSet) -> str:
    if region_set.boundary_package in ATTRIBUTION:
        return ATTRIBUTION[region_set.boundary_package]
    b = region_set.meta.get("boundaries") or {}
    src = b.get("attribution") or b.get("source") or b.get("package")
    return f"Boundaries: {src}" if src else ""


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
            extra.append(f"{shown}{'' if lang == 'zh' else ' '}{_t('matching', lang)}")
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
        elif mode == "cost" and (num := _num(value)) is not None:
            # the objective is in millions of the currency per year (summary.json: objective_unit)
            # Chinese counts large sums in 亿 (10⁸)
            shown = f"{num / 100:,.2f} 亿 {currency}/年" if lang == "zh" else _money(num * 1e6, currency) + "/yr"
        elif _num(value) is None:
            shown = str(value)
        else:
            shown = f"{_num(value):,.4g}"
        mode_txt = {"cost": "成本", "carbon": "碳排放"}.get(mode, mode) if lang == "zh" else mode
        obj_parts.append(f"{_t('objective', lang).capitalize()} ({mode_txt}): {shown}")
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
    """Region polygons with a display ``label`` and one column per quantity of :data:`QUANTITIES` (``tables``
    normalised)."""
    regions = region_set.regions.copy()
    regions["id"] = regions["id"].astype(str)
    english = regions["name_en"].fillna(regions["id"]).astype(str)
    names = regions.get("name_zh" if lang == "zh" else "name_en", english).fillna("").astype(str)
    regions["label"] = names.where(names.str.strip() != "", english)
    for q in QUANTITIES:
        regions[q] = _region_values(region_set, tables, q).reindex(regions["id"]).to_numpy()
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
    region_set: RegionSet,
    tables: Mapping[str, pd.DataFrame],
    summary: Mapping[str, Any] | None,
    lang: str,
    base: Base,
) -> _Scene:
    """Everything both maps draw, from the region set, the result tables (normalised by
    :func:`~rendering.runformat.normalise_tables`), the summary and the region set's base scene (projection and
    main extent; either kind of :mod:`rendering.maps.base` holds them)."""
    t = dict(tables or {})
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
        # only corridors that carry a flow are drawn; the idle ones are counted in the legend
        idle_hidden = int((~corridors["active"]).sum())
        corridors = corridors[corridors["active"]].reset_index(drop=True)
        green = corridors.loc[corridors["energy_gwh"].fillna(0) > 0]
        green = green[["corridor_id", "from_region", "to_region", "energy_gwh"]].reset_index(drop=True)
        # tiny transfers stay in the flows table (corridor hover) but are not drawn as arrows
        small = green["energy_gwh"] < MIN_ARROW_SHARE * (float(green["energy_gwh"].max()) if len(green) else 0.0)
        green_hidden = int(small.sum())
        green = green[~small].reset_index(drop=True)
    else:
        corridors, from_graph = _scene_graph_corridors(region_set, points), True
        green_hidden = idle_hidden = 0
        green = pd.DataFrame(columns=["corridor_id", "from_region", "to_region", "energy_gwh"])

    title, subtitle = _titles(summary, region_set, lang)
    return _Scene(
        name=region_set.name,
        lang=lang,
        currency=str(summary.get("currency") or region_set.currency or ""),
        crs=base.crs,
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
        main_extent=base.main_extent,
        green_hidden=green_hidden,
        idle_hidden=idle_hidden,
        territory=Schematic(base.cnmaps_version) if base.cnmaps_version is not None else None,
    )
