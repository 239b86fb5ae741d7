"""Scenario schema: strict, frozen, and every error names the file, the field and what is allowed."""

from __future__ import annotations

import pytest
import yaml

from optimizer.model.scenario import ScenarioError, load_scenario, parse_scenario

from .conftest import SCENARIOS, scenario_dict


@pytest.mark.parametrize("name", ["china_hubs_2025.yaml", "us_states_2026.yaml"])
def test_shipped_scenarios_validate(name):
    sc = load_scenario(SCENARIOS / name)
    assert sc.clusters
    assert len(sc.digest()) == 64


def test_frozen():
    sc = parse_scenario(scenario_dict())
    with pytest.raises(Exception):  # noqa: B017 - pydantic raises ValidationError on assignment
        sc.year = 2030


@pytest.mark.parametrize(
    ("data", "field", "text"),
    [
        (scenario_dict(colour="red"), "colour", "unknown key; allowed keys: clusters, currency"),
        (scenario_dict(policy={"green_share": {"minn": 0.8}}), "policy.green_share.minn", "allowed keys: applies_to"),
        (scenario_dict(year="soon"), "year", "valid integer"),
        (scenario_dict(policy={"green_share": {"min": 1.2}}), "policy.green_share.min", "less than or equal to 1"),
        (scenario_dict(clusters=[{"id": "x", "mw": -5}]), "clusters.0.mw", "greater than 0"),
        (scenario_dict(clusters=[{"id": "x"}]), "clusters.0", "give either 'mw' or both 'gpus' and 'gpu'"),
        (scenario_dict(time={"mode": "weekly"}), "time.mode", "'annual', 'monthly', 'representative_days' or 'hourly'"),
        (scenario_dict(clusters=[{"id": "x", "mw": 1}, {"id": "x", "mw": 2}]), "clusters", "used twice"),
        ({k: v for k, v in scenario_dict().items() if k != "clusters"}, "clusters", "is required"),
    ],
)
def test_bad_scenarios_name_the_field(data, field, text):
    with pytest.raises(ScenarioError) as exc:
        parse_scenario(data, "bad.yaml")
    msg = str(exc.value)
    assert f"bad.yaml: field '{field}'" in msg
    assert text in msg


def test_yaml_errors_are_scenario_errors(tmp_path):
    p = tmp_path / "broken.yaml"
    p.write_text("name: [unclosed\n")
    with pytest.raises(ScenarioError, match="invalid YAML"):
        load_scenario(p)
    with pytest.raises(ScenarioError, match="file not found"):
        load_scenario(tmp_path / "none.yaml")
    p.write_text("- a list\n")
    with pytest.raises(ScenarioError, match="YAML mapping"):
        load_scenario(p)


def test_quota_path_picks_year():
    sc = parse_scenario(scenario_dict(year=2027, policy={"green_share": {"min": {2025: 0.8, 2030: 0.9}}}))
    assert sc.policy.green_share.value_for(2027) == 0.8
    assert sc.policy.green_share.value_for(2030) == 0.9
    assert sc.policy.green_share.value_for(2024) == 0.8


def test_relative_region_set_path_resolves(tmp_path):
    d = scenario_dict(region_set="myset")
    p = tmp_path / "s.yaml"
    p.write_text(yaml.safe_dump(d))
    assert load_scenario(p).region_set == str((tmp_path / "myset").resolve())


@pytest.mark.parametrize(
    ("options", "text"),
    [
        ({"mip_lp_solver": "bogus"}, "mip_lp_solver='bogus'"),
        ({"no_such_option": 1}, "no_such_option=1"),
        ({"threads": 4}, "'threads' is set by gridsite"),
    ],
)
def test_highs_options_are_checked_against_highs(options, text):
    with pytest.raises(ScenarioError) as e:
        parse_scenario(scenario_dict(solver={"highs_options": options}), "s.yaml")
    assert "solver.highs_options" in str(e.value) and text in str(e.value)


def test_highs_options_reach_highs_and_the_result(tmp_path):
    """presolve off: HiGHS's log has no presolve step, the optimum is the same, the option is recorded."""
    from optimizer.model.solve import solve

    logs = {k: tmp_path / f"{k}.log" for k in ("plain", "off")}
    plain = solve(parse_scenario(scenario_dict(time={"mode": "monthly"})), log_file=logs["plain"])
    solver = {"mip_gap": 0.0, "time_limit_s": 60, "highs_options": {"presolve": "off"}}  # both solved to optimality
    sc = parse_scenario(scenario_dict(time={"mode": "monthly"}, solver=solver))
    off = solve(sc, log_file=logs["off"])
    assert "Presolving model" in logs["plain"].read_text()
    assert "Presolving model" not in logs["off"].read_text()
    assert off.total_cost == pytest.approx(plain.total_cost, rel=1e-6)
    assert off.solver_options["highs_options"] == {"presolve": "off"}
    assert "highs_options" not in plain.solver_options


def test_highs_options_yaml_on_off_reach_highs_as_strings(tmp_path):
    """YAML 1.1 reads `presolve: off` as false; HiGHS's string options get "off" back."""
    p = tmp_path / "s.yaml"
    data = scenario_dict()
    p.write_text(yaml.safe_dump(data) + "\n")
    text = p.read_text().replace("solver:\n", "solver:\n  highs_options: {presolve: off, mip_detect_symmetry: false}\n")
    p.write_text(text)
    sc = load_scenario(p)
    assert sc.solver.highs_options == {"presolve": "off", "mip_detect_symmetry": False}
