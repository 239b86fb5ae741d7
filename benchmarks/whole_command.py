"""The command a user waits for: the whole ``gridsite solve`` against HiGHS alone on the LP file it writes.

Run from the repository root (not part of the test suite)::

    python benchmarks/whole_command.py                                  # default scenario, 3 repeats each
    python benchmarks/whole_command.py --repeats 5 --out /tmp/whole.csv
    python benchmarks/whole_command.py --src /tmp/base --label before   # another source tree (``git archive``)
    python benchmarks/whole_command.py --versus /tmp/base --versus-label before   # this tree and another, interleaved

First one run of ``gridsite solve SCENARIO --out … --write-lp model.lp`` writes the LP file (this run is not
timed). Then, interleaved, ``--repeats`` times each:

(a) ``command``: the whole ``gridsite solve SCENARIO --out DIR`` in a fresh Python process — interpreter start,
    imports, region set, model data, Pyomo build, handoff, HiGHS, the tie-break pass, extraction, every output
    file and both maps. Its wall clock is taken by this parent process around the child process.
(b) ``highs``: HiGHS alone in a fresh process (``highspy`` ``readModel`` + ``run`` on the LP file, the scenario's
    threads, MIP gap, time limit and seed: :func:`run.highs_alone`); its read + run wall clock.

Per-phase timings of (a) come from inside the child (this script runs the command's typer app in-process with
timers around the pieces; nothing else changes): ``startup`` (interpreter start, parent wall − child wall),
``imports`` (the modules the command loads before it starts work), ``data`` (scenario, region set, profiles and
model data), ``build`` (Pyomo), ``handoff`` (standard-form compile + ``passModel``, first pass), ``solve`` (HiGHS,
first pass), ``tie_break`` (the certificate tie-break pass: handoff + HiGHS), ``extract`` (result tables),
``maps`` (PNG + HTML), ``files`` (every other output file) and ``other`` (the rest: printing, temporary folders).
``startup`` also holds the process's exit (the interpreter's teardown, unless the command skips it as
``gridsite.cli.app.main`` does).

Each row of the CSV is one run; the summary rows (``kind = median``) give the median and the spread (min–max)
of each quantity and the ratio ``command wall ÷ HiGHS wall`` (medians), plus the CPU ratio. ``outputs_sha256``
hashes the run folder's tables and ``summary.json`` (timings and the tie-break note's seconds removed), so two
source trees that produce identical results show the same hash. Every row carries the machine and the 1-minute
load before and after.
"""

from __future__ import annotations

import argparse
import csv
import hashlib
import json
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
RESULTS = HERE / "results"
PHASES = ("startup", "imports", "data", "build", "handoff", "solve", "tie_break", "extract", "maps", "files", "other")
#: The modules ``gridsite solve`` loads before it starts work (the CLI, the scenario, the solver, the writer).
COMMAND_MODULES = ("gridsite.cli.app", "optimizer.model.scenario", "optimizer.model.solve", "rendering.runfolder")


# ----------------------------------------------------------------------------------------------------- child
def child(src: str, timings_path: str, argv: list[str]) -> int:
    """Run ``gridsite ARGV`` in this process with timers around its pieces; write them to ``timings_path``."""
    t0 = time.perf_counter()
    c0 = time.process_time()
    sys.path.insert(0, src)
    import importlib

    for name in COMMAND_MODULES:
        importlib.import_module(name)
    t_imp = time.perf_counter()
    import optimizer.model.solve as solve_mod
    import rendering.runfolder as runfolder
    from gridsite.cli.app import app

    marks: dict[str, float] = {}

    def timed(mod, name: str, key: str) -> None:
        fn = getattr(mod, name)

        def wrapped(*a, **k):
            marks.setdefault(f"{key}_start", time.perf_counter())
            try:
                return fn(*a, **k)
            finally:
                marks[f"{key}_end"] = time.perf_counter()
                marks[key] = marks.get(key, 0.0) + marks[f"{key}_end"] - marks[f"{key}_start"]

        setattr(mod, name, wrapped)

    timed(solve_mod, "solve", "solve_call")
    timed(runfolder, "write_run", "write_run")
    timed(runfolder, "draw_maps", "maps")
    code = 0
    try:
        app(argv, standalone_mode=False)
    except SystemExit as exc:
        code = int(exc.code or 0)
    t_end = time.perf_counter()
    out = {
        "code": code,
        "child_wall_s": t_end - t0,
        "child_cpu_s": time.process_time() - c0,
        "imports_s": t_imp - t0,
        "before_solve_s": marks.get("solve_call_start", t_end) - t_imp,
        "solve_call_s": marks.get("solve_call", 0.0),
        "write_run_s": marks.get("write_run", 0.0),
        "maps_s": marks.get("maps", 0.0),
    }
    Path(timings_path).write_text(json.dumps(out))
    # end as ``gridsite.cli.app.main`` does: a tree whose command allowed it skips the interpreter's teardown
    guard = sys.modules.get("gridsite.cli.guard")
    if guard is not None and getattr(guard, "fast_exit_allowed", lambda: False)():
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(code)
    return code


# ---------------------------------------------------------------------------------------------------- parent
def outputs_hash(folder: Path) -> str:
    """SHA-256 over the run's tables and summary (timings and the tie-break note's seconds removed)."""
    h = hashlib.sha256()
    for p in sorted(folder.glob("*.csv")):
        h.update(p.name.encode())
        h.update(p.read_bytes())
    s = json.loads((folder / "summary.json").read_text())
    s.pop("timings_s", None)
    s["notes"] = [re.sub(r"ran in [0-9.]+ s", "ran in … s", n) for n in s.get("notes", [])]
    h.update(json.dumps(s, sort_keys=True).encode())
    return h.hexdigest()[:16]


def run_command(src: str, scenario: str, out: Path, extra: list[str]) -> dict:
    """(a): the whole command in a fresh process; its phases from the child's timers and ``summary.json``."""
    with tempfile.NamedTemporaryFile(suffix=".json", delete=False) as f:
        tpath = f.name
    argv = ["solve", scenario, "--out", str(out), "--quiet", "--force", *extra]
    cmd = [sys.executable, str(Path(__file__).resolve()), "--child", src, tpath, "--", *argv]
    env = {**os.environ, "PYTHONPATH": src}
    c0 = os.times()
    t0 = time.perf_counter()
    p = subprocess.run(cmd, capture_output=True, text=True, env=env, cwd=ROOT)
    wall = time.perf_counter() - t0
    c1 = os.times()
    if p.returncode != 0:
        raise SystemExit(f"the command failed (exit {p.returncode}): {p.stderr.strip()[-500:]}")
    ch = json.loads(Path(tpath).read_text())
    os.unlink(tpath)
    tm = json.loads((out / "summary.json").read_text())["timings_s"]
    tidy = tm.get("tidy", 0.0)
    handoff_first = tm["handoff"] - tm.get("tidy_handoff", 0.0)
    solve_first = tm["solve"] - tidy - handoff_first  # HiGHS of the first pass (+ a carbon stage, if any)
    phases = {
        "startup": wall - ch["child_wall_s"],
        "imports": ch["imports_s"],
        "data": ch["before_solve_s"] + tm["data"],
        "build": tm["build"],
        "handoff": handoff_first,
        "solve": solve_first,
        "tie_break": tidy,
        "extract": tm["extract"],
        "maps": ch["maps_s"],
        "files": ch["write_run_s"] - ch["maps_s"],
    }
    phases["other"] = wall - sum(phases.values())
    row = {f"{k}_s": v for k, v in phases.items()}
    row.update(
        {
            "wall_s": wall,
            "cpu_s": (c1.children_user + c1.children_system) - (c0.children_user + c0.children_system),
            "highs_in_command_s": tm["highs"],
            "outputs_sha256": outputs_hash(out),
        }
    )
    return row


def run_alone(lp: Path, solver: dict) -> dict:
    """(b): HiGHS alone on the LP file in a fresh process (read + run)."""
    cmd = [
        sys.executable, str(HERE / "run.py"), "--highs-alone", str(lp), "--threads", str(solver["threads"]),
        "--gap", str(solver["mip_gap"]), "--time-limit", str(solver["time_limit_s"]),
    ]  # fmt: skip
    p = subprocess.run(cmd, capture_output=True, text=True, cwd=ROOT)
    if p.returncode != 0:
        raise SystemExit(f"HiGHS alone failed: {p.stderr.strip()[-500:]}")
    r = json.loads(p.stdout.strip().splitlines()[-1])
    return {"wall_s": r["wall_s"], "cpu_s": r["cpu_s"], "solve_s": r["run_s"], "read_s": r["read_s"],
            "status": r["status"], "objective": r["objective"]}  # fmt: skip


def spread(vals: list[float]) -> str:
    return f"{min(vals):.2f}–{max(vals):.2f}"


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if argv and argv[0] == "--child":
        sep = argv.index("--")
        return child(argv[1], argv[2], argv[sep + 1 :])
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--scenario", default="scenarios/china_hubs_2025.yaml")
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--src", default=str(ROOT), help="source tree of gridsite to run (default: this one)")
    ap.add_argument("--label", default="working tree", help="what --src is, written to every row")
    ap.add_argument("--out", default=str(RESULTS / "whole_command.csv"))
    ap.add_argument("--append", action="store_true", help="append to --out instead of replacing it")
    ap.add_argument("--versus", default=None, help="a second source tree, run interleaved with --src")
    ap.add_argument("--versus-label", default="versus", help="what --versus is, written to its rows")
    a = ap.parse_args(argv)
    sys.path.insert(0, str(HERE))
    from run import load1, machine  # the harness's machine description and load

    mach = machine()
    scenario = str(Path(a.scenario).resolve())
    sources = [(a.src, a.label)] + ([(a.versus, a.versus_label)] if a.versus else [])
    rows: list[dict] = []
    with tempfile.TemporaryDirectory() as tmp:
        lps: dict[str, tuple[Path, dict]] = {}
        for k, (src, label) in enumerate(sources):
            lp = Path(tmp) / f"model{k}.lp"
            first = Path(tmp) / f"first{k}"
            print(f"writing the LP file ({label})", file=sys.stderr)
            run_command(src, scenario, first, ["--write-lp", str(lp)])
            lps[label] = (lp, json.loads((first / "manifest.json").read_text())["solver"])
        for rep in range(a.repeats):
            for src, label in sources:  # A and B interleaved: a change in the machine's load falls on both
                lp, solver = lps[label]
                for kind in ("command", "highs"):
                    base = {"kind": kind, "repeat": rep, "source": label, "scenario": a.scenario,
                            "load1_before": load1(), "started": time.strftime("%Y-%m-%dT%H:%M:%S")}  # fmt: skip
                    if kind == "command":
                        d = Path(tmp) / f"run{rep}"
                        base.update(run_command(src, scenario, d, []))
                        shutil.rmtree(d)
                    else:
                        base.update(run_alone(lp, solver))
                    base["load1_after"] = load1()
                    rows.append(base)
                    print(f"{label} {kind} {rep}: {base['wall_s']:.2f} s wall (load {base['load1_after']})",
                          file=sys.stderr)  # fmt: skip
    meds = []
    for _src, label in sources:
        mine = [r for r in rows if r["source"] == label]
        cmd_rows = [r for r in mine if r["kind"] == "command"]
        alone = [r for r in mine if r["kind"] == "highs"]
        med: dict = {"kind": "median", "repeat": f"n={a.repeats}", "source": label, "scenario": a.scenario}
        for key in [f"{p}_s" for p in PHASES] + ["wall_s", "cpu_s", "highs_in_command_s"]:
            vals = [r[key] for r in cmd_rows]
            med[key] = statistics.median(vals)
            med[f"{key}_spread"] = spread(vals)
        med["highs_wall_s"] = statistics.median(r["wall_s"] for r in alone)
        med["highs_wall_s_spread"] = spread([r["wall_s"] for r in alone])
        med["highs_cpu_s"] = statistics.median(r["cpu_s"] for r in alone)
        med["ratio"] = med["wall_s"] / med["highs_wall_s"]
        med["ratio_cpu"] = med["cpu_s"] / med["highs_cpu_s"]
        # the ratio of each repeat (command ÷ the HiGHS-alone run right after it), and their spread
        pairs = [c["wall_s"] / h["wall_s"] for c, h in zip(cmd_rows, alone, strict=True)]
        med["ratio_pairs_spread"] = spread(pairs)
        med["outputs_sha256"] = ",".join(sorted({r["outputs_sha256"] for r in cmd_rows}))
        med["load1_before"] = min(r["load1_before"] for r in mine)
        med["load1_after"] = max(r["load1_after"] for r in mine)
        meds.append(med)
    rows.extend(meds)
    for r in rows:
        r.update({f"machine_{k}": v for k, v in mach.items()})
    out = Path(a.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    old: list[dict] = []
    if a.append and out.exists():
        with out.open() as f:
            old = list(csv.DictReader(f))
    allrows = old + rows
    keys: list[str] = []
    for r in allrows:
        keys.extend(k for k in r if k not in keys)
    with out.open("w", newline="") as f:
        w = csv.DictWriter(f, fieldnames=keys)
        w.writeheader()
        for r in allrows:
            w.writerow({k: (f"{v:.4g}" if isinstance(v, float) else v) for k, v in r.items()})
    for med in meds:
        print(
            f"{med['source']}: command {med['wall_s']:.2f} s ({med['wall_s_spread']}), HiGHS alone "
            f"{med['highs_wall_s']:.2f} s ({med['highs_wall_s_spread']}), ratio {med['ratio']:.2f} (per repeat "
            f"{med['ratio_pairs_spread']}; CPU {med['ratio_cpu']:.2f}); "
            + ", ".join(f"{p} {med[f'{p}_s']:.2f}" for p in PHASES)
            + f"; outputs {med['outputs_sha256']} → {out}"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
