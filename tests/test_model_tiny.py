"""Tiny instances with known optima: brute force over every assignment, and hand-computed costs."""

from __future__ import annotations

import itertools

import pytest

from gridsite import InfeasibleError, parse_scenario, solve
from optimizer.model.demand import peak_factor

from .conftest import scenario_dict


def _brute_force(sc, rs):
    ids = [c.id for c in sc.clusters]
    sites = list(sc.sites.include)
    best = None
    for combo in itertools.product(sites, repeat=len(ids)):
        plan = dict(zip(ids, combo, strict=True))
        try:
            r = solve(sc, region_set=rs, fix=plan)
        except InfeasibleError:
            continue
        if best is None or r.total_cost < best[0] - 1e-9:
            best = (r.total_cost, plan)
    return best


@pytest.mark.parametrize(
    "policy",
    [
        {"green_share": {"min": 0.8, "applies_to": "hubs"}},
        {"green_share": {"min": 1.0, "applies_to": "all"}, "certificates": {"cross_region": False}},
        {"green_share": {"min": 0.0, "applies_to": "none"}, "carbon_price": 200},
    ],
    ids=["quota80", "quota100-no-trade", "carbon-price"],
)
def test_milp_matches_brute_force(china, policy):
    sc = parse_scenario(scenario_dict(policy=policy))
    best_cost, _best_plan = _brute_force(sc, china)
    res = solve(sc, region_set=china)
    assert res.status == "optimal"
    assert res.total_cost == pytest.approx(best_cost, rel=1e-6, abs=1e-6)
    # evaluating the MILP's own plan gives the same cost
    again = solve(sc, region_set=china, fix=res.placement())
    assert again.total_cost == pytest.approx(res.total_cost, rel=1e-6)


def test_site_capacity_is_respected_by_brute_force(china):
    # zhongwei can only hold one of the two big clusters (max_mw 150 facility)
    sc = parse_scenario(
        scenario_dict(
            sites={"include": ["zhongwei", "yrd_demo_zone"], "max_mw": {"zhongwei": 150}},
            clusters=[{"id": "a", "mw": 100}, {"id": "b", "mw": 100}],
        )
    )
    res = solve(sc, region_set=china)
    placed = list(res.placement().values())
    assert placed.count("zhongwei") <= 1
    best_cost, _ = _brute_force(sc, china)
    assert res.total_cost == pytest.approx(best_cost, rel=1e-6)
    with pytest.raises(InfeasibleError):
        solve(sc, region_set=china, fix={"a": "zhongwei", "b": "zhongwei"})


def test_grid_only_cost_is_hand_computable(china):
    """No quota, no renewables, no carbon price: cost = build + price × energy, at the cheaper site."""
    sc = parse_scenario(
        scenario_dict(
            clusters=[{"id": "a", "mw": 100, "workload": "training"}],
            sites={"include": ["zhongwei", "yrd_demo_zone"]},
            policy={"green_share": {"min": 0.0, "applies_to": "none"}},
            grid={"new_renewables": False},
            time={"mode": "annual"},
        )
    )
    sites = china.sites.set_index("id")
    costs = {}
    for s in ("zhongwei", "yrd_demo_zone"):
        pue = sites.at[s, "pue"]
        build = sites.at[s, "build_cost_per_mw_yr"] * 100 * pue / 1e6
        # build on design power (100 MW IT), energy on the average load (training default utilisation 0.75)
        energy = sites.at[s, "price_per_mwh"] * 100 * 0.75 * pue * 8760 / 1e6
        costs[s] = build + energy
    res = solve(sc, region_set=china)
    best = min(costs, key=costs.get)
    assert res.placement() == {"a": best}
    assert res.total_cost == pytest.approx(costs[best], rel=1e-6)
    assert res.cost_breakdown["site_build"] + res.cost_breakdown["grid_energy"] == pytest.approx(res.total_cost)
    # location-based emissions = EF × energy
    ef = china.regions.set_index("id").at[sites.at[best, "region_id"], "ef_t_per_mwh"]
    pue = sites.at[best, "pue"]
    assert res.emissions_t["location_based"] == pytest.approx(ef * 100 * 0.75 * pue * 8760, rel=1e-6)


def test_identical_clusters_are_aggregated(china):
    sc = parse_scenario(scenario_dict(clusters=[{"id": "x", "mw": 50, "count": 4}], time={"mode": "annual"}))
    res = solve(sc, region_set=china)
    a = res.tables["assignments"]
    assert sorted(a.cluster_id) == ["x-1", "x-2", "x-3", "x-4"]
    assert (a.status == "placed").all()
    assert res.model_size["columns"] < 400  # one integer column per site, not four binaries


def test_optional_cluster_left_unbuilt_when_penalty_is_low(china):
    sc = parse_scenario(
        scenario_dict(
            clusters=[{"id": "a", "mw": 100}, {"id": "opt", "mw": 100, "optional": True, "unbuilt_penalty": 1.0}],
            time={"mode": "annual"},
        )
    )
    res = solve(sc, region_set=china)
    a = res.tables["assignments"].set_index("cluster_id")
    assert a.at["opt", "status"] == "unbuilt"
    assert res.cost_breakdown["unbuilt_penalty"] == pytest.approx(1.0)


def test_design_power_counts_for_site_capacity(china):
    # 100 MW (IT design) inference at PUE 1.2 needs 120 MW of facility design power: fits 120.5, not 119.5, although
    # its average (60 MW IT) and even its diurnal peak (60 × 1.25 = 75 MW IT) are far lower
    assert 0.6 * peak_factor("inference") < 1.0
    for cap, ok in ((100 * 1.2 + 0.5, True), (100 * 1.2 - 0.5, False)):
        sc = parse_scenario(
            scenario_dict(
                clusters=[{"id": "i", "mw": 100, "workload": "inference"}],
                sites={"include": ["zhongwei"], "max_mw": {"zhongwei": cap}},
                time={"mode": "annual"},
            )
        )
        if ok:
            assert solve(sc, region_set=china).placement() == {"i": "zhongwei"}
        else:
            with pytest.raises(InfeasibleError, match="needs"):
                solve(sc, region_set=china)
