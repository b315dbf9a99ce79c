"""Charts of the local multiplier (scatter of zones, estimates beside published figures).

Drawing only: each function takes what :mod:`analysis.methods.multiplier` computed and returns a matplotlib
figure (labels in French by default, through :func:`analysis.report.figures.tr`).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from analysis.report import figures


def plot_scatter(panel: pd.DataFrame, est: Mapping, *, start: int, end: int, level: str = "ze") -> Figure:
    """Scatter of ``dln_exposed`` against ``dln_sheltered`` for the usable territories of ``panel``
    (bubble area proportional to exposed + sheltered jobs in ``start``), with the fitted line
    ``alpha + beta * x`` of ``est`` (:func:`estimate`, weighted OLS). ``level`` names the territories in
    the labels (``"ze"``, ``"dep"``, ``"epci"``, ``"ti"``, see :data:`analysis.report.figures.LEVELS`);
    tick labels carry the decimals their step needs. Returns the figure."""
    fig, ax = plt.subplots(figsize=figures.FULL_WIDTH)
    p = panel[panel["drop_reason"] == ""]
    unit = figures.level_label(level)
    ax.scatter(p["dln_exposed"], p["dln_sheltered"], s=6 + 600 * p["total_0"] / p["total_0"].max(),
               alpha=0.45, color=figures.PALETTE[0], edgecolor="white", linewidth=0.4,
               label=figures.tr(f"{unit} (taille : emploi {start})", f"{unit} (size: {start} jobs)"))
    xs = np.linspace(p["dln_exposed"].min(), p["dln_exposed"].max(), 50)
    ax.plot(xs, est["alpha"] + est["beta"] * xs, color=figures.PALETTE[3],
            label=figures.tr(f"Droite MCO pondérée (élasticité {figures.fr_number(est['beta'], 2)})",
                             f"Weighted OLS line (elasticity {est['beta']:.2f})"))
    ax.axhline(0, color="#888888", linewidth=0.6)
    ax.axvline(0, color="#888888", linewidth=0.6)
    ax.set_xlabel(figures.tr(f"Variation de l'emploi exposé {start}-{end} (écart de log)",
                             f"Change in exposed employment {start}-{end} (log difference)"))
    ax.set_ylabel(figures.tr("Variation de l'emploi abrité (écart de log)",
                             "Change in sheltered employment (log difference)"))
    within = figures.level_label(level, lower=True)
    ax.set_title(figures.tr(f"Emploi exposé et emploi abrité par {within}, {start}-{end}",
                            f"Exposed and sheltered employment by {within}, {start}-{end}"))
    figures.format_axis(ax, "both")
    ax.legend(loc="upper left")
    return fig


def plot_comparison(summary: pd.DataFrame, references: Sequence[tuple[float, str]], *, highlight: int = 0,
                    xlim: tuple[float, float] | None = None, exposure_robust: bool = True,
                    label_width: int = 34) -> Figure:
    """Dot-and-interval chart of :func:`summary_table` (``label``, ``value``, ``ci_low``,
    ``ci_high``; first row at the top, row ``highlight`` in the accent colour) with one vertical
    line per ``(value, label)`` of ``references`` (the cited value first, then published peers),
    in sheltered jobs per 100 exposed jobs.

    With ``exposure_robust`` the AKM (``ci_low_akm``/``ci_high_akm``) and AKM0 intervals are drawn
    under each clustered one where they were computed (a bound beyond the axis, e.g. of an
    unbounded AKM0 set, is drawn to its edge and marked by an arrow). Long row labels are wrapped at ``label_width`` characters.
    Returns the figure."""
    import textwrap

    n = len(summary)
    fig, ax = plt.subplots(figsize=(6.4, 0.42 * n + 2.4), layout="constrained")
    ypos = np.arange(n)[::-1].astype(float)
    lo_lim, hi_lim = xlim if xlim is not None else (None, None)
    ax.errorbar(summary["value"], ypos, xerr=[summary["value"] - summary["ci_low"], summary["ci_high"] - summary["value"]],
                fmt="none", ecolor="#555555", elinewidth=1.2, capsize=2,
                label=figures.tr("IC 95 % groupé par région, t(G−1)", "95% CI clustered by region, t(G−1)"))
    if exposure_robust:
        for col, off, style, colour, fr, en in (
                ("akm", 0.2, "-", figures.PALETTE[5], "IC 95 % AKM (robuste à l'exposition)", "95% CI AKM (exposure-robust)"),
                ("akm0", 0.34, (0, (1, 1)), figures.PALETTE[7], "Ensemble 95 % AKM0 (nul imposé ; flèche : au-delà de l'axe)",
                 "95% set AKM0 (null imposed; arrow: beyond the axis)")):
            if f"ci_low_{col}" not in summary.columns:
                continue
            first = True
            for y, lo, hi in zip(ypos, summary[f"ci_low_{col}"], summary[f"ci_high_{col}"]):
                if np.isnan(lo) or np.isnan(hi):
                    continue
                left = max(lo, lo_lim) if lo_lim is not None else lo
                right = min(hi, hi_lim) if hi_lim is not None else hi
                ax.plot([left, right], [y - off, y - off], linestyle=style, color=colour, linewidth=1.3,
                        label=figures.tr(fr, en) if first else None)
                first = False
                for edge, bound, marker in ((left, lo, "<"), (right, hi, ">")):
                    if edge != bound:
                        ax.plot([edge], [y - off], marker=marker, color=colour, markersize=4)
    colours = np.where(np.arange(n) == highlight, figures.PALETTE[3], figures.PALETTE[0])
    ax.scatter(summary["value"], ypos, color=colours, zorder=3, s=24)
    styles = [(figures.PALETTE[3], "-"), (figures.PALETTE[2], "--"), (figures.PALETTE[1], "--"),
              (figures.PALETTE[4], ":"), (figures.PALETTE[5], "-.")]
    for i, (value, label) in enumerate(references):
        colour, style = styles[i % len(styles)]
        ax.axvline(value, color=colour, linestyle=style, linewidth=1.0, label=label, alpha=0.9)
    _rows_per_100_axis(fig, ax, ypos, [textwrap.fill(figures.translate(str(t)), label_width) for t in summary["label"]],
                       8, xlim, figures.tr("Multiplicateurs locaux : estimations et chiffres publiés",
                                           "Local multipliers: estimates and published figures"))
    handles, labels = ax.get_legend_handles_labels()
    order = sorted(range(len(labels)), key=lambda i: not labels[i].startswith(("IC 95 % groupé", "95% CI clustered")))
    handles, labels = [handles[i] for i in order], [labels[i] for i in order]
    axes_height = 0.42 * n + 0.8                    # inches, about (figure height - title, labels, legend)
    ax.legend(handles, labels, loc="upper center", bbox_to_anchor=(0.3, -0.6 / axes_height), ncols=2, fontsize=7,
              frameon=False)
    return fig


def plot_forest(table: pd.DataFrame, *, xlim: tuple[float, float] | None = None, label_width: int = 40) -> Figure:
    """Forest plot of :func:`analysis.methods.multiplier.published_multipliers`: one row per multiplier (first at
    the top), dot = ``value``, bar = ``low`` to ``high`` where there is one, colour by ``source`` (published,
    cited, this project), each row labelled with its window, geography and method; sheltered jobs per 100
    exposed jobs. A bound beyond ``xlim`` is drawn to the edge with an arrow. Returns the figure."""
    import textwrap

    n = len(table)
    fig, ax = plt.subplots(figsize=(6.4, 0.75 * n + 1.8), layout="constrained")
    ypos = np.arange(n)[::-1].astype(float)
    colour = {"published": figures.PALETTE[0], "cited": figures.PALETTE[3], "this project": figures.PALETTE[2]}
    names = {"published": figures.tr("publié", "published"), "cited": figures.tr("cité (La Fabrique)", "cited (La Fabrique)"),
             "this project": figures.tr("ce projet (IC 95 %)", "this project (95% CI)")}
    lo_lim, hi_lim = xlim if xlim is not None else (-np.inf, np.inf)
    seen = set()
    for y, r in zip(ypos, table.to_dict("records")):
        c = colour.get(r["source"], "#555555")
        if not (np.isnan(r["low"]) or np.isnan(r["high"])):
            left, right = max(r["low"], lo_lim), min(r["high"], hi_lim)
            ax.plot([left, right], [y, y], color=c, linewidth=1.6)
            for edge, bound, marker in ((left, r["low"], "<"), (right, r["high"], ">")):
                if edge != bound:
                    ax.plot([edge], [y], marker=marker, color=c, markersize=4)
        ax.scatter([r["value"]], [y], color=c, s=30, zorder=3,
                   label=names.get(r["source"], r["source"]) if r["source"] not in seen else None)
        seen.add(r["source"])
    ax.axvline(100, color="#888888", linewidth=0.6, linestyle=":")
    labels = [textwrap.fill(figures.translate(str(r['label'])), label_width) + "\n"
              + textwrap.fill(textwrap.shorten(f"{r['window']} · {figures.translate(str(r['geography']))} · "
                                               f"{figures.translate(str(r['method']))}", label_width * 2), label_width)
              for r in table.to_dict("records")]
    _rows_per_100_axis(fig, ax, ypos, labels, 7.5, xlim,
                       figures.tr("Multiplicateurs locaux publiés et recalculés, en une seule unité",
                                  "Published and recomputed local multipliers, in one unit"))
    ax.legend(loc="lower right", fontsize=7)
    return fig


def _rows_per_100_axis(fig, ax, ypos, labels, fontsize: float, xlim, title: str) -> None:
    """The shared frame of the multiplier charts: one row per estimate, x in sheltered jobs per 100 exposed."""
    ax.set_yticks(ypos)
    ax.set_yticklabels(labels, fontsize=fontsize)
    ax.set_xlabel(figures.tr("Emplois abrités pour 100 emplois exposés", "Sheltered jobs per 100 exposed jobs"))
    if xlim is not None:
        ax.set_xlim(*xlim)
    figures.format_axis(ax, "x", 0)
    figures.figure_title(fig, title)
