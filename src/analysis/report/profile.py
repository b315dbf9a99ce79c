"""Territory profiles: membership, population, employment structure and maps of any territory.

A territory is a Territoire d'industrie (id 'ti-RRNN' of the 2023-2027 wave) or any list of
EPCI SIRENs. :func:`territory` resolves it into communes (INSEE 2024 geography, municipal
populations of the Etalab EPCI file); the other functions describe it:

- :func:`epci_membership` -- each EPCI of the territory with its population and the
  Territoires d'industrie it belonged to in both waves; :func:`wave_changes` -- how the TIs
  touching the territory changed between the 2018-2022 and 2023-2027 waves (ids are not
  comparable between waves: territories are matched by shared members);
- :func:`ti_overview` -- every TI of a wave with its members, EPCI, départements, population;
- :func:`lists_near_population` / :func:`count_lists_near_population` -- which (and how
  many) lists of EPCIs reach a given population: a population figure alone does not identify
  an unpublished membership list; :func:`epci_list_summary` -- population and Territoires
  d'industrie of one given list of EPCIs; :func:`population_by_ti` -- population of the
  territory's EPCIs grouped by their Territoire d'industrie;
- :func:`flagged_zones` -- zones d'emploi (2010 or 2020) with at least a share of their
  population in the territory (the statistical proxy of the territory);
  :func:`zone_proxy_coverage` -- which part of each EPCI's population those zones cover (the
  ZE2010 and ZE2020 sets need not cover the same part); :func:`metropolitan_zones` -- the
  zones of metropolitan France (the national benchmark);
- :func:`industry_share_path` -- industry's share of employment by year for groups of zones
  (territory, its région, France) from the series of :func:`analysis.methods.dynamics.employment_series`;
- :func:`industry_mix` -- industrial employment by A38 sector, with shares and location
  quotients against France;
- :func:`unemployment_path` -- localised unemployment of the territory and of metropolitan France
  (zones d'emploi weighted by inhabitants); :func:`area_emitters` -- its EU ETS sites (each placed in
  its own commune by postcode and town; unplaced ones listed, never counted) with their trend;
- :func:`plot_industry_share_path`, :func:`area_map` (optionally with points, e.g. the EU ETS
  sites) and :func:`france_waves_map` -- the figures.

The territory is an :class:`analysis.geo.areas.Area` (:func:`territory` resolves a TI or a list of
EPCIs with the shared resolver). ``recalcul profile --ti ti-8416 [--wave 2018]``,
``--epci 244400644``, ``--ze 5219``, ``--dep 63``, ``--reg 84``, ``--commune 63113`` (``make profile TI=... |
EPCI=... | ZE=... | DEP=... | REG=... | COMMUNE=...``) renders the neutral notebook 06 (papermill) for that territory into
``profiles/<slug>.ipynb`` and ``.html`` (code hidden), its figures into
``profiles/<slug>_figures/``; an invalid request is refused in one line before any work
(:mod:`analysis.geo.request`, which ``recalcul profile`` runs, checks it without importing this module).
"""

from __future__ import annotations

import itertools
import textwrap
import sys
import tempfile
import dataclasses
from dataclasses import dataclass, field
from typing import Iterable, Mapping

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from matplotlib.ticker import MaxNLocator

from analysis.methods import dynamics
from analysis.report import figures
from analysis.geo import areas as geography
from analysis.data.loaders import geo as _geo
from analysis.paths import NOTEBOOKS_DIR, REPO_ROOT, environment, tables_dir
# The request (parsing, checking, file names) lives in the light module analysis.geo.request, so that
# `make profile` refuses a bad request before importing the plotting stack.
from analysis.geo.request import EXAMPLES, REQUEST_LEVELS, check_request, profile_slug  # noqa: F401

__all__ = [
    "Territory", "territory", "epci_membership", "wave_changes", "ti_overview", "lists_near_population",
    "count_lists_near_population", "epci_list_summary", "population_by_ti", "OVERSEAS_REGIONS",
    "metropolitan_zones", "flagged_zones", "zone_proxy_coverage", "industry_share_path", "industry_mix",
    "plot_industry_share_path", "area_map", "map_wave", "france_waves_map", "key_figures", "render", "PROFILE_NOTEBOOK",
    "NEUTRAL_NOTEBOOK", "from_area", "check_request", "profile_slug", "unemployment_path", "AreaEmitters",
    "area_emitters",
    "PROFILES_DIR", "export_tables", "KEY_FIGURES_COLUMNS",
]

WAVES = geography.WAVES
PROFILE_NOTEBOOK = NOTEBOOKS_DIR / "04_clermont_vichy_auvergne.ipynb"  # the Clermont case study
#: The neutral, parameterised profile rendered for any territory by :func:`render`.
NEUTRAL_NOTEBOOK = NOTEBOOKS_DIR / "06_territory_profile.ipynb"
PROFILES_DIR = REPO_ROOT / "profiles"
#: Metropolitan France bounding box (longitude / latitude) used to crop the national maps.
METRO_BOUNDS = (-5.3, 41.2, 9.7, 51.2)
OVERSEAS_REGIONS = geography.OVERSEAS_REGIONS


# =============================================================================================
# The territory
# =============================================================================================


#: The profile's territory is an :class:`analysis.geo.areas.Area`: one territory type, from one resolver.
Territory = geography.Area


def territory(ti_id: str | None = None, epcis: Iterable[str] | None = None, name: str | None = None,
              wave: str = geography.WAVE_2023) -> geography.Area:
    """Resolve a Territoire d'industrie id (of ``wave``: '2018', '2023', '2018-2022', '2023-2027')
    or a list of EPCI SIRENs into an :class:`analysis.geo.areas.Area` (:func:`analysis.geo.areas.resolve`,
    the resolver the command line uses: same accepted forms, same refusals).

    Exactly one of ``ti_id`` and ``epcis`` must be given. ``name`` labels the area (default:
    the names of its codes: the TI's name, the EPCI's name). Unknown ids or SIRENs raise
    :class:`analysis.geo.areas.UnknownAreaError`.
    """
    if isinstance(ti_id, geography.Area):
        return from_area(ti_id, name)
    if (ti_id is None) == (epcis is None):
        raise ValueError("give either a Territoire d'industrie id or a list of EPCI SIRENs")
    if ti_id is not None:
        return geography.resolve("ti", ti_id, wave=wave, name=name)
    return geography.resolve("epci", epcis, name=name)


def from_area(area: geography.Area, name: str | None = None) -> geography.Area:
    """``area`` itself, relabelled ``name`` when one is given (kept for callers of the former profile type)."""
    return area if not name or name == area.name else dataclasses.replace(area, label=name)


def epci_membership(area: Territory) -> pd.DataFrame:
    """Each EPCI (or EPT) touched by the territory: population and TI membership in both waves.

    Columns: ``epci``, ``epci_name``, ``dep`` (département(s) of its communes in the
    territory), ``population`` (municipal population inside the territory), ``ti_2018``,
    ``ti_2018_name``, ``ti_2023``, ``ti_2023_name`` (TI ids and names holding the EPCI's
    communes, '; '-joined; empty when none). Sorted by population, largest first.
    """
    c = area.communes
    names = _geo.load_epci_communes().drop_duplicates("epci").set_index("epci")["epci_name"]
    ept_names = _geo.load_ti_members().drop_duplicates("member_siren").set_index("member_siren")["member_name"]
    key = c["ept"].where(c["ept"].isin(area.epcis), c["epci"]) if "ept" in c else c["epci"]
    base = c.assign(unit=key)
    out = base.groupby("unit", as_index=False).agg(dep=("dep", lambda s: ", ".join(sorted(set(s)))),
                                                   population=("population", "sum"))
    join = lambda s: "; ".join(sorted(set(s.dropna())))  # noqa: E731
    for wave, tag in ((geography.WAVE_2018, "2018"), (geography.WAVE_2023, "2023")):
        tc = geography.ti_communes(wave)[["ti_id", "ti_name", "com"]]
        t = base[["unit", "com"]].merge(tc, on="com", how="inner")
        g = t.groupby("unit").agg(ids=("ti_id", join), nm=("ti_name", join))
        out[f"ti_{tag}"] = out["unit"].map(g["ids"]).fillna("")
        out[f"ti_{tag}_name"] = out["unit"].map(g["nm"]).fillna("")
    out["epci_name"] = out["unit"].map(names).fillna(out["unit"].map(ept_names)).fillna("")
    out = out.rename(columns={"unit": "epci"})
    cols = ["epci", "epci_name", "dep", "population", "ti_2018", "ti_2018_name", "ti_2023", "ti_2023_name"]
    return out[cols].sort_values(["population", "epci"], ascending=[False, True], ignore_index=True)


def wave_changes(members: pd.DataFrame, ti_ids_2023: Iterable[str]) -> pd.DataFrame:
    """How Territoires d'industrie of the 2023-2027 wave relate to those of 2018-2022.

    ``members``: :func:`analysis.data.loaders.geo.load_ti_members` (both waves). Ids are not
    comparable between waves, so each 2023 territory is matched with the 2018 territory
    sharing most members (none when no member was in a 2018 TI).

    Returns one row per 2023 territory: ``ti_2023``, ``name_2023``, ``n_2023`` (members),
    ``ti_2018``, ``name_2018``, ``n_2018``, ``shared``, ``added`` (member names new in 2023,
    '; '-joined), ``removed`` (names of the 2018 territory absent in 2023), ``status``
    ('new', 'unchanged', 'enlarged', 'reduced', 'changed').
    """
    m23 = members[members["wave"] == geography.WAVE_2023]
    m18 = members[members["wave"] == geography.WAVE_2018]
    rows = []
    for tid in sorted(set(ti_ids_2023)):
        a = m23[m23["ti_id"] == tid]
        if a.empty:
            raise geography.UnknownAreaError(f"unknown Territoire d'industrie {tid!r} in wave {geography.WAVE_2023}")
        cand = m18[m18["member_siren"].isin(set(a["member_siren"]))]
        row = {"ti_2023": tid, "name_2023": a["ti_name"].iloc[0], "n_2023": len(a)}
        if cand.empty:
            rows.append(row | {"ti_2018": "", "name_2018": "", "n_2018": 0, "shared": 0,
                               "added": "; ".join(sorted(a["member_name"])), "removed": "", "status": "new"})
            continue
        best = cand.groupby("ti_id").size().sort_index().sort_values(ascending=False, kind="stable").index[0]
        b = m18[m18["ti_id"] == best]
        new = a[~a["member_siren"].isin(set(b["member_siren"]))]
        gone = b[~b["member_siren"].isin(set(a["member_siren"]))]
        status = ("unchanged" if new.empty and gone.empty else "enlarged" if gone.empty
                  else "reduced" if new.empty else "changed")
        rows.append(row | {"ti_2018": best, "name_2018": b["ti_name"].iloc[0], "n_2018": len(b),
                           "shared": len(a) - len(new), "added": "; ".join(sorted(new["member_name"])),
                           "removed": "; ".join(sorted(gone["member_name"])), "status": status})
    return pd.DataFrame(rows, columns=["ti_2023", "name_2023", "n_2023", "ti_2018", "name_2018", "n_2018", "shared",
                                       "added", "removed", "status"])


def ti_overview(wave: str = geography.WAVE_2023) -> pd.DataFrame:
    """Every Territoire d'industrie of a wave: members, EPCI, départements and population.

    Columns: ``ti_id``, ``ti_name``, ``n_members`` (members as listed by the ANCT: EPCI,
    EPT or communes), ``n_epci`` (EPCI touched), ``departements`` (codes, ', '-joined),
    ``n_departements``, ``population`` (municipal population, each commune once).
    The 2018-2022 members are expressed in 2025 EPCIs (mergers blur the 2018 perimeters).
    """
    tm = _geo.load_ti_members()
    tm = tm[tm["wave"] == wave]
    tc = geography.ti_communes(wave).merge(geography.communes()[["com", "dep", "epci"]], on="com")
    g = tc.groupby(["ti_id"]).agg(n_epci=("epci", "nunique"),
                                  departements=("dep", lambda s: ", ".join(sorted(set(s)))),
                                  n_departements=("dep", "nunique"))
    pop = tc.drop_duplicates(["ti_id", "com"]).groupby("ti_id")["population"].sum()
    out = tm.groupby(["ti_id", "ti_name"], as_index=False).agg(n_members=("member_siren", "nunique"))
    out = out.merge(g.reset_index(), on="ti_id", how="left")
    out["population"] = out["ti_id"].map(pop).astype("int64")
    return out.sort_values("ti_id", ignore_index=True)


def lists_near_population(population: pd.Series, size: int, target: float, tol: float,
                          required: Iterable[str] = ()) -> pd.DataFrame:
    """Every list of ``size`` units whose population is within ``tol`` (relative) of ``target``.

    ``population``: inhabitants indexed by unit (e.g. EPCI SIREN); ``required``: units every
    list must contain. Enumerates all combinations (keep the candidate set small: C(n, k)).
    Returns ``members`` (sorted, '; '-joined), ``population``, ``gap`` (relative to target),
    sorted by absolute gap.
    """
    required = list(required)
    missing = set(required) - set(population.index)
    if missing:
        raise KeyError(f"required units not among the candidates: {sorted(missing)}")
    if size < len(required):
        raise ValueError("size is smaller than the number of required units")
    free = sorted(set(population.index) - set(required))
    base = float(population.loc[required].sum())
    rows = []
    for combo in itertools.combinations(free, size - len(required)):
        pop = base + float(population.loc[list(combo)].sum())
        gap = pop / target - 1
        if abs(gap) <= tol:
            rows.append(("; ".join(sorted(required + list(combo))), pop, gap))
    out = pd.DataFrame(rows, columns=["members", "population", "gap"])
    return out.reindex(out["gap"].abs().sort_values(kind="stable").index).reset_index(drop=True)


def count_lists_near_population(population: pd.Series, size: int, target: float, tols: Iterable[float],
                                required: Iterable[str] = ()) -> pd.DataFrame:
    """How many lists of ``size`` units come within each tolerance of ``target`` inhabitants.

    Same arguments as :func:`lists_near_population`, with several relative tolerances
    ``tols`` (e.g. 0.01 = within 1 %). Returns ``tol`` and ``n_lists``, one row per
    tolerance, in the order given. Many lists near the target mean that the population
    figure does not identify the list.
    """
    required = list(required)
    rows = [(float(t), len(lists_near_population(population, size, target, t, required=required))) for t in tols]
    return pd.DataFrame(rows, columns=["tol", "n_lists"])


def _names(ids: pd.Series) -> list[str]:
    """Sorted distinct names of a column of '; '-joined names (empty strings dropped)."""
    return sorted({t for v in ids for t in str(v).split("; ") if t})


def epci_list_summary(membership: pd.DataFrame, epcis: Iterable[str], target: float | None = None) -> pd.Series:
    """Population and Territoires d'industrie of one list of EPCIs of a territory.

    ``membership``: :func:`epci_membership` (municipal populations, TI names of both waves);
    ``epcis``: SIRENs of the list (each must be in ``membership``); ``target``: a population
    to compare with (inhabitants), optional.

    Returns a Series: ``n_epci``, ``population`` (inhabitants), ``gap`` (population / target
    - 1; NaN without target), ``outside_ti_2023`` (names of listed EPCIs in no TI of the
    2023-2027 wave), ``ti_2018`` / ``ti_2023`` (names of the TIs holding listed EPCIs, one
    list per wave), ``n_ti_2018``, ``n_ti_2023``, ``left_out`` (names of the membership's
    EPCIs not listed) and ``left_out_population``. Name lists are sorted.
    """
    epcis = list(dict.fromkeys(epcis))
    unknown = sorted(set(epcis) - set(membership["epci"]))
    if unknown:
        raise KeyError(f"EPCI not in the territory: {unknown}")
    inside = membership[membership["epci"].isin(set(epcis))]
    outside = membership[~membership["epci"].isin(set(epcis))]
    pop = int(inside["population"].sum())
    ti18, ti23 = _names(inside["ti_2018_name"]), _names(inside["ti_2023_name"])
    return pd.Series({
        "n_epci": len(inside), "population": pop,
        "gap": pop / target - 1 if target else float("nan"),
        "outside_ti_2023": sorted(inside.loc[inside["ti_2023"] == "", "epci_name"]),
        "ti_2018": ti18, "n_ti_2018": len(ti18), "ti_2023": ti23, "n_ti_2023": len(ti23),
        "left_out": list(outside["epci_name"]), "left_out_population": int(outside["population"].sum()),
    })


def population_by_ti(membership: pd.DataFrame, column: str = "ti_2023_name", none_label: str = "(no TI)") -> pd.DataFrame:
    """Population of the territory's EPCIs grouped by their Territoire d'industrie.

    ``membership``: :func:`epci_membership`; ``column``: the TI column to group by
    (``ti_2023_name`` or ``ti_2018_name``; an EPCI split between TIs forms its own group).
    EPCIs in no TI are grouped under ``none_label``. Returns ``group``, ``n_epci``,
    ``epci_names`` ('; '-joined), ``population`` (municipal population, inhabitants), sorted
    by population (largest first), then a final row ``'total'``.
    """
    key = membership[column].replace("", none_label)
    g = membership.assign(group=key).groupby("group", as_index=False).agg(
        n_epci=("epci", "size"), epci_names=("epci_name", lambda s: "; ".join(sorted(s))),
        population=("population", "sum"))
    g = g.sort_values(["population", "group"], ascending=[False, True], ignore_index=True)
    total = pd.DataFrame([{"group": "total", "n_epci": int(g["n_epci"].sum()), "epci_names": "",
                           "population": int(g["population"].sum())}])
    return pd.concat([g, total], ignore_index=True)


# =============================================================================================
# Employment structure
# =============================================================================================


def metropolitan_zones(communes: pd.DataFrame, zoning: str = "ze2020") -> list[str]:
    """Zones d'emploi of metropolitan France: zones none of whose communes lies in an overseas région.

    ``communes``: :func:`analysis.geo.areas.communes` (``reg`` and the ``zoning`` column).
    Returns the sorted zone codes (287 ZE2020, 304 ZE2010 with the 2024 communes). Used as
    the national benchmark, as in notebooks 01 and 02: the ESTEL ZE2010 file and the URSSAF
    ZE2020 file both cover France without Mayotte, overseas zones included.
    """
    c = communes.dropna(subset=[zoning])
    overseas = c.groupby(zoning)["reg"].agg(lambda s: s.isin(OVERSEAS_REGIONS).any())
    return sorted(overseas.index[~overseas])


def zone_proxy_coverage(coms: pd.DataFrame, proxies: Mapping[str, tuple[str, Iterable[str]]],
                        by: str = "epci") -> pd.DataFrame:
    """Share of each unit's population living in the zones that stand for a territory.

    ``coms``: the territory's communes with ``com``, ``population``, ``by`` and the zoning
    columns (e.g. ``Territory.communes``); ``proxies``: label -> (zoning column, zone codes),
    e.g. ``{"ZE2010": ("ze2010", z10_codes), "ZE2020": ("ze2020", z20_codes)}``.

    Returns ``by``, ``population`` (inhabitants in the territory) and one column per label
    (fraction of the unit's population living in that label's zones), sorted by population
    (largest first), then a final row ``'all'`` for the whole territory. Two zonings need
    not cover the same part of a territory: compare the columns.
    """
    c = coms.assign(**{label: coms[col].isin(set(codes)) for label, (col, codes) in proxies.items()})
    labels = list(proxies)
    for label in labels:
        c[label] = c[label] * c["population"]
    g = c.groupby(by, as_index=False)[["population"] + labels].sum()
    g = g.sort_values(["population", by], ascending=[False, True], ignore_index=True)
    g = pd.concat([g, pd.DataFrame([{by: "all", **g[["population"] + labels].sum().to_dict()}])], ignore_index=True)
    for label in labels:
        g[label] = g[label] / g["population"].where(g["population"] > 0)
    g["population"] = g["population"].astype("int64")
    return g


def flagged_zones(coms: pd.DataFrame, zoning: str = "ze2020", threshold: float = 0.5,
                  names: pd.Series | None = None) -> pd.DataFrame:
    """Zones d'emploi with at least ``threshold`` of their population in a set of communes.

    ``coms``: rows with a ``com`` column. Returns ``zoning`` code, ``name`` (from ``names``,
    a Series indexed by zone code, if given), ``population`` (zone), ``share`` (fraction of
    the zone's population in the area), ``area_share`` (fraction of the area's population
    in the zone). The zone-proxy rule of :meth:`analysis.geo.areas.Area.zone_proxy`: if no zone reaches the
    threshold the result is empty (no silent fallback to the largest zone: a territory no zone stands for has
    no zone proxy, and its figures say so).
    """
    zs = geography.zone_shares(coms[["com"]], zoning, threshold)
    out = zs[zs["flag"] & (zs["population_in"] > 0)]
    out = out[[zoning, "population", "share", "area_share"]].copy()
    out.insert(1, "name", out[zoning].map(names) if names is not None else "")
    return out.sort_values(zoning, ignore_index=True)


def industry_share_path(industry: pd.DataFrame, total: pd.DataFrame, groups: Mapping[str, Iterable[str]]) -> pd.DataFrame:
    """Industry's share of employment by year for named groups of zones, under the secret-cell rule.

    ``industry``: zone x sector cells (``code``, ``sector``, ``year``, ``employment``; NaN = secret), as
    :func:`analysis.methods.dynamics.employment_cells` gives them, or a zone series (``code``, ``year``,
    ``employment`` and optionally ``n_cells_missing``, as :func:`analysis.methods.dynamics.employment_series`),
    whose zone-years with a missing cell then count as secret. ``total``: zone series of all sectors.
    ``groups``: group name -> zone codes (an empty list or None means every zone of the series, e.g. France).

    Returns ``group``, ``year``, ``industry`` (jobs in the published cells: a LOWER BOUND when
    ``n_secret_cells`` > 0, never a sum with secret cells read as 0), ``total``, ``share`` (fraction),
    ``n_secret_cells``, ``partial`` (bool) and ``index``: industrial employment of the cells published in
    EVERY year of the group's path, first year = 100 (``index_cells`` of them; NaN, never ``inf``, when no
    cell is published in every year or the first-year sum is 0).
    """
    ind = industry.copy()
    ind["_secret"] = ind["employment"].isna().astype("int64")
    ind["_present"] = ind["employment"]
    if "sector" not in ind.columns:
        ind["sector"] = "all"
        if "n_cells_missing" in ind.columns:  # a zone-year summed over secret cells: a lower bound, left out of the index
            ind["_secret"] += ind["n_cells_missing"].fillna(0).astype("int64")
            ind.loc[ind["n_cells_missing"] > 0, "_present"] = np.nan
    rows = []
    for gname, codes in groups.items():
        codes = None if codes is None else set(codes)
        pick = (lambda d: d) if not codes else (lambda d, c=codes: d[d["code"].isin(c)])  # noqa: E731
        gi, gt = pick(ind), pick(total)
        i = gi.groupby("year")["employment"].sum(min_count=1)
        n_secret = gi.groupby("year")["_secret"].sum()
        t = gt.groupby("year")["employment"].sum(min_count=1)
        df = pd.DataFrame({"industry": i, "total": t}).reset_index().rename(columns={"index": "year"})
        df["n_secret_cells"] = df["year"].map(n_secret).fillna(0).astype("int64")
        wide_cells = gi.groupby(["code", "sector", "year"])["_present"].sum(min_count=1).unstack("year")
        wide_cells = wide_cells.reindex(columns=sorted(df["year"]))
        common = wide_cells.dropna()  # the cells published in every year of the path
        sums = common.sum()
        first = float(sums.iloc[0]) if len(sums) and len(common) else np.nan
        df["index"] = df["year"].map(100 * sums / first) if first and first > 0 else np.nan
        df["index_cells"] = len(common)
        df.insert(0, "group", gname)
        rows.append(df)
    out = pd.concat(rows, ignore_index=True)
    out["share"] = out["industry"] / out["total"]
    out["partial"] = out["n_secret_cells"] > 0
    return out[["group", "year", "industry", "total", "share", "n_secret_cells", "partial", "index", "index_cells"]]


def industry_mix(a38: pd.DataFrame, units: Iterable[str], year: int, *, zone: str = "ze2020",
                 sectors: Iterable[str] | None = None) -> pd.DataFrame:
    """Industrial employment of a group of zones by A38 sector, with shares and location quotients.

    ``a38``: zone x A38 x year employment (``ze2020``, ``a38``, ``a38_label``, ``year``,
    ``employment``) as :func:`analysis.data.loaders.employment.load_urssaf_ze2020_a38`
    (private-sector salaried headcounts, 31 December). ``sectors``: A38 codes to report
    (default: industry B-E, :func:`analysis.methods.dynamics.sector_codes('industry')`).

    Returns one row per sector: ``a38``, ``a38_label``, ``employment`` (jobs in the zones),
    ``share_of_industry`` and ``share_of_total`` (fractions of the zones' industrial and
    total private employment), ``france_share_of_total`` (same share for all zones of the
    table) and ``location_quotient`` (= share_of_total / france_share_of_total). Sorted by
    employment, largest first (sectors with no published cell last). ``employment`` sums the PUBLISHED
    zone cells; ``n_secret_cells`` counts the zones whose cell of that sector is secret (their jobs are
    unknown, not zero: read the sector's figures as lower bounds when it is > 0); a sector whose every
    cell is secret has ``employment``, shares and quotient missing (NaN), never 0. To compare with metropolitan
    France, pass the table restricted to :func:`metropolitan_zones`.
    """
    sectors = list(sectors) if sectors is not None else dynamics.sector_codes("industry")
    y = a38[a38["year"] == year]
    if y.empty:
        raise dynamics.CoverageError(f"no year {year} in the A38 table (it has {sorted(a38['year'].unique())})")
    units = set(units)
    area = y[y[zone].isin(units)]
    tot_area = area["employment"].sum()
    tot_fr = y["employment"].sum()
    labels = y.drop_duplicates("a38").set_index("a38")["a38_label"]
    # a sector whose cells are all secret (or absent) is MISSING, not 0: sum(min_count=1) keeps NaN
    e_area = area.groupby("a38")["employment"].sum(min_count=1).reindex(sectors)
    e_fr = y.groupby("a38")["employment"].sum(min_count=1).reindex(sectors)
    secret = area[area["employment"].isna()].groupby("a38").size().reindex(sectors, fill_value=0)
    out = pd.DataFrame({"a38": sectors, "a38_label": [labels.get(s, "") for s in sectors],
                        "employment": e_area.values, "n_secret_cells": secret.values.astype("int64")})
    out["share_of_industry"] = out["employment"] / out["employment"].sum(min_count=1)
    out["share_of_total"] = out["employment"] / tot_area
    out["france_share_of_total"] = e_fr.values / tot_fr
    out["location_quotient"] = out["share_of_total"] / out["france_share_of_total"].where(out["france_share_of_total"] > 0)
    return out.sort_values(["employment", "a38"], ascending=[False, True], na_position="last", ignore_index=True)


def key_figures(area: Territory, share_path_ze2010: pd.DataFrame, share_path_ze2020: pd.DataFrame,
                mix: pd.DataFrame, area_group: str) -> pd.DataFrame:
    """The profile's summary table (``metric``, ``value``), printed by the notebook.

    Metrics: population, number of EPCI, industry's share of salaried employment in the
    first and last ESTEL years (ZE2010 proxy), industry's share of private employment in the
    first and last URSSAF years (ZE2020 proxy), industrial private jobs in the last URSSAF
    year, and the largest industrial sector.
    """
    a10 = share_path_ze2010[share_path_ze2010["group"] == area_group].sort_values("year")
    a20 = share_path_ze2020[share_path_ze2020["group"] == area_group].sort_values("year")
    rows = [
        ("population", area.population),
        ("epci", len(area.epcis)),
        (f"industry_share_estel_{int(a10['year'].iloc[0])}_pct", 100 * a10["share"].iloc[0]),
        (f"industry_share_estel_{int(a10['year'].iloc[-1])}_pct", 100 * a10["share"].iloc[-1]),
        (f"industry_share_urssaf_{int(a20['year'].iloc[0])}_pct", 100 * a20["share"].iloc[0]),
        (f"industry_share_urssaf_{int(a20['year'].iloc[-1])}_pct", 100 * a20["share"].iloc[-1]),
        (f"industry_jobs_urssaf_{int(a20['year'].iloc[-1])}", a20["industry"].iloc[-1]),
        ("largest_industry_a38", mix["a38"].iloc[0]),
    ]
    return pd.DataFrame(rows, columns=["metric", "value"])


def plot_industry_share_path(path_10: pd.DataFrame, path_20: pd.DataFrame, groups: Iterable[str], area_group: str,
                             coverage: tuple[float, float], *, title: str = ""):
    """Industry's share of employment, two panels: ESTEL 1998-2017 (ZE2010) and URSSAF 2019-2024 (ZE2020).

    ``path_10`` / ``path_20``: :func:`industry_share_path` of each source; ``groups``: the
    groups to draw, in legend order (colours: territory orange, région blue, the rest
    grey); ``area_group``: the group standing for the territory; ``coverage``: the fraction
    of the territory's population living in its ZE2010 and in its ZE2020 zones. The two
    zone sets differ, so the legend gives the territory one entry per
    zoning with its coverage, and a note under the panels says the sets differ. A group whose line coincides
    with one drawn before it is drawn dashed and wider, so that both stay visible. Returns the figure.
    """
    groups = list(groups)
    colours = dict(zip(groups, [figures.PALETTE[3], figures.PALETTE[0]] + ["#555555"] * len(groups)))
    fig, axes = plt.subplots(1, 2, figsize=figures.TWO_COLUMNS, sharey=True, gridspec_kw={"width_ratios": [3, 1.3]})
    handles, labels = {}, {}
    for ax, path, zoning, cov, marker in ((axes[0], path_10, "ZE 2010", coverage[0], None),
                                          (axes[1], path_20, "ZE 2020", coverage[1], "o")):
        drawn = {}
        for g in groups:
            d = path[path["group"] == g]
            values = d["share"].to_numpy(dtype=float)
            # a line that coincides with one already drawn (a département that is its région, e.g. Guyane)
            # is drawn dashed and wider underneath, so that both stay visible
            twin = next((h for h, v in drawn.items() if len(v) == len(values) and np.allclose(v, values, equal_nan=True)),
                        None)
            style = dict(linestyle=(0, (4, 2)), linewidth=2.6, zorder=1) if twin else {}
            (line,) = ax.plot(d["year"], d["share"], color=colours[g], marker=marker, **style)
            drawn[g] = values
            key = (g, zoning) if g == area_group else (g, "")
            handles.setdefault(key, line)
            labels.setdefault(key, figures.tr(f"{g}, {zoning} ({figures.fr_percent(cov)} de la population)",
                                              f"{figures.translate(g)}, {zoning} ({cov:.0%} of the population)")
                              if g == area_group else figures.translate(g))
    figures.format_axis(axes[0], "y", percent=True)
    axes[0].set_title(figures.tr("Emploi salarié, tous employeurs (ESTEL, ZE 2010)",
                                 "Salaried jobs, all employers (ESTEL, ZE 2010)"), fontsize=9)
    axes[1].set_title(figures.tr("Emploi salarié privé\n(Urssaf, ZE 2020)", "Private salaried jobs\n(Urssaf, ZE 2020)"),
                      fontsize=9)
    axes[0].set_ylabel(figures.tr("Part de l'industrie (B-E)", "Industry's share (B-E)"))
    axes[0].set_xticks([1998, 2002, 2006, 2010, 2014, 2017])
    axes[1].set_xticks([2019, 2022, 2024])
    order = [k for k in handles if k[0] == area_group] + [k for k in handles if k[0] != area_group]
    lo = min(path_10["share"].min(), path_20["share"].min())
    hi = max(path_10["share"].max(), path_20["share"].max())
    axes[0].set_ylim(lo - 0.5 * (hi - lo), hi + 0.05 * (hi - lo))  # room for the legend under the lines
    axes[0].yaxis.set_major_locator(MaxNLocator(nbins=6, steps=[1, 2, 5, 10]))  # whole percentages
    axes[0].legend([handles[k] for k in order], [labels[k] for k in order], loc="lower left", ncol=1, fontsize=7)
    fig.supxlabel(textwrap.fill(figures.tr(
        "Note : les zones d'emploi 2010 et 2020 retenues (au moins la moitié de leur population dans le territoire) "
        "ne couvrent pas la même partie du territoire.",
        "Note: the 2010 and 2020 zones d'emploi kept (at least half of their population in the territory) do not "
        "cover the same part of the territory."), 100), fontsize=7, style="italic", x=0.02, ha="left")
    if title:
        figures.figure_title(fig, title)
    return fig


# =============================================================================================
# Exports: what the profile shows, as CSV and Excel
# =============================================================================================

#: Columns of ``<slug>_key_figures.csv`` (the measured-figure record, :mod:`analysis.methods.measured`).
KEY_FIGURES_COLUMNS = ["figure", "value", "unit", "period", "base", "area_measured", "coverage_pct",
                       "measured_population", "source", "secret_share_pct", "note"]


def export_tables(tables: Mapping[str, pd.DataFrame], out_dir=None) -> list:
    """Write every table of a profile as ``<name>.csv`` and all of them as ``tables.xlsx`` (one sheet each).

    ``out_dir``: default ``$ANALYSIS_TABLES_DIR`` (:func:`analysis.paths.tables_dir`); when neither is set,
    nothing is written and ``[]`` is returned (a notebook run by ``recalcul run`` exports nothing; ``recalcul
    profile`` sets the folder). Files are written atomically; CSVs are UTF-8 with a header, missing values
    empty. Returns the paths written."""
    from pathlib import Path

    from analysis.data.locking import replace_bytes, replace_text

    folder = Path(out_dir) if out_dir is not None else tables_dir()
    if folder is None:
        return []
    folder.mkdir(parents=True, exist_ok=True)
    written = []
    for name, table in tables.items():
        if table is None:
            continue
        path = folder / f"{name}.csv"
        replace_text(path, table.to_csv(index=False, lineterminator="\n"))
        written.append(path)
    import io

    buf = io.BytesIO()
    with pd.ExcelWriter(buf, engine="openpyxl") as xl:
        for name, table in tables.items():
            if table is not None:
                table.to_excel(xl, sheet_name=name[:31], index=False)
    replace_bytes(folder / "tables.xlsx", buf.getvalue())
    written.append(folder / "tables.xlsx")
    return written


# =============================================================================================
# Unemployment and EU ETS emitters of any territory
# =============================================================================================


def unemployment_path(area, rates: pd.DataFrame, *, area_label: str = "territory",
                      france_label: str = "metropolitan France") -> pd.DataFrame:
    """Quarterly localised unemployment rate (%) of the territory and of metropolitan France.

    ``area``: a :class:`Territory` or :class:`analysis.geo.areas.Area` (its ``communes``);
    ``rates``: one edition of the INSEE rates by zone d'emploi 2020
    (:func:`analysis.data.loaders.unemployment.load_chomage_ze2020_2021_2025`). Each rate is the mean
    of the zones' rates weighted by the inhabitants living in each
    (:func:`analysis.methods.unemployment.area_rate`): ``group``, ``quarter``, ``year``, ``q``,
    ``rate_pct``, ``coverage`` (share of the inhabitants whose zone has a rate) and ``n_missing``
    (zones without a rate that quarter).
    """
    from analysis.methods import unemployment

    c = geography.communes()
    france = c[~c["reg"].isin(OVERSEAS_REGIONS)]
    parts = [unemployment.area_rate(rates, unemployment.zone_weights(area.communes)).assign(group=area_label),
             unemployment.area_rate(rates, unemployment.zone_weights(france)).assign(group=france_label)]
    out = pd.concat(parts, ignore_index=True)
    return out[["group", "quarter", "year", "q", "rate_pct", "coverage", "n_missing"]]


@dataclass
class AreaEmitters:
    """EU ETS installations of a territory: ``ids``, ``method`` (how they were located), ``sites``
    (:func:`analysis.methods.emitters.site_table` rows with ``emissions_last_t``, verified t CO2e of the
    last year), ``trend`` (:func:`analysis.methods.emitters.area_trend`), ``by_site`` (``year``,
    ``name``, ``emissions_t``, for :func:`analysis.report.charts.area_emissions_trend`) and ``unplaced``
    (installations of its départements that could not be placed in a commune: listed, never counted);
    ``wider_area`` is always '' (kept for callers: sites are never taken from a wider area)."""

    ids: list
    method: str
    wider_area: str
    sites: pd.DataFrame = field(repr=False)
    trend: pd.DataFrame = field(repr=False)
    by_site: pd.DataFrame = field(repr=False)
    unplaced: pd.DataFrame | None = field(default=None, repr=False)


def area_emitters(area, emissions: pd.DataFrame, placed: pd.DataFrame | None = None) -> AreaEmitters:
    """The EU ETS emitting sites of a territory and their verified emissions by year.

    Each installation is placed in its own 2024 commune from its postcode and registered town
    (:func:`analysis.methods.emitters.placed_ets_sites`, La Poste 2022 table; ``placed`` to pass that
    table); a site counts for the territory only when its commune is a member. Installations that
    could not be placed are never given to a whole EPCI or département: those whose postcode lies in the
    territory's départements are listed in ``unplaced`` and named in ``method``. ``emissions``:
    :func:`analysis.data.loaders.ets.load_eutl_emissions_fr_geo` (stationary installations).
    """
    from analysis.methods import emitters

    placed = emitters.placed_ets_sites() if placed is None else placed
    inside = emitters.sites_in_area(placed, area.communes)
    ids = sorted(inside["installation_id"].unique())
    unplaced = emitters.unplaced_sites(placed, area.communes)
    method = (f"installations placed in their own commune (postcode and registered town, La Poste 2022): "
              f"{len(ids)} in the territory's communes")
    if len(unplaced):
        method += (f"; {len(unplaced)} installation(s) of its département(s) could not be placed and are not "
                   f"counted ({', '.join(unplaced['name'].astype(str).head(3))}{', ...' if len(unplaced) > 3 else ''})")
    wider = ""
    e = emissions[emissions["installation_id"].isin(set(ids))]
    trend = emitters.area_trend(emissions, ids)
    sites = emitters.site_table(e)
    if len(sites):
        last = int(e.dropna(subset=["emissions_t"])["year"].max())
        lastv = e[e["year"] == last].groupby("installation_id")["emissions_t"].sum()
        sites = sites.assign(emissions_last_t=sites["installation_id"].map(lastv))
        sites = sites.sort_values("emissions_last_t", ascending=False, na_position="last", ignore_index=True)
        sites.attrs["last_year"] = last
    by_site = e.dropna(subset=["emissions_t"])[["year", "name", "emissions_t"]]
    return AreaEmitters(ids=list(ids), method=method, wider_area=wider, sites=sites, trend=trend, by_site=by_site,
                        unplaced=unplaced)


# =============================================================================================
# Maps
# =============================================================================================


#: cos(45.5°), about: a degree of longitude over a degree of latitude in metropolitan France (maps' aspect).
ASPECT_LAT = 0.7


def map_wave(area) -> str:
    """The Territoires d'industrie wave :func:`area_map` colours a territory's EPCI by: a TI's own wave
    (a 2018-2022 TI is drawn with the TI of 2018-2022), the 2023-2027 wave for any other territory."""
    if getattr(area, "level", None) == "ti" and getattr(area, "wave", None) in geography.WAVES:
        return area.wave
    return geography.WAVE_2023


def area_map(area: Territory, epci_shapes, ze_shapes, membership: pd.DataFrame, points: pd.DataFrame | None = None,
             markers: Mapping[str, tuple[float, float]] | None = None, *, wave: str = geography.WAVE_2023,
             title: str = "", points_label: str | None = None):
    """Map of the territory: EPCI coloured by the Territoire d'industrie of ``wave`` ('2018-2022' or
    '2023-2027'; :func:`map_wave` gives a territory's) holding their communes, zone d'emploi outlines,
    optional points (``lon``/``lat``, e.g. biomethane injection sites, labelled ``points_label``;
    default: biomethane sites) and named markers (name -> (lon, lat)). ``membership``:
    :func:`epci_membership`. An EPCI only partly in the territory is hatched, not filled (the mirror has
    no commune outlines to draw the territory's own part). Returns the figure."""
    columns = {geography.WAVE_2018: "ti_2018_name", geography.WAVE_2023: "ti_2023_name"}
    if wave not in columns:
        raise ValueError(f"area_map: unknown wave {wave!r}; use one of {list(columns)}")
    wave_column = columns[wave]
    shapes = epci_shapes[epci_shapes["epci"].isin(set(membership["epci"]))].merge(
        membership[["epci", wave_column]], on="epci", how="left")
    shapes[wave_column] = shapes[wave_column].replace("", figures.tr("Hors Territoire d'industrie", "Outside any TI"))
    cats = sorted(shapes[wave_column].unique())
    colours = {c: figures.PALETTE[i % len(figures.PALETTE)] for i, c in enumerate(cats)}
    outside = figures.tr("Hors Territoire d'industrie", "Outside any TI")
    if outside in colours:
        colours[outside] = "#d9d9d9"
    xmin, ymin, xmax, ymax = shapes.total_bounds
    pad_x, pad_y = 0.05 * (xmax - xmin), 0.05 * (ymax - ymin)
    # the figure's height follows the territory's shape (the map is drawn 5.6 in wide at most, with the aspect
    # below), plus room for the title, the legend and the source line: a wide territory leaves no blank band
    shape_ratio = ((ymax - ymin) / ASPECT_LAT) / max(xmax - xmin, 1e-9)
    fig, ax = plt.subplots(figsize=(6.0, min(8.0, max(3.8, 5.6 * shape_ratio + 1.5))))
    # an EPCI only partly in the territory is hatched: the mirror has no commune outlines to draw the
    # territory's own part, and painting the whole EPCI would show a wider area as the territory
    full = geography.communes().groupby("epci")["population"].sum()
    inside = membership.set_index("epci")["population"]
    partial = set(inside.index[inside < full.reindex(inside.index).fillna(0)])
    for c in cats:
        part = shapes[(shapes[wave_column] == c) & ~shapes["epci"].isin(partial)]
        if len(part):
            figures.plot_geo(part, ax, color=colours[c], edgecolor="white", linewidth=0.5, alpha=0.8, label=c)
        part = shapes[(shapes[wave_column] == c) & shapes["epci"].isin(partial)]
        if len(part):
            figures.plot_geo(part, ax, facecolor="white", edgecolor=colours[c], hatch="////", linewidth=0.6)
    ze = ze_shapes.cx[xmin - pad_x:xmax + pad_x, ymin - pad_y:ymax + pad_y]
    figures.plot_geo(ze.boundary, ax, color="#222222", linewidth=0.9, linestyle=(0, (3, 2)))
    filled = [c for c in cats if ((shapes[wave_column] == c) & ~shapes["epci"].isin(partial)).any()]
    handles = [plt.Rectangle((0, 0), 1, 1, color=colours[c], alpha=0.8) for c in filled]
    labels = list(filled)
    if partial & set(shapes["epci"]):
        handles.append(plt.Rectangle((0, 0), 1, 1, facecolor="white", edgecolor="#555555", hatch="////"))
        labels.append(figures.tr("EPCI en partie seulement dans le territoire (contours communaux absents du miroir)",
                                 "EPCI only partly in the territory (commune outlines not in the mirror)"))
    handles.append(plt.Line2D([], [], color="#222222", linestyle=(0, (3, 2)), linewidth=0.9))
    labels.append(figures.tr("Zones d'emploi 2020 (contours)", "Zones d'emploi 2020 (outlines)"))
    if points is not None and len(points):
        inside = points[(points["lon"].between(xmin - pad_x, xmax + pad_x)) & (points["lat"].between(ymin - pad_y, ymax + pad_y))]
        sc = ax.scatter(inside["lon"], inside["lat"], s=14, marker="^", color="#000000", zorder=5)
        handles.append(sc)
        labels.append(points_label or figures.tr("Sites d'injection de biométhane en service",
                                                 "Biomethane injection sites in service"))
    for label, (lon, lat) in (markers or {}).items():
        ax.scatter([lon], [lat], s=60, marker="*", color="#D55E00", edgecolor="black", linewidth=0.5, zorder=6)
        ax.annotate(label, (lon, lat), xytext=(5, 5), textcoords="offset points", fontsize=9, fontweight="bold")
    ax.set_xlim(xmin - pad_x, xmax + pad_x)
    ax.set_ylim(ymin - pad_y, ymax + pad_y)
    ax.set_aspect(1 / ASPECT_LAT)  # longitude degrees are shorter at these latitudes
    ax.set_axis_off()
    ax.legend(handles, labels, loc="upper center", bbox_to_anchor=(0.5, 0.0), ncol=2, fontsize=7)
    if title:
        ax.set_title(textwrap.fill(title, 70), fontsize=9)
    return fig


def france_waves_map(ti_geometries, regions, highlight: Mapping[str, Iterable[str]] | None = None, *, title: str = "",
                     simplify_deg: float = 0.01):
    """Two maps of metropolitan France: the Territoires d'industrie of 2018-2022 and 2023-2027.

    ``ti_geometries``: :func:`analysis.data.loaders.geo.load_ti_geometries`; ``regions``: région
    shapes; ``highlight``: wave -> TI ids of that wave drawn in a second colour (ids are not
    comparable between waves, so they are given per wave). Returns the figure. The 2018 file
    draws commune members as points: they appear as small dots. Outlines are simplified to
    ``simplify_deg`` degrees (about one pixel of a two-column figure at 300 dpi) so that the
    SVG stays small; the ANCT geometries are display-generalised anyway.
    """
    highlight = {w: set(ids) for w, ids in (highlight or {}).items()}
    if simplify_deg:
        ti_geometries = ti_geometries.assign(geometry=ti_geometries.geometry.simplify(simplify_deg))
        regions = regions.assign(geometry=regions.geometry.simplify(simplify_deg))
    fig, axes = plt.subplots(1, 2, figsize=(6.4, 3.9))
    for ax, wave in zip(axes, WAVES):
        g = ti_geometries[ti_geometries["wave"] == wave]
        marked = g["ti_id"].isin(highlight.get(wave, set()))
        figures.plot_geo(regions, ax, color="#f2f2f2", edgecolor="#999999", linewidth=0.4)
        figures.plot_geo(g[~marked], ax, color=figures.PALETTE[0], alpha=0.75, linewidth=0, markersize=1)
        if marked.any():
            figures.plot_geo(g[marked], ax, color=figures.PALETTE[3], linewidth=0, markersize=1)
        ax.set_xlim(METRO_BOUNDS[0], METRO_BOUNDS[2])
        ax.set_ylim(METRO_BOUNDS[1], METRO_BOUNDS[3])
        ax.set_aspect(1 / 0.68)
        ax.set_axis_off()
        ax.set_title(figures.tr(f"{wave} : {g['ti_id'].nunique()} territoires",
                                f"{wave}: {g['ti_id'].nunique()} territories"), fontsize=9)
    if title:
        figures.figure_title(fig, title)
    return fig


# =============================================================================================
# Rendering the profile of any territory
# =============================================================================================


def render(level, codes=None, out_dir=None, *, wave=None, html: bool = True, timeout: int = 600) -> dict:
    """Render the neutral profile notebook (06) for any territory into ``out_dir``.

    ``level``/``codes``/``wave``: as :func:`analysis.geo.areas.resolve` (or an Area; a
    'ti-RRNN' string alone is taken as a TI of the 2023-2027 wave). The request is resolved
    and checked BEFORE the notebook runs; the notebook, its parameters injected by papermill, is
    executed with nbclient in a temporary folder and only a complete result is moved to ``out_dir`` (default
    ``profiles/``): ``<slug>.ipynb``, ``<slug>.html`` (code hidden) and ``<slug>_figures/``
    (slug: :func:`profile_slug`). Claims are not recorded (results go to a temporary
    folder). The figures of an earlier render of the same territory are the starting point (a figure that
    shows the same thing, drawn by the same code, is not rendered again; one no longer exported is removed).
    Returns the paths written. The notebook also exports what it shows: ``<slug>_key_figures.csv``
    (:data:`KEY_FIGURES_COLUMNS`), ``<slug>_tables/`` (every table as CSV) and ``<slug>.xlsx`` (one sheet each).
    """
    import shutil
    from pathlib import Path

    import nbformat
    from papermill.iorw import load_notebook_node
    from papermill.parameterize import parameterize_notebook

    from analysis.report.kernel import notebook_client

    if isinstance(level, str) and codes is None and level.lower().startswith("ti-"):
        level, codes = "ti", level
    area = level if isinstance(level, geography.Area) else check_request(level, codes, wave)
    slug = profile_slug(area)
    out_dir = Path(out_dir) if out_dir is not None else PROFILES_DIR
    params = {"LEVEL": area.level, "CODES": list(area.codes), "WAVE": area.wave, "NAME": area.label or None}
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        fig_tmp, nb_tmp = tmp / f"{slug}_figures", tmp / f"{slug}.ipynb"
        tables_tmp = tmp / f"{slug}_tables"
        if (out_dir / fig_tmp.name).is_dir():  # the previous render's figures and their export stamps: a figure
            # that shows the same thing, drawn by the same code, is not rendered again (figures.save_figure)
            # (its index is not: the render lists what it exports, and what it no longer exports is pruned)
            shutil.copytree(out_dir / fig_tmp.name, fig_tmp, ignore=shutil.ignore_patterns("index.csv", "*.lock", "*.tmp"))
        with environment(ANALYSIS_FIGURES_DIR=fig_tmp, ANALYSIS_RESULTS_DIR=tmp / "results",
                         ANALYSIS_TABLES_DIR=tables_tmp):
            # papermill injects the parameters (its "injected-parameters" cell); nbclient executes the
            # notebook on a fresh kernel and it is written once, at the end. Not papermill's own
            # execute_notebook: after the last cell it asks the kernel for its info and shuts the kernel
            # down as soon as the reply comes, and jupyter_client's shutdown interrupts the kernel first;
            # the SIGINT then often lands while the kernel is still closing that request's handler, which
            # prints "[IPKernelApp] ERROR | KeyboardInterrupt caught in kernel." (3 renders in 12)
            nb = parameterize_notebook(load_notebook_node(str(NEUTRAL_NOTEBOOK)), params)
            # (a fresh kernel on Unix sockets of its own, logging errors only: analysis.report.kernel)
            with notebook_client(nb, NOTEBOOKS_DIR, timeout=timeout) as client:
                client.execute()
            nbformat.write(nb, nb_tmp)
        if (fig_tmp / "index.csv").is_file():
            figures.prune(fig_tmp)
        elif fig_tmp.is_dir():
            shutil.rmtree(fig_tmp)
        written = {"notebook": out_dir / nb_tmp.name, "figures": out_dir / fig_tmp.name}
        if (tables_tmp / "key_figures.csv").exists():  # what the profile shows, as CSV and Excel
            shutil.copyfile(tables_tmp / "key_figures.csv", tmp / f"{slug}_key_figures.csv")
            shutil.move(str(tables_tmp / "tables.xlsx"), str(tmp / f"{slug}.xlsx"))
            written |= {"key_figures": out_dir / f"{slug}_key_figures.csv", "tables": out_dir / tables_tmp.name,
                        "excel": out_dir / f"{slug}.xlsx"}
        if html:
            from nbconvert import HTMLExporter

            nb.metadata["title"] = f"Profil : {area.name}"
            head = nb.cells[0].source.split("\n", 1)  # the page names the territory and its région
            nb.cells[0].source = f"# Profile: {area.describe()}, {area.region_name}\n" + (head[1] if len(head) > 1 else "")
            body, _ = HTMLExporter(exclude_input=True, exclude_input_prompt=True, exclude_output_prompt=True).from_notebook_node(
                nb, resources={"metadata": {"name": f"Profil : {area.name}"}})
            (tmp / f"{slug}.html").write_text(body, encoding="utf-8")
            written["html"] = out_dir / f"{slug}.html"
        out_dir.mkdir(parents=True, exist_ok=True)
        from analysis.data.locking import replace_file, replace_tree

        # atomic: each path is the old version or the new one, complete (copied beside it, then renamed)
        for path in written.values():
            src = tmp / path.name
            if path.name.endswith(("_figures", "_tables")):
                src.mkdir(exist_ok=True)
                replace_tree(src, path)
            elif src.exists():
                replace_file(src, path)
    return written
