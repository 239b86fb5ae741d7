"""US prices and policy as of 2024–2026 (`geodata/data/us/regions.csv`, docs/data.md).

Checks on the shipped data: every price and RPS value carries its source key and vintage, values sit in plausible
ranges, the PJM capacity adder is the documented arithmetic, and spot values equal the published figures they were
taken from (EIA industrial prices, PJM Base Residual Auction prices, NREL ReEDS-2.0 state RPS/CES fractions).
"""

from __future__ import annotations

import re
from pathlib import Path

import pandas as pd
import pytest

ROOT = Path(__file__).resolve().parents[1]
US = ROOT / "geodata" / "data" / "us"
DOCS = ROOT / "docs" / "data.md"

# PJM Base Residual Auction resource clearing prices, USD/MW-day (RTO unless named), by delivery year (June–May).
BRA = {"2022/23": 50.00, "2023/24": 34.13, "2024/25": 28.92, "2025/26": 269.92, "2026/27": 329.17}
BRA_2025_26_ZONE = {"VA": 444.26, "MD": 466.35}  # Dominion and BGE zones cleared at their caps in 2025/26
PJM_POINT_STATES = {"DE", "IL", "MD", "NJ", "OH", "PA", "VA", "WV"}
EIA_2024 = {"AL", "AR", "FL", "GA", "KY", "LA", "MS", "NC", "SC", "TN", "VA", "WV"}


@pytest.fixture(scope="module")
def reg() -> pd.DataFrame:
    return pd.read_csv(US / "regions.csv").set_index("id")


def _tags(src: str) -> list[str]:
    return [t.strip() for t in str(src).split(";")]


def _adder(state: str, vintage: int) -> float:
    """PJM capacity adder, USD/MWh: (calendar-2026 BRA price − price embedded in the base year) / 24 h (LF 1.0).

    Calendar 2026 = 5/12 of delivery year 2025/26 (Jan–May) + 7/12 of 2026/27 (Jun–Dec); a base year y embeds
    5/12 of (y−1)/y and 7/12 of y/(y+1), RTO prices.
    """
    p25 = BRA_2025_26_ZONE.get(state, BRA["2025/26"])
    p2026 = 5 / 12 * p25 + 7 / 12 * BRA["2026/27"]
    emb = {
        2023: 5 / 12 * BRA["2022/23"] + 7 / 12 * BRA["2023/24"],
        2024: 5 / 12 * BRA["2023/24"] + 7 / 12 * BRA["2024/25"],
    }
    return (p2026 - emb[vintage]) / 24.0


def test_every_price_has_source_and_vintage(reg):
    for s, src in reg["source"].items():
        tags = _tags(src)
        # every state is at 2024: EIA annual (S1b) where found, EIA-861M monthly calibrated (S1c, estimate) otherwise
        pat = r"S1b:price_per_mwh\(EIA 2024\)|S1c:price_per_mwh\(EIA-861M 2024, est\)"
        vint = [t for t in tags if re.fullmatch(pat, t)]
        assert len(vint) == 1, (s, tags)
        assert (vint[0].startswith("S1b:")) == (s in EIA_2024), s


def test_every_rps_value_has_source(reg):
    for s, row in reg.iterrows():
        tags = _tags(row["source"])
        p2 = [t for t in tags if t.startswith("P2:")]
        assert len(p2) == 1, (s, tags)
        assert not any(t.startswith("P1") for t in tags), s  # the old 2030 coding is gone
        if row["rps_total"] > 0:
            assert p2[0].startswith("P2:rps 2026"), s
        else:
            assert p2[0] == "P2:none->0", s


def test_prices_plausible(reg):
    p = reg["price_per_mwh"]
    assert p.between(45, 220).all(), p[~p.between(45, 220)]
    # PJM-point states pay the capacity adder on top of a 55-120 USD/MWh energy+delivery price
    assert (p[sorted(PJM_POINT_STATES)] > 80).all()


def test_pjm_capacity_adder_where_and_only_where_pjm(reg):
    for s, src in reg["source"].items():
        k1 = [t for t in _tags(src) if t.startswith("K1:")]
        assert bool(k1) == (s in PJM_POINT_STATES), s
        if k1:
            m = re.match(r"K1:capacity\+([0-9.]+)\(PJM BRA 2026 calendar-year, LF 1\.0, est\)", k1[0])
            assert m, k1
            assert float(m.group(1)) == pytest.approx(_adder(s, 2024), abs=0.05), s


@pytest.mark.parametrize(
    ("state", "eia_cents", "vintage"),
    [
        ("PA", 7.864, 2024),  # EIA-861M 2024 monthly calibrated on EIA 2023 Pennsylvania industrial 7.75 (S1c)
        ("OH", 7.092, 2024),
        ("NJ", 11.916, 2024),
        ("IL", 8.823, 2024),
        ("DE", 8.450, 2024),
        ("MD", 9.982, 2024),
        ("VA", 8.78, 2024),  # EIA 2024 Virginia industrial
        ("WV", 7.81, 2024),
    ],
)
def test_pjm_prices_equal_eia_plus_adder(reg, state, eia_cents, vintage):
    assert reg.at[state, "price_per_mwh"] == pytest.approx(eia_cents * 10 + _adder(state, vintage), abs=0.051)


@pytest.mark.parametrize(
    ("state", "price"),
    [("GA", 72.0), ("NC", 76.9), ("FL", 85.2), ("TX", 61.6), ("CA", 214.4), ("NY", 91.7), ("WY", 77.9)],
)
def test_non_pjm_spot_prices(reg, state, price):
    """EIA 2024 (GA 7.20, NC 7.69, FL 8.52 cents/kWh) or EIA-861M 2024 calibrated (TX 6.16, CA 21.44, NY 9.17,
    WY 7.79) × 10."""
    assert reg.at[state, "price_per_mwh"] == pytest.approx(price)


def test_pjm_adder_magnitudes():
    """Calendar-2026 RTO ≈ 304.5 USD/MW-day; adders ≈ 11.0 (RTO, 2023 base) and 14.4 (Dominion, 2024 base)."""
    assert _adder("PA", 2023) == pytest.approx(10.99, abs=0.01)
    assert _adder("VA", 2024) == pytest.approx(14.42, abs=0.01)
    assert _adder("MD", 2023) == pytest.approx(14.40, abs=0.01)


def test_rps_states_named_in_issue_are_nonzero(reg):
    for s in ("DE", "NH", "PA"):
        assert reg.at[s, "rps_total"] > 0 and reg.at[s, "rps_nonhydro"] > 0, s


@pytest.mark.parametrize(
    ("state", "total", "nonhydro"),
    [
        # ReEDS-2.0 rps_fraction.csv rps_all 2026 (and ces_fraction.csv 2026 where larger)
        ("DE", 0.183, 0.183),
        ("NH", 0.208, 0.208),
        ("PA", 0.078, 0.078),
        ("CA", 0.469, 0.469),
        ("NY", 0.553, 0.553),
        ("WA", 0.651, 0.129),  # CETA clean standard vs the I-937 renewable standard
        ("MA", 0.571, 0.294),  # Clean Energy Standard vs Class I RPS
        ("OR", 0.272, 0.203),
        ("VA", 0.373, 0.373),  # VCEA (ReEDS ces_fraction)
        ("KS", 0.0, 0.0),  # voluntary goal only
        ("WV", 0.0, 0.0),  # repealed 2015
    ],
)
def test_rps_spot_values(reg, state, total, nonhydro):
    assert reg.at[state, "rps_total"] == pytest.approx(total, abs=5e-4)
    assert reg.at[state, "rps_nonhydro"] == pytest.approx(nonhydro, abs=5e-4)


def test_rps_ranges_and_ordering(reg):
    assert reg["rps_total"].between(0, 1).all() and reg["rps_nonhydro"].between(0, 1).all()
    assert (reg["rps_nonhydro"] <= reg["rps_total"] + 1e-9).all()
    # 27 states with an RPS in 2026 plus VA (VCEA): every one non-zero
    assert int((reg["rps_nonhydro"] > 0).sum()) == 28


def test_fields_and_docs_name_the_new_sources():
    fields = pd.read_csv(US / "fields.csv")
    f = fields[fields.file == "regions.csv"].set_index("field")
    assert "K1" in f.at["price_per_mwh", "source"] and "S1b" in f.at["price_per_mwh", "source"]
    assert "P2" in f.at["rps_total", "source"] and "2026" in f.at["rps_total", "description"]
    text = DOCS.read_text(encoding="utf-8")
    for key in ("| S1b |", "| K1 |", "| K2 |", "| P2 |", "| LL1 |"):
        assert key in text, key
    for figure in ("269.92", "329.17", "666.50", "4ab2031b"):
        assert figure in text, figure
