"""The walkthrough notebooks run from top to bottom on the shipped data, and are stored without outputs."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

NOTEBOOKS = sorted((Path(__file__).resolve().parents[1] / "notebooks").glob("*.ipynb"))
KERNEL = "python3"  # ipykernel's native kernel spec, installed with ipykernel into the same environment
TIMEOUT_S = 600  # per cell; each notebook takes about a minute


def test_notebooks_are_shipped():
    names = {p.name for p in NOTEBOOKS}
    assert {"01_planner_china_hubs.ipynb", "02_regulator_green_policy.ipynb", "03_us_states.ipynb"} <= names


@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.stem for p in NOTEBOOKS])
def test_notebook_is_stored_without_outputs(path):
    import nbformat

    nb = nbformat.read(path, as_version=4)
    nbformat.validate(nb)
    dirty = [i for i, c in enumerate(nb.cells) if c.cell_type == "code" and (c.outputs or c.execution_count)]
    assert not dirty, f"{path.name}: cells {dirty} have outputs; save it with outputs cleared"
    assert nb.metadata.get("kernelspec", {}).get("name") == KERNEL


@pytest.mark.slow
@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.stem for p in NOTEBOOKS])
def test_notebook_runs(path, tmp_path, monkeypatch):
    import nbformat
    from jupyter_client.kernelspec import KernelSpecManager
    from nbclient import NotebookClient

    specs = KernelSpecManager().find_kernel_specs()
    assert KERNEL in specs, f"no '{KERNEL}' kernel spec found ({specs}); install ipykernel in this environment"
    monkeypatch.setenv("GRIDSITE_OUT", str(tmp_path))  # maps drawn by the notebooks go here, not into runs/
    nb = nbformat.read(path, as_version=4)
    client = NotebookClient(
        nb, kernel_name=KERNEL, timeout=TIMEOUT_S, resources={"metadata": {"path": str(path.parent)}}
    )
    t0 = time.perf_counter()
    client.execute()  # raises CellExecutionError, naming the cell, if any cell fails
    elapsed = time.perf_counter() - t0
    errors = [o for c in nb.cells if c.cell_type == "code" for o in c.outputs if o.output_type == "error"]
    assert not errors
    assert elapsed < TIMEOUT_S, f"{path.name} took {elapsed:.0f} s"
    assert any(p.suffix == ".png" for p in tmp_path.rglob("*")), "the notebook drew no map"
