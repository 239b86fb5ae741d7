"""The geodata adapter: RegionSet + Scenario → :class:`ModelData` (plain numbers).

This is the only place where region-set tables meet the optimiser (cf. spopt's ``from_geodataframe``): it
filters candidate sites, resolves GPU demand, applies latency budgets, converts units, derives certificate
supply and annuities, and aggregates identical clusters. The Pyomo model never sees a GeoDataFrame.
"""

from __future__ import annotations

import dataclasses
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from geodata.geo import great_circle_km
from geodata.regionset import RegionSet
from gridsite.errors import Diagnosis, InfeasibleError
from optimizer.model.demand import HOURS_PER_YEAR, default_utilisation, it_design_mw_from_gpus, lookup_gpu, peak_factor
from optimizer.model.modeldata import TIE_BREAK_CHARGE, AdequacyData, ClusterGroup, Corridor, ModelData
from optimizer.model.scenario import Cluster, Scenario, ScenarioError
from optimizer.model.timeslices import build_time_slices, local_inference_shape

LIGHT_KM_PER_MS = 200.0  # speed of light in fibre, km per ms


@dataclass(frozen=True)
class ClusterInfo:
    id: str
    group: str
    it_mw: float  # average IT load
    workload: str
    gpus: int | None
    gpu: str | None
    allowed: tuple[str, ...]
    it_design_mw: float = 0.0
    flex: float = 0.0


def crf(rate: float, years: float) -> float:
    """Capital recovery factor: annuity per unit of capital at ``rate`` over ``years``."""
    if rate <= 0:
        return 1.0 / years
    return rate / (1.0 - (1.0 + rate) ** (-years))


def annuity_per_kw(tech_costs: pd.DataFrame, tech: str, wacc: float) -> float:
    """Annualised capital + fixed O&M per kW (or per kWh for battery_energy), in the set's currency."""
    row = tech_costs.set_index("tech").loc[tech]
    return float(row["capex_per_kw"]) * crf(wacc, float(row["lifetime_yr"])) + float(
        row.get("fom_per_kw_yr", 0.0) or 0.0
    )


def expand_clusters(scenario: Scenario, file: str) -> list[tuple[str, int, Cluster]]:
    """(cluster id, index in the scenario list, cluster) with ``count`` copies expanded."""
    out: list[tuple[str, int, Cluster]] = []
    for i, c in enumerate(scenario.clusters):
        if c.count == 1:
            out.append((c.id, i, c))
        else:
            out.extend((f"{c.id}-{j + 1}", i, c) for j in range(c.count))
    return out


def candidate_sites(scenario: Scenario, rs: RegionSet, file: str) -> list[str]:
    all_ids = list(rs.sites["id"])
    inc = scenario.sites.include
    if inc == "hub_clusters":
        chosen = rs.hub_site_ids()
        if not chosen:
            raise ScenarioError(
                file, [("sites.include", f"region set '{rs.name}' has no hub clusters; use 'all' or a list")]
            )
    elif inc == "all":
        chosen = sorted(all_ids)
    else:
        unknown = [s for s in inc if s not in set(all_ids)]
        if unknown:
            raise ScenarioError(
                file,
                [("sites.include", f"unknown site id '{unknown[0]}' (allowed: {', '.join(sorted(all_ids)[:40])}…)")],
            )
        chosen = sorted(set(inc))
    for key, ids in (("sites.exclude", scenario.sites.exclude), ("sites.max_mw", list(scenario.sites.max_mw))):
        bad = [s for s in ids if s not in set(all_ids)]
        if bad:
            raise ScenarioError(file, [(key, f"unknown site id '{bad[0]}'")])
    chosen = [s for s in chosen if s not in set(scenario.sites.exclude)]
    if not chosen:
        raise ScenarioError(file, [("sites", "no candidate site is left after include/exclude")])
    return chosen


def estimate_model_size(
    scenario: Scenario,
    groups,
    sites: Mapping[str, str] | Sequence[str],
    regions,
    corridors,
    *,
    cert_sellers: Sequence[str] | None = None,
    covered: Iterable[str] | None = None,
    adequacy: AdequacyData | None = None,
) -> dict[str, int]:
    """Columns, integer columns, rows and nonzeros of the siting model from counts alone (no time slices needed):
    :func:`optimizer.model.size.estimate_size` with the scenario's counts and upper bounds for what the data
    decides later (every capacity factor non-zero, every site region and its exporters active for adequacy).

    T slices: annual 1, monthly 12, hourly 8760, representative days (days + 2 extreme days) × (segments or 24).
    ``sites`` maps each candidate site to its region (a plain list: regions unknown, so only regions with an
    outgoing corridor get green-balance rows); ``cert_sellers``: regions with certificates to sell (default:
    every region); ``covered``: sites under the green quota (default: every site when the quota is above 0);
    ``adequacy``: the adequacy data when already resolved (exact adequacy rows instead of the upper bound).
    """
    from optimizer.model.families.adequacy import breakpoints
    from optimizer.model.size import SizeInputs, adequacy_inputs, estimate_size

    t = scenario.time
    extra = 2 if t.extreme_days else 0
    T = {"annual": 1, "monthly": 12, "hourly": 8760}.get(t.mode) or (t.days + extra) * (t.segments or 24)
    site_region = dict(sites) if isinstance(sites, Mapping) else dict.fromkeys(sites, "")
    regions = tuple(regions)
    corridors = tuple(corridors)
    groups = tuple(groups)
    pol = scenario.policy
    matching = pol.green_share.matching
    P = {"annual": 1, "monthly": 12}.get(matching, T)
    st = scenario.grid.storage
    storage = (st.enabled == "on" or (st.enabled == "auto" and matching == "hourly")) and t.mode not in (
        "annual",
        "monthly",
    )
    if covered is None:
        covered = site_region if pol.green_share.value_for(scenario.year) > 0 else ()
    covered = frozenset(covered)
    sellers = tuple(regions if cert_sellers is None else cert_sellers)
    market = pol.carbon_accounting == "market_based"
    if adequacy is not None:
        ad_inputs = adequacy_inputs(adequacy, groups, site_region)
    else:  # upper bound: every site region with a cluster, and every region that could export to one
        used_sites = {s for g in groups for s in g.sites}
        site_regions = {site_region[s] for s in used_sites if s in site_region} - {""}
        open_into = [c for c in corridors if c.cap_gw > 0 and c.b in site_regions]
        enforce = scenario.grid.adequacy.mode == "enforce"
        active = tuple(sorted(site_regions | {c.a for c in open_into})) if enforce else ()
        flexible = frozenset(
            r for r in active if any(g.flex > 0 and site_region.get(s) == r for g in groups for s in g.sites)
        )
        n_seg = len(breakpoints(np.arange(HOURS_PER_YEAR, dtype=float)))
        ad_inputs = {
            "adequacy_regions": active,
            "import_corridors": tuple(c.id for c in open_into) if enforce else (),
            "segments": dict.fromkeys(flexible, n_seg),
            "flexible": flexible,
            "new_firm": scenario.grid.adequacy.new_firm,
        }
    size = estimate_size(
        SizeInputs(
            slices=T,
            periods=P,
            groups=groups,
            site_region=site_region,
            regions=regions,
            corridors=corridors,
            covered=covered,
            cert_buyers=frozenset(site_region) if market else covered,
            cert_sellers=sellers,
            certificates=matching != "hourly",
            cross_region=pol.certificates.cross_region,
            monthly=matching == "monthly",
            cert_steps=len(pol.certificates.price_steps or ()),
            cert_share_cap=pol.certificates.max_share < 1.0,
            obligation_sellers=sellers if pol.green_share.grid_mix_counts else (),
            market_based=market,
            carbon_cap=pol.carbon_cap_t is not None,
            storage=storage,
            **ad_inputs,
        )
    )
    return {**size.as_dict(), "sites": len(site_region), "corridors": len(corridors)}


def estimate_model_size_for(scenario: Scenario, md: ModelData) -> dict[str, int]:
    """:func:`estimate_model_size` of ``scenario`` in its own time mode, from model data resolved for it (possibly
    in another time mode, e.g. a quick annual resolution): the sites, regions, corridors, certificate sellers,
    quota and adequacy of ``md``, the slices and matching periods of ``scenario``."""
    return estimate_model_size(
        scenario,
        md.groups,
        md.site_region,
        md.regions,
        md.corridors,
        cert_sellers=[r for r in md.regions if md.cert_supply_gwh[r] > 0],
        covered=[s for s in md.sites if md.site_quota[s] > 0],
        adequacy=md.adequacy,
    )


def check_model_size(size: dict[str, int], file: str, max_columns: int, max_integer: int) -> None:
    """Raise :class:`ScenarioError` (exit 2) with the estimate and what to change when a model is too big."""
    if size["columns"] <= max_columns and size["integer_columns"] <= max_integer:
        return
    what = (
        f"the model would have ~{size['columns']:,} columns ({size['integer_columns']:,} integer: clusters × "
        f"allowed sites) and ~{size['rows']:,} rows over {size['slices']:,} time slices × {size['sites']} sites × "
        f"{size['corridors']} corridors, beyond what this machine solves (limits: {max_columns:,} columns, "
        f"{max_integer:,} integer columns)"
    )
    if size["integer_columns"] > max_integer:
        field_path = "clusters"
        advice = (
            "aggregate identical clusters with 'count' (identical copies share one integer column per site), "
            "restrict each cluster's 'sites' or sites.include"
        )
    else:
        field_path = "time.mode"
        advice = "use time.mode representative_days (e.g. days: 12, or segments: 6) or monthly, or fewer sites"
    raise ScenarioError(file, [(field_path, f"{what}; {advice}")])


def build_model_data(
    scenario: Scenario,
    rs: RegionSet,
    file: str = "<scenario>",
    fixed_plan: dict[str, str] | None = None,
    max_size: tuple[int, int] | None = None,
) -> tuple[ModelData, list[ClusterInfo]]:
    """Resolve a validated scenario against its region set.

    ``max_size`` = (columns, integer columns): refuse larger models (:class:`ScenarioError`, exit 2) before the
    time slices are built.

    Raises :class:`ScenarioError` for ids the region set does not know (exit 2) and :class:`InfeasibleError`
    for what can be seen to be impossible before a model is built (exit 3).

    Steps: currency; candidate sites; clusters grouped with their allowed sites (:func:`_cluster_groups`); the
    sites some cluster may use and what cannot fit them (:func:`_site_limits`); the sites under the quota
    (:func:`_covered_sites`); corridors (:func:`_corridors`); regional adequacy (:func:`build_adequacy`); the
    size check; time slices (:func:`_time_slices`); storage and notes; the proposed plan; the model data
    (:func:`_model_data`).
    """
    if scenario.currency and scenario.currency != rs.currency:
        raise ScenarioError(
            file, [("currency", f"is '{scenario.currency}' but region set '{rs.name}' is in {rs.currency}")]
        )
    regions = tuple(sorted(rs.regions["id"]))
    sites_df = rs.sites.set_index("id")
    candidates = candidate_sites(scenario, rs, file)
    groups, infos, diag = _cluster_groups(scenario, rs, sites_df, candidates, file)
    chosen, cap_mw, site_pue = _site_limits(scenario, sites_df, groups, candidates, diag)
    if diag:
        raise InfeasibleError("the scenario cannot be met before any model is built:", diag)
    covered = _covered_sites(scenario, sites_df, chosen, file)
    supply = _certificate_supply(scenario, rs, regions, file)
    corridors = _corridors(scenario, rs, regions, file)
    site_region = {s: str(sites_df.at[s, "region_id"]) for s in chosen}
    site_price = {s: float(sites_df.at[s, "price_per_mwh"]) / 1000.0 for s in chosen}
    adequacy = build_adequacy(
        scenario, rs, file, list(chosen), site_region, site_price, corridors, groups, site_pue,
        {s: cap_mw[s] / 1000.0 for s in chosen},
    )

    # refuse a model far beyond this machine from counts alone, before any time slice is built
    if max_size is not None:
        size = estimate_model_size(
            scenario,
            groups,
            site_region,
            regions,
            corridors,
            cert_sellers=[r for r in regions if supply[r] > 0],
            covered=covered,
            adequacy=adequacy,
        )
        check_model_size(size, file, *max_size)

    slices, local_shapes = _time_slices(scenario, rs, sites_df, chosen)
    storage, notes = _storage_and_notes(scenario)
    fixed: dict[tuple[str, str], int] | None = None
    if fixed_plan is not None:
        fixed = _fix_counts(fixed_plan, infos, groups, set(candidates))
    if adequacy.note:
        notes.append(adequacy.note)
    md = _model_data(
        scenario, rs, regions, chosen, site_region, site_price, cap_mw, site_pue, covered, groups, slices,
        local_shapes, supply, corridors, storage, notes, fixed, adequacy,
    )
    return md, infos


def _cluster_groups(
    scenario: Scenario, rs: RegionSet, sites_df: pd.DataFrame, chosen: list[str], file: str
) -> tuple[list[ClusterGroup], list[ClusterInfo], list[Diagnosis]]:
    """Every cluster with its allowed sites (candidate list, latency budget), identical clusters grouped into one
    integer decision; and the diagnoses of clusters no site can take."""
    centres = rs.demand_centres.set_index("id") if len(rs.demand_centres) else pd.DataFrame()
    expanded = expand_clusters(scenario, file)
    infos: list[ClusterInfo] = []
    diag: list[Diagnosis] = []
    keys: dict[tuple, list[str]] = defaultdict(list)
    key_meta: dict[tuple, tuple] = {}
    site_lat = {s: float(v) for s, v in sites_df["lat"].items()}
    site_lon = {s: float(v) for s, v in sites_df["lon"].items()}
    rtt_of_entry: dict[int, dict[str, float]] = {}
    for cid, i, c in expanded:
        loc = f"clusters.{i}"
        if c.mw is not None:
            design_mw = float(c.mw)
        else:
            assert c.gpu is not None and c.gpus is not None  # the schema requires both when mw is absent
            try:
                lookup_gpu(c.gpu)
            except KeyError:
                from optimizer.model.demand import gpu_names

                raise ScenarioError(
                    file, [(f"{loc}.gpu", f"unknown GPU '{c.gpu}' (allowed: {', '.join(gpu_names())})")]
                ) from None
            design_mw = it_design_mw_from_gpus(c.gpus, c.gpu)
        util = c.utilisation if c.utilisation is not None else default_utilisation(c.workload)
        it_mw = design_mw * util
        flex = float(c.flexibility.max_curtailment)
        allowed = list(chosen)
        if c.sites is not None:
            unknown = [s for s in c.sites if s not in sites_df.index]
            if unknown:
                raise ScenarioError(file, [(f"{loc}.sites", f"unknown site id '{unknown[0]}'")])
            allowed = [s for s in allowed if s in set(c.sites)]
            if not allowed:
                diag.append(Diagnosis("demand", cid, f"cluster {cid}: none of its allowed sites is a candidate site"))
        if c.latency_ms is not None:
            allowed = _within_latency(cid, i, c, allowed, centres, site_lat, site_lon, rtt_of_entry, diag, file)
        peak = peak_factor(c.workload)
        penalty = c.unbuilt_penalty
        if penalty is None:
            penalty = it_mw * 1.5 * HOURS_PER_YEAR / 1000.0  # 1000 per MWh of energy at PUE 1.5, in M/yr
        info_allowed = tuple(sorted(allowed))
        key = (
            round(it_mw, 9), round(design_mw, 9), c.workload, info_allowed, c.optional, round(float(penalty), 9), flex
        )
        keys[key].append(cid)
        key_meta[key] = (it_mw, design_mw, c.workload, peak, info_allowed, c.optional, float(penalty), flex)
        infos.append(ClusterInfo(cid, "", it_mw, c.workload, c.gpus, c.gpu, info_allowed, design_mw, flex))

    # group ids: first cluster id of the group, stable given the scenario
    group_of: dict[str, str] = {}
    groups: list[ClusterGroup] = []
    for key in sorted(keys, key=lambda k: sorted(keys[k])[0]):
        ids = tuple(sorted(keys[key]))
        it_mw, design_mw, workload, peak, allowed, optional, penalty, flex = key_meta[key]
        gid = ids[0] if len(ids) == 1 else f"{ids[0]}+{len(ids) - 1}"
        for cid in ids:
            group_of[cid] = gid
        groups.append(
            ClusterGroup(
                gid, ids, it_mw / 1000.0, workload, peak, len(ids), allowed, optional, penalty, design_mw / 1000.0, flex
            )
        )
    infos = [dataclasses.replace(i, group=group_of[i.id]) for i in infos]

    return groups, infos, diag


def _within_latency(
    cid: str,
    i: int,
    c,
    allowed: list[str],
    centres: pd.DataFrame,
    site_lat: dict[str, float],
    site_lon: dict[str, float],
    rtt_of_entry: dict[int, dict[str, float]],
    diag: list[Diagnosis],
    file: str,
) -> list[str]:
    """The allowed sites within the cluster's round-trip budget to its demand centres (great circle × route
    factor at the speed of light in fibre); appends a diagnosis naming the nearest site when none is."""
    loc = f"clusters.{i}"
    unknown = [t for t in c.latency_ms.to if t not in centres.index]
    if unknown:
        raise ScenarioError(
            file,
            [
                (
                    f"{loc}.latency_ms.to",
                    f"unknown demand centre '{unknown[0]}' (allowed: {', '.join(sorted(centres.index))})",
                )
            ],
        )
    # copies of one scenario entry share their round trips: computed once per entry (1,000-cluster runs)
    if i not in rtt_of_entry:
        c_lat = centres.loc[c.latency_ms.to, "lat"].to_numpy(float)
        c_lon = centres.loc[c.latency_ms.to, "lon"].to_numpy(float)
        rtt_of_entry[i] = {
            s: float(
                np.max(
                    2.0
                    * great_circle_km(site_lat[s], site_lon[s], c_lat, c_lon)
                    * c.latency_ms.route_factor
                    / LIGHT_KM_PER_MS
                )
            )
            for s in allowed
        }
    rtt = rtt_of_entry[i]
    ok = [s for s in allowed if rtt[s] <= c.latency_ms.max + 1e-9]
    if not ok and allowed:
        best = min(rtt, key=lambda s: rtt[s])
        diag.append(
            Diagnosis(
                "latency",
                cid,
                f"cluster {cid}: no candidate site meets its {c.latency_ms.max:g} ms budget to "
                f"{', '.join(c.latency_ms.to)}; the nearest, {best}, needs {rtt[best]:.1f} ms",
                rtt[best] - c.latency_ms.max,
                "ms",
            )
        )
    allowed = ok
    return allowed


def _site_limits(
    scenario: Scenario,
    sites_df: pd.DataFrame,
    groups: list[ClusterGroup],
    chosen: list[str],
    diag: list[Diagnosis],
) -> tuple[list[str], dict[str, float], dict[str, float]]:
    """The candidate sites some cluster may use (they get model columns), their capacity (MW) and PUE; appends to
    ``diag`` the clusters no allowed site can hold and a portfolio larger than every site together."""
    usable = {s for g in groups for s in g.sites}
    chosen = [s for s in chosen if s in usable] or chosen[:1]
    cap_mw = {s: float(scenario.sites.max_mw.get(s, sites_df.at[s, "max_mw"])) for s in chosen}
    site_pue = {s: float(sites_df.at[s, "pue"]) for s in chosen}
    for g in groups:
        if not g.sites:
            continue
        fits = [s for s in g.sites if g.design * 1000 * site_pue[s] <= cap_mw[s] + 1e-6]
        if not fits and not g.optional:
            biggest = max(g.sites, key=lambda s: cap_mw[s] / site_pue[s])
            need = g.design * 1000 * site_pue[biggest]
            diag.append(
                Diagnosis(
                    "site_capacity",
                    g.cluster_ids[0],
                    f"cluster {g.cluster_ids[0]} needs {need:.0f} MW of facility design power but the largest allowed "
                    f"site, {biggest}, "
                    f"holds {cap_mw[biggest]:.0f} MW",
                    need - cap_mw[biggest],
                    "MW",
                )
            )
    required = sum(g.design * 1000 * g.count for g in groups if not g.optional)
    total_cap = sum(cap_mw[s] / site_pue[s] for s in chosen)
    if required > total_cap + 1e-6:
        diag.append(
            Diagnosis(
                "demand",
                "all",
                f"required clusters need {required:.0f} MW of IT design power but all candidate sites together hold "
                f"{total_cap:.0f} MW IT",
                required - total_cap,
                "MW",
            )
        )
    return chosen, cap_mw, site_pue


def _covered_sites(scenario: Scenario, sites_df: pd.DataFrame, chosen: list[str], file: str) -> set[str]:
    """The sites the green quota applies to (``policy.green_share.applies_to``); none when the quota is 0."""
    applies = scenario.policy.green_share.applies_to
    if applies == "hubs":
        covered = {s for s in chosen if sites_df.at[s, "kind"] == "hub_cluster"}
    elif applies == "all":
        covered = set(chosen)
    elif applies == "none":
        covered = set()
    else:
        unknown = [s for s in applies if s not in sites_df.index]
        if unknown:
            raise ScenarioError(file, [("policy.green_share.applies_to", f"unknown site id '{unknown[0]}'")])
        covered = set(applies) & set(chosen)

    return covered if scenario.policy.green_share.value_for(scenario.year) > 0 else set()


def _certificate_supply(scenario: Scenario, rs: RegionSet, regions: tuple[str, ...], file: str) -> dict[str, float]:
    """Certificates each region can sell (GWh/yr): the supply share of its wind and solar generation above its
    non-hydro renewable obligation."""
    reg = rs.regions.set_index("id")
    cert = scenario.policy.certificates
    gen = reg["wind_gw"] * reg["wind_hours"] + reg["solar_gw"] * reg["solar_hours"]  # GWh
    obligation = reg["rps_nonhydro"] * reg["consumption_twh"] * 1000.0
    supply = ((gen - obligation).clip(lower=0.0) * cert.supply_share).to_dict()
    bad = [r for r in cert.export_cap_gwh if r not in set(regions)]
    if bad:
        raise ScenarioError(file, [("policy.certificates.export_cap_gwh", f"unknown region '{bad[0]}'")])
    return supply


def _corridors(scenario: Scenario, rs: RegionSet, regions: tuple[str, ...], file: str) -> tuple[Corridor, ...]:
    """Corridors of the region set with the scenario's spare share, new corridors and capacity overrides."""
    spare = scenario.grid.corridor_spare_share
    overrides = dict(scenario.grid.corridor_capacity_mw)
    corr: dict[tuple[str, str], dict] = {}
    for a, b, e in sorted(rs.corridors.edges(data=True)):
        corr[(a, b)] = {
            "rated": e["capacity_mw"] / 1000.0,
            "cap": e["capacity_mw"] * spare / 1000.0,
            "loss": e["loss_fraction"],
            "wheel": e["wheeling_per_mwh"] / 1000.0,
            "kind": e.get("kind", ""),
        }
    for i, nc in enumerate(scenario.grid.new_corridors):
        for fld, r in (("from_region", nc.from_region), ("to_region", nc.to_region)):
            if r not in set(regions):
                raise ScenarioError(file, [(f"grid.new_corridors.{i}.{fld}", f"unknown region '{r}'")])
        if nc.from_region == nc.to_region:
            raise ScenarioError(file, [(f"grid.new_corridors.{i}.to_region", "must differ from from_region")])
        pairs = [(nc.from_region, nc.to_region)] + ([(nc.to_region, nc.from_region)] if nc.both_directions else [])
        for a, b in pairs:
            prev = corr.get((a, b))
            add = nc.capacity_mw / 1000.0
            if prev:
                prev.update(rated=prev["rated"] + add, cap=prev["cap"] + add)
            else:
                corr[(a, b)] = {
                    "rated": add,
                    "cap": add,
                    "loss": nc.loss_fraction,
                    "wheel": nc.wheeling_per_mwh / 1000.0,
                    "kind": "new",
                }
    for cid, mw in overrides.items():
        a, _, b = cid.partition(">")
        if (a, b) not in corr:
            raise ScenarioError(file, [("grid.corridor_capacity_mw", f"unknown corridor '{cid}' (ids are 'from>to')")])
        corr[(a, b)]["cap"] = mw / 1000.0
    corridors = tuple(
        Corridor(f"{a}>{b}", a, b, v["cap"], v["rated"], v["loss"], v["wheel"], v["kind"])
        for (a, b), v in sorted(corr.items())
    )

    return corridors


def _time_slices(scenario: Scenario, rs: RegionSet, sites_df: pd.DataFrame, chosen: list[str]):
    """The scenario's time slices and, per site region, the inference shape in its own local time (None when the
    region set has no ``utc_offset_h`` column: the set's time zone)."""
    reg = rs.regions.set_index("id")
    prof = rs.profiles
    slices = build_time_slices(
        prof.wind,
        prof.solar,
        scenario.time.mode,
        scenario.time.days,
        scenario.time.extreme_days,
        scenario.time.segments,
    )
    local_shapes = None
    if "utc_offset_h" in reg.columns:
        site_regions = sorted({str(sites_df.at[s, "region_id"]) for s in chosen})
        local_shapes = {r: local_inference_shape(slices, float(reg.at[r, "utc_offset_h"])) for r in site_regions}
    return slices, local_shapes


def _storage_and_notes(scenario: Scenario) -> tuple[bool, list[str]]:
    """Whether batteries are modelled, and the notes on what the time mode cannot represent."""
    matching = scenario.policy.green_share.matching
    st_cfg = scenario.grid.storage
    storage = st_cfg.enabled == "on" or (st_cfg.enabled == "auto" and matching == "hourly")
    notes = []
    if storage and scenario.time.mode in ("annual", "monthly"):
        storage = False
        notes.append("batteries need chronological hours (representative_days or hourly); none were modelled")
    if matching == "hourly" and scenario.time.mode in ("annual", "monthly"):
        notes.append(f"hourly matching on {scenario.time.mode} slices only matches slice averages")
    return storage, notes


def _model_data(
    scenario: Scenario,
    rs: RegionSet,
    regions: tuple[str, ...],
    chosen: list[str],
    site_region: dict[str, str],
    site_price: dict[str, float],
    cap_mw: dict[str, float],
    site_pue: dict[str, float],
    covered: set[str],
    groups: list[ClusterGroup],
    slices,
    local_shapes,
    supply: dict[str, float],
    corridors: tuple[Corridor, ...],
    storage: bool,
    notes: list[str],
    fixed: dict[tuple[str, str], int] | None,
    adequacy: AdequacyData,
) -> ModelData:
    """The model data: site and region parameters, annuities of new wind, solar and batteries (the region set's
    WACC), certificate prices, policy switches and everything resolved above, in model units."""
    reg = rs.regions.set_index("id")
    sites_df = rs.sites.set_index("id")
    q = scenario.policy.green_share.value_for(scenario.year)
    wacc = float(rs.meta.get("wacc", 0.06))
    ann_w = annuity_per_kw(rs.tech_costs, "wind", wacc)
    ann_s = annuity_per_kw(rs.tech_costs, "solar", wacc)
    techs = set(rs.tech_costs["tech"]) if len(rs.tech_costs) else set()
    st_p = annuity_per_kw(rs.tech_costs, "battery_power", wacc) if "battery_power" in techs else 0.0
    st_e = annuity_per_kw(rs.tech_costs, "battery_energy", wacc) if "battery_energy" in techs else 0.0
    eff = 0.88
    if "battery_power" in techs:
        e = rs.tech_costs.set_index("tech").at["battery_power", "efficiency"]
        eff = float(e) if pd.notna(e) else eff
    scale = scenario.grid.potential_scale if scenario.grid.new_renewables else 0.0
    wind_pot = {r: float(reg.at[r, "wind_potential_gw"]) * scale for r in regions}
    solar_pot = {r: float(reg.at[r, "solar_potential_gw"]) * scale for r in regions}
    cert = scenario.policy.certificates
    cert_price = cert.price if cert.price is not None else float(rs.meta.get("certificate_price_default", 0.0))
    matching = scenario.policy.green_share.matching
    st_cfg = scenario.grid.storage
    md = ModelData(
        name=scenario.name,
        currency=rs.currency,
        regions=regions,
        sites=tuple(chosen),
        site_region=site_region,
        site_pue=site_pue,
        site_cap_gw={s: cap_mw[s] / 1000.0 for s in chosen},
        site_price=site_price,
        site_build={s: float(sites_df.at[s, "build_cost_per_mw_yr"]) * 1000.0 / 1e6 for s in chosen},
        site_quota={s: (q if s in covered else 0.0) for s in chosen},
        region_ef={r: float(reg.at[r, "ef_t_per_mwh"]) for r in regions},
        region_grid_green={r: float(reg.at[r, "rps_total"]) for r in regions},
        groups=tuple(groups),
        slices=slices,
        wind_pot_gw=wind_pot,
        solar_pot_gw=solar_pot,
        wind_annuity=ann_w,
        solar_annuity=ann_s,
        corridors=corridors,
        cert_supply_gwh={r: float(supply[r]) for r in regions},
        cert_price=cert_price / 1000.0,
        cert_steps=None
        if cert.price_steps is None
        else tuple((float("inf") if st.gwh is None else st.gwh, st.price / 1000.0) for st in cert.price_steps),
        cert_cross_region=cert.cross_region,
        cert_max_share=cert.max_share,
        cert_export_cap_gwh=dict(cert.export_cap_gwh),
        matching=matching,
        grid_mix_counts=scenario.policy.green_share.grid_mix_counts,
        carbon_price=scenario.policy.carbon_price / 1000.0,
        carbon_cap_kt=None if scenario.policy.carbon_cap_t is None else scenario.policy.carbon_cap_t / 1000.0,
        accounting=scenario.policy.carbon_accounting,
        objective=scenario.objective.mode,
        new_renewables=scenario.grid.new_renewables,
        green_charge=(
            scenario.grid.green_delivery_charge_per_mwh
            if scenario.grid.green_delivery_charge_per_mwh is not None
            else float(rs.meta.get("green_delivery_charge_per_mwh", 0.0))
        )
        / 1000.0,
        storage=storage,
        storage_power_annuity=st_p,
        storage_energy_annuity=st_e,
        storage_efficiency=eff,
        storage_max_gw=st_cfg.max_gw_per_region,
        storage_duration_max=st_cfg.duration_h_max,
        fixed=fixed,
        notes=tuple(notes),
        adequacy=adequacy,
        region_inference_shape=local_shapes,
        region_latlon={r: (float(reg.at[r, "lat"]), float(reg.at[r, "lon"])) for r in regions},
        region_rps_nonhydro={r: float(reg.at[r, "rps_nonhydro"]) for r in regions},
        cert_supply_share=float(cert.supply_share),
        tie_break_charge=TIE_BREAK_CHARGE if scenario.solver.tidy is True else 0.0,
    )
    return md


ADEQUACY_COLUMNS = ("firm_gw", "firm_import_gw", "peak_load_gw")


def build_adequacy(
    scenario: Scenario,
    rs: RegionSet,
    file: str,
    sites: list[str],
    site_region: dict[str, str],
    site_price: dict[str, float],
    corridors: tuple[Corridor, ...],
    groups: list[ClusterGroup] | tuple[ClusterGroup, ...] = (),
    site_pue: dict[str, float] | None = None,
    site_cap: dict[str, float] | None = None,
) -> AdequacyData:
    """Hourly firm headroom of the regions that matter to the candidate sites, sorted (see
    :mod:`optimizer.model.families.adequacy`)::

        headroom_r(h) = firm_gw + firm_import_gw − peak_load_gw · shape_r(h) · (1 + reserve margin)

    with shape_r the region's own hourly system load per unit of its peak (region set). A per-region override
    (``grid.adequacy.headroom_mw``) shifts the series so that its minimum is the given value. Values below 0 (a
    region already short in some hours) offer nothing there: the series is clipped at 0, and the clusters are not
    charged for an existing deficit.

    Only regions whose tightest-hour headroom the clusters allowed there could exceed (at most Σ of their facility
    design power, capped by the sites' capacity) get rows and firm-import corridors; the others cannot bind.
    """
    cfg = scenario.grid.adequacy
    if cfg.mode == "off":
        return AdequacyData("off", note="grid adequacy off (grid.adequacy.mode: off)")
    reg = rs.regions.set_index("id")
    missing = [c for c in ADEQUACY_COLUMNS if c not in reg.columns]
    shapes = None if missing else getattr(rs, "system_load", None)
    if missing or shapes is None:
        what = ", ".join(missing) if missing else "system load shapes"
        return AdequacyData(
            "off", note=f"grid adequacy not computed: region set '{rs.name}' has no {what} (regions.csv)"
        )
    bad = [r for r in cfg.headroom_mw if r not in reg.index]
    if bad:
        raise ScenarioError(
            file, [("grid.adequacy.headroom_mw", f"unknown region '{bad[0]}' (allowed: region ids of {rs.name})")]
        )
    rm = cfg.reserve_margin if cfg.reserve_margin is not None else float(rs.meta.get("reserve_margin_default", 0.15))
    site_pue = site_pue or {}
    site_cap = site_cap or {}

    def series(r: str) -> np.ndarray:
        load = shapes[r].to_numpy(float) * float(reg.at[r, "peak_load_gw"]) * (1.0 + rm)
        h = float(reg.at[r, "firm_gw"]) + float(reg.at[r, "firm_import_gw"]) - load
        if r in cfg.headroom_mw:
            h = h + (cfg.headroom_mw[r] / 1000.0 - float(h.min()))
        return h

    most: dict[str, float] = {}  # the largest facility design power the clusters could add in a region (GW)
    for s in sites:
        could = sum(g.design * g.count for g in groups if s in g.sites) * site_pue.get(s, 1.0)
        r = site_region[s]
        most[r] = most.get(r, 0.0) + min(could, site_cap.get(s, np.inf))
    site_regions = sorted({site_region[s] for s in sites})
    all_series = {r: series(r) for r in site_regions}
    tight = [r for r in site_regions if most.get(r, 0.0) > max(float(all_series[r].min()), 0.0) + 1e-9]
    # an exporter must have firm headroom of its own at its tightest hour: one that would have to build new firm
    # capacity to export gains nothing over building it at the receiving region (same cost, no losses)
    exporter_ok = {r for r in reg.index if float(series(r).min()) > 1e-3}
    import_corr = tuple(c.id for c in corridors if c.b in tight and c.cap_gw > 0 and c.a in exporter_ok)
    exporters = {c.a for c in corridors if c.id in set(import_corr)}
    active = sorted(set(tight) | exporters)
    headroom, raw_min, peak_hour = {}, {}, {}
    for r in site_regions:
        raw_min[r] = float(all_series[r].min())
        peak_hour[r] = int(np.argmin(all_series[r]))
    for r in active:
        h = all_series.get(r)
        if h is None:
            h = series(r)
        raw_min[r] = float(h.min())
        peak_hour[r] = int(np.argmin(h))
        headroom[r] = np.sort(np.clip(h, 0.0, None))
    techs = rs.tech_costs.set_index("tech") if len(rs.tech_costs) else pd.DataFrame()
    annuity, avail, tech = 0.0, 1.0, ""
    new_firm = cfg.new_firm
    note = ""
    if "firm_new" in techs.index:
        annuity = annuity_per_kw(rs.tech_costs, "firm_new", float(rs.meta.get("wacc", 0.06)))
        a = techs.at["firm_new", "availability"] if "availability" in techs.columns else np.nan
        avail = float(a) if pd.notna(a) and float(a) > 0 else 1.0
        tech = str(techs.at["firm_new", "source"])[:80] if "source" in techs.columns else "firm_new"
    elif new_firm:
        new_firm = False
        note = f"region set '{rs.name}' has no firm_new technology (tech_costs.csv): no new firm capacity"
    dest: dict[str, float] = {}
    for s in sites:
        r = site_region[s]
        dest[r] = min(dest.get(r, np.inf), site_price[s])
    return AdequacyData(
        mode=cfg.mode,
        headroom=headroom,
        headroom_raw_min=raw_min,
        peak_hour=peak_hour,
        import_corridors=import_corr,
        new_firm=new_firm,
        firm_annuity=annuity,
        firm_availability=avail,
        firm_tech=tech,
        region_price={r: float(reg.at[r, "price_per_mwh"]) / 1000.0 for r in active},
        dest_price=dest,
        flex_cost=cfg.flexibility_cost_per_mwh / 1000.0,
        import_annuity=float(
            cfg.firm_import_cost_per_kw_yr
            if cfg.firm_import_cost_per_kw_yr is not None
            else rs.meta.get("firm_import_cost_per_kw_yr", 0.0)
        ),
        reserve_margin=rm,
        note=note,
    )


def _fix_counts(plan: dict[str, str], infos: list[ClusterInfo], groups: list[ClusterGroup], chosen: set[str]):
    by_id = {i.id: i for i in infos}
    unknown = sorted(set(plan) - set(by_id))
    if unknown:
        raise ScenarioError(
            "--fix", [("cluster_id", f"unknown cluster '{unknown[0]}' (scenario clusters: {', '.join(sorted(by_id))})")]
        )
    counts: dict[tuple[str, str], int] = defaultdict(int)
    optional = {g.id: g.optional for g in groups}
    for cid, info in sorted(by_id.items()):
        site = plan.get(cid, "")
        if not site:
            if not optional[info.group]:
                raise ScenarioError(
                    "--fix", [("site_id", f"cluster '{cid}' is not optional and has no site in the plan")]
                )
            continue
        if site not in chosen:
            raise ScenarioError(
                "--fix", [("site_id", f"cluster '{cid}': '{site}' is not a candidate site of this scenario")]
            )
        if site not in info.allowed:
            raise ScenarioError(
                "--fix",
                [("site_id", f"cluster '{cid}' may not be placed at '{site}' (allowed: {', '.join(info.allowed)})")],
            )
        counts[(info.group, site)] += 1
    return dict(counts)
