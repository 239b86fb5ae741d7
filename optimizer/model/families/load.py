"""Site load, defined once per site."""

from __future__ import annotations

import pyomo.environ as pyo

from optimizer.model.modeldata import ModelData


def add_load(m: pyo.ConcreteModel, md: ModelData) -> None:
    """Average facility load per site and workload shape (GW), defined once so hourly rows never repeat Σ_k::

        load_training_def[s]:   load_training[s]  = PUE_s · Σ_{k training}  it_k · build[k,s]
        load_inference_def[s]:  load_inference[s] = PUE_s · Σ_{k inference} it_k · build[k,s]

    The load in slice t is ``load_training[s] + shape_t · load_inference[s]`` (shape mean 1 over the year).
    """
    groups = {g.id: g for g in md.groups}
    by_site: dict[str, dict[str, list[str]]] = {s: {"training": [], "inference": []} for s in md.sites}
    for k, s in md.group_pairs():
        by_site[s][groups[k].workload].append(k)
    m.load_training = pyo.Var(m.S, domain=pyo.NonNegativeReals)
    m.load_inference = pyo.Var(m.S, domain=pyo.NonNegativeReals)

    def _def(var, workload):
        def rule(_m, s):
            ks = by_site[s][workload]
            return var[s] == md.site_pue[s] * sum(groups[k].it_gw * _m.build[k, s] for k in ks)

        return rule

    m.load_training_def = pyo.Constraint(m.S, rule=_def(m.load_training, "training"))
    m.load_inference_def = pyo.Constraint(m.S, rule=_def(m.load_inference, "inference"))
    for s in md.sites:  # no inference (or training) cluster may go there: the variable is 0, not a row
        for wl, var, con in (
            ("training", m.load_training, m.load_training_def),
            ("inference", m.load_inference, m.load_inference_def),
        ):
            if not by_site[s][wl]:
                var[s].fix(0.0)
                con[s].deactivate()
