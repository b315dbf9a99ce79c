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

Units: employment in jobs (headcounts); changes over the whole window (not annualised);
``m`` in sheltered jobs per exposed job (x100 gives "jobs per 100 exposed jobs").
Geography: whatever zoning the input carries (zones d'emploi 2010 or 2020, or regions).
Nothing here reads a public file: loaders do that.
"""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pandas as pd
from linearmodels.iv import IV2SLS

from .paths import DATA_DIR

CLASSIFICATION_CSV = DATA_DIR / "sector_classification.csv"
#: Columns of ``data/sector_classification.csv`` that hold a definition (``footnote17`` is the default).
DEFINITIONS = ("footnote17", "footnote17_broad", "industry_agriculture", "industry_only")
GROUPS = ("exposed", "sheltered", "excluded")
LEVELS = ("a38", "estel", "na28")
RATIO_YEARS = ("start", "end", "mean")
#: Regression specifications of :func:`estimate`.
SPECS = ("log", "levels", "levels_scaled")

#: Reasons a zone is left out of the regression (the ``drop_reason`` column); '' = usable.
ZONE_ABSENT = "zone absent in start or end year"
MISSING_CELL = "sector cell missing in one year only"
ZERO_EMPLOYMENT = "zero exposed or sheltered employment"
NO_INSTRUMENT = "instrument undefined"


class MultiplierError(ValueError):
    """Bad classification, unknown sector code or an estimation that cannot be run."""


# ---------------------------------------------------------------------------------------------
# 1. Sector classification
# ---------------------------------------------------------------------------------------------

def load_sector_classification(path: Path | str = CLASSIFICATION_CSV) -> pd.DataFrame:
    """The exposed / sheltered / excluded classification of sectors (project data, not a public file).

    Columns: ``level`` (``a38`` = the 38 A38 sections of NAF rev. 2; ``estel`` = the 5 ESTEL
    sectors AZ, BE, FZ, GU, OQ; ``na28`` = URSSAF's 28 groups of NA38, e.g. 'CK-CL', 'NZa'
    interim workers), ``code``, ``label`` (French), one column per definition in
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
        raise MultiplierError(f"several rows per ({zone}, {sector}) in year {year}")
    return rows.pivot(index=zone, columns=sector, values=value)


def long_differences(employment: pd.DataFrame, groups: pd.Series, start: int, end: int, *,
                     regions: pd.Series | None = None, missing: str = "drop", tolerance: float = 0.0,
                     zone: str = "zone", sector: str = "sector", year: str = "year",
                     value: str = "employment") -> pd.DataFrame:
    """One row per zone: exposed and sheltered jobs in ``start`` and ``end`` and their changes.

    Parameters
    ----------
    employment : long table, one row per (zone, sector, year), jobs in ``value`` (NaN allowed).
    groups : ``sector code -> group`` from :func:`sector_groups`; every code must be classified.
    start, end : first and last year of the window (changes are ``end`` minus ``start``).
    regions : optional ``zone -> region`` Series (for fixed effects and clustering).
    missing, tolerance : a classified sector cell observed in one year and missing (NaN) in the
        other is a *gap*. With ``missing="drop"`` (default) the zone is unusable when its gap
        cells held more than ``tolerance`` (a fraction, default 0) of its exposed + sheltered
        jobs of the start year in the year they were observed; otherwise (and always with
        ``missing="zero"``) gap cells count as 0 jobs in the year they are missing. A cell
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
    w0 = _wide(employment, start, zone, sector, year, value)
    w1 = _wide(employment, end, zone, sector, year, value)
    zones = w0.index.union(w1.index).sort_values()
    codes = sorted(set(w0.columns) | set(w1.columns))
    w0 = w0.reindex(index=zones, columns=codes)
    w1 = w1.reindex(index=zones, columns=codes)
    if (w0 < 0).any().any() or (w1 < 0).any().any():
        raise MultiplierError("negative employment")
    present0 = zones.isin(employment.loc[employment[year] == start, zone].unique())
    present1 = zones.isin(employment.loc[employment[year] == end, zone].unique())
    both_na = w0.isna() & w1.isna()
    one_na = w0.isna() ^ w1.isna()
    out = pd.DataFrame({"zone": zones})
    if regions is not None:
        out["region"] = pd.Series(zones, index=zones).map(regions).to_numpy()
    for g in GROUPS:
        cols = [c for c in codes if groups[c] == g]
        out[f"{g}_0"] = w0[cols].fillna(0).sum(axis=1).to_numpy()
        out[f"{g}_1"] = w1[cols].fillna(0).sum(axis=1).to_numpy()
    classified = [c for c in codes if groups[c] != "excluded"]
    out["absent_cells"] = both_na[classified].sum(axis=1).to_numpy()
    out["total_0"] = out["exposed_0"] + out["sheltered_0"]
    out["d_exposed"] = out["exposed_1"] - out["exposed_0"]
    out["d_sheltered"] = out["sheltered_1"] - out["sheltered_0"]
    reason = np.full(len(out), "", dtype=object)
    positive = (out[["exposed_0", "exposed_1", "sheltered_0", "sheltered_1"]] > 0).all(axis=1).to_numpy()
    reason[~positive] = ZERO_EMPLOYMENT
    gap_jobs = (w0.fillna(0) + w1.fillna(0)).where(one_na, 0.0)[classified].sum(axis=1).to_numpy()
    out["gap_cells"] = one_na[classified].sum(axis=1).to_numpy()
    out["gap_jobs"] = gap_jobs
    if missing == "drop":
        material = gap_jobs > tolerance * out["total_0"].to_numpy()
        reason[(out["gap_cells"].to_numpy() > 0) & material] = MISSING_CELL
    reason[~(present0 & present1)] = ZONE_ABSENT
    out["drop_reason"] = reason
    ok = out["drop_reason"] == ""
    for g in ("exposed", "sheltered"):
        ratio = out[f"{g}_1"].where(ok) / out[f"{g}_0"].where(ok)
        out[f"dln_{g}"] = np.log(ratio.to_numpy(dtype=float))
    for c in ("d_exposed", "d_sheltered"):
        out[c] = out[c].where(ok)
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
    sectors with jobs at start), sorted by zone.
    """
    _check_codes(employment[sector].unique(), groups)
    exposed = [c for c in groups.index[groups == "exposed"] if c in set(employment[sector])]
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
    return pd.DataFrame({"zone": zones, "bartik_log": b_log, "bartik_levels": b_lev,
                         "n_sectors": has.sum(axis=1)})


def add_instrument(panel: pd.DataFrame, instrument: pd.DataFrame) -> pd.DataFrame:
    """Merge :func:`shift_share` into :func:`long_differences` output; usable zones without an
    instrument get ``drop_reason`` = ``instrument undefined``."""
    out = panel.merge(instrument[["zone", "bartik_log", "bartik_levels"]], on="zone", how="left")
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


def estimate(panel: pd.DataFrame, *, spec: str = "log", method: str = "ols", weighted: bool = False,
             region_fe: bool = False, cov: str = "robust", ratio_year: str = "start") -> dict:
    """Long-difference multiplier on the usable zones of ``panel``.

    Parameters
    ----------
    panel : output of :func:`long_differences` (with :func:`add_instrument` for ``method="iv"``).
    spec : ``"log"`` (``dln_sheltered`` on ``dln_exposed``, slope = elasticity ``beta``, converted
        with :func:`sheltered_exposed_ratio`), ``"levels"`` (``d_sheltered`` on ``d_exposed``,
        slope already in jobs per job; ratio reported as 1) or ``"levels_scaled"`` (both job
        changes, and the levels instrument, divided by the zone's start-year exposed + sheltered
        jobs, so that the largest zones do not dominate by size alone; slope in jobs per job).
    method : ``"ols"`` or ``"iv"`` (2SLS with ``bartik_log`` / ``bartik_levels``).
    weighted : weight zones by ``total_0`` (exposed + sheltered jobs at start).
    region_fe : add region fixed effects (needs a ``region`` column).
    cov : ``"robust"`` (heteroskedasticity-robust, small-sample corrected) or ``"cluster"``
        (clustered by region, small-sample corrected).

    Returns a dict: ``alpha`` (intercept; of the first region with ``region_fe``), ``beta``,
    ``se``, ``ci_low``, ``ci_high`` (95 %), ``first_stage_f`` (Wald F of the excluded instrument
    under ``cov``; NaN for OLS), ``ratio``, ``m`` (jobs per job), ``m_low``, ``m_high``, ``n``
    (zones used), ``n_dropped`` (zones of ``panel`` not used), ``n_clusters`` (regions with
    ``cov="cluster"``, else ``n``) and the specification arguments.
    """
    if spec not in SPECS:
        raise MultiplierError(f"spec must be one of {SPECS}, got {spec!r}")
    if method not in ("ols", "iv"):
        raise MultiplierError(f"method must be 'ols' or 'iv', got {method!r}")
    if cov not in ("robust", "cluster"):
        raise MultiplierError(f"cov must be 'robust' or 'cluster', got {cov!r}")
    y, x, z = (("dln_sheltered", "dln_exposed", "bartik_log") if spec == "log"
               else ("d_sheltered", "d_exposed", "bartik_levels"))
    if spec == "levels_scaled":
        cols = [c for c in (y, x, z) if c in panel.columns]
        panel = panel.assign(**{c: panel[c] / panel["total_0"] for c in cols})
    needed = [y, x, "drop_reason"] + ([z] if method == "iv" else []) + (
        ["region"] if region_fe or cov == "cluster" else [])
    missing_cols = [c for c in needed if c not in panel.columns]
    if missing_cols:
        raise MultiplierError(f"panel lacks column(s) {missing_cols}")
    p = panel[panel["drop_reason"] == ""]
    if method == "iv":
        p = p[p[z].notna()]
    if region_fe or cov == "cluster":
        p = p[p["region"].notna()]
    p = p.sort_values("zone").reset_index(drop=True)
    n_dropped = len(panel) - len(p)
    exog = pd.DataFrame({"const": np.ones(len(p))})
    if region_fe:
        exog = pd.concat([exog, pd.get_dummies(p["region"], prefix="reg", drop_first=True, dtype=float)], axis=1)
    if method == "ols":
        exog = pd.concat([exog, p[[x]]], axis=1)
    if len(p) <= exog.shape[1] + (1 if method == "iv" else 0):
        raise MultiplierError(f"too few usable zones ({len(p)}) for the regression")
    weights = p["total_0"] if weighted else None
    model = IV2SLS(p[y], exog, p[[x]] if method == "iv" else None, p[[z]] if method == "iv" else None,
                   weights=weights)
    if cov == "cluster":
        clusters = pd.Series(pd.factorize(p["region"], sort=True)[0], index=p.index)
        res = model.fit(cov_type="clustered", clusters=clusters, debiased=True)
    else:
        res = model.fit(cov_type="robust", debiased=True)
    beta = float(res.params[x])
    se = float(res.std_errors[x])
    ci = res.conf_int().loc[x]
    f = float(res.first_stage.diagnostics.loc[x, "f.stat"]) if method == "iv" else math.nan
    ratio = sheltered_exposed_ratio(p, ratio_year) if spec == "log" else 1.0
    return {"spec": spec, "method": method, "weighted": weighted, "region_fe": region_fe, "cov": cov,
            "alpha": float(res.params["const"]), "beta": beta, "se": se,
            "ci_low": float(ci["lower"]), "ci_high": float(ci["upper"]),
            "first_stage_f": f, "ratio": ratio, "m": jobs_per_job(beta, ratio),
            "m_low": jobs_per_job(float(ci["lower"]), ratio), "m_high": jobs_per_job(float(ci["upper"]), ratio),
            "n": len(p), "n_dropped": n_dropped,
            "n_clusters": int(p["region"].nunique()) if cov == "cluster" else len(p)}
