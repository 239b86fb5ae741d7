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

Everything is read from files, whose names and columns :mod:`rendering.runformat` owns (a sweep still running
is tabled from its point records by :func:`optimizer.studies.sweep.table`, the rows ``sweep.csv`` will hold):
money is in millions of the run's currency per year (``summary.json``: ``cost_unit``), emissions in tonnes of
CO₂ per year. The page needs no network: CSS
is inline, plotly.js is inlined once for all charts and the interactive map (with the same offline geo-assets
stub as :func:`rendering.maps.interactive_map`), the static map is a base64 ``data:`` image. All text from the
files is HTML-escaped; the file is written atomically.

Printed (from a browser, or by ``gridsite report DIR --pdf FILE`` through :mod:`~rendering.report.pdf`), the
page uses its print styles: A4 landscape, tables wrapped to the page width, no navigation or plotly toolbars,
charts and maps never split, the run name, date and page numbers in the page margins; a run's first printed page
is the one-page brief (:mod:`~rendering.report.brief`). ``lang="zh"`` writes every heading, header, unit, key
figure and note in Chinese (:mod:`~rendering.report.i18n`); :func:`report_warnings` says when no installed font
covers Chinese.

Modules: :mod:`~rendering.report.page` (formatting, tables, the page and its print styles),
:mod:`~rendering.report.run` (a run folder), :mod:`~rendering.report.brief` (its one-page brief),
:mod:`~rendering.report.studies` (sweeps and Pareto frontiers), :mod:`~rendering.report.i18n` (the report's
language) and :mod:`~rendering.report.pdf` (printing); this package holds the entry points.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from rendering.report.i18n import language
from rendering.report.page import REPORT_NAME
from rendering.report.run import _load_region_set, _run_page, gap_table
from rendering.report.studies import _pareto_page, _sweep_page
from rendering.runformat import SUMMARY, atomic_write, read_json

__all__ = ["REPORT_NAME", "build_report", "detect_kind", "gap_table", "report_warnings", "write_report"]


# --------------------------------------------------------------------------------------------------------------
# Entry points
# --------------------------------------------------------------------------------------------------------------


def report_warnings(lang: str) -> list[str]:
    """What the reader should know before a report in ``lang`` is written, as plain sentences (the command line
    prints each as one ``warning:`` line): for Chinese, that no installed font covers Chinese characters."""
    if lang != "zh":
        return []
    from rendering.maps import cjk_font

    if cjk_font() is not None:
        return []
    return [
        "--lang zh: no installed font covers Chinese characters, so the PDF and the static map cannot show them "
        "(the static map is drawn with English labels; the HTML report shows Chinese wherever the reader's browser "
        "has such a font); install one, e.g. Debian/Ubuntu: apt-get install fonts-noto-cjk"
    ]


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
    if (d / SUMMARY).is_file():
        return "run"
    if any((d / "points").glob("*.json")):
        return "sweep"
    raise FileNotFoundError(
        f"{d} is not a finished run, sweep or Pareto folder (expected summary.json, sweep.csv or pareto.csv)"
    )


def build_report(path: str | Path, *, region_set: Any = None, lang: str = "en") -> str:
    """The report of a run, sweep or Pareto folder as one HTML page (see the module docstring).

    ``region_set`` is used for the maps of a run (default: the one its ``summary.json`` names); ``lang`` ("en" or
    "zh") is the language of the whole page: headings, table headers, units, key figures, notes and map labels
    (:mod:`rendering.report.i18n`). Raises ``FileNotFoundError`` when ``path`` is none of these folders.
    """
    if lang not in ("en", "zh"):
        raise ValueError(f"lang must be 'en' or 'zh', not {lang!r}")
    folder = Path(path)
    kind = detect_kind(folder)
    with language(lang):
        if kind == "pareto":
            page = _pareto_page(folder, lang)
        elif kind == "sweep":
            page = _sweep_page(folder, lang)
        else:
            page = _run_page(folder, region_set, lang)
        return page.render()


def _point_dirs(folder: Path, kind: str) -> list[Path]:
    sub = "points" if kind == "pareto" else "runs"
    return sorted(p for p in (folder / sub).glob("*") if (p / SUMMARY).is_file())


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
    ``report.html`` first, and the table of points links to them (the point's name to its report, "map" to the
    report's maps section); ``gridsite report`` does so unless ``--no-points``.
    """
    folder = Path(path)
    kind = detect_kind(folder)
    if points and kind in ("sweep", "pareto"):
        rs = region_set
        for d in _point_dirs(folder, kind):
            if rs is None:
                rs = _load_region_set(read_json(d / SUMMARY).get("region_set"), [])
            write_report(d, region_set=rs, lang=lang)
    text = build_report(folder, region_set=region_set, lang=lang).encode("utf-8")
    target = Path(out) if out is not None else folder / REPORT_NAME
    return atomic_write(target, lambda fh: fh.write(text))
