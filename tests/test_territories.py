"""Area resolution (every TI of both waves, every EPCI), code normalisation and the lookup CLI."""

import subprocess
import sys

import pytest

from analysis import geography, territories


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


def test_cli_one_query_and_usage():
    r = subprocess.run([sys.executable, "-m", "analysis.territories", "Saint-Nazaire"], capture_output=True, text=True)
    assert r.returncode == 0 and "5219" in r.stdout and "244400644" in r.stdout and "[2018-2022]" in r.stdout
    r = subprocess.run([sys.executable, "-m", "analysis.territories"], capture_output=True, text=True)
    assert r.returncode == 2 and "usage" in r.stderr


@pytest.mark.parametrize("wave", geography.WAVES)
def test_every_ti_of_both_waves_resolves(wave):
    names = geography.ti_names(wave)
    assert len(names) > 140
    for tid, name in names.items():
        a = geography.resolve("ti", tid, wave=wave)
        assert a.wave == wave and a.names == (name,) and a.population > 0 and len(a.communes)
        assert a.describe().endswith(f"({wave} wave)")


def test_every_epci_of_the_reference_resolves():
    names = geography.code_names("epci")
    assert len(names) >= 1255
    for code in names.index:
        a = geography.resolve("epci", code)
        assert a.codes == (code,) and len(a.communes) > 0


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
    for level, codes, msg in [("epci", [], "empty"), ("epci", "2444", "9 digits"), ("ti", "5214x", "ti-RRNN"),
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
