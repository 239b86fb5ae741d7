"""The FastAPI application of ``gridsite serve``: the JSON API (also for scripts) and the HTML pages.

API: ``POST /api/runs`` (a scenario as YAML or JSON) → 202 ``{"id"}``, or 422 with each problem's field path
and what is allowed; ``GET /api/runs/{id}`` → ``{"id", "status", "summary", "message", ...}``; ``GET /api/runs``;
``POST /api/sweeps`` (a sweep file whose ``base`` is a shipped scenario or a stored run); ``POST /api/validate``
(the same checks as ``POST /api/runs``, nothing queued). Pages: ``/`` runs, ``/new`` editor, ``/runs/{id}``,
``/compare``, ``/explore/{id}``. Every page is a Jinja2 template with autoescaping, so user strings are escaped.
"""

from __future__ import annotations

import hmac
import json
import shutil
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import yaml
from fastapi import FastAPI, HTTPException, Request
from fastapi.responses import FileResponse, JSONResponse, RedirectResponse, Response
from fastapi.templating import Jinja2Templates

from gridsite.errors import ScenarioError
from gridsite.web import inputs
from gridsite.web.config import ServeConfig
from gridsite.web.jobs import JobQueue, read_state
from gridsite.web.store import STATUSES, RunIndex, RunRow

TEMPLATES = Path(__file__).resolve().parent / "templates"
TOKEN_COOKIE = "gridsite_token"
POST_TYPES = ("application/x-yaml", "application/yaml", "text/yaml", "application/json")
"""Content types accepted on POST (a cross-site form cannot send them without the browser asking first)."""
INTERRUPTED = "interrupted: the server stopped while this run was executing; submit it again"


def _new_id() -> str:
    import secrets

    return secrets.token_hex(6)


class Server:
    """The state behind the routes: configuration, index, job queue."""

    def __init__(self, config: ServeConfig):
        self.config = config
        config.data.mkdir(parents=True, exist_ok=True)
        config.runs_dir.mkdir(exist_ok=True)
        config.jobs_dir.mkdir(exist_ok=True)
        self.index = RunIndex(config.db_url)
        self.queue: JobQueue | None = None

    def start(self) -> None:
        """Start the workers; runs that were executing when the server stopped fail, queued ones are re-queued."""
        self.queue = JobQueue(self.config.workers, self.config.scheduler, self.finished)
        for row in self.index.list():
            if row.status not in ("queued", "running"):
                continue
            state = read_state(self.config.jobs_dir / row.id)
            if row.status == "running" or state.get("status") == "running":
                self.index.update(row.id, status="failed", message=INTERRUPTED, finished=time.time(),
                                  started=state.get("started", row.started))
            else:
                self.queue.submit(row.kind, self.config.data, row.id)

    def stop(self) -> None:
        if self.queue is not None:
            self.queue.close()
            self.queue = None

    def finished(self, run_id: str, result: dict[str, Any]) -> None:
        state = read_state(self.config.jobs_dir / run_id)
        self.index.update(
            run_id,
            status=result.get("status", "failed"),
            message=str(result.get("message", "")),
            headline=json.dumps(result.get("headline", {})),
            started=state.get("started"),
            finished=time.time(),
        )

    def submit(self, kind: str, name: str, region_set: str, write_inputs: Any) -> str:
        if self.index.count_active() >= self.config.max_queued:
            raise HTTPException(429, f"{self.config.max_queued} runs are already queued or running; try later")
        run_id = _new_id()
        job = self.config.jobs_dir / run_id
        job.mkdir(parents=True)
        write_inputs(job)
        self.index.add(RunRow(id=run_id, kind=kind, name=name, region_set=region_set, status="queued"))
        assert self.queue is not None
        self.queue.submit(kind, self.config.data, run_id)
        return run_id

    def status(self, row: RunRow) -> dict[str, Any]:
        """The run's record with live state: a queued run whose worker started it is running (elapsed, gap…)."""
        d = row.as_dict()
        if row.status in ("queued", "running"):
            state = read_state(self.config.jobs_dir / row.id)
            if state.get("status") == "running":
                if row.status == "queued":
                    self.index.update(row.id, status="running", started=state.get("started"))
                d["status"] = "running"
                d["started"] = state.get("started")
                d["elapsed_s"] = round(time.time() - float(state.get("started") or time.time()), 1)
                d["progress"] = {k: state[k] for k in ("stage", "incumbent", "bound", "gap", "nodes", "points",
                                                        "total") if k in state}
        elif row.started and row.finished:
            d["elapsed_s"] = round(row.finished - row.started, 1)
        d["summary"] = self.summary(row.id) if d["status"] in ("done", "failed") else None
        return d

    def folder(self, run_id: str) -> Path:
        if not inputs.RUN_ID.match(run_id):
            raise HTTPException(404, "no such run")
        return self.config.runs_dir / run_id

    def summary(self, run_id: str) -> dict[str, Any] | None:
        for name in ("summary.json", "sweep.json"):
            p = self.folder(run_id) / name
            if p.is_file():
                try:
                    return json.loads(p.read_text(encoding="utf-8"))
                except ValueError:
                    return None
        return None

    def row(self, run_id: str) -> RunRow:
        row = self.index.get(run_id) if inputs.RUN_ID.match(run_id) else None
        if row is None:
            raise HTTPException(404, f"no run with id {run_id!r}")
        return row

    def scenario_of(self, run_id: str) -> dict | None:
        p = self.config.jobs_dir / run_id / "scenario.yaml"
        if not inputs.RUN_ID.match(run_id) or not p.is_file():
            return None
        data = yaml.safe_load(p.read_text(encoding="utf-8"))
        return data if isinstance(data, dict) else None


def create_app(config: ServeConfig) -> FastAPI:
    """The application; its lifespan starts the workers (and re-queues queued runs) and stops them."""
    server = Server(config)

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        server.start()
        try:
            yield
        finally:
            server.stop()

    app = FastAPI(title="gridsite", lifespan=lifespan, docs_url=None, redoc_url=None, openapi_url=None)
    app.state.server = server
    templates = Jinja2Templates(directory=str(TEMPLATES))  # autoescape on for .html

    loopback_names = {"localhost", "127.0.0.1", "::1"}

    @app.middleware("http")
    async def guard(request: Request, call_next):
        token = config.token
        host = request.url.hostname or ""
        if not token and host not in loopback_names:  # DNS rebinding: a page of another site resolved to 127.0.0.1
            return JSONResponse({"error": f"unexpected Host {host!r}: open the app as http://localhost:PORT/"}, 421)
        if request.method == "POST":  # no plain HTML-form posts from other sites (CSRF): scripts name the type
            ctype = request.headers.get("content-type", "").split(";")[0].strip().lower()
            if ctype not in POST_TYPES:
                return JSONResponse({"error": f"Content-Type must be one of {', '.join(POST_TYPES)}"}, 415)
        set_cookie = False
        if token:
            given = (
                request.headers.get("authorization", "").removeprefix("Bearer ").strip()
                or request.cookies.get(TOKEN_COOKIE, "")
                or request.query_params.get("token", "")
            )
            if not hmac.compare_digest(given.encode(), token.encode()):
                return JSONResponse({"error": "a valid token is required (Authorization: Bearer TOKEN)"}, 401)
            set_cookie = "token" in request.query_params
        length = request.headers.get("content-length")
        if length is not None and (not length.isdigit() or int(length) > config.max_upload_bytes):
            return JSONResponse({"error": f"request body larger than {config.max_upload_bytes} bytes"}, 413)
        response = await call_next(request)
        if set_cookie and token:
            response.set_cookie(TOKEN_COOKIE, token, httponly=True, samesite="strict")
        response.headers["X-Content-Type-Options"] = "nosniff"
        return response

    async def body_of(request: Request) -> bytes:
        body = await request.body()
        if len(body) > config.max_upload_bytes:
            raise HTTPException(413, f"request body larger than {config.max_upload_bytes} bytes")
        return body

    def invalid(exc: ScenarioError) -> JSONResponse:
        return JSONResponse(inputs.problems_json(exc), 422)

    # --- API ----------------------------------------------------------------------------------------------------
    @app.post("/api/validate")
    async def api_validate(request: Request) -> Response:
        body = await body_of(request)
        try:
            sc, _ = inputs.parse_scenario_body(body, request.headers.get("content-type", ""))
        except ScenarioError as exc:
            return invalid(exc)
        return JSONResponse({"ok": True, "name": sc.name, "region_set": sc.region_set,
                             "clusters": len(sc.clusters)})

    @app.post("/api/runs", status_code=202)
    async def api_submit(request: Request) -> Response:
        body = await body_of(request)
        try:
            sc, data = inputs.parse_scenario_body(body, request.headers.get("content-type", ""))
        except ScenarioError as exc:
            return invalid(exc)

        def write(job: Path) -> None:
            (job / "scenario.yaml").write_text(yaml.safe_dump(data, sort_keys=False, allow_unicode=True), "utf-8")

        run_id = server.submit("run", sc.name, str(sc.region_set), write)
        return JSONResponse({"id": run_id, "url": f"/runs/{run_id}"}, 202)

    @app.post("/api/sweeps", status_code=202)
    async def api_sweep(request: Request) -> Response:
        body = await body_of(request)
        staging = config.jobs_dir / f".staging-{_new_id()}"
        try:
            sweep = inputs.prepare_sweep(body, request.headers.get("content-type", ""), staging, server.scenario_of)
        except ScenarioError as exc:
            shutil.rmtree(staging, ignore_errors=True)  # written by this request only
            return invalid(exc)

        def move(job: Path) -> None:
            for f in staging.iterdir():
                f.rename(job / f.name)
            staging.rmdir()

        run_id = server.submit("sweep", sweep.spec.name, str(sweep.base.get("region_set", "")), move)
        return JSONResponse({"id": run_id, "url": f"/runs/{run_id}", "points": len(sweep.points)}, 202)

    @app.get("/api/runs")
    def api_list(status: str | None = None, kind: str | None = None, q: str | None = None) -> Response:
        if status is not None and status not in STATUSES:
            return JSONResponse({"error": f"status must be one of {', '.join(STATUSES)}"}, 422)
        return JSONResponse([server.status(r) for r in server.index.list(status, kind, q)])

    @app.get("/api/runs/{run_id}")
    def api_run(run_id: str) -> Response:
        return JSONResponse(server.status(server.row(run_id)))

    @app.get("/api/scenarios")
    def api_scenarios() -> Response:
        return JSONResponse(sorted(inputs.shipped_scenarios()))

    @app.get("/api/scenarios/{name}")
    def api_scenario(name: str) -> Response:
        p = inputs.shipped_scenarios().get(name)
        if p is None:
            raise HTTPException(404, f"no shipped scenario {name!r}")
        return Response(p.read_text(encoding="utf-8"), media_type="application/x-yaml")

    # --- files ---------------------------------------------------------------------------------------------------
    @app.get("/runs/{run_id}/files/{path:path}")
    def run_file(run_id: str, path: str) -> Response:
        folder = server.folder(run_id).resolve()
        target = (folder / path).resolve()
        if not target.is_relative_to(folder) or not target.is_file() or any(p.startswith(".") for p in
                                                                            Path(path).parts):
            raise HTTPException(404, "no such file in this run")
        return FileResponse(target)

    # --- pages ---------------------------------------------------------------------------------------------------
    from gridsite.web import pages

    pages.add_routes(app, server, templates)
    return app


def redirect(url: str) -> RedirectResponse:
    return RedirectResponse(url, status_code=303)
