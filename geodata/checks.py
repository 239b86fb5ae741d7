"""Data checks run on every region-set load (cf. PyPSA ``consistency.py``).

Each check returns :class:`DataIssue` objects naming the file, the row id and the field. Errors stop the load
(:class:`DataError` lists them all); warnings are emitted as :class:`DataWarning` and the load goes on.
"""

from __future__ import annotations

import networkx as nx
import numpy as np
import pandas as pd

from gridsite.errors import DataIssue

REGION_COLUMNS = {
    # column: (required numeric?, allow negative?)
    "lat": (True, True),
    "lon": (True, True),
    "price_per_mwh": (True, False),
    "ef_t_per_mwh": (True, False),
    "consumption_twh": (True, False),
    "wind_gw": (True, False),
    "solar_gw": (True, False),
    "hydro_gw": (True, False),
    "wind_hours": (True, False),
    "solar_hours": (True, False),
    "wind_utilisation": (True, False),
    "solar_utilisation": (True, False),
    "wind_potential_gw": (True, False),
    "solar_potential_gw": (True, False),
    "rps_total": (True, False),
    "rps_nonhydro": (True, False),
}
# Optional adequacy columns: a set without them still loads ("adequacy data unavailable"); when present they are
# validated: numeric and finite; peak_load_gw and firm_gw > 0; capacities >= 0; firm_import_gw may be negative.
ADEQUACY_COLUMNS = ("peak_load_gw", "firm_gw", "firm_import_gw", "thermal_gw", "nuclear_gw", "battery_gw")
ADEQUACY_POSITIVE = ("peak_load_gw", "firm_gw")
LOAD_PEAK_SEASONS = ("summer", "winter", "dual")
SITE_COLUMNS = {"lat": True, "lon": True, "pue": True, "max_mw": True, "build_cost_per_mw_yr": True}
CORRIDOR_COLUMNS = {"capacity_mw": True, "length_km": True, "loss_fraction": True, "wheeling_per_mwh": True}


MAX_MAGNITUDE = 1e9
"""Numeric fields of a region set must be finite and below this in magnitude (a price of 10⁹ per MWh is a unit
mistake)."""


def _missing_columns(df: pd.DataFrame, cols, file: str) -> list[DataIssue]:
    return [DataIssue("error", file, "", c, "required column is missing") for c in cols if c not in df.columns]


def _duplicates(df: pd.DataFrame, file: str, key: str = "id") -> list[DataIssue]:
    dup = df[key][df[key].duplicated()].astype(str).tolist()
    return [DataIssue("error", file, d, key, "duplicated id") for d in sorted(set(dup))]


def _numeric(df: pd.DataFrame, cols, file: str, key: str = "id", allow_negative=()) -> list[DataIssue]:
    out = []
    for c in cols:
        if c not in df.columns:
            continue
        vals = pd.to_numeric(df[c], errors="coerce")
        for i in np.flatnonzero(vals.isna().to_numpy()):
            out.append(
                DataIssue("error", file, str(df[key].iloc[i]), c, f"is missing or not a number ({df[c].iloc[i]!r})")
            )
        for i in np.flatnonzero((vals.notna() & ~np.isfinite(vals)).to_numpy()):
            msg = f"is {vals.iloc[i]}; a finite number is needed"
            out.append(DataIssue("error", file, str(df[key].iloc[i]), c, msg))
        for i in np.flatnonzero((np.isfinite(vals) & (vals.abs() >= MAX_MAGNITUDE)).to_numpy()):
            msg = f"is {vals.iloc[i]:,g}; not a plausible value (magnitudes below {MAX_MAGNITUDE:.0e}), check the unit"
            out.append(DataIssue("error", file, str(df[key].iloc[i]), c, msg))
        if c not in allow_negative:
            for i in np.flatnonzero(((vals < 0) & np.isfinite(vals)).to_numpy()):
                out.append(
                    DataIssue("error", file, str(df[key].iloc[i]), c, f"is negative ({vals.iloc[i]}); must be ≥ 0")
                )
    return out


def check_regions(regions: pd.DataFrame, file: str) -> list[DataIssue]:
    issues = _missing_columns(regions, ["id", "name_en", *REGION_COLUMNS], file)
    if issues:
        return issues
    issues += _duplicates(regions, file)
    issues += _numeric(regions, list(REGION_COLUMNS), file, allow_negative=("lat", "lon"))
    for c in ("wind_utilisation", "solar_utilisation", "rps_total", "rps_nonhydro"):
        vals = pd.to_numeric(regions[c], errors="coerce")
        for i in np.flatnonzero((vals > 1).to_numpy()):
            issues.append(
                DataIssue(
                    "error", file, str(regions["id"].iloc[i]), c, f"is {vals.iloc[i]}; a share in [0, 1] is needed"
                )
            )
    for c in ("wind_hours", "solar_hours"):
        vals = pd.to_numeric(regions[c], errors="coerce")
        for i in np.flatnonzero((vals >= 8760).to_numpy()):
            issues.append(DataIssue("error", file, str(regions["id"].iloc[i]), c, "full-load hours must be below 8760"))
    if "utc_offset_h" in regions.columns:  # optional: local time of each region (default: the set's time zone)
        vals = pd.to_numeric(regions["utc_offset_h"], errors="coerce")
        for i in np.flatnonzero((vals.isna() | (vals < -12) | (vals > 14)).to_numpy()):
            issues.append(
                DataIssue(
                    "error",
                    file,
                    str(regions["id"].iloc[i]),
                    "utc_offset_h",
                    f"is {regions['utc_offset_h'].iloc[i]!r}; a UTC offset in hours from -12 to 14 is needed",
                )
            )
    issues += check_adequacy_columns(regions, file)
    return issues


def check_adequacy_columns(regions: pd.DataFrame, file: str) -> list[DataIssue]:
    """Validate the optional adequacy columns where present (absent columns are not an error).

    ``peak_load_gw`` and ``firm_gw`` must be finite and > 0, ``thermal_gw``/``nuclear_gw``/``battery_gw`` finite
    and ≥ 0, ``firm_import_gw`` finite (negative for net exporters); the load factor
    ``consumption_twh · 1000 / (8760 · peak_load_gw)`` must lie in (0, 1); ``load_peak_season`` one of
    summer | winter | dual; ``load_peak_hour`` in 0–23.
    """
    issues: list[DataIssue] = []
    ids = regions["id"].astype(str)
    for c in ADEQUACY_COLUMNS:
        if c not in regions.columns:
            continue
        vals = pd.to_numeric(regions[c], errors="coerce")
        for i in np.flatnonzero(~np.isfinite(vals.to_numpy(dtype=float))):
            issues.append(
                DataIssue("error", file, ids.iloc[i], c, f"is missing or not a finite number ({regions[c].iloc[i]!r})")
            )
        if c == "firm_import_gw":
            continue
        bad = (vals <= 0) if c in ADEQUACY_POSITIVE else (vals < 0)
        need = "> 0" if c in ADEQUACY_POSITIVE else "≥ 0"
        for i in np.flatnonzero(bad.to_numpy()):
            issues.append(DataIssue("error", file, ids.iloc[i], c, f"is {vals.iloc[i]}; must be {need}"))
    if "peak_load_gw" in regions.columns:
        peak = pd.to_numeric(regions["peak_load_gw"], errors="coerce")
        lf = pd.to_numeric(regions["consumption_twh"], errors="coerce") * 1000 / (8760 * peak)
        for i in np.flatnonzero(((lf >= 1) & (peak > 0)).to_numpy()):
            issues.append(
                DataIssue(
                    "error",
                    file,
                    ids.iloc[i],
                    "peak_load_gw",
                    f"is below the average load (load factor {lf.iloc[i]:.2f}); must exceed consumption / 8760",
                )
            )
    if "load_peak_season" in regions.columns:
        for j, v in enumerate(regions["load_peak_season"]):
            if isinstance(v, str) and v and v not in LOAD_PEAK_SEASONS:
                issues.append(
                    DataIssue(
                        "error",
                        file,
                        ids.iloc[j],
                        "load_peak_season",
                        f"is {v!r}; allowed: {', '.join(LOAD_PEAK_SEASONS)}",
                    )
                )
    if "load_peak_hour" in regions.columns:
        h = pd.to_numeric(regions["load_peak_hour"], errors="coerce")
        for i in np.flatnonzero(((h < 0) | (h > 23)).to_numpy()):
            issues.append(
                DataIssue("error", file, ids.iloc[i], "load_peak_hour", f"is {h.iloc[i]}; an hour 0-23 is needed")
            )
    return issues


def check_sites(sites: pd.DataFrame, region_ids: set[str], file: str) -> list[DataIssue]:
    issues = _missing_columns(sites, ["id", "region_id", *SITE_COLUMNS], file)
    if issues:
        return issues
    issues += _duplicates(sites, file)
    issues += _numeric(sites, list(SITE_COLUMNS), file, allow_negative=("lat", "lon"))
    for sid, rid in zip(sites["id"], sites["region_id"], strict=True):
        if rid not in region_ids:
            issues.append(DataIssue("error", file, str(sid), "region_id", f"unknown region '{rid}'"))
    pue = pd.to_numeric(sites["pue"], errors="coerce")
    for i in np.flatnonzero((pue < 1).to_numpy()):
        issues.append(DataIssue("error", file, str(sites["id"].iloc[i]), "pue", f"is {pue.iloc[i]}; PUE is ≥ 1"))
    if "price_per_mwh" in sites.columns:
        p = pd.to_numeric(sites["price_per_mwh"], errors="coerce")
        for i in np.flatnonzero((p < 0).to_numpy()):
            issues.append(DataIssue("error", file, str(sites["id"].iloc[i]), "price_per_mwh", "is negative"))
    return issues


def check_corridors(corr: pd.DataFrame, region_ids: set[str], file: str) -> list[DataIssue]:
    issues = _missing_columns(corr, ["id", "from_region", "to_region", *CORRIDOR_COLUMNS], file)
    if issues:
        return issues
    issues += _duplicates(corr, file)
    issues += _numeric(corr, list(CORRIDOR_COLUMNS), file)
    for cid, a, b in zip(corr["id"], corr["from_region"], corr["to_region"], strict=True):
        for fld, r in (("from_region", a), ("to_region", b)):
            if r not in region_ids:
                issues.append(DataIssue("error", file, str(cid), fld, f"corridor to nowhere: unknown region '{r}'"))
        if a == b:
            issues.append(
                DataIssue("error", file, str(cid), "to_region", "corridor starts and ends in the same region")
            )
    loss = pd.to_numeric(corr["loss_fraction"], errors="coerce")
    for i in np.flatnonzero((loss >= 1).to_numpy()):
        issues.append(DataIssue("error", file, str(corr["id"].iloc[i]), "loss_fraction", "must be below 1"))
    return issues


def check_connected(graph: nx.DiGraph, file: str) -> list[DataIssue]:
    """Every region must be reachable over corridors (weakly connected); isolated regions are named."""
    if graph.number_of_nodes() == 0 or nx.is_weakly_connected(graph):
        return []
    comps = sorted((sorted(c) for c in nx.weakly_connected_components(graph)), key=len, reverse=True)
    out = []
    for comp in comps[1:]:
        out.append(
            DataIssue(
                "error",
                file,
                comp[0],
                "",
                f"disconnected regions {', '.join(comp)}: no corridor links them to the rest",
            )
        )
    return out


def check_sites_in_polygons(sites: pd.DataFrame, boundaries, file: str, tolerance_km: float = 5.0) -> list[DataIssue]:
    """Warn where a site's point falls outside its region's polygon (beyond ``tolerance_km``)."""
    from shapely.geometry import Point

    geo = boundaries.set_index("id").geometry
    out = []
    for s in sites.itertuples(index=False):
        if s.region_id not in geo.index:
            continue
        poly = geo.loc[s.region_id]
        pt = Point(float(s.lon), float(s.lat))
        if not poly.contains(pt):
            dist_km = poly.distance(pt) * 111.0
            if dist_km > tolerance_km:
                out.append(
                    DataIssue(
                        "warning", file, str(s.id), "lat/lon", f"lies {dist_km:.0f} km outside region '{s.region_id}'"
                    )
                )
    return out
