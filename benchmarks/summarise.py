"""Markdown tables from benchmark CSVs (the tables in docs/performance.md are pasted from here)::

python benchmarks/summarise.py benchmarks/results/scale.csv              # phase table (medians over repeats)
python benchmarks/summarise.py benchmarks/results/aggregation_northwest.csv  # recognised by its columns
python benchmarks/summarise.py benchmarks/results/highs_options*.csv
"""

from __future__ import annotations

import sys
from pathlib import Path

import pandas as pd


def _f(x, nd=1) -> str:
    if x is None or (isinstance(x, float) and pd.isna(x)):
        return "–"
    if isinstance(x, int | float):
        return f"{x:.{nd}f}"
    return str(x)


def scale(df: pd.DataFrame) -> str:
    num = df.select_dtypes("number").columns
    g = df.groupby("case", sort=False)
    med = g[list(num)].median()
    first = g.first()
    lines = [
        "| case | slices | rows × cols (int) | data | build | handoff | HiGHS | extract | end-to-end | peak RSS MB "
        "| gap | HiGHS alone (read + run) | ratio (wall / CPU) | load |",
        "|---|---|---|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for case, r in med.iterrows():
        f = first.loc[case]
        size = (
            f"{int(r['rows']):,} × {int(r['cols']):,} ({int(r['int_cols'])})"
            if "rows" in r and pd.notna(r["rows"])
            else "–"
        )
        alone = (
            f"{_f(r.get('alone_lp_read_s'))} + {_f(r.get('alone_lp_run_s'))}"
            if pd.notna(r.get("alone_lp_run_s"))
            else "–"
        )
        ratio = (
            f"{_f(r.get('overhead_ratio'), 2)} / {_f(r.get('overhead_ratio_cpu'), 2)}"
            if pd.notna(r.get("overhead_ratio"))
            else "–"
        )
        n = int(g.size()[case])
        lines.append(
            f"| {case}{f' (×{n})' if n > 1 else ''} | {_f(r.get('slices'), 0)} | {size} | {_f(r['data_s'])} "
            f"| {_f(r['build_s'])} | {_f(r['handoff_s'])} | {_f(r['highs_s'])} | {_f(r['extract_s'])} "
            f"| {_f(r['e2e_s'])} | {_f(r['peak_rss_mb'], 0)} | {_f(100 * r['mip_gap'], 2)} % | {alone} | {ratio} "
            f"| {_f(f.get('load1_before'), 1)}–{_f(f.get('load1_after'), 1)} |"
        )
    return "\n".join(lines)


def aggregation(df: pd.DataFrame) -> str:
    lines = [
        "| variant | mode | slices | objective | vs hourly | clusters moved | regret (plan re-run hourly) "
        "| new wind GW | new solar GW | solve s |",
        "|---|---|---|---|---|---|---|---|---|---|",
    ]
    for _, r in df.iterrows():
        wind = r.get("new_wind_mw", float("nan")) / 1000
        solar = r.get("new_solar_mw", float("nan")) / 1000
        lines.append(
            f"| {r['variant']} | {r['mode']} | {_f(r.get('slices'), 0)} | {_f(r.get('objective'), 1)} "
            f"| {_f(r.get('objective_diff_pct'), 2)} % | {_f(r.get('clusters_moved'), 0)} "
            f"| {_f(r.get('regret_pct'), 3)} % | {_f(wind, 2)} | {_f(solar, 2)} | {_f(r.get('wall_s'))} |"
        )
    return "\n".join(lines)


def options(df: pd.DataFrame) -> str:
    piv = df.pivot_table(index="case", columns="preset", values="cpu_s", aggfunc="median", sort=False)
    cols = list(piv.columns)
    lines = ["| case | " + " | ".join(cols) + " |", "|---" * (len(cols) + 1) + "|"]
    for case, r in piv.iterrows():
        lines.append(f"| {case} | " + " | ".join(_f(r[c]) for c in cols) + " |")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    for path in argv if argv is not None else sys.argv[1:]:
        df = pd.read_csv(path)
        print(f"\n<!-- {Path(path).name} -->")
        if "preset" in df.columns:
            print(options(df))
        elif "variant" in df.columns:
            print(aggregation(df))
        else:
            print(scale(df))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
