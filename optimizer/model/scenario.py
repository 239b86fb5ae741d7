"""Scenario files: a strict, frozen pydantic schema loaded from YAML.

Unknown keys are rejected, every field documents its unit, and every error names the file, the field path and
what is allowed (:class:`ScenarioError`). Checks that need the region set (site, GPU and demand-centre ids) run in
:func:`optimizer.model.adapter.build_model_data`, with the same error type.
"""

from __future__ import annotations

import hashlib
import itertools
import math
from pathlib import Path
from typing import Annotated, Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from gridsite.errors import ScenarioError


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, use_attribute_docstrings=True)


Share = Annotated[float, Field(ge=0.0, le=1.0)]
NonNeg = Annotated[float, Field(ge=0.0)]


class TimeConfig(_Strict):
    mode: Literal["annual", "monthly", "representative_days", "hourly"] = "representative_days"
    """How the year is cut into weighted time slices: 1 slice, 12 monthly slices, k typical days × 24 h, or 8760 h."""
    days: Annotated[int, Field(ge=1, le=365)] = 12
    """Number of typical days (representative_days mode). 12 is chosen from measurement: placements within 0.04 %
    of the hourly optimum's true cost; costs 0.1–0.9 % low, up to 3.5 % low on the correlated weather when the quota
    is met by dedicated wind and solar (24 days: 0.3 %) (docs/performance.md, "Typical days and accuracy")."""
    extreme_days: bool = True
    """Add the days of lowest wind and lowest solar as extra typical days (tsam extreme periods)."""
    segments: Annotated[int, Field(ge=1, le=24)] | None = None
    """Cut each typical day into this many variable-length segments (tsam) instead of 24 hours."""


class SitesConfig(_Strict):
    include: Literal["hub_clusters", "all"] | list[str] = "all"
    """Candidate sites: the hub clusters only, every site of the region set, or a list of site ids."""
    exclude: list[str] = []
    """Site ids removed from the candidates."""
    max_mw: dict[str, NonNeg] = {}
    """Per-site override of the facility MW a site can host."""


class Latency(_Strict):
    to: Annotated[list[str], Field(min_length=1)]
    """Demand-centre ids (see `gridsite data show china/demand_centres` or `us/demand_centres`)."""
    max: Annotated[float, Field(gt=0)]
    """Round-trip budget in ms to every listed centre: 2 × km × route_factor ÷ 200 km/ms."""
    route_factor: Annotated[float, Field(ge=1.0, le=3.0)] = 1.5
    """Fibre route length ÷ great-circle distance."""


class Flexibility(_Strict):
    max_curtailment: Annotated[float, Field(ge=0.0, le=0.2)] = 0.0
    """Share of the cluster's annual energy it may shed (or defer) in the hours when its region's grid is tight:
    training checkpoints, deferrable batch work. 0.0025–0.01 are the shares of recent US large-load studies."""


class Cluster(_Strict):
    id: Annotated[str, Field(min_length=1, pattern=r"^[A-Za-z0-9_.\-]+$")]
    """Unique cluster id (letters, digits, _ . -)."""
    mw: Annotated[float, Field(gt=0)] | None = None
    """IT design power in MW: every server at full load plus cluster networking and storage (give either mw or
    gpus + gpu). Site capacity, build cost and grid adequacy use design power × PUE; energy uses the average
    load = design × utilisation."""
    gpus: Annotated[int, Field(gt=0)] | None = None
    """Number of GPUs (with gpu)."""
    gpu: str | None = None
    """GPU type from the catalogue (`gridsite demand --list`)."""
    utilisation: Annotated[float, Field(gt=0, le=1)] | None = None
    """Average power ÷ design power (default 0.75 for training, 0.6 for inference: estimates; at most 0.8 for
    inference, whose diurnal peak is 1.25 × its mean)."""
    workload: Literal["training", "inference"] = "training"
    """training: flat load; inference: diurnal shape (peak 1.25 × mean at 20:00)."""
    count: Annotated[int, Field(ge=1)] = 1
    """Number of identical copies of this cluster (ids get suffixes -1, -2, …)."""
    sites: list[str] | None = None
    """Allowed site ids (default: every candidate site)."""
    latency_ms: Latency | None = None
    """Latency budget to demand centres; sites beyond it are not allowed."""
    optional: bool = False
    """May be left unbuilt, at unbuilt_penalty."""
    unbuilt_penalty: NonNeg | None = None
    """Penalty, million currency per year, for leaving this optional cluster unbuilt (default: 1000 currency per
    MWh of its annual energy at PUE 1.5)."""
    flexibility: Flexibility = Flexibility()
    """How much of its load the cluster may shed when the regional grid is tight."""

    @model_validator(mode="after")
    def _mw_or_gpus(self) -> Cluster:
        if self.mw is None and (self.gpus is None or self.gpu is None):
            raise ValueError("give either 'mw' or both 'gpus' and 'gpu'")
        if self.mw is not None and (self.gpus is not None or self.gpu is not None):
            raise ValueError("give either 'mw' or 'gpus' + 'gpu', not both")
        if self.workload == "inference" and self.utilisation is not None and self.utilisation > 0.8 + 1e-9:
            raise ValueError(
                f"utilisation {self.utilisation:g} is above 0.8, the most an inference cluster can average while its "
                "diurnal peak (1.25 × mean) stays within design power"
            )
        return self


class GreenShare(_Strict):
    min: Share | dict[int, Share] = 0.8
    """Minimum green share of a covered site's consumption, or a path {year: share}; the scenario year picks
    the latest entry at or before it."""
    applies_to: Literal["hubs", "all", "none"] | list[str] = "hubs"
    """Which sites the quota covers: hub clusters, all sites, none, or a list of site ids."""
    matching: Literal["annual", "monthly", "hourly"] = "annual"
    """Period over which green supply must match load; certificates count for annual and monthly only."""
    grid_mix_counts: bool = False
    """Count the grid's own renewable share (the region's RPS weight) toward the quota."""

    def value_for(self, year: int) -> float:
        if isinstance(self.min, float | int):
            return float(self.min)
        past = [y for y in self.min if y <= year]
        return float(self.min[max(past)] if past else self.min[min(self.min)])


class PriceStep(_Strict):
    gwh: NonNeg | None = None
    """Width of this step of the certificate supply curve, GWh per year (omit on the last step: unlimited)."""
    price: NonNeg
    """Price per MWh in this step, scenario currency."""


class Certificates(_Strict):
    cross_region: bool = True
    """Allow certificates bought in another province/state."""
    price: NonNeg | None = None
    """Certificate price per MWh in the scenario currency (default: the region set's)."""
    price_steps: Annotated[list[PriceStep], Field(min_length=1)] | None = None
    """A supply curve instead of one price: steps with rising prices, filled in order (replaces price)."""
    max_share: Share = 1.0
    """Cap on the share of a site's quota met by unbundled certificates."""
    supply_share: Share = 1.0
    """Share of each region's tradable surplus offered to the new clusters."""
    export_cap_gwh: dict[str, NonNeg] = {}
    """Per-source-region cap on certificates sold to the clusters, GWh per year."""

    @model_validator(mode="after")
    def _steps_rise(self) -> Certificates:
        steps = self.price_steps or []
        if any(b.price < a.price for a, b in itertools.pairwise(steps)):
            raise ValueError("price_steps must have non-decreasing prices (a supply curve)")
        if any(s.gwh is None for s in steps[:-1]):
            raise ValueError("only the last price step may omit 'gwh' (unlimited)")
        return self


class Policy(_Strict):
    green_share: GreenShare = GreenShare()
    certificates: Certificates = Certificates()
    carbon_price: NonNeg = 0.0
    """Carbon price, currency per tCO2."""
    carbon_cap_t: NonNeg | None = None
    """Cap on the clusters' emissions, tCO2 per year (accounting below)."""
    carbon_accounting: Literal["location_based", "market_based"] = "location_based"
    """Emissions used by the carbon price, cap and the carbon objective."""


class NewCorridor(_Strict):
    from_region: str
    """Sending region id."""
    to_region: str
    """Receiving region id (must differ from from_region)."""
    capacity_mw: Annotated[float, Field(gt=0)]
    """Capacity available to the clusters' dedicated green power, MW."""
    loss_fraction: Share = 0.05
    """Share of the energy sent that is lost on the way."""
    wheeling_per_mwh: NonNeg = 0.0
    """Transmission tariff per MWh sent, scenario currency."""
    both_directions: bool = False
    """Also add the same line in the opposite direction."""


class Storage(_Strict):
    enabled: Literal["auto", "on", "off"] = "auto"
    """Batteries: 'auto' makes them available under hourly matching only."""
    max_gw_per_region: NonNeg = 10.0
    """Upper bound on battery power per region, GW."""
    duration_h_max: NonNeg = 8.0
    """Upper bound on energy/power ratio, hours."""


class Adequacy(_Strict):
    mode: Literal["enforce", "report", "off"] = "enforce"
    """enforce: the clusters' added peak load must be covered in every hour by the region's firm headroom, firm
    imports over corridors and new firm capacity; report: no constraint, shortfalls reported as gap_mw; off: not
    computed."""
    reserve_margin: Annotated[float, Field(ge=0.0, le=1.0)] | None = None
    """Planning reserve margin on the region's own load (default: the region set's, 15 %)."""
    new_firm: bool = True
    """Allow new firm capacity (the region set's `firm_new` technology) to be built for the clusters."""
    headroom_mw: dict[str, float] = {}
    """Per-region override of the firm headroom at the region's peak hour, MW (may be negative)."""
    firm_import_cost_per_kw_yr: NonNeg | None = None
    """Yearly charge for reserving firm transmission for imports, currency per kW-yr (default: the region set's)."""
    flexibility_cost_per_mwh: NonNeg = 0.0
    """Cost per MWh of cluster load shed or deferred (value of the lost or delayed compute), scenario currency."""


class GridConfig(_Strict):
    corridor_spare_share: Share = 0.2
    """Share of each corridor's rating available to the clusters' dedicated green power (ESTIMATE)."""
    corridor_capacity_mw: dict[str, NonNeg] = {}
    """Override the spare capacity (MW) of corridors by id 'from>to'."""
    new_corridors: list[NewCorridor] = []
    """Lines added for this scenario (e.g. a new UHV line)."""
    new_renewables: bool = True
    """Allow new dedicated wind and solar."""
    green_delivery_charge_per_mwh: NonNeg | None = None
    """Network charge per MWh of dedicated green power delivered to a site (default: the region set's)."""
    potential_scale: NonNeg = 1.0
    """Multiplier on every region's remaining wind/solar potential."""
    profiles: dict[Literal["wind", "solar"], str] = {}
    """Measured capacity-factor profiles (CSV/Parquet, 8760 rows, region ids as columns)."""
    storage: Storage = Storage()
    adequacy: Adequacy = Adequacy()
    """Regional supply adequacy: may the clusters' peak load exceed what the regional grid can supply?"""


class Objective(_Strict):
    mode: Literal["cost", "carbon"] = "cost"
    """cost: annualised cost incl. carbon price; carbon: minimum emissions, then minimum cost among those."""


class SolverConfig(_Strict):
    mip_gap: Annotated[float, Field(ge=0, le=1)] = 0.005
    """Relative MIP gap at which HiGHS stops."""
    time_limit_s: Annotated[float, Field(gt=0)] = 300.0
    """Wall-clock limit for HiGHS, seconds; the best placement found by then is reported with its gap."""
    threads: Annotated[int, Field(ge=1, le=64)] = 2
    """HiGHS threads."""
    seed: int = 0
    """HiGHS random seed (runs are deterministic for a given seed and thread count)."""
    tidy: bool | Literal["exact"] = True
    """Tie-break, so that only trades the optimum needs are reported (home-region certificates first, then the
    nearest): true adds a charge of 0.01 currency/MWh per 1000 km on cross-region certificates and corridor flows
    to the objective (cost term tie_break, ~1e-5 of the total); "exact" instead re-solves the LP after the solve at
    the same placement and total cost, minimising their distance-weighted volume (exact cost, slower: a second LP
    as large as the model); false: neither."""
    method: Literal["auto", "branch_and_bound", "bracket"] = "auto"
    """How the placement is solved. branch_and_bound: HiGHS's MIP solver. bracket: the placement of the same
    scenario on 12 typical days, then two LPs at the scenario's own resolution by interior point (Clarabel, no
    crossover): the model at that placement (the plan reported: an upper bound) and the LP relaxation (a lower
    bound); the status is optimal when their gap is within mip_gap, else feasible with the gap proved. auto:
    bracket for models with more than 2,000 time slices (hourly) and objective.mode cost, else branch_and_bound.
    A fixed plan (--fix) above 2,000 slices is an LP solved by the same interior-point method unless
    highs_options sets solver (or method is branch_and_bound). See docs/formulation.md, *Hourly models*."""
    highs_options: dict[str, bool | int | float | str] = {}
    """Further HiGHS options by name, e.g. {mip_lp_solver: ipx} (interior-point root LP: 2–4× faster on 31-site
    China and 200-cluster US models, slower on hub-only ones; see docs/performance.md). Checked against HiGHS.
    Models with more than 2,000 time slices (hourly) get mip_lp_solver: ipx (solver: ipx for a fixed plan) unless
    mip_lp_solver or solver is given here."""

    @field_validator("highs_options")
    @classmethod
    def _known_to_highs(cls, v: dict) -> dict:
        import highspy

        h = highspy.Highs()
        h.setOptionValue("output_flag", False)
        reserved = {"threads", "time_limit", "mip_rel_gap", "random_seed", "output_flag", "log_file", "log_to_console"}
        out = {}
        for name, value in v.items():
            if name in reserved:
                raise ValueError(f"'{name}' is set by gridsite (use solver.mip_gap/time_limit_s/threads/seed)")
            ok = h.setOptionValue(name, value) == highspy.HighsStatus.kOk
            if not ok and isinstance(value, bool):  # YAML reads `presolve: off` as false: HiGHS wants "off"
                value = "on" if value else "off"
                ok = h.setOptionValue(name, value) == highspy.HighsStatus.kOk
            if not ok:
                raise ValueError(f"HiGHS does not accept option {name}={value!r} (see the HiGHS options reference)")
            out[name] = value
        return out


class Scenario(_Strict):
    name: Annotated[str, Field(min_length=1)]
    """Scenario name (titles of tables, maps and reports)."""
    description: str = ""
    """Free text."""
    region_set: str = "china"
    """china | us | path to a user region-set folder."""
    year: Annotated[int, Field(ge=2020, le=2060)] = 2025
    """Study year; picks the value of quota paths."""
    currency: str | None = None
    """Must match the region set's currency (CNY for china, USD for us) when given."""
    time: TimeConfig = TimeConfig()
    sites: SitesConfig = SitesConfig()
    clusters: Annotated[list[Cluster], Field(min_length=1)]
    policy: Policy = Policy()
    grid: GridConfig = GridConfig()
    objective: Objective = Objective()
    solver: SolverConfig = SolverConfig()

    @model_validator(mode="after")
    def _bracket_minimises_cost(self) -> Scenario:
        if self.solver.method == "bracket" and self.objective.mode != "cost":
            raise ValueError(
                "solver.method bracket minimises cost; with objective.mode carbon use branch_and_bound or auto"
            )
        return self

    @field_validator("clusters")
    @classmethod
    def _unique_ids(cls, v: list[Cluster]) -> list[Cluster]:
        seen: set[str] = set()
        for c in v:
            if c.id in seen:
                raise ValueError(f"cluster id '{c.id}' is used twice")
            seen.add(c.id)
        return v

    def digest(self) -> str:
        """SHA-256 of the canonical JSON form (the scenario hash in manifest.json)."""
        return hashlib.sha256(self.model_dump_json().encode()).hexdigest()


def _allowed_keys(model: type[BaseModel], loc: tuple) -> list[str] | None:
    """Field names allowed at the parent of ``loc`` (for 'unknown key' messages)."""
    cur: Any = model
    for part in loc[:-1]:
        if isinstance(part, int):
            continue
        fields = getattr(cur, "model_fields", None)
        if not fields or part not in fields:
            return None
        ann = fields[part].annotation
        cur = _first_model(ann)
        if cur is None:
            return None
    return sorted(getattr(cur, "model_fields", {}))


def _first_model(ann: Any) -> Any:
    if isinstance(ann, type) and issubclass(ann, BaseModel):
        return ann
    for a in getattr(ann, "__args__", ()) or ():
        m = _first_model(a)
        if m is not None:
            return m
    return None


def format_validation_error(file: str, exc: ValidationError, model: type[BaseModel] = Scenario) -> ScenarioError:
    problems: dict[str, list[str]] = {}
    for err in exc.errors():
        # drop union-member tags such as 'constrained-float' or 'dict[int,constrained-float]' from the path
        loc = tuple(p for p in err["loc"] if isinstance(p, int) or str(p).isidentifier())
        path = ".".join(str(p) for p in loc)
        msg = err["msg"].removeprefix("Value error, ")
        if err["type"] == "extra_forbidden":
            allowed = _allowed_keys(model, loc)
            msg = "unknown key" + (f"; allowed keys: {', '.join(allowed)}" if allowed else "")
        elif err["type"] == "missing":
            msg = "is required"
        else:
            got = err.get("input")
            if not isinstance(got, dict | list):
                msg += f" (got {got!r})"
        if msg not in problems.setdefault(path, []):
            problems[path].append(msg)
    return ScenarioError(file, [(path, "; or ".join(msgs)) for path, msgs in problems.items()])


MAX_MAGNITUDE = 1e9
"""Numbers in a scenario must be below this in magnitude (prices per MWh, MW, GWh, tCO2, …): larger values are a
unit mistake, not a plan. Exempt: ``solver.seed``, ``solver.highs_options`` and ``clusters.*.count`` (see
:data:`MAX_CLUSTERS`)."""
MAX_CLUSTERS = 100_000
"""Most clusters a scenario may have after ``count`` expansion: 100,000 clusters of 100–300 MW are 10–30 TW, far
beyond any grid here; checked before anything is expanded."""
_UNBOUNDED = ("solver.seed", "solver.highs_options")
_LIMITS = {"policy.carbon_cap_t": 1e12}
"""Fields with a larger limit than :data:`MAX_MAGNITUDE`: an emissions cap (tCO2/yr) of 10⁹ or more is a valid
way to write "no cap" (world emissions are ~4 × 10¹⁰ t)."""


def check_cluster_count(data: Any, file: str = "<scenario>") -> None:
    """Refuse more than :data:`MAX_CLUSTERS` clusters after ``count`` expansion, from the raw scenario data (before
    validation or expansion, so a ``count`` of 10⁹ fails at once, naming the field and the size)."""
    clusters = data.get("clusters") if isinstance(data, dict) else None
    if not isinstance(clusters, list):
        return
    total = 0
    for i, c in enumerate(clusters):
        n = c.get("count", 1) if isinstance(c, dict) else 1
        try:
            n = int(n) if not isinstance(n, bool) and isinstance(n, int | float | str) else 1
        except (ValueError, OverflowError):
            n = 1  # not a number: the schema says so
        if n > MAX_CLUSTERS:
            raise ScenarioError(
                file, [(f"clusters.{i}.count", f"{n:,} copies; a scenario may have at most {MAX_CLUSTERS:,} clusters")]
            )
        total += max(n, 1)
    if total > MAX_CLUSTERS:
        raise ScenarioError(
            file, [("clusters", f"{total:,} clusters after 'count' expansion; at most {MAX_CLUSTERS:,} are supported")]
        )


def check_numbers(data: Any, file: str = "<scenario>") -> None:
    """Refuse non-finite numbers (``.inf``, ``.nan``) and magnitudes of :data:`MAX_MAGNITUDE` or more anywhere in
    ``data`` (a validated scenario's ``model_dump()``, so numbers written as text count too). Raises
    :class:`ScenarioError` naming every field path."""
    problems: list[tuple[str, str]] = []

    def walk(x: Any, path: str) -> None:
        if isinstance(x, bool) or any(path == u or path.startswith(u + ".") for u in _UNBOUNDED):
            return
        if isinstance(x, float) and not math.isfinite(x):
            problems.append((path, f"must be a finite number (got {x!r})"))
        elif isinstance(x, int | float):
            limit = _LIMITS.get(path, MAX_MAGNITUDE)
            if abs(x) >= limit and not (path.startswith("clusters.") and path.endswith(".count")):
                msg = f"{x:,g} is not a plausible value (magnitudes below {limit:.0e}); check the unit"
                problems.append((path, msg))
        elif isinstance(x, dict):
            for k, v in x.items():
                walk(v, f"{path}.{k}" if path else str(k))
        elif isinstance(x, list | tuple):
            for i, v in enumerate(x):
                walk(v, f"{path}.{i}")

    walk(data, "")
    if problems:
        raise ScenarioError(file, problems)


def check_expanded_ids(sc: Scenario, file: str = "<scenario>") -> None:
    """Cluster ids must stay unique after ``count`` expansion (``a`` with count 2 becomes ``a-1``, ``a-2``)."""
    owner: dict[str, int] = {}
    for i, c in enumerate(sc.clusters):
        ids = [c.id] if c.count == 1 else [f"{c.id}-{j + 1}" for j in range(c.count)]
        for cid in ids:
            if cid in owner:
                j = owner[cid]
                raise ScenarioError(
                    file,
                    [
                        (
                            f"clusters.{i}.id",
                            f"cluster id '{cid}' (after 'count' expansion) collides with clusters.{j} "
                            f"('{sc.clusters[j].id}'); rename one of them",
                        )
                    ],
                )
            owner[cid] = i


def parse_scenario(data: Any, file: str = "<scenario>") -> Scenario:
    if not isinstance(data, dict):
        raise ScenarioError(file, [("", "a scenario file is a YAML mapping (key: value) at the top level")])
    check_cluster_count(data, file)
    try:
        sc = Scenario.model_validate(data)
    except ValidationError as exc:
        raise format_validation_error(file, exc) from None
    check_numbers(sc.model_dump(), file)
    check_expanded_ids(sc, file)
    return sc


def _unique_key_loader() -> type:
    """The YAML loader (libyaml when available) with duplicate mapping keys refused: YAML would keep the last
    silently, so ``mw: 100`` followed by ``mw: 1000`` in the same cluster is an error naming the line."""
    base = getattr(yaml, "CSafeLoader", yaml.SafeLoader)

    class UniqueKeyLoader(base):  # type: ignore[misc,valid-type]
        def construct_mapping(self, node, deep=False):
            if isinstance(node, yaml.MappingNode):
                seen: set = set()
                for key_node, _ in node.value:
                    if key_node.tag == "tag:yaml.org,2002:merge":
                        continue
                    key = self.construct_object(key_node, deep=True)
                    try:
                        dup = key in seen
                    except TypeError:
                        continue
                    if dup:
                        raise yaml.constructor.ConstructorError(
                            "while reading a mapping", node.start_mark, f"duplicate key '{key}'", key_node.start_mark
                        )
                    seen.add(key)
            return super().construct_mapping(node, deep=deep)

    return UniqueKeyLoader


_LOADER: type | None = None


def read_yaml(path: str | Path) -> Any:
    global _LOADER
    p = Path(path)
    if not p.exists():
        raise ScenarioError(str(p), [("", "file not found")])
    if p.is_dir():
        raise ScenarioError(str(p), [("", "is a folder; a YAML file is expected here")])
    if _LOADER is None:
        _LOADER = _unique_key_loader()  # libyaml when available: ~3× faster
    try:
        return yaml.load(p.read_text(encoding="utf-8"), Loader=_LOADER)
    except yaml.YAMLError as exc:
        raise ScenarioError(str(p), [("", f"invalid YAML: {exc}")]) from None
    except UnicodeDecodeError:
        raise ScenarioError(str(p), [("", "not a UTF-8 text file")]) from None
    except OSError as exc:
        raise ScenarioError(str(p), [("", f"cannot be read ({exc.strerror or exc})")]) from None


def load_scenario(path: str | Path) -> Scenario:
    """Read and validate a scenario YAML file. Relative paths inside it resolve against its folder."""
    p = Path(path)
    data = read_yaml(p)
    if isinstance(data, dict):
        rs = data.get("region_set")
        if isinstance(rs, str) and not Path(rs).is_absolute():
            from geodata.regionset import list_region_sets  # a name (bundled or user) stays a name

            if rs not in list_region_sets():
                data = {**data, "region_set": str((p.parent / rs).resolve())}
        grid = data.get("grid")
        if isinstance(grid, dict) and isinstance(grid.get("profiles"), dict):
            prof = {
                k: (str((p.parent / v).resolve()) if isinstance(v, str) and not Path(v).is_absolute() else v)
                for k, v in grid["profiles"].items()
            }
            data = {**data, "grid": {**grid, "profiles": prof}}
    return parse_scenario(data, str(p))
