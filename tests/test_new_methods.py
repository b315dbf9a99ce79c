"""pole, unemployment, emitters and longrun on small constructed tables with known answers."""

import pandas as pd
import pytest
from shapely.geometry import box

from analysis.methods import emitters, longrun, pole
from analysis.methods import unemployment as un

# --- pole --------------------------------------------------------------------------------------

ADH = pd.DataFrame({"member_siren": ["200000001", "200000002", "200000003", "200000001", "300000009"],
                    "groupement_siren": ["P1", "P1", "P1", "P2", "P2"]})
COMS = pd.DataFrame({"com": ["01001", "01002", "01003", "02001", "03001"],
                     "epci": ["200000001", "200000001", "200000001", "200000002", "200000003"],
                     "population": [100, 50, 25, 400, 1000]})


def test_epci_members_and_unknown():
    assert pole.epci_members(ADH, "P1") == ["200000001", "200000002", "200000003"]
    with pytest.raises(pole.MembershipError, match="P9"):
        pole.epci_members(ADH, "P9")


def test_communes_at_and_by_epci():
    comp = pd.DataFrame({"groupement_siren": ["P1", "P1", "P1"], "direct": [False] * 3,
                         "commune_siren": ["s1", "s2", "s4"]})
    cor = pd.DataFrame({"commune_siren": ["s1", "s2", "s4"], "com": ["01001", "01002", "02001"], "name": ["a", "b", "c"]})
    coms = pole.communes_at(comp, cor, "P1")
    by = pole.communes_by_epci(coms, COMS).set_index("epci")
    assert by.loc["200000001", "n_in"] == 2 and by.loc["200000001", "n_communes"] == 3
    assert not by.loc["200000001", "whole"] and by.loc["200000002", "whole"]
    assert by.loc["200000001", "population_in"] == 150
    cmp = pole.compare_dates(["200000001", "200000002", "200000003"], by.reset_index(), COMS).set_index("epci")
    assert cmp.loc["200000003", "change"] == "joined"
    assert cmp.loc["200000001", "change"] == "completed" and cmp.loc["200000001", "earlier"] == "part (2 of 3 communes)"
    assert cmp.loc["200000002", "change"] == "unchanged"
    bad = pd.DataFrame({"com": ["99999"]})
    with pytest.raises(pole.MembershipError, match="99999"):
        pole.communes_by_epci(bad, COMS)
    with pytest.raises(pole.MembershipError, match="no INSEE code"):
        pole.communes_at(comp, cor.iloc[:2], "P1")


def test_whole_epci_groupements_and_weighted_share():
    g = pole.whole_epci_groupements(ADH, COMS["epci"])
    assert g["groupement_siren"].tolist() == ["P1"]  # P2 has a non-EPCI member
    r = pole.weighted_share(pd.Series({"a": 10.0, "b": 30.0, "c": None}), pd.Series({"a": 1.0, "b": 3.0, "c": 5.0}),
                            ["a", "b", "c"])
    assert r["share"] == pytest.approx(25.0) and r["n_missing"] == 1 and r["missing"] == ["c"]


# --- unemployment ------------------------------------------------------------------------------

RATES = pd.DataFrame({"ze2020": ["0001"] * 4 + ["0002"] * 4,
                      "quarter": ["2019-T1", "2019-T2", "2019-T3", "2019-T4"] * 2,
                      "year": [2019] * 8, "q": [1, 2, 3, 4] * 2,
                      "rate_pct": [10.0, 10.0, 10.0, 10.0, 5.0, None, 5.0, 5.0]})


def test_area_rate_weights_and_missing():
    w = un.zone_weights(pd.DataFrame({"ze2020": ["0001", "0002", "0002"], "population": [100, 200, 100]}))
    assert w.to_dict() == {"0001": 100, "0002": 300}
    r = un.area_rate(RATES, w).set_index("quarter")
    assert r.loc["2019-T1", "rate_pct"] == pytest.approx((10 * 100 + 5 * 300) / 400)
    assert r.loc["2019-T2", "rate_pct"] == pytest.approx(10.0)  # zone 0002 missing, not zero
    assert r.loc["2019-T2", "coverage"] == pytest.approx(0.25) and r.loc["2019-T2", "n_missing"] == 1
    a = un.annual_mean(RATES[RATES["ze2020"] == "0002"])
    assert a.empty  # three quarters only
    assert un.annual_mean(RATES[RATES["ze2020"] == "0001"])["rate_pct"].iloc[0] == 10.0


def test_revision_and_matching():
    new = RATES.assign(rate_pct=RATES["rate_pct"] + 0.1)
    rv = un.revision(RATES, new)
    assert rv["revision_pt"].dropna().round(6).eq(0.1).all()
    assert un.quarters_matching(RATES[RATES["ze2020"] == "0002"], 5.0) == ["2019-T1", "2019-T3", "2019-T4"]
    with pytest.raises(un.UnemploymentError):
        un.area_rate(RATES, pd.Series({"0001": 0}))


# --- emitters ----------------------------------------------------------------------------------

EM = pd.DataFrame({"installation_id": ["a", "b", "c", "a", "b"], "name": ["A", "B", "C", "A", "B"],
                   "kind": ["k"] * 5, "lon": [0.5, 1.5, 5.0, 0.5, 1.5], "lat": [0.5, 0.5, 5.0, 0.5, 0.5],
                   "year": [2021, 2021, 2021, 2022, 2022], "emissions_t": [60.0, 30.0, 10.0, 40.0, 60.0]})


def test_top_sites_and_shares():
    t = emitters.top_sites(EM, 2, 2021)
    assert t["installation_id"].tolist() == ["a", "b"] and t["cum_share"].iloc[-1] == pytest.approx(0.9)
    s = emitters.top_share_by_year(EM, 1).set_index("year")
    assert s.loc[2021, "share"] == pytest.approx(0.6) and s.loc[2022, "share"] == pytest.approx(0.6)
    f = emitters.top_share_by_year(EM, 1, fixed_year=2021).set_index("year")
    assert f.loc[2022, "share"] == pytest.approx(0.4)  # site a followed, not re-ranked
    assert s.loc[2022, "n_sites"] == 2  # c absent in 2022: absent, not zero
    with pytest.raises(emitters.EmittersError, match="2030"):
        emitters.top_sites(EM, 2, 2030)


def test_sites_within_and_trend():
    ids = emitters.sites_within(EM, box(0, 0, 2, 1))
    assert ids == ["a", "b"]
    tr = emitters.area_trend(EM, ids).set_index("year")
    assert tr.loc[2021, "emissions_t"] == 90 and tr.loc[2022, "n_sites"] == 2
    import geopandas as gpd
    zones = gpd.GeoDataFrame({"z": ["Z1", "Z2"]}, geometry=[box(0, 0, 1, 1), box(1, 0, 2, 1)], crs="EPSG:4326")
    bz = emitters.emissions_by_zone(EM, zones, "z", 2021).set_index("z")
    assert bz.loc["Z1", "emissions_t"] == 60 and bz.attrs["outside"] == ["c"]


# --- longrun -----------------------------------------------------------------------------------


def test_longrun_splice_and_decline():
    ggdc = pd.DataFrame([(y, s, v) for y, vals in {2000: (1, 8, 1, 20), 2001: (1, 10, 1, 24), 2002: (1, 7, 1, 22)}.items()
                         for s, v in zip(["MIN", "MAN", "PU", "SUM"], vals)], columns=["year", "sector", "persons_thousands"])
    s = longrun.industry_series(ggdc).set_index("year")
    assert s.loc[2001, "industry"] == 12 and s.loc[2001, "share"] == pytest.approx(0.5)
    recent = pd.DataFrame({"year": [2001, 2002, 2003, 2004], "industry": [24.0, 18.0, 14.0, 20.0]})
    ov = longrun.overlap(s.reset_index(), recent)
    assert ov["ratio"].tolist() == pytest.approx([2.0, 2.0])
    sp = longrun.splice(s.reset_index(), recent)
    assert sp.attrs["ratio"] == pytest.approx(2.0)
    assert sp.set_index("year").loc[2003, "value"] == pytest.approx(7.0)
    d = longrun.decline(sp)
    assert (d["peak_year"], d["trough_year"], d["years"]) == (2001, 2003, 2)
    assert d["change"] == pytest.approx(7 / 12 - 1)
    with pytest.raises(longrun.LongRunError):
        longrun.overlap(s.reset_index(), recent.assign(year=recent["year"] + 10))


def test_rank_by_weighted_share_known_answer():
    """G1 (A 20 % of 100 jobs, B 10 % of 300) = 12.5 %; G2 (C 30 %, D without a share) = 30 %, D counted
    missing; G3 too small (50,000 inhabitants) is left out."""
    from analysis.methods import pole
    adh = pd.DataFrame({"member_siren": ["A", "B", "C", "D", "E"],
                        "groupement_siren": ["G1", "G1", "G2", "G2", "G3"]})
    groups = pd.DataFrame({"groupement_siren": ["G1", "G2", "G3"], "n_members": [2, 2, 1]})
    shares = pd.Series({"A": 20.0, "B": 10.0, "C": 30.0, "E": 50.0})
    jobs = pd.Series({"A": 100.0, "B": 300.0, "C": 50.0, "D": 10.0, "E": 5.0})
    pop = pd.Series({"A": 200_000, "B": 200_000, "C": 250_000, "D": 100_000, "E": 50_000})
    r = pole.rank_by_weighted_share(adh, groups, shares, jobs, pop, min_population=300_000)
    assert list(r["groupement"]) == ["G2", "G1"] and list(r["rank"]) == [1, 2]
    assert r.loc[1, "industry_pct"] == pytest.approx(12.5) and r.loc[0, "industry_pct"] == pytest.approx(30.0)
    assert list(r["n_missing"]) == [1, 0]


def test_area_rate_without_any_zone_in_the_edition_says_so():
    """Guyane and Mayotte have no quarterly localised rate by zone d'emploi: one clear error, not a crash."""
    from analysis.methods import unemployment

    rates = pd.DataFrame({"ze2020": ["0401", "0401"], "quarter": ["2024-T1", "2024-T2"], "year": [2024, 2024],
                          "q": [1, 2], "rate_pct": [17.0, 16.5]})
    weights = pd.Series({"0301": 1000.0, "0302": 500.0}, name="weight")
    with pytest.raises(unemployment.UnemploymentError, match=r"no rate in this edition for any of the territory's 2 zone\(s\) d'emploi \(0301, 0302\)"):
        unemployment.area_rate(rates, weights)
    assert unemployment.area_rate(rates, pd.Series({"0401": 10.0}))["rate_pct"].tolist() == [17.0, 16.5]
