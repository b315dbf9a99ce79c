"""Shock-level shift-share IV (Borusyak, Hull & Jaravel 2022, Review of Economic Studies).

A location-level IV of ``y`` on ``x`` with the shift-share instrument ``z = W @ g`` (``W`` the location x sector
exposure shares, ``g`` the sector shocks), controls ``C`` and regression weights ``e``, is numerically the same
estimate as a *sector-level* IV (their Proposition 1)::

    beta = sum_n s_n g_n ybar_n / sum_n s_n g_n xbar_n

with ``s_n = sum_l e_l W[l, n] / sum_l e_l`` the exposure weight of sector ``n`` and ``ybar_n``, ``xbar_n`` the
exposure-weighted averages of the location variables residualised on the controls
(``ybar_n = sum_l e_l W[l, n] y_perp_l / sum_l e_l W[l, n]``). Read at the sector level, identification comes
from many as-good-as-random shocks: the estimate is consistent when the shocks are uncorrelated with the
sector-level unobservables and the exposure weights are spread over many sectors, which
:func:`shock_level_iv` measures by the **effective number of shocks** ``1 / sum_n s_n^2`` (``s`` normalised to
sum to 1: the inverse Herfindahl index of the exposure weights).

Inference is the sector-level heteroskedasticity-robust standard error (optionally clustered by groups of
sectors), normal critical value; it is asymptotically equivalent to AKM (:mod:`analysis.methods.shiftshare`),
which the result sets beside it when asked. The sector-level regressions include a constant (shocks centred)
whenever that leaves the estimate unchanged: complete shares (each location's shares sum to one) or the
*missing industry* option. With incomplete shares, BHJ control for each location's sum of shares;
``missing_industry=True`` does so: it adds that sum to the location controls and a "missing" sector with share
``1 - sum_n W[l, n]`` whose shock is absorbed by its own indicator.

:func:`shock_balance` runs the sector-level balance and pre-trend regressions (location variables aggregated
with the same weights, or sector variables, regressed on the shocks). Nothing here reads a file.
"""

from __future__ import annotations

import math
import warnings
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from scipy import special

from analysis.methods.results import INFERENCE_LABELS, ResultTable
from analysis.methods.shiftshare import ShiftShareError, _controls, _group_sum, _Projector, _vector

MISSING = "(missing industry)"
#: Tolerance on the row sums of ``W`` under which the shares count as complete.
COMPLETE_TOL = 1e-8


class ShockLevelError(ShiftShareError):
    """Inputs of the wrong shape, missing values, or a sector-level regression that cannot be run."""


def _shares_and_shocks(W, shocks, n: int):
    if isinstance(W, pd.DataFrame):
        names = list(W.columns)
        w = W.to_numpy(dtype=float)
    else:
        w = np.asarray(W, dtype=float)
        names = list(range(w.shape[1])) if w.ndim == 2 else []
    if w.ndim != 2 or w.shape[0] != n:
        raise ShockLevelError(f"W must be locations x sectors with {n} rows, got shape {w.shape}")
    if not np.isfinite(w).all() or (w < 0).any():
        raise ShockLevelError("W (shares) has missing, infinite or negative values; a share is 0 when a sector is absent")
    if isinstance(shocks, pd.Series) and isinstance(W, pd.DataFrame):
        lost = [c for c in names if c not in shocks.index]
        if lost:
            raise ShockLevelError(f"no shock for sector column(s) {lost[:5]} of W")
        g = shocks.reindex(names).to_numpy(dtype=float)
    else:
        g = np.asarray(shocks, dtype=float).reshape(-1)
        if len(g) != w.shape[1]:
            raise ShockLevelError(f"shocks has {len(g)} values, expected {w.shape[1]} (one per column of W)")
    if not np.isfinite(g).all():
        raise ShockLevelError(f"shocks have {int((~np.isfinite(g)).sum())} missing or infinite value(s)")
    if (w.sum(axis=1) > 1 + 1e-6).any():
        raise ShockLevelError("some rows of W sum to more than 1: shares of a location's employment sum to at most 1")
    return w, g, names


@dataclass
class _Design:
    """Location variables residualised on the controls and aggregated to sectors."""

    n: int
    e: np.ndarray                 # location weights
    Wm: np.ndarray                # shares, with the missing column when asked
    g: np.ndarray                 # shocks (0 for the missing industry)
    names: list
    s: np.ndarray                 # exposure weights s_n (sum_l e_l W_ln / sum_l e_l)
    mass: np.ndarray              # sum_l e_l W_ln
    Q: np.ndarray                 # sector-level controls (columns), may be empty
    proj: _Projector              # location-level residual maker
    complete: bool
    intercept: bool
    missing_industry: bool
    keep: np.ndarray              # sectors with positive exposure

    def aggregate(self, v: np.ndarray) -> np.ndarray:
        """Exposure-weighted sector averages of the location variable ``v`` residualised on the controls."""
        vp = self.proj.resid(v)
        return (self.Wm.T @ (self.e * vp))[self.keep] / self.mass[self.keep]


def _design(n, W, shocks, controls, weights, missing_industry, shock_controls) -> _Design:
    w, g, names = _shares_and_shocks(W, shocks, n)
    e = np.ones(n) if weights is None else _vector(weights, "weights", n)
    if (e <= 0).any():
        raise ShockLevelError("weights must be positive")
    C = _controls(controls, n)
    rowsum = w.sum(axis=1)
    complete = bool(np.abs(rowsum - 1).max() <= COMPLETE_TOL)
    if missing_industry and not complete:
        C = np.column_stack([C, rowsum])
        w = np.column_stack([w, 1 - rowsum])
        g = np.append(g, 0.0)
        names = names + [MISSING]
    elif not complete:
        warnings.warn(f"shares sum to less than 1 in {int((rowsum < 1 - COMPLETE_TOL).sum())} location(s) and "
                      "missing_industry=False: the sector-level regression has no constant (so that it equals the "
                      "location-level IV), and the shocks are not centred; Borusyak, Hull and Jaravel control for the "
                      "sum of shares (missing_industry=True)", UserWarning, stacklevel=3)
    proj = _Projector(C, np.sqrt(e))
    mass = w.T @ e
    keep = mass > 0
    s = mass / e.sum()
    S = int(keep.sum())
    intercept = complete or missing_industry
    Q = np.ones((S, 1)) if intercept else np.zeros((S, 0))
    if missing_industry and not complete:
        ind = np.zeros(S)
        ind[-1] = 1.0 if keep[-1] else 0.0
        if keep[-1]:
            Q = np.column_stack([Q, ind])
    if shock_controls is not None:
        qc = shock_controls.reindex(names).to_numpy(dtype=float) if isinstance(shock_controls, pd.DataFrame) \
            else np.asarray(shock_controls, dtype=float)
        qc = qc.reshape(len(names), -1)[keep]
        if not np.isfinite(qc).all():
            raise ShockLevelError("shock_controls have missing values (one row per sector of W is needed)")
        Q = np.column_stack([Q, qc])
    return _Design(n=n, e=e, Wm=w, g=g, names=names, s=s, mass=mass, Q=Q, proj=proj, complete=complete,
                   intercept=intercept, missing_industry=missing_industry, keep=keep)


def _sector_resid(d: _Design, v: np.ndarray) -> np.ndarray:
    """Residual of a sector-level vector on the sector-level controls, weighted by ``s``."""
    if d.Q.shape[1] == 0:
        return v
    return _Projector(d.Q, np.sqrt(d.s[d.keep])).resid(v)


def _robust(u: np.ndarray, clusters) -> float:
    return float(np.sqrt(np.sum(_group_sum(u, clusters) ** 2)))


def effective_shocks(W, weights=None) -> float:
    """Effective number of shocks: ``1 / sum_n s_n^2``, ``s_n`` the exposure weights normalised to sum to 1
    (``s_n`` proportional to ``sum_l e_l W[l, n]``); the inverse Herfindahl index of the exposure weights.

    >>> effective_shocks(np.array([[0.5, 0.5], [0.5, 0.5]]))
    2.0
    """
    w = W.to_numpy(dtype=float) if isinstance(W, pd.DataFrame) else np.asarray(W, dtype=float)
    e = np.ones(w.shape[0]) if weights is None else np.asarray(weights, dtype=float).reshape(-1)
    mass = w.T @ e
    if mass.sum() <= 0:
        raise ShockLevelError("W has no exposure")
    s = mass / mass.sum()
    return float(1 / np.sum(s ** 2))


@dataclass
class ShockLevelResult(ResultTable):
    """Result of :func:`shock_level_iv`.

    ``beta`` (the IV estimate), ``se`` / ``p`` / ``ci_low`` / ``ci_high`` (sector-level robust, normal critical
    value; label ``shock``), ``first_stage_f`` (sector-level robust F of the shocks in the first stage; with
    one instrument, the Montiel Olea-Pflueger effective F at the sector level), ``effective_shocks``
    (``1 / sum s_n^2``, real sectors only), ``largest_weight`` (largest normalised ``s_n`` and its sector),
    ``location_beta`` (the location-level IV with instrument ``W @ shocks``, computed independently from the
    location data: equal to ``beta`` to numerical precision) and ``sectors`` (one row per sector: ``shock``,
    ``s`` (exposure weight), ``s_share`` (normalised), ``ybar``, ``xbar``). Statsmodels-style interface:
    ``params``, ``bse``, ``pvalues``, ``conf_int()``, ``nobs`` (sectors), ``summary()``, ``to_frame()``.
    """

    beta: float
    se: float
    p: float
    ci_low: float
    ci_high: float
    first_stage_f: float
    first_stage_coef: float
    effective_shocks: float
    largest_weight: tuple
    location_beta: float
    n_locations: int
    n_sectors: int
    n_sector_clusters: int | None
    intercept: bool
    missing_industry: bool
    complete_shares: bool
    alpha: float
    sectors: pd.DataFrame = field(repr=False)
    akm: object = field(default=None, repr=False)   # a ShiftShareResult when ``akm=True``
    inference = "shock"

    @property
    def params(self) -> pd.Series:
        return pd.Series({"beta": self.beta}, name="params")

    @property
    def nobs(self) -> int:
        return self.n_sectors

    @property
    def identity_gap(self) -> float:
        """``beta - location_beta`` (0 up to rounding: Proposition 1 of BHJ)."""
        return self.beta - self.location_beta

    def methods(self) -> tuple:
        out = ("shock",)
        if self.akm is not None:
            out += tuple(m for m in ("akm", "akm0") if self.akm.ci_set.get(m))
        return out

    def _se(self, method):
        return pd.Series({"beta": self.se if method == "shock" else self.akm.se[method]})

    def _pvalue(self, method):
        return pd.Series({"beta": self.p if method == "shock" else self.akm.p[method]})

    def _interval(self, method):
        lo, hi = (self.ci_low, self.ci_high) if method == "shock" else (self.akm.ci_low[method],
                                                                         self.akm.ci_high[method])
        return pd.DataFrame({"lower": [lo], "upper": [hi]}, index=["beta"])

    def info(self) -> dict:
        return {"estimator": "shock-level IV (BHJ)", "sectors (shocks)": self.n_sectors,
                "locations": self.n_locations, "effective number of shocks": self.effective_shocks,
                "largest exposure weight": f"{self.largest_weight[0]} {self.largest_weight[1]:.3f}",
                f"effective F (MOP), {INFERENCE_LABELS['shock']}": self.first_stage_f}

    def summary(self, digits: int = 4) -> str:
        lvl = f"{100 * (1 - self.alpha):g}%"
        lines = [f"Shock-level IV (Borusyak, Hull & Jaravel 2022): estimate {self.beta:.{digits}g}, "
                 f"{self.n_sectors} sectors (shocks), {self.n_locations} locations"
                 + (f", {self.n_sector_clusters} sector clusters" if self.n_sector_clusters else ""),
                 f"  location-level IV with instrument W @ shocks: {self.location_beta:.{digits}g} "
                 f"(difference {self.identity_gap:.2e})",
                 f"  {INFERENCE_LABELS['shock']}: se {self.se:.{digits}g}, p {self.p:.3g}, {lvl} "
                 f"[{self.ci_low:.{digits}g}, {self.ci_high:.{digits}g}]"]
        if self.akm is not None:
            for m in ("akm", "akm0"):
                if self.akm.ci_set.get(m):
                    lines.append(f"  {INFERENCE_LABELS[m]} (location level): {self.akm.ci_low[m]:.{digits}g} to "
                                 f"{self.akm.ci_high[m]:.{digits}g}")
        lines += [f"  first-stage F at the sector level (= effective F, one instrument): {self.first_stage_f:.1f}",
                  f"  effective number of shocks 1/sum(s_n^2): {self.effective_shocks:.1f}; largest exposure weight "
                  f"{self.largest_weight[0]} {self.largest_weight[1]:.3f}",
                  f"  sector-level constant: {'yes' if self.intercept else 'no'}; shares "
                  + ("complete" if self.complete_shares else
                     "incomplete, " + ("missing industry added (sum of shares controlled)" if self.missing_industry
                                       else "no missing industry"))]
        return "\n".join(lines)

    def __repr__(self) -> str:  # pragma: no cover - display only
        return self.summary()


def shock_level_iv(y, x, shocks, W, controls=None, weights=None, *, missing_industry: bool = False,
                   shock_controls=None, sector_cvar=None, alpha: float = 0.05, akm: bool = False) -> ShockLevelResult:
    """Shift-share IV estimated at the level of the shocks (Borusyak, Hull & Jaravel 2022).

    Parameters
    ----------
    y, x : outcome and endogenous regressor, 1-D over locations (e.g. ``dln_sheltered``, ``dln_exposed``).
    shocks : sector shocks ``g`` (array, or Series indexed by the column names of ``W``).
    W : locations x sectors exposure shares (array or DataFrame), the conventions of
        :func:`analysis.methods.shiftshare.ivreg_ss`; rows sum to at most 1.
    controls : location controls without intercept (one is added), as in ``ivreg_ss``.
    weights : positive location regression weights (e.g. start-year employment), or None.
    missing_industry : with incomplete shares, control for each location's sum of shares and add a
        "missing" sector (BHJ); ignored when the shares are complete.
    shock_controls : sector-level controls (rows = sectors of ``W``), added to the sector-level constant;
        they change the estimate (it then no longer equals the plain location-level IV).
    sector_cvar : cluster of each sector for the standard error (e.g. A10 groups of A38 sectors).
    alpha : 1 - confidence level.
    akm : also compute the location-level AKM and AKM0 sets (:func:`analysis.methods.shiftshare.ivreg_ss`) for
        comparison; they appear in ``conf_int("akm")`` and :func:`analysis.methods.results.etable`.

    Returns a :class:`ShockLevelResult`; ``beta`` equals the location-level 2SLS estimate of ``y`` on ``x``
    with instrument ``W @ shocks``, the same controls (plus the sum of shares with ``missing_industry``) and
    weights, to numerical precision (``result.identity_gap``).

    >>> import numpy as np
    >>> rng = np.random.default_rng(2)
    >>> W = rng.dirichlet(np.ones(30) * 0.3, size=200)
    >>> g = rng.normal(size=30)
    >>> x = W @ g + rng.normal(scale=0.2, size=200)
    >>> y = 0.8 * x + rng.normal(scale=0.2, size=200)
    >>> r = shock_level_iv(y, x, g, W)
    >>> abs(r.identity_gap) < 1e-12, round(r.beta, 2), round(r.effective_shocks, 1)
    (True, 0.81, 29.2)
    """
    if not 0 < alpha < 1:
        raise ShockLevelError(f"alpha must be in (0, 1), got {alpha!r}")
    yv = _vector(y, "y")
    n = len(yv)
    xv = _vector(x, "x", n)
    d = _design(n, W, shocks, controls, weights, missing_industry, shock_controls)
    ybar, xbar = d.aggregate(yv), d.aggregate(xv)
    s, g = d.s[d.keep], d.g[d.keep]
    names = [nm for nm, k in zip(d.names, d.keep) if k]
    gt, yt, xt = _sector_resid(d, g), _sector_resid(d, ybar), _sector_resid(d, xbar)
    den = float(np.sum(s * gt * xt))
    if abs(den) <= 1e-14 * math.sqrt(float(np.sum(s * gt ** 2)) * float(np.sum(s * xt ** 2)) + 1e-300):
        raise ShockLevelError("the shocks do not move x at the sector level (first stage is zero)")
    beta = float(np.sum(s * gt * ybar)) / den
    eps = yt - beta * xt
    sc = None
    if sector_cvar is not None:
        sc_all = np.asarray(sector_cvar).reshape(-1)
        base = len(d.names) - (1 if d.names and d.names[-1] == MISSING else 0)
        if len(sc_all) != base:
            raise ShockLevelError(f"sector_cvar has {len(sc_all)} values, expected {base} (one per column of W)")
        sc_all = np.append(sc_all, "__missing__") if base < len(d.names) else sc_all
        sc = sc_all[d.keep]
    se = _robust(s * gt * eps, sc) / abs(den)
    cv = float(special.ndtri(1 - alpha / 2))
    p = float(2 * special.ndtr(-abs(beta) / se)) if se > 0 else math.nan
    sgg = float(np.sum(s * gt ** 2))
    pi = den / sgg
    v = xt - pi * gt
    f = pi ** 2 / ((_robust(s * gt * v, sc) / sgg) ** 2)
    real = np.array([nm != MISSING for nm in names])
    share = s[real] / s[real].sum()
    top = int(np.argmax(share))
    # the location-level IV with z = W @ shocks, computed from location data (independent of the sums above)
    z = d.Wm @ d.g
    zp, xp, ypl = d.proj.resid(z), d.proj.resid(xv), d.proj.resid(yv)
    location_beta = float(np.sum(d.e * zp * ypl) / np.sum(d.e * zp * xp))
    sectors = pd.DataFrame({"sector": names, "shock": g, "s": s, "s_share": np.where(real, s / s[real].sum(), np.nan),
                            "ybar": ybar, "xbar": xbar})
    akm_res = None
    if akm:
        from analysis.methods import shiftshare
        C = _controls(controls, n)[:, 1:]
        if d.missing_industry and not d.complete:
            C = np.column_stack([C, d.Wm[:, :-1].sum(axis=1)])
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", shiftshare.CollinearSharesWarning)
            akm_res = shiftshare.ivreg_ss(yv, xv, z, d.Wm[:, :-1] if d.missing_industry and not d.complete else d.Wm,
                                          controls=C if C.shape[1] else None, weights=weights,
                                          method=("akm", "akm0"), alpha=alpha)
    return ShockLevelResult(
        beta=beta, se=se, p=p, ci_low=beta - cv * se, ci_high=beta + cv * se, first_stage_f=float(f),
        first_stage_coef=float(pi), effective_shocks=float(1 / np.sum(share ** 2)),
        largest_weight=(names[int(np.flatnonzero(real)[top])], float(share[top])), location_beta=location_beta,
        n_locations=n, n_sectors=int(real.sum()), n_sector_clusters=None if sc is None else int(len(pd.unique(sc))),
        intercept=d.intercept, missing_industry=d.missing_industry and not d.complete, complete_shares=d.complete,
        alpha=alpha, sectors=sectors, akm=akm_res)


def shock_balance(shocks, W, variables=None, *, sector_variables=None, controls=None, weights=None,
                  missing_industry: bool = False, sector_cvar=None, alpha: float = 0.05) -> pd.DataFrame:
    """Sector-level balance and pre-trend regressions of the shocks (BHJ 2022, section 4).

    Each location variable of ``variables`` (DataFrame, one column per variable, rows = locations; e.g. the
    start-year log employment, or *pre-window* growth of the outcome for a pre-trend test) is residualised on
    ``controls`` and aggregated to sectors with the exposure weights, exactly as ``y`` in
    :func:`shock_level_iv`; each sector variable of ``sector_variables`` (DataFrame indexed by sector) is taken
    as is. Each is regressed on the shocks at the sector level, weighted by the exposure weights ``s_n``, with
    the same constant and sector-level robust (or ``sector_cvar``-clustered) standard errors. A coefficient far
    from 0 means sectors with larger shocks differ in that variable: the shocks are not as good as random
    with respect to it.

    Returns one row per variable: ``variable``, ``level`` (``location`` or ``sector``), ``coef`` (change of the
    variable per unit of shock), ``se``, ``t``, ``p`` (normal), ``ci_low``, ``ci_high``, ``n_sectors``.

    >>> import numpy as np, pandas as pd
    >>> rng = np.random.default_rng(3)
    >>> W = rng.dirichlet(np.ones(25), size=150); g = rng.normal(size=25)
    >>> out = shock_balance(g, W, pd.DataFrame({"noise": rng.normal(size=150)}))
    >>> list(out.columns)[:4], bool(out.loc[0, "p"] > 0.01)
    (['variable', 'level', 'coef', 'se'], True)
    """
    if variables is None and sector_variables is None:
        raise ShockLevelError("give variables (location level) and/or sector_variables")
    n = len(variables) if variables is not None else (W.shape[0])
    d = _design(n, W, shocks, controls, weights, missing_industry, None)
    s, g = d.s[d.keep], d.g[d.keep]
    names = [nm for nm, k in zip(d.names, d.keep) if k]
    real = np.array([nm != MISSING for nm in names])
    gt = _sector_resid(d, g)
    sc = None
    if sector_cvar is not None:
        sc_all = np.asarray(sector_cvar).reshape(-1)
        sc_all = np.append(sc_all, "__missing__") if len(sc_all) < len(d.names) else sc_all
        sc = sc_all[d.keep]
    cv = float(special.ndtri(1 - alpha / 2))
    series = []
    if variables is not None:
        vdf = variables if isinstance(variables, pd.DataFrame) else pd.DataFrame(variables)
        for c in vdf.columns:
            series.append((str(c), "location", d.aggregate(_vector(vdf[c], str(c), n))))
    if sector_variables is not None:
        sdf = sector_variables if isinstance(sector_variables, pd.DataFrame) else pd.DataFrame(sector_variables)
        if isinstance(W, pd.DataFrame):
            sdf = sdf.reindex([nm for nm in names if nm != MISSING])
        vals = sdf.to_numpy(dtype=float)
        if len(vals) != int(real.sum()):
            raise ShockLevelError(f"sector_variables have {len(vals)} rows, expected {int(real.sum())} sectors")
        for j, c in enumerate(sdf.columns):
            full = np.zeros(len(names))
            full[real] = vals[:, j]
            if not np.isfinite(full).all():
                raise ShockLevelError(f"sector variable {c!r} has missing values")
            series.append((str(c), "sector", full))
    sgg = float(np.sum(s * gt ** 2))
    rows = []
    for name, level, r in series:
        rt = _sector_resid(d, r)
        coef = float(np.sum(s * gt * rt)) / sgg
        se = _robust(s * gt * (rt - coef * gt), sc) / sgg
        rows.append({"variable": name, "level": level, "coef": coef, "se": se, "t": coef / se if se else math.nan,
                     "p": float(2 * special.ndtr(-abs(coef) / se)) if se > 0 else math.nan,
                     "ci_low": coef - cv * se, "ci_high": coef + cv * se, "n_sectors": int(real.sum())})
    return pd.DataFrame(rows)
