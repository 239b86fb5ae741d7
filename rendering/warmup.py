"""Prepare the output path of a run while HiGHS solves: the imports and the work that do not depend on the result.

Writing a run's files needs matplotlib, plotly, openpyxl and pyogrio, whose imports alone take about a second, and
the maps need the region set's base scene. None of it depends on the solution, so ``gridsite solve`` starts it in
a background thread when the HiGHS run starts (:func:`optimizer.model.highs.on_next_run`): HiGHS's native code
runs without Python's GIL and its MIP keeps about one of the machine's two cores busy, so the warm-up uses the
other one and the files are written sooner after the solve. The warm-up only imports and fills caches; it writes
nothing, and an error in it is ignored (the real writing step does the same work again and reports errors itself).
"""

from __future__ import annotations

import threading
import time
from typing import Any

#: What writing a run imports that the solve does not (modules with a noticeable import time) ...
MODULES = ("rendering.gis", "rendering.excel", "openpyxl", "pyogrio")
#: ... and what the maps import.
MAP_MODULES = ("rendering.maps", "plotly.graph_objects", "plotly.io", "matplotlib.font_manager")


class Warmup:
    """A background thread that imports :data:`MODULES` (and :data:`MAP_MODULES`) and prepares the map base scene
    of ``region_set`` (``rendering.maps.prepare_base``, when the maps are drawn)."""

    def __init__(self, region_set: Any, *, maps: bool = True):
        self.region_set = region_set
        self.maps = maps
        self.thread: threading.Thread | None = None
        self.error: BaseException | None = None
        self.seconds = 0.0

    def start(self) -> None:
        """Start the thread (once; later calls do nothing)."""
        if self.thread is None:
            self.thread = threading.Thread(target=self._work, name="gridsite-warmup", daemon=True)
            self.thread.start()

    def _work(self) -> None:
        import importlib

        t0 = time.perf_counter()
        try:
            for name in MODULES + (MAP_MODULES if self.maps else ()):
                importlib.import_module(name)
            if self.maps:
                from rendering import maps

                maps.prepare_base(self.region_set)
        except Exception as exc:  # only a warm-up: the writing step repeats the work and reports its errors
            self.error = exc
        finally:
            self.seconds = time.perf_counter() - t0

    def join(self, timeout: float | None = 60.0) -> None:
        """Wait for the thread, if it was started (at most ``timeout`` seconds)."""
        if self.thread is not None:
            self.thread.join(timeout)
