"""The public functions that compose the layers: studies with the rendering layer's run-folder store, the demand
estimate, maps and reports. Exported from :mod:`gridsite` (``gridsite.run_sweep`` …); users never need the
internal packages ``optimizer``, ``geodata`` or ``rendering``.

Every import happens inside the function that needs it, so importing this module loads neither Pyomo nor HiGHS.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import pandas as pd

    from geodata.regionset import RegionSet
    from optimizer.model.demand import DemandEstimate
    from optimizer.model.scenario import Scenario
    from optimizer.model.solve import Result
    from optimizer.studies.pareto import ParetoRun
    from optimizer.studies.sweep import SweepRun
    from optimizer.studies.sweepfile import Sweep


def load_sweep(path: str | Path) -> Sweep:
    """Read a sweep file (a base scenario plus the parameters to vary) and expand it into validated point
    scenarios (``.points``). Raises ``ScenarioError`` naming the file and the parameter of any problem."""
    from optimizer.studies.sweepfile import load_sweep as _load

    return _load(path)


def run_sweep(
    sweep: Sweep | str | Path,
    out: str | Path,
    *,
    workers: int | None = None,
    scheduler: str | None = None,
    resume: bool = False,
    run_dirs: bool = False,
    on_start: Callable[[int, int], None] | None = None,
    on_point: Callable[[dict], None] | None = None,
    force: bool = False,
) -> SweepRun:
    """Solve every point of a sweep (a :class:`Sweep` or a sweep file) into the folder ``out``: ``points/<id>.json``
    as each finishes, then ``sweep.parquet``, ``sweep.csv`` and ``sweep.json`` (and with ``run_dirs`` a run folder
    per point under ``runs/``). Returns a ``SweepRun`` whose ``.table`` has one row per point.

    ``workers``: local Dask worker processes (``0``: sequential in this process; default: one per CPU);
    ``scheduler``: address of an existing Dask scheduler instead. ``resume``: skip points already done in ``out``.
    ``on_start(total, already_done)`` and ``on_point(record)`` report progress. ``force`` writes into a non-empty
    folder gridsite did not write (files are added, none removed).
    """
    from optimizer.studies.sweep import run_sweep as _run
    from optimizer.studies.sweepfile import Sweep as _Sweep
    from rendering.store import RunFolderStore

    if not isinstance(sweep, _Sweep):
        sweep = load_sweep(sweep)
    return _run(
        sweep,
        out,
        store=RunFolderStore(),
        workers=workers,
        scheduler=scheduler,
        resume=resume,
        run_dirs=run_dirs,
        on_start=on_start,
        on_point=on_point,
        force=force,
    )


def run_pareto(
    scenario: Scenario | str | Path,
    n_points: int,
    out: str | Path,
    *,
    file: str | None = None,
    workers: int | None = None,
    scheduler: str | None = None,
    threads: int = 1,
    time_limit_s: float | None = None,
    mip_gap: float | None = None,
    run_dirs: bool = True,
    on_start: Callable[[int], None] | None = None,
    on_point: Callable[[dict], None] | None = None,
    force: bool = False,
) -> ParetoRun:
    """Trace the cost–carbon frontier of a scenario (a :class:`Scenario` or a scenario file) with ``n_points``
    points (ε-constraint: the minimum-carbon and minimum-cost anchors, then ``n_points − 2`` carbon-capped cost
    minimisations) into the folder ``out``, replaced atomically: ``pareto.csv``, ``pareto.json``, ``pareto.png``
    and, with ``run_dirs``, a run folder per point (``points/pNN``). Returns a ``ParetoRun`` (``.table``,
    ``.non_increasing``, ``.notes`` …).

    ``file`` names the scenario in the outputs (default: the scenario file, or ``<scenario>``); ``threads``,
    ``time_limit_s`` and ``mip_gap`` apply to each point solve; ``workers``/``scheduler`` as in :func:`run_sweep`.
    """
    from optimizer.model.scenario import load_scenario
    from optimizer.studies.pareto import run_pareto as _run
    from rendering.store import RunFolderStore

    if isinstance(scenario, str | Path):
        file = str(scenario) if file is None else file
        scenario = load_scenario(scenario)
    return _run(
        scenario,
        n_points,
        out,
        store=RunFolderStore(),
        file="<scenario>" if file is None else file,
        workers=workers,
        scheduler=scheduler,
        threads=threads,
        time_limit_s=time_limit_s,
        mip_gap=mip_gap,
        run_dirs=run_dirs,
        on_start=on_start,
        on_point=on_point,
        force=force,
    )


def estimate_demand(
    gpus: int, gpu: str, pue: float = 1.25, utilisation: float | None = None, workload: str = "training"
) -> DemandEstimate:
    """Design and average power (MW) and annual energy (GWh) of a cluster of ``gpus`` GPUs of type ``gpu``, with
    the assumptions used: IT design power = GPUs × server watts per GPU × (1 + network/storage share); average =
    design × utilisation (the workload's default unless given); facility = IT × ``pue``."""
    from optimizer.model.demand import estimate

    return estimate(gpus, gpu, pue=pue, utilisation=utilisation, workload=workload)


def allowed_sites(scenario: Scenario, region_set: RegionSet | None = None) -> pd.DataFrame:
    """The candidate sites each cluster may be placed at once the scenario's restrictions (site lists, latency
    budgets, exclusions) are applied: one row per cluster with ``cluster_id``, ``workload`` and ``sites`` (a tuple
    of site ids). ``region_set`` defaults to the one the scenario names."""
    import pandas as pd

    from optimizer.model.adapter import build_model_data

    rs = region_set if region_set is not None else _region_set(scenario.region_set)
    _, infos = build_model_data(scenario, rs)
    return pd.DataFrame(
        {
            "cluster_id": [i.id for i in infos],
            "workload": [i.workload for i in infos],
            "sites": [i.allowed for i in infos],
        }
    )


def _region_set(name: Any) -> RegionSet:
    from geodata.regionset import load_region_set

    return load_region_set(name, check_polygons=False)


def _map_inputs(
    source: Result | str | Path, region_set: RegionSet | None
) -> tuple[RegionSet, dict[str, pd.DataFrame], dict]:
    """Region set, tables and summary of a Result or of a finished run folder."""
    if isinstance(source, str | Path):
        from rendering.maps import read_run

        tables, summary = read_run(source)
        if region_set is None:
            if not summary.get("region_set"):
                raise FileNotFoundError(f"{source}: summary.json names no region set (not a finished run folder)")
            region_set = _region_set(summary["region_set"])
        return region_set, tables, summary
    if region_set is None:
        region_set = _region_set(source.scenario.region_set)
    return region_set, dict(source.tables), source.summary()


def static_map(
    source: Result | str | Path,
    path: str | Path,
    *,
    region_set: RegionSet | None = None,
    quantity: str = "added_load_mw",
    fmt: str | None = None,
    lang: str = "en",
) -> Path:
    """Draw the static siting map of a Result or of a run folder into ``path`` (PNG, SVG or PDF, by ``fmt`` or the
    suffix) and return it. Regions are coloured by ``quantity`` (``added_load_mw``, ``green_share``,
    ``headroom_used`` …); ``lang="zh"`` labels China's regions and sites in Chinese. ``region_set`` defaults to
    the one the result names (pass it when it is already loaded)."""
    from rendering import maps

    rs, tables, summary = _map_inputs(source, region_set)
    return maps.static_map(rs, tables, summary, path, quantity=quantity, fmt=fmt, lang=lang)


def interactive_map(
    source: Result | str | Path,
    path: str | Path,
    *,
    region_set: RegionSet | None = None,
    quantity: str = "added_load_mw",
    lang: str = "en",
) -> Path:
    """Write the interactive siting map of a Result or of a run folder as one self-contained HTML file (layers
    toggled from the legend, a drop-down of quantities, hover values with units) and return its path."""
    from rendering import maps

    rs, tables, summary = _map_inputs(source, region_set)
    return maps.interactive_map(rs, tables, summary, path, quantity=quantity, lang=lang)


def write_report(
    folder: str | Path,
    out: str | Path | None = None,
    *,
    region_set: RegionSet | None = None,
    lang: str = "en",
    points: bool = False,
) -> Path:
    """Write the self-contained HTML report of a run, sweep or Pareto folder (default ``folder/report.html``) and
    return its path; with ``points`` each point's run folder of a sweep or Pareto front gets its own report."""
    from rendering.report import write_report as _write

    return _write(folder, out, region_set=region_set, lang=lang, points=points)


__all__ = [
    "allowed_sites",
    "estimate_demand",
    "interactive_map",
    "load_sweep",
    "run_pareto",
    "run_sweep",
    "static_map",
    "write_report",
]
