"""The report's language: English texts as keys, their Chinese translations, and the language of the page being
built.

:func:`T` translates one English text (a ``str.format`` template when keyword arguments are given) into the
language of the report being built, which :func:`language` sets for the duration of a build. A text without a
Chinese entry stays English, so every heading, header, label and note of the report has an entry in :data:`ZH`
(``tests/test_report_print.py`` checks that no English table header is left in a Chinese report).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar

_LANG: ContextVar[str] = ContextVar("gridsite_report_lang", default="en")


@contextmanager
def language(lang: str) -> Iterator[None]:
    """Build the report in ``lang`` ("en" or "zh") inside the ``with`` block."""
    token = _LANG.set(lang)
    try:
        yield
    finally:
        _LANG.reset(token)


def current() -> str:
    """The language of the report being built."""
    return _LANG.get()


def T(text: str, **kw: object) -> str:
    """``text`` in the report's language, formatted with ``kw`` when any is given."""
    s = ZH.get(text, text) if _LANG.get() == "zh" else text
    return s.format(**kw) if kw else s


#: Chinese texts of the report, keyed by their English text.
ZH: dict[str, str] = {
    # page, sections
    "Overview": "概览",
    "One-page brief": "一页简报",
    "Siting maps": "选址地图",
    "Placement": "集群布局",
    "Sites and green shares": "站点与绿电占比",
    "Cost breakdown": "成本构成",
    "Emissions": "碳排放",
    "Regional power gaps": "区域电力缺口",
    "Green-power transfers and certificates": "绿电输送与绿证",
    "Notes": "说明",
    "Diagnosis and notes": "诊断与说明",
    "Diagnosis": "诊断",
    "Run": "运行",
    "Policy": "政策",
    "gridsite report": "gridsite 报告",
    "gridsite run report": "gridsite 运行报告",
    "region set {x}": "区域集 {x}",
    "year {x}": "年份 {x}",
    "folder {x}": "文件夹 {x}",
    "page": "第",
    "Report written by gridsite{v} on {stamp}. Money in millions of the currency per year, emissions in tonnes of "
    "CO₂ per year unless stated. Self-contained: it loads nothing from the network.": "本报告由 gridsite{v} 于 "
    "{stamp} 生成。除另有说明外，金额单位为百万货币单位/年，排放单位为吨 CO₂/年。本文件自包含，不从网络加载任何内容。",
    # KPI cards
    "objective ({mode})": "目标值（{mode}）",
    "mode:cost": "成本",
    "mode:carbon": "碳排放",
    "total cost, million {cur}/yr": "总成本，百万{cur}/年",
    "emissions {acct}, {unit}": "排放（{acct}），{unit}",
    "facility load, MW": "设施负荷，MW",
    "energy, TWh/yr": "用电量，TWh/年",
    "clusters placed": "已布局集群",
    "{a} of {b}": "{a} / {b}",
    "lowest site green share": "站点最低绿电占比",
    "location-based": "基于位置",
    "market-based": "基于市场",
    "Mt CO₂/yr": "百万吨 CO₂/年",
    "kt CO₂/yr": "千吨 CO₂/年",
    "t CO₂/yr": "吨 CO₂/年",
    # run details
    "Scenario": "情景",
    "Region set": "区域集",
    "Year": "年份",
    "Status": "状态",
    "Objective": "目标值",
    "Best bound (a limit on the optimum, not a plan)": "最优界（最优值的界限，不是方案）",
    "MIP gap": "MIP 间隙",
    "Money": "金额",
    "{unit} (all cost figures)": "{unit}（全部成本数字）",
    "million {cur} per year": "百万{cur}/年",
    "Time resolution": "时间分辨率",
    "{mode}, {n} slices": "{mode}，{n} 个时段",
    "Model size": "模型规模",
    "Timings": "耗时",
    "Plan": "方案",
    "a proposed plan evaluated (--fix), not optimised": "评估给定方案（--fix），未优化",
    "Scenario file": "情景文件",
    "Scenario hash": "情景哈希",
    "Created": "创建时间",
    "Solver": "求解器",
    "Versions": "版本",
    "(absolute; the objective is near zero)": "（绝对值；目标值接近零）",
    "TIME LIMIT: this plan is feasible but NOT proven optimal; do not use it as a result before re-running with a "
    "longer time limit.": "达到时间上限：该方案可行但未证明最优；请用更长的时间上限重新求解后再作为结果使用。",
    # policy
    "Green-power quota": "绿电配额",
    "{q} in {year} (path {path})": "{year} 年 {q}（路径 {path}）",
    "none": "无",
    "Quota applies to": "配额适用于",
    "hub sites": "枢纽站点",
    "all sites": "全部站点",
    "Matching period": "匹配周期",
    "Cross-region certificate trading": "跨区域绿证交易",
    "on": "开",
    "off": "关",
    "Certificate price": "绿证价格",
    "Max certificate share of a quota": "绿证占配额上限",
    "Carbon price": "碳价",
    "Carbon cap": "碳排放上限",
    "Carbon accounting": "碳核算方法",
    "location_based": "基于位置",
    "market_based": "基于市场",
    "annual": "年度",
    "monthly": "月度",
    "hourly": "逐时",
    "{x} t CO₂/yr": "{x} 吨 CO₂/年",
    "{x} {cur}/MWh": "{x} {cur}/MWh",
    "{x} {cur}/t CO₂": "{x} {cur}/吨 CO₂",
    # diagnosis and notes
    "kind": "类型",
    "subject": "对象",
    "what cannot be met": "无法满足的内容",
    "amount": "数量",
    "unit": "单位",
    "scenario field": "情景字段",
    "share": "占比",
    "Irreducible infeasible subset (HiGHS)": "不可约不可行子集（HiGHS）",
    "summary.json names no region set: the maps are not drawn": "summary.json 未指明区域集：不绘制地图",
    # maps
    "Static siting map (siting_map.png of the run; redraw with <code>gridsite map DIR</code>).": "静态选址示意图"
    "（运行文件夹中的 siting_map.png；可用 <code>gridsite map DIR</code> 重绘）。",
    "Static siting map, drawn from the run's tables.": "静态选址示意图，由运行结果表绘制。",
    "Interactive map": "交互式地图",
    "Click legend entries to show or hide layers, use the drop-down to colour the regions by another quantity, "
    "hover for numbers; scroll to zoom.": "点击图例显示或隐藏图层，用下拉菜单切换区域着色指标，"
    "鼠标悬停查看数值，滚轮缩放。",
    'Interactive map: <a href="siting_map.html">siting_map.html</a> (next to this report).': "交互式地图："
    '<a href="siting_map.html">siting_map.html</a>（与本报告同一文件夹）。',
    "no map: the region set is unknown and the run folder holds no siting_map.png": "无地图：区域集未知，且运行文件夹中"
    "没有 siting_map.png",
    # placement
    "cluster": "集群",
    "workload": "负载类型",
    "IT MW": "IT 功率 MW",
    "facility MW": "设施功率 MW",
    "peak facility MW": "设施峰值 MW",
    "GWh/yr": "GWh/年",
    "site": "站点",
    "region": "区域",
    "status": "状态",
    "total placed ({a} of {b})": "已布局合计（{a} / {b}）",
    "placed": "已布局",
    "unplaced": "未布局",
    "training": "训练",
    "inference": "推理",
    # sites
    "dedicated green power": "专用绿电",
    "grid power with certificates": "电网电力（配绿证）",
    "grid power without certificates": "电网电力（无绿证）",
    "quota": "配额",
    "Energy of each used site by source, with its green-power quota": "各站点用电来源及其绿电配额",
    "% of the site's annual energy": "占站点年用电量的 %",
    "clusters": "集群数",
    "grid GWh": "电网 GWh",
    "dedicated green GWh": "专用绿电 GWh",
    "certificates GWh": "绿证 GWh",
    "green share": "绿电占比",
    "hours fully green": "全绿电小时占比",
    "price {cur}/MWh": "电价 {cur}/MWh",
    "grid EF t/MWh": "电网排放因子 吨/MWh",
    "t CO₂ location": "吨 CO₂（基于位置）",
    "t CO₂ market": "吨 CO₂（基于市场）",
    "build, m {cur}/yr": "建设，百万{cur}/年",
    "energy, m {cur}/yr": "电费，百万{cur}/年",
    "hub": "枢纽",
    "candidate": "候选",
    "Green share = (dedicated green power + certificates) ÷ the site's energy; rows in red miss their quota.": "绿电"
    "占比 =（专用绿电 + 绿证）÷ 站点用电量；红色行未达到配额。",
    " {n} other candidate site(s) are unused.": " 另有 {n} 个候选站点未使用。",
    # costs
    "term": "成本项",
    "million {cur}/yr": "百万{cur}/年",
    "total": "合计",
    "Annual cost by term": "按成本项的年度成本",
    "zero terms: {x}": "为零的成本项：{x}",
    "the terms sum to {a}, not the total {b}": "各项之和为 {a}，不等于总计 {b}",
    "site build": "站点建设",
    "grid energy": "电网购电",
    "certificates": "绿证",
    "wheeling": "输电费",
    "storage": "储能",
    "green build": "绿电建设",
    "transmission": "输电",
    "carbon": "碳成本",
    "green delivery": "绿电输送费",
    "new wind": "新建风电",
    "new solar": "新建光伏",
    "new firm": "新增稳定电源",
    "grid imports": "电网受入",
    "flexibility": "负荷柔性",
    "unbuilt penalty": "未建罚金",
    "tie break": "就近交易微费（建模手段）",
    # emissions
    "location-based (grid MWh × regional emission factor)": "基于位置（电网 MWh × 区域排放因子）",
    "market-based (net of certificates)": "基于市场（扣除绿证）",
    "accounting": "核算方法",
    "t CO₂/yr ": "吨 CO₂/年",
    "t CO₂ per MWh of load": "吨 CO₂/MWh 负荷",
    "The carbon price, cap and carbon objective use the {acct} figure.": "碳价、碳上限和碳目标使用{acct}口径。",
    "Emissions by site, {unit}": "各站点排放，{unit}",
    "Emissions, {unit}": "排放，{unit}",
    # gaps
    "name": "名称",
    "added load MW (avg)": "新增负荷 MW（平均）",
    "added peak MW (design)": "新增峰值 MW（设计）",
    "firm headroom MW": "稳定裕度 MW",
    "headroom used": "裕度占用",
    "firm imports MW": "稳定受入 MW",
    "new firm MW": "新增稳定电源 MW",
    "shed GWh": "削减负荷 GWh",
    "added TWh/yr": "新增 TWh/年",
    "new wind MW": "新增风电 MW",
    "new solar MW": "新增光伏 MW",
    "local surplus MW": "本地富余 MW",
    "green imports MW": "绿电受入 MW",
    "green gap MW (avg)": "绿电缺口 MW（平均）",
    "certificates sold GWh": "售出绿证 GWh",
    "certificates bought GWh": "购入绿证 GWh",
    "gap MW": "缺口 MW",
    "GAP_NOTE": "稳定电力：新增峰值 = 集群设施设计功率；稳定裕度 = 稳定装机 + 稳定受入 − 本区域负荷 ×（1 + 备用率），取"
    "最紧张时刻；稳定受入、新增稳定电源和削减负荷（柔性集群）弥补裕度不足。缺口 = 最紧张时刻的短缺（强制充裕度时为 0；"
    "报告模式下给出）。绿电缺口：本地可再生富余和绿电受入均未覆盖的平均新增负荷（GWh ÷ 8.76）。详见 "
    "docs/formulation.md。有新增负荷的 {b} 个区域中 {a} 个存在缺口。",
    "GAP_NOTE_NONE": "本次运行的 regions.csv 没有缺口指标（gap_mw）；列出有新增负荷的区域。",
    # transfers
    "corridor": "通道",
    "spare capacity MW": "剩余容量 MW",
    "max flow MW": "最大潮流 MW",
    "mean flow MW": "平均潮流 MW",
    "GWh/yr sent": "送出 GWh/年",
    "GWh/yr delivered": "送达 GWh/年",
    "utilisation": "利用率",
    "wheeling, m {cur}/yr": "输电费，百万{cur}/年",
    "Dedicated green power over corridors ({n} with energy)": "经通道输送的专用绿电（{n} 条有电量）",
    "{n} more": "另外 {n} 条",
    "TRANSFER_NOTE": "合计送出 {total} GWh/年。灰色行（{n} 条）不足最大输送量的 {pct} %，地图上不画箭头。",
    "seller region": "售出区域",
    "buying site": "购买站点",
    "site region": "站点所在区域",
    "cost, m {cur}/yr": "费用，百万{cur}/年",
    "trade": "交易",
    "cross-region": "跨区域",
    "within region": "区域内",
    "Green certificates bought": "购买的绿证",
    # brief
    "Key figures": "关键指标",
    "Where the clusters go": "集群布局",
    "Regions with a power gap": "存在电力缺口的区域",
    "none of the {n} region(s) with added load": "有新增负荷的 {n} 个区域均无缺口",
    "+ {n} more site(s)": "另有 {n} 个站点",
    "workloads": "负载",
    "green share / quota": "绿电占比 / 配额",
    "Run report": "运行报告",
    "SCHEMATIC": "示意图",
    # sweeps and Pareto
    "gridsite sweep report": "gridsite 参数扫描报告",
    "gridsite Pareto report": "gridsite 帕累托报告",
    "sweep": "参数扫描",
    "cost–carbon frontier": "成本–碳排放前沿",
    "{n} point(s)": "{n} 个点",
    "Description": "描述",
    "Sweep file": "扫描文件",
    "Base scenario": "基准情景",
    "Mode": "模式",
    "Parameters": "参数",
    "Points": "点",
    "Executed": "执行方式",
    "Cost and emissions by parameter": "各参数下的成本与排放",
    "Cost breakdown by point": "各点成本构成",
    "Cost breakdown along the frontier": "前沿各点成本构成",
    "Cost–carbon frontier": "成本–碳排放前沿",
    "point": "点",
    "report": "报告",
    "map": "地图",
    "total cost, m {cur}/yr": "总成本，百万{cur}/年",
    "location-based, {mass}": "基于位置，{mass}",
    "market-based, {mass}": "基于市场，{mass}",
    "lowest green share": "最低绿电占比",
    "sites used": "使用站点数",
    "placement": "布局",
    "message": "信息",
    "cap, {mass}": "上限，{mass}",
    "{acct} (capped), {mass}": "{acct}（受限），{mass}",
    "cost, m {cur}/yr ": "成本，百万{cur}/年",
    "abatement cost, {cur}/t CO₂": "减排成本，{cur}/吨 CO₂",
    "Cost non-increasing along the frontier": "沿前沿成本不增",
    "Anchors solved": "端点已求解",
    "Cost unit": "成本单位",
    "Carbon unit": "碳排放单位",
    "Annual cost by term, million {cur}/yr": "按成本项的年度成本，百万{cur}/年",
    "By {p}": "按{p}",
    " (one line per {x})": "（每条线对应一组 {x}）",
    "all points": "全部点",
    "emissions location-based, {mass}": "排放（基于位置），{mass}",
    "emissions market-based, {mass}": "排放（基于市场），{mass}",
    "emissions, {mass} ({acct})": "排放，{mass}（{acct}）",
    "annual cost, million {cur}/yr": "年度成本，百万{cur}/年",
    "the sweep has no finished points yet": "该扫描尚无完成的点",
    "No point of the frontier was solved; see the table.": "前沿上没有已求解的点；见下表。",
    "PARETO_NOTE": "每个点在碳排放上限下最小化成本（ε 约束法）；p00 为最低碳端点，最后一个点为最低成本端点。"
    "表中的减排成本是该点相对于排放次高的相邻点多花的成本，按每吨避免的 CO₂ 计。",
    "UNPLOTTED_NOTE": "{n} 个无解的点（{x}）未绘出；见下表。",
    "POINT_LINK_NOTE": "点击点名打开其报告（含地图）；报告由 <code>gridsite report DIR</code> 为每个点生成。",
    "point's run folder": "该点的运行文件夹",
    "the frontier": "前沿",
    "ok": "正常",
    "optimal": "最优",
    "infeasible": "不可行",
    "time_limit": "达到时间上限",
    "feasible": "可行",
    "error": "错误",
    "skipped": "跳过",
    "anchor": "端点",
    "interior": "内点",
    "true": "是",
    "false": "否",
    # parameters of sweeps
    "Green-power quota (min share)": "绿电配额（最低占比）",
    "Carbon price ({cur}/t CO₂)": "碳价（{cur}/吨 CO₂）",
    "Carbon cap (t CO₂/yr)": "碳排放上限（吨 CO₂/年）",
    "Certificate price ({cur}/MWh)": "绿证价格（{cur}/MWh）",
    "Max certificate share of a quota ": "绿证占配额上限",
    "Matching period ": "匹配周期",
    "Quota applies to ": "配额适用于",
    "Carbon accounting ": "碳核算方法",
    "Year ": "年份",
    "Time slices": "时段划分",
    "Region set ": "区域集",
}
