"""The hourly bracket's two LPs, one at a time: what HiGHS's presolve removes, and where Clarabel's time goes.

Run from the repository root (not part of the test suite; ~10 minutes and ~6 GB for the default scenario)::

    python benchmarks/interior_setup.py                          # china_hubs_2025_hourly, 3 iterations per run
    python benchmarks/interior_setup.py --iterations 3 --out /tmp/is.csv

The scenario's hourly model is built as ``gridsite solve`` builds it for ``solver.method: bracket``: the placement
of 12 typical days, the hourly model compiled once, the plan's LP (placement fixed) and the relaxation LP (placement
continuous) as column bounds (:mod:`optimizer.model.bracket`). Each LP is then solved by
:func:`optimizer.model.interior.solve_lp` with HiGHS's presolve off and on, each run alone on the machine and
stopped after ``--iterations`` interior-point iterations. A row per run: the LP's size, presolve's outcome, the
size Clarabel received, the seconds of presolve, the seconds from the call until Clarabel's first iteration ended
(presolve when on, the conic form, Clarabel's setup — equilibration, the ordering of the KKT system and its
symbolic factorisation — and one numeric factorisation), and the median seconds of the later iterations
(Clarabel as :func:`solve_lp` runs it: QDLDL, one thread, no iterative refinement). Every row carries the machine
and the load.
"""

from __future__ import annotations

import argparse
import csv
import itertools
import statistics
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(ROOT))

import run as harness  # noqa: E402  (the harness in this folder)

RESULTS = HERE / "results"


def lps(scenario_path: Path):
    """(arrays, plan column bounds) of the scenario's hourly model at its 12-typical-day placement."""
    from gridsite import load_scenario, solve
    from optimizer.model.adapter import _fix_counts
    from optimizer.model.bracket import PLACEMENT_DAYS, compile_arrays, placement_bounds
    from optimizer.model.build import build_model
    from optimizer.model.solve import _prepare

    sc = load_scenario(scenario_path)
    td = solve(
        sc.model_copy(
            update={
                "time": sc.time.model_copy(update={"mode": "representative_days", "days": PLACEMENT_DAYS}),
                "solver": sc.solver.model_copy(update={"method": "branch_and_bound"}),
            }
        )
    )
    _, md, infos, _ = _prepare(sc, None, str(scenario_path), None, lambda _m: None)
    counts = _fix_counts(td.placement(), infos, md.groups, set(md.sites))
    m = build_model(md, arrays=True)
    info, arrays, _ = compile_arrays(m)
    lo, up = placement_bounds(m, md, info, arrays, counts)
    return arrays, lo, up


def one(arrays, lo, up, presolve: bool, iterations: int) -> dict:
    from optimizer.model.interior import solve_lp

    t0 = time.perf_counter()
    ends: list[float] = []

    def on_iteration(k: int, _p: float, _d: float, _g: float) -> bool:
        ends.append(time.perf_counter() - t0)
        return len(ends) > iterations

    load0 = harness.load1()
    r = solve_lp(arrays, col_lower=lo, col_upper=up, presolve_first=presolve, on_iteration=on_iteration)
    steps = [b - a for a, b in itertools.pairwise(ends)]
    size = r.presolved_size
    return {
        "presolve": r.presolve or "off",
        "solved_columns": size[0] if size else arrays.n_cols,
        "solved_rows": size[1] if size else arrays.n_rows,
        "solved_nonzeros": size[2] if size else arrays.nnz,
        "presolve_s": r.presolve_s,
        "first_iteration_s": ends[0] if ends else None,
        "later_iteration_s": statistics.median(steps) if steps else None,
        "iterations_timed": len(steps),
        "load1_before": load0,
        "load1_after": harness.load1(),
    }


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--scenario", default="scenarios/china_hubs_2025_hourly.yaml")
    ap.add_argument("--iterations", type=int, default=3, help="later iterations timed per run (after the first)")
    ap.add_argument("--out", default=str(RESULTS / "interior_setup.csv"))
    a = ap.parse_args(argv)
    arrays, lo, up = lps(ROOT / a.scenario)
    import numpy as np

    per_col, per_row = np.diff(arrays.start), np.bincount(arrays.index, minlength=arrays.n_rows)
    dense = {  # the model's long rows and columns (annual sums, capacities over every slice)
        "rows_over_1000": int((per_row > 1000).sum()),
        "columns_over_1000": int((per_col > 1000).sum()),
        "longest_row": int(per_row.max()),
        "longest_column": int(per_col.max()),
    }
    rows = []
    for lp_name, bounds in (("plan", (lo, up)), ("relaxation", (arrays.col_lower, arrays.col_upper))):
        for presolve in (False, True):
            row = {
                "scenario": a.scenario,
                "lp": lp_name,
                "columns": arrays.n_cols,
                "rows": arrays.n_rows,
                "nonzeros": arrays.nnz,
                **dense,
            }
            row.update(one(arrays, *bounds, presolve, a.iterations))
            row.update(harness.machine())
            print(
                f"{lp_name}, presolve {row['presolve']}: {row['solved_columns']:,} × {row['solved_rows']:,}, "
                f"first iteration {row['first_iteration_s']:.1f} s, later {row['later_iteration_s']:.2f} s",
                flush=True,
            )
            rows.append(row)
    out = Path(a.out)
    with out.open("w", newline="", encoding="utf-8") as fh:
        w = csv.DictWriter(fh, fieldnames=list(rows[0]))
        w.writeheader()
        w.writerows(rows)
    print(f"wrote {out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
