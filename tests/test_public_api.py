"""`import gridsite` is the public Python API: its names exist, importing it loads no solver, the studies write
their folders only through the store they are given, and a solve goes through to a run folder."""

from __future__ import annotations

import ast
import json
import pickle
import subprocess
import sys
from pathlib import Path

import pytest

import gridsite

from .conftest import ROOT, scenario_dict

API = {
    "solve",
    "solve_file",
    "Result",
    "load_scenario",
    "parse_scenario",
    "Scenario",
    "load_region_set",
    "list_region_sets",
    "RegionSet",
    "write_run",
    "build_summary",
    "load_sweep",
    "run_sweep",
    "run_pareto",
    "estimate_demand",
    "allowed_sites",
    "static_map",
    "interactive_map",
    "write_report",
    "InfeasibleError",
    "ScenarioError",
    "TimeLimitError",
    "DataError",
    "OutputRefused",
}


def test_public_names_exist_and_are_listed():
    assert API <= set(gridsite.__all__)
    for name in gridsite.__all__:
        assert getattr(gridsite, name) is not None, name
    assert callable(gridsite.run_sweep) and callable(gridsite.static_map)
    assert set(dir(gridsite)) == set(gridsite.__all__)
    with pytest.raises(AttributeError, match="no attribute 'nonexistent'"):
        gridsite.nonexistent  # noqa: B018


def test_version_is_a_version_string():
    assert isinstance(gridsite.__version__, str) and gridsite.__version__
    assert gridsite.__version__[0].isdigit()


def test_import_gridsite_loads_no_solver():
    code = (
        "import sys, gridsite; "
        "gridsite.run_sweep; gridsite.run_pareto; gridsite.static_map; gridsite.write_report; gridsite.load_sweep; "
        "print(sorted(m for m in sys.modules if m.split('.')[0] in ('pyomo', 'highspy')))"
    )
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, timeout=120)
    assert r.returncode == 0, r.stderr
    assert r.stdout.strip() == "[]"


def test_estimate_demand_is_the_model_estimate():
    from optimizer.model.demand import estimate

    e = gridsite.estimate_demand(100_000, "H100", pue=1.2)
    assert e == estimate(100_000, "H100", pue=1.2)
    assert e.facility_design_mw == pytest.approx(e.it_design_mw * 1.2)


def _imports(path: Path) -> set[str]:
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names.update(a.name for a in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            names.add(node.module)
    return names


@pytest.mark.parametrize("package", ["geodata", "optimizer"])
def test_lower_layers_never_import_rendering_or_the_interfaces(package):
    bad = {}
    for path in sorted((ROOT / package).rglob("*.py")):
        up = {
            m
            for m in _imports(path)
            if m.split(".")[0] == "rendering" or (m.startswith("gridsite") and m != "gridsite.errors")
        }
        if up:
            bad[str(path.relative_to(ROOT))] = sorted(up)
    assert not bad


def test_run_folder_store_is_a_picklable_study_store():
    from optimizer.studies.store import StudyStore
    from rendering.store import RunFolderStore

    store = RunFolderStore(maps=True)
    copy = pickle.loads(pickle.dumps(store))
    assert copy == store and copy.maps is True
    assert isinstance(copy, StudyStore)
    assert not isinstance(object(), StudyStore)


def test_tiny_solve_to_run_folder_and_maps(china, tmp_path):
    res = gridsite.solve(gridsite.parse_scenario(scenario_dict(time={"mode": "annual"})), region_set=china)
    assert res.status == "optimal"
    summary = res.summary()
    assert summary == gridsite.build_summary(res)
    assert summary["placement"] == res.placement() and summary["status"] == "optimal"

    out = gridsite.write_run(res, tmp_path / "run", china, maps=False)
    names = {p.name for p in out.iterdir()}
    assert {"summary.json", "manifest.json", "assignments.csv", "sites.csv", "regions.csv", "results.geojson"} <= names
    assert json.loads((out / "summary.json").read_text(encoding="utf-8")) == json.loads(json.dumps(summary))

    png = gridsite.static_map(res, tmp_path / "from_result.png", region_set=china)
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    html = gridsite.interactive_map(out, tmp_path / "from_folder.html")  # the region set named in summary.json
    assert "plotly" in html.read_text(encoding="utf-8").lower()
    report = gridsite.write_report(out)
    assert report == out / "report.html" and report.stat().st_size > 1000


def test_allowed_sites_follow_the_scenario(china):
    sc = gridsite.parse_scenario(scenario_dict(time={"mode": "annual"}))
    allowed = gridsite.allowed_sites(sc, china)
    assert list(allowed.cluster_id) == ["a", "b", "c"]
    assert all(set(s) <= {"zhongwei", "guian", "yrd_demo_zone"} and s for s in allowed.sites)


def test_studies_from_files_write_gridsite_folders(tmp_path):
    import yaml

    from rendering import safety

    from .test_sweep import write_sweep

    p = write_sweep(tmp_path, {"parameters": {"policy.green_share.min": [0.6]}})
    sw = gridsite.run_sweep(p, tmp_path / "sweep", workers=0)  # a sweep file, loaded on the way
    assert list(sw.table.status) == ["optimal"] and safety.output_kind(tmp_path / "sweep") == "sweep"

    s = tmp_path / "s.yaml"
    s.write_text(yaml.safe_dump(scenario_dict(time={"mode": "annual"}), sort_keys=False))
    front = gridsite.run_pareto(s, 2, tmp_path / "pareto", workers=0)  # a scenario file, named in the outputs
    assert front.anchors_ok and safety.output_kind(front.out) == "pareto"
    assert json.loads((front.out / "pareto.json").read_text())["scenario"] == str(s)
    assert (front.out / "pareto.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"  # drawn by rendering.charts
