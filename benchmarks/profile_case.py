"""Profile one benchmark case with cProfile (CPU clock, so a shared machine's load does not distort it).

The region set and its profiles are loaded before profiling starts; the profile covers ``optimizer.model.solve``:
model data (time slices), Pyomo build, handoff to HiGHS, HiGHS, extraction::

    python benchmarks/profile_case.py china-200-rd12                    # top 25 by own time and by cumulative time
    python benchmarks/profile_case.py us-200-rd12 --top 40 --out /tmp/us.prof   # also keep the raw profile
    GRIDSITE_BENCH_SRC=/tmp/base python benchmarks/profile_case.py china-200-rd12   # an older source tree
"""

from __future__ import annotations

import argparse
import cProfile
import os
import pstats
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("case")
    ap.add_argument("--top", type=int, default=25)
    ap.add_argument("--out", type=Path, help="write the raw profile (pstats) here")
    a = ap.parse_args(argv)
    sys.path.insert(0, str(HERE))
    import run as harness

    if os.environ.get("GRIDSITE_BENCH_SRC"):
        harness.use_source(os.environ["GRIDSITE_BENCH_SRC"])
    import cases

    from geodata import load_region_set
    from gridsite import parse_scenario, solve

    case = cases.all_cases()[a.case]
    sc = parse_scenario(case.scenario(), case.name)
    rs = load_region_set(sc.region_set)
    _ = rs.profiles
    prof = cProfile.Profile(time.process_time)
    prof.enable()
    res = solve(sc, region_set=rs)
    prof.disable()
    print(f"{a.case}: {res.status}, objective {res.objective:.6g}, timings {res.timings_s}, load {harness.load1()}")
    if a.out:
        prof.dump_stats(str(a.out))
    st = pstats.Stats(prof)
    st.sort_stats("tottime").print_stats(a.top)
    st.sort_stats("cumulative").print_stats(a.top)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
