"""Re-solving one compiled model when only a right-hand side changes (ε-constraint / Pareto points, cap sweeps).

Compares, on the same scenario and the same carbon caps:

- ``independent``: every point is a full ``optimizer.model.solve`` (model data → Pyomo build → handoff → HiGHS →
  tables), as the sweep and Pareto runners do today (the region set loaded once per process, as on a worker);
- ``persistent``: the model is built and handed to HiGHS once (:class:`optimizer.model.highs.PersistentHighs`);
  each point only changes the ``carbon_cap`` row's bound, re-solves (previous solution offered as a start) and
  extracts the tables.

::

    python benchmarks/reuse.py                                    # China hubs 2025, 12 typical days, 6 caps
    python benchmarks/reuse.py --case china-200-annual --points 10
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

import run as harness  # noqa: E402  (the harness in this folder)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--case", default="china-hubs-2025-rd12")
    ap.add_argument("--points", type=int, default=6, help="number of carbon caps (from 100 %% down to 70 %%)")
    ap.add_argument("--out", type=Path, default=HERE / "results" / "reuse.csv")
    a = ap.parse_args(argv)

    import cases
    import pandas as pd
    import pyomo.environ as pyo

    from geodata import load_region_set
    from gridsite import parse_scenario, solve
    from optimizer.model.adapter import build_model_data
    from optimizer.model.build import build_model
    from optimizer.model.highs import PersistentHighs
    from optimizer.model.results import extract_tables

    case = cases.all_cases()[a.case]
    data = case.scenario()
    rs = load_region_set(data["region_set"])
    _ = rs.profiles
    free = solve(parse_scenario(data), region_set=rs)
    e0 = free.emissions_t["location_based"]
    fractions = [1.0 - 0.3 * k / max(a.points - 1, 1) for k in range(a.points)]
    caps_t = [e0 * f * (1 + 1e-6) for f in fractions]
    rows = []

    def scenario_with(cap_t: float):
        d = {**data, "policy": {**data["policy"], "carbon_cap_t": cap_t}}
        return parse_scenario(d)

    t_all = time.perf_counter()
    for k, cap in enumerate(caps_t):
        t0 = time.perf_counter()
        res = solve(scenario_with(cap), region_set=rs)
        rows.append(
            {
                "method": "independent",
                "point": k,
                "cap_t": cap,
                "status": res.status,
                "objective": res.objective,
                "mip_gap": res.mip_gap,
                "emissions_t": res.emissions_t["location_based"],
                "wall_s": time.perf_counter() - t0,
                "highs_s": res.timings_s["highs"],
            }
        )
    t_ind = time.perf_counter() - t_all

    t_all = time.perf_counter()
    t0 = time.perf_counter()
    sc = scenario_with(caps_t[0])
    md, infos = build_model_data(sc, rs)
    m = build_model(md)
    cfg = sc.solver
    ph = PersistentHighs(m, threads=cfg.threads, time_limit=cfg.time_limit_s, mip_gap=cfg.mip_gap, seed=cfg.seed)
    site_meta = pd.DataFrame(rs.sites.drop(columns="geometry"))
    region_meta = pd.DataFrame(rs.regions.drop(columns="geometry"))
    for k, cap in enumerate(caps_t):
        if k:
            t0 = time.perf_counter()
            ph.set_constraint_bounds(m.carbon_cap, upper=cap / 1000.0)  # model units: kt
        run = ph.solve()
        extract_tables(m, md, infos, site_meta, region_meta)
        rows.append(
            {
                "method": "persistent",
                "point": k,
                "cap_t": cap,
                "status": run.status,
                "objective": run.objective,
                "mip_gap": run.gap,
                "emissions_t": pyo.value(m.emissions_location) * 1000.0,
                "wall_s": time.perf_counter() - t0,
                "highs_s": run.runtime_s,
            }
        )
    t_per = time.perf_counter() - t_all
    by_point = {(r["method"], r["point"]): r for r in rows}
    for r in rows:
        ref = by_point[("independent", r["point"])]
        r["objective_vs_independent_pct"] = 100.0 * (r["objective"] - ref["objective"]) / abs(ref["objective"])
        r["case"] = a.case
        r["load1"] = harness.load1()
    harness.write_csv(rows, a.out, harness.machine())
    print(f"{a.case}: {a.points} caps; independent {t_ind:.1f}s, persistent {t_per:.1f}s (load {harness.load1()})")
    for r in rows:
        print(
            f"  {r['method']:11s} #{r['point']}: {r['status']} obj {r['objective']:.6g} "
            f"({r['objective_vs_independent_pct']:+.3f}%) wall {r['wall_s']:.2f}s highs {r['highs_s']:.2f}s"
        )
    print(f"wrote {a.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
