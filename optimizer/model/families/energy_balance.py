"""Energy balance at each site."""

from __future__ import annotations

import pyomo.environ as pyo

from optimizer.model.families.linear import constraint_from, linear, var_grid
from optimizer.model.modeldata import ModelData


def add_energy_balance(m: pyo.ConcreteModel, md: ModelData) -> None:
    """Each site's load is met in every slice by dedicated green power and grid purchase (GW)::

        grid[s,t] = load_training[s] + shape_s,t · load_inference[s] − green[s,t]      (an expression, not a column)
        site_balance[s,t]:  green[s,t] ≤ load_training[s] + shape_s,t · load_inference[s]      (i.e. grid ≥ 0)
        grid_energy[s] = Σ_t w_t · grid[s,t] = H · load_training[s] + I_s · load_inference[s] − Σ_t w_t · green[s,t]

    with H = Σ_t w_t = 8760 and I_s = Σ_t w_t · shape_s,t. shape_s,t is the diurnal inference curve at the local
    hour of slice t in the site's region (:meth:`ModelData.inference_shape`; its own UTC offset), so inference load
    in different time zones peaks at different slices; each row still holds one shape coefficient. Grid power is
    bought at the site's price and carries the region's emission factor; ``green`` comes from the region's green
    node (see corridors). Substituting the grid purchase out keeps one column per site and slice instead of two.
    """
    sl = md.slices
    m.T = pyo.Set(initialize=range(sl.n), ordered=True)
    m.w = pyo.Param(m.T, initialize=dict(enumerate(sl.weight.tolist())))
    m.green = pyo.Var(m.S, m.T, domain=pyo.NonNegativeReals)
    w = sl.weight.tolist()
    H = float(sl.weight.sum())
    green = var_grid(m.green, len(md.sites), sl.n)
    balance, grid = {}, {}
    I_ = {}
    for i, s in enumerate(md.sites):
        lt, li = m.load_training[s], m.load_inference[s]
        shape_s = md.inference_shape(s)
        shape = shape_s.tolist()
        I_[s] = float((sl.weight * shape_s).sum())
        for t in range(sl.n):  # green ≤ L_tr + shape·L_inf  ⇔  green − L_tr − shape·L_inf ≤ 0
            balance[s, t] = (None, linear(((1, green[i, t]), (-1, lt), (-shape[t], li))), 0)
            grid[s, t] = linear(((1, lt), (shape[t], li), (-1, green[i, t])))
    constraint_from(m, "site_balance", balance, m.S, m.T)
    m.grid = pyo.Expression(m.S, m.T, rule=lambda _m, s, t: grid[s, t])
    m.grid_energy = pyo.Expression(
        m.S,
        rule=lambda _m, s: linear(
            [(H, _m.load_training[s]), (I_[s], _m.load_inference[s])]
            + [(-w[t], g) for t, g in enumerate(green[md.sites.index(s)])]
        ),
    )
