"""Find a territory's codes by name, and the territories that hold a place.

``python -m analysis.geo.lookup QUERY`` (``recalcul lookup QUERY``, or :func:`lookup` in the
package) lists every area whose name (or code) matches ``QUERY``, accent-, case- and
punctuation-insensitive: communes (INSEE 2024), EPCI and Grand Paris EPT (2024), zones
d'emploi 2010 and 2020, départements and régions (2024), and the Territoires d'industrie of
BOTH waves (their ids are reused between waves with other members, so each row carries its
wave). Words match in any order, and a word may name the département or région where the
area lies ("Aubrac Lozère"). Each row says why it matched (column ``why``).

For a commune found by its code or its exact name, the areas that HOLD it follow it, marked
in column ``holds``: its EPCI (and Grand Paris EPT), zones d'emploi 2020 and 2010,
département, région and the Territoires d'industrie of both waves whose members include it.
When nothing matches, the closest names are suggested.

``python -m analysis.geo.lookup Maubeuge`` lists the commune 59392 held by the EPCI
200043396, the zone d'emploi 2020 3217, the département 59, the région 32 and the TIs
ti-3210 (2018-2022) and ti-3207 (2023-2027), then the other areas named Maubeuge.

:func:`suggest` turns a code refused at one level into a hint naming what it is (a commune
code given as an EPCI, ``DEP=20`` for Corsica, a commune merged since 2020, a name given as a
code); :func:`analysis.geo.areas.resolve` and :func:`analysis.geo.request.check_request` add
it to their one-line refusals.
"""

from __future__ import annotations

import difflib
import re
import sys
import unicodedata
from functools import lru_cache

import pandas as pd

from analysis.data.loaders import employment as _employment
from analysis.geo import tables as geography

__all__ = ["fold", "index", "lookup", "containers", "merged_communes", "suggest", "collectivity_note",
           "arrondissement_note", "format_table", "main", "LEVEL_ORDER"]

#: Order in which levels are listed (largest first after the TIs).
LEVEL_ORDER = ("ti", "reg", "dep", "ze2020", "ze2010", "epci", "commune")
#: Order of the areas holding a commune (smallest first).
HOLDER_ORDER = ("epci", "ze2020", "ze2010", "dep", "reg", "ti")
_LEVEL_LABEL = {"ti": "Territoire d'industrie", "reg": "région", "dep": "département", "ze2020": "zone d'emploi 2020",
                "ze2010": "zone d'emploi 2010", "epci": "EPCI", "commune": "commune", "metropole": "métropole"}
#: How a code of each level is requested on the command line (``recalcul profile --epci`` / ``make profile EPCI=``).
_OPTION = {"ti": "TI", "epci": "EPCI", "ze2020": "ZE", "dep": "DEP", "reg": "REG", "commune": "COMMUNE"}
_COLUMNS = ["level", "code", "name", "wave", "dep", "match", "why", "holds"]


#: abbreviations of place names, as whole words of a folded query
_SAINTS = {"st": "saint", "ste": "sainte", "sts": "saints", "stes": "saintes"}
_ABBREVIATIONS = re.compile(r"\b(?:" + "|".join(_SAINTS) + r")\b")


def fold(text: str) -> str:
    """Lower case, accents removed, punctuation (hyphens, apostrophes) as spaces: 'Saint-Étienne' -> 'saint etienne'."""
    t = unicodedata.normalize("NFKD", str(text))
    t = "".join(ch for ch in t if not unicodedata.combining(ch)).lower()
    t = t.replace("œ", "oe").replace("æ", "ae")
    return re.sub(r"[^0-9a-z]+", " ", t).strip()


@lru_cache(maxsize=1)
def _index() -> pd.DataFrame:
    rows = []
    for lv in ("reg", "dep", "ze2020", "ze2010", "epci", "commune"):
        names = geography.code_names(lv)
        rows.append(pd.DataFrame({"level": lv, "code": names.index.astype(str), "name": names.values.astype(str),
                                  "wave": ""}))
    for w in geography.WAVES:
        n = geography.ti_names(w)
        rows.append(pd.DataFrame({"level": "ti", "code": n.index, "name": n.values.astype(str), "wave": w}))
    out = pd.concat(rows, ignore_index=True)
    c = geography.communes()
    out["dep"] = ""
    com = out["level"] == "commune"
    out.loc[com, "dep"] = out.loc[com, "code"].map(c.set_index("com")["dep"]).fillna("")
    out["key"] = out["name"].map(fold)
    out["_order"] = out["level"].map({lv: i for i, lv in enumerate(LEVEL_ORDER)})
    return out


@lru_cache(maxsize=1)
def _where() -> pd.DataFrame:
    """Where each named area lies: one row per (``row`` of :func:`_index`, ``dep``, ``reg``) holding
    some of its 2024 communes (a département lies in its région; a région in itself)."""
    idx = _index()
    c = geography.communes()
    pos = pd.Series(idx.index, index=pd.MultiIndex.from_frame(idx[["level", "code", "wave"]]))
    parts = []
    for lv, col in (("commune", "com"), ("epci", "epci"), ("epci", "ept"), ("ze2020", "ze2020"), ("ze2010", "ze2010"),
                    ("dep", "dep"), ("reg", "reg")):
        p = pd.DataFrame({"code": c[col].to_numpy(dtype=object), "dep": c["dep"].to_numpy(dtype=object),
                          "reg": c["reg"].to_numpy(dtype=object)}).dropna().drop_duplicates()
        parts.append(p.assign(level=lv, wave=""))
    for w in geography.WAVES:
        tc = geography._ti_communes(w)[["ti_id", "com"]].merge(c[["com", "dep", "reg"]], on="com")
        parts.append(tc.rename(columns={"ti_id": "code"})[["code", "dep", "reg"]].drop_duplicates().assign(level="ti", wave=w))
    p = pd.concat(parts, ignore_index=True)
    keys = pd.MultiIndex.from_frame(p[["level", "code", "wave"]])
    p["row"] = pos.reindex(keys).to_numpy()
    return p.dropna(subset=["row"]).astype({"row": "int64"})[["row", "dep", "reg"]].drop_duplicates().reset_index(drop=True)


def _lies_in(word: str) -> pd.Index:
    """Rows of :func:`_index` whose area lies (partly) in a département or région named with ``word``."""
    rx = re.compile(r"(?:^| )" + re.escape(word) + r"(?:$| )")
    deps = [k for k, n in geography.code_names("dep").items() if rx.search(fold(n))]
    regs = [k for k, n in geography.code_names("reg").items() if rx.search(fold(n))]
    if not deps and not regs:
        return pd.Index([], dtype="int64")
    w = _where()
    return pd.Index(w.loc[w["dep"].isin(deps) | w["reg"].isin(regs), "row"].unique())


def index() -> pd.DataFrame:
    """Every named area: ``level``, ``code``, ``name``, ``wave`` (TIs only), ``dep`` (communes only)."""
    return _index()[["level", "code", "name", "wave", "dep"]].copy()


@lru_cache(maxsize=1)
def _holders() -> pd.DataFrame:
    """One row per (commune, area holding it): ``com``, ``level``, ``code``, ``wave``."""
    c = geography.communes()
    parts = []
    for lv, col in (("epci", "epci"), ("epci", "ept"), ("ze2020", "ze2020"), ("ze2010", "ze2010"), ("dep", "dep"),
                    ("reg", "reg")):
        p = c[["com", col]].rename(columns={col: "code"}).dropna()
        parts.append(p[p["code"] != "ZZZZZZZZZ"].assign(level=lv, wave=""))
    for w in geography.WAVES:
        tc = geography._ti_communes(w)[["com", "ti_id"]].rename(columns={"ti_id": "code"}).drop_duplicates()
        parts.append(tc.assign(level="ti", wave=w))
    out = pd.concat(parts, ignore_index=True)
    out["_h"] = out["level"].map({lv: i for i, lv in enumerate(HOLDER_ORDER)})
    out = out.sort_values(["com", "_h", "wave", "code"], kind="stable").drop(columns="_h")
    return out.reset_index(drop=True)


def containers(commune: str) -> pd.DataFrame:
    """The areas that hold one 2024 commune, smallest first: ``level``, ``code``, ``name``,
    ``wave`` (TIs: '2018-2022' / '2023-2027', else ''): its EPCI (and Grand Paris EPT), zones
    d'emploi 2020 and 2010, département, région, and every Territoire d'industrie of both waves
    whose members include it (a commune outside any TI of a wave has no row for that wave).

    ``containers('59392')`` (Maubeuge): EPCI 200043396, ZE2020 3217, ZE2010 3117, dép. 59,
    région 32, ti-3210 (2018-2022) and ti-3207 (2023-2027). Raises
    :class:`analysis.geo.tables.UnknownAreaError` for a code that is not a 2024 commune (with
    the hint of :func:`suggest`)."""
    com = geography.normalise_code("commune", commune)
    h = _holders()
    rows = h[h["com"] == com]
    if rows.empty:
        raise geography.UnknownAreaError(f"containers: {com!r} is not a 2024 commune "
                                         f"({geography.CODE_FORMATS['commune']}){suggest('commune', commune)}")
    idx = _index().set_index(["level", "code", "wave"])["name"]
    names = [idx.get((r.level, r.code, r.wave), "") for r in rows.itertuples()]
    return rows[["level", "code", "wave"]].assign(name=names)[["level", "code", "name", "wave"]].reset_index(drop=True)


def _holder_rows(hits: pd.DataFrame, idx: pd.DataFrame) -> pd.DataFrame:
    """Rows of the areas holding the communes of ``hits`` (exact name or code), in the lookup's columns."""
    h = _holders()
    h = h[h["com"].isin(hits["code"])]
    names = hits.set_index("code")["name"]
    rows = h.merge(idx.drop(columns=["dep"]), on=["level", "code", "wave"], how="inner")
    return rows.assign(dep="", match="holds commune", holds=rows["com"],
                       why=[f"holds the commune {names[c]} ({c})" for c in rows["com"]])


def lookup(query: str, levels=None, limit: int | None = 50) -> pd.DataFrame:
    """Areas whose folded name contains the folded ``query`` (its words in any order), or whose
    code equals it, and the areas holding a commune found by code or exact name.

    ``levels``: restrict to some levels (default all, see :data:`LEVEL_ORDER`). Returns
    ``level``, ``code``, ``name``, ``wave`` ('2018-2022' / '2023-2027' for TIs, else ''),
    ``dep`` (for communes), ``match``, ``why`` (the reason in words) and ``holds``:

    - ``match`` 'code': the code equals the query;
    - 'name': the name contains the query as written ('name is ...' when equal), or all its
      words in any order ('name contains all words ...'), or some of them while the others
      name the département or région where the area lies ('Aubrac Lozère': an EPCI with
      Aubrac in its name, in Lozère);
    - 'holds commune': the area holds a commune found by its code or its exact name (its EPCI,
      zones d'emploi, département, région, Territoires d'industrie of both waves); ``holds`` is
      that commune's code ('' on the other rows) and the row follows the commune's;
    - 'close': nothing matched; a close spelling.

    Rows are sorted by level (:data:`LEVEL_ORDER`), best matches first; the areas holding a
    commune follow it. At most ``limit`` rows (``None``: all).

    Raises ValueError for an empty query, TypeError for a query that is not text (a code given
    as a number, ``lookup(44184)``: codes are text, with their leading zeros) and ValueError for a
    ``limit`` that is not a positive integer (0, -1, 2.5, True).
    """
    if query is not None and not isinstance(query, str):
        raise TypeError(f"lookup: query {query!r} is a {type(query).__name__}, not text; give part of a name or a "
                        f"code as a string, e.g. lookup('Saint-Nazaire') or lookup('44184')")
    if limit is not None and (isinstance(limit, bool) or not isinstance(limit, int) or limit < 1):
        raise ValueError(f"lookup: limit {limit!r} is not a positive whole number of rows; give e.g. limit=50, "
                         f"or limit=None for every match")
    q = fold(query) if query is not None else ""
    if not q:
        raise ValueError("empty query: give part of a name or a code, e.g. 'Saint-Nazaire' or '244400644'")
    q = _ABBREVIATIONS.sub(lambda m: _SAINTS[m.group(0)], q)  # 'st nazaire' -> 'saint nazaire'
    ti_spaced = re.fullmatch(r"ti (\d{4})", q)  # 'TI 0401', 'ti_0401' -> the id 'ti-0401'
    full = _index()
    idx = full
    if levels is not None:
        levels = [geography.normalise_level(lv) for lv in ([levels] if isinstance(levels, str) else levels)]
        idx = idx[idx["level"].isin(levels)]
    raw = f"ti-{ti_spaced.group(1)}" if ti_spaced else str(query).strip().lower()
    words = list(dict.fromkeys(q.split()))
    by_code = idx["code"].str.lower() == raw
    by_word = idx["key"].str.contains(re.compile(r"(?:^| )" + re.escape(q) + r"(?:$| )"))
    by_part = idx["key"].str.contains(q, regex=False)
    in_name = pd.DataFrame({w: idx["key"].str.contains(w, regex=False) for w in words}, index=idx.index)
    in_place = pd.DataFrame({w: idx.index.isin(_lies_in(w)) for w in words}, index=idx.index)
    all_in_name = in_name.all(axis=1) & (len(words) > 1)
    with_place = (in_name | in_place).all(axis=1) & in_name.any(axis=1) & ~in_name.all(axis=1)
    hit = idx[by_code | by_part | all_in_name | with_place].copy()
    is_code = hit["code"].str.lower().eq(raw)
    hit["match"] = is_code.map({True: "code", False: "name"})
    why = pd.Series("", index=hit.index, dtype=object)
    why[is_code] = "code"
    sel = ~is_code & hit["key"].eq(q)
    why[sel] = f"name is {q!r}"
    sel = ~is_code & ~hit["key"].eq(q) & by_part[hit.index]
    why[sel] = f"name contains {q!r}"
    sel = (why == "") & all_in_name[hit.index]
    why[sel] = "name contains all words (" + ", ".join(words) + ")"
    for i in hit.index[why == ""]:
        named = [w for w in words if in_name.at[i, w]]
        others = [w for w in words if not in_name.at[i, w]]
        why[i] = f"name contains {' '.join(named)!r}; lies in {' '.join(others)!r} (its département or région)"
    hit["why"] = why
    hit["holds"] = ""
    hit["_rank"] = ((~hit["key"].eq(q)).astype(int) + (~by_word[hit.index]).astype(int)
                    + 2 * (~by_part[hit.index]).astype(int) + (~all_in_name[hit.index] & ~by_part[hit.index]).astype(int))
    # communes found by code or exact name (in any level selection): the areas that hold them
    exact = full[(full["level"] == "commune") & (full["key"].eq(q) | full["code"].str.lower().eq(raw))]
    hold = _holder_rows(exact, idx) if len(exact) else hit.iloc[:0].assign(com="")
    if hit.empty and hold.empty:
        keys = idx["key"].drop_duplicates().tolist()
        close = difflib.get_close_matches(q, keys, n=8, cutoff=0.6)
        hit = idx[idx["key"].isin(close)].assign(
            match="close", why=f"close spelling of {q!r}", holds="",
            _rank=lambda d: d["key"].map({k: i for i, k in enumerate(close)}))
        hit = hit.sort_values(["_order", "_rank", "name", "code", "wave"], kind="stable")
        out = hit[_COLUMNS].reset_index(drop=True)
        return out if limit is None else out.head(limit)
    hit = hit.sort_values(["_order", "_rank", "name", "code", "wave"], kind="stable")
    direct = hit[_COLUMNS].reset_index(drop=True)
    if not hold.empty:
        # an area both matched and holding the commune is listed once, as a holder, with both reasons
        key = ["level", "code", "wave"]
        both = direct.merge(hold[key].drop_duplicates().assign(_h=True), on=key, how="left")
        moved = both["_h"].notna().to_numpy()
        hold = hold.merge(direct.loc[moved, key + ["why"]].rename(columns={"why": "why_d"}), on=key, how="left")
        hold["why"] = [f"{d}; {w}" if isinstance(d, str) else w for d, w in zip(hold["why_d"], hold["why"])]
        rest = direct[~moved]
        own = (rest["level"] == "commune") & rest["code"].isin(hold["com"])
        # each commune found by code or exact name first, with the areas that hold it, then the other matches
        parts = []
        for com in dict.fromkeys(exact["code"]):
            parts += [rest[own & (rest["code"] == com)], hold.loc[hold["com"] == com, _COLUMNS]]
        direct = pd.concat(parts + [rest[~own]], ignore_index=True)
    return direct if limit is None else direct.head(limit)


# =============================================================================================
# Hints for a refused code: what it is, and what to ask instead
# =============================================================================================


@lru_cache(maxsize=1)
def merged_communes() -> pd.DataFrame:
    """Communes of 2020 (INSEE ZE2010 composition table) that are not 2024 communes: merged since.

    Columns: ``com`` (2020 code), ``name`` (2020 name), ``dep``, ``ze2010``, ``joined`` (the 2024
    commune it most likely joined, '' when the tables cannot tell), ``joined_name``, ``how`` (the
    evidence, in words). The mirror holds no COG events table, so the commune joined is read from
    the two tables the geography already has: (1) the only 2024 commune of the same département
    whose name contains the former name as whole words (Béon -> Culoz-Béon); else (2) the only
    2024 commune of the same département and zone d'emploi 2010 renamed since 2020 (a commune
    nouvelle usually keeps the code of one of its members under a new name; a spelling fix,
    Montgaillard -> Montgailhard, is not a renaming here), given as 'possibly';
    else none, with the renamed communes of the département listed as candidates. 36 rows.
    """
    z = _employment.load_ze2010_composition()
    c = geography.communes()
    gone = z[~z["commune"].isin(c["com"])]
    old_name = z.set_index("commune")["commune_name"]
    old_ze = z.set_index("commune")["ze2010"]
    c = c.assign(key=c["name"].map(fold), old=c["com"].map(old_name))
    renamed = c[c["old"].notna() & (c["old"] != c["name"])]
    # a spelling fixed (Montgaillard -> Montgailhard) is not a commune nouvelle
    renamed = renamed[[difflib.SequenceMatcher(None, fold(o), k).ratio() < 0.8
                       for o, k in zip(renamed["old"], renamed["key"])]]
    rows = []
    for r in gone.itertuples():
        k = fold(r.commune_name)
        same = c[(c["dep"] == r.dep) & c["key"].str.contains(re.compile(r"(?:^| )" + re.escape(k) + r"(?:$| )"))]
        joined, how = "", ""
        if len(same) == 1:
            joined = same["com"].iloc[0]
            how = f"its 2024 name contains the former name {r.commune_name!r}"
        else:
            cand = renamed[(renamed["dep"] == r.dep) & (renamed["com"].map(old_ze) == r.ze2010)]
            if len(cand) == 1:
                joined = cand["com"].iloc[0]
                how = (f"possibly: the only commune of dép. {r.dep} and zone d'emploi 2010 {r.ze2010} renamed since "
                       f"2020 ({cand['old'].iloc[0]} -> {cand['name'].iloc[0]})")
            else:
                cand = renamed[renamed["dep"] == r.dep]
                how = ("the tables do not say which commune it joined; communes of dép. "
                       f"{r.dep} renamed since 2020: " + (", ".join(f"{x.com} {x.name}" for x in cand.head(6).itertuples())
                                                         or "none"))
        rows.append({"com": r.commune, "name": r.commune_name, "dep": r.dep, "ze2010": r.ze2010, "joined": joined,
                     "joined_name": str(c.set_index("com")["name"].get(joined, "")) if joined else "", "how": how})
    return pd.DataFrame(rows, columns=["com", "name", "dep", "ze2010", "joined", "joined_name", "how"])


def _ask(level: str, code: str) -> str:
    opt = _OPTION.get(level)
    return f"{opt}={code}" if opt else f"level {level!r} code {code!r}"


# INSEE codes of the arrondissements municipaux of Paris (75101-75120), Marseille (13201-13216) and Lyon
# (69381-69389), each to its commune: not communes of the commune table
_ARRONDISSEMENTS = {**{c: "75056" for c in range(75101, 75121)}, **{c: "13055" for c in range(13201, 13217)},
                    **{c: "69123" for c in range(69381, 69390)}}


_NOT_COVERED = ("a collectivité d'outre-mer, not in INSEE's commune table that every area here is built from: not "
                "covered (the overseas départements 971-974 and 976 are)")


def _collectivity(level: str, raw: str) -> str:
    """What ``raw`` is when it is the code of a collectivité d'outre-mer (``DEP=975``) or of one of its communes
    (``COMMUNE=97501``); '' otherwise."""
    com = geography.OVERSEAS_COLLECTIVITIES
    if level in ("dep", "reg") and raw in com:
        return f"{raw} is {com[raw]}, {_NOT_COVERED}"
    if level == "commune" and re.fullmatch(r"\d{5}", raw) and raw[:3] in com:
        named = geography.collectivity_communes().get(raw)
        what = f"{raw} ({named} in La Poste's table)" if named else raw
        return f"{what} is a commune of {com[raw[:3]]}, {_NOT_COVERED}"
    return ""


def collectivity_note(query: str) -> str:
    """A note when ``query`` names a collectivité d'outre-mer or one of its communes ('Saint-Martin', 'Papeete',
    'Miquelon'): what it is and that it is not covered ('' otherwise). Every word of the query must be a word
    of the name, accents and case aside."""
    words = set(fold(query).split())
    if not words:
        return ""
    named = [f"{name} ({code})" for code, name in geography.OVERSEAS_COLLECTIVITIES.items()
             if words <= set(fold(name).split())]
    communes = geography.collectivity_communes()
    named += [f"{name} ({code}, {geography.OVERSEAS_COLLECTIVITIES[code[:3]]})" for code, name in communes.items()
              if words <= set(fold(name).split())]
    if not named:
        return ""
    return f"{', '.join(named[:6])}{' ...' if len(named) > 6 else ''}: {_NOT_COVERED}"


def _ordinal_words(text: str) -> set[str]:
    """Folded words, ordinals written one way: '3ème', '3eme', '3e' -> '3e'; '1er', '1ere' -> '1er'."""
    out = set()
    for w in fold(text).split():
        m = re.fullmatch(r"(\d+)(?:er|ere|e|eme|ieme)?", w)
        out.add(w if m is None else ("1er" if m.group(1) == "1" else f"{int(m.group(1))}e"))
    return out


def arrondissement_note(query: str) -> str:
    """A note when ``query`` names an arrondissement municipal of Paris, Lyon or Marseille ('Lyon 3e',
    'Marseille 8ème arrondissement'): it is not a commune, and which commune holds it ('' otherwise)."""
    words = _ordinal_words(query)
    if not words or not any(w[0].isdigit() for w in words):
        return ""
    arm = geography.arrondissements_2024()
    hits = [r for r in arm.itertuples() if words <= _ordinal_words(r.name)]
    if not hits:
        return ""
    city = geography.code_names("commune")
    return "; ".join(f"{r.name} ({r.arm}) is an arrondissement municipal, not a commune: use COMMUNE={r.com} "
                     f"({city.get(r.com, r.com)})" for r in hits[:3])


def _wrong_kind(level: str, raw: str) -> str:
    """What ``raw`` is when it is not a code of ``level`` ('' when nothing is known)."""
    collectivity = _collectivity(level, raw)
    if collectivity:
        return collectivity
    names = {lv: geography.code_names(lv) for lv in ("commune", "epci", "ze2020", "ze2010", "dep", "reg")}
    if level == "dep" and raw in ("20", "020"):
        return (f"Corsica is two départements, 2A ({names['dep'].get('2A', '')}) and 2B ({names['dep'].get('2B', '')}): "
                "use DEP=2A or DEP=2B (both: DEP=2A,2B)")
    if level == "commune" and re.fullmatch(r"20\d{3}", raw):
        found = [f"{p}{raw[2:]} ({names['commune'][p + raw[2:]]})" for p in ("2A", "2B")
                 if p + raw[2:] in names["commune"].index]
        return ("Corsican commune codes start with 2A or 2B, not 20" + (": " + " or ".join(found) if found else ""))
    if level == "commune" and raw.isdigit() and int(raw) in _ARRONDISSEMENTS:
        city = _ARRONDISSEMENTS[int(raw)]
        return (f"{raw} is an arrondissement municipal of {names['commune'].get(city, city)}, not a commune: "
                f"use COMMUNE={city} (the 2024 commune table lists the commune, not its arrondissements)")
    if level == "commune":
        m = merged_communes().set_index("com")
        if raw in m.index:
            r = m.loc[raw]
            maybe = r["how"].startswith("possibly: ")
            how = r["how"][len("possibly: "):] if maybe else r["how"]
            joined = (f"; it {'possibly ' if maybe else ''}joined {r['joined']} {r['joined_name']} ({how}): "
                      f"use COMMUNE={r['joined']}" if r["joined"] else f"; {how}")
            return f"{raw} was the commune {r['name']} (dép. {r['dep']}) in 2020, merged into a commune nouvelle since{joined}"
    out = []
    for lv in ("commune", "epci", "ze2020", "ze2010", "dep", "reg", "ti"):
        if lv == level or (lv == "epci" and level == "metropole"):
            continue
        if lv == "ti":
            c = raw.lower()
            waves = [w for w in geography.WAVES if c in geography.ti_names(w).index]
            if waves:
                both = len(waves) > 1
                out.append(f"{c} is a Territoire d'industrie id ({' and '.join(waves)} wave{'s' if both else ''}): "
                           f"use TI={c}" + (" (WAVE=2018 for the 2018-2022 one)" if both else
                                            " WAVE=2018" if waves == [geography.WAVE_2018] else ""))
            continue
        c = raw.upper()
        if c not in names[lv].index:
            continue
        text = f"{c} is {'an' if lv in ('epci',) else 'a'} {_LEVEL_LABEL[lv]} code ({names[lv][c]}): use {_ask(lv, c)}"
        if lv == "commune" and level in HOLDER_ORDER:
            h = containers(c)
            h = h[h["level"] == level]
            if len(h):
                what = {"epci": "EPCI", "ti": "Territoire(s) d'industrie"}.get(level, _LEVEL_LABEL.get(level, level))
                text += f" or its {what}: " + ", ".join(
                    f"{_ask(level, x.code)}{' WAVE=2018' if x.wave == geography.WAVE_2018 else ''} "
                    f"({x.name}{', ' + x.wave if x.wave else ''})" for x in h.itertuples())
        out.append(text)
    return "; ".join(out)


def suggest(level: str, code) -> str:
    """A hint for a ``code`` refused at ``level``, to append to the refusal ('' when none), one line.

    What the code is when it is a code of another level (a commune code given as an EPCI:
    '59392 is a commune code (Maubeuge): use COMMUNE=59392 or its EPCI: EPCI=200043396 (...)'),
    Corsica for ``DEP=20`` (2A and 2B) and for commune codes starting with 20, the commune a
    merged commune joined (:func:`merged_communes`), else the closest names (a name given as
    a code: 'did you mean ...'). Never raises: a hint must not hide the refusal."""
    try:
        lv = geography.normalise_level(level)
        raw = str(code).strip()
        if not raw:
            return ""
        kind = _wrong_kind(lv, raw) or (arrondissement_note(raw) if not raw.isdigit() else "")
        if kind:
            return "; " + kind
        hits = lookup(raw, levels=None if lv in ("metropole",) else [lv], limit=5)
        if hits.empty:
            hits = lookup(raw, limit=5)
        hits = hits[hits["match"] != "holds commune"] if (hits["match"] != "holds commune").any() else hits
        # a name that is also a collectivité d'outre-mer's (Saint-Martin): the places of that name, then the note
        note = collectivity_note(raw) if not raw.isdigit() else ""
        if note and (hits["match"] == "close").all():  # only spellings close to it ('Papeete': Oppedette): left out
            hits = hits.iloc[:0]
    except Exception:  # noqa: BLE001 - a suggestion must never hide the real error
        return ""
    said = "; did you mean " + ", ".join(
        f"{_LEVEL_LABEL.get(r.level, r.level)} {r.code} ({r.name}{', ' + r.wave if r.wave else ''})"
        for r in hits.itertuples()) + "?" if not hits.empty else ""
    return said + (f"; {note}" if note else "")


def format_table(hits: pd.DataFrame) -> str:
    """Plain-text listing used by the CLI: one line per area; the areas holding a commune are
    indented under it ('held by'), each TI with its wave."""
    lines = []
    has_holds = "holds" in hits.columns
    for r in hits.itertuples():
        extra = f" [{r.wave}]" if r.wave else (f" (dép. {r.dep})" if r.dep else "")
        if has_holds and r.holds:
            lines.append(f"    held by {_LEVEL_LABEL[r.level]:<24} {r.code:<10} {r.name}{extra}")
        else:
            why = getattr(r, "why", "") or ""
            said = f"   <- {why}" if ("all words" in why or "lies in" in why) else ""
            lines.append(f"{_LEVEL_LABEL[r.level]:<24} {r.code:<10} {r.name}{extra}{said}")
    return "\n".join(lines)


def main(argv: list[str]) -> int:
    if not argv or not " ".join(argv).strip():
        print("usage: recalcul lookup QUERY   (part of a name or a code, e.g. Saint-Nazaire)", file=sys.stderr)
        return 2
    query = " ".join(argv)
    hits = lookup(query, limit=None)
    code = query.strip()
    # a collectivité d'outre-mer or one of its communes, by code or by name: not covered, said first
    note = (_collectivity("dep", code) or _collectivity("commune", code) if re.fullmatch(r"\d{3}|\d{5}", code)
            else collectivity_note(query) or arrondissement_note(query))
    if hits.empty:
        # a five-digit code that is no 2024 commune: an arrondissement municipal, a merged commune, 20xxx
        hint = note or (_wrong_kind("commune", code) if re.fullmatch(r"\d{5}", code) else "")
        print(f"nothing matches {query!r}" + (f"; {hint.lstrip('; ')}" if hint else ""), file=sys.stderr)
        return 1
    if note:
        print(f"note: {note}")
    if (hits["match"] == "close").all():
        print(f"nothing matches {query!r}; closest names:")
    print(format_table(hits))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
