"""The run-folder format: the file names a finished run writes, the columns of its result tables, and reading it.

One owner of the contract between the writer (:mod:`rendering.runfolder`, called by ``gridsite solve``) and the
readers (:mod:`rendering.maps`, :mod:`rendering.report`, ``gridsite map``). A run folder holds:

- one CSV per result table, ``<name>.csv`` for every name of :data:`TABLES` (``assignments``, ``sites``,
  ``regions``, ``flows``, ``certificates``), numbers written with :data:`FLOAT_FORMAT`;
- :data:`SUMMARY` (status, objective, costs, emissions, policy), :data:`MANIFEST` (what is needed to reproduce
  the run), :data:`GEOJSON` (regions and sites with their result columns), :data:`SOLVER_LOG`;
- the maps :data:`STATIC_MAP` and :data:`INTERACTIVE_MAP`, and after ``gridsite report`` :data:`REPORT`;
- a failed run only :data:`SUMMARY`, or :data:`FAILED_SUMMARY` beside an earlier complete result.

:data:`TABLES` lists, per table, the columns readers rely on and their kind; :func:`read_run` reads a folder back
and :func:`normalise_tables` gives tables from any source (files or a solve in memory) the same columns and types.
:func:`atomic_write` writes one file so that a reader never sees it half-written.
"""

from __future__ import annotations

import contextlib
import json
import os
import tempfile
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import IO, Any

import numpy as np
import pandas as pd

__all__ = [
    "FAILED_SUMMARY",
    "FLOAT_FORMAT",
    "GEOJSON",
    "GEOPACKAGE",
    "INTERACTIVE_MAP",
    "MANIFEST",
    "REPORT",
    "RUN_FILES",
    "SOLVER_LOG",
    "STATIC_MAP",
    "SUMMARY",
    "TABLES",
    "TABLE_NAMES",
    "WORKBOOK",
    "atomic_write",
    "normalise_tables",
    "read_json",
    "read_run",
    "table_file",
]

# --------------------------------------------------------------------------------------------------------------
# File names
# --------------------------------------------------------------------------------------------------------------

#: The run's summary (status, objective, costs, emissions, policy, placement).
SUMMARY = "summary.json"
#: The summary of a failed run written beside an earlier complete result (which is kept).
FAILED_SUMMARY = "failed-summary.json"
#: Scenario, versions, data hashes and solver options: what is needed to reproduce the run.
MANIFEST = "manifest.json"
#: Regions (polygons) and sites (points) with their result columns, one FeatureCollection.
GEOJSON = "results.geojson"
#: The same results as GIS layers (regions, sites, clusters, corridors, flows, certificate trades).
GEOPACKAGE = "results.gpkg"
#: Every table in one workbook, a sheet per table, units in the headers.
WORKBOOK = "results.xlsx"
#: HiGHS's log of the solve.
SOLVER_LOG = "solver.log"
#: The static siting map (``gridsite map --format svg`` writes ``siting_map.svg`` beside it).
STATIC_MAP = "siting_map.png"
#: The interactive siting map (one self-contained HTML page).
INTERACTIVE_MAP = "siting_map.html"
#: The report of the folder (``gridsite report``).
REPORT = "report.html"
#: How numbers are written into the result CSVs.
FLOAT_FORMAT = "%.6g"

# --------------------------------------------------------------------------------------------------------------
# Result tables
# --------------------------------------------------------------------------------------------------------------

#: Columns of the result tables that readers rely on, with their kind (``id``/``str``: text, ``num``: float,
#: ``bool``). Missing columns are added (text "", numbers NaN) by :func:`normalise_tables`; a table may have
#: more columns than listed here (they are kept).
TABLES: dict[str, dict[str, str]] = {
    "assignments": {
        "cluster_id": "id",
        "site_id": "id",
        "region_id": "id",
        "workload": "str",
        "it_mw": "num",
        "facility_mw": "num",
        "energy_gwh": "num",
        "status": "str",
    },
    "sites": {
        "site_id": "id",
        "region_id": "id",
        "kind": "str",
        "hub_id": "str",
        "name_en": "str",
        "lat": "num",
        "lon": "num",
        "pue": "num",
        "max_mw": "num",
        "n_clusters": "num",
        "it_mw": "num",
        "facility_mw": "num",
        "energy_gwh": "num",
        "grid_gwh": "num",
        "dedicated_green_gwh": "num",
        "certificates_gwh": "num",
        "green_share": "num",
        "quota": "num",
        "price_per_mwh": "num",
        "ef_t_per_mwh": "num",
        "emissions_location_t": "num",
        "emissions_market_t": "num",
    },
    "regions": {
        "region_id": "id",
        "name_en": "str",
        "name_zh": "str",
        "lat": "num",
        "lon": "num",
        "added_load_mw": "num",
        "added_energy_gwh": "num",
        "new_wind_mw": "num",
        "new_solar_mw": "num",
        "price_per_mwh": "num",
        "ef_t_per_mwh": "num",
        "cert_sold_gwh": "num",
        "cert_bought_gwh": "num",
        "exported_gwh": "num",
        "imported_gwh": "num",
        "gap_mw": "num",
        "green_share": "num",
        "headroom_mw": "num",
        "headroom_used": "num",
        "added_peak_mw": "num",
        "grid_import_mw": "num",
        "new_firm_mw": "num",
        "shed_gwh": "num",
        "green_gap_mw": "num",
    },
    "flows": {
        "corridor_id": "id",
        "from_region": "id",
        "to_region": "id",
        "kind": "str",
        "rated_mw": "num",
        "capacity_mw": "num",
        "max_flow_mw": "num",
        "mean_flow_mw": "num",
        "energy_gwh": "num",
        "utilisation": "num",
    },
    "certificates": {
        "from_region": "id",
        "site_id": "id",
        "to_region": "id",
        "gwh": "num",
        "cost_m": "num",
        "cross_region": "bool",
    },
}

#: The result tables in the order they are written.
TABLE_NAMES: tuple[str, ...] = tuple(TABLES)


def table_file(name: str) -> str:
    """The file name of result table ``name`` (``assignments`` → ``assignments.csv``)."""
    return f"{name}.csv"


#: Every file a run folder may hold at its top level.
RUN_FILES: frozenset[str] = frozenset(
    {
        *(table_file(n) for n in TABLE_NAMES),
        SUMMARY,
        FAILED_SUMMARY,
        GEOJSON,
        GEOPACKAGE,
        WORKBOOK,
        SOLVER_LOG,
        MANIFEST,
        STATIC_MAP,
        INTERACTIVE_MAP,
        Path(STATIC_MAP).with_suffix(".svg").name,
        REPORT,
    }
)

# --------------------------------------------------------------------------------------------------------------
# Reading
# --------------------------------------------------------------------------------------------------------------


def _as_bool(s: pd.Series) -> pd.Series:
    if s.dtype == bool:
        return s
    text = s.astype(str).str.strip().str.lower()
    return text.isin(("true", "1", "1.0", "yes", "y", "t"))


def normalise_tables(tables: Mapping[str, pd.DataFrame | None] | None) -> dict[str, pd.DataFrame]:
    """Copies of the result tables with every column of :data:`TABLES` present and typed.

    Missing tables become empty frames with the expected columns; text columns hold ``""`` for missing values,
    numeric columns floats (NaN when missing), ``cross_region`` booleans. An ``assignments`` row without a
    ``status`` is ``placed`` when it has a ``site_id`` and ``unbuilt`` otherwise. Extra columns are kept.
    """
    tables = tables or {}
    out: dict[str, pd.DataFrame] = {}
    for name, cols in TABLES.items():
        src = tables.get(name)
        df = pd.DataFrame() if src is None else pd.DataFrame(src).copy()
        df = df.reset_index(drop=True)
        for col, kind in cols.items():
            if col not in df.columns:
                df[col] = "" if kind in ("id", "str") else (False if kind == "bool" else np.nan)
            if kind in ("id", "str"):
                df[col] = df[col].astype(object).where(df[col].notna(), "").astype(str).str.strip()
                df.loc[df[col].str.lower().isin(("nan", "none")), col] = ""
            elif kind == "num":
                df[col] = pd.to_numeric(df[col], errors="coerce").astype(float)
            else:
                df[col] = _as_bool(df[col])
        out[name] = df
    a = out["assignments"]
    blank = a["status"] == ""
    a.loc[blank, "status"] = np.where(a.loc[blank, "site_id"] != "", "placed", "unbuilt")
    a["status"] = a["status"].str.lower()
    return out


def read_run(run_dir: str | Path) -> tuple[dict[str, pd.DataFrame], dict[str, Any]]:
    """Read the result tables and :data:`SUMMARY` of a finished run directory.

    Returns ``(tables, summary)``: ``tables`` maps ``assignments``, ``sites``, ``regions``, ``flows`` and
    ``certificates`` to DataFrames normalised by :func:`normalise_tables` (a missing or empty CSV gives an empty
    frame with the expected columns); ``summary`` is the parsed JSON (``{}`` when the file is missing).
    Raises ``FileNotFoundError`` when the directory does not exist or holds none of these files.
    """
    d = Path(run_dir)
    if not d.is_dir():
        raise FileNotFoundError(f"run directory not found: {d}")
    raw: dict[str, pd.DataFrame] = {}
    found: list[str] = []
    for name, cols in TABLES.items():
        f = d / table_file(name)
        if f.is_file():
            found.append(f.name)
            text_cols = {c: str for c, k in cols.items() if k in ("id", "str")}
            try:
                raw[name] = pd.read_csv(f, dtype=text_cols, keep_default_na=False, na_values=[""])
            except pd.errors.EmptyDataError:
                raw[name] = pd.DataFrame()
    summary: dict[str, Any] = {}
    sfile = d / SUMMARY
    if sfile.is_file():
        found.append(sfile.name)
        summary = json.loads(sfile.read_text(encoding="utf-8"))
    if not found:
        wanted = ", ".join([*(table_file(n) for n in TABLES), SUMMARY])
        raise FileNotFoundError(f"{d} holds no run results (expected some of {wanted})")
    return normalise_tables(raw), summary


def read_json(path: Path) -> dict[str, Any]:
    """A JSON object file of an output folder, ``{}`` when it is missing, unreadable or not an object."""
    if not path.is_file():
        return {}
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError):
        return {}
    return data if isinstance(data, dict) else {}


# --------------------------------------------------------------------------------------------------------------
# Writing one file atomically
# --------------------------------------------------------------------------------------------------------------


def atomic_write(path: Path, write: Callable[[IO[bytes]], object]) -> Path:
    """Write through a temporary file in the target directory, then rename it over ``path``.

    ``write`` receives the open binary file. A failure (or interruption) removes the temporary file and leaves
    ``path`` as it was; the file is readable by everyone (mode 0644) like the rest of an output folder.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as fh:
            write(fh)
        os.chmod(tmp, 0o644)
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise
    return path
