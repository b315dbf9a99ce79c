"""Localised unemployment for any territory: zone d'emploi rates weighted by population.

INSEE publishes *taux de chômage localisés* by zone d'emploi 2020 (quarterly, seasonally adjusted,
% of the labour force at place of residence), not by EPCI. A territory's rate is approximated by
the mean of the rates of the zones d'emploi its inhabitants live in, weighted by the number of its
inhabitants in each zone (municipal population): this assumes the rate is uniform inside a zone
and weights by population, not labour force.

Plain inputs, so any territory profile can call them:

- ``rates``: long table ``ze2020``, ``quarter``, ``year``, ``q``, ``rate_pct`` (one edition, from
  :mod:`analysis.data.loaders.unemployment`);
- ``weights``: a Series indexed by ZE2020 code, e.g. inhabitants of the territory by zone
  (:func:`zone_weights` from a commune table with ``ze2020`` and ``population``).
"""

from __future__ import annotations

import pandas as pd


class UnemploymentError(ValueError):
    """Bad weights or quarters absent from an edition."""


def zone_weights(communes: pd.DataFrame, zone: str = "ze2020", weight: str = "population") -> pd.Series:
    """Inhabitants of a territory by zone d'emploi: ``communes`` holds the territory's communes with
    ``zone`` and ``weight`` columns (e.g. ``Territory.communes``). Returns a Series indexed by zone."""
    for c in (zone, weight):
        if c not in communes.columns:
            raise UnemploymentError(f"commune table: missing column {c!r}; it has {list(communes.columns)}")
    return communes.groupby(zone)[weight].sum().rename("weight")


def area_rate(rates: pd.DataFrame, weights: pd.Series) -> pd.DataFrame:
    """Population-weighted unemployment rate of a territory, by quarter (%).

    Zones without a rate in a quarter are left out of that quarter's mean and reported:
    ``coverage`` is the share of the territory's weight that has a rate, ``n_missing`` the number of
    zones without one. Returns ``quarter``, ``year``, ``q``, ``rate_pct``, ``coverage``, ``n_missing``.
    """
    w = weights[weights > 0]
    if w.empty:
        raise UnemploymentError("weights: no zone with a positive weight")
    unknown = sorted(set(w.index) - set(rates["ze2020"]))
    r = rates[rates["ze2020"].isin(set(w.index))].assign(w=lambda d: d["ze2020"].map(w))
    r = r[r["rate_pct"].notna()]
    if r.empty:
        raise UnemploymentError(f"no rate in this edition for any of the territory's {len(w)} zone(s) d'emploi "
                                f"({', '.join(map(str, list(w.index)[:5]))}{', ...' if len(w) > 5 else ''})")
    g = r.assign(wr=r["rate_pct"] * r["w"]).groupby(["quarter", "year", "q"], as_index=False).agg(
        wr=("wr", "sum"), w=("w", "sum"), n=("ze2020", "size"))
    g["rate_pct"] = g["wr"] / g["w"]
    g["coverage"] = g["w"] / float(w.sum())
    g["n_missing"] = len(w) - g["n"]
    if unknown and g.empty:
        raise UnemploymentError(f"none of the zones {unknown[:5]} is in the rates table")
    return g[["quarter", "year", "q", "rate_pct", "coverage", "n_missing"]].sort_values(["year", "q"], ignore_index=True)


def annual_mean(quarterly: pd.DataFrame, value: str = "rate_pct", complete: bool = True) -> pd.DataFrame:
    """Annual mean of a quarterly series (``year``, ``q``, ``value``); with ``complete`` only years
    with all four quarters. Returns ``year``, ``value``, ``n_quarters``."""
    g = quarterly.dropna(subset=[value]).groupby("year").agg(**{value: (value, "mean"), "n_quarters": ("q", "nunique")})
    if complete:
        g = g[g["n_quarters"] == 4]
    return g.reset_index()


def revision(old: pd.DataFrame, new: pd.DataFrame) -> pd.DataFrame:
    """Revision between two editions on the quarters both publish: ``ze2020``, ``quarter``, ``old``,
    ``new``, ``revision_pt`` (new minus old, percentage points)."""
    m = old[["ze2020", "quarter", "year", "q", "rate_pct"]].merge(
        new[["ze2020", "quarter", "rate_pct"]], on=["ze2020", "quarter"], suffixes=("_old", "_new"))
    if m.empty:
        raise UnemploymentError("the two editions share no (zone, quarter)")
    m = m.rename(columns={"rate_pct_old": "old", "rate_pct_new": "new"})
    m["revision_pt"] = (m["new"] - m["old"]).round(10)
    return m.sort_values(["ze2020", "year", "q"], ignore_index=True)


def quarters_matching(series: pd.DataFrame, value: float, tol: float = 0.05, value_col: str = "rate_pct") -> list[str]:
    """Quarters whose rate is within ``tol`` percentage points of a quoted ``value``."""
    s = series.dropna(subset=[value_col])
    return s.loc[(s[value_col] - value).abs() <= tol + 1e-9, "quarter"].tolist()
