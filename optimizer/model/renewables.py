"""New dedicated renewables and batteries."""

from __future__ import annotations

import pyomo.environ as pyo

from optimizer.modeldata import ModelData


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

        charge[r,t], discharge[r,t] ≤ battery_power[r] ≤ max_gw
        soc[r,t] ≤ battery_energy[r] ≤ duration_max · battery_power[r]
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
    m.storage_charge_limit = pyo.Constraint(m.R, m.T, rule=lambda _m, r, t: _m.charge[r, t] <= _m.battery_power[r])
    m.storage_discharge_limit = pyo.Constraint(
        m.R, m.T, rule=lambda _m, r, t: _m.discharge[r, t] <= _m.battery_power[r]
    )
    m.storage_energy_limit = pyo.Constraint(m.R, m.T, rule=lambda _m, r, t: _m.soc[r, t] <= _m.battery_energy[r])
    m.storage_duration = pyo.Constraint(
        m.R, rule=lambda _m, r: _m.battery_energy[r] <= md.storage_duration_max * _m.battery_power[r]
    )

    def _prev(t: int) -> int:
        start = (t // day) * day
        return start + (t - start - 1) % day

    m.storage_soc = pyo.Constraint(
        m.R,
        m.T,
        rule=lambda _m, r, t: (
            _m.soc[r, t] == _m.soc[r, _prev(t)] + float(dur[t]) * (eta * _m.charge[r, t] - _m.discharge[r, t] / eta)
        ),
    )
