"""``gridsite serve``: the web application (:mod:`gridsite.web`) on uvicorn."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Annotated

import typer

from gridsite.cli import options
from gridsite.cli.guard import guarded


def serve(
    port: Annotated[int, typer.Option("--port", min=1, max=65535, help="TCP port")] = 8000,
    data: Annotated[Path, typer.Option("--data", help="Folder of the runs and their index")] = Path("gridsite-data"),
    workers: Annotated[int, options.workers()] = 1,
    scheduler: Annotated[str | None, options.scheduler()] = None,
    host: Annotated[
        str, typer.Option("--host", help="Address to listen on; other than loopback needs --token")
    ] = "127.0.0.1",
    token: Annotated[
        str | None, typer.Option("--token", help="Access token required on every request (or $GRIDSITE_TOKEN)")
    ] = None,
    region_sets: Annotated[
        list[Path] | None,
        typer.Option("--region-sets", help="Folder of region sets requests may name (repeatable)"),
    ] = None,
) -> None:
    """Start the web app: edit and queue scenarios, watch runs, compare them, explore sweeps (localhost default)."""
    from gridsite.web.config import ServeConfig

    config = ServeConfig(data=data, host=host, port=port, workers=workers, scheduler=scheduler, token=token,
                         region_sets=list(region_sets or []))
    guarded(lambda: (config.check(), 0)[1])
    if config.region_sets:
        from geodata.regionset import SEARCH_PATH_ENV

        os.environ[SEARCH_PATH_ENV] = os.pathsep.join(str(p.resolve()) for p in config.region_sets)
    import uvicorn

    from gridsite.web import create_app

    shown = "localhost" if host in ("127.0.0.1", "::1") else host
    typer.echo(f"gridsite: open http://{shown}:{port}/  (runs in {data}; Ctrl-C stops)")
    uvicorn.run(create_app(config), host=host, port=port, log_level="warning")
