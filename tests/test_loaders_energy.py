"""Energy loaders: known values read by hand from the raw files, row counts, codes, keys, bad input."""

from __future__ import annotations


import pandas as pd
import pytest
from conftest import one_row

from analysis.data.loaders import energy as en
from analysis.data.registry import fetch
from analysis.data.validate import SchemaError


@pytest.fixture(scope="session")
def rte():
    return en.load_rte_balances()


@pytest.fixture(scope="session")
def h2():
    return en.load_rte_hydrogen()


@pytest.fixture(scope="session")
def bc():
    return en.load_base_carbone()


@pytest.fixture(scope="session")
def heat():
    return en.load_heat_networks_dpe()


@pytest.fixture(scope="session")
def bio():
    return en.load_biomethane_injection_points()


@pytest.fixture(scope="session")
def conso():
    return en.load_odre_consumption_region_naf()


@pytest.fixture(scope="session")
def windsolar():
    return en.load_odre_wind_solar_capacity()


@pytest.fixture(scope="session")
def eurostat():
    return en.load_eurostat_energy_balance()




# --- RTE balances -----------------------------------------------------------------------------

def test_rte_consommation_france_2019_in_every_scenario(rte):
    v = rte[(rte["variable"] == "Consommation France") & (rte["year"] == 2019)]
    assert len(v) == 18
    assert (v["value"] == 475.2).all()
    assert (v["unit"] == "TWh").all()


def test_rte_known_cells(rte):
    # M0_ref row 6 'Consommation France (1)', 2050 column: 645
    assert one_row(rte, mix="M0", path_code="ref", variable="Consommation France", year=2050)["value"] == 645.0
    # N03_reindus, 'Nucléaire' (TWh), 2050: 336.2; EPR2 2060: 272.7
    assert one_row(rte, mix="N03", path_code="reindus", section="offre", variable="Nucléaire", year=2050)["value"] == 336.2
    assert one_row(rte, mix="N03", path_code="reindus", section="offre", variable="EPR2", year=2060)["value"] == 272.7
    # M1_reindus 'Demande totale' 2060: 951.2
    assert one_row(rte, mix="M1", path_code="reindus", variable="Demande totale", year=2060)["value"] == 951.2
    # GW cell '7,8 (8,5)' of M0_ref 2050 is split into pumping / turbining
    assert one_row(rte, mix="M0", path_code="ref", variable="dont STEP pompage", year=2050)["value"] == 7.8
    assert one_row(rte, mix="M0", path_code="ref", variable="dont STEP turbinage", year=2050)["value"] == 8.5
    assert one_row(rte, mix="M0", path_code="ref", section="puissance installée", variable="Solaire", year=2050)["unit"] == "GW"


def test_rte_structure(rte):
    assert set(rte["mix"]) == set(en.RTE_MIXES)
    assert set(rte["path"]) == {"référence", "sobriété", "réindustrialisation profonde"}
    assert sorted(rte.loc[rte["path_code"] == "ref", "year"].unique()) == [2019, 2030, 2040, 2050, 2060]
    assert 2030 not in set(rte.loc[rte["path_code"] == "sob", "year"])
    assert not rte.duplicated(["mix", "path_code", "section", "variable", "year"]).any()
    assert len(rte) == 4758


# --- RTE hydrogen -----------------------------------------------------------------------------

def test_rte_hydrogen_known_cells(h2):
    assert one_row(h2, series="Raffinage", period="Aujourd’hui")["value"] == 4.1
    assert one_row(h2, series="Sidérurgie", year=2050, trajectory="hydrogène +")["value"] == 10.0
    assert one_row(h2, series="Sidérurgie", year=2050, trajectory="référence")["value"] == 5.0
    gwe = h2[h2["unit"] == "GWe"]
    assert one_row(gwe, series="M0", year=2050)["value"] == 21.0
    vol = h2[h2["table"].str.startswith("Volume")]
    assert one_row(vol, series="N03", year=2060)["value"] == 35.0
    assert h2.loc[h2["period"] == "Aujourd’hui", "year"].isna().all()
    assert len(h2) == 258


# --- Base Carbone -----------------------------------------------------------------------------

def test_base_carbone_known_factors(bc):
    assert en.base_carbone_factor(bc, "37132") == 0.239  # Gaz naturel - 2022, mix moyen, kgCO2e/kWh PCI
    assert en.base_carbone_factor(bc, 14085) == 0.325  # Fioul domestique, France continentale
    assert en.base_carbone_factor(bc, "43642") == 0.0519  # Electricité 2024 mix moyen consommation
    assert en.base_carbone_factor(bc, "34942") == 0.0113  # Granulés blancs français
    row = one_row(bc, identifier="37132", line_type="Elément")
    assert row["unit"] == "kgCO2e/kWh PCI"
    assert row["location"] == "France continentale"
    combustion = one_row(bc, identifier="37132", line_type="Poste", post_type="Combustion")
    assert combustion["total"] == 0.201


def test_base_carbone_unknown_identifier(bc):
    with pytest.raises(en.UnknownFactorError, match="99999999"):
        en.base_carbone_factor(bc, "99999999")
    with pytest.raises(KeyError):
        en.base_carbone_factor(bc, 123456789)


def test_base_carbone_cleaning(bc):
    # raw: '"""Barre céréalière """"équilibre"""" aux fruits"""'
    assert one_row(bc, identifier="40963", line_type="Elément")["name"] == 'Barre céréalière "équilibre" aux fruits'
    # raw: '"""\tSalade César au poulet (salade verte"""'
    assert one_row(bc, identifier="34052", line_type="Elément")["name"] == "Salade César au poulet (salade verte"
    # validity written as the Excel serial 44286 -> 2021-03-31
    v = bc[bc["validity_raw"] == "44286"]
    assert len(v) > 0 and (v["validity_date"] == pd.Timestamp("2021-03-31")).all()
    assert one_row(bc, identifier="43642", line_type="Elément")["validity_year"] == 2024
    assert bc["identifier"].str.fullmatch(r"\d+").all()
    assert len(bc) == 18_616
    assert (bc["line_type"] == "Elément").sum() == 12_817
    assert not bc.loc[bc["line_type"] == "Elément", "identifier"].duplicated().any()


def test_base_carbone_mojibake_repaired(bc):
    # raw 'Réglementations' cells are UTF-8 decoded twice: "DonnÃ©es de l'article L229-25 de la loi TECV"
    row = one_row(bc, identifier="43642", line_type="Elément")
    assert row["regulations"] == "Données de l'article L229-25 de la loi TECV"
    assert row["name"] == "Electricité"
    assert one_row(bc, identifier="25830", line_type="Elément")["regulations"] == "Expérimentation du label E+/C-"
    for c in ["name", "attribute", "regulations", "comment", "tags", "source", "unit"]:
        assert not bc[c].str.contains("Ã|â€", regex=True).fillna(False).any(), c
    # correct accents and capitals are left alone (a Mâcon heat network is written 'MÂCON')
    assert bc["attribute"].str.contains("MÂCON", regex=False).fillna(False).any()


@pytest.mark.parametrize("raw, clean", [
    ("DonnÃ©es", "Données"), ("Ã‰lectricitÃ©", "Électricité"), ("lâ€™usine", "l’usine"), ("Å“uvre", "œuvre"),
    ("Â°C", "°C"), ("MÂCON", "MÂCON"), ("Réseau à Mâcon", "Réseau à Mâcon"), ("plain", "plain"),
])
def test_repair_mojibake(raw, clean):
    assert en._repair_mojibake(raw) == clean


# --- heat networks ----------------------------------------------------------------------------

def test_heat_networks_issoire(heat):
    # raw line: 6319C,RÉSEAU D'ISSOIRE - ENERG'ISS,ISSOIRE,0.036,0.053,86.1,2024
    r = one_row(heat, network_id="6319C")
    assert r["name"] == "RÉSEAU D'ISSOIRE - ENERG'ISS"
    assert r["communes"] == "ISSOIRE"
    assert r["co2_kg_per_kwh"] == 0.036
    assert r["co2_lca_kg_per_kwh"] == 0.053
    assert r["renewable_recovered_pct"] == 86.1
    assert r["reference_year"] == 2024
    assert r["network_kind"] == "chaleur"


def test_heat_networks_shape(heat):
    assert len(heat) == 1086
    assert heat["network_id"].is_unique
    r = one_row(heat, network_id="0102C")  # leading zero kept; 'Moyenne' reference
    assert r["reference"] == "Moyenne" and pd.isna(r["reference_year"])
    assert heat.loc[heat["network_kind"] == "froid", "renewable_recovered_pct"].isna().all()
    assert (heat["network_kind"] == "froid").sum() == 47


def test_heat_networks_renamed_column(tmp_path):
    src = fetch("arrete_dpe_reseaux_chaleur_froid_2026")
    text = src.read_text(encoding="utf-8").replace("contenu_co2,", "co2_content,", 1)
    bad = tmp_path / "bad.csv"
    bad.write_text(text, encoding="utf-8")
    with pytest.raises(SchemaError, match=r"arrete_dpe_reseaux_chaleur_froid_2026\.csv.*contenu_co2"):
        en.load_heat_networks_dpe.parser(bad)


# --- biomethane -------------------------------------------------------------------------------

def test_biomethane_points(bio):
    assert len(bio) == 818
    assert bio["project_id"].is_unique
    r = one_row(bio, project_id=14)  # 'Agribiomethane_Mortagne-sur-sèvre_ 2018-85-5'
    assert r["com"] == "85151" and r["reg"] == "52" and r["dep"] == "85"
    assert r["capacity_gwh_per_year"] == 13.407
    assert r["commissioning_date"] == pd.Timestamp("2014-04-22")
    r = one_row(bio, project_id=31)  # CEN - Saint Pourçain, closed
    assert r["com"] == "03254" and r["dep"] == "03" and r["reg"] == "84"
    assert r["closure_date"] == pd.Timestamp("2022-07-02") and not r["is_open"]
    assert bio["reg"].isna().sum() == 1
    assert one_row(bio, project_id=104)["com_current"] == "13209"


# --- ODRE consumption -------------------------------------------------------------------------

def test_odre_consumption_known_rows(conso):
    # first data line of the raw file
    r = one_row(conso, operator="Coopérative d'électricité de Saint Martin de Londres", year=2011,
             energy="electricity", sector_group="A", reg="76")
    assert r["consumption_mwh"] == 1414.68 and r["n_sites"] == 22
    # raw 'Enedis;2018;Electricité;ENT;Entreprises;I;Industrie;8;0;39480.95951;85;...;24;Centre-Val de Loire'
    r = one_row(conso, operator="Enedis", year=2018, energy="electricity", category_code="ENT", naf2="08", reg="24")
    assert r["consumption_mwh"] == 39480.95951 and r["n_sites"] == 85
    assert not (conso["naf2"].dropna().str.len() != 2).any()


def test_odre_consumption_shape(conso):
    assert len(conso) == 18_128
    assert conso["unknown_sector"].sum() == 1485
    assert set(conso["energy"]) == {"electricity", "gas"}
    assert conso.loc[conso["reg"].isna(), "reg_name"].eq("Non affecté à une région").all()


def test_odre_consumption_renamed_column(tmp_path):
    src = fetch("odre_conso_elec_gaz_region_naf_2011_2021")
    lines = src.read_text(encoding="utf-8").splitlines(keepends=True)
    lines[0] = lines[0].replace(";conso;", ";consommation;")
    bad = tmp_path / "bad.csv"
    bad.write_text("".join(lines[:50]), encoding="utf-8")
    with pytest.raises(SchemaError, match=r"odre_conso_elec_gaz_region_naf_2011_2021\.csv.*'conso'"):
        en.load_odre_consumption_region_naf.parser(bad)


# --- wind / solar -----------------------------------------------------------------------------

def test_wind_solar(windsolar):
    assert len(windsolar) == 520
    assert one_row(windsolar, reg="84", year=2020, technology="wind")["capacity_mw"] == 582.0
    assert one_row(windsolar, reg="84", year=2020, technology="solar")["capacity_mw"] == 1190.0
    assert pd.isna(one_row(windsolar, reg="84", year=2001, technology="solar")["capacity_mw"])
    assert windsolar["reg"].nunique() == 13
    assert "Géo-shape région" not in windsolar.columns


# --- Eurostat ---------------------------------------------------------------------------------

def test_eurostat(eurostat):
    assert len(eurostat) == 36 * 64 * 34
    assert one_row(eurostat, nrg_bal="NRG_EHG_E", siec="TOTAL", year=1990)["value"] == 70560.184
    assert set(eurostat["unit"]) == {"TJ"}
    assert "FC_IND_E" not in set(eurostat["nrg_bal"])
    assert eurostat["nrg_bal"].str.startswith("FC_IND_").sum() == 13 * 64 * 34
