"""The standard form of a built model (the matrices handed to HiGHS), read directly from its linear rows.

Pyomo's :class:`LinearStandardFormCompiler` walks every constraint body with its generic expression visitor. Our
per-slice rows (nearly all nonzeros) are one :class:`LinearExpression` of ``(coefficient, variable)`` monomials
(:func:`optimizer.model.families.linear.linear`), so :func:`compile_direct` reads those monomials itself (a row
whose variables are numbered, none repeated, straight into the arrays: :func:`_read_plain`) and leaves every other
body and the objective to Pyomo's own visitor, which reads LinearExpression nodes the same way and numbers columns
through the same recorder (:class:`_Columns`). The result is Pyomo's :class:`LinearStandardFormInfo`
(``mixed_form``) with the same rows, columns, coefficients, right-hand sides, costs and offset — bit for bit,
checked against Pyomo's compiler by ``tests/test_matrices.py`` and ``benchmarks/check_model.py``:

- columns: a variable component's data are all numbered, in index order, when the first of them is met
  (objective first, then constraints in model order); a fixed variable met before its component is a constant;
  columns with no nonzero are dropped, fixed columns with nonzeros are moved to the right-hand side;
- rows: a body's repeated variables are summed in order of first appearance, zero coefficients dropped, its
  constant (fixed variables, then numbers) moved to the bounds; an equality is one row (sense 0), otherwise an
  upper row (sense 1) then a lower row (sense −1); rows with no bound are skipped, constant rows checked.

``$GRIDSITE_HANDOFF=pyomo`` selects Pyomo's compiler instead (:func:`standard_form`), e.g. to compare the two.
"""

from __future__ import annotations

import os
from array import array
from itertools import chain
from typing import Any

import numpy as np
import pyomo.environ as pyo
from pyomo.common.errors import InfeasibleConstraintException, InvalidConstraintError, InvalidExpressionError
from pyomo.common.numeric_types import native_numeric_types, native_types, value
from pyomo.core.base import Block, Constraint, Expression, Objective, Param, SortComponents, Suffix, Var
from pyomo.core.expr.numeric_expr import LinearExpression, MonomialTermExpression
from pyomo.repn.linear import LinearBeforeChildDispatcher, LinearRepnVisitor
from pyomo.repn.plugins.standard_form import LinearStandardFormCompiler, LinearStandardFormInfo, RowEntry
from pyomo.repn.util import ExprType

try:  # Pyomo ≥ 6.9 numbers columns as _Columns does; with an older Pyomo only Pyomo's compiler is used
    from pyomo.core.base.var import VarData
    from pyomo.repn.util import TemplateVarRecorder, categorize_valid_components
except ImportError:  # pragma: no cover - older Pyomo
    TemplateVarRecorder = None

__all__ = ["COMPILERS", "HANDOFF_ENV", "compile_direct", "compile_pyomo", "compiler_name", "standard_form"]

HANDOFF_ENV = "GRIDSITE_HANDOFF"
COMPILERS = ("direct", "pyomo")
_SORT = SortComponents.ORDERED_INDICES  # Pyomo's default file determinism (ORDERED)


def compiler_name() -> str:
    """The compiler ``$GRIDSITE_HANDOFF`` selects: ``direct`` (default) or ``pyomo``."""
    name = os.environ.get(HANDOFF_ENV, "").strip().lower() or "direct"
    if name not in COMPILERS:
        raise ValueError(f"{HANDOFF_ENV}={name!r}: expected one of {', '.join(COMPILERS)}")
    return name


def standard_form(m: pyo.ConcreteModel, compiler: str | None = None) -> LinearStandardFormInfo:
    """The mixed-form standard form of ``m``'s active objective and constraints, by ``compiler``
    (default: :func:`compiler_name`)."""
    name = compiler or compiler_name()
    if name == "pyomo":
        return compile_pyomo(m)
    if name == "direct":
        return compile_direct(m)
    raise ValueError(f"unknown compiler {name!r}: expected one of {', '.join(COMPILERS)}")


def compile_pyomo(m: pyo.ConcreteModel) -> LinearStandardFormInfo:
    """Pyomo's own :class:`LinearStandardFormCompiler` in mixed form (the reference)."""
    return LinearStandardFormCompiler().write(m, mixed_form=True)


def _in_order(comp) -> list:
    """The data objects of a Var component in index order (``comp.values(ORDERED_INDICES)``); read straight from
    its dict when that holds exactly the indices in that order (a dense Var), which skips a lookup per index."""
    data = getattr(comp, "_data", None)
    if data.__class__ is dict and comp.is_indexed():
        keys = list(comp.keys(_SORT))
        if len(keys) == len(data) and keys == list(data):
            return list(data.values())
    return list(comp.values(_SORT))


class _Columns:
    """The column numbering of Pyomo's compiler (its ``TemplateVarRecorder`` without the template environment):
    the first time a variable of a component is met, every data object of that component is numbered, in index
    order (fixed ones included; columns without nonzeros are dropped later)."""

    def __init__(self) -> None:
        self.var_map: dict[int, object] = {}
        self.var_order: dict[int, int] = {}
        self._components: set[int] = set()

    def add(self, var) -> None:
        comp = var.parent_component()
        if id(comp) in self._components:
            return
        self._components.add(id(comp))
        data = _in_order(comp)
        ids = list(map(id, data))
        start = len(self.var_map)
        self.var_map.update(zip(ids, data, strict=True))
        self.var_order.update(zip(ids, range(start, start + len(ids)), strict=True))


class _Fallback(Exception):
    """The model has something the direct reader does not handle; Pyomo's compiler takes the whole model."""


_COEF = frozenset((int, float))


def _read_plain(args, order: dict, add) -> tuple[list, list, list] | None:
    """``(coefficients, variable ids, columns)`` of a LinearExpression's arguments when all are ``(float or int,
    variable)`` monomials or bare indexed variables with no variable repeated — the common case, where Pyomo's
    visitor keeps the terms in order and only drops zero coefficients; None otherwise (the row is then read by
    :func:`_read_linear` or Pyomo's visitor).

    Variables not numbered yet have their component numbered here in order of appearance, as the visitor does;
    a fixed one of them (a constant for the visitor) makes the row not plain.
    """
    coefs = []
    vs = []
    for a in args:
        cls = a.__class__
        if cls is MonomialTermExpression:
            c, v = a._args_
        elif cls is VarData:
            c, v = 1, a
        else:
            return None
        coefs.append(c)
        vs.append(v)
    if not coefs or not _COEF.issuperset(map(type, coefs)):
        return None
    ids = list(map(id, vs))
    try:
        cols = list(map(order.__getitem__, ids))
    except KeyError:
        for v, vid in zip(vs, ids, strict=True):
            if vid not in order:
                if v.fixed:
                    return None
                add(v)
        cols = list(map(order.__getitem__, ids))
    if len(set(ids)) != len(ids):
        return None
    if not all(coefs):
        keep = [i for i, c in enumerate(coefs) if c]
        if not keep:
            return None
        coefs = [coefs[i] for i in keep]
        ids = [ids[i] for i in keep]
        cols = [cols[i] for i in keep]
    return coefs, ids, cols


def _before_linear(visitor, child):
    """Pyomo's visitor's handler of a LinearExpression node, with plain ones (:func:`_read_plain`) read at once."""
    rec = visitor.var_recorder
    got = _read_plain(child.args, rec.var_order, rec.add)
    if got is None:
        return LinearBeforeChildDispatcher._before_linear(visitor, child)
    ans = visitor.Result()
    ans.linear = dict(zip(got[1], got[0], strict=True))
    return False, (ExprType.LINEAR, ans)


class _Visitor(LinearRepnVisitor):
    """Pyomo's linear visitor with :func:`_before_linear` for LinearExpression nodes (the objective's sums of
    per-slice terms)."""

    before_child_dispatcher = LinearBeforeChildDispatcher()


_Visitor.before_child_dispatcher[LinearExpression] = _before_linear


def _read_linear(body, var_map: dict, add) -> tuple[dict, Any] | None:
    """``({id(var): coef}, constant)`` of a LinearExpression body as Pyomo's visitor computes it, or None when an
    argument is not a plain (number, variable) monomial, a variable or a number (the visitor then reads it)."""
    lin: dict[int, Any] = {}
    fixed: Any = 0
    const: Any = 0
    for arg in body.args:
        cls = arg.__class__
        if cls is MonomialTermExpression:
            c, v = arg._args_
            if c.__class__ not in native_types:
                return None
        elif cls in native_numeric_types:
            const += arg
            continue
        elif arg.is_variable_type():
            c, v = 1, arg
        else:
            return None
        vid = id(v)
        if vid not in var_map:
            if v.fixed:
                x = v.value
                if x.__class__ not in native_numeric_types:
                    return None
                fixed += c * x
                continue
            add(v)
        if vid in lin:
            lin[vid] += c
        elif c:
            lin[vid] = c
    zeros = [vid for vid, c in lin.items() if not c]
    for vid in zeros:
        del lin[vid]
    return lin, fixed + const


def _senses(lb: Any, ub: Any) -> tuple[tuple[int, Any], ...]:
    """The compiled rows of ``lb ≤ body ≤ ub`` as (sense, bound), as Pyomo's compiler forms them: one equality row
    (sense 0), one ``≥`` row (−1), one ``≤`` row (1), or a ``≤`` and a ``≥`` row for a range."""
    if lb == ub:
        return ((0, ub),)
    if ub is None:
        return ((-1, lb),)
    if lb is None:
        return ((1, ub),)
    return ((1, ub), (-1, lb))


class CSC:
    """A compressed-sparse-column matrix in plain numpy arrays, with the part of scipy's ``csc_array`` interface
    the handoff uses (``data``, ``indices``, ``indptr``, ``shape``, ``nnz``, ``tocsc``, ``sort_indices``,
    ``toarray``), plus the column selection and product the fixed columns need. Importing scipy makes Pyomo
    import scipy.stats and others (~0.5 s) that a solve never needs."""

    format = "csc"

    def __init__(self, data: np.ndarray, indices: np.ndarray, indptr: np.ndarray, shape: tuple[int, int]):
        self.data, self.indices, self.indptr, self.shape = data, indices, indptr, (int(shape[0]), int(shape[1]))

    @property
    def nnz(self) -> int:
        return int(self.indptr[-1])

    def tocsc(self) -> CSC:
        return self

    def sort_indices(self) -> None:
        """Row indices are sorted within each column by construction (:func:`_csc`)."""

    def toarray(self) -> np.ndarray:
        out = np.zeros(self.shape)
        cols = np.repeat(np.arange(self.shape[1]), np.diff(self.indptr))
        out[self.indices, cols] = self.data
        return out

    def select(self, keep: np.ndarray) -> CSC:
        """The columns where ``keep`` is true (``a[:, keep]``), entries in the same order."""
        counts = np.diff(self.indptr)
        mask = np.repeat(keep, counts)
        indptr = np.zeros(int(keep.sum()) + 1, dtype=self.indptr.dtype)
        np.cumsum(counts[keep], out=indptr[1:])
        return CSC(self.data[mask], self.indices[mask], indptr, (self.shape[0], len(indptr) - 1))

    def dot(self, x: np.ndarray) -> np.ndarray:
        """``a @ x`` summed as scipy's CSC product does (column by column, each column's entries in order), so
        the result is the same to the last bit."""
        y = np.zeros(self.shape[0])
        cols = np.repeat(np.arange(self.shape[1]), np.diff(self.indptr))
        np.add.at(y, self.indices, self.data * x[cols])
        return y


def _csc(data, index, ptr, n_cols: int) -> CSC:
    """The CSR rows as CSC, zeros dropped, row indices sorted within each column — what scipy's
    ``csr_array(...).tocsc()``, ``sum_duplicates()`` and ``eliminate_zeros()`` give, in numpy alone: a stable sort
    of the entries by column keeps them in row order within a column. The rows never repeat a column
    (:func:`_read_plain` takes only rows without, :func:`_read_linear` and Pyomo's visitor merge them), so there
    is nothing to sum."""
    index_ptr = np.array(ptr, dtype=np.int32)
    n_rows = len(index_ptr) - 1
    data = np.asarray(data, dtype=np.float64)
    index = np.asarray(index, dtype=np.int32)
    rows = np.repeat(np.arange(n_rows, dtype=np.int32), np.diff(index_ptr))
    keep = data != 0
    if not keep.all():
        data, index, rows = data[keep], index[keep], rows[keep]
    order = np.argsort(index, kind="stable")
    indptr = np.zeros(n_cols + 1, dtype=np.int32)
    np.cumsum(np.bincount(index, minlength=n_cols), out=indptr[1:])
    return CSC(data[order], rows[order], indptr, (n_rows, n_cols))


def compile_direct(m: pyo.ConcreteModel) -> LinearStandardFormInfo:
    """The same standard form as :func:`compile_pyomo`, reading LinearExpression rows directly (see module doc).

    Falls back to Pyomo's compiler for a model with something it does not read (templated rows, export suffixes,
    component types Pyomo's compiler rejects, an older Pyomo).
    """
    if TemplateVarRecorder is None:  # pragma: no cover - older Pyomo
        return compile_pyomo(m)
    try:
        return _compile_direct(m)
    except _Fallback:
        return compile_pyomo(m)


def _compile_direct(m: pyo.ConcreteModel) -> LinearStandardFormInfo:
    from pyomo.core.base import ExternalFunction, RangeSet, Set
    from pyomo.network import Port

    component_map, unknown = categorize_valid_components(
        m,
        active=True,
        sort=_SORT,
        valid={Block, Constraint, Var, Param, Expression, ExternalFunction, Set, RangeSet, Port},
        targets={Suffix, Objective},
    )
    if unknown or component_map[Suffix]:
        raise _Fallback
    recorder = _Columns()
    visitor = _Visitor({}, var_recorder=recorder)
    var_map, order, add = recorder.var_map, recorder.var_order, recorder.add

    objectives = []
    for blk in component_map[Objective]:
        objectives.extend(blk.component_data_objects(Objective, active=True, descend_into=False, sort=_SORT))
    obj_data: list = []
    obj_index: list = []
    obj_ptr = [0]
    obj_offset = []
    for obj in objectives:
        if hasattr(obj, "template_expr"):
            raise _Fallback
        repn = visitor.walk_expression(obj.expr)
        if repn.nonlinear is not None:
            raise InvalidExpressionError(
                f"Model objective ({obj.name}) contains nonlinear terms that cannot be compiled to standard "
                "(linear) form."
            )
        n = len(repn.linear)
        data: object = list(repn.linear.values())
        obj_index.append([order[vid] for vid in repn.linear])
        offset = repn.constant
        if obj.sense != pyo.minimize:
            data = -np.fromiter(data, float, n)  # type: ignore[call-overload, operator]
            offset *= -1
        obj_data.append(data)
        obj_offset.append(offset)
        obj_ptr.append(obj_ptr[-1] + n)

    rows: list = []
    rhs: list = []
    vals = array("d")
    cols = array("i")
    ptr = [0]
    for con in m.component_data_objects(Constraint, active=True, sort=_SORT):
        if hasattr(con, "template_expr"):
            raise _Fallback
        lb, body, ub = con.to_bounded_expression()
        if lb.__class__ not in native_types:
            lb = value(lb)
        if ub.__class__ not in native_types:
            ub = value(ub)
        if lb is None and ub is None:
            pass  # still read: the row's variables are numbered as Pyomo's compiler does
        elif body.__class__ is LinearExpression:
            plain = _read_plain(body.args, order, add)
            if plain is not None:
                coefs, _, row_cols = plain
                for sense, bound in _senses(lb, ub):
                    rows.append(RowEntry(con, sense))
                    rhs.append(bound - 0)
                    vals.extend(coefs)
                    cols.extend(row_cols)
                    ptr.append(len(vals))
                continue
        read = _read_linear(body, var_map, add) if body.__class__ is LinearExpression else None
        if read is None:
            repn = visitor.walk_expression(body)
            if repn.nonlinear is not None:
                raise InvalidConstraintError(
                    f"Model constraint ({con.name}) contains nonlinear terms that cannot be compiled to standard "
                    "(linear) form."
                )
            lin, offset = repn.linear, repn.constant
        else:
            lin, offset = read
        if lb is None and ub is None:
            continue
        if not lin and offset.__class__ in native_types:
            if (lb is None or lb <= offset) and (ub is None or ub >= offset):
                continue
            raise InfeasibleConstraintException(f"model contains a trivially infeasible constraint, '{con.name}'")
        for sense, bound in _senses(lb, ub):
            rows.append(RowEntry(con, sense))
            rhs.append(bound - offset)
            vals.extend(lin.values())
            cols.extend(map(order.__getitem__, lin))
            ptr.append(len(vals))
    return _finish(var_map, objectives, obj_data, obj_index, obj_ptr, obj_offset, rows, rhs, vals, cols, ptr)


def _finish(var_map, objectives, obj_data, obj_index, obj_ptr, obj_offset, rows, rhs, vals, cols, ptr):
    """Matrices from the collected rows: unused columns dropped, fixed columns moved to the right-hand side
    (the same steps and arithmetic as Pyomo's compiler)."""
    columns = list(var_map.values())
    n_cols = len(columns)
    obj_nnz = obj_ptr[-1]
    c = _csc(
        np.fromiter(chain.from_iterable(obj_data), np.float64, obj_nnz),
        np.fromiter(chain.from_iterable(obj_index), np.int32, obj_nnz),
        obj_ptr,
        n_cols,
    )
    A = _csc(np.frombuffer(vals, dtype=np.float64), np.frombuffer(cols, dtype=np.int32), ptr, n_cols)
    c_ip = c.indptr
    A_ip = A.indptr
    active = (A_ip[1:] > A_ip[:-1]) | (c_ip[1:] > c_ip[:-1])
    offsets = np.array(obj_offset)
    fixed = np.array([v.fixed for v in columns], dtype=np.bool_) & active
    if fixed.any():
        x = np.array([columns[i].value for i, f in enumerate(fixed) if f])
        offsets = offsets + c.select(fixed).dot(x)
        rhs = np.array(rhs) - A.select(fixed).dot(x)
        active &= ~fixed
        c = c.select(active)
        A = A.select(active)
        columns = [v for k, v in zip(active, columns, strict=True) if k]
    else:
        mask = np.concatenate((active, [True]))
        reduced = A.indptr[mask]
        if n_cols - (len(reduced) - 1) > 0:
            columns = [v for k, v in zip(active, columns, strict=True) if k]
            c = CSC(c.data, c.indices, c.indptr[mask], (c.shape[0], len(columns)))
            A = CSC(A.data, A.indices, reduced, (A.shape[0], len(columns)))
    return LinearStandardFormInfo(c, offsets, A, rhs, rows, columns, objectives, [])
