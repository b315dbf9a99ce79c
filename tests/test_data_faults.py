"""Fault probe of the data layer (issue 28), as tests: a parsed table copied over another's files, a
registry row pointing at a truncated CSV or an HTML page, swapped year columns, odd inputs (years,
lookup limits and queries) and a ratio with nothing to count. Temporary caches; each test failed on
the code before the fix.
"""

import io
import logging
import shutil

import numpy as np
import pandas as pd
import pytest

from analysis.data import build_cache, cache
from analysis.data import registry as reg
from analysis.data.loaders import employment as E
from analysis.data.validate import ChoiceError, SchemaError, check_year, check_year_columns, check_years

KEY = "insee_estel_france_a5_1998_2023"  # a 14 kB JSON file: fast to copy and hash


@pytest.fixture
def tmp_cache(tmp_path, monkeypatch):
    monkeypatch.setenv("ANALYSIS_DATA_CACHE", str(tmp_path / "cache"))
    monkeypatch.setattr("analysis.data.cache.LOADERS", {})
    cache._READ.clear()
    yield tmp_path / "cache"
    cache._READ.clear()


# ---------------------------------------------------------------------------------------------
# Item 3: a parsed table is bound to its identity
# ---------------------------------------------------------------------------------------------

def test_a_table_copied_over_another_tables_files_is_refused_and_reparsed(tmp_cache, caplog):
    a_calls, b_calls = [], []

    @cache.parsed(KEY, 1)
    def table_a(path):
        a_calls.append(1)
        return pd.DataFrame({"x": [1, 2, 3]})

    @cache.parsed(KEY, 1)
    def table_b(path):
        b_calls.append(1)
        return pd.DataFrame({"x": [10, 20]})

    table_a(), table_b()
    src, dst = table_a.cache_path(), table_b.cache_path()
    shutil.copy(src, dst)
    shutil.copy(src.with_name(src.name + cache.SIDECAR), dst.with_name(dst.name + cache.SIDECAR))
    cache._READ.clear()
    with caplog.at_level(logging.WARNING, logger="analysis"):
        got = table_b()
        again = table_b()
    assert got["x"].tolist() == [10, 20] == again["x"].tolist() and len(b_calls) == 2
    warned = [r.getMessage() for r in caplog.records if "cached table" in r.getMessage()]
    assert len(warned) == 1, "logged once"
    assert "recorded as loader 'table_a', not 'table_b'" in warned[0] and str(dst) in warned[0]
    side = dst.with_name(dst.name + cache.SIDECAR).read_text().splitlines()
    assert '"loader":"table_b"' in side[1] and f'"{KEY}":"{reg.entry(KEY).sha256}"' in side[1]


def test_the_flores_table_is_never_served_from_the_urssaf_files(tmp_cache):
    """The probe's case: 40,020 URSSAF rows served as Flores (21,960 rows)."""
    flores, urssaf = E.load_flores_ze2020_a38(), E.load_urssaf_ze2020_a38()
    pa, pb = E.load_flores_ze2020_a38.cache_path(), E.load_urssaf_ze2020_a38.cache_path()
    shutil.copy(pb, pa)
    shutil.copy(str(pb) + ".sha256", str(pa) + ".sha256")
    cache._READ.clear()
    assert len(E.load_flores_ze2020_a38()) == len(flores) == 21_960 and len(urssaf) == 40_020


def test_a_sidecar_of_an_older_version_is_reparsed_once(tmp_cache, caplog):
    calls = []

    @cache.parsed(KEY, 1)
    def toy(path):
        calls.append(1)
        return pd.DataFrame({"x": [1]})

    toy()
    side = toy.cache_path().with_name(toy.cache_path().name + cache.SIDECAR)
    side.write_text(side.read_text().splitlines()[0] + "\n")  # the old layout: hash and name only
    cache._READ.clear()
    with caplog.at_level(logging.WARNING, logger="analysis"):
        toy(), toy()
    assert len(calls) == 2 and "no recorded identity" in caplog.text


# ---------------------------------------------------------------------------------------------
# Item 4: any parse failure is one line; year columns in order
# ---------------------------------------------------------------------------------------------

def test_any_parser_exception_is_one_line_and_make_data_carries_on(tmp_cache, monkeypatch, capsys):
    @cache.parsed(KEY, 1)
    def truncated_csv(path):  # a registry hash updated to a CSV cut mid-line
        return pd.read_csv(io.StringIO("a;b\n1;2\n3;4;5;6\n"), sep=";")

    @cache.parsed(KEY, 1)
    def html_page(path):  # ... or to an HTML page
        return pd.read_csv(io.StringIO(""))

    @cache.parsed(KEY, 1)
    def good(path):
        return pd.DataFrame({"x": [1, 2]})

    monkeypatch.setattr(build_cache, "registry", lambda: {KEY: reg.entry(KEY)})
    monkeypatch.setattr(build_cache, "import_all_loaders",
                        lambda: {"truncated_csv": truncated_csv, "html_page": html_page, "good": good})
    assert build_cache.main([]) == 1
    out, err = capsys.readouterr()
    assert "Traceback" not in out + err
    file = reg.entry(KEY).file
    assert (f"truncated_csv: error: {file}: truncated_csv cannot parse it (ParserError: Error tokenizing data. C error: "
            f"Expected 2 fields in line 3, saw 4). The file matches its SHA-256 in registry.csv") in err
    assert f"html_page: error: {file}: html_page cannot parse it (EmptyDataError: No columns to parse from file)" in err
    assert "check the file and its official page, then fix the registry row or the parser" in err
    assert "good: 2 rows" in out
    with pytest.raises(cache.ParseError):
        truncated_csv()


def test_ctrl_c_during_make_data_prints_one_line(tmp_cache, monkeypatch, capsys):
    @cache.parsed(KEY, 1)
    def slow(path):
        raise KeyboardInterrupt

    monkeypatch.setattr(build_cache, "registry", lambda: {})
    monkeypatch.setattr(build_cache, "import_all_loaders", lambda: {"slow": slow})
    assert build_cache.main([]) == 130
    err = capsys.readouterr().err
    assert err.startswith("interrupted: the cache keeps every table finished so far") and err.count("\n") == 1


def _estel_swapped(tmp_path, how: str):
    """The ESTEL ZE2010 salaried file with its 2017 and 2016 columns swapped: ``labels`` (header labels
    only), ``values`` (values only, labels left in order) or ``columns`` (labels and values moved)."""
    lines = reg.fetch(E.ESTEL_ZE2010_SAL).read_text(encoding="utf-8").split("\n")
    import csv

    rows = list(csv.reader(lines))
    head = 5
    i17, i16 = rows[head].index("2017"), rows[head].index("2016")
    for k, r in enumerate(rows):
        if len(r) <= i16 or k < head:
            continue
        if how in ("labels", "columns") and k == head or how in ("values", "columns") and k > head:
            r[i17], r[i16] = r[i16], r[i17]
    out = io.StringIO()
    csv.writer(out, lineterminator="\n").writerows(rows)
    path = tmp_path / f"estel_{how}.csv"
    path.write_text(out.getvalue(), encoding="utf-8")
    return path


@pytest.mark.parametrize("how, expected", [
    ("labels", r"year columns out of order: '2016' then '2017' in a header that runs descending"),
    ("columns", r"year columns out of order: '2016' then '2017'"),
    ("values", r"the total changes by -1.33% from 2016 to 2017, the national series employment/insee_estel_france_a5_1998_2023.json "
               r"by .*points apart"),
])
def test_swapped_2016_2017_columns_are_refused(tmp_path, how, expected):
    path = _estel_swapped(tmp_path, how)
    national = reg.fetch(E.ESTEL_FRANCE_A5)
    with pytest.raises(SchemaError, match=expected):
        E.load_estel_ze2010_salaried.parser(path, national)
    # the published file passes both checks
    assert len(E.load_estel_ze2010_salaried.parser(reg.fetch(E.ESTEL_ZE2010_SAL), national)) == 38_520


def test_year_column_checks():
    assert check_year_columns(["id", "2019", "2020", "2021"], "f.csv") == [2019, 2020, 2021]
    with pytest.raises(SchemaError, match=r"no column for year\(s\) \[2020\]"):
        check_year_columns(["2019", "2021"], "f.csv")
    with pytest.raises(SchemaError, match="implausible year"):
        check_year_columns(["1850", "1851"], "f.csv")
    with pytest.raises(SchemaError, match="appear more than once"):
        check_year_columns(["E 2019", "E 2019"], "f.csv", r"E (\d{4})")
    with pytest.raises(SchemaError, match=r"missing \[2022\]"):
        check_year_columns(["2019", "2020", "2021"], "f.csv", expected=range(2019, 2023))


# ---------------------------------------------------------------------------------------------
# Item 6: odd inputs
# ---------------------------------------------------------------------------------------------

@pytest.mark.parametrize("value, said", [(2019.7, "2019.7 is not a year (not a whole number: it would be truncated to 2019)"),
                                         (True, "True is not a year (a boolean)"),
                                         (np.bool_(False), "np.False_ is not a year (a boolean)"),
                                         ("2019a", "'2019a' is not a year"), (None, "None is not a year")])
def test_odd_years_are_refused_by_name(value, said):
    with pytest.raises(ChoiceError) as err:
        check_year(value, "growth(start=...)")
    assert str(err.value).startswith(f"growth(start=...): {said}")
    with pytest.raises(ChoiceError):
        check_years([2019, value])
    assert check_year(2019.0) == 2019 == check_year("2019") == check_year(np.int64(2019))
    assert check_years(2019) == (2019,) and check_years(["2019", 2020]) == (2019, 2020)


@pytest.mark.parametrize("limit", [-1, 0, True, 2.5, "5"])
def test_lookup_refuses_a_limit_that_is_not_a_positive_integer(limit):
    from analysis.geo.lookup import lookup

    with pytest.raises(ValueError, match=f"lookup: limit {limit!r} is not a positive whole number"):
        lookup("Rouen", limit=limit)


def test_lookup_limits_and_queries():
    from analysis.geo.lookup import lookup

    every = lookup("Saint", limit=None)
    assert len(lookup("Saint", limit=1)) == 1 and len(lookup("Saint")) == 50 < len(every)
    assert len(lookup("Saint", limit=len(every) - 1)) == len(every) - 1, "limit=N gives N rows, not N-1"
    for query in (123, 44184, ["Rouen"]):
        with pytest.raises(TypeError, match=r"lookup: query .* is a .*, not text; .*lookup\('44184'\)"):
            lookup(query)
    assert "44184" in set(lookup("44184")["code"])


def test_a_share_with_nothing_to_count_is_missing_not_zero():
    from analysis.methods import cells

    df = pd.DataFrame({"unit": ["secret"] * 4 + ["open"] * 4, "sector": ["a", "b"] * 4,
                       "year": [2019, 2019, 2022, 2022] * 2,
                       "value": [np.nan, np.nan, np.nan, np.nan, 100.0, 50.0, 110.0, np.nan]})
    g = cells.growth_on_common_cells(df, 2019, 2022).set_index("unit")
    assert np.isnan(g.loc["secret", "share_one_year"]) and np.isnan(g.loc["secret", "share_start_one_year"])
    assert g.loc["secret", "reason"] == "no cell present in both years" and bool(g.loc["secret", "unreliable"])
    assert g.loc["open", "share_start_one_year"] == pytest.approx(50 / 150)
    assert g.loc["open", "share_end_one_year"] == 0.0 and g.loc["open", "share_one_year"] == pytest.approx(1 / 3)
    # only the end year is all secret: the start share stands, the end share is missing
    half = pd.DataFrame({"unit": ["u"] * 4, "sector": ["a", "b"] * 2, "year": [2019, 2019, 2022, 2022],
                         "value": [10.0, 5.0, np.nan, np.nan]})
    h = cells.growth_on_common_cells(half, 2019, 2022).iloc[0]
    assert h["share_start_one_year"] == 1.0 and np.isnan(h["share_end_one_year"]) and h["share_one_year"] == 1.0
