"""Emissions of the clusters' grid purchases."""

from __future__ import annotations

import pyomo.environ as pyo

from optimizer.model.families.adequacy import import_emission_coefficients
from optimizer.model.families.spec import Explanation, Shortfall
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


def explain_carbon_cap(sf: Shortfall) -> Explanation:
    """The carbon cap exceeded by Σσ kt, in tCO2/yr under the scenario's accounting."""
    md = sf.md
    t = sf.total * 1000.0
    cap_t = (md.carbon_cap_kt or 0.0) * 1000.0
    share = t / cap_t if cap_t > 0 else None
    rel = "" if share is None else f" ({share:.0%} over)" if share < 10 else f" ({share + 1:,.0f}× the cap)"
    msg = (
        f"carbon cap of {cap_t:,.0f} tCO2/yr cannot be met: the clusters emit at least {cap_t + t:,.0f} "
        f"tCO2/yr ({md.accounting.replace('_', '-')}), {t:,.0f} tCO2/yr over the cap{rel}"
    )
    if not md.new_renewables:
        msg += "; new renewables are off (grid.new_renewables: false)"
    if md.accounting == "location_based" and md.matching != "hourly":
        msg += "; certificates do not lower location-based emissions"
    return Explanation("all", msg, t, "tCO2/yr", sf.field, share)
