"""The one estimate of the model's size: rows, columns, nonzeros and integer columns, family by family.

The size is counted as the solver sees it (what :mod:`optimizer.model.highs` hands to HiGHS): active rows with at
least one free column, the free columns those rows and the objective use, and the nonzeros of the constraint
matrix. Fixed columns (a corridor without spare capacity, a site without inference clusters, a proposed plan's
placements) are constants, not columns.

:class:`SizeInputs` holds what the size depends on. :func:`size_inputs` reads it from model data, exactly but for
a few rows and nonzeros (capacity factors or weights of exactly 0, certificate-obligation rows the data makes
trivial); the adapter fills it from the scenario's counts before any time slice is built
(:func:`optimizer.model.adapter.estimate_model_size`) to refuse a model far beyond this machine early, with
upper bounds where the data is not read yet (every capacity factor non-zero, every candidate region active for
adequacy). Per family, with T slices, P matching periods, S sites, R regions, E corridors with spare capacity,
pairs (k, s) allowed, A adequacy regions, EI import corridors::

    assignment       rows K                      columns pairs + optional        (integer)
    site_capacity    rows S_used
    load             rows S_tr + S_inf           columns S_tr + S_inf
    energy_balance   rows S·T                    columns S·T (green)
    renewables                                   columns 2R
    storage          rows 4R·T + R               columns 3R·T + 2R
    corridors        rows R_green·T              columns E·T (flow)
    adequacy         rows 2A + Σ_r segments_r + A_flex + EI·T + EI + A_recv
                     columns 2EI + A (+ A new firm, + A_flex shed)
    certificates     rows sellers (+ sellers·P monthly, + 1 price curve, + obligation rows)
                     columns |CERT| (+ steps)
    green_quota      rows covered·P (+ the same with a certificate cap)
    emissions        rows S market-based (+ 1 carbon cap)  columns S market-based
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

import numpy as np

from optimizer.model.modeldata import AdequacyData, ClusterGroup, Corridor, ModelData


@dataclass(frozen=True)
class SizeInputs:
    """Everything the model's size depends on (see the module docstring)."""

    slices: int  # T
    periods: int  # P: matching periods (T under hourly matching)
    groups: tuple[ClusterGroup, ...]
    site_region: Mapping[str, str]  # candidate sites with model columns
    regions: tuple[str, ...]
    corridors: tuple[Corridor, ...]
    covered: frozenset[str] = frozenset()  # sites under a green quota
    cert_buyers: frozenset[str] = frozenset()  # sites that may buy certificates
    cert_sellers: tuple[str, ...] = ()  # regions with certificates to sell
    certificates: bool = True  # False under hourly matching
    cross_region: bool = True
    monthly: bool = False
    cert_steps: int = 0  # steps of a certificate price curve
    cert_share_cap: bool = False
    obligation_sellers: tuple[str, ...] = ()  # sellers whose obligation rises with the clusters' grid energy
    obligation_switches: Mapping[str, int] | None = None  # per such seller: periods with a binary (None: every one)
    market_based: bool = False
    carbon_cap: bool = False
    storage: bool = False
    fixed: bool = False  # a proposed plan fixes every placement
    adequacy_regions: tuple[str, ...] = ()  # A (empty unless adequacy is enforced)
    import_corridors: tuple[str, ...] = ()  # EI
    segments: Mapping[str, int] = field(default_factory=dict)  # epigraph segments per adequacy region
    flexible: frozenset[str] = frozenset()  # adequacy regions with a flexible cluster
    new_firm: bool = True
    # exact counts from the data (None: upper bounds from the counts above)
    period_cells: int | None = None  # Σ_p |{t: W[t,p] > 0}|
    cf_nonzeros: Mapping[str, int] | None = None  # region → non-zero wind + solar capacity factors over T


@dataclass(frozen=True)
class ModelSize:
    rows: int
    columns: int
    nonzeros: int
    integer_columns: int
    slices: int

    def as_dict(self) -> dict[str, int]:
        return {
            "columns": self.columns,
            "integer_columns": self.integer_columns,
            "rows": self.rows,
            "nonzeros": self.nonzeros,
            "slices": self.slices,
        }


def estimate_size(x: SizeInputs) -> ModelSize:
    """Rows, columns, nonzeros and integer columns of the model (see the module docstring for the counts)."""
    T, P = x.slices, x.periods
    sites = list(x.site_region)
    S, R = len(sites), len(x.regions)
    open_corr = [c for c in x.corridors if c.cap_gw > 0]
    E = len(open_corr)
    pairs_at: dict[str, list[ClusterGroup]] = {s: [] for s in sites}
    for g in x.groups:
        for s in g.sites:
            if s in pairs_at:
                pairs_at[s].append(g)
    n_pairs = sum(len(v) for v in pairs_at.values())
    optional = sum(1 for g in x.groups if g.optional)
    tr = {s: any(g.workload == "training" for g in pairs_at[s]) for s in sites}
    inf = {s: any(g.workload == "inference" for g in pairs_at[s]) for s in sites}
    loads = {s: int(tr[s]) + int(inf[s]) for s in sites}
    region_sites: dict[str, list[str]] = {r: [] for r in x.regions}
    for s in sites:
        region_sites.setdefault(x.site_region[s], []).append(s)
    rows = cols = nnz = 0

    # assignment, site capacity, load
    placed_cols = 0 if x.fixed else n_pairs
    integer = placed_cols + optional
    cols += integer
    rows += len(x.groups) if not x.fixed else optional
    nnz += placed_cols + optional
    if not x.fixed:
        used = [s for s in sites if pairs_at[s]]
        rows += len(used)
        nnz += n_pairs
    rows += sum(loads.values())
    cols += sum(loads.values())
    nnz += sum(loads.values()) + (0 if x.fixed else n_pairs)

    # energy balance: site_balance[s,t] over green + the site's loads
    rows += S * T
    cols += S * T
    nnz += sum(T * (1 + loads[s]) for s in sites)

    # renewables (every region's columns are in the objective)
    cols += 2 * R

    # storage
    if x.storage:
        rows += 4 * R * T + R
        cols += 3 * R * T + 2 * R
        nnz += 3 * 2 * R * T + 4 * R * T + 2 * R

    # corridors: green_balance[r,t] in regions with a site or an outgoing corridor with spare capacity
    outs = {r: [c for c in open_corr if c.a == r] for r in x.regions}
    ins = {r: [c for c in open_corr if c.b == r] for r in x.regions}
    green_regions = [r for r in x.regions if region_sites.get(r) or outs[r]]
    cols += E * T
    rows += len(green_regions) * T
    for r in green_regions:
        cf = 2 * T if x.cf_nonzeros is None else x.cf_nonzeros.get(r, 0)
        nnz += cf + T * (len(region_sites.get(r, [])) + len(ins[r]) + len(outs[r]) + (2 if x.storage else 0))

    # adequacy
    A = list(x.adequacy_regions)
    if A:
        EI = [c for c in open_corr if c.id in set(x.import_corridors)]
        cols += 2 * len(EI) + len(A) + (len(A) if x.new_firm else 0) + len(x.flexible)
        n_pairs_r = {r: sum(len(pairs_at[s]) for s in region_sites.get(r, [])) for r in A}
        n_flex_r = {
            r: sum(1 for s in region_sites.get(r, []) for g in pairs_at[s] if g.flex > 0) for r in A
        }
        ei_out = {r: sum(1 for c in EI if c.a == r) for r in A}
        ei_in = {r: sum(1 for c in EI if c.b == r) for r in A}
        p_cols = 0 if x.fixed else 1
        for r in A:
            seg = x.segments.get(r, 1) if r in x.flexible else 1
            rows += 2 + seg
            nnz += 1 + p_cols * n_pairs_r[r] + ei_out[r] + ei_in[r] + int(x.new_firm)  # adequacy_load
            nnz += 1 + p_cols * n_pairs_r[r]  # adequacy_floor
            nnz += seg * (2 if r in x.flexible else 1)  # adequacy_shed
            if r in x.flexible:
                rows += 1
                nnz += 1 + p_cols * n_flex_r[r]
        rows += len(EI) * T + len(EI)
        nnz += 2 * len(EI) * T + 2 * len(EI)
        for r in A:
            if ei_in[r] and region_sites.get(r):
                rows += 1
                nnz += ei_in[r] + sum(loads[s] + T for s in region_sites[r])

    # certificates
    n_cert = 0
    certs_of_site = dict.fromkeys(sites, 0)
    if x.certificates:
        sellers_used = set()
        for s in sites:
            if s not in x.cert_buyers:
                continue
            reach = [r for r in x.cert_sellers if r == x.site_region[s] or x.cross_region]
            sellers_used.update(reach)
            certs_of_site[s] = len(reach) * P
        n_cert = sum(certs_of_site.values())
        cols += n_cert
        rows += len(sellers_used) + (len(sellers_used) * P if x.monthly else 0)
        nnz += n_cert * (2 if x.monthly else 1)
        if x.cert_steps:
            cols += x.cert_steps
            rows += 1
            nnz += n_cert + x.cert_steps
        buyers_of = {r: sum(1 for s in x.cert_buyers if s in pairs_at and (r == x.site_region[s] or x.cross_region))
                     for r in sellers_used}
        cells = T if x.period_cells is None else x.period_cells
        for r in x.obligation_sellers:
            if r not in sellers_used or not region_sites.get(r):
                continue
            # cert_obligation[r,p]: its certificates sold + the loads and green power of its sites (+ z)
            rows += P
            nnz += P * buyers_of[r] + sum(P * loads[s] + cells for s in region_sites[r])
            switches = P if x.obligation_switches is None else x.obligation_switches.get(r, 0)
            rows += switches  # cert_seller[r,p]
            cols += switches
            integer += switches
            nnz += switches * (1 + buyers_of[r] + 1)

    # green quota: green_quota[s,p] (and cert_share_cap[s,p] with a cap)
    cells = T if x.period_cells is None else x.period_cells
    if x.monthly and x.period_cells is None:
        cells = min(T * P, T * 12)
    for s in sites:
        if s not in x.covered:
            continue
        rows += P
        nnz += P * loads[s] + cells + certs_of_site[s]
        if x.cert_share_cap and certs_of_site[s]:
            rows += P
            nnz += P * loads[s] + certs_of_site[s]

    # emissions
    grid_energy_nnz = sum(loads[s] + T for s in sites)
    if x.market_based:
        rows += S
        cols += S
        nnz += S + grid_energy_nnz + n_cert
    if x.carbon_cap:
        rows += 1
        nnz += S if x.market_based else grid_energy_nnz
        nnz += len(x.import_corridors) if A else 0
    return ModelSize(rows=rows, columns=cols, nonzeros=nnz, integer_columns=integer, slices=T)


def adequacy_inputs(ad: AdequacyData, groups, site_region: Mapping[str, str]) -> dict:
    """The adequacy fields of :class:`SizeInputs` from the adequacy data (exact: its active regions, import
    corridors and the epigraph segments of regions with a flexible cluster)."""
    from optimizer.model.families.adequacy import breakpoints

    if ad.mode != "enforce":
        return {"adequacy_regions": (), "import_corridors": (), "segments": {}, "flexible": frozenset()}
    flexible = frozenset(
        r for r in ad.headroom if any(g.flex > 0 for g in groups for s in g.sites if site_region.get(s) == r)
    )
    return {
        "adequacy_regions": tuple(ad.headroom),
        "import_corridors": tuple(ad.import_corridors),
        "segments": {r: len(breakpoints(ad.headroom[r])) for r in flexible},
        "flexible": flexible,
        "new_firm": ad.new_firm,
    }


def size_inputs(md: ModelData) -> SizeInputs:
    """:class:`SizeInputs` of built model data (exact counts of slices, periods, certificates and adequacy)."""
    from optimizer.model.families.certificates import matching_periods

    sl = md.slices
    periods, W = matching_periods(md)
    hourly = md.matching == "hourly"
    rpos = {r: i for i, r in enumerate(sl.regions)}
    cf_nonzeros = {
        r: int(np.count_nonzero(sl.wind[rpos[r]]) + np.count_nonzero(sl.solar[rpos[r]]))
        for r in md.regions
        if r in rpos
    }
    region_sites = md.region_sites
    rho = md.region_rps_nonhydro or {}
    sellers = tuple(r for r in md.regions if md.cert_supply_gwh[r] > 0)
    obligation = tuple(
        r for r in sellers if md.grid_mix_counts and md.cert_supply_share * rho.get(r, 0.0) > 0 and region_sites[r]
    )
    hours = float(sl.weight.sum())
    H = W.sum(axis=0)
    switches = {  # the binary of cert_seller[r,p] exists where the obligation can exceed the surplus (big-M > 0)
        r: sum(
            1
            for p in periods
            if md.cert_supply_share * rho[r] * float(H[p]) * sum(md.site_cap_gw[s] for s in region_sites[r])
            - md.cert_supply_gwh[r] * float(H[p]) / hours
            > 1e-9
        )
        for r in obligation
    }
    return SizeInputs(
        slices=sl.n,
        periods=len(periods),
        groups=md.groups,
        site_region={s: md.site_region[s] for s in md.sites},
        regions=md.regions,
        corridors=md.corridors,
        covered=frozenset(s for s in md.sites if md.site_quota[s] > 0),
        cert_buyers=frozenset(s for s in md.sites if md.site_quota[s] > 0 or md.accounting == "market_based"),
        cert_sellers=sellers,
        certificates=not hourly,
        cross_region=md.cert_cross_region,
        monthly=md.matching == "monthly",
        cert_steps=len(md.cert_steps or ()),
        cert_share_cap=md.cert_max_share < 1.0,
        obligation_sellers=obligation,
        obligation_switches=switches,
        market_based=md.accounting == "market_based",
        carbon_cap=md.carbon_cap_kt is not None,
        storage=md.storage,
        fixed=md.fixed is not None,
        **adequacy_inputs(md.adequacy, md.groups, md.site_region),
        period_cells=int(np.count_nonzero(W[:, periods])) if len(periods) else 0,
        cf_nonzeros=cf_nonzeros,
    )
