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

The synthetic profiles of a region set take ~1.5–2 s to compute (pvlib's solar position for every region and
hour). They are cached on disk (``~/.cache/gridsite/profiles``, or under ``$GRIDSITE_CACHE_DIR``; ``off`` disables)
under a key made of everything they depend on: this module's source, the pvlib/numpy/scipy versions, the year,
the time zone and each region's id, coordinates and calibration hours. A cached file holds the exact float64
arrays, so a cached run gives bit-identical results; any change to the inputs or the code makes a new key.
"""

from __future__ import annotations

import hashlib
import os
import tempfile
import zlib
from dataclasses import dataclass, field
from importlib.metadata import version
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


def default_cache_dir() -> Path | None:
    """gridsite's cache folder: ``$GRIDSITE_CACHE_DIR`` (``off`` = no caching) or ``~/.cache/gridsite``.

    Holds derived data only (synthetic profiles, representative-day slices), each file named by a hash of
    everything it was computed from; deleting the folder is always safe.
    """
    env = os.environ.get("GRIDSITE_CACHE_DIR", "")
    if env.strip().lower() in ("off", "0", "none", "false"):
        return None
    if env:
        return Path(env)
    base = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(base) / "gridsite"


def _cache_key(regions: pd.DataFrame, year: int, tz: str) -> str:
    """Hash of everything the synthetic profiles depend on (code, library versions, inputs)."""
    h = hashlib.sha256(Path(__file__).read_bytes())
    libs = "|".join(version(p) for p in ("pvlib", "numpy", "scipy", "pandas"))
    h.update(f"{libs}|{year}|{tz}\n".encode())
    for r in regions.itertuples(index=False):
        vals = (float(r.lat), float(r.lon), float(r.wind_hours), float(r.solar_hours))
        h.update((str(r.id) + "|" + "|".join(repr(v) for v in vals) + "\n").encode())
    return h.hexdigest()[:40]


def _read_cache(path: Path, ids: list[str]) -> tuple[np.ndarray, np.ndarray] | None:
    try:
        with np.load(path, allow_pickle=False) as z:
            if list(z["ids"]) != ids or z["wind"].shape != (HOURS, len(ids)) or z["solar"].shape != z["wind"].shape:
                return None
            return z["wind"], z["solar"]
    except (OSError, KeyError, ValueError):
        return None


def _write_cache(path: Path, ids: list[str], wind: np.ndarray, solar: np.ndarray) -> None:
    write_npz_atomic(path, ids=np.array(ids), wind=wind, solar=solar)


def write_npz_atomic(path: Path, **arrays: np.ndarray) -> None:
    """Write an ``.npz`` atomically (temporary file + rename): concurrent runs never read a partial file. Best
    effort: a read-only or full disk only costs the next run the recomputation."""
    tmp = None
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=path.parent, suffix=".tmp")
        with os.fdopen(fd, "wb") as f:
            np.savez(f, **arrays)
        os.replace(tmp, path)
    except OSError:
        if tmp:
            Path(tmp).unlink(missing_ok=True)


def build_profiles(
    regions: pd.DataFrame,
    year: int,
    tz: str,
    measured: dict[str, str | Path] | None = None,
    cache_dir: str | Path | None = "default",
) -> Profiles:
    """Synthetic profiles for every region, replaced by measured ones where supplied.

    ``regions`` needs ``id, lat, lon, wind_hours, solar_hours``. ``measured`` maps ``"wind"``/``"solar"`` to a
    CSV or Parquet file with 8760 rows and region ids as columns. ``cache_dir``: the cache folder (synthetic
    profiles go to its ``profiles/``; ``"default"``: :func:`default_cache_dir`; ``None``: always compute).
    """
    index = hourly_index(year, tz)
    ordered = regions.sort_values("id")
    origin = {}
    for rid in ordered["id"]:
        origin[f"solar:{rid}"] = "synthetic: pvlib clear-sky scaled to observed hours"
        origin[f"wind:{rid}"] = "synthetic: seeded AR(1) scaled to observed hours"
    if cache_dir == "default":
        cache_dir = default_cache_dir()
    path = Path(cache_dir) / "profiles" / f"{_cache_key(ordered, year, tz)}.npz" if cache_dir else None
    cached = _read_cache(path, list(ordered["id"])) if path else None
    if cached is not None:
        wind_df = pd.DataFrame(cached[0], index=index, columns=list(ordered["id"]))
        solar_df = pd.DataFrame(cached[1], index=index, columns=list(ordered["id"]))
    else:
        wind, solar = {}, {}
        for r in ordered.itertuples(index=False):
            solar[r.id] = _calibrate(solar_shape(r.lat, r.lon, index), float(r.solar_hours))
            wind[r.id] = _calibrate(wind_shape(r.id, r.lat, index), float(r.wind_hours))
        wind_df, solar_df = pd.DataFrame(wind, index=index), pd.DataFrame(solar, index=index)
        if path:
            _write_cache(path, list(ordered["id"]), wind_df.to_numpy(), solar_df.to_numpy())
    prof = Profiles(index, wind_df, solar_df, origin)
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
