"""Energy: RTE Futurs énergétiques 2050 annexes, ADEME Base Carbone, heat networks, biomethane,
ODRE consumption by sector and wind/solar capacity by region, Eurostat energy balance.

Conventions of every loader here:

- codes are strings with their leading zeros: région ``reg`` ('84', '01'), département ``dep``
  ('01', '2A', '971'), commune ``com`` ('01001'); the label of a code is ``<code>_name``;
- numbers are floats (or nullable ``Int64`` for counts and years); the unit is in the column
  name (``_mwh``, ``_mw``, ``_pct``...) or in a ``unit`` column for tidy tables;
- tidy tables have one observation per row (``variable`` / ``year`` / ``value``).
"""

from __future__ import annotations

import re

import pandas as pd

from analysis.data.cache import parsed
from analysis.data.registry import DataError
from analysis.data.validate import (CODE_COMMUNE, CODE_DEPARTEMENT, CODE_REGION, SchemaError, ascii_fold, check_codes,
                        check_non_negative, check_order, check_range, check_rows, check_shares, check_unique,
                        read_json_records, require_columns, to_number)
from analysis.data.validate import source_name as _src

REG = CODE_REGION
DEP = CODE_DEPARTEMENT
COM = CODE_COMMUNE

#: INSEE région codes (COG 2016 onwards) by official name.
REGION_CODES = {
    "Guadeloupe": "01",
    "Martinique": "02",
    "Guyane": "03",
    "La Réunion": "04",
    "Mayotte": "06",
    "Île-de-France": "11",
    "Centre-Val de Loire": "24",
    "Bourgogne-Franche-Comté": "27",
    "Normandie": "28",
    "Hauts-de-France": "32",
    "Grand Est": "44",
    "Pays de la Loire": "52",
    "Bretagne": "53",
    "Nouvelle-Aquitaine": "75",
    "Occitanie": "76",
    "Auvergne-Rhône-Alpes": "84",
    "Provence-Alpes-Côte d'Azur": "93",
    "Corse": "94",
}


def _fold(name: str) -> str:
    """Lower-case, accents and punctuation removed: 'Nouvelle Aquitaine' == 'Nouvelle-Aquitaine'."""
    s = ascii_fold(name).lower()
    return re.sub(r"[^a-z]+", "", s)


_FOLDED_REGIONS = {_fold(k): v for k, v in REGION_CODES.items()}


def region_codes_from_names(names: pd.Series, source: str, column: str) -> pd.Series:
    """INSEE région codes for région names (spelling variants tolerated); missing names stay NA.

    Raises :class:`SchemaError` naming ``source`` and ``column`` for a name that is not a région.
    """
    present = names.dropna()
    codes = present.map(lambda v: _FOLDED_REGIONS.get(_fold(str(v))))
    unknown = present[codes.isna()]
    if len(unknown):
        raise SchemaError(
            f"{source}: column {column!r} has unknown région name(s) {unknown.unique()[:5].tolist()}"
        )
    return codes.reindex(names.index).astype("string")



# ---------------------------------------------------------------------------------------------
# RTE, Futurs énergétiques 2050: electricity balances
# ---------------------------------------------------------------------------------------------

_RTE_BALANCES = "rte_fe2050_annexes_bilans_energetiques"
#: sheet-name suffix -> consumption path as written in the sheet titles.
RTE_PATHS = {"ref": "référence", "sob": "sobriété", "reindus": "réindustrialisation profonde"}
RTE_MIXES = ["M0", "M1", "M23", "N1", "N2", "N03"]
_FOOTNOTE = re.compile(r"\s*\(\d\)\s*$")
_STEP_GW = re.compile(r"^\s*([\d,.]+)\s*\(([\d,.]+)\)\s*$")


def _clean_label(v) -> str:
    return _FOOTNOTE.sub("", re.sub(r"\s+", " ", str(v))).strip()


def _rte_sheet(raw: pd.DataFrame, sheet: str, source: str) -> pd.DataFrame:
    where = f"{source} [sheet {sheet}]"
    mix, _, suffix = sheet.partition("_")
    if mix not in RTE_MIXES or suffix not in RTE_PATHS:
        raise SchemaError(f"{where}: unexpected sheet name (expected <mix>_<ref|sob|reindus>)")
    title = str(raw.iat[0, 0]).strip()
    expected = f"{mix} - {RTE_PATHS[suffix]}"
    if title != expected:
        raise SchemaError(f"{where}: title cell A1 is {title!r}, expected {expected!r}")
    labels = raw[0]
    unit_rows = {str(v).strip(): i for i, v in labels.items() if str(v).strip() in ("TWh", "GW")}
    if set(unit_rows) != {"TWh", "GW"}:
        raise SchemaError(f"{where}: column A should hold the unit rows 'TWh' and 'GW', found {list(unit_rows)}")
    footnotes = [i for i, v in labels.items() if re.match(r"^\(?\d\)", str(v).strip())]
    block_end = {"TWh": unit_rows["GW"] - 1, "GW": min(footnotes, default=len(raw))}
    if block_end["TWh"] <= unit_rows["TWh"]:
        raise SchemaError(f"{where}: the 'TWh' block should come before the 'GW' block")
    records = []
    for unit, urow in unit_rows.items():
        years = raw.iloc[urow - 1]  # the year header sits just above the unit row
        year_cols = {c: int(y) for c, y in years.items()
                     if isinstance(y, (int, float)) and pd.notna(y) and 2000 <= y <= 2100}
        if 2019 not in year_cols.values() or 2050 not in year_cols.values():
            raise SchemaError(f"{where}: year header above the {unit!r} row lacks 2019 or 2050: {years.tolist()}")
        section = "puissance installée" if unit == "GW" else None
        for r in range(urow + 1, block_end[unit]):
            if pd.isna(labels.iloc[r]):
                continue
            label = _clean_label(labels.iloc[r])
            if label in ("Demande totale", "Offre totale"):
                section = "demande" if label == "Demande totale" else "offre"
            if section is None:
                raise SchemaError(f"{where}: row {r + 1} {label!r} comes before 'Demande totale'")
            for c, year in year_cols.items():
                v = raw.iat[r, c]
                if pd.isna(v):
                    continue
                m = _STEP_GW.match(v) if isinstance(v, str) else None
                if m:  # 'dont STEP pompage (turbinage)': '4,3 (5)' = pumping 4.3 GW, turbining 5 GW
                    base = label.replace(" pompage (turbinage)", "")
                    for name, txt in ((f"{base} pompage", m.group(1)), (f"{base} turbinage", m.group(2))):
                        records.append((name, r + 1, section, unit, year, float(txt.replace(",", "."))))
                    continue
                try:
                    value = float(v)
                except (TypeError, ValueError):
                    raise SchemaError(f"{where}: non-numeric value {v!r} for {label!r} {year}") from None
                records.append((label, r + 1, section, unit, year, value))
    df = pd.DataFrame(records, columns=["variable", "line", "section", "unit", "year", "value"])
    df.insert(0, "mix", mix)
    df.insert(1, "path_code", suffix)
    df.insert(2, "path", RTE_PATHS[suffix])
    return df


@parsed(_RTE_BALANCES, 1)
def load_rte_balances(path) -> pd.DataFrame:
    """RTE *Futurs énergétiques 2050*: annual electricity balances of the 18 scenarios.

    Source: RTE, Futurs énergétiques 2050, annex "Bilans énergétiques" (ODS, 18 sheets).
    Geography: France (mainland power system). Period: 2019 (observed) and 2030 (reference path
    only), 2040, 2050, 2060 (projections).

    Sheet ``<mix>_<path>`` = production mix ``mix`` (M0, M1, M23: 100 % renewables by 2050 with
    decreasing solar/wind mixes; N1, N2, N03: new nuclear, N03 the most nuclear) x consumption
    path ``path_code`` 'ref' = ``path`` 'référence', 'sob' = 'sobriété', 'reindus' =
    'réindustrialisation profonde' (checked against each sheet's title cell). The sobriety and
    re-industrialisation sheets have no 2030 column.

    Columns: ``mix``, ``path_code``, ``path``, ``variable`` (row label as written, footnote
    markers such as '(1)' removed: 'Consommation France', 'Nucléaire', 'dont éolien en mer'...),
    ``line`` (row number in the sheet, keeps the order and the 'dont' hierarchy), ``section``
    ('demande' and 'offre' in TWh, 'puissance installée' in GW), ``unit`` ('TWh' energy per
    year, 'GW' installed capacity), ``year`` (Int64), ``value`` (float).

    Caveats: ELECTRICITY balances only, not final energy by vector. 'Consommation France'
    excludes the flexibility draws (pumping, batteries, power-to-gas for the system, V2G), see
    footnote (1); 2019 = 475.2 TWh in every sheet. The GW row 'dont STEP pompage (turbinage)'
    written '4,3 (5)' is split into 'dont STEP pompage' (4.3) and 'dont STEP turbinage' (5.0).
    Header-only rows without values ('Flexibilités (5)', 'Flexibilités de consommation' in GW)
    are dropped. Sheets M1_reindus and N03_reindus carry three unlabelled helper columns of
    ratios right of 2060: ignored. Unique key: mix, path_code, section, variable, year.
    """
    source = _src(_RTE_BALANCES)
    sheets = pd.read_excel(path, engine="odf", sheet_name=None, header=None)
    expected = {f"{m}_{p}" for m in RTE_MIXES for p in RTE_PATHS}
    if set(sheets) != expected:
        raise SchemaError(f"{source}: sheets {sorted(set(sheets) ^ expected)} missing or unexpected")
    df = pd.concat([_rte_sheet(raw, name, source) for name, raw in sheets.items()], ignore_index=True)
    df["year"] = df["year"].astype("Int64")
    df["line"] = df["line"].astype("Int64")
    check_unique(df, ["mix", "path_code", "section", "variable", "year"], source)
    check_rows(df, source, 4_500, 5_000)
    conso = df[(df["variable"] == "Consommation France") & (df["year"] == 2019)]["value"]
    if len(conso) != 18 or not (conso == 475.2).all():
        raise SchemaError(f"{source}: 'Consommation France' 2019 should be 475.2 TWh in the 18 sheets")
    return df


# ---------------------------------------------------------------------------------------------
# RTE, Futurs énergétiques 2050: hydrogen annex (chapter 9)
# ---------------------------------------------------------------------------------------------

_RTE_H2 = "rte_fe2050_annexes_chapitre09_hydrogene"


def _h2_tables(raw: pd.DataFrame, where: str) -> pd.DataFrame:
    is_header = raw.apply(lambda row: row.astype(str).str.startswith("Aujourd").any(), axis=1)
    header_rows = list(raw.index[is_header])
    if len(header_rows) != 3:
        raise SchemaError(f"{where}: expected 3 tables (header rows with 'Aujourd’hui'), found {len(header_rows)}")
    out = []
    for h in header_rows:
        periods = raw.iloc[h].copy()
        first = min(c for c, v in periods.items() if str(v).startswith("Aujourd"))
        periods.loc[:first - 1] = pd.NA
        periods = periods.ffill()
        traj_row = raw.iloc[h + 1]
        has_traj = traj_row.astype(str).str.contains("référence").any()
        unit = traj_row[1] if has_traj else raw.iat[h, 1]
        titles = [str(v) for v in raw.loc[:h - 1, 1].dropna() if len(str(v)) > 30]
        if pd.isna(unit) or not titles:
            raise SchemaError(f"{where}: table with header on row {h + 1} has no unit or title in column B")
        label_cols = list(range(1, first))
        start = h + 2 if has_traj else h + 1
        stop = start
        while stop < len(raw) and raw.iloc[stop, 1:].notna().any():
            stop += 1
        block = raw.iloc[start:stop]
        for r, row in block.iterrows():
            labels = [row[c] for c in label_cols]
            for c in range(first, raw.shape[1]):
                v = row[c]
                if pd.isna(v) or pd.isna(periods[c]):
                    continue
                out.append({
                    "table": re.sub(r"\s+", " ", titles[-1]).strip(),
                    "category": labels[0] if len(labels) > 1 else pd.NA,
                    "series": labels[-1],
                    "trajectory": traj_row[c] if has_traj else pd.NA,
                    "period": str(periods[c]).replace(".0", ""),
                    "value": v,
                    "unit": str(unit).strip(),
                    "line": r + 1,
                })
    df = pd.DataFrame(out)
    df["category"] = df.groupby("table")["category"].transform(lambda s: s.ffill())
    return df


@parsed(_RTE_H2, 1)
def load_rte_hydrogen(path) -> pd.DataFrame:
    """RTE *Futurs énergétiques 2050*, chapter 9 annex: hydrogen demand and electrolysis.

    Source: RTE, Futurs énergétiques 2050, "Annexes chapitre 09 Hydrogène" (ODS), sheet
    ``Annexes`` (the three annex tables). Geography: France. Period: 'Aujourd’hui' (today, about
    2020), 2030, 2040, 2050, 2060.

    Tables (column ``table``, title as written):

    1. hydrogen consumption by use in the 'référence' and 'hydrogène +' trajectories
       (TWh H2 PCI/an): ``category`` = 'Usages matériaux', 'Usages énergétiques', 'Carburants de
       synthèse', 'Total usages finaux', 'Equilibrage du système électrique'; ``series`` = the use
       (Raffinage, Sidérurgie, Transport routier...; 'M0 référence'... for power-system balancing,
       which has no 'hydrogène +' value);
    2. installed electrolyser capacity by mix (GWe), ``series`` = M0, M1, M23, N1, N2, N03;
    3. hydrogen produced by electrolysis by mix (TWh H2 PCI/an).

    Columns: ``sheet``, ``table``, ``category``, ``series``, ``trajectory`` ('référence',
    'hydrogène +', NA for tables 2-3 and for today's column, which is common to both),
    ``period`` (as written), ``year`` (Int64, NA for 'Aujourd’hui'), ``value`` (float), ``unit``,
    ``line`` (row in the sheet). Empty cells are dropped.

    Caveats: rows '... - coproduction' are hydrogen co-produced by other processes (not
    electrolysis); 'Total usages finaux (hors coproduction)' and '(coproduction agrégée)' are
    totals, do not add them to their parts. The 'Figure_9_*' sheets (chart data, mostly the same
    numbers re-arranged) are not loaded. Series labels are stripped of trailing spaces ('M0 ').
    """
    source = _src(_RTE_H2)
    sheets = pd.read_excel(path, engine="odf", sheet_name=None, header=None)
    if "Annexes" not in sheets:
        raise SchemaError(f"{source}: sheet 'Annexes' missing; sheets are {list(sheets)}")
    df = _h2_tables(sheets["Annexes"], f"{source} [sheet Annexes]")
    df.insert(0, "sheet", "Annexes")
    for c in ["category", "series", "trajectory"]:
        df[c] = df[c].astype("string").str.replace(r"\s+", " ", regex=True).str.strip()
    df["period"] = df["period"].astype("string")
    df["year"] = pd.to_numeric(df["period"].where(df["period"].str.fullmatch(r"\d{4}")), errors="coerce").astype("Int64")
    df["value"] = pd.to_numeric(df["value"], errors="raise").astype(float)
    df["line"] = df["line"].astype("Int64")
    df = df[["sheet", "table", "category", "series", "trajectory", "period", "year", "value", "unit", "line"]]
    check_unique(df, ["table", "category", "series", "trajectory", "period"], source)
    check_rows(df, source, 200, 320)
    if df["table"].nunique() != 3:
        raise SchemaError(f"{source}: expected 3 tables in sheet 'Annexes', found {df['table'].nunique()}")
    return df.reset_index(drop=True)


# ---------------------------------------------------------------------------------------------
# ADEME Base Carbone v23.6
# ---------------------------------------------------------------------------------------------

_BASE_CARBONE = "ademe_base_carbone_v23_6"
#: source column -> output column.
_BC_COLUMNS = {
    "Identifiant de l'élément": "identifier",
    "Type Ligne": "line_type",
    "Structure": "structure",
    "Type de l'élément": "element_type",
    "Statut de l'élément": "status",
    "Nom base français": "name",
    "Nom attribut français": "attribute",
    "Nom frontière français": "border",
    "Nom base anglais": "name_en",
    "Code de la catégorie": "category",
    "Tags français": "tags",
    "Unité français": "unit",
    "Unité anglais": "unit_en",
    "Contributeur": "contributor",
    "Programme": "programme",
    "Source": "source",
    "Localisation géographique": "location",
    "Sous-localisation géographique français": "sub_location",
    "Date de création": "created",
    "Date de modification": "modified",
    "Période de validité": "validity_raw",
    "Incertitude": "uncertainty_pct",
    "Réglementations": "regulations",
    "Transparence": "transparency",
    "Qualité": "quality",
    "Commentaire français": "comment",
    "Type poste": "post_type",
    "Nom poste français": "post_name",
    "Total poste non décomposé": "total",
    "CO2f": "co2f",
    "CH4f": "ch4f",
    "CH4b": "ch4b",
    "N2O": "n2o",
    "Autres GES": "other_ghg",
    "CO2b": "co2b",
}
_BC_TEXT = ["structure", "element_type", "status", "name", "attribute", "border", "name_en", "category",
            "tags", "unit", "unit_en", "contributor", "programme", "source", "location", "sub_location",
            "regulations", "comment", "post_type", "post_name", "line_type"]
_BC_NUMBERS = ["uncertainty_pct", "transparency", "quality", "total", "co2f", "ch4f", "ch4b", "n2o",
               "other_ghg", "co2b"]
_QUOTES = re.compile(r'"{2,}')
_FR_MONTHS = {"janv": 1, "févr": 2, "mars": 3, "avr": 4, "mai": 5, "juin": 6, "juil": 7, "août": 8,
              "sept": 9, "oct": 10, "nov": 11, "déc": 12}


def _unquote(v):
    """Collapse runs of double quotes, drop the outer pair and any unbalanced leading/trailing quote."""
    if not isinstance(v, str):
        return v
    if '"' not in v and "\t" not in v:
        return v.strip()
    s = _QUOTES.sub('"', v).strip()
    if len(s) > 1 and s.startswith('"') and s.endswith('"'):
        s = s[1:-1].strip()
    if s.count('"') % 2:
        if s.startswith('"'):
            s = s[1:]
        elif s.endswith('"'):
            s = s[:-1]
    return re.sub(r"\s+", " ", s).strip()


#: Characters that a UTF-8 continuation byte (0x80-0xBF) becomes when it is wrongly decoded
#: as Windows-1252 or Latin-1.
_CONTINUATION = "\u0080-\u00bf\u20ac\u201a\u0192\u201e\u2026\u2020\u2021\u02c6\u2030\u0160\u2039\u0152\u017d" \
                "\u2018\u2019\u201c\u201d\u2022\u2013\u2014\u02dc\u2122\u0161\u203a\u0153\u017e\u0178"
#: A UTF-8 sequence read as Windows-1252 / Latin-1: 'Ã©' (é), 'Ã‰' (É), 'Â°' (°), 'Å“' (œ),
#: 'â€™' (’). Lead characters are limited to Â, Ã, Å (2-byte sequences for U+0080-U+017F,
#: every French letter) and â (3-byte sequences for U+2000-U+2FFF: quotes, dashes, €), none of
#: which is followed by such a character in correct French text ('MÂCON' is left alone).
_MOJIBAKE = re.compile(f"[\u00c2\u00c3\u00c5][{_CONTINUATION}]|\u00e2[{_CONTINUATION}]{{2}}")


def _mojibake_byte(ch: str) -> bytes:
    try:
        return ch.encode("cp1252")
    except UnicodeEncodeError:  # 0x81, 0x8D, 0x8F, 0x90, 0x9D are undefined in cp1252
        return ch.encode("latin-1")


def _repair_mojibake(v: str) -> str:
    """Undo double-encoded UTF-8 ('DonnÃ©es' -> 'Données'), sequence by sequence.

    Each suspicious sequence is re-encoded as the bytes it was read from and decoded as UTF-8;
    a sequence that does not round-trip is left as it is. Correct text is unchanged.
    """
    def fix(m: re.Match) -> str:
        t = m.group(0)
        try:
            return b"".join(_mojibake_byte(c) for c in t).decode("utf-8")
        except (UnicodeEncodeError, UnicodeDecodeError):
            return t
    return _MOJIBAKE.sub(fix, v)


def _text(series: pd.Series) -> pd.Series:
    """Mixed text / numbers (an attribute '2021' read as an int) -> clean strings, double-encoded
    UTF-8 repaired (the 'Réglementations' column of the export reads 'DonnÃ©es ...')."""
    def one(v):
        if v is None or (isinstance(v, float) and pd.isna(v)):
            return None
        if isinstance(v, float) and v.is_integer():
            v = int(v)
        return _unquote(_repair_mojibake(str(v))) or None
    return series.map(one).astype("string")


def _number(series: pd.Series, source: str, column: str) -> pd.Series:
    """Floats; numbers stored as text (decimal comma or point) parsed, blanks -> NaN."""
    if pd.api.types.is_numeric_dtype(series):
        return series.astype(float)
    def text_to_number(v):
        return v.strip().replace("\u00a0", "").replace(" ", "").replace(",", ".") if isinstance(v, str) else v

    s = series.map(text_to_number)
    s = s.replace({"": None})
    out = pd.to_numeric(s, errors="coerce")
    bad = s.notna() & out.isna()
    if bad.any():
        raise SchemaError(f"{source}: column {column!r} has non-numeric value(s) {s[bad].unique()[:5].tolist()}")
    return out.astype(float)


def _validity(v):
    """Validity cell -> (date, year): datetime, Excel serial, year number, 'Année 2019', 'déc.-19'."""
    if v is None or (isinstance(v, float) and pd.isna(v)):
        return pd.NaT, pd.NA
    if isinstance(v, pd.Timestamp) or hasattr(v, "year") and hasattr(v, "month"):
        t = pd.Timestamp(v)
        return t, t.year
    if isinstance(v, (int, float)):
        if 1900 <= v <= 2100:
            return pd.NaT, int(v)
        if 20_000 <= v <= 60_000:  # Excel serial day number
            t = pd.Timestamp("1899-12-30") + pd.Timedelta(days=int(v))
            return t, t.year
        return pd.NaT, pd.NA
    s = str(v).strip()
    m = re.fullmatch(r"([a-zéû]+)\.?-(\d{2})", s)
    if m and m.group(1) in _FR_MONTHS:
        t = pd.Timestamp(year=2000 + int(m.group(2)), month=_FR_MONTHS[m.group(1)], day=1)
        return t, t.year
    m = re.search(r"(?:Année|année) (\d{4})", s)
    if m:
        return pd.NaT, int(m.group(1))
    return pd.NaT, pd.NA


@parsed(_BASE_CARBONE, 2)
def load_base_carbone(path) -> pd.DataFrame:
    """ADEME Base Carbone v23.6: every emission factor, with its decomposition lines.

    Source: ADEME, Base Carbone / Base Empreinte, export v23.6 (an Excel re-save of the
    official export), sheet ``Base_Carbone_V23.6``. Values in kgCO2e per ``unit`` (``unit`` is
    written 'kgCO2e/kWh PCI', 'kgCO2e/litre', 'kgCO2e/t.km'...; a few 'Données source' rows
    hold other quantities: 'GJ / tonne', 'kg / m³', '%'). Geography: ``location`` ('France
    continentale', 'Europe', 'Outre-mer', 'Autre pays du monde', ...).

    One row per line of the export: ``line_type`` 'Elément' (the factor itself, 12,817 rows,
    one per ``identifier``) or 'Poste' (5,799 decomposition lines of the same identifier:
    ``post_type`` 'Combustion', 'Amont', 'Fabrication'...). Total 18,616 rows.

    Columns: ``identifier`` (string, e.g. '37132'), ``line_type``, ``structure``,
    ``element_type`` ('Facteur d'émission' / 'Données source'), ``status`` ('Valide générique',
    'Valide spécifique', 'Archivé'), ``name`` (Nom base français), ``attribute`` (Nom attribut),
    ``border`` (Nom frontière), ``name_en``, ``category``, ``tags``, ``unit`` (Unité français),
    ``unit_en``, ``contributor``, ``programme``, ``source``, ``location``, ``sub_location``,
    ``created`` / ``modified`` (datetime), ``validity_raw`` (Période de validité as written),
    ``validity_date`` (datetime when the cell is a date, an Excel serial or 'déc.-19'),
    ``validity_year`` (Int64: the year of that date, or of 'Année 2019' / a bare 2023),
    ``uncertainty_pct``, ``transparency``, ``quality``, ``comment``, ``post_type``, ``post_name``,
    ``total`` (Total poste non décomposé, float, kgCO2e per unit), ``co2f``, ``ch4f``, ``ch4b``,
    ``n2o``, ``other_ghg``, ``co2b`` (per-gas parts in kgCO2e; biogenic CO2 ``co2b`` is NOT in
    ``total``).

    Cleaning: the stray quotes of the re-save are removed from text fields (runs of 2 to 16
    double quotes collapse to one and the outer pair goes: the name of identifier 40963 reads
    'Barre céréalière "équilibre" aux fruits'), tabs and repeated spaces collapsed; text that
    was UTF-8 decoded twice (mojibake: 'DonnÃ©es de l'article L229-25', 8,190 cells of
    ``regulations``) is repaired to 'Données de l'article L229-25'; attribute
    or border names stored as numbers ('2021') become strings; numbers
    stored as text become floats. Some Agribalyse names were split at a comma by the re-save
    (name 'Salade César au poulet (salade verte', attribute 'fromage, croûtos, sauce)').

    Useful identifiers: 37132 natural gas 2022 mix, consumption, 0.239 kgCO2e/kWh PCI
    (combustion 0.201 + upstream 0.0382); 14085 fioul domestique, France continentale,
    0.325 kgCO2e/kWh PCI; electricity mix moyen consumption, France continentale: 43642 (2024,
    0.0519 kgCO2e/kWh), 43273 (2023, 0.058), 42513 (2022, 0.052); wood: 34942 granulés blancs
    français 0.0113 kgCO2e/kWh PCI, 34937 plaquettes forestières sèches 0.0164, 34938 humides
    0.0123. Look factors up with :func:`base_carbone_factor`.
    """
    source = _src(_BASE_CARBONE)
    sheet = "Base_Carbone_V23.6"
    try:
        raw = pd.read_excel(path, engine="calamine", sheet_name=sheet)
    except ValueError as err:
        raise SchemaError(f"{source}: cannot read sheet {sheet!r} ({err})") from err
    require_columns(raw, list(_BC_COLUMNS), f"{source} [sheet {sheet}]")
    df = raw[list(_BC_COLUMNS)].rename(columns=_BC_COLUMNS)
    ident = _number(df["identifier"], source, "Identifiant de l'élément")
    if ident.isna().any() or not (ident == ident.round()).all():
        raise SchemaError(f"{source}: column \"Identifiant de l'élément\" has missing or non-integer values")
    df["identifier"] = ident.astype("int64").astype(str).astype("string")
    for c in _BC_TEXT:
        df[c] = _text(df[c])
    for c in _BC_NUMBERS:
        df[c] = _number(df[c], source, c)
    for c in ["created", "modified"]:
        df[c] = pd.to_datetime(df[c], errors="coerce")
    validity = df["validity_raw"].map(_validity)
    df["validity_date"] = pd.to_datetime(validity.map(lambda t: t[0]))
    df["validity_year"] = pd.array(validity.map(lambda t: t[1]).tolist(), dtype="Int64")
    df["validity_raw"] = _text(df["validity_raw"].map(
        lambda v: v.strftime("%Y-%m-%d") if hasattr(v, "strftime") else v))
    order = list(_BC_COLUMNS.values())
    order.insert(order.index("validity_raw") + 1, "validity_date")
    order.insert(order.index("validity_date") + 1, "validity_year")
    df = df[order]
    bad_type = ~df["line_type"].isin(["Elément", "Poste"])
    if bad_type.any():
        raise SchemaError(f"{source}: column 'Type Ligne' has value(s) {df.loc[bad_type, 'line_type'].unique()[:5].tolist()}")
    check_codes(df, "identifier", r"\d{1,6}", source)
    check_unique(df[df["line_type"] == "Elément"], ["identifier"], source)
    check_unique(df, ["identifier", "line_type", "post_type", "post_name"], source)
    check_rows(df, source, 18_000, 19_500)
    if df["total"].isna().all():
        raise SchemaError(f"{source}: column 'Total poste non décomposé' is empty")
    return df.reset_index(drop=True)


class UnknownFactorError(DataError, KeyError):
    """An identifier absent from the Base Carbone table."""

    def __str__(self) -> str:  # KeyError would quote the message
        return str(self.args[0])


def base_carbone_factor(df: pd.DataFrame, identifier: str | int) -> float:
    """Total emission factor (kgCO2e per the element's ``unit``) of Base Carbone ``identifier``.

    ``df`` is :func:`load_base_carbone`'s table; the 'Elément' line is used (not its 'Poste'
    decomposition). Raises :class:`UnknownFactorError` naming the identifier if it is absent.
    Check ``unit`` yourself: the same product has factors per kWh PCI, per kWh PCS, per litre...
    """
    key = str(identifier).strip()
    rows = df[(df["identifier"] == key) & (df["line_type"] == "Elément")]
    if rows.empty:
        raise UnknownFactorError(
            f"Base Carbone identifier {key!r} not found in {_src(_BASE_CARBONE)} "
            f"({int((df['line_type'] == 'Elément').sum())} elements; identifiers are strings such as '37132')"
        )
    value = rows["total"].iloc[0]
    if pd.isna(value):
        raise UnknownFactorError(f"Base Carbone identifier {key!r} has no total value ('Total poste non décomposé')")
    return float(value)


# ---------------------------------------------------------------------------------------------
# Heat and cold networks: regulatory values of the arrêté DPE
# ---------------------------------------------------------------------------------------------

_HEAT_NETWORKS = "arrete_dpe_reseaux_chaleur_froid_2026"
_HN_COLUMNS = ["identifiant", "nom", "localisation", "contenu_co2", "contenu_co2_acv", "taux_enrr", "annee_reference"]


@parsed(_HEAT_NETWORKS, 1)
def load_heat_networks_dpe(path) -> pd.DataFrame:
    """CO2 content and renewable share of every French heat / cold network (arrêté DPE 2026).

    Source: Ministère de la transition écologique, arrêté fixing the reference values of heat
    and cold networks for the DPE (energy performance certificate), from the SNCU survey of
    2024 operating data, as published by France Chaleur Urbaine (``src/data/arrete-dpe/2026.csv``).
    Geography: each network (1,086: 1,039 heat 'C', 47 cold 'F').

    Columns: ``network_id`` (SNCU id as written, e.g. '6319C' = Issoire; its first two digits
    are the département number of the SNCU numbering, Corsica '20'), ``network_kind`` ('chaleur'
    for ids ending in C, 'froid' for F), ``name``, ``communes`` (localisation as written: one
    or several commune names, separated by ' - ' or ', '), ``co2_kg_per_kwh`` (contenu CO2,
    kgCO2/kWh delivered, direct emissions, the DPE value), ``co2_lca_kg_per_kwh`` (contenu CO2
    ACV, life-cycle, kgCO2/kWh), ``renewable_recovered_pct`` (taux EnR&R, % of renewable and
    recovered energy; NA for the 47 cold networks), ``reference`` ('2024' = 2024 data,
    'Moyenne' = multi-year average used when 2024 is missing or unrepresentative),
    ``reference_year`` (Int64: 2024 or NA for 'Moyenne').

    Caveats: the mirror's copy was re-assembled from a stored copy of the file (the upstream
    commit is unreachable): spot-checked values, e.g. Issoire 6319C "RÉSEAU D'ISSOIRE -
    ENERG'ISS" = 0.036 kgCO2/kWh, 0.053 ACV, 86.1 % EnR&R, reference 2024. Values are kg (not g)
    per kWh.
    """
    source = _src(_HEAT_NETWORKS)
    raw = pd.read_csv(path, dtype=str, keep_default_na=False, encoding="utf-8")
    require_columns(raw, _HN_COLUMNS, source)
    df = pd.DataFrame({
        "network_id": raw["identifiant"].str.strip(),
        "name": raw["nom"].str.strip(),
        "communes": raw["localisation"].str.strip(),
        "co2_kg_per_kwh": to_number(raw["contenu_co2"], source, "contenu_co2"),
        "co2_lca_kg_per_kwh": to_number(raw["contenu_co2_acv"], source, "contenu_co2_acv"),
        "renewable_recovered_pct": to_number(raw["taux_enrr"], source, "taux_enrr"),
        "reference": raw["annee_reference"].str.strip(),
    })
    check_codes(df, "network_id", r"\d{4}[CF]", source)
    df.insert(1, "network_kind", df["network_id"].str[-1].map({"C": "chaleur", "F": "froid"}))
    bad_ref = ~df["reference"].str.fullmatch(r"\d{4}|Moyenne")
    if bad_ref.any():
        bad_values = df.loc[bad_ref, "reference"].unique()[:5].tolist()
        raise SchemaError(f"{source}: column 'annee_reference' has value(s) {bad_values}")
    year = df["reference"].where(df["reference"] != "Moyenne")
    df["reference_year"] = pd.to_numeric(year, errors="coerce").astype("Int64")
    for c in ["co2_kg_per_kwh", "co2_lca_kg_per_kwh"]:
        check_range(df, c, source, 0, 2, allow_na=False, ids=["network_id"], unit="kgCO2/kWh")
    check_shares(df, "renewable_recovered_pct", source, ids=["network_id"])
    # Life-cycle content >= direct content on all but 39 networks (3.6 %) of the 2026 file:
    # swapped columns (contenu_co2 <-> contenu_co2_acv) break it on most rows.
    check_order(df, "co2_kg_per_kwh", "co2_lca_kg_per_kwh", source, ids=["network_id", "name"], max_share=0.1,
                why="the life-cycle content contenu_co2_acv includes the direct one")
    check_unique(df, ["network_id"], source)
    check_rows(df, source, 1_000, 1_200)
    return df


# ---------------------------------------------------------------------------------------------
# ODRE: biomethane injection points
# ---------------------------------------------------------------------------------------------

_BIOMETHANE = "odre_points_injection_biomethane_2026"
_BM_FIELDS = ["id_unique_projet", "nom_du_projet", "site", "commune", "code_commune", "current_code",
              "coordonnees", "code_epci", "nom_epci", "departement", "code_dep", "region", "annee_mes",
              "date_de_mes", "date_de_fermeture_du_site", "site_ouvert", "capacite_de_production_gwh_an",
              "augmentation_prevue", "grx_demandeur", "type_de_reseau", "gestionnaire_de_registre",
              "ndeg_de_pitd_pitp"]


@parsed(_BIOMETHANE, 1)
def load_biomethane_injection_points(path) -> pd.DataFrame:
    """Biomethane injection points in France: location, commissioning date, capacity.

    Source: ODRE (Open Data Réseaux Énergies: GRDF, NaTran, Teréga...), "Points d'injection de
    biométhane en France", extract of about March 2026 (commissioning dates up to 2026-02) as
    re-published by a third party (JSON list). Geography: communes (current COG, see below).

    One row per injection project (818). Columns: ``project_id`` (id_unique_projet, Int64,
    unique), ``name`` (nom du projet), ``injection_point`` (n° PITD/PITP: several projects can
    share one point), ``site_type`` ('Agricole autonome', 'Agricole territorial', "Station
    d'épuration", 'Industriel territorial', 'ISDND', 'Déchets ménagers et biodéchets',
    'Power-to-méthane'), ``com`` (code_commune as registered), ``com_current`` (current_code:
    code in the current COG; differs for 7 merged communes), ``com_name``, ``epci`` (SIREN),
    ``epci_name``, ``dep``, ``dep_name``, ``reg`` (INSEE code, derived from the name),
    ``reg_name``, ``commissioning_year`` (Int64), ``commissioning_date`` (datetime),
    ``closure_date`` (datetime, 3 closed sites), ``is_open`` (bool), ``capacity_gwh_per_year``
    (capacité de production, GWh/year of biomethane: the file gives GWh/yr, not Nm3/h),
    ``capacity_increase_planned`` (bool), ``requesting_operator`` (grid operator, GRX
    demandeur), ``grid_type`` ('Distribution' / 'Transport'), ``registry_manager``,
    ``lon`` / ``lat`` (WGS84 degrees).

    Caveat: one record (project 104, 'STEP DE SORMIOU - MARSEILLE -13', 2019) has no commune,
    département, région, EPCI nor coordinates; only ``com_current`` = '13209' (Marseille 9e)
    locates it: kept with NA, add it to Provence-Alpes-Côte d'Azur by hand if needed.
    """
    source = _src(_BIOMETHANE)
    raw = read_json_records(path, source)
    require_columns(raw, _BM_FIELDS, source)
    coords = raw["coordonnees"].map(lambda c: c if isinstance(c, dict) else {})
    s = lambda c: raw[c].astype("string").str.strip()  # noqa: E731
    df = pd.DataFrame({
        "project_id": pd.to_numeric(raw["id_unique_projet"], errors="raise").astype("Int64"),
        "name": s("nom_du_projet"),
        "injection_point": s("ndeg_de_pitd_pitp"),
        "site_type": s("site"),
        "com": s("code_commune"),
        "com_current": s("current_code"),
        "com_name": s("commune"),
        "epci": s("code_epci"),
        "epci_name": s("nom_epci"),
        "dep": s("code_dep"),
        "dep_name": s("departement"),
        "reg": region_codes_from_names(raw["region"], source, "region"),
        "reg_name": s("region"),
        "commissioning_year": pd.to_numeric(raw["annee_mes"], errors="raise").astype("Int64"),
        "commissioning_date": pd.to_datetime(raw["date_de_mes"], format="%Y-%m-%d"),
        "closure_date": pd.to_datetime(raw["date_de_fermeture_du_site"], format="%Y-%m-%d"),
        "is_open": raw["site_ouvert"].astype(str).map({"True": True, "False": False}).astype("boolean"),
        "capacity_gwh_per_year": to_number(raw["capacite_de_production_gwh_an"], source, "capacite_de_production_gwh_an"),
        "capacity_increase_planned": raw["augmentation_prevue"].map(
            {"Augmentation supplémentaire prévue": True, "Aucune augmentation supplémentaire prévue": False}
        ).astype("boolean"),
        "requesting_operator": s("grx_demandeur"),
        "grid_type": s("type_de_reseau"),
        "registry_manager": s("gestionnaire_de_registre"),
        "lon": pd.to_numeric(coords.map(lambda c: c.get("lon")), errors="raise").astype(float),
        "lat": pd.to_numeric(coords.map(lambda c: c.get("lat")), errors="raise").astype(float),
    })
    if df["is_open"].isna().any():
        raise SchemaError(f"{source}: field 'site_ouvert' has values other than 'True'/'False'")
    check_non_negative(df, "capacity_gwh_per_year", source, ids=["project_id", "name"])
    check_codes(df, "com", COM, source, allow_na=True)
    check_codes(df, "com_current", COM, source)
    check_codes(df, "dep", DEP, source, allow_na=True)
    check_codes(df, "epci", r"\d{9}", source, allow_na=True)
    check_unique(df, ["project_id"], source)
    check_rows(df, source, 800, 900)
    if df["reg"].isna().sum() > 5 or df["lon"].isna().sum() > 5:
        raise SchemaError(f"{source}: more than 5 records without région or coordinates")
    if not (df["lon"].dropna().between(-6, 10).all() and df["lat"].dropna().between(41, 52).all()):
        raise SchemaError(f"{source}: field 'coordonnees' has points outside metropolitan France")
    return df


# ---------------------------------------------------------------------------------------------
# ODRE: electricity and gas consumption by région and NAF sector
# ---------------------------------------------------------------------------------------------

_ODRE_CONSO = "odre_conso_elec_gaz_region_naf_2011_2021"
_OC_COLUMNS = ["operateur", "annee", "filiere", "code_categorie_consommation", "libelle_categorie_consommation",
               "code_grand_secteur", "libelle_grand_secteur", "code_naf", "libelle_secteur_naf2", "conso", "pdl",
               "indqual", "nombre_mailles_secretisees", "code_region", "libelle_region"]


@parsed(_ODRE_CONSO, 1)
def load_odre_consumption_region_naf(path) -> pd.DataFrame:
    """Annual electricity and gas consumption by région, operator and sector, 2011-2021 (MWh).

    Source: Agence ORE / ODRE, "Consommation annuelle d'électricité et gaz par région et par
    code NAF" (conso-elec-gaz-annuelle-par-naf-agregee-region). Geography: régions (COG 2016+,
    incl. overseas), plus 'Non affecté à une région'. Period: 2011-2021.

    One row per operator x year x energy x consumption category x sector group x NAF division x
    région. Columns: ``year`` (Int64), ``operator`` (grid operator: Enedis, GRDF, RTE...),
    ``energy`` ('electricity' / 'gas'), ``category_code`` ('ENT' entreprises, 'PRO' petits
    professionnels, 'RES' résidentiel, 'RES-PRO', 'ENT_PRO', 'X' unknown), ``category_name``,
    ``sector_group`` ('A' agriculture, 'I' industrie, 'T' tertiaire, 'R' résidentiel, 'X'
    Secteur Inconnu), ``sector_group_name``, ``naf2`` (NAF rev. 2 division, 2 characters with
    the leading zero restored, '01'...'99'; NA on rows that are only by sector group),
    ``naf2_name``, ``unknown_sector`` (bool, sector group 'X' 'Secteur Inconnu': kept, exclude
    it or report it separately), ``consumption_mwh`` (float), ``n_sites`` (points de
    livraison, Int64), ``quality_index`` (indqual, 0-1), ``n_secret_meshes`` (number of
    secretised meshes, Int64), ``reg`` (INSEE code; NA for 'Non affecté à une région', written
    'Fr' or 'XX'), ``reg_name``.

    Caveats: early years are sparse (369 rows in 2011 vs 5,141 in 2021: the NAF split grows
    over time and with the number of operators); do not compare raw sums across years without
    checking coverage. The source writes NAF divisions 01-09 without their leading zero ('1',
    '8'): restored. Labels '0' mean missing and become NA. Secret cells would be NaN (the file
    has none blank: secretised meshes are only counted in ``n_secret_meshes``).
    """
    source = _src(_ODRE_CONSO)
    raw = pd.read_csv(path, sep=";", dtype=str, keep_default_na=False, encoding="utf-8")
    require_columns(raw, _OC_COLUMNS, source)
    raw = raw.apply(lambda c: c.str.strip())
    na0 = lambda c: raw[c].replace({"0": pd.NA, "": pd.NA}).astype("string")  # noqa: E731
    naf = raw["code_naf"].replace({"": pd.NA}).astype("string")
    naf = naf.where(naf.str.len() != 1, naf.str.zfill(2))
    energy = raw["filiere"].map({"Electricité": "electricity", "Gaz": "gas"})
    if energy.isna().any():
        bad_values = raw.loc[energy.isna(), "filiere"].unique()[:5].tolist()
        raise SchemaError(f"{source}: column 'filiere' has value(s) {bad_values}")
    reg = raw["code_region"].astype("string")
    df = pd.DataFrame({
        "year": pd.to_numeric(raw["annee"], errors="raise").astype("Int64"),
        "operator": raw["operateur"].astype("string"),
        "energy": energy.astype("string"),
        "category_code": raw["code_categorie_consommation"].astype("string"),
        "category_name": na0("libelle_categorie_consommation"),
        "sector_group": raw["code_grand_secteur"].replace({"": pd.NA}).astype("string"),
        "sector_group_name": na0("libelle_grand_secteur"),
        "naf2": naf,
        "naf2_name": na0("libelle_secteur_naf2"),
        "unknown_sector": raw["code_grand_secteur"].eq("X"),
        "consumption_mwh": to_number(raw["conso"], source, "conso"),
        "n_sites": to_number(raw["pdl"], source, "pdl").astype("Int64"),
        "quality_index": to_number(raw["indqual"], source, "indqual"),
        "n_secret_meshes": to_number(raw["nombre_mailles_secretisees"], source, "nombre_mailles_secretisees").astype("Int64"),
        "reg": reg.where(reg.str.fullmatch(REG)),
        "reg_name": raw["libelle_region"].astype("string"),
    })
    odd = df["reg"].isna() & (df["reg_name"] != "Non affecté à une région")
    if odd.any():
        raise SchemaError(f"{source}: column 'code_region' has value(s) {raw.loc[odd, 'code_region'].unique()[:5].tolist()}")
    check_codes(df, "naf2", r"\d{2}", source, allow_na=True)
    check_codes(df, "sector_group", r"[AITRX]", source, allow_na=True)
    for c in ["consumption_mwh", "n_sites", "n_secret_meshes"]:
        check_non_negative(df, c, source, ids=["year", "operator", "energy", "reg", "naf2"])
    check_unique(df, ["operator", "year", "energy", "category_code", "sector_group", "naf2", "reg", "reg_name"], source)
    check_rows(df, source, 17_000, 20_000)
    if not df["year"].between(2011, 2021).all():
        raise SchemaError(f"{source}: column 'annee' outside 2011-2021")
    return df


# ---------------------------------------------------------------------------------------------
# ODRE: installed wind and solar capacity by région
# ---------------------------------------------------------------------------------------------

_ODRE_WIND_SOLAR = "odre_parc_regional_eolien_solaire_2001_2020"
_WS_COLUMNS = {"Année": "year", "Code INSEE région": "reg", "Région": "reg_name",
               "Parc installé éolien (MW)": "wind", "Parc installé solaire (MW)": "solar"}


@parsed(_ODRE_WIND_SOLAR, 1)
def load_odre_wind_solar_capacity(path) -> pd.DataFrame:
    """Installed wind and solar capacity by région, end of year, 2001-2020 (MW).

    Source: RTE / ODRE, "Parc régional annuel de production éolien et solaire". Geography: the
    13 metropolitan régions (COG 2016+). Period: 2001-2020, installed capacity at year end.

    Columns: ``year`` (Int64), ``reg``, ``reg_name``, ``technology`` ('wind' / 'solar'),
    ``capacity_mw`` (float). 13 x 20 x 2 = 520 rows.

    Caveats: blank cells (early years, small régions: 24 wind, 69 solar) are kept as NaN: they
    mean "not published", most likely 0 or negligible; fill with 0 only knowingly. The huge
    'Géo-shape région' column (GeoJSON strings) is not read.
    """
    source = _src(_ODRE_WIND_SOLAR)
    header = pd.read_csv(path, sep=";", nrows=0, encoding="utf-8")
    require_columns(header, list(_WS_COLUMNS), source)
    raw = pd.read_csv(path, sep=";", dtype=str, keep_default_na=False, encoding="utf-8", usecols=list(_WS_COLUMNS))
    raw = raw.rename(columns=_WS_COLUMNS)
    wide = pd.DataFrame({
        "year": pd.to_numeric(raw["year"], errors="raise").astype("Int64"),
        "reg": raw["reg"].str.strip().astype("string"),
        "reg_name": raw["reg_name"].str.strip().astype("string"),
        "wind": to_number(raw["wind"], source, "Parc installé éolien (MW)"),
        "solar": to_number(raw["solar"], source, "Parc installé solaire (MW)"),
    })
    check_codes(wide, "reg", REG, source)
    df = wide.melt(id_vars=["year", "reg", "reg_name"], var_name="technology", value_name="capacity_mw")
    df["technology"] = df["technology"].astype("string")
    df = df.sort_values(["technology", "reg", "year"]).reset_index(drop=True)
    check_unique(df, ["year", "reg", "technology"], source)
    check_rows(df, source, 500, 540)
    check_non_negative(df, "capacity_mw", source, ids=["year", "reg", "technology"])
    return df


# ---------------------------------------------------------------------------------------------
# Eurostat nrg_bal_c, France
# ---------------------------------------------------------------------------------------------

_EUROSTAT = "eurostat_nrg_bal_c_fr_1990_2023"


@parsed(_EUROSTAT, 1)
def load_eurostat_energy_balance(path) -> pd.DataFrame:
    """Eurostat complete energy balance (nrg_bal_c) for France, 1990-2023, TJ (trimmed).

    Source: Eurostat, nrg_bal_c, as saved (Arrow feather) in a test fixture of a third-party
    repository. Geography: France (geo 'FR'). Period: 1990-2023. Unit: terajoules ('TJ').

    Columns: ``nrg_bal`` (balance item), ``siec`` (product, SIEC code: 'TOTAL', 'C0110'...,
    'G3000' natural gas, 'E7000' electricity, 'H8000' heat, 'R5...' biofuels, 'RA...' renewables,
    'N900H' nuclear heat, 'O4...' oil products, 'S2000' oil shale, 'P1100'/'P1200' peat, 'W6...'
    waste), ``unit`` ('TJ'), ``year`` (Int64), ``value`` (float, NaN when Eurostat gives none).
    The grid is complete: 36 nrg_bal x 64 siec x 34 years = 78,336 rows.

    nrg_bal codes present (36), and ONLY these: final energy consumption of industry
    sub-sectors FC_IND_{IS, CPC, NFM, NMM, TE, MAC, MQ, FBT, PPP, WP, CON, TL, NSP}_E (the 13
    sub-sectors: their sum is FC_IND_E); transport FC_TRA_{RAIL, ROAD, DNAVI}_E; other sectors
    FC_OTH_{CP (commercial and public services), HH (households), AF (agriculture and
    forestry), FISH}_E; energy-branch own use NRG_{EHG, CM, OIL_NG, PF, CO, BKBPB, GW, BF, PR,
    NI, CL, LNG, BIOG, GTL, CPP, NSP}_E.

    Caveats: the aggregates (FC_E, FC_IND_E, FC_TRA_E, FC_OTH_E, GIC, NRG_E...) are ABSENT:
    sum the sub-sectors. FC_IND_E = the sum of the 13 FC_IND_*_E; FC_TRA_E and FC_OTH_E cannot
    be rebuilt (domestic aviation FC_TRA_DAVI_E, pipelines FC_TRA_PIPE_E, FC_TRA_NSP_E and
    FC_OTH_NSP_E are missing). Summing siec codes double-counts: use siec 'TOTAL' for all
    products.
    """
    source = _src(_EUROSTAT)
    raw = pd.read_feather(path)
    require_columns(raw, ["nrg_bal", "siec", "unit", "geo", "time", "values"], source)
    geo_values = set(raw["geo"].astype(str).unique())
    if geo_values != {"FR"}:
        raise SchemaError(f"{source}: column 'geo' should be only 'FR', found {sorted(geo_values)[:5]}")
    years = pd.to_numeric(raw["time"], errors="raise")
    if not (years == years.round()).all():
        raise SchemaError(f"{source}: column 'time' has non-integer years")
    df = pd.DataFrame({
        "nrg_bal": raw["nrg_bal"].astype("string"),
        "siec": raw["siec"].astype("string"),
        "unit": raw["unit"].astype("string"),
        "year": years.astype("Int64"),
        "value": pd.to_numeric(raw["values"], errors="raise").astype(float),
    })
    check_codes(df, "nrg_bal", r"(FC|NRG)_[A-Z_]+_E", source)
    check_codes(df, "unit", r"TJ", source)
    check_unique(df, ["nrg_bal", "siec", "unit", "year"], source)
    check_rows(df, source, 75_000, 80_000)
    if not df["year"].between(1990, 2023).all():
        raise SchemaError(f"{source}: column 'time' outside 1990-2023")
    return df
