"""China prices and policy as of 2024–2025: sources, vintages, ranges and spot checks on the shipped data.

The figures asserted here are the documented ones in docs/data.md (China set: source keys PT, PE, PF, S5, S5r;
regions.csv `price_per_mwh` and `ef_t_per_mwh`; sites.csv `price_per_mwh`). A wrong transcription, a lost
source or vintage, or a reverted value makes one of these tests fail. The component-level rebuild of the PE and PB
prices (tariff_components.csv) is tested in test_prices_policy_china_2024.py.
"""

from __future__ import annotations

import csv
import re
from pathlib import Path

import pytest

DATA = Path(__file__).resolve().parents[1] / "geodata" / "data" / "china"
DOCS = Path(__file__).resolve().parents[1] / "docs" / "data.md"

#: demand charge (CNY/kW-month) -> CNY/MWh at the documented load factor 0.8
LOAD_FACTOR = 0.8

#: MEE/NBS 公告2025年第47号, annex table 3 (2023 provincial factors, kgCO2/kWh = tCO2/MWh)
EF_2023 = {
    "beijing": 0.5554, "tianjin": 0.6796, "hebei": 0.6516, "shanxi": 0.6634, "inner_mongolia": 0.6479,
    "liaoning": 0.4878, "jilin": 0.4671, "heilongjiang": 0.5229, "shanghai": 0.5737, "jiangsu": 0.5827,
    "zhejiang": 0.4974, "anhui": 0.6553, "fujian": 0.4211, "jiangxi": 0.5836, "shandong": 0.6191,
    "henan": 0.5897, "hubei": 0.4044, "hunan": 0.4976, "guangdong": 0.4419, "guangxi": 0.4476,
    "hainan": 0.3648, "chongqing": 0.5581, "sichuan": 0.1564, "guizhou": 0.5683, "yunnan": 0.1333,
    "shaanxi": 0.6335, "gansu": 0.4471, "qinghai": 0.1796, "ningxia": 0.6187, "xinjiang": 0.6021,
}
#: the 2022 factors shipped before this update (MEE/NBS, published 2024-12), for the direction-of-change check
EF_2022 = {
    "anhui": 0.6782, "beijing": 0.558, "chongqing": 0.5227, "fujian": 0.4092, "gansu": 0.4772, "guangdong": 0.4403,
    "guangxi": 0.4044, "guizhou": 0.4989, "hainan": 0.4184, "hebei": 0.7252, "heilongjiang": 0.5368,
    "henan": 0.6058, "hubei": 0.4364, "hunan": 0.49, "inner_mongolia": 0.6849, "jiangsu": 0.5978,
    "jiangxi": 0.5752, "jilin": 0.4932, "liaoning": 0.5626, "ningxia": 0.6423, "qinghai": 0.1567,
    "shaanxi": 0.6558, "shandong": 0.641, "shanghai": 0.5849, "shanxi": 0.7096, "sichuan": 0.1404,
    "tianjin": 0.7041, "xinjiang": 0.6231, "yunnan": 0.1073, "zhejiang": 0.5153,
}
#: 2025 agency-purchase energy prices (CNY/kWh) of source key PE
PE_ENERGY = {"henan": 0.405, "jilin": 0.4043, "heilongjiang": 0.3873, "hunan": 0.4578, "fujian": 0.4116,
             "gansu": 0.2683}
#: 2019 coal benchmarks (CNY/kWh, B1) of the provinces whose energy component is the benchmark (tier PB)
BENCHMARK = {
    "anhui": 0.3844, "guangdong": 0.4530, "guangxi": 0.4207, "guizhou": 0.3515, "hainan": 0.4298, "hebei": 0.3644,
    "inner_mongolia": 0.2829, "jiangsu": 0.3910, "jiangxi": 0.4143, "liaoning": 0.3749, "ningxia": 0.2595,
    "qinghai": 0.3247, "shaanxi": 0.3545, "shandong": 0.3949, "shanghai": 0.4155, "shanxi": 0.3320,
    "sichuan": 0.4012, "tianjin": 0.3655, "xinjiang": 0.2500, "yunnan": 0.3358, "zhejiang": 0.4153,
}
VINTAGE = re.compile(r"\b20(2[4-6])(-(0[1-9]|1[0-2]|H[12]))?\b")


def demand_per_mwh(cny_per_kw_month: float) -> float:
    """Demand charge D (CNY/kW-month) spread over the energy of a load at LOAD_FACTOR: D·12·1000 / (8760·LF)."""
    return cny_per_kw_month * 12 * 1000 / (8760 * LOAD_FACTOR)


def _rows(name: str) -> dict[str, dict[str, str]]:
    with open(DATA / name, encoding="utf-8", newline="") as fh:
        return {row["id"]: row for row in csv.DictReader(fh)}


@pytest.fixture(scope="module")
def regions() -> dict[str, dict[str, str]]:
    return _rows("regions.csv")


@pytest.fixture(scope="module")
def sites() -> dict[str, dict[str, str]]:
    return _rows("sites.csv")


def test_every_price_names_its_tier_and_the_sourced_ones_a_2024_26_vintage(regions):
    assert len(regions) == 31
    for rid, row in regions.items():
        src = row["source"]
        assert "benchmark+250" not in src, rid
        assert "non-energy adder" not in src, rid
        tiers = [key for key in ("PT:", "PE:", "PB:") if key in src]
        assert len(tiers) == 1, (rid, src)
        token = next(part for part in src.split(";") if part.startswith(tiers[0]))
        assert rid in token, (rid, token)
        if tiers[0] in ("PT:", "PE:"):
            assert VINTAGE.search(token), (rid, token)
        else:
            assert token == f"PB:{rid} energy=B1 2019 benchmark", rid
            assert "est:price(energy = 2019 coal benchmark proxy" in src, rid


def test_published_table_prices_equal_the_documented_derivation(regions):
    price = {rid: float(row["price_per_mwh"]) for rid, row in regions.items()}
    assert price["beijing"] == pytest.approx(681.335 + demand_per_mwh(51.0), abs=0.05)
    assert price["beijing"] == pytest.approx(768.7, abs=0.05)
    assert price["hubei"] == pytest.approx(613.986 + demand_per_mwh(39.0), abs=0.05)
    assert price["hubei"] == pytest.approx(680.8, abs=0.05)
    assert price["chongqing"] == pytest.approx(762.307 + demand_per_mwh(35.2), abs=0.05)
    assert "est:price(demand charge" in regions["chongqing"]["source"]
    assert price["tibet"] == 660.0


@pytest.mark.parametrize("rid", sorted(PE_ENERGY))
def test_energy_sourced_prices_name_their_energy_source(regions, rid):
    assert f"PE:{rid} " in regions[rid]["source"]


@pytest.mark.parametrize("rid", sorted(BENCHMARK))
def test_benchmark_energy_prices_are_flagged(regions, rid):
    assert f"PB:{rid} energy=B1 2019 benchmark" in regions[rid]["source"]
    assert "est:price(energy = 2019 coal benchmark proxy" in regions[rid]["source"]


def test_tiers_cover_every_province_exactly_once():
    full = {"beijing", "hubei", "chongqing", "tibet"}
    assert not full & set(PE_ENERGY) and not full & set(BENCHMARK) and not set(PE_ENERGY) & set(BENCHMARK)
    assert len(full) + len(PE_ENERGY) + len(BENCHMARK) == 31


def test_prices_are_in_a_plausible_large_industry_range(regions):
    price = {rid: float(row["price_per_mwh"]) for rid, row in regions.items()}
    assert all(400 <= p <= 900 for p in price.values()), price
    # western energy-exporting provinces are cheaper than the coastal load centres
    assert max(price[r] for r in ("xinjiang", "ningxia", "gansu", "inner_mongolia")) < min(
        price[r] for r in ("guangdong", "shanghai", "zhejiang", "jiangsu"))


def test_emission_factors_are_the_2023_set(regions):
    for rid, value in EF_2023.items():
        assert float(regions[rid]["ef_t_per_mwh"]) == value, rid
        assert "S5" in regions[rid]["source"].split(";") and "S4" not in regions[rid]["source"].split(";"), rid
    assert float(regions["tibet"]["ef_t_per_mwh"]) == 0.2472
    assert "S5r" in regions["tibet"]["source"] and "SW regional 2023" in regions["tibet"]["source"]


def test_2023_factors_move_as_the_notice_says():
    """MEE press release: 20 provinces fell from 2022 (Beijing among them), 10 rose (Guangdong among them)."""
    down = {rid for rid in EF_2023 if EF_2023[rid] < EF_2022[rid]}
    up = {rid for rid in EF_2023 if EF_2023[rid] > EF_2022[rid]}
    assert (len(down), len(up)) == (20, 10)
    assert "beijing" in down and "guangdong" in up
    assert all(0.10 <= v <= 0.75 for v in EF_2023.values())


def test_responsibility_weights_are_still_2023_and_documented_as_such(regions):
    # R1 (发改办能源〔2023〕569号) spot checks: Fujian 20.6/10.0, Heilongjiang 24.5/22.7, Qinghai 70.0/27.2
    assert (float(regions["fujian"]["rps_total"]), float(regions["fujian"]["rps_nonhydro"])) == (0.206, 0.1)
    assert float(regions["heilongjiang"]["rps_nonhydro"]) == 0.227
    assert float(regions["qinghai"]["rps_nonhydro"]) == 0.272
    text = DOCS.read_text(encoding="utf-8")
    assert "发改办能源〔2024〕598号" in text and "2023 weights" in text


def test_site_price_overrides_are_one_vintage_or_flagged(sites):
    priced = {sid: row for sid, row in sites.items() if row["price_per_mwh"]}
    assert set(priced) == {"horinger", "guian", "qingyang", "zhongwei"}
    for sid in ("horinger", "guian", "qingyang"):
        assert float(priced[sid]["price_per_mwh"]) == 400.0
        assert "PF (2025)" in priced[sid]["source"] and "FT 2025-11-03" in priced[sid]["source"], sid
    assert float(priced["zhongwei"]["price_per_mwh"]) == 360.0
    assert "vintage 2020, flagged" in priced["zhongwei"]["source"]
    assert "2015" not in re.sub(r"replaces Hohhot 0\.38 \(China Daily 2015\)", "", priced["horinger"]["source"])


def test_fields_describe_the_new_vintages():
    with open(DATA / "fields.csv", encoding="utf-8", newline="") as fh:
        fields = {(r["file"], r["field"]): r for r in csv.DictReader(fh)}
    price = fields[("regions.csv", "price_per_mwh")]
    assert "tariff_components.csv" in price["description"] and "load factor 0.8" in price["description"]
    assert "1077号" in price["source"]
    assert price["estimate"] == "partly"
    ef = fields[("regions.csv", "ef_t_per_mwh")]
    assert "2023" in ef["description"] and "公告2025年第47号" in ef["source"]


def test_docs_list_every_changed_price_and_factor(regions):
    text = DOCS.read_text(encoding="utf-8")
    for rid, row in regions.items():
        assert f"{rid} " in text
        price = row["price_per_mwh"]
        ef = row["ef_t_per_mwh"]
        assert re.search(rf"{rid}\s+[0-9.]+\s+→\s+{re.escape(price)}\b", text), (rid, price)
        assert re.search(rf"{rid}\s+[0-9.]+\s+→\s+{re.escape(ef)}\b", text), (rid, ef)


def test_published_flat_prices_equal_the_sum_of_their_components():
    """The tables' components (docs/data.md, key PT) add up to the flat energy price each table prints."""
    beijing = 0.409176 + 0.012185 + 0.2065 + 0.026306 + 0.027168  # energy + loss + T&D + system + funds, 1-10 kV
    hubei_110 = 0.384470 + 0.013643 + 0.0884 + 0.082273 + 0.0452  # same order, 110 kV
    assert beijing == pytest.approx(0.681335, abs=1e-9)
    assert hubei_110 == pytest.approx(0.613986, abs=1e-9)
