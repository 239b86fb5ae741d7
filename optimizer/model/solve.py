"""Solve a scenario: region set → model data → Pyomo model → HiGHS (in memory, via highspy) → :class:`Result`."""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

import pandas as pd
import pyomo.environ as pyo

from geodata import load_region_set
from geodata.regionset import RegionSet
from gridsite.errors import InfeasibleError, TimeLimitError
from optimizer.model.adapter import ClusterInfo, build_model_data
from optimizer.model.build import build_model
from optimizer.model.families.certificates import trade_distance
from optimizer.model.highs import native_solve, run_highs, use_threads
from optimizer.model.modeldata import ModelData
from optimizer.model.results import extract_tables
from optimizer.model.scenario import Scenario, ScenarioError
from optimizer.model.summary import build_summary

if TYPE_CHECKING:
    from optimizer.model.progress import SolveReporter

#: Models above this many columns are refused before building (this machine: 2 cores, 24 GiB).
MAX_COLUMNS = 4_000_000
#: ... or above this many integer columns (clusters × allowed sites; identical clusters share one).
MAX_INTEGER_COLUMNS = 100_000
#: Models above this many columns get a warning: on 2 cores the national hourly China model (1.45 M columns) takes
#: ~9 min by the bracket method and HiGHS's root LP alone > 25 min (docs/performance.md, Hourly).
LARGE_COLUMNS = 1_000_000
#: The tie-break pass minimises D, the distance-weighted cross-region certificates and corridor flows (GWh × 1000
#: km, ≥ 0); a first-pass plan with D at most this is already tie-free and the pass is skipped.
TIE_FREE = 1e-9


#: Models with more time slices than this get HiGHS's interior-point solver (IPX) for their (root) LP unless the
#: scenario chooses an LP algorithm itself: on every hourly model measured (8,760 slices) dual simplex stalled or
#: was slower, while on representative-day models (≤ 1,200 slices) neither algorithm wins across cases
#: (docs/performance.md, *HiGHS options* and *Hourly*).
IPX_SLICES = 2_000


def large_model_warning(size: dict[str, int]) -> str | None:
    """A one-line warning when a model is large enough to take tens of minutes, else ``None``."""
    if size["columns"] <= LARGE_COLUMNS:
        return None
    return (
        f"warning: large model (~{size['columns']:,} columns over {size['slices']:,} time slices); on a 2-core "
        "machine the national hourly China model takes ~9 minutes and ~8 GB by solver.method bracket (the "
        "default above 2,000 slices) and hours by branch and bound, while representative_days (days: 12) solves "
        "in seconds (docs/performance.md, Hourly)"
    )


def lp_algorithm(md: ModelData, highs_options: dict | None) -> tuple[dict | None, str | None]:
    """HiGHS options with the LP algorithm chosen for the model class, and a note saying so (or ``None``).

    Above :data:`IPX_SLICES` time slices the (root) LP is solved by the interior-point method with crossover:
    ``mip_lp_solver: ipx`` for a placement MIP, ``solver: ipx`` for a fixed plan (an LP). A scenario that sets
    ``mip_lp_solver`` or ``solver`` in ``solver.highs_options`` keeps its own choice.
    """
    own = dict(highs_options or {})
    if md.slices.n <= IPX_SLICES or {"mip_lp_solver", "solver"} & set(own):
        return highs_options, None
    key = "solver" if md.fixed is not None else "mip_lp_solver"
    note = (
        f"LP algorithm: interior point (HiGHS {key}: ipx) chosen for {md.slices.n:,} time slices, where dual simplex "
        "stalls; set solver.highs_options to choose another"
    )
    return {**own, key: "ipx"}, note


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
    solver_options: dict = field(default_factory=dict)  # the HiGHS options actually used (overrides applied)
    method: dict = field(default_factory=dict)  # how it was solved: {"name": ...} and, for bracket, the two LPs

    @property
    def assignments(self) -> pd.DataFrame:
        return self.tables["assignments"]

    def placement(self) -> dict[str, str]:
        a = self.tables["assignments"]
        return dict(zip(a.cluster_id, a.site_id, strict=True))

    def summary(self) -> dict:
        """The JSON-able summary written to ``summary.json`` (:func:`optimizer.model.summary.build_summary`)."""
        return build_summary(self)


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
    iis: bool = False,
    monitor: SolveReporter | None = None,
) -> Result:
    """Place every cluster of ``scenario`` at least cost (or carbon) and return a :class:`Result`.

    Raises :class:`ScenarioError` (bad input, exit 2), :class:`InfeasibleError` (exit 3, with a diagnosis) and
    :class:`TimeLimitError` (exit 4: no feasible placement within the limit). ``fix`` maps cluster ids to
    site ids: the plan is evaluated instead of optimised. ``iis``: on infeasibility also ask HiGHS for an
    irreducible infeasible subset (``InfeasibleReport.iis``). ``monitor``: shows each HiGHS run's progress
    (elapsed time, incumbent, bound, gap) and, when verbose, streams HiGHS's log (:mod:`optimizer.model.progress`).
    """
    say = progress or (lambda _msg: None)
    t0 = time.perf_counter()
    region_set, md, infos, size = _prepare(scenario, region_set, file, fix, say)
    t_data = time.perf_counter()
    say(f"building Pyomo model (~{size['columns']:,} columns, ~{size['rows']:,} rows)")
    m = build_model(md, arrays=True)
    t_build = time.perf_counter()
    if write_lp:
        m.write(str(write_lp), io_options={"symbolic_solver_labels": True})
    t_lp = time.perf_counter()
    opts = _highs_options(scenario, time_limit, mip_gap, log_file)
    method = solve_method(scenario, md, file)
    if method != "highs":
        times = {"t0": t0, "data": t_data, "build": t_build, "write_lp": t_lp}
        return _solve_interior(method, scenario, file, region_set, md, infos, m, size, opts, times, fix, iis, say)
    opts["highs_options"], lp_note = lp_algorithm(md, opts["highs_options"])
    if lp_note:
        say(lp_note)
    say("solving with HiGHS")
    unit = f"M {md.currency}/yr" if md.objective == "cost" else "kt CO2/yr"
    if monitor is not None:
        monitor.next_stage("MIP", unit)
    use_threads(opts["threads"])
    with native_solve():
        run = run_highs(m, **opts, monitor=monitor)
    highs_time = run.runtime_s
    handoff = run.compile_s
    try:
        _raise_without_solution(run, md, region_set, opts, iis, say)
    except (InfeasibleError, TimeLimitError) as exc:
        # the failure summary (failed-summary.json / summary.json, exit 3 and 4) reports the model and the time too
        exc.model_size = dict(size)
        exc.timings_s = {
            "data": t_data - t0,
            "build": t_build - t_data,
            "write_lp": t_lp - t_build,
            "handoff": handoff,
            "highs": highs_time,
            "total": time.perf_counter() - t0,
        }
        raise

    status = "optimal" if run.status == "optimal" else "time_limit"
    objective = run.objective
    bound = run.bound
    if md.objective == "carbon":  # lexicographic: keep emissions at their minimum, then minimise cost
        say("minimising cost at minimum emissions")
        e_star = pyo.value(m.emissions)
        m.carbon_lexicographic = pyo.Constraint(expr=m.emissions <= e_star * (1 + 1e-6) + 1e-6)
        m.obj_cost = pyo.Objective(expr=m.total_cost, sense=pyo.minimize)
        if monitor is not None:
            monitor.next_stage("cost at minimum emissions", f"M {md.currency}/yr")
        run2 = lexicographic_pass(m, m.obj_cost, opts, monitor=monitor)
        highs_time += run2.runtime_s
        handoff += run2.compile_s
        if run2.has_solution:
            objective = e_star * 1000.0
            bound = (run.bound or 0.0) * 1000.0
            if run2.status != "optimal":
                status = "time_limit"
        # without a second-stage solution the variables keep the first stage's values
    notes: list[str] = [lp_note] if lp_note else []
    tidy_s = None
    tidy_highs = tidy_handoff = 0.0
    if md.tie_break_charge > 0:
        charge = pyo.value(m.cost_tie_break)
        notes.append(
            f"tie-break charge {charge:,.4f} M {md.currency}/yr in the objective (cost term 'tie_break'): "
            f"{md.tie_break_charge * 1000:g} {md.currency}/MWh per 1000 km on cross-region certificates and corridor "
            f"flows, distance-weighted volume {charge / md.tie_break_charge:,.1f} GWh x 1000 km; it keeps only "
            "the trades the optimum needs (solver.tidy)"
        )
    dist = trade_distance(m, md) if scenario.solver.tidy == "exact" else None
    t_tidy = time.perf_counter()
    before = pyo.value(dist) if dist is not None else 0.0
    if dist is not None and before <= TIE_FREE:
        # D ≥ 0 (certificates and flows are non-negative): D = 0 is already its minimum, so the LP would only
        # re-solve a plan it cannot improve; the first pass's values are kept
        tidy_s = time.perf_counter() - t_tidy
        notes.append("tie-break skipped: the plan has no cross-region certificates or corridor flows to tidy")
    elif dist is not None:
        say("tie-break: fewest and shortest certificate trades and corridor flows at the same cost")
        # at fixed placement the stage is an LP: the interior-point solver (with crossover, so unneeded trades are
        # exact zeros) took 6 s where dual simplex took 13-21 s on the China hub scenario; a scenario's own wins
        m.tidy_cost = pyo.Constraint(expr=m.total_cost <= pyo.value(m.total_cost) * (1 + 1e-9) + 1e-6)
        m.obj_tidy = pyo.Objective(expr=dist, sense=pyo.minimize)
        if monitor is not None:
            monitor.next_stage("tidying (LP)")
        run3 = lexicographic_pass(
            m, m.obj_tidy, opts, fix=(m.build, m.unbuilt), lp_options={"solver": "ipx"}, monitor=monitor
        )
        highs_time += run3.runtime_s
        handoff += run3.compile_s
        tidy_highs, tidy_handoff = run3.runtime_s, run3.compile_s
        tidy_s = time.perf_counter() - t_tidy
        if run3.has_solution:
            notes.append(
                f"tie-break ran in {tidy_s:.2f} s: at the same placement and total cost, distance-weighted "
                f"cross-region certificates + corridor flows {before:,.1f} -> {pyo.value(dist):,.1f} GWh x 1000 km"
            )
        else:
            notes.append(f"tie-break found no solution ({run3.model_status}, {tidy_s:.2f} s); first-pass values kept")
    t_solve = time.perf_counter()
    timings = {
        "data": t_data - t0,
        "build": t_build - t_data,
        "write_lp": t_lp - t_build,
        "solve": t_solve - t_lp,
        "handoff": handoff,
        "highs": highs_time,
    }
    if tidy_s is not None:  # the tie-break pass: wall clock, and its share of ``handoff`` and ``highs``
        timings.update({"tidy": tidy_s, "tidy_handoff": tidy_handoff, "tidy_highs": tidy_highs})
    res = _result(m, md, infos, region_set, scenario, status, objective, bound, opts, size, timings, t0, fix)
    res.notes.extend(notes)
    res.method = {"name": "highs"}
    return res


def solve_method(scenario: Scenario, md: ModelData, file: str = "<scenario>") -> str:
    """``highs`` (HiGHS: branch and bound, or its LP solvers for a fixed plan), ``bracket`` (a typical-day
    placement certified by two interior-point LPs, :mod:`optimizer.model.bracket`) or ``interior_lp`` (a fixed
    plan's LP by interior point), from ``solver.method`` and the model class (see :class:`SolverConfig`)."""
    cfg = scenario.solver
    own = set(cfg.highs_options)
    if cfg.method == "branch_and_bound":
        return "highs"
    hourly = md.slices.n > IPX_SLICES
    if md.fixed is not None:
        return "interior_lp" if cfg.method == "bracket" or (hourly and "solver" not in own) else "highs"
    if cfg.method == "bracket" or (hourly and not {"mip_lp_solver", "solver"} & own and md.objective == "cost"):
        if md.objective != "cost":
            raise ScenarioError(
                file,
                [("solver.method", "bracket minimises cost; with objective.mode carbon use branch_and_bound or auto")],
            )
        return "bracket"
    return "highs"


def _solve_interior(method, scenario, file, region_set, md, infos, m, size, opts, times, fix, iis, say) -> Result:
    """:func:`solve` for the methods ``bracket`` and ``interior_lp`` (see :func:`solve_method`)."""
    from optimizer.model.adapter import _fix_counts
    from optimizer.model.bracket import PLACEMENT_DAYS, certify_placement, solve_interior_lp

    notes: list[str] = []
    placement_s = 0.0
    if method == "bracket":
        t_place = time.perf_counter()
        say(f"placing the clusters on {PLACEMENT_DAYS} typical days (solver.method bracket)")
        td_time = scenario.time.model_copy(update={"mode": "representative_days", "days": PLACEMENT_DAYS})
        td_solver = scenario.solver.model_copy(update={"method": "branch_and_bound"})
        td = solve(
            scenario.model_copy(update={"time": td_time, "solver": td_solver}),
            file=file,
            region_set=region_set,
            time_limit=opts["time_limit"],
            mip_gap=opts["mip_gap"],
            progress=lambda msg: say(f"typical days: {msg}"),
        )
        placement_s = time.perf_counter() - t_place
        counts = _fix_counts(td.placement(), infos, md.groups, set(md.sites))
        remaining = max(opts["time_limit"] - (time.perf_counter() - times["t0"]), 1.0)
        b = certify_placement(m, md, counts, threads=opts["threads"], time_limit=remaining, say=say)
        notes.append(
            f"solver.method bracket: the placement of {PLACEMENT_DAYS} typical days (objective {td.objective:,.3f} "
            f"M {md.currency}/yr, {placement_s:,.1f} s), certified at {md.slices.n:,} time slices by two "
            "interior-point LPs; the bound is the LP relaxation's (docs/formulation.md, Hourly models)"
        )
    else:
        b = solve_interior_lp(m, threads=opts["threads"], time_limit=opts["time_limit"], say=say)
    notes.extend(b.notes)
    run = b.run
    try:
        _raise_without_solution(run, md, region_set, opts, iis, say)
    except (InfeasibleError, TimeLimitError) as exc:  # the failure summary reports the model and the time too
        exc.model_size = dict(size)
        exc.timings_s = {
            "data": times["data"] - times["t0"],
            "build": times["build"] - times["data"],
            "write_lp": times["write_lp"] - times["build"],
            "handoff": run.compile_s,
            "highs": run.runtime_s,
            "placement": placement_s,
            "total": time.perf_counter() - times["t0"],
        }
        raise
    if method == "bracket":
        gap = run.gap
        status = "optimal" if gap is not None and gap <= opts["mip_gap"] + 1e-12 else "feasible"
        if gap is None:
            notes.append("the LP relaxation did not finish: the plan has no proved bound (status feasible)")
        elif status == "feasible":
            notes.append(
                f"the bracket's gap {100 * gap:.3f} % is above solver.mip_gap {100 * opts['mip_gap']:.3f} %: the plan "
                "costs at most that much more than the optimum (status feasible); set solver.method "
                "branch_and_bound to search further"
            )
        else:
            notes.append(f"the plan is within {100 * gap:.4f} % of the optimum at this resolution")
    else:
        status = "optimal" if run.status == "optimal" else "time_limit"
    if scenario.solver.tidy == "exact":
        notes.append("solver.tidy exact is not run after an interior-point solve (a second LP as large as the model)")
    t_solve = time.perf_counter()
    timings = {
        "data": times["data"] - times["t0"],
        "build": times["build"] - times["data"],
        "write_lp": times["write_lp"] - times["build"],
        "solve": t_solve - times["write_lp"],
        "handoff": run.compile_s,
        "highs": run.runtime_s,
    }
    if method == "bracket":
        timings["placement"] = placement_s
    opts = {**opts, "method": method}
    res = _result(
        m, md, infos, region_set, scenario, status, run.objective, run.bound, opts, size, timings, times["t0"], fix
    )
    res.notes.extend(notes)
    res.method = {"name": method, "lp_solver": "clarabel", **_lp_figures("upper", b.upper)}
    if method == "bracket":
        res.method.update(
            placement_days=PLACEMENT_DAYS, placement_objective=td.objective, placement_s=placement_s, gap=run.gap
        )
        if b.lower is not None:
            res.method.update(_lp_figures("lower", b.lower))
    return res


def _lp_figures(side: str, r) -> dict:
    """One interior-point LP in ``summary.json``'s ``method``: objective, dual objective, iterations, seconds."""
    return {
        f"{side}_status": r.solver_status,
        f"{side}_objective": r.objective,
        f"{side}_dual_objective": r.dual_objective,
        f"{side}_iterations": r.iterations,
        f"{side}_s": r.solve_s,
        # as text: summary.json rounds numbers to 6 decimals, and a verified violation is far below 1e-6
        f"{side}_row_violation": None if r.row_violation is None else f"{r.row_violation:.1e}",
        # HiGHS's presolve before Clarabel: its outcome, and the size of the LP Clarabel solved when it reduced it
        f"{side}_presolve": r.presolve,
        f"{side}_presolved_size": None
        if r.presolved_size is None
        else dict(zip(("columns", "rows", "nonzeros"), r.presolved_size, strict=True)),
    }


def lexicographic_pass(
    m: pyo.ConcreteModel,
    objective: pyo.Objective,
    opts: dict,
    *,
    fix: Sequence = (),
    lp_options: dict | None = None,
    monitor: SolveReporter | None = None,
):
    """Solve a lexicographic stage: the caller has added a row holding the previous stage's objective at its
    optimum (``keep ≤ value · (1 + rel) + abs``) and the stage's ``objective``; every other objective is
    deactivated. The integer variables of the components in ``fix`` (the placement: ``build``, ``unbuilt``) are
    fixed at their rounded values for the solve and unfixed afterwards; when no other integer column is left the
    stage is an LP and ``lp_options`` are added to the HiGHS options (a scenario's own options win).

    Used for the carbon objective (emissions held, cost minimised) and the tie-break pass (placement and cost
    held, the distance of certificate trades and corridor flows minimised). The solution, if any, is loaded into
    ``m``; without one the variables keep the previous stage's values. ``monitor``: as for :func:`solve`.
    """
    for obj in m.component_data_objects(pyo.Objective, active=True):
        if obj is not objective:
            obj.deactivate()
    fixed = []
    for comp in fix:
        for v in comp.values():
            if not v.fixed and v.value is not None:
                v.fix(round(v.value))
                fixed.append(v)
    is_int: dict[int, bool] = {}  # by domain object: a few are shared by every column (millions in hourly models)
    integer_left = False
    for v in m.component_data_objects(pyo.Var):
        flag = is_int.get(id(v.domain))
        if flag is None:
            flag = is_int[id(v.domain)] = bool(v.is_integer() or v.is_binary())
        if flag and not v.fixed:
            integer_left = True
            break
    if lp_options and not integer_left:
        opts = {**opts, "highs_options": {**lp_options, **(opts.get("highs_options") or {})}}
    try:
        with native_solve():
            return run_highs(m, **{**opts, "log_file": None}, monitor=monitor)
    finally:
        for v in fixed:
            v.unfix()


def solve_carbon_caps(
    scenario: Scenario,
    caps_t: Sequence[float],
    *,
    file: str = "<scenario>",
    region_set: RegionSet | None = None,
    progress: Callable[[str], None] | None = None,
) -> Iterator[Result | InfeasibleError | TimeLimitError]:
    """Minimise cost under each carbon cap of ``caps_t`` (tCO2/yr, replacing ``policy.carbon_cap_t``), building
    and handing the model to HiGHS once.

    The ε points of a Pareto frontier differ only in the right-hand side of one row,
    ``carbon_cap: emissions ≤ cap``; the model data, the Pyomo build and the handoff are done for the first cap,
    and every later cap only changes that row's bound (:class:`optimizer.model.highs.PersistentHighs`) and
    re-solves, the previous point's solution offered as a start (feasible when caps ascend). Yields, in the order
    of ``caps_t``, the :class:`Result` of each cap (its ``scenario`` carries the cap) or the
    :class:`InfeasibleError` (with its diagnosis) / :class:`TimeLimitError` of a cap that failed — a failed point
    does not stop the series. Results equal independent :func:`solve` calls up to the MIP gap.
    """
    from dataclasses import replace

    from optimizer.model.highs import PersistentHighs

    if not caps_t:
        return
    if scenario.objective.mode != "cost":
        raise ScenarioError(file, [("objective.mode", "carbon-cap series minimise cost; got 'carbon'")])
    say = progress or (lambda _msg: None)

    def capped(cap_t: float) -> Scenario:
        return scenario.model_copy(update={"policy": scenario.policy.model_copy(update={"carbon_cap_t": cap_t})})

    t0 = time.perf_counter()
    region_set, md, infos, size = _prepare(capped(caps_t[0]), region_set, file, None, say)
    t_data = time.perf_counter()
    say(f"building Pyomo model (~{size['columns']:,} columns, ~{size['rows']:,} rows) once for {len(caps_t)} caps")
    m = build_model(md, arrays=True)
    t_build = time.perf_counter()
    opts = _highs_options(scenario, None, None, None)
    opts["highs_options"], lp_note = lp_algorithm(md, opts["highs_options"])
    if lp_note:
        say(lp_note)
    ph = PersistentHighs(
        m,
        threads=opts["threads"],
        time_limit=opts["time_limit"],
        mip_gap=opts["mip_gap"],
        seed=opts["seed"],
        highs_options=opts["highs_options"],
    )
    for k, cap_t in enumerate(caps_t):
        t_point = time.perf_counter()
        sc = capped(cap_t)
        md_k = replace(md, carbon_cap_kt=cap_t / 1000.0)
        if k:
            ph.set_constraint_bounds(m.carbon_cap, upper=md_k.carbon_cap_kt)
        say(f"solving with HiGHS (cap {cap_t:,.0f} t, {k + 1}/{len(caps_t)})")
        run = ph.solve()
        try:
            _raise_without_solution(run, md_k, region_set, opts, False, say)
        except (InfeasibleError, TimeLimitError) as exc:
            yield exc
            continue
        status = "optimal" if run.status == "optimal" else "time_limit"
        first = k == 0
        timings = {
            "data": (t_data - t0) if first else 0.0,
            "build": (t_build - t_data) if first else 0.0,
            "write_lp": 0.0,
            "solve": time.perf_counter() - (t_build if first else t_point),
            "handoff": run.compile_s,
            "highs": run.runtime_s,
        }
        start = t0 if first else t_point
        yield _result(
            m, md_k, infos, region_set, sc, status, run.objective, run.bound, opts, size, timings, start, None
        )


def _prepare(scenario: Scenario, region_set: RegionSet | None, file: str, fix, say):
    """Region set (loaded if not given), model data and its size; refuses models above :data:`MAX_COLUMNS`."""
    if region_set is None:
        say(f"loading region set '{scenario.region_set}'")
        profiles: dict[str, str | Path] = {str(k): v for k, v in scenario.grid.profiles.items()}
        region_set = load_region_set(scenario.region_set, profiles=profiles or None)
    say(f"building model data ({scenario.time.mode}, {len(scenario.clusters)} cluster entries)")
    md, infos = build_model_data(
        scenario, region_set, file=file, fixed_plan=fix, max_size=(MAX_COLUMNS, MAX_INTEGER_COLUMNS)
    )
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
    if (note := large_model_warning(size)) is not None:
        say(note)
    return region_set, md, infos, size


def _highs_options(scenario: Scenario, time_limit, mip_gap, log_file) -> dict:
    cfg = scenario.solver
    return {
        "threads": cfg.threads,
        "time_limit": cfg.time_limit_s if time_limit is None else time_limit,
        "mip_gap": cfg.mip_gap if mip_gap is None else mip_gap,
        "seed": cfg.seed,
        "log_file": str(log_file) if log_file else None,
        "highs_options": dict(cfg.highs_options) or None,
    }


def _raise_without_solution(run, md: ModelData, region_set: RegionSet, opts: dict, iis: bool, say) -> None:
    """Infeasible → :class:`InfeasibleError` with a diagnosis; time limit without a plan → :class:`TimeLimitError`."""
    if run.status in ("infeasible", "unbounded") and not run.has_solution:
        from optimizer.model.diagnose import explain_infeasible

        say("infeasible: diagnosing which policies or limits cannot be met")
        hubs = set(region_set.hub_site_ids())
        raise explain_infeasible(
            md,
            time_limit=min(opts["time_limit"], 120.0),
            threads=opts["threads"],
            seed=opts["seed"],
            iis=iis,
            hub_sites=hubs,
        )
    if not run.has_solution:
        if run.status == "time_limit":
            raise TimeLimitError(f"time limit reached with no feasible placement (limit {opts['time_limit']:g} s)")
        if run.status == "interrupted":
            raise KeyboardInterrupt
        raise RuntimeError(f"HiGHS stopped without a solution: {run.model_status}")


def _result(m, md, infos, region_set, scenario, status, objective, bound, opts, size, timings, t0, fix) -> Result:
    """Extract the tables from the solved Pyomo model and assemble the :class:`Result`."""
    t_solve = time.perf_counter()
    site_meta = pd.DataFrame(region_set.sites.drop(columns="geometry"))
    region_meta = pd.DataFrame(region_set.regions.drop(columns="geometry"))
    ext = extract_tables(m, md, infos, site_meta, region_meta)
    t_end = time.perf_counter()
    gap = None
    if objective is not None and bound is not None and math.isfinite(bound):
        gap = abs(objective - bound) / max(abs(objective), 1e-9)
    log_file = opts.get("log_file")
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
        timings_s={**timings, "extract": t_end - t_solve, "total": t_end - t0},
        tables={k: ext[k] for k in ("assignments", "sites", "regions", "flows", "certificates")},
        model_size=size,
        notes=list(md.notes),
        solver_log=str(log_file) if log_file else "",
        fixed_plan=fix is not None,
        solver_options={k: v for k, v in opts.items() if k != "log_file" and v is not None},
    )


def solve_file(path: str | Path, **kwargs) -> Result:
    """Load a scenario file and solve it (see :func:`solve`)."""
    from optimizer.model.scenario import load_scenario

    return solve(load_scenario(path), file=str(path), **kwargs)


__all__ = ["ClusterInfo", "ModelData", "Result", "TimeLimitError", "solve", "solve_carbon_caps", "solve_file"]
