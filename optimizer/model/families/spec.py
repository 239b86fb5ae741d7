"""The records a constraint family declares about itself (see :mod:`optimizer.model.families.registry`).

A family is one module with one builder ``add_<name>(m, md)``. Besides the builder it declares, as data, what the
rest of the engine needs to know about it: which families must be built before it, which scenario fields switch
it on, the Pyomo components it adds, its units, and the limits the infeasibility diagnosis may relax, with how
each is relaxed (:class:`Relaxable`) and how a relaxation is explained to the user (:class:`LimitKind`).
"""

from __future__ import annotations

import inspect
import sys
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np

from optimizer.model.families.blocks import value_of
from optimizer.model.modeldata import ModelData

#: How a relaxable limit is made elastic (σ ≥ 0 the slack, one per row unless said otherwise):
#:   ``rows``: each active inequality row of the constraint: ``lhs − σ ≤ rhs`` (or ``lhs + σ ≥ rhs``);
#:   ``upper_bound``: each column's upper bound u of the variable: ``x − σ ≤ u``;
#:   ``upper_bound_per_first_index``: one σ shared by every column x[i,·] of the variable: ``x[i,t] − σ ≤ u_i``;
#:   ``free_slack``: the variable is itself a slack fixed at 0 in the model: it is unfixed (σ = the variable).
RelaxMode = Literal["rows", "upper_bound", "upper_bound_per_first_index", "free_slack"]

#: A slack (model units) at or below this counts as zero.
TOL = 1e-6


def solved(x) -> float:
    """The value of a solved variable or expression, 0 when it has none."""
    v = value_of(x)
    return 0.0 if v is None else float(v)


@dataclass(frozen=True)
class ElasticRefs:
    """Reference magnitudes of a portfolio (model units) for big-M bounds and the per-kind normalisation."""

    peak_gw: float  # design facility power of every cluster at the largest PUE
    energy_gwh: float  # annual energy of every cluster at the largest PUE
    carbon_kt: float  # that energy × the mean emission factor of the sites
    max_ef: float  # largest emission factor of a site's region (kt/GWh)
    site_peak: dict[str, float]  # peak facility GW of every cluster allowed at each site
    quota: dict[str, float]  # q_s: each site's green quota (share of consumption)
    period_hours: np.ndarray  # H_p: hours of each matching period
    total_quota: float  # Σ_s q_s · site_peak_s · Σ_p H_p: an upper bound of any certificate need (GWh)
    mean_cf: dict[str, dict[str, float]]  # technology → region → annual mean capacity factor

    def scale(self, name: str) -> float:
        """The normalisation named by :attr:`LimitKind.scale`."""
        return float(getattr(self, name))


@dataclass(frozen=True)
class Relaxable:
    """One component the diagnosis may relax, and for which limit kind.

    ``subject(index)`` names the limit a row or column belongs to (one indicator per limit, however many rows it
    spans); ``big_m(refs, index)`` is a valid bound of its slack, or None to leave that index alone (e.g. a
    renewable potential in a region without output); ``label(index)`` overrides the component name reported;
    ``bound(md, index)`` is the data's bound u of a relaxed column when the elastic model's own differs (a corridor
    without spare capacity gets a token one there so that its flow columns exist).
    """

    component: str
    kind: str
    mode: RelaxMode
    subject: Callable[[Any], str]
    big_m: Callable[[ElasticRefs, Any], float | None]
    label: Callable[[Any], str] | None = None
    bound: Callable[[ModelData, Any], float] | None = None


@dataclass(frozen=True)
class Shortfall:
    """What a solved elastic model says about one relaxed limit: the input of :attr:`LimitKind.explain`."""

    m: Any  # the solved elastic Pyomo model
    md: ModelData
    subject: str
    field: str  # the scenario field of the limit kind
    total: float  # Σ of the limit's slacks (model units)
    values: list[tuple[float, str]]  # (slack value, component name) of each of its rows or columns
    hubs: frozenset[str]  # sites called "hub site" in messages
    periods: list[int]  # matching periods


@dataclass(frozen=True)
class Explanation:
    """A relaxation in user units: the subject, message, amount and unit, scenario field and relative share."""

    subject: str
    message: str
    amount: float
    unit: str
    field: str
    share: float | None


@dataclass(frozen=True)
class LimitKind:
    """A limit a user could change: the scenario field, the phase-1 weight, the normalisation and the message.

    ``priority``: policies 1, site limits 1.001, physical/data limits 1.002 (among relaxation sets of the same
    size the one that names the policy the user wrote wins); ``scale``: the :class:`ElasticRefs` field that
    normalises its slacks (energy families by the portfolio's annual energy, power families by its peak, carbon
    by that energy × the mean emission factor).
    """

    kind: str
    field: str
    priority: float
    scale: Literal["energy_gwh", "peak_gw", "carbon_kt"]
    explain: Callable[[Shortfall], Explanation]


@dataclass(frozen=True)
class Family:
    """A constraint family: its builder and everything the engine needs to know about it.

    ``requires``: families that must be built before it (their components are used by its rows);
    ``switches``: scenario fields (dotted paths) that switch it on or shape it, empty when always on;
    ``components``: every Pyomo component the builder may add (name → set, variable, constraint, expression,
    parameter or objective); ``relaxable`` and ``limits``: what the infeasibility diagnosis relaxes and how it
    explains it; ``bound_meaning``: what an upper bound of one of its variables means to a user (IIS output);
    ``placement``: integer placement variables whose domain bounds say nothing to a user; ``parts``: helpers of
    the builder whose docstrings document some of its rows.
    """

    name: str
    builder: Callable[..., None]
    units: str
    requires: tuple[str, ...] = ()
    switches: tuple[str, ...] = ()
    components: Mapping[str, str] = field(default_factory=dict)
    relaxable: tuple[Relaxable, ...] = ()
    limits: tuple[LimitKind, ...] = ()
    bound_meaning: Mapping[str, str] = field(default_factory=dict)
    placement: tuple[str, ...] = ()
    parts: tuple[Callable[..., None], ...] = ()  # helpers the builder calls whose docstrings give more of its rows

    @property
    def module(self) -> str:
        """The module's file name, e.g. ``renewables.py``."""
        return self.builder.__module__.rsplit(".", 1)[-1] + ".py"

    @property
    def doc(self) -> str:
        """The family's documentation: the module docstring and the builder's, with the maths of its rows."""
        mod = inspect.getdoc(sys.modules[self.builder.__module__]) or ""
        fns = [inspect.getdoc(f) or "" for f in (self.builder, *self.parts)]
        return "\n\n".join([mod, *fns]).strip()
