"""``gridsite map`` and ``gridsite report``: draw a finished run again from its files."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from gridsite.cli import options
from gridsite.cli.console import err, out
from gridsite.cli.guard import guarded
from gridsite.errors import ScenarioError


def map_cmd(
    run_dir: Annotated[Path, typer.Argument(help="Output folder of a finished solve")],
    quantity: Annotated[
        str,
        typer.Option(
            "--quantity",
            help="added_load_mw | green_share | gap_mw | headroom_used | headroom_mw | price_per_mwh | ef_t_per_mwh",
        ),
    ] = "added_load_mw",
    fmt: Annotated[
        str | None, typer.Option("--format", help="png | svg | html (default: siting_map.png and .html)")
    ] = None,
    lang: Annotated[str, options.lang()] = "en",
) -> None:
    """Re-draw the maps of a finished run from its files."""
    from geodata import load_region_set
    from rendering import maps

    def _run():
        if fmt not in (None, "png", "svg", "html"):
            raise ScenarioError("command line", [("--format", f"'{fmt}' is not one of png, svg, html")])
        if quantity not in maps.QUANTITIES:
            raise ScenarioError(
                "command line", [("--quantity", f"'{quantity}' is not one of {', '.join(maps.QUANTITIES)}")]
            )
        options.check_lang(lang)
        from rendering.safety import check_run_folder

        check_run_folder(run_dir)
        if not (run_dir / "summary.json").exists():
            raise ScenarioError(str(run_dir), [("", "not a finished run folder (no summary.json)")])
        tables, summary = maps.read_run(run_dir)
        if not summary.get("region_set"):
            status = summary.get("status", "unknown")
            raise ScenarioError(str(run_dir / "summary.json"), [("region_set", f"missing (run status: {status})")])
        rs = load_region_set(summary["region_set"], check_polygons=False)
        if fmt is None:
            paths = list(maps.write_maps(run_dir, rs, quantity=quantity, lang=lang).values())
        elif fmt == "html":
            paths = [
                maps.interactive_map(rs, tables, summary, run_dir / "siting_map.html", quantity=quantity, lang=lang)
            ]
        else:
            paths = [
                maps.static_map(
                    rs, tables, summary, run_dir / f"siting_map.{fmt}", quantity=quantity, fmt=fmt, lang=lang
                )
            ]
        for p in paths:
            out.print(f"wrote {p}")
        return 0

    guarded(_run, lock=run_dir if run_dir.is_dir() else None)


def report(
    run_dir: Annotated[Path, typer.Argument(help="Folder of a finished solve, sweep or Pareto run")],
    out_file: Annotated[Path | None, options.out("HTML file (default: DIR/report.html)")] = None,
    pdf: Annotated[
        Path | None,
        typer.Option(
            "--pdf",
            help="Also print the report to this PDF file (A4 landscape, a one-page brief first) with headless "
            "Chromium; exit 2 when no Chromium is found",
        ),
    ] = None,
    points: Annotated[
        bool,
        typer.Option(
            "--points/--no-points",
            help="Sweep/Pareto: also write a report in every point's run folder (linked from the points table)",
        ),
    ] = True,
    lang: Annotated[str, options.lang("Language of the whole report and its maps: en | zh")] = "en",
    force: Annotated[
        bool, options.force("Replace the --out or --pdf file even if it is not a report gridsite wrote")
    ] = False,
) -> None:
    """Write a self-contained report.html: maps, costs, emissions, green shares, regional gaps (sweep/Pareto:
    frontier and parameter charts, points linked to their own reports); with --pdf also a printed PDF."""
    from rendering.report import report_warnings, write_report

    def _run():
        options.check_lang(lang)
        from rendering.safety import REPORT_SIGNATURE, check_out_file, check_run_folder

        check_run_folder(run_dir)
        target = out_file if out_file is not None else run_dir / "report.html"
        check_out_file(target, "report --out", force=force, signature=REPORT_SIGNATURE)
        if pdf is not None:
            from rendering.report.pdf import PDF_SIGNATURE, find_chromium

            check_out_file(pdf, "report --pdf", suffixes=(".pdf",), force=force, signature=PDF_SIGNATURE)
            if find_chromium() is None:
                from rendering.report.pdf import print_pdf

                print_pdf(target, pdf)  # raises the clear "no Chromium" error before anything is written
        for line in report_warnings(lang):
            err.print(f"warning: {line}")
        try:
            p = write_report(run_dir, out_file, lang=lang, points=points)
        except FileNotFoundError as exc:
            raise ScenarioError(str(run_dir), [("", str(exc))]) from None
        out.print(f"wrote {p}")
        if pdf is not None:
            from rendering.report.pdf import print_pdf

            out.print(f"wrote {print_pdf(p, pdf)}")
        return 0

    guarded(_run, lock=run_dir if run_dir.is_dir() else None)


def compare(
    run_a: Annotated[Path, typer.Argument(help="Folder of the reference solved run (A)")],
    run_b: Annotated[Path, typer.Argument(help="Folder of the solved run to set beside it (B)")],
    out_file: Annotated[
        Path | None, typer.Option("--out", help="HTML file (default: A-vs-B.html in the current folder)")
    ] = None,
    force: Annotated[
        bool, typer.Option("--force", help="Replace the --out file even if it is not a comparison gridsite wrote")
    ] = False,
) -> None:
    """Write a self-contained HTML page setting two runs side by side: placement moves, cost deltas by term,
    emissions, green shares per site, regions whose headroom or gap changed, both siting maps."""
    from rendering.compare import cli_compare

    guarded(lambda: cli_compare(run_a, run_b, out_file, force, say=out.print))
