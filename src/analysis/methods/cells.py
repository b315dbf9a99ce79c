"""The secret-cell rule: growth computed on the cells present in both years, never on zeros.

A *cell* is one (unit, sector) pair of a long employment table (e.g. zone d'emploi x A38
sector, commune x 'total'). Statistical publishers suppress (secret) small cells, and a unit
may be missing from a file in one year. Summing such a table with missing values read as 0
counts a cell published in one year only as job creation (or destruction). The rule, shared
by :mod:`analysis.methods.dynamics` and :mod:`analysis.methods.multiplier`:

1. a growth rate is computed on the cells present (non-missing) in BOTH years only;
2. every result reports ``n_cells_one_year`` (cells present in exactly one of the two years)
   and the share of employment those cells hold (``share_end_one_year``: end-year employment
   of the cells present only at the end, over all end-year employment published; likewise
   ``share_start_one_year`` at the start); ``share_one_year`` is the larger of the two;
3. when ``share_one_year`` exceeds :data:`UNRELIABLE_SHARE` (5 %) the growth is flagged
   ``unreliable`` (the cells present in both years no longer stand for the unit);
4. a zero start value gives ``growth`` NaN with ``reason`` 'zero employment at start', never
   ``inf``; no cell in both years gives NaN with reason 'no cell present in both years'.

Cells missing in both years are counted in ``n_cells_neither`` and otherwise ignored.

Interface (pandas / numpy only):

- :func:`cell_table(df, start, end, unit=, sector=, year=, value=)` -> one row per cell:
  ``unit``, ``sector``, ``value_start``, ``value_end`` (NaN = missing or secret),
  ``in_both`` (bool), ``one_year`` (bool: present in exactly one year).
- :func:`summarise(cells, by=None, groups=None)` -> one row per group of cells (default: per
  unit; ``by=[]`` for one overall row; ``groups``: a (``unit``, group) DataFrame to add units
  into areas, a unit may belong to several groups): ``value_start``, ``value_end``
  (sums over the cells in both years), ``change``, ``growth`` (fraction), ``n_cells``,
  ``n_cells_both``, ``n_cells_one_year``, ``n_cells_neither``, ``share_start_one_year``,
  ``share_end_one_year``, ``share_one_year`` (fractions), ``unreliable`` (bool), ``reason``
  ('' when the growth is defined and reliable).
- :func:`growth_on_common_cells(df, start, end, by=None, ...)` = ``summarise(cell_table(...))``.
"""

from __future__ import annotations

from typing import Iterable

import numpy as np
import pandas as pd

__all__ = ["UNRELIABLE_SHARE", "cell_table", "summarise", "growth_on_common_cells", "flag_label"]

#: Above this share of employment held by cells present in one year only, a growth is unreliable.
UNRELIABLE_SHARE = 0.05


def cell_table(df: pd.DataFrame, start: int, end: int, *, unit: str = "unit", sector: str = "sector",
               year: str = "year", value: str = "value") -> pd.DataFrame:
    """Start and end values of every (unit, sector) cell of a long table.

    ``df``: one row per (unit, sector, year) with ``value`` (NaN = secret or missing; a cell
    absent from the table in a year counts as missing). Without a ``sector`` column every unit
    is one cell (sector 'all'). Duplicate rows of a cell-year are summed (all NaN stays NaN).
    Returns ``unit``, ``sector``, ``value_start``, ``value_end``, ``in_both``, ``one_year``
    (columns renamed to these names), sorted by unit and sector.
    """
    if end <= start:
        raise ValueError(f"end year {end} must be after start year {start}")
    for col in (unit, year, value):
        if col not in df.columns:
            raise KeyError(f"cell_table: column {col!r} missing (columns: {list(df.columns)})")
    d = df[df[year].isin([start, end])]
    d = d.assign(_sector=d[sector] if sector in d.columns else "all")
    out = _cells_of_unique_rows(d, start, end, unit, year, value)
    if out is None:  # a cell-year on several rows: sum them
        wide = d.groupby([unit, "_sector", year])[value].sum(min_count=1).unstack(year)
        wide = wide.reindex(columns=[start, end])
        out = pd.DataFrame({"unit": wide.index.get_level_values(0), "sector": wide.index.get_level_values(1),
                            "value_start": wide[start].to_numpy(dtype=float),
                            "value_end": wide[end].to_numpy(dtype=float)})
        out = out.sort_values(["unit", "sector"], ignore_index=True)
    s, e = out["value_start"].notna(), out["value_end"].notna()
    out["in_both"] = s & e
    out["one_year"] = s ^ e
    return out


def _cells_of_unique_rows(d: pd.DataFrame, start: int, end: int, unit: str, year: str,
                          value: str) -> pd.DataFrame | None:
    """:func:`cell_table`'s wide table when every (unit, sector, year) is on one row (the usual case),
    without grouping: the rows are placed by their codes; ``None`` when some cell-year has several
    rows. Rows with a missing unit or sector are left out, as a grouping leaves them out."""
    u_code, units = pd.factorize(d[unit], sort=True)
    s_code, sectors = pd.factorize(d["_sector"], sort=True)
    keep = (u_code >= 0) & (s_code >= 0)
    u_code, s_code = u_code[keep], s_code[keep]
    years = d[year].to_numpy()[keep]
    values = d[value].to_numpy(dtype=float)[keep]
    cell = u_code.astype(np.int64) * max(len(sectors), 1) + s_code
    is_end = years == end
    if len(np.unique(cell * 2 + is_end)) != len(cell):
        return None
    cells, pos = np.unique(cell, return_inverse=True)
    v = np.full((len(cells), 2), np.nan)
    v[pos, is_end.astype(np.intp)] = values
    n_s = max(len(sectors), 1)
    # codes of object dtype are inferred (strings become str), as a grouping's index does
    units, sectors = (pd.Index(ix.to_numpy(dtype=object)) if ix.dtype == object else ix for ix in (units, sectors))
    return pd.DataFrame({"unit": units.take(cells // n_s), "sector": sectors.take(cells % n_s),
                         "value_start": v[:, 0], "value_end": v[:, 1]})


def summarise(cells: pd.DataFrame, by: Iterable[str] | None = None, groups: pd.DataFrame | None = None, *,
              group: str = "code", threshold: float = UNRELIABLE_SHARE) -> pd.DataFrame:
    """Growth on the cells present in both years, with the count and weight of the others.

    ``cells``: :func:`cell_table`. ``by``: columns to group on (default ``['unit']``; ``[]``
    gives one row). ``groups``: optional (``unit``, ``group``) table mapping units to areas
    (a unit in several areas counts in each); the result is then per ``group``. See the module
    docstring for the columns. ``threshold``: the unreliability share (default 5 %).
    """
    c = cells
    if groups is not None:
        c = groups[["unit", group]].drop_duplicates().merge(cells, on="unit", how="left")
        keys = [group]
    else:
        keys = ["unit"] if by is None else list(by)
    # One numeric frame summed in one grouped pass (NaN skipped; booleans count).
    vs = c["value_start"].to_numpy(dtype=float)
    ve = c["value_end"].to_numpy(dtype=float)
    both = c["in_both"].fillna(False).astype(bool).to_numpy()
    one = c["one_year"].fillna(False).astype(bool).to_numpy()
    cell = c["sector"].notna().to_numpy()
    ms, me = np.isnan(vs), np.isnan(ve)
    frame = pd.DataFrame({
        "value_start": np.where(both, vs, np.nan), "value_end": np.where(both, ve, np.nan),
        "n_cells": cell, "n_cells_both": both, "n_cells_one_year": one, "n_cells_neither": ms & me & cell,
        "_only_s": np.where(me, vs, np.nan), "_only_e": np.where(ms, ve, np.nan), "_all_s": vs, "_all_e": ve},
        index=c.index)
    if keys:
        summed = frame.groupby([c[k] for k in keys], sort=True, dropna=False).sum()
        key_frame = summed.index.to_frame(index=False)
        sums = {k: summed[k].to_numpy() for k in frame.columns}
    else:
        key_frame = pd.DataFrame(index=pd.RangeIndex(1))
        sums = {k: np.array([frame[k].sum()]) for k in frame.columns}
    counts = {k: sums[k].astype("int64") for k in ("n_cells", "n_cells_both", "n_cells_one_year", "n_cells_neither")}
    some = counts["n_cells_both"] > 0
    start = np.where(some, sums["value_start"], np.nan)
    end = np.where(some, sums["value_end"], np.nan)
    with np.errstate(divide="ignore", invalid="ignore"):
        growth = end / np.where(start > 0, start, np.nan) - 1
        share_start = sums["_only_s"] / np.where(sums["_all_s"] > 0, sums["_all_s"], np.nan)
        share_end = sums["_only_e"] / np.where(sums["_all_e"] > 0, sums["_all_e"], np.nan)
    # nothing published in a year (an all-secret unit): its share is missing, not 0 (0 would read as
    # "no job in one-year cells"); the larger share is that of the other year, or missing if both are
    with np.errstate(invalid="ignore"):
        share = np.fmax(share_start, share_end)
        unreliable = share > threshold
    flagged = np.full(len(share), "", dtype=object)
    flagged[unreliable] = [f"cells present in one year only hold {s:.1%} of employment (> {threshold:.0%})"
                           for s in share[unreliable]]
    reason = np.where(~some, "no cell present in both years",
                      np.where(np.nan_to_num(start, nan=0.0) <= 0, "zero employment at start", flagged)).astype(str)
    unreliable = unreliable | ~some
    g = pd.DataFrame({**{k: key_frame[k] for k in keys}, "value_start": start, "value_end": end,
                      "change": end - start, "growth": growth, **counts, "share_start_one_year": share_start,
                      "share_end_one_year": share_end, "share_one_year": share, "unreliable": unreliable,
                      "reason": reason})
    return g


def growth_on_common_cells(df: pd.DataFrame, start: int, end: int, by: Iterable[str] | None = None, *,
                           unit: str = "unit", sector: str = "sector", year: str = "year", value: str = "value",
                           threshold: float = UNRELIABLE_SHARE) -> pd.DataFrame:
    """:func:`summarise` of :func:`cell_table`: growth per unit (or ``by``) on cells present in both years."""
    return summarise(cell_table(df, start, end, unit=unit, sector=sector, year=year, value=value), by,
                     threshold=threshold)


def flag_label(unreliable: bool, share: float) -> str:
    """Short text for printed tables: '' or 'unreliable (x % of jobs in one-year cells)'."""
    return f"unreliable ({share:.0%} of jobs in one-year cells)" if unreliable else ""
