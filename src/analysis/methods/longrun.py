"""Long-run industrial employment: GGDC 1950-2011 joined to the project's post-1998 ESTEL series.

Inputs are DataFrames: :func:`analysis.data.loaders.ggdc.load_ggdc_france_employment` (persons
engaged, thousands, France, employees and self-employed) and a recent series (e.g. ESTEL
salaried industrial jobs of metropolitan France at 31 December, 1998-2023). The two differ in
definition (persons vs salaried jobs, annual average vs 31 December, GGDC's France vs
metropolitan France), so they are never added: :func:`splice` rescales the recent series by
its mean ratio to the long one over the overlap years, and :func:`overlap` shows that ratio.
Industry is B-E throughout: mining (MIN), manufacturing (MAN) and utilities (PU).
"""

from __future__ import annotations

import pandas as pd

INDUSTRY = ("MIN", "MAN", "PU")


class LongRunError(ValueError):
    """No overlap between two series, or a series without the needed years."""


def industry_series(ggdc: pd.DataFrame, sectors=INDUSTRY) -> pd.DataFrame:
    """Industry (sum of ``sectors``) and total persons engaged by year, thousands, and industry's share.

    Years where one of ``sectors`` or the total is missing are dropped (never summed as 0).
    Returns ``year``, ``industry``, ``manufacturing``, ``total``, ``share`` (0-1).
    """
    w = ggdc.pivot(index="year", columns="sector", values="persons_thousands")
    need = list(sectors) + ["MAN", "SUM"]
    missing = [s for s in need if s not in w.columns]
    if missing:
        raise LongRunError(f"GGDC table lacks sector(s) {missing}")
    w = w.dropna(subset=need)
    out = pd.DataFrame({"industry": w[list(sectors)].sum(axis=1), "manufacturing": w["MAN"], "total": w["SUM"]})
    out["share"] = out["industry"] / out["total"]
    return out.reset_index()


def peak(series: pd.DataFrame, col: str = "industry") -> tuple[int, float]:
    """Year and value of the maximum of ``col`` (the first such year on ties)."""
    s = series.dropna(subset=[col]).sort_values("year")
    i = s[col].idxmax()
    return int(s.loc[i, "year"]), float(s.loc[i, col])


def trough_after(series: pd.DataFrame, year: int, col: str = "industry") -> tuple[int, float]:
    """Year and value of the minimum of ``col`` from ``year`` on."""
    s = series[(series["year"] >= year)].dropna(subset=[col]).sort_values("year")
    if s.empty:
        raise LongRunError(f"no value of {col!r} from {year} on")
    i = s[col].idxmin()
    return int(s.loc[i, "year"]), float(s.loc[i, col])


def overlap(long: pd.DataFrame, recent: pd.DataFrame, long_col: str = "industry", recent_col: str = "industry") -> pd.DataFrame:
    """Years in both series: ``year``, ``long``, ``recent``, ``ratio`` (recent / long)."""
    m = long[["year", long_col]].merge(recent[["year", recent_col]], on="year", suffixes=("_long", "_recent"))
    if m.empty:
        raise LongRunError("the two series share no year")
    m.columns = ["year", "long", "recent"]
    m["ratio"] = m["recent"] / m["long"]
    return m


def splice(long: pd.DataFrame, recent: pd.DataFrame, long_col: str = "industry", recent_col: str = "industry",
           link_years: list[int] | None = None) -> pd.DataFrame:
    """One series in the long series' units: the long series up to its last year, then the recent
    series divided by its mean ratio to the long one over ``link_years`` (default: all overlap years).

    Returns ``year``, ``value``, ``source`` ("long" or "recent, rescaled"), and ``attrs['ratio']``.
    """
    ov = overlap(long, recent, long_col, recent_col)
    if link_years is not None:
        ov = ov[ov["year"].isin(link_years)]
        if ov.empty:
            raise LongRunError(f"no overlap year among {link_years}")
    ratio = float(ov["ratio"].mean())
    last = int(long["year"].max())
    a = long[["year", long_col]].rename(columns={long_col: "value"}).assign(source="long")
    b = recent[recent["year"] > last][["year", recent_col]].rename(columns={recent_col: "value"})
    b = b.assign(value=b["value"] / ratio, source="recent, rescaled")
    out = pd.concat([a, b], ignore_index=True).sort_values("year", ignore_index=True)
    out.attrs["ratio"] = ratio
    return out


def decline(series: pd.DataFrame, col: str = "value") -> dict:
    """Peak, following trough, length of the decline (years) and change (0-1) of a series."""
    py, pv = peak(series, col)
    ty, tv = trough_after(series, py, col)
    return {"peak_year": py, "peak": pv, "trough_year": ty, "trough": tv, "years": ty - py, "change": tv / pv - 1}
