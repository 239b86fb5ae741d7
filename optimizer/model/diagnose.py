"""Infeasibility explained in policy terms, with an elastic re-solve (no commercial solver needed).

When a scenario has no feasible placement, an *elastic* copy of the model is solved: every named policy and
limit L gets non-negative slacks ``σ`` (one per row it owns) so that it can be exceeded. What is relaxed, how,
for which limit kind, and the message that explains it are declared by each constraint family in
:mod:`optimizer.model.families.registry` (``relaxable``, ``limits``); this module only applies them::

    green_quota[s,p]          lhs + σ ≥ rhs       quota           (GWh)    policy.green_share.min
    cert_share_cap[s,p]       lhs − σ ≤ rhs       certificate_cap (GWh)    policy.certificates.max_share
    cert_supply[r], cert_supply_month[r,p]
                              lhs − σ ≤ rhs       certificate_supply (GWh) policy.certificates.supply_share
    site_capacity[s]          lhs − σ ≤ rhs       site_capacity   (GW)     sites.max_mw
    carbon_cap                lhs − σ ≤ rhs       carbon_cap      (kt)     policy.carbon_cap_t
    bounds of flow[e,t]       flow[e,t] − σ_e ≤ spare_e            (GW)     grid.corridor_capacity_mw
    bounds of wind[r], solar[r]
                              wind[r] − σ ≤ pot_r                  (GW)     grid.potential_scale
    adequacy_load[r]          z_r = … − adequacy_gap[r], the gap column (fixed at 0) freed: σ = adequacy_gap[r] ≥ 0
                                                                   (GW)     grid.adequacy (firm supply short)

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
from optimizer.model.families.registry import FAMILIES, LIMITS, relaxables
from optimizer.model.families.spec import TOL, ElasticRefs, Relaxable, Shortfall, solved
from optimizer.model.modeldata import ModelData

#: Phase-1 weight per limit kind: policies first, then site limits, then physical / data limits.
PRIORITY = {kind: lk.priority for kind, lk in LIMITS.items()}

#: The scenario field a user would change to relax each limit kind.
FIELD = {kind: lk.field for kind, lk in LIMITS.items()}


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


def _refs(md: ModelData) -> ElasticRefs:
    """Portfolio-wide reference magnitudes used for big-M bounds and per-kind normalisation."""
    from optimizer.model.families.certificates import matching_periods

    max_pue = max(md.site_pue.values()) if md.site_pue else 1.5
    peak = sum(g.design * g.count for g in md.groups) * max_pue
    energy = sum(g.it_gw * g.count for g in md.groups) * max_pue * float(md.slices.weight.sum())
    efs = [md.region_ef[md.site_region[s]] for s in md.sites]
    _periods, W = matching_periods(md)
    H = W.sum(axis=0)
    site_peak = _site_demand(md)  # peak ≥ mean: a valid bound for period energy too
    sl = md.slices
    mean_cf = {
        tech: dict(zip(sl.regions, (cf * sl.weight).sum(axis=1) / sl.weight.sum(), strict=True))
        for tech, cf in (("wind", sl.wind), ("solar", sl.solar))
    }
    total_quota = sum(md.site_quota[s] * site_peak[s] for s in md.sites) * float(H.sum()) if len(H) else 0.0
    return ElasticRefs(
        peak_gw=max(peak, 1e-6),
        energy_gwh=max(energy, 1e-6),
        carbon_kt=max(energy * (float(np.mean(efs)) if efs else 0.5), 1e-6),
        max_ef=max(efs) if efs else 1.0,
        site_peak=site_peak,
        quota=dict(md.site_quota),
        period_hours=H,
        total_quota=total_quota,
        mean_cf=mean_cf,
    )


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
    """The model of ``md`` with every relaxable limit of the registered families made elastic; returns
    ``(model, limits)``.

    ``hard``: limit kinds (keys of :data:`PRIORITY`) kept as they are, e.g. ``{"quota"}`` to ask which physical
    limits would have to move if the quota is not negotiable.
    """
    hard = set(hard)
    unknown = hard - set(PRIORITY)
    if unknown:
        raise ValueError(f"unknown limit families {sorted(unknown)} (allowed: {', '.join(PRIORITY)})")
    m = build_model(_elastic_data(md))
    m.obj.deactivate()
    refs = _refs(md)
    m.slack = pyo.VarList(domain=pyo.NonNegativeReals)
    m.elastic = pyo.ConstraintList()
    limits: dict[tuple[str, str], _Limit] = {}

    def limit(kind: str, subject: str) -> _Limit:
        key = (kind, subject)
        if key not in limits:
            lk = LIMITS[kind]
            limits[key] = _Limit(kind, subject, lk.priority, refs.scale(lk.scale))
        return limits[key]

    for rx in relaxables():
        comp = m.component(rx.component)
        if comp is None or rx.kind in hard:
            continue
        for subject, slack, big, name in _RELAX[rx.mode](m, md, comp, rx, refs):
            limit(rx.kind, subject).slacks.append((slack, max(big, 1e-6), name))

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
    cost_ref = refs.energy_gwh * max(max(md.site_price.values(), default=0.5), 1e-3) + 1.0
    m.amount_obj = pyo.Objective(expr=amount + 1e-4 * m.total_cost / cost_ref)
    m.amount_obj.deactivate()
    return m, [limits[k] for k in keys]


def _relax_rows(m, md: ModelData, con_comp, rx: Relaxable, refs: ElasticRefs):
    """``rows``: one slack per active inequality row, in the loosening direction."""
    for idx in list(con_comp.keys()) if con_comp.is_indexed() else [None]:
        con = con_comp[idx] if idx is not None else con_comp
        if not con.active or con.equality:
            continue
        # Pyomo may store "a ≥ b" as "b − a ≤ 0": relax whichever side the row has
        sl = m.slack.add()
        if con.upper is not None:
            m.elastic.add(con.body - sl <= con.upper)
        else:
            m.elastic.add(con.body + sl >= con.lower)
        con.deactivate()
        yield rx.subject(idx), sl, rx.big_m(refs, idx), con.name


def _relax_upper_bound(m, md: ModelData, var, rx: Relaxable, refs: ElasticRefs):
    """``upper_bound``: the column's bound becomes a row with a slack, ``x − σ ≤ u``."""
    for idx in list(var.keys()):
        big = rx.big_m(refs, idx)
        if var[idx].ub is None or big is None:
            continue
        ub = rx.bound(md, idx) if rx.bound else var[idx].ub
        sl = m.slack.add()
        var[idx].setub(None)
        m.elastic.add(var[idx] - sl <= ub)
        yield rx.subject(idx), sl, big, rx.label(idx) if rx.label else var[idx].name


def _relax_upper_bound_per_first_index(m, md: ModelData, var, rx: Relaxable, refs: ElasticRefs):
    """``upper_bound_per_first_index``: one slack shared by the columns x[i,·], ``x[i,t] − σ_i ≤ u_i``."""
    firsts = list(dict.fromkeys(idx[0] for idx in var.keys()))
    members: dict = {i: [] for i in firsts}
    for idx in var.keys():
        members[idx[0]].append(idx)
    for i in firsts:
        sl = m.slack.add()
        for idx in members[i]:
            v = var[idx]
            if v.fixed:
                continue
            ub = rx.bound(md, i) if rx.bound else v.ub
            v.setub(None)
            m.elastic.add(v - sl <= ub)
        yield rx.subject(i), sl, rx.big_m(refs, i), rx.label(i) if rx.label else f"{var.name}[{i},*]"


def _relax_free_slack(m, md: ModelData, var, rx: Relaxable, refs: ElasticRefs):
    """``free_slack``: a slack column the model fixes at 0 is unfixed."""
    for idx in list(var.keys()):
        var[idx].unfix()
        yield rx.subject(idx), var[idx], rx.big_m(refs, idx), rx.label(idx) if rx.label else var[idx].name


_RELAX = {
    "rows": _relax_rows,
    "upper_bound": _relax_upper_bound,
    "upper_bound_per_first_index": _relax_upper_bound_per_first_index,
    "free_slack": _relax_free_slack,
}


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


def describe(m, md: ModelData, limits: list[_Limit], hub_sites: Iterable[str] = ()) -> list[PolicyDiagnosis]:
    """Turn the positive slacks of a solved elastic model into messages with amounts in user units (each limit
    kind's ``explain`` in the registry writes its own)."""
    from optimizer.model.families.certificates import matching_periods

    periods, _W = matching_periods(md)
    hubs = frozenset(hub_sites)
    out: list[PolicyDiagnosis] = []
    for lim in limits:
        vals = [(solved(sl), name) for sl, _b, name in lim.slacks]
        total = sum(v for v, _ in vals)
        if total <= TOL * max(lim.scale, 1.0):
            continue
        comps = tuple(name for v, name in vals if v > TOL)
        kind = LIMITS[lim.family]
        ex = kind.explain(Shortfall(m, md, lim.subject, kind.field, total, vals, hubs, periods))
        out.append(PolicyDiagnosis(kind.kind, ex.subject, ex.message, ex.amount, ex.unit, ex.field, ex.share, comps))
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
    found: list[Diagnosis] = list(describe(m, md, limits, hub_sites))
    return (found or [Diagnosis("numerical", "model", _NO_RELAXATION)]), method


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
#: What an upper bound of a family's variable means to a user (from the registry).
_VAR_MEANING = {var: meaning for fam in FAMILIES for var, meaning in fam.bound_meaning.items()}
#: Integer placement variables: their 0/1 (count) domain bounds are true but not informative.
_PLACEMENT = {var for fam in FAMILIES for var in fam.placement}


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
            if int(b) == 2 or fam in _PLACEMENT:
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
