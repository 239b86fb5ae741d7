"""Command-line end-to-end: solve, validate, demand, data; exit codes and messages."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest
import yaml

from .conftest import SCENARIOS, scenario_dict

ENV = {**os.environ, "COLUMNS": "200"}


def run(*args, cwd=None):
    return subprocess.run(
        [sys.executable, "-m", "gridsite.cli", *map(str, args)],
        capture_output=True,
        text=True,
        env=ENV,
        cwd=cwd,
        timeout=900,
    )


def write(tmp_path: Path, data: dict, name="s.yaml") -> Path:
    p = tmp_path / name
    p.write_text(yaml.safe_dump(data, sort_keys=False))
    return p


@pytest.fixture(scope="module")
def default_run(tmp_path_factory):
    out = tmp_path_factory.mktemp("run") / "china"
    r = run("solve", SCENARIOS / "china_hubs_2025.yaml", "--out", out)
    return r, out


def test_solve_default_scenario_writes_every_file(default_run):
    r, out = default_run
    assert r.returncode == 0, r.stderr
    for f in (
        "summary.json",
        "assignments.csv",
        "sites.csv",
        "regions.csv",
        "flows.csv",
        "certificates.csv",
        "results.geojson",
        "siting_map.png",
        "siting_map.html",
        "manifest.json",
    ):
        assert (out / f).exists(), f
    s = json.loads((out / "summary.json").read_text())
    assert s["status"] == "optimal"
    assert s["currency"] == "CNY"
    for k in ("objective", "bound", "mip_gap", "cost_breakdown", "emissions_t", "green_share", "timings_s", "demand"):
        assert k in s
    assert set(s["emissions_t"]) == {"location_based", "market_based"}
    assert set(s["timings_s"]) >= {"build", "solve", "total"}
    assert s["demand"]["it_mw"] > 0 and s["demand"]["energy_twh"] > 0
    a = pd.read_csv(out / "assignments.csv")
    assert list(a.columns[:5]) == ["cluster_id", "site_id", "region_id", "workload", "it_mw"]
    assert "facility_mw" in a.columns
    assert sum(s["cost_breakdown"].values()) == pytest.approx(s["objective"], rel=1e-6)
    m = json.loads((out / "manifest.json").read_text())
    assert len(m["scenario_sha256"]) == 64 and m["versions"]["pyomo"]
    assert (out / "solver.log").exists()
    assert "placement" in r.stdout


def test_fix_plan_evaluates_a_proposed_plan(default_run, tmp_path):
    _, out = default_run
    a = pd.read_csv(out / "assignments.csv")
    plan = a[["cluster_id", "site_id"]].copy()
    # move the big training cluster east, to the YRD demo zone
    plan.loc[plan.cluster_id == "train-100k", "site_id"] = "yrd_demo_zone"
    plan.to_csv(tmp_path / "plan.csv", index=False)
    r = run(
        "solve",
        SCENARIOS / "china_hubs_2025.yaml",
        "--out",
        tmp_path / "fixed",
        "--fix",
        tmp_path / "plan.csv",
        "--no-maps",
    )
    assert r.returncode == 0, r.stderr
    s = json.loads((tmp_path / "fixed" / "summary.json").read_text())
    opt = json.loads((out / "summary.json").read_text())
    assert s["fixed_plan"] is True
    assert s["placement"]["train-100k"] == "yrd_demo_zone"
    assert s["objective"] >= opt["objective"] * (1 - opt["mip_gap"]) - 1e-6


def test_validate_ok_and_bad(tmp_path):
    r = run("validate", SCENARIOS / "us_states_2026.yaml")
    assert r.returncode == 0, r.stderr
    assert "ok" in r.stdout
    bad = write(tmp_path, scenario_dict(policy={"green_share": {"min": 1.5}}))
    r = run("validate", bad)
    assert r.returncode == 2
    assert "policy.green_share.min" in r.stderr and "Traceback" not in r.stderr


def test_validate_warns_on_large_model_and_not_on_default(tmp_path):
    """National hourly (166 corridors × 8760 h ≈ 1.5 M columns) is admitted but warned about; 12 days is not."""
    big = write(tmp_path, scenario_dict(time={"mode": "hourly"}, sites={"include": "all"}), "big.yaml")
    r = run("validate", big)
    assert r.returncode == 0, r.stderr
    assert "warning: large model" in r.stderr and "columns over 8,760 time slices" in r.stderr
    r = run("validate", SCENARIOS / "china_hubs_2025.yaml")
    assert r.returncode == 0, r.stderr
    assert "large model" not in r.stderr


@pytest.mark.parametrize(
    ("data", "field"),
    [
        (scenario_dict(clusters=[{"id": "a", "gpus": 10, "gpu": "TPUv9"}]), "clusters.0.gpu"),
        (scenario_dict(sites={"include": ["atlantis"]}), "sites.include"),
        (scenario_dict(clusters=[{"id": "a", "mw": -1}]), "clusters.0.mw"),
        (scenario_dict(bogus=1), "bogus"),
        (scenario_dict(year="x"), "year"),
        (
            scenario_dict(clusters=[{"id": "a", "mw": 5, "latency_ms": {"to": ["gotham"], "max": 5}}]),
            "clusters.0.latency_ms.to",
        ),
    ],
)
def test_bad_input_exit_2_names_field(tmp_path, data, field):
    p = write(tmp_path, data)
    r = run("solve", p, "--out", tmp_path / "out")
    assert r.returncode == 2, (r.stdout, r.stderr)
    assert field in r.stderr
    assert str(p) in r.stderr
    assert "Traceback" not in r.stderr
    assert not (tmp_path / "out").exists()


def test_infeasible_exit_3_with_reason(tmp_path):
    data = scenario_dict(
        clusters=[{"id": "edge", "mw": 20, "workload": "inference", "latency_ms": {"to": ["shanghai"], "max": 0.3}}]
    )
    r = run("solve", write(tmp_path, data), "--out", tmp_path / "out")
    assert r.returncode == 3
    assert "edge" in r.stderr and "ms" in r.stderr
    s = json.loads((tmp_path / "out" / "summary.json").read_text())
    assert s["status"] == "infeasible" and s["diagnosis"]


def test_demand_command():
    r = run("demand", "--gpus", "100000", "--gpu", "H100", "--pue", "1.2")
    assert r.returncode == 0, r.stderr
    # design 146.6 MW IT, peak facility 175.9 MW at PUE 1.2, average 132.0 MW, 1,156.0 GWh/yr
    for line in ("IT design power", "146.6 MW", "peak facility power", "175.9 MW", "average facility power",
                 "132.0 MW", "1156.0 GWh", "networking and storage"):
        assert line in r.stdout, (line, r.stdout)
    r = run("demand", "--gpus", "10", "--gpu", "TPUv9")
    assert r.returncode == 2 and "--gpu" in r.stderr and "H100" in r.stderr


def test_data_commands(tmp_path):
    r = run("data", "list")
    assert r.returncode == 0 and "china" in r.stdout and "us" in r.stdout
    r = run("data", "show", "china/sites", "--csv", tmp_path / "s.csv")
    assert r.returncode == 0
    assert len(pd.read_csv(tmp_path / "s.csv")) == 31
    r = run("data", "show", "china/nonsense")
    assert r.returncode == 2 and "allowed" in r.stderr


def test_write_lp_has_stable_component_names(tmp_path):
    data = scenario_dict(time={"mode": "annual"})
    lp = tmp_path / "model.lp"
    r = run("solve", write(tmp_path, data), "--out", tmp_path / "out", "--write-lp", lp, "--no-maps", "-q")
    assert r.returncode == 0, r.stderr
    text = lp.read_text()
    for name in ("assignment(", "site_capacity(", "load_training_def(", "site_balance(", "green_balance(",
                 "green_quota(", "cert_supply(", "build(", "flow("):
        assert name in text, name
