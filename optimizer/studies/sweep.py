"""Policy sweeps on Dask: every point of a sweep file is an independent scenario solve.

- :func:`executor` gives a Dask client on a ``LocalCluster`` of worker processes (default), a client of an
  existing scheduler (``scheduler="tcp://host:8786"``) or ``None`` for sequential in-process runs (``workers=0``).
- :func:`run_point` is the task: it receives a plain scenario dict (never a RegionSet), loads the region set once
  per worker process (:func:`region_set`) and returns a JSON-able record — infeasible and failed points are
  records too, with their status and message.
- :func:`run_sweep` submits the points not done yet, writes each record atomically to ``DIR/points/<id>.json``
  as it arrives (so an interrupted sweep loses nothing and ``resume=True`` skips finished points), then combines
  all records into ``sweep.parquet`` and ``sweep.csv``. Folder checks, the output marker, JSON files and the
  per-point run folders go through the :class:`~optimizer.studies.store.StudyStore` the caller passes
  (``gridsite.run_sweep`` passes the rendering layer's run-folder store).

Every point solves with the same HiGHS thread count (the sweep file's ``threads``, default 1) whatever the
number of workers, so the results do not depend on how the sweep was run.
"""

from __future__ import annotations

import functools
import json
import logging
import os
import socket
import time
import warnings
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from optimizer.model.scenario import ScenarioError
from optimizer.model.summary import jsonable
from optimizer.studies.store import StudyStore
from optimizer.studies.sweepfile import Point, Sweep

#: Statuses of a finished point: ``--resume`` does not solve these again ("error" points are retried).
DONE_STATUSES = ("optimal", "feasible", "time_limit", "infeasible")  # feasible: a bracket whose gap stayed open


# --- execution ------------------------------------------------------------------------------------------


@functools.lru_cache(maxsize=4)
def region_set(name: str, profiles: tuple[tuple[str, str], ...] = ()):
    """The region set, loaded once per process (each Dask worker keeps its own copy)."""
    from geodata import load_region_set

    return load_region_set(name, profiles=dict(profiles) or None, check_polygons=False)


def default_workers() -> int:
    return max(1, os.cpu_count() or 1)


@contextmanager
def executor(workers: int | None = None, scheduler: str | None = None) -> Iterator[Any]:
    """Yield a ``dask.distributed.Client`` (or ``None`` for sequential runs) and always close what was opened.

    ``scheduler`` connects to an existing cluster; otherwise ``workers`` > 0 starts a ``LocalCluster`` of that
    many single-threaded worker processes and ``workers == 0`` runs the tasks one after another in this process.
    """
    if scheduler is None and workers == 0:
        yield None
        return
    from dask.distributed import Client, LocalCluster

    if scheduler is not None:
        try:
            client = Client(scheduler, timeout="15s")
        except (OSError, TimeoutError) as exc:
            raise ScenarioError(
                "command line", [("--scheduler", f"cannot connect to a Dask scheduler at '{scheduler}': {exc}")]
            ) from None
        try:
            yield client
        finally:
            client.close()
        return
    n = default_workers() if workers is None else workers
    with warnings.catch_warnings():
        # without a dashboard the scheduler still opens a small HTTP server (health checks), on another port when
        # 8787 is taken (another cluster running): that is harmless, as are sockets distributed leaves to the GC
        warnings.filterwarnings("ignore", message="Port .* is already in use", category=UserWarning)
        warnings.filterwarnings("ignore", category=ResourceWarning)
        cluster = LocalCluster(
            n_workers=n,
            threads_per_worker=1,
            processes=True,
            dashboard_address=None,
            silence_logs=logging.ERROR,
        )
        try:
            client = Client(cluster)
            try:
                yield client
            finally:
                client.close()
        finally:
            cluster.close()


def describe(client: Any) -> dict:
    """Where the tasks run: for the manifest."""
    if client is None:
        return {"executor": "sequential", "workers": 0}
    info = client.scheduler_info()
    return {"executor": "dask", "scheduler": client.scheduler.address, "workers": len(info.get("workers", {}))}


def map_unordered(
    client: Any, fn: Callable, tasks: list[tuple[str, tuple]], label: str = "gridsite"
) -> Iterator[tuple[str, Any, BaseException | None]]:
    """Run ``fn(*args)`` for every ``(key, args)``; yield ``(key, result, exception)`` as each finishes."""
    if client is None:
        for key, args in tasks:
            try:
                yield key, fn(*args), None
            except Exception as exc:
                yield key, None, exc
        return
    import uuid

    from dask.distributed import as_completed

    run = uuid.uuid4().hex[:8]
    futures = {client.submit(fn, *args, key=f"{label}-{key}-{run}", pure=False): key for key, args in tasks}
    try:
        for fut in as_completed(list(futures)):
            key = futures[fut]
            try:
                yield key, fut.result(), None
            except Exception as exc:
                yield key, None, exc
            fut.release()
    finally:
        pending = [f for f in futures if not f.done()]
        if pending:
            client.cancel(pending)


# --- one point ---------------------------------------------------------------------------------------------


def run_point(point_id: str, scenario: dict, file: str = "<sweep>", keep_result: bool = False) -> dict:
    """Solve one point scenario and return its record (JSON-able); with ``keep_result`` also the Result.

    Never raises for a failed solve: infeasible, time-limit and unexpected failures are records with a status.
    """
    from gridsite.errors import InfeasibleError
    from optimizer.model.scenario import parse_scenario
    from optimizer.model.solve import TimeLimitError, solve

    t0, c0 = time.perf_counter(), time.process_time()
    where = {"worker": f"{socket.gethostname()}:{os.getpid()}"}
    record: dict[str, Any] = {"point_id": point_id, **where}
    result = None
    try:
        sc = parse_scenario(scenario, file)
        record["solver_threads"] = sc.solver.threads
        rs = region_set(sc.region_set, tuple(sorted(sc.grid.profiles.items())))
        result = solve(sc, file=f"{file} [{point_id}]", region_set=rs)
        summary = result.summary()
        record.update(status=summary["status"], message="", summary=summary)
    except InfeasibleError as exc:
        reasons = "; ".join(d.message for d in exc.diagnosis)
        message = f"{exc.summary.rstrip(':')}: {reasons}" if reasons else exc.summary
        record.update(status="infeasible", message=message, diagnosis=[d.as_dict() for d in exc.diagnosis])
    except TimeLimitError as exc:
        record.update(status="time_limit", message=str(exc))
    except ScenarioError as exc:
        record.update(status="error", message=f"bad input: {exc}")
    except Exception as exc:
        record.update(status="error", message=f"{type(exc).__name__}: {exc}")
    record["wall_s"] = round(time.perf_counter() - t0, 3)
    record["cpu_s"] = round(time.process_time() - c0, 3)  # CPU time the worker process got (all its threads)
    if keep_result:
        return {"record": record, "result": result}
    return record


def run_cap_series(points: list[tuple[str, dict]], file: str = "<sweep>", keep_result: bool = False) -> list[dict]:
    """Solve points whose scenarios differ only in ``policy.carbon_cap_t`` on one compiled model.

    Same records as :func:`run_point`, one per point in the given order (order them by ascending cap: each
    point's solution is then a feasible start for the next). The model data, build and handoff happen once
    (:func:`optimizer.model.solve.solve_carbon_caps`); if the scenarios differ in anything else, or the series itself
    fails, the points are solved one by one with :func:`run_point`.
    """
    from gridsite.errors import InfeasibleError
    from optimizer.model.scenario import parse_scenario
    from optimizer.model.solve import TimeLimitError, solve_carbon_caps

    def without_cap(d: dict) -> dict:
        return {**d, "policy": {k: v for k, v in d.get("policy", {}).items() if k != "carbon_cap_t"}}

    scenarios = [sc for _, sc in points]
    caps = [sc.get("policy", {}).get("carbon_cap_t") for sc in scenarios]
    same = all(without_cap(sc) == without_cap(scenarios[0]) for sc in scenarios)
    if (
        not points
        or not same
        or any(c is None for c in caps)
        or scenarios[0].get("objective", {}).get("mode") == "carbon"
    ):
        return [run_point(pid, sc, file, keep_result) for pid, sc in points]
    out: list[dict] = []
    t0, c0 = time.perf_counter(), time.process_time()
    where = {"worker": f"{socket.gethostname()}:{os.getpid()}"}
    try:
        base = parse_scenario(scenarios[0], file)
        rs = region_set(base.region_set, tuple(sorted(base.grid.profiles.items())))
        series = solve_carbon_caps(base, caps, file=f"{file} [{points[0][0]}…{points[-1][0]}]", region_set=rs)
        for (pid, _), item in zip(points, series, strict=True):
            record: dict[str, Any] = {"point_id": pid, **where, "solver_threads": base.solver.threads}
            result = None
            if isinstance(item, InfeasibleError):
                reasons = "; ".join(d.message for d in item.diagnosis)
                message = f"{item.summary.rstrip(':')}: {reasons}" if reasons else item.summary
                record.update(status="infeasible", message=message, diagnosis=[d.as_dict() for d in item.diagnosis])
            elif isinstance(item, TimeLimitError):
                record.update(status="time_limit", message=str(item))
            else:
                result = item
                summary = result.summary()
                record.update(status=summary["status"], message="", summary=summary, reused_model=bool(out))
            t1, c1 = time.perf_counter(), time.process_time()
            record["wall_s"] = round(t1 - t0, 3)
            record["cpu_s"] = round(c1 - c0, 3)
            t0, c0 = t1, c1
            out.append({"record": record, "result": result} if keep_result else record)
    except Exception:  # the series broke (unexpected): solve the remaining points independently
        done = len(out)
        out.extend(run_point(pid, sc, file, keep_result) for pid, sc in points[done:])
    return out


def progress_bar(console: Any, quiet: bool = False):
    """A rich progress bar (points done / total, elapsed) on ``console``; silent when ``quiet``."""
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    return Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=console,
        disable=quiet,
        transient=False,
    )


# --- records and tables ------------------------------------------------------------------------------------


def flat_row(rec: dict, parameter_names: list[str]) -> dict:
    """One table row of a point record: parameters, status, objective, costs, emissions, green shares, placement."""
    params = rec.get("parameters", {})
    labels = rec.get("labels", {})
    row: dict[str, Any] = {"point_id": rec["point_id"], "index": rec.get("index")}
    for name in parameter_names:
        row[name] = params.get(name)
        if name in labels:
            row[f"label:{name}"] = labels[name]
    s = rec.get("summary") or {}
    row.update(
        status=rec.get("status"),
        message=rec.get("message") or "; ".join(d.get("message", "") for d in rec.get("diagnosis", [])),
        objective=s.get("objective"),
        objective_mode=s.get("objective_mode"),
        mip_gap=s.get("mip_gap"),
        gap_basis=s.get("gap_basis"),
        gap_abs=s.get("gap_abs"),
        total_cost=s.get("total_cost"),
        cost_unit=s.get("cost_unit"),
    )
    for k, v in (s.get("cost_breakdown") or {}).items():
        row[f"cost.{k}"] = v
    em = s.get("emissions_t") or {}
    row["emissions_t.location_based"] = em.get("location_based")
    row["emissions_t.market_based"] = em.get("market_based")
    gs = s.get("green_share") or {}
    row["green_share.min"] = min(gs.values()) if gs else None
    for site, v in sorted(gs.items()):
        row[f"green_share.{site}"] = v
    d = s.get("demand") or {}
    row["energy_twh"] = d.get("energy_twh")
    row["facility_mw"] = d.get("facility_mw")
    placement = s.get("placement") or {}
    row["placement"] = "; ".join(f"{c}={p or '(unbuilt)'}" for c, p in placement.items()) if placement else None
    row["sites_used"] = len({p for p in placement.values() if p}) if placement else None
    for c, p in placement.items():
        row[f"placement.{c}"] = p
    row["solver_threads"] = rec.get("solver_threads")
    row["solve_s"] = (s.get("timings_s") or {}).get("total")
    row["wall_s"] = rec.get("wall_s")
    row["cpu_s"] = rec.get("cpu_s")
    row["worker"] = rec.get("worker")
    row["scenario_sha256"] = rec.get("scenario_sha256")
    return row


def table(records: list[dict], parameter_names: list[str]) -> pd.DataFrame:
    rows = [flat_row(r, parameter_names) for r in sorted(records, key=lambda r: r.get("index", 0))]
    df = pd.DataFrame(rows)
    for c in df.columns:  # parquet needs one type per column: non-scalar or mixed values become JSON text
        if df[c].dtype == object:
            kinds = {type(v) for v in df[c] if v is not None and not (isinstance(v, float) and pd.isna(v))}
            if len(kinds) > 1 or kinds & {dict, list}:
                df[c] = [None if v is None else json.dumps(v, sort_keys=True, default=str) for v in df[c]]
    return df


# --- the sweep ---------------------------------------------------------------------------------------------


@dataclass
class SweepRun:
    out: Path
    table: pd.DataFrame
    counts: dict[str, int]
    solved: list[str] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)
    wall_s: float = 0.0
    executor: dict = field(default_factory=dict)


def points_dir(out: Path) -> Path:
    return Path(out) / "points"


def read_records(out: Path) -> dict[str, dict]:
    recs = {}
    for p in sorted(points_dir(out).glob("*.json")):
        try:
            rec = json.loads(p.read_text(encoding="utf-8"))
        except (OSError, json.JSONDecodeError):
            continue  # a damaged file is solved again
        # only a record whose file name and point id agree counts (a copied or renamed file is solved again)
        if isinstance(rec, dict) and rec.get("point_id") == p.stem:
            recs[rec["point_id"]] = rec
    return recs


def run_sweep(
    sweep: Sweep,
    out: str | Path,
    *,
    store: StudyStore,
    workers: int | None = None,
    scheduler: str | None = None,
    resume: bool = False,
    run_dirs: bool = False,
    on_start: Callable[[int, int], None] | None = None,
    on_point: Callable[[dict], None] | None = None,
    force: bool = False,
) -> SweepRun:
    """Solve every point of ``sweep`` not already done in ``out`` and combine all records into tables.

    ``store`` checks and marks ``out``, writes the JSON files and, with ``run_dirs``, each point's run folder
    ``runs/<id>``. ``on_start(total, already_done)`` and ``on_point(record)`` report progress. Raises
    :class:`ScenarioError` when ``out`` already holds point results and ``resume`` is false (nothing is
    overwritten), and ``gridsite.errors.OutputRefused`` when ``out`` is not new, empty or an earlier sweep output (a
    foreign folder only with ``force``; files are added to it, none removed). A new folder gets the store's
    output marker.
    """
    out = Path(out)
    store.check_out_dir(out, force=force, accept=("sweep",), writes_into=True)
    fresh = not out.exists() or not any(out.iterdir())  # only gridsite's own folders get the marker
    pdir = points_dir(out)
    existing = read_records(out) if pdir.exists() else {}
    if existing and not resume:
        raise ScenarioError(
            str(out),
            [("--out", f"already holds {len(existing)} point results; pass --resume to continue, or use a new folder")],
        )
    pdir.mkdir(parents=True, exist_ok=True)
    if fresh:  # a missing or empty folder: no marker yet
        store.mark(out, "sweep")
    ids = {pt.point_id for pt in sweep.points}
    by_id_sha = {pt.point_id: pt.scenario_sha256 for pt in sweep.points}
    done = {
        k: r
        for k, r in existing.items()
        if k in ids
        and r.get("status") in DONE_STATUSES
        and r.get("scenario_sha256") == by_id_sha.get(k)  # the content agrees with the point's scenario
    }
    todo = [pt for pt in sweep.points if pt.point_id not in done]
    by_id: dict[str, Point] = {pt.point_id: pt for pt in sweep.points}
    if on_start:
        on_start(len(sweep.points), len(done))
    rs_local = None
    t0 = time.perf_counter()
    solved: list[str] = []
    if not todo:  # nothing left to solve: start no cluster
        workers, scheduler = 0, None
    elif scheduler is None and workers != 0:
        workers = min(default_workers() if workers is None else workers, len(todo))
    with executor(workers, scheduler) as client:
        info = describe(client)
        tasks = [(pt.point_id, (pt.point_id, pt.scenario, sweep.file, run_dirs)) for pt in todo]
        for key, res, exc in map_unordered(client, run_point, tasks, label=f"sweep-{sweep.spec.name}"):
            pt = by_id[key]
            result = None
            if exc is not None:
                rec = {"point_id": key, "status": "error", "message": f"task failed: {type(exc).__name__}: {exc}"}
            elif run_dirs:
                rec, result = res["record"], res["result"]
            else:
                rec = res
            rec.update(  # type: ignore[call-overload]  # a record holds values of several types
                index=pt.index, parameters=pt.parameters, labels=pt.labels, scenario_sha256=pt.scenario_sha256
            )
            if result is not None:
                sc = result.scenario
                if rs_local is None:
                    rs_local = region_set(sc.region_set, tuple(sorted(sc.grid.profiles.items())))
                store.write_run(result, out / "runs" / key, rs_local, scenario_path=sweep.file)
            rec = json.loads(json.dumps(jsonable(rec), default=str))  # exactly what the file holds (as on --resume)
            store.write_json(pdir / f"{key}.json", rec)
            done[key] = rec
            solved.append(key)
            if on_point:
                on_point(rec)
    wall = time.perf_counter() - t0
    records = [done[pt.point_id] for pt in sweep.points if pt.point_id in done]
    df = table(records, sweep.parameter_names)
    _write_table(df, out)
    counts = df.status.value_counts().to_dict() if len(df) else {}
    store.write_json(
        out / "sweep.json",
        {
            "name": sweep.spec.name,
            "description": sweep.spec.description,
            "sweep_file": sweep.file,
            "base_scenario": sweep.base_file,
            "mode": sweep.spec.mode,
            "parameters": sweep.parameter_names,
            "points": len(sweep.points),
            "solved_this_run": len(solved),
            "skipped_already_done": len(sweep.points) - len(todo),
            "counts": counts,
            "solver_threads_per_point": sweep.spec.threads,
            "wall_s_this_run": round(wall, 3),
            "workers_requested": workers if scheduler is None else None,
            **info,
        },
    )
    return SweepRun(
        out=out,
        table=df,
        counts=counts,
        solved=solved,
        skipped=[pt.point_id for pt in sweep.points if pt.point_id not in set(solved)],
        wall_s=wall,
        executor=info,
    )


def _write_table(df: pd.DataFrame, out: Path) -> None:
    for name, write in (
        ("sweep.parquet", lambda p: df.to_parquet(p, index=False)),
        ("sweep.csv", lambda p: df.to_csv(p, index=False)),
    ):
        final = out / name
        tmp = out / f".{name}.partial-{os.getpid()}"
        write(tmp)
        os.replace(tmp, final)
