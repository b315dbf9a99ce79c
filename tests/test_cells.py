"""The secret-cell rule on constructed tables with known answers."""

import numpy as np
import pandas as pd
import pytest

from analysis.methods import cells


def _long(rows):
    return pd.DataFrame(rows, columns=["unit", "sector", "year", "value"])


def test_secret_cell_in_start_year_is_left_out_not_counted_as_creation():
    # zone A: sector X 100 -> 90, sector Y secret in 2019 then 600 in 2024
    d = _long([("A", "X", 2019, 100.0), ("A", "X", 2024, 90.0), ("A", "Y", 2019, np.nan), ("A", "Y", 2024, 600.0)])
    s = cells.growth_on_common_cells(d, 2019, 2024).iloc[0]
    assert s["value_start"] == 100 and s["value_end"] == 90
    assert s["growth"] == pytest.approx(-0.10)  # summing NaN as 0 would give +590 %
    assert s["n_cells_one_year"] == 1 and s["n_cells_both"] == 1
    assert s["share_end_one_year"] == pytest.approx(600 / 690)
    assert s["unreliable"] and "one year only" in s["reason"]


def test_unit_absent_in_one_year_and_threshold():
    # two units as one area; B has no row at all in 2024; B holds 4 % of start employment
    d = _long([("A", "all", 2019, 960.0), ("A", "all", 2024, 1000.0), ("B", "all", 2019, 40.0)])
    t = cells.cell_table(d, 2019, 2024)
    assert list(t["one_year"]) == [False, True]
    groups = pd.DataFrame({"unit": ["A", "B"], "code": ["area", "area"]})
    s = cells.summarise(t, groups=groups).iloc[0]
    assert s["value_start"] == 960 and s["value_end"] == 1000
    assert s["growth"] == pytest.approx(1000 / 960 - 1)
    assert s["share_start_one_year"] == pytest.approx(0.04) and not s["unreliable"] and s["reason"] == ""
    s6 = cells.summarise(t, groups=groups, threshold=0.03).iloc[0]
    assert s6["unreliable"]


def test_zero_start_gives_nan_with_reason_never_inf():
    d = _long([("A", "X", 2019, 0.0), ("A", "X", 2024, 25.0)])
    s = cells.growth_on_common_cells(d, 2019, 2024).iloc[0]
    assert np.isnan(s["growth"]) and s["reason"] == "zero employment at start"


def test_no_common_cell_and_cells_missing_both_years():
    d = _long([("A", "X", 2019, 10.0), ("A", "Y", 2024, 5.0), ("A", "Z", 2019, np.nan), ("A", "Z", 2024, np.nan)])
    s = cells.growth_on_common_cells(d, 2019, 2024).iloc[0]
    assert np.isnan(s["growth"]) and s["reason"] == "no cell present in both years" and s["unreliable"]
    assert s["n_cells_one_year"] == 2 and s["n_cells_neither"] == 1 and s["n_cells"] == 3


def test_overall_row_and_bad_input():
    d = _long([("A", "X", 2019, 10.0), ("A", "X", 2024, 20.0), ("B", "X", 2019, 30.0), ("B", "X", 2024, 20.0)])
    s = cells.summarise(cells.cell_table(d, 2019, 2024), by=[]).iloc[0]
    assert s["growth"] == pytest.approx(0.0)
    with pytest.raises(ValueError):
        cells.cell_table(d, 2024, 2019)
    with pytest.raises(KeyError, match="value"):
        cells.cell_table(d.drop(columns="value"), 2019, 2024)


def test_cell_table_without_and_with_duplicate_rows_agree():
    """cell_table places unique cell-year rows directly and groups only when a cell-year has several
    rows: a table and the same table with every row split in two halves give the same cells."""
    rng = np.random.default_rng(7)
    n = 400
    df = pd.DataFrame({"unit": rng.choice(["75056", "01001", "2A004", "13055", "97411"], n),
                       "sector": rng.choice(["BE", "C1", "C10", "GZ"], n),
                       "year": rng.choice([2019, 2022, 2024], n),
                       "value": rng.choice([np.nan, 0.0, 2.0, 10.0, 4242.0], n)}).drop_duplicates(
        ["unit", "sector", "year"])
    halves = pd.concat([df.assign(value=df["value"] / 2)] * 2, ignore_index=True).sample(frac=1, random_state=3)
    direct = cells.cell_table(df, 2019, 2024)
    grouped = cells.cell_table(halves, 2019, 2024)
    pd.testing.assert_frame_equal(direct, grouped)
    assert direct["one_year"].any() and direct["in_both"].any() and len(direct) > 10
    no_sector = cells.cell_table(df.drop(columns="sector").drop_duplicates(["unit", "year"]), 2019, 2024)
    assert set(no_sector["sector"]) == {"all"}
