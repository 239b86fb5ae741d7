"""Benchmark harness: time every phase of gridsite on synthetic portfolios and compare with HiGHS alone.

Run from the repository root (not part of the test suite)::

    python benchmarks/run.py --quick                       # a few small cases, ~3 min on 2 cores
    python benchmarks/run.py                               # the default set (every size and time mode, no hourly)
    python benchmarks/run.py china-200-rd12 us-200-rd12 --repeats 3 --out /tmp/repeats.csv
    python benchmarks/run.py --list                        # case names

Each case runs in a fresh subprocess (so peak memory, ``ru_maxrss``, is the case's own) through the public API:
``load_region_set`` → ``solve(scenario, write_lp=...)``. The subprocess records wall and CPU time per phase
(imports, region set, profiles, model data incl. time slices, Pyomo build, handoff to HiGHS, HiGHS, extraction),
the model size and HiGHS's node and LP-iteration counts (from its log), the final gap and the peak RSS.

The overhead ratio: gridsite's end-to-end time (region set + profiles + solve, minus writing the LP file; Python
start-up and imports reported apart) ÷ HiGHS alone solving the LP file that ``write_lp`` wrote, in another fresh
process through ``highspy`` (``readModel`` + ``run``, the same threads, gap, time limit and seed). Both walls and
both CPU times are recorded; on a shared machine the CPU ratio is the steadier figure. With ``--order-control``
the model HiGHS received in memory is also dumped (``Highs.writeModel``, MPS) and solved alone, to separate
Python overhead from a different row/column order in the LP file.

Every row carries the machine (CPU model, cores, RAM) and the 1-min load average before and after the case.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import platform
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
RESULTS = HERE / "results"


# --------------------------------------------------------------------------------------------------- machine
def machine() -> dict:
    """CPU model, cores, RAM and versions of the solver stack."""
    cpu = ""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        cpu = platform.processor()
    ram_gb = 0.0
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal"):
                ram_gb = round(int(line.split()[1]) / 1024**2, 1)
    except OSError:
        pass
    from importlib.metadata import version

    return {
        "cpu": cpu,
        "nproc": os.cpu_count(),
        "ram_gb": ram_gb,
        "python": platform.python_version(),
        "pyomo": version("pyomo"),
        "highspy": version("highspy"),
        "tsam": version("tsam"),
    }


def load1() -> float:
    return round(os.getloadavg()[0], 2)


def peak_rss_mb() -> float:
    import resource

    return round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)


# ---------------------------------------------------------------------------------------------------- worker
def parse_highs_log(text: str) -> dict:
    """Model size, nodes and LP iterations from a HiGHS log."""
    out: dict = {}
    for line in text.splitlines():
        s = line.strip()
        if (s.startswith("MIP has") or s.startswith("LP has")) and "rows" in s and "rows" not in out:
            parts = [p.strip() for p in s.split(";")]
            out["rows"] = int(parts[0].split()[-2])
            out["cols"] = int(parts[1].split()[0])
            out["nnz"] = int(parts[2].split()[0])
            out["int_cols"] = int(parts[3].split()[0]) if len(parts) > 3 else 0
        elif s.startswith("Nodes") and len(s.split()) == 2:
            out["nodes"] = int(s.split()[1])
        elif s.startswith("LP iterations") and len(s.split()) == 3:
            out["lp_iters"] = int(s.split()[2])
        elif s.startswith("Simplex   iterations:"):
            out["lp_iters"] = int(s.split(":")[1])
        elif s.startswith("IPM       iterations:"):
            out["ipm_iters"] = int(s.split(":")[1])
    return out


def use_source(src: str) -> None:
    """Import ``geodata``/``optimizer`` from ``src`` (e.g. an unpacked ``git archive`` of an older commit) instead
    of the editable install, to measure "before" figures with the same harness."""
    sys.meta_path[:] = [f for f in sys.meta_path if "__editable__" not in getattr(f, "__module__", "")]
    sys.path.insert(0, src)


def worker(case_name: str, lp_path: str | None, mps_path: str | None) -> dict:
    """Run one case in this (fresh) process and return its measurements."""
    t0, c0 = time.perf_counter(), time.process_time()
    if os.environ.get("GRIDSITE_BENCH_SRC"):
        use_source(os.environ["GRIDSITE_BENCH_SRC"])
    sys.path.insert(0, str(HERE))
    import importlib

    import cases

    from geodata import load_region_set
    from gridsite import parse_scenario

    hd = importlib.import_module("optimizer.model.highs")
    solve_mod = importlib.import_module("optimizer.model.solve")

    t_imp, c_imp = time.perf_counter(), time.process_time()
    base_rss = peak_rss_mb()
    case = cases.all_cases()[case_name]
    sc = parse_scenario(case.scenario(), case.name)
    rs = load_region_set(sc.region_set)
    t_rs = time.perf_counter()
    _ = rs.profiles
    t_prof, c_prof = time.perf_counter(), time.process_time()

    cpu: dict[str, float] = {}

    def timed(name, fn):
        def wrapped(*a, **k):
            c = time.process_time()
            try:
                return fn(*a, **k)
            finally:
                cpu[name] = cpu.get(name, 0.0) + time.process_time() - c

        return wrapped

    solve_mod.build_model_data = timed("data", solve_mod.build_model_data)
    solve_mod.build_model = timed("build", solve_mod.build_model)
    solve_mod.run_highs = timed("solve", solve_mod.run_highs)
    solve_mod.extract_tables = timed("extract", solve_mod.extract_tables)
    if hasattr(hd, "_compile"):  # run_highs calls the private compiler directly (since the GC/handoff work)
        hd._compile = timed("handoff", hd._compile)
    else:
        hd.compile_to_highs = timed("handoff", hd.compile_to_highs)

    with tempfile.TemporaryDirectory() as tmp:
        log = Path(tmp) / "highs.log"
        c_s = time.process_time()
        res = solve_mod.solve(sc, region_set=rs, write_lp=lp_path, log_file=log)
        c_solve = time.process_time() - c_s
        stats = parse_highs_log(log.read_text()) if log.exists() else {}
    phase_cpu = dict(cpu)  # the phases of the solve (the MPS dump below compiles once more)
    if mps_path:  # the model exactly as handed to HiGHS in memory (same row/column order)
        import highspy

        from optimizer.model.adapter import build_model_data
        from optimizer.model.build import build_model

        md, _ = build_model_data(sc, rs)
        h = highspy.Highs()
        h.setOptionValue("output_flag", False)
        importlib.import_module("optimizer.model.highs").compile_to_highs(build_model(md), h)
        h.writeModel(mps_path)
    tm = res.timings_s
    e2e = (t_prof - t_imp) + tm["total"] - tm.get("write_lp", 0.0)
    cpu_highs = max(phase_cpu.get("solve", 0.0) - phase_cpu.get("handoff", 0.0), 0.0)
    return {
        "status": res.status,
        "objective": res.objective,
        "mip_gap": res.mip_gap,
        "cluster_entries": len(sc.clusters),
        "slices": res.model_size.get("slices"),
        **stats,
        "import_s": t_imp - t0,
        "regionset_s": t_rs - t_imp,
        "profiles_s": t_prof - t_rs,
        "data_s": tm["data"],
        "build_s": tm["build"],
        "write_lp_s": tm.get("write_lp", 0.0),
        "handoff_s": tm["handoff"],
        "highs_s": tm["highs"],
        "extract_s": tm["extract"],
        "solve_total_s": tm["total"] - tm.get("write_lp", 0.0),
        "e2e_s": e2e,
        "cpu_import_s": c_imp - c0,
        "cpu_regionset_profiles_s": c_prof - c_imp,
        "cpu_data_s": phase_cpu.get("data"),
        "cpu_build_s": phase_cpu.get("build"),
        "cpu_handoff_s": phase_cpu.get("handoff"),
        "cpu_highs_s": cpu_highs,
        "cpu_extract_s": phase_cpu.get("extract"),
        "cpu_e2e_s": (c_prof - c_imp) + c_solve - (tm.get("write_lp", 0.0) if lp_path else 0.0),
        "base_rss_mb": base_rss,
        "peak_rss_mb": peak_rss_mb(),
    }


def highs_alone(path: str, threads: int, gap: float, time_limit: float, seed: int) -> dict:
    """Solve a model file with highspy alone (fresh process): read + run with gridsite's options."""
    import highspy

    h = highspy.Highs()
    h.setOptionValue("output_flag", False)
    h.setOptionValue("threads", int(threads))
    h.setOptionValue("time_limit", float(time_limit))
    h.setOptionValue("mip_rel_gap", float(gap))
    h.setOptionValue("random_seed", int(seed))
    c0, t0 = time.process_time(), time.perf_counter()
    h.readModel(path)
    t1 = time.perf_counter()
    h.run()
    t2, c2 = time.perf_counter(), time.process_time()
    info = h.getInfo()
    return {
        "read_s": t1 - t0,
        "run_s": t2 - t1,
        "wall_s": t2 - t0,
        "cpu_s": c2 - c0,
        "runtime_s": h.getRunTime(),
        "status": h.modelStatusToString(h.getModelStatus()),
        "objective": info.objective_function_value,
        "nodes": info.mip_node_count,
        "lp_iters": info.simplex_iteration_count,
        "peak_rss_mb": peak_rss_mb(),
    }


# ---------------------------------------------------------------------------------------------------- parent
def _sub(args: list[str], timeout: float) -> dict:
    cmd = [sys.executable, str(Path(__file__).resolve()), *args]
    p = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, cwd=ROOT)
    if p.returncode != 0:
        return {"error": (p.stderr.strip().splitlines() or ["?"])[-1][:300]}
    return json.loads(p.stdout.strip().splitlines()[-1])


def run_case(case, repeat: int, overhead: bool, order_control: bool) -> dict:
    """One case in fresh subprocesses: gridsite, then HiGHS alone on the LP file it wrote."""
    row: dict = {
        "case": case.name,
        "repeat": repeat,
        "region_set": case.region_set,
        "clusters": case.clusters,
        "sites": case.sites,
        "time": case.time,
        "time_limit_s": case.time_limit_s,
        "mip_gap_target": case.mip_gap,
        "source": os.environ.get("GRIDSITE_BENCH_SRC", "working tree"),
        "profile_cache": "off" if os.environ.get("GRIDSITE_CACHE_DIR") == "off" else "on",
        "load1_before": load1(),
        "started": time.strftime("%Y-%m-%dT%H:%M:%S"),
    }
    timeout = case.time_limit_s * 3 + 900
    with tempfile.TemporaryDirectory() as tmp:
        lp = str(Path(tmp) / "model.lp") if overhead else None
        mps = str(Path(tmp) / "memory.mps") if order_control else None
        args = ["--worker", case.name] + (["--lp", lp] if lp else []) + (["--mps", mps] if mps else [])
        try:
            row.update(_sub(args, timeout))
        except subprocess.TimeoutExpired:
            row["error"] = f"timeout after {timeout:.0f} s"
        row["load1_mid"] = load1()
        opts = ["--threads", "2", "--gap", str(case.mip_gap), "--time-limit", str(case.time_limit_s)]
        for key, path in (("lp", lp), ("mem", mps)):
            if path and Path(path).exists() and "error" not in row:
                try:
                    alone = _sub(["--highs-alone", path, *opts], timeout)
                except subprocess.TimeoutExpired:
                    alone = {"error": "timeout"}
                for k, v in alone.items():
                    row[f"alone_{key}_{k}"] = v
    row["load1_after"] = load1()
    if "e2e_s" in row and row.get("alone_lp_wall_s"):
        row["overhead_ratio"] = row["e2e_s"] / row["alone_lp_wall_s"]
        row["overhead_ratio_cold"] = (row["e2e_s"] + row["import_s"]) / row["alone_lp_wall_s"]
        row["overhead_ratio_cpu"] = row["cpu_e2e_s"] / row["alone_lp_cpu_s"]
        row["overhead_vs_highs_in_gridsite"] = row["e2e_s"] / max(row["highs_s"], 1e-9)
    if "e2e_s" in row and row.get("alone_mem_wall_s"):
        row["overhead_ratio_same_order"] = row["e2e_s"] / row["alone_mem_wall_s"]
    return row


def fmt(v, digits: int = 4) -> str:
    if isinstance(v, float):
        return f"{v:.{digits}g}"
    return "" if v is None else str(v)


def write_csv(rows: list[dict], path: Path, mach: dict, digits: int = 4) -> None:
    """``rows`` as CSV at ``path`` (floats to ``digits`` significant digits), each with the machine columns."""
    keys: list[str] = []
    for r in rows:
        keys.extend(k for k in r if k not in keys)
    keys += [f"machine_{k}" for k in mach]
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", newline="") as f:
        w = csv.DictWriter(f, fieldnames=keys)
        w.writeheader()
        for r in rows:
            w.writerow({**{k: fmt(v, digits) for k, v in r.items()}, **{f"machine_{k}": v for k, v in mach.items()}})


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0], formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("cases", nargs="*", help="case names (default: the default set; see --list)")
    ap.add_argument("--quick", action="store_true", help="a few small cases (a couple of minutes)")
    ap.add_argument("--list", action="store_true", help="list the case names and exit")
    ap.add_argument("--repeats", type=int, default=1, help="runs per case, each in a fresh process")
    ap.add_argument("--out", type=Path, default=None, help="CSV to write (default benchmarks/results/<stamp>.csv)")
    ap.add_argument("--no-overhead", action="store_true", help="skip the LP file and the HiGHS-alone run")
    ap.add_argument("--order-control", action="store_true", help="also solve the in-memory model's MPS dump alone")
    ap.add_argument(
        "--cold-profiles",
        action="store_true",
        help="compute the hourly profiles in every case (no on-disk profile cache, as on a first run)",
    )
    ap.add_argument("--worker", help=argparse.SUPPRESS)
    ap.add_argument("--lp", help=argparse.SUPPRESS)
    ap.add_argument("--mps", help=argparse.SUPPRESS)
    ap.add_argument("--highs-alone", help=argparse.SUPPRESS)
    ap.add_argument("--threads", type=int, default=2, help=argparse.SUPPRESS)
    ap.add_argument("--gap", type=float, default=0.005, help=argparse.SUPPRESS)
    ap.add_argument("--time-limit", type=float, default=600.0, help=argparse.SUPPRESS)
    a = ap.parse_args(argv)

    if a.worker:
        print(json.dumps(worker(a.worker, a.lp, a.mps)))
        return 0
    if a.highs_alone:
        print(json.dumps(highs_alone(a.highs_alone, a.threads, a.gap, a.time_limit, 0)))
        return 0

    sys.path.insert(0, str(HERE))
    import cases

    known = cases.all_cases()
    if a.list:
        for name, c in known.items():
            print(f"{name:28s} {c.region_set:5s} clusters={c.clusters:<5d} sites={c.sites:12s} time={c.time}")
        return 0
    names = list(cases.QUICK) if a.quick else (a.cases or list(cases.DEFAULT))
    unknown = [n for n in names if n not in known]
    if unknown:
        ap.error(f"unknown case(s): {', '.join(unknown)} (see --list)")
    out = a.out or RESULTS / f"run-{time.strftime('%Y%m%d-%H%M%S')}.csv"
    if a.cold_profiles:
        os.environ["GRIDSITE_CACHE_DIR"] = "off"
    mach = machine()
    print(f"machine: {mach['cpu']}, {mach['nproc']} cores, {mach['ram_gb']} GiB; load {load1()}", flush=True)
    rows = []
    for name in names:
        for rep in range(a.repeats):
            row = run_case(known[name], rep, not a.no_overhead, a.order_control)
            rows.append(row)
            write_csv(rows, out, mach)
            if "error" in row:
                print(f"{name} #{rep}: ERROR {row['error']}", flush=True)
                continue
            ratio = row.get("overhead_ratio")
            print(
                f"{name} #{rep}: {row['status']} gap {fmt(row['mip_gap'])}  e2e {row['e2e_s']:.1f}s "
                f"(data {row['data_s']:.1f} build {row['build_s']:.1f} handoff {row['handoff_s']:.1f} "
                f"highs {row['highs_s']:.1f} extract {row['extract_s']:.1f}) rss {row['peak_rss_mb']:.0f}MB"
                + (
                    f"  alone {row['alone_lp_wall_s']:.1f}s ratio {ratio:.2f} (cpu {row['overhead_ratio_cpu']:.2f})"
                    if ratio
                    else ""
                )
                + f"  load {row['load1_before']}→{row['load1_after']}",
                flush=True,
            )
    print(f"wrote {out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
