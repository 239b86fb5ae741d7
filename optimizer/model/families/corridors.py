"""Corridor flows of dedicated green power and the green-power balance of each region."""

from __future__ import annotations

import pyomo.environ as pyo

from optimizer.model.families.linear import constraint_from, linear, var_grid
from optimizer.model.families.spec import Explanation, Shortfall
from optimizer.model.modeldata import ModelData


def add_corridors(m: pyo.ConcreteModel, md: ModelData) -> None:
    """Dedicated green power moves over corridors e = (a→b) within their spare capacity, with losses::

        0 ≤ flow[e,t] ≤ spare_e                                                                  (GW)
        green_balance[r,t]:  cf_wind[r,t]·wind[r] + cf_solar[r,t]·solar[r]
                             + Σ_{e into r} (1 − loss_e)·flow[e,t] − Σ_{e out of r} flow[e,t]
                             + discharge[r,t] − charge[r,t]  ≥  Σ_{s in r} green[s,t]

    The inequality lets surplus renewable output be spilled. Wheeling costs tariff_e · Σ_t w_t flow[e,t].
    Only regions with a candidate site or an outgoing corridor with spare capacity get rows (elsewhere green
    power has nowhere to go).
    """
    sl = md.slices
    ridx = {r: i for i, r in enumerate(sl.regions)}
    m.E = pyo.Set(initialize=[c.id for c in md.corridors], ordered=True)
    cap = {c.id: c.cap_gw for c in md.corridors}
    m.flow = pyo.Var(m.E, m.T, domain=pyo.NonNegativeReals, bounds=lambda _m, e, t: (0.0, cap[e]))
    inflow: dict[str, list] = {r: [] for r in md.regions}
    outflow: dict[str, list] = {r: [] for r in md.regions}
    for c in md.corridors:
        if c.cap_gw <= 0:
            for t in range(sl.n):
                m.flow[c.id, t].fix(0.0)
            continue
        outflow[c.a].append(c.id)
        inflow[c.b].append((c.id, 1.0 - c.loss))
    sites_of = md.region_sites
    T = sl.n
    wind = sl.wind.tolist()
    solar = sl.solar.tolist()
    flow = var_grid(m.flow, len(md.corridors), T)
    col = {c.id: j for j, c in enumerate(md.corridors)}
    green = var_grid(m.green, len(md.sites), T)
    site_pos = {s: i for i, s in enumerate(md.sites)}
    rpos = {r: i for i, r in enumerate(md.regions)}
    if md.storage:
        discharge = var_grid(m.discharge, len(md.regions), T)
        charge = var_grid(m.charge, len(md.regions), T)

    active = [r for r in md.regions if sites_of[r] or outflow[r]]
    rows: dict[tuple[str, int], tuple[float | None, object, float | None]] = {}
    for r in active:
        i = ridx[r]
        cf_w, cf_s, w_r, s_r = wind[i], solar[i], m.wind[r], m.solar[r]
        ins = [(eff, flow[col[e]]) for e, eff in inflow[r]]
        outs = [flow[col[e]] for e in outflow[r]]
        greens = [green[site_pos[s]] for s in sites_of[r]]
        if md.storage:
            dis, cha = discharge[rpos[r]], charge[rpos[r]]
        # supply_t = cf_w·wind + cf_s·solar + Σ_in eff·flow − Σ_out flow (+ discharge − charge)
        if greens:  # Σ_s green − supply ≤ 0
            for t in range(T):
                terms = [(1, g[t]) for g in greens]
                terms += [(-cf_w[t], w_r), (-cf_s[t], s_r)]
                terms += [(-eff, f[t]) for eff, f in ins]
                terms += [(1, f[t]) for f in outs]
                if md.storage:
                    terms += [(-1, dis[t]), (1, cha[t])]
                rows[r, t] = (None, linear(terms), 0)
        else:  # supply ≥ 0
            for t in range(T):
                terms = [(cf_w[t], w_r), (cf_s[t], s_r)]
                terms += [(eff, f[t]) for eff, f in ins]
                terms += [(-1, f[t]) for f in outs]
                if md.storage:
                    terms += [(1, dis[t]), (-1, cha[t])]
                rows[r, t] = (0, linear(terms), None)
    m.R_green = pyo.Set(initialize=active, ordered=True)
    constraint_from(m, "green_balance", rows, m.R_green, m.T)


def explain_corridor(sf: Shortfall) -> Explanation:
    """A corridor that would have to carry Σσ GW more than its spare capacity, in MW."""
    mw = sf.total * 1000.0
    cap_mw = next(c.cap_gw for c in sf.md.corridors if c.id == sf.subject) * 1000.0
    msg = f"corridor {sf.subject}: {mw:,.0f} MW more transfer needed than its {cap_mw:,.0f} MW spare capacity"
    return Explanation(sf.subject, msg, mw, "MW", f"{sf.field}.{sf.subject}", mw / cap_mw if cap_mw > 0 else None)
