"""Infeasibility explained in policy terms, with an elastic re-solve (no commercial solver needed).

When a scenario has no feasible placement, an *elastic* copy of the model is solved: every named policy and
limit L gets non-negative slacks ``σ`` (one per row it owns) so that it can be exceeded::

    green_quota[s,p]          lhs + σ ≥ rhs       quota           (GWh)    policy.green_share.min
    cert_share_cap[s,p]       lhs − σ ≤ rhs       certificate_cap (GWh)    policy.certificates.max_share
    cert_supply[r], cert_supply_month[r,p]
                              lhs − σ ≤ rhs       certificate_supply (GWh) policy.certificates.supply_share
    site_capacity[s]          lhs − σ ≤ rhs       site_capacity   (GW)     sites.max_mw
    carbon_cap                lhs − σ ≤ rhs       carbon_cap      (kt)     policy.carbon_cap_t
    bounds of flow[e,t]       flow[e,t] − σ_e ≤ spare_e            (GW)     grid.corridor_capacity_mw
    bounds of wind[r], solar[r]
                              wind[r] − σ ≤ pot_r                  (GW)     grid.potential_scale
    adequacy_load[r]          z_r = … − gap[r],  gap[r] = σ ≥ 0    (GW)     grid.adequacy (firm supply short)

One slack per corridor (not per slice) and one indicator per limit: a limit is *one thing a user could change*
(a site's quota, a corridor's rating, the carbon cap), however many rows it spans. Latency budgets and clusters
with no allowed site are caught before any model is built (:mod:`optimizer.model.adapter`).

**Smallest set, two phases.** A plain weighted L1 (Σ σ / scale) happily spreads a small relaxation over many
limits; a user asked "why" wants the fewest things to change. So:

1. *Cardinality.* Binary ``z_L`` per limit, ``σ ≤ M·z_L`` with M a valid bound from the data (e.g. a site's
   quota can never be short by more than q × the energy of every cluster allowed there). Minimise
   ``Σ_L π_L · z_L`` with ``π = 1`` for policies (quota, certificate cap, carbon cap), ``1.001`` for site limits
   and ``1.002`` for physical/data limits (renewable potential, certificate supply, corridors): among sets of
   the same size the one that names the policy the user wrote wins.
2. *Amounts.* Keep ``Σ π z ≤ optimum`` and minimise ``Σ_L Σ σ / scale_family`` — each family normalised by the
   portfolio's demand in its own unit (energy families by the clusters' annual energy, power families by their
   peak, carbon by that energy × the mean emission factor), plus a 1e-4-weighted normalised cost so the
   reported placement is a sensible one.

If phase 1 finds no solution within half the time limit, phase 2 runs without the indicators (weighted L1); if
it finds one without proving it the fewest, that count is used. The report's method says which. Amounts are
converted to user units: GWh/yr and % of the site's consumption, MW, tCO2/yr.

``--iis``: :func:`compute_iis` asks HiGHS (``Highs.getIis``, tested with highspy 1.15) for an irreducible
infeasible subset of the LP relaxation and maps rows and column bounds back to the stable Pyomo component names.
"""

from __future__ import annotations

import dataclasses
import time
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field

import numpy as np
import pyomo.environ as pyo

from gridsite.errors import Diagnosis, InfeasibleError
from optimizer.model.build import build_model
from optimizer.model.modeldata import ModelData

#: Phase-1 weight per family: policies first, then site limits, then physical / data limits.
PRIORITY = {
    "quota": 1.0,
    "certificate_cap": 1.0,
    "carbon_cap": 1.0,
    "site_capacity": 1.001,
    "corridor": 1.002,
    "potential": 1.002,
    "certificate_supply": 1.002,
    "adequacy": 1.002,
}

#: The scenario field a user would change to relax each family.
FIELD = {
    "quota": "policy.green_share.min",
    "certificate_cap": "policy.certificates.max_share",
    "certificate_supply": "policy.certificates.supply_share",
    "site_capacity": "sites.max_mw",
    "corridor": "grid.corridor_capacity_mw",
    "carbon_cap": "policy.carbon_cap_t",
    "potential": "grid.potential_scale",
    "adequacy": "grid.adequacy",
}

_TOL = 1e-6


@dataclass
class PolicyDiagnosis(Diagnosis):
    """A :class:`Diagnosis` from the elastic re-solve, with the scenario field and the relaxed components."""

    field: str = ""  # the scenario field a user would change (e.g. policy.green_share.min)
    share: float | None = None  # the amount relative to its reference (site consumption, capacity, cap)
    components: tuple[str, ...] = ()  # stable Pyomo names of the relaxed rows / bounds

    def as_dict(self) -> dict:
        return {**super().as_dict(), "field": self.field, "share": self.share, "components": list(self.components)}


@dataclass
class InfeasibleReport(InfeasibleError):
    """:class:`InfeasibleError` with the method used and, when asked for, the HiGHS IIS (``--iis``)."""

    method: str = ""
    iis: dict | None = None


@dataclass
class _Limit:
    family: str
    subject: str
    priority: float
    scale: float  # normalisation in model units
    slacks: list = field(default_factory=list)  # (slack var, big M, component name)


# --------------------------------------------------------------------------------------------------------------
# reference magnitudes (model units: GW, GWh, kt)


def _refs(md: ModelData) -> dict[str, float]:
    """Portfolio-wide reference magnitudes used for big-M bounds and per-family normalisation."""
    max_pue = max(md.site_pue.values()) if md.site_pue else 1.5
    peak = sum(g.design * g.count for g in md.groups) * max_pue
    energy = sum(g.it_gw * g.count for g in md.groups) * max_pue * float(md.slices.weight.sum())
    efs = [md.region_ef[md.site_region[s]] for s in md.sites]
    return {
        "peak_gw": max(peak, 1e-6),
        "energy_gwh": max(energy, 1e-6),
        "carbon_kt": max(energy * (float(np.mean(efs)) if efs else 0.5), 1e-6),
        "max_ef": max(efs) if efs else 1.0,
    }


def _site_demand(md: ModelData) -> dict[str, float]:
    """Peak facility GW of every cluster allowed at each site (an upper bound of what can land there)."""
    out = dict.fromkeys(md.sites, 0.0)
    for g in md.groups:
        for s in g.sites:
            out[s] += g.design * g.count * md.site_pue[s]
    return out


def _elastic_data(md: ModelData) -> ModelData:
    """Corridors with no spare capacity get a token one so their flow columns exist and can be relaxed."""
    corrs = tuple(dataclasses.replace(c, cap_gw=max(c.cap_gw, 1e-9)) for c in md.corridors)
    return dataclasses.replace(md, corridors=corrs)


# --------------------------------------------------------------------------------------------------------------
# the elastic model


def build_elastic(md: ModelData, hard: Iterable[str] = ()):
    """The model of ``md`` with every named policy and limit made elastic; returns ``(model, limits)``.

    ``hard``: families (keys of :data:`PRIORITY`) kept as they are, e.g. ``{"quota"}`` to ask which physical
    limits would have to move if the quota is not negotiable.
    """
    hard = set(hard)
    unknown = hard - set(PRIORITY)
    if unknown:
        raise ValueError(f"unknown limit families {sorted(unknown)} (allowed: {', '.join(PRIORITY)})")
    from optimizer.model.families.certificates import matching_periods

    m = build_model(_elastic_data(md))
    m.obj.deactivate()
    refs = _refs(md)
    _periods, W = matching_periods(md)
    H = W.sum(axis=0)
    site_peak = _site_demand(md)
    site_avg = {s: v for s, v in site_peak.items()}  # peak ≥ mean: a valid bound for period energy too
    m.slack = pyo.VarList(domain=pyo.NonNegativeReals)
    m.elastic = pyo.ConstraintList()
    limits: dict[tuple[str, str], _Limit] = {}
    scale = {
        "quota": refs["energy_gwh"],
        "certificate_cap": refs["energy_gwh"],
        "certificate_supply": refs["energy_gwh"],
        "site_capacity": refs["peak_gw"],
        "corridor": refs["peak_gw"],
        "potential": refs["peak_gw"],
        "carbon_cap": refs["carbon_kt"],
        "adequacy": refs["peak_gw"],
    }

    def limit(family: str, subject: str) -> _Limit:
        key = (family, subject)
        if key not in limits:
            limits[key] = _Limit(family, subject, PRIORITY[family], scale[family])
        return limits[key]

    def relax_rows(comp_name: str, family: str, subject_of, bound_of) -> None:
        comp = getattr(m, comp_name, None)
        if comp is None or family in hard:
            return
        for idx in list(comp.keys()) if comp.is_indexed() else [None]:
            con = comp[idx] if idx is not None else comp
            if not con.active or con.equality:
                continue
            # Pyomo may store "a ≥ b" as "b − a ≤ 0": relax whichever side the row has, in the loosening direction
            sl = m.slack.add()
            if con.upper is not None:
                m.elastic.add(con.body - sl <= con.upper)
            else:
                m.elastic.add(con.body + sl >= con.lower)
            con.deactivate()
            limit(family, subject_of(idx)).slacks.append((sl, max(bound_of(idx), 1e-6), con.name))

    total_quota = sum(md.site_quota[s] * site_avg[s] for s in md.sites) * float(H.sum()) if len(H) else 0.0

    def _quota_m(idx):
        s, p = idx
        return md.site_quota[s] * site_avg[s] * float(H[p]) * 1.01 + 1.0

    relax_rows("green_quota", "quota", lambda i: i[0], _quota_m)
    relax_rows("cert_share_cap", "certificate_cap", lambda i: i[0], _quota_m)
    relax_rows("cert_supply", "certificate_supply", lambda i: i, lambda i: total_quota * 1.01 + 1.0)
    relax_rows("cert_supply_month", "certificate_supply", lambda i: i[0], lambda i: total_quota * 1.01 + 1.0)
    relax_rows("site_capacity", "site_capacity", lambda i: i, lambda i: site_peak[i] * 1.01 + 1e-3)
    relax_rows("carbon_cap", "carbon_cap", lambda i: "all", lambda i: refs["max_ef"] * refs["energy_gwh"] * 1.01 + 1.0)

    # renewable potential: variable bounds → rows with a slack
    sl_cf = md.slices
    for tech, cf, pot in (("wind", sl_cf.wind, md.wind_pot_gw), ("solar", sl_cf.solar, md.solar_pot_gw)):
        if "potential" in hard:
            break
        var = getattr(m, tech)
        mean_cf = dict(zip(sl_cf.regions, (cf * sl_cf.weight).sum(axis=1) / sl_cf.weight.sum(), strict=True))
        for r in m.R:
            ub = var[r].ub
            if ub is None or mean_cf.get(r, 0.0) <= 1e-6:
                continue  # no output there: relaxing it cannot help
            sl = m.slack.add()
            var[r].setub(None)
            m.elastic.add(var[r] - sl <= pot[r])
            big = refs["peak_gw"] / max(mean_cf[r], 0.02) * 2.0
            limit("potential", f"{tech}:{r}").slacks.append((sl, big, f"{tech}[{r}]"))

    # regional adequacy: the gap variable of each region's uncovered-load row is freed
    if "adequacy" not in hard:
        for r in getattr(m, "A", ()):
            gap = m.adequacy_gap[r]
            gap.unfix()
            limit("adequacy", r).slacks.append((gap, refs["peak_gw"] * 1.01 + 1e-3, f"adequacy_load[{r}]"))

    # corridor capacity: one slack per corridor over every slice
    cap = {c.id: c.cap_gw for c in md.corridors}
    for e in m.E if "corridor" not in hard else ():
        sl = m.slack.add()
        for t in m.T:
            v = m.flow[e, t]
            if v.fixed:
                continue
            v.setub(None)
            m.elastic.add(v - sl <= cap[e])
        limit("corridor", e).slacks.append((sl, refs["peak_gw"] * 1.01 + 1e-3, f"flow[{e},*]"))

    # indicators and the two objectives
    keys = sorted(limits)
    m.L = pyo.Set(initialize=range(len(keys)), ordered=True)
    m.z = pyo.Var(m.L, domain=pyo.Binary)
    m.big_m = pyo.ConstraintList()
    for i, k in enumerate(keys):
        for sl, big, _name in limits[k].slacks:
            m.big_m.add(sl <= big * m.z[i])
    m.count_obj = pyo.Objective(expr=sum(limits[k].priority * m.z[i] for i, k in enumerate(keys)))
    amount = sum(sl / limits[k].scale for k in keys for sl, _b, _n in limits[k].slacks)
    cost_ref = refs["energy_gwh"] * max(max(md.site_price.values(), default=0.5), 1e-3) + 1.0
    m.amount_obj = pyo.Objective(expr=amount + 1e-4 * m.total_cost / cost_ref)
    m.amount_obj.deactivate()
    return m, [limits[k] for k in keys]


def _run(m, time_limit: float, threads: int, seed: int, keep: bool = False):
    from optimizer.model.highs import native_solve, run_highs, use_threads

    use_threads(threads)
    with native_solve():
        return run_highs(m, threads=threads, time_limit=max(time_limit, 1.0), mip_gap=1e-6, seed=seed, keep=keep)


def elastic_solve(md: ModelData, time_limit: float = 120.0, threads: int = 1, seed: int = 0, hard: Iterable[str] = ()):
    """Solve the elastic model in two phases; returns ``(model, limits, method)`` or ``None`` when even the
    fully relaxed model has no solution (then something outside the named limits is wrong)."""
    t0 = time.perf_counter()
    m, limits = build_elastic(md, hard)
    run = _run(m, 0.5 * time_limit, threads, seed)
    method = "fewest relaxations (binary indicators), then smallest normalised amounts"
    if run.has_solution:
        best = pyo.value(m.count_obj)
        m.count_cap = pyo.Constraint(expr=m.count_obj.expr <= best + 1e-4)
        if run.status != "optimal":
            method += " (the fewest count was not proven within the time limit)"
    else:
        m.big_m.deactivate()
        method = "weighted L1 over normalised amounts (the count minimisation found no solution in time)"
    m.count_obj.deactivate()
    m.amount_obj.activate()
    run = _run(m, max(time_limit - (time.perf_counter() - t0), 5.0), threads, seed)
    if not run.has_solution:
        return None
    return m, limits, method


# --------------------------------------------------------------------------------------------------------------
# the report, in the user's terms


def _trade_word(md: ModelData) -> str:
    return {"CNY": "cross-province", "USD": "cross-state"}.get(md.currency, "cross-region")


def _val(x) -> float:
    v = pyo.value(x, exception=False)
    return 0.0 if v is None else float(v)


def _site_energy(m, md: ModelData, s: str) -> float:
    """Annual energy (GWh) of the clusters the elastic solution put at ``s``."""
    w = md.slices.weight
    H = float(w.sum())
    inf = float((w * md.inference_shape(s)).sum())
    return H * _val(m.load_training[s]) + inf * _val(m.load_inference[s])


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
            used = sum(_val(m.cert[i]) for i in m.CERT if i[0] in reach)
            avail = sum(md.cert_supply_gwh[x] for x in reach)
            if used >= avail - 1e-3:
                why.append(f"the certificate supply it can reach ({avail:,.0f} GWh/yr) is used up")
        if md.cert_max_share < 1.0:
            why.append(f"certificates may meet at most {md.cert_max_share:.0%} of the quota")
    if not md.new_renewables:
        why.append("new renewables are off (grid.new_renewables: false)")
    else:
        w_full = _val(m.wind[r]) >= md.wind_pot_gw[r] - 1e-6
        s_full = _val(m.solar[r]) >= md.solar_pot_gw[r] - 1e-6
        if w_full and s_full:
            why.append("local renewable potential is exhausted")
        inflow = [c for c in md.corridors if c.b == r]
        if inflow and all(max(_val(m.flow[c.id, t]) for t in m.T) >= c.cap_gw - 1e-6 for c in inflow):
            why.append("every corridor into the region is full")
    return why


def describe(m, md: ModelData, limits: list[_Limit], hub_sites: Iterable[str] = ()) -> list[PolicyDiagnosis]:
    """Turn the positive slacks of a solved elastic model into messages with amounts in user units."""
    from optimizer.model.families.certificates import matching_periods

    periods, _W = matching_periods(md)
    hubs = set(hub_sites)
    out: list[PolicyDiagnosis] = []
    for lim in limits:
        vals = [(_val(sl), name) for sl, _b, name in lim.slacks]
        total = sum(v for v, _ in vals)
        if total <= _TOL * max(lim.scale, 1.0):
            continue
        comps = tuple(name for v, name in vals if v > _TOL)
        fam, subj = lim.family, lim.subject
        if fam == "quota":
            energy = _site_energy(m, md, subj)
            share = total / energy if energy > 1e-9 else None
            q = md.site_quota[subj]
            kind = "hub site" if subj in hubs else "site"
            pct = f" ({share:.0%} of its consumption)" if share is not None else ""
            when = ""
            if md.matching != "annual" and len(periods) > 1:
                short = sum(1 for v, _ in vals if v > _TOL)
                unit = "months" if md.matching == "monthly" else "time slices"
                when = f" in {short} of {len(periods)} {unit}"
            msg = f"{kind} {subj}: {q:.0%} quota short by {total:,.0f} GWh/yr{pct}{when}"
            why = _quota_reasons(m, md, subj)
            if why:
                msg += "; " + "; ".join(why)
            out.append(PolicyDiagnosis("quota", subj, msg, total, "GWh/yr", FIELD[fam], share, comps))
        elif fam == "site_capacity":
            mw = total * 1000.0
            cap_mw = md.site_cap_gw[subj] * 1000.0
            share = mw / cap_mw if cap_mw > 0 else None
            msg = (
                f"site {subj}: the clusters need {cap_mw + mw:,.0f} MW at peak, {mw:,.0f} MW more than its "
                f"{cap_mw:,.0f} MW capacity (sites.max_mw)"
            )
            out.append(PolicyDiagnosis("site_capacity", subj, msg, mw, "MW", f"{FIELD[fam]}.{subj}", share, comps))
        elif fam == "carbon_cap":
            t = total * 1000.0
            cap_t = (md.carbon_cap_kt or 0.0) * 1000.0
            share = t / cap_t if cap_t > 0 else None
            rel = "" if share is None else f" ({share:.0%} over)" if share < 10 else f" ({share + 1:,.0f}× the cap)"
            msg = (
                f"carbon cap of {cap_t:,.0f} tCO2/yr cannot be met: the clusters emit at least {cap_t + t:,.0f} "
                f"tCO2/yr ({md.accounting.replace('_', '-')}), {t:,.0f} tCO2/yr over the cap{rel}"
            )
            if not md.new_renewables:
                msg += "; new renewables are off (grid.new_renewables: false)"
            if md.accounting == "location_based" and md.matching != "hourly":
                msg += "; certificates do not lower location-based emissions"
            out.append(PolicyDiagnosis("carbon_cap", "all", msg, t, "tCO2/yr", FIELD[fam], share, comps))
        elif fam == "certificate_supply":
            supply = md.cert_supply_gwh.get(subj, 0.0)
            cap = md.cert_export_cap_gwh.get(subj)
            lim_txt = f"{min(supply, cap) if cap is not None else supply:,.0f} GWh/yr"
            share = total / supply if supply > 0 else None
            msg = f"region {subj}: {total:,.0f} GWh/yr more certificates needed than its tradable supply of {lim_txt}"
            fld = "policy.certificates.export_cap_gwh" if cap is not None and cap < supply else FIELD[fam]
            out.append(PolicyDiagnosis("certificate_supply", subj, msg, total, "GWh/yr", fld, share, comps))
        elif fam == "certificate_cap":
            msg = (
                f"site {subj}: certificates would have to exceed their {md.cert_max_share:.0%} cap on the quota by "
                f"{total:,.0f} GWh/yr"
            )
            out.append(PolicyDiagnosis("certificate_cap", subj, msg, total, "GWh/yr", FIELD[fam], None, comps))
        elif fam == "potential":
            tech, _, r = subj.partition(":")
            mw = total * 1000.0
            pot = (md.wind_pot_gw if tech == "wind" else md.solar_pot_gw)[r] * 1000.0
            if not md.new_renewables:
                msg = f"region {r}: {mw:,.0f} MW of new {tech} needed, but new renewables are off (grid.new_renewables)"
                fld = "grid.new_renewables"
            else:
                msg = f"region {r}: {mw:,.0f} MW of new {tech} needed beyond its remaining potential of {pot:,.0f} MW"
                fld = FIELD[fam]
            out.append(PolicyDiagnosis("potential", r, msg, mw, "MW", fld, mw / pot if pot > 0 else None, comps))
        elif fam == "adequacy":
            mw = total * 1000.0
            ad = md.adequacy
            head = ad.headroom_raw_min.get(subj, 0.0) * 1000.0
            design = {g.id: g.design for g in md.groups}
            added = 1000.0 * sum(
                _val(m.build[k, s]) * md.site_pue[s] * design[k] for k, s in m.KS if md.site_region[s] == subj
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
            out.append(PolicyDiagnosis("adequacy", subj, msg, mw, "MW", fld, mw / added if added > 0 else None, comps))
        elif fam == "corridor":
            mw = total * 1000.0
            cap_mw = next(c.cap_gw for c in md.corridors if c.id == subj) * 1000.0
            msg = f"corridor {subj}: {mw:,.0f} MW more transfer needed than its {cap_mw:,.0f} MW spare capacity"
            out.append(
                PolicyDiagnosis(
                    "corridor", subj, msg, mw, "MW", f"{FIELD[fam]}.{subj}", mw / cap_mw if cap_mw > 0 else None, comps
                )
            )
    out.sort(key=lambda d: (PRIORITY.get(d.kind, 2.0), -(d.amount or 0.0), d.subject))
    return out


_NO_PLACEMENT = (
    "even with every policy and limit relaxed no placement exists: check each cluster's allowed sites and the "
    "scenario's fixed plan"
)
_NO_RELAXATION = (
    "the elastic re-solve needed no relaxation: the infeasibility is numerical or comes from HiGHS stopping "
    "early; retry with a smaller --mip-gap or a longer --time-limit"
)


def _diagnose(md: ModelData, time_limit, threads, seed, hard=(), hub_sites=()) -> tuple[list[Diagnosis], str]:
    got = elastic_solve(md, time_limit=time_limit, threads=threads, seed=seed, hard=hard)
    if got is None:
        return [Diagnosis("unknown", "model", _NO_PLACEMENT)], ""
    m, limits, method = got
    return (describe(m, md, limits, hub_sites) or [Diagnosis("numerical", "model", _NO_RELAXATION)]), method


def diagnose_infeasible(
    md: ModelData,
    time_limit: float = 120.0,
    threads: int = 1,
    seed: int = 0,
    hard: Iterable[str] = (),
    hub_sites: Iterable[str] = (),
) -> list[Diagnosis]:
    """Re-solve an elastic copy of the model and describe the smallest set of relaxations it needed.

    ``hard`` names limit families that must not be relaxed (see :func:`build_elastic`); ``hub_sites`` are
    called "hub site" in messages."""
    return _diagnose(md, time_limit, threads, seed, hard, hub_sites)[0]


def explain_infeasible(
    md: ModelData,
    *,
    time_limit: float = 120.0,
    threads: int = 1,
    seed: int = 0,
    iis: bool = False,
    hub_sites: Iterable[str] = (),
) -> InfeasibleReport:
    """The exception to raise for an infeasible model: the diagnosis, and the HiGHS IIS when ``iis``."""
    diag, method = _diagnose(md, time_limit, threads, seed, (), hub_sites)
    n = sum(1 for d in diag if isinstance(d, PolicyDiagnosis))
    summary = "no placement meets every policy and limit of this scenario"
    if n:
        summary += f"; the smallest set of relaxations that restores feasibility ({n}):"
    report = InfeasibleReport(summary, diag, method=method)
    if iis:
        report.iis = compute_iis(md, time_limit=time_limit, threads=threads)
    return report


# --------------------------------------------------------------------------------------------------------------
# irreducible infeasible subset (HiGHS)

_BOUND = {2: "lower", 3: "upper", 4: "both bounds"}
_VAR_MEANING = {
    "wind": "renewable potential (grid.potential_scale / grid.new_renewables)",
    "solar": "renewable potential (grid.potential_scale / grid.new_renewables)",
    "flow": "corridor spare capacity (grid.corridor_capacity_mw)",
    "battery_power": "battery power limit (grid.storage.max_gw_per_region)",
}


def compute_iis(md: ModelData, time_limit: float = 60.0, threads: int = 1) -> dict:
    """An irreducible infeasible subset of the model's LP relaxation from HiGHS, in component names.

    Returns ``{"available": bool, "message": str, "rows": {family: [names]}, "bounds": {family: [names]}}``.
    When highspy has no IIS support, or the LP relaxation is feasible (the conflict lies in the clusters being
    indivisible), ``available`` is False and ``message`` says why; nothing is made up.
    """
    import highspy

    def none(msg: str) -> dict:
        return {"available": False, "message": msg, "rows": {}, "bounds": {}}

    if not hasattr(highspy.Highs, "getIis") or not hasattr(highspy, "IisStrategy"):
        return none(f"this highspy ({_highspy_version()}) has no IIS support (needs Highs.getIis and IisStrategy)")
    m = build_model(md)
    run = _run(m, time_limit, threads, 0, keep=True)
    if run.highs is None:
        return none(f"the model could not be handed to HiGHS ({run.model_status}); no IIS")
    if run.has_solution:
        return none("HiGHS found the model feasible on this run; no IIS")
    h = run.highs
    s = highspy.IisStrategy
    # IIS of the MIP's LP relaxation, made irreducible, preferring column bounds
    strategy = int(s.kIisStrategyRelaxation) | int(s.kIisStrategyIrreducible) | int(s.kIisStrategyColPriority)
    h.setOptionValue("output_flag", False)
    h.setOptionValue("iis_strategy", strategy)
    h.setOptionValue("iis_time_limit", float(time_limit))
    status, iis = h.getIis()
    rows: dict[str, list[str]] = defaultdict(list)
    bounds: dict[str, list[str]] = defaultdict(list)
    nonneg = 0
    if status != highspy.HighsStatus.kError and iis.valid_:
        for r in iis.row_index_:
            name = run.row_names[int(r)] if int(r) < len(run.row_names) else f"row {int(r)}"
            rows[name.split("[")[0]].append(name)
        for c, b in zip(iis.col_index_, iis.col_bound_, strict=False):
            if int(b) not in _BOUND or int(c) >= len(run.col_names):
                continue
            name = run.col_names[int(c)]
            fam = name.split("[")[0]
            if int(b) == 2 or fam == "build":
                nonneg += 1  # x ≥ 0 and the 0/1 (count) domain of placements: true but not informative
                continue
            bounds[fam].append(f"{name} ({_BOUND[int(b)]})")
    if not rows and not bounds:
        if _lp_relaxation_feasible(h):
            return none(
                "the LP relaxation is feasible: the conflict comes from clusters being indivisible (whole clusters "
                "per site), which an LP-based IIS cannot show; see the diagnosis"
            )
        return none(f"HiGHS could not compute an IIS ({status.name})")
    return {
        "available": True,
        "message": f"irreducible infeasible subset of the LP relaxation: {sum(map(len, rows.values()))} rows, "
        f"{sum(map(len, bounds.values()))} variable bounds (+{nonneg} non-negativity / placement-domain bounds)",
        "rows": {k: sorted(v) for k, v in sorted(rows.items())},
        "bounds": {k: sorted(v) for k, v in sorted(bounds.items())},
        "meaning": {k: _VAR_MEANING[k] for k in sorted(bounds) if k in _VAR_MEANING},
    }


def _lp_relaxation_feasible(h) -> bool:
    import highspy

    lp = h.getLp()
    n = lp.num_col_
    if len(lp.integrality_):
        h.changeColsIntegrality(n, np.arange(n, dtype=np.int32), np.array([highspy.HighsVarType.kContinuous] * n))
    h.run()
    return h.getModelStatus() == highspy.HighsModelStatus.kOptimal


def format_iis(iis: dict, per_family: int = 6) -> str:
    """A few lines for the terminal: each family with a count and its first members."""
    if not iis.get("available"):
        return f"IIS: not available: {iis.get('message', '')}"
    lines = [f"IIS: {iis['message']}"]
    for title, part in (("rows", iis["rows"]), ("bounds", iis["bounds"])):
        for fam, names in part.items():
            more = f", … (+{len(names) - per_family})" if len(names) > per_family else ""
            extra = f" — {iis.get('meaning', {}).get(fam)}" if fam in iis.get("meaning", {}) else ""
            lines.append(f"  {title[:-1]} {fam} ×{len(names)}{extra}: {', '.join(names[:per_family])}{more}")
    return "\n".join(lines)


def _highspy_version() -> str:
    from importlib import metadata

    try:
        return metadata.version("highspy")
    except metadata.PackageNotFoundError:  # pragma: no cover
        return "unknown"
