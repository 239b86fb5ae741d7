"""The one-page brief: the first printed page of a run report, for a reader who has one page.

It holds, on one A4 landscape page: the run's name, status, region set and year; the static siting map; the key
figures (objective, total cost, both emission figures, facility load, energy, clusters placed, the lowest site
green share); the policy; where the clusters go (one row per used site: clusters, workloads, facility MW, green
share against the quota); the cost breakdown (the largest terms, their share and the total); and the regions
whose power gap is positive. On screen it is hidden (the sections below show the same figures in full); in print
it fills the first page (``section.brief``: fixed height, page break after).
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pandas as pd

from rendering.report.i18n import T, current
from rendering.report.page import _badge, _cards, _Col, _e, _f, _kv, _label, _num, _pct, _table

#: Rows of the placement and cost tables of the brief (the rest is summed up in one line).
MAX_SITES = 8
MAX_TERMS = 6


def _sites(tables: Mapping[str, pd.DataFrame]) -> tuple[pd.DataFrame, int]:
    """One row per site that hosts a placed cluster, largest facility power first, and how many were left out."""
    a = tables["assignments"]
    if not len(a) or "site_id" not in a:
        return pd.DataFrame(), 0
    a = a[a["status"] == "placed"] if "status" in a else a
    sites = tables["sites"].drop_duplicates("site_id").set_index("site_id")
    rows = []
    for sid, g in a.groupby("site_id", sort=False):
        name = sites.at[sid, "name_en"] if sid in sites.index and "name_en" in sites else ""
        name = name if isinstance(name, str) and name.strip() else str(sid)
        share = _f(sites.at[sid, "green_share"]) if sid in sites.index and "green_share" in sites else None
        quota = _f(sites.at[sid, "quota"]) if sid in sites.index and "quota" in sites else None
        work = sorted({T(str(w)) for w in g["workload"].dropna()}) if "workload" in g else []
        rows.append(
            {
                "site": name,
                "region": g["region_id"].iloc[0] if "region_id" in g else "",
                "n": len(g),
                "workloads": ", ".join(work),
                "mw": pd.to_numeric(g["facility_mw"], errors="coerce").sum() if "facility_mw" in g else None,
                "green": "–"
                if share is None
                else _pct(min(share, 1.0), 0) + ("" if quota is None else f" / {_pct(quota, 0)}"),
                "bad": share is not None and quota is not None and share + 1e-6 < quota,
            }
        )
    df = pd.DataFrame(rows).sort_values("mw", ascending=False, kind="stable").reset_index(drop=True)
    return df.iloc[:MAX_SITES], max(0, len(df) - MAX_SITES)


def _costs(summary: Mapping[str, Any]) -> str:
    raw = {k: _f(v) for k, v in (summary.get("cost_breakdown") or {}).items()}
    terms = sorted(((k, v) for k, v in raw.items() if v is not None and abs(v) > 1e-9), key=lambda kv: -abs(kv[1]))
    if not terms:
        return ""
    total = _f(summary.get("total_cost"))
    total = sum(v for _, v in terms) if total is None else total
    shown, rest = terms[:MAX_TERMS], terms[MAX_TERMS:]
    rows = [{"term": T(_label(k)), "amount": v, "share": v / total if total else None} for k, v in shown]
    if rest:
        other = sum(v for _, v in rest)
        rows.append(
            {
                "term": ", ".join(T(_label(k)) for k, _ in rest),
                "amount": other,
                "share": other / total if total else None,
            }
        )
    cur = str(summary.get("currency") or "")
    cols = [
        _Col("term", T("term"), "text"),
        _Col("amount", T("million {cur}/yr", cur=cur), "num", 1),
        _Col("share", T("share"), "pct", 0),
    ]
    return _table(
        pd.DataFrame(rows), cols, total={"term": T("total"), "amount": total, "share": 1.0 if total else None}
    )


def _gaps(tables: Mapping[str, pd.DataFrame]) -> str:
    from rendering.report.run import gap_table

    r = gap_table(tables["regions"])
    if not len(r):
        return ""
    gap = r[r["gap_mw"].fillna(0) > 0]
    if not len(gap):
        return f"<p>{_e(T('none of the {n} region(s) with added load', n=len(r)))}</p>"
    names = gap["name_zh"] if current() == "zh" and "name_zh" in gap else gap.get("name_en", gap["region_id"])
    items = [
        f'<span class="gap">{_e(n if isinstance(n, str) and n.strip() else rid)} {_num(g, 0)} MW</span>'
        for n, rid, g in zip(names, gap["region_id"], gap["gap_mw"], strict=True)
    ]
    return "<p>" + " · ".join(items) + "</p>"


def brief_html(
    summary: Mapping[str, Any],
    tables: Mapping[str, pd.DataFrame],
    folder: Path,
    map_png: str,
    policy_rows: list[tuple[str, str]],
    kpis: list[tuple[str, str]],
) -> str:
    """The HTML of the one-page brief (see the module docstring); ``map_png`` is the static map as base64."""
    name = summary.get("name") or folder.name
    sub = [T("One-page brief")]
    if summary.get("region_set"):
        sub.append(T("region set {x}", x=summary["region_set"]))
    if summary.get("year"):
        sub.append(T("year {x}", x=summary["year"]))
    left = ""
    if map_png:
        cap = T("Static siting map, drawn from the run's tables.")
        left = f'<img alt="siting map" src="data:image/png;base64,{map_png}"><p class="note">{cap}</p>'
    right = [f"<h3>{T('Key figures')}</h3>", _cards(kpis)]
    if policy_rows:
        right += [f"<h3>{T('Policy')}</h3>", _kv(policy_rows)]
    sites, more = _sites(tables)
    if len(sites):
        cols = [
            _Col("site", T("site"), "text"),
            _Col("region", T("region"), "text"),
            _Col("n", T("clusters"), "int"),
            _Col("workloads", T("workloads"), "text"),
            _Col("mw", T("facility MW"), "num", 0),
            _Col("green", T("green share / quota"), "text"),
        ]
        right += [
            f"<h3>{T('Where the clusters go')}</h3>",
            _table(sites, cols, row_class=["bad" if b else "" for b in sites["bad"]]),
        ]
        if more:
            right.append(f"<p>{_e(T('+ {n} more site(s)', n=more))}</p>")
    costs = _costs(summary)
    if costs:
        right += [f"<h3>{T('Cost breakdown')}</h3>", costs]
    gaps = _gaps(tables)
    if gaps:
        right += [f"<h3>{T('Regions with a power gap')}</h3>", gaps]
    return (
        f"<h1>{_e(name)} {_badge(str(summary.get('status') or ''))}</h1>"
        f'<div class="sub">{_e(" · ".join(str(x) for x in sub))}</div>'
        f'<div class="cols"><div>{left}</div><div>{"".join(right)}</div></div>'
    )
