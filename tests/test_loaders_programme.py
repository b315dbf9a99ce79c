"""Programme loaders: known values read by hand from the raw files, row counts, codes, bad input."""

from __future__ import annotations

import json

import pandas as pd
import pytest
from conftest import one_row

from analysis.data.loaders import programme as pr
from analysis.data.registry import fetch
from analysis.data.validate import SchemaError


@pytest.fixture(scope="session")
def metiers():
    return pr.load_metiers_2030()


@pytest.fixture(scope="session")
def friches():
    return pr.load_fonds_friches()


@pytest.fixture(scope="session")
def sites():
    return pr.load_cartofriches_sites()


@pytest.fixture(scope="session")
def patents():
    return pr.load_patents_by_departement()




# --- Métiers 2030 -----------------------------------------------------------------------------

def test_metiers_known_cells(metiers):
    # first record: J5Z, Auvergne-Rhône-Alpes, effectifs_2019_milliers 19.80174568758418
    r = one_row(metiers, fap="J5Z", reg="84", variable="effectifs_2019_milliers")
    assert r["value"] == pytest.approx(19.80174568758418, rel=1e-12)
    assert r["unit"] == "thousand persons"
    # E1Z Bretagne postes_a_pourvoir_milliers 8.39717468028062
    assert one_row(metiers, fap="E1Z", reg="53", variable="postes_a_pourvoir_milliers")["value"] == pytest.approx(8.39717468028062)
    # J5Z ARA niveau_tension_2019 "4"; XK_ is 'hors champ' -> NaN
    assert one_row(metiers, fap="J5Z", reg="84", variable="niveau_tension_2019")["value"] == 4.0
    assert pd.isna(one_row(metiers, fap="XK_", reg="84", variable="niveau_tension_2019")["value"])


def test_metiers_shape(metiers):
    assert len(metiers) == 1049 * len(pr.METIERS_VARIABLES)
    per_region = metiers[metiers["variable"] == "effectifs_2019_milliers"].groupby("reg").size()
    assert len(per_region) == 13 and per_region["94"] == 53 and per_region["84"] == 83
    assert one_row(metiers, fap="J5Z", reg="75", variable="effectifs_2019_milliers")["reg_name"] == "Nouvelle Aquitaine"
    grouped = metiers.loc[metiers["fap_grouped"], "reg"].unique().tolist()
    assert grouped == ["94"]


def test_metiers_missing_field(tmp_path):
    records = json.loads(fetch("dares_metiers_2030_regions").read_text(encoding="utf-8"))
    for r in records:
        r["emploi_2019"] = r.pop("effectifs_2019_milliers")
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps(records[:40]), encoding="utf-8")
    with pytest.raises(SchemaError, match=r"dares_metiers_2030_regions\.json.*effectifs_2019_milliers"):
        pr.load_metiers_2030.parser(bad)


# --- Fonds friches ----------------------------------------------------------------------------

def test_fonds_friches_editions(friches):
    assert len(friches) == 4446
    assert friches["dossier_id"].is_unique
    counts = friches.groupby("call_id").size().to_dict()
    assert counts == {"36961": 1129, "46904": 1186, "54008": 695, "68862": 1436}
    editions = friches.drop_duplicates("call_id").set_index("call_id")[["edition", "edition_year"]]
    assert editions.loc["36961"].tolist() == [1, 2021]
    assert editions.loc["46904"].tolist() == [2, 2021]
    assert editions.loc["54008"].tolist() == [3, 2022]
    assert editions.loc["68862"].tolist() == [4, 2023]
    assert int(friches["laureate"].sum()) == 1636


def test_fonds_friches_known_dossier(friches):
    # first row of fr_g_fdfriche_r: Nouvelle-Aquitaine, 36961, Oui, 3649088, Zone C, deficit 587050
    r = one_row(friches, dossier_id="3649088")
    assert r["call_id"] == "36961" and r["edition"] == 1 and bool(r["laureate"])
    assert r["reg"] == "75" and r["zone_abc"] == "Zone C"
    assert r["deficit_eur"] == 587050
    assert r["site_area_ha"] == pytest.approx(0.0256)
    r = one_row(friches, dossier_id="11369350")
    assert r["friche_nature"] == "Friche industrielle ou minière" and r["industrial_or_mining"]
    assert not friches["friche_nature"].dropna().str.contains("\x96|\t").any()


# --- Cartofriches -----------------------------------------------------------------------------

def test_cartofriches_sites(sites):
    assert len(sites) == 23_878
    assert sites["site_id"].is_unique
    r = one_row(sites, site_id="31555_16063")  # NXP Semiconductors, Toulouse
    assert r["com"] == "31555" and r["dep"] == "31"
    assert r["site_surface"] == pytest.approx(54949.22)
    assert r["lon"] == pytest.approx(1.39089, abs=1e-5) and r["lat"] == pytest.approx(43.560458, abs=1e-5)
    assert "geom" not in sites.columns
    assert (sites["source_r"] == "AAP").sum() == 3700
    assert sites["dossier_id"].notna().sum() == 2206
    assert {"2A", "2B", "971"} <= set(sites["dep"])
    assert sites["com"].str.fullmatch(r"\d{5}|2[AB]\d{3}").all()


def test_cartofriches_dossier_join(sites, friches):
    linked = sites["dossier_id"].dropna().unique()
    share = pd.Series(linked).isin(friches["dossier_id"]).mean()
    assert share > 0.9


# --- patents ----------------------------------------------------------------------------------

def test_patents_known_rows(patents):
    # raw: 'CEA;5238;H01L;...;Paris;75'
    r = one_row(patents, firm_name="CEA")
    assert r["n_patents"] == 5238 and r["dep"] == "75" and r["dep_check"] == "as_written"
    # raw: 'STAR LIGHT;4;F16L;...;Nice;60' -> Nice is in 06
    r = one_row(patents, firm_name="STAR LIGHT")
    assert r["dep_raw"] == "60" and r["dep"] == "06" and r["dep_check"] == "leading_zero_restored"
    # raw: 'ARCELORMITTAL WIRE FRANCE;6;C22C;Alloys;;;Bourg en Bresse;10' -> 01
    assert one_row(patents, firm_name="ARCELORMITTAL WIRE FRANCE")["dep"] == "01"


def test_patents_shape(patents):
    assert len(patents) == 11_257
    assert patents["firm_name"].is_unique
    assert int(patents["n_patents"].sum()) == 101_737
    assert not patents["dep_raw"].dropna().str.match(r"0\d").any()  # the source never writes 01-09
    assert patents["dep"].dropna().str.match(r"0\d").sum() > 400
    assert (patents["period_start"] == 2010).all() and (patents["period_end"] == 2020).all()


def test_patents_renamed_column(tmp_path):
    src = fetch("patents_by_applicant_2010_2020")
    lines = src.read_text(encoding="utf-8").splitlines(keepends=True)
    lines[0] = lines[0].replace("n_patents", "nb_brevets")
    bad = tmp_path / "bad.csv"
    bad.write_text("".join(lines[:30]), encoding="utf-8")
    with pytest.raises(SchemaError, match=r"patents_by_applicant_2010_2020\.csv.*n_patents"):
        pr.load_patents_by_departement.parser(bad, fetch("insee_table_appartenance_geo_communes_2024"))


def test_fabriques_prospectives_against_the_raw_geojson(mirror, tmp_path):
    import json

    from analysis.data.loaders import programme as Pg
    from analysis.data.validate import SchemaError

    raw = json.loads((mirror / "programme" / "anct_fabriques_prospectives_2023.geojson").read_text(encoding="utf-8"))
    expected = {f["properties"]["id_fabp"]: len(f["properties"]["siren_groupement"].split(","))
                for f in raw["features"]}
    f = Pg.load_fabriques_prospectives()
    assert f["fabrique"].nunique() == len(expected) == 22
    assert f.drop_duplicates("fabrique").set_index("fabrique")["n_members"].to_dict() == expected
    assert f["member_siren"].str.fullmatch(r"\d{9}").all()
    # a name with a comma ("CA de Béthune-Bruay, Artois-Lys Romane") does not add a member
    assert expected["fabp-01"] == 4 and "Béthune-Bruay, Artois-Lys Romane" in f.loc[f["fabrique"] == "fabp-01",
                                                                                    "members_label"].iloc[0]
    raw["features"][0]["properties"]["siren_groupement"] += ",12345"
    bad = tmp_path / "bad.geojson"
    bad.write_text(json.dumps(raw), encoding="utf-8")
    with pytest.raises(SchemaError, match="anct_fabriques_prospectives_2023.geojson.*fabp-01.*12345"):
        Pg.load_fabriques_prospectives.parser(bad)
