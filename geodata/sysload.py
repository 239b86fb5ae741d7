"""Hourly system-load shapes (8760 h) per region, for regional supply adequacy.

``system_load_shapes(regions, year, timezone)`` returns one column per region id with the region's own system load
per unit of its peak: ``max == 1.0`` exactly and ``mean == load factor`` where

    load_factor_r = consumption_twh_r · 1000 / (8760 · peak_load_gw_r).

The shapes are **synthetic** (no public hourly load by Chinese province or US state is bundled). Each is built from
three documented factors and then calibrated to the region's load factor:

    raw_r(t) = S_r(d) · D_r(h) · W(d) · (1 + ε_r(d))

* ``S`` seasonal: ``1 + A_sum · c(d − 205)² + A_win · c(d − 15)²`` with ``c(x) = max(0, cos(2π x / 365))``, i.e.
  bumps centred on 24 July (cooling) and 15 January (heating); amplitudes by ``load_peak_season``:
  summer 0.25 / 0.08, winter 0.08 / 0.25, dual 0.20 / 0.15.
* ``D`` daily: ``1 + 0.10 · g(h, 10.5) + 0.16 · g(h, H) − 0.14 · g(h, 4)`` with a circular Gaussian
  ``g(h, μ) = exp(−½ (Δh / 2.5)²)``: a late-morning shoulder, the day's peak at ``H = load_peak_hour`` and the
  night trough around 04:00.
* ``W`` weekday/weekend: 0.92 on Saturdays and Sundays (1 on weekdays).
* ``ε`` day-to-day weather noise: AR(1) with ρ = 0.7, σ = 0.02, seeded from the region id and year (deterministic).

Calibration: ``shape = (raw / max raw) ** k`` with ``k > 0`` found by bisection so that ``mean(shape)`` equals the
load factor (to 1e-9). The map is monotone, so the hour of the peak, the peak season and the ordering of hours are
those of ``raw``; the maximum stays exactly 1.

Optional region columns: ``load_peak_season`` (``summer`` | ``winter`` | ``dual``; default ``summer`` below
35° latitude, else ``dual``) and ``load_peak_hour`` (0–23 local standard time; default 15 for summer, 18 otherwise).
"""

from __future__ import annotations

import zlib

import numpy as np
import pandas as pd

from geodata.profiles import hourly_index
from gridsite.errors import DataError, DataIssue

SEASON_AMPLITUDES = {"summer": (0.25, 0.08), "winter": (0.08, 0.25), "dual": (0.20, 0.15)}
WEEKEND_FACTOR = 0.92
MORNING_HOUR, MORNING_BUMP = 10.5, 0.10
PEAK_BUMP, TROUGH_HOUR, TROUGH_DIP, DAILY_WIDTH_H = 0.16, 4.0, 0.14, 2.5
NOISE_RHO, NOISE_SIGMA = 0.7, 0.02
SUMMER_DAY, WINTER_DAY = 205, 15


def load_factor(regions: pd.DataFrame) -> pd.Series:
    """``consumption_twh · 1000 / (8760 · peak_load_gw)`` per region id."""
    lf = regions["consumption_twh"].astype(float) * 1000.0 / (8760.0 * regions["peak_load_gw"].astype(float))
    return pd.Series(lf.to_numpy(), index=regions["id"].astype(str))


def _default_season(lat: float) -> str:
    return "summer" if abs(lat) < 35 else "dual"


def _circ_gauss(h: np.ndarray, mu: float) -> np.ndarray:
    d = np.abs(h - mu) % 24
    d = np.minimum(d, 24 - d)
    return np.exp(-0.5 * (d / DAILY_WIDTH_H) ** 2)


def raw_shape(region_id: str, season: str, peak_hour: float, index: pd.DatetimeIndex) -> np.ndarray:
    """Uncalibrated positive load shape ``S · D · W · (1 + ε)`` (see module docstring)."""
    a_sum, a_win = SEASON_AMPLITUDES[season]
    doy = index.dayofyear.to_numpy().astype(float)
    hour = index.hour.to_numpy().astype(float)
    c_sum = np.maximum(0.0, np.cos(2 * np.pi * (doy - SUMMER_DAY) / 365.0))
    c_win = np.maximum(0.0, np.cos(2 * np.pi * (doy - WINTER_DAY) / 365.0))
    s = 1 + a_sum * c_sum**2 + a_win * c_win**2
    d = 1 + MORNING_BUMP * _circ_gauss(hour, MORNING_HOUR) + PEAK_BUMP * _circ_gauss(hour, peak_hour)
    d -= TROUGH_DIP * _circ_gauss(hour, TROUGH_HOUR)
    w = np.where(index.dayofweek.to_numpy() >= 5, WEEKEND_FACTOR, 1.0)
    rng = np.random.default_rng(zlib.crc32(f"{region_id}|{index[0].year}".encode()))
    # the day of each hour, numbered from 0: unique over int64 ns (the same days as over Timestamps, ~40× faster)
    days = np.unique(index.normalize().asi8, return_inverse=True)[1]
    n_days = int(days.max()) + 1
    eps = np.zeros(n_days)
    shocks = rng.normal(0.0, NOISE_SIGMA * np.sqrt(1 - NOISE_RHO**2), n_days)
    for i in range(n_days):
        eps[i] = (NOISE_RHO * eps[i - 1] if i else 0.0) + shocks[i]
    return s * d * w * (1 + eps[days])


def calibrate(raw: np.ndarray, target_mean: float) -> np.ndarray:
    """``(raw / max raw) ** k`` with ``mean == target_mean`` (bisection on log k); ``max`` stays exactly 1."""
    x = raw / raw.max()
    lo, hi = -12.0, 12.0  # log k
    for _ in range(200):
        mid = 0.5 * (lo + hi)
        if float(np.mean(x ** np.exp(mid))) > target_mean:
            lo = mid
        else:
            hi = mid
        if hi - lo < 1e-12:
            break
    out = x ** np.exp(0.5 * (lo + hi))
    out[int(np.argmax(raw))] = 1.0
    return out


def system_load_shapes(regions: pd.DataFrame, year: int, timezone: str) -> pd.DataFrame:
    """8760 × regions frame of system load per unit of peak (max 1.0, mean = load factor), in standard local time.

    ``regions`` needs ``id``, ``lat``, ``consumption_twh`` and ``peak_load_gw``; optional ``load_peak_season`` and
    ``load_peak_hour``. Raises :class:`DataError` naming the region and field when a load factor is not in (0, 1).
    """
    index = hourly_index(year, timezone)
    missing = [c for c in ("id", "lat", "consumption_twh", "peak_load_gw") if c not in regions.columns]
    if missing:
        raise DataError([DataIssue("error", "regions.csv", "", c, "required for system load shapes") for c in missing])
    lf = load_factor(regions)
    issues = [
        DataIssue("error", "regions.csv", rid, "peak_load_gw", f"gives load factor {v:.3f}; must lie in (0, 1)")
        for rid, v in lf.items()
        if not (0 < v < 1)
    ]
    if issues:
        raise DataError(issues)
    cols = {}
    for row in regions.sort_values("id").itertuples(index=False):
        rid = str(row.id)
        season = getattr(row, "load_peak_season", None)
        season = season if isinstance(season, str) and season in SEASON_AMPLITUDES else _default_season(float(row.lat))
        ph = getattr(row, "load_peak_hour", None)
        ph = float(ph) if ph is not None and pd.notna(ph) else (15.0 if season == "summer" else 18.0)
        cols[rid] = calibrate(raw_shape(rid, season, ph, index), float(lf[rid]))
    return pd.DataFrame(cols, index=index)
