"""What representative days give up: typical-day solves against the hourly solve of the same reference case.

Reference cases (small enough to solve over all 8760 hours, several times): a seeded portfolio of 10 clusters
(the harness's generator, ~1 GW IT) on the hub clusters of a **regional sub-grid of the China set**, written as a
user region set from the bundled tables (same data, same hourly profiles):

- ``--grid northwest`` (default): Inner Mongolia, Ningxia, Gansu and Shaanxi, the 10 directed corridors among them,
  hub sites Horinger, Zhongwei and Qingyang, inference latency-bound to Xi'an (hourly: ~131k columns);
- ``--grid north-west-12``: 12 northern and western provinces, 42 corridors, five hub sites (~456k columns).

The national grid's 166 corridors × 8760 h (1.5 M columns) do not solve hourly on this machine. Policy variants:

- ``annual``: 80 % green share at hub sites, annual matching, certificates tradable (the shipped default);
- ``annual_nocert``: the same with unbundled certificates not counting (``max_share: 0``), so the quota is met
  by dedicated wind and solar delivered over the corridors — where hourly shapes matter under annual matching;
- ``hourly``: 24/7 matching, 60 % of every hour's load green at hub sites (no certificates; batteries allowed).

Each variant is solved hourly (8760 slices, the reference; HiGHS with the interior-point root LP, see
``HOURLY_OPTIONS``) and with 6, 12, 24 and 48 typical days (tsam, hierarchical, medoids with column means
preserved, plus the lowest-wind and lowest-solar days as extreme days), and with 12 days cut into 8 segments.
Reported per run: objective and its difference from the hourly objective, the placement (how many clusters sit at
another site than in the hourly optimum), new wind/solar MW, model size and times. Each aggregated plan is then
*re-evaluated hourly* (``solve(..., fix=plan)`` on the hourly model: the placement is kept, renewables, storage
and dispatch are re-optimised hourly) — its regret, the extra true cost of placing clusters on typical days, is
the figure a planner cares about::

    python benchmarks/aggregation_error.py                       # -> benchmarks/results/aggregation_northwest.csv
    python benchmarks/aggregation_error.py --variants annual_nocert --modes rd6 rd12      # a subset
    python benchmarks/aggregation_error.py --grid north-west-12 --no-regret

Every solve runs in a fresh subprocess (the hourly models take a few GB).
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(HERE))

import run as harness  # noqa: E402  (the harness in this folder)

#: Reference sub-grids: regions kept from the bundled China set, candidate sites, demand centres of the
#: inference clusters.
GRIDS = {
    # 4 provinces, 10 directed corridors, 3 hub sites: the hourly MILP solves in minutes on 2 cores
    "northwest": {
        "regions": ("inner_mongolia", "ningxia", "gansu", "shaanxi"),
        "sites": ("horinger", "zhongwei", "qingyang"),
        "centres": ("xian",),
    },
    # 12 provinces, 42 corridors, 5 hub sites: hourly with certificates ~7-10 min; without certificates or with
    # hourly matching HiGHS found no plan within an hour (root LP unfinished)
    "north-west-12": {
        "regions": (
            "beijing",
            "tianjin",
            "hebei",
            "shanxi",
            "inner_mongolia",
            "shaanxi",
            "ningxia",
            "gansu",
            "qinghai",
            "sichuan",
            "chongqing",
            "guizhou",
        ),
        "sites": ("zhongwei", "qingyang", "horinger", "guian", "zhangjiakou"),
        "centres": ("beijing", "tianjin", "xian", "chengdu", "chongqing_city"),
    },
}


def write_region_set(folder: Path, grid: str = "northwest") -> Path:
    """The reference sub-grid as a user region set (the bundled China tables filtered to ``GRIDS[grid]``)."""
    import pandas as pd
    import yaml

    from geodata.regionset import bundled_path

    src = bundled_path("china")
    folder.mkdir(parents=True, exist_ok=True)
    keep = set(GRIDS[grid]["regions"])
    for name, col in (("regions", "id"), ("sites", "region_id"), ("demand_centres", "region_id")):
        df = pd.read_csv(src / f"{name}.csv", dtype=str, keep_default_na=False)
        df[df[col].isin(keep)].to_csv(folder / f"{name}.csv", index=False)
    corr = pd.read_csv(src / "corridors.csv", dtype=str, keep_default_na=False)
    corr[corr.from_region.isin(keep) & corr.to_region.isin(keep)].to_csv(folder / "corridors.csv", index=False)
    for name in ("tech_costs", "fields"):
        (folder / f"{name}.csv").write_bytes((src / f"{name}.csv").read_bytes())
    meta = yaml.safe_load((src / "regionset.yaml").read_text(encoding="utf-8"))
    meta.update(name=f"china-{grid}", timezone="Etc/GMT-8")  # the bundled set's time zone: same profiles
    (folder / "regionset.yaml").write_text(yaml.safe_dump(meta, allow_unicode=True), encoding="utf-8")
    return folder


MODES = ("hourly", "rd6", "rd12", "rd24", "rd48", "rd12s8")
VARIANTS = {
    "annual": {"min": 0.8, "applies_to": "hubs", "matching": "annual"},
    "annual_nocert": {"min": 0.8, "applies_to": "hubs", "matching": "annual"},
    "hourly": {"min": 0.6, "applies_to": "hubs", "matching": "hourly"},
}
#: certificate policy per variant (default: tradable nationwide, no cap on their share)
CERTIFICATES = {"annual_nocert": {"cross_region": True, "max_share": 0.0}}


HOURLY_OPTIONS = {"mip_lp_solver": "ipx"}


def scenario(
    variant: str,
    mode: str,
    n_clusters: int,
    gap: float,
    time_limit: float,
    region_set: str,
    grid: str = "northwest",
    fixed: bool = False,
) -> dict:
    import cases

    clusters = cases.portfolio("china", n_clusters, seed=7, centres=GRIDS[grid]["centres"])
    # hourly models: interior point (IPX) for the LP — dual simplex had not finished the 131k-column root LP after
    # 12 min, IPX solved the whole MIP in 164 s (1 node). A fixed plan is an LP: ``solver: ipm`` solves it by IPX
    # too (its integer columns are fixed, so dropping integrality changes nothing)
    options = HOURLY_OPTIONS if mode == "hourly" else {}
    if mode == "hourly" and fixed:
        options = {**options, "solver": "ipm"}
    for c in clusters:  # the reference sites are western/northern: loosen latency budgets to keep all feasible
        if "latency_ms" in c:
            c["latency_ms"]["max"] = 40.0
    return {
        "name": f"aggregation-{variant}-{mode}",
        "region_set": region_set,
        "year": 2025,
        "time": cases.TIME_MODES[mode],
        "sites": {"include": list(GRIDS[grid]["sites"])},
        "clusters": clusters,
        "policy": {
            "green_share": VARIANTS[variant],
            "certificates": CERTIFICATES.get(variant, {"cross_region": True, "max_share": 1.0}),
            "carbon_price": 0,
        },
        "objective": {"mode": "cost"},
        "solver": {"mip_gap": gap, "time_limit_s": time_limit, "threads": 2, "seed": 0, "highs_options": options},
    }


def worker(spec: dict) -> dict:
    """Solve one (variant, mode[, fixed plan]) in this process."""
    from gridsite import parse_scenario, solve

    sc = parse_scenario(
        scenario(
            spec["variant"],
            spec["mode"],
            spec["clusters"],
            spec["gap"],
            spec["time_limit"],
            spec["region_set"],
            spec.get("grid", "northwest"),
            fixed=spec.get("fix") is not None,
        )
    )
    t0 = time.perf_counter()
    res = solve(sc, fix=spec.get("fix"))
    wall = time.perf_counter() - t0
    sites = res.tables["sites"]
    regions = res.tables["regions"]
    out = {
        "status": res.status,
        "objective": res.objective,
        "total_cost": res.total_cost,
        "mip_gap": res.mip_gap,
        "slices": res.model_size.get("slices"),
        "columns": res.model_size.get("columns"),
        "rows": res.model_size.get("rows"),
        "wall_s": wall,
        **{f"{k}_s": v for k, v in res.timings_s.items()},
        "placement": res.placement(),
        "emissions_t": res.emissions_t.get("location_based"),
        "grid_gwh": float(sites["grid_gwh"].sum()) if "grid_gwh" in sites else None,
        "peak_rss_mb": harness.peak_rss_mb(),
    }
    for col in ("new_wind_mw", "new_solar_mw", "battery_mw"):
        if col in regions:
            out[col] = float(regions[col].sum())
    for k, v in res.cost_breakdown.items():
        out[f"cost_{k}"] = v
    return out


def sub(spec: dict, timeout: float) -> dict:
    p = subprocess.run(
        [sys.executable, __file__, "--worker", json.dumps(spec)],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=timeout,
    )
    if p.returncode:
        return {"error": (p.stderr.strip().splitlines() or ["?"])[-1][:300]}
    return json.loads(p.stdout.strip().splitlines()[-1])


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--variants", nargs="*", default=list(VARIANTS))
    ap.add_argument("--modes", nargs="*", default=list(MODES[1:]), help="aggregated modes (hourly always runs)")
    ap.add_argument("--grid", choices=list(GRIDS), default="northwest", help="reference sub-grid")
    ap.add_argument("--clusters", type=int, default=10)
    ap.add_argument("--gap", type=float, default=5e-4, help="MIP gap of every solve (tight: compare optima)")
    ap.add_argument("--time-limit", type=float, default=3600.0)
    ap.add_argument("--no-regret", action="store_true", help="skip re-evaluating aggregated plans hourly")
    ap.add_argument(
        "--regret-modes", nargs="*", default=None, help="re-evaluate only these modes' plans hourly (default: all)"
    )
    ap.add_argument("--regret-time-limit", type=float, default=None, help="time limit of each hourly re-evaluation (s)")
    ap.add_argument(
        "--reference",
        type=Path,
        default=None,
        help="reuse the hourly rows of an earlier run of this script (CSV) instead of solving them again",
    )
    ap.add_argument("--out", type=Path, default=None, help="CSV (default benchmarks/results/aggregation_GRID.csv)")
    ap.add_argument("--worker", help=argparse.SUPPRESS)
    a = ap.parse_args(argv)
    if a.worker:
        print(json.dumps(worker(json.loads(a.worker))))
        return 0

    a.out = a.out or HERE / "results" / f"aggregation_{a.grid}.csv"
    mach = harness.machine()
    rows: list[dict] = []
    timeout = a.time_limit * 2 + 1200
    tmp = tempfile.TemporaryDirectory(prefix="gridsite-aggregation-")
    rs_path = str(write_region_set(Path(tmp.name) / f"china-{a.grid}", a.grid))
    for variant in a.variants:
        base = {
            "variant": variant,
            "clusters": a.clusters,
            "gap": a.gap,
            "time_limit": a.time_limit,
            "region_set": rs_path,
            "grid": a.grid,
        }
        ref = _reference(a.reference, variant) if a.reference else None
        if ref is None:
            ref = {"variant": variant, "mode": "hourly", "load1_before": harness.load1()}
            ref.update(sub({**base, "mode": "hourly"}, timeout))
            ref["load1_after"] = harness.load1()
        rows.append(ref)
        harness.write_csv([_flat(r) for r in rows], a.out, mach)
        print(
            f"{variant} hourly: {ref.get('status', ref.get('error'))} obj {harness.fmt(ref.get('objective'))} "
            f"wall {harness.fmt(ref.get('wall_s'))}",
            flush=True,
        )
        ref_plan = ref.get("placement") or {}
        ref_obj = ref.get("objective")
        regret_cache: dict[str, dict] = {}
        for mode in a.modes:
            row = {"variant": variant, "mode": mode, "load1_before": harness.load1()}
            row.update(sub({**base, "mode": mode}, timeout))
            plan = row.get("placement") or {}
            if ref_obj and row.get("objective") is not None:
                row["objective_diff_pct"] = 100.0 * (row["objective"] - ref_obj) / abs(ref_obj)
                row["clusters_moved"] = sum(1 for c, s in plan.items() if ref_plan.get(c) != s)
                wanted = a.regret_modes is None or mode in a.regret_modes
                if not a.no_regret and plan and wanted:
                    key = json.dumps(plan, sort_keys=True)
                    if row["clusters_moved"] == 0:
                        regret_cache[key] = {"objective": ref_obj, "wall_s": 0.0}
                    if key not in regret_cache:
                        rows.append(row)  # the row as it stands, in case the re-evaluation is stopped
                        harness.write_csv([_flat(r) for r in rows], a.out, mach)
                        rows.pop()
                        limit = a.regret_time_limit or a.time_limit
                        regret_cache[key] = sub({**base, "mode": "hourly", "fix": plan, "time_limit": limit}, timeout)
                    ev = regret_cache[key]
                    row["hourly_cost_of_plan"] = ev.get("objective")
                    row["regret_pct"] = (
                        100.0 * (ev["objective"] - ref_obj) / abs(ref_obj) if ev.get("objective") is not None else None
                    )
                    row["regret_eval_wall_s"] = ev.get("wall_s")
            row["load1_after"] = harness.load1()
            rows.append(row)
            harness.write_csv([_flat(r) for r in rows], a.out, mach)
            print(
                f"{variant} {mode}: {row.get('status', row.get('error'))} obj {harness.fmt(row.get('objective'))} "
                f"diff {harness.fmt(row.get('objective_diff_pct'))}% moved {row.get('clusters_moved')} "
                f"regret {harness.fmt(row.get('regret_pct'))}% wall {harness.fmt(row.get('wall_s'))}",
                flush=True,
            )
    tmp.cleanup()
    print(f"wrote {a.out}")
    return 0


#: columns written with full precision (the harness's CSV writer keeps 4 significant digits)
PRECISE = ("objective", "total_cost", "hourly_cost_of_plan")


def _flat(row: dict) -> dict:
    out = dict(row)
    for k, v in out.items():
        if isinstance(v, float) and (k in PRECISE or k.startswith("cost_")):
            out[k] = repr(v)
    if isinstance(out.get("placement"), dict):
        out["placement"] = ";".join(f"{c}={s}" for c, s in sorted(out["placement"].items()))
    return out


def _reference(path: Path, variant: str) -> dict | None:
    """The hourly row of ``variant`` from an earlier CSV of this script (placement parsed back), or None."""
    import pandas as pd

    df = pd.read_csv(path, dtype={"placement": str})
    hit = df[(df.variant == variant) & (df["mode"] == "hourly")]
    if hit.empty:
        return None
    row = {k: v for k, v in hit.iloc[-1].to_dict().items() if not k.startswith("machine_") and pd.notna(v)}
    row["placement"] = dict(item.split("=", 1) for item in str(row.get("placement", "")).split(";") if "=" in item)
    row["reference_from"] = str(path)
    return row


if __name__ == "__main__":
    raise SystemExit(main())
