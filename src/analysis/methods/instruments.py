"""Programme instruments, skills and innovation: the computations behind notebook 05.

Functions take the tidy tables of :mod:`analysis.data.loaders.programme` (and geography tables)
and return DataFrames; none of them reads data.

- Fonds friches (regional *recyclage foncier* calls 2021-2022 and the Fonds vert 2023 call):
  :func:`friches_calls_summary` (candidates, laureates, industrial or mining brownfields,
  by edition and optionally région), :func:`friches_laureate_sites` (laureate dossiers
  placed in their communes through the Cartofriches sites) and :func:`share_in_area`
  (how many of them lie in a set of communes, e.g. the Territoires d'industrie) and
  :func:`laureates_inside_areas` (that share for several areas, against their population share).
- Cartofriches sites: :func:`site_areas_ha` (surface of named sites, hectares).
- Métiers 2030 (DARES / France Stratégie): :func:`net_creation_by_occupation` (net job
  creation 2019-2030 by occupation, summed over the metropolitan régions).
- Patents: :func:`patent_shares` (share of each département in patent counts, ranked) and
  :func:`top_share` / :func:`share_of` (share of the top ``n`` or of a given list).
- :func:`expand_departements`: départements of a list mixing régions, former régions and
  départements (e.g. 'Alsace' = 67 + 68).
- Territory facts: :func:`sector_growth_excluding` (salaried-job growth of one zone leaving
  sectors out, e.g. ESTEL jobs outside non-market services) and :func:`indicator_values`
  (one census indicator for some EPCIs and France).
- :func:`published_context`: published series quoted from ``PUBLISHED_FIGURES.md``
  (kept in ``data/published_series.csv``) (écoles de production, engineering graduates), shown as context
  only: they are quoted, never computed.
- Figures: drawn in :mod:`analysis.report.charts.instruments`.
"""

from __future__ import annotations

from typing import Iterable, Mapping

import numpy as np
import pandas as pd

from analysis.methods import dynamics
from analysis.paths import DATA_DIR

__all__ = [
    "friches_calls_summary", "friches_laureate_sites", "share_in_area", "laureates_inside_areas", "site_areas_ha",
    "net_creation_by_occupation", "patent_shares", "top_share", "share_of", "expand_departements",
    "FORMER_REGIONS", "sector_growth_excluding", "indicator_values", "PUBLISHED_SERIES_CSV", "published_context",
]


# =============================================================================================
# Fonds friches
# =============================================================================================


def friches_calls_summary(dossiers: pd.DataFrame, by: Iterable[str] = ("edition",)) -> pd.DataFrame:
    """Candidates, laureates and industrial or mining brownfields of the recycling calls.

    ``dossiers``: one row per candidate dossier with ``laureate`` (bool) and
    ``industrial_or_mining`` (bool), plus the ``by`` columns (e.g. ``edition``,
    ``edition_name``, ``reg_name``), as :func:`analysis.data.loaders.programme.load_fonds_friches`.

    Returns one row per group: ``candidates``, ``laureates``, ``laureate_rate`` (fraction),
    ``industrial_candidates``, ``industrial_laureates`` (dossiers whose brownfield nature
    includes 'industrielle ou minière'; a dossier may declare several natures) and
    ``industrial_share_of_laureates`` (fraction). Counts are dossiers, not sites.
    """
    by = list(by)
    d = dossiers.assign(_lau=dossiers["laureate"].fillna(False).astype(bool),
                        _ind=dossiers["industrial_or_mining"].fillna(False).astype(bool))
    d["_ind_lau"] = d["_lau"] & d["_ind"]
    g = d.groupby(by, dropna=False, sort=True)
    out = pd.DataFrame({
        "candidates": g.size(),
        "laureates": g["_lau"].sum(),
        "industrial_candidates": g["_ind"].sum(),
        "industrial_laureates": g["_ind_lau"].sum(),
    }).astype("int64")
    out["laureate_rate"] = out["laureates"] / out["candidates"]
    out["industrial_share_of_laureates"] = out["industrial_laureates"] / out["laureates"].where(out["laureates"] > 0)
    cols = ["candidates", "laureates", "laureate_rate", "industrial_candidates", "industrial_laureates",
            "industrial_share_of_laureates"]
    return out[cols].reset_index()


def friches_laureate_sites(sites: pd.DataFrame, dossiers: pd.DataFrame, *, laureates_only: bool = True,
                           industrial_only: bool = False) -> pd.DataFrame:
    """Fonds friches dossiers placed in their communes through the Cartofriches sites.

    ``sites``: Cartofriches rows with ``dossier_id`` (parsed from 'Dossier N° ...', NA
    otherwise) and ``com`` (commune code); ``dossiers``: as in :func:`friches_calls_summary`
    with ``dossier_id`` and ``edition``. Only the three Fonds friches editions carry a
    dossier number in Cartofriches; Fonds vert 2023 sites cannot be joined.

    Returns one row per (dossier, commune): ``dossier_id``, ``edition``, ``laureate``,
    ``industrial_or_mining``, ``com``, ``n_sites`` (Cartofriches sites of that dossier in
    that commune). A dossier with sites in several communes has several rows.
    """
    s = sites.dropna(subset=["dossier_id"])
    s = s.groupby(["dossier_id", "com"], as_index=False).size().rename(columns={"size": "n_sites"})
    keep = ["dossier_id", "edition", "laureate", "industrial_or_mining"]
    out = s.merge(dossiers[keep], on="dossier_id", how="inner")
    if laureates_only:
        out = out[out["laureate"].fillna(False).astype(bool)]
    if industrial_only:
        out = out[out["industrial_or_mining"].fillna(False).astype(bool)]
    cols = ["dossier_id", "edition", "laureate", "industrial_or_mining", "com", "n_sites"]
    return out[cols].sort_values(["edition", "dossier_id", "com"], ignore_index=True)


def share_in_area(placed: pd.DataFrame, area_coms: Iterable[str], by: Iterable[str] = ("edition",),
                  unit: str = "dossier_id") -> pd.DataFrame:
    """How many units (dossiers) have at least one commune inside an area, by group.

    ``placed``: rows with ``unit``, ``com`` and the ``by`` columns (e.g. the output of
    :func:`friches_laureate_sites`); ``area_coms``: commune codes of the area (e.g. every
    commune of a Territoires d'industrie wave). A unit counts as inside if ANY of its
    communes is inside. Returns ``units``, ``inside``, ``share_inside`` (fraction) per group
    and a final row 'all' when ``by`` has one column.
    """
    by = list(by)
    # (as objects: pandas' isin on its arrow-backed strings converts the ~10,000 codes of a wave at every call,
    # 40 ms; a hash lookup takes 1 ms)
    inside = placed.assign(_in=placed["com"].astype(object).isin(set(area_coms)))
    per_unit = inside.groupby(by + [unit], as_index=False)["_in"].any()
    g = per_unit.groupby(by, sort=True)["_in"]
    out = pd.DataFrame({"units": g.size(), "inside": g.sum()}).astype("int64").reset_index()
    if len(by) == 1:
        total = pd.DataFrame({by[0]: ["all"], "units": [int(out["units"].sum())], "inside": [int(out["inside"].sum())]})
        out = pd.concat([out.astype({by[0]: object}), total], ignore_index=True)
    out["share_inside"] = out["inside"] / out["units"]
    return out


def laureates_inside_areas(placed: pd.DataFrame, areas: Mapping[str, Iterable[str]], communes: pd.DataFrame,
                           label: str = "wave") -> pd.DataFrame:
    """Share of placed laureate dossiers inside each of several areas, against the areas' population share.

    ``placed``: :func:`friches_laureate_sites` (one row per dossier x commune, with
    ``industrial_or_mining``); ``areas``: name -> commune codes (e.g. each Territoires
    d'industrie wave -> the communes of its TIs); ``communes``: every commune with ``com``
    and ``population`` (e.g. :func:`analysis.geo.areas.communes`, the denominator).

    Returns one row per area (column ``label``): ``laureates_in_ti`` and
    ``industrial_laureates_in_ti`` (fractions of dossiers with at least one site inside,
    :func:`share_in_area`), ``industrial_n`` (industrial or mining dossiers placed) and
    ``population_share_of_ti`` (fraction of the population of ``communes`` living inside,
    each commune counted once). A share of dossiers above the population share means the
    dossiers are over-represented in the area.
    """
    industrial = placed[placed["industrial_or_mining"].fillna(False).astype(bool)]
    total_pop = communes["population"].sum()
    rows = []
    for name, coms in areas.items():
        coms = set(coms)
        a = share_in_area(placed, coms).set_index("edition").loc["all"]
        b = share_in_area(industrial, coms).set_index("edition").loc["all"]
        pop = communes.loc[communes["com"].astype(object).isin(coms), "population"].sum()
        rows.append({label: name, "laureates_in_ti": a["share_inside"], "industrial_laureates_in_ti": b["share_inside"],
                     "industrial_n": int(b["units"]), "population_share_of_ti": pop / total_pop})
    return pd.DataFrame(rows)


def site_areas_ha(sites: pd.DataFrame, com: str, name_pattern: str) -> pd.DataFrame:
    """Surface of the Cartofriches sites of a commune whose name matches a pattern, in hectares.

    ``sites``: Cartofriches rows (``com``, ``site_nom``, ``source_r``, ``site_type``,
    ``site_surface`` and ``unite_fonciere_surface`` in m²). ``name_pattern``: a
    case-insensitive regular expression on ``site_nom``. Returns ``site_nom``, ``source_r``,
    ``site_type``, ``site_ha`` (declared site surface) and ``parcel_ha`` (surface of the land
    unit, *unité foncière*), sorted by name.
    """
    m = sites[(sites["com"] == com) & sites["site_nom"].str.contains(name_pattern, case=False, regex=True, na=False)]
    out = pd.DataFrame({
        "site_nom": m["site_nom"].astype(str), "source_r": m["source_r"].astype(str),
        "site_type": m["site_type"].astype(str),
        "site_ha": m["site_surface"].astype(float) / 1e4, "parcel_ha": m["unite_fonciere_surface"].astype(float) / 1e4,
    })
    return out.sort_values("site_nom", ignore_index=True)


# =============================================================================================
# Métiers 2030
# =============================================================================================


def net_creation_by_occupation(metiers: pd.DataFrame, variable: str = "creations_destructions_milliers") -> pd.DataFrame:
    """Net job creation 2019-2030 by occupation (FAP family), summed over the régions.

    ``metiers``: tidy Métiers 2030 table (``fap``, ``fap_name``, ``fap_grouped``, ``reg``,
    ``variable``, ``value``) as :func:`analysis.data.loaders.programme.load_metiers_2030`.
    ``variable``: a ``*_milliers`` variable (thousands); the result is in jobs.

    Coverage: the 13 metropolitan régions (no overseas data: national sums are metropolitan
    France). Corsica's merged families (``fap_grouped``) cannot be split and are left out,
    so a family's sum covers 12 or 13 régions (``n_regions``).

    Returns one row per family: ``fap``, ``fap_name``, ``n_regions``, ``jobs`` (net
    creation, persons), ``rank`` (1 = largest creation), sorted by rank.
    """
    if not variable.endswith("_milliers"):
        raise ValueError(f"{variable!r} is not a count in thousands (use a *_milliers variable)")
    m = metiers[(metiers["variable"] == variable) & ~metiers["fap_grouped"].astype(bool)]
    g = m.groupby(["fap", "fap_name"], as_index=False).agg(n_regions=("reg", "nunique"), jobs=("value", "sum"))
    g["jobs"] = g["jobs"] * 1000.0
    g = g.sort_values(["jobs", "fap"], ascending=[False, True], ignore_index=True)
    g["rank"] = range(1, len(g) + 1)
    return g[["rank", "fap", "fap_name", "n_regions", "jobs"]]


# =============================================================================================
# Patents
# =============================================================================================


def patent_shares(patents: pd.DataFrame, by: str = "dep", count: str = "n_patents") -> pd.DataFrame:
    """Patent counts by département (or another column), ranked, with shares.

    Rows with no ``by`` value are kept as '(unknown)' in the denominator. Returns ``rank``,
    ``by``, ``patents``, ``share`` (fraction of all patents) and ``cumulative_share``.
    """
    s = patents.groupby(patents[by].astype("string").fillna("(unknown)"))[count].sum().astype(float)
    out = s.rename("patents").rename_axis(by).reset_index()
    out = out.sort_values(["patents", by], ascending=[False, True], ignore_index=True)
    out["share"] = out["patents"] / out["patents"].sum()
    out["cumulative_share"] = out["share"].cumsum()
    out.insert(0, "rank", range(1, len(out) + 1))
    return out


def top_share(shares: pd.DataFrame, n: int = 10, by: str = "dep") -> float:
    """Share (fraction) of all patents held by the ``n`` largest known départements."""
    known = shares[shares[by] != "(unknown)"]
    return float(known.nlargest(n, "patents")["patents"].sum() / shares["patents"].sum())


def share_of(shares: pd.DataFrame, codes: Iterable[str], by: str = "dep") -> float:
    """Share (fraction) of all patents held by the départements ``codes``."""
    codes = set(codes)
    return float(shares.loc[shares[by].isin(codes), "patents"].sum() / shares["patents"].sum())


#: Former régions (before 2016) named in the texts, as lists of départements.
FORMER_REGIONS = {"Alsace": ("67", "68")}


def expand_departements(communes: pd.DataFrame, *, regions: Iterable[str] = (), former_regions: Iterable[str] = (),
                        departements: Iterable[str] = (), exclude: Iterable[str] = ()) -> list[str]:
    """Départements of a list mixing régions (codes), former régions (names of
    :data:`FORMER_REGIONS`) and départements (codes), minus ``exclude``.

    ``communes``: a table with ``dep`` and ``reg`` columns (e.g. :func:`analysis.geo.areas.communes`).
    Returns the sorted list of département codes.
    """
    pairs = communes[["dep", "reg"]].drop_duplicates()
    out = set(pairs.loc[pairs["reg"].isin(set(regions)), "dep"])
    for name in former_regions:
        if name not in FORMER_REGIONS:
            raise KeyError(f"unknown former région {name!r}; known: {sorted(FORMER_REGIONS)}")
        out |= set(FORMER_REGIONS[name])
    deps = set(departements)
    unknown = deps - set(pairs["dep"])
    if unknown:
        raise KeyError(f"unknown département code(s) {sorted(unknown)}")
    out |= deps
    return sorted(out - set(exclude))


# =============================================================================================
# Territory facts
# =============================================================================================


def sector_growth_excluding(series: pd.DataFrame, zone: str, start: int, end: int, *, exclude: Iterable[str] = ("OQ",),
                            zone_col: str = "ze2010", total: str = "TT") -> pd.DataFrame:
    """Employment growth of one zone with some sectors left out of the total.

    ``series``: zone x sector x year employment with ``zone_col``, ``sector``, ``year``,
    ``employment`` (e.g. :func:`analysis.data.loaders.employment.load_estel_ze2010_salaried`:
    INSEE ESTEL salaried jobs at 31 December, all employers, ZE2010, A5 sectors AZ, BE, FZ,
    GU, OQ and the total TT). ``exclude``: sectors subtracted from ``total``; the default
    leaves out OQ (public administration, education, health and social work: mostly
    non-market services), which approximates *market-sector* salaried jobs, not private
    employers' jobs.

    Returns one row (:func:`analysis.methods.dynamics.growth_table`): ``code``, ``emp_start``,
    ``emp_end`` (jobs), ``change``, ``growth`` (fraction), ``growth_pa``, plus ``start``,
    ``end`` and ``excluded`` ('+'-joined sector codes).
    """
    exclude = list(exclude)
    z = series[series[zone_col] == zone]
    if z.empty:
        raise KeyError(f"zone {zone!r} not in the series")
    wide = z.pivot_table(index="year", columns="sector", values="employment", aggfunc="sum")
    missing = sorted(set([total] + exclude) - set(wide.columns))
    if missing:
        raise KeyError(f"sector(s) {missing} not in the series")
    kept = wide[total] - wide[exclude].sum(axis=1, min_count=len(exclude))
    long = pd.DataFrame({"code": zone, "year": kept.index.astype(int), "employment": kept.to_numpy()})
    out = dynamics.growth_table(long, start, end)
    out.insert(1, "start", start)
    out.insert(2, "end", end)
    out["excluded"] = "+".join(exclude)
    return out


def indicator_values(indicators: pd.DataFrame, codes: Iterable[str], indicator: str) -> pd.Series:
    """One indicator for some EPCIs and for France.

    ``indicators``: :func:`analysis.data.loaders.employment.load_territorial_indicators_epci`
    (``code``, ``is_france``, ``indicator``, ``value``; unit as in its ``unit`` column, e.g.
    % for ``eco_sectindus_pct_22``, the census 2022 share of jobs at place of work in
    industry). Returns a Series indexed by the ``codes`` in the order given, then
    ``'France'``. An unknown code or indicator raises ``KeyError``.
    """
    d = indicators[indicators["indicator"] == indicator]
    if d.empty:
        raise KeyError(f"no indicator {indicator!r}")
    by_code = d[~d["is_france"].astype(bool)].set_index("code")["value"]
    codes = list(codes)
    unknown = [c for c in codes if c not in by_code.index]
    if unknown:
        raise KeyError(f"no {indicator!r} value for {unknown}")
    france = d.loc[d["is_france"].astype(bool), "value"]
    out = pd.concat([by_code.loc[codes].astype(float), pd.Series({"France": float(france.iloc[0])})])
    return out.rename(indicator)


# =============================================================================================
# Published context (quoted, not computed)
# =============================================================================================

#: Published counts gathered in ``PUBLISHED_FIGURES.md`` (Programme instruments, claims 4 and 6),
#: kept as data in ``data/published_series.csv`` (series, year, value, unit, source, url):
#: QUOTED figures, shown as context next to claims no mirrored file can check. Never computed.
PUBLISHED_SERIES_CSV = DATA_DIR / "published_series.csv"


def published_context(series: str, path=PUBLISHED_SERIES_CSV) -> pd.DataFrame:
    """One quoted series of ``data/published_series.csv`` (``year``, ``value``, ``unit``, ``source``, ``url``)."""
    table = pd.read_csv(path, dtype={"series": str, "unit": str, "source": str, "url": str})
    out = table[table["series"] == series]
    if out.empty:
        raise KeyError(f"no published series {series!r} in {path}; known: {sorted(table['series'].unique())}")
    return out.drop(columns="series").reset_index(drop=True)
