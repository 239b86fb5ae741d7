"""Infeasibility explained in policy terms: elastic re-solve amounts against hand calculations, pre-solve
checks, the HiGHS IIS (``--iis``) and the CLI contract (exit 3, summary.json with ``diagnosis``)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml
from typer.testing import CliRunner

from gridsite import InfeasibleError, parse_scenario, solve
from gridsite.cli import app
from optimizer.model import diagnose as dg
from optimizer.model.adapter import build_model_data

from .conftest import scenario_dict

HOURS = 8760.0
IT_MW = 100 * 0.75 + 60 * 0.75 + 40 * 0.6  # scenario_dict: design 100 + 60 training, 40 inference; average load

NO_GREEN = {  # no new renewables anywhere, no certificates anywhere: every quota is short by q × consumption
    "certificates": {"cross_region": False, "supply_share": 0.0},
}


def _pue(china, site: str) -> float:
    return float(china.sites.set_index("id").at[site, "pue"])


def _ef(china, site: str) -> float:
    region = china.sites.set_index("id").at[site, "region_id"]
    return float(china.regions.set_index("id").at[region, "ef_t_per_mwh"])


def _infeasible(china, **over) -> InfeasibleError:
    sc = parse_scenario(scenario_dict(**{"time": {"mode": "annual"}, **over}))
    with pytest.raises(InfeasibleError) as info:
        solve(sc, region_set=china)
    return info.value


@pytest.fixture
def cli(china, monkeypatch):
    """In-process CLI whose region-set loads reuse the session's (loading one costs ~1.5 s)."""
    import geodata

    cache = {"china": china}
    real = geodata.load_region_set

    def cached(name, **kw):
        if str(name) in cache:
            return cache[str(name)]
        return real(name, **kw)

    monkeypatch.setattr(geodata, "load_region_set", cached)
    runner = CliRunner()

    def run(*args):
        return runner.invoke(app, [str(a) for a in args])

    return run


def _write(tmp_path: Path, data: dict) -> Path:
    p = tmp_path / "s.yaml"
    p.write_text(yaml.safe_dump(data, sort_keys=False))
    return p


# ---------------------------------------------------------------------------------------------------------------
# elastic re-solve: the right limit, the right amount


@pytest.mark.parametrize("q", [0.8, 1.0])
def test_quota_shortfall_equals_q_times_site_energy(china, q):
    exc = _infeasible(
        china,
        sites={"include": ["zhongwei"]},
        policy={"green_share": {"min": q, "applies_to": "all"}, **NO_GREEN},
        grid={"new_renewables": False},
    )
    assert len(exc.diagnosis) == 1
    d = exc.diagnosis[0]
    energy = IT_MW * _pue(china, "zhongwei") * HOURS / 1000.0  # GWh/yr
    assert (d.kind, d.subject, d.unit) == ("quota", "zhongwei", "GWh/yr")
    assert d.amount == pytest.approx(q * energy, rel=1e-6)
    assert d.share == pytest.approx(q, rel=1e-6)
    assert d.field == "policy.green_share.min"
    assert d.components == ("green_quota[zhongwei,0]",)
    assert f"hub site zhongwei: {q:.0%} quota short by {q * energy:,.0f} GWh/yr ({q:.0%} of its consumption)" in (
        d.message
    )
    assert "cross-province certificates are off" in d.message
    assert "new renewables are off" in d.message
    assert "smallest set of relaxations" in exc.summary


def test_smallest_set_moves_everything_to_one_site(china):
    """Three candidate sites, every one short: the fewest relaxations is one site's quota (all clusters there),
    at the lowest-PUE site, not three small shortfalls."""
    exc = _infeasible(
        china, policy={"green_share": {"min": 1.0, "applies_to": "all"}, **NO_GREEN}, grid={"new_renewables": False}
    )
    quota = [d for d in exc.diagnosis if d.kind == "quota"]
    assert len(exc.diagnosis) == len(quota) == 1
    best = min(("zhongwei", "guian", "yrd_demo_zone"), key=lambda s: _pue(china, s))
    assert _pue(china, quota[0].subject) == _pue(china, best)
    assert quota[0].amount == pytest.approx(IT_MW * _pue(china, best) * HOURS / 1000.0, rel=1e-6)
    assert "fewest relaxations" in exc.method


def test_monthly_matching_groups_twelve_rows_into_one_limit(china):
    exc = _infeasible(
        china,
        time={"mode": "monthly"},
        sites={"include": ["guian"]},
        policy={"green_share": {"min": 0.9, "applies_to": "all", "matching": "monthly"}, **NO_GREEN},
        grid={"new_renewables": False},
    )
    (d,) = exc.diagnosis
    assert d.kind == "quota" and d.subject == "guian"
    assert len(d.components) == 12 and "in 12 of 12 months" in d.message
    assert d.amount == pytest.approx(0.9 * IT_MW * _pue(china, "guian") * HOURS / 1000.0, rel=1e-6)


def test_carbon_cap_named_with_amount(china):
    cap_t = 1000.0
    exc = _infeasible(
        china,
        policy={"green_share": {"applies_to": "none"}, "carbon_cap_t": cap_t},
        grid={"new_renewables": False},
    )
    (d,) = exc.diagnosis
    # with no green power the least emitting placement puts everything at min EF × PUE
    least = min(_ef(china, s) * _pue(china, s) for s in ("zhongwei", "guian", "yrd_demo_zone"))
    emitted_t = least * IT_MW * HOURS  # MWh × t/MWh
    assert (d.kind, d.subject, d.unit, d.field) == ("carbon_cap", "all", "tCO2/yr", "policy.carbon_cap_t")
    assert d.amount == pytest.approx(emitted_t - cap_t, rel=1e-6)
    assert f"carbon cap of {cap_t:,.0f} tCO2/yr" in d.message and f"{emitted_t - cap_t:,.0f} tCO2/yr over" in d.message


def test_site_capacity_from_indivisible_clusters(china):
    """Total capacity suffices (the pre-solve check passes) but whole clusters do not fit: 12 MW over."""
    exc = _infeasible(
        china,
        sites={"include": ["zhongwei", "guian"], "max_mw": {"zhongwei": 180, "guian": 180}},
        clusters=[{"id": "a", "mw": 100}, {"id": "b", "mw": 100}, {"id": "c", "mw": 60}],
    )
    (d,) = exc.diagnosis
    assert d.kind == "site_capacity" and d.subject in ("zhongwei", "guian") and d.unit == "MW"
    assert d.amount == pytest.approx((100 + 60) * 1.2 - 180, abs=1e-6)
    assert d.field == f"sites.max_mw.{d.subject}"


def test_corridor_relaxed_when_quota_is_not_negotiable(china):
    """Beijing's own wind and solar cannot cover 400 MW; with no spare corridor capacity and the quota kept
    hard, the one thing to change is a corridor into Beijing (one slack per corridor, in MW)."""
    sc = parse_scenario(
        scenario_dict(
            time={"mode": "annual"},
            sites={"include": ["beijing"]},
            clusters=[{"id": "a", "mw": 400}],
            policy={"green_share": {"min": 1.0, "applies_to": "all"}, **NO_GREEN},
            grid={"corridor_spare_share": 0.0},
        )
    )
    md, _ = build_model_data(sc, china)
    diag = dg.diagnose_infeasible(md, hard={"quota"}, threads=2)
    assert [d.kind for d in diag] == ["corridor"]
    (d,) = diag
    assert d.subject.endswith(">beijing") and d.unit == "MW"
    assert 0 < d.amount < 400 * 1.3 / 0.9
    assert d.field == f"grid.corridor_capacity_mw.{d.subject}" and d.components == (f"flow[{d.subject},*]",)
    with pytest.raises(ValueError, match="unknown limit families"):
        dg.build_elastic(md, hard={"quotas"})


def test_weighted_l1_fallback_when_count_phase_finds_nothing(china, monkeypatch):
    sc = parse_scenario(
        scenario_dict(
            time={"mode": "annual"},
            sites={"include": ["zhongwei"]},
            policy={"green_share": {"min": 1.0, "applies_to": "all"}, **NO_GREEN},
            grid={"new_renewables": False},
        )
    )
    md, _ = build_model_data(sc, china)
    real = dg._run
    calls = []

    def first_fails(m, *a, **kw):
        calls.append(1)
        run = real(m, *a, **kw)
        if len(calls) == 1:
            run.has_solution = False
        return run

    monkeypatch.setattr(dg, "_run", first_fails)
    m, limits, method = dg.elastic_solve(md, threads=2)
    assert method.startswith("weighted L1")
    (d,) = dg.describe(m, md, limits)
    assert d.kind == "quota" and d.amount == pytest.approx(IT_MW * 1.2 * HOURS / 1000.0, rel=1e-6)


# ---------------------------------------------------------------------------------------------------------------
# pre-solve checks: no model is built


@pytest.mark.parametrize(
    ("over", "kind", "words"),
    [
        (
            {"sites": {"include": ["zhongwei"], "max_mw": {"zhongwei": 100}}, "clusters": [{"id": "big", "mw": 150}]},
            "site_capacity",
            ["big", "zhongwei", "MW"],
        ),
        (
            {"clusters": [{"id": "edge", "mw": 5, "latency_ms": {"to": ["shanghai"], "max": 0.5}}]},
            "latency",
            ["edge", "0.5 ms", "shanghai"],
        ),
        (
            {
                "sites": {"include": ["zhongwei", "guian"], "max_mw": {"zhongwei": 200, "guian": 200}},
                "clusters": [{"id": "a", "mw": 150}, {"id": "b", "mw": 150}, {"id": "c", "mw": 100}],
            },
            "demand",
            ["MW IT", "all candidate sites"],
        ),
    ],
    ids=["cluster-larger-than-sites", "latency-budget", "total-demand"],
)
def test_pre_solve_checks(china, over, kind, words):
    sc = parse_scenario(scenario_dict(**{"time": {"mode": "annual"}, **over}))
    with pytest.raises(InfeasibleError) as info:
        build_model_data(sc, china)
    kinds = [d.kind for d in info.value.diagnosis]
    assert kind in kinds
    msg = str(info.value)
    for w in words:
        assert w in msg


# ---------------------------------------------------------------------------------------------------------------
# CLI: exit 3, the explanation printed and in summary.json, --iis


def test_cli_infeasible_carbon_cap_exit_3_and_summary(cli, tmp_path):
    data = scenario_dict(
        name="capped",
        time={"mode": "annual"},
        policy={"green_share": {"applies_to": "none"}, "carbon_cap_t": 500},
        grid={"new_renewables": False},
    )
    (tmp_path / "out").mkdir()
    r = cli("solve", _write(tmp_path, data), "--out", tmp_path / "out", "-q")
    assert r.exit_code == 3, r.output
    assert "carbon cap of 500 tCO2/yr" in r.stderr and "over the cap" in r.stderr
    s = json.loads((tmp_path / "out" / "summary.json").read_text())
    assert s["status"] == "infeasible" and s["name"] == "capped"
    (d,) = s["diagnosis"]
    assert d["kind"] == "carbon_cap" and d["unit"] == "tCO2/yr" and d["amount"] > 0
    assert d["field"] == "policy.carbon_cap_t" and d["components"] == ["carbon_cap"]
    assert "fewest relaxations" in s["diagnosis_method"]
    assert "iis" not in s


def test_cli_iis_maps_rows_to_component_names(cli, tmp_path):
    data = scenario_dict(
        time={"mode": "annual"},
        sites={"include": ["zhongwei"]},
        policy={"green_share": {"min": 1.0, "applies_to": "all"}, **NO_GREEN},
        grid={"new_renewables": False},
    )
    r = cli("solve", _write(tmp_path, data), "--out", tmp_path / "out", "--iis", "-q")
    assert r.exit_code == 3, r.output
    assert "IIS: irreducible infeasible subset" in r.stderr and "green_quota[zhongwei,0]" in r.stderr
    iis = json.loads((tmp_path / "out" / "summary.json").read_text())["iis"]
    assert iis["available"] is True
    assert iis["rows"]["green_quota"] == ["green_quota[zhongwei,0]"]
    # new renewables are off: the potential bounds (0) are part of the conflict, named as such
    assert "wind[ningxia] (upper)" in iis["bounds"]["wind"]
    assert "renewable potential" in iis["meaning"]["wind"]


def test_iis_says_so_when_the_lp_relaxation_is_feasible(china):
    sc = parse_scenario(
        scenario_dict(
            time={"mode": "annual"},
            sites={"include": ["zhongwei", "guian"], "max_mw": {"zhongwei": 180, "guian": 180}},
            clusters=[{"id": "a", "mw": 100}, {"id": "b", "mw": 100}, {"id": "c", "mw": 60}],
        )
    )
    md, _ = build_model_data(sc, china)
    iis = dg.compute_iis(md, threads=2)
    assert iis["available"] is False and "LP relaxation is feasible" in iis["message"]
    assert iis["rows"] == {} and "not available" in dg.format_iis(iis)


def test_iis_unavailable_is_reported_not_faked(china, monkeypatch):
    import highspy

    monkeypatch.delattr(highspy, "IisStrategy")
    sc = parse_scenario(scenario_dict(time={"mode": "annual"}))
    md, _ = build_model_data(sc, china)
    iis = dg.compute_iis(md)
    assert iis == {"available": False, "message": iis["message"], "rows": {}, "bounds": {}}
    assert "no IIS support" in iis["message"]
