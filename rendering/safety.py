"""Where gridsite may write: output paths are checked before any solving, and no user file is ever lost.

Output folders (``solve --out``, ``pareto --out``, ``sweep --out``) follow one rule:

* gridsite **replaces** a folder only if it is missing, empty, or an earlier gridsite output. Every output folder
  gets a marker file :data:`MARKER` (a small JSON with the format tag :data:`FORMAT` and the kind of output);
  folders written before the marker existed are recognised by gridsite's own files (``manifest.json``,
  ``summary.json``, ``pareto.json``, ``sweep.json`` with their keys). In both cases the folder must hold nothing
  but names gridsite writes (:data:`KNOWN_FILES`, :data:`KNOWN_DIRS`, hidden files), so a note a user added to an
  old result folder makes it foreign again.
* a non-empty **foreign** folder is refused (exit 2) unless ``--force``;
* **never**, even with ``--force``: a path that is a file, the current folder (``.``, ``""``) or any folder that
  holds it, the filesystem root, the home folder, a folder that holds an input file (the scenario, sweep file, base
  scenario, plan) or gridsite's own package folders.

File outputs (``--write-lp``, ``data show --csv``, ``report --out``) are checked the same way up front: known
extension, not a folder, the parent folder exists and is writable.

Two runs writing the same folder at once are kept apart by :func:`output_lock`: an exclusive ``flock`` on the
sibling file ``.DIR.lock`` (which holds the owner's pid); the second run is refused naming that pid.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterable, Iterator
from contextlib import contextmanager, suppress
from datetime import UTC, datetime
from pathlib import Path

from gridsite.errors import OutputRefused

MARKER = ".gridsite-output"
"""Marker file written into every gridsite output folder."""
FORMAT = "gridsite-output/1"
"""Format tag inside :data:`MARKER`; a marker without it is not trusted."""

KNOWN_FILES = frozenset(
    {
        # solve
        "assignments.csv",
        "sites.csv",
        "regions.csv",
        "flows.csv",
        "certificates.csv",
        "summary.json",
        "failed-summary.json",
        "results.geojson",
        "results.gpkg",
        "results.xlsx",
        "solver.log",
        "manifest.json",
        "siting_map.png",
        "siting_map.html",
        "siting_map.svg",
        "report.html",
        "INCOMPLETE",
        # pareto
        "pareto.csv",
        "pareto.json",
        "pareto.png",
        # sweep
        "sweep.json",
        "sweep.csv",
        "sweep.parquet",
    }
)
"""Top-level file names gridsite writes into its output folders."""
KNOWN_DIRS = frozenset({"points", "runs"})
"""Sub-folders gridsite writes (Pareto/sweep points, sweep run folders)."""

FILE_SUFFIXES = {
    "--write-lp": (".lp", ".mps"),
    "--csv": (".csv",),
    "report --out": (".html", ".htm"),
}
REPORT_SIGNATURE = b"Report written by gridsite"


# --- recognising our own folders ---------------------------------------------------------------------------


def write_marker(folder: Path, kind: str) -> None:
    """Write :data:`MARKER` into ``folder``: format tag, kind (run, failed, pareto, sweep), pid and time."""
    data = {
        "format": FORMAT,
        "kind": kind,
        "pid": os.getpid(),
        "created_utc": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "note": "written by gridsite: this folder is a gridsite output and may be replaced by a later run",
    }
    (Path(folder) / MARKER).write_text(json.dumps(data, indent=2) + "\n", encoding="utf-8")


def _read_json(path: Path) -> dict | None:
    try:
        if path.stat().st_size > 50_000_000:
            return None
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return data if isinstance(data, dict) else None


def output_kind(folder: str | Path) -> str | None:
    """The kind of gridsite output ``folder`` is (``run``, ``failed``, ``pareto``, ``sweep``), or None.

    The marker decides when present; otherwise gridsite's own files with their characteristic keys do (outputs
    written before the marker existed). Contents are not checked here: see :func:`foreign_entries`.
    """
    d = Path(folder)
    if not d.is_dir():
        return None
    marker = _read_json(d / MARKER) if (d / MARKER).is_file() else None
    if marker is not None and marker.get("format") == FORMAT and isinstance(marker.get("kind"), str):
        return marker["kind"]
    man = _read_json(d / "manifest.json") if (d / "manifest.json").is_file() else None
    if man is not None and "scenario_sha256" in man and "gridsite" in (man.get("versions") or {}):
        return "run"
    par = _read_json(d / "pareto.json") if (d / "pareto.json").is_file() else None
    if par is not None and (d / "pareto.csv").is_file():
        return "pareto"
    swp = _read_json(d / "sweep.json") if (d / "sweep.json").is_file() else None
    if swp is not None and ("points" in swp or (d / "points").is_dir()):
        return "sweep"
    if not (d / "summary.json").exists() and any((d / "points").glob("p*.json")):
        return "sweep"  # an interrupted first sweep run: point records only
    summ = _read_json(d / "summary.json") if (d / "summary.json").is_file() else None
    if summ is not None and "status" in summ:
        return "failed" if summ.get("status") in ("infeasible", "time_limit", "error") else "run"
    return None


def foreign_entries(folder: str | Path) -> list[str]:
    """Top-level names in ``folder`` that gridsite does not write (hidden files other than ours count too)."""
    out = []
    for p in sorted(Path(folder).iterdir()):
        name = p.name
        if name == MARKER or (p.is_dir() and not p.is_symlink() and name in KNOWN_DIRS):
            continue
        if name in KNOWN_FILES and p.is_file() and not p.is_symlink():
            continue
        out.append(name + ("/" if p.is_dir() else ""))
    return out


def is_gridsite_output(folder: str | Path) -> bool:
    """True when ``folder`` is an earlier gridsite output holding only what gridsite writes."""
    return output_kind(folder) is not None and not foreign_entries(folder)


def holds_complete_result(folder: str | Path) -> bool:
    """True when ``folder`` is a gridsite output with a complete result (solve, Pareto or sweep), as opposed to
    the summary of a failed run."""
    kind = output_kind(folder)
    if kind == "run":
        return (Path(folder) / "manifest.json").is_file()
    return kind in ("pareto", "sweep")


# --- the checks ---------------------------------------------------------------------------------------------


def _resolve(p: str | Path) -> Path:
    return Path(os.path.abspath(Path(p).expanduser())).resolve()


def _package_dirs() -> list[Path]:
    """gridsite's own code folders (never an output folder)."""
    here = Path(__file__).resolve().parent.parent
    names = ("gridsite", "geodata", "optimizer", "rendering")
    return [_resolve(here / name) for name in names if (here / name).is_dir()]


def _within(child: Path, parent: Path) -> bool:
    return child == parent or child.is_relative_to(parent)


def never_reason(out: Path, inputs: Iterable[str | Path | None] = ()) -> str | None:
    """Why ``out`` (resolved) may never be replaced, even with ``--force``; None when it may."""
    cwd = _resolve(Path.cwd())
    if out == Path(out.anchor):
        return "is the filesystem root"
    with suppress(RuntimeError, KeyError):
        if out == _resolve(Path.home()):
            return "is your home folder"
    if out == cwd:
        return "is the current folder"
    if _within(cwd, out):
        return f"holds the current folder ({cwd})"
    for f in inputs:
        if f is None or str(f) == "":
            continue
        fr = _resolve(f)
        if _within(fr, out):
            return f"holds the input file {f}" if fr != out else f"is the input {f}"
    for pkg in _package_dirs():
        if _within(pkg, out) or _within(out, pkg):
            return f"{'is inside' if _within(out, pkg) else 'holds'} gridsite's own package folder {pkg}"
    return None


def _writable_parent(target: Path, flag: str, shown: str, create: bool) -> None:
    """The nearest existing ancestor of ``target`` must be a writable folder (with ``create=False`` the parent
    itself must exist)."""
    parent = target.parent
    if not create and not parent.exists():
        raise OutputRefused(shown, flag, f"the folder {parent} does not exist; create it first or choose another path")
    p = parent
    while not p.exists():
        p = p.parent
    if not p.is_dir():
        raise OutputRefused(shown, flag, f"{p} is a file, not a folder; choose another path")
    if not os.access(p, os.W_OK | os.X_OK):
        raise OutputRefused(shown, flag, f"the folder {p} is not writable; choose another path")


def check_out_dir(
    out: str | Path,
    *,
    force: bool = False,
    inputs: Iterable[str | Path | None] = (),
    flag: str = "--out",
    accept: tuple[str, ...] = ("run", "failed", "pareto"),
    writes_into: bool = False,
) -> Path:
    """Check that the output folder ``out`` may be written; returns it resolved, or raises :class:`OutputRefused`.

    Allowed: a missing or empty folder, or an earlier gridsite output of a kind in ``accept`` that holds only what
    gridsite writes (with ``writes_into``, for commands that add files without removing any, such as sweeps,
    other files may be there too). A foreign non-empty folder (or another kind of gridsite output) only with
    ``force``. Never
    (see :func:`never_reason`): a file, ``.``, the current folder or a folder holding it, root, home, a folder
    holding an input file or gridsite's own package.
    """
    shown = str(out) if str(out) not in ("", ".") else f"'{out}' (the current folder)"
    if str(out).strip() == "":
        raise OutputRefused(shown, flag, "an empty path is the current folder; name a new folder, e.g. --out results")
    res = _resolve(out)
    if res.exists() and not res.is_dir():
        raise OutputRefused(shown, flag, "is a file, not a folder; gridsite will not replace it (choose a folder name)")
    why = never_reason(res, inputs)
    if why is not None:
        raise OutputRefused(
            shown, flag, f"{why}; gridsite never replaces it (not even with --force): name a new folder instead"
        )
    _writable_parent(res, flag, shown, create=True)
    if not res.exists():
        return res
    if res.exists() and not os.access(res, os.W_OK | os.X_OK):
        raise OutputRefused(shown, flag, "the folder is not writable; choose another folder")
    try:
        entries = list(res.iterdir())
    except OSError as exc:
        raise OutputRefused(shown, flag, f"cannot be read ({exc.strerror}); choose another folder") from None
    if not entries or force:
        return res
    kind = output_kind(res)
    foreign = foreign_entries(res)
    listed = ", ".join(foreign[:5]) + (", …" if len(foreign) > 5 else "")
    if kind is None:
        raise OutputRefused(
            shown,
            flag,
            f"is a folder that gridsite did not write (it holds {listed}); its files would be deleted. Choose a new "
            "or empty folder, or pass --force to replace it",
        )
    if foreign and not (writes_into and kind in accept):
        raise OutputRefused(
            shown,
            flag,
            f"is an earlier gridsite output, but it also holds files gridsite did not write ({listed}) that would be "
            "deleted. Move them, choose another folder, or pass --force",
        )
    if kind not in accept:
        raise OutputRefused(
            shown,
            flag,
            f"holds an earlier gridsite {kind} output, not a {'/'.join(accept)} output; choose another folder or "
            "pass --force",
        )
    return res


def check_out_file(
    path: str | Path,
    flag: str,
    *,
    suffixes: tuple[str, ...] | None = None,
    inputs: Iterable[str | Path | None] = (),
    force: bool = False,
    signature: bytes | None = None,
) -> Path:
    """Check an output file path up front; returns it resolved, or raises :class:`OutputRefused`.

    The extension must be one of ``suffixes``, the path must not be a folder or an input file, and its folder must
    exist and be writable. With ``signature``, an existing file is replaced only if it carries those bytes (a file
    gridsite wrote) or with ``force``.
    """
    shown = str(path)
    if shown.strip() in ("", "."):
        raise OutputRefused(f"'{shown}'", flag, "is not a file name")
    res = _resolve(path)
    if res.is_dir():
        raise OutputRefused(shown, flag, "is a folder, not a file; name a file inside it")
    suffixes = suffixes or FILE_SUFFIXES.get(flag)
    if suffixes and res.suffix.lower() not in suffixes:
        raise OutputRefused(
            shown, flag, f"unknown extension '{res.suffix}' (allowed: {', '.join(suffixes)}); choose a file name"
        )
    for f in inputs:
        if f is not None and str(f) != "" and _resolve(f) == res:
            raise OutputRefused(shown, flag, "is an input file of this command; choose another file name")
    _writable_parent(res, flag, shown, create=False)
    if res.exists():
        if not os.access(res, os.W_OK):
            raise OutputRefused(shown, flag, "the file exists and is not writable; choose another file name")
        if signature is not None and not force and not _has_signature(res, signature):
            raise OutputRefused(
                shown,
                flag,
                "exists and was not written by gridsite; it would be replaced. Choose another file name or pass "
                "--force",
            )
    return res


def _has_signature(path: Path, signature: bytes) -> bool:
    try:
        size = path.stat().st_size
        with open(path, "rb") as fh:
            fh.seek(max(0, size - 8192))
            return signature in fh.read()
    except OSError:
        return False


def check_run_folder(folder: str | Path, flag: str = "RUN_DIR") -> Path:
    """A folder a command writes *into* (``map``, ``report``): it must be an earlier gridsite output."""
    res = _resolve(folder)
    if not res.is_dir():
        raise OutputRefused(str(folder), flag, "folder not found (expected the output folder of a gridsite run)")
    if output_kind(res) is None:
        raise OutputRefused(
            str(folder),
            flag,
            "is not a gridsite output folder (no summary.json, manifest.json or marker); gridsite "
            "writes maps and reports only into its own output folders",
        )
    if not os.access(res, os.W_OK | os.X_OK):
        raise OutputRefused(str(folder), flag, "the folder is not writable")
    return res


# --- one writer per folder ----------------------------------------------------------------------------------


_HELD: set[Path] = set()


def drop_lock_files() -> None:
    """Remove the lock files this process holds; for a process about to end with ``os._exit`` (the kernel then
    releases the locks themselves). A lock file left by a killed process is harmless: it is locked again."""
    for p in list(_HELD):
        with suppress(OSError):
            os.unlink(p)
    _HELD.clear()


def lock_path(out: str | Path) -> Path:
    res = _resolve(out)
    return res.parent / f".{res.name}.lock"


@contextmanager
def output_lock(out: str | Path, flag: str = "--out") -> Iterator[Path]:
    """Hold an exclusive lock on the output folder ``out`` for the block (``flock`` on the sibling ``.DIR.lock``).

    A second process asking for the same folder is refused at once with :class:`OutputRefused` naming the pid
    that holds it. The lock file is removed on release; a lock taken on a file that was meanwhile removed or
    replaced is taken again, so two holders can never coexist. Without ``fcntl`` (Windows) no lock is taken.
    """
    try:
        import fcntl
    except ImportError:  # pragma: no cover
        yield lock_path(out)
        return
    lock = lock_path(out)
    lock.parent.mkdir(parents=True, exist_ok=True)
    while True:
        try:
            fd = os.open(lock, os.O_RDWR | os.O_CREAT, 0o644)
        except OSError:  # a read-only parent (map/report into a folder there): the up-front checks decide
            yield lock
            return
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            try:
                other = os.read(fd, 64).decode("ascii", "replace").strip() or "unknown"
            finally:
                os.close(fd)
            raise OutputRefused(
                str(out),
                flag,
                f"another gridsite run (pid {other}) is writing to this folder (lock file {lock}); wait for it to "
                "finish or choose another folder",
            ) from None
        try:
            same = os.stat(lock).st_ino == os.fstat(fd).st_ino
        except FileNotFoundError:
            same = False
        if same:
            break
        os.close(fd)
    try:
        os.ftruncate(fd, 0)
        os.write(fd, f"{os.getpid()}\n".encode())
        _HELD.add(lock)
        yield lock
    finally:
        _HELD.discard(lock)
        with suppress(OSError):
            os.unlink(lock)
        os.close(fd)
