"""Every error gridsite raises on purpose, in one place, each mapped to the CLI exit code it ends with.

==========================  ====  =====================================================================
class                       exit  meaning
==========================  ====  =====================================================================
:class:`ScenarioError`         2  a scenario, sweep file or command-line value cannot be used (field named)
:class:`OutputRefused`         2  an output path gridsite will not write (path and way out named)
:class:`PathError`             2  a path inside a sweep file cannot be resolved
:class:`DataError`             2  a bundled or user data file cannot be used (file, row, field named)
:class:`InfeasibleError`       3  no placement meets the policies; ``diagnosis`` says which and by how much
:class:`TimeLimitError`        4  the time limit came before any feasible placement
any other exception            1  a bug: the CLI prints its type and message
==========================  ====  =====================================================================

This module imports nothing from gridsite, so every layer (geodata, optimizer, rendering, interfaces) can use it.
"""

from __future__ import annotations

import os
import sys
from dataclasses import dataclass, field
from pathlib import Path

EXIT_ERROR = 1
EXIT_BAD_INPUT = 2
EXIT_INFEASIBLE = 3
EXIT_TIME_LIMIT = 4


class ScenarioError(ValueError):
    """A scenario that cannot be used. ``problems`` are ``(field path, message)`` pairs."""

    def __init__(self, file: str, problems: list[tuple[str, str]]):
        self.file = file
        self.problems = problems
        lines = [f"{file}: field '{loc}': {msg}" if loc else f"{file}: {msg}" for loc, msg in problems]
        super().__init__("\n".join(lines))


class OutputRefused(ScenarioError):
    """An output path gridsite will not write (exit 2). The message names the path and the way out."""

    def __init__(self, path: str | Path, flag: str, message: str):
        super().__init__(str(path), [(flag, message)])
        self.path = str(path)


class PathError(ValueError):
    """A dotted field path (``policy.green_share.min``, ``clusters.train-1.mw``) that names no field of a
    scenario; the sweep-file reader turns it into a :class:`ScenarioError` naming the sweep file (exit 2)."""


@dataclass(frozen=True)
class DataIssue:
    """One problem found in a data file."""

    level: str  # "error" | "warning"
    file: str
    row: str
    field: str
    message: str

    def __str__(self) -> str:
        where = self.file
        if self.row:
            where += f", row {self.row}"
        if self.field:
            where += f", field '{self.field}'"
        return f"{where}: {self.message}"


class DataError(ValueError):
    """Raised when bundled or user data cannot be used. ``issues`` lists every error found; every problem names
    the file, the row (a region/site/corridor id where there is one) and the field."""

    def __init__(self, issues: list[DataIssue] | DataIssue | str):
        if isinstance(issues, str):
            issues = [DataIssue("error", "", "", "", issues)]
        elif isinstance(issues, DataIssue):
            issues = [issues]
        self.issues = list(issues)
        super().__init__("\n".join(str(i) for i in self.issues))


class DataWarning(UserWarning):
    """A data problem a user can proceed with (e.g. a site just outside its region polygon)."""


@dataclass
class Diagnosis:
    """One reason a scenario cannot be met, in the user's terms."""

    kind: str  # quota | site_capacity | latency | corridor | certificate_supply | potential | carbon_cap | demand
    subject: str  # the site / cluster / region / corridor id
    message: str
    amount: float | None = None
    unit: str = ""

    def as_dict(self) -> dict:
        return {
            "kind": self.kind,
            "subject": self.subject,
            "message": self.message,
            "amount": self.amount,
            "unit": self.unit,
        }


@dataclass
class InfeasibleError(Exception):
    """The scenario has no feasible placement; ``diagnosis`` says which policy or limit and by how much."""

    summary: str
    diagnosis: list[Diagnosis] = field(default_factory=list)
    #: the model's size and the time spent (as in ``summary.json``) when the solver found it infeasible
    model_size: dict[str, int] = field(default_factory=dict)
    timings_s: dict[str, float] = field(default_factory=dict)

    def __str__(self) -> str:
        lines = [self.summary] + [f"  - {d.message}" for d in self.diagnosis]
        return "\n".join(lines)


class TimeLimitError(RuntimeError):
    """The time limit was reached before any feasible placement was found (exit 4).

    ``model_size`` and ``timings_s``: the model's size and the time spent, as in ``summary.json``."""

    def __init__(self, *args: object) -> None:
        super().__init__(*args)
        self.model_size: dict[str, int] = {}
        self.timings_s: dict[str, float] = {}


def exit_code(exc: BaseException) -> int:
    """The CLI exit code of an exception (table in the module docstring)."""
    if isinstance(exc, ScenarioError | PathError | DataError):
        return EXIT_BAD_INPUT
    if isinstance(exc, InfeasibleError):
        return EXIT_INFEASIBLE
    if isinstance(exc, TimeLimitError):
        return EXIT_TIME_LIMIT
    return EXIT_ERROR


def started_as_cli() -> bool:
    """True when this process is the ``gridsite`` command (console script or ``python -m gridsite``)."""
    first = sys.argv[0] if sys.argv else ""
    name = os.path.basename(first).removesuffix(".exe")
    return name == "gridsite" or first == "-m" or first.endswith(os.path.join("gridsite", "__main__.py"))


def exit_if_interrupted_at_start() -> None:
    """In an ``except KeyboardInterrupt`` around start-up imports: the ``gridsite`` command ends with one line and
    exit 130 instead of a traceback (nothing has been read or written yet); a library user gets the exception."""
    if started_as_cli():
        sys.stderr.write("gridsite: interrupted while starting; nothing was read or written\n")
        sys.stderr.flush()
        raise SystemExit(130)
