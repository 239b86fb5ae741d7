"""Invariants on solved shipped scenarios (time reduced to a few typical days to keep the suite fast)."""

from __future__ import annotations

import numpy as np
import pytest

from gridsite import load_scenario, solve

from .conftest import SCENARIOS

TOL = 1e-5


def _fast(sc, days=3):
    return sc.model_copy(update={"time": sc.time.model_copy(update={"days": days, "extreme_days": False})})


@pytest.fixture(scope="module")
def china_result(china):
    return solve(_fast(load_scenario(SCENARIOS / "china_hubs_2025.yaml")), region_set=china)


@pytest.fixture(scope="module")
def us_result(us):
    sc = load_scenario(SCENARIOS / "us_states_2026.yaml")
    return solve(_fast(sc, 2), region_set=us)


@pytest.fixture(params=["china", "us"])
def result(request, china_result, us_result):
    return china_result if request.param == "china" else us_result


def test_status_and_gap(result):
    assert result.status == "optimal"
    assert result.mip_gap is not None and result.mip_gap <= result.scenario.solver.mip_gap + 1e-9


def test_every_cluster_placed_once(result):
    a = result.tables["assignments"]
    n_expected = sum(c.count for c in result.scenario.clusters)
    assert len(a) == n_expected
    assert a.cluster_id.is_unique
    assert (a.status == "placed").all()
    assert (a.site_id != "").all()


def test_site_loads_within_limits(result):
    s = result.tables["sites"]
    assert (s.peak_facility_mw <= s.max_mw * (1 + TOL) + 1e-6).all()
    a = result.tables["assignments"]
    by_site = a.groupby("site_id").facility_mw.sum()
    for sid, mw in by_site.items():
        assert s.set_index("site_id").at[sid, "facility_mw"] == pytest.approx(mw, rel=1e-6)


def test_energy_balances_close(result):
    s = result.tables["sites"]
    assert np.allclose(s.grid_gwh + s.dedicated_green_gwh, s.energy_gwh, rtol=1e-6, atol=1e-6)
    assert (s.grid_gwh >= -1e-9).all()
    a = result.tables["assignments"]
    assert s.energy_gwh.sum() == pytest.approx(a.energy_gwh.sum(), rel=1e-6)


def test_flows_within_corridor_capacity(result):
    f = result.tables["flows"]
    assert (f.max_flow_mw <= f.capacity_mw * (1 + TOL) + 1e-6).all()
    assert (f.capacity_mw <= f.rated_mw + 1e-9).all()


def test_certificates_within_supply(result):
    c = result.tables["certificates"]
    r = result.tables["regions"].set_index("region_id")
    if len(c):
        sold = c.groupby("from_region").gwh.sum()
        for reg, gwh in sold.items():
            assert gwh <= r.at[reg, "cert_supply_gwh"] * (1 + TOL) + 1e-6
    assert r.cert_sold_gwh.sum() == pytest.approx(r.cert_bought_gwh.sum(), abs=1e-6)


def test_quota_met_where_it_applies(result):
    s = result.tables["sites"]
    used = s[(s.energy_gwh > 0) & (s.quota > 0)]
    assert len(used) > 0
    assert used.quota_met.all()
    assert (used.green_share >= used.quota - 1e-5).all()


def test_cost_breakdown_sums_to_objective(result):
    assert sum(result.cost_breakdown.values()) == pytest.approx(result.objective, rel=1e-7)
    assert result.total_cost == pytest.approx(result.objective, rel=1e-7)
    assert result.cost_breakdown["site_build"] > 0


def test_emissions_consistent(result):
    s = result.tables["sites"]
    assert result.emissions_t["location_based"] == pytest.approx(s.emissions_location_t.sum(), rel=1e-6)
    assert result.emissions_t["market_based"] <= result.emissions_t["location_based"] + 1e-6


def test_latency_budgets_hold(result, china, us):
    from geodata.geo import great_circle_km

    rs = china if result.currency == "CNY" else us
    centres = rs.demand_centres.set_index("id")
    sites = rs.sites.set_index("id")
    placement = result.placement()
    for c in result.scenario.clusters:
        if c.latency_ms is None:
            continue
        s = placement[c.id]
        for to in c.latency_ms.to:
            km = great_circle_km(sites.at[s, "lat"], sites.at[s, "lon"], centres.at[to, "lat"], centres.at[to, "lon"])
            assert 2 * km * c.latency_ms.route_factor / 200.0 <= c.latency_ms.max + 1e-9


def test_regions_table_balances(result):
    r = result.tables["regions"]
    assert r.region_id.is_unique
    assert (r.new_wind_mw <= r.wind_potential_mw + 1e-6).all()
    assert (r.new_solar_mw <= r.solar_potential_mw + 1e-6).all()
    f = result.tables["flows"]
    assert r.exported_gwh.sum() == pytest.approx(f.energy_gwh.sum(), rel=1e-6, abs=1e-6)


def test_sites_are_sized_on_design_power(result):
    s = result.tables["sites"]
    assert (s.facility_design_mw <= s.max_mw * (1 + TOL) + 1e-6).all()
    used = s[s.n_clusters > 0]
    assert (used.facility_design_mw >= used.peak_facility_mw - 1e-6).all()  # design ≥ the load shape's peak
    assert (used.facility_design_mw > used.facility_mw).all()  # ≥ average: utilisation < 1


def test_adequacy_holds_in_every_hour(result, china, us):
    """Recompute each region's hourly firm headroom from the region set and check the solution against it in all
    8,760 hours (so in every slice and at the peak): the uncovered load is carried, or shed within allowances."""
    rs = china if result.scenario.region_set == "china" else us
    reg = rs.regions.set_index("id")
    rm = float(rs.meta["reserve_margin_default"])
    t = result.tables["regions"].set_index("region_id")
    a = result.tables["assignments"]
    tech = rs.tech_costs.set_index("tech")
    avail = float(tech.at["firm_new", "availability"])
    checked = 0
    for r, row in t.iterrows():
        if not (row.added_peak_mw > 0 or row.grid_export_mw > 0):
            continue
        head = (reg.at[r, "firm_gw"] + reg.at[r, "firm_import_gw"]
                - reg.at[r, "peak_load_gw"] * rs.system_load[r].to_numpy() * (1 + rm)) * 1000.0
        assert row.headroom_mw == pytest.approx(head.min(), abs=1e-3)
        z = row.added_peak_mw + row.grid_export_mw - row.grid_import_mw - avail * row.new_firm_mw
        short = np.clip(z - np.clip(head, 0, None), 0, None)  # MW short in each hour
        allowance = float((a[a.region_id == r].max_curtailment * a[a.region_id == r].energy_gwh).sum())
        assert short.sum() / 1000.0 <= allowance + 1e-6, r
        assert row.gap_mw == 0.0
        checked += 1
    assert checked >= 3
