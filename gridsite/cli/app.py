"""The ``gridsite`` command line: parses, calls the API, prints; no modelling here (DESIGN.md §3).

Exit codes: 0 solved; 2 bad input (file, field, what is allowed); 3 infeasible (which policy or limit, by how
much); 4 time limit with no feasible solution; 1 unexpected error.
"""

from __future__ import annotations

import os
import signal
import sys
import tempfile
import threading
import time
import warnings
from collections.abc import Callable
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated

try:
    import pandas as pd
    import typer
    from rich.console import Console
    from rich.markup import escape
    from rich.table import Table

    from gridsite.errors import EXIT_BAD_INPUT, EXIT_ERROR, EXIT_INFEASIBLE, EXIT_TIME_LIMIT, DataError, InfeasibleError
    from optimizer.model.scenario import ScenarioError
except KeyboardInterrupt:  # Ctrl-C during start-up: one line, exit 130, no traceback
    from gridsite.errors import exit_if_interrupted_at_start

    exit_if_interrupted_at_start()
    raise

app = typer.Typer(
    add_completion=False, no_args_is_help=True, help="gridsite: site GPU clusters where power is cheap and green."
)
data_app = typer.Typer(no_args_is_help=True, help="Explore the bundled region sets and their datasets.")
app.add_typer(data_app, name="data")
out = Console()
err = Console(stderr=True)


def _fail(code: int, message: str) -> None:
    # escape: messages carry component names such as green_quota[zhongwei,0] that rich would take for markup
    err.print(f"[bold red]error:[/] {escape(message)}", highlight=False, soft_wrap=True)
    raise typer.Exit(code)


@contextmanager
def _exit_if_stuck_in_solver(grace_s: float = 1.5):
    """End the process on Ctrl-C / SIGTERM that arrives while HiGHS runs native code.

    Python signal handlers run only between bytecodes, so during a long HiGHS call they would wait for it to
    return (up to the time limit). A watcher thread, woken by ``signal.set_wakeup_fd``, exits with 128 + the
    signal number if the main thread is still inside HiGHS after ``grace_s``. Nothing is being written then
    (results are written after the solve, atomically), so no output folder is affected.
    """
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    r, w = os.pipe()
    os.set_blocking(w, False)
    try:
        old_fd = signal.set_wakeup_fd(w, warn_on_full_buffer=False)
    except (ValueError, OSError):
        os.close(r)
        os.close(w)
        yield
        return

    def in_solver() -> bool:
        if "optimizer.model.highs" not in sys.modules:  # HiGHS never loaded: not solving (no import on a signal)
            return False
        from optimizer.model.highs import in_native_solve

        return in_native_solve()

    def watch() -> None:
        while True:
            try:
                data = os.read(r, 1)
            except OSError:
                return
            if not data or data == b"\x00":
                return
            sig = data[0]
            if sig not in (signal.SIGINT, signal.SIGTERM) or not in_solver():
                continue
            end = time.monotonic() + grace_s
            while in_solver() and time.monotonic() < end:
                time.sleep(0.05)
            if in_solver():
                err.show_cursor(True)  # a live progress line (optimizer.model.progress) hides it while it is drawn
                err.print(
                    f"[bold red]error:[/] interrupted (signal {sig}) during the HiGHS solve; no output folder was "
                    "written or replaced",
                    highlight=False,
                )
                err.file.flush()
                safety = sys.modules.get("rendering.safety")
                if safety is not None:
                    safety.drop_lock_files()
                os._exit(128 + sig)

    watcher = threading.Thread(target=watch, name="gridsite-signal-watch", daemon=True)
    watcher.start()
    try:
        yield
    finally:
        signal.set_wakeup_fd(old_fd)
        os.write(w, b"\x00")
        watcher.join(timeout=1.0)
        os.close(r)
        os.close(w)


def guarded(
    fn: Callable[[], int | None],
    out_dir: Path | None = None,
    scenario_name: str | Callable[[], str] = "",
    *,
    check: Callable[[], object] | None = None,
    lock: Path | None = None,
    force: bool = False,
) -> None:
    """Run ``fn`` mapping every known failure to its exit code, with no traceback.

    SIGTERM is turned into KeyboardInterrupt (like Ctrl-C): the output folder is then left as it was (see
    :func:`rendering.runfolder.atomic_dir`) and the exit code is 128 + the signal number. ``scenario_name`` may be
    a callable, read when a failure summary is written (the name is known only once the file is loaded).

    ``check`` runs first (the up-front output path checks of :mod:`rendering.safety`, exit 2 before any work);
    then the folder ``lock`` is held (:func:`rendering.safety.output_lock`) until ``fn`` and any failure summary
    written into ``out_dir`` (exit 3/4; ``force`` as given on the command line) are done.
    """
    from contextlib import ExitStack

    got: dict[str, int] = {}
    stack = ExitStack()

    def _term(signum, _frame):
        got["signal"] = signum
        raise KeyboardInterrupt

    def _name() -> str:
        return scenario_name() if callable(scenario_name) else scenario_name

    in_main = threading.current_thread() is threading.main_thread()
    old = signal.signal(signal.SIGTERM, _term) if in_main else None
    try:
        with warnings.catch_warnings(), _exit_if_stuck_in_solver():
            warnings.simplefilter("default")
            if check is not None:
                check()
            if lock is not None:
                from rendering.safety import output_lock

                stack.enter_context(output_lock(lock))
            code = fn()
    except (ScenarioError, DataError) as exc:
        _fail(EXIT_BAD_INPUT, str(exc))
    except InfeasibleError as exc:
        iis = getattr(exc, "iis", None)
        if out_dir is not None:
            summary = {
                "name": _name(),
                "status": "infeasible",
                "message": exc.summary,
                "diagnosis": [d.as_dict() for d in exc.diagnosis],
            }
            if getattr(exc, "method", ""):
                summary["diagnosis_method"] = exc.method
            if iis is not None:
                summary["iis"] = iis
            kept = _write_failure(out_dir, summary, force)
        msg = f"infeasible: {exc}"
        if iis is not None:
            from optimizer.model.diagnose import format_iis

            msg += "\n" + format_iis(iis)
        if out_dir is not None and kept:
            msg += "\n" + kept
        _fail(EXIT_INFEASIBLE, msg)
    except KeyboardInterrupt:
        sig = got.get("signal", signal.SIGINT)
        _fail(
            128 + int(sig),
            "interrupted; the output folder holds the previous result or a complete new one, never a partial one",
        )
    except typer.Exit:
        raise
    except Exception as exc:
        from optimizer.model.solve import TimeLimitError

        if isinstance(exc, TimeLimitError):
            kept = ""
            if out_dir is not None:
                kept = _write_failure(out_dir, {"name": _name(), "status": "time_limit", "message": str(exc)}, force)
            _fail(EXIT_TIME_LIMIT, str(exc) + (f"\n{kept}" if kept else ""))
        _fail(EXIT_ERROR, f"{type(exc).__name__}: {exc}")
    finally:
        stack.close()
        if in_main:
            signal.signal(signal.SIGTERM, old if old is not None else signal.SIG_DFL)
    if code:
        raise typer.Exit(code)


def _write_failure(out_dir: Path, summary: dict, force: bool) -> str:
    """Write the summary of a failed run (exit 3/4); returns a line for the terminal when the earlier complete
    result in ``out_dir`` was kept (the summary then goes beside it as ``failed-summary.json``), else ''."""
    from rendering.runfolder import FAILED_SUMMARY, write_failure

    try:
        path = write_failure(out_dir, summary, force=force)
    except (ScenarioError, OSError) as exc:
        return f"the failure summary was not written: {exc}"
    if path.name == FAILED_SUMMARY:
        return (
            f"the earlier result in {out_dir} was kept unchanged; this run's summary is {path} "
            "(replaced by the next successful run)"
        )
    return ""


def _check_data_inputs(out_dir: Path, force: bool, sc, inputs: list) -> None:
    """Re-check ``--out`` once the scenario is read: it may not hold the data the scenario names either (a user
    region-set folder, measured profile files)."""
    from rendering.safety import check_out_dir

    data = [sc.region_set] if sc.region_set not in ("china", "us") else []
    data += [v for v in sc.grid.profiles.values() if isinstance(v, str)]
    if data:
        check_out_dir(out_dir, force=force, inputs=[*inputs, *data])


def _force_opt() -> object:
    return typer.Option(
        "--force",
        help="Replace --out even if it is a non-empty folder gridsite did not write (never '.', the current "
        "folder or a folder holding it, the scenario's folder, home or '/')",
    )


MAX_TIME_LIMIT_S = 30 * 86_400.0
"""Longest --time-limit accepted (30 days); longer is a unit mistake."""
MAX_PARETO_POINTS = 1_000
"""Most Pareto points per run (each is a full solve)."""


def _check_solver_options(time_limit: float | None, mip_gap: float | None) -> None:
    """``--mip-gap`` in [0, 1) and ``--time-limit`` in (0, 30 days], finite (exit 2 naming the option)."""
    import math

    problems = []
    if mip_gap is not None and not (math.isfinite(mip_gap) and 0.0 <= mip_gap < 1.0):
        problems.append(("--mip-gap", f"must be a relative gap in [0, 1), e.g. 0.005 (got {mip_gap!r})"))
    if time_limit is not None and not (math.isfinite(time_limit) and 0.0 < time_limit <= MAX_TIME_LIMIT_S):
        problems.append(
            ("--time-limit", f"must be seconds, above 0 and at most {MAX_TIME_LIMIT_S:,.0f} (got {time_limit!r})")
        )
    if problems:
        raise ScenarioError("command line", problems)


def _read_plan(path: Path) -> dict[str, str]:
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


def print_gap_table(regions: pd.DataFrame, top: int = 12) -> None:
    """Regions with added GPU load: firm headroom used, imports, new firm capacity and any gap (MW)."""
    if "added_peak_mw" not in regions or "gap_mw" not in regions:
        return
    gap = regions.gap_mw.fillna(0.0)
    r = regions[(regions.added_peak_mw > 0) | (gap > 0)].assign(_gap=gap)
    if r.empty:
        return
    r = r.sort_values(["_gap", "added_peak_mw"], ascending=False).head(top)
    t = Table(
        title="regional supply adequacy, MW (headroom = firm capacity + firm imports − own peak load × (1 + reserve "
        "margin), at the region's tightest hour)",
        title_justify="left",
    )
    for c in ("region", "headroom", "added peak", "used", "imports", "exports", "new firm", "shed GWh", "gap",
              "green gap (avg)"):
        t.add_column(c, justify="left" if c == "region" else "right")

    def f(x, fmt="{:,.0f}"):
        return "–" if x != x else fmt.format(x)

    for x in r.itertuples(index=False):
        t.add_row(
            x.region_id,
            f(x.headroom_mw),
            f(x.added_peak_mw),
            f(x.headroom_used, "{:.0%}"),
            f(x.grid_import_mw),
            f(x.grid_export_mw),
            f(x.new_firm_mw),
            f(x.shed_gwh, "{:,.1f}"),
            f"[bold red]{x.gap_mw:,.0f}[/]" if x.gap_mw > 0 else f(x.gap_mw),
            f(x.green_gap_mw),
        )
    out.print(t)


def print_result(res) -> None:
    cur = res.currency
    t = Table(title=f"{res.scenario.name}: placement", title_justify="left")
    for c in ("cluster", "workload", "IT design MW", "avg IT MW", "site", "region"):
        t.add_column(c, justify="right" if "MW" in c else "left")
    for r in res.tables["assignments"].itertuples(index=False):
        t.add_row(
            r.cluster_id, r.workload, f"{r.it_design_mw:,.0f}", f"{r.it_mw:,.0f}", r.site_id or "(unbuilt)", r.region_id
        )
    out.print(t)
    s = res.tables["sites"]
    s = s[s.energy_gwh > 0]
    t2 = Table(title="sites used", title_justify="left")
    for c in ("site", "peak MW", "avg MW", "GWh/yr", "green share", "quota", "grid GWh", "dedicated GWh",
              "certificates GWh"):
        t2.add_column(c, justify="left" if c == "site" else "right")
    for r in s.itertuples(index=False):
        t2.add_row(
            r.site_id,
            f"{r.facility_design_mw:,.0f}",
            f"{r.facility_mw:,.0f}",
            f"{r.energy_gwh:,.0f}",
            f"{min(r.green_share, 1.0):.1%}" + ("*" if r.green_share > 1.0 + 1e-6 else ""),
            f"{r.quota:.0%}",
            f"{r.grid_gwh:,.0f}",
            f"{r.dedicated_green_gwh:,.0f}",
            f"{r.certificates_gwh:,.0f}",
        )
    out.print(t2)
    if (s.green_share > 1.0 + 1e-6).any():
        out.print("[dim]* green supply above the site's energy (over-procurement); the share is shown as 100 %[/]")
    t3 = Table(title=f"annual cost, million {cur}/yr", title_justify="left")
    t3.add_column("term")
    t3.add_column("amount", justify="right")
    for k, v in res.cost_breakdown.items():
        if abs(v) >= 0.05:
            t3.add_row(k, f"{v:,.1f}")
    t3.add_row("[bold]total[/]", f"[bold]{res.total_cost:,.1f}[/]")
    out.print(t3)
    print_gap_table(res.tables["regions"])
    e = res.emissions_t
    from rendering.runfolder import gap_text

    unit = f"million {cur} per year" if res.objective_mode == "cost" else "tCO2 per year"
    gap = gap_text(res.objective, res.bound, res.mip_gap, unit)
    out.print(
        f"status [bold]{res.status}[/], gap {gap}; emissions {e['location_based'] / 1e6:,.3f} MtCO2/yr location-based, "
        f"{e['market_based'] / 1e6:,.3f} market-based; build {res.timings_s['build']:.1f} s, "
        f"solve {res.timings_s['solve']:.1f} s, total {res.timings_s['total']:.1f} s"
    )
    for n in res.notes:
        out.print(f"[yellow]note:[/] {n}")
    if res.status == "time_limit":
        out.print("[bold yellow]status time_limit: not proven optimal (see the warning above)[/]")


def _solve_monitor(quiet: bool, verbose: bool):
    """The progress display of a solve: none with --quiet; HiGHS's log with --verbose; else a live line on a
    terminal and a plain line every 10 s of a HiGHS run when stderr is not one (see optimizer.model.progress)."""
    if quiet:
        return None
    from optimizer.model.progress import SolveReporter

    return SolveReporter(err, mode="live" if err.is_terminal else "plain", verbose=verbose)


def warn_time_limited(res) -> None:
    """A time-limited plan gets its warning first, on stderr, even with --quiet."""
    from rendering.runfolder import time_limit_warning

    unit = f"million {res.currency} per year" if res.objective_mode == "cost" else "tCO2 per year"
    msg = time_limit_warning(res.status, res.objective, res.bound, res.mip_gap, unit)
    if msg:
        err.print(f"[bold yellow]warning:[/] {escape(msg)}", highlight=False, soft_wrap=True)


@app.command()
def solve(
    scenario: Annotated[Path, typer.Argument(help="Scenario YAML file")],
    out_dir: Annotated[Path, typer.Option("--out", help="Output folder (replaced atomically)")],
    time_limit: Annotated[
        float | None, typer.Option("--time-limit", help="Seconds (overrides solver.time_limit_s)")
    ] = None,
    mip_gap: Annotated[float | None, typer.Option("--mip-gap", help="Relative gap (overrides solver.mip_gap)")] = None,
    write_lp: Annotated[Path | None, typer.Option("--write-lp", help="Also write the model as an LP file")] = None,
    fix: Annotated[Path | None, typer.Option("--fix", help="CSV cluster_id,site_id: evaluate this plan")] = None,
    no_maps: Annotated[bool, typer.Option("--no-maps", help="Skip siting_map.png/html")] = False,
    iis: Annotated[
        bool, typer.Option("--iis", help="When infeasible, also report HiGHS's irreducible infeasible subset")
    ] = False,
    quiet: Annotated[
        bool, typer.Option("--quiet", "-q", help="Print only warnings and errors (no progress line, no summary)")
    ] = False,
    verbose: Annotated[
        bool,
        typer.Option("--verbose", "-v", help="Stream HiGHS's log to stderr as it runs (solver.log is written too)"),
    ] = False,
    force: Annotated[bool, _force_opt()] = False,
) -> None:
    """Place the scenario's clusters at least cost (or carbon) and write the results to --out.

    On a terminal a live line shows each HiGHS run: elapsed time against the time limit, incumbent, best bound,
    relative gap and nodes; when stderr is not a terminal (logs) a plain line is printed every 10 s of a run.
    """
    if quiet and verbose:
        _fail(EXIT_BAD_INPUT, "--quiet and --verbose cannot be used together: choose one")
    from optimizer.model.scenario import load_scenario
    from optimizer.model.solve import solve as run_solve
    from rendering.runfolder import write_run

    state = {"name": ""}

    def _check():
        from rendering.safety import OutputRefused, check_out_dir, check_out_file

        _check_solver_options(time_limit, mip_gap)
        res = check_out_dir(out_dir, force=force, inputs=[scenario, fix])
        if write_lp is not None:
            if Path(os.path.abspath(write_lp)).is_relative_to(res):
                raise OutputRefused(write_lp, "--write-lp", f"is inside --out {out_dir}, which is replaced by the run")
            check_out_file(write_lp, "--write-lp", inputs=[scenario, fix])

    def _run():
        sc = load_scenario(scenario)
        state["name"] = sc.name
        _check_data_inputs(out_dir, force, sc, [scenario, fix])
        plan = _read_plan(fix) if fix else None
        from geodata import load_region_set

        say = (lambda m: None) if quiet else (lambda m: err.print(f"[dim]…[/] {m}", highlight=False))
        say(f"loading region set '{sc.region_set}'")
        rs = load_region_set(sc.region_set, profiles=dict(sc.grid.profiles) or None)
        monitor = _solve_monitor(quiet, verbose)
        with tempfile.TemporaryDirectory() as td:
            log = Path(td) / "solver.log"
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
            say(f"writing results to {out_dir}")
            write_run(res, out_dir, rs, scenario_path=str(scenario), log_src=str(log), maps=not no_maps, force=force)
        warn_time_limited(res)
        if not quiet:
            print_result(res)
            out.print(f"results written to [bold]{out_dir}[/]")
        return 0

    guarded(_run, out_dir, lambda: state["name"], check=_check, lock=out_dir, force=force)


@app.command()
def validate(scenario: Annotated[Path, typer.Argument(help="Scenario YAML file")]) -> None:
    """Check a scenario file and the data it refers to, without solving."""
    from geodata import load_region_set
    from optimizer.model.adapter import build_model_data
    from optimizer.model.scenario import load_scenario

    def _run():
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


@app.command()
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
            t = Table(title=f"GPU catalogue (design power adds {NETWORK_STORAGE_SHARE:.0%} for networking and storage)")
            cat = gpu_catalogue()
            for c in ("gpu", "board_w", "server_w_per_gpu", "source"):
                t.add_column(c)
            for r in cat.itertuples(index=False):
                t.add_row(r.gpu, f"{r.board_w:g}", f"{r.server_w_per_gpu:g}", r.source)
            out.print(t)
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


@data_app.command("list")
def data_list() -> None:
    """Region sets and their datasets."""
    from geodata import list_region_sets, load_region_set
    from geodata.regionset import TABLES

    def _run():
        t = Table(title="bundled region sets")
        for c in ("set", "currency", "regions", "sites", "corridors", "datasets"):
            t.add_column(c)
        for name in list_region_sets():
            rs = load_region_set(name, check_polygons=False)
            t.add_row(
                name,
                rs.currency,
                str(len(rs.regions)),
                str(len(rs.sites)),
                str(len(rs.corridor_table)),
                ", ".join([*TABLES, "profile_hours"]),
            )
        out.print(t)
        out.print("show one with: gridsite data show china/regions  (or us/corridors, china/profile_hours, …)")
        return 0

    guarded(_run)


@data_app.command("show")
def data_show(
    name: Annotated[str, typer.Argument(help="SET/DATASET, e.g. china/regions, us/corridors, china/profile_hours")],
    csv: Annotated[Path | None, typer.Option("--csv", help="Write the table to this CSV file")] = None,
    rows: Annotated[int, typer.Option("--rows", help="Rows to print")] = 60,
) -> None:
    """Print a dataset as a table (or export it with --csv)."""
    from geodata import load_region_set
    from geodata.regionset import TABLES

    def _check():
        if csv is not None:
            from rendering.safety import check_out_file

            check_out_file(csv, "--csv")

    def _run():
        set_name, _, table = name.partition("/")
        table = table or "regions"
        allowed = [*TABLES, "profile_hours"]
        if table not in allowed:
            raise ScenarioError(
                "command line", [("NAME", f"unknown dataset '{table}' (allowed: {', '.join(allowed)})")]
            )
        rs = load_region_set(set_name, check_polygons=False)
        df = rs.table(table)
        if csv:
            df.to_csv(csv, index=False)
            out.print(f"wrote {len(df)} rows to {csv}")
            return 0
        t = Table(title=f"{set_name}/{table} ({len(df)} rows)")
        cols = [c for c in df.columns if c != "source"][:14]
        for c in cols:
            t.add_column(str(c), overflow="fold")
        for r in df.head(rows).itertuples(index=False):
            d = r._asdict() if hasattr(r, "_asdict") else dict(zip(df.columns, r, strict=True))
            t.add_row(*[f"{d[c]:,.4g}" if isinstance(d[c], float) else str(d[c]) for c in cols])
        out.print(t)
        return 0

    guarded(_run, check=_check)


@data_app.command("import-profiles")
def data_import_profiles(
    region: Annotated[list[str], typer.Option("--region", help="REGION_ID=FILE, one per region (repeat the option)")],
    out_file: Annotated[Path, typer.Option("--out", help="Profile table to write (.csv or .parquet)")],
    fmt: Annotated[str, typer.Option("--format", help="Input format (allowed: ninja)")] = "ninja",
    tech: Annotated[str, typer.Option("--tech", help="wind or solar (names the grid.profiles key to use)")] = "wind",
    set_name: Annotated[str, typer.Option("--set", help="Region set whose ids and time zone apply")] = "china",
    column: Annotated[str, typer.Option("--column", help="Column holding the capacity factor")] = "electricity",
) -> None:
    """Turn downloaded hourly files (renewables.ninja CSVs) into a measured-profile table for grid.profiles."""
    from geodata import load_region_set
    from geodata.profiles import import_ninja

    pairs: dict[str, str] = {}

    def _check():
        from rendering.safety import check_out_file

        if fmt != "ninja":
            raise ScenarioError("command line", [("--format", f"'{fmt}' unknown (allowed: ninja)")])
        if tech not in ("wind", "solar"):
            raise ScenarioError("command line", [("--tech", f"'{tech}' unknown (allowed: wind, solar)")])
        for item in region:
            rid, sep, f = item.partition("=")
            if not sep or not rid or not f:
                raise ScenarioError("command line", [("--region", f"'{item}' is not REGION_ID=FILE")])
            if rid in pairs:
                raise ScenarioError("command line", [("--region", f"region '{rid}' given twice")])
            pairs[rid] = f
        check_out_file(out_file, "--out", suffixes=(".csv", ".parquet"), inputs=list(pairs.values()))

    def _run():
        rs = load_region_set(set_name, check_polygons=False)
        df = import_ninja(pairs, set(rs.regions["id"]), rs.timezone, rs.weather_year, column=column)
        if out_file.suffix.lower() == ".parquet":
            df.to_parquet(out_file, index=False)
        else:
            df.to_csv(out_file, index=False)
        mean = ", ".join(f"{c} {df[c].mean():.3f}" for c in df.columns)
        out.print(f"wrote {len(df)} h × {len(df.columns)} regions to {out_file} (mean capacity factor: {mean})")
        out.print(f"use it in a scenario as  grid: {{profiles: {{{tech}: {out_file}}}}}")
        return 0

    guarded(_run, check=_check)


@app.command("map")
def map_cmd(
    run_dir: Annotated[Path, typer.Argument(help="Output folder of a finished solve")],
    quantity: Annotated[
        str,
        typer.Option(
            "--quantity",
            help="added_load_mw | green_share | gap_mw | headroom_used | headroom_mw | price_per_mwh | ef_t_per_mwh",
        ),
    ] = "added_load_mw",
    fmt: Annotated[
        str | None, typer.Option("--format", help="png | svg | html (default: siting_map.png and .html)")
    ] = None,
    lang: Annotated[str, typer.Option("--lang", help="en | zh")] = "en",
) -> None:
    """Re-draw the maps of a finished run from its files."""
    from geodata import load_region_set
    from rendering import maps

    def _run():
        if fmt not in (None, "png", "svg", "html"):
            raise ScenarioError("command line", [("--format", f"'{fmt}' is not one of png, svg, html")])
        if quantity not in maps.QUANTITIES:
            raise ScenarioError(
                "command line", [("--quantity", f"'{quantity}' is not one of {', '.join(maps.QUANTITIES)}")]
            )
        if lang not in ("en", "zh"):
            raise ScenarioError("command line", [("--lang", f"'{lang}' is not one of en, zh")])
        from rendering.safety import check_run_folder

        check_run_folder(run_dir)
        if not (run_dir / "summary.json").exists():
            raise ScenarioError(str(run_dir), [("", "not a finished run folder (no summary.json)")])
        tables, summary = maps.read_run(run_dir)
        if not summary.get("region_set"):
            status = summary.get("status", "unknown")
            raise ScenarioError(str(run_dir / "summary.json"), [("region_set", f"missing (run status: {status})")])
        rs = load_region_set(summary["region_set"], check_polygons=False)
        if fmt is None:
            paths = list(maps.write_maps(run_dir, rs, quantity=quantity, lang=lang).values())
        elif fmt == "html":
            paths = [
                maps.interactive_map(rs, tables, summary, run_dir / "siting_map.html", quantity=quantity, lang=lang)
            ]
        else:
            paths = [
                maps.static_map(
                    rs, tables, summary, run_dir / f"siting_map.{fmt}", quantity=quantity, fmt=fmt, lang=lang
                )
            ]
        for p in paths:
            out.print(f"wrote {p}")
        return 0

    guarded(_run, lock=run_dir if run_dir.is_dir() else None)


@app.command()
def pareto(
    scenario: Annotated[Path, typer.Argument(help="Scenario YAML file")],
    out_dir: Annotated[Path, typer.Option("--out", help="Output folder (replaced atomically)")],
    points: Annotated[int, typer.Option("--points", help="Frontier points incl. the two anchors (≥ 2)")] = 5,
    workers: Annotated[
        int | None, typer.Option("--workers", min=0, help="Local Dask worker processes (0: sequential)")
    ] = None,
    scheduler: Annotated[
        str | None, typer.Option("--scheduler", help="Existing Dask scheduler, e.g. tcp://host:8786")
    ] = None,
    threads: Annotated[int, typer.Option("--threads", min=1, help="HiGHS threads per point solve")] = 1,
    time_limit: Annotated[float | None, typer.Option("--time-limit", help="Seconds per point solve")] = None,
    mip_gap: Annotated[float | None, typer.Option("--mip-gap", help="Relative gap per point solve")] = None,
    quiet: Annotated[bool, typer.Option("--quiet", "-q")] = False,
    force: Annotated[bool, _force_opt()] = False,
) -> None:
    """Cost–carbon Pareto frontier (ε-constraint): min-cost, min-carbon, then N−2 carbon-capped cost solves."""
    from gridsite.errors import EXIT_INFEASIBLE
    from optimizer.model.scenario import load_scenario
    from optimizer.studies.pareto import run_pareto
    from optimizer.studies.sweep import progress_bar

    def _run():
        sc = load_scenario(scenario)
        _check_data_inputs(out_dir, force, sc, [scenario])
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
            t = Table(title=f"{sc.name}: cost–carbon frontier ({res.accounting.replace('_', '-')})")
            for c in ("point", "kind", "carbon tCO2/yr", f"cost M{res.currency}/yr", "status", "placement"):
                t.add_column(c, justify="right" if "/yr" in c else "left", overflow="fold")
            for r in res.table.itertuples(index=False):
                t.add_row(
                    r.point,
                    r.kind,
                    "" if pd.isna(r.carbon_t) else f"{r.carbon_t:,.0f}",
                    "" if pd.isna(r.cost) else f"{r.cost:,.1f}",
                    r.status,
                    r.placement if isinstance(r.placement, str) else (r.message or ""),
                )
            out.print(t)
            for n in res.notes:
                out.print(f"[yellow]note:[/] {n}")
            out.print(f"{points} points in {res.wall_s:.1f} s; results written to [bold]{out_dir}[/]")
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

        _check_solver_options(time_limit, mip_gap)
        if not 2 <= points <= MAX_PARETO_POINTS:
            raise ScenarioError(
                "command line", [("--points", f"must be 2 to {MAX_PARETO_POINTS:,} (the two anchors), got {points:,}")]
            )
        check_out_dir(out_dir, force=force, inputs=[scenario])

    guarded(_run, check=_check, lock=out_dir, force=force)


@app.command()
def sweep(
    sweep_file: Annotated[Path, typer.Argument(help="Sweep YAML file (base scenario + parameters)")],
    out_dir: Annotated[Path, typer.Option("--out", help="Output folder (points/ are kept as they finish)")],
    workers: Annotated[
        int | None, typer.Option("--workers", min=0, help="Local Dask worker processes (0: sequential)")
    ] = None,
    scheduler: Annotated[
        str | None, typer.Option("--scheduler", help="Existing Dask scheduler, e.g. tcp://host:8786")
    ] = None,
    resume: Annotated[bool, typer.Option("--resume", help="Skip points already done in --out")] = False,
    run_dirs: Annotated[bool, typer.Option("--run-dirs", help="Also write a full run folder per point")] = False,
    quiet: Annotated[bool, typer.Option("--quiet", "-q")] = False,
    force: Annotated[
        bool,
        typer.Option(
            "--force",
            help="Write into --out even if it is a non-empty folder gridsite did not write (files are added, none "
            "removed; never '.', the current folder or a folder holding it or the sweep's files)",
        ),
    ] = False,
) -> None:
    """Solve every point of a policy sweep (in parallel on Dask) into sweep.parquet / sweep.csv."""
    from optimizer.studies.sweep import progress_bar, run_sweep
    from optimizer.studies.sweepfile import check_against_region_set, load_sweep
    from rendering.safety import check_out_dir

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
                _fail(130, f"interrupted; finished points are kept in {out_dir}/points (continue with --resume)")
        if not quiet:
            counts = ", ".join(f"{v} {k}" for k, v in sorted(res.counts.items()))
            out.print(
                f"{len(sw.points)} points ({counts}); solved {len(res.solved)} in {res.wall_s:.1f} s "
                f"({res.executor.get('executor')}, {res.executor.get('workers')} workers); "
                f"results in [bold]{out_dir}[/]/sweep.parquet and sweep.csv"
            )
        return 0

    guarded(_run, check=_check, lock=out_dir)


@app.command()
def report(
    run_dir: Annotated[Path, typer.Argument(help="Folder of a finished solve, sweep or Pareto run")],
    out_file: Annotated[Path | None, typer.Option("--out", help="HTML file (default: DIR/report.html)")] = None,
    points: Annotated[
        bool, typer.Option("--points", help="Sweep/Pareto: also write a report in every point's run folder")
    ] = False,
    lang: Annotated[str, typer.Option("--lang", help="Map labels: en | zh")] = "en",
    force: Annotated[
        bool, typer.Option("--force", help="Replace the --out file even if it is not a report gridsite wrote")
    ] = False,
) -> None:
    """Write a self-contained report.html: maps, costs, emissions, green shares, regional gaps (sweep/Pareto:
    frontier and parameter charts)."""
    from rendering.report import write_report

    def _run():
        if lang not in ("en", "zh"):
            raise ScenarioError("command line", [("--lang", f"'{lang}' is not one of en, zh")])
        from rendering.safety import REPORT_SIGNATURE, check_out_file, check_run_folder

        check_run_folder(run_dir)
        target = out_file if out_file is not None else run_dir / "report.html"
        check_out_file(target, "report --out", force=force, signature=REPORT_SIGNATURE)
        try:
            p = write_report(run_dir, out_file, lang=lang, points=points)
        except FileNotFoundError as exc:
            raise ScenarioError(str(run_dir), [("", str(exc))]) from None
        out.print(f"wrote {p}")
        return 0

    guarded(_run, lock=run_dir if run_dir.is_dir() else None)


def main() -> None:
    try:
        app()
    except KeyboardInterrupt:  # pragma: no cover
        sys.exit(130)


if __name__ == "__main__":
    main()
