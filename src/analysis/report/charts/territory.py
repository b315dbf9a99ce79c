"""Figures for the pôle membership, EU ETS emitters, long-run industry and localised unemployment.

Drawing only: every function takes tables computed by :mod:`analysis.methods.pole`,
:mod:`analysis.methods.emitters`, :mod:`analysis.methods.longrun` and :mod:`analysis.methods.unemployment` and returns a
matplotlib figure (labels in French by default, through :func:`analysis.report.figures.tr`).
"""

from __future__ import annotations

import textwrap

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.ticker import MaxNLocator
import pandas as pd

from analysis.report import figures

#: Longitude / latitude box of metropolitan France.
METRO_BOUNDS = (-5.3, 41.2, 9.7, 51.2)


def _size(t: pd.Series, scale: float = 220.0, ref: float | None = None) -> np.ndarray:
    ref = ref or float(t.max())
    return scale * np.sqrt(t.to_numpy(dtype=float) / ref)


_SMALL_WORDS = {"de", "du", "des", "la", "le", "les", "et", "sur", "en", "au", "aux", "à", "d", "l", "sous"}


def display_name(name: str) -> str:
    """A register name in title case for print: ``"TE - SAINT AVOLD KERNAMAN"`` -> ``"TE - Saint Avold Kernaman"``
    (short all-capital words such as TE, SA, EDF stay capitals; French particles stay lower case)."""
    words = []
    for i, word in enumerate(str(name).split(" ")):
        if word.isupper() and len(word) <= 3 and word.lower() not in _SMALL_WORDS and word.isalpha():
            words.append(word)
        elif i and word.lower() in _SMALL_WORDS:
            words.append(word.lower())
        else:
            words.append("-".join(part[:1].upper() + part[1:].lower() for part in word.split("-")))
    return " ".join(words)


def top_emitters(top: pd.DataFrame, shares: pd.DataFrame, regions, *, n_bars: int = 20, title: str = ""):
    """Three panels: the map of the top sites (circle area ~ emissions), the ``n_bars`` largest as bars,
    and the share of the top list in all French stationary ETS emissions by year (``shares``:
    :func:`analysis.methods.emitters.top_share_by_year`)."""
    fig = plt.figure(figsize=(6.4, 8.0), layout="constrained")
    gs = fig.add_gridspec(2, 2, height_ratios=[1.5, 1], width_ratios=[1.15, 1])
    ax_map = fig.add_subplot(gs[0, 0])
    figures.plot_geo(regions.boundary, ax_map, color="#888888", linewidth=0.4)
    colours = {k: figures.PALETTE[i % len(figures.PALETTE)] for i, k in enumerate(sorted(top["kind"].unique()))}
    ref = float(top["emissions_t"].max())
    for k, g in top.groupby("kind"):
        g = g.sort_values("emissions_t", ascending=False)  # small circles drawn over large ones (Dunkerque, Fos)
        ax_map.scatter(g["lon"], g["lat"], s=_size(g["emissions_t"], ref=ref), color=colours[k],
                       alpha=0.55, edgecolor="black", linewidth=0.4, label=figures.translate(k), zorder=3)
    # size key: the area of a circle for round amounts of emissions
    from matplotlib.lines import Line2D

    keys = [v for v in (1, 5, 10) if v * 1e6 <= ref * 1.05] or [round(ref / 1e6, 1)]
    size_handles = [Line2D([], [], linestyle="none", marker="o", markerfacecolor="none", markeredgecolor="black",
                           markersize=float(np.sqrt(_size(pd.Series([v * 1e6]), ref=ref)[0])),
                           label=figures.tr(f"{figures.fr_number(v)} Mt CO₂e", f"{v:g} Mt CO₂e")) for v in keys]
    xmin, ymin, xmax, ymax = METRO_BOUNDS
    ax_map.set_xlim(xmin, xmax)
    ax_map.set_ylim(ymin, ymax)
    ax_map.set_aspect(1 / 0.68, adjustable="datalim")
    # the data limits give way to the aspect at each draw: let them (matplotlib otherwise warns, once per draw)
    ax_map.set_autoscale_on(True)
    ax_map.set_axis_off()
    kinds = ax_map.legend(loc="lower left", fontsize=7, ncol=1, markerscale=0.4, frameon=True, framealpha=0.8)
    ax_map.add_artist(kinds)
    ax_map.legend(handles=size_handles, loc="upper left", fontsize=7, frameon=True, framealpha=0.8,
                  labelspacing=1.2, borderpad=0.8)
    xmin, ymin, xmax, ymax = METRO_BOUNDS
    n_in = int((top["lon"].between(xmin, xmax) & top["lat"].between(ymin, ymax)).sum())
    ax_map.set_title(figures.tr(f"{n_in} des {len(top)} sites en métropole (surface ∝ émissions)",
                                f"{n_in} of the {len(top)} sites in metropolitan France (area ∝ emissions)"), fontsize=8)
    ax_bar = fig.add_subplot(gs[0, 1])
    b = top.head(n_bars).iloc[::-1]
    labels = [textwrap.shorten(display_name(n), 32, placeholder="…") for n in b["name"]]
    ax_bar.barh(labels, b["emissions_t"] / 1e6, color=[colours[k] for k in b["kind"]])
    ax_bar.tick_params(axis="y", labelsize=7)
    ax_bar.set_xlabel(figures.tr("Mt CO₂e vérifiées", "Verified Mt CO₂e"), fontsize=8)
    ax_bar.set_title(figures.tr(f"Les {n_bars} premiers", f"The first {n_bars}"), fontsize=8)
    ax_sh = fig.add_subplot(gs[1, :])
    for col, lab, c in (("share", figures.tr(f"{len(top)} premiers de chaque année", f"top {len(top)} of each year"),
                         figures.PALETTE[0]),
                        ("share_fixed", figures.tr(f"liste de {int(shares.attrs.get('fixed_year', 0))} suivie",
                                                   f"list of {int(shares.attrs.get('fixed_year', 0))} followed"),
                         figures.PALETTE[1])):
        if col in shares:
            ax_sh.plot(shares["year"], 100 * shares[col], marker="o", markersize=3, color=c, label=lab)
    ax_sh.set_ylim(0, 100)
    ax_sh.xaxis.set_major_locator(MaxNLocator(integer=True))
    ax_sh.set_ylabel(figures.tr("% des émissions SEQE fixes", "% of stationary ETS emissions"), fontsize=8)
    ax_sh.legend(fontsize=7, loc="lower left")
    ax2 = ax_sh.twinx()
    ax2.bar(shares["year"], shares["total_t"] / 1e6, color="#cccccc", alpha=0.5, zorder=0, width=0.6)
    ax2.set_ylabel(figures.tr("Total, Mt CO₂e (barres)", "Total, Mt CO₂e (bars)"), fontsize=8)
    ax2.grid(False)  # one grid per panel: the share's
    ax_sh.set_zorder(ax2.get_zorder() + 1)
    ax_sh.patch.set_visible(False)
    ax_sh.set_title(figures.tr("Part des plus gros sites dans les émissions vérifiées françaises (hors aviation)",
                               "Share of the largest sites in French verified emissions (aviation excluded)"), fontsize=8)
    if title:
        figures.figure_title(fig, title, 90)
    return fig


def long_run(ggdc: pd.DataFrame, recent: pd.DataFrame, spliced: pd.DataFrame, dec: dict, *, title: str = ""):
    """Industrial employment 1950-2023: GGDC persons engaged (thousands), the ESTEL salaried series as
    published and rescaled on the overlap, peak and trough marked."""
    fig, ax = plt.subplots(figsize=figures.TWO_COLUMNS)
    ax.plot(ggdc["year"], ggdc["industry"], color=figures.PALETTE[0], lw=1.8,
            label=figures.tr("GGDC : personnes occupées, industrie B-E", "GGDC: persons engaged, industry B-E"))
    ax.plot(recent["year"], recent["industry"], color=figures.PALETTE[1], lw=1.2, ls="--",
            label=figures.tr("Insee ESTEL : emplois salariés au 31/12, France métropolitaine",
                             "INSEE ESTEL: salaried jobs at 31 Dec, metropolitan France"))
    after = spliced[spliced["source"] != "long"]
    ax.plot(after["year"], after["value"], color=figures.PALETTE[0], lw=1.8, ls=":",
            label=figures.tr(f"ESTEL ramené au niveau GGDC (rapport moyen {spliced.attrs['ratio']:.3f})".replace(".", ","),
                             f"ESTEL rescaled to GGDC (mean ratio {spliced.attrs['ratio']:.3f})"))
    lo, hi = int(recent["year"].min()), int(ggdc["year"].max())
    ax.axvspan(lo, hi, color="#eeeeee", zorder=0)
    ax.text((lo + hi) / 2, 1000, figures.tr("chevauchement", "overlap"),
            ha="center", fontsize=7, color="#555555")
    ax.annotate(figures.tr(f"pic {dec['peak_year']}", f"peak {dec['peak_year']}"), (dec["peak_year"], dec["peak"]),
                xytext=(0, 8), textcoords="offset points", ha="center", fontsize=8)
    ax.annotate(figures.tr(f"creux {dec['trough_year']}", f"trough {dec['trough_year']}"), (dec["trough_year"], dec["trough"]),
                xytext=(0, -14), textcoords="offset points", ha="center", fontsize=8)
    ax.set_ylim(0, 6500)
    ax.set_xlim(1948, 2025)
    figures.format_axis(ax, "y")
    ax.set_ylabel(figures.tr("milliers", "thousands"))
    ax.legend(fontsize=7, loc="lower left")
    if title:
        ax.set_title(textwrap.fill(title, 80), fontsize=9)
    return fig


def unemployment_editions(old: pd.DataFrame, new: pd.DataFrame, national: pd.DataFrame | None = None, *,
                          marks: dict | None = None, title: str = ""):
    """Quarterly rate of one zone (``year``, ``q``, ``rate_pct``) in two editions, optional national
    series of the later edition, and marked quarters (label -> (quarter index as year + (q-1)/4, value))."""
    fig, ax = plt.subplots(figsize=figures.TWO_COLUMNS)
    t = lambda d: d["year"] + (d["q"] - 1) / 4  # noqa: E731
    ax.plot(t(old), old["rate_pct"], color=figures.PALETTE[0], lw=1.5,
            label=figures.tr("édition début 2024 (jusqu'au T3 2023)", "early-2024 edition (to 2023-Q3)"))
    ax.plot(t(new), new["rate_pct"], color=figures.PALETTE[3], lw=1.5, ls="--",
            label=figures.tr("édition suivante (jusqu'au T4 2025)", "later edition (to 2025-Q4)"))
    if national is not None:
        ax.plot(t(national), national["rate_pct"], color="#777777", lw=1, ls=":",
                label=figures.tr("France (édition 2026)", "France (2026 edition)"))
    for label, (x, y) in (marks or {}).items():
        ax.scatter([x], [y], color="black", zorder=5, s=18)
        # above the lines, on a white ground, tied to its point: never written over a line
        ax.annotate(label, (x, y), xytext=(6, 16), textcoords="offset points", fontsize=7,
                    bbox=dict(boxstyle="round,pad=0.2", facecolor="white", edgecolor="none", alpha=0.9),
                    arrowprops=dict(arrowstyle="-", color="black", linewidth=0.5), zorder=6)
    figures.format_axis(ax, "y", decimals=1)
    ax.set_ylabel(figures.tr("taux de chômage, %, CVS", "unemployment rate, %, s.a."))
    ax.legend(fontsize=7)
    if title:
        ax.set_title(textwrap.fill(title, 80), fontsize=9)
    return fig


def pole_map(epci_shapes, comparison: pd.DataFrame, communes_earlier=None, sites: pd.DataFrame | None = None,
             *, title: str = "", year: int = 2022):
    """EPCIs of a groupement coloured by their membership at two dates (``comparison``:
    :func:`analysis.methods.pole.compare_dates`), the earlier member communes outlined (``communes_earlier``:
    a GeoDataFrame), and EU ETS sites of ``year`` (circles ∝ emissions)."""
    status = comparison.assign(cat=np.where(~comparison["later"], "left",
                                            np.where(comparison["change"] == "joined", "joined",
                                                     np.where(comparison["change"] == "completed", "completed", "both"))))
    labels = {"both": figures.tr("membre en 2021 et en 2026", "member in 2021 and 2026"),
              "completed": figures.tr("en partie en 2021, entière en 2026", "in part in 2021, whole in 2026"),
              "joined": figures.tr("entrée entre 2021 et 2026", "joined between 2021 and 2026"),
              "left": figures.tr("sortie entre 2021 et 2026", "left between 2021 and 2026")}
    colours = {"both": figures.PALETTE[0], "completed": figures.PALETTE[5], "joined": figures.PALETTE[1], "left": "#bbbbbb"}
    shp = epci_shapes.merge(status[["epci", "epci_name", "cat"]], on="epci", how="inner")
    fig, ax = plt.subplots(figsize=(6.4, 7.0), layout="constrained")
    handles, names = [], []
    for cat in ["both", "completed", "joined", "left"]:
        part = shp[shp["cat"] == cat]
        if len(part):
            figures.plot_geo(part, ax, color=colours[cat], edgecolor="white", linewidth=0.6, alpha=0.75)
            handles.append(plt.Rectangle((0, 0), 1, 1, color=colours[cat], alpha=0.75))
            names.append(labels[cat])
    if communes_earlier is not None and len(communes_earlier):
        figures.plot_geo(communes_earlier.dissolve().boundary, ax, color="#222222", linewidth=1.0, linestyle=(0, (3, 2)))
        handles.append(plt.Line2D([], [], color="#222222", linestyle=(0, (3, 2))))
        names.append(figures.tr("contour des communes membres au 1er avril 2021", "outline of member communes, 1 April 2021"))
    for r in shp.itertuples():
        p = r.geometry.representative_point()
        ax.annotate(textwrap.fill(str(r.epci_name).replace("CC ", "").replace("CA ", ""), 18), (p.x, p.y), ha="center",
                    va="center", fontsize=7, color="#111111")
    if sites is not None and len(sites):
        ax.scatter(sites["lon"], sites["lat"], s=_size(sites["emissions_t"], 160), facecolor="none", edgecolor="#D55E00",
                   linewidth=1.0, zorder=5)
        handles.append(plt.Line2D([], [], marker="o", color="#D55E00", markerfacecolor="none", linestyle=""))
        names.append(figures.tr(f"sites SEQE-UE, émissions {year} (surface ∝)", f"EU ETS sites, {year} emissions (area ∝)"))
    xmin, ymin, xmax, ymax = shp.total_bounds
    ax.set_xlim(xmin - 0.05, xmax + 0.05)
    ax.set_ylim(ymin - 0.05, ymax + 0.05)
    ax.set_aspect(1 / 0.7)
    ax.set_axis_off()
    ax.legend(handles, names, loc="upper center", bbox_to_anchor=(0.5, 0.0), ncol=1, fontsize=7, frameon=False)
    if title:  # across the figure, not over the (narrow) map
        figures.figure_title(fig, title)
    return fig


def area_emissions_trend(trend: pd.DataFrame, by_site: pd.DataFrame, *, n_named: int = 5, title: str = ""):
    """Stacked verified emissions of a territory's ETS sites by year (``by_site``: ``year``, ``name``,
    ``emissions_t``), the ``n_named`` largest of the last year named, the others grouped."""
    last = int(by_site["year"].max())
    order = by_site[by_site["year"] == last].sort_values("emissions_t", ascending=False)["name"].tolist()
    named = order[:n_named]
    other = figures.tr("autres sites", "other sites")
    d = by_site.assign(group=np.where(by_site["name"].isin(named), by_site["name"], other))
    w = d.pivot_table(index="year", columns="group", values="emissions_t", aggfunc="sum").fillna(0.0)
    # a year with no report is a gap, never a line drawn through it (nor a zero)
    w = w.reindex(range(int(w.index.min()), last + 1))
    trend = trend.set_index("year").reindex(w.index).rename_axis("year").reset_index()
    cols = [c for c in named if c in w] + ([other] if other in w else [])
    fig, ax = plt.subplots(figsize=figures.TWO_COLUMNS)
    ax.stackplot(w.index, (w[cols] / 1e3).T.to_numpy(),
                 labels=[c if c == other else textwrap.shorten(display_name(c), 40) for c in cols],
                 colors=figures.PALETTE[: len(cols)], alpha=0.85)
    ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    ax.set_ylim(0, 1.4 * float((w[cols].sum(axis=1) / 1e3).max()))
    ax2 = ax.twinx()
    ax2.plot(trend["year"], trend["n_sites"], color="black", lw=1, ls=":", marker=".")
    ax2.set_ylabel(figures.tr("nombre de sites déclarants (pointillés)", "reporting sites (dotted)"), fontsize=8)
    ax2.set_ylim(0, max(trend["n_sites"].max() * 1.3, 1))
    ax2.grid(False)
    figures.format_axis(ax, "y")
    ax.set_ylabel(figures.tr("kt CO₂e vérifiées", "verified kt CO₂e"))
    ax.legend(fontsize=7, loc="upper right", ncol=2)
    if title:
        ax.set_title(textwrap.fill(title, 80), fontsize=9)
    return fig
