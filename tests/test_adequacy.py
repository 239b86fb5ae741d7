"""Regional supply adequacy: hand-computed tiny cases on a region set with synthetic, known headroom.

Every region gets firm 100 GW against a 50 GW peak (plenty of room) except Shanghai: firm 10 GW, peak 9.9 GW,
no reserve margin, and a system load at its peak for 10 hours of the year and at half of it otherwise. Shanghai's
headroom is therefore 100 MW in 10 hours and 5,150 MW in the other 8,750. One training cluster of 100 MW IT design
power at the YRD demo zone (PUE 1.25) adds a 125 MW peak: 25 MW short for 10 hours (0.25 GWh a year).
"""

from __future__ import annotations

import dataclasses

import numpy as np
import pandas as pd
import pytest

from gridsite import InfeasibleError, build_summary, parse_scenario, solve
from optimizer.model.adapter import annuity_per_kw
from optimizer.model.families.adequacy import breakpoints, shed_needed

from .conftest import scenario_dict

PEAK_HOURS = 10
SHORT_MW = 25.0  # 125 MW added peak − 100 MW headroom at the peak hours
AVAILABILITY = 0.9  # firm share of new firm capacity in the test technology


@pytest.fixture(scope="module")
def tight(china):
    reg = china.regions.copy()
    reg["firm_gw"] = np.where(reg["id"] == "shanghai", 10.0, 100.0)
    reg["firm_import_gw"] = 0.0
    reg["peak_load_gw"] = np.where(reg["id"] == "shanghai", 9.9, 50.0)
    shape = np.full(8760, 0.5)
    shape[4000 : 4000 + PEAK_HOURS] = 1.0
    load = pd.DataFrame({r: shape for r in reg["id"]})
    tech = china.tech_costs[china.tech_costs.tech != "firm_new"].copy()
    firm = {"tech": "firm_new", "capex_per_kw": 4000.0, "fom_per_kw_yr": 100.0, "lifetime_yr": 30, "availability":
            AVAILABILITY, "source": "test"}
    tech = pd.concat([tech, pd.DataFrame([firm])], ignore_index=True)
    rs = dataclasses.replace(
        china, regions=reg, tech_costs=tech, meta={**china.meta, "reserve_margin_default": 0.0}
    )
    rs.__dict__["system_load"] = load  # what RegionSet.system_load returns (a cached property)
    rs.__dict__["profiles"] = china.profiles
    return rs


def _scenario(time_mode: str = "annual", **grid):
    adequacy = grid.pop("adequacy", {})
    return parse_scenario(
        scenario_dict(
            sites={"include": ["yrd_demo_zone"]},
            clusters=[{"id": "a", "mw": 100, "workload": "training", **grid.pop("cluster", {})}],
            policy={"green_share": {"min": 0.0, "applies_to": "none"}},
            grid={"new_renewables": False, "adequacy": {"reserve_margin": 0.0, **adequacy}, **grid},
            time={"mode": time_mode, "days": 2},
        )
    )


def _region(res, r="shanghai"):
    t = res.tables["regions"].set_index("region_id")
    return t.loc[r]


def test_duration_curve_is_exact_at_breakpoints_and_never_optimistic():
    rng = np.random.default_rng(1)
    h = np.sort(rng.uniform(0.0, 3.0, 8760))
    segs = breakpoints(h)
    for z in (-1.0, 0.0, h[0], h[5], h[100], 1.5, h[-1], 4.0):
        pwl = max(f + slope * (z - z0) for z0, f, slope in segs)
        exact = shed_needed(h, z)
        assert max(pwl, 0.0) >= exact - 1e-6  # over-estimate between breakpoints, exact at them
        assert max(pwl, 0.0) <= exact * 1.02 + 1e-6  # within 2 % (ratio 1.2 between breakpoints)
    for z0, f, _slope in segs:
        assert f == pytest.approx(shed_needed(h, z0), abs=1e-6)


@pytest.mark.parametrize("time_mode", ["annual", "monthly", "representative_days"])
def test_headroom_exceeded_is_met_by_firm_imports(tight, time_mode):
    # the 10 peak hours bind in every time mode: the rows use all 8,760 hours, not the slices' means
    res = solve(_scenario(time_mode), region_set=tight)
    sh = _region(res)
    assert sh.headroom_mw == pytest.approx(100.0)
    assert sh.added_peak_mw == pytest.approx(125.0)
    assert sh.grid_import_mw == pytest.approx(SHORT_MW, abs=1e-3)
    assert sh.new_firm_mw == pytest.approx(0.0, abs=1e-6)
    assert sh.gap_mw == 0.0


def test_without_imports_new_firm_is_built_at_its_annuity(tight):
    res = solve(_scenario(corridor_spare_share=0.0), region_set=tight)
    sh = _region(res)
    assert sh.grid_import_mw == pytest.approx(0.0, abs=1e-9)
    assert sh.new_firm_mw == pytest.approx(SHORT_MW / AVAILABILITY, rel=1e-6)
    annuity = annuity_per_kw(tight.tech_costs, "firm_new", float(tight.meta.get("wacc", 0.06)))  # M per GW-yr
    assert res.cost_breakdown["new_firm"] == pytest.approx(annuity * SHORT_MW / AVAILABILITY / 1000.0, rel=1e-6)


def test_new_firm_off_and_no_imports_is_infeasible_with_the_shortfall_named(tight):
    sc = _scenario(corridor_spare_share=0.0, adequacy={"new_firm": False})
    with pytest.raises(InfeasibleError) as exc:
        solve(sc, region_set=tight)
    text = str(exc.value)
    assert any(d.kind == "adequacy" and d.subject == "shanghai" for d in exc.value.diagnosis)
    assert "shanghai" in text and "25 MW" in text and "new firm capacity is off" in text


def test_flexibility_replaces_firm_capacity_and_never_raises_cost(tight):
    rigid = solve(_scenario(corridor_spare_share=0.0), region_set=tight)
    flex = solve(_scenario(corridor_spare_share=0.0, cluster={"flexibility": {"max_curtailment": 0.005}}),
                 region_set=tight)
    assert _region(rigid).new_firm_mw > 0
    assert _region(flex).new_firm_mw == pytest.approx(0.0, abs=1e-6)
    # the cluster sheds 25 MW for the 10 peak hours: 0.25 GWh
    assert _region(flex).shed_gwh == pytest.approx(SHORT_MW * PEAK_HOURS / 1000.0, rel=1e-6)
    assert build_summary(flex)["demand"]["curtailed_twh"] == pytest.approx(0.25e-3, rel=1e-6)
    assert flex.total_cost <= rigid.total_cost + 1e-9
    assert rigid.total_cost - flex.total_cost == pytest.approx(rigid.cost_breakdown["new_firm"], rel=1e-6)


def test_report_mode_places_freely_and_reports_the_gap(tight):
    res = solve(_scenario(corridor_spare_share=0.0, adequacy={"mode": "report", "new_firm": False}), region_set=tight)
    sh = _region(res)
    assert sh.gap_mw == pytest.approx(SHORT_MW)
    assert res.cost_breakdown["new_firm"] == 0.0
