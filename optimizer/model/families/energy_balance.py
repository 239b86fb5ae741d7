"""Energy balance at each site."""

from __future__ import annotations

import numpy as np
import pyomo.environ as pyo

from optimizer.model.families.blocks import ArrayLinear, Group, Slot, add_block, add_lazy_expression, positions
from optimizer.model.families.linear import linear, var_grid
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
    No row uses ``grid`` itself: its component is filled in the complete model (``build_model(md)``, an LP file),
    and left empty in a model built for gridsite's compiler (``arrays=True``).
    """
    sl = md.slices
    m.T = pyo.Set(initialize=range(sl.n), ordered=True)
    m.w = pyo.Param(m.T, initialize=dict(enumerate(sl.weight.tolist())))
    m.green = pyo.Var(m.S, m.T, domain=pyo.NonNegativeReals)
    H = float(sl.weight.sum())
    T = sl.n
    t_all = np.arange(T, dtype=np.int64)
    pos_tr, pos_inf = positions(m.load_training), positions(m.load_inference)
    groups = []
    I_ = {}
    for i, s in enumerate(md.sites):
        shape_s = md.inference_shape(s)
        I_[s] = float((sl.weight * shape_s).sum())
        # green ≤ L_tr + shape·L_inf  ⇔  green − L_tr − shape·L_inf ≤ 0
        groups.append(
            Group(
                [(s, t) for t in range(T)],
                (
                    Slot(m.green, i * T + t_all, 1),
                    Slot(m.load_training, np.full(T, pos_tr[s]), -1),
                    Slot(m.load_inference, np.full(T, pos_inf[s]), -np.asarray(shape_s, dtype=np.float64)),
                ),
                None,
                0,
            )
        )
    add_block(m, "site_balance", groups, m.S, m.T)

    def grid_rows() -> dict:  # grid[s,t]: no row uses it; filled when the complete model is asked for
        out = {}
        green = var_grid(m.green, len(md.sites), T)
        for i, s in enumerate(md.sites):
            lt, li = m.load_training[s], m.load_inference[s]
            shape = md.inference_shape(s).tolist()
            for t in range(T):
                out[s, t] = linear(((1, lt), (shape[t], li), (-1, green[i, t])))
        return out

    add_lazy_expression(m, "grid", grid_rows, m.S, m.T)
    minus_w = -np.asarray(sl.weight, dtype=np.float64)
    site_i = {s: i for i, s in enumerate(md.sites)}
    m.grid_energy = pyo.Expression(
        m.S,
        rule=lambda _m, s: ArrayLinear(
            (
                Slot(_m.load_training, np.array([pos_tr[s]]), np.array([H])),
                Slot(_m.load_inference, np.array([pos_inf[s]]), np.array([I_[s]])),
                Slot(_m.green, site_i[s] * T + t_all, minus_w),
            )
        ),
    )
