"""Territories like this one: the nearest territories of the same level on standardised indicators.

Computing only: takes the atlas table of one level (one row per territory, one column per figure, as
:func:`analysis.methods.territory_figures.wide` gives) and returns frames.

The distance is Euclidean on z-scores (each indicator minus its mean over the level, over its standard
deviation), on :data:`INDICATORS` by default: log population, industry share of jobs, private jobs growth
2019-2024 and the unemployment rate. A territory is compared on the indicators it has, and only with
territories that have all of those (a territory with most figures missing is never "near" on the one it has);
the result says, for each neighbour, how far it is on each indicator in standard deviations, which explains
the distance.
"""

from __future__ import annotations

from typing import Sequence

import numpy as np
import pandas as pd

__all__ = ["INDICATORS", "standardise", "nearest"]

#: indicator -> (atlas column, transformation)
INDICATORS = {
    "log_population": ("population", "log"),
    "industry_share_pct": ("industry_share_pct", None),
    "private_jobs_growth_pct": ("private_jobs_growth_pct", None),
    "unemployment_rate_pct": ("unemployment_rate_pct", None),
}


def standardise(table: pd.DataFrame, indicators: Sequence[str] = tuple(INDICATORS)) -> pd.DataFrame:
    """z-scores of the indicators (index of ``table`` kept); missing values stay missing."""
    out = {}
    for name in indicators:
        column, how = INDICATORS[name]
        v = pd.to_numeric(table[column], errors="coerce").astype(float)
        if how == "log":
            v = np.log(v.where(v > 0))
        sd = v.std(ddof=0)
        out[name] = (v - v.mean()) / sd if sd and sd > 0 else v * np.nan
    return pd.DataFrame(out, index=table.index)


def nearest(table: pd.DataFrame, code: str, k: int = 5, *, indicators: Sequence[str] = tuple(INDICATORS),
            code_column: str = "code", name_column: str = "name") -> pd.DataFrame:
    """The ``k`` territories of ``table`` nearest to ``code``: ``code``, ``name``, ``distance`` and, per
    indicator, the neighbour's value and its gap to ``code`` in standard deviations (``<indicator>_gap_sd``),
    with ``n_indicators`` compared. Raises KeyError for an unknown code, ValueError for k < 1."""
    if isinstance(k, bool) or not isinstance(k, (int, np.integer)) or k < 1:
        raise ValueError(f"k must be a positive integer, got {k!r}")
    t = table.reset_index(drop=True)
    hits = t.index[t[code_column].astype(str) == str(code)]
    if not len(hits):
        raise KeyError(f"{code!r} is not in this atlas level ({len(t)} territories, e.g. {t[code_column].iloc[0]!r})")
    z = standardise(t, indicators)
    me = z.loc[hits[0]]
    have = me.notna()
    if not have.any():
        raise ValueError(f"{code!r} has none of the indicators {list(indicators)}: no neighbour can be computed")
    gaps = z.loc[:, have] - me[have]
    n = gaps.notna().sum(axis=1)
    # compared on every indicator the territory has: a neighbour missing one of them (e.g. Mayotte, with no
    # employment or unemployment figure) would otherwise look near on the few it has
    dist = np.sqrt((gaps ** 2).sum(axis=1)).where(n == int(have.sum()))
    dist = dist.drop(index=hits[0])
    order = dist.dropna().sort_values(kind="stable").index[:k]
    out = t.loc[order, [code_column, name_column]].copy()
    out["distance"] = dist.loc[order].round(3)
    out["n_indicators"] = n.loc[order].astype(int)
    for name in indicators:
        column = INDICATORS[name][0]
        out[column] = t.loc[order, column]
        out[f"{name}_gap_sd"] = gaps[name].loc[order].round(2) if name in gaps else np.nan
    return out.reset_index(drop=True)
