"""Check that a performance change left the model exactly as it was: same rows, columns, coefficients, bounds.

Compiles each case to the matrices handed to HiGHS (row and column names, column-wise A, costs, bounds,
integrality) with the working tree and with another source tree (e.g. ``git archive HEAD`` unpacked in /tmp),
and compares them bit for bit. Identical matrices mean identical HiGHS runs, so speed can be compared on the
Python side alone and results cannot have moved::

    mkdir -p /tmp/base && git archive HEAD | tar -x -C /tmp/base
    python benchmarks/check_model.py --against /tmp/base                 # the default cases and policy variants
    python benchmarks/check_model.py china-200-rd12 us-200-rd12@monthly --against /tmp/base

A case name may carry ``@variant`` (see :data:`VARIANTS`) to switch on policy features the synthetic cases do
not use (hourly matching with batteries; monthly matching, market-based accounting, certificate price steps and
share cap, grid mix, carbon price and cap, green delivery charge; the carbon objective), or to fix integer columns
after the build (:data:`AFTER_BUILD`: part of them as the lexicographic pass does, or a whole plan as ``--fix``).
``--ref-handoff pyomo`` sets ``$GRIDSITE_HANDOFF`` for the reference side only (e.g. ``--against .`` compares
Pyomo's compiler with the direct one in the same tree).
"""

from __future__ import annotations

import argparse
import os
import pickle
import subprocess
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent

VARIANTS: dict[str, dict] = {
    "hourlymatch": {"policy": {"green_share": {"min": 0.6, "applies_to": "hubs", "matching": "hourly"}}},
    "monthly": {
        "policy": {
            "green_share": {"min": 0.8, "applies_to": "all", "matching": "monthly", "grid_mix_counts": True},
            "certificates": {
                "cross_region": True,
                "max_share": 0.5,
                "price_steps": [{"gwh": 1000, "price": 5}, {"price": 50}],
            },
            "carbon_accounting": "market_based",
            "carbon_cap_t": 5e6,
            "carbon_price": 100,
        },
        "grid": {"green_delivery_charge_per_mwh": 20.0},
    },
    "carbon": {"objective": {"mode": "carbon"}},
}


def _fix_partly(m, md) -> None:
    """As the lexicographic pass does after a solve: integer columns fixed once the model is built (here every
    group's ``build`` at all but its first allowed site, fixed at 0)."""
    first: set[str] = set()
    for k, s in md.group_pairs():
        if k in first:
            m.build[k, s].fix(0)
        first.add(k)


def _fix_plan(m, md) -> None:
    """A whole plan fixed (as ``--fix`` does): every group built at its first allowed site."""
    groups = {g.id: g for g in md.groups}
    first: set[str] = set()
    for k, s in md.group_pairs():
        m.build[k, s].fix(0 if k in first else groups[k].count)
        first.add(k)


#: Changes applied to the built model (after the ``@variant`` scenario changes), by variant name.
AFTER_BUILD = {"fixpart": _fix_partly, "fixplan": _fix_plan}

DEFAULT = (
    "china-hubs-2025-rd12",
    "us-states-2026-rd12",
    "china-10-annual",
    "china-10-rd12@hourlymatch",
    "china-10-rd12@monthly",
    "us-states-2026-rd12s8",
    "us-200-rd12s8@hourlymatch",
    "china-10-rd12@carbon",
    "china-2030-buildout-rd12",
    "china-hubs-2025-rd12@fixpart",
    "china-hubs-2025-rd12@fixplan",
)


def dump(spec: str, out: str) -> None:
    """Compile one case with whichever source tree is imported and pickle its matrices."""
    import cases
    import highspy
    import numpy as np

    from geodata import load_region_set
    from gridsite import parse_scenario
    from optimizer.model.adapter import build_model_data
    from optimizer.model.build import build_model
    from optimizer.model.highs import compile_to_highs

    name, _, variant = spec.partition("@")
    data = cases.all_cases()[name].scenario()
    for k, v in VARIANTS.get(variant, {}).items():
        data[k] = v
    sc = parse_scenario(data)
    md, _ = build_model_data(sc, load_region_set(sc.region_set))
    h = highspy.Highs()
    h.setOptionValue("output_flag", False)
    import inspect

    # the tree's solve path: per-slice rows as arrays where the tree has them (``build_model(md, arrays=True)``)
    m = build_model(md, arrays=True) if "arrays" in inspect.signature(build_model).parameters else build_model(md)
    if variant in AFTER_BUILD:
        AFTER_BUILD[variant](m, md)
    info = compile_to_highs(m, h)
    lp = h.getLp()
    d = {
        "rows": [r[0].name for r in info.rows],
        "cols": [v.name for v in info.columns],
        "start": np.asarray(lp.a_matrix_.start_),
        "index": np.asarray(lp.a_matrix_.index_),
        "value": np.asarray(lp.a_matrix_.value_),
        "cost": np.asarray(lp.col_cost_),
        "col_lower": np.asarray(lp.col_lower_),
        "col_upper": np.asarray(lp.col_upper_),
        "row_lower": np.asarray(lp.row_lower_),
        "row_upper": np.asarray(lp.row_upper_),
        "offset": lp.offset_,
        "integrality": [int(x) for x in lp.integrality_],
    }
    with open(out, "wb") as f:
        pickle.dump(d, f)


def compare(a_path: str, b_path: str) -> list[str]:
    """Names of the parts that differ (empty: identical)."""
    import numpy as np

    with open(a_path, "rb") as f:
        a = pickle.load(f)
    with open(b_path, "rb") as f:
        b = pickle.load(f)
    diff = []
    for k in a:
        x, y = a[k], b.get(k)
        if isinstance(x, np.ndarray):
            same = isinstance(y, np.ndarray) and x.shape == y.shape and np.array_equal(x, y)
        else:
            same = x == y
        if not same:
            diff.append(k)
    return diff


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("cases", nargs="*", default=list(DEFAULT))
    ap.add_argument("--against", required=False, help="source tree to compare the working tree with")
    ap.add_argument("--ref-handoff", choices=("direct", "pyomo"), help="$GRIDSITE_HANDOFF of the reference side")
    ap.add_argument("--dump", nargs=2, metavar=("CASE", "OUT"), help=argparse.SUPPRESS)
    a = ap.parse_args(argv)
    if a.dump:
        sys.path.insert(0, str(HERE))
        import run as harness

        if os.environ.get("GRIDSITE_BENCH_SRC"):
            harness.use_source(os.environ["GRIDSITE_BENCH_SRC"])
        dump(*a.dump)
        return 0
    if not a.against:
        ap.error("--against SOURCE_TREE is required")
    bad = 0
    with tempfile.TemporaryDirectory() as tmp:
        for spec in a.cases:
            paths = []
            for label, src in (("ref", a.against), ("new", None)):
                out = str(Path(tmp) / f"{spec}.{label}.pkl")
                env = {k: v for k, v in os.environ.items() if k not in ("GRIDSITE_BENCH_SRC", "GRIDSITE_HANDOFF")}
                if src:
                    env["GRIDSITE_BENCH_SRC"] = src
                if label == "ref" and a.ref_handoff:
                    env["GRIDSITE_HANDOFF"] = a.ref_handoff
                p = subprocess.run(
                    [sys.executable, __file__, "--dump", spec, out], cwd=ROOT, env=env, capture_output=True, text=True
                )
                if p.returncode:
                    print(f"{spec}: ERROR ({label}) {(p.stderr.strip().splitlines() or ['?'])[-1]}")
                    bad += 1
                    break
                paths.append(out)
            else:
                diff = compare(*paths)
                print(f"{spec}: {'IDENTICAL' if not diff else 'DIFFERENT in ' + ', '.join(diff)}", flush=True)
                bad += bool(diff)
    return 1 if bad else 0


if __name__ == "__main__":
    raise SystemExit(main())
