"""The run-folder store of the studies: :class:`RunFolderStore` implements
:class:`optimizer.studies.store.StudyStore` with gridsite's output folders (:mod:`rendering.runfolder`: atomic
folders, run folders; :mod:`rendering.safety`: which folders may be written, the output marker)."""

from __future__ import annotations

import os
from contextlib import AbstractContextManager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from rendering import runfolder, safety
from rendering.charts import pareto_chart

if TYPE_CHECKING:
    import pandas as pd

    from optimizer.model.solve import Result


@dataclass(frozen=True)
class RunFolderStore:
    """Writes a study's outputs as gridsite run folders. Plain data (picklable): safe to ship to Dask workers.

    ``maps``: draw the two siting maps into each point's run folder (off by default, as the CLI does: a study has
    many points; ``gridsite report --points`` or ``gridsite map`` draws them later).
    """

    maps: bool = False

    def check_out_dir(
        self,
        out: Path,
        *,
        force: bool = False,
        accept: tuple[str, ...] = ("run", "failed", "pareto"),
        writes_into: bool = False,
    ) -> Path:
        return safety.check_out_dir(out, force=force, accept=accept, writes_into=writes_into)

    def mark(self, folder: Path, kind: str) -> None:
        safety.write_marker(Path(folder), kind)

    def atomic_dir(self, out: Path, *, force: bool = False, kind: str = "run") -> AbstractContextManager[Path]:
        return runfolder.atomic_dir(out, force=force, kind=kind)

    def abandon(self, tmp: Path) -> None:
        runfolder.abandon(tmp)

    def write_run(self, result: Result, out: Path, region_set: Any, *, scenario_path: str | None = None) -> Path:
        return runfolder.write_run(result, out, region_set, scenario_path=scenario_path, maps=self.maps)

    def write_json(self, path: Path, data: Any) -> None:
        path = Path(path)
        tmp = path.with_name(f".{path.name}.partial-{os.getpid()}")
        runfolder.write_json(tmp, data)
        os.replace(tmp, path)

    def holds_complete_result(self, folder: Path) -> bool:
        return safety.holds_complete_result(folder)

    def write_failed_summary(self, folder: Path, data: dict) -> Path:
        target = Path(folder) / runfolder.FAILED_SUMMARY
        self.write_json(target, data)
        return target

    def draw_pareto(self, table: pd.DataFrame, path: Path, *, accounting: str, currency: str, title: str) -> None:
        pareto_chart(table, path, accounting, currency, title)


__all__ = ["RunFolderStore"]
