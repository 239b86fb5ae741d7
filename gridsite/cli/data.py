"""``gridsite data list | show | import-profiles``: the region sets and their datasets."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from gridsite.cli import options
from gridsite.cli.console import out
from gridsite.cli.guard import guarded
from gridsite.errors import ScenarioError


def data_list() -> None:
    """Region sets and their datasets."""
    from geodata import list_region_sets, load_region_set
    from geodata.regionset import SEARCH_PATH_ENV, TABLES, is_bundled, region_set_folder

    def _run():
        names = list_region_sets()
        user = [n for n in names if not is_bundled(region_set_folder(n))]
        also = f" and those in ${SEARCH_PATH_ENV} ({', '.join(user)})" if user else ""
        t = Table(title=f"bundled region sets{also}")
        for c in ("set", "currency", "regions", "sites", "corridors", "datasets"):
            t.add_column(c)
        for name in names:
            rs = load_region_set(name, check_polygons=False)
            t.add_row(
                name,
                rs.currency,
                str(len(rs.regions)),
                str(len(rs.sites)),
                str(len(rs.corridor_table)),
                ", ".join([*TABLES, "profile_hours"]),
            )
        out.print(t)
        out.print("show one with: gridsite data show china/regions  (or us/corridors, china/profile_hours, …)")
        return 0

    guarded(_run)


def data_show(
    name: Annotated[str, typer.Argument(help="SET/DATASET, e.g. china/regions, us/corridors, china/profile_hours")],
    csv: Annotated[Path | None, typer.Option("--csv", help="Write the table to this CSV file")] = None,
    rows: Annotated[int, typer.Option("--rows", help="Rows to print")] = 60,
) -> None:
    """Print a dataset as a table (or export it with --csv)."""
    from geodata import load_region_set
    from geodata.regionset import TABLES

    def _check():
        if csv is not None:
            from rendering.safety import check_out_file

            check_out_file(csv, "--csv")

    def _run():
        set_name, _, table = name.partition("/")
        table = table or "regions"
        allowed = [*TABLES, "profile_hours"]
        if table not in allowed:
            raise ScenarioError(
                "command line", [("NAME", f"unknown dataset '{table}' (allowed: {', '.join(allowed)})")]
            )
        rs = load_region_set(set_name, check_polygons=False)
        df = rs.table(table)
        if csv:
            df.to_csv(csv, index=False)
            out.print(f"wrote {len(df)} rows to {csv}")
            return 0
        t = Table(title=f"{set_name}/{table} ({len(df)} rows)")
        cols = [c for c in df.columns if c != "source"][:14]
        for c in cols:
            t.add_column(str(c), overflow="fold")
        for r in df.head(rows).itertuples(index=False):
            d = r._asdict() if hasattr(r, "_asdict") else dict(zip(df.columns, r, strict=True))
            t.add_row(*[f"{d[c]:,.4g}" if isinstance(d[c], float) else str(d[c]) for c in cols])
        out.print(t)
        return 0

    guarded(_run, check=_check)


def data_import_profiles(
    out_file: Annotated[Path, options.out("Profile table to write (.csv or .parquet)")],
    region: Annotated[list[str], typer.Option("--region", help="ninja: REGION_ID=FILE (repeat the option)")] = [],  # noqa: B006
    files: Annotated[list[Path], typer.Option("--file", help="atlite/pypsa/reeds: the file to read")] = [],  # noqa: B006
    fmt: Annotated[str, typer.Option("--format", help="ninja | atlite | pypsa | reeds")] = "ninja",
    tech: Annotated[str, typer.Option("--tech", help="wind or solar (names the grid.profiles key to use)")] = "wind",
    set_name: Annotated[str, typer.Option("--set", help="Region set whose ids and time zone apply")] = "china",
    column: Annotated[str, typer.Option("--column", help="ninja: column holding the capacity factor")] = "electricity",
    mapping: Annotated[Path | None, typer.Option("--map", help="CSV name,region[,weight]")] = None,
    weather_year: Annotated[int | None, typer.Option("--weather-year", help="Year of a multi-year file")] = None,
    variable: Annotated[str | None, typer.Option("--variable", help="atlite/pypsa NetCDF: variable to read")] = None,
    carrier: Annotated[str | None, typer.Option("--carrier", help="pypsa: carrier (default onwind / solar)")] = None,
    reeds_class: Annotated[str | None, typer.Option("--class", help="reeds: one class (default mean)")] = None,
) -> None:
    """Turn downloaded hourly files (renewables.ninja, atlite, PyPSA, ReEDS) into a table for grid.profiles."""
    from geodata import load_region_set
    from geodata.importers import FORMATS, import_profiles

    pairs: dict[str, str] = {}

    def _check():
        from rendering.safety import check_out_file

        if fmt not in FORMATS:
            raise ScenarioError("command line", [("--format", f"'{fmt}' unknown (allowed: {', '.join(FORMATS)})")])
        if (fmt == "ninja") != bool(region) or (fmt != "ninja") != bool(files):
            raise ScenarioError("command line", [("--region/--file", "ninja takes --region ID=FILE, others --file")])
        if tech not in ("wind", "solar"):
            raise ScenarioError("command line", [("--tech", f"'{tech}' unknown (allowed: wind, solar)")])
        for item in region:
            rid, sep, f = item.partition("=")
            if not sep or not rid or not f:
                raise ScenarioError("command line", [("--region", f"'{item}' is not REGION_ID=FILE")])
            if rid in pairs:
                raise ScenarioError("command line", [("--region", f"region '{rid}' given twice")])
            pairs[rid] = f
        check_out_file(out_file, "--out", suffixes=(".csv", ".parquet"), inputs=[*pairs.values(), *files])

    def _run():
        rs = load_region_set(set_name, check_polygons=False)
        opts = dict(mapping=mapping, weather_year=weather_year, variable=variable, carrier=carrier)
        df = import_profiles(fmt, pairs if fmt == "ninja" else files, rs.regions, rs.timezone, rs.weather_year,
                             tech=tech, column=column, reeds_class=reeds_class, **opts)
        if out_file.suffix.lower() == ".parquet":
            df.to_parquet(out_file, index=False)
        else:
            df.to_csv(out_file, index=False)
        mean = ", ".join(f"{c} {df[c].mean():.3f}" for c in df.columns)
        out.print(f"wrote {len(df)} h × {len(df.columns)} regions to {out_file} (mean capacity factor: {mean})")
        out.print(f"use it in a scenario as  grid: {{profiles: {{{tech}: {out_file}}}}}")
        return 0

    guarded(_run, check=_check)
