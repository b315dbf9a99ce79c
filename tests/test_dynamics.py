"""Markov estimator on synthetic chains with known transition probabilities; growth helpers;
source selection of employment_growth on the mirror."""

import numpy as np
import pandas as pd
import pytest

from analysis.methods import dynamics as d
from analysis.report import charts
from analysis.methods import dynamics
from analysis.geo import areas as geography

P_TRUE = np.array([
    [0.70, 0.20, 0.10],
    [0.15, 0.60, 0.25],
    [0.05, 0.25, 0.70],
])


def simulate_chain(p: np.ndarray, n_units: int, n_periods: int, seed: int) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    k = p.shape[0]
    state = rng.integers(0, k, n_units)
    rows = []
    cum = p.cumsum(axis=1)
    for t in range(n_periods):
        rows.append(pd.DataFrame({"code": np.arange(n_units), "period": t, "state": state}))
        u = rng.random(n_units)
        state = (u[:, None] > cum[state]).sum(axis=1)
    return pd.concat(rows, ignore_index=True)


def test_markov_recovers_known_probabilities():
    states = simulate_chain(P_TRUE, n_units=2000, n_periods=11, seed=42)
    est = d.estimate_markov(states, 3, period_years=5)
    assert est.n_transitions == 2000 * 10
    np.testing.assert_allclose(est.probabilities.to_numpy(), P_TRUE, atol=0.015)
    # the standard errors are the right size: true values within 4 s.e.
    z = np.abs(est.probabilities.to_numpy() - P_TRUE) / est.standard_errors.to_numpy()
    assert z.max() < 4
    np.testing.assert_allclose(est.stay_probability, np.diag(P_TRUE), atol=0.015)
    np.testing.assert_allclose(est.expected_sojourn_years, 5 / (1 - np.diag(P_TRUE)), rtol=0.06)


def test_markov_rows_are_origins_not_destinations():
    # a chain that always moves 0 -> 1 -> 2 -> 2: a transposed estimator would fail
    states = pd.DataFrame({"code": ["a"] * 4 + ["b"] * 3, "period": [1, 2, 3, 4, 1, 2, 3],
                           "state": [0, 1, 2, 2, 0, 1, 2]})
    est = d.estimate_markov(states, 3)
    expected = np.array([[0, 2, 0], [0, 0, 2], [0, 0, 1]])
    np.testing.assert_array_equal(est.counts.to_numpy(), expected)
    assert est.probabilities.loc[0, 1] == 1.0
    assert np.isinf(est.expected_sojourn_periods[2])


def test_transition_counts_skip_gaps_and_pair_consecutive_periods():
    states = pd.DataFrame({"code": ["a", "a", "b", "b"], "period": [2000, 2010, 2000, 2005],
                           "state": [0, 1, 1, 0]})
    c = d.transition_counts(states, 2)
    # a jumps 2000 -> 2010 over the missing 2005: not a transition; b: 1 -> 0
    np.testing.assert_array_equal(c.to_numpy(), [[0, 0], [1, 0]])
    with pytest.raises(ValueError):
        d.transition_counts(states.assign(state=[0, 1, 5, 0]), 2)


def test_two_state_chain_stationary_and_first_passage():
    a, b = 0.2, 0.1  # P(0->1), P(1->0)
    p = pd.DataFrame([[1 - a, a], [b, 1 - b]])
    est = d.MarkovEstimate(counts=p * 100, probabilities=p, standard_errors=p * 0)
    np.testing.assert_allclose(est.stationary_distribution, [b / (a + b), a / (a + b)])
    m = d.mean_first_passage_times(p)
    np.testing.assert_allclose(m.to_numpy(), [[(a + b) / b, 1 / a], [1 / b, (a + b) / a]])


def test_homogeneity_test_detects_different_chains_only():
    same_a = d.estimate_markov(simulate_chain(P_TRUE, 800, 6, seed=1), 3)
    same_b = d.estimate_markov(simulate_chain(P_TRUE, 800, 6, seed=2), 3)
    other = d.estimate_markov(simulate_chain(P_TRUE[:, ::-1], 800, 6, seed=3), 3)
    t_same = d.markov_homogeneity_test({"a": same_a, "b": same_b})
    t_diff = d.markov_homogeneity_test({"a": same_a, "c": other})
    assert t_same["df"] == 6
    assert t_same["p_value"] > 0.01
    assert t_diff["p_value"] < 1e-6


def test_quantile_states_equal_classes_within_period():
    rng = np.random.default_rng(0)
    df = pd.DataFrame({"code": np.tile(np.arange(100), 2), "period": np.repeat([1, 2], 100),
                       "growth": rng.normal(size=200)})
    df.loc[3, "growth"] = np.nan
    s = d.quantile_states(df, n_states=5)
    assert s.isna().sum() == 1
    counts = df.assign(state=s).dropna().groupby(["period", "state"]).size()
    assert counts.loc[2].tolist() == [20] * 5
    # higher growth never gets a lower state within a period
    p2 = df.assign(state=s)[df["period"] == 2].sort_values("growth")
    assert p2["state"].is_monotonic_increasing


def test_growth_table_and_annualised():
    series = pd.DataFrame({"code": ["a", "a", "b", "b", "c"], "year": [2010, 2020] * 2 + [2010],
                           "employment": [100.0, 121.0, 50.0, 40.0, 10.0]})
    g = d.growth_table(series, 2010, 2020).set_index("code")
    assert g.loc["a", "change"] == 21
    assert g.loc["a", "growth"] == pytest.approx(0.21)
    assert g.loc["a", "growth_pa"] == pytest.approx(1.21 ** 0.1 - 1)
    assert np.isnan(g.loc["c", "growth"])
    with pytest.raises(d.CoverageError, match="no year 2015"):
        d.growth_table(series, 2010, 2015)


def test_group_index_balanced_panel_and_net_loss_shares():
    series = pd.DataFrame({"code": list("aabbcc"), "year": [1, 2] * 3, "employment": [100, 90, 100, 120, 50, np.nan]})
    groups = pd.DataFrame({"code": ["a", "b", "c"], "group": ["TI", "other", "TI"]})
    idx = d.group_index(series, groups, base_year=1).set_index(["group", "year"])
    assert idx.loc[("TI", 2), "index"] == pytest.approx(90.0)  # c dropped (missing year 2)
    changes = pd.DataFrame({"change": [-30.0, -10.0, 50.0], "in_group": [True, False, True]})
    s = d.net_loss_shares(changes)
    assert s["share_of_losses"] == pytest.approx(0.75)
    assert s["group_change"] == 20 and s["total_change"] == 10


def test_group_index_on_cells_drops_secret_cells_and_reports_them():
    # zone a: sector X published both years, sector Y secret in year 2 (40 jobs in year 1);
    # zone b: two cells published both years. Summing units would count Y's 40 jobs as a loss.
    cells = pd.DataFrame({"code": ["a", "a", "a", "a", "b", "b", "b", "b"], "sector": list("XXYYXXZZ"),
                          "year": [1, 2] * 4, "employment": [100, 110, 40, np.nan, 50, 55, 50, 45]})
    groups = pd.DataFrame({"code": ["a", "b"], "group": ["TI", "other"]})
    idx = d.group_index(cells, groups, base_year=1).set_index(["group", "year"])
    assert idx.loc[("TI", 2), "index"] == pytest.approx(110.0)  # on cell X only, not (110 + 0) / 140
    assert idx.loc[("TI", 1), "n_cells_dropped"] == 1 and idx.loc[("TI", 1), "n_cells"] == 1
    assert idx.loc[("TI", 1), "share_dropped"] == pytest.approx(40 / 140) and idx.loc[("TI", 1), "unreliable"]
    assert idx.loc[("TI", 2), "share_dropped"] == 0 and not idx.loc[("TI", 2), "unreliable"]
    assert idx.loc[("other", 2), "index"] == pytest.approx(100.0) and idx.loc[("other", 2), "n_cells_dropped"] == 0
    # the unit series of the same cells reports the secret cell instead of hiding it
    units = cells.assign(zoning="ze").groupby(["code", "year"], as_index=False)["employment"].sum(min_count=1)
    units["n_cells_missing"] = [0, 1, 0, 0]
    u = d.group_index(units, groups, base_year=1).set_index(["group", "year"])
    assert u.loc[("TI", 2), "n_cells_missing"] == 1 and u.loc[("TI", 1), "n_cells_missing"] == 0


def test_employment_series_counts_the_secret_cells_of_each_unit():
    s = d.employment_series("urssaf_ze2020_a38", "industry", [2019, 2024])
    c = d.employment_cells("urssaf_ze2020_a38", "industry", [2019, 2024])
    row = s.set_index(["code", "year"]).loc[("9307", 2019)]  # the pharmacy cell CF is secret in 2019
    cf = c[(c["code"] == "9307") & (c["sector"] == "CF")].set_index("year")["employment"]
    assert np.isnan(cf[2019]) and cf[2024] > 0 and row["n_cells_missing"] >= 1
    assert row["n_cells"] == c[c["code"] == "9307"]["sector"].nunique()
    pub = c.dropna(subset=["employment"]).groupby(["code", "year"]).size()
    chk = s.set_index(["code", "year"])
    assert ((chk["n_cells"] - chk["n_cells_missing"]) == pub.reindex(chk.index).fillna(0)).all()
    assert (s["n_cells_missing"] > 0).sum() >= 50


def test_sector_codes():
    assert "CL" in d.sector_codes("manufacturing") and "DZ" not in d.sector_codes("manufacturing")
    assert set(d.sector_codes("manufacturing")) < set(d.sector_codes("industry"))
    assert "GZ" in d.sector_codes("sheltered") and "CA" in d.sector_codes("exposed")
    with pytest.raises(d.CoverageError):
        d.sector_codes("tourism")


# ------------------------------------------------------------------ on the mirrored data


def test_employment_growth_refuses_uncovered_request(mirror):
    with pytest.raises(d.CoverageError, match="no mirrored series covers epci"):
        d.employment_growth("epci", "243100518", 2017, 2020, "manufacturing")  # Toulouse Métropole
    with pytest.raises(d.CoverageError, match="2030"):
        d.employment_growth("ze2020", "8411", 2019, 2030, "industry")
    # no years: which years each source holds for the sector asked, the gap of the URSSAF A38 panel shown
    with pytest.raises(ValueError, match=r"give the start and end years \(start=2019, end=2023\); the years of each "
                                         r"source \(SOURCES\) for sector 'industry': urssaf_commune_ape_rouen 2006-2022; "
                                         r"urssaf_ze2020_a38 2019, 2022, 2023, 2024; "):
        d.employment_growth("dep", "976", sector="industry")
    with pytest.raises(ValueError, match="urssaf_totals_by_area 2014-2024"):
        d.employment_growth("dep", "976", 2019)


def test_employment_growth_picks_sources_and_adds_up(mirror):
    from analysis.data.loaders import employment as E

    r = d.employment_growth("metropole", "243400017", 2017, 2020)  # Montpellier, total private
    assert r["source"].iloc[0].startswith("URSSAF private employment") and r["method"].iloc[0] == "direct"
    rouen = d.employment_growth("epci", "200023414", 2017, 2020, "manufacturing")
    assert rouen["source"].iloc[0].startswith("URSSAF commune x APE")
    ze = d.employment_growth("ze2020", ["2815", "8411"], 2019, 2024, "industry")
    u = E.load_urssaf_ze2020_a38()
    ref = u[(u["ze2020"] == "2815") & (u["a5"] == "BE") & (u["year"] == 2024)]["employment"].sum()
    assert ze.set_index("code").loc["2815", "emp_end"] == pytest.approx(ref)
    reg = d.employment_growth("reg", "84", 2015, 2016)
    deps = d.employment_growth("dep", ["01", "03", "07", "15", "26", "38", "42", "43", "63", "69", "73", "74"],
                               2015, 2016, combine=True)
    assert deps["emp_end"].iloc[0] == pytest.approx(reg["emp_end"].iloc[0], rel=0.002)
    ti = d.employment_growth("ti", None, 2019, 2024, "industry", wave="2018-2022", combine=True, name="TI")
    assert ti["method"].iloc[0].startswith("ZE2020 flagged") and 0.5 < ti["coverage"].iloc[0] <= 1


# ------------------------------------------------------------------ state builders and group tests


def test_window_growth_states_need_equal_windows():
    years = [2000, 2005, 2010, 2014]
    series = pd.DataFrame({"code": np.repeat(list("abcde"), 4), "year": years * 5,
                           "employment": np.arange(1, 21, dtype=float) ** 1.5})
    st = d.window_growth_states(series, [2000, 2005, 2010], n_states=5)
    assert sorted(st["period"].unique()) == [2000, 2005] and (st["end"] - st["period"]).eq(5).all()
    assert st.groupby("period")["state"].apply(lambda s: sorted(s.tolist())).tolist() == [[0, 1, 2, 3, 4]] * 2
    # a 4-year last window would make "one period = 5 years" false: refused
    with pytest.raises(ValueError, match="equally spaced"):
        d.window_growth_states(series, [2000, 2005, 2010, 2014])


def test_share_states_rank_shares_within_year():
    part = pd.DataFrame({"code": list("abcd") * 2, "year": [2000] * 4 + [2005] * 4,
                         "employment": [10.0, 20, 30, 40, 40, 30, 20, 10]})
    total = part.assign(employment=100.0)
    st = d.share_states(part, total, [2000, 2005], n_states=2).set_index(["period", "code"])
    assert st.loc[(2000, "d"), "share"] == pytest.approx(0.4)
    assert st.loc[(2000, "a"), "state"] == 0 and st.loc[(2005, "a"), "state"] == 1
    with pytest.raises(ValueError, match="equally spaced"):
        d.share_states(part, total, [2000, 2005, 2007])


def test_stay_difference_test_detects_stickier_group_only():
    sticky = np.full((3, 3), 0.15) + np.eye(3) * 0.55  # P(stay) = 0.7
    mobile = np.full((3, 3), 0.3) + np.eye(3) * 0.1  # P(stay) = 0.4
    a = simulate_chain(sticky, 150, 4, seed=5)
    b = simulate_chain(mobile, 150, 4, seed=6).assign(code=lambda x: x["code"] + 1000)
    c = simulate_chain(mobile, 150, 4, seed=7).assign(code=lambda x: x["code"] + 2000)
    ab = pd.concat([a, b], ignore_index=True)
    t = d.stay_difference_test(ab, set(a["code"]), n_permutations=999)
    assert t["p_stay_group"] == pytest.approx(0.7, abs=0.05) and t["p_stay_other"] == pytest.approx(0.4, abs=0.05)
    assert t["n_transitions_group"] == 450 and t["p_value"] < 0.01
    assert d.stay_difference_test(ab, set(a["code"]), n_permutations=999, alternative="less")["p_value"] > 0.9
    same = d.stay_difference_test(pd.concat([b, c]), set(b["code"]), n_permutations=999)
    assert same["p_value"] > 0.05
    with pytest.raises(ValueError, match="some but not all"):
        d.stay_difference_test(ab, set(ab["code"]))


def test_areas_vs_rest_growth_aggregates_each_zone_once():
    series = pd.DataFrame({"code": list("xxyyzzww"), "year": [1, 2] * 4,
                           "employment": [100.0, 110, 50, 40, 200, 220, 10, np.nan]})
    zones = pd.DataFrame({"name": ["A", "B", "C"], "zone": ["x", "x", "y"]})
    r = d.areas_vs_rest_growth(series, zones, 1, 2, all_label="all", rest_label="rest").set_index("area")
    assert r.loc["A", "growth"] == pytest.approx(0.10) and r.loc["C", "growth"] == pytest.approx(-0.2)
    assert r.loc["all", "emp_start"] == 150 and r.loc["all", "growth"] == pytest.approx(0.0)
    assert r.loc["rest", "emp_start"] == 200  # w lacks year 2: left out
    assert r.loc["rest", "growth"] == pytest.approx(0.10)


def test_loss_share_table_when_the_total_grows():
    series = pd.DataFrame({"code": list("aabbcc"), "year": [2019, 2022] * 3,
                           "employment": [100.0, 70, 100, 90, 100, 200]})
    groups = pd.DataFrame({"code": list("abc"), "group": ["TI", "Autres", "TI"], "ti_share": [1.0, 0.5, 0.6]})
    t = d.loss_share_table(series, groups, [(2019, 2022)]).loc["2019-2022"]
    assert t["all change"] == 60 and t["TI change"] == 70
    assert t["TI share of net change"] == pytest.approx(100 * 70 / 60)  # not a share of losses: total grew
    assert t["TI share of losing zones' losses"] == pytest.approx(75.0)  # 30 of the 40 jobs lost by a and b
    assert t["weighted share of losing zones' losses"] == pytest.approx(100 * (30 + 5) / 40)
    assert t["growth TI %"] == pytest.approx(35.0) and t["growth Autres %"] == pytest.approx(-10.0)


def _title(ax) -> str:
    """The axes' title wherever it sits (the collection's style puts titles on the left, so the centre
    title is empty once a test in the same process has applied the style)."""
    return next((t for t in (ax.get_title(loc=loc) for loc in ("center", "left", "right")) if t), "")


def test_plot_functions_return_figures():
    import geopandas as gpd
    import matplotlib

    matplotlib.use("Agg")
    from shapely.geometry import box

    est = d.estimate_markov(simulate_chain(P_TRUE, 50, 4, seed=0), 3)
    fig = charts.plot_transition_matrices({"a": est, "b": est}, {"a": "A", "b": "B"}, tick_labels=["1", "2", "3"],
                                     xlabel="x", ylabel="y", suptitle="t", colorbar_label="p")
    assert len(fig.axes) == 3  # two panels and the colour bar
    assert _title(fig.axes[0]) == f"A ({est.n_transitions} transitions)"
    zones = gpd.GeoDataFrame({"growth": [0.1, -0.3, np.nan]}, geometry=[box(0, 0, 1, 1), box(1, 0, 2, 1), box(2, 0, 3, 1)],
                             crs=2154)
    fig = charts.plot_growth_map(zones, zones.iloc[:1], legend_label="g", title="map")
    assert _title(fig.axes[0]) == "map" and len(fig.axes) == 2


def test_employment_growth_keeps_only_cells_in_both_years_digne():
    """Digne-les-Bains (ZE2020 9307): pharmacy (CF) secret in 2019, 609 jobs in 2024 -- not job creation."""
    r = dynamics.employment_growth("ze2020", 9307, 2019, 2024, "industry").iloc[0]  # an int code is accepted
    assert r["emp_start"] == 2249 and r["emp_end"] == 2393 - 609
    assert r["n_cells_one_year"] == 1 and r["unreliable"] and r["share_one_year"] == pytest.approx(609 / 2393)
    assert r["name"] == "Digne-les-Bains" and r["wave"] == ""


def test_employment_growth_missing_unit_is_not_zero():
    r = dynamics.employment_growth("commune", ["01001", "01128"], 2019, 2024, "total", combine=True).iloc[0]
    assert r["emp_start"] == 29 and r["emp_end"] == 24  # 01128 has no 2024 value: left out, not -89 %
    assert r["n_missing"] == 1 and r["n_cells_one_year"] == 1 and r["unreliable"]


def test_employment_growth_ti_is_wave_scoped_and_epci_uses_the_zone_proxy():
    r23 = dynamics.employment_growth("ti", "ti-5214", 2019, 2024, "industry").iloc[0]
    r18 = dynamics.employment_growth("ti", "ti-5214", 2019, 2024, "industry", wave="2018").iloc[0]
    assert (r23["name"], r23["wave"]) == ("Saint-Nazaire Loire Estuaire", "2023-2027")
    assert (r18["name"], r18["wave"]) == ("Vendée Est", "2018-2022")
    e = dynamics.employment_growth("epci", "244400644", 2019, 2024, "industry").iloc[0]  # CARENE, no TI by itself
    assert e["method"] == "ZE2020 flagged by population share >= 0.5" and e["coverage"] == pytest.approx(1.0)
    assert e["emp_start"] == r23["emp_start"]  # same zone 5219


def test_employment_growth_bad_codes():
    with pytest.raises(geography.UnknownAreaError, match="empty"):
        dynamics.employment_growth("epci", [], 2019, 2024)
    with pytest.raises(geography.UnknownAreaError, match="9 digits"):
        dynamics.employment_growth("epci", "20007107", 2019, 2024)


# --- the secret-cell rule in growth_table, areas_vs_rest_growth, loss_share_table (issue 10 item 2) ---

def _cells_two_zones():
    """Zone x has a cell (CF) secret in 2019 and published (600) in 2024: summed as 0 it would
    turn 1000 -> 1600 (+60 %); on cells present in both years it is 1000 -> 1100 (+10 %)."""
    return pd.DataFrame({"code": ["x", "x", "x", "x", "y", "y"], "sector": ["CA", "CA", "CF", "CF", "CA", "CA"],
                         "year": [2019, 2024] * 3, "employment": [1000.0, 1100, np.nan, 600, 400, 300]})


def test_growth_table_on_cells_never_counts_a_secret_cell_as_zero():
    g = d.growth_table(_cells_two_zones(), 2019, 2024).set_index("code")
    assert (g.loc["x", "emp_start"], g.loc["x", "emp_end"]) == (1000, 1100)
    assert g.loc["x", "growth"] == pytest.approx(0.10)
    assert g.loc["x", "n_cells_one_year"] == 1 and g.loc["x", "share_one_year"] == pytest.approx(600 / 1700)
    assert bool(g.loc["x", "unreliable"]) and "one year only" in g.loc["x", "reason"]
    assert g.loc["y", "n_cells_one_year"] == 0 and not g.loc["y", "unreliable"]
    zero = pd.DataFrame({"code": ["z", "z"], "year": [1, 2], "employment": [0.0, 5.0]})
    z = d.growth_table(zero, 1, 2).iloc[0]
    assert np.isnan(z["growth"]) and z["reason"] == "zero employment at start"


def test_growth_table_refuses_partial_unit_sums():
    partial = pd.DataFrame({"code": ["x", "x"], "year": [2019, 2024], "employment": [1000.0, 1700.0],
                            "n_cells_missing": [1, 0]})
    with pytest.raises(ValueError, match="pass the cells"):
        d.growth_table(partial, 2019, 2024)


def test_areas_vs_rest_and_loss_shares_on_common_cells():
    c = _cells_two_zones()
    r = d.areas_vs_rest_growth(c, pd.DataFrame({"name": ["X"], "zone": ["x"]}), 2019, 2024,
                               all_label="all", rest_label="rest").set_index("area")
    assert r.loc["X", "growth"] == pytest.approx(0.10) and r.loc["all", "emp_end"] == 1100
    assert r.loc["all", "n_cells_one_year"] == 1 and bool(r.loc["all", "unreliable"])
    assert r.loc["rest", "growth"] == pytest.approx(-0.25) and r.loc["rest", "n_cells_one_year"] == 0
    groups = pd.DataFrame({"code": ["x", "y"], "group": ["TI", "Autres"], "ti_share": [1.0, 0.0]})
    t = d.loss_share_table(c, groups, [(2019, 2024)]).loc["2019-2024"]
    assert t["all change"] == 0 and t["TI change"] == 100  # not +600 - 100: the CF cell is left out
    assert t["growth TI %"] == pytest.approx(10.0) and t["growth Autres %"] == pytest.approx(-25.0)
    assert t["n_cells_one_year"] == 1 and t["share_one_year %"] == pytest.approx(100 * 600 / 2000)
    assert bool(t["unreliable"])


def test_clear_errors_for_a_bad_column_or_years():
    from analysis.data.validate import ChoiceError

    with pytest.raises(ChoiceError) as err:
        d.sector_codes("exposed", column="nope")
    msg = str(err.value)
    assert "sector_codes(column=...)" in msg and "'nope'" in msg and "footnote17_broad" in msg
    assert "industry_only" in msg and "data/sector_classification.csv" in msg and "'note'" not in msg
    assert d.sector_codes("exposed", column="footnote17") == d.sector_codes("exposed")
    with pytest.raises(ChoiceError, match=r"employment_series\(years=\.\.\.\): 'twenty' is not a year"):
        d.employment_series("urssaf_ze2020_a38", "industry", years=["twenty"])
    with pytest.raises(ChoiceError, match=r"employment_series\(years=\.\.\.\): 2019.5 is not a year"):
        d.employment_cells("urssaf_ze2020_a38", "industry", years=[2019.5])


def test_notebook_02_runs_the_tested_official_cell():
    """The official-path cell of notebook 02 is the one tests/test_official_cells.py runs on both branches."""
    import json
    from pathlib import Path

    from test_official_cells import NB02_CELL

    nb = json.loads((Path(__file__).resolve().parents[1] / "notebooks" / "02_territorial_dynamics.ipynb").read_text())
    sources = ["".join(c["source"]) for c in nb["cells"] if c["cell_type"] == "code"]
    assert NB02_CELL.rstrip("\n") in sources
    assert not any("industry_decline_" in s for s in sources)  # recorded in notebook 08


def test_rank_correlation_matches_scipy_spearman_with_ties_and_gaps():
    import numpy as np
    from scipy import stats

    from analysis.methods.dynamics import rank_correlation

    rng = np.random.default_rng(3)
    a = pd.Series(rng.integers(0, 6, 40).astype(float), index=[f"z{i}" for i in range(40)])  # many ties
    b = a * 0.5 + pd.Series(rng.normal(size=40), index=a.index)
    a.iloc[[2, 7]] = np.nan
    b.iloc[[7, 11]] = np.nan
    ok = a.notna() & b.notna()
    assert rank_correlation(a, b) == pytest.approx(stats.spearmanr(a[ok], b[ok]).statistic, abs=1e-12)
    assert rank_correlation(a, b.iloc[::-1]) == pytest.approx(rank_correlation(a, b))  # aligned on labels
    assert np.isnan(rank_correlation(a.iloc[:1], b.iloc[:1]))


@pytest.mark.parametrize("level, code, wave", [("ti", "ti-5214", None), ("ti", "ti-3210", "2018"),
                                               ("epci", "244400644", None), ("commune", "59668", None),
                                               ("dep", "63", None), ("reg", "84", None), ("ze2020", "0101", None),
                                               ("metropole", "244400404", None)])
def test_units_come_from_the_resolved_area_as_from_the_tables(level, code, wave):
    """employment_growth reads a one-code area's units from the Area itself (no second resolution); they are the
    units the geography tables give for the same request, zoning by zoning (a refusal included)."""
    from analysis.geo import areas as geography
    from analysis.geo import tables

    area = geography.resolve(level, code, wave=wave)
    for zoning in ("commune", "epci", "dep", "reg", "ze2020", "ze2010"):
        try:
            expected = tables.area_units(level, [code], zoning, wave=area.wave or tables.WAVE_2023)
        except ValueError as err:
            with pytest.raises(ValueError, match=str(err).split(":")[0][:20]):
                d._area_units(area, zoning, 0.5, False)
            continue
        got = d._area_units(area, zoning, 0.5, False)
        assert got["unit"].astype(str).tolist() == expected["unit"].astype(str).tolist(), zoning
        assert got["coverage"].to_numpy() == pytest.approx(expected["coverage"].to_numpy()), zoning


def test_every_ti_at_once_keeps_those_no_zone_can_stand_for_as_missing_rows(mirror):
    """All 183 TIs of the 2023-2027 wave, industry 2019-2023, on the URSSAF zone x A38 panel: the call failed as a
    whole because 32 TIs have no zone d'emploi with half of its population inside; each is now a row with NaN
    growth and that reason, and the others are the numbers a call for each alone gives. Alone, such a TI is
    still refused, naming why."""
    g = d.employment_growth("ti", None, 2019, 2023, "industry").set_index("code")
    assert len(g) == 183 and g.index.is_unique
    nope = g[g["reason"].str.startswith("no ze2020 has >= 0.5 of its population in it")]
    assert len(nope) == 32 and {"ti-8410", "ti-0102", "ti-1101"} <= set(nope.index)
    assert nope["growth"].isna().all() and (nope["n_units"] == 0).all() and (nope["coverage"] == 0).all()
    assert nope["unreliable"].all() and g["unreliable"].dtype == bool
    # Mayotte's zone is flagged but absent from the panel: missing, with that reason, never 0
    assert np.isnan(g.loc["ti-0601", "growth"]) and "0601 absent from the source" in g.loc["ti-0601", "reason"]
    for ti in ("ti-8403", "ti-5214", "ti-2807"):
        alone = d.employment_growth("ti", ti, 2019, 2023, "industry").set_index("code").loc[ti]
        assert g.loc[ti, ["emp_start", "emp_end", "growth", "coverage"]].tolist() == \
            alone[["emp_start", "emp_end", "growth", "coverage"]].tolist()
    with pytest.raises(d.CoverageError, match=r"no ze2020 has >= 0.5 of its population in ti \['ti-8410'\]"):
        d.employment_growth("ti", "ti-8410", 2019, 2023, "industry")
