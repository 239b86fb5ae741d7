"""Inputs have limits: non-finite numbers, absurd magnitudes, sizes, colliding ids, folders given as files and
duplicate YAML keys are exit 2 naming the field, at once."""

from __future__ import annotations

import json
import math
import time
from pathlib import Path

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from gridsite.cli import app
from optimizer.model.scenario import MAX_CLUSTERS, ScenarioError, load_scenario, parse_scenario
from optimizer.studies.sweep import read_records
from optimizer.studies.sweepfile import MAX_POINTS, load_sweep

from .conftest import scenario_dict, set_path

runner = CliRunner()


def cli(*args):
    return runner.invoke(app, [str(a) for a in args])


def _write(folder: Path, data, name="s.yaml") -> Path:
    p = Path(folder) / name
    p.write_text(data if isinstance(data, str) else yaml.safe_dump(data, sort_keys=False), encoding="utf-8")
    return p


_set = set_path


NUMERIC = [
    ("clusters", 0, "mw"),
    ("policy", "carbon_price"),
    ("policy", "certificates", "price"),
    ("policy", "certificates", "export_cap_gwh", "ningxia"),
    ("grid", "potential_scale"),
    ("grid", "wheeling_per_mwh"),
    ("grid", "corridor_capacity_mw", "gansu>shandong"),
    ("sites", "max_mw", "zhongwei"),
    ("solver", "time_limit_s"),
    ("clusters", 0, "unbuilt_penalty"),
]


@settings(max_examples=60, deadline=None)
@given(path=st.sampled_from(NUMERIC), bad=st.sampled_from([math.inf, -math.inf, math.nan, 1e9, 3.5e12, "1e15", "inf"]))
def test_non_finite_and_absurd_numbers_are_refused_naming_the_field(path, bad):
    data = _set(scenario_dict(time={"mode": "annual"}), path, bad)
    if path[-1] == "unbuilt_penalty":
        data["clusters"][0]["optional"] = True
    with pytest.raises(ScenarioError) as info:
        parse_scenario(data, "s.yaml")
    field = ".".join(str(p) for p in path)
    # the path is named (pydantic drops key parts that are not identifiers, such as 'gansu>shandong')
    assert any(loc.count(".") >= 1 and field.startswith(loc) for loc, _ in info.value.problems), info.value.problems


def test_messages_say_what_is_wrong(tmp_path):
    data = scenario_dict(time={"mode": "annual"}, policy={"carbon_price": math.inf, "certificates": {"price": 2e9}})
    with pytest.raises(ScenarioError) as info:
        parse_scenario(data, "s.yaml")
    msgs = dict(info.value.problems)
    assert "finite" in msgs["policy.carbon_price"]
    assert "not a plausible value" in msgs["policy.certificates.price"]
    # YAML .inf / .nan through the CLI: exit 2, field named, no traceback
    p = _write(tmp_path, "name: x\nclusters: [{id: a, mw: .nan}]\n")
    r = cli("validate", p)
    assert r.exit_code == 2 and "clusters.0.mw" in r.stderr and "nan" in r.stderr, r.output
    p = _write(tmp_path, "name: x\nclusters: [{id: a, mw: 10}]\npolicy: {carbon_price: .inf}\n")
    r = cli("validate", p)
    assert r.exit_code == 2 and "field 'policy.carbon_price': must be a finite number" in r.stderr, r.output
    # ordinary large but plausible values pass
    ok = scenario_dict(time={"mode": "annual"}, policy={"carbon_cap_t": 1e9}, solver={"seed": 2**31 - 1})
    assert parse_scenario(ok).policy.carbon_cap_t == 1e9  # "no cap" written as a huge cap is fine
    with pytest.raises(ScenarioError, match=r"policy\.carbon_cap_t"):
        parse_scenario(scenario_dict(policy={"carbon_cap_t": 1e13}))


def test_count_of_a_billion_fails_at_once_naming_the_size(tmp_path):
    p = _write(tmp_path, scenario_dict(clusters=[{"id": "a", "mw": 100, "count": 1_000_000_000}]))
    t = time.perf_counter()
    with pytest.raises(ScenarioError) as info:
        load_scenario(p)
    assert time.perf_counter() - t < 0.5
    (loc, msg), *_ = info.value.problems
    assert loc == "clusters.0.count" and "1,000,000,000" in msg and f"{MAX_CLUSTERS:,}" in msg
    many = [{"id": f"c{i}", "mw": 100, "count": 40_000} for i in range(3)]
    with pytest.raises(ScenarioError, match="120,000 clusters after 'count' expansion"):
        parse_scenario(scenario_dict(clusters=many))
    t = time.perf_counter()
    r = cli("validate", p)
    assert r.exit_code == 2 and "clusters.0.count" in r.stderr


def test_ids_colliding_after_count_expansion(tmp_path):
    data = scenario_dict(clusters=[{"id": "a", "mw": 100, "count": 3}, {"id": "a-2", "mw": 50}])
    with pytest.raises(ScenarioError) as info:
        parse_scenario(data)
    (loc, msg), *_ = info.value.problems
    assert loc == "clusters.1.id" and "'a-2'" in msg and "count" in msg
    parse_scenario(scenario_dict(clusters=[{"id": "a", "mw": 100, "count": 3}, {"id": "a-4", "mw": 50}]))


def test_fix_rows_colliding_after_trimming(tmp_path):
    from gridsite.cli.solve import read_plan

    plan = tmp_path / "plan.csv"
    plan.write_text("cluster_id,site_id\na,zhongwei\n a ,guian\n")
    with pytest.raises(ScenarioError, match="cluster 'a' appears twice"):
        read_plan(plan)
    plan.write_text("cluster_id,site_id\na,zhongwei\n  ,guian\n")
    with pytest.raises(ScenarioError, match="line 3: empty cluster id"):
        read_plan(plan)
    plan.write_text("cluster_id, site_id\n a , zhongwei \n")
    assert read_plan(plan) == {"a": "zhongwei"}
    with pytest.raises(ScenarioError, match="is a folder"):
        read_plan(tmp_path)


def test_duplicate_yaml_keys_and_folders_given_as_files(tmp_path):
    p = _write(tmp_path, "name: x\nclusters:\n  - id: a\n    mw: 100\n    mw: 1000\n")
    r = cli("validate", p)
    assert r.exit_code == 2 and "duplicate key 'mw'" in r.stderr and "line 5" in r.stderr, r.output
    for args in (["validate", tmp_path], ["solve", tmp_path, "--out", tmp_path / "out"]):
        r = cli(*args)
        assert r.exit_code == 2 and "is a folder" in r.stderr and "Traceback" not in r.output, r.output
    # a YAML anchor merge is not a duplicate
    q = _write(tmp_path, "name: x\nc: &c {mw: 100}\nclusters:\n  - {<<: *c, id: a}\n", "merge.yaml")
    assert yaml.safe_load(q.read_text())["clusters"][0]["mw"] == 100
    r = cli("validate", q)
    assert "duplicate key" not in r.stderr


@pytest.mark.parametrize(
    "args, option",
    [
        (["--mip-gap", "1"], "--mip-gap"),
        (["--mip-gap", "-0.1"], "--mip-gap"),
        (["--mip-gap", "nan"], "--mip-gap"),
        (["--time-limit", "0"], "--time-limit"),
        (["--time-limit", "-5"], "--time-limit"),
        (["--time-limit", "nan"], "--time-limit"),
        (["--time-limit", "inf"], "--time-limit"),
    ],
)
def test_cli_solver_options_are_checked_before_anything(tmp_path, args, option):
    p = _write(tmp_path, scenario_dict(time={"mode": "annual"}))
    for cmd in (["solve", p, "--out", tmp_path / "out"], ["pareto", p, "--out", tmp_path / "out"]):
        t = time.perf_counter()
        r = cli(*cmd, *args)
        assert r.exit_code == 2, r.output
        assert f"field '{option}'" in r.stderr and time.perf_counter() - t < 2
        assert not (tmp_path / "out").exists()


def test_pareto_points_limited(tmp_path):
    p = _write(tmp_path, scenario_dict(time={"mode": "annual"}))
    r = cli("pareto", p, "--points", 10**9, "--out", tmp_path / "out")
    assert r.exit_code == 2 and "--points" in r.stderr and "1,000,000,000" in r.stderr


# --- sweep files -------------------------------------------------------------------------------------------


def _sweep(tmp_path: Path, text: str) -> Path:
    _write(tmp_path, scenario_dict(time={"mode": "annual"}), "base.yaml")
    return _write(tmp_path, text, "sw.yaml")


def test_sweep_range_of_a_billion_values_fails_at_once(tmp_path):
    p = _sweep(
        tmp_path, "name: t\nbase: base.yaml\nparameters:\n  policy.carbon_price: {start: 0, stop: 1, step: 1.0e-9}\n"
    )
    t = time.perf_counter()
    with pytest.raises(ScenarioError) as info:
        load_sweep(p)
    assert time.perf_counter() - t < 0.5
    assert "parameters.policy.carbon_price" in str(info.value) and "1,000,000,00" in str(info.value)
    assert f"{MAX_POINTS:,}" in str(info.value)


@pytest.mark.parametrize(
    "text, field",
    [
        ("parameters:\n  policy.carbon_price: {start: 0, stop: .inf, step: 1}\n", "parameters.policy.carbon_price"),
        ("parameters:\n  policy.carbon_price: [0, .nan]\n", "parameters.policy.carbon_price"),
        ("parameters:\n  policy.certificates.price: [1, 1.0e12]\n", "parameters.policy.certificates.price"),
        ("parameters:\n  policy.carbon_price: [0, 1]\ntime_limit_s: .inf\n", "time_limit_s"),
        ("parameters:\n  policy.carbon_price: [0, 1]\nfixed:\n  grid.potential_scale: .inf\n", "fixed.grid"),
        ("parameters:\n  policy.carbon_price: [0, 1]\nparameters:\n  policy.carbon_price: [2]\n", "duplicate key"),
    ],
)
def test_sweep_file_limits(tmp_path, text, field):
    p = _sweep(tmp_path, "name: t\nbase: base.yaml\n" + text)
    with pytest.raises(ScenarioError) as info:
        load_sweep(p)
    assert field in str(info.value), str(info.value)


def test_sweep_base_that_is_a_folder(tmp_path):
    (tmp_path / "basedir").mkdir()
    p = _write(tmp_path, {"name": "t", "base": "basedir", "parameters": {"policy.carbon_price": [0, 1]}}, "sw.yaml")
    r = cli("sweep", p, "--out", tmp_path / "out")
    assert r.exit_code == 2 and "field 'base'" in r.stderr and "is a folder" in r.stderr, r.output


def test_resume_counts_only_point_files_whose_name_and_id_agree(tmp_path):
    pts = tmp_path / "points"
    pts.mkdir()
    rec = {"point_id": "p000-abc", "status": "optimal", "scenario_sha256": "x"}
    (pts / "p000-abc.json").write_text(json.dumps(rec))
    (pts / "p001-def.json").write_text(json.dumps(rec))  # a copy under another name
    assert list(read_records(tmp_path)) == ["p000-abc"]


# --- fuzz: any value anywhere is accepted or refused with a field path, never an exception -------------------

PATHS = [
    ("name",),
    ("year",),
    ("time", "mode"),
    ("time", "days"),
    ("sites", "include"),
    ("sites", "max_mw"),
    ("clusters",),
    ("clusters", 0),
    ("clusters", 0, "id"),
    ("clusters", 0, "mw"),
    ("clusters", 0, "count"),
    ("clusters", 0, "gpus"),
    ("clusters", 0, "latency_ms"),
    ("policy", "green_share", "min"),
    ("policy", "carbon_price"),
    ("policy", "certificates"),
    ("grid", "potential_scale"),
    ("grid", "corridor_capacity_mw"),
    ("solver", "mip_gap"),
    ("solver", "time_limit_s"),
    ("solver", "seed"),
]
anything = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(-(10**15), 10**15)
    | st.floats(allow_nan=True, allow_infinity=True)
    | st.text(max_size=8),
    lambda kids: st.lists(kids, max_size=3) | st.dictionaries(st.text(max_size=6), kids, max_size=3),
    max_leaves=6,
)


@settings(max_examples=150, deadline=None)
@given(path=st.sampled_from(PATHS), value=anything)
def test_any_value_anywhere_validates_or_names_a_field(path, value):
    data = _set(scenario_dict(time={"mode": "annual"}), path, value)
    try:
        sc = parse_scenario(data, "s.yaml")
    except ScenarioError as exc:
        assert exc.problems and all(loc for loc, _ in exc.problems), exc.problems
        assert all(msg for _, msg in exc.problems)
        return
    dumped = sc.model_dump()
    # what validates is finite and plausible
    from optimizer.model.scenario import check_numbers

    check_numbers(dumped)


def test_region_set_csv_numbers_must_be_finite_and_plausible():
    import pandas as pd

    from geodata import checks

    df = pd.DataFrame(
        {
            "id": ["a", "b", "c", "d"],
            "region_id": ["r"] * 4,
            "lat": [30.0, 31.0, 32.0, 33.0],
            "lon": [100.0, 101.0, 102.0, 103.0],
            "pue": [1.2, "inf", 1.1, 1.2],
            "max_mw": [300.0, 300.0, 3e9, 300.0],
            "build_cost_per_mw_yr": [0.5, 0.5, 0.5, float("-inf")],
        }
    )
    issues = {(i.row, i.field): i.message for i in checks.check_sites(df, {"r"}, "sites.csv")}
    assert "finite" in issues[("b", "pue")] and "finite" in issues[("d", "build_cost_per_mw_yr")]
    assert "not a plausible value" in issues[("c", "max_mw")]
    assert not any(row == "a" for row, _ in issues)


@pytest.mark.parametrize("module", ["rich.console", "pandas", "typer"])
def test_ctrl_c_during_start_up_imports_is_one_line_and_exit_130(module):
    """A KeyboardInterrupt raised while a slow dependency is imported (as Ctrl-C would) ends the `gridsite`
    command with one line and exit 130; the interrupt is simulated at a fixed import for a deterministic test."""
    import subprocess
    import sys

    from .conftest import ROOT

    code = (
        "import builtins, sys\n"
        "sys.argv = ['gridsite', '--help']\n"
        "real = builtins.__import__\n"
        "def imp(name, *a, **k):\n"
        f"    if name == {module!r}:\n"
        "        raise KeyboardInterrupt\n"
        "    return real(name, *a, **k)\n"
        "builtins.__import__ = imp\n"
        "from gridsite.cli import main\n"
        "main()\n"
    )
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, timeout=120)
    assert r.returncode == 130, (r.returncode, r.stderr)
    assert r.stderr.strip() == "gridsite: interrupted while starting; nothing was read or written"
    # a library user still gets the exception
    lib = code.replace("sys.argv = ['gridsite', '--help']", "sys.argv = ['script.py']")
    r = subprocess.run([sys.executable, "-c", lib], capture_output=True, text=True, cwd=ROOT, timeout=120)
    assert r.returncode != 130 and "KeyboardInterrupt" in r.stderr
