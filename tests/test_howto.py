"""The how-to pages (docs/howto-*.md) run end to end: every file block is written and every shell and Python
block is run, in page order, in a fresh folder, with ``gridsite`` on PATH; then what the page promises is checked.

A block ```` ```yaml file=PATH ```` (or csv) is a file to write; ```` ```sh ```` runs with ``bash -e``;
```` ```python ```` runs with this Python. Other blocks (the folder tree) are illustrations.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest
import yaml

from .conftest import ROOT

DOCS = ROOT / "docs"
BLOCK = re.compile(r"^```(\w*)(?: file=(\S+))?\n(.*?)^```\n", re.M | re.S)


def blocks(page: str) -> list[tuple[str, str | None, str]]:
    return [m.groups() for m in BLOCK.finditer((DOCS / page).read_text(encoding="utf-8"))]


def run_page(page: str, work: Path) -> list[str]:
    """Run every block of ``page`` in ``work``; returns the kinds run, in order (fails on the first error)."""
    bin_dir = work / ".bin"
    bin_dir.mkdir()
    shim = bin_dir / "gridsite"
    shim.write_text(f'#!/bin/sh\nexec "{sys.executable}" -m gridsite "$@"\n')
    shim.chmod(0o755)
    env = {**os.environ, "PATH": f"{bin_dir}{os.pathsep}{os.environ['PATH']}", "PYTHONPATH": str(ROOT)}
    env.pop("GRIDSITE_REGION_SETS", None)
    ran = []
    for lang, file, body in blocks(page):
        if file:
            p = work / file
            p.parent.mkdir(parents=True, exist_ok=True)
            p.write_text(body, encoding="utf-8")
            ran.append(f"file {file}")
        elif lang in ("sh", "python"):
            cmd = ["bash", "-e", "-c", body] if lang == "sh" else [sys.executable, "-c", body]
            r = subprocess.run(cmd, cwd=work, env=env, capture_output=True, text=True, timeout=600)
            assert r.returncode == 0, f"{page}: block failed:\n{body}\n--- stdout\n{r.stdout}\n--- stderr\n{r.stderr}"
            assert "Traceback" not in r.stderr, r.stderr
            ran.append(lang)
    return ran


def summary(run: Path) -> dict:
    return json.loads((run / "summary.json").read_text())


def test_every_howto_is_linked_from_the_readme_and_has_runnable_blocks():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    pages = sorted(p.name for p in DOCS.glob("howto-*.md"))
    assert pages == ["howto-own-prices.md", "howto-own-region-set.md", "howto-own-site.md"]
    for page in pages:
        assert f"(docs/{page})" in readme, page
        kinds = [lang for lang, file, _ in blocks(page) if not file]
        assert "sh" in kinds, page


def test_howto_own_site(tmp_path):
    ran = run_page("howto-own-site.md", tmp_path)
    assert ran.count("sh") == 3 and "file my_site.yaml" in ran
    run = tmp_path / "runs" / "my_site"
    assert Path(summary(run)["region_set"]).resolve() == (tmp_path / "my-china").resolve()
    a = pd.read_csv(run / "assignments.csv").set_index("cluster_id")
    assert a.loc["campus-1", "site_id"] == "karamay" and a.loc["campus-1", "region_id"] == "xinjiang"
    assert a.loc["flex-1", "site_id"] in ("karamay", "zhongwei", "guian")
    sites = pd.read_csv(tmp_path / "my-china" / "sites.csv")
    assert sites.id.tolist().count("karamay") == 1 and sites.set_index("id").loc["karamay", "source"]
    # the bundled set is untouched
    assert "karamay" not in pd.read_csv(ROOT / "geodata" / "data" / "china" / "sites.csv").id.tolist()


def test_howto_own_prices(tmp_path):
    from geodata import load_region_set

    run_page("howto-own-prices.md", tmp_path)
    rs = load_region_set(tmp_path / "offer-2026", check_polygons=False)
    assert rs.name == "offer-2026"
    assert rs.sites.set_index("id").loc["zhongwei", "price_per_mwh"] == 250
    assert rs.sites.set_index("id").loc["zhongwei", "price_source"] == "site"
    assert rs.regions.set_index("id").loc["guizhou", "price_per_mwh"] == 600
    bundled, offer = tmp_path / "runs" / "prices_bundled", tmp_path / "runs" / "prices_offer"
    assert Path(summary(offer)["region_set"]).name == "offer-2026" and summary(bundled)["region_set"] == "china"
    used = pd.read_csv(offer / "sites.csv").set_index("site_id")
    assert "zhongwei" in used.index and used.loc["zhongwei", "price_per_mwh"] == 250
    assert summary(offer)["total_cost"] < summary(bundled)["total_cost"]
    assert (tmp_path / "prices.html").stat().st_size > 10_000


def test_howto_own_region_set(tmp_path):
    ran = run_page("howto-own-region-set.md", tmp_path)
    assert "file eu3/regions.csv" in ran and ran.count("sh") == 2
    meta = yaml.safe_load((tmp_path / "eu3" / "regionset.yaml").read_text())
    assert meta["name"] == "eu3" and meta["currency"] == "EUR"
    for name in ("regions", "sites", "corridors", "tech_costs", "demand_centres"):
        df = pd.read_csv(tmp_path / "eu3" / f"{name}.csv")
        assert df["source"].notna().all() and (df["source"].str.strip() != "").all(), name  # every figure sourced
    regions = pd.read_csv(tmp_path / "eu3" / "regions.csv").set_index("id")
    assert sorted(regions.index) == ["DE", "ES", "FR"]
    assert regions.price_per_mwh.between(50, 400).all() and regions.ef_t_per_mwh.between(0.01, 1.0).all()
    run = tmp_path / "runs" / "eu3"
    s = summary(run)
    assert s["status"] == "optimal" and Path(s["region_set"]).name == "eu3" and s["currency"] == "EUR"
    a = pd.read_csv(run / "assignments.csv").set_index("cluster_id")
    assert set(a.site_id) <= {"frankfurt", "paris", "madrid"}
    assert a.loc["inference-1", "site_id"] in ("paris", "frankfurt")  # 10 ms to Paris rules out Madrid
    assert (run / "siting_map.png").exists()


def test_a_failing_block_fails_the_page(tmp_path, monkeypatch):
    """The runner is not vacuous: a page whose command fails is reported, not skipped."""
    page = "howto-own-region-set.md"
    broken = [(lang, file, body.replace("gridsite solve", "gridsite solve --no-such-flag")) for lang, file, body in
              blocks(page)]
    monkeypatch.setattr(sys.modules[__name__], "blocks", lambda _page: broken)
    with pytest.raises(AssertionError, match="block failed"):
        run_page(page, tmp_path)
