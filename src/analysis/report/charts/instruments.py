"""Charts of the programme's instruments (Fonds friches calls, published context).

Drawing only: each function takes what :mod:`analysis.methods.instruments` computed and returns a matplotlib
figure (labels in French by default, through :func:`analysis.report.figures.tr`).
"""

from __future__ import annotations

from collections.abc import Mapping

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd

from analysis.report import figures


def plot_friches_calls(calls: pd.DataFrame, shares: Mapping[str, float], *, shares_title: str = ""):
    """Two panels: dossiers of the land-recycling calls, and the share of laureates inside TIs.

    ``calls``: :func:`friches_calls_summary` by ``edition`` and ``edition_year`` (editions
    1-3 are the Fonds friches, 4 the Fonds vert 2023); ``shares``: the three fractions drawn
    in the right panel, keys ``laureates_in_ti``, ``industrial_laureates_in_ti`` and
    ``population_share_of_ti`` (e.g. one row of the notebook's in-TI table). Returns the figure.
    """
    fig, axes = plt.subplots(1, 2, figsize=figures.TWO_COLUMNS, gridspec_kw={"width_ratios": [3, 2]})
    x = np.arange(len(calls))
    w = 0.27
    bars = [("candidates", figures.tr("Candidats", "Candidates"), figures.PALETTE[5]),
            ("laureates", figures.tr("Lauréats", "Laureates"), figures.PALETTE[0]),
            ("industrial_laureates", figures.tr("Lauréats : friche industrielle ou minière",
                                                "Laureates: industrial or mining"), figures.PALETTE[3])]
    for k, (col, label, colour) in enumerate(bars):
        axes[0].bar(x + (k - 1) * w, calls[col], w, label=label, color=colour)
    axes[0].set_xticks(x, [figures.tr(f"Éd. {e}\n{y}", f"Ed. {e}\n{y}") if e <= 3 else f"Fonds vert\n{y}"
                           for e, y in zip(calls["edition"], calls["edition_year"])])
    axes[0].set_ylabel(figures.tr("Dossiers", "Dossiers"))
    figures.format_axis(axes[0], "y")
    axes[0].legend(loc="upper right")
    axes[0].set_title(figures.tr("Appels « recyclage foncier »", "Land-recycling calls"))
    labels = [figures.tr("Lauréats", "Laureates"), figures.tr("dont friches\nindustrielles", "of which\nindustrial"),
              figures.tr("Population", "Population")]
    vals = [shares["laureates_in_ti"], shares["industrial_laureates_in_ti"], shares["population_share_of_ti"]]
    axes[1].bar(labels, vals, color=[figures.PALETTE[0], figures.PALETTE[3], "#999999"])
    figures.format_axis(axes[1], "y", percent=True)
    axes[1].set_ylim(0, 1)
    axes[1].set_title(shares_title or figures.tr("Part dans les TI", "Share inside TIs"))
    return fig


def plot_published_context(engineers: pd.DataFrame, ecoles: pd.DataFrame, seed: Mapping[str, float]):
    """Quoted published counts (engineering graduates, écoles de production) next to a seed's figures.

    ``engineers`` / ``ecoles``: :func:`published_context` of ``engineering_graduates`` and
    ``ecoles_de_production`` (``year``, ``value``); ``seed``: the seed's values read from the
    claims register, keys ``graduates_low``, ``graduates_high`` (graduates a year),
    ``needed`` (engineers needed a year), ``ecoles_2026`` (count in January 2026) and
    ``ecoles_target_2028``. Every value drawn is QUOTED, none is computed; the figure says
    so. Returns the figure.
    """
    fig, axes = plt.subplots(1, 2, figsize=figures.TWO_COLUMNS)
    axes[0].plot(engineers["year"], engineers["value"], marker="o", linestyle=":", color=figures.PALETTE[0],
                 label=figures.tr("Diplômés ingénieurs (publié)", "Engineering graduates (published)"))
    axes[0].axhspan(seed["graduates_low"], seed["graduates_high"], color=figures.PALETTE[1], alpha=0.3,
                    label=figures.tr("Note : sortants par an", "Note: graduates a year"))
    axes[0].axhline(seed["needed"], color=figures.PALETTE[3], linestyle="--",
                    label=figures.tr("Note : besoin par an", "Note: needed a year"))
    figures.format_axis(axes[0], "y")
    axes[0].set_title(figures.tr("Ingénieurs diplômés par an", "Engineering graduates a year"))
    axes[0].legend(loc="lower right")
    axes[1].plot(ecoles["year"], ecoles["value"], marker="o", linestyle=":", color=figures.PALETTE[0],
                 label=figures.tr("Écoles de production (publié)", "Écoles de production (published)"))
    axes[1].scatter([2026], [seed["ecoles_2026"]], color=figures.PALETTE[1], zorder=5,
                    label=figures.tr("Note : janvier 2026 (non confirmé)", "Note: January 2026 (not confirmed)"))
    axes[1].scatter([2028], [seed["ecoles_target_2028"]], color=figures.PALETTE[3], marker="x", zorder=5,
                    label=figures.tr("Objectif FNEP 2028", "FNEP target 2028"))
    axes[1].set_ylim(0, None)
    axes[1].set_title(figures.tr("Écoles de production", "Écoles de production"))
    axes[1].legend(loc="upper left")
    fig.text(0.0, 1.02, figures.tr("Valeurs publiées citées (PUBLISHED_FIGURES.md), non recalculées",
                                   "Published values quoted (PUBLISHED_FIGURES.md), not recomputed"),
             fontsize=8, style="italic", transform=fig.transFigure)
    return fig
