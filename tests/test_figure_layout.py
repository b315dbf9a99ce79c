"""Layout of the figures drawn by the plotting functions of claims and energy: no two tick labels of an
axis overlap (rendered text extents, analysis.report.figures.overlapping_tick_labels), in French and English;
the scoreboard rows are display names, the RTE mix codes are explained and both panels have a legend,
the biomethane map has a size key. Uses the real data (warm cache; ANALYSIS_DATA_MIRROR)."""

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import pandas as pd  # noqa: E402
import pytest  # noqa: E402

from analysis.report import claims, figures  # noqa: E402
from analysis.report import charts
from analysis.methods import energy

ROOT = __import__("pathlib").Path(__file__).resolve().parents[1]


def test_overlap_helper_finds_crowded_ticks():
    fig, ax = plt.subplots(figsize=(1.5, 1))
    ax.set_xticks(range(8), [f"−{25 - i} %" for i in range(8)])
    assert figures.overlapping_tick_labels(fig), "eight wide labels on 1.5 inches must collide"
    fig2, ax2 = plt.subplots(figsize=(6, 2))
    ax2.set_xticks(range(4), ["a", "b", "c", "d"])
    assert figures.overlapping_tick_labels(fig2) == []
    plt.close("all")


def test_translate_data_labels():
    assert figures.translate("Reste de la France", "en") == "Rest of France"
    assert figures.translate("Reste de la France", "fr") == "Reste de la France"
    assert figures.translate("Fabrication d'équipements électriques", "en") == "Electrical equipment"
    assert figures.translate("label never seen", "en") == "label never seen"
    assert figures.theme_label("territorial_dynamics", "fr") == "Dynamiques territoriales"
    assert figures.theme_label("new_theme", "fr") == "New theme"


@pytest.fixture(scope="module")
def board():
    b = claims.scoreboard(results_csv=ROOT / "results" / "claims_results.csv")
    return b.merge(claims.load_claims()[["id", "theme"]], on="id")


@pytest.mark.parametrize("language", ["fr", "en"])
def test_scoreboard_figure(board, language, monkeypatch):
    monkeypatch.setenv("ANALYSIS_FIG_LANG", language)
    figures.use_style()
    fig = claims.plot_status_by_theme(board)
    ax = fig.axes[0]
    rows = [t.get_text() for t in ax.get_yticklabels()]
    assert not any("_" in r for r in rows), rows
    assert rows[-1] == figures.theme_label(board["theme"].value_counts().index[0]), "largest theme at the top"
    assert figures.overlapping_tick_labels(fig) == []
    fig.canvas.draw()
    legend = ax.get_legend().get_window_extent()
    bars = [p.get_window_extent() for p in ax.patches if p.get_width() > 0]
    assert all(legend.y0 >= b.y1 - 1 for b in bars), "the legend sits above every bar"
    plt.close(fig)


@pytest.fixture(scope="module")
def rte():
    from analysis.data.loaders import energy as energy_data

    balances = energy_data.load_rte_balances()
    demand = balances[balances["variable"].isin(["Consommation France", "Demande totale"]) & (balances["section"] == "demande")]
    return balances, energy.consumption_change(demand, 2019, 2050, by=["variable", "path", "mix"]), energy_data.RTE_MIXES


@pytest.mark.parametrize("language", ["fr", "en"])
def test_rte_paths_figure(rte, language, monkeypatch):
    monkeypatch.setenv("ANALYSIS_FIG_LANG", language)
    figures.use_style()
    fig = charts.plot_rte_paths(*rte)
    assert figures.overlapping_tick_labels(fig) == []
    left, right = fig.axes
    assert right.get_legend() is not None and left.get_legend() is not None
    assert "N03" in right.get_xlabel() and "M0" in right.get_xlabel()
    fig.canvas.draw()
    legend = right.get_legend().get_window_extent()
    for bar in right.patches:
        assert not legend.overlaps(bar.get_window_extent()), "the legend must not cover a bar"
    texts = [t.get_text() for t in right.get_legend().get_texts()]
    assert len(texts) == 4 and (("Sobriety" in texts) if language == "en" else ("Sobriété" in texts))
    plt.close(fig)


def test_biomethane_figures(monkeypatch):
    from analysis.data.loaders import energy as energy_data
    from analysis.data.loaders import geo

    figures.use_style()
    P = energy.read_parameters()
    points = energy_data.load_biomethane_injection_points()
    aura = points[points["reg"] == energy.param_text(P, "aura_region_code")].reset_index(drop=True)
    auvergne = energy.param_list(P, "auvergne_departements")
    ref = pd.Timestamp(energy.param_text(P, "seed_000_reference_date"))
    deps = geo.load_departement_shapes()
    fig = charts.plot_biomethane_map(deps[deps["dep"].isin(sorted(aura["dep"].unique()))], aura,
                                     energy.in_service(aura, ref), auvergne, "30/06/2025")
    ax = fig.axes[0]
    key = next(a for a in ax.artists if a.get_gid() == "size-key")
    assert [t.get_text() for t in key.get_texts()] == ["5 GWh/an", "15 GWh/an", "40 GWh/an"]
    assert ax.get_legend().get_texts()[0].get_text().endswith("30/06/2025")
    codes = [t for t in ax.texts if t.get_text() == "63"]
    assert codes and codes[0].get_zorder() > max(c.get_zorder() for c in ax.collections)
    plt.close(fig)
    service = energy.sites_in_service(aura, energy.year_ends(2015, 2025), aura["dep"].isin(auvergne))
    fig = charts.plot_biomethane_sites(service, 70)
    assert figures.overlapping_tick_labels(fig) == []
    plt.close(fig)


def test_industry_electricity_figure():
    from analysis.data.loaders import energy as energy_data

    figures.use_style()
    series = energy.industry_electricity(energy_data.load_eurostat_energy_balance(), range(1990, 2024))
    mult = energy.industry_multipliers(series.loc[2019], {"référence": 65.0})
    fig = charts.plot_industry_electricity(series, mult, series.loc[2019])
    assert figures.overlapping_tick_labels(fig) == []
    plt.close(fig)
