"""Fast construction of the per-slice rows: linear expressions built directly, without operator overloading.

Rows indexed by time slice (S·T, R·T, E·T of them; millions in hourly models) dominate build and compile time.
Writing them as ``a * x + b * y >= ...`` makes Pyomo create, dispatch and then re-walk a tree of intermediate
sums and products for every row. Here each row body is one :class:`LinearExpression` whose arguments are
``(coefficient, variable)`` monomials with plain Python floats, which Pyomo's standard-form compiler reads on its
fast path. The families keep their stable names and exactly the same rows, coefficients and column order as the
operator form (checked by ``benchmarks/check_model.py``).
"""

from __future__ import annotations

import weakref
from collections.abc import Iterable

import numpy as np
import pyomo.environ as pyo
from pyomo.core.base import SortComponents
from pyomo.core.base.var import VarData
from pyomo.core.expr.numeric_expr import LinearExpression, MonomialTermExpression


def linear(terms: Iterable[tuple[float, object]]) -> LinearExpression:
    """Σ c·x over ``(c, x)`` pairs as one LinearExpression (c = 1 keeps the bare variable, as ``x + …`` does)."""
    return LinearExpression([v if c == 1 and c.__class__ is int else MonomialTermExpression((c, v)) for c, v in terms])


_GRIDS: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()
_SORT = SortComponents.ORDERED_INDICES


_ORDERED: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


def ordered_data(comp) -> list:
    """The data objects of a Var component in index order (``comp.values(ORDERED_INDICES)``, the order in which
    Pyomo's compiler numbers its columns); read straight from its dict when that holds exactly the indices in that
    order (a dense Var), which skips a lookup per index (~0.4 µs each).

    The list is shared, read-only, while the component holds the same number of data objects (the build, the
    compiler and the result tables all ask for the per-slice variables).
    """
    data = getattr(comp, "_data", None)
    if data.__class__ is dict and comp.is_indexed():  # (a scalar component is not hashable)
        cached = _ORDERED.get(comp)
        if cached is not None and cached[0] == len(data):
            return cached[1]
        keys = list(comp.keys(_SORT))
        if len(keys) == len(data) and keys == list(data):
            out = list(data.values())
            _ORDERED[comp] = (len(data), out)
            return out
    return list(comp.values(_SORT))


def var_grid(var: pyo.Var, n_rows: int, n_cols: int) -> np.ndarray:
    """The data objects of a 2-index Var over ordered sets as an (n_rows, n_cols) object array (set order).

    Built once per Var component (and shape, while the component has the same number of data objects) and shared,
    read-only, by the families that use it: ``flow`` and ``green`` are read by three to five families, and each
    array costs a Pyomo lookup per variable.
    """
    key = (n_rows, n_cols, len(var))
    cached = _GRIDS.get(var)
    if cached is not None and cached[0] == key:
        return cached[1]
    flat = np.empty(n_rows * n_cols, dtype=object)
    flat[:] = ordered_data(var)
    out = flat.reshape(n_rows, n_cols)
    out.flags.writeable = False
    _GRIDS[var] = (key, out)
    return out


def constraint_from(m: pyo.ConcreteModel, name: str, rows: dict, *index) -> pyo.Constraint:
    """Add ``m.<name>`` over the sets ``index`` with rows given as ``{idx: (lower, body, upper)}``."""
    con = pyo.Constraint(*index, rule=lambda _m, *i: rows[i if len(i) > 1 else i[0]])
    setattr(m, name, con)
    return con


def set_upper(data: Iterable, upper: float) -> None:
    """Give each variable data object in ``data`` the upper bound ``upper`` (a plain number).

    The same as ``v.setub(upper)`` for a number, which stores it as the variable's upper bound after a check that
    costs ~1 µs per call; a per-index ``bounds=`` rule costs more (one call per index). Used for the per-slice
    variables whose bound is one number per first index (a corridor's spare capacity for every slice).
    """
    ub = float(upper)
    for v in data:
        if v.__class__ is VarData:
            v._ub = ub
        else:  # pragma: no cover - another variable class
            v.setub(ub)
