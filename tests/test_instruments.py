"""Tests of analysis.methods.instruments on small synthetic tables whose answers are known."""

import pandas as pd
import pytest

from analysis.methods import instruments as I
from analysis.report import charts


def _dossiers():
    return pd.DataFrame({
        "dossier_id": ["1", "2", "3", "4", "5", "6"],
        "edition": [1, 1, 1, 2, 2, 2],
        "reg_name": ["A", "A", "B", "B", "B", "A"],
        "laureate": [True, True, False, True, False, pd.NA],
        "industrial_or_mining": [True, False, True, True, False, True],
    }).astype({"laureate": "boolean"})


def test_friches_calls_summary_counts_dossiers():
    out = I.friches_calls_summary(_dossiers()).set_index("edition")
    assert out.loc[1, "candidates"] == 3 and out.loc[1, "laureates"] == 2
    assert out.loc[1, "industrial_candidates"] == 2 and out.loc[1, "industrial_laureates"] == 1
    assert out.loc[1, "industrial_share_of_laureates"] == pytest.approx(0.5)
    # a missing laureate flag counts as not laureate
    assert out.loc[2, "laureates"] == 1 and out.loc[2, "laureate_rate"] == pytest.approx(1 / 3)
    assert out.loc[2, "industrial_laureates"] == 1


def test_friches_calls_summary_by_region():
    out = I.friches_calls_summary(_dossiers(), by=["reg_name"]).set_index("reg_name")
    assert out.loc["A", "candidates"] == 3 and out.loc["B", "laureates"] == 1


def _sites():
    return pd.DataFrame({
        "dossier_id": ["1", "1", "2", "3", "4", None],
        "com": ["63001", "63002", "63003", "03001", "03002", "03003"],
        "site_nom": ["a", "b", "c", "d", "e", "f"],
    })


def test_laureate_sites_join_and_filters():
    placed = I.friches_laureate_sites(_sites(), _dossiers())
    assert set(placed["dossier_id"]) == {"1", "2", "4"}  # 3 is not laureate; the site without dossier is dropped
    assert len(placed[placed["dossier_id"] == "1"]) == 2  # one row per commune
    ind = I.friches_laureate_sites(_sites(), _dossiers(), industrial_only=True)
    assert set(ind["dossier_id"]) == {"1", "4"}
    every = I.friches_laureate_sites(_sites(), _dossiers(), laureates_only=False)
    assert set(every["dossier_id"]) == {"1", "2", "3", "4"}


def test_share_in_area_counts_a_dossier_once():
    placed = I.friches_laureate_sites(_sites(), _dossiers())
    out = I.share_in_area(placed, ["63002", "03002"]).set_index("edition")
    # dossier 1 has one of its two communes inside: counted once, inside
    assert out.loc[1, "units"] == 2 and out.loc[1, "inside"] == 1
    assert out.loc[2, "units"] == 1 and out.loc[2, "inside"] == 1
    assert out.loc["all", "units"] == 3 and out.loc["all", "share_inside"] == pytest.approx(2 / 3)


def test_laureates_inside_areas_against_population():
    placed = I.friches_laureate_sites(_sites(), _dossiers())  # dossiers 1 (industrial, 2 communes), 2, 4 (industrial)
    communes = pd.DataFrame({"com": ["63001", "63002", "63003", "03001", "03002", "03003"],
                             "population": [10, 10, 20, 30, 20, 10]})
    out = I.laureates_inside_areas(placed, {"w1": ["63002", "03002"], "w2": ["63003"]}, communes).set_index("wave")
    assert out.loc["w1", "laureates_in_ti"] == pytest.approx(2 / 3)
    assert out.loc["w1", "industrial_laureates_in_ti"] == pytest.approx(1.0) and out.loc["w1", "industrial_n"] == 2
    assert out.loc["w1", "population_share_of_ti"] == pytest.approx(30 / 100)
    assert out.loc["w2", "laureates_in_ti"] == pytest.approx(1 / 3)
    assert out.loc["w2", "industrial_laureates_in_ti"] == pytest.approx(0.0)


def test_site_areas_in_hectares():
    sites = pd.DataFrame({"com": ["03023", "03023", "63001"], "site_nom": ["Friche PALAZOL", "Autre", "Palazol"],
                          "source_r": ["AAP"] * 3, "site_type": ["x"] * 3,
                          "site_surface": [1_250_000.0, 10.0, 5.0], "unite_fonciere_surface": [1_200_000.0, 10.0, 5.0]})
    out = I.site_areas_ha(sites, "03023", "palazol")
    assert len(out) == 1
    assert out["site_ha"].iloc[0] == pytest.approx(125.0) and out["parcel_ha"].iloc[0] == pytest.approx(120.0)


def _metiers():
    rows = []
    for reg, vals in {"84": (10.0, 2.0), "11": (5.0, 4.0), "94": (1.0, 1.0)}.items():
        rows.append(("J1Z", "Manutention", False, reg, "creations_destructions_milliers", vals[0]))
        rows.append(("H0Z", "Ingénieurs", False, reg, "creations_destructions_milliers", vals[1]))
        rows.append(("J1Z", "Manutention", False, reg, "effectifs_2019_milliers", 100.0))
    rows.append(("H0Z;N0Z", "Groupé", True, "94", "creations_destructions_milliers", 50.0))
    return pd.DataFrame(rows, columns=["fap", "fap_name", "fap_grouped", "reg", "variable", "value"])


def test_net_creation_sums_regions_in_jobs_and_ranks():
    out = I.net_creation_by_occupation(_metiers()).set_index("fap")
    assert out.loc["J1Z", "jobs"] == pytest.approx(16_000) and out.loc["J1Z", "rank"] == 1
    assert out.loc["H0Z", "jobs"] == pytest.approx(7_000) and out.loc["H0Z", "n_regions"] == 3
    assert "H0Z;N0Z" not in out.index  # merged Corsican families are left out


def test_net_creation_refuses_shares():
    with pytest.raises(ValueError):
        I.net_creation_by_occupation(_metiers(), variable="creations_destructions_pct")


def test_patent_shares_top_and_list():
    p = pd.DataFrame({"dep": ["75", "75", "92", "63", None, "69"], "n_patents": [50, 10, 20, 10, 5, 5]})
    s = I.patent_shares(p)
    assert s["dep"].iloc[0] == "75" and s["share"].iloc[0] == pytest.approx(0.6)
    assert s["cumulative_share"].iloc[-1] == pytest.approx(1.0)
    assert "(unknown)" in set(s["dep"])
    assert I.top_share(s, 2) == pytest.approx(0.8)  # 60 + 20 of 100, the unknown never counts as a top département
    assert I.top_share(s, 4) == pytest.approx(0.95)
    assert I.share_of(s, ["63", "69"]) == pytest.approx(0.15)


def test_expand_departements():
    communes = pd.DataFrame({"dep": ["75", "92", "95", "59", "62", "67", "63"],
                             "reg": ["11", "11", "11", "32", "32", "44", "84"]})
    out = I.expand_departements(communes, regions=["11"], former_regions=["Alsace"], departements=["63"],
                                exclude=["95"])
    assert out == ["63", "67", "68", "75", "92"]
    with pytest.raises(KeyError):
        I.expand_departements(communes, departements=["99"])
    with pytest.raises(KeyError):
        I.expand_departements(communes, former_regions=["Lorraine"])


def test_published_context_is_labelled():
    epr = I.published_context("ecoles_de_production")
    assert list(epr["year"]) == sorted(epr["year"]) and epr["url"].str.startswith("http").all()
    with pytest.raises(KeyError):
        I.published_context("unknown")


def test_sector_growth_excluding_leaves_sectors_out():
    rows = []
    for year, (tt, oq, be) in {2008: (100.0, 40.0, 20.0), 2017: (110.0, 50.0, 15.0)}.items():
        rows += [("Z1", "TT", year, tt), ("Z1", "OQ", year, oq), ("Z1", "BE", year, be), ("Z2", "TT", year, 1.0)]
    series = pd.DataFrame(rows, columns=["ze2010", "sector", "year", "employment"])
    out = I.sector_growth_excluding(series, "Z1", 2008, 2017).iloc[0]
    assert out["emp_start"] == pytest.approx(60.0) and out["emp_end"] == pytest.approx(60.0)
    assert out["growth"] == pytest.approx(0.0) and out["excluded"] == "OQ"
    two = I.sector_growth_excluding(series, "Z1", 2008, 2017, exclude=["OQ", "BE"]).iloc[0]
    assert two["emp_start"] == pytest.approx(40.0) and two["growth"] == pytest.approx(45 / 40 - 1)
    with pytest.raises(KeyError):
        I.sector_growth_excluding(series, "Z9", 2008, 2017)
    with pytest.raises(KeyError):
        I.sector_growth_excluding(series, "Z2", 2008, 2017)  # no OQ rows in Z2


def test_indicator_values_epci_and_france():
    ind = pd.DataFrame({"code": ["00FR", "111", "222", "111"], "is_france": [True, False, False, False],
                        "indicator": ["x", "x", "x", "y"], "value": [11.6, 15.9, 20.0, 1.0]})
    out = I.indicator_values(ind, ["222", "111"], "x")
    assert list(out.index) == ["222", "111", "France"]
    assert out["111"] == pytest.approx(15.9) and out["France"] == pytest.approx(11.6)
    with pytest.raises(KeyError):
        I.indicator_values(ind, ["333"], "x")
    with pytest.raises(KeyError):
        I.indicator_values(ind, ["111"], "z")


def test_plots_return_figures():
    import matplotlib

    matplotlib.use("Agg")
    calls = I.friches_calls_summary(_dossiers().assign(edition_year=2021), by=["edition", "edition_year"])
    fig = charts.plot_friches_calls(calls, {"laureates_in_ti": 0.6, "industrial_laureates_in_ti": 0.61,
                                       "population_share_of_ti": 0.45})
    assert len(fig.axes) == 2 and len(fig.axes[0].patches) == 3 * len(calls)
    heights = [p.get_height() for p in fig.axes[1].patches]
    assert heights == pytest.approx([0.6, 0.61, 0.45])
    eng = pd.DataFrame({"year": [2011, 2022], "value": [30000, 46500]})
    epr = pd.DataFrame({"year": [2018, 2023], "value": [25, 56]})
    fig = charts.plot_published_context(eng, epr, {"graduates_low": 30000, "graduates_high": 35000, "needed": 50000,
                                              "ecoles_2026": 71, "ecoles_target_2028": 100})
    assert any("non recalculées" in t.get_text() or "not recomputed" in t.get_text() for t in fig.texts)
