"""New dedicated renewables and batteries."""

from __future__ import annotations

import pyomo.environ as pyo

from optimizer.model.families.linear import constraint_from, linear, var_grid
from optimizer.model.families.spec import Explanation, Shortfall
from optimizer.model.modeldata import ModelData


def add_renewables(m: pyo.ConcreteModel, md: ModelData) -> None:
    """New wind and solar (GW) in any region, bounded by the region's remaining potential::

        0 ≤ wind[r] ≤ potential_wind_r,   0 ≤ solar[r] ≤ potential_solar_r

    Output in slice t is ``cf_wind[r,t] · wind[r]`` (+ solar); it feeds the region's green node. Annualised cost:
    annuity_wind · wind[r] + annuity_solar · solar[r] (M/yr).
    """
    m.R = pyo.Set(initialize=list(md.regions), ordered=True)
    m.wind = pyo.Var(m.R, domain=pyo.NonNegativeReals, bounds=lambda _m, r: (0.0, md.wind_pot_gw[r]))
    m.solar = pyo.Var(m.R, domain=pyo.NonNegativeReals, bounds=lambda _m, r: (0.0, md.solar_pot_gw[r]))


def add_storage(m: pyo.ConcreteModel, md: ModelData) -> None:
    """Batteries per region (only when ``md.storage``; slices are then chronological hours)::

        storage_charge_limit[r,t]:     charge[r,t] ≤ battery_power[r]          (battery_power[r] ≤ max_gw)
        storage_discharge_limit[r,t]:  discharge[r,t] ≤ battery_power[r]
        storage_energy_limit[r,t]:     soc[r,t] ≤ battery_energy[r]
        storage_duration[r]:           battery_energy[r] ≤ duration_max · battery_power[r]
        storage_soc[r,t]:  soc[r,t] = soc[r,prev(t)] + d_t · (√η · charge[r,t] − discharge[r,t] / √η)

    d_t is the slice's chronological duration (1 h, or a segment's hours). prev(t) wraps around within each
    typical day (representative days) or the year (hourly), so no energy is created across the cycle.
    Cost: annuity_power · battery_power + annuity_energy · battery_energy.
    """
    if not md.storage:
        return
    T = md.slices.n
    day = md.slices.period_length or T
    dur = md.slices.hours()
    eta = md.storage_efficiency**0.5
    m.battery_power = pyo.Var(m.R, bounds=(0.0, md.storage_max_gw))
    m.battery_energy = pyo.Var(m.R, domain=pyo.NonNegativeReals)
    m.charge = pyo.Var(m.R, m.T, domain=pyo.NonNegativeReals)
    m.discharge = pyo.Var(m.R, m.T, domain=pyo.NonNegativeReals)
    m.soc = pyo.Var(m.R, m.T, domain=pyo.NonNegativeReals)
    R, nT = list(md.regions), md.slices.n
    charge, discharge, soc = (var_grid(v, len(R), nT) for v in (m.charge, m.discharge, m.soc))
    limits: dict[str, dict] = {"charge": {}, "discharge": {}, "energy": {}}
    for i, r in enumerate(R):
        bp, be = m.battery_power[r], m.battery_energy[r]
        for t in range(nT):  # x ≤ cap  ⇔  x − cap ≤ 0
            limits["charge"][r, t] = (None, linear(((1, charge[i, t]), (-1, bp))), 0)
            limits["discharge"][r, t] = (None, linear(((1, discharge[i, t]), (-1, bp))), 0)
            limits["energy"][r, t] = (None, linear(((1, soc[i, t]), (-1, be))), 0)
    constraint_from(m, "storage_charge_limit", limits["charge"], m.R, m.T)
    constraint_from(m, "storage_discharge_limit", limits["discharge"], m.R, m.T)
    constraint_from(m, "storage_energy_limit", limits["energy"], m.R, m.T)
    m.storage_duration = pyo.Constraint(
        m.R, rule=lambda _m, r: _m.battery_energy[r] <= md.storage_duration_max * _m.battery_power[r]
    )

    def _prev(t: int) -> int:
        start = (t // day) * day
        return start + (t - start - 1) % day

    inv = 1 / eta
    balance = {}
    for i, r in enumerate(R):
        for t in range(nT):  # soc_t − soc_prev − d_t·(√η·charge − discharge/√η) = 0
            d = float(dur[t])
            terms = ((1, soc[i, t]), (-1, soc[i, _prev(t)]), (-(d * eta), charge[i, t]), (d * inv, discharge[i, t]))
            balance[r, t] = (0, linear(terms), 0)
    constraint_from(m, "storage_soc", balance, m.R, m.T)


def explain_potential(sf: Shortfall) -> Explanation:
    """New wind or solar needed beyond a region's remaining potential (or with new renewables off), in MW."""
    md = sf.md
    tech, _, r = sf.subject.partition(":")
    mw = sf.total * 1000.0
    pot = (md.wind_pot_gw if tech == "wind" else md.solar_pot_gw)[r] * 1000.0
    if not md.new_renewables:
        msg = f"region {r}: {mw:,.0f} MW of new {tech} needed, but new renewables are off (grid.new_renewables)"
        fld = "grid.new_renewables"
    else:
        msg = f"region {r}: {mw:,.0f} MW of new {tech} needed beyond its remaining potential of {pot:,.0f} MW"
        fld = sf.field
    return Explanation(r, msg, mw, "MW", fld, mw / pot if pot > 0 else None)
