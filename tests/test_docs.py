"""The docs cannot drift: the scenario reference is generated from the schema, the formulation's component index
matches the components of built models, and every CLI command has a section in docs/cli.md."""

from __future__ import annotations

import inspect
import re
from pathlib import Path

import pyomo.environ as pyo
import pytest

from gridsite import parse_scenario
from optimizer.model.adapter import build_model_data
from optimizer.model.build import COST_TERMS, build_model
from optimizer.model.families.registry import FAMILIES
from optimizer.model.scenario import Certificates

from .conftest import scenario_dict

DOCS = Path(__file__).resolve().parents[1] / "docs"

KINDS = {
    pyo.Set: "set",
    pyo.Var: "variable",
    pyo.Constraint: "constraint",
    pyo.Expression: "expression",
    pyo.Param: "parameter",
    pyo.Objective: "objective",
}


def test_scenarios_md_is_generated_from_the_schema():
    from gridsite.schema_doc import render

    path = DOCS / "scenarios.md"
    assert path.read_text(encoding="utf-8") == render(), (
        "docs/scenarios.md is out of date with the pydantic schema: run `python -m gridsite.schema_doc "
        "docs/scenarios.md`"
    )


def test_schema_doc_renders_every_field():
    from gridsite.schema_doc import render, sections

    text = render()
    for path, model in sections(parse_scenario.__globals__["Scenario"]):
        for name in model.model_fields:
            assert f"| `{name}` |" in text, f"{path}.{name} missing from the reference"


# --- formulation.md ----------------------------------------------------------------------------------------


def _component_index() -> dict[str, str]:
    """``component → kind`` from the component-index table of docs/formulation.md."""
    text = (DOCS / "formulation.md").read_text(encoding="utf-8")
    section = text.split("## Component index", 1)[1]
    rows = re.findall(r"^\| `([A-Za-z_][A-Za-z0-9_]*)` \| (\w+) \|", section, flags=re.M)
    assert rows, "no component rows found in the component index"
    return dict(rows)


def _model_variants() -> list[dict]:
    """Scenario dicts that, together, switch on every optional family of the model."""
    certs: dict = {"max_share": 0.5}
    if "price_steps" in Certificates.model_fields:
        certs["price_steps"] = [{"gwh": 100.0, "price": 5.0}, {"price": 20.0}]
    clusters = [
        {"id": "a", "mw": 100, "workload": "training"},
        {"id": "b", "mw": 40, "workload": "training", "count": 2},
        {"id": "c", "mw": 40, "workload": "inference", "optional": True},
    ]
    return [
        scenario_dict(
            clusters=clusters,
            time={"mode": "annual"},
            policy={
                "green_share": {"min": 0.8, "applies_to": "hubs", "matching": "annual"},
                "certificates": certs,
                "carbon_cap_t": 1e9,
                "carbon_accounting": "market_based",
            },
        ),
        scenario_dict(
            time={"mode": "monthly"},
            policy={"green_share": {"min": 0.8, "matching": "monthly", "grid_mix_counts": True}},
        ),
        scenario_dict(
            time={"mode": "representative_days", "days": 1, "extreme_days": False},
            policy={"green_share": {"min": 0.8, "matching": "hourly"}},
            grid={"storage": {"enabled": "on"}},
        ),
    ]


@pytest.fixture(scope="module")
def built_components(china) -> dict[str, str]:
    found: dict[str, str] = {}
    for i, data in enumerate(_model_variants()):
        sc = parse_scenario(data)
        plan = None
        if i == 0:  # a proposed plan fixes the build variables of the first variant
            plan = {"a": "zhongwei", "b-1": "guian", "b-2": "zhongwei", "c": ""}
        md, _ = build_model_data(sc, china, fixed_plan=plan)
        m = build_model(md)
        for comp in m.component_objects(descend_into=True):
            kind = next((k for t, k in KINDS.items() if comp.ctype is t), comp.ctype.__name__)
            found.setdefault(comp.name, kind)
    return found


def _added_by_solve() -> set[str]:
    from optimizer.model import solve as solve_module

    src = inspect.getsource(solve_module)
    return set(re.findall(r"\bm\.([A-Za-z_]\w*)\s*=\s*pyo\.", src))


def test_formulation_components_exist_in_built_models(built_components):
    documented = _component_index()
    added = _added_by_solve()
    missing = sorted(n for n in documented if n not in built_components and n not in added)
    assert not missing, f"formulation.md names components no model has: {missing}"
    wrong = sorted(
        f"{n}: doc says {k}, model has {built_components[n]}"
        for n, k in documented.items()
        if n in built_components and built_components[n] != k
    )
    assert not wrong, wrong


def test_every_model_component_is_documented(built_components):
    documented = _component_index()
    undocumented = sorted(set(built_components) - set(documented))
    assert not undocumented, f"components missing from the component index of docs/formulation.md: {undocumented}"
    assert _added_by_solve() <= set(documented)


def _index_families() -> dict[str, str]:
    """``component → family`` from the component-index table of docs/formulation.md."""
    section = (DOCS / "formulation.md").read_text(encoding="utf-8").split("## Component index", 1)[1]
    return dict(re.findall(r"^\| `([A-Za-z_][A-Za-z0-9_]*)` \| \w+ \| (\w+) \|", section, flags=re.M))


def test_component_index_lists_each_registered_family_with_its_components():
    """The index's family column names, for every registered family, exactly the components it declares (and the
    kind it declares), and the built models have no component that no family declares."""
    index, kinds = _index_families(), _component_index()
    for fam in FAMILIES:
        documented = {n for n, f in index.items() if f == fam.name}
        assert documented == set(fam.components), (
            f"{fam.name}: index {sorted(documented ^ set(fam.components))} differ from the registry"
        )
        wrong = {n: k for n, k in fam.components.items() if kinds.get(n) != k}
        assert not wrong, f"{fam.name}: kinds differ from the index: {wrong}"
    declared = [n for fam in FAMILIES for n in fam.components]
    assert len(declared) == len(set(declared)), "a component is declared by two families"
    assert set(index.values()) - {f.name for f in FAMILIES} <= {"solve"}


def test_built_components_are_declared_by_a_family(built_components):
    declared = {n for fam in FAMILIES for n in fam.components}
    assert set(built_components) <= declared, sorted(set(built_components) - declared)


def test_formulation_covers_every_family_and_cost_term():
    text = (DOCS / "formulation.md").read_text(encoding="utf-8")
    for fam in FAMILIES:
        heading = f"`{fam.module}: {fam.builder.__name__}`"
        assert re.search(rf"^### .+ — {re.escape(heading)}$", text, flags=re.M), (
            f"formulation.md has no section for the registered family {fam.name} ({heading})"
        )
    for term in COST_TERMS:
        assert f"| `{term}` |" in text, f"cost term {term} missing from the objective table"
    body = text.split("## Component index", 1)[0]
    for name in _component_index():
        term = name.removeprefix("cost_")
        explained = re.search(rf"\b{name}\b", body) or (name.startswith("cost_") and f"| `{term}` |" in body)
        assert explained, f"{name} is in the index but not explained in the text"


# --- cli.md ------------------------------------------------------------------------------------------------


def _commands() -> list[str]:
    import typer.main

    from gridsite.cli import app

    group = typer.main.get_command(app)
    names = []
    for name, cmd in sorted(group.commands.items()):
        sub = getattr(cmd, "commands", None)
        if sub:
            names.extend(f"{name} {s}" for s in sorted(sub))
        else:
            names.append(name)
    return names


def test_every_cli_command_is_documented():
    text = (DOCS / "cli.md").read_text(encoding="utf-8")
    missing = [c for c in _commands() if f"## `gridsite {c}" not in text]
    assert not missing, f"docs/cli.md has no section for: {missing}"
