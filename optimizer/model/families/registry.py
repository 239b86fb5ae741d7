"""The registry of constraint families: one entry per family, in the order :func:`build_model` adds them.

Each :class:`~optimizer.model.families.spec.Family` names its builder, the families it needs, the scenario fields
that switch it on, its components and units, and the limits the infeasibility diagnosis may relax with their
messages. :func:`optimizer.model.build.build_model`, :mod:`optimizer.model.diagnose` and the documentation tests
read this table; adding a family means a module with its builder and docstring, one entry here, and its section
and components in docs/formulation.md.

The order is the order of the model's components (and so of the rows and columns handed to the solver): a family
comes after every family it requires, which :func:`check_order` verifies.
"""

from __future__ import annotations

from optimizer.model.families import (
    adequacy,
    assignment,
    certificates,
    corridors,
    emissions,
    energy_balance,
    green_quota,
    load,
    objective,
    renewables,
    site_capacity,
)
from optimizer.model.families.spec import ElasticRefs, Family, LimitKind, Relaxable

# --------------------------------------------------------------------------------------------------------------
# big-M bounds of the diagnosis slacks (model units), from the portfolio's reference magnitudes


def _quota_m(ref: ElasticRefs, idx) -> float:
    """A site's quota can never be short by more than q_s × the energy of every cluster allowed there."""
    s, p = idx
    return ref.quota[s] * ref.site_peak[s] * float(ref.period_hours[p]) * 1.01 + 1.0


def _cert_supply_m(ref: ElasticRefs, _idx) -> float:
    return ref.total_quota * 1.01 + 1.0


def _potential_m(tech: str):
    def big_m(ref: ElasticRefs, r) -> float | None:
        cf = ref.mean_cf[tech].get(r, 0.0)
        if cf <= 1e-6:
            return None  # no output there: relaxing it cannot help
        return ref.peak_gw / max(cf, 0.02) * 2.0

    return big_m


def _corridor_cap(md, e) -> float:
    return next(c.cap_gw for c in md.corridors if c.id == e)


def _peak_m(ref: ElasticRefs, _idx) -> float:
    return ref.peak_gw * 1.01 + 1e-3


QUOTA = LimitKind("quota", "policy.green_share.min", 1.0, "energy_gwh", green_quota.explain_quota)
CERTIFICATE_CAP = LimitKind(
    "certificate_cap", "policy.certificates.max_share", 1.0, "energy_gwh", green_quota.explain_certificate_cap
)
CARBON_CAP = LimitKind("carbon_cap", "policy.carbon_cap_t", 1.0, "carbon_kt", emissions.explain_carbon_cap)
SITE_CAPACITY = LimitKind("site_capacity", "sites.max_mw", 1.001, "peak_gw", site_capacity.explain_site_capacity)
CORRIDOR = LimitKind("corridor", "grid.corridor_capacity_mw", 1.002, "peak_gw", corridors.explain_corridor)
POTENTIAL = LimitKind("potential", "grid.potential_scale", 1.002, "peak_gw", renewables.explain_potential)
CERTIFICATE_SUPPLY = LimitKind(
    "certificate_supply", "policy.certificates.supply_share", 1.002, "energy_gwh",
    certificates.explain_certificate_supply,
)
ADEQUACY = LimitKind("adequacy", "grid.adequacy", 1.002, "peak_gw", adequacy.explain_adequacy)

_POTENTIAL_MEANING = "renewable potential (grid.potential_scale / grid.new_renewables)"

FAMILIES: tuple[Family, ...] = (
    Family(
        "assignment",
        assignment.add_assignment,
        units="clusters",
        switches=("clusters",),
        components={
            "K": "set", "K_optional": "set", "S": "set", "KS": "set", "build": "variable", "unbuilt": "variable",
            "assignment": "constraint",
        },
        placement=("build",),
    ),
    Family(
        "site_capacity",
        site_capacity.add_site_capacity,
        units="GW",
        requires=("assignment",),
        switches=("sites.max_mw",),
        components={"site_capacity": "constraint"},
        relaxable=(Relaxable("site_capacity", "site_capacity", "rows", lambda i: i, lambda ref, s: ref.site_peak[s]
                             * 1.01 + 1e-3),),
        limits=(SITE_CAPACITY,),
    ),
    Family(
        "load",
        load.add_load,
        units="GW",
        requires=("assignment",),
        components={
            "load_training": "variable", "load_inference": "variable", "load_training_def": "constraint",
            "load_inference_def": "constraint",
        },
    ),
    Family(
        "energy_balance",
        energy_balance.add_energy_balance,
        units="GW (GWh for grid_energy)",
        requires=("assignment", "load"),
        switches=("time.mode",),
        components={
            "T": "set", "w": "parameter", "green": "variable", "site_balance": "constraint", "grid": "expression",
            "grid_energy": "expression",
        },
    ),
    Family(
        "renewables",
        renewables.add_renewables,
        units="GW",
        switches=("grid.new_renewables", "grid.potential_scale"),
        components={"R": "set", "wind": "variable", "solar": "variable"},
        relaxable=(
            Relaxable("wind", "potential", "upper_bound", lambda r: f"wind:{r}", _potential_m("wind"),
                      lambda r: f"wind[{r}]"),
            Relaxable("solar", "potential", "upper_bound", lambda r: f"solar:{r}", _potential_m("solar"),
                      lambda r: f"solar[{r}]"),
        ),
        limits=(POTENTIAL,),
        bound_meaning={"wind": _POTENTIAL_MEANING, "solar": _POTENTIAL_MEANING},
    ),
    Family(
        "storage",
        renewables.add_storage,
        units="GW, GWh",
        requires=("renewables", "energy_balance"),
        switches=("grid.storage.enabled",),
        components={
            "battery_power": "variable", "battery_energy": "variable", "charge": "variable", "discharge": "variable",
            "soc": "variable", "storage_charge_limit": "constraint", "storage_discharge_limit": "constraint",
            "storage_energy_limit": "constraint", "storage_duration": "constraint", "storage_soc": "constraint",
        },
        bound_meaning={"battery_power": "battery power limit (grid.storage.max_gw_per_region)"},
    ),
    Family(
        "corridors",
        corridors.add_corridors,
        units="GW",
        requires=("energy_balance", "renewables", "storage"),
        switches=("grid.corridor_spare_share", "grid.corridor_capacity_mw", "grid.new_corridors"),
        components={"E": "set", "flow": "variable", "R_green": "set", "green_balance": "constraint"},
        relaxable=(Relaxable("flow", "corridor", "upper_bound_per_first_index", lambda e: e, _peak_m,
                             lambda e: f"flow[{e},*]", _corridor_cap),),
        limits=(CORRIDOR,),
        bound_meaning={"flow": "corridor spare capacity (grid.corridor_capacity_mw)"},
    ),
    Family(
        "adequacy",
        adequacy.add_adequacy,
        units="GW, GWh",
        requires=("assignment", "energy_balance", "corridors"),
        switches=("grid.adequacy.mode", "grid.adequacy.new_firm", "clusters.flexibility.max_curtailment"),
        components={
            "A": "set", "EI": "set", "imp": "variable", "gimp": "variable", "new_firm": "variable",
            "shed": "variable", "uncovered": "variable", "adequacy_gap": "variable", "adequacy_load": "constraint",
            "adequacy_floor": "constraint", "ASEG": "set", "adequacy_shed": "constraint", "A_flex": "set",
            "flexibility": "constraint", "EIT": "set", "corridor_share": "constraint",
            "import_energy_cap": "constraint", "A_recv": "set", "import_displace": "constraint",
        },
        relaxable=(Relaxable("adequacy_gap", "adequacy", "free_slack", lambda r: r, _peak_m,
                             lambda r: f"adequacy_load[{r}]"),),
        limits=(ADEQUACY,),
    ),
    Family(
        "certificates",
        certificates.add_certificates,
        units="GWh",
        requires=("assignment", "load", "energy_balance"),
        switches=("policy.certificates", "policy.green_share.matching", "policy.green_share.grid_mix_counts"),
        components={
            "P": "set", "CERT": "set", "cert": "variable", "cert_supply": "constraint",
            "cert_supply_month": "constraint", "CERT_STEP": "set", "cert_step": "variable",
            "cert_market": "constraint", "CERT_OBL": "set", "CERT_Z": "set", "cert_sells": "variable",
            "cert_obligation": "constraint", "cert_seller": "constraint",
        },
        relaxable=(
            Relaxable("cert_supply", "certificate_supply", "rows", lambda r: r, _cert_supply_m),
            Relaxable("cert_supply_month", "certificate_supply", "rows", lambda i: i[0], _cert_supply_m),
        ),
        limits=(CERTIFICATE_SUPPLY,),
        parts=(certificates.add_obligation_on_supply,),
    ),
    Family(
        "green_quota",
        green_quota.add_green_quota,
        units="GWh",
        requires=("certificates", "energy_balance", "load"),
        switches=("policy.green_share.min", "policy.green_share.applies_to", "policy.certificates.max_share"),
        components={"QP": "set", "green_quota": "constraint", "cert_share_cap": "constraint"},
        relaxable=(
            Relaxable("green_quota", "quota", "rows", lambda i: i[0], _quota_m),
            Relaxable("cert_share_cap", "certificate_cap", "rows", lambda i: i[0], _quota_m),
        ),
        limits=(QUOTA, CERTIFICATE_CAP),
    ),
    Family(
        "emissions",
        emissions.add_emissions,
        units="kt CO2/yr",
        requires=("energy_balance", "adequacy", "certificates"),
        switches=("policy.carbon_accounting", "policy.carbon_cap_t"),
        components={
            "emissions_imports": "expression", "emissions_site": "expression", "emissions_location": "expression",
            "emissions_market_site": "variable", "market_emissions_def": "constraint", "emissions": "expression",
            "carbon_cap": "constraint",
        },
        relaxable=(
            Relaxable("carbon_cap", "carbon_cap", "rows", lambda _i: "all",
                      lambda ref, _i: ref.max_ef * ref.energy_gwh * 1.01 + 1.0),
        ),
        limits=(CARBON_CAP,),
    ),
    Family(
        "objective",
        objective.add_objective,
        units="M currency/yr (kt CO2/yr for the carbon objective)",
        requires=(
            "assignment", "energy_balance", "renewables", "storage", "corridors", "adequacy", "certificates",
            "emissions",
        ),
        switches=("objective.mode", "policy.carbon_price"),
        components={
            **{f"cost_{t}": "expression" for t in objective.COST_TERMS},
            "total_cost": "expression",
            "obj": "objective",
        },
    ),
)

#: Every family by name.
BY_NAME: dict[str, Family] = {f.name: f for f in FAMILIES}

#: Every relaxable limit kind by name, in registry order.
LIMITS: dict[str, LimitKind] = {lk.kind: lk for f in FAMILIES for lk in f.limits}


#: The order in which the diagnosis makes limits elastic (the order of its slack columns): policies first.
RELAX_ORDER: tuple[LimitKind, ...] = (
    QUOTA, CERTIFICATE_CAP, CERTIFICATE_SUPPLY, SITE_CAPACITY, CARBON_CAP, POTENTIAL, ADEQUACY, CORRIDOR
)


def relaxables() -> list[Relaxable]:
    """Every relaxable component of the registered families, in :data:`RELAX_ORDER` (registry order within a kind)."""
    order = [lk.kind for lk in RELAX_ORDER]
    return sorted((rx for fam in FAMILIES for rx in fam.relaxable), key=lambda rx: order.index(rx.kind))


def check_order(families: tuple[Family, ...] = FAMILIES) -> None:
    """Raise ValueError when a family comes before one it requires, or requires one that is not registered."""
    seen: set[str] = set()
    for fam in families:
        missing = [r for r in fam.requires if r not in seen]
        if missing:
            unknown = [r for r in missing if r not in {f.name for f in families}]
            what = f"unknown families {unknown}" if unknown else f"{missing}, which come later"
            raise ValueError(f"constraint family {fam.name!r} requires {what}")
        seen.add(fam.name)
    kinds = {lk.kind for lk in RELAX_ORDER}
    if kinds != set(LIMITS) or any(rx.kind not in kinds for f in families for rx in f.relaxable):
        raise ValueError("every limit kind of a family must be in RELAX_ORDER, and every relaxable row's kind a limit")


check_order()
