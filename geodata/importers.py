"""Importers for measured hourly wind and solar profiles in common public formats → ``grid.profiles`` tables.

Every importer returns the table that ``grid.profiles`` accepts (see :func:`geodata.profiles.build_profiles`):
8760 rows, one column per region id of the set, capacity factors in [0, 1], row h = hour h of a non-leap year on
the set's clock (its standard time, ``regions.meta`` ``timezone``; the model has one clock for all regions).

Formats (``FORMATS``):

- ``ninja``: renewables.ninja hourly CSVs, one per region (:func:`geodata.profiles.import_ninja`).
- ``atlite``: the NetCDF written from an atlite conversion aggregated over shapes, e.g.
  ``cutout.wind(turbine, shapes=regions, per_unit=True).to_netcdf(f)``: one data variable with a ``time`` dimension
  (UTC) and one region dimension (the index name of ``shapes``, ``dim_0`` when it has none). PyPSA-Eur style
  ``profile`` files are read the same way when every other dimension has length 1.
- ``pypsa``: a PyPSA network's ``generators-p_max_pu.csv`` (``snapshot`` column, one column per generator named
  ``"<bus> <carrier>"``, e.g. ``"Gansu onwind"``) or a network exported to NetCDF (variable
  ``generators_t_p_max_pu``). Only generators of the chosen carrier are read (``onwind`` for wind, ``solar`` for
  solar unless ``carrier`` says otherwise); the bus name is the generator name without the carrier suffix.
  Snapshots without a time zone are taken as UTC (PyPSA-Eur's convention).
- ``reeds``: NREL ReEDS hourly resource profiles (``inputs/variability/multi_year/<tech>-<access>_<resolution>.h5``
  as written by ReEDS' hourlize ``write_profile_to_h5``): datasets ``data`` (hours × columns; ``cf`` in files
  written by older hourlize versions), ``columns`` (``"<class>|<region>"``, e.g. ``"3|p19"``), ``index_0`` with
  ISO date-times carrying their UTC offset (``index_names`` = ``datetime``), usually several weather years
  stacked. The classes of a region are averaged with equal weights (or one class is chosen with ``reeds_class``);
  capacity weights would need the ReEDS supply curve, which is not read.

Names → region ids. The names of the file (atlite regions, PyPSA buses, ReEDS BAs or counties) are matched to
the set's region ids, either by a mapping file or, without one, by name: a name matches a region when, ignoring
case, spaces and punctuation, it equals the region's ``id``, ``name_en`` or ``name_zh``. The mapping file is a CSV
with columns ``name,region`` and optionally ``weight``; a blank ``region`` skips that name. A ReEDS
``inputs/hierarchy.csv`` is accepted as it is (columns ``ba`` and ``*county`` → ``st``). Several names mapped to
one region are averaged: cf_r,h = Σ_n w_n · cf_n,h / Σ_n w_n (w_n = 1 unless the mapping gives weights). Every
name of the file must be matched (the error lists those that are not), names of the mapping absent from the file are
ignored (one mapping serves many files) and every region must be an id of the set.

Time. The time axis must be hourly and evenly spaced. With several years in the file, ``year`` chooses one (the
year on the file's own clock); a year of 8784 hours loses Feb 29, a year of 8760 hours is kept whole (ReEDS drops
Dec 31 of leap years instead). The rows are then rotated from the file's UTC offset o_f to the set's o_s:
out[h] = in[(h − (o_s − o_f)) mod 8760], so the first/last hours wrap round the year end, as for ninja.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from pathlib import Path

import numpy as np
import pandas as pd

from geodata.profiles import HOURS, import_ninja, standard_offset_hours
from gridsite.errors import DataError, DataIssue

FORMATS = ("ninja", "atlite", "pypsa", "reeds")
"""Input formats :func:`import_profiles` reads."""

DEFAULT_CARRIER = {"wind": "onwind", "solar": "solar"}
"""PyPSA carrier read for each profile kind unless ``carrier`` is given (PyPSA-Eur / PyPSA-China names)."""

_LEAP_HOURS = HOURS + 24


def _err(file: str | Path, message: str, field: str = "", row: str = "") -> DataError:
    return DataError(DataIssue("error", str(file), row, field, message))


def _short(names: Iterable[str], n: int = 8) -> str:
    names = list(names)
    head = ", ".join(map(str, names[:n]))
    return head + (f", … ({len(names)} in all)" if len(names) > n else "")


# --------------------------------------------------------------------------------------------- readers


def read_atlite(path: Path, variable: str | None = None) -> pd.DataFrame:
    """An atlite NetCDF (time × region) → a frame indexed by time, one column per region name (as strings)."""
    ds = _open_netcdf(path, "atlite")
    try:
        da = _pick_variable(ds, path, variable, lambda v: "time" in ds[v].dims)
        return _frame_from_dataarray(da, path, "time")
    finally:
        ds.close()


def read_pypsa(path: Path, carrier: str, variable: str | None = None) -> pd.DataFrame:
    """PyPSA ``generators-p_max_pu.csv`` (or a network NetCDF) → time × bus names for generators of ``carrier``."""
    if not path.exists():
        raise _err(path, "file not found")
    if path.suffix.lower() in (".nc", ".nc4", ".netcdf", ".h5"):
        ds = _open_netcdf(path, "PyPSA network")
        try:
            var = variable or "generators_t_p_max_pu"
            if var not in ds.data_vars:
                raise _err(
                    path,
                    f"variable not found (PyPSA networks exported to NetCDF hold it; found: "
                    f"{_short(ds.data_vars) or 'none'})",
                    var,
                )
            df = _frame_from_dataarray(ds[var], path, "snapshots")
        finally:
            ds.close()
    else:
        try:
            df = pd.read_csv(path, index_col=0)
        except Exception as exc:
            raise _err(path, f"cannot be read as a PyPSA CSV: {exc}") from exc
        df.index = _parse_times([str(x) for x in df.index], path, str(df.index.name or "snapshot"))
        df.columns = [str(c) for c in df.columns]
    suffix = f" {carrier}"
    cols = [c for c in df.columns if c.endswith(suffix)]
    if not cols:
        carriers = sorted({c.rsplit(" ", 1)[-1] for c in df.columns if " " in c})
        raise _err(
            path,
            f"no generator named '<bus> {carrier}' (carriers found: {_short(carriers) or 'none'})",
            "carrier",
        )
    out = df[cols].copy()
    out.columns = [c[: -len(suffix)] for c in cols]
    dup = out.columns[out.columns.duplicated()].tolist()
    if dup:
        raise _err(path, f"bus has more than one '{carrier}' generator: {_short(dup)}", "carrier")
    return out


def read_reeds(path: Path, reeds_class: str | None = None, weather_year: int | None = None) -> pd.DataFrame:
    """A ReEDS hourly profile h5 → a frame indexed by (offset-aware) time, one column per ReEDS region.

    Columns ``"<class>|<region>"`` are grouped by region; the classes of a region are averaged with equal weights
    (cf_r,h = mean_c cf_c|r,h), or only ``reeds_class`` is kept. With ``weather_year`` only that year's rows are
    read (a BA file holds ~15 years × 8760 h × ~1,300 columns)."""
    import h5py

    if not path.exists():
        raise _err(path, "file not found")
    try:
        f = h5py.File(path, "r")
    except Exception as exc:
        raise _err(path, f"cannot be read as an HDF5 file: {exc}") from exc
    with f:
        keys = list(f.keys())
        data_key = next((k for k in ("data", "cf") if k in keys), None)
        if data_key is None:
            raise _err(path, f"no 'data' (or 'cf') dataset (datasets: {_short(keys) or 'none'})", "data")
        if "columns" not in keys:
            raise _err(path, "no 'columns' dataset", "columns")
        idx_keys = sorted(k for k in keys if re.fullmatch(r"index_\d+", k))
        if not idx_keys:
            raise _err(
                path,
                "no date-time index ('index_0' with 'index_names' = datetime); files written by hourlize before "
                "it stored time stamps cannot be placed in time",
                "index_0",
            )
        names = [_decode(x) for x in f["index_names"][...]] if "index_names" in keys else ["datetime"]
        idx_key = idx_keys[names.index("datetime")] if "datetime" in names else idx_keys[0]
        stamps = [_decode(x) for x in f[idx_key][...]]
        times = _parse_times(stamps, path, idx_key)
        columns = [_decode(x) for x in f["columns"][...]]
        dset = f[data_key]
        if dset.ndim != 2 or dset.shape != (len(stamps), len(columns)):
            raise _err(
                path,
                f"'{data_key}' has shape {dset.shape}; {len(stamps)} time stamps × {len(columns)} columns expected",
                data_key,
            )
        years = np.asarray(times.year)
        if weather_year is not None:
            rows = np.flatnonzero(years == weather_year)
            if not rows.size:
                raise _err(
                    path, f"year {weather_year} not in the file (years: {_short(map(str, sorted(set(years))))})", "year"
                )
            r0, r1 = int(rows[0]), int(rows[-1]) + 1
        elif len(set(years)) > 1 and len(stamps) not in (HOURS, _LEAP_HOURS):
            raise _err(path, _many_years(sorted(set(years)), len(stamps)), "year")
        else:
            r0, r1 = 0, len(stamps)
        regions, classes = [], []
        for c in columns:
            cls, sep, reg = c.partition("|")
            if not sep or not reg:
                raise _err(path, f"column '{c}' is not '<class>|<region>'", "columns")
            classes.append(cls)
            regions.append(reg)
        keep = np.ones(len(columns), dtype=bool)
        if reeds_class is not None:
            if reeds_class not in set(classes):
                raise _err(
                    path, f"class '{reeds_class}' not in the file (classes: {_short(sorted(set(classes)))})", "columns"
                )
            keep = np.asarray(classes) == reeds_class
        values = np.asarray(dset[r0:r1], dtype=np.float32)
    reg_arr = np.asarray(regions)
    out = {}
    for reg in sorted(set(reg_arr[keep])):
        sel = keep & (reg_arr == reg)
        out[reg] = values[:, sel].astype(float).mean(axis=1)
    return pd.DataFrame(out, index=times[r0:r1])


def _parse_times(stamps: list[str], path: Path, field: str) -> pd.DatetimeIndex:
    """ISO date-times → DatetimeIndex (one fixed UTC offset, or none), else a :class:`DataError`."""
    try:
        times = pd.to_datetime(pd.Series(stamps), errors="coerce", format="ISO8601")
    except (ValueError, TypeError) as exc:
        raise _err(
            path, "time stamps mix UTC offsets (daylight saving?); write them in UTC or one fixed offset", field
        ) from exc
    if not isinstance(times.dtype, pd.DatetimeTZDtype) and times.dtype.kind != "M":
        raise _err(path, "time stamps mix UTC offsets (daylight saving); one fixed offset is needed", field)
    bad = np.flatnonzero(times.isna().to_numpy())
    if bad.size:
        raise _err(path, f"'{stamps[int(bad[0])]}' is not an ISO date-time", field, f"index {int(bad[0])}")
    return pd.DatetimeIndex(times)


def _many_years(years: list[int], n: int) -> str:
    return f"holds {len(years)} years ({years[0]}–{years[-1]}, {n} hours); choose one with --weather-year"


def _decode(x) -> str:
    return x.decode("utf-8") if isinstance(x, bytes | np.bytes_) else str(x)


def _open_netcdf(path: Path, what: str):
    import xarray as xr

    if not path.exists():
        raise _err(path, "file not found")
    try:
        return xr.open_dataset(path)
    except Exception as exc:
        raise _err(path, f"cannot be read as a {what} NetCDF file: {exc}") from exc


def _pick_variable(ds, path: Path, variable: str | None, ok) -> object:
    names = [str(v) for v in ds.data_vars]
    if variable is not None:
        if variable not in names:
            raise _err(path, f"variable not found (variables: {_short(names) or 'none'})", variable)
        return ds[variable]
    cands = [v for v in names if ok(v)]
    if len(cands) != 1:
        raise _err(
            path,
            f"{'no' if not cands else len(cands)} data variables with a time dimension "
            f"({_short(cands) or 'none'}); choose one with --variable",
            "variable",
        )
    return ds[cands[0]]


def _frame_from_dataarray(da, path: Path, time_dim: str) -> pd.DataFrame:
    """A (time × names) DataArray → frame; any further dimensions must have length 1."""
    name = str(da.name)
    if time_dim not in da.dims:
        raise _err(path, f"has no '{time_dim}' dimension (dimensions: {', '.join(map(str, da.dims))})", name)
    others = [d for d in da.dims if d != time_dim]
    region = [d for d in others if da.sizes[d] > 1]
    if not region:  # one region: the dimension whose labels are names (not e.g. a year)
        region = [d for d in others if d in da.coords and da[d].dtype.kind in "OUS"] or others
    if len(region) != 1:
        sizes = ", ".join(f"{d}={da.sizes[d]}" for d in da.dims)
        raise _err(path, f"needs exactly one region dimension besides '{time_dim}' (dimensions: {sizes})", name)
    extra = [d for d in others if d != region[0]]
    da = da.squeeze(extra, drop=True) if extra else da
    others = region
    da = da.transpose(time_dim, others[0])
    values = np.asarray(da.values, dtype=float)
    if da[time_dim].dtype.kind != "M":
        raise _err(path, f"'{time_dim}' holds {da[time_dim].dtype} values, not date-times", time_dim)
    idx = pd.DatetimeIndex(da[time_dim].values)
    cols = [_decode(x) for x in da[others[0]].values]
    return pd.DataFrame(values, index=idx, columns=cols)


# --------------------------------------------------------------------------------------------- time


def one_year(df: pd.DataFrame, path: Path, year: int | None) -> tuple[pd.DataFrame, int]:
    """Select one year of hourly rows (see the module docstring); returns (8760 rows, UTC offset of the file in h).

    A time axis without a zone is taken as UTC; one with a zone must have one fixed offset (no daylight saving)."""
    idx = df.index
    if not isinstance(idx, pd.DatetimeIndex):
        raise _err(path, "the time axis is not made of date-times", "time")
    offset = 0
    if idx.tz is not None:
        offs = {ts.utcoffset() for ts in idx[:: max(1, len(idx) // 500)]} | {idx[-1].utcoffset()}
        if len(offs) != 1:
            raise _err(path, "the time stamps change UTC offset (daylight saving); one fixed offset is needed", "time")
        offset = round(next(iter(offs)).total_seconds() / 3600)
    if len(idx) > 1:
        step = np.asarray((idx[1:] - idx[:-1]) / pd.Timedelta(hours=1), dtype=float)
        bad = np.flatnonzero(step != 1.0)
        if bad.size:
            raise _err(
                path,
                f"time steps must be 1 hour in increasing order; step {step[bad[0]]:g} h after {idx[int(bad[0])]}"
                " (resample hourly first)",
                "time",
                f"time {int(bad[0]) + 1}",
            )
    years = sorted(set(idx.year))
    if year is not None:
        if year not in years:
            raise _err(path, f"year {year} not in the file (years: {_short(map(str, years))})", "year")
        df = df.loc[idx.year == year]
    elif len(df) not in (HOURS, _LEAP_HOURS):
        if len(years) > 1:
            raise _err(path, _many_years(years, len(df)), "year")
    if len(df) == _LEAP_HOURS:
        feb29 = (df.index.month == 2) & (df.index.day == 29)
        df = df.loc[~feb29]
    if len(df) != HOURS:
        raise _err(path, f"has {len(df)} hourly rows for the year; 8760 (or 8784 for a leap year) needed", "time")
    return df, offset


def check_capacity_factors(df: pd.DataFrame, path: Path) -> None:
    """Every value a number in [0, 1], else a :class:`DataError` naming the column and the time stamp."""
    vals = df.to_numpy(dtype=float)
    bad = ~np.isfinite(vals) | (vals < 0) | (vals > 1)
    if bad.any():
        i, j = (int(a[0]) for a in np.nonzero(bad))
        v = vals[i, j]
        what = "not a number" if not np.isfinite(v) else f"value {v:g} outside [0, 1]"
        raise _err(
            path,
            f"{what} at {df.index[i]} (capacity factors per unit of capacity are needed: per_unit=True in atlite)",
            str(df.columns[j]),
            f"hour {i + 1}",
        )


# --------------------------------------------------------------------------------------------- names → regions


def _norm(s: object) -> str:
    return re.sub(r"[\W_]+", "", str(s)).casefold()


def read_mapping(path: Path) -> pd.DataFrame:
    """A mapping CSV → columns name, region, weight (blank region: name skipped).

    Accepts ``name,region[,weight]`` or a ReEDS ``hierarchy.csv`` (``ba`` and/or ``*county`` → ``st``)."""
    if not path.exists():
        raise _err(path, "mapping file not found")
    try:
        raw = pd.read_csv(path, dtype=str, keep_default_na=False)
    except Exception as exc:
        raise _err(path, f"cannot be read as CSV: {exc}") from exc
    cols = set(raw.columns)
    if {"name", "region"} <= cols:
        df = raw[["name", "region"]].copy()
        df["weight"] = raw["weight"] if "weight" in cols else "1"
    elif "st" in cols and cols & {"ba", "*county", "county"}:
        parts = [raw[[c, "st"]].rename(columns={c: "name"}) for c in ("ba", "*county", "county") if c in cols]
        df = pd.concat(parts).drop_duplicates().rename(columns={"st": "region"})
        df["weight"] = "1"
        dup = df["name"][df["name"].duplicated()]
        if len(dup):
            raise _err(path, f"'{dup.iloc[0]}' lies in more than one state", "st")
    else:
        raise _err(path, f"columns name,region[,weight] needed (found: {', '.join(raw.columns)})", "name")
    df["name"] = df["name"].str.strip()
    df["region"] = df["region"].str.strip()
    w = pd.to_numeric(df["weight"].replace("", "1"), errors="coerce")
    bad = np.flatnonzero(~np.isfinite(w.to_numpy(dtype=float)) | (w.to_numpy(dtype=float) <= 0))
    if bad.size:
        raise _err(path, "weight must be a number > 0", "weight", str(int(bad[0]) + 2))
    df["weight"] = w.to_numpy(dtype=float)
    dup = df["name"][df["name"].duplicated()]
    if len(dup):
        raise _err(path, f"name '{dup.iloc[0]}' appears twice", "name")
    return df.reset_index(drop=True)


def match_names(
    names: list[str], regions: pd.DataFrame, source: Path, mapping: Path | None = None
) -> dict[str, tuple[str, float]]:
    """Each name of the file → (region id, weight); names skipped by the mapping are left out.

    ``regions`` needs an ``id`` column (``name_en`` / ``name_zh`` are used when present)."""
    ids = set(map(str, regions["id"]))
    if mapping is not None:
        m = read_mapping(mapping)
        unknown = sorted(set(m.loc[m["region"] != "", "region"]) - ids)
        if unknown:
            raise _err(mapping, f"not region ids of this set: {_short(unknown)} (e.g. {sorted(ids)[0]})", "region")
        unmatched = sorted(set(names) - set(m["name"]))
        if unmatched:
            raise _err(
                source,
                f"{len(unmatched)} names not in the mapping {mapping.name}: {_short(unmatched)} "
                "(add them, with a blank region to skip them)",
                "region",
            )
        present = set(names)
        return {r.name: (r.region, r.weight) for r in m.itertuples(index=False) if r.region and r.name in present}
    keys: dict[str, str] = {}
    for col in ("id", "name_en", "name_zh"):
        if col in regions.columns:
            for rid, val in zip(regions["id"], regions[col], strict=True):
                if isinstance(val, str) and val:
                    keys.setdefault(_norm(val), str(rid))
    out: dict[str, tuple[str, float]] = {}
    unmatched = []
    for n in names:
        rid = keys.get(_norm(n))
        if rid is None:
            unmatched.append(n)
        else:
            out[n] = (rid, 1.0)
    if unmatched:
        raise _err(
            source,
            f"{len(unmatched)} names match no region id or name of this set: {_short(unmatched)} "
            "(give a mapping file: --map, columns name,region)",
            "region",
        )
    return out


def to_regions(df: pd.DataFrame, matched: dict[str, tuple[str, float]]) -> pd.DataFrame:
    """Weighted mean of the named columns per region: cf_r,h = Σ_n w_n cf_n,h / Σ_n w_n (columns sorted)."""
    cols: dict[str, np.ndarray] = {}
    wsum: dict[str, float] = {}
    for name, (rid, w) in matched.items():
        v = df[name].to_numpy(dtype=float) * w
        cols[rid] = cols[rid] + v if rid in cols else v
        wsum[rid] = wsum.get(rid, 0.0) + w
    return pd.DataFrame({rid: cols[rid] / wsum[rid] for rid in sorted(cols)})


# --------------------------------------------------------------------------------------------- entry point


def import_profiles(
    fmt: str,
    files: dict[str, str | Path] | list[str | Path] | str | Path,
    regions: pd.DataFrame,
    tz: str,
    year: int = 2023,
    *,
    tech: str = "wind",
    mapping: str | Path | None = None,
    weather_year: int | None = None,
    variable: str | None = None,
    carrier: str | None = None,
    reeds_class: str | None = None,
    column: str = "electricity",
) -> pd.DataFrame:
    """Files of format ``fmt`` → a measured-profile table (8760 rows × region ids, sorted) for ``grid.profiles``.

    ``ninja`` takes ``files`` as {region id: CSV}; the other formats take one file (or a list whose tables are
    joined; a region may come from one file only). ``regions`` is the set's region table (``id``, and
    ``name_en``/``name_zh`` for matching by name), ``tz`` its time zone and ``year`` its weather year (which
    defines the standard UTC offset). ``weather_year`` picks a year in multi-year files. Raises
    :class:`DataError` naming the file and the field for every problem listed in the module docstring.
    """
    if fmt not in FORMATS:
        raise DataError(DataIssue("error", "", "", "format", f"'{fmt}' unknown (allowed: {', '.join(FORMATS)})"))
    if tech not in ("wind", "solar"):
        raise DataError(DataIssue("error", "", "", "tech", f"'{tech}' unknown (allowed: wind, solar)"))
    ids = set(map(str, regions["id"]))
    if fmt == "ninja":
        if not isinstance(files, dict):
            raise DataError(DataIssue("error", "", "", "region", "ninja needs one CSV per region (REGION_ID=FILE)"))
        return import_ninja(files, ids, tz, year, column=column)
    if isinstance(files, dict):
        raise DataError(DataIssue("error", "", "", "file", f"{fmt} reads whole files, not REGION_ID=FILE pairs"))
    paths = [Path(files)] if isinstance(files, str | Path) else [Path(f) for f in files]
    if not paths:
        raise DataError(DataIssue("error", "", "", "file", f"no {fmt} file given"))
    set_offset = standard_offset_hours(tz, year)
    out: dict[str, np.ndarray] = {}
    origin: dict[str, Path] = {}
    for path in paths:
        if fmt == "atlite":
            raw = read_atlite(path, variable)
        elif fmt == "pypsa":
            raw = read_pypsa(path, carrier or DEFAULT_CARRIER[tech], variable)
        else:
            raw = read_reeds(path, reeds_class, weather_year)
        table, file_offset = one_year(raw, path, weather_year)
        matched = match_names([str(c) for c in table.columns], regions, path, Path(mapping) if mapping else None)
        table = table[list(matched)]
        check_capacity_factors(table, path)
        by_region = to_regions(table, matched)
        shift = set_offset - file_offset
        for rid in by_region.columns:
            if rid in out:
                raise _err(path, f"region '{rid}' also comes from {origin[rid].name}", "region")
            out[rid] = np.roll(by_region[rid].to_numpy(), shift)
            origin[rid] = path
    if not out:
        raise _err(paths[0], "no column maps to a region of this set (every name skipped by the mapping)", "region")
    return pd.DataFrame({rid: out[rid] for rid in sorted(out)})
