"""The output warm-up of ``gridsite solve``: started when the HiGHS run starts, never more than once, harmless."""

from __future__ import annotations

import pyomo.environ as pyo

from optimizer.model.highs import on_next_run, run_highs
from rendering.warmup import MAP_MODULES, MODULES, Warmup


def _tiny() -> pyo.ConcreteModel:
    m = pyo.ConcreteModel()
    m.x = pyo.Var(domain=pyo.NonNegativeReals)
    m.c = pyo.Constraint(expr=m.x >= 1)
    m.obj = pyo.Objective(expr=m.x)
    return m


def test_listener_runs_once_when_highs_starts_and_is_removed_after_the_block():
    calls: list[str] = []
    with on_next_run(lambda: calls.append("start")):
        assert calls == []  # registering calls nothing
        run = run_highs(_tiny(), threads=1)
        assert run.status == "optimal"
        assert calls == ["start"]
        run_highs(_tiny(), threads=1)
        assert calls == ["start"]  # once only
    run_highs(_tiny(), threads=1)
    assert calls == ["start"]


def test_listener_not_called_without_a_run_and_not_left_behind():
    calls: list[str] = []
    with on_next_run(lambda: calls.append("start")):
        pass  # e.g. the scenario failed before the model reached HiGHS
    run_highs(_tiny(), threads=1)
    assert calls == []


def test_warmup_imports_the_output_modules(china):
    import sys

    from rendering.maps import base

    base.clear_memo()
    w = Warmup(china, maps=True)
    w.start()
    w.start()  # a second start does nothing
    w.join()
    assert w.error is None
    assert all(name in sys.modules for name in MODULES + MAP_MODULES)

    # both base scenes are in the process memo: the maps after the solve compute nothing region-set-only
    keys = {base.base_key(china, kind) for kind in base.KINDS}
    assert keys <= set(base._MEMO)


def test_warmup_errors_are_kept_not_raised(monkeypatch):
    import rendering.warmup as warmup

    monkeypatch.setattr(warmup, "MODULES", ("gridsite_no_such_module",))
    w = Warmup(None, maps=False)
    w.start()
    w.join()
    assert isinstance(w.error, ModuleNotFoundError)



def test_solve_ends_without_teardown_but_with_everything_flushed_and_written(tmp_path):
    """``gridsite solve`` ends with os._exit after its work (gridsite.cli.guard.allow_fast_exit): the piped
    output still ends with its last line, every file of the run folder is complete, no lock or partial folder is
    left behind."""
    import json
    import os
    import subprocess
    import sys

    import yaml

    from .conftest import scenario_dict

    sc = tmp_path / "s.yaml"
    sc.write_text(yaml.safe_dump(scenario_dict(time={"mode": "annual"}), sort_keys=False))
    out = tmp_path / "run"
    r = subprocess.run(
        [sys.executable, "-m", "gridsite", "solve", str(sc), "--out", str(out)],
        capture_output=True, text=True, timeout=600, env={**os.environ, "COLUMNS": "200"},
    )  # fmt: skip
    assert r.returncode == 0, r.stderr
    assert r.stdout.rstrip().endswith(f"results written to {out}")
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest and json.loads((out / "summary.json").read_text())["status"] == "optimal"
    assert (out / "siting_map.html").read_text().rstrip().endswith("</html>")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["run", "s.yaml"]  # no lock, no .run.partial-PID
