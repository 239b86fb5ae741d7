"""How far the LP relaxation of a shipped scenario lies below its MIP optimum (the integrality gap).

Decomposition and bracketing schemes for the hourly models (``benchmarks/hourly_bound.py``) rest on the placement
integers mattering little to the bound: when the LP relaxation is within a fraction of a per cent of the MIP
optimum, the relaxation of the hourly model is a tight lower bound on the hourly optimum. Measured on the
typical-day models of the shipped scenarios as they are (one fresh HiGHS per solve, one thread, MIP gap 0.01 %)::

    python benchmarks/integrality_gap.py                      # china_hubs_2025 and us_states_2026
    python benchmarks/integrality_gap.py scenarios/china_hubs_2025.yaml --out /tmp/gap.csv

Rows: scenario, the relaxation's objective and time, the MIP's objective, bound and time, and the gap
``(MIP − relaxation) / MIP`` in per cent, with the machine and the load.
"""

from __future__ import annotations

import argparse
import csv
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(ROOT))

import run as harness  # noqa: E402  (the harness in this folder)

SCENARIOS = ("scenarios/china_hubs_2025.yaml", "scenarios/us_states_2026.yaml")


def measure(scenario_file: str) -> dict:
    import highspy

    from geodata import load_region_set
    from gridsite import load_scenario
    from optimizer.model import highs as hd
    from optimizer.model.adapter import build_model_data
    from optimizer.model.build import build_model

    sc = load_scenario(scenario_file)
    md, _ = build_model_data(sc, load_region_set(sc.region_set))
    m = build_model(md)
    out: dict = {"scenario": scenario_file, "load1_before": harness.load1()}
    for stage, relax in (("relaxation", True), ("mip", False)):
        h = highspy.Highs()
        h.setOptionValue("output_flag", False)
        hd._compile(m, h)
        for name, value in (("threads", 1), ("solve_relaxation", relax), ("mip_rel_gap", 1e-4), ("random_seed", 0)):
            h.setOptionValue(name, value)
        t = time.perf_counter()
        h.run()
        info = h.getInfo()
        out[f"{stage}_status"] = h.modelStatusToString(h.getModelStatus())
        out[f"{stage}_objective"] = info.objective_function_value
        out[f"{stage}_s"] = time.perf_counter() - t
        if not relax:
            out["mip_bound"] = info.mip_dual_bound
        lp = h.getLp()
        out.update(rows=lp.num_row_, columns=lp.num_col_, slices=md.slices.n)
    out["gap_pct"] = 100 * (out["mip_objective"] - out["relaxation_objective"]) / out["mip_objective"]
    out["load1_after"] = harness.load1()
    return out


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("scenarios", nargs="*", default=list(SCENARIOS))
    ap.add_argument("--out", default=str(HERE / "results" / "integrality_gap.csv"))
    a = ap.parse_args(argv)
    mach = harness.machine()
    rows = []
    for f in a.scenarios:
        r = measure(f)
        print(
            f"{f}: relaxation {r['relaxation_objective']:,.3f} ({r['relaxation_s']:.1f} s), MIP "
            f"{r['mip_objective']:,.3f} ({r['mip_s']:.1f} s): gap {r['gap_pct']:.4f} %",
            flush=True,
        )
        rows.append({**r, **{f"machine_{k}": v for k, v in mach.items()}})
    with open(a.out, "w", newline="") as fh:
        w = csv.DictWriter(fh, fieldnames=list(rows[0]))
        w.writeheader()
        for r in rows:
            w.writerow({k: f"{v:.10g}" if isinstance(v, float) else v for k, v in r.items()})
    print(f"wrote {a.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
