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

import gridsite
from optimizer.model.scenario import parse_scenario
from optimizer.studies import pareto as pareto_mod
from optimizer.studies import sweep as sweep_mod

from .conftest import scenario_dict

ENV = {**os.environ, "COLUMNS": "200"}


def cli(*args):
    return subprocess.run(
        [sys.executable, "-m", "gridsite.cli", *map(str, args)], capture_output=True, text=True, env=ENV, timeout=600
    )


#: dedicated green power dearer than grid power at the hubs, so that cutting carbon costs money (a real frontier)
DEAR_GREEN = {"green_delivery_charge_per_mwh": 300}


def tiny(**over):
    return parse_scenario(scenario_dict(time={"mode": "annual"}, grid=DEAR_GREEN, **over))


@pytest.fixture(scope="module")
def frontier(tmp_path_factory):
    out = tmp_path_factory.mktemp("pareto") / "tiny"
    return gridsite.run_pareto(tiny(), 4, out, workers=0)


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
    """p01 is the first point of its series (model built), p02 re-solves the same compiled model."""
    from optimizer.model.solve import solve

    for k in (1, 2):
        cap = frontier.table.carbon_cap_t[k]
        sc = tiny(policy={"green_share": {"min": 0.8, "applies_to": "hubs"}, "carbon_cap_t": cap})
        direct = solve(sc)
        assert direct.total_cost == pytest.approx(frontier.table.cost[k], rel=1e-6)
        assert direct.emissions_t["location_based"] == pytest.approx(frontier.table.carbon_t[k], rel=1e-6)


def test_cap_series_reuses_one_model_and_reports_each_point(tmp_path):
    """run_cap_series: one build for all caps, each point's record and result as an independent solve's."""
    base = tiny()
    free = sweep_mod.run_point("free", base.model_dump(mode="json"))
    e0 = free["summary"]["emissions_t"]["location_based"]
    caps = [e0 * 0.5, e0 * 0.9, e0 * 1.01]
    pts = []
    for k, cap in enumerate(caps):
        d = base.model_dump(mode="json")
        d["policy"]["carbon_cap_t"] = cap
        pts.append((f"q{k}", d))
    recs = sweep_mod.run_cap_series(pts, keep_result=True)
    assert [r["record"]["point_id"] for r in recs] == ["q0", "q1", "q2"]
    assert [r["record"]["status"] for r in recs] == ["optimal"] * 3
    assert [r["record"]["reused_model"] for r in recs] == [False, True, True]
    costs = [r["result"].total_cost for r in recs]
    assert costs[0] > costs[1] + 1e-3 > costs[2] + 2e-3  # tighter cap, higher cost: the bound really changed
    for r, cap in zip(recs, caps, strict=True):
        res = r["result"]
        assert res.scenario.policy.carbon_cap_t == cap
        assert res.emissions_t["location_based"] <= cap * (1 + 1e-6)
        d = base.model_dump(mode="json")
        d["policy"]["carbon_cap_t"] = cap
        ind = sweep_mod.run_point("x", d)
        assert res.total_cost == pytest.approx(ind["summary"]["total_cost"], rel=1e-6)
    # the later point skipped the model data, build and handoff
    assert recs[2]["result"].timings_s["build"] == 0.0 and recs[2]["result"].timings_s["handoff"] == 0.0
    # scenarios that differ in more than the cap are solved one by one
    other = base.model_dump(mode="json")
    other["policy"]["carbon_cap_t"] = caps[2]
    other["policy"]["green_share"]["min"] = 0.5
    mixed = sweep_mod.run_cap_series([pts[2], ("o", other)])
    assert [r["status"] for r in mixed] == ["optimal", "optimal"] and "reused_model" not in mixed[1]


def test_cap_series_reports_every_infeasible_point_with_a_diagnosis():
    data = scenario_dict(time={"mode": "annual"}, sites={"include": ["zhongwei", "guian"], "max_mw": {"guian": 10}})
    data["sites"]["max_mw"]["zhongwei"] = 10
    pts = []
    for k, cap in enumerate((1e5, 1e6)):
        d = parse_scenario(data).model_dump(mode="json")
        d["policy"]["carbon_cap_t"] = cap
        pts.append((f"q{k}", d))
    recs = sweep_mod.run_cap_series(pts)
    assert [r["status"] for r in recs] == ["infeasible", "infeasible"]
    assert all(r["diagnosis"] and "site" in r["message"] for r in recs)


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
    def lost(points, *args, **kwargs):
        raise RuntimeError("worker lost")

    monkeypatch.setattr(pareto_mod, "run_cap_series", lost)
    res = gridsite.run_pareto(tiny(), 4, tmp_path / "out", workers=0)
    df = pd.read_csv(tmp_path / "out" / "pareto.csv")
    assert list(df.point) == ["p00", "p01", "p02", "p03"]
    assert list(df.status) == ["optimal", "error", "error", "optimal"]  # p01 and p02 were one series
    assert "worker lost" in df.message[1] and pd.isna(df.cost[1])
    assert res.non_increasing


def test_cli_pareto_on_two_workers_matches_sequential(frontier, tmp_path):
    p = tmp_path / "s.yaml"
    p.write_text(yaml.safe_dump(scenario_dict(time={"mode": "annual"}, grid=DEAR_GREEN), sort_keys=False))
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


class RecordingStore:
    """The run-folder store, with every call recorded; ``draw_pareto`` only records (draws nothing)."""

    def __init__(self):
        from rendering.store import RunFolderStore

        self.inner = RunFolderStore()
        self.calls: list[tuple[str, tuple, dict]] = []

    def __getattr__(self, name):
        fn = getattr(self.inner, name)

        def call(*args, **kwargs):
            self.calls.append((name, args, kwargs))
            return None if name == "draw_pareto" else fn(*args, **kwargs)

        return call


def test_pareto_writes_only_through_the_store_it_is_given(tmp_path):
    store = RecordingStore()
    out = tmp_path / "out"
    res = pareto_mod.run_pareto(tiny(), 2, out, store=store, workers=0)
    assert res.anchors_ok
    names = [c[0] for c in store.calls]
    assert names[0] == "atomic_dir" and store.calls[0][2]["kind"] == "pareto"
    assert sorted(names[1:]) == ["draw_pareto", "write_json", "write_run", "write_run"]
    assert sorted(c[1][1].name for c in store.calls if c[0] == "write_run") == ["p00", "p01"]
    # the chart is the store's business: this one drew none, everything else is there
    assert {p.name for p in out.iterdir()} >= {"pareto.csv", "pareto.json", "points"}
    assert not (out / "pareto.png").exists()
    assert json.loads((out / "pareto.json").read_text())["points"] == 2
