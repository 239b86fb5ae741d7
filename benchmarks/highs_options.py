"""HiGHS option study: solve the same model files with different HiGHS options (one fresh process per run).

MIP run times swing with row and column order, so every option set runs on the *same* LP file (written once per
case exactly as ``gridsite solve --write-lp`` writes it); only the options differ. Records wall and CPU time,
HiGHS's run time, objective, dual bound, nodes and LP iterations::

    python benchmarks/highs_options.py china-hubs-2025-rd12 us-states-2026-rd12 --out /tmp/options.csv
    python benchmarks/highs_options.py china-200-rd12 --presets default ipx --repeats 2
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(HERE))

import run as harness  # noqa: E402  (the harness in this folder)

#: Named option sets tried on every case (on top of gridsite's own: threads, mip_rel_gap, time_limit, seed).
PRESETS: dict[str, dict] = {
    "default": {},
    "ipx": {"mip_lp_solver": "ipx"},
    "presolve_off": {"presolve": "off"},
    "heur_0.3": {"mip_heuristic_effort": 0.3},
    "heur_0": {"mip_heuristic_effort": 0.0},
    "scale_4": {"simplex_scale_strategy": 4},
    "no_restart": {"mip_allow_restart": False},
    "seed_1": {"random_seed": 1},
    "seed_2": {"random_seed": 2},
}


def write_lp(case_name: str, path: str) -> dict:
    """Write a case's model to ``path`` as ``solve(write_lp=...)`` does (without solving)."""
    import time as _t

    import cases

    from geodata import load_region_set
    from gridsite import parse_scenario
    from optimizer.model.adapter import build_model_data
    from optimizer.model.build import build_model

    case = cases.all_cases()[case_name]
    sc = parse_scenario(case.scenario(), case.name)
    md, _ = build_model_data(sc, load_region_set(sc.region_set))
    t = _t.perf_counter()
    build_model(md).write(path, io_options={"symbolic_solver_labels": True})
    return {"write_s": _t.perf_counter() - t, "gap": case.mip_gap, "time_limit": case.time_limit_s}


def solve_alone(path: str, opts: dict) -> dict:
    """Solve a model file with highspy and the given options; return timings and outcome."""
    import highspy

    h = highspy.Highs()
    h.setOptionValue("output_flag", False)
    for k, v in opts.items():
        h.setOptionValue(k, v)
    h.readModel(path)
    c0, t0 = time.process_time(), time.perf_counter()
    h.run()
    t1, c1 = time.perf_counter(), time.process_time()
    info = h.getInfo()
    return {
        "wall_s": t1 - t0,
        "cpu_s": c1 - c0,
        "runtime_s": h.getRunTime(),
        "status": h.modelStatusToString(h.getModelStatus()),
        "objective": info.objective_function_value,
        "bound": info.mip_dual_bound,
        "gap": info.mip_gap,
        "nodes": info.mip_node_count,
        "lp_iters": info.simplex_iteration_count,
    }


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("cases", nargs="*")
    ap.add_argument("--presets", nargs="*", default=list(PRESETS), help=f"from: {', '.join(PRESETS)}")
    ap.add_argument("--repeats", type=int, default=1)
    ap.add_argument("--out", type=Path, default=HERE / "results" / "highs_options.csv")
    ap.add_argument("--write-lp", nargs=2, help=argparse.SUPPRESS)
    ap.add_argument("--alone", nargs=2, help=argparse.SUPPRESS)
    a = ap.parse_args(argv)
    if a.write_lp:
        print(json.dumps(write_lp(*a.write_lp)))
        return 0
    if a.alone:
        print(json.dumps(solve_alone(a.alone[0], json.loads(a.alone[1]))))
        return 0

    def sub(args: list[str]) -> dict:
        p = subprocess.run([sys.executable, __file__, *args], capture_output=True, text=True, cwd=ROOT)
        if p.returncode:
            return {"error": (p.stderr.strip().splitlines() or ["?"])[-1][:300]}
        return json.loads(p.stdout.strip().splitlines()[-1])

    mach = harness.machine()
    rows: list[dict] = []
    for case in a.cases:
        with tempfile.TemporaryDirectory() as tmp:
            lp = str(Path(tmp) / "model.lp")
            meta = sub(["--write-lp", case, lp])
            if "error" in meta:
                print(f"{case}: ERROR {meta['error']}", flush=True)
                continue
            base = {"threads": 2, "mip_rel_gap": meta["gap"], "time_limit": meta["time_limit"], "random_seed": 0}
            for rep in range(a.repeats):
                for name in a.presets:
                    opts = {**base, **PRESETS[name]}
                    row = {"case": case, "preset": name, "options": json.dumps(PRESETS[name]), "repeat": rep}
                    row["load1_before"] = harness.load1()
                    row.update(sub(["--alone", lp, json.dumps(opts)]))
                    row["load1_after"] = harness.load1()
                    rows.append(row)
                    harness.write_csv(rows, a.out, mach)
                    print(
                        f"{case} {name:13s} #{rep}: {row.get('status')} obj {harness.fmt(row.get('objective'))} "
                        f"wall {harness.fmt(row.get('wall_s'))} cpu {harness.fmt(row.get('cpu_s'))} "
                        f"nodes {row.get('nodes')} iters {row.get('lp_iters')} load {row['load1_before']}",
                        flush=True,
                    )
    print(f"wrote {a.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
