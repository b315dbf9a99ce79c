"""Territorial employment dynamics: growth of any set of areas, group paths, Markov transitions.

Three families of public functions:

1. **Growth of areas** -- :func:`employment_growth` computes the employment change of
   any set of areas (commune, EPCI, ZE2010, ZE2020, département, région, Territoire
   d'industrie, métropole) between two years, for a sector grouping (``"total"``,
   ``"industry"`` = B-E, ``"manufacturing"`` = C, ``"exposed"`` / ``"sheltered"``),
   choosing among the mirrored series the one that covers that geography, period and
   sector (:data:`SOURCES`). Every result row says which source, zoning and employment
   concept were used; a request no source covers raises :class:`CoverageError` with the
   reason. :func:`growth_table` is the pure computation behind it (DataFrame in,
   DataFrame out) for series already in hand.
2. **Group paths** -- :func:`group_index` (employment of groups of zones as an index, base
   year = 100), :func:`areas_vs_rest_growth` (growth of each area's zone against all other
   zones), :func:`net_loss_shares` (share of net job losses falling in a group) and
   :func:`loss_share_table` (the same over several windows, with group growth rates).
3. **Markov transitions** -- :func:`window_growth_states` and :func:`share_states` build
   states per period (quantiles of growth over equal windows, or of a share at equally
   spaced dates), :func:`quantile_states` classifies areas into quantile states per period,
   :func:`estimate_markov` returns the transition counts and maximum-likelihood transition
   matrix with the probability of staying and the expected time spent in each state,
   :func:`markov_homogeneity_test` compares the matrices of several groups,
   :func:`stay_difference_test` asks whether one group stays in its state more than the
   others (permutation test by unit), and :func:`mean_first_passage_times` gives expected
   times to reach each state.
4. **Figures** are drawn in :mod:`analysis.report.charts.dynamics` (transition heatmaps, growth maps
   and bars); nothing here imports a plotting library.

Units: employment in jobs (headcounts at 31 December); growth as a fraction (0.05 = +5 %);
annualised growth as a compound rate per year. The estimators never read data: they
take DataFrames. Only :func:`employment_growth` / :func:`employment_series` call the
loaders (through :mod:`analysis.geo.areas`).
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from typing import Iterable, Mapping

import numpy as np
import pandas as pd

from analysis.methods import cells as _cells
from analysis.geo import areas as geography
from analysis.paths import DATA_DIR
from analysis.data.cache import derived
from analysis.data.validate import check_choice, check_year, check_years, years_text

__all__ = [
    "CoverageError", "SOURCES", "SECTORS", "Source", "sector_codes", "employment_series", "employment_cells", "employment_growth",
    "growth_table", "annualised", "rank_correlation", "group_index", "areas_vs_rest_growth", "net_loss_shares", "loss_share_table",
    "quantile_states", "window_growth_states", "share_states", "transition_pairs", "transition_counts",
    "MarkovEstimate", "estimate_markov", "markov_homogeneity_test", "stay_difference_test",
    "mean_first_passage_times",
]


class CoverageError(ValueError):
    """No mirrored series covers the requested geography x period x sector (the message says why)."""


# =============================================================================================
# Sector groupings
# =============================================================================================

#: Sector groupings understood by :func:`employment_growth`.
SECTORS = ("total", "industry", "manufacturing", "exposed", "sheltered")
SECTOR_LABELS = {
    "total": "all sectors",
    "industry": "industry B-E (A5 'BE')",
    "manufacturing": "manufacturing C (A21 'C')",
    "exposed": "exposed A38 sectors (data/sector_classification.csv, footnote17)",
    "sheltered": "sheltered A38 sectors (data/sector_classification.csv, footnote17)",
}
_A38_INDUSTRY = ["BZ", "CA", "CB", "CC", "CD", "CE", "CF", "CG", "CH", "CI", "CJ", "CK", "CL", "CM", "DZ", "EZ"]


@lru_cache(maxsize=None)
def _sector_classification() -> pd.DataFrame:
    return pd.read_csv(DATA_DIR / "sector_classification.csv", dtype=str, keep_default_na=False)


def _classification_columns() -> list[str]:
    """The exposed/sheltered variants of ``data/sector_classification.csv``: its columns that class
    sectors as 'exposed' or 'sheltered' (read from the file, not listed here)."""
    t = _sector_classification()
    return [c for c in t.columns if t[c].isin(["exposed", "sheltered"]).any()]


def sector_codes(sector: str, column: str = "footnote17") -> list[str]:
    """A38 codes of a sector grouping (``SECTORS``); exposed/sheltered from the project's table.

    ``column`` picks the exposed/sheltered variant of ``data/sector_classification.csv`` (one of
    its classification columns, e.g. ``footnote17``, ``footnote17_broad``, ``industry_only``);
    any other value raises one :class:`analysis.data.validate.ChoiceError` listing them.
    """
    check_choice(column, _classification_columns(), "sector_codes(column=...)",
                 hint="(columns of data/sector_classification.csv)")
    if sector == "total":
        return []
    if sector == "industry":
        return list(_A38_INDUSTRY)
    if sector == "manufacturing":
        return [c for c in _A38_INDUSTRY if c.startswith("C")]
    if sector in ("exposed", "sheltered"):
        t = _sector_classification()
        t = t[t["level"] == "a38"]
        return sorted(t.loc[t[column] == sector, "code"])
    raise CoverageError(f"unknown sector grouping {sector!r}; use one of {SECTORS}")


# =============================================================================================
# Sources: which mirrored series covers which zoning, years and sectors
# =============================================================================================


@dataclass(frozen=True)
class Source:
    """One mirrored employment series and what it covers."""

    key: str
    label: str
    concept: str
    zonings: tuple[str, ...]
    years: tuple[int, ...]
    sectors: tuple[str, ...]
    note: str = ""


_Y = lambda a, b: tuple(range(a, b + 1))  # noqa: E731

#: The series :func:`employment_growth` chooses from, in order of preference.
SOURCES: dict[str, Source] = {s.key: s for s in [
    Source("urssaf_commune_ape_rouen", "URSSAF commune x APE, Rouen zone extract, 2006-2022",
           "private-sector salaried headcount, 31 Dec", ("commune",), _Y(2006, 2022), SECTORS,
           "extract: only communes of ZE2020 Rouen (2815) in Seine-Maritime"),
    Source("urssaf_totals_by_area", "URSSAF private employment, all sectors, by area, 2014-2024",
           "private-sector salaried headcount, 31 Dec", ("commune", "epci", "ze2020", "dep", "reg"),
           _Y(2014, 2024), ("total",)),
    Source("urssaf_ze2020_a38", "URSSAF ZE2020 x A38, 2019/2022/2023/2024",
           "private-sector salaried headcount, 31 Dec (apprentices from 2023)", ("ze2020",),
           (2019, 2022, 2023, 2024), SECTORS),
    Source("flores_ze2020_a38", "INSEE Flores ZE2020 x A38, 2022-2023",
           "salaried jobs, all employers, 31 Dec", ("ze2020",), (2022, 2023), SECTORS),
    Source("estel_ze2010_salaried", "INSEE ESTEL ZE2010 x A5, salaried, 1998-2017",
           "salaried jobs, all employers, 31 Dec", ("ze2010",), _Y(1998, 2017), ("total", "industry")),
    Source("estel_ze2020_total", "INSEE ESTEL ZE2020, all sectors, 1998-2023",
           "salaried jobs, all employers, 31 Dec", ("ze2020",), _Y(1998, 2023), ("total",)),
]}


#: Loader of each source's parsed table (its ``cache_path()`` names the data and code version).
_SOURCE_LOADERS = {"urssaf_commune_ape_rouen": "load_urssaf_commune_ape_rouen", "urssaf_totals_by_area": "load_urssaf_totals_by_area",
                   "urssaf_ze2020_a38": "load_urssaf_ze2020_a38", "flores_ze2020_a38": "load_flores_ze2020_a38",
                   "estel_ze2010_salaried": "load_estel_ze2010_salaried", "estel_ze2020_total": "load_estel_ze2020_total"}


def _load_cells(key: str, sector: str, years: Iterable[int], *, copy: bool = True) -> pd.DataFrame:
    """Tidy cells ``zoning, code, sector, year, employment`` of one source for one sector grouping.

    A cell is (unit, sector): the A38 (or NA38) sector for the sector-split sources, the
    grouping itself ('total', 'BE') for the others. NaN = secret or missing.

    A notebook asks for the same cells many times (one call per area, window and sector): the
    table of every year is built once per process for each (source, sector) and data version (the
    parsed table's cache path, which names the source file's hash and the parser's code), the years
    are selected from it, and each call gets its own copy (``copy=False``: the shared table, for
    callers that only read it)."""
    from analysis.data.loaders import employment as E

    years = tuple(sorted(set(int(y) for y in years)))
    loader = getattr(E, _SOURCE_LOADERS.get(key, ""), None)
    if loader is None or not hasattr(loader, "cache_path"):  # unknown source, or a loader replaced (tests): no reuse
        return _select_years(_cells_all_years.__wrapped__.compute(key, sector, ""), years)
    out = _cells_once(key, sector, years, str(loader.cache_path()))
    return out.copy() if copy else out


def _select_years(cells: pd.DataFrame, years: tuple[int, ...]) -> pd.DataFrame:
    return cells[cells["year"].isin(years)].reset_index(drop=True)


@lru_cache(maxsize=32)
def _cells_once(key: str, sector: str, years: tuple[int, ...], version: str) -> pd.DataFrame:
    return _select_years(_cells_all_years(key, sector, version), years)


@lru_cache(maxsize=16)
@derived(version=1)
def _cells_all_years(key: str, sector: str, version: str) -> pd.DataFrame:
    """Cells of every year of one source and sector grouping (see :func:`_load_cells`); sums are
    per cell and year, so selecting years afterwards equals building the table of those years. Kept in
    the data cache (:func:`analysis.data.cache.derived`; ``version`` names the parsed table it reads)."""
    from analysis.data.loaders import employment as E

    if key == "urssaf_commune_ape_rouen":
        d = E.load_urssaf_commune_ape_rouen()
        d = d[d["variable"] == "employment"]
        if sector != "total":
            d = d[d["na38"].isin(sector_codes(sector))]
        out = (d.groupby(["commune", "na38", "year"], as_index=False)["value"].sum(min_count=1)
               .rename(columns={"commune": "code", "na38": "sector", "value": "employment"}))
        out.insert(0, "zoning", "commune")
    elif key == "urssaf_totals_by_area":
        d = E.load_urssaf_totals_by_area()
        level = {"commune": "commune", "epci": "epci", "ze2020": "ze2020", "departement": "dep", "region": "reg"}
        d = d[d["level"].isin(level) & d["code"].notna()]
        kinds, labels = pd.factorize(d["level"])
        out = pd.DataFrame({"zoning": np.array([level[k] for k in labels], dtype=object)[kinds], "code": d["code"],
                            "sector": "total", "year": d["year"], "employment": d["employment"]})
        out["zoning"] = out["zoning"].astype("str")
        # Paris, Lyon and Marseille come by arrondissement municipal: add them to their commune
        com = out["zoning"] == "commune"
        out.loc[com, "code"] = geography.commune_codes_2024(out.loc[com, "code"])
        # a unit-year published twice (the arrondissements of one commune) is summed; the others are kept as
        # they are (a sum over one row, with min_count=1, is that row)
        keys = ["zoning", "code", "sector", "year"]
        twice = out.duplicated(keys, keep=False).to_numpy()
        out = pd.concat([out[~twice], out[twice].groupby(keys, as_index=False)["employment"].sum(min_count=1)],
                        ignore_index=True)
    elif key in ("urssaf_ze2020_a38", "flores_ze2020_a38"):
        d = E.load_urssaf_ze2020_a38() if key == "urssaf_ze2020_a38" else E.load_flores_ze2020_a38()
        if sector != "total":
            d = d[d["a38"].isin(sector_codes(sector))]
        out = (d.groupby(["ze2020", "a38", "year"], as_index=False)["employment"].sum(min_count=1)
               .rename(columns={"ze2020": "code", "a38": "sector"}))
        out.insert(0, "zoning", "ze2020")
    elif key == "estel_ze2010_salaried":
        d = E.load_estel_ze2010_salaried()
        code = "BE" if sector == "industry" else "TT"
        d = d[d["sector"] == code]
        out = pd.DataFrame({"zoning": "ze2010", "code": d["ze2010"], "sector": code, "year": d["year"],
                            "employment": d["employment"]})
    elif key == "estel_ze2020_total":
        d = E.load_estel_ze2020_total()
        d = d[d["region_part"].isna()]
        out = pd.DataFrame({"zoning": "ze2020", "code": d["ze2020"], "sector": "total", "year": d["year"],
                            "employment": d["employment"]})
    else:
        raise CoverageError(f"unknown source {key!r}; use one of {list(SOURCES)}")
    out["year"] = out["year"].astype(int)
    return out.sort_values(["zoning", "code", "sector", "year"], ignore_index=True)


def _load_source(key: str, sector: str, years: Iterable[int]) -> pd.DataFrame:
    """Tidy series ``zoning, code, year, employment, n_cells, n_cells_missing`` of one source for
    one sector grouping: the published cells summed by unit, with the count of the unit's cells
    and of those secret or absent that year (see :func:`employment_series`)."""
    c = _load_cells(key, sector, years)
    keys = ["zoning", "code", "year"]
    out = c.groupby(keys, as_index=False)["employment"].sum(min_count=1)
    n_cells = c.groupby(["zoning", "code"])["sector"].nunique().rename("n_cells")
    published = c.dropna(subset=["employment"]).groupby(keys).size().rename("_published")
    out = out.merge(n_cells.reset_index(), on=["zoning", "code"], how="left")
    out = out.merge(published.reset_index(), on=keys, how="left")
    out["n_cells"] = out["n_cells"].astype("int64")
    out["n_cells_missing"] = (out["n_cells"] - out["_published"].fillna(0)).astype("int64")
    return out.drop(columns="_published").sort_values(keys, ignore_index=True)


def employment_cells(source: str, sector: str = "total", years: Iterable[int] | None = None) -> pd.DataFrame:
    """Employment of every (unit, sector) cell of one source: ``zoning``, ``code``, ``sector``
    (A38 / NA38 code, or the grouping for unsplit sources), ``year``, ``employment`` (jobs, 31
    December; NaN = secret/missing). Same checks as :func:`employment_series`; feed
    :func:`analysis.methods.cells.cell_table` to compute growth on cells present in both years."""
    years = _check_request(source, sector, years)
    s = SOURCES[source]
    return _load_cells(source, sector, s.years if years is None else years)


def _check_request(source: str, sector: str, years) -> tuple[int, ...] | None:
    """Refuse an unknown source / sector / uncovered year; returns the years as ints (None = all)."""
    if years is not None:
        years = check_years(years, "employment_series(years=...)")
    if source not in SOURCES:
        raise CoverageError(f"unknown source {source!r}; use one of {list(SOURCES)}")
    s = SOURCES[source]
    if sector not in SECTORS:
        raise CoverageError(f"unknown sector grouping {sector!r}; use one of {SECTORS}")
    if sector not in s.sectors:
        raise CoverageError(f"{s.label} has no {SECTOR_LABELS[sector]} series (it has {list(s.sectors)})")
    years = s.years if years is None else tuple(years)
    missing = sorted(set(years) - set(s.years))
    if missing:
        raise CoverageError(f"{s.label} does not cover year(s) {missing} (it has {s.years[0]}-{s.years[-1]})")
    return years


def employment_series(source: str, sector: str = "total", years: Iterable[int] | None = None) -> pd.DataFrame:
    """Employment of every unit of one source's zoning, for a sector grouping and years.

    Returns columns ``zoning`` ('commune', 'epci', 'ze2020', 'ze2010', 'dep', 'reg'),
    ``code``, ``year``, ``employment`` (jobs, 31 December: the sum of the unit's PUBLISHED
    cells; NaN = every cell missing/secret), ``n_cells`` (the unit's cells -- sectors of the
    grouping -- seen in any of the years asked for) and ``n_cells_missing`` (those secret or
    absent that year). Where ``n_cells_missing > 0`` the employment is a partial sum, not the
    unit's total: for growth rates use :func:`employment_cells` (or :func:`employment_growth`),
    which keep only the cells present in both years, and give :func:`group_index` the cells.
    Raises :class:`CoverageError` if the source lacks that sector or those years.
    """
    years = _check_request(source, sector, years)
    s = SOURCES[source]
    return _load_source(source, sector, s.years if years is None else years)


# =============================================================================================
# Growth of areas
# =============================================================================================


#: Columns :func:`growth_table` adds to the growth of each unit (the secret-cell rule, :mod:`analysis.methods.cells`).
CELL_COLUMNS = ["n_cells", "n_cells_one_year", "share_one_year", "unreliable", "reason"]


def _refuse_partial_sums(series: pd.DataFrame, start: int, end: int, code: str, year: str, value: str) -> None:
    """A unit total summed over published cells only (``n_cells_missing > 0`` with a value) is not its
    total: refuse it, so that a secret cell is never read as 0 (give the cells instead)."""
    if "n_cells_missing" not in series.columns:
        return
    d = series[series[year].isin([start, end])]
    partial = d[(d["n_cells_missing"] > 0) & d[value].notna()]
    if len(partial):
        ex = partial.iloc[0]
        raise ValueError(
            f"growth_table: {len(partial)} unit-year(s) are sums of published cells with secret cells left out "
            f"(e.g. {code} {ex[code]!r} in {int(ex[year])}: {int(ex['n_cells_missing'])} cell(s) missing); "
            f"pass the cells (dynamics.employment_cells, with a 'sector' column) so that growth is computed on "
            f"the cells present in both years")


def _cell_growth(series: pd.DataFrame, start: int, end: int, *, code: str, year: str, value: str,
                 threshold: float) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(cell table, growth per unit) of a units or cells series; see :func:`growth_table`."""
    if end <= start:
        raise ValueError(f"end year {end} must be after start year {start}")
    have = set(series[year].unique())
    for y in (start, end):
        if y not in have:
            raise CoverageError(f"the series has no year {y} (it has {sorted(have)})")
    _refuse_partial_sums(series, start, end, code, year, value)
    table = _cells.cell_table(series, start, end, unit=code, sector="sector", year=year, value=value)
    s = _cells.summarise(table, threshold=threshold)
    out = pd.DataFrame({code: s["unit"], "emp_start": s["value_start"], "emp_end": s["value_end"],
                        "change": s["change"], "growth": s["growth"]})
    out["growth_pa"] = annualised(out["growth"], end - start)
    for c in CELL_COLUMNS:
        out[c] = s[c]
    return table, out.sort_values(code, ignore_index=True)


def growth_table(series: pd.DataFrame, start: int, end: int, *, code: str = "code", year: str = "year",
                 value: str = "employment", threshold: float = _cells.UNRELIABLE_SHARE) -> pd.DataFrame:
    """Employment change of each unit between ``start`` and ``end`` (pure computation).

    ``series``: long table with one row per (unit, year), or CELLS (a ``sector`` column: one row
    per unit x sector x year, e.g. :func:`employment_cells`). Growth follows the secret-cell rule
    of :mod:`analysis.methods.cells`: it is computed on the cells present in both years (a unit without
    ``sector`` is one cell); a secret or absent cell is never summed as 0. A units series whose
    values are partial sums (``n_cells_missing > 0``, from :func:`employment_series`) is refused:
    give its cells.

    Returns one row per unit with ``emp_start``, ``emp_end`` (jobs, on cells present in both
    years; NaN when none is), ``change`` (jobs), ``growth`` (fraction: ``emp_end / emp_start - 1``;
    NaN with a ``reason`` for a zero start), ``growth_pa`` (compound annual rate), ``n_cells``,
    ``n_cells_one_year`` (cells present in one year only), ``share_one_year`` (the larger share of
    start- or end-year employment they hold), ``unreliable`` (share above ``threshold``, 5 %) and
    ``reason``. Sorted by unit code.
    """
    return _cell_growth(series, start, end, code=code, year=year, value=value, threshold=threshold)[1]


def annualised(growth, years: float):
    """Compound annual rate of a total growth (fraction) over ``years`` years."""
    return (1 + growth) ** (1.0 / years) - 1


def _candidates(level: str, sector: str, start: int, end: int, source: str | None,
                allow_ze_proxy: bool) -> tuple[list[tuple[Source, str]], list[str]]:
    """Sources able to serve the request, best first, with their mode ('direct', 'aggregate'
    = finer units add up exactly, 'ze_proxy'), and the reasons the others cannot."""
    if source is not None and source not in SOURCES:
        raise CoverageError(f"unknown source {source!r}; use one of {list(SOURCES)}")
    candidates = [SOURCES[source]] if source is not None else list(SOURCES.values())
    reasons, ok = [], []
    for s in candidates:
        if sector not in s.sectors:
            reasons.append(f"{s.label}: no {sector} split")
            continue
        if start not in s.years or end not in s.years:
            reasons.append(f"{s.label}: years {years_text(s.years)}")
            continue
        mode = geography.zoning_mode(level, s.zonings, allow_ze_proxy=allow_ze_proxy)
        if mode is None:
            reasons.append(f"{s.label}: zoning {'/'.join(s.zonings)} cannot express {level}")
            continue
        ok.append(({"direct": 0, "aggregate": 1, "ze_proxy": 2}[mode], len(ok), s, mode))
    return [(s, mode) for _, _, s, mode in sorted(ok, key=lambda t: t[:2])], reasons


def _area_units(area, zoning: str, ze_threshold: float, combine: bool) -> pd.DataFrame:
    """Units of ``zoning`` making up a resolved area: ``code``, ``unit``, ``coverage`` (as
    :func:`analysis.geo.tables.area_units`). A one-code area is read from its own communes and zone proxy
    (:meth:`analysis.geo.areas.Area.zone_proxy`), never resolved again; several codes (one row per code)
    and TIs on EPCI units (whose whole-EPCI check needs the wave's member table) go through
    :func:`analysis.geo.tables.area_units`."""
    level, code = area.level, (area.codes[0] if len(area.codes) == 1 else None)
    if code is None or (level == "ti" and zoning == "epci"):
        return geography.area_units(level, list(area.codes), zoning, wave=area.wave or geography.WAVE_2023,
                                    ze_threshold=ze_threshold, combine=combine, keep_unflagged=not combine)
    if level == zoning or (level == "metropole" and zoning == "epci"):
        return pd.DataFrame({"code": [code], "unit": [code], "coverage": 1.0})
    if zoning in ("commune", "epci", "dep", "reg") and geography.zoning_mode(level, [zoning], False) == "aggregate":
        col = "com" if zoning == "commune" else zoning
        units = sorted(set(area.communes[col].dropna()))
        return pd.DataFrame({"code": code, "unit": units, "coverage": 1.0})
    if zoning in ("ze2020", "ze2010"):
        z = area.zone_proxy(zoning, ze_threshold)
        if z.empty:
            raise ValueError(f"no {zoning} has >= {ze_threshold:g} of its population in {level} {[code]}: "
                             f"lower ze_threshold or use a commune/EPCI source")
        return pd.DataFrame({"code": code, "unit": list(z["zone"]), "coverage": float(z["area_share"].sum())})
    raise ValueError(f"{zoning} units cannot express {level}")


def employment_growth(level, codes: str | Iterable[str] | None = None, start: int | None = None,
                      end: int | None = None, sector: str = "total", *, wave: str | None = None,
                      source: str | None = None, combine: bool = False, ze_threshold: float = 0.5,
                      allow_ze_proxy: bool = True, name: str | None = None,
                      threshold: float = _cells.UNRELIABLE_SHARE) -> pd.DataFrame:
    """Employment growth of a set of areas between two years, from the best mirrored series.

    Parameters
    ----------
    level : a :class:`analysis.geo.areas.Area` (then ``codes`` must be None), or a level:
        'commune', 'epci', 'ze2010', 'ze2020', 'dep', 'reg', 'ti' (Territoire d'industrie,
        ids 'ti-RRNN' of ``wave``) or 'metropole' (SIREN of one of the 22). The request is
        resolved once into an Area (:func:`analysis.geo.areas.resolve`): codes are
        normalised (an int or a zero-less code is accepted), a bare string is one code,
        an empty list is refused.
    codes : one code, a list, or None for every TI of the wave / the 22 métropoles (for
        other levels None is refused).
    start, end : years (employment at 31 December of each).
    sector : one of :data:`SECTORS`.
    wave : TI wave ('2018', '2023', '2018-2022', '2023-2027'; default 2023-2027), only
        for ``level='ti'``: TI ids are reused between waves with other members.
    source : force one key of :data:`SOURCES`; default: the first source that covers the
        request exactly (same zoning, or finer units that add up to the area), else zones
        d'emploi with at least ``ze_threshold`` of their population in the area (any level:
        TI, métropole, EPCI, commune list, département). No lower threshold is tried.
    combine : add all requested areas into one row (e.g. all TI together), named ``name``.
    allow_ze_proxy : set False to refuse the zone d'emploi approximation.
    threshold : share of employment in cells present in one year only above which the
        growth is flagged unreliable (default :data:`analysis.methods.cells.UNRELIABLE_SHARE`, 5 %).

    Growth is computed on the cells (unit x sector: zone x A38, commune x NA38, or the unit
    for unsplit series) present in BOTH years (:mod:`analysis.methods.cells`); a secret or absent
    cell is never summed as 0. A zero start gives NaN with a reason, never inf.

    Returns
    -------
    One row per area (or one row if ``combine``): ``level``, ``code``, ``name``, ``wave``
    (TI wave, '' otherwise), ``start``, ``end``, ``sector``, ``emp_start``, ``emp_end``
    (jobs, on cells present in both years), ``change``, ``growth`` (fraction),
    ``growth_pa`` (annual rate), ``source`` (label), ``concept`` (employment definition),
    ``zoning`` (units the source counts in), ``n_units`` (units summed), ``n_missing``
    (units with no cell present in both years), ``n_cells_one_year``, ``share_one_year``
    (share of start- or end-year employment in cells present in one year only, the larger),
    ``unreliable`` (bool), ``reason`` ('' or why growth is NaN / unreliable), ``method``
    ('direct', 'sum of <zoning> units', 'ZE2020 flagged by population share >= 0.5' ...),
    ``coverage`` (share of the area's population inside the units summed; 1 when exact).

    Raises
    ------
    CoverageError naming why no source fits (e.g. EPCI x manufacturing for 2017). Of several areas
    on a zone proxy, one that no zone reaches ``ze_threshold`` for is a row with NaN growth and
    that reason (``n_units`` 0, ``coverage`` 0); it raises only when it is the only area or all are;
    geography.UnknownAreaError for a code that does not exist at that level.
    """
    if sector not in SECTORS:
        raise CoverageError(f"unknown sector grouping {sector!r}; use one of {SECTORS}")
    if start is None or end is None:
        years = "; ".join(f"{s.key} {years_text(s.years)}" for s in SOURCES.values() if sector in s.sectors)
        raise ValueError(f"employment_growth: give the start and end years (start=2019, end=2023); the years of "
                         f"each source (SOURCES) for sector {sector!r}: {years}")
    start, end = check_year(start, "employment_growth(start=...)"), check_year(end, "employment_growth(end=...)")
    if end <= start:
        raise ValueError(f"end year {end} must be after start year {start}")
    area = _requested_area(level, codes, wave, name if not combine else None)
    src, mode, zoning, members = _choose_source(area, sector, start, end, source, allow_ze_proxy, ze_threshold, combine)
    names = dict(zip(area.codes, area.names))
    m = members.copy()
    if combine:
        label = name or "+".join(sorted(set(m["code"])))[:60]
        m["code"] = label
        m = m.drop_duplicates(["code", "unit"])
        names = {label: "; ".join(area.names) if name is None else name}
    agg = _growth_of_units(src, sector, start, end, zoning, m, threshold)
    unflagged = [c for c in area.codes if c not in agg.index] if not combine else []
    if unflagged:  # several areas on a zone proxy: an area that no zone reaches the threshold for is missing, said so
        agg = pd.concat([agg, pd.DataFrame(
            {"n_units": 0, "coverage": 0.0, "n_missing": 0, "n_cells_one_year": 0, "unreliable": True,
             "reason": f"no {zoning} has >= {ze_threshold:g} of its population in it: no zone proxy (lower ze_threshold)"},
            index=pd.Index(unflagged, name=agg.index.name))]).sort_index()
    method = {"direct": "direct", "aggregate": f"sum of {zoning} units",
              "ze_proxy": f"{zoning.upper()} flagged by population share >= {ze_threshold:g}"}[mode]
    out = agg.reset_index().assign(level=area.level, start=start, end=end, sector=sector, source=src.label,
                                   concept=src.concept, zoning=zoning, method=method,
                                   wave=area.wave or "")
    out["name"] = out["code"].map(names).fillna("")
    cols = ["level", "code", "name", "wave", "start", "end", "sector", "emp_start", "emp_end", "change", "growth",
            "growth_pa", "source", "concept", "zoning", "n_units", "n_missing", "n_cells_one_year",
            "share_one_year", "unreliable", "reason", "method", "coverage"]
    return out[cols]


def _requested_area(level, codes, wave, name):
    """The request of :func:`employment_growth` as one resolved Area (an Area is returned as is; None codes mean
    every TI of the wave or the 22 métropoles)."""
    if isinstance(level, geography.Area):
        if codes is not None:
            raise ValueError("pass either an Area or a level and codes, not both")
        return level
    lv = geography.normalise_level(level)
    if codes is None:
        if lv == "ti":
            codes = list(geography.ti_names(geography.normalise_wave(wave or geography.WAVE_2023)).index)
        elif lv == "metropole":
            codes = list(geography.metropoles()["siren"])
        else:
            raise geography.UnknownAreaError(f"give the {lv} codes (None = all is only for 'ti' and 'metropole')")
    return geography.resolve(lv, codes, wave=wave, name=name)


def _choose_source(area, sector: str, start: int, end: int, source: str | None, allow_ze_proxy: bool,
                   ze_threshold: float, combine: bool):
    """The first mirrored series (:data:`SOURCES`, in order) that can express ``area`` for the sector and years, with
    its mode ('direct', 'aggregate', 'ze_proxy'), zoning and member units; :class:`CoverageError` naming why each
    series was left when none fits."""
    feasible, reasons = _candidates(area.level, sector, start, end, source, allow_ze_proxy)
    for src, mode in feasible:
        zoning = geography.best_zoning(area.level, src.zonings)
        if mode == "ze_proxy":
            zoning = next(z for z in ("ze2020", "ze2010") if z in src.zonings)
        try:
            members = _area_units(area, zoning, ze_threshold, combine)
        except ValueError as err:  # e.g. no zone reaches the population-share threshold
            reasons.append(f"{src.label}: {err}")
            continue
        if src.key == "urssaf_commune_ape_rouen":
            outside = members.loc[~members["unit"].isin(geography.rouen_extract_communes()), "code"]
            if len(outside):
                reasons.append(f"{src.label}: covers only ZE2020 Rouen in Seine-Maritime, not {area.level} "
                               f"{sorted(set(outside))[:3]}")
                continue
        return src, mode, zoning, members
    raise CoverageError(f"no mirrored series covers {area.level} x {SECTOR_LABELS.get(sector, sector)} for "
                        f"{start}-{end}: " + "; ".join(reasons))


def _units_text(units: list) -> str:
    return ", ".join(units[:5]) + (f" and {len(units) - 5} more" if len(units) > 5 else "")


def _growth_of_units(src, sector: str, start: int, end: int, zoning: str, m: pd.DataFrame,
                     threshold: float) -> pd.DataFrame:
    """Growth of each area (``m``: ``code``, ``unit``, ``coverage``) on the cells of ``src`` present in both years
    (:mod:`analysis.methods.cells`), indexed by area code."""
    _check_request(src.key, sector, (start, end))
    cells = _load_cells(src.key, sector, (start, end), copy=False)
    cells = cells[(cells["zoning"] == zoning) & cells["code"].isin(set(m["unit"]))]
    table = _cells.cell_table(cells.rename(columns={"code": "unit"}), start, end, value="employment")
    summ = _cells.summarise(table, groups=m[["unit", "code"]], threshold=threshold).set_index("code")
    per_unit = _cells.summarise(table).set_index("unit")
    both = per_unit["n_cells_both"].reindex(m["unit"]).fillna(0).to_numpy() > 0
    n_missing = pd.Series(~both, index=m.index).groupby(m["code"]).sum()
    agg = m.groupby("code", sort=True).agg(n_units=("unit", "nunique"), coverage=("coverage", "first"))
    agg["emp_start"] = summ["value_start"]
    agg["emp_end"] = summ["value_end"]
    agg["change"] = agg["emp_end"] - agg["emp_start"]
    agg["growth"] = summ["growth"]
    agg["growth_pa"] = annualised(agg["growth"], end - start)
    agg["n_missing"] = n_missing.astype("int64")
    agg["n_cells_one_year"] = summ["n_cells_one_year"]
    agg["share_one_year"] = summ["share_one_year"]
    agg["unreliable"] = summ["unreliable"]
    agg["reason"] = summ["reason"]
    none = agg.index[agg["n_missing"] == agg["n_units"]]
    if len(none):  # which units, and whether the source has them at all in those years
        present = set(cells["code"])
        units = m[m["code"].isin(none)].groupby("code")["unit"].agg(lambda u: sorted(set(u)))
        agg.loc[none, "reason"] = [
            f"no {zoning} unit with data in both {start} and {end} ({_units_text(units[c])}"
            + (" absent from the source in both years)" if not present & set(units[c]) else ")") for c in none]
    return agg


# =============================================================================================
# Group paths and shares of net losses
# =============================================================================================


def group_index(series: pd.DataFrame, groups: pd.DataFrame, base_year: int, *, code: str = "code",
                group: str = "group", year: str = "year", value: str = "employment",
                threshold: float = _cells.UNRELIABLE_SHARE) -> pd.DataFrame:
    """Employment of groups of units by year, and as an index (``base_year`` = 100).

    ``series``: (code, year, value) rows of units, or CELLS (:func:`employment_cells`: with a
    ``sector`` column); ``groups``: (code, group) rows -- a unit may belong to several groups
    (e.g. 'TI' and 'all'). The panel is balanced so that the index is not moved by entries,
    exits or secrecy:

    - on cells (recommended for sector-split sources): a cell (unit x sector) missing or secret
      in any year of ``series`` is dropped from every year; ``n_cells_dropped`` counts the
      group's dropped cells and ``share_dropped`` is the part of the group's published
      employment that year they hold; ``unreliable`` flags rows where it exceeds
      ``threshold`` (5 %, :data:`analysis.methods.cells.UNRELIABLE_SHARE`);
    - on units: a unit with a missing value in any year is dropped from every year; if the
      series carries ``n_cells_missing`` (:func:`employment_series`), the secret cells of the
      kept units are NOT in their sums and ``n_cells_missing`` reports them per group and year
      (pass the cells to drop them instead).

    Returns ``group``, ``year``, ``employment``, ``n_units``, ``index`` and, per the input,
    ``n_cells``, ``n_cells_dropped``, ``share_dropped``, ``unreliable`` (cells) or
    ``n_cells_missing`` (units with cell counts).
    """
    if "sector" in series.columns:
        wide = series.groupby([code, "sector", year])[value].sum(min_count=1).unstack(year)
        complete = wide.notna().all(axis=1)
        long = wide.stack().rename(value).reset_index()  # published values only (stack drops NaN)
        long["_kept"] = long.set_index([code, "sector"]).index.isin(wide.index[complete])
        m = long.merge(groups[[code, group]], on=code, how="inner")
        kept = m[m["_kept"]]
        out = kept.groupby([group, year], as_index=False).agg(employment=(value, "sum"), n_units=(code, "nunique"),
                                                              n_cells=("sector", "size"))
        cells = wide.reset_index()[[code, "sector"]].assign(_dropped=~complete.to_numpy())
        dropped = cells.merge(groups[[code, group]], on=code).groupby(group)["_dropped"].sum()
        pub = m.groupby([group, year])[value].sum()
        pub_dropped = m[~m["_kept"]].groupby([group, year])[value].sum()
        idx = pd.MultiIndex.from_frame(out[[group, year]])
        out["n_cells_dropped"] = out[group].map(dropped).fillna(0).astype("int64")
        out["share_dropped"] = (pub_dropped.reindex(idx).fillna(0.0) / pub.reindex(idx)).to_numpy()
        out["unreliable"] = out["share_dropped"] > threshold
    else:
        wide = series.groupby([code, year])[value].sum(min_count=1).unstack(year)
        wide = wide.dropna(how="any")
        long = wide.stack().rename(value).reset_index()
        agg = {"employment": (value, "sum"), "n_units": (code, "nunique")}
        if "n_cells_missing" in series.columns:
            miss = series.groupby([code, year])["n_cells_missing"].sum()
            long["n_cells_missing"] = miss.reindex(pd.MultiIndex.from_frame(long[[code, year]])).to_numpy()
            agg["n_cells_missing"] = ("n_cells_missing", "sum")
        m = long.merge(groups[[code, group]], on=code, how="inner")
        out = m.groupby([group, year], as_index=False).agg(**agg)
    base = out[out[year] == base_year].set_index(group)["employment"]
    if base.empty:
        raise ValueError(f"base year {base_year} not in the series")
    out["index"] = 100 * out["employment"] / out[group].map(base)
    first = [group, year, "employment", "n_units", "index"]
    return out[first + [c for c in out.columns if c not in first]].sort_values([group, year], ignore_index=True)


def net_loss_shares(changes: pd.DataFrame, in_group: str = "in_group", change: str = "change",
                    weight: str | None = None, base: str | None = None) -> dict[str, float]:
    """Where net job losses fall: shares of a group of units in the net losses.

    ``changes``: one row per unit with its net ``change`` (jobs) and a boolean ``in_group``
    (or, with ``weight``, a share in [0, 1] of the unit allocated to the group).
    Returns a dict:

    - ``group_change``, ``total_change``: net change of the group and of all units;
    - ``share_of_net_change``: group change / total change (meaningful when both are losses);
    - ``share_of_losses``: the group's part of the summed net losses of the LOSING units
      (units with change < 0), which stays meaningful when the total grows;
    - ``share_of_units``: the group's share of the units (or of their weights);
    - ``share_of_base`` (with ``base``, e.g. the start-year employment): the group's share of it.

    Descriptive only: where losses happened, not what caused them.
    """
    w = changes[weight].astype(float) if weight else changes[in_group].astype(float)
    c = changes[change].astype(float)
    losses = c.clip(upper=0)
    total = float(c.sum())
    group_change = float((w * c).sum())
    out = {
        "group_change": group_change,
        "total_change": total,
        "share_of_net_change": group_change / total if total != 0 else float("nan"),
        "share_of_losses": float((w * losses).sum() / losses.sum()) if losses.sum() != 0 else float("nan"),
        "share_of_units": float(w.mean()),
    }
    if base is not None:
        b = changes[base].astype(float)
        out["share_of_base"] = float((w * b).sum() / b.sum())
    return out


def areas_vs_rest_growth(series: pd.DataFrame, zones: pd.DataFrame, start: int, end: int, *,
                         label: str = "name", zone: str = "zone",
                         all_label: str = "Ensemble des zones des métropoles",
                         rest_label: str = "Reste de la France",
                         threshold: float = _cells.UNRELIABLE_SHARE) -> pd.DataFrame:
    """Employment growth of each area's zone, of all those zones together, and of all the others.

    ``series``: (``code``, ``year``, ``employment``) rows of one zoning, or its cells (with a
    ``sector`` column, e.g. :func:`employment_cells`: industrial jobs by zone d'emploi x A38);
    ``zones``: one row per area with its ``label`` and the ``zone`` code that stands for it (e.g.
    :func:`analysis.geo.areas.metropole_main_zones`). Several areas may share a zone; it counts
    once in the aggregates. Every growth is computed on the cells present in both years
    (:mod:`analysis.methods.cells`): a cell (or a zone without sectors) missing in ``start`` or ``end`` is
    left out of both years of the zone and of the aggregates, and counted.

    Returns one row per area, then ``all_label`` (the union of the areas' zones) and
    ``rest_label`` (every other zone of the series): ``area``, ``zone`` ('' for the two
    aggregates), ``emp_start``, ``emp_end`` (jobs), ``growth`` (fraction, ``end`` over
    ``start``), ``n_cells_one_year``, ``share_one_year``, ``unreliable`` (share > ``threshold``).
    """
    table, g = _cell_growth(series, start, end, code="code", year="year", value="employment", threshold=threshold)
    keep = ["emp_start", "emp_end", "growth", "n_cells_one_year", "share_one_year", "unreliable"]
    per_area = zones[[label, zone]].merge(g, left_on=zone, right_on="code", how="left")
    per_area = per_area.rename(columns={label: "area"}).assign(zone=per_area[zone])
    inside = set(zones[zone])
    units = pd.Series(table["unit"].unique())
    split = pd.DataFrame({"unit": units, "code": np.where(units.isin(inside), all_label, rest_label)})
    agg = _cells.summarise(table, groups=split, threshold=threshold).set_index("code").reindex([all_label, rest_label])
    agg = agg.rename(columns={"value_start": "emp_start", "value_end": "emp_end"}).rename_axis("area").reset_index()
    agg["zone"] = ""
    out = pd.concat([per_area[["area", "zone"] + keep], agg[["area", "zone"] + keep]], ignore_index=True)
    out["n_cells_one_year"] = out["n_cells_one_year"].fillna(0).astype("int64")
    out["unreliable"] = out["unreliable"].fillna(True).astype(bool)
    return out


def loss_share_table(series: pd.DataFrame, groups: pd.DataFrame, windows: Iterable[tuple[int, int]], *,
                     group: str = "TI", weight: str | None = "ti_share",
                     threshold: float = _cells.UNRELIABLE_SHARE) -> pd.DataFrame:
    """Where the net job changes fell, window by window: one group of zones against all zones.

    ``series``: (``code``, ``year``, ``employment``) rows (jobs) of one zoning, or its cells
    (with a ``sector`` column, :func:`employment_cells`); ``groups``: (``code``, ``group`` [,
    ``weight``]) rows, e.g. :func:`analysis.geo.areas.ze_groups`; ``windows``: (start, end)
    year pairs. Zones absent from ``groups`` are left out. Each zone's change is computed on its
    cells present in both years (:mod:`analysis.methods.cells`, never a secret cell read as 0). For each
    window (see :func:`net_loss_shares`, descriptive only):

    - ``all change``, ``<group> change``: net change of all zones and of the group (jobs);
    - ``<group> share of jobs at start`` (%);
    - ``<group> share of net change`` (%): group change / total change -- a share of net
      LOSSES only when both are losses;
    - ``<group> share of losing zones' losses`` (%): the group's part of the summed net
      losses of the zones whose employment fell; defined whether the total grows or falls;
    - ``weighted share of losing zones' losses`` (%, with ``weight``): the same with each zone
      counted for its ``weight`` (e.g. the share of its population inside a TI);
    - ``growth <g> %``: employment growth of each group of ``groups`` (sum over its zones);
    - ``n_cells_one_year``: cells of the grouped zones present in one year only (left out);
      ``share_one_year %``: the larger share of start- or end-year employment they hold;
      ``unreliable``: that share above ``threshold`` (5 %).

    Returns one row per window, indexed by 'start-end'.
    """
    rows = []
    for start, end in windows:
        table, g = _cell_growth(series, start, end, code="code", year="year", value="employment",
                                threshold=threshold)
        gt = g.merge(groups, on="code")
        gt["in_group"] = gt["group"] == group
        flag = net_loss_shares(gt, base="emp_start")
        row = {"window": f"{start}-{end}", "all change": flag["total_change"], f"{group} change": flag["group_change"],
               f"{group} share of jobs at start": 100 * flag["share_of_base"],
               f"{group} share of net change": 100 * flag["share_of_net_change"],
               f"{group} share of losing zones' losses": 100 * flag["share_of_losses"]}
        if weight is not None:
            row["weighted share of losing zones' losses"] = 100 * net_loss_shares(gt, weight=weight)["share_of_losses"]
        by = gt.dropna(subset=["emp_start", "emp_end"]).groupby("group")[["emp_start", "emp_end"]].sum()
        for gname, r in by.iterrows():
            row[f"growth {gname} %"] = 100 * (r["emp_end"] / r["emp_start"] - 1)
        overall = _cells.summarise(table[table["unit"].isin(set(groups["code"]))], by=[], threshold=threshold).iloc[0]
        row["n_cells_one_year"] = int(overall["n_cells_one_year"])
        row["share_one_year %"] = 100 * float(overall["share_one_year"])
        row["unreliable"] = bool(overall["unreliable"])
        rows.append(row)
    return pd.DataFrame(rows).set_index("window")


# =============================================================================================
# Markov transition matrices
# =============================================================================================


def quantile_states(df: pd.DataFrame, value: str = "growth", by: str = "period", n_states: int = 5) -> pd.Series:
    """Class each row into ``n_states`` quantile states of ``value`` within its ``by`` group.

    State 0 is the lowest growth (bottom quintile for ``n_states=5``), ``n_states - 1`` the
    highest. Ties are broken by row order (rank method 'first') so that classes have equal
    sizes and the result is deterministic. Rows with a missing value get <NA>.
    Returns an Int64 Series aligned on ``df.index``.
    """
    if n_states < 2:
        raise ValueError("n_states must be at least 2")

    def classify(s: pd.Series) -> pd.Series:
        ok = s.notna()
        out = pd.Series(pd.NA, index=s.index, dtype="Int64")
        if ok.sum() < n_states:
            raise ValueError(f"{int(ok.sum())} values in a period, fewer than {n_states} states")
        r = s[ok].rank(method="first")
        out[ok] = pd.qcut(r, n_states, labels=False).astype("int64")
        return out

    return df.groupby(by, group_keys=False)[value].apply(classify).reindex(df.index).astype("Int64")


def _equal_steps(points: list[int], what: str) -> int:
    steps = sorted(set(int(b) - int(a) for a, b in zip(points[:-1], points[1:])))
    if len(points) < 2 or len(steps) != 1 or steps[0] <= 0:
        raise ValueError(f"{what} must be increasing and equally spaced (got {points}): a Markov chain "
                         f"needs periods of one length to turn periods into years")
    return steps[0]


def window_growth_states(series: pd.DataFrame, edges: Iterable[int], n_states: int = 5,
                         value: str = "growth_pa") -> pd.DataFrame:
    """Growth states of every unit over successive windows of equal length.

    ``series``: (``code``, ``year``, ``employment``) rows; ``edges``: increasing, equally
    spaced years (e.g. 1998, 2003, 2008, 2013 gives the windows 1998-2003, 2003-2008,
    2008-2013); unequal steps raise ValueError, so that one period always means the same
    number of years. Each window's growth (:func:`growth_table`) is classed into
    ``n_states`` quantile states of ``value`` within the window (:func:`quantile_states`;
    0 = lowest growth). Returns ``code``, ``period`` (window start), ``end``, ``growth``,
    ``growth_pa``, ``state`` (Int64; <NA> where the unit lacks a year).
    """
    edges = [int(e) for e in edges]
    _equal_steps(edges, "window edges")
    out = pd.concat([growth_table(series, a, b).assign(period=a, end=b) for a, b in zip(edges[:-1], edges[1:])],
                    ignore_index=True)
    out["state"] = quantile_states(out, value, "period", n_states)
    return out[["code", "period", "end", "growth", "growth_pa", "state"]]


def share_states(part: pd.DataFrame, total: pd.DataFrame, years: Iterable[int], n_states: int = 5, *,
                 value: str = "employment") -> pd.DataFrame:
    """States of every unit by the share ``part / total`` at equally spaced dates.

    ``part`` and ``total``: (``code``, ``year``, ``value``) rows (e.g. industrial and all
    salaried jobs by zone d'emploi); ``years``: increasing, equally spaced (ValueError
    otherwise). The share (fraction) is classed into ``n_states`` quantile states within
    each year (0 = lowest share). Returns ``code``, ``period`` (year), ``share``, ``state``.
    """
    years = [int(y) for y in years]
    _equal_steps(years, "years")
    keys = ["code", "year"]
    m = part[keys + [value]].merge(total[keys + [value]], on=keys, suffixes=("_part", "_total"))
    m = m[m["year"].isin(years)]
    out = pd.DataFrame({"code": m["code"], "period": m["year"],
                        "share": m[f"{value}_part"] / m[f"{value}_total"].where(m[f"{value}_total"] > 0)})
    out = out.sort_values(["period", "code"], ignore_index=True)
    out["state"] = quantile_states(out, "share", "period", n_states)
    return out


def transition_pairs(states: pd.DataFrame, *, unit: str = "code", period: str = "period",
                     state: str = "state") -> pd.DataFrame:
    """Observed transitions: one row per (unit, period t) with ``from`` (state at t) and ``to``
    (state at the NEXT period present in the table). Units missing a period break the chain
    there; rows with a missing state are ignored. Columns: ``unit``, ``period``, ``from``, ``to``."""
    d = states[[unit, period, state]].dropna()
    periods = sorted(d[period].unique())
    nxt = dict(zip(periods[:-1], periods[1:]))
    a = d.assign(_next=d[period].map(nxt)).dropna(subset=["_next"])
    b = d.rename(columns={period: "_next", state: "_to"})
    pairs = a.merge(b, on=[unit, "_next"], how="inner")
    return pd.DataFrame({unit: pairs[unit], period: pairs[period], "from": pairs[state].astype(int),
                         "to": pairs["_to"].astype(int)}).sort_values([unit, period], ignore_index=True)


def transition_counts(states: pd.DataFrame, n_states: int, *, unit: str = "code", period: str = "period",
                      state: str = "state") -> pd.DataFrame:
    """Counts of transitions between the states of successive periods (n_states x n_states).

    ``states``: one row per (unit, period) with an integer ``state`` in [0, n_states).
    A transition is counted from each period to the NEXT period present in the table
    (periods sorted), for units observed in both; units missing a period break the chain
    there. Rows: state at t (``from``), columns: state at t+1 (``to``).
    """
    pairs = transition_pairs(states, unit=unit, period=period, state=state)
    bad = ~(pairs["from"].between(0, n_states - 1) & pairs["to"].between(0, n_states - 1))
    if bad.any():
        raise ValueError(f"states must lie in [0, {n_states - 1}]")
    counts = pd.crosstab(pairs["from"], pairs["to"])
    counts = counts.reindex(index=pd.RangeIndex(n_states, name="from"), columns=pd.RangeIndex(n_states, name="to"),
                            fill_value=0)
    return counts.astype(int)


@dataclass(frozen=True)
class MarkovEstimate:
    """Maximum-likelihood estimate of a first-order, time-homogeneous Markov chain.

    ``counts`` (transitions from row state to column state), ``probabilities`` (row-
    normalised counts: P[i, j] = n_ij / n_i), ``standard_errors`` (sqrt(p (1-p) / n_i)),
    ``period_years`` (length of one period in years, to convert times).
    """

    counts: pd.DataFrame
    probabilities: pd.DataFrame
    standard_errors: pd.DataFrame
    period_years: float = 1.0

    @property
    def n_transitions(self) -> int:
        return int(self.counts.to_numpy().sum())

    @property
    def stay_probability(self) -> pd.Series:
        """P[i, i]: probability of being in the same state one period later."""
        return pd.Series(np.diag(self.probabilities.to_numpy()), index=self.probabilities.index, name="p_stay")

    @property
    def overall_stay_probability(self) -> float:
        """Share of all observed transitions that stay in the same state (trace / total)."""
        c = self.counts.to_numpy()
        return float(np.trace(c) / c.sum())

    @property
    def expected_sojourn_periods(self) -> pd.Series:
        """Expected number of periods spent in a state once there: 1 / (1 - P[i, i]) (geometric)."""
        p = self.stay_probability
        return (1 / (1 - p)).rename("sojourn_periods")

    @property
    def expected_sojourn_years(self) -> pd.Series:
        """Expected time spent in a state, in years (periods x ``period_years``); also the
        expected time to LEAVE the state for a unit that is in it now."""
        return (self.expected_sojourn_periods * self.period_years).rename("sojourn_years")

    @property
    def stationary_distribution(self) -> pd.Series:
        """Long-run share of units in each state (left eigenvector of P for eigenvalue 1)."""
        p = self.probabilities.to_numpy()
        vals, vecs = np.linalg.eig(p.T)
        v = np.real(vecs[:, np.argmin(np.abs(vals - 1))])
        return pd.Series(v / v.sum(), index=self.probabilities.index, name="stationary")

    def summary(self) -> pd.DataFrame:
        """One row per state: transitions from it, P(stay), s.e., expected sojourn (periods, years)."""
        return pd.DataFrame({
            "n_from": self.counts.sum(axis=1),
            "p_stay": self.stay_probability,
            "se_stay": pd.Series(np.diag(self.standard_errors.to_numpy()), index=self.counts.index),
            "sojourn_periods": self.expected_sojourn_periods,
            "sojourn_years": self.expected_sojourn_years,
        })


def estimate_markov(states: pd.DataFrame, n_states: int, *, unit: str = "code", period: str = "period",
                    state: str = "state", period_years: float = 1.0) -> MarkovEstimate:
    """Estimate the transition matrix of a Markov chain from observed state sequences.

    ``states``: one row per (unit, period) with an integer ``state``; see
    :func:`transition_counts`. The maximum-likelihood estimator of a homogeneous
    first-order chain is the row-normalised count matrix. A state never left from (no
    transitions out) gets a row of NaN.
    """
    counts = transition_counts(states, n_states, unit=unit, period=period, state=state)
    n_i = counts.sum(axis=1).astype(float)
    probs = counts.div(n_i.where(n_i > 0), axis=0)
    se = np.sqrt(probs * (1 - probs)).div(np.sqrt(n_i.where(n_i > 0)), axis=0)
    return MarkovEstimate(counts=counts, probabilities=probs, standard_errors=se, period_years=period_years)


def markov_homogeneity_test(estimates: Mapping[str, MarkovEstimate]) -> dict[str, float]:
    """Likelihood-ratio test that several groups share one transition matrix.

    LR = 2 sum_g sum_ij n_gij log(p_gij / p_ij), with p_ij from the pooled counts; under
    the null, chi-squared with (G - 1) x sum_i (k_i - 1) degrees of freedom, where k_i is
    the number of destination states with a positive pooled count from state i
    (Anderson & Goodman 1957). Returns ``lr``, ``df`` and ``p_value``.
    """
    if len(estimates) < 2:
        raise ValueError("give at least two groups")
    counts = [e.counts.to_numpy(dtype=float) for e in estimates.values()]
    pooled = sum(counts)
    p_pooled = pooled / pooled.sum(axis=1, keepdims=True)
    lr = 0.0
    for c in counts:
        rows = c.sum(axis=1, keepdims=True)
        with np.errstate(divide="ignore", invalid="ignore"):
            p_g = c / rows
            terms = np.where(c > 0, c * np.log(p_g / p_pooled), 0.0)
        lr += 2 * terms.sum()
    k_i = (pooled > 0).sum(axis=1)
    dof = int((len(counts) - 1) * np.clip(k_i - 1, 0, None).sum())
    # imported here: the chart modules import this module, and scipy.special takes 0.1 to 0.2 s to import in every
    # kernel (scipy.stats about 1.2 s)
    from scipy import special

    return {"lr": float(lr), "df": dof, "p_value": float(special.chdtrc(dof, lr)) if dof > 0 else float("nan")}


def rank_correlation(a: pd.Series, b: pd.Series) -> float:
    """Spearman's rank correlation of ``a`` and ``b`` over the labels where both are present.

    Pearson's correlation of the average ranks (ties share their mean rank), which is what
    ``scipy.stats.spearmanr`` and ``Series.corr(method="spearman")`` compute; written here so that a
    notebook does not import ``scipy.stats`` (about 1.2 s) for one coefficient. NaN with fewer
    than two complete pairs or a constant series.
    """
    both = pd.concat([a, b], axis=1, join="inner").dropna()
    if len(both) < 2:
        return float("nan")
    ranks = both.rank(method="average")
    return float(ranks.iloc[:, 0].corr(ranks.iloc[:, 1]))


def stay_difference_test(states: pd.DataFrame, in_group: Iterable, *, unit: str = "code", period: str = "period",
                         state: str = "state", n_permutations: int = 9999, seed: int = 0,
                         alternative: str = "greater") -> dict[str, float]:
    """Do the units of a group stay in their state more often than the other units?

    Statistic: P(stay | group) - P(stay | others), each the share of the group's observed
    transitions (:func:`transition_pairs`, pooled over states and periods) that end in the
    state they started from. Null distribution: the group label is permuted across UNITS
    (each unit keeps all its transitions), which respects the dependence between the
    successive transitions of one unit; ``n_permutations`` draws with ``seed``.
    ``alternative``: 'greater' (group stays more), 'less', or 'two-sided'. p-value =
    (1 + #{permuted statistic at least as extreme}) / (1 + n_permutations).

    Returns ``p_stay_group``, ``p_stay_other``, ``difference``, ``p_value``, ``n_units_group``,
    ``n_units_other``, ``n_transitions_group``, ``n_transitions_other``.
    """
    if alternative not in ("greater", "less", "two-sided"):
        raise ValueError("alternative must be 'greater', 'less' or 'two-sided'")
    pairs = transition_pairs(states, unit=unit, period=period, state=state)
    per_unit = pairs.assign(stay=pairs["from"] == pairs["to"]).groupby(unit)["stay"].agg(["sum", "count"])
    members = per_unit.index.isin(set(in_group))
    if members.all() or not members.any():
        raise ValueError("the group must contain some but not all of the units with transitions")
    stays, n = per_unit["sum"].to_numpy(float), per_unit["count"].to_numpy(float)

    def diff(mask: np.ndarray) -> np.ndarray:  # mask: (draws, units)
        return (mask @ stays) / (mask @ n) - ((~mask) @ stays) / ((~mask) @ n)

    observed = float(diff(members[None, :])[0])
    rng = np.random.default_rng(seed)
    perms = rng.permuted(np.tile(members, (n_permutations, 1)), axis=1)
    null = diff(perms)
    if alternative == "greater":
        extreme = null >= observed - 1e-12
    elif alternative == "less":
        extreme = null <= observed + 1e-12
    else:
        extreme = np.abs(null) >= abs(observed) - 1e-12
    return {"p_stay_group": float(stays[members].sum() / n[members].sum()),
            "p_stay_other": float(stays[~members].sum() / n[~members].sum()),
            "difference": observed, "p_value": float((1 + extreme.sum()) / (1 + n_permutations)),
            "n_units_group": int(members.sum()), "n_units_other": int((~members).sum()),
            "n_transitions_group": int(n[members].sum()), "n_transitions_other": int(n[~members].sum())}


def mean_first_passage_times(probabilities: pd.DataFrame) -> pd.DataFrame:
    """Expected number of periods to first reach state j from state i (ergodic chain).

    Solves m_ij = 1 + sum_{k != j} P_ik m_kj for each target j; the diagonal holds the
    mean RECURRENCE time 1 / pi_j. Rows: from, columns: to.
    """
    p = probabilities.to_numpy(dtype=float)
    if np.isnan(p).any():
        raise ValueError("the transition matrix has rows without transitions")
    k = p.shape[0]
    m = np.empty((k, k))
    for j in range(k):
        others = [i for i in range(k) if i != j]
        q = p[np.ix_(others, others)]
        sol = np.linalg.solve(np.eye(k - 1) - q, np.ones(k - 1))
        m[others, j] = sol
        m[j, j] = 1 + p[j, others] @ sol
    return pd.DataFrame(m, index=probabilities.index, columns=probabilities.columns)
