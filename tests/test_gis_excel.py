"""Every run writes ``results.gpkg`` (GIS layers) and ``results.xlsx`` (one sheet per table, units in headers)."""

from __future__ import annotations

import json

import pandas as pd
import pyogrio
import pytest
from openpyxl import load_workbook

from gridsite import parse_scenario, solve
from rendering import excel, gis, safety
from rendering.runfolder import write_run

from .conftest import scenario_dict

LAYER_TYPES = {
    "regions": "MultiPolygon",
    "sites": "Point",
    "clusters": "Point",
    "corridors": "LineString",
    "flows": "LineString",
    "certificate_trades": "LineString",
}


@pytest.fixture(scope="module")
def run(china, tmp_path_factory):
    """A tiny solved run (clusters a and c share a site) written the way ``gridsite solve`` writes it."""
    data = scenario_dict(policy={"green_share": {"min": 0.9, "applies_to": "all", "matching": "annual"}})
    result = solve(parse_scenario(data), region_set=china)
    out = write_run(result, tmp_path_factory.mktemp("gis") / "run", china, maps=False)
    tables = {n: pd.read_csv(out / f"{n}.csv", keep_default_na=False, na_values=[""]) for n in excel.TABLES}
    return out, result, tables


def read_layer(path, name):
    return pyogrio.read_dataframe(path, layer=name)


def test_run_folder_holds_both_files_and_stays_a_gridsite_output(run):
    out, _, _ = run
    assert (out / "results.gpkg").is_file() and (out / "results.xlsx").is_file()
    # the next solve into this folder must not take the new files for a user's: they are known output files
    assert safety.is_gridsite_output(out), safety.foreign_entries(out)


def test_gpkg_layer_names_geometry_types_and_crs(run, china):
    out, _, tables = run
    path = out / "results.gpkg"
    assert {str(n): str(t) for n, t in pyogrio.list_layers(path)} == LAYER_TYPES
    for name in LAYER_TYPES:
        info = pyogrio.read_info(path, layer=name)
        assert info["crs"] == "EPSG:4326", name
        desc = info["layer_metadata"]["DESCRIPTION"]
        assert "EPSG:4326" in desc and "Units:" in desc, name
    assert "energy_gwh: GWh/yr" in pyogrio.read_info(path, layer="flows")["layer_metadata"]["DESCRIPTION"]
    assert "it_mw: MW" in pyogrio.read_info(path, layer="clusters")["layer_metadata"]["DESCRIPTION"]
    regions = read_layer(path, "regions")
    assert len(regions) == len(china.regions) and set(regions.region_id) == set(china.regions.id)
    assert regions.geometry.geom_type.eq("MultiPolygon").all()
    # the result columns travel with the polygons
    merged = regions.merge(tables["regions"], on="region_id", suffixes=("", "_csv"))
    assert merged.added_load_mw.fillna(0).tolist() == pytest.approx(merged.added_load_mw_csv.fillna(0).tolist())


def test_gpkg_sites_and_co_located_clusters(run):
    out, _, tables = run
    path = out / "results.gpkg"
    sites = read_layer(path, "sites")
    assert list(sites.site_id) == list(tables["sites"].site_id)
    assert sites.geometry.x.tolist() == pytest.approx(tables["sites"].lon.tolist())
    assert sites.geometry.y.tolist() == pytest.approx(tables["sites"].lat.tolist())

    clusters = read_layer(path, "clusters")
    a = tables["assignments"]
    assert sorted(clusters.cluster_id) == sorted(a.cluster_id)  # one feature per cluster, co-located ones too
    per_site = a.groupby("site_id").cluster_id.count()
    shared = per_site[per_site > 1]
    assert len(shared), "the tiny scenario is expected to put two clusters at one site"
    for site, n in shared.items():
        rows = clusters[clusters.site_id == site]
        assert len(rows) == n
        assert set(rows.n_at_site) == {n} and sorted(rows.rank_at_site) == list(range(1, n + 1))
        assert rows.geometry.nunique() == 1  # same point: each cluster is its own feature at its site
        s = tables["sites"].set_index("site_id").loc[site]
        assert rows.geometry.iloc[0].x == pytest.approx(s.lon) and rows.geometry.iloc[0].y == pytest.approx(s.lat)


def test_gpkg_corridors_flows_and_certificate_lines(run):
    out, _, tables = run
    path = out / "results.gpkg"
    f = tables["flows"]
    corridors = read_layer(path, "corridors")
    pairs = {tuple(sorted(p)) for p in zip(f.from_region, f.to_region, strict=True)}
    assert len(corridors) == len(pairs)
    assert corridors.capacity_a_to_b_mw.sum() + corridors.capacity_b_to_a_mw.sum() == pytest.approx(f.capacity_mw.sum())
    flows = read_layer(path, "flows")
    carried = f[f.energy_gwh > 0]
    assert len(carried) and len(flows) == len(carried)
    assert flows.energy_twh.tolist() == pytest.approx((flows.energy_gwh / 1000).tolist())
    assert flows.geometry.geom_type.eq("LineString").all() and all(g.coords[0] != g.coords[-1] for g in flows.geometry)
    # a flow line starts at the sending region's point and ends at the receiving one's
    reg = tables["regions"].set_index("region_id")
    first = flows.iloc[0]
    (x0, y0), (x1, y1) = first.geometry.coords[0], first.geometry.coords[-1]
    assert (x0, y0) == pytest.approx((reg.at[first.from_region, "lon"], reg.at[first.from_region, "lat"]))
    assert (x1, y1) == pytest.approx((reg.at[first.to_region, "lon"], reg.at[first.to_region, "lat"]))
    trades = read_layer(path, "certificate_trades")
    assert trades.gwh.sum() == pytest.approx(tables["certificates"].gwh.sum(), rel=1e-9)
    assert set(trades.from_region) == set(tables["certificates"].from_region)


def test_gpkg_empty_layers_keep_their_geometry_type(run, china, tmp_path):
    _, _, tables = run
    empty = {**tables, "flows": tables["flows"].iloc[:0], "certificates": tables["certificates"].iloc[:0]}
    path = gis.write_gpkg(empty, china, tmp_path / "x.gpkg", currency="CNY")
    assert {str(n): str(t) for n, t in pyogrio.list_layers(path)} == LAYER_TYPES
    for name in ("corridors", "flows", "certificate_trades"):
        assert pyogrio.read_info(path, layer=name)["features"] == 0


def test_gpkg_regions_without_boundaries_are_a_point_layer(run, china, tmp_path):
    """A region set without boundary polygons (regions are points) gets a Point regions layer, with no warning
    about points written into a polygon layer."""
    import warnings
    from types import SimpleNamespace

    import geopandas as gpd

    _, _, tables = run
    pts = china.regions[["id"]].copy()
    pts["geometry"] = gpd.points_from_xy(china.regions["lon"], china.regions["lat"])
    flat = SimpleNamespace(regions=gpd.GeoDataFrame(pts, geometry="geometry", crs=4326), currency="CNY")
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        path = gis.write_gpkg(tables, flat, tmp_path / "points.gpkg", currency="CNY")
    kinds = {str(n): str(t) for n, t in pyogrio.list_layers(path)}
    assert kinds["regions"] == "Point"
    assert pyogrio.read_info(path, layer="regions")["features"] == len(china.regions)


def test_xlsx_sheets_headers_units_and_frozen_rows(run):
    out, _, tables = run
    wb = load_workbook(out / "results.xlsx")
    assert wb.sheetnames == ["summary", "assignments", "sites", "regions", "flows", "certificates"]
    for name in excel.TABLES:
        ws = wb[name]
        assert ws.freeze_panes == "A2", name
        head = [c.value for c in ws[1]]
        assert head == [excel.header(c, "CNY") for c in tables[name].columns], name
        assert ws.max_row == len(tables[name]) + 1, name
    a_head = [c.value for c in wb["assignments"][1]]
    assert "energy_gwh [GWh/yr]" in a_head and "it_mw [MW]" in a_head and "cluster_id" in a_head
    assert "cost_m [million CNY/yr]" in [c.value for c in wb["certificates"][1]]
    assert "price_per_mwh [CNY/MWh]" in [c.value for c in wb["sites"][1]]
    # values, not text: the energy column adds up to the CSV's
    col = a_head.index("energy_gwh [GWh/yr]") + 1
    energy = [wb["assignments"].cell(row=r, column=col).value for r in range(2, wb["assignments"].max_row + 1)]
    assert sum(energy) == pytest.approx(tables["assignments"].energy_gwh.sum())

    summary = json.loads((out / "summary.json").read_text())
    ws = wb["summary"]
    assert ws.freeze_panes == "A2" and [c.value for c in ws[1]] == ["key", "value", "unit"]
    rows = {r[0]: (r[1], r[2]) for r in ws.iter_rows(min_row=2, values_only=True)}
    assert rows["total_cost"] == (pytest.approx(summary["total_cost"]), "million CNY per year")
    for term, v in summary["cost_breakdown"].items():
        assert rows[f"cost_breakdown.{term}"][0] == pytest.approx(v)
    assert rows["emissions_t.location_based"][1] == "tCO2/yr"
    assert rows["demand.energy_twh"] == (pytest.approx(summary["demand"]["energy_twh"]), "TWh/yr")


def test_both_files_are_reproducible_byte_for_byte(run, china, tmp_path):
    _, result, _ = run
    from rendering.runfolder import build_summary

    summary = build_summary(result)
    first = (gis.write_run_gpkg(result, china, tmp_path), excel.write_run_xlsx(result, summary, tmp_path))
    blobs = [p.read_bytes() for p in first]
    (tmp_path / "again").mkdir()
    second = (
        gis.write_run_gpkg(result, china, tmp_path / "again"),
        excel.write_run_xlsx(result, summary, tmp_path / "again"),
    )
    assert [p.read_bytes() for p in second] == blobs


@pytest.mark.parametrize(
    ("name", "unit"),
    [
        ("energy_gwh", "GWh/yr"),
        ("gwh", "GWh/yr"),
        ("added_energy_twh", "TWh/yr"),
        ("headroom_mw", "MW"),
        ("emissions_market_t", "tCO2/yr"),
        ("wheeling_cost_m", "million USD/yr"),
        ("price_per_mwh", "USD/MWh"),
        ("ef_t_per_mwh", "tCO2/MWh"),
        ("green_share", "share (1 = 100 %)"),
        ("lat", "degrees"),
        ("cluster_id", ""),
        ("status", ""),
    ],
)
def test_column_units(name, unit):
    assert excel.column_unit(name, "USD") == unit
