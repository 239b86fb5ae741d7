"""Options shared by several ``gridsite`` commands, each defined once (flag names, limits, default help), and the
checks of their values that typer cannot express (exit 2 naming the option).

A command declares a shared option as ``name: Annotated[type, options.out()] = default``; a command whose option
means something narrower passes its own ``help`` (``options.time_limit("Seconds per point solve")``).
"""

from __future__ import annotations

import math
import re
from pathlib import Path
from typing import Any

import typer

from gridsite.errors import ScenarioError

MAX_TIME_LIMIT_S = 30 * 86_400.0
"""Longest --time-limit accepted (30 days); longer is a unit mistake."""
MAX_PARETO_POINTS = 1_000
"""Most Pareto points per run (each is a full solve)."""
LANGUAGES = ("en", "zh")
"""Languages of map labels (--lang)."""

FORCE_HELP = (
    "Replace --out even if it is a non-empty folder gridsite did not write (never '.', the current folder or a "
    "folder holding it, the scenario's folder, home or '/')"
)


RUNS_DIR = Path("runs")
"""Where --out goes when not given: runs/<scenario or sweep name> under the current folder."""
OUT_RUN_HELP = "Output folder, replaced atomically (default: runs/<scenario name>)"


def out(help: str = "Output folder (replaced atomically)") -> Any:
    """``--out``: where a command writes."""
    return typer.Option("--out", help=help)


def force(help: str = FORCE_HELP) -> Any:
    """``--force``: write over an output gridsite did not write (never over the places listed in ``help``)."""
    return typer.Option("--force", help=help)


def quiet(help: str = "Print only warnings and errors (no progress bar, no tables)") -> Any:
    """``--quiet`` / ``-q``: print only warnings and errors."""
    return typer.Option("--quiet", "-q", help=help)


def verbose() -> Any:
    """``--verbose`` / ``-v``: stream the solver log."""
    return typer.Option("--verbose", "-v", help="Stream HiGHS's log to stderr as it runs (solver.log is written too)")


def workers() -> Any:
    """``--workers``: local Dask worker processes of a study."""
    return typer.Option("--workers", min=0, help="Local Dask worker processes (0: sequential)")


def scheduler() -> Any:
    """``--scheduler``: an existing Dask scheduler for a study."""
    return typer.Option("--scheduler", help="Existing Dask scheduler, e.g. tcp://host:8786")


def time_limit(help: str) -> Any:
    """``--time-limit``: seconds, checked by :func:`check_solver_options`."""
    return typer.Option("--time-limit", help=help)


def mip_gap(help: str) -> Any:
    """``--mip-gap``: relative MIP gap, checked by :func:`check_solver_options`."""
    return typer.Option("--mip-gap", help=help)


def lang(help: str = "en | zh") -> Any:
    """``--lang``: language of map labels, checked by :func:`check_lang`."""
    return typer.Option("--lang", help=help)


def check_solver_options(time_limit: float | None, mip_gap: float | None) -> None:
    """``--mip-gap`` in [0, 1) and ``--time-limit`` in (0, 30 days], finite (exit 2 naming the option)."""
    problems = []
    if mip_gap is not None and not (math.isfinite(mip_gap) and 0.0 <= mip_gap < 1.0):
        problems.append(("--mip-gap", f"must be a relative gap in [0, 1), e.g. 0.005 (got {mip_gap!r})"))
    if time_limit is not None and not (math.isfinite(time_limit) and 0.0 < time_limit <= MAX_TIME_LIMIT_S):
        problems.append(
            ("--time-limit", f"must be seconds, above 0 and at most {MAX_TIME_LIMIT_S:,.0f} (got {time_limit!r})")
        )
    if problems:
        raise ScenarioError("command line", problems)


def check_lang(lang: str) -> None:
    """``--lang`` is one of :data:`LANGUAGES` (exit 2)."""
    if lang not in LANGUAGES:
        raise ScenarioError("command line", [("--lang", f"'{lang}' is not one of {', '.join(LANGUAGES)}")])


def check_data_inputs(out_dir: Path, force: bool, sc, inputs: list) -> None:
    """Re-check ``--out`` once the scenario is read: it may not hold the data the scenario names either (a user
    region-set folder, measured profile files)."""
    from geodata.regionset import is_bundled, region_set_folder
    from rendering.safety import check_out_dir

    folder = region_set_folder(sc.region_set)
    data = [] if is_bundled(folder) else [str(folder)]
    data += [v for v in sc.grid.profiles.values() if isinstance(v, str)]
    if data:
        check_out_dir(out_dir, force=force, inputs=[*inputs, *data])


def folder_name(name: str) -> str:
    """A scenario or sweep name as a folder name: runs of characters other than letters, digits, ``_ . -`` become
    ``_`` (``China hubs/2025`` → ``China_hubs_2025``)."""
    return re.sub(r"[^A-Za-z0-9_.\-]+", "_", name).strip("._") or "run"


def default_out(out_dir: Path | None, file: Path, *, sweep: bool = False) -> Path:
    """``--out`` as given, else ``runs/<name>`` with the ``name:`` of the scenario (or sweep) ``file``, printed on
    stderr (even with --quiet: the user must learn where the results went). A file that cannot be read ends the
    command with exit 2 naming the problem, as the command itself would."""
    if out_dir is not None:
        return out_dir
    from gridsite.cli.console import err
    from gridsite.cli.guard import guarded

    got: dict[str, str] = {}

    def _name() -> int:
        if sweep:
            from optimizer.model.scenario import read_yaml
            from optimizer.studies.sweepfile import parse_sweep

            got["name"] = parse_sweep(read_yaml(file), str(file)).name
        else:
            from optimizer.model.scenario import load_scenario

            got["name"] = load_scenario(file).name
        return 0

    guarded(_name)
    path = RUNS_DIR / folder_name(got["name"])
    err.print(f"--out not given: writing to {path}", highlight=False)
    return path
