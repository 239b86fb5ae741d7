"""Large LPs by a conic interior-point method (Clarabel), without crossover, with the solution checked.

The hourly models (8,760 slices, ~1.4 M columns) are LPs once the placement is fixed or relaxed. HiGHS's
interior-point solver (IPX) takes about 54 minutes for one of them on this machine; Clarabel, an interior-point
solver that factorises the quasi-definite KKT system directly (LDLᵀ, QDLDL), takes about 6 minutes for the same
LP to the same objective (docs/performance.md, *Hourly*). This module solves an LP held as arrays (the matrix
HiGHS would receive, :func:`lp_arrays`) with Clarabel and returns the point and both objectives.

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


def lp_arrays(h: Any) -> LPArrays:
    """The LP held by the HiGHS instance ``h`` (after ``passModel``) as :class:`LPArrays`."""
    lp = h.getLp()
    a = lp.a_matrix_
    return LPArrays(
        start=np.asarray(a.start_, dtype=np.int64),
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

    @property
    def verified(self) -> bool:
        """The point exists and violates no row by more than :data:`ROW_TOL` (relative)."""
        return self.x is not None and self.row_violation is not None and self.row_violation <= ROW_TOL


def _matrix(lp: LPArrays):
    import scipy.sparse as sp

    return sp.csc_matrix((lp.value, lp.index, lp.start), shape=(lp.n_rows, lp.n_cols))


def solve_lp(
    lp: LPArrays,
    *,
    col_lower: np.ndarray | None = None,
    col_upper: np.ndarray | None = None,
    time_limit: float = math.inf,
    gap_tol: float = GAP_TOL,
    on_iteration: Callable[[int, float, float, float], bool] | None = None,
) -> InteriorRun:
    """Solve ``lp`` (minimisation; ``col_lower``/``col_upper`` replace its column bounds) with Clarabel.

    ``on_iteration(iteration, primal objective, dual objective, relative gap)`` is called after each
    interior-point iteration (objectives include the offset); returning ``True`` stops the solve (status
    ``interrupted``). Clarabel factorises with QDLDL on one thread and releases the GIL while it iterates.
    """
    import clarabel
    import scipy.sparse as sp

    t0 = time.perf_counter()
    A = _matrix(lp)
    cl = lp.col_lower if col_lower is None else np.asarray(col_lower, dtype=float)
    cu = lp.col_upper if col_upper is None else np.asarray(col_upper, dtype=float)
    if np.any(cl > cu):
        j = int(np.flatnonzero(cl > cu)[0])
        raise ValueError(f"column {j}: lower bound {cl[j]} above upper bound {cu[j]}")
    fixed = cl == cu
    keep = ~fixed
    shift = A[:, fixed] @ cl[fixed] if fixed.any() else np.zeros(lp.n_rows)
    offset = lp.offset + float(lp.cost[fixed] @ cl[fixed])
    Ak = A[:, keep].tocsr()
    c = lp.cost[keep]
    lo, up = cl[keep], cu[keep]
    rl = np.where(lp.row_lower > -INF, lp.row_lower - shift, -np.inf)
    ru = np.where(lp.row_upper < INF, lp.row_upper - shift, np.inf)
    eq = rl == ru
    has_up = ~eq & np.isfinite(ru)
    has_lo = ~eq & np.isfinite(rl)
    n = int(keep.sum())
    eye = sp.identity(n, format="csr")
    lb, ub = lo > -INF, up < INF
    blocks = [Ak[eq], Ak[has_up], -Ak[has_lo], -eye[lb], eye[ub]]
    rhs = [ru[eq], ru[has_up], -rl[has_lo], -lo[lb], up[ub]]
    A_conic = sp.vstack(blocks, format="csc")
    b_conic = np.concatenate(rhs)
    n_zero = int(eq.sum())
    cones = ([clarabel.ZeroConeT(n_zero)] if n_zero else []) + [clarabel.NonnegativeConeT(A_conic.shape[0] - n_zero)]
    settings = clarabel.DefaultSettings()
    settings.verbose = False
    settings.tol_gap_rel = gap_tol
    settings.tol_gap_abs = gap_tol
    settings.max_iter = 400
    if math.isfinite(time_limit):
        settings.time_limit = max(float(time_limit) - (time.perf_counter() - t0), 1.0)
    settings.max_threads = 1  # QDLDL, one thread: two LPs run side by side (optimizer.model.bracket)
    solver = clarabel.DefaultSolver(sp.csc_matrix((n, n)), c, A_conic, b_conic, cones, settings)
    if on_iteration is not None:
        callback = on_iteration

        def _cb(info) -> bool:
            p, d = info.cost_primal + offset, info.cost_dual + offset
            return bool(callback(int(info.iterations), p, d, float(info.gap_rel)))

        solver.set_termination_callback(_cb)
    sol = solver.solve()
    raw = str(sol.status)
    status = _STATUS.get(raw, "error")
    x = dual = obj = viol = None
    if status in ("optimal", "time_limit", "interrupted") and len(sol.x) == n:
        xk = np.clip(np.asarray(sol.x, dtype=float), lo, up)
        x = cl.copy()
        x[keep] = xk
        obj = float(lp.cost @ x + lp.offset)
        viol = row_violation(A, x, lp.row_lower, lp.row_upper)
        if status == "optimal":
            dual = float(sol.obj_val_dual) + offset
        if status != "optimal" and viol > ROW_TOL:  # a stopped run's iterate is not a plan
            x = obj = None
    return InteriorRun(
        status=status,
        solver_status=raw,
        x=x,
        objective=obj,
        dual_objective=dual,
        iterations=int(sol.iterations),
        solve_s=time.perf_counter() - t0,
        row_violation=viol,
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


__all__ = ["GAP_TOL", "ROW_TOL", "InteriorRun", "LPArrays", "lp_arrays", "row_violation", "solve_lp"]
