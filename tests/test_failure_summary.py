"""A failed solve's summary (exit 3 infeasible, exit 4 time limit) carries the model's size and the time spent,
as a successful run's ``summary.json`` does."""

from __future__ import annotations

import json

import pytest
import yaml
from typer.testing import CliRunner

from gridsite.cli import app
from gridsite.errors import InfeasibleError, TimeLimitError
from optimizer.model.scenario import parse_scenario
from optimizer.model.solve import solve

from .conftest import scenario_dict

ANNUAL = {"mode": "annual"}
NO_GREEN = {"certificates": {"cross_region": False, "supply_share": 0.0}}
SIZE_KEYS = {"rows", "columns", "nonzeros", "integer_columns"}


@pytest.fixture
def cli(china, monkeypatch):
    import geodata

    real = geodata.load_region_set
    monkeypatch.setattr(geodata, "load_region_set", lambda name, **kw: china if name == "china" else real(name, **kw))
    runner = CliRunner()
    return lambda *args: runner.invoke(app, [str(a) for a in args])


def _write(tmp_path, data: dict):
    p = tmp_path / "s.yaml"
    p.write_text(yaml.safe_dump(data))
    return p


def _check(summary: dict) -> None:
    size = summary["model_size"]
    assert SIZE_KEYS <= set(size) and all(size[k] > 0 for k in ("rows", "columns", "nonzeros"))
    t = summary["timings_s"]
    assert {"data", "build", "handoff", "highs", "total"} <= set(t)
    assert t["total"] >= t["build"] >= 0 and t["total"] > 0


def test_time_limit_failure_summary_has_model_size_and_timings(cli, tmp_path, china):
    sc = parse_scenario(scenario_dict(time=ANNUAL))
    with pytest.raises(TimeLimitError) as info:
        solve(sc, region_set=china, time_limit=1e-6)
    # the same size the successful run reports
    assert info.value.model_size == solve(sc, region_set=china).model_size
    out = tmp_path / "out"
    r = cli("solve", _write(tmp_path, scenario_dict(time=ANNUAL)), "--out", out, "--time-limit", 1e-6, "-q")
    assert r.exit_code == 4, r.output
    s = json.loads((out / "summary.json").read_text())
    assert s["status"] == "time_limit"
    _check(s)


def test_infeasible_failure_summary_has_model_size_and_timings(cli, tmp_path, china):
    # an 80 % green quota at one site with neither certificates nor new renewables: the model is built and HiGHS
    # finds it infeasible (no check before the model catches it)
    data = scenario_dict(
        time=ANNUAL,
        sites={"include": ["zhongwei"]},
        policy={"green_share": {"min": 0.8, "applies_to": "all"}, **NO_GREEN},
        grid={"new_renewables": False},
    )
    with pytest.raises(InfeasibleError) as info:
        solve(parse_scenario(data), region_set=china)
    assert info.value.model_size and info.value.timings_s["total"] > 0
    out = tmp_path / "out"
    r = cli("solve", _write(tmp_path, data), "--out", out, "-q")
    assert r.exit_code == 3, r.output
    s = json.loads((out / "summary.json").read_text())
    assert s["status"] == "infeasible" and s["model_size"] == info.value.model_size
    _check(s)
