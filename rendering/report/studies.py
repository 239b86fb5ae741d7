"""The reports of a policy sweep and of a Pareto frontier: charts against the varied parameters, the cost
breakdown of every point, the cost–carbon frontier with its marginal abatement cost, and the table of points.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from rendering.report.i18n import T, current
from rendering.report.page import (
    _SOLVED,
    REPORT_NAME,
    _acct,
    _Col,
    _e,
    _f,
    _kv,
    _label,
    _mass_scale,
    _missing,
    _num,
    _Page,
    _plotly_layout,
    _table,
    _value,
)
from rendering.report.run import _currency
from rendering.runformat import SUMMARY, read_json

# --------------------------------------------------------------------------------------------------------------
# Sweeps and Pareto frontiers
# --------------------------------------------------------------------------------------------------------------


#: Human names of the scenario fields a sweep varies most, with their units (``{cur}``: the run's currency).
PARAMETER_NAMES = {
    "policy.green_share.min": "Green-power quota (min share)",
    "policy.green_share.matching": "Matching period ",
    "policy.green_share.applies_to": "Quota applies to ",
    "policy.certificates.cross_region": "Cross-region certificate trading",
    "policy.certificates.price": "Certificate price ({cur}/MWh)",
    "policy.certificates.max_share": "Max certificate share of a quota ",
    "policy.carbon_price": "Carbon price ({cur}/t CO₂)",
    "policy.carbon_cap_t": "Carbon cap (t CO₂/yr)",
    "policy.carbon_accounting": "Carbon accounting ",
    "year": "Year ",
    "time.mode": "Time slices",
    "region_set": "Region set ",
}


def _short_param(path: str, cur: str = "") -> str:
    """The human name of a sweep parameter: ``policy.green_share.min`` → ``Green-power quota (min share)``; a
    field not in :data:`PARAMETER_NAMES` is named by its last two parts (``grid.corridor_spare_share`` →
    ``grid: corridor spare share``)."""
    key = str(path)
    if key in PARAMETER_NAMES:
        return T(PARAMETER_NAMES[key], cur=cur or "currency").strip()
    parts = key.split(".")
    tail = parts[-2:] if len(parts) > 1 else parts
    text = ": ".join(x.replace("_", " ") for x in tail)
    return text[:1].upper() + text[1:]


def _records_table(folder: Path, meta: Mapping[str, Any]) -> pd.DataFrame:
    """A sweep table from its point records (``points/*.json``), for a sweep that has not written sweep.csv.

    The rows are the ones ``sweep.csv`` will hold (:func:`optimizer.studies.sweep.table`); the parameters are the
    sweep's (``sweep.json``) when known, else those the records name, in the order first seen.
    """
    from optimizer.studies.sweep import table

    records = [rec for p in sorted((folder / "points").glob("*.json")) if "point_id" in (rec := read_json(p))]
    names = list(meta.get("parameters") or {})
    if not names:
        names = list(dict.fromkeys(k for rec in records for k in (rec.get("parameters") or {})))
    return table(records, names).reset_index(drop=True)


def _sweep_table(folder: Path, meta: Mapping[str, Any], notes: list[str]) -> pd.DataFrame:
    for name in ("sweep.parquet", "sweep.csv"):
        f = folder / name
        if not f.is_file():
            continue
        try:
            df = pd.read_parquet(f) if name.endswith(".parquet") else pd.read_csv(f)
        except (ImportError, ValueError, OSError):
            continue
        return df.sort_values("index", kind="stable").reset_index(drop=True) if "index" in df else df
    df = _records_table(folder, meta)
    if len(df):
        total = meta.get("points")
        notes.append(
            f"no sweep.csv yet (a sweep still running or interrupted): reported from {len(df)} finished point "
            f"record(s){f' of {total}' if total else ''} in points/"
        )
    return df


def _sweep_params(df: pd.DataFrame, meta: Mapping[str, Any]) -> list[str]:
    params = [p for p in (meta.get("parameters") or []) if p in df.columns]
    if params:
        return params
    cols = list(df.columns)
    if "index" in cols and "status" in cols:
        return [c for c in cols[cols.index("index") + 1 : cols.index("status")] if not c.startswith("label:")]
    return []


#: Parameters that are shares (0–1), shown as percentages.
SHARE_PARAMETERS = ("policy.green_share.min", "policy.certificates.max_share", "grid.corridor_spare_share")


def _display(df: pd.DataFrame, p: str) -> list[str]:
    """Each point's value of parameter ``p`` as text: its label where the sweep gave one, a share as a percentage
    (``0.8`` → ``80 %``), any other value as it is."""
    labels = df[f"label:{p}"] if f"label:{p}" in df else pd.Series([None] * len(df), index=df.index)

    def text(v: Any) -> str:
        x = _f(v)
        return f"{x * 100:g} %" if p in SHARE_PARAMETERS and x is not None else _value(v)

    return [str(lab) if not _missing(lab) and str(lab) != "" else text(v) for v, lab in zip(df[p], labels, strict=True)]


def _is_numeric(s: pd.Series) -> bool:
    vals = [v for v in s if not _missing(v)]
    return bool(vals) and all(not isinstance(v, bool | np.bool_) and _f(v) is not None for v in vals)


_PALETTE = [
    "#1f77b4",
    "#d62728",
    "#2ca02c",
    "#9467bd",
    "#ff7f0e",
    "#8c564b",
    "#e377c2",
    "#17becf",
    "#7f7f7f",
    "#bcbd22",
]


def _parameter_chart(
    page: _Page, df: pd.DataFrame, p: str, params: list[str], cur: str, unit: tuple[float, str]
) -> str:
    """Total cost and both emission figures against parameter ``p``, one line per combination of the others."""
    import plotly.graph_objects as go
    from plotly.subplots import make_subplots

    scale, mass = unit
    others = [q for q in params if q != p]
    disp = {q: _display(df, q) for q in params}
    numeric = _is_numeric(df[p])
    order: list[Any] = list(dict.fromkeys(disp[p]))  # category order: as the sweep lists the values
    groups: dict[str, list[int]] = {}
    for i in range(len(df)):
        key = " · ".join(f"{_short_param(q, cur)} = {T(disp[q][i])}" for q in others) or T("all points")
        groups.setdefault(key, []).append(i)
    fig = make_subplots(
        rows=1,
        cols=3,
        subplot_titles=(
            _e(T("total cost, million {cur}/yr", cur=cur)),
            _e(T("emissions location-based, {mass}", mass=T(mass))),
            _e(T("emissions market-based, {mass}", mass=T(mass))),
        ),
        horizontal_spacing=0.08,
    )
    ok = df["status"].isin(_SOLVED) & pd.to_numeric(df["total_cost"], errors="coerce").notna()
    for g, (key, idx) in enumerate(groups.items()):
        idx = [i for i in idx if ok.iloc[i]]
        if not idx:
            continue
        sub = df.iloc[idx]
        xs = [float(v) for v in sub[p]] if numeric else [disp[p][i] for i in idx]
        rank = np.argsort(xs, kind="stable") if numeric else np.argsort([order.index(x) for x in xs], kind="stable")
        xs = [xs[k] for k in rank]
        sub = sub.iloc[rank]
        hover = [
            f"{_e(pid)}<br>{_e(_short_param(p, cur))} = {_e(T(disp[p][df.index.get_loc(i)]))}<br>{_e(key)}"
            for pid, i in zip(sub["point_id"], sub.index, strict=True)
        ]
        colour = _PALETTE[g % len(_PALETTE)]
        for c, (col, div) in enumerate(
            (("total_cost", 1.0), ("emissions_t.location_based", scale), ("emissions_t.market_based", scale)), start=1
        ):
            if col not in sub:
                continue
            fig.add_trace(
                go.Scatter(
                    x=xs,
                    y=(pd.to_numeric(sub[col], errors="coerce") / div).round(4).tolist(),
                    mode="lines+markers",
                    name=_e(key),
                    legendgroup=f"g{g}",
                    showlegend=c == 1,
                    line={"color": colour},
                    text=hover,
                    hovertemplate="%{text}<br>%{y:,.2f}<extra></extra>",
                ),
                row=1,
                col=c,
            )
    xaxis: dict[str, Any] = {"title": {"text": _e(_short_param(p, cur))}}
    if not numeric:
        xaxis.update(type="category", categoryorder="array", categoryarray=order)
    for c in (1, 2, 3):
        fig.update_xaxes(row=1, col=c, **xaxis)
    fig.update_layout(
        **_plotly_layout(
            title={
                "text": _e(T("By {p}", p=_short_param(p, cur)))
                + (_e(T(" (one line per {x})", x=", ".join(_short_param(q, cur) for q in others))) if others else "")
            },
            legend={"orientation": "h", "y": -0.25},
            margin={"l": 60, "r": 20, "t": 80, "b": 60},
        )
    )
    return page.figure(fig, height=430 + 18 * min(len(groups), 12))


def _breakdown_chart(page: _Page, x: list[str], rows: Sequence[Mapping[str, Any]], cur: str, title: str) -> str:
    """Stacked bars of the cost terms of each point (terms that are zero everywhere left out)."""
    import plotly.graph_objects as go

    terms: list[str] = []
    for r in rows:
        terms += [k for k in r if k not in terms]
    terms = [t for t in terms if any(abs(_f(r.get(t)) or 0.0) > 1e-9 for r in rows)]
    if not terms:
        return ""
    fig = go.Figure()
    for k, t in enumerate(terms):
        fig.add_bar(
            x=[_e(v) for v in x],
            y=[_f(r.get(t)) or 0.0 for r in rows],
            name=_e(T(_label(t))),
            marker_color=_PALETTE[k % len(_PALETTE)],
            hovertemplate="%{x}: %{y:,.2f} "
            + _e(T("million {cur}/yr", cur=cur))
            + " "
            + _e(T(_label(t)))
            + "<extra></extra>",
        )
    fig.update_layout(
        **_plotly_layout(
            barmode="relative",
            title={"text": title},
            yaxis={"title": {"text": _e(T("million {cur} per year", cur=cur))}},
            xaxis={"type": "category"},
            legend={"orientation": "h", "y": -0.22},
        )
    )
    return page.figure(fig, height=420)


def _currency_of(unit: Any, fallback: str = "") -> str:
    """``million CNY per year`` → ``CNY``."""
    parts = str(unit or "").split()
    return parts[1] if len(parts) >= 2 and parts[0] == "million" else fallback


def _executed(meta: Mapping[str, Any], wall_key: str) -> str:
    """``dask, 2 workers, 41.5 s``: how a sweep or frontier was run (from its JSON)."""
    parts = [str(meta.get("executor"))]
    if meta.get("workers") is not None:
        parts.append(f"{meta['workers']} workers")
    if _f(meta.get(wall_key)) is not None:
        parts.append(f"{_num(meta[wall_key], 1)} s wall time")
    return ", ".join(parts)


def _status_counts(statuses: Iterable[Any]) -> str:
    counts = pd.Series([str(s) for s in statuses]).value_counts()
    return ", ".join(f"{n} {k}" for k, n in counts.items())


def _sweep_page(folder: Path, lang: str) -> _Page:
    meta = read_json(folder / "sweep.json")
    notes: list[str] = []
    df = _sweep_table(folder, meta, notes)
    for col in ("point_id", "status", "total_cost"):
        if len(df) and col not in df:
            df[col] = None
    name = meta.get("name") or folder.name
    page = _Page(f"{name} — {T('gridsite sweep report')}", lang)
    page.running_head = str(name)
    params = _sweep_params(df, meta) if len(df) else []
    cur = _currency_of(df["cost_unit"].dropna().iloc[0] if "cost_unit" in df and df["cost_unit"].notna().any() else "")
    page.header = (
        f'<h1>{_e(name)} <span class="badge ok">{T("sweep")}</span></h1>'
        f'<div class="sub">{T("gridsite sweep report")} · {_e(T("{n} point(s)", n=len(df)))} · '
        f"{_e(_status_counts(df['status']) if len(df) else '')} · {_e(T('folder {x}', x=folder.name))}</div>"
    )
    details = [
        (T("Description"), _e(meta.get("description") or "–")),
        (T("Sweep file"), _e(meta.get("sweep_file") or "–")),
        (T("Base scenario"), _e(meta.get("base_scenario") or "–")),
        (T("Mode"), _e(meta.get("mode") or "–")),
        (T("Parameters"), _e(", ".join(f"{_short_param(p, cur)} ({p})" for p in params) or "–")),
        (T("Points"), _e(f"{len(df)} reported" + (f" of {meta['points']}" if meta.get("points") else ""))),
        (T("Status"), _e(_status_counts(df["status"])) if len(df) else "–"),
        (T("Money"), _e(T("million {cur} per year", cur=cur) if cur else "millions of the currency per year")),
    ]
    if meta.get("executor"):
        details.append((T("Executed"), _e(_executed(meta, "wall_s_this_run"))))
    page.add("overview", T("Overview"), _kv(details))
    if not len(df):
        notes.append(T("the sweep has no finished points yet"))
        page.add("notes", T("Notes"), "<ul>" + "".join(f"<li>{_e(n)}</li>" for n in notes) + "</ul>")
        return page
    ok = df["status"].isin(_SOLVED) & pd.to_numeric(df["total_cost"], errors="coerce").notna()
    em_cols = [c for c in ("emissions_t.location_based", "emissions_t.market_based") if c in df]
    unit = _mass_scale(pd.to_numeric(df.loc[ok, c], errors="coerce").max() for c in em_cols)
    charts = []
    if ok.any() and params:
        for p in params:
            charts.append(_parameter_chart(page, df, p, params, cur, unit))
        missing = df.loc[~ok, "status"]
        if len(missing):
            if current() == "zh":
                text = _e(T("UNPLOTTED_NOTE", n=len(missing), x=_status_counts(missing)))
            else:
                text = (
                    f"{len(missing)} point(s) without a solution ({_e(_status_counts(missing))}) are not plotted; "
                    "see the table."
                )
            charts.append(f'<p class="note">{text}</p>')
    page.add("charts", T("Cost and emissions by parameter"), "\n".join(charts))
    cost_cols = [c for c in df.columns if c.startswith("cost.")]
    if ok.any() and cost_cols:
        sub = df[ok]
        rows = [{c[5:]: r[c] for c in cost_cols} for _, r in sub.iterrows()]
        labels = [
            f"{int(r['index']) if _f(r.get('index')) is not None else r['point_id']}: "
            + ", ".join(_display(sub.loc[[i]], q)[0] for q in params)
            for i, r in sub.iterrows()
        ]
        page.add(
            "breakdown",
            T("Cost breakdown by point"),
            _breakdown_chart(page, labels, rows, cur, _e(T("Annual cost by term, million {cur}/yr", cur=cur))),
        )
    page.add("points", T("Points"), _sweep_points_table(folder, df, params, cur, unit))
    if notes:
        page.add("notes", T("Notes"), "<ul>" + "".join(f"<li>{_e(n)}</li>" for n in notes) + "</ul>")
    return page


def _point_link(folder: Path, sub: str, text: str) -> str:
    """A link to a point's folder (its report when there is one), or the plain text."""
    d = folder / sub
    if (d / REPORT_NAME).is_file():
        return f'<a href="{_e(f"{sub}/{REPORT_NAME}")}">{_e(text)}</a>'
    if d.is_dir():
        return f'<a href="{_e(sub)}/">{_e(text)}</a>'
    return _e(text)


def _map_link(folder: Path, sub: str) -> str:
    """A link that opens a point's map: its report at the maps section, else its ``siting_map.html``."""
    d = folder / sub
    if (d / REPORT_NAME).is_file():
        return f'<a href="{_e(f"{sub}/{REPORT_NAME}#maps")}">{_e(T("map"))}</a>'
    if (d / "siting_map.html").is_file():
        return f'<a href="{_e(f"{sub}/siting_map.html")}">{_e(T("map"))}</a>'
    return ""


def _sweep_points_table(folder: Path, df: pd.DataFrame, params: list[str], cur: str, unit: tuple[float, str]) -> str:
    t = pd.DataFrame(
        {
            "point": [_point_link(folder, f"runs/{p}", str(p)) for p in df["point_id"]],
            "map": [_map_link(folder, f"runs/{p}") for p in df["point_id"]],
        }
    )
    cols = [_Col("point", T("point"), "html")]
    if any(t["map"]):
        cols.append(_Col("map", T("map"), "html"))
    for p in params:
        t[p] = _display(df, p)
        cols.append(_Col(p, _short_param(p, cur), "term"))
    scale, mass = unit
    t["status"] = df["status"].to_numpy()
    t["total_cost"] = pd.to_numeric(df["total_cost"], errors="coerce").to_numpy()
    for c in ("emissions_t.location_based", "emissions_t.market_based"):
        t[c] = (pd.to_numeric(df[c], errors="coerce") / scale).to_numpy() if c in df else np.nan
    for c in ("green_share.min", "sites_used", "placement", "message"):
        t[c] = df[c].to_numpy() if c in df else None
    cols += [
        _Col("status", T("status"), "term"),
        _Col("total_cost", T("total cost, m {cur}/yr", cur=cur), "num", 1),
        _Col("emissions_t.location_based", T("location-based, {mass}", mass=T(mass)), "num", 2),
        _Col("emissions_t.market_based", T("market-based, {mass}", mass=T(mass)), "num", 2),
        _Col("green_share.min", T("lowest green share"), "pct"),
        _Col("sites_used", T("sites used"), "int"),
        _Col("placement", T("placement"), "text"),
        _Col("message", T("message"), "text"),
    ]
    classes = ["" if s in _SOLVED else "bad" for s in t["status"]]
    return _table(t, cols, row_class=classes)


def _pareto_page(folder: Path, lang: str) -> _Page:
    import plotly.graph_objects as go

    meta = read_json(folder / "pareto.json")
    df = pd.read_csv(folder / "pareto.csv", keep_default_na=True)
    name = meta.get("name") or folder.name
    acct = str(meta.get("carbon_accounting") or "location_based")
    cur = _currency_of(meta.get("cost_unit"))
    page = _Page(f"{name} — {T('gridsite Pareto report')}", lang)
    page.running_head = str(name)
    page.header = (
        f'<h1>{_e(name)} <span class="badge ok">{T("cost–carbon frontier")}</span></h1>'
        f'<div class="sub">{T("gridsite Pareto report")} · {_e(T("{n} point(s)", n=len(df)))} · '
        f"{_e(_status_counts(df['status']))} · {_e(T('folder {x}', x=folder.name))}</div>"
    )
    details = [
        (T("Scenario"), _e(meta.get("scenario") or "–")),
        (T("Points"), _e(len(df))),
        (T("Carbon accounting"), _e(_acct(acct))),
        (T("Cost unit"), _e(meta.get("cost_unit") or "millions of the currency per year")),
        (T("Carbon unit"), _e(meta.get("carbon_unit") or "tCO2 per year")),
        (T("Cost non-increasing along the frontier"), _e(_value(meta.get("non_increasing")))),
        (T("Anchors solved"), _e(_value(meta.get("anchors_ok")))),
    ]
    if meta.get("executor"):
        details.append((T("Executed"), _e(_executed(meta, "wall_s"))))
    page.add("overview", T("Overview"), _kv(details))

    for c in ("carbon_t", "cost", "carbon_cap_t", "emissions_location_t", "emissions_market_t", "green_share_min"):
        df[c] = pd.to_numeric(df[c], errors="coerce") if c in df else np.nan
    ok = df[df["cost"].notna() & df["carbon_t"].notna()].sort_values("carbon_t")
    scale, mass = _mass_scale(df["carbon_t"])
    # marginal abatement cost towards the next point with more carbon: Δcost ÷ Δcarbon, currency per t CO2
    mac: dict[str, float] = {}
    for a, b in zip(ok.itertuples(index=False), ok.iloc[1:].itertuples(index=False), strict=False):
        if b.carbon_t - a.carbon_t > 1e-6 * max(1.0, abs(b.carbon_t)):
            mac[a.point] = (a.cost - b.cost) * 1e6 / (b.carbon_t - a.carbon_t)
    df["mac"] = [mac.get(p, np.nan) for p in df["point"]]
    body = []
    if len(ok):
        hover = [
            f"<b>{_e(r.point)}</b> ({_e(r.kind)})<br>cost {r.cost:,.2f} million {_e(cur)}/yr<br>"
            f"{_e(_acct(acct))} {r.carbon_t / scale:,.3f} {mass}<br>"
            f"placement: {_e(r.placement if isinstance(r.placement, str) else '–')}"
            for r in ok.itertuples(index=False)
        ]
        fig = go.Figure(
            go.Scatter(
                x=(ok["carbon_t"] / scale).round(5).tolist(),
                y=ok["cost"].round(4).tolist(),
                mode="lines+markers+text",
                text=[_e(p) for p in ok["point"]],
                textposition="top right",
                marker={"size": 10, "color": "#1f6f43"},
                line={"color": "#1f6f43"},
                customdata=hover,
                hovertemplate="%{customdata}<extra></extra>",
                name="frontier",
            )
        )
        fig.update_layout(
            **_plotly_layout(
                title={"text": f"Cost–carbon frontier ({_e(_acct(acct))} emissions)"},
                xaxis={"title": {"text": f"emissions, {mass} ({_e(_acct(acct))})"}},
                yaxis={"title": {"text": f"annual cost, million {_e(cur)}/yr"}},
                showlegend=False,
            )
        )
        body.append(page.figure(fig, height=460))
        note = (
            "Each point minimises cost under a carbon cap (ε-constraint); p00 is the minimum-carbon anchor, the last "
            "point the minimum-cost one. The abatement cost in the table is what each point costs more than its "
            "neighbour with the next higher emissions, per tonne of CO₂ it avoids."
        )
        body.append(f'<p class="note">{_e(T("PARETO_NOTE") if current() == "zh" else note)}</p>')
    else:
        body.append(f'<p class="note">{T("No point of the frontier was solved; see the table.")}</p>')
    page.add("frontier", T("Cost–carbon frontier"), "\n".join(body))

    # cost breakdown of each point, from its run folder
    rows, labels = [], []
    for r in ok.itertuples(index=False):
        rd = getattr(r, "run_dir", None)
        s = read_json(folder / (rd if isinstance(rd, str) and rd else f"points/{r.point}") / SUMMARY)
        if s.get("cost_breakdown"):
            rows.append(s["cost_breakdown"])
            labels.append(f"{r.point} ({r.carbon_t / scale:,.1f} {mass.split('/')[0]})")
            cur = cur or _currency(s)
    if rows:
        page.add(
            "breakdown",
            T("Cost breakdown along the frontier"),
            _breakdown_chart(page, labels, rows, cur, _e(T("Annual cost by term, million {cur}/yr", cur=cur))),
        )
    t = df.copy()
    t["map_html"] = [
        _map_link(folder, str(rd) if isinstance(rd, str) and rd else f"points/{p}")
        for p, rd in zip(t["point"], t.get("run_dir", [None] * len(t)), strict=True)
    ]
    t["point_html"] = [
        _point_link(folder, str(rd) if isinstance(rd, str) and rd else f"points/{p}", str(p))
        for p, rd in zip(t["point"], t.get("run_dir", [None] * len(t)), strict=True)
    ]
    for c in ("carbon_t", "carbon_cap_t", "emissions_location_t", "emissions_market_t"):
        t[c] = t[c] / scale
    cols = [
        _Col("point_html", T("point"), "html"),
        *([_Col("map_html", T("map"), "html")] if any(t["map_html"]) else []),
        _Col("kind", T("kind"), "term"),
        _Col("status", T("status"), "term"),
        _Col("carbon_cap_t", T("cap, {mass}", mass=T(mass)), "num", 3),
        _Col("carbon_t", T("{acct} (capped), {mass}", acct=T(_acct(acct)), mass=T(mass)), "num", 3),
        _Col("cost", T("cost, m {cur}/yr ", cur=cur), "num", 2),
        _Col("mac", T("abatement cost, {cur}/t CO₂", cur=cur), "num", 1),
        *(
            _Col(f"emissions_{k}_t", T(f"{k}-based, {{mass}}", mass=T(mass)), "num", 3)
            for k in ("location", "market")
            if acct != f"{k}_based"  # the capped figure is already shown
        ),
        _Col("green_share_min", T("lowest green share"), "pct"),
        _Col("sites_used", T("sites used"), "int"),
        _Col("placement", T("placement"), "text"),
        _Col("message", T("message"), "text"),
    ]
    page.add("points", T("Points"), _table(t, cols, row_class=["" if s in _SOLVED else "bad" for s in t["status"]]))
    notes = meta.get("notes") or []
    if notes:
        page.add("notes", T("Notes"), "<ul>" + "".join(f"<li>{_e(n)}</li>" for n in notes) + "</ul>")
    return page
