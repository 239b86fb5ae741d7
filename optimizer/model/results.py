"""Result tables from a solved model: DataFrames keyed by cluster, site, region and corridor ids.

Regional power-gap indicators (``regions`` table; average MW = GWh / 8.76):

- ``curtailed_mw``: existing wind and solar output the region curtails today, wind_gw · wind_hours · (1/u − 1)
  (+ solar), with u the utilisation rate — physical renewable energy new load could absorb;
- ``local_surplus_mw = curtailed_mw + new_local_mw − exported_mw``: that plus the output of the new dedicated
  renewables built in the region, less what it sends out over corridors;
- ``import_spare_mw`` / ``import_used_mw`` / ``import_headroom_mw``: spare capacity of corridors into the region
  available to the clusters, its peak use by dedicated green power, and what is left;
- ``green_gap_mw = max(0, added_load_mw − local_surplus_mw − imported_mw)``: average added GPU load that neither
  local renewable surplus nor green power imported covers — the part that leans on the region's existing (mostly
  thermal) system for energy.

Regional supply adequacy (firm power, see :mod:`optimizer.model.families.adequacy`):

- ``headroom_mw``: the region's firm headroom at its tightest hour (minimum over the year, before clipping at 0);
  ``added_peak_mw``: design facility power of the clusters placed there;
- ``grid_import_mw`` / ``grid_export_mw``: firm imports received (after losses) / sent over corridors;
  ``new_firm_mw``: new firm capacity built for the clusters; ``shed_gwh``: energy the flexible clusters shed;
- ``gap_mw``: in ``enforce`` mode 0 (the model covers every hour); in ``report`` mode the shortfall at the
  tightest hour, max(0, added_peak_mw − max(headroom_mw, 0)), with no imports, new capacity or flexibility.

Units in the tables: MW, GWh per year, tCO2 per year, money in millions of the set's currency per year
(columns ending ``_m``), prices per MWh.
"""

from __future__ import annotations

from collections import defaultdict

import numpy as np
import pandas as pd
import pyomo.environ as pyo

from optimizer.model.build import COST_TERMS
from optimizer.model.families.adequacy import shed_needed
from optimizer.model.families.blocks import value_of
from optimizer.model.families.certificates import matching_periods
from optimizer.model.families.linear import ordered_data
from optimizer.model.modeldata import ModelData


def _v(x) -> float:
    val = value_of(x)  # pyo.value(x, exception=False), reading the objective's array sums directly
    return 0.0 if val is None else float(val)


def _clean(x: np.ndarray, eps: float = 1e-9) -> np.ndarray:
    """Solver noise (|x| < eps) to exact zeros, so empty sites and idle corridors read as 0."""
    return np.where(np.abs(x) < eps, 0.0, x)


def _array(var, keys1, T) -> np.ndarray:
    """Values of ``var[k, t]`` for k in ``keys1`` (its first index set, in order) and every slice t (0 if none)."""
    data = ordered_data(var)
    if len(data) == len(keys1) * T and list(var.keys())[:: max(T, 1)] == [(k, 0) for k in keys1]:
        vals = np.array([v.value for v in data], dtype=object).reshape(len(keys1), T)
        out = np.where(vals == None, 0.0, vals).astype(float)  # noqa: E711 - elementwise None test
        return _clean(out)
    out = np.zeros((len(keys1), T))
    for i, k in enumerate(keys1):
        for t in range(T):
            out[i, t] = var[k, t].value or 0.0
    return _clean(out)


def _adequacy_columns(m, md: ModelData, r: str, assignments: pd.DataFrame) -> dict:
    """Firm headroom, added peak, imports, new firm capacity, shed energy and gap of region ``r`` (MW, GWh)."""
    ad = md.adequacy
    placed = assignments[(assignments.region_id == r) & (assignments.status == "placed")]
    added = float(placed.facility_design_mw.sum())
    if ad.mode == "off" or r not in ad.headroom_raw_min:
        nan = np.nan
        return {"headroom_mw": nan, "added_peak_mw": added, "grid_import_mw": nan, "grid_export_mw": nan,
                "grid_import_gwh": nan, "new_firm_mw": nan, "shed_gwh": nan, "gap_mw": nan, "headroom_used": nan}
    head = ad.headroom_raw_min[r] * 1000.0
    corr = {c.id: c for c in md.corridors}
    enforce = ad.mode == "enforce" and r in ad.headroom  # regions that cannot bind have no adequacy columns
    imp_in = sum(_v(m.imp[e]) * (1 - corr[e].loss) for e in m.EI if corr[e].b == r) * 1000.0 if enforce else 0.0
    exp_out = sum(_v(m.imp[e]) for e in m.EI if corr[e].a == r) * 1000.0 if enforce else 0.0
    gimp = sum(_v(m.gimp[e]) * (1 - corr[e].loss) for e in m.EI if corr[e].b == r) if enforce else 0.0
    nf = _v(m.new_firm[r]) * 1000.0 if enforce else 0.0
    # the energy that must be shed for the uncovered load (the shed column itself may sit anywhere up to the allowance
    # when shedding is free)
    shed = shed_needed(ad.headroom[r], _v(m.uncovered[r])) if enforce else 0.0
    gap = 0.0 if ad.mode == "enforce" else max(0.0, added - max(head, 0.0))
    return {
        "headroom_mw": head,
        "added_peak_mw": added,
        "grid_import_mw": imp_in,
        "grid_export_mw": exp_out,
        "grid_import_gwh": gimp,
        "new_firm_mw": nf,
        "shed_gwh": shed,
        "gap_mw": gap,
        "headroom_used": added / head if head > 1e-6 else np.nan,
    }


def _curtailment_per_cluster(m, md: ModelData, assignments: pd.DataFrame) -> None:
    """Share each region's shed energy among its placed flexible clusters in proportion to their allowance."""
    if md.adequacy.mode != "enforce" or not len(assignments):
        return
    allowance = assignments.max_curtailment * assignments.energy_gwh
    for r in m.A:
        shed = shed_needed(md.adequacy.headroom[r], _v(m.uncovered[r]))
        here = (assignments.region_id == r) & (assignments.status == "placed")
        total = float(allowance[here].sum())
        if shed > 1e-9 and total > 0:
            assignments.loc[here, "curtailed_gwh"] = shed * allowance[here] / total


def _book_grid_imports(m, md: ModelData, sites_df: pd.DataFrame) -> None:
    """Grid energy imported into a region (adequacy): its net cost and emissions are booked on the region's sites
    in proportion to their grid purchase (``grid_import_gwh``, ``energy_cost_m``, ``emissions_*_t``)."""
    sites_df["grid_import_gwh"] = 0.0
    if md.adequacy.mode != "enforce" or not len(m.EI) or not len(sites_df):
        return
    from optimizer.model.families.adequacy import import_cost_coefficients, import_emission_coefficients

    cost, ef = import_cost_coefficients(md), import_emission_coefficients(md)
    corr = {c.id: c for c in md.corridors}
    for e in m.EI:
        g = _v(m.gimp[e])
        if g <= 1e-9:
            continue
        here = sites_df.region_id == corr[e].b
        grid = sites_df.loc[here, "grid_gwh"]
        share = grid / grid.sum() if grid.sum() > 0 else pd.Series(1.0 / here.sum(), index=grid.index)
        sites_df.loc[here, "grid_import_gwh"] += g * (1 - corr[e].loss) * share
        sites_df.loc[here, "energy_cost_m"] += g * cost[e] * share
        sites_df.loc[here, "emissions_location_t"] += g * ef[e] * 1000.0 * share
        sites_df.loc[here, "emissions_market_t"] += g * ef[e] * 1000.0 * share


def placement_counts(m: pyo.ConcreteModel) -> dict[tuple[str, str], int]:
    return {(k, s): round(m.build[k, s].value or 0.0) for k, s in m.KS if (m.build[k, s].value or 0.0) > 0.5}


def extract_tables(
    m: pyo.ConcreteModel, md: ModelData, infos, site_meta: pd.DataFrame, region_meta: pd.DataFrame
) -> dict:
    """Every output table of a solved model: assignments, sites, regions, flows, certificates, the cost breakdown
    and emissions (the run folder's files; see the module docstring for the regional indicators)."""
    counts = placement_counts(m)
    assignments = _assignment_table(md, counts)
    sites = list(md.sites)
    load, green, Ltr, Linf = _site_series(m, md, sites)
    cert_rows = _certificate_purchases(m)
    sites_df = _site_table(md, sites, site_meta, assignments, counts, load, green, Ltr, Linf, cert_rows)
    _book_grid_imports(m, md, sites_df)
    flows, flows_by = _flow_table(m, md)
    cert_df = _certificate_table(m, md, cert_rows)
    regions = _region_table(m, md, sites, region_meta, assignments, sites_df, green, flows_by, cert_rows)
    _curtailment_per_cluster(m, md, assignments)

    cost = {n: _v(getattr(m, f"cost_{n}")) for n in COST_TERMS}
    periods, _ = matching_periods(md)
    return {
        "assignments": assignments,
        "sites": sites_df,
        "regions": regions,
        "flows": flows,
        "certificates": cert_df,
        "cost_breakdown": cost,
        "emissions_kt": {
            "location_based": _v(m.emissions_location),
            "market_based": float(sites_df["emissions_market_t"].sum()) / 1000.0,
        },
        "n_periods": len(periods),
    }


def _assignment_table(md: ModelData, counts: dict[tuple[str, str], int]) -> pd.DataFrame:
    """One row per cluster: each group's clusters distributed over its sites deterministically (sorted ids →
    sorted sites), with their power, energy and status."""
    rows = []
    by_group = defaultdict(list)
    for (k, s), n in sorted(counts.items()):
        by_group[k].extend([s] * n)
    for g in md.groups:
        sites = by_group.get(g.id, [])
        for i, cid in enumerate(g.cluster_ids):
            s = sites[i] if i < len(sites) else ""
            pue = md.site_pue[s] if s else np.nan
            it_mw = g.it_gw * 1000.0
            design_mw = g.design * 1000.0
            rows.append(
                {
                    "cluster_id": cid,
                    "site_id": s,
                    "region_id": md.site_region[s] if s else "",
                    "workload": g.workload,
                    "it_mw": it_mw,
                    "facility_mw": it_mw * pue if s else 0.0,
                    "peak_facility_mw": it_mw * pue * g.peak if s else 0.0,
                    "energy_gwh": it_mw * pue * 8.76 if s else 0.0,
                    "status": "placed" if s else "unbuilt",
                    "it_design_mw": design_mw,
                    "utilisation": it_mw / design_mw if design_mw > 0 else np.nan,
                    "facility_design_mw": design_mw * pue if s else 0.0,
                    "max_curtailment": g.flex,
                    "curtailed_gwh": 0.0,
                }
            )
    assignments = pd.DataFrame(rows).sort_values("cluster_id").reset_index(drop=True)

    return assignments


def _site_series(m, md: ModelData, sites: list[str]):
    """Per site and slice: load and dedicated green power (GW), and the average training and inference loads."""
    T = md.slices.n
    green = _array(m.green, sites, T)
    Ltr = _clean(np.array([m.load_training[s].value or 0.0 for s in sites]))
    Linf = _clean(np.array([m.load_inference[s].value or 0.0 for s in sites]))
    load = Ltr[:, None] + Linf[:, None] * np.array([md.inference_shape(s) for s in sites])
    return load, green, Ltr, Linf


def _certificate_purchases(m) -> list[tuple[str, str, int, float]]:
    """``(seller region, site, period, GWh)`` of every certificate bought."""
    cert_rows = []
    for r, s, p in m.CERT:
        v = m.cert[r, s, p].value or 0.0
        if v > 1e-9:
            cert_rows.append((r, s, p, v))
    return cert_rows


def _site_table(
    md: ModelData,
    sites: list[str],
    site_meta: pd.DataFrame,
    assignments: pd.DataFrame,
    counts: dict[tuple[str, str], int],
    load: np.ndarray,
    green: np.ndarray,
    Ltr: np.ndarray,
    Linf: np.ndarray,
    cert_rows: list[tuple[str, str, int, float]],
) -> pd.DataFrame:
    """One row per candidate site: clusters, energy, green share and its sources, quota, emissions and costs."""
    w = md.slices.weight
    groups = {g.id: g for g in md.groups}
    energy = load @ w
    grid = np.clip(load - green, 0.0, None)
    grid_e = grid @ w
    green_e = green @ w
    certs: dict[str, float] = defaultdict(float)
    for _r, s, _p, v in cert_rows:
        certs[s] += v
    hourly_score = []
    for i, _s in enumerate(sites):
        has_load = load[i] > 1e-9
        covered = green[i] >= load[i] * (1 - 1e-6) - 1e-9
        hours = float(w[has_load].sum())
        hourly_score.append(float(w[has_load & covered].sum()) / hours if hours else np.nan)
    sm = site_meta.set_index("id")
    site_rows = []
    for i, s in enumerate(sites):
        r = md.site_region[s]
        ef = md.region_ef[r]
        rho = md.region_grid_green[r] if md.grid_mix_counts else 0.0
        green_total = green_e[i] + certs[s] + rho * grid_e[i]
        placed = assignments[assignments.site_id == s]
        site_rows.append(
            {
                "site_id": s,
                "region_id": r,
                "kind": sm.at[s, "kind"],
                "hub_id": sm.at[s, "hub_id"],
                "name_en": sm.at[s, "name_en"],
                "lat": float(sm.at[s, "lat"]),
                "lon": float(sm.at[s, "lon"]),
                "pue": md.site_pue[s],
                "max_mw": md.site_cap_gw[s] * 1000.0,
                "n_clusters": len(placed),
                "it_design_mw": float(placed.it_design_mw.sum()),
                "facility_design_mw": float(placed.facility_design_mw.sum()),
                "it_mw": float(placed.it_mw.sum()),
                "facility_mw": (Ltr[i] + Linf[i]) * 1000.0,
                "peak_facility_mw": float(placed.peak_facility_mw.sum()),
                "energy_gwh": energy[i],
                "grid_gwh": grid_e[i],
                "dedicated_green_gwh": green_e[i],
                "certificates_gwh": certs[s],
                "green_share": green_total / energy[i] if energy[i] > 1e-9 else np.nan,
                "hourly_matched_score": hourly_score[i],
                "quota": md.site_quota[s],
                "quota_met": bool(green_total >= md.site_quota[s] * energy[i] * (1 - 1e-5) - 1e-6),
                "price_per_mwh": md.site_price[s] * 1000.0,
                "ef_t_per_mwh": ef,
                "emissions_location_t": ef * grid_e[i] * 1000.0,
                "emissions_market_t": max(0.0, ef * (grid_e[i] - certs[s])) * 1000.0,
                "build_cost_m": float(
                    sum(
                        md.site_build[s] * md.site_pue[s] * groups[k].design * n
                        for (k, ss), n in counts.items()
                        if ss == s
                    )
                ),
                "energy_cost_m": md.site_price[s] * grid_e[i],
            }
        )
    sites_df = pd.DataFrame(site_rows)
    return sites_df


def _flow_table(m, md: ModelData) -> tuple[pd.DataFrame, dict[str, np.ndarray]]:
    """One row per corridor (dedicated green power sent, delivered, lost, utilisation, wheeling cost) and each
    corridor's flow per slice (GW)."""
    T = md.slices.n
    w = md.slices.weight
    flow_rows = []
    flows_by = {}
    flows = _array(m.flow, [c.id for c in md.corridors], T)
    for j, c in enumerate(md.corridors):
        f = flows[j]
        flows_by[c.id] = f
        sent = float(f @ w)
        flow_rows.append(
            {
                "corridor_id": c.id,
                "from_region": c.a,
                "to_region": c.b,
                "kind": c.kind,
                "rated_mw": c.rated_gw * 1000.0,
                "capacity_mw": c.cap_gw * 1000.0,
                "max_flow_mw": float(f.max()) * 1000.0 if T else 0.0,
                "mean_flow_mw": sent / float(w.sum()) * 1000.0,
                "energy_gwh": sent,
                "delivered_gwh": sent * (1 - c.loss),
                "loss_gwh": sent * c.loss,
                "utilisation": float(f.max()) / c.cap_gw if c.cap_gw > 0 else 0.0,
                "wheeling_cost_m": sent * c.wheel_m_per_gwh,
            }
        )
    flows = pd.DataFrame(flow_rows)

    return flows, flows_by


def _certificate_table(m, md: ModelData, cert_rows: list[tuple[str, str, int, float]]) -> pd.DataFrame:
    """One row per certificate purchase, at the average price over a supply curve's steps."""
    total_cert = sum(v for *_k, v in cert_rows)
    cert_avg_price = md.cert_price
    if md.cert_steps and total_cert > 0:
        cert_avg_price = _v(m.cost_certificates) / total_cert
    cert_df = pd.DataFrame(
        [
            {
                "from_region": r,
                "site_id": s,
                "to_region": md.site_region[s],
                "period": p,
                "gwh": v,
                "cost_m": v * cert_avg_price,
                "cross_region": r != md.site_region[s],
            }
            for r, s, p, v in cert_rows
        ],
        columns=["from_region", "site_id", "to_region", "period", "gwh", "cost_m", "cross_region"],
    )
    if len(cert_df) and md.matching == "annual":
        cert_df = cert_df.drop(columns="period")

    return cert_df


def _region_table(
    m,
    md: ModelData,
    sites: list[str],
    region_meta: pd.DataFrame,
    assignments: pd.DataFrame,
    sites_df: pd.DataFrame,
    green: np.ndarray,
    flows_by: dict[str, np.ndarray],
    cert_rows: list[tuple[str, str, int, float]],
) -> pd.DataFrame:
    """One row per region: added load, new renewables, flows, certificates, the power-gap indicators and
    regional supply adequacy (see the module docstring)."""
    T = md.slices.n
    w = md.slices.weight
    green_e = green @ w
    rm = region_meta.set_index("id")
    ridx = {r: i for i, r in enumerate(md.slices.regions)}
    reg_rows = []
    for r in md.regions:
        i = ridx[r]
        wgw, sgw = m.wind[r].value or 0.0, m.solar[r].value or 0.0
        gen = (md.slices.wind[i] * wgw + md.slices.solar[i] * sgw) @ w
        rs_sites = [j for j, s in enumerate(sites) if md.site_region[s] == r]
        exported = sum(float(flows_by[c.id] @ w) for c in md.corridors if c.a == r)
        imported = sum(float(flows_by[c.id] @ w) * (1 - c.loss) for c in md.corridors if c.b == r)
        local_green = float(green_e[rs_sites].sum()) if rs_sites else 0.0
        sold = sum(v for rr, _s, _p, v in cert_rows if rr == r)
        bought = sum(v for _rr, s, _p, v in cert_rows if md.site_region[s] == r)
        fac = float(sites_df.loc[sites_df.region_id == r, "facility_mw"].sum())
        en = float(sites_df.loc[sites_df.region_id == r, "energy_gwh"].sum())
        green_tot = float(
            (
                sites_df.loc[sites_df.region_id == r, "green_share"]
                * sites_df.loc[sites_df.region_id == r, "energy_gwh"]
            ).sum()
        )
        hours = float(w.sum())
        in_corr = [c for c in md.corridors if c.b == r]
        spare_in = sum(c.cap_gw for c in in_corr) * 1000.0
        used_in = sum(float(flows_by[c.id].max()) if T else 0.0 for c in in_corr) * 1000.0
        curtailed = 0.0
        for tech in ("wind", "solar"):
            u = float(rm.at[r, f"{tech}_utilisation"]) if f"{tech}_utilisation" in rm.columns else 1.0
            if u > 0:
                curtailed += float(rm.at[r, f"{tech}_gw"]) * float(rm.at[r, f"{tech}_hours"]) * (1.0 / u - 1.0)
        curtailed_mw = curtailed / hours * 1000.0
        new_local_mw = gen / hours * 1000.0
        exported_mw = exported / hours * 1000.0
        imported_mw = imported / hours * 1000.0
        surplus = curtailed_mw + new_local_mw - exported_mw
        row = {
            "region_id": r,
            "name_en": rm.at[r, "name_en"],
            "name_zh": rm.at[r, "name_zh"] if "name_zh" in rm.columns else "",
            "lat": float(rm.at[r, "lat"]),
            "lon": float(rm.at[r, "lon"]),
            "added_load_mw": fac,
            "added_energy_gwh": en,
            "new_wind_mw": wgw * 1000.0,
            "new_solar_mw": sgw * 1000.0,
            "wind_potential_mw": md.wind_pot_gw[r] * 1000.0,
            "solar_potential_mw": md.solar_pot_gw[r] * 1000.0,
            "renewable_gen_gwh": gen,
            "local_green_use_gwh": local_green,
            "exported_gwh": exported,
            "imported_gwh": imported,
            "spilled_gwh": max(0.0, gen + imported - exported - local_green),
            "cert_supply_gwh": md.cert_supply_gwh[r],
            "cert_sold_gwh": sold,
            "cert_bought_gwh": bought,
            "green_share": green_tot / en if en > 1e-9 else np.nan,
            "added_energy_twh": en / 1000.0,
            "curtailed_mw": curtailed_mw,
            "new_local_mw": new_local_mw,
            "exported_mw": exported_mw,
            "imported_mw": imported_mw,
            "local_surplus_mw": surplus,
            "import_spare_mw": spare_in,
            "import_used_mw": used_in,
            "import_headroom_mw": spare_in - used_in,
            "green_gap_mw": max(0.0, fac - max(surplus, 0.0) - imported_mw),
            **_adequacy_columns(m, md, r, assignments),
            "price_per_mwh": float(rm.at[r, "price_per_mwh"]),
            "ef_t_per_mwh": md.region_ef[r],
        }
        if md.storage:
            row["battery_mw"] = (m.battery_power[r].value or 0.0) * 1000.0
            row["battery_mwh"] = (m.battery_energy[r].value or 0.0) * 1000.0
        reg_rows.append(row)
    return pd.DataFrame(reg_rows)
