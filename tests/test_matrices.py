"""The direct compiler (optimizer.model.matrices) gives exactly the standard form of Pyomo's compiler.

Every array is compared bit for bit (rows with their constraint objects and senses, columns with their variable
objects, A, costs, offset, right-hand sides) on small models of every policy variant and on a hand-made model
with the corner cases of Pyomo's compiler; a planted change in the direct reader must make the comparison fail.
"""

from __future__ import annotations

import copy

import highspy
import numpy as np
import pyomo.environ as pyo
import pytest
from pyomo.common.errors import InfeasibleConstraintException
from pyomo.core.expr.numeric_expr import LinearExpression, MonomialTermExpression

from gridsite import parse_scenario
from optimizer.model import matrices
from optimizer.model.adapter import build_model_data
from optimizer.model.build import build_model
from optimizer.model.highs import PersistentHighs, compile_to_highs

from .conftest import scenario_dict


def differences(a, b) -> list[str]:
    """Names of the parts in which two standard forms differ (empty: identical, bit for bit)."""
    out = []
    if [(id(r.constraint), r.bound_type) for r in a.rows] != [(id(r.constraint), r.bound_type) for r in b.rows]:
        out.append("rows")
    if [id(v) for v in a.columns] != [id(v) for v in b.columns]:
        out.append("columns")
    for name in ("A", "c"):
        x, y = getattr(a, name).tocsc(), getattr(b, name).tocsc()
        x.sort_indices()
        y.sort_indices()
        same = x.shape == y.shape and all(
            np.array_equal(np.asarray(p), np.asarray(q)) and np.asarray(p).dtype == np.asarray(q).dtype
            for p, q in ((x.indptr, y.indptr), (x.indices, y.indices), (x.data, y.data))
        )
        if not same:
            out.append(name)
    for name in ("rhs", "c_offset"):
        x, y = np.asarray(getattr(a, name), dtype=float), np.asarray(getattr(b, name), dtype=float)
        if x.shape != y.shape or x.tobytes() != y.tobytes():
            out.append(name)
    if [id(o) for o in a.objectives] != [id(o) for o in b.objectives]:
        out.append("objectives")
    return out


def _scenario(**over) -> dict:
    base = scenario_dict(time={"mode": "representative_days", "days": 2, "extreme_days": False})
    base.update(over)
    return base


POLICY_MONTHLY = {
    "green_share": {"min": 0.8, "applies_to": "all", "matching": "monthly", "grid_mix_counts": True},
    "certificates": {"cross_region": True, "max_share": 0.5, "price_steps": [{"gwh": 1000, "price": 5}, {"price": 50}]},
    "carbon_accounting": "market_based",
    "carbon_cap_t": 5e6,
    "carbon_price": 100,
}

VARIANTS = {
    "annual-rd2": {},
    "monthly-mode": {"time": {"mode": "monthly"}},
    "hourly-matching-batteries": {
        "policy": {"green_share": {"min": 0.6, "applies_to": "hubs", "matching": "hourly"}},
        "grid": {"storage": {"enabled": "on"}},
    },
    "monthly-steps-cap-gridmix": {"policy": POLICY_MONTHLY, "grid": {"green_delivery_charge_per_mwh": 20.0}},
    "segments": {"time": {"mode": "representative_days", "days": 2, "segments": 4}},
    "carbon-objective": {"objective": {"mode": "carbon"}},
    "adequacy-report": {"grid": {"adequacy": {"mode": "report"}}},
    "adequacy-tight": {"grid": {"adequacy": {"mode": "enforce", "headroom_mw": {"ningxia": 50, "guizhou": 20}}}},
}


def _model(china, name: str, fixed_plan=None) -> pyo.ConcreteModel:
    sc = parse_scenario(_scenario(**copy.deepcopy(VARIANTS[name])))
    md, _ = build_model_data(sc, china, fixed_plan=fixed_plan)
    return build_model(md)


@pytest.mark.parametrize("name", list(VARIANTS))
def test_direct_equals_pyomo_on_policy_variants(china, name):
    m = _model(china, name)
    ref = matrices.compile_pyomo(m)
    got = matrices.compile_direct(m)
    assert len(ref.rows) > 50 and ref.A.nnz > 200  # a real model, not an empty one
    assert differences(ref, got) == []


def test_direct_equals_pyomo_with_a_fixed_plan_and_fixed_integers(china):
    m = _model(china, "annual-rd2", fixed_plan={"a": "zhongwei", "b": "guian", "c": "yrd_demo_zone"})
    assert differences(matrices.compile_pyomo(m), matrices.compile_direct(m)) == []
    # as the lexicographic pass does: some integer columns fixed after the build (fixed columns with nonzeros
    # are moved to the right-hand side, the others are constants)
    m = _model(china, "annual-rd2")
    builds = list(m.build.values())
    for v in builds[1::2]:
        v.fix(1)
    ref, got = matrices.compile_pyomo(m), matrices.compile_direct(m)
    assert len(got.columns) < len(list(m.component_data_objects(pyo.Var)))
    assert differences(ref, got) == []


def test_shipped_scenario_is_identical(china):
    from gridsite import load_scenario

    from .conftest import SCENARIOS

    sc = load_scenario(SCENARIOS / "china_hubs_2025.yaml")
    sc = sc.model_copy(update={"time": sc.time.model_copy(update={"days": 2})})
    md, _ = build_model_data(sc, china)
    m = build_model(md)
    assert differences(matrices.compile_pyomo(m), matrices.compile_direct(m)) == []


def _corner_model() -> pyo.ConcreteModel:
    """Every case of the compiler's row and column rules, in LinearExpression rows and in operator rows."""
    m = pyo.ConcreteModel()
    m.I = pyo.Set(initialize=[0, 1, 2, 3], ordered=True)
    m.x = pyo.Var(m.I, bounds=(0, 10))
    m.y = pyo.Var(m.I, domain=pyo.NonNegativeIntegers, bounds=(0, 3))
    m.z = pyo.Var(m.I)
    m.u = pyo.Var()
    m.p = pyo.Param(initialize=2.5, mutable=True)
    m.z[0].fix(1.5)  # met before its component is numbered: a constant
    m.z[2].fix(0.25)  # a column (component numbered by z[1]) with nonzeros: moved to the right-hand side
    m.y[3].fix(2)

    def lin(*terms):
        return LinearExpression([MonomialTermExpression(t) if isinstance(t, tuple) else t for t in terms])

    m.obj = pyo.Objective(expr=3 * m.x[1] + m.y[0] + 0.5 * m.z[3] + 7)
    m.c = pyo.ConstraintList()
    m.c.add((None, lin((1.5, m.x[0]), (2, m.x[0]), m.x[2], (0.1, m.y[1]), 4.0), 5))  # duplicate var, a number
    m.c.add((1, lin((0.0, m.x[3]), (1, m.u)), 1))  # zero coefficient (column x[3] only here: dropped)
    m.c.add((-2, lin((2, m.z[0]), (1, m.z[1]), (3, m.z[2])), 8))  # range: two rows; z[0] constant, z[2] fixed
    m.c.add((None, lin((1, m.x[1]), (-1, m.x[1])), 3))  # cancels: constant row, feasible, skipped
    m.c.add((0, lin((1.0, m.y[3]), (2, m.x[2])), None))  # fixed y[3] after y is numbered: a column
    m.c.add((None, lin((m.p, m.x[2]), m.p, 1), 9))  # a Param coefficient and a Param constant (Pyomo's visitor)
    m.c.add(m.x[0] + 2 * m.x[1] * 1.0000001 >= m.z[1] - 3)  # an operator-built body
    m.c.add((None, LinearExpression([]), 5))  # an empty body: a constant row, feasible, skipped
    m.c.add((-1.0, lin((2.0, m.x[1]), (0.5, m.y[1]), m.x[2]), 4.0))  # plain: every column numbered, a range
    return m


def test_corner_cases_identical():
    m = _corner_model()
    ref, got = matrices.compile_pyomo(m), matrices.compile_direct(m)
    assert {r.bound_type for r in ref.rows} == {-1, 0, 1}
    assert differences(ref, got) == []
    m.obj.sense = pyo.maximize
    assert differences(matrices.compile_pyomo(m), matrices.compile_direct(m)) == []


def test_infeasible_constant_row_raises_as_pyomo_does():
    m = pyo.ConcreteModel()
    m.x = pyo.Var()
    m.x.fix(2.0)
    m.o = pyo.Objective(expr=m.x)
    m.c = pyo.Constraint(expr=(None, LinearExpression([MonomialTermExpression((1.0, m.x))]), 1.0))
    for compile_ in (matrices.compile_pyomo, matrices.compile_direct):
        with pytest.raises(InfeasibleConstraintException):
            compile_(m)


def test_a_planted_change_is_detected(china, monkeypatch):
    m = _model(china, "annual-rd2")
    ref = matrices.compile_pyomo(m)
    real = matrices._read_linear

    def off_by_one_ulp(body, var_map, add):
        got = real(body, var_map, add)
        if got is not None and got[0]:
            lin = got[0]
            first = next(iter(lin))
            lin[first] = float(np.nextafter(float(lin[first]), np.inf))
        return got

    monkeypatch.setattr(matrices, "_read_linear", off_by_one_ulp)
    assert differences(ref, matrices.compile_direct(m)) == ["A"]

    def plain_off(args, order, add):
        got = real_plain(args, order, add)
        if got is not None:
            got[0][-1] = float(np.nextafter(float(got[0][-1]), -np.inf))
        return got

    real_plain = matrices._read_plain
    monkeypatch.setattr(matrices, "_read_linear", real)
    monkeypatch.setattr(matrices, "_read_plain", plain_off)
    assert differences(ref, matrices.compile_direct(m)) == ["A", "c"]  # rows and the objective's sums
    monkeypatch.setattr(matrices, "_read_plain", real_plain)

    def constant_lost(body, var_map, add):
        got = real(body, var_map, add)
        return got if got is None or not got[0] else (got[0], 0.0)

    monkeypatch.setattr(matrices, "_read_linear", constant_lost)
    m = _model(china, "annual-rd2", fixed_plan={"a": "zhongwei", "b": "guian", "c": "yrd_demo_zone"})
    assert differences(matrices.compile_pyomo(m), matrices.compile_direct(m)) == ["rhs"]


def test_handoff_uses_the_selected_compiler(china, monkeypatch):
    m = _model(china, "monthly-steps-cap-gridmix")
    lps = {}
    for name in matrices.COMPILERS:
        monkeypatch.setenv(matrices.HANDOFF_ENV, name)
        assert matrices.compiler_name() == name
        h = highspy.Highs()
        h.setOptionValue("output_flag", False)
        compile_to_highs(m, h)
        lps[name] = h.getLp()
    a, b = lps["direct"], lps["pyomo"]
    assert [int(x) for x in a.integrality_] == [int(x) for x in b.integrality_]
    assert any(int(x) for x in a.integrality_)
    for attr in ("col_cost_", "col_lower_", "col_upper_", "row_lower_", "row_upper_"):
        assert np.asarray(getattr(a, attr)).tobytes() == np.asarray(getattr(b, attr)).tobytes(), attr
    for attr in ("start_", "index_", "value_"):
        assert np.asarray(getattr(a.a_matrix_, attr)).tobytes() == np.asarray(getattr(b.a_matrix_, attr)).tobytes()
    monkeypatch.setenv(matrices.HANDOFF_ENV, "bogus")
    with pytest.raises(ValueError, match="GRIDSITE_HANDOFF"):
        matrices.compiler_name()


def test_persistent_rows_map_back_to_constraints(china):
    m = _model(china, "monthly-steps-cap-gridmix")
    ph = PersistentHighs(m, threads=1, mip_gap=0.0)
    first = ph.solve()
    assert first.has_solution
    cap = pyo.value(m.carbon_cap.upper)
    i = next(i for i, r in enumerate(ph.info.rows) if r.constraint is m.carbon_cap)
    before = ph.highs.getLp().row_upper_[i]
    ph.set_constraint_bounds(m.carbon_cap, upper=cap * 0.5)
    assert ph.highs.getLp().row_upper_[i] == pytest.approx(before - cap * 0.5)


def _naive_bounds(cols):
    b = [v.bounds for v in cols]
    inf = highspy.kHighsInf
    return (
        np.array([-inf if x[0] is None else x[0] for x in b], dtype=float),
        np.array([inf if x[1] is None else x[1] for x in b], dtype=float),
        np.array([v.is_integer() or v.is_binary() for v in cols], dtype=bool),
    )


def test_column_bounds_equal_each_variables_bounds(china):
    from optimizer.model.highs import column_bounds

    m = _corner_model()
    m.q = pyo.Var([0, 1], domain=pyo.Binary, bounds=(m.p, None))  # a Param bound: evaluated per column
    m.r = pyo.Var([0, 1], domain=pyo.NonNegativeReals, bounds=(-5, 4.5))  # the domain is tighter below
    big = _model(china, "hourly-matching-batteries")
    cols = [*m.component_data_objects(pyo.Var), *big.component_data_objects(pyo.Var)]
    got, ref = column_bounds(cols), _naive_bounds(cols)
    assert all(x.tobytes() == y.tobytes() for x, y in zip(got, ref, strict=True))
    assert 0 < got[2].sum() < len(cols)
    pos = {id(v): j for j, v in enumerate(cols)}
    assert got[0][pos[id(m.r[0])]] == 0.0 and got[1][pos[id(m.r[0])]] == 4.5
    assert got[0][pos[id(m.u)]] == -highspy.kHighsInf and got[1][pos[id(m.u)]] == highspy.kHighsInf
    assert got[0][pos[id(m.q[1])]] == 2.5 and got[1][pos[id(m.q[1])]] == 1
    m.p.set_value(1.0)  # a mutable bound is read when compiled, not cached
    assert column_bounds([m.q[0]])[0][0] == 1.0


def test_components_read_in_index_order():
    m = pyo.ConcreteModel()
    m.I = pyo.Set(initialize=[3, 1, 2], ordered=True)
    m.x = pyo.Var(m.I, ["a", "b"])
    assert matrices._in_order(m.x) == list(m.x.values(matrices._SORT))
    m.y = pyo.Var(m.I, dense=False)
    m.y[2].value, m.y[3].value = 1, 1  # created out of index order: the dict's order is not the index order
    assert list(m.y._data) == [2, 3]
    assert [v.index() for v in matrices._in_order(m.y)] == [3, 2]
    m.z = pyo.Var()
    assert matrices._in_order(m.z) == [m.z]


def test_a_solve_imports_no_scipy():
    """Importing scipy makes Pyomo import scipy.stats and others (~0.5 s of every command); the handoff builds its
    matrices in numpy alone, with a plan fixed (fixed columns moved to the right-hand side) and without."""
    import subprocess
    import sys

    from .conftest import ROOT, SCENARIOS

    code = (
        "import sys, gridsite\n"
        f"sc = gridsite.load_scenario({str(SCENARIOS / 'china_hubs_2025.yaml')!r})\n"
        "sc = sc.model_copy(update={'time': sc.time.model_copy(update={'days': 2})})\n"
        "res = gridsite.solve(sc)\n"
        "fixed = gridsite.solve(sc, fix=res.placement())\n"
        "assert abs(fixed.objective - res.objective) <= 1e-6 * abs(res.objective), (fixed.objective, res.objective)\n"
        "print(sorted(m for m in sys.modules if m.split('.')[0] == 'scipy'))\n"
    )
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, timeout=300)
    assert r.returncode == 0, r.stderr[-2000:]
    assert r.stdout.strip().splitlines()[-1] == "[]"
