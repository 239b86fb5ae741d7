"""Energy balance at each site."""

from __future__ import annotations

import pyomo.environ as pyo

from optimizer.modeldata import ModelData


def add_energy_balance(m: pyo.ConcreteModel, md: ModelData) -> None:
    """Each site's load is met in every slice by grid purchase and dedicated green power (GW)::

        site_balance[s,t]:  grid[s,t] + green[s,t] = load_training[s] + shape_t · load_inference[s]

    ``grid`` is bought at the site's price and carries the region's emission factor; ``green`` comes from the
    region's green node (see corridors).
    """
    sl = md.slices
    m.T = pyo.Set(initialize=range(sl.n), ordered=True)
    m.w = pyo.Param(m.T, initialize=dict(enumerate(sl.weight.tolist())))
    m.grid = pyo.Var(m.S, m.T, domain=pyo.NonNegativeReals)
    m.green = pyo.Var(m.S, m.T, domain=pyo.NonNegativeReals)
    shape = sl.inference_shape.tolist()
    m.site_balance = pyo.Constraint(
        m.S,
        m.T,
        rule=lambda _m, s, t: _m.grid[s, t] + _m.green[s, t] == _m.load_training[s] + shape[t] * _m.load_inference[s],
    )
