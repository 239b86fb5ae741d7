"""Typed failures of a run, each mapped to a CLI exit code (see DESIGN.md §3)."""

from __future__ import annotations

import os
import sys
from dataclasses import dataclass, field

EXIT_OK = 0
EXIT_BAD_INPUT = 2
EXIT_INFEASIBLE = 3
EXIT_TIME_LIMIT = 4
EXIT_ERROR = 1


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

    def __str__(self) -> str:
        lines = [self.summary] + [f"  - {d.message}" for d in self.diagnosis]
        return "\n".join(lines)


def started_as_cli() -> bool:
    """True when this process is the ``gridsite`` command (console script or ``python -m optimizer.cli``)."""
    first = sys.argv[0] if sys.argv else ""
    name = os.path.basename(first).removesuffix(".exe")
    return name == "gridsite" or first == "-m" or first.endswith(os.path.join("optimizer", "cli.py"))


def exit_if_interrupted_at_start() -> None:
    """In an ``except KeyboardInterrupt`` around start-up imports: the ``gridsite`` command ends with one line and
    exit 130 instead of a traceback (nothing has been read or written yet); a library user gets the exception."""
    if started_as_cli():
        sys.stderr.write("gridsite: interrupted while starting; nothing was read or written\n")
        sys.stderr.flush()
        raise SystemExit(130)
