"""The settings of a ``gridsite serve`` process: where data lives, who may call it, and its limits."""

from __future__ import annotations

import ipaddress
import os
from dataclasses import dataclass, field
from pathlib import Path

from gridsite.errors import ScenarioError

TOKEN_ENV = "GRIDSITE_TOKEN"
"""Environment variable holding the access token (used when ``--token`` is not given)."""

MAX_UPLOAD_BYTES = 256 * 1024
"""Largest request body accepted (a scenario or sweep file); larger bodies get 413."""

MAX_QUEUED = 50
"""Most runs waiting or running at once; a further submission gets 429 until one finishes."""


def is_loopback(host: str) -> bool:
    """True for ``localhost`` and loopback addresses (127.0.0.0/8, ::1)."""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


@dataclass
class ServeConfig:
    """What ``gridsite serve`` was started with.

    ``workers``: local Dask worker processes (0: one in-process worker thread, for tests and small machines);
    ``scheduler``: address of an existing Dask scheduler instead. ``region_sets``: folders of region sets the
    operator allows by name (requests never name a path). ``token``: required on every request when set (and
    always when ``host`` is not a loopback address).
    """

    data: Path = Path("gridsite-data")
    host: str = "127.0.0.1"
    port: int = 8000
    workers: int = 1
    scheduler: str | None = None
    token: str | None = None
    region_sets: list[Path] = field(default_factory=list)
    max_upload_bytes: int = MAX_UPLOAD_BYTES
    max_queued: int = MAX_QUEUED

    def check(self) -> ServeConfig:
        """Refuse unsafe or impossible settings (``ScenarioError``, exit 2, naming the option)."""
        if self.token is None:
            self.token = os.environ.get(TOKEN_ENV) or None
        if not is_loopback(self.host) and not self.token:
            raise ScenarioError(
                "command line",
                [("--host", f"{self.host} is reachable from other machines: give --token TOKEN (or set {TOKEN_ENV})")],
            )
        if self.token is not None and len(self.token) < 16:
            raise ScenarioError("command line", [("--token", "at least 16 characters")])
        if self.workers < 0:
            raise ScenarioError("command line", [("--workers", "0 (in-process) or more worker processes")])
        if self.workers and self.scheduler:
            pass  # --scheduler wins; workers is then ignored
        for d in self.region_sets:
            if not Path(d).is_dir():
                raise ScenarioError("command line", [("--region-sets", f"{d} is not a folder")])
        if self.data.exists() and not self.data.is_dir():
            raise ScenarioError("command line", [("--data", f"{self.data} is a file; a folder is expected")])
        return self

    @property
    def runs_dir(self) -> Path:
        return self.data / "runs"

    @property
    def jobs_dir(self) -> Path:
        return self.data / "jobs"

    @property
    def db_url(self) -> str:
        return f"sqlite:///{(self.data / 'index.sqlite').resolve()}"
