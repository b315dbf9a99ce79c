"""Scoreboard logic: comparison rules, recording, and the committed scoreboard being up to date."""

import shutil
from pathlib import Path

import pandas as pd
import pytest

from analysis.report import claims

ROOT = Path(__file__).resolve().parents[1]


@pytest.mark.parametrize("value, expected", [
    (134.0, "reproduced"), (140.0, "reproduced"), (150.0, "close"), (200.0, "differs"), (100.0, "differs"),
])
def test_compare_point_value(value, expected):
    assert claims.compare(134.0, None, value, tol=0.05, close_tol=0.15) == expected


def test_compare_range_and_proxy():
    assert claims.compare(110_000, 115_000, 112_000, 0.0, 0.1) == "reproduced"
    assert claims.compare(110_000, 115_000, 120_000, 0.0, 0.1) == "close"   # 4.3 % above the top
    assert claims.compare(110_000, 115_000, 98_000, 0.0, 0.1) == "differs"  # 10.9 % below the bottom
    assert claims.compare(5.0, None, None, None, None, not_reproducible=True) == "not reproducible"


def _claim(period="2017-2020", geography="Nantes (métropole)", unit="% change in industrial employment",
           value=4.0, value_high=None):
    """A constructed register row (the fields the status rule reads)."""
    return {"id": "x", "value": value, "value_high": value_high, "unit": unit, "period": period, "geography": geography}


AS_CITED = {"period_used": "2017-2020", "geography_used": "Nantes (métropole): EPCI 244400404",
            "definition_used": "% change in industrial employment: URSSAF private employers, B-E"}


@pytest.mark.parametrize("value, expected", [(4.1, "reproduced"), (5.0, "close"), (9.0, "differs")])
def test_measured_as_cited_gets_a_tolerance_status(value, expected):
    assert claims.mismatches(_claim(), **AS_CITED) == []
    assert claims.derive_status(_claim(), value, 0.05, 0.5, **AS_CITED) == expected


@pytest.mark.parametrize("field, used, what", [
    ("period_used", "2019-2022", "period"),                      # another window
    ("period_used", "2018-2019", "period"),                      # a window inside the cited one is another change
    ("period_used", "2016-2020", "period"),                      # a window starting earlier
    ("geography_used", "zone d'emploi 2020 5217 Nantes", "geography"),
    ("geography_used", "Nantes (métropole) and its zone d'emploi", "geography"),  # prefix without ':' is not the same
    ("definition_used", "% change in total employment", "definition"),
])
def test_another_period_geography_or_definition_is_a_proxy_whatever_the_gap(field, used, what):
    measured = {**AS_CITED, field: used}
    found = claims.mismatches(_claim(), **measured)
    assert len(found) == 1 and found[0].startswith(what)
    for value in (4.0, 4.1, 40.0):  # even an exact value: the status says what was measured
        assert claims.derive_status(_claim(), value, 0.05, 0.5, **measured) == "proxy"


def test_period_rule_points_windows_and_formats():
    at = {"geography_used": "France", "definition_used": "sites"}
    c = _claim(period="2024-2025", geography="France", unit="sites", value=70)
    assert claims.derive_status(c, 70, 0.05, 0.15, period_used="2025-06-30", **at) == "reproduced"  # a date inside
    assert claims.derive_status(c, 70, 0.05, 0.15, period_used="2026-02", **at) == "proxy"        # a month after
    assert claims.derive_status(c, 70, 0.05, 0.15, period_used="2023", **at) == "proxy"
    year = _claim(period="2019", geography="France", unit="sites", value=70)
    assert claims.derive_status(year, 70, 0.05, 0.15, period_used="2019-T2", **at) == "reproduced"
    assert claims.derive_status(year, 70, 0.05, 0.15, period_used="2018", **at) == "proxy"
    assert claims.derive_status(year, 70, 0.05, 0.15, period_used="2018-2019", **at) == "proxy"
    undated = _claim(period="", geography="France", unit="sites", value=70)
    assert claims.derive_status(undated, 70, 0.05, 0.15, period_used="1998-2013", **at) == "reproduced"
    assert claims.period_span("2017-2020") == (2017, 2020, False)
    assert claims.period_span(" 2019-Q3 ") == (2019, 2019, True)
    for bad in ("2019/2020", "about 2019", "2020-2017", "2019-13"):
        with pytest.raises(claims.ClaimError, match="period"):
            claims.period_span(bad)


def test_text_rule_ignores_case_and_spacing_but_not_words():
    c = _claim(geography="Saint-Nazaire (zone d'emploi)", unit="% unemployment rate")
    same = {"period_used": "2017-2020", "definition_used": "% Unemployment  rate"}
    assert claims.mismatches(c, geography_used="saint-nazaire (zone d'emploi) : ZE2020 5219", **same) == []
    assert claims.mismatches(c, geography_used="Saint-Nazaire", **same) == [
        "geography Saint-Nazaire for Saint-Nazaire (zone d'emploi)"]


def _register(tmp_path):
    rows = [
        dict(id="a_claim", seed="003_x.txt", quote="q", value="134", value_high="", unit="u", period="2007-2023",
             geography="g", attributed_to="", theme="multiplier", plan="01_local_multiplier"),
        dict(id="b_claim", seed="003_x.txt", quote="q", value="70", value_high="", unit="sites", period="2024",
             geography="g", attributed_to="", theme="energy", plan="not reproducible: some dataset"),
        dict(id="c_claim", seed="003_x.txt", quote="q", value="1", value_high="2", unit="u", period="2019",
             geography="g", attributed_to="", theme="energy", plan="99_missing"),
    ]
    path = tmp_path / "claims.csv"
    pd.DataFrame(rows, columns=claims.CLAIM_COLUMNS).to_csv(path, index=False)
    return path


USED = {"period_used": "2007-2023", "geography_used": "g: constructed", "definition_used": "u"}


def test_record_and_build_scoreboard(tmp_path, monkeypatch):
    reg = _register(tmp_path)
    monkeypatch.setattr(claims, "CLAIMS_CSV", reg)
    monkeypatch.setattr(claims.claim, "__defaults__", (reg,))
    monkeypatch.setenv("ANALYSIS_RESULTS_DIR", str(tmp_path / "results"))
    (tmp_path / "nb").mkdir()
    (tmp_path / "nb" / "01_local_multiplier.ipynb").write_text("{}")
    assert claims.record("a_claim", 120.0, tol=0.05, close_tol=0.15, note="x", notebook="01", **USED) == "close"
    assert claims.record("a_claim", 133.0, tol=0.05, close_tol=0.15, note="  y\n z", notebook="01", **USED) == "reproduced"
    with pytest.raises(claims.ClaimError, match="unknown claim id 'nope'"):
        claims.record("nope", 1.0, tol=0.1, close_tol=0.2, note="", notebook="01", **USED)
    with pytest.raises(claims.ClaimError, match="tolerances"):
        claims.record("a_claim", 1.0, note="", notebook="01", **USED)
    with pytest.raises(claims.ClaimError, match="a_claim: .*give geography_used.*'g'"):
        claims.record("a_claim", 1.0, tol=0.1, close_tol=0.2, note="", notebook="01",
                      period_used="2007-2023", definition_used="u")
    # a proxy: the gap is on the scoreboard, the status is not a tolerance status
    assert claims.record("c_claim", 1.5, tol=0.0, close_tol=0.1, note="z", notebook="99_missing",
                         period_used="2018", geography_used="g", definition_used="u") == "proxy"
    board = claims.build_scoreboard(reg, out_dir=tmp_path / "results", notebooks_dir=tmp_path / "nb")
    assert list(board.columns) == claims.SCOREBOARD_COLUMNS
    got = board.set_index("id")
    assert got.loc["a_claim", "status"] == "reproduced" and got.loc["a_claim", "note"] == "y z"
    assert got.loc["b_claim", "status"] == "not reproducible" and got.loc["b_claim", "note"] == "some dataset"
    assert got.loc["a_claim", "gap_pct"] == "0.746269" and got.loc["a_claim", "period_used"] == "2007-2023"
    assert got.loc["c_claim", "status"] == "proxy" and got.loc["c_claim", "cited_value"] == "1-2"
    assert got.loc["c_claim", "gap_pct"] == "0" and got.loc["c_claim", "period_used"] == "2018"
    text = (tmp_path / "results" / "SCOREBOARD.md").read_text()
    assert "| multiplier | 1 | 0 | 0 | 0 | 0 | 0 |" in text and "| energy | 0 | 0 | 0 | 1 | 1 | 0 |" in text


def test_committed_scoreboard_is_up_to_date(tmp_path):
    """`make reproduce` regenerates results/scoreboard.csv; the committed copy must match."""
    shutil.copy(ROOT / "results" / "claims_results.csv", tmp_path / "claims_results.csv")
    claims.build_scoreboard(out_dir=tmp_path)
    for name in ("scoreboard.csv", "SCOREBOARD.md"):
        assert (tmp_path / name).read_text() == (ROOT / "results" / name).read_text(), (
            f"results/{name} is stale: run `make reproduce` (or `make scoreboard`) and commit it")


def test_every_register_row_is_on_the_committed_scoreboard():
    board = pd.read_csv(ROOT / "results" / "scoreboard.csv", dtype=str, keep_default_na=False)
    register = claims.load_claims()
    assert list(board["id"]) == list(register["id"])
    assert set(board["status"]) <= set(claims.STATUSES)
    recorded = board[board["status"].isin(["reproduced", "close", "differs", "proxy"])]
    assert (recorded["recomputed_value"] != "").all() and (recorded["note"] != "").all()
    assert (recorded[claims.USED_COLUMNS] != "").all().all() and (recorded["gap_pct"] != "").all()


def test_scoreboard_recompares_with_the_current_register(tmp_path, monkeypatch):
    """A status saved at record time is not trusted: editing the cited value changes the status."""
    reg = _register(tmp_path)
    monkeypatch.setattr(claims, "CLAIMS_CSV", reg)
    monkeypatch.setattr(claims.claim, "__defaults__", (reg,))
    monkeypatch.setenv("ANALYSIS_RESULTS_DIR", str(tmp_path / "results"))
    assert claims.record("a_claim", 134.0, tol=0.05, close_tol=0.15, note="x", notebook="01", **USED) == "reproduced"
    edited = pd.read_csv(reg, dtype=str, keep_default_na=False)
    edited.loc[edited["id"] == "a_claim", "value"] = "999999"
    edited.to_csv(reg, index=False)
    board = claims.scoreboard(reg, tmp_path / "results" / "claims_results.csv").set_index("id")
    assert board.loc["a_claim", "status"] == "differs"
    edited.loc[edited["id"] == "a_claim", "period"] = "2007-2024"  # the register's period changes: now a proxy
    edited.to_csv(reg, index=False)
    board = claims.scoreboard(reg, tmp_path / "results" / "claims_results.csv").set_index("id")
    assert board.loc["a_claim", "status"] == "proxy"


def test_forget_drops_a_notebooks_rows(tmp_path, monkeypatch):
    reg = _register(tmp_path)
    monkeypatch.setattr(claims, "CLAIMS_CSV", reg)
    monkeypatch.setattr(claims.claim, "__defaults__", (reg,))
    monkeypatch.setenv("ANALYSIS_RESULTS_DIR", str(tmp_path / "results"))
    claims.record("a_claim", 134.0, tol=0.05, close_tol=0.15, note="x", notebook="01_x", **USED)
    claims.record("c_claim", 1.5, tol=0.0, close_tol=0.1, note="y", notebook="02_y", **USED)
    assert claims.forget("01_x") == 1
    left = pd.read_csv(tmp_path / "results" / "claims_results.csv", dtype=str)
    assert list(left["id"]) == ["c_claim"]


def test_record_writes_the_bytes_the_pandas_writer_wrote(tmp_path, monkeypatch):
    """record() rewrites the results file with the csv module; scoreboard() and forget() read it with
    pandas: the file is what pandas would write for the same rows (quoting, order, empty cells)."""
    import csv as _csv

    monkeypatch.setenv("ANALYSIS_RESULTS_DIR", str(tmp_path))
    ids = list(claims.load_claims()["id"][:3])
    used = {"period_used": "2019", "geography_used": "France, \"quoted\"", "definition_used": "u"}
    claims.record(ids[2], 1.5, tol=0.05, close_tol=0.25, note='a "quoted", note\twith tab', notebook="nb_x", **used)
    claims.record(ids[0], None, note="no data, say which", notebook="nb_x", not_reproducible=True)
    claims.record(ids[1], 2.0, tol=0.0, close_tol=0.0, note="x", notebook="nb_y", **used)
    claims.record(ids[2], 3.5, tol=0.05, close_tol=0.25, note="replaced", notebook="nb_x", **used)
    path = claims.results_path()
    text = path.read_text(encoding="utf-8")
    df = claims._read_results(path)
    assert text == df.to_csv(index=False, lineterminator="\n", quoting=_csv.QUOTE_MINIMAL)
    assert list(df["id"]) == sorted(ids) and df.set_index("id").loc[ids[2], "recomputed_value"] == "3.5"
    assert df.set_index("id").loc[ids[0], "recomputed_value"] == ""


def test_claim_reads_an_edited_register(tmp_path):
    src = claims.CLAIMS_CSV.read_text(encoding="utf-8")
    path = tmp_path / "claims.csv"
    path.write_text(src, encoding="utf-8")
    first = claims.load_claims(path).iloc[0]
    assert claims.claim(first["id"], path)["value"] == first["value"]
    df = pd.read_csv(path, dtype=str, keep_default_na=False)
    df.loc[0, "value"] = "123456"
    df.to_csv(path, index=False)
    assert claims.claim(first["id"], path)["value"] == 123456.0
