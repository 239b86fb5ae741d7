"""The run's results as a GeoPackage (``results.gpkg``) for QGIS, ArcGIS and other GIS tools.

Six layers, all in EPSG:4326 (longitude/latitude, degrees), each carrying the columns of the run's result table
it is drawn from (same names as the CSV files) and a layer description that states its content and the units of
its columns (also readable as the GeoPackage ``gpkg_contents.description``):

==================== =============== ===========================================================================
layer                geometry        one feature per
==================== =============== ===========================================================================
``regions``          MultiPolygon    region of the set, with its ``regions.csv`` row
``sites``            Point           candidate site, with its ``sites.csv`` row
``clusters``         Point           cluster of ``assignments.csv`` at its site; clusters at the same site are
                                     separate features at the same point (``n_at_site``, ``rank_at_site``);
                                     an unplaced cluster has no geometry
``corridors``        LineString      corridor between two regions (both directions of a ``flows.csv`` pair in
                                     one feature): capacity each way
``flows``            LineString      direction of a corridor that carried energy, drawn from the sending to the
                                     receiving region, with its ``flows.csv`` row and ``energy_twh``
``certificate_trades`` LineString    seller region → buyer site pair of ``certificates.csv`` (summed over
                                     matching periods), drawn from the seller region to the buyer site
==================== =============== ===========================================================================

Regions are located by their representative point (the ``lat``/``lon`` of ``regions.csv``, else a point inside
the polygon), so corridor, flow and certificate lines join the points the maps draw.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
from shapely.geometry import LineString, Point

from rendering import runformat
from rendering.excel import as_in_csv, column_unit

CRS = "EPSG:4326"
FILE_NAME = runformat.GEOPACKAGE

#: layer name -> (geometry type, what one feature is)
LAYERS: dict[str, tuple[str, str]] = {
    "regions": ("MultiPolygon", "one region of the set with its regions.csv columns"),
    "sites": ("Point", "one candidate site with its sites.csv columns"),
    "clusters": (
        "Point",
        "one GPU cluster (assignments.csv) at its site; co-located clusters are separate features at the same "
        "point (n_at_site, rank_at_site); unplaced clusters have no geometry",
    ),
    "corridors": (
        "LineString",
        "one corridor between region_a and region_b (both directions); capacity_a_to_b_mw / capacity_b_to_a_mw "
        "are the usable capacities each way, rated_mw the line rating",
    ),
    "flows": (
        "LineString",
        "one corridor direction that carried energy, from from_region to to_region, with its flows.csv columns",
    ),
    "certificate_trades": (
        "LineString",
        "green certificates one seller region (from_region) sold to one buyer site (site_id in to_region), summed "
        "over matching periods; the line runs from the seller region to the buyer site",
    ),
}


def _text(df: pd.DataFrame) -> pd.DataFrame:
    """Object columns as text (GeoPackage fields need one type per column); missing values stay missing."""
    df = df.copy()
    for c in df.columns:
        if c != "geometry" and df[c].dtype == object:
            df[c] = df[c].map(lambda v: None if v is None or (isinstance(v, float) and np.isnan(v)) else str(v))
    return df


def region_points(region_set, regions: pd.DataFrame | None) -> dict[str, tuple[float, float]]:
    """(lon, lat) of every region: the result table's representative point, else a point inside the polygon."""
    pts: dict[str, tuple[float, float]] = {}
    for rid, geom in zip(region_set.regions["id"], region_set.regions.geometry, strict=True):
        if geom is not None and not geom.is_empty:
            p = geom.representative_point()
            pts[str(rid)] = (float(p.x), float(p.y))
    if regions is not None and len(regions) and {"region_id", "lat", "lon"} <= set(regions.columns):
        for r in regions.itertuples(index=False):
            lon, lat = pd.to_numeric(r.lon, errors="coerce"), pd.to_numeric(r.lat, errors="coerce")
            if np.isfinite(lon) and np.isfinite(lat):
                pts[str(r.region_id)] = (float(lon), float(lat))
    return pts


def _line(pts: Mapping[str, tuple[float, float]], a: str, b: str) -> LineString | None:
    if a in pts and b in pts and pts[a] != pts[b]:
        return LineString([pts[a], pts[b]])
    return None


def regions_layer(region_set, tables: Mapping[str, pd.DataFrame]) -> gpd.GeoDataFrame:
    geo = region_set.regions[["id", "geometry"]].rename(columns={"id": "region_id"})
    reg = tables.get("regions")
    if reg is not None and len(reg):
        geo = geo.merge(reg, on="region_id", how="left")
    return gpd.GeoDataFrame(geo, geometry="geometry", crs=CRS)


def sites_layer(tables: Mapping[str, pd.DataFrame]) -> gpd.GeoDataFrame:
    s = tables.get("sites", pd.DataFrame(columns=["site_id", "lat", "lon"]))
    geom = [Point(x, y) for x, y in zip(s["lon"], s["lat"], strict=True)]
    return gpd.GeoDataFrame(s.reset_index(drop=True), geometry=geom, crs=CRS)


def clusters_layer(tables: Mapping[str, pd.DataFrame]) -> gpd.GeoDataFrame:
    a = tables.get("assignments", pd.DataFrame(columns=["cluster_id", "site_id"])).reset_index(drop=True).copy()
    s = tables.get("sites", pd.DataFrame(columns=["site_id", "lat", "lon"]))
    where = {str(r.site_id): (float(r.lon), float(r.lat)) for r in s.itertuples(index=False)}
    site = a["site_id"].map(lambda v: "" if pd.isna(v) else str(v))
    placed = site != ""
    a["n_at_site"] = site.map(site[placed].value_counts()).where(placed).astype("Int64")
    a["rank_at_site"] = (a[placed].groupby(site[placed]).cumcount() + 1).reindex(a.index).astype("Int64")
    geom = [Point(where[k]) if k in where else None for k in site]
    return gpd.GeoDataFrame(a, geometry=gpd.GeoSeries(geom, crs=CRS), crs=CRS)


def corridors_layer(tables: Mapping[str, pd.DataFrame], pts: Mapping[str, tuple[float, float]]) -> gpd.GeoDataFrame:
    f = tables.get("flows")
    rows: list[dict] = []
    if f is not None and len(f):
        pairs: dict[tuple[str, str, str], dict] = {}
        for r in f.itertuples(index=False):
            a, b = sorted((str(r.from_region), str(r.to_region)))
            row = pairs.setdefault(
                (a, b, str(r.kind)),
                {
                    "corridor_ids": [],
                    "region_a": a,
                    "region_b": b,
                    "kind": str(r.kind),
                    "rated_mw": 0.0,
                    "capacity_a_to_b_mw": 0.0,
                    "capacity_b_to_a_mw": 0.0,
                    "energy_a_to_b_gwh": 0.0,
                    "energy_b_to_a_gwh": 0.0,
                },
            )
            way = "a_to_b" if str(r.from_region) == a else "b_to_a"
            row["corridor_ids"].append(str(r.corridor_id))
            row["rated_mw"] = max(row["rated_mw"], float(r.rated_mw))
            row[f"capacity_{way}_mw"] += float(r.capacity_mw)
            row[f"energy_{way}_gwh"] += float(r.energy_gwh)
        for row in pairs.values():
            rows.append({**row, "corridor_ids": " ".join(sorted(row["corridor_ids"]))})
    cols = ["corridor_ids", "region_a", "region_b", "kind", "rated_mw", "capacity_a_to_b_mw", "capacity_b_to_a_mw",
            "energy_a_to_b_gwh", "energy_b_to_a_gwh"]  # fmt: skip
    df = pd.DataFrame(rows, columns=cols)
    geom = [_line(pts, a, b) for a, b in zip(df["region_a"], df["region_b"], strict=True)]
    return gpd.GeoDataFrame(df, geometry=gpd.GeoSeries(geom, crs=CRS), crs=CRS)


def flows_layer(tables: Mapping[str, pd.DataFrame], pts: Mapping[str, tuple[float, float]]) -> gpd.GeoDataFrame:
    f = tables.get("flows", pd.DataFrame(columns=["from_region", "to_region", "energy_gwh"]))
    f = f[pd.to_numeric(f["energy_gwh"], errors="coerce").fillna(0) > 0].reset_index(drop=True).copy()
    f["energy_twh"] = pd.to_numeric(f["energy_gwh"]) / 1000.0
    geom = [_line(pts, str(a), str(b)) for a, b in zip(f["from_region"], f["to_region"], strict=True)]
    return gpd.GeoDataFrame(f, geometry=gpd.GeoSeries(geom, crs=CRS), crs=CRS)


def certificate_trades_layer(
    tables: Mapping[str, pd.DataFrame], pts: Mapping[str, tuple[float, float]]
) -> gpd.GeoDataFrame:
    c = tables.get("certificates")
    cols = ["from_region", "to_region", "site_id", "cross_region", "gwh", "cost_m"]
    df = pd.DataFrame(columns=cols)
    if c is not None and len(c):
        c = c.assign(cross_region=c["from_region"].astype(str) != c["to_region"].astype(str))
        df = c.groupby(["from_region", "to_region", "site_id", "cross_region"], as_index=False, sort=True)[
            ["gwh", "cost_m"]
        ].sum()
    sites = tables.get("sites", pd.DataFrame(columns=["site_id", "lat", "lon"]))
    where = {str(r.site_id): (float(r.lon), float(r.lat)) for r in sites.itertuples(index=False)}
    geom = []
    for r in df.itertuples(index=False):
        a, b = pts.get(str(r.from_region)), where.get(str(r.site_id), pts.get(str(r.to_region)))
        geom.append(LineString([a, b]) if a is not None and b is not None and a != b else None)
    return gpd.GeoDataFrame(df, geometry=gpd.GeoSeries(geom, crs=CRS), crs=CRS)


def layer_description(name: str, columns, currency: str) -> str:
    """What one feature of layer ``name`` is, and the unit of each of its columns that has one."""
    units = [f"{c}: {u}" for c in columns if c != "geometry" and (u := column_unit(c, currency))]
    return f"{LAYERS[name][1]}. CRS EPSG:4326. Units: " + ("; ".join(units) if units else "none") + "."


def layers(tables: Mapping[str, pd.DataFrame], region_set) -> dict[str, gpd.GeoDataFrame]:
    """Every layer of ``results.gpkg`` as a GeoDataFrame, keyed by layer name (in :data:`LAYERS` order)."""
    pts = region_points(region_set, tables.get("regions"))
    return {
        "regions": regions_layer(region_set, tables),
        "sites": sites_layer(tables),
        "clusters": clusters_layer(tables),
        "corridors": corridors_layer(tables, pts),
        "flows": flows_layer(tables, pts),
        "certificate_trades": certificate_trades_layer(tables, pts),
    }


def write_gpkg(tables: Mapping[str, pd.DataFrame], region_set, path: str | Path, currency: str = "") -> Path:
    """Write the layers of :func:`layers` into the GeoPackage ``path`` (replaced if present); returns it."""
    import pyogrio

    path = Path(path)
    if path.exists():
        path.unlink()
    currency = currency or str(getattr(region_set, "currency", "") or "")
    # the GeoPackage records a last-change time per layer: pinned so that a run's file is reproducible
    pyogrio.set_gdal_config_options({"OGR_CURRENT_DATE": "2000-01-01T00:00:00.000Z"})
    try:
        for name, gdf in layers(tables, region_set).items():
            gdf = _text(gdf)
            gtype = LAYERS[name][0]
            kinds = set(gdf.geometry.dropna().geom_type) if len(gdf) else set()
            if name == "regions" and kinds and kinds <= {"Point"}:
                gtype = "Point"  # a region set without boundary polygons: its regions are points
            gdf.to_file(
                path,
                layer=name,
                driver="GPKG",
                engine="pyogrio",
                geometry_type=gtype,
                promote_to_multi=gtype.startswith("Multi"),
                layer_options={"DESCRIPTION": layer_description(name, gdf.columns, currency)},
            )
    finally:
        pyogrio.set_gdal_config_options({"OGR_CURRENT_DATE": None})
    return path


def write_run_gpkg(result, region_set, folder: Path) -> Path:
    """``results.gpkg`` of a solved run into ``folder`` (numbers as in the CSV files)."""
    return write_gpkg(as_in_csv(result.tables), region_set, Path(folder) / FILE_NAME, currency=result.currency)
