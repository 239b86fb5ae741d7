"""Byte-identity check: do two source trees write the same files for the shipped scenarios?

Used to show that a refactor changes no output. Each tree runs the same commands in fresh processes with
``PYTHONPATH=<tree>`` (so the tree's own code is imported, whatever is installed), from the tree's root, into its
own output folder; then every file of the two output folders is compared byte for byte.

    python benchmarks/byte_identity.py run  /path/to/tree_a  /tmp/ident_a
    python benchmarks/byte_identity.py run  /path/to/tree_b  /tmp/ident_b
    python benchmarks/byte_identity.py diff /tmp/ident_a /tmp/ident_b      # exit 1 if anything differs

A few values are different on every run even with the same code. ``diff`` first compares raw bytes; a file that
differs is compared again after masking those values, and is reported in its own count (never silently):
JSON keys for timings (``timings_s``, ``*_s``), creation times, host, user, pid, paths, versions and commits;
in text files (CSV, SVG, HTML, JSON) time stamps, durations ("12.3 s"), the two output-folder paths, the package
version, matplotlib's random SVG element ids and ``<dc:date>``; in CSV files the columns of timings, worker
and hash. Whatever still differs is printed with its first differing line, and the exit code is 1.

``diff --known`` also masks the output changes a refactor made on purpose, each named in ``KNOWN_CHANGES`` (with
why), so that what remains is only what nobody intended; without it those files are reported as different.

The command used by the runs (``COMMANDS`` below) covers ``solve`` on both shipped single-year scenarios, ``map``
in the three formats and both languages, ``report``, a 3-point ``pareto`` and a 4-point slice of the shipped sweep.
The 2030 build-out (≈ 6 min per solve) is left out.
"""

from __future__ import annotations

import argparse
import csv
import filecmp
import io
import json
import os
import re
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
            "elapsed_s", "wall_s", "cpu_s", "started", "finished", "command", "time", "written", "versions",
            "gridsite_version", "version", "path", "scenario_path", "out", "folder", "cwd", "argv", "notes"}
TEXT_MASKS = [
    (re.compile(r"\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(:\d{2})?(\.\d+)?(Z|[+-]\d{2}:?\d{2})?( UTC)?"), "<time>"),
    (re.compile(r"\d+(\.\d+)?\s?(s|ms|min)\b"), "<duration>"),
    (re.compile(r"<dc:date>.*?</dc:date>", re.S), "<dc:date/>"),
    (re.compile(r"\b(image|[mp])[0-9a-f]{8,12}\b"), r"\1<id>"),  # matplotlib SVG ids (hash of a random salt)
    (re.compile(r"\b0\.[12]\.0\b"), "<version>"),
    (re.compile(r"\b(vm|host|worker)[:=][^\s\",]+"), "<worker>"),
    (re.compile(r"\b[0-9a-f]{40,64}\b"), "<hash>"),
]
#: Output changes made on purpose by the 0.2 redesign (masked only with ``diff --known``):
KNOWN_CHANGES = {
    # the old model-size estimate (two formulas that disagreed) replaced by exact counts of the built model,
    # now with integer columns and nonzeros: summary.json ``model_size`` and the report's "Model size" row
    "model_size": re.compile(r"Model size</th><td>[^<]*"),
    # SVG maps no longer carry a creation date (so that the same run gives the same bytes)
    "svg_date": re.compile(r"^\s*<dc:date/>\n|^\s*<dc:date>.*?</dc:date>\n", re.M),
}
CSV_VOLATILE = re.compile(r"(_s$|^timings|worker|host|^hash|elapsed|pid)")


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
        volatile = {k for k in x if k in VOLATILE or "_s_" in k or k.endswith("_s")}
        if _KNOWN["on"]:
            volatile |= {k for k in x if k in KNOWN_CHANGES}
        return {k: ("<masked>" if k in volatile else _mask(v)) for k, v in x.items()}
    if isinstance(x, list):
        return [_mask(v) for v in x]
    return x


_KNOWN = {"on": False}


def _mask_text(text: str, roots: tuple[str, ...]) -> str:
    if _KNOWN["on"]:
        for rx in KNOWN_CHANGES.values():
            text = rx.sub("", text)
    for root in roots:
        text = text.replace(root, "<out>")
    for rx, rep in TEXT_MASKS:
        text = rx.sub(rep, text)
    return text


def _mask_csv(text: str) -> str:
    rows = list(csv.reader(io.StringIO(text)))
    if not rows:
        return text
    drop = {i for i, h in enumerate(rows[0]) if CSV_VOLATILE.search(h)}
    return "\n".join(",".join(c for i, c in enumerate(r) if i not in drop) for r in rows)


def _same_after_masking(pa: Path, pb: Path, roots: tuple[str, str], trees: tuple[str, str]) -> tuple[bool, str]:
    if pa.suffix == ".parquet":  # the sweep table again, in binary: compare its masked CSV rendering
        import pandas as pd

        ta, tb = (pd.read_parquet(x).to_csv(index=False) for x in (pa, pb))
        return _same_text(".csv", ta, tb, (roots[0], trees[0]), (roots[1], trees[1]))
    if pa.suffix in {".png", ".gpkg", ".xlsx"}:
        return False, "binary file differs"
    ta = pa.read_text(encoding="utf-8", errors="replace")
    tb = pb.read_text(encoding="utf-8", errors="replace")
    return _same_text(pa.suffix if pa.name != ".gridsite-output" else ".json", ta, tb, (roots[0], trees[0]),
                      (roots[1], trees[1]))


def _same_text(suffix: str, ta: str, tb: str, roots_a: tuple[str, ...], roots_b: tuple[str, ...]) -> tuple[bool, str]:
    roots = (roots_a, roots_b)
    if suffix == ".json":
        try:
            ja = json.loads(_mask_text(ta, roots[0]))
            jb = json.loads(_mask_text(tb, roots[1]))
            if _mask(ja) == _mask(jb):
                return True, ""
        except json.JSONDecodeError:
            pass
    if suffix == ".csv":
        ta, tb = _mask_csv(ta), _mask_csv(tb)
    ma, mb = _mask_text(ta, roots[0]), _mask_text(tb, roots[1])
    if ma == mb:
        return True, ""
    for n, (la, lb) in enumerate(zip(ma.splitlines(), mb.splitlines(), strict=False), 1):
        if la != lb:
            return False, f"line {n}: {la[:160]!r} != {lb[:160]!r}"
    return False, "different length"


def _tree(out: Path) -> str:
    """The source tree a run folder was made from (named in its sweep file), masked like the output path."""
    sweep = out / "sweep.yaml"
    m = re.search(r"^base: (.*)/scenarios/", sweep.read_text(), re.M) if sweep.exists() else None
    return m.group(1) if m else str(out)


def diff(a: Path, b: Path) -> int:
    a, b = a.resolve(), b.resolve()
    trees = (_tree(a), _tree(b))
    fa = sorted(p.relative_to(a) for p in a.rglob("*") if p.is_file())
    fb = sorted(p.relative_to(b) for p in b.rglob("*") if p.is_file())
    bad = 0
    for rel in sorted(set(fa) ^ set(fb)):
        print(f"only in {'A' if rel in fa else 'B'}: {rel}")
        bad += 1
    same = masked = 0
    masked_files = []
    for rel in sorted(set(fa) & set(fb)):
        pa, pb = a / rel, b / rel
        if rel.name in {"sweep.yaml", "solver.log"} or rel.suffix == ".lock":
            continue  # the sweep file names its tree; the HiGHS log carries wall times
        if filecmp.cmp(pa, pb, shallow=False):
            same += 1
            continue
        ok, why = _same_after_masking(pa, pb, (str(a), str(b)), trees)
        if ok:
            masked += 1
            masked_files.append(str(rel))
            continue
        print(f"differs: {rel}: {why}")
        bad += 1
    print(f"{same} files byte-identical; {masked} identical after masking run-specific values "
          f"({', '.join(masked_files)}); {bad} different")
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
    d.add_argument("--known", action="store_true", help="also mask the intended changes listed in KNOWN_CHANGES")
    ns = ap.parse_args()
    if ns.cmd == "run":
        run(ns.tree.resolve(), ns.out.resolve())
        return 0
    _KNOWN["on"] = ns.known
    return diff(ns.a, ns.b)


if __name__ == "__main__":
    raise SystemExit(main())
