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
    assert claims.compare(5.0, None, 5.0, 0.05, 0.5, comparable=False) == "close"
    assert claims.compare(5.0, None, None, None, None, not_reproducible=True) == "not reproducible"


def _register(tmp_path):
    rows = [
        dict(id="a_claim", seed="003_x.txt", quote="q", value="134", value_high="", unit="u", period="p",
             geography="g", attributed_to="", theme="multiplier", plan="01_local_multiplier"),
        dict(id="b_claim", seed="003_x.txt", quote="q", value="70", value_high="", unit="sites", period="p",
             geography="g", attributed_to="", theme="energy", plan="not reproducible: some dataset"),
        dict(id="c_claim", seed="003_x.txt", quote="q", value="1", value_high="2", unit="u", period="p",
             geography="g", attributed_to="", theme="energy", plan="99_missing"),
    ]
    path = tmp_path / "claims.csv"
    pd.DataFrame(rows, columns=claims.CLAIM_COLUMNS).to_csv(path, index=False)
    return path


def test_record_and_build_scoreboard(tmp_path, monkeypatch):
    reg = _register(tmp_path)
    monkeypatch.setattr(claims, "CLAIMS_CSV", reg)
    monkeypatch.setattr(claims.claim, "__defaults__", (reg,))
    monkeypatch.setenv("ANALYSIS_RESULTS_DIR", str(tmp_path / "results"))
    (tmp_path / "nb").mkdir()
    (tmp_path / "nb" / "01_local_multiplier.ipynb").write_text("{}")
    assert claims.record("a_claim", 120.0, tol=0.05, close_tol=0.15, note="x", notebook="01") == "close"
    assert claims.record("a_claim", 133.0, tol=0.05, close_tol=0.15, note="  y\n z", notebook="01") == "reproduced"
    with pytest.raises(claims.ClaimError, match="unknown claim id 'nope'"):
        claims.record("nope", 1.0, tol=0.1, close_tol=0.2, note="", notebook="01")
    with pytest.raises(claims.ClaimError, match="tolerances"):
        claims.record("a_claim", 1.0, note="", notebook="01")
    board = claims.build_scoreboard(reg, out_dir=tmp_path / "results", notebooks_dir=tmp_path / "nb")
    assert list(board.columns) == claims.SCOREBOARD_COLUMNS
    got = board.set_index("id")
    assert got.loc["a_claim", "status"] == "reproduced" and got.loc["a_claim", "note"] == "y z"
    assert got.loc["b_claim", "status"] == "not reproducible" and got.loc["b_claim", "note"] == "some dataset"
    assert got.loc["c_claim", "status"] == "pending" and got.loc["c_claim", "cited_value"] == "1-2"
    assert "| multiplier | 1 | 0 | 0 | 0 | 0 |" in (tmp_path / "results" / "SCOREBOARD.md").read_text()


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
    recorded = board[board["status"].isin(["reproduced", "close", "differs"])]
    assert (recorded["recomputed_value"] != "").all() and (recorded["note"] != "").all()


def test_scoreboard_recompares_with_the_current_register(tmp_path, monkeypatch):
    """A status saved at record time is not trusted: editing the cited value changes the status."""
    reg = _register(tmp_path)
    monkeypatch.setattr(claims, "CLAIMS_CSV", reg)
    monkeypatch.setattr(claims.claim, "__defaults__", (reg,))
    monkeypatch.setenv("ANALYSIS_RESULTS_DIR", str(tmp_path / "results"))
    assert claims.record("a_claim", 134.0, tol=0.05, close_tol=0.15, note="x", notebook="01") == "reproduced"
    edited = pd.read_csv(reg, dtype=str, keep_default_na=False)
    edited.loc[edited["id"] == "a_claim", "value"] = "999999"
    edited.to_csv(reg, index=False)
    board = claims.scoreboard(reg, tmp_path / "results" / "claims_results.csv").set_index("id")
    assert board.loc["a_claim", "status"] == "differs"


def test_forget_drops_a_notebooks_rows(tmp_path, monkeypatch):
    reg = _register(tmp_path)
    monkeypatch.setattr(claims, "CLAIMS_CSV", reg)
    monkeypatch.setattr(claims.claim, "__defaults__", (reg,))
    monkeypatch.setenv("ANALYSIS_RESULTS_DIR", str(tmp_path / "results"))
    claims.record("a_claim", 134.0, tol=0.05, close_tol=0.15, note="x", notebook="01_x")
    claims.record("c_claim", 1.5, tol=0.0, close_tol=0.1, note="y", notebook="02_y")
    assert claims.forget("01_x") == 1
    left = pd.read_csv(tmp_path / "results" / "claims_results.csv", dtype=str)
    assert list(left["id"]) == ["c_claim"]


def test_record_writes_the_bytes_the_pandas_writer_wrote(tmp_path, monkeypatch):
    """record() rewrites the results file with the csv module; scoreboard() and forget() read it with
    pandas: the file is what pandas would write for the same rows (quoting, order, empty cells)."""
    import csv as _csv

    monkeypatch.setenv("ANALYSIS_RESULTS_DIR", str(tmp_path))
    ids = list(claims.load_claims()["id"][:3])
    claims.record(ids[2], 1.5, tol=0.05, close_tol=0.25, note='a "quoted", note\twith tab', notebook="nb_x")
    claims.record(ids[0], None, note="no data, say which", notebook="nb_x", not_reproducible=True)
    claims.record(ids[1], 2.0, tol=0.0, close_tol=0.0, note="x", notebook="nb_y", comparable=False)
    claims.record(ids[2], 3.5, tol=0.05, close_tol=0.25, note="replaced", notebook="nb_x")
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
