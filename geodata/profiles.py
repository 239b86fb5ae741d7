"""Hourly capacity-factor profiles (8760 h) for wind and solar per region.

- **Solar** (``synthetic: clear-sky``): pvlib's clear-sky GHI (Haurwitz model, needs only the solar zenith) at
  the region's representative point, as a fraction of 1000 W/m², then scaled by one factor per region so that the
  annual full-load hours equal the region's observed solar utilisation hours (hours = Σ_h cf_h). Clear-sky
  shapes overstate winter and cloudy-day output; the annual energy is right, the day-to-day variance is not.
- **Wind** (``synthetic: seeded``): an AR(1) process (hourly persistence 0.97) around a seasonal cycle (higher in
  winter/spring) and a diurnal cycle (higher at night), pushed through a logistic power-curve-like transform and
  scaled to the region's observed wind utilisation hours. Seeded from the region id, hence deterministic.
- **Measured** profiles supplied by the user (CSV/Parquet, 8760 rows, one column per region id, values 0–1)
  replace the synthetic ones region by region.

Scaling uses bisection on a multiplier with values clipped to [0, 1], so the calibrated hours are met to
better than 0.1 % whenever they are reachable (hours < 8760).
"""

from __future__ import annotations

import zlib
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
from scipy.signal import lfilter

from geodata.errors import DataError, DataIssue

HOURS = 8760


def hourly_index(year: int, tz: str) -> pd.DatetimeIndex:
    """8760 hourly stamps of a non-leap reference year in the set's standard time (Feb 29 never appears)."""
    year = year if year % 4 else year - 1  # a leap weather year falls back to the year before
    return pd.date_range(f"{year}-01-01", periods=HOURS, freq="h", tz=tz)


def _calibrate(raw: np.ndarray, target_hours: float) -> np.ndarray:
    """Scale ``raw`` (≥ 0) by k with clipping to [0, 1] so that Σ clip(k·raw) = target_hours."""
    raw = np.clip(np.asarray(raw, dtype=float), 0.0, None)
    if target_hours <= 0 or raw.sum() <= 0:
        return np.zeros_like(raw)
    lo, hi = 0.0, target_hours / raw.sum()
    while np.clip(hi * raw, 0, 1).sum() < target_hours:
        hi *= 2.0
        if hi > 1e9:  # unreachable target: as high as the shape allows
            return np.clip(hi * raw, 0, 1)
    for _ in range(100):
        mid = 0.5 * (lo + hi)
        if np.clip(mid * raw, 0, 1).sum() < target_hours:
            lo = mid
        else:
            hi = mid
        if hi - lo < 1e-12 * hi:
            break
    return np.clip(hi * raw, 0, 1)


def solar_shape(lat: float, lon: float, index: pd.DatetimeIndex) -> np.ndarray:
    """Clear-sky GHI / 1000 W/m² at (lat, lon) for each hour (mid-hour sun position)."""
    import pvlib

    times = index + pd.Timedelta(minutes=30)
    sp = pvlib.solarposition.get_solarposition(times, lat, lon)
    ghi = pvlib.clearsky.haurwitz(sp["apparent_zenith"])["ghi"].to_numpy()
    return np.nan_to_num(ghi / 1000.0)


def wind_shape(region_id: str, lat: float, index: pd.DatetimeIndex) -> np.ndarray:
    """Seeded synthetic wind shape with seasonal, diurnal and weather-like (AR(1)) variation."""
    rng = np.random.default_rng(zlib.crc32(region_id.encode("utf-8")))
    doy = index.dayofyear.to_numpy()
    hod = index.hour.to_numpy()
    north = 1.0 if lat >= 0 else -1.0
    seasonal = 0.25 * np.cos(2 * np.pi * (doy - 45) / 365.0) * north  # peak mid-February (winter/spring)
    diurnal = 0.12 * np.cos(2 * np.pi * (hod - 2) / 24.0)  # peak ~02:00, trough mid-afternoon
    eps = rng.normal(0.0, 1.0, HOURS)
    phi = 0.97
    ar = lfilter([np.sqrt(1 - phi**2)], [1.0, -phi], eps)
    z = seasonal + diurnal + 0.9 * ar
    return 1.0 / (1.0 + np.exp(-2.2 * (z - 0.3)))


@dataclass
class Profiles:
    """Capacity factors (0–1), 8760 rows × regions, for ``wind`` and ``solar``; ``origin`` says where each came from."""

    index: pd.DatetimeIndex
    wind: pd.DataFrame
    solar: pd.DataFrame
    origin: dict[str, str] = field(default_factory=dict)  # "wind:<id>" -> "synthetic: seeded" | "measured: <file>"

    def hours(self) -> pd.DataFrame:
        """Annual full-load hours per region and technology."""
        return pd.DataFrame({"wind": self.wind.sum(), "solar": self.solar.sum()})


def build_profiles(
    regions: pd.DataFrame,
    year: int,
    tz: str,
    measured: dict[str, str | Path] | None = None,
) -> Profiles:
    """Synthetic profiles for every region, replaced by measured ones where supplied.

    ``regions`` needs ``id, lat, lon, wind_hours, solar_hours``. ``measured`` maps ``"wind"``/``"solar"`` to a
    CSV or Parquet file with 8760 rows and region ids as columns.
    """
    index = hourly_index(year, tz)
    wind, solar, origin = {}, {}, {}
    for r in regions.sort_values("id").itertuples(index=False):
        solar[r.id] = _calibrate(solar_shape(r.lat, r.lon, index), float(r.solar_hours))
        wind[r.id] = _calibrate(wind_shape(r.id, r.lat, index), float(r.wind_hours))
        origin[f"solar:{r.id}"] = "synthetic: pvlib clear-sky scaled to observed hours"
        origin[f"wind:{r.id}"] = "synthetic: seeded AR(1) scaled to observed hours"
    prof = Profiles(index, pd.DataFrame(wind, index=index), pd.DataFrame(solar, index=index), origin)
    for tech, path in (measured or {}).items():
        _apply_measured(prof, tech, Path(path), set(regions["id"]))
    return prof


def read_measured(path: Path) -> pd.DataFrame:
    if not path.exists():
        raise DataError(DataIssue("error", str(path), "", "", "profile file not found"))
    try:
        if path.suffix.lower() in (".parquet", ".pq"):
            df = pd.read_parquet(path)
        else:
            df = pd.read_csv(path)
    except Exception as exc:
        raise DataError(DataIssue("error", str(path), "", "", f"cannot be read as CSV/Parquet: {exc}")) from exc
    for col in ("time", "timestamp", "hour", "datetime"):
        if col in df.columns:
            df = df.drop(columns=col)
    return df


def _apply_measured(prof: Profiles, tech: str, path: Path, region_ids: set[str]) -> None:
    if tech not in ("wind", "solar"):
        raise DataError(DataIssue("error", str(path), "", "", f"profile kind '{tech}' unknown (allowed: wind, solar)"))
    df = read_measured(path)
    if len(df) != HOURS:
        raise DataError(DataIssue("error", str(path), "", "", f"has {len(df)} rows; 8760 hourly values needed"))
    unknown = sorted(set(df.columns) - region_ids)
    if unknown:
        raise DataError(
            DataIssue(
                "error", str(path), "", unknown[0], f"column is not a region id of this set ({len(unknown)} unknown)"
            )
        )
    target = prof.wind if tech == "wind" else prof.solar
    for col in sorted(df.columns):
        vals = pd.to_numeric(df[col], errors="coerce").to_numpy(dtype=float)
        bad = np.flatnonzero(~np.isfinite(vals) | (vals < 0) | (vals > 1))
        if bad.size:
            raise DataError(
                DataIssue("error", str(path), str(int(bad[0]) + 2), col, "capacity factors must be numbers in [0, 1]")
            )
        target[col] = vals
        prof.origin[f"{tech}:{col}"] = f"measured: {path.name}"
