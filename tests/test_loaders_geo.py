"""Geography loaders: known values read by hand from the raw files, counts, codes, bad inputs."""

import json
import re
import shutil
import zipfile

import pandas as pd
import pytest
from shapely.geometry import Point

from analysis.data import registry as reg
from analysis.data.loaders import geo
from analysis.data.validate import SchemaError
from conftest import one_row

pytestmark = pytest.mark.usefixtures("mirror")


def _raw(key):
    return reg.fetch(key)


# --- INSEE table d'appartenance 2024 -----------------------------------------------------------


def test_communes_2024_counts_and_codes():
    df = geo.load_communes_2024()
    assert len(df) == 34_935
    assert df["com"].is_unique
    assert df["ze2020"].nunique() == 306
    assert df.loc[df["dep"].str.len() == 2, "ze2020"].nunique() == 287  # metropolitan France
    assert df["com"].str.fullmatch(r"\d{5}|2[AB]\d{3}").all()
    assert df["dep"].str.fullmatch(r"\d{2}|2[AB]|97\d").all()
    # 'ZZZZZZZZZ' kept for the 4 island communes outside any EPCI
    assert sorted(df.loc[df["epci"] == "ZZZZZZZZZ", "com"]) == ["22016", "29083", "29155", "85113"]


def test_communes_2024_known_rows():
    df = geo.load_communes_2024().set_index("com")
    issoire = df.loc["63178"]
    assert (issoire["name"], issoire["dep"], issoire["reg"], issoire["epci"], issoire["ze2020"], issoire["aav2020"]) == (
        "Issoire", "63", "84", "200070407", "8410", "194")
    first = df.loc["01001"]  # leading zeros kept everywhere
    assert (first["name"], first["dep"], first["epci"], first["ze2020"], first["uu2020"]) == (
        "L'Abergement-Clémenciat", "01", "200069193", "8405", "01000")


def test_arrondissements_2024():
    df = geo.load_arrondissements_2024().set_index("arm")
    assert len(df) == 45
    assert df.loc["75101", "com"] == "75056" and df.loc["75101", "name"] == "Paris 1er Arrondissement"
    assert df.loc["69381", "epci"] == "200046977"
    assert df["com"].value_counts().to_dict() == {"75056": 20, "13055": 16, "69123": 9}


def test_supra_communal_zones_2024():
    df = geo.load_supra_communal_zones_2024().set_index(["level", "code"])
    assert df.loc[("REG", "84"), "name"] == "Auvergne-Rhône-Alpes"
    assert df.loc[("REG", "84"), "n_communes"] == 4027
    assert df.loc[("DEP", "2A"), "n_communes"] == 124
    assert df.loc[("ZE2020", "8410"), "name"] == "Issoire"
    assert df.loc[("EPCI", "ZZZZZZZZZ"), "n_communes"] == 4
    counts = df.reset_index()["level"].value_counts()
    assert (counts["ZE2020"], counts["REG"], counts["DEP"], counts["EPCI"], counts["EPT"]) == (306, 18, 101, 1256, 12)


def test_appartenance_renamed_column_raises(tmp_path):
    src = _raw("insee_table_appartenance_geo_communes_2024")
    bad = tmp_path / "bad.xlsx"
    with zipfile.ZipFile(src) as zin, zipfile.ZipFile(bad, "w", zipfile.ZIP_DEFLATED) as zout:
        for item in zin.infolist():
            data = zin.read(item.filename)
            if item.filename == "xl/sharedStrings.xml":
                data = data.replace(b">ZE2020<", b">ZE2020_RENAMED<")
            zout.writestr(item, data)
    with pytest.raises(SchemaError, match=r"insee_table_appartenance_geo_communes_2024\.xlsx.*ZE2020"):
        geo.load_communes_2024.parser(bad)


# --- Territoires d'industrie -------------------------------------------------------------------


def test_ti_members_counts():
    df = geo.load_ti_members()
    assert df.groupby("wave")["ti_id"].nunique().to_dict() == {"2018-2022": 149, "2023-2027": 183}
    types = df.groupby(["wave", "member_type"]).size().to_dict()
    assert types == {("2023-2027", "EPCI"): 626, ("2023-2027", "EPT"): 3, ("2023-2027", "commune"): 12,
                     ("2018-2022", "EPCI"): 547, ("2018-2022", "EPT"): 3, ("2018-2022", "commune"): 38}
    assert not df.duplicated(["wave", "ti_id", "member_siren"]).any()
    assert df["member_siren"].str.fullmatch(r"\d{9}").all()
    assert (df["reg"] == df["ti_id"].str[3:5]).all()
    assert not df["ti_name"].str.contains("\u00a0").any()


def test_ti_members_known_territories():
    df = geo.load_ti_members()
    new = df[(df["wave"] == "2023-2027") & (df["ti_id"] == "ti-8406")]
    assert set(new["ti_name"]) == {"Issoire – Brioude"}
    assert sorted(new["member_siren"]) == ["200070407", "200085728", "244301099"]
    old = df[(df["wave"] == "2018-2022") & (df["ti_id"] == "ti-8405")]
    assert set(old["ti_name"]) == {"Issoire - Brioude"}
    assert sorted(old["member_siren"]) == ["200070407", "200085728", "244301099"]
    # trailing NBSP stripped
    assert df.loc[(df["wave"] == "2023-2027") & (df["ti_id"] == "ti-4411"), "ti_name"].iloc[0] == "Pays de Châlons"
    # 2018 names containing ', ' re-joined in SIREN order
    row = df[(df["wave"] == "2018-2022") & (df["member_siren"] == "248500563")]
    assert row["member_name"].tolist() == ["CC Vendée, Sèvre, Autise"]
    ept = df[(df["member_type"] == "EPT") & (df["wave"] == "2023-2027")]
    assert sorted(ept["member_siren"]) == ["200057990", "200058014", "200058097"]


def test_ti_geometries():
    g = geo.load_ti_geometries()
    assert g.crs.to_epsg() == 4326
    assert g.groupby("wave").size().to_dict() == {"2018-2022": 149, "2023-2027": 183}
    assert not g.duplicated(["wave", "ti_id"]).any()
    row = g[(g["wave"] == "2023-2027") & (g["ti_id"] == "ti-8406")].iloc[0]
    assert row["n_members"] == 3
    assert row.geometry.contains(Point(3.2490, 45.5440))  # Issoire town centre
    carros = g[(g["wave"] == "2018-2022") & (g["ti_id"] == "ti-9303")].iloc[0]
    assert carros.geometry.geom_type == "Point"  # 2018 commune members are points


def test_ti_renamed_column_raises(tmp_path):
    p23 = _raw("anct_territoires_industrie_2023_2027")
    bad = tmp_path / "ti.geojson"
    bad.write_text(p23.read_text(encoding="utf-8").replace('"liste_geo"', '"liste_geom"'), encoding="utf-8")
    with pytest.raises(SchemaError, match=r"anct_territoires_industrie_2023_2027\.geojson.*liste_geo"):
        geo.load_ti_members.parser(bad, _raw("anct_territoires_industrie_2018_2022"))


def test_ti_bad_member_format_raises(tmp_path):
    p23 = _raw("anct_territoires_industrie_2023_2027")
    bad = tmp_path / "ti.geojson"
    bad.write_text(p23.read_text(encoding="utf-8").replace("(200070407)", "(20007040)"), encoding="utf-8")
    with pytest.raises(SchemaError, match=r"liste_geo.*ti-8406"):
        geo.load_ti_members.parser(bad, _raw("anct_territoires_industrie_2018_2022"))


# --- IGN TopoJSON shapes -----------------------------------------------------------------------


def test_ze2020_shapes():
    g = geo.load_ze2020_shapes()
    assert g.crs.to_epsg() == 4326 and len(g) == 287 and g["ze2020"].is_unique
    assert g["ze2020"].str.fullmatch(r"\d{4}").all() and "0051" in set(g["ze2020"])
    issoire = g.set_index("ze2020").loc["8410"]
    assert (issoire["name"], issoire["n_communes"]) == ("Issoire", 138)
    assert issoire.geometry.contains(Point(3.2490, 45.5440))
    assert g.is_valid.all()


def test_admin_shapes_2025():
    e = geo.load_epci_shapes().set_index("epci")
    assert len(e) == 1244 and e.crs.to_epsg() == 4326 and e.is_valid.all()
    assert e.loc["200070407", "name"] == "CA Agglo Pays d'Issoire"
    assert {"200054781", "75056", "200057941"} <= set(e.index)  # Grand Paris AND its EPT overlap
    d = geo.load_departement_shapes().set_index("dep")
    assert len(d) == 96 and d.loc["63", "name"] == "Puy-de-Dôme" and {"2A", "2B", "01"} <= set(d.index)
    assert d.is_valid.all()
    r = geo.load_region_shapes().set_index("reg")
    assert len(r) == 13 and r.loc["84", "name"] == "Auvergne-Rhône-Alpes" and r.is_valid.all()
    assert r.loc["84"].geometry.contains(Point(3.2490, 45.5440))


def test_topojson_renamed_property_raises(tmp_path):
    bad = tmp_path / "ze.topojson"
    bad.write_text(_raw("ign_zones_emploi_2020_metro_2025").read_text(encoding="utf-8").replace('"libze2020"', '"lib"'),
                   encoding="utf-8")
    with pytest.raises(SchemaError, match=r"ign_zones_emploi_2020_metro_2025\.topojson.*libze2020"):
        geo.load_ze2020_shapes.parser(bad)


# --- reference lists, métropoles -----------------------------------------------------------------


def test_epci_reference():
    df = geo.load_epci_reference().set_index("epci")
    assert len(df) == 1267 and "ZZZZZZZZZ" not in df.index
    assert df["type"].value_counts().to_dict() == {"CC": 989, "CA": 230, "MET": 22, "CU": 14, "EPT": 12}
    issoire = df.loc["200070407"]
    assert (issoire["type"], issoire["density"], issoire["reg"], issoire["dep"]) == ("CA", 3, "84", "63")
    assert df.loc["75056", "in_grand_paris"] and df.loc["75056", "type"] == "EPT"
    assert df["metropole_area"].sum() == 34
    assert df.loc["249710062", "reg"] == "01"  # '1' in the file: leading zero restored


def test_ze2020_reference():
    df = geo.load_ze2020_reference().set_index("ze2020")
    assert len(df) == 306
    assert df.loc["0051", "name"] == "Alençon" and df.loc["0051", "n_communes"] == 184
    assert not df.loc["8410", "has_metropole"] and df.loc["8408", "has_metropole"]
    assert df["has_metropole"].sum() == 29
    assert df.index.str.fullmatch(r"\d{4}").all()
    # has_metropole = the zone holds a commune of one of the 22 métropoles
    com = geo.load_communes_2024()
    met_ze = set(com.loc[com["epci"].isin(geo.load_metropoles()["siren"]), "ze2020"])
    assert met_ze == set(df.index[df["has_metropole"]])


def test_reference_csv_renamed_column_raises(tmp_path):
    bad = tmp_path / "ze.csv"
    text = _raw("ze2020_reference_2025").read_text(encoding="utf-8-sig")
    bad.write_text(text.replace("has_metropole", "has_metro", 1), encoding="utf-8-sig")
    with pytest.raises(SchemaError, match=r"ze2020_reference_2025\.csv.*has_metropole"):
        geo.load_ze2020_reference.parser(bad)


def test_metropoles():
    df = geo.load_metropoles()
    assert len(df) == 22 and df["siren"].is_unique
    assert df["status"].value_counts().to_dict() == {"EPCI": 21, "collectivité à statut particulier": 1}
    lyon = df.set_index("siren").loc["200046977"]
    assert (lyon["name"], lyon["status"]) == ("Métropole de Lyon", "collectivité à statut particulier")
    assert {"246300701", "200054781", "200054807"} <= set(df["siren"])  # Clermont, Grand Paris, Aix-Marseille


def test_metropoles_disagreement_raises(tmp_path):
    ref = _raw("epci_reference_2025").read_text(encoding="utf-8-sig")
    bad = tmp_path / "ref.csv"
    bad.write_text(ref.replace(";MET;Métropole;", ";CU;Communauté urbaine;", 1), encoding="utf-8-sig")
    with pytest.raises(SchemaError, match="métropoles differ"):
        geo.load_metropoles.parser(_raw("etalab_decoupage_administratif_epci"), bad)


def test_epci_communes():
    df = geo.load_epci_communes()
    assert len(df) == 34_931 and df["com"].is_unique
    row = df.set_index("com").loc["63178"]
    assert (row["com_siren"], row["com_name"], row["population_municipale"], row["population_totale"]) == (
        "216301788", "Issoire", 15014, 15389)
    assert (row["epci"], row["epci_type"]) == ("200070407", "CA")
    assert (df["epci"] == "200070407").sum() == 88
    assert row["epci_population_municipale"] == 56594
    # same membership as the INSEE 2024 table
    com = geo.load_communes_2024().set_index("com")["epci"]
    assert (com.loc[df["com"]].to_numpy() == df["epci"].to_numpy()).all()


def test_etalab_missing_field_raises(tmp_path):
    data = json.loads(_raw("etalab_decoupage_administratif_epci").read_text(encoding="utf-8"))
    for e in data:
        del e["populationMunicipale"]
    bad = tmp_path / "epci.json"
    bad.write_text(json.dumps(data), encoding="utf-8")
    with pytest.raises(SchemaError, match=r"etalab_decoupage_administratif_epci\.json.*populationMunicipale"):
        geo.load_epci_communes.parser(bad)


# --- ANCT shapes, centroids, 2018 shapes ----------------------------------------------------------


def test_anct_shapes_and_centroids():
    d = geo.load_anct_departements().set_index("dep")
    assert len(d) == 101 and d.loc["976", "name"] == "Mayotte" and d.loc["01", "name"] == "Ain"
    r = geo.load_anct_regions().set_index("reg")
    assert len(r) == 18 and r.loc["01", "name"] == "Guadeloupe"
    c = geo.load_epci_centroids().set_index("siren")
    assert len(c) == 1266 and c.crs.to_epsg() == 4326
    assert c["type"].value_counts().to_dict() == {"EPCI": 1255, "EPT": 11}
    assert (c.loc["200057941", "name"], c.loc["200057941", "type"]) == ("#ParisEstMarne&Bois", "EPT")
    assert c.loc["200000172", "name"] == "CC Faucigny - Glières"


def test_geojson_renamed_property_raises(tmp_path):
    bad = tmp_path / "dep.geojson"
    bad.write_text(_raw("anct_departements_2025").read_text(encoding="utf-8").replace('"lib_dep"', '"libelle"'),
                   encoding="utf-8")
    with pytest.raises(SchemaError, match=r"anct_departements_2025\.geojson.*lib_dep"):
        geo.load_anct_departements.parser(bad)


def test_shapes_2018():
    d = geo.load_departements_2018_simplified().set_index("dep")
    assert len(d) == 96 and d.loc["2A", "name"] == "Corse-du-Sud"
    c = geo.load_communes_2018_auvergne_shapes()
    assert len(c) == 1367 and c["com"].is_unique
    assert c["dep"].value_counts().to_dict() == {"63": 467, "42": 326, "03": 317, "43": 257}
    issoire = c.set_index("com").loc["63178"]
    assert issoire["name"] == "Issoire" and issoire.geometry.contains(Point(3.2490, 45.5440))
    # COG 2018 codes: 6 absorbed by communes nouvelles since
    com24 = set(geo.load_communes_2024()["com"])
    assert (~c["com"].isin(com24)).sum() == 6


def test_communes_2018_bad_code_raises(tmp_path):
    keys = geo._AUVERGNE_2018
    paths = [_raw(k) for k in keys]
    bad = tmp_path / "43.geojson"
    shutil.copy(paths[2], bad)
    bad.write_text(re.sub(r'"code":"43(\d{3})"', r'"code":"63\1"', bad.read_text(encoding="utf-8"), count=1),
                   encoding="utf-8")
    with pytest.raises(SchemaError, match=r"france_communes_43-haute-loire_2018\.geojson.*43"):
        geo.load_communes_2018_auvergne_shapes.parser(paths[0], paths[1], bad, paths[3])


# --- La Poste postcode table (2022) -------------------------------------------------------------


def test_laposte_postcodes_known_rows():
    df = geo.load_laposte_postcodes_2022()
    assert list(df.columns) == ["com", "name", "postcode", "locality", "delivery_label", "lat", "lon"]
    assert len(df) == 39_204
    first = one_row(df, com="01009")  # first data line of the raw file, read by hand
    assert (first["name"], first["postcode"], first["delivery_label"]) == ("ANDERT ET CONDON", "01300", "ANDERT ET CONDON")
    assert pd.isna(first["locality"])  # empty 'Ligne_5' is missing, not ''
    assert (first["lat"], first["lon"]) == pytest.approx((45.7873565333, 5.65788307924))
    # one postcode, eleven communes (Saint-Quentin, 02100); one commune, several postcodes and localities
    assert df.loc[df["postcode"] == "02100", "com"].nunique() == 11
    dk = df[df["com"] == "59183"]
    assert sorted(dk["postcode"].unique()) == ["59140", "59240", "59279", "59430", "59640"]
    assert "MALO LES BAINS" in set(dk["locality"].dropna())
    assert df.loc[df["com"] == "75101", "postcode"].tolist() == ["75001"]  # Paris by arrondissement
    assert df["com"].str.startswith("2A").any() and df["postcode"].str.fullmatch(r"\d{5}").all()


def test_laposte_postcodes_match_raw_file():
    raw = pd.read_csv(_raw("laposte_hexasmal_2022"), sep=";", dtype=str, keep_default_na=False)
    df = geo.load_laposte_postcodes_2022()
    assert len(df) == len(raw)
    assert raw.groupby("Code_postal")["Code_commune_INSEE"].nunique().eq(1).sum() == \
        df.groupby("postcode")["com"].nunique().eq(1).sum() == 2_119


def test_laposte_renamed_column_raises(tmp_path):
    bad = tmp_path / "laposte.csv"
    text = _raw("laposte_hexasmal_2022").read_text(encoding="utf-8")
    bad.write_text(text.replace("Code_postal", "CP", 1), encoding="utf-8")
    with pytest.raises(SchemaError, match=r"laposte_hexasmal_2022\.csv.*Code_postal"):
        geo.load_laposte_postcodes_2022.parser(bad)


def test_laposte_swapped_coordinates_raise(tmp_path):
    bad = tmp_path / "laposte.csv"
    lines = _raw("laposte_hexasmal_2022").read_text(encoding="utf-8").splitlines()
    head, row = lines[0], lines[1].split(";")
    row[5], row[6] = row[6], row[5]  # latitude <-> longitude of ANDERT ET CONDON
    bad.write_text("\n".join([head, ";".join(row), *lines[2:]]) + "\n", encoding="utf-8")
    with pytest.raises(SchemaError, match=r"laposte_hexasmal_2022\.csv.*swapped.*01009"):
        geo.load_laposte_postcodes_2022.parser(bad)
