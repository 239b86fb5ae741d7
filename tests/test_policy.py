"""Policy levers: matching periods with storage, monotonicity of policy costs, trading caps, price curves, gaps."""

from __future__ import annotations

import numpy as np
import pytest

from gridsite import parse_scenario, solve
from optimizer.model.build import build_model
from optimizer.model.highs import run_highs
from optimizer.model.modeldata import ClusterGroup, Corridor, ModelData
from optimizer.model.timeslices import TimeSlices

from .conftest import scenario_dict


def two_region(matching: str, storage: bool, price: float = 0.02) -> ModelData:
    """Region 'a' has sun in the middle two of four 6-h slices of a day; the 1 GW site is in region 'b'."""
    sl = TimeSlices(
        mode="representative_days",
        weight=np.full(4, 2190.0),
        month_hours=np.full((4, 12), 2190.0 / 12),
        wind=np.zeros((2, 4)),
        solar=np.array([[0.0, 1.0, 1.0, 0.0], [0.0, 0.0, 0.0, 0.0]]),
        inference_shape=np.ones(4),
        labels=("night", "morning", "afternoon", "evening"),
        regions=("a", "b"),
        duration=np.full(4, 6.0),
        period_length=4,
    )
    return ModelData(
        name="two-region",
        currency="X",
        regions=("a", "b"),
        sites=("s",),
        site_region={"s": "b"},
        site_pue={"s": 1.0},
        site_cap_gw={"s": 2.0},
        site_price={"s": price},
        site_build={"s": 0.0},
        site_quota={"s": 1.0},
        region_ef={"a": 0.5, "b": 0.8},
        region_grid_green={"a": 0.0, "b": 0.0},
        groups=(ClusterGroup("c", ("c",), 1.0, "training", 1.0, 1, ("s",), False, 0.0),),
        slices=sl,
        wind_pot_gw={"a": 0.0, "b": 0.0},
        solar_pot_gw={"a": 10.0, "b": 0.0},
        wind_annuity=100.0,
        solar_annuity=100.0,
        corridors=(Corridor("a>b", "a", "b", 5.0, 5.0, 0.0, 0.0),),
        cert_supply_gwh={"a": 1e5, "b": 0.0},
        cert_price=0.005,
        cert_steps=None,
        cert_cross_region=True,
        cert_max_share=1.0,
        cert_export_cap_gwh={},
        matching=matching,
        grid_mix_counts=False,
        carbon_price=0.0,
        carbon_cap_kt=None,
        accounting="location_based",
        objective="cost",
        storage=storage,
        storage_power_annuity=50.0,
        storage_energy_annuity=10.0,
        storage_efficiency=0.81,
        storage_max_gw=10.0,
        storage_duration_max=24.0,
    )


def _solve_md(md):
    m = build_model(md)
    run = run_highs(m, mip_gap=0.0)
    return m, run


def test_hourly_matching_needs_storage_and_costs_most():
    _, annual = _solve_md(two_region("annual", storage=True))
    _, monthly = _solve_md(two_region("monthly", storage=True))
    m_h, hourly = _solve_md(two_region("hourly", storage=True))
    _, no_storage = _solve_md(two_region("hourly", storage=False))
    _m_a, annual_no_storage = _solve_md(two_region("annual", storage=False))
    assert annual.status == monthly.status == hourly.status == annual_no_storage.status == "optimal"
    assert no_storage.status == "infeasible"  # the dark slices cannot be matched without storage
    assert annual_no_storage.objective == pytest.approx(annual.objective)  # annual matching does not need it
    assert hourly.objective >= monthly.objective - 1e-6 >= annual.objective - 2e-6
    assert hourly.objective > annual.objective * 1.05
    assert m_h.battery_power["b"].value + m_h.battery_power["a"].value > 0.1
    # hourly: every slice fully green; the battery covers 12 dark hours of 1 GW, losses included
    green = [m_h.green["s", t].value for t in range(4)]
    assert green == pytest.approx([1.0] * 4, abs=1e-6)
    energy = m_h.battery_energy["a"].value + m_h.battery_energy["b"].value
    assert energy >= 6.0 * 1.0 / 0.9 - 1e-6  # one 6-h dark slice ends each cycle, discharged at √0.81 = 0.9


def test_annual_hand_optimum():
    """Annual matching at 20/MWh grid: 1 GW of solar pays (saves grid + certificates), certificates cover the rest."""
    m, run = _solve_md(two_region("annual", storage=False))
    solar = m.solar["a"].value
    assert solar == pytest.approx(1.0, abs=1e-6)
    # cost = solar annuity + grid for the 12 dark hours a day + certificates for that same energy
    dark_gwh = 2 * 2190.0
    assert run.objective == pytest.approx(100.0 + 0.02 * dark_gwh + 0.005 * dark_gwh, rel=1e-9)


def _cost(china, **over):
    return solve(parse_scenario(scenario_dict(time={"mode": "monthly"}, **over)), region_set=china)


def test_policy_monotonicity(china):
    quotas = [0.6, 0.8, 1.0]
    costs_on = [_cost(china, policy={"green_share": {"min": q, "applies_to": "all"}}).total_cost for q in quotas]
    costs_off = [
        _cost(
            china, policy={"green_share": {"min": q, "applies_to": "all"}, "certificates": {"cross_region": False}}
        ).total_cost
        for q in quotas
    ]
    assert costs_on == sorted(costs_on)  # raising the quota never lowers cost
    assert costs_off == sorted(costs_off)
    for on, off in zip(costs_on, costs_off, strict=True):
        assert off >= on - 1e-6  # turning trading off never lowers cost
    off = _cost(
        china, policy={"green_share": {"min": 1.0, "applies_to": "all"}, "certificates": {"cross_region": False}}
    )
    c = off.tables["certificates"]
    assert len(c) == 0 or not c.cross_region.any()  # with trading off no certificate crosses a border


def test_certificate_caps_hold(china):
    pol = {
        "green_share": {"min": 1.0, "applies_to": "all"},
        "certificates": {"max_share": 0.3, "export_cap_gwh": {"ningxia": 50.0, "guizhou": 80.0}},
    }
    res = _cost(china, policy=pol)
    c = res.tables["certificates"]
    assert len(c) > 0
    sold = c.groupby("from_region").gwh.sum()
    assert sold.get("ningxia", 0.0) <= 50.0 + 1e-6
    assert sold.get("guizhou", 0.0) <= 80.0 + 1e-6
    s = res.tables["sites"].set_index("site_id")
    for site, gwh in c.groupby("site_id").gwh.sum().items():
        assert gwh <= 0.3 * s.at[site, "quota"] * s.at[site, "energy_gwh"] + 1e-6
    regions = res.tables["regions"].set_index("region_id")
    for r, gwh in sold.items():
        assert gwh <= regions.at[r, "cert_supply_gwh"] + 1e-6


def test_certificate_price_curve(china):
    steps = [{"gwh": 100.0, "price": 5.0}, {"gwh": 200.0, "price": 50.0}, {"price": 500.0}]
    pol = {"green_share": {"min": 1.0, "applies_to": "all"}, "certificates": {"price_steps": steps}}
    res = _cost(china, policy=pol)
    total = float(res.tables["certificates"].gwh.sum())
    expect = 5.0 * min(total, 100.0) + 50.0 * min(max(total - 100.0, 0.0), 200.0) + 500.0 * max(total - 300.0, 0)
    assert res.cost_breakdown["certificates"] == pytest.approx(expect / 1000.0, rel=1e-6, abs=1e-9)
    with pytest.raises(Exception, match="non-decreasing"):
        parse_scenario(scenario_dict(policy={"certificates": {"price_steps": [{"gwh": 1, "price": 9}, {"price": 1}]}}))


def test_quota_scope_named_sites(china):
    res = _cost(china, policy={"green_share": {"min": 0.9, "applies_to": ["guian"]}})
    s = res.tables["sites"].set_index("site_id")
    assert s.at["guian", "quota"] == 0.9
    assert s.at["zhongwei", "quota"] == 0.0 and s.at["yrd_demo_zone", "quota"] == 0.0


def test_market_based_carbon_cap_uses_certificates(china):
    base = _cost(china, policy={"green_share": {"min": 0.0, "applies_to": "none"}})
    cap = 0.5 * base.emissions_t["market_based"]
    res = _cost(
        china,
        policy={
            "green_share": {"min": 0.0, "applies_to": "none"},
            "carbon_cap_t": cap,
            "carbon_accounting": "market_based",
        },
    )
    assert res.emissions_t["market_based"] <= cap * (1 + 1e-6)
    assert res.total_cost >= base.total_cost - 1e-6


def test_gap_indicator_is_consistent(china):
    res = _cost(china, policy={"green_share": {"min": 0.8, "applies_to": "hubs"}})
    r = res.tables["regions"]
    expect = (r.added_load_mw - r.local_surplus_mw.clip(lower=0) - r.imported_mw).clip(lower=0)
    assert np.allclose(r.green_gap_mw, expect)
    assert (r.gap_mw.fillna(0) == 0).all()  # adequacy enforced: no firm-power gap is left
    assert np.allclose(r.local_surplus_mw, r.curtailed_mw + r.new_local_mw - r.exported_mw)
    reg = china.regions.set_index("id")
    ex = reg.loc["gansu"]
    curtailed = (
        ex.wind_gw * ex.wind_hours * (1 / ex.wind_utilisation - 1)
        + ex.solar_gw * ex.solar_hours * (1 / ex.solar_utilisation - 1)
    ) / 8.76
    assert r.set_index("region_id").at["gansu", "curtailed_mw"] == pytest.approx(curtailed)
    assert (r.import_headroom_mw >= -1e-6).all()
    assert np.allclose(r.added_energy_twh * 1000, r.added_energy_gwh)
