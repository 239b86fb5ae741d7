"""Hourly, as a user waits: ``gridsite solve`` on a shipped scenario at 8,760 slices (solver.method bracket).

Run from the repository root (not part of the test suite; each repeat takes ~10 minutes and ~10 GB)::

    python benchmarks/hourly_bracket.py                                           # china_hubs_2025_hourly, 3 repeats
    python benchmarks/hourly_bracket.py --scenario scenarios/us_states_2026.yaml --hourly --repeats 1
    python benchmarks/hourly_bracket.py --repeats 1 --out /tmp/hb.csv

Each repeat runs the whole command in a fresh process — imports, model data, the 12-typical-day placement, the
Pyomo build, both interior-point LPs, the tables, maps and output files — and records its wall clock, its CPU
time and peak RSS (``os.wait4``), the load before and after, and from ``summary.json``: status, objective (UB, what
the plan costs over 8,760 h), bound (LB, the hourly LP relaxation), gap, and the typical-day objective ``z_rd``.
With ``--hourly`` the scenario's ``time`` section is replaced by ``{mode: hourly}`` and its time limit raised to
3,600 s (a copy is written to a temporary folder; the region set is named in the file, so nothing else changes).

From the bracket, the typical-day figures' accuracy against the hourly optimum ``z*`` (``LB ≤ z* ≤ UB``):

- objective error ``(z_rd − z*) / z*`` ∈ ``[(z_rd − UB) / UB, (z_rd − LB) / LB]``;
- placement regret (how much more the typical-day placement costs hourly than the best hourly placement)
  ``≤ (UB − LB) / UB``.

Rows ``kind = run`` (one per repeat) and ``kind = median`` (median and spread of the wall clock), with the
issue's target (≤ 600 s at ≤ 0.5 % gap) and the machine.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(HERE))

import run as harness  # noqa: E402  (the harness in this folder)

RESULTS = HERE / "results"
TARGET_S = 600.0
TARGET_GAP = 0.005


def _scenario(path: Path, hourly: bool, tmp: Path) -> Path:
    if not hourly:
        return path
    import yaml

    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    data["time"] = {"mode": "hourly"}
    data.setdefault("solver", {})["time_limit_s"] = 3600
    out = tmp / f"{path.stem}_hourly.yaml"
    out.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")
    return out


def one(scenario: Path, out: Path) -> dict:
    """Run ``gridsite solve`` once; its wall clock, CPU, peak RSS and the summary's figures."""
    gridsite = Path(sys.executable).with_name("gridsite")
    load0 = harness.load1()
    t0 = time.perf_counter()
    p = subprocess.Popen(
        [str(gridsite), "solve", str(scenario), "--out", str(out), "--quiet"],
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    _, status, usage = os.wait4(p.pid, 0)
    wall = time.perf_counter() - t0
    err = p.stderr.read().decode(errors="replace") if p.stderr else ""
    row: dict = {
        "exit": os.waitstatus_to_exitcode(status),
        "wall_s": wall,
        "cpu_s": usage.ru_utime + usage.ru_stime,
        "peak_rss_mb": usage.ru_maxrss / 1024,
        "load1_before": load0,
        "load1_after": harness.load1(),
    }
    summary = out / "summary.json"
    if not summary.exists():
        row["status"] = f"no summary ({err.strip().splitlines()[-1] if err.strip() else 'no message'})"
        return row
    s = json.loads(summary.read_text())
    meth = s.get("method", {})
    ub, lb, z_rd = s.get("objective"), s.get("bound"), meth.get("placement_objective")
    row.update(
        status=s.get("status"),
        method=meth.get("name"),
        objective=ub,
        bound=lb,
        gap_pct=100 * s["mip_gap"] if s.get("mip_gap") is not None else None,
        typical_day_objective=z_rd,
        placement_s=meth.get("placement_s"),
        upper_s=meth.get("upper_s"),
        lower_s=meth.get("lower_s"),
        upper_iterations=meth.get("upper_iterations"),
        lower_iterations=meth.get("lower_iterations"),
        upper_row_violation=meth.get("upper_row_violation"),
        lower_row_violation=meth.get("lower_row_violation"),
        upper_presolved_rows=(meth.get("upper_presolved_size") or {}).get("rows"),
        lower_presolved_rows=(meth.get("lower_presolved_size") or {}).get("rows"),
        columns=s.get("model_size", {}).get("columns"),
        rows=s.get("model_size", {}).get("rows"),
        nonzeros=s.get("model_size", {}).get("nonzeros"),
        build_s=s.get("timings_s", {}).get("build"),
        handoff_s=s.get("timings_s", {}).get("handoff"),
        placement=json.dumps(s.get("placement", {}), sort_keys=True),
    )
    if ub and lb and z_rd:
        row.update(
            rd_error_min_pct=100 * (z_rd - ub) / ub,
            rd_error_max_pct=100 * (z_rd - lb) / lb,
            regret_max_pct=100 * (ub - lb) / ub,
        )
    return row


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--scenario", default="scenarios/china_hubs_2025_hourly.yaml")
    ap.add_argument("--hourly", action="store_true", help="replace the scenario's time section by {mode: hourly}")
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--out", default=str(RESULTS / "hourly_bracket.csv"))
    a = ap.parse_args(argv)
    mach = harness.machine()
    rows: list[dict] = []
    with tempfile.TemporaryDirectory() as tmp:
        sc = _scenario(ROOT / a.scenario, a.hourly, Path(tmp))
        for k in range(a.repeats):
            r = {"scenario": a.scenario, "kind": "run", "repeat": k, **one(sc, Path(tmp) / f"run{k}")}
            rows.append(r)
            print(
                f"repeat {k}: exit {r['exit']}, {r['wall_s']:.1f} s, {r.get('status')}, "
                f"objective {r.get('objective')}, bound {r.get('bound')}, gap {r.get('gap_pct')} %, "
                f"peak {r['peak_rss_mb']:.0f} MB",
                flush=True,
            )
    walls = [r["wall_s"] for r in rows if r.get("exit") == 0]
    if walls:
        gaps = [r["gap_pct"] for r in rows if r.get("gap_pct") is not None]
        rows.append(
            {
                "scenario": a.scenario,
                "kind": "median",
                "repeats": len(walls),
                "wall_s": statistics.median(walls),
                "wall_s_min": min(walls),
                "wall_s_max": max(walls),
                "gap_pct": max(gaps) if gaps else None,
                "peak_rss_mb": max(r["peak_rss_mb"] for r in rows if r.get("kind") == "run"),
                "target_s": TARGET_S,
                "target_gap_pct": 100 * TARGET_GAP,
                "meets_time": statistics.median(walls) <= TARGET_S,
                "meets_gap": bool(gaps) and max(gaps) <= 100 * TARGET_GAP,
            }
        )
    out = Path(a.out)
    harness.write_csv(rows, out, mach, digits=10)
    print(f"wrote {out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
