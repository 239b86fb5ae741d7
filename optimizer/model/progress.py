"""Live progress of a HiGHS solve: numbers recorded by HiGHS callbacks, rendered on another thread.

HiGHS releases the GIL while it runs and calls back into Python only at a few points: each improving incumbent
(``kCallbackMipImprovingSolution``), each line of its MIP log (``kCallbackMipLogging``, only when logging is on)
and its interrupt checks between branch-and-bound nodes (``kCallbackMipInterrupt``). The callbacks here only copy
a handful of numbers into a :class:`SolveProgress`; formatting and printing happen on rich's refresh thread
(terminal: a live line, 4 refreshes a second) or on a ticker thread (not a terminal: one plain line every
:data:`PLAIN_INTERVAL_S` seconds, and nothing for a run shorter than that), so the solve is not slowed.

HiGHS solves the root LP of a MIP without calling back (the LP solver inside the MIP has no callbacks), so
during the root LP the line shows the elapsed time, the first incumbent if a heuristic found one, and
``bound —``; the bound appears when the root LP is done.

``--verbose`` streams HiGHS's own log instead (:meth:`SolveReporter.log_line`): a logging callback writes each
message to stderr as HiGHS produces it, while the ``log_file`` (``solver.log``) is still written.
"""

from __future__ import annotations

import math
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import highspy
    from rich.console import Console

#: Not a terminal: one plain progress line this often (seconds); runs shorter than this print nothing.
PLAIN_INTERVAL_S = 10.0
#: Terminal: refreshes of the live line per second.
LIVE_REFRESH_PER_S = 4
#: HiGHS checks its interrupt callback between nodes (hundreds of times a second); read its numbers at most this
#: often, so a check that is not read costs one clock call.
INTERRUPT_READ_S = 0.05


def _finite(x: float | None) -> float | None:
    return float(x) if x is not None and math.isfinite(x) and abs(x) < 1e50 else None


def _num(x: float | None) -> str:
    if x is None:
        return "—"
    return f"{x:,.6g}" if abs(x) < 1e6 else f"{x:,.0f}"


def _secs(s: float) -> str:
    if s < 60:
        return f"{s:.1f} s"
    m, sec = divmod(int(s), 60)
    return f"{m}:{sec:02d} min" if m < 60 else f"{m // 60}:{m % 60:02d}:{sec:02d} h"


@dataclass
class SolveProgress:
    """The state of one HiGHS run as its callbacks report it (objective in the model's units).

    ``events`` keeps one ``(HiGHS run time s, kind, incumbent, bound)`` per improving incumbent and per change of
    the best bound seen, for tests and diagnostics.
    """

    stage: str
    time_limit: float
    is_mip: bool = True
    unit: str = ""
    started: float = field(default_factory=time.monotonic)
    incumbent: float | None = None
    bound: float | None = None
    gap: float | None = None
    nodes: int = 0
    solutions: int = 0
    finished: float | None = None
    events: list[tuple[float, str, float | None, float | None]] = field(default_factory=list)
    _last_read: float = field(default=-math.inf, repr=False)

    # -- callbacks: record numbers only ---------------------------------------------------------------------------
    def on_improving_solution(self, e) -> None:
        d = e.data_out
        self.solutions += 1
        self.incumbent = _finite(d.objective_function_value)
        before = self.bound
        self._update(d.mip_dual_bound, d.mip_gap, d.mip_node_count)
        self.events.append((float(d.running_time), "solution", self.incumbent, self.bound))
        if self.bound is not None and self.bound != before:  # the bound moved since the last report
            self.events.append((float(d.running_time), "bound", self.incumbent, self.bound))

    def on_mip_report(self, e) -> None:
        """``kCallbackMipLogging`` / ``kCallbackMipInterrupt``: primal and dual bounds, gap, nodes."""
        d = e.data_out
        inc = _finite(d.mip_primal_bound)
        if inc is not None:
            self.incumbent = inc
        before = self.bound
        self._update(d.mip_dual_bound, d.mip_gap, d.mip_node_count)
        if self.bound is not None and self.bound != before:
            self.events.append((float(d.running_time), "bound", self.incumbent, self.bound))

    def on_mip_interrupt(self, e) -> None:
        """``kCallbackMipInterrupt``: as :meth:`on_mip_report`, read at most every :data:`INTERRUPT_READ_S` s."""
        now = time.monotonic()
        if now - self._last_read >= INTERRUPT_READ_S:
            self._last_read = now
            self.on_mip_report(e)

    def _update(self, bound: float, gap: float, nodes: int) -> None:
        b = _finite(bound)
        if b is not None:
            self.bound = b
        g = _finite(gap)
        self.gap = g if self.incumbent is not None and self.bound is not None else None
        self.nodes = max(self.nodes, int(nodes))

    def attach(self, h: highspy.Highs) -> None:
        """Subscribe to the MIP callbacks of ``h`` (nothing for an LP: HiGHS reports no bounds then)."""
        if not self.is_mip:
            return
        h.cbMipImprovingSolution.subscribe(self.on_improving_solution)
        h.cbMipLogging.subscribe(self.on_mip_report)
        h.cbMipInterrupt.subscribe(self.on_mip_interrupt)

    def detach(self, h: highspy.Highs) -> None:
        if not self.is_mip:
            return
        h.cbMipImprovingSolution.unsubscribe(self.on_improving_solution)
        h.cbMipLogging.unsubscribe(self.on_mip_report)
        h.cbMipInterrupt.unsubscribe(self.on_mip_interrupt)

    # -- rendering (never called from a callback) -----------------------------------------------------------------
    def elapsed(self, now: float | None = None) -> float:
        end = self.finished if self.finished is not None else (time.monotonic() if now is None else now)
        return max(0.0, end - self.started)

    def text(self, now: float | None = None) -> str:
        """One plain line, e.g. ``HiGHS MIP 12.7 s / 5:00 min · B&B 1 node · incumbent 3,080.57 · bound 3,080.44
        · gap 0.00412 % (M CNY/yr)``; an LP stage shows only its name and the elapsed time.

        ``root LP`` until HiGHS reports a finite bound (presolve and the root relaxation, which give no callbacks),
        then ``root node`` and, once nodes are explored, ``B&B`` with their number. The gap is HiGHS's relative
        gap ``(incumbent − bound) / |incumbent|``, shown only when both are known.
        """
        t = self.elapsed(now)
        limit = f" / {_secs(self.time_limit)}" if math.isfinite(self.time_limit) else ""
        head = f"HiGHS {self.stage} {_secs(t)}{limit}"
        if not self.is_mip:
            return head
        if self.bound is None:
            phase = "root LP"
        elif self.nodes:
            phase = f"B&B {self.nodes:,} node{'s' if self.nodes != 1 else ''}"
        else:
            phase = "root node"
        gap = "—" if self.gap is None else f"{100 * self.gap:.3g} %"
        line = " · ".join([head, phase, f"incumbent {_num(self.incumbent)}", f"bound {_num(self.bound)}", f"gap {gap}"])
        return f"{line} ({self.unit})" if self.unit else line

    def __rich__(self):
        """Terminal rendering: a bar of the time used against the limit, then :meth:`text`."""
        from rich.progress_bar import ProgressBar
        from rich.table import Table
        from rich.text import Text

        line = Text(self.text(), style="dim", no_wrap=True, overflow="ellipsis")
        if not (math.isfinite(self.time_limit) and self.time_limit > 0):
            return line
        row = Table.grid(padding=(0, 1))
        row.add_column(no_wrap=True)
        row.add_column(no_wrap=True, overflow="ellipsis")
        row.add_row(ProgressBar(total=self.time_limit, completed=min(self.elapsed(), self.time_limit), width=8), line)
        return row


class SolveReporter:
    """Shows the progress of each HiGHS run of a solve; handed to :func:`optimizer.model.solve.solve` as ``monitor``.

    ``mode``: ``"live"`` (a rich live line on ``console``; for a terminal), ``"plain"`` (a plain line every
    :data:`PLAIN_INTERVAL_S` s; for logs) or ``"off"``. ``verbose``: stream HiGHS's log to ``stream`` (stderr) as
    it runs; the live line is then left out (the log already shows the MIP's progress, and the two would
    interleave). :meth:`next_stage` names the next run (``"MIP"``, ``"tidying (LP)"``) and its objective's unit.
    """

    def __init__(self, console: Console | None = None, *, mode: str = "live", verbose: bool = False, stream=None):
        if mode not in ("live", "plain", "off"):
            raise ValueError(f"mode must be live, plain or off; got {mode!r}")
        self.console = console
        self.mode = "off" if verbose else mode
        self.verbose = verbose
        self.stream = stream
        self.stage = "MIP"
        self.unit = ""
        self.runs: list[SolveProgress] = []

    def next_stage(self, stage: str, unit: str = "") -> None:
        self.stage = stage
        self.unit = unit

    def log_line(self, e) -> None:
        """``kCallbackLogging``: write HiGHS's message as is (it carries its own newline)."""
        out = self.stream if self.stream is not None else sys.stderr
        out.write(e.message)
        out.flush()

    @contextmanager
    def watch(self, h: highspy.Highs, *, is_mip: bool, time_limit: float) -> Iterator[SolveProgress]:
        """Record the progress of the run of ``h`` inside the block and show it as ``mode`` says."""
        p = SolveProgress(self.stage, float(time_limit), is_mip=is_mip, unit=self.unit if is_mip else "")
        self.runs.append(p)
        p.attach(h)
        try:
            if self.mode == "live" and self.console is not None:
                from rich.live import Live

                with Live(
                    p,
                    console=self.console,
                    refresh_per_second=LIVE_REFRESH_PER_S,
                    transient=True,
                    redirect_stdout=False,
                    redirect_stderr=False,
                ):
                    yield p
            elif self.mode == "plain":
                with _ticker(p, self.console):
                    yield p
            else:
                yield p
        finally:
            p.finished = time.monotonic()
            p.detach(h)


@contextmanager
def _ticker(p: SolveProgress, console: Console | None) -> Iterator[None]:
    """Print ``p.text()`` every :data:`PLAIN_INTERVAL_S` seconds while the block runs (nothing if it is shorter)."""
    stop = threading.Event()

    def run() -> None:
        while not stop.wait(PLAIN_INTERVAL_S):
            line = f"… {p.text()}"
            if console is not None:
                console.print(line, highlight=False, markup=False, soft_wrap=True)
            else:
                print(line, file=sys.stderr, flush=True)

    th = threading.Thread(target=run, name="gridsite-progress", daemon=True)
    th.start()
    try:
        yield
    finally:
        stop.set()
        th.join(timeout=1.0)
