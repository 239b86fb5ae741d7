"""Time-limited plans are never shown as normal plans: a warning first, a banner in the report and the map
title, shares never above 100 %, the bound labelled as a limit, and a near-zero objective's gap shown as absolute."""

from __future__ import annotations

import json

import pytest
import yaml
from typer.testing import CliRunner

from gridsite import parse_scenario, solve
from gridsite.cli import app
from optimizer.model import summary as outputs
from rendering import maps, report

from .conftest import scenario_dict
from .test_robustness import _hard_packing


def test_gap_text_is_absolute_for_a_near_zero_objective():
    assert outputs.gap_text(0.0, -3.5, 1.0, "tCO2 per year").startswith("3.5 tCO2 per year (absolute")
    assert outputs.gap_text(1200.0, 1194.0, 0.005, "million CNY per year") == "0.500%"
    assert outputs.gap_text(None, None, None, "x") == "n/a"
    assert outputs.time_limit_warning("optimal", 1.0, 1.0, 0.0, "x") is None
    w = outputs.time_limit_warning("time_limit", 100.0, 12.0, 0.88, "million CNY per year")
    assert "NOT proven optimal" in w and "88.000%" in w and "--time-limit" in w


def test_summary_caps_shares_and_carries_the_warning(china):
    res = solve(parse_scenario(scenario_dict(time={"mode": "annual"})), region_set=china)
    sites = res.tables["sites"]
    used = sites.index[sites.energy_gwh > 0][0]
    sites.loc[used, "green_share"] = 1.949  # as a cut-off plan that over-procures certificates would have
    object.__setattr__(res, "status", "time_limit")
    s = res.summary()
    assert s == outputs.build_summary(res)
    assert max(s["green_share"].values()) <= 1.0
    assert s["green_supply_over_energy"] == {sites.site_id[used]: 1.949}
    assert s["time_limited"] is True and "NOT proven optimal" in s["warning"]
    assert s["gap_basis"] == "relative" and s["gap_abs"] is not None


def test_time_limited_solve_warns_first_and_report_and_map_say_so(china, monkeypatch, tmp_path):
    import geodata

    real = geodata.load_region_set
    monkeypatch.setattr(geodata, "load_region_set", lambda name, **kw: china if name == "china" else real(name, **kw))
    p = tmp_path / "s.yaml"
    p.write_text(yaml.safe_dump(_hard_packing(), sort_keys=False))
    out = tmp_path / "out"
    r = CliRunner().invoke(app, ["solve", str(p), "--out", str(out), "--time-limit", "3", "--no-maps"])
    assert r.exit_code == 0, r.output
    assert "warning: TIME LIMIT" in r.stderr and "NOT proven optimal" in r.stderr
    # the warning comes before the result tables: stderr precedes the first table line in the combined output
    assert r.output.index("TIME LIMIT") < r.output.index("placement")
    s = json.loads((out / "summary.json").read_text())
    assert s["status"] == "time_limit" and s["time_limited"] is True and "NOT proven optimal" in s["warning"]
    html = report.build_report(out, region_set=china)
    assert 'class="banner bad"' in html and "NOT proven optimal" in html
    assert "a limit on the optimum, not a plan" in html
    title, _ = maps.scene._titles(s, china, "en")
    assert "TIME LIMIT: not proven optimal" in title
    # quiet runs still get the warning
    r = CliRunner().invoke(app, ["solve", str(p), "--out", str(out), "--time-limit", "3", "--no-maps", "-q"])
    assert r.exit_code == 0 and "NOT proven optimal" in r.stderr


def test_report_shows_a_near_zero_objectives_gap_as_absolute(tmp_path):
    d = tmp_path / "run"
    d.mkdir()
    summary = {
        "name": "zero",
        "status": "optimal",
        "objective": 0.0,
        "objective_mode": "carbon",
        "objective_unit": "tCO2 per year",
        "bound": -0.25,
        "mip_gap": 1.0,
        "gap_basis": "absolute",
        "gap_abs": 0.25,
        "green_share": {"zhongwei": 1.0},
    }
    (d / "summary.json").write_text(json.dumps(summary))
    html = report.build_report(d)
    assert "0.25 tCO2 per year (absolute" in html and "100.000 %" not in html


def test_epsilon_points_get_a_gap_below_the_cost_step_and_coincident_points_are_named():
    import pandas as pd

    from optimizer.studies.pareto import EPS_GAP_FLOOR, coincident_points, epsilon_gap

    # the reported case: 4 points whose costs span 0.5 % -> a step of 0.167 %: a 0.5 % gap lets caps coincide
    g = epsilon_gap(0.005, 1000.0, 1005.0, 4)
    assert g == pytest.approx(0.005 / 3 / 4) and g < 0.005
    assert epsilon_gap(0.005, 1000.0, 1500.0, 4) == 0.005  # a wide frontier keeps the scenario's gap
    assert epsilon_gap(0.005, 1000.0, 1000.001, 5) == EPS_GAP_FLOOR
    assert epsilon_gap(0.005, 0.0, 10.0, 4) == 0.005  # no relative step from a zero cost
    df = pd.DataFrame(
        {
            "point": ["p00", "p01", "p02", "p03"],
            "carbon_t": [100.0, 252_345.0, 252_345.0, 504_690.0],
            "cost": [1600.0, 1550.0, 1550.0, 1540.0],
        }
    )
    assert coincident_points(df) == [("p01", "p02")]
