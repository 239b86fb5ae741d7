"""Jobs: solving runs and sweeps in the background on Dask, and what each job leaves on disk.

A job's inputs and live state are in ``jobs/<id>/`` (``scenario.yaml`` or ``sweep.yaml``; ``state.json``, which
the worker rewrites while it runs: status, start time and, during the MIP, elapsed seconds, incumbent, best bound
and relative gap); its results go to ``runs/<id>/`` through :func:`gridsite.write_run` (or
:func:`gridsite.run_sweep`). :func:`execute_run` and :func:`execute_sweep` run on a Dask worker and return
``{"status": "done" | "failed", "message": ...}``; the server records that in the index when the future ends.
A failed run's message is the CLI's: for an infeasible run, which policy or limit and by how much.
"""

from __future__ import annotations

import json
import os
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

PROGRESS_INTERVAL_S = 1.0

_REGION_SETS: dict[str, Any] = {}  # per worker process: region sets are loaded once


def write_state(folder: Path, state: dict[str, Any]) -> None:
    """Replace ``folder/state.json`` atomically."""
    part = folder / f".state.json.{os.getpid()}.{threading.get_ident()}"
    part.write_text(json.dumps(state), encoding="utf-8")
    os.replace(part, folder / "state.json")


def read_state(folder: Path) -> dict[str, Any]:
    try:
        return json.loads((folder / "state.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}


def _region_set(name: str):
    from geodata import load_region_set

    if name not in _REGION_SETS:
        _REGION_SETS[name] = load_region_set(name)
    return _REGION_SETS[name]


def _progress_writer(folder: Path, started: float, monitor: Any) -> Callable[[], None]:
    """Start a thread that writes the MIP's progress into state.json every second; returns its stop function."""
    stop = threading.Event()

    def loop() -> None:
        while not stop.wait(PROGRESS_INTERVAL_S):
            state: dict[str, Any] = {"status": "running", "started": started}
            if monitor.runs:
                p = monitor.runs[-1]
                state.update(stage=p.stage, incumbent=p.incumbent, bound=p.bound, gap=p.gap, nodes=p.nodes)
            write_state(folder, state)

    t = threading.Thread(target=loop, daemon=True)
    t.start()

    def done() -> None:
        stop.set()
        t.join()

    return done


def execute_run(data_dir: str, run_id: str) -> dict[str, Any]:
    """Solve ``jobs/<id>/scenario.yaml`` and write ``runs/<id>/`` (on a Dask worker)."""
    from gridsite.errors import DataError, InfeasibleError, ScenarioError, TimeLimitError
    from optimizer.model.progress import SolveReporter
    from optimizer.model.scenario import parse_scenario, read_yaml
    from rendering.runfolder import write_failure, write_run

    job = Path(data_dir) / "jobs" / run_id
    out = Path(data_dir) / "runs" / run_id
    started = time.time()
    write_state(job, {"status": "running", "started": started})
    monitor = SolveReporter(mode="off")
    stop = _progress_writer(job, started, monitor)
    try:
        import gridsite

        sc = parse_scenario(read_yaml(job / "scenario.yaml"), "scenario.yaml")
        rs = _region_set(sc.region_set)
        log = job / "solver.log"
        res = gridsite.solve(sc, file="scenario.yaml", region_set=rs, log_file=log, monitor=monitor)
        write_run(res, out, rs, scenario_path=str(job / "scenario.yaml"), log_src=str(log))
        gridsite.write_report(out, region_set=rs)
        gridsite.static_map(out, out / "siting_map.pdf", region_set=rs)  # for print and briefings
        s = res.summary()
        note = "" if s.get("status") == "optimal" else f" ({s.get('status')})"
        return {"status": "done", "message": f"solved{note}", "headline": _headline(s)}
    except InfeasibleError as exc:
        summary = {
            "name": run_id,
            "status": "infeasible",
            "message": exc.summary,
            "diagnosis": [d.as_dict() for d in exc.diagnosis],
        }
        write_failure(out, summary)
        return {"status": "failed", "message": f"infeasible: {exc}"}
    except TimeLimitError as exc:
        write_failure(out, {"name": run_id, "status": "time_limit", "message": str(exc)})
        return {"status": "failed", "message": str(exc)}
    except (ScenarioError, DataError) as exc:
        return {"status": "failed", "message": str(exc)}
    except Exception as exc:  # reported on the run page, never lost
        return {"status": "failed", "message": f"{type(exc).__name__}: {exc}"}
    finally:
        stop()


def execute_sweep(data_dir: str, run_id: str) -> dict[str, Any]:
    """Solve every point of ``jobs/<id>/sweep.yaml`` into ``runs/<id>/`` (sequentially on this worker)."""
    import gridsite

    job = Path(data_dir) / "jobs" / run_id
    out = Path(data_dir) / "runs" / run_id
    started = time.time()
    write_state(job, {"status": "running", "started": started})
    done = {"n": 0, "total": 0}

    def on_start(total: int, already: int) -> None:
        done.update(total=total, n=already)
        write_state(job, {"status": "running", "started": started, "points": done["n"], "total": total})

    def on_point(_rec: dict) -> None:
        done["n"] += 1
        write_state(job, {"status": "running", "started": started, "points": done["n"], "total": done["total"]})

    try:
        from optimizer.studies.sweep import run_sweep
        from rendering.store import RunFolderStore

        # each point's run folder with its siting maps, so the policy explorer shows them without drawing
        sw = run_sweep(gridsite.load_sweep(job / "sweep.yaml"), out, store=RunFolderStore(maps=True), workers=0,
                       run_dirs=True, on_start=on_start, on_point=on_point)
        n = len(sw.table)
        return {"status": "done", "message": f"{n} points solved", "headline": {"points": n}}
    except Exception as exc:
        return {"status": "failed", "message": f"{type(exc).__name__}: {exc}" if not isinstance(exc, ValueError)
                else str(exc)}


def _headline(s: dict[str, Any]) -> dict[str, Any]:
    keys = ("total_cost", "currency", "emissions_t", "green_share", "status")
    return {k: s[k] for k in keys if k in s}


class JobQueue:
    """Submits jobs to Dask and calls ``on_done(run_id, result)`` when each ends (from a Dask thread).

    ``workers`` ≥ 1: a local cluster of that many single-threaded worker processes (so at most that many jobs run
    at once; the rest wait in Dask's queue); 0: one in-process worker thread; ``scheduler``: an existing cluster.
    A job whose worker dies (killed, out of memory) is not retried: it ends failed, with the reason.
    """

    def __init__(self, workers: int, scheduler: str | None, on_done: Callable[[str, dict[str, Any]], None]):
        import dask
        from distributed import Client, LocalCluster

        dask.config.set({"distributed.scheduler.allowed-failures": 0})
        self.on_done = on_done
        self.futures: dict[str, Any] = {}
        self.closing = False
        self.cluster = None
        if scheduler:
            self.client = Client(scheduler)
        else:
            procs = workers > 0
            self.cluster = LocalCluster(
                n_workers=max(workers, 1),
                threads_per_worker=1,
                processes=procs,
                protocol="tcp://",
                host="127.0.0.1",  # the scheduler, workers and dashboard listen on loopback only
                dashboard_address="127.0.0.1:0",
                silence_logs=40,
            )
            self.client = Client(self.cluster)

    def submit(self, kind: str, data_dir: Path, run_id: str) -> None:
        fn = execute_sweep if kind == "sweep" else execute_run
        fut = self.client.submit(fn, str(data_dir.resolve()), run_id, key=f"{kind}-{run_id}-{time.time_ns()}",
                                 pure=False)
        self.futures[run_id] = fut

        def _done(f: Any) -> None:
            self.futures.pop(run_id, None)
            if self.closing:  # the server is stopping: queued runs resume at the next start
                return
            try:
                if f.cancelled():
                    result = {"status": "failed", "message": "cancelled: the job was removed from the queue"}
                else:
                    result = f.result()
            except Exception as exc:
                name = type(exc).__name__
                if name == "KilledWorker":
                    msg = "the worker running this job died (killed or out of memory); no result was written"
                else:
                    msg = f"{name}: {exc}"
                result = {"status": "failed", "message": msg}
            self.on_done(run_id, result)

        fut.add_done_callback(_done)

    def close(self) -> None:
        self.closing = True
        for f in list(self.futures.values()):
            f.cancel()
        self.client.close()
        if self.cluster is not None:
            self.cluster.close()
