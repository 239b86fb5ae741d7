"""Hourly capacity-factor profiles (8760 h) for wind and solar per region.

Both synthetic profiles are generated jointly for all regions of a set, so that neighbouring regions share their
weather: the correlation between two regions decays with the great-circle distance d between their points as
exp(−d/L) (a Gaussian field, Cholesky factor of the region covariance matrix). docs/data.md ("Hourly wind and solar
profiles") gives every statistic, its target and its source.

- **Wind** (``synthetic: seeded``): an AR(1) process (hourly persistence 0.97) driven by spatially correlated
  innovations (L = :data:`WIND_CORRELATION_KM`) around a seasonal cycle (higher in winter/spring) and a diurnal
  cycle (higher at night), pushed through a logistic power-curve-like transform and scaled to the region's
  observed wind utilisation hours.
- **Solar** (``synthetic: clear-sky × clearness``): pvlib's clear-sky GHI (Haurwitz model) at the region's
  representative point, as a fraction of 1000 W/m², times one cloudiness factor per local day drawn from the
  Bendt et al. daily clearness-index distribution (spatially correlated, L = :data:`SOLAR_CORRELATION_KM`), then
  scaled so that the annual full-load hours equal the region's observed solar utilisation hours.
- **Importer**: :func:`import_ninja` turns renewables.ninja hourly CSVs (one per region) into a measured table.
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
from collections.abc import Mapping
from dataclasses import dataclass, field
from importlib.metadata import version
from pathlib import Path

import numpy as np
import pandas as pd

from gridsite.errors import DataError, DataIssue

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


EARTH_RADIUS_KM = 6371.0
WIND_CORRELATION_KM = 723.0
"""e-folding length L of the hourly wind-power correlation, ρ(d) = exp(−d/L): Giebel (2000), fit over European
stations (see docs/data.md, "Hourly wind and solar profiles")."""
SOLAR_CORRELATION_KM = 455.0
"""e-folding length of the daily clearness correlation between stations, derived from Baker & Skaggs (1984)
(r = 0.88 at 60 km, falling 0.12 per 100 km to r ≈ 0.30 at 550 km: L = 490 / ln(0.88/0.30)); an estimate."""
CLEARNESS_MIN = 0.05
"""Lowest daily clearness index of the Bendt et al. (1981) distribution."""
CLEARNESS_RANGE = (0.35, 0.65)
"""Annual-mean daily clearness index K̄_T given to the cloudiest and the sunniest region of a set (estimate)."""
OVERCAST_KT = 0.30
"""A day counts as overcast when its clearness index K_T is below this value (convention of this module)."""


def great_circle_km(lat: np.ndarray, lon: np.ndarray) -> np.ndarray:
    """Pairwise great-circle distances (haversine, R = 6371 km) between points given in degrees."""
    la, lo = np.radians(np.asarray(lat, float)), np.radians(np.asarray(lon, float))
    dla = la[:, None] - la[None, :]
    dlo = lo[:, None] - lo[None, :]
    a = np.sin(dla / 2) ** 2 + np.cos(la[:, None]) * np.cos(la[None, :]) * np.sin(dlo / 2) ** 2
    return 2 * EARTH_RADIUS_KM * np.arcsin(np.sqrt(np.clip(a, 0.0, 1.0)))


def correlated_normals(
    lat: np.ndarray, lon: np.ndarray, length_km: float, n: int, rng: np.random.Generator
) -> np.ndarray:
    """``n`` draws (rows) of a Gaussian field at the points: each column N(0, 1), corr(i, j) = exp(−d_ij / L).

    Σ_ij = exp(−d_ij/L) (positive definite for great-circle distances on the sphere), Σ = C Cᵀ (Cholesky, with a
    1e-10 ridge for round-off), rows = ε C ᵀ with ε i.i.d. N(0, 1), so that Cov(row) = Σ.
    """
    d = great_circle_km(lat, lon)
    sigma = np.exp(-d / float(length_km)) + 1e-10 * np.eye(len(d))
    chol = np.linalg.cholesky(sigma)
    return rng.standard_normal((n, len(d))) @ chol.T


def _seed(kind: str, ids: list[str]) -> int:
    return zlib.crc32(("|".join([kind, *ids])).encode("utf-8"))


def wind_shapes(ids: list[str], lat: np.ndarray, lon: np.ndarray, index: pd.DatetimeIndex) -> np.ndarray:
    """Seeded synthetic wind shapes (8760 × regions), spatially correlated across regions.

    z_{h,i} = s_i(h) + g(h) + 0.9·a_{h,i}, with the seasonal cycle s_i = ±0.25·cos(2π(doy − 45)/365) (peak in
    mid-February in the northern hemisphere), the diurnal cycle g = 0.12·cos(2π(hour − 2)/24) (peak ~02:00) and the
    AR(1) weather term a_{h,i} = φ·a_{h−1,i} + √(1−φ²)·ε_{h,i}, φ = 0.97 (unit variance). The innovations ε_h are a
    Gaussian field with corr(ε_i, ε_j) = exp(−d_ij/L_wind); the same filter on every column keeps that correlation
    for a. The shape is logistic: 1/(1 + exp(−2.2(z − 0.3))), later scaled to the observed full-load hours.
    """
    rng = np.random.default_rng(_seed("wind", ids))
    doy = index.dayofyear.to_numpy()
    hod = index.hour.to_numpy()
    north = np.where(np.asarray(lat, float) >= 0, 1.0, -1.0)
    seasonal = 0.25 * np.cos(2 * np.pi * (doy - 45) / 365.0)[:, None] * north[None, :]
    diurnal = 0.12 * np.cos(2 * np.pi * (hod - 2) / 24.0)[:, None]
    eps = correlated_normals(lat, lon, WIND_CORRELATION_KM, HOURS, rng)
    phi = 0.97
    from scipy.signal import lfilter  # here, not at import: ~0.7 s, needed only when profiles are computed

    ar = lfilter([np.sqrt(1 - phi**2)], [1.0, -phi], eps, axis=0)
    z = seasonal + diurnal + 0.9 * ar
    return 1.0 / (1.0 + np.exp(-2.2 * (z - 0.3)))


def clearness_bounds(kbar: float) -> tuple[float, float]:
    """(K_min, K_max) of the Bendt et al. (1981) daily clearness distribution for the mean K̄_T:
    K_min = 0.05, K_max = 0.6313 + 0.267·K̄_T − 11.9·(K̄_T − 0.75)^8."""
    return CLEARNESS_MIN, 0.6313 + 0.267 * kbar - 11.9 * (kbar - 0.75) ** 8


def _truncexp_mean(gamma: float, lo: float, hi: float) -> float:
    """Mean of the density ∝ exp(γk) on [lo, hi]: with w = hi − lo and x = γw, mean = lo + w·(1 + 1/(eˣ − 1) − 1/x)."""
    w = hi - lo
    x = gamma * w
    if abs(x) < 1e-6:
        return lo + w / 2
    return float(lo + w * (1.0 + 1.0 / np.expm1(x) - 1.0 / x))


def clearness_gamma(kbar: float) -> float:
    """γ of the Bendt et al. (1981) distribution, F(K) = (e^{γK_min} − e^{γK})/(e^{γK_min} − e^{γK_max}), solved so
    that its mean equals K̄_T (the mean of the truncated exponential rises monotonically with γ)."""
    from scipy.optimize import brentq

    lo, hi = clearness_bounds(kbar)
    if not lo < kbar < hi:
        raise ValueError(f"mean clearness {kbar} outside ({lo}, {hi:.3f})")
    return float(brentq(lambda g: _truncexp_mean(g, lo, hi) - kbar, -500.0, 500.0, xtol=1e-10))


def clearness_cdf(k: np.ndarray, kbar: float) -> np.ndarray:
    """Bendt et al. (1981) cumulative distribution of the daily clearness index K_T for the mean K̄_T."""
    lo, hi = clearness_bounds(kbar)
    g = clearness_gamma(kbar)
    k = np.clip(np.asarray(k, float), lo, hi)
    if abs(g) < 1e-9:
        return (k - lo) / (hi - lo)
    return np.expm1(g * (k - lo)) / np.expm1(g * (hi - lo))


def clearness_ppf(u: np.ndarray, kbar: float) -> np.ndarray:
    """Inverse of :func:`clearness_cdf`: K = K_min + ln(1 + u·(e^{γ(K_max − K_min)} − 1))/γ."""
    lo, hi = clearness_bounds(kbar)
    g = clearness_gamma(kbar)
    u = np.clip(np.asarray(u, float), 0.0, 1.0)
    if abs(g) < 1e-9:
        return lo + u * (hi - lo)
    return lo + np.log1p(u * np.expm1(g * (hi - lo))) / g


def mean_clearness(solar_hours: np.ndarray, clear_sky_hours: np.ndarray) -> np.ndarray:
    """Annual-mean daily clearness index K̄_T per region (estimate).

    The ratio r = observed solar full-load hours / clear-sky hours ranks the regions from cloudiest to sunniest
    (it also carries tracking and DC/AC ratios, so only the rank order within a set is used):
    K̄_T = a + (b − a)·(r − r_min)/(r_max − r_min) with (a, b) = :data:`CLEARNESS_RANGE`.
    """
    r = np.asarray(solar_hours, float) / np.maximum(np.asarray(clear_sky_hours, float), 1e-9)
    a, b = CLEARNESS_RANGE
    span = r.max() - r.min() if len(r) else 0.0
    if span <= 0:
        return np.full(len(r), 0.5 * (a + b))
    return a + (b - a) * (r - r.min()) / span


def daily_clearness(ids: list[str], lat: np.ndarray, lon: np.ndarray, kbar: np.ndarray, days: int) -> np.ndarray:
    """Daily clearness indices K_T (days × regions), seeded, spatially correlated.

    A Gaussian field z_d with corr(z_i, z_j) = exp(−d_ij/L_solar), one independent draw per day, is mapped through
    the normal CDF Φ and the inverse Bendt distribution of each region: K_{d,i} = F⁻¹(Φ(z_{d,i}); K̄_T,i). The
    marginal of every region is exactly Bendt's for its K̄_T; the spatial correlation is that of z (slightly less
    after the monotone transform).
    """
    from scipy.stats import norm

    rng = np.random.default_rng(_seed("solar", ids))
    z = correlated_normals(lat, lon, SOLAR_CORRELATION_KM, days, rng)
    u = norm.cdf(z)
    return np.column_stack([clearness_ppf(u[:, i], float(kbar[i])) for i in range(len(ids))])


def day_number(index: pd.DatetimeIndex) -> np.ndarray:
    """0-based local day of each hour (0 … 364)."""
    return ((index - index[0]) // pd.Timedelta(days=1)).to_numpy().astype(int)


def solar_shapes(
    ids: list[str], lat: np.ndarray, lon: np.ndarray, solar_hours: np.ndarray, index: pd.DatetimeIndex
) -> tuple[np.ndarray, np.ndarray]:
    """(shapes, K_T): clear-sky shape × daily cloudiness factor K_{d,i}/K_max,i per region, before scaling.

    The factor is 1 on the clearest possible day and K_min/K_max on the darkest; it applies to every hour of the
    local day. Scaling to observed full-load hours follows in :func:`build_profiles`.
    """
    clear = np.column_stack([solar_shape(la, lo, index) for la, lo in zip(lat, lon, strict=True)])
    kbar = mean_clearness(solar_hours, clear.sum(axis=0))
    day = day_number(index)
    kt = daily_clearness(ids, lat, lon, kbar, int(day.max()) + 1)
    kmax = np.array([clearness_bounds(float(k))[1] for k in kbar])
    return clear * (kt / kmax[None, :])[day, :], kt


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

    Holds derived data only (synthetic profiles, representative-day slices, the maps' base scenes in ``maps/``),
    each file named by a hash of everything it was computed from; deleting the folder is always safe.
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
            np.savez(f, **arrays)  # type: ignore[arg-type]  # numpy's stub lets **kwds also fill allow_pickle: bool
        os.replace(tmp, path)
    except OSError:
        if tmp:
            Path(tmp).unlink(missing_ok=True)


def build_profiles(
    regions: pd.DataFrame,
    year: int,
    tz: str,
    measured: Mapping[str, str | Path] | None = None,
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
        origin[f"solar:{rid}"] = "synthetic: pvlib clear-sky × correlated daily clearness, scaled to observed hours"
        origin[f"wind:{rid}"] = "synthetic: seeded spatially correlated AR(1), scaled to observed hours"
    if cache_dir == "default":
        cache_dir = default_cache_dir()
    path = Path(cache_dir) / "profiles" / f"{_cache_key(ordered, year, tz)}.npz" if cache_dir else None
    cached = _read_cache(path, list(ordered["id"])) if path else None
    if cached is not None:
        wind_df = pd.DataFrame(cached[0], index=index, columns=list(ordered["id"]))
        solar_df = pd.DataFrame(cached[1], index=index, columns=list(ordered["id"]))
    else:
        ids = [str(i) for i in ordered["id"]]
        lat, lon = ordered["lat"].to_numpy(float), ordered["lon"].to_numpy(float)
        w_raw = wind_shapes(ids, lat, lon, index)
        s_raw, _ = solar_shapes(ids, lat, lon, ordered["solar_hours"].to_numpy(float), index)
        wh, sh = ordered["wind_hours"].to_numpy(float), ordered["solar_hours"].to_numpy(float)
        wind = {rid: _calibrate(w_raw[:, i], wh[i]) for i, rid in enumerate(ids)}
        solar = {rid: _calibrate(s_raw[:, i], sh[i]) for i, rid in enumerate(ids)}
        wind_df, solar_df = pd.DataFrame(wind, index=index), pd.DataFrame(solar, index=index)
        if path:
            _write_cache(path, list(ordered["id"]), wind_df.to_numpy(), solar_df.to_numpy())
    prof = Profiles(index, wind_df, solar_df, origin)
    for tech, src in (measured or {}).items():
        _apply_measured(prof, tech, Path(src), set(regions["id"]))
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


def _read_ninja(path: Path, column: str) -> pd.Series:
    """One renewables.ninja hourly CSV: ``#`` comment lines, then a header with ``time`` (UTC) and ``column``."""
    if not path.exists():
        raise DataError(DataIssue("error", str(path), "", "", "file not found"))
    try:
        df = pd.read_csv(path, comment="#", skip_blank_lines=True)
    except Exception as exc:
        raise DataError(
            DataIssue("error", str(path), "", "", f"cannot be read as a renewables.ninja CSV: {exc}")
        ) from exc
    if column not in df.columns:
        cols = ", ".join(map(str, df.columns)) or "none"
        raise DataError(DataIssue("error", str(path), "", column, f"column not found (columns: {cols})"))
    if "time" in df.columns:
        times = pd.to_datetime(df["time"], errors="coerce", utc=True)
        bad = np.flatnonzero(times.isna().to_numpy())
        if bad.size:
            raise DataError(DataIssue("error", str(path), str(int(bad[0]) + 2), "time", "not a date-time"))
        leap = ((times.dt.month == 2) & (times.dt.day == 29)).to_numpy()
        df = df.loc[~leap]  # a leap year drops Feb 29 (UTC), as the reference calendar has none
    vals = pd.to_numeric(df[column], errors="coerce")
    bad = np.flatnonzero(~np.isfinite(vals.to_numpy(dtype=float)))
    if bad.size:
        raise DataError(DataIssue("error", str(path), f"data row {int(bad[0]) + 1}", column, "not a number"))
    if len(vals) != HOURS:
        raise DataError(
            DataIssue(
                "error", str(path), "", column, f"has {len(vals)} hourly rows; 8760 (or 8784 for a leap year) needed"
            )
        )
    out = vals.to_numpy(dtype=float)
    bad = np.flatnonzero((out < 0) | (out > 1))
    if bad.size:
        raise DataError(
            DataIssue(
                "error",
                str(path),
                f"data row {int(bad[0]) + 1}",
                column,
                f"value {out[bad[0]]:g} outside [0, 1] (download with capacity 1 kW: values are capacity factors)",
            )
        )
    return pd.Series(out)


def standard_offset_hours(tz: str, year: int) -> int:
    """Whole-hour UTC offset of the time zone's standard time (its offset on 1 January of ``year``)."""
    off = pd.Timestamp(f"{year}-01-01", tz=tz).utcoffset()
    return round(off.total_seconds() / 3600) if off is not None else 0


def import_ninja(
    files: dict[str, str | Path],
    region_ids: set[str] | list[str],
    tz: str,
    year: int = 2023,
    column: str = "electricity",
) -> pd.DataFrame:
    """renewables.ninja hourly CSVs (one per region) → a measured-profile table for ``grid.profiles``.

    ``files`` maps region id → CSV file as downloaded from renewables.ninja (capacity 1 kW, so ``electricity`` is
    a capacity factor). Rows are UTC hours; they are rotated by the set's standard UTC offset so that row h is hour h
    of the year in the set's time zone (local[h] = utc[(h − offset) mod 8760]; the first/last ``offset`` hours
    wrap around the year end). Feb 29 of a leap year is dropped. Returns 8760 rows × region ids (columns sorted).
    Raises :class:`DataError` naming the file and the field for an unknown region, a missing column, a row count
    other than 8760, non-numeric values or values outside [0, 1].
    """
    known = set(region_ids)
    off = standard_offset_hours(tz, year)
    cols: dict[str, np.ndarray] = {}
    for rid, f in sorted(files.items()):
        if rid not in known:
            raise DataError(
                DataIssue(
                    "error", str(f), "", "region", f"'{rid}' is not a region id of this set (e.g. {sorted(known)[0]})"
                )
            )
        cols[rid] = np.roll(_read_ninja(Path(f), column).to_numpy(), off)
    return pd.DataFrame(cols)
