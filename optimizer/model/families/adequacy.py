"""Regional supply adequacy: the clusters' added peak load against the grid's firm headroom, hour by hour.

Every active region r (a region with a candidate site whose headroom the clusters allowed there could exceed, or
one that may send firm power to such a region) has an
hourly *firm headroom* over the 8,760 hours of the year (from the region set, see :mod:`optimizer.model.adapter`)::

    H_r(h) = max(0, firm_r + firm_imports_r − own_load_r(h) · (1 + reserve margin))            (GW)

smallest in the region's own peak hours. Clusters are sized on design power: in every hour a region must carry
the design facility power X_r of the clusters placed in it (a flat, conservative draw: any cluster may run at full
power in any hour). What the headroom cannot carry must come from firm imports over corridors, new firm capacity,
or be shed by flexible clusters (load flexibility), within each cluster's allowance.

The requirement in hour h is ``z_r − H_r(h) ≤ shed_r(h)`` where the *uncovered load* z_r is defined once::

    adequacy_load[r]:   z_r = X_r + Σ_{e out of r} imp[e] − Σ_{e into r} (1 − loss_e) · imp[e]
                              − a · new_firm[r] − gap[r]
    X_r = Σ_{s in r} PUE_s · Σ_k design_k · build[k,s]

``imp[e]`` is a firm import reserved on corridor e for the whole year (GW), ``a`` the firm share (availability)
of new firm capacity, ``gap[r]`` a slack fixed at 0 (the infeasibility diagnosis frees it). Rather than 8,760
rows per region, the energy that must be shed over the year, F_r(z) = Σ_h max(0, z − H_r(h)) (GWh), is used: F_r
is convex and piecewise linear in z (its slope at z is the number of hours with H_r(h) < z), so its epigraph is
exact at breakpoints z_j = the n_j-th smallest headroom (n_j geometric with ratio 1.2 from 1 to 8,760, about 45
points) and interpolated linearly between them — an over-estimate between breakpoints, so never optimistic::

    adequacy_shed[r,j]:  shed_r ≥ F_r(z_j) + slope_j · (z_r − z_j)          (GWh; one row per segment j)
    adequacy_floor[r]:   z_r − X_r ≤ min_h H_r(h)                          (what is not the clusters' own load —
                                                                            exports less imports — fits every hour)
    flexibility[r]:      shed_r ≤ Σ_{s in r} Σ_k flex_k · PUE_s · it_k · 8760 · build[k,s]

so with no flexible cluster shed_r = 0 and z_r ≤ min_h H_r(h): the peak hour binds. Firm imports and green flows
share the corridor's spare capacity in every slice, and the exporter's own headroom carries what it sends (its
z includes its exports)::

    corridor_share[e,t]:  flow[e,t] + imp[e] ≤ spare_e

Grid energy bought through the import (annual, GWh) carries the exporting region's price and emission factor and
replaces the same energy bought at the receiving site's price::

    import_energy_cap[e]:  gimp[e] ≤ H · imp[e]                        (H = 8,760 h)
    import_displace[r]:    Σ_{e into r} (1 − loss_e) · gimp[e] ≤ Σ_{s in r} grid_energy[s]

Cost terms: ``new_firm`` = annuity · Σ new_firm, ``grid_imports`` = c_res · Σ_e imp[e] + Σ_e gimp[e] · (price_a +
tariff_e − (1 − loss_e) · price_b): the yearly charge c_res for reserving firm transmission, plus the import bill
net of the purchase it replaces (negative when importing energy saves money),
``flexibility`` = cost per GWh shed · Σ shed. Emissions: Σ_e gimp[e] · (EF_a − (1 − loss_e) · EF_b).
New firm capacity is charged its capital and fixed cost only: its energy is part of the region's grid purchase.
"""

from __future__ import annotations

import itertools

import numpy as np
import pyomo.environ as pyo

from optimizer.model.families.blocks import Group, Slot, add_block, positions
from optimizer.model.families.linear import constraint_from, linear
from optimizer.model.families.spec import Explanation, Shortfall, solved
from optimizer.model.modeldata import ModelData


def breakpoints(h_sorted: np.ndarray, ratio: float = 1.2) -> list[tuple[float, float, float]]:
    """Segments ``(z_j, F(z_j), slope_j)`` of F(z) = Σ_h max(0, z − H_h) for ascending ``h_sorted``.

    F is exact at z_j = h_sorted[n_j − 1] (n_j geometric from 1 to len), linear in between; the last segment
    continues with slope len (every hour short) beyond the largest headroom, where F is exactly linear.
    """
    n_h = len(h_sorted)
    ns = sorted({min(n_h, max(1, round(ratio**k))) for k in range(200) if ratio**k < n_h * ratio} | {1, n_h})
    cum = np.cumsum(h_sorted)
    pts: list[tuple[float, float]] = []
    for n in ns:
        z = float(h_sorted[n - 1])
        f = n * z - float(cum[n - 1])
        if pts and z <= pts[-1][0] + 1e-12:
            pts[-1] = (pts[-1][0], max(pts[-1][1], f))  # ties: keep one point
            continue
        pts.append((z, f))
    segs = []
    for (z0, f0), (z1, f1) in itertools.pairwise(pts):
        segs.append((z0, f0, (f1 - f0) / (z1 - z0)))
    z_last, f_last = pts[-1]
    segs.append((z_last, f_last, float(n_h)))
    return segs


def shed_needed(h_sorted: np.ndarray, z: float) -> float:
    """F(z) = Σ_h max(0, z − H_h), GWh: the energy the clusters must shed for uncovered load z (GW)."""
    return float(np.clip(z - np.asarray(h_sorted), 0.0, None).sum())


def max_flexible_load(h_sorted: np.ndarray, share: float, tol: float = 1e-6) -> float:
    """The largest flat load X (GW) whose shed energy F(X) is at most ``share`` of its own energy X · hours.

    F(X) ÷ (X · hours) rises with X (F convex, F = 0 up to the smallest headroom), so a bisection finds it. With
    share 0 it is the smallest headroom: what fits without any shedding.
    """
    h = np.clip(np.asarray(h_sorted, float), 0.0, None)
    n = len(h)
    if share <= 0:
        return float(h.min())
    lo, hi = float(h.min()), float(h.max()) / max(1.0 - share, 1e-9) + 1.0
    while hi - lo > tol * max(1.0, hi):
        mid = 0.5 * (lo + hi)
        if shed_needed(h, mid) <= share * mid * n:
            lo = mid
        else:
            hi = mid
    return lo


def add_adequacy(m: pyo.ConcreteModel, md: ModelData) -> None:
    """Regional supply adequacy rows (see the module docstring); nothing unless the mode is ``enforce``."""
    ad = md.adequacy
    m.A = pyo.Set(initialize=list(ad.headroom) if ad.mode == "enforce" else [], ordered=True)
    m.EI = pyo.Set(initialize=list(ad.import_corridors) if ad.mode == "enforce" else [], ordered=True)
    corr = {c.id: c for c in md.corridors}
    m.imp = pyo.Var(m.EI, bounds=lambda _m, e: (0.0, corr[e].cap_gw))
    m.gimp = pyo.Var(m.EI, domain=pyo.NonNegativeReals)
    m.new_firm = pyo.Var(m.A, domain=pyo.NonNegativeReals)
    m.shed = pyo.Var(m.A, domain=pyo.NonNegativeReals)
    m.uncovered = pyo.Var(m.A)
    m.adequacy_gap = pyo.Var(m.A, domain=pyo.NonNegativeReals)
    if not len(m.A):
        return
    groups = {g.id: g for g in md.groups}
    sites_of = md.region_sites
    pairs_in: dict[str, list[tuple[str, str]]] = {r: [] for r in m.A}
    for k, s in md.group_pairs():
        r = md.site_region[s]
        if r in pairs_in:
            pairs_in[r].append((k, s))
    for r in m.A:
        m.adequacy_gap[r].fix(0.0)
        if not ad.new_firm:
            m.new_firm[r].fix(0.0)
    outs: dict[str, list[str]] = {r: [] for r in m.A}
    ins: dict[str, list[str]] = {r: [] for r in m.A}
    for e in m.EI:
        outs[corr[e].a].append(e)
        ins[corr[e].b].append(e)

    def _added(r):
        return [(md.site_pue[s] * groups[k].design, m.build[k, s]) for k, s in pairs_in[r]]

    load_rows, floor_rows, shed_rows, flex_rows = {}, {}, {}, {}
    seg_index = []
    for r in m.A:
        # z − X − Σ_out imp + Σ_in (1−loss) imp + a·nf + gap = 0
        terms = [(1, m.uncovered[r])] + [(-c, b) for c, b in _added(r)]
        terms += [(-1, m.imp[e]) for e in outs[r]]
        terms += [(1.0 - corr[e].loss, m.imp[e]) for e in ins[r]]
        terms += [(ad.firm_availability, m.new_firm[r]), (1, m.adequacy_gap[r])]
        load_rows[r] = (0, linear(terms), 0)
        h = ad.headroom[r]
        floor_rows[r] = (None, linear([(1, m.uncovered[r])] + [(-c, b) for c, b in _added(r)]), float(h[0]))
        flex = [
            (groups[k].flex * md.site_pue[s] * groups[k].it_gw * float(md.slices.weight.sum()), m.build[k, s])
            for k, s in pairs_in[r]
            if groups[k].flex > 0
        ]
        # without a flexible cluster shed_r = 0 and the first segment (z ≤ min_h H) implies all the others (F is
        # convex), so only it is written
        segs = breakpoints(h) if flex else breakpoints(h)[:1]
        for j, (zj, fj, slope) in enumerate(segs):
            # shed ≥ F_j + slope·(z − z_j)  ⇔  slope·z − shed ≤ slope·z_j − F_j
            shed_rows[r, j] = (None, linear([(slope, m.uncovered[r]), (-1, m.shed[r])]), slope * zj - fj)
            seg_index.append((r, j))
        if flex:
            flex_rows[r] = (None, linear([(1, m.shed[r])] + [(-c, b) for c, b in flex]), 0)
        else:
            m.shed[r].fix(0.0)
    constraint_from(m, "adequacy_load", load_rows, m.A)
    constraint_from(m, "adequacy_floor", floor_rows, m.A)
    m.ASEG = pyo.Set(initialize=seg_index, dimen=2, ordered=True)
    constraint_from(m, "adequacy_shed", shed_rows, m.ASEG)
    m.A_flex = pyo.Set(initialize=list(flex_rows), ordered=True)
    constraint_from(m, "flexibility", flex_rows, m.A_flex)

    # corridor capacity shared by dedicated green flows and firm imports, in every slice; a corridor without
    # spare capacity has its flows fixed at 0 (corridors) and no rows
    T = md.slices.n
    t_all = np.arange(T, dtype=np.int64)
    col = {c.id: j for j, c in enumerate(md.corridors)}
    imp_pos = positions(m.imp)
    share, keys = [], []
    for e in m.EI:
        if corr[e].cap_gw <= 0:
            continue
        rows = [(e, t) for t in range(T)]
        keys += rows
        slots = (Slot(m.flow, col[e] * T + t_all, 1), Slot(m.imp, np.full(T, imp_pos[e]), 1))
        share.append(Group(rows, slots, None, corr[e].cap_gw))
    m.EIT = pyo.Set(initialize=keys, dimen=2, ordered=True)
    add_block(m, "corridor_share", share, m.EIT)

    # grid energy through the imports (annual)
    hours = float(md.slices.weight.sum())
    m.import_energy_cap = pyo.Constraint(m.EI, rule=lambda _m, e: _m.gimp[e] <= hours * _m.imp[e])
    recv = [r for r in m.A if ins[r] and sites_of.get(r)]
    m.A_recv = pyo.Set(initialize=recv, ordered=True)
    m.import_displace = pyo.Constraint(
        m.A_recv,
        rule=lambda _m, r: sum((1.0 - corr[e].loss) * _m.gimp[e] for e in ins[r])
        <= sum(_m.grid_energy[s] for s in sites_of[r]),
    )


def import_cost_coefficients(md: ModelData) -> dict[str, float]:
    """Net cost (M per GWh sent) of grid energy imported over each import corridor: exporter's price + tariff −
    (1 − loss) · the receiving region's site price."""
    ad = md.adequacy
    corr = {c.id: c for c in md.corridors}
    return {
        e: ad.region_price[corr[e].a] + corr[e].wheel_m_per_gwh - (1.0 - corr[e].loss) * ad.dest_price[corr[e].b]
        for e in ad.import_corridors
    }


def import_emission_coefficients(md: ModelData) -> dict[str, float]:
    """Net emissions (kt per GWh sent) of imported grid energy: EF_a − (1 − loss) · EF_b."""
    corr = {c.id: c for c in md.corridors}
    return {
        e: md.region_ef[corr[e].a] - (1.0 - corr[e].loss) * md.region_ef[corr[e].b]
        for e in md.adequacy.import_corridors
    }


def explain_adequacy(sf: Shortfall) -> Explanation:
    """A region whose firm supply falls Σσ GW short at its tightest hour, in MW, with what could close the gap."""
    md, m, subj = sf.md, sf.m, sf.subject
    mw = sf.total * 1000.0
    ad = md.adequacy
    head = ad.headroom_raw_min.get(subj, 0.0) * 1000.0
    design = {g.id: g.design for g in md.groups}
    added = 1000.0 * sum(
        solved(m.build[k, s]) * md.site_pue[s] * design[k] for k, s in m.KS if md.site_region[s] == subj
    )
    ways = []
    if not ad.new_firm:
        ways.append("new firm capacity is off (grid.adequacy.new_firm)")
    if not any(c.b == subj for c in md.corridors if c.id in ad.import_corridors):
        ways.append("no corridor with spare capacity brings firm imports")
    msg = (
        f"region {subj}: the clusters' added peak of {added:,.0f} MW exceeds what its grid can supply at the "
        f"tightest hour (firm headroom {head:,.0f} MW at {ad.reserve_margin:.0%} reserve margin, plus imports"
        f" and new firm capacity) by {mw:,.0f} MW"
    )
    if ways:
        msg += "; " + "; ".join(ways)
    fld = "grid.adequacy.new_firm" if not ad.new_firm else f"grid.adequacy.headroom_mw.{subj}"
    return Explanation(subj, msg, mw, "MW", fld, mw / added if added > 0 else None)
