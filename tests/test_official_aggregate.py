"""DuckDB aggregation of the URSSAF commune x APE file (``pytest -k official``).

Known answers: the mirror's Rouen extract (the official export, filtered on ZE2020 Rouen 2815 AND
Seine-Maritime 76) against the mirror's ZE2020 x A38 file (a third-party aggregate of the national
file) for 2019 and 2022, and small constructed files.

Documented differences of the Rouen check: the zone d'emploi of Rouen has 300 communes, 218 in
Seine-Maritime (in the extract) and 82 in the Eure (not in it, 116,699 of its 733,801
inhabitants), so the extract's ZE total is 85.6 % (2019) and 84.8 % (2022) of the mirror's.
Adding the Eure communes' private employment from the mirror's totals-by-area file closes the
gap to 0.16 % (2019: 205,304 vs 205,626) and 0.72 % (2022: 215,021 vs 216,571); the rest is the
vintage of the aggregates (later revisions) and, in 2022, three cells of the extract with
establishments but no headcount. Sector by sector the extract never exceeds the mirror by more
than 1.2 % (CL, +58 jobs in 2019, +45 in 2022, a revision).
"""

import csv

import numpy as np
import pandas as pd
import pytest

from analysis.methods import dynamics, official_aggregate as oa, official_panels
from analysis.geo import areas as geography
from analysis.methods import multiplier as mp
from analysis.data.loaders import employment as E
from analysis.data.registry import fetch

ROUEN_ZE = "2815"


@pytest.fixture(scope="module")
def rouen_path():
    return fetch(E.URSSAF_COMMUNE_APE_ROUEN)


@pytest.fixture(scope="module")
def rouen(rouen_path):
    return oa.aggregate(rouen_path)


@pytest.fixture(scope="module")
def rouen_known(rouen_path):
    return oa.aggregate(rouen_path, partial="sum_known")


def test_official_schema_is_the_ze2020_a38_loaders(rouen):
    ref = E.load_urssaf_ze2020_a38()
    t = rouen.tables["ze2020"]
    assert list(t.columns) == list(ref.columns)
    assert t.dtypes.astype(str).tolist() == ref.dtypes.astype(str).tolist()
    for level in ("epci", "dep"):
        cols = list(rouen.tables[level].columns)
        assert cols == [level, f"{level}_name"] + list(ref.columns[2:])
    # every (zone, sector) pair has every year of the file, 2006-2022
    assert t.groupby(["ze2020", "a38"]).size().eq(17).all()
    assert sorted(t["year"].unique()) == list(range(2006, 2023))
    assert set(t["ze2020"]) == {ROUEN_ZE} and t["ze2020_name"].iloc[0] == "Rouen"
    assert set(rouen.tables["dep"]["dep"]) == {"76"}
    assert rouen.tables["epci"]["epci"].nunique() == 9
    row = t[(t["a38"] == "CF") & (t["year"] == 2019)].iloc[0]
    assert (row["a21"], row["a5"], row["employment"]) == ("C", "BE", 2601.0)
    assert row["a38_label"] == "Industrie pharmaceutique"
    assert set(t["a5"]) <= {"BE", "FZ", "GU", "OQ"}


def test_official_rouen_extract_against_the_mirror_ze2020_a38(rouen_known):
    t = rouen_known.tables["ze2020"]
    mirror = E.load_urssaf_ze2020_a38()
    mirror = mirror[mirror["ze2020"] == ROUEN_ZE]
    tot = E.load_urssaf_totals_by_area()
    com = tot[tot["level"] == "commune"].assign(code=lambda d: geography.commune_codes_2024(d["code"]))
    c = geography.communes()
    eure_part = set(c.loc[(c["ze2020"] == ROUEN_ZE) & (c["dep"] == "27"), "com"])
    assert len(eure_part) == 82
    expected = {2019: (175_923, 205_626, 29_381), 2022: (183_731, 216_571, 31_290)}
    for year, (ours, theirs, eure) in expected.items():
        a = t[t["year"] == year].set_index("a38")["employment"]
        b = mirror[mirror["year"] == year].set_index("a38")["employment"]
        assert a.sum() == ours and b.sum() == theirs
        assert set(a.index) == set(b.index)  # the same 35 sectors
        assert (a <= 1.012 * b + 1).all(), (a / b)[a > 1.012 * b + 1]
        assert 0.84 < a.sum() / b.sum() < 0.86
        e = com[(com["year"] == year) & com["code"].isin(eure_part)]["employment"].sum()
        assert e == eure
        assert abs((ours + eure) / theirs - 1) < 0.008


def test_official_missing_headcount_stays_missing(rouen, rouen_known):
    strict, known = rouen.tables["ze2020"], rouen_known.tables["ze2020"]
    y22 = strict[strict["year"] == 2022]
    assert sorted(y22.loc[y22["employment"].isna(), "a38"]) == ["FZ", "HZ", "MA"]
    assert known.loc[known["year"] == 2022, "employment"].notna().all()
    d = rouen.diagnostics["ze2020"].set_index("year")
    assert d.loc[2022, "cells_missing_headcount"] == 3 and d.loc[2022, "area_a38_cells_affected"] == 3
    assert d.loc[2022, "jobs_known_in_affected_cells"] == 43_155
    assert d.loc[2018, "cells_missing_headcount"] == 1 and d.loc[2019, "cells_missing_headcount"] == 0
    # the extract's own loader agrees on which cells are missing
    raw = E.load_urssaf_commune_ape_rouen()
    assert int(raw[(raw["variable"] == "employment") & (raw["year"] == 2022)]["value"].isna().sum()) == 3
    assert rouen.diagnostics["crosswalk"].set_index("how").loc["2024", "communes"] == 218


def test_official_epci_growth_equals_the_extract_loader(rouen):
    g = official_panels.metropole_growth(["200023414"], 2017, 2020, panel=rouen.tables["epci"])
    coms = set(geography.area_communes("epci", "200023414")["com"])
    for sector in ("industry", "manufacturing"):
        # every EPCI x A38 cell is published in both years: its jobs are the published commune x NA38 cells
        # of the extract (the extract's own growth, on commune cells present in both years, differs)
        c = dynamics.employment_cells("urssaf_commune_ape_rouen", sector, (2017, 2020))
        ref = c[c["code"].isin(coms)].groupby("year")["employment"].sum()
        row = g[g["sector"] == sector].iloc[0]
        assert (row["emp_start"], row["emp_end"]) == (ref[2017], ref[2020]) and row["n_cells_one_year"] == 0
        assert row["growth"] == pytest.approx(ref[2020] / ref[2017] - 1, abs=1e-12)
    ind = g[g["sector"] == "industry"].iloc[0]
    assert (ind["emp_start"], ind["emp_end"], ind["n_cells_one_year"]) == (24_881, 24_510, 0)
    assert ind["name"] == "Métropole Rouen Normandie"
    with pytest.raises(oa.OfficialAggregateError, match="243400017"):
        official_panels.metropole_growth(["243400017"], panel=rouen.tables["epci"])


def test_official_table_feeds_the_multiplier_estimators(rouen):
    t = rouen.tables["ze2020"]
    emp = mp.zone_employment(t, pd.Series({ROUEN_ZE: "28"}), zone="ze2020", sector="a38")
    groups = mp.sector_groups(mp.load_sector_classification(), "a38", "footnote17")
    p = mp.long_differences(emp, groups, 2007, 2017)
    assert p["drop_reason"].iloc[0] == "" and p["exposed_0"].iloc[0] > 0
    exposed_2007 = t[(t["year"] == 2007) & t["a38"].isin(groups.index[groups == "exposed"])]["employment"].sum()
    assert p["exposed_0"].iloc[0] == exposed_2007


# ---------------------------------------------------------------------------------------------
# Constructed files
# ---------------------------------------------------------------------------------------------
HEADER = ["Région", "Ancienne région", "Département", "Zone d'emploi", "EPCI", "Nom commune", "Commune",
          "Grand secteur d'activité", "Secteur NA17", "Secteur NA38", "Secteur NA88", "APE", "Code région",
          "Code ancienne région", "Code département", "Code zone d'emploi", "Code EPCI", "Code commune", "Code APE",
          "Nombre d'établissements 2019", "Effectifs salariés 2019", "Nombre d'établissements 2020",
          "Effectifs salariés 2020"]


def _row(com, na38, ape, values, ze="2815", epci="200023414", dep="76"):
    label = {"CA": "CA Fabrication de denrées alimentaires", "GZ": "GZ Commerce",
             "MN": "MN Activités ; soutien", "nca": "nca Non classé"}[na38]
    return ["Normandie", "Haute-Normandie", "Seine-Maritime", "Rouen", "Métropole", com, com, "GS1 Industrie",
            label, label, "10 Ind. alimentaires", f"{ape} Transformation", "28", "23", dep, ze, epci, com, ape,
            *["" if v is None else str(v) for v in values]]


def _write(path, rows):
    with open(path, "w", newline="", encoding="utf-8-sig") as f:
        w = csv.writer(f, delimiter=";", lineterminator="\n")
        w.writerow(HEADER)
        w.writerows(rows)
    return path


def test_official_constructed_file_sums_absent_and_secret_cells(tmp_path):
    p = _write(tmp_path / "t.csv", [
        _row("76540", "CA", "1011Z", [2, 100, 2, 110]),
        _row("76540", "CA", "1012Z", [1, 5, None, None]),     # absent in 2020
        _row("76451", "CA", "1013A", [1, None, 1, 7]),         # secret headcount in 2019
        _row("76451", "GZ", "4711D", [None, None, 3, 0]),      # absent in 2019, zero jobs in 2020
    ])
    a = oa.aggregate(p)
    t = a.tables["ze2020"].set_index(["a38", "year"])["employment"]
    assert np.isnan(t[("CA", 2019)])           # 105 known + 1 secret cell: not a total
    assert t[("CA", 2020)] == 117.0
    assert np.isnan(t[("GZ", 2019)])           # no establishment: absent, NaN, not 0
    assert t[("GZ", 2020)] == 0.0              # establishments with no employee: a real 0
    k = oa.aggregate(p, partial="sum_known").tables["ze2020"].set_index(["a38", "year"])["employment"]
    assert k[("CA", 2019)] == 105.0
    d = a.diagnostics["ze2020"].set_index("year")
    assert d.loc[2019, "cells_missing_headcount"] == 1 and d.loc[2019, "jobs_known_in_affected_cells"] == 105
    assert d.loc[2020, "cells_missing_headcount"] == 0
    # labels after the first space, ';' inside a quoted field is fine
    assert a.tables["ze2020"].drop_duplicates("a38").set_index("a38")["a38_label"]["CA"] == \
        "Fabrication de denrées alimentaires"


def test_official_merged_communes_and_fallbacks(tmp_path):
    known = set(geography.communes()["com"])
    old = sorted(set(E.load_ze2010_composition()["commune"]) - known)
    assert len(old) >= 3
    a_old, b_old, split_old = old[:3]
    p = _write(tmp_path / "m.csv", [
        _row("76540", "CA", "1011Z", [1, 10, 1, 10]),
        _row(a_old, "CA", "1011Z", [1, 20, 1, 20], ze="9999", epci="999999999", dep="99"),
        _row(b_old, "CA", "1011Z", [1, 40, 1, 40], ze="0051", epci="200000172", dep="01"),
        _row(split_old, "CA", "1011Z", [1, 80, 1, 80], ze="", epci="", dep=""),
        _row("75112", "GZ", "4711D", [1, 3, 1, 3], ze="", epci="", dep=""),   # Paris 12e arrondissement
    ])
    history = pd.DataFrame({
        "MOD": ["32", "32", "31", "21", "21"],
        "TYPECOM_AV": ["COM"] * 5, "TYPECOM_AP": ["COM"] * 5,
        "COM_AV": [a_old, "99999", b_old, split_old, split_old],
        "COM_AP": ["99999", "76540", "01004", "01001", "01002"],  # a_old -> 99999 -> 76540 (a chain)
    })
    succ = oa.commune_successors(history.assign(MOD=["32", "32", "31", "31", "31"]), known)
    assert succ[a_old] == "76540" and succ[b_old] == "01004" and split_old not in succ.index
    xw = oa.aggregate(p, history=history).crosswalk.set_index("com")
    assert xw.loc["76540", "how"] == "2024" and xw.loc["75112", "how"] == "arrondissement"
    assert xw.loc["75112", "com_2024"] == "75056" and xw.loc["75112", "ze2020"] == "1109"
    assert xw.loc[a_old, "how"] == "history" and xw.loc[a_old, "ze2020"] == ROUEN_ZE
    assert xw.loc[b_old, "how"] == "history" and xw.loc[b_old, "dep"] == "01"
    assert xw.loc[split_old, "how"] == "unmatched"  # event 21 is not a merge; no zonings in the file
    agg = oa.aggregate(p, history=history)
    ze = agg.tables["ze2020"].set_index(["ze2020", "a38", "year"])["employment"]
    assert ze[(ROUEN_ZE, "CA", 2019)] == 30.0
    assert agg.diagnostics["ze2020"].set_index("year").loc[2019, "jobs_left_out_unplaced_communes"] == 80.0
    # without the COG events: the file's own zonings are used, and an unknown code is left out, counted
    plain = oa.aggregate(p)
    xp = plain.crosswalk.set_index("com")
    assert xp.loc[b_old, "how"] == "file" and xp.loc[b_old, "ze2020"] == "0051"
    cw = plain.diagnostics["crosswalk"].set_index("how")
    assert cw.loc["unmatched", "communes"] == 1 and cw.loc["unmatched", "jobs_last_year"] == 80.0


def test_official_parquet_with_field_names_gives_the_same_tables(rouen_path, rouen, tmp_path):
    import duckdb

    from analysis.data.official import slug

    out = tmp_path / "rouen.parquet"
    con = duckdb.connect()
    cols = con.execute(f"DESCRIBE SELECT * FROM read_csv('{rouen_path}', delim=';', header=true, all_varchar=true)"
                       ).fetchall()
    select = ", ".join(
        (f'TRY_CAST("{c[0]}" AS BIGINT)' if c[0].startswith(("Nombre", "Effectifs")) else f'"{c[0]}"')
        + f' AS "{slug(c[0])}"' for c in cols)
    con.execute(f"COPY (SELECT {select} FROM read_csv('{rouen_path}', delim=';', header=true, all_varchar=true)) "
                f"TO '{out}' (FORMAT parquet)")
    con.close()
    pq = oa.aggregate(out)
    for level in ("ze2020", "epci", "dep"):
        pd.testing.assert_frame_equal(pq.tables[level], rouen.tables[level])


def test_official_bad_values_name_the_column(tmp_path):
    rows = [_row("76540", "CA", "1011Z", [1, 10, 1, 10]), _row("76451", "CA", "1011Z", [1, "douze", 1, 12])]
    with pytest.raises(oa.OfficialAggregateError, match="Effectifs salariés 2019"):
        oa.aggregate(_write(tmp_path / "bad.csv", rows))
    rows = [_row("76540", "CA", "1011Z", [1, 10, 1, 10]), _row("76451", "CA", "1011Z", [1, 4, 1, -2])]
    with pytest.raises(oa.OfficialAggregateError, match="1 row.* negative headcount"):
        oa.aggregate(_write(tmp_path / "negative.csv", rows))
    # a row without an A38 sector is left out of the tables and counted, not an error
    rows = [_row("76540", "CA", "1011Z", [1, 10, 1, 10]), _row("76451", "nca", "0000Z", [1, 6, 1, 7])]
    a = oa.aggregate(_write(tmp_path / "nca.csv", rows))
    assert set(a.tables["ze2020"]["a38"]) == {"CA"}
    assert a.diagnostics["dep"]["jobs_left_out_unclassified_sector"].tolist() == [6.0, 7.0]
    with open(tmp_path / "foreign.csv", "w", encoding="utf-8") as f:
        f.write("a;b;c\n1;2;3\n")
    with pytest.raises(oa.official.DownloadRefusedError, match="not the URSSAF commune x APE table"):
        oa.aggregate(tmp_path / "foreign.csv")
    with pytest.raises(oa.OfficialAggregateError, match="partial"):
        oa.aggregate(tmp_path / "foreign.csv", partial="zero")
