"""Byte-identity check: do two source trees write the same files for the shipped scenarios?

Used to show that a refactor changes no output. Each tree runs the same commands in fresh processes with
``PYTHONPATH=<tree>`` (so the tree's own code is imported, whatever is installed), from the tree's root, into its
own output folder; then every file of the two output folders is compared byte for byte.

    python benchmarks/byte_identity.py run  /path/to/tree_a  /tmp/ident_a
    python benchmarks/byte_identity.py run  /path/to/tree_b  /tmp/ident_b
    python benchmarks/byte_identity.py diff /tmp/ident_a /tmp/ident_b      # exit 1 if anything differs

A few values are different on every run even with the same code, so ``diff`` compares JSON files after masking
them (and says so): wall and CPU timings (``timings_s``, ``*_s`` seconds fields), the manifest's creation time,
host, user, Python executable and git commit, the lock/process fields. CSV, GeoJSON, PNG, SVG and HTML files are
compared as raw bytes (the map writers pin their metadata and element ids for exactly this reason).

The command used by the runs (``COMMANDS`` below) covers ``solve`` on both shipped single-year scenarios, ``map``
in the three formats and both languages, ``report``, a 3-point ``pareto`` and a 4-point slice of the shipped sweep.
The 2030 build-out (≈ 6 min per solve) is left out.
"""

from __future__ import annotations

import argparse
import filecmp
import json
import os
import subprocess
import sys
import time
from pathlib import Path

COMMANDS: list[list[str]] = [
    ["solve", "scenarios/china_hubs_2025.yaml", "--out", "{out}/china", "--quiet"],
    ["solve", "scenarios/us_states_2026.yaml", "--out", "{out}/us", "--quiet"],
    ["map", "{out}/china", "--format", "svg"],
    ["map", "{out}/china", "--format", "html", "--lang", "zh"],
    ["map", "{out}/us", "--quantity", "headroom_used", "--format", "png"],
    ["report", "{out}/china"],
    ["report", "{out}/us"],
    ["pareto", "scenarios/china_hubs_2025.yaml", "--points", "3", "--out", "{out}/pareto", "--workers", "0", "--quiet"],
    ["sweep", "{out}/sweep.yaml", "--out", "{out}/sweep", "--workers", "0", "--quiet"],
    ["report", "{out}/sweep"],
]

SWEEP = """name: identity-slice
base: {root}/scenarios/china_hubs_2025.yaml
mode: grid
parameters:
  policy.green_share.min: [0.7, 0.9]
  policy.certificates.cross_region: {{values: [true, false], labels: ["on", "off"]}}
fixed:
  time.days: 6
threads: 1
"""

VOLATILE = {"timings_s", "created", "created_utc", "host", "user", "python_executable", "git_commit", "pid",
            "elapsed_s", "wall_s", "cpu_s", "started", "finished", "command"}


def run(tree: Path, out: Path) -> None:
    out.mkdir(parents=True, exist_ok=False)
    (out / "sweep.yaml").write_text(SWEEP.format(root=tree))
    env = dict(os.environ, PYTHONPATH=str(tree))
    exe = [sys.executable, "-c", "import sys; from gridsite.cli import main; sys.exit(main())"]
    if not (tree / "gridsite" / "cli").exists() and not (tree / "gridsite" / "cli.py").exists():
        exe = [sys.executable, "-c", "import sys; from gridsite.cli import main; sys.exit(main())"]
    for cmd in COMMANDS:
        args = [a.format(out=out) for a in cmd]
        t0 = time.perf_counter()
        p = subprocess.run([*exe, *args], cwd=tree, env=env, capture_output=True, text=True)
        print(f"{time.perf_counter() - t0:7.1f} s  exit {p.returncode}  gridsite {' '.join(args)}", flush=True)
        if p.returncode != 0:
            print(p.stdout[-2000:], p.stderr[-2000:], sep="\n")
            raise SystemExit(f"command failed in {tree}")


def _mask(x):
    if isinstance(x, dict):
        return {k: ("<masked>" if (k in VOLATILE or k.endswith("_s")) else _mask(v)) for k, v in x.items()}
    if isinstance(x, list):
        return [_mask(v) for v in x]
    return x


def diff(a: Path, b: Path) -> int:
    fa = sorted(p.relative_to(a) for p in a.rglob("*") if p.is_file())
    fb = sorted(p.relative_to(b) for p in b.rglob("*") if p.is_file())
    bad = 0
    for rel in sorted(set(fa) ^ set(fb)):
        print(f"only in {'A' if rel in fa else 'B'}: {rel}")
        bad += 1
    same = masked = 0
    for rel in sorted(set(fa) & set(fb)):
        pa, pb = a / rel, b / rel
        if rel.name in {"sweep.yaml", "solver.log"} or rel.suffix == ".lock":
            continue  # the sweep file names its tree; the HiGHS log carries wall times
        if filecmp.cmp(pa, pb, shallow=False):
            same += 1
            continue
        if rel.suffix == ".json":
            if _mask(json.loads(pa.read_text())) == _mask(json.loads(pb.read_text())):
                masked += 1
                continue
        print(f"differs: {rel}")
        bad += 1
    print(f"{same} files byte-identical, {masked} JSON files identical after masking run-specific fields, "
          f"{bad} different")
    return 1 if bad else 0


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = ap.add_subparsers(dest="cmd", required=True)
    r = sub.add_parser("run")
    r.add_argument("tree", type=Path)
    r.add_argument("out", type=Path)
    d = sub.add_parser("diff")
    d.add_argument("a", type=Path)
    d.add_argument("b", type=Path)
    ns = ap.parse_args()
    if ns.cmd == "run":
        run(ns.tree.resolve(), ns.out.resolve())
        return 0
    return diff(ns.a, ns.b)


if __name__ == "__main__":
    raise SystemExit(main())
