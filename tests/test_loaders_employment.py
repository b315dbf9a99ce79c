"""Employment loaders: values read by hand from the raw files, row counts, codes, keys, bad input.

The expected numbers below were read directly in the raw files of shared/data/employment
(head/grep on the CSV, the parquet and JSON records, the decoded barometer payload).
"""

import base64
import gzip
import json
import re

import numpy as np
import pandas as pd
import pytest
from conftest import one_row

from analysis.data.loaders import employment as E
from analysis.data.registry import fetch
from analysis.data.validate import SchemaError


def _codes_match(series: pd.Series, pattern: str) -> bool:
    return bool(series.astype(str).str.fullmatch(pattern).all())


# ---------------------------------------------------------------------------------------
# ESTEL ZE2010
# ---------------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def estel_sal():
    return E.load_estel_ze2010_salaried()


def test_estel_ze2010_salaried_values(estel_sal):
    # 0050_Mont-de-Marsan,INT-INTERREGIONAL,AZ-Agriculture,"2,558",...,"2,847"
    row = one_row(estel_sal, ze2010="0050", sector="AZ", year=2017)
    assert row["employment"] == 2558
    assert (row["ze2010_name"], row["region"], row["region_name"]) == ("Mont-de-Marsan", "INT", "INTERREGIONAL")
    assert one_row(estel_sal, "employment", ze2010="0050", sector="AZ", year=1998) == 2847
    # 9407_Ghisonaccia-Aléria,94_CORSE,OQ-Tertiaire non marchand: 2007 "1,257", 2006 891
    assert one_row(estel_sal, "employment", ze2010="9407", sector="OQ", year=2007) == 1257
    assert one_row(estel_sal, "employment", ze2010="9407", sector="OQ", year=2006) == 891
    assert one_row(estel_sal, "region", ze2010="9407", sector="OQ", year=2006) == "94"
    assert one_row(estel_sal, "ze2010_name", ze2010="9407", sector="TT", year=2017) == "Ghisonaccia-Aléria"


def test_estel_ze2010_salaried_shape(estel_sal):
    assert len(estel_sal) == 321 * 6 * 20
    assert sorted(estel_sal["sector"].unique()) == ["AZ", "BE", "FZ", "GU", "OQ", "TT"]
    assert sorted(estel_sal["year"].unique()) == list(range(1998, 2018))
    assert _codes_match(estel_sal["ze2010"], r"\d{4}")
    assert estel_sal.loc[estel_sal["region"] == "INT", "ze2010"].nunique() == 9
    assert not estel_sal.duplicated(["ze2010", "sector", "year"]).any()
    # TT is the sum of the five sectors
    wide = estel_sal.pivot_table(index=["ze2010", "year"], columns="sector", values="employment")
    assert np.allclose(wide[["AZ", "BE", "FZ", "GU", "OQ"]].sum(axis=1), wide["TT"], atol=5)


def test_estel_ze2010_nonsalaried():
    df = E.load_estel_ze2010_nonsalaried()
    assert len(df) == 321 * 20
    # 9406_Corte,94_CORSE,702,...,519 ; 0051_Alençon,INT-INTERREGIONAL,"5,537"
    assert one_row(df, "employment", ze2010="9406", year=2017) == 702
    assert one_row(df, "employment", ze2010="9406", year=1998) == 519
    assert one_row(df, "employment", ze2010="0051", year=2017) == 5537
    assert set(df["sector"]) == {"TT"}
    assert not df.duplicated(["ze2010", "year"]).any()


def test_estel_ze2010_renamed_column_names_file_and_column(tmp_path):
    src = fetch(E.ESTEL_ZE2010_SAL)
    bad = tmp_path / "bad.csv"
    bad.write_text(src.read_text(encoding="utf-8").replace("Region,Activite,", "Region,Activity,"), encoding="utf-8")
    with pytest.raises(SchemaError, match=r"insee_estel_ze2010_salaried_by_sector_1998_2017\.csv.*Activite"):
        E.load_estel_ze2010_salaried.parser(bad, fetch(E.ESTEL_FRANCE_A5))


def test_estel_ze2010_bad_number_is_reported(tmp_path):
    src = fetch(E.ESTEL_ZE2010_NONSAL)
    bad = tmp_path / "bad.csv"
    bad.write_text(src.read_text(encoding="utf-8").replace('9406_Corte,94_CORSE,702,', '9406_Corte,94_CORSE,7o2,'),
                   encoding="utf-8")
    with pytest.raises(SchemaError, match=r"insee_estel_ze2010_nonsalaried_1998_2017\.csv.*7o2"):
        E.load_estel_ze2010_nonsalaried.parser(bad)


# ---------------------------------------------------------------------------------------
# ZE2010 composition
# ---------------------------------------------------------------------------------------
def test_ze2010_composition():
    df = E.load_ze2010_composition()
    assert len(df) == 34968
    assert df["commune"].is_unique
    # 2A004,Ajaccio,9401,Ajaccio,2A,94 ; 01001 -> 8213 ; 97617,Tsingoni,0601,Mayotte,976,06
    assert tuple(one_row(df, commune="2A004")[["commune_name", "ze2010", "dep", "reg"]]) == ("Ajaccio", "9401", "2A", "94")
    assert tuple(one_row(df, commune="01001")[["ze2010", "ze2010_name", "dep", "reg"]]) == (
        "8213", "Villefranche-sur-Saône", "01", "84")
    assert tuple(one_row(df, commune="97617")[["ze2010", "dep", "reg"]]) == ("0601", "976", "06")
    assert _codes_match(df["commune"], r"\d{5}|2[AB]\d{3}")


def test_ze2010_composition_renamed_column(tmp_path):
    src = fetch(E.ZE2010_COMPOSITION)
    bad = tmp_path / "bad.csv"
    bad.write_text(src.read_text(encoding="utf-8").replace("CODGEO,LIBGEO,ZE2010", "CODGEO,LIBGEO,ZE2020"),
                   encoding="utf-8")
    with pytest.raises(SchemaError, match=r"insee_ze2010_composition_communale_2020\.csv.*ZE2010"):
        E.load_ze2010_composition.parser(bad)


# ---------------------------------------------------------------------------------------
# Census functional analysis
# ---------------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def census():
    return E.load_census_functions()


def test_census_functions_values(census):
    rouen = census[census["commune"] == "76540"]
    # 76540,Rouen,28,76,"75,404",... FABRIC99 "3,379", CFM99 "5,066"
    assert one_row(rouen, "jobs", year=1999, scope="all", function="TOTAL") == 75404
    assert one_row(rouen, "jobs", year=1999, scope="all", function="FABRIC") == 3379
    assert one_row(rouen, "jobs", year=1999, scope="cfm", function="TOTAL") == 5066
    # 2016: FABRIC16 "2,757", GESTIO_CAD16 "3,941"
    assert one_row(rouen, "jobs", year=2016, scope="all", function="FABRIC") == 2757
    assert one_row(rouen, "jobs", year=2016, scope="cfm", function="GESTIO") == 3941
    # Mayotte: 'nd' in 1999, values in 2011 (97601,Acoua,06,976,400,...)
    assert np.isnan(one_row(census, "jobs", commune="97601", year=1999, scope="all", function="TOTAL"))
    assert one_row(census, "jobs", commune="97601", year=2011, scope="all", function="TOTAL") == 400


def test_census_functions_shape(census):
    assert len(census) == 34970 * 22 * 4
    assert sorted(census["year"].unique()) == [1999, 2006, 2011, 2016]
    assert census.groupby(["year", "scope"])["function"].nunique().to_dict() == {
        (y, s): n for y in (1999, 2006, 2011, 2016) for s, n in (("all", 16), ("cfm", 6))}
    sample = census[census["commune"].isin(["01001", "2A004", "76540"])]
    assert not sample.duplicated(["commune", "year", "scope", "function"]).any()
    assert census.groupby("year")["commune"].nunique().eq(34970).all()
    assert _codes_match(census["commune"].drop_duplicates(), r"\d{5}|2[AB]\d{3}")
    # the 15 functions add up to the total (exactly in 1999)
    y99 = census[(census["year"] == 1999) & (census["scope"] == "all")]
    parts = y99[y99["function"] != "TOTAL"].groupby("commune")["jobs"].sum(min_count=1)
    total = y99[y99["function"] == "TOTAL"].set_index("commune")["jobs"]
    assert np.allclose(parts.reindex(total.index).dropna(), total.dropna())


def test_census_functions_renamed_column(tmp_path):
    paths = [fetch(k) for k in E.CENSUS_FUNCTIONS.values()]
    bad = tmp_path / "bad_2011.csv"
    bad.write_text(paths[2].read_text(encoding="utf-8").replace(",FABRIC11,", ",FABRICATION11,"), encoding="utf-8")
    with pytest.raises(SchemaError, match=r"insee_analyse_fonctionnelle_communes_2011\.csv.*FABRIC11"):
        E.load_census_functions.parser(paths[0], paths[1], bad, paths[3])


# ---------------------------------------------------------------------------------------
# URSSAF commune x APE (Rouen extract)
# ---------------------------------------------------------------------------------------
def test_urssaf_commune_ape_rouen():
    df = E.load_urssaf_commune_ape_rouen()
    # Rouen 76540 x 2920Z: 2006 1 establishment / 18 employees; 2022 1 / 20
    assert one_row(df, "value", commune="76540", ape="2920Z", year=2006, variable="employment") == 18
    assert one_row(df, "value", commune="76540", ape="2920Z", year=2006, variable="establishments") == 1
    assert one_row(df, "value", commune="76540", ape="2920Z", year=2022, variable="employment") == 20
    row = one_row(df, commune="76540", ape="2920Z", year=2022, variable="employment")
    assert (row["na38"], row["na17"], row["na88"], row["gs"], row["epci"], row["ze2020"]) == (
        "CL", "C4", "29", "GS1", "200023414", "2815")
    # 76005 x 4399A: empty in 2006 (no row), 2007 1/1, 2008 1/3
    amf = df[(df["commune"] == "76005") & (df["ape"] == "4399A")]
    assert sorted(amf["year"].unique()) == [2007, 2008]
    assert one_row(amf, "value", year=2008, variable="employment") == 3
    assert df["commune"].nunique() == 218 and df["epci"].nunique() == 9
    assert not df.duplicated(["commune", "ape", "year", "variable"]).any()
    assert set(df["variable"]) == {"establishments", "employment"}
    assert 185_000 < len(df) < 195_000


def test_urssaf_commune_ape_renamed_column(tmp_path):
    src = fetch(E.URSSAF_COMMUNE_APE_ROUEN)
    bad = tmp_path / "bad.csv"
    bad.write_text(src.read_text(encoding="utf-8-sig").replace("Effectifs salariés 2015", "Effectif 2015", 1),
                   encoding="utf-8")
    expected = r"urssaf_commune_ape_ze_rouen_seine_maritime_2006_2022\.csv.*Effectifs salariés 2015"
    with pytest.raises(SchemaError, match=expected):
        E.load_urssaf_commune_ape_rouen.parser(bad)


# ---------------------------------------------------------------------------------------
# Parquet aggregates (URSSAF ZE x A38, France A21, Flores, totals by area)
# ---------------------------------------------------------------------------------------
def test_urssaf_ze2020_a38():
    df = E.load_urssaf_ze2020_a38()
    assert len(df) == 10005 * 4
    # 2815 (Rouen) x CA: eff_19 5023, eff_24 5334 ; CF eff_24 6721
    assert one_row(df, "employment", ze2020="2815", a38="CA", year=2019) == 5023
    assert one_row(df, "employment", ze2020="2815", a38="CA", year=2024) == 5334
    assert one_row(df, "employment", ze2020="2815", a38="CF", year=2024) == 6721
    assert one_row(df, "ze2020_name", ze2020="2815", a38="CF", year=2024) == "Rouen"
    assert one_row(df, "ze2020_name", ze2020="0051", a38="BZ", year=2019) == "Alençon"
    assert df["ze2020"].nunique() == 305 and "AZ" not in set(df["a38"])
    assert df["employment"].isna().sum() == 89 + 83 + 104 + 115, "NaN kept, not turned into 0"
    assert not df.duplicated(["ze2020", "a38", "year"]).any()
    assert not {"pct_24", "is_24", "evol_1924"} & set(df.columns)
    # the zones add up to the France file
    fr = E.load_urssaf_france_a21()
    assert np.isclose(df.groupby("year")["employment"].sum()[2024], fr.groupby("year")["employment"].sum()[2024])


def test_urssaf_france_a21():
    df = E.load_urssaf_france_a21()
    assert len(df) == 72
    assert one_row(df, "employment", a21="C", year=2019) == 2744185
    assert one_row(df, "employment", a21="C", year=2024) == 2805329
    assert one_row(df, "a21_label", a21="C", year=2024) == "Ind. manufacturière"
    assert "A" not in set(df["a21"])


def test_flores_ze2020_a38():
    df = E.load_flores_ze2020_a38()
    assert len(df) == 305 * 36 * 2
    assert one_row(df, "employment", ze2020="2815", a38="AZ", year=2022) == 1370
    assert one_row(df, "employment", ze2020="2815", a38="AZ", year=2023) == 1368
    assert one_row(df, "employment", ze2020="0051", a38="CA", year=2022) == 1229
    assert df.loc[df["year"] == 2023, "employment"].isna().sum() == 736
    assert df.loc[df["year"] == 2022, "employment"].notna().all()
    assert not df.duplicated(["ze2020", "a38", "year"]).any()


def test_parquet_renamed_column(tmp_path):
    raw = pd.read_parquet(fetch(E.URSSAF_ZE2020_A38)).rename(columns={"eff_23": "eff23"})
    bad = tmp_path / "bad.parquet"
    raw.to_parquet(bad)
    with pytest.raises(SchemaError, match=r"urssaf_ze2020_a38_2019_2022_2023_2024\.parquet.*eff_23"):
        E.load_urssaf_ze2020_a38.parser(bad, fetch(E.ZE2020_REFERENCE))


def test_unknown_zone_code_is_reported(tmp_path):
    raw = pd.read_parquet(fetch(E.FLORES_ZE2020_A38))
    raw.loc[0, "code_ze"] = "9999"
    bad = tmp_path / "bad.parquet"
    raw.to_parquet(bad)
    with pytest.raises(SchemaError, match=r"insee_flores_ze2020_a38_2022_2023\.parquet.*'ze2020'.*9999"):
        E.load_flores_ze2020_a38.parser(bad, fetch(E.ZE2020_REFERENCE))


def test_urssaf_totals_by_area():
    df = E.load_urssaf_totals_by_area()
    assert len(df) == 407784
    assert one_row(df, "employment", level="commune", code="76540", year=2014) == 49906
    assert one_row(df, "employment", level="commune", code="76540", year=2024) == 54401
    assert one_row(df, "employment", level="ze2020", code="2815", year=2024) == 217179
    assert one_row(df, "employment", level="epci", code="200023414", year=2014) == 152283
    assert one_row(df, "employment", level="france", code="00FR", year=2024) == 19995376
    assert one_row(df, "pct_of_france_2014", level="france", code="00FR", year=2024) == 113.52
    # overseas regions are written '1'..'4' in the file: zero-padded here
    regions = set(df.loc[df["level"] == "region", "code"])
    assert {"01", "02", "03", "04", "11", "84"} <= regions and "1" not in regions
    assert set(df["level"]) == {"commune", "epci", "ze2020", "departement", "region", "aav2020", "bv2022",
                                "uu2020", "france"}
    assert not df.duplicated(["level", "code", "year"]).any()
    # communes add up to France
    com = df[df["level"] == "commune"].groupby("year")["employment"].sum()
    fr = df[df["level"] == "france"].set_index("year")["employment"]
    assert np.allclose(com, fr)


# ---------------------------------------------------------------------------------------
# ESTEL ZE2020 and France A5 (JSON)
# ---------------------------------------------------------------------------------------
def test_estel_ze2020_total():
    df = E.load_estel_ze2020_total()
    assert len(df) == 333 * 26
    assert one_row(df, "employment", code="0051", year=1998) == 45279
    assert one_row(df, "employment", code="0051", year=2023) == 44385
    whole = df[df["region_part"].isna()]
    assert whole["ze2020"].nunique() == 305
    parts = df[df["region_part"].notna()]
    assert parts["code"].nunique() == 28 and set(parts["ze2020"].str[:2]) == {"00"}
    assert one_row(df, "region_part", code="2456", year=2000) == "24"
    assert one_row(df, "ze2020", code="2456", year=2000) == "0056"
    summed = parts.groupby(["ze2020", "year"])["employment"].sum()
    assert np.allclose(summed, whole.set_index(["ze2020", "year"])["employment"].reindex(summed.index), atol=1, rtol=0)
    # the 287 metropolitan zones add up to the France A5 total
    metro = whole[~whole["ze2020"].str[:2].isin(["01", "02", "03", "04"])]
    fr = E.load_estel_france_a5()
    assert metro.groupby("year")["employment"].sum()[2023] == one_row(fr, "employment", sector="TT", year=2023)
    assert not df.duplicated(["code", "year"]).any()


def test_estel_france_a5():
    df = E.load_estel_france_a5()
    assert len(df) == 156
    assert one_row(df, "employment", sector="AZ", year=1998) == 276420
    assert one_row(df, "employment", sector="TT", year=1998) == 21599592
    assert one_row(df, "na5", sector="BE", year=1998) == "TBE"
    wide = df.pivot(index="year", columns="sector", values="employment")
    assert np.allclose(wide.drop(columns="TT").sum(axis=1), wide["TT"])


def test_json_renamed_key(tmp_path):
    records = json.loads(fetch(E.ESTEL_FRANCE_A5).read_text(encoding="utf-8"))
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps([{("effectif" if k == "eff" else k): v for k, v in r.items()} for r in records]))
    with pytest.raises(SchemaError, match=r"insee_estel_france_a5_1998_2023\.json.*'eff'"):
        E.load_estel_france_a5.parser(bad)


# ---------------------------------------------------------------------------------------
# Territorial indicators
# ---------------------------------------------------------------------------------------
def test_territorial_indicators_epci():
    df = E.load_territorial_indicators_epci()
    assert df["code"].nunique() == 1245 and df["indicator"].nunique() == 38
    france = df[df["is_france"]]
    assert set(france["code"]) == {"00FR"}
    rouen = df[df["code"] == "200023414"]
    assert one_row(rouen, "value", indicator="P22_POP") == 500703
    assert one_row(rouen, "name", indicator="P22_POP") == "MET Rouen Normandie"
    assert one_row(rouen, "value", indicator="eco_sal_pct_22") == 90.12
    row = one_row(rouen, indicator="eco_emppriv_vtcam_1724")
    assert (row["family"], row["year_start"], row["year_end"]) == ("eco_emppriv_vtcam", 2017, 2024)
    assert one_row(france, "value", indicator="eco_emppriv_vtcam_1724") == 1.41
    assert not df.duplicated(["code", "indicator"]).any()
    assert df["unit"].notna().all()


def test_territorial_indicators_ze2020():
    df = E.load_territorial_indicators_ze2020()
    assert df["code"].nunique() == 288
    assert one_row(df, "value", code="2815", indicator="P22_POP") == 737878
    assert one_row(df, "value", code="2815", indicator="eco_sal_pct_22") == 89.7
    assert one_row(df, "value", code="0051", indicator="eco_krugman_a38_23") == 39.58
    assert np.isnan(one_row(df, "value", code="00FR", indicator="eco_krugman_a38_23"))
    assert _codes_match(df.loc[~df["is_france"], "code"], r"\d{4}")


def test_territorial_indicators_missing_column(tmp_path):
    records = json.loads(fetch(E.INDICATORS_ZE2020).read_text(encoding="utf-8"))
    for r in records:
        r["label"] = r.pop("libelle")
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps(records))
    with pytest.raises(SchemaError, match=r"territorial_indicators_ze2020_2025\.json.*libelle"):
        E.load_territorial_indicators_ze2020.parser(bad)


# ---------------------------------------------------------------------------------------
# URSSAF barometer (HTML page with an embedded gzip+base64 JSON)
# ---------------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def baro():
    return E.load_urssaf_region_na28_quarterly()


def test_barometre_values(baro):
    # region 28, 'population-entiere', first point 1998-09-30: effectifs_cvs 782042,
    # masse_cvs 3684328161; last point 2025-12-31: effectifs_cvs 883775
    norm = baro[(baro["region"] == "28") & (baro["sector"] == "TOTAL")]
    assert one_row(norm, "value", period="1998Q3", variable="employment") == 782042
    assert one_row(norm, "value", period="1998Q3", variable="payroll") == 3684328161
    assert one_row(norm, "value", period="2025Q4", variable="employment") == 883775
    assert one_row(norm, "region_name", period="2025Q4", variable="employment") == "Normandie"


def test_barometre_shape(baro):
    assert len(baro) == 17 * 29 * 110 * 2
    assert "06" not in set(baro["region"]) and baro["region"].nunique() == 17
    assert {"CA", "CK-CL", "NZa", "NZb", "CD-CE-CF", "TOTAL"} <= set(baro["sector"])
    assert "AZ" not in set(baro["sector"])
    assert baro["period"].min() == "1998Q3" and baro["period"].max() == "2025Q4"
    assert not baro.duplicated(["region", "sector", "variable", "period"]).any()
    # the 28 sectors add up to the total
    emp = baro[baro["variable"] == "employment"]
    by = emp[emp["sector"] != "TOTAL"].groupby(["region", "period"])["value"].sum()
    tot = emp[emp["sector"] == "TOTAL"].set_index(["region", "period"])["value"]
    assert (by.reindex(tot.index) - tot).abs().max() <= 0.001 * tot.max()


def test_barometre_renamed_variable(tmp_path):
    src = fetch(E.URSSAF_BAROMETRE)
    bad = tmp_path / "bad.html"
    bad.write_text(src.read_text(encoding="utf-8").replace("BAROMETRE_DEFERRED_GZIP", "BAROMETRE_DATA"),
                   encoding="utf-8")
    expected = r"urssaf_barometre_region_na28_quarterly_1998_2025\.html.*BAROMETRE_DEFERRED_GZIP"
    with pytest.raises(SchemaError, match=expected):
        E.load_urssaf_region_na28_quarterly.parser(bad)


def test_barometre_changed_payload_structure(tmp_path):
    text = fetch(E.URSSAF_BAROMETRE).read_text(encoding="utf-8")
    m = re.search(r'(window\.BAROMETRE_DEFERRED_GZIP\s*=\s*")([A-Za-z0-9+/=]+)"', text)
    data = json.loads(gzip.decompress(base64.b64decode(m.group(2))))
    data["modules"]["sector"]["regional"]["regionsBySector"] = data["modules"]["sector"]["regional"].pop("regions")
    blob = base64.b64encode(gzip.compress(json.dumps(data).encode(), compresslevel=1)).decode()
    bad = tmp_path / "bad.html"
    bad.write_text(text[:m.start(2)] + blob + text[m.end(2):], encoding="utf-8")
    with pytest.raises(SchemaError, match=r"urssaf_barometre_region_na28_quarterly_1998_2025\.html.*regions"):
        E.load_urssaf_region_na28_quarterly.parser(bad)
