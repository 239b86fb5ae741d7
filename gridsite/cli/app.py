"""The ``gridsite`` command line: parses, calls the API, prints; no modelling here.

This module is the table of contents: the typer application and its commands, in the order ``gridsite --help``
lists them. Each command lives in a module with one job (:mod:`~gridsite.cli.solve`, :mod:`~gridsite.cli.data`,
:mod:`~gridsite.cli.render`, :mod:`~gridsite.cli.studies`); shared options are in :mod:`~gridsite.cli.options`,
the guarded runner (exceptions → exit codes, signals) in :mod:`~gridsite.cli.guard` and terminal output in
:mod:`~gridsite.cli.console`. Heavy libraries (pyomo, HiGHS, geopandas, matplotlib) are imported by the commands
when they run, so ``gridsite --help`` stays fast.

Exit codes: 0 solved; 2 bad input (file, field, what is allowed); 3 infeasible (which policy or limit, by how
much); 4 time limit with no feasible solution; 1 unexpected error.
"""

from __future__ import annotations

import sys
from typing import Annotated

try:
    import typer

    from gridsite.cli import data, render, serve, solve, studies
except KeyboardInterrupt:  # Ctrl-C during start-up: one line, exit 130, no traceback
    from gridsite.errors import exit_if_interrupted_at_start

    exit_if_interrupted_at_start()
    raise

app = typer.Typer(
    add_completion=False, no_args_is_help=True, help="gridsite: site GPU clusters where power is cheap and green."
)
data_app = typer.Typer(no_args_is_help=True, help="Explore the bundled region sets and their datasets.")
app.add_typer(data_app, name="data")


def _print_version(value: bool) -> None:
    if value:
        from gridsite import __version__

        typer.echo(f"gridsite {__version__}")
        raise typer.Exit()


@app.callback()
def _options(
    version: Annotated[
        bool,
        typer.Option(
            "--version", callback=_print_version, is_eager=True, help="Print gridsite's version and exit"
        ),
    ] = False,
) -> None:
    """gridsite: site GPU clusters where power is cheap and green."""


app.command()(solve.solve)
app.command()(solve.validate)
app.command()(solve.demand)
data_app.command("list")(data.data_list)
data_app.command("show")(data.data_show)
data_app.command("import-profiles")(data.data_import_profiles)
data_app.command("copy")(data.data_copy)
app.command("map")(render.map_cmd)
app.command()(studies.pareto)
app.command()(studies.sweep)
app.command()(render.report)
app.command()(render.compare)
app.command()(serve.serve)


def main() -> None:
    """Run the ``gridsite`` command (console script and ``python -m gridsite``).

    A command that called :func:`gridsite.cli.guard.allow_fast_exit` ends with ``os._exit`` after its output is
    flushed: its files are written and closed, and the interpreter's teardown would only free memory.
    """
    try:
        app()
    except KeyboardInterrupt:  # pragma: no cover
        sys.exit(130)
    except SystemExit as exc:
        from gridsite.cli.guard import fast_exit_allowed

        if fast_exit_allowed():
            import os

            code = exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
            sys.stdout.flush()
            sys.stderr.flush()
            os._exit(code)
        raise


if __name__ == "__main__":
    main()
