"""US data as of 2024: industrial prices, eGRID2023 emission rates, BA peaks and firm imports bounded by corridors.

The shipped ``geodata/data/us/regions.csv`` must equal what ``geodata/us2024.py`` derives from the bundled source
tables (``geodata/data/us/sources/``), and those tables must hold the published figures they were taken from.
"""

from __future__ import annotations

import re
from pathlib import Path

import pandas as pd
import pytest

from geodata import us2024

ROOT = Path(__file__).resolve().parents[1]
US = ROOT / "geodata" / "data" / "us"
DOCS = ROOT / "docs" / "data.md"

# EIA 2024 annual industrial prices (cents/kWh) bundled as S1b, used to validate the monthly calibration.
EIA_2024_ANNUAL = {"AR": 6.55, "FL": 8.52, "GA": 7.20, "WV": 7.81}
# PJM BRA, USD/MW-day: calendar 2026 minus the price embedded in 2024 (5/12 of 2023/24 + 7/12 of 2024/25), / 24 h
BRA = {"2023/24": 34.13, "2024/25": 28.92, "2025/26": 269.92, "2026/27": 329.17}
ZONE_2025_26 = {"MD": 466.35, "VA": 444.26}
PJM_POINT_STATES = {"DE", "IL", "MD", "NJ", "OH", "PA", "VA", "WV"}


def _adder(state: str) -> float:
    p2026 = 5 / 12 * ZONE_2025_26.get(state, BRA["2025/26"]) + 7 / 12 * BRA["2026/27"]
    return (p2026 - (5 / 12 * BRA["2023/24"] + 7 / 12 * BRA["2024/25"])) / 24.0


@pytest.fixture(scope="module")
def reg() -> pd.DataFrame:
    return pd.read_csv(US / "regions.csv").set_index("id")


@pytest.fixture(scope="module")
def cor() -> pd.DataFrame:
    return pd.read_csv(US / "corridors.csv")


@pytest.fixture(scope="module")
def prices() -> pd.DataFrame:
    return us2024.industrial_prices_2024()


def _tags(src: str) -> list[str]:
    return [t.strip() for t in str(src).split(";")]


# ----------------------------------------------------------------------------------------------- prices
def test_calibration_arithmetic():
    """P_year = mean(year) · P_ref / mean(ref): a uniform 10 % rise gives +10 %, a flat year gives P_ref."""
    ref = pd.Series([5.0, 6.0, 7.0, 6.0])
    assert us2024.calibrated_annual_price(ref, ref * 1.1, 6.3) == pytest.approx(6.93)
    assert us2024.calibrated_annual_price(ref, ref, 6.3) == pytest.approx(6.3)
    with pytest.raises(ValueError):
        us2024.calibrated_annual_price(ref * 0, ref, 6.3)


@pytest.mark.parametrize(("state", "annual"), sorted(EIA_2024_ANNUAL.items()))
def test_calibration_reproduces_published_2024_annual(state, annual):
    """Where EIA's 2024 annual price is known, the 2023-calibrated monthly mean lands within 1.5 % of it."""
    m = us2024.load_monthly_prices()
    est = us2024.calibrated_annual_price(
        m.loc[(state, 2023), us2024.MONTHS], m.loc[(state, 2024), us2024.MONTHS], m.loc[(state, 2023), "annual_eia"]
    )
    assert est == pytest.approx(annual, rel=0.015)


def test_source_table_holds_published_2023_annuals():
    """2023 annual prices in the source table = EIA Electric Power Annual 2023 (cents/kWh), WY EIA-861M."""
    m = us2024.load_monthly_prices()
    for state, cents in {"TX": 6.60, "CA": 18.64, "NY": 6.87, "PA": 7.75, "OH": 7.03, "MD": 9.94, "WY": 6.91}.items():
        assert m.at[(state, 2023), "annual_eia"] == pytest.approx(cents), state
    # monthly rows are complete and positive for both years
    assert (m[us2024.MONTHS] > 0).all().all()
    assert sorted({y for _, y in m.index}) == [2023, 2024]


def test_every_state_has_a_2024_price(reg, prices):
    """Each of the 48 rows carries exactly one 2024 price vintage: S1b (EIA annual) or S1c (EIA-861M, est)."""
    for s, src in reg["source"].items():
        vint = [t for t in _tags(src) if re.fullmatch(r"S1[bc]:price_per_mwh\(EIA(-861M)? 2024(, est)?\)", t)]
        assert len(vint) == 1, (s, src)
        assert not re.search(r"EIA(-861M)? 2023\)", src), s
        if vint[0].startswith("S1c:"):
            assert prices.at[s, "method"] == "calibrated_monthly", s
            assert vint[0].endswith(", est)"), s


def test_regions_prices_equal_module_output(reg, prices):
    """price_per_mwh = round(10 · cents/kWh 2024, 1) + PJM adder (2024 base) for every state with a monthly row."""
    for s, row in prices.iterrows():
        adder = _adder(s) if s in PJM_POINT_STATES else 0.0
        assert reg.at[s, "price_per_mwh"] == pytest.approx(round(row["cents_per_kwh"] * 10, 1) + adder, abs=0.051), s


@pytest.mark.parametrize(
    ("state", "price"),
    [("TX", 61.6), ("CA", 214.4), ("NY", 91.7), ("WY", 77.9), ("AZ", 79.1), ("NV", 86.3), ("LA", 55.7)],
)
def test_price_spot_values(reg, state, price):
    assert reg.at[state, "price_per_mwh"] == pytest.approx(price)


def test_pjm_adders_on_2024_base(reg):
    """RTO (304.48 − 31.09) / 24 = 11.4; BGE 14.8; Dominion 14.4 USD/MWh, written into each PJM row's K1 tag."""
    assert _adder("PA") == pytest.approx(11.39, abs=0.01)
    assert _adder("MD") == pytest.approx(14.80, abs=0.01)
    for s in PJM_POINT_STATES:
        k1 = [t for t in _tags(reg.at[s, "source"]) if t.startswith("K1:")]
        assert len(k1) == 1, s
        assert float(re.match(r"K1:capacity\+([0-9.]+)", k1[0]).group(1)) == pytest.approx(_adder(s), abs=0.05), s


# ----------------------------------------------------------------------------------------------- eGRID2023
def test_ef_equals_egrid2023(reg):
    """ef_t_per_mwh = eGRID2023 STCO2RTA (lb/MWh) / 2,204.62, all 48 states, and source key S3b (not S3)."""
    egrid = us2024.egrid2023_t_per_mwh()
    assert set(reg.index) <= set(egrid.index)
    for s in reg.index:
        assert reg.at[s, "ef_t_per_mwh"] == pytest.approx(egrid[s], abs=5e-4), s
        tags = _tags(reg.at[s, "source"])
        assert "S3b" in tags and "S3" not in tags, s


@pytest.mark.parametrize(
    ("state", "lb", "t"),
    [("WV", 1954.383, 0.886), ("VT", 42.981, 0.019), ("TX", 768.317, 0.349), ("CA", 393.486, 0.178)],
)
def test_egrid2023_spot_values(reg, state, lb, t):
    raw = pd.read_csv(us2024.EGRID_STATE).set_index("state")["stco2rta_lb_per_mwh"]
    assert raw[state] == pytest.approx(lb)
    assert us2024.lb_to_t(lb) == pytest.approx(t, abs=5e-4)
    assert reg.at[state, "ef_t_per_mwh"] == pytest.approx(t)


# ----------------------------------------------------------------------------------------------- peaks, imports
def test_ba_peaks(reg):
    """NY = NYISO 2023 peak 30,206 MW; TX = ERCOT 2023 record 85,435 MW / 0.90 (ERCOT share of Texas load)."""
    assert reg.at["NY", "peak_load_gw"] == pytest.approx(30.21)
    assert reg.at["TX", "peak_load_gw"] == pytest.approx(85.435 / 0.90, abs=0.005)
    assert "PK2:peak_load_gw(NYISO 2023)" in _tags(reg.at["NY", "source"])
    assert "PK1:peak_load_gw(ERCOT 2023 / 0.90, est)" in _tags(reg.at["TX", "source"])
    # every other state keeps the flagged national-load-factor estimate
    for s in reg.index.difference(["NY", "TX"]):
        assert "peak_load_gw(national LF)" in reg.at[s, "source"], s


def test_firm_imports_within_corridor_capacity(reg, cor):
    """−Σ outgoing ≤ firm_import_gw ≤ Σ incoming corridor capacity (GW), for every state."""
    cap_in = us2024.import_capacity_gw(cor).reindex(reg.index).fillna(0.0)
    cap_out = us2024.export_capacity_gw(cor).reindex(reg.index).fillna(0.0)
    f = reg["firm_import_gw"]
    assert (f <= cap_in + 1e-9).all(), f[f > cap_in]
    assert (f >= -cap_out - 1e-9).all(), f[f < -cap_out]


def test_texas_firm_imports_bounded_by_dc_ties(reg, cor):
    """ERCOT's only ties are the 220 + 600 MW DC ties with SPP: |TX firm imports| ≤ 0.82 GW."""
    assert us2024.import_capacity_gw(cor)["TX"] == pytest.approx(0.82)
    assert abs(reg.at["TX", "firm_import_gw"]) <= 0.82 + 1e-9
    assert "firm_import_gw(DC ties)" in reg.at["TX", "source"]


def test_cap_firm_imports_clips_both_ways():
    cor = pd.DataFrame({"from_region": ["a", "b", "b"], "to_region": ["b", "a", "c"], "capacity_mw": [500, 800, 300]})
    f = pd.Series({"a": 2.0, "b": -3.0, "c": 0.1, "d": 1.0})
    out = us2024.cap_firm_imports(f, cor)
    assert out.to_dict() == pytest.approx({"a": 0.8, "b": -1.1, "c": 0.1, "d": 0.0})


# ----------------------------------------------------------------------------------------------- docs
def test_fields_and_docs_name_the_2024_sources():
    f = pd.read_csv(US / "fields.csv")
    f = f[f.file == "regions.csv"].set_index("field")
    assert "S1c" in f.at["price_per_mwh", "source"] and "S3b" in f.at["ef_t_per_mwh", "source"]
    assert "PK1" in f.at["peak_load_gw", "source"] and "PK2" in f.at["peak_load_gw", "source"]
    text = DOCS.read_text(encoding="utf-8")
    for key in ("| S1c |", "| S3b |", "| PK1 |", "| PK2 |"):
        assert key in text, key
    for figure in ("85,435", "30,206", "6727a666", "cc6eb700"):
        assert figure in text, figure
