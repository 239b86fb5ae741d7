"""Large LPs by a conic interior-point method (Clarabel), without crossover, with the solution checked.

The hourly models (8,760 slices, ~1.4 M columns) are LPs once the placement is fixed or relaxed. HiGHS's
interior-point solver (IPX) takes about 54 minutes for one of them on this machine; Clarabel, an interior-point
solver that factorises the quasi-definite KKT system directly (LDLᵀ, QDLDL), takes about 6 minutes for the same
LP to the same objective (docs/performance.md, *Hourly*). This module solves an LP held as arrays (the matrix
HiGHS would receive, :func:`lp_arrays`) with Clarabel and returns the point and both objectives.

**Presolve.** HiGHS's presolve reduces the LP first (:func:`presolve`): at the typical-day placement it removes
the rows and columns of sites left without a cluster, ~30 % of the rows of the hourly plan LP, and each
interior-point iteration is cheaper by about as much. Presolve keeps the optimal value (the reduced LP carries
what it removed in its objective offset), so the reduced LP's dual objective bounds the original LP's optimum;
HiGHS's postsolve maps Clarabel's point back to every original column. The check below is made on the original
LP.

**The conic form.** The LP ``min cᵀx + c₀  s.t.  r_l ≤ Ax ≤ r_u,  l ≤ x ≤ u`` is passed as
``min c'ᵀx'  s.t.  A'x' + s = b',  s ∈ {0}^e × ℝ₊^q``:

- columns with ``l = u`` are substituted out (``c₀ += c_j l_j``; ``r_l, r_u −= A_j l_j``);
- an equality row ``r_l = r_u`` gives ``a x + s = r_u`` with ``s ∈ {0}``;
- a finite upper side gives ``a x + s = r_u``, a finite lower side ``−a x + s = −r_l``, ``s ≥ 0``;
- finite column bounds give ``−x_j + s = −l_j`` and ``x_j + s = u_j``, ``s ≥ 0``.

**The check.** Without crossover the point is interior: it satisfies the rows to the solver's feasibility
tolerance, not exactly. It is clipped into its column bounds, then ``Ax`` is recomputed and the largest row
violation, relative to ``max(1, |bound|)``, is reported (:attr:`InteriorRun.row_violation`); the objective is
``cᵀx + c₀`` at that clipped point. The dual objective is Clarabel's, a lower bound on the LP optimum up to the
dual residual. Both are reported, so a bracket ``[dual, primal]`` states what is proved.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

INF = 1e20  # HiGHS's infinity; bounds at or beyond it are absent
#: Clarabel's relative duality-gap tolerance used here (its default is 1e-8): far below any MIP gap asked for.
GAP_TOL = 1e-7
#: A verified point violates no row by more than this, relative to max(1, |bound|).
ROW_TOL = 1e-5
#: Clarabel runs without iterative refinement of its KKT solves: on the hourly LPs about as many iterations reach
#: the same objectives, each cheaper (docs/performance.md, *Presolve before Clarabel*). When it stops for one of
#: these numerical reasons, the LP is solved again with refinement (Clarabel's default).
REFINE_ON_FAILURE = ("InsufficientProgress", "NumericalError")

_STATUS = {
    "Solved": "optimal",
    "AlmostSolved": "optimal",
    "PrimalInfeasible": "infeasible",
    "AlmostPrimalInfeasible": "infeasible",
    "DualInfeasible": "unbounded",
    "AlmostDualInfeasible": "unbounded",
    "MaxTime": "time_limit",
    "CallbackTerminated": "interrupted",
}


@dataclass
class LPArrays:
    """An LP as HiGHS holds it: the column-wise matrix, costs, offset and bounds (±1e20 = none)."""

    start: np.ndarray
    index: np.ndarray
    value: np.ndarray
    n_rows: int
    cost: np.ndarray
    offset: float
    col_lower: np.ndarray
    col_upper: np.ndarray
    row_lower: np.ndarray
    row_upper: np.ndarray

    @property
    def n_cols(self) -> int:
        return len(self.cost)

    @property
    def nnz(self) -> int:
        return len(self.value)


def _arrays_of(lp: Any) -> LPArrays:
    """A :class:`highspy.HighsLp` (column-wise) as :class:`LPArrays`."""
    a = lp.a_matrix_
    start = np.asarray(a.start_, dtype=np.int64)
    return LPArrays(
        start=start if len(start) else np.zeros(1, dtype=np.int64),  # an LP without columns has no start array
        index=np.asarray(a.index_, dtype=np.int64),
        value=np.asarray(a.value_, dtype=float),
        n_rows=int(lp.num_row_),
        cost=np.asarray(lp.col_cost_, dtype=float),
        offset=float(lp.offset_),
        col_lower=np.asarray(lp.col_lower_, dtype=float),
        col_upper=np.asarray(lp.col_upper_, dtype=float),
        row_lower=np.asarray(lp.row_lower_, dtype=float),
        row_upper=np.asarray(lp.row_upper_, dtype=float),
    )


def lp_arrays(h: Any) -> LPArrays:
    """The LP held by the HiGHS instance ``h`` (after ``passModel``) as :class:`LPArrays`."""
    return _arrays_of(h.getLp())


@dataclass
class InteriorRun:
    """One interior-point LP solve."""

    status: str  # optimal | infeasible | unbounded | time_limit | interrupted | error
    solver_status: str  # Clarabel's own
    x: np.ndarray | None  # every column, clipped into its bounds
    objective: float | None  # cᵀx + c₀ at x
    dual_objective: float | None  # Clarabel's dual objective + c₀: a lower bound up to the dual residual
    iterations: int
    solve_s: float
    row_violation: float | None  # max_i violation_i / max(1, |bound_i|) at x
    presolve: str | None = None  # HiGHS's presolve: reduced | not_reduced | empty | infeasible | unknown; None: not run
    presolved_size: tuple[int, int, int] | None = None  # (columns, rows, nonzeros) Clarabel solved, when reduced
    presolve_s: float | None = None

    @property
    def verified(self) -> bool:
        """The point exists and violates no row by more than :data:`ROW_TOL` (relative)."""
        return self.x is not None and self.row_violation is not None and self.row_violation <= ROW_TOL


def _matrix(lp: LPArrays):
    import scipy.sparse as sp

    return sp.csc_matrix((lp.value, lp.index, lp.start), shape=(lp.n_rows, lp.n_cols))


def _highs_lp(lp: LPArrays, cl: np.ndarray, cu: np.ndarray):
    """``lp`` with the column bounds ``cl``, ``cu`` as a :class:`highspy.HighsLp` (no integrality vector)."""
    import highspy

    h = highspy.HighsLp()
    h.num_col_, h.num_row_ = lp.n_cols, lp.n_rows
    h.col_cost_, h.offset_ = lp.cost, lp.offset
    h.col_lower_, h.col_upper_ = cl, cu
    h.row_lower_, h.row_upper_ = lp.row_lower, lp.row_upper
    a = h.a_matrix_
    a.format_ = highspy.MatrixFormat.kColwise
    a.num_col_, a.num_row_ = lp.n_cols, lp.n_rows
    a.start_, a.index_, a.value_ = lp.start, lp.index, lp.value
    return h


@dataclass
class Presolved:
    """What HiGHS's presolve made of an LP: ``status`` (reduced | not_reduced | empty | infeasible | unknown), the
    reduced LP when there is one, the HiGHS instance that holds its postsolve stack, and the seconds it took."""

    status: str
    lp: LPArrays | None
    highs: Any
    seconds: float

    def postsolve(self, x: np.ndarray) -> np.ndarray | None:
        """The point ``x`` of the reduced LP (primal values only) as a point of the original LP; ``None`` if HiGHS
        could not map it back."""
        import highspy

        sol = highspy.HighsSolution()
        sol.col_value = x
        sol.row_value = _matrix(self.lp) @ x if self.lp is not None and self.lp.n_rows else np.zeros(0)
        sol.value_valid = True
        sol.dual_valid = False
        status = self.highs.postsolve(sol)  # kWarning: no dual values to postsolve
        out = np.asarray(self.highs.getSolution().col_value, dtype=float)
        if status == highspy.HighsStatus.kError or len(out) != self.highs.getNumCol():
            return None
        return out


def presolve(lp: LPArrays, cl: np.ndarray, cu: np.ndarray, time_limit: float = math.inf) -> Presolved:
    """HiGHS's LP presolve of ``lp`` with the column bounds ``cl``, ``cu``.

    Presolve keeps the optimal value (the reduced LP carries the removed part in its offset), so the reduced LP's
    optimum and any lower bound on it hold for ``lp``; :meth:`Presolved.postsolve` maps a reduced point back.
    """
    import highspy

    from optimizer.model.highs import pool_threads

    t0 = time.perf_counter()
    h = highspy.Highs()
    h.setOptionValue("output_flag", False)
    h.setOptionValue("threads", pool_threads())  # the process-wide pool's size (optimizer.model.highs.use_threads)
    if math.isfinite(time_limit):
        h.setOptionValue("time_limit", max(float(time_limit), 1.0))
    h.passModel(_highs_lp(lp, cl, cu))
    h.presolve()
    kind = h.getModelPresolveStatus()
    P = highspy.HighsPresolveStatus
    status = {
        P.kReduced: "reduced",
        P.kNotReduced: "not_reduced",
        P.kReducedToEmpty: "empty",
        P.kInfeasible: "infeasible",
    }.get(kind, "unknown")
    reduced = _arrays_of(h.getPresolvedLp()) if status in ("reduced", "empty") else None
    return Presolved(status, reduced, h, time.perf_counter() - t0)


@dataclass
class _Core:
    """Clarabel's run on one LP: its status, point (the LP's own columns, clipped), dual objective, iterations."""

    raw: str
    x: np.ndarray | None
    dual: float | None
    iterations: int


def _clarabel(
    lp: LPArrays,
    time_limit: float,
    gap_tol: float,
    on_iteration: Callable[[int, float, float, float], bool] | None,
    refine: bool = False,
) -> _Core:
    """Clarabel on ``lp`` in the conic form of the module docstring; ``refine``: Clarabel's iterative refinement of
    each KKT solve (its default; off here, see :data:`REFINE_ON_FAILURE`)."""
    import clarabel
    import scipy.sparse as sp

    t0 = time.perf_counter()
    A = _matrix(lp)
    cl, cu = lp.col_lower, lp.col_upper
    fixed = cl == cu
    keep = ~fixed
    shift = A[:, fixed] @ cl[fixed] if fixed.any() else np.zeros(lp.n_rows)
    offset = lp.offset + float(lp.cost[fixed] @ cl[fixed])
    n = int(keep.sum())
    if n == 0:  # every column fixed: nothing to solve (the caller checks the rows)
        return _Core("Solved", cl.copy(), offset, 0)
    Ak = A[:, keep].tocsr()
    c = lp.cost[keep]
    lo, up = cl[keep], cu[keep]
    rl = np.where(lp.row_lower > -INF, lp.row_lower - shift, -np.inf)
    ru = np.where(lp.row_upper < INF, lp.row_upper - shift, np.inf)
    eq = rl == ru
    has_up = ~eq & np.isfinite(ru)
    has_lo = ~eq & np.isfinite(rl)
    eye = sp.identity(n, format="csr")
    lb, ub = lo > -INF, up < INF
    blocks = [Ak[eq], Ak[has_up], -Ak[has_lo], -eye[lb], eye[ub]]
    rhs = [ru[eq], ru[has_up], -rl[has_lo], -lo[lb], up[ub]]
    A_conic = sp.vstack(blocks, format="csc")
    b_conic = np.concatenate(rhs)
    n_zero = int(eq.sum())
    n_cone = A_conic.shape[0] - n_zero
    cones = ([clarabel.ZeroConeT(n_zero)] if n_zero else []) + ([clarabel.NonnegativeConeT(n_cone)] if n_cone else [])
    settings = clarabel.DefaultSettings()
    settings.verbose = False
    settings.tol_gap_rel = gap_tol
    settings.tol_gap_abs = gap_tol
    settings.max_iter = 400
    if math.isfinite(time_limit):
        settings.time_limit = max(float(time_limit) - (time.perf_counter() - t0), 1.0)
    settings.max_threads = 1  # QDLDL, one thread: two LPs run side by side (optimizer.model.bracket)
    settings.iterative_refinement_enable = refine
    solver = clarabel.DefaultSolver(sp.csc_matrix((n, n)), c, A_conic, b_conic, cones, settings)
    if on_iteration is not None:
        callback = on_iteration

        def _cb(info) -> bool:
            p, d = info.cost_primal + offset, info.cost_dual + offset
            return bool(callback(int(info.iterations), p, d, float(info.gap_rel)))

        solver.set_termination_callback(_cb)
    sol = solver.solve()
    raw = str(sol.status)
    x = None
    if len(sol.x) == n:
        x = cl.copy()
        x[keep] = np.clip(np.asarray(sol.x, dtype=float), lo, up)
    return _Core(raw, x, float(sol.obj_val_dual) + offset, int(sol.iterations))


def solve_lp(
    lp: LPArrays,
    *,
    col_lower: np.ndarray | None = None,
    col_upper: np.ndarray | None = None,
    time_limit: float = math.inf,
    gap_tol: float = GAP_TOL,
    on_iteration: Callable[[int, float, float, float], bool] | None = None,
    presolve_first: bool = True,
) -> InteriorRun:
    """Solve ``lp`` (minimisation; ``col_lower``/``col_upper`` replace its column bounds) with Clarabel.

    With ``presolve_first`` (the default) HiGHS's presolve reduces the LP first and its postsolve maps Clarabel's
    point back: on the hourly plan LP it removes ~30 % of the rows, and each interior-point iteration costs ~0.7 × as
    much (docs/performance.md, *Presolve before Clarabel*). The point is then checked against the original LP, as
    without presolve. ``on_iteration(iteration, primal objective, dual objective, relative gap)`` is called after each
    interior-point iteration (objectives include the offset); returning ``True`` stops the solve (status
    ``interrupted``). Clarabel factorises with QDLDL on one thread and releases the GIL while it iterates.
    """
    t0 = time.perf_counter()
    cl = lp.col_lower if col_lower is None else np.asarray(col_lower, dtype=float)
    cu = lp.col_upper if col_upper is None else np.asarray(col_upper, dtype=float)
    if np.any(cl > cu):
        j = int(np.flatnonzero(cl > cu)[0])
        raise ValueError(f"column {j}: lower bound {cl[j]} above upper bound {cu[j]}")
    pre = presolve(lp, cl, cu, time_limit) if presolve_first else None
    if pre is not None and pre.status == "infeasible":
        return InteriorRun(
            "infeasible",
            "HiGHS presolve: infeasible",
            None,
            None,
            None,
            0,
            time.perf_counter() - t0,
            None,
            presolve=pre.status,
            presolved_size=None,
            presolve_s=pre.seconds,
        )
    reduced = pre is not None and pre.lp is not None
    work = (
        pre.lp
        if reduced and pre is not None
        else LPArrays(lp.start, lp.index, lp.value, lp.n_rows, lp.cost, lp.offset, cl, cu, lp.row_lower, lp.row_upper)
    )
    assert work is not None
    core = _clarabel(work, time_limit - (time.perf_counter() - t0), gap_tol, on_iteration)
    if core.raw in REFINE_ON_FAILURE and time_limit - (time.perf_counter() - t0) > 1.0:
        first = core.iterations
        core = _clarabel(work, time_limit - (time.perf_counter() - t0), gap_tol, on_iteration, refine=True)
        core.iterations += first
    status = _STATUS.get(core.raw, "error")
    x = dual = obj = viol = None
    if status in ("optimal", "time_limit", "interrupted") and core.x is not None:
        xw = pre.postsolve(core.x) if reduced and pre is not None else core.x
        if xw is None:  # HiGHS could not map the point back (not seen): solve the LP as it is
            return solve_lp(
                lp,
                col_lower=cl,
                col_upper=cu,
                time_limit=time_limit - (time.perf_counter() - t0),
                gap_tol=gap_tol,
                on_iteration=on_iteration,
                presolve_first=False,
            )
        x = np.clip(xw, cl, cu)
        obj = float(lp.cost @ x + lp.offset)
        viol = row_violation(_matrix(lp), x, lp.row_lower, lp.row_upper)
        if status == "optimal":
            dual = core.dual
        if status != "optimal" and viol > ROW_TOL:  # a stopped run's iterate is not a plan
            x = obj = None
    return InteriorRun(
        status=status,
        solver_status=core.raw,
        x=x,
        objective=obj,
        dual_objective=dual,
        iterations=core.iterations,
        solve_s=time.perf_counter() - t0,
        row_violation=viol,
        presolve=None if pre is None else pre.status,
        presolved_size=(work.n_cols, work.n_rows, work.nnz) if reduced else None,
        presolve_s=None if pre is None else pre.seconds,
    )


def row_violation(A, x: np.ndarray, row_lower: np.ndarray, row_upper: np.ndarray) -> float:
    """max over rows of ``max(r_l − a x, a x − r_u, 0) / max(1, |violated bound|)``."""
    ax = A @ x
    worst = 0.0
    for bound, sign in ((row_lower, 1.0), (row_upper, -1.0)):
        has = np.abs(bound) < INF
        if has.any():
            excess = sign * (bound[has] - ax[has]) / np.maximum(1.0, np.abs(bound[has]))
            worst = max(worst, float(excess.max()))
    return worst


__all__ = [
    "GAP_TOL",
    "ROW_TOL",
    "InteriorRun",
    "LPArrays",
    "Presolved",
    "lp_arrays",
    "presolve",
    "row_violation",
    "solve_lp",
]
