"""Output folders never lose a user's files: gridsite replaces only its own earlier outputs, checks every output
path before solving, keeps a complete earlier result when a run fails, and lets one run at a time write a folder."""

from __future__ import annotations

import hashlib
import json
import os
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

from gridsite.cli import app
from rendering import runfolder as outputs_mod
from rendering import safety

from .conftest import ROOT, scenario_dict

ENV = {**os.environ, "COLUMNS": "200", "PYTHONPATH": str(ROOT)}
TINY = scenario_dict(time={"mode": "annual"})
INFEASIBLE = scenario_dict(time={"mode": "annual"}, sites={"include": ["zhongwei"], "max_mw": {"zhongwei": 10}})


@pytest.fixture
def cli(china, monkeypatch):
    """In-process CLI reusing the session's China region set."""
    import geodata

    real = geodata.load_region_set
    monkeypatch.setattr(geodata, "load_region_set", lambda name, **kw: china if name == "china" else real(name, **kw))
    runner = CliRunner()
    return lambda *args: runner.invoke(app, [str(a) for a in args])


def _write(folder: Path, data=TINY, name="s.yaml") -> Path:
    p = Path(folder) / name
    p.write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")
    return p


def tree_hash(root: Path) -> dict[str, str]:
    """Every file and folder under ``root`` (hidden ones too) with the SHA-256 of its bytes."""
    out = {}
    for dirpath, dirnames, filenames in os.walk(root):
        for d in dirnames:
            out[os.path.relpath(os.path.join(dirpath, d), root) + "/"] = "dir"
        for f in filenames:
            p = os.path.join(dirpath, f)
            out[os.path.relpath(p, root)] = hashlib.sha256(Path(p).read_bytes()).hexdigest()
    return out


def _project(folder: Path) -> Path:
    """A user's project folder: a scenario, notes, a sub-folder with data, a hidden file."""
    folder.mkdir(parents=True, exist_ok=True)
    _write(folder)
    (folder / "notes.md").write_text("my notes\n")
    (folder / "data").mkdir()
    (folder / "data" / "prices.csv").write_text("a,b\n1,2\n")
    (folder / ".env").write_text("X=1\n")
    (folder / "afile.txt").write_text("keep me\n")
    return folder


# --- real processes ----------------------------------------------------------------------------------------


def test_out_dot_empty_and_file_in_a_project_exit_2_and_leave_every_byte(tmp_path):
    proj = _project(tmp_path / "proj")
    before = tree_hash(tmp_path)
    for target in (".", "", "afile.txt", "data", str(tmp_path), "./data/.."):
        t = time.perf_counter()
        r = subprocess.run(
            [sys.executable, "-m", "gridsite.cli", "solve", "s.yaml", "--out", target, "-q"],
            capture_output=True,
            text=True,
            cwd=proj,
            env=ENV,
            timeout=300,
        )
        assert r.returncode == 2, (target, r.stdout, r.stderr)
        assert "--out" in r.stderr and "Traceback" not in r.stderr
        assert "solving" not in r.stderr  # refused before any work
        assert time.perf_counter() - t < 60
        assert tree_hash(tmp_path) == before, target
        if target == "data":  # the way out is named: --force, or another folder
            assert "--force" in r.stderr and "data" in r.stderr and "prices.csv" in r.stderr


def test_force_never_replaces_cwd_ancestors_scenario_folder_home_or_root(tmp_path, monkeypatch):
    proj = _project(tmp_path / "proj")
    (proj / "deep").mkdir()
    monkeypatch.chdir(proj / "deep")
    for target in (".", "..", str(tmp_path), "/", str(Path.home()), str(proj)):
        with pytest.raises(safety.OutputRefused, match="never replaces") as info:
            safety.check_out_dir(target, force=True, inputs=[proj / "s.yaml"])
        assert "--force" in str(info.value)
    # the scenario's folder (not the cwd here) is protected too
    monkeypatch.chdir(tmp_path)
    other = tmp_path / "elsewhere"
    other.mkdir()
    with pytest.raises(safety.OutputRefused, match="holds the input file"):
        safety.check_out_dir(proj, force=True, inputs=[proj / "s.yaml"])
    assert safety.check_out_dir(other, force=True, inputs=[proj / "s.yaml"]) == other.resolve()


# --- in-process CLI ------------------------------------------------------------------------------------------


def test_foreign_folder_refused_then_replaced_with_force(cli, tmp_path):
    p = _write(tmp_path)
    out = tmp_path / "mydata"
    out.mkdir()
    (out / "notes.txt").write_text("important")
    (out / "sub").mkdir()
    (out / "sub" / "x.csv").write_text("1")
    before = tree_hash(tmp_path)
    r = cli("solve", p, "--out", out, "--no-maps", "-q")
    assert r.exit_code == 2, r.output
    assert "did not write" in r.stderr and "notes.txt" in r.stderr and "--force" in r.stderr
    assert tree_hash(tmp_path) == before
    r = cli("solve", p, "--out", out, "--no-maps", "-q", "--force")
    assert r.exit_code == 0, r.output
    assert not (out / "notes.txt").exists() and (out / "manifest.json").exists()
    assert safety.output_kind(out) == "run" and safety.is_gridsite_output(out)


def test_earlier_gridsite_output_is_replaced_but_not_with_a_users_file_in_it(cli, tmp_path):
    p = _write(tmp_path)
    out = tmp_path / "out"
    assert cli("solve", p, "--out", out, "--no-maps", "-q").exit_code == 0
    first = json.loads((out / safety.MARKER).read_text())
    assert first["format"] == safety.FORMAT and first["kind"] == "run"
    (out / "summary.json").write_text(json.dumps({"status": "optimal", "old": True}))
    r = cli("solve", p, "--out", out, "--no-maps", "-q")
    assert r.exit_code == 0, r.output
    assert "old" not in json.loads((out / "summary.json").read_text())  # replaced
    # a folder written before the marker existed (manifest only) is recognised
    (out / safety.MARKER).unlink()
    assert safety.output_kind(out) == "run"
    assert cli("solve", p, "--out", out, "--no-maps", "-q").exit_code == 0
    # a note added by the user makes it foreign again: nothing is deleted
    (out / "my-notes.txt").write_text("do not lose")
    before = tree_hash(tmp_path)
    r = cli("solve", p, "--out", out, "--no-maps", "-q")
    assert r.exit_code == 2 and "my-notes.txt" in r.stderr
    assert tree_hash(tmp_path) == before


def test_infeasible_and_time_limited_runs_keep_the_earlier_complete_result(cli, tmp_path):
    out = tmp_path / "out"
    assert cli("solve", _write(tmp_path), "--out", out, "--no-maps", "-q").exit_code == 0
    before = tree_hash(out)
    r = cli("solve", _write(tmp_path, INFEASIBLE, "bad.yaml"), "--out", out, "--no-maps", "-q")
    assert r.exit_code == 3, r.output
    assert "earlier result" in r.stderr and "failed-summary.json" in r.stderr
    after = tree_hash(out)
    assert after.pop(outputs_mod.FAILED_SUMMARY) and after == before  # everything else byte-identical
    fs = json.loads((out / outputs_mod.FAILED_SUMMARY).read_text())
    assert fs["status"] == "infeasible" and fs["kept_earlier_result"] is True
    r = cli("solve", _write(tmp_path), "--out", out, "--no-maps", "-q", "--time-limit", 1e-6)
    assert r.exit_code == 4, r.output
    assert json.loads((out / outputs_mod.FAILED_SUMMARY).read_text())["status"] == "time_limit"
    assert json.loads((out / "summary.json").read_text())["status"] == "optimal"
    # a new successful run replaces the folder, failed summary included
    assert cli("solve", _write(tmp_path), "--out", out, "--no-maps", "-q").exit_code == 0
    assert not (out / outputs_mod.FAILED_SUMMARY).exists()
    # with no earlier complete result, the failure summary is the folder (as before)
    fresh = tmp_path / "fresh"
    assert cli("solve", _write(tmp_path, INFEASIBLE, "bad.yaml"), "--out", fresh, "-q").exit_code == 3
    assert sorted(p.name for p in fresh.iterdir()) == [safety.MARKER, "summary.json"]
    assert safety.output_kind(fresh) == "failed"


def test_a_second_run_into_a_locked_folder_is_refused_naming_the_pid(cli, tmp_path):
    p = _write(tmp_path)
    out = tmp_path / "out"
    with safety.output_lock(out) as lock:
        assert lock.name == ".out.lock" and lock.read_text().strip() == str(os.getpid())
        r = cli("solve", p, "--out", out, "--no-maps", "-q")
        assert r.exit_code == 2, r.output
        assert f"pid {os.getpid()}" in r.stderr and "another gridsite run" in r.stderr
        # a separate process is refused too
        r2 = subprocess.run(
            [sys.executable, "-m", "gridsite.cli", "solve", str(p), "--out", str(out), "-q"],
            capture_output=True,
            text=True,
            env=ENV,
            timeout=300,
        )
        assert r2.returncode == 2 and f"pid {os.getpid()}" in r2.stderr
    assert not out.exists() and not lock.exists()  # nothing written; the lock file is removed on release
    assert cli("solve", p, "--out", out, "--no-maps", "-q").exit_code == 0
    assert not lock.exists()


def test_output_files_are_checked_before_solving(cli, tmp_path):
    p = _write(tmp_path)
    out = tmp_path / "out"
    cases = [
        (["--write-lp", tmp_path / "missing" / "m.lp"], "does not exist"),
        (["--write-lp", tmp_path / "m.txt"], "unknown extension"),
        (["--write-lp", tmp_path], "is a folder"),
        (["--write-lp", out / "m.lp"], "inside --out"),
    ]
    for extra, msg in cases:
        t = time.perf_counter()
        r = cli("solve", p, "--out", out, "--no-maps", "-q", *extra)
        assert r.exit_code == 2, (extra, r.output)
        assert msg in r.stderr and "--write-lp" in r.stderr
        assert time.perf_counter() - t < 2  # nothing loaded or solved
        assert not out.exists()
    # data show --csv
    for target, msg in ((tmp_path / "nope" / "x.csv", "does not exist"), (tmp_path / "x.xlsx", "extension")):
        r = cli("data", "show", "china/regions", "--csv", target)
        assert r.exit_code == 2 and msg in r.stderr and "--csv" in r.stderr, r.output
    assert cli("data", "show", "china/regions", "--csv", tmp_path / "r.csv").exit_code == 0


def test_report_and_map_write_only_into_gridsite_folders(cli, tmp_path):
    foreign = tmp_path / "notes"
    foreign.mkdir()
    (foreign / "todo.txt").write_text("x")
    for args in (["map", foreign], ["report", foreign]):
        r = cli(*args)
        assert r.exit_code == 2 and "not a gridsite output folder" in r.stderr, r.output
    run = tmp_path / "run"
    assert cli("solve", _write(tmp_path), "--out", run, "--no-maps", "-q").exit_code == 0
    page = tmp_path / "index.html"
    page.write_text("<html>my own page</html>")
    r = cli("report", run, "--out", page)
    assert r.exit_code == 2 and "not written by gridsite" in r.stderr and "--force" in r.stderr
    assert page.read_text() == "<html>my own page</html>"
    assert cli("report", run, "--out", tmp_path / "r.pdf").exit_code == 2
    assert cli("report", run, "--out", page, "--force").exit_code == 0
    assert safety.REPORT_SIGNATURE in page.read_bytes()
    assert cli("report", run, "--out", page).exit_code == 0  # our own report may be replaced


def test_pareto_and_sweep_refuse_a_foreign_folder_before_solving(tmp_path):
    _write(tmp_path, TINY, "base.yaml")
    sweep = tmp_path / "sw.yaml"
    sweep.write_text(yaml.safe_dump({"name": "t", "base": "base.yaml", "parameters": {"policy.carbon_price": [0, 1]}}))
    out = tmp_path / "mine"
    out.mkdir()
    (out / "sweep.csv").write_text("my own table")
    runner = CliRunner()
    for args in (["pareto", tmp_path / "base.yaml", "--out", out], ["sweep", sweep, "--out", out]):
        t = time.perf_counter()
        r = runner.invoke(app, [str(a) for a in args])
        assert r.exit_code == 2, r.output
        assert "did not write" in r.stderr and time.perf_counter() - t < 5
    assert (out / "sweep.csv").read_text() == "my own table"
    # the sweep file's own folder is never a sweep's --out
    r = runner.invoke(app, ["sweep", str(sweep), "--out", str(tmp_path), "--force"])
    assert r.exit_code == 2 and "holds the input file" in r.stderr


# --- property: nothing outside gridsite's own folders is ever modified ---------------------------------------

names = st.sampled_from(["a", "b", "out", "data", "x.txt", "notes.md"])
trees = st.recursive(
    st.sampled_from(["file", "empty"]),
    lambda kids: st.dictionaries(names, kids, max_size=3),
    max_leaves=8,
)


def _make(folder: Path, spec) -> None:
    for name, kid in spec.items():
        p = folder / name
        if kid == "file":
            p.write_text(f"user data {name}")
        elif kid == "empty":
            p.mkdir()
        else:
            p.mkdir()
            _make(p, kid)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    spec=st.dictionaries(names, trees, max_size=4),
    target=st.lists(st.sampled_from(["a", "b", "out", "data", "x.txt", "..", ".", ""]), min_size=0, max_size=3),
    cwd_depth=st.integers(0, 1),
    gridsite_out=st.booleans(),
    force=st.booleans(),
)
def test_no_generated_out_target_outside_gridsite_folders_is_modified(spec, target, cwd_depth, gridsite_out, force):
    with tempfile.TemporaryDirectory() as td:
        root = Path(td) / "root"
        root.mkdir()
        if isinstance(spec, dict):
            _make(root, spec)
        ours = root / "earlier"
        if gridsite_out:  # an earlier gridsite output may be replaced
            with outputs_mod.atomic_dir(ours) as tmp:
                (tmp / "summary.json").write_text('{"status": "optimal"}')
        (root / "s.yaml").write_text("name: x\n")
        cwd = root / "a" if cwd_depth and (root / "a").is_dir() else root
        rel = os.path.join(*target) if target else ""
        goal = (cwd / rel).resolve() if rel else cwd
        before = tree_hash(Path(td))
        old = os.getcwd()
        os.chdir(cwd)
        try:
            kind = safety.output_kind(goal) if goal.is_dir() else None
            empty = goal.is_dir() and not any(goal.iterdir())
            missing = not goal.exists()
            was_ours = kind is not None and safety.is_gridsite_output(goal)
            try:
                with outputs_mod.atomic_dir(rel, force=force) as tmp:
                    (tmp / "summary.json").write_text('{"status": "optimal", "new": true}')
                written = True
            except safety.OutputRefused:
                written = False
        finally:
            os.chdir(old)
        after = tree_hash(Path(td))
        if not written:
            assert after == before
            return
        # only a missing, empty or gridsite folder, or with force a foreign one, is replaced; never cwd or above
        assert missing or empty or was_ours or force
        assert goal != cwd.resolve() and not cwd.resolve().is_relative_to(goal)
        assert not (root / "s.yaml").resolve().is_relative_to(goal) or not (root / "s.yaml").exists()
        prefix = os.path.relpath(goal, td)
        changed = {k for k in before.keys() | after.keys() if before.get(k) != after.get(k)}
        inside = {k for k in changed if k == prefix + "/" or k.startswith(prefix + os.sep)}
        # outside the target, only its missing parent folders may appear (created, nothing removed or changed)
        for k in changed - inside:
            assert k not in before and after[k] == "dir" and (prefix + "/").startswith(k), changed


def test_pareto_whose_anchors_fail_keeps_the_earlier_frontier(cli, tmp_path):
    out = tmp_path / "frontier"
    with outputs_mod.atomic_dir(out, kind="pareto") as tmp:  # an earlier complete frontier
        (tmp / "pareto.csv").write_text("point,cost\np00,1\n")
        (tmp / "pareto.json").write_text('{"points": 2}')
    before = tree_hash(out)
    r = cli("pareto", _write(tmp_path, INFEASIBLE, "bad.yaml"), "--points", 2, "--out", out, "--workers", 0, "-q")
    assert r.exit_code == 3, r.output
    assert "earlier result" in r.stderr and "failed-summary.json" in r.stderr
    after = tree_hash(out)
    assert after.pop(outputs_mod.FAILED_SUMMARY) and after == before
    fs = json.loads((out / outputs_mod.FAILED_SUMMARY).read_text())
    assert fs["anchors_ok"] is False and fs["kept_earlier_result"] is True
    assert [row["status"] for row in fs["table"]] == ["infeasible", "infeasible"]


def test_out_may_not_hold_the_data_a_scenario_names(tmp_path):
    from types import SimpleNamespace

    from gridsite.cli.options import check_data_inputs

    rs = tmp_path / "myset"
    rs.mkdir()
    (rs / "regions.csv").write_text("id\n")
    prof = tmp_path / "profiles"
    prof.mkdir()
    (prof / "wind.csv").write_text("x\n")
    sc = SimpleNamespace(region_set=str(rs), grid=SimpleNamespace(profiles={"wind": str(prof / "wind.csv")}))
    for target in (rs, prof):
        with pytest.raises(safety.OutputRefused, match=r"(holds the input file|is the input).*never replaces"):
            check_data_inputs(target, True, sc, [])
    check_data_inputs(tmp_path / "new", True, sc, [])  # elsewhere is fine
