"""Reports on paper and in Chinese: ``gridsite report DIR --pdf FILE`` (headless Chromium), the print styles
(tables fit the page width, no toolbars, charts kept whole, a one-page brief first), ``--lang zh`` (no English
table header left) and the warning line when no font covers Chinese.

The run is the report tests' fixture run (``tests.test_report.make_run``). The browser tests drive Chromium
through ``tests.test_browser.Chrome`` and are skipped when it is not installed.
"""

from __future__ import annotations

import html
import re
import shutil
import unicodedata
import warnings

import pytest

from rendering import report
from rendering.report.pdf import PDF_SIGNATURE
from tests.test_browser import CHROMIUM, Chrome
from tests.test_report import make_pareto, make_run, make_sweep

needs_chromium = pytest.mark.skipif(
    CHROMIUM is None, reason="headless Chromium not installed (apt-get install chromium)"
)

#: Width of the printable area of the report's page (A4 landscape, 10 mm side margins), CSS px at 96 per inch.
PAGE_CONTENT_PX = (297 - 2 * 10) / 25.4 * 96
#: Height of the printable area (13 mm top, 12 mm bottom margins).
PAGE_CONTENT_H_PX = (210 - 13 - 12) / 25.4 * 96

CJK = re.compile(r"[\u4e00-\u9fff]")


def headers(page: str) -> set[str]:
    """The texts of every table header cell (``<th>``) of a page."""
    return {html.unescape(re.sub(r"<[^>]+>", "", h)).strip() for h in re.findall(r"<th[^>]*>(.*?)</th>", page, re.S)}


def cli(*args: str):
    from typer.testing import CliRunner

    from gridsite.cli import app

    return CliRunner().invoke(app, list(args))


# ----------------------------------------------------------------------------------------------------------------
# print styles, measured in the browser with print media
# ----------------------------------------------------------------------------------------------------------------

TABLES_JS = """
Array.from(document.querySelectorAll('table'))
  .filter(t => t.getClientRects().length > 0)
  .map(t => [t.closest('section') ? t.closest('section').id : '', Math.ceil(t.scrollWidth),
             Math.ceil(t.closest('section').getBoundingClientRect().width)])
"""

STYLE_JS = """
(() => {
  const cs = el => getComputedStyle(el);
  const charts = Array.from(document.querySelectorAll('.chart, .map, figure'));
  const brief = document.querySelector('section.brief');
  return {
    charts: charts.length,
    split: charts.filter(el => cs(el).breakInside !== 'avoid').length,
    nav: cs(document.querySelector('nav')).display,
    toolbars: Array.from(document.querySelectorAll('.modebar-container, .modebar'))
      .filter(el => el.getClientRects().length > 0).length,
    scrolling: Array.from(document.querySelectorAll('.scroll')).filter(el => cs(el).overflowX !== 'visible').length,
    brief: brief ? [cs(brief).display, brief.getBoundingClientRect().height, brief.scrollHeight,
                    cs(brief).breakAfter] : null,
  };
})()
"""


@pytest.mark.browser
@needs_chromium
def test_printed_tables_fit_the_page_width_and_charts_are_kept_whole(china, tmp_path):
    run = make_run(tmp_path)
    page = report.write_report(run, region_set=china)
    c = Chrome(tmp_path / "profile", width=int(PAGE_CONTENT_PX), height=900)
    try:
        c.open(page)
        c.wait_for("document.querySelectorAll('.main-svg').length > 4")
        screen = c.evaluate(TABLES_JS)
        # on screen at the page's width, wide tables scroll sideways: the measurement below has something to catch
        assert max(w for _, w, _ in screen) > PAGE_CONTENT_PX
        c.send("Emulation.setEmulatedMedia", {"media": "print"})
        printed = c.evaluate(TABLES_JS)
        style = c.evaluate(STYLE_JS)
    finally:
        c.close()
    assert len(printed) > len(screen)  # the brief's tables are printed too
    too_wide = [(sid, w) for sid, w, _ in printed if w > PAGE_CONTENT_PX]
    assert not too_wide, f"tables wider than the printed page ({PAGE_CONTENT_PX:.0f} px): {too_wide}"
    assert all(w <= sec for _, w, sec in printed)  # nor wider than their section
    assert style["charts"] >= 5 and style["split"] == 0  # map, figure and every chart: break-inside: avoid
    assert style["nav"] == "none" and style["toolbars"] == 0 and style["scrolling"] == 0
    display, height, _, after = style["brief"]
    assert display == "block" and after == "page" and height <= PAGE_CONTENT_H_PX + 1


@pytest.mark.browser
@needs_chromium
def test_report_pdf_starts_with_a_one_page_brief(tmp_path):
    from pypdf import PdfReader

    run = make_run(tmp_path)
    pdf = tmp_path / "brief.pdf"
    res = cli("report", str(run), "--pdf", str(pdf))
    assert res.exit_code == 0, res.output
    assert f"wrote {pdf}" in res.output.replace("\n", "") and (run / "report.html").is_file()
    reader = PdfReader(pdf)
    n = len(reader.pages)
    assert 4 <= n <= 12
    box = reader.pages[0].mediabox
    assert (round(float(box.width)), round(float(box.height))) == (842, 595)  # A4 landscape, in points
    texts = [unicodedata.normalize("NFKC", p.extract_text()) for p in reader.pages]  # ligatures: "ﬁ" → "fi"
    first = texts[0]
    for text in ("One-page brief", "Key figures", "Policy", "Where the clusters go", "Cost breakdown", "Zhongwei"):
        assert text in first, text
    assert "2,345.00" in first and "≥ 80 %" in first  # the objective and the quota
    assert len(reader.pages[0].images) >= 1  # the siting map
    assert "gridsite run report" not in first and "gridsite run report" in texts[1]  # the report starts on page 2
    for i, text in enumerate(texts, start=1):  # running header (run name) and footer (page of pages)
        assert "<test>" in text and f"{i} / {n}" in text, i
    assert pdf.read_bytes().rstrip().endswith(PDF_SIGNATURE)
    # printed again over its own PDF; a file gridsite did not write is refused, and kept
    assert cli("report", str(run), "--pdf", str(pdf)).exit_code == 0
    other = tmp_path / "mine.pdf"
    other.write_bytes(b"%PDF-1.4 somebody else's")
    res = cli("report", str(run), "--pdf", str(other))
    assert res.exit_code == 2 and "--force" in res.output
    assert other.read_bytes() == b"%PDF-1.4 somebody else's"


def test_report_pdf_without_chromium_is_a_clear_error(tmp_path, monkeypatch):
    run = make_run(tmp_path)
    monkeypatch.setenv("GRIDSITE_CHROMIUM", str(tmp_path / "no-such-browser"))
    res = cli("report", str(run), "--pdf", str(tmp_path / "r.pdf"))
    assert res.exit_code == 2, res.output
    out = " ".join(res.output.split())
    assert "--pdf" in out and "no headless Chromium found" in out and "apt-get install chromium" in out
    assert "Traceback" not in res.output
    assert not (tmp_path / "r.pdf").exists() and not (run / "report.html").exists()  # nothing half-done
    res = cli("report", str(run), "--pdf", str(tmp_path / "r.txt"))
    assert res.exit_code == 2 and ".pdf" in res.output


# ----------------------------------------------------------------------------------------------------------------
# Chinese
# ----------------------------------------------------------------------------------------------------------------


def test_zh_run_report_has_no_english_table_headers(china, tmp_path):
    run = make_run(tmp_path)
    en = report.build_report(run, region_set=china, lang="en")
    zh = report.build_report(run, region_set=china, lang="zh")
    en_headers = {h for h in headers(en) if re.search(r"[A-Za-z]{2,}", h) and not re.fullmatch(r"[A-Z]+", h)}
    assert len(en_headers) > 60  # placement, sites, costs, emissions, gaps, transfers, overview, brief
    zh_headers = headers(zh)
    assert not en_headers & zh_headers, sorted(en_headers & zh_headers)
    # every Chinese header with a word in it has Chinese characters (units such as MW, GWh, CNY, CO₂ may stay)
    latin_only = [h for h in zh_headers if not CJK.search(h) and re.search(r"[a-z]{3,}", h)]
    assert not latin_only, latin_only
    for tag in ("h2", "h3"):
        for h in re.findall(rf"<{tag}>(.*?)</{tag}>", zh, re.S):
            assert CJK.search(h), h
    for k in re.findall(r'<div class="k">(.*?)</div>', zh):  # key figures
        assert CJK.search(k), k
    assert '<html lang="zh-CN">' in zh and "概览" in zh and "示意图" in zh
    # the data stay as they are: site and region ids, numbers
    assert "zhongwei" in zh and "2,345.00" in zh


@pytest.mark.parametrize("make", [make_sweep, make_pareto])
def test_zh_study_reports_have_no_english_table_headers(make, tmp_path):
    d = make(tmp_path)
    en = report.build_report(d, lang="en")
    zh = report.build_report(d, lang="zh")
    en_headers = {h for h in headers(en) if re.search(r"[a-z]{3,}", h)}
    assert len(en_headers) > 8
    assert not en_headers & headers(zh)
    assert all(CJK.search(h) for h in re.findall(r"<h2>(.*?)</h2>", zh))


def test_missing_cjk_font_is_one_warning_line_not_a_python_warning(china, tmp_path, monkeypatch):
    import rendering.maps as maps_pkg

    run = make_run(tmp_path)
    monkeypatch.setattr(maps_pkg, "cjk_font", lambda: "Noto Sans CJK SC")
    assert report.report_warnings("zh") == [] and report.report_warnings("en") == []
    monkeypatch.setattr(maps_pkg, "cjk_font", lambda: None)
    (line,) = report.report_warnings("zh")
    assert "Chinese" in line and "fonts-noto-cjk" in line
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        report.write_report(run, region_set=china, lang="zh")
    assert not [w for w in caught if "Chinese" in str(w.message) or "CJK" in str(w.message)]
    res = cli("report", str(run), "--lang", "zh", "--out", str(tmp_path / "zh.html"))
    assert res.exit_code == 0, res.output
    assert "warning: --lang zh: no installed font covers Chinese characters" in " ".join(res.output.split())


# ----------------------------------------------------------------------------------------------------------------
# sweep and Pareto points open their own reports
# ----------------------------------------------------------------------------------------------------------------


def test_pareto_points_link_their_reports_and_maps(tmp_path):
    d = make_pareto(tmp_path)
    shutil.rmtree(d / "points" / "p00")
    shutil.copytree(make_run(tmp_path), d / "points" / "p00")  # a full run folder as the first point
    (d / "points" / "p00" / "siting_map.png").write_bytes(b"\x89PNG fake")  # (skips drawing the static map)
    res = cli("report", str(d))  # the CLI writes the point reports by default
    assert res.exit_code == 0, res.output
    page = (d / "report.html").read_text(encoding="utf-8")
    links = re.findall(r'href="(points/[^"]+)"', page)
    assert sorted(x for x in links if x.endswith("report.html")) == [f"points/p0{i}/report.html" for i in (0, 1, 3)]
    assert sorted(x for x in links if x.endswith("#maps")) == [f"points/p0{i}/report.html#maps" for i in (0, 1, 3)]
    point = (d / "points" / "p00" / "report.html").read_text(encoding="utf-8")
    assert 'id="maps"' in point and 'id="gridsite-map"' in point  # the point's report opens on its map
    res = cli("report", str(d), "--no-points", "--out", str(tmp_path / "only.html"))
    assert res.exit_code == 0, res.output
