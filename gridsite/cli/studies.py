"""``gridsite pareto`` and ``gridsite sweep``: many solves of one scenario (cost–carbon frontier, policy sweep)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.markup import escape

from gridsite.cli import options
from gridsite.cli.console import err, fail, out, print_frontier
from gridsite.cli.guard import guarded
from gridsite.errors import EXIT_INFEASIBLE, ScenarioError


def pareto(
    scenario: Annotated[Path, typer.Argument(help="Scenario YAML file")],
    out_opt: Annotated[Path | None, options.out(options.OUT_RUN_HELP)] = None,
    points: Annotated[int, typer.Option("--points", help="Frontier points incl. the two anchors (≥ 2)")] = 5,
    workers: Annotated[int | None, options.workers()] = None,
    scheduler: Annotated[str | None, options.scheduler()] = None,
    threads: Annotated[int, typer.Option("--threads", min=1, help="HiGHS threads per point solve")] = 1,
    time_limit: Annotated[float | None, options.time_limit("Seconds per point solve")] = None,
    mip_gap: Annotated[float | None, options.mip_gap("Relative gap per point solve")] = None,
    quiet: Annotated[bool, options.quiet()] = False,
    force: Annotated[bool, options.force()] = False,
    lang: Annotated[str, options.lang("Language of the terminal table: en | zh")] = "en",
) -> None:
    """Cost–carbon Pareto frontier (ε-constraint): min-cost, min-carbon, then N−2 carbon-capped cost solves."""
    out_dir = options.default_out(out_opt, scenario)
    from gridsite.api import run_pareto
    from optimizer.model.scenario import load_scenario
    from optimizer.studies.sweep import progress_bar

    def _run():
        sc = load_scenario(scenario)
        options.check_data_inputs(out_dir, force, sc, [scenario])
        with progress_bar(err, quiet) as bar:
            task = bar.add_task(f"pareto {sc.name}", total=points)

            def _point(row):
                bar.advance(task)
                if row["status"] != "optimal" and not quiet:
                    bar.console.print(f"[yellow]{row['point']} {row['kind']}: {row['status']}[/] {row['message']}")

            res = run_pareto(
                sc,
                points,
                out_dir,
                file=str(scenario),
                workers=workers,
                scheduler=scheduler,
                threads=threads,
                time_limit_s=time_limit,
                mip_gap=mip_gap,
                on_point=_point,
                force=force,
            )
        if not quiet:
            print_frontier(res, sc.name, points, out_dir, lang)
        if not res.anchors_ok and (res.table.status == "infeasible").any():
            where = (
                f"the earlier result in {out_dir} was kept unchanged; this run's summary is {res.kept_earlier}"
                if res.kept_earlier is not None
                else "see pareto.csv"
            )
            err.print(
                f"[bold red]error:[/] infeasible: the scenario has no feasible placement ({escape(where)})",
                highlight=False,
                soft_wrap=True,
            )
            return EXIT_INFEASIBLE
        return 0

    def _check():
        from rendering.safety import check_out_dir

        options.check_lang(lang)
        options.check_solver_options(time_limit, mip_gap)
        if not 2 <= points <= options.MAX_PARETO_POINTS:
            limit = options.MAX_PARETO_POINTS
            raise ScenarioError(
                "command line", [("--points", f"must be 2 to {limit:,} (the two anchors), got {points:,}")]
            )
        check_out_dir(out_dir, force=force, inputs=[scenario])

    guarded(_run, check=_check, lock=out_dir, force=force)


def sweep(
    sweep_file: Annotated[Path, typer.Argument(help="Sweep YAML file (base scenario + parameters)")],
    out_opt: Annotated[
        Path | None, options.out("Output folder; points/ are kept as they finish (default: runs/<sweep name>)")
    ] = None,
    workers: Annotated[int | None, options.workers()] = None,
    scheduler: Annotated[str | None, options.scheduler()] = None,
    resume: Annotated[bool, typer.Option("--resume", help="Skip points already done in --out")] = False,
    run_dirs: Annotated[bool, typer.Option("--run-dirs", help="Also write a full run folder per point")] = False,
    quiet: Annotated[bool, options.quiet()] = False,
    force: Annotated[
        bool,
        options.force(
            "Write into --out even if it is a non-empty folder gridsite did not write (files are added, none "
            "removed; never '.', the current folder or a folder holding it or the sweep's files)"
        ),
    ] = False,
) -> None:
    """Solve every point of a policy sweep (in parallel on Dask) into sweep.parquet / sweep.csv."""
    from gridsite.api import load_sweep, run_sweep
    from optimizer.studies.sweep import progress_bar
    from optimizer.studies.sweepfile import check_against_region_set
    from rendering.safety import check_out_dir

    out_dir = options.default_out(out_opt, sweep_file, sweep=True)

    def _check():
        check_out_dir(out_dir, force=force, inputs=[sweep_file], accept=("sweep",), writes_into=True)

    def _run():
        sw = load_sweep(sweep_file)
        check_out_dir(out_dir, force=force, inputs=[sweep_file, sw.base_file], accept=("sweep",), writes_into=True)
        check_against_region_set(sw)
        with progress_bar(err, quiet) as bar:
            task = bar.add_task(f"sweep {sw.spec.name}", total=len(sw.points))

            def _start(total, done):
                bar.update(task, completed=done)
                if done and not quiet:
                    bar.console.print(f"resuming: {done} of {total} points already done")

            def _point(rec):
                bar.advance(task)
                if rec["status"] != "optimal" and not quiet:
                    msg = (rec.get("message") or "").splitlines()[0] if rec.get("message") else ""
                    bar.console.print(f"[yellow]{rec['point_id']}: {rec['status']}[/] {msg}", highlight=False)

            try:
                res = run_sweep(
                    sw,
                    out_dir,
                    workers=workers,
                    scheduler=scheduler,
                    resume=resume,
                    run_dirs=run_dirs,
                    on_start=_start,
                    on_point=_point,
                    force=force,
                )
            except KeyboardInterrupt:
                fail(130, f"interrupted; finished points are kept in {out_dir}/points (continue with --resume)")
        if not quiet:
            counts = ", ".join(f"{v} {k}" for k, v in sorted(res.counts.items()))
            out.print(
                f"{len(sw.points)} points ({counts}); solved {len(res.solved)} in {res.wall_s:.1f} s "
                f"({res.executor.get('executor')}, {res.executor.get('workers')} workers); "
                f"results in [bold]{out_dir}[/]/sweep.parquet and sweep.csv"
            )
        return 0

    guarded(_run, check=_check, lock=out_dir)
