"""Hand a Pyomo model to HiGHS in memory as matrices (no file round-trip, no per-term Python callbacks).

:func:`optimizer.model.matrices.standard_form` turns the active objective and constraints into sparse arrays (the
same arrays as Pyomo's :class:`LinearStandardFormCompiler`, the compiler behind its LP writer, which
``$GRIDSITE_HANDOFF=pyomo`` selects); they are passed to ``highspy`` with :meth:`Highs.passModel` and the solution is
written back into the Pyomo variables. This is several times faster than building the HiGHS model term by term
through a persistent interface, which matters for models with ~10⁵ columns.

Rows keep their Pyomo constraint names (``rows[i]``), so diagnostics (IIS) can map HiGHS indices back to the
stable component names.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from contextlib import contextmanager, nullcontext
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import highspy
import numpy as np
import pyomo.environ as pyo
from pyomo.common.errors import InfeasibleConstraintException
from pyomo.common.gc_manager import PauseGC
from pyomo.common.numeric_types import native_numeric_types

from optimizer.model.matrices import BlockRow, row_senses, standard_form

if TYPE_CHECKING:
    from optimizer.model.progress import SolveReporter

INF = highspy.kHighsInf


_THREADS: dict[str, int | None] = {"current": None}
_THREADS_LOCK = threading.Lock()


def use_threads(threads: int) -> None:
    """Make HiGHS's process-wide thread pool match ``threads`` before a run.

    HiGHS creates its global scheduler at the first run in a process; a later run asking for another thread
    count fails ("Not Set", no solution) unless the scheduler is reset. Sweeps, notebooks and tests solve many
    scenarios with different ``solver.threads`` in one process, so reset when the count changes.
    """
    import highspy

    with _THREADS_LOCK:
        if _THREADS["current"] not in (None, threads):
            highspy.Highs.resetGlobalScheduler(True)
        _THREADS["current"] = threads


def pool_threads() -> int:
    """The thread count of HiGHS's process-wide pool, set to 1 when no run has set it yet: an auxiliary HiGHS
    instance (e.g. a presolve) uses it so that it neither creates a pool of another size nor resets one in use."""
    with _THREADS_LOCK:
        current = _THREADS["current"]
        if current is None:
            current = _THREADS["current"] = 1
        return int(current)


_NATIVE = {"depth": 0}


@contextmanager
def native_solve():
    """Mark the block as running HiGHS, whose native code holds off Python signal handlers until it returns.

    :func:`gridsite.cli.guard.guarded` uses :func:`in_native_solve` to end the process promptly on Ctrl-C / SIGTERM
    during a long solve (HiGHS does not poll interrupt callbacks inside its MIP root LP); nothing is being
    written at that point, so no output folder is affected.
    """
    with _THREADS_LOCK:
        _NATIVE["depth"] += 1
    try:
        yield
    finally:
        with _THREADS_LOCK:
            _NATIVE["depth"] -= 1


def in_native_solve() -> bool:
    return _NATIVE["depth"] > 0


_RUN_STARTS: list[Callable[[], None]] = []


@contextmanager
def on_next_run(fn: Callable[[], None]):
    """Within the block, call ``fn`` (once, in the solving thread) when the next HiGHS run starts, i.e. when the
    model has been handed over and HiGHS's native code is about to run without Python's GIL. Not called if no run
    starts before the block ends.

    The CLI uses it to start preparing the output files (imports, map base scene) on the core HiGHS leaves idle:
    HiGHS's MIP keeps ~1 of the 2 threads busy on average, so work started then costs little solve time, while work
    started before it would compete with the model build for the GIL.
    """
    with _THREADS_LOCK:
        _RUN_STARTS.append(fn)
    try:
        yield
    finally:
        with _THREADS_LOCK:
            if fn in _RUN_STARTS:
                _RUN_STARTS.remove(fn)


def _run_started() -> None:
    with _THREADS_LOCK:
        calls = list(_RUN_STARTS)
        _RUN_STARTS.clear()
    for fn in calls:
        fn()


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


def column_bounds(cols) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Lower and upper bounds of the columns (±inf where unbounded) — each variable's ``v.bounds`` within its
    domain — and whether each is integer (``v.is_integer() or v.is_binary()``).

    Consecutive columns with the same domain object and the same constant bounds (a component's columns mostly
    are) share one evaluation of ``v.bounds``, found with array operations, which takes the property calls
    (~2 µs per column) out of the per-column cost; a bound that is a Param or an expression is evaluated per
    column.
    """
    n = len(cols)
    lower = np.empty(n)
    upper = np.empty(n)
    integer = np.zeros(n, dtype=bool)
    if not n:
        return lower, upper, integer
    lbs: list = []
    ubs: list = []
    doms: list = []
    plain = True
    try:
        lbs = [v._lb for v in cols]
        ubs = [v._ub for v in cols]
        doms = [v._domain for v in cols]
    except AttributeError:  # pragma: no cover - another variable class
        plain = False
    num = native_numeric_types
    kinds = set(map(type, lbs)) | set(map(type, ubs))
    kinds.discard(type(None))
    if not plain or not kinds <= set(num):
        for j, v in enumerate(cols):  # a bound that is not a number: every column on its own
            b = v.bounds
            lower[j] = -INF if b[0] is None else b[0]
            upper[j] = INF if b[1] is None else b[1]
            integer[j] = bool(v.is_integer() or v.is_binary())
        return lower, upper, integer
    lb = np.array([np.nan if x is None else x for x in lbs], dtype=float)
    ub = np.array([np.nan if x is None else x for x in ubs], dtype=float)
    dom = np.fromiter(map(id, doms), dtype=np.uint64, count=n)

    def changed(a: np.ndarray) -> np.ndarray:
        return (a[1:] != a[:-1]) & ~(np.isnan(a[1:]) & np.isnan(a[:-1]))

    starts = np.flatnonzero(np.concatenate(([True], (dom[1:] != dom[:-1]) | changed(lb) | changed(ub))))
    ends = np.append(starts[1:], n)
    seen: dict[tuple, tuple[float, float, bool]] = {}
    is_int: dict[int, bool] = {}
    for a, b in zip(starts.tolist(), ends.tolist(), strict=True):
        v = cols[a]
        key = (id(doms[a]), lbs[a], ubs[a])
        got = seen.get(key)
        if got is None:
            flag = is_int.get(id(doms[a]))
            if flag is None:
                flag = is_int[id(doms[a])] = bool(v.is_integer() or v.is_binary())
            bd = v.bounds
            got = seen[key] = (-INF if bd[0] is None else bd[0], INF if bd[1] is None else bd[1], flag)
        lower[a:b], upper[a:b], integer[a:b] = got
    return lower, upper, integer


def compile_to_highs(m: pyo.ConcreteModel, h: highspy.Highs):
    """Compile the active objective/constraints of ``m`` and pass them to ``h``; returns the compiler info."""
    return _compile(m, h)[0]


def _compile(m: pyo.ConcreteModel, h: highspy.Highs):
    """(compiler info, whether any column is integer). The GC is paused: see :func:`optimizer.model.build_model`.

    A model with integer columns is passed through HiGHS's array interface (``passModel`` with the column-wise
    arrays, as its C API takes them), which reads numpy arrays in place; a ``HighsLp`` copies every entry through
    Python (~0.1 µs each). A model without integer columns is passed as a ``HighsLp`` with no integrality
    vector, as before (the array interface would attach an all-continuous one).
    """
    with PauseGC():
        info = standard_form(m)
        cols = info.columns
        n, nrow = len(cols), len(info.rows)
        c = info.c.toarray().ravel() if info.c.shape[0] else np.zeros(n)
        cost = np.asarray(c, dtype=float)
        offset = float(info.c_offset[0]) if len(info.c_offset) else 0.0
        col_lower, col_upper, integer = column_bounds(cols)
        rhs = np.asarray(info.rhs, dtype=float)
        mult = row_senses(info.rows)
        row_lower = np.where(mult <= 0, rhs, -INF)
        row_upper = np.where(mult >= 0, rhs, INF)
        A = info.A.tocsc()
        A.sort_indices()
        start = np.ascontiguousarray(A.indptr, dtype=np.int32)
        index = np.ascontiguousarray(A.indices, dtype=np.int32)
        value = np.ascontiguousarray(A.data, dtype=np.float64)
        is_mip = bool(integer.any())
        passed = False
        if is_mip:
            status = h.passModel(
                n, nrow, len(value), int(highspy.MatrixFormat.kColwise), int(highspy.ObjSense.kMinimize), offset,
                cost, col_lower, col_upper, row_lower, row_upper, start, index, value, integer.astype(np.int32),
            )
            passed = status != highspy.HighsStatus.kError  # else (not seen) the HighsLp below, as before
        if not passed:
            lp = highspy.HighsLp()
            lp.num_col_ = n
            lp.num_row_ = nrow
            lp.col_cost_ = cost
            lp.offset_ = offset
            lp.col_lower_, lp.col_upper_ = col_lower, col_upper
            lp.row_lower_, lp.row_upper_ = row_lower, row_upper
            lp.a_matrix_.format_ = highspy.MatrixFormat.kColwise
            lp.a_matrix_.num_col_ = n
            lp.a_matrix_.num_row_ = nrow
            lp.a_matrix_.start_ = start
            lp.a_matrix_.index_ = index
            lp.a_matrix_.value_ = value
            if is_mip:
                kinds = (highspy.HighsVarType.kContinuous, highspy.HighsVarType.kInteger)
                lp.integrality_ = [kinds[int(i)] for i in integer]
            h.passModel(lp)
    return info, is_mip


def _new_highs(
    threads: int,
    time_limit: float,
    mip_gap: float,
    seed: int,
    log_file,
    options: dict | None = None,
    log_callback: Callable | None = None,
) -> highspy.Highs:
    """A HiGHS instance with our options; ``log_callback`` (subscribed first, so it also gets HiGHS's banner)
    receives every log message, with or without a ``log_file``."""
    h = highspy.Highs()
    if log_callback is not None:
        h.cbLogging.subscribe(log_callback)
    h.setOptionValue("output_flag", bool(log_file) or log_callback is not None)
    h.setOptionValue("log_to_console", False)
    if log_file:
        h.setOptionValue("log_file", str(log_file))
    h.setOptionValue("threads", int(threads))
    h.setOptionValue("time_limit", float(time_limit))
    h.setOptionValue("mip_rel_gap", float(mip_gap))
    h.setOptionValue("random_seed", int(seed))
    for name, value in (options or {}).items():
        if h.setOptionValue(name, value) != highspy.HighsStatus.kOk:
            raise ValueError(f"HiGHS rejected option {name}={value!r}")
    return h


_STATUS = {
    highspy.HighsModelStatus.kOptimal: "optimal",
    highspy.HighsModelStatus.kTimeLimit: "time_limit",
    highspy.HighsModelStatus.kInfeasible: "infeasible",
    highspy.HighsModelStatus.kUnboundedOrInfeasible: "infeasible",
    highspy.HighsModelStatus.kUnbounded: "unbounded",
    highspy.HighsModelStatus.kInterrupt: "interrupted",
    highspy.HighsModelStatus.kModelEmpty: "optimal",
}


def _outcome(h: highspy.Highs, info, is_mip: bool, runtime_s: float, compile_s: float) -> HighsRun:
    """Read HiGHS's status and solution; load the solution into the Pyomo variables when there is one."""
    status = h.getModelStatus()
    inf = h.getInfo()
    has_sol = inf.primal_solution_status == 2  # kSolutionStatusFeasible
    if status == highspy.HighsModelStatus.kModelEmpty:
        has_sol = True
    obj = bound = gap = None
    if has_sol:
        load_values(info, np.asarray(h.getSolution().col_value, dtype=float))
        obj = float(inf.objective_function_value)
        bound = float(inf.mip_dual_bound) if is_mip else obj
        gap = float(inf.mip_gap) if is_mip else 0.0
    return HighsRun(
        status=_STATUS.get(status, "error"),
        has_solution=has_sol,
        objective=obj,
        bound=bound,
        gap=gap,
        runtime_s=runtime_s,
        compile_s=compile_s,
        model_status=h.modelStatusToString(status),
    )


def load_values(info, values: np.ndarray) -> None:
    """Set the compiled columns ``info.columns`` to ``values`` (in column order) and the variables the compiler
    eliminated to the values their expressions take."""
    with PauseGC():
        for v, x in zip(info.columns, values.tolist(), strict=True):
            v.set_value(x, skip_validation=True)
        for v, expr in info.eliminated_vars:
            v.set_value(float(pyo.value(expr)), skip_validation=True)


def run_highs(
    m: pyo.ConcreteModel,
    *,
    threads: int = 2,
    time_limit: float = 300.0,
    mip_gap: float = 0.005,
    seed: int = 0,
    log_file: str | None = None,
    keep: bool = False,
    highs_options: dict | None = None,
    monitor: SolveReporter | None = None,
) -> HighsRun:
    """Solve ``m`` (minimisation) with HiGHS and load the solution into its variables when there is one.

    ``monitor``: shows the run's progress (incumbent, bound, gap from HiGHS callbacks) and, when verbose, streams
    HiGHS's log; see :mod:`optimizer.model.progress`.

    ``highs_options``: further HiGHS options by name, e.g. ``{"mip_lp_solver": "ipx"}`` (an interior-point root
    LP: 2–4× faster on the 31-site China and 200-cluster US models, up to 2× slower on hub-only China models; see
    docs/performance.md). None are set by default.
    """
    from optimizer.model.solve import native_solve, use_threads  # process-wide HiGHS thread pool, signal handling

    t0 = time.perf_counter()
    use_threads(threads)
    log_cb = monitor.log_line if monitor is not None and monitor.verbose else None
    h = _new_highs(threads, time_limit, mip_gap, seed, log_file, highs_options, log_callback=log_cb)
    try:
        info, is_mip = _compile(m, h)
    except InfeasibleConstraintException as exc:  # a row with only fixed variables is violated (fixed plans)
        return HighsRun("infeasible", False, None, None, None, 0.0, time.perf_counter() - t0, model_status=str(exc))
    t1 = time.perf_counter()
    watch = monitor.watch(h, is_mip=is_mip, time_limit=time_limit) if monitor is not None else nullcontext()
    _run_started()
    with native_solve(), watch:
        h.run()
    run = _outcome(h, info, is_mip, float(h.getRunTime()), t1 - t0)
    if keep:
        run.highs = h
        run.row_names = [r[0].name for r in info.rows]
        run.col_names = [v.name for v in info.columns]
    return run


class PersistentHighs:
    """A model compiled once and kept in one HiGHS instance: change right-hand sides or bounds, solve again.

    For Pareto points, sweeps and what-ifs where only a constraint's bounds (a carbon cap, a certificate supply
    limit) or variable bounds change, this skips the model data, the Pyomo build and the handoff on every point
    after the first — typically 10–30 % of a representative-days solve and most of an annual one (measured in
    ``benchmarks/reuse.py``). After each :meth:`solve` the solution is in the Pyomo variables, as after
    :func:`run_highs`, so ``results.extract_tables`` reads it unchanged. With ``warm_start`` the previous
    point's solution is offered to HiGHS as a starting incumbent (used when still feasible, e.g. when a cap is
    loosened). Not thread-safe; one instance per worker::

        m = build_model(md)                        # md with carbon_cap_kt set, so the model has the row
        ph = PersistentHighs(m, threads=2, mip_gap=0.005)
        for cap in caps:
            ph.set_constraint_bounds(m.carbon_cap, upper=cap)
            run = ph.solve()
    """

    def __init__(
        self,
        m: pyo.ConcreteModel,
        *,
        threads: int = 2,
        time_limit: float = 300.0,
        mip_gap: float = 0.005,
        seed: int = 0,
        log_file: str | None = None,
        highs_options: dict | None = None,
    ):
        t0 = time.perf_counter()
        self.m = m
        self.threads = threads
        self.highs = _new_highs(threads, time_limit, mip_gap, seed, log_file, highs_options)
        self.info, self.is_mip = _compile(m, self.highs)
        self.compile_s = time.perf_counter() - t0
        mult = row_senses(self.info.rows)
        rhs = np.asarray(self.info.rhs, dtype=float)
        self._row_lower = np.where(mult <= 0, rhs, -INF)
        self._row_upper = np.where(mult >= 0, rhs, INF)
        self._rows: dict[int, list[tuple[int, int, float]]] | None = None
        self._cols: dict[int, int] | None = None
        self._solutions = 0

    def _row_map(self) -> dict[int, list[tuple[int, int, float]]]:
        """id(constraint data) → [(row, sense, offset)]: a compiled row is ``body − offset`` against its rhs."""
        if self._rows is None:
            self._rows = {}
            for i, (con, sense) in enumerate(self.info.rows):
                if con.__class__ is BlockRow:  # rows of row blocks keep their bounds (see families.blocks)
                    continue
                bound = con.upper if sense >= 0 else con.lower
                offset = float(pyo.value(bound)) - float(self.info.rhs[i])
                self._rows.setdefault(id(con), []).append((i, sense, offset))
        return self._rows

    def set_constraint_bounds(self, con, lower: float | None = None, upper: float | None = None) -> None:
        """Give the (already compiled) constraint ``con`` new bounds, in HiGHS and in the Pyomo model.

        Only the side(s) the row had when compiled can change (a ``≤`` row takes a new ``upper``).
        """
        rows = self._row_map().get(id(con))
        if not rows:
            raise KeyError(f"constraint {con.name} is not a row of the compiled model")
        for i, sense, offset in rows:
            if sense >= 0 and upper is not None:
                self._row_upper[i] = upper - offset
            if sense <= 0 and lower is not None:
                self._row_lower[i] = lower - offset
            self.highs.changeRowBounds(i, float(self._row_lower[i]), float(self._row_upper[i]))
        con.set_value((con.lower if lower is None else lower, con.body, con.upper if upper is None else upper))

    def set_var_bounds(self, var, lower: float | None, upper: float | None) -> None:
        """New bounds of a variable that is a column of the compiled model (None = unbounded on that side)."""
        if self._cols is None:
            self._cols = {id(v): j for j, v in enumerate(self.info.columns)}
        j = self._cols.get(id(var))
        if j is None:
            raise KeyError(f"variable {var.name} is not a column of the compiled model (fixed when compiled?)")
        self.highs.changeColBounds(j, -INF if lower is None else lower, INF if upper is None else upper)
        var.setlb(lower)
        var.setub(upper)

    def solve(self, *, warm_start: bool = True) -> HighsRun:
        """Solve the current model; the solution (if any) is loaded into the Pyomo variables."""
        h = self.highs
        if warm_start and self._solutions:
            sol = h.getSolution()
            if sol.value_valid:
                h.setSolution(sol)

        use_threads(self.threads)
        before = float(h.getRunTime())
        _run_started()
        with native_solve():
            h.run()
        run = _outcome(
            h, self.info, self.is_mip, float(h.getRunTime()) - before, 0.0 if self._solutions else self.compile_s
        )
        self._solutions += 1
        return run
