"""``gridsite solve``, ``validate`` and ``demand``: one scenario (or one GPU cluster) at a time."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path
from typing import Annotated

import pandas as pd
import typer

from gridsite.cli import options
from gridsite.cli.console import err, fail, out, print_result, print_table, solve_monitor, table, warn_time_limited
from gridsite.cli.guard import allow_fast_exit, guarded
from gridsite.errors import EXIT_BAD_INPUT, ScenarioError


def read_plan(path: Path) -> dict[str, str]:
    """The plan of ``--fix``: a CSV ``cluster_id,site_id`` as {cluster id: site id} (exit 2 naming the problem)."""
    if not path.exists():
        raise ScenarioError(str(path), [("", "plan file not found")])
    if path.is_dir():
        raise ScenarioError(str(path), [("", "is a folder; a CSV file cluster_id,site_id is expected")])
    try:
        df = pd.read_csv(path, dtype=str, keep_default_na=False)
    except Exception as exc:
        raise ScenarioError(str(path), [("", f"cannot be read as CSV: {exc}")]) from None
    missing = [c for c in ("cluster_id", "site_id") if c not in df.columns.str.strip()]
    if missing:
        raise ScenarioError(str(path), [(missing[0], "required column is missing (columns: cluster_id, site_id)")])
    df.columns = df.columns.str.strip()
    ids = df.cluster_id.str.strip()
    if (ids == "").any():
        row = int((ids == "").to_numpy().nonzero()[0][0]) + 2
        raise ScenarioError(str(path), [("cluster_id", f"line {row}: empty cluster id")])
    dup = ids[ids.duplicated()]
    if len(dup):
        raise ScenarioError(
            str(path), [("cluster_id", f"cluster '{dup.iloc[0]}' appears twice (ids are compared without spaces)")]
        )
    return dict(zip(ids, df.site_id.str.strip(), strict=True))


def solve(
    scenario: Annotated[Path, typer.Argument(help="Scenario YAML file")],
    out_opt: Annotated[Path | None, options.out(options.OUT_RUN_HELP)] = None,
    time_limit: Annotated[float | None, options.time_limit("Seconds (overrides solver.time_limit_s)")] = None,
    mip_gap: Annotated[float | None, options.mip_gap("Relative gap (overrides solver.mip_gap)")] = None,
    write_lp: Annotated[Path | None, typer.Option("--write-lp", help="Also write the model as an LP file")] = None,
    fix: Annotated[Path | None, typer.Option("--fix", help="CSV cluster_id,site_id: evaluate this plan")] = None,
    no_maps: Annotated[bool, typer.Option("--no-maps", help="Skip siting_map.png/html")] = False,
    iis: Annotated[
        bool, typer.Option("--iis", help="When infeasible, also report HiGHS's irreducible infeasible subset")
    ] = False,
    quiet: Annotated[bool, options.quiet("Print only warnings and errors (no progress line, no summary)")] = False,
    verbose: Annotated[bool, options.verbose()] = False,
    force: Annotated[bool, options.force()] = False,
    lang: Annotated[str, options.lang("Language of the terminal tables: en | zh")] = "en",
) -> None:
    """Place the scenario's clusters at least cost (or carbon) and write the results to --out.

    On a terminal a live line shows each HiGHS run: elapsed time against the time limit, incumbent, best bound,
    relative gap and nodes; when stderr is not a terminal (logs) a plain line is printed every 10 s of a run.
    """
    if quiet and verbose:
        fail(EXIT_BAD_INPUT, "--quiet and --verbose cannot be used together: choose one")
    out_dir = options.default_out(out_opt, scenario)
    from optimizer.model.scenario import load_scenario
    from optimizer.model.solve import solve as run_solve
    from rendering.runfolder import write_run

    state = {"name": ""}

    def _check():
        from rendering.safety import OutputRefused, check_out_dir, check_out_file

        options.check_solver_options(time_limit, mip_gap)
        options.check_lang(lang)
        res = check_out_dir(out_dir, force=force, inputs=[scenario, fix])
        if write_lp is not None:
            if Path(os.path.abspath(write_lp)).is_relative_to(res):
                raise OutputRefused(write_lp, "--write-lp", f"is inside --out {out_dir}, which is replaced by the run")
            check_out_file(write_lp, "--write-lp", inputs=[scenario, fix])

    def _run():
        sc = load_scenario(scenario)
        state["name"] = sc.name
        options.check_data_inputs(out_dir, force, sc, [scenario, fix])
        plan = read_plan(fix) if fix else None
        from geodata import load_region_set

        say = (lambda _m: None) if quiet else (lambda m: err.print(f"[dim]…[/] {m}", highlight=False))
        say(f"loading region set '{sc.region_set}'")
        rs = load_region_set(sc.region_set, profiles=dict(sc.grid.profiles) or None)
        monitor = solve_monitor(quiet, verbose)
        from optimizer.model.highs import on_next_run
        from rendering.warmup import Warmup

        warm = Warmup(rs, maps=not no_maps)  # imports and map base scene, on the core HiGHS leaves idle
        with tempfile.TemporaryDirectory() as td, on_next_run(warm.start):
            log = Path(td) / "solver.log"
            try:
                res = run_solve(
                    sc,
                    file=str(scenario),
                    region_set=rs,
                    time_limit=time_limit,
                    mip_gap=mip_gap,
                    fix=plan,
                    write_lp=write_lp,
                    log_file=log,
                    progress=say,
                    iis=iis,
                    monitor=monitor,
                )
            except KeyboardInterrupt:
                raise
            except BaseException:  # infeasible, time limit: the failure summary is written next; let imports finish
                warm.join(5.0)
                raise
            warm.join()
            say(f"writing results to {out_dir}")
            write_run(res, out_dir, rs, scenario_path=str(scenario), log_src=str(log), maps=not no_maps, force=force)
        warn_time_limited(res)
        if not quiet:
            print_result(res, lang)
            out.print(("结果已写入 " if lang == "zh" else "results written to ") + f"[bold]{out_dir}[/]")
        allow_fast_exit()  # every file is written and closed: skip the interpreter's teardown of the run's objects
        return 0

    guarded(_run, out_dir, lambda: state["name"], check=_check, lock=out_dir, force=force)


def is_sweep_file(path: Path) -> bool:
    """True when ``path`` holds a sweep file (a mapping with ``base:`` and ``parameters:``, which no scenario has);
    a file that cannot be read is left to the scenario loader, whose message names the problem."""
    from optimizer.model.scenario import read_yaml

    try:
        data = read_yaml(path)
    except Exception:
        return False
    return isinstance(data, dict) and "base" in data and "parameters" in data


def validate_sweep(path: Path) -> int:
    """Check a sweep file as ``gridsite sweep`` does before it solves anything: its keys, every point as a
    scenario, and the ids each parameter value names against the region set."""
    from gridsite.api import load_sweep
    from optimizer.studies.sweepfile import check_against_region_set

    sw = load_sweep(path)
    check_against_region_set(sw)
    params = ", ".join(sw.parameter_names)
    out.print(
        f"[green]ok[/]: {path}: sweep '{sw.spec.name}' ({sw.spec.mode}) over {params}: {len(sw.points)} points, each "
        f"a valid scenario on base {sw.base_file}",
        highlight=False,
        soft_wrap=True,
    )
    return 0


def validate(scenario: Annotated[Path, typer.Argument(help="Scenario or sweep YAML file")]) -> None:
    """Check a scenario file and the data it refers to, without solving.

    A sweep file (``base:`` + ``parameters:``) is checked as ``gridsite sweep`` would before solving: every point
    is validated as a scenario and every id a parameter value names is looked up in the region set."""
    from geodata import load_region_set
    from optimizer.model.adapter import build_model_data
    from optimizer.model.scenario import load_scenario

    def _run():
        if scenario.is_file() and is_sweep_file(scenario):
            return validate_sweep(scenario)
        sc = load_scenario(scenario)
        rs = load_region_set(sc.region_set, profiles=dict(sc.grid.profiles) or None, check_polygons=True)
        sc_quick = sc.model_copy(update={"time": sc.time.model_copy(update={"mode": "annual"})})
        md, infos = build_model_data(sc_quick, rs, file=str(scenario))
        # the size solve would refuse, estimated for the scenario's own time mode
        from optimizer.model.adapter import check_model_size, estimate_model_size_for
        from optimizer.model.solve import MAX_COLUMNS, MAX_INTEGER_COLUMNS

        size = estimate_model_size_for(sc, md)
        check_model_size(size, str(scenario), MAX_COLUMNS, MAX_INTEGER_COLUMNS)
        out.print(
            f"[green]ok[/]: {scenario}: scenario '{sc.name}' on region set '{rs.name}' ({rs.currency}); "
            f"{len(infos)} clusters in {len(md.groups)} groups, {len(md.sites)} candidate sites, "
            f"time mode {sc.time.mode} (~{size['columns']:,} columns, ~{size['rows']:,} rows)"
        )
        from optimizer.model.solve import large_model_warning

        if (note := large_model_warning(size)) is not None:
            err.print(f"[yellow]{note}[/]", highlight=False)
        return 0

    guarded(_run)


def demand(
    gpus: Annotated[int | None, typer.Option("--gpus", min=1, help="Number of GPUs")] = None,
    gpu: Annotated[str | None, typer.Option("--gpu", help="GPU type (see --list)")] = None,
    pue: Annotated[float, typer.Option("--pue", min=1.0, max=3.0, help="Power usage effectiveness of the site")] = 1.25,
    utilisation: Annotated[
        float | None,
        typer.Option("--utilisation", min=0.01, max=1.0, help="Average power ÷ design power (default by workload)"),
    ] = None,
    workload: Annotated[str, typer.Option("--workload", help="training | inference")] = "training",
    list_gpus: Annotated[bool, typer.Option("--list", help="List the GPU catalogue")] = False,
) -> None:
    """IT design MW, peak and average facility MW and annual GWh of a GPU cluster, with the assumptions used."""
    from optimizer.model.demand import (
        NETWORK_STORAGE_SHARE,
        estimate,
        gpu_catalogue,
        gpu_names,
        max_utilisation,
    )

    def _run():
        if list_gpus or gpus is None or gpu is None:
            if not list_gpus:
                raise ScenarioError("command line", [("--gpus/--gpu", "both are required (or --list)")])
            t = table(
                f"GPU catalogue (design power adds {NETWORK_STORAGE_SHARE:.0%} for networking and storage)",
                ["gpu", "board_w", "server_w_per_gpu", "source"],
                right=("board_w", "server_w_per_gpu"),
            )
            cat = gpu_catalogue()
            for r in cat.itertuples(index=False):
                t.add_row(r.gpu, f"{r.board_w:g}", f"{r.server_w_per_gpu:g}", r.source)
            print_table(t)
            return 0
        if workload not in ("training", "inference"):
            raise ScenarioError("command line", [("--workload", f"must be training or inference (got {workload!r})")])
        if utilisation is not None and utilisation > max_utilisation(workload) + 1e-9:
            raise ScenarioError(
                "command line",
                [("--utilisation", f"at most {max_utilisation(workload):.2f} for {workload} (its peak would exceed "
                  "design power)")],
            )
        try:
            d = estimate(gpus, gpu, pue=pue, utilisation=utilisation, workload=workload)
        except KeyError:
            raise ScenarioError(
                "command line", [("--gpu", f"unknown GPU '{gpu}' (allowed: {', '.join(gpu_names())})")]
            ) from None
        out.print(f"{d.gpus:,} × {d.gpu}, {d.workload}, PUE {d.pue:g}, average utilisation {d.utilisation:.0%}")
        out.print(f"  IT design power        {d.it_design_mw:10.1f} MW   (servers + networking/storage)")
        out.print(f"  peak facility power    {d.facility_design_mw:10.1f} MW   (IT design × PUE: site, grid)")
        out.print(f"  average facility power {d.facility_average_mw:10.1f} MW   (peak × utilisation)")
        out.print(f"  annual energy          {d.energy_gwh:10.1f} GWh  (average facility power × 8760 h)")
        out.print("  assumptions:")
        out.print(f"    {d.server_w_per_gpu:g} W per GPU = vendor maximum system power ÷ GPUs per server ({d.source})")
        out.print(
            f"    + {d.network_storage_share:.0%} for cluster networking and storage (ESTIMATE; published range 5–18 %)"
        )
        how = "given" if utilisation is not None else "ESTIMATE, default"
        out.print(f"    utilisation {d.utilisation:.0%} ({how} for {d.workload}); PUE {d.pue:g} at design conditions")
        return 0

    guarded(_run)
