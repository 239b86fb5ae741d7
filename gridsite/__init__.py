"""gridsite: where planned GPU clusters should be built so they get their power at the lowest cost and carbon.

The public Python API (everything a user needs; the internal packages ``optimizer``, ``geodata`` and ``rendering``
may change between versions)::

    import gridsite
    sc = gridsite.load_scenario("scenarios/china_hubs_2025.yaml")
    res = gridsite.solve(sc)                          # a Result: status, total_cost (M currency/yr), tables
    res.tables["assignments"]                         # cluster_id, site_id, region_id, it_mw, facility_mw, …
    gridsite.write_run(res, "runs/china")             # the run folder the CLI writes (summary, CSVs, maps)
    gridsite.load_region_set("us").regions            # bundled region sets: gridsite.list_region_sets()

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
    "build_summary": "rendering.runfolder",
}

if TYPE_CHECKING:
    from geodata.regionset import RegionSet, list_region_sets, load_region_set
    from optimizer.model.scenario import Scenario, load_scenario, parse_scenario
    from optimizer.model.solve import Result, solve, solve_file
    from rendering.runfolder import build_summary, write_run

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
    "build_summary",
    "list_region_sets",
    "load_region_set",
    "load_scenario",
    "parse_scenario",
    "solve",
    "solve_file",
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
