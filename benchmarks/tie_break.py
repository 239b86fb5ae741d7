"""The certificate tie-break: a charge in the objective (``solver.tidy: true``) against the exact second LP pass
(``exact``) and none (``false``), on the shipped scenarios.

Run from the repository root (not part of the test suite)::

    python benchmarks/tie_break.py                       # both shipped default scenarios, the three modes
    python benchmarks/tie_break.py scenarios/china_hubs_2025.yaml --out /tmp/tie.csv

Each (scenario, mode) is solved once, in a fresh process, through the public API. A row records what a reader of
the results sees — the cost without the charge (``cost_ex_charge``: the sum of every other cost term), the charge,
the distance-weighted trade volume D (GWh × 1000 km, as
:func:`optimizer.model.families.certificates.trade_distance` defines it, evaluated from the certificate and flow
tables), the cross-region certificate rows and volume, the placement — and the solve's wall
and CPU time (one run each: timings are indicative; ``benchmarks/whole_command.py`` measures the command with
repeats).
"""

from __future__ import annotations

import argparse
import csv
import json
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
SCENARIOS = ("scenarios/china_hubs_2025.yaml", "scenarios/us_states_2026.yaml")
MODES = ("exact", "true", "false")

CHILD = r"""
import json, sys, time
import pyomo.environ as pyo
from gridsite import load_scenario
from optimizer.model.solve import solve
path, mode = sys.argv[1], sys.argv[2]
sc = load_scenario(path)
tidy = {"true": True, "false": False, "exact": "exact"}[mode]
sc = sc.model_copy(update={"solver": sc.solver.model_copy(update={"tidy": tidy})})
t, c = time.perf_counter(), time.process_time()
r = solve(sc)
wall, cpu = time.perf_counter() - t, time.process_time() - c
cb = r.cost_breakdown
certs = r.tables["certificates"]
cross = certs[certs.cross_region]
flows = r.tables["flows"]
from geodata.geo import great_circle_km
from gridsite import load_region_set
reg = load_region_set(sc.region_set).regions.set_index("id")
def d(a, b):
    return float(great_circle_km(reg.at[a, "lat"], reg.at[a, "lon"], reg.at[b, "lat"], reg.at[b, "lon"])) / 1000.0
dist = sum(x.gwh * d(x.from_region, x.to_region) for x in cross.itertuples())
dist += sum(x.energy_gwh * d(x.from_region, x.to_region) for x in flows.itertuples())
print(json.dumps({"distance_gwh_1000km": dist,
    "status": r.status, "objective": r.objective, "mip_gap": r.mip_gap, "total_cost": r.total_cost,
    "charge": cb.get("tie_break", 0.0), "cost_ex_charge": r.total_cost - cb.get("tie_break", 0.0),
    "placement": " ".join(f"{k}@{v}" for k, v in sorted(r.placement().items())),
    "cert_rows": len(certs), "cross_rows": len(cross), "cross_gwh": float(cross.gwh.sum()),
    "flow_gwh": float(flows["energy_gwh"].sum()),
    "solve_wall_s": wall, "solve_cpu_s": cpu,
    "notes": " | ".join(n for n in r.notes if n.startswith("tie-break")),
}))
"""


def solve_once(path: str, mode: str) -> dict:
    """One fresh process: solve, then return the row (D is evaluated from the result tables inside the child)."""
    p = subprocess.run([sys.executable, "-c", CHILD, path, mode], capture_output=True, text=True, cwd=ROOT)
    if p.returncode != 0:
        raise SystemExit(f"{path} {mode} failed: {p.stderr.strip()[-800:]}")
    return json.loads(p.stdout.strip().splitlines()[-1])


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("scenarios", nargs="*", default=list(SCENARIOS))
    ap.add_argument("--modes", nargs="+", default=list(MODES), choices=MODES)
    ap.add_argument("--out", default=str(HERE / "results" / "tie_break.csv"))
    a = ap.parse_args(argv)
    sys.path.insert(0, str(HERE))
    from run import load1, machine

    mach = machine()
    rows = []
    for path in a.scenarios:
        for mode in a.modes:
            row = {"scenario": path, "mode": mode, "load1_before": load1(), "started": time.strftime("%H:%M:%S")}
            row.update(solve_once(path, mode))
            row["load1_after"] = load1()
            row.update({f"machine_{k}": v for k, v in mach.items()})
            rows.append(row)
            print(f"{path} {mode}: cost {row['cost_ex_charge']:.5f} + charge {row['charge']:.5f}, "
                  f"cross {row['cross_rows']} rows, {row['solve_wall_s']:.1f} s", file=sys.stderr)  # fmt: skip
    with open(a.out, "w", newline="") as f:
        w = csv.DictWriter(f, fieldnames=list(rows[0]))
        w.writeheader()
        for r in rows:
            w.writerow({k: (f"{v:.10g}" if isinstance(v, float) else v) for k, v in r.items()})
    return 0


if __name__ == "__main__":
    sys.exit(main())
