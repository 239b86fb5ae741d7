"""Cost–carbon Pareto frontier by the ε-constraint method, the points solved in parallel on Dask.

1. Two anchor solves: minimum cost (the scenario as given) and minimum carbon (``objective.mode: carbon``:
   least emissions, then least cost at those emissions). Their emissions E_min-cost ≥ E_min-carbon bound the
   frontier.
2. N − 2 cost minimisations with ``policy.carbon_cap_t`` = ε_k = E_min-carbon + k · (E_min-cost − E_min-carbon)
   / (N − 1), k = 1 … N − 2 (each ε nudged up by a relative 1e-6 so a cap at a solved level stays feasible
   numerically; a cap the scenario already sets is kept when tighter).

Emissions are the scenario's ``policy.carbon_accounting`` (location- or market-based), the figure the cap binds.
Points are numbered by cap, from the minimum-carbon anchor (point 0) to the minimum-cost anchor (point N − 1);
at optimality the cost is non-increasing from point 0 to N − 1 (a larger cap relaxes the problem). Failed points
stay in the table with their status and message; if an anchor fails the ε points cannot be placed and are
reported as ``skipped``.
"""

from __future__ import annotations

import itertools
import json
import math
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from optimizer.model.scenario import Scenario, ScenarioError, parse_scenario
from optimizer.studies.store import StudyStore
from optimizer.studies.sweep import (
    default_workers,
    describe,
    executor,
    map_unordered,
    region_set,
    run_cap_series,
    run_point,
)

#: Relative nudge added to every carbon cap (a cap exactly at a solved emission level can be infeasible by 1e-9).
CAP_NUDGE = 1e-6
#: ε points solved on one compiled model per task (:func:`optimizer.studies.sweep.run_cap_series`). A fixed size, not
#: one chunk per worker, so the frontier is the same whatever the number of workers.
CHUNK = 4
#: Smallest MIP gap :func:`epsilon_gap` chooses for the ε points (0.01 %).
EPS_GAP_FLOOR = 1e-4


def epsilon_gap(base_gap: float, cost_min: float, cost_max: float, n_points: int) -> float:
    """MIP gap for the ε points: at most a quarter of the relative cost step between neighbouring points.

    Neighbouring ε points differ in cost by about ``(cost_max − cost_min) / (n_points − 1)``; a solver allowed a
    larger relative gap may stop at the same plan for two caps, so the step ``s = (cost_max − cost_min) /
    ((n_points − 1)·|cost_min|)`` bounds the gap: ``min(base_gap, max(EPS_GAP_FLOOR, s / 4))``.
    """
    if n_points <= 2 or not all(math.isfinite(x) for x in (cost_min, cost_max)) or abs(cost_min) < 1e-9:
        return base_gap
    step = (cost_max - cost_min) / ((n_points - 1) * abs(cost_min))
    return min(base_gap, max(EPS_GAP_FLOOR, step / 4))


def coincident_points(df: pd.DataFrame, rel: float = 1e-6) -> list[tuple[str, str]]:
    """Neighbouring solved points with the same emissions and cost (relative tolerance ``rel``)."""
    ok = df[df.cost.notna() & df.carbon_t.notna()].sort_values("carbon_t")
    out = []
    for a, b in itertools.pairwise(ok.itertuples(index=False)):
        same_c = abs(a.carbon_t - b.carbon_t) <= rel * max(abs(a.carbon_t), 1.0)
        same_k = abs(a.cost - b.cost) <= rel * max(abs(a.cost), 1.0)
        if same_c and same_k:
            out.append((a.point, b.point))
    return out


@dataclass
class ParetoRun:
    out: Path
    table: pd.DataFrame
    accounting: str
    currency: str
    non_increasing: bool
    anchors_ok: bool
    wall_s: float
    executor: dict = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)
    kept_earlier: Path | None = None
    """Set when the anchors failed and ``out`` held a complete earlier result: it was kept, and this run's
    summary is this file (``failed-summary.json`` beside it)."""


def point_scenario(
    base: Scenario,
    *,
    objective: str = "cost",
    carbon_cap_t: float | None = None,
    threads: int = 1,
    time_limit_s: float | None = None,
    mip_gap: float | None = None,
) -> dict:
    """The scenario of one frontier point as a validated plain dict (what is shipped to a worker)."""
    data = base.model_dump(mode="json")
    data["objective"] = {**data.get("objective", {}), "mode": objective}
    if carbon_cap_t is not None:
        own = base.policy.carbon_cap_t
        data["policy"]["carbon_cap_t"] = carbon_cap_t if own is None else min(own, carbon_cap_t)
    data["solver"]["threads"] = threads
    if time_limit_s is not None:
        data["solver"]["time_limit_s"] = time_limit_s
    if mip_gap is not None:
        data["solver"]["mip_gap"] = mip_gap
    return parse_scenario(data).model_dump(mode="json")


def epsilon_levels(e_min: float, e_max: float, n_points: int) -> list[float]:
    """The N − 2 interior carbon levels, evenly spaced strictly between the anchors' emissions (ascending)."""
    step = (e_max - e_min) / (n_points - 1)
    return [e_min + k * step for k in range(1, n_points - 1)]


def nudged(cap: float) -> float:
    return cap + max(abs(cap), 1.0) * CAP_NUDGE


def non_increasing(costs: list[float], tol: float = 1e-6) -> bool:
    """True when every cost is at most the previous one (relative tolerance ``tol``)."""
    return all(b <= a + tol * max(abs(a), 1.0) for a, b in itertools.pairwise(costs))


def run_pareto(
    scenario: Scenario,
    n_points: int,
    out: str | Path,
    *,
    store: StudyStore,
    file: str = "<scenario>",
    workers: int | None = None,
    scheduler: str | None = None,
    threads: int = 1,
    time_limit_s: float | None = None,
    mip_gap: float | None = None,
    run_dirs: bool = True,
    on_start: Callable[[int], None] | None = None,
    on_point: Callable[[dict], None] | None = None,
    force: bool = False,
) -> ParetoRun:
    """Trace the frontier with ``n_points`` points and write ``pareto.csv``, ``pareto.json``, ``pareto.png`` and
    one run folder per point (``points/pNN``) into ``out``, replaced atomically.

    Every folder and file goes through ``store`` (``gridsite.run_pareto`` passes the rendering layer's run-folder
    store): ``out`` must be new, empty or an earlier gridsite output (a foreign folder only with ``force``). When
    both anchors fail and ``out`` holds a complete earlier result, that result is kept and this run's
    ``pareto.json`` content goes beside it as the store's failed summary (``failed-summary.json``)."""
    if n_points < 2:
        raise ScenarioError(
            "command line", [("--points", f"needs at least 2 points (the two anchors), got {n_points}")]
        )
    acct = scenario.policy.carbon_accounting
    opts: dict[str, Any] = {"threads": threads, "time_limit_s": time_limit_s, "mip_gap": mip_gap}
    names = [f"p{k:02d}" for k in range(n_points)]
    rows: dict[str, dict] = {}
    notes: list[str] = []
    rs = region_set(scenario.region_set, tuple(sorted(scenario.grid.profiles.items())))
    if scheduler is None and workers != 0:  # no more processes than points that can run at once
        workers = min(default_workers() if workers is None else workers, max(2, n_points - 2))
    if on_start:
        on_start(n_points)
    t0 = time.perf_counter()
    kept: Path | None = None
    with store.atomic_dir(Path(out), force=force, kind="pareto") as tmp, executor(workers, scheduler) as client:
        info = describe(client)

        def record(name: str, kind: str, cap: float | None, rec: dict, result) -> None:
            row = _row(name, kind, cap, rec, acct)
            if result is not None and run_dirs:
                store.write_run(result, tmp / "points" / name, rs, scenario_path=file)
                row["run_dir"] = f"points/{name}"
            rows[name] = row
            if on_point:
                on_point(row)

        def failed(exc: BaseException) -> dict:
            return {"status": "error", "message": f"task failed: {type(exc).__name__}: {exc}"}

        def run(tasks: list[tuple[str, str, float | None, dict]]) -> None:
            meta = {name: (kind, cap) for name, kind, cap, _ in tasks}
            jobs = [(name, (name, sc, file, True)) for name, _, _, sc in tasks]
            for name, res, exc in map_unordered(client, run_point, jobs, label="pareto"):
                rec, result = (failed(exc), None) if exc is not None else (res["record"], res["result"])
                record(name, *meta[name], rec, result)

        def run_series(tasks: list[tuple[str, str, float | None, dict]]) -> None:
            """ε points in chunks of :data:`CHUNK` consecutive caps, each chunk on one compiled model."""
            meta = {name: (kind, cap) for name, kind, cap, _ in tasks}
            chunks = [tasks[i : i + CHUNK] for i in range(0, len(tasks), CHUNK)]
            jobs = [(c[0][0], ([(name, sc) for name, _, _, sc in c], file, True)) for c in chunks]
            members = {c[0][0]: [t[0] for t in c] for c in chunks}
            for key, res, exc in map_unordered(client, run_cap_series, jobs, label="pareto"):
                if exc is not None:
                    for name in members[key]:
                        record(name, *meta[name], failed(exc), None)
                    continue
                for name, item in zip(members[key], res, strict=True):
                    record(name, *meta[name], item["record"], item["result"])

        run(
            [
                (names[0], "min_carbon", None, point_scenario(scenario, objective="carbon", **opts)),
                (names[-1], "min_cost", None, point_scenario(scenario, objective="cost", **opts)),
            ]
        )
        lo, hi = rows[names[0]], rows[names[-1]]
        anchors_ok = lo["carbon_t"] is not None and hi["carbon_t"] is not None
        if anchors_ok and n_points > 2:
            e_lo, e_hi = lo["carbon_t"], hi["carbon_t"]
            if e_hi - e_lo <= max(abs(e_hi), 1.0) * CAP_NUDGE:
                notes.append("the minimum-cost plan already has the minimum emissions: the frontier is one point")
            levels = epsilon_levels(e_lo, max(e_hi, e_lo), n_points)
            base_gap = mip_gap if mip_gap is not None else scenario.solver.mip_gap
            eps_gap = epsilon_gap(base_gap, hi["cost"], lo["cost"], n_points) if hi["cost"] is not None else base_gap
            eps_opts = {**opts, "mip_gap": eps_gap}
            if eps_gap < base_gap:
                notes.append(
                    f"ε points solved with MIP gap {eps_gap:.3%} instead of {base_gap:.3%}: the cost step between "
                    "neighbouring points is small, and a larger gap would let two caps return the same plan"
                )
            run_series(
                [
                    (names[k], "epsilon", nudged(eps), point_scenario(scenario, carbon_cap_t=nudged(eps), **eps_opts))
                    for k, eps in enumerate(levels, start=1)
                ]
            )
        elif not anchors_ok:
            failed_kinds = [r["kind"] for r in (lo, hi) if r["carbon_t"] is None]
            notes.append(f"anchor solve failed ({', '.join(failed_kinds)}): the ε points were not solved")
            for k in range(1, n_points - 1):
                rows[names[k]] = _row(
                    names[k], "epsilon", None, {"status": "skipped", "message": "anchor solve failed"}, acct
                )
                if on_point:
                    on_point(rows[names[k]])
        df = pd.DataFrame([rows[n] for n in names])
        solved = df[df.cost.notna()]
        mono = non_increasing(list(solved.cost), tol=max([*solved.mip_gap.fillna(0.0), 1e-6]))
        if not mono:
            notes.append("cost is not non-increasing along the frontier: a MIP gap above zero lets points differ")
        for a, b in coincident_points(df):
            notes.append(
                f"{a} and {b} are the same plan (same emissions and cost): the cap between them does not bind "
                "within the MIP gap, or the frontier has a step there"
            )
        wall = time.perf_counter() - t0
        df.to_csv(tmp / "pareto.csv", index=False)
        store.write_json(
            tmp / "pareto.json",
            {
                "scenario": file,
                "name": scenario.name,
                "points": n_points,
                "carbon_accounting": acct,
                "carbon_unit": "tCO2 per year",
                "cost_unit": f"million {rs.currency} per year",
                "non_increasing": mono,
                "anchors_ok": anchors_ok,
                "counts": df.status.value_counts().to_dict(),
                "solver_threads_per_point": threads,
                "wall_s": round(wall, 3),
                "notes": notes,
                **info,
            },
        )
        store.draw_pareto(df, tmp / "pareto.png", accounting=acct, currency=rs.currency, title=scenario.name)
        if not anchors_ok and store.holds_complete_result(Path(out)):
            meta = json.loads((tmp / "pareto.json").read_text(encoding="utf-8"))
            kept = store.write_failed_summary(
                Path(out), {**meta, "status": "failed", "kept_earlier_result": True, "table": df.to_dict("records")}
            )
            store.abandon(tmp)
    return ParetoRun(
        out=Path(out),
        table=df,
        accounting=acct,
        currency=rs.currency,
        non_increasing=mono,
        anchors_ok=anchors_ok,
        wall_s=wall,
        executor=info,
        notes=notes,
        kept_earlier=kept,
    )


def _row(name: str, kind: str, cap: float | None, rec: dict, acct: str) -> dict[str, Any]:
    s = rec.get("summary") or {}
    em = s.get("emissions_t") or {}
    placement = s.get("placement") or {}
    gs = s.get("green_share") or {}
    ok = bool(s)
    return {
        "point": name,
        "kind": kind,
        "carbon_cap_t": cap,
        "carbon_t": em.get(acct) if ok else None,
        "cost": s.get("total_cost") if ok else None,
        "status": rec.get("status"),
        "message": rec.get("message") or "; ".join(d.get("message", "") for d in rec.get("diagnosis", [])),
        "placement": "; ".join(f"{c}={p or '(unbuilt)'}" for c, p in placement.items()) if placement else None,
        "sites_used": len({p for p in placement.values() if p}) if placement else None,
        "emissions_location_t": em.get("location_based"),
        "emissions_market_t": em.get("market_based"),
        "green_share_min": min(gs.values()) if gs else None,
        "mip_gap": s.get("mip_gap"),
        "gap_basis": s.get("gap_basis"),  # absolute for a near-zero objective (e.g. a zero-carbon anchor)
        "gap_abs": s.get("gap_abs"),
        "solve_s": (s.get("timings_s") or {}).get("total"),
        "run_dir": None,
    }
