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

A model built with ``build_model(md, arrays=True)`` keeps its per-slice rows as row blocks and its objective's
per-slice sums as :class:`~optimizer.model.families.blocks.ArrayLinear` (:mod:`optimizer.model.families.blocks`).
Those are read from their arrays (:func:`_read_block`, :func:`_read_array`) by the same rules, so the standard form
is the one of the complete model, bit for bit (``tests/test_row_blocks.py``); a block row is listed in
``info.rows`` as a :class:`BlockRow` with its Pyomo name and bounds, made only when read (:class:`Rows`). A block
with a case the array reader does not take (a variable twice in a row, a range row, a fixed variable where the
block meets its component first) is materialised and read row by row.

``$GRIDSITE_HANDOFF=pyomo`` selects Pyomo's compiler instead (:func:`standard_form`), e.g. to compare the two.
"""

from __future__ import annotations

import os
from array import array
from bisect import bisect_right
from collections.abc import Sequence
from itertools import chain, compress
from operator import attrgetter
from typing import Any

import numpy as np
import pyomo.environ as pyo
from pyomo.common.errors import InfeasibleConstraintException, InvalidConstraintError, InvalidExpressionError
from pyomo.common.numeric_types import native_numeric_types, native_types, value
from pyomo.core.base import Block, Constraint, Expression, Objective, Param, SortComponents, Suffix, Var
from pyomo.core.base.component_namer import index_repr
from pyomo.core.expr.numeric_expr import LinearExpression, MonomialTermExpression, SumExpression
from pyomo.repn.linear import LinearBeforeChildDispatcher, LinearRepnVisitor
from pyomo.repn.plugins.standard_form import LinearStandardFormCompiler, LinearStandardFormInfo, RowEntry
from pyomo.repn.util import ExprType

from optimizer.model.families.blocks import ArrayLinear, RowBlock, blocks_of, materialise
from optimizer.model.families.linear import ordered_data

try:  # Pyomo ≥ 6.9 numbers columns as _Columns does; with an older Pyomo only Pyomo's compiler is used
    from pyomo.core.base.var import VarData
    from pyomo.repn.util import TemplateVarRecorder, categorize_valid_components
except ImportError:  # pragma: no cover - older Pyomo
    TemplateVarRecorder = None

__all__ = [
    "COMPILERS", "HANDOFF_ENV", "BlockRow", "Rows", "compile_direct", "compile_pyomo", "compiler_name", "row_senses",
    "standard_form",
]

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
    """Pyomo's own :class:`LinearStandardFormCompiler` in mixed form (the reference), on the model with its row
    blocks materialised."""
    materialise(m)
    return LinearStandardFormCompiler().write(m, mixed_form=True)


def _in_order(comp) -> list:
    """The data objects of a Var component in index order (``comp.values(ORDERED_INDICES)``):
    :func:`optimizer.model.families.linear.ordered_data`."""
    return ordered_data(comp)


class _Columns:
    """The column numbering of Pyomo's compiler (its ``TemplateVarRecorder`` without the template environment):
    the first time a variable of a component is met, every data object of that component is numbered, in index
    order (fixed ones included; columns without nonzeros are dropped later)."""

    def __init__(self) -> None:
        self.var_map: dict[int, object] = {}
        self.var_order: dict[int, int] = {}
        self._components: set[int] = set()
        self.start: dict[int, int] = {}  # id(component) → its first column
        self.data: dict[int, list] = {}  # id(component) → its data objects in index order
        self._ids: dict[int, np.ndarray] = {}

    def add(self, var) -> None:
        self.number(var.parent_component())

    def number(self, comp) -> int:
        """Number every data object of ``comp`` (once); its first column."""
        if id(comp) in self._components:
            return self.start[id(comp)]
        self._components.add(id(comp))
        data = self.ordered(comp)
        ids = list(map(id, data))
        start = len(self.var_map)
        self.var_map.update(zip(ids, data, strict=True))
        self.var_order.update(zip(ids, range(start, start + len(ids)), strict=True))
        self.start[id(comp)] = start
        return start

    def ordered(self, comp) -> list:
        got = self.data.get(id(comp))
        if got is None:
            got = self.data[id(comp)] = _in_order(comp)
        return got

    def ids(self, comp) -> np.ndarray:
        """``id`` of each data object of ``comp`` in index order."""
        got = self._ids.get(id(comp))
        if got is None:
            data = self.ordered(comp)
            got = self._ids[id(comp)] = np.fromiter(map(id, data), dtype=np.uint64, count=len(data))
        return got


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


def _read_array(child: ArrayLinear, rec: _Columns) -> dict | None:
    """``{id(var): coefficient}`` of an :class:`ArrayLinear` read from its arrays, exactly as :func:`_read_plain`
    reads its materialised arguments; None where :func:`_read_plain` would not take them (a fixed variable where
    its component is met first, a variable twice, every coefficient zero)."""
    if _read_array_checks(child, rec) is None:
        return None
    ids, coefs = [], []
    for s in child.array_slots:
        if not len(s.pos):
            continue
        rec.number(s.var)
        ids.append(rec.ids(s.var)[s.pos])
        coefs.append(np.broadcast_to(np.asarray(s.coef, dtype=np.float64), s.pos.shape))
    if not ids:
        return None
    id_all, coef_all = np.concatenate(ids), np.concatenate(coefs)
    keep = coef_all != 0
    if not keep.any():
        return None
    if not keep.all():
        id_all, coef_all = id_all[keep], coef_all[keep]
    return dict(zip(id_all.tolist(), coef_all.tolist(), strict=True))


def _read_array_checks(child: ArrayLinear, rec: _Columns) -> bool | None:
    """True when :func:`_read_plain` would read the materialised arguments (no fixed variable where its component
    is met first, no variable twice, some coefficient not zero); None otherwise. Numbers nothing."""
    numbered = set(rec.start)
    seen: dict[int, list[np.ndarray]] = {}
    for s in child.array_slots:
        if not len(s.pos):
            continue
        c = id(s.var)
        if c not in numbered:
            if rec.ordered(s.var)[int(s.pos[0])].fixed:
                return None
            numbered.add(c)
        seen.setdefault(c, []).append(s.pos)
    for parts in seen.values():  # a variable twice: _read_plain leaves the sum to Pyomo's visitor
        pos = np.concatenate(parts) if len(parts) > 1 else parts[0]
        hit = np.zeros(int(pos.max()) + 1, dtype=np.bool_)
        hit[pos] = True
        if int(np.count_nonzero(hit)) != len(pos):
            return None
    if not seen or not any(np.any(np.asarray(s.coef) != 0) for s in child.array_slots if len(s.pos)):
        return None
    return True


def _array_columns(child: ArrayLinear, rec: _Columns) -> tuple[np.ndarray, np.ndarray] | None:
    """(columns, coefficients) of an :class:`ArrayLinear` in argument order, zero coefficients included, after
    numbering its components as :func:`_read_plain` would; None when :func:`_read_array` would say None."""
    if _read_array_checks(child, rec) is None:
        return None
    cols, coefs = [], []
    for s in child.array_slots:
        if len(s.pos):
            cols.append(s.pos + rec.number(s.var))
            coefs.append(np.broadcast_to(np.asarray(s.coef, dtype=np.float64), s.pos.shape))
    if not cols:
        return None
    return np.concatenate(cols), np.concatenate(coefs)


def _named_body(e):
    while getattr(e, "is_named_expression_type", _false)():
        e = e.expr
    return e


def _false() -> bool:
    return False


def _objective_by_terms(expr, visitor, rec: _Columns) -> tuple[np.ndarray, np.ndarray, object] | None:
    """The objective ``Σ_k term_k`` (a sum, e.g. ``total_cost`` = Σ cost terms) as (columns, costs, constant),
    each term read on its own and the terms' coefficients added up in term order, which is what Pyomo's visitor
    does when it reads the sum (each child's ``{variable: coefficient}`` added into the sum's, then zeros dropped),
    with an :class:`ArrayLinear` term taken from its arrays without a dict; None when ``expr`` is not such a sum
    (the visitor then reads it whole)."""
    body = _named_body(expr)
    if body.__class__ not in (SumExpression, LinearExpression) or body.nargs() < 2:
        return None
    acc = np.zeros(max(1024, len(rec.var_map)))
    const: Any = 0
    for term in body.args:
        if term.__class__ in native_numeric_types:
            const += term
            continue
        inner = _named_body(term)
        got = _array_columns(inner, rec) if inner.__class__ is ArrayLinear else None
        if got is not None:
            cols, coefs = got
        else:
            repn = visitor.walk_expression(term)
            if repn.nonlinear is not None:
                return None  # the whole objective is read by the visitor, which raises the error
            const += repn.constant
            order = rec.var_order
            cols = np.fromiter((order[vid] for vid in repn.linear), dtype=np.int64, count=len(repn.linear))
            coefs = np.fromiter(repn.linear.values(), dtype=np.float64, count=len(repn.linear))
        if len(rec.var_map) > len(acc):
            acc = np.concatenate((acc, np.zeros(max(len(rec.var_map), 2 * len(acc)) - len(acc))))
        acc[cols] += coefs  # columns are unique within a term (a sum's dict, or an ArrayLinear without repeats)
    index = np.flatnonzero(acc)
    return index, acc[index], const


def _before_array_linear(visitor, child):
    """The visitor's handler of an :class:`ArrayLinear` node: read from its arrays (:func:`_read_array`), or as any
    LinearExpression when that is not exact."""
    got = _read_array(child, visitor.var_recorder)
    if got is None:
        return _before_linear(visitor, child)
    ans = visitor.Result()
    ans.linear = got
    return False, (ExprType.LINEAR, ans)


class _Visitor(LinearRepnVisitor):
    """Pyomo's linear visitor with :func:`_before_linear` for LinearExpression nodes (the objective's sums of
    per-slice terms)."""

    before_child_dispatcher = LinearBeforeChildDispatcher()


_Visitor.before_child_dispatcher[LinearExpression] = _before_linear
_Visitor.before_child_dispatcher[ArrayLinear] = _before_array_linear


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
    var_map, order = recorder.var_map, recorder.var_order

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
        by_terms = _objective_by_terms(obj.expr, visitor, recorder)
        data: Any
        offset: Any
        if by_terms is not None:
            index, data, offset = by_terms
            n = len(index)
            obj_index.append(index)
        else:
            repn = visitor.walk_expression(obj.expr)
            if repn.nonlinear is not None:
                raise InvalidExpressionError(
                    f"Model objective ({obj.name}) contains nonlinear terms that cannot be compiled to standard "
                    "(linear) form."
                )
            n = len(repn.linear)
            data = list(repn.linear.values())
            obj_index.append([order[vid] for vid in repn.linear])
            offset = repn.constant
        if obj.sense != pyo.minimize:
            data = -np.fromiter(data, float, n)
            offset *= -1
        obj_data.append(data)
        obj_offset.append(offset)
        obj_ptr.append(obj_ptr[-1] + n)

    rows = Rows()
    rhs: list = []
    vals = array("d")
    cols = array("i")
    ptr = [0]
    for con in _constraints(m):
        if con.__class__ is RowBlock:
            if _read_block(con, recorder, rows, rhs, vals, cols, ptr):
                continue
            materialise(m, [con.name])  # a case the block reader leaves to the row reader
            for data in con.component.values(_SORT):
                _read_row(data, visitor, recorder, rows, rhs, vals, cols, ptr)
            continue
        _read_row(con, visitor, recorder, rows, rhs, vals, cols, ptr)
    return _finish(var_map, objectives, obj_data, obj_index, obj_ptr, obj_offset, rows, rhs, vals, cols, ptr)


def _read_row(con, visitor, recorder, rows, rhs, vals, cols, ptr) -> None:
    """Append the compiled rows of one constraint data object (see the module doc for the rules)."""
    var_map, order, add = recorder.var_map, recorder.var_order, recorder.add
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
            return
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
        return
    if not lin and offset.__class__ in native_types:
        if (lb is None or lb <= offset) and (ub is None or ub >= offset):
            return
        raise InfeasibleConstraintException(f"model contains a trivially infeasible constraint, '{con.name}'")
    for sense, bound in _senses(lb, ub):
        rows.append(RowEntry(con, sense))
        rhs.append(bound - offset)
        vals.extend(lin.values())
        cols.extend(map(order.__getitem__, lin))
        ptr.append(len(vals))


def _constraints(m: pyo.ConcreteModel):
    """The active constraint data of ``m`` in model order (``component_data_objects(Constraint, active=True,
    sort=ORDERED_INDICES)``), with each pending row block (:mod:`optimizer.model.families.blocks`) given as its
    :class:`RowBlock` in the place of its component. A model with sub-blocks has its row blocks materialised."""
    blocks = {id(b.component): b for b in blocks_of(m).values() if b.pending}
    if blocks and any(True for _ in m.component_objects(Block, descend_into=True)):
        materialise(m)
        blocks = {}
    if not blocks:
        yield from m.component_data_objects(Constraint, active=True, sort=_SORT)
        return
    for comp in m.component_objects(Constraint, active=True, sort=_SORT, descend_into=False):
        blk = blocks.get(id(comp))
        if blk is not None:
            yield blk
            continue
        for con in comp.values(_SORT):
            if con.active:
                yield con


def _block_readable(blk: RowBlock, recorder: _Columns) -> bool:
    """Whether :func:`_read_block` gives exactly what the row reader would: no range rows, no variable twice in a
    row, and no fixed variable where a row would meet its component first (the row reader makes it a constant)."""
    numbered = set(recorder.start)
    for g in blk.groups:
        if not len(g.keys):
            continue
        if g.lower is not None and g.upper is not None and g.lower != g.upper:
            return False
        by_comp: dict[int, list[np.ndarray]] = {}
        for s in g.slots:
            c = id(s.var)
            for other in by_comp.get(c, ()):
                if np.any(other == s.pos):
                    return False
            by_comp.setdefault(c, []).append(s.pos)
            if c not in numbered:
                if recorder.ordered(s.var)[int(s.pos[0])].fixed:
                    return False
                numbered.add(c)
    return True


def _read_block(blk: RowBlock, recorder: _Columns, rows: Rows, rhs: list, vals, cols, ptr: list) -> bool:
    """Append the rows of a pending row block straight from its arrays, as the row reader would read them one by
    one: columns numbered by component in order of first appearance (a group's first row holds all its slots),
    each row's terms in slot order with zero coefficients dropped, rows left with no term skipped (or reported
    infeasible); False (nothing appended) when :func:`_block_readable` says the row reader must read it."""
    if not _block_readable(blk, recorder):
        return False
    for g in blk.groups:
        n = len(g.keys)
        if not n:
            continue
        k = len(g.slots)
        col = np.empty((n, k), dtype=np.int64)
        val = np.empty((n, k), dtype=np.float64)
        for j, s in enumerate(g.slots):
            start = recorder.number(s.var)
            col[:, j] = s.pos
            col[:, j] += start
            val[:, j] = g.coefficients(j)
        nz = val != 0
        count = nz.sum(axis=1)
        ((sense, bound),) = _senses(g.lower, g.upper)
        keep = count > 0
        if not keep.all():
            if not ((g.lower is None or g.lower <= 0) and (g.upper is None or g.upper >= 0)):
                i = int(np.flatnonzero(~keep)[0])
                name = blk.component.name + index_repr(g.keys[i])
                raise InfeasibleConstraintException(f"model contains a trivially infeasible constraint, '{name}'")
        idx = np.flatnonzero(keep)
        rows.add_segment(_Segment(blk.component, g.keys, idx, sense, g.lower, g.upper))
        rhs.extend([bound - 0] * len(idx))
        vals.frombytes(val[nz].tobytes())
        cols.frombytes(col[nz].astype(np.int32).tobytes())
        ptr.extend((ptr[-1] + np.cumsum(count[idx])).tolist())
    return True


class BlockRow:
    """A compiled row of a pending row block in ``info.rows``, standing for its constraint data object: its
    ``name`` (as Pyomo names it), ``index``, ``lower`` and ``upper``; ``parent_component()`` is the declared
    component."""

    __slots__ = ("_component", "index", "lower", "upper")

    def __init__(self, component, index, lower, upper) -> None:
        self._component, self.index, self.lower, self.upper = component, index, lower, upper

    active = True

    @property
    def name(self) -> str:
        return self._component.name + index_repr(self.index)

    def parent_component(self):
        return self._component

    def __eq__(self, other) -> bool:
        return other.__class__ is BlockRow and other._component is self._component and other.index == self.index

    def __hash__(self) -> int:
        return hash((id(self._component), self.index))

    def __repr__(self) -> str:
        return f"<row {self.name} of a row block>"


class _Segment:
    """Rows ``keys[i]`` for i in ``idx`` of one group of a row block, all of one sense."""

    def __init__(self, component, keys, idx: np.ndarray, sense: int, lower, upper) -> None:
        self.component, self.keys, self.idx, self.sense = component, keys, idx, sense
        self.lower, self.upper = lower, upper

    def __len__(self) -> int:
        return len(self.idx)

    def entry(self, i: int) -> RowEntry:
        return RowEntry(BlockRow(self.component, self.keys[int(self.idx[i])], self.lower, self.upper), self.sense)


class Rows(Sequence):
    """``info.rows``: the compiled rows in order as ``RowEntry(constraint, bound_type)``, with the rows of row
    blocks stored as index ranges and made into :class:`BlockRow` entries only when read."""

    def __init__(self) -> None:
        self._parts: list = []  # lists of RowEntry and _Segment, in row order
        self._starts: list[int] = []
        self._n = 0
        self._tail: list | None = None

    def append(self, entry: RowEntry) -> None:
        if self._tail is None:
            self._tail = []
            self._parts.append(self._tail)
            self._starts.append(self._n)
        self._tail.append(entry)
        self._n += 1

    def add_segment(self, seg: _Segment) -> None:
        if len(seg):
            self._parts.append(seg)
            self._starts.append(self._n)
            self._n += len(seg)
            self._tail = None

    def __len__(self) -> int:
        return self._n

    def __iter__(self):
        for part in self._parts:
            if part.__class__ is _Segment:
                for i in range(len(part)):
                    yield part.entry(i)
            else:
                yield from part

    def __getitem__(self, i):  # type: ignore[override]
        if isinstance(i, slice):
            return [self[j] for j in range(*i.indices(self._n))]
        if i < 0:
            i += self._n
        if not 0 <= i < self._n:
            raise IndexError(i)
        p = bisect_right(self._starts, i) - 1
        part = self._parts[p]
        j = i - self._starts[p]
        return part.entry(j) if part.__class__ is _Segment else part[j]

    def senses(self) -> np.ndarray:
        """The bound type of every row (0 equality, 1 ``≤``, −1 ``≥``) as floats."""
        out = np.empty(self._n)
        for start, part in zip(self._starts, self._parts, strict=True):
            if part.__class__ is _Segment:
                out[start : start + len(part)] = part.sense
            else:
                out[start : start + len(part)] = [r[1] for r in part]
        return out


def row_senses(rows) -> np.ndarray:
    """The bound type of every compiled row (``info.rows``), as floats."""
    if isinstance(rows, Rows):
        return rows.senses()
    return np.fromiter((r[1] for r in rows), dtype=float, count=len(rows))



_FIXED = attrgetter("_fixed")


def _flat(parts: list, dtype, n: int) -> np.ndarray:
    """The objectives' lists or arrays of entries as one array."""
    if all(isinstance(p, np.ndarray) for p in parts):
        return np.concatenate(parts).astype(dtype, copy=False) if parts else np.zeros(0, dtype)
    return np.fromiter(chain.from_iterable(parts), dtype, n)


def _fixed_flags(columns: list) -> np.ndarray:
    """Whether each column's variable is fixed (``v.fixed``), read from the attribute the property returns."""
    try:
        return np.array(list(map(_FIXED, columns)), dtype=np.bool_)
    except AttributeError:  # pragma: no cover - another variable class
        return np.array([v.fixed for v in columns], dtype=np.bool_)


def _finish(var_map, objectives, obj_data, obj_index, obj_ptr, obj_offset, rows, rhs, vals, cols, ptr):
    """Matrices from the collected rows: unused columns dropped, fixed columns moved to the right-hand side
    (the same steps and arithmetic as Pyomo's compiler)."""
    columns = list(var_map.values())
    n_cols = len(columns)
    obj_nnz = obj_ptr[-1]
    c = _csc(_flat(obj_data, np.float64, obj_nnz), _flat(obj_index, np.int32, obj_nnz), obj_ptr, n_cols)
    A = _csc(np.frombuffer(vals, dtype=np.float64), np.frombuffer(cols, dtype=np.int32), ptr, n_cols)
    c_ip = c.indptr
    A_ip = A.indptr
    active = (A_ip[1:] > A_ip[:-1]) | (c_ip[1:] > c_ip[:-1])
    offsets = np.array(obj_offset)
    fixed = _fixed_flags(columns) & active
    if fixed.any():
        x = np.array([columns[i].value for i in np.flatnonzero(fixed).tolist()])
        offsets = offsets + c.select(fixed).dot(x)
        rhs = np.array(rhs) - A.select(fixed).dot(x)
        active &= ~fixed
        c = c.select(active)
        A = A.select(active)
        columns = list(compress(columns, active.tolist()))
    else:
        mask = np.concatenate((active, [True]))
        reduced = A.indptr[mask]
        if n_cols - (len(reduced) - 1) > 0:
            columns = list(compress(columns, active.tolist()))
            c = CSC(c.data, c.indices, c.indptr[mask], (c.shape[0], len(columns)))
            A = CSC(A.data, A.indices, reduced, (A.shape[0], len(columns)))
    return LinearStandardFormInfo(c, offsets, A, rhs, rows, columns, objectives, [])
