"""Geography: commune membership tables, Territoires d'industrie, zoning shapes, EPCI lists.

Conventions of every loader here:

- codes are strings with their leading zeros: commune ``com`` ('01001', '2A004'),
  département ``dep`` ('01', '2A', '971'), région ``reg`` ('84', '01'), EPCI / EPT ``epci`` or
  ``siren`` (9-digit SIREN), zone d'emploi 2020 ``ze2020`` (4 digits, '8410');
- the label of the row's own code is ``name``;
- GeoDataFrames are in EPSG:4326 (longitude / latitude, degrees). Every shape file here is
  generalised for display: do not compute areas or lengths from it for statistics.

Geography vintages differ between files (COG 2018, 2024, 2025): each docstring states its own.
The zoning code 'ZZZZZZZZZ' (EPCI / EPT) or 'ZZZZ' (arrondissement) is INSEE's "sans objet".
"""

from __future__ import annotations

import json
import re

import geopandas as gpd
import pandas as pd

from analysis.data.cache import geo, parsed

from analysis.data.validate import (CODE_COMMUNE, CODE_DEPARTEMENT, CODE_REGION, CODE_SIREN, CODE_ZONE_EMPLOI, SchemaError,
                        check_codes, check_fields, check_non_negative, check_order, check_rows, check_unique,
                        require_columns, to_number)
from analysis.data.validate import source_name as _src

# Code formats (regex, full match).
COM = CODE_COMMUNE
DEP = CODE_DEPARTEMENT
REG = CODE_REGION
SIREN = CODE_SIREN
EPCI_OR_NONE = r"\d{9}|Z{9}"
ZE2020 = CODE_ZONE_EMPLOI
TI_ID = r"ti-\d{4}"

CRS = "EPSG:4326"

WAVE_2018 = "2018-2022"
WAVE_2023 = "2023-2027"



def _nonempty(df: pd.DataFrame, columns: list[str], source: str) -> None:
    for c in columns:
        if df[c].isna().any() or (df[c].astype(str).str.strip() == "").any():
            raise SchemaError(f"{source}: column {c!r} has empty value(s)")


# ---------------------------------------------------------------------------------------------
# INSEE table d'appartenance géographique des communes, 2024
# ---------------------------------------------------------------------------------------------

_APPARTENANCE = "insee_table_appartenance_geo_communes_2024"
#: INSEE variable code -> column name (COM and ARM sheets).
_COM_COLUMNS = {
    "CODGEO": "com",
    "LIBGEO": "name",
    "DEP": "dep",
    "CTCD": "ctcd",
    "REG": "reg",
    "EPCI": "epci",
    "EPT": "ept",
    "ARR": "arr",
    "CANOV": "canov",
    "ZE2020": "ze2020",
    "UU2020": "uu2020",
    "AAV2020": "aav2020",
    "BV2022": "bv2022",
}
_COM_FORMATS = {
    "com": COM,
    "dep": DEP,
    "ctcd": r"(\d{2}|2[AB]|97\d|6A)[A-Z]",
    "reg": REG,
    "epci": EPCI_OR_NONE,
    "ept": EPCI_OR_NONE,
    "arr": r"\d{3}|2[AB]\d|97\d{2}|Z{4}",
    "canov": r"\d{4}|2[AB]\d{2}|97\d{3}",
    "ze2020": ZE2020,
    "uu2020": r"[0-9A-Z]{5}",
    "aav2020": r"[0-9A-Z]{3}",
    "bv2022": r"[0-9A-Z]{5}",
}


def read_appartenance_sheet(path, sheet: str, extra: dict[str, str] | None = None) -> pd.DataFrame:
    """One sheet, header = INSEE variable codes on the 6th row (after 4 title lines + labels)."""
    source = _src(_APPARTENANCE)
    columns = dict(_COM_COLUMNS, **(extra or {}))
    try:
        raw = pd.read_excel(path, sheet_name=sheet, engine="calamine", header=5, dtype=str)
    except ValueError as err:  # missing sheet
        raise SchemaError(f"{source}: cannot read sheet {sheet!r} ({err})") from err
    require_columns(raw, list(columns), f"{source} [sheet {sheet}]")
    df = raw[list(columns)].rename(columns=columns)
    for c in df.columns:
        df[c] = df[c].str.strip()
    _nonempty(df, list(df.columns), f"{source} [sheet {sheet}]")
    for col, rx in _COM_FORMATS.items():
        check_codes(df, col, rx, f"{source} [sheet {sheet}]")
    return df


@parsed(_APPARTENANCE, 1)
def load_communes_2024(path) -> pd.DataFrame:
    """Every commune of France (incl. overseas départements) at 1 January 2024, with its zonings.

    Source: INSEE, *Table d'appartenance géographique des communes* (COG 2024, put online
    18/03/2024), sheet ``COM``. Geography: communes at 1 January 2024. No values, only codes.

    Columns (all strings, INSEE codes with their leading zeros):
    ``com`` (commune code, 5 chars: '01001', '2A004'), ``name``, ``dep`` (2-3 chars),
    ``ctcd`` (collectivité with departmental powers, e.g. '63D', '69M' Métropole de Lyon,
    '6AE' Collectivité européenne d'Alsace, '20R' Corse), ``reg``, ``epci`` (SIREN of the EPCI
    à fiscalité propre or métropole), ``ept`` (SIREN of the établissement public territorial of
    the Grand Paris), ``arr`` (arrondissement), ``canov`` (canton-ou-ville), ``ze2020`` (zone
    d'emploi 2020, 4 digits), ``uu2020`` (unité urbaine), ``aav2020`` (aire d'attraction des
    villes; '000' = outside any aire), ``bv2022`` (bassin de vie).

    34,935 rows (34,806 in metropolitan France, 129 overseas); 306 zones d'emploi (287 in
    metropolitan France, 19 overseas; codes starting with '00' are zones straddling regions).

    Caveats: ``epci`` = 'ZZZZZZZZZ' ("sans objet") for the 4 island communes outside any EPCI
    (Île-de-Bréhat 22016, Île-de-Sein 29083, Ouessant 29155, L'Île-d'Yeu 85113) -- kept as is,
    filter it out before grouping. ``ept`` = 'ZZZZZZZZZ' outside the 11 EPT (34,805 communes);
    ``arr`` = 'ZZZZ' for the 17 communes of Mayotte. The Métropole de Lyon (200046977), Grand
    Paris (200054781) and Aix-Marseille (200054807) appear in ``epci``. Paris, Lyon and Marseille
    are single communes here; their arrondissements municipaux are in
    :func:`load_arrondissements_2024`. Names of the codes: :func:`load_supra_communal_zones_2024`.
    """
    df = read_appartenance_sheet(path, "COM")
    source = _src(_APPARTENANCE)
    check_unique(df, ["com"], source)
    check_rows(df, source, 34_800, 35_100)
    n_ze = df["ze2020"].nunique()
    if not 290 <= n_ze <= 320:
        raise SchemaError(f"{source}: {n_ze} distinct zones d'emploi in column 'ze2020', expected about 306")
    return df.reset_index(drop=True)


@parsed(_APPARTENANCE, 1)
def load_arrondissements_2024(path) -> pd.DataFrame:
    """The 45 arrondissements municipaux of Paris, Lyon and Marseille at 1 January 2024.

    Source: INSEE, *Table d'appartenance géographique des communes* (COG 2024), sheet ``ARM``.
    Columns: ``arm`` (arrondissement code, e.g. '75101', '69381', '13201'), ``name``, then the
    same zoning columns as :func:`load_communes_2024` (``dep`` ... ``bv2022``), and ``com``, the
    code of the enclosing commune ('75056' Paris, '69123' Lyon, '13055' Marseille).
    Some statistical files (e.g. census by commune) give these three cities by arrondissement.
    """
    df = read_appartenance_sheet(path, "ARM", {"COM": "parent"})
    source = _src(_APPARTENANCE)
    df = df.rename(columns={"com": "arm", "parent": "com"})
    check_codes(df, "com", r"75056|69123|13055", source)
    check_unique(df, ["arm"], source)
    check_rows(df, source, 45, 45)
    return df.reset_index(drop=True)


@parsed(_APPARTENANCE, 1)
def load_supra_communal_zones_2024(path) -> pd.DataFrame:
    """Codes and names of every zoning level above the commune, geography at 1 January 2024.

    Source: INSEE, *Table d'appartenance géographique des communes* (COG 2024), sheet
    ``Zones_supra_communales``. Use it to name the codes of :func:`load_communes_2024`.

    Columns: ``level`` (INSEE level code: 'REG', 'DEP', 'CTCD', 'ARR', 'CANOV', 'EPCI', 'EPT',
    'ZE2020', 'UU2020', 'AAV2020', 'BV2022'), ``code`` (string, leading zeros kept), ``name``,
    ``n_communes`` (Int64, number of communes of the zone at 1 January 2024).
    About 9,145 rows: 18 REG, 101 DEP, 100 CTCD, 1,256 EPCI, 12 EPT, 306 ZE2020, ...

    Caveats: the 'sans objet' pseudo-zones are rows too: EPCI 'ZZZZZZZZZ' (4 communes),
    EPT 'ZZZZZZZZZ' (34,805 communes), ARR 'ZZZZ' (Mayotte), AAV2020 '000' (outside any aire).
    So there are 1,255 real EPCI and 11 real EPT.
    """
    source = _src(_APPARTENANCE)
    raw = pd.read_excel(path, sheet_name="Zones_supra_communales", engine="calamine", header=5, dtype=str)
    require_columns(raw, ["NIVGEO", "CODGEO", "LIBGEO", "NB_COM"], f"{source} [sheet Zones_supra_communales]")
    df = pd.DataFrame({
        "level": raw["NIVGEO"].str.strip(),
        "code": raw["CODGEO"].str.strip(),
        "name": raw["LIBGEO"].str.strip(),
        "n_communes": to_number(raw["NB_COM"], source, "NB_COM").astype("Int64"),
    })
    _nonempty(df, ["level", "code", "name"], source)
    check_codes(df, "level", r"REG|DEP|CTCD|ARR|CANOV|EPCI|EPT|ZE2020|UU2020|AAV2020|BV2022", source)
    for level, rx in {"REG": REG, "DEP": DEP, "EPCI": EPCI_OR_NONE, "EPT": EPCI_OR_NONE, "ZE2020": ZE2020}.items():
        check_codes(df[df["level"] == level], "code", rx, f"{source} [level {level}]")
    check_unique(df, ["level", "code"], source)
    check_rows(df, source, 9_000, 9_300)
    counts = df["level"].value_counts()
    for level, (lo, hi) in {"REG": (18, 18), "DEP": (101, 101), "ZE2020": (300, 310), "EPCI": (1_200, 1_300)}.items():
        if not lo <= counts.get(level, 0) <= hi:
            raise SchemaError(f"{source}: {counts.get(level, 0)} rows of level {level!r}, expected {lo}-{hi}")
    return df.reset_index(drop=True)


# ---------------------------------------------------------------------------------------------
# Territoires d'industrie (ANCT), both waves
# ---------------------------------------------------------------------------------------------

_TI_2023 = "anct_territoires_industrie_2023_2027"
_TI_2018 = "anct_territoires_industrie_2018_2022"
_MEMBER_RX = re.compile(r"^(?P<name>.+) \((?P<siren>\d{9})\)$")
#: Name prefixes of intercommunalities in the 2018 ``lib_groupement`` lists (used to re-join
#: member names that contain ', ' themselves, e.g. "CC Vendée, Sèvre, Autise").
_GROUP_PREFIX = re.compile(r"^(CC|CA|CU|EPT|MET|Métropole|Communauté|Eurométropole) ")


def _member_type(siren: pd.Series, name: pd.Series) -> pd.Series:
    """'commune' for commune SIRENs (they start with 21), 'EPT' when the file names the member
    'EPT ...', 'EPCI' otherwise."""
    out = pd.Series("EPCI", index=siren.index, dtype="str")
    out[name.fillna("").str.startswith("EPT ")] = "EPT"
    out[siren.str.startswith("21")] = "commune"
    return out


def _ti_2023_table(path) -> tuple[gpd.GeoDataFrame, pd.DataFrame]:
    source = _src(_TI_2023)
    g = gpd.read_file(path)
    require_columns(g, ["id_territoire", "lib_territoire", "liste_geo"], source)
    terr = pd.DataFrame({
        "wave": WAVE_2023,
        "ti_id": g["id_territoire"].str.strip(),
        "ti_name": g["lib_territoire"].str.strip(),  # also strips the trailing U+00A0
    })
    rows = []
    for ti_id, liste in zip(terr["ti_id"], g["liste_geo"]):
        if pd.isna(liste) or not str(liste).strip():
            raise SchemaError(f"{source}: column 'liste_geo' is empty for {ti_id}")
        for item in str(liste).split("; "):
            m = _MEMBER_RX.match(item.strip())
            if m is None:
                raise SchemaError(f"{source}: column 'liste_geo' of {ti_id} has {item!r}, expected 'Name (SIREN)'")
            rows.append((ti_id, m["siren"], m["name"].strip()))
    members = pd.DataFrame(rows, columns=["ti_id", "member_siren", "member_name"])
    return g.assign(**terr), members


def _split_2018_names(lib: str, n: int) -> list[str] | None:
    """Member names of a 2018 ``lib_groupement`` in SIREN order, or None if they cannot be aligned."""
    tokens = [t.strip() for t in str(lib).split(", ")]
    if len(tokens) == n:
        return tokens
    merged: list[str] = []
    for t in tokens:
        if merged and not _GROUP_PREFIX.match(t):
            merged[-1] = f"{merged[-1]}, {t}"
        else:
            merged.append(t)
    return merged if len(merged) == n else None


def _ti_2018_table(path) -> tuple[gpd.GeoDataFrame, pd.DataFrame]:
    source = _src(_TI_2018)
    g = gpd.read_file(path)
    require_columns(g, ["id_ti", "lib_ti", "lib_groupement", "siren_groupement"], source)
    terr = pd.DataFrame({
        "wave": WAVE_2018,
        "ti_id": g["id_ti"].str.strip(),
        "ti_name": g["lib_ti"].str.strip(),
    })
    rows = []
    for ti_id, sirens, lib in zip(terr["ti_id"], g["siren_groupement"], g["lib_groupement"]):
        if pd.isna(sirens):
            raise SchemaError(f"{source}: column 'siren_groupement' is empty for {ti_id}")
        sir = [s.strip() for s in str(sirens).split(", ")]
        names = _split_2018_names(lib, len(sir)) if not pd.isna(lib) else None
        if names is None and "EPT " in str(lib):
            raise SchemaError(f"{source}: cannot align 'lib_groupement' with 'siren_groupement' for {ti_id}")
        rows += [(ti_id, s, names[i] if names else None) for i, s in enumerate(sir)]
    members = pd.DataFrame(rows, columns=["ti_id", "member_siren", "member_name"])
    members["member_name"] = members["member_name"].astype("str")
    return g.assign(**terr), members


@parsed(_TI_2023, 1, _TI_2018)
def load_ti_members(path_2023, path_2018) -> pd.DataFrame:
    """Members of every Territoire d'industrie, both waves, one row per (wave, territory, member).

    Source: ANCT, *Programme Territoires d'industrie* (data.gouv.fr), as published in the ANCT
    cartography repositories: wave 2023-2027 (``ti_geom.geojson``, 183 territories) and wave
    2018-2022 (``polygone-4326_ti.geojson``, 149 territories). No values, only membership.

    Columns: ``wave`` ('2018-2022' / '2023-2027'), ``ti_id`` ('ti-RRNN'), ``ti_name``
    (trailing non-breaking spaces stripped), ``reg`` (INSEE region code = RR of the id),
    ``member_siren`` (9 digits), ``member_name`` (as written in the file), ``member_type``
    ('EPCI', 'EPT' or 'commune').

    ``member_type`` is derived from the file: a SIREN starting with '21' is a commune's (the
    SIREN numbering of communes), a member the file names 'EPT ...' is an établissement public
    territorial of the Grand Paris, every other member is an EPCI à fiscalité propre.
    Wave 2023-2027: 641 rows = 626 EPCI + 3 EPT + 12 communes (Cercy-la-Tour and 11 communes of
    the Creuse, joined individually). Wave 2018-2022: 588 rows = 547 EPCI + 3 EPT + 38 communes
    (e.g. Aix-Marseille-Provence, Toulon and the Gier valley were defined by communes).

    Caveats: ids ti-RRNN are NOT comparable between waves (Issoire - Brioude is ti-8405 in
    2018, ti-8406 in 2023). The 2018 file expresses its members in 2025 EPCIs, so EPCI mergers
    since 2018 may blur the original perimeters. Its member names come from ``lib_groupement``,
    split on ', ' in SIREN order; names containing ', ' are re-joined when they follow a CC/CA/...
    prefix, and ``member_name`` would be missing where the split cannot be aligned
    (it never is in the pinned file). Commune members
    are identified by their SIREN, not their INSEE code (join through the Etalab EPCI file,
    :func:`load_epci_communes`, which has both).
    """
    out = []
    for table in (_ti_2023_table(path_2023), _ti_2018_table(path_2018)):
        g, members = table
        m = members.merge(g[["wave", "ti_id", "ti_name"]], on="ti_id", how="left")
        out.append(m)
    df = pd.concat(out, ignore_index=True)
    df["reg"] = df["ti_id"].str[3:5]
    df["member_type"] = _member_type(df["member_siren"], df["member_name"])
    df = df[["wave", "ti_id", "ti_name", "reg", "member_siren", "member_name", "member_type"]]
    for key in (_TI_2023, _TI_2018):
        wave = WAVE_2023 if key == _TI_2023 else WAVE_2018
        part = df[df["wave"] == wave]
        source = _src(key)
        check_codes(part, "ti_id", TI_ID, source)
        check_codes(part, "member_siren", SIREN, source)
        check_unique(part, ["ti_id", "member_siren"], source)
        n_ti = part["ti_id"].nunique()
        lo, hi = (180, 190) if wave == WAVE_2023 else (140, 155)
        if not lo <= n_ti <= hi:
            raise SchemaError(f"{source}: {n_ti} territories in 'ti_id', expected {lo}-{hi}")
        check_rows(part, source, 550, 700)
    return df.reset_index(drop=True)


@parsed(_TI_2023, 1, _TI_2018)
@geo
def load_ti_geometries(path_2023, path_2018) -> gpd.GeoDataFrame:
    """Outline of every Territoire d'industrie, both waves, one row per (wave, ti_id).

    Source: ANCT, *Programme Territoires d'industrie* (see :func:`load_ti_members`).
    Columns: ``wave``, ``ti_id``, ``ti_name``, ``reg``, ``n_members`` (Int64), ``geometry``
    (EPSG:4326). 183 rows for 2023-2027 + 149 for 2018-2022 = 332.

    Caveats: display-generalised outlines (do not compute areas). In the 2018 file, commune
    members are drawn as POINTS: 5 territories have a Point, MultiPoint or GeometryCollection
    (points + polygons) geometry (ti-2706, ti-8416, ti-9301, ti-9303, ti-9307).
    """
    parts = []
    for (g, members), key in ((_ti_2023_table(path_2023), _TI_2023), (_ti_2018_table(path_2018), _TI_2018)):
        source = _src(key)
        if g.crs is None or g.crs.to_epsg() != 4326:
            raise SchemaError(f"{source}: CRS {g.crs}, expected EPSG:4326 / CRS84")
        n = members.groupby("ti_id").size().rename("n_members")
        g = g[["wave", "ti_id", "ti_name", "geometry"]].merge(n, left_on="ti_id", right_index=True, how="left")
        check_codes(g, "ti_id", TI_ID, source)
        check_unique(g, ["ti_id"], source)
        if g.geometry.isna().any():
            raise SchemaError(f"{source}: {int(g.geometry.isna().sum())} territories without geometry")
        parts.append(g)
    df = gpd.GeoDataFrame(pd.concat(parts, ignore_index=True), geometry="geometry", crs=CRS)
    df["reg"] = df["ti_id"].str[3:5]
    df["n_members"] = df["n_members"].astype("Int64")
    check_rows(df, f"{_src(_TI_2023)} + {_src(_TI_2018)}", 320, 345)
    return df[["wave", "ti_id", "ti_name", "reg", "n_members", "geometry"]]


# ---------------------------------------------------------------------------------------------
# IGN Admin Express 2025 shapes (TopoJSON), metropolitan France
# ---------------------------------------------------------------------------------------------


def _read_topojson(path, key: str, columns: dict[str, str], code: str, rx: str, rows: tuple[int, int]):
    """GDAL's TopoJSON driver (object 'data' = layer 'data'); the file has no CRS: its
    coordinates are longitude/latitude degrees (see its bbox), so EPSG:4326 is set.
    Invalid rings left by the TopoJSON quantisation are repaired (make_valid, method 'structure')."""
    source = _src(key)
    g = gpd.read_file(path, layer="data")
    require_columns(g, list(columns), source)
    g = g[[*columns, "geometry"]].rename(columns=columns)
    if g.crs is None:
        g = g.set_crs(CRS)
    elif g.crs.to_epsg() != 4326:
        raise SchemaError(f"{source}: CRS {g.crs}, expected longitude/latitude")
    minx, miny, maxx, maxy = g.total_bounds
    if not (-6 < minx and maxx < 10 and 41 < miny and maxy < 52):
        raise SchemaError(f"{source}: bounds {g.total_bounds} are not metropolitan France in degrees")
    g[code] = g[code].str.strip()
    g["name"] = g["name"].str.strip()
    _nonempty(g, [code, "name"], source)
    check_codes(g, code, rx, source)
    check_unique(g, [code], source)
    check_rows(g, source, *rows)
    bad = ~g.is_valid
    if bad.any():
        g.loc[bad, "geometry"] = g.geometry[bad].make_valid(method="structure", keep_collapsed=False)
    return g.reset_index(drop=True)


@parsed("ign_zones_emploi_2020_metro_2025", 1)
@geo
def load_ze2020_shapes(path) -> gpd.GeoDataFrame:
    """Zones d'emploi 2020 of metropolitan France: 287 polygons.

    Source: IGN Admin Express 2025 / INSEE zonage en zones d'emploi 2020, generalised TopoJSON
    compiled by a third party (ptod-observatoire-territorial). Geography: communes of 2025.
    Columns: ``ze2020`` (4 digits), ``name``, ``n_communes`` (Int64, number of communes in the
    2025 geography: Alençon 184 here vs 185 in the 2024 table), ``geometry`` (EPSG:4326).
    Overseas zones are absent (use :func:`load_ze2020_reference` for the 306 codes).
    """
    g = _read_topojson(path, "ign_zones_emploi_2020_metro_2025",
                       {"ze2020": "ze2020", "libze2020": "name", "nb_com": "n_communes"}, "ze2020", ZE2020, (280, 295))
    g["n_communes"] = to_number(g["n_communes"], _src("ign_zones_emploi_2020_metro_2025"), "nb_com").astype("Int64")
    return g


@parsed("ign_epci_metro_2025", 1)
@geo
def load_epci_shapes(path) -> gpd.GeoDataFrame:
    """EPCI of metropolitan France at 1 January 2025 (plus the Grand Paris EPT and Paris): 1,244 polygons.

    Source: IGN Admin Express 2025 (EPCI layer), generalised TopoJSON compiled by a third
    party (ptod-observatoire-territorial). Columns: ``epci`` (SIREN, or '75056' for the Ville
    de Paris), ``name``, ``geometry`` (EPSG:4326).

    Caveat -- OVERLAPS: the Métropole du Grand Paris (200054781) is present AND so are its 11
    EPT (2000579xx/200058xxx) and Paris ('75056'), which tile the same area. Drop one or the
    other before dissolving or counting. The 4 island communes outside any EPCI are not covered.
    """
    return _read_topojson(path, "ign_epci_metro_2025", {"EPCI": "epci", "EPCIlib": "name"},
                          "epci", r"\d{9}|75056", (1_230, 1_260))


@parsed("ign_departements_metro_2025", 1)
@geo
def load_departement_shapes(path) -> gpd.GeoDataFrame:
    """Départements of metropolitan France at 1 January 2025: 96 polygons.

    Source: IGN Admin Express 2025, generalised TopoJSON compiled by a third party
    (ptod-observatoire-territorial). Columns: ``dep`` ('01' ... '2A', '2B' ... '95'), ``name``
    (``nom_officiel``), ``geometry`` (EPSG:4326). With overseas: :func:`load_anct_departements`.
    """
    return _read_topojson(path, "ign_departements_metro_2025", {"code_insee": "dep", "nom_officiel": "name"},
                          "dep", DEP, (96, 96))


@parsed("ign_regions_metro_2025", 1)
@geo
def load_region_shapes(path) -> gpd.GeoDataFrame:
    """Régions of metropolitan France at 1 January 2025: 13 polygons.

    Source: IGN Admin Express 2025, generalised TopoJSON compiled by a third party
    (ptod-observatoire-territorial). Columns: ``reg``, ``name``, ``geometry`` (EPSG:4326).
    With overseas: :func:`load_anct_regions`.
    """
    return _read_topojson(path, "ign_regions_metro_2025", {"code_insee": "reg", "nom_officiel": "name"},
                          "reg", REG, (13, 13))


# ---------------------------------------------------------------------------------------------
# Reference lists (INSEE, compiled by a third party), 2025
# ---------------------------------------------------------------------------------------------


def _read_semicolon_csv(path) -> pd.DataFrame:
    return pd.read_csv(path, sep=";", dtype=str, encoding="utf-8-sig", keep_default_na=False, na_values=[""])


def _flag(series: pd.Series, source: str, column: str) -> pd.Series:
    bad = ~series.isin(["0", "1"])
    if bad.any():
        raise SchemaError(f"{source}: column {column!r} has value(s) {series[bad].unique()[:5].tolist()}, expected 0/1")
    return series == "1"


@parsed("epci_reference_2025", 1)
def load_epci_reference(path) -> pd.DataFrame:
    """Reference list of the EPCI, the 11 EPT and Paris at 1 January 2025, with type and flags.

    Source: INSEE (intercommunalités au 1er janvier 2025, grille de densité), compiled by a
    third party (ptod-observatoire-territorial, ``tdc_sat3col_epci.csv``).

    Columns: ``epci`` (SIREN; '75056' = Ville de Paris), ``name`` (full legal name),
    ``name_short`` (abbreviated: 'CC ...', 'CA ...', 'MET ...'), ``type`` ('CC', 'CA', 'CU',
    'MET', 'EPT'), ``type_label``, ``in_grand_paris`` (bool, from ``EPCI_EPTinc``: the 11 EPT
    and Paris), ``metropole_area`` (bool, from ``METRoff``: the 22 métropoles AND the 11 EPT
    and Paris -- 34 rows; it is NOT the list of métropoles, see :func:`load_metropoles`),
    ``density`` (Int64, INSEE 3-level density grid: 1 urbain dense, 2 urbain intermédiaire,
    3 rural), ``density_label``, ``reg``, ``dep`` (main département).

    1,267 rows: 1,255 EPCI (989 CC, 230 CA, 14 CU, 22 MET incl. Lyon and Grand Paris) + 11 EPT
    + Paris. The 'ZZZZZZZZZ' "Sans objet" row of the file is dropped. The EPCI set is the same
    as in the 2024 commune table. Caveat: the Grand Paris EPT and the Métropole du Grand Paris
    both appear, so summing over all rows double-counts that area.
    """
    source = _src("epci_reference_2025")
    raw = _read_semicolon_csv(path)
    cols = ["EPCI", "EPCI_EPTinc", "EPCIlibFull", "EPCIlibShort", "TYPE_EPCI", "TYPE_EPCIlib", "METRoff",
            "DENSEPCI", "DENSEPCIlib", "REG_dom", "DEP_dom"]
    require_columns(raw, cols, source)
    raw = raw[raw["EPCI"].str.strip() != "ZZZZZZZZZ"]
    df = pd.DataFrame({
        "epci": raw["EPCI"].str.strip(),
        "name": raw["EPCIlibFull"].str.strip(),
        "name_short": raw["EPCIlibShort"].str.strip(),
        "type": raw["TYPE_EPCI"].str.strip(),
        "type_label": raw["TYPE_EPCIlib"].str.strip(),
        "in_grand_paris": _flag(raw["EPCI_EPTinc"], source, "EPCI_EPTinc"),
        "metropole_area": _flag(raw["METRoff"], source, "METRoff"),
        "density": to_number(raw["DENSEPCI"], source, "DENSEPCI").astype("Int64"),
        "density_label": raw["DENSEPCIlib"].str.strip(),
        "reg": raw["REG_dom"].str.strip().str.zfill(2),  # '1' -> '01' (leading zero lost upstream)
        "dep": raw["DEP_dom"].str.strip(),
    })
    _nonempty(df, list(df.columns), source)
    check_codes(df, "epci", r"\d{9}|75056", source)
    check_codes(df, "type", r"CC|CA|CU|MET|EPT", source)
    check_codes(df, "reg", REG, source)
    check_codes(df, "dep", DEP, source)
    check_codes(df, "density", r"[123]", source)
    check_unique(df, ["epci"], source)
    check_rows(df, source, 1_240, 1_300)
    return df.reset_index(drop=True)


@parsed("ze2020_reference_2025", 1)
def load_ze2020_reference(path) -> pd.DataFrame:
    """Reference list of the 306 zones d'emploi 2020 (incl. overseas), 2025 geography.

    Source: INSEE (zonage en zones d'emploi 2020), compiled by a third party
    (ptod-observatoire-territorial, ``tdc_sat3col_ze.csv``).

    Columns: ``ze2020`` (4 digits, leading zeros restored: the file writes '51' for '0051'),
    ``name``, ``n_communes`` (Int64, 2025 geography), ``density`` (Int64, 3-level density
    class 1 dense / 2 intermediate / 3 rural), ``reg`` (region of the zone; zones '00xx'
    straddle two regions and carry one of them), ``dep`` (main département), ``has_metropole``
    (bool: the zone contains at least one commune of one of the 22 métropoles -- checked
    against the 2024 commune table: 29 zones).
    """
    source = _src("ze2020_reference_2025")
    raw = _read_semicolon_csv(path)
    require_columns(raw, ["ZE2020", "ZE2020lib", "NB_COM", "dens3", "REG_dom", "DEP_dom", "has_metropole"], source)
    df = pd.DataFrame({
        "ze2020": raw["ZE2020"].str.strip().str.zfill(4),
        "name": raw["ZE2020lib"].str.strip(),
        "n_communes": to_number(raw["NB_COM"], source, "NB_COM").astype("Int64"),
        "density": to_number(raw["dens3"], source, "dens3").astype("Int64"),
        "reg": raw["REG_dom"].str.strip().str.zfill(2),
        "dep": raw["DEP_dom"].str.strip(),
        "has_metropole": _flag(raw["has_metropole"], source, "has_metropole"),
    })
    _nonempty(df, list(df.columns), source)
    check_codes(df, "ze2020", ZE2020, source)
    check_codes(df, "reg", REG, source)
    check_codes(df, "dep", DEP, source)
    check_unique(df, ["ze2020"], source)
    check_rows(df, source, 300, 310)
    return df.reset_index(drop=True)


# ---------------------------------------------------------------------------------------------
# Etalab découpage administratif: EPCI -> communes, métropoles
# ---------------------------------------------------------------------------------------------

_ETALAB = "etalab_decoupage_administratif_epci"


def _etalab_epci(path) -> list[dict]:
    source = _src(_ETALAB)
    with open(path, encoding="utf-8") as f:
        data = json.load(f)
    if not isinstance(data, list) or not data:
        raise SchemaError(f"{source}: expected a JSON list of EPCI")
    check_fields(data, ("code", "nom", "type", "modeFinancement", "populationTotale", "populationMunicipale",
                        "membres"), source)
    check_fields([m for e in data for m in e["membres"]],
                 ("code", "siren", "nom", "populationMunicipale", "populationTotale"), f"{source} [membres]")
    return data


@parsed(_ETALAB, 1)
def load_epci_communes(path) -> pd.DataFrame:
    """Every EPCI with its member communes and their population, one row per (EPCI, commune).

    Source: Etalab, ``@etalab/decoupage-administratif`` (built from the INSEE COG), ``epci.json``
    as vendored by betagouv/decoupage-administratif-gem. Geography: EPCI and communes of 2024
    (the same 1,255 EPCI and commune membership as the INSEE 2024 commune table).
    Unit: inhabitants. Population vintage NOT stated in the file (the package takes the INSEE
    populations légales current when it was built; Issoire 63178 has 15,014 municipal
    inhabitants here).

    Columns: ``epci`` (SIREN), ``epci_name``, ``epci_type`` ('CC', 'CA', 'CU', 'METRO' for the
    21 métropoles EPCI, 'MET69' for the Métropole de Lyon), ``epci_tax_regime`` ('FPU' fiscalité
    professionnelle unique / 'FA' fiscalité additionnelle), ``epci_population_municipale``,
    ``epci_population_totale`` (Int64), ``com`` (INSEE code), ``com_siren``, ``com_name``,
    ``population_municipale``, ``population_totale`` (Int64).

    34,931 rows: every commune except the 4 islands outside any EPCI (see
    :func:`load_communes_2024`). The EPCI populations equal the sums of their members'.
    """
    source = _src(_ETALAB)
    rows = []
    for e in _etalab_epci(path):
        head = (e["code"], e["nom"], e["type"], e["modeFinancement"], e["populationMunicipale"], e["populationTotale"])
        for m in e["membres"]:
            try:
                rows.append((*head, m["code"], m["siren"], m["nom"], m["populationMunicipale"], m["populationTotale"]))
            except KeyError as err:
                raise SchemaError(f"{source}: member of EPCI {e['code']} lacks field {err}") from err
    cols = ["epci", "epci_name", "epci_type", "epci_tax_regime", "epci_population_municipale",
            "epci_population_totale", "com", "com_siren", "com_name", "population_municipale", "population_totale"]
    df = pd.DataFrame(rows, columns=cols)
    for c in ("epci", "epci_name", "epci_type", "epci_tax_regime", "com", "com_siren", "com_name"):
        df[c] = df[c].astype("str").str.strip()
    for c in ("epci_population_municipale", "epci_population_totale", "population_municipale", "population_totale"):
        df[c] = to_number(df[c], source, c).astype("Int64")
    _nonempty(df, cols, source)
    for c in ("population_municipale", "population_totale"):
        check_non_negative(df, c, source, ids=["epci", "com"])
    # population totale = municipale + comptés à part
    check_order(df, "population_municipale", "population_totale", source, ids=["com", "com_name"])
    check_codes(df, "epci", SIREN, source)
    check_codes(df, "com", COM, source)
    check_codes(df, "com_siren", SIREN, source)
    check_codes(df, "epci_type", r"CC|CA|CU|METRO|MET69", source)
    check_unique(df, ["com"], source)
    check_rows(df, source, 34_800, 35_100)
    sums = df.groupby("epci")[["population_municipale"]].sum()
    epci_pop = df.drop_duplicates("epci").set_index("epci")["epci_population_municipale"]
    if (sums["population_municipale"] != epci_pop.loc[sums.index]).any():
        raise SchemaError(f"{source}: EPCI 'populationMunicipale' differs from the sum of its members'")
    return df


@parsed(_ETALAB, 1, "epci_reference_2025")
def load_metropoles(path, path_reference) -> pd.DataFrame:
    """The 22 métropoles: 21 EPCI with the status of métropole + the Métropole de Lyon.

    Source: Etalab ``@etalab/decoupage-administratif`` (EPCI of 2024, from the INSEE COG),
    cross-checked against the INSEE EPCI list of 2025 (:func:`load_epci_reference`).

    How the 22 are obtained: the Etalab file types 21 EPCI 'METRO' (nature juridique 'ME',
    métropole, incl. the Métropole du Grand Paris and Aix-Marseille-Provence) and one 'MET69',
    the Métropole de Lyon (200046977), which is not an EPCI but a collectivité territoriale à
    statut particulier (it also exercises the Rhône département's powers on its territory,
    CTCD '69M' in the commune table); INSEE lists it among the EPCI nonetheless. The 2025
    reference list gives exactly the same 22 SIRENs with ``TYPE_EPCI`` = 'MET' (its ``METRoff``
    flag, 34 rows, also includes the 11 EPT and Paris and must not be used to count
    métropoles). The loader raises if the two lists differ or if there are not 22.

    Columns: ``siren``, ``name`` (Etalab name, e.g. 'Eurométropole de Strasbourg'),
    ``status`` ('EPCI' / 'collectivité à statut particulier'), ``population_municipale``,
    ``population_totale`` (Int64, inhabitants, vintage not stated, see
    :func:`load_epci_communes`), ``n_communes`` (Int64). 22 rows sorted by SIREN.
    """
    source = _src(_ETALAB)
    ref_source = _src("epci_reference_2025")
    recs = [e for e in _etalab_epci(path) if e["type"] in ("METRO", "MET69")]
    df = pd.DataFrame({
        "siren": [e["code"] for e in recs],
        "name": [e["nom"].strip() for e in recs],
        "status": ["collectivité à statut particulier" if e["type"] == "MET69" else "EPCI" for e in recs],
        "population_municipale": pd.array([e["populationMunicipale"] for e in recs], dtype="Int64"),
        "population_totale": pd.array([e["populationTotale"] for e in recs], dtype="Int64"),
        "n_communes": pd.array([len(e["membres"]) for e in recs], dtype="Int64"),
    }).sort_values("siren", ignore_index=True)
    check_codes(df, "siren", SIREN, source)
    check_unique(df, ["siren"], source)
    check_rows(df, source, 22, 22)
    ref = _read_semicolon_csv(path_reference)
    require_columns(ref, ["EPCI", "TYPE_EPCI"], ref_source)
    ref_met = set(ref.loc[ref["TYPE_EPCI"] == "MET", "EPCI"].str.strip())
    if ref_met != set(df["siren"]):
        raise SchemaError(
            f"{source} vs {ref_source}: the métropoles differ: only in Etalab {sorted(set(df['siren']) - ref_met)}, "
            f"only in the INSEE list (TYPE_EPCI == 'MET') {sorted(ref_met - set(df['siren']))}")
    return df


# ---------------------------------------------------------------------------------------------
# ANCT / IGN 2025 shapes (with overseas) and centroids
# ---------------------------------------------------------------------------------------------


def _read_geojson(path, key: str, columns: dict[str, str], code: str, rx: str, rows: tuple[int, int]):
    source = _src(key)
    g = gpd.read_file(path)
    require_columns(g, list(columns), source)
    g = g[[*columns, "geometry"]].rename(columns=columns)
    if g.crs is None:
        g = g.set_crs(CRS)  # RFC 7946 GeoJSON without a crs member is WGS84 lon/lat
    elif g.crs.to_epsg() != 4326:
        raise SchemaError(f"{source}: CRS {g.crs}, expected EPSG:4326 / CRS84")
    for c in columns.values():
        if pd.api.types.is_string_dtype(g[c]):
            g[c] = g[c].str.strip()
    _nonempty(g, [code, "name"], source)
    check_codes(g, code, rx, source)
    check_unique(g, [code], source)
    check_rows(g, source, *rows)
    return g.reset_index(drop=True)


@parsed("anct_departements_2025", 1)
@geo
def load_anct_departements(path) -> gpd.GeoDataFrame:
    """All 101 départements (overseas at their true positions), COG 2025.

    Source: ANCT / IGN, generalised outlines of the ANCT cartography tools (superposeur-V2).
    Columns: ``dep`` ('01' ... '2A', '2B' ... '95', '971' ... '976'), ``name``, ``geometry``
    (EPSG:4326). Display-generalised: no areas.
    """
    return _read_geojson(path, "anct_departements_2025", {"insee_dep": "dep", "lib_dep": "name"}, "dep", DEP, (101, 101))


@parsed("anct_regions_2025", 1)
@geo
def load_anct_regions(path) -> gpd.GeoDataFrame:
    """All 18 régions (13 metropolitan + 5 overseas at their true positions), COG 2025.

    Source: ANCT / IGN, generalised outlines (superposeur-V2). Columns: ``reg`` ('01' ...
    '06', '11' ... '94'), ``name``, ``geometry`` (EPSG:4326). Display-generalised: no areas.
    """
    return _read_geojson(path, "anct_regions_2025", {"insee_reg": "reg", "lib_reg": "name"}, "reg", REG, (18, 18))


@parsed("anct_epci_ept_centroids_2025", 1)
@geo
def load_epci_centroids(path) -> gpd.GeoDataFrame:
    """One point per EPCI (1,255, incl. overseas) and per Grand Paris EPT (11), COG 2025.

    Source: ANCT / IGN (superposeur-V2, ``centroide-4326_epci-ept.geojson``).
    Columns: ``siren`` (of the EPCI, or of the EPT for EPT rows), ``name``, ``type`` ('EPCI' /
    'EPT'), ``geometry`` (Point, EPSG:4326). 1,266 rows. The Métropole du Grand Paris has its
    own point as well as its 11 EPT. ANCT's names are abbreviated ('CC ...', '#ParisEstMarne&Bois').
    """
    source = _src("anct_epci_ept_centroids_2025")
    g = gpd.read_file(path)
    require_columns(g, ["siren_epci", "lib_epci", "type", "siren_ept", "lib_ept"], source)
    kind = g["type"].str.strip().str.lower()
    check_codes(pd.DataFrame({"type": kind}), "type", r"epci|ept", source)
    is_ept = kind == "ept"
    df = gpd.GeoDataFrame({
        "siren": g["siren_epci"].where(~is_ept, g["siren_ept"]).str.strip(),
        "name": g["lib_epci"].where(~is_ept, g["lib_ept"]).str.strip(),
        "type": kind.str.upper(),
    }, geometry=g.geometry, crs=g.crs or CRS)
    if df.crs.to_epsg() != 4326:
        raise SchemaError(f"{source}: CRS {df.crs}, expected EPSG:4326 / CRS84")
    _nonempty(df, ["siren", "name"], source)
    check_codes(df, "siren", SIREN, source)
    check_unique(df, ["siren"], source)
    check_rows(df, source, 1_240, 1_290)
    if not (df.geom_type == "Point").all():
        raise SchemaError(f"{source}: expected Point geometries")
    return df.reset_index(drop=True)


# ---------------------------------------------------------------------------------------------
# france-geojson (IGN Admin Express 2018, simplified)
# ---------------------------------------------------------------------------------------------


@parsed("france_departements_metro_2018_simplified", 1)
@geo
def load_departements_2018_simplified(path) -> gpd.GeoDataFrame:
    """Départements of metropolitan France, IGN Admin Express 2018, simplified: 96 polygons.

    Source: IGN Admin Express 2018 simplified by gregoiredavid/france-geojson.
    Columns: ``dep``, ``name``, ``geometry`` (EPSG:4326). Display-simplified: no areas.
    """
    return _read_geojson(path, "france_departements_metro_2018_simplified", {"code": "dep", "nom": "name"},
                         "dep", DEP, (96, 96))


_AUVERGNE_2018 = ("france_communes_03-allier_2018", "france_communes_42-loire_2018",
                  "france_communes_43-haute-loire_2018", "france_communes_63-puy-de-dome_2018")


@parsed(_AUVERGNE_2018[0], 1, *_AUVERGNE_2018[1:])
@geo
def load_communes_2018_auvergne_shapes(*paths) -> gpd.GeoDataFrame:
    """Communes of the Allier (03), Loire (42), Haute-Loire (43) and Puy-de-Dôme (63), COG 2018.

    Source: IGN Admin Express 2018 (communes), simplified by gregoiredavid/france-geojson,
    one file per département. Columns: ``com`` (COG 2018 code), ``name``, ``dep``,
    ``geometry`` (EPSG:4326). 1,367 rows (317 + 326 + 257 + 467).

    Caveat: COG 2018 codes. Communes nouvelles created 2019-2024 have absorbed some of these
    communes: 6 of the 1,367 codes (3 in the Loire, 3 in the Puy-de-Dôme) are no longer in the
    2024 commune table; map them through a COG history table before joining 2024 data.
    """
    parts = []
    for key, path in zip(_AUVERGNE_2018, paths):
        g = _read_geojson(path, key, {"code": "com", "nom": "name"}, "com", COM, (200, 600))
        dep = key.split("_")[2].split("-")[0]
        g["dep"] = g["com"].str[:2]
        if (g["dep"] != dep).any():
            raise SchemaError(f"{_src(key)}: column 'code' has communes outside département {dep}")
        parts.append(g[["com", "name", "dep", "geometry"]])
    df = gpd.GeoDataFrame(pd.concat(parts, ignore_index=True), geometry="geometry", crs=CRS)
    check_unique(df, ["com"], " + ".join(_src(k) for k in _AUVERGNE_2018))
    return df


# ---------------------------------------------------------------------------------------------
# La Poste: postcode -> INSEE commune, with commune centroids (2022 geography)
# ---------------------------------------------------------------------------------------------

_LAPOSTE = "laposte_hexasmal_2022"
_LAPOSTE_COLUMNS = {"Code_commune_INSEE": "com", "Nom_commune": "name", "Code_postal": "postcode",
                    "Ligne_5": "locality", "Libellé_d_acheminement": "delivery_label",
                    "latitude": "lat", "longitude": "lon"}


@parsed(_LAPOSTE, 1)
def load_laposte_postcodes_2022(path) -> pd.DataFrame:
    """La Poste's *base officielle des codes postaux*: which communes each postcode serves.

    Source: La Poste (datanova), ``laposte_hexasmal.csv``, a 2022 copy. Geography: communes of
    2022 (communes merged in 2023-2024 keep their old codes here: map them to 2024 before joining
    2024 tables, e.g. with :func:`analysis.methods.emitters.postcode_communes_2024`).

    Columns (strings unless stated): ``com`` (INSEE commune code, 5 characters; Paris, Lyon and
    Marseille are given by arrondissement municipal, 75101...), ``name`` (commune name, upper case
    without accents: 'SAINT SULPICE EN PAREDS'), ``postcode`` (5 digits), ``locality`` (the
    'Ligne 5' of the address: a hamlet, delegated or former commune served under that postcode;
    <NA> when none), ``delivery_label`` (libellé d'acheminement, the town printed after the
    postcode), ``lat``, ``lon`` (float, WGS84 degrees: centroid of the COMMUNE, the same on
    every row of a commune).

    39,204 rows, one per (commune, postcode, locality, delivery label): a commune may have
    several postcodes and a postcode several communes (2,119 postcodes serve one commune).
    CEDEX postcodes (companies' and administrations' own codes) are NOT in this table.
    Caveats: overseas collectivities (975, 977, 978, 986-988) are included; the French
    Polynesian communes share one placeholder centroid (-16.69, -163.03), New Caledonia's differ
    between rows of one commune; a few communes appear
    under two spellings (rows differing by ``name`` only).
    """
    source = _src(_LAPOSTE)
    raw = _read_semicolon_csv(path)
    require_columns(raw, list(_LAPOSTE_COLUMNS), source)
    df = raw[list(_LAPOSTE_COLUMNS)].rename(columns=_LAPOSTE_COLUMNS)
    for c in ("com", "name", "postcode", "locality", "delivery_label"):
        df[c] = df[c].astype("string").str.strip().replace("", pd.NA)
    _nonempty(df, ["com", "name", "postcode", "delivery_label"], source)
    check_codes(df, "com", COM, source)
    check_codes(df, "postcode", r"\d{5}", source)
    df["lat"] = to_number(raw["latitude"], source, "latitude")
    df["lon"] = to_number(raw["longitude"], source, "longitude")
    for col, raw_col, bound in (("lat", "latitude", 90), ("lon", "longitude", 180)):
        bad = df[col].isna() | ~df[col].between(-bound, bound)
        if bad.any():
            raise SchemaError(f"{source}: column {raw_col!r} has {int(bad.sum())} empty or out-of-range value(s) "
                              f"(a commune centroid in degrees is expected), e.g. commune {df.loc[bad, 'com'].iloc[0]} "
                              f"value {raw.loc[bad, raw_col].iloc[0]!r}")
    metro = df["com"].str.fullmatch(r"(?!9[78])\d{5}|2[AB]\d{3}")
    out = df[metro & ~(df["lat"].between(41, 51.2) & df["lon"].between(-5.3, 9.7))]
    if len(out):
        raise SchemaError(f"{source}: {len(out)} metropolitan commune(s) with a centroid outside metropolitan France "
                          f"(columns 'latitude'/'longitude' swapped?), e.g. commune {out['com'].iloc[0]} "
                          f"latitude {out['lat'].iloc[0]} longitude {out['lon'].iloc[0]}")
    check_unique(df, ["com", "postcode", "locality", "delivery_label", "name"], source)
    # one centroid per commune (a commune spelled twice may carry two close ones); the Pacific
    # collectivities (98x) carry placeholder centroids and are not checked
    pacific = df["com"].str.startswith("98")
    spread = df[~pacific].groupby("com")[["lat", "lon"]].agg(lambda v: v.max() - v.min()).max(axis=1)
    if (spread > 0.2).any():
        raise SchemaError(f"{source}: commune(s) {spread[spread > 0.2].index[:5].tolist()} have centroids more than "
                          f"0.2 degree apart in columns 'latitude'/'longitude'")
    check_rows(df, source, 38_000, 41_000)
    return df.reset_index(drop=True)
