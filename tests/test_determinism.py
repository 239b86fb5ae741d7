"""The same scenario gives byte-identical result tables: twice in one process, and in another process with a
different string-hash seed (set and dict orders must never leak into the model or the tables)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import yaml
from typer.testing import CliRunner

from gridsite import parse_scenario, solve
from gridsite.cli import app
from rendering.runfolder import write_tables

from .conftest import ROOT, scenario_dict

TABLES = ("assignments", "sites", "regions", "flows", "certificates")


def _tables(result, folder: Path) -> dict[str, bytes]:
    folder.mkdir(parents=True, exist_ok=True)
    write_tables(result, folder)
    return {t: (folder / f"{t}.csv").read_bytes() for t in TABLES}


def test_same_scenario_same_bytes_in_process(china, tmp_path):
    """Representative days: tsam's clustering, the typical-day order and the solve are all repeatable."""
    sc = parse_scenario(
        scenario_dict(
            time={"mode": "representative_days", "days": 2},
            policy={"green_share": {"min": 0.8, "applies_to": "all", "matching": "monthly"}},
        )
    )
    a = _tables(solve(sc, region_set=china), tmp_path / "a")
    b = _tables(solve(sc, region_set=china), tmp_path / "b")
    for t in TABLES:
        assert a[t] == b[t], t
    assert len(a["flows"]) > 100 and a["assignments"].count(b"\n") == 4


def test_same_bytes_in_another_process_with_another_hash_seed(china, tmp_path, monkeypatch):
    import geodata

    monkeypatch.setattr(geodata, "load_region_set", lambda name, **kw: china)
    data = scenario_dict(policy={"green_share": {"min": 0.9, "applies_to": "all", "matching": "monthly"}})
    p = tmp_path / "s.yaml"
    p.write_text(yaml.safe_dump(data, sort_keys=False))
    r = CliRunner().invoke(app, ["solve", str(p), "--out", str(tmp_path / "here"), "--no-maps", "-q"])
    assert r.exit_code == 0, r.output
    seed = os.environ.get("PYTHONHASHSEED", "")
    other = str(int(seed) + 1) if seed.isdigit() else "12345"
    proc = subprocess.run(
        [sys.executable, "-m", "gridsite.cli", "solve", str(p), "--out", str(tmp_path / "there"), "--no-maps", "-q"],
        capture_output=True,
        text=True,
        cwd=ROOT,
        env={**os.environ, "PYTHONHASHSEED": other},
        timeout=300,
    )
    assert proc.returncode == 0, proc.stderr
    for t in TABLES:
        here = (tmp_path / "here" / f"{t}.csv").read_bytes()
        there = (tmp_path / "there" / f"{t}.csv").read_bytes()
        assert here == there, t
