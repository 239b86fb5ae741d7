"""Row blocks: per-slice constraint families held as arrays until something needs them as Pyomo objects.

The rows indexed by time slice (``site_balance[s,t]``, ``green_balance[r,t]``, the storage rows,
``corridor_share[e,t]``) are nearly all of a model's rows and nonzeros. Creating one Pyomo constraint and one
linear expression per row, and reading them back when the model is handed to the solver, is most of the build and
handoff time of a large model. A family instead declares such a constraint as a :class:`RowBlock`: the Pyomo
component is declared (empty) at its place in the model, under its name and index sets, and the rows are kept as
arrays — for each group of rows that share one pattern of terms, a :class:`Slot` per term: the variable
component, the position of each row's variable in that component's index order, and each row's coefficient.

- :func:`optimizer.model.matrices.compile_direct` reads the arrays straight into the standard form: the same rows,
  columns, coefficients and right-hand sides as if the rows were Pyomo constraints (tested bit for bit against
  Pyomo's own compiler on the materialised model in ``tests/test_matrices.py``).
- :func:`materialise` turns every pending block into the Pyomo constraints the family would otherwise have built
  (the same expressions, term for term), e.g. before writing an LP file, compiling with Pyomo's compiler, or
  reading a row's body. It is idempotent; :func:`pending` says whether a model still has blocks.

Pyomo stays the model of record: every variable is a Pyomo variable, every constraint has its Pyomo component, and
:func:`materialise` gives the complete Pyomo model at any time.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import pyomo.environ as pyo
from pyomo.common.gc_manager import PauseGC
from pyomo.core.expr.numeric_expr import LinearExpression, MonomialTermExpression
from pyomo.repn import util as _repn_util

from optimizer.model.families.linear import linear, ordered_data

__all__ = [
    "ArrayLinear",
    "Group",
    "RowBlock",
    "Slot",
    "add_block",
    "blocks_of",
    "materialise",
    "pending",
    "positions",
    "value_of",
]

_BLOCKS = "_gridsite_row_blocks"  # plain attribute of the model: name → RowBlock, in declaration order
_LAZY = "_gridsite_lazy_expressions"  # plain attribute of the model: name → (Expression, its rows), until filled


@dataclass(frozen=True)
class Slot:
    """One term of every row of a group: ``coef[i] · var[pos[i]]`` in row i.

    ``pos``: the position of row i's variable among the data of the component ``var`` in index order (the order
    in which the component's columns are numbered); ``coef``: one number per row, or one number for every row (an
    ``int`` 1 is written as the bare variable when materialised, as the families' ``linear`` terms do).
    """

    var: pyo.Var
    pos: np.ndarray
    coef: np.ndarray | float | int


@dataclass(frozen=True)
class Group:
    """Rows ``keys[i]`` with the same terms (``slots``) and bounds: ``lower ≤ Σ_slots coef·var ≤ upper``."""

    keys: list
    slots: tuple[Slot, ...]
    lower: float | None
    upper: float | None

    def __post_init__(self) -> None:
        n = len(self.keys)
        for s in self.slots:
            if len(s.pos) != n or (isinstance(s.coef, np.ndarray) and len(s.coef) != n):
                raise ValueError(f"a slot of {n} rows has {len(s.pos)} positions")

    def coefficients(self, j: int) -> np.ndarray:
        """The coefficients of slot ``j`` as an array of one float per row."""
        c = self.slots[j].coef
        if isinstance(c, np.ndarray):
            return c.astype(np.float64, copy=False)
        return np.full(len(self.keys), float(c))


@dataclass
class RowBlock:
    """The rows of the constraint component ``component`` (declared empty) as groups of arrays."""

    component: pyo.Constraint
    groups: list[Group]
    pending: bool = True

    @property
    def name(self) -> str:
        return self.component.local_name

    def n_rows(self) -> int:
        return sum(len(g.keys) for g in self.groups)


def blocks_of(m: pyo.ConcreteModel) -> dict[str, RowBlock]:
    """The model's row blocks by component name (materialised ones included)."""
    return getattr(m, _BLOCKS, {})


def pending(m: pyo.ConcreteModel) -> bool:
    """Whether some row block of ``m`` is still held as arrays only (or a lazy expression still empty)."""
    return any(b.pending for b in blocks_of(m).values()) or bool(getattr(m, _LAZY, {}))


def add_block(m: pyo.ConcreteModel, name: str, groups: list[Group], *index) -> pyo.Constraint:
    """Declare ``m.<name>`` over the sets ``index`` with its rows held as ``groups`` (keys in set order)."""
    con = pyo.Constraint(*index)
    setattr(m, name, con)
    blocks = dict(blocks_of(m))
    blocks[name] = RowBlock(con, groups)
    setattr(m, _BLOCKS, blocks)
    return con


def add_lazy_expression(m: pyo.ConcreteModel, name: str, rows: Callable[[], dict], *index) -> pyo.Expression:
    """Declare the indexed expression ``m.<name>`` over ``index``, filled with ``rows()`` (index → expression) by
    :func:`materialise`: for per-slice expressions no row or sum of the model uses (only the complete model, an LP
    file or a user reading it has them)."""
    comp = pyo.Expression(*index)
    setattr(m, name, comp)
    lazy = dict(getattr(m, _LAZY, {}))
    lazy[name] = (comp, rows)
    setattr(m, _LAZY, lazy)
    return comp


def positions(var: pyo.Var) -> dict:
    """Index → position of each data object of ``var`` in index order (for the small components of a slot)."""
    return {k: i for i, k in enumerate(var.keys())}


def _terms(group: Group, data: list[list]) -> list[list[tuple]]:
    """The ``(coefficient, variable)`` terms of each row of ``group``; ``data[j]``: slot j's variable data."""
    cols = []
    for j, s in enumerate(group.slots):
        vs = data[j]
        vars_j = [vs[p] for p in s.pos.tolist()]
        if isinstance(s.coef, np.ndarray):
            cols.append(list(zip(s.coef.tolist(), vars_j, strict=True)))
        else:
            cols.append([(s.coef, v) for v in vars_j])
    return [list(row) for row in zip(*cols, strict=True)] if cols else [[] for _ in group.keys]


def materialise(m: pyo.ConcreteModel, names: list[str] | None = None) -> None:
    """Build the Pyomo constraints of the pending row blocks (all, or those named), in place and in set order.

    Each row becomes ``(lower, linear(terms), upper)`` with the terms in slot order, which is what the family's
    rows would be as Pyomo constraints.
    """
    with PauseGC():
        if names is None:
            for comp, rows in getattr(m, _LAZY, {}).values():
                for key, expr in rows().items():
                    comp[key] = expr
            setattr(m, _LAZY, {})
        for name, blk in blocks_of(m).items():
            if not blk.pending or (names is not None and name not in names):
                continue
            con = blk.component
            cache: dict[int, list] = {}
            for g in blk.groups:
                data = []
                for s in g.slots:
                    got = cache.get(id(s.var))
                    if got is None:
                        got = cache[id(s.var)] = _ordered(s.var)
                    data.append(got)
                for key, terms in zip(g.keys, _terms(g, data), strict=True):
                    con[key] = (g.lower, linear(terms), g.upper)
            blk.pending = False


def _ordered(var: pyo.Var) -> list:
    """The data of ``var`` in index order (the order of a slot's positions)."""
    return ordered_data(var)


def _monomials(slots: tuple[Slot, ...]) -> list:
    """The arguments of a LinearExpression with the terms of ``slots`` (as ``linear`` writes them)."""
    args: list = []
    for s in slots:
        data = _ordered(s.var)
        vs = [data[p] for p in s.pos.tolist()]
        if isinstance(s.coef, np.ndarray):
            args.extend(map(MonomialTermExpression, zip(s.coef.tolist(), vs, strict=True)))
        elif s.coef == 1 and s.coef.__class__ is int:
            args.extend(vs)
        else:
            args.extend(MonomialTermExpression((s.coef, v)) for v in vs)
    return args


class ArrayLinear(LinearExpression):
    """A sum ``Σ_slots Σ_i coef[i] · var[pos[i]]`` (a LinearExpression) whose terms are kept as arrays.

    To every Pyomo visitor, writer and evaluator it is the LinearExpression of its terms in slot order, as
    ``linear`` would build it: the term objects are created the first time its arguments are read. The direct
    compiler (:mod:`optimizer.model.matrices`) reads the arrays instead, and :func:`value_of` evaluates it from
    the arrays; used for the objective's per-slice sums (hundreds of thousands of terms in a large model).
    """

    __slots__ = ("_lazy", "array_slots")

    def __init__(self, slots) -> None:
        self.array_slots = tuple(slots)
        self._lazy = None
        self._nargs = sum(len(s.pos) for s in self.array_slots)  # type: ignore[misc]  # SumExpression's slot

    @property  # type: ignore[override]
    def _args_(self):
        if self._lazy is None:
            self._lazy = _monomials(self.array_slots)
        return self._lazy

    @_args_.setter
    def _args_(self, args) -> None:
        self._lazy = args

    def create_node_with_local_data(self, args, classtype=None):
        return super().create_node_with_local_data(args, LinearExpression if classtype is None else classtype)


# Pyomo's own standard-form visitors (its LP writer, its compiler) read an n-ary sum by walking its arguments when
# the class is registered as sum-like; they then read an ArrayLinear as the LinearExpression of its terms.
_repn_util.sum_like_expression_types.add(ArrayLinear)


def value_of(expr) -> float | None:
    """``pyo.value(expr, exception=False)`` (None when a variable in it has no value), reading the
    :class:`ArrayLinear` parts from their arrays: the same products summed in the same order as Pyomo's evaluation
    of the materialised sum, without creating its term objects."""
    if expr.__class__ is ArrayLinear:
        total: float = 0
        for s in expr.array_slots:
            data = _ordered(s.var)
            xs = [data[p].value for p in s.pos.tolist()]
            if None in xs:
                return None
            cs = s.coef.tolist() if isinstance(s.coef, np.ndarray) else [s.coef] * len(xs)
            for c, x in zip(cs, xs, strict=True):
                total += c * x
        return total
    if expr.__class__ in (int, float):
        return expr
    if getattr(expr, "is_named_expression_type", lambda: False)():
        return value_of(expr.expr)
    if getattr(expr, "is_expression_type", lambda: False)() and _has_array(expr):
        vals = [value_of(a) for a in expr.args]
        return None if None in vals else expr._apply_operation(vals)
    return pyo.value(expr, exception=False)


def _has_array(expr) -> bool:
    stack = [expr]
    while stack:
        e = stack.pop()
        if e.__class__ is ArrayLinear:
            return True
        if getattr(e, "is_named_expression_type", lambda: False)():
            stack.append(e.expr)
        elif getattr(e, "is_expression_type", lambda: False)():
            stack.extend(a for a in e.args if a.__class__ not in (int, float))
    return False
