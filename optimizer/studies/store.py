"""Where a study writes: the :class:`StudyStore` protocol.

A study (a policy sweep, a Pareto front) decides *what* it keeps — a record per point, a table, a summary, one
run folder per point — but not how an output folder is checked, marked, swapped in atomically or laid out: that
is the run-folder format, owned by the rendering layer. The caller hands the study an object with the methods
below (the rendering layer's ``RunFolderStore`` writes gridsite's run folders; the public functions
``gridsite.run_sweep`` and ``gridsite.run_pareto`` pass it), so nothing in :mod:`optimizer` imports the layer
above it.

A store must be picklable (it may travel with a study's arguments to Dask workers); the studies call its methods
only in the process that runs the study, never on a worker.
"""

from __future__ import annotations

from contextlib import AbstractContextManager
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol, runtime_checkable

if TYPE_CHECKING:
    import pandas as pd

    from optimizer.model.solve import Result


@runtime_checkable
class StudyStore(Protocol):
    """The folder operations a study needs; every path is a :class:`~pathlib.Path`."""

    def check_out_dir(
        self,
        out: Path,
        *,
        force: bool = False,
        accept: tuple[str, ...] = ("run", "failed", "pareto"),
        writes_into: bool = False,
    ) -> Path:
        """Check ``out`` may be written (new, empty, or an earlier output of a kind in ``accept``; a foreign
        folder only with ``force``) and return it; raise ``gridsite.errors.OutputRefused`` otherwise.
        ``writes_into``: files are added to the folder, none removed."""
        ...

    def mark(self, folder: Path, kind: str) -> None:
        """Mark ``folder`` as an output of kind ``kind`` (``"sweep"``, ``"pareto"``, ``"run"``)."""
        ...

    def atomic_dir(self, out: Path, *, force: bool = False, kind: str = "run") -> AbstractContextManager[Path]:
        """A context yielding a temporary folder that replaces ``out`` only when the block ends without an
        exception (or is dropped when :meth:`abandon` was called in the block)."""
        ...

    def abandon(self, tmp: Path) -> None:
        """Inside :meth:`atomic_dir`: drop the temporary folder ``tmp`` and leave ``out`` as it was."""
        ...

    def write_run(self, result: Result, out: Path, region_set: Any, *, scenario_path: str | None = None) -> Path:
        """Write the run folder of one solved point into ``out``; return the folder."""
        ...

    def write_json(self, path: Path, data: Any) -> None:
        """Write ``data`` (made JSON-able) to ``path``, atomically."""
        ...

    def holds_complete_result(self, folder: Path) -> bool:
        """True when ``folder`` holds a complete earlier output (which a failed run must not replace)."""
        ...

    def write_failed_summary(self, folder: Path, data: dict) -> Path:
        """Write the summary of a failed study beside the complete earlier result in ``folder``; return the
        file written."""
        ...

    def draw_pareto(self, table: pd.DataFrame, path: Path, *, accounting: str, currency: str, title: str) -> None:
        """Draw the cost–carbon frontier of ``table`` (columns ``point, carbon_t, cost``) into ``path``."""
        ...


__all__ = ["StudyStore"]
