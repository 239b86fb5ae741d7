"""New dedicated renewables and batteries."""

from __future__ import annotations

import numpy as np
import pyomo.environ as pyo

from optimizer.model.families.blocks import Group, Slot, add_block
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
    t_all = np.arange(nT, dtype=np.int64)
    keys = {r: [(r, t) for t in range(nT)] for r in R}
    limits: dict[str, list[Group]] = {"charge": [], "discharge": [], "energy": []}
    for i, r in enumerate(R):
        here, cap_p, cap_e = i * nT + t_all, np.full(nT, i), np.full(nT, i)
        for name, var, cap_var, cap in (
            ("charge", m.charge, m.battery_power, cap_p),
            ("discharge", m.discharge, m.battery_power, cap_p),
            ("energy", m.soc, m.battery_energy, cap_e),
        ):  # x ≤ cap  ⇔  x − cap ≤ 0
            limits[name].append(Group(keys[r], (Slot(var, here, 1), Slot(cap_var, cap, -1)), None, 0))
    add_block(m, "storage_charge_limit", limits["charge"], m.R, m.T)
    add_block(m, "storage_discharge_limit", limits["discharge"], m.R, m.T)
    add_block(m, "storage_energy_limit", limits["energy"], m.R, m.T)
    m.storage_duration = pyo.Constraint(
        m.R, rule=lambda _m, r: _m.battery_energy[r] <= md.storage_duration_max * _m.battery_power[r]
    )

    # soc_t − soc_prev − d_t·(√η·charge − discharge/√η) = 0; prev wraps within each day (or the year)
    prev = (t_all // day) * day + (t_all % day - 1) % day
    d = np.asarray(dur, dtype=np.float64)
    balance = []
    for i, r in enumerate(R):
        base = i * nT
        slots = (
            Slot(m.soc, base + t_all, 1),
            Slot(m.soc, base + prev, -1),
            Slot(m.charge, base + t_all, -(d * eta)),
            Slot(m.discharge, base + t_all, d * (1 / eta)),
        )
        balance.append(Group(keys[r], slots, 0, 0))
    add_block(m, "storage_soc", balance, m.R, m.T)


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
