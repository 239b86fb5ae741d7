"""China prices rebuilt from tariff components (issue 15, round 2), responsibility weights and site overrides.

``geodata/data/china/tariff_components.csv`` holds, per province, the components of the large-industry two-part
price (energy, on-grid loss rate, T&D tariff, system operation, funds, demand charge) and ``geodata.tariffs``
rebuilds the all-in price from them. These tests pin the transcribed components against the tables they come from
(发改价格〔2026〕1077号 annex 1; the Beijing and Hubei agency-purchase tables), check that ``regions.csv`` carries
exactly the rebuilt price of every province, that the rebuild reproduces the two complete published tables, that
every derived part is flagged as an estimate, and that bad input is refused with a message naming file, row and
field.
"""

from __future__ import annotations

import csv
import shutil
from pathlib import Path

import pytest

from geodata.tariffs import (
    LOAD_FACTOR,
    all_in_price,
    demand_per_mwh,
    flat_price,
    load_components,
    loss_charge,
    rebuilt_prices,
)
from gridsite.errors import DataError

DATA = Path(__file__).resolve().parents[1] / "geodata" / "data" / "china"
DOCS = Path(__file__).resolve().parents[1] / "docs" / "data.md"

#: 发改价格〔2026〕1077号 annex 1: (110 kV two-part T&D CNY/MWh, 110 kV demand CNY/kW-month, on-grid loss rate)
TD_1077 = {
    "jiangsu": (78.8, 44.8, 0.0283),
    "anhui": (80.9, 40.8, 0.0390),
    "zhejiang": (76.7, 40.8, 0.0307),
    "shanghai": (95.3, 38.4, 0.0261),
    "ningxia": (56.7, 25.6, 0.0258),
    "inner_mongolia": (52.0, 31.2, 0.0281),  # 蒙西电网, not 蒙东 (87.0)
    "sichuan": (64.4, 27.0, 0.0564),
    "guangdong": (72.7, 31.0, 0.0331),  # 35-110 kV merged tier, province average excluding Shenzhen
    "hebei": (97.6, 32.0, 0.0408),  # 河北 (southern) grid, not 冀北 (92.5)
}
#: 2019 coal benchmarks (B1, CNY/kWh) used as the energy proxy of tier PB
B1 = {
    "anhui": 0.3844,
    "guangdong": 0.4530,
    "guangxi": 0.4207,
    "guizhou": 0.3515,
    "hainan": 0.4298,
    "hebei": 0.3644,
    "inner_mongolia": 0.2829,
    "jiangsu": 0.3910,
    "jiangxi": 0.4143,
    "liaoning": 0.3749,
    "ningxia": 0.2595,
    "qinghai": 0.3247,
    "shaanxi": 0.3545,
    "shandong": 0.3949,
    "shanghai": 0.4155,
    "shanxi": 0.3320,
    "sichuan": 0.4012,
    "tianjin": 0.3655,
    "xinjiang": 0.2500,
    "yunnan": 0.3358,
    "zhejiang": 0.4153,
}
#: 2025 agency-purchase energy prices (PE, CNY/kWh)
PE = {"henan": 0.405, "jilin": 0.4043, "heilongjiang": 0.3873, "hunan": 0.4578, "fujian": 0.4116, "gansu": 0.2683}
#: system-operation charges (CNY/kWh) of the two complete tables: Beijing 2024-07 (1-10 kV), Hubei 2026-01 (110 kV)
SYSTEM_BJ, SYSTEM_HB = 0.026306, 0.082273


@pytest.fixture(scope="module")
def comp():
    return load_components(DATA).set_index("region_id")


@pytest.fixture(scope="module")
def regions() -> dict[str, dict[str, str]]:
    with open(DATA / "regions.csv", encoding="utf-8", newline="") as fh:
        return {row["id"]: row for row in csv.DictReader(fh)}


def test_formula_pieces():
    # D·12·1000/(8760·0.8): Hubei's 39 CNY/kW-month is 66.78 CNY/MWh at a load factor of 0.8
    assert LOAD_FACTOR == 0.8
    assert demand_per_mwh(39.0) == pytest.approx(66.781, abs=1e-3)
    # buying E·r/(1-r) more energy covers losses r of the energy delivered: 400 at 5 % -> 21.05
    assert loss_charge(400.0, 0.05) == pytest.approx(21.0526, abs=1e-4)
    row = {
        "tier": "PB",
        "energy_per_mwh": 400.0,
        "loss_rate": 0.05,
        "td_per_mwh": 80.0,
        "system_per_mwh": 50.0,
        "funds_per_mwh": 30.0,
        "flat_per_mwh": float("nan"),
        "demand_per_kw_month": 30.0,
    }
    assert flat_price(row) == pytest.approx(400 + 21.0526 + 80 + 50 + 30, abs=1e-3)
    assert all_in_price(row) == pytest.approx(flat_price(row) + 30 * 12000 / (8760 * 0.8), abs=1e-9)
    pt = {"tier": "PT", "flat_per_mwh": 660.0, "demand_per_kw_month": float("nan")}
    assert all_in_price(pt) == 660.0


def test_every_province_has_one_component_row_and_regions_carry_the_rebuilt_price(comp, regions):
    assert set(comp.index) == set(regions) and len(comp) == 31
    rebuilt = rebuilt_prices(DATA)
    for rid, row in regions.items():
        assert float(row["price_per_mwh"]) == pytest.approx(rebuilt[rid], abs=0.05), rid


def test_tiers_match_the_sources(comp):
    tiers = comp["tier"].to_dict()
    assert {r for r, t in tiers.items() if t == "PT"} == {"beijing", "chongqing", "hubei", "tibet"}
    assert {r for r, t in tiers.items() if t == "PE"} == set(PE)
    assert {r for r, t in tiers.items() if t == "PB"} == set(B1)
    for rid, e in PE.items():
        assert comp.loc[rid, "energy_per_mwh"] == pytest.approx(e * 1000, abs=0.05), rid
        assert f"PE:{rid} " in comp.loc[rid, "source"]
    for rid, e in B1.items():
        assert comp.loc[rid, "energy_per_mwh"] == pytest.approx(e * 1000, abs=0.05), rid


@pytest.mark.parametrize("rid", sorted(TD_1077))
def test_transcribed_1077_components(comp, rid):
    td, demand, loss = TD_1077[rid]
    assert comp.loc[rid, "td_per_mwh"] == td
    assert comp.loc[rid, "demand_per_kw_month"] == demand
    assert comp.loc[rid, "loss_rate"] == loss
    assert "1077号" in comp.loc[rid, "source"] and "2026-08" in comp.loc[rid, "source"]


def test_rebuilt_rows_use_110kv_or_the_merged_tier(comp):
    rebuilt = comp[comp["tier"] != "PT"]
    assert set(rebuilt["voltage"]) <= {"110kV", "110(66)kV", "35-110kV"}
    assert set(rebuilt.loc[rebuilt["voltage"] == "35-110kV"].index) == {"guangdong"}


def test_system_operation_estimate_is_the_mean_of_the_two_complete_tables(comp):
    s = round((SYSTEM_BJ + SYSTEM_HB) / 2 * 1000, 1)
    assert s == 54.3
    rebuilt = comp[comp["tier"] != "PT"]
    assert (rebuilt["system_per_mwh"] == s).all()
    assert rebuilt["estimate"].str.contains("system_per_mwh").all()
    assert comp.loc[list(B1), "estimate"].str.contains("energy_per_mwh").all()


def test_rebuild_reproduces_the_two_complete_published_tables_within_5_percent(comp):
    """Apply the PE/PB formula to Beijing and Hubei with their own published energy, T&D, funds and demand charge
    (and the estimated system charge and 1077号 loss rates): it must land within 5 % of what the tables print."""
    beijing = {
        "tier": "PE",
        "energy_per_mwh": 409.176,
        "loss_rate": 0.0311,
        "td_per_mwh": 205.0,
        "system_per_mwh": 54.3,
        "funds_per_mwh": 27.168,
        "demand_per_kw_month": 52.0,
    }
    hubei = {
        "tier": "PE",
        "energy_per_mwh": 384.470,
        "loss_rate": 0.0455,
        "td_per_mwh": 88.4,
        "system_per_mwh": 54.3,
        "funds_per_mwh": 45.2,
        "demand_per_kw_month": 39.0,
    }
    published_bj = all_in_price(comp.loc["beijing"].to_dict() | {"tier": "PT"})
    published_hb = all_in_price(comp.loc["hubei"].to_dict() | {"tier": "PT"})
    assert published_bj == pytest.approx(768.66, abs=0.05) and published_hb == pytest.approx(680.77, abs=0.05)
    assert all_in_price(beijing) == pytest.approx(published_bj, rel=0.05)
    assert all_in_price(hubei) == pytest.approx(published_hb, rel=0.05)


def test_published_table_components_add_up(comp):
    for rid in ("beijing", "hubei"):
        row = comp.loc[rid]
        parts = ["energy_per_mwh", "td_per_mwh", "system_per_mwh", "funds_per_mwh"]
        loss = {"beijing": 12.185, "hubei": 13.643}[rid]
        assert sum(float(row[p]) for p in parts) + loss == pytest.approx(row["flat_per_mwh"], abs=0.01), rid
    # Chongqing's demand charge is the 2026-08 1-10 kV one (1077号), flagged as an estimate for the 2025-02 table
    assert comp.loc["chongqing", "demand_per_kw_month"] == 35.2
    assert "demand_per_kw_month" in comp.loc["chongqing", "estimate"]


def test_regions_sources_name_tier_components_and_estimates(comp, regions):
    for rid, row in regions.items():
        tokens = row["source"].split(";")
        tier = comp.loc[rid, "tier"]
        assert sum(t.startswith(("PT:", "PE:", "PB:")) for t in tokens) == 1, rid
        if tier in ("PE", "PB"):
            assert f"{tier}:{rid} " in row["source"] and "FG" in tokens, rid
            assert any(t.startswith(f"TD:{rid} 2026-08") for t in tokens), rid
            assert "system operation 54.3" in row["source"], rid
        if tier == "PB":
            assert "2019 coal benchmark proxy" in row["source"], rid


def test_prices_keep_the_expected_geography(regions):
    price = {rid: float(row["price_per_mwh"]) for rid, row in regions.items()}
    assert all(400 <= p <= 900 for p in price.values()), price
    west = ("xinjiang", "ningxia", "gansu", "inner_mongolia")
    coast = ("guangdong", "shanghai", "zhejiang", "jiangsu")
    assert max(price[r] for r in west) < min(price[r] for r in coast)


def test_site_overrides_are_2025_or_flagged_and_below_their_provincial_price(regions):
    with open(DATA / "sites.csv", encoding="utf-8", newline="") as fh:
        sites = {row["id"]: row for row in csv.DictReader(fh)}
    priced = {sid: row for sid, row in sites.items() if row["price_per_mwh"]}
    assert set(priced) == {"horinger", "guian", "qingyang", "zhongwei"}
    for sid, row in priced.items():
        assert "2025" in row["source"] or "vintage 2020, flagged" in row["source"], sid
        # discounted local deals: below the province's large-industry price
        assert float(row["price_per_mwh"]) < float(regions[row["region_id"]]["price_per_mwh"]), sid


def test_responsibility_weights_total_covers_non_hydro_and_2024_status_is_documented(regions):
    for rid, row in regions.items():
        total, nonhydro = float(row["rps_total"]), float(row["rps_nonhydro"])
        assert 0.0 <= nonhydro <= total <= 0.7, rid
    # still the 2023 weights of 发改办能源〔2023〕569号 (R1): Heilongjiang 24.5 / 22.7
    assert (float(regions["heilongjiang"]["rps_total"]), float(regions["heilongjiang"]["rps_nonhydro"])) == (
        0.245,
        0.227,
    )
    text = DOCS.read_text(encoding="utf-8")
    assert "发改办能源〔2024〕598号" in text and "发改办能源〔2025〕669号" in text


def _broken_copy(tmp_path: Path, old: str, new: str) -> Path:
    folder = tmp_path / "china"
    folder.mkdir()
    shutil.copy(DATA / "tariff_components.csv", folder / "tariff_components.csv")
    path = folder / "tariff_components.csv"
    text = path.read_text(encoding="utf-8")
    assert old in text
    path.write_text(text.replace(old, new, 1), encoding="utf-8")
    return folder


def test_bad_tier_is_refused_naming_file_row_field_and_allowed(tmp_path):
    folder = _broken_copy(tmp_path, "anhui,PB,", "anhui,XX,")
    with pytest.raises(DataError) as err:
        load_components(folder)
    msg = str(err.value)
    assert "tariff_components.csv" in msg and "row anhui" in msg and "field 'tier'" in msg and "PT, PE, PB" in msg


def test_bad_loss_rate_is_refused(tmp_path):
    folder = _broken_copy(tmp_path, "0.039,80.9", "0.39,80.9")
    with pytest.raises(DataError) as err:
        load_components(folder)
    assert "field 'loss_rate'" in str(err.value) and "0 <= value < 0.2" in str(err.value)


def test_missing_file_is_refused(tmp_path):
    with pytest.raises(DataError, match=r"tariff_components\.csv: file not found"):
        load_components(tmp_path)
