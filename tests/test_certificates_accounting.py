"""Certificates and accounting: tie-break pass, grid-mix obligation on certificate supply, local time of inference."""

from __future__ import annotations

import shutil

import numpy as np
import pandas as pd
import pytest

from geodata import load_region_set
from geodata.geo import great_circle_km
from geodata.regionset import bundled_path
from gridsite import parse_scenario, solve
from optimizer.model.adapter import build_model_data
from optimizer.model.build import build_model

from .conftest import scenario_dict

MW = 100.0
PUE_GUIAN = 1.2


def _guian(**over) -> dict:
    """One 100 MW training cluster at Gui'an (Guizhou), annual slices, certificates the only green supply."""
    base = scenario_dict(
        time={"mode": "annual"},
        sites={"include": ["guian"]},
        clusters=[{"id": "a", "mw": MW, "workload": "training", "utilisation": 1.0}],  # average = design
        grid={"new_renewables": False},
    )
    for k, v in over.items():
        base[k] = {**base.get(k, {}), **v} if isinstance(v, dict) else v
    return base


# --- 1. tie-break: certificate trades shown are the ones the optimum needs -------------------------------------


@pytest.mark.parametrize("mode", [True, "exact"])
def test_home_certificates_win_ties_and_cost_is_unchanged(china, mode):
    """Every province sells at the same price and Guizhou's surplus (9.4 TWh) covers the site's ~0.84 TWh: the
    tie-break (the charge in the objective, or the exact second LP) leaves no cross-province certificate, at the
    cost of the solve without it (home certificates weigh 0, so the charge itself is 0 here)."""
    tidy = solve(parse_scenario(_guian(solver={"tidy": mode})), region_set=china)
    raw = solve(parse_scenario(_guian(solver={"tidy": False})), region_set=china)
    certs = tidy.tables["certificates"]
    need = 0.8 * MW * PUE_GUIAN * 8.76  # GWh
    assert certs.gwh.sum() == pytest.approx(need, rel=1e-6)
    assert not certs.cross_region.any(), certs
    assert set(certs.from_region) == {"guizhou"}
    assert tidy.total_cost == pytest.approx(raw.total_cost, rel=1e-9, abs=1e-5)
    assert tidy.cost_breakdown["tie_break"] == pytest.approx(0.0, abs=1e-9)
    if mode == "exact":
        assert any(n.startswith("tie-break ran in") for n in tidy.notes)
        assert "tidy" in tidy.timings_s
    else:
        assert any(n.startswith("tie-break charge") for n in tidy.notes)
        assert "tidy" not in tidy.timings_s  # one HiGHS run only
    assert "tidy" not in raw.timings_s
    assert not any(n.startswith("tie-break") for n in raw.notes)


def test_tie_break_charge_is_in_the_objective_and_small(china):
    """Certificates only from other provinces (Guizhou offers none): the charge is ε · D with D the distance-weighted
    volume, it is in the cost breakdown and the objective, and it is ~1e-5 of the total."""
    sc = parse_scenario(_guian(policy={"certificates": {"supply_share": 0.05}}))
    md, _ = build_model_data(sc, china)
    res = solve(sc, region_set=china)
    certs = res.tables["certificates"]
    pts = md.region_latlon
    dist = sum(
        row.gwh * float(great_circle_km(*pts[row.from_region], *pts["guizhou"])) / 1000.0
        for row in certs.itertuples()
        if row.from_region != "guizhou"
    )
    assert dist > 0
    charge = res.cost_breakdown["tie_break"]
    assert charge == pytest.approx(md.tie_break_charge * dist, rel=1e-6)
    assert res.total_cost == pytest.approx(res.objective, rel=1e-7)
    assert 0 < charge < 1e-4 * res.total_cost


def test_tie_free_plan_skips_the_tie_break_and_keeps_the_first_pass(china):
    """No quota: the first pass buys no certificate and moves nothing over corridors (distance 0, the minimum), so
    the exact tie-break LP is skipped and the result is the first pass's, table for table."""
    free = {"green_share": {"min": 0.0}}
    tidy = solve(parse_scenario(_guian(policy=free, solver={"tidy": "exact"})), region_set=china)
    raw = solve(parse_scenario(_guian(policy=free, solver={"tidy": False})), region_set=china)
    assert any(n.startswith("tie-break skipped") for n in tidy.notes)
    assert not any(n.startswith("tie-break ran") for n in tidy.notes)
    assert tidy.timings_s["tidy_highs"] == 0.0
    assert tidy.total_cost == raw.total_cost
    for name in ("assignments", "sites", "regions", "flows", "certificates"):
        pd.testing.assert_frame_equal(tidy.tables[name], raw.tables[name])


def test_shortfall_is_bought_from_the_nearest_seller(china):
    """With 5 % of every surplus offered, Guizhou covers only part of the quota: the rest comes from the seller
    nearest to Guizhou (great-circle between region points), and nothing from anywhere else."""
    sc = parse_scenario(_guian(policy={"certificates": {"supply_share": 0.05}}))
    md, _ = build_model_data(sc, china)
    res = solve(sc, region_set=china)
    certs = res.tables["certificates"].groupby("from_region").gwh.sum()
    need = 0.8 * MW * PUE_GUIAN * 8.76
    home = md.cert_supply_gwh["guizhou"]
    assert home < need
    pts = md.region_latlon
    others = [r for r in md.regions if r != "guizhou" and md.cert_supply_gwh[r] > 0]
    nearest = min(others, key=lambda r: float(great_circle_km(*pts["guizhou"], *pts[r])))
    assert md.cert_supply_gwh[nearest] >= need - home  # the nearest one can cover the rest alone
    assert certs["guizhou"] == pytest.approx(home, rel=1e-6)
    assert certs[nearest] == pytest.approx(need - home, rel=1e-6)
    assert set(certs.index) == {"guizhou", nearest}


# --- 2. grid mix counts: the added obligation consumes the host region's certificate supply --------------------


def _china_with_guizhou_surplus(tmp_path, surplus_gwh: float):
    """A copy of the China set whose Guizhou consumption is set so that its certificate surplus is ``surplus_gwh``."""
    dst = tmp_path / f"china_{surplus_gwh:g}"
    shutil.copytree(bundled_path("china"), dst)
    reg = pd.read_csv(dst / "regions.csv", dtype=str, keep_default_na=False)
    row = reg.index[reg.id == "guizhou"][0]
    f = {c: float(reg.at[row, c]) for c in ("wind_gw", "wind_hours", "solar_gw", "solar_hours", "rps_nonhydro")}
    gen = f["wind_gw"] * f["wind_hours"] + f["solar_gw"] * f["solar_hours"]
    reg.at[row, "consumption_twh"] = repr((gen - surplus_gwh) / (f["rps_nonhydro"] * 1000.0))
    reg.to_csv(dst / "regions.csv", index=False)
    return load_region_set(str(dst)), f["rps_nonhydro"]


@pytest.mark.parametrize(("spare_gwh", "matching"), [(0.0, "annual"), (100.0, "annual"), (0.0, "monthly")])
def test_grid_mix_obligation_eats_the_host_surplus(tmp_path, spare_gwh, matching):
    """Hand case: the site draws E = 100 MW × 1.2 × 8760 h = 1051.2 GWh from the Guizhou grid (no dedicated green).
    With the grid mix counted, Guizhou's obligation rises by ρ_nh·E; its surplus is set to ρ_nh·E + spare, so it
    can sell exactly ``spare`` GWh (0: the surplus is eaten and it sells nothing). The quota needs
    (0.8 − ρ_total)·E GWh of certificates; the rest comes from other provinces. Under monthly matching the flat
    load eats each month's share of the surplus exactly, so nothing is sold in any month."""
    energy = MW * PUE_GUIAN * 8.76
    probe = load_region_set("china").regions.set_index("id")
    rho_nh = float(probe.at["guizhou", "rps_nonhydro"])
    rho_total = float(probe.at["guizhou", "rps_total"])
    rs, _ = _china_with_guizhou_surplus(tmp_path, rho_nh * energy + spare_gwh)
    green_share = {"min": 0.8, "applies_to": "hubs", "grid_mix_counts": True, "matching": matching}
    sc = parse_scenario(_guian(policy={"green_share": green_share}, time={"mode": matching}))
    md, _ = build_model_data(sc, rs)
    assert md.cert_supply_gwh["guizhou"] == pytest.approx(rho_nh * energy + spare_gwh, rel=1e-9)
    res = solve(sc, region_set=rs)
    certs = res.tables["certificates"]
    home = float(certs.loc[certs.from_region == "guizhou", "gwh"].sum())
    assert home == pytest.approx(spare_gwh, abs=1e-4)  # without the obligation it would sell its whole surplus
    assert certs.gwh.sum() == pytest.approx((0.8 - rho_total) * energy, rel=1e-6)
    regions = res.tables["regions"].set_index("region_id")
    assert regions.at["guizhou", "cert_sold_gwh"] == pytest.approx(spare_gwh, abs=1e-4)


def test_obligation_not_applied_without_grid_mix(tmp_path):
    """Control: the same region set without grid_mix_counts sells from its whole (small) surplus first."""
    energy = MW * PUE_GUIAN * 8.76
    rho_nh = float(load_region_set("china").regions.set_index("id").at["guizhou", "rps_nonhydro"])
    rs, _ = _china_with_guizhou_surplus(tmp_path, rho_nh * energy)
    res = solve(parse_scenario(_guian()), region_set=rs)
    certs = res.tables["certificates"]
    home = float(certs.loc[certs.from_region == "guizhou", "gwh"].sum())
    assert home == pytest.approx(rho_nh * energy, rel=1e-6)


# --- 3. inference load follows each state's own local time -----------------------------------------------------


def _tz_model_data(us, mode: str):
    sc = parse_scenario(
        {
            "name": "tz",
            "region_set": "us",
            "time": {"mode": mode},
            "sites": {"include": ["CA", "NY"]},
            "clusters": [
                {"id": "ca", "mw": 50, "workload": "inference", "sites": ["CA"]},
                {"id": "ny", "mw": 50, "workload": "inference", "sites": ["NY"]},
            ],
            "policy": {"green_share": {"min": 0.0, "applies_to": "none"}},
        }
    )
    return sc, *build_model_data(sc, us)


@pytest.mark.parametrize("mode", ["hourly", "representative_days"])
def test_inference_peaks_at_local_evening(us, mode):
    """California's inference load peaks at 20:00 Pacific (the hours starting 19:00 and 20:00 PST = 03:00 and 04:00
    UTC), New York's at 20:00 Eastern (00:00 and 01:00 UTC): in slice time CA's shape is NY's three hours later."""
    _sc, md, _ = _tz_model_data(us, mode)
    ca, ny = md.inference_shape("CA"), md.inference_shape("NY")
    utc = md.slices.start_hour_utc
    assert ca.max() == pytest.approx(ny.max())
    assert set(np.unique(utc[np.isclose(ca, ca.max())])) == {3.0, 4.0}
    assert set(np.unique(utc[np.isclose(ny, ny.max())])) == {0.0, 1.0}
    day = slice(24, 48)  # one whole (typical) day of hourly slices, starting at 00:00 Eastern
    assert np.allclose(ca[day], np.roll(ny[day], 3))
    w = md.slices.weight
    assert (w * ca).sum() == pytest.approx(w.sum(), rel=1e-9)  # the mean stays 1: same annual energy
    assert np.allclose(ny, md.slices.inference_shape)  # New York is in the set's own zone (UTC−5)


def test_local_shape_reaches_the_model_rows(us):
    """The site_balance row of slice t carries −shape_s,t on load_inference[s], per site's own time zone."""
    _sc, md, _ = _tz_model_data(us, "representative_days")
    m = build_model(md)
    from pyomo.repn import generate_standard_repn

    def coef(site: str, t: int) -> float:
        repn = generate_standard_repn(m.site_balance[site, t].body, compute_values=False)
        return next(-c for v, c in zip(repn.linear_vars, repn.linear_coefs, strict=True) if v is m.load_inference[site])

    ca = [coef("CA", t) for t in range(24)]
    ny = [coef("NY", t) for t in range(24)]
    assert np.allclose(ca, md.inference_shape("CA")[:24]) and np.allclose(ny, md.inference_shape("NY")[:24])
    assert int(np.argmax(ca)) == int(np.argmax(ny)) + 3


def test_annual_slices_keep_one_shape(us):
    _sc, md, _ = _tz_model_data(us, "annual")
    assert md.slices.start_hour_utc is None
    assert np.allclose(md.inference_shape("CA"), md.inference_shape("NY"))


def test_bad_utc_offset_is_a_clear_data_error(tmp_path):
    from gridsite.errors import DataError

    dst = tmp_path / "us_bad"
    shutil.copytree(bundled_path("us"), dst)
    reg = pd.read_csv(dst / "regions.csv", dtype=str, keep_default_na=False)
    reg.loc[reg.id == "CA", "utc_offset_h"] = "-20"
    reg.to_csv(dst / "regions.csv", index=False)
    with pytest.raises(DataError, match="utc_offset_h"):
        load_region_set(str(dst))
