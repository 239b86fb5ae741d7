"""US data as of 2024: industrial prices, eGRID2023 emission rates and firm imports bounded by corridors.

The US region set (``geodata/data/us/regions.csv``) carries three columns derived here from published tables
bundled under ``geodata/data/us/sources/`` (provenance and vintages in docs/data.md):

* ``price_per_mwh`` (before any capacity adder): the 2024 average industrial price of each state. Where EIA's
  2024 annual figure was found it is used as is; otherwise it is estimated from EIA-861M final monthly prices
  (:func:`calibrated_annual_price`).
* ``ef_t_per_mwh``: EPA eGRID2023 state CO2 output emission rate STCO2RTA, lb/MWh → t/MWh
  (:func:`lb_to_t`).
* ``firm_import_gw``: net firm imports (or exports) at peak can never exceed what the corridors into (out of) the
  state can carry (:func:`cap_firm_imports`).

Only ``pandas`` is used; the optimizer is not imported.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

SOURCES = Path(__file__).resolve().parent / "data" / "us" / "sources"
MONTHLY_PRICES = SOURCES / "eia861m_industrial_price_2023_2024.csv"
EGRID_STATE = SOURCES / "egrid2023_state_co2.csv"
LB_PER_T = 1 / 0.45359237e-3  # 2,204.62 lb per metric tonne
MONTHS = [f"m{i:02d}" for i in range(1, 13)]


def load_monthly_prices(path: Path = MONTHLY_PRICES) -> pd.DataFrame:
    """Monthly industrial prices (cents/kWh) by ``state`` and ``year`` with EIA's annual figure where known."""
    df = pd.read_csv(path, dtype={"state": str, "year": int, "annual_source": str})
    missing = [c for c in ["state", "year", *MONTHS, "annual_eia"] if c not in df.columns]
    if missing:
        raise ValueError(f"{path}: missing columns {missing}")
    return df.set_index(["state", "year"])


def calibrated_annual_price(m_ref: pd.Series, m_year: pd.Series, annual_ref: float) -> float:
    """Annual price of a year estimated from its monthly prices and a reference year with a known annual price.

    An annual average price is revenue over sales, i.e. the sales-weighted mean of the monthly prices p_m:
    P = Σ_m s_m p_m / Σ_m s_m. Monthly sales s_m are not bundled, so the unweighted mean p̄ is calibrated on the
    reference year, assuming the seasonal sales pattern of the state is the same in both years:

        P_year ≈ p̄_year · P_ref / p̄_ref

    (cents/kWh in, cents/kWh out).
    """
    mean_ref = float(pd.to_numeric(m_ref).mean())
    mean_year = float(pd.to_numeric(m_year).mean())
    if mean_ref <= 0:
        raise ValueError("reference-year monthly prices must be positive")
    return mean_year * float(annual_ref) / mean_ref


def industrial_prices_2024(path: Path = MONTHLY_PRICES) -> pd.DataFrame:
    """2024 industrial price per state, cents/kWh, with ``method`` = ``eia_annual`` or ``calibrated_monthly``.

    States whose 2024 row carries EIA's annual figure keep it; every other state with 2023 and 2024 monthly rows
    gets :func:`calibrated_annual_price` on its 2023 annual figure.
    """
    df = load_monthly_prices(path)
    out = {}
    for state in sorted({s for s, _ in df.index}):
        if (state, 2024) not in df.index:
            continue
        row24 = df.loc[(state, 2024)]
        if pd.notna(row24["annual_eia"]):
            out[state] = (float(row24["annual_eia"]), "eia_annual")
            continue
        row23 = df.loc[(state, 2023)]
        out[state] = (calibrated_annual_price(row23[MONTHS], row24[MONTHS], row23["annual_eia"]), "calibrated_monthly")
    return pd.DataFrame.from_dict(out, orient="index", columns=["cents_per_kwh", "method"])


def lb_to_t(lb_per_mwh: float) -> float:
    """lb CO2/MWh → t CO2/MWh (1 lb = 0.45359237 kg)."""
    return float(lb_per_mwh) / LB_PER_T


def egrid2023_t_per_mwh(path: Path = EGRID_STATE) -> pd.Series:
    """eGRID2023 state CO2 output emission rate (STCO2RTA) in t/MWh, indexed by state."""
    df = pd.read_csv(path, dtype={"state": str}).set_index("state")
    return df["stco2rta_lb_per_mwh"].map(lb_to_t)


def import_capacity_gw(corridors: pd.DataFrame) -> pd.Series:
    """Σ capacity of all corridors *into* each region, GW (AC transfer limits and DC links alike)."""
    return corridors.groupby("to_region")["capacity_mw"].sum() / 1000.0


def export_capacity_gw(corridors: pd.DataFrame) -> pd.Series:
    """Σ capacity of all corridors *out of* each region, GW."""
    return corridors.groupby("from_region")["capacity_mw"].sum() / 1000.0


def cap_firm_imports(firm_import_gw: pd.Series, corridors: pd.DataFrame) -> pd.Series:
    """Net firm imports at peak bounded by the corridors of the region, in both directions.

    f'_r = min(max(f_r, −Σ_{c: from(c)=r} C_c), Σ_{c: to(c)=r} C_c), with C_c in GW (capacity_mw / 1000):
    a region cannot import at peak more than its incoming corridors carry, nor export more than its outgoing
    ones. A region that no corridor touches gets 0.
    """
    cap_in = import_capacity_gw(corridors).reindex(firm_import_gw.index).fillna(0.0)
    cap_out = export_capacity_gw(corridors).reindex(firm_import_gw.index).fillna(0.0)
    return firm_import_gw.clip(lower=-cap_out, upper=cap_in)
