"""EU ETS installations placed in their own commune (issue 25, item 4).

Known answers come from constructed tables or from the raw files read with plain pandas, never
from the functions under test."""

import unicodedata

import numpy as np
import pandas as pd
import pytest

from analysis.data import registry as reg
from analysis.data.loaders import ets
from analysis.geo import areas
from analysis.methods import emitters as em

# ---------------------------------------------------------------------------------------------
# Constructed cases
# ---------------------------------------------------------------------------------------------


def _postcodes() -> pd.DataFrame:
    """A made-up département '11': postcode 11100 serves AAA and BBB SUR MER (centroids 8 km apart),
    11200 serves CCC only, 11300 serves DDD; commune 11990 was merged (no 2024 code); PARIS 01
    lies in '75'."""
    rows = [  # com, name, postcode, locality, label, lat, lon, com_2024, name_2024, how
        ("11001", "AAA", "11100", None, "AAA", 45.00, 1.00, "11001", "Aaa", "2024"),
        ("11002", "BBB SUR MER", "11100", None, "AAA", 45.00, 1.10, "11002", "Bbb-sur-Mer", "2024"),
        ("11003", "CCC", "11200", "HAMEAU DE CCC", "CCC", 45.50, 1.00, "11003", "Ccc", "2024"),
        ("11004", "DDD", "11300", None, "DDD", 45.80, 1.00, "11004", "Ddd", "2024"),
        ("11990", "OLD TOWN", "11300", None, "DDD", 45.90, 1.00, None, None, "not a 2024 commune"),
        ("75101", "PARIS 01", "75001", None, "PARIS", 48.86, 2.34, "75056", "Paris", "arrondissement"),
    ]
    df = pd.DataFrame(rows, columns=["com", "name", "postcode", "locality", "delivery_label", "lat", "lon",
                                     "com_2024", "name_2024", "how"])
    df["dep_prefix"] = df["postcode"].str[:2]
    return df


def _site(i, zip_code, city, lon=np.nan, lat=np.nan):
    return {"installation_id": i, "name": f"site {i}", "zip_code": zip_code, "city": city, "lon": lon, "lat": lat}


def test_fold_place_name():
    assert em.fold_place_name("Saint-Maurice l'Exil") == "SAINT MAURICE L EXIL"
    assert em.fold_place_name("Albi Cedex 9") == "ALBI"
    assert em.fold_place_name("St Fons") == "SAINT FONS"
    assert em.fold_place_name("Le Mesnil - Amelot") == "LE MESNIL AMELOT"
    assert em.fold_place_name("Saint-Paul-lez-Durance") == "SAINT PAUL LES DURANCE"
    assert em.fold_place_name(None) == "" and em.fold_place_name(np.nan) == ""


def test_place_sites_constructed_cases():
    sites = pd.DataFrame([
        _site("by-city", "11100", "Bbb-sur-Mer Cedex 2", 1.00, 45.00),     # coordinates on AAA: the town decides
        _site("by-coords", "11100", "Nowhere", 1.099, 45.001),            # town unknown: the nearest centroid, BBB
        _site("too-far", "11100", "Nowhere", 3.0, 45.0),                  # over 10 km from both centroids
        _site("no-coords", "11100", "Nowhere"),
        _site("town-wins", "11200", "Ddd"),                               # postcode of CCC, town DDD of the département
        _site("single", "11200", "Hameau inconnu"),                       # the postcode's only commune
        _site("locality", "11200", "Hameau de Ccc"),
        _site("cedex", "11399", "DDD CEDEX"),                              # CEDEX postcode: the town in the département
        _site("cedex-unknown", "11399", "Qqq Cedex"),                     # cannot be placed
        _site("disagree", "11200", "Paris"),                               # town of another département
        _site("merged", "11300", "Old Town"),                              # 2022 commune without a 2024 code
        _site("typo", "11100", "Bbb sur Merr"),                            # close spelling
    ])
    out = em.place_sites(sites, _postcodes()).set_index("installation_id")
    expect = {"by-city": ("11002", "postcode+city"), "by-coords": ("11002", "postcode+coordinates"),
              "too-far": (None, "unplaced"), "no-coords": (None, "unplaced"),
              "town-wins": ("11004", "département+city"), "single": ("11003", "single commune postcode"),
              "locality": ("11003", "postcode+city"), "cedex": ("11004", "département+city"),
              "cedex-unknown": (None, "unplaced"), "disagree": (None, "unplaced"), "merged": (None, "unplaced"),
              "typo": ("11002", "postcode+city")}
    for i, (com, method) in expect.items():
        assert out.loc[i, "method"] == method, (i, out.loc[i, "reason"])
        assert (pd.isna(out.loc[i, "com"]) if com is None else out.loc[i, "com"] == com), i
    assert set(out["method"]) <= set(em.PLACEMENT_METHODS)
    assert "10" in out.loc["too-far", "reason"] and "no coordinates" in out.loc["no-coords", "reason"]
    assert "disagree" in out.loc["disagree", "reason"] and "75056" in out.loc["disagree", "reason"]
    assert "11990" in out.loc["merged", "reason"]
    assert out.loc["by-city", "distance_km"] == pytest.approx(0.1 * 111.2 * np.cos(np.radians(45)), rel=1e-3)
    assert out.loc["by-city", "n_candidates"] == 2 and out.loc["cedex", "n_candidates"] == 0
    # without coordinates the undecided site stays unplaced, never given to the postcode's first commune
    off = em.place_sites(sites, _postcodes(), use_coordinates=False).set_index("installation_id")
    assert off.loc["by-coords", "method"] == "unplaced" and "coordinates not used" in off.loc["by-coords", "reason"]
    assert (off.drop(index="by-coords")["method"] == out.drop(index="by-coords")["method"]).all()


def test_place_sites_registry_postcode_is_tried_too():
    s = pd.DataFrame([_site("x", "11999", "Ccc")]).assign(zip_code_registry="11200")
    out = em.place_sites(s, _postcodes()).iloc[0]
    assert (out["com"], out["method"], out["postcode"]) == ("11003", "postcode+city", "11200")


def test_place_sites_missing_columns_raise():
    with pytest.raises(em.EmittersError, match=r"sites lack column\(s\) \['city'\].*ets_site_locations"):
        em.place_sites(pd.DataFrame({"installation_id": ["1"], "zip_code": ["11100"], "lon": [1.0], "lat": [45.0]}),
                       _postcodes())
    with pytest.raises(em.EmittersError, match="postcode_communes_2024"):
        em.place_sites(pd.DataFrame([_site("x", "11100", "Aaa")]), _postcodes().drop(columns="com_2024"))


def test_sites_in_area_counts_members_only():
    sites = pd.DataFrame([_site("a", "11100", "Aaa"), _site("b", "11100", "Bbb sur Mer"), _site("c", "11200", "Ccc"),
                          _site("u", "11399", "Qqq")])
    placed = em.place_sites(sites, _postcodes())
    assert em.sites_in_area(placed, ["11001", "11003"])["installation_id"].tolist() == ["a", "c"]
    assert em.sites_in_area(placed, pd.DataFrame({"com": ["11002"]}))["installation_id"].tolist() == ["b"]
    assert em.sites_in_area(placed, ["11004"]).empty  # a commune with no site
    # the unplaced site is never counted, but is listed for the areas of its département
    assert "u" not in set(em.sites_in_area(placed, ["11001", "11002", "11003", "11004"])["installation_id"])
    assert em.unplaced_sites(placed, ["11004"])["installation_id"].tolist() == ["u"]
    assert em.unplaced_sites(placed, ["75056"]).empty
    with pytest.raises(em.EmittersError, match="'com' column"):
        em.sites_in_area(placed, pd.DataFrame({"code": ["11001"]}))


def test_postcode_communes_2024_maps_2022_codes(mirror):
    pcs = pd.DataFrame({"com": ["59183", "75101", "69152", "99999"],
                        "name": ["DUNKERQUE", "PARIS 01", "PIERRE BENITE", "NOWHERE"],
                        "postcode": ["59140", "75001", "69310", "99999"]})
    out = em.postcode_communes_2024(pcs).set_index("com")
    assert out["com_2024"].tolist()[:3] == ["59183", "75056", "69149"]  # Oullins-Pierre-Bénite, 1 January 2024
    assert out["how"].tolist() == ["2024", "arrondissement", "name in commune nouvelle", "not a 2024 commune"]
    assert pd.isna(out.loc["99999", "com_2024"]) and out.loc["69152", "name_2024"] == "Oullins-Pierre-Bénite"


# ---------------------------------------------------------------------------------------------
# The mirror's files
# ---------------------------------------------------------------------------------------------


def _fold(s: str) -> str:
    s = unicodedata.normalize("NFKD", s).encode("ascii", "ignore").decode().upper()
    s = "".join(ch if ch.isalnum() else " " for ch in s).split(" CEDEX")[0]
    return " ".join(s.split())


@pytest.fixture(scope="module")
def raw_sites():
    """One row per installation of the geo extract with the registry's town, plain pandas."""
    g = pd.read_csv(reg.fetch(ets.EMISSIONS_FR_GEO), dtype=str, keep_default_na=False)
    i = pd.read_csv(reg.fetch(ets.INSTALLATIONS_FR), dtype=str, keep_default_na=False)
    s = g.drop_duplicates("seqe_id")[["seqe_id", "zip_code", "X", "Y", "installation_name"]]
    return s.merge(i[["InstallationOrAircraftOperatorID", "City"]], left_on="seqe_id",
                   right_on="InstallationOrAircraftOperatorID").set_index("seqe_id")


@pytest.fixture(scope="module")
def raw_laposte():
    return pd.read_csv(reg.fetch("laposte_hexasmal_2022"), sep=";", dtype=str, keep_default_na=False)


@pytest.fixture(scope="module")
def placed():
    return em.placed_ets_sites()


@pytest.fixture(scope="module")
def emissions_2022_kt():
    g = pd.read_csv(reg.fetch(ets.EMISSIONS_FR_GEO), dtype=str, keep_default_na=False)
    g = g[(g["year"] == "2022") & (g["emissions"] != "")]
    return g.set_index("seqe_id")["emissions"].astype(float) / 1e3


def test_every_installation_gets_one_row(placed, raw_sites):
    assert len(placed) == len(raw_sites) == 1_570 and placed["installation_id"].is_unique
    assert set(placed["method"]) <= set(em.PLACEMENT_METHODS)
    ok = placed["method"] != "unplaced"
    assert placed.loc[ok, "com"].notna().all() and placed.loc[~ok, "com"].isna().all()
    assert placed["reason"].str.len().gt(0).all()
    assert placed.loc[ok, "com"].isin(set(areas.communes()["com"])).all()
    assert (~ok).sum() < 40  # about 20 unplaced, each with its reason


def test_a_site_placed_by_postcode_and_city(placed, raw_sites, raw_laposte):
    """SN GREGOIRE (510): its postcode's La Poste rows, the one whose name is its town (plain pandas)."""
    site = raw_sites.loc["510"]
    rows = raw_laposte[raw_laposte["Code_postal"] == site["zip_code"]]
    assert rows["Code_commune_INSEE"].nunique() > 1  # the postcode alone does not decide
    expected = rows.loc[rows["Nom_commune"] == _fold(site["City"]), "Code_commune_INSEE"].unique()
    assert len(expected) == 1
    got = placed.set_index("installation_id").loc["510"]
    assert (got["com"], got["method"]) == (expected[0], "postcode+city")


def test_a_site_with_a_cedex_postcode_is_placed_by_its_town(placed, raw_sites, raw_laposte):
    """ArcelorMittal Dunkerque (956): postcode 59381 is a CEDEX one, absent from La Poste; its town is Dunkerque."""
    assert raw_sites.loc["956", "zip_code"] not in set(raw_laposte["Code_postal"])
    dk = raw_laposte.loc[raw_laposte["Nom_commune"] == _fold(raw_sites.loc["956", "City"]), "Code_commune_INSEE"]
    assert set(dk) == {"59183"}
    got = placed.set_index("installation_id").loc["956"]
    assert (got["com"], got["method"]) == ("59183", "département+city")


def test_sites_that_cannot_be_placed(placed, raw_sites, raw_laposte):
    """Aurillac's biomass boiler (215780) has the postcode of Angoulême (16000, one commune) and the
    town AURILLAC (Cantal): postcode and town disagree, so it is unplaced, not given to Angoulême."""
    site = raw_sites.loc["215780"]
    assert set(raw_laposte.loc[raw_laposte["Code_postal"] == site["zip_code"], "Nom_commune"]) == {"ANGOULEME"}
    assert set(raw_laposte.loc[raw_laposte["Nom_commune"] == _fold(site["City"]), "Code_commune_INSEE"]) == {"15014"}
    p = placed.set_index("installation_id")
    assert p.loc["215780", "method"] == "unplaced" and "disagree" in p.loc["215780", "reason"]
    # Roissy's airport power plant: a CEDEX postcode and a town ('Roissy CDG') that names no commune
    assert p.loc["724", "method"] == "unplaced" and pd.isna(p.loc["724", "com"])


def test_extract_coordinates_are_one_point_per_postcode(raw_sites, placed):
    """Why placed_ets_sites does not let coordinates decide: installations of one postcode carry the
    same coordinates whatever their town (02100: 'TEINTURERIE DE LA CHAUSSEE ROMAINE' in Saint-Quentin
    and ENGIE's plant in Omissy, both at the centroid of Lesdins)."""
    s = raw_sites.assign(com=raw_sites.index.map(placed.set_index("installation_id")["com"]))
    by_zip = s.groupby("zip_code").agg(communes=("com", "nunique"), points=("X", "nunique"))
    several = by_zip[by_zip["communes"] > 1]
    assert len(several) > 50 and (several["points"] == 1).all()
    assert s.loc["14", ["X", "Y"]].tolist() == s.loc["15", ["X", "Y"]].tolist()
    assert (s.loc["14", "com"], s.loc["15", "com"]) == ("02691", "02571")


# ---------------------------------------------------------------------------------------------
# The territories
# ---------------------------------------------------------------------------------------------


def test_ze_3220_sites_by_commune(placed, emissions_2022_kt):
    """ZE 3220 Saint-Quentin: the EPCI outlines counted 22 installations and 677.5 kt (2022); placed in
    their communes, 17 installations lie in the zone, 9 of them with a 2022 figure (546.9 kt).
    WILLIAM SAURIN (Pouilly-sur-Serre) and AHLSTROM (Rougeries) came from EPCIs mostly outside."""
    area = areas.resolve("ze2020", "3220")
    inside = em.sites_in_area(placed, area.communes)
    ids = set(inside["installation_id"])
    assert ids == {"1", "14", "15", "16", "2", "205797", "205798", "21", "210662", "5", "52", "53", "54", "55", "6",
                   "60", "63"}
    members = set(area.communes["com"])
    assert inside["com"].isin(members).all()
    assert not ids & {"17", "18"}
    assert placed.set_index("installation_id").loc["17", "com"] not in members
    kt = emissions_2022_kt.reindex(sorted(ids)).dropna()
    assert len(kt) == 9 and kt.sum() == pytest.approx(546.9, abs=0.05)


def test_zuydcoote_holds_no_arcelormittal(placed):
    """Zuydcoote (59668, 1,580 inhabitants) holds no installation; ArcelorMittal is in Dunkerque."""
    area = areas.resolve("commune", "59668")
    assert em.sites_in_area(placed, area.communes).empty
    dk = em.sites_in_area(placed, areas.resolve("commune", "59183").communes)
    assert "956" in set(dk["installation_id"])


def test_ti_9303_carros_2018_has_no_peille_cement_works(placed):
    """TI ti-9303 (Carros, 2018 wave): no installation of the extract lies in its communes; the Vicat
    cement works 'GRAVE DE PEILLE' (595) and the Lafarge works of Contes (593) lie in communes
    outside it (Blausasc, Contes)."""
    area = areas.resolve("ti", "ti-9303", wave="2018-2022")
    assert em.sites_in_area(placed, area.communes).empty
    p = placed.set_index("installation_id")
    assert (p.loc["595", "com"], p.loc["593", "com"]) == ("06019", "06048")
    assert not {"06019", "06048"} & set(area.communes["com"])
