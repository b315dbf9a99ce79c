"""pole, unemployment, emitters and longrun on the real files: the values the notebooks print."""

import pytest

from analysis.methods import emitters, longrun, pole
from analysis.geo import areas as geography
from analysis.methods import unemployment as un
from analysis.data.loaders import banatic, employment, ets, geo, ggdc
from analysis.data.loaders import unemployment as lu

pytestmark = pytest.mark.usefixtures("mirror")


def test_clermont_pole_at_two_dates():
    adh = banatic.load_groupement_adhesions()
    members = pole.epci_members(adh, "200041036")
    communes = geography.communes()
    assert len(members) == 12
    assert int(communes.loc[communes["epci"].isin(members), "population"].sum()) == 707_903
    coms = pole.communes_at(banatic.load_syndicats_communes_2021(), banatic.load_siren_insee_2019(), "200041036")
    by = pole.communes_by_epci(coms, communes)
    assert len(coms) == 293 and len(by) == 10 and int(by["whole"].sum()) == 9
    cmp = pole.compare_dates(members, by, communes).set_index("epci")
    assert sorted(cmp.index[cmp["change"] == "joined"]) == ["200071389", "200085728"]  # Saint-Pourçain, Brioude
    assert cmp.loc["200067627", "change"] == "completed"  # Billom: 4 of 25 communes in 2021


def test_saint_nazaire_area_rate_equals_zone_rate():
    old = lu.load_chomage_ze2020_2003_2023()
    coms = geography.area_communes("epci", ["244400644"])[["com"]].merge(
        geography.communes()[["com", "ze2020", "population"]], on="com")
    r = un.area_rate(old, un.zone_weights(coms)).set_index("quarter")
    assert r.loc["2018-T2", "rate_pct"] == pytest.approx(7.6) and r.loc["2018-T2", "coverage"] == 1.0
    ann = un.annual_mean(old[old["ze2020"] == "5219"]).set_index("year")["rate_pct"]
    assert ann[2018] == pytest.approx(7.55)


def test_emitters_real_values():
    em = ets.load_eutl_emissions_fr_geo()
    top = emitters.top_sites(em, 50, 2022)
    assert top["name"].iloc[0] == "ARCELORMITTAL MEDITERRANEE"
    assert top["cum_share"].iloc[-1] == pytest.approx(0.635, abs=0.001)
    ze = geo.load_ze2020_shapes()
    by = emitters.emissions_by_zone(em, ze, "ze2020", 2022)
    assert by["ze2020"].head(3).tolist() == ["9313", "3213", "2813"]  # Martigues-Salon, Dunkerque, Le Havre
    assert len(emitters.sites_within(em, ze[ze["ze2020"] == "3213"])) == 33


def test_long_run_peak_and_trough():
    g = longrun.industry_series(ggdc.load_ggdc_france_employment())
    fr = employment.load_estel_france_a5().query("sector == 'BE'")
    estel = fr.assign(industry=fr["employment"] / 1000)[["year", "industry"]]
    d = longrun.decline(longrun.splice(g, estel))
    assert (d["peak_year"], d["trough_year"], d["years"]) == (1974, 2016, 42)
    assert d["change"] == pytest.approx(-0.489, abs=0.001)
