"""Row blocks and array sums (optimizer.model.families.blocks) compile to exactly the model of Pyomo constraints.

A model built with ``arrays=True`` keeps its per-slice rows as arrays and its objective's per-slice sums as
:class:`ArrayLinear`; the direct compiler reads them from the arrays. Every part of the standard form (rows by
name and sense, columns by name, A, costs, offset, right-hand sides) must equal, bit for bit, what Pyomo's own
compiler makes of the complete model (``arrays=False``), on every policy variant and on hand-made blocks with the
corner cases the block reader must hand back to the row reader. Planted changes in the readers must be caught.
"""

from __future__ import annotations

import copy

import numpy as np
import pyomo.environ as pyo
import pytest
from pyomo.common.errors import InfeasibleConstraintException

from gridsite import parse_scenario
from optimizer.model import matrices
from optimizer.model.adapter import build_model_data
from optimizer.model.build import build_model
from optimizer.model.families.blocks import (
    ArrayLinear,
    Group,
    Slot,
    add_block,
    blocks_of,
    materialise,
    pending,
    value_of,
)

from .conftest import scenario_dict
from .test_matrices import VARIANTS

VARIANTS_HERE = {
    **VARIANTS,
    "hourly-storage-tiebreak": {
        "time": {"mode": "representative_days", "days": 2, "extreme_days": False},
        "grid": {"storage": {"enabled": "on"}, "green_delivery_charge_per_mwh": 12.0},
    },
}


def _md(china, name: str):
    base = scenario_dict(time={"mode": "representative_days", "days": 2, "extreme_days": False})
    base.update(copy.deepcopy(VARIANTS_HERE[name]))
    md, _ = build_model_data(parse_scenario(base), china)
    return md


def form(info) -> dict:
    """A standard form by names: comparable across two models built separately."""
    a = info.A.tocsc()
    a.sort_indices()
    c = info.c.tocsc()
    return {
        "rows": [(r[0].name, int(r[1])) for r in info.rows],
        "columns": [v.name for v in info.columns],
        "A": (np.asarray(a.indptr).tobytes(), np.asarray(a.indices).tobytes(), np.asarray(a.data).tobytes()),
        "c": (np.asarray(c.indptr).tobytes(), np.asarray(c.indices).tobytes(), np.asarray(c.data).tobytes()),
        "rhs": np.asarray(info.rhs, dtype=float).tobytes(),
        "offset": np.asarray(info.c_offset, dtype=float).tobytes(),
    }


def differences(a: dict, b: dict) -> list[str]:
    return [k for k in a if a[k] != b[k]]


@pytest.mark.parametrize("name", list(VARIANTS_HERE))
def test_arrays_model_compiles_to_the_complete_models_form(china, name):
    md = _md(china, name)
    fast = build_model(md, arrays=True)
    assert pending(fast) and blocks_of(fast)
    full = build_model(md)
    assert not pending(full)
    ref = form(matrices.compile_pyomo(full))
    got = form(matrices.compile_direct(fast))
    assert len(ref["rows"]) > 50
    assert differences(ref, got) == []
    assert pending(fast)  # nothing fell back to Pyomo rows
    # the same model materialised is the complete model
    materialise(fast)
    assert not pending(fast)
    assert differences(ref, form(matrices.compile_pyomo(fast))) == []
    assert differences(ref, form(matrices.compile_direct(fast))) == []


def test_block_rows_keep_pyomo_names_and_bounds(china):
    md = _md(china, "hourly-storage-tiebreak")
    fast = build_model(md, arrays=True)
    info = matrices.compile_direct(fast)
    rows = info.rows
    assert isinstance(rows, matrices.Rows)
    listed = list(rows)
    assert len(listed) == len(rows)
    assert [rows[i] for i in (0, len(rows) // 2, -1)] == [listed[i] for i in (0, len(rows) // 2, -1)]
    assert np.array_equal(rows.senses(), np.array([r[1] for r in listed], dtype=float))
    block = [r for r in listed if isinstance(r[0], matrices.BlockRow)]
    assert {r[0].parent_component().local_name for r in block} >= {"site_balance", "green_balance", "storage_soc"}
    materialise(fast)
    for con, _sense in block[:: max(1, len(block) // 50)]:
        real = fast.find_component(con.name)
        assert real is not None and real.name == con.name
        assert [pyo.value(b) for b in (real.lower, real.upper)] == [con.lower, con.upper]


def test_lp_file_of_an_arrays_model_has_every_row(china, tmp_path):
    md = _md(china, "hourly-storage-tiebreak")
    full, fast = build_model(md), build_model(md, arrays=True)
    a, b = tmp_path / "full.lp", tmp_path / "fast.lp"
    full.write(str(a), io_options={"symbolic_solver_labels": True})
    fast.write(str(b), io_options={"symbolic_solver_labels": True})
    assert a.read_text() == b.read_text()
    assert "storage_soc(" in b.read_text()


# --- hand-made blocks: the corner cases of the block reader -----------------------------------------------------


def _hand_model(case: str) -> pyo.ConcreteModel:
    m = pyo.ConcreteModel()
    m.I = pyo.Set(initialize=["a", "b c"], ordered=True)
    m.T = pyo.Set(initialize=range(4), ordered=True)
    m.x = pyo.Var(m.I, m.T, bounds=(0, 10))
    m.y = pyo.Var(m.I, bounds=(0, 5))
    m.z = pyo.Var(m.T, bounds=(-1, 1))
    t = np.arange(4)
    x_cost = Slot(m.x, t, np.array([1.0, 0.0, 2.5, 3.0]))
    m.obj = pyo.Objective(
        expr=ArrayLinear((Slot(m.z, t, 0.5),) if case == "fixed_first" else (x_cost, Slot(m.z, t, 0.5)))
    )
    cf = np.array([0.0, 0.3, 0.0, 1.7])
    groups = []
    for i, key in enumerate(["a", "b c"]):
        slots = [Slot(m.x, i * 4 + t, 1), Slot(m.y, np.full(4, i), -cf), Slot(m.z, t, np.array([0.0, 0, 0, 2]))]
        lower, upper = (None, 0) if i == 0 else (0, 0)
        if case == "duplicate":  # x[i,t] twice in a row: the row reader sums them
            slots.append(Slot(m.x, i * 4 + t, 2.0))
        if case == "range":
            lower, upper = -1.0, 2.0
        groups.append(Group([(key, tt) for tt in range(4)], tuple(slots), lower, upper))
    if case in ("fixed_first", "objective_fixed_first"):  # x met first at a fixed variable: a constant there
        m.x["a", 0].fix(-1.0)
    if case == "fixed_later":  # fixed after its component is numbered: a column moved to the right-hand side
        m.y["b c"].fix(1.5)
    if case == "zero_row":  # x's coefficient 0 too: row (a, 0) has no term left and is skipped
        groups[0] = Group(groups[0].keys, (Slot(m.x, t, np.array([0.0, 1, 1, 1])), *groups[0].slots[1:]), None, 0)
    add_block(m, "rows", groups, m.I, m.T)
    m.after = pyo.Constraint(expr=m.y["a"] + m.z[3] <= 4)  # a Pyomo row after the block keeps its place
    return m


CASES = ["plain", "duplicate", "range", "fixed_first", "objective_fixed_first", "fixed_later", "zero_row"]


@pytest.mark.parametrize("case", CASES)
def test_hand_blocks_compile_as_pyomo_rows(case):
    m = _hand_model(case)
    got = form(matrices.compile_direct(m))  # a case the block reader cannot take is materialised by it
    ref_model = _hand_model(case)
    materialise(ref_model)
    ref = form(matrices.compile_pyomo(ref_model))
    assert differences(ref, got) == []
    took_arrays = not any(b.pending is False for b in blocks_of(m).values())
    assert took_arrays == (case in ("plain", "objective_fixed_first", "fixed_later", "zero_row"))


def test_a_block_row_with_no_term_outside_its_bounds_is_infeasible():
    m = pyo.ConcreteModel()
    m.T = pyo.Set(initialize=range(3), ordered=True)
    m.x = pyo.Var(m.T)
    m.obj = pyo.Objective(expr=m.x[0])
    add_block(m, "need", [Group([0, 1, 2], (Slot(m.x, np.arange(3), np.array([1.0, 0.0, 1.0])),), 1.0, None)], m.T)
    with pytest.raises(InfeasibleConstraintException, match=r"need\[1\]"):
        matrices.compile_direct(m)


def test_planted_changes_in_the_array_readers_are_caught(china, monkeypatch):
    md = _md(china, "annual-rd2")
    full = build_model(md)  # kept: a constraint's name needs its model alive
    ref = form(matrices.compile_pyomo(full))
    real_block, real_array = matrices._read_block, matrices._read_array

    def block_off(blk, recorder, rows, rhs, vals, cols, ptr):
        n = len(vals)
        ok = real_block(blk, recorder, rows, rhs, vals, cols, ptr)
        if ok and len(vals) > n:
            vals[-1] = float(np.nextafter(vals[-1], np.inf))
        return ok

    monkeypatch.setattr(matrices, "_read_block", block_off)
    fast = build_model(md, arrays=True)
    assert differences(ref, form(matrices.compile_direct(fast))) == ["A"]
    monkeypatch.setattr(matrices, "_read_block", real_block)

    def array_off(child, rec):
        got = real_array(child, rec)
        if got:
            k = next(iter(got))
            got[k] = float(np.nextafter(got[k], -np.inf))
        return got

    monkeypatch.setattr(matrices, "_read_array", array_off)
    fast = build_model(md, arrays=True)
    assert differences(ref, form(matrices.compile_direct(fast))) == ["c"]  # grid_energy[s] inside price products
    monkeypatch.setattr(matrices, "_read_array", real_array)
    real_columns = matrices._array_columns

    def columns_off(child, rec):
        got = real_columns(child, rec)
        if got is not None:
            got[1][0] = float(np.nextafter(got[1][0], np.inf)) if got[1][0] else 1.0
        return got

    monkeypatch.setattr(matrices, "_array_columns", columns_off)
    fast = build_model(md, arrays=True)
    assert differences(ref, form(matrices.compile_direct(fast))) == ["c"]  # a cost term read from its arrays
    monkeypatch.setattr(matrices, "_array_columns", real_columns)

    def visitor_route(expr, visitor, rec):  # the objective read whole by Pyomo's visitor instead of term by term
        return None

    monkeypatch.setattr(matrices, "_objective_by_terms", visitor_route)
    fast = build_model(md, arrays=True)
    assert differences(ref, form(matrices.compile_direct(fast))) == []  # the visitor's own route: the same form


def test_value_of_equals_pyomos_value_bit_for_bit(china):
    md = _md(china, "hourly-storage-tiebreak")
    m = build_model(md, arrays=True)
    rng = np.random.default_rng(3)
    for v in m.component_data_objects(pyo.Var):
        v.set_value(float(rng.uniform(0, 2)), skip_validation=True)
    names = ["cost_green_delivery", "cost_wheeling", "cost_tie_break", "cost_grid_energy", "total_cost"]
    assert any(isinstance(getattr(m, n).expr, ArrayLinear) for n in names)
    for n in names:
        e = getattr(m, n)
        assert value_of(e) == pyo.value(e), n
    m.green.values().__iter__().__next__().set_value(None)
    assert value_of(m.cost_green_delivery) is None and pyo.value(m.cost_green_delivery, exception=False) is None


def test_integer_model_handed_over_by_arrays_equals_the_highslp_route(china):
    """The array interface (integer models) and the HighsLp route (its fallback) give HiGHS the same model."""
    import highspy

    from optimizer.model.highs import _compile

    class RefusesArrays(highspy.Highs):
        def passModel(self, *args):
            if len(args) > 1:
                return highspy.HighsStatus.kError
            return super().passModel(*args)

    md = _md(china, "annual-rd2")
    m = build_model(md, arrays=True)
    lps = []
    for cls in (highspy.Highs, RefusesArrays):
        h = cls()
        h.setOptionValue("output_flag", False)
        _, is_mip = _compile(m, h)
        assert is_mip
        lps.append(h.getLp())
    a, b = lps
    assert [int(x) for x in a.integrality_] == [int(x) for x in b.integrality_] and any(int(x) for x in a.integrality_)
    assert a.offset_ == b.offset_
    for attr in ("col_cost_", "col_lower_", "col_upper_", "row_lower_", "row_upper_"):
        assert np.asarray(getattr(a, attr)).tobytes() == np.asarray(getattr(b, attr)).tobytes(), attr
    for attr in ("start_", "index_", "value_"):
        assert np.asarray(getattr(a.a_matrix_, attr)).tobytes() == np.asarray(getattr(b.a_matrix_, attr)).tobytes()
