"""Key figures of any territory, each with what it measured, for one area or thousands at once.

The profile (notebook 06, ``recalcul profile``) and the atlas print these figures; both call
:func:`key_figures_many` (vectorised: one pass over the public tables for every area given),
:func:`key_figures` being its one-area case. Every figure is a :class:`analysis.methods.measured.Measured`
row: value, unit, period, base, area measured, coverage of the territory, source, secret share, note.

Own geography first (:data:`FIGURES`):

- ``population`` -- municipal population of the territory's 2024 communes (own geography);
- ``private_jobs`` (2024) and ``private_jobs_growth_pct`` (2019-2024) -- URSSAF private salaried
  headcounts of the territory's own communes (cells rule: growth on communes published in both years);
- ``industry_share_pct`` -- census share of industry in jobs (place of work): the 2022 EPCI indicator for a
  territory made of whole EPCIs (several EPCIs weighted by their 2016 census jobs), else the 2016 share of the
  *Fabrication* function in the census functional analysis of its communes (another definition: the note
  says so);
- ``industry_jobs`` (2024) and ``industry_jobs_growth_pct`` (2019-2024) -- industry B-E: on the territory's own
  communes from the official URSSAF commune x APE file when it was downloaded (``recalcul official``); otherwise
  from URSSAF zone d'emploi 2020 x A38, the mirror having no industry series at a finer geography, measured on
  the zones d'emploi with at least half of their population in the territory (base ``zone proxy``, with the share
  of the territory's inhabitants they hold and their own population); missing, with the reason, when no zone
  qualifies;
- ``unemployment_rate_pct`` -- INSEE localised rate, last quarter, of the zones d'emploi where the territory's
  inhabitants live, weighted by those inhabitants (base ``zone rates``);
- ``ets_sites`` and ``ets_verified_emissions_2022_kt`` -- EU ETS installations placed in their own commune
  (:func:`analysis.methods.emitters.place_sites`; only sites whose commune is a member count).

A secret or absent cell is never read as 0: levels sum the published cells and say how many are secret
(a lower bound), growth rates use the cells published in both years (:mod:`analysis.methods.cells`).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Sequence

import numpy as np
import pandas as pd

from analysis.data.cache import derived
from analysis.geo import tables as geography
from analysis.geo.areas import require_areas
from analysis.methods import cells as _cells
from analysis.methods.measured import CENSUS, COLUMNS, OWN, ZONE_PROXY, ZONE_RATES, Measured

__all__ = ["FIGURES", "Inputs", "load_inputs", "key_figures", "key_figures_many", "membership", "wide"]

#: Figure id -> unit. Every area gets one row per figure, missing ones with their reason.
FIGURES = {
    "population": "inhabitants",
    "private_jobs": "jobs",
    "private_jobs_growth_pct": "%",
    "industry_share_pct": "% of jobs",
    "industry_jobs": "jobs",
    "industry_jobs_growth_pct": "%",
    "unemployment_rate_pct": "% of the labour force",
    "ets_sites": "installations",
    "ets_verified_emissions_2022_kt": "kt CO2e",
}
GROWTH = (2019, 2024)
ETS_YEAR = 2022
ZONE_THRESHOLD = 0.5
#: Registry keys of the files behind each figure (data/registry.csv).
SOURCES = {
    "population": "insee_table_appartenance_geo_communes_2024, etalab_decoupage_administratif_epci",
    "private_jobs": "urssaf_private_employment_total_by_area_2014_2024",
    "industry_share_epci": "territorial_indicators_epci_2025, insee_analyse_fonctionnelle_communes_2016",
    "industry_share_communes": "insee_analyse_fonctionnelle_communes_2016",
    "industry_jobs": "urssaf_ze2020_a38_2019_2022_2023_2024",
    "unemployment": "insee_chomage_localise_ze2020_2021t1_2025t4",
    "ets": "eutl_installations_fr, eutl_emissions_fr_geo_2005_2022, laposte_hexasmal_2022",
}


@dataclass(frozen=True)
class Inputs:
    """The public tables the key figures are computed from (:func:`load_inputs` reads them once).

    ``communes``: :func:`analysis.geo.tables.communes`; ``private_cells``: commune x 'total' x year URSSAF
    private employment; ``industry_cells``: ZE2020 x A38 industry cells; ``census_epci``: EPCI -> 2022
    census industry share (%); ``census_communes``: commune -> 2016 census jobs, total and *Fabrication*;
    ``rates``: INSEE localised unemployment by ZE2020 and quarter; ``ets``: one row per placed EU ETS
    installation (``installation_id``, ``com``, ``emissions_t`` of :data:`ETS_YEAR`, NaN if not reported) or
    None when the placement is not available."""

    communes: pd.DataFrame
    private_cells: pd.DataFrame
    industry_cells: pd.DataFrame
    census_epci: pd.Series
    census_communes: pd.DataFrame
    rates: pd.DataFrame
    ets: pd.DataFrame | None = None
    #: Commune (2024) x A38 industry cells of the official URSSAF commune x APE file (``code`` = commune,
    #: ``sector``, ``year``, ``employment``; NaN = a cell with establishments but no headcount), when it was
    #: downloaded (``recalcul official``): industry figures are then measured on the territory's own communes.
    official_cells: pd.DataFrame | None = None


def official_industry_cells() -> pd.DataFrame | None:
    """The official file's industry cells by 2024 commune for :data:`GROWTH`'s years, or None when the file is not
    in the cache (or ``ANALYSIS_OFFICIAL=offline``) or lacks one of those years. File communes are placed in
    2024 communes by :func:`analysis.methods.official_aggregate.crosswalk` (unplaced ones are left out); a
    commune x sector x year with establishments but no headcount is missing (NaN), never 0, and so is a 2024
    commune one of whose file codes is."""
    from analysis.data import official
    from analysis.methods import dynamics, official_aggregate as oa

    if not official.available():
        return None
    ca, years = oa.commune_a38(official.verified_path())
    if not set(GROWTH) <= set(years):
        return None
    cw = oa.crosswalk(ca[["com", "file_ze2020", "file_epci", "file_dep"]].drop_duplicates("com"))
    ind = ca[ca["a38"].isin(dynamics.sector_codes("industry"))].merge(cw[["com", "com_2024"]], on="com")
    ind = ind[ind["com_2024"].notna()]
    parts = []
    for y in GROWTH:
        g = ind.groupby(["com_2024", "a38"], as_index=False).agg(emp=(f"emp_{y}", lambda v: v.sum(min_count=1)),
                                                                  miss=(f"miss_{y}", "sum"))
        parts.append(pd.DataFrame({"code": g["com_2024"], "sector": g["a38"], "year": y,
                                   "employment": g["emp"].where(g["miss"] == 0)}))
    return pd.concat(parts, ignore_index=True)


def load_inputs() -> Inputs:
    """Read the public tables behind the key figures (parsed-table cache; about a second warm)."""
    from analysis.data.loaders import employment as E
    from analysis.data.loaders import unemployment as U
    from analysis.methods import dynamics

    priv = dynamics.employment_cells("urssaf_totals_by_area", "total", GROWTH)
    priv = priv[priv["zoning"] == "commune"]
    ind = dynamics.employment_cells("urssaf_ze2020_a38", "industry", GROWTH)
    ind = ind[ind["zoning"] == "ze2020"]
    ti = E.load_territorial_indicators_epci()
    share = ti[(ti["indicator"] == "eco_sectindus_pct_22") & ~ti["is_france"]].set_index("code")["value"].astype(float)
    fc = census_jobs_2016().set_index("commune")
    rates = U.load_chomage_ze2020_2021_2025()
    ets = placed_ets_sites()
    return Inputs(communes=geography.communes(), private_cells=priv, industry_cells=ind, census_epci=share,
                  census_communes=fc, rates=rates, ets=ets, official_cells=official_industry_cells())


@derived(version=1)
def census_jobs_2016() -> pd.DataFrame:
    """2016 census jobs at the place of work by commune (census communes of 2016): ``commune``, ``jobs`` (all
    functions) and ``fabrication`` (the *Fabrication* function), from :func:`analysis.data.loaders.employment.
    load_census_functions`; a commune without either count is left out. Kept in the data cache
    (:func:`analysis.data.cache.derived`): the census table has 3 million rows (0.5 s to read)."""
    from analysis.data.loaders import employment as E

    f = E.load_census_functions()
    f = f[(f["year"] == 2016) & (f["scope"] == "all") & f["function"].isin(["TOTAL", "FABRIC"])]
    fc = f.pivot_table(index="commune", columns="function", values="jobs", aggfunc="sum", observed=False)
    fc = fc.rename(columns={"TOTAL": "jobs", "FABRIC": "fabrication"})[["jobs", "fabrication"]]
    fc.columns.name = None
    out = fc.reset_index()
    out["commune"] = out["commune"].astype(str)
    return out


def placed_ets_sites() -> pd.DataFrame:
    """EU ETS installations placed in their own commune (:func:`analysis.methods.emitters.placed_ets_sites`)
    with their :data:`ETS_YEAR` verified emissions (t; NaN when not reported): ``installation_id``, ``com``
    (NaN when unplaced), ``method``, ``emissions_t``."""
    from analysis.data.loaders import ets as ets_loaders
    from analysis.methods import emitters

    placed = emitters.placed_ets_sites()
    em = ets_loaders.load_eutl_emissions_fr_geo()
    year = em[em["year"] == ETS_YEAR].groupby("installation_id")["emissions_t"].sum(min_count=1)
    out = placed[["installation_id", "com", "method"]].copy()
    out["com"] = out["com"].where(out["method"] != "unplaced")
    out["emissions_t"] = out["installation_id"].map(year)
    return out


def membership(areas: Sequence) -> pd.DataFrame:
    """One row per (area position, commune): ``area``, ``com``, ``population``, ``epci``, ``ze2020``."""
    columns = ["com", "population", "epci", "ze2020"]
    if not len(areas):
        return pd.DataFrame(columns=["area", *columns])
    frames = [a.communes for a in areas]  # rows of one commune table: the same dtypes (one concat per column)
    data = {"area": np.repeat(np.arange(len(frames)), [len(f) for f in frames])}
    for col in columns:
        data[col] = pd.Series(np.concatenate([f[col].to_numpy() for f in frames]), dtype=frames[0][col].dtype)
    return pd.DataFrame(data)


def _pct(x) -> float:
    return float(np.round(100 * x, 1))


def _communes_label(k: int) -> str:
    return f"{k} commune{'s' if k != 1 else ''}"


def _names(codes: Sequence[str], names: pd.Series, limit: int = 6) -> str:
    shown = [f"{c} {names.get(c, '')}".strip() for c in codes[:limit]]
    return "; ".join(shown) + (f"; ... ({len(codes)} in all)" if len(codes) > limit else "")


# ---------------------------------------------------------------------------------------------
# Figure by figure, for every area at once: each returns {area position: [Measured, ...]}
# ---------------------------------------------------------------------------------------------

def _population(m: pd.DataFrame, n: int) -> dict[int, list[Measured]]:
    pop = m.groupby("area")["population"].sum()
    ncom = m.groupby("area")["com"].nunique()
    return {i: [Measured("population", int(pop.get(i, 0)), FIGURES["population"], "2024 geography", OWN,
                         _communes_label(int(ncom.get(i, 0))), 100.0, int(pop.get(i, 0)), SOURCES["population"], None,
                         "municipal population (population municipale) of the 2024 communes")] for i in range(n)}


def _none_published(communes: pd.Series, year: int) -> str:
    """Why a territory none of whose communes is in the URSSAF file of ``year`` has no private-jobs figure: Mayotte
    is outside the series; elsewhere a commune is absent when it has no private employer or its figure is secret,
    which the file does not tell apart (missing, not 0)."""
    n = communes.nunique()
    if communes.str.startswith("976").all():
        return f"none of the territory's communes is in the URSSAF {year} file (the series leaves Mayotte out)"
    what = "the commune is not" if n == 1 else f"none of the territory's {n} communes is"
    return (f"{what} in the URSSAF {year} file (no private employer, or a secret figure: the file does not tell "
            "them apart), so missing, not 0")


def _private_jobs(m: pd.DataFrame, n: int, inp: Inputs) -> dict[int, list[Measured]]:
    start, end = GROWTH
    period = f"{start}-{end}"
    cells = inp.private_cells.rename(columns={"code": "unit"})
    table = _cells.cell_table(cells, start, end, value="employment")
    groups = m[["com", "area"]].rename(columns={"com": "unit", "area": "code"})
    s = _cells.summarise(table, groups=groups).set_index("code")
    end_cells = groups.merge(cells[cells["year"] == end][["unit", "employment"]], on="unit", how="left")
    level = end_cells.groupby("code")["employment"].sum(min_count=1)
    absent = end_cells.groupby("code")["employment"].apply(lambda v: int(v.isna().sum()))
    ncom = groups.groupby("code")["unit"].nunique()
    out = {}
    for i in range(n):
        rows = []
        k, miss = int(ncom.get(i, 0)), int(absent.get(i, 0))
        note = (f"{miss} of {k} communes have no published figure in {end} (no private employer, or secret): "
                "not counted, so a lower bound") if miss else ""
        v = level.get(i, np.nan)
        if pd.isna(v):
            why = _none_published(groups.loc[groups["code"] == i, "unit"], end)
            rows.append(Measured.absent("private_jobs", FIGURES["private_jobs"], str(end),
                                        why if k else "the territory has no commune", source=SOURCES["private_jobs"]))
        else:
            rows.append(Measured("private_jobs", float(v), FIGURES["private_jobs"], str(end), OWN, _communes_label(k),
                                 100.0, None, SOURCES["private_jobs"], _pct(miss / k) if k else None, note))
        r = s.loc[i] if i in s.index else None
        if r is None or pd.isna(r["growth"]):
            why = "no commune published in both years" if r is None or not r["reason"] else r["reason"]
            if pd.isna(v) and k:  # nothing published in the end year: the same reason as the level's
                why = f"{why}: {_none_published(groups.loc[groups['code'] == i, 'unit'], end)}"
            rows.append(Measured.absent("private_jobs_growth_pct", "%", period, why, source=SOURCES["private_jobs"]))
        else:
            caveat = f"unreliable: {r['reason']}" if r["unreliable"] else ""
            rows.append(Measured("private_jobs_growth_pct", _pct(r["growth"]), "%", period, OWN,
                                 _communes_label(int(r["n_cells_both"])) + " published in both years", 100.0, None,
                                 SOURCES["private_jobs"], _pct(r["share_one_year"]),
                                 "; ".join(x for x in (caveat, f"{int(r['n_cells_one_year'])} communes published "
                                                       "in one year only, left out") if x and
                                           not x.startswith("0 communes"))))
        out[i] = rows
    return out


def _proxy_zones(m: pd.DataFrame, inp: Inputs) -> pd.DataFrame:
    """Zones d'emploi 2020 with at least half of their population in each area (the one zone-share rule,
    :func:`analysis.geo.tables.zone_shares`): ``code`` (area), ``ze2020``, ``population``, ``area_share``."""
    sh = geography.zone_shares(m[["com", "area"]].rename(columns={"area": "code"}), "ze2020", ZONE_THRESHOLD,
                               group="code")
    return sh[sh["flag"] & (sh["population_in"] > 0)]


def _industry_jobs_own(m: pd.DataFrame, n: int, inp: Inputs) -> dict[int, list[Measured]]:
    """Industry jobs and their growth on the territory's own communes, from the official commune x APE file."""
    start, end = GROWTH
    period = f"{start}-{end}"
    source = "urssaf_etablissements_effectifs_commune_ape (official, open.urssaf.fr; recalcul official)"
    cells = inp.official_cells.rename(columns={"code": "unit"})
    table = _cells.cell_table(cells, start, end, value="employment")
    groups = m[["com", "area"]].rename(columns={"com": "unit", "area": "code"})
    s = _cells.summarise(table, groups=groups).set_index("code")
    end_cells = groups.merge(cells[cells["year"] == end][["unit", "sector", "employment"]], on="unit", how="inner")
    level = end_cells.groupby("code")["employment"].sum(min_count=1)
    secret = end_cells.groupby("code")["employment"].agg(lambda v: (int(v.isna().sum()), len(v)))
    n_communes = np.bincount(m["area"].to_numpy(int), minlength=n)
    out = {}
    for i in range(n):
        n_secret, n_cells = secret.get(i, (0, 0))
        v = level.get(i, np.nan)
        where = _communes_label(int(n_communes[i]))
        rows = []
        if pd.isna(v):
            rows.append(Measured.absent("industry_jobs", "jobs", str(end), "no industry cell of the territory's "
                                        f"communes is published in {end} (official file)", source=source))
        else:
            rows.append(Measured("industry_jobs", float(v), "jobs", str(end), OWN, where, 100.0, None, source,
                                 _pct(n_secret / n_cells) if n_cells else None,
                                 f"{n_secret} of {n_cells} commune x A38 industry cells without a headcount in {end}: "
                                 "not counted, a lower bound" if n_secret else ""))
        r = s.loc[i] if i in s.index else None
        if r is None or pd.isna(r["growth"]):
            rows.append(Measured.absent("industry_jobs_growth_pct", "%", period,
                                        r["reason"] if r is not None and r["reason"] else "no cell in both years",
                                        source=source))
        else:
            rows.append(Measured("industry_jobs_growth_pct", _pct(r["growth"]), "%", period, OWN, where, 100.0, None,
                                 source, _pct(r["share_one_year"]),
                                 f"unreliable: {r['reason']}" if r["unreliable"] else ""))
        out[i] = rows
    return out


def _industry_jobs(m: pd.DataFrame, n: int, inp: Inputs, zone_names: pd.Series) -> dict[int, list[Measured]]:
    if inp.official_cells is not None:  # the official commune x APE file: the territory's own communes
        return _industry_jobs_own(m, n, inp)
    start, end = GROWTH
    period = f"{start}-{end}"
    proxy = _proxy_zones(m, inp)
    cells = inp.industry_cells.rename(columns={"code": "unit"})
    table = _cells.cell_table(cells, start, end, value="employment")
    groups = proxy[["ze2020", "code"]].rename(columns={"ze2020": "unit"})
    s = _cells.summarise(table, groups=groups).set_index("code")
    end_cells = groups.merge(cells[cells["year"] == end][["unit", "sector", "employment"]], on="unit", how="left")
    level = end_cells.groupby("code")["employment"].sum(min_count=1)
    secret = end_cells.groupby("code")["employment"].agg(lambda v: (int(v.isna().sum()), len(v)))
    known_zones = set(cells["unit"])
    proxy_by_area = dict(tuple(proxy.groupby("code")))
    pop_by_area = m.groupby("area")["population"].sum()
    out = {}
    reason = (f"no zone d'emploi 2020 has at least {ZONE_THRESHOLD:.0%} of its population in the territory, and the "
              "mirror has no industry employment series at its own geography (the official URSSAF commune x APE "
              "file, `recalcul official`, would give one); see industry_share_pct for its census figure")
    for i in range(n):
        z = proxy_by_area.get(i, proxy.iloc[:0])
        if z.empty:
            out[i] = [Measured.absent("industry_jobs", "jobs", str(end), reason, source=SOURCES["industry_jobs"]),
                      Measured.absent("industry_jobs_growth_pct", "%", period, reason, source=SOURCES["industry_jobs"])]
            continue
        zones = sorted(z["ze2020"])
        where = "ZE2020 " + _names(zones, zone_names)
        cov, zpop = _pct(z["area_share"].sum()), int(z["population"].sum())
        territory_pop = int(pop_by_area.get(i, 0))
        own = cov == 100.0 and zpop == territory_pop  # the zones are the territory itself (a zone d'emploi, a union)
        base, kind = (OWN, "") if own else (ZONE_PROXY, "proxy: ")
        size = (f"the zones hold {zpop:,} inhabitants, {zpop / territory_pop:.0%} of the territory's population"
                if territory_pop and not own else "")
        absent_zones = [q for q in zones if q not in known_zones]
        if len(absent_zones) == len(zones):
            why = f"the URSSAF zone x A38 series leaves {where} out"
            out[i] = [Measured.absent("industry_jobs", "jobs", str(end), why, source=SOURCES["industry_jobs"]),
                      Measured.absent("industry_jobs_growth_pct", "%", period, why, source=SOURCES["industry_jobs"])]
            continue
        n_secret, n_cells = secret.get(i, (0, 0))
        rows = []
        v = level.get(i, np.nan)
        if pd.isna(v):
            rows.append(Measured.absent("industry_jobs", "jobs", str(end), f"every industry cell of {where} is secret "
                                        f"in {end}", source=SOURCES["industry_jobs"]))
        else:
            note = "; ".join(x for x in (
                kind and "proxy: jobs of the zones d'emploi standing for the territory, not of the territory", size,
                f"{n_secret} of {n_cells} zone x A38 industry cells secret in {end}: not counted, a lower bound"
                if n_secret else "") if x)
            rows.append(Measured("industry_jobs", float(v), "jobs", str(end), base, where, cov, zpop,
                                 SOURCES["industry_jobs"], _pct(n_secret / n_cells) if n_cells else None, note))
        r = s.loc[i] if i in s.index else None
        if r is None or pd.isna(r["growth"]):
            rows.append(Measured.absent("industry_jobs_growth_pct", "%", period,
                                        r["reason"] if r is not None and r["reason"] else "no cell in both years",
                                        source=SOURCES["industry_jobs"]))
        else:
            note = "; ".join(x for x in (
                kind and "proxy: growth of the zones d'emploi standing for the territory", size,
                f"unreliable: {r['reason']}" if r["unreliable"] else "",
                f"{int(r['n_cells_one_year'])} cells published in one year only, left out"
                if r["n_cells_one_year"] else "") if x)
            rows.append(Measured("industry_jobs_growth_pct", _pct(r["growth"]), "%", period, base, where, cov,
                                 zpop, SOURCES["industry_jobs"], _pct(r["share_one_year"]), note))
        out[i] = rows
    return out


def _industry_share(m: pd.DataFrame, n: int, inp: Inputs, epci_names: pd.Series) -> dict[int, list[Measured]]:
    """Industry share of jobs (%): an area made of whole EPCIs takes the 2022 census share of its EPCI (or the
    mean of its EPCIs' shares, weighted by their 2016 census jobs, else their population); any other area, the
    2016 census *Fabrication* share of its communes. The membership is read once, sorted by area and commune;
    each area's sums run over the same values in the same order as they would for that area alone."""
    c = inp.communes
    epci_size = c.groupby("epci")["com"].nunique()
    fc = inp.census_communes
    jobs_by_epci = c[["com", "epci"]].merge(fc, left_on="com", right_index=True, how="left").groupby("epci")["jobs"].sum(
        min_count=1)
    # whole EPCIs: every EPCI of the area has all its communes inside, none is 'ZZZZZZZZZ' (no EPCI), and each
    # has a 2022 census share
    pairs = m.groupby(["area", "epci"])["com"].nunique().rename("inside").reset_index()
    pairs["population"] = m.groupby(["area", "epci"])["population"].sum().to_numpy()
    pairs["ok"] = ((pairs["epci"] != "ZZZZZZZZZ") & (pairs["inside"] == pairs["epci"].map(epci_size))
                   & pairs["epci"].isin(inp.census_epci.index))
    whole = pairs.groupby("area")["ok"].all()
    by_whole = dict(tuple(pairs[pairs["area"].map(whole)].groupby("area")))
    s = m[["area", "com", "population"]].sort_values(["area", "com"], kind="stable")
    bounds = np.searchsorted(s["area"].to_numpy(), np.arange(n + 1))
    pop = s["population"].to_numpy()
    f = fc.reindex(s["com"])
    jobs_all, fab_all = f["jobs"].to_numpy(float), f["fabrication"].to_numpy(float)
    out = {}
    for i in range(n):
        a, b = bounds[i], bounds[i + 1]
        if i in by_whole:
            rows = by_whole[i]
            epcis = rows["epci"].tolist()
            shares = inp.census_epci.reindex(epcis).to_numpy(float)
            if len(epcis) == 1:
                value, note = float(shares[0]), "census 2022, industry sector, jobs at the place of work"
            else:
                w = jobs_by_epci.reindex(epcis).to_numpy(float)
                if np.isnan(w).any() or w.sum() <= 0:
                    w = rows["population"].to_numpy()
                    how = "weighted by their population (2016 census jobs not available for every EPCI)"
                else:
                    how = "weighted by their 2016 census jobs"
                value = float((shares * w).sum() / w.sum())
                note = f"census 2022, industry sector, jobs at the place of work: mean of {len(epcis)} EPCI shares {how}"
            out[i] = [Measured("industry_share_pct", round(value, 1), FIGURES["industry_share_pct"], "2022", CENSUS,
                               ("EPCI " + _names(epcis, epci_names)), 100.0, int(pop[a:b].sum()),
                               SOURCES["industry_share_epci"], None, note)]
            continue
        jobs_i, fab_i = jobs_all[a:b], fab_all[a:b]
        have = ~np.isnan(jobs_i)
        fab_have = fab_i[have]
        jobs = jobs_i[have].sum()
        fab = np.nan if np.isnan(fab_have).all() else np.nansum(fab_have)  # pandas' sum(min_count=1)
        pop_have, pop_all = pop[a:b][have].sum(), pop[a:b].sum()
        if not have.any() or jobs <= 0 or np.isnan(fab):
            out[i] = [Measured.absent("industry_share_pct", FIGURES["industry_share_pct"], "2016",
                                      "no census job count for the territory's communes (the functional analysis "
                                      "covers the communes of 2016)", source=SOURCES["industry_share_communes"])]
            continue
        cov = _pct(pop_have / pop_all) if pop_all else None
        out[i] = [Measured("industry_share_pct", round(100 * fab / jobs, 1), FIGURES["industry_share_pct"], "2016",
                           CENSUS, f"{int(have.sum())} of {b - a} communes", cov, int(pop_have),
                           SOURCES["industry_share_communes"], None,
                           "census 2016 functional analysis: share of jobs in the Fabrication function (an occupation-"
                           "based definition, not the industry sector); the territory is not made of whole EPCIs, so "
                           "the EPCI census indicator cannot be used")]
    return out


def _unemployment(m: pd.DataFrame, n: int, inp: Inputs, zone_names: pd.Series) -> dict[int, list[Measured]]:
    r = inp.rates
    last = r.dropna(subset=["rate_pct"]).sort_values(["year", "q"])
    if last.empty:
        return {i: [Measured.absent("unemployment_rate_pct", FIGURES["unemployment_rate_pct"], "",
                                    "the rates table is empty", source=SOURCES["unemployment"])] for i in range(n)}
    quarter = str(last["quarter"].iloc[-1])
    rq = r[r["quarter"] == quarter].set_index("ze2020")["rate_pct"]
    w = m.dropna(subset=["ze2020"]).groupby(["area", "ze2020"], as_index=False)["population"].sum()
    w["rate"] = w["ze2020"].map(rq)
    w = w[w["population"] > 0]  # sorted by area, then zone
    bounds = np.searchsorted(w["area"].to_numpy(), np.arange(n + 1))
    zone, pop, rate = w["ze2020"].to_numpy(object), w["population"].to_numpy(), w["rate"].to_numpy(float)
    out = {}
    edition = str(r["edition"].iloc[0]) if "edition" in r else ""
    for i in range(n):
        a, b = bounds[i], bounds[i + 1]
        known = ~np.isnan(rate[a:b])
        if not known.any():
            why = ("the territory has no inhabitants (2024 municipal population 0): a rate weighted by its inhabitants "
                   "is undefined" if a == b else
                   f"no zone d'emploi of the territory ({', '.join(sorted(zone[a:b])[:5])}) has a localised rate in the "
                   f"INSEE edition {edition} (the series leaves Mayotte and Guyane out)")
            out[i] = [Measured.absent("unemployment_rate_pct", FIGURES["unemployment_rate_pct"], quarter, why,
                                      source=SOURCES["unemployment"])]
            continue
        p = pop[a:b][known]
        value = float((rate[a:b][known] * p).sum() / p.sum())
        cov = _pct(p.sum() / pop[a:b].sum())
        zones = sorted(zone[a:b][known])
        out[i] = [Measured("unemployment_rate_pct", round(value, 1), FIGURES["unemployment_rate_pct"], quarter,
                           ZONE_RATES, "ZE2020 " + _names(zones, zone_names), cov, None, SOURCES["unemployment"], None,
                           f"rates of the zones d'emploi where its inhabitants live, weighted by them (a rate is assumed "
                           f"uniform inside a zone); INSEE edition {edition}")]
    return out


def _ets(m: pd.DataFrame, n: int, inp: Inputs) -> dict[int, list[Measured]]:
    if inp.ets is None:
        reason = "the EU ETS installations could not be placed in communes"
        return {i: [Measured.absent("ets_sites", "installations", str(ETS_YEAR), reason, source=SOURCES["ets"]),
                    Measured.absent("ets_verified_emissions_2022_kt", "kt CO2e", str(ETS_YEAR), reason,
                                    source=SOURCES["ets"])] for i in range(n)}
    placed = inp.ets[inp.ets["com"].notna()]
    unplaced = int(inp.ets["com"].isna().sum())
    j = m[["area", "com"]].merge(placed, on="com", how="inner")
    count = j.groupby("area")["installation_id"].nunique()
    total = j.groupby("area")["emissions_t"].sum(min_count=1)
    reported = j.groupby("area")["emissions_t"].agg(lambda v: int(v.notna().sum()))
    note_unplaced = (f"{unplaced} installations of France could not be placed in a commune and count for no territory"
                     if unplaced else "")
    out = {}
    for i in range(n):
        k = int(count.get(i, 0))
        rows = [Measured("ets_sites", k, "installations", "2005-2022", OWN, "the territory's communes", 100.0, None,
                         SOURCES["ets"], None, "; ".join(x for x in (
                             "installations placed in their own commune by postcode and registered town (La Poste 2022)",
                             note_unplaced) if x))]
        if k == 0:
            rows.append(Measured("ets_verified_emissions_2022_kt", 0.0, "kt CO2e", str(ETS_YEAR), OWN,
                                 "the territory's communes", 100.0, None, SOURCES["ets"], None,
                                 "no EU ETS installation in the territory (a true zero, not a missing value)"))
        else:
            t = total.get(i, np.nan)
            rep = int(reported.get(i, 0))
            if pd.isna(t):
                rows.append(Measured.absent("ets_verified_emissions_2022_kt", "kt CO2e", str(ETS_YEAR),
                                            f"none of its {k} installations reported verified emissions for {ETS_YEAR}",
                                            source=SOURCES["ets"]))
            else:
                rows.append(Measured("ets_verified_emissions_2022_kt", round(float(t) / 1e3, 1), "kt CO2e",
                                     str(ETS_YEAR), OWN, "the territory's communes", 100.0, None, SOURCES["ets"],
                                     _pct((k - rep) / k),
                                     f"{rep} of {k} installations reported for {ETS_YEAR}" if rep < k else ""))
        out[i] = rows
    return out


def key_figures_many(areas: Sequence, inputs: Inputs | None = None) -> pd.DataFrame:
    """Key figures of every area, long format: ``area`` (position in ``areas``), then :data:`COLUMNS`,
    one row per area and figure of :data:`FIGURES` (in that order). ``areas``: resolved
    :class:`analysis.geo.areas.Area` objects; ``inputs``: :func:`load_inputs` (read here if not given)."""
    areas = require_areas(areas, "key_figures_many")
    inp = inputs if inputs is not None else load_inputs()
    m = membership(areas)
    n = len(areas)
    zone_names = geography.code_names("ze2020")
    epci_names = geography.code_names("epci")
    parts = [_population(m, n), _private_jobs(m, n, inp), _industry_share(m, n, inp, epci_names),
             _industry_jobs(m, n, inp, zone_names), _unemployment(m, n, inp, zone_names), _ets(m, n, inp)]
    rows = []
    for i in range(n):
        got = {r.figure: r for p in parts for r in p.get(i, [])}
        for fig in FIGURES:
            rows.append({"area": i, **vars(got[fig])})
    out = pd.DataFrame(rows, columns=["area", *COLUMNS])
    out["value"] = pd.Series([r["value"] for r in rows], index=out.index, dtype=object)  # ints stay ints, None missing
    return out


def key_figures(area, inputs: Inputs | None = None) -> pd.DataFrame:
    """Key figures of one :class:`analysis.geo.areas.Area` (:data:`COLUMNS`, one row per figure)."""
    return key_figures_many(require_areas(area, "key_figures"), inputs).drop(columns="area")


def wide(long: pd.DataFrame) -> pd.DataFrame:
    """One row per area, and per figure its value, base, coverage and secret share (``<figure>``,
    ``<figure>_base``, ``<figure>_coverage_pct``, ``<figure>_secret_share_pct``, ``<figure>_note``)."""
    cols = {}
    for fig in FIGURES:
        f = long[long["figure"] == fig].set_index("area")
        cols[fig] = f["value"]
        cols[f"{fig}_base"] = f["base"]
        cols[f"{fig}_period"] = f["period"]
        cols[f"{fig}_coverage_pct"] = f["coverage_pct"]
        cols[f"{fig}_secret_share_pct"] = f["secret_share_pct"]
        cols[f"{fig}_note"] = f["note"]
    return pd.DataFrame(cols)

