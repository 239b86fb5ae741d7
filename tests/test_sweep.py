"""Policy sweeps: sweep-file schema and expansion, bad input (exit 2), identical results on 0/1/2 Dask workers,
interrupt + --resume, and the shipped example."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest
import yaml

import gridsite
from optimizer.model.scenario import ScenarioError, parse_scenario
from optimizer.studies import sweep as sweep_mod
from optimizer.studies.sweepfile import check_against_region_set, expand, load_sweep, parse_sweep, set_path

from .conftest import SCENARIOS, scenario_dict

ENV = {**os.environ, "COLUMNS": "200"}
#: Columns that legitimately differ between runs (timings, which worker process ran the point).
VOLATILE = ["solve_s", "wall_s", "cpu_s", "worker"]


def cli(*args):
    return subprocess.run(
        [sys.executable, "-m", "gridsite.cli", *map(str, args)], capture_output=True, text=True, env=ENV, timeout=600
    )


def base_dict() -> dict:
    # Gui'an and the dearer YRD demo zone; dedicated green power dearer than grid power, so a higher quota costs more
    return scenario_dict(
        time={"mode": "annual"},
        sites={"include": ["guian", "yrd_demo_zone"]},
        grid={"green_delivery_charge_per_mwh": 300},
    )


def write_sweep(tmp_path: Path, sweep: dict, base: dict | None = None) -> Path:
    (tmp_path / "base.yaml").write_text(yaml.safe_dump(base or base_dict(), sort_keys=False))
    p = tmp_path / "sweep.yaml"
    p.write_text(yaml.safe_dump({"name": "t", "base": "base.yaml", **sweep}, sort_keys=False))
    return p


#: Four points that differ: guian capped (clusters move to the YRD demo zone), guian open at quota 0.6 and 1.0, and a
#: 20 GW cluster no site can hold (infeasible: a result, not a crash).
ZIP4 = {
    "mode": "zip",
    "parameters": {
        "clusters.a.mw": [100, 100, 100, 20000],
        "sites.max_mw.guian": [100, 1000, 1000, 1000],
        "policy.green_share.min": {"values": [0.6, 0.6, 1.0, 0.8], "labels": ["low", "low", "full", "default"]},
    },
}


# --- schema and expansion ----------------------------------------------------------------------------------


def test_grid_expansion_order_ranges_labels_and_ids():
    spec = parse_sweep(
        {
            "name": "g",
            "base": "x.yaml",
            "parameters": {
                "policy.green_share.min": {"start": 0.6, "stop": 1.0, "step": 0.2},
                "policy.certificates.cross_region": {"values": [True, False], "labels": ["on", "off"]},
                "clusters.b.mw": [60, 80],
            },
            "fixed": {"solver.seed": 3},
            "time_limit_s": 30,
        }
    )
    _, pts = expand(spec, parse_scenario(base_dict()).model_dump(mode="json"))
    assert len(pts) == 3 * 2 * 2
    # Cartesian product, last parameter fastest; the range includes its stop and has no float noise
    assert [p.parameters["policy.green_share.min"] for p in pts[::4]] == [0.6, 0.8, 1.0]
    assert [p.parameters["clusters.b.mw"] for p in pts[:4]] == [60, 80, 60, 80]
    assert pts[2].labels == {"policy.certificates.cross_region": "off"}
    # the values landed in the scenario, the cluster addressed by id; solver settings for every point
    sc = parse_scenario(pts[7].scenario)
    assert sc.policy.green_share.min == 0.8 and sc.policy.certificates.cross_region is False
    assert [c.mw for c in sc.clusters if c.id == "b"] == [80]
    assert (sc.solver.threads, sc.solver.time_limit_s, sc.solver.seed) == (1, 30, 3)
    # ids: ordered, unique, deterministic; a changed base gives new ids (so --resume never reuses stale results)
    ids = [p.point_id for p in pts]
    assert ids[0].startswith("p000-") and len(set(ids)) == len(ids)
    assert [p.point_id for p in expand(spec, parse_scenario(base_dict()).model_dump(mode="json"))[1]] == ids
    other = parse_scenario(scenario_dict(time={"mode": "monthly"})).model_dump(mode="json")
    assert not set(ids) & {p.point_id for p in expand(spec, other)[1]}


def test_range_values_and_set_path():
    spec = parse_sweep({"name": "r", "base": "x", "parameters": {"year": {"start": 2030, "stop": 2025, "step": 5}}})
    assert spec.parameters["year"].values() == [2030, 2025]
    d = {"clusters": [{"id": "a", "mw": 1}], "grid": {"corridor_capacity_mw": {}}}
    set_path(d, "clusters.0.mw", 5)
    set_path(d, "grid.corridor_capacity_mw.gansu>shandong", 800)
    assert d == {"clusters": [{"id": "a", "mw": 5}], "grid": {"corridor_capacity_mw": {"gansu>shandong": 800}}}


@pytest.mark.parametrize(
    ("sweep", "names"),
    [
        ({"parameters": {"policy.certificates.crossregion": [True, False]}}, "policy.certificates.crossregion"),
        ({"parameters": {"policy.green_share.min": [0.6, 1.5]}}, "policy.green_share.min"),
        ({"parameters": {"clusters.zzz.mw": [1]}}, "clusters.zzz.mw"),
        ({"parameters": {"policy.carbon_price": {"start": 0, "stop": 5, "step": 0}}}, "policy.carbon_price.step"),
        ({"parameters": {"year": [2025]}, "bogus": 1}, "bogus"),
        ({"mode": "zip", "parameters": {"year": [2025], "policy.carbon_price": [1, 2]}}, "mode"),
    ],
)
def test_bad_sweep_files_name_the_field(tmp_path, sweep, names):
    with pytest.raises(ScenarioError) as exc:
        load_sweep(write_sweep(tmp_path, sweep))
    assert f"'{names}'" in str(exc.value) or f"'parameters.{names}'" in str(exc.value)
    assert str(tmp_path / "sweep.yaml") in str(exc.value)


def test_unknown_corridor_is_caught_before_solving_and_names_the_parameter(tmp_path):
    sw = load_sweep(write_sweep(tmp_path, {"parameters": {"grid.corridor_capacity_mw.gansu>atlantis": [0, 500]}}))
    with pytest.raises(ScenarioError) as exc:
        check_against_region_set(sw)
    assert "parameters.grid.corridor_capacity_mw.gansu>atlantis" in str(exc.value)
    ok = load_sweep(write_sweep(tmp_path, {"parameters": {"grid.corridor_capacity_mw.gansu>shandong": [0, 500]}}))
    check_against_region_set(ok)


def test_cli_bad_parameter_path_exits_2_naming_it(tmp_path):
    p = write_sweep(tmp_path, {"parameters": {"policy.certificates.prise": [1.0, 5.0]}})
    r = cli("sweep", p, "--out", tmp_path / "out", "--workers", "0")
    assert r.returncode == 2, r.stderr
    assert "parameters.policy.certificates.prise" in r.stderr and "allowed keys" in r.stderr
    assert "Traceback" not in r.stderr
    assert not (tmp_path / "out").exists()


# --- running ---------------------------------------------------------------------------------------------


@pytest.fixture
def one_worker_scheduler():
    """An existing Dask cluster (one worker process), as a user would start with `dask scheduler`/`dask worker`."""
    import warnings

    from dask.distributed import LocalCluster

    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message="Port .* is already in use", category=UserWarning)
        cluster = LocalCluster(n_workers=1, threads_per_worker=1, processes=True, dashboard_address=None)
    try:
        yield cluster.scheduler_address
    finally:
        cluster.close()


def test_identical_results_sequential_1_and_2_workers(tmp_path, one_worker_scheduler):
    p = write_sweep(tmp_path, ZIP4)
    frames = {"sequential": gridsite.run_sweep(load_sweep(p), tmp_path / "seq", workers=0).table}
    for label, args in (("2 workers", ["--workers", 2]), ("1 worker", ["--scheduler", one_worker_scheduler])):
        out = tmp_path / label.replace(" ", "_")
        r = cli("sweep", p, "--out", out, *args)
        assert r.returncode == 0, r.stderr  # an infeasible point is reported, the sweep still completes
        df = pd.read_parquet(out / "sweep.parquet")
        assert len(list((out / "points").glob("p*.json"))) == 4
        csv = pd.read_csv(out / "sweep.csv")
        assert list(csv.columns) == list(df.columns) and list(csv.point_id) == list(df.point_id)
        meta = json.loads((out / "sweep.json").read_text())
        assert (meta["executor"], meta["workers"]) == ("dask", int(label[0]))
        frames[label] = df
    df = frames["sequential"]
    # the points really differ, so agreement below is not trivial
    assert list(df.status) == ["optimal", "optimal", "optimal", "infeasible"]
    assert "site" in df.message[3] or "MW" in df.message[3]
    assert df["placement.a"][0] == "yrd_demo_zone" and df["placement.a"][1] == "guian"
    assert df.total_cost[0] > df.total_cost[2] > df.total_cost[1]
    assert list(df["label:policy.green_share.min"]) == ["low", "low", "full", "default"]
    assert df["green_share.min"][2] == pytest.approx(1.0)
    assert (df.solver_threads.dropna() == 1).all()
    cost_cols = [c for c in df.columns if c.startswith("cost.")]
    assert df[cost_cols].sum(axis=1)[:3].tolist() == pytest.approx(df.total_cost[:3].tolist(), rel=1e-6)
    for label in ("1 worker", "2 workers"):
        pd.testing.assert_frame_equal(frames[label].drop(columns=VOLATILE), df.drop(columns=VOLATILE))


def test_interrupted_sweep_resumes_without_solving_done_points(tmp_path, monkeypatch):
    p = write_sweep(tmp_path, ZIP4)
    sw = load_sweep(p)
    out = tmp_path / "out"
    calls: list[str] = []
    real = sweep_mod.run_point

    def counting(point_id, *args, **kwargs):
        calls.append(point_id)
        return real(point_id, *args, **kwargs)

    monkeypatch.setattr(sweep_mod, "run_point", counting)

    def stop_after_two(_rec):
        if len(calls) == 2:
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        gridsite.run_sweep(sw, out, workers=0, on_point=stop_after_two)
    done = sorted((out / "points").glob("p*.json"))
    assert [f.name.split("-")[0] for f in done] == ["p000", "p001"]  # kept, each written atomically
    assert not (out / "sweep.parquet").exists()
    mtimes = {f.name: f.stat().st_mtime_ns for f in done}

    with pytest.raises(ScenarioError, match="--resume"):  # never overwrites results silently
        gridsite.run_sweep(sw, out, workers=0)

    calls.clear()
    res = gridsite.run_sweep(sw, out, workers=0, resume=True)
    assert calls == [sw.points[2].point_id, sw.points[3].point_id]
    assert {f.name: f.stat().st_mtime_ns for f in done} == mtimes
    assert list(res.table.point_id) == [pt.point_id for pt in sw.points]
    assert res.counts == {"optimal": 3, "infeasible": 1}

    # a fresh sequential run gives the same table as the interrupted-and-resumed one
    fresh = gridsite.run_sweep(sw, tmp_path / "fresh", workers=0)
    pd.testing.assert_frame_equal(res.table.drop(columns=VOLATILE), fresh.table.drop(columns=VOLATILE))

    calls.clear()
    gridsite.run_sweep(sw, out, workers=0, resume=True)
    assert calls == []


def test_failed_task_is_a_row_and_is_retried_on_resume(tmp_path, monkeypatch):
    sw = load_sweep(write_sweep(tmp_path, {"parameters": {"policy.green_share.min": [0.6, 1.0]}}))
    real = sweep_mod.run_point
    crash = {"on": True}

    def flaky(point_id, *args, **kwargs):
        if crash["on"] and point_id == sw.points[1].point_id:
            raise MemoryError("worker ran out of memory")
        return real(point_id, *args, **kwargs)

    monkeypatch.setattr(sweep_mod, "run_point", flaky)
    res = gridsite.run_sweep(sw, tmp_path / "out", workers=0)
    assert list(res.table.status) == ["optimal", "error"]
    assert "MemoryError" in res.table.message[1]
    crash["on"] = False
    res = gridsite.run_sweep(sw, tmp_path / "out", workers=0, resume=True)
    assert res.solved == [sw.points[1].point_id]
    assert list(res.table.status) == ["optimal", "optimal"]


def test_sweep_writes_only_through_the_store_it_is_given(tmp_path):
    from .test_pareto import RecordingStore

    sw = load_sweep(write_sweep(tmp_path, {"parameters": {"policy.green_share.min": [0.6, 1.0]}}))
    store = RecordingStore()
    out = tmp_path / "out"
    res = sweep_mod.run_sweep(sw, out, store=store, workers=0, run_dirs=True)
    assert list(res.table.status) == ["optimal", "optimal"]
    names = [c[0] for c in store.calls]
    assert names[:2] == ["check_out_dir", "mark"] and store.calls[1][1] == (out, "sweep")
    assert sorted(names[2:]) == ["write_json"] * 3 + ["write_run"] * 2
    written = sorted(c[1][0].relative_to(out).as_posix() for c in store.calls if c[0] == "write_json")
    assert written == sorted([f"points/{pt.point_id}.json" for pt in sw.points] + ["sweep.json"])
    assert {c[1][1].parent.name for c in store.calls if c[0] == "write_run"} == {"runs"}
    assert all((out / "runs" / pt.point_id / "summary.json").is_file() for pt in sw.points)


def test_shipped_sweep_expands_to_30_checked_points():
    sw = load_sweep(SCENARIOS / "sweeps" / "china_quota_certificates.yaml")
    assert len(sw.points) == 30
    params = pd.DataFrame([p.parameters for p in sw.points])
    assert sorted(params["policy.green_share.min"].unique()) == [0.6, 0.7, 0.8, 0.9, 1.0]
    assert set(params["policy.certificates.cross_region"]) == {True, False}
    assert params["policy.certificates.price"].nunique() == 3
    assert {p.labels["policy.certificates.price"] for p in sw.points} == {"low", "central", "high"}
    sc = parse_scenario(sw.points[0].scenario)
    assert sc.name == "china-hubs-2025" and sc.solver.threads == 1
    check_against_region_set(sw)
