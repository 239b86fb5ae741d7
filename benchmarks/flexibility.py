"""Load flexibility and regional headroom: how much new flat load fits the grids if it may shed a small share
of its energy in the tightest hours, on gridsite's own data and model.

Run from the repository root (about a minute)::

    python benchmarks/flexibility.py                  # writes benchmarks/results/flexibility_*.csv and prints
                                                      # the tables of docs/policy.md (--markdown: tables only)

Part 1, headroom unlocked (the shape of the Duke "Rethinking Load Growth" finding, Norris et al. 2025): for each
region, the largest constant new load X whose shed energy over the year, F(X) = Σ_h max(0, X − H(h)), is at most
a share c of its own energy X · 8,760 h (:func:`optimizer.model.families.adequacy.max_flexible_load`), summed over the
regions of each bundled set, for two headroom definitions:
  * ``duke``: H(h) = peak − own load(h) — new load may raise the system load up to its historical peak (Duke's
    definition, which says nothing about whether the peak itself had enough reserve);
  * ``gridsite``: H(h) = max(0, firm + firm imports − own load(h) · (1 + reserve margin)) — what the adequacy rows
    of the model use (region-set default reserve margin, 15 %).
Part 2, the model: forty 200 MW training clusters (8 GW IT design power) forced into one region with no firm
imports (the corridors' spare capacity set to 0), solved for each curtailment share: new firm capacity, shed
energy and cost.
"""

from __future__ import annotations

import csv
import sys
import time
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(ROOT))

SHARES = (0.0, 0.0025, 0.005, 0.01, 0.05)


def headroom_curves() -> list[dict]:
    from geodata import load_region_set
    from optimizer.model.families.adequacy import max_flexible_load

    rows = []
    for name in ("us", "china"):
        rs = load_region_set(name)
        reg = rs.regions.set_index("id")
        rm = float(rs.meta.get("reserve_margin_default", 0.15))
        shapes = rs.system_load
        peak_sum = float(reg["peak_load_gw"].sum())
        for definition in ("duke", "gridsite"):
            for c in SHARES:
                total, hours = 0.0, 0.0
                for r in reg.index:
                    load = shapes[r].to_numpy(float) * float(reg.at[r, "peak_load_gw"])
                    if definition == "duke":
                        h = float(reg.at[r, "peak_load_gw"]) - load
                    else:
                        h = float(reg.at[r, "firm_gw"]) + float(reg.at[r, "firm_import_gw"]) - load * (1 + rm)
                    x = max_flexible_load(np.sort(np.clip(h, 0, None)), c)
                    total += x
                    hours += float((np.clip(h, 0, None) < x - 1e-9).sum()) * x
                rows.append(
                    {
                        "region_set": name,
                        "headroom": definition,
                        "curtailment_share": c,
                        "new_load_gw": round(total, 2),
                        "share_of_summed_peaks": round(total / peak_sum, 4),
                        "curtailed_hours_load_weighted": round(hours / total, 0) if total > 0 else 0.0,
                    }
                )
                print(rows[-1], flush=True)
    return rows


def model_runs(region_set: str = "us", site: str = "TX", clusters: int = 40) -> list[dict]:
    from geodata import load_region_set
    from gridsite import parse_scenario, solve

    rs = load_region_set(region_set)
    rows = []
    for c in SHARES:
        sc = parse_scenario(
            {
                "name": f"flex-{c}",
                "region_set": region_set,
                "time": {"mode": "annual"},
                "sites": {"include": [site], "max_mw": {site: 20000}},
                "clusters": [
                    {"id": "train", "mw": 200, "count": clusters, "flexibility": {"max_curtailment": c}}
                ],
                "policy": {"green_share": {"min": 0.0, "applies_to": "none"}},
                "grid": {"corridor_spare_share": 0.0, "new_renewables": False},
                "solver": {"mip_gap": 0.0},
            }
        )
        t0 = time.perf_counter()
        res = solve(sc, region_set=rs)
        reg = res.tables["regions"].set_index("region_id").loc[rs.sites.set_index("id").at[site, "region_id"]]
        rows.append(
            {
                "region_set": region_set,
                "site": site,
                "clusters_mw_design": 200 * clusters,
                "curtailment_share": c,
                "headroom_mw": round(float(reg.headroom_mw), 1),
                "added_peak_mw": round(float(reg.added_peak_mw), 1),
                "new_firm_mw": round(float(reg.new_firm_mw), 1),
                "shed_gwh": round(float(reg.shed_gwh), 2),
                "total_cost_m": round(res.total_cost, 2),
                "new_firm_cost_m": round(res.cost_breakdown["new_firm"], 2),
                "seconds": round(time.perf_counter() - t0, 1),
            }
        )
        print(rows[-1], flush=True)
    return rows


def write(rows: list[dict], path: Path) -> None:
    with path.open("w", newline="", encoding="utf-8") as f:
        w = csv.DictWriter(f, fieldnames=list(rows[0]))
        w.writeheader()
        w.writerows(rows)
    print(f"wrote {path}")


def markdown(out: Path) -> str:
    """The tables of docs/policy.md ("Load flexibility unlocks headroom") from the two CSV files."""
    rows = list(csv.DictReader((out / "flexibility_headroom.csv").open(encoding="utf-8")))
    parts = []
    for name, title in (("us", "US, 48 states"), ("china", "China, 31 provinces")):
        parts.append(f"{title}:\n")
        parts.append(
            "| curtailment share | new load, Duke headroom (GW; % of summed peaks; hours) | new load, gridsite firm "
            "headroom at 15 % reserve (GW; %; hours) |"
        )
        parts.append("| ---: | ---: | ---: |")
        for c in SHARES:
            cell = {}
            for r in rows:
                if r["region_set"] == name and float(r["curtailment_share"]) == c:
                    cell[r["headroom"]] = (
                        f"{float(r['new_load_gw']):,.0f} ({float(r['share_of_summed_peaks']):.1%}; "
                        f"{float(r['curtailed_hours_load_weighted']):,.0f} h)"
                    )
            parts.append(f"| {c:.2%} | {cell['duke']} | {cell['gridsite']} |")
        parts.append("")
    model = list(csv.DictReader((out / "flexibility_model.csv").open(encoding="utf-8")))
    parts.append("| max_curtailment | new firm MW | shed GWh/yr | total cost, M USD/yr | of which new firm |")
    parts.append("| ---: | ---: | ---: | ---: | ---: |")
    for r in model:
        parts.append(
            f"| {float(r['curtailment_share']):.2%} | {float(r['new_firm_mw']):,.0f} | {float(r['shed_gwh']):,.1f} | "
            f"{float(r['total_cost_m']):,.1f} | {float(r['new_firm_cost_m']):,.1f} |"
        )
    return "\n".join(parts)


if __name__ == "__main__":
    out = HERE / "results"
    if "--markdown" not in sys.argv:
        write(headroom_curves(), out / "flexibility_headroom.csv")
        write(model_runs(), out / "flexibility_model.csv")
    print(markdown(out))
