"""Tests of analysis.report.profile: pure functions on synthetic tables, and the rendering of two territories
checked against the general functions (geography, dynamics)."""

import re
import time

import nbformat
import pandas as pd
import pytest

from analysis.report import profile as P


# ---------------------------------------------------------------------------------------------
# Pure functions, synthetic data
# ---------------------------------------------------------------------------------------------


def test_lists_near_population_enumerates_exactly():
    pop = pd.Series({"a": 100, "b": 200, "c": 300, "d": 400})
    out = P.lists_near_population(pop, 2, 500, 0.0)
    assert set(out["members"]) == {"a; d", "b; c"}
    out = P.lists_near_population(pop, 2, 500, 0.0, required=["a"])
    assert list(out["members"]) == ["a; d"]
    out = P.lists_near_population(pop, 3, 650, 0.1)  # 600 (a,b,c) and 700 (a,b,d) are within 10 %
    assert set(out["members"]) == {"a; b; c", "a; b; d"}
    with pytest.raises(KeyError):
        P.lists_near_population(pop, 2, 500, 0.1, required=["z"])


def test_industry_share_path_groups_and_index():
    ind = pd.DataFrame({"code": ["1", "2", "1", "2"], "year": [2000, 2000, 2001, 2001],
                        "employment": [10.0, 30.0, 5.0, 30.0]})
    tot = pd.DataFrame({"code": ["1", "2", "1", "2"], "year": [2000, 2000, 2001, 2001],
                        "employment": [100.0, 100.0, 100.0, 100.0]})
    out = P.industry_share_path(ind, tot, {"one": ["1"], "all": None}).set_index(["group", "year"])
    assert out.loc[("one", 2000), "share"] == pytest.approx(0.10)
    assert out.loc[("one", 2001), "index"] == pytest.approx(50.0)
    assert out.loc[("all", 2001), "share"] == pytest.approx(35 / 200)
    assert out.loc[("all", 2000), "index"] == pytest.approx(100.0)


def test_industry_mix_shares_and_location_quotient():
    a38 = pd.DataFrame({
        "ze2020": ["A", "A", "A", "B", "B", "B"], "a38": ["CG", "CH", "GZ"] * 2,
        "a38_label": ["Caoutchouc", "Métallurgie", "Commerce"] * 2, "year": [2024] * 6,
        "employment": [30.0, 10.0, 60.0, 0.0, 10.0, 90.0],
    })
    out = P.industry_mix(a38, ["A"], 2024, sectors=["CG", "CH"]).set_index("a38")
    assert list(out.index) == ["CG", "CH"]
    assert out.loc["CG", "share_of_industry"] == pytest.approx(0.75)
    assert out.loc["CG", "share_of_total"] == pytest.approx(0.30)
    assert out.loc["CG", "location_quotient"] == pytest.approx(0.30 / 0.15)
    assert out.loc["CH", "location_quotient"] == pytest.approx(0.10 / 0.10)
    with pytest.raises(Exception):
        P.industry_mix(a38, ["A"], 2019)


def test_wave_changes_matches_by_members():
    m = pd.DataFrame([
        ("2018-2022", "ti-0001", "Old", "111111111", "X"), ("2018-2022", "ti-0001", "Old", "222222222", "Y"),
        ("2023-2027", "ti-0005", "New", "111111111", "X"), ("2023-2027", "ti-0005", "New", "333333333", "Z"),
        ("2023-2027", "ti-0006", "Fresh", "444444444", "W"),
    ], columns=["wave", "ti_id", "ti_name", "member_siren", "member_name"])
    out = P.wave_changes(m, ["ti-0005", "ti-0006"]).set_index("ti_2023")
    assert out.loc["ti-0005", "ti_2018"] == "ti-0001" and out.loc["ti-0005", "status"] == "changed"
    assert out.loc["ti-0005", "added"] == "Z" and out.loc["ti-0005", "removed"] == "Y"
    assert out.loc["ti-0006", "status"] == "new" and out.loc["ti-0006", "ti_2018"] == ""


def test_count_lists_near_population_counts_per_tolerance():
    pop = pd.Series({"a": 100, "b": 200, "c": 300, "d": 400})
    out = P.count_lists_near_population(pop, 3, 650, [0.0, 0.1, 0.5])
    assert list(out["tol"]) == [0.0, 0.1, 0.5]
    # sums of three: 600, 700, 800, 900; within 10 % of 650: 600 and 700; within 50 %: all four
    assert list(out["n_lists"]) == [0, 2, 4]
    assert list(P.count_lists_near_population(pop, 3, 650, [0.1], required=["d"])["n_lists"]) == [1]


def _membership():
    return pd.DataFrame({
        "epci": ["1", "2", "3", "4"], "epci_name": ["Big", "Mid", "Small", "Tiny"], "dep": ["63"] * 4,
        "population": [500, 300, 150, 50],
        "ti_2018": ["ti-1", "ti-1", "", "ti-2"], "ti_2018_name": ["A", "A", "", "B"],
        "ti_2023": ["ti-5", "ti-6", "", "ti-6"], "ti_2023_name": ["C", "D", "", "D"],
    })


def test_epci_list_summary():
    s = P.epci_list_summary(_membership(), ["1", "3", "4"], target=800)
    assert s["n_epci"] == 3 and s["population"] == 700
    assert s["gap"] == pytest.approx(700 / 800 - 1)
    assert s["outside_ti_2023"] == ["Small"]
    assert s["ti_2018"] == ["A", "B"] and s["n_ti_2018"] == 2
    assert s["ti_2023"] == ["C", "D"] and s["n_ti_2023"] == 2
    assert s["left_out"] == ["Mid"] and s["left_out_population"] == 300
    assert pd.isna(P.epci_list_summary(_membership(), ["1"])["gap"])
    with pytest.raises(KeyError):
        P.epci_list_summary(_membership(), ["1", "9"])


def test_population_by_ti_groups_and_total():
    out = P.population_by_ti(_membership()).set_index("group")
    assert out.loc["C", "population"] == 500
    assert out.loc["D", "population"] == 350 and out.loc["D", "n_epci"] == 2 and out.loc["D", "epci_names"] == "Mid; Tiny"
    assert out.loc["(no TI)", "population"] == 150
    assert out.loc["total", "population"] == 1000 and out.loc["total", "n_epci"] == 4
    assert list(out.index) == ["C", "D", "(no TI)", "total"]


def test_metropolitan_zones_drop_any_zone_with_an_overseas_commune():
    communes = pd.DataFrame({"com": ["1", "2", "3", "4"], "reg": ["84", "84", "04", "11"],
                             "ze2020": ["A", "B", "B", "C"], "ze2010": ["X", "X", "Y", None]})
    assert P.metropolitan_zones(communes, "ze2020") == ["A", "C"]
    assert P.metropolitan_zones(communes, "ze2010") == ["X"]


def test_zone_proxy_coverage_compares_two_zone_sets():
    coms = pd.DataFrame({"com": ["1", "2", "3"], "epci": ["E1", "E1", "E2"], "population": [60, 40, 100],
                         "ze2010": ["X", "Y", "Y"], "ze2020": ["A", "A", "B"]})
    out = P.zone_proxy_coverage(coms, {"ZE2010": ("ze2010", ["X"]), "ZE2020": ("ze2020", ["A", "B"])}).set_index("epci")
    assert list(out.index) == ["E1", "E2", "all"]  # largest first (ties by code), then the total
    assert out.loc["E1", "ZE2010"] == pytest.approx(0.6) and out.loc["E2", "ZE2010"] == pytest.approx(0.0)
    assert out.loc["E2", "ZE2020"] == pytest.approx(1.0)
    assert out.loc["all", "population"] == 200 and out.loc["all", "ZE2010"] == pytest.approx(0.3)


def test_plot_industry_share_path_labels_each_panel_with_its_coverage():
    import matplotlib

    matplotlib.use("Agg")
    p10 = pd.DataFrame({"group": ["T", "T", "F", "F"], "year": [1998, 2017] * 2, "share": [0.2, 0.15, 0.18, 0.12]})
    p20 = pd.DataFrame({"group": ["T", "T", "F", "F"], "year": [2019, 2024] * 2, "share": [0.25, 0.24, 0.16, 0.15]})
    fig = P.plot_industry_share_path(p10, p20, ["T", "F"], "T", (0.868, 0.934))
    left, right = fig.axes[:2]
    labels = [t.get_text() for t in left.get_legend().get_texts()]
    assert len(labels) == 3 and labels[2] == "F"  # the territory once per zoning, then the others once
    assert "ZE 2010" in labels[0] and "87" in labels[0] and "ZE 2020" in labels[1] and "93" in labels[1]
    assert len(left.lines) == 2 and len(right.lines) == 2

# ---------------------------------------------------------------------------------------------
# Rendering two territories and checking their numbers against the general functions
# ---------------------------------------------------------------------------------------------

# Smoke tests (notebook 06, papermill): an overseas TI of the first wave (Le Port, La Réunion, whose id names
# another territory in 2023-2027) and an EPCI that is no TI (CARENE); départements are covered by the atlas tests
# (same key-figure functions). The nbval run of notebook
# 06 itself covers a metropolitan TI of the 2023-2027 wave.
REQUESTS = {"ti-0401_2018-2022": ("ti", "ti-0401", "2018"), "epci-244400644": ("epci", "244400644", None)}
OVERSEAS = "ti-0401_2018-2022"


def _key_figures(paths) -> pd.DataFrame:
    """The rendered profile's exported key figures (``<slug>_key_figures.csv``), indexed by figure id."""
    return pd.read_csv(paths["key_figures"], dtype={"value": object}).set_index("figure")


def _num(key, figure):
    v = key.loc[figure, "value"]
    return float(v) if isinstance(v, str) or v == v else float("nan")


@pytest.fixture(scope="module")
def rendered(tmp_path_factory):
    import os
    from pathlib import Path

    path = os.environ.get("ANALYSIS_DATA_MIRROR")
    assert path and Path(path, "MANIFEST.csv").is_file(), "set ANALYSIS_DATA_MIRROR to the public-data mirror"
    out = tmp_path_factory.mktemp("profiles")
    # one render after the other in this process: under make test the other pytest worker keeps the
    # second core busy, so a pool of render processes would only add their start-up (render() points the
    # kernel's figures and results folders through the process environment, so renders are not threaded)
    # the profiles' figures are exported as SVG only, as the notebooks under nbval (these tests read the
    # notebook and its HTML; tests/test_figures.py covers the PDF and PNG exports)
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("ANALYSIS_FIG_FORMATS", "svg")
        mp.setenv("ANALYSIS_FIG_LANGUAGES", "fr")  # these tests read the French profile; English exports: test_publication
        paths = {slug: P.render(level, code, out, wave=wave)
                 for slug, (level, code, wave) in REQUESTS.items()}
    return out, paths


@pytest.mark.parametrize("slug", list(REQUESTS))
def test_profiles_render_fully_with_names_and_no_code(rendered, slug):
    from analysis.geo import areas as geography

    _, paths = rendered
    level, code, wave = REQUESTS[slug]
    area = geography.resolve(level, code, wave=wave)
    nb = nbformat.read(paths[slug]["notebook"], as_version=4)
    assert paths[slug]["notebook"].name == f"{slug}.ipynb"
    assert not [o for c in nb.cells for o in c.get("outputs", []) if o.get("output_type") == "error"]
    html = paths[slug]["html"].read_text(encoding="utf-8")
    assert area.names[0] in html and area.region_name in html
    assert "Clermont" not in html  # no text about another territory
    assert "geography.resolve(" not in html  # code cells hidden
    assert f"<title>Profil : {area.name}</title>" in html
    key = _key_figures(paths[slug])
    assert _num(key, "population") == area.population
    assert list(key.index) == ["population", "private_jobs", "private_jobs_growth_pct", "industry_share_pct",
                               "industry_jobs", "industry_jobs_growth_pct", "unemployment_rate_pct", "ets_sites",
                               "ets_verified_emissions_2022_kt"]
    assert list(key.reset_index().columns) == P.KEY_FIGURES_COLUMNS
    missing = key[key["value"].isna()]
    assert (missing["note"].str.len() > 10).all()  # a missing figure keeps its row, with the reason
    tables = sorted(p.name for p in paths[slug]["tables"].glob("*.csv"))
    assert "key_figures.csv" in tables and "epci.csv" in tables and paths[slug]["excel"].is_file()
    if area.level == "ti":
        assert area.wave in html


def test_overseas_profile_says_why_there_is_no_map(rendered):
    _, paths = rendered
    nb = nbformat.read(paths[OVERSEAS]["notebook"], as_version=4)
    text = "".join(o.get("text", "") for c in nb.cells for o in c.get("outputs", []))
    assert "No map: the mirror has no EPCI outlines for La Réunion" in text
    assert "also exists in the 2023-2027 wave, for another territory: Est Réunion Industries" in text


def test_profile_numbers_against_the_raw_files(rendered, mirror):
    """CARENE's figures recomputed with plain pandas on the mirrored files, not with the profile's functions."""
    _, paths = rendered
    key = _key_figures(paths["epci-244400644"])
    # industry: the URSSAF ZE2020 x A38 parquet, zone 5219 (the CARENE's proxy), industry B-E, 2019 and 2024
    assert key.loc["industry_jobs", "base"] == "zone proxy" and key.loc["industry_jobs", "area_measured"].startswith(
        "ZE2020 5219")
    assert 0 < float(key.loc["industry_jobs", "coverage_pct"]) <= 100
    assert "proxy" in key.loc["industry_jobs", "note"]
    raw = pd.read_parquet(mirror / "employment" / "urssaf_ze2020_a38_2019_2022_2023_2024.parquet")
    ind = raw[(raw["code_ze"] == "5219") & (raw["a5"] == "BE")]
    assert _num(key, "industry_jobs") == pytest.approx(ind["eff_24"].sum())
    both = ind.dropna(subset=["eff_19", "eff_24"])
    assert _num(key, "industry_jobs_growth_pct") == pytest.approx(
        round(100 * (both["eff_24"].sum() / both["eff_19"].sum() - 1), 1))
    # private jobs: the URSSAF private-employment parquet, the CARENE's communes, 2024
    priv = pd.read_parquet(mirror / "employment" / "urssaf_private_employment_total_by_area_2014_2024.parquet")
    epci_row = priv[(priv["echelon"].str.startswith("epci")) & (priv["code"] == "244400644") & (priv["year"] == 2024)]
    coms = set(geography_communes_of("244400644"))
    by_com = priv[(priv["echelon"] == "communes") & priv["code"].isin(coms) & (priv["year"] == 2024)]["eff_total"].sum()
    assert _num(key, "private_jobs") == pytest.approx(by_com)
    if len(epci_row):  # the file's own EPCI total agrees within its secret cells
        assert _num(key, "private_jobs") == pytest.approx(float(epci_row["eff_total"].iloc[0]), rel=0.02)
    assert key.loc["private_jobs", "base"] == "own geography"


def geography_communes_of(siren: str) -> list[str]:
    from analysis.geo import areas as geography

    c = geography.communes()
    return list(c.loc[c["epci"] == siren, "com"])


@pytest.mark.parametrize("argv, msg", [(["--ti", "ti-9999"], "unknown ti"), (["--epci", "2444"], "9 digits"),
                                       ([], "exactly one territory"), (["--dep", "63", "--wave", "2018"], "WAVE"),
                                       (["--ti", "ti-0101", "--wave", "2019"], "wave"), (["--ze", ""], "exactly one")])
def test_bad_requests_are_refused_in_one_line_before_any_work(tmp_path, capsys, monkeypatch, argv, msg):
    from analysis import cli

    monkeypatch.setattr(P, "PROFILES_DIR", tmp_path / "profiles")
    assert cli.main(["profile", *argv]) == 2
    err = capsys.readouterr().err.strip()
    assert msg in err and len(err.splitlines()) == 1
    assert not (tmp_path / "profiles").exists()


def test_area_emitters_counts_sites_of_member_communes_only():
    from types import SimpleNamespace

    em = pd.DataFrame({"installation_id": ["1", "1", "2", "3"], "name": ["A", "A", "B", "C"], "kind": "x",
                       "zip_code": ["44600", "44600", "44000", "97420"], "lon": [0.5, 0.5, 5.0, 55.5],
                       "lat": [0.5, 0.5, 5.0, -21.0], "year": [2021, 2022, 2022, 2022],
                       "emissions_t": [10.0, 12.0, 7.0, 3.0]})
    placed = pd.DataFrame({"installation_id": ["1", "2", "3"], "name": ["A", "B", "C"], "com": ["44184", "44109", None],
                           "method": ["postcode+city", "postcode+city", "unplaced"], "reason": ["", "", "no town"],
                           "postcode": ["44600", "44000", "97420"], "dep_prefix": ["44", "44", "974"]})
    area = SimpleNamespace(communes=pd.DataFrame({"com": ["44184"], "dep": ["44"]}))
    r = P.area_emitters(area, em, placed)
    assert r.ids == ["1"] and "placed in their own commune" in r.method and r.wider_area == ""
    assert r.trend.set_index("year")["emissions_t"].to_dict() == {2021: 10.0, 2022: 12.0}
    assert r.sites["emissions_last_t"].tolist() == [12.0]
    reunion = SimpleNamespace(communes=pd.DataFrame({"com": ["97420"], "dep": ["974"]}))
    r = P.area_emitters(reunion, em, placed)
    assert r.ids == [] and len(r.unplaced) == 1  # an unplaced site is listed, never given to the département


def test_profile_unemployment_and_emitters_lines(rendered):
    from analysis.methods import emitters, unemployment
    from analysis.geo import areas as geography
    from analysis.data.loaders import unemployment as U

    _, paths = rendered
    rates = U.load_chomage_ze2020_2021_2025()
    placed = emitters.placed_ets_sites()
    for slug in ("epci-244400644", OVERSEAS):
        level, code, wave = REQUESTS[slug]
        area = geography.resolve(level, code, wave=wave)
        key = _key_figures(paths[slug])
        rate = unemployment.area_rate(rates, unemployment.zone_weights(area.communes)).iloc[-1]
        assert _num(key, "unemployment_rate_pct") == pytest.approx(round(rate["rate_pct"], 1))
        assert key.loc["unemployment_rate_pct", "period"] == rate["quarter"]
        assert _num(key, "ets_sites") == len(emitters.sites_in_area(placed, area.communes))
    assert _num(_key_figures(paths["epci-244400644"]), "ets_sites") > 0
    text = "".join(o.get("text", "") for c in nbformat.read(paths[OVERSEAS]["notebook"], as_version=4).cells
                   for o in c.get("outputs", []))
    assert "placed in their own commune" in text and "département 974" not in text


def test_a_ti_is_mapped_with_the_ti_of_its_own_wave():
    """ti-5209 is Saint-Nazaire - Cordemais in 2018-2022 and Mont des Avaloirs in 2023-2027: the map of the
    first colours its EPCI by the TI of 2018-2022 and says so; any other territory gets the current wave."""
    import matplotlib.pyplot as plt

    from analysis.geo import areas as geography
    from analysis.data.loaders import geo

    first = geography.resolve("ti", "ti-5209", wave=geography.WAVE_2018)
    assert P.map_wave(first) == geography.WAVE_2018
    assert P.map_wave(geography.resolve("ti", "ti-5209", wave=geography.WAVE_2023)) == geography.WAVE_2023
    assert P.map_wave(geography.resolve("epci", "244400644")) == geography.WAVE_2023
    assert P.map_wave(geography.resolve("departement", "63")) == geography.WAVE_2023
    terr = P.from_area(first)
    members = P.epci_membership(terr)
    shapes = geo.load_epci_shapes()
    labels = {}
    for wave in geography.WAVES:
        fig = P.area_map(terr, shapes, geo.load_ze2020_shapes(), members, wave=wave)
        labels[wave] = [t.get_text() for t in fig.axes[0].get_legend().get_texts()]
        plt.close(fig)
    assert "Saint-Nazaire - Cordemais" in labels[geography.WAVE_2018]
    assert "Saint-Nazaire - Cordemais" not in labels[geography.WAVE_2023]
    assert "Saint-Nazaire Loire Estuaire" in labels[geography.WAVE_2023]
    with pytest.raises(ValueError, match="unknown wave '2018'"):
        P.area_map(terr, shapes, geo.load_ze2020_shapes(), members, wave="2018")


def test_coinciding_lines_stay_visible():
    """A département that is its own région (Guyane): the région's line, identical, is drawn dashed and wider
    under the territory's, not hidden by it."""
    p = pd.DataFrame({"group": ["T", "T", "R", "R", "F", "F"], "year": [2000, 2001] * 3,
                      "share": [0.1, 0.12, 0.1, 0.12, 0.15, 0.14]})
    fig = P.plot_industry_share_path(p, p, ["T", "R", "F"], "T", (1.0, 1.0))
    styles = [(line.get_linestyle(), line.get_linewidth()) for line in fig.axes[0].get_lines()]
    assert styles[0][0] == "-" and styles[1][0] == "--" and styles[1][1] > styles[0][1] and styles[2][0] == "-"


def test_a_second_render_starts_from_the_first_and_prunes_what_it_no_longer_exports(rendered, monkeypatch):
    """Rendering a territory again starts from its previous figures: the same figures come back byte for byte
    (not rendered again), and a file the new render does not export is removed, its index row too."""
    out, paths = rendered
    slug = "epci-244400644"
    folder = paths[slug]["figures"]
    before = {p.relative_to(folder): p.read_bytes() for p in folder.rglob("*") if p.is_file() and p.suffix != ".lock"}
    assert any(p.suffix == ".svg" for p in before)
    (folder / "06_gone.svg").write_text("<svg/>")
    monkeypatch.setenv("ANALYSIS_FIG_FORMATS", "svg")
    monkeypatch.setenv("ANALYSIS_FIG_LANGUAGES", "fr")
    P.render("epci", "244400644", out)
    after = {p.relative_to(folder): p.read_bytes() for p in folder.rglob("*") if p.is_file() and p.suffix != ".lock"}
    assert after == before
