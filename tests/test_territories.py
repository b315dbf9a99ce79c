"""Area resolution (every TI of both waves, every EPCI), code normalisation and the lookup CLI."""

import pandas as pd
import pytest

from analysis.geo import areas as geography, lookup as territories


def test_fold_is_accent_case_and_punctuation_insensitive():
    assert territories.fold("Saint-Étienne L'Œuvre") == "saint etienne l oeuvre"


def test_lookup_saint_nazaire_lists_zone_carene_and_both_waves():
    hits = territories.lookup("saint nazaire", limit=None)
    pairs = set(zip(hits["level"], hits["code"]))
    assert ("ze2020", "5219") in pairs and ("epci", "244400644") in pairs and ("commune", "44184") in pairs
    ti = hits[hits["level"] == "ti"]
    assert set(ti["wave"]) == set(geography.WAVES)


def test_lookup_by_code_and_close_names():
    assert territories.lookup("244400644").iloc[0]["match"] == "code"
    close = territories.lookup("Clermon-Ferand")
    assert (close["match"] == "close").all() and "63113" in set(close["code"])
    with pytest.raises(ValueError):
        territories.lookup("  ")


def test_cli_one_query_and_usage(capsys):
    from analysis import cli

    assert cli.main(["lookup", "Saint-Nazaire"]) == 0
    out = capsys.readouterr().out
    assert "5219" in out and "244400644" in out and "[2018-2022]" in out
    assert cli.main(["lookup"]) == 2 and "usage: recalcul lookup QUERY" in capsys.readouterr().err


@pytest.mark.parametrize("wave", geography.WAVES)
def test_every_ti_of_both_waves_resolves(wave):
    names = geography.ti_names(wave)
    assert len(names) > 140
    areas = geography.resolve_many("ti", names.index, wave=wave)
    tc = geography.ti_communes(wave)
    pop = tc.drop_duplicates(["ti_id", "com"]).groupby("ti_id")["population"].sum()
    shares = geography.resolver().zone_shares_by_code("ti", "ze2020", wave=wave)
    cov = shares[shares["flag"]].groupby("code")["area_share"].sum()
    with_proxy = 0
    for a, (tid, name) in zip(areas, names.items()):
        assert a.codes == (tid,) and a.wave == wave and a.names == (name,) and len(a.communes)
        assert a.population == pop[tid] > 0 and a.communes["com"].is_unique
        assert a.describe().endswith(f"({wave} wave)")
        c = a.proxy_coverage("ze2020")
        assert 0 <= c <= 1 + 1e-12 and c == pytest.approx(cov.get(tid, 0.0))
        with_proxy += c > 0
    assert with_proxy >= 0.75 * len(areas)  # about 4 TIs in 5 hold half of at least one zone d'emploi 2020


def test_every_epci_of_the_reference_resolves():
    names = geography.code_names("epci")
    assert len(names) >= 1255
    areas = geography.resolve_many("epci", names.index)
    c = geography.communes()
    for a, code in zip(areas, names.index):
        assert a.codes == (code,) and a.names == (names[code],) and a.epcis == (code,) and a.wave is None
        assert len(a.communes) > 0 and a.population > 0
        assert ((a.communes["epci"] == code) | (a.communes["ept"] == code)).all()
    sample = names.index[::97]  # the fast path gives the communes of the general crosswalk
    for code, a in zip(sample, geography.resolve_many("epci", sample)):
        assert set(a.communes["com"]) == set(geography.area_communes("epci", [code])["com"])
    shares = geography.resolver().zone_shares_by_code("epci", "ze2020")
    cov = shares[shares["flag"]].groupby("code")["area_share"].sum()
    assert ((cov > 0) & (cov <= 1 + 1e-12)).all() and 150 < len(cov) < len(names)
    assert set(shares["code"]) == set(names.index) & set(c["epci"].unique().tolist() + c["ept"].unique().tolist())
    for code in ("244400644", "200071074", sample[3]):
        assert geography.resolve("epci", code).proxy_coverage("ze2020") == pytest.approx(cov.get(code, 0.0))


def test_resolver_on_a_constructed_table_gives_known_answers():
    communes = pd.DataFrame({
        "com": ["00004", "00001", "00002", "00003"], "name": ["D", "A", "B", "C"],
        "epci": ["200000002", "200000001", "200000001", "200000002"], "ept": ["ZZZZZZZZZ", "200000003", "ZZZZZZZZZ", "ZZZZZZZZZ"],
        "ze2020": ["0001", "0001", "0001", "0002"], "ze2010": ["0101", "0101", None, "0101"],
        "dep": ["01", "01", "01", "02"], "reg": ["84"] * 4, "population": [300, 100, 100, 500]})
    names = {"commune": communes.set_index("com")["name"], "epci": pd.Series({"200000001": "e one", "200000002": "e two", "200000003": "t"}),
             "ze2020": pd.Series({"0001": "z1", "0002": "z2"}), "ze2010": pd.Series({"0101": "y1"}),
             "dep": pd.Series({"01": "d1", "02": "d2"}), "reg": pd.Series({"84": "r"}), "metropole": pd.Series(dtype=str)}
    ti = pd.DataFrame({"ti_id": ["ti-8401", "ti-8401"], "member_siren": ["200000001", "200000009"], "com": ["00001", "00002"]})
    r = geography.Resolver(communes, names, {geography.WAVE_2023: ti, geography.WAVE_2018: ti.iloc[:0]},
                           {geography.WAVE_2023: pd.Series({"ti-8401": "T"}), geography.WAVE_2018: pd.Series(dtype=str)})
    e1 = r.resolve("epci", "200000001")
    assert list(e1.communes["com"]) == ["00001", "00002"] and e1.population == 200 and e1.names == ("e one",)
    z = e1.zone_proxy("ze2020")  # zone 0001 has 500 inhabitants, 200 of them in the EPCI: 40 % < 50 %
    assert z.empty and e1.proxy_coverage("ze2020") == 0.0
    both = r.resolve("epci", ["200000001", "200000002"])  # both zones entirely inside
    assert both.population == 1000 and both.proxy_coverage("ze2020") == pytest.approx(1.0)
    z10 = both.zone_proxy("ze2010")  # commune 00002 has no ZE2010: shares are over the other 900 inhabitants
    assert list(z10["zone"]) == ["0101"] and z10["area_share"].iloc[0] == pytest.approx(1.0)
    assert list(r.resolve("epci", "200000003").communes["com"]) == ["00001"]  # an EPT is accepted at level 'epci'
    t = r.resolve("ti", "ti-8401")
    assert t.wave == geography.WAVE_2023 and t.epcis == ("200000001", "200000009") and t.population == 200
    assert r.resolve("dep", 2).codes == ("02",) and r.resolve("dep", "01").population == 500
    with pytest.raises(geography.UnknownAreaError, match="2023-2027 wave"):
        r.resolve("ti", "ti-8401", wave="2018")
    sh = r.zone_shares_by_code("epci", "ze2020").set_index(["code", "zone"])
    assert sh.loc[("200000001", "0001"), "share"] == pytest.approx(0.4) and sh.loc[("200000002", "0002"), "area_share"] == pytest.approx(0.625)
    assert [a.codes for a in r.resolve_many("epci", ["200000002", "200000001"])] == [("200000002",), ("200000001",)]


def test_an_area_s_region_holds_most_of_its_population_and_a_tie_goes_to_the_lowest_code():
    def area(regs, pops):
        communes = pd.DataFrame({"com": [f"{i:05d}" for i in range(len(regs))], "reg": pd.array(regs, dtype="str"),
                                 "population": pd.array(pops, dtype="int64")})
        return geography.Area("commune", ("x",), None, ("x",), communes, ())

    assert area(["84", "11", "84"], [10, 15, 6]).region == "84"  # 16 inhabitants in 84 against 15 in 11
    assert area(["84", "11", "84"], [10, 17, 6]).region == "11"
    assert area(["84", "11", "93"], [5, 5, 4]).region == "11"  # a tie: the lowest code, as the sorted sums gave
    assert area(["84", None, "93"], [5, 50, 4]).region == "84"  # a commune without région is not one


def test_same_ti_id_differs_between_waves():
    a18, a23 = geography.resolve("ti", "ti-5214", wave="2018"), geography.resolve("ti", "ti-5214")
    assert a18.names == ("Vendée Est",) and a23.names == ("Saint-Nazaire Loire Estuaire",)
    assert a23.wave == geography.WAVE_2023 and set(a18.communes["com"]).isdisjoint(a23.communes["com"])


def test_codes_are_normalised_or_refused_with_the_format():
    assert geography.resolve("dep", 1).codes == ("01",)
    assert geography.resolve("ze2020", 51).codes == ("0051",)
    assert geography.resolve("commune", 1001).codes == ("01001",)
    assert geography.resolve("ti", "TI-0401").codes == ("ti-0401",)
    assert geography.resolve("epci", "200071074").codes == ("200071074",)  # a bare string is one code
    # a SIREN as it is often printed (spaces, or the narrow no-break spaces of French typography)
    assert geography.resolve("epci", "244 400 644").codes == geography.resolve("epci", "244\u202f400\u202f644").codes \
        == ("244400644",)
    for level, codes, msg in [("epci", [], "empty"), ("epci", "2444", "9 digits"), ("epci", "24 4400 644", "9-digit SIREN"),
                              ("ti", "5214x", "ti-RRNN"),
                              ("dep", "", "empty"), ("ti", "ti-9999", "unknown"), ("region", 1.5, "string, an integer")]:
        with pytest.raises(geography.UnknownAreaError, match=msg):
            geography.resolve(level, codes)


def test_unknown_ti_in_the_other_wave_is_named():
    only_2018 = sorted(set(geography.ti_names("2018").index) - set(geography.ti_names("2023").index))
    with pytest.raises(geography.UnknownAreaError, match="2018-2022 wave"):
        geography.resolve("ti", only_2018[0])


def test_zone_proxy_and_rule_state_the_coverage():
    a = geography.resolve("epci", "244400644")
    z = a.zone_proxy("ze2020")
    assert list(z["zone"]) == ["5219"] and z["share"].iloc[0] == pytest.approx(0.50, abs=0.02)
    assert a.proxy_coverage("ze2020") == pytest.approx(1.0)
    assert "no zone-d'emploi proxy" in geography.resolve("ti", "ti-5214").proxy_rule("ze2010")
