"""The static siting map: matplotlib on an Agg canvas (PNG, SVG or PDF), Albers equal-area projection.

No display is needed and pyplot's global state is untouched. Every drawn group carries an SVG id (``gid``) so that
an SVG map can be inspected and compared; :func:`static_map` writes the file atomically.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import geopandas as gpd
import matplotlib.colors as mcolors
import numpy as np
import pandas as pd
from matplotlib import colormaps
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import FancyArrowPatch, Patch
from pyproj import Transformer

from geodata.regionset import RegionSet
from rendering.maps.base import StaticBase, base_scene, no_data_names
from rendering.maps.common import (
    _OTHER_WORKLOAD,
    CERT_COLOUR,
    CORRIDOR_CMAP,
    GREEN_COLOUR,
    QUANTITIES,
    WORKLOAD_COLOURS,
    WORKLOAD_EDGES,
    _norm,
    _resolve_lang,
    _t,
    cjk_font,
)
from rendering.maps.scene import _build_scene, _Scene
from rendering.runformat import atomic_write, normalise_tables

# --------------------------------------------------------------------------------------------------------------
# Static map (matplotlib, Agg canvas: no display needed and pyplot's global state untouched)
# --------------------------------------------------------------------------------------------------------------

_STATIC_FORMATS = ("png", "svg", "pdf")


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
    """Corridor lines: the flows' corridors that carry a flow (width: capacity, colour: utilisation; corridors
    without flow are left out and counted in the legend), or every corridor of the graph in light grey when
    there are no flows."""
    cor = c.scene.corridors
    if not len(cor):
        if c.scene.idle_hidden:
            label = _t("idle_hidden", lang).format(n=c.scene.idle_hidden)
            return [Line2D([], [], color=CORRIDOR_CMAP(0.25), lw=1.0, label=label)]
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
    for r in cor.assign(cap_=cap).sort_values("utilisation").itertuples(index=False):
        (ax_, ay), (bx, by) = c.region_xy(r.from_region), c.region_xy(r.to_region)
        n = math.hypot(bx - ax_, by - ay) or 1.0
        ox, oy = (by - ay) / n * off, -(bx - ax_) / n * off  # to the right of the direction of flow
        share = math.sqrt(max(float(r.cap_), 0.0) / cmax)
        c.ax.plot(
            [ax_ + ox, bx + ox],
            [ay + oy, by + oy],
            color=CORRIDOR_CMAP(0.25 + 0.75 * float(r.utilisation)),
            lw=0.6 + 3.4 * share,
            alpha=0.9,
            zorder=3.5,
            solid_capstyle="round",
            gid=_svg_id("corridor", r.from_region, r.to_region),
        )
    label = _t("corridor", lang)
    if c.scene.idle_hidden:
        label += "\n(" + _t("idle_hidden", lang).format(n=c.scene.idle_hidden) + ")"
    return [Line2D([], [], color=CORRIDOR_CMAP(0.7), lw=2.5, label=label)]


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


#: static map: radius (points) of the largest cluster marker, whatever its MW: circles never cover provinces
_MAX_RADIUS_PT = 13.0
_MIN_AREA_PT2 = 18.0


def _pt2_per_mw(placed: pd.DataFrame) -> float:
    """Marker area (points²) per MW of facility load: the largest marker gets a radius of ``_MAX_RADIUS_PT``.

    Area ∝ MW (a site of twice the load has twice the disc area): ``s_i = π R² · MW_i / max_j MW_j``.
    """
    top = float(placed["mw"].max()) if len(placed) else 0.0
    return math.pi * _MAX_RADIUS_PT**2 / top if top > 0 else 1.0


def _ring(n: int, i: int) -> tuple[float, float]:
    """Unit offset of the ``i``-th of ``n`` markers sharing a site (a small ring; none for a single marker)."""
    if n <= 1:
        return 0.0, 0.0
    angle = math.pi + 2 * math.pi * i / n  # the first one to the left (west), then anticlockwise
    return math.cos(angle), math.sin(angle)


def _draw_clusters(c: _Canvas, lang: str) -> tuple[list, list, list]:
    """Placed clusters (one circle per site and workload, area ∝ facility MW, neutral fills so they never look
    like a value of the region colour scale); returns legend handles, size-legend handles and the screen boxes
    of the markers (for label placement)."""
    from matplotlib.transforms import Bbox

    placed = c.scene.placed
    if not len(placed):
        return [], [], []
    k = _pt2_per_mw(placed)
    handles, size_handles, boxes = [], [], []
    order = {
        w: i for i, w in enumerate(sorted(placed["workload"].unique(), key=lambda w: (w not in WORKLOAD_COLOURS, w)))
    }
    n_at = placed.groupby("site_id")["workload"].transform("nunique")
    rank = placed["workload"].map(order).groupby(placed["site_id"]).rank(method="dense").astype(int) - 1
    c.ax.apply_aspect()
    px_per_pt = c.fig.dpi / 72.0
    for wl in order:
        sub = placed[placed["workload"] == wl]
        sizes = np.maximum(sub["mw"].to_numpy() * k, _MIN_AREA_PT2)
        pts = np.array([c.xy(lo, la) for lo, la in zip(sub["lon"], sub["lat"], strict=True)])
        disp = c.ax.transData.transform(pts)
        # co-located workloads on a small ring around the site, one marker radius out
        ring = np.array([_ring(int(n_at[i]), int(rank[i])) for i in sub.index]).reshape(-1, 2)
        radius_px = np.sqrt(sizes / math.pi) * px_per_pt
        disp = disp + ring * (radius_px[:, None] * 0.9 + 2.0)
        pts = c.ax.transData.inverted().transform(disp)
        colour = WORKLOAD_COLOURS.get(wl, _OTHER_WORKLOAD)
        edge = WORKLOAD_EDGES.get(wl, "#1a1a1a")
        c.ax.scatter(
            pts[:, 0],
            pts[:, 1],
            s=sizes,
            color=colour,
            alpha=0.88,
            edgecolor=edge,
            linewidth=1.0,
            zorder=7,
            path_effects=[],
            gid=_svg_id("clusters", wl),
        )
        # a thin dark ring under light markers keeps them visible on light regions
        c.ax.scatter(
            pts[:, 0], pts[:, 1], s=sizes * 1.12, facecolor="none", edgecolor="#1a1a1a", linewidth=0.5, zorder=6.9
        )
        for (x, y), r in zip(disp, radius_px, strict=True):
            boxes.append(Bbox.from_extents(x - r, y - r, x + r, y + r))
        key = wl if wl in WORKLOAD_COLOURS else "other_workload"
        handles.append(
            Line2D(
                [],
                [],
                ls="",
                marker="o",
                markersize=9,
                markerfacecolor=colour,
                markeredgecolor="#1a1a1a",
                label=_t(key, lang),
            )
        )
    for mw in _size_refs(float(placed["mw"].max())):
        size_handles.append(
            c.ax.scatter([], [], s=mw * k, facecolor="none", edgecolor="#1a1a1a", linewidth=0.8, label=f"{mw:,.0f} MW")
        )
    return handles, size_handles, boxes


#: label positions tried around a point, in order: (dx, dy) in units of the marker radius + gap, ha, va
_LABEL_SPOTS = (
    (1, 0, "left", "center"),
    (-1, 0, "right", "center"),
    (0, 1, "center", "bottom"),
    (0, -1, "center", "top"),
    (0.75, 0.75, "left", "bottom"),
    (-0.75, 0.75, "right", "bottom"),
    (0.75, -0.75, "left", "top"),
    (-0.75, -0.75, "right", "top"),
)


def _place_label(
    c: _Canvas, text: str, xy: tuple[float, float], radius_pt: float, taken: list, *, must: bool, **kw: Any
) -> bool:
    """Put ``text`` next to ``xy`` at the first of :data:`_LABEL_SPOTS` where it overlaps no box in ``taken`` and
    stays on the map; when none is free, the spot with the fewest overlaps if ``must``, else nothing."""
    renderer = c.fig.canvas.get_renderer()  # type: ignore[attr-defined]  # Agg canvas (FigureCanvasAgg)
    frame = c.ax.get_window_extent(renderer)
    best: tuple[int, Any] | None = None
    gap = radius_pt + 2.5
    for dx, dy, ha, va in _LABEL_SPOTS:
        ann = c.ax.annotate(text, xy, xytext=(dx * gap, dy * gap), textcoords="offset points", ha=ha, va=va, **kw)
        bb = ann.get_window_extent(renderer)
        hits = sum(bb.overlaps(o) for o in taken) + (
            0 if frame.contains(bb.x0, bb.y0) and frame.contains(bb.x1, bb.y1) else 5
        )
        if hits == 0:
            taken.append(bb)
            if best is not None:
                best[1].remove()
            return True
        if best is None or hits < best[0]:
            if best is not None:
                best[1].remove()
            best = (hits, ann)
        else:
            ann.remove()
    if best is not None:
        if must:
            taken.append(best[1].get_window_extent(renderer))
            return True
        best[1].remove()
    return False


def _draw_labels(c: _Canvas, lang: str, boxes: list) -> None:
    """Site labels: every placed site (name and MW, never dropped) and then the unplaced hub candidates (name,
    only where there is room), each at the first free spot around its marker."""
    placed = c.scene.placed
    taken = list(boxes)
    if len(placed):
        k = _pt2_per_mw(placed)
        per_site = placed.groupby("site_id").agg(
            lon=("lon", "first"),
            lat=("lat", "first"),
            label=("label", "first"),
            mw=("mw", "sum"),
            big=("mw", "max"),
            n=("workload", "nunique"),
        )
        for sid, r in per_site.sort_values("mw", ascending=False).iterrows():
            radius = math.sqrt(max(r.big * k, _MIN_AREA_PT2) / math.pi) * (2.0 if r.n > 1 else 1.0)
            _place_label(
                c,
                f"{r.label}\n{r.mw:,.0f} MW",
                c.xy(r.lon, r.lat),
                radius,
                taken,
                must=True,
                fontsize=7,
                fontweight="bold",
                color="#1a1a1a",
                zorder=9,
                path_effects=_halo(2.5),
                gid=_svg_id("label", "site", sid),
            )
    cand = c.scene.candidates
    placed_ids = set(placed["site_id"]) if len(placed) else set()
    for r in cand[cand["is_hub"] & ~cand["id"].isin(placed_ids)].itertuples(index=False):
        _place_label(
            c,
            str(r.label),
            c.xy(r.lon, r.lat),
            4.0,
            taken,
            must=False,
            fontsize=6.5,
            color="#4d4d4d",
            zorder=8.5,
            path_effects=_halo(2.0),
            gid=_svg_id("label", "candidate", r.id),
        )


def _draw_region_labels(c: _Canvas, regions: gpd.GeoDataFrame, quantity: str) -> None:
    """Name the (up to) five regions with the highest values that hold no placed site, skipping any label
    that would overlap one already drawn."""
    q = QUANTITIES[quantity]
    renderer = c.fig.canvas.get_renderer()  # type: ignore[attr-defined]  # Agg canvas (FigureCanvasAgg)
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


def _draw_territory(ax: Any, scene: _Scene, base: StaticBase, gid: str) -> list:
    """China's whole territory on ``ax`` (projected layers of the base): the units without data (Taiwan, Hong
    Kong, Macao; grey, hatched like regions without a value), the national boundary and the dashed maritime
    boundary line. Returns legend handles."""
    if scene.territory is None or base.outline is None or base.dashes is None:
        return []
    crs = base.crs
    lang = scene.lang
    handles: list = []
    if len(base.no_data):
        n_before = len(ax.collections)
        gpd.GeoSeries(base.no_data, crs=crs).plot(
            ax=ax, color="#ececec", edgecolor="#8c8c8c", hatch="///", linewidth=0.4, zorder=1
        )
        for coll in ax.collections[n_before:]:
            coll.set_gid(f"{gid}-no-data")
        en, zh = no_data_names(base.no_data_ids)
        names = "、".join(zh) if lang == "zh" else ", ".join(en)
        handles.append(
            Patch(
                facecolor="#ececec",
                edgecolor="#8c8c8c",
                hatch="///",
                label=_t("territory_no_data", lang).format(names=names),
            )
        )
    outline = gpd.GeoSeries([base.outline], crs=crs)
    n_before = len(ax.collections)
    outline.boundary.plot(ax=ax, color="#4d4d4d", linewidth=0.8, zorder=2.5)
    for coll in ax.collections[n_before:]:
        coll.set_gid(f"{gid}-outline")
    dashes = gpd.GeoSeries([base.dashes], crs=crs)
    n_before = len(ax.collections)
    dashes.plot(ax=ax, color="#4d4d4d", linewidth=1.1, zorder=2.5)
    for coll in ax.collections[n_before:]:
        coll.set_gid(f"{gid}-dashes")
    handles.append(Line2D([], [], color="#4d4d4d", lw=1.1, label=_t("dashes", lang)))
    return handles


def _draw_inset(c: _Canvas, regions: gpd.GeoDataFrame, base: StaticBase, plot_kw: dict[str, Any]) -> None:
    """An inset, lower right, for islands far from the main land areas: for China the South China Sea islands
    with the dashed maritime boundary line (the customary 南海诸岛 inset), else any far island groups (the box
    it shows comes with the base)."""
    if base.inset_box is None:
        return
    x0, y0, x1, y1 = base.inset_box
    inset = c.ax.inset_axes((0.845, 0.0, 0.155, 0.30))
    inset.set_gid("inset")
    regions.plot(ax=inset, zorder=1, **plot_kw)
    regions.boundary.plot(ax=inset, color="#8c8c8c", linewidth=0.3, zorder=2)
    _draw_territory(inset, c.scene, base, "inset-territory")
    # the inset's place on the page as drawing the figure sets it (its locator, then the aspect of its data)
    inset.apply_aspect(inset.get_axes_locator()(inset, c.fig.canvas.get_renderer()))  # type: ignore[attr-defined]
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
    inset.set_facecolor("white")
    if c.scene.territory is not None:
        inset.text(
            0.5,
            0.02,
            _t("scs_islands", c.scene.lang),
            transform=inset.transAxes,
            ha="center",
            va="bottom",
            fontsize=6.5,
            color="#333333",
            gid="inset-label",
        )
    for spine in inset.spines.values():
        spine.set_edgecolor("#666666")
        spine.set_linewidth(0.8)


def _draw_static(scene: _Scene, quantity: str, fig: Figure, base: StaticBase) -> None:
    """Draw every layer of the static map on ``fig`` (12 × 8 in): map on the left, legends on the right. The
    projected regions and territory, the box of the main land areas and the inset's box come from ``base``."""
    from matplotlib.cm import ScalarMappable

    q = QUANTITIES[quantity]
    lang = scene.lang
    regions = gpd.GeoDataFrame(
        scene.regions.drop(columns="geometry"),
        geometry=gpd.GeoSeries(base.regions, index=scene.regions.index, crs=base.crs),
        crs=base.crs,
    )
    ext = np.asarray(base.ext)
    width = float(ext[2] - ext[0])

    box_pos = (0.005, 0.04, 0.725, 0.84)
    ax = fig.add_axes(box_pos)
    ax.set_axis_off()
    fw, fh = fig.get_size_inches()
    lx0, lx1, ly0, ly1 = _fit_limits(ext, 0.015 * width, (box_pos[3] * fh) / (box_pos[2] * fw))
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
    territory_handles = _draw_territory(ax, scene, base, "territory")
    ax.set_xlim(lx0, lx1)  # plotting the territory layers (down to the southernmost islands) autoscaled the axes
    ax.set_ylim(ly0, ly1)

    handles = _draw_corridors(c, lang) + _draw_arrows(c, lang) + _draw_candidates(c, lang)
    cluster_handles, size_handles, boxes = _draw_clusters(c, lang)
    handles += cluster_handles
    _draw_labels(c, lang, boxes)
    _draw_region_labels(c, regions, quantity)
    if polygons:
        _draw_inset(c, regions, base, plot_kw)

    # colour bars: region quantity, corridor utilisation
    cax = fig.add_axes((0.745, 0.55, 0.014, 0.30))
    vmin, vmax = float(norm.vmin or 0.0), float(norm.vmax or 0.0)  # set by _norm, never None here
    sm = ScalarMappable(norm=mcolors.Normalize(vmin * q.scale, vmax * q.scale), cmap=cmap)
    cb = fig.colorbar(sm, cax=cax)
    cb.set_label(f"{q.text(lang)} ({q.unit_for(scene.currency)})", fontsize=9)
    cb.ax.tick_params(labelsize=8)
    if not np.isfinite(values).all():
        handles.append(Patch(facecolor="#ececec", edgecolor="#b0b0b0", hatch="///", label=_t("no_data", lang)))
    handles += territory_handles
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
            labelspacing=2.0 * _MAX_RADIUS_PT / 7.5,
            borderpad=1.2,
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
    # the Chinese word 示意图 on an English China map needs a CJK font; without one the note is English only
    cjk = cjk_font() if scene.territory is not None else None
    cjk_ok = cjk is not None
    cjk_kw: dict[str, Any] = {"fontfamily": [cjk, "DejaVu Sans"]} if cjk and lang != "zh" else {}
    if scene.territory is not None:  # a China map: schematic, with the source of its boundaries
        foot = scene.territory.note(lang, cjk_ok) + " · " + _t("projection", lang) + " · gridsite"
    fig.text(0.99, 0.012, foot, fontsize=7, ha="right", va="bottom", color="#666666", gid="attribution", **cjk_kw)
    if scene.territory is not None:
        ax.text(
            0.01,
            0.99,
            scene.territory.badge(lang, cjk_ok),
            transform=ax.transAxes,
            fontsize=10,
            fontweight="bold",
            color="#333333",
            va="top",
            ha="left",
            gid="schematic-note",
            **cjk_kw,
        )
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
    The region set's projected shapes come from its base scene (:mod:`rendering.maps.base`, cached).
    """
    path = Path(path)
    fmt = _check(quantity, path, fmt)
    lang, font = _resolve_lang(region_set, lang)
    base = base_scene(region_set, "static")
    assert isinstance(base, StaticBase)
    scene = _build_scene(region_set, normalise_tables(tables), summary, lang, base)
    return _write_static(scene, base, quantity, fmt, font, path)


def _check(quantity: str, path: Path, fmt: str | None) -> str:
    """The file format of a static map (``fmt``, else the suffix of ``path``); refuses unknown ones."""
    if quantity not in QUANTITIES:
        raise ValueError(f"unknown quantity '{quantity}' (allowed: {', '.join(QUANTITIES)})")
    fmt = (fmt or path.suffix.lstrip(".") or "png").lower()
    if fmt not in _STATIC_FORMATS:
        raise ValueError(f"unsupported map format '{fmt}' (allowed: {', '.join(_STATIC_FORMATS)})")
    return fmt


class _QuietCanvas(FigureCanvasAgg):
    """An Agg canvas whose ``draw_idle`` does nothing. geopandas asks for a redraw after every layer it plots;
    on an Agg canvas that renders the whole figure (ten times per map), and none of those renderings is written:
    the figure is rendered once, by ``savefig``."""

    def draw_idle(self, *args: Any, **kwargs: Any) -> None:
        """Nothing: the figure is rendered when it is saved."""


def _write_static(scene: _Scene, base: StaticBase, quantity: str, fmt: str, font: str | None, path: Path) -> Path:
    """Draw the static map of ``scene`` and write it to ``path`` in ``fmt`` (atomically)."""
    import matplotlib as mpl

    # svg.hashsalt + no Date: the same run gives the same SVG bytes (element ids are hashes of the salt)
    rc: dict[str, Any] = {"svg.fonttype": "path", "hatch.linewidth": 0.5, "svg.hashsalt": "gridsite"}
    if font:
        rc.update({"font.family": "sans-serif", "font.sans-serif": [font, "DejaVu Sans"]})
    # a CJK font usually has no bold face: keep matplotlib's font manager from logging that for every title
    fm_logger = logging.getLogger("matplotlib.font_manager")
    level = fm_logger.level
    try:
        if font:
            fm_logger.setLevel(logging.ERROR)
        with mpl.rc_context(rc):  # type: ignore[arg-type]  # matplotlib types rc keys as literals
            fig = Figure(figsize=(12, 8), dpi=150, facecolor="white")
            _QuietCanvas(fig)
            _draw_static(scene, quantity, fig, base)
            meta = {"Date": None} if fmt == "svg" else None
            atomic_write(path, lambda fh: fig.savefig(fh, format=fmt, dpi=150, facecolor="white", metadata=meta))
    finally:
        fm_logger.setLevel(level)
    return path
