"""Region sets: bundled data loads, is connected and consistent; broken user sets fail with clear messages."""

from __future__ import annotations

import shutil
import warnings

import networkx as nx
import numpy as np
import pandas as pd
import pytest
from shapely.geometry import Point

from geodata import DataError, DataWarning, load_region_set
from geodata.profiles import _calibrate

from .conftest import FIXTURES

HUBS = {
    "zhangjiakou",
    "yrd_demo_zone",
    "wuhu",
    "shaoguan",
    "tianfu",
    "chongqing",
    "horinger",
    "guian",
    "qingyang",
    "zhongwei",
}


def test_china_has_31_connected_provinces(china):
    assert len(china.regions) == 31
    assert china.corridors.number_of_nodes() == 31
    assert nx.is_weakly_connected(china.corridors)
    assert china.regions.crs.to_epsg() == 4326
    assert {"inner_mongolia", "beijing", "xinjiang", "tibet", "hainan"} <= set(china.regions["id"])
    assert china.currency == "CNY"


def test_china_hub_sites_inside_their_province(china):
    assert set(china.hub_site_ids()) == HUBS
    geo = china.regions.set_index("id").geometry
    for s in china.sites[china.sites.kind == "hub_cluster"].itertuples():
        assert geo.loc[s.region_id].buffer(0.02).contains(Point(s.lon, s.lat)), s.id


def test_china_uhv_lines_present(china):
    ref = pd.read_csv(FIXTURES / "reference" / "china_uhv_corridors.csv")
    dc = china.corridor_table[china.corridor_table.kind == "uhv_dc"]
    rated = ref[ref.capacity_GW.notna() & ref.kV.str.contains("DC")]
    assert len(dc) >= len(rated)
    pairs = set(zip(dc.from_region, dc.to_region, strict=True))
    for r in rated.itertuples():
        a = r.from_province.lower().replace(" ", "_")
        for b in r.to_province.split(";"):
            assert (a, b.lower().replace(" ", "_")) in pairs, (a, b)


def test_us_has_48_states_and_every_reeds_pair(us):
    assert len(us.regions) == 48
    assert not {"AK", "HI", "DC"} & set(us.regions["id"])
    assert nx.is_weakly_connected(us.corridors)
    ref = pd.read_csv(FIXTURES / "reference" / "us_transfer_capacity_ac.csv")
    ids = set(us.regions["id"])
    for r in ref.itertuples():
        if "TX" in (r.state_a, r.state_b):
            # the TX region is ERCOT, reached only over its DC ties: S7's non-ERCOT Texas AC pairs are left out
            assert not us.corridors.has_edge(r.state_a, r.state_b) or us.corridors.edges[r.state_a, r.state_b][
                "kind"
            ] == "dc_link", (r.state_a, r.state_b)
            continue
        if r.state_a in ids and r.state_b in ids:
            if r.GW_a_to_b > 0:
                assert us.corridors.has_edge(r.state_a, r.state_b), (r.state_a, r.state_b)
                assert us.corridors.edges[r.state_a, r.state_b]["capacity_mw"] >= r.GW_a_to_b * 1000 - 1e-6
            if r.GW_b_to_a > 0:
                assert us.corridors.has_edge(r.state_b, r.state_a), (r.state_b, r.state_a)


@pytest.mark.parametrize("name", ["china", "us"])
def test_profiles_reproduce_calibrated_hours(name, china, us):
    rs = china if name == "china" else us
    prof = rs.profiles
    hours = prof.hours()
    reg = rs.regions.set_index("id")
    assert prof.wind.shape == (8760, len(reg))
    for tech in ("wind", "solar"):
        target = reg[f"{tech}_hours"]
        rel = (hours[tech] - target).abs() / target
        assert rel.max() < 0.01, rel.idxmax()
        df = getattr(prof, tech)
        assert df.to_numpy().min() >= 0 and df.to_numpy().max() <= 1
    # solar is zero at night: local midnight rows are all zero
    assert float(prof.solar.iloc[0].max()) == 0.0


def test_profiles_are_deterministic(china):
    from geodata.profiles import build_profiles

    reg = pd.DataFrame(china.regions.drop(columns="geometry")).head(3)
    a = build_profiles(reg, 2023, "Etc/GMT-8")
    b = build_profiles(reg, 2023, "Etc/GMT-8")
    assert np.array_equal(a.wind.to_numpy(), b.wind.to_numpy())


def test_calibration_hits_target():
    raw = np.abs(np.sin(np.arange(8760) / 7.0))
    out = _calibrate(raw, 3000.0)
    assert abs(out.sum() - 3000.0) < 1.0
    assert out.max() <= 1.0


def test_measured_profiles_take_precedence(tmp_path, china):
    col = np.full(8760, 0.5)
    pd.DataFrame({"gansu": col}).to_csv(tmp_path / "wind.csv", index=False)
    rs = load_region_set("china", profiles={"wind": tmp_path / "wind.csv"}, check_polygons=False)
    assert np.allclose(rs.profiles.wind["gansu"].to_numpy(), 0.5)
    assert rs.profiles.origin["wind:gansu"].startswith("measured")
    assert rs.profiles.origin["wind:ningxia"].startswith("synthetic")


def _user_set(tmp_path, edit):
    """Copy the US set to a user folder and apply ``edit(folder)``."""
    from geodata.regionset import bundled_path

    folder = tmp_path / "myset"
    shutil.copytree(bundled_path("us"), folder)
    edit(folder)
    return folder


def _edit_csv(folder, name, fn):
    p = folder / f"{name}.csv"
    df = pd.read_csv(p, dtype={"id": str})
    df = fn(df)
    df.to_csv(p, index=False)


def test_user_set_loads_like_bundled(tmp_path):
    folder = _user_set(tmp_path, lambda f: None)
    rs = load_region_set(folder)
    assert len(rs.regions) == 48


@pytest.mark.parametrize(
    ("name", "fn", "expect"),
    [
        (
            "corridors",
            lambda d: d.assign(to_region=d.to_region.where(d.index != 0, "ZZ")),
            "corridor to nowhere: unknown region 'ZZ'",
        ),
        ("regions", lambda d: pd.concat([d, d.iloc[[0]]]), "duplicated id"),
        (
            "regions",
            lambda d: d.assign(price_per_mwh=d.price_per_mwh.where(d.id != "TX", -5)),
            "field 'price_per_mwh': is negative",
        ),
        ("regions", lambda d: d.assign(wind_gw=d.wind_gw.where(d.id != "IA", np.nan)), "field 'wind_gw': is missing"),
        (
            "sites",
            lambda d: d.assign(region_id=d.region_id.where(d.id != "VA", "XX")),
            "field 'region_id': unknown region 'XX'",
        ),
        (
            "corridors",
            lambda d: d.assign(capacity_mw=d.capacity_mw.where(d.index != 3, -1)),
            "field 'capacity_mw': is negative",
        ),
        ("corridors", lambda d: d[(d.from_region != "ME") & (d.to_region != "ME")], "disconnected regions ME"),
    ],
)
def test_broken_user_set_fails_with_message(tmp_path, name, fn, expect):
    folder = _user_set(tmp_path, lambda f: _edit_csv(f, name, fn))
    with pytest.raises(DataError) as exc:
        load_region_set(folder)
    assert expect in str(exc.value)
    assert f"{name}.csv" in str(exc.value)


def test_site_outside_polygon_warns(tmp_path):
    folder = _user_set(
        tmp_path, lambda f: _edit_csv(f, "sites", lambda d: d.assign(lat=d.lat.where(d.id != "KS", 30.0)))
    )
    with warnings.catch_warnings(record=True) as rec:
        warnings.simplefilter("always")
        load_region_set(folder)
    msgs = [str(w.message) for w in rec if issubclass(w.category, DataWarning)]
    assert any("row KS" in m and "outside region 'KS'" in m for m in msgs)


def test_missing_folder_is_a_clear_error(tmp_path):
    with pytest.raises(DataError, match="is not a bundled set"):
        load_region_set(tmp_path / "nope")
