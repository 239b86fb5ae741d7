"""Infeasibility explained in policy terms, with an elastic re-solve (no commercial solver needed).

Each named policy or limit gets a non-negative slack with a penalty in the objective::

    green_quota[s,p]:  lhs + slack ≥ rhs               (quota shortfall, GWh)
    cert_share_cap[s,p], cert_supply[r], site_capacity[s], carbon_cap:  lhs − slack ≤ rhs
    wind[r] ≤ potential + slack, solar[r] ≤ potential + slack   (renewable potential, GW)

minimise Σ slack / unit-scale. The slacks that are positive at the optimum form a smallest (by weighted
amount) set of relaxations that restores feasibility; each is reported with its amount and unit.
"""

from __future__ import annotations

import warnings

import pyomo.environ as pyo
from pyomo.contrib.solver.common.results import SolutionStatus

from optimizer.errors import Diagnosis
from optimizer.model import build_model
from optimizer.modeldata import ModelData

ELASTIC = {
    # family: (sense of the slack, weight per unit, unit)
    "green_quota": ("ge", 1.0, "GWh/yr"),
    "cert_share_cap": ("le", 1.0, "GWh/yr"),
    "cert_supply": ("le", 1.0, "GWh/yr"),
    "cert_supply_month": ("le", 1.0, "GWh"),
    "site_capacity": ("le", 1000.0, "GW"),
    "carbon_cap": ("le", 1.0, "kt"),
}


def diagnose_infeasible(md: ModelData, time_limit: float = 120.0) -> list[Diagnosis]:
    """Re-solve an elastic copy of the model and describe every relaxation it needed."""
    m = build_model(md)
    m.obj.deactivate()
    slacks: list[tuple[str, object, object]] = []
    m.elastic = pyo.ConstraintList()
    m.slack = pyo.VarList(domain=pyo.NonNegativeReals)
    terms = []
    for fam, (sense, weight, _unit) in ELASTIC.items():
        comp = getattr(m, fam, None)
        if comp is None:
            continue
        for idx in list(comp.keys()) if comp.is_indexed() else [None]:
            con = comp[idx] if idx is not None else comp
            if not con.active:
                continue
            sl = m.slack.add()
            body = con.body
            if sense == "ge" and con.lower is not None:
                m.elastic.add(body + sl >= con.lower)
            elif con.upper is not None:
                m.elastic.add(body - sl <= con.upper)
            else:
                continue
            con.deactivate()
            slacks.append((fam, idx, sl))
            terms.append(weight * sl)
    for tech in ("wind", "solar"):
        var = getattr(m, tech)
        for r in m.R:
            ub = var[r].ub
            if ub is None:
                continue
            sl = m.slack.add()
            var[r].setub(None)
            m.elastic.add(var[r] - sl <= ub)
            slacks.append((f"{tech}_potential", r, sl))
            terms.append(1000.0 * sl)
    m.elastic_obj = pyo.Objective(expr=sum(terms) + 1e-6 * m.total_cost, sense=pyo.minimize)
    from pyomo.contrib.solver.solvers.highs import Highs

    opt = Highs()
    opt.config.time_limit = time_limit
    opt.config.load_solutions = False
    opt.config.raise_exception_on_nonoptimal_result = False
    opt.config.rel_gap = 1e-4
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        res = opt.solve(m)
    if res.solution_status not in (SolutionStatus.feasible, SolutionStatus.optimal):
        return [
            Diagnosis(
                "unknown",
                "model",
                "even with every policy and limit relaxed no placement exists: check corridor capacities and "
                "each cluster's allowed sites",
            )
        ]
    res.solution_loader.load_vars()
    return _describe(m, md, slacks)


def _describe(m, md: ModelData, slacks) -> list[Diagnosis]:
    from optimizer.model.certificates import matching_periods

    _periods, W = matching_periods(md)
    shape = md.slices.inference_shape
    out: list[Diagnosis] = []
    trading = "cross-province" if md.name and md.currency == "CNY" else "cross-region"
    for fam, idx, sl in slacks:
        v = sl.value or 0.0
        if v <= 1e-6:
            continue
        if fam == "green_quota":
            s, p = idx
            energy = float(W[:, p].sum()) * (m.load_training[s].value or 0) + float((W[:, p] * shape).sum()) * (
                m.load_inference[s].value or 0
            )
            share = v / energy if energy > 0 else float("nan")
            period = (
                ""
                if md.matching == "annual"
                else (f" in month {p + 1}" if md.matching == "monthly" else f" in slice {p}")
            )
            why = []
            if not md.cert_cross_region:
                why.append(f"{trading} certificates are off")
            r = md.site_region[s]
            if (m.wind[r].value or 0) >= md.wind_pot_gw[r] - 1e-6 and (m.solar[r].value or 0) >= md.solar_pot_gw[
                r
            ] - 1e-6:
                why.append("local renewable potential is exhausted")
            if md.matching == "hourly":
                why.append("hourly matching: certificates do not count")
            kind = "hub site" if md.site_quota[s] > 0 else "site"
            msg = (
                f"{kind} {s}: {md.site_quota[s]:.0%} quota short by {v:,.0f} GWh/yr ({share:.0%} of its consumption)"
                f"{period}"
            )
            if why:
                msg += "; " + "; ".join(why)
            out.append(Diagnosis("quota", s, msg, v, "GWh/yr"))
        elif fam == "site_capacity":
            out.append(
                Diagnosis("site_capacity", idx, f"site {idx}: over its capacity by {v * 1000:,.0f} MW", v * 1000, "MW")
            )
        elif fam in ("cert_supply", "cert_supply_month"):
            r = idx if fam == "cert_supply" else idx[0]
            out.append(
                Diagnosis(
                    "certificate_supply", r, f"region {r}: certificate supply short by {v:,.0f} GWh/yr", v, "GWh/yr"
                )
            )
        elif fam == "cert_share_cap":
            s, _p = idx
            out.append(
                Diagnosis(
                    "certificate_cap", s, f"site {s}: certificate share cap exceeded by {v:,.0f} GWh/yr", v, "GWh/yr"
                )
            )
        elif fam == "carbon_cap":
            out.append(
                Diagnosis("carbon_cap", "all", f"carbon cap exceeded by {v * 1000:,.0f} tCO2/yr", v * 1000, "tCO2/yr")
            )
        elif fam.endswith("_potential"):
            tech = fam.split("_")[0]
            out.append(
                Diagnosis(
                    "potential",
                    idx,
                    f"region {idx}: new {tech} potential exceeded by {v * 1000:,.0f} MW",
                    v * 1000,
                    "MW",
                )
            )
    out.sort(key=lambda d: -(d.amount or 0))
    return out
