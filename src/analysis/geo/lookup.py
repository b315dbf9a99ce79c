"""Find a territory's codes by name: communes, EPCI, zones d'emploi, départements, régions, TI.

``python -m analysis.geo.lookup QUERY`` (or :func:`lookup` in the package) lists every
area whose name (or code) matches ``QUERY``, accent-, case- and punctuation-insensitive:
communes (INSEE 2024), EPCI and Grand Paris EPT (2024), zones d'emploi 2010 and 2020,
départements and régions (2024), and the Territoires d'industrie of BOTH waves (their ids
are reused between waves with other members, so each row carries its wave). When nothing
matches, the closest names are suggested.

``python -m analysis.geo.lookup Saint-Nazaire`` lists the commune 44184, the CARENE
(EPCI 244400644), the zone d'emploi 2020 5219 and the Territoires d'industrie whose name
contains Saint-Nazaire.
"""

from __future__ import annotations

import difflib
import re
import sys
import unicodedata
from functools import lru_cache

import pandas as pd

from analysis.geo import tables as geography

__all__ = ["fold", "index", "lookup", "main", "LEVEL_ORDER"]

#: Order in which levels are listed (largest first after the TIs).
LEVEL_ORDER = ("ti", "reg", "dep", "ze2020", "ze2010", "epci", "commune")
_LEVEL_LABEL = {"ti": "Territoire d'industrie", "reg": "région", "dep": "département", "ze2020": "zone d'emploi 2020",
                "ze2010": "zone d'emploi 2010", "epci": "EPCI", "commune": "commune"}


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
    c = geography.communes().set_index("com")["dep"]
    out["dep"] = ""
    com = out["level"] == "commune"
    out.loc[com, "dep"] = out.loc[com, "code"].map(c).fillna("")
    out["key"] = out["name"].map(fold)
    out["_order"] = out["level"].map({lv: i for i, lv in enumerate(LEVEL_ORDER)})
    return out


def index() -> pd.DataFrame:
    """Every named area: ``level``, ``code``, ``name``, ``wave`` (TIs only), ``dep`` (communes only)."""
    return _index()[["level", "code", "name", "wave", "dep"]].copy()


def lookup(query: str, levels=None, limit: int | None = 50) -> pd.DataFrame:
    """Areas whose folded name contains the folded ``query``, or whose code equals it.

    ``levels``: restrict to some levels (default all, see :data:`LEVEL_ORDER`). Returns
    ``level``, ``code``, ``name``, ``wave`` ('2018-2022' / '2023-2027' for TIs, else ''),
    ``dep`` (for communes), ``match`` ('code', 'name' or 'close' for a suggestion when nothing
    matches), sorted by level, exact names first; at most ``limit`` rows (``None``: all).

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
    idx = _index()
    if levels is not None:
        levels = [geography.normalise_level(lv) for lv in ([levels] if isinstance(levels, str) else levels)]
        idx = idx[idx["level"].isin(levels)]
    raw = str(query).strip().lower()
    by_code = idx["code"].str.lower() == raw
    pattern = re.compile(r"(?:^| )" + re.escape(q) + r"(?:$| )")
    by_word = idx["key"].str.contains(pattern)
    by_part = idx["key"].str.contains(q, regex=False)
    hit = idx[by_code | by_part].assign(
        match=lambda d: d["code"].str.lower().eq(raw).map({True: "code", False: "name"}),
        _rank=lambda d: (~d["key"].eq(q)).astype(int) + (~by_word[d.index]).astype(int))
    exact_com = hit[(hit["level"] == "commune") & (hit["key"] == q)]
    if len(exact_com) and (levels is None or "epci" in levels):
        # the EPCI of a commune named exactly like the query (CARENE for Saint-Nazaire)
        epci_of = geography.communes().set_index("com")["epci"]
        codes = set(exact_com["code"].map(epci_of).dropna()) - {"ZZZZZZZZZ"}
        extra = idx[(idx["level"] == "epci") & idx["code"].isin(codes) & ~idx.index.isin(hit.index)]
        hit = pd.concat([hit, extra.assign(match="holds commune", _rank=0)])
    if hit.empty:
        keys = idx["key"].drop_duplicates().tolist()
        close = difflib.get_close_matches(q, keys, n=8, cutoff=0.6)
        hit = idx[idx["key"].isin(close)].assign(match="close",
                                                 _rank=lambda d: d["key"].map({k: i for i, k in enumerate(close)}))
    hit = hit.sort_values(["_order", "_rank", "name", "code", "wave"], kind="stable")
    out = hit[["level", "code", "name", "wave", "dep", "match"]].reset_index(drop=True)
    return out if limit is None else out.head(limit)


def format_table(hits: pd.DataFrame) -> str:
    """Plain-text listing used by the CLI."""
    lines = []
    for r in hits.itertuples():
        extra = f" [{r.wave}]" if r.wave else (f" (dép. {r.dep})" if r.dep else "")
        lines.append(f"{_LEVEL_LABEL[r.level]:<24} {r.code:<10} {r.name}{extra}")
    return "\n".join(lines)


def main(argv: list[str]) -> int:
    if not argv or not " ".join(argv).strip():
        print("usage: python -m analysis.geo.lookup QUERY   (part of a name or a code, e.g. Saint-Nazaire)",
              file=sys.stderr)
        return 2
    query = " ".join(argv)
    hits = lookup(query, limit=None)
    if hits.empty:
        print(f"nothing matches {query!r}", file=sys.stderr)
        return 1
    if (hits["match"] == "close").all():
        print(f"nothing matches {query!r}; closest names:")
    print(format_table(hits))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
