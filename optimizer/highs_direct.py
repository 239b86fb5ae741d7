"""Hand a Pyomo model to HiGHS in memory as matrices (no file round-trip, no per-term Python callbacks).

Pyomo's :class:`LinearStandardFormCompiler` (the compiler behind its LP writer) turns the active objective and
constraints into sparse arrays; they are passed to ``highspy`` with :meth:`Highs.passModel` and the solution is
written back into the Pyomo variables. This is several times faster than building the HiGHS model term by term
through a persistent interface, which matters for models with ~10⁵ columns.

Rows keep their Pyomo constraint names (``rows[i]``), so diagnostics (IIS) can map HiGHS indices back to the
stable component names.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field

import highspy
import numpy as np
import pyomo.environ as pyo
from pyomo.common.errors import InfeasibleConstraintException
from pyomo.repn.plugins.standard_form import LinearStandardFormCompiler

INF = highspy.kHighsInf


@dataclass
class HighsRun:
    """Outcome of one HiGHS run on a compiled Pyomo model."""

    status: str  # optimal | time_limit | infeasible | unbounded | interrupted | error
    has_solution: bool
    objective: float | None
    bound: float | None
    gap: float | None
    runtime_s: float  # HiGHS's own run time
    compile_s: float  # Pyomo → matrices → HiGHS
    model_status: str = ""
    highs: highspy.Highs | None = field(default=None, repr=False)
    row_names: list[str] = field(default_factory=list, repr=False)
    col_names: list[str] = field(default_factory=list, repr=False)


def compile_to_highs(m: pyo.ConcreteModel, h: highspy.Highs):
    """Compile the active objective/constraints of ``m`` and pass them to ``h``; returns the compiler info."""
    info = LinearStandardFormCompiler().write(m, mixed_form=True)
    cols = info.columns
    n, nrow = len(cols), len(info.rows)
    lp = highspy.HighsLp()
    lp.num_col_ = n
    lp.num_row_ = nrow
    c = info.c.toarray().ravel() if info.c.shape[0] else np.zeros(n)
    lp.col_cost_ = np.asarray(c, dtype=float)
    lp.offset_ = float(info.c_offset[0]) if len(info.c_offset) else 0.0
    lower = np.empty(n)
    upper = np.empty(n)
    integer = np.zeros(n, dtype=bool)
    for j, v in enumerate(cols):
        lb, ub = v.lb, v.ub
        lower[j] = -INF if lb is None else lb
        upper[j] = INF if ub is None else ub
        integer[j] = v.is_integer() or v.is_binary()
    lp.col_lower_ = lower
    lp.col_upper_ = upper
    rhs = np.asarray(info.rhs, dtype=float)
    mult = np.fromiter((r[1] for r in info.rows), dtype=float, count=nrow)
    lp.row_lower_ = np.where(mult <= 0, rhs, -INF)
    lp.row_upper_ = np.where(mult >= 0, rhs, INF)
    A = info.A.tocsc()
    A.sort_indices()
    lp.a_matrix_.format_ = highspy.MatrixFormat.kColwise
    lp.a_matrix_.num_col_ = n
    lp.a_matrix_.num_row_ = nrow
    lp.a_matrix_.start_ = A.indptr.astype(np.int32)
    lp.a_matrix_.index_ = A.indices.astype(np.int32)
    lp.a_matrix_.value_ = A.data.astype(float)
    if integer.any():
        lp.integrality_ = [highspy.HighsVarType.kInteger if i else highspy.HighsVarType.kContinuous for i in integer]
    h.passModel(lp)
    return info


def run_highs(
    m: pyo.ConcreteModel,
    *,
    threads: int = 2,
    time_limit: float = 300.0,
    mip_gap: float = 0.005,
    seed: int = 0,
    log_file: str | None = None,
    keep: bool = False,
) -> HighsRun:
    """Solve ``m`` (minimisation) with HiGHS and load the solution into its variables when there is one."""
    t0 = time.perf_counter()
    h = highspy.Highs()
    h.setOptionValue("output_flag", bool(log_file))
    h.setOptionValue("log_to_console", False)
    if log_file:
        h.setOptionValue("log_file", str(log_file))
    h.setOptionValue("threads", int(threads))
    h.setOptionValue("time_limit", float(time_limit))
    h.setOptionValue("mip_rel_gap", float(mip_gap))
    h.setOptionValue("random_seed", int(seed))
    try:
        info = compile_to_highs(m, h)
    except InfeasibleConstraintException as exc:  # a row with only fixed variables is violated (fixed plans)
        return HighsRun("infeasible", False, None, None, None, 0.0, time.perf_counter() - t0, model_status=str(exc))
    t1 = time.perf_counter()
    h.run()
    status = h.getModelStatus()
    inf = h.getInfo()
    st = {
        highspy.HighsModelStatus.kOptimal: "optimal",
        highspy.HighsModelStatus.kTimeLimit: "time_limit",
        highspy.HighsModelStatus.kInfeasible: "infeasible",
        highspy.HighsModelStatus.kUnboundedOrInfeasible: "infeasible",
        highspy.HighsModelStatus.kUnbounded: "unbounded",
        highspy.HighsModelStatus.kInterrupt: "interrupted",
        highspy.HighsModelStatus.kModelEmpty: "optimal",
    }.get(status, "error")
    has_sol = inf.primal_solution_status == 2  # kSolutionStatusFeasible
    if status == highspy.HighsModelStatus.kModelEmpty:
        has_sol = True
    obj = bound = gap = None
    if has_sol:
        vals = np.asarray(h.getSolution().col_value, dtype=float)
        for v, x in zip(info.columns, vals, strict=True):
            v.set_value(float(x), skip_validation=True)
        for v, expr in info.eliminated_vars:
            v.set_value(float(pyo.value(expr)), skip_validation=True)
        obj = float(inf.objective_function_value)
        is_mip = bool(len(h.getLp().integrality_))
        bound = float(inf.mip_dual_bound) if is_mip else obj
        gap = float(inf.mip_gap) if is_mip else 0.0
    run = HighsRun(
        status=st,
        has_solution=has_sol,
        objective=obj,
        bound=bound,
        gap=gap,
        runtime_s=float(h.getRunTime()),
        compile_s=t1 - t0,
        model_status=h.modelStatusToString(status),
    )
    if keep:
        run.highs = h
        run.row_names = [r[0].name for r in info.rows]
        run.col_names = [v.name for v in info.columns]
    return run
