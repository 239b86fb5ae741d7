"""Green-power quota at the sites the policy covers."""

from __future__ import annotations

import pyomo.environ as pyo

from optimizer.model.families.certificates import matching_periods
from optimizer.model.families.linear import constraint_from, linear, var_grid
from optimizer.model.modeldata import ModelData


def add_green_quota(m: pyo.ConcreteModel, md: ModelData) -> None:
    """Green energy covers at least q_s of the site's consumption in every matching period p (GWh)::

        green_quota[s,p]:  Σ_t W[t,p]·green[s,t] + Σ_r′ cert[r′,s,p] (+ Σ_t W[t,p]·ρ_r·grid[s,t] if the grid mix counts)
                           ≥ q_s · (H_p · load_training[s] + I_s,p · load_inference[s])
        cert_share_cap[s,p]:  Σ_r′ cert[r′,s,p] ≤ max_share · q_s · (H_p · load_training[s] + I_s,p · load_inference[s])

    with H_p = Σ_t W[t,p] and I_s,p = Σ_t W[t,p]·shape_s,t (the inference curve in the site's local time). Under
    hourly matching p = t and certificates are absent.
    ρ_r is the grid's renewable share (the region's total RPS weight).
    """
    periods, W = matching_periods(md)
    covered = [s for s in md.sites if md.site_quota[s] > 0]
    certs_of: dict[tuple[str, int], list[str]] = {}
    for r, s, p in m.CERT:
        certs_of.setdefault((s, p), []).append(r)
    cols = {p: [t for t in range(md.slices.n) if W[t, p] > 0] for p in periods}
    H = {p: float(W[:, p].sum()) for p in periods}
    I_: dict[tuple[str, int], float] = {}
    for s in covered:
        Is = md.inference_shape(s) @ W  # (P,): Σ_t W[t,p]·shape_s,t
        I_.update({(s, p): float(Is[p]) for p in periods})

    def _energy(_m, s, p):
        return H[p] * _m.load_training[s] + I_[s, p] * _m.load_inference[s]

    green = var_grid(m.green, len(md.sites), md.slices.n)
    site_pos = {s: i for i, s in enumerate(md.sites)}
    rows = {}
    for s in covered:
        q = md.site_quota[s]
        rho = md.region_grid_green[md.site_region[s]] if md.grid_mix_counts else 0.0
        lt, li, g = m.load_training[s], m.load_inference[s], green[site_pos[s]]
        for p in periods:
            # Σ W·green + ρ·Σ W·grid  with grid = load − green  →  Σ W·(1−ρ)·green + ρ·(H_p·L_tr + I_s,p·L_inf);
            # the row is  q·(H_p·L_tr + I_s,p·L_inf) − lhs ≤ 0
            terms = [(q * H[p], lt), (q * I_[s, p], li)]
            terms += [(-(float(W[t, p]) * (1.0 - rho)), g[t]) for t in cols[p]]
            terms += [(-1, m.cert[r, s, p]) for r in certs_of.get((s, p), [])]
            if rho > 0:
                terms += [(-(rho * H[p]), lt), (-(rho * I_[s, p]), li)]
            rows[s, p] = (None, linear(terms), 0)

    m.QP = pyo.Set(initialize=[(s, p) for s in covered for p in periods], dimen=2, ordered=True)
    constraint_from(m, "green_quota", rows, m.QP)
    if md.cert_max_share < 1.0 and len(m.CERT):
        with_certs = [(s, p) for (s, p) in m.QP if certs_of.get((s, p))]
        m.cert_share_cap = pyo.Constraint(
            with_certs,
            rule=lambda _m, s, p: (
                sum(_m.cert[r, s, p] for r in certs_of[(s, p)])
                <= md.cert_max_share * md.site_quota[s] * _energy(_m, s, p)
            ),
        )
