"""Weighted time slices: one code path for annual, monthly, representative-day and hourly models.

Every mode produces slices t with weights w_t (hours each slice stands for, Σ_t w_t = 8760), the hours of each
slice that fall in each calendar month (``month_hours[t, m]``, Σ_m = w_t; used by monthly matching), capacity
factors per region and slice, and the inference load shape per slice (mean 1 over the year):

- ``annual``: 1 slice, w = 8760, annual-mean capacity factors.
- ``monthly``: 12 slices, w = hours of the month, monthly means.
- ``representative_days``: k typical days × 24 h chosen by tsam (hierarchical clustering, medoids, column means
  preserved) on the wind and solar profiles of all regions; w = 24-h slice × number of days the typical day
  stands for. Optional extreme days (lowest national wind, lowest national solar) are appended.
- ``hourly``: 8760 slices, w = 1.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass

import numpy as np
import pandas as pd

from optimizer.demand import diurnal_shape


@dataclass(frozen=True)
class TimeSlices:
    mode: str
    weight: np.ndarray  # (T,) hours
    month_hours: np.ndarray  # (T, 12)
    wind: np.ndarray  # (R, T) capacity factor
    solar: np.ndarray  # (R, T)
    inference_shape: np.ndarray  # (T,)
    labels: tuple[str, ...]
    regions: tuple[str, ...]
    days_represented: np.ndarray | None = None  # (k,) for representative days

    @property
    def n(self) -> int:
        return len(self.weight)


def _month_matrix(months: np.ndarray, weights: np.ndarray | None = None) -> np.ndarray:
    m = np.zeros((len(months), 12))
    m[np.arange(len(months)), months - 1] = 1.0 if weights is None else weights
    return m


def build_time_slices(
    wind: pd.DataFrame, solar: pd.DataFrame, mode: str, days: int = 12, extreme_days: bool = True
) -> TimeSlices:
    """Cut 8760-h profiles (rows: hours, columns: region ids) into weighted slices for ``mode``."""
    regions = tuple(sorted(wind.columns))
    wind = wind[list(regions)]
    solar = solar[list(regions)]
    idx = wind.index
    hod = np.asarray(idx.hour)
    month = np.asarray(idx.month)
    infer = diurnal_shape(hod, "inference")
    if mode == "hourly":
        return TimeSlices(
            mode,
            np.ones(len(idx)),
            _month_matrix(month),
            wind.to_numpy().T.copy(),
            solar.to_numpy().T.copy(),
            infer,
            tuple(f"h{h:04d}" for h in range(len(idx))),
            regions,
        )
    if mode == "annual":
        return TimeSlices(
            mode,
            np.array([float(len(idx))]),
            np.bincount(month - 1, minlength=12).astype(float)[None, :],
            wind.to_numpy().mean(axis=0)[:, None],
            solar.to_numpy().mean(axis=0)[:, None],
            np.array([infer.mean()]),
            ("year",),
            regions,
        )
    if mode == "monthly":
        hours = np.bincount(month - 1, minlength=12).astype(float)
        w = np.stack([wind.to_numpy()[month == m].mean(axis=0) for m in range(1, 13)], axis=1)
        s = np.stack([solar.to_numpy()[month == m].mean(axis=0) for m in range(1, 13)], axis=1)
        inf = np.array([infer[month == m].mean() for m in range(1, 13)])
        return TimeSlices(mode, hours, np.diag(hours), w, s, inf, tuple(f"m{m:02d}" for m in range(1, 13)), regions)
    if mode == "representative_days":
        return _representative_days(wind, solar, regions, days, extreme_days, infer)
    raise ValueError(f"unknown time mode '{mode}'")


def _representative_days(wind, solar, regions, days, extreme_days, infer) -> TimeSlices:
    import tsam

    n_days = len(wind) // 24
    days = min(days, n_days)
    data = pd.concat([wind.add_prefix("wind|"), solar.add_prefix("solar|")], axis=1).reset_index(drop=True)
    data.index = pd.date_range("2001-01-01", periods=len(data), freq="h")
    data["wind_total"] = wind.to_numpy().mean(axis=1)
    data["solar_total"] = solar.to_numpy().mean(axis=1)
    # constant columns carry no information for clustering; drop them to keep tsam's scaling well-defined
    const = [c for c in data.columns if float(data[c].max() - data[c].min()) < 1e-12]
    clus = data.drop(columns=const)
    extremes = None
    if extreme_days and days < n_days and {"wind_total", "solar_total"} <= set(clus.columns):
        extremes = tsam.ExtremeConfig(method="append", min_period=["wind_total", "solar_total"])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        res = tsam.aggregate(
            clus,
            days,
            period_duration=24,
            cluster=tsam.ClusterConfig(method="hierarchical"),
            extremes=extremes,
            preserve_column_means=True,
        )
    reps = res.cluster_representatives
    counts = res.cluster_counts
    assign = np.asarray(res.cluster_assignments)
    order = sorted(counts)
    k = len(order)
    w_days = np.array([counts[c] for c in order], dtype=float)
    # month hours of each typical day: the original days it stands for, by month
    day_month = np.asarray(pd.date_range("2001-01-01", periods=n_days, freq="D").month)
    month_days = np.zeros((k, 12))
    pos = {c: i for i, c in enumerate(order)}
    for d, c in enumerate(assign[:n_days]):
        month_days[pos[int(c)], day_month[d] - 1] += 1.0
    T = k * 24
    wind_cf = np.zeros((len(regions), T))
    solar_cf = np.zeros((len(regions), T))
    for i, c in enumerate(order):
        block = reps.loc[c]
        for j, r in enumerate(regions):
            for tech, arr in (("wind", wind_cf), ("solar", solar_cf)):
                col = f"{tech}|{r}"
                vals = block[col].to_numpy() if col in block.columns else np.full(24, data[col].iloc[0])
                arr[j, i * 24 : (i + 1) * 24] = np.clip(vals, 0.0, 1.0)
    weight = np.repeat(w_days, 24)
    month_hours = np.repeat(month_days, 24, axis=0)
    inf = np.tile(diurnal_shape(np.arange(24), "inference"), k)
    labels = tuple(f"d{i:02d}h{h:02d}" for i in range(k) for h in range(24))
    return TimeSlices("representative_days", weight, month_hours, wind_cf, solar_cf, inf, labels, regions, w_days)
