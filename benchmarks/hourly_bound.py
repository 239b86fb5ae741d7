"""Typical days against hourly on a shipped scenario, bracketed by two hourly LPs instead of the hourly MIP.

The national hourly model of a shipped scenario (china_hubs_2025: 10 hub sites, 155 corridors × 8760 h, ~1.45 M
columns) does not solve as a MIP on this machine. Its LP relaxation is nearly exact, though (the integrality gap of
the 12-day model is 0.005 %), so two hourly LPs bracket the hourly optimum ``z*``:

- ``relaxation``: the hourly model with the placement integers relaxed, by HiGHS's interior-point method (IPX,
  no crossover); its **dual** objective is a lower bound ``LB ≤ z*`` (to IPX's optimality tolerance, 1e-8);
- ``fixed``: the hourly model with the clusters placed where the typical-day solve put them (renewables,
  corridor flows and certificates re-optimised over 8760 h), also by IPX; its objective ``UB ≥ z*`` is what
  that placement really costs.

Then the typical-day placement's **regret** is at most ``(UB − LB) / LB`` and the typical-day **objective error**
``(z_rd − z*) / z*`` lies in ``[(z_rd − UB) / UB, (z_rd − LB) / LB]``. The same two LPs are a way to certify an
hourly plan — the placement of the typical-day model is within ``(UB − LB) / UB`` of the hourly optimum — so the
``total`` row times the whole of it: the typical-day MIP, then both hourly LPs side by side (one process and one
thread each, the machine's two cores), each including its model data, Pyomo build and handoff::

    python benchmarks/hourly_bound.py                                   # china_hubs_2025, 12 days
    python benchmarks/hourly_bound.py --stages fixed --logs /tmp/hb        # one hourly LP; HiGHS logs kept
    python benchmarks/hourly_bound.py --time '{"mode": "representative_days", "days": 2}' --out /tmp/hb.csv  # check

Rows: ``typical_days`` (the shipped scenario as it is), ``relaxation``, ``fixed``, and ``bracket`` (the derived
figures); every row carries the machine and the load.
"""

from __future__ import annotations

import argparse
import csv
import json
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(ROOT))

import run as harness  # noqa: E402  (the harness in this folder)

RESULTS = HERE / "results"
STAGES = ("relaxation", "fixed")
IPM_TOL = 1e-8  # HiGHS's ipm_optimality_tolerance (its default), set explicitly below


def _hourly(scenario_file: str, time_section: str = ""):
    from gridsite import parse_scenario
    from optimizer.model.scenario import read_yaml

    data = read_yaml(scenario_file)
    data["time"] = json.loads(time_section) if time_section else {"mode": "hourly"}
    return parse_scenario(data, scenario_file)


def child(
    kind: str, scenario_file: str, plan_file: str, time_limit: float, log_file: str = "", time_section: str = ""
) -> dict:
    """One hourly LP in this process: ``relaxation`` or ``fixed`` (the plan in ``plan_file``)."""
    t0 = time.perf_counter()
    import highspy

    from geodata import load_region_set
    from optimizer.model import highs as hd
    from optimizer.model.adapter import build_model_data
    from optimizer.model.build import build_model

    sc = _hourly(scenario_file, time_section)
    rs = load_region_set(sc.region_set)
    plan = json.loads(Path(plan_file).read_text()) if kind == "fixed" else None
    md, _ = build_model_data(sc, rs, fixed_plan=plan)
    t_data = time.perf_counter()
    m = build_model(md)
    t_build = time.perf_counter()
    h = highspy.Highs()
    h.setOptionValue("output_flag", False)
    hd._compile(m, h)
    if log_file:  # HiGHS's log (IPX prints an iteration line every few seconds to minutes)
        h.setOptionValue("output_flag", True)
        h.setOptionValue("log_to_console", False)
        h.setOptionValue("log_file", log_file)
    t_handoff = time.perf_counter()
    lp = h.getLp()
    for name, value in (
        ("threads", 1),
        ("time_limit", float(time_limit)),
        ("solver", "ipx"),
        ("run_crossover", "off"),
        ("ipm_optimality_tolerance", IPM_TOL),
        ("solve_relaxation", kind == "relaxation"),
    ):
        h.setOptionValue(name, value)
    h.run()
    t_run = time.perf_counter()
    info = h.getInfo()
    status = h.modelStatusToString(h.getModelStatus())
    return {
        "stage": kind,
        "status": status,
        "objective": info.objective_function_value,
        # IPX declares an LP optimal when the relative primal-dual gap is below ipm_optimality_tolerance; the
        # dual objective is taken as the primal one less that tolerance (highspy's getDualObjectiveValue takes
        # its result by reference and cannot be called from Python)
        "dual_objective": info.objective_function_value * (1 - IPM_TOL) if status == "Optimal" else None,
        "ipm_iterations": info.ipm_iteration_count,
        "rows": lp.num_row_,
        "columns": lp.num_col_,
        "nonzeros": len(lp.a_matrix_.value_),
        "data_s": t_data - t0,
        "build_s": t_build - t_data,
        "handoff_s": t_handoff - t_build,
        "highs_s": t_run - t_handoff,
        "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
    }


def _fmt(v) -> str:
    return f"{v:.10g}" if isinstance(v, float) else ("" if v is None else str(v))


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--scenario", default="scenarios/china_hubs_2025.yaml")
    ap.add_argument("--time-limit", type=float, default=4000.0, help="per hourly LP, seconds")
    ap.add_argument("--out", default=str(RESULTS / "hourly_bound.csv"))
    ap.add_argument(
        "--stages", nargs="+", choices=STAGES, default=list(STAGES), help="the hourly LPs to run (default: both)"
    )
    ap.add_argument(
        "--time", default="", help='the "hourly" model\'s time section as JSON (a quick check of the script)'
    )
    ap.add_argument("--logs", default="", help="a folder to keep each hourly LP's HiGHS log in")
    ap.add_argument("--child", nargs=3, metavar=("KIND", "PLAN", "OUT"), help=argparse.SUPPRESS)
    a = ap.parse_args(argv)
    if a.child:
        kind, plan_file, out = a.child
        Path(out).write_text(json.dumps(child(kind, a.scenario, plan_file, a.time_limit, f"{out}.log", a.time)))
        return 0

    mach = harness.machine()
    rows: list[dict] = []
    load0 = harness.load1()
    t0 = time.perf_counter()
    from gridsite import load_scenario, solve

    sc = load_scenario(a.scenario)
    res = solve(sc)
    t_rd = time.perf_counter()
    rows.append(
        {
            "stage": "typical_days",
            "status": res.status,
            "objective": res.objective,
            "dual_objective": res.bound,
            "columns": res.model_size.get("columns"),
            "highs_s": res.timings_s.get("highs"),
            "wall_s": t_rd - t0,
        }
    )
    print(f"typical days: {res.objective:,.3f} in {t_rd - t0:.1f} s", flush=True)
    with tempfile.TemporaryDirectory() as tmp:
        if a.logs:
            Path(a.logs).mkdir(parents=True, exist_ok=True)
        plan = Path(tmp) / "plan.json"
        plan.write_text(json.dumps(res.placement()))
        procs = {}
        for kind in a.stages:
            out = Path(a.logs or tmp) / f"{kind}.json"
            cmd = [sys.executable, __file__, "--scenario", a.scenario, "--time-limit", str(a.time_limit)]
            cmd += ["--time", a.time] if a.time else []
            procs[kind] = (subprocess.Popen([*cmd, "--child", kind, str(plan), str(out)], cwd=ROOT), out)
        started = time.perf_counter()
        load_mid = None
        for kind, (p, out) in procs.items():
            while p.poll() is None:
                time.sleep(5)
                if load_mid is None and time.perf_counter() - started > 120:
                    load_mid = harness.load1()
            ok = p.returncode == 0 and out.exists()
            r = json.loads(out.read_text()) if ok else {"stage": kind, "status": f"error (exit {p.returncode})"}
            r["wall_s"] = time.perf_counter() - started
            rows.append(r)
            print(f"{kind}: {r.get('status')} {r.get('objective')} after {r['wall_s']:.0f} s", flush=True)
    total = time.perf_counter() - t0
    lo = next((r for r in rows if r["stage"] == "relaxation"), {})
    hi = next((r for r in rows if r["stage"] == "fixed"), {})
    bracket: dict = {"stage": "bracket", "wall_s": total}
    z = float(res.objective)
    if hi.get("status") == "Optimal":  # what the typical-day plan really costs, hourly
        ub = float(hi["objective"])
        bracket.update({"objective": ub, "rd_error_min_pct": 100 * (z - ub) / ub})
    if lo.get("dual_objective"):
        lb = float(lo["dual_objective"])
        bracket.update({"dual_objective": lb, "rd_error_max_pct": 100 * (z - lb) / lb})
    if "objective" in bracket and "dual_objective" in bracket:
        lb, ub = bracket["dual_objective"], bracket["objective"]
        bracket.update(
            {
                "status": f"hourly optimum in [{lb:,.3f}, {ub:,.3f}]",
                "gap_pct": 100 * (ub - lb) / ub,
                "regret_max_pct": 100 * (ub - lb) / lb,
            }
        )
    elif "objective" in bracket:
        bracket["status"] = f"hourly optimum <= {bracket['objective']:,.3f} (no relaxation bound)"
    rows.append(bracket)
    load1 = harness.load1()
    fields = [
        "scenario", "stage", "status", "objective", "dual_objective", "gap_pct", "regret_max_pct",
        "rd_error_min_pct", "rd_error_max_pct", "ipm_iterations", "rows", "columns", "nonzeros", "data_s",
        "build_s", "handoff_s", "highs_s", "wall_s", "peak_rss_mb", "time_limit_s", "load1_before", "load1_mid",
        "load1_after", *(f"machine_{k}" for k in mach),
    ]  # fmt: skip
    with open(a.out, "w", newline="") as f:
        w = csv.DictWriter(f, fieldnames=fields, extrasaction="ignore")
        w.writeheader()
        for r in rows:
            w.writerow(
                {
                    "scenario": a.scenario,
                    "time_limit_s": a.time_limit,
                    "load1_before": load0,
                    "load1_mid": load_mid,
                    "load1_after": load1,
                    **{k: _fmt(v) for k, v in r.items()},
                    **{f"machine_{k}": v for k, v in mach.items()},
                }
            )
    print(f"wrote {a.out} ({total:.0f} s)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
