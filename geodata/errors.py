"""Errors and warnings raised while reading region-set data.

Every problem names the file, the row (a region/site/corridor id where there is one) and the field, so a user
editing a CSV knows exactly what to fix.
"""

from __future__ import annotations

from dataclasses import dataclass


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
    """Raised when bundled or user data cannot be used. ``issues`` lists every error found."""

    def __init__(self, issues: list[DataIssue] | DataIssue | str):
        if isinstance(issues, str):
            issues = [DataIssue("error", "", "", "", issues)]
        elif isinstance(issues, DataIssue):
            issues = [issues]
        self.issues = list(issues)
        super().__init__("\n".join(str(i) for i in self.issues))


class DataWarning(UserWarning):
    """A data problem a user can proceed with (e.g. a site just outside its region polygon)."""
