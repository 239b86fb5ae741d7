"""Run reports: one self-contained HTML page for a finished run, a policy sweep or a Pareto folder.

``gridsite report DIR`` (:func:`write_report`) writes ``DIR/report.html``. What it shows depends on the folder:

- a **run** (``summary.json`` and the result CSVs written by ``gridsite solve``): scenario, region set, year,
  status, objective with its unit, MIP gap, timings and policy; the static siting map (PNG, embedded) and the
  interactive one; the placement, the sites with their green share against the quota and their energy sources,
  the cost breakdown, location- and market-based emissions, the regional power-gap table (ranked by ``gap_mw``,
  then ``added_load_mw``), the green-power transfers and certificate purchases, and any notes. A failed run
  folder (only ``summary.json``, status ``infeasible``/``time_limit``/``error``) renders its message and
  diagnosis;
- a **sweep** (``sweep.csv``/``sweep.parquet``, ``sweep.json``, ``points/``): a chart of total cost and of both
  emission figures against each varied parameter (one line per combination of the other parameters), the cost
  breakdown of every point and the table of points. A sweep still running (only ``points/*.json``) is reported
  from its finished points;
- a **Pareto** folder (``pareto.csv``, ``pareto.json``, ``points/pNN/``): the cost–carbon frontier, the cost
  breakdown along it, the marginal abatement cost between neighbouring points and the table of points.

Everything is read from files (nothing here imports the optimiser): money is in millions of the run's currency
per year (``summary.json``: ``cost_unit``), emissions in tonnes of CO₂ per year. The page needs no network: CSS
is inline, plotly.js is inlined once for all charts and the interactive map (with the same offline geo-assets
stub as :func:`rendering.maps.interactive_map`), the static map is a base64 ``data:`` image. All text from the
files is HTML-escaped; the file is written atomically.
"""

from __future__ import annotations

import base64
import html
import json
import math
import tempfile
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from gridsite.errors import DataError
from rendering import maps

__all__ = ["REPORT_NAME", "build_report", "detect_kind", "write_report"]

#: File name of the report inside the folder it describes.
REPORT_NAME = "report.html"

#: Statuses of a run that has result tables.
_SOLVED = ("optimal", "time_limit", "feasible")

_STATUS_CLASS = {"optimal": "ok", "time_limit": "warn", "feasible": "warn", "skipped": "warn"}

_CSS = """
:root { --fg: #1d232a; --muted: #5b6670; --line: #d9dee3; --bg: #f6f8fa; --accent: #1f6f43; }
* { box-sizing: border-box; }
body { margin: 0; font: 14px/1.45 system-ui, -apple-system, "Segoe UI", "Noto Sans", "Noto Sans CJK SC",
       "Helvetica Neue", Arial, sans-serif; color: var(--fg); background: white; }
header.top { padding: 18px 28px 10px; border-bottom: 1px solid var(--line); background: var(--bg); }
header.top h1 { margin: 0 0 4px; font-size: 24px; }
header.top .sub { color: var(--muted); }
nav { padding: 6px 28px; border-bottom: 1px solid var(--line); font-size: 13px; position: sticky; top: 0;
      background: white; z-index: 10; }
nav a { margin-right: 14px; color: var(--accent); text-decoration: none; }
main { padding: 8px 28px 40px; max-width: 1500px; }
section { margin-top: 26px; }
h2 { font-size: 19px; margin: 0 0 8px; padding-bottom: 4px; border-bottom: 2px solid var(--accent); }
h3 { font-size: 15px; margin: 16px 0 6px; }
p.note, .muted { color: var(--muted); font-size: 12.5px; }
.badge { display: inline-block; padding: 1px 9px; border-radius: 10px; font-size: 12px; font-weight: 600;
         color: white; background: #a50f15; vertical-align: middle; }
.badge.ok { background: #1f6f43; } .badge.warn { background: #b35806; }
.cards { display: flex; flex-wrap: wrap; gap: 10px; margin: 10px 0; }
.card { border: 1px solid var(--line); border-radius: 6px; padding: 8px 12px; min-width: 170px; background: white; }
.card .v { font-size: 19px; font-weight: 600; }
.card .k { color: var(--muted); font-size: 12px; }
.grid2 { display: grid; grid-template-columns: minmax(0, 1fr) minmax(0, 1fr); gap: 14px 28px; }
@media (max-width: 960px) { .grid2 { grid-template-columns: minmax(0, 1fr); } }
.scroll { overflow-x: auto; }
td a { white-space: nowrap; }
table { border-collapse: collapse; margin: 6px 0 4px; font-size: 13px; }
th, td { padding: 3px 8px; border-bottom: 1px solid var(--line); text-align: left; vertical-align: top; }
th { background: var(--bg); font-weight: 600; white-space: nowrap; }
td.n, th.n { text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; }
tr.total td { font-weight: 600; border-top: 2px solid #9aa4ad; }
tr.bad td { background: #fdecea; } tr.dim td { color: #8a949d; }
.banner { background: #fdecea; border-left: 4px solid #b3261e; padding: 8px 12px; }
.gap { color: #a50f15; font-weight: 600; }
table.kv th { text-align: left; background: none; color: var(--muted); font-weight: normal; }
figure { margin: 8px 0; }
figure img { max-width: 100%; height: auto; border: 1px solid var(--line); }
figcaption { color: var(--muted); font-size: 12.5px; }
.chart { border: 1px solid var(--line); border-radius: 4px; margin: 6px 0; }
.map { border: 1px solid var(--line); border-radius: 4px; margin: 6px 0; }
details summary { cursor: pointer; color: var(--accent); margin: 4px 0; }
pre { background: var(--bg); padding: 8px; overflow-x: auto; font-size: 12px; }
ul.diag li { margin-bottom: 4px; }
footer { color: var(--muted); font-size: 12px; padding: 12px 28px; border-top: 1px solid var(--line); }
"""


# --------------------------------------------------------------------------------------------------------------
# Formatting
# --------------------------------------------------------------------------------------------------------------


def _e(x: Any) -> str:
    """HTML-escaped text of ``x`` (``""`` for None)."""
    return "" if x is None else html.escape(str(x))


def _f(x: Any) -> float | None:
    """``x`` as a finite float, or None (booleans are not numbers here)."""
    if isinstance(x, bool) or x is None:
        return None
    try:
        v = float(x)
    except (TypeError, ValueError):
        return None
    return v if math.isfinite(v) else None


def _num(x: Any, decimals: int = 1) -> str:
    v = _f(x)
    if v is None:
        return "–"
    s = f"{v:,.{decimals}f}"
    return s[1:] if s.startswith("-") and float(s.replace(",", "")) == 0 else s


def _pct(x: Any, decimals: int = 1) -> str:
    v = _f(x)
    return "–" if v is None else f"{v * 100:.{decimals}f} %"


def _mass_scale(values: Iterable[Any]) -> tuple[float, str]:
    """Divisor and unit (t, kt or Mt CO₂ per year) that suit the largest of ``values``."""
    vs = [abs(v) for v in (_f(x) for x in values) if v is not None]
    top = max(vs) if vs else 0.0
    if top >= 1e6:
        return 1e6, "Mt CO₂/yr"
    if top >= 1e3:
        return 1e3, "kt CO₂/yr"
    return 1.0, "t CO₂/yr"


def _label(key: str) -> str:
    """``site_build`` → ``site build``."""
    return str(key).replace("_", " ")


def _acct(key: Any) -> str:
    """``location_based`` → ``location-based``."""
    return str(key or "").replace("_", "-")


def _missing(x: Any) -> bool:
    """None, NaN, NaT or pandas' NA (a list or mapping is never missing)."""
    if x is None:
        return True
    if isinstance(x, str | dict | list | tuple):
        return False
    try:
        return bool(pd.isna(x))
    except (TypeError, ValueError):
        return False


def _value(x: Any) -> str:
    """A parameter or policy value as short text (``–`` when missing)."""
    if isinstance(x, bool | np.bool_):
        return "true" if x else "false"
    if isinstance(x, dict | list):
        return json.dumps(x, ensure_ascii=False, sort_keys=True)
    if _missing(x):
        return "–"
    if isinstance(x, float | np.floating):
        return f"{float(x):g}"
    return str(x)


@dataclass(frozen=True)
class _Col:
    """A table column: the frame column, its header, how to show it (text, num, pct, int) and decimals."""

    key: str
    header: str
    kind: str = "num"
    decimals: int = 1


def _cell(value: Any, col: _Col) -> str:
    if col.kind == "num":
        return f'<td class="n">{_num(value, col.decimals)}</td>'
    if col.kind == "int":
        return f'<td class="n">{_num(value, 0)}</td>'
    if col.kind == "pct":
        return f'<td class="n">{_pct(value, col.decimals)}</td>'
    if col.kind == "html":
        return f"<td>{value}</td>"
    return f"<td>{'' if _missing(value) else _e(_value(value))}</td>"


def _table(
    df: pd.DataFrame,
    cols: Sequence[_Col],
    *,
    row_class: Sequence[str] | None = None,
    drop_empty: bool = True,
    total: Mapping[str, Any] | None = None,
    css: str = "",
) -> str:
    """An HTML table of ``df``'s ``cols`` (those present; numeric ones that are all missing left out)."""
    use = []
    for c in cols:
        if c.key not in df.columns:
            continue
        if drop_empty and c.kind in ("num", "int", "pct") and pd.to_numeric(df[c.key], errors="coerce").isna().all():
            continue
        use.append(c)
    head = "".join(f'<th class="{"n" if c.kind in ("num", "int", "pct") else ""}">{_e(c.header)}</th>' for c in use)
    body = []
    for i, rec in enumerate(df[[c.key for c in use]].itertuples(index=False)):
        cls = f' class="{row_class[i]}"' if row_class is not None and row_class[i] else ""
        body.append(f"<tr{cls}>" + "".join(_cell(v, c) for v, c in zip(rec, use, strict=True)) + "</tr>")
    if total is not None:
        cells = []
        for c in use:
            v = total.get(c.key, "")
            cells.append(_cell(v, c) if c.key in total else "<td></td>")
        body.append('<tr class="total">' + "".join(cells) + "</tr>")
    return (
        f'<div class="scroll"><table class="{css}"><thead><tr>{head}</tr></thead>'
        f"<tbody>{''.join(body)}</tbody></table></div>"
    )


def _kv(rows: Iterable[tuple[str, str]]) -> str:
    """A two-column key/value table; values are HTML already."""
    body = "".join(f"<tr><th>{_e(k)}</th><td>{v}</td></tr>" for k, v in rows)
    return f'<table class="kv"><tbody>{body}</tbody></table>'


def _badge(status: str) -> str:
    return f'<span class="badge {_STATUS_CLASS.get(status, "")}">{_e(status or "unknown")}</span>'


def _cards(items: Iterable[tuple[str, str]]) -> str:
    return (
        '<div class="cards">'
        + "".join(f'<div class="card"><div class="v">{_e(v)}</div><div class="k">{_e(k)}</div></div>' for k, v in items)
        + "</div>"
    )


# --------------------------------------------------------------------------------------------------------------
# The page: sections and plotly charts sharing one inlined plotly.js
# --------------------------------------------------------------------------------------------------------------


class _Page:
    """Sections of a report and the plotly figures in them (plotly.js is inlined once when there is any)."""

    def __init__(self, title: str, lang: str = "en") -> None:
        self.title = title
        self.lang = lang
        self.sections: list[tuple[str, str, str]] = []  # (id, heading, html)
        self.header = ""
        self.n_figures = 0
        self.geo = False

    def add(self, sid: str, heading: str, body: str) -> None:
        if body:
            self.sections.append((sid, heading, body))

    def figure(self, fig: Any, *, height: int = 420, div_id: str | None = None, css: str = "chart") -> str:
        """The div of a plotly figure (its script calls the page's single plotly.js)."""
        self.n_figures += 1
        div_id = div_id or f"chart-{self.n_figures}"
        config = {"displaylogo": False, "responsive": True}
        if css == "map":
            config.update(scrollZoom=True, toImageButtonOptions={"format": "png", "filename": "siting_map", "scale": 2})
        div = fig.to_html(
            full_html=False,
            include_plotlyjs=False,
            config=config,
            default_width="100%",
            default_height=f"{height}px",
            div_id=div_id,
            validate=True,
        )
        return f'<div class="{css}">{div}</div>'

    def render(self) -> str:
        scripts = ""
        if self.n_figures:
            from plotly.offline import get_plotlyjs

            # the geo-assets stub must run before plotly.js loads (see rendering.maps.GEO_ASSETS_STUB)
            stub = f"<script>{maps.GEO_ASSETS_STUB}</script>\n" if self.geo else ""
            scripts = f'{stub}<script type="text/javascript">{get_plotlyjs()}</script>\n'
        nav = "".join(f'<a href="#{_e(sid)}">{_e(h)}</a>' for sid, h, _ in self.sections)
        body = "\n".join(f'<section id="{_e(sid)}"><h2>{_e(h)}</h2>\n{b}\n</section>' for sid, h, b in self.sections)
        stamp = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
        return (
            "<!DOCTYPE html>\n"
            f'<html lang="{_e(self.lang)}">\n<head>\n<meta charset="utf-8">\n'
            '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
            f"<title>{_e(self.title)}</title>\n<style>{_CSS}</style>\n{scripts}</head>\n<body>\n"
            f'<header class="top">{self.header}</header>\n<nav>{nav}</nav>\n<main>\n{body}\n</main>\n'
            f"<footer>Report written by gridsite{_e(_version())} on {stamp}. Money in millions of the currency per "
            "year, emissions in tonnes of CO₂ per year unless stated. Self-contained: it loads nothing from the "
            "network.</footer>\n</body>\n</html>\n"
        )


def _version() -> str:
    from importlib import metadata

    try:
        return " " + metadata.version("gridsite")
    except metadata.PackageNotFoundError:
        return ""


def _plotly_layout(**kw: Any) -> dict[str, Any]:
    base: dict[str, Any] = {
        "template": "plotly_white",
        "margin": {"l": 60, "r": 20, "t": 50, "b": 50},
        "font": {"family": "system-ui, Arial, sans-serif", "size": 12},
        "hoverlabel": {"align": "left"},
    }
    base.update(kw)
    return base


# --------------------------------------------------------------------------------------------------------------
# Reading folders
# --------------------------------------------------------------------------------------------------------------


def detect_kind(path: str | Path) -> str:
    """What a folder holds: ``"pareto"`` (``pareto.csv``), ``"sweep"`` (``sweep.csv``/``sweep.parquet``/
    ``sweep.json`` or point records) or ``"run"`` (``summary.json``). Raises ``FileNotFoundError`` otherwise."""
    d = Path(path)
    if not d.is_dir():
        raise FileNotFoundError(f"folder not found: {d}")
    if (d / "pareto.csv").is_file():
        return "pareto"
    if any((d / f).is_file() for f in ("sweep.csv", "sweep.parquet", "sweep.json")):
        return "sweep"
    if (d / "summary.json").is_file():
        return "run"
    if any((d / "points").glob("*.json")):
        return "sweep"
    raise FileNotFoundError(
        f"{d} is not a finished run, sweep or Pareto folder (expected summary.json, sweep.csv or pareto.csv)"
    )


def _read_json(path: Path) -> dict[str, Any]:
    if not path.is_file():
        return {}
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError):
        return {}
    return data if isinstance(data, dict) else {}


def _load_region_set(name: Any, notes: list[str]) -> Any:
    """The region set a summary names, or None (with a note saying why)."""
    if not name:
        notes.append("summary.json names no region set: the maps are not drawn")
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
    return str(summary.get("cost_unit") or f"million {_currency(summary)} per year".replace("  ", " "))


def _gap(summary: Mapping[str, Any]) -> str:
    """The MIP gap, absolute when the run says a relative one is meaningless (objective near zero)."""
    if summary.get("gap_basis") == "absolute" and _f(summary.get("gap_abs")) is not None:
        unit = summary.get("objective_unit") or ""
        return f"{_f(summary.get('gap_abs')):,.4g} {unit} (absolute; the objective is near zero)"
    return _pct(summary.get("mip_gap"), 3)


def _objective_text(summary: Mapping[str, Any]) -> str:
    obj = summary.get("objective")
    if obj is None:
        return "–"
    mode = str(summary.get("objective_mode") or "cost")
    unit = summary.get("objective_unit") or (_money_unit(summary) if mode == "cost" else "tCO2 per year")
    v = _f(obj)
    return f"{_value(obj)} ({mode})" if v is None else f"{v:,.2f} {unit} ({mode})"


def _policy_rows(policy: Mapping[str, Any], currency: str, year: Any) -> list[tuple[str, str]]:
    rows: list[tuple[str, str]] = []
    done = set()

    def put(key: str, label: str, text: str) -> None:
        if key in policy:
            rows.append((label, _e(text)))
            done.add(key)

    gmin = policy.get("green_share_min")
    if isinstance(gmin, Mapping):
        path = ", ".join(f"{k}: {_pct(v, 0)}" for k, v in gmin.items())
        g = gmin.get(year, gmin.get(str(year)))
        put("green_share_min", "Green-power quota", f"{_pct(g, 0)} in {year} (path {path})" if g is not None else path)
    else:
        put("green_share_min", "Green-power quota", "none" if not _f(gmin) else f"≥ {_pct(gmin, 0)}")
    put("applies_to", "Quota applies to", {"hubs": "hub sites", "all": "all sites"}.get(policy.get("applies_to"), ""))
    put("matching", "Matching period", _value(policy.get("matching")))
    put("cross_region", "Cross-region certificate trading", "on" if policy.get("cross_region") else "off")
    put("certificate_price", "Certificate price", f"{_value(policy.get('certificate_price'))} {currency}/MWh")
    put("certificate_max_share", "Max certificate share of a quota", _pct(policy.get("certificate_max_share"), 0))
    put("carbon_price", "Carbon price", f"{_value(policy.get('carbon_price'))} {currency}/t CO₂")
    cap = policy.get("carbon_cap_t")
    put("carbon_cap_t", "Carbon cap", "none" if cap is None else f"{_num(cap, 0)} t CO₂/yr")
    put("carbon_accounting", "Carbon accounting", _acct(policy.get("carbon_accounting")))
    for k, v in policy.items():
        if k not in done:
            rows.append((_label(k), _e(_value(v))))
    return rows


def _run_header(page: _Page, summary: Mapping[str, Any], manifest: Mapping[str, Any], folder: Path) -> None:
    status = str(summary.get("status") or "")
    name = summary.get("name") or folder.name
    area = summary.get("region_set") or ""
    year = summary.get("year")
    sub = " · ".join(_e(x) for x in (f"region set {area}" if area else "", f"year {year}" if year else "") if x)
    page.header = (
        f"<h1>{_e(name)} {_badge(status)}</h1>"
        f'<div class="sub">gridsite run report · {sub}{" · " if sub else ""}folder {_e(folder.name)}</div>'
    )
    cur = _currency(summary)
    parts: list[str] = []
    if status == "time_limit" and summary.get("objective") is not None:
        warning = summary.get("warning") or (
            "TIME LIMIT: this plan is feasible but NOT proven optimal; do not use it as a result before re-running "
            "with a longer time limit."
        )
        parts.append(f'<p class="banner bad"><strong>{_e(warning)}</strong></p>')
    if summary.get("message"):
        parts.append(f"<p><strong>{_e(summary['message'])}</strong></p>")
    em = summary.get("emissions_t") or {}
    demand = summary.get("demand") or {}
    if status in _SOLVED or summary.get("objective") is not None:
        scale, unit = _mass_scale(em.values())
        gs = [v for v in (_f(x) for x in (summary.get("green_share") or {}).values()) if v is not None]
        mode = str(summary.get("objective_mode") or "cost")
        cards = [(f"objective ({mode})", _objective_text(summary).rsplit(" (", 1)[0])]
        if mode != "cost":
            cards.append((f"total cost, million {cur}/yr", _num(summary.get("total_cost"), 1)))
        for key in ("location_based", "market_based"):
            v = _f(em.get(key))
            if v is not None:
                cards.append((f"emissions {_acct(key)}, {unit}", _num(v / scale, 1)))
        cards += [
            ("facility load, MW", _num(demand.get("facility_mw"), 0)),
            ("energy, TWh/yr", _num(demand.get("energy_twh"), 2)),
        ]
        if demand.get("clusters") is not None:
            cards.append(("clusters placed", f"{_value(demand.get('placed'))} of {_value(demand.get('clusters'))}"))
        if gs:
            cards.append(("lowest site green share", _pct(min(min(gs), 1.0))))
        parts.append(_cards(cards))
    details: list[tuple[str, str]] = [
        ("Scenario", _e(name)),
        ("Region set", _e(area or "–")),
        ("Year", _e(_value(year)) if year is not None else "–"),
        ("Status", _badge(status)),
    ]
    if summary.get("objective") is not None:
        details += [
            ("Objective", _e(_objective_text(summary))),
            ("Best bound (a limit on the optimum, not a plan)", _e(_num(summary.get("bound"), 2))),
            ("MIP gap", _e(_gap(summary))),
            ("Money", _e(f"{_money_unit(summary)} (all cost figures)")),
        ]
    slices = summary.get("time") or {}
    if slices:
        details.append(("Time resolution", _e(f"{slices.get('mode', '')}, {_value(slices.get('slices'))} slices")))
    size = summary.get("model_size") or {}
    if size:
        details.append(("Model size", _e(", ".join(f"{_value(v)} {k}" for k, v in size.items() if k != "slices"))))
    timings = summary.get("timings_s") or {}
    if timings:
        details.append(("Timings", _e(" · ".join(f"{k} {_num(v, 1)} s" for k, v in timings.items()))))
    if summary.get("fixed_plan"):
        details.append(("Plan", "a proposed plan evaluated (--fix), not optimised"))
    if manifest:
        versions = manifest.get("versions") or {}
        solver = manifest.get("solver") or {}
        details += [
            ("Scenario file", _e(manifest.get("scenario") or "–")),
            ("Scenario hash", f"<code>{_e(str(manifest.get('scenario_sha256') or '–')[:16])}</code>"),
            ("Created", _e(manifest.get("created_utc") or "–")),
            ("Solver", _e(", ".join(f"{k} {_value(v)}" for k, v in solver.items() if v is not None))),
            (
                "Versions",
                _e(", ".join(f"{k} {v}" for k, v in versions.items() if k in ("gridsite", "highspy", "pyomo"))),
            ),
        ]
    policy = summary.get("policy") or {}
    grid = f'<div class="grid2"><div><h3>Run</h3>{_kv(details)}</div>'
    if policy:
        grid += f"<div><h3>Policy</h3>{_kv(_policy_rows(policy, cur, year))}</div>"
    parts.append(grid + "</div>")
    page.add("overview", "Overview", "\n".join(parts))


def _notes_section(page: _Page, summary: Mapping[str, Any], extra: Sequence[str]) -> None:
    parts = []
    diag = summary.get("diagnosis") or []
    if diag:
        method = summary.get("diagnosis_method")
        parts.append(f"<h3>Diagnosis{_e(f' ({method})') if method else ''}</h3>")
        if all(isinstance(d, Mapping) for d in diag):
            df = pd.DataFrame(list(diag))
            cols = [
                _Col("kind", "kind", "text"),
                _Col("subject", "subject", "text"),
                _Col("message", "what cannot be met", "text"),
                _Col("amount", "amount", "num", 2),
                _Col("unit", "unit", "text"),
                _Col("field", "scenario field", "text"),
                _Col("share", "share", "pct"),
            ]
            parts.append(_table(df, cols))
        else:
            parts.append('<ul class="diag">' + "".join(f"<li>{_e(_value(d))}</li>" for d in diag) + "</ul>")
    if summary.get("iis"):
        iis = json.dumps(summary["iis"], indent=2, ensure_ascii=False)
        parts.append(f"<details><summary>Irreducible infeasible subset (HiGHS)</summary><pre>{_e(iis)}</pre></details>")
    notes = [*(summary.get("notes") or []), *extra]
    if notes:
        parts.append("<h3>Notes</h3><ul>" + "".join(f"<li>{_e(_value(n))}</li>" for n in notes) + "</ul>")
    page.add("notes", "Diagnosis and notes" if diag else "Notes", "".join(parts))


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
        caption = "Static siting map (siting_map.png of the run; redraw with <code>gridsite map DIR</code>)."
    elif region_set is not None:
        with tempfile.TemporaryDirectory() as td:
            data = maps.static_map(region_set, tables, summary, Path(td) / "map.png", lang=lang).read_bytes()
        caption = "Static siting map, drawn from the run's tables."
    else:
        caption = ""
    if data:
        b64 = base64.b64encode(data).decode("ascii")
        parts.append(
            f'<figure><img alt="static siting map" src="data:image/png;base64,{b64}">'
            f"<figcaption>{caption}</figcaption></figure>"
        )
    if region_set is not None:
        fig = maps.interactive_figure(region_set, tables, summary, lang=lang)
        page.geo = True
        parts.append("<h3>Interactive map</h3>")
        parts.append(
            '<p class="note">Click legend entries to show or hide layers, use the drop-down to colour the regions '
            "by another quantity, hover for numbers; scroll to zoom.</p>"
        )
        parts.append(page.figure(fig, height=720, div_id="gridsite-map", css="map"))
    elif (folder / "siting_map.html").is_file():
        parts.append('<p>Interactive map: <a href="siting_map.html">siting_map.html</a> (next to this report).</p>')
    if not parts and not notes:
        notes.append("no map: the region set is unknown and the run folder holds no siting_map.png")
    page.add("maps", "Siting maps", "\n".join(parts))


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
        _Col("cluster_id", "cluster", "text"),
        _Col("workload", "workload", "text"),
        _Col("it_mw", "IT MW", "num", 1),
        _Col("facility_mw", "facility MW", "num", 1),
        _Col("peak_facility_mw", "peak facility MW", "num", 1),
        _Col("energy_gwh", "GWh/yr", "num", 1),
        _Col("site", "site", "text"),
        _Col("region_id", "region", "text"),
        _Col("status", "status", "text"),
    ]
    placed = a["status"] == "placed"
    total = {
        "cluster_id": f"total placed ({int(placed.sum())} of {len(a)})",
        "it_mw": a.loc[placed, "it_mw"].sum(),
        "facility_mw": a.loc[placed, "facility_mw"].sum(),
        "peak_facility_mw": a.loc[placed, "peak_facility_mw"].sum() if "peak_facility_mw" in a else None,
        "energy_gwh": a.loc[placed, "energy_gwh"].sum(),
    }
    body = _table(a, cols, row_class=["" if p else "bad" for p in placed], total=total)
    page.add("placement", "Placement", body)


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
            (ded, "dedicated green power", maps.GREEN_COLOUR),
            (cert, "grid power with certificates", maps.CERT_COLOUR),
            (rest, "grid power without certificates", "#9e9e9e"),
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
                name="quota",
                marker={"symbol": "line-ew-open", "size": 34, "color": "black", "line": {"width": 3}},
                hovertemplate="%{x}: quota %{y:.0f} %<extra></extra>",
            )
        fig.update_layout(
            **_plotly_layout(
                barmode="stack",
                title={"text": "Energy of each used site by source, with its green-power quota"},
                yaxis={"title": {"text": "% of the site's annual energy"}, "range": [0, 105]},
                legend={"orientation": "h", "y": -0.18},
            )
        )
        parts.append(page.figure(fig, height=400))
        met = s["green_share"].fillna(0) + 1e-6 >= s["quota"].fillna(0)
        s = s.assign(green_share=s["green_share"].clip(upper=1.0))  # a share never shows above 100 %
        cols = [
            _Col("site_id", "site", "text"),
            _Col("region_id", "region", "text"),
            _Col("kind", "kind", "text"),
            _Col("n_clusters", "clusters", "int"),
            _Col("facility_mw", "facility MW", "num", 1),
            _Col("energy_gwh", "GWh/yr", "num", 1),
            _Col("grid_gwh", "grid GWh", "num", 1),
            _Col("dedicated_green_gwh", "dedicated green GWh", "num", 1),
            _Col("certificates_gwh", "certificates GWh", "num", 1),
            _Col("green_share", "green share", "pct", 1),
            _Col("quota", "quota", "pct", 0),
            _Col("hourly_matched_score", "hours fully green", "pct", 1),
            _Col("price_per_mwh", f"price {cur}/MWh", "num", 1),
            _Col("ef_t_per_mwh", "grid EF t/MWh", "num", 3),
            _Col("emissions_location_t", "t CO₂ location", "num", 0),
            _Col("emissions_market_t", "t CO₂ market", "num", 0),
            _Col("build_cost_m", f"build, m {cur}/yr", "num", 1),
            _Col("energy_cost_m", f"energy, m {cur}/yr", "num", 1),
        ]
        parts.append(_table(s, cols, row_class=["" if m else "bad" for m in met]))
        unused = len(tables["sites"]) - len(s)
        note = "Green share = (dedicated green power + certificates) ÷ the site's energy; rows in red miss their quota."
        if unused:
            note += f" {unused} other candidate site(s) are unused."
        parts.append(f'<p class="note">{_e(note)}</p>')
    else:
        gs = summary.get("green_share") or {}
        if gs:
            df = pd.DataFrame({"site_id": list(gs), "green_share": list(gs.values())})
            parts.append(_table(df, [_Col("site_id", "site", "text"), _Col("green_share", "green share", "pct")]))
    page.add("sites", "Sites and green shares", "\n".join(parts))


def _cost_section(page: _Page, summary: Mapping[str, Any]) -> None:
    import plotly.graph_objects as go

    cb = {k: _f(v) for k, v in (summary.get("cost_breakdown") or {}).items()}
    cb = {k: v for k, v in cb.items() if v is not None}
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
            "term": [_label(k) for k, _ in rows],
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
            hovertemplate="%{y}: %{x:,.2f} million " + _e(cur) + "/yr<extra></extra>",
        )
    )
    fig.update_layout(
        **_plotly_layout(
            title={"text": "Annual cost by term"},
            xaxis={"title": {"text": f"million {_e(cur)} per year"}},
            margin={"l": 130, "r": 20, "t": 50, "b": 50},
        )
    )
    table = _table(
        df,
        [_Col("term", "term", "text"), _Col("amount", f"million {cur}/yr", "num", 2), _Col("share", "share", "pct")],
        total={"term": "total", "amount": total, "share": 1.0 if total else None},
    )
    note = []
    if zero:
        note.append("zero terms: " + ", ".join(_label(z) for z in zero))
    if total and abs(total_sum - total) > 1e-6 * max(1.0, abs(total)):
        note.append(f"the terms sum to {total_sum:,.2f}, not the total {total:,.2f}")
    body = f'<div class="grid2"><div>{page.figure(fig, height=max(260, 60 + 34 * len(df)))}</div><div>{table}'
    body += f'<p class="note">{_e("; ".join(note))}</p>' if note else ""
    body += "</div></div>"
    page.add("costs", "Cost breakdown", body)


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
        ("location-based (grid MWh × regional emission factor)", loc),
        ("market-based (net of certificates)", mkt),
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
            _Col("accounting", "accounting", "text"),
            _Col("t", "t CO₂/yr", "num", 0),
            _Col("scaled", unit, "num", 2),
            _Col("intensity", "t CO₂ per MWh of load", "num", 4),
        ],
    )
    acct = (summary.get("policy") or {}).get("carbon_accounting")
    note = f"The carbon price, cap and carbon objective use the {_acct(acct)} figure." if acct else ""
    fig = go.Figure()
    if len(s) and s[["emissions_location_t", "emissions_market_t"]].notna().any().any():
        names = [_e(x) for x in s["site_id"]]
        for col, name, colour in (
            ("emissions_location_t", "location-based", "#8c6d31"),
            ("emissions_market_t", "market-based", "#31a354"),
        ):
            fig.add_bar(
                x=names,
                y=(s[col] / scale).round(3).tolist(),
                name=name,
                marker_color=colour,
                hovertemplate="%{x}: %{y:,.2f} " + unit + " " + name + "<extra></extra>",
            )
        title = f"Emissions by site, {unit}"
    else:
        fig.add_bar(
            x=["location-based", "market-based"],
            y=[(loc or 0) / scale, (mkt or 0) / scale],
            marker_color=["#8c6d31", "#31a354"],
        )
        title = f"Emissions, {unit}"
    fig.update_layout(**_plotly_layout(barmode="group", title={"text": title}, yaxis={"title": {"text": unit}}))
    body = f'<div class="grid2"><div>{page.figure(fig, height=360)}</div><div>{table}'
    body += f'<p class="note">{_e(note)}</p>' if note else ""
    page.add("emissions", "Emissions", body + "</div></div>")


_GAP_COLUMNS = [
    _Col("region_id", "region", "text"),
    _Col("name_en", "name", "text"),
    _Col("added_load_mw", "added load MW (avg)", "num", 1),
    _Col("added_peak_mw", "added peak MW (design)", "num", 0),
    _Col("headroom_mw", "firm headroom MW", "num", 0),
    _Col("headroom_used", "headroom used", "pct", 0),
    _Col("grid_import_mw", "firm imports MW", "num", 0),
    _Col("new_firm_mw", "new firm MW", "num", 0),
    _Col("shed_gwh", "shed GWh", "num", 1),
    _Col("added_energy_twh", "added TWh/yr", "num", 2),
    _Col("new_wind_mw", "new wind MW", "num", 0),
    _Col("new_solar_mw", "new solar MW", "num", 0),
    _Col("local_surplus_mw", "local surplus MW", "num", 1),
    _Col("imported_mw", "green imports MW", "num", 1),
    _Col("green_gap_mw", "green gap MW (avg)", "num", 1),
    _Col("cert_sold_gwh", "certificates sold GWh", "num", 1),
    _Col("cert_bought_gwh", "certificates bought GWh", "num", 1),
    _Col("gap_mw", "gap MW", "num", 1),
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
        c if c.key != "gap_mw" else _Col("gap_html", "gap MW", "html")
        for c in _GAP_COLUMNS
        if known or c.key != "gap_mw"
    ]
    r["gap_html"] = [f'<span class="{"gap" if g > 0 else ""}">{_num(g, 1)}</span>' for g in r["gap_mw"].fillna(0)]
    body = _table(r, cols, row_class=["bad" if g else "" for g in gap])
    if known:
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
    page.add("gaps", "Regional power gaps", body)


def _transfers_section(page: _Page, tables: dict[str, pd.DataFrame], summary: Mapping[str, Any]) -> None:
    cur = _currency(summary)
    parts = []
    f = tables["flows"]
    f = f[f["energy_gwh"].fillna(0) > 0].sort_values("energy_gwh", ascending=False).reset_index(drop=True)
    if len(f):
        small = f["energy_gwh"] < maps.MIN_ARROW_SHARE * float(f["energy_gwh"].max())
        cols = [
            _Col("corridor_id", "corridor", "text"),
            _Col("kind", "kind", "text"),
            _Col("capacity_mw", "spare capacity MW", "num", 0),
            _Col("max_flow_mw", "max flow MW", "num", 1),
            _Col("mean_flow_mw", "mean flow MW", "num", 1),
            _Col("energy_gwh", "GWh/yr sent", "num", 1),
            _Col("delivered_gwh", "GWh/yr delivered", "num", 1),
            _Col("utilisation", "utilisation", "pct", 0),
            _Col("wheeling_cost_m", f"wheeling, m {cur}/yr", "num", 2),
        ]
        classes = ["dim" if x else "" for x in small]
        head, rest = f.iloc[:15], f.iloc[15:]
        parts.append(f"<h3>Dedicated green power over corridors ({len(f)} with energy)</h3>")
        parts.append(_table(head, cols, row_class=classes[:15]))
        if len(rest):
            parts.append(
                f"<details><summary>{len(rest)} more</summary>{_table(rest, cols, row_class=classes[15:])}</details>"
            )
        parts.append(
            f'<p class="note">Total sent {f["energy_gwh"].sum():,.1f} GWh/yr. Grey rows ({int(small.sum())}) carry '
            f"less than {maps.MIN_ARROW_SHARE * 100:g} % of the largest transfer and are not drawn as arrows on the "
            "maps.</p>"
        )
    c = tables["certificates"]
    c = c[c["gwh"].fillna(0) > 0].sort_values("gwh", ascending=False).reset_index(drop=True)
    if len(c):
        c = c.assign(where=np.where(c["cross_region"], "cross-region", "within region"))
        cols = [
            _Col("from_region", "seller region", "text"),
            _Col("site_id", "buying site", "text"),
            _Col("to_region", "site region", "text"),
            _Col("gwh", "GWh/yr", "num", 1),
            _Col("cost_m", f"cost, m {cur}/yr", "num", 2),
            _Col("where", "trade", "text"),
        ]
        parts.append("<h3>Green certificates bought</h3>")
        parts.append(
            _table(c, cols, total={"from_region": "total", "gwh": c["gwh"].sum(), "cost_m": c["cost_m"].sum()})
        )
    page.add("transfers", "Green-power transfers and certificates", "\n".join(parts))


def _run_page(folder: Path, region_set: Any, lang: str) -> _Page:
    tables, summary = maps.read_run(folder)
    manifest = _read_json(folder / "manifest.json")
    status = str(summary.get("status") or "")
    page = _Page(f"{summary.get('name') or folder.name} — gridsite report", lang)
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
    return page


# --------------------------------------------------------------------------------------------------------------
# Sweeps and Pareto frontiers
# --------------------------------------------------------------------------------------------------------------


def _short_param(path: str) -> str:
    """``policy.certificates.cross_region`` → ``certificates.cross_region``."""
    parts = str(path).split(".")
    return ".".join(parts[-2:]) if len(parts) > 2 else str(path)


def _records_table(folder: Path) -> pd.DataFrame:
    """A sweep table from its point records (``points/*.json``), for a sweep that has not written sweep.csv."""
    rows = []
    for p in sorted((folder / "points").glob("*.json")):
        rec = _read_json(p)
        if "point_id" not in rec:
            continue
        s = rec.get("summary") or {}
        row: dict[str, Any] = {"point_id": rec["point_id"], "index": rec.get("index")}
        for k, v in (rec.get("parameters") or {}).items():
            row[k] = json.dumps(v, sort_keys=True) if isinstance(v, dict | list) else v
        for k, v in (rec.get("labels") or {}).items():
            row[f"label:{k}"] = v
        em = s.get("emissions_t") or {}
        gs = [v for v in (_f(x) for x in (s.get("green_share") or {}).values()) if v is not None]
        placement = s.get("placement") or {}
        row.update(
            status=rec.get("status"),
            message=rec.get("message") or "; ".join(d.get("message", "") for d in rec.get("diagnosis", [])),
            objective=s.get("objective"),
            objective_mode=s.get("objective_mode"),
            total_cost=s.get("total_cost"),
            cost_unit=s.get("cost_unit"),
            **{f"cost.{k}": v for k, v in (s.get("cost_breakdown") or {}).items()},
            **{
                "emissions_t.location_based": em.get("location_based"),
                "emissions_t.market_based": em.get("market_based"),
            },
            **{"green_share.min": min(gs) if gs else None},
            placement="; ".join(f"{c}={p or '(unbuilt)'}" for c, p in placement.items()) if placement else None,
            sites_used=len({p for p in placement.values() if p}) if placement else None,
        )
        rows.append(row)
    df = pd.DataFrame(rows)
    return df.sort_values("index", kind="stable").reset_index(drop=True) if len(df) else df


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
    df = _records_table(folder)
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


def _display(df: pd.DataFrame, p: str) -> list[str]:
    """Each point's value of parameter ``p`` as text (its label where the sweep gave one)."""
    labels = df[f"label:{p}"] if f"label:{p}" in df else pd.Series([None] * len(df), index=df.index)
    return [
        str(lab) if not _missing(lab) and str(lab) != "" else _value(v) for v, lab in zip(df[p], labels, strict=True)
    ]


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
    order = list(dict.fromkeys(disp[p]))  # category order: as the sweep lists the values
    groups: dict[str, list[int]] = {}
    for i in range(len(df)):
        key = " · ".join(f"{_short_param(q)}={disp[q][i]}" for q in others) or "all points"
        groups.setdefault(key, []).append(i)
    fig = make_subplots(
        rows=1,
        cols=3,
        subplot_titles=(
            f"total cost, million {_e(cur)}/yr",
            f"emissions location-based, {mass}",
            f"emissions market-based, {mass}",
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
            f"{_e(pid)}<br>{_e(_short_param(p))} = {_e(disp[p][df.index.get_loc(i)])}<br>{_e(key)}"
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
    xaxis = {"title": {"text": _e(p)}}
    if not numeric:
        xaxis.update(type="category", categoryorder="array", categoryarray=order)
    for c in (1, 2, 3):
        fig.update_xaxes(row=1, col=c, **xaxis)
    fig.update_layout(
        **_plotly_layout(
            title={
                "text": f"By {_e(p)}"
                + (f" (one line per {', '.join(_e(_short_param(q)) for q in others)})" if others else "")
            },
            legend={"orientation": "h", "y": -0.25},
            margin={"l": 60, "r": 20, "t": 80, "b": 60},
        )
    )
    return page.figure(fig, height=430 + 18 * min(len(groups), 12))


def _breakdown_chart(page: _Page, x: list[str], rows: list[Mapping[str, Any]], cur: str, title: str) -> str:
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
            name=_e(_label(t)),
            marker_color=_PALETTE[k % len(_PALETTE)],
            hovertemplate="%{x}: %{y:,.2f} " + f"million {_e(cur)}/yr " + _e(_label(t)) + "<extra></extra>",
        )
    fig.update_layout(
        **_plotly_layout(
            barmode="relative",
            title={"text": title},
            yaxis={"title": {"text": f"million {_e(cur)} per year"}},
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
    meta = _read_json(folder / "sweep.json")
    notes: list[str] = []
    df = _sweep_table(folder, meta, notes)
    for col in ("point_id", "status", "total_cost"):
        if len(df) and col not in df:
            df[col] = None
    name = meta.get("name") or folder.name
    page = _Page(f"{name} — gridsite sweep report", lang)
    params = _sweep_params(df, meta) if len(df) else []
    cur = _currency_of(df["cost_unit"].dropna().iloc[0] if "cost_unit" in df and df["cost_unit"].notna().any() else "")
    page.header = (
        f'<h1>{_e(name)} <span class="badge ok">sweep</span></h1>'
        f'<div class="sub">gridsite sweep report · {len(df)} point(s) · '
        f"{_e(_status_counts(df['status']) if len(df) else '')} · folder {_e(folder.name)}</div>"
    )
    details = [
        ("Description", _e(meta.get("description") or "–")),
        ("Sweep file", _e(meta.get("sweep_file") or "–")),
        ("Base scenario", _e(meta.get("base_scenario") or "–")),
        ("Mode", _e(meta.get("mode") or "–")),
        ("Parameters", _e(", ".join(params) or "–")),
        ("Points", _e(f"{len(df)} reported" + (f" of {meta['points']}" if meta.get("points") else ""))),
        ("Status", _e(_status_counts(df["status"])) if len(df) else "–"),
        ("Money", _e(f"million {cur} per year" if cur else "millions of the currency per year")),
    ]
    if meta.get("executor"):
        details.append(("Executed", _e(_executed(meta, "wall_s_this_run"))))
    page.add("overview", "Overview", _kv(details))
    if not len(df):
        notes.append("the sweep has no finished points yet")
        page.add("notes", "Notes", "<ul>" + "".join(f"<li>{_e(n)}</li>" for n in notes) + "</ul>")
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
            charts.append(
                f'<p class="note">{len(missing)} point(s) without a solution ({_e(_status_counts(missing))}) are not '
                "plotted; see the table.</p>"
            )
    page.add("charts", "Cost and emissions by parameter", "\n".join(charts))
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
            "Cost breakdown by point",
            _breakdown_chart(page, labels, rows, cur, f"Annual cost by term, million {_e(cur)}/yr"),
        )
    page.add("points", "Points", _sweep_points_table(folder, df, params, cur, unit))
    if notes:
        page.add("notes", "Notes", "<ul>" + "".join(f"<li>{_e(n)}</li>" for n in notes) + "</ul>")
    return page


def _point_link(folder: Path, sub: str, text: str) -> str:
    """A link to a point's folder (its report when there is one), or the plain text."""
    d = folder / sub
    if (d / REPORT_NAME).is_file():
        return f'<a href="{_e(f"{sub}/{REPORT_NAME}")}">{_e(text)}</a>'
    if d.is_dir():
        return f'<a href="{_e(sub)}/">{_e(text)}</a>'
    return _e(text)


def _sweep_points_table(folder: Path, df: pd.DataFrame, params: list[str], cur: str, unit: tuple[float, str]) -> str:
    t = pd.DataFrame({"point": [_point_link(folder, f"runs/{p}", str(p)) for p in df["point_id"]]})
    cols = [_Col("point", "point", "html")]
    for p in params:
        t[p] = _display(df, p)
        cols.append(_Col(p, _short_param(p), "text"))
    scale, mass = unit
    t["status"] = df["status"].to_numpy()
    t["total_cost"] = pd.to_numeric(df["total_cost"], errors="coerce").to_numpy()
    for c in ("emissions_t.location_based", "emissions_t.market_based"):
        t[c] = (pd.to_numeric(df[c], errors="coerce") / scale).to_numpy() if c in df else np.nan
    for c in ("green_share.min", "sites_used", "placement", "message"):
        t[c] = df[c].to_numpy() if c in df else None
    cols += [
        _Col("status", "status", "text"),
        _Col("total_cost", f"total cost, m {cur}/yr", "num", 1),
        _Col("emissions_t.location_based", f"location-based {mass}", "num", 2),
        _Col("emissions_t.market_based", f"market-based {mass}", "num", 2),
        _Col("green_share.min", "lowest green share", "pct"),
        _Col("sites_used", "sites used", "int"),
        _Col("placement", "placement", "text"),
        _Col("message", "message", "text"),
    ]
    classes = ["" if s in _SOLVED else "bad" for s in t["status"]]
    return _table(t, cols, row_class=classes)


def _pareto_page(folder: Path, lang: str) -> _Page:
    import plotly.graph_objects as go

    meta = _read_json(folder / "pareto.json")
    df = pd.read_csv(folder / "pareto.csv", keep_default_na=True)
    name = meta.get("name") or folder.name
    acct = str(meta.get("carbon_accounting") or "location_based")
    cur = _currency_of(meta.get("cost_unit"))
    page = _Page(f"{name} — gridsite Pareto report", lang)
    page.header = (
        f'<h1>{_e(name)} <span class="badge ok">cost–carbon frontier</span></h1>'
        f'<div class="sub">gridsite Pareto report · {len(df)} point(s) · {_e(_status_counts(df["status"]))} · '
        f"folder {_e(folder.name)}</div>"
    )
    details = [
        ("Scenario", _e(meta.get("scenario") or "–")),
        ("Points", _e(len(df))),
        ("Carbon accounting", _e(_acct(acct))),
        ("Cost unit", _e(meta.get("cost_unit") or "millions of the currency per year")),
        ("Carbon unit", _e(meta.get("carbon_unit") or "tCO2 per year")),
        ("Cost non-increasing along the frontier", _e(_value(meta.get("non_increasing")))),
        ("Anchors solved", _e(_value(meta.get("anchors_ok")))),
    ]
    if meta.get("executor"):
        details.append(("Executed", _e(_executed(meta, "wall_s"))))
    page.add("overview", "Overview", _kv(details))

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
        body.append(
            '<p class="note">Each point minimises cost under a carbon cap (ε-constraint); p00 is the minimum-carbon '
            "anchor, the last point the minimum-cost one. The abatement cost in the table is what each point costs "
            "more than its neighbour with the next higher emissions, per tonne of CO₂ it avoids.</p>"
        )
    else:
        body.append('<p class="note">No point of the frontier was solved; see the table.</p>')
    page.add("frontier", "Cost–carbon frontier", "\n".join(body))

    # cost breakdown of each point, from its run folder
    rows, labels = [], []
    for r in ok.itertuples(index=False):
        rd = getattr(r, "run_dir", None)
        s = _read_json(folder / (rd if isinstance(rd, str) and rd else f"points/{r.point}") / "summary.json")
        if s.get("cost_breakdown"):
            rows.append(s["cost_breakdown"])
            labels.append(f"{r.point} ({r.carbon_t / scale:,.1f} {mass.split('/')[0]})")
            cur = cur or _currency(s)
    if rows:
        page.add(
            "breakdown",
            "Cost breakdown along the frontier",
            _breakdown_chart(page, labels, rows, cur, f"Annual cost by term, million {_e(cur)}/yr"),
        )
    t = df.copy()
    t["point_html"] = [
        _point_link(folder, str(rd) if isinstance(rd, str) and rd else f"points/{p}", str(p))
        for p, rd in zip(t["point"], t.get("run_dir", [None] * len(t)), strict=True)
    ]
    for c in ("carbon_t", "carbon_cap_t", "emissions_location_t", "emissions_market_t"):
        t[c] = t[c] / scale
    cols = [
        _Col("point_html", "point", "html"),
        _Col("kind", "kind", "text"),
        _Col("status", "status", "text"),
        _Col("carbon_cap_t", f"cap, {mass}", "num", 3),
        _Col("carbon_t", f"{_acct(acct)} (capped), {mass}", "num", 3),
        _Col("cost", f"cost, m {cur}/yr", "num", 2),
        _Col("mac", f"abatement cost, {cur}/t CO₂", "num", 1),
        *(
            _Col(f"emissions_{k}_t", f"{k}-based, {mass}", "num", 3)
            for k in ("location", "market")
            if acct != f"{k}_based"  # the capped figure is already shown
        ),
        _Col("green_share_min", "lowest green share", "pct"),
        _Col("sites_used", "sites used", "int"),
        _Col("placement", "placement", "text"),
        _Col("message", "message", "text"),
    ]
    page.add("points", "Points", _table(t, cols, row_class=["" if s in _SOLVED else "bad" for s in t["status"]]))
    notes = meta.get("notes") or []
    if notes:
        page.add("notes", "Notes", "<ul>" + "".join(f"<li>{_e(n)}</li>" for n in notes) + "</ul>")
    return page


# --------------------------------------------------------------------------------------------------------------
# Entry points
# --------------------------------------------------------------------------------------------------------------


def build_report(path: str | Path, *, region_set: Any = None, lang: str = "en") -> str:
    """The report of a run, sweep or Pareto folder as one HTML page (see the module docstring).

    ``region_set`` is used for the maps of a run (default: the one its ``summary.json`` names); ``lang`` ("en" or
    "zh") is the language of the map labels. Raises ``FileNotFoundError`` when ``path`` is none of these folders.
    """
    if lang not in ("en", "zh"):
        raise ValueError(f"lang must be 'en' or 'zh', not {lang!r}")
    folder = Path(path)
    kind = detect_kind(folder)
    if kind == "pareto":
        page = _pareto_page(folder, lang)
    elif kind == "sweep":
        page = _sweep_page(folder, lang)
    else:
        page = _run_page(folder, region_set, lang)
    return page.render()


def _point_dirs(folder: Path, kind: str) -> list[Path]:
    sub = "points" if kind == "pareto" else "runs"
    return sorted(p for p in (folder / sub).glob("*") if (p / "summary.json").is_file())


def write_report(
    path: str | Path,
    out: str | Path | None = None,
    *,
    region_set: Any = None,
    lang: str = "en",
    points: bool = False,
) -> Path:
    """Write the report of a run, sweep or Pareto folder (default file: ``DIR/report.html``) atomically.

    With ``points=True`` a sweep's ``runs/<id>/`` and a Pareto folder's ``points/pNN/`` run folders get their own
    ``report.html`` first, and the table of points links to them.
    """
    folder = Path(path)
    kind = detect_kind(folder)
    if points and kind in ("sweep", "pareto"):
        rs = region_set
        for d in _point_dirs(folder, kind):
            if rs is None:
                rs = _load_region_set(_read_json(d / "summary.json").get("region_set"), [])
            write_report(d, region_set=rs, lang=lang)
    text = build_report(folder, region_set=region_set, lang=lang).encode("utf-8")
    target = Path(out) if out is not None else folder / REPORT_NAME
    return maps._atomic_write(target, lambda fh: fh.write(text))
