"""Loaders of the BANATIC, localised unemployment, GGDC and EU ETS files: known values read from the raw files."""

import shutil

import pandas as pd
import pytest

from analysis.data import registry as reg
from analysis.data.loaders import banatic, ets, ggdc, unemployment
from analysis.data.validate import SchemaError

pytestmark = pytest.mark.usefixtures("mirror")


def test_adhesions_direction_and_pole_members():
    df = banatic.load_groupement_adhesions()
    assert len(df) == 13_511
    cva = df.loc[df["groupement_siren"] == "200041036", "member_siren"]
    assert len(cva) == 12 and "200067627" in set(cva)  # Billom Communauté
    assert not (df["member_siren"] == "200041036").any()
    nfc = sorted(df.loc[df["groupement_siren"] == "200065217", "member_siren"])
    assert nfc == ["200065647", "200069052", "200069060", "247000722", "249000241"]


def test_adhesions_swapped_header_is_refused(tmp_path):
    src = reg.fetch(banatic.ADHESIONS_2026)
    df = pd.read_csv(src, dtype=str)
    bad = tmp_path / "swapped.csv"
    df[["adhesion_siren", "groupement_siren"]].set_axis(["groupement_siren", "adhesion_siren"], axis=1).to_csv(bad, index=False)
    with pytest.raises(SchemaError, match="direction"):
        banatic.load_groupement_adhesions.parser(bad)


def test_syndicats_2021_and_siren_insee():
    comp = banatic.load_syndicats_communes_2021()
    cva = comp[comp["groupement_siren"] == "200041036"]
    assert len(cva) == 293 and not cva["direct"].any()
    assert not (comp["groupement_siren"] == "200065217").any()  # Nord Franche-Comté absent in 2021
    cor = banatic.load_siren_insee_2019().set_index("commune_siren")
    assert cor.loc["210100012", "com"] == "01001"


def test_unemployment_editions_known_values():
    old = unemployment.load_chomage_ze2020_2003_2023()
    new = unemployment.load_chomage_ze2020_2021_2025()
    sn_old = old[old["ze2020"] == "5219"].set_index("quarter")["rate_pct"]
    sn_new = new[new["ze2020"] == "5219"].set_index("quarter")["rate_pct"]
    assert sn_old["2018-T2"] == 7.6 and sn_old["2019-T2"] == 7.2 and sn_old["2023-T3"] == 6.0
    assert sn_new["2023-T3"] == 5.9 and sn_new["2025-T4"] == 6.5
    assert old["ze2020"].nunique() == new["ze2020"].nunique() == 302
    assert set(old["edition"]) == {"2023-T3"} and set(new["edition"]) == {"2025-T4"}


def test_unemployment_json_bad_length(tmp_path):
    import json

    doc = json.loads(reg.fetch(unemployment.CHOMAGE_2021_2025).read_text(encoding="utf-8"))
    first = next(iter(doc["zes"]))
    doc["zes"][first]["rate_pct"] = doc["zes"][first]["rate_pct"][:-1]
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps(doc), encoding="utf-8")
    with pytest.raises(SchemaError, match=first):
        unemployment.load_chomage_ze2020_2021_2025.parser(bad)


def test_ggdc_france_known_values():
    df = ggdc.load_ggdc_france_employment().set_index(["year", "sector"])["persons_thousands"]
    assert df[(1974, "MAN")] == pytest.approx(5514.1488, abs=1e-3)
    assert df[(1950, "SUM")] == pytest.approx(19642.8704, abs=1e-3)
    years = sorted({y for y, _ in df.index})
    assert years[0] == 1950 and years[1] == 1954 and years[-1] == 2011  # 1951-1953 absent, not zero


def test_eutl_installations_and_geo_agree():
    inst = ets.load_eutl_installations_fr()
    geo = ets.load_eutl_emissions_fr_geo()
    assert inst.drop_duplicates("installation_id")["is_aviation"].sum() == 360
    stationary = inst[~inst["is_aviation"]].groupby("year")["emissions_t"].sum()
    assert geo.groupby("year")["emissions_t"].sum().to_dict() == pytest.approx(stationary.to_dict())
    am = geo[(geo["installation_id"] == "628") & (geo["year"] == 2022)].iloc[0]
    assert am["emissions_t"] == 6_445_950 and am["zip_code"] == "13270"


def test_eutl_geo_rejects_aviation_rows(tmp_path):
    src = reg.fetch(ets.EMISSIONS_FR_GEO)
    bad = tmp_path / "geo.csv"
    shutil.copy(src, bad)
    df = pd.read_csv(bad, dtype=str, keep_default_na=False)
    df.loc[0, "main_activity_type_code"] = "10"
    df.to_csv(bad, index=False)
    with pytest.raises(SchemaError, match="aircraft"):
        ets.load_eutl_emissions_fr_geo.parser(bad)


def test_eutl_installation_addresses():
    adr = ets.load_eutl_installation_addresses().set_index("installation_id")
    raw = pd.read_csv(reg.fetch(ets.INSTALLATIONS_FR), dtype=str, keep_default_na=False)
    stationary = raw[raw["MainActivityTypeCode"] != "10"]
    assert len(adr) == len(stationary) == 1_581
    # ArcelorMittal Dunkerque: a CEDEX postcode and town, as registered
    assert (adr.loc["956", "city"], adr.loc["956", "zip_code"]) == tuple(
        stationary.loc[stationary["InstallationOrAircraftOperatorID"] == "956", ["City", "ZipCode"]].iloc[0])
    assert adr.loc["956", "zip_code"] == "59381"
    # every installation of the geo extract has an address
    assert set(ets.load_eutl_emissions_fr_geo()["installation_id"]) <= set(adr.index)


def test_eutl_addresses_empty_town_raises(tmp_path):
    bad = tmp_path / "inst.csv"
    df = pd.read_csv(reg.fetch(ets.INSTALLATIONS_FR), dtype=str, keep_default_na=False)
    df.loc[df["MainActivityTypeCode"] != "10", "City"] = df["City"].where(df.index != df.index[df["MainActivityTypeCode"] != "10"][0], "")
    df.to_csv(bad, index=False)
    with pytest.raises(SchemaError, match=r"eutl_installations_fr\.csv.*'City' is empty"):
        ets.load_eutl_installation_addresses.parser(bad)
