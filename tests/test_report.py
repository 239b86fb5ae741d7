"""Reports (rendering.report, ``gridsite report``): a run, a failed run, a sweep and a Pareto folder, each rendered
to one self-contained HTML page whose content is checked against the files it was made from.

The folders are built in temporary directories: the run from the map fixture (``tests/fixtures/maps/china_run``)
with the regional gap columns ``solve`` writes, the sweep and Pareto folders from small hand-made tables.
"""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from rendering import maps, report

FIXTURES = Path(__file__).resolve().parent / "fixtures" / "maps"
CHINA_RUN = FIXTURES / "china_run"

# regions with added load or a gap, in the order the gap table must list them: gap_mw, then added_load_mw
GAP_ORDER = ["anhui", "guizhou", "ningxia", "henan"]


def section(page: str, sid: str) -> str:
    """The HTML of one ``<section id=…>`` of a report."""
    m = re.search(rf'<section id="{sid}">(.*?)</section>', page, re.S)
    assert m, f"no section {sid}"
    return m.group(1)


def n_charts(page: str) -> int:
    return page.count("Plotly.newPlot(")


def figures(html: str) -> list[dict]:
    """The plotly figures (``data`` and ``layout``) in a piece of a report, in page order."""
    dec = json.JSONDecoder()
    out = []
    for m in re.finditer(r'Plotly\.newPlot\(\s*"[^"]+",\s*', html):
        data, end = dec.raw_decode(html, m.end())
        layout, _ = dec.raw_decode(html[end:].lstrip().removeprefix(",").lstrip())
        out.append({"data": data, "layout": layout})
    return out


def assert_self_contained(page: str) -> None:
    assert page.startswith("<!DOCTYPE html>")
    assert not re.search(r"<script[^>]*\bsrc\s*=", page, re.I)
    assert not re.search(r"<link[^>]*\bhref\s*=", page, re.I)
    assert not re.search(r"<(iframe|img)[^>]*\bsrc\s*=\s*[\"']?(https?:)?//", page, re.I)
    assert not re.search(r"@import|url\(\s*[\"']?https?:", page, re.I)


def make_run(root: Path) -> Path:
    """The map fixture run plus the regional gap columns, timings, notes and text that needs escaping."""
    run = root / "run"
    shutil.copytree(CHINA_RUN, run)
    reg = pd.read_csv(run / "regions.csv")
    extra = pd.DataFrame(
        [
            {"region_id": "guizhou", "name_en": "Guizhou", "added_load_mw": 40.0, "added_energy_gwh": 350.4},
            {"region_id": "henan", "name_en": "Henan", "added_load_mw": 10.0, "added_energy_gwh": 87.6},
        ]
    )
    reg = pd.concat([reg, extra], ignore_index=True)
    gap = {"ningxia": 0.0, "anhui": 12.5, "gansu": 0.0, "hunan": 0.0, "guizhou": 12.5, "henan": 0.0}
    reg["gap_mw"] = reg["region_id"].map(gap)
    reg["added_energy_twh"] = reg["added_energy_gwh"] / 1000
    reg["local_surplus_mw"] = 7.0
    reg["imported_mw"] = 3.0
    reg["headroom_mw"] = 1234.0
    reg["added_peak_mw"] = reg["added_load_mw"] * 1.3
    reg.to_csv(run / "regions.csv", index=False)
    summary = json.loads((run / "summary.json").read_text(encoding="utf-8"))
    summary.update(
        name="hubs & <test>",
        objective_unit="million CNY per year",
        cost_unit="million CNY per year",
        total_cost=2345.0,
        bound=2341.5,
        mip_gap=0.0015,
        cost_breakdown={
            "site_build": 1200.0,
            "grid_energy": 1140.0,
            "certificates": 3.49,
            "wheeling": 1.51,
            "storage": 0,
        },
        green_share={"zhongwei": 0.81, "wuhu": 0.8},
        timings_s={"build": 1.25, "solve": 3.5, "total": 5.0},
        notes=["a note with <b>markup</b> & more"],
    )
    (run / "summary.json").write_text(json.dumps(summary), encoding="utf-8")
    return run


@pytest.fixture(scope="module")
def run_report(china, tmp_path_factory) -> tuple[Path, str]:
    run = make_run(tmp_path_factory.mktemp("report"))
    path = report.write_report(run, region_set=china)
    return run, path.read_text(encoding="utf-8")


# ----------------------------------------------------------------------------------------------------------------
# a run
# ----------------------------------------------------------------------------------------------------------------


def test_run_report_is_one_self_contained_page(run_report):
    run, page = run_report
    assert sorted(p.name for p in run.iterdir() if p.name.startswith((".", "report"))) == ["report.html"]
    assert_self_contained(page)
    from plotly.offline import get_plotlyjs

    assert page.count(get_plotlyjs()[:300]) == 1  # plotly.js inlined once for the map and every chart
    # the offline geo-assets stub runs before plotly.js, as in the stand-alone map
    assert 0 < page.index("window.PlotlyGeoAssets") < page.index(get_plotlyjs()[:300])
    assert 'id="gridsite-map"' in page  # the interactive map
    # no siting_map.png in the fixture: the static map is drawn and embedded as a data: image
    m = re.search(r'<img alt="static siting map" src="data:image/png;base64,([A-Za-z0-9+/=]+)"', page)
    assert m and len(m.group(1)) > 40_000
    assert n_charts(page) == 4  # map, green shares, cost breakdown, emissions


def test_run_report_header_and_escaping(run_report):
    _, page = run_report
    overview = section(page, "overview")
    assert "<title>hubs &amp; &lt;test&gt; — gridsite report</title>" in page
    assert "<test>" not in page and "<b>markup</b>" not in page  # every text from the files is escaped
    assert "a note with &lt;b&gt;markup&lt;/b&gt; &amp; more" in section(page, "notes")
    for text in (
        "2,345.00 million CNY per year (cost)",  # objective with its unit
        "0.150 %",  # MIP gap
        "2,341.50",  # bound
        "build 1.2 s · solve 3.5 s · total 5.0 s",
        "≥ 80 %",  # policy: quota
        "5 CNY/MWh",  # certificate price
        "china",
        "2025",
        '<span class="badge ok">optimal</span>',
    ):
        assert text in overview, text


def test_run_report_cost_breakdown_and_placement(run_report):
    _, page = run_report
    costs = section(page, "costs")
    rows = re.findall(r"<tr><td>([^<]+)</td><td class=\"n\">([^<]+)</td><td class=\"n\">([^<]+)</td></tr>", costs)
    assert rows == [
        ("site build", "1,200.00", "51.2 %"),
        ("grid energy", "1,140.00", "48.6 %"),
        ("certificates", "3.49", "0.1 %"),
        ("wheeling", "1.51", "0.1 %"),
    ]
    assert '<td>total</td><td class="n">2,345.00</td>' in costs
    assert "zero terms: storage" in costs and "not the total" not in costs
    (bars,) = figures(costs)
    assert bars["data"][0]["x"] == [1.51, 3.49, 1140.0, 1200.0] and bars["data"][0]["y"][-1] == "site build"

    placement = section(page, "placement")
    for cid in ("train-a", "train-b", "infer-c", "infer-d"):
        assert f"<td>{cid}</td>" in placement
    assert re.search(r'<tr class="bad"><td>infer-d</td>', placement)  # the unbuilt cluster is flagged
    assert "total placed (3 of 4)" in placement and "Zhongwei (zhongwei)" in placement


def test_run_report_sites_emissions_and_transfers(run_report):
    _, page = run_report
    sites = section(page, "sites")
    assert "81.0 %" in sites and "80 %" in sites  # green share vs quota
    assert "1,800.0" in sites and "328.0" in sites  # dedicated green and certificate GWh at Zhongwei
    (shares,) = figures(sites)
    names = [t["name"] for t in shares["data"]]
    assert names == [
        "dedicated green power",
        "grid power with certificates",
        "grid power without certificates",
        "quota",
    ]
    assert shares["data"][0]["x"] == ["zhongwei", "wuhu"]
    assert shares["data"][0]["y"] == pytest.approx([68.49, 0.0])  # 1,800 of 2,628 GWh
    assert shares["data"][1]["y"] == pytest.approx([12.48, 80.43])  # 328 of 2,628 and 370 of 460 GWh
    assert shares["data"][3]["y"] == [80.0, 80.0]
    emissions = section(page, "emissions")
    assert "621,880" in emissions and "161,000" in emissions  # location- and market-based t CO2
    (by_site,) = figures(emissions)
    assert [t["y"] for t in by_site["data"]] == [[310.0, 311.88], [100.0, 61.0]]  # kt CO2 per site
    transfers = section(page, "transfers")
    assert "gansu&gt;ningxia" in transfers and "900.0" in transfers
    assert "370.0" in transfers and "cross-region" in transfers and "within region" in transfers


def test_run_report_gap_table_ranked(run_report):
    _, page = run_report
    gaps = section(page, "gaps")
    order = re.findall(r"<tr(?: class=\"bad\")?><td>([a-z_]+)</td><td>", gaps)
    assert order == GAP_ORDER
    assert re.findall(r'<tr class="bad"><td>([a-z_]+)</td>', gaps) == ["anhui", "guizhou"]  # the ones with a gap
    assert "2 of 4 region(s) with added load show a gap" in gaps
    assert "1,234" in gaps and "firm headroom MW" in gaps  # headroom at the tightest hour


def test_gap_table_sorting_and_filter():
    regions = pd.DataFrame(
        {
            "region_id": ["a", "b", "c", "d", "e"],
            "added_load_mw": [10.0, 50.0, 0.0, 30.0, np.nan],
            "gap_mw": [5.0, 0.0, 0.0, 5.0, np.nan],
            "added_energy_gwh": [87.6, 438.0, 0.0, 262.8, np.nan],
        }
    )
    t = report.gap_table(regions)
    assert list(t["region_id"]) == ["d", "a", "b"]  # c and e add no load and show no gap
    assert t["added_energy_twh"].tolist() == pytest.approx([0.2628, 0.0876, 0.438])


def test_run_report_uses_the_runs_png_and_renders_without_a_region_set(tmp_path, monkeypatch):
    run = make_run(tmp_path)
    (run / "siting_map.png").write_bytes(b"\x89PNG\r\n\x1a\n fake map")
    summary = json.loads((run / "summary.json").read_text(encoding="utf-8"))
    summary["region_set"] = "no_such_set"
    (run / "summary.json").write_text(json.dumps(summary), encoding="utf-8")
    page = report.build_report(run)
    import base64

    assert base64.b64encode(b"\x89PNG\r\n\x1a\n fake map").decode() in page  # the run's own PNG
    assert 'id="gridsite-map"' not in page and maps.GEO_ASSETS_STUB not in page  # no interactive map
    assert "region set &#x27;no_such_set&#x27; could not be loaded" in section(page, "notes")
    assert n_charts(page) == 3  # the charts still render


def test_infeasible_run_renders_its_diagnosis(tmp_path):
    run = tmp_path / "infeasible"
    run.mkdir()
    summary = {
        "name": "tiny",
        "status": "infeasible",
        "message": "the scenario cannot be met before any model is built:",
        "diagnosis": [
            {
                "kind": "site_capacity",
                "subject": "a",
                "message": "cluster a needs 6000 MW at peak but the largest allowed site, zhongwei, holds 3000 MW",
                "amount": 3000.0,
                "unit": "MW",
            },
            {"kind": "quota", "subject": "guian", "message": "green quota short by 120 GWh", "amount": 120.0},
        ],
        "iis": {"rows": ["green_quota[guian,0]"]},
    }
    (run / "summary.json").write_text(json.dumps(summary), encoding="utf-8")
    page = report.write_report(run).read_text(encoding="utf-8")
    assert_self_contained(page)
    assert '<span class="badge ">infeasible</span>' in page
    notes = section(page, "notes")
    assert "the scenario cannot be met before any model is built:" in section(page, "overview")
    assert "cluster a needs 6000 MW at peak but the largest allowed site, zhongwei, holds 3000 MW" in notes
    assert "green quota short by 120 GWh" in notes and "3,000.00" in notes
    assert "green_quota[guian,0]" in notes  # the IIS
    assert n_charts(page) == 0 and "plotly" not in page.lower()  # nothing to chart: no 4.6 MB of plotly.js
    assert 'id="maps"' not in page and 'id="costs"' not in page


# ----------------------------------------------------------------------------------------------------------------
# a sweep
# ----------------------------------------------------------------------------------------------------------------

QUOTA, TRADING = "policy.green_share.min", "policy.certificates.cross_region"


def sweep_rows() -> list[dict]:
    rows = []
    for i, (q, on) in enumerate((q, on) for q in (0.6, 0.8, 1.0) for on in (True, False)):
        solved = not (q == 1.0 and not on)
        rows.append(
            {
                "point_id": f"p{i:03d}-abc{i}",
                "index": i,
                QUOTA: q,
                TRADING: on,
                f"label:{TRADING}": "on" if on else "off",
                "status": "optimal" if solved else "infeasible",
                "message": None if solved else "green quota at guian short by 120 GWh",
                "objective": 1500 + 100 * q + (0 if on else 7) if solved else None,
                "objective_mode": "cost" if solved else None,
                "total_cost": 1500 + 100 * q + (0 if on else 7) if solved else None,
                "cost_unit": "million CNY per year" if solved else None,
                "cost.site_build": 1200.0 if solved else None,
                "cost.grid_energy": 300 + 100 * q + (0 if on else 7) if solved else None,
                "cost.storage": 0.0 if solved else None,
                "emissions_t.location_based": 600_000.0 if solved else None,
                "emissions_t.market_based": 600_000 * (1 - q) + 1000 if solved else None,
                "green_share.min": q if solved else None,
                "placement": "a=guian; b=wuhu" if solved else None,
                "sites_used": 2 if solved else None,
            }
        )
    return rows


def make_sweep(root: Path) -> Path:
    d = root / "sweep"
    (d / "points").mkdir(parents=True)
    pd.DataFrame(sweep_rows()).to_csv(d / "sweep.csv", index=False)
    meta = {"name": "quota-x-trading", "description": "quota × trading", "mode": "grid", "parameters": [QUOTA, TRADING]}
    (d / "sweep.json").write_text(json.dumps({**meta, "points": 6, "executor": "sequential", "workers": 0}))
    return d


def test_sweep_report_charts_each_parameter_grouped_by_the_others(tmp_path):
    d = make_sweep(tmp_path)
    assert report.detect_kind(d) == "sweep"
    page = report.write_report(d).read_text(encoding="utf-8")
    assert_self_contained(page)
    assert n_charts(page) == 3  # one chart per parameter + the cost breakdown by point
    charts = section(page, "charts")
    by_quota, by_trading = figures(charts)
    # by quota: one line per trading value, in each of the three panels (cost, location-, market-based)
    # legends and axes name the parameters in words, not by their scenario paths
    assert sorted({t["name"] for t in by_quota["data"]}) == [
        "Cross-region certificate trading = off",
        "Cross-region certificate trading = on",
    ]
    assert by_quota["layout"]["xaxis"]["title"]["text"] == "Green-power quota (min share)"
    assert "policy.green_share.min" not in json.dumps([t["name"] for t in by_quota["data"] + by_trading["data"]])
    assert len(by_quota["data"]) == 6
    on_cost = next(t for t in by_quota["data"] if t["name"].endswith("= on") and t["xaxis"] == "x")
    assert on_cost["x"] == [0.6, 0.8, 1.0] and on_cost["y"] == pytest.approx([1560.0, 1580.0, 1600.0])
    off_cost = next(t for t in by_quota["data"] if t["name"].endswith("= off") and t["xaxis"] == "x")
    assert off_cost["x"] == [0.6, 0.8]  # the infeasible point is left out
    on_market = next(t for t in by_quota["data"] if t["name"].endswith("= on") and t["xaxis"] == "x3")
    assert on_market["y"] == pytest.approx([241.0, 121.0, 1.0])  # kt CO2
    titles = [a["text"] for a in by_quota["layout"]["annotations"]]
    assert titles == [
        "total cost, million CNY/yr",
        "emissions location-based, kt CO₂/yr",
        "emissions market-based, kt CO₂/yr",
    ]
    # by trading: one line per quota value, on a category axis in the sweep's order of labels
    assert sorted({t["name"] for t in by_trading["data"]}) == [
        f"Green-power quota (min share) = {q} %" for q in ("100", "60", "80")
    ]
    assert by_trading["layout"]["xaxis"]["categoryarray"] == ["on", "off"]
    assert "1 point(s) without a solution (1 infeasible) are not plotted" in charts
    points = section(page, "points")
    for i in range(6):
        assert f"p{i:03d}-abc{i}" in points
    assert "green quota at guian short by 120 GWh" in points
    assert re.search(r'<tr class="bad"><td>p005-abc5</td><td>100 %</td><td>off</td><td>infeasible</td>', points)
    assert "1,567.0" in points  # quota 0.6 without trading: 1500 + 60 + 7
    (breakdown,) = figures(section(page, "breakdown"))
    assert [t["name"] for t in breakdown["data"]] == ["site build", "grid energy"]  # storage: zero everywhere
    assert breakdown["data"][0]["x"][0] == "0: 60 %, on" and len(breakdown["data"][0]["x"]) == 5
    assert "<h1>quota-x-trading " in page and "5 optimal, 1 infeasible" in section(page, "overview")


def test_sweep_report_from_point_records_while_running(tmp_path):
    d = tmp_path / "running"
    (d / "points").mkdir(parents=True)
    for i, q in enumerate((0.6, 0.8)):
        rec = {
            "point_id": f"p{i:03d}-x",
            "index": i,
            "parameters": {QUOTA: q},
            "labels": {},
            "status": "optimal",
            "summary": {
                "total_cost": 1500 + 100 * q,
                "objective": 1500 + 100 * q,
                "cost_unit": "million CNY per year",
                "cost_breakdown": {"site_build": 1200.0, "grid_energy": 300 + 100 * q},
                "emissions_t": {"location_based": 5e5, "market_based": 2e5},
                "green_share": {"guian": q},
                "placement": {"a": "guian"},
            },
        }
        (d / "points" / f"p{i:03d}-x.json").write_text(json.dumps(rec))
    assert report.detect_kind(d) == "sweep"
    page = report.build_report(d)
    assert "no sweep.csv yet" in section(page, "notes")
    assert "p000-x" in page and "p001-x" in page and "1,580.0" in page
    assert n_charts(page) == 2


# ----------------------------------------------------------------------------------------------------------------
# a Pareto frontier
# ----------------------------------------------------------------------------------------------------------------


def make_pareto(root: Path) -> Path:
    d = root / "pareto"
    rows = [
        ("p00", "min_carbon", None, 100_000.0, 1600.0, "optimal"),
        ("p01", "epsilon", 300_000.3, 300_000.0, 1550.0, "optimal"),
        ("p02", "epsilon", 400_000.4, None, None, "infeasible"),
        ("p03", "min_cost", None, 500_000.0, 1540.0, "optimal"),
    ]
    df = pd.DataFrame(rows, columns=["point", "kind", "carbon_cap_t", "carbon_t", "cost", "status"])
    df["message"] = [None, None, "carbon cap cannot be met", None]
    df["placement"] = ["a=guian", "a=guian", None, "a=zhongwei"]
    df["sites_used"] = [1, 1, None, 1]
    df["emissions_location_t"] = df["carbon_t"]
    df["emissions_market_t"] = df["carbon_t"] / 2
    df["green_share_min"] = [1.0, 0.9, None, 0.8]
    df["run_dir"] = ["points/p00", "points/p01", None, "points/p03"]
    for r in df.itertuples(index=False):
        if isinstance(r.run_dir, str):
            (d / r.run_dir).mkdir(parents=True)
            s = {"currency": "CNY", "cost_breakdown": {"site_build": 1200.0, "grid_energy": r.cost - 1200.0}}
            (d / r.run_dir / "summary.json").write_text(json.dumps(s))
    df.to_csv(d / "pareto.csv", index=False)
    meta = {
        "name": "tiny",
        "carbon_accounting": "location_based",
        "cost_unit": "million CNY per year",
        "carbon_unit": "tCO2 per year",
        "non_increasing": True,
        "anchors_ok": True,
        "notes": ["a note & <more>"],
    }
    (d / "pareto.json").write_text(json.dumps(meta))
    return d


def test_pareto_report_frontier_breakdown_and_abatement_cost(tmp_path):
    d = make_pareto(tmp_path)
    assert report.detect_kind(d) == "pareto"
    page = report.write_report(d).read_text(encoding="utf-8")
    assert_self_contained(page)
    assert n_charts(page) == 2  # frontier + cost breakdown along it
    (frontier,) = figures(section(page, "frontier"))
    assert frontier["data"][0]["x"] == [100.0, 300.0, 500.0]  # kt CO2, the infeasible point left out
    assert frontier["data"][0]["y"] == [1600.0, 1550.0, 1540.0]  # million CNY per year
    assert frontier["data"][0]["text"] == ["p00", "p01", "p03"]
    assert frontier["layout"]["xaxis"]["title"]["text"] == "emissions, kt CO₂/yr (location-based)"
    points = section(page, "points")
    # abatement cost: (1600 − 1550) m CNY ÷ 200 kt = 250 CNY/t; (1550 − 1540) ÷ 200 kt = 50 CNY/t
    assert '<td class="n">250.0</td>' in points and '<td class="n">50.0</td>' in points
    assert '<a href="points/p00/">p00</a>' in points and "carbon cap cannot be met" in points
    assert "location-based (capped), kt CO₂/yr" in points and "market-based, kt CO₂/yr" in points
    assert "a note &amp; &lt;more&gt;" in section(page, "notes")
    (breakdown,) = figures(section(page, "breakdown"))
    assert [t["name"] for t in breakdown["data"]] == ["site build", "grid energy"]
    assert breakdown["data"][1]["y"] == [400.0, 350.0, 340.0]


def test_pareto_points_get_their_own_reports(tmp_path, china):
    d = make_pareto(tmp_path)
    shutil.rmtree(d / "points" / "p00")
    shutil.copytree(make_run(tmp_path), d / "points" / "p00")  # a full run folder as the first point
    (d / "points" / "p00" / "siting_map.png").write_bytes(b"\x89PNG fake")  # (skips drawing the static map)
    report.write_report(d, region_set=china, points=True)
    page = (d / "report.html").read_text(encoding="utf-8")
    assert '<a href="points/p00/report.html">p00</a>' in page and '<a href="points/p03/report.html">p03</a>' in page
    assert 'id="gridsite-map"' in (d / "points" / "p00" / "report.html").read_text(encoding="utf-8")


# ----------------------------------------------------------------------------------------------------------------
# folders, writing, command line
# ----------------------------------------------------------------------------------------------------------------


def test_detect_kind_and_errors(tmp_path):
    with pytest.raises(FileNotFoundError, match="not found"):
        report.detect_kind(tmp_path / "nope")
    with pytest.raises(FileNotFoundError, match="not a finished run, sweep or Pareto folder"):
        report.build_report(tmp_path)
    with pytest.raises(ValueError, match="lang"):
        report.build_report(tmp_path, lang="fr")
    (tmp_path / "summary.json").write_text("{}")
    assert report.detect_kind(tmp_path) == "run"


def test_write_report_is_atomic(tmp_path, monkeypatch):
    d = make_pareto(tmp_path)
    target = report.write_report(d)
    before = target.read_bytes()

    def broken(*args, **kwargs):
        raise RuntimeError("disk full")

    monkeypatch.setattr("os.replace", broken)  # fails after the temporary file is written
    with pytest.raises(RuntimeError, match="disk full"):
        report.write_report(d)
    assert target.read_bytes() == before
    assert not [p.name for p in d.iterdir() if p.name.startswith(".")]  # no temporary file left behind


def test_cli_report_and_map(tmp_path):
    from typer.testing import CliRunner

    from gridsite.cli import app

    runner = CliRunner()
    d = make_pareto(tmp_path)
    res = runner.invoke(app, ["report", str(d), "--out", str(tmp_path / "frontier.html")])
    assert res.exit_code == 0, res.output
    assert "frontier.html" in res.output and (tmp_path / "frontier.html").stat().st_size > 100_000
    res = runner.invoke(app, ["report", str(tmp_path / "missing")])
    assert res.exit_code == 2 and "folder not found" in res.output
    res = runner.invoke(app, ["report", str(d), "--lang", "fr"])
    assert res.exit_code == 2 and "--lang" in res.output
    # gridsite map on a failed run: exit 2 naming the missing region set
    failed = tmp_path / "failed"
    failed.mkdir()
    (failed / "summary.json").write_text(json.dumps({"status": "infeasible"}))
    res = runner.invoke(app, ["map", str(failed)])
    assert res.exit_code == 2 and "region_set" in res.output
    res = runner.invoke(app, ["map", str(failed), "--format", "gif"])
    assert res.exit_code == 2 and "--format" in res.output


def test_map_polish_hides_tiny_green_transfers_from_the_map_only(china):
    """Dedicated green-power transfers below 1 % of the largest are not drawn as arrows (the legend counts them)
    but stay in the corridor hover texts."""
    tables, summary = maps.read_run(CHINA_RUN)
    flows = tables["flows"]
    tiny = flows.iloc[[0]].assign(
        corridor_id="ningxia>gansu", from_region="ningxia", to_region="gansu", energy_gwh=8.9, max_flow_mw=3.0
    )
    tables = {**tables, "flows": pd.concat([flows, tiny], ignore_index=True)}
    fig = maps.interactive_figure(china, tables, summary)
    arrows = next(t for t in fig.data if t.legendgroup == "green" and t.mode == "markers")
    assert len(arrows.lon) == 1  # only gansu → ningxia (900 GWh); 8.9 GWh < 1 % of it
    assert "1 below 1 % of the largest not drawn" in arrows.name
    hover = " ".join(next(t for t in fig.data if t.legendgroup == "corridors" and t.mode == "markers").text)
    assert "ningxia&gt;gansu" in hover and "Energy 9 GWh" in hover
    assert maps.MIN_ARROW_SHARE == 0.01
