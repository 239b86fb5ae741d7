"""The guarded runner of every ``gridsite`` command: known failures become exit codes and one line, no traceback.

Exit codes (:func:`gridsite.errors.exit_code`): 0 solved; 2 bad input (file, field, what is allowed); 3 infeasible
(which policy or limit, by how much); 4 time limit with no feasible solution; 1 unexpected error; 128 + N when
ended by signal N (Ctrl-C: 130).
"""

from __future__ import annotations

import os
import signal
import sys
import threading
import time
import warnings
from collections.abc import Callable
from contextlib import ExitStack, contextmanager
from pathlib import Path

import typer

from gridsite.cli.console import err, fail
from gridsite.errors import EXIT_BAD_INPUT, EXIT_TIME_LIMIT, InfeasibleError, ScenarioError, exit_code


@contextmanager
def exit_if_stuck_in_solver(grace_s: float = 1.5):
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


_FAST_EXIT = {"allowed": False}


def allow_fast_exit() -> None:
    """Let :func:`gridsite.cli.app.main` end the process without the interpreter's teardown once the command is done.

    For commands whose files are all written and closed when they return and that leave no child process or
    server behind (``gridsite solve``): tearing down the interpreter frees every object of the run one by one, about
    0.6 s after a China hub solve (docs/performance.md), which the user waits for and which changes nothing on disk.
    """
    _FAST_EXIT["allowed"] = True


def fast_exit_allowed() -> bool:
    return _FAST_EXIT["allowed"]


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
        with warnings.catch_warnings(), exit_if_stuck_in_solver():
            warnings.simplefilter("default")
            if check is not None:
                check()
            if lock is not None:
                from rendering.safety import output_lock

                stack.enter_context(output_lock(lock))
            code = fn()
    except InfeasibleError as exc:
        iis = getattr(exc, "iis", None)
        if out_dir is not None:
            summary = {
                "name": _name(),
                "status": "infeasible",
                "message": exc.summary,
                "diagnosis": [d.as_dict() for d in exc.diagnosis],
                **_size_and_timings(exc),
            }
            if method := getattr(exc, "method", ""):
                summary["diagnosis_method"] = method
            if iis is not None:
                summary["iis"] = iis
            kept = write_failure_summary(out_dir, summary, force)
        msg = f"infeasible: {exc}"
        if iis is not None:
            from optimizer.model.diagnose import format_iis

            msg += "\n" + format_iis(iis)
        if out_dir is not None and kept:
            msg += "\n" + kept
        fail(exit_code(exc), msg)
    except KeyboardInterrupt:
        sig = got.get("signal", signal.SIGINT)
        fail(
            128 + int(sig),
            "interrupted; the output folder holds the previous result or a complete new one, never a partial one",
        )
    except typer.Exit:
        raise
    except Exception as exc:
        exit_status = exit_code(exc)
        if exit_status == EXIT_TIME_LIMIT:
            kept = ""
            if out_dir is not None:
                summary = {"name": _name(), "status": "time_limit", "message": str(exc), **_size_and_timings(exc)}
                kept = write_failure_summary(out_dir, summary, force)
            fail(exit_status, str(exc) + (f"\n{kept}" if kept else ""))
        if exit_status == EXIT_BAD_INPUT:  # a scenario, data or output-path problem: the message names it
            fail(exit_status, str(exc))
        fail(exit_status, f"{type(exc).__name__}: {exc}")
    finally:
        stack.close()
        if in_main:
            signal.signal(signal.SIGTERM, old if old is not None else signal.SIG_DFL)
    if code:
        raise typer.Exit(code)


def _size_and_timings(exc: BaseException) -> dict:
    """``model_size`` and ``timings_s`` of a failed solve, as in a successful run's ``summary.json`` (empty when
    the failure came before any model was built)."""
    from optimizer.model.summary import jsonable

    return {
        "model_size": jsonable(getattr(exc, "model_size", None) or {}),
        "timings_s": jsonable(getattr(exc, "timings_s", None) or {}),
    }


def write_failure_summary(out_dir: Path, summary: dict, force: bool) -> str:
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
