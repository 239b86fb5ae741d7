"""The siting MILP: :func:`build_model` adds the registered constraint families in order.

The families, what each needs and declares, and their order live in :mod:`optimizer.model.families.registry`;
each family's module docstring and builder give its maths.
"""

from __future__ import annotations

import pyomo.environ as pyo
from pyomo.common.gc_manager import PauseGC

from optimizer.model.families.blocks import materialise
from optimizer.model.families.objective import COST_TERMS
from optimizer.model.families.registry import BY_NAME, FAMILIES
from optimizer.model.families.spec import Family
from optimizer.model.modeldata import ModelData

__all__ = ["COST_TERMS", "SitingModel", "add_family", "build_model", "built_families"]

_BUILT = "_gridsite_families"  # plain attribute of the model (not a Pyomo component): the families added so far


def built_families(m: pyo.ConcreteModel) -> tuple[str, ...]:
    """The names of the families added to ``m``, in order."""
    return tuple(getattr(m, _BUILT, ()))


def add_family(m: pyo.ConcreteModel, md: ModelData, family: str | Family) -> None:
    """Add one family's components to ``m`` after checking that the families it requires are already there.

    Raises ValueError naming the missing families (and the order that would work) rather than failing later on
    a missing component.
    """
    fam = BY_NAME[family] if isinstance(family, str) else family
    done = built_families(m)
    missing = [r for r in fam.requires if r not in done]
    if missing:
        raise ValueError(
            f"constraint family {fam.name!r} needs {', '.join(missing)} first (it uses their components); "
            f"built so far: {', '.join(done) or 'none'}"
        )
    if fam.name in done:
        raise ValueError(f"constraint family {fam.name!r} is already in the model")
    fam.builder(m, md)
    setattr(m, _BUILT, (*done, fam.name))


class SitingModel(pyo.ConcreteModel):
    """The siting model: a ConcreteModel whose :meth:`write` (LP and other files) first materialises its row
    blocks and array sums (:mod:`optimizer.model.families.blocks`), so a file always holds every row."""

    def write(self, *args, **kwargs):
        materialise(self)
        return super().write(*args, **kwargs)


def build_model(md: ModelData, *, arrays: bool = False) -> pyo.ConcreteModel:
    """Build the Pyomo model from plain model data. Units: GW, GWh, kt CO2, million currency per year.

    ``arrays``: keep the per-slice constraint families as row blocks (arrays) instead of Pyomo constraints, for
    gridsite's own compiler (:func:`optimizer.model.highs.run_highs` and the other solve paths), which reads them
    several times faster; their components are declared but empty until :func:`materialise` (or ``m.write``) fills
    them. Leave it False for a model handed to other Pyomo tools: the default model is complete.

    In registry order: assignment of clusters to sites, site capacity, site load, energy balance, new
    renewables, storage, corridors and the green balance, regional supply adequacy, certificates, green quota,
    emissions, objective.

    Python's cyclic garbage collector is paused while building: the model creates millions of small objects and
    none of them are garbage yet, so each collection would only re-scan the growing model (it cost 5–10× the
    build itself; Pyomo's own writers pause it the same way).
    """
    with PauseGC():
        m = SitingModel(name=md.name)
        for fam in FAMILIES:
            add_family(m, md, fam)
        if not arrays:
            materialise(m)
    return m
