"""The run's results as one Excel workbook (``results.xlsx``) for planners who work in spreadsheets.

One sheet per result table (``summary``, ``assignments``, ``sites``, ``regions``, ``flows``, ``certificates``),
the same rows and columns as the CSV files. Each header is the CSV column name followed by its unit in brackets
(``energy_gwh [GWh/yr]``; see :func:`column_unit`); the header row is frozen and filterable. The ``summary`` sheet
lists ``summary.json`` as key / value / unit rows (nested keys joined with dots, lists joined with commas).

Units follow the run folder's conventions: power in MW (average unless the name says design or peak), energy in
GWh per year, emissions in tCO2 per year, money in millions of the region set's currency per year (columns ending
``_m``), prices per MWh, shares as fractions (1 = 100 %).
"""

from __future__ import annotations

import io
import re
import zipfile
from collections.abc import Mapping
from datetime import datetime
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from rendering import runformat

FILE_NAME = runformat.WORKBOOK
TABLES = ("assignments", "sites", "regions", "flows", "certificates")
"""Result tables written as sheets (after ``summary``), in this order."""

SHARES = frozenset(
    {"green_share", "quota", "utilisation", "headroom_used", "max_curtailment", "hourly_matched_score",
     "certificate_max_share", "green_share_min", "mip_gap"}
)  # fmt: skip
"""Columns holding a share of a whole."""

_FIXED_TIME = datetime(2000, 1, 1)
"""Written as the workbook's creation and change time and every zip entry's time, so a run's file is
reproducible byte for byte."""


def as_in_csv(tables: Mapping[str, pd.DataFrame | None]) -> dict[str, pd.DataFrame]:
    """Copies of the result tables with floats rounded to the 6 significant digits the CSV files carry, so that
    every file of a run shows the same numbers."""
    out = {}
    for name, df in tables.items():
        if df is None:
            continue
        df = df.copy()
        for c in df.columns:
            if pd.api.types.is_float_dtype(df[c]):
                df[c] = df[c].map(lambda x: float(f"{x:.6g}") if pd.notna(x) else x)
        out[name] = df
    return out


def column_unit(name: str, currency: str = "") -> str:
    """The unit of a result column (or summary key) from its name; ``""`` for ids, text and flags.

    ``*_mw`` MW; ``*_gwh``/``gwh`` GWh/yr; ``*_twh`` TWh/yr; ``*_t`` tCO2/yr; ``*_m`` million CUR/yr;
    ``price_per_mwh`` CUR/MWh; ``ef_t_per_mwh`` tCO2/MWh; ``lat``/``lon`` degrees; shares of a whole
    (:data:`SHARES`) ``share (1 = 100 %)``; ``pue`` ratio; ``n_clusters`` count; ``*_s`` seconds.
    """
    cur = currency or "currency"
    n = name.rsplit(".", 1)[-1]
    if n == "price_per_mwh" or n == "certificate_price":
        return f"{cur}/MWh"
    if n == "ef_t_per_mwh":
        return "tCO2/MWh"
    if n in SHARES:
        return "share (1 = 100 %)"
    if n in ("lat", "lon"):
        return "degrees"
    if n == "pue":
        return "ratio"
    if n in ("n_clusters", "clusters", "placed"):
        return "count"
    if n.endswith("_mw"):
        return "MW"
    if n == "gwh" or n.endswith("_gwh"):
        return "GWh/yr"
    if n.endswith("_twh"):
        return "TWh/yr"
    if n.endswith("_t") or n in ("carbon_cap_t",):
        return "tCO2/yr"
    if n.endswith("_m"):
        return f"million {cur}/yr"
    if n.endswith("_s"):
        return "s"
    return ""


def header(name: str, currency: str = "") -> str:
    """A sheet's column header: the CSV column name and its unit, ``energy_gwh [GWh/yr]``."""
    unit = column_unit(name, currency)
    return f"{name} [{unit}]" if unit else name


def _summary_unit(key: str, summary: Mapping[str, Any]) -> str:
    cur = str(summary.get("currency") or "")
    top = key.split(".", 1)[0]
    if top in ("objective", "bound"):
        return str(summary.get("objective_unit") or "")
    if top in ("total_cost", "cost_breakdown"):
        return str(summary.get("cost_unit") or f"million {cur} per year")
    if top == "emissions_t":
        return "tCO2/yr"
    if top in ("green_share", "green_supply_over_energy"):
        return "share (1 = 100 %)"
    if top == "timings_s":
        return "s"
    if top == "gap_abs":
        return str(summary.get("objective_unit") or "")
    if top in ("placement", "model_size", "notes", "diagnosis") or key == "adequacy.unit":
        return ""
    if key == "policy.carbon_price":
        return f"{cur}/tCO2"
    return column_unit(key, cur)


def summary_rows(summary: Mapping[str, Any]) -> list[tuple[str, Any, str]]:
    """``summary.json`` as (dotted key, value, unit) rows: nested mappings flattened, lists joined by commas."""
    rows: list[tuple[str, Any, str]] = []

    def walk(prefix: str, value: Any) -> None:
        if isinstance(value, Mapping):
            if not value:
                rows.append((prefix, "", ""))
            for k, v in value.items():
                walk(f"{prefix}.{k}" if prefix else str(k), v)
            return
        if isinstance(value, list | tuple):
            flat = all(not isinstance(v, Mapping | list | tuple) for v in value)
            if flat:
                value = ", ".join("" if v is None else str(v) for v in value)
            else:
                for i, v in enumerate(value):
                    walk(f"{prefix}.{i}", v)
                return
        rows.append((prefix, value, _summary_unit(prefix, summary)))

    walk("", summary)
    return rows


def _cell(v: Any) -> Any:
    if v is None:
        return None
    if isinstance(v, float | np.floating):
        return None if not np.isfinite(v) else float(v)
    if isinstance(v, np.integer):
        return int(v)
    if isinstance(v, np.bool_):
        return bool(v)
    if v is pd.NA or v is pd.NaT:
        return None
    return v


def _width(values: list[Any], head: str) -> float:
    longest = max([len(head), *(len(f"{v:,.6g}" if isinstance(v, float) else str(v)) for v in values[:200])])
    return min(max(8, longest + 2), 60)


def _sheet(wb, title: str, head: list[str], rows: list[list[Any]]) -> None:
    from openpyxl.styles import Font
    from openpyxl.utils import get_column_letter

    ws = wb.create_sheet(title)
    ws.append(head)
    for row in rows:
        ws.append([_cell(v) for v in row])
    bold = Font(bold=True)
    for i, h in enumerate(head, start=1):
        ws.cell(row=1, column=i).font = bold
        ws.column_dimensions[get_column_letter(i)].width = _width([r[i - 1] for r in rows], h)
    ws.freeze_panes = "A2"
    if head:
        ws.auto_filter.ref = f"A1:{get_column_letter(len(head))}{max(1, len(rows) + 1)}"


def _reproducible_zip(data: bytes) -> bytes:
    """The same zip archive with every entry's time, and the workbook's change time (which openpyxl sets to the
    time of saving), set to :data:`_FIXED_TIME`."""
    stamp = _FIXED_TIME.strftime("%Y-%m-%dT%H:%M:%SZ").encode()
    src = zipfile.ZipFile(io.BytesIO(data))
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", compression=zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            fixed = zipfile.ZipInfo(info.filename, date_time=_FIXED_TIME.timetuple()[:6])
            fixed.compress_type = zipfile.ZIP_DEFLATED
            fixed.external_attr = info.external_attr
            body = src.read(info.filename)
            if info.filename == "docProps/core.xml":
                body = re.sub(rb"(<dcterms:modified[^>]*>)[^<]*(<)", rb"\g<1>" + stamp + rb"\g<2>", body)
            dst.writestr(fixed, body)
    return buf.getvalue()


def write_xlsx(
    tables: Mapping[str, pd.DataFrame], summary: Mapping[str, Any], path: str | Path, currency: str = ""
) -> Path:
    """Write ``results.xlsx``: a ``summary`` sheet then one sheet per table of :data:`TABLES`; returns the path."""
    from openpyxl import Workbook

    currency = currency or str(summary.get("currency") or "")
    wb = Workbook()
    wb.remove(wb.active)
    wb.properties.creator = "gridsite"
    wb.properties.created = wb.properties.modified = _FIXED_TIME
    _sheet(wb, "summary", ["key", "value", "unit"], [list(r) for r in summary_rows(summary)])
    for name in TABLES:
        df = tables.get(name)
        if df is None:
            df = pd.DataFrame()
        _sheet(
            wb,
            name,
            [header(str(c), currency) for c in df.columns],
            df.astype(object).to_numpy().tolist(),
        )
    buf = io.BytesIO()
    wb.save(buf)
    path = Path(path)
    path.write_bytes(_reproducible_zip(buf.getvalue()))
    return path


def write_run_xlsx(result, summary: Mapping[str, Any], folder: Path) -> Path:
    """``results.xlsx`` of a solved run into ``folder``."""
    return write_xlsx(as_in_csv(result.tables), summary, Path(folder) / FILE_NAME, currency=result.currency)
