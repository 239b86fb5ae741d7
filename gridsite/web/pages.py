"""The HTML pages: runs list, run page, scenario editor, comparison of two runs, policy explorer of a sweep.

Pages read only the run folder (``rendering.runformat.read_run``) and the index; every value reaches the HTML
through a Jinja2 template with autoescaping (the comparison page is rendering.compare's own escaped HTML).
"""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import TYPE_CHECKING, Any

import yaml
from fastapi import FastAPI, HTTPException, Request
from fastapi.responses import HTMLResponse, Response
from fastapi.templating import Jinja2Templates

from gridsite.errors import ScenarioError
from gridsite.web import inputs

if TYPE_CHECKING:
    from gridsite.web.app import Server

#: columns shown for each table of the run page (those present in the run's files)
PLACEMENT_COLUMNS = ["cluster_id", "site_id", "region_id", "workload", "it_mw", "facility_mw", "energy_gwh"]
GREEN_COLUMNS = ["site_id", "region_id", "energy_gwh", "grid_gwh", "dedicated_green_gwh", "certificates_gwh",
                 "green_share", "quota"]
HEADROOM_COLUMNS = ["region_id", "name_en", "added_load_mw", "added_peak_mw", "headroom_mw", "gap_mw",
                    "grid_import_mw", "new_firm_mw"]


def fmt(v: Any) -> str:
    if isinstance(v, bool) or v is None:
        return "" if v is None else str(v)
    if isinstance(v, float):
        if math.isnan(v):
            return ""
        return f"{v:,.3g}" if abs(v) < 10 else f"{v:,.1f}"
    return str(v)


def table(df: Any, columns: list[str], keep: Any = None) -> dict[str, Any]:
    if df is None or not len(df):
        return {"columns": [], "rows": []}
    if keep is not None:
        df = df[keep(df)]
    cols = [c for c in columns if c in df.columns]
    return {"columns": cols, "rows": [[fmt(v) for v in r] for r in df[cols].itertuples(index=False)]}


def _positive(column: str) -> Any:
    """A row filter: rows whose ``column`` is > 0 (all rows when the table has no such column)."""
    return lambda d: d[column].fillna(0) > 0 if column in d.columns else [True] * len(d)


def run_view(folder: Path) -> dict[str, Any]:
    """What the run page shows, from the run folder's files."""
    from rendering.runformat import read_run

    tables, summary = read_run(folder)
    assignments = tables.get("assignments")
    sites = tables.get("sites")
    regions = tables.get("regions")
    emissions = summary.get("emissions_t") or {}
    kpis = [
        ("status", summary.get("status", "")),
        (f"total cost ({summary.get('cost_unit', '')})", fmt(summary.get("total_cost"))),
        ("emissions, market-based (t CO2/yr)", fmt(emissions.get("market_based"))),
        ("emissions, location-based (t CO2/yr)", fmt(emissions.get("location_based"))),
        ("facility power (MW)", fmt((summary.get("demand") or {}).get("facility_mw"))),
        ("energy (TWh/yr)", fmt((summary.get("demand") or {}).get("energy_twh"))),
        ("relative MIP gap", fmt(summary.get("mip_gap"))),
    ]
    costs = [(k, fmt(v)) for k, v in (summary.get("cost_breakdown") or {}).items()]
    files = sorted(p.name for p in folder.iterdir() if p.is_file() and not p.name.startswith("."))
    return {
        "kpis": kpis,
        "costs": costs,
        "cost_unit": summary.get("cost_unit", ""),
        "placement": table(assignments, PLACEMENT_COLUMNS),
        "green": table(sites, GREEN_COLUMNS, keep=_positive("n_clusters")),
        "headroom": table(regions, HEADROOM_COLUMNS, keep=_positive("added_load_mw")),
        "files": files,
        "has_map": "siting_map.html" in files,
        "notes": summary.get("notes") or [],
    }


def sweep_points(server: Server, run_id: str) -> dict[str, Any]:
    """The explorer's data: each parameter's values and every point's parameters, cost, emissions and map."""
    import pandas as pd

    folder = server.folder(run_id)
    spec = yaml.safe_load((server.config.jobs_dir / run_id / "sweep.yaml").read_text(encoding="utf-8"))
    names = list((spec or {}).get("parameters", {}))
    csv = folder / "sweep.csv"
    if not csv.is_file():
        return {"parameters": [], "points": []}
    df = pd.read_csv(csv)
    params = []
    for n in names:
        vals = sorted({json.dumps(v) for v in df[n].tolist()}, key=lambda s: (len(s), s)) if n in df else []
        try:
            vals = sorted(vals, key=lambda s: float(json.loads(s)))
        except (TypeError, ValueError):
            pass
        params.append({"name": n, "values": vals})
    points = []
    for r in df.to_dict(orient="records"):
        pid = str(r["point_id"])
        points.append(
            {
                "id": pid,
                "key": [json.dumps(r.get(n)) for n in names],
                "status": str(r.get("status")),
                "total_cost": r.get("total_cost"),
                "cost_unit": r.get("cost_unit"),
                "emissions": r.get("emissions_t.market_based"),
                "message": "" if pd.isna(r.get("message")) else str(r.get("message")),
                "map": f"/runs/{run_id}/files/runs/{pid}/siting_map.html"
                if (folder / "runs" / pid / "siting_map.html").is_file() else None,
            }
        )
    return {"parameters": params, "points": json.loads(json.dumps(points, default=str).replace("NaN", "null"))}


def add_routes(app: FastAPI, server: Server, templates: Jinja2Templates) -> None:
    add_edit_route(app)

    def page(request: Request, name: str, **ctx: Any) -> HTMLResponse:
        return templates.TemplateResponse(request, name, ctx)

    @app.get("/", response_class=HTMLResponse)
    def runs_page(request: Request, status: str | None = None, kind: str | None = None, q: str | None = None):
        rows = [server.status(r) for r in server.index.list(status or None, kind or None, q or None)]
        return page(request, "runs.html", runs=rows, status=status or "", kind=kind or "", q=q or "")

    @app.get("/new", response_class=HTMLResponse)
    def editor_page(request: Request, start: str | None = None, run: str | None = None):
        shipped = inputs.shipped_scenarios()
        text = ""
        if run is not None and (data := server.scenario_of(run)) is not None:
            text = yaml.safe_dump(data, sort_keys=False, allow_unicode=True)
        elif shipped:
            first = DEFAULT_SCENARIO if DEFAULT_SCENARIO in shipped else next(iter(shipped))
            name = start if start in shipped else first
            text = shipped[name].read_text(encoding="utf-8")
        return page(request, "editor.html", shipped=list(shipped), start=start or DEFAULT_SCENARIO, text=text,
                    form=form_of(text))

    @app.get("/runs/{run_id}", response_class=HTMLResponse)
    def run_page(request: Request, run_id: str):
        row = server.row(run_id)
        status = server.status(row)
        view = None
        if row.kind == "run" and status["status"] == "done":
            view = run_view(server.folder(run_id))
        others = [r for r in server.index.list("done", "run") if r.id != run_id]
        return page(request, "run.html", run=status, view=view, others=others)

    @app.get("/compare", response_class=HTMLResponse)
    def compare_page(a: str, b: str):
        from rendering.compare import compare_runs, render_html

        try:
            c = compare_runs(server.folder(a), server.folder(b))
        except ScenarioError as exc:
            raise HTTPException(422, str(exc).replace(str(server.config.runs_dir), "runs")) from None
        html = render_html(c)
        for root in {str(server.config.runs_dir.resolve()), str(server.config.runs_dir)}:  # no server paths shown
            html = html.replace(root + "/", "run ")
        return HTMLResponse(html)

    @app.get("/explore/{run_id}", response_class=HTMLResponse)
    def explore_page(request: Request, run_id: str):
        row = server.row(run_id)
        if row.kind != "sweep":
            raise HTTPException(404, "the policy explorer needs a sweep")
        return page(request, "explore.html", run=server.status(row), data=sweep_points(server, run_id))

    @app.get("/api/sweeps/{run_id}/points")
    def api_points(run_id: str) -> Response:
        server.row(run_id)
        return Response(json.dumps(sweep_points(server, run_id)), media_type="application/json")


DEFAULT_SCENARIO = "china_hubs_2025.yaml"
"""The scenario the editor starts from."""

#: the editor's form: (dotted scenario path, label, input kind)
FORM_FIELDS = [
    ("name", "name", "text"),
    ("policy.green_share.min", "green-power quota (share 0–1)", "number"),
    ("policy.certificates.price", "certificate price (currency per MWh)", "number"),
    ("policy.certificates.cross_region", "certificates tradable across regions", "bool"),
    ("policy.carbon_price", "carbon price (currency per t CO2)", "number"),
    ("time.mode", "time resolution (annual, monthly, representative_days, hourly)", "text"),
]


def get_path(data: Any, path: str) -> Any:
    cur = data
    for part in path.split("."):
        if isinstance(cur, dict):
            cur = cur.get(part)
        elif isinstance(cur, list):
            cur = next((e for e in cur if isinstance(e, dict) and str(e.get("id")) == part), None)
        else:
            return None
    return cur


def form_of(text: str) -> list[dict[str, Any]]:
    """The editor form's fields with the values in the YAML ``text`` (clusters: one row per cluster's size)."""
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError:
        data = None
    if not isinstance(data, dict):
        data = {}
    fields = [{"path": p, "label": lab, "kind": k, "value": get_path(data, p)} for p, lab, k in FORM_FIELDS]
    for c in data.get("clusters") or []:
        if isinstance(c, dict) and "id" in c:
            key = "mw" if "mw" in c else "gpus"
            fields.append({"path": f"clusters.{c['id']}.{key}", "label": f"cluster {c['id']}: {key}",
                           "kind": "number", "value": c.get(key)})
    return fields


def add_edit_route(app: FastAPI) -> None:
    @app.post("/api/form")
    async def api_form(request: Request) -> Response:
        """The editor form's fields read from a scenario's YAML (body)."""
        return Response(json.dumps(form_of((await request.body()).decode("utf-8", "replace")), default=str),
                        media_type="application/json")

    @app.post("/api/edit")
    async def api_edit(request: Request) -> Response:
        """Set form fields in a scenario's YAML: ``{"yaml": TEXT, "set": {dotted path: value}}`` → ``{"yaml"}``."""
        from gridsite.errors import PathError
        from optimizer.studies.sweepfile import set_path

        try:
            req = json.loads(await request.body())
            data = yaml.safe_load(req["yaml"])
            changes = dict(req["set"])
        except (ValueError, KeyError, TypeError, yaml.YAMLError) as exc:
            return Response(json.dumps(inputs.problems_json(ScenarioError("scenario.yaml", [("", str(exc))]))),
                            422, media_type="application/json")
        if not isinstance(data, dict):
            data = {}
        for path, value in changes.items():
            try:
                set_path(data, str(path), value)
            except PathError as exc:
                body = inputs.problems_json(ScenarioError("scenario.yaml", [(str(path), str(exc))]))
                return Response(json.dumps(body), 422, media_type="application/json")
        text = yaml.safe_dump(data, sort_keys=False, allow_unicode=True)
        return Response(json.dumps({"yaml": text}), media_type="application/json")
