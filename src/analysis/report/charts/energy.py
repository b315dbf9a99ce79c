"""Charts of the energy transition (RTE paths, industry electricity, biomethane sites and map).

Drawing only: each function takes what :mod:`analysis.methods.energy` computed and returns a matplotlib
figure (labels in French by default, through :func:`analysis.report.figures.tr`).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from matplotlib.figure import Figure
from matplotlib.lines import Line2D

from analysis.report import figures
from analysis.methods.energy import BASIS_BOUND, RTE_NATIONAL

#: French display names of the RTE consumption paths.
PATH_LABELS_FR = {"référence": "Référence", "sobriété": "Sobriété",
                  "réindustrialisation profonde": "Réindustrialisation profonde"}


def plot_rte_paths(balances: pd.DataFrame, paths_table: pd.DataFrame, mixes: Sequence[str],
                   path_labels: Mapping[str, str] = PATH_LABELS_FR) -> Figure:
    """Two panels: RTE « Consommation France » by path and year (TWh/yr, mix M0: the line does not
    depend on the mix) and 2050 « Demande totale » by mix and path, with the 2019 level.

    ``balances`` is the RTE annex table; ``paths_table`` is :func:`consumption_change`'s output
    on the ``Consommation France`` and ``Demande totale`` lines (columns ``variable, path, mix,
    2019, 2050``). Both panels carry the path legend; the x label says what the mix codes mean
    (M0, M1, M23: no new nuclear reactors; N1, N2, N03: with new reactors). Returns the figure.
    """
    conso = balances[(balances["variable"] == RTE_NATIONAL) & (balances["mix"] == "M0")]
    demand = paths_table[paths_table["variable"] == "Demande totale"]
    total_2050 = demand.pivot(index="mix", columns="path", values="2050").loc[list(mixes), list(path_labels)]
    total_2019 = float(demand["2019"].iloc[0])
    labels = {p: figures.translate(label) for p, label in path_labels.items()}
    fig, (ax1, ax2) = plt.subplots(1, 2, figsize=figures.TWO_COLUMNS, gridspec_kw={"width_ratios": [1, 1.4]})
    for i, p in enumerate(path_labels):
        s = conso[conso["path"] == p].sort_values("year")
        ax1.plot(s["year"].astype(int), s["value"], marker="o", color=figures.PALETTE[i], label=labels[p])
    ax1.set_title(figures.tr("Consommation France d'électricité", "French electricity consumption"))
    ax1.set_ylabel(figures.tr("TWh/an", "TWh/yr"))
    ax1.set_ylim(0, None)
    figures.format_axis(ax1, "y")
    ax1.legend(fontsize=7, loc="lower right", title=figures.tr("Trajectoire", "Path"), title_fontsize=7)
    width, x = 0.27, np.arange(len(total_2050))
    for i, p in enumerate(path_labels):
        ax2.bar(x + (i - 1) * width, total_2050[p], width=width, color=figures.PALETTE[i], label=labels[p])
    ax2.axhline(total_2019, color="#555555", lw=1, ls="--",
                label=figures.tr("Demande totale 2019", "Total demand 2019"))
    ax2.set_ylim(0, float(total_2050.to_numpy().max()) * 1.32)  # room for the legend above the bars
    ax2.set_xticks(list(x), total_2050.index)
    ax2.set_xlabel(figures.tr("Mix de production (M0, M1, M23 : sans nouveau nucléaire ;\nN1, N2, N03 : avec nouveaux réacteurs)",
                              "Production mix (M0, M1, M23: no new nuclear;\nN1, N2, N03: with new reactors)"), fontsize=7)
    ax2.set_title(figures.tr("Demande totale d'électricité en 2050, par mix", "Total electricity demand in 2050, by mix"))
    ax2.set_ylabel(figures.tr("TWh/an", "TWh/yr"))
    figures.format_axis(ax2, "y")
    ax2.legend(fontsize=7, loc="upper center", ncol=2, columnspacing=1.0, handlelength=1.5)
    ax2.grid(axis="x", visible=False)
    return fig


def plot_industry_electricity(series: pd.Series, multipliers: pd.DataFrame, baseline_twh: float, *,
                              base_year: int = 2019) -> Figure:
    """Industry's observed electricity consumption (Eurostat, TWh/yr by year) and the 2050 level of
    each path of :func:`industry_multipliers` (circles: RTE-based; triangles: project upper
    bounds, labelled as such), with the 2 x ``baseline_twh`` line (the consumption of ``base_year``).
    Returns the figure."""
    fig, ax = plt.subplots(figsize=figures.TWO_COLUMNS)
    ax.plot(series.index, series.values, color=figures.PALETTE[0],
            label=figures.tr("Industrie, observé (Eurostat)", "Industry, observed (Eurostat)"))
    labels = {"référence": figures.tr("Référence RTE", "RTE reference"),
              "référence + électrolyse industrielle": figures.tr("Référence RTE + électrolyse industrielle",
                                                                 "RTE reference + industrial electrolysis"),
              "sobriété (borne haute)": figures.tr("Sobriété (borne haute du projet, pas RTE)",
                                                   "Sobriety (the project's upper bound, not RTE's)"),
              "réindustrialisation profonde (borne haute)": figures.tr(
                  "Réindustrialisation (borne haute du projet, pas RTE)",
                  "Re-industrialisation (the project's upper bound, not RTE's)")}
    for i, r in enumerate(multipliers.itertuples()):
        bound = getattr(r, "basis", "") == BASIS_BOUND or "borne" in r.path
        ax.scatter([2048.5 + i], [r.electricity_2050_twh], color=figures.PALETTE[i + 1], zorder=3,
                   marker="^" if bound else "o",
                   label=figures.tr("2050 : ", "2050: ") + f"{labels.get(r.path, figures.translate(r.path))} "
                         f"(× {figures.fr_number(r.multiplier, 2)})")
    ax.axhline(2 * baseline_twh, color="#555555", ls="--", lw=1)
    ax.text(series.index.min() + 1, 2 * baseline_twh + 4, figures.tr(f"2 × consommation {base_year}",
                                                                       f"2 × {base_year} consumption"),
            fontsize=7, color="#555555")
    ax.set_ylabel(figures.tr("TWh/an", "TWh/yr"))
    ax.set_ylim(0, None)
    ax.set_title(figures.tr("Consommation d'électricité de l'industrie : observée et 2050 selon RTE",
                            "Industry electricity consumption: observed and 2050 per RTE"))
    figures.format_axis(ax, "y")
    ax.legend(fontsize=7, loc="lower left")
    return fig


def plot_biomethane_sites(service: pd.DataFrame, cited_sites: float, min_sites_for_share: int = 10) -> Figure:
    """Two panels from :func:`sites_in_service` at year ends (``date`` as 'YYYY-12-31' text or
    timestamps): sites in service in the subset (Auvergne) and the rest of the région, with the
    cited count; the subset's share of sites and of capacity (years with at least
    ``min_sites_for_share`` sites), with the one-third line. Returns the figure."""
    d = service.assign(date=pd.to_datetime(service["date"]))
    d = d[(d["date"].dt.month == 12) & (d["date"].dt.day == 31)].assign(year=lambda t: t["date"].dt.year)
    fig, (ax1, ax2) = plt.subplots(1, 2, figsize=figures.TWO_COLUMNS)
    ax1.bar(d["year"], d["sites_subset"], color=figures.PALETTE[1], label="Auvergne (03, 15, 43, 63)")
    ax1.bar(d["year"], d["sites"] - d["sites_subset"], bottom=d["sites_subset"], color=figures.PALETTE[0],
            label=figures.tr("Reste de la région", "Rest of the région"))
    ax1.axhline(cited_sites, color="#555555", ls="--", lw=1)
    ax1.text(d["year"].min() - 0.4, cited_sites + 1.5, figures.tr("nombre cité", "cited count"), fontsize=7,
             color="#555555")
    ax1.set_ylim(0, cited_sites * 1.2)
    ax1.set_title(figures.tr("Sites d'injection en service\nau 31 décembre", "Injection sites in service,\n31 December"))
    ax1.legend(fontsize=7, loc="center left")
    figures.format_axis(ax1, "y")
    s = d[d["sites"] >= min_sites_for_share]
    ax2.plot(s["year"], s["share_sites_subset"], marker="o", color=figures.PALETTE[1],
             label=figures.tr("part des sites", "share of sites"))
    ax2.plot(s["year"], s["share_capacity_subset"], marker="s", color=figures.PALETTE[2],
             label=figures.tr("part des capacités", "share of capacity"))
    ax2.axhline(1 / 3, color="#555555", ls="--", lw=1)
    ax2.text(s["year"].min(), 1 / 3 + 0.02, figures.tr("un tiers", "one third"), fontsize=7, color="#555555")
    ax2.set_ylim(0, 0.5)
    ax2.set_title(figures.tr(f"Part de l'Auvergne\n(années à {min_sites_for_share} sites ou plus)",
                             f"Auvergne's share\n(years with {min_sites_for_share}+ sites)"))
    figures.format_axis(ax2, "y", percent=True)
    ax2.legend(fontsize=7, loc="upper left")
    return fig


def plot_biomethane_map(departements, points: pd.DataFrame, in_service_mask: pd.Series, highlight: Iterable[str],
                        date_label: str, size_key_gwh: Sequence[float] = (5, 15, 40)) -> Figure:
    """Map of injection sites (``points``: ``lon``, ``lat`` in WGS84, ``capacity_gwh_per_year``)
    over ``departements`` (GeoDataFrame with ``dep`` and geometry; ``highlight`` départements
    shaded), sites in service on the date ``date_label`` (``in_service_mask``) in blue, the
    others (commissioned later) in pink; marker area grows with capacity (GWh/yr), with a size key
    for ``size_key_gwh``. Département codes are drawn above the markers, with a white halo.
    Lambert-93. Returns the figure."""
    import geopandas as gpd
    from matplotlib import patheffects

    highlight = list(highlight)
    deps = departements.to_crs(2154)
    sites = gpd.GeoDataFrame(points.assign(_in=in_service_mask.to_numpy()),
                             geometry=gpd.points_from_xy(points["lon"], points["lat"]), crs="EPSG:4326").to_crs(2154)
    size = lambda gwh: 4 + np.asarray(gwh, dtype=float) * 1.5  # noqa: E731 - marker area, points^2
    fig, ax = plt.subplots(figsize=(5.5, 5.2))
    figures.plot_geo(deps[~deps["dep"].isin(highlight)], ax, color="#EEEEEE", edgecolor="#999999", lw=0.5)
    figures.plot_geo(deps[deps["dep"].isin(highlight)], ax, color="#FBE3B8", edgecolor="#999999", lw=0.5)
    for s, label, colour in [(sites[sites["_in"]], figures.tr(f"en service au {date_label}", f"in service on {date_label}"),
                              figures.PALETTE[0]),
                             (sites[~sites["_in"]], figures.tr("mis en service après", "commissioned later"),
                              figures.PALETTE[4])]:
        ax.scatter(s.geometry.x, s.geometry.y, s=size(s["capacity_gwh_per_year"].fillna(0)), color=colour,
                   alpha=0.75, edgecolor="white", lw=0.4, label=label, zorder=2)
    halo = [patheffects.withStroke(linewidth=2.5, foreground="white")]
    for r in deps.itertuples():
        p = r.geometry.representative_point()
        ax.text(p.x, p.y, r.dep, fontsize=7, ha="center", va="center", color="#222222", zorder=4,
                fontweight="bold", path_effects=halo)
    ax.set_axis_off()
    ax.set_title(figures.tr("Sites d'injection de biométhane en Auvergne-Rhône-Alpes\n"
                            "(Auvergne en orange)",
                            "Biomethane injection sites in Auvergne-Rhône-Alpes\n"
                            "(Auvergne in orange)"), fontsize=9)
    # size key: handles drawn with the scatter's area (markersize is a diameter in points)
    keys = [Line2D([], [], ls="", marker="o", markersize=float(np.sqrt(size(g))), markerfacecolor="#BBBBBB",
                   markeredgecolor="#555555", markeredgewidth=0.4, label=f"{figures.fr_number(g)} GWh/{figures.tr('an', 'yr')}")
            for g in size_key_gwh]
    key = ax.legend(handles=keys, fontsize=7, loc="lower right", title=figures.tr("Capacité d'injection", "Injection capacity"),
                    title_fontsize=7, labelspacing=1.2, borderpad=0.8)
    key.set_gid("size-key")
    ax.add_artist(key)
    ax.legend(fontsize=7, loc="lower left", title=figures.tr("Sites", "Sites"), title_fontsize=7)
    return fig
