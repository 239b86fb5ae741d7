"""Hourly models without branch and bound: a typical-day placement certified by two interior-point LPs.

An hourly model (8,760 slices) of a national scenario has ~1.4 M columns; HiGHS's MIP solver does not finish its
root LP in useful time on this machine. Its placement decisions are few, though, and its LP relaxation is nearly
exact (the integrality gap of the shipped scenarios at 12 typical days is 0.005 % and 0.14 %,
docs/performance.md). So the hourly MIP ``z* = min {cᵀx : x ∈ P, build integer}`` is bracketed by two LPs:

- **upper side** ``UB``: the placement ``b̂`` of the same scenario on 12 typical days (a small MIP, seconds) is
  fixed — ``build[k,s] = b̂[k,s]`` and ``unbuilt[k] = n_k − Σ_s b̂[k,s]`` — and the hourly LP re-optimises every
  other decision (renewables, storage, corridor flows, certificates) over 8,760 h. Its optimum is what that
  placement really costs, and the plan it gives is the plan reported: ``UB = cᵀx̂ ≥ z*``;
- **lower side** ``LB``: the hourly LP relaxation (``build`` continuous in ``[0, n_k]``); its dual objective is
  ``LB ≤ z*``.

Both LPs are the same compiled matrix with different column bounds; they are solved by Clarabel
(:mod:`optimizer.model.interior`), side by side in two threads when ``solver.threads ≥ 2``. The plan is
reported with ``bound = LB`` and gap ``(UB − LB) / UB``: ``optimal`` when that is within ``solver.mip_gap``,
else ``feasible`` (a plan whose distance from the optimum is proved, but larger than asked).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

import numpy as np
import pyomo.environ as pyo
from pyomo.common.errors import InfeasibleConstraintException

from optimizer.model.highs import HighsRun, _compile, load_values, native_solve
from optimizer.model.interior import InteriorRun, LPArrays, lp_arrays, solve_lp
from optimizer.model.modeldata import ModelData

#: Typical days of the placement stage (the scenario's default resolution, docs/performance.md).
PLACEMENT_DAYS = 12
#: Seconds between two progress lines of one interior-point LP.
PROGRESS_EVERY_S = 30.0


@dataclass
class Bracket:
    """The outcome of :func:`certify_placement` (or of :func:`solve_interior_lp` for a fixed plan alone)."""

    run: HighsRun  # the plan's LP (loaded into the Pyomo model when it has a solution), bound = LB
    upper: InteriorRun
    lower: InteriorRun | None
    notes: list[str]


def compile_arrays(m: pyo.ConcreteModel):
    """Compile ``m`` once (the direct compiler): (compiler info, :class:`LPArrays`, integer columns)."""
    import highspy

    h = highspy.Highs()
    h.setOptionValue("output_flag", False)
    info, _ = _compile(m, h)
    arrays = lp_arrays(h)
    lp = h.getLp()
    integer = np.zeros(arrays.n_cols, dtype=bool)
    if len(lp.integrality_):
        integer = np.fromiter((int(t) != 0 for t in lp.integrality_), dtype=bool, count=arrays.n_cols)
    return info, arrays, integer


def placement_bounds(
    m: pyo.ConcreteModel, md: ModelData, info, arrays: LPArrays, counts: dict[tuple[str, str], int]
) -> tuple[np.ndarray, np.ndarray]:
    """Column bounds of ``arrays`` with the placement fixed: ``build[k,s] = counts[k,s]`` (0 when absent) and
    ``unbuilt[k] = n_k − Σ_s counts[k,s]``."""
    col = {id(v): j for j, v in enumerate(info.columns)}
    lo, up = arrays.col_lower.copy(), arrays.col_upper.copy()
    built: dict[str, int] = {}
    for k, s in md.group_pairs():
        j = col.get(id(m.build[k, s]))
        n = counts.get((k, s), 0)
        built[k] = built.get(k, 0) + n
        if j is not None:
            lo[j] = up[j] = n
    for g in md.groups:
        if g.optional:
            j = col.get(id(m.unbuilt[g.id]))
            if j is not None:
                lo[j] = up[j] = g.count - built.get(g.id, 0)
    return lo, up


def _progress(label: str, say: Callable[[str], None], stop: threading.Event):
    last = [time.perf_counter()]

    def on_iteration(k: int, primal: float, dual: float, gap: float) -> bool:
        now = time.perf_counter()
        if now - last[0] >= PROGRESS_EVERY_S:
            last[0] = now
            say(f"{label}: interior-point iteration {k}, objective {primal:,.3f}, dual {dual:,.3f}, gap {gap:.2e}")
        return stop.is_set()

    return on_iteration


def _as_run(r: InteriorRun, compile_s: float) -> HighsRun:
    return HighsRun(
        status=r.status,
        has_solution=r.x is not None,
        objective=r.objective,
        bound=r.dual_objective,
        gap=None,
        runtime_s=r.solve_s,
        compile_s=compile_s,
        model_status=f"Clarabel: {r.solver_status}",
    )


def _describe(label: str, r: InteriorRun) -> str:
    out = f"{label}: Clarabel {r.solver_status} after {r.iterations} iterations in {r.solve_s:,.1f} s"
    if r.presolved_size is not None:
        cols, rows, nnz = r.presolved_size
        out += f" (on HiGHS's presolved LP: {cols:,} columns × {rows:,} rows, {nnz:,} nonzeros)"
    if r.objective is not None:
        out += f", objective {r.objective:,.3f}"
    if r.dual_objective is not None:
        out += f", dual objective {r.dual_objective:,.3f}"
    if r.row_violation is not None:
        out += f", largest row violation {r.row_violation:.1e} (relative)"
    return out


def solve_interior_lp(m: pyo.ConcreteModel, *, threads: int, time_limit: float, say: Callable[[str], None]) -> Bracket:
    """Solve ``m`` (an LP: a fixed plan) by Clarabel and load its solution; ``bound`` is the dual objective."""
    t0 = time.perf_counter()
    try:
        info, arrays, _ = compile_arrays(m)
    except InfeasibleConstraintException as exc:  # a row with only fixed variables is violated (fixed plans)
        return _violated(exc, time.perf_counter() - t0)
    compile_s = time.perf_counter() - t0
    stop = threading.Event()
    say(f"LP by interior point (Clarabel, no crossover): {arrays.n_cols:,} columns, {arrays.nnz:,} nonzeros")
    try:
        with native_solve():
            r = solve_lp(arrays, time_limit=time_limit, on_iteration=_progress("LP", say, stop))
    except KeyboardInterrupt:
        stop.set()
        raise
    run = _as_run(r, compile_s)
    if r.x is not None:
        load_values(info, r.x)
        run.gap = 0.0 if r.dual_objective is None else _gap(r.objective, r.dual_objective)
    notes = [
        "LP algorithm: interior point (Clarabel, no crossover) chosen for an hourly LP; "
        + _describe("the LP", r)
        + ". An interior point is not a vertex: flows and trades that the optimum does not need can be tiny "
        "non-zeros instead of exact zeros"
    ]
    return Bracket(run=run, upper=r, lower=None, notes=notes)


def _violated(exc: Exception, compile_s: float) -> Bracket:
    """The outcome when compiling finds a row of fixed variables only that is violated: infeasible, no LP run."""
    r = InteriorRun("infeasible", "not run", None, None, None, 0, 0.0, None)
    run = HighsRun("infeasible", False, None, None, None, 0.0, compile_s, model_status=str(exc))
    return Bracket(run=run, upper=r, lower=None, notes=[f"infeasible before any LP: {exc}"])


def _gap(upper: float | None, lower: float | None) -> float | None:
    if upper is None or lower is None:
        return None
    return max(upper - lower, 0.0) / max(abs(upper), 1e-9)


def certify_placement(
    m: pyo.ConcreteModel,
    md: ModelData,
    counts: dict[tuple[str, str], int],
    *,
    threads: int,
    time_limit: float,
    say: Callable[[str], None],
) -> Bracket:
    """The two hourly LPs of the module docstring at the placement ``counts`` ((group, site) → copies built).

    The upper LP's solution is loaded into ``m``; the returned run has ``objective = UB``, ``bound = LB``
    (``None`` when the relaxation did not finish) and ``gap = (UB − LB) / UB``.
    """
    t0 = time.perf_counter()
    try:
        info, arrays, integer = compile_arrays(m)
    except InfeasibleConstraintException as exc:
        return _violated(exc, time.perf_counter() - t0)
    compile_s = time.perf_counter() - t0
    lo, up = placement_bounds(m, md, info, arrays, counts)
    stop = threading.Event()
    order = "side by side" if threads >= 2 else "one after the other"
    say(
        f"LPs by interior point (Clarabel, no crossover), {order}: the placement's plan and the LP relaxation, "
        f"{arrays.n_cols:,} columns and {arrays.nnz:,} nonzeros each"
    )

    def upper() -> InteriorRun:
        return solve_lp(
            arrays, col_lower=lo, col_upper=up, time_limit=time_limit, on_iteration=_progress("plan LP", say, stop)
        )

    def lower() -> InteriorRun:
        return solve_lp(arrays, time_limit=time_limit, on_iteration=_progress("relaxation LP", say, stop))

    try:
        with native_solve():
            if threads >= 2:
                with ThreadPoolExecutor(max_workers=2, thread_name_prefix="gridsite-ipm") as pool:
                    fu, fl = pool.submit(upper), pool.submit(lower)
                    while not (fu.done() and fl.done()):
                        time.sleep(0.2)  # the main thread stays responsive to Ctrl-C
                    ru, rl = fu.result(), fl.result()
            else:
                ru = upper()
                rl = lower()
    except KeyboardInterrupt:
        stop.set()
        raise
    run = _as_run(ru, compile_s)
    run.runtime_s = max(ru.solve_s, rl.solve_s) if threads >= 2 else ru.solve_s + rl.solve_s
    lb = rl.dual_objective if rl.status == "optimal" else None
    if ru.x is not None:
        load_values(info, ru.x)
        if lb is not None and ru.objective is not None:
            lb = min(lb, ru.objective)
        run.bound = lb
        run.gap = _gap(ru.objective, lb)
    notes = [
        _describe("LP at the typical-day placement (the plan, upper bound)", ru),
        _describe("LP relaxation (lower bound)", rl),
    ]
    if integer.any() and rl.x is not None:
        frac = np.abs(rl.x[integer] - np.round(rl.x[integer]))
        notes.append(f"the relaxation's largest fractional placement value is {float(frac.max(initial=0.0)):.3f}")
    return Bracket(run=run, upper=ru, lower=rl, notes=notes)


__all__ = ["PLACEMENT_DAYS", "Bracket", "certify_placement", "compile_arrays", "placement_bounds", "solve_interior_lp"]
