"""Corridor flows of dedicated green power and the green-power balance of each region."""

from __future__ import annotations

import numpy as np
import pyomo.environ as pyo

from optimizer.model.families.blocks import Group, Slot, add_block, positions
from optimizer.model.families.linear import set_upper, var_grid
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
    m.flow = pyo.Var(m.E, m.T, domain=pyo.NonNegativeReals, bounds=(0.0, None))
    flows = var_grid(m.flow, len(md.corridors), sl.n)
    for c, row in zip(md.corridors, flows, strict=True):
        set_upper(row, c.cap_gw)
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
    t_all = np.arange(T, dtype=np.int64)
    col = {c.id: j for j, c in enumerate(md.corridors)}
    site_pos = {s: i for i, s in enumerate(md.sites)}
    rpos = {r: i for i, r in enumerate(md.regions)}
    wind_pos, solar_pos = positions(m.wind), positions(m.solar)

    def grid_slot(var, i: int, coef) -> Slot:  # var[·, t] of the i-th first index, every slice
        return Slot(var, i * T + t_all, coef)

    active = [r for r in md.regions if sites_of[r] or outflow[r]]
    groups = []
    for r in active:
        i = ridx[r]
        cf_w, cf_s = np.asarray(sl.wind[i], dtype=np.float64), np.asarray(sl.solar[i], dtype=np.float64)
        w_r, s_r = np.full(T, wind_pos[r]), np.full(T, solar_pos[r])
        greens = [grid_slot(m.green, site_pos[s], 1) for s in sites_of[r]]
        # supply_t = cf_w·wind + cf_s·solar + Σ_in eff·flow − Σ_out flow (+ discharge − charge)
        if greens:  # Σ_s green − supply ≤ 0
            slots = [*greens, Slot(m.wind, w_r, -cf_w), Slot(m.solar, s_r, -cf_s)]
            slots += [grid_slot(m.flow, col[e], -eff) for e, eff in inflow[r]]
            slots += [grid_slot(m.flow, col[e], 1) for e in outflow[r]]
            if md.storage:
                slots += [grid_slot(m.discharge, rpos[r], -1), grid_slot(m.charge, rpos[r], 1)]
            bounds: tuple = (None, 0)
        else:  # supply ≥ 0
            slots = [Slot(m.wind, w_r, cf_w), Slot(m.solar, s_r, cf_s)]
            slots += [grid_slot(m.flow, col[e], eff) for e, eff in inflow[r]]
            slots += [grid_slot(m.flow, col[e], -1) for e in outflow[r]]
            if md.storage:
                slots += [grid_slot(m.discharge, rpos[r], 1), grid_slot(m.charge, rpos[r], -1)]
            bounds = (0, None)
        groups.append(Group([(r, t) for t in range(T)], tuple(slots), *bounds))
    m.R_green = pyo.Set(initialize=active, ordered=True)
    add_block(m, "green_balance", groups, m.R_green, m.T)


def explain_corridor(sf: Shortfall) -> Explanation:
    """A corridor that would have to carry Σσ GW more than its spare capacity, in MW."""
    mw = sf.total * 1000.0
    cap_mw = next(c.cap_gw for c in sf.md.corridors if c.id == sf.subject) * 1000.0
    msg = f"corridor {sf.subject}: {mw:,.0f} MW more transfer needed than its {cap_mw:,.0f} MW spare capacity"
    return Explanation(sf.subject, msg, mw, "MW", f"{sf.field}.{sf.subject}", mw / cap_mw if cap_mw > 0 else None)
