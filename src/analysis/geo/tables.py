"""Base tables of the geography (no resolution here: see :mod:`analysis.geo.areas`). Area crosswalks: communes, EPCI, zones d'emploi, départements, régions, TI, métropoles.

Everything is built on the INSEE 2024 commune table (:func:`loaders.geo.load_communes_2024`:
commune -> EPCI / EPT / ZE2020 / département / région) with commune populations from the
Etalab EPCI membership file (:func:`loaders.geo.load_epci_communes`, population municipale,
2024 geography, vintage not stated in the file). Zones d'emploi 2010 come from the INSEE
composition table (:func:`loaders.employment.load_ze2010_composition`, 2020 communes).

Public functions (all return DataFrames with codes as strings):

- :func:`communes` -- one row per 2024 commune with its zonings and population;
- :func:`area_communes` -- communes of any set of areas ('commune', 'epci', 'ze2010',
  'ze2020', 'dep', 'reg', 'ti', 'metropole'), each with its population;
- :func:`ti_communes`, :func:`ti_epcis`, :func:`ti_summary` -- Territoires d'industrie
  (both ANCT waves) as communes, as member EPCIs, and counted by region;
- :func:`metropole_communes` -- communes of the 22 métropoles;
- :func:`zone_shares` -- for every zone d'emploi, the share of its population inside a
  set of areas (e.g. all TI), with a flag at a threshold (:func:`ze_ti_shares`,
  :func:`ze_metropole_shares` are the usual cases);
- :func:`main_zones` -- the zone holding the largest part of each area's population
  (:func:`metropole_main_zones` for the 22 métropoles);
- :func:`ze_groups` -- every zone d'emploi as 'TI', 'Métropoles' or 'Autres' (exclusive);
- :func:`ze2010_ze2020_overlap` -- population overlap of the two zonings, to carry a
  series on the 2010 zoning over to the 2020 one (:func:`ze2010_to_ze2020`);
- :func:`area_units` -- the statistical units (communes, EPCI, zones) that make up an
  area in a given zoning, exactly or by population-share flagging (used by
  :func:`analysis.methods.dynamics.employment_growth`).

:mod:`analysis.geo.areas` builds on these: :func:`resolve` / :func:`resolve_many` -- one :class:`Area` per request (names, wave,
  communes, EPCIs, population, zone-d'emploi proxies with their coverage), through the
  shared :class:`Resolver` (:func:`resolver`), which indexes the tables once per process so
  that a resolution takes milliseconds; :meth:`Resolver.zone_shares_by_code` gives the proxy
  shares of every code of a level at once.

Unknown codes raise :class:`UnknownAreaError`, which names the code and the level.
Caveats: the 2018-2022 TI file expresses its members in 2025 EPCIs (mergers since 2018 blur
the original perimeters); the 4 island communes outside any EPCI (Bréhat, Sein, Ouessant,
Yeu) have no population in the Etalab file and count as 0 inhabitants; 36 communes of the
2020 ZE2010 table were merged into communes nouvelles by 2024 and are carried by the
commune that absorbed them (same ZE2010 in every case checked by the tests).
"""

from __future__ import annotations

import numbers
import re
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Iterable

import numpy as np
import pandas as pd

from analysis.data.cache import derived
from analysis.data.loaders import employment as _employment
from analysis.data.loaders import geo as _geo
from analysis.data.validate import check_choice

WAVE_2018 = _geo.WAVE_2018
WAVE_2023 = _geo.WAVE_2023
WAVES = (WAVE_2018, WAVE_2023)
#: INSEE codes of the overseas régions (Guadeloupe, Martinique, Guyane, La Réunion, Mayotte): the one list of the package.
OVERSEAS_REGIONS = ("01", "02", "03", "04", "06")
#: The collectivités d'outre-mer with an INSEE code (and Clipperton), by that code: outside the départements and
#: régions, so outside INSEE's commune table that every area here is built from (their communes, 975xx, 977xx,
#: 978xx and 98xxx, are in La Poste's postcode table only).
OVERSEAS_COLLECTIVITIES = {"975": "Saint-Pierre-et-Miquelon", "977": "Saint-Barthélemy", "978": "Saint-Martin",
                           "984": "Terres australes et antarctiques françaises", "986": "Wallis-et-Futuna",
                           "987": "Polynésie française", "988": "Nouvelle-Calédonie", "989": "Clipperton"}
LEVELS = ("commune", "epci", "ze2010", "ze2020", "dep", "reg", "ti", "metropole")
_ALIASES = {"departement": "dep", "département": "dep", "region": "reg", "région": "reg", "ze": "ze2020",
            "zone_emploi": "ze2020", "metro": "metropole", "métropole": "metropole", "com": "commune",
            "territoire_industrie": "ti"}
#: Zone d'emploi 2020 of Rouen: with département 76 it defines the URSSAF commune x APE extract.
ROUEN_ZE2020 = "2815"
ROUEN_DEP = "76"


class UnknownAreaError(KeyError):
    """A code that does not exist at the requested level (the message names both)."""

    def __str__(self) -> str:  # KeyError would quote the message
        return str(self.args[0])


def normalise_level(level: str) -> str:
    """'departement' -> 'dep', 'region' -> 'reg', 'ze' -> 'ze2020'...; raises on an unknown level."""
    lv = _ALIASES.get(str(level).lower(), str(level).lower())
    if lv not in LEVELS:
        raise UnknownAreaError(f"unknown area level {level!r}; use one of {LEVELS}")
    return lv


def _as_list(codes: str | Iterable[str] | None) -> list[str] | None:
    if codes is None:
        return None
    if isinstance(codes, str):
        return [codes]
    return [str(c) for c in codes]


def _check_codes(level: str, requested: list[str], known: Iterable[str], hint: str = "") -> None:
    # unique() first: iterating a 35,000-row Arrow string column element by element is slow
    known = set(known.unique().tolist()) if isinstance(known, (pd.Series, pd.Index)) else set(known)
    unknown = [c for c in requested if c not in known]
    if unknown:
        raise UnknownAreaError(
            f"unknown {level} code(s) {unknown[:10]}{' ...' if len(unknown) > 10 else ''}"
            f"{' (' + hint + ')' if hint else ''}")


# =============================================================================================
# Communes and their zonings
# =============================================================================================


@lru_cache(maxsize=1)
def _communes() -> pd.DataFrame:
    c = _geo.load_communes_2024()[["com", "name", "epci", "ept", "ze2020", "dep", "reg"]]
    pop = _geo.load_epci_communes()[["com", "population_municipale"]]
    out = c.merge(pop, on="com", how="left")
    out["population"] = out["population_municipale"].fillna(0).astype("int64")
    z10 = _employment.load_ze2010_composition()[["commune", "ze2010"]].rename(columns={"commune": "com"})
    out = out.merge(z10, on="com", how="left")
    return out.drop(columns="population_municipale")


def communes() -> pd.DataFrame:
    """Every commune of France at 1 January 2024 with its zonings and population.

    Columns: ``com``, ``name``, ``epci`` ('ZZZZZZZZZ' for the 4 islands outside any EPCI),
    ``ept`` ('ZZZZZZZZZ' outside the Grand Paris EPT), ``ze2020``, ``ze2010`` (<NA> for the
    3 communes created after 2020 whose code is not in the ZE2010 table), ``dep``, ``reg``,
    ``population`` (municipal population, inhabitants, int; 0 for the 4 islands).
    34,935 rows.
    """
    return _communes().copy()


@lru_cache(maxsize=1)
def _metropoles() -> pd.DataFrame:
    return _geo.load_metropoles()


def metropoles() -> pd.DataFrame:
    """The 22 métropoles: ``siren``, ``name``, ``status``, ``population_municipale``, ``n_communes``."""
    return _metropoles().copy()


def metropole_communes(sirens: str | Iterable[str] | None = None) -> pd.DataFrame:
    """Communes of the métropoles (all 22 by default): ``siren``, ``metropole``, ``com``, ``population``."""
    met = _metropoles()
    wanted = _as_list(sirens)
    if wanted is not None:
        _check_codes("metropole", wanted, met["siren"], "SIREN of one of the 22 métropoles")
        met = met[met["siren"].isin(wanted)]
    c = _communes()
    out = met[["siren", "name"]].rename(columns={"name": "metropole"}).merge(
        c[["epci", "com", "population"]], left_on="siren", right_on="epci").drop(columns="epci")
    return out.sort_values(["siren", "com"], ignore_index=True)


# =============================================================================================
# Territoires d'industrie
# =============================================================================================


def _check_wave(wave: str) -> None:
    if wave not in WAVES:
        raise UnknownAreaError(f"unknown Territoires d'industrie wave {wave!r}; use one of {WAVES}")


def _ti_communes(wave: str) -> pd.DataFrame:
    _check_wave(wave)
    return _ti_communes_of(wave)


@lru_cache(maxsize=2)
@derived(version=1)
def _ti_communes_of(wave: str) -> pd.DataFrame:
    """:func:`ti_communes` of one wave, all TIs (kept in the data cache: :func:`analysis.data.cache.derived`)."""
    tm = _geo.load_ti_members()
    tm = tm[tm["wave"] == wave]
    c = _communes()
    siren_to_com = _geo.load_epci_communes()[["com_siren", "com"]]
    parts = []
    e = tm[tm["member_type"] == "EPCI"].merge(c[["epci", "com"]], left_on="member_siren", right_on="epci")
    parts.append(e.drop(columns="epci"))
    t = tm[tm["member_type"] == "EPT"].merge(c[["ept", "com"]], left_on="member_siren", right_on="ept")
    parts.append(t.drop(columns="ept"))
    m = tm[tm["member_type"] == "commune"].merge(siren_to_com, left_on="member_siren", right_on="com_siren")
    parts.append(m.drop(columns="com_siren"))
    out = pd.concat(parts, ignore_index=True)
    unmatched = sorted(set(tm["member_siren"]) - set(out["member_siren"]))
    if unmatched:
        raise UnknownAreaError(f"TI members of wave {wave} not found in the 2024 commune table: {unmatched[:10]}")
    out = out.merge(c[["com", "population"]], on="com", how="left")
    cols = ["wave", "ti_id", "ti_name", "reg", "member_siren", "member_type", "com", "population"]
    return out[cols].sort_values(["ti_id", "com"], ignore_index=True)


def ti_communes(wave: str = WAVE_2023, ti_ids: str | Iterable[str] | None = None) -> pd.DataFrame:
    """Communes of the Territoires d'industrie of one wave ('2018-2022' or '2023-2027').

    Members are EPCI (all their 2024 communes), Grand Paris EPT (their communes) or single
    communes (matched by SIREN). Columns: ``wave``, ``ti_id``, ``ti_name``, ``reg`` (region
    code of the TI id), ``member_siren``, ``member_type``, ``com``, ``population``.
    A commune may belong to two TI of the same wave (overlapping perimeters): deduplicate on
    ``com`` before summing populations over several TI (:func:`ti_summary` does).
    """
    out = _ti_communes(wave)
    wanted = _as_list(ti_ids)
    if wanted is not None:
        _check_codes(f"Territoire d'industrie ({wave})", wanted, out["ti_id"], "ids 'ti-RRNN' differ between waves")
        out = out[out["ti_id"].isin(wanted)]
    return out.reset_index(drop=True)


def ti_epcis(wave: str = WAVE_2023) -> pd.DataFrame:
    """EPCI touched by each TI of a wave: ``wave``, ``ti_id``, ``ti_name``, ``epci``, ``n_communes``,
    ``population`` (inhabitants of the EPCI inside the TI), ``whole`` (all the EPCI's communes are in
    the TI; False when the TI joined single communes or an EPT of a larger EPCI)."""
    tc = ti_communes(wave).merge(_communes()[["com", "epci"]], on="com")
    g = tc.groupby(["wave", "ti_id", "ti_name", "epci"], as_index=False).agg(
        n_communes=("com", "nunique"), population=("population", "sum"))
    size = _communes().groupby("epci")["com"].nunique()
    g["whole"] = g["n_communes"] == g["epci"].map(size)
    return g.sort_values(["ti_id", "epci"], ignore_index=True)


def ti_summary(wave: str = WAVE_2023, by: str | None = "reg") -> pd.DataFrame:
    """Territoires, EPCI, communes and population covered by one wave, by region (or overall).

    Columns: ``territories`` (TI ids), ``epci`` (EPCI with at least one commune in a TI),
    ``whole_epci`` (EPCI entirely inside), ``communes``, ``population`` (inhabitants,
    each commune counted once even if two TI overlap). With ``by='reg'`` the region is the
    one in the TI id; a TI's communes count in its own region.
    """
    tc = ti_communes(wave)
    te = ti_epcis(wave)
    keys = [by] if by else []
    if by:
        te = te.merge(tc[["ti_id", by]].drop_duplicates(), on="ti_id")

    def agg(g_tc: pd.DataFrame, g_te: pd.DataFrame) -> dict:
        u = g_tc.drop_duplicates("com")
        return {"territories": g_tc["ti_id"].nunique(), "epci": g_te["epci"].nunique(),
                "whole_epci": g_te.loc[g_te["whole"], "epci"].nunique(), "communes": len(u),
                "population": int(u["population"].sum())}

    if not by:
        return pd.DataFrame([agg(tc, te)])
    rows = [{by: k, **agg(g, te[te[by] == k])} for k, g in tc.groupby(by)]
    return pd.DataFrame(rows).sort_values(by, ignore_index=True)


# =============================================================================================
# Zones d'emploi: shares of population inside a set of areas, ZE2010 <-> ZE2020
# =============================================================================================


#: Zonings :func:`zone_shares` accepts: columns of :func:`communes` that partition France into zones.
ZONE_SHARE_ZONINGS = ("ze2020", "ze2010", "epci", "dep", "reg")


def zone_share_rows(members: pd.DataFrame, zone_population: pd.Series, threshold: float = 0.5, *,
                    group: str | None = None, zoning: str = "zone", all_zones: bool = False) -> pd.DataFrame:
    """THE zone-share rule of the package, from (commune, zone, population) rows: every other zone-share
    function (:func:`zone_shares`, :meth:`analysis.geo.areas.Area.zone_proxy`,
    :meth:`analysis.geo.areas.Resolver.zone_shares_by_code`) calls it.

    ``members``: one row per commune of the area(s), with ``zone`` (NaN: no zone, left out), ``population``
    and, with ``group``, the area code; ``zone_population``: population of every zone. Returns per (group,)
    zone: ``population`` (zone), ``population_in`` (zone population in the area), ``share`` (of the zone's
    population in the area; NaN for an empty zone), ``area_share`` (of the area's population, over its
    communes with a zone, living in the zone) and ``flag`` (``share >= threshold``). ``all_zones`` (without
    ``group``): every zone of ``zone_population``, with 0 inside when none of its communes is in the area.
    The zone column is named ``zoning``."""
    keys = [group] if group else []
    m = members.dropna(subset=["zone"])
    inside = m.groupby(keys + ["zone"], sort=True)["population"].sum().rename("population_in").reset_index()
    if all_zones and not group:
        inside = zone_population.rename_axis("zone").reset_index()[["zone"]].merge(inside, on="zone", how="left")
        inside["population_in"] = inside["population_in"].fillna(0)
    inside["population_in"] = inside["population_in"].astype("int64")
    inside["population"] = inside["zone"].map(zone_population).astype("int64")
    total = m.groupby(keys)["population"].sum() if group else m["population"].sum()
    inside["area_share"] = inside["population_in"] / (inside[group].map(total) if group else total)
    inside["share"] = inside["population_in"] / inside["population"].where(inside["population"] > 0)
    inside["flag"] = inside["share"] >= threshold
    out = inside.rename(columns={"zone": zoning})
    return out[keys + [zoning, "population", "population_in", "share", "area_share", "flag"]].sort_values(
        keys + [zoning], ignore_index=True)


def zone_population(zoning: str) -> pd.Series:
    """Municipal population of every zone of ``zoning`` (2024 communes)."""
    check_choice(zoning, ZONE_SHARE_ZONINGS, "zone_population(zoning=...)")
    c = _communes().dropna(subset=[zoning])
    return c.groupby(zoning)["population"].sum()


def zone_shares(area_coms: pd.DataFrame, zoning: str = "ze2020", threshold: float = 0.5,
                group: str | None = None) -> pd.DataFrame:
    """Share of each zone's population living in a set of communes, and a flag at ``threshold``.

    ``area_coms``: rows with a ``com`` column (e.g. :func:`ti_communes`); with ``group``
    (e.g. 'ti_id'), shares are computed for each group separately. ``zoning``: 'ze2020' or
    'ze2010' (any column of :func:`communes` works). Returns one row per zone (x group) with
    ``population`` (zone), ``population_in`` (zone population in the area), ``share``
    (fraction), ``flag`` (share >= threshold), and ``area_share`` = population_in / area
    population (share of the area that lies in the zone). Zones with no commune in the area
    have share 0 (only without ``group``). An unknown ``zoning`` raises one
    :class:`analysis.data.validate.ChoiceError` naming it and :data:`ZONE_SHARE_ZONINGS`.
    The rule itself is :func:`zone_share_rows`.
    """
    check_choice(zoning, ZONE_SHARE_ZONINGS, "zone_shares(zoning=...)")
    c = _communes()
    keys = [group] if group else []
    a = area_coms[keys + ["com"]].drop_duplicates().merge(c[["com", zoning, "population"]], on="com")
    members = a.rename(columns={zoning: "zone"})
    return zone_share_rows(members, zone_population(zoning), threshold, group=group, zoning=zoning,
                           all_zones=not group)


def main_zones(area_coms: pd.DataFrame, zoning: str = "ze2020", group: str = "code") -> pd.DataFrame:
    """For each area, the zone holding the largest part of its population.

    ``area_coms``: (``group``, ``com``) rows, e.g. :func:`metropole_communes` with
    ``group='siren'`` or :func:`area_communes`. Returns ``group``, ``zoning`` (the main zone),
    ``area_share`` (fraction of the area's population in it) and ``share`` (fraction of the
    zone's population inside the area). Ties are broken by the smaller zone code.
    """
    sh = zone_shares(area_coms, zoning, threshold=1.0, group=group)
    sh = sh.sort_values([group, "area_share", zoning], ascending=[True, False, True])
    out = sh.drop_duplicates(group)[[group, zoning, "area_share", "share"]]
    return out.reset_index(drop=True)


def ze_ti_shares(wave: str = WAVE_2018, zoning: str = "ze2020", threshold: float = 0.5) -> pd.DataFrame:
    """Every zone d'emploi with the share of its population inside ANY TI of ``wave`` and the flag
    ``flag`` (share >= threshold). See :func:`zone_shares`."""
    return zone_shares(ti_communes(wave), zoning, threshold)


def ze_metropole_shares(zoning: str = "ze2020", threshold: float = 0.5) -> pd.DataFrame:
    """Every zone d'emploi with the share of its population inside one of the 22 métropoles."""
    return zone_shares(metropole_communes(), zoning, threshold)


def metropole_main_zones(zoning: str = "ze2020") -> pd.DataFrame:
    """The main zone d'emploi of each of the 22 métropoles (the zone holding most of its inhabitants).

    Returns ``siren``, ``name`` (métropole), ``zone`` (code of the ZE2020 or ZE2010, per
    ``zoning``), ``area_share`` (fraction of the métropole's population living in that zone)
    and ``share`` (fraction of the zone's population living in the métropole). 22 rows, sorted
    by SIREN. Populations: municipal population, 2024 geography (see :func:`communes`).
    """
    mz = main_zones(metropole_communes(), zoning, group="siren").rename(columns={zoning: "zone"})
    names = _metropoles().set_index("siren")["name"]
    mz.insert(1, "name", mz["siren"].map(names))
    return mz.sort_values("siren", ignore_index=True)


#: Labels of the three exclusive groups of zones made by :func:`ze_groups`.
GROUP_TI, GROUP_METRO, GROUP_OTHER = "TI", "Métropoles", "Autres"


def ze_groups(zoning: str = "ze2020", wave: str = WAVE_2018, threshold: float = 0.5) -> pd.DataFrame:
    """Every zone d'emploi in one of three exclusive groups: TI, métropole, other.

    - ``'TI'``: at least ``threshold`` of the zone's population lives in a Territoire
      d'industrie of ``wave`` (any TI; populations of 2024, see :func:`zone_shares`);
    - ``'Métropoles'``: the main zone of one of the 22 métropoles (:func:`metropole_main_zones`)
      that is not a TI zone;
    - ``'Autres'``: every other zone.

    ``zoning``: 'ze2020' (306 zones incl. overseas) or 'ze2010'. Returns ``code`` (zone),
    ``group``, ``ti_share`` (fraction of the zone's population inside a TI, used to weight
    zones by their TI part), sorted by code.
    """
    ti_sh = ze_ti_shares(wave, zoning, threshold)
    main = set(metropole_main_zones(zoning)["zone"])
    group = ti_sh[zoning].map(lambda z: GROUP_METRO if z in main else GROUP_OTHER)
    group = group.where(~ti_sh["flag"], GROUP_TI)
    out = pd.DataFrame({"code": ti_sh[zoning], "group": group, "ti_share": ti_sh["share"]})
    return out.sort_values("code", ignore_index=True)


def ze2010_ze2020_overlap() -> pd.DataFrame:
    """Population overlap of the zones d'emploi 2010 and 2020 (2024 communes and populations).

    One row per (ze2010, ze2020) pair sharing inhabitants: ``population`` (inhabitants in
    both), ``share_of_ze2010`` (fraction of the ZE2010's population in that ZE2020; sums to
    1 over each ZE2010), ``share_of_ze2020`` (fraction of the ZE2020's population; sums to
    1 over each ZE2020).
    """
    c = _communes().dropna(subset=["ze2010"])
    o = c.groupby(["ze2010", "ze2020"], as_index=False)["population"].sum()
    o = o[o["population"] > 0]
    o["share_of_ze2010"] = o["population"] / o.groupby("ze2010")["population"].transform("sum")
    o["share_of_ze2020"] = o["population"] / o.groupby("ze2020")["population"].transform("sum")
    return o.sort_values(["ze2010", "ze2020"], ignore_index=True)


def ze2010_to_ze2020(series: pd.DataFrame, code: str = "ze2010", value: str = "employment",
                     keys: Iterable[str] = ("year",)) -> pd.DataFrame:
    """Carry a series on the 2010 zoning over to the 2020 zoning, pro rata of population overlap.

    Each ZE2010 value is split among the ZE2020 it overlaps by ``share_of_ze2010`` (this
    assumes the variable is spread like population inside a ZE2010: an approximation, exact
    only where the two zonings coincide). Returns ``ze2020``, the ``keys`` and ``value``.
    ZE2010 codes absent from the overlap table raise :class:`UnknownAreaError`.
    """
    o = ze2010_ze2020_overlap()
    _check_codes("ze2010", sorted(series[code].unique()), o["ze2010"])
    m = series.merge(o[["ze2010", "ze2020", "share_of_ze2010"]], left_on=code, right_on="ze2010")
    m[value] = m[value] * m["share_of_ze2010"]
    keys = list(keys)
    return m.groupby(["ze2020"] + keys, as_index=False)[value].sum(min_count=1)


def commune_codes_2024(codes: pd.Series) -> pd.Series:
    """Arrondissement municipal codes of Paris, Lyon and Marseille (75101, 69381, 13201...) replaced
    by their commune's (75056, 69123, 13055); other codes unchanged (codes of communes merged
    before 2024 stay as they are and match no 2024 commune)."""
    arm = _arrondissements()
    hit = codes.isin(arm.index)
    out = codes.copy()
    if hit.any():
        out[hit] = codes[hit].map(arm)
    return out


@lru_cache(maxsize=1)
def collectivity_communes() -> pd.Series:
    """Names of the communes of the collectivités d'outre-mer (:data:`OVERSEAS_COLLECTIVITIES`), by INSEE code,
    as La Poste's 2022 postcode table spells them (upper case, no accents: 'MIQUELON LANGLADE'). These codes are
    not in INSEE's commune table: no area here holds them."""
    lp = _geo.load_laposte_postcodes_2022()
    lp = lp[lp["com"].str[:3].isin(list(OVERSEAS_COLLECTIVITIES))]
    return lp.drop_duplicates("com").set_index("com")["name"].astype(str).sort_index()


@lru_cache(maxsize=1)
def arrondissements_2024() -> pd.DataFrame:
    """The 45 arrondissements municipaux of Paris, Lyon and Marseille (INSEE 2024): ``arm`` (code), ``name``
    ('Lyon 3e Arrondissement'), ``com`` (the commune that holds it)."""
    return _geo.load_arrondissements_2024()[["arm", "name", "com"]].reset_index(drop=True)


@lru_cache(maxsize=1)
def _arrondissements() -> pd.Series:
    return _geo.load_arrondissements_2024().set_index("arm")["com"]


def rouen_extract_communes() -> set[str]:
    """2024 communes of the URSSAF commune x APE extract: ZE2020 Rouen (2815) in Seine-Maritime (76)."""
    c = _communes()
    return set(c.loc[(c["ze2020"] == ROUEN_ZE2020) & (c["dep"] == ROUEN_DEP), "com"])


# =============================================================================================
# Any set of areas as communes, and as units of a statistical zoning
# =============================================================================================


def area_communes(level: str, codes: str | Iterable[str] | None = None, *, wave: str = WAVE_2023) -> pd.DataFrame:
    """Communes of a set of areas: ``code`` (area), ``com``, ``population``.

    ``level``: 'commune', 'epci', 'ze2010', 'ze2020', 'dep', 'reg', 'ti' (ids of ``wave``),
    'metropole' (SIREN). ``codes=None`` means every area of the level. Unknown codes raise
    :class:`UnknownAreaError` naming them. An EPT SIREN is accepted at level 'epci'.
    """
    level = normalise_level(level)
    wanted = _as_list(codes)
    if level == "ti":
        t = ti_communes(wave, wanted)
        return t[["ti_id", "com", "population"]].rename(columns={"ti_id": "code"}).reset_index(drop=True)
    if level == "metropole":
        m = metropole_communes(wanted)
        return m[["siren", "com", "population"]].rename(columns={"siren": "code"}).reset_index(drop=True)
    c = _communes()
    col = "com" if level == "commune" else level
    if level == "epci" and wanted is not None:
        epts = set(c["ept"].unique().tolist())
        ept = [w for w in wanted if w in epts and w != "ZZZZZZZZZ"]
        if ept:
            parts = [area_communes("epci", [w for w in wanted if w not in ept])] if len(ept) < len(wanted) else []
            e = c[c["ept"].isin(ept)][["ept", "com", "population"]].rename(columns={"ept": "code"})
            return pd.concat(parts + [e], ignore_index=True).sort_values(["code", "com"], ignore_index=True)
    valid = c[col].dropna()
    valid = valid[valid != "ZZZZZZZZZ"]
    if wanted is not None:
        _check_codes(level, wanted, valid)
        c = c[c[col].isin(wanted)]
    else:
        c = c[c[col].isin(set(valid))]
    out = pd.DataFrame({"code": c[col], "com": c["com"], "population": c["population"]})
    return out.sort_values(["code", "com"], ignore_index=True)


#: Levels that add up exactly from units of another zoning.
_EXACT = {
    "commune": {"commune"},
    "epci": {"commune", "epci"},
    "metropole": {"commune", "epci"},
    "ti": {"commune", "epci"},
    "dep": {"commune", "dep"},
    "reg": {"commune", "dep", "reg"},
    "ze2020": {"commune", "ze2020"},
    "ze2010": {"ze2010"},
}
_DIRECT = {"commune": "commune", "epci": "epci", "metropole": "epci", "dep": "dep", "reg": "reg",
           "ze2020": "ze2020", "ze2010": "ze2010"}


def zoning_mode(level: str, zonings: Iterable[str], allow_ze_proxy: bool = True) -> str | None:
    """How a source counted in ``zonings`` can express areas of ``level``.

    'direct' (the source has the level itself; a métropole is an EPCI), 'aggregate' (sum of
    finer units that tile the area exactly), 'ze_proxy' (any area other than a zone d'emploi
    -- TI, métropole, EPCI, communes, département, région -- approximated by zones d'emploi
    flagged by population share), or None (not expressible).
    """
    level = normalise_level(level)
    zonings = set(zonings)
    if _DIRECT.get(level) in zonings:
        return "direct"
    if _EXACT[level] & zonings:
        return "aggregate"
    if allow_ze_proxy and level not in ("ze2020", "ze2010") and zonings & {"ze2020", "ze2010"}:
        return "ze_proxy"
    return None


def best_zoning(level: str, zonings: Iterable[str]) -> str:
    """The zoning of a multi-zoning source to use for ``level`` (direct first, then communes)."""
    level = normalise_level(level)
    zonings = list(zonings)
    if _DIRECT.get(level) in zonings and not (level == "ti"):
        return _DIRECT[level]
    for z in ("commune", "dep", "epci"):
        if z in zonings and z in _EXACT[level]:
            return z
    for z in ("ze2020", "ze2010"):
        if z in zonings:
            return z
    raise ValueError(f"no zoning of {zonings} expresses {level}")


def area_units(level: str, codes: str | Iterable[str] | None, zoning: str, *, wave: str = WAVE_2023,
               ze_threshold: float = 0.5, combine: bool = False, keep_unflagged: bool = False) -> pd.DataFrame:
    """Units of ``zoning`` that make up each area: ``code`` (area), ``unit``, ``coverage``.

    - same level (or a métropole on EPCI data): the unit is the area itself;
    - finer zoning (communes, départements, EPCI): the units tiling the area exactly;
    - a TI or a métropole on zones d'emploi ('ze2020', 'ze2010'): the zones with at least
      ``ze_threshold`` of their population inside the area (for ``combine=True``, inside
      the union of the areas). ``coverage`` is then the share of the area's population
      living in the flagged zones (1 for exact units). A TI that no zone reaches the
      threshold for raises ValueError (lower ``ze_threshold`` or use another source); with
      ``keep_unflagged=True`` it is left out of the table instead, unless every area is.
    """
    level = normalise_level(level)
    if level == zoning or (level == "metropole" and zoning == "epci"):
        if codes is None and level != "metropole":
            raise UnknownAreaError(f"give the {level} codes (None = all is only for 'ti' and 'metropole')")
        if level == "ze2010":
            wanted = _as_list(codes)
            _check_codes("ze2010", wanted, _communes()["ze2010"].dropna())
        else:
            ac = area_communes(level, codes, wave=wave)  # validates the codes
            wanted = sorted(ac["code"].unique()) if codes is None else _as_list(codes)
        return pd.DataFrame({"code": wanted, "unit": wanted, "coverage": 1.0})
    if codes is None and level not in ("ti", "metropole"):
        raise UnknownAreaError(f"give the {level} codes (None = all is only for 'ti' and 'metropole')")
    ac = area_communes(level, codes, wave=wave)
    if zoning in ("commune", "epci", "dep", "reg") and zoning in _EXACT[level]:
        c = _communes()[["com", "epci", "dep", "reg"]].rename(columns={"com": "commune"})
        m = ac.merge(c, left_on="com", right_on="commune")
        if zoning == "epci" and level == "ti":
            te = ti_epcis(wave)
            partial = te[~te["whole"] & te["ti_id"].isin(ac["code"])]
            if not partial.empty:
                raise ValueError(f"TI {sorted(partial['ti_id'].unique())[:5]} contain parts of EPCI: use communes")
        out = m[["code", zoning]].drop_duplicates().rename(columns={zoning: "unit"})
        return out.assign(coverage=1.0).sort_values(["code", "unit"], ignore_index=True)
    if zoning in ("ze2020", "ze2010"):
        if combine:
            ac = ac.assign(code="+".join(sorted(ac["code"].unique()))[:60])
        sh = zone_shares(ac, zoning, ze_threshold, group="code")
        flagged = sh[sh["flag"]]
        cov = flagged.groupby("code")["area_share"].sum()
        missing = sorted(set(ac["code"]) - set(flagged["code"]))
        if missing and not (keep_unflagged and len(missing) < ac["code"].nunique()):
            raise ValueError(f"no {zoning} has >= {ze_threshold:g} of its population in {level} {missing[:5]}: "
                             f"lower ze_threshold or use a commune/EPCI source")
        out = flagged[["code", zoning]].rename(columns={zoning: "unit"})
        out["coverage"] = out["code"].map(cov)
        return out.sort_values(["code", "unit"], ignore_index=True)
    raise ValueError(f"{zoning} units cannot express {level}")


# =============================================================================================
# One resolved area: level, codes, wave, names, communes, EPCIs, population, zone proxies
# =============================================================================================

#: Code formats by level, used to normalise and to say what is expected.
CODE_FORMATS = {
    "commune": "5-character INSEE code, e.g. '63113' or '2A004'",
    "epci": "9-digit SIREN, e.g. '244400644'",
    "ze2010": "4-digit zone d'emploi 2010 code, e.g. '8310'",
    "ze2020": "4-digit zone d'emploi 2020 code, e.g. '5219'",
    "dep": "département code, e.g. '63', '2A', '974'",
    "reg": "2-digit région code, e.g. '84', '04'",
    "ti": "Territoire d'industrie id 'ti-RRNN', e.g. 'ti-8416'",
    "metropole": "9-digit SIREN of one of the 22 métropoles, e.g. '244400404'",
}
_WIDTH = {"commune": 5, "epci": 9, "ze2010": 4, "ze2020": 4, "reg": 2, "metropole": 9}


def normalise_wave(wave) -> str:
    """'2018', 2018, '2018-2022' -> '2018-2022'; '2023', 2023, '2023-2027' -> '2023-2027'; else raise."""
    w = str(wave).strip()
    for full in WAVES:
        if w == full or w == full[:4] or w == full[-4:]:
            return full
    raise UnknownAreaError(f"unknown Territoires d'industrie wave {wave!r}; use '2018' (2018-2022) or '2023' (2023-2027)")


def normalise_code(level: str, code) -> str:
    """One code in its canonical form: ints accepted, leading zeros restored, TI ids lower-cased.

    Raises :class:`UnknownAreaError` naming the expected format for a value that cannot be a
    code of ``level`` (a float, an empty string, letters in a numeric code...)."""
    level = normalise_level(level)
    if isinstance(code, bool) or not isinstance(code, (str, numbers.Integral)):
        raise UnknownAreaError(f"{level} code {code!r} must be a string or an integer ({CODE_FORMATS[level]})")
    c = str(code).strip()
    if not c:
        raise UnknownAreaError(f"empty {level} code ({CODE_FORMATS[level]})")
    if level == "ti":
        c = c.lower().replace("_", "-")
        if c.isdigit() and len(c) <= 4:
            c = f"ti-{c.zfill(4)}"
        if not re.fullmatch(r"ti-\d{4}", c):
            raise UnknownAreaError(f"{code!r} is not a Territoire d'industrie id ({CODE_FORMATS['ti']})")
        return c
    if level == "dep":
        c = c.upper()
        if c.isdigit() and len(c) == 1:
            c = c.zfill(2)
        if not (c in ("2A", "2B") or (c.isdigit() and len(c) in (2, 3))):
            raise UnknownAreaError(f"{code!r} is not a département code ({CODE_FORMATS['dep']})")
        return c
    if level == "commune":
        c = c.upper()
        if c.isdigit() and len(c) < 5:
            c = c.zfill(5)
        if len(c) != 5 or not (c.isdigit() or (c[:2] in ("2A", "2B") and c[2:].isdigit())):
            raise UnknownAreaError(f"{code!r} is not a commune code ({CODE_FORMATS['commune']})")
        return c
    width = _WIDTH[level]
    if level in ("epci", "metropole") and re.fullmatch(r"\d{3}[ \u00a0\u202f]\d{3}[ \u00a0\u202f]\d{3}", c):
        c = re.sub(r"\D", "", c)  # a SIREN as it is often printed, '244 400 644'
    if level in ("epci", "metropole") and c.isdigit() and len(c) != width:  # a SIREN is never zero-padded
        raise UnknownAreaError(f"{code!r} is not an EPCI code: a SIREN has 9 digits ({CODE_FORMATS[level]})")
    if not c.isdigit() or len(c) > width:
        raise UnknownAreaError(f"{code!r} is not {'an' if level[0] in 'aeiou' else 'a'} {level.upper() if level == 'epci' else level} code ({CODE_FORMATS[level]})")
    return c.zfill(width)


def normalise_codes(level: str, codes) -> list[str]:
    """A bare string or int is ONE code; a list/tuple/set/Series is several. Empty is refused."""
    level = normalise_level(level)
    if codes is None:
        raise UnknownAreaError(f"give at least one {level} code ({CODE_FORMATS[level]})")
    if isinstance(codes, (str, numbers.Integral)):
        items = [codes]
    else:
        try:
            items = list(codes)
        except TypeError:
            raise UnknownAreaError(f"{level} codes must be a string, an integer or a list of them, not "
                                   f"{type(codes).__name__}") from None
    if not items:
        raise UnknownAreaError(f"empty list of {level} codes: give at least one ({CODE_FORMATS[level]})")
    out = list(dict.fromkeys(normalise_code(level, c) for c in items))
    return out


@lru_cache(maxsize=1)
def _zone_names() -> dict[str, pd.Series]:
    """Names of codes by level: 'reg', 'dep', 'epci' (incl. EPT), 'ze2020', 'ze2010', 'commune'."""
    s = _geo.load_supra_communal_zones_2024()
    out = {}
    for lv, key in (("reg", "REG"), ("dep", "DEP"), ("ze2020", "ZE2020")):
        out[lv] = s[s["level"] == key].drop_duplicates("code").set_index("code")["name"]
    e = s[s["level"].isin(["EPCI", "EPT"]) & (s["code"] != "ZZZZZZZZZ")]
    out["epci"] = e.drop_duplicates("code").set_index("code")["name"]
    z10 = _employment.load_ze2010_composition()
    out["ze2010"] = z10.drop_duplicates("ze2010").set_index("ze2010")["ze2010_name"]
    out["commune"] = _communes().set_index("com")["name"]
    out["metropole"] = _metropoles().set_index("siren")["name"]
    return out


def code_names(level: str) -> pd.Series:
    """Names of every code of a level (Series indexed by code); for 'ti', both waves are not
    mixed: use :func:`ti_names`."""
    level = normalise_level(level)
    if level == "ti":
        return ti_names(WAVE_2023)
    return _zone_names()[level].copy()


def ti_names(wave: str = WAVE_2023) -> pd.Series:
    """Names of the Territoires d'industrie of one wave, indexed by id."""
    wave = normalise_wave(wave)
    tm = _geo.load_ti_members()
    tm = tm[tm["wave"] == wave]
    return tm.drop_duplicates("ti_id").set_index("ti_id")["ti_name"].sort_index()
