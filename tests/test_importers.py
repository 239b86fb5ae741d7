"""Importers of measured profiles (atlite NetCDF, PyPSA p_max_pu, NREL ReEDS h5) into grid.profiles tables.

Every input file is written here in its real format from synthetic values, read back through
:func:`geodata.importers.import_profiles` (or the CLI), checked hour by hour, and used in a tiny solve.
"""

from __future__ import annotations

import datetime

import h5py
import numpy as np
import pandas as pd
import pytest
import xarray as xr

from geodata.importers import import_profiles
from geodata.profiles import build_profiles
from gridsite.errors import DataError

HOURS = 8760
RAMP = np.linspace(0.0, 1.0, HOURS)


def _regions(rs) -> pd.DataFrame:
    return pd.DataFrame(rs.regions.drop(columns="geometry"))


# --------------------------------------------------------------------------- writers of the real formats


def _atlite_nc(path, columns: dict[str, np.ndarray], year=2019, dim="name", name=None, extra_dim=False):
    """As ``cutout.wind(..., shapes=gdf, per_unit=True).to_netcdf(path)`` writes it: dims (name, time), UTC."""
    n = len(next(iter(columns.values())))
    t = pd.date_range(f"{year}-01-01", periods=n, freq="h")
    data = np.stack(list(columns.values()))  # atlite's aggregate returns (region, time)
    da = xr.DataArray(data, coords={dim: list(columns), "time": t}, dims=(dim, "time"), name=name)
    if extra_dim:
        da = da.expand_dims(year=[year])
    da.to_netcdf(path)
    return path


def _pypsa_csv(path, columns: dict[str, np.ndarray], year=2020, freq="h"):
    """PyPSA's ``export_to_csv_folder`` file generators-p_max_pu.csv: a ``snapshot`` column, one per generator."""
    n = len(next(iter(columns.values())))
    idx = pd.Index(pd.date_range(f"{year}-01-01", periods=n, freq=freq), name="snapshot")
    pd.DataFrame(columns, index=idx).to_csv(path)
    return path


def _reeds_h5(path, columns: dict[str, np.ndarray], years=(2012,), tz="Etc/GMT+6", key="data", drop_dec31=True):
    """A ReEDS ``inputs/variability/multi_year`` profile as hourlize's ``write_profile_to_h5`` writes it.

    Each weather year is local standard time (``output_timezone``); leap years lose Dec 31 (8760 h each)."""
    stamps = []
    for y in years:
        t = pd.date_range(f"{y}-01-01", f"{y}-12-31 23:00", freq="h", tz=tz)
        if drop_dec31 and len(t) == HOURS + 24:
            t = t[~((t.month == 12) & (t.day == 31))]
        stamps.append(t)
    t = stamps[0].append(stamps[1:]) if len(stamps) > 1 else stamps[0]
    data = np.stack([np.resize(v, len(t)) for v in columns.values()], axis=1).astype(np.float16)
    with h5py.File(path, "w") as f:
        iso = pd.Series(t).apply(datetime.datetime.isoformat)
        f.create_dataset("index_0", data=iso.str.encode("utf-8"), dtype="S30")
        f.create_dataset("index_names", data=np.array([b"datetime"]), dtype="S8")
        f.create_dataset("columns", data=np.array([c.encode() for c in columns]), dtype="S20")
        f.create_dataset(key, data=data, compression="gzip", compression_opts=4)
    return path, t


# --------------------------------------------------------------------------- round trips


def test_atlite_roundtrip_utc_to_china_time(tmp_path, china):
    f = _atlite_nc(tmp_path / "wind.nc", {"Gansu": RAMP, "Ningxia": RAMP[::-1], "内蒙古": np.full(HOURS, 0.4)})
    df = import_profiles("atlite", f, _regions(china), china.timezone, china.weather_year)
    assert list(df.columns) == ["gansu", "inner_mongolia", "ningxia"] and len(df) == HOURS
    # UTC 00:00 is 08:00 in China: local row 8 holds the first UTC hour; rows 0-7 wrap from the year end
    assert df["gansu"].iloc[8] == RAMP[0] and df["gansu"].iloc[0] == RAMP[-8]
    assert df["ningxia"].iloc[8] == RAMP[-1]
    assert np.allclose(df["inner_mongolia"], 0.4)  # matched by its Chinese name
    # the table is a valid grid.profiles input and replaces the synthetic profile
    out = tmp_path / "wind.csv"
    df.to_csv(out, index=False)
    prof = build_profiles(_regions(china), china.weather_year, china.timezone, measured={"wind": out})
    assert np.allclose(prof.wind["gansu"], df["gansu"]) and prof.origin["wind:gansu"].startswith("measured")


def test_atlite_unnamed_dims_single_year_dim_and_variable(tmp_path, china):
    """An index without a name (atlite's ``dim_0``) and an extra length-1 dimension are read."""
    f = _atlite_nc(
        tmp_path / "pv.nc", {"gansu": np.full(HOURS, 0.2)}, dim="dim_0", name="specific generation", extra_dim=True
    )
    df = import_profiles("atlite", f, _regions(china), china.timezone, china.weather_year, tech="solar")
    assert np.allclose(df["gansu"], 0.2)


def test_pypsa_csv_carrier_and_bus_names(tmp_path, china):
    cols = {"Gansu onwind": RAMP, "Gansu solar": np.full(HOURS, 0.1), "InnerMongolia onwind": np.full(HOURS, 0.3)}
    f = _pypsa_csv(tmp_path / "generators-p_max_pu.csv", cols, year=2021)
    wind = import_profiles("pypsa", f, _regions(china), china.timezone, china.weather_year)
    assert list(wind.columns) == ["gansu", "inner_mongolia"]
    assert wind["gansu"].iloc[8] == pytest.approx(RAMP[0]) and wind["gansu"].iloc[7] == pytest.approx(RAMP[-1])
    solar = import_profiles("pypsa", f, _regions(china), china.timezone, china.weather_year, tech="solar")
    assert list(solar.columns) == ["gansu"] and np.allclose(solar["gansu"], 0.1)


def test_pypsa_netcdf_network(tmp_path, china):
    """A network exported with ``n.export_to_netcdf``: variable generators_t_p_max_pu (snapshots × generators)."""
    t = pd.date_range("2022-01-01", periods=HOURS, freq="h")
    ds = xr.Dataset(
        {
            "generators_t_p_max_pu": (
                ("snapshots", "generators_t_p_max_pu_i"),
                np.stack([RAMP, np.full(HOURS, 0.5)], axis=1),
            )
        },
        coords={"snapshots": t, "generators_t_p_max_pu_i": ["Qinghai onwind", "Qinghai solar"]},
    )
    ds.to_netcdf(tmp_path / "network.nc")
    df = import_profiles(
        "pypsa", tmp_path / "network.nc", _regions(china), china.timezone, china.weather_year, tech="solar"
    )
    assert list(df.columns) == ["qinghai"] and np.allclose(df["qinghai"], 0.5)


def test_reeds_h5_multi_year_classes_and_hierarchy_mapping(tmp_path, us):
    """ReEDS BA columns ``class|ba`` in Central standard time, several weather years, mapped BA → state."""
    cols = {"1|p48": RAMP * 0.5, "2|p48": RAMP * 0.5 + 0.5, "1|p60": np.full(HOURS, 0.3), "1|p61": np.full(HOURS, 0.5)}
    f, _ = _reeds_h5(tmp_path / "wind-ons-reference_ba.h5", cols, years=(2011, 2012))
    hier = tmp_path / "hierarchy.csv"
    pd.DataFrame(
        {"*county": ["p48029", "p48201", "p48453"], "ba": ["p60", "p61", "p48"], "st": ["TX", "TX", "TX"]}
    ).to_csv(hier, index=False)
    reg = _regions(us)
    with pytest.raises(DataError, match="choose one with --weather-year"):
        import_profiles("reeds", f, reg, us.timezone, us.weather_year, mapping=hier)
    df = import_profiles("reeds", f, reg, us.timezone, us.weather_year, mapping=hier, weather_year=2012)
    assert list(df.columns) == ["TX"] and len(df) == HOURS
    # three BAs of Texas averaged; p48's two classes averaged first: (0.5 r + 0.5 r + 0.5)/2 = r/2 + 0.25
    expect = ((RAMP * 0.5 + RAMP * 0.5 + 0.5) / 2 + 0.3 + 0.5) / 3
    # the file is UTC−6 (Central), the US set runs on UTC−5: row h holds the file's hour h − 1
    assert df["TX"].iloc[1] == pytest.approx(expect[0], abs=2e-3)
    assert df["TX"].iloc[5000] == pytest.approx(expect[4999], abs=2e-3)
    one = import_profiles(
        "reeds", f, reg, us.timezone, us.weather_year, mapping=hier, weather_year=2011, reeds_class="2"
    )
    # only p48 has a class 2: Texas is that one profile
    assert one["TX"].iloc[1001] == pytest.approx(0.5 * RAMP[1000] + 0.5, abs=2e-3)


def test_reeds_leap_year_with_all_hours_drops_feb29(tmp_path, us):
    f, _ = _reeds_h5(tmp_path / "upv.h5", {"1|p1": np.arange(HOURS + 24) / (HOURS + 24)}, drop_dec31=False)
    m = tmp_path / "map.csv"
    pd.DataFrame({"name": ["p1"], "region": ["WA"]}).to_csv(m, index=False)
    df = import_profiles("reeds", f, _regions(us), us.timezone, us.weather_year, tech="solar", mapping=m)
    # 1 March 00:00 is file hour 60·24 (after Feb 29) and row 59·24 of the reference year, then +1 h for UTC−5
    assert df["WA"].iloc[59 * 24 + 1] == pytest.approx((60 * 24) / (HOURS + 24), abs=1e-3)
    assert df["WA"].iloc[58 * 24 + 1] == pytest.approx((58 * 24) / (HOURS + 24), abs=1e-3)  # 28 Feb stays


def test_mapping_weights(tmp_path, china):
    f = _atlite_nc(tmp_path / "a.nc", {"bus1": np.full(HOURS, 0.2), "bus2": np.full(HOURS, 0.8), "far": RAMP})
    m = tmp_path / "map.csv"
    pd.DataFrame({"name": ["bus1", "bus2", "far"], "region": ["gansu", "gansu", ""], "weight": [3, 1, 1]}).to_csv(
        m, index=False
    )
    df = import_profiles("atlite", f, _regions(china), china.timezone, china.weather_year, mapping=m)
    assert list(df.columns) == ["gansu"] and np.allclose(df["gansu"], (3 * 0.2 + 0.8) / 4)


# --------------------------------------------------------------------------- bad input


def test_unmatched_names_are_listed(tmp_path, china):
    f = _atlite_nc(tmp_path / "a.nc", {"Gansu": RAMP, "Atlantis": RAMP, "Lemuria": RAMP})
    with pytest.raises(DataError) as exc:
        import_profiles("atlite", f, _regions(china), china.timezone, china.weather_year)
    msg = str(exc.value)
    assert "a.nc" in msg and "Atlantis" in msg and "Lemuria" in msg and "--map" in msg and "Gansu" not in msg


@pytest.mark.parametrize(
    ("rows", "field", "text"),
    [
        ({"name": ["Gansu"], "region": ["atlantis"]}, "region", "not region ids"),
        ({"name": ["Gansu", "Gansu"], "region": ["gansu", "gansu"]}, "name", "appears twice"),
        ({"name": ["Gansu"], "region": ["gansu"], "weight": [-1]}, "weight", "> 0"),
        ({"bus": ["Gansu"], "province": ["gansu"]}, "name", "columns name,region"),
    ],
    ids=["unknown-region", "duplicate-name", "bad-weight", "bad-columns"],
)
def test_bad_mapping(tmp_path, china, rows, field, text):
    f = _atlite_nc(tmp_path / "a.nc", {"Gansu": RAMP})
    m = tmp_path / "map.csv"
    pd.DataFrame(rows).to_csv(m, index=False)
    with pytest.raises(DataError) as exc:
        import_profiles("atlite", f, _regions(china), china.timezone, china.weather_year, mapping=m)
    msg = str(exc.value)
    assert "map.csv" in msg and f"field '{field}'" in msg and text in msg, msg


def test_mapping_must_cover_every_name(tmp_path, china):
    f = _atlite_nc(tmp_path / "a.nc", {"Gansu": RAMP, "Extra": RAMP})
    m = tmp_path / "map.csv"
    pd.DataFrame({"name": ["Gansu"], "region": ["gansu"]}).to_csv(m, index=False)
    with pytest.raises(DataError, match=r"a\.nc.*names not in the mapping map\.csv: Extra"):
        import_profiles("atlite", f, _regions(china), china.timezone, china.weather_year, mapping=m)


@pytest.mark.parametrize(
    ("case", "text"),
    [
        ("range", "value 1.5 outside [0, 1]"),
        ("nan", "not a number"),
        ("short", "has 100 hourly rows"),
        ("3h", "time steps must be 1 hour"),
    ],
)
def test_bad_values_and_time_axis(tmp_path, china, case, text):
    vals = RAMP.copy()
    freq = "h"
    if case == "range":
        vals[7] = 1.5
    if case == "nan":
        vals[9] = np.nan
    if case == "short":
        vals = vals[:100]
    if case == "3h":
        vals, freq = vals[:2920], "3h"
    f = _pypsa_csv(tmp_path / f"{case}.csv", {"Gansu onwind": vals}, freq=freq)
    with pytest.raises(DataError) as exc:
        import_profiles("pypsa", f, _regions(china), china.timezone, china.weather_year)
    msg = str(exc.value)
    assert f"{case}.csv" in msg and text in msg, msg
    if case in ("range", "nan"):
        assert "field 'Gansu'" in msg  # names the bus column


def test_bad_files(tmp_path, china):
    reg = _regions(china)
    with pytest.raises(DataError, match="file not found"):
        import_profiles("reeds", tmp_path / "none.h5", reg, china.timezone)
    junk = tmp_path / "junk.h5"
    junk.write_text("not hdf5")
    with pytest.raises(DataError, match=r"junk\.h5.*cannot be read as an HDF5 file"):
        import_profiles("reeds", junk, reg, china.timezone)
    f, _ = _reeds_h5(tmp_path / "old.h5", {"1|gansu": RAMP}, key="other")
    with pytest.raises(DataError, match=r"old\.h5, field 'data'"):
        import_profiles("reeds", f, reg, china.timezone)
    f, _ = _reeds_h5(tmp_path / "cls.h5", {"1|gansu": RAMP}, years=(2019,))
    with pytest.raises(DataError, match=r"class '7' not in the file \(classes: 1\)"):
        import_profiles("reeds", f, reg, china.timezone, reeds_class="7")
    two = tmp_path / "two.nc"
    xr.Dataset(
        {v: (("time", "r"), np.zeros((HOURS, 1))) for v in ("a", "b")},
        coords={"time": pd.date_range("2019-01-01", periods=HOURS, freq="h"), "r": ["gansu"]},
    ).to_netcdf(two)
    with pytest.raises(DataError, match="choose one with --variable"):
        import_profiles("atlite", two, reg, china.timezone)
    assert np.allclose(import_profiles("atlite", two, reg, china.timezone, variable="b")["gansu"], 0.0)
    f = _pypsa_csv(tmp_path / "p.csv", {"Gansu offwind-ac": RAMP})
    with pytest.raises(DataError, match=r"field 'carrier'.*carriers found: offwind-ac"):
        import_profiles("pypsa", f, reg, china.timezone)
    with pytest.raises(DataError, match="allowed: ninja, atlite, pypsa, reeds"):
        import_profiles("vce", f, reg, china.timezone)


def test_bad_time_axes_and_empty_result(tmp_path, china):
    reg = _regions(china)
    t = pd.date_range("2021-01-01", periods=HOURS, freq="h", tz="Europe/Berlin")  # CET/CEST: two offsets
    dst = tmp_path / "dst.csv"
    pd.DataFrame({"Gansu onwind": np.full(HOURS, 0.3)}, index=pd.Index(t, name="snapshot")).to_csv(dst)
    with pytest.raises(DataError, match=r"dst\.csv, field 'snapshot': time stamps mix UTC offsets"):
        import_profiles("pypsa", dst, reg, china.timezone)
    ints = tmp_path / "int.nc"
    xr.DataArray(np.zeros((HOURS, 1)), coords={"time": np.arange(HOURS), "r": ["gansu"]}, dims=("time", "r")).to_netcdf(
        ints
    )
    with pytest.raises(DataError, match=r"int\.nc, field 'time': 'time' holds int64 values, not date-times"):
        import_profiles("atlite", ints, reg, china.timezone)
    f = _atlite_nc(tmp_path / "a.nc", {"Gansu": RAMP})
    m = tmp_path / "skip.csv"
    pd.DataFrame({"name": ["Gansu"], "region": [""]}).to_csv(m, index=False)
    with pytest.raises(DataError, match="no column maps to a region"):
        import_profiles("atlite", f, reg, china.timezone, mapping=m)


# --------------------------------------------------------------------------- CLI and a solve


def _cli(*args):
    from typer.testing import CliRunner

    from gridsite.cli import app

    return CliRunner().invoke(app, ["data", "import-profiles", *map(str, args)])


def test_cli_formats(tmp_path):
    f = _atlite_nc(tmp_path / "a.nc", {"Gansu": np.full(HOURS, 0.25)})
    out = tmp_path / "wind.csv"
    res = _cli("--format", "atlite", "--set", "china", "--file", f, "--out", out)
    assert res.exit_code == 0, res.output
    assert pd.read_csv(out)["gansu"].eq(0.25).all()
    h5, _ = _reeds_h5(tmp_path / "r.h5", {"1|p10": np.full(HOURS, 0.5)}, years=(2010, 2011))
    m = tmp_path / "m.csv"
    pd.DataFrame({"name": ["p10"], "region": ["CA"]}).to_csv(m, index=False)
    res = _cli("--format", "reeds", "--set", "us", "--file", h5, "--map", m, "--weather-year", 2011, "--out", out)
    assert res.exit_code == 0, res.output
    assert list(pd.read_csv(out).columns) == ["CA"]
    # errors: exit 2 with the file and the field named, never a traceback
    res = _cli("--format", "reeds", "--set", "us", "--file", h5, "--out", out)
    assert res.exit_code == 2 and "r.h5" in res.output and "--weather-year" in res.output, res.output
    res = _cli("--format", "reeds", "--set", "us", "--file", h5, "--weather-year", 2010, "--out", out)
    assert res.exit_code == 2 and "r.h5" in res.output and "p10" in res.output, res.output
    assert "Traceback" not in res.output
    res = _cli("--format", "atlite", "--region", f"gansu={f}", "--out", out)
    assert res.exit_code == 2 and "--file" in res.output, res.output
    res = _cli("--format", "vce", "--file", f, "--out", out)
    assert res.exit_code == 2 and "ninja, atlite, pypsa, reeds" in res.output, res.output


def test_imported_profile_drives_a_solve(tmp_path):
    """A tiny scenario solved on imported wind: windless sites cost more than windy ones under the same quota."""
    from gridsite import parse_scenario, solve

    from .conftest import scenario_dict

    costs = {}
    for level in (0.0, 0.6):
        names = {"Ningxia": level, "Guizhou": level, "Shanghai": level}
        f = _pypsa_csv(tmp_path / f"p{level}.csv", {f"{n} onwind": np.full(HOURS, v) for n, v in names.items()})
        out = tmp_path / f"wind{level}.csv"
        res = _cli("--format", "pypsa", "--set", "china", "--file", f, "--out", out)
        assert res.exit_code == 0, res.output
        sc = parse_scenario(scenario_dict(grid={"profiles": {"wind": str(out)}}))
        r = solve(sc)
        assert r.status == "optimal"
        costs[level] = r.total_cost
    assert costs[0.0] > costs[0.6] * 1.001
