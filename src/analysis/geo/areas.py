"""One territory resolved once: :class:`Area`, :class:`Resolver`, :func:`resolve`, :func:`resolve_many`.

An :class:`Area` holds the level, canonical codes, TI wave, names, 2024 communes with their
populations, EPCIs and the zone-d'emploi proxies with their coverage. The base tables
(communes, TI members, zone shares, code formats) live in :mod:`analysis.geo.tables`, and are
re-exported here so that ``from analysis.geo import areas`` gives the whole geography API;
names are looked up in :mod:`analysis.geo.lookup` (which imports only the tables, so there is
no import cycle).
"""

from __future__ import annotations

import numbers
import re
from dataclasses import dataclass, field
from functools import cached_property, lru_cache
from typing import Iterable

import numpy as np
import pandas as pd

from analysis.geo import lookup as _lookup
from analysis.geo.tables import (  # noqa: F401 - re-exported: the geography API in one module
    CODE_FORMATS, LEVELS, OVERSEAS_REGIONS, ROUEN_DEP, ROUEN_ZE2020, UnknownAreaError, WAVES, WAVE_2018, WAVE_2023,
    ZONE_SHARE_ZONINGS, _communes, _metropoles, _ti_communes, _zone_names, area_communes, area_units,
    best_zoning, code_names, commune_codes_2024, communes, main_zones, metropole_communes,
    metropole_main_zones, metropoles, normalise_code, normalise_codes, normalise_level, normalise_wave,
    rouen_extract_communes, ti_communes, ti_epcis, ti_names, ti_summary, ze2010_to_ze2020,
    ze2010_ze2020_overlap, ze_groups, ze_metropole_shares, ze_ti_shares, zone_population, zone_share_rows, zone_shares,
    zoning_mode,
)


@dataclass(frozen=True, eq=False)
class Area:
    """One territory resolved once: what it is, who lives there, and which zones stand for it.

    ``level`` ('commune', 'epci', 'ze2010', 'ze2020', 'dep', 'reg', 'ti', 'metropole'),
    ``codes`` (canonical codes, tuple), ``wave`` (TI wave '2018-2022' / '2023-2027' for level
    'ti', else None), ``names`` (one per code, same order), ``communes`` (2024 communes of
    the union of the codes, columns of :func:`communes`, each commune once), ``epcis``
    (SIRENs of the EPCI/EPT members for a TI, else of the EPCIs the communes belong to).
    Populations: municipal population, 2024 geography (inhabitants).

    Zone-d'emploi proxy (:meth:`zone_proxy`): the zones with at least ``threshold`` (default
    0.5) of THEIR population inside the area; ``coverage`` is the share of the AREA's
    population living in those zones. If no zone reaches the threshold the proxy is empty
    and :meth:`zone_proxy` says so (no silent fallback).
    """

    level: str
    codes: tuple
    wave: str | None
    names: tuple
    communes: pd.DataFrame
    epcis: tuple
    label: str = ""
    #: Population of every zone of each zoning ('ze2020', 'ze2010'); filled by the :class:`Resolver`.
    zone_population: dict | None = field(default=None, repr=False)

    @property
    def name(self) -> str:
        """The label given, else the names joined ('; ')."""
        return self.label or "; ".join(self.names)

    @property
    def population(self) -> int:
        return int(self.communes["population"].sum())

    @cached_property
    def region(self) -> str:
        """Code of the région holding most of the area's population (computed once per area: the atlas
        asks three times per territory)."""
        codes, regions = pd.factorize(self.communes["reg"])  # a région's population: summed from its communes'
        keep = codes >= 0
        sums = np.bincount(codes[keep], weights=self.communes["population"].to_numpy()[keep], minlength=len(regions))
        return str(min(r for r, v in zip(regions, sums) if v == sums.max()))  # a tie: the lowest code

    @property
    def region_name(self) -> str:
        return str(_zone_names()["reg"].get(self.region, self.region))

    @property
    def overseas(self) -> bool:
        """True when the main région is overseas (Guadeloupe, Martinique, Guyane, La Réunion, Mayotte)."""
        return self.region in OVERSEAS_REGIONS

    def describe(self) -> str:
        """'Territoire d'industrie ti-5214 Saint-Nazaire Loire Estuaire (2023-2027)' and the like."""
        kind = {"ti": "Territoire d'industrie", "epci": "EPCI", "commune": "commune", "ze2020": "zone d'emploi 2020",
                "ze2010": "zone d'emploi 2010", "dep": "département", "reg": "région", "metropole": "métropole"}
        parts = [f"{c} {n}" for c, n in zip(self.codes, self.names)]
        wave = f" ({self.wave} wave)" if self.wave else ""
        head = f"{kind[self.level]} {'; '.join(parts[:5])}{' ...' if len(parts) > 5 else ''}"
        return f"{self.label + ': ' if self.label else ''}{head}{wave}"

    def zone_proxy(self, zoning: str = "ze2020", threshold: float = 0.5) -> pd.DataFrame:
        """Zones of ``zoning`` with at least ``threshold`` of their population in the area.

        Returns ``zone``, ``name``, ``population`` (zone), ``population_in``, ``share`` (of the
        zone's population inside the area), ``area_share`` (of the area's population in the
        zone), sorted by code; empty if no zone reaches the threshold."""
        pop = (self.zone_population[zoning] if self.zone_population is not None and zoning in self.zone_population
               else zone_population(zoning))
        members = self.communes[["com", zoning, "population"]].rename(columns={zoning: "zone"})
        sh = zone_share_rows(members, pop, threshold, zoning=zoning)
        sh = sh[sh["flag"] & (sh["population_in"] > 0)].rename(columns={zoning: "zone"})
        sh.insert(1, "name", sh["zone"].map(_zone_names()[zoning]).fillna(""))
        return sh[["zone", "name", "population", "population_in", "share", "area_share"]].reset_index(drop=True)

    def proxy_coverage(self, zoning: str = "ze2020", threshold: float = 0.5) -> float:
        """Share of the area's population living in its proxy zones (0 when there are none)."""
        return float(self.zone_proxy(zoning, threshold)["area_share"].sum())

    def proxy_rule(self, zoning: str = "ze2020", threshold: float = 0.5) -> str:
        """The rule applied, in words, with its coverage (for captions)."""
        z = self.zone_proxy(zoning, threshold)
        lab = zoning.upper().replace("ZE", "ZE ")
        if z.empty:
            return (f"no {lab} has at least {threshold:.0%} of its population in the area: no zone-d'emploi proxy")
        return (f"{len(z)} {lab} zone(s) with at least {threshold:.0%} of their population in the area; "
                f"they hold {z['area_share'].sum():.0%} of the area's population")


def _suggest(level: str, code: str) -> str:
    """The hint of :func:`analysis.geo.lookup.suggest` ('' when none; never raises)."""
    return _lookup.suggest(level, code)


def _normalise_codes(level: str, codes) -> list[str]:
    """:func:`normalise_codes`, its refusal of a code's format followed by what the code is instead."""
    try:
        return normalise_codes(level, codes)
    except UnknownAreaError as err:
        items = [codes] if isinstance(codes, (str, numbers.Integral)) else None
        if items is None:
            try:
                items = list(codes)
            except TypeError:
                items = []
        for c in items:
            try:
                normalise_code(level, c)
            except UnknownAreaError:
                raise UnknownAreaError(f"{err}{_suggest(level, c)}") from None
        raise


def _row_groups(values: pd.Series) -> dict[str, np.ndarray]:
    """Positions of the rows holding each code of ``values`` (missing and 'ZZZZZZZZZ' left out)."""
    codes, uniques = pd.factorize(values.to_numpy(dtype=object))
    order = np.argsort(codes, kind="stable")
    bounds = np.searchsorted(codes[order], np.arange(len(uniques) + 1))
    return {str(u): order[bounds[k]:bounds[k + 1]] for k, u in enumerate(uniques) if u != "ZZZZZZZZZ"}


class Resolver:
    """Resolves many areas fast: the crosswalks are built once from the loaded tables.

    ``communes``: :func:`communes` (one row per 2024 commune with its zonings and population);
    ``names``: level -> Series of names indexed by code ('reg', 'dep', 'ze2020', 'ze2010',
    'epci' incl. Grand Paris EPT, 'commune', 'metropole'); ``ti_communes``: wave ->
    :func:`ti_communes` of that wave; ``ti_names``: wave -> :func:`ti_names` of that wave;
    ``metropole_epcis``: SIREN of each métropole (its communes are those of that EPCI).

    At construction the resolver indexes the commune rows of every code of every level and of
    every TI of both waves, and the population of every zone d'emploi (2010, 2020); after that,
    :meth:`resolve` only selects rows (a few milliseconds). The resolver never changes after
    construction: the same request always gives the same :class:`Area`. :func:`resolver`
    returns the one built from the public tables (memoised per process); :func:`resolve` and
    :func:`resolve_many` use it.
    """

    def __init__(self, communes: pd.DataFrame, names: dict, ti_communes: dict, ti_names: dict,
                 metropole_epcis: Iterable[str] = ()):
        c = communes.sort_values("com", ignore_index=True)
        self._communes = c
        self._names = {lv: s.copy() for lv, s in names.items()}
        self._ti_names = {w: s.copy() for w, s in ti_names.items()}
        rows: dict[str, dict[str, np.ndarray]] = {}
        for lv, col in (("commune", "com"), ("epci", "epci"), ("ze2020", "ze2020"), ("ze2010", "ze2010"),
                        ("dep", "dep"), ("reg", "reg")):
            rows[lv] = _row_groups(c[col])
        for k, v in _row_groups(c["ept"]).items():  # an EPT SIREN is accepted at level 'epci'
            rows["epci"].setdefault(k, v)
        rows["metropole"] = {m: rows["epci"][m] for m in metropole_epcis if m in rows["epci"]}
        self._rows = rows
        com_index = pd.Index(c["com"])
        self._ti: dict[str, dict[str, tuple[np.ndarray, tuple]]] = {}
        for w, tc in ti_communes.items():
            pos = com_index.get_indexer(tc["com"])
            if (pos < 0).any():
                raise UnknownAreaError(f"TI communes of wave {w} not in the commune table: "
                                       f"{sorted(set(tc['com'][pos < 0]))[:10]}")
            members = tc.groupby("ti_id")["member_siren"].unique()
            self._ti[w] = {tid: (np.unique(pos[r]), tuple(sorted(members[tid])))
                           for tid, r in _row_groups(tc["ti_id"]).items()}
        self._zone_population = {z: c.dropna(subset=[z]).groupby(z)["population"].sum() for z in ("ze2020", "ze2010")}

    @classmethod
    def from_tables(cls) -> "Resolver":
        """The resolver of the public tables (INSEE 2024 communes, Etalab populations, ANCT TI files)."""
        return cls(_communes(), _zone_names(), {w: _ti_communes(w) for w in WAVES},
                   {w: ti_names(w) for w in WAVES}, _metropoles()["siren"])

    def known(self, level: str, wave: str | None = None) -> pd.Series:
        """Names of every code of ``level`` (for 'ti', of ``wave``; default 2023-2027)."""
        level = normalise_level(level)
        if level == "ti":
            return self._ti_names[normalise_wave(wave or WAVE_2023)]
        return self._names[level]

    def resolve(self, level, codes=None, *, wave=None, name: str | None = None) -> Area:
        """See :func:`resolve` (same arguments, same result)."""
        if isinstance(level, Area):
            return level
        level = normalise_level(level)
        if wave is not None and level != "ti":  # one reading of a request: the command line refuses it too
            raise UnknownAreaError(f"a wave applies only to a Territoire d'industrie (level 'ti'), not to {level} "
                                   f"{codes!r}: drop wave={wave!r}")
        wave = normalise_wave(wave) if wave is not None else (WAVE_2023 if level == "ti" else None)
        wanted = _normalise_codes(level, codes)
        known = self.known(level, wave)
        unknown = [c for c in wanted if c not in known.index]
        if unknown:
            extra = ""
            if level == "ti":
                other = [w for w in WAVES if w != wave][0]
                in_other = [c for c in unknown if c in self._ti_names[other].index]
                if in_other:
                    extra = f"; {in_other} exist in the {other} wave (pass wave='{other[:4]}')"
            raise UnknownAreaError(f"unknown {level} code(s) {unknown[:10]} ({CODE_FORMATS[level]}){extra}"
                                   f"{_suggest(level, unknown[0])}")
        names = tuple(str(known[c]) for c in wanted)
        empty = np.array([], dtype=np.intp)
        if level == "ti":
            parts = [self._ti[wave].get(c, (empty, ())) for c in wanted]
            idx = np.unique(np.concatenate([p[0] for p in parts]))
            epcis = tuple(sorted({s for p in parts for s in p[1]}))
        else:
            idx = np.unique(np.concatenate([self._rows[level].get(c, empty) for c in wanted]))
            epcis = tuple(wanted) if level in ("epci", "metropole") else None
        if not len(idx):
            raise UnknownAreaError(f"{level} {wanted} has no commune in the 2024 commune table")
        sub = self._communes.iloc[idx].reset_index(drop=True)
        if epcis is None:
            epcis = tuple(sorted(set(sub["epci"]) - {"ZZZZZZZZZ"}))
        return Area(level=level, codes=tuple(wanted), wave=wave, names=names, communes=sub, epcis=epcis,
                    label=name or "", zone_population=self._zone_population)

    def zone_shares_by_code(self, level, zoning: str = "ze2020", *, wave=None, threshold: float = 0.5) -> pd.DataFrame:
        """Zone-d'emploi proxy shares of EVERY code of ``level`` at once (for a TI, of ``wave``).

        One row per (``code``, ``zone``) sharing inhabitants: ``population`` (zone),
        ``population_in`` (zone population inside the area), ``share`` (of the zone's population
        inside the area), ``area_share`` (of the area's population in the zone), ``flag``
        (share >= ``threshold``). For one code these rows are those of
        :meth:`Area.zone_proxy` before its filter on ``flag``; the proxy coverage of a code is
        the sum of ``area_share`` over its flagged rows."""
        level = normalise_level(level)
        if zoning not in self._zone_population:
            raise ValueError(f"zoning {zoning!r}: use 'ze2020' or 'ze2010'")
        if level == "ti":
            units = self._ti[normalise_wave(wave or WAVE_2023)]
            pairs = [(k, v[0]) for k, v in units.items()]
        else:
            pairs = list(self._rows[level].items())
        code = np.repeat([k for k, _ in pairs], [len(v) for _, v in pairs])
        row = np.concatenate([v for _, v in pairs]) if pairs else np.array([], dtype=np.intp)
        c = self._communes
        members = pd.DataFrame({"code": code, "zone": c[zoning].to_numpy(dtype=object)[row],
                                "population": c["population"].to_numpy(dtype="int64")[row]})
        return zone_share_rows(members, self._zone_population[zoning], threshold, group="code", zoning="zone")

    def resolve_many(self, level, codes, *, wave=None) -> list[Area]:
        """One :class:`Area` per code of ``codes`` (an iterable of single codes), in order."""
        return [self.resolve(level, c, wave=wave) for c in codes]


@lru_cache(maxsize=1)
def resolver() -> Resolver:
    """The :class:`Resolver` of the public tables, built once per process."""
    return Resolver.from_tables()


def resolve_many(level, codes, *, wave=None) -> list[Area]:
    """One :class:`Area` per code (see :func:`resolve`), with the shared :func:`resolver`."""
    return resolver().resolve_many(level, codes, wave=wave)


def require_areas(areas, where: str) -> list[Area]:
    """``areas`` as a list when each is a resolved :class:`Area`; else a one-line TypeError naming ``where``, the
    item and how to resolve it (the functions that take an Area resolve nothing themselves)."""
    items = list(areas) if isinstance(areas, (list, tuple)) else [areas]
    for item in items:
        if not isinstance(item, Area):
            raise TypeError(f"{where} takes territories resolved once by rc.resolve, got {item!r}: give e.g. "
                            f"rc.resolve('commune', '97611') or rc.resolve('ti', 'ti-0401', wave='2018')")
    return items


def resolve(level, codes=None, *, wave=None, name: str | None = None) -> Area:
    """Resolve a level and code(s) (and, for a TI, a wave; default 2023-2027) into an :class:`Area`.

    ``level``: a level name or alias (see :func:`normalise_level`), or an :class:`Area`
    (returned as is). ``codes``: one code (str or int; a bare string is one code) or a list;
    codes are normalised (:func:`normalise_code`); an empty selection is refused. Unknown
    codes raise :class:`UnknownAreaError` naming them, the expected format and the closest
    names. ``name``: a label for the area (default: the names of its codes).
    The first call builds the shared :func:`resolver` (about a second); later calls take
    milliseconds.
    """
    return resolver().resolve(level, codes, wave=wave, name=name)
