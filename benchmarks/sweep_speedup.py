"""The Dask sweep speed-up, measured honestly: ``gridsite sweep --workers 2`` against ``--workers 0`` (sequential).

Run from the repository root (not part of the test suite)::

    python benchmarks/sweep_speedup.py                                    # the 6-point subset, 2 repeats each
    python benchmarks/sweep_speedup.py --sweep scenarios/sweeps/china_quota_certificates.yaml --repeats 3

Each run is the whole command in a fresh process (``gridsite sweep FILE --out DIR --workers N --quiet``), its
wall clock and the CPU time of the process and its children taken by this parent. The two settings alternate
(0, 2, 0, 2, …) so that a change in the machine's load falls on both. The default sweep is
``benchmarks/sweep_subset.yaml``: the shipped ``scenarios/sweeps/china_quota_certificates.yaml`` with the
certificate price held at its central value (6 of its 30 points; same base, days, threads and time limit).

Rows: one per run, then one ``median`` row per setting and a ``speedup`` row (median wall of ``--workers 0`` ÷
median wall of ``--workers 2``). Every row carries the machine and the 1-minute load before and after.
"""

from __future__ import annotations

import argparse
import csv
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


def run_sweep(sweep: str, workers: int, out: Path) -> dict:
    cmd = [sys.executable, "-m", "gridsite", "sweep", sweep, "--out", str(out), "--workers", str(workers), "--quiet"]
    c0 = os.times()
    t0 = time.perf_counter()
    p = subprocess.run(cmd, capture_output=True, text=True, cwd=ROOT)
    wall = time.perf_counter() - t0
    c1 = os.times()
    if p.returncode != 0:
        raise SystemExit(f"sweep failed (exit {p.returncode}): {p.stderr.strip()[-500:]}")
    points = 0
    table = out / "sweep.csv"
    if table.exists():
        with table.open() as f:
            points = sum(1 for _ in csv.DictReader(f))
    return {
        "wall_s": wall,
        "cpu_s": (c1.children_user + c1.children_system) - (c0.children_user + c0.children_system),
        "points": points,
    }


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--sweep", default="benchmarks/sweep_subset.yaml")
    ap.add_argument("--repeats", type=int, default=2)
    ap.add_argument("--workers", type=int, default=2, help="the parallel setting compared with --workers 0")
    ap.add_argument("--out", default=str(HERE / "results" / "sweep_speedup.csv"))
    a = ap.parse_args(argv)
    sys.path.insert(0, str(HERE))
    from run import load1, machine

    mach = machine()
    rows: list[dict] = []
    with tempfile.TemporaryDirectory() as tmp:
        for rep in range(a.repeats):
            for workers in (0, a.workers):
                row: dict = {"kind": "run", "workers": workers, "repeat": rep, "sweep": a.sweep,
                             "load1_before": load1(), "started": time.strftime("%Y-%m-%dT%H:%M:%S")}  # fmt: skip
                row.update(run_sweep(a.sweep, workers, Path(tmp) / f"w{workers}r{rep}"))
                row["load1_after"] = load1()
                rows.append(row)
                print(f"--workers {workers} #{rep}: {row['wall_s']:.1f} s (load {row['load1_after']})", file=sys.stderr)
    med: dict[int, float] = {}
    for workers in (0, a.workers):
        rs = [r for r in rows if r["workers"] == workers and r["kind"] == "run"]
        med[workers] = statistics.median(r["wall_s"] for r in rs)
        rows.append({"kind": "median", "workers": workers, "repeat": f"n={len(rs)}", "sweep": a.sweep,
                     "wall_s": med[workers], "cpu_s": statistics.median(r["cpu_s"] for r in rs),
                     "points": rs[0]["points"], "spread": f"{min(r['wall_s'] for r in rs):.1f}–"
                     f"{max(r['wall_s'] for r in rs):.1f}"})  # fmt: skip
    speedup = med[0] / med[a.workers]
    rows.append({"kind": "speedup", "workers": a.workers, "sweep": a.sweep, "speedup": speedup})
    for r in rows:
        r.update({f"machine_{k}": v for k, v in mach.items()})
    keys: list[str] = []
    for r in rows:
        keys.extend(k for k in r if k not in keys)
    with open(a.out, "w", newline="") as f:
        w = csv.DictWriter(f, fieldnames=keys)
        w.writeheader()
        for r in rows:
            w.writerow({k: (f"{v:.4g}" if isinstance(v, float) else v) for k, v in r.items()})
    print(json.dumps({"workers_0_s": med[0], f"workers_{a.workers}_s": med[a.workers], "speedup": speedup}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
