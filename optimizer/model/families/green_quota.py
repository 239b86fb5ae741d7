"""Green-power quota at the sites the policy covers."""

from __future__ import annotations

import pyomo.environ as pyo

from optimizer.model.families.certificates import matching_periods
from optimizer.model.families.linear import constraint_from, linear, var_grid
from optimizer.model.families.spec import TOL, Explanation, Shortfall, solved
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


# --------------------------------------------------------------------------------------------------------------
# infeasibility diagnosis: a quota (or the certificate cap on it) that had to be relaxed, in the user's terms


def _trade_word(md: ModelData) -> str:
    return {"CNY": "cross-province", "USD": "cross-state"}.get(md.currency, "cross-region")


def _site_energy(m, md: ModelData, s: str) -> float:
    """Annual energy (GWh) of the clusters the elastic solution put at ``s``."""
    w = md.slices.weight
    H = float(w.sum())
    inf = float((w * md.inference_shape(s)).sum())
    return H * solved(m.load_training[s]) + inf * solved(m.load_inference[s])


def _quota_reasons(m, md: ModelData, s: str) -> list[str]:
    why = []
    r = md.site_region[s]
    if md.matching == "hourly":
        why.append("hourly matching: certificates do not count")
    elif not md.cert_cross_region:
        why.append(f"{_trade_word(md)} certificates are off (policy.certificates.cross_region: false)")
    if md.matching != "hourly":
        sellers = [x for x in md.regions if md.cert_supply_gwh.get(x, 0.0) > 0]
        reach = sellers if md.cert_cross_region else [x for x in sellers if x == r]
        if not reach:
            where = "anywhere" if md.cert_cross_region else f"in {r}"
            why.append(f"no tradable certificates {where}")
        else:
            used = sum(solved(m.cert[i]) for i in m.CERT if i[0] in reach)
            avail = sum(md.cert_supply_gwh[x] for x in reach)
            if used >= avail - 1e-3:
                why.append(f"the certificate supply it can reach ({avail:,.0f} GWh/yr) is used up")
        if md.cert_max_share < 1.0:
            why.append(f"certificates may meet at most {md.cert_max_share:.0%} of the quota")
    if not md.new_renewables:
        why.append("new renewables are off (grid.new_renewables: false)")
    else:
        w_full = solved(m.wind[r]) >= md.wind_pot_gw[r] - 1e-6
        s_full = solved(m.solar[r]) >= md.solar_pot_gw[r] - 1e-6
        if w_full and s_full:
            why.append("local renewable potential is exhausted")
        inflow = [c for c in md.corridors if c.b == r]
        if inflow and all(max(solved(m.flow[c.id, t]) for t in m.T) >= c.cap_gw - 1e-6 for c in inflow):
            why.append("every corridor into the region is full")
    return why


def explain_quota(sf: Shortfall) -> Explanation:
    """A site's green quota short by Σσ GWh/yr, as a share of its consumption, with the reasons in the data."""
    md, subj, total = sf.md, sf.subject, sf.total
    energy = _site_energy(sf.m, md, subj)
    share = total / energy if energy > 1e-9 else None
    q = md.site_quota[subj]
    kind = "hub site" if subj in sf.hubs else "site"
    pct = f" ({share:.0%} of its consumption)" if share is not None else ""
    when = ""
    if md.matching != "annual" and len(sf.periods) > 1:
        short = sum(1 for v, _ in sf.values if v > TOL)
        unit = "months" if md.matching == "monthly" else "time slices"
        when = f" in {short} of {len(sf.periods)} {unit}"
    msg = f"{kind} {subj}: {q:.0%} quota short by {total:,.0f} GWh/yr{pct}{when}"
    why = _quota_reasons(sf.m, md, subj)
    if why:
        msg += "; " + "; ".join(why)
    return Explanation(subj, msg, total, "GWh/yr", sf.field, share)


def explain_certificate_cap(sf: Shortfall) -> Explanation:
    """Certificates that would have to exceed their cap on a site's quota by Σσ GWh/yr."""
    msg = (
        f"site {sf.subject}: certificates would have to exceed their {sf.md.cert_max_share:.0%} cap on the quota by "
        f"{sf.total:,.0f} GWh/yr"
    )
    return Explanation(sf.subject, msg, sf.total, "GWh/yr", sf.field, None)
