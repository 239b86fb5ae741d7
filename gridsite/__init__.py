"""gridsite: where planned GPU clusters should be built so they get their power at the lowest cost and carbon.

The public Python API (everything a user needs; the internal packages ``optimizer``, ``geodata`` and ``rendering``
may change between versions)::

    import gridsite
    sc = gridsite.load_scenario("scenarios/china_hubs_2025.yaml")
    res = gridsite.solve(sc)                          # a Result: status, total_cost (M currency/yr), tables
    res.tables["assignments"]                         # cluster_id, site_id, region_id, it_mw, facility_mw, …
    gridsite.write_run(res, "runs/china")             # the run folder the CLI writes (summary, CSVs, maps)
    gridsite.load_region_set("us").regions            # bundled region sets: gridsite.list_region_sets()
    gridsite.static_map(res, "china.png")             # or interactive_map(res, "china.html"); also of a run folder
    gridsite.write_report("runs/china")               # runs/china/report.html
    sw = gridsite.load_sweep("scenarios/sweeps/china_quota_certificates.yaml")
    gridsite.run_sweep(sw, "runs/quota", workers=2).table   # one row per point; gridsite.run_pareto(sc, 5, DIR)
    gridsite.estimate_demand(100_000, "H100")         # design / average MW and GWh of a GPU cluster

Names are loaded on first use, so ``import gridsite`` is quick.
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

from gridsite.errors import (
    DataError,
    Diagnosis,
    InfeasibleError,
    OutputRefused,
    ScenarioError,
    TimeLimitError,
)

try:
    from importlib.metadata import PackageNotFoundError, version

    try:
        __version__ = version("gridsite")
    except PackageNotFoundError:  # running from a source tree that is not installed
        __version__ = "0+unknown"
except ImportError:  # pragma: no cover
    __version__ = "0+unknown"

_LAZY = {
    "solve": "optimizer.model.solve",
    "solve_file": "optimizer.model.solve",
    "Result": "optimizer.model.solve",
    "load_scenario": "optimizer.model.scenario",
    "parse_scenario": "optimizer.model.scenario",
    "Scenario": "optimizer.model.scenario",
    "load_region_set": "geodata.regionset",
    "list_region_sets": "geodata.regionset",
    "RegionSet": "geodata.regionset",
    "write_run": "rendering.runfolder",
    "build_summary": "optimizer.model.summary",
    "load_sweep": "gridsite.api",
    "run_sweep": "gridsite.api",
    "run_pareto": "gridsite.api",
    "estimate_demand": "gridsite.api",
    "allowed_sites": "gridsite.api",
    "static_map": "gridsite.api",
    "interactive_map": "gridsite.api",
    "write_report": "gridsite.api",
}

if TYPE_CHECKING:
    from geodata.regionset import RegionSet, list_region_sets, load_region_set
    from gridsite.api import (
        allowed_sites,
        estimate_demand,
        interactive_map,
        load_sweep,
        run_pareto,
        run_sweep,
        static_map,
        write_report,
    )
    from optimizer.model.scenario import Scenario, load_scenario, parse_scenario
    from optimizer.model.solve import Result, solve, solve_file
    from optimizer.model.summary import build_summary
    from rendering.runfolder import write_run

__all__ = [
    "DataError",
    "Diagnosis",
    "InfeasibleError",
    "OutputRefused",
    "RegionSet",
    "Result",
    "Scenario",
    "ScenarioError",
    "TimeLimitError",
    "__version__",
    "allowed_sites",
    "build_summary",
    "estimate_demand",
    "interactive_map",
    "list_region_sets",
    "load_region_set",
    "load_scenario",
    "load_sweep",
    "parse_scenario",
    "run_pareto",
    "run_sweep",
    "solve",
    "solve_file",
    "static_map",
    "write_report",
    "write_run",
]


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'gridsite' has no attribute '{name}'")
    try:
        value = getattr(import_module(module), name)
    except KeyboardInterrupt:  # Ctrl-C while the (slow) imports run: one line from the CLI, not a traceback
        from gridsite.errors import exit_if_interrupted_at_start

        exit_if_interrupted_at_start()
        raise
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(__all__)
