"""Membership of a groupement (pôle métropolitain, syndicat mixte) at two dates, from BANATIC tables.

Functions take DataFrames (the loaders of :mod:`analysis.data.loaders.banatic` and the project's
commune table) and never fetch. Two dates are available for a groupement:

- the **EPCI members** in the BANATIC-derived adhesion links of February 2026
  (:func:`epci_members`), and
- the **member communes** at 1 April 2021 (:func:`communes_at`), which
  :func:`communes_by_epci` expresses in the EPCIs of the current commune table (2024 geography),
  with how many of each EPCI's communes are in.

:func:`compare_dates` puts the two side by side, EPCI by EPCI.
"""

from __future__ import annotations

from collections.abc import Iterable

import pandas as pd


class MembershipError(ValueError):
    """A groupement SIREN absent from a BANATIC table, or a commune code that does not resolve."""


def epci_members(adhesions: pd.DataFrame, groupement: str) -> list[str]:
    """Sorted SIRENs of the members of ``groupement`` in the adhesion links (``member_siren``,
    ``groupement_siren``, as returned by :func:`analysis.data.loaders.banatic.load_groupement_adhesions`)."""
    members = adhesions.loc[adhesions["groupement_siren"] == groupement, "member_siren"]
    if members.empty:
        raise MembershipError(f"groupement {groupement!r} has no member in the adhesion links "
                              "(banatic_groupement_adhesions_2026): check the SIREN")
    return sorted(members.unique())


def communes_at(composition: pd.DataFrame, siren_insee: pd.DataFrame, groupement: str) -> pd.DataFrame:
    """Member communes of ``groupement`` in a BANATIC composition table (2021), as INSEE codes.

    ``composition``: ``groupement_siren``, ``direct``, ``commune_siren``; ``siren_insee``:
    ``commune_siren``, ``com``, ``name``. Returns ``com``, ``name``, ``direct``. A commune SIREN
    without an INSEE code raises :class:`MembershipError` naming it (never dropped silently).
    """
    rows = composition[composition["groupement_siren"] == groupement]
    if rows.empty:
        raise MembershipError(f"groupement {groupement!r} is not in the BANATIC composition table "
                              "(banatic_syndicats_composition_communale_2021 covers only part of the syndicats)")
    out = rows.merge(siren_insee, on="commune_siren", how="left")
    missing = out.loc[out["com"].isna(), "commune_siren"]
    if len(missing):
        raise MembershipError(f"{len(missing)} commune SIREN(s) of {groupement} have no INSEE code in "
                              f"banatic_correspondance_siren_insee_2019, e.g. {missing.head(3).tolist()}")
    return out[["com", "name", "direct"]].sort_values("com", ignore_index=True)


def communes_by_epci(coms: pd.DataFrame, communes: pd.DataFrame) -> pd.DataFrame:
    """Member communes expressed in EPCIs of the commune table ``communes`` (``com``, ``epci``, ``population``).

    Returns one row per EPCI touched: ``epci``, ``n_in`` (member communes), ``n_communes`` (all the
    EPCI's communes), ``population_in``, ``population`` (whole EPCI), ``whole`` (all communes in).
    Commune codes absent from ``communes`` (merged or renamed since) raise :class:`MembershipError`.
    """
    known = set(communes["com"])
    lost = sorted(set(coms["com"]) - known)
    if lost:
        raise MembershipError(f"{len(lost)} member commune code(s) not in the commune table, e.g. {lost[:5]}: "
                              "map them to the current geography first")
    inside = communes[communes["com"].isin(set(coms["com"]))]
    g = inside.groupby("epci").agg(n_in=("com", "size"), population_in=("population", "sum"))
    allc = communes[communes["epci"].isin(g.index)].groupby("epci").agg(n_communes=("com", "size"),
                                                                         population=("population", "sum"))
    out = g.join(allc).reset_index()
    out["whole"] = out["n_in"] == out["n_communes"]
    return out[["epci", "n_in", "n_communes", "population_in", "population", "whole"]].sort_values(
        "epci", ignore_index=True)


def compare_dates(epcis_later: Iterable[str], by_epci_earlier: pd.DataFrame, communes: pd.DataFrame,
                  names: pd.Series | None = None) -> pd.DataFrame:
    """EPCI-by-EPCI comparison of a groupement at two dates.

    ``epcis_later``: the member EPCI SIRENs at the later date (2026); ``by_epci_earlier``: the
    output of :func:`communes_by_epci` at the earlier date (2021). Returns ``epci``, ``epci_name``,
    ``population`` (whole EPCI, ``communes`` table), ``earlier`` ("whole", "part (k of n communes)"
    or "no"), ``later`` (bool), ``change`` ("joined", "left", "completed", "unchanged").
    """
    later = set(epcis_later)
    early = by_epci_earlier.set_index("epci")
    ids = sorted(later | set(early.index))
    pop = communes.groupby("epci")["population"].sum()
    rows = []
    for e in ids:
        if e in early.index:
            r = early.loc[e]
            state = "whole" if r["whole"] else f"part ({int(r['n_in'])} of {int(r['n_communes'])} communes)"
        else:
            state = "no"
        is_later = e in later
        if state == "no":
            change = "joined" if is_later else "unchanged"
        elif not is_later:
            change = "left"
        else:
            change = "unchanged" if state == "whole" else "completed"
        rows.append({"epci": e, "population": int(pop.get(e, 0)), "earlier": state, "later": is_later, "change": change})
    out = pd.DataFrame(rows)
    out.insert(1, "epci_name", out["epci"].map(names) if names is not None else "")
    return out.sort_values(["population", "epci"], ascending=[False, True], ignore_index=True)


def whole_epci_groupements(adhesions: pd.DataFrame, epcis: Iterable[str], min_members: int = 2) -> pd.DataFrame:
    """Groupements all of whose members are EPCIs of ``epcis`` (a list of current EPCI SIRENs).

    Pôles métropolitains are among them, but so are other syndicats mixtes of EPCIs (PETR,
    SCoT syndicates...): the adhesion file carries no legal nature, so this is a superset.
    Returns ``groupement_siren``, ``n_members``.
    """
    known = set(epcis)
    a = adhesions.assign(is_epci=adhesions["member_siren"].isin(known))
    g = a.groupby("groupement_siren").agg(n_members=("member_siren", "size"), all_epci=("is_epci", "all"))
    g = g[g["all_epci"] & (g["n_members"] >= min_members)].reset_index()
    return g[["groupement_siren", "n_members"]].sort_values("groupement_siren", ignore_index=True)


def weighted_share(shares: pd.Series, weights: pd.Series, members: Iterable[str]) -> dict:
    """Weighted mean of a percentage over ``members`` (e.g. industry's % of jobs by EPCI, weighted by jobs).

    ``shares`` and ``weights`` are indexed by member code. Members missing a share or a weight are
    left out and counted (never taken as 0). Returns ``share`` (same unit as ``shares``),
    ``n``, ``n_missing``, ``missing`` (codes), ``weight`` (sum of the weights used).
    """
    members = list(members)
    s = shares.reindex(members)
    w = weights.reindex(members)
    ok = s.notna() & w.notna() & (w > 0)
    if not ok.any():
        raise MembershipError("no member has both a share and a positive weight")
    return {"share": float((s[ok] * w[ok]).sum() / w[ok].sum()), "n": int(ok.sum()), "n_missing": int((~ok).sum()),
            "missing": [m for m, k in zip(members, ok) if not k], "weight": float(w[ok].sum())}


def rank_by_weighted_share(adhesions: pd.DataFrame, groupements: pd.DataFrame, shares: pd.Series,
                           weights: pd.Series, population: pd.Series, *, min_population: float = 300_000) -> pd.DataFrame:
    """Rank groupements of EPCIs by the weighted mean of a percentage over their member EPCIs.

    ``groupements`` has ``groupement_siren`` and ``n_members`` (from :func:`whole_epci_groupements`);
    ``shares`` (e.g. industry's % of jobs), ``weights`` (e.g. jobs) and ``population`` (inhabitants) are
    indexed by EPCI SIREN. Groupements whose members total fewer than ``min_population`` inhabitants, or
    none of whose members has a share, are left out. Returns one row per groupement ranked: ``groupement``,
    ``n_epci``, ``industry_pct`` (the weighted share, unit of ``shares``), ``n_missing`` (members without
    a share or weight, left out of the mean, never taken as 0) and ``rank`` (1 = highest; ties by SIREN).
    """
    # one pass over the adhesion links (vectorised; a loop over groupements took seconds)
    links = adhesions.loc[adhesions["groupement_siren"].isin(set(groupements["groupement_siren"])),
                          ["groupement_siren", "member_siren"]].drop_duplicates()
    unknown = sorted(set(groupements["groupement_siren"]) - set(links["groupement_siren"]))
    if unknown:
        epci_members(adhesions, unknown[0])  # raises MembershipError naming the groupement
    m = links["member_siren"]
    share, weight = m.map(shares), m.map(weights)
    ok = share.notna() & weight.notna() & (weight > 0)
    links = links.assign(pop=m.map(population), has_share=share.notna(), ok=ok,
                         sw=(share * weight).where(ok), w=weight.where(ok))
    g = links.groupby("groupement_siren").agg(pop=("pop", "sum"), has_share=("has_share", "any"), sw=("sw", "sum"),
                                              w=("w", "sum"), n_ok=("ok", "sum"), n=("ok", "size"))
    g = g[(g["pop"] >= min_population) & g["has_share"]]
    if (g["n_ok"] == 0).any():
        raise MembershipError(f"groupement {g.index[g['n_ok'] == 0][0]!r}: no member has both a share and a positive weight")
    n_members = groupements.set_index("groupement_siren")["n_members"]
    rows = pd.DataFrame({"groupement": g.index, "n_epci": n_members.reindex(g.index).to_numpy(),
                         "industry_pct": (g["sw"] / g["w"]).to_numpy(), "n_missing": (g["n"] - g["n_ok"]).to_numpy()})
    ranked = rows[["groupement", "n_epci", "industry_pct", "n_missing"]]
    ranked = ranked.sort_values(["industry_pct", "groupement"], ascending=[False, True], ignore_index=True)
    ranked["rank"] = range(1, len(ranked) + 1)
    return ranked
