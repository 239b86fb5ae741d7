"""Emissions of the clusters' grid purchases."""

from __future__ import annotations

import pyomo.environ as pyo

from optimizer.model.families.adequacy import import_emission_coefficients
from optimizer.model.modeldata import ModelData


def add_emissions(m: pyo.ConcreteModel, md: ModelData) -> None:
    """Location- and market-based emissions (kt CO2/yr)::

        emissions_location = Σ_s EF_r(s) · grid_energy[s] + emissions_imports     (grid_energy = Σ_t w_t · grid[s,t])
        emissions_imports  = Σ_e gimp[e] · (EF_from(e) − (1 − loss_e) · EF_to(e))   (grid energy imported, adequacy)
        market_emissions_def[s]:  emissions_market_site[s] ≥ EF_r(s) · (grid_energy[s] − Σ_{r′,p} cert[r′,s,p]),
                                  emissions_market_site[s] ≥ 0                         (market_based only)
        carbon_cap:  emissions ≤ cap                                       (when the scenario sets a cap)

    ``m.emissions`` is the figure the carbon price, cap and carbon objective use (the scenario's accounting).
    """

    def _grid_kt(_m, s):
        return md.region_ef[md.site_region[s]] * _m.grid_energy[s]

    m.emissions_site = pyo.Expression(m.S, rule=_grid_kt)
    coef = import_emission_coefficients(md) if len(m.EI) else {}
    m.emissions_imports = pyo.Expression(expr=sum(coef[e] * m.gimp[e] for e in m.EI))
    m.emissions_location = pyo.Expression(expr=sum(m.emissions_site[s] for s in m.S) + m.emissions_imports)
    if md.accounting == "market_based":
        certs: dict[str, list] = {s: [] for s in md.sites}
        for r, s, p in m.CERT:
            certs[s].append((r, s, p))
        m.emissions_market_site = pyo.Var(m.S, domain=pyo.NonNegativeReals)
        m.market_emissions_def = pyo.Constraint(
            m.S,
            rule=lambda _m, s: (
                _m.emissions_market_site[s]
                >= _m.emissions_site[s] - md.region_ef[md.site_region[s]] * sum(_m.cert[i] for i in certs[s])
            ),
        )
        m.emissions = pyo.Expression(expr=sum(m.emissions_market_site[s] for s in m.S) + m.emissions_imports)
    else:
        m.emissions = pyo.Expression(expr=m.emissions_location)
    if md.carbon_cap_kt is not None:
        m.carbon_cap = pyo.Constraint(expr=m.emissions <= md.carbon_cap_kt)
