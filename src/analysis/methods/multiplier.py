"""Local employment multipliers (Moretti 2010): sheltered jobs created per exposed job, by zone.

The method, in four steps, each a function taking and returning DataFrames:

1. :func:`sector_groups` maps sector codes (A38, the ESTEL 5-sector codes or URSSAF's NA28) to
   ``exposed`` / ``sheltered`` / ``excluded`` under one *definition* read from
   ``data/sector_classification.csv``
   (one column per definition, :data:`DEFINITIONS`; default ``footnote17``: La Fabrique's footnote
   17 -- manufacturing, agriculture, extractive industries, finance and R&D are exposed; trade and
   personal services sheltered; public administration, education and health excluded).
2. :func:`long_differences` sums a zone x sector x year employment table into one row per zone:
   exposed and sheltered jobs at the start and end years, their log changes (``dln_*``) and job
   changes (``d_*``). Zones whose change cannot be computed are kept with a ``drop_reason`` and
   ``NaN`` changes (never ``log(0)``); :func:`drop_counts` counts them.
3. :func:`shift_share` builds the Bartik instrument for the exposed change: start-year shares
   of each exposed sector in the zone's exposed jobs x national log growth of that sector,
   leave-one-out (the zone's own jobs removed from the national totals).
4. :func:`estimate` runs the long-difference regression
   ``dln_sheltered = a + b * dln_exposed (+ region fixed effects)`` by OLS or 2SLS
   (linearmodels ``IV2SLS``), unweighted or weighted by start-year employment, with
   heteroskedasticity-robust or region-clustered standard errors, and converts the elasticity
   to jobs per job: ``m = b * S/E`` where ``S/E`` is the aggregate sheltered / exposed ratio of
   the estimation sample at the start year, the end year or their mean
   (:func:`sheltered_exposed_ratio`). ``spec="levels"`` regresses job changes on job changes
   (``d_sheltered`` on ``d_exposed``), whose slope is already in jobs per job;
   ``spec="levels_scaled"`` divides both by the zone's start-year employment first.

Around the estimator, the module also prepares its inputs and reads its outputs:
:func:`place_zones` / :func:`zone_employment` (zone x sector tables with one region per zone),
:func:`regional_panel`, :func:`group_totals`, :func:`a38_to_na28`, :func:`aggregate_sectors`
and :func:`national_growth_comparison` (the URSSAF region x sector quarterly series as an
independent source of national sector growth), :func:`summary_table`, :func:`near_value` and
:func:`near_value_note` (which specifications land near a target value, and why they are not
the headline), and the tables its two charts draw (in :mod:`analysis.report.charts.multiplier`).

Units: employment in jobs (headcounts); changes over the whole window (not annualised);
``m`` in sheltered jobs per exposed job (x100 gives "jobs per 100 exposed jobs").
Geography: whatever zoning the input carries (zones d'emploi 2010 or 2020, or regions).
Nothing here reads a public file: loaders do that.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
from scipy import special  # distribution functions (scipy.stats takes ~1.2 s to import)

from analysis.geo.tables import OVERSEAS_REGIONS  # noqa: F401 - the package's one list, used below and by notebooks
from analysis.methods import cells, shiftshare
from analysis.methods.results import INFERENCE_LABELS, ResultTable
from analysis.data.validate import years_text  # noqa: F401 - also used by analysis.run.whatif
from analysis.paths import DATA_DIR

CLASSIFICATION_CSV = DATA_DIR / "sector_classification.csv"
#: Columns of ``data/sector_classification.csv`` that hold a definition (``footnote17`` is the default).
DEFINITIONS = ("footnote17", "footnote17_broad", "industry_agriculture", "industry_only")
GROUPS = ("exposed", "sheltered", "excluded")
LEVELS = ("a38", "estel", "na28", "a17")
RATIO_YEARS = ("start", "end", "mean")
#: Regression specifications of :func:`estimate`.
SPECS = ("log", "levels", "levels_scaled")

#: Columns identifying one estimate in a results table (one row per :func:`estimate` call).
RESULT_KEYS = ("data", "window", "definition", "spec", "method", "weighted", "region_fe")

#: Reasons a zone is left out of the regression (the ``drop_reason`` column); '' = usable.
ZONE_ABSENT = "zone absent in start or end year"
MISSING_CELL = "sector cell missing in one year only"
ZERO_EMPLOYMENT = "zero exposed or sheltered employment"
NO_INSTRUMENT = "instrument undefined"
#: Prefix of the start-year exposed-sector share columns that :func:`shift_share` adds.
SHARE_PREFIX = "share_"
#: Inference methods of :func:`estimate` (``robust`` = EHW, ``cluster`` = by region).
INFERENCE = ("robust", "cluster", "akm", "akm0")
#: Fewest exposed sectors for which AKM / AKM0 inference is reported (it sums over sectors).
MIN_AKM_SECTORS = 5
#: First-stage F below which an IV estimate is flagged as weakly identified.
WEAK_F = 10.0


#: Appended to the error on duplicated (zone, sector, year) rows: their usual cause.
DUPLICATE_HINT = ("; a quarterly table (e.g. INSEE ETE) has one row per quarter: keep one quarter first "
                  "(analysis.methods.panels.prepare_ete keeps the fourth), or sum duplicated rows if they are parts "
                  "of one cell")


class MultiplierError(ValueError):
    """Bad classification, unknown sector code or an estimation that cannot be run."""


# ---------------------------------------------------------------------------------------------
# 1. Sector classification
# ---------------------------------------------------------------------------------------------

def load_sector_classification(path: Path | str = CLASSIFICATION_CSV) -> pd.DataFrame:
    """The exposed / sheltered / excluded classification of sectors (project data, not a public file).

    Columns: ``level`` (``a38`` = the 38 A38 sections of NAF rev. 2; ``estel`` = the 5 ESTEL
    sectors AZ, BE, FZ, GU, OQ; ``na28`` = URSSAF's 28 groups of NA38, e.g. 'CK-CL', 'NZa'
    interim workers; ``a17`` = INSEE's 17-sector A17 of the ETE by département, e.g. 'C1', 'MN78'), ``code``, ``label`` (French), one column per definition in
    :data:`DEFINITIONS` holding ``exposed``, ``sheltered`` or ``excluded``, and ``note``.
    """
    df = pd.read_csv(path, dtype=str, keep_default_na=False)
    missing = [c for c in ("level", "code", "label", *DEFINITIONS) if c not in df.columns]
    if missing:
        raise MultiplierError(f"{path}: missing column(s) {missing}")
    for d in DEFINITIONS:
        bad = sorted(set(df[d]) - set(GROUPS))
        if bad:
            raise MultiplierError(f"{path}: column {d!r} has values {bad}, expected {GROUPS}")
    if df.duplicated(["level", "code"]).any():
        raise MultiplierError(f"{path}: duplicated (level, code) rows")
    return df


def sector_groups(classification: pd.DataFrame, level: str, definition: str = "footnote17") -> pd.Series:
    """``code -> group`` (``exposed`` / ``sheltered`` / ``excluded``) for one level and definition."""
    if level not in LEVELS:
        raise MultiplierError(f"level must be one of {LEVELS}, got {level!r}")
    if definition not in DEFINITIONS:
        raise MultiplierError(f"definition must be one of {DEFINITIONS}, got {definition!r}")
    rows = classification[classification["level"] == level]
    return pd.Series(rows[definition].to_numpy(), index=rows["code"].to_numpy(), name="group").rename_axis("sector")


def _check_codes(codes, groups: pd.Series) -> None:
    bad = groups[~groups.isin(GROUPS)]
    if len(bad):
        raise MultiplierError(f"unknown group value(s) {sorted(set(map(str, bad)))} for sector(s) {sorted(bad.index)}; "
                              f"each sector must be one of {GROUPS}")
    unknown = sorted(set(codes) - set(groups.index))
    if unknown:
        raise MultiplierError(f"sector code(s) {unknown} are not in the classification "
                              f"(known: {sorted(groups.index)}); filter totals out before calling")


# ---------------------------------------------------------------------------------------------
# 2. Long differences by zone
# ---------------------------------------------------------------------------------------------

def _wide(employment: pd.DataFrame, year: int, zone: str, sector: str, year_col: str, value: str) -> pd.DataFrame:
    rows = employment[employment[year_col] == year]
    if rows.duplicated([zone, sector]).any():
        raise MultiplierError(f"several rows per ({zone}, {sector}) in year {int(year)}{DUPLICATE_HINT}")
    return rows.pivot(index=zone, columns=sector, values=value)


def long_differences(employment: pd.DataFrame, groups: pd.Series, start: int, end: int, *,
                     regions: pd.Series | None = None, missing: str = "drop", tolerance: float = 0.01,
                     zone: str = "zone", sector: str = "sector", year: str = "year",
                     value: str = "employment") -> pd.DataFrame:
    """One row per zone: exposed and sheltered jobs in ``start`` and ``end`` and their changes.

    Parameters
    ----------
    employment : long table, one row per (zone, sector, year), jobs in ``value`` (NaN allowed).
    groups : ``sector code -> group`` from :func:`sector_groups`; every code must be classified.
    start, end : first and last year of the window (changes are ``end`` minus ``start``).
    regions : optional ``zone -> region`` Series (for fixed effects and clustering).
    missing, tolerance : the (zone, sector) cells are those of :func:`analysis.methods.cells.cell_table`,
        the package's one definition: a classified cell present in exactly one of the two years
        (``one_year``: secret, or published in one year only) is a *gap*. With ``missing="drop"``
        (default) the zone is unusable when its gap cells held more than ``tolerance`` (a
        fraction, default 0.01 as in :func:`zone_panel` and :func:`local_multiplier`) of its exposed + sheltered jobs of the start year in the year they
        were observed; a kept zone's jobs and changes are then computed on the cells present in
        both years only (one-year cells are left out of both years, never counted as 0). With
        ``missing="zero"`` (for comparison only) gap cells count as 0 jobs in the year they are
        missing. Gap cells are reported in ``gap_cells`` / ``gap_jobs`` either way. A cell
        missing in both years is an absent sector and counts as 0 jobs either way.

    Returns
    -------
    DataFrame sorted by zone with ``zone``, ``region`` (if given), ``exposed_0``, ``exposed_1``,
    ``sheltered_0``, ``sheltered_1``, ``excluded_0``, ``excluded_1`` (jobs), ``total_0`` (exposed
    + sheltered jobs at start, the regression weight), ``d_exposed``, ``d_sheltered`` (job
    changes), ``dln_exposed``, ``dln_sheltered`` (log changes), ``absent_cells`` (sector cells
    missing in both years, counted as 0), ``gap_cells`` and ``gap_jobs`` (cells missing in one
    year only and the jobs they held in the other year) and ``drop_reason`` ('' when usable;
    otherwise one of the module's reasons, with NaN changes).
    """
    if missing not in ("drop", "zero"):
        raise MultiplierError(f"missing must be 'drop' or 'zero', got {missing!r}")
    if not 0 <= tolerance < 1:
        raise MultiplierError(f"tolerance must be a fraction in [0, 1), got {tolerance!r}")
    if end <= start:
        raise MultiplierError(f"end ({end}) must be after start ({start})")
    _check_codes(employment[sector].unique(), groups)
    rows = employment[employment[year].isin([start, end])]
    dup = rows.duplicated([zone, sector, year])
    if dup.any():
        raise MultiplierError(f"several rows per ({zone}, {sector}) in year(s) "
                              f"{sorted(int(v) for v in rows.loc[dup, year].unique())}{DUPLICATE_HINT}")
    if (rows[value] < 0).any():
        raise MultiplierError("negative employment")
    c = cells.cell_table(rows, start, end, unit=zone, sector=sector, year=year, value=value)
    zones = pd.Index(c["unit"].unique()).sort_values()
    c["group"] = c["sector"].map(groups)
    c["classified"] = c["group"] != "excluded"
    gap = c["one_year"] & c["classified"]
    c["gap_jobs"] = (c["value_start"].fillna(0) + c["value_end"].fillna(0)).where(gap, 0.0)
    c["gap"] = gap
    c["seen"] = (c["in_both"] | c["one_year"]) & c["classified"]
    by_zone = c.groupby("unit")
    out = pd.DataFrame({"zone": zones})
    if regions is not None:
        out["region"] = pd.Series(zones, index=zones).map(regions).to_numpy()
    # Missing is not zero: with ``missing="drop"`` a kept zone's growth is computed on the cells present
    # in both years (its one-year cells, under ``tolerance``, are left out of both years).
    counted = c if missing == "zero" else c[~c["one_year"]]
    sums = counted.groupby(["unit", "group"])[["value_start", "value_end"]].sum().unstack("group")
    sums = sums.reindex(index=zones, columns=pd.MultiIndex.from_product([["value_start", "value_end"], GROUPS]),
                        fill_value=0.0).fillna(0.0)
    for g in GROUPS:
        out[f"{g}_0"] = sums[("value_start", g)].to_numpy(dtype=float)
        out[f"{g}_1"] = sums[("value_end", g)].to_numpy(dtype=float)
    n_classified = sum(groups[s] != "excluded" for s in c["sector"].unique())
    out["absent_cells"] = n_classified - by_zone["seen"].sum().reindex(zones).to_numpy()
    out["total_0"] = out["exposed_0"] + out["sheltered_0"]
    out["d_exposed"] = out["exposed_1"] - out["exposed_0"]
    out["d_sheltered"] = out["sheltered_1"] - out["sheltered_0"]
    reason = np.full(len(out), "", dtype=object)
    positive = (out[["exposed_0", "exposed_1", "sheltered_0", "sheltered_1"]] > 0).all(axis=1).to_numpy()
    reason[~positive] = ZERO_EMPLOYMENT
    out["gap_cells"] = by_zone["gap"].sum().reindex(zones).to_numpy()
    out["gap_jobs"] = by_zone["gap_jobs"].sum().reindex(zones).to_numpy()
    if missing == "drop":
        material = out["gap_jobs"].to_numpy() > tolerance * out["total_0"].to_numpy()
        reason[(out["gap_cells"].to_numpy() > 0) & material] = MISSING_CELL
    present0 = zones.isin(rows.loc[rows[year] == start, zone].unique())
    present1 = zones.isin(rows.loc[rows[year] == end, zone].unique())
    reason[~(present0 & present1)] = ZONE_ABSENT
    out["drop_reason"] = reason
    ok = out["drop_reason"] == ""
    for g in ("exposed", "sheltered"):
        ratio = out[f"{g}_1"].where(ok) / out[f"{g}_0"].where(ok)
        out[f"dln_{g}"] = np.log(ratio.to_numpy(dtype=float))
    for col in ("d_exposed", "d_sheltered"):
        out[col] = out[col].where(ok)
    return out


def drop_counts(panel: pd.DataFrame) -> pd.Series:
    """Number of zones by ``drop_reason`` ('usable' for the zones kept), sorted by reason."""
    reasons = panel["drop_reason"].replace("", "usable")
    return reasons.value_counts().sort_index().rename("zones")


# ---------------------------------------------------------------------------------------------
# 3. Shift-share (Bartik) instrument
# ---------------------------------------------------------------------------------------------

def shift_share(employment: pd.DataFrame, groups: pd.Series, start: int, end: int, *,
                national: pd.DataFrame | None = None, leave_one_out: bool = True, zone: str = "zone",
                sector: str = "sector", year: str = "year", value: str = "employment") -> pd.DataFrame:
    """Shift-share prediction of each zone's exposed-employment change from national sector growth.

    ``bartik_log[i] = sum_s share[i,s] * g[-i,s]`` with ``share[i,s]`` = jobs of exposed sector
    ``s`` in zone ``i`` / all exposed jobs of ``i`` in ``start``, and ``g[-i,s] = ln(N[s,end] -
    E[i,s,end]) - ln(N[s,start] - E[i,s,start])`` the national log growth of sector ``s`` without
    zone ``i``'s own jobs (``leave_one_out=False`` keeps them). ``bartik_levels[i] = sum_s
    E[i,s,start] * (exp(g[-i,s]) - 1)`` is the same prediction in jobs (instrument of the levels
    specification).

    ``national`` (columns ``sector``, ``year``, ``value`` as named) gives the national totals; by
    default they are the sums over the zones of ``employment``. Missing cells count as 0 jobs.
    A zone whose exposed jobs are all in sectors it alone employs gets NaN (``instrument
    undefined``). Returns ``zone``, ``bartik_log``, ``bartik_levels``, ``n_sectors`` (exposed
    sectors with jobs at start) and one ``share_<sector>`` column per exposed sector (the
    start-year shares, the exposure matrix of AKM inference), sorted by zone.
    """
    _check_codes(employment[sector].unique(), groups)
    present = set(pd.unique(employment[sector]))
    exposed = [c for c in groups.index[groups == "exposed"] if c in present]
    if not exposed:
        raise MultiplierError("no exposed sector in the employment table")
    e = employment[employment[sector].isin(exposed)]
    w0 = _wide(e, start, zone, sector, year, value).fillna(0)
    w1 = _wide(e, end, zone, sector, year, value).fillna(0)
    zones = w0.index.union(w1.index).sort_values()
    w0 = w0.reindex(index=zones, columns=exposed, fill_value=0).fillna(0)
    w1 = w1.reindex(index=zones, columns=exposed, fill_value=0).fillna(0)
    if national is None:
        n0, n1 = w0.sum(), w1.sum()
    else:
        nat = national[national[sector].isin(exposed)]
        n0 = nat[nat[year] == start].set_index(sector)[value].reindex(exposed)
        n1 = nat[nat[year] == end].set_index(sector)[value].reindex(exposed)
        if n0.isna().any() or n1.isna().any():
            raise MultiplierError(f"national totals missing for {start} or {end} in sectors "
                                  f"{sorted(n0.index[n0.isna() | n1.isna()])}")
    if leave_one_out:
        o0, o1 = n0.to_numpy() - w0.to_numpy(), n1.to_numpy() - w1.to_numpy()
    else:
        o0 = np.broadcast_to(n0.to_numpy(), w0.shape)
        o1 = np.broadcast_to(n1.to_numpy(), w1.shape)
    valid = (o0 > 0) & (o1 > 0)
    with np.errstate(divide="ignore", invalid="ignore"):
        g = np.where(valid, np.log(np.where(valid, o1, 1.0)) - np.log(np.where(valid, o0, 1.0)), np.nan)
    jobs0 = w0.to_numpy()
    tot0 = jobs0.sum(axis=1)
    has = jobs0 > 0
    undefined = (has & ~valid).any(axis=1) | (tot0 <= 0)
    contrib = np.where(has, g, 0.0)
    with np.errstate(divide="ignore", invalid="ignore"):
        share = np.where(tot0[:, None] > 0, jobs0 / np.where(tot0[:, None] > 0, tot0[:, None], 1.0), 0.0)
    b_log = (share * contrib).sum(axis=1)
    b_lev = (jobs0 * np.where(has, np.expm1(np.where(has, contrib, 0.0)), 0.0)).sum(axis=1)
    b_log[undefined] = np.nan
    b_lev[undefined] = np.nan
    out = pd.DataFrame({"zone": zones, "bartik_log": b_log, "bartik_levels": b_lev, "n_sectors": has.sum(axis=1)})
    shares = pd.DataFrame(share, columns=[f"{SHARE_PREFIX}{c}" for c in exposed])
    return pd.concat([out, shares], axis=1)


def add_instrument(panel: pd.DataFrame, instrument: pd.DataFrame) -> pd.DataFrame:
    """Merge :func:`shift_share` into :func:`long_differences` output (``bartik_log``,
    ``bartik_levels``, ``n_sectors``, the zone's exposed sectors with jobs at start, and the
    ``share_<sector>`` exposure columns); usable
    zones without an instrument get ``drop_reason`` = ``instrument undefined``."""
    cols = [c for c in instrument.columns
            if c in ("zone", "bartik_log", "bartik_levels", "n_sectors") or c.startswith(SHARE_PREFIX)]
    out = panel.merge(instrument[cols], on="zone", how="left")
    lost = (out["drop_reason"] == "") & out["bartik_log"].isna()
    out.loc[lost, "drop_reason"] = NO_INSTRUMENT
    for c in ("dln_exposed", "dln_sheltered", "d_exposed", "d_sheltered"):
        out.loc[lost, c] = np.nan
    return out


# ---------------------------------------------------------------------------------------------
# 4. Estimation and conversion to jobs per job
# ---------------------------------------------------------------------------------------------

def sheltered_exposed_ratio(panel: pd.DataFrame, year: str = "start") -> float:
    """Aggregate sheltered / exposed jobs over the usable zones of ``panel``.

    ``year``: ``"start"``, ``"end"`` or ``"mean"`` (average of the two ratios).
    """
    if year not in RATIO_YEARS:
        raise MultiplierError(f"ratio year must be one of {RATIO_YEARS}, got {year!r}")
    p = panel[panel["drop_reason"] == ""]
    if p.empty:
        raise MultiplierError("no usable zone")
    r0 = p["sheltered_0"].sum() / p["exposed_0"].sum()
    r1 = p["sheltered_1"].sum() / p["exposed_1"].sum()
    return {"start": r0, "end": r1, "mean": (r0 + r1) / 2}[year]


def jobs_per_job(beta: float, ratio: float) -> float:
    """Moretti's conversion of an elasticity into sheltered jobs per exposed job: ``beta * ratio``."""
    return beta * ratio


def _ols_fit(y: np.ndarray, X: np.ndarray, w: np.ndarray):
    """Weighted least squares: coefficients, residuals, rank and the (X'WX)^-1 'bread'."""
    sw = np.sqrt(w)
    coef, *_ = np.linalg.lstsq(X * sw[:, None], y * sw, rcond=None)
    resid = y - X @ coef
    bread = np.linalg.pinv((X * w[:, None]).T @ X)
    return coef, resid, int(np.linalg.matrix_rank(X)), bread


def _sandwich(scores: np.ndarray, bread: np.ndarray, clusters: np.ndarray | None) -> np.ndarray:
    if clusters is not None:
        scores = np.vstack([np.bincount(clusters, weights=scores[:, j]) for j in range(scores.shape[1])]).T
    return bread @ (scores.T @ scores) @ bread


def _critical(alpha: float, df: float | None) -> float:
    return float(special.ndtri(1 - alpha / 2)) if df is None else float(special.stdtrit(df, 1 - alpha / 2))


def estimate(panel: pd.DataFrame, *, spec: str = "log", method: str = "ols", weighted: bool = True,
             region_fe: bool = False, cov: str = "cluster", ratio_year: str = "start", alpha: float = 0.05) -> dict:
    """Long-difference multiplier on the usable zones of ``panel``, under every inference method.

    Parameters
    ----------
    panel : output of :func:`long_differences` (with :func:`add_instrument` for ``method="iv"``
        and for AKM inference, which needs the ``share_<sector>`` exposure columns).
    spec : ``"log"`` (``dln_sheltered`` on ``dln_exposed``, slope = elasticity ``beta``, converted
        with :func:`sheltered_exposed_ratio`), ``"levels"`` (``d_sheltered`` on ``d_exposed``,
        slope already in jobs per job; ratio reported as 1) or ``"levels_scaled"`` (both job
        changes, and the levels instrument, divided by the zone's start-year exposed + sheltered
        jobs, so that the largest zones do not dominate by size alone; slope in jobs per job).
    method : ``"ols"`` or ``"iv"`` (2SLS with ``bartik_log`` / ``bartik_levels``).
    weighted : weight zones by ``total_0`` (exposed + sheltered jobs at start; default, as the
        headline).
    region_fe : add region fixed effects (needs a ``region`` column).
    cov : (default ``"cluster"``, the headline) which inference fills the main ``se`` / ``ci_low`` / ``ci_high`` / ``m_low`` /
        ``m_high`` / ``first_stage_f`` columns: ``"robust"`` (heteroskedasticity-robust, ``n/(n-k)``
        corrected, t(n-k) critical value), ``"cluster"`` (by region, ``G/(G-1) (n-1)/(n-k)``
        corrected, **t(G-1)** critical value, the Stata / fixest small-cluster convention),
        ``"akm"`` or ``"akm0"`` (Adão-Kolesár-Morales exposure-robust, normal critical value,
        :mod:`analysis.methods.shiftshare`; AKM0 inverts the test, so its set may be unbounded).
    alpha : 1 - confidence level (0.05: 95 % intervals).

    Every method is always computed; the columns ``se_<m>``, ``ci_low_<m>``, ``ci_high_<m>``,
    ``m_low_<m>``, ``m_high_<m>`` and ``p_<m>`` hold each of :data:`INFERENCE` (AKM / AKM0 NaN
    with fewer than :data:`MIN_AKM_SECTORS` exposed sectors, with fewer than twice as many zones as
    sectors (the shocks net of controls are estimated across zones) or without share columns; for OLS the
    AKM variance uses the projection of the exposed change on the start-year shares, so it is an
    exposure-robust check rather than the exact design of the paper). ``akm0_set`` is the AKM0
    set as text when it is not an interval.

    Returns a dict: ``alpha`` (intercept; of the first region with ``region_fe``), ``beta``,
    ``se``, ``t``, ``p``, ``ci_low``, ``ci_high``, ``r2`` (of the estimated equation; 2SLS:
    1 - RSS/TSS with the structural residuals), ``df_resid`` (n - k), ``ratio``, ``m`` (jobs per
    job), ``m_low``, ``m_high``, the per-method columns, and for IV ``first_stage_f`` (F statistic
    of the excluded instrument under ``cov``: with one instrument it equals the Montiel
    Olea-Pflueger effective F; AKM under ``cov="akm"``/``"akm0"``), ``first_stage_f_p`` (its p-value,
    F(1, G-1) clustered, F(1, n-k) robust), ``first_stage_f_robust``, ``first_stage_f_cluster``,
    ``first_stage_f_akm``, ``weak_iv`` (F < :data:`WEAK_F`), ``ar_low``, ``ar_high`` and ``ar_set``
    (Anderson-Rubin set for ``beta`` under ``cov``, robust to weak instruments; ``m`` units in
    ``m_ar_low`` / ``m_ar_high``), plus ``n`` (zones used), ``n_dropped``, ``n_clusters``
    (regions), ``n_sectors`` (exposed sectors of the shares) and the specification arguments.
    """
    if spec not in SPECS:
        raise MultiplierError(f"spec must be one of {SPECS}, got {spec!r}")
    if method not in ("ols", "iv"):
        raise MultiplierError(f"method must be 'ols' or 'iv', got {method!r}")
    if cov not in INFERENCE:
        hint = (f"; {cov!r} is called {INFERENCE_ALIASES[str(cov).lower()]!r} here"
                if str(cov).lower() in INFERENCE_ALIASES else "")
        raise MultiplierError(f"cov (the inference method) must be one of {INFERENCE}, got {cov!r}{hint}")
    y, x, z = (("dln_sheltered", "dln_exposed", "bartik_log") if spec == "log"
               else ("d_sheltered", "d_exposed", "bartik_levels"))
    if spec == "levels_scaled":
        cols = [c for c in (y, x, z) if c in panel.columns]
        panel = panel.assign(**{c: panel[c] / panel["total_0"] for c in cols})
    has_region = "region" in panel.columns
    needed = [y, x, "drop_reason"] + ([z] if method == "iv" else []) + (
        ["region"] if region_fe or cov == "cluster" else [])
    if weighted:
        needed.append("total_0")
    missing_cols = [c for c in needed if c not in panel.columns]
    if missing_cols:
        raise MultiplierError(f"panel lacks column(s) {missing_cols}")
    p = panel[panel["drop_reason"] == ""]
    if method == "iv":
        p = p[p[z].notna()]
    if has_region:
        p = p[p["region"].notna()]
    else:
        p = p.assign(region=p["zone"])          # no regions: each zone its own cluster
    p = p.sort_values("zone").reset_index(drop=True)
    n_dropped = len(panel) - len(p)
    n = len(p)
    Z = np.ones((n, 1))
    if region_fe:
        Z = np.column_stack([Z, pd.get_dummies(p["region"], drop_first=True, dtype=float).to_numpy()])
    k = Z.shape[1] + 1
    if n <= k:
        why = panel["drop_reason"].replace("", pd.NA).dropna().value_counts()
        left = "; ".join(f"{c} {r}" for r, c in why.items())
        raise MultiplierError(f"too few usable zones ({n} of {len(panel)}) for the regression"
                              + (f"; left out: {left}" if left else "")
                              + ("; local_multiplier(tolerance=...) keeps a zone whose cells missing in one year hold "
                                 "at most that share of its employment" if MISSING_CELL in why.index else ""))
    w = p["total_0"].to_numpy(dtype=float) if weighted else np.ones(n)
    yv, xv = p[y].to_numpy(dtype=float), p[x].to_numpy(dtype=float)
    clusters = pd.factorize(p["region"], sort=True)[0]
    G = int(clusters.max()) + 1
    if G < 2:
        raise MultiplierError("a single region: clustered inference needs at least 2")
    XX = np.column_stack([xv, Z])
    if method == "ols":
        coef, resid, rank, bread = _ols_fit(yv, XX, w)
        beta, intercept = float(coef[0]), float(coef[1])
        scores = XX * (w * resid)[:, None]
    else:
        zv = p[z].to_numpy(dtype=float)
        ZZ = np.column_stack([zv, Z])
        fs_coef, fs_resid, _, fs_bread = _ols_fit(xv, ZZ, w)
        xhat = ZZ @ fs_coef
        XH = np.column_stack([xhat, Z])
        coef, _, rank, bread = _ols_fit(yv, XH, w)
        beta, intercept = float(coef[0]), float(coef[1])
        resid = yv - XX @ coef
        scores = XH * (w * resid)[:, None]
    k = rank
    df_resid = n - k
    ehw = _sandwich(scores, bread, None) * n / df_resid
    clu = _sandwich(scores, bread, clusters) * G / (G - 1) * (n - 1) / df_resid
    se = {"robust": math.sqrt(ehw[0, 0]), "cluster": math.sqrt(clu[0, 0])}
    crit = {"robust": _critical(alpha, df_resid), "cluster": _critical(alpha, G - 1), "akm": _critical(alpha, None),
            "akm0": _critical(alpha, None)}
    df_of = {"robust": df_resid, "cluster": G - 1, "akm": None, "akm0": None}
    ci = {m: (beta - crit[m] * se[m], beta + crit[m] * se[m]) for m in ("robust", "cluster")}
    pv = {m: float(2 * (special.stdtr(df_of[m], -abs(beta) / se[m]))) for m in ("robust", "cluster")}
    share_cols = [c for c in p.columns if c.startswith(SHARE_PREFIX)]
    Wm = p[share_cols].to_numpy(dtype=float) if share_cols else np.zeros((n, 0))
    if Wm.shape[1]:
        Wm = Wm[:, Wm.sum(axis=0) > 0]
    n_sectors = Wm.shape[1]
    ss_res, akm0_set = _akm_inference(yv, xv, zv if method == "iv" else None, Wm, Z, w if weighted else None,
                                      alpha, se, ci, pv)
    ratio = sheltered_exposed_ratio(p, ratio_year) if spec == "log" else 1.0
    tss = float(np.sum(w * (yv - np.average(yv, weights=w)) ** 2))
    out = {"spec": spec, "method": method, "weighted": weighted, "region_fe": region_fe, "cov": cov,
           "alpha": intercept, "beta": beta, "se": se[cov],
           # AKM0: the null-imposed statistic behind its p-value (its se is the set's half-length over the critical
           # value, as in ShiftShareSE, and beta / se is no test statistic)
           "t": (ss_res.extra["akm0_stat"] if cov == "akm0" and ss_res is not None
                 else beta / se[cov] if se[cov] else math.nan),
           "p": pv[cov], "ci_low": ci[cov][0], "ci_high": ci[cov][1],
           "r2": 1 - float(np.sum(w * resid ** 2)) / tss if tss > 0 else math.nan, "df_resid": df_resid,
           "ratio": ratio, "m": jobs_per_job(beta, ratio),
           "m_low": jobs_per_job(ci[cov][0], ratio), "m_high": jobs_per_job(ci[cov][1], ratio)}
    for m in INFERENCE:
        out.update({f"se_{m}": se[m], f"p_{m}": pv[m], f"ci_low_{m}": ci[m][0], f"ci_high_{m}": ci[m][1],
                    f"m_low_{m}": jobs_per_job(ci[m][0], ratio), f"m_high_{m}": jobs_per_job(ci[m][1], ratio)})
    out["akm0_set"] = akm0_set
    fs = _iv_diagnostics(yv, xv, zv, ZZ, Z, w, weighted, fs_coef, fs_resid, fs_bread, clusters, G, df_resid, cov,
                         alpha, ss_res, Wm, ratio) if method == "iv" else dict(_NO_IV)
    out.update(fs)
    out.update({"n": n, "n_dropped": n_dropped, "n_clusters": G if has_region else n, "n_sectors": n_sectors})
    return out


#: The IV columns of :func:`estimate`'s result for an OLS estimate (all missing).
_NO_IV = {"first_stage_f": math.nan, "first_stage_f_p": math.nan, "first_stage_f_robust": math.nan,
          "first_stage_f_cluster": math.nan, "first_stage_f_akm": math.nan, "weak_iv": False,
          "ar_low": math.nan, "ar_high": math.nan, "ar_set": "", "m_ar_low": math.nan, "m_ar_high": math.nan}


def _akm_inference(yv, xv, zv, Wm, Z, weights, alpha, se: dict, ci: dict, pv: dict):
    """Exposure-robust inference (AKM, AKM0: :mod:`analysis.methods.shiftshare`) of :func:`estimate`, written into
    ``se``, ``ci`` and ``pv``; NaN with fewer than :data:`MIN_AKM_SECTORS` exposed sectors or fewer than twice as
    many zones as sectors. Returns the shift-share result (or None) and the AKM0 set as text when not an interval."""
    n, n_sectors = len(yv), Wm.shape[1]
    if not (n_sectors >= MIN_AKM_SECTORS and n > 2 * n_sectors):
        for m in ("akm", "akm0"):
            se[m], ci[m], pv[m] = math.nan, (math.nan, math.nan), math.nan
        return None, ""
    controls = Z[:, 1:] if Z.shape[1] > 1 else None
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", shiftshare.CollinearSharesWarning)
        if zv is None:
            ss_res = shiftshare.reg_ss(yv, xv, Wm, controls=controls, weights=weights, method=("akm", "akm0"),
                                       alpha=alpha)
        else:
            ss_res = shiftshare.ivreg_ss(yv, xv, zv, Wm, controls=controls, weights=weights,
                                         method=("akm", "akm0"), alpha=alpha)
    se["akm"], se["akm0"] = ss_res.se["akm"], ss_res.se["akm0"]
    ci["akm"] = (ss_res.ci_low["akm"], ss_res.ci_high["akm"])
    ci["akm0"] = (ss_res.ci_low["akm0"], ss_res.ci_high["akm0"])
    pv["akm"], pv["akm0"] = ss_res.p["akm"], ss_res.p["akm0"]
    akm0_set = shiftshare.format_set(ss_res.ci_set["akm0"]) if ss_res.akm0_shape() != "interval" else ""
    return ss_res, akm0_set


def _iv_diagnostics(yv, xv, zv, ZZ, Z, w, weighted, fs_coef, fs_resid, fs_bread, clusters, G, df_resid, cov, alpha,
                    ss_res, Wm, ratio) -> dict:
    """First-stage F under each inference (with one instrument, the Montiel Olea-Pflueger effective F) and the
    Anderson-Rubin set of :func:`estimate`'s IV (see its docstring for the columns)."""
    n = len(yv)
    df_of = {"robust": df_resid, "cluster": G - 1, "akm": None, "akm0": None}
    fs_scores = ZZ * (w * fs_resid)[:, None]
    pi = float(fs_coef[0])
    f_rob = pi ** 2 / (_sandwich(fs_scores, fs_bread, None)[0, 0] * n / df_resid)
    f_clu = pi ** 2 / (_sandwich(fs_scores, fs_bread, clusters)[0, 0] * G / (G - 1) * (n - 1) / df_resid)
    f_akm = math.nan
    if ss_res is not None:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", shiftshare.CollinearSharesWarning)
            fsa = shiftshare.reg_ss(xv, zv, Wm, controls=Z[:, 1:] if Z.shape[1] > 1 else None,
                                    weights=w if weighted else None, method=("akm",))
        f_akm = (fsa.beta / fsa.se["akm"]) ** 2
    f = {"robust": f_rob, "cluster": f_clu, "akm": f_akm, "akm0": f_akm}[cov]
    dfd = {"robust": df_resid, "cluster": G - 1}.get(cov)
    # Anderson-Rubin: reduced forms of y and x on the instrument, joint covariance under cov
    rf_coef, rf_resid, _, _ = _ols_fit(yv, ZZ, w)
    sc = np.column_stack([(w * rf_resid), (w * fs_resid)])
    ddz = zv - Z @ np.linalg.lstsq(Z * np.sqrt(w)[:, None], zv * np.sqrt(w), rcond=None)[0]
    szz = float(np.sum(w * ddz ** 2))
    u = sc * ddz[:, None]
    if cov == "robust":
        V = u.T @ u * n / df_resid / szz ** 2
    else:                                   # cluster (AKM Anderson-Rubin is the AKM0 set itself)
        uc = np.vstack([np.bincount(clusters, weights=u[:, j]) for j in range(2)]).T
        V = uc.T @ uc * G / (G - 1) * (n - 1) / df_resid / szz ** 2
    c2 = _critical(alpha, df_of["cluster" if cov != "robust" else "robust"]) ** 2
    py, px = float(rf_coef[0]), pi
    pieces = shiftshare.quadratic_set(px ** 2 - c2 * V[1, 1], -2 * py * px + 2 * c2 * V[0, 1], py ** 2 - c2 * V[0, 0])
    if cov in ("akm", "akm0") and ss_res is not None:
        pieces = ss_res.ci_set["akm0"]
    lo = pieces[0][0] if pieces else math.nan
    hi = pieces[-1][1] if pieces else math.nan
    return {**_NO_IV, "first_stage_f": f, "first_stage_f_p": float(special.fdtrc(1, dfd, f)) if dfd else
               float(special.chdtrc(1, f)) if not math.isnan(f) else math.nan,
               "first_stage_f_robust": f_rob, "first_stage_f_cluster": f_clu, "first_stage_f_akm": f_akm,
               "weak_iv": bool(f < WEAK_F) if not math.isnan(f) else False,
               "ar_low": lo, "ar_high": hi,
               "ar_set": "" if len(pieces) == 1 and all(map(math.isfinite, pieces[0]))
               else shiftshare.format_set(pieces),
               "m_ar_low": jobs_per_job(lo, ratio), "m_ar_high": jobs_per_job(hi, ratio)}


def zone_panel(employment: pd.DataFrame, groups: pd.Series, start: int, end: int, *, regions: pd.Series | None = None,
               tolerance: float = 0.01, instrument: bool = True, instrument_employment: pd.DataFrame | None = None,
               instrument_groups: pd.Series | None = None, national: pd.DataFrame | None = None) -> pd.DataFrame:
    """:func:`long_differences` of ``employment`` with, when ``instrument``, the :func:`shift_share`
    instrument merged in (:func:`add_instrument`).

    The instrument is built from ``instrument_employment`` and ``instrument_groups`` (default:
    the same table and groups) and the ``national`` totals (default: the sums over the zones),
    e.g. zone employment aggregated to the NA28 sectors of a national series. ``tolerance``
    (default 1 %, the headline rule) is that of :func:`long_differences`. Same units,
    zones and columns as :func:`long_differences`.
    """
    panel = long_differences(employment, groups, start, end, regions=regions, tolerance=tolerance)
    if not instrument:
        return panel
    inst_emp = employment if instrument_employment is None else instrument_employment
    inst_groups = groups if instrument_groups is None else instrument_groups
    return add_instrument(panel, shift_share(inst_emp, inst_groups, start, end, national=national))


def estimate_grid(panel: pd.DataFrame, specs: Sequence[tuple], *, cov: str = "cluster", ratio_year: str = "start",
                  **labels) -> pd.DataFrame:
    """:func:`estimate` for each ``(spec, method, weighted, region_fe)`` of ``specs`` on one panel.

    ``labels`` (e.g. ``data=``, ``window=``, ``definition=``) become the first columns of every
    row; the other columns are those of :func:`estimate`. One row per spec, in order.
    """
    rows = []
    for spec, method, weighted, region_fe in specs:
        rows.append({**labels, **estimate(panel, spec=spec, method=method, weighted=weighted, region_fe=region_fe,
                                          cov=cov, ratio_year=ratio_year)})
    return pd.DataFrame(rows)


# ---------------------------------------------------------------------------------------------
# 4b. Diagnostics of the shift-share design: Rotemberg weights, pre-trends
# ---------------------------------------------------------------------------------------------

def national_shifts(employment: pd.DataFrame, groups: pd.Series, start: int, end: int) -> pd.Series:
    """National log growth ``ln(N[s, end] / N[s, start])`` of each exposed sector (sum over zones,
    missing cells as 0): the shifts of the Bartik instrument without the leave-one-out correction.
    Indexed by sector code, sorted."""
    _check_codes(employment["sector"].unique(), groups)
    e = employment[employment["sector"].map(groups).eq("exposed") & employment["year"].isin([start, end])]
    nat = e.pivot_table(index="sector", columns="year", values="employment", aggfunc="sum")
    for yr in (start, end):
        if yr not in nat.columns:
            raise MultiplierError(f"no exposed employment in year {yr}")
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.log(nat[end] / nat[start]).rename("shift").sort_index()


def rotemberg_weights(panel: pd.DataFrame, shifts: pd.Series, *, spec: str = "log", weighted: bool = True,
                      region_fe: bool = False, top: int | None = None, labels: pd.Series | None = None) -> pd.DataFrame:
    """Rotemberg weights of the Bartik instrument (Goldsmith-Pinkham, Sorkin & Swift 2020, AER).

    With the instrument ``B_i = sum_s share[i, s] * g_s`` (start-year shares of ``panel``'s
    ``share_<sector>`` columns, ``shifts`` = ``g_s``, e.g. :func:`national_shifts`), the 2SLS
    estimate is ``sum_s alpha_s beta_s``: ``beta_s`` is the just-identified IV estimate using
    sector ``s``'s share alone as instrument and ``alpha_s = g_s share_s' M x / B' M x`` its
    weight (``M`` partials out the intercept, region effects if ``region_fe``, with the weights
    if ``weighted``). Weights sum to 1; negative ones mean the sectors' estimates are not averaged
    in the usual sense.

    Returns one row per sector with jobs at start, sorted by ``|alpha|`` descending: ``sector``,
    ``shift`` (log growth), ``mean_share`` (weighted mean start-year share), ``alpha``,
    ``beta_s`` (elasticity; NaN when the share does not move ``x``), ``first_stage_f_s`` (robust
    F of the share alone), ``alpha_x_beta``. ``top`` keeps the first rows. ``attrs`` (table
    metadata, not state): ``beta_bartik`` (= sum of ``alpha_x_beta`` over all sectors),
    ``negative_weight_share`` (sum of negative alphas over sum of |alpha|), ``n`` zones.
    """
    y, x = ("dln_sheltered", "dln_exposed") if spec == "log" else ("d_sheltered", "d_exposed")
    cols = [c for c in panel.columns if c.startswith(SHARE_PREFIX)]
    if not cols:
        raise MultiplierError("panel has no share_<sector> columns: build it with zone_panel(..., instrument=True)")
    p = panel[(panel["drop_reason"] == "") & panel[x].notna() & panel[y].notna()].sort_values("zone")
    sectors = [c[len(SHARE_PREFIX):] for c in cols]
    missing = sorted(set(sectors) - set(shifts.index))
    if missing:
        raise MultiplierError(f"no shift for sector(s) {missing}")
    g = shifts.reindex(sectors).to_numpy(dtype=float)
    S = p[cols].to_numpy(dtype=float)
    keep = (S.sum(axis=0) > 0) & np.isfinite(g)
    S, g, sectors = S[:, keep], g[keep], [s for s, k in zip(sectors, keep) if k]
    w = p["total_0"].to_numpy(dtype=float) if weighted else np.ones(len(p))
    Z = np.ones((len(p), 1))
    if region_fe:
        Z = np.column_stack([Z, pd.get_dummies(p["region"], drop_first=True, dtype=float).to_numpy()])
    sw = np.sqrt(w)
    q, _ = np.linalg.qr(Z * sw[:, None])

    def partial(v):
        vt = v * sw[:, None] if v.ndim == 2 else v * sw
        return vt - q @ (q.T @ vt)                       # weighted, scaled residuals

    xt, yt, St = partial(p[x].to_numpy(float)), partial(p[y].to_numpy(float)), partial(S)
    B = St @ g
    sx, sy = St.T @ xt, St.T @ yt
    alpha = g * sx / float(B @ xt)
    with np.errstate(divide="ignore", invalid="ignore"):
        beta_s = np.where(np.abs(sx) > 1e-12 * np.abs(sx).max(), sy / sx, np.nan)
    # robust first-stage F of each share alone (x on share_s, partialled)
    ssq = (St ** 2).sum(axis=0)
    pi = sx / ssq
    res = xt[:, None] - St * pi[None, :]
    n, k = len(p), Z.shape[1] + 1
    var = ((St * res) ** 2).sum(axis=0) / ssq ** 2 * n / (n - k)
    out = pd.DataFrame({"sector": sectors, "shift": g, "mean_share": np.average(S, axis=0, weights=w),
                        "alpha": alpha, "beta_s": beta_s, "first_stage_f_s": pi ** 2 / var,
                        "alpha_x_beta": alpha * np.nan_to_num(beta_s)})
    out = out.reindex(out["alpha"].abs().sort_values(ascending=False).index).reset_index(drop=True)
    neg = float(-out.loc[out["alpha"] < 0, "alpha"].sum() / out["alpha"].abs().sum())
    beta_bartik = float(out["alpha_x_beta"].sum())
    if top is not None:
        out = out.head(top).reset_index(drop=True)
    if labels is not None:
        out.insert(1, "label", out["sector"].map(labels))
    out.attrs.update({"beta_bartik": beta_bartik, "negative_weight_share": neg, "n": n})
    return out


def pretrend_test(pre_panel: pd.DataFrame, panel: pd.DataFrame, *, regressor: str = "bartik_log",
                  weighted: bool = True, region_fe: bool = False, cov: str = "cluster",
                  alpha: float = 0.05) -> dict:
    """Do the window's exposure variables predict sheltered growth *before* the window?

    Regresses ``dln_sheltered`` of ``pre_panel`` (:func:`long_differences` over a pre-window,
    e.g. 1998-2007 for a 2007-2017 window) on ``regressor`` of ``panel`` (the window's panel:
    ``bartik_log``, the instrument, or a ``share_<sector>`` column, e.g. the start-year share of
    industry), zone by zone, weighted by ``panel``'s ``total_0`` if ``weighted``. A coefficient
    distinguishable from 0 means exposed zones were already on a different sheltered trend: the
    exclusion restriction of the instrument (or the OLS comparison) is in doubt.

    Returns ``coef``, ``se``, ``t``, ``p`` (t(G-1) with ``cov="cluster"``, t(n-k) robust),
    ``ci_low``, ``ci_high`` (in growth of the pre-window per unit of ``regressor``), ``n`` (zones
    usable in both panels), ``n_clusters`` and ``regressor``.
    """
    if regressor not in panel.columns:
        raise MultiplierError(f"panel has no column {regressor!r}")
    a = panel.loc[panel["drop_reason"] == "", ["zone", "region", "total_0", regressor]]
    b = pre_panel.loc[pre_panel["drop_reason"] == "", ["zone", "dln_sheltered"]]
    d = a.merge(b, on="zone").dropna().sort_values("zone").reset_index(drop=True)
    fake = d.assign(d_exposed=d[regressor], d_sheltered=d["dln_sheltered"], drop_reason="")
    r = estimate(fake, spec="levels", method="ols", weighted=weighted, region_fe=region_fe, cov=cov, alpha=alpha)
    return {"regressor": regressor, "coef": r["beta"], "se": r["se"], "t": r["t"], "p": r["p"],
            "ci_low": r["ci_low"], "ci_high": r["ci_high"], "n": r["n"], "n_clusters": r["n_clusters"]}


# ---------------------------------------------------------------------------------------------
# 4c. One call: tidy employment -> multiplier with every inference method
# ---------------------------------------------------------------------------------------------

@dataclass
class MultiplierResult(ResultTable):
    """Result of :func:`local_multiplier`: the estimate (a dict of :func:`estimate`), the panel it
    used, drop counts by reason and the specification. ``m`` is in sheltered jobs per exposed job.

    Reading interface of :class:`analysis.methods.results.ResultTable` (statsmodels names): ``params``
    (``beta``, the elasticity, and ``m`` = ``beta`` x S/E, jobs per job), ``bse``, ``pvalues`` (under
    ``inference``), ``conf_int(method=...)`` for ``robust``, ``cluster`` (region-clustered, t(G-1)), ``akm``,
    ``akm0`` and, for IV, ``anderson_rubin``; ``nobs`` (zones used), ``summary()``, ``to_frame()``,
    ``to_latex()``; item access to the :func:`estimate` dict is kept (``r["beta"]``, ``r["m_low_akm"]``).
    ``sample`` says which zones were kept (``metropolitan`` or ``all``) and ``sample_note`` how many.
    """

    estimate: dict
    panel: pd.DataFrame
    dropped: pd.Series
    window: tuple
    definition: str
    inference: str
    sample: str = "all"
    sample_note: str = ""
    alpha: float = 0.05

    def __getitem__(self, key):
        return self.estimate[key]

    def keys(self):
        """Keys of the :func:`estimate` dict (dict-like access, as notebooks use it)."""
        return self.estimate.keys()

    @property
    def m(self) -> float:
        return self.estimate["m"]

    # -- statsmodels-style interface -------------------------------------------------------------
    @property
    def params(self) -> pd.Series:
        return pd.Series({"beta": self.estimate["beta"], "m": self.estimate["m"]}, name="params")

    @property
    def nobs(self) -> int:
        return int(self.estimate["n"])

    def methods(self) -> tuple:
        e = self.estimate
        done = tuple(m for m in INFERENCE if not (isinstance(e[f"se_{m}"], float) and math.isnan(e[f"se_{m}"])))
        if e["method"] == "iv" and not math.isnan(e["ar_low"]):
            done += ("anderson_rubin",)
        return done

    def _se(self, method):
        r = self.estimate["ratio"]
        se = math.nan if method == "anderson_rubin" else self.estimate[f"se_{method}"]
        return pd.Series({"beta": se, "m": se * r})

    def _pvalue(self, method):
        p = math.nan if method == "anderson_rubin" else self.estimate[f"p_{method}"]
        return pd.Series({"beta": p, "m": p})

    def _interval(self, method):
        e = self.estimate
        if method == "anderson_rubin":
            lo, hi, mlo, mhi = e["ar_low"], e["ar_high"], e["m_ar_low"], e["m_ar_high"]
        else:
            lo, hi, mlo, mhi = (e[f"ci_low_{method}"], e[f"ci_high_{method}"], e[f"m_low_{method}"],
                                e[f"m_high_{method}"])
        return pd.DataFrame({"lower": [min(lo, hi), min(mlo, mhi)], "upper": [max(lo, hi), max(mlo, mhi)]},
                            index=["beta", "m"])

    def _set_text(self, method) -> str:
        e = self.estimate
        if method == "akm0" and e["akm0_set"]:
            return f"(elasticity set {e['akm0_set']})"
        if method == "anderson_rubin" and e["ar_set"]:
            return f"(elasticity set {e['ar_set']})"
        return ""

    def effective_f(self) -> dict:
        """IV only: the first-stage F of the excluded instrument under each covariance; with one instrument
        it is the Montiel Olea-Pflueger effective F (compare with
        :data:`analysis.methods.results.MOP_CRITICAL_10PCT`, 23.1). Keys ``robust``, ``cluster``, ``akm``
        (NaN where not computed); empty for OLS."""
        e = self.estimate
        if e["method"] != "iv":
            return {}
        return {"robust": e["first_stage_f_robust"], "cluster": e["first_stage_f_cluster"],
                "akm": e["first_stage_f_akm"]}

    def info(self) -> dict:
        e = self.estimate
        out = {"estimator": f"{e['spec']} {e['method'].upper()}" + (", weighted" if e["weighted"] else ", unweighted")
               + (", region FE" if e["region_fe"] else ""),
               "window": f"{self.window[0]}-{self.window[1]}", "definition": self.definition,
               "sample": self.sample, "zones": self.nobs, "region clusters": e["n_clusters"],
               "exposed sectors": e["n_sectors"], "S/E ratio": e["ratio"]}
        for m, f in self.effective_f().items():
            if not math.isnan(f):
                out[f"effective F (MOP), {INFERENCE_LABELS[m]}"] = f
        return out

    def intervals(self) -> pd.DataFrame:
        """One row per inference method: ``se``, ``p``, ``ci_low``/``ci_high`` (elasticity) and
        ``m_low``/``m_high`` (jobs per job), with the critical value convention."""
        e = self.estimate
        G = e["n_clusters"]
        conv = {"robust": f"t({e['df_resid']})",
                "cluster": f"t(G-1) = t({G - 1})" if G is not None else "not computed: no regions",
                "akm": "normal", "akm0": "normal, null imposed"}
        rows = [{"inference": m, "se": e[f"se_{m}"], "p": e[f"p_{m}"], "ci_low": e[f"ci_low_{m}"],
                 "ci_high": e[f"ci_high_{m}"], "m_low": e[f"m_low_{m}"], "m_high": e[f"m_high_{m}"],
                 "critical_value": conv[m]} for m in INFERENCE]
        if e["method"] == "iv":
            rows.append({"inference": f"anderson_rubin ({e['cov']})", "se": math.nan, "p": math.nan,
                         "ci_low": e["ar_low"], "ci_high": e["ar_high"], "m_low": e["m_ar_low"],
                         "m_high": e["m_ar_high"], "critical_value": "inverted test"})
        return pd.DataFrame(rows).set_index("inference")

    def summary(self) -> str:
        """Readable summary: specification, sample, m, its intervals under every method, fit and samples."""
        e = self.estimate
        G = e["n_clusters"]
        lines = [f"Local multiplier {self.window[0]}-{self.window[1]}, definition {self.definition}, {e['spec']} "
                 f"{e['method'].upper()}, {'weighted by start-year jobs' if e['weighted'] else 'unweighted'}"
                 f"{', region fixed effects' if e['region_fe'] else ''}",
                 f"  sample: {self.sample}" + (f" ({self.sample_note})" if self.sample_note else ""),
                 f"  elasticity beta = {e['beta']:.4f} (se {e['se']:.4f}, "
                 f"t{' (null imposed)' if self.inference == 'akm0' else ''} {e['t']:.2f}, p {e['p']:.3g}, "
                 f"{INFERENCE_LABELS[self.inference]}); R2 {e['r2']:.3f}; S/E ratio {e['ratio']:.3f}",
                 f"  m = {e['m']:.3f} sheltered jobs per exposed job ({100 * e['m']:.1f} per 100)",
                 f"  n = {e['n']} zones, " + (f"{G} region clusters" if G is not None else "no regions")
                 + f", {e['n_sectors']} exposed sectors; df {e['df_resid']}"]
        if e["method"] == "iv":
            fs = ", ".join(f"{INFERENCE_LABELS[m]} {f:.1f}" for m, f in self.effective_f().items() if not math.isnan(f))
            lines.append(f"  first-stage F = Montiel Olea-Pflueger effective F (one instrument): {fs}"
                         + ("  ** weak first stage **" if e["weak_iv"] else ""))
        lines.append(f"  {100 * (1 - self.alpha):g}% intervals of m (jobs per job):")
        for name, r in self.intervals().iterrows():
            if math.isnan(r["m_low"]):
                txt = "not computed" + (f" (needs >= {MIN_AKM_SECTORS} exposed sectors and more than twice as "
                                        "many zones)" if name.startswith("akm") else "")
            else:
                lo, hi = sorted((r["m_low"], r["m_high"]))
                txt = f"[{lo:.3f}, {hi:.3f}]"
                if name == "akm0" and e["akm0_set"]:
                    txt += f"  (elasticity set {e['akm0_set']})"
                if name.startswith("anderson") and e["ar_set"]:
                    txt += f"  (elasticity set {e['ar_set']})"
            shown = INFERENCE_LABELS.get(name, name) if not name.startswith("anderson") else (
                f"Anderson-Rubin ({INFERENCE_LABELS[e['cov']]})")
            lines.append(f"    {shown:50} {txt}  [{r['critical_value']}]")
        lines.append("  zones by status: " + ", ".join(f"{k} {v}" for k, v in self.dropped.items()))
        return "\n".join(lines)

    def __repr__(self) -> str:  # pragma: no cover - display only
        return self.summary()


def validate_groups(groups: Mapping | pd.Series) -> pd.Series:
    """A ``code -> group`` mapping checked against :data:`GROUPS`; unknown group names are refused
    (naming them and their codes), as are empty exposed or sheltered sides."""
    g = pd.Series(groups, dtype=object) if not isinstance(groups, pd.Series) else groups.astype(object)
    bad = g[~g.isin(GROUPS)]
    if len(bad):
        raise MultiplierError(f"unknown group value(s) {sorted(set(bad))} for sector(s) {sorted(bad.index)}; "
                              f"each sector must be one of {GROUPS}")
    for side in ("exposed", "sheltered"):
        if not (g == side).any():
            raise MultiplierError(f"the sector grouping has no {side} sector")
    return g.rename("group").rename_axis("sector")


def _infer_level(codes, classification: pd.DataFrame) -> str:
    for level in LEVELS:
        known = set(classification.loc[classification["level"] == level, "code"])
        if set(codes) <= known:
            return level
    lack = {lv: sorted(set(codes) - set(classification.loc[classification["level"] == lv, "code"])) for lv in LEVELS}
    near = min(LEVELS, key=lambda lv: len(lack[lv]))
    raise MultiplierError(f"the sector codes match no level of the classification {LEVELS} (closest: {near!r}, "
                          f"which lacks {lack[near][:8]}{' ...' if len(lack[near]) > 8 else ''}); give codes of one level "
                          "(data/sector_classification.csv), or definition= a mapping code -> 'exposed', 'sheltered' "
                          "or 'excluded'")


#: Samples of :func:`local_multiplier`: metropolitan zones only (regions not in
#: :data:`analysis.geo.tables.OVERSEAS_REGIONS`), or every zone of the data.
SAMPLES = ("metropolitan", "all")
#: Other names users try for an inference method, and the package's name for each.
INFERENCE_ALIASES = {"hc1": "robust", "hc0": "robust", "hc": "robust", "ehw": "robust", "het": "robust",
                     "clustered": "cluster", "cr1": "cluster", "region": "cluster", "region_cluster": "cluster",
                     "adao": "akm", "akm_null": "akm0"}
REGIONS_HINT = ("analysis.methods.panels.zone_regions('ze2020') (or 'ze2010', 'dep'), or take data and regions "
                "together from rc.panel(name)")


@dataclass
class Panel:
    """An analysis-ready zone x sector x year employment table with what estimation needs beside it.

    ``data``: ``zone``, ``sector``, ``year``, ``employment`` (jobs; NaN = missing cell); ``regions``:
    ``zone -> region`` (one per zone, for clustering and fixed effects); ``level``: the sector level of
    ``data/sector_classification.csv`` (``estel``, ``a38``, ``a17``, ``na28``); ``sector_labels``: code ->
    French label; ``sample``: ``metropolitan`` or ``all``; ``name`` and ``description`` say what it is.
    Built by :func:`analysis.methods.panels.panel`; :func:`local_multiplier` takes it in place of ``data``.
    """

    name: str
    data: pd.DataFrame
    regions: pd.Series
    level: str
    sector_labels: pd.Series
    sample: str
    description: str = ""

    @property
    def years(self) -> list:
        return sorted(int(y) for y in pd.unique(self.data["year"]))

    def __repr__(self) -> str:  # pragma: no cover - display only
        return (f"Panel {self.name!r} ({self.sample}): {self.data['zone'].nunique()} zones, "
                f"{self.data['sector'].nunique()} {self.level} sectors, years {self.years[0]}-{self.years[-1]}; "
                f"{self.description}")


def parse_window(window) -> tuple[int, int]:
    """``(start, end)`` from a pair of years or a ``"start-end"`` string; anything else is refused in one line.

    >>> parse_window("2019-2024"), parse_window((2007, 2017))
    ((2019, 2024), (2007, 2017))
    """
    w = window
    if isinstance(w, str):
        parts = w.replace("\u2013", "-").split("-")
        if len(parts) == 2 and all(p.strip().isdigit() for p in parts):
            w = (int(parts[0]), int(parts[1]))
        else:
            raise MultiplierError(f"window {window!r} is not a 'start-end' string such as '2019-2024'")
    try:
        start, end = (int(v) for v in w)
    except (TypeError, ValueError):
        raise MultiplierError(f"window must be (start, end) years or a 'start-end' string such as '2019-2024', "
                              f"got {window!r}") from None
    if end <= start:
        raise MultiplierError(f"window {window!r}: the end year must be after the start year")
    return start, end


def local_multiplier(data: pd.DataFrame | Panel, window, *, definition: str | Mapping = "footnote17",
                     method: str = "ols", weighted: bool = True, region_fe: bool = False,
                     inference: str = "cluster", spec: str = "log", ratio_year: str = "start",
                     regions: pd.Series | None = None, sample: str = "metropolitan", tolerance: float = 0.01,
                     level: str | None = None, classification: pd.DataFrame | None = None,
                     alpha: float = 0.05) -> MultiplierResult:
    """The local multiplier in one call, from tidy employment data; defaults = the headline specification.

    Parameters
    ----------
    data : long table ``zone``, ``sector``, ``year``, ``employment`` (jobs; NaN = missing cell),
        optionally ``region`` (one per zone) unless ``regions`` is given; or a :class:`Panel`
        (``rc.panel(name)``), which brings its regions and sector level.
    window : ``(start, end)`` years or a ``"start-end"`` string; both years must be in ``data``.
    definition : a column of ``data/sector_classification.csv`` (:data:`DEFINITIONS`) or a
        custom ``code -> 'exposed' / 'sheltered' / 'excluded'`` mapping (validated: unknown group
        values and unclassified codes are refused, naming them).
    method, weighted, region_fe, spec, ratio_year : as :func:`estimate` (defaults: log long
        differences, employment-weighted OLS, no region effects, S/E at the start year).
    inference : ``"cluster"`` (by region, CR1, t(G-1)), ``"robust"`` (HC1, t(n-k)), ``"akm"`` or ``"akm0"``:
        the method of the main ``se`` / ``m_low`` / ``m_high``; every method is computed anyway. The labels
        have one meaning across the package (:data:`analysis.methods.results.INFERENCE_LABELS`).
    regions : ``zone -> region``. Needed by every inference but ``robust`` (the result reports
        region-clustered intervals beside AKM); built by :func:`analysis.methods.panels.zone_regions`.
        Without regions (``inference="robust"`` only) the clustered columns are NaN, never zone-clustered.
    sample : ``"metropolitan"`` (default: zones whose region is not overseas; needs ``regions``) or
        ``"all"``; printed in the result.
    tolerance : share of a zone's jobs that may sit in cells missing in one year only (default
        1 %: such cells count as 0; above it the zone is dropped, see :func:`long_differences`).
    level : ``"a38"``, ``"estel"``, ``"na28"`` or ``"a17"`` (:data:`LEVELS`; inferred from the codes when None).

    Returns a :class:`MultiplierResult` (``params``, ``conf_int(method)``, ``summary()``, ``intervals()``,
    ``m``, item access to the :func:`estimate` dict).

    >>> import pandas as pd, numpy as np
    >>> rng = np.random.default_rng(1)
    >>> rows = []
    >>> for z in range(40):
    ...     for y, f in ((2000, 1.0), (2010, 1.0 + rng.normal(0, 0.1))):
    ...         rows += [(f"z{z}", "C", y, 100 * f), (f"z{z}", "G", y, 300 * f ** 0.5), (f"z{z}", "O", y, 50.0)]
    >>> data = pd.DataFrame(rows, columns=["zone", "sector", "year", "employment"])
    >>> regions = pd.Series([f"r{z % 4}" for z in range(40)], index=[f"z{z}" for z in range(40)])
    >>> r = local_multiplier(data, "2000-2010", definition={"C": "exposed", "G": "sheltered", "O": "excluded"},
    ...                      regions=regions, sample="all")
    >>> round(float(r.params["beta"]), 3), r.nobs, r.sample
    (0.5, 40, 'all')
    """
    if isinstance(data, Panel):
        if regions is None:
            regions = data.regions
        level = level or data.level
        data = data.data
    need = [c for c in ("zone", "sector", "year", "employment") if c not in data.columns]
    if need:
        raise MultiplierError(f"data lacks column(s) {need}; expected zone, sector, year, employment")
    start, end = parse_window(window)
    inference = str(inference)
    if inference not in INFERENCE:
        hint = (f"; {inference!r} is called {INFERENCE_ALIASES[inference.lower()]!r} here"
                if inference.lower() in INFERENCE_ALIASES else "")
        raise MultiplierError(f"inference must be one of {INFERENCE}, got {inference!r}{hint}")
    if sample not in SAMPLES:
        raise MultiplierError(f"sample must be one of {SAMPLES}, got {sample!r}")
    if not pd.api.types.is_integer_dtype(data["year"]):
        bad = data["year"].dropna()
        eg = bad.iloc[0] if len(bad) else None
        eg = repr(eg) if isinstance(eg, str) else eg
        raise MultiplierError(f"column 'year' holds {data['year'].dtype} values (e.g. {eg}), "
                              "not whole-number years: convert it first, e.g. data['year'].astype(int)")
    years = set(pd.unique(data["year"]))
    absent = [y for y in (start, end) if y not in years]
    if absent:
        raise MultiplierError(f"window year(s) {absent} are not in the data (years present: {years_text(years)}); "
                              "choose a window within them")
    if isinstance(definition, str):
        if definition not in DEFINITIONS:
            raise MultiplierError(f"definition must be one of {DEFINITIONS} or a code -> group mapping, "
                                  f"got {definition!r}")
        cls = load_sector_classification() if classification is None else classification
        lvl = level or _infer_level(data["sector"].unique(), cls)
        groups = sector_groups(cls, lvl, definition)
        label = definition
    else:
        groups = validate_groups(definition)
        label = "custom"
    if regions is None and "region" in data.columns:
        per_zone = data.drop_duplicates(["zone", "region"])
        if per_zone["zone"].duplicated().any():
            raise MultiplierError("the 'region' column gives several regions for some zone(s): "
                                  f"{sorted(per_zone.loc[per_zone['zone'].duplicated(), 'zone'])[:5]}")
        regions = per_zone.set_index("zone")["region"]
    if regions is None:
        if inference != "robust" or region_fe:
            raise MultiplierError(f"inference={inference!r}{' with region fixed effects' if region_fe else ''} needs "
                                  f"regions (the result reports region-clustered intervals beside every method; "
                                  f"without them each zone would silently be its own cluster): pass regions= built "
                                  f"by {REGIONS_HINT}; or inference='robust', sample='all'")
        if sample == "metropolitan":
            raise MultiplierError("sample='metropolitan' needs regions to tell overseas zones: pass regions= built by "
                                  f"{REGIONS_HINT}, or sample='all'")
    zones_in = pd.Index(pd.unique(data["zone"]))
    if regions is not None:
        lost = zones_in[~zones_in.isin(regions.index)]
        if len(lost):
            raise MultiplierError(f"{len(lost)} zone(s) of the data have no region in regions (e.g. "
                                  f"{sorted(map(str, lost))[:5]}): complete the mapping ({REGIONS_HINT}) or drop "
                                  "those zones")
    sample_note = f"{len(zones_in)} zones in the data"
    if sample == "metropolitan":
        zone_region = pd.Series(zones_in, index=zones_in).map(regions)
        overseas = zone_region.isin(list(OVERSEAS_REGIONS))
        keep = zones_in[~overseas.to_numpy()]
        sample_note = (f"{len(keep)} of {len(zones_in)} zones, {int(overseas.sum())} overseas zone(s) left out")
        data = data[data["zone"].isin(keep)]
    emp = data[["zone", "sector", "year", "employment"]]
    panel = zone_panel(emp, groups, start, end, regions=regions, tolerance=tolerance, instrument=True)
    est = estimate(panel, spec=spec, method=method, weighted=weighted, region_fe=region_fe, cov=inference,
                   ratio_year=ratio_year, alpha=alpha)
    if regions is None:                          # never report zone-as-cluster intervals as "cluster"
        for k in ("se_cluster", "p_cluster", "ci_low_cluster", "ci_high_cluster", "m_low_cluster",
                  "m_high_cluster", "first_stage_f_cluster"):
            est[k] = math.nan
        est["n_clusters"] = None
    if method == "iv" and est["weak_iv"]:
        warnings.warn(f"weak first stage: F = {est['first_stage_f']:.1f} < {WEAK_F:g} ({inference}); read the "
                      "Anderson-Rubin or AKM0 set, not the 2SLS interval", UserWarning, stacklevel=2)
    return MultiplierResult(estimate=est, panel=panel, dropped=drop_counts(panel), window=(start, end),
                            definition=label, inference=inference, sample=sample, sample_note=sample_note,
                            alpha=alpha)


# ---------------------------------------------------------------------------------------------
# 5. Inputs: zones placed in regions, regional and national series, sector groupings
# ---------------------------------------------------------------------------------------------

def place_zones(file_regions: pd.Series, majority: pd.Series, *, marker: str = "INT") -> pd.Series:
    """``zone -> region``, with the zones a file marks as interregional placed in one region.

    Parameters
    ----------
    file_regions : ``zone -> region`` as the employment file gives it (ESTEL ZE2010: the 2016
        region code, or ``marker`` for the 9 zones spanning two regions).
    majority : ``zone -> region`` holding most of the zone's population (e.g. the ``reg`` column
        of :func:`analysis.geo.areas.main_zones` indexed by zone code).
    marker : the file's code for an interregional zone.

    Returns the Series sorted by zone and named ``region``. Raises :class:`MultiplierError` when a
    marked zone has no majority region.
    """
    regions = file_regions.astype(object).copy()
    marked = regions.index[regions == marker]
    placed = majority.reindex(marked)
    if placed.isna().any():
        raise MultiplierError(f"interregional zone(s) {sorted(placed.index[placed.isna()])} have no majority region")
    regions.loc[marked] = placed.to_numpy()
    return regions.sort_index().rename("region")


def zone_employment(raw: pd.DataFrame, regions: pd.Series, *, zone: str, sector: str,
                    exclude_regions: Sequence[str] = OVERSEAS_REGIONS, drop_sectors: Sequence[str] = ()) -> pd.DataFrame:
    """The long ``zone``, ``sector``, ``year``, ``employment`` table the estimator takes.

    Keeps the zones of ``regions`` (``zone -> region``) whose region is not in
    ``exclude_regions`` (by default: metropolitan France) and drops the rows of
    ``drop_sectors`` (e.g. ESTEL's all-sector total 'TT'). ``zone`` and ``sector`` name the
    columns of ``raw``. Employment in jobs, unchanged. Sorted by zone, sector, year.
    """
    keep = regions.index[~regions.isin(list(exclude_regions))]
    out = raw[raw[zone].isin(keep) & ~raw[sector].isin(list(drop_sectors))]
    out = out.rename(columns={zone: "zone", sector: "sector"})[["zone", "sector", "year", "employment"]]
    return out.sort_values(["zone", "sector", "year"]).reset_index(drop=True)


def regional_panel(barometre: pd.DataFrame, *, quarter: int = 4, variable: str = "employment",
                   exclude_regions: Sequence[str] = OVERSEAS_REGIONS) -> pd.DataFrame:
    """The URSSAF region x 28-sector quarterly series as a zone x sector x year table (zone = region).

    ``barometre``: :func:`analysis.data.loaders.employment.load_urssaf_region_na28_quarterly`.
    Keeps ``variable`` (default: seasonally adjusted private salaried headcount at the end of the
    quarter) in ``quarter`` (4: end of year, like the 31 December headcounts of the zone files),
    drops the all-sector ``TOTAL`` series and the regions of ``exclude_regions`` (default:
    metropolitan France, 13 regions). Returns ``zone`` (region code), ``sector`` (NA28 code),
    ``year``, ``employment`` (jobs), sorted.
    """
    b = barometre[(barometre["variable"] == variable) & (barometre["quarter"] == quarter)
                  & barometre["sector"].ne("TOTAL") & ~barometre["region"].isin(list(exclude_regions))]
    out = b.rename(columns={"region": "zone", "value": "employment"})[["zone", "sector", "year", "employment"]]
    return out.sort_values(["zone", "sector", "year"]).reset_index(drop=True)


def group_totals(employment: pd.DataFrame, groups: pd.Series, years: Sequence[int]) -> pd.DataFrame:
    """Jobs by group (``exposed`` / ``sheltered`` / ``excluded``) and year, summed over all zones.

    ``employment``: zone x sector x year table (jobs); ``groups``: :func:`sector_groups`.
    Returns a DataFrame indexed by group with one column per year of ``years`` (jobs).
    """
    _check_codes(employment["sector"].unique(), groups)
    e = employment[employment["year"].isin(list(years))]
    e = e.assign(group=e["sector"].map(groups))
    out = e.pivot_table(index="group", columns="year", values="employment", aggfunc="sum")
    return out.reindex(columns=list(years))


def national_totals(employment: pd.DataFrame) -> pd.DataFrame:
    """National totals of a zone x sector x year table: ``sector``, ``year``, ``employment`` (jobs,
    summed over the zones; NaN cells count as 0, a cell NaN in every zone stays NaN), sorted."""
    out = employment.groupby(["sector", "year"], as_index=False)["employment"].sum(min_count=1)
    return out.sort_values(["sector", "year"]).reset_index(drop=True)


def a38_to_na28(classification: pd.DataFrame) -> pd.Series:
    """``A38 code -> NA28 code`` (URSSAF's 28-sector grouping), read from the classification.

    An NA28 code such as ``CD-CE-CF`` groups the A38 sections it names. Sections that are in no
    single NA28 group are left out: NZ (split in NA28 into interim workers ``NZa`` and other
    administrative services ``NZb``) and AZ, TZ, UZ (not in the URSSAF series). Sorted by A38 code.
    """
    a38 = set(classification.loc[classification["level"] == "a38", "code"])
    mapping = {}
    for code in classification.loc[classification["level"] == "na28", "code"]:
        for part in code.split("-"):
            if part in a38:
                mapping[part] = code
    return pd.Series(mapping, name="na28").rename_axis("a38").sort_index()


def aggregate_sectors(employment: pd.DataFrame, mapping: pd.Series, *, drop_unmapped: bool = False) -> pd.DataFrame:
    """Sum a zone x sector x year table into coarser sectors (``mapping``: fine code -> coarse code,
    e.g. :func:`a38_to_na28`).

    A coarse cell is NaN only when all its fine cells are NaN; otherwise NaN fine cells count as 0.
    Codes missing from ``mapping`` raise :class:`MultiplierError` unless ``drop_unmapped`` (their
    rows are then left out). Returns ``zone``, ``sector``, ``year``, ``employment``, sorted.
    """
    unmapped = sorted(set(employment["sector"]) - set(mapping.index))
    if unmapped and not drop_unmapped:
        raise MultiplierError(f"sector code(s) {unmapped} have no coarser sector in the mapping")
    e = employment[employment["sector"].isin(mapping.index)]
    e = e.assign(sector=e["sector"].map(mapping))
    out = e.groupby(["zone", "sector", "year"], as_index=False)["employment"].sum(min_count=1)
    return out.sort_values(["zone", "sector", "year"]).reset_index(drop=True)


def national_growth_comparison(employment: pd.DataFrame, national: pd.DataFrame, groups: pd.Series,
                               start: int, end: int) -> pd.DataFrame:
    """National log growth of each exposed sector, ``start`` to ``end``, from two sources.

    Parameters
    ----------
    employment : the zone x sector x year panel behind :func:`shift_share` (jobs), with sectors
        coded as in ``national`` (aggregate it with :func:`aggregate_sectors` first if needed).
    national : ``sector``, ``year``, ``employment``: national totals from another source (e.g.
        :func:`national_totals` of :func:`regional_panel`).
    groups : :func:`sector_groups` for the sector codes of both tables.

    Returns one row per exposed sector present in both sources, sorted by sector: ``jobs_0`` (jobs
    in the zone panel at ``start``), ``g_zones`` (log growth of the sum over zones), ``g_loo_min``
    and ``g_loo_max`` (range, over the zones with jobs in the sector at ``start``, of the
    leave-one-out growth that :func:`shift_share` uses), ``g_national`` (log growth of the other
    source) and ``diff`` (``g_zones - g_national``, log points).
    """
    both = set(pd.unique(employment["sector"])) & set(pd.unique(national["sector"]))
    exposed = [c for c in groups.index[groups == "exposed"] if c in both]
    if not exposed:
        raise MultiplierError("no exposed sector common to both sources")
    e = employment[employment["sector"].isin(exposed)]
    w0 = _wide(e, start, "zone", "sector", "year", "employment").reindex(columns=exposed).fillna(0)
    w1 = _wide(e, end, "zone", "sector", "year", "employment").reindex(index=w0.index, columns=exposed).fillna(0)
    n0, n1 = w0.sum(), w1.sum()
    with np.errstate(divide="ignore", invalid="ignore"):
        loo = np.log((n1 - w1) / (n0 - w0)).where(w0 > 0)
    nat = national[national["sector"].isin(exposed)].pivot_table(index="sector", columns="year", values="employment",
                                                                  aggfunc="sum")
    for y in (start, end):
        if y not in nat.columns:
            raise MultiplierError(f"national totals have no year {y}")
    out = pd.DataFrame({"sector": exposed, "jobs_0": n0.to_numpy(), "g_zones": np.log(n1 / n0).to_numpy(),
                        "g_loo_min": loo.min().to_numpy(), "g_loo_max": loo.max().to_numpy(),
                        "g_national": np.log(nat[end] / nat[start]).reindex(exposed).to_numpy()})
    out["diff"] = out["g_zones"] - out["g_national"]
    return out.sort_values("sector").reset_index(drop=True)


# ---------------------------------------------------------------------------------------------
# 6. Reading a results table: selected rows against reference values; estimates near a target
# ---------------------------------------------------------------------------------------------

def _select(results: pd.DataFrame, key: Mapping) -> pd.DataFrame:
    mask = np.ones(len(results), dtype=bool)
    for k in RESULT_KEYS:
        mask &= (results[k] == key.get(k, False if k == "region_fe" else None)).to_numpy()
    return results[mask]


def summary_table(results: pd.DataFrame, rows: pd.DataFrame | Sequence[Mapping], reference_values: Mapping[str, float],
                  *, scale: float = 100.0) -> pd.DataFrame:
    """Selected estimates set against the values they are compared with.

    Parameters
    ----------
    results : one row per :func:`estimate` call with the :data:`RESULT_KEYS` columns.
    rows : ``label``, the :data:`RESULT_KEYS` (``region_fe`` may be left out: False) and
        ``compared_with`` (an id of ``reference_values``), one per line of the summary.
    reference_values : id -> value in the claim's unit (e.g. sheltered jobs per 100 exposed jobs).
    scale : factor from ``m`` (jobs per job) to that unit (100).

    Returns the rows in their order with the matching result columns and ``value``
    (``scale * m``), ``ci_low``, ``ci_high`` (95 %, same unit, under the results' ``cov``),
    ``ci_low_<m>`` / ``ci_high_<m>`` for each method of :data:`INFERENCE` (same unit; NaN where
    not computed; an unbounded AKM0 set gives infinite bounds), ``cited`` (the reference value),
    ``gap_pct`` (``100 * (value / cited - 1)``) and ``cited_in_ci``. Raises when a row matches
    no estimate or several.
    """
    rows = pd.DataFrame(rows)
    if "region_fe" not in rows.columns:
        rows["region_fe"] = False
    unknown = sorted(set(rows["compared_with"]) - set(reference_values))
    if unknown:
        raise MultiplierError(f"no reference value for {unknown}")
    matched = []
    for r in rows.to_dict("records"):
        hit = _select(results, r)
        if len(hit) != 1:
            raise MultiplierError(f"summary row {r['label']!r} matches {len(hit)} estimates, expected 1")
        matched.append(hit.iloc[0].drop(list(RESULT_KEYS)).to_dict())
    out = pd.concat([rows.reset_index(drop=True), pd.DataFrame(matched)], axis=1)
    out["value"] = scale * out["m"]
    out["ci_low"], out["ci_high"] = scale * out["m_low"], scale * out["m_high"]
    for m in INFERENCE:
        if f"m_low_{m}" in out.columns:
            lo, hi = scale * out[f"m_low_{m}"], scale * out[f"m_high_{m}"]
            out[f"ci_low_{m}"], out[f"ci_high_{m}"] = np.minimum(lo, hi), np.maximum(lo, hi)
    out["cited"] = out["compared_with"].map(dict(reference_values)).astype(float)
    out["gap_pct"] = 100 * (out["value"] / out["cited"] - 1)
    out["cited_in_ci"] = (out["ci_low"] <= out["cited"]) & (out["cited"] <= out["ci_high"])
    return out


def estimate_label(row: Mapping, *, data: bool = True) -> str:
    """Short English label of one estimate, e.g. 'URSSAF ZE2020 2019-2024 industry_only log IV
    weighted + region FE' (``data=False`` leaves the data source out)."""
    parts = ([str(row["data"])] if data else []) + [str(row["window"]), str(row["definition"]), str(row["spec"]),
                                                   str(row["method"]).upper(),
                                                   "weighted" if row["weighted"] else "unweighted"]
    return " ".join(parts) + (" + region FE" if row.get("region_fe", False) else "")


def why_not_headline(row: Mapping, *, caveats: Mapping[tuple, str] | None = None,
                     rivals: Mapping[str, float] | None = None, weak_f: float = 10.0,
                     scale: float = 100.0) -> list[tuple[str, str]]:
    """Reasons an estimate is a weaker answer than the headline, as ``(kind, text)`` pairs, in order:

    * ``caveats``: ``(column, value) -> text`` for every attribute of the row that has one (e.g.
      ``("window", "2019-2024")`` -> "2019-2024, not 2007-2023; apprentices counted from 2023"):
      period, coverage, zoning, exposed definition, weighting (kind = text);
    * IV with a first-stage F below ``weak_f``: kind "weak first stage (F < weak_f)", text
      "weak first stage (F x.x)";
    * a 95 % interval that includes 0: kind = text = "95% CI includes 0";
    * ``rivals`` (name -> value, in ``scale * m`` units): one kind "95% CI also covers name value"
      per rival the interval covers, and one text "95% CI a to b also covers name value, ...".
    """
    out = [(text, text) for (col, val), text in (caveats or {}).items() if col in row and row[col] == val]
    f = row.get("first_stage_f", math.nan)
    if row.get("method") == "iv" and f is not None and not math.isnan(float(f)) and f < weak_f:
        out.append((f"weak first stage (F < {weak_f:g})", f"weak first stage (F {f:.1f})"))
    lo, hi = scale * row["m_low"], scale * row["m_high"]
    if lo <= 0 <= hi:
        out.append(("95% CI includes 0", "95% CI includes 0"))
    covered = [f"{name} {value:g}" for name, value in (rivals or {}).items() if lo <= value <= hi]
    if covered:
        text = f"95% CI {lo:.0f} to {hi:.0f} also covers {', '.join(covered)}"
        out += [(f"95% CI also covers {c}", text) for c in covered]
    return out


def near_value(results: pd.DataFrame, target: float, rel: float = 0.15, *, scale: float = 100.0,
               headline: Mapping | None = None, caveats: Mapping[tuple, str] | None = None,
               rivals: Mapping[str, float] | None = None, weak_f: float = 10.0) -> pd.DataFrame:
    """The estimates of ``results`` within ``target`` +/- ``rel`` (relative), with why each is not the headline.

    Parameters
    ----------
    results : one row per :func:`estimate` call with the :data:`RESULT_KEYS` columns.
    target : the value to compare with, in ``scale * m`` units (e.g. a cited number of sheltered
        jobs per 100 exposed jobs, read from the claims register).
    rel : relative half-width of the band (0.15: within 15 % of ``target``, bounds included).
    headline : the :data:`RESULT_KEYS` of the headline estimate, flagged in ``is_headline``.
    caveats, rivals, weak_f : see :func:`why_not_headline`.

    Returns the rows in the band, sorted by the result keys, with the :data:`RESULT_KEYS`,
    ``value`` (``scale * m``), ``ci_low``, ``ci_high``, ``first_stage_f``, ``n``, ``gap_pct``
    (``100 * (value / target - 1)``), ``is_headline``, ``reasons`` (the texts of
    :func:`why_not_headline`, '; '-joined, duplicates once) and ``reason_kinds`` (its kinds,
    '; '-joined, for tallies).
    """
    if not 0 < rel < 1:
        raise MultiplierError(f"rel must be a fraction in (0, 1), got {rel!r}")
    r = results.assign(value=scale * results["m"], ci_low=scale * results["m_low"], ci_high=scale * results["m_high"])
    r = r[(r["value"] - target).abs() <= rel * abs(target)]
    r = r.sort_values(list(RESULT_KEYS), kind="stable").reset_index(drop=True)
    r["gap_pct"] = 100 * (r["value"] / target - 1)
    records = r.to_dict("records")
    r["is_headline"] = [bool(headline) and all(row[k] == headline.get(k, False if k == "region_fe" else None)
                                               for k in RESULT_KEYS) for row in records]
    pairs = [why_not_headline(row, caveats=caveats, rivals=rivals, weak_f=weak_f, scale=scale) for row in records]
    r["reasons"] = ["; ".join(dict.fromkeys(text for _, text in p)) for p in pairs]
    r["reason_kinds"] = ["; ".join(kind for kind, _ in p) for p in pairs]
    return r[[*RESULT_KEYS, "value", "ci_low", "ci_high", "first_stage_f", "n", "gap_pct", "is_headline", "reasons",
              "reason_kinds"]]


def near_value_note(results: pd.DataFrame, near: pd.DataFrame, target: float, rel: float, *, scale: float = 100.0,
                    max_listed: int = 1) -> str:
    """One line saying, data source by data source, which estimates land near ``target`` and why
    they are not the headline, and which do not.

    ``near`` is :func:`near_value` of ``results`` with the same ``target``, ``rel`` and
    ``scale``. For each ``data`` value of ``results`` (in order of appearance):

    * no estimate near: "none of N (log estimates a to b)";
    * up to ``max_listed``: each listed with its value and reasons;
    * more: their count and range, how many of each method's estimates are near ("IV 9 of 24,
      OLS 0 of 36"), then each reason kind with the number of them it applies to ("all" when it
      applies to every one), most frequent first.
    """
    parts = []
    for data in pd.unique(results["data"]):
        allr = results[results["data"] == data]
        hit = near[near["data"] == data]
        if hit.empty:
            logs = scale * allr.loc[allr["spec"] == "log", "m"]
            span = f" (log estimates {logs.min():.0f} to {logs.max():.0f})" if len(logs) else ""
            parts.append(f"{data}: none of {len(allr)}{span}")
            continue
        if len(hit) <= max_listed:
            items = [f"{estimate_label(h, data=False)} {h['value']:.0f} [{h['reasons'] or 'no caveat'}]"
                     for h in hit.to_dict("records")]
            parts.append(f"{data}: {len(hit)} of {len(allr)}: " + ", ".join(items))
            continue
        methods = [f"{m.upper()} {int((hit['method'] == m).sum())} of {int((allr['method'] == m).sum())}"
                   for m in sorted(allr["method"].unique())]
        tally: dict[str, int] = {}
        for kinds in hit["reason_kinds"]:
            for kind in dict.fromkeys(k for k in kinds.split("; ") if k):
                tally[kind] = tally.get(kind, 0) + 1
        ordered = sorted(tally.items(), key=lambda kv: -kv[1])          # stable: ties keep first appearance
        reasons = [f"{'all' if n == len(hit) else n}: {kind}" for kind, n in ordered]
        parts.append(f"{data}: {len(hit)} of {len(allr)} ({hit['value'].min():.0f} to {hit['value'].max():.0f}; "
                     + ", ".join(methods) + ") [" + "; ".join(reasons) + "]")
    return f"within {rel:.0%} of {target:g}: " + "; ".join(parts)


# ---------------------------------------------------------------------------------------------
# 7. Published multipliers in one unit (the forest plot's table)
# ---------------------------------------------------------------------------------------------

#: Published multipliers of the forest plot: reference id -> (short name, method, how the published figure is
#: read as sheltered jobs per 100 exposed jobs). Values come from ``data/reference_values.csv`` (never typed
#: here); ``{value}`` and ``{value_high}`` in the text are filled from it.
PUBLISHED = {
    "moretti_2010_multiplier": (
        "Moretti (2010)", "long differences over census decades, shift-share IV",
        "published as {value_jobs} non-tradable jobs per additional manufacturing job; x 100 = {value} per 100; "
        "manufacturing read as exposed and non-tradable as sheltered (no other change)"),
    "van_dijk_2017_multiplier": (
        "van Dijk (2017)", "Moretti's design reworked, shift-share IV",
        "published as {value_jobs} to {value_high_jobs} non-tradable jobs per tradable job; x 100 = {value} to "
        "{value_high} per 100 (the bar spans the range, the dot is its midpoint); tradable read as exposed, "
        "non-tradable as sheltered"),
    "frocrain_giraud_2017_multiplier": (
        "Frocrain & Giraud (2017)", "Moretti long differences, zones d'emploi",
        "published in sheltered jobs per 100 exposed jobs: {value}, no conversion"),
    "frocrain_giraud_2018_multiplier": (
        "Frocrain & Giraud (2018)", "Moretti long differences, zones d'emploi",
        "published in sheltered jobs per 100 exposed jobs: {value}, no conversion"),
    "malgouyres_2017_multiplier": (
        "Malgouyres (2017)", "import-competition shock (China), IV",
        "published as {value} local non-manufacturing jobs lost per 100 manufacturing jobs lost; read as "
        "sheltered jobs per 100 exposed jobs assuming the effect of a loss mirrors that of a gain"),
}


def published_multipliers(references: Mapping[str, Mapping], cited: Mapping | None = None,
                          estimates: pd.DataFrame | None = None) -> pd.DataFrame:
    """One row per published or recomputed local multiplier, in sheltered jobs per 100 exposed jobs.

    Parameters
    ----------
    references : reference id -> row of ``data/reference_values.csv`` (:func:`analysis.report.claims.reference`),
        for ids of :data:`PUBLISHED`. When the row has a ``note`` column (a conversion written by the register),
        it replaces the text of :data:`PUBLISHED`.
    cited : the register row of the cited value (e.g. La Fabrique's 134), drawn as published, method unknown.
    estimates : the project's rows: ``label``, ``window``, ``geography``, ``method``, ``value``, ``ci_low``,
        ``ci_high`` (per 100, the interval of ``interval``), ``interval`` (its inference label), ``ratio``
        (S/E) and ``beta``.

    Returns ``source`` (published / cited / this project), ``label``, ``window``, ``geography``, ``method``,
    ``value``, ``low``, ``high`` (per 100; NaN where nothing is published), ``interval`` and ``conversion``
    (the arithmetic from the published figure to the unit, written out), in the order given.
    """
    rows = []
    for ref_id, ref in references.items():
        if ref_id not in PUBLISHED:
            raise MultiplierError(f"no conversion known for reference {ref_id!r}; known: {sorted(PUBLISHED)}")
        name, method, text = PUBLISHED[ref_id]
        v, vh = float(ref["value"]), ref.get("value_high")
        vh = float(vh) if vh not in (None, "") and not (isinstance(vh, float) and math.isnan(vh)) else None
        conv = ref.get("note") or text.format(value=f"{v:g}", value_high=f"{vh:g}" if vh else "",
                                              value_jobs=f"{v / 100:g}", value_high_jobs=f"{vh / 100:g}" if vh else "")
        mid = (v + vh) / 2 if vh else v
        rows.append({"source": "published", "label": name, "window": ref.get("period", ""),
                     "geography": ref.get("geography", ""), "method": method, "value": mid,
                     "low": v if vh else math.nan, "high": vh if vh else math.nan,
                     "interval": "published range" if vh else "", "conversion": conv})
    if cited is not None:
        rows.append({"source": "cited", "label": f"La Fabrique de l'industrie, citing {cited.get('attributed_to', '')}",
                     "window": cited.get("period", ""), "geography": cited.get("geography", ""),
                     "method": "not published", "value": float(cited["value"]), "low": math.nan, "high": math.nan,
                     "interval": "", "conversion": f"cited in sheltered jobs per 100 exposed jobs: {float(cited['value']):g}, "
                                                   "no conversion"})
    if estimates is not None:
        for r in estimates.to_dict("records"):
            rows.append({"source": "this project", "label": r["label"], "window": r["window"],
                         "geography": r["geography"], "method": r["method"], "value": float(r["value"]),
                         "low": float(r["ci_low"]), "high": float(r["ci_high"]),
                         "interval": INFERENCE_LABELS.get(r.get("interval", ""), r.get("interval", "")),
                         "conversion": f"elasticity {r['beta']:.3f} x S/E {r['ratio']:.2f} (start year) x 100 = "
                                       f"{float(r['value']):.1f}"})
    return pd.DataFrame(rows)
