"""Green certificates (1 certificate = 1 MWh of renewable attribute; here in GWh)."""

from __future__ import annotations

import numpy as np
import pyomo.environ as pyo

from optimizer.modeldata import ModelData


def matching_periods(md: ModelData) -> tuple[list[int], np.ndarray]:
    """Matching periods p and the hours of each slice in each period, ``W[t, p]``.

    annual: one period (W = w_t); monthly: the 12 calendar months (W = month_hours); hourly: each slice.
    """
    sl = md.slices
    if md.matching == "monthly":
        keep = [p for p in range(12) if sl.month_hours[:, p].sum() > 0]
        return keep, sl.month_hours
    if md.matching == "hourly":
        return list(range(sl.n)), np.diag(sl.weight)
    return [0], sl.weight[:, None]


def add_certificates(m: pyo.ConcreteModel, md: ModelData) -> None:
    """Unbundled certificates bought from region r′ for site s in matching period p (GWh)::

        cert[r′,s,p] ≥ 0        for r′ = region(s), and any r′ when cross-region trading is allowed
        cert_supply[r′]:        Σ_{s,p} cert[r′,s,p] ≤ min(supply_r′, export_cap_r′)
        cert_supply_month[r′,p] (monthly matching):  Σ_s cert[r′,s,p] ≤ supply_r′ · H_p / Σ_t w_t   (Σ_t w_t = 8760)

        cert_market (with a price curve):  Σ cert = Σ_k cert_step[k],   0 ≤ cert_step[k] ≤ width_k

    supply_r′ = max(0, wind + solar generation − non-hydro RPS weight × consumption) × supply_share: the
    certificates r′ does not need for its own obligation. Certificates do not count under hourly matching, so
    none are modelled then. Only sites under a quota buy certificates (or all sites under market-based
    accounting, where certificates also lower the market-based emissions).
    """
    m.P = pyo.Set(initialize=[0], ordered=True)
    m.CERT = pyo.Set(dimen=3, initialize=[], ordered=True)
    m.cert = pyo.Var(m.CERT, domain=pyo.NonNegativeReals)
    if md.matching == "hourly":
        return
    periods, W = matching_periods(md)
    m.del_component(m.P)
    m.P = pyo.Set(initialize=periods, ordered=True)
    buyers = [s for s in md.sites if md.site_quota[s] > 0 or md.accounting == "market_based"]
    sellers = [r for r in md.regions if md.cert_supply_gwh[r] > 0]
    idx = []
    for s in buyers:
        home = md.site_region[s]
        for r in sellers:
            if r == home or md.cert_cross_region:
                idx.extend((r, s, p) for p in periods)
    m.del_component(m.cert)
    m.del_component(m.CERT)
    m.CERT = pyo.Set(dimen=3, initialize=idx, ordered=True)
    m.cert = pyo.Var(m.CERT, domain=pyo.NonNegativeReals)
    by_seller: dict[str, list] = {r: [] for r in sellers}
    for r, s, p in idx:
        by_seller[r].append((s, p))
    limit = {r: min(md.cert_supply_gwh[r], md.cert_export_cap_gwh.get(r, np.inf)) for r in sellers}
    used = [r for r in sellers if by_seller[r]]
    m.cert_supply = pyo.Constraint(used, rule=lambda _m, r: sum(_m.cert[r, s, p] for s, p in by_seller[r]) <= limit[r])
    if md.cert_steps:
        widths = [w for w, _p in md.cert_steps]
        m.CERT_STEP = pyo.Set(initialize=range(len(widths)), ordered=True)
        m.cert_step = pyo.Var(
            m.CERT_STEP,
            domain=pyo.NonNegativeReals,
            bounds=lambda _m, k: (0.0, None if widths[k] == float("inf") else widths[k]),
        )
        m.cert_market = pyo.Constraint(expr=sum(m.cert[i] for i in m.CERT) == sum(m.cert_step[k] for k in m.CERT_STEP))
    if md.matching == "monthly":
        share = {p: float(W[:, p].sum()) / float(md.slices.weight.sum()) for p in periods}
        m.cert_supply_month = pyo.Constraint(
            used,
            m.P,
            rule=lambda _m, r, p: (
                sum(_m.cert[r, s, q] for s, q in by_seller[r] if q == p) <= md.cert_supply_gwh[r] * share[p]
            ),
        )
