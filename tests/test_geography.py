"""Crosswalks built on the INSEE 2024 commune table (needs the data mirror)."""

import pandas as pd
import pytest

from analysis.geo import areas as g

pytestmark = pytest.mark.usefixtures("mirror")


def test_communes_have_every_zoning_and_population():
    c = g.communes()
    assert len(c) == 34_935 and c["com"].is_unique
    assert c["population"].sum() > 66_000_000
    assert c["ze2020"].nunique() == 306
    assert c["ze2010"].notna().mean() > 0.999


def test_ti_counts_per_wave():
    assert g.ti_summary(g.WAVE_2023, by=None)["territories"].iloc[0] == 183
    assert g.ti_summary(g.WAVE_2018, by=None)["territories"].iloc[0] == 149
    by_reg = g.ti_summary(g.WAVE_2023)
    assert by_reg["territories"].sum() == 183
    # communes counted once overall even where two TI overlap
    overall = g.ti_summary(g.WAVE_2023, by=None)
    assert overall["communes"].iloc[0] == g.ti_communes(g.WAVE_2023)["com"].nunique()


def test_ti_communes_include_commune_and_ept_members():
    tc = g.ti_communes(g.WAVE_2018)
    assert {"EPCI", "EPT", "commune"} <= set(tc["member_type"])
    issoire = g.ti_communes(g.WAVE_2023, "ti-8406")
    assert "63178" in set(issoire["com"])  # Issoire


def test_unknown_codes_are_named():
    with pytest.raises(g.UnknownAreaError, match="999999999"):
        g.area_communes("epci", ["999999999"])
    with pytest.raises(g.UnknownAreaError, match="9999"):
        g.area_communes("ze2020", "9999")
    with pytest.raises(g.UnknownAreaError, match="ti-9999"):
        g.ti_communes(g.WAVE_2023, "ti-9999")
    with pytest.raises(g.UnknownAreaError, match="1999-2000"):
        g.ti_communes("1999-2000")
    with pytest.raises(g.UnknownAreaError, match="canton"):
        g.area_communes("canton", "01")


def test_zone_shares_are_fractions_and_flags_follow_threshold():
    sh = g.ze_ti_shares(g.WAVE_2018)
    assert sh["share"].between(0, 1).all()
    assert (sh["flag"] == (sh["share"] >= 0.5)).all()
    strict = g.ze_ti_shares(g.WAVE_2018, threshold=0.9)
    assert strict["flag"].sum() < sh["flag"].sum()
    # the area shares of all zones add up to 1 (every TI inhabitant lives in one zone)
    assert sh["area_share"].sum() == pytest.approx(1.0)


def test_ze2010_ze2020_overlap_and_transfer_preserve_totals():
    o = g.ze2010_ze2020_overlap()
    assert o.groupby("ze2010")["share_of_ze2010"].sum().round(9).eq(1).all()
    assert o.groupby("ze2020")["share_of_ze2020"].sum().round(9).eq(1).all()
    series = pd.DataFrame({"ze2010": o["ze2010"].unique()[:20], "year": 2000, "employment": 1000.0})
    moved = g.ze2010_to_ze2020(series)
    assert moved["employment"].sum() == pytest.approx(20_000)
    with pytest.raises(g.UnknownAreaError, match="ZZ99"):
        g.ze2010_to_ze2020(pd.DataFrame({"ze2010": ["ZZ99"], "year": [2000], "employment": [1.0]}))


def test_area_units_exact_and_proxy():
    u = g.area_units("metropole", "243400017", "epci")
    assert u["unit"].tolist() == ["243400017"]
    coms = g.area_units("metropole", "243400017", "commune")
    assert len(coms) == 31  # Montpellier Méditerranée Métropole
    ze = g.area_units("metropole", "243400017", "ze2020")
    assert ze["unit"].tolist() == ["7616"] and ze["coverage"].iloc[0] == pytest.approx(1.0)  # ZE Montpellier
    assert g.zoning_mode("epci", ["ze2020"]) == "ze_proxy"  # any EPCI through the zone-proxy rule (issue 10)
    assert g.zoning_mode("epci", ["ze2020"], allow_ze_proxy=False) is None
    assert g.zoning_mode("ze2010", ["ze2020"]) is None
    assert g.zoning_mode("ti", ["ze2020"]) == "ze_proxy"
    assert g.zoning_mode("reg", ["dep"]) == "aggregate"


def test_rouen_extract_and_arrondissements():
    ext = g.rouen_extract_communes()
    assert len(ext) == 218
    assert set(g.area_communes("epci", "200023414")["com"]) <= ext  # Métropole Rouen Normandie
    assert g.commune_codes_2024(pd.Series(["75101", "13201", "63178"])).tolist() == ["75056", "13055", "63178"]


def test_main_zones_of_metropoles():
    mz = g.main_zones(g.metropole_communes(), "ze2020", group="siren").set_index("siren")
    assert len(mz) == 22
    assert mz.loc["243400017", "ze2020"] == "7616"  # Montpellier
    assert mz["area_share"].between(0.3, 1).all()


def test_metropole_main_zones_and_ze_groups():
    mz = g.metropole_main_zones("ze2020").set_index("siren")
    assert len(mz) == 22 and mz.loc["243400017", "zone"] == "7616"
    assert mz.loc["243400017", "name"].startswith("Montpellier")
    for zoning in ("ze2020", "ze2010"):
        gr = g.ze_groups(zoning)
        assert gr["code"].is_unique and set(gr["group"]) == {"TI", "Métropoles", "Autres"}
        ti = g.ze_ti_shares(g.WAVE_2018, zoning)
        assert set(gr.loc[gr["group"] == "TI", "code"]) == set(ti.loc[ti["flag"], zoning])
        metro = set(g.metropole_main_zones(zoning)["zone"])
        assert set(gr.loc[gr["group"] == "Métropoles", "code"]) == metro - set(ti.loc[ti["flag"], zoning])
    assert len(g.ze_groups("ze2020")) == 306


def test_zone_shares_refuses_an_unknown_zoning_in_one_clear_error():
    from analysis.data.validate import ChoiceError

    with pytest.raises(ChoiceError) as err:
        g.zone_shares(pd.DataFrame({"com": ["63113"]}), zoning="ze1999")
    msg = str(err.value)
    assert "zone_shares(zoning=...)" in msg and "'ze1999'" in msg and "'ze2020'" in msg and "'ze2010'" in msg
    ok = g.zone_shares(pd.DataFrame({"com": ["63113"]}), zoning="ze2010")
    assert (ok["population_in"] > 0).sum() == 1 and ok["area_share"].max() == pytest.approx(1.0)
