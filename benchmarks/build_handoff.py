"""Build and handoff per nonzero (issue #18): before (Pyomo's standard-form compiler) against after (direct).

Run from the repository root (not part of the test suite)::

    python benchmarks/build_handoff.py                                   # china_hubs_2025 at 12, 48, 150 days
    python benchmarks/build_handoff.py --src /tmp/base                   # "before" = another tree (git archive)
    python benchmarks/build_handoff.py --days 12 150 --repeats 5 --out /tmp/bh.csv
    python benchmarks/build_handoff.py --one scenarios/china_hubs_2025.yaml 150 direct --profile   # cProfile
    python benchmarks/build_handoff.py --table benchmarks/results/build_handoff.csv    # the table of the docs

For each size (the scenario with ``time.days`` set to N typical days, + its extreme days) and each repeat, one
fresh Python process per side, interleaved (``before`` then ``direct`` on even repeats, the other order on odd
ones). ``before`` is the source tree ``--src`` as it is (e.g. ``git archive`` of the commit before this work,
unpacked), or without ``--src`` this tree with ``$GRIDSITE_HANDOFF=pyomo`` (Pyomo's compiler on the complete
model, :mod:`optimizer.model.matrices`); ``direct`` is this tree's solve path: ``build_model(md, arrays=True)`` (the
per-slice rows as row blocks, :mod:`optimizer.model.families.blocks`, where the tree has them) and the direct
compiler. The child process reads
the scenario, the region set and the model data and hands a one-row model to HiGHS (lazy imports; none of it
timed), then times

- ``build``: :func:`optimizer.model.build.build_model` (the Pyomo model, with ``arrays=True`` on the ``direct``
  side of a tree that has it);
- ``handoff``: :func:`optimizer.model.highs._compile` (standard form + ``passModel`` into a fresh HiGHS), as
  ``run_highs`` does before HiGHS runs;

by wall clock and CPU time (``time.process_time``), divided by the nonzeros of the matrix HiGHS received, and its
peak RSS (``ru_maxrss``: the whole process, imports and model data included). ``matrix_sha256`` hashes what HiGHS
holds (A, costs, offset, bounds, integrality, row and column names), so both compilers must show the same hash.
Rows ``kind = median`` give per size and side the median and the spread (min–max) and the ratio after ÷
before of the medians, with the issue's targets (build + handoff ≤ 1.0 µs per nonzero; peak RSS ≤ 400 MB + 250 MB
per million nonzeros). Every row carries the machine and the 1-minute load before and after.
"""

from __future__ import annotations

import argparse
import csv
import hashlib
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
RESULTS = HERE / "results"
DEFAULT_SCENARIO = "scenarios/china_hubs_2025.yaml"
DEFAULT_DAYS = (12, 48, 150)
COMPILERS = ("before", "direct")
TARGET_US_PER_NNZ = 1.0
TARGET_MB = (400.0, 250.0)  # MB + MB per million nonzeros


def _matrix_hash(h, info) -> str:
    """sha256 of the model HiGHS holds: A, costs, offset, bounds, integrality, row and column names."""
    import numpy as np

    lp = h.getLp()
    d = hashlib.sha256()
    for arr in (
        lp.a_matrix_.start_,
        lp.a_matrix_.index_,
        lp.a_matrix_.value_,
        lp.col_cost_,
        lp.col_lower_,
        lp.col_upper_,
        lp.row_lower_,
        lp.row_upper_,
    ):
        d.update(np.ascontiguousarray(np.asarray(arr)).tobytes())
    d.update(repr(float(lp.offset_)).encode())
    d.update(bytes(int(x) for x in lp.integrality_))
    d.update("\n".join(f"{r.constraint.name}/{r.bound_type}" for r in info.rows).encode())
    d.update("\n".join(v.name for v in info.columns).encode())
    return d.hexdigest()[:16]


def _warm_up(hd, highspy) -> None:
    """Hand a one-row model to HiGHS first, so lazy imports (scipy.sparse, Pyomo's compiler) are not timed."""
    import pyomo.environ as pyo

    m = pyo.ConcreteModel()
    m.x = pyo.Var(bounds=(0, 1))
    m.c = pyo.Constraint(expr=m.x <= 1)
    m.o = pyo.Objective(expr=m.x)
    h = highspy.Highs()
    h.setOptionValue("output_flag", False)
    hd._compile(m, h)


def one(scenario: str, days: int, compiler: str, out: str | None, profile: bool = False, src: str = "") -> dict:
    """Build and hand off one model in this (fresh) process with ``compiler`` (``before``: the source tree
    ``src`` as it is, e.g. the commit before this work); the measurements as a dict."""
    import resource

    if compiler == "before" and src:
        sys.meta_path[:] = [f for f in sys.meta_path if "__editable__" not in getattr(f, "__module__", "")]
        sys.path.insert(0, src)
    else:
        os.environ["GRIDSITE_HANDOFF"] = "pyomo" if compiler == "before" else compiler
        sys.path.insert(0, str(ROOT))
    import highspy

    from geodata import load_region_set
    from gridsite import load_scenario
    from optimizer.model import highs as hd
    from optimizer.model.adapter import build_model_data
    from optimizer.model.build import build_model

    sc = load_scenario(ROOT / scenario)
    sc = sc.model_copy(update={"time": sc.time.model_copy(update={"mode": "representative_days", "days": days})})
    md, _ = build_model_data(sc, load_region_set(sc.region_set))
    _warm_up(hd, highspy)
    rss_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    prof = None
    if profile:
        import cProfile

        prof = cProfile.Profile(time.process_time)
        prof.enable()
    import inspect

    # this tree's solve path keeps the per-slice rows as arrays (row blocks); an older tree has no such option
    kw = {"arrays": True} if "arrays" in inspect.signature(build_model).parameters and compiler != "before" else {}
    w0, c0 = time.perf_counter(), time.process_time()
    m = build_model(md, **kw)
    w1, c1 = time.perf_counter(), time.process_time()
    h = highspy.Highs()
    h.setOptionValue("output_flag", False)
    info, _ = hd._compile(m, h)
    w2, c2 = time.perf_counter(), time.process_time()
    if prof is not None:
        import pstats

        prof.disable()
        pstats.Stats(prof).sort_stats("cumulative").print_stats(30)
        pstats.Stats(prof).sort_stats("tottime").print_stats(25)
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    nnz = int(info.A.nnz)
    r = {
        "scenario": Path(scenario).stem,
        "days": days,
        "compiler": compiler,
        "slices": md.slices.n,
        "rows": len(info.rows),
        "cols": len(info.columns),
        "nnz": nnz,
        "integer_cols": int(sum(1 for x in h.getLp().integrality_ if int(x))),
        "build_s": w1 - w0,
        "handoff_s": w2 - w1,
        "build_cpu_s": c1 - c0,
        "handoff_cpu_s": c2 - c1,
        "build_us_per_nnz": (w1 - w0) / nnz * 1e6,
        "handoff_us_per_nnz": (w2 - w1) / nnz * 1e6,
        "total_us_per_nnz": (w2 - w0) / nnz * 1e6,
        "build_cpu_us_per_nnz": (c1 - c0) / nnz * 1e6,
        "handoff_cpu_us_per_nnz": (c2 - c1) / nnz * 1e6,
        "total_cpu_us_per_nnz": (c2 - c0) / nnz * 1e6,
        "rss_before_build_mb": rss_before,
        "peak_rss_mb": peak,
        "matrix_sha256": _matrix_hash(h, info),
    }
    if out:
        Path(out).write_text(json.dumps(r))
    return r


def _machine() -> dict:
    sys.path.insert(0, str(HERE))
    import run as harness

    return harness.machine()


MEASURES = (
    "build_us_per_nnz",
    "handoff_us_per_nnz",
    "total_us_per_nnz",
    "build_cpu_us_per_nnz",
    "handoff_cpu_us_per_nnz",
    "total_cpu_us_per_nnz",
    "peak_rss_mb",
)


def summarise(runs: list[dict]) -> list[dict]:
    """Per (days, side): medians with min–max and the targets; per days: the ratio after ÷ before."""
    out = []
    for days in sorted({r["days"] for r in runs}):
        med: dict[str, dict] = {}
        for comp in COMPILERS:
            rs = [r for r in runs if r["days"] == days and r["compiler"] == comp]
            if not rs:
                continue
            row: dict = {"kind": "median", "days": days, "compiler": comp, "repeats": len(rs)}
            for k in ("scenario", "slices", "rows", "cols", "nnz", "integer_cols"):
                row[k] = rs[0][k]
            row["matrix_sha256"] = ",".join(sorted({r["matrix_sha256"] for r in rs}))
            for k in MEASURES:
                vals = [r[k] for r in rs]
                row[k] = statistics.median(vals)
                row[f"{k}_min"] = min(vals)
                row[f"{k}_max"] = max(vals)
            row["load1_before"] = min(r["load1_before"] for r in rs)
            row["load1_after"] = max(r["load1_after"] for r in rs)
            mb_target = TARGET_MB[0] + TARGET_MB[1] * row["nnz"] / 1e6
            row["target_us_per_nnz"] = TARGET_US_PER_NNZ
            row["target_peak_rss_mb"] = mb_target
            row["meets_time"] = row["total_us_per_nnz"] <= TARGET_US_PER_NNZ
            row["meets_memory"] = row["peak_rss_mb"] <= mb_target
            med[comp] = row
            out.append(row)
        if len(med) == 2:
            a, b = med["before"], med["direct"]
            ratio = {"kind": "ratio after/before", "days": days, "compiler": "direct/before", "nnz": a["nnz"]}
            for k in MEASURES:
                ratio[k] = b[k] / a[k]
            ratio["matrix_sha256"] = "identical" if a["matrix_sha256"] == b["matrix_sha256"] else "DIFFERENT"
            out.append(ratio)
    return out


def _spread(r: dict, k: str, digits: int = 2) -> str:
    return f"{float(r[k]):.{digits}f} ({float(r[k + '_min']):.{digits}f}–{float(r[k + '_max']):.{digits}f})"


def table(path: str) -> str:
    """The markdown table of docs/performance.md (*Build and handoff*) from a CSV this script wrote."""
    with open(path, newline="") as f:
        rows = [r for r in csv.DictReader(f) if r["kind"] == "median"]
    out = [
        "| nonzeros (days) | quantity | target | before | after | ratio after ÷ before |",
        "|---|---|---|---|---|---|",
    ]
    for days in sorted({int(r["days"]) for r in rows}):
        b = next(r for r in rows if int(r["days"]) == days and r["compiler"] == "before")
        a = next(r for r in rows if int(r["days"]) == days and r["compiler"] == "direct")
        size = f"{int(a['nnz']):,} ({days})"
        for k, what, target in (
            ("total_us_per_nnz", "build + handoff, µs/nnz (wall)", "≤ 1.0"),
            ("total_cpu_us_per_nnz", "build + handoff, µs/nnz (CPU)", "≤ 1.0"),
            ("build_cpu_us_per_nnz", "build, µs/nnz (CPU)", ""),
            ("handoff_cpu_us_per_nnz", "handoff, µs/nnz (CPU)", ""),
            ("peak_rss_mb", "peak RSS, MB", f"≤ {float(a['target_peak_rss_mb']):.0f}"),
        ):
            dg = 0 if k == "peak_rss_mb" else 2
            ratio = float(a[k]) / float(b[k])
            out.append(f"| {size} | {what} | {target} | {_spread(b, k, dg)} | {_spread(a, k, dg)} | {ratio:.2f} |")
        same = "identical" if a["matrix_sha256"] == b["matrix_sha256"] else "DIFFERENT"
        out.append(f"| {size} | matrix hash | identical | `{b['matrix_sha256']}` | `{a['matrix_sha256']}` | {same} |")
    return "\n".join(out)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--scenario", default=DEFAULT_SCENARIO)
    ap.add_argument("--days", type=int, nargs="+", default=list(DEFAULT_DAYS))
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--out", default=str(RESULTS / "build_handoff.csv"))
    ap.add_argument("--one", nargs=3, metavar=("SCENARIO", "DAYS", "COMPILER"), help="one run in this process")
    ap.add_argument("--src", default="", help="source tree of the 'before' runs (default: this tree, Pyomo's compiler)")
    ap.add_argument("--json", help=argparse.SUPPRESS)
    ap.add_argument("--profile", action="store_true", help="with --one: print a cProfile (CPU clock)")
    ap.add_argument("--table", metavar="CSV", help="print the docs table of a CSV this script wrote, and stop")
    a = ap.parse_args(argv)
    if a.table:
        print(table(a.table))
        return 0
    if a.one:
        r = one(a.one[0], int(a.one[1]), a.one[2], a.json, a.profile, a.src)
        if not a.json:
            print(json.dumps(r, indent=1))
        return 0
    runs = []
    with tempfile.TemporaryDirectory() as tmp:
        for days in a.days:
            for rep in range(a.repeats):
                order = COMPILERS if rep % 2 == 0 else COMPILERS[::-1]
                for comp in order:
                    path = str(Path(tmp) / "run.json")
                    load0 = round(os.getloadavg()[0], 2)
                    t0 = time.perf_counter()
                    cmd = [sys.executable, __file__, "--one", a.scenario, str(days), comp, "--json", path]
                    p = subprocess.run(
                        [*cmd, "--src", a.src],
                        cwd=ROOT,
                        capture_output=True,
                        text=True,
                    )
                    if p.returncode:
                        print(p.stderr[-3000:], file=sys.stderr)
                        return 1
                    r = json.loads(Path(path).read_text())
                    r.update(kind="run", repeat=rep, load1_before=load0, load1_after=round(os.getloadavg()[0], 2))
                    r["source"] = a.src if comp == "before" and a.src else "this tree"
                    r["process_wall_s"] = time.perf_counter() - t0
                    runs.append(r)
                    print(
                        f"{days:>4} days  {comp:<6}  nnz {r['nnz']:>9,}  build {r['build_us_per_nnz']:.2f}  "
                        f"handoff {r['handoff_us_per_nnz']:.2f}  total {r['total_us_per_nnz']:.2f} µs/nnz "
                        f"(CPU {r['total_cpu_us_per_nnz']:.2f})  peak {r['peak_rss_mb']:.0f} MB  "
                        f"{r['matrix_sha256']}  load {load0}",
                        flush=True,
                    )
    rows = runs + summarise(runs)
    mach = _machine()
    keys: list[str] = []
    for r in rows:
        keys += [k for k in r if k not in keys]
    keys += [f"machine_{k}" for k in mach]
    path = Path(a.out)
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", newline="") as f:
        w = csv.DictWriter(f, fieldnames=keys)
        w.writeheader()
        for r in rows:
            fmt = {k: (f"{v:.4g}" if isinstance(v, float) else v) for k, v in r.items()}
            w.writerow({**fmt, **{f"machine_{k}": v for k, v in mach.items()}})
    for r in rows:
        if r["kind"] != "run":
            print(
                f"{r['days']:>4} days {r['compiler']:<12} nnz {r['nnz']:>9,}  build {r['build_us_per_nnz']:.3g}  "
                f"handoff {r['handoff_us_per_nnz']:.3g}  total {r['total_us_per_nnz']:.3g} µs/nnz  "
                f"(CPU {r['total_cpu_us_per_nnz']:.3g})  peak {r['peak_rss_mb']:.4g} MB  {r['matrix_sha256']}"
            )
    print(f"wrote {path}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
