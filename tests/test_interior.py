"""Interior-point LPs (Clarabel) and the bracket method: hand-computed optima, and agreement with HiGHS."""

from __future__ import annotations

import numpy as np
import pytest

from gridsite import parse_scenario, solve
from gridsite.errors import ScenarioError
from optimizer.model.interior import INF, LPArrays, row_violation, solve_lp
from optimizer.model.solve import solve_method

from .conftest import scenario_dict


def _lp(dense: list[list[float]], cost, offset, cl, cu, rl, ru) -> LPArrays:
    a = np.asarray(dense, dtype=float)
    start, index, value = [0], [], []
    for j in range(a.shape[1]):
        rows = np.flatnonzero(a[:, j])
        index += rows.tolist()
        value += a[rows, j].tolist()
        start.append(len(index))
    return LPArrays(
        start=np.asarray(start),
        index=np.asarray(index),
        value=np.asarray(value),
        n_rows=a.shape[0],
        cost=np.asarray(cost, dtype=float),
        offset=offset,
        col_lower=np.asarray(cl, dtype=float),
        col_upper=np.asarray(cu, dtype=float),
        row_lower=np.asarray(rl, dtype=float),
        row_upper=np.asarray(ru, dtype=float),
    )


def _every_kind() -> LPArrays:
    """min x1 + 2 x2 − x3 + 3 with an equality, a ≤, a ranged row, a fixed, a free-below and a bounded column::

    x1 + x2 − x4 = 1,  x2 + x3 ≤ 4,  1 ≤ x1 − x3 ≤ 3,  0 ≤ x1 ≤ 10,  x2 ≥ 0,  x3 ≤ 5,  x4 = 1

    With x4 = 1, x1 = 2 − x2 and the objective is 2 + x2 − x3; x3 ≤ x1 − 1 = 1 − x2 binds, so it is 1 + 2 x2:
    x2 = 0, x1 = 2, x3 = 1, objective 1 + 3 = 4.
    """
    return _lp(
        [[1, 1, 0, -1], [0, 1, 1, 0], [1, 0, -1, 0]],
        cost=[1, 2, -1, 0],
        offset=3.0,
        cl=[0, 0, -INF, 1],
        cu=[10, INF, 5, 1],
        rl=[1, -INF, 1],
        ru=[1, 4, 3],
    )


def test_hand_computed_lp_with_every_row_and_bound_kind():
    r = solve_lp(_every_kind())
    assert r.status == "optimal" and r.verified
    assert r.x == pytest.approx([2, 0, 1, 1], abs=1e-6)
    assert r.objective == pytest.approx(4.0, abs=1e-6)
    assert r.dual_objective == pytest.approx(4.0, abs=1e-6)
    assert r.dual_objective <= r.objective + 1e-7


def test_new_column_bounds_replace_the_lps():
    lp = _every_kind()
    lo, up = lp.col_lower.copy(), lp.col_upper.copy()
    lo[1] = up[1] = 0.5  # x2 fixed at 0.5: x1 = 1.5, x3 = 0.5, objective 2 + 0.5 − 0.5 + 3 = 5
    r = solve_lp(lp, col_lower=lo, col_upper=up)
    assert r.status == "optimal"
    assert r.x == pytest.approx([1.5, 0.5, 0.5, 1], abs=1e-6)
    assert r.objective == pytest.approx(5.0, abs=1e-6)


def test_infeasible_lp_has_no_point():
    lp = _lp([[1.0]], cost=[1], offset=0.0, cl=[0], cu=[1], rl=[3], ru=[INF])  # x ≥ 3 and x ≤ 1
    r = solve_lp(lp)
    assert r.status == "infeasible" and r.x is None and not r.verified


def test_row_violation_is_relative_to_the_bound():
    import scipy.sparse as sp

    A = sp.csc_matrix(np.array([[1.0, 0.0], [0.0, 1.0], [1.0, 1.0]]))
    x = np.array([1.0, 250.0])
    # row 0: 1 ≤ 0.5 violated by 0.5 (bound 0.5 < 1: absolute); row 1: 250 ≥ 200 by 50 / 200; row 2 free
    v = row_violation(A, x, np.array([-INF, -INF, -INF]), np.array([0.5, 200.0, INF]))
    assert v == pytest.approx(0.5)
    assert row_violation(A, x, np.array([0.0, 0.0, -INF]), np.array([1.0, 250.0, INF])) == 0.0
    assert row_violation(A, x, np.array([-INF, 300.0, -INF]), np.array([INF, INF, INF])) == pytest.approx(50 / 300)


def test_presolve_reduces_solves_and_maps_the_point_back():
    """HiGHS's presolve empties the hand LP; its postsolve gives every original column, exactly."""
    r = solve_lp(_every_kind())
    assert r.presolve == "empty" and r.presolved_size == (0, 0, 0) and r.iterations == 0
    assert r.x is not None and r.x.tolist() == [2.0, 0.0, 1.0, 1.0]
    assert r.objective == r.dual_objective == 4.0 and r.verified
    off = solve_lp(_every_kind(), presolve_first=False)
    assert off.presolve is None and off.presolved_size is None and off.iterations > 0
    assert off.x == pytest.approx(r.x, abs=1e-6)


def test_presolve_finds_an_infeasible_lp():
    lp = _lp([[1.0, 1.0], [1.0, -1.0]], cost=[1, 1], offset=0.0, cl=[0, 0], cu=[1, 1], rl=[3, -INF], ru=[INF, 0])
    r = solve_lp(lp)
    assert r.status == "infeasible" and r.presolve == "infeasible" and r.x is None
    assert solve_lp(lp, presolve_first=False).status == "infeasible"


def test_presolved_lp_of_a_model_gives_the_same_optimum_and_a_valid_bound():
    """A compiled model that presolve reduces but does not empty: Clarabel on the reduced LP, the point postsolved,
    objective and bound as without presolve; the point satisfies the original rows."""
    from optimizer.model.bracket import compile_arrays
    from optimizer.model.build import build_model
    from optimizer.model.solve import _prepare

    sc = _bracketed()
    plan = {"a": "zhongwei", "b": "guian", "c": "yrd_demo_zone"}
    _, md, _, _ = _prepare(sc, None, "<t>", plan, lambda _m: None)
    _, arrays, _ = compile_arrays(build_model(md))
    on, off = solve_lp(arrays), solve_lp(arrays, presolve_first=False)
    assert on.presolve == "reduced" and on.presolved_size is not None
    cols, rows, _ = on.presolved_size
    assert cols < arrays.n_cols and rows < arrays.n_rows
    assert on.x is not None and len(on.x) == arrays.n_cols and on.verified and off.verified
    assert on.objective == pytest.approx(off.objective, rel=1e-6)
    assert on.dual_objective <= on.objective * (1 + 1e-7) and on.dual_objective == pytest.approx(on.objective, rel=1e-6)


def test_a_numerical_failure_is_solved_again_with_refinement(monkeypatch):
    import optimizer.model.interior as interior

    calls = []
    real = interior._clarabel

    def flaky(*args, refine=False):
        calls.append(refine)
        if not refine:
            return interior._Core("InsufficientProgress", None, None, 7)
        return real(*args, refine=refine)

    monkeypatch.setattr(interior, "_clarabel", flaky)
    r = interior.solve_lp(_every_kind(), presolve_first=False)
    assert calls == [False, True]
    assert r.status == "optimal" and r.objective == pytest.approx(4.0, abs=1e-6)
    assert r.iterations > 7  # both runs counted


def test_a_point_postsolve_cannot_map_back_is_solved_again_without_presolve(monkeypatch):
    import optimizer.model.interior as interior

    lp = _every_kind()
    assert interior.solve_lp(lp).presolve == "empty"
    monkeypatch.setattr(interior.Presolved, "postsolve", lambda self, x: None)
    r = interior.solve_lp(lp)
    assert r.presolve is None and r.status == "optimal" and r.verified and r.iterations > 0
    assert r.objective == pytest.approx(4.0, abs=1e-6)


def _bracketed(**over):
    return parse_scenario(scenario_dict(solver={"mip_gap": 0.0, "time_limit_s": 120, "method": "bracket"}, **over))


def test_bracket_plan_bound_and_placement_agree_with_highs():
    """UB = what HiGHS says the typical-day placement costs; LB = HiGHS's LP relaxation of the same model."""
    import highspy

    from optimizer.model.bracket import compile_arrays
    from optimizer.model.build import build_model
    from optimizer.model.solve import _prepare

    sc = _bracketed()
    res = solve(sc)
    assert res.status in ("optimal", "feasible")
    td = solve(
        sc.model_copy(
            update={
                "time": sc.time.model_copy(update={"mode": "representative_days", "days": 12}),
                "solver": sc.solver.model_copy(update={"method": "branch_and_bound"}),
            }
        )
    )
    assert res.placement() == td.placement()
    highs_sc = sc.model_copy(update={"solver": sc.solver.model_copy(update={"method": "branch_and_bound"})})
    at_placement = solve(highs_sc, fix=res.placement())
    assert res.objective == pytest.approx(at_placement.objective, rel=1e-6)
    best = solve(highs_sc)  # the monthly MIP at gap 0
    assert res.bound <= best.objective * (1 + 1e-7)
    assert res.bound <= res.objective
    # the bound is the LP relaxation's optimum
    _, md, _, _ = _prepare(highs_sc, None, "<t>", None, lambda _m: None)
    _, arrays, _ = compile_arrays(build_model(md))
    h = highspy.Highs()
    h.setOptionValue("output_flag", False)
    lp = highspy.HighsLp()
    lp.num_col_, lp.num_row_ = arrays.n_cols, arrays.n_rows
    lp.col_cost_, lp.offset_ = arrays.cost, arrays.offset
    lp.col_lower_, lp.col_upper_ = arrays.col_lower, arrays.col_upper
    lp.row_lower_, lp.row_upper_ = arrays.row_lower, arrays.row_upper
    lp.a_matrix_.format_ = highspy.MatrixFormat.kColwise
    lp.a_matrix_.start_, lp.a_matrix_.index_, lp.a_matrix_.value_ = arrays.start, arrays.index, arrays.value
    h.passModel(lp)
    h.run()
    relaxed = h.getInfo().objective_function_value
    assert res.bound == pytest.approx(min(relaxed, res.objective), rel=1e-6)
    gap = (res.objective - res.bound) / res.objective
    assert res.mip_gap == pytest.approx(gap, abs=1e-9)
    assert (res.status == "optimal") == (gap <= 0.0 + 1e-12)
    assert any("bracket" in n for n in res.notes)
    assert res.timings_s["placement"] > 0
    meth = res.summary()["method"]
    assert meth["name"] == "bracket" and meth["placement_days"] == 12
    assert meth["upper_objective"] == pytest.approx(res.objective, rel=1e-6)
    assert meth["placement_objective"] == pytest.approx(td.objective, rel=1e-9)
    assert float(meth["upper_row_violation"]) <= 1e-5 and float(meth["lower_row_violation"]) <= 1e-5
    assert meth["upper_presolve"] == "reduced" and meth["upper_presolved_size"]["columns"] < arrays.n_cols
    assert any("HiGHS's presolved LP" in n for n in res.notes)


def test_fixed_plan_by_interior_point_costs_what_highs_says():
    sc = _bracketed()
    plan = {"a": "zhongwei", "b": "guian", "c": "yrd_demo_zone"}
    res = solve(sc, fix=plan)
    ref = solve(sc.model_copy(update={"solver": sc.solver.model_copy(update={"method": "branch_and_bound"})}), fix=plan)
    assert res.status == ref.status == "optimal"
    assert res.objective == pytest.approx(ref.objective, rel=1e-6)
    assert res.bound <= res.objective + 1e-6
    assert any("Clarabel" in n for n in res.notes)
    s, r = res.tables["sites"].set_index("site_id"), ref.tables["sites"].set_index("site_id")
    assert s["facility_mw"].to_dict() == pytest.approx(r["facility_mw"].to_dict(), rel=1e-6)


@pytest.mark.parametrize(
    ("over", "fix", "expected"),
    [
        ({}, False, "highs"),  # monthly, auto
        ({"time": {"mode": "hourly"}}, False, "bracket"),
        ({"time": {"mode": "hourly"}}, True, "interior_lp"),
        ({"time": {"mode": "hourly"}, "solver": {"highs_options": {"mip_lp_solver": "ipx"}}}, False, "highs"),
        ({"time": {"mode": "hourly"}, "solver": {"highs_options": {"solver": "ipx"}}}, True, "highs"),
        ({"time": {"mode": "hourly"}, "solver": {"method": "branch_and_bound"}}, False, "highs"),
        ({"time": {"mode": "hourly"}, "objective": {"mode": "carbon"}}, False, "highs"),
        ({"solver": {"method": "bracket"}}, False, "bracket"),
        ({"solver": {"method": "bracket"}}, True, "interior_lp"),
    ],
)
def test_method_is_chosen_per_model_class(china, over, fix, expected):
    from optimizer.model.adapter import build_model_data

    sc = parse_scenario(scenario_dict(**over))
    plan = {"a": "zhongwei", "b": "guian", "c": "yrd_demo_zone"} if fix else None
    md, _ = build_model_data(sc, china, fixed_plan=plan)
    assert solve_method(sc, md) == expected


def test_bracket_with_a_carbon_objective_is_refused_when_read():
    with pytest.raises(ScenarioError, match=r"solver\.method bracket minimises cost"):
        parse_scenario(scenario_dict(solver={"method": "bracket"}, objective={"mode": "carbon"}))


def test_infeasible_fixed_plan_by_interior_point_is_explained_with_size_and_timings():
    from gridsite.errors import InfeasibleError

    sc = _bracketed(sites={"include": ["zhongwei", "guian", "yrd_demo_zone"], "max_mw": {"zhongwei": 10}})
    with pytest.raises(InfeasibleError) as err:
        solve(sc, fix={"a": "zhongwei", "b": "guian", "c": "yrd_demo_zone"})
    assert err.value.model_size["columns"] > 0
    assert {"data", "build", "handoff", "total"} <= set(err.value.timings_s)


def test_cli_solves_by_the_bracket_and_says_so(tmp_path):
    import json

    from .test_cli import run, write

    scenario = write(tmp_path, scenario_dict(solver={"mip_gap": 0.005, "time_limit_s": 120, "method": "bracket"}))
    r = run("solve", scenario, "--out", tmp_path / "out", "--no-maps")
    assert r.returncode == 0, r.stderr
    s = json.loads((tmp_path / "out" / "summary.json").read_text())
    assert s["method"]["name"] == "bracket" and s["status"] in ("optimal", "feasible")
    assert s["bound"] <= s["objective"]
    assert "placing the clusters on 12 typical days" in r.stderr + r.stdout
    assert any("interior-point LPs" in n for n in s["notes"])
