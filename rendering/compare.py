"""Two solved runs side by side: ``gridsite compare RUN_A RUN_B [--out FILE]``.

:func:`compare_runs` reads both run folders (the CSV tables and ``summary.json``) and computes, with B − A as the
delta everywhere:

- **placement moves**: every cluster whose site differs (``site A → site B``; an unplaced cluster has no site);
- **costs by term**: each term of ``cost_breakdown`` in A and B and its delta; the deltas of the terms add up to
  the delta of ``total_cost`` (the terms add up to the total in each run);
- **emissions**: location- and market-based, tCO2 per year;
- **green shares per site**: the share of each site's energy that is green (1 = 100 %), with the delta in
  percentage points;
- **regions whose headroom or gap changed**: firm headroom at the tightest hour, headroom used, added peak,
  supply gap and green gap (MW) for every region where one of them moved by more than :data:`REGION_TOLERANCE`.

:func:`render_html` turns this into one self-contained page (inline CSS, the runs' ``siting_map.png`` embedded as
``data:`` images, no network) and :func:`write_compare` writes it atomically. Everything is read from files; all
text from them is HTML-escaped.
"""

from __future__ import annotations

import base64
import html
import math
import os
import tempfile
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pandas as pd

from gridsite.errors import ScenarioError

COMPARE_SIGNATURE = b"Comparison written by gridsite"
"""Bytes at the end of every comparison page: an existing ``--out`` file carrying them may be replaced."""

REGION_COLUMNS = ("headroom_mw", "headroom_used", "added_peak_mw", "gap_mw", "green_gap_mw")
"""Regional adequacy columns compared (``regions.csv``)."""
REGION_TOLERANCE = 1e-3
"""A regional figure counts as changed when A and B differ by more than this (MW; share for headroom_used)."""

TABLES = ("assignments", "sites", "regions")


@dataclass
class Run:
    """One side of a comparison: the folder, its ``summary.json`` and its result tables."""

    folder: Path
    summary: dict[str, Any]
    tables: dict[str, pd.DataFrame]

    @property
    def label(self) -> str:
        return f"{self.folder.name} ({self.summary.get('name', '?')})"


@dataclass
class Comparison:
    """The differences between run ``a`` and run ``b`` (deltas are B − A)."""

    a: Run
    b: Run
    moves: pd.DataFrame
    """cluster_id, site_a, site_b (``""`` when unplaced), region_a, region_b: clusters whose site differs."""
    unchanged: list[str]
    """Clusters at the same site in both runs."""
    costs: pd.DataFrame
    """term, a, b, delta (million currency per year), terms then a ``total_cost`` row."""
    emissions: pd.DataFrame
    """basis (location_based, market_based), a, b, delta (tCO2 per year)."""
    green: pd.DataFrame
    """site_id, a, b (share, NaN when the site draws no energy), delta_pp (percentage points)."""
    regions: pd.DataFrame
    """region_id and ``<column>_a``, ``<column>_b``, ``<column>_delta`` for :data:`REGION_COLUMNS`: changed regions."""
    notes: list[str] = field(default_factory=list)


# --- reading --------------------------------------------------------------------------------------------------


def check_run(folder: str | Path, flag: str) -> Path:
    """``folder`` must be the output folder of a solved run; raises :class:`ScenarioError` (exit 2) otherwise."""
    from rendering.safety import output_kind

    d = Path(folder)
    if not d.is_dir():
        raise ScenarioError(str(folder), [(flag, "folder not found (expected the output folder of a gridsite solve)")])
    kind = output_kind(d)
    if kind is None:
        raise ScenarioError(
            str(folder), [(flag, "is not a gridsite output folder (no summary.json, manifest.json or marker)")]
        )
    if kind != "run":
        what = "a failed run (no result to compare)" if kind == "failed" else f"a {kind} folder, not a single run"
        raise ScenarioError(
            str(folder), [(flag, f"holds {what}; compare takes the folders of two solved runs (gridsite solve)")]
        )
    missing = [n for n in ("summary.json", "assignments.csv") if not (d / n).is_file()]
    if missing:
        raise ScenarioError(str(folder), [(flag, f"is not a complete run: {', '.join(missing)} missing")])
    return d


def read_side(folder: str | Path, flag: str) -> Run:
    from rendering.maps import read_run

    d = check_run(folder, flag)
    try:
        tables, summary = read_run(d)
    except (OSError, ValueError) as exc:
        raise ScenarioError(str(folder), [(flag, f"cannot be read: {exc}")]) from None
    return Run(d, summary, tables)


# --- the differences ------------------------------------------------------------------------------------------


def _num(v: Any) -> float:
    try:
        x = float(v)
    except (TypeError, ValueError):
        return math.nan
    return x


def placement_moves(a: Run, b: Run) -> tuple[pd.DataFrame, list[str]]:
    def sites(run: Run) -> dict[str, tuple[str, str]]:
        t = run.tables["assignments"]
        placed = t["status"] == "placed"
        return {
            str(c): (str(s) if p else "", str(r) if p else "")
            for c, s, r, p in zip(t["cluster_id"], t["site_id"], t["region_id"], placed, strict=True)
        }

    sa, sb = sites(a), sites(b)
    rows, same = [], []
    for c in sorted(set(sa) | set(sb)):
        (site_a, reg_a), (site_b, reg_b) = sa.get(c, ("", "")), sb.get(c, ("", ""))
        if site_a == site_b and c in sa and c in sb:
            same.append(c)
        else:
            rows.append({"cluster_id": c, "site_a": site_a, "site_b": site_b, "region_a": reg_a, "region_b": reg_b,
                         "in_a": c in sa, "in_b": c in sb})  # fmt: skip
    cols = ["cluster_id", "site_a", "site_b", "region_a", "region_b", "in_a", "in_b"]
    return pd.DataFrame(rows, columns=cols), same


def cost_deltas(a: Run, b: Run) -> pd.DataFrame:
    ca, cb = a.summary.get("cost_breakdown") or {}, b.summary.get("cost_breakdown") or {}
    terms = list(ca) + [t for t in cb if t not in ca]
    rows = [{"term": t, "a": _num(ca.get(t, 0.0)), "b": _num(cb.get(t, 0.0))} for t in terms]
    rows.append({"term": "total_cost", "a": _num(a.summary.get("total_cost")), "b": _num(b.summary.get("total_cost"))})
    df = pd.DataFrame(rows, columns=["term", "a", "b"])
    df["delta"] = df["b"] - df["a"]
    return df


def emission_deltas(a: Run, b: Run) -> pd.DataFrame:
    ea, eb = a.summary.get("emissions_t") or {}, b.summary.get("emissions_t") or {}
    bases = list(ea) + [k for k in eb if k not in ea]
    df = pd.DataFrame(
        [{"basis": k, "a": _num(ea.get(k)), "b": _num(eb.get(k))} for k in bases], columns=["basis", "a", "b"]
    )
    df["delta"] = df["b"] - df["a"]
    return df


def green_deltas(a: Run, b: Run) -> pd.DataFrame:
    ga, gb = a.summary.get("green_share") or {}, b.summary.get("green_share") or {}
    ids = sorted(set(ga) | set(gb))
    df = pd.DataFrame(
        [{"site_id": s, "a": _num(ga.get(s)), "b": _num(gb.get(s))} for s in ids], columns=["site_id", "a", "b"]
    )
    df["delta_pp"] = (df["b"] - df["a"]) * 100.0
    return df


def region_changes(a: Run, b: Run, tolerance: float = REGION_TOLERANCE) -> pd.DataFrame:
    ra = a.tables["regions"].set_index("region_id")
    rb = b.tables["regions"].set_index("region_id")
    ids = sorted((set(ra.index) | set(rb.index)) - {""})
    rows = []
    for r in ids:
        row: dict[str, Any] = {"region_id": r}
        changed = False
        for c in REGION_COLUMNS:
            va = _num(ra.at[r, c]) if r in ra.index and c in ra.columns else math.nan
            vb = _num(rb.at[r, c]) if r in rb.index and c in rb.columns else math.nan
            row[f"{c}_a"], row[f"{c}_b"], row[f"{c}_delta"] = va, vb, vb - va
            if math.isnan(va) != math.isnan(vb) or (not math.isnan(va) and abs(vb - va) > tolerance):
                changed = True
        if changed:
            rows.append(row)
    cols = ["region_id", *(f"{c}_{k}" for c in REGION_COLUMNS for k in ("a", "b", "delta"))]
    return pd.DataFrame(rows, columns=cols)


def compare_runs(run_a: str | Path, run_b: str | Path) -> Comparison:
    """Read two run folders and compute their differences (B − A); raises :class:`ScenarioError` (exit 2) when
    either is not the folder of a solved run."""
    a, b = read_side(run_a, "RUN_A"), read_side(run_b, "RUN_B")
    moves, same = placement_moves(a, b)
    notes = []
    cur_a, cur_b = a.summary.get("currency"), b.summary.get("currency")
    if cur_a != cur_b:
        notes.append(f"The runs use different currencies ({cur_a} and {cur_b}): cost deltas mix units.")
    if a.summary.get("region_set") != b.summary.get("region_set"):
        notes.append(
            f"The runs use different region sets ({a.summary.get('region_set')} and {b.summary.get('region_set')})."
        )
    for run in (a, b):
        if run.summary.get("warning"):
            notes.append(f"{run.label}: {run.summary['warning']}")
    return Comparison(
        a=a,
        b=b,
        moves=moves,
        unchanged=same,
        costs=cost_deltas(a, b),
        emissions=emission_deltas(a, b),
        green=green_deltas(a, b),
        regions=region_changes(a, b),
        notes=notes,
    )


# --- the page -------------------------------------------------------------------------------------------------

CSS = """
body{font-family:system-ui,-apple-system,"Segoe UI",Roboto,"Noto Sans CJK SC",sans-serif;margin:0 auto;
max-width:1400px;padding:1rem 1.5rem;color:#222}
h1{font-size:1.5rem;margin:.2rem 0}h2{font-size:1.15rem;margin:1.6rem 0 .5rem;border-bottom:1px solid #ddd}
table{border-collapse:collapse;font-size:.9rem;margin:.3rem 0}
th,td{padding:.25rem .6rem;border-bottom:1px solid #eee;text-align:left}td.n,th.n{text-align:right;
font-variant-numeric:tabular-nums}tr.total td{font-weight:600;border-top:2px solid #999}
.up{color:#b2182b}.down{color:#2166ac}.note{color:#555;font-size:.9rem}
.maps{display:grid;grid-template-columns:1fr 1fr;gap:1rem}.maps figure{margin:0}
.maps img{width:100%;height:auto;border:1px solid #ddd}.maps figcaption{font-weight:600;margin:.3rem 0}
.warn{background:#fff4e5;border-left:4px solid #e08800;padding:.4rem .8rem}
footer{margin-top:2rem;color:#777;font-size:.8rem}
@media print{.maps{grid-template-columns:1fr 1fr}h2{break-after:avoid}table,figure{break-inside:avoid}}
"""


def _e(x: Any) -> str:
    return html.escape(str(x), quote=True)


def _fmt(v: float, digits: int = 2) -> str:
    if v is None or math.isnan(v):
        return "–"
    return f"{v + 0.0 if abs(v) >= 0.5 * 10**-digits else 0.0:,.{digits}f}"  # never "-0.00"


def _delta(v: float, digits: int = 2, good_when_down: bool = True) -> str:
    if v is None or math.isnan(v):
        return '<td class="n">–</td>'
    if abs(v) < 0.5 * 10**-digits:
        return f'<td class="n">{_fmt(0.0, digits)}</td>'
    cls = ("up" if v > 0 else "down") if good_when_down else ("down" if v > 0 else "up")
    return f'<td class="n {cls}">{"+" if v > 0 else ""}{_fmt(v, digits)}</td>'


def _table(head: list[str], rows: list[str], numeric_from: int = 1, table_id: str = "") -> str:
    ths = "".join(f'<th class="n">{_e(h)}</th>' if i >= numeric_from else f"<th>{_e(h)}</th>" for i, h in
                  enumerate(head))  # fmt: skip
    ident = f' id="{table_id}"' if table_id else ""
    return f"<table{ident}><thead><tr>{ths}</tr></thead><tbody>{''.join(rows)}</tbody></table>"


def _map(run: Run, side: str) -> str:
    png = run.folder / "siting_map.png"
    if not png.is_file():
        return (
            f'<figure id="map-{side}"><figcaption>{side.upper()}: {_e(run.label)}</figcaption><p class="note">No '
            "siting_map.png in this run folder (solved with --no-maps; <code>gridsite map</code> draws it).</p>"
            "</figure>"
        )
    data = base64.b64encode(png.read_bytes()).decode("ascii")
    return (
        f'<figure id="map-{side}"><figcaption>{side.upper()}: {_e(run.label)}</figcaption>'
        f'<img alt="siting map of {_e(run.label)}" src="data:image/png;base64,{data}"></figure>'
    )


def _head_rows(c: Comparison) -> str:
    def kv(run: Run) -> list[str]:
        s = run.summary
        obj = s.get("objective")
        return [
            _e(s.get("status", "?")),
            _e(f"{s.get('region_set', '?')} {s.get('year', '')}"),
            _e(f"{_fmt(_num(obj))} {s.get('objective_unit', '')} ({s.get('objective_mode', '')})"),
        ]

    ka, kb = kv(c.a), kv(c.b)
    names = ("status", "region set, year", "objective")
    rows = [f"<tr><th>{n}</th><td>{x}</td><td>{y}</td></tr>" for n, x, y in zip(names, ka, kb, strict=True)]
    return (
        f"<table><thead><tr><th></th><th>A: {_e(c.a.label)}</th><th>B: {_e(c.b.label)}</th></tr></thead>"
        f"<tbody>{''.join(rows)}</tbody></table>"
    )


def render_html(c: Comparison) -> str:
    """The comparison as one self-contained HTML page."""
    money = c.b.summary.get("cost_unit") or c.a.summary.get("cost_unit") or "million currency per year"
    parts = [
        f"<h1>Comparison: {_e(c.a.folder.name)} → {_e(c.b.folder.name)}</h1>",
        '<p class="note">A is the reference; every delta is B − A.</p>',
        _head_rows(c),
        *(f'<p class="warn">{_e(n)}</p>' for n in c.notes),
        "<h2>Placement moves</h2>",
    ]
    if len(c.moves):
        rows = [
            f"<tr><td>{_e(m.cluster_id)}</td><td>{_e((m.site_a or '(unplaced)') if m.in_a else '(not in A)')}</td>"
            f"<td>→</td><td>{_e((m.site_b or '(unplaced)') if m.in_b else '(not in B)')}</td>"
            f"<td>{_e(m.region_a)} → {_e(m.region_b)}</td></tr>"
            for m in c.moves.itertuples(index=False)
        ]
        head = ["cluster", "site in A", "", "site in B", "region"]
        parts.append(_table(head, rows, numeric_from=len(head), table_id="moves"))
    else:
        parts.append('<p id="moves">No cluster moved.</p>')
    if c.unchanged:
        parts.append(f'<p class="note">At the same site in both: {_e(", ".join(c.unchanged))}.</p>')

    parts.append(f"<h2>Costs by term, {_e(money)}</h2>")
    rows = []
    for r in c.costs.itertuples(index=False):
        total = r.term == "total_cost"
        cls = ' class="total"' if total else ""
        rows.append(
            f"<tr{cls}><td>{_e('total' if total else r.term)}</td><td class='n'>{_fmt(r.a)}</td>"
            f"<td class='n'>{_fmt(r.b)}</td>{_delta(r.delta)}</tr>"
        )
    parts.append(_table(["term", "A", "B", "B − A"], rows, table_id="costs"))

    parts.append("<h2>Emissions, tCO₂ per year</h2>")
    rows = [
        f"<tr><td>{_e(r.basis.replace('_', '-'))}</td><td class='n'>{_fmt(r.a, 0)}</td><td class='n'>{_fmt(r.b, 0)}"
        f"</td>{_delta(r.delta, 0)}</tr>"
        for r in c.emissions.itertuples(index=False)
    ]
    parts.append(_table(["basis", "A", "B", "B − A"], rows, table_id="emissions"))

    parts.append("<h2>Green share per site, %</h2>")
    rows = [
        f"<tr><td>{_e(r.site_id)}</td><td class='n'>{_fmt(r.a * 100, 1)}</td><td class='n'>{_fmt(r.b * 100, 1)}"
        f"</td>{_delta(r.delta_pp, 1, good_when_down=False)}</tr>"
        for r in c.green.itertuples(index=False)
    ]
    parts.append(_table(["site", "A", "B", "B − A (points)"], rows, table_id="green"))

    parts.append("<h2>Regions whose firm headroom or supply gap changed, MW</h2>")
    if len(c.regions):
        rows = []
        for r in c.regions.to_dict("records"):
            cells = "".join(
                f"<td class='n'>{_fmt(r[f'{col}_a'] * k, 1)}</td><td class='n'>{_fmt(r[f'{col}_b'] * k, 1)}</td>"
                for col, k in (("headroom_mw", 1), ("headroom_used", 100), ("gap_mw", 1), ("green_gap_mw", 1))
            )
            rows.append(f"<tr><td>{_e(r['region_id'])}</td>{cells}</tr>")
        head = ["region", "headroom A", "headroom B", "used % A", "used % B", "gap A", "gap B", "green gap A",
                "green gap B"]  # fmt: skip
        parts.append(_table(head, rows, table_id="regions"))
        parts.append(
            '<p class="note">Headroom: firm headroom at the tightest hour; used: added peak over that headroom; gap: '
            "supply shortfall at the tightest hour; green gap: average added load no local or imported green power "
            "covers.</p>"
        )
    else:
        parts.append('<p id="regions">No region changed.</p>')

    parts.append('<h2>Siting maps</h2><div class="maps">' + _map(c.a, "a") + _map(c.b, "b") + "</div>")
    stamp = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    parts.append(f"<footer>{COMPARE_SIGNATURE.decode()} on {_e(stamp)} from {_e(c.a.folder)} and "
                 f"{_e(c.b.folder)}.</footer>")  # fmt: skip
    title = f"gridsite comparison: {c.a.folder.name} vs {c.b.folder.name}"
    return (
        f'<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><title>{_e(title)}</title>'
        f'<meta name="viewport" content="width=device-width, initial-scale=1"><style>{CSS}</style></head><body>'
        + "\n".join(parts)
        + "</body></html>\n"
    )


def default_out(run_a: str | Path, run_b: str | Path) -> Path:
    """``A-vs-B.html`` in the current folder (A and B the run folders' names)."""
    return Path(f"{Path(run_a).resolve().name}-vs-{Path(run_b).resolve().name}.html")


def write_compare(run_a: str | Path, run_b: str | Path, out: str | Path) -> Path:
    """Compare two run folders and write the page to ``out`` atomically (temporary file, then rename)."""
    text = render_html(compare_runs(run_a, run_b))
    path = Path(out)
    fd, tmp = tempfile.mkstemp(dir=path.parent if str(path.parent) else ".", prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(text)
        os.chmod(tmp, 0o644)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return path


def cli_compare(run_a: Path, run_b: Path, out: Path | None, force: bool, say: Callable[[str], object] = print) -> int:
    """The ``gridsite compare`` command: check both folders and the output file, write, report where."""
    from rendering.safety import check_out_file

    check_run(run_a, "RUN_A")
    check_run(run_b, "RUN_B")
    target = out if out is not None else default_out(run_a, run_b)
    check_out_file(target, "compare --out", suffixes=(".html", ".htm"), force=force, signature=COMPARE_SIGNATURE)
    p = write_compare(run_a, run_b, target)
    say(f"wrote {p}")
    return 0
