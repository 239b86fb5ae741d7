"""``gridsite compare RUN_A RUN_B``: placement moves, deltas that add up, changed regions, both maps on one page."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from typer.testing import CliRunner

from gridsite import parse_scenario, solve
from gridsite.cli import app
from gridsite.errors import ScenarioError
from rendering import compare
from rendering.runfolder import write_failure, write_run

from .conftest import scenario_dict
from .test_browser import CHROMIUM, Chrome, problems

MOVED_FROM = "guian"


@pytest.fixture(scope="module")
def runs(china, tmp_path_factory):
    """Two tiny solved runs with maps: A may use Gui'an, B may not (its clusters there must move)."""
    base = tmp_path_factory.mktemp("compare")
    a = solve(parse_scenario(scenario_dict(name="tiny-a")), region_set=china)
    assert MOVED_FROM in set(a.tables["assignments"].site_id), "run A is expected to place a cluster at Gui'an"
    b_data = scenario_dict(name="tiny-b", sites={"include": ["zhongwei", "yrd_demo_zone"]})
    b = solve(parse_scenario(b_data), region_set=china)
    return write_run(a, base / "run_a", china), write_run(b, base / "run_b", china)


def summary(folder: Path) -> dict:
    return json.loads((folder / "summary.json").read_text())


def test_placement_moves_detected(runs):
    a, b = runs
    c = compare.compare_runs(a, b)
    pa, pb = summary(a)["placement"], summary(b)["placement"]
    expected = sorted(k for k in pa if pa[k] != pb[k])
    assert expected, "the runs should differ in placement"
    assert sorted(c.moves.cluster_id) == expected
    for m in c.moves.itertuples(index=False):
        assert (m.site_a, m.site_b) == (pa[m.cluster_id], pb[m.cluster_id])
    assert set(c.moves[c.moves.site_a == MOVED_FROM].cluster_id) == {k for k, v in pa.items() if v == MOVED_FROM}
    assert sorted(c.unchanged) == sorted(k for k in pa if pa[k] == pb[k])


def test_cost_and_emission_deltas_add_up(runs):
    a, b = runs
    c = compare.compare_runs(a, b)
    sa, sb = summary(a), summary(b)
    terms = c.costs[c.costs.term != "total_cost"]
    total = c.costs.set_index("term").loc["total_cost"]
    assert list(terms.term) == list(sa["cost_breakdown"])
    assert total.delta == pytest.approx(sb["total_cost"] - sa["total_cost"])
    assert terms.delta.sum() == pytest.approx(total.delta, abs=1e-4)
    assert abs(total.delta) > 1e-3  # losing Gui'an costs something
    em = c.emissions.set_index("basis")
    for k in ("location_based", "market_based"):
        assert em.at[k, "delta"] == pytest.approx(sb["emissions_t"][k] - sa["emissions_t"][k])
    green = c.green.set_index("site_id")
    assert green.at[MOVED_FROM, "a"] == pytest.approx(sa["green_share"][MOVED_FROM])
    for s in set(sa["green_share"]) & set(sb["green_share"]):
        assert green.at[s, "delta_pp"] == pytest.approx(100 * (sb["green_share"][s] - sa["green_share"][s]))


def test_regions_whose_headroom_use_changed(runs):
    a, b = runs
    c = compare.compare_runs(a, b)
    changed = set(c.regions.region_id)
    # Gui'an lies in Guizhou (load leaves it) and the moved clusters land in Ningxia (more headroom used)
    assert {"guizhou", "ningxia"} <= changed
    row = c.regions.set_index("region_id").loc["ningxia"]
    assert row.headroom_used_b > row.headroom_used_a
    assert row.headroom_used_delta == pytest.approx(row.headroom_used_b - row.headroom_used_a)
    same = compare.compare_runs(a, a)
    assert same.moves.empty and same.regions.empty and (same.costs.delta == 0).all()


def test_page_shows_moves_deltas_and_both_maps(runs, tmp_path):
    a, b = runs
    page = compare.write_compare(a, b, tmp_path / "cmp.html")
    text = page.read_text(encoding="utf-8")
    assert text.count('src="data:image/png;base64,') == 2
    assert 'id="map-a"' in text and 'id="map-b"' in text
    assert "<td>guian</td><td>→</td><td>zhongwei</td>" in text
    assert compare.COMPARE_SIGNATURE.decode() in text
    assert "http://" not in text and "https://" not in text  # self-contained


def test_run_without_maps_gets_a_note(runs, tmp_path):
    a, b = runs
    bare = tmp_path / "bare"
    shutil.copytree(b, bare)
    (bare / "siting_map.png").unlink()
    text = compare.render_html(compare.compare_runs(a, bare))
    assert text.count('src="data:image/png;base64,') == 1 and "--no-maps" in text


def test_cli_writes_default_and_named_files(runs, tmp_path, monkeypatch):
    a, b = runs
    monkeypatch.chdir(tmp_path)
    r = CliRunner().invoke(app, ["compare", str(a), str(b)])
    assert r.exit_code == 0, r.output
    default = tmp_path / "run_a-vs-run_b.html"
    assert default.is_file() and "wrote" in r.output
    r = CliRunner().invoke(app, ["compare", str(a), str(b), "--out", str(default)])  # our own file: replaced
    assert r.exit_code == 0, r.output


def test_cli_refuses_foreign_out_file_without_force(runs, tmp_path):
    a, b = runs
    mine = tmp_path / "notes.html"
    mine.write_text("<p>my notes</p>")
    r = CliRunner().invoke(app, ["compare", str(a), str(b), "--out", str(mine)])
    assert r.exit_code == 2 and "not written by gridsite" in r.output
    assert mine.read_text() == "<p>my notes</p>"
    r = CliRunner().invoke(app, ["compare", str(a), str(b), "--out", str(tmp_path / "x.txt")])
    assert r.exit_code == 2 and "extension" in r.output
    r = CliRunner().invoke(app, ["compare", str(a), str(b), "--out", str(mine), "--force"])
    assert r.exit_code == 0 and compare.COMPARE_SIGNATURE.decode() in mine.read_text()


def test_cli_exit_2_when_a_folder_is_not_a_run(runs, tmp_path):
    a, _ = runs
    other = tmp_path / "photos"
    other.mkdir()
    (other / "cat.jpg").write_bytes(b"x")
    failed = tmp_path / "failed"
    write_failure(failed, {"name": "f", "status": "infeasible", "message": "no"})
    cases = [
        (tmp_path / "missing", "RUN_B", "folder not found"),
        (other, "RUN_B", "not a gridsite output folder"),
        (failed, "RUN_B", "failed run"),
    ]
    for folder, flag, words in cases:
        r = CliRunner().invoke(app, ["compare", str(a), str(folder), "--out", str(tmp_path / "c.html")])
        assert r.exit_code == 2, r.output
        assert flag in r.output and words in r.output, r.output
        assert "Traceback" not in r.output
    r = CliRunner().invoke(app, ["compare", str(other), str(a), "--out", str(tmp_path / "c.html")])
    assert r.exit_code == 2 and "RUN_A" in r.output
    assert not (tmp_path / "c.html").exists()
    with pytest.raises(ScenarioError):
        compare.compare_runs(a, failed)


@pytest.mark.browser
@pytest.mark.skipif(CHROMIUM is None, reason="headless Chromium not installed (apt-get install chromium)")
def test_compare_page_renders_both_maps_in_chromium(runs, tmp_path):
    a, b = runs
    page = compare.write_compare(a, b, tmp_path / "cmp.html")
    c = Chrome(tmp_path / "chromium-profile", width=1400, height=1000)
    try:
        c.open(page)
        boxes = c.wait_for(
            "(() => { const imgs = ['map-a', 'map-b'].map(i => document.querySelector('#' + i + ' img'));"
            " if (imgs.some(i => !i || !i.complete || i.naturalWidth === 0)) return null;"
            " return imgs.map(i => { const b = i.getBoundingClientRect();"
            " return [b.x, b.y, b.width, b.height, i.naturalWidth]; }); })()"
        )
        (xa, ya, wa, ha, na), (xb, yb, wb, hb, nb) = boxes
        assert na > 100 and nb > 100  # decoded PNGs
        assert wa > 400 and wb > 400 and ha > 200 and hb > 200  # drawn at a readable size …
        assert xa + wa <= xb and ya == pytest.approx(yb, abs=2)  # … side by side
        moved = c.evaluate("document.querySelectorAll('#moves tbody tr').length")
        assert moved == len(compare.compare_runs(a, b).moves)
        found = problems(c)
        assert not found["external_requests"] and not found["console_errors"], found
    finally:
        c.close()
