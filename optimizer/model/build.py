"""The siting MILP, one module per constraint family; :func:`build_model` lists them in order."""

from __future__ import annotations

import pyomo.environ as pyo
from pyomo.common.gc_manager import PauseGC

from optimizer.model.families.adequacy import add_adequacy
from optimizer.model.families.assignment import add_assignment
from optimizer.model.families.certificates import add_certificates
from optimizer.model.families.corridors import add_corridors
from optimizer.model.families.emissions import add_emissions
from optimizer.model.families.energy_balance import add_energy_balance
from optimizer.model.families.green_quota import add_green_quota
from optimizer.model.families.load import add_load
from optimizer.model.families.objective import COST_TERMS, add_objective
from optimizer.model.families.renewables import add_renewables, add_storage
from optimizer.model.families.site_capacity import add_site_capacity
from optimizer.model.modeldata import ModelData

__all__ = ["COST_TERMS", "build_model"]


def build_model(md: ModelData) -> pyo.ConcreteModel:
    """Build the Pyomo model from plain model data. Units: GW, GWh, kt CO2, million currency per year.

    Python's cyclic garbage collector is paused while building: the model creates millions of small objects and
    none of them are garbage yet, so each collection would only re-scan the growing model (it cost 5–10× the
    build itself; Pyomo's own writers pause it the same way).
    """
    with PauseGC():
        m = pyo.ConcreteModel(name=md.name)
        add_assignment(m, md)
        add_site_capacity(m, md)
        add_load(m, md)
        add_energy_balance(m, md)
        add_renewables(m, md)
        add_storage(m, md)
        add_corridors(m, md)
        add_adequacy(m, md)
        add_certificates(m, md)
        add_green_quota(m, md)
        add_emissions(m, md)
        add_objective(m, md)
    return m
