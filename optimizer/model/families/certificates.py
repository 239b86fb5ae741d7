"""Green certificates (1 certificate = 1 MWh of renewable attribute; here in GWh)."""

from __future__ import annotations

import numpy as np
import pyomo.environ as pyo

from optimizer.model.families.spec import Explanation, Shortfall
from optimizer.model.modeldata import ModelData


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


def certificate_index(md: ModelData, sellers: list[str], periods: list[int]) -> list[tuple[str, str, int]]:
    """The (seller region r′, site s, period p) triples a certificate may be bought for: sites under a quota (every
    site under market-based accounting) from their own region, or from any seller when trading crosses regions."""
    buyers = [s for s in md.sites if md.site_quota[s] > 0 or md.accounting == "market_based"]
    idx: list[tuple[str, str, int]] = []
    for s in buyers:
        home = md.site_region[s]
        for r in sellers:
            if r == home or md.cert_cross_region:
                idx.extend((r, s, p) for p in periods)
    return idx


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

    When the grid mix counts toward the quota, the clusters' grid consumption also raises their host region's
    renewable obligation, which eats into the surplus it can sell (:func:`add_obligation_on_supply`).
    """
    hourly = md.matching == "hourly"
    periods, W = ([0], np.empty((0, 1))) if hourly else matching_periods(md)
    sellers = [r for r in md.regions if md.cert_supply_gwh[r] > 0]
    idx = [] if hourly else certificate_index(md, sellers, periods)
    m.P = pyo.Set(initialize=periods, ordered=True)
    m.CERT = pyo.Set(dimen=3, initialize=idx, ordered=True)
    m.cert = pyo.Var(m.CERT, domain=pyo.NonNegativeReals)
    if hourly:
        return
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
    if md.grid_mix_counts:
        add_obligation_on_supply(m, md, {r: by_seller[r] for r in used}, periods, W)


def add_obligation_on_supply(
    m: pyo.ConcreteModel, md: ModelData, by_seller: dict[str, list], periods: list[int], W: np.ndarray
) -> None:
    """With the grid mix counted, the clusters' grid energy in r raises r's own renewable obligation (GWh)::

        sellable_r,p = σ · max(0, surplus_r · f_p − ρ_r · G_r,p)          (no certificate is counted twice)
        G_r,p = Σ_{s in r} Σ_t W[t,p] · grid[s,t]
              = Σ_{s in r} (H_p · load_training[s] + I_s,p · load_inference[s] − Σ_t W[t,p] · green[s,t])

    with ρ_r the non-hydro RPS weight (the obligation met by the wind and solar certificates the surplus counts),
    σ = supply_share, f_p the share of the year in period p (1 under annual matching) and supply_r = σ·surplus_r.
    Counting ρ_r·G_r,p toward the sites' quota is only sound if the region keeps those certificates for itself,
    so it cannot also sell them to the clusters. The max(0, ·) is exact with one binary z_r,p per seller region
    whose obligation can exceed its surplus (M_r,p = σ·ρ_r·Gmax_r,p − supply_r·f_p > 0, Gmax_r,p = H_p · Σ_{s in r}
    cap_s, the site capacities bounding the grid draw)::

        cert_obligation[r,p]:  Σ_s cert[r,s,p] + σ·ρ_r·G_r,p ≤ supply_r·f_p + M_r,p·(1 − z_r,p)
        cert_seller[r,p]:      Σ_s cert[r,s,p] ≤ supply_r·f_p · z_r,p

    (z_r,p = 1: r sells at most what its surplus leaves after the added obligation; z_r,p = 0: it sells nothing
    and the first row is slack). Where M_r,p ≤ 0 the surplus always covers the obligation: the first row alone,
    without z. Only seller regions that hold candidate sites get rows; elsewhere the clusters add no obligation.
    """
    from optimizer.model.families.linear import linear, var_grid

    rho = md.region_rps_nonhydro or {}
    sigma = md.cert_supply_share
    sites_of = md.region_sites
    hours = float(md.slices.weight.sum())
    f = {p: float(W[:, p].sum()) / hours for p in periods}
    H = {p: float(W[:, p].sum()) for p in periods}
    cols = {p: [t for t in range(md.slices.n) if W[t, p] > 0] for p in periods}
    green = var_grid(m.green, len(md.sites), md.slices.n)
    pos = {s: i for i, s in enumerate(md.sites)}
    I_ = {s: md.inference_shape(s) @ W for s in md.sites}
    rows, switch, idx_z = {}, {}, []
    for r, sold in by_seller.items():
        a = sigma * rho.get(r, 0.0)
        if a <= 0 or not sites_of[r]:
            continue
        for p in periods:
            certs = [m.cert[r, s, q] for s, q in sold if q == p]
            terms: list[tuple[float, object]] = [(1, c) for c in certs]
            for s in sites_of[r]:
                terms += [(a * H[p], m.load_training[s]), (a * float(I_[s][p]), m.load_inference[s])]
                terms += [(-a * float(W[t, p]), green[pos[s], t]) for t in cols[p]]
            rhs = md.cert_supply_gwh[r] * f[p]
            big_m = a * H[p] * sum(md.site_cap_gw[s] for s in sites_of[r]) - rhs
            if big_m > 1e-9:
                idx_z.append((r, p))
                rows[r, p] = (terms, rhs, big_m)
                switch[r, p] = [(1, c) for c in certs]
            else:
                rows[r, p] = (terms, rhs, 0.0)
    m.CERT_OBL = pyo.Set(initialize=list(rows), dimen=2, ordered=True)
    m.CERT_Z = pyo.Set(initialize=idx_z, dimen=2, ordered=True)
    m.cert_sells = pyo.Var(m.CERT_Z, domain=pyo.Binary)

    def _obligation(_m, r, p):
        terms, rhs, big_m = rows[r, p]
        if big_m > 0:  # … + M·z ≤ rhs + M
            return (None, linear([*terms, (big_m, _m.cert_sells[r, p])]), rhs + big_m)
        return (None, linear(terms), rhs)

    def _seller(_m, r, p):
        return (None, linear([*switch[r, p], (-(md.cert_supply_gwh[r] * f[p]), _m.cert_sells[r, p])]), 0.0)

    m.cert_obligation = pyo.Constraint(m.CERT_OBL, rule=_obligation)
    m.cert_seller = pyo.Constraint(m.CERT_Z, rule=_seller)


def trade_distance(m: pyo.ConcreteModel, md: ModelData, scale: float = 1.0):
    """Distance-weighted volume of cross-region certificates and corridor flows (GWh × 1000 km), or None if the
    model has neither; the secondary objective of the tie-break pass (``optimizer.model.solve``)::

        D = Σ_{(r′,s,p): r′ ≠ r(s)} d(r′, r(s)) · cert[r′,s,p]  +  Σ_{e=(a→b),t} w_t · d(a, b) · flow[e,t]

    d is the great-circle distance between the regions' representative points in 1000 km (home certificates
    weigh 0). Among solutions of equal cost, minimising D keeps certificates in the buyer's region whenever that
    is as cheap, buys the rest from the nearest sellers, and drops dedicated-green flows the optimum does not need.
    ``scale`` multiplies every coefficient (the objective's tie-break charge ε · D is built as one expression).
    """
    from geodata.geo import great_circle_km
    from optimizer.model.families.blocks import ArrayLinear, Slot, positions

    pts = md.region_latlon or {}
    if not pts:
        return None
    dist: dict[tuple[str, str], float] = {}

    def d(a: str, b: str) -> float:
        if (a, b) not in dist:
            dist[a, b] = float(great_circle_km(*pts[a], *pts[b])) / 1000.0
        return dist[a, b]

    cert_pos, cert_coef = [], []
    at = positions(m.cert) if len(m.CERT) else {}
    for r, s, p in m.CERT:
        home = md.site_region[s]
        if r != home and d(r, home) > 0:
            cert_pos.append(at[r, s, p])
            cert_coef.append(scale * d(r, home))
    slots = [Slot(m.cert, np.array(cert_pos, dtype=np.int64), np.array(cert_coef))] if cert_pos else []
    w = md.slices.weight
    T = md.slices.n
    t_all = np.arange(T, dtype=np.int64)
    for j, c in enumerate(md.corridors):  # flow rows in corridor order, as m.E
        if c.cap_gw <= 0 or d(c.a, c.b) <= 0:
            continue
        slots.append(Slot(m.flow, j * T + t_all, w * (scale * d(c.a, c.b))))
    return ArrayLinear(slots) if slots else None


def explain_certificate_supply(sf: Shortfall) -> Explanation:
    """A seller region short of Σσ GWh/yr of certificates (its supply, or its export cap when that binds)."""
    md, subj, total = sf.md, sf.subject, sf.total
    supply = md.cert_supply_gwh.get(subj, 0.0)
    cap = md.cert_export_cap_gwh.get(subj)
    lim_txt = f"{min(supply, cap) if cap is not None else supply:,.0f} GWh/yr"
    share = total / supply if supply > 0 else None
    msg = f"region {subj}: {total:,.0f} GWh/yr more certificates needed than its tradable supply of {lim_txt}"
    fld = "policy.certificates.export_cap_gwh" if cap is not None and cap < supply else sf.field
    return Explanation(subj, msg, total, "GWh/yr", fld, share)
