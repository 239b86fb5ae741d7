"""Cost terms and the objective."""

from __future__ import annotations

import numpy as np
import pyomo.environ as pyo

from optimizer.model.families.adequacy import import_cost_coefficients
from optimizer.model.families.blocks import ArrayLinear, Slot
from optimizer.model.families.certificates import trade_distance
from optimizer.model.modeldata import ModelData

COST_TERMS = (
    "site_build",
    "grid_energy",
    "green_delivery",
    "new_wind",
    "new_solar",
    "storage",
    "new_firm",
    "grid_imports",
    "flexibility",
    "wheeling",
    "certificates",
    "carbon",
    "unbuilt_penalty",
    "tie_break",
)


def add_objective(m: pyo.ConcreteModel, md: ModelData) -> None:
    """Annualised total cost (M currency/yr), one named expression per term::

        site_build       = Σ_{k,s} build_s · PUE_s · design_k · build[k,s]          (facility design power)
        grid_energy      = Σ_s price_s · grid_energy[s]          (= Σ_{s,t} w_t · price_s · grid[s,t])
        green_delivery   = Σ_{s,t} w_t · charge · green[s,t]          (network charge on dedicated green power)
        new_wind/solar   = Σ_r annuity · wind[r] (solar[r])
        storage          = Σ_r annuity_power · battery_power[r] + annuity_energy · battery_energy[r]
        new_firm         = annuity_firm · Σ_r new_firm[r]                      (adequacy)
        grid_imports     = Σ_e c_res · imp[e] + gimp[e] · (price_from + tariff_e − (1 − loss_e) · price_to)  (adequacy)
        flexibility      = cost_shed · Σ_r shed[r]
        wheeling         = Σ_{e,t} w_t · tariff_e · flow[e,t]
        certificates     = price_cert · Σ cert        (or Σ_k price_k · cert_step[k] with a price curve)
        carbon           = carbon_price · emissions
        unbuilt_penalty  = Σ_k penalty_k · unbuilt[k]
        tie_break        = ε · D     (ε = md.tie_break_charge; D: certificates.trade_distance, GWh × 1000 km)

    Objective ``cost``: minimise total_cost. ``carbon``: minimise emissions (the solve then fixes emissions at
    their minimum and minimises cost, lexicographically).
    """
    groups = {g.id: g for g in md.groups}
    w = md.slices.weight
    wheel = {c.id: c.wheel_m_per_gwh for c in md.corridors}
    m.cost_site_build = pyo.Expression(
        expr=sum(md.site_build[s] * md.site_pue[s] * groups[k].design * m.build[k, s] for k, s in m.KS)
    )
    ad = md.adequacy
    m.cost_new_firm = pyo.Expression(expr=sum(ad.firm_annuity * m.new_firm[r] for r in m.A))
    imp_cost = import_cost_coefficients(md) if len(m.EI) else {}
    m.cost_grid_imports = pyo.Expression(
        expr=sum(imp_cost[e] * m.gimp[e] + ad.import_annuity * m.imp[e] for e in m.EI)
    )
    m.cost_flexibility = pyo.Expression(expr=sum(ad.flex_cost * m.shed[r] for r in m.A))
    m.cost_grid_energy = pyo.Expression(expr=sum(md.site_price[s] * m.grid_energy[s] for s in m.S))
    T = md.slices.n
    t_all = np.arange(T, dtype=np.int64)
    m.cost_green_delivery = pyo.Expression(
        expr=ArrayLinear(Slot(m.green, i * T + t_all, w * md.green_charge) for i in range(len(md.sites)))
        if md.green_charge > 0
        else 0.0
    )
    m.cost_new_wind = pyo.Expression(expr=sum(md.wind_annuity * m.wind[r] for r in m.R))
    m.cost_new_solar = pyo.Expression(expr=sum(md.solar_annuity * m.solar[r] for r in m.R))
    if md.storage:
        m.cost_storage = pyo.Expression(
            expr=sum(
                md.storage_power_annuity * m.battery_power[r] + md.storage_energy_annuity * m.battery_energy[r]
                for r in m.R
            )
        )
    else:
        m.cost_storage = pyo.Expression(expr=0.0)
    wheeling = [
        Slot(m.flow, j * T + t_all, w * wheel[c.id]) for j, c in enumerate(md.corridors) if wheel[c.id] > 0
    ]
    m.cost_wheeling = pyo.Expression(expr=ArrayLinear(wheeling) if wheeling else 0)
    if md.cert_steps and hasattr(m, "cert_step"):
        prices = [p for _w, p in md.cert_steps]
        m.cost_certificates = pyo.Expression(expr=sum(prices[k] * m.cert_step[k] for k in m.CERT_STEP))
    else:
        m.cost_certificates = pyo.Expression(expr=md.cert_price * sum(m.cert[i] for i in m.CERT))
    m.cost_carbon = pyo.Expression(expr=md.carbon_price * m.emissions)
    m.cost_unbuilt_penalty = pyo.Expression(expr=sum(groups[k].penalty_m * m.unbuilt[k] for k in m.K_optional))
    dist = trade_distance(m, md, scale=md.tie_break_charge) if md.tie_break_charge > 0 else None
    m.cost_tie_break = pyo.Expression(expr=dist if dist is not None else 0.0)
    m.total_cost = pyo.Expression(expr=sum(getattr(m, f"cost_{n}") for n in COST_TERMS))
    if md.objective == "carbon":
        m.obj = pyo.Objective(expr=m.emissions, sense=pyo.minimize)
    else:
        m.obj = pyo.Objective(expr=m.total_cost, sense=pyo.minimize)
