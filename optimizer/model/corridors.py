"""Corridor flows of dedicated green power and the green-power balance of each region."""

from __future__ import annotations

import pyomo.environ as pyo

from optimizer.modeldata import ModelData


def add_corridors(m: pyo.ConcreteModel, md: ModelData) -> None:
    """Dedicated green power moves over corridors e = (a→b) within their spare capacity, with losses::

        0 ≤ flow[e,t] ≤ spare_e                                                                  (GW)
        green_balance[r,t]:  cf_wind[r,t]·wind[r] + cf_solar[r,t]·solar[r]
                             + Σ_{e into r} (1 − loss_e)·flow[e,t] − Σ_{e out of r} flow[e,t]
                             + discharge[r,t] − charge[r,t]  ≥  Σ_{s in r} green[s,t]

    The inequality lets surplus renewable output be spilled. Wheeling costs tariff_e · Σ_t w_t flow[e,t].
    Regions with no site, no potential, and no corridor get no rows.
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
    wind, solar = sl.wind, sl.solar
    storage = md.storage

    def _balance(_m, r, t):
        i = ridx[r]
        supply = wind[i, t] * _m.wind[r] + solar[i, t] * _m.solar[r]
        supply = supply + sum(eff * _m.flow[e, t] for e, eff in inflow[r]) - sum(_m.flow[e, t] for e in outflow[r])
        if storage:
            supply = supply + _m.discharge[r, t] - _m.charge[r, t]
        return supply >= sum(_m.green[s, t] for s in sites_of[r])

    active = [r for r in md.regions if sites_of[r] or outflow[r]]
    m.R_green = pyo.Set(initialize=active, ordered=True)
    m.green_balance = pyo.Constraint(m.R_green, m.T, rule=_balance)
