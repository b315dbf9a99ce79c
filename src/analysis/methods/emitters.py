"""EU ETS emitting sites: national ranking, shares by year, and the sites of any territory.

Functions take the long table of :func:`analysis.data.loaders.ets.load_eutl_emissions_fr_geo`
(``installation_id``, ``name``, ``kind``, ``activity_code``, ``lon``, ``lat``, ``year``,
``emissions_t``: verified emissions, t CO2e, stationary installations only, aviation excluded)
and never fetch. An installation is an EU ETS account: one industrial site may hold several.
An installation absent in a year (not yet in the ETS, closed, or no verified figure) has no row:
it is counted as absent, never as zero, and every total says how many installations it sums.

The territory functions take plain inputs: polygons (any GeoDataFrame / GeoSeries / shapely
geometry in WGS84 longitude-latitude, e.g. EPCI or zone d'emploi outlines) or a list of
installation ids, so that any territory profile can call them.
"""

from __future__ import annotations

import pandas as pd


class EmittersError(ValueError):
    """A year without data, a bad ranking size or polygons in an unexpected projection."""


def totals_by_year(emissions: pd.DataFrame) -> pd.DataFrame:
    """Verified emissions of all installations in the table by year: ``year``, ``emissions_t``, ``n_sites``."""
    e = emissions.dropna(subset=["emissions_t"])
    return e.groupby("year", as_index=False).agg(emissions_t=("emissions_t", "sum"), n_sites=("installation_id", "nunique"))


def top_sites(emissions: pd.DataFrame, n: int = 50, year: int = 2022) -> pd.DataFrame:
    """The ``n`` installations with the largest verified emissions in ``year``.

    Returns ``rank``, ``installation_id``, ``name``, ``kind``, ``zip_code``, ``lon``, ``lat``,
    ``emissions_t``, ``share`` (of all installations in the table that year, 0-1), ``cum_share``.
    Ties are broken by installation id so that the list is deterministic.
    """
    if n < 1:
        raise EmittersError(f"n must be a positive number of sites, got {n}")
    y = emissions[(emissions["year"] == year) & emissions["emissions_t"].notna()]
    if y.empty:
        raise EmittersError(f"no verified emissions in {year}; years present: "
                            f"{int(emissions['year'].min())}-{int(emissions['year'].max())}")
    total = float(y["emissions_t"].sum())
    cols = [c for c in ["installation_id", "name", "kind", "zip_code", "lon", "lat", "emissions_t"] if c in y.columns]
    top = y.sort_values(["emissions_t", "installation_id"], ascending=[False, True]).head(n)[cols].reset_index(drop=True)
    top.insert(0, "rank", range(1, len(top) + 1))
    top["share"] = top["emissions_t"] / total
    top["cum_share"] = top["share"].cumsum()
    return top


def top_share_by_year(emissions: pd.DataFrame, n: int = 50, fixed_year: int | None = None) -> pd.DataFrame:
    """Share of the ``n`` largest emitters in each year's total (0-1).

    ``fixed_year=None``: the top ``n`` are re-ranked every year; otherwise the list of
    ``fixed_year`` is followed through the years (its members absent in a year count as absent).
    Returns ``year``, ``top_t``, ``total_t``, ``share``, ``n_sites`` (installations in the total),
    ``n_top`` (top installations present that year).
    """
    tot = totals_by_year(emissions).set_index("year")
    e = emissions.dropna(subset=["emissions_t"])
    fixed = set(top_sites(emissions, n, fixed_year)["installation_id"]) if fixed_year is not None else None
    rows = []
    for year, g in e.groupby("year"):
        part = g[g["installation_id"].isin(fixed)] if fixed is not None else g.nlargest(n, "emissions_t")
        rows.append({"year": int(year), "top_t": float(part["emissions_t"].sum()), "total_t": float(tot.loc[year, "emissions_t"]),
                     "n_sites": int(tot.loc[year, "n_sites"]), "n_top": int(len(part))})
    out = pd.DataFrame(rows)
    out["share"] = out["top_t"] / out["total_t"]
    return out[["year", "top_t", "total_t", "share", "n_sites", "n_top"]]


def site_table(emissions: pd.DataFrame) -> pd.DataFrame:
    """One row per installation: ``installation_id``, ``name``, ``kind``, ``lon``, ``lat``, ``first_year``,
    ``last_year`` (years with a verified figure)."""
    e = emissions.dropna(subset=["emissions_t"])
    g = e.groupby("installation_id").agg(first_year=("year", "min"), last_year=("year", "max"))
    info = emissions.sort_values("year").drop_duplicates("installation_id", keep="last").set_index("installation_id")
    cols = [c for c in ["name", "kind", "zip_code", "lon", "lat"] if c in info.columns]
    return info[cols].join(g, how="inner").reset_index()


def _as_geoseries(polygons):
    import geopandas as gpd
    from shapely.geometry.base import BaseGeometry

    if isinstance(polygons, BaseGeometry):
        return gpd.GeoSeries([polygons], crs="EPSG:4326")
    gs = polygons.geometry if isinstance(polygons, gpd.GeoDataFrame) else polygons
    if gs.crs is not None and not gs.crs.equals("EPSG:4326"):
        gs = gs.to_crs("EPSG:4326")
    return gs


def sites_within(emissions: pd.DataFrame, polygons) -> list[str]:
    """Ids of the installations whose point (``lon``, ``lat``, WGS84) lies inside ``polygons``
    (a shapely geometry, GeoSeries or GeoDataFrame; reprojected to WGS84 if it has another CRS)."""
    import geopandas as gpd

    shape = _as_geoseries(polygons).union_all()
    sites = site_table(emissions)
    pts = gpd.GeoSeries(gpd.points_from_xy(sites["lon"], sites["lat"]), crs="EPSG:4326")
    return sorted(sites.loc[pts.within(shape).to_numpy(), "installation_id"])


def area_trend(emissions: pd.DataFrame, installation_ids) -> pd.DataFrame:
    """Verified emissions of a set of installations by year: ``year``, ``emissions_t``, ``n_sites``
    (installations with a figure that year). Years where none reports are absent, not zero."""
    ids = set(installation_ids)
    return totals_by_year(emissions[emissions["installation_id"].isin(ids)])


def emissions_by_zone(emissions: pd.DataFrame, zones, code: str, year: int) -> pd.DataFrame:
    """Verified emissions of ``year`` summed by zone (a GeoDataFrame with a ``code`` column, e.g.
    zones d'emploi 2020): ``code``, ``emissions_t``, ``n_sites``, ``share`` (of the year's total of the
    installations located in any zone). Installations outside every zone are reported in ``attrs['outside']``."""
    import geopandas as gpd

    y = emissions[(emissions["year"] == year) & emissions["emissions_t"].notna()]
    pts = gpd.GeoDataFrame(y, geometry=gpd.points_from_xy(y["lon"], y["lat"]), crs="EPSG:4326")
    z = zones[[code, "geometry"]].to_crs("EPSG:4326") if zones.crs is not None else zones[[code, "geometry"]]
    j = gpd.sjoin(pts, z, how="left", predicate="within").drop_duplicates("installation_id")
    inside = j[j[code].notna()]
    out = inside.groupby(code, as_index=False).agg(emissions_t=("emissions_t", "sum"), n_sites=("installation_id", "nunique"))
    out["share"] = out["emissions_t"] / out["emissions_t"].sum()
    out = out.sort_values("emissions_t", ascending=False, ignore_index=True)
    out.attrs["outside"] = sorted(j.loc[j[code].isna(), "installation_id"])
    return out
