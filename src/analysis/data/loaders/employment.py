"""Employment loaders: INSEE ESTEL, census functional analysis, URSSAF, Flores, territorial indicators.

One public function per file of ``shared/data/employment`` (registry keys = file stems).
Every function returns a tidy long DataFrame (one observation per row), with codes as
strings that keep their leading zeros and values as floats.

Coverage and units differ a lot between these sources; read the docstrings before
comparing two of them:

- ESTEL (INSEE *Estimations d'emploi*): jobs at place of work at 31 December, all
  employers (public and private, agriculture included);
- census functional analysis: jobs at place of work from the census (complementary
  exploitation), occupational functions, not industries;
- URSSAF: private-sector salaried headcount at 31 December (no agriculture under MSA,
  no public employers, apprentices counted from 2023 in the third-party aggregates);
- Flores: salaried jobs at 31 December, all employers including public ones.
"""

from __future__ import annotations

import base64
import gzip
import json
import re
from pathlib import Path

import numpy as np
import pandas as pd

from analysis.data.cache import parsed

from analysis.data.validate import (CODE_COMMUNE, CODE_DEPARTEMENT, CODE_REGION, CODE_SIREN, CODE_ZONE_EMPLOI, SchemaError,
                        check_codes, check_growth_like, check_non_negative, check_rows, check_shares, check_sum_columns,
                        check_total, check_unique, check_year_columns, read_json_records, require_columns, to_number)
from analysis.data.validate import source_name as _src

# ---------------------------------------------------------------------------------------
# registry keys
# ---------------------------------------------------------------------------------------
ESTEL_ZE2010_SAL = "insee_estel_ze2010_salaried_by_sector_1998_2017"
ESTEL_ZE2010_NONSAL = "insee_estel_ze2010_nonsalaried_1998_2017"
ZE2010_COMPOSITION = "insee_ze2010_composition_communale_2020"
CENSUS_FUNCTIONS = {
    1999: "insee_analyse_fonctionnelle_communes_1999",
    2006: "insee_analyse_fonctionnelle_communes_2006",
    2011: "insee_analyse_fonctionnelle_communes_2011",
    2016: "insee_analyse_fonctionnelle_communes_2016",
}
URSSAF_COMMUNE_APE_ROUEN = "urssaf_commune_ape_ze_rouen_seine_maritime_2006_2022"
URSSAF_ZE2020_A38 = "urssaf_ze2020_a38_2019_2022_2023_2024"
URSSAF_FRANCE_A21 = "urssaf_france_a21_2019_2022_2023_2024"
FLORES_ZE2020_A38 = "insee_flores_ze2020_a38_2022_2023"
URSSAF_TOTALS_BY_AREA = "urssaf_private_employment_total_by_area_2014_2024"
ESTEL_ZE2020_TOTAL = "insee_estel_total_employment_ze2020_1998_2023"
ESTEL_FRANCE_A5 = "insee_estel_france_a5_1998_2023"
INDICATORS_EPCI = "territorial_indicators_epci_2025"
INDICATORS_ZE2020 = "territorial_indicators_ze2020_2025"
URSSAF_BAROMETRE = "urssaf_barometre_region_na28_quarterly_1998_2025"
#: Names of the zones d'emploi 2020 (the employment files only carry codes).
ZE2020_REFERENCE = "ze2020_reference_2025"

# code formats
RX_COMMUNE = CODE_COMMUNE
RX_DEP = CODE_DEPARTEMENT
RX_REG = CODE_REGION
RX_ZE = CODE_ZONE_EMPLOI
RX_EPCI = CODE_SIREN

#: ESTEL A5 sector codes (the ZE2010 files write them "BE-Industrie", the France file "TBE").
ESTEL_SECTORS = {
    "AZ": "Agriculture",
    "BE": "Industrie",
    "FZ": "Construction",
    "GU": "Tertiaire marchand",
    "OQ": "Tertiaire non marchand",
    "TT": "Total",
}





def _ze2020_names(path: Path) -> pd.Series:
    """ZE2020 code (4 characters, zero-padded) -> name, from the ZE2020 reference list."""
    source = _src(ZE2020_REFERENCE)
    ref = pd.read_csv(path, sep=";", dtype=str, encoding="utf-8-sig")
    require_columns(ref, ["ZE2020", "ZE2020lib"], source)
    ref["ZE2020"] = ref["ZE2020"].str.strip().str.zfill(4)  # the file drops leading zeros (51 = 0051)
    check_codes(ref, "ZE2020", RX_ZE, source)
    check_unique(ref, ["ZE2020"], source)
    return ref.set_index("ZE2020")["ZE2020lib"]


def _add_ze2020_name(df: pd.DataFrame, names: pd.Series, source: str, column: str = "ze2020") -> pd.DataFrame:
    name = df[column].map(names)
    missing = df.loc[name.isna(), column].unique()
    if len(missing):
        raise SchemaError(f"{source}: column {column!r} has code(s) absent from the ZE2020 reference list: "
                          f"{sorted(missing)[:5]}")
    df.insert(df.columns.get_loc(column) + 1, f"{column}_name", name.astype(str))
    return df


# ---------------------------------------------------------------------------------------
# ESTEL by zone d'emploi 2010 (1998-2017)
# ---------------------------------------------------------------------------------------
_ESTEL_ZE2010_YEARS = [str(y) for y in range(1998, 2018)]


def _parse_estel_ze2010(path: Path, key: str, by_sector: bool, national_path: Path | None = None) -> pd.DataFrame:
    """Both ESTEL ZE2010 files. Year columns: checked in header order (descending 2017..1998, no
    gap, :func:`check_year_columns`), and, with ``national_path`` (ESTEL France by A5), the
    year-to-year changes of the all-sector total against the national series
    (:func:`check_growth_like`: at most 0.21 point apart in the published file), so values
    moved between year columns under labels left in order are refused too."""
    source = _src(key)
    # 5 title lines, then the header Zone_emploi,Region[,Activite],2017..1998
    raw = pd.read_csv(path, skiprows=5, dtype=str, keep_default_na=False, encoding="utf-8")
    id_cols = ["Zone_emploi", "Region"] + (["Activite"] if by_sector else [])
    check_year_columns(raw.columns, source, r"(\d{4})", expected=range(1998, 2018))
    require_columns(raw, id_cols + _ESTEL_ZE2010_YEARS, source)
    check_codes(raw, "Zone_emploi", r"\d{4}_.+", source)
    check_codes(raw, "Region", r"\d{2}_.+|INT-INTERREGIONAL", source)
    out = pd.DataFrame({
        "ze2010": raw["Zone_emploi"].str[:4],
        "ze2010_name": raw["Zone_emploi"].str[5:],
        "region": raw["Region"].str.split(r"[_-]", n=1, regex=True).str[0],
        "region_name": raw["Region"].str.split(r"[_-]", n=1, regex=True).str[1],
    })
    if by_sector:
        check_codes(raw, "Activite", r"(AZ|BE|FZ|GU|OQ|TT)-.+", source)
        out["sector"] = raw["Activite"].str[:2]
        out["sector_label"] = raw["Activite"].str[3:]
    else:
        out["sector"] = "TT"
        out["sector_label"] = "Total"
    values = raw[_ESTEL_ZE2010_YEARS]
    long = out.join(values).melt(id_vars=list(out.columns), var_name="year", value_name="employment")
    long["year"] = long["year"].astype(int)
    long["employment"] = to_number(long["employment"], source, "<year columns>")
    if long["employment"].isna().any():
        raise SchemaError(f"{source}: {int(long['employment'].isna().sum())} empty employment cell(s)")
    check_non_negative(long, "employment", source, ids=["ze2010", "sector", "year"])
    if by_sector:  # TT is the total of the five sectors (exactly, in the 2017 file)
        check_total(long, ["ze2010", "year"], "sector", "TT", "employment", source, tolerance=0.5)
    long = long.sort_values(["ze2010", "sector", "year"], ignore_index=True)
    check_unique(long, ["ze2010", "sector", "year"], source)
    n_ze = long["ze2010"].nunique()
    if not 315 <= n_ze <= 325:
        raise SchemaError(f"{source}: {n_ze} zones d'emploi, expected about 321 (ZE2010 without Mayotte)")
    n_sectors = 6 if by_sector else 1
    check_rows(long, source, 315 * 20 * n_sectors, 325 * 20 * n_sectors)
    if national_path is not None:
        national = read_json_records(national_path, _src(ESTEL_FRANCE_A5))
        national = national[national["na5"].astype(str) == "T"]
        national = pd.Series(to_number(national["eff"], _src(ESTEL_FRANCE_A5), "eff").to_numpy(),
                             index=national["year"].astype(int).to_numpy())
        totals = long[long["sector"] == "TT"].groupby("year")["employment"].sum()
        check_growth_like(totals, national, source, _src(ESTEL_FRANCE_A5))
    return long


@parsed(ESTEL_ZE2010_SAL, 1, ESTEL_FRANCE_A5)
def load_estel_ze2010_salaried(path: Path, national_path: Path) -> pd.DataFrame:
    """INSEE ESTEL salaried employment by zone d'emploi 2010 and A5 sector, 1998-2017.

    Source: INSEE, *Estimations d'emploi* (ESTEL), "Emploi salarié par zone d'emploi en
    France (hors Mayotte)", as republished in the avelguenin/france-polarisation repository.

    Unit: salaried jobs at place of work, at 31 December (end of year), all employers
    (public and private, agriculture included).
    Period: 1998-2017, annual. Geography: zones d'emploi 2010 (321 zones, France without
    Mayotte), on the 2016 regions.

    Columns: ``ze2010`` (4 characters, e.g. '2307' Rouen), ``ze2010_name``, ``region`` (code as
    in the file: '84', '01'..'04' for the overseas regions, or ``'INT'`` for the 9
    interregional zones), ``region_name`` (upper case, as in the file, 'INTERREGIONAL'
    for the marker), ``sector`` (AZ, BE, FZ, GU, OQ, TT), ``sector_label``, ``year``
    (int), ``employment`` (float). About 38,520 rows (321 zones x 6 sectors x 20 years).

    Caveats: BE is industry B-E (extraction, manufacturing, energy, water), not
    manufacturing alone; TT is the total of the five sectors. The 9 interregional zones
    (codes 0050-0059) appear once, with region 'INT'; Saint-Étienne and Toulouse
    stopped being interregional in the 2016 regional map.
    """
    return _parse_estel_ze2010(path, ESTEL_ZE2010_SAL, by_sector=True, national_path=national_path)


@parsed(ESTEL_ZE2010_NONSAL, 1)
def load_estel_ze2010_nonsalaried(path: Path) -> pd.DataFrame:
    """INSEE ESTEL non-salaried employment by zone d'emploi 2010, 1998-2017 (total only).

    Source: INSEE, *Estimations d'emploi* (ESTEL), "Emploi non salarié par zone d'emploi",
    as republished in the avelguenin/france-polarisation repository.

    Unit: non-salaried jobs (self-employed, farmers, ...) at place of work, end of year.
    Period: 1998-2017. Geography: zones d'emploi 2010 (321 zones, France without Mayotte).

    Columns: same layout as :func:`load_estel_ze2010_salaried`: ``ze2010``,
    ``ze2010_name``, ``region``, ``region_name``, ``sector`` (always 'TT'),
    ``sector_label`` ('Total'), ``year``, ``employment``. About 6,420 rows.

    Caveats: no sector split; add it to the salaried 'TT' rows to get total employment.
    """
    return _parse_estel_ze2010(path, ESTEL_ZE2010_NONSAL, by_sector=False)


# ---------------------------------------------------------------------------------------
# ZE2010 composition
# ---------------------------------------------------------------------------------------
@parsed(ZE2010_COMPOSITION, 1)
def load_ze2010_composition(path: Path) -> pd.DataFrame:
    """Commune -> zone d'emploi 2010, geography at 1 January 2020.

    Source: INSEE, "Zones d'emploi 2010 - composition communale" (Code officiel géographique).
    Unit: none (a correspondence table). Geography: communes at 1 January 2020 (34,968,
    Mayotte included as zone '0601'), zones d'emploi 2010.

    Columns: ``commune`` (5 characters, '2A004' for Corsica), ``commune_name``,
    ``ze2010`` (4 characters), ``ze2010_name``, ``dep`` ('01', '2A', '971'), ``reg`` ('84').

    Caveats: ZE2010 codes 0050-0061 are the interregional zones; the ESTEL ZE2010 files
    use the same codes (without Mayotte). Communes are those of 2020, not those of the
    ESTEL years.
    """
    source = _src(ZE2010_COMPOSITION)
    # 4 title lines, a line of French labels, then the header CODGEO,LIBGEO,...
    raw = pd.read_csv(path, skiprows=5, dtype=str, keep_default_na=False, encoding="utf-8")
    require_columns(raw, ["CODGEO", "LIBGEO", "ZE2010", "LIBZE2010", "DEP", "REG"], source)
    out = raw.rename(columns={"CODGEO": "commune", "LIBGEO": "commune_name", "ZE2010": "ze2010",
                              "LIBZE2010": "ze2010_name", "DEP": "dep", "REG": "reg"})
    out = out[["commune", "commune_name", "ze2010", "ze2010_name", "dep", "reg"]]
    check_codes(out, "commune", RX_COMMUNE, source)
    check_codes(out, "ze2010", RX_ZE, source)
    check_codes(out, "dep", RX_DEP, source)
    check_codes(out, "reg", RX_REG, source)
    check_unique(out, ["commune"], source)
    check_rows(out, source, 34_000, 36_000)
    return out.reset_index(drop=True)


# ---------------------------------------------------------------------------------------
# Census functional analysis (analyse fonctionnelle des emplois)
# ---------------------------------------------------------------------------------------
#: File column stem -> (scope, function code, French label as in the file header).
CENSUS_FUNCTION_COLUMNS = {
    "ELT": ("all", "TOTAL", "Emploi total"),
    "ADMPUB": ("all", "ADMPUB", "Administration publique"),
    "AGRICU": ("all", "AGRICU", "Agriculture"),
    "BTP": ("all", "BTP", "Bâtiment-Travaux Publics"),
    "COMINT": ("all", "COMINT", "Commerce inter-entreprises"),
    "CONREC": ("all", "CONREC", "Conception, Recherche"),
    "CULLOI": ("all", "CULLOI", "Culture, Loisirs"),
    "DISTRI": ("all", "DISTRI", "Distribution"),
    "EDUFOR": ("all", "EDUFOR", "Education, Formation"),
    "ENTREP": ("all", "ENTREP", "Entretien, Réparation"),
    "FABRIC": ("all", "FABRIC", "Fabrication"),
    "GESTIO": ("all", "GESTIO", "Gestion"),
    "LOGIST": ("all", "LOGIST", "Transports, Logistique"),
    "PREINT": ("all", "PREINT", "Prestations Intellectuelles"),
    "SANSOC": ("all", "SANSOC", "Santé, Action Sociale"),
    "SERPRO": ("all", "SERPRO", "Services de Proximité"),
    "COMINT_CAD": ("cfm", "COMINT", "Commerce inter-entreprises"),
    "CONREC_CAD": ("cfm", "CONREC", "Conception, Recherche"),
    "CULLOI_CAD": ("cfm", "CULLOI", "Culture, Loisirs"),
    "GESTIO_CAD": ("cfm", "GESTIO", "Gestion"),
    "PREINT_CAD": ("cfm", "PREINT", "Prestations Intellectuelles"),
    "CFM": ("cfm", "TOTAL", "Total des cadres des fonctions métropolitaines"),
}


def _parse_census_functions_year(path: Path, year: int) -> pd.DataFrame:
    source = _src(CENSUS_FUNCTIONS[year])
    yy = f"{year % 100:02d}"
    value_cols = {f"{stem}{yy}": stem for stem in CENSUS_FUNCTION_COLUMNS}
    # 10 title/label lines (one label holds a quoted line break), header CODGEO,... on line 11
    raw = pd.read_csv(path, skiprows=10, dtype={"CODGEO": str, "LIBGEO": str, "REG": str, "DEP": str},
                      thousands=",", na_values=["nd"], keep_default_na=False, encoding="utf-8")
    require_columns(raw, ["CODGEO", "LIBGEO", "REG", "DEP", *value_cols], source)
    for col in value_cols:
        if not pd.api.types.is_numeric_dtype(raw[col]):
            bad = pd.to_numeric(raw[col], errors="coerce").isna() & raw[col].notna()
            raise SchemaError(f"{source}: column {col!r} has non-numeric value(s) "
                              f"{raw.loc[bad, col].unique()[:5].tolist()}")
    raw = raw.rename(columns={"CODGEO": "commune", "LIBGEO": "commune_name", "REG": "reg", "DEP": "dep"})
    for col in value_cols:
        check_non_negative(raw, col, source, ids=["commune"])
    # the 15 functions add up to ELTyy within the rounding of 15 weighted counts (at most 5 jobs seen)
    parts = [c for c, stem in value_cols.items() if stem != "ELT" and CENSUS_FUNCTION_COLUMNS[stem][0] == "all"]
    check_sum_columns(raw, f"ELT{yy}", parts, source, tolerance=8, ids=["commune"])
    check_codes(raw, "commune", RX_COMMUNE, source)
    check_codes(raw, "reg", RX_REG, source)
    check_codes(raw, "dep", RX_DEP, source)
    check_unique(raw, ["commune"], source)
    check_rows(raw, source, 34_000, 36_000)
    # wide -> long by hand with (arrow) take: melt + map on 770,000 rows a year is 10x slower
    n, meta = len(raw), [CENSUS_FUNCTION_COLUMNS[stem] for stem in value_cols.values()]
    row_take, col_take = np.tile(np.arange(n), len(meta)), np.repeat(np.arange(len(meta)), n)
    long = pd.DataFrame({c: raw[c].array.take(row_take) for c in ["commune", "commune_name", "reg", "dep"]})
    long["year"] = year
    for i, name in enumerate(["scope", "function", "function_label"]):
        long[name] = pd.array([m[i] for m in meta], dtype="str").take(col_take)
    long["jobs"] = raw[list(value_cols)].to_numpy(dtype=float).T.ravel()
    return long


@parsed(CENSUS_FUNCTIONS[1999], 2, CENSUS_FUNCTIONS[2006], CENSUS_FUNCTIONS[2011], CENSUS_FUNCTIONS[2016])
def load_census_functions(path_1999: Path, path_2006: Path, path_2011: Path, path_2016: Path) -> pd.DataFrame:
    """Census jobs at place of work by commune and occupational function, 1999-2016.

    Source: INSEE, *Analyse fonctionnelle des emplois*, census 1999, 2006, 2011 and 2016
    (complementary exploitation at place of work), as republished in the
    avelguenin/france-polarisation repository.

    Unit: jobs at place of work (all employers, salaried and non-salaried), census year.
    Geography: communes on one ~2020 geography for all four years (34,970 communes,
    overseas included). Period: 1999, 2006, 2011, 2016.

    Columns: ``commune``, ``commune_name``, ``reg``, ``dep``, ``year`` (int), ``scope``
    ('all' = all jobs; 'cfm' = jobs of executives of the five "metropolitan functions",
    *cadres des fonctions métropolitaines*), ``function`` (the file's column stem without
    the year suffix: ADMPUB, AGRICU, BTP, COMINT, CONREC, CULLOI, DISTRI, EDUFOR, ENTREP,
    FABRIC, GESTIO, LOGIST, PREINT, SANSOC, SERPRO; 'TOTAL' for ELTyy in scope 'all' and
    CFMyy in scope 'cfm'; the cfm scope only has COMINT, CONREC, CULLOI, GESTIO, PREINT),
    ``function_label`` (French label of the file header), ``jobs`` (float); code and label
    columns are pandas categoricals (compare them with strings as usual).
    About 3.08 million rows (34,970 communes x 22 columns x 4 years).

    Caveats: FABRIC is *production occupations* (fabrication), not NAF manufacturing.
    The 15 functions add up to TOTAL exactly in 1999 and to within 0.01 % later (the
    census weights are rounded). Mayotte (976) is 'nd' in 1999, 2006 and 2016, kept as
    NaN; it has values in 2011. Never sum over ``scope`` (cfm jobs are a subset of all jobs).
    """
    frames = [_parse_census_functions_year(p, y)
              for p, y in zip((path_1999, path_2006, path_2011, path_2016), CENSUS_FUNCTIONS)]
    out = pd.concat(frames, ignore_index=True)
    out = out[["commune", "commune_name", "reg", "dep", "year", "scope", "function", "function_label", "jobs"]]
    # key (commune, year, scope, function) is unique by construction: each year's file has
    # unique communes (checked) and one column per (scope, function).
    # Repeated labels as categoricals: the 3-million-row table then reloads in well under a second.
    for col in ["commune", "commune_name", "reg", "dep", "scope", "function", "function_label"]:
        out[col] = out[col].astype("category")
    return out


# ---------------------------------------------------------------------------------------
# URSSAF commune x APE, Rouen extract
# ---------------------------------------------------------------------------------------
_URSSAF_APE_IDS = {
    "Code commune": "commune",
    "Nom commune": "commune_name",
    "Code EPCI": "epci",
    "EPCI": "epci_name",
    "Code zone d'emploi": "ze2020",
    "Zone d'emploi": "ze2020_name",
    "Code département": "dep",
    "Département": "dep_name",
    "Code région": "reg",
    "Région": "reg_name",
    "Code ancienne région": "old_reg",
    "Ancienne région": "old_reg_name",
}
_URSSAF_APE_SECTORS = {  # "CODE label" columns split into a code and a label
    "Grand secteur d'activité": "gs",
    "Secteur NA17": "na17",
    "Secteur NA38": "na38",
    "Secteur NA88": "na88",
    "APE": "ape",
}


@parsed(URSSAF_COMMUNE_APE_ROUEN, 1)
def load_urssaf_commune_ape_rouen(path: Path) -> pd.DataFrame:
    """URSSAF private employer establishments and salaried headcount by commune x APE, 2006-2022.

    Source: URSSAF open data, "Établissements et effectifs salariés au niveau commune x APE"
    (official export and column names), EXTRACT filtered on zone d'emploi 2020 Rouen
    (2815) AND département Seine-Maritime (76): 218 communes, 9 EPCI.

    Unit: ``variable == 'establishments'``: number of employer establishments;
    ``variable == 'employment'``: salaried headcount at 31 December. Private sector
    (régime général): no agriculture under MSA, no State or local-government employers
    under public-law contracts. Period: 2006-2022, annual.

    Columns: ``commune``, ``commune_name``, ``epci`` (SIREN, 9 digits), ``epci_name``,
    ``ze2020`` ('2815'), ``ze2020_name``, ``dep``, ``dep_name``, ``reg``, ``reg_name``,
    ``old_reg``, ``old_reg_name`` (pre-2016 region), ``gs`` / ``gs_label`` (URSSAF *grand
    secteur*, GS1 Industrie ... GS7), ``na17``/``na38``/``na88`` and their ``_label``,
    ``ape`` (NAF rév. 2 subclass, e.g. '2920Z') / ``ape_label``, ``year``, ``variable``,
    ``value`` (float). About 190,700 rows.

    Caveats: an empty cell means no establishment of that APE in the commune that year;
    commune x APE x year combinations with both cells empty are dropped, while a single
    empty cell next to a filled one is kept as NaN (3 such headcounts in 2022). Zero
    headcounts exist (establishments with no employee at 31 December). Geography is the
    one of the export (communes, EPCI and ZE2020 of its vintage).
    """
    source = _src(URSSAF_COMMUNE_APE_ROUEN)
    raw = pd.read_csv(path, sep=";", dtype=str, encoding="utf-8-sig")
    years = list(range(2006, 2023))
    value_cols = {}
    for y in years:
        value_cols[f"Nombre d'établissements {y}"] = ("establishments", y)
        value_cols[f"Effectifs salariés {y}"] = ("employment", y)
    require_columns(raw, [*_URSSAF_APE_IDS, *_URSSAF_APE_SECTORS, "Code APE", *value_cols], source)
    for label in ("Nombre d'établissements", "Effectifs salariés"):  # in order, no gap, 2006-2022
        check_year_columns(raw.columns, source, label + r" (\d{4})", expected=years)
    ids = raw[list(_URSSAF_APE_IDS)].rename(columns=_URSSAF_APE_IDS)
    for col in ["commune_name", "epci_name", "ze2020_name", "dep_name", "reg_name", "old_reg_name"]:
        ids[col] = ids[col].fillna("")
    for col, name in _URSSAF_APE_SECTORS.items():
        check_codes(raw, col, r"\S+ .+", source)
        parts = raw[col].str.split(" ", n=1)
        ids[name] = parts.str[0]
        ids[f"{name}_label"] = parts.str[1]
    if not (ids["ape"] == raw["Code APE"]).all():
        raise SchemaError(f"{source}: column 'APE' does not start with the code of column 'Code APE'")
    check_codes(ids, "commune", RX_COMMUNE, source)
    check_codes(ids, "epci", RX_EPCI, source)
    check_codes(ids, "ze2020", RX_ZE, source)
    check_codes(ids, "dep", RX_DEP, source)
    check_codes(ids, "reg", RX_REG, source)
    check_codes(ids, "ape", r"\d{4}[A-Z]", source)
    check_codes(ids, "na88", r"\d{2}", source)
    check_unique(ids, ["commune", "ape"], source)

    n = len(raw)
    est = np.column_stack([to_number(raw[f"Nombre d'établissements {y}"], source, f"Nombre d'établissements {y}")
                           for y in years])
    emp = np.column_stack([to_number(raw[f"Effectifs salariés {y}"], source, f"Effectifs salariés {y}")
                           for y in years])
    present = ~(np.isnan(est) & np.isnan(emp))  # (rows, years)
    row_idx, year_idx = np.nonzero(present)
    k = len(row_idx)
    base = ids.iloc[np.concatenate([row_idx, row_idx])].reset_index(drop=True)
    base["year"] = np.concatenate([np.asarray(years)[year_idx]] * 2)
    base["variable"] = ["establishments"] * k + ["employment"] * k
    base["value"] = np.concatenate([est[row_idx, year_idx], emp[row_idx, year_idx]])
    check_non_negative(base, "value", source, ids=["commune", "ape", "year", "variable"])
    out = base.sort_values(["commune", "ape", "year", "variable"], ignore_index=True)
    check_unique(out, ["commune", "ape", "year", "variable"], source)
    check_rows(out, source, 150_000, 250_000)
    if n < 8_000:
        raise SchemaError(f"{source}: {n} commune x APE rows, expected about 9,338")
    return out


# ---------------------------------------------------------------------------------------
# Third-party URSSAF / Flores aggregates (parquet)
# ---------------------------------------------------------------------------------------
def _sector_years_long(raw: pd.DataFrame, id_map: dict[str, str], eff_cols: dict[str, int]) -> pd.DataFrame:
    ids = raw[list(id_map)].rename(columns=id_map)
    long = ids.join(raw[list(eff_cols)]).melt(id_vars=list(ids.columns), var_name="year", value_name="employment")
    long["year"] = long["year"].map(eff_cols).astype(int)
    long["employment"] = long["employment"].astype(float)
    return long


def _ze2020_a38_long(path: Path, ref_path: Path, source: str, eff_cols: dict[str, int],
                     rows: tuple[int, int]) -> pd.DataFrame:
    """Shared parser of the dashboard's ZE2020 x A38 parquet files (URSSAF and Flores layouts)."""
    raw = pd.read_parquet(path)
    require_columns(raw, ["code_ze", "a38", "a21", "a5", "lib", *eff_cols], source)
    check_codes(raw, "code_ze", RX_ZE, source)
    check_codes(raw, "a38", r"[A-Z]{2}", source)
    check_codes(raw, "a21", r"[A-Z]", source)
    check_codes(raw, "a5", r"AZ|BE|FZ|GU|OQ", source)
    out = _sector_years_long(raw, {"code_ze": "ze2020", "a38": "a38", "lib": "a38_label", "a21": "a21",
                                   "a5": "a5"}, eff_cols)
    check_non_negative(out, "employment", source, ids=["ze2020", "a38", "year"])
    out = _add_ze2020_name(out, _ze2020_names(ref_path), source)
    out = out.sort_values(["ze2020", "a38", "year"], ignore_index=True)
    check_unique(out, ["ze2020", "a38", "year"], source)
    check_rows(out, source, *rows)
    return out


@parsed(URSSAF_ZE2020_A38, 1, ZE2020_REFERENCE)
def load_urssaf_ze2020_a38(path: Path, ref_path: Path) -> pd.DataFrame:
    """URSSAF private-sector salaried employment by zone d'emploi 2020 x A38, 2019 and 2022-2024.

    Source: URSSAF open data (commune x APE file), aggregated to ZE2020 x A38 by a third
    party (vincentroue/ptod-observatoire-territorial, ``exdeco_pivot_urssaf_a38.parquet``).
    Zone names come from the ZE2020 reference list (``ze2020_reference_2025``).

    Unit: salaried headcount at 31 December (eff_19, eff_22, eff_23, eff_24), private
    sector. Period: 2019, 2022, 2023, 2024. Geography: zones d'emploi 2020, 305 zones
    (France without Mayotte, overseas zones included).

    Columns: ``ze2020``, ``ze2020_name``, ``a38`` (A38 code as in the file: 'CA', 'CL'...),
    ``a38_label`` (the file's short label), ``a21`` (letter), ``a5`` (BE, FZ, GU, OQ),
    ``year``, ``employment`` (float). 40,020 rows (10,005 zone x sector rows x 4 years).

    Caveats: no agriculture (AZ, under MSA) and no public employers, so OZ/PZ/QA are the
    private part only; apprentices are counted from 2023 (break between 2022 and 2023).
    A zone x sector pair absent from the file has no rows (zones have 23 to 35 of the 35
    sectors); NaN employment means the sector is absent or its figure missing/secret
    that year: it is kept as NaN, not 0. The dashboard's derived columns (pct_24,
    evol_*, fr_pct_24, is_24) are left out (recompute them from ``employment``).
    The sum over zones equals :func:`load_urssaf_france_a21` exactly.
    """
    eff_cols = {"eff_19": 2019, "eff_22": 2022, "eff_23": 2023, "eff_24": 2024}
    return _ze2020_a38_long(path, ref_path, _src(URSSAF_ZE2020_A38), eff_cols, (38_000, 43_000))


@parsed(URSSAF_FRANCE_A21, 1)
def load_urssaf_france_a21(path: Path) -> pd.DataFrame:
    """URSSAF private-sector salaried employment, France by A21 section, 2019 and 2022-2024.

    Source: URSSAF open data, aggregated by a third party
    (vincentroue/ptod-observatoire-territorial, ``exdeco_pivot_urssaf_france.parquet``).

    Unit: salaried headcount at 31 December, private sector. Period: 2019, 2022, 2023,
    2024. Geography: France without Mayotte (code '00FR'; equals the sum of the 305
    ZE2020 of :func:`load_urssaf_ze2020_a38`).

    Columns: ``a21`` (section letter B..S), ``a21_label`` (short label), ``a5``,
    ``year``, ``employment`` (float). 72 rows (18 sections x 4 years).

    Caveats: no section A (agriculture, MSA), T or U; O/P/Q are private employers only;
    apprentices counted from 2023. The derived columns (ord_a21, pct_24, evol_*, fr_pct_24,
    is_24) are left out.
    """
    source = _src(URSSAF_FRANCE_A21)
    raw = pd.read_parquet(path)
    eff_cols = {"eff_19": 2019, "eff_22": 2022, "eff_23": 2023, "eff_24": 2024}
    require_columns(raw, ["code_ze", "a21", "a5", "lib", *eff_cols], source)
    if set(raw["code_ze"]) != {"00FR"}:
        raise SchemaError(f"{source}: column 'code_ze' should only hold '00FR', got {sorted(set(raw['code_ze']))[:5]}")
    check_codes(raw, "a21", r"[A-Z]", source)
    out = _sector_years_long(raw, {"a21": "a21", "lib": "a21_label", "a5": "a5"}, eff_cols)
    check_non_negative(out, "employment", source, ids=["a21", "year"])
    out = out.sort_values(["a21", "year"], ignore_index=True)
    check_unique(out, ["a21", "year"], source)
    check_rows(out, source, 60, 90)
    return out


@parsed(FLORES_ZE2020_A38, 1, ZE2020_REFERENCE)
def load_flores_ze2020_a38(path: Path, ref_path: Path) -> pd.DataFrame:
    """INSEE Flores salaried employment by zone d'emploi 2020 x A38, 2022-2023.

    Source: INSEE, Flores (*Fichier localisé des rémunérations et de l'emploi salarié*),
    aggregated to ZE2020 x A38 by a third party (vincentroue/ptod-observatoire-territorial,
    ``exdeco_pivot_flores_a38.parquet``). Zone names from ``ze2020_reference_2025``.

    Unit: salaried jobs at 31 December, ALL employers (public ones included, agriculture
    included), unlike URSSAF. Period: 2022, 2023. Geography: zones d'emploi 2020, 305 zones
    (France without Mayotte).

    Columns: ``ze2020``, ``ze2020_name``, ``a38`` (36 codes, AZ..SZ, as in the file),
    ``a38_label``, ``a21``, ``a5`` (AZ, BE, FZ, GU, OQ), ``year``, ``employment``
    (float). 21,960 rows (305 zones x 36 sectors x 2 years).

    Caveats: every zone has all 36 sectors; 0 means no job, and 736 cells of 2023 are
    NaN (sector absent or not published that year, mostly where 2022 is 0: CD, CF...),
    kept as NaN. Derived columns (pct_*, evol_2223, fr_pct_23, is_23) are left out.
    """
    eff_cols = {"eff_22": 2022, "eff_23": 2023}
    return _ze2020_a38_long(path, ref_path, _src(FLORES_ZE2020_A38), eff_cols, (20_000, 23_000))


#: ``echelon`` of the file -> (``level`` returned, code regex).
AREA_LEVELS = {
    "communes": ("commune", RX_COMMUNE),
    "epci": ("epci", r"\d{9}|ZZZZZZZZZ"),
    "ze": ("ze2020", RX_ZE),
    "dep": ("departement", RX_DEP),
    "reg": ("region", RX_REG),
    "aav": ("aav2020", r"[0-9A-Z]{3}"),
    "bv": ("bv2022", RX_COMMUNE),
    "uu": ("uu2020", r"[0-9][0-9A-Z]\d{3}"),
    "france": ("france", r"00FR"),
}


@parsed(URSSAF_TOTALS_BY_AREA, 1)
def load_urssaf_totals_by_area(path: Path) -> pd.DataFrame:
    """URSSAF private-sector salaried employment, all sectors, by area, 2014-2024.

    Source: URSSAF open data, aggregated by a third party
    (vincentroue/ptod-observatoire-territorial, ``urssaf_serie_indice100.parquet``).

    Unit: salaried headcount at 31 December, private sector, all sectors together.
    Period: 2014-2024, annual. Geography: current zonings (communes, EPCI, ZE2020,
    départements, régions, aires d'attraction des villes 2020, bassins de vie 2022,
    unités urbaines 2020, France), France without Mayotte.

    Columns: ``level`` (commune, epci, ze2020, departement, region, aav2020, bv2022,
    uu2020, france), ``code``, ``year``, ``employment`` (float), ``pct_of_france_2014``
    (the file's ``indice_fr_2014``: the area's employment as a % of FRANCE'S 2014
    employment, rounded to 0.01; for the France row this is the 2014 = 100 index; it is
    NOT the share of France in the same year). About 407,800 rows.

    Caveats: the file has no area names (join with the geography loaders). Region codes
    of the overseas regions are written '1'..'4' in the file and zero-padded here
    ('01'..'04'). EPCI 'ZZZZZZZZZ' groups communes outside any EPCI (islands). AAV code
    '000' = communes outside any aire; 'LUX', 'MON', 'SAR' are foreign-centred aires.
    Communes, ZE and France sum to the France total; the other levels add up to 9,100
    fewer jobs (2014-2024). Communes with no employment in a year have no row.
    """
    source = _src(URSSAF_TOTALS_BY_AREA)
    raw = pd.read_parquet(path)
    require_columns(raw, ["code", "echelon", "year", "eff_total", "indice_fr_2014"], source)
    unknown = set(raw["echelon"]) - set(AREA_LEVELS)
    if unknown:
        raise SchemaError(f"{source}: column 'echelon' has unknown level(s) {sorted(unknown)}")
    code = raw["code"].astype(str)
    is_reg = raw["echelon"] == "reg"
    code = code.where(~is_reg, code.str.zfill(2))
    out = pd.DataFrame({
        "level": raw["echelon"].map({k: v[0] for k, v in AREA_LEVELS.items()}),
        "code": code,
        "year": raw["year"].astype(int),
        "employment": raw["eff_total"].astype(float),
        "pct_of_france_2014": raw["indice_fr_2014"].astype(float),
    })
    for echelon, (level, rx) in AREA_LEVELS.items():
        part = out[out["level"] == level]
        if part.empty:
            raise SchemaError(f"{source}: column 'echelon' has no {echelon!r} rows")
        check_codes(part, "code", rx, f"{source} ({echelon})")
    check_non_negative(out, "employment", source, ids=["level", "code", "year"])
    check_non_negative(out, "pct_of_france_2014", source, ids=["level", "code", "year"])
    out = out.sort_values(["level", "code", "year"], ignore_index=True)
    check_unique(out, ["level", "code", "year"], source)
    check_rows(out, source, 380_000, 430_000)
    return out


# ---------------------------------------------------------------------------------------
# ESTEL by ZE2020 and France (JSON records)
# ---------------------------------------------------------------------------------------
@parsed(ESTEL_ZE2020_TOTAL, 1, ZE2020_REFERENCE)
def load_estel_ze2020_total(path: Path, ref_path: Path) -> pd.DataFrame:
    """INSEE ESTEL employment, all sectors, by zone d'emploi 2020, 1998-2023.

    Source: INSEE, *Estimations d'emploi* (ESTEL), all sectors (na5 'T'), compiled by a
    third party (vincentroue/ptod-observatoire-territorial, ``idx_serie_emploi_ze.json``).

    Unit: jobs at place of work at 31 December. The compiler calls it total employment,
    but the values behave like SALARIED employment: the 287 metropolitan zones add up
    exactly to :func:`load_estel_france_a5` (whose agriculture, 276,000 in 1998, is
    salaried only), and 2017 is within 1 % of the ESTEL ZE2010 salaried total.
    Period: 1998-2023. Geography: zones d'emploi 2020, 305 zones (no Mayotte).

    Columns: ``code`` (as in the file), ``ze2020`` (the zone), ``ze2020_name``,
    ``region_part`` (for the 28 codes that are the regional parts of the 14
    interregional zones 0051-0064: the region code, e.g. code '2456' = part of zone 0056
    in region 24; <NA> for whole zones), ``year``, ``employment`` (float).
    8,658 rows (333 codes x 26 years).

    Caveats: never sum all rows: the regional parts add up to their zone (within one
    job of rounding), so filter ``region_part.isna()`` for the 305 zones (or keep the
    parts, with ``region_part``, for regional sums).
    """
    source = _src(ESTEL_ZE2020_TOTAL)
    raw = read_json_records(path, source)
    require_columns(raw, ["code_ze", "year", "na5", "eff"], source)
    if set(raw["na5"]) != {"T"}:
        raise SchemaError(f"{source}: column 'na5' should only hold 'T', got {sorted(set(raw['na5']))}")
    check_codes(raw, "code_ze", RX_ZE, source)
    names = _ze2020_names(ref_path)
    code = raw["code_ze"].astype(str)
    is_part = ~code.isin(names.index)
    zone = code.where(~is_part, "00" + code.str[2:])
    out = pd.DataFrame({
        "code": code,
        "ze2020": zone,
        "region_part": code.str[:2].where(is_part).astype("string"),
        "year": raw["year"].astype(int),
        "employment": to_number(raw["eff"], source, "eff"),
    })
    if not out.loc[is_part, "ze2020"].isin(out.loc[~is_part, "ze2020"]).all():
        raise SchemaError(f"{source}: column 'code_ze' has code(s) that are neither a ZE2020 nor a regional part "
                          f"of one: {sorted(out.loc[is_part & ~out['ze2020'].isin(names.index), 'code'].unique())[:5]}")
    out = _add_ze2020_name(out, names, source)
    check_codes(out, "region_part", RX_REG, source, allow_na=True)
    check_non_negative(out, "employment", source, ids=["code", "year"])
    # the regional parts of an interregional zone add up to the zone within one job of rounding
    check_total(out.assign(part=out["region_part"].fillna("zone")), ["ze2020", "year"], "part", "zone",
                "employment", source, tolerance=1)
    out = out.sort_values(["ze2020", "code", "year"], ignore_index=True)
    check_unique(out, ["code", "year"], source)
    check_rows(out, source, 8_000, 9_500)
    return out


@parsed(ESTEL_FRANCE_A5, 1)
def load_estel_france_a5(path: Path) -> pd.DataFrame:
    """INSEE ESTEL employment by A5 sector, metropolitan France, 1998-2023.

    Source: INSEE, *Estimations d'emploi* (ESTEL), compiled by a third party
    (vincentroue/ptod-observatoire-territorial, ``EAE205_france_serie.json``).

    Unit: jobs at place of work at 31 December; the values are SALARIED employment
    (agriculture 276,000 in 1998). Period: 1998-2023. Geography: labelled France, but
    the total equals the sum of the 287 metropolitan zones d'emploi of
    :func:`load_estel_ze2020_total`: metropolitan France.

    Columns: ``sector`` (AZ, BE, FZ, GU, OQ, TT as in the ESTEL ZE2010 loaders),
    ``na5`` (code as in the file: T, TAZ, TBE, TFZ, TGU, TOQ), ``sector_label``
    ('Industrie', ...), ``year``, ``employment`` (float). 156 rows (6 x 26 years).

    Caveats: BE is industry B-E (not manufacturing alone); TT = sum of the five sectors.
    """
    source = _src(ESTEL_FRANCE_A5)
    raw = read_json_records(path, source)
    require_columns(raw, ["year", "na5", "lib", "eff"], source)
    check_codes(raw, "na5", r"T|T(AZ|BE|FZ|GU|OQ)", source)
    out = pd.DataFrame({
        "sector": raw["na5"].map(lambda c: "TT" if c == "T" else c[1:]),
        "na5": raw["na5"].astype(str),
        "sector_label": raw["lib"].astype(str),
        "year": raw["year"].astype(int),
        "employment": to_number(raw["eff"], source, "eff"),
    })
    out = out.sort_values(["sector", "year"], ignore_index=True)
    check_unique(out, ["sector", "year"], source)
    check_rows(out, source, 150, 180)
    check_non_negative(out, "employment", source, ids=["sector", "year"])
    check_total(out, ["year"], "sector", "TT", "employment", source, tolerance=0.5)
    return out


# ---------------------------------------------------------------------------------------
# Territorial indicators (EPCI, ZE2020)
# ---------------------------------------------------------------------------------------
#: Indicator family (file column without its period suffix) -> unit.
INDICATOR_UNITS = {
    "population": "inhabitants",
    "eco_emp_vtcam": "% per year (average annual growth of total jobs, census)",
    "eco_sal_pct": "% of jobs (salaried)",
    "eco_nsal_pct": "% of jobs (non-salaried)",
    "eco_txemp_1564": "% (employment rate of the 15-64 year-olds)",
    "eco_ratio_emplt_actoc": "jobs per 100 employed residents",
    "eco_emp_pres_pct": "% of jobs in the presential sphere",
    "eco_eff_petites_pct": "% of salaried jobs in small establishments",
    "eco_eff_grandes_pct": "% of salaried jobs in large establishments",
    "eco_krugman_a38": "Krugman specialisation index (A38)",
    "eco_krugman_a21": "Krugman specialisation index (A21)",
    "eco_gini_a38": "Gini specialisation index (A38)",
    "eco_gini_a21": "Gini specialisation index (A21)",
    "eco_emppriv_vtcam": "% per year (average annual growth of URSSAF private employment)",
    "eco_entrcrea_tot_vevol": "% change (business creations, all)",
    "eco_entrcrea_soc_vevol": "% change (business creations, companies)",
    "eco_sectagri_pct": "% of jobs in agriculture (census)",
    "eco_sectindus_pct": "% of jobs in industry (census)",
    "eco_sectconst_pct": "% of jobs in construction (census)",
    "eco_sectservi_pct": "% of jobs in market services (census)",
    "eco_sectadmin_pct": "% of jobs in public administration, education, health (census)",
    "eco_emptpspart_pct": "% of jobs that are part-time",
    "eco_emptpspart_vdifp": "percentage-point change of the part-time share",
}
_RX_INDICATOR = re.compile(r"^(?P<family>eco_[a-z0-9_]+?)_(?P<period>\d{2}|\d{4})$")
_RX_POP = re.compile(r"^P(?P<period>\d{2})_POP$")


def _indicator_periods(column: str) -> tuple[str, int, int] | None:
    """'eco_emppriv_vtcam_1724' -> ('eco_emppriv_vtcam', 2017, 2024); 'P22_POP' -> ('population', 2022, 2022)."""
    m = _RX_POP.match(column)
    if m:
        y = 2000 + int(m["period"])
        return "population", y, y
    m = _RX_INDICATOR.match(column)
    if not m:
        return None
    p = m["period"]
    if len(p) == 2:
        return m["family"], 2000 + int(p), 2000 + int(p)
    return m["family"], 2000 + int(p[:2]), 2000 + int(p[2:])


def _parse_indicators(path: Path, key: str, code_rx: str, attributes: list[str], rows: tuple[int, int]) -> pd.DataFrame:
    source = _src(key)
    raw = read_json_records(path, source)
    require_columns(raw, ["code", "libelle", "n_communes", *attributes, "P22_POP", "eco_emppriv_vtcam_1724",
                          "eco_sectindus_pct_22"], source)
    check_codes(raw, "code", code_rx + "|00FR", source)
    check_unique(raw, ["code"], source)
    if raw["code"].iloc[0] != "00FR":
        raise SchemaError(f"{source}: column 'code': the first record should be France '00FR', "
                          f"got {raw['code'].iloc[0]!r}")
    id_cols = ["code", "libelle", "n_communes", *attributes]
    value_cols = [c for c in raw.columns if c not in id_cols]
    parsed_cols = {c: _indicator_periods(c) for c in value_cols}
    unknown = [c for c, p in parsed_cols.items() if p is None or p[0] not in INDICATOR_UNITS]
    if unknown:
        raise SchemaError(f"{source}: unknown indicator column(s) {unknown[:5]}")
    ids = raw[id_cols].rename(columns={"libelle": "name"})
    ids["n_communes"] = ids["n_communes"].astype("Int64")
    for col in attributes:
        ids[col] = ids[col].astype("string").replace("", pd.NA)
    ids.insert(2, "is_france", ids["code"] == "00FR")
    long = ids.join(raw[value_cols]).melt(id_vars=list(ids.columns), var_name="indicator", value_name="value")
    meta = pd.DataFrame.from_dict(parsed_cols, orient="index", columns=["family", "year_start", "year_end"])
    long = long.join(meta, on="indicator")
    long["unit"] = long["family"].map(INDICATOR_UNITS)
    long["value"] = pd.to_numeric(long["value"], errors="raise").astype(float)
    long = long[[*ids.columns, "indicator", "family", "year_start", "year_end", "unit", "value"]]
    check_shares(long[long["family"].str.endswith("_pct")], "value", source, ids=["code", "indicator"])
    check_non_negative(long[long["family"] == "population"], "value", source, ids=["code", "indicator"])
    check_unique(long, ["code", "indicator"], source)
    check_rows(long, source, *rows)
    return long.reset_index(drop=True)


@parsed(INDICATORS_EPCI, 1)
def load_territorial_indicators_epci(path: Path) -> pd.DataFrame:
    """Economic indicators by EPCI (and Paris, the 11 EPT), compiled in 2025.

    Source: INSEE census (2011, 2016, 2022), INSEE population 2022-2023, URSSAF private
    employment, SIRENE business creations, compiled by a third party
    (vincentroue/ptod-observatoire-territorial, ``agg_epci_exdeco.json``).

    Unit: see the ``unit`` column (per indicator family: %, % per year, inhabitants...).
    Periods: ``year_start``/``year_end`` decoded from the column suffix ('_22' = 2022,
    '_1724' = 2017 to 2024). Geography: 1,244 groupings of 2025 (EPCI, the 11 EPT of the
    Métropole du Grand Paris, their Métropole and Paris '75056'), metropolitan France
    only (no overseas EPCI).

    Columns: ``code`` (SIREN, 9 digits; '75056' for Paris; '00FR' for France),
    ``name``, ``is_france``, ``n_communes``, ``regdep`` ('NOR/76-SMa'), ``dens3``
    (density class 1-3), ``type_epci`` (CC, CA, CU, MET, EPT), ``indicator`` (the file's
    column name, e.g. 'eco_sectindus_pct_22'), ``family`` (name without period),
    ``year_start``, ``year_end``, ``unit``, ``value`` (float). 1,245 x 41 rows.

    Caveats: the FIRST record is France ('00FR', ``is_france`` True): filter it out before
    ranking or summing areas. Its ``P22_POP``/``P23_POP`` values are the MEDIAN EPCI
    population (23,212), not France's population; its rates are national values.
    The Métropole du Grand Paris ('200054781', 149 communes, ``type_epci`` MET) AND its
    parts (Paris '75056' and the 11 EPT, ``type_epci`` EPT) are all present, so summing
    over all rows double-counts that territory (population sums to 73.0 million,
    n_communes to 34,933). The URSSAF private-employment and business-creation rates
    are NaN for Paris and the 11 EPT (given for the MGP only). The industry share of
    jobs is only given for 2022. Two EPCI names occur twice (different codes).
    """
    return _parse_indicators(path, INDICATORS_EPCI, r"\d{9}|75056", ["regdep", "dens3", "type_epci"],
                             (45_000, 56_000))


@parsed(INDICATORS_ZE2020, 1)
def load_territorial_indicators_ze2020(path: Path) -> pd.DataFrame:
    """Economic indicators by zone d'emploi 2020, compiled in 2025.

    Source: as :func:`load_territorial_indicators_epci` (``agg_ze_exdeco.json``), plus
    Krugman and Gini specialisation indices computed on 2023 A38/A21 employment.

    Unit: see the ``unit`` column. Periods: ``year_start``/``year_end``.
    Geography: 287 metropolitan zones d'emploi 2020 (NO overseas zones) plus France.

    Columns: ``code`` (4 characters; '00FR' for France), ``name``, ``is_france``,
    ``n_communes``, ``regdep``, ``dens3``, ``indicator``, ``family``, ``year_start``,
    ``year_end``, ``unit``, ``value`` (float). 288 x 44 rows.

    Caveats: the FIRST record is France ('00FR', ``is_france`` True) and its population
    columns hold the MEDIAN zone population (126,555), not France's; its Krugman/Gini
    indices are NaN. Business-creation rates are NaN for the 14 interregional zones
    (0051-0064).
    """
    return _parse_indicators(path, INDICATORS_ZE2020, RX_ZE, ["regdep", "dens3"], (11_000, 14_000))


# ---------------------------------------------------------------------------------------
# URSSAF barometer page (region x 28 sectors, quarterly)
# ---------------------------------------------------------------------------------------
_RX_DEFERRED = re.compile(r"window\.BAROMETRE_DEFERRED_GZIP\s*=\s*([\"'])([A-Za-z0-9+/=\s]+)\1")
_RX_BOOT = re.compile(r"window\.BAROMETRE_BOOT\s*=\s*")
_BAROMETRE_MEASURES = {"effectifs_cvs": "employment", "masse_cvs": "payroll"}


def _barometre_payload(path: Path, source: str) -> tuple[dict, dict]:
    text = Path(path).read_text(encoding="utf-8")
    m = _RX_DEFERRED.search(text)
    if not m:
        raise SchemaError(f"{source}: no string assigned to window.BAROMETRE_DEFERRED_GZIP")
    try:
        data = json.loads(gzip.decompress(base64.b64decode(m.group(2))))
    except (ValueError, OSError) as err:
        raise SchemaError(f"{source}: window.BAROMETRE_DEFERRED_GZIP is not base64 gzip JSON ({err})") from err
    b = _RX_BOOT.search(text)
    if not b:
        raise SchemaError(f"{source}: no object assigned to window.BAROMETRE_BOOT (region names)")
    boot, _ = json.JSONDecoder().raw_decode(text, b.end())
    return data, boot


@parsed(URSSAF_BAROMETRE, 1)
def load_urssaf_region_na28_quarterly(path: Path) -> pd.DataFrame:
    """URSSAF private-sector employment and payroll by region x 28 sectors, quarterly, 1998Q3-2025Q4.

    Source: URSSAF open data "Effectifs salariés et masse salariale du secteur privé par
    région x NA38", as embedded (gzip + base64 JSON, ``window.BAROMETRE_DEFERRED_GZIP``,
    module ``modules.sector.regional``) in a third-party static page
    (ThomasJaafar12/Barometre). Region names from ``window.BAROMETRE_BOOT.regions``.

    Unit: ``variable == 'employment'``: salaried headcount at the end of the quarter,
    seasonally adjusted (CVS); ``variable == 'payroll'``: *masse salariale* of the
    quarter in euros, seasonally adjusted. Private sector (régime général, no MSA
    agriculture). Period: 1998Q3-2025Q4. Geography: the 17 regions of 2016 (no Mayotte:
    its series are empty in the page).

    Columns: ``region`` ('28', '01'..'04'), ``region_name``, ``sector`` (code from the
    label: 'CA', 'CK-CL', 'NZa' interim workers, 'NZb' admin. services excl. interim,
    'CD-CE-CF', ...; 'TOTAL' for *Population entière* = all sectors), ``sector_label``
    (label without its code), ``sector_key`` (the page's slug), ``period`` ('2019Q4'),
    ``year``, ``quarter``, ``date`` (quarter end), ``variable``, ``value`` (float).
    108,460 rows (17 regions x 29 series x 110 quarters x 2 measures).

    Caveats: apprentices are included from 2023Q1 (level break). No AZ sector. The
    national series of the page are the exact sum of the 17 regions and are left out;
    the page's yoy/qoq growth rates are left out (recompute them). The page's other
    modules (département x 7 broad sectors for the latest quarter, monthly payroll,
    auto-entrepreneurs, recovery rates) are not loaded.
    """
    source = _src(URSSAF_BAROMETRE)
    data, boot = _barometre_payload(path, source)
    try:
        regional = data["modules"]["sector"]["regional"]
        regions = regional["regions"]
    except (KeyError, TypeError) as err:
        raise SchemaError(f"{source}: decoded JSON has no modules.sector.regional.regions ({err})") from err
    names = {r["code"]: r["name"] for r in boot.get("regions", [])}
    rows = []
    for code, reg in regions.items():
        for key, series in (reg.get("series") or {}).items():
            for p in series["points"]:
                rows.append((code, key, series["label"], p.get("date"), p.get("effectifs_cvs"), p.get("masse_cvs")))
    if not rows:
        raise SchemaError(f"{source}: modules.sector.regional.regions holds no series")
    wide = pd.DataFrame(rows, columns=["region", "sector_key", "label", "date", "effectifs_cvs", "masse_cvs"])
    check_codes(wide, "region", RX_REG, source)
    check_codes(wide, "date", r"\d{4}-(03-31|06-30|09-30|12-31)", source)
    if "06" in set(wide["region"]):
        raise SchemaError(f"{source}: Mayotte ('06') now has series: check coverage")
    missing_names = set(wide["region"]) - set(names)
    if missing_names:
        raise SchemaError(f"{source}: BAROMETRE_BOOT.regions lacks region(s) {sorted(missing_names)}")
    total = wide["sector_key"] == "population-entiere"
    label_code = wide["label"].str.extract(r"^(?P<code>[A-Z]{2}[a-z]?(?:-[A-Z]{2})*) (?P<label>.+)$")
    if label_code.loc[~total, "code"].isna().any():
        bad = wide.loc[~total & label_code["code"].isna(), "label"].unique()[:5].tolist()
        raise SchemaError(f"{source}: sector label(s) without a leading code: {bad}")
    date = pd.to_datetime(wide["date"], format="%Y-%m-%d")
    base = pd.DataFrame({
        "region": wide["region"],
        "region_name": wide["region"].map(names),
        "sector": label_code["code"].where(~total, "TOTAL"),
        "sector_label": label_code["label"].where(~total, wide["label"]),
        "sector_key": wide["sector_key"],
        "period": date.dt.year.astype(str) + "Q" + date.dt.quarter.astype(str),
        "year": date.dt.year.astype(int),
        "quarter": date.dt.quarter.astype(int),
        "date": date,
    })
    frames = []
    for col, variable in _BAROMETRE_MEASURES.items():
        f = base.copy()
        f["variable"] = variable
        f["value"] = pd.to_numeric(wide[col], errors="raise").astype(float)
        frames.append(f)
    out = pd.concat(frames, ignore_index=True)
    out = out.sort_values(["region", "sector", "variable", "date"], ignore_index=True)
    check_unique(out, ["region", "sector", "variable", "period"], source)
    n_sectors = out["sector"].nunique()
    if n_sectors != 29:
        raise SchemaError(f"{source}: {n_sectors} sector series, expected 28 sectors + the total")
    check_rows(out, source, 100_000, 125_000)
    return out


# ---------------------------------------------------------------------------------------
# INSEE ETE: quarterly salaried employment by département x A17 (added for issue 11)
# ---------------------------------------------------------------------------------------
ETE_DEPARTEMENT_A17 = "insee_ete_departement_a17_2001t4_2020t1"
#: The 17 sectors of the ETE file (A17; C2DE merges coke-refining with extraction, energy and water;
#: MN0 = scientific, technical and support services without temp work MN78).
ETE_A17_SECTORS = ("AZ", "C1", "C2DE", "C3", "C4", "C5", "FZ", "GZ", "HZ", "IZ", "JZ", "KZ", "LZ", "MN0", "MN78",
                   "OQ", "RU")


@parsed(ETE_DEPARTEMENT_A17, 1)
def load_ete_departement_a17(path: Path) -> pd.DataFrame:
    """INSEE quarterly salaried employment (ETE) by département x A17 sector, 2001-T4 to 2020-T1.

    Source: INSEE, *Estimations trimestrielles d'emploi salarié* by département and A17 sector
    (series page insee.fr/fr/statistiques/series/102729648), as republished in the
    RemiDumas/ASR-emploi repository (legacy .xls, read with python-calamine).

    Unit: salaried jobs at the end of the quarter, seasonally adjusted estimates (fractional
    values), all employers. Period: 2001-T4 to 2020-T1 (74 quarters). Geography: 100
    départements (France without Mayotte; Corsica as 2A / 2B), regions of 2016.

    Columns: ``region`` (2016 region code, ``REG2016``), ``region_old`` (pre-2016 code, ``REG``),
    ``dep`` (département code), ``a5`` (A5 block label as in the file, e.g. 'BE-Industrie'),
    ``sector`` (A17 code, :data:`ETE_A17_SECTORS`), ``period`` ('2007Q4'), ``year``, ``quarter``
    (int), ``employment`` (float; NaN where the file is empty). 125,800 rows (100 x 17 x 74).

    Caveats: agriculture (AZ) and the non-market services (OQ) are empty before 2010-T4 (the
    file covers market sectors only before), so windows starting earlier must leave them out;
    R&D is inside MN0 and cannot be separated.
    """
    from python_calamine import CalamineWorkbook

    source = _src(ETE_DEPARTEMENT_A17)
    try:
        rows = CalamineWorkbook.from_path(str(path)).get_sheet_by_index(0).to_python()
    except Exception as err:  # noqa: BLE001 - any read failure gets one message naming the file
        raise SchemaError(f"{source}: cannot read the workbook with python-calamine ({err})") from err
    header = [str(h).strip() for h in rows[0]]
    expected = ["REG2016", "REG", "DEP", "A5", "A17"]
    if header[:5] != expected:
        raise SchemaError(f"{source}: first columns are {header[:5]}, expected {expected}")
    periods = header[5:]
    bad = [p for p in periods if not re.fullmatch(r"eff\d{4}t[1-4]", p)]
    if bad:
        raise SchemaError(f"{source}: unexpected column(s) {bad[:5]}; expected effYYYYtQ")
    wide = pd.DataFrame(rows[1:], columns=header)
    for c in expected:
        wide[c] = wide[c].map(lambda v: str(int(v)) if isinstance(v, float) else str(v).strip())
    wide["DEP"] = wide["DEP"].str.zfill(2)
    long = wide.melt(id_vars=expected, value_vars=periods, var_name="col", value_name="raw")
    raw = long["raw"].replace("", np.nan)
    long["employment"] = pd.to_numeric(raw, errors="coerce").astype(float)
    if long["employment"].isna().sum() != raw.isna().sum():
        odd = long.loc[long["employment"].isna() & raw.notna(), "raw"].unique()[:5].tolist()
        raise SchemaError(f"{source}: non-numeric employment value(s) {odd}")
    per = long["col"].str.extract(r"eff(?P<year>\d{4})t(?P<quarter>[1-4])").astype(int)
    out = pd.DataFrame({"region": long["REG2016"].str.zfill(2),
                        "region_old": long["REG"].str.zfill(2), "dep": long["DEP"], "a5": long["A5"],
                        "sector": long["A17"], "year": per["year"], "quarter": per["quarter"],
                        "employment": long["employment"]})
    out.insert(5, "period", out["year"].astype(str) + "Q" + out["quarter"].astype(str))
    check_codes(out, "dep", RX_DEP, source)
    check_codes(out, "region", RX_REG, source)
    unknown = sorted(set(out["sector"]) - set(ETE_A17_SECTORS))
    if unknown:
        raise SchemaError(f"{source}: unknown A17 code(s) {unknown}")
    if (out["employment"] < 0).any():
        raise SchemaError(f"{source}: negative employment")
    check_unique(out, ["dep", "sector", "period"], source)
    if out["dep"].nunique() != 100 or out["sector"].nunique() != 17:
        raise SchemaError(f"{source}: {out['dep'].nunique()} départements x {out['sector'].nunique()} sectors, "
                          "expected 100 x 17")
    out = out.sort_values(["dep", "sector", "year", "quarter"], ignore_index=True)
    check_rows(out, source, 120_000, 130_000)
    return out
