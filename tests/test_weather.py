"""Statistics of the synthetic weather (spatial correlation, cloudy days) and the renewables.ninja importer."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from geodata.profiles import (
    OVERCAST_KT,
    SOLAR_CORRELATION_KM,
    WIND_CORRELATION_KM,
    build_profiles,
    clearness_cdf,
    clearness_ppf,
    day_number,
    great_circle_km,
    import_ninja,
    mean_clearness,
    solar_shape,
    solar_shapes,
)
from gridsite.errors import DataError


def _corr(df: pd.DataFrame) -> pd.DataFrame:
    return pd.DataFrame(np.corrcoef(df.to_numpy().T), index=df.columns, columns=df.columns)


def _fit_length(corr: pd.DataFrame, rs) -> float:
    """Least-squares L of exp(−d/L) over all region pairs."""
    reg = rs.regions.set_index("id").loc[corr.columns]
    d = great_circle_km(reg["lat"].to_numpy(), reg["lon"].to_numpy())
    iu = np.triu_indices(len(d), 1)
    c = corr.to_numpy()[iu]
    grid = np.arange(100.0, 3000.0, 5.0)
    err = [float(((c - np.exp(-d[iu] / L)) ** 2).sum()) for L in grid]
    return float(grid[int(np.argmin(err))])


def _clearness_ratio(rs) -> pd.DataFrame:
    """Daily solar energy ÷ daily clear-sky energy per region (the daily cloudiness the profiles carry)."""
    prof = rs.profiles
    reg = rs.regions.set_index("id").loc[prof.solar.columns]
    clear = np.column_stack([solar_shape(a, b, prof.index) for a, b in zip(reg["lat"], reg["lon"], strict=True)])
    day = day_number(prof.index)
    num = pd.DataFrame(prof.solar.to_numpy()).groupby(day).sum()
    den = pd.DataFrame(clear).groupby(day).sum()
    return pd.DataFrame((num / den).to_numpy(), columns=prof.solar.columns)


@pytest.mark.parametrize(
    ("name", "near", "far"),
    [
        ("china", [("gansu", "ningxia"), ("jiangsu", "shanghai"), ("beijing", "tianjin")], ("heilongjiang", "hainan")),
        ("us", [("TX", "OK"), ("NY", "NJ"), ("MA", "RI")], ("ME", "CA")),
    ],
)
def test_wind_correlation_decays_with_distance(name, near, far, china, us):
    rs = china if name == "china" else us
    c = _corr(rs.profiles.wind)
    for a, b in near:
        assert c.loc[a, b] > 0.55, (a, b, c.loc[a, b])
    assert abs(c.loc[far]) < 0.15, c.loc[far]
    # the fitted e-folding length matches the published one within 15 %
    fitted = _fit_length(c, rs)
    assert abs(fitted / WIND_CORRELATION_KM - 1) < 0.15, fitted
    # and correlation falls monotonically across distance bands
    reg = rs.regions.set_index("id").loc[c.columns]
    d = great_circle_km(reg["lat"].to_numpy(), reg["lon"].to_numpy())
    iu = np.triu_indices(len(d), 1)
    bands = [c.to_numpy()[iu][(d[iu] >= lo) & (d[iu] < hi)].mean() for lo, hi in ((0, 500), (500, 1000), (1000, 2000))]
    assert bands[0] > bands[1] > bands[2], bands


@pytest.mark.parametrize("name", ["china", "us"])
def test_solar_cloudiness_correlation_and_distribution(name, china, us):
    rs = china if name == "china" else us
    ratio = _clearness_ratio(rs)
    fitted = _fit_length(_corr(ratio), rs)
    assert abs(fitted / SOLAR_CORRELATION_KM - 1) < 0.2, fitted
    # daily clearness per region: share of overcast days and mean as the Bendt distribution for its K̄_T
    prof = rs.profiles
    reg = rs.regions.set_index("id").loc[prof.solar.columns]
    _, kt = solar_shapes(
        list(reg.index), reg["lat"].to_numpy(), reg["lon"].to_numpy(), reg["solar_hours"].to_numpy(), prof.index
    )
    clear_hours = [solar_shape(a, b, prof.index).sum() for a, b in zip(reg["lat"], reg["lon"], strict=True)]
    kbar = mean_clearness(reg["solar_hours"].to_numpy(), np.array(clear_hours))
    for i in range(len(reg)):
        expected = float(clearness_cdf(OVERCAST_KT, kbar[i]))
        assert abs((kt[:, i] < OVERCAST_KT).mean() - expected) < 0.08, (reg.index[i], expected)
        assert abs(kt[:, i].mean() - kbar[i]) < 0.03, reg.index[i]
    # every region has overcast days and the cloudiest region has many more than the sunniest
    overcast = (kt < OVERCAST_KT).mean(axis=0)
    assert overcast.min() > 0.0
    assert overcast[np.argmin(kbar)] > 3 * overcast[np.argmax(kbar)]
    # the profiles carry that cloudiness: daily energy varies far more than clear sky alone would make it
    assert float(ratio.std().min()) > 0.1


def test_clearness_distribution_is_bendt():
    u = (np.arange(100_000) + 0.5) / 100_000
    for kbar in (0.35, 0.5, 0.65):
        k = clearness_ppf(u, kbar)
        assert abs(k.mean() - kbar) < 1e-3
        assert np.allclose(clearness_cdf(k, kbar), u, atol=1e-9)
    assert clearness_cdf(OVERCAST_KT, 0.35) > clearness_cdf(OVERCAST_KT, 0.65)


@pytest.mark.parametrize("name", ["china", "us"])
def test_full_load_hours_still_match(name, china, us):
    rs = china if name == "china" else us
    hours = rs.profiles.hours()
    reg = rs.regions.set_index("id")
    for tech in ("wind", "solar"):
        rel = (hours[tech] - reg[f"{tech}_hours"]).abs() / reg[f"{tech}_hours"]
        assert rel.max() < 0.001, rel.idxmax()


def test_profiles_deterministic_and_seeded(china):
    reg = pd.DataFrame(china.regions.drop(columns="geometry")).head(4)
    a = build_profiles(reg, 2023, "Etc/GMT-8", cache_dir=None)
    b = build_profiles(reg, 2023, "Etc/GMT-8", cache_dir=None)
    assert np.array_equal(a.wind.to_numpy(), b.wind.to_numpy())
    assert np.array_equal(a.solar.to_numpy(), b.solar.to_numpy())
    assert not np.array_equal(a.wind.iloc[:, 0].to_numpy(), a.wind.iloc[:, 1].to_numpy())


def _ninja_csv(path, values, header="time,local_time,electricity", year=2019):
    times = pd.date_range(f"{year}-01-01", periods=len(values), freq="h")
    lines = [
        "# Renewables.ninja Wind (MERRA-2) - https://www.renewables.ninja/",
        "# Units: time in UTC, local_time in Asia/Shanghai, electricity in kW",
    ]
    lines.append(header)
    lines += [f"{t:%Y-%m-%d %H:%M},{t:%Y-%m-%d %H:%M},{v}" for t, v in zip(times, values, strict=True)]
    path.write_text("\n".join(lines) + "\n")
    return path


def test_import_ninja_roundtrip(tmp_path, china):
    vals = np.linspace(0.0, 1.0, 8760)
    f = _ninja_csv(tmp_path / "gansu.csv", vals)
    df = import_ninja({"gansu": f}, set(china.regions["id"]), "Etc/GMT-8", 2023)
    assert list(df.columns) == ["gansu"] and len(df) == 8760
    # UTC 00:00 is 08:00 in China: local row 8 holds the first UTC value
    assert df["gansu"].iloc[8] == vals[0] and df["gansu"].iloc[0] == vals[-8]
    # the table is accepted as a measured profile and replaces the synthetic one
    out = tmp_path / "wind.csv"
    df.to_csv(out, index=False)
    reg = pd.DataFrame(china.regions.drop(columns="geometry"))
    prof = build_profiles(reg, 2023, "Etc/GMT-8", measured={"wind": out})
    assert np.allclose(prof.wind["gansu"].to_numpy(), df["gansu"].to_numpy())
    assert prof.origin["wind:gansu"].startswith("measured")
    # a leap year drops Feb 29
    leap = _ninja_csv(tmp_path / "leap.csv", np.full(8784, 0.3), year=2020)
    assert len(import_ninja({"ningxia": leap}, {"ningxia"}, "Etc/GMT-8", 2023)) == 8760


@pytest.mark.parametrize(
    ("case", "field"),
    [("rows", "electricity"), ("region", "region"), ("text", "electricity"), ("range", "electricity"), ("col", "cf")],
)
def test_import_ninja_bad_input(tmp_path, case, field):
    vals = [0.5] * 8760
    if case == "rows":
        vals = vals[:100]
    if case == "text":
        vals[5] = "n/a"
    if case == "range":
        vals[7] = 250.0
    f = _ninja_csv(tmp_path / f"{case}.csv", vals)
    rid = "atlantis" if case == "region" else "gansu"
    with pytest.raises(DataError) as exc:
        import_ninja({rid: f}, {"gansu"}, "Etc/GMT-8", 2023, column="cf" if case == "col" else "electricity")
    msg = str(exc.value)
    assert f"{case}.csv" in msg and field in msg, msg


def test_cli_import_profiles(tmp_path):
    from typer.testing import CliRunner

    from gridsite.cli import app

    f = _ninja_csv(tmp_path / "g.csv", [0.25] * 8760)
    out = tmp_path / "wind.csv"
    res = CliRunner().invoke(
        app, ["data", "import-profiles", "--set", "china", "--region", f"gansu={f}", "--out", str(out)]
    )
    assert res.exit_code == 0, res.output
    assert pd.read_csv(out)["gansu"].eq(0.25).all()
    bad = _ninja_csv(tmp_path / "short.csv", [0.25] * 10)
    res = CliRunner().invoke(
        app, ["data", "import-profiles", "--set", "china", "--region", f"gansu={bad}", "--out", str(out)]
    )
    assert res.exit_code == 2 and "short.csv" in res.output, res.output
    res = CliRunner().invoke(app, ["data", "import-profiles", "--region", f"mars={f}", "--out", str(out)])
    assert res.exit_code == 2 and "mars" in res.output, res.output
