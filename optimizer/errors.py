"""Typed failures of a run, each mapped to a CLI exit code (see DESIGN.md §3)."""

from __future__ import annotations

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
