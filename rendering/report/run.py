"""The report of one run folder: header, maps, placement, sites, costs, emissions, power gaps, transfers, notes.

A failed run (only ``summary.json``) renders its message and diagnosis. The run is read back with
:func:`rendering.runformat.read_run`; the maps are drawn from the region set the summary names.
"""

from __future__ import annotations

import base64
import json
import tempfile
import warnings
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from gridsite.errors import DataError
from rendering import maps
from rendering.report.i18n import T, current
from rendering.report.page import (
    _SOLVED,
    _acct,
    _badge,
    _cards,
    _Col,
    _e,
    _f,
    _kv,
    _label,
    _mass_scale,
    _num,
    _Page,
    _pct,
    _plotly_layout,
    _table,
    _value,
)
from rendering.runformat import MANIFEST, read_json, read_run

# --------------------------------------------------------------------------------------------------------------
# Reading a run folder
# --------------------------------------------------------------------------------------------------------------


def _load_region_set(name: Any, notes: list[str]) -> Any:
    """The region set a summary names, or None (with a note saying why)."""
    if not name:
        notes.append(T("summary.json names no region set: the maps are not drawn"))
        return None
    from geodata.regionset import load_region_set

    try:
        return load_region_set(str(name), check_polygons=False)
    except (DataError, OSError, ValueError) as exc:
        notes.append(f"region set '{name}' could not be loaded, the maps are not drawn: {exc}")
        return None


# --------------------------------------------------------------------------------------------------------------
# A run
# --------------------------------------------------------------------------------------------------------------


def _currency(summary: Mapping[str, Any]) -> str:
    return str(summary.get("currency") or "")


def _money_unit(summary: Mapping[str, Any]) -> str:
    if current() == "zh" and _currency(summary):
        return T("million {cur} per year", cur=_currency(summary))
    return str(summary.get("cost_unit") or f"million {_currency(summary)} per year".replace("  ", " "))


def _mode(mode: str) -> str:
    """The objective mode (cost or carbon) in the report's language."""
    out = T(f"mode:{mode}")
    return mode if out.startswith("mode:") else out


def _gap(summary: Mapping[str, Any]) -> str:
    """The MIP gap, absolute when the run says a relative one is meaningless (objective near zero)."""
    if summary.get("gap_basis") == "absolute" and _f(summary.get("gap_abs")) is not None:
        unit = summary.get("objective_unit") or ""
        return f"{_f(summary.get('gap_abs')):,.4g} {unit} {T('(absolute; the objective is near zero)')}"
    return _pct(summary.get("mip_gap"), 3)


def _objective_text(summary: Mapping[str, Any]) -> str:
    obj = summary.get("objective")
    if obj is None:
        return "–"
    mode = str(summary.get("objective_mode") or "cost")
    unit = summary.get("objective_unit") or (_money_unit(summary) if mode == "cost" else "tCO2 per year")
    if current() == "zh":
        unit = _money_unit(summary) if mode == "cost" else T("t CO₂/yr")
    v = _f(obj)
    return f"{_value(obj)} ({_mode(mode)})" if v is None else f"{v:,.2f} {unit} ({_mode(mode)})"


def _policy_rows(policy: Mapping[str, Any], currency: str, year: Any) -> list[tuple[str, str]]:
    rows: list[tuple[str, str]] = []
    done = set()

    def put(key: str, label: str, text: str) -> None:
        if key in policy:
            rows.append((T(label), _e(text)))
            done.add(key)

    gmin = policy.get("green_share_min")
    if isinstance(gmin, Mapping):
        path = ", ".join(f"{k}: {_pct(v, 0)}" for k, v in gmin.items())
        g = gmin.get(year, gmin.get(str(year)))
        put(
            "green_share_min",
            "Green-power quota",
            T("{q} in {year} (path {path})", q=_pct(g, 0), year=year, path=path) if g is not None else path,
        )
    else:
        put("green_share_min", "Green-power quota", T("none") if not _f(gmin) else f"≥ {_pct(gmin, 0)}")
    applies = {"hubs": "hub sites", "all": "all sites"}.get(str(policy.get("applies_to")), "")
    put("applies_to", "Quota applies to", T(applies) if applies else "")
    put("matching", "Matching period", T(_value(policy.get("matching"))))
    put("cross_region", "Cross-region certificate trading", T("on" if policy.get("cross_region") else "off"))
    cprice = _value(policy.get("certificate_price"))
    put("certificate_price", "Certificate price", T("{x} {cur}/MWh", x=cprice, cur=currency))
    put("certificate_max_share", "Max certificate share of a quota", _pct(policy.get("certificate_max_share"), 0))
    put("carbon_price", "Carbon price", T("{x} {cur}/t CO₂", x=_value(policy.get("carbon_price")), cur=currency))
    cap = policy.get("carbon_cap_t")
    put("carbon_cap_t", "Carbon cap", T("none") if cap is None else T("{x} t CO₂/yr", x=_num(cap, 0)))
    put("carbon_accounting", "Carbon accounting", _acct_t(policy.get("carbon_accounting")))
    for k, v in policy.items():
        if k not in done:
            rows.append((_label(k), _e(_value(v))))
    return rows


def _acct_t(key: Any) -> str:
    """An accounting (``location_based``) in the report's language."""
    return T(_acct(key))


def _kpis(summary: Mapping[str, Any]) -> list[tuple[str, str]]:
    """The key figures of a solved run: objective (and total cost), both emission figures, facility load, energy,
    clusters placed and the lowest site green share, as (label, value) cards."""
    cur = _currency(summary)
    em = summary.get("emissions_t") or {}
    demand = summary.get("demand") or {}
    scale, unit = _mass_scale(em.values())
    gs = [v for v in (_f(x) for x in (summary.get("green_share") or {}).values()) if v is not None]
    mode = str(summary.get("objective_mode") or "cost")
    cards = [(T("objective ({mode})", mode=_mode(mode)), _objective_text(summary).rsplit(" (", 1)[0])]
    if mode != "cost":
        cards.append((T("total cost, million {cur}/yr", cur=cur), _num(summary.get("total_cost"), 1)))
    for key in ("location_based", "market_based"):
        v = _f(em.get(key))
        if v is not None:
            cards.append((T("emissions {acct}, {unit}", acct=_acct_t(key), unit=T(unit)), _num(v / scale, 1)))
    cards += [
        (T("facility load, MW"), _num(demand.get("facility_mw"), 0)),
        (T("energy, TWh/yr"), _num(demand.get("energy_twh"), 2)),
    ]
    if demand.get("clusters") is not None:
        placed = T("{a} of {b}", a=_value(demand.get("placed")), b=_value(demand.get("clusters")))
        cards.append((T("clusters placed"), placed))
    if gs:
        cards.append((T("lowest site green share"), _pct(min(min(gs), 1.0))))
    return cards


def _run_header(page: _Page, summary: Mapping[str, Any], manifest: Mapping[str, Any], folder: Path) -> None:
    status = str(summary.get("status") or "")
    name = summary.get("name") or folder.name
    area = summary.get("region_set") or ""
    year = summary.get("year")
    sub = " · ".join(
        _e(x) for x in (T("region set {x}", x=area) if area else "", T("year {x}", x=year) if year else "") if x
    )
    page.header = (
        f"<h1>{_e(name)} {_badge(status)}</h1>"
        f'<div class="sub">{T("gridsite run report")} · {sub}{" · " if sub else ""}'
        f"{_e(T('folder {x}', x=folder.name))}</div>"
    )
    cur = _currency(summary)
    parts: list[str] = []
    if status == "time_limit" and summary.get("objective") is not None:
        warning = T(
            "TIME LIMIT: this plan is feasible but NOT proven optimal; do not use it as a result before re-running "
            "with a longer time limit."
        )
        if current() != "zh":
            warning = summary.get("warning") or warning
        parts.append(f'<p class="banner bad"><strong>{_e(warning)}</strong></p>')
    if summary.get("message"):
        parts.append(f"<p><strong>{_e(summary['message'])}</strong></p>")
    if status in _SOLVED or summary.get("objective") is not None:
        parts.append(_cards(_kpis(summary)))
    details: list[tuple[str, str]] = [
        (T("Scenario"), _e(name)),
        (T("Region set"), _e(area or "–")),
        (T("Year"), _e(_value(year)) if year is not None else "–"),
        (T("Status"), _badge(status)),
    ]
    if summary.get("objective") is not None:
        details += [
            (T("Objective"), _e(_objective_text(summary))),
            (T("Best bound (a limit on the optimum, not a plan)"), _e(_num(summary.get("bound"), 2))),
            (T("MIP gap"), _e(_gap(summary))),
            (T("Money"), _e(T("{unit} (all cost figures)", unit=_money_unit(summary)))),
        ]
    slices = summary.get("time") or {}
    if slices:
        res = T("{mode}, {n} slices", mode=slices.get("mode", ""), n=_value(slices.get("slices")))
        details.append((T("Time resolution"), _e(res)))
    size = summary.get("model_size") or {}
    if size:
        details.append((T("Model size"), _e(", ".join(f"{_value(v)} {k}" for k, v in size.items() if k != "slices"))))
    timings = summary.get("timings_s") or {}
    if timings:
        details.append((T("Timings"), _e(" · ".join(f"{k} {_num(v, 1)} s" for k, v in timings.items()))))
    if summary.get("fixed_plan"):
        details.append((T("Plan"), T("a proposed plan evaluated (--fix), not optimised")))
    if manifest:
        versions = manifest.get("versions") or {}
        solver = manifest.get("solver") or {}
        details += [
            (T("Scenario file"), _e(manifest.get("scenario") or "–")),
            (T("Scenario hash"), f"<code>{_e(str(manifest.get('scenario_sha256') or '–')[:16])}</code>"),
            (T("Created"), _e(manifest.get("created_utc") or "–")),
            (T("Solver"), _e(", ".join(f"{k} {_value(v)}" for k, v in solver.items() if v is not None))),
            (
                T("Versions"),
                _e(", ".join(f"{k} {v}" for k, v in versions.items() if k in ("gridsite", "highspy", "pyomo"))),
            ),
        ]
    policy = summary.get("policy") or {}
    grid = f'<div class="grid2"><div><h3>{T("Run")}</h3>{_kv(details)}</div>'
    if policy:
        grid += f"<div><h3>{T('Policy')}</h3>{_kv(_policy_rows(policy, cur, year))}</div>"
    parts.append(grid + "</div>")
    page.add("overview", T("Overview"), "\n".join(parts))


def _notes_section(page: _Page, summary: Mapping[str, Any], extra: Sequence[str]) -> None:
    parts = []
    diag = summary.get("diagnosis") or []
    if diag:
        method = summary.get("diagnosis_method")
        parts.append(f"<h3>{T('Diagnosis')}{_e(f' ({method})') if method else ''}</h3>")
        if all(isinstance(d, Mapping) for d in diag):
            df = pd.DataFrame(list(diag))
            cols = [
                _Col("kind", T("kind"), "text"),
                _Col("subject", T("subject"), "text"),
                _Col("message", T("what cannot be met"), "text"),
                _Col("amount", T("amount"), "num", 2),
                _Col("unit", T("unit"), "text"),
                _Col("field", T("scenario field"), "text"),
                _Col("share", T("share"), "pct"),
            ]
            parts.append(_table(df, cols))
        else:
            parts.append('<ul class="diag">' + "".join(f"<li>{_e(_value(d))}</li>" for d in diag) + "</ul>")
    if summary.get("iis"):
        iis = json.dumps(summary["iis"], indent=2, ensure_ascii=False)
        head = T("Irreducible infeasible subset (HiGHS)")
        parts.append(f"<details><summary>{head}</summary><pre>{_e(iis)}</pre></details>")
    notes = [*(summary.get("notes") or []), *extra]
    if notes:
        parts.append(f"<h3>{T('Notes')}</h3><ul>" + "".join(f"<li>{_e(_value(n))}</li>" for n in notes) + "</ul>")
    page.add("notes", T("Diagnosis and notes" if diag else "Notes"), "".join(parts))


def _maps_section(
    page: _Page,
    folder: Path,
    tables: dict[str, pd.DataFrame],
    summary: Mapping[str, Any],
    region_set: Any,
    lang: str,
    notes: list[str],
) -> None:
    parts = []
    png = folder / "siting_map.png"
    data: bytes | None = None
    if png.is_file():
        data = png.read_bytes()
        caption = T("Static siting map (siting_map.png of the run; redraw with <code>gridsite map DIR</code>).")
    elif region_set is not None:
        with tempfile.TemporaryDirectory() as td:
            with warnings.catch_warnings():  # a missing CJK font is reported once, by report_warnings
                warnings.filterwarnings("ignore", message=".*font covering Chinese.*", category=UserWarning)
                data = maps.static_map(region_set, tables, summary, Path(td) / "map.png", lang=lang).read_bytes()
        caption = T("Static siting map, drawn from the run's tables.")
    else:
        caption = ""
    if data:
        b64 = base64.b64encode(data).decode("ascii")
        page.map_png = b64
        parts.append(
            f'<figure><img alt="static siting map" src="data:image/png;base64,{b64}">'
            f"<figcaption>{caption}</figcaption></figure>"
        )
    if region_set is not None:
        fig = maps.interactive_figure(region_set, tables, summary, lang=lang)
        page.geo = True
        parts.append(f"<h3>{T('Interactive map')}</h3>")
        hint = T(
            "Click legend entries to show or hide layers, use the drop-down to colour the regions by another quantity, "
            "hover for numbers; scroll to zoom."
        )
        parts.append(f'<p class="note no-print">{hint}</p>')
        parts.append(page.figure(fig, height=720, div_id="gridsite-map", css="map"))
    elif (folder / "siting_map.html").is_file():
        link = T('Interactive map: <a href="siting_map.html">siting_map.html</a> (next to this report).')
        parts.append(f"<p>{link}</p>")
    if not parts and not notes:
        notes.append(T("no map: the region set is unknown and the run folder holds no siting_map.png"))
    page.add("maps", T("Siting maps"), "\n".join(parts))


def _placement_section(page: _Page, tables: dict[str, pd.DataFrame]) -> None:
    a = tables["assignments"]
    if not len(a):
        return
    sites = tables["sites"].drop_duplicates("site_id").set_index("site_id")
    a = a.copy()
    a["site"] = [
        f"{sites.at[s, 'name_en']} ({s})" if s in sites.index and str(sites.at[s, "name_en"]).strip() else s
        for s in a["site_id"]
    ]
    a["_order"] = (a["status"] != "placed").astype(int)
    a = a.sort_values(["_order", "site_id", "cluster_id"], kind="stable").reset_index(drop=True)
    cols = [
        _Col("cluster_id", T("cluster"), "text"),
        _Col("workload", T("workload"), "term"),
        _Col("it_mw", T("IT MW"), "num", 1),
        _Col("facility_mw", T("facility MW"), "num", 1),
        _Col("peak_facility_mw", T("peak facility MW"), "num", 1),
        _Col("energy_gwh", T("GWh/yr"), "num", 1),
        _Col("site", T("site"), "text"),
        _Col("region_id", T("region"), "text"),
        _Col("status", T("status"), "term"),
    ]
    placed = a["status"] == "placed"
    total = {
        "cluster_id": T("total placed ({a} of {b})", a=int(placed.sum()), b=len(a)),
        "it_mw": a.loc[placed, "it_mw"].sum(),
        "facility_mw": a.loc[placed, "facility_mw"].sum(),
        "peak_facility_mw": a.loc[placed, "peak_facility_mw"].sum() if "peak_facility_mw" in a else None,
        "energy_gwh": a.loc[placed, "energy_gwh"].sum(),
    }
    body = _table(a, cols, row_class=["" if p else "bad" for p in placed], total=total)
    page.add("placement", T("Placement"), body)


def _used_sites(tables: dict[str, pd.DataFrame]) -> pd.DataFrame:
    s = tables["sites"]
    used = (s["energy_gwh"].fillna(0) > 0) | (s["n_clusters"].fillna(0) > 0)
    return s[used].sort_values("energy_gwh", ascending=False).reset_index(drop=True)


def _sites_section(page: _Page, tables: dict[str, pd.DataFrame], summary: Mapping[str, Any]) -> None:
    import plotly.graph_objects as go

    s = _used_sites(tables)
    cur = _currency(summary)
    parts = []
    if len(s):
        energy = s["energy_gwh"].where(s["energy_gwh"] > 0)
        ded = s["dedicated_green_gwh"].fillna(0) / energy
        cert = s["certificates_gwh"].fillna(0) / energy
        rest = (1 - ded - cert).clip(lower=0)
        names = [_e(x) for x in s["site_id"]]
        fig = go.Figure()
        for y, name, colour in (
            (ded, T("dedicated green power"), maps.GREEN_COLOUR),
            (cert, T("grid power with certificates"), maps.CERT_COLOUR),
            (rest, T("grid power without certificates"), "#9e9e9e"),
        ):
            fig.add_bar(
                x=names,
                y=(y * 100).round(2).tolist(),
                name=name,
                marker_color=colour,
                hovertemplate="%{x}: %{y:.1f} % " + name + "<extra></extra>",
            )
        quota = s["quota"]
        if quota.notna().any():
            fig.add_scatter(
                x=names,
                y=(quota * 100).round(2).tolist(),
                mode="markers",
                name=T("quota"),
                marker={"symbol": "line-ew-open", "size": 34, "color": "black", "line": {"width": 3}},
                hovertemplate="%{x}: " + T("quota") + " %{y:.0f} %<extra></extra>",
            )
        fig.update_layout(
            **_plotly_layout(
                barmode="stack",
                title={"text": T("Energy of each used site by source, with its green-power quota")},
                yaxis={"title": {"text": T("% of the site's annual energy")}, "range": [0, 105]},
                legend={"orientation": "h", "y": -0.18},
            )
        )
        parts.append(page.figure(fig, height=400))
        met = s["green_share"].fillna(0) + 1e-6 >= s["quota"].fillna(0)
        s = s.assign(green_share=s["green_share"].clip(upper=1.0))  # a share never shows above 100 %
        cols = [
            _Col("site_id", T("site"), "text"),
            _Col("region_id", T("region"), "text"),
            _Col("kind", T("kind"), "term"),
            _Col("n_clusters", T("clusters"), "int"),
            _Col("facility_mw", T("facility MW"), "num", 1),
            _Col("energy_gwh", T("GWh/yr"), "num", 1),
            _Col("grid_gwh", T("grid GWh"), "num", 1),
            _Col("dedicated_green_gwh", T("dedicated green GWh"), "num", 1),
            _Col("certificates_gwh", T("certificates GWh"), "num", 1),
            _Col("green_share", T("green share"), "pct", 1),
            _Col("quota", T("quota"), "pct", 0),
            _Col("hourly_matched_score", T("hours fully green"), "pct", 1),
            _Col("price_per_mwh", T("price {cur}/MWh", cur=cur), "num", 1),
            _Col("ef_t_per_mwh", T("grid EF t/MWh"), "num", 3),
            _Col("emissions_location_t", T("t CO₂ location"), "num", 0),
            _Col("emissions_market_t", T("t CO₂ market"), "num", 0),
            _Col("build_cost_m", T("build, m {cur}/yr", cur=cur), "num", 1),
            _Col("energy_cost_m", T("energy, m {cur}/yr", cur=cur), "num", 1),
        ]
        parts.append(_table(s, cols, row_class=["" if m else "bad" for m in met]))
        unused = len(tables["sites"]) - len(s)
        note = T(
            "Green share = (dedicated green power + certificates) ÷ the site's energy; rows in red miss their quota."
        )
        if unused:
            note += T(" {n} other candidate site(s) are unused.", n=unused)
        parts.append(f'<p class="note">{_e(note)}</p>')
    else:
        gs = summary.get("green_share") or {}
        if gs:
            df = pd.DataFrame({"site_id": list(gs), "green_share": list(gs.values())})
            parts.append(_table(df, [_Col("site_id", T("site"), "text"), _Col("green_share", T("green share"), "pct")]))
    page.add("sites", T("Sites and green shares"), "\n".join(parts))


def _cost_section(page: _Page, summary: Mapping[str, Any]) -> None:
    import plotly.graph_objects as go

    raw = {k: _f(v) for k, v in (summary.get("cost_breakdown") or {}).items()}
    cb: dict[str, float] = {k: v for k, v in raw.items() if v is not None}
    if not cb:
        return
    cur = _currency(summary)
    total_sum = sum(cb.values())
    total = _f(summary.get("total_cost"))
    total = total_sum if total is None else total
    rows = sorted(((k, v) for k, v in cb.items() if abs(v) > 1e-9), key=lambda kv: -abs(kv[1]))
    zero = [k for k, v in cb.items() if abs(v) <= 1e-9]
    df = pd.DataFrame(
        {
            "term": [T(_label(k)) for k, _ in rows],
            "amount": [v for _, v in rows],
            "share": [v / total if total else np.nan for _, v in rows],
        }
    )
    fig = go.Figure(
        go.Bar(
            y=[_e(t) for t in df["term"]][::-1],
            x=df["amount"].tolist()[::-1],
            orientation="h",
            marker_color="#2b8cbe",
            text=[f"{v:,.1f}" for v in df["amount"][::-1]],
            textposition="auto",
            hovertemplate="%{y}: %{x:,.2f} " + _e(T("million {cur}/yr", cur=cur)) + "<extra></extra>",
        )
    )
    fig.update_layout(
        **_plotly_layout(
            title={"text": T("Annual cost by term")},
            xaxis={"title": {"text": _e(T("million {cur} per year", cur=cur))}},
            margin={"l": 130, "r": 20, "t": 50, "b": 50},
        )
    )
    table = _table(
        df,
        [
            _Col("term", T("term"), "text"),
            _Col("amount", T("million {cur}/yr", cur=cur), "num", 2),
            _Col("share", T("share"), "pct"),
        ],
        total={"term": T("total"), "amount": total, "share": 1.0 if total else None},
    )
    note = []
    if zero:
        note.append(T("zero terms: {x}", x=", ".join(T(_label(z)) for z in zero)))
    if total and abs(total_sum - total) > 1e-6 * max(1.0, abs(total)):
        note.append(T("the terms sum to {a}, not the total {b}", a=f"{total_sum:,.2f}", b=f"{total:,.2f}"))
    body = f'<div class="grid2"><div>{page.figure(fig, height=max(260, 60 + 34 * len(df)))}</div><div>{table}'
    body += f'<p class="note">{_e("; ".join(note))}</p>' if note else ""
    body += "</div></div>"
    page.add("costs", T("Cost breakdown"), body)


def _emissions_section(page: _Page, summary: Mapping[str, Any], tables: dict[str, pd.DataFrame]) -> None:
    import plotly.graph_objects as go

    em = summary.get("emissions_t") or {}
    loc, mkt = _f(em.get("location_based")), _f(em.get("market_based"))
    if loc is None and mkt is None:
        return
    s = _used_sites(tables)
    scale, unit = _mass_scale([loc, mkt])
    energy = _f((summary.get("demand") or {}).get("energy_twh"))
    rows = []
    for name, v in (
        (T("location-based (grid MWh × regional emission factor)"), loc),
        (T("market-based (net of certificates)"), mkt),
    ):
        rows.append(
            {
                "accounting": name,
                "t": v,
                "scaled": None if v is None else v / scale,
                "intensity": None if v is None or not energy else v / (energy * 1e6),
            }
        )
    df = pd.DataFrame(rows)
    table = _table(
        df,
        [
            _Col("accounting", T("accounting"), "text"),
            _Col("t", T("t CO₂/yr"), "num", 0),
            _Col("scaled", T(unit), "num", 2),
            _Col("intensity", T("t CO₂ per MWh of load"), "num", 4),
        ],
    )
    acct = (summary.get("policy") or {}).get("carbon_accounting")
    note = T("The carbon price, cap and carbon objective use the {acct} figure.", acct=_acct_t(acct)) if acct else ""
    fig = go.Figure()
    if len(s) and s[["emissions_location_t", "emissions_market_t"]].notna().any().any():
        names = [_e(x) for x in s["site_id"]]
        for col, name, colour in (
            ("emissions_location_t", T("location-based"), "#8c6d31"),
            ("emissions_market_t", T("market-based"), "#31a354"),
        ):
            fig.add_bar(
                x=names,
                y=(s[col] / scale).round(3).tolist(),
                name=name,
                marker_color=colour,
                hovertemplate="%{x}: %{y:,.2f} " + T(unit) + " " + name + "<extra></extra>",
            )
        title = T("Emissions by site, {unit}", unit=T(unit))
    else:
        fig.add_bar(
            x=[T("location-based"), T("market-based")],
            y=[(loc or 0) / scale, (mkt or 0) / scale],
            marker_color=["#8c6d31", "#31a354"],
        )
        title = T("Emissions, {unit}", unit=T(unit))
    layout = _plotly_layout(barmode="group", title={"text": title}, yaxis={"title": {"text": T(unit)}})
    fig.update_layout(**layout)
    body = f'<div class="grid2"><div>{page.figure(fig, height=360)}</div><div>{table}'
    body += f'<p class="note">{_e(note)}</p>' if note else ""
    page.add("emissions", T("Emissions"), body + "</div></div>")


def _gap_columns() -> list[_Col]:
    """The columns of the regional gap table, in the report's language."""
    return [
        _Col("region_id", T("region"), "text"),
        _Col("name_en", T("name"), "text"),
        _Col("added_load_mw", T("added load MW (avg)"), "num", 1),
        _Col("added_peak_mw", T("added peak MW (design)"), "num", 0),
        _Col("headroom_mw", T("firm headroom MW"), "num", 0),
        _Col("headroom_used", T("headroom used"), "pct", 0),
        _Col("grid_import_mw", T("firm imports MW"), "num", 0),
        _Col("new_firm_mw", T("new firm MW"), "num", 0),
        _Col("shed_gwh", T("shed GWh"), "num", 1),
        _Col("added_energy_twh", T("added TWh/yr"), "num", 2),
        _Col("new_wind_mw", T("new wind MW"), "num", 0),
        _Col("new_solar_mw", T("new solar MW"), "num", 0),
        _Col("local_surplus_mw", T("local surplus MW"), "num", 1),
        _Col("imported_mw", T("green imports MW"), "num", 1),
        _Col("green_gap_mw", T("green gap MW (avg)"), "num", 1),
        _Col("cert_sold_gwh", T("certificates sold GWh"), "num", 1),
        _Col("cert_bought_gwh", T("certificates bought GWh"), "num", 1),
        _Col("gap_mw", T("gap MW"), "num", 1),
    ]


def gap_table(regions: pd.DataFrame) -> pd.DataFrame:
    """Regions with added load or a power gap, ranked by ``gap_mw`` then ``added_load_mw`` (both descending)."""
    r = regions.copy()
    for c in ("gap_mw", "added_load_mw"):
        r[c] = pd.to_numeric(r[c], errors="coerce") if c in r else np.nan
    r = r[(r["added_load_mw"].fillna(0) > 0) | (r["gap_mw"].fillna(0) > 0)]
    if "added_energy_twh" not in r and "added_energy_gwh" in r:
        r["added_energy_twh"] = r["added_energy_gwh"] / 1000.0
    return r.sort_values(["gap_mw", "added_load_mw"], ascending=False, na_position="last", kind="stable").reset_index(
        drop=True
    )


def _gap_section(page: _Page, tables: dict[str, pd.DataFrame]) -> None:
    r = gap_table(tables["regions"])
    if not len(r):
        return
    gap = r["gap_mw"].fillna(0) > 0
    known = r["gap_mw"].notna().any()
    cols = [
        c if c.key != "gap_mw" else _Col("gap_html", T("gap MW"), "html")
        for c in _gap_columns()
        if known or c.key != "gap_mw"
    ]
    r["gap_html"] = [f'<span class="{"gap" if g > 0 else ""}">{_num(g, 1)}</span>' for g in r["gap_mw"].fillna(0)]
    if current() == "zh" and "name_zh" in r:
        zh = r["name_zh"].fillna("").astype(str).str.strip()
        r["name_en"] = zh.where(zh != "", r["name_en"])
    body = _table(r, cols, row_class=["bad" if g else "" for g in gap])
    if known and current() == "zh":
        body += f'<p class="note">{_e(T("GAP_NOTE", a=int(gap.sum()), b=len(r)))}</p>'
    elif not known and current() == "zh":
        body += f'<p class="note">{_e(T("GAP_NOTE_NONE"))}</p>'
    elif known:
        body += (
            '<p class="note">Firm power: added peak = the clusters\' facility design power; firm headroom = firm '
            "capacity + firm imports − the region's own load × (1 + reserve margin) at its tightest hour; firm "
            "imports, new firm capacity and shed load (flexible clusters) cover what the headroom cannot. gap = "
            "shortfall at the tightest hour (0 when adequacy is enforced; reported in report mode). Green gap: "
            "average added load (GWh ÷ 8.76) that neither local renewable surplus nor green imports cover. See "
            "docs/formulation.md. "
            f"{int(gap.sum())} of {len(r)} region(s) with added load show a gap.</p>"
        )
    else:
        body += '<p class="note">This run\'s regions.csv has no gap indicators (gap_mw); regions with added load.</p>'
    page.add("gaps", T("Regional power gaps"), body)


def _transfers_section(page: _Page, tables: dict[str, pd.DataFrame], summary: Mapping[str, Any]) -> None:
    cur = _currency(summary)
    parts = []
    f = tables["flows"]
    f = f[f["energy_gwh"].fillna(0) > 0].sort_values("energy_gwh", ascending=False).reset_index(drop=True)
    if len(f):
        small = f["energy_gwh"] < maps.MIN_ARROW_SHARE * float(f["energy_gwh"].max())
        cols = [
            _Col("corridor_id", T("corridor"), "text"),
            _Col("kind", T("kind"), "text"),
            _Col("capacity_mw", T("spare capacity MW"), "num", 0),
            _Col("max_flow_mw", T("max flow MW"), "num", 1),
            _Col("mean_flow_mw", T("mean flow MW"), "num", 1),
            _Col("energy_gwh", T("GWh/yr sent"), "num", 1),
            _Col("delivered_gwh", T("GWh/yr delivered"), "num", 1),
            _Col("utilisation", T("utilisation"), "pct", 0),
            _Col("wheeling_cost_m", T("wheeling, m {cur}/yr", cur=cur), "num", 2),
        ]
        classes = ["dim" if x else "" for x in small]
        head, rest = f.iloc[:15], f.iloc[15:]
        parts.append(f"<h3>{T('Dedicated green power over corridors ({n} with energy)', n=len(f))}</h3>")
        parts.append(_table(head, cols, row_class=classes[:15]))
        if len(rest):
            parts.append(
                f"<details><summary>{T('{n} more', n=len(rest))}</summary>"
                f"{_table(rest, cols, row_class=classes[15:])}</details>"
            )
        if current() == "zh":
            text = T(
                "TRANSFER_NOTE",
                total=f"{f['energy_gwh'].sum():,.1f}",
                n=int(small.sum()),
                pct=f"{maps.MIN_ARROW_SHARE * 100:g}",
            )
            parts.append(f'<p class="note">{_e(text)}</p>')
        else:
            parts.append(
                f'<p class="note">Total sent {f["energy_gwh"].sum():,.1f} GWh/yr. '
                f"Grey rows ({int(small.sum())}) carry less than {maps.MIN_ARROW_SHARE * 100:g} % "
                "of the largest transfer and are not drawn as arrows on the maps.</p>"
            )
    c = tables["certificates"]
    c = c[c["gwh"].fillna(0) > 0].sort_values("gwh", ascending=False).reset_index(drop=True)
    if len(c):
        c = c.assign(where=np.where(c["cross_region"], T("cross-region"), T("within region")))
        cols = [
            _Col("from_region", T("seller region"), "text"),
            _Col("site_id", T("buying site"), "text"),
            _Col("to_region", T("site region"), "text"),
            _Col("gwh", T("GWh/yr"), "num", 1),
            _Col("cost_m", T("cost, m {cur}/yr", cur=cur), "num", 2),
            _Col("where", T("trade"), "text"),
        ]
        parts.append(f"<h3>{T('Green certificates bought')}</h3>")
        parts.append(
            _table(c, cols, total={"from_region": T("total"), "gwh": c["gwh"].sum(), "cost_m": c["cost_m"].sum()})
        )
    page.add("transfers", T("Green-power transfers and certificates"), "\n".join(parts))


def _run_page(folder: Path, region_set: Any, lang: str) -> _Page:
    tables, summary = read_run(folder)
    manifest = read_json(folder / MANIFEST)
    status = str(summary.get("status") or "")
    name = str(summary.get("name") or folder.name)
    page = _Page(f"{name} — {T('gridsite report')}", lang)
    page.running_head = name
    notes: list[str] = []
    _run_header(page, summary, manifest, folder)
    has_results = len(tables["assignments"]) > 0 or len(tables["sites"]) > 0
    if status not in _SOLVED and not has_results:
        _notes_section(page, summary, notes)  # a failed run: its message and diagnosis are the report
        return page
    rs = region_set if region_set is not None else _load_region_set(summary.get("region_set"), notes)
    if has_results:
        _maps_section(page, folder, tables, summary, rs, lang, notes)
    _placement_section(page, tables)
    _sites_section(page, tables, summary)
    _cost_section(page, summary)
    _emissions_section(page, summary, tables)
    _gap_section(page, tables)
    _transfers_section(page, tables, summary)
    _notes_section(page, summary, notes)
    if status in _SOLVED or summary.get("objective") is not None:
        from rendering.report.brief import brief_html

        policy = summary.get("policy") or {}
        rows = _policy_rows(policy, _currency(summary), summary.get("year")) if policy else []
        page.brief = brief_html(summary, tables, folder, page.map_png, rows, _kpis(summary))
    return page
