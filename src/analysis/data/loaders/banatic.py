"""BANATIC loaders (DGCL base nationale sur l'intercommunalité): membership of groupements.

Three public files, all keyed by SIREN (9 digits, leading zeros kept, as strings):

- ``banatic_groupement_adhesions_2026``: links between groupements (EPCI, syndicats mixtes,
  pôles métropolitains), nationwide, BANATIC-derived seed file committed in February 2026
  (BANATIC extract date not stated). **The file's header is misleading**: its first column
  (``groupement_siren``) is the *member* and its second (``adhesion_siren``) the groupement
  joined. The loader renames them ``member_siren`` and ``groupement_siren`` and checks the
  direction (the Pôle métropolitain Clermont Vichy Auvergne, SIREN 200041036, must appear
  as a groupement with EPCI members, never as a member).
- ``banatic_syndicats_composition_communale_2021``: the member communes of 1,333 syndicats
  and syndicats mixtes at 1 April 2021, communes given by their SIREN; coverage partial
  (the Pôle métropolitain Nord Franche-Comté, 200065217, is absent).
- ``banatic_correspondance_siren_insee_2019``: commune SIREN -> INSEE commune code (COG 2019).
"""

from __future__ import annotations

import pandas as pd

from analysis.data.cache import parsed
from analysis.data.validate import (CODE_COMMUNE, CODE_SIREN, SchemaError, check_codes, check_rows, check_unique,
                        require_columns)
from analysis.data.validate import source_name as _src

ADHESIONS_2026 = "banatic_groupement_adhesions_2026"
SYNDICATS_COMMUNES_2021 = "banatic_syndicats_composition_communale_2021"
SIREN_INSEE_2019 = "banatic_correspondance_siren_insee_2019"

#: SIREN of the Pôle métropolitain Clermont Vichy Auvergne (used to check the file's direction).
POLE_CLERMONT_VICHY_AUVERGNE = "200041036"
#: SIREN of the Pôle métropolitain Nord Franche-Comté.
POLE_NORD_FRANCHE_COMTE = "200065217"


def _read_str_csv(path, source: str, sep: str = ",") -> pd.DataFrame:
    try:
        df = pd.read_csv(path, dtype=str, sep=sep, keep_default_na=False, encoding="utf-8-sig")
    except (UnicodeDecodeError, pd.errors.ParserError) as exc:
        raise SchemaError(f"{source}: not a readable CSV ({exc})") from exc
    df.columns = [c.strip() for c in df.columns]
    return df


@parsed(ADHESIONS_2026, 1)
def load_groupement_adhesions(path) -> pd.DataFrame:
    """Membership links between groupements, nationwide (BANATIC-derived file of February 2026).

    One row per (member, groupement) link. Columns: ``member_siren`` (the EPCI or syndicat that
    joins; the file's FIRST column, headed ``groupement_siren``), ``groupement_siren`` (the
    groupement joined; the file's SECOND column, headed ``adhesion_siren``). The direction is
    checked on the Pôle métropolitain Clermont Vichy Auvergne (200041036): it must appear only
    as a groupement joined, by at least 10 members whose SIREN starts with 2 (EPCIs).
    """
    src = _src(ADHESIONS_2026)
    df = _read_str_csv(path, src)
    require_columns(df, ["groupement_siren", "adhesion_siren"], src)
    df = df.rename(columns={"groupement_siren": "member_siren", "adhesion_siren": "groupement_siren"})
    df = df[["member_siren", "groupement_siren"]].apply(lambda s: s.str.strip())
    check_rows(df, src, 10_000, 20_000)
    check_codes(df, "member_siren", CODE_SIREN, src)
    check_codes(df, "groupement_siren", CODE_SIREN, src)
    check_unique(df, ["member_siren", "groupement_siren"], src)
    pole = POLE_CLERMONT_VICHY_AUVERGNE
    as_member = int((df["member_siren"] == pole).sum())
    as_groupement = df.loc[df["groupement_siren"] == pole, "member_siren"]
    if as_member or len(as_groupement) < 10 or not as_groupement.str.startswith("2").all():
        raise SchemaError(
            f"{src}: the column direction changed: the pôle métropolitain {pole} should be the groupement joined "
            f"(second column, 'adhesion_siren') by >= 10 EPCIs, found {len(as_groupement)} links there and "
            f"{as_member} as a member (first column); check the header against the EPCI list")
    return df.sort_values(["groupement_siren", "member_siren"], ignore_index=True)


@parsed(SYNDICATS_COMMUNES_2021, 1)
def load_syndicats_communes_2021(path) -> pd.DataFrame:
    """Member communes of syndicats and syndicats mixtes, BANATIC situation at 1 April 2021.

    Columns: ``groupement_siren`` (the syndicat), ``direct`` (bool: the commune is a direct
    member, ``ind_adhesion_directe`` = 1; False when it is a member through its EPCI),
    ``commune_siren`` (SIREN of the commune; decode with :func:`load_siren_insee_2019`).
    Coverage is partial: about 1,333 syndicats.
    """
    src = _src(SYNDICATS_COMMUNES_2021)
    df = _read_str_csv(path, src)
    require_columns(df, ["siren", "ind_adhesion_directe", "siren_membre"], src)
    df = df.rename(columns={"siren": "groupement_siren", "siren_membre": "commune_siren"})
    check_rows(df, src, 50_000)
    check_codes(df, "groupement_siren", CODE_SIREN, src)
    check_codes(df, "commune_siren", CODE_SIREN, src)
    bad = ~df["ind_adhesion_directe"].isin(["0", "1"])
    if bad.any():
        raise SchemaError(f"{src}: column 'ind_adhesion_directe' must be 0 or 1, got "
                          f"{df.loc[bad, 'ind_adhesion_directe'].unique()[:5].tolist()}")
    df["direct"] = df["ind_adhesion_directe"] == "1"
    df = df[["groupement_siren", "direct", "commune_siren"]]
    check_unique(df, ["groupement_siren", "commune_siren"], src)
    return df.sort_values(["groupement_siren", "commune_siren"], ignore_index=True)


@parsed(SIREN_INSEE_2019, 1)
def load_siren_insee_2019(path) -> pd.DataFrame:
    """Commune SIREN -> INSEE commune code, 2019 (BANATIC). Columns ``commune_siren``, ``com``, ``name``."""
    src = _src(SIREN_INSEE_2019)
    df = _read_str_csv(path, src, sep=";")
    require_columns(df, ["siren", "insee", "nom_com"], src)
    df = df.rename(columns={"siren": "commune_siren", "insee": "com", "nom_com": "name"})[["commune_siren", "com", "name"]]
    check_rows(df, src, 30_000, 40_000)
    check_codes(df, "commune_siren", CODE_SIREN, src)
    check_codes(df, "com", CODE_COMMUNE, src)
    check_unique(df, ["commune_siren"], src)
    return df.sort_values("commune_siren", ignore_index=True)
