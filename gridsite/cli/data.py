"""``gridsite data list | show | import-profiles``: the region sets and their datasets."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from gridsite.cli import options
from gridsite.cli.console import min_width, out, print_table, table
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
        t = table(f"bundled region sets{also}", ["set", "currency", "regions", "sites", "corridors", "datasets"])
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
        print_table(t)
        out.print("show one with: gridsite data show china/regions  (or us/corridors, china/profile_hours, …)")
        return 0

    guarded(_run)


def data_show(
    name: Annotated[str, typer.Argument(help="SET/DATASET, e.g. china/regions, us/corridors, china/profile_hours")],
    csv: Annotated[Path | None, typer.Option("--csv", help="Write the table to this CSV file")] = None,
    rows: Annotated[int, typer.Option("--rows", min=1, help="Rows to print")] = 60,
) -> None:
    """Print a dataset as a table (or export it with --csv).

    On a terminal the first 14 columns are drawn as a table (ids never cut); piped or redirected, the rows are
    printed as CSV with every column."""
    from geodata import load_region_set
    from geodata.regionset import TABLES

    def _check():
        if csv is not None:
            from rendering.safety import check_out_file

            check_out_file(csv, "--csv")

    def _run():
        set_name, _, table_name = name.partition("/")
        table_name = table_name or "regions"
        allowed = [*TABLES, "profile_hours"]
        if table_name not in allowed:
            raise ScenarioError(
                "command line", [("NAME", f"unknown dataset '{table_name}' (allowed: {', '.join(allowed)})")]
            )
        rs = load_region_set(set_name, check_polygons=False)
        df = rs.table(table_name)
        if csv:
            df.to_csv(csv, index=False)
            out.print(f"wrote {len(df)} rows to {csv}")
            return 0
        if not out.is_terminal:  # piped or redirected: every column as CSV, nothing wrapped or cut
            typer.echo(df.head(rows).to_csv(index=False), nl=False)
            return 0
        cells = [
            {str(c): f"{v:,.4g}" if isinstance(v, float) else str(v) for c, v in zip(df.columns, r, strict=True)}
            for r in df.head(rows).itertuples(index=False)
        ]
        cols = [str(c) for c in df.columns if c != "source"]

        def draw(cols: list[str]) -> Table:
            left = len(df.columns) - len(cols)
            more = f"; {left} more columns: widen the terminal, --csv FILE or pipe the output" if left else ""
            t = table(f"{set_name}/{table_name} ({len(df)} rows{more})", cols)
            for d in cells:
                t.add_row(*[d[c] for c in cols])
            return t

        t = draw(cols)
        while len(cols) > 2 and min_width(t) > out.width:  # fewer columns rather than cut ids
            cols = cols[:-1]
            t = draw(cols)
        print_table(t)
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


def data_copy(
    region_set: Annotated[str, typer.Argument(help="Region set to copy: a name from 'gridsite data list' or a folder")],
    folder: Annotated[Path, typer.Argument(help="New folder to create (must not exist yet)")],
    name: Annotated[
        str | None, typer.Option("--name", help="name: of the copy in its regionset.yaml (default: the folder name)")
    ] = None,
) -> None:
    """Copy a region set into a new folder to edit: your own sites, prices or regions (see docs/howto-*.md).

    The copy gets its own ``name:`` (a copy keeping a bundled set's name would be shadowed by the bundled set). A
    scenario then uses it as ``region_set: FOLDER`` (relative to the scenario file) or by its name when FOLDER's
    parent is listed in $GRIDSITE_REGION_SETS."""
    import re
    import shutil

    from geodata import list_region_sets
    from geodata.regionset import is_bundled, region_set_folder

    def _run():
        src = region_set_folder(region_set)
        if not src.is_dir():
            known = ", ".join(list_region_sets())
            raise ScenarioError("command line", [("REGION_SET", f"'{region_set}' is not a region set ({known}) "
                                                  "or a folder")])
        if folder.exists() or folder.is_symlink():
            raise ScenarioError(str(folder), [("FOLDER", "already exists; name a new folder (nothing was changed)")])
        new_name = name if name is not None else folder.resolve().name
        if not re.fullmatch(r"[A-Za-z0-9_.\-]+", new_name):
            raise ScenarioError("command line", [("--name", f"'{new_name}' may hold only letters, digits, _ . -")])
        taken = [n for n in list_region_sets() if is_bundled(region_set_folder(n))]
        if new_name in taken:
            raise ScenarioError(
                "command line",
                [("--name", f"'{new_name}' is a bundled set's name, which would win over the copy (choose another)")],
            )
        shutil.copytree(src, folder, ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
        meta = folder / "regionset.yaml"
        text = meta.read_text(encoding="utf-8") if meta.exists() else ""
        line = f"name: {new_name}"
        text, n = re.subn(r"(?m)^name:.*$", line, text, count=1)
        meta.write_text(text if n else f"{line}\n{text}", encoding="utf-8")
        out.print(f"copied region set '{region_set}' ({src}) to {folder} as '{new_name}'")
        out.print(f"use it in a scenario as  region_set: {folder}  (a path relative to the scenario file)")
        return 0

    guarded(_run)
