"""Assignment of clusters to sites."""

from __future__ import annotations

import pyomo.environ as pyo

from optimizer.model.modeldata import ModelData


def add_assignment(m: pyo.ConcreteModel, md: ModelData) -> None:
    """Every cluster is built exactly once (or left unbuilt when optional).

    Identical clusters form a group k of n_k copies; ``build[k,s]`` ∈ {0,…,n_k} counts the copies built at site s
    (binary when n_k = 1), only for the (k, s) pairs the scenario allows (candidate list, latency budget)::

        assignment[k]:  Σ_s build[k,s] + unbuilt[k] = n_k        (unbuilt[k] ∈ {0,…,n_k}, optional groups only)

    With ``md.fixed`` (a proposed plan) every ``build`` is fixed to the plan's counts.
    """
    groups = {g.id: g for g in md.groups}
    m.K = pyo.Set(initialize=[g.id for g in md.groups], ordered=True)
    m.K_optional = pyo.Set(initialize=[g.id for g in md.groups if g.optional], ordered=True)
    m.S = pyo.Set(initialize=list(md.sites), ordered=True)
    m.KS = pyo.Set(initialize=md.group_pairs(), dimen=2, ordered=True)

    def _bounds(_m, k, s):
        return (0, groups[k].count)

    def _domain(_m, k, s):
        return pyo.Binary if groups[k].count == 1 else pyo.NonNegativeIntegers

    m.build = pyo.Var(m.KS, domain=_domain, bounds=_bounds)
    m.unbuilt = pyo.Var(m.K_optional, domain=pyo.NonNegativeIntegers, bounds=lambda _m, k: (0, groups[k].count))
    pairs_of: dict[str, list[str]] = {k: [] for k in groups}
    for k, s in md.group_pairs():
        pairs_of[k].append(s)

    def _assign(_m, k):
        lhs = sum(_m.build[k, s] for s in pairs_of[k])
        if groups[k].optional:
            lhs = lhs + _m.unbuilt[k]
        return lhs == groups[k].count

    m.assignment = pyo.Constraint(m.K, rule=_assign)
    if md.fixed is not None:
        for k, s in md.group_pairs():
            m.build[k, s].fix(md.fixed.get((k, s), 0))
