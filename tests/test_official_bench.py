"""Synthetic national-size generator and benchmark of the official aggregation (``pytest -k official``).

The national-size run itself (``make bench-official``, about 30 s) is not part of the unit tests;
here a 300-commune file checks the generator's schema and the benchmark's report.
"""

import csv

import pytest

from analysis.methods import official_aggregate as oa
from analysis.data.loaders import employment as E
from analysis.data.registry import fetch


@pytest.fixture(scope="module")
def small_file(tmp_path_factory):
    import official_synthetic

    path = tmp_path_factory.mktemp("bench") / "synthetic.csv"
    info = official_synthetic.write_national_file(path, communes=300, seed=1)
    return path, info


def test_official_synthetic_file_has_the_official_schema(small_file):
    path, info = small_file
    with open(fetch(E.URSSAF_COMMUNE_APE_ROUEN), encoding="utf-8-sig") as f:
        rouen_header = next(csv.reader(f, delimiter=";"))
    with open(path, encoding="utf-8-sig") as f:
        header = next(csv.reader(f, delimiter=";"))
    assert header[:19] == rouen_header[:19]
    assert header[19:19 + len(rouen_header) - 19] == rouen_header[19:]  # 2006-2022 as in the extract
    assert header[-2:] == ["Nombre d'établissements 2023", "Effectifs salariés 2023"]
    assert info["communes"] == 300 and 5_000 < info["rows"] < 20_000
    wide, years = oa.commune_a38(path)
    assert years == list(range(2006, 2024))
    assert wide["com"].nunique() == 300
    assert int(sum(wide[f"miss_{y}"].sum() for y in years)) > 0  # some secret headcounts


def test_official_bench_reports_time_and_memory(small_file):
    path, info = small_file
    r = oa.bench(path, threads=2)
    assert r["rows_in"] == info["rows"]
    assert 0 < r["seconds"] < 60 and 50 < r["peak_rss_mb"] < 2048
    assert r["within_targets"] is True
    assert set(r["rows_out"]) == {"ze2020", "epci", "dep"} and r["rows_out"]["dep"] > 0


def test_official_synthetic_file_scales(tmp_path):
    import official_synthetic

    one = official_synthetic.write_national_file(tmp_path / "x1.csv", communes=40, seed=2)
    three = official_synthetic.write_national_file(tmp_path / "x3.csv", communes=40, seed=2, scale=3)
    assert three["rows"] == 3 * one["rows"] and three["scale"] == 3
    assert 2.7 * one["bytes"] < three["bytes"] < 3.3 * one["bytes"]
    wide, years = oa.commune_a38(tmp_path / "x3.csv")
    assert wide["com"].nunique() == 40 and years == list(range(2006, 2024))
    for bad in (0, -1, True):
        with pytest.raises(ValueError, match="positive whole number"):
            official_synthetic.write_national_file(tmp_path / "bad.csv", communes=5, scale=bad)


def test_official_bench_scale_argument_is_checked(capsys):
    with pytest.raises(oa.OfficialAggregateError, match="scale 0 must be a positive whole number"):
        oa.bench(scale=0)
    with pytest.raises(SystemExit):
        oa.main(["bench", "--scale", "-2"])
    assert "--scale -2: give a positive whole number" in capsys.readouterr().err


def test_official_bench_spills_under_its_memory_limit(small_file, tmp_path, monkeypatch):
    """A tiny memory limit makes DuckDB use its spill folder (in the cache) and removes it after."""
    from analysis.data import official

    monkeypatch.setenv(official.OFFICIAL_DIR_ENV, str(tmp_path / "official"))
    path, info = small_file
    r = oa.bench(path, threads=1, memory_limit="2GB")
    assert r["memory_limit"] == "2GB" and r["spilled_mb"] >= 0 and r["scale"] == 1
    assert not (tmp_path / "official" / "bench" / "duckdb_tmp").exists()
