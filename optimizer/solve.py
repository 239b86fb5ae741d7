"""Solve a scenario: region set → model data → Pyomo model → HiGHS (in memory, via highspy) → :class:`Result`."""

from __future__ import annotations

import math
import time
import warnings
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd
import pyomo.environ as pyo
from pyomo.contrib.solver.common.results import SolutionStatus, TerminationCondition
from pyomo.contrib.solver.solvers.highs import Highs

from geodata import load_region_set
from geodata.regionset import RegionSet
from optimizer.adapter import ClusterInfo, build_model_data
from optimizer.errors import InfeasibleError
from optimizer.model import build_model
from optimizer.modeldata import ModelData
from optimizer.results import extract_tables
from optimizer.scenario import Scenario, ScenarioError

#: Models above this many columns are refused before building (this machine: 2 cores, 24 GiB).
MAX_COLUMNS = 4_000_000


class TimeLimitError(RuntimeError):
    """The time limit was reached before any feasible placement was found (exit 4)."""


@dataclass
class Result:
    """A solved (or failed) scenario. ``tables`` holds DataFrames keyed by ids; money in M currency/yr."""

    status: str  # optimal | time_limit | infeasible | error
    scenario: Scenario
    objective: float | None
    bound: float | None
    mip_gap: float | None
    objective_mode: str
    currency: str
    cost_breakdown: dict[str, float] = field(default_factory=dict)
    total_cost: float | None = None
    emissions_t: dict[str, float] = field(default_factory=dict)
    timings_s: dict[str, float] = field(default_factory=dict)
    tables: dict[str, pd.DataFrame] = field(default_factory=dict)
    model_size: dict[str, int] = field(default_factory=dict)
    diagnosis: list[dict] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    solver_log: str = ""
    fixed_plan: bool = False

    @property
    def assignments(self) -> pd.DataFrame:
        return self.tables["assignments"]

    def placement(self) -> dict[str, str]:
        a = self.tables["assignments"]
        return dict(zip(a.cluster_id, a.site_id, strict=True))

    def summary(self) -> dict:
        """The JSON-able summary written to ``summary.json`` (DESIGN.md §3)."""
        from optimizer.outputs import build_summary

        return build_summary(self)


def _solver(threads: int, time_limit: float, mip_gap: float, seed: int, log_file: str | None) -> Highs:
    opt = Highs()
    opt.config.threads = threads
    opt.config.time_limit = time_limit
    opt.config.rel_gap = mip_gap
    opt.config.load_solutions = False
    opt.config.raise_exception_on_nonoptimal_result = False
    opts = {"random_seed": seed, "output_flag": log_file is not None, "log_to_console": False}
    if log_file:
        opts["log_file"] = log_file
    opt.config.solver_options = opts
    return opt


def _run(opt: Highs, m: pyo.ConcreteModel):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        res = opt.solve(m)
    has_sol = res.solution_status in (SolutionStatus.feasible, SolutionStatus.optimal)
    if has_sol:
        res.solution_loader.load_vars()
    return res, has_sol


def solve(
    scenario: Scenario,
    *,
    file: str = "<scenario>",
    region_set: RegionSet | None = None,
    time_limit: float | None = None,
    mip_gap: float | None = None,
    fix: dict[str, str] | None = None,
    write_lp: str | Path | None = None,
    log_file: str | Path | None = None,
    progress: Callable[[str], None] | None = None,
) -> Result:
    """Place every cluster of ``scenario`` at least cost (or carbon) and return a :class:`Result`.

    Raises :class:`ScenarioError` (bad input, exit 2), :class:`InfeasibleError` (exit 3, with a diagnosis) and
    :class:`TimeLimitError` (exit 4: no feasible placement within the limit). ``fix`` maps cluster ids to
    site ids: the plan is evaluated instead of optimised.
    """
    say = progress or (lambda _msg: None)
    t0 = time.perf_counter()
    if region_set is None:
        say(f"loading region set '{scenario.region_set}'")
        region_set = load_region_set(scenario.region_set, profiles=dict(scenario.grid.profiles) or None)
    say(f"building model data ({scenario.time.mode}, {len(scenario.clusters)} cluster entries)")
    md, infos = build_model_data(scenario, region_set, file=file, fixed_plan=fix)
    size = md.size()
    if size["columns"] > MAX_COLUMNS:
        raise ScenarioError(
            file,
            [
                (
                    "time.mode",
                    f"the model would have ~{size['columns']:,} columns and ~{size['rows']:,} rows over "
                    f"{size['slices']} time slices, beyond what this machine solves; use time.mode "
                    "representative_days (e.g. days: 12) or aggregate identical clusters with 'count'",
                )
            ],
        )
    t_data = time.perf_counter()
    say(f"building Pyomo model (~{size['columns']:,} columns, ~{size['rows']:,} rows)")
    m = build_model(md)
    t_build = time.perf_counter()
    if write_lp:
        m.write(str(write_lp), io_options={"symbolic_solver_labels": True})
    t_lp = time.perf_counter()
    cfg = scenario.solver
    opt = _solver(
        cfg.threads,
        cfg.time_limit_s if time_limit is None else time_limit,
        cfg.mip_gap if mip_gap is None else mip_gap,
        cfg.seed,
        str(log_file) if log_file else None,
    )
    say("solving with HiGHS")
    res, has_sol = _run(opt, m)
    highs_time = _highs_runtime(opt)
    tc = res.termination_condition
    if (
        tc
        in (
            TerminationCondition.provenInfeasible,
            TerminationCondition.infeasibleOrUnbounded,
            TerminationCondition.locallyInfeasible,
        )
        and not has_sol
    ):
        from optimizer.diagnose import diagnose_infeasible

        say("infeasible: diagnosing which policies or limits cannot be met")
        raise InfeasibleError("no placement meets every policy and limit of this scenario", diagnose_infeasible(md))
    if not has_sol:
        if tc == TerminationCondition.maxTimeLimit:
            raise TimeLimitError(f"time limit reached with no feasible placement (limit {opt.config.time_limit:g} s)")
        raise RuntimeError(f"HiGHS stopped without a solution: {tc.name}")

    status = "optimal" if tc == TerminationCondition.convergenceCriteriaSatisfied else "time_limit"
    objective = res.incumbent_objective
    bound = res.objective_bound
    if md.objective == "carbon":  # lexicographic: keep emissions at their minimum, then minimise cost
        say("minimising cost at minimum emissions")
        e_star = pyo.value(m.emissions)
        m.carbon_lexicographic = pyo.Constraint(expr=m.emissions <= e_star * (1 + 1e-6) + 1e-6)
        m.obj.deactivate()
        m.obj_cost = pyo.Objective(expr=m.total_cost, sense=pyo.minimize)
        res2, ok2 = _run(opt, m)
        highs_time += _highs_runtime(opt)
        if ok2:
            objective = e_star * 1000.0
            bound = (res.objective_bound or 0.0) * 1000.0
            if res2.termination_condition != TerminationCondition.convergenceCriteriaSatisfied:
                status = "time_limit"
    t_solve = time.perf_counter()
    site_meta = pd.DataFrame(region_set.sites.drop(columns="geometry"))
    region_meta = pd.DataFrame(region_set.regions.drop(columns="geometry"))
    ext = extract_tables(m, md, infos, site_meta, region_meta)
    t_end = time.perf_counter()
    gap = None
    if objective is not None and bound is not None and math.isfinite(bound):
        gap = abs(objective - bound) / max(abs(objective), 1e-9)
    notes = list(md.notes)
    return Result(
        status=status,
        scenario=scenario,
        objective=objective,
        bound=bound,
        mip_gap=gap,
        objective_mode=md.objective,
        currency=md.currency,
        cost_breakdown=ext["cost_breakdown"],
        total_cost=sum(ext["cost_breakdown"].values()),
        emissions_t={k: v * 1000.0 for k, v in ext["emissions_kt"].items()},
        timings_s={
            "data": t_data - t0,
            "build": t_build - t_data,
            "write_lp": t_lp - t_build,
            "solve": t_solve - t_lp,
            "highs": highs_time,
            "extract": t_end - t_solve,
            "total": t_end - t0,
        },
        tables={k: ext[k] for k in ("assignments", "sites", "regions", "flows", "certificates")},
        model_size=size,
        notes=notes,
        solver_log=str(log_file) if log_file else "",
        fixed_plan=fix is not None,
    )


def _highs_runtime(opt: Highs) -> float:
    try:
        return float(opt._solver_model.getRunTime())
    except Exception:
        return float("nan")


def solve_file(path: str | Path, **kwargs) -> Result:
    """Load a scenario file and solve it (see :func:`solve`)."""
    from optimizer.scenario import load_scenario

    return solve(load_scenario(path), file=str(path), **kwargs)


__all__ = ["ClusterInfo", "ModelData", "Result", "TimeLimitError", "solve", "solve_file"]
