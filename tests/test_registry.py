"""The registry of constraint families: prerequisites are checked, declarations match what the builders create,
the diagnosis reads its limits from it, and the one size estimate matches the size HiGHS is handed."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pyomo.environ as pyo
import pytest
from pyomo.common.gc_manager import PauseGC
from pyomo.repn.plugins.standard_form import LinearStandardFormCompiler

from gridsite import parse_scenario
from optimizer.model import diagnose as dg
from optimizer.model.adapter import build_model_data, estimate_model_size_for
from optimizer.model.build import add_family, build_model, built_families
from optimizer.model.families.registry import BY_NAME, FAMILIES, LIMITS, RELAX_ORDER, check_order, relaxables
from optimizer.model.scenario import Scenario
from optimizer.model.size import estimate_size, size_inputs

from .conftest import scenario_dict

ROOT = Path(__file__).resolve().parents[1]


def _schema_has(path: str) -> bool:
    """Whether a dotted scenario field path exists in the pydantic schema (list items are looked into)."""
    model = Scenario
    for part in path.split("."):
        fields = getattr(model, "model_fields", None)
        if fields is None or part not in fields:
            return False
        ann = fields[part].annotation
        model = _model_in(ann)
    return True


def _model_in(ann):
    """The pydantic model inside an annotation (``X``, ``X | None``, ``list[X]``), or None."""
    if hasattr(ann, "model_fields"):
        return ann
    for arg in getattr(ann, "__args__", ()) or ():
        found = _model_in(arg)
        if found is not None:
            return found
    return None


# --- declarations --------------------------------------------------------------------------------------------


def test_every_family_comes_after_what_it_requires():
    check_order()
    seen: set[str] = set()
    for fam in FAMILIES:
        assert set(fam.requires) <= seen, fam.name
        seen.add(fam.name)
    assert len(BY_NAME) == len(FAMILIES)


def test_a_misordered_registry_is_refused():
    swapped = (FAMILIES[1], FAMILIES[0], *FAMILIES[2:])  # site_capacity before assignment
    with pytest.raises(ValueError, match=r"site_capacity.*assignment"):
        check_order(swapped)
    ghost = dataclasses.replace(FAMILIES[0], requires=("nowhere",))
    with pytest.raises(ValueError, match="unknown families"):
        check_order((ghost, *FAMILIES[1:]))


def test_add_family_names_the_missing_prerequisites(china):
    md, _ = build_model_data(parse_scenario(scenario_dict(time={"mode": "annual"})), china)
    m = pyo.ConcreteModel()
    with pytest.raises(ValueError, match="'corridors' needs energy_balance, renewables, storage first"):
        add_family(m, md, "corridors")
    add_family(m, md, "assignment")
    with pytest.raises(ValueError, match="already in the model"):
        add_family(m, md, "assignment")
    assert built_families(m) == ("assignment",)
    assert built_families(build_model(md)) == tuple(f.name for f in FAMILIES)


def test_switches_and_limit_fields_are_scenario_fields():
    for fam in FAMILIES:
        for path in fam.switches:
            assert _schema_has(path), f"{fam.name}: {path} is not a scenario field"
    for kind in LIMITS.values():
        assert _schema_has(kind.field), f"{kind.kind}: {kind.field} is not a scenario field"


def test_relaxable_components_belong_to_their_family():
    for fam in FAMILIES:
        kinds = {lk.kind for lk in fam.limits}
        for rx in fam.relaxable:
            assert rx.component in fam.components, (fam.name, rx.component)
            assert rx.kind in kinds, (fam.name, rx.kind)
    assert {rx.kind for rx in relaxables()} == set(LIMITS) == {lk.kind for lk in RELAX_ORDER}
    assert [rx.kind for rx in relaxables()] == sorted(
        (rx.kind for rx in relaxables()), key=[lk.kind for lk in RELAX_ORDER].index
    )


def test_diagnosis_tables_come_from_the_registry():
    assert dg.PRIORITY == {lk.kind: lk.priority for f in FAMILIES for lk in f.limits}
    assert dg.FIELD["quota"] == "policy.green_share.min"
    assert dg.PRIORITY["quota"] < dg.PRIORITY["site_capacity"] < dg.PRIORITY["corridor"]
    assert dg._VAR_MEANING["flow"].startswith("corridor spare capacity")
    assert dg._PLACEMENT == {"build"}


def test_diagnosis_docstring_lists_every_relaxable_component():
    doc = dg.__doc__ or ""
    missing = [rx.component for rx in relaxables() if rx.component not in doc]
    assert not missing, f"the diagnosis docstring does not say how {missing} are relaxed"
    for lk in RELAX_ORDER:
        assert lk.kind in doc and lk.field in doc, lk.kind


def test_every_family_documents_its_maths():
    for fam in FAMILIES:
        doc = fam.doc
        assert "::" in doc, f"{fam.name}: no maths block in its docstrings"
        rows = [n for n, kind in fam.components.items() if kind == "constraint"]
        undocumented = [n for n in rows if n not in doc]
        assert not undocumented, f"{fam.name}: rows not in its docstrings: {undocumented}"


# --- the one size estimate -------------------------------------------------------------------------------


def _real_size(m: pyo.ConcreteModel) -> dict[str, int]:
    """The size of the standard form handed to HiGHS (as :mod:`optimizer.model.highs` compiles it)."""
    with PauseGC():
        info = LinearStandardFormCompiler().write(m, mixed_form=True)
    integer = sum(1 for v in info.columns if v.is_integer() or v.is_binary())
    return {"rows": len(info.rows), "columns": len(info.columns), "nonzeros": info.A.nnz, "integer_columns": integer}


#: Tolerances of the estimate (relative): rows, columns and integer columns are counted exactly from the data;
#: nonzeros may miss capacity factors or coefficients that are exactly 0 and certificate-obligation terms.
TOL = {"rows": 0.01, "columns": 0.01, "integer_columns": 0.0, "nonzeros": 0.05}


def _assert_close(est: dict, real: dict, tol: dict, what: str) -> None:
    for key, rel in tol.items():
        assert abs(est[key] - real[key]) <= rel * real[key], f"{what}: {key} estimated {est[key]:,}, real {real[key]:,}"


@pytest.mark.parametrize("name", ["china_hubs_2025", "us_states_2026"])
def test_size_estimate_matches_the_shipped_scenarios(name):
    from geodata import load_region_set
    from optimizer.model.scenario import load_scenario

    path = ROOT / "scenarios" / f"{name}.yaml"
    sc = load_scenario(path)
    md, _ = build_model_data(sc, load_region_set(sc.region_set), file=str(path))
    real = _real_size(build_model(md))
    _assert_close(md.size(), real, TOL, f"{name} (model data)")
    # the fail-fast estimate from counts, before any time slice is built
    _assert_close(estimate_model_size_for(sc, md), real, TOL, f"{name} (counts)")
    assert real["rows"] > 10_000 and real["integer_columns"] > 0


def test_size_estimate_covers_every_optional_family(china):
    """Small models that switch on storage, monthly matching with the grid mix counted, market-based accounting,
    a carbon cap, a certificate cap and price curve, and a proposed plan."""
    from .test_docs import _model_variants

    for i, data in enumerate(_model_variants()):
        plan = {"a": "zhongwei", "b-1": "guian", "b-2": "zhongwei", "c": ""} if i == 0 else None
        md, _ = build_model_data(parse_scenario(data), china, fixed_plan=plan)
        real = _real_size(build_model(md))
        est = estimate_size(size_inputs(md)).as_dict()
        _assert_close(est, real, {"rows": 0.05, "columns": 0.05, "integer_columns": 0.0, "nonzeros": 0.1}, f"v{i}")
