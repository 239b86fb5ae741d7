"""Terminal output of the ``gridsite`` command: the two consoles, the error line, and the result tables.

``out`` (stdout) carries results; ``err`` (stderr) carries progress, warnings and errors, so that ``--quiet`` runs
and redirected output stay clean.
"""

from __future__ import annotations

import os
import sys

import pandas as pd
import typer
from rich.console import Console
from rich.markup import escape
from rich.segment import Segments
from rich.table import Table

PIPE_WIDTH = 160
"""Width of stdout when it is not a terminal and ``$COLUMNS`` is unset (rich would use 80)."""
ID_COLUMNS = frozenset({"cluster", "site", "region", "set", "point", "id", "region_id", "site_id", "gpu"})
"""Column headers whose cells are ids: never wrapped or cut (see :func:`print_table`)."""


def _stdout_width() -> int | None:
    """None on a terminal (rich measures it) or when ``$COLUMNS`` is set; else :data:`PIPE_WIDTH`."""
    if sys.stdout.isatty() or os.environ.get("COLUMNS"):
        return None
    return PIPE_WIDTH


out = Console(width=_stdout_width())
err = Console(stderr=True)


def is_id(column: str) -> bool:
    """A column of ids (:data:`ID_COLUMNS`, or a name ending in ``_id``)."""
    return column in ID_COLUMNS or column.endswith("_id")


def min_width(t: Table, console: Console | None = None) -> int:
    """Width ``t`` needs with every id whole and no word of the other columns broken."""
    console = console or out
    return console.measure(t, options=console.options.update_width(100_000)).minimum


def table(title: str, columns: list[str], *, right: tuple[str, ...] = (), **kw) -> Table:
    """A result table whose id columns (:data:`ID_COLUMNS`) are never wrapped and whose other columns fold long
    values instead of cutting them with an ellipsis; ``right``: right-aligned (numeric) columns."""
    t = Table(title=title, title_justify="left", **kw)
    for c in columns:
        t.add_column(c, justify="right" if c in right else "left", no_wrap=is_id(c), overflow="fold")
    return t


def print_table(t: Table, console: Console | None = None) -> None:
    """Print ``t`` at least as wide as it needs to keep every id whole.

    A terminal narrower than the table's minimum (every no-wrap id column at its widest id, the other columns at
    their longest word) gets the table at that minimum width (the terminal wraps the lines; nothing is cut);
    otherwise rich lays it out in the console's width, folding only the non-id columns.
    """
    console = console or out
    need = min_width(t, console)
    if need <= console.width:
        console.print(t)
        return
    console.print(Segments(list(console.render(t, console.options.update_width(need)))), crop=False)


def fail(code: int, message: str) -> None:
    """Print ``error: message`` on stderr and end the command with exit ``code``."""
    # escape: messages carry component names such as green_quota[zhongwei,0] that rich would take for markup
    err.print(f"[bold red]error:[/] {escape(message)}", highlight=False, soft_wrap=True)
    raise typer.Exit(code)


#: Chinese for the words of the terminal tables (``gridsite solve --lang zh``); free-text notes from the model stay
#: in English.
ZH = {
    "placement": "布局",
    "cluster": "集群",
    "workload": "负载类型",
    "IT design MW": "IT设计功率 MW",
    "avg IT MW": "平均IT负荷 MW",
    "site": "站点",
    "region": "地区",
    "(unbuilt)": "(未建)",
    "training": "训练",
    "inference": "推理",
    "sites used": "使用的站点",
    "peak MW": "峰值 MW",
    "avg MW": "平均 MW",
    "GWh/yr": "GWh/年",
    "green share": "绿电占比",
    "quota": "配额",
    "grid GWh": "电网 GWh",
    "dedicated GWh": "专用绿电 GWh",
    "certificates GWh": "绿证 GWh",
    "term": "项目",
    "amount": "金额",
    "total": "合计",
    "headroom": "供电裕度",
    "added peak": "新增峰值",
    "used": "裕度占用",
    "imports": "调入",
    "exports": "调出",
    "new firm": "新增可靠容量",
    "shed GWh": "削减 GWh",
    "gap": "缺口",
    "green gap (avg)": "绿电缺口(平均)",
    "site_build": "站点建设",
    "grid_energy": "电网购电",
    "green_delivery": "绿电输送",
    "new_wind": "新建风电",
    "new_solar": "新建光伏",
    "storage": "储能",
    "new_firm": "新增可靠容量",
    "grid_imports": "跨区调入",
    "flexibility": "负荷灵活性",
    "wheeling": "过网费",
    "certificates": "绿证",
    "carbon": "碳价",
    "unbuilt_penalty": "未建罚金",
    "tie_break": "就近交易微费",
    "point": "点",
    "kind": "类型",
    "status": "状态",
    "min_cost": "最低成本",
    "min_carbon": "最低排放",
    "epsilon": "排放上限",
}


def tr(word: str, lang: str) -> str:
    """``word`` in ``lang`` (English is the key; an untranslated word is kept as it is)."""
    return ZH.get(word, word) if lang == "zh" else word


def print_gap_table(regions: pd.DataFrame, top: int = 12, lang: str = "en") -> None:
    """Regions with added GPU load: firm headroom used, imports, new firm capacity and any gap (MW)."""
    if "added_peak_mw" not in regions or "gap_mw" not in regions:
        return
    gap = regions.gap_mw.fillna(0.0)
    r = regions[(regions.added_peak_mw > 0) | (gap > 0)].assign(_gap=gap)
    if r.empty:
        return
    r = r.sort_values(["_gap", "added_peak_mw"], ascending=False).head(top)
    cols = [tr(c, lang) for c in ("region", "headroom", "added peak", "used", "imports", "exports", "new firm",
                                  "shed GWh", "gap", "green gap (avg)")]
    title = (
        "地区供电充裕度, MW (供电裕度 = 可靠容量 + 可靠调入 − 本地峰值负荷 × (1 + 备用率), 取该地区最紧张时段)"
        if lang == "zh"
        else "regional supply adequacy, MW (headroom = firm capacity + firm imports − own peak load × (1 + reserve "
        "margin), at the region's tightest hour)"
    )
    t = table(title, cols, right=tuple(cols[1:]))

    def f(x, fmt="{:,.0f}"):
        return "–" if x != x else fmt.format(x)

    for x in r.itertuples(index=False):
        t.add_row(
            x.region_id,
            f(x.headroom_mw),
            f(x.added_peak_mw),
            f(x.headroom_used, "{:.0%}"),
            f(x.grid_import_mw),
            f(x.grid_export_mw),
            f(x.new_firm_mw),
            f(x.shed_gwh, "{:,.1f}"),
            f"[bold red]{x.gap_mw:,.0f}[/]" if x.gap_mw > 0 else f(x.gap_mw),
            f(x.green_gap_mw),
        )
    print_table(t)


def print_result(res, lang: str = "en") -> None:
    """The placement, the sites used, the annual cost, regional adequacy and the solve status of a result
    (``lang="zh"``: the tables' titles, headers and words in Chinese)."""
    cur = res.currency
    cols = [tr(c, lang) for c in ("cluster", "workload", "IT design MW", "avg IT MW", "site", "region")]
    t = table(f"{res.scenario.name}: {tr('placement', lang)}", cols, right=(cols[2], cols[3]))
    for r in res.tables["assignments"].itertuples(index=False):
        t.add_row(
            r.cluster_id,
            tr(r.workload, lang),
            f"{r.it_design_mw:,.0f}",
            f"{r.it_mw:,.0f}",
            r.site_id or tr("(unbuilt)", lang),
            r.region_id,
        )
    print_table(t)
    s = res.tables["sites"]
    s = s[s.energy_gwh > 0]
    cols = [tr(c, lang) for c in ("site", "peak MW", "avg MW", "GWh/yr", "green share", "quota", "grid GWh",
                                  "dedicated GWh", "certificates GWh")]
    t2 = table(tr("sites used", lang), cols, right=tuple(cols[1:]))
    for r in s.itertuples(index=False):
        t2.add_row(
            r.site_id,
            f"{r.facility_design_mw:,.0f}",
            f"{r.facility_mw:,.0f}",
            f"{r.energy_gwh:,.0f}",
            f"{min(r.green_share, 1.0):.1%}" + ("*" if r.green_share > 1.0 + 1e-6 else ""),
            f"{r.quota:.0%}",
            f"{r.grid_gwh:,.0f}",
            f"{r.dedicated_green_gwh:,.0f}",
            f"{r.certificates_gwh:,.0f}",
        )
    print_table(t2)
    if (s.green_share > 1.0 + 1e-6).any():
        out.print("[dim]* green supply above the site's energy (over-procurement); the share is shown as 100 %[/]")
    title = f"年度成本, 百万 {cur}/年" if lang == "zh" else f"annual cost, million {cur}/yr"
    t3 = table(title, [tr("term", lang), tr("amount", lang)], right=(tr("amount", lang),))
    for k, v in res.cost_breakdown.items():
        if abs(v) >= 0.05:
            t3.add_row(tr(k, lang), f"{v:,.1f}")
    t3.add_row(f"[bold]{tr('total', lang)}[/]", f"[bold]{res.total_cost:,.1f}[/]")
    print_table(t3)
    print_gap_table(res.tables["regions"], lang=lang)
    e = res.emissions_t
    from rendering.runfolder import gap_text

    unit = f"million {cur} per year" if res.objective_mode == "cost" else "tCO2 per year"
    gap = gap_text(res.objective, res.bound, res.mip_gap, unit)
    if lang == "zh":
        out.print(
            f"求解状态 [bold]{res.status}[/], 间隙 {gap}; 排放 {e['location_based'] / 1e6:,.3f} MtCO2/年 (基于位置), "
            f"{e['market_based'] / 1e6:,.3f} (基于市场); 建模 {res.timings_s['build']:.1f} s, "
            f"求解 {res.timings_s['solve']:.1f} s, 合计 {res.timings_s['total']:.1f} s"
        )
    else:
        out.print(
            f"status [bold]{res.status}[/], gap {gap}; emissions {e['location_based'] / 1e6:,.3f} MtCO2/yr "
            f"location-based, {e['market_based'] / 1e6:,.3f} market-based; build {res.timings_s['build']:.1f} s, "
            f"solve {res.timings_s['solve']:.1f} s, total {res.timings_s['total']:.1f} s"
        )
    for n in res.notes:
        out.print(f"[yellow]{'说明' if lang == 'zh' else 'note'}:[/] {n}")
    if res.status == "time_limit":
        out.print("[bold yellow]status time_limit: not proven optimal (see the warning above)[/]")


def solve_monitor(quiet: bool, verbose: bool):
    """The progress display of a solve: none with --quiet; HiGHS's log with --verbose; else a live line on a
    terminal and a plain line every 10 s of a HiGHS run when stderr is not one (see optimizer.model.progress)."""
    if quiet:
        return None
    from optimizer.model.progress import SolveReporter

    return SolveReporter(err, mode="live" if err.is_terminal else "plain", verbose=verbose)


def warn_time_limited(res) -> None:
    """A time-limited plan gets its warning first, on stderr, even with --quiet."""
    from rendering.runfolder import time_limit_warning

    unit = f"million {res.currency} per year" if res.objective_mode == "cost" else "tCO2 per year"
    msg = time_limit_warning(res.status, res.objective, res.bound, res.mip_gap, unit)
    if msg:
        err.print(f"[bold yellow]warning:[/] {escape(msg)}", highlight=False, soft_wrap=True)


def print_frontier(res, name: str, points: int, out_dir, lang: str = "en") -> None:
    """The cost–carbon frontier of a Pareto run, its notes and where it was written (``lang="zh"``: Chinese)."""
    zh = lang == "zh"
    cost = f"成本 百万{res.currency}/年" if zh else f"cost M{res.currency}/yr"
    carbon = "排放 tCO2/年" if zh else "carbon tCO2/yr"
    acc = res.accounting.replace("_", "-")
    t = table(
        f"{name}: {'成本–排放前沿' if zh else 'cost–carbon frontier'} ({acc})",
        [tr(c, lang) for c in ("point", "kind")] + [carbon, cost] + [tr(c, lang) for c in ("status", "placement")],
        right=(carbon, cost),
    )
    for r in res.table.itertuples(index=False):
        t.add_row(
            r.point,
            tr(r.kind, lang),
            "" if pd.isna(r.carbon_t) else f"{r.carbon_t:,.0f}",
            "" if pd.isna(r.cost) else f"{r.cost:,.1f}",
            r.status,
            r.placement if isinstance(r.placement, str) else (r.message or ""),
        )
    print_table(t)
    for n in res.notes:
        out.print(f"[yellow]{'说明' if zh else 'note'}:[/] {n}")
    if zh:
        out.print(f"{points} 个点, 用时 {res.wall_s:.1f} s; 结果已写入 [bold]{out_dir}[/]")
    else:
        out.print(f"{points} points in {res.wall_s:.1f} s; results written to [bold]{out_dir}[/]")
