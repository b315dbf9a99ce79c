"""Exposure-robust inference for shift-share regressions (Adão, Kolesár & Morales 2019, QJE).

A *shift-share* variable is ``X_i = sum_s W[i, s] * X_s``: region ``i``'s exposure ``W[i, s]``
(start-year share of sector ``s``) times sector shocks ``X_s``. Regression residuals of regions
with similar sector mixes are correlated through the shocks, so region-level standard errors
(robust or clustered by region) can be far too small. AKM inference treats the shocks as the
source of randomness and computes the variance from sector-level sums of residuals.

Two estimators, with the interface of the reference R package ShiftShareSE (Kolesár;
github.com/kolesarm/ShiftShareSE), implemented here from the paper's formulas:

* :func:`reg_ss`: OLS of ``y`` on a shift-share regressor ``x`` (and controls);
* :func:`ivreg_ss`: 2SLS of ``y`` on an endogenous ``endog`` instrumented by a shift-share ``x``.

Each returns a :class:`ShiftShareResult` with the coefficient and, for every inference method
in :data:`METHODS`, its standard error, p-value and confidence set:

* ``homosk``: homoskedastic;
* ``ehw``: Eicker-Huber-White (heteroskedasticity-robust);
* ``region_cluster``: clustered by ``region_cvar``, in ShiftShareSE's convention (normal critical value; the
  IV one without small-sample factor). It is *not* the package's ``cluster`` label (CR1 factor and t(G-1)
  critical value, :func:`analysis.methods.multiplier.local_multiplier`): the two differ on the same estimate,
  hence two names (:data:`analysis.methods.results.INFERENCE_LABELS`);
* ``akm``: AKM standard error (equation 6 of the paper for OLS, section V for IV), optionally
  clustering sectors by ``sector_cvar`` (e.g. 3-digit groups of 4-digit industries);
* ``akm0``: AKM with the null imposed; its confidence set inverts the test and can be an
  interval, the whole real line or the union of two half-lines when identification is weak.

Conventions (those of ShiftShareSE, so that its tests are targets here): normal critical values;
the OLS homoskedastic, EHW and clustered standard errors carry the ``n/(n-p)`` and
``G/(G-1) (n-1)/(n-p)`` small-sample factors, the IV ones carry none (as Stata's ``ivregress``);
the controls' residual maker is applied with the same weights as the regression.

Collinear share matrices: the shocks netted of controls cannot be recovered when ``W`` has
rank below its column count. As ShiftShareSE (1.1) does, the columns that are linearly dependent
on earlier ones (R's ``qr`` rule: a column whose part orthogonal to the earlier columns has norm
below 1e-7 of its own; here applied to the regression-weighted shares, which have the same rank)
are dropped with a warning when AKM / AKM0 is computed; ``dropped_sectors`` lists them.

Units are those of the inputs; regions are rows. Nothing here reads a file.
"""

from __future__ import annotations

import functools
import math
import warnings
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from scipy import linalg, special  # distribution functions (scipy.stats takes ~1.2 s to import)
from threadpoolctl import ThreadpoolController

from analysis.methods.results import INFERENCE_LABELS, ResultTable

#: Inference methods, in the order of ShiftShareSE's output.
METHODS = ("homosk", "ehw", "region_cluster", "akm", "akm0")
#: printed names: the package's one meaning per label (:data:`analysis.methods.results.INFERENCE_LABELS`).
LABELS = {m: INFERENCE_LABELS[m] for m in METHODS}
#: Relative tolerance of the collinearity rule (R's ``qr`` default).
COLLINEAR_TOL = 1e-7


class ShiftShareError(ValueError):
    """Inputs of the wrong shape, missing values or an unidentified regression."""


class CollinearSharesWarning(UserWarning):
    """The share matrix is collinear; dependent sector columns were dropped."""


@dataclass
class ShiftShareResult(ResultTable):
    """Estimate and inference of :func:`reg_ss` / :func:`ivreg_ss`.

    Reading interface of :class:`analysis.methods.results.ResultTable`: ``params`` (``beta``), ``bse`` and
    ``pvalues`` under ``inference`` (AKM when computed), ``conf_int(method=...)`` for any computed method of
    :data:`METHODS`, ``nobs``, ``summary()``, ``to_frame()``, ``to_latex()``. For IV, ``first_stage_f``
    holds the F statistic of the excluded instrument under each computed method (with one instrument, the
    Montiel Olea-Pflueger effective F under that covariance).

    ``se``, ``p``, ``ci_low``, ``ci_high`` and ``ci_set`` are keyed by method (:data:`METHODS`;
    methods not requested are NaN). ``ci_set[m]`` is the confidence set as a tuple of closed
    intervals (bounds may be infinite): one interval, or two half-lines for an AKM0 set under
    weak identification. ``ci_low``/``ci_high`` are the bounds of the smallest interval holding
    the set (so ``-inf``/``inf`` when it is unbounded). The AKM0 ``se`` is the half-length of
    the interval over the critical value (``inf`` when the set is unbounded), as in ShiftShareSE.
    """

    beta: float
    se: dict
    p: dict
    ci_low: dict
    ci_high: dict
    ci_set: dict
    estimator: str
    n: int
    n_sectors: int
    n_clusters: int | None
    n_sector_clusters: int | None
    alpha: float
    beta0: float
    critical_value: float
    dropped_sectors: tuple = ()
    extra: dict = field(default_factory=dict)

    @property
    def inference(self) -> str:
        """Default inference label: ``akm`` when computed, else the first computed method."""
        done = self.methods()
        return "akm" if "akm" in done else (done[0] if done else "")

    def methods(self) -> tuple:
        """Inference methods computed for this result, in the order of :data:`METHODS`."""
        return tuple(m for m in METHODS if self.ci_set.get(m))

    @property
    def params(self) -> pd.Series:
        return pd.Series({"beta": self.beta}, name="params")

    @property
    def nobs(self) -> int:
        return self.n

    @property
    def first_stage_f(self) -> dict:
        """IV only: F of the excluded instrument by method (``ehw``, ``region_cluster``, ``akm``; empty for OLS)."""
        return dict(self.extra.get("first_stage_f", {}))

    def _se(self, method):
        return pd.Series({"beta": self.se[method]})

    def _pvalue(self, method):
        return pd.Series({"beta": self.p[method]})

    def _interval(self, method):
        return pd.DataFrame({"lower": [self.ci_low[method]], "upper": [self.ci_high[method]]}, index=["beta"])

    def _set_text(self, method) -> str:
        pieces = self.ci_set.get(method, ())
        return f"(set {format_set(pieces, 4)})" if len(pieces) > 1 else ""

    def info(self) -> dict:
        out = {"estimator": "OLS" if self.estimator == "ols" else "IV (2SLS)", "observations": self.n,
               "sectors": self.n_sectors, "region clusters": self.n_clusters}
        for m, f in self.first_stage_f.items():
            out[f"effective F (MOP), {LABELS[m]}"] = f
        return out

    def akm0_shape(self) -> str:
        """'interval', 'two half-lines', 'real line' or 'not computed'."""
        pieces = self.ci_set.get("akm0", ())
        if not pieces:
            return "not computed"
        if len(pieces) == 2:
            return "two half-lines"
        lo, hi = pieces[0]
        return "real line" if math.isinf(lo) and math.isinf(hi) else "interval"

    def table(self) -> pd.DataFrame:
        """One row per computed method: ``se``, ``p``, ``ci_low``, ``ci_high``, ``ci`` (text)."""
        rows = []
        for m in METHODS:
            if not self.ci_set.get(m):
                continue
            rows.append({"method": m, "se": self.se[m], "p": self.p[m], "ci_low": self.ci_low[m],
                         "ci_high": self.ci_high[m], "ci": format_set(self.ci_set[m])})
        return pd.DataFrame(rows).set_index("method")

    def summary(self, digits: int = 4) -> str:
        """Readable table of the estimate and of every computed method."""
        level = f"{100 * (1 - self.alpha):g}%"
        head = (f"{'OLS' if self.estimator == 'ols' else 'IV (2SLS)'} with a shift-share "
                f"{'regressor' if self.estimator == 'ols' else 'instrument'}: estimate {self.beta:.{digits}g}, "
                f"n = {self.n} regions, {self.n_sectors} sectors"
                + (f" ({self.n_sector_clusters} sector clusters)" if self.n_sector_clusters else "")
                + (f", {self.n_clusters} region clusters" if self.n_clusters else "")
                + (f"; {len(self.dropped_sectors)} collinear sector(s) dropped" if self.dropped_sectors else ""))
        lines = [head, f"{'method':40} {'std. error':>11} {'p-value':>9}  {level} confidence set (H0: beta = {self.beta0:g})"]
        for m in METHODS:
            if not self.ci_set.get(m):
                continue
            lines.append(f"{LABELS[m]:40} {self.se[m]:11.{digits}g} {self.p[m]:9.{digits}g}  "
                         f"{format_set(self.ci_set[m], digits)}")
        if self.first_stage_f:
            lines.append("first-stage F of the excluded instrument (= Montiel Olea-Pflueger effective F, one "
                         "instrument): " + ", ".join(f"{LABELS[m]} {f:.1f}" for m, f in self.first_stage_f.items()))
        return "\n".join(lines)

    def __repr__(self) -> str:  # pragma: no cover - display only
        return self.summary()


def format_set(pieces: Sequence[tuple[float, float]], digits: int = 4) -> str:
    """'[a, b]' or '(-inf, a] U [b, inf)' for a tuple of intervals."""
    def one(lo, hi):
        left = "(-inf" if math.isinf(lo) else f"[{lo:.{digits}g}"
        right = "inf)" if math.isinf(hi) else f"{hi:.{digits}g}]"
        return f"{left}, {right}"
    return " U ".join(one(lo, hi) for lo, hi in pieces) if pieces else "not computed"


def quadratic_set(a: float, b: float, c: float) -> tuple[tuple[float, float], ...]:
    """The set ``{t : a t^2 + b t + c <= 0}`` as closed intervals (used to invert AKM0 and AR tests).

    ``a > 0``: an interval (empty when the roots are complex: returned as ``()``); ``a < 0``: two
    half-lines around the roots, or the real line when there are none; ``a == 0``: a half-line.
    """
    if a == 0:
        if b == 0:
            return ((-math.inf, math.inf),) if c <= 0 else ()
        r = -c / b
        return ((-math.inf, r),) if b > 0 else ((r, math.inf),)
    disc = b * b - 4 * a * c
    if a > 0:
        if disc < 0:
            return ()
        s = math.sqrt(disc)
        r1, r2 = sorted(((-b - s) / (2 * a), (-b + s) / (2 * a)))
        return ((r1, r2),)
    if disc <= 0:
        return ((-math.inf, math.inf),)
    s = math.sqrt(disc)
    r1, r2 = sorted(((-b - s) / (2 * a), (-b + s) / (2 * a)))
    return ((-math.inf, r1), (r2, math.inf))


# ---------------------------------------------------------------------------------------------
# Input handling
# ---------------------------------------------------------------------------------------------

def _vector(v, name: str, n: int | None = None) -> np.ndarray:
    a = np.asarray(v, dtype=float).reshape(-1) if not isinstance(v, pd.Series) else v.to_numpy(dtype=float)
    if n is not None and len(a) != n:
        raise ShiftShareError(f"{name} has {len(a)} values, expected {n} (one per region)")
    if not np.isfinite(a).all():
        raise ShiftShareError(f"{name} has {int((~np.isfinite(a)).sum())} missing or infinite value(s); "
                              "drop those regions first")
    return a


def _controls(controls, n: int) -> np.ndarray:
    ones = np.ones((n, 1))
    if controls is None:
        return ones
    if isinstance(controls, pd.DataFrame):
        bad = [c for c in controls.columns if not pd.api.types.is_numeric_dtype(controls[c])]
        if bad:
            raise ShiftShareError(f"controls column(s) {bad} are not numeric: encode categories as dummies "
                                  "(pd.get_dummies(..., drop_first=True, dtype=float))")
        z = controls.to_numpy(dtype=float)
    else:
        z = np.asarray(controls, dtype=float)
    if z.ndim == 1:
        z = z[:, None]
    if z.shape[0] != n:
        raise ShiftShareError(f"controls have {z.shape[0]} rows, expected {n} (one per region)")
    if not np.isfinite(z).all():
        raise ShiftShareError("controls have missing or infinite values; drop those regions first")
    return np.column_stack([ones, z])


def _shares(W, n: int, sector_cvar) -> tuple[np.ndarray, np.ndarray | None, list]:
    names = list(W.columns) if isinstance(W, pd.DataFrame) else None
    w = W.to_numpy(dtype=float) if isinstance(W, pd.DataFrame) else np.asarray(W, dtype=float)
    if w.ndim != 2 or w.shape[0] != n:
        raise ShiftShareError(f"W must be regions x sectors with {n} rows, got shape {w.shape}")
    if not np.isfinite(w).all():
        raise ShiftShareError("W (shares) has missing or infinite values; a share is 0 when a sector is absent")
    names = names if names is not None else list(range(w.shape[1]))
    sc = None
    if sector_cvar is not None:
        sc = np.asarray(sector_cvar).reshape(-1)
        if len(sc) != w.shape[1]:
            raise ShiftShareError(f"sector_cvar has {len(sc)} values, expected {w.shape[1]} (one per sector)")
    return w, sc, names


def _qr_r(a: np.ndarray) -> np.ndarray:
    """R of the QR decomposition of ``a``, on one BLAS thread: on a shared 2-core machine a
    multi-threaded QR of the ADH shares (1,444 x 771) takes seconds instead of 0.2 s."""
    with _blas_controller().limit(limits=1, user_api="blas"):
        return linalg.qr(a, mode="r", check_finite=False)[0]


@functools.lru_cache(maxsize=1)
def _blas_controller() -> ThreadpoolController:
    """One controller per process: building one inspects every loaded library (about 20 ms), which
    ``threadpool_limits`` did at each of the thousands of QRs of an estimate grid."""
    return ThreadpoolController()


def _shifts(W: np.ndarray, sw: np.ndarray, v: np.ndarray, sc, names: list):
    """Weighted least-squares coefficients of ``v`` on the shares (the shocks netted of controls),
    after dropping collinear share columns (warning). One QR of ``[sqrt(w) W, sqrt(w) v]``: its
    last column holds ``Q'v``, its diagonal the norms of each column's part orthogonal to the
    earlier ones (the collinearity rule, applied to the weighted shares: same rank as ``W``)."""
    a = np.column_stack([W, v]) * sw[:, None]
    r = _qr_r(a)
    S = W.shape[1]
    if r.shape[0] < S + 1:
        raise ShiftShareError(f"more sectors ({S}) than regions ({W.shape[0]}): the shocks cannot be recovered")
    norms = np.linalg.norm(a[:, :S], axis=0)
    keep = (norms > 0) & (np.abs(np.diag(r)[:S]) > COLLINEAR_TOL * np.where(norms > 0, norms, 1.0))
    dropped = ()
    if not keep.all():
        dropped = tuple(names[j] for j in np.flatnonzero(~keep))
        warnings.warn(f"Share matrix is collinear: {len(dropped)} sector column(s) dropped "
                      f"(e.g. {list(dropped[:5])}), as ShiftShareSE does", CollinearSharesWarning, stacklevel=4)
        W = W[:, keep]
        sc = None if sc is None else sc[keep]
        a = np.column_stack([W, v]) * sw[:, None]
        r = _qr_r(a)
        S = W.shape[1]
    shifts = linalg.solve_triangular(r[:S, :S], r[:S, S], check_finite=False)
    return shifts, W, sc, dropped


def _methods(method) -> tuple:
    ms = (method,) if isinstance(method, str) else tuple(method)
    if "all" in ms:
        return METHODS
    bad = sorted(set(ms) - set(METHODS))
    if bad:
        raise ShiftShareError(f"unknown method(s) {bad}; use 'all' or some of {METHODS}")
    return ms


class _Projector:
    """Weighted least-squares projection on the columns of a matrix (rank-revealing)."""

    def __init__(self, X: np.ndarray, sw: np.ndarray):
        self.sw = sw
        q, r, piv = linalg.qr(X * sw[:, None], mode="economic", pivoting=True, check_finite=False)
        d = np.abs(np.diag(r))
        rank = int((d > d[0] * max(X.shape) * np.finfo(float).eps).sum()) if len(d) and d[0] > 0 else 0
        self.q, self.rank = q[:, :rank], rank

    def resid(self, y: np.ndarray) -> np.ndarray:
        """Residual of ``y`` (unweighted scale) after weighted projection."""
        yt = y * self.sw
        return (yt - self.q @ (self.q.T @ yt)) / self.sw


def _group_sum(values: np.ndarray, groups) -> np.ndarray:
    if groups is None:
        return values
    codes = pd.factorize(pd.Series(groups), sort=True)[0]
    if (codes < 0).any():
        raise ShiftShareError("cluster variable has missing values")
    return np.bincount(codes, weights=values)


# ---------------------------------------------------------------------------------------------
# The estimators
# ---------------------------------------------------------------------------------------------

def _fit(y, endog, x, W, controls, weights, region_cvar, sector_cvar, method, alpha, beta0) -> ShiftShareResult:
    if not 0 < alpha < 1:
        raise ShiftShareError(f"alpha must be in (0, 1), got {alpha!r}")
    methods = _methods(method)
    xv = _vector(x, "x")
    n = len(xv)
    yv = _vector(y, "y", n)
    ev = None if endog is None else _vector(endog, "endog", n)
    Z = _controls(controls, n)
    if weights is None:
        wv = np.ones(n)
    else:
        wv = _vector(weights, "weights", n)
        if (wv <= 0).any():
            raise ShiftShareError("weights must be positive")
    sw = np.sqrt(wv)
    rc = None
    if region_cvar is not None:
        rc = np.asarray(region_cvar).reshape(-1)
        if len(rc) != n:
            raise ShiftShareError(f"region_cvar has {len(rc)} values, expected {n}")
    Wm, sc, names = _shares(W, n, sector_cvar)
    dropped = ()
    pz = _Projector(Z, sw)
    ddx = pz.resid(xv)
    if np.sum(wv * ddx ** 2) <= 1e-14 * max(np.sum(wv * xv ** 2), 1e-300):
        raise ShiftShareError("the shift-share variable is collinear with the controls")
    ddy = pz.resid(yv)
    p_rank = pz.rank + 1
    cv = float(special.ndtri(1 - alpha / 2))
    se = {m: math.nan for m in METHODS}
    if ev is None:
        RX = float(np.sum(wv * ddx * ddx))
        beta = float(np.sum(wv * ddx * ddy) / RX)
        resid = ddy - beta * ddx
        ddd = ddx                                   # regressor whose AKM0 "slope" moves with beta0
        ddlhs = ddy
        if "homosk" in methods:
            se["homosk"] = math.sqrt(np.sum(wv * resid ** 2) / (n - p_rank) / RX)
        u = wv * resid * ddx
        if "ehw" in methods:
            se["ehw"] = math.sqrt(n / (n - p_rank) * np.sum(u ** 2)) / RX
        if "region_cluster" in methods and rc is not None:
            g = len(pd.unique(rc))
            se["region_cluster"] = math.sqrt(g / (g - 1) * (n - 1) / (n - p_rank) * np.sum(_group_sum(u, rc) ** 2)) / RX
        denom = RX
    else:
        dde = pz.resid(ev)
        RX = float(np.sum(wv * dde * ddx))
        if abs(RX) <= 1e-14 * math.sqrt(np.sum(wv * dde ** 2) * np.sum(wv * ddx ** 2)):
            raise ShiftShareError("the instrument is orthogonal to the endogenous variable given the controls")
        beta = float(np.sum(wv * ddx * ddy) / RX)
        resid = ddy - beta * dde
        ddd = dde
        ddlhs = ddy
        first = RX / float(np.sum(wv * ddx * ddx))    # first-stage coefficient
        v_fs = dde - first * ddx                      # first-stage residual (controls partialled out)
        u_fs = wv * v_fs * ddx
        sxx = float(np.sum(wv * ddx * ddx))
        fstage = {}
        if "ehw" in methods:
            fstage["ehw"] = first ** 2 / (float(np.sum(u_fs ** 2)) / sxx ** 2)
        if "region_cluster" in methods and rc is not None:
            fstage["region_cluster"] = first ** 2 / (float(np.sum(_group_sum(u_fs, rc) ** 2)) / sxx ** 2)
        if "homosk" in methods:
            se["homosk"] = math.sqrt(np.sum(wv * resid ** 2) / n) / (math.sqrt(np.sum(wv * ddx ** 2)) * abs(first))
        u = wv * resid * ddx
        if "ehw" in methods:
            se["ehw"] = math.sqrt(np.sum(u ** 2)) / abs(RX)
        if "region_cluster" in methods and rc is not None:
            se["region_cluster"] = math.sqrt(np.sum(_group_sum(u, rc) ** 2)) / abs(RX)
        denom = abs(RX)
    if "region_cluster" in methods and rc is None:
        warnings.warn('Reporting NaN for the "region_cluster" standard error because region_cvar was not '
                      "supplied", UserWarning, stacklevel=3)
    ci_set = {m: () for m in METHODS}
    pvals = {m: math.nan for m in METHODS}
    extra = {} if ev is None else {"first_stage_f": fstage}
    if "akm" in methods or "akm0" in methods:
        shifts, Wm, sc, dropped = _shifts(Wm, sw, ddx, sc, names)   # shocks netted of the controls
        cR = _group_sum(shifts * (Wm.T @ (wv * resid)), sc)
        cW = _group_sum(shifts * (Wm.T @ (wv * ddd)), sc)
        if "akm" in methods:
            se["akm"] = math.sqrt(np.sum(cR ** 2)) / denom
        if "akm0" in methods:
            cR0 = _group_sum(shifts * (Wm.T @ (wv * (ddlhs - beta0 * ddd))), sc)
            se0 = math.sqrt(np.sum(cR0 ** 2)) / denom
            pvals["akm0"] = float(2 * special.ndtr(-abs(beta - beta0) / se0)) if se0 > 0 else math.nan
            extra["akm0_stat"] = (beta - beta0) / se0 if se0 > 0 else math.nan  # the statistic behind that p-value
            # beta0 is in the set iff (beta - beta0)^2 RX^2 <= cv^2 sum (cR + (beta - beta0) cW)^2
            a = RX ** 2 / cv ** 2 - float(np.sum(cW ** 2))
            srw, srr = float(np.sum(cR * cW)), float(np.sum(cR ** 2))
            # in d = beta - beta0: a d^2 - 2 srw d - srr <= 0; map back to beta0 = beta - d
            pieces = quadratic_set(a, -2 * srw, -srr)
            ci_set["akm0"] = tuple(sorted((beta - hi, beta - lo) for lo, hi in pieces))
            lo, hi = ci_set["akm0"][0][0], ci_set["akm0"][-1][1]
            se["akm0"] = (hi - lo) / (2 * cv) if len(ci_set["akm0"]) == 1 and math.isfinite(hi - lo) else math.inf
            extra["akm0_quadratic"] = (a, srw, srr)
        extra["shifts"] = shifts
        if ev is not None:                            # AKM first-stage F: the same sums with the first-stage residual
            cF = _group_sum(shifts * (Wm.T @ (wv * v_fs)), sc)
            extra["first_stage_f"]["akm"] = first ** 2 / (float(np.sum(cF ** 2)) / sxx ** 2)
    for m in METHODS:
        if m in methods and m != "akm0" and not math.isnan(se[m]):
            pvals[m] = float(2 * special.ndtr(-abs(beta - beta0) / se[m])) if se[m] > 0 else math.nan
            ci_set[m] = ((beta - cv * se[m], beta + cv * se[m]),)
    ci_low = {m: (ci_set[m][0][0] if ci_set[m] else math.nan) for m in METHODS}
    ci_high = {m: (ci_set[m][-1][1] if ci_set[m] else math.nan) for m in METHODS}
    return ShiftShareResult(
        beta=beta, se=se, p=pvals, ci_low=ci_low, ci_high=ci_high, ci_set=ci_set,
        estimator="ols" if ev is None else "iv", n=n, n_sectors=Wm.shape[1],
        n_clusters=None if rc is None else int(len(pd.unique(rc))),
        n_sector_clusters=None if sc is None else int(len(pd.unique(sc))),
        alpha=alpha, beta0=beta0, critical_value=cv, dropped_sectors=dropped, extra=extra)


def reg_ss(y, x, W, controls=None, weights=None, region_cvar=None, sector_cvar=None, method="all",
           alpha=0.05, beta0=0.0) -> ShiftShareResult:
    """OLS of ``y`` on a shift-share regressor ``x`` and ``controls``, with AKM inference.

    Parameters
    ----------
    y, x : 1-D array-likes over regions (``x = W @ shocks``, or any regressor whose shift-share
        component is of interest: AKM uses its projection on ``W`` net of controls).
    W : regions x sectors shares (array or DataFrame; its column names name dropped sectors).
    controls : 2-D array-like or DataFrame of regional controls, *without* an intercept (one is
        added); categorical controls must be given as dummies.
    weights : positive regression weights (weighted least squares), or None.
    region_cvar : cluster of each region for ``region_cluster`` (e.g. state).
    sector_cvar : cluster of each sector for AKM / AKM0 (e.g. 3-digit industry).
    method : ``"all"`` or some of :data:`METHODS`.
    alpha : 1 - confidence level; beta0 : null value for p-values (and the AKM0 residuals).

    Returns a :class:`ShiftShareResult`.
    """
    return _fit(y, None, x, W, controls, weights, region_cvar, sector_cvar, method, alpha, beta0)


def ivreg_ss(y, endog, x, W, controls=None, weights=None, region_cvar=None, sector_cvar=None, method="all",
             alpha=0.05, beta0=0.0) -> ShiftShareResult:
    """Just-identified 2SLS of ``y`` on ``endog`` with the shift-share instrument ``x``, AKM inference.

    Same arguments as :func:`reg_ss`, plus ``endog`` (the endogenous regressor, 1-D over regions).
    The AKM0 confidence set is exposure-robust and valid under weak instruments; it can be an
    interval, the real line, or two half-lines (see :class:`ShiftShareResult`).
    """
    return _fit(y, endog, x, W, controls, weights, region_cvar, sector_cvar, method, alpha, beta0)
