"""Maps from a cached base scene: the map writing of a solved run, before against after (cold and warm cache).

Run from the repository root (not part of the test suite)::

    python benchmarks/map_cache.py --before /tmp/base                  # both shipped scenarios, 3 repeats
    python benchmarks/map_cache.py --before /tmp/base --repeats 5 --out /tmp/maps.csv
    python benchmarks/map_cache.py --before /tmp/base --run china_hubs_2025=/tmp/cn   # reuse a solved run folder
    python benchmarks/map_cache.py --before /tmp/base --profile warm --scenarios china_hubs_2025   # cProfile

``--before`` is another source tree of gridsite (e.g. ``git archive <commit> | tar -x -C /tmp/base``), the code
before the maps had a base scene. First each scenario is solved once with this tree (``gridsite solve SCENARIO
--out DIR --no-maps``; not timed) unless ``--run NAME=DIR`` names a solved run folder. Then, interleaved,
``--repeats`` times each, in a fresh Python process per run, the maps of that run are written the way
``gridsite solve`` writes them after the solve (``rendering.runfolder.draw_maps``: ``siting_map.png`` and
``siting_map.html``, English, the default quantity):

- ``before``: the ``--before`` tree (``static_map`` then ``interactive_map``: it has no ``draw_maps``);
- ``cold``: this tree with an empty map cache (``<cache>/maps/`` removed before each run): the base scene is
  computed and stored;
- ``warm``: this tree with the base scene in the cache (stored by an untimed run before the first repeat).

Every run uses a gridsite cache folder of this script (``GRIDSITE_CACHE_DIR``) in which the region sets'
boundaries and profiles are already cached (an untimed run of each tree fills it), so only the maps differ.
The child process times the map writing itself, imports of matplotlib and plotly included (``maps_s`` wall,
``maps_cpu_s`` CPU time of the process), as the ``maps`` phase of ``benchmarks/whole_command.py`` does; the
parent times the whole process (``process_s``, ``process_cpu_s``: interpreter start, imports, reading the run and
the region set, the maps). ``png_sha256`` and ``html_sha256`` hash the two files: equal hashes mean the
variants wrote the same bytes.

``--profile VARIANT`` instead runs that variant once per scenario under cProfile (CPU clock: it inflates
Python-heavy code, read it for the ranking) and prints the functions with the largest cumulative time; no CSV.

Each row of the CSV is one run; the summary rows (``kind = median``) give per scenario and variant the median
and the spread (min–max) of each time and the ratio to ``before`` (medians). Every row carries the machine and
the 1-minute load before and after.
"""

from __future__ import annotations

import argparse
import csv
import hashlib
import json
import os
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
SCENARIOS = ("china_hubs_2025", "us_states_2026")
VARIANTS = ("before", "cold", "warm")
TIMES = ("maps_s", "maps_cpu_s", "process_s", "process_cpu_s")


# ----------------------------------------------------------------------------------------------------- child
def child(src: str, run_dir: str, out_dir: str, timings_path: str, profile: str = "") -> int:
    """Write the maps of ``run_dir`` into ``out_dir`` with the gridsite of ``src``; time the map writing (and
    print its cProfile when ``profile`` is a number of lines)."""
    import cProfile
    import pstats
    import warnings

    sys.path.insert(0, src)
    warnings.simplefilter("ignore")
    from geodata.regionset import load_region_set
    from rendering.runformat import read_run

    tables, summary = read_run(run_dir)
    region_set = load_region_set(summary["region_set"], check_polygons=False)
    out = Path(out_dir)
    prof = cProfile.Profile(time.process_time) if profile else None
    if prof is not None:
        prof.enable()
    t0, c0 = time.perf_counter(), time.process_time()
    from rendering import maps  # matplotlib and plotly are imported by the map writing, as in the command

    if hasattr(maps, "draw_maps"):
        maps.draw_maps(region_set, tables, summary, out)
    else:
        maps.static_map(region_set, tables, summary, out / "siting_map.png")
        maps.interactive_map(region_set, tables, summary, out / "siting_map.html")
    t1, c1 = time.perf_counter(), time.process_time()
    if prof is not None:
        prof.disable()
        pstats.Stats(prof, stream=sys.stderr).sort_stats("cumulative").print_stats(int(profile))
    Path(timings_path).write_text(json.dumps({"maps_s": t1 - t0, "maps_cpu_s": c1 - c0}))
    return 0


# ---------------------------------------------------------------------------------------------------- parent
def sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()[:16]


def run_maps(src: str, run_dir: Path, cache: Path, out: Path, profile: int = 0) -> dict:
    """One run in a fresh process; its timings and the hashes of the two maps (``profile``: print the child's
    cProfile, that many lines)."""
    out.mkdir(parents=True, exist_ok=True)
    with tempfile.NamedTemporaryFile(suffix=".json", delete=False) as f:
        tpath = f.name
    cmd = [sys.executable, str(Path(__file__).resolve()), "--child", src, str(run_dir), str(out), tpath]
    cmd += [str(profile)] if profile else []
    env = {**os.environ, "PYTHONPATH": src, "GRIDSITE_CACHE_DIR": str(cache)}
    c0 = os.times()
    t0 = time.perf_counter()
    p = subprocess.run(cmd, capture_output=True, text=True, env=env, cwd=ROOT)
    wall = time.perf_counter() - t0
    c1 = os.times()
    if profile:
        print(p.stderr, file=sys.stderr)
    if p.returncode != 0:
        raise SystemExit(f"the map run failed (exit {p.returncode}): {p.stderr.strip()[-800:]}")
    row = json.loads(Path(tpath).read_text())
    os.unlink(tpath)
    row["process_s"] = wall
    row["process_cpu_s"] = (c1.children_user + c1.children_system) - (c0.children_user + c0.children_system)
    row["png_sha256"] = sha(out / "siting_map.png")
    row["html_sha256"] = sha(out / "siting_map.html")
    shutil.rmtree(out)
    return row


def solve(scenario: str, out: Path) -> None:
    """Solve a shipped scenario once with this tree (no maps); not timed."""
    cmd = [sys.executable, "-m", "gridsite", "solve", f"scenarios/{scenario}.yaml", "--out", str(out), "--quiet"]
    cmd += ["--force", "--no-maps"]
    p = subprocess.run(cmd, capture_output=True, text=True, cwd=ROOT, env={**os.environ, "PYTHONPATH": str(ROOT)})
    if p.returncode != 0:
        raise SystemExit(f"solving {scenario} failed (exit {p.returncode}): {p.stderr.strip()[-800:]}")


def spread(vals: list[float]) -> str:
    return f"{min(vals):.2f}–{max(vals):.2f}"


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if argv and argv[0] == "--child":
        return child(*argv[1:6])
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--before", required=True, help="source tree of gridsite before the change (git archive)")
    ap.add_argument("--label", default="", help="what --before is (e.g. its commit), written to every row")
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--scenarios", nargs="+", default=list(SCENARIOS))
    ap.add_argument("--run", action="append", default=[], metavar="NAME=DIR", help="a solved run folder to reuse")
    ap.add_argument("--out", default=str(RESULTS / "map_cache.csv"))
    ap.add_argument("--profile", choices=VARIANTS, help="profile this variant once per scenario instead (no CSV)")
    ap.add_argument("--lines", type=int, default=40, help="lines of each --profile listing")
    a = ap.parse_args(argv)
    sys.path.insert(0, str(HERE))
    from run import load1, machine  # the harness's machine description and load

    mach = machine()
    given = dict(r.split("=", 1) for r in a.run)
    srcs = {"before": str(Path(a.before).resolve()), "cold": str(ROOT), "warm": str(ROOT)}
    rows: list[dict] = []
    with tempfile.TemporaryDirectory() as tmp:
        t = Path(tmp)
        caches = {"before": t / "cache-warm", "cold": t / "cache-cold", "warm": t / "cache-warm"}
        runs: dict[str, Path] = {}
        for sc in a.scenarios:
            runs[sc] = Path(given[sc]) if sc in given else t / f"run-{sc}"
            if sc not in given:
                print(f"solving {sc}", file=sys.stderr)
                solve(sc, runs[sc])
            # untimed: boundaries and profiles into both caches, the base scene into the warm one
            for v in ("before", "cold", "warm"):
                run_maps(srcs[v], runs[sc], caches[v], t / "warmup")
        if a.profile:
            for sc in a.scenarios:
                if a.profile == "cold":
                    shutil.rmtree(caches["cold"] / "maps", ignore_errors=True)
                print(f"== {sc}, {a.profile}", file=sys.stderr)
                run_maps(srcs[a.profile], runs[sc], caches[a.profile], t / "out", profile=a.lines)
            return 0
        for rep in range(a.repeats):
            for sc in a.scenarios:
                for v in VARIANTS:
                    if v == "cold":
                        shutil.rmtree(caches[v] / "maps", ignore_errors=True)
                    row = {"kind": "run", "scenario": sc, "variant": v, "repeat": rep, "load1_before": load1(),
                           "started": time.strftime("%Y-%m-%dT%H:%M:%S")}  # fmt: skip
                    row.update(run_maps(srcs[v], runs[sc], caches[v], t / "out"))
                    row["load1_after"] = load1()
                    row["source"] = (a.label or srcs[v]) if v == "before" else "working tree"
                    rows.append(row)
                    print(f"{sc} {v} {rep}: maps {row['maps_s']:.2f} s ({row['maps_cpu_s']:.2f} CPU-s), process "
                          f"{row['process_s']:.2f} s, load {row['load1_after']}", file=sys.stderr)  # fmt: skip
    medians = []
    for sc in a.scenarios:
        base: dict[str, float] = {}
        for v in VARIANTS:
            rs = [r for r in rows if r["scenario"] == sc and r["variant"] == v]
            med: dict = {"kind": "median", "scenario": sc, "variant": v, "repeat": f"n={len(rs)}",
                         "source": rs[0]["source"]}  # fmt: skip
            for key in TIMES:
                vals = [r[key] for r in rs]
                med[key] = statistics.median(vals)
                med[f"{key}_spread"] = spread(vals)
                if v == "before":
                    base[key] = med[key]
                med[f"{key}_ratio"] = med[key] / base[key] if base.get(key) else float("nan")
            med["png_sha256"] = ",".join(sorted({r["png_sha256"] for r in rs}))
            med["html_sha256"] = ",".join(sorted({r["html_sha256"] for r in rs}))
            med["load1_before"] = min(r["load1_before"] for r in rs)
            med["load1_after"] = max(r["load1_after"] for r in rs)
            medians.append(med)
    rows += medians
    for r in rows:
        r.update({f"machine_{k}": v for k, v in mach.items()})
    keys: list[str] = []
    for r in rows:
        keys.extend(k for k in r if k not in keys)
    out = Path(a.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    with out.open("w", newline="") as f:
        w = csv.DictWriter(f, fieldnames=keys)
        w.writeheader()
        for r in rows:
            w.writerow({k: (f"{v:.4g}" if isinstance(v, float) else v) for k, v in r.items()})
    for m in medians:
        print(
            f"{m['scenario']:16s} {m['variant']:6s} maps {m['maps_s']:.2f} s ({m['maps_s_spread']}) "
            f"×{m['maps_s_ratio']:.2f}, CPU {m['maps_cpu_s']:.2f} ({m['maps_cpu_s_spread']}) "
            f"×{m['maps_cpu_s_ratio']:.2f}; process {m['process_s']:.2f} s ×{m['process_s_ratio']:.2f}; "
            f"png {m['png_sha256']} html {m['html_sha256']}"
        )
    print(f"→ {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
