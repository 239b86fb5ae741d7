"""A solver that survives bad input, time limits, interruption and scenarios far beyond this machine.

Property-based (hypothesis): generated scenario files, valid and broken, through ``gridsite validate`` / ``solve``
in-process; every run ends in exit 0, 2 (naming the field) or 3, never an unhandled exception.
"""

from __future__ import annotations

import json
import os
import random
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from gridsite import ScenarioError, TimeLimitError, parse_scenario, solve
from gridsite.cli import app
from rendering import runfolder as outputs_mod

from .conftest import ROOT, scenario_dict, set_path

SITES = ["zhongwei", "guian", "yrd_demo_zone", "tianfu"]
FAST = {"max_examples": 8, "deadline": None, "suppress_health_check": [HealthCheck.function_scoped_fixture]}


@pytest.fixture(scope="module", autouse=True)
def _restore_highs_threads():
    """Generated scenarios use 1 or 2 HiGHS threads; leave the process-wide pool at the default 2 for later tests
    that call highs_direct.run_highs directly (which does not reset it; see optimizer.model.highs.use_threads)."""
    yield
    sys.modules["optimizer.model.highs"].use_threads(2)


@pytest.fixture
def cli(china, monkeypatch):
    """In-process CLI (typer's CliRunner) reusing the session's China region set."""
    import geodata

    real = geodata.load_region_set
    monkeypatch.setattr(geodata, "load_region_set", lambda name, **kw: china if name == "china" else real(name, **kw))
    runner = CliRunner()

    def run(*args):
        return runner.invoke(app, [str(a) for a in args])

    return run


def _write(folder: Path, data, name="s.yaml") -> Path:
    p = Path(folder) / name
    p.write_text(data if isinstance(data, str) else yaml.safe_dump(data, sort_keys=False), encoding="utf-8")
    return p


def _no_crash(r) -> None:
    """Exit 0/2/3 through typer.Exit, never a traceback or an exception escaping the CLI."""
    assert r.exit_code in (0, 2, 3), (r.exit_code, r.output, r.exception)
    assert r.exception is None or isinstance(r.exception, SystemExit), repr(r.exception)
    assert "Traceback" not in r.output


# ---------------------------------------------------------------------------------------------------------------
# generated scenarios

share = st.floats(0.0, 1.0, allow_nan=False)


@st.composite
def valid_scenarios(draw) -> dict:
    n = draw(st.integers(1, 3))
    clusters = [
        {
            "id": f"c{i}",
            "mw": draw(st.floats(1.0, 400.0)),
            "workload": draw(st.sampled_from(["training", "inference"])),
            "optional": draw(st.booleans()),
        }
        for i in range(n)
    ]
    sites = draw(st.lists(st.sampled_from(SITES), min_size=1, max_size=3, unique=True))
    max_mw = draw(st.dictionaries(st.sampled_from(sites), st.floats(50.0, 3000.0), max_size=2))
    cap = draw(st.none() | st.floats(0.0, 3e6))
    return scenario_dict(
        name="generated",
        time={"mode": "annual"},
        sites={"include": sites, "max_mw": max_mw},
        clusters=clusters,
        policy={
            "green_share": {
                "min": draw(share),
                "applies_to": draw(st.sampled_from(["hubs", "all", "none"])),
                "matching": draw(st.sampled_from(["annual", "monthly"])),
            },
            "certificates": {
                "cross_region": draw(st.booleans()),
                "max_share": draw(share),
                "supply_share": draw(share),
            },
            "carbon_price": draw(st.floats(0.0, 500.0)),
            **({} if cap is None else {"carbon_cap_t": cap}),
        },
        grid={
            "new_renewables": draw(st.booleans()),
            "potential_scale": draw(st.floats(0.0, 2.0)),
            "corridor_spare_share": draw(share),
        },
        objective={"mode": draw(st.sampled_from(["cost", "carbon"]))},
        solver={"mip_gap": 0.01, "time_limit_s": 30, "threads": draw(st.sampled_from([1, 2]))},
    )


_set = set_path


BAD_TYPE = ["abc", [1, 2], {"x": 1}]
TYPED_FIELDS = [
    ("year",),
    ("time", "days"),
    ("time", "mode"),
    ("policy", "green_share", "min"),
    ("policy", "carbon_price"),
    ("policy", "certificates", "cross_region"),
    ("grid", "potential_scale"),
    ("solver", "threads"),
    ("clusters", 0, "mw"),
    ("clusters", 0, "workload"),
    ("sites", "max_mw", "zhongwei"),
]
NON_NEGATIVE = [
    ("clusters", 0, "mw"),
    ("policy", "carbon_price"),
    ("policy", "carbon_cap_t"),
    ("grid", "potential_scale"),
    ("sites", "max_mw", "zhongwei"),
    ("solver", "time_limit_s"),
]
SHARES = [
    ("policy", "green_share", "min"),
    ("policy", "certificates", "max_share"),
    ("policy", "certificates", "supply_share"),
    ("grid", "corridor_spare_share"),
]
UNKNOWN_IDS = [  # (path, value, the field the message must name)
    (("sites", "include"), ["atlantis"], "sites.include"),
    (("sites", "exclude"), ["atlantis"], "sites.exclude"),
    (("clusters", 0, "sites"), ["atlantis"], "clusters.0.sites"),
    (("clusters", 0, "latency_ms"), {"to": ["gotham"], "max": 10}, "clusters.0.latency_ms.to"),
    (("policy", "green_share", "applies_to"), ["atlantis"], "policy.green_share.applies_to"),
    (("policy", "certificates", "export_cap_gwh"), {"atlantis": 5}, "policy.certificates.export_cap_gwh"),
    (("grid", "corridor_capacity_mw"), {"mars>venus": 5}, "grid.corridor_capacity_mw"),
    (
        ("grid", "new_corridors"),
        [{"from_region": "mars", "to_region": "ningxia", "capacity_mw": 100}],
        "grid.new_corridors.0.from_region",
    ),
    (("region_set",), "mars", "region_set"),
    (("currency",), "USD", "currency"),
]
UNKNOWN_KEY_AT = [(), ("time",), ("policy",), ("policy", "certificates"), ("grid",), ("solver",), ("clusters", 0)]


@st.composite
def broken_scenarios(draw) -> tuple[dict, str]:
    """A valid tiny scenario with one thing broken, and the field path the error message must name."""
    data = scenario_dict(time={"mode": "annual"})
    kind = draw(st.sampled_from(["type", "negative", "share", "unknown_id", "unknown_key", "gpu"]))
    if kind == "type":
        path = draw(st.sampled_from(TYPED_FIELDS))
        _set(data, path, draw(st.sampled_from(BAD_TYPE)))
    elif kind == "negative":
        path = draw(st.sampled_from(NON_NEGATIVE))
        _set(data, path, -draw(st.floats(0.001, 1e6)))
    elif kind == "share":
        path = draw(st.sampled_from(SHARES))
        _set(data, path, draw(st.floats(1.0001, 100.0)))
    elif kind == "unknown_id":
        path, value, field = draw(st.sampled_from(UNKNOWN_IDS))
        _set(data, path, value)
        return data, field
    elif kind == "unknown_key":
        where = draw(st.sampled_from(UNKNOWN_KEY_AT))
        key = draw(st.sampled_from(["bogus", "quota", "Mode", "timelimit"]))
        path = (*where, key)
        _set(data, path, 1)
    else:
        data["clusters"][0] = {"id": "a", "gpus": draw(st.integers(1, 10**6)), "gpu": "TPUv9"}
        path = ("clusters", 0, "gpu")
    return data, ".".join(str(p) for p in path)


@settings(**{**FAST, "max_examples": 40})
@given(case=broken_scenarios(), command=st.sampled_from(["validate", "solve"]))
def test_broken_scenarios_exit_2_naming_the_field(cli, case, command):
    data, field = case
    with tempfile.TemporaryDirectory() as td:
        p = _write(td, data)
        args = ["validate", p] if command == "validate" else ["solve", p, "--out", Path(td) / "out", "-q"]
        r = cli(*args)
        _no_crash(r)
        assert r.exit_code == 2, r.output
        assert field in r.stderr, (field, r.stderr)
        assert not (Path(td) / "out").exists()


@settings(**{**FAST, "max_examples": 25})
@given(text=st.text(max_size=200) | st.binary(max_size=64).map(lambda b: b.decode("latin-1")))
def test_arbitrary_files_never_crash(cli, text):
    with tempfile.TemporaryDirectory() as td:
        r = cli("validate", _write(td, text))
        _no_crash(r)
        assert r.exit_code == 2


@settings(**FAST)
@given(data=valid_scenarios())
def test_valid_scenarios_solve_or_explain(cli, data):
    with tempfile.TemporaryDirectory() as td:
        out = Path(td) / "out"
        r = cli("solve", _write(td, data), "--out", out, "--no-maps", "-q")
        _no_crash(r)
        assert r.exit_code in (0, 3), r.output
        s = json.loads((out / "summary.json").read_text())
        if r.exit_code == 0:
            assert s["status"] in ("optimal", "time_limit")
            assert (out / "assignments.csv").exists() and (out / "manifest.json").exists()
        else:
            assert s["status"] == "infeasible" and s["diagnosis"]
            assert all(d["message"] for d in s["diagnosis"])


# ---------------------------------------------------------------------------------------------------------------
# time limits


def _hard_packing(n: int = 40) -> dict:
    """Bin packing of 40 distinct clusters into 8 sites with 3 % slack: HiGHS finds a placement quickly but
    cannot prove the optimum within a minute. Annual mode, so building takes < 1 s."""
    rng = random.Random(3)
    sites = ["zhongwei", "guian", "yrd_demo_zone", "tianfu", "horinger", "qingyang", "wuhu", "shaoguan"]
    clusters = [{"id": f"c{i}", "mw": round(rng.uniform(40, 260), 1)} for i in range(n)]
    cap = sum(c["mw"] for c in clusters) * 1.25 / len(sites) * 1.03
    return scenario_dict(
        name="packing",
        time={"mode": "annual"},
        sites={"include": sites, "max_mw": {s: round(cap) for s in sites}},
        clusters=clusters,
        solver={"mip_gap": 0.0, "time_limit_s": 120},
    )


def test_time_limit_with_a_placement_writes_it_with_its_gap(cli, tmp_path):
    out = tmp_path / "out"
    r = cli("solve", _write(tmp_path, _hard_packing()), "--out", out, "--time-limit", 3, "--no-maps", "-q")
    assert r.exit_code == 0, r.output
    s = json.loads((out / "summary.json").read_text())
    assert s["status"] == "time_limit"
    assert s["mip_gap"] is not None and s["mip_gap"] > 0 and s["bound"] < s["objective"]
    assert len(s["placement"]) == 40 and all(s["placement"].values())
    m = json.loads((out / "manifest.json").read_text())
    assert m["solver"]["time_limit"] == 3 and m["solver"]["mip_gap"] == 0.0  # the options actually used


def test_time_limit_without_a_placement_exits_4(cli, tmp_path, china):
    sc = parse_scenario(scenario_dict(time={"mode": "annual"}))
    with pytest.raises(TimeLimitError, match="no feasible placement"):
        solve(sc, region_set=china, time_limit=1e-6)
    out = tmp_path / "out"
    r = cli("solve", _write(tmp_path, scenario_dict(time={"mode": "annual"})), "--out", out, "--time-limit", 1e-6)
    assert r.exit_code == 4, r.output
    assert "time limit reached with no feasible placement" in r.stderr
    assert json.loads((out / "summary.json").read_text())["status"] == "time_limit"


# ---------------------------------------------------------------------------------------------------------------
# fail fast on models far beyond this machine


def test_twenty_thousand_clusters_hourly_fail_fast_with_estimate(china):
    """20,000 distinct clusters × 31 sites × 8,760 h: refused from counts alone, before any time slice or
    Pyomo component is built. (Reading such a file takes longer than the check: pure-Python YAML.)"""
    clusters = [{"id": f"c{i}", "mw": round(0.05 + i * 1e-4, 4)} for i in range(20_000)]
    sc = parse_scenario(scenario_dict(time={"mode": "hourly"}, sites={"include": "all"}, clusters=clusters))
    t = time.perf_counter()
    with pytest.raises(ScenarioError) as info:
        solve(sc, region_set=china)
    assert time.perf_counter() - t < 10
    (field, msg), *_ = info.value.problems
    assert field == "clusters"
    assert "620,000 integer" in msg and "8,760 time slices × 31 sites" in msg and "'count'" in msg


def test_too_many_clusters_exit_2_from_the_cli(cli, tmp_path):
    clusters = [{"id": f"c{i}", "mw": round(0.05 + i * 1e-4, 4)} for i in range(4_000)]
    data = scenario_dict(time={"mode": "hourly"}, sites={"include": "all"}, clusters=clusters)
    p = tmp_path / "big.yaml"
    p.write_text(yaml.dump(data, Dumper=getattr(yaml, "CSafeDumper", yaml.SafeDumper), sort_keys=False))
    for args in (["validate", p], ["solve", p, "--out", tmp_path / "out", "-q"]):
        r = cli(*args)
        assert r.exit_code == 2, r.output
        assert "field 'clusters'" in r.stderr and "124,000 integer" in r.stderr and "Traceback" not in r.output
    assert not (tmp_path / "out").exists()


def test_hourly_model_over_the_column_limit_names_time_mode(china, monkeypatch):
    monkeypatch.setattr(sys.modules["optimizer.model.solve"], "MAX_COLUMNS", 100_000)
    sc = parse_scenario(scenario_dict(time={"mode": "hourly"}))
    t = time.perf_counter()
    with pytest.raises(ScenarioError) as info:
        solve(sc, region_set=china)
    assert time.perf_counter() - t < 10
    assert "time.mode" in str(info.value) and "representative_days" in str(info.value)
    assert "8,760 time slices" in str(info.value)


# ---------------------------------------------------------------------------------------------------------------
# interruption: the output folder is the previous result or a complete new one, never a partial one


def _siblings(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.parent.iterdir() if p.name.startswith(f".{folder.name}."))


def test_interrupt_while_writing_keeps_previous_result(cli, tmp_path, monkeypatch):
    out = tmp_path / "out"
    out.mkdir()
    (out / "summary.json").write_text('{"status": "optimal", "previous": true}')
    seen = {}

    def boom(result, region_set, folder):
        seen["marker"] = (folder / outputs_mod.INCOMPLETE).exists()
        seen["partial"] = folder.name
        raise KeyboardInterrupt

    monkeypatch.setattr(outputs_mod, "write_geojson", boom)
    r = cli("solve", _write(tmp_path, scenario_dict(time={"mode": "annual"})), "--out", out, "--no-maps", "-q")
    assert r.exit_code == 130, r.output
    assert "interrupted" in r.stderr
    assert seen == {"marker": True, "partial": f".out.partial-{os.getpid()}"}
    assert json.loads((out / "summary.json").read_text())["previous"] is True
    assert sorted(p.name for p in out.iterdir()) == ["summary.json"]
    assert _siblings(out) == []


def test_signal_during_the_swap_is_held_until_it_is_done(tmp_path, monkeypatch):
    out = tmp_path / "out"
    out.mkdir()
    (out / "old.txt").write_text("previous")
    real = os.replace
    calls = []

    def replace_and_interrupt(a, b):
        calls.append((Path(a).name, Path(b).name))
        if len(calls) == 1:
            os.kill(os.getpid(), signal.SIGINT)  # Ctrl-C between the two renames
        real(a, b)

    monkeypatch.setattr(outputs_mod.os, "replace", replace_and_interrupt)
    with pytest.raises(KeyboardInterrupt):
        with outputs_mod.atomic_dir(out, force=True) as tmp:  # force: old.txt is not a file gridsite writes
            (tmp / "new.txt").write_text("complete")
    assert len(calls) == 2  # both renames ran before the interrupt was delivered
    assert sorted(p.name for p in out.iterdir()) == [".gridsite-output", "new.txt"]
    assert _siblings(out) == []


def test_leftovers_of_a_killed_run_are_cleaned(tmp_path):
    dead = 2**22 + 12345
    while True:
        try:
            os.kill(dead, 0)
            dead += 1
        except ProcessLookupError:
            break
    out = tmp_path / "out"
    partial = tmp_path / f".out.partial-{dead}"
    partial.mkdir()
    (partial / outputs_mod.INCOMPLETE).write_text("unfinished")
    old = tmp_path / f".out.old-{dead}"  # killed between the two renames: the previous result is put back
    old.mkdir()
    (old / "summary.json").write_text("{}")
    with outputs_mod.atomic_dir(out) as tmp:
        assert (out / "summary.json").exists()  # restored before the new run starts
        (tmp / "summary.json").write_text('{"new": 1}')
    assert json.loads((out / "summary.json").read_text()) == {"new": 1}
    assert _siblings(out) == []


def test_sigterm_during_the_highs_solve_exits_promptly(tmp_path):
    """A real process, SIGTERM while HiGHS works on a hard packing problem: exit 143 within seconds (not at the
    time limit), the previous result untouched, no partial folder."""
    p = _write(tmp_path, _hard_packing())
    out = tmp_path / "out"
    out.mkdir()
    (out / "old.txt").write_text("previous")
    proc = subprocess.Popen(
        [sys.executable, "-m", "gridsite.cli", "solve", str(p), "--out", str(out), "--no-maps", "--force"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        cwd=ROOT,
        env={**os.environ, "COLUMNS": "200"},
    )
    try:
        deadline = time.monotonic() + 60
        for line in proc.stderr:
            if "solving with HiGHS" in line or time.monotonic() > deadline:
                break
        time.sleep(1.0)  # inside HiGHS's native code
        t = time.monotonic()
        proc.send_signal(signal.SIGTERM)
        rest = proc.stderr.read()
        proc.wait(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == 128 + signal.SIGTERM, rest
    assert time.monotonic() - t < 8
    assert "interrupted" in rest and "Traceback" not in rest
    assert sorted(x.name for x in out.iterdir()) == ["old.txt"]
    assert _siblings(out) == []


# ---------------------------------------------------------------------------------------------------------------
# manifest: enough to reproduce a result


def test_manifest_records_what_reproduces_the_result(cli, tmp_path, china):
    p = _write(tmp_path, scenario_dict(time={"mode": "annual"}))
    out = tmp_path / "out"
    r = cli("solve", p, "--out", out, "--mip-gap", 0.02, "--no-maps", "-q")
    assert r.exit_code == 0, r.output
    m = json.loads((out / "manifest.json").read_text())
    assert len(m["scenario_sha256"]) == 64 and len(m["scenario_file_sha256"]) == 64
    assert m["versions"]["highspy"] and m["versions"]["pyomo"] and m["versions"]["gridsite"]
    data = m["data"]["region_set"]
    assert data["name"] == "china" and len(data["sha256"]) == 64
    assert set(data["files"]) >= {"regions.csv", "sites.csv", "corridors.csv", "regionset.yaml"}
    assert m["solver"]["mip_gap"] == 0.02 and m["solver"]["threads"] == 2 and m["solver"]["seed"] == 0
    assert m["solver_log"] == "solver.log" and (out / "solver.log").exists()
    assert isinstance(m["command"], list)
    assert not (out / outputs_mod.INCOMPLETE).exists()
