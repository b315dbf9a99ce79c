"""Programmes and outcomes: DARES Métiers 2030, Fonds friches dossiers, Cartofriches sites, patents.

Conventions of every loader here (as in :mod:`analysis.data.loaders.energy`):

- codes are strings with their leading zeros: région ``reg`` ('84'), département ``dep``
  ('01', '2A', '971'), commune ``com`` ('01001'); the label of a code is ``<code>_name``;
- numbers are floats (or nullable ``Int64``); tidy tables carry ``variable`` / ``value`` / ``unit``.
"""

from __future__ import annotations

import re
from pathlib import Path
import warnings

import numpy as np
import pandas as pd

from analysis.data.cache import parsed

from analysis.data.validate import (SchemaError, ascii_fold, check_codes, check_non_negative, check_range,
                        check_rows, check_shares, check_unique, read_json_records, require_columns, to_number)
from analysis.data.validate import source_name as _src
from analysis.data.loaders.energy import COM, DEP, region_codes_from_names
from analysis.data.loaders.geo import read_appartenance_sheet



def _read_rdata(path, source: str) -> dict | pd.DataFrame:
    """Parse an R file (RData or RDS, whatever its extension) with the ``rdata`` package."""
    import rdata

    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # "Wrong extension .rds for file in RDATA format"
            return rdata.conversion.convert(rdata.parser.parse_file(path))
    except Exception as err:  # noqa: BLE001 - any parse failure means the layout changed
        raise SchemaError(f"{source}: cannot read the R file with rdata ({err.__class__.__name__}: {err})") from err


# ---------------------------------------------------------------------------------------------
# DARES / France Stratégie, Les métiers en 2030, by région
# ---------------------------------------------------------------------------------------------

_METIERS = "dares_metiers_2030_regions"
#: source field -> unit of its values.
METIERS_VARIABLES = {
    "effectifs_2019_milliers": "thousand persons",
    "part_metier_region": "share of the région's employment (fraction)",
    "indice_specificite": "index (1 = same share as in France)",
    "creations_destructions_milliers": "thousand jobs",
    "creations_destructions_pct": "fraction of 2019 employment",
    "departs_fin_carriere_milliers": "thousand persons",
    "departs_fin_carriere_pct": "fraction of 2019 employment",
    "jeunes_debutants_milliers": "thousand persons",
    "jeunes_debutants_pct": "fraction of 2019 employment",
    "solde_mobilites_inter_regions_milliers": "thousand persons",
    "solde_mobilites_inter_regions_pct": "fraction of 2019 employment",
    "desequilibre_milliers": "thousand persons",
    "desequilibre_pct": "fraction of 2019 employment",
    "postes_a_pourvoir_milliers": "thousand positions",
    "postes_a_pourvoir_pct": "fraction of 2019 employment",
    "niveau_tension_2019": "level 1 (low) to 5 (very high)",
}
FAP = r"([A-Z]\d[A-Z]|XK_)(;[A-Z]\d[A-Z])*"


@parsed(_METIERS, 1)
def load_metiers_2030(path) -> pd.DataFrame:
    """DARES / France Stratégie *Les métiers en 2030*: recruitment prospects by occupation and région.

    Source: DARES and France Stratégie, "Les métiers en 2030 : perspectives de recrutement en
    région", data workbook, as copied to JSON by a third party (1,049 occupation x région
    records). Geography: the 13 metropolitan régions (COG 2016+); overseas régions absent, so
    national sums are metropolitan France. Period: 2019 (employment, tension) and 2019-2030
    (flows, projected).

    Tidy: one row per occupation x région x variable (1,049 x 16 = 16,784 rows). Columns:
    ``fap`` (FAP-2009 family code in 87 families, e.g. 'D2Z'; in Corsica some families are
    merged and written 'C1Z;D1Z;D2Z;...'), ``fap_name``, ``fap_grouped`` (bool, a merged
    Corsican code), ``reg``, ``reg_name`` (as written; 'Nouvelle Aquitaine' without hyphen),
    ``variable`` (source field name), ``value`` (float), ``unit``.

    Variables (see :data:`METIERS_VARIABLES` for units): ``effectifs_2019_milliers``
    (employment 2019), ``part_metier_region``, ``indice_specificite``,
    ``creations_destructions_*`` (net job creation 2019-2030), ``departs_fin_carriere_*``
    (end-of-career departures 2019-2030), ``jeunes_debutants_*`` (young entrants, NEGATIVE: they
    reduce the needs), ``solde_mobilites_inter_regions_*``, ``desequilibre_*`` (projected
    imbalance), ``postes_a_pourvoir_*`` (positions to fill 2019-2030 = net creation +
    departures), ``niveau_tension_2019`` (1-5; NaN where the source says 'hors champ',
    civil-service and similar families). ``*_milliers`` are thousands of persons, ``*_pct``
    fractions of 2019 employment (-0.062 = -6.2 %).

    Caveats: 'XK_' is a residual family ('Artisans, Politique et Clergé'); Corsica has 53 rows
    instead of 83 because of the merged families; the copier dropped 31 rows of the source
    sheet (totals or blanks), so there is no total line: sum the families.
    """
    source = _src(_METIERS)
    raw = read_json_records(path, source)
    require_columns(raw, ["code_fap", "fap_libelle", "region", *METIERS_VARIABLES], source)
    ids = pd.DataFrame({
        "fap": raw["code_fap"].astype("string").str.strip(),
        "fap_name": raw["fap_libelle"].astype("string").str.strip(),
        "reg": region_codes_from_names(raw["region"], source, "region"),
        "reg_name": raw["region"].astype("string").str.strip(),
    })
    check_codes(ids, "fap", FAP, source)
    check_codes(ids, "reg", r"\d{2}", source)
    check_unique(ids, ["fap", "reg"], source)
    check_rows(ids, source, 1_000, 1_100)
    tension = raw["niveau_tension_2019"].astype(str).str.strip()
    bad = ~tension.isin(["1", "2", "3", "4", "5", "hors champ"])
    if bad.any():
        raise SchemaError(f"{source}: field 'niveau_tension_2019' has value(s) {tension[bad].unique()[:5].tolist()}")
    values = raw[list(METIERS_VARIABLES)].copy()
    values["niveau_tension_2019"] = tension.where(tension != "hors champ")
    for c in values.columns:
        values[c] = to_number(values[c], source, c)
    wide = pd.concat([ids, values], axis=1)
    for c in ["effectifs_2019_milliers", "indice_specificite", "departs_fin_carriere_milliers"]:
        check_non_negative(wide, c, source, ids=["fap", "reg"])
    check_range(wide, "jeunes_debutants_milliers", source, high=0, ids=["fap", "reg"])  # written as negatives
    check_shares(wide, "part_metier_region", source, scale=1, ids=["fap", "reg"])
    wide.insert(2, "fap_grouped", wide["fap"].str.contains(";"))
    df = wide.melt(id_vars=["fap", "fap_name", "fap_grouped", "reg", "reg_name"],
                   var_name="variable", value_name="value")
    df["variable"] = df["variable"].astype("string")
    df["unit"] = df["variable"].map(METIERS_VARIABLES).astype("string")
    if df.loc[df["variable"] != "niveau_tension_2019", "value"].isna().any():
        raise SchemaError(f"{source}: missing numeric value(s) outside 'niveau_tension_2019'")
    if ids["reg"].nunique() != 13:
        raise SchemaError(f"{source}: field 'region' has {ids['reg'].nunique()} régions, expected the 13 metropolitan ones")
    return df.reset_index(drop=True)


# ---------------------------------------------------------------------------------------------
# Cerema: Fonds friches / Fonds vert dossiers
# ---------------------------------------------------------------------------------------------

_FONDS_FRICHES = "cerema_fonds_friches_light"
#: démarches-simplifiées call id -> (edition number, label, year). The ``liste_editions`` object
#: of the file lists them as 1: 46904, 2: 54008, 3: 36961, 4: 68862, NOT in chronological order.
FONDS_FRICHES_EDITIONS = {
    "36961": (1, "Fonds friches, 1re édition", 2021),
    "46904": (2, "Fonds friches, 2e édition", 2021),
    "54008": (3, "Fonds friches, 3e édition", 2022),
    "68862": (4, "Fonds vert, recyclage foncier", 2023),
}
_FF_COLUMNS = ["libreg", "num_demarche", "laureat_fv", "num_dossier", "loc_abc", "logique_intervention",
               "intervention", "mo_requal", "bilan", "deficit", "nat_friche", "site_area", "friche_area"]
#: cost item column -> output name (labels from Cerema's module_fonds_friches.R), € HT.
_FF_COSTS = {
    "daa_ht": "cost_acquisition_eur",
    "dab_ht": "cost_studies_eur",
    "dac_ht": "cost_works_eur",
    "dad_ht": "cost_contributions_eur",
    "daf_ht": "cost_owner_fees_eur",
    "dag1_ht": "cost_financial_eur",
    "dag2_ht": "cost_communication_eur",
    "dag3_ht": "cost_property_management_eur",
    "dag4_ht": "cost_insurance_eur",
    "dag5_ht": "cost_margins_eur",
    "dag6_ht": "cost_contingencies_eur",
    "dag7_ht": "cost_other_eur",
}


def _clean_label(s: pd.Series) -> pd.Series:
    """Fix cp1252 leftovers ('\\x96' en dash, '\\x92' apostrophe), tabs, spaces; '0' -> NA."""
    s = s.astype("string").str.replace("\x96", "–", regex=False).str.replace("'\x92", "'", regex=False)
    s = s.str.replace("\x92", "’", regex=False)
    s = s.str.replace(r"\s+", " ", regex=True).str.replace(r"\s+,", ",", regex=True).str.strip()
    return s.mask(s.isin(["0", ""]))


@parsed(_FONDS_FRICHES, 1)
def load_fonds_friches(path) -> pd.DataFrame:
    """Fonds friches / Fonds vert 'recyclage foncier' calls: every candidate dossier (2021-2023).

    Source: Cerema, from the démarches-simplifiées files of the calls for projects, as shipped
    with the Cartofriches app (``fondsfriches_light.rds``, an RData file despite its name, read
    with ``rdata``). Objects inside: ``fr_g_fdfriche_r`` (4,446 dossiers), ``depense_t_amenagement_r``
    (cost items, 4,444 lines), ``liste_editions``, ``liste_regions``. Geography: région only
    (name as written; NO département nor commune code in this file: join on ``dossier_id`` to
    :func:`load_cartofriches_sites` rows whose ``site_nom`` holds 'Dossier N° <id>' for
    places). Amounts in euros excluding VAT (HT); areas in hectares.

    One row per dossier (4,446). Columns: ``dossier_id`` (num_dossier, 7-8 digits),
    ``call_id`` (num_demarche), ``edition`` (Int64 1-4), ``edition_name``, ``edition_year``:
    36961 = 1st edition 2021, 46904 = 2nd 2021, 54008 = 3rd 2022, 68862 = Fonds vert 2023
    (mapped explicitly: the file's ``liste_editions`` is not in this order); ``reg``, ``reg_name``
    (11 dossiers without région); ``laureate`` (bool, laureat_fv 'Oui'/'Non'); ``zone_abc``
    (housing-market zone A-Abis / B1 / B2 / C); ``intervention_logic``, ``intervention``;
    ``project_owner`` (mo_requal, raw categories: 'Collectivité', 'Collectivité locale', 'EPF'...
    spelled several ways); ``balance_type`` ('IMMOBILIER' / 'AMENAGEMENT'); ``deficit_eur``
    (declared operating deficit, Int64 euros; negative in 51 dossiers); ``friche_nature``
    (nat_friche, one or several comma-separated types: 'Friche industrielle ou minière',
    'Friche urbaine – îlots anciens dégradés', 'Friche commerciale'...), ``industrial_or_mining``
    (bool, friche_nature mentions 'industrielle ou minière'); ``site_area_ha``,
    ``friche_area_ha``; the 12 cost items ``cost_*_eur`` (acquisition, studies, works,
    contributions, owner fees, financial, communication, property management, insurance,
    margins, contingencies, other; NaN for the 4 dossiers without a cost line; 2 cost lines
    match no dossier and are dropped).

    Caveats: no subsidy amounts and no future use in this file. Labels are cleaned (cp1252
    en dashes, tabs, stray spaces); '0' and empty labels become NA.
    """
    source = _src(_FONDS_FRICHES)
    objects = _read_rdata(path, source)
    if not isinstance(objects, dict) or "fr_g_fdfriche_r" not in objects or "depense_t_amenagement_r" not in objects:
        raise SchemaError(f"{source}: objects 'fr_g_fdfriche_r' and 'depense_t_amenagement_r' expected, "
                          f"found {list(objects) if isinstance(objects, dict) else type(objects).__name__}")
    raw = objects["fr_g_fdfriche_r"]
    costs = objects["depense_t_amenagement_r"]
    require_columns(raw, _FF_COLUMNS, f"{source} [fr_g_fdfriche_r]")
    require_columns(costs, ["num_dossier", *_FF_COSTS], f"{source} [depense_t_amenagement_r]")
    listed = {str(np.asarray(v).ravel()[0]) for v in objects.get("liste_editions", {}).values()}
    if listed and listed != set(FONDS_FRICHES_EDITIONS):
        raise SchemaError(f"{source}: liste_editions holds {sorted(listed)}, expected {sorted(FONDS_FRICHES_EDITIONS)}")
    call = raw["num_demarche"].astype("string").str.strip()
    unknown = ~call.isin(list(FONDS_FRICHES_EDITIONS))
    if unknown.any():
        raise SchemaError(f"{source}: column 'num_demarche' has unknown call id(s) {call[unknown].unique()[:5].tolist()}")
    edition = call.map(FONDS_FRICHES_EDITIONS)
    laureate = raw["laureat_fv"].astype("string").str.strip().map({"Oui": True, "Non": False})
    if laureate.isna().any():
        raise SchemaError(f"{source}: column 'laureat_fv' has values other than 'Oui'/'Non'")
    nature = _clean_label(raw["nat_friche"])
    df = pd.DataFrame({
        "dossier_id": raw["num_dossier"].astype("string").str.strip(),
        "call_id": call,
        "edition": pd.array(edition.map(lambda t: t[0]).tolist(), dtype="Int64"),
        "edition_name": edition.map(lambda t: t[1]).astype("string"),
        "edition_year": pd.array(edition.map(lambda t: t[2]).tolist(), dtype="Int64"),
        "reg": region_codes_from_names(raw["libreg"], source, "libreg"),
        "reg_name": raw["libreg"].astype("string").str.strip(),
        "laureate": laureate.astype("boolean"),
        "zone_abc": _clean_label(raw["loc_abc"]),
        "intervention_logic": _clean_label(raw["logique_intervention"]),
        "intervention": _clean_label(raw["intervention"]),
        "project_owner": _clean_label(raw["mo_requal"]),
        "balance_type": _clean_label(raw["bilan"]),
        "deficit_eur": pd.array(raw["deficit"], dtype="Int64"),
        "friche_nature": nature,
        "industrial_or_mining": nature.str.contains("industrielle ou minière", regex=False).fillna(False).astype(bool),
        "site_area_ha": to_number(raw["site_area"], source, "site_area"),
        "friche_area_ha": to_number(raw["friche_area"], source, "friche_area"),
    }).reset_index(drop=True)
    check_codes(df, "dossier_id", r"\d{6,9}", source)
    check_unique(df, ["dossier_id"], source)
    check_non_negative(df, "site_area_ha", source, ids=["dossier_id"])  # friche_area has 6 negative values: kept
    cost = costs[["num_dossier", *_FF_COSTS]].rename(columns={"num_dossier": "dossier_id", **_FF_COSTS})
    cost["dossier_id"] = cost["dossier_id"].astype("string").str.strip()
    check_unique(cost, ["dossier_id"], f"{source} [depense_t_amenagement_r]")
    for c in _FF_COSTS.values():
        cost[c] = to_number(cost[c], source, c)
    orphans = set(cost["dossier_id"]) - set(df["dossier_id"])
    if len(orphans) > 10:
        raise SchemaError(f"{source}: {len(orphans)} cost lines have a num_dossier absent from the dossiers")
    df = df.merge(cost, on="dossier_id", how="left", validate="one_to_one")
    check_rows(df, source, 4_300, 4_600)
    return df


# ---------------------------------------------------------------------------------------------
# Cerema: Cartofriches sites
# ---------------------------------------------------------------------------------------------

_CARTOFRICHES = "cerema_cartofriches_sites_2024"
_CF_REQUIRED = ["site_id", "site_nom", "site_type", "site_statut", "site_reconv_type", "comm_insee", "comm_nom",
                "dep", "site_surface", "source_r", "nature", "geom"]
_CF_DAY_DATES = ["site_identif_date", "site_actu_date", "date_creation"]
_CF_SECOND_DATES = ["local_ancienne_annee", "local_recent_annee"]
_SITE_TYPE_FIXES = {
    "friche d’habitat": "friche d'habitat",
    "friche d’habitation": "friche d'habitat",
    "friche d’équipement public": "friche d'équipement public",
    "friche loisir tourisme hotellerie": "friche loisir tourisme hôtellerie",
    "friche hospitaliere": "friche hospitalière",
    "agro-industrielle": "friche agro-industrielle",
    "carrière ou mine": "friche carrière ou mine",
    "mixte": "friche mixte",
}


@parsed(_CARTOFRICHES, 1)
def load_cartofriches_sites(path) -> pd.DataFrame:
    """Cartofriches: brownfield sites known to Cerema (2024 extract), with lon/lat.

    Source: Cerema, Cartofriches (``f.xy.rds`` of the Cartofriches app: an R ``sf`` object of
    points, read with ``rdata``; the cold parse takes about 20 s, warm loads come from the
    parquet cache). Geography: communes (``com``, INSEE code as given by Cerema; vintage not
    stated, about COG 2023), départements incl. Corsica '2A'/'2B' and overseas '971'...'976'.

    One row per site (23,878). Columns: the 76 attribute columns of the source, with
    ``comm_insee`` renamed ``com`` and ``comm_nom`` ``com_name`` (``site_id`` unique, ``site_nom``,
    ``site_type``, ``site_statut`` ('friche potentielle', 'friche sans projet', 'friche avec
    projet', 'friche reconvertie'), ``site_surface`` (m²), ``unite_fonciere_surface`` (m²),
    ``site_reconv_type``, ``source_r`` (origin: 'MTE' unverified BASIAS/BASOL sites, 'AAP'
    Fonds friches / Fonds vert sites, local observatories 'Normandie', 'Grand Est'...),
    ``nature``, ``is_aap`` ... flags), plus:

    - ``site_type_norm``: ``site_type`` with spelling variants merged ('friche d’habitat' ->
      "friche d'habitat", 'agro-industrielle' -> 'friche agro-industrielle', 'mixte' ->
      'friche mixte'...);
    - ``dossier_id``: the Fonds friches dossier number parsed from ``site_nom`` ('... (Dossier
      N° 3698468) ...'; 2,206 AAP sites, several sites per dossier) to join
      :func:`load_fonds_friches`;
    - ``lon`` / ``lat``: the point geometry (WGS84 degrees); the raw geometry column is dropped.

    Dates: ``site_identif_date``, ``site_actu_date``, ``date_creation`` (R dates) and
    ``local_ancienne_annee`` / ``local_recent_annee`` (R date-times, despite '_annee') are
    datetimes; dates before 1900 (3 bogus identification dates, e.g. year 2) become NaT.

    Caveats: ``site_reconv_type`` (type of reuse) is filled only for 937 AAP sites (the Fonds
    vert 2023 ones, whose ``site_nom`` has no 'Dossier N°') and 297 Normandie observatory sites.
    'MTE' sites (13,764) are unverified potential brownfields from the polluted-sites
    inventories: filter on ``site_statut`` / ``source_r`` before counting "friches".
    ``source_r`` 'ERREUR' flags 50 rows Cerema itself marks as errors.
    """
    source = _src(_CARTOFRICHES)
    raw = _read_rdata(path, source)
    if not isinstance(raw, pd.DataFrame):
        raise SchemaError(f"{source}: expected one data frame (sf object), got {type(raw).__name__}")
    require_columns(raw, _CF_REQUIRED, source)
    df = raw.drop(columns=["geom"]).reset_index(drop=True).rename(columns={"comm_insee": "com", "comm_nom": "com_name"})
    xy = raw["geom"].map(lambda g: np.asarray(g, dtype=float).ravel() if g is not None else np.array([np.nan, np.nan]))
    if not xy.map(len).eq(2).all():
        raise SchemaError(f"{source}: column 'geom' should hold points (x, y); other geometries found")
    xy = np.vstack(xy.to_numpy())
    df["lon"], df["lat"] = xy[:, 0], xy[:, 1]
    for c in _CF_DAY_DATES:
        days = pd.to_numeric(df[c], errors="raise")
        days = days.where(days >= -25_567)  # before 1900-01-01 -> NaT
        df[c] = pd.to_datetime(days, unit="D", origin="unix")
    for c in _CF_SECOND_DATES:
        if c in df:
            t = pd.to_datetime(pd.to_numeric(df[c], errors="raise"), unit="s", utc=True)
            df[c] = t.dt.tz_convert("Europe/Paris").dt.tz_localize(None)
    for c in df.columns:  # parquet: no mixed object columns
        if df[c].dtype == object:
            df[c] = df[c].astype("string")
    df["site_type_norm"] = df["site_type"].replace(_SITE_TYPE_FIXES)
    df["dossier_id"] = df["site_nom"].str.extract(r"Dossier N°\s*(\d+)", expand=False).astype("string")
    check_codes(df, "com", COM, source)
    check_codes(df, "dep", DEP, source)
    check_unique(df, ["site_id"], source)
    check_rows(df, source, 23_000, 25_000)
    if not (df["lon"].between(-62, 56).all() and df["lat"].between(-22, 52).all()):
        raise SchemaError(f"{source}: column 'geom' has points outside France (lon/lat expected)")
    return df


# ---------------------------------------------------------------------------------------------
# Patents by applicant, 2010-2020 (student project, probably INPI data)
# ---------------------------------------------------------------------------------------------

_PATENTS = "patents_by_applicant_2010_2020"
_COMMUNES = "insee_table_appartenance_geo_communes_2024"
_PAT_COLUMNS = ["firm_name", "n_patents", "ipc_main_code", "ipc_main_desc", "ipc_second_code",
                "ipc_second_desc", "addr_city_main", "addr_dept_main"]


def _fold_city(s: pd.Series) -> pd.Series:
    s = s.fillna("").map(ascii_fold).str.upper()
    s = s.str.replace(r"[-'’`.,/()]", " ", regex=True)
    s = s.str.replace(r"\bSTE\b", "SAINTE", regex=True).str.replace(r"\bST\b", "SAINT", regex=True)
    s = s.str.replace(r"\bCEDEX\b.*$", "", regex=True)
    return s.str.replace(r"\s+", " ", regex=True).str.strip()


def _fix_departements(df: pd.DataFrame, communes: pd.DataFrame) -> tuple[pd.Series, pd.Series]:
    """Département of each applicant checked against its city; see load_patents_by_departement."""
    deps_of = communes.assign(key=_fold_city(communes["name"])).groupby("key")["dep"].agg(frozenset)
    cands = _fold_city(df["city"]).map(deps_of)
    raw = df["dep_raw"].fillna("")
    out, how = [], []
    for dep, c in zip(raw, cands):
        c = c if isinstance(c, frozenset) else frozenset()
        shifted = f"0{dep[0]}" if len(dep) == 2 and dep[0] != "0" else None
        if dep in ("", "20", "97"):
            group = {"20": {"2A", "2B"}, "97": {"971", "972", "973", "974", "976"}}.get(dep)
            pick = c & group if group else c
            if len(pick) == 1:
                out.append(next(iter(pick))); how.append("from_city")
            else:
                out.append(None); how.append("unknown")
        elif not re.fullmatch(r"\d{2}", dep) or dep == "98":
            out.append(None); how.append("unknown")
        elif dep in c and shifted in c:
            out.append(dep); how.append("ambiguous")
        elif dep in c:
            out.append(dep); how.append("as_written")
        elif shifted in c:
            out.append(shifted); how.append("leading_zero_restored")
        else:
            out.append(dep); how.append("unverified")
    return pd.Series(out, index=df.index, dtype="string"), pd.Series(how, index=df.index, dtype="string")


@parsed(_PATENTS, 1, _COMMUNES)
def load_patents_by_departement(path, path_communes) -> pd.DataFrame:
    """Patent counts 2010-2020 by applicant, with the applicant's head-office département.

    Source: a student project ("Innovation-data-demand", probably INPI patent data): 11,257
    applicants with their number of patents 2010-2020, main IPC codes, and main address city
    and département. Département check: INSEE *Table d'appartenance géographique des communes*
    2024 (commune names). Geography: the APPLICANT'S HEAD-OFFICE address, not the inventors'
    (Paris and Hauts-de-Seine concentrate the large groups: CEA, CNRS, Alcatel, Thomson...).
    Period: 2010-2020 cumulated: there is NO year dimension (and no 2023): an order-of-magnitude
    proxy only.

    One row per applicant. Columns: ``firm_name`` (unique), ``n_patents`` (Int64, 2010-2020),
    ``period_start`` 2010, ``period_end`` 2020, ``ipc_main_code``, ``ipc_main_desc``,
    ``ipc_second_code``, ``ipc_second_desc`` (IPC subclass, 4 characters, e.g. 'G01N'),
    ``city``, ``dep_raw`` (département as written), ``dep`` (checked département, see below),
    ``dep_check``. Count by département with
    ``df.groupby("dep", dropna=False)["n_patents"].sum()``.

    The source's département is the first two characters of a postcode that lost its leading
    zero, so départements 01-09 never appear and their applicants are filed under 10-99 (Nice
    06000 -> '60', 06100 -> '61'; Bourg-en-Bresse 01000 -> '10'). ``dep`` repairs this with the
    city name: ``dep_check`` = 'as_written' (the city exists in that département),
    'leading_zero_restored' (it does not, but exists in 0X: dep = '0X'; about 520 applicants),
    'ambiguous' (a same-name commune exists in both: kept as written), 'unverified' (city
    unknown or in neither, e.g. 'Sophia Antipolis', 'Paris' filed under 92: kept as written),
    'from_city' (blank, Corsica '20' or overseas '97' resolved to one département by the city
    name), 'unknown' (dep NA: blank or '98' (Monaco / overseas collectivities) not resolved).
    """
    source = _src(_PATENTS)
    raw = pd.read_csv(path, sep=";", dtype=str, keep_default_na=False, encoding="utf-8")
    require_columns(raw, _PAT_COLUMNS, source)
    raw = raw.apply(lambda c: c.str.strip())
    blank = lambda c: raw[c].replace({"": pd.NA}).astype("string")  # noqa: E731
    df = pd.DataFrame({
        "firm_name": raw["firm_name"].astype("string"),
        "n_patents": to_number(raw["n_patents"], source, "n_patents").astype("Int64"),
        "period_start": pd.array([2010] * len(raw), dtype="Int64"),
        "period_end": pd.array([2020] * len(raw), dtype="Int64"),
        "ipc_main_code": blank("ipc_main_code"),
        "ipc_main_desc": blank("ipc_main_desc"),
        "ipc_second_code": blank("ipc_second_code"),
        "ipc_second_desc": blank("ipc_second_desc"),
        "city": blank("addr_city_main"),
        "dep_raw": blank("addr_dept_main"),
    })
    check_codes(df, "dep_raw", r"\d{2}", source, allow_na=True)
    check_codes(df, "ipc_main_code", r"[A-H]\d{2}[A-Z]", source, allow_na=True)
    communes = read_appartenance_sheet(path_communes, "COM")
    df["dep"], df["dep_check"] = _fix_departements(df, communes)
    check_codes(df, "dep", DEP, source, allow_na=True)
    check_unique(df, ["firm_name"], source)
    check_rows(df, source, 11_000, 11_500)
    if df["n_patents"].isna().any() or (df["n_patents"] < 1).any():
        raise SchemaError(f"{source}: column 'n_patents' has missing or non-positive counts")
    return df


_FABRIQUES = "anct_fabriques_prospectives_2023"


@parsed(_FABRIQUES, 1)
def load_fabriques_prospectives(path) -> pd.DataFrame:
    """ANCT's Fabriques prospectives of the Territoires d'industrie programme, about October 2023.

    Source: ANCT cartography service (``polygone-4326_fabriques.geojson`` of its *superposeur* app;
    licence presumed Licence Ouverte 2.0, not stated). 22 features, one per Fabrique, whose properties
    list the member groupements as comma-separated names (``lib_groupement``) and SIRENs
    (``siren_groupement``); members are EPCIs, métropoles, EPTs or communes (a commune appears under its
    own SIREN). The polygons are not kept.

    One row per (Fabrique, member): ``fabrique`` ('fabp-01'...), ``member`` (position in the SIREN list, from
    1), ``member_siren`` (9 digits), ``n_members`` (members of that Fabrique: its SIRENs, the reliable count)
    and ``members_label`` (the names as the file gives them, comma-separated: a name may itself hold a comma,
    e.g. "CA de Béthune-Bruay, Artois-Lys Romane", so names are not split). A SIREN that is not 9 digits or
    listed twice, a missing property or a repeated Fabrique id raises :class:`SchemaError` naming the file
    and the feature.
    """
    import json

    src = _src(_FABRIQUES)
    try:
        doc = json.loads(Path(path).read_text(encoding="utf-8"))
        features = doc["features"]
    except (ValueError, KeyError, TypeError) as err:
        raise SchemaError(f"{src}: not a GeoJSON feature collection ({err.__class__.__name__}: {err}); check the file "
                          "against MANIFEST.csv") from err
    rows, seen = [], set()
    for k, f in enumerate(features):
        p = f.get("properties") or {}
        for key in ("id_fabp", "lib_groupement", "siren_groupement"):
            if not p.get(key):
                raise SchemaError(f"{src}: feature {k} has no {key!r} property (properties: {sorted(p)})")
        fid = str(p["id_fabp"]).strip()
        if fid in seen:
            raise SchemaError(f"{src}: Fabrique {fid!r} appears twice")
        seen.add(fid)
        label = str(p["lib_groupement"]).strip()
        sirens = [x.strip() for x in str(p["siren_groupement"]).split(",") if x.strip()]
        bad = [x for x in sirens if not re.fullmatch(r"\d{9}", x)]
        if bad:
            raise SchemaError(f"{src}: Fabrique {fid}: SIREN(s) {bad[:3]} are not 9 digits")
        if len(set(sirens)) != len(sirens):
            raise SchemaError(f"{src}: Fabrique {fid}: a member SIREN is listed twice ({sirens})")
        for i, x in enumerate(sirens, start=1):
            rows.append({"fabrique": fid, "member": i, "member_siren": x, "n_members": len(sirens),
                         "members_label": label})
    out = pd.DataFrame(rows)
    if out.empty:
        raise SchemaError(f"{src}: no Fabrique prospective in the file")
    return out.sort_values(["fabrique", "member"], ignore_index=True)
