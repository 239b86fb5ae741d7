"""Progress of long solves: HiGHS callbacks record incumbents and bounds, the line shows them, ``--verbose``
streams HiGHS's log to stderr and ``--quiet --verbose`` is refused."""

from __future__ import annotations

import io
import itertools
import os
import subprocess
import sys
import time

import yaml
from rich.console import Console
from typer.testing import CliRunner

from gridsite import parse_scenario, solve
from gridsite.cli import app
from optimizer.model import progress as progress_mod
from optimizer.model.progress import SolveProgress, SolveReporter

from .conftest import scenario_dict
from .test_robustness import _hard_packing


def test_text_shows_elapsed_limit_incumbent_bound_and_gap():
    p = SolveProgress("MIP", 300.0, unit="M CNY/yr", started=100.0)
    assert p.text(now=107.25) == "HiGHS MIP 7.2 s / 5:00 min · root LP · incumbent — · bound — · gap — (M CNY/yr)"
    p.incumbent, p.bound, p.gap, p.nodes = 3080.5651, 3000.0, 0.0262, 12
    line = p.text(now=165.0)
    assert line == (
        "HiGHS MIP 1:05 min / 5:00 min · B&B 12 nodes · incumbent 3,080.57 · bound 3,000 · gap 2.62 % (M CNY/yr)"
    )
    lp = SolveProgress("tidying (LP)", 300.0, is_mip=False, started=0.0)
    assert lp.text(now=2.0) == "HiGHS tidying (LP) 2.0 s / 5:00 min"


def test_callbacks_record_improving_incumbents_and_bounds(china):
    """A bin packing HiGHS cannot close in 2 s: incumbents improve and a bound is reported (how far the search
    gets in 2 s depends on the machine's load, so the number of nodes is not asserted)."""
    sc = parse_scenario(_hard_packing())
    for limit in (2.0, 8.0):  # on a loaded machine 2 s may end inside the root LP, before any bound is reported
        rep = SolveReporter(mode="off")
        res = solve(sc, region_set=china, time_limit=limit, monitor=rep)
        first = rep.runs[0]
        if first.bound is not None:
            break
    assert first.stage == "MIP" and first.unit == "M CNY/yr" and first.finished is not None
    sols = [e for e in first.events if e[1] == "solution"]
    assert sols, "no improving solution was recorded"
    incumbents = [e[2] for e in sols]
    assert all(b <= a + 1e-9 for a, b in itertools.pairwise(incumbents))  # minimisation
    assert abs(first.incumbent - res.objective) <= 1e-6 * abs(res.objective)
    assert first.bound is not None and first.bound <= first.incumbent + 1e-6
    bounds = [e[3] for e in first.events if e[1] == "bound"]
    assert bounds and bounds[-1] == first.bound  # every change of the best bound is an event, the last is current
    assert first.gap is not None and 0 < first.gap < 1
    text = first.text()
    assert "HiGHS MIP" in text and f"/ {limit:.1f} s" in text and ("B&B" in text) == (first.nodes > 0)
    assert f"bound {first.bound:,.6g}" in text and "gap " in text and "gap —" not in text
    assert len(rep.runs) == 1  # the default tie-break is a charge in the objective: no second HiGHS run


def test_exact_tie_break_is_its_own_stage(china):
    """solver.tidy: exact re-solves an LP at the fixed placement: its own stage, with no bound or gap."""
    rep = SolveReporter(mode="off")
    sc = parse_scenario(scenario_dict(time={"mode": "annual"}, solver={"tidy": "exact"}))
    solve(sc, region_set=china, monitor=rep)
    assert [r.stage for r in rep.runs] == ["MIP", "tidying (LP)"]
    assert not rep.runs[-1].is_mip
    assert rep.runs[-1].text().startswith("HiGHS tidying (LP) ")


def test_small_solve_records_its_incumbent(china):
    rep = SolveReporter(mode="off")
    res = solve(parse_scenario(scenario_dict(time={"mode": "annual"})), region_set=china, monitor=rep)
    assert res.status == "optimal"
    assert abs(rep.runs[0].incumbent - res.objective) <= 1e-6 * max(1.0, abs(res.objective))


def test_plain_mode_prints_a_line_per_interval_and_nothing_for_short_runs(monkeypatch):
    buf = io.StringIO()
    console = Console(file=buf, width=200)
    p = SolveProgress("MIP", 60.0, unit="M CNY/yr")
    p.incumbent = 12.5
    monkeypatch.setattr(progress_mod, "PLAIN_INTERVAL_S", 0.05)
    with progress_mod._ticker(p, console):
        time.sleep(0.18)
    lines = buf.getvalue().splitlines()
    assert 2 <= len(lines) <= 4 and all(line.startswith("… HiGHS MIP ") for line in lines)
    assert "incumbent 12.5" in lines[0]
    monkeypatch.setattr(progress_mod, "PLAIN_INTERVAL_S", 10.0)
    buf.truncate(0)
    with progress_mod._ticker(p, console):
        pass
    assert buf.getvalue() == ""


def test_live_mode_renders_the_line_on_a_terminal():
    buf = io.StringIO()
    console = Console(file=buf, width=160, force_terminal=True)
    p = SolveProgress("MIP", 300.0, unit="M CNY/yr")
    p.incumbent, p.bound, p.gap = 10.0, 9.0, 0.1
    console.print(p)
    out = buf.getvalue()
    assert "incumbent 10 · bound 9 · gap 10 %" in out and "━" in out  # the time bar


def test_verbose_streams_the_highs_log_to_stderr(tmp_path):
    s = tmp_path / "s.yaml"
    s.write_text(yaml.safe_dump(scenario_dict(time={"mode": "annual"}), sort_keys=False))
    env = {**os.environ, "COLUMNS": "200"}

    def run(*extra):
        out = tmp_path / f"out{len(extra)}"
        cmd = [sys.executable, "-m", "gridsite.cli", "solve", str(s), "--out", str(out), "--no-maps", *extra]
        return subprocess.run(cmd, capture_output=True, text=True, env=env, timeout=300), out

    r, out = run("--verbose")
    assert r.returncode == 0, r.stderr
    assert "Running HiGHS" in r.stderr and "Solving MIP model" in r.stderr
    assert "Running HiGHS" not in r.stdout
    # the log file is still written in full
    log = (out / "solver.log").read_text()
    assert "Solving MIP model" in log and "Solving report" in log
    r, _ = run()
    assert r.returncode == 0 and "Running HiGHS" not in r.stderr and "solving with HiGHS" in r.stderr


def test_quiet_and_verbose_together_is_bad_input(tmp_path):
    s = tmp_path / "s.yaml"
    s.write_text(yaml.safe_dump(scenario_dict(time={"mode": "annual"}), sort_keys=False))
    out = tmp_path / "out"
    r = CliRunner().invoke(app, ["solve", str(s), "--out", str(out), "--quiet", "--verbose"])
    assert r.exit_code == 2
    assert "--quiet" in r.stderr and "--verbose" in r.stderr
    assert not out.exists()
