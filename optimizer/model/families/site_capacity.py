"""Site capacity."""

from __future__ import annotations

import pyomo.environ as pyo

from optimizer.model.families.spec import Explanation, Shortfall
from optimizer.model.modeldata import ModelData


def add_site_capacity(m: pyo.ConcreteModel, md: ModelData) -> None:
    """The facility load at its peak fits the site::

        site_capacity[s]:  PUE_s · Σ_k design_k · build[k,s] ≤ cap_s      (GW)

    design_k is the cluster's IT design power (servers at full load plus networking and storage).
    """
    groups = {g.id: g for g in md.groups}
    by_site: dict[str, list[str]] = {s: [] for s in md.sites}
    for k, s in md.group_pairs():
        by_site[s].append(k)
    m.site_capacity = pyo.Constraint(
        [s for s in md.sites if by_site[s]],
        rule=lambda _m, s: (
            md.site_pue[s] * sum(groups[k].design * _m.build[k, s] for k in by_site[s])
            <= md.site_cap_gw[s]
        ),
    )


def explain_site_capacity(sf: Shortfall) -> Explanation:
    """A site whose clusters need Σσ GW more than its capacity, in MW."""
    mw = sf.total * 1000.0
    cap_mw = sf.md.site_cap_gw[sf.subject] * 1000.0
    share = mw / cap_mw if cap_mw > 0 else None
    msg = (
        f"site {sf.subject}: the clusters need {cap_mw + mw:,.0f} MW at peak, {mw:,.0f} MW more than its "
        f"{cap_mw:,.0f} MW capacity (sites.max_mw)"
    )
    return Explanation(sf.subject, msg, mw, "MW", f"{sf.field}.{sf.subject}", share)
