"""The plain numeric container the Pyomo model is built from (no geopandas, no files).

Units inside the model (chosen so coefficients stay within ~1e-3…1e4):
power in GW, energy in GWh, emissions in kt CO2, money in millions of the region set's currency per year.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from optimizer.model.timeslices import TimeSlices

#: The tie-break charge (``solver.tidy: true``): M currency per GWh × 1000 km of cross-region certificates and
#: corridor flows, i.e. 0.01 currency per MWh per 1000 km. A modelling device, not a market price: among plans of
#: (nearly) equal cost it selects the one with the fewest and shortest trades (docs/formulation.md, "Tie-break").
TIE_BREAK_CHARGE = 1e-5


@dataclass(frozen=True)
class ClusterGroup:
    """Identical clusters aggregated into one integer decision (symmetry breaking)."""

    id: str
    cluster_ids: tuple[str, ...]
    it_gw: float  # average IT load of one cluster (energy, emissions, quotas)
    workload: str  # training | inference
    peak: float  # peak ÷ mean of the load shape
    count: int
    sites: tuple[str, ...]  # allowed sites
    optional: bool
    penalty_m: float  # per unbuilt cluster, M/yr
    design_gw: float = 0.0  # IT design power of one cluster (site capacity, build cost, adequacy); 0 → it_gw·peak
    flex: float = 0.0  # share of annual energy the cluster may shed when its region's grid is tight

    @property
    def design(self) -> float:
        """IT design power (GW) of one cluster."""
        return self.design_gw if self.design_gw > 0 else self.it_gw * self.peak


@dataclass(frozen=True)
class Corridor:
    id: str  # "from>to"
    a: str
    b: str
    cap_gw: float  # spare capacity available to the clusters
    rated_gw: float
    loss: float
    wheel_m_per_gwh: float
    kind: str = ""


@dataclass(frozen=True)
class AdequacyData:
    """Regional supply adequacy (all power in GW, energy in GWh, money in M per GW-yr or per GWh).

    ``headroom`` holds, for every active region (regions with a candidate site and those that may export firm
    power to them), the 8760 hourly firm headroom values sorted ascending and clipped at 0:
    max(0, firm + firm imports − own load(h) × (1 + reserve margin)).
    """

    mode: str  # enforce | report | off
    headroom: dict[str, np.ndarray] = field(default_factory=dict)
    headroom_raw_min: dict[str, float] = field(default_factory=dict)  # before clipping at 0
    peak_hour: dict[str, int] = field(default_factory=dict)  # hour of the year of the smallest headroom
    import_corridors: tuple[str, ...] = ()  # corridor ids (a>b, b a site region) usable for firm imports
    new_firm: bool = True
    firm_annuity: float = 0.0  # M per GW-yr of new firm capacity
    firm_availability: float = 1.0  # firm share of a new plant's rating
    firm_tech: str = ""
    region_price: dict[str, float] = field(default_factory=dict)  # M per GWh, grid price of exporting regions
    dest_price: dict[str, float] = field(default_factory=dict)  # M per GWh, lowest site price in a site region
    flex_cost: float = 0.0  # M per GWh shed
    import_annuity: float = 0.0  # M per GW-yr of firm transmission reserved for imports
    reserve_margin: float = 0.15
    note: str = ""


@dataclass(frozen=True)
class ModelData:
    name: str
    currency: str
    regions: tuple[str, ...]
    sites: tuple[str, ...]
    site_region: dict[str, str]
    site_pue: dict[str, float]
    site_cap_gw: dict[str, float]
    site_price: dict[str, float]  # M per GWh
    site_build: dict[str, float]  # M per GW facility peak per year
    site_quota: dict[str, float]  # share of consumption, 0 where not covered
    region_ef: dict[str, float]  # kt per GWh (= t/MWh)
    region_grid_green: dict[str, float]  # renewable share of grid supply (RPS weight)
    groups: tuple[ClusterGroup, ...]
    slices: TimeSlices
    wind_pot_gw: dict[str, float]
    solar_pot_gw: dict[str, float]
    wind_annuity: float  # M per GW-yr
    solar_annuity: float
    corridors: tuple[Corridor, ...]
    cert_supply_gwh: dict[str, float]
    cert_price: float  # M per GWh
    cert_steps: tuple[tuple[float, float], ...] | None
    cert_cross_region: bool
    cert_max_share: float
    cert_export_cap_gwh: dict[str, float]
    matching: str  # annual | monthly | hourly
    grid_mix_counts: bool
    carbon_price: float  # M per kt
    carbon_cap_kt: float | None
    accounting: str  # location_based | market_based
    objective: str  # cost | carbon
    new_renewables: bool = True
    green_charge: float = 0.0  # M per GWh of dedicated green power delivered to a site
    storage: bool = False
    storage_power_annuity: float = 0.0  # M per GW-yr
    storage_energy_annuity: float = 0.0  # M per GWh-yr
    storage_efficiency: float = 0.88  # round trip
    storage_max_gw: float = 10.0
    storage_duration_max: float = 8.0
    fixed: dict[tuple[str, str], int] | None = None  # (group, site) -> count of a proposed plan
    notes: tuple[str, ...] = ()
    adequacy: AdequacyData = field(default_factory=lambda: AdequacyData("off"))
    # inference shape (T,) in each region's own local time (regions absent: the set's time zone, slices.inference_shape)
    region_inference_shape: dict[str, np.ndarray] | None = None
    region_latlon: dict[str, tuple[float, float]] | None = None  # representative point (distances of the tie-break)
    region_rps_nonhydro: dict[str, float] | None = None  # non-hydro RPS weight (obligation on wind/solar certificates)
    cert_supply_share: float = 1.0  # share of each region's remaining surplus offered to the clusters
    tie_break_charge: float = 0.0  # M per GWh x 1000 km of cross-region certificates and corridor flows (tie-break)

    def inference_shape(self, site: str) -> np.ndarray:
        """Inference load shape (T,) of ``site``: the diurnal curve in the local time of its region."""
        shapes = self.region_inference_shape
        if shapes:
            own = shapes.get(self.site_region[site])
            if own is not None:
                return own
        return self.slices.inference_shape

    @property
    def region_sites(self) -> dict[str, list[str]]:
        out: dict[str, list[str]] = {r: [] for r in self.regions}
        for s in self.sites:
            out[self.site_region[s]].append(s)
        return out

    def group_pairs(self) -> list[tuple[str, str]]:
        return [(g.id, s) for g in self.groups for s in g.sites]

    def size(self) -> dict[str, int]:
        """Estimated size of the model (columns, integer columns, rows, nonzeros, slices): see
        :mod:`optimizer.model.size`, the one estimate used for fail-fast checks, progress output and the summary."""
        from optimizer.model.size import estimate_size, size_inputs

        return estimate_size(size_inputs(self)).as_dict()
