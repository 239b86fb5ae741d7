"""China large-industry power prices rebuilt from their tariff components (``tariff_components.csv``).

Each row of ``geodata/data/china/tariff_components.csv`` gives, for one province, the parts of the all-in price a
large-industry two-part user pays on the grid company's agency-purchase tariff (CNY/MWh unless stated):

* ``E``  ``energy_per_mwh``        market / agency-purchase energy price (上网电价 or 代理购电价格)
* ``r``  ``loss_rate``             in-province on-grid line-loss rate (fraction, 省内上网环节线损率)
* ``T``  ``td_per_mwh``            T&D energy tariff of the two-part user at the row's voltage (输配电量电价)
* ``S``  ``system_per_mwh``        system-operation charge (系统运行费用)
* ``F``  ``funds_per_mwh``         government funds and surcharges (政府性基金及附加)
* ``P``  ``flat_per_mwh``          flat energy price printed by a published table (tier PT only)
* ``D``  ``demand_per_kw_month``   demand charge (需量电价, CNY/kW-month)

The price written to ``regions.csv: price_per_mwh`` is

    price = flat + D · 12 · 1000 / (8760 · LF)

where the demand charge is spread over the energy of a load running at load factor ``LF`` (0.8, an estimate: a
training cluster runs flatter, an inference cluster less so) and

    flat = P                                  tier PT (published table: the table's own flat price)
    flat = E + E · r / (1 − r) + T + S + F    tiers PE (E published) and PB (E = 2019 coal benchmark proxy)

The line-loss charge ``E · r / (1 − r)`` is the energy bought to cover the on-grid losses of the energy delivered.
"""

from __future__ import annotations

import math
from pathlib import Path

import pandas as pd

from gridsite.errors import DataError, DataIssue

LOAD_FACTOR = 0.8
TIERS = ("PT", "PE", "PB")
FILE_NAME = "tariff_components.csv"
COLUMNS = (
    "region_id",
    "tier",
    "grid",
    "voltage",
    "energy_per_mwh",
    "loss_rate",
    "td_per_mwh",
    "system_per_mwh",
    "funds_per_mwh",
    "flat_per_mwh",
    "demand_per_kw_month",
    "estimate",
    "source",
)
#: components a rebuilt (PE / PB) row must carry; a PT row needs only ``flat_per_mwh``
REBUILT_FIELDS = ("energy_per_mwh", "loss_rate", "td_per_mwh", "system_per_mwh", "funds_per_mwh")


def demand_per_mwh(cny_per_kw_month: float, load_factor: float = LOAD_FACTOR) -> float:
    """Demand charge D (CNY/kW-month) per MWh of a load at ``load_factor``: D · 12 · 1000 / (8760 · LF)."""
    return cny_per_kw_month * 12.0 * 1000.0 / (8760.0 * load_factor)


def loss_charge(energy_per_mwh: float, loss_rate: float) -> float:
    """On-grid line-loss charge E · r / (1 − r) (CNY/MWh)."""
    return energy_per_mwh * loss_rate / (1.0 - loss_rate)


def flat_price(row: pd.Series | dict) -> float:
    """Flat energy price (CNY/MWh) of one component row: P for tier PT, E + E·r/(1−r) + T + S + F otherwise."""
    if row["tier"] == "PT":
        return float(row["flat_per_mwh"])
    e, r = float(row["energy_per_mwh"]), float(row["loss_rate"])
    return e + loss_charge(e, r) + float(row["td_per_mwh"]) + float(row["system_per_mwh"]) + float(row["funds_per_mwh"])


def all_in_price(row: pd.Series | dict, load_factor: float = LOAD_FACTOR) -> float:
    """``flat_price(row) + demand_per_mwh(D)`` (CNY/MWh); a blank demand charge counts as 0."""
    d = row.get("demand_per_kw_month") if hasattr(row, "get") else row["demand_per_kw_month"]
    d = 0.0 if d is None or (isinstance(d, float) and math.isnan(d)) or d == "" else float(d)
    return flat_price(row) + demand_per_mwh(d, load_factor)


def _number_issue(path: Path, rid: str, field: str, value: object, upper: float) -> DataIssue | None:
    try:
        x = float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return DataIssue("error", str(path), rid, field, f"is {value!r}; a number is required")
    if not math.isfinite(x) or x < 0 or x >= upper:
        return DataIssue("error", str(path), rid, field, f"is {x}; allowed is 0 <= value < {upper:g}")
    return None


def load_components(folder: str | Path) -> pd.DataFrame:
    """Read and check ``tariff_components.csv`` in ``folder``; raise :class:`DataError` naming file, row and field."""
    path = Path(folder) / FILE_NAME
    if not path.exists():
        raise DataError(DataIssue("error", str(path), "", "", "file not found"))
    try:
        df = pd.read_csv(path, dtype={"region_id": str, "tier": str, "estimate": str}, keep_default_na=True)
    except Exception as exc:
        raise DataError(DataIssue("error", str(path), "", "", f"cannot be parsed as CSV: {exc}")) from exc
    missing = [c for c in COLUMNS if c not in df.columns]
    if missing:
        raise DataError(
            DataIssue("error", str(path), "", ",".join(missing), f"column missing; required columns: {COLUMNS}")
        )
    issues: list[DataIssue] = []
    dup = df["region_id"][df["region_id"].duplicated()]
    issues += [DataIssue("error", str(path), rid, "region_id", "appears more than once") for rid in dup]
    for row in df.itertuples(index=False):
        rid = str(row.region_id)
        if row.tier not in TIERS:
            issues.append(DataIssue("error", str(path), rid, "tier", f"is {row.tier!r}; allowed: {', '.join(TIERS)}"))
            continue
        needed = ("flat_per_mwh",) if row.tier == "PT" else REBUILT_FIELDS
        for field in needed:
            upper = 0.2 if field == "loss_rate" else 5000.0
            issue = _number_issue(path, rid, field, getattr(row, field), upper)
            if issue:
                issues.append(issue)
        d = row.demand_per_kw_month
        if not (isinstance(d, float) and math.isnan(d)):
            issue = _number_issue(path, rid, "demand_per_kw_month", d, 500.0)
            if issue:
                issues.append(issue)
        if not isinstance(row.source, str) or not row.source.strip():
            issues.append(DataIssue("error", str(path), rid, "source", "is blank; every row needs its sources"))
    if issues:
        raise DataError(issues)
    return df


def rebuilt_prices(folder: str | Path, load_factor: float = LOAD_FACTOR) -> dict[str, float]:
    """All-in price (CNY/MWh, rounded to 0.1) of every province in ``tariff_components.csv``."""
    df = load_components(folder)
    return {str(row["region_id"]): round(all_in_price(row, load_factor), 1) for _, row in df.iterrows()}
