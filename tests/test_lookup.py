"""Which territories hold a place, words in any order, why a row matched, and hints for a wrong kind of code.

Known answers are read again from the raw files with plain json/pandas: the Etalab EPCI
membership file and the two ANCT Territoires d'industrie files (Maubeuge, 59392, is in the CA
Maubeuge Val de Sambre, 200043396, a member of ti-3210 in 2018-2022 and of ti-3207 in 2023-2027).
"""

import json
import re

import pytest

from analysis.data import registry
from analysis.geo import areas as geography, lookup as L, request, tables


def _mirror_file(name: str):
    return registry.mirror_dir() / "geo" / name


def _raw_holders_of(com: str) -> dict[str, set[str]]:
    """EPCI and TIs of both waves holding ``com``, from the raw files (no package code)."""
    epcis = json.loads(_mirror_file("etalab_decoupage_administratif_epci.json").read_text(encoding="utf-8"))
    epci = {e["code"] for e in epcis if any(m["code"] == com for m in e["membres"])}
    com_siren = {m["siren"] for e in epcis for m in e["membres"] if m["code"] == com}
    members = epci | com_siren
    t18 = json.loads(_mirror_file("anct_territoires_industrie_2018_2022.geojson").read_text(encoding="utf-8"))
    ti18 = {f["properties"]["id_ti"] for f in t18["features"]
            if members & {s.strip() for s in str(f["properties"]["siren_groupement"]).split(",")}}
    t23 = json.loads(_mirror_file("anct_territoires_industrie_2023_2027.geojson").read_text(encoding="utf-8"))
    ti23 = {f["properties"]["id_territoire"] for f in t23["features"]
            if members & set(re.findall(r"\((\d{9})\)", str(f["properties"]["liste_geo"])))}
    return {"epci": epci, "2018-2022": ti18, "2023-2027": ti23}


def test_maubeuge_is_held_by_its_epci_zone_departement_region_and_a_ti_of_each_wave():
    raw = _raw_holders_of("59392")
    assert raw == {"epci": {"200043396"}, "2018-2022": {"ti-3210"}, "2023-2027": {"ti-3207"}}
    h = L.containers("59392")
    assert set(h.loc[h["level"] == "epci", "code"]) == raw["epci"]
    for wave in geography.WAVES:
        assert set(h.loc[(h["level"] == "ti") & (h["wave"] == wave), "code"]) == raw[wave]
    row = geography.communes().set_index("com").loc["59392"]
    got = dict(zip(h["level"] + h["wave"], h["code"]))
    assert got["ze2020"] == row["ze2020"] == "3217" and got["dep"] == "59" and got["reg"] == "32"
    hits = L.lookup("Maubeuge", limit=None)
    assert list(hits[["level", "code"]].iloc[0]) == ["commune", "59392"]
    held = hits[hits["holds"] == "59392"]
    assert held["match"].eq("holds commune").all() and len(held) == len(h)
    assert set(zip(held["code"], held["wave"])) >= {("ti-3210", "2018-2022"), ("ti-3207", "2023-2027")}
    assert "holds the commune Maubeuge (59392)" in held.set_index("code").loc["ti-3207", "why"]
    # an area both named like the query and holding the commune is listed once, with both reasons
    assert not hits.duplicated(["level", "code", "wave"]).any()
    assert held.set_index("code").loc["3217", "why"] == "name is 'maubeuge'; holds the commune Maubeuge (59392)"
    out = L.format_table(hits)
    assert "held by Territoire d'industrie   ti-3210" in out and "[2018-2022]" in out and "[2023-2027]" in out


def test_a_commune_code_lists_its_holders_and_a_level_filter_keeps_them():
    by_code = L.lookup("59392", limit=None)
    assert by_code.iloc[0]["match"] == "code" and set(by_code.loc[by_code["level"] == "ti", "code"]) == {"ti-3210",
                                                                                                         "ti-3207"}
    only_ti = L.lookup("Maubeuge", levels="ti", limit=None)
    assert set(zip(only_ti["code"], only_ti["wave"])) == {("ti-3210", "2018-2022"), ("ti-3207", "2023-2027")}
    with pytest.raises(geography.UnknownAreaError, match="01039 was the commune Béon"):
        L.containers("01039")


def test_words_match_in_any_order_and_may_name_the_departement():
    a, b = L.lookup("Aubrac Lozère", limit=None), L.lookup("lozere AUBRAC", limit=None)
    assert a[["level", "code"]].equals(b[["level", "code"]]) and len(a) >= 3
    c = geography.communes().set_index("com")
    for r in a.itertuples():
        assert "aubrac" in L.fold(r.name) and "lozere" in r.why
    coms = a.loc[a["level"] == "commune", "code"]
    assert len(coms) and (coms.map(c["dep"]) == "48").all()  # Aubrac communes of Aveyron are left out
    assert "12214" not in set(a["code"])  # Saint-Chély-d'Aubrac, Aveyron
    words = L.lookup("Nazaire Saint", limit=None)
    assert ("commune", "44184") in set(zip(words["level"], words["code"]))
    assert words.set_index("code").loc["44184", "why"] == "name contains all words (nazaire, saint)"
    assert (L.lookup("Clermon-Ferand")["why"] == "close spelling of 'clermon ferand'").all()


@pytest.mark.parametrize("level, code, said", [
    ("epci", "59392", "59392 is a commune code (Maubeuge): use COMMUNE=59392 or its EPCI: EPCI=200043396"),
    ("ti", "59392", "TI=ti-3210 WAVE=2018 (Hainaut-Douaisis-Cambrésis, 2018-2022), TI=ti-3207 (Grand-Hainaut"),
    ("dep", "20", "Corsica is two départements, 2A (Corse-du-Sud) and 2B (Haute-Corse)"),
    ("commune", "20004", "2A004 (Ajaccio)"),
    ("commune", "01039", "01039 was the commune Béon (dép. 01) in 2020, merged into a commune nouvelle since; "
                         "it joined 01138 Culoz-Béon"),
    ("commune", "200043396", "200043396 is an EPCI code (Communauté d'agglomération Maubeuge Val de Sambre): "
                             "use EPCI=200043396"),
    ("ze2020", "ti-3207", "ti-3207 is a Territoire d'industrie id"),
    ("epci", "Maubeuge", "did you mean EPCI 200043396"),
    ("commune", "75108", "75108 is an arrondissement municipal of Paris, not a commune: use COMMUNE=75056"),
    ("commune", "13201", "arrondissement municipal of Marseille, not a commune: use COMMUNE=13055"),
    ("commune", "69381", "arrondissement municipal of Lyon, not a commune: use COMMUNE=69123"),
    ("dep", "975", "975 is Saint-Pierre-et-Miquelon, a collectivité d'outre-mer, not in INSEE's commune table"),
    ("reg", "988", "988 is Nouvelle-Calédonie, a collectivité d'outre-mer"),
    ("commune", "97501", "97501 (MIQUELON LANGLADE in La Poste's table) is a commune of Saint-Pierre-et-Miquelon, "
                         "a collectivité d'outre-mer"),
    ("commune", "97801", "97801 (SAINT MARTIN in La Poste's table) is a commune of Saint-Martin"),
    ("commune", "Lyon 3e", "Lyon 3e Arrondissement (69383) is an arrondissement municipal, not a commune: use COMMUNE=69123"),
    ("commune", "Papeete", "is not a commune code (5-character INSEE code, e.g. '63113' or '2A004'); PAPEETE (98735, "
                           "Polynésie française): a collectivité d'outre-mer"),
    ("commune", "Saint-Martin", "did you mean commune 32389 (Saint-Martin), commune 54480 (Saint-Martin)"),
    ("commune", "Saint-Martin", "?; Saint-Martin (978), SAINT MARTIN (97801, Saint-Martin): a collectivité d'outre-mer"),
])
def test_a_wrong_kind_of_code_is_refused_with_the_right_one(level, code, said):
    with pytest.raises(geography.UnknownAreaError) as err:
        request.check_request(level, [code])
    msg = str(err.value)
    assert said in msg and "\n" not in msg
    with pytest.raises(geography.UnknownAreaError) as err:
        geography.resolve(level, code)
    assert said in str(err.value)


def test_merged_communes_of_the_ze2010_table_name_the_commune_they_joined():
    m = L.merged_communes()
    z = L._employment.load_ze2010_composition()
    gone = set(z["commune"]) - set(geography.communes()["com"])
    assert set(m["com"]) == gone and len(m) == 36
    sure = m[m["joined"].ne("") & ~m["how"].str.startswith("possibly")]
    assert dict(zip(sure["com"], sure["joined"])).items() >= {"01039": "01138", "69152": "69149", "56049": "56213"}.items()
    known = set(geography.communes()["com"])
    assert m.loc[m["joined"] != "", "joined"].isin(known).all()
    # a spelling fix is not a commune nouvelle: Saint-Amans (09) is not given to Montgailhard (ex Montgaillard)
    assert m.set_index("com").loc["09255", "joined"] == ""
    assert geography.resolve("commune", "2A004").names == ("Ajaccio",)  # the right code the hint gives resolves


@pytest.mark.parametrize("query, said", [
    ("75108", "75108 is an arrondissement municipal of Paris, not a commune: use COMMUNE=75056"),
    ("01039", "it joined 01138 Culoz-Béon"),
    ("20004", "2A004 (Ajaccio)"),
    ("98735", "98735 (PAPEETE in La Poste's table) is a commune of Polynésie française, a collectivité d'outre-mer"),
    ("977", "977 is Saint-Barthélemy, a collectivité d'outre-mer"),
])
def test_a_five_digit_code_that_matches_nothing_says_what_it_is(query, said, capsys):
    assert L.main([query]) == 1
    err = capsys.readouterr().err.strip()
    assert err.startswith(f"nothing matches '{query}'; ") and said in err and "\n" not in err


def test_st_and_ste_are_saint_and_sainte_and_a_ti_id_may_be_spaced():
    """'st nazaire' finds what 'Saint-Nazaire' finds (it found only a TI whose name holds 'eSTuaire'); 'Ste Rose'
    finds Sainte-Rose; 'TI 0401' is the id ti-0401 of both waves; 'stains' stays a word of its own."""
    same = L.lookup("st nazaire", limit=None)
    full = L.lookup("Saint-Nazaire", limit=None)
    assert same[["level", "code", "wave"]].equals(full[["level", "code", "wave"]]) and "44184" in set(same["code"])
    assert ("commune", "97129") in set(zip(L.lookup("Ste Rose", limit=None)["level"], L.lookup("Ste Rose", limit=None)["code"]))
    spaced = L.lookup("TI 0401")
    assert set(zip(spaced["code"], spaced["wave"], spaced["match"])) == {
        ("ti-0401", geography.WAVE_2018, "code"), ("ti-0401", geography.WAVE_2023, "code")}
    assert L.lookup("stains").iloc[0]["code"] == "93072"


def test_a_collectivite_d_outre_mer_named_is_said_not_covered(capsys):
    """'Saint-Martin' finds the communes of that name in the départements and, first, a note that Saint-Martin
    (978) is a collectivité d'outre-mer that nothing here covers; 'Papeete' and 'Miquelon' (no area here) get
    the note before the closest names; a place of the départements gets no note. The collectivités' communes are
    La Poste's, none of them a commune of INSEE's table."""
    coms = tables.collectivity_communes()
    assert {"97501", "97502", "97701", "97801", "98735"} <= set(coms.index)
    assert not set(coms.index) & set(geography.communes()["com"])
    assert L.main(["Saint-Martin"]) == 0
    out = capsys.readouterr().out.splitlines()
    assert out[0].startswith("note: Saint-Martin (978), SAINT MARTIN (97801, Saint-Martin): a collectivité d'outre-mer")
    assert any(line.startswith("commune") and "32389" in line for line in out[1:])
    for query, named in (("Papeete", "PAPEETE (98735, Polynésie française)"),
                         ("miquelon", "Saint-Pierre-et-Miquelon (975), MIQUELON LANGLADE (97501")):
        assert L.main([query]) == 0
        out = capsys.readouterr().out.splitlines()
        assert out[0].startswith(f"note: {named}") and out[1] == f"nothing matches {query!r}; closest names:"
    assert L.main(["Clermont-Ferrand"]) == 0 and "note:" not in capsys.readouterr().out
    assert L.collectivity_note("Pointe-à-Pitre") == "" and L.collectivity_note("") == ""


@pytest.mark.parametrize("query, said", [
    ("Lyon 3e", "Lyon 3e Arrondissement (69383) is an arrondissement municipal, not a commune: use COMMUNE=69123 (Lyon)"),
    ("Lyon 3ème", "Lyon 3e Arrondissement (69383)"),
    ("Marseille 8e arrondissement", "Marseille 8e Arrondissement (13208) is an arrondissement municipal, not a commune: "
                                    "use COMMUNE=13055 (Marseille)"),
    ("paris 1er", "Paris 1er Arrondissement (75101)"),
    ("Paris 16", "Paris 16e Arrondissement (75116)"),
])
def test_an_arrondissement_named_says_which_commune_holds_it(query, said, capsys):
    """An arrondissement asked for by name found only unrelated close names ('Lyon 3e': Yonne first); a note now
    says first that it is no commune and which commune to use."""
    assert L.main([query]) == 0
    out = capsys.readouterr().out.splitlines()
    assert out[0].startswith("note: ") and said in out[0]
    assert L.arrondissement_note("Paris 21e") == "" and L.arrondissement_note("Lyon") == ""
