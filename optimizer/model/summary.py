"""The JSON-able summary of a :class:`~optimizer.model.solve.Result`: what ``summary.json`` holds.

The summary is a view of a Result (status, objective and gap, costs, emissions, green shares, demand, adequacy,
placement, model size, timings), so it lives with the model; the rendering layer writes it to run folders and the
studies keep one per point. Every float is rounded to 6 decimals and non-finite numbers become ``null``
(:func:`jsonable`).
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any

import pandas as pd

if TYPE_CHECKING:
    from optimizer.model.scenario import Scenario
    from optimizer.model.solve import Result

NEAR_ZERO_OBJECTIVE = 1e-3
"""Below this magnitude (in the objective's unit: million currency, or tCO2) a relative MIP gap says nothing (HiGHS
reports 100 % for an objective of 0): the gap is then reported as an absolute one."""


def jsonable(x: Any) -> Any:
    """``x`` with every float rounded to 6 decimals (non-finite → ``None``), keys as strings, tuples as lists and
    numpy scalars as Python numbers: what ``json.dumps`` writes the same way on every platform."""
    if isinstance(x, float):
        return None if not math.isfinite(x) else round(x, 6)
    if isinstance(x, dict):
        return {str(k): jsonable(v) for k, v in x.items()}
    if isinstance(x, list | tuple):
        return [jsonable(v) for v in x]
    if hasattr(x, "item"):
        return jsonable(x.item())
    return x


_clean = jsonable  # the name the run-folder writer has always used


def gap_text(objective: Any, bound: Any, mip_gap: float | None, unit: str) -> str:
    """The MIP gap as shown to a user: relative (``0.500 %``), or absolute (``0.12 tCO2 per year``) when the
    objective is near zero, or ``n/a``."""
    ok = all(isinstance(v, int | float) and math.isfinite(v) for v in (objective, bound))
    if ok and abs(objective) < NEAR_ZERO_OBJECTIVE:
        return f"{abs(objective - bound):,.4g} {unit} (absolute; the objective is near zero)"
    if mip_gap is None or not math.isfinite(mip_gap):
        return "n/a"
    return f"{mip_gap:.3%}"


def time_limit_warning(status: str, objective: Any, bound: Any, mip_gap: float | None, unit: str) -> str | None:
    """The warning a time-limited plan carries everywhere it is shown (terminal, summary, report, maps)."""
    if status != "time_limit":
        return None
    gap = gap_text(objective, bound, mip_gap, unit)
    return (
        f"TIME LIMIT: this plan is feasible but NOT proven optimal (status time_limit, gap {gap}); the best "
        "possible objective may be that much lower. Do not use it as a result: re-run with a longer --time-limit, "
        "a larger --mip-gap, fewer time slices (time.mode / time.days) or fewer candidate sites."
    )


def build_summary(result: Result) -> dict:
    """The summary of ``result`` as a JSON-able dict (the content of ``summary.json``).

    Green shares are capped at 1 per site (green supply above a site's energy is over-procurement, listed apart
    under ``green_supply_over_energy``); demand totals are over placed clusters (MW, TWh); the MIP gap is reported
    as an absolute one when ``|objective|`` < :data:`NEAR_ZERO_OBJECTIVE`.
    """
    sc = result.scenario
    tables = result.tables
    a = tables.get("assignments", pd.DataFrame())
    placed = a[a.status == "placed"] if len(a) else a
    sites = tables.get("sites", pd.DataFrame())
    gs = sc.policy.green_share
    green_share = {}
    over = {}
    if len(sites):
        for r in sites.itertuples(index=False):
            if r.energy_gwh > 1e-9:
                # a share is at most 100 %: green supply above a site's energy is over-procurement, listed apart
                green_share[r.site_id] = min(float(r.green_share), 1.0)
                if r.green_share > 1.0 + 1e-6:
                    over[r.site_id] = r.green_share
    unit = f"million {result.currency} per year" if result.objective_mode == "cost" else "tCO2 per year"
    obj, bnd = result.objective, result.bound
    near_zero = obj is not None and math.isfinite(obj) and abs(obj) < NEAR_ZERO_OBJECTIVE
    quality: dict[str, Any] = {
        "time_limited": result.status == "time_limit",
        "gap_basis": "absolute" if near_zero else "relative",
        "gap_abs": abs(obj - bnd) if obj is not None and bnd is not None else None,
        "warning": time_limit_warning(result.status, obj, bnd, result.mip_gap, unit),
    }
    if over:
        quality["green_supply_over_energy"] = over
    return jsonable(
        {
            "name": sc.name,
            "region_set": str(sc.region_set),
            "year": sc.year,
            "status": result.status,
            "objective": result.objective,
            "objective_mode": result.objective_mode,
            "objective_unit": (
                f"million {result.currency} per year" if result.objective_mode == "cost" else "tCO2 per year"
            ),
            "bound": result.bound,
            "mip_gap": result.mip_gap,
            "currency": result.currency,
            "cost_unit": f"million {result.currency} per year",
            "total_cost": result.total_cost,
            "cost_breakdown": result.cost_breakdown,
            "emissions_t": result.emissions_t,
            "green_share": green_share,
            "policy": {
                "green_share_min": gs.value_for(sc.year),
                "applies_to": gs.applies_to,
                "matching": gs.matching,
                "cross_region": sc.policy.certificates.cross_region,
                "certificate_price": sc.policy.certificates.price,
                "certificate_max_share": sc.policy.certificates.max_share,
                "carbon_price": sc.policy.carbon_price,
                "carbon_cap_t": sc.policy.carbon_cap_t,
                "carbon_accounting": sc.policy.carbon_accounting,
            },
            "demand": {
                "clusters": len(a),
                "placed": len(placed),
                "it_design_mw": float(placed.it_design_mw.sum()) if len(placed) else 0.0,
                "facility_design_mw": float(placed.facility_design_mw.sum()) if len(placed) else 0.0,
                "it_mw": float(placed.it_mw.sum()) if len(placed) else 0.0,
                "facility_mw": float(placed.facility_mw.sum()) if len(placed) else 0.0,
                "energy_twh": float(placed.energy_gwh.sum()) / 1000.0 if len(placed) else 0.0,
                "curtailed_twh": float(placed.curtailed_gwh.sum()) / 1000.0 if len(placed) else 0.0,
            },
            "adequacy": adequacy_summary(sc, tables.get("regions", pd.DataFrame())),
            "placement": dict(zip(a.cluster_id, a.site_id, strict=True)) if len(a) else {},
            "time": {"mode": sc.time.mode, "slices": result.model_size.get("slices")},
            "model_size": result.model_size,
            "timings_s": result.timings_s,
            "fixed_plan": result.fixed_plan,
            "method": result.method,
            "diagnosis": result.diagnosis,
            "notes": result.notes,
            **quality,
        }
    )


def adequacy_summary(sc: Scenario, regions: pd.DataFrame) -> dict:
    """Grid adequacy in a few numbers (MW): mode, reserve margin, totals over regions with added load.

    ``headroom_mw`` sums max(headroom, 0) over regions with added peak load; ``regions_over_headroom`` lists those
    whose added peak exceeds that headroom (by more than 1e-6 MW).
    """
    cfg = sc.grid.adequacy
    out: dict = {"mode": cfg.mode, "unit": "MW"}
    if not len(regions) or "added_peak_mw" not in regions or regions["headroom_mw"].isna().all():
        return out
    r = regions[regions.added_peak_mw > 0]
    out.update(
        {
            "added_peak_mw": float(r.added_peak_mw.sum()),
            "headroom_mw": float(r.headroom_mw.clip(lower=0).sum()),
            "grid_import_mw": float(regions.grid_import_mw.fillna(0).sum()),
            "new_firm_mw": float(regions.new_firm_mw.fillna(0).sum()),
            "shed_gwh": float(regions.shed_gwh.fillna(0).sum()),
            "gap_mw": float(regions.gap_mw.fillna(0).sum()),
            "regions_over_headroom": sorted(r.loc[r.added_peak_mw > r.headroom_mw.clip(lower=0) + 1e-6, "region_id"]),
        }
    )
    return out


__all__ = ["NEAR_ZERO_OBJECTIVE", "adequacy_summary", "build_summary", "gap_text", "jsonable", "time_limit_warning"]
