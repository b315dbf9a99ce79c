"""EU ETS emitting sites: national ranking, shares by year, and the sites of any territory.

Functions take the long table of :func:`analysis.data.loaders.ets.load_eutl_emissions_fr_geo`
(``installation_id``, ``name``, ``kind``, ``activity_code``, ``lon``, ``lat``, ``year``,
``emissions_t``: verified emissions, t CO2e, stationary installations only, aviation excluded)
and never fetch. An installation is an EU ETS account: one industrial site may hold several.
An installation absent in a year (not yet in the ETS, closed, or no verified figure) has no row:
it is counted as absent, never as zero, and every total says how many installations it sums.

The territory functions take plain inputs: polygons (any GeoDataFrame / GeoSeries / shapely
geometry in WGS84 longitude-latitude, e.g. EPCI or zone d'emploi outlines) or a list of
installation ids, so that any territory profile can call them.

Installations in their own commune: :func:`place_sites` puts each installation in one 2024
commune from its postcode and registered town (La Poste postcode table, 2022, carried to 2024
communes by :func:`postcode_communes_2024`), or leaves it unplaced with the reason;
:func:`placed_ets_sites` does it for the whole mirror; :func:`sites_in_area` keeps the
installations whose commune belongs to a territory and :func:`unplaced_sites` lists those of its
départements that could not be placed (never counted in it). The extract's coordinates are one
point per postcode, not the installations' positions (see :func:`placed_ets_sites`): a point in
an outline says where the postcode is, not the installation.
"""

from __future__ import annotations

import difflib
import re
from functools import lru_cache

import numpy as np
import pandas as pd

from analysis.data.cache import derived
from analysis.data.validate import ascii_fold


class EmittersError(ValueError):
    """A year without data, a bad ranking size, polygons in an unexpected projection, or a table
    without the columns a function needs."""


def totals_by_year(emissions: pd.DataFrame) -> pd.DataFrame:
    """Verified emissions of all installations in the table by year: ``year``, ``emissions_t``, ``n_sites``."""
    e = emissions.dropna(subset=["emissions_t"])
    return e.groupby("year", as_index=False).agg(emissions_t=("emissions_t", "sum"), n_sites=("installation_id", "nunique"))


def top_sites(emissions: pd.DataFrame, n: int = 50, year: int = 2022) -> pd.DataFrame:
    """The ``n`` installations with the largest verified emissions in ``year``.

    Returns ``rank``, ``installation_id``, ``name``, ``kind``, ``zip_code``, ``lon``, ``lat``,
    ``emissions_t``, ``share`` (of all installations in the table that year, 0-1), ``cum_share``.
    Ties are broken by installation id so that the list is deterministic.
    """
    if n < 1:
        raise EmittersError(f"n must be a positive number of sites, got {n}")
    y = emissions[(emissions["year"] == year) & emissions["emissions_t"].notna()]
    if y.empty:
        raise EmittersError(f"no verified emissions in {year}; years present: "
                            f"{int(emissions['year'].min())}-{int(emissions['year'].max())}")
    total = float(y["emissions_t"].sum())
    cols = [c for c in ["installation_id", "name", "kind", "zip_code", "lon", "lat", "emissions_t"] if c in y.columns]
    top = y.sort_values(["emissions_t", "installation_id"], ascending=[False, True]).head(n)[cols].reset_index(drop=True)
    top.insert(0, "rank", range(1, len(top) + 1))
    top["share"] = top["emissions_t"] / total
    top["cum_share"] = top["share"].cumsum()
    return top


def top_share_by_year(emissions: pd.DataFrame, n: int = 50, fixed_year: int | None = None) -> pd.DataFrame:
    """Share of the ``n`` largest emitters in each year's total (0-1).

    ``fixed_year=None``: the top ``n`` are re-ranked every year; otherwise the list of
    ``fixed_year`` is followed through the years (its members absent in a year count as absent).
    Returns ``year``, ``top_t``, ``total_t``, ``share``, ``n_sites`` (installations in the total),
    ``n_top`` (top installations present that year).
    """
    tot = totals_by_year(emissions).set_index("year")
    e = emissions.dropna(subset=["emissions_t"])
    fixed = set(top_sites(emissions, n, fixed_year)["installation_id"]) if fixed_year is not None else None
    rows = []
    for year, g in e.groupby("year"):
        part = g[g["installation_id"].isin(fixed)] if fixed is not None else g.nlargest(n, "emissions_t")
        rows.append({"year": int(year), "top_t": float(part["emissions_t"].sum()), "total_t": float(tot.loc[year, "emissions_t"]),
                     "n_sites": int(tot.loc[year, "n_sites"]), "n_top": int(len(part))})
    out = pd.DataFrame(rows)
    out["share"] = out["top_t"] / out["total_t"]
    return out[["year", "top_t", "total_t", "share", "n_sites", "n_top"]]


def site_table(emissions: pd.DataFrame) -> pd.DataFrame:
    """One row per installation: ``installation_id``, ``name``, ``kind``, ``lon``, ``lat``, ``first_year``,
    ``last_year`` (years with a verified figure)."""
    e = emissions.dropna(subset=["emissions_t"])
    g = e.groupby("installation_id").agg(first_year=("year", "min"), last_year=("year", "max"))
    info = emissions.sort_values("year").drop_duplicates("installation_id", keep="last").set_index("installation_id")
    cols = [c for c in ["name", "kind", "zip_code", "lon", "lat"] if c in info.columns]
    return info[cols].join(g, how="inner").reset_index()


def _as_geoseries(polygons):
    import geopandas as gpd
    from shapely.geometry.base import BaseGeometry

    if isinstance(polygons, BaseGeometry):
        return gpd.GeoSeries([polygons], crs="EPSG:4326")
    gs = polygons.geometry if isinstance(polygons, gpd.GeoDataFrame) else polygons
    if gs.crs is not None and not gs.crs.equals("EPSG:4326"):
        gs = gs.to_crs("EPSG:4326")
    return gs


def sites_within(emissions: pd.DataFrame, polygons) -> list[str]:
    """Ids of the installations whose point (``lon``, ``lat``, WGS84) lies inside ``polygons``
    (a shapely geometry, GeoSeries or GeoDataFrame; reprojected to WGS84 if it has another CRS)."""
    import geopandas as gpd

    shape = _as_geoseries(polygons).union_all()
    sites = site_table(emissions)
    pts = gpd.GeoSeries(gpd.points_from_xy(sites["lon"], sites["lat"]), crs="EPSG:4326")
    return sorted(sites.loc[pts.within(shape).to_numpy(), "installation_id"])


def area_trend(emissions: pd.DataFrame, installation_ids) -> pd.DataFrame:
    """Verified emissions of a set of installations by year: ``year``, ``emissions_t``, ``n_sites``
    (installations with a figure that year). Years where none reports are absent, not zero."""
    ids = set(installation_ids)
    return totals_by_year(emissions[emissions["installation_id"].isin(ids)])


def emissions_by_zone(emissions: pd.DataFrame, zones, code: str, year: int) -> pd.DataFrame:
    """Verified emissions of ``year`` summed by zone (a GeoDataFrame with a ``code`` column, e.g.
    zones d'emploi 2020): ``code``, ``emissions_t``, ``n_sites``, ``share`` (of the year's total of the
    installations located in any zone). Installations outside every zone are reported in ``attrs['outside']``."""
    import geopandas as gpd

    y = emissions[(emissions["year"] == year) & emissions["emissions_t"].notna()]
    pts = gpd.GeoDataFrame(y, geometry=gpd.points_from_xy(y["lon"], y["lat"]), crs="EPSG:4326")
    z = zones[[code, "geometry"]].to_crs("EPSG:4326") if zones.crs is not None else zones[[code, "geometry"]]
    j = gpd.sjoin(pts, z, how="left", predicate="within").drop_duplicates("installation_id")
    inside = j[j[code].notna()]
    out = inside.groupby(code, as_index=False).agg(emissions_t=("emissions_t", "sum"), n_sites=("installation_id", "nunique"))
    out["share"] = out["emissions_t"] / out["emissions_t"].sum()
    out = out.sort_values("emissions_t", ascending=False, ignore_index=True)
    out.attrs["outside"] = sorted(j.loc[j[code].isna(), "installation_id"])
    return out


# =============================================================================================
# Installations placed in their own commune (postcode, town name, coordinates)
# =============================================================================================

#: How :func:`place_sites` placed an installation, strongest evidence first.
PLACEMENT_METHODS = ("postcode+city", "postcode+coordinates", "département+city", "single commune postcode", "unplaced")
#: Coordinates farther than this from every candidate commune's centroid decide nothing (km).
MAX_CENTROID_KM = 10.0
_KM_PER_DEGREE = 111.2

_CEDEX = re.compile(r"\bCEDEX\b.*$")
_ABBREVIATIONS = {"ST": "SAINT", "STE": "SAINTE", "LEZ": "LES"}


def fold_place_name(text) -> str:
    """A town name reduced for matching: accents and case folded, punctuation to spaces, 'CEDEX'
    and what follows dropped, trailing numbers dropped, 'ST'/'STE' spelled out, 'LEZ' written 'LES'.

    'Saint-Maurice l'Exil' -> 'SAINT MAURICE L EXIL'; 'Albi Cedex 9' -> 'ALBI';
    'St Fons' -> 'SAINT FONS'; 'Le Mesnil - Amelot' -> 'LE MESNIL AMELOT'. Missing -> ''.
    """
    if text is None or (not isinstance(text, str) and pd.isna(text)):
        return ""
    s = ascii_fold(str(text)).upper().replace("\u0152", "OE").replace("\u00c6", "AE")
    s = re.sub(r"[^A-Z0-9]+", " ", s)
    s = _CEDEX.sub("", s)
    words = s.split()
    while words and words[-1].isdigit():
        words.pop()
    return " ".join(_ABBREVIATIONS.get(w, w) for w in words)


@lru_cache(maxsize=200_000)
def _fold_str(text: str) -> str:
    return fold_place_name(text)


def _fold_series(values: pd.Series) -> pd.Series:
    """:func:`fold_place_name` of each value of a column (missing -> ''), as an object column."""
    v = values.astype(object).to_numpy()
    return pd.Series([_fold_str(x) if isinstance(x, str) else "" for x in v], index=values.index, dtype=object)


def postcode_departement(postcode: str) -> str:
    """The département prefix a postcode begins with: '59140' -> '59', '97232' -> '972',
    '20090' -> '20' (Corsica: 2A and 2B share it). CEDEX postcodes begin the same way."""
    p = str(postcode)
    return p[:3] if p.startswith("97") else p[:2]


def postcode_communes_2024(postcodes: pd.DataFrame, communes: pd.DataFrame | None = None,
                           history: pd.DataFrame | None = None) -> pd.DataFrame:
    """The La Poste table with every 2022 commune code carried to its 2024 commune.

    ``postcodes``: :func:`analysis.data.loaders.geo.load_laposte_postcodes_2022` (or any table with
    its columns); ``communes``: 2024 communes with ``com`` and ``name`` (default
    :func:`analysis.geo.areas.communes`); ``history``: optional INSEE COG events table (see
    :func:`analysis.methods.official_aggregate.commune_successors`).

    A 2022 code is mapped, in this order: (1) it is a 2024 commune ('2024'); (2) an arrondissement
    municipal of Paris, Lyon or Marseille to its commune (:func:`analysis.geo.areas.commune_codes_2024`,
    'arrondissement'); (3) through ``history`` ('history'); (4) to the one 2024 commune of the same
    département whose name contains the 2022 name as whole words (a commune nouvelle named after its
    members: PIERRE BENITE -> Oullins-Pierre-Bénite, 'name in commune nouvelle'); otherwise
    ``com_2024`` is <NA> ('not a 2024 commune': merged since 2022 into a commune nouvelle of another
    name, or an overseas collectivity outside the INSEE table).

    Returns the rows of ``postcodes`` with ``com_2024``, ``name_2024`` (the 2024 commune's name),
    ``how`` and ``dep_prefix`` (the postcode's :func:`postcode_departement`).
    """
    from analysis.geo import areas

    c = (areas.communes() if communes is None else communes)[["com", "name"]].drop_duplicates("com")
    com24 = [str(x) for x in c["com"].astype(object)]
    name24 = dict(zip(com24, c["name"].astype(object)))
    codes = list(dict.fromkeys(str(x) for x in postcodes["com"].astype(object)))
    target = {k: k for k in codes if k in name24}
    how = dict.fromkeys(target, "2024")
    rest = pd.Series([k for k in codes if k not in name24], dtype=object)
    if len(rest):
        arm = areas.commune_codes_2024(rest)
        for k, v in zip(rest, arm):
            if v != k and v in name24:
                target[k], how[k] = v, "arrondissement"
    if history is not None:
        from analysis.methods.official_aggregate import commune_successors

        succ = commune_successors(history, set(name24)).to_dict()
        for k in codes:
            if k not in target and k in succ:
                target[k], how[k] = succ[k], "history"
    todo = [k for k in codes if k not in target]
    if todo:
        names22 = dict(zip(postcodes["com"].astype(object).map(str), postcodes["name"].astype(object)))
        wanted = {postcode_departement(k) for k in todo}
        by_dep: dict = {}
        for k in com24:
            d = postcode_departement(k)
            if d in wanted:
                by_dep.setdefault(d, []).append((k, " " + _fold_str(name24[k]) + " "))
        for k in todo:
            old = _fold_str(names22.get(k) or "")
            if old:
                pool = [com for com, folded in by_dep.get(postcode_departement(k), []) if f" {old} " in folded]
                if len(pool) == 1:
                    target[k], how[k] = pool[0], "name in commune nouvelle"
    out = postcodes.copy()
    key = out["com"].astype(object).map(str)
    out["com_2024"] = key.map(target).astype(object)
    out["how"] = key.map(how).fillna("not a 2024 commune")
    out["name_2024"] = out["com_2024"].map(name24)
    out["dep_prefix"] = out["postcode"].astype(object).map(lambda z: postcode_departement(str(z)))
    return out


def ets_site_locations(emissions: pd.DataFrame, addresses: pd.DataFrame) -> pd.DataFrame:
    """One row per installation of ``emissions`` with what locates it: ``installation_id``, ``name``,
    ``zip_code`` and ``lon``/``lat`` of the geo extract (:func:`analysis.data.loaders.ets.load_eutl_emissions_fr_geo`),
    ``city`` and ``zip_code_registry`` of the registry's address
    (:func:`analysis.data.loaders.ets.load_eutl_installation_addresses`; <NA> when the registry
    has no address for the installation)."""
    cols = [c for c in ["installation_id", "name", "zip_code", "lon", "lat"] if c in emissions.columns]
    s = emissions.sort_values("year").drop_duplicates("installation_id", keep="last")[cols]
    a = addresses[["installation_id", "city", "zip_code"]].rename(columns={"zip_code": "zip_code_registry"})
    return s.merge(a, on="installation_id", how="left").sort_values("installation_id", ignore_index=True)


def _km(lon0: float, lat0: float, lon: np.ndarray, lat: np.ndarray) -> np.ndarray:
    """Distances (km) from one point to many, equirectangular (good to a few per mille at these ranges)."""
    dx = (lon - lon0) * np.cos(np.radians((lat + lat0) / 2))
    return _KM_PER_DEGREE * np.hypot(dx, lat - lat0)


def _word_prefix(short: str, long: str) -> bool:
    """``short`` is the first whole words of ``long`` ('SAINT DIE' of 'SAINT DIE DES VOSGES')."""
    return long == short or long.startswith(short + " ")


class _Pool:
    """Communes a town name is matched against (the communes of a postcode, of a département, or
    all): ``rows`` are (key, folded 2022 name, folded 2024 name, folded locality, folded delivery
    label), key = 2024 code, else the La Poste 2022 code."""

    def __init__(self, rows, exact_only: bool = False):
        self.exact: list[dict] = [{}, {}, {}]
        self.names, self.spellings = [], []
        names: dict = {}
        localities: dict = {}
        for key, name, name24, locality, label in rows:
            for tier, values in ((0, (name, name24)), (1, (locality,)), (2, (label,))):
                for v in values:
                    if v:
                        self.exact[tier].setdefault(v, set()).add(key)
            if name and not exact_only:
                names.setdefault((key, name), None)
            if locality and not exact_only:
                localities.setdefault((key, locality), None)
        self.names = list(names)
        self.spellings = list(dict.fromkeys(self.names + list(localities)))

    def match(self, city: str, fuzzy: float = 0.85, prefix: bool = True) -> tuple[list[str], str]:
        """Keys of the communes the folded town name ``city`` designates, and how. The first test
        that finds any decides: commune name (2022 or 2024), locality (Ligne 5), delivery label,
        whole-word prefix either way ('SAINT DIE' / 'SAINT DIE DES VOSGES', 'METZ BORNY' / 'METZ';
        with ``prefix``), a close spelling of a name or locality (difflib ratio at least ``fuzzy``,
        0 = none: 'TURCKEIM' / 'TURCKHEIM')."""
        if not city:
            return [], ""
        for tier, label in enumerate(("commune name", "locality (Ligne 5)", "delivery label")):
            hit = self.exact[tier].get(city)
            if hit:
                return sorted(hit), label
        if prefix:
            hit = {k for k, n in self.names if _word_prefix(city, n) or _word_prefix(n, city)}
            if hit:
                return sorted(hit), "first words of the commune name"
        if fuzzy and self.spellings:
            sm = difflib.SequenceMatcher(None, "", city)
            ratios = []
            for k, n in self.spellings:
                sm.set_seq1(n)
                ratios.append(sm.ratio() if sm.real_quick_ratio() >= fuzzy and sm.quick_ratio() >= fuzzy else 0.0)
            best = max(ratios)
            if best >= fuzzy:
                hit = {k for (k, _), r in zip(self.spellings, ratios) if r == best}
                return sorted(hit), f"close spelling ({best:.2f}) of the commune name or locality"
        return [], ""


def place_sites(sites: pd.DataFrame, postcodes: pd.DataFrame, *, max_km: float = MAX_CENTROID_KM,
                use_coordinates: bool = True) -> pd.DataFrame:
    """Place each installation in a 2024 commune from its postcode, town name and coordinates.

    ``sites``: one row per installation with ``installation_id``, ``zip_code``, ``city``, ``lon``,
    ``lat`` and optionally ``name`` and ``zip_code_registry`` (a second postcode to try, e.g. the
    registry's when the geo extract gives another): :func:`ets_site_locations`. ``postcodes``:
    :func:`postcode_communes_2024` (La Poste 2022 rows with their 2024 commune).

    Rule, per installation (``method``, one of :data:`PLACEMENT_METHODS`); town names are folded
    by :func:`fold_place_name` and matched on the commune name, then the locality, the delivery
    label, the first words, a close spelling (:meth:`_Pool.match`):

    1. candidates: the communes its postcode(s) serve in the La Poste table;
    2. 'postcode+city': the town names exactly one candidate;
    3. 'postcode+coordinates': the town names several candidates, or none while no commune of the
       département or elsewhere fits it either: the installation's coordinates decide, the commune
       whose centroid is nearest if within ``max_km`` (only with ``use_coordinates``: coordinates
       geocoded from the postcode alone, as in the EU ETS extract, tell nothing more than the
       postcode; see :func:`placed_ets_sites`);
    4. 'département+city': the town names none of the postcode's communes (or the postcode is not
       in the La Poste table: a CEDEX postcode) but exactly one commune whose postcodes begin like
       the installation's (same département; a close spelling must reach a ratio of 0.9): the town
       wins over the postcode, which is often the operator's office ('Sochaux' with postcode 25000
       of Besançon);
    5. 'single commune postcode': the town names no commune of the département nor, by its exact
       name or locality, any commune elsewhere (postcode and town disagreeing: 'AURILLAC' with
       postcode 16000 of Angoulême is left unplaced), and the postcode serves one commune;
    6. otherwise 'unplaced', with the reason. A 2022 commune that is no 2024 commune
       (:func:`postcode_communes_2024`) leaves the site unplaced too. A site is never given to
       an EPCI, a département or any wider area.

    Returns one row per installation: ``installation_id``, ``name``, ``city`` (as given), ``com``
    (2024 code, <NA> when unplaced), ``com_name`` (2024 name), ``method``, ``reason`` (the
    evidence, in words), ``postcode`` (the one used), ``dep_prefix`` (its département prefix, to
    list the unplaced sites of an area's départements), ``com_2022`` (La Poste code, <NA> for
    unplaced sites and for communes placed by their 2024 name only), ``distance_km`` (from the
    installation's coordinates to the centroid of the commune chosen; NaN without coordinates or
    commune), ``n_candidates`` (communes the postcode serves; 0 when it is not in the table).
    """
    need = ["installation_id", "zip_code", "city", "lon", "lat"]
    missing = [c for c in need if c not in sites.columns]
    if missing:
        raise EmittersError(f"place_sites: sites lack column(s) {missing}; it has {list(sites.columns)}. "
                            f"Build them with ets_site_locations(emissions, addresses)")
    need = ["com", "name", "postcode", "locality", "delivery_label", "lat", "lon", "com_2024", "name_2024", "how",
            "dep_prefix"]
    missing = [c for c in need if c not in postcodes.columns]
    if missing:
        raise EmittersError(f"place_sites: postcodes lack column(s) {missing}; build them with "
                            f"postcode_communes_2024(load_laposte_postcodes_2022())")
    pc = postcodes.reset_index(drop=True)
    key_of = pc["com_2024"].astype("object").where(pc["com_2024"].notna(), pc["com"].astype(str)).to_numpy()
    folded = [_fold_series(pc[c]).to_numpy() for c in ("name", "name_2024", "locality", "delivery_label")]
    rows_all = list(zip(key_of, *folded))
    by_postcode = pc.groupby("postcode", sort=False).indices
    by_dep = pc.groupby("dep_prefix", sort=False).indices
    pools: dict = {}

    def pool_of(kind: str, codes: tuple = ()) -> _Pool:
        if (kind, codes) not in pools:
            if kind == "everywhere":  # exact names only: built once, when a site first needs it
                pools[(kind, codes)] = _Pool(rows_all, exact_only=True)
            else:
                index = by_postcode if kind == "postcode" else by_dep
                pools[(kind, codes)] = _Pool([rows_all[i] for c in codes for i in index.get(c, [])])
        return pools[(kind, codes)]

    first = pd.Series(range(len(pc))).groupby(key_of).first()
    info = pc.loc[first.to_numpy(), ["com", "lon", "lat", "com_2024", "name_2024", "how", "name"]].set_index(first.index)
    rows = []
    for s in sites.to_dict("records"):
        raw_city = s.get("city")
        city = fold_place_name(raw_city)
        lon, lat = s.get("lon"), s.get("lat")
        has_xy = lon is not None and lat is not None and pd.notna(lon) and pd.notna(lat)
        codes = [str(z).strip() for z in dict.fromkeys([s.get("zip_code"), s.get("zip_code_registry")])
                 if isinstance(z, str) and z.strip()]
        known = [z for z in codes if z in by_postcode]
        used = known[0] if known else (codes[0] if codes else "")
        key, method, reason = None, "unplaced", ""
        cand_keys = list(dict.fromkeys(key_of[i] for z in known for i in by_postcode[z]))
        n_cand = len(cand_keys)
        hit, how = pool_of("postcode", tuple(known)).match(city)
        served = (f"postcode {'/'.join(known)} ({n_cand} commune{'s' if n_cand > 1 else ''})" if known
                  else f"postcode {used or '(none)'} (not in the La Poste table: a CEDEX postcode?)")
        pool_keys: list = []
        if len(hit) == 1:
            key, method = hit[0], "postcode+city"
            reason = f"town {raw_city!r} matches the {how} of one commune of {served}"
        elif hit:
            pool_keys, why = hit, f"town {raw_city!r} matches the {how} of {len(hit)} communes of {served}"
        else:
            deps = sorted({postcode_departement(z) for z in codes})
            dhit, dhow = pool_of("dep", tuple(deps)).match(city, fuzzy=0.9)
            where = f"postcodes {'/'.join(deps)}..." if deps else "any postcode"
            elsewhere = [] if dhit else pool_of("everywhere").match(city, fuzzy=0, prefix=False)[0]
            if len(dhit) == 1:
                key, method = dhit[0], "département+city"
                reason = (f"town {raw_city!r} names no commune of {served} but matches the {dhow} of one commune "
                          f"with {where}")
            elif dhit:
                reason = f"town {raw_city!r} names no commune of {served} and {len(dhit)} communes with {where}"
            elif elsewhere:
                other = ", ".join(f"{k} {info.loc[k, 'name']}" for k in elsewhere[:3])
                reason = (f"town {raw_city!r} names no commune of {served} nor with {where}, but commune(s) elsewhere "
                          f"({other}{' ...' if len(elsewhere) > 3 else ''}): postcode and town disagree")
            elif n_cand == 1:
                key, method = cand_keys[0], "single commune postcode"
                reason = f"{served} serves {info.loc[key, 'name']} only; town {raw_city!r} matches no commune with {where}"
            elif n_cand:
                pool_keys = sorted(cand_keys)
                why = f"town {raw_city!r} matches no commune of {served} nor of {where}"
            else:
                reason = f"town {raw_city!r} matches no commune with {where}; {served}"
        if pool_keys:
            if not use_coordinates:
                reason = f"{why}; coordinates not used"
            elif not has_xy:
                reason = f"{why}; no coordinates to decide"
            else:
                xy = info.loc[pool_keys]
                d = _km(float(lon), float(lat), xy["lon"].to_numpy(float), xy["lat"].to_numpy(float))
                i = int(np.argmin(d))
                if d[i] <= max_km:
                    key, method = pool_keys[i], "postcode+coordinates"
                    reason = (f"{why}; the coordinates lie {d[i]:.1f} km from the centroid of this one, the nearest of "
                              f"{len(pool_keys)}")
                else:
                    reason = f"{why}; the coordinates lie {d[i]:.1f} km from the nearest centroid (over {max_km:g} km)"
        com24 = name24 = com22 = pd.NA
        dist = np.nan
        if key is not None:
            row = info.loc[key]
            com22 = row["com"]
            if pd.isna(row["com_2024"]):
                outside = str(com22).startswith(("975", "977", "978", "98"))
                reason = (f"{reason}; but its code {com22} ({row['name']}, La Poste 2022) is no commune of the INSEE "
                          + ("2024 table (an overseas collectivity outside it)" if outside else
                             "2024 table (merged since 2022; give a COG events table to postcode_communes_2024)"))
                method = "unplaced"
            else:
                com24, name24 = row["com_2024"], row["name_2024"]
                if row["how"] != "2024":
                    reason = f"{reason}; La Poste code {com22} -> 2024 commune {com24} ({row['how']})"
                if has_xy:
                    dist = float(_km(float(lon), float(lat), np.array([row["lon"]]), np.array([row["lat"]]))[0])
        rows.append({"installation_id": s["installation_id"], "name": s.get("name", pd.NA), "city": raw_city,
                     "com": com24, "com_name": name24, "method": method, "reason": reason, "postcode": used,
                     "dep_prefix": postcode_departement(used) if used else pd.NA, "com_2022": com22,
                     "distance_km": dist, "n_candidates": n_cand})
    cols = ["installation_id", "name", "city", "com", "com_name", "method", "reason", "postcode", "dep_prefix",
            "com_2022", "distance_km", "n_candidates"]
    return pd.DataFrame(rows, columns=cols)


def _codes(communes) -> set[str]:
    if isinstance(communes, pd.DataFrame):
        if "com" not in communes.columns:
            raise EmittersError(f"communes: a table with a 'com' column expected (e.g. Area.communes); it has "
                                f"{list(communes.columns)}")
        return set(communes["com"].astype(str))
    if isinstance(communes, str):
        return {communes}
    return {str(c) for c in communes}


def sites_in_area(placed: pd.DataFrame, communes) -> pd.DataFrame:
    """The placed installations whose 2024 commune is one of ``communes`` (a table with ``com``, such as
    :attr:`analysis.geo.areas.Area.communes`, or an iterable of 2024 commune codes).

    ``placed``: :func:`place_sites`. Unplaced installations never count (see
    :func:`unplaced_sites`). Returns the rows of ``placed``, sorted by ``installation_id``.
    """
    codes = _codes(communes)
    inside = placed["method"].ne("unplaced") & placed["com"].astype("string").isin(codes).fillna(False)
    return placed[inside.to_numpy()].sort_values("installation_id", ignore_index=True)


def unplaced_sites(placed: pd.DataFrame, communes) -> pd.DataFrame:
    """Installations that could not be placed and whose postcode begins like the postcodes of
    ``communes``' départements (the sites an area might hold, listed apart, never counted in it).
    ``communes``: a table with ``com`` (e.g. ``Area.communes``) or commune codes."""
    deps = {c[:3] if c.startswith("97") else c[:2] for c in _codes(communes)}
    deps |= {"20"} if deps & {"2A", "2B"} else set()
    hit = placed["method"].eq("unplaced") & placed["dep_prefix"].astype("string").isin(deps).fillna(False)
    return placed[hit.to_numpy()].sort_values("installation_id", ignore_index=True)


@lru_cache(maxsize=2)
@derived(version=1)
def _placed_ets_sites(use_coordinates: bool) -> pd.DataFrame:
    from analysis.data.loaders import ets, geo

    emissions = ets.load_eutl_emissions_fr_geo()
    sites = ets_site_locations(emissions, ets.load_eutl_installation_addresses())
    return place_sites(sites, postcode_communes_2024(geo.load_laposte_postcodes_2022()), use_coordinates=use_coordinates)


def placed_ets_sites(use_coordinates: bool = False) -> pd.DataFrame:
    """Every stationary EU ETS installation of the mirror placed by :func:`place_sites` (geo extract,
    registry addresses, La Poste 2022 table, 2024 communes); computed once and kept in the data cache
    (:func:`analysis.data.cache.derived`).

    ``use_coordinates`` is False by default because the extract's coordinates are one point per
    postcode, not the installation's position: in each of the 63 postcodes where installations lie
    in two or more communes by their town name, they all carry the same coordinates, and 643 of the
    794 installations placed by town in a postcode serving several communes sit within 0.5 km of
    the centroid of ANOTHER commune of the postcode. Deciding by them would give the postcode's
    main commune whatever the installation's town.
    """
    return _placed_ets_sites(bool(use_coordinates)).copy()
