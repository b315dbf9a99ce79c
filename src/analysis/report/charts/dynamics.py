"""Charts of territorial dynamics (transition matrices, growth maps and bars).

Drawing only: each function takes what :mod:`analysis.methods.dynamics` computed and returns a matplotlib
figure (labels in French by default, through :func:`analysis.report.figures.tr`).
"""

from __future__ import annotations

import textwrap

from collections.abc import Mapping

import pandas as pd
from matplotlib.figure import Figure

from analysis.methods.dynamics import MarkovEstimate


def plot_transition_matrices(estimates: Mapping[str, MarkovEstimate], titles: Mapping[str, str], *,
                             tick_labels: list[str], xlabel: str, ylabel: str, suptitle: str, colorbar_label: str,
                             vmax: float = 0.6, figsize: tuple[float, float] | None = None):
    """Heatmaps of transition matrices side by side (one per estimate), probabilities written in cells.

    ``estimates``: name -> :class:`MarkovEstimate`; ``titles``: name -> panel title (the
    number of transitions is appended). Labels are passed in (French by default in the
    notebooks, via :func:`analysis.report.figures.tr`). Returns the matplotlib Figure.
    """
    import matplotlib.pyplot as plt

    from analysis.report import figures

    fig, axes = plt.subplots(1, len(estimates), figsize=figsize or figures.TWO_COLUMNS, sharey=True, squeeze=False)
    axes = axes[0]
    im = None
    for ax, (name, est) in zip(axes, estimates.items()):
        p = est.probabilities.to_numpy(dtype=float)
        k = p.shape[0]
        im = ax.imshow(p, cmap="Blues", vmin=0, vmax=vmax)
        for i in range(k):
            for j in range(k):
                ax.text(j, i, figures.fr_number(p[i, j], 2), ha="center", va="center", fontsize=7,
                        color="white" if p[i, j] > 0.65 * vmax else "black")
        ax.set_xticks(range(k))
        ax.set_xticklabels(tick_labels)
        ax.set_yticks(range(k))
        ax.set_yticklabels(tick_labels)
        ax.set_xlabel(xlabel)
        ax.set_title(f"{titles[name]} ({est.n_transitions} transitions)", fontsize=9)
        ax.grid(False)
    axes[0].set_ylabel(ylabel)
    figures.figure_title(fig, suptitle)
    cbar = fig.colorbar(im, ax=list(axes), shrink=0.8)
    cbar.set_label(colorbar_label)
    return fig


def plot_growth_map(zones, outlines, *, column: str = "growth", cap: float = 0.2, legend_label: str, title: str,
                    figsize: tuple[float, float] = (6.4, 5.8), simplify: float = 500.0, note: str = ""):
    """Choropleth of a growth rate by zone (diverging, capped at +/- ``cap``) with outlines on top.

    ``zones``: GeoDataFrame with ``column`` (fraction; NaN drawn light grey); ``note``: a caption
    written under the map (say what grey means and which zones are left out); ``outlines``:
    GeoDataFrame of polygons whose boundaries are drawn in black (e.g. Territoires
    d'industrie). Both must share a projected CRS. Outlines are simplified to ``simplify``
    CRS units (500 m in Lambert-93, under a pixel at 300 dpi) to keep the SVG small.
    Returns the matplotlib Figure.
    """
    import matplotlib.pyplot as plt

    from analysis.report import figures

    if simplify:
        zones = zones.assign(geometry=zones.geometry.simplify(simplify))
        outlines = outlines.assign(geometry=outlines.geometry.simplify(simplify))

    fig, ax = plt.subplots(figsize=figsize)
    figures.plot_geo(zones, ax, column=zones[column].clip(-cap, cap), cmap="RdBu", vmin=-cap, vmax=cap, edgecolor="white",
                     linewidth=0.2, legend=True, missing_kwds={"color": "lightgrey"},
                     legend_kwds={"shrink": 0.6, "label": legend_label})
    figures.format_axis(fig.axes[-1], "y", 0, percent=True)
    figures.plot_geo(outlines.boundary, ax, color="black", linewidth=0.35)
    ax.set_axis_off()
    ax.set_title(title, fontsize=9)
    if note:
        import textwrap

        fig.text(0.02, 0.045, textwrap.fill(note, 110), fontsize=7, style="italic", ha="left", va="bottom")
    return fig


def plot_growth_bars(table: pd.DataFrame, columns: Mapping[str, str], *, highlight: Mapping[str, str],
                     suptitle: str, tick_step: float = 0.10, figsize: tuple[float, float] | None = None):
    """Horizontal bars of growth rates, one panel per column of ``table`` (values in %, rows = areas).

    ``columns``: column -> panel title; ``highlight``: row label -> colour (e.g. the aggregate
    rows), the others in the first palette colour; a dashed line marks the row ``'Reste de la
    France'`` if present. Ticks every ``tick_step`` (fraction; 10 points by default) so that
    percent labels never run together. Returns the Figure.
    """
    import matplotlib.pyplot as plt
    from matplotlib.ticker import MultipleLocator

    from analysis.report import figures

    fig, axes = plt.subplots(1, len(columns), figsize=figsize or (figures.TWO_COLUMNS[0], 5.2), sharey=True,
                             squeeze=False)
    axes = axes[0]
    order = table.index[::-1]
    for ax, (col, title) in zip(axes, columns.items()):
        vals = table.loc[order, col] / 100
        colors = [highlight.get(n, figures.PALETTE[0]) for n in order]
        _ = ax.barh(range(len(order)), vals, color=colors)
        _ = ax.axvline(0, color="black", lw=0.6)
        if "Reste de la France" in table.index:
            _ = ax.axvline(table.loc["Reste de la France", col] / 100, color=figures.PALETTE[3], lw=0.8, ls="--")
        # wrapped to its own panel: a left-aligned title wider than its panel ran into the next one
        _ = ax.set_title(textwrap.fill(title, 26), fontsize=9)
        figures.format_axis(ax, "x", 0, percent=True)
        ax.xaxis.set_major_locator(MultipleLocator(tick_step))
        ax.tick_params(axis="x", labelsize=7)
    _ = axes[0].set_yticks(range(len(order)))
    _ = axes[0].set_yticklabels([figures.translate(str(n)) for n in order], fontsize=7)
    figures.figure_title(fig, suptitle)
    return fig
