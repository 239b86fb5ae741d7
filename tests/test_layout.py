"""The code layout stays readable: no module of the packages above ``MAX_LINES`` lines; the code, docs and
notebooks stand on their own (no citation of a design document that is not part of this repository); every
benchmark snapshot is listed and cited; the README's Python example uses the public API alone.

The import layers and the types are checked in CI by ``lint-imports`` and ``mypy`` (configured in pyproject.toml).
"""

from __future__ import annotations

import fnmatch
import os
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = ("gridsite", "geodata", "optimizer", "rendering")
MAX_LINES = 900
# Built from parts so that this file does not cite it itself.
OUTSIDE_DOC = "DESIGN" + ".md"
TEXT_SUFFIXES = {".py", ".md", ".ipynb", ".toml", ".yaml", ".yml", ".cfg", ".txt", ".rst"}
SKIP_DIRS = {"__pycache__", "runs", "out", "build", "node_modules"}


def package_modules(root: Path) -> list[Path]:
    """Every ``.py`` file of the four packages under ``root``."""
    return sorted(p for pkg in PACKAGES for p in (root / pkg).rglob("*.py") if "__pycache__" not in p.parts)


def long_modules(root: Path, limit: int = MAX_LINES) -> dict[str, int]:
    """Modules of the packages with more than ``limit`` lines: relative path → line count."""
    out = {}
    for path in package_modules(root):
        n = len(path.read_text(encoding="utf-8").splitlines())
        if n > limit:
            out[path.relative_to(root).as_posix()] = n
    return out


def text_files(root: Path) -> list[Path]:
    """Code, docs, notebooks, scenarios and configuration under ``root`` (hidden folders, caches and run
    folders skipped), plus the CI script."""
    files = []
    for folder, dirs, names in os.walk(root):
        dirs[:] = [d for d in dirs if not d.startswith(".") and d not in SKIP_DIRS]  # never walk into .venv
        files += [Path(folder) / n for n in names if Path(n).suffix in TEXT_SUFFIXES]
    ci = root / ".ci" / "run"
    if ci.is_file():
        files.append(ci)
    return sorted(files)


def outside_citations(root: Path) -> list[str]:
    """``path:line`` of every line that cites the outside design document."""
    hits = []
    for path in text_files(root):
        text = path.read_text(encoding="utf-8", errors="replace")
        for i, line in enumerate(text.splitlines(), 1):
            if OUTSIDE_DOC in line:
                hits.append(f"{path.relative_to(root).as_posix()}:{i}")
    return hits


def test_checks_scan_the_repository():
    """The checks below look at the real files (an empty scan would pass them vacuously)."""
    modules = [p.relative_to(ROOT).as_posix() for p in package_modules(ROOT)]
    assert "gridsite/errors.py" in modules
    assert all(any(m.startswith(f"{pkg}/") for m in modules) for pkg in PACKAGES)
    scanned = {p.relative_to(ROOT).as_posix() for p in text_files(ROOT)}
    assert {"README.md", "docs/formulation.md", "gridsite/errors.py", "pyproject.toml"} <= scanned
    assert any(s.startswith("notebooks/") and s.endswith(".ipynb") for s in scanned)


def test_checks_find_planted_violations(tmp_path):
    """A module one line over the limit and a citation in a notebook are both reported; a module at the limit
    and an unrelated mention of 'design' are not."""
    for pkg in PACKAGES:
        (tmp_path / pkg).mkdir()
    (tmp_path / "geodata" / "ok.py").write_text("x = 1\n" * MAX_LINES)
    (tmp_path / "rendering" / "big.py").write_text("x = 1\n" * (MAX_LINES + 1))
    assert long_modules(tmp_path) == {"rendering/big.py": MAX_LINES + 1}

    (tmp_path / "notebooks").mkdir()
    (tmp_path / "notebooks" / "n.ipynb").write_text('{"cells": [], "x": "see ' + OUTSIDE_DOC + ' §3"}\n')
    (tmp_path / "docs").mkdir()
    (tmp_path / "docs" / "a.md").write_text("IT design power\n\nmore\n")
    (tmp_path / "optimizer" / "m.py").write_text('"""Doc."""\n\n# as ' + OUTSIDE_DOC + " says\n")
    (tmp_path / ".venv").mkdir()
    (tmp_path / ".venv" / "skip.py").write_text(OUTSIDE_DOC + "\n")
    assert outside_citations(tmp_path) == ["notebooks/n.ipynb:1", "optimizer/m.py:3"]


def test_no_module_above_the_line_limit():
    too_long = long_modules(ROOT)
    assert not too_long, f"modules above {MAX_LINES} lines (split them into named parts): {too_long}"


def test_code_docs_and_notebooks_stand_on_their_own():
    hits = outside_citations(ROOT)
    assert not hits, (
        f"{OUTSIDE_DOC} is not part of this repository: say what is meant where it is cited, at {', '.join(hits)}"
    )


def test_every_benchmark_snapshot_is_listed_and_cited():
    """benchmarks/results/README.md lists each CSV there (and no other), and a page of docs/ cites each one, by
    name or by a pattern such as ``before_after_*.csv``."""
    results = ROOT / "benchmarks" / "results"
    csvs = {p.name for p in results.glob("*.csv")}
    assert csvs, "no benchmark results found"
    listed = set(re.findall(r"^\| `([^`]+\.csv)` \|", (results / "README.md").read_text(encoding="utf-8"), re.M))
    assert listed == csvs, f"not listed: {sorted(csvs - listed)}; listed but absent: {sorted(listed - csvs)}"
    docs = "\n".join(p.read_text(encoding="utf-8") for p in (ROOT / "docs").glob("*.md"))
    cited = {Path(c).name for c in re.findall(r"`([^`\s]+\.csv)`", docs)}
    uncited = sorted(name for name in csvs if not any(fnmatch.fnmatchcase(name, c) for c in cited))
    assert not uncited, f"benchmark results no doc cites (cite them or remove them): {uncited}"


def test_readme_python_example_uses_only_the_public_api():
    """The README's Python example imports ``gridsite`` alone and uses names that ``gridsite`` exports."""
    import gridsite

    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    blocks = re.findall(r"```python\n(.*?)```", readme, re.S)
    assert blocks, "no Python example in README.md"
    code = "\n".join(blocks)
    imports = re.findall(r"^\s*(?:import|from)\s+([\w.]+)", code, re.M)
    assert set(imports) == {"gridsite"}, f"the README example imports {imports}; users need only `import gridsite`"
    assert re.search(r"^import gridsite$", code, re.M), "the README example should start from `import gridsite`"
    used = set(re.findall(r"\bgridsite\.(\w+)", code))
    assert used, "the README example uses no gridsite name"
    assert used <= set(gridsite.__all__), f"not in gridsite.__all__: {sorted(used - set(gridsite.__all__))}"
    for name in sorted(used):
        assert getattr(gridsite, name) is not None
