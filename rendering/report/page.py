"""The report page: formatting helpers, HTML tables and cards, and the page that holds sections and plotly charts.

Every text taken from the files is HTML-escaped (:func:`_e`); numbers are formatted by :func:`_num` and
:func:`_pct` (``–`` when missing). :class:`_Page` collects the sections and renders one self-contained HTML page
with plotly.js inlined once for all its charts (and the offline geo-assets stub of the interactive map).
"""

from __future__ import annotations

import html
import json
import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import numpy as np
import pandas as pd

from rendering import maps
from rendering.report.i18n import T
from rendering.runformat import REPORT

#: File name of the report inside the folder it describes.
REPORT_NAME = REPORT

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
.print-only { display: none; }
section.brief { display: none; margin: 0; }
"""

#: Print and PDF: A4 landscape; tables wrap to the page width in a smaller font; navigation, plotly toolbars and
#: scrollbars are not printed; charts, maps, figures, cards and table rows are never split across pages; folded
#: tables are printed unfolded. The running header and footer (run name, date, page numbers) are the ``@page``
#: margin boxes :meth:`_Page.render` adds.
_PRINT_CSS = """
@page { size: A4 landscape; margin: 13mm 10mm 12mm 10mm; }
@media print {
  body { font-size: 10.5px; -webkit-print-color-adjust: exact; print-color-adjust: exact; }
  nav, .modebar, .modebar-container, .no-print, details > summary { display: none !important; }
  .print-only { display: block; }
  header.top { background: none; padding: 0 0 4px; border-bottom: 2px solid var(--accent); }
  header.top h1 { font-size: 18px; }
  main { padding: 0; max-width: none; }
  footer { padding: 6px 0; }
  section { margin-top: 12px; }
  h2 { font-size: 15px; break-after: avoid; } h3 { font-size: 12.5px; break-after: avoid; }
  .scroll, pre { overflow: visible !important; }
  table { width: 100%; max-width: 100%; font-size: 8.5px; table-layout: auto; }
  th, td { padding: 1.5px 3px; white-space: normal !important; overflow-wrap: anywhere; }
  td.n { overflow-wrap: normal; }
  td a { white-space: normal; }
  tr, .card, figure, .chart, .map { break-inside: avoid; page-break-inside: avoid; }
  .chart, .map { overflow: hidden; }
  .grid2 { grid-template-columns: minmax(0, 1fr) minmax(0, 1fr); }
  figure img { max-height: 165mm; width: auto; }
  .card { min-width: 120px; padding: 4px 8px; } .card .v { font-size: 15px; }
  section.brief { display: block; height: 183mm; overflow: hidden; break-after: page; page-break-after: always; }
}
.brief h1 { font-size: 19px; margin: 0 0 2px; }
.brief .sub { color: var(--muted); margin-bottom: 4px; }
.brief .cols { display: grid; grid-template-columns: minmax(0, 56fr) minmax(0, 44fr); gap: 0 14px; }
.brief img { width: 100%; max-height: 150mm; object-fit: contain; border: 1px solid var(--line); }
.brief h3 { margin: 6px 0 2px; font-size: 12px; }
.brief table { font-size: 9px; margin: 2px 0; }
.brief .cards { gap: 5px; margin: 4px 0; }
.brief .card { min-width: 0; flex: 1 1 110px; padding: 3px 6px; }
.brief .card .v { font-size: 14px; } .brief .card .k { font-size: 9.5px; }
.brief p { margin: 3px 0; font-size: 9.5px; }
"""

#: Opens folded tables before printing so that every row is printed.
_PRINT_JS = (
    "window.addEventListener('beforeprint', function () {"
    " document.querySelectorAll('details').forEach(function (d) { d.open = true; }); });"
)


def _css_string(text: str) -> str:
    """``text`` as a CSS string literal (every character but letters, digits and spaces escaped)."""
    return '"' + "".join(ch if ch.isalnum() or ch == " " else f"\\{ord(ch):06x}" for ch in text) + '"'


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
    if col.kind == "term":  # a word of the data (workload, status, kind) in the report's language
        return f"<td>{'' if _missing(value) else _e(T(_value(value)))}</td>"
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
    return f'<span class="badge {_STATUS_CLASS.get(status, "")}">{_e(T(status or "unknown"))}</span>'


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
        self.brief = ""  # the one-page brief printed as the first page (HTML), or none
        self.running_head = title  # the run name in the printed page header
        self.map_png = ""  # the static map (base64 PNG) once drawn, for the brief
        self.n_figures = 0
        self.geo = False

    def add(self, sid: str, heading: str, body: str) -> None:
        if body:
            self.sections.append((sid, heading, body))

    def figure(self, fig: Any, *, height: int = 420, div_id: str | None = None, css: str = "chart") -> str:
        """The div of a plotly figure (its script calls the page's single plotly.js)."""
        self.n_figures += 1
        div_id = div_id or f"chart-{self.n_figures}"
        config: dict[str, Any] = {"displaylogo": False, "responsive": True}
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
        now = datetime.now(UTC)
        stamp = now.strftime("%Y-%m-%d %H:%M UTC")
        page_box = (
            "@page { "
            f"@top-left {{ content: {_css_string(self.running_head)}; font: 9px system-ui, sans-serif; "
            "color: #5b6670; } "
            f"@top-right {{ content: {_css_string('gridsite · ' + now.strftime('%Y-%m-%d'))}; "
            "font: 9px system-ui, sans-serif; color: #5b6670; } "
            '@bottom-right { content: counter(page) " / " counter(pages); font: 9px system-ui, sans-serif; '
            "color: #5b6670; } }"
        )
        brief = f'<section id="brief" class="brief">{self.brief}</section>\n' if self.brief else ""
        footer = T(
            "Report written by gridsite{v} on {stamp}. Money in millions of the currency per year, emissions in "
            "tonnes of CO₂ per year unless stated. Self-contained: it loads nothing from the network.",
            v=_e(_version()),
            stamp=stamp,
        )
        return (
            "<!DOCTYPE html>\n"
            f'<html lang="{"zh-CN" if self.lang == "zh" else _e(self.lang)}">\n<head>\n<meta charset="utf-8">\n'
            '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
            f"<title>{_e(self.title)}</title>\n<style>{_CSS}{_PRINT_CSS}{page_box}</style>\n"
            f"<script>{_PRINT_JS}</script>\n{scripts}</head>\n<body>\n{brief}"
            f'<header class="top">{self.header}</header>\n<nav>{nav}</nav>\n<main>\n{body}\n</main>\n'
            f"<footer>{footer}</footer>\n<!-- Report written by gridsite -->\n</body>\n</html>\n"
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
