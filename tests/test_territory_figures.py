"""Key figures with what they measured: known answers computed independently of the code under test
(plain pandas or json on the raw mirrored files, or constructed cases), never by calling the function the
profile calls."""

from __future__ import annotations

import json
import math

import numpy as np
import pandas as pd
import pytest

import analysis as rc
from analysis.geo import areas as geography
from analysis.methods import measured, territory_figures as tf
from analysis.report import profile as P


@pytest.fixture(scope="module")
def inputs():
    return tf.load_inputs()


def _raw_private(mirror):
    return pd.read_parquet(mirror / "employment" / "urssaf_private_employment_total_by_area_2014_2024.parquet")


def _fig(table, figure):
    return table.set_index("figure").loc[figure]


def test_measured_record_refuses_a_missing_value_without_its_reason():
    with pytest.raises(ValueError, match="reason"):
        measured.Measured("x", None, "jobs", "2024", measured.MISSING)
    with pytest.raises(ValueError, match="no base"):
        measured.Measured("x", None, "jobs", "2024", measured.OWN, note="why")
    with pytest.raises(ValueError, match="base"):
        measured.Measured("x", 1.0, "jobs", "2024", "somewhere")
    row = measured.to_frame([measured.Measured.absent("x", "jobs", "2024", "secret")]).iloc[0]
    assert row["value"] is None and row["base"] == "" and row["note"] == "secret"


def test_every_area_gets_every_figure_in_order(inputs):
    areas = [rc.resolve("epci", "241501139"), rc.resolve("dep", "976")]
    kf = tf.key_figures_many(areas, inputs)
    assert list(kf.columns) == ["area", *measured.COLUMNS]
    for i in range(2):
        assert kf[kf["area"] == i]["figure"].tolist() == list(tf.FIGURES)
    missing = kf[kf["value"].isna()]
    assert (missing["note"].str.len() > 10).all() and (missing["base"] == "").all()


def test_rural_epci_gets_its_census_industry_share_from_the_raw_file(mirror, inputs):
    """Pays de Salers: no zone d'emploi stands for it, yet its own census figure is there."""
    raw = json.loads((mirror / "employment" / "territorial_indicators_epci_2025.json").read_text(encoding="utf-8"))
    expected = next(r["eco_sectindus_pct_22"] for r in raw if r["code"] == "241501139")
    kf = tf.key_figures(rc.resolve("epci", "241501139"), inputs)
    share = _fig(kf, "industry_share_pct")
    assert share["value"] == pytest.approx(expected, abs=0.05)
    assert share["base"] == measured.CENSUS and share["period"] == "2022" and share["coverage_pct"] == 100.0
    jobs = _fig(kf, "industry_jobs")
    assert jobs["value"] is None and "no zone d'emploi 2020" in jobs["note"]


def test_private_jobs_of_an_epci_from_the_raw_parquet(mirror, inputs):
    raw = _raw_private(mirror)
    raw = raw[raw["echelon"] == "communes"]
    area = rc.resolve("epci", "244400644")
    coms = set(area.communes["com"])
    r = raw[raw["code"].isin(coms)].pivot_table(index="code", columns="year", values="eff_total", aggfunc="sum")
    both = r[[2019, 2024]].dropna()
    kf = tf.key_figures(area, inputs)
    assert _fig(kf, "private_jobs")["value"] == pytest.approx(r[2024].sum())
    growth = _fig(kf, "private_jobs_growth_pct")
    assert growth["value"] == pytest.approx(round(100 * (both[2024].sum() / both[2019].sum() - 1), 1))
    assert growth["base"] == measured.OWN and growth["period"] == "2019-2024"


def test_industry_jobs_proxy_says_what_it_measured(inputs):
    """ti-3210 (2018 wave): four proxy zones with more inhabitants than the TI; labelled as such."""
    area = rc.resolve("ti", "ti-3210", wave="2018")
    jobs = _fig(tf.key_figures(area, inputs), "industry_jobs")
    assert jobs["base"] == measured.ZONE_PROXY
    assert jobs["measured_population"] > 1.25 * area.population  # 1,033,898 against 795,980
    assert jobs["area_measured"].startswith("ZE2020 3208 Cambrai; 3212 Douai; 3217 Maubeuge; 3222 Valenciennes")
    assert "proxy" in jobs["note"] and "130%" in jobs["note"]


def test_a_zone_d_emploi_is_its_own_geography(inputs):
    z = _fig(tf.key_figures(rc.resolve("ze2020", "0101"), inputs), "industry_jobs_growth_pct")
    assert z["base"] == measured.OWN and z["coverage_pct"] == 100.0
    assert z["value"] == pytest.approx(10.6, abs=0.05)  # cells published in 2019 and 2024 only


def test_mayotte_is_missing_with_reasons_not_covered(inputs):
    kf = tf.key_figures(rc.resolve("dep", "976"), inputs).set_index("figure")
    assert kf.loc["population", "value"] > 0
    for fig in ("private_jobs", "industry_jobs", "unemployment_rate_pct"):
        assert kf.loc[fig, "value"] is None and "Mayotte" in kf.loc[fig, "note"], fig
        assert math.isnan(kf.loc[fig, "coverage_pct"])


def test_a_commune_absent_from_the_urssaf_file_is_missing_for_its_own_reason_not_mayotte_s(inputs):
    """4,344 communes outside Mayotte are in no URSSAF 2024 row (no private employer, or secret): their private
    jobs were missing "(the series leaves Mayotte out)". The reason now says what the file does not tell apart,
    for the level and for the growth; Mayotte keeps its own."""
    absent = tf.key_figures(rc.resolve("commune", "55050"), inputs).set_index("figure")  # Bezonvaux, 0 inhabitants
    for fig in ("private_jobs", "private_jobs_growth_pct"):
        note = absent.loc[fig, "note"]
        assert absent.loc[fig, "value"] is None and "Mayotte" not in note, note
        assert note.endswith("the commune is not in the URSSAF 2024 file (no private employer, or a secret figure: "
                             "the file does not tell them apart), so missing, not 0"), note
    two = tf.key_figures(rc.resolve("commune", ["55050", "55139"]), inputs).set_index("figure")
    assert "none of the territory's 2 communes is in the URSSAF 2024 file" in two.loc["private_jobs", "note"]
    mayotte = tf.key_figures(rc.resolve("commune", "97611"), inputs).set_index("figure")
    assert mayotte.loc["private_jobs_growth_pct", "note"].endswith("(the series leaves Mayotte out)")
    # its unemployment rate: no inhabitant to weight a rate by (it said the series leaves Mayotte and Guyane out)
    assert absent.loc["unemployment_rate_pct", "note"] == ("the territory has no inhabitants (2024 municipal population "
                                                           "0): a rate weighted by its inhabitants is undefined")
    assert "no zone d'emploi of the territory (0601) has a localised rate" in mayotte.loc["unemployment_rate_pct", "note"]


def test_guyane_has_jobs_but_its_unemployment_rate_is_missing_naming_guyane(mirror, inputs):
    """INSEE's localised rates leave Guyane out as well as Mayotte (the file's own note): Guyane's rate is
    missing with a reason that names Guyane, while its URSSAF jobs are there."""
    raw = json.loads((mirror / "employment" / "insee_chomage_localise_ze2020_2021t1_2025t4.json").read_text(encoding="utf-8"))
    assert "Guyane" in raw["meta"]["note"] and not any(str(z).startswith("03") for z in raw["zes"])
    kf = tf.key_figures(rc.resolve("dep", "973"), inputs).set_index("figure")
    assert kf.loc["private_jobs", "value"] > 0
    assert kf.loc["unemployment_rate_pct", "value"] is None and "Guyane" in kf.loc["unemployment_rate_pct", "note"]


# ---------------------------------------------------------------------------------------------
# The missing-cell rule in the profile's own tables (constructed cases)
# ---------------------------------------------------------------------------------------------

def _cells(rows):
    return pd.DataFrame(rows, columns=["code", "sector", "year", "employment"])


def test_industry_share_path_never_counts_a_secret_cell_as_zero():
    # zone A: sector X secret in 2019 (100 jobs in 2024), sector Y 50 -> 60; total 1000 both years
    ind = _cells([("A", "X", 2019, np.nan), ("A", "X", 2024, 100.0), ("A", "Y", 2019, 50.0), ("A", "Y", 2024, 60.0)])
    tot = pd.DataFrame({"code": ["A", "A"], "year": [2019, 2024], "employment": [1000.0, 1000.0]})
    out = P.industry_share_path(ind, tot, {"a": ["A"]}).set_index("year")
    assert out.loc[2019, "industry"] == 50.0 and out.loc[2019, "partial"] and out.loc[2019, "n_secret_cells"] == 1
    assert out.loc[2024, "index"] == pytest.approx(120.0)  # Y only: 60 / 50, not (100 + 60) / 50 = 320
    assert out.loc[2024, "index_cells"] == 1


def test_industry_share_path_zero_start_is_missing_not_infinite():
    ind = _cells([("A", "X", 2019, 0.0), ("A", "X", 2024, 10.0)])
    tot = pd.DataFrame({"code": ["A", "A"], "year": [2019, 2024], "employment": [100.0, 100.0]})
    out = P.industry_share_path(ind, tot, {"a": ["A"]})
    assert out["index"].isna().all() and not np.isinf(out["share"]).any()


def test_industry_mix_keeps_an_all_secret_sector_missing():
    a38 = pd.DataFrame({"ze2020": ["A", "A", "B", "B"], "a38": ["CG", "CH"] * 2, "a38_label": ["c", "m"] * 2,
                        "year": 2024, "employment": [np.nan, 10.0, 5.0, 20.0]})
    out = P.industry_mix(a38, ["A"], 2024, sectors=["CG", "CH"]).set_index("a38")
    assert math.isnan(out.loc["CG", "employment"]) and out.loc["CG", "n_secret_cells"] == 1
    assert math.isnan(out.loc["CG", "location_quotient"]) and math.isnan(out.loc["CG", "share_of_industry"])
    assert out.loc["CH", "share_of_industry"] == pytest.approx(1.0)
    assert list(out.index) == ["CH", "CG"]  # missing last, never shown as 0


def test_export_tables_writes_csv_and_one_workbook(tmp_path):
    key = tf.key_figures(rc.resolve("ze2020", "0101"))
    paths = P.export_tables({"key_figures": key, "other": pd.DataFrame({"a": [1, None]}), "none": None}, tmp_path)
    assert sorted(p.name for p in paths) == ["key_figures.csv", "other.csv", "tables.xlsx"]
    back = pd.read_csv(tmp_path / "key_figures.csv")
    assert list(back.columns) == P.KEY_FIGURES_COLUMNS
    import openpyxl

    assert openpyxl.load_workbook(tmp_path / "tables.xlsx").sheetnames == ["key_figures", "other"]
    assert P.export_tables({"x": key}) == []  # no ANALYSIS_TABLES_DIR: nothing written


def test_population_adds_up_to_the_departement_where_epcis_nest(inputs):
    """EPCIs lying wholly inside a département add up, with the département's communes of the EPCIs that
    straddle its border, to the département's population (plain pandas on the communes table)."""
    c = geography.communes()
    for dep in ("15", "44"):
        epcis = sorted(set(c.loc[c["dep"] == dep, "epci"]) - {"ZZZZZZZZZ"})
        nested = [e for e in epcis if set(c.loc[c["epci"] == e, "dep"]) == {dep}]
        rest = int(c.loc[(c["dep"] == dep) & ~c["epci"].isin(nested), "population"].sum())
        areas = [rc.resolve("epci", e) for e in nested] + [rc.resolve("dep", dep)]
        kf = tf.key_figures_many(areas, inputs)
        pop = kf[kf["figure"] == "population"].set_index("area")["value"]
        assert len(nested) >= 5
        assert sum(pop.iloc[:-1]) + rest == pop.iloc[-1] == int(c.loc[c["dep"] == dep, "population"].sum())


def test_industry_jobs_on_own_communes_when_the_official_file_is_there(inputs):
    """With the official commune x APE cells, industry figures are measured on the territory's own communes
    (constructed cells: one secret in 2019, one commune outside the territory)."""
    import dataclasses

    area = rc.resolve("epci", "241501139")  # Pays de Salers: no zone d'emploi stands for it
    coms = sorted(area.communes["com"])
    cells = pd.DataFrame({"code": [coms[0], coms[0], coms[1], coms[1], "75056", "75056"],
                          "sector": ["CA", "CA", "CH", "CH", "CA", "CA"], "year": [2019, 2024] * 3,
                          "employment": [100.0, 120.0, np.nan, 30.0, 1000.0, 1000.0]})
    kf = tf.key_figures(area, dataclasses.replace(inputs, official_cells=cells)).set_index("figure")
    assert kf.loc["industry_jobs", "value"] == 150.0 and kf.loc["industry_jobs", "base"] == measured.OWN
    assert kf.loc["industry_jobs_growth_pct", "value"] == pytest.approx(20.0)  # CA only: CH secret in 2019
    assert kf.loc["industry_jobs_growth_pct", "secret_share_pct"] > 0
    assert "official" in kf.loc["industry_jobs", "source"]
    assert kf.loc["industry_jobs", "area_measured"] == f"{len(coms)} communes"
    other = rc.resolve("epci", "200066637")  # with another territory before it, each keeps its own communes
    both = tf.key_figures_many([other, area], dataclasses.replace(inputs, official_cells=cells))
    jobs = both[both["figure"] == "industry_jobs"].set_index("area")
    assert jobs.loc[1, "area_measured"] == f"{len(coms)} communes" and jobs.loc[1, "value"] == 150.0
    assert jobs.loc[0, "value"] is None and len(other.communes) != len(coms)  # no cell of its communes


def test_without_the_official_file_the_offline_path_is_taken(monkeypatch):
    from analysis.data import official

    monkeypatch.setattr(official, "available", lambda *a, **k: False)
    assert tf.official_industry_cells() is None


def test_a_territory_not_resolved_is_refused_in_one_line_before_any_work():
    """key_figures, key_figures_many, compare and announced_jobs take Areas resolved once by rc.resolve; a level
    and code given instead failed deep inside ("'str' object has no attribute 'communes'")."""
    from analysis.methods import announced
    from analysis.report import atlas

    calls = {"key_figures": lambda: tf.key_figures("commune", "97611"),
             "key_figures_many": lambda: tf.key_figures_many([rc.resolve("dep", "63"), "63"]),
             "compare": lambda: atlas.compare([("dep", "976"), ("reg", "06")]),
             "announced_jobs": lambda: announced.announced_jobs(100, "ze2020", "CL")}
    for where, call in calls.items():
        with pytest.raises(TypeError) as err:
            call()
        msg = str(err.value)
        assert msg.startswith(f"{where} takes territories resolved once by rc.resolve, got ") and "\n" not in msg
        assert "rc.resolve('commune', '97611')" in msg
