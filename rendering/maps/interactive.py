"""The interactive siting map: one self-contained HTML page (plotly, ``conic equal area`` projection).

The region polygons are inlined as GeoJSON and plotly.js is inlined too; the page pre-seeds plotly's offline
geo assets (:data:`GEO_ASSETS_STUB`) so that it opens with no network access. The GeoJSON of the regions and of
China's territory layers comes from the region set's base scene (:mod:`rendering.maps.base`, cached), as the JSON
text plotly writes for it.
"""

from __future__ import annotations

import html
import math
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd

from geodata.regionset import RegionSet
from rendering.maps.base import HtmlBase, base_scene
from rendering.maps.common import (
    CERT_COLOUR,
    CORRIDOR_CMAP,
    GREEN_COLOUR,
    QUANTITIES,
    _t,
)
from rendering.maps.plotly_parts import (
    _cluster_traces,
    _fmt,
    _h,
    _Inline,
    _inset_traces,
    _na,
    _pct,
    _plotly_scale,
    _rgb,
    _site_hover,
    _territory_traces,
    _word,
    _z,
    _zrange,
)
from rendering.maps.scene import _build_scene, _Scene
from rendering.runformat import atomic_write, normalise_tables

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
                ("added_energy", x["added_energy_gwh"], "GWh"),
                ("new_wind", x["new_wind_mw"], "MW"),
                ("new_solar", x["new_solar_mw"], "MW"),
                ("cert_sold", x["cert_sold_gwh"], "GWh"),
                ("cert_bought", x["cert_bought_gwh"], "GWh"),
                ("exported", x["exported_gwh"], "GWh"),
                ("imported", x["imported_gwh"], "GWh"),
                ("added_peak", x["added_peak_mw"], "MW"),
                ("firm_imports", x["grid_import_mw"], "MW"),
                ("new_firm", x["new_firm_mw"], "MW"),
                ("shed", x["shed_gwh"], "GWh"),
            ]
            lines += [f"{_h(k, scene.lang)}: {_fmt(v, u)}" for k, v, u in extra if np.isfinite(v) and v != 0]
        out.append(_na("<br>".join(lines), scene.lang))
    return out


def _is_polygonal(gdf: gpd.GeoDataFrame) -> bool:
    return bool(gdf.geometry.geom_type.isin(["Polygon", "MultiPolygon", "GeometryCollection"]).all())


def _colorbar_title(key: str, scene: _Scene) -> str:
    q = QUANTITIES[key]
    return f"{q.text(scene.lang)}<br>({q.unit_for(scene.currency)})"


def _region_traces(
    scene: _Scene, tables: dict[str, pd.DataFrame], quantity: str, base: HtmlBase, parts: _Inline
) -> tuple[list, int]:
    """A grey base of every region and the choropleth of ``quantity`` (region shapes from the base scene, cut to
    the main map's box on China maps: far islands go to the inset); returns the traces and the index of the
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
    gj = parts.geojson("regions", base.regions_geojson)
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
            _na(
                f"<b>{_route(scene, r.from_region, r.to_region, '↔')}</b> ({html.escape(_word(r.kind, lang))})<br>"
                f"{_h('capacity', lang)} {_fmt(r.capacity_mw, 'MW')} → / {_fmt(r.capacity_back_mw, 'MW')} ←",
                lang,
            )
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
    # the scene holds only corridors that carry a flow; the others are counted in the legend name
    for r in cor.sort_values("utilisation").itertuples(index=False):
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
                line={"color": _rgb(CORRIDOR_CMAP(0.25 + 0.75 * float(r.utilisation))), "width": width},
            )
        )
    h = {k: _h(k, lang) for k in ("capacity", "rated", "max_flow", "mean", "transfer", "utilisation")}
    texts = [
        _na(
            f"<b>{_route(scene, r.from_region, r.to_region)}</b> ({html.escape(r.corridor_id)}, "
            f"{html.escape(_word(r.kind, lang))})<br>"
            f"{h['capacity']} {_fmt(r.capacity_mw, 'MW')} ({h['rated']} {_fmt(r.rated_mw, 'MW')})<br>"
            f"{h['max_flow']} {_fmt(r.max_flow_mw, 'MW')} · {h['mean']} {_fmt(r.mean_flow_mw, 'MW')}<br>"
            f"{h['transfer']} {_fmt(r.energy_gwh, 'GWh')} · {h['utilisation']} {_pct(r.utilisation)}",
            lang,
        )
        for r in cor.itertuples(index=False)
    ]
    name = f"{_t('corridor', lang)}, {_t('colour_utilisation', lang)}"
    if scene.idle_hidden:
        name += "<br>(" + _t("idle_hidden", lang).format(n=scene.idle_hidden) + ")"
    traces.append(
        go.Scattergeo(
            # markers a little past the middle, so that the two directions of a pair do not coincide
            lon=[pts[a][0] * 0.45 + pts[b][0] * 0.55 for a, b in pairs],
            lat=[pts[a][1] * 0.45 + pts[b][1] * 0.55 for a, b in pairs],
            mode="markers",
            text=texts,
            hovertemplate="%{text}<extra></extra>",
            name=name,
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
            lg = scene.lang
            if key == "green":
                texts.append(f"<b>{_h('dedicated_route', lg)} {route}</b><br>{_fmt(value, 'GWh')} {_h('per_year', lg)}")
            else:
                sites = ", ".join(r.sites) if len(r.sites) else "n/a"
                cost = _fmt(r.cost_m, "m " + cur, 2) if lg != "zh" else _fmt(r.cost_m, "百万 " + cur, 2)
                texts.append(
                    _na(
                        f"<b>{_h('cert_route', lg)} {route}</b><br>{_fmt(value, 'GWh')} {_h('per_year', lg)} · "
                        f"{_h('cost', lg)} {cost}<br>{_h('for_sites', lg)}: {html.escape(sites)}",
                        lg,
                    )
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
        lg = scene.lang
        for r in sub.itertuples(index=False):
            hub = f" · {_h('hub', lg)} {html.escape(str(r.hub_name))}" if str(r.hub_name).strip() else ""
            region = scene.region_label.get(str(r.region_id), str(r.region_id))
            lines = [
                f"<b>{html.escape(r.label)}</b> ({html.escape(r.id)})",
                f"{_h('region', lg)}: {html.escape(region)} · {html.escape(_word(str(r.kind), lg))}{hub}",
                f"PUE {_fmt(r.pue, '', 2)} · {_h('max', lg)} {_fmt(r.max_mw, 'MW')} · {_h('price', lg)} "
                f"{_fmt(r.price_per_mwh, f'{cur}/MWh', 1)}",
            ]
            texts.append(_na("<br>".join(lines + _site_hover(scene, r.id)), lg))
        traces.append(
            go.Scattergeo(
                lon=sub["lon"],
                lat=sub["lat"],
                text=texts,
                hovertemplate="%{text}<extra></extra>",
                name=_t(key, scene.lang),
                legendgroup=key,
                legendrank=rank,
                # hub candidates carry their name (placed sites too: the cluster markers sit beside it)
                mode="markers+text" if is_hub else "markers",
                textposition="top center",
                texttemplate="%{customdata}" if is_hub else None,
                customdata=sub["label"].tolist() if is_hub else None,
                textfont={"size": 10, "color": "#333333"},
                marker={
                    "symbol": symbol,
                    "size": size,
                    "color": colour,
                    "line": {"color": "#1a1a1a", "width": 1.2 if is_hub else 0.5},
                },
            )
        )
    return traces


def _quantity_menu(
    scene: _Scene, quantity: str, trace: int, polygons: bool, inset: tuple[int, list[str]] | None = None
) -> dict[str, Any]:
    """A drop-down that restyles the region trace (and the inset's, ``inset`` = its trace index and region ids)
    to each of :data:`QUANTITIES`."""
    buttons = []
    for key, q in QUANTITIES.items():
        lo, hi = _zrange(scene, key)
        z = _z(scene, key)
        restyle: dict[str, Any] = {"name": [f"{_t('regions', scene.lang)}: {q.text(scene.lang)}"]}
        prefix = "" if polygons else "marker."
        restyle.update(
            {
                f"{prefix}{'z' if polygons else 'color'}": [z],
                f"{prefix}{'zmin' if polygons else 'cmin'}": [lo],
                f"{prefix}{'zmax' if polygons else 'cmax'}": [hi],
                f"{prefix}colorscale": [_plotly_scale(q.cmap)],
                f"{prefix}colorbar.title.text": [_colorbar_title(key, scene)],
            }
        )
        traces = [trace]
        if inset is not None:
            by_id = dict(zip(scene.regions["id"], z, strict=True))
            restyle["name"].append(_t("scs_islands", scene.lang))
            restyle["z"].append([by_id[i] for i in inset[1]])
            restyle["zmin"].append(lo)
            restyle["zmax"].append(hi)
            restyle["colorscale"].append(_plotly_scale(q.cmap))
            restyle["colorbar.title.text"].append("")
            traces.append(inset[0])
        buttons.append(
            {
                "label": f"{q.text(scene.lang)} ({q.unit_for(scene.currency)})",
                "method": "restyle",
                "args": [restyle, traces],
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
    _check(quantity, lang)
    norm_tables = normalise_tables(tables)
    base = base_scene(region_set, "html")
    assert isinstance(base, HtmlBase)
    scene = _build_scene(region_set, norm_tables, summary, lang, base)
    return _figure(scene, base, norm_tables, quantity, _Inline(base.key, parse=True))


def _check(quantity: str, lang: str) -> None:
    if quantity not in QUANTITIES:
        raise ValueError(f"unknown quantity '{quantity}' (allowed: {', '.join(QUANTITIES)})")
    if lang not in ("en", "zh"):
        raise ValueError(f"lang must be 'en' or 'zh', not {lang!r}")


def _figure(scene: _Scene, base: HtmlBase, norm_tables: dict[str, pd.DataFrame], quantity: str, parts: _Inline) -> Any:
    """The figure of :func:`interactive_figure` from its scene and base scene; ``parts`` puts the base's JSON
    text into it."""
    import plotly.graph_objects as go

    lang = scene.lang
    main_box = base.main_box
    region_traces, region_index = _region_traces(scene, norm_tables, quantity, base, parts)
    territory = base.territory.get("geo")
    traces = (
        region_traces
        + (_territory_traces(scene, territory, "geo", parts) if main_box is not None and territory else [])
        + _corridor_traces(scene)
        + _arrow_traces(scene)
        + _candidate_traces(scene)
        + _cluster_traces(scene)
    )
    inset: tuple[int, list[str]] | None = None
    if main_box is not None and base.inset_geojson is not None:
        inset_traces, k = _inset_traces(scene, quantity, base, parts)
        inset = (len(traces) + k, list(inset_traces[k].locations))
        traces += inset_traces
    fig = go.Figure(traces)
    lat_1, lat_2, _ = _aea_params(scene.crs, scene.main_extent)
    fig.update_geos(
        visible=False,
        showframe=False,
        bgcolor="white",
        fitbounds="locations",
        # the whole figure: without an explicit domain plotly shrinks the main map once a second geo (the inset)
        # exists
        domain={"x": [0.0, 1.0], "y": [0.0, 1.0]},
        # no projection.rotation: plotly.js's fitbounds centres the map itself and fails to fit (draws the map
        # at world scale) when a rotation is given
        projection={"type": "conic equal area", "parallels": [lat_1, lat_2]},
    )
    if inset is not None:
        fig.update_layout(
            geo2={
                "domain": {"x": [0.80, 0.97], "y": [0.13, 0.42]},
                "fitbounds": "locations",
                "projection": {"type": "conic equal area", "parallels": [lat_1, lat_2]},
                "showcoastlines": False,
                "showcountries": False,
                "showland": False,
                "showlakes": False,
                "showframe": True,
                "framecolor": "#666666",
                "framewidth": 1,
                "bgcolor": "white",
            }
        )
    foot = " · ".join(s for s in (scene.attribution, "gridsite") if s)
    if scene.territory is not None:  # a China map: schematic, with the source of its boundaries
        foot = scene.territory.note(lang) + " · gridsite"
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
    if scene.territory is not None:
        annotations.append(
            {
                "text": f"<b>{html.escape(scene.territory.badge(lang))}</b>",
                "name": "schematic-note",
                "xref": "paper",
                "yref": "paper",
                "x": 0.0,
                "y": 1.0,
                "xanchor": "left",
                "yanchor": "top",
                "showarrow": False,
                "font": {"size": 13, "color": "#333333"},
            }
        )
        if inset is not None:
            annotations.append(
                {
                    "text": html.escape(_t("scs_islands", lang)),
                    "name": "inset-label",
                    "xref": "paper",
                    "yref": "paper",
                    "x": 0.885,
                    "y": 0.13,
                    "xanchor": "center",
                    "yanchor": "bottom",
                    "showarrow": False,
                    "font": {"size": 10, "color": "#333333"},
                }
            )
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
        updatemenus=[_quantity_menu(scene, quantity, region_index, _is_polygonal(scene.regions), inset)],
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
    _check(quantity, lang)
    norm_tables = normalise_tables(tables)
    base = base_scene(region_set, "html")
    assert isinstance(base, HtmlBase)
    scene = _build_scene(region_set, norm_tables, summary, lang, base)
    return _write_html(scene, base, norm_tables, quantity, Path(path))


def _write_html(scene: _Scene, base: HtmlBase, norm_tables: dict[str, pd.DataFrame], quantity: str, path: Path) -> Path:
    """Write the page of :func:`interactive_map` for ``scene`` (atomically)."""
    parts = _Inline(base.key, parse=False)
    fig = _figure(scene, base, norm_tables, quantity, parts)
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
        f'<html lang="{scene.lang}">\n<head>\n<meta charset="utf-8">\n'
        '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
        f"<title>{title}</title>\n"
        "<style>html, body { margin: 0; padding: 0; width: 100%; height: 100%; overflow: hidden; }\n"
        "body > div { width: 100%; height: 100%; }</style>\n"
        f"<script>{GEO_ASSETS_STUB}</script>\n"
        f"</head>\n<body>\n{parts.fill(div)}\n</body>\n</html>\n"
    )
    data = page.encode("utf-8")
    return atomic_write(path, lambda fh: fh.write(data))


def _aea_params(crs: str, extent: tuple[float, float, float, float]) -> tuple[float, float, float]:
    """Standard parallels and central meridian of an ``+proj=aea`` string (fitted to ``extent`` otherwise)."""
    params = dict(p.lstrip("+").split("=", 1) for p in crs.split() if "=" in p)
    try:
        return float(params["lat_1"]), float(params["lat_2"]), float(params["lon_0"])
    except (KeyError, ValueError):
        x0, y0, x1, y1 = extent
        return y0 + (y1 - y0) / 6, y1 - (y1 - y0) / 6, (x0 + x1) / 2
