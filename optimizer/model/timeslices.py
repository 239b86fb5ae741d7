"""Weighted time slices: one code path for annual, monthly, representative-day and hourly models.

Every mode produces slices t with weights w_t (hours each slice stands for, Σ_t w_t = 8760), the hours of each
slice that fall in each calendar month (``month_hours[t, m]``, Σ_m = w_t; used by monthly matching), capacity
factors per region and slice, and the inference load shape per slice (mean 1 over the year) in the region set's
time zone, plus the UTC hour at which each slice starts so that a site's own shape can follow its local time
(:func:`local_inference_shape`):

- ``annual``: 1 slice, w = 8760, annual-mean capacity factors.
- ``monthly``: 12 slices, w = hours of the month, monthly means.
- ``representative_days``: k typical days × 24 h chosen by tsam (hierarchical clustering, medoids, column means
  preserved) on the wind and solar profiles of all regions; w = 24-h slice × number of days the typical day
  stands for. Optional extreme days (lowest national wind, lowest national solar) are appended.
- ``hourly``: 8760 slices, w = 1.

With ``segments`` (representative days only) each typical day is cut into that many segments of variable length
(tsam segmentation, segment means): w = days × segment hours; storage then steps by the segment's duration.
Capacity factors below 1e-4 are set to 0 (they only widen the coefficient range of the LP).

Representative days are memoised in the process (sweeps and Pareto points reuse them) and cached on disk next to
the profiles (``~/.cache/gridsite/slices``, see :func:`geodata.profiles.default_cache_dir`), keyed by a hash of
the profiles, the options, this module's and ``optimizer.model.demand``'s source and the tsam version: a hit skips
importing tsam and the clustering (~0.5–1 s) and returns the same numbers.
"""

from __future__ import annotations

import hashlib
import warnings
from collections import OrderedDict
from dataclasses import dataclass, fields
from importlib.metadata import version
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from optimizer.model import demand
from optimizer.model.demand import diurnal_shape


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
    duration: np.ndarray | None = None  # (T,) chronological hours per slice (storage); None = 1 h each
    period_length: int = 0  # slices per chronological cycle (a typical day) for storage; 0 = all slices
    start_hour_utc: np.ndarray | None = None  # (T,) UTC hour each slice starts at; None = whole days (annual/monthly)

    def hours(self) -> np.ndarray:
        """Chronological hours each slice spans within its cycle (1 for hourly slices)."""
        return np.ones(self.n) if self.duration is None else self.duration

    @property
    def n(self) -> int:
        return len(self.weight)


def _month_matrix(months: np.ndarray, weights: np.ndarray | None = None) -> np.ndarray:
    m = np.zeros((len(months), 12))
    m[np.arange(len(months)), months - 1] = 1.0 if weights is None else weights
    return m


CF_EPS = 1e-4


def build_time_slices(
    wind: pd.DataFrame,
    solar: pd.DataFrame,
    mode: str,
    days: int = 12,
    extreme_days: bool = True,
    segments: int | None = None,
    cache_dir: str | Path | None = "default",
) -> TimeSlices:
    """Cut 8760-h profiles (rows: hours, columns: region ids) into weighted slices for ``mode``.

    ``cache_dir``: where representative days are cached (``"default"``: gridsite's cache folder; ``None``: none).
    """
    if mode != "representative_days":
        return _finish(_build(wind, solar, mode, days, extreme_days, segments))
    key = _slices_key(wind, solar, days, extreme_days, segments)
    ts = _MEMO.get(key)
    if ts is None:
        if cache_dir == "default":
            from geodata.profiles import default_cache_dir

            cache_dir = default_cache_dir()
        path = Path(cache_dir) / "slices" / f"{key}.npz" if cache_dir else None
        ts = _read_slices(path) if path else None
        if ts is None:
            ts = _finish(_build(wind, solar, mode, days, extreme_days, segments))
            if path:
                _write_slices(path, ts)
        _MEMO[key] = ts
        while len(_MEMO) > 32:
            _MEMO.popitem(last=False)
    return _copy(ts)


def _finish(ts: TimeSlices) -> TimeSlices:
    w = np.where(ts.wind < CF_EPS, 0.0, ts.wind)
    s = np.where(ts.solar < CF_EPS, 0.0, ts.solar)
    return TimeSlices(**{**ts.__dict__, "wind": w, "solar": s})


_MEMO: OrderedDict[str, TimeSlices] = OrderedDict()
_ARRAYS = (
    "weight",
    "month_hours",
    "wind",
    "solar",
    "inference_shape",
    "days_represented",
    "duration",
    "start_hour_utc",
)


def _slices_key(wind: pd.DataFrame, solar: pd.DataFrame, days: int, extreme_days: bool, segments) -> str:
    """Hash of everything representative days depend on: profiles, options, code, tsam's version."""
    h = hashlib.sha256()
    for f in (Path(__file__), Path(demand.__file__)):
        h.update(f.read_bytes())
    h.update(f"{version('tsam')}|{version('numpy')}|{version('pandas')}|{days}|{extreme_days}|{segments}".encode())
    for df in (wind, solar):
        h.update("|".join(map(str, df.columns)).encode())
        h.update(np.ascontiguousarray(df.index.asi8).tobytes())
        h.update(np.ascontiguousarray(df.to_numpy(dtype=float)).tobytes())
    return h.hexdigest()[:40]


def _copy(ts: TimeSlices) -> TimeSlices:
    """A TimeSlices whose arrays the caller may change without touching the memoised one."""
    return TimeSlices(
        **{f.name: getattr(ts, f.name) for f in fields(ts)}
        | {a: None if getattr(ts, a) is None else getattr(ts, a).copy() for a in _ARRAYS}
    )


def _write_slices(path: Path, ts: TimeSlices) -> None:
    from geodata.profiles import write_npz_atomic

    arrays = {a: getattr(ts, a) for a in _ARRAYS if getattr(ts, a) is not None}
    write_npz_atomic(
        path,
        **arrays,
        labels=np.array(ts.labels),
        regions=np.array(ts.regions),
        meta=np.array([ts.mode, str(ts.period_length)]),
    )


def _read_slices(path: Path) -> TimeSlices | None:
    try:
        with np.load(path, allow_pickle=False) as z:
            mode, period = (str(x) for x in z["meta"])
            kw: dict[str, Any] = {a: (z[a] if a in z.files else None) for a in _ARRAYS}
            return TimeSlices(
                mode=mode,
                labels=tuple(str(x) for x in z["labels"]),
                regions=tuple(str(x) for x in z["regions"]),
                period_length=int(period),
                **kw,
            )
    except (OSError, KeyError, ValueError):
        return None


def _build(wind, solar, mode, days, extreme_days, segments) -> TimeSlices:
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
            start_hour_utc=None if idx.tz is None else _utc_hours(idx),
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
        offset = None if idx.tz is None else idx[0].utcoffset().total_seconds() / 3600.0
        return _representative_days(wind, solar, regions, days, extreme_days, infer, segments, offset)
    raise ValueError(f"unknown time mode '{mode}'")


def _utc_hours(idx: pd.DatetimeIndex) -> np.ndarray:
    utc = idx.tz_convert("UTC")
    return np.asarray(utc.hour, dtype=float) + np.asarray(utc.minute, dtype=float) / 60.0


def _representative_days(wind, solar, regions, days, extreme_days, infer, segments=None, offset=None) -> TimeSlices:
    """Typical days; ``offset``: the profiles' UTC offset in hours (their day starts at local midnight)."""
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
            segments=tsam.SegmentConfig(n_segments=segments) if segments and segments < 24 else None,
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
    if segments and segments < 24:
        assert res.segment_durations is not None  # tsam returns them whenever segments were asked for
        durs = [np.asarray(d, dtype=float) for d in res.segment_durations]
        durs = [durs[c] for c in order] if len(durs) == k else durs
    else:
        durs = [np.ones(24) for _ in order]
    n_seg = len(durs[0])
    T = k * n_seg
    wind_cf = np.zeros((len(regions), T))
    solar_cf = np.zeros((len(regions), T))
    shape24 = diurnal_shape(np.arange(24), "inference")
    inf = np.zeros(T)
    duration = np.zeros(T)
    start = np.zeros(T)
    labels = []
    for i, c in enumerate(order):
        block = reps.loc[c]
        sl = slice(i * n_seg, (i + 1) * n_seg)
        for j, r in enumerate(regions):
            for tech, arr in (("wind", wind_cf), ("solar", solar_cf)):
                col = f"{tech}|{r}"
                vals = block[col].to_numpy() if col in block.columns else np.full(n_seg, data[col].iloc[0])
                arr[j, sl] = np.clip(vals, 0.0, 1.0)
        starts = np.concatenate([[0], np.cumsum(durs[i])[:-1]]).astype(int)
        for q, (h0, d) in enumerate(zip(starts, durs[i].astype(int), strict=True)):
            inf[i * n_seg + q] = shape24[h0 : h0 + d].mean()
            duration[i * n_seg + q] = d
            start[i * n_seg + q] = h0
            labels.append(f"d{i:02d}h{h0:02d}")
    weight = np.concatenate([w_days[i] * durs[i] for i in range(k)])
    month_hours = np.concatenate([np.outer(durs[i], month_days[i]) for i in range(k)])
    return TimeSlices(
        "representative_days",
        weight,
        month_hours,
        wind_cf,
        solar_cf,
        inf,
        tuple(labels),
        regions,
        w_days,
        duration=duration,
        period_length=n_seg,
        start_hour_utc=None if offset is None else np.mod(start - offset, 24.0),
    )


def local_inference_shape(ts: TimeSlices, utc_offset_h: float) -> np.ndarray:
    """The inference load shape (T,) of a site whose local time is UTC + ``utc_offset_h`` hours::

        shape_s(t) = (1/d_t) · Σ_{j=0}^{d_t−1} shape((h_t + o_s + j) mod 24)

    with h_t the UTC hour slice t starts at, d_t its chronological hours (1 for hourly slices) and ``shape`` the
    diurnal inference curve of :func:`optimizer.model.demand.diurnal_shape` (peak 20:00 local). For a site in the region
    set's own time zone this is ``ts.inference_shape``. Annual and monthly slices are whole days, over which every
    local hour occurs equally often: the shape is the set's one (mean of the curve).
    """
    if ts.start_hour_utc is None:
        return ts.inference_shape.copy()
    d = ts.hours().astype(int)
    j = np.arange(int(d.max()))
    local = np.mod(ts.start_hour_utc[:, None] + float(utc_offset_h) + j[None, :], 24.0)
    mask = j[None, :] < d[:, None]
    return (diurnal_shape(local, "inference") * mask).sum(axis=1) / d
