"""Cost–carbon Pareto frontier (ε-constraint): anchors, evenly spaced caps, non-increasing cost, failed points
reported, CLI on Dask workers, exit codes."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pandas as pd
import pytest
import yaml

from optimizer import pareto as pareto_mod
from optimizer import sweep as sweep_mod
from optimizer.scenario import parse_scenario

from .conftest import scenario_dict

ENV = {**os.environ, "COLUMNS": "200"}


def cli(*args):
    return subprocess.run(
        [sys.executable, "-m", "optimizer.cli", *map(str, args)], capture_output=True, text=True, env=ENV, timeout=600
    )


def tiny(**over):
    return parse_scenario(scenario_dict(time={"mode": "annual"}, **over))


@pytest.fixture(scope="module")
def frontier(tmp_path_factory):
    out = tmp_path_factory.mktemp("pareto") / "tiny"
    return pareto_mod.run_pareto(tiny(), 4, out, workers=0)


def test_epsilon_levels_are_evenly_spaced_between_the_anchors():
    assert pareto_mod.epsilon_levels(0.0, 300.0, 4) == [100.0, 200.0]
    assert pareto_mod.epsilon_levels(10.0, 20.0, 2) == []
    assert pareto_mod.nudged(1e6) == pytest.approx(1e6 + 1.0)
    assert pareto_mod.non_increasing([3.0, 2.0, 2.0, 1.0]) and not pareto_mod.non_increasing([3.0, 2.0, 2.5])


def test_frontier_cost_non_increasing_as_carbon_rises(frontier):
    df = frontier.table
    assert list(df.point) == ["p00", "p01", "p02", "p03"]
    assert list(df.kind) == ["min_carbon", "epsilon", "epsilon", "min_cost"]
    assert (df.status == "optimal").all()
    assert frontier.non_increasing and frontier.anchors_ok
    # non-trivial frontier: cutting carbon costs money
    assert df.cost[0] > df.cost[3] + 1.0 and df.carbon_t[3] > df.carbon_t[0] + 1e5
    assert all(b <= a + 1e-6 for a, b in zip(df.cost, df.cost[1:], strict=False))
    assert all(b >= a - 1e-6 for a, b in zip(df.carbon_t, df.carbon_t[1:], strict=False))
    # ε caps evenly spaced between the anchors' emissions, and respected
    lo, hi = df.carbon_t[0], df.carbon_t[3]
    for k in (1, 2):
        assert df.carbon_cap_t[k] == pytest.approx(lo + k * (hi - lo) / 3, rel=1e-5)
        assert df.carbon_t[k] <= df.carbon_cap_t[k] * (1 + 1e-6)
    # the anchors are the extremes
    assert df.carbon_t.min() == df.carbon_t[0] and df.cost.min() == df.cost[3]


def test_epsilon_point_matches_a_direct_capped_solve(frontier):
    from optimizer.solve import solve

    cap = frontier.table.carbon_cap_t[1]
    sc = tiny(policy={"green_share": {"min": 0.8, "applies_to": "hubs"}, "carbon_cap_t": cap})
    assert solve(sc).total_cost == pytest.approx(frontier.table.cost[1], rel=1e-6)


def test_frontier_files(frontier):
    out = frontier.out
    assert {p.name for p in out.iterdir()} >= {"pareto.csv", "pareto.json", "pareto.png", "points"}
    csv = pd.read_csv(out / "pareto.csv")
    assert list(csv.columns[:6]) == ["point", "kind", "carbon_cap_t", "carbon_t", "cost", "status"]
    assert "placement" in csv.columns
    for r in csv.itertuples(index=False):
        s = json.loads((out / r.run_dir / "summary.json").read_text())
        assert s["total_cost"] == pytest.approx(r.cost, rel=1e-6)
        assert (out / r.run_dir / "assignments.csv").exists()
    meta = json.loads((out / "pareto.json").read_text())
    assert meta["carbon_accounting"] == "location_based" and meta["non_increasing"] is True
    assert meta["solver_threads_per_point"] == 1


def test_failed_epsilon_point_is_reported_not_dropped(tmp_path, monkeypatch):
    real = sweep_mod.run_point

    def flaky(point_id, *args, **kwargs):
        if point_id == "p01":
            raise RuntimeError("worker lost")
        return real(point_id, *args, **kwargs)

    monkeypatch.setattr(pareto_mod, "run_point", flaky)
    res = pareto_mod.run_pareto(tiny(), 4, tmp_path / "out", workers=0)
    df = pd.read_csv(tmp_path / "out" / "pareto.csv")
    assert list(df.point) == ["p00", "p01", "p02", "p03"]
    assert list(df.status) == ["optimal", "error", "optimal", "optimal"]
    assert "worker lost" in df.message[1] and pd.isna(df.cost[1])
    assert res.non_increasing


def test_cli_pareto_on_two_workers_matches_sequential(frontier, tmp_path):
    p = tmp_path / "s.yaml"
    p.write_text(yaml.safe_dump(scenario_dict(time={"mode": "annual"}), sort_keys=False))
    r = cli("pareto", p, "--points", 4, "--out", tmp_path / "out", "--workers", 2)
    assert r.returncode == 0, r.stderr
    assert "frontier" in r.stdout
    df = pd.read_csv(tmp_path / "out" / "pareto.csv")
    ref = frontier.table
    assert list(df.status) == list(ref.status)
    assert df.cost.tolist() == pytest.approx(ref.cost.tolist(), rel=1e-9)
    assert df.carbon_t.tolist() == pytest.approx(ref.carbon_t.tolist(), rel=1e-9, abs=1e-6)
    assert json.loads((tmp_path / "out" / "pareto.json").read_text())["workers"] == 2


def test_cli_pareto_infeasible_scenario_reports_every_point_and_exits_3(tmp_path):
    data = scenario_dict(time={"mode": "annual"}, sites={"include": ["zhongwei", "guian"], "max_mw": {"guian": 10}})
    data["sites"]["max_mw"]["zhongwei"] = 10
    p = tmp_path / "s.yaml"
    p.write_text(yaml.safe_dump(data, sort_keys=False))
    r = cli("pareto", p, "--points", 3, "--out", tmp_path / "out", "--workers", 0)
    assert r.returncode == 3, r.stderr
    assert "infeasible" in r.stderr
    df = pd.read_csv(tmp_path / "out" / "pareto.csv")
    assert list(df.status) == ["infeasible", "skipped", "infeasible"]
    assert df.message.notna().all()


def test_cli_pareto_needs_two_points(tmp_path):
    p = tmp_path / "s.yaml"
    p.write_text(yaml.safe_dump(scenario_dict(time={"mode": "annual"}), sort_keys=False))
    r = cli("pareto", p, "--points", 1, "--out", tmp_path / "out")
    assert r.returncode == 2 and "--points" in r.stderr
    assert not (tmp_path / "out").exists()
