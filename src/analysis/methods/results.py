"""Result objects in the conventions of statsmodels and linearmodels, and tables of several of them.

Every estimator of the package that returns a result object (:func:`analysis.methods.multiplier.local_multiplier`,
:func:`analysis.methods.shiftshare.reg_ss` / :func:`~analysis.methods.shiftshare.ivreg_ss`,
:func:`analysis.methods.shocklevel.shock_level_iv`) gives it the same reading interface, :class:`ResultTable`:

* ``params``, ``bse``, ``pvalues`` (pandas Series indexed by parameter name), ``nobs``;
* ``conf_int(method=None, alpha=None)`` (DataFrame ``lower`` / ``upper``, one row per parameter), where
  ``method`` is an inference label of :data:`INFERENCE_LABELS`;
* ``summary()`` (text), ``to_frame()`` (one row per parameter and inference method), ``to_latex()``;
* :func:`etable` sets several results side by side (Markdown, LaTeX or HTML), each interval row naming its
  method.

**One meaning per inference label, across the package** (:data:`INFERENCE_LABELS`):

=================  =========================================================================================
label              meaning
=================  =========================================================================================
``robust``         heteroskedasticity-robust (HC1: ``n/(n-k)`` factor), t(n-k) critical value
``cluster``        clustered by region, CR1 factor ``G/(G-1) (n-1)/(n-k)``, **t(G-1)** critical value
                   (Stata / fixest small-cluster convention): the intervals of ``local_multiplier``
``region_cluster`` clustered by region in the convention of the R package ShiftShareSE: normal critical
                   value; OLS with the CR1 factor, IV (2SLS) with none: the intervals of ``reg_ss`` /
                   ``ivreg_ss``, kept so that ShiftShareSE's own tests remain targets. Not ``cluster``.
``ehw``            Eicker-Huber-White in the ShiftShareSE convention (OLS ``n/(n-p)``, IV none; normal)
``homosk``         homoskedastic, ShiftShareSE convention (normal)
``akm``            Adão-Kolesár-Morales exposure-robust standard error, normal critical value
``akm0``           AKM with the null imposed; the set inverts the test and can be unbounded
``shock``          shock-level heteroskedasticity-robust (Borusyak-Hull-Jaravel), normal critical value
``anderson_rubin`` Anderson-Rubin set (weak-instrument robust) under the estimate's covariance
=================  =========================================================================================

Units are those of each result (an elasticity ``beta``; ``m`` in sheltered jobs per exposed job).
"""

from __future__ import annotations

import html as _html
import math
from collections.abc import Sequence

import pandas as pd

#: inference label -> the text printed next to every interval computed with it (one meaning each).
INFERENCE_LABELS = {
    "robust": "heteroskedasticity-robust (HC1), t(n-k)",
    "cluster": "region-clustered, t(G-1)",
    "region_cluster": "region-clustered, normal (ShiftShareSE)",
    "ehw": "EHW, normal (ShiftShareSE)",
    "homosk": "homoskedastic, normal (ShiftShareSE)",
    "akm": "AKM",
    "akm0": "AKM0",
    "shock": "shock-level robust (BHJ)",
    "anderson_rubin": "Anderson-Rubin",
}
#: Montiel Olea-Pflueger critical value of the effective F for one instrument, 5 % test that the worst-case
#: Nagar bias exceeds 10 % of the OLS bias (their Table 1, K = 1, tau = 10 %): 23.109.
MOP_CRITICAL_10PCT = 23.109
FORMATS = ("markdown", "latex", "html")
#: pyfixest's names of the formats (its ``etable(type=...)``)
_FORMAT_ALIASES = {"md": "markdown", "tex": "latex"}


class ResultError(ValueError):
    """An inference label, a format or a parameter that the result does not have."""


def label(method: str) -> str:
    """The printed name of an inference label, e.g. ``label("cluster")`` -> 'region-clustered, t(G-1)'.

    >>> label("akm0")
    'AKM0'
    """
    if method not in INFERENCE_LABELS:
        raise ResultError(f"unknown inference label {method!r}; the package's labels are {sorted(INFERENCE_LABELS)}")
    return INFERENCE_LABELS[method]


class ResultTable:
    """Reading interface shared by the package's result objects (statsmodels / linearmodels names).

    A subclass defines ``params`` (Series), ``nobs``, ``inference`` (its default label), ``methods()``
    (labels computed), ``_se(method)`` and ``_interval(method)`` (Series of standard errors and a DataFrame
    ``lower``/``upper`` per parameter, in parameter units), ``_pvalue(method)`` and ``info()`` (ordered
    facts: estimator, sample, window, n, first-stage F ...).
    """

    inference: str = ""

    # -- to be provided by subclasses --------------------------------------------------------------
    @property
    def params(self) -> pd.Series:  # pragma: no cover - abstract
        raise NotImplementedError

    def methods(self) -> tuple:  # pragma: no cover - abstract
        raise NotImplementedError

    def _se(self, method: str) -> pd.Series:  # pragma: no cover - abstract
        raise NotImplementedError

    def _pvalue(self, method: str) -> pd.Series:  # pragma: no cover - abstract
        raise NotImplementedError

    def _interval(self, method: str) -> pd.DataFrame:  # pragma: no cover - abstract
        raise NotImplementedError

    def info(self) -> dict:  # pragma: no cover - abstract
        raise NotImplementedError

    # -- shared ----------------------------------------------------------------------------------
    def _check_method(self, method: str | None) -> str:
        method = self.inference if method is None else method
        if method not in self.methods():
            hint = ""
            if method == "cluster" and "region_cluster" in self.methods():
                hint = (" ('cluster' means region-clustered with t(G-1) in this package; this result has "
                        "'region_cluster', the ShiftShareSE convention with a normal critical value)")
            elif method == "region_cluster" and "cluster" in self.methods():
                hint = " (this result's region-clustered intervals are 'cluster': CR1 factor, t(G-1))"
            raise ResultError(f"inference {method!r} is not computed for this result; computed: "
                              f"{list(self.methods())}{hint}")
        return method

    @property
    def bse(self) -> pd.Series:
        """Standard errors under the result's default inference (``self.inference``)."""
        return self._se(self.inference)

    @property
    def pvalues(self) -> pd.Series:
        """Two-sided p-values (H0: parameter = 0) under the result's default inference."""
        return self._pvalue(self.inference)

    def conf_int(self, method: str | None = None, alpha: float | None = None) -> pd.DataFrame:
        """Confidence interval of each parameter: DataFrame ``lower``, ``upper`` indexed by parameter.

        ``method``: an inference label computed for this result (default: ``self.inference``); ``alpha``
        must be that of the estimation (intervals are computed once, at estimation time)."""
        method = self._check_method(method)
        if alpha is not None and not math.isclose(alpha, self.alpha):
            raise ResultError(f"intervals were computed at alpha = {self.alpha:g}; re-estimate with alpha={alpha:g}")
        return self._interval(method)

    def to_frame(self) -> pd.DataFrame:
        """One row per parameter and computed inference method: ``param``, ``estimate``, ``method``,
        ``method_label``, ``se``, ``p``, ``lower``, ``upper``."""
        rows = []
        for m in self.methods():
            se, p, ci = self._se(m), self._pvalue(m), self._interval(m)
            for name, value in self.params.items():
                rows.append({"param": name, "estimate": value, "method": m, "method_label": label(m),
                             "se": se.get(name, math.nan), "p": p.get(name, math.nan),
                             "lower": ci.loc[name, "lower"], "upper": ci.loc[name, "upper"]})
        return pd.DataFrame(rows)

    def to_latex(self, **kwargs) -> str:
        """This result as a LaTeX tabular (:func:`etable` with ``format="latex"``; same keywords)."""
        return etable([self], format="latex", **kwargs)

    def to_markdown(self, **kwargs) -> str:
        """This result as a Markdown table (:func:`etable`)."""
        return etable([self], format="markdown", **kwargs)


# ---------------------------------------------------------------------------------------------
# etable
# ---------------------------------------------------------------------------------------------

def _num(x, digits: int) -> str:
    if x is None or (isinstance(x, float) and math.isnan(x)):
        return ""
    if isinstance(x, float) and math.isinf(x):
        return "inf" if x > 0 else "-inf"
    return f"{x:.{digits}f}"


def _fmt_info(v, digits: int) -> str:
    if v is None:
        return ""
    if isinstance(v, bool):
        return "yes" if v else "no"
    if isinstance(v, int):
        return f"{v:,}".replace(",", " ")
    if isinstance(v, float):
        return _num(v, 1 if abs(v) >= 10 else digits)
    return str(v)


def etable(models: Sequence[ResultTable], *, param: str | None = None, scale: float = 1.0, methods=None,
           names: Sequence[str] | None = None, format: str = "markdown", digits: int = 3, type: str | None = None) -> str:
    """Several estimates side by side (as pyfixest ``etable``, Stata ``esttab``, R ``modelsummary``).

    Parameters
    ----------
    models : results with the :class:`ResultTable` interface (``local_multiplier``, ``reg_ss``, ``ivreg_ss``,
        ``shock_level_iv``).
    param : the parameter shown (default: each model's first, ``beta``); e.g. ``"m"`` for the multiplier in
        jobs per job.
    scale : factor applied to estimates, standard errors and bounds (100: jobs per 100 exposed jobs).
    methods : inference labels whose intervals get a row (default: every label any model computed, in the
        order of :data:`INFERENCE_LABELS`); a model without a method shows an empty cell.
    names : column titles (default ``(1)``, ``(2)`` ...).
    format : ``"markdown"``, ``"latex"`` or ``"html"``; ``type`` is pyfixest's name for it, with its values
        ``"md"`` and ``"tex"`` (pyfixest's ``"df"`` and ``"gt"`` objects are not made here: the table is text).

    Rows: the estimate, its standard error in parentheses under each model's default inference (named in
    the row ``se under``), one ``95% CI: <method>`` row per inference method, then the models' facts
    (estimator, sample, window, observations, first-stage and effective F ...).

    >>> from analysis.methods.shiftshare import reg_ss
    >>> import numpy as np
    >>> rng = np.random.default_rng(0)
    >>> W = rng.dirichlet(np.ones(6), size=60); g = rng.normal(size=6)
    >>> x = W @ g; y = 0.5 * x + rng.normal(scale=0.1, size=60)
    >>> table = etable([reg_ss(y, x, W, method=("ehw", "akm"))], methods=["ehw", "akm"])
    >>> print(table.splitlines()[5])
    | 95% CI: EHW, normal (ShiftShareSE) | [...] |
    """
    if type is not None:
        if type in ("df", "gt"):
            raise ResultError(f"type={type!r} is a pyfixest object; etable here returns text: type='md', 'tex' or "
                              "'html' (format='markdown', 'latex' or 'html')")
        if format != "markdown" and _FORMAT_ALIASES.get(type, type) != _FORMAT_ALIASES.get(format, format):
            raise ResultError(f"format={format!r} and type={type!r} disagree: give one of them")
        format = type
    format = _FORMAT_ALIASES.get(format, format)
    if format not in FORMATS:
        raise ResultError(f"format must be one of {FORMATS} (or pyfixest's type='md', 'tex'), got {format!r}")
    models = list(models)
    if not models:
        raise ResultError("etable needs at least one result")
    for mod in models:
        if not isinstance(mod, ResultTable):
            raise ResultError(f"{mod.__class__.__name__} is not a result object of the package (local_multiplier, "
                              "reg_ss, ivreg_ss, shock_level_iv)")
    names = list(names) if names is not None else [f"({i + 1})" for i in range(len(models))]
    if len(names) != len(models):
        raise ResultError(f"{len(names)} names for {len(models)} models")
    if methods is None:
        seen = {m for mod in models for m in mod.methods()}
        methods = [m for m in INFERENCE_LABELS if m in seen]
    else:
        methods = [methods] if isinstance(methods, str) else list(methods)
        for m in methods:
            label(m)
    rows: dict[str, list[str]] = {}
    pnames = []
    for j, mod in enumerate(models):
        p = param or mod.params.index[0]
        if p not in mod.params.index:
            raise ResultError(f"model {names[j]} has no parameter {p!r}; it has {list(mod.params.index)}")
        pnames.append(p)
    coef_row = "estimate" if param is None else param + (f" (x{scale:g})" if scale != 1 else "")
    rows[coef_row] = [_num(scale * float(mod.params[p]), digits) for mod, p in zip(models, pnames)]
    rows[""] = [f"({_num(scale * float(mod.bse[p]), digits)})" for mod, p in zip(models, pnames)]
    rows["se under"] = [label(mod.inference) for mod in models]
    for m in methods:
        cells = []
        for mod, p in zip(models, pnames):
            if m not in mod.methods():
                cells.append("")
                continue
            ci = mod._interval(m).loc[p]
            lo, hi = sorted((scale * float(ci["lower"]), scale * float(ci["upper"])))
            text = f"[{_num(lo, digits)}, {_num(hi, digits)}]"
            extra = mod._set_text(m) if hasattr(mod, "_set_text") else ""
            cells.append(text + (f" {extra}" if extra else ""))
        level = f"{100 * (1 - models[0].alpha):g}%"
        rows[f"{level} CI: {label(m)}"] = cells
    infos = [mod.info() for mod in models]
    keys = list(dict.fromkeys(k for inf in infos for k in inf))
    for k in keys:
        rows[k] = [_fmt_info(inf.get(k), digits) for inf in infos]
    if format == "markdown":
        return _markdown(rows, names)
    if format == "latex":
        return _latex(rows, names)
    return _html_table(rows, names)


def _markdown(rows: dict, names: list) -> str:
    lines = ["| | " + " | ".join(names) + " |", "|---|" + "---|" * len(names)]
    for k, cells in rows.items():
        lines.append(f"| {k} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def _tex(s: str) -> str:
    for a, b in (("&", r"\&"), ("%", r"\%"), ("$", r"\$"), ("#", r"\#"), ("_", r"\_")):
        s = s.replace(a, b)
    return s.replace("inf", r"$\infty$").replace("U [", r"$\cup$ [")


def _latex(rows: dict, names: list) -> str:
    lines = [r"\begin{tabular}{l" + "c" * len(names) + "}", r"\hline",
             " & " + " & ".join(_tex(n) for n in names) + r" \\", r"\hline"]
    for k, cells in rows.items():
        lines.append(_tex(k) + " & " + " & ".join(_tex(c) for c in cells) + r" \\")
    lines += [r"\hline", r"\end{tabular}"]
    return "\n".join(lines)


def _html_table(rows: dict, names: list) -> str:
    head = "<tr><th></th>" + "".join(f"<th>{_html.escape(n)}</th>" for n in names) + "</tr>"
    body = "".join("<tr><th>" + _html.escape(k) + "</th>" + "".join(f"<td>{_html.escape(c)}</td>" for c in cells)
                   + "</tr>" for k, cells in rows.items())
    return f'<table class="etable"><thead>{head}</thead><tbody>{body}</tbody></table>'
