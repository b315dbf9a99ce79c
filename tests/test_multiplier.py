"""Local multiplier estimator on synthetic panels whose true answer is known (fixed seeds)."""

import math
import re
import warnings

import numpy as np
import pandas as pd
import pytest

from analysis.methods import multiplier as mp
from analysis.report import charts

EXPOSED = [f"X{i}" for i in range(8)]
GROUPS = pd.Series({**{s: "exposed" for s in EXPOSED}, "S1": "sheltered", "S2": "sheltered", "P": "excluded"})


def synthetic(beta=0.8, n_zones=600, endogeneity=0.0, region_effect=0.0, n_regions=12, seed=0):
    """Zone x sector x year panel (2000, 2010): exposed sectors grow with national shocks g_s plus a
    local demand shock u_i; sheltered jobs grow by beta * dln(exposed) + endogeneity * u_i + noise.
    A region effect r (in both growths when region_effect != 0) confounds OLS without fixed effects."""
    rng = np.random.default_rng(seed)
    g = rng.normal(0.0, 0.5, len(EXPOSED))                  # national sector shocks
    shares = rng.dirichlet(np.full(len(EXPOSED), 0.3), n_zones)
    size = rng.lognormal(8.0, 0.8, n_zones)
    region = rng.integers(0, n_regions, n_zones)
    r = rng.normal(0.0, 0.3, n_regions)[region] * region_effect
    u = rng.normal(0.0, 0.15, n_zones)                      # local demand shock
    e0 = size[:, None] * shares + 1.0
    e1 = e0 * np.exp(g[None, :] + u[:, None] + r[:, None] + rng.normal(0, 0.05, e0.shape))
    dln_e = np.log(e1.sum(1) / e0.sum(1))
    s0 = size * rng.uniform(1.5, 2.5, n_zones)
    dln_s = beta * dln_e + endogeneity * u + r + rng.normal(0, 0.03, n_zones)
    s1 = s0 * np.exp(dln_s)
    rows = []
    for i in range(n_zones):
        z = f"Z{i:04d}"
        for k, s in enumerate(EXPOSED):
            rows += [(z, s, 2000, e0[i, k]), (z, s, 2010, e1[i, k])]
        rows += [(z, "S1", 2000, 0.6 * s0[i]), (z, "S1", 2010, 0.6 * s1[i]),
                 (z, "S2", 2000, 0.4 * s0[i]), (z, "S2", 2010, 0.4 * s1[i]),
                 (z, "P", 2000, 100.0), (z, "P", 2010, 500.0)]
    emp = pd.DataFrame(rows, columns=["zone", "sector", "year", "employment"])
    regions = pd.Series([f"R{k:02d}" for k in region], index=[f"Z{i:04d}" for i in range(n_zones)])
    return emp, regions


def panel_for(emp, regions=None):
    p = mp.long_differences(emp, GROUPS, 2000, 2010, regions=regions)
    return mp.add_instrument(p, mp.shift_share(emp, GROUPS, 2000, 2010))


# --- classification ------------------------------------------------------------------------

def test_classification_file_covers_a38_and_estel():
    c = mp.load_sector_classification()
    a38 = set(c.loc[c["level"] == "a38", "code"])
    assert len(a38) == 38 and {"AZ", "CA", "CM", "KZ", "MB", "OZ", "TZ", "UZ"} <= a38
    assert set(c.loc[c["level"] == "estel", "code"]) == {"AZ", "BE", "FZ", "GU", "OQ"}
    assert len(c[c["level"] == "na28"]) == 28 and {"CK-CL", "NZa", "MB-MC"} <= set(c.loc[c["level"] == "na28", "code"])
    for level in mp.LEVELS:
        for d in mp.DEFINITIONS:
            g = mp.sector_groups(c, level, d)
            assert set(g) <= set(mp.GROUPS) and (g == "exposed").any() and (g == "sheltered").any()


def test_footnote17_definition():
    c = mp.load_sector_classification()
    g = mp.sector_groups(c, "a38", "footnote17")
    assert (g[[f"C{x}" for x in "ABCDEFGHIJKLM"]] == "exposed").all()
    assert (g[["AZ", "BZ", "KZ", "MB"]] == "exposed").all()
    assert (g[["GZ", "IZ", "SZ", "FZ"]] == "sheltered").all()
    assert (g[["OZ", "PZ", "QA", "QB"]] == "excluded").all()
    only = mp.sector_groups(c, "a38", "industry_only")
    assert set(only.index[only == "exposed"]) == {"BZ", "CA", "CB", "CC", "CD", "CE", "CF", "CG", "CH", "CI",
                                                   "CJ", "CK", "CL", "CM", "DZ", "EZ"}
    # the sheltered sector does not move when the exposed definition narrows
    assert set(only.index[only == "sheltered"]) == set(g.index[g == "sheltered"])
    # the grouped levels agree with A38 wherever a group is not mixed
    na28 = mp.sector_groups(c, "na28", "footnote17")
    for code, group in na28.items():
        members = [m for m in code.split("-") if m in g.index]
        if members and len({g[m] for m in members}) == 1:
            assert group == g[members[0]], code
    estel = mp.sector_groups(c, "estel", "footnote17")
    assert estel.to_dict() == {"AZ": "exposed", "BE": "exposed", "FZ": "sheltered", "GU": "sheltered",
                               "OQ": "excluded"}


def test_unknown_code_is_an_error():
    emp = pd.DataFrame({"zone": ["a", "a"], "sector": ["X0", "TT"], "year": [2000, 2000], "employment": [1.0, 2.0]})
    with pytest.raises(mp.MultiplierError, match="TT"):
        mp.long_differences(emp, GROUPS, 2000, 2010)


# --- OLS and IV recover the truth --------------------------------------------------------------

def test_ols_recovers_beta_without_endogeneity():
    emp, regions = synthetic(beta=0.8, endogeneity=0.0)
    p = panel_for(emp, regions)
    for weighted in (False, True):
        r = mp.estimate(p, weighted=weighted)
        assert r["beta"] == pytest.approx(0.8, abs=0.03)
        assert r["ci_low"] < 0.8 < r["ci_high"]
        assert r["n"] == 600 and r["n_dropped"] == 0


def test_ols_biased_and_iv_recovers_beta_with_endogenous_shock():
    emp, regions = synthetic(beta=0.8, endogeneity=1.0)
    p = panel_for(emp, regions)
    ols = mp.estimate(p, method="ols")
    iv = mp.estimate(p, method="iv")
    assert ols["beta"] > 0.8 + 0.08           # local demand shock biases OLS upwards
    assert iv["beta"] == pytest.approx(0.8, abs=0.05)
    assert iv["first_stage_f"] > 100
    assert np.isnan(ols["first_stage_f"])


def test_region_fixed_effects_remove_regional_confounder_and_cluster_se():
    emp, regions = synthetic(beta=0.5, region_effect=1.0, n_regions=30, seed=3)
    p = panel_for(emp, regions)
    pooled = mp.estimate(p)
    fe = mp.estimate(p, region_fe=True, cov="cluster")
    assert abs(pooled["beta"] - 0.5) > 0.05
    assert fe["beta"] == pytest.approx(0.5, abs=0.03)
    assert fe["n_clusters"] == 30 and fe["cov"] == "cluster"
    robust = mp.estimate(p, region_fe=True, cov="robust")
    assert robust["beta"] == pytest.approx(fe["beta"]) and robust["se"] != pytest.approx(fe["se"])


def test_levels_specification_recovers_jobs_per_job():
    rng = np.random.default_rng(5)
    n = 400
    d_e = rng.normal(0, 500, n)
    e0 = rng.uniform(2000, 5000, n)
    s0 = rng.uniform(5000, 9000, n)
    d_s = 1.3 * d_e + rng.normal(0, 100, n)
    rows = []
    for i in range(n):
        rows += [(f"z{i:03d}", "X0", 2000, e0[i]), (f"z{i:03d}", "X0", 2010, e0[i] + d_e[i]),
                 (f"z{i:03d}", "S1", 2000, s0[i]), (f"z{i:03d}", "S1", 2010, s0[i] + d_s[i])]
    p = mp.long_differences(pd.DataFrame(rows, columns=["zone", "sector", "year", "employment"]), GROUPS, 2000, 2010)
    r = mp.estimate(p, spec="levels", weighted=False, cov="robust")
    assert r["beta"] == pytest.approx(1.3, abs=0.02) and r["m"] == r["beta"] and r["ratio"] == 1.0
    scaled = mp.estimate(p, spec="levels_scaled", cov="robust")
    assert scaled["beta"] == pytest.approx(1.3, abs=0.05) and scaled["m"] == scaled["beta"]


# --- conversion arithmetic ------------------------------------------------------------------------

def test_conversion_to_jobs_per_job():
    p = pd.DataFrame({"zone": ["a", "b", "c"], "exposed_0": [100.0, 300.0, 50.0], "exposed_1": [200.0, 300.0, 1.0],
                      "sheltered_0": [300.0, 500.0, 9.0], "sheltered_1": [500.0, 700.0, 9.0],
                      "drop_reason": ["", "", mp.ZERO_EMPLOYMENT]})
    assert mp.sheltered_exposed_ratio(p, "start") == pytest.approx(800 / 400)
    assert mp.sheltered_exposed_ratio(p, "end") == pytest.approx(1200 / 500)
    assert mp.sheltered_exposed_ratio(p, "mean") == pytest.approx((2.0 + 2.4) / 2)
    assert mp.jobs_per_job(0.4, 2.0) == pytest.approx(0.8)
    with pytest.raises(mp.MultiplierError):
        mp.sheltered_exposed_ratio(p, "middle")


def test_estimate_converts_with_the_sample_ratio():
    emp, regions = synthetic(beta=0.8)
    p = panel_for(emp, regions)
    r = mp.estimate(p, ratio_year="end")
    assert r["ratio"] == pytest.approx(p["sheltered_1"].sum() / p["exposed_1"].sum())
    assert r["m"] == pytest.approx(r["beta"] * r["ratio"])
    assert r["m_low"] == pytest.approx(r["ci_low"] * r["ratio"])


# --- missing and zero cells -----------------------------------------------------------------------

def test_missing_and_zero_cells_are_dropped_with_a_count_never_log0():
    emp, regions = synthetic(n_zones=50)
    emp = emp.copy()
    z0 = (emp["zone"] == "Z0000") & emp["sector"].isin(EXPOSED)
    emp.loc[z0, "employment"] = 0.0                                      # no exposed jobs at all
    emp.loc[(emp["zone"] == "Z0001") & (emp["sector"] == "X3") & (emp["year"] == 2010), "employment"] = np.nan
    emp.loc[(emp["zone"] == "Z0002") & (emp["sector"] == "X5"), "employment"] = np.nan   # absent both years
    emp = emp[~((emp["zone"] == "Z0003") & (emp["year"] == 2010))]          # zone gone at the end
    emp.loc[(emp["zone"] == "Z0004") & (emp["sector"] == "S2") & (emp["year"] == 2000), "employment"] = np.nan
    with warnings.catch_warnings():
        warnings.simplefilter("error")                                    # no divide-by-zero / log(0) warning
        p = mp.long_differences(emp, GROUPS, 2000, 2010, regions=regions)
        inst = mp.shift_share(emp, GROUPS, 2000, 2010)
        p = mp.add_instrument(p, inst)
        r = mp.estimate(p, method="iv")
    reasons = p.set_index("zone")["drop_reason"]
    assert reasons["Z0000"] == mp.ZERO_EMPLOYMENT
    assert reasons["Z0001"] == mp.MISSING_CELL
    assert reasons["Z0002"] == "" and p.set_index("zone").loc["Z0002", "absent_cells"] == 1
    assert reasons["Z0003"] == mp.ZONE_ABSENT
    assert reasons["Z0004"] == mp.MISSING_CELL
    assert np.isfinite(p.loc[reasons.to_numpy() == "", ["dln_exposed", "dln_sheltered"]]).all().all()
    assert p.loc[reasons.to_numpy() != "", "dln_exposed"].isna().all()
    counts = mp.drop_counts(p)
    assert counts["usable"] == 46 and counts.sum() == 50
    assert r["n"] == 46 and r["n_dropped"] == 4
    # 'zero' treats the one-year gap as 0 jobs: the zone is kept
    q = mp.long_differences(emp, GROUPS, 2000, 2010, missing="zero").set_index("zone")
    assert q.loc["Z0001", "drop_reason"] == ""
    # a tolerance keeps zones whose gap cells are small relative to the zone
    z1 = p.set_index("zone").loc["Z0001"]
    share = z1["gap_jobs"] / z1["total_0"]
    assert z1["gap_cells"] == 1 and z1["gap_jobs"] == pytest.approx(
        emp.loc[(emp["zone"] == "Z0001") & (emp["sector"] == "X3") & (emp["year"] == 2000), "employment"].iloc[0])
    below = mp.long_differences(emp, GROUPS, 2000, 2010, tolerance=share * 0.99).set_index("zone")
    above = mp.long_differences(emp, GROUPS, 2000, 2010, tolerance=share * 1.01).set_index("zone")
    assert below.loc["Z0001", "drop_reason"] == mp.MISSING_CELL and above.loc["Z0001", "drop_reason"] == ""
    assert above.loc["Z0001", "exposed_1"] == pytest.approx(q.loc["Z0001", "exposed_1"])


def test_gap_cells_are_the_one_year_cells_of_the_shared_cell_rule():
    """One definition of a gap cell in the package: long_differences counts, per zone, the classified
    cells that analysis.methods.cells.cell_table marks one_year (a row absent in one year counts as missing,
    like a NaN; an excluded-sector gap is not a gap); duplicated cell-years are refused."""
    from analysis.methods import cells
    emp = pd.DataFrame([
        ("A", "X0", 2000, 10.0), ("A", "X0", 2010, 12.0), ("A", "S1", 2000, 30.0), ("A", "S1", 2010, np.nan),
        ("A", "P", 2000, 5.0),                                   # excluded sector, end row absent: no gap
        ("B", "X0", 2000, 20.0), ("B", "X0", 2010, 25.0), ("B", "S1", 2000, 40.0), ("B", "S1", 2010, 44.0),
        ("B", "X1", 2010, 3.0),                                  # start row absent: a gap of 3 jobs
        ("B", "S2", 2000, np.nan), ("B", "S2", 2010, np.nan),   # secret in both years: absent, no gap
    ], columns=["zone", "sector", "year", "employment"])
    p = mp.long_differences(emp, GROUPS, 2000, 2010, tolerance=0.1).set_index("zone")
    c = cells.cell_table(emp, 2000, 2010, unit="zone", value="employment")
    c = c[c["sector"].map(GROUPS).ne("excluded")]
    assert p["gap_cells"].to_dict() == c.groupby("unit")["one_year"].sum().to_dict() == {"A": 1, "B": 1}
    assert p.loc["A", "gap_jobs"] == 30.0 and p.loc["B", "gap_jobs"] == 3.0
    # A: 30 of 40 jobs in a gap (> 10 %): dropped; B: 3 of 60 (5 %): kept, its growth on the cells present
    # in both years (the gap is left out of both years, never counted as 0 at start)
    assert p.loc["A", "drop_reason"] == mp.MISSING_CELL and p.loc["B", "drop_reason"] == ""
    assert (p.loc["B", "exposed_0"], p.loc["B", "exposed_1"]) == (20.0, 25.0)
    zero = mp.long_differences(emp, GROUPS, 2000, 2010, tolerance=0.1, missing="zero").set_index("zone")
    assert (zero.loc["B", "exposed_0"], zero.loc["B", "exposed_1"]) == (20.0, 28.0)
    # absent: every classified sector of the table (X0, X1, S1, S2) the zone has in neither year
    assert p["absent_cells"].to_dict() == {"A": 2, "B": 1}
    with pytest.raises(mp.MultiplierError, match="several rows"):
        mp.long_differences(pd.concat([emp, emp.iloc[:1]]), GROUPS, 2000, 2010)


# --- shift-share instrument -----------------------------------------------------------------------

def test_shift_share_by_hand():
    emp = pd.DataFrame([
        ("a", "X0", 2000, 10.0), ("a", "X0", 2010, 20.0), ("a", "X1", 2000, 30.0), ("a", "X1", 2010, 30.0),
        ("b", "X0", 2000, 40.0), ("b", "X0", 2010, 60.0), ("b", "X1", 2000, 10.0), ("b", "X1", 2010, 5.0),
    ], columns=["zone", "sector", "year", "employment"])
    z = mp.shift_share(emp, GROUPS, 2000, 2010).set_index("zone")
    # leave-one-out: zone a sees only b's growth and vice versa
    ga0, ga1 = np.log(60 / 40), np.log(5 / 10)
    assert z.loc["a", "bartik_log"] == pytest.approx(0.25 * ga0 + 0.75 * ga1)
    assert z.loc["a", "bartik_levels"] == pytest.approx(10 * (60 / 40 - 1) + 30 * (5 / 10 - 1))
    gb0, gb1 = np.log(20 / 10), np.log(30 / 30)
    assert z.loc["b", "bartik_log"] == pytest.approx(0.8 * gb0 + 0.2 * gb1)
    full = mp.shift_share(emp, GROUPS, 2000, 2010, leave_one_out=False).set_index("zone")
    assert full.loc["a", "bartik_log"] == pytest.approx(0.25 * np.log(80 / 50) + 0.75 * np.log(35 / 40))
    nat = pd.DataFrame([("X0", 2000, 1000.0), ("X0", 2010, 1100.0), ("X1", 2000, 500.0), ("X1", 2010, 400.0)],
                       columns=["sector", "year", "employment"])
    zn = mp.shift_share(emp, GROUPS, 2000, 2010, national=nat).set_index("zone")
    assert zn.loc["a", "bartik_log"] == pytest.approx(0.25 * np.log(1080 / 990) + 0.75 * np.log(370 / 470))


def test_instrument_ignores_the_zones_own_growth():
    emp, _ = synthetic(n_zones=40)
    before = mp.shift_share(emp, GROUPS, 2000, 2010).set_index("zone")
    emp2 = emp.copy()
    own = (emp2["zone"] == "Z0007") & (emp2["year"] == 2010) & emp2["sector"].isin(EXPOSED)
    emp2.loc[own, "employment"] *= 3.0
    after = mp.shift_share(emp2, GROUPS, 2000, 2010).set_index("zone")
    assert after.loc["Z0007", "bartik_log"] == pytest.approx(before.loc["Z0007", "bartik_log"])
    assert after.loc["Z0008", "bartik_log"] != pytest.approx(before.loc["Z0008", "bartik_log"])


def test_zone_alone_in_its_sector_has_no_instrument():
    emp = pd.DataFrame([
        ("a", "X0", 2000, 10.0), ("a", "X0", 2010, 20.0), ("a", "S1", 2000, 10.0), ("a", "S1", 2010, 20.0),
        ("b", "X1", 2000, 10.0), ("b", "X1", 2010, 20.0), ("b", "S1", 2000, 10.0), ("b", "S1", 2010, 20.0),
    ], columns=["zone", "sector", "year", "employment"])
    z = mp.shift_share(emp, GROUPS, 2000, 2010)
    assert z["bartik_log"].isna().all()
    p = mp.add_instrument(mp.long_differences(emp, GROUPS, 2000, 2010), z)
    assert (p["drop_reason"] == mp.NO_INSTRUMENT).all()


def test_bad_arguments():
    emp, regions = synthetic(n_zones=30)
    p = mp.long_differences(emp, GROUPS, 2000, 2010)
    with pytest.raises(mp.MultiplierError, match="bartik"):
        mp.estimate(p, method="iv")
    with pytest.raises(mp.MultiplierError, match="region"):
        mp.estimate(p, cov="cluster")
    with pytest.raises(mp.MultiplierError):
        mp.long_differences(emp, GROUPS, 2010, 2000)
    with pytest.raises(mp.MultiplierError):
        mp.estimate(p, spec="ratio")


def test_weighting_by_start_employment():
    """Heterogeneous effects: beta 1.0 in the 100 largest zones, 0.2 elsewhere; the weighted slope
    leans to the large zones and equals statsmodels' WLS slope."""
    import statsmodels.api as sm

    emp, regions = synthetic(beta=0.2, n_zones=300, seed=11)
    p = mp.long_differences(emp, GROUPS, 2000, 2010, regions=regions)
    big = p["total_0"].rank(ascending=False) <= 100
    p.loc[big, "dln_sheltered"] += 0.8 * p.loc[big, "dln_exposed"]
    unw, wtd = mp.estimate(p, weighted=False), mp.estimate(p)   # weighted is the default (headline)
    assert wtd["beta"] > unw["beta"] + 0.1
    wls = sm.WLS(p["dln_sheltered"], sm.add_constant(p["dln_exposed"]), weights=p["total_0"]).fit()
    assert wtd["beta"] == pytest.approx(wls.params["dln_exposed"], rel=1e-9)


# --- inputs: zones, regional and national series ---------------------------------------------------

def test_place_zones_puts_interregional_zones_in_their_majority_region():
    file_regions = pd.Series({"0001": "11", "0050": "INT", "0051": "INT", "9701": "01"})
    majority = pd.Series({"0050": "84", "0051": "27", "0001": "24"})
    out = mp.place_zones(file_regions, majority)
    assert out.to_dict() == {"0001": "11", "0050": "84", "0051": "27", "9701": "01"}   # non-marked kept as in the file
    assert out.name == "region"
    with pytest.raises(mp.MultiplierError, match="0051"):
        mp.place_zones(file_regions, majority.drop("0051"))


def test_zone_employment_keeps_metropolitan_zones_and_drops_totals():
    raw = pd.DataFrame({"ze": ["b", "a", "a", "o"], "sec": ["X0", "X0", "TT", "X0"], "year": [2000] * 4,
                        "employment": [1.0, 2.0, 3.0, 4.0], "other": [0] * 4})
    regions = pd.Series({"a": "11", "b": "84", "o": "01"})
    out = mp.zone_employment(raw, regions, zone="ze", sector="sec", drop_sectors=["TT"])
    assert list(out.columns) == ["zone", "sector", "year", "employment"]
    assert out["zone"].tolist() == ["a", "b"] and out["employment"].tolist() == [2.0, 1.0]


def test_regional_panel_keeps_fourth_quarter_employment_of_metropolitan_regions():
    rows = []
    for region in ("11", "84", "01"):
        for sector in ("CA", "GZ", "TOTAL"):
            for quarter in (3, 4):
                for variable in ("employment", "payroll"):
                    rows.append((region, sector, 2019, quarter, variable, 10.0 * quarter))
    b = pd.DataFrame(rows, columns=["region", "sector", "year", "quarter", "variable", "value"])
    out = mp.regional_panel(b)
    assert len(out) == 4 and set(out["zone"]) == {"11", "84"} and set(out["sector"]) == {"CA", "GZ"}
    assert (out["employment"] == 40.0).all()


def test_group_and_national_totals():
    emp = pd.DataFrame([("a", "X0", 2000, 1.0), ("b", "X0", 2000, np.nan), ("a", "S1", 2000, 5.0),
                        ("a", "P", 2000, 7.0), ("a", "X1", 2010, np.nan), ("b", "X1", 2010, np.nan)],
                       columns=["zone", "sector", "year", "employment"])
    g = mp.group_totals(emp, GROUPS, [2000])
    assert g.loc["exposed", 2000] == 1.0 and g.loc["sheltered", 2000] == 5.0 and g.loc["excluded", 2000] == 7.0
    n = mp.national_totals(emp).set_index(["sector", "year"])["employment"]
    assert n[("X0", 2000)] == 1.0 and np.isnan(n[("X1", 2010)])


def test_a38_to_na28_and_aggregation():
    m = mp.a38_to_na28(mp.load_sector_classification())
    assert m["CD"] == m["CE"] == m["CF"] == "CD-CE-CF" and m["MB"] == "MB-MC" and m["CA"] == "CA"
    assert "NZ" not in m.index and "AZ" not in m.index          # split in NA28 / not in the series
    emp = pd.DataFrame([("a", "CD", 2000, 1.0), ("a", "CE", 2000, np.nan), ("a", "CF", 2000, 2.0),
                        ("b", "CD", 2000, np.nan), ("b", "CE", 2000, np.nan), ("a", "NZ", 2000, 9.0)],
                       columns=["zone", "sector", "year", "employment"])
    with pytest.raises(mp.MultiplierError, match="NZ"):
        mp.aggregate_sectors(emp, m)
    out = mp.aggregate_sectors(emp, m, drop_unmapped=True).set_index(["zone", "sector"])["employment"]
    assert out[("a", "CD-CE-CF")] == 3.0 and np.isnan(out[("b", "CD-CE-CF")]) and len(out) == 2


def test_national_growth_comparison_by_hand():
    emp = pd.DataFrame([
        ("a", "X0", 2000, 10.0), ("a", "X0", 2010, 20.0), ("b", "X0", 2000, 30.0), ("b", "X0", 2010, 30.0),
        ("a", "X1", 2000, 5.0), ("a", "X1", 2010, 5.0), ("a", "S1", 2000, 50.0), ("a", "S1", 2010, 60.0),
    ], columns=["zone", "sector", "year", "employment"])
    nat = pd.DataFrame([("X0", 2000, 100.0), ("X0", 2010, 110.0), ("S1", 2000, 1.0), ("S1", 2010, 2.0)],
                       columns=["sector", "year", "employment"])
    g = mp.national_growth_comparison(emp, nat, GROUPS, 2000, 2010).set_index("sector")
    assert list(g.index) == ["X0"]                              # X1 not in the other source, S1 not exposed
    assert g.loc["X0", "jobs_0"] == 40.0
    assert g.loc["X0", "g_zones"] == pytest.approx(np.log(50 / 40))
    assert g.loc["X0", "g_national"] == pytest.approx(np.log(1.1))
    assert g.loc["X0", "diff"] == pytest.approx(np.log(50 / 40) - np.log(1.1))
    # leave-one-out: without a -> b's growth (0); without b -> a's growth (log 2)
    assert g.loc["X0", "g_loo_min"] == pytest.approx(0.0) and g.loc["X0", "g_loo_max"] == pytest.approx(np.log(2))


def test_zone_panel_and_estimate_grid_match_the_steps():
    emp, regions = synthetic(n_zones=80, seed=2)
    panel = mp.zone_panel(emp, GROUPS, 2000, 2010, regions=regions)
    by_hand = panel_for(emp, regions)
    pd.testing.assert_frame_equal(panel, by_hand)
    assert "bartik_log" not in mp.zone_panel(emp, GROUPS, 2000, 2010, instrument=False).columns
    nat = mp.national_totals(emp).assign(employment=lambda d: d["employment"] * 2)
    other = mp.zone_panel(emp, GROUPS, 2000, 2010, national=nat)
    assert not np.allclose(other["bartik_log"], panel["bartik_log"])
    specs = [("log", "ols", True, False), ("log", "iv", False, True)]
    grid = mp.estimate_grid(panel, specs, cov="robust", data="synthetic", window="2000-2010")
    assert list(grid.columns[:2]) == ["data", "window"] and len(grid) == 2
    assert grid.loc[1, "beta"] == pytest.approx(mp.estimate(panel, method="iv", weighted=False, region_fe=True)["beta"])
    assert bool(grid.loc[1, "region_fe"]) and grid.loc[0, "method"] == "ols"


# --- reading the results table -------------------------------------------------------------------------

def results_table():
    base = {"spec": "log", "weighted": True, "region_fe": False, "first_stage_f": np.nan, "n": 100}
    rows = [
        {"data": "A", "window": "w1", "definition": "d", "method": "ols", "m": 0.88, "m_low": 0.53, "m_high": 1.23},
        {"data": "A", "window": "w1", "definition": "d", "method": "iv", "m": 1.30, "m_low": -0.10, "m_high": 2.70,
         "first_stage_f": 20.0},
        {"data": "B", "window": "w2", "definition": "d", "method": "iv", "m": 1.50, "m_low": 1.00, "m_high": 2.00,
         "first_stage_f": 3.0, "weighted": False},
        {"data": "B", "window": "w2", "definition": "d", "method": "ols", "m": 1.16, "m_low": 1.10, "m_high": 1.20},
        {"data": "C", "window": "w1", "definition": "d", "method": "ols", "m": 0.60, "m_low": 0.40, "m_high": 0.80},
        {"data": "D", "window": "w1", "definition": "d", "method": "ols", "m": 1.55, "m_low": 1.50, "m_high": 1.60},
    ]
    return pd.DataFrame([{**base, **r} for r in rows])


def test_summary_table_matches_rows_and_compares():
    res = results_table()
    rows = [{"label": "head", "data": "A", "window": "w1", "definition": "d", "spec": "log", "method": "ols",
             "weighted": True, "compared_with": "claim"},
            {"label": "iv", "data": "A", "window": "w1", "definition": "d", "spec": "log", "method": "iv",
             "weighted": True, "compared_with": "peer"}]
    s = mp.summary_table(res, rows, {"claim": 134.0, "peer": 80.0})
    assert s["label"].tolist() == ["head", "iv"]
    assert s.loc[0, "value"] == pytest.approx(88.0) and s.loc[0, "gap_pct"] == pytest.approx(100 * (88 / 134 - 1))
    assert not s.loc[0, "cited_in_ci"] and s.loc[1, "cited_in_ci"]
    assert s.loc[1, "ci_low"] == pytest.approx(-10.0)
    with pytest.raises(mp.MultiplierError, match="matches 0"):
        mp.summary_table(res, [{**rows[0], "window": "w9"}], {"claim": 134.0})
    with pytest.raises(mp.MultiplierError, match="reference"):
        mp.summary_table(res, [{**rows[0], "compared_with": "nobody"}], {"claim": 134.0})


def test_near_value_lists_the_band_with_reasons():
    res = results_table()
    near = mp.near_value(res, 134.0, 0.15, headline={"data": "A", "window": "w1", "definition": "d", "spec": "log",
                                                        "method": "ols", "weighted": True},
                         caveats={("data", "B"): "B is regional", ("weighted", False): "unweighted"},
                         rivals={"peer": 80.0})
    # 113.9 <= value <= 154.1: A-IV 130, B-IV 150, B-OLS 116; not 88, 60 or 155
    assert sorted(near["value"].round(1)) == [116.0, 130.0, 150.0]
    assert not near["is_headline"].any()
    r = near.set_index(["data", "method"])["reasons"]
    assert r[("A", "iv")] == "95% CI includes 0; 95% CI -10 to 270 also covers peer 80"
    assert r[("B", "iv")] == "B is regional; unweighted; weak first stage (F 3.0)"
    assert r[("B", "ols")] == "B is regional"
    wide = mp.near_value(res, 134.0, 0.40, headline={"data": "A", "window": "w1", "definition": "d", "spec": "log",
                                                        "method": "ols", "weighted": True})
    assert wide["is_headline"].sum() == 1
    with pytest.raises(mp.MultiplierError):
        mp.near_value(res, 134.0, 1.5)


def test_near_value_note_says_which_come_near_and_which_do_not():
    res = results_table()
    near = mp.near_value(res, 134.0, 0.15, caveats={("data", "B"): "B is regional"})
    note = mp.near_value_note(res, near, 134.0, 0.15, max_listed=1)
    assert note.startswith("within 15% of 134: ")
    assert "A: 1 of 2: w1 d log IV weighted 130 [95% CI includes 0]" in note
    assert "B: 2 of 2 (116 to 150; IV 1 of 1, OLS 1 of 1) [all: B is regional; 1: weak first stage (F < 10)]" in note
    assert "C: none of 1 (log estimates 60 to 60)" in note and "D: none of 1 (log estimates 155 to 155)" in note


def test_plots_return_figures():
    import matplotlib
    matplotlib.use("Agg")
    emp, regions = synthetic(n_zones=40)
    p = panel_for(emp, regions)
    est = mp.estimate(p, weighted=True)
    fig = charts.plot_scatter(p, est, start=2000, end=2010)
    assert len(fig.axes) == 1 and len(fig.axes[0].lines) == 3      # fitted line + two zero lines
    summary = pd.DataFrame({"label": ["a", "b"], "value": [88.0, 144.0], "ci_low": [53.0, 94.0],
                            "ci_high": [123.0, 194.0]})
    fig2 = charts.plot_comparison(summary, [(134.0, "cited"), (80.0, "peer")], xlim=(0, 200))
    ax = fig2.axes[0]
    assert [t.get_text() for t in ax.get_yticklabels()] == ["a", "b"] and ax.get_xlim() == (0, 200)
    # the clustered-interval key and the two reference lines (no AKM columns in this summary)
    assert [t.get_text() for t in ax.get_legend().get_texts()][1:] == ["cited", "peer"]


# --- inference: t(G-1), a real F, AKM, Anderson-Rubin; diagnostics; the one-call API ---------------

def test_estimate_matches_linearmodels_and_uses_t_g_minus_1():
    from linearmodels.iv import IV2SLS
    from scipy import stats

    emp, regions = synthetic(beta=0.8, endogeneity=1.0, n_regions=13, seed=4)
    p = panel_for(emp, regions).sort_values("zone").reset_index(drop=True)
    for method in ("ols", "iv"):
        for cov in ("robust", "cluster"):
            r = mp.estimate(p, method=method, weighted=True, cov=cov)
            exog = pd.DataFrame({"const": np.ones(len(p))})
            if method == "ols":
                exog["dln_exposed"] = p["dln_exposed"]
                model = IV2SLS(p["dln_sheltered"], exog, None, None, weights=p["total_0"])
            else:
                model = IV2SLS(p["dln_sheltered"], exog, p[["dln_exposed"]], p[["bartik_log"]], weights=p["total_0"])
            kw = dict(cov_type="clustered", clusters=pd.Series(pd.factorize(p["region"], sort=True)[0])) \
                if cov == "cluster" else dict(cov_type="robust")
            lm = model.fit(debiased=True, **kw)
            assert r["beta"] == pytest.approx(lm.params["dln_exposed"], rel=1e-9)
            assert r["se"] == pytest.approx(lm.std_errors["dln_exposed"], rel=1e-9)
            df = 12 if cov == "cluster" else r["df_resid"]
            assert (r["ci_high"] - r["beta"]) / r["se"] == pytest.approx(stats.t.ppf(0.975, df), rel=1e-12)
            assert r["n_clusters"] == 13
    iv = mp.estimate(p, method="iv", cov="cluster")
    # one instrument: F = t^2 of the first stage under the same covariance, p from F(1, G-1)
    assert iv["first_stage_f"] > 100 and iv["first_stage_f_p"] < 1e-6 and not iv["weak_iv"]
    assert iv["ar_low"] < iv["beta"] < iv["ar_high"]
    # 8 sectors only: the AKM0 set may be unbounded (then it is spelled out)
    assert iv["ci_low_akm"] < iv["beta"] < iv["ci_high_akm"] and iv["se_akm"] > 0
    assert iv["akm0_set"] == "" or "inf" in iv["akm0_set"]
    assert iv["n_sectors"] == 8 and iv["m_low_akm"] == pytest.approx(iv["ci_low_akm"] * iv["ratio"])


def test_weak_instrument_gives_wide_anderson_rubin_set_and_warning():
    emp, regions = synthetic(beta=0.8, endogeneity=1.0, n_zones=200, seed=8)
    p = panel_for(emp, regions)
    rng = np.random.default_rng(1)
    p["bartik_log"] = rng.normal(size=len(p))          # an irrelevant instrument
    r = mp.estimate(p, method="iv", cov="robust")
    assert r["weak_iv"] and r["first_stage_f"] < 10
    assert not (math.isfinite(r["ar_low"]) and math.isfinite(r["ar_high"])) or r["ar_high"] - r["ar_low"] > 2


def test_rotemberg_weights_decompose_the_bartik_estimate():
    emp, regions = synthetic(beta=0.8, endogeneity=1.0, seed=5)
    groups = GROUPS
    p = panel_for(emp, regions)
    g = mp.national_shifts(emp, groups, 2000, 2010)
    rw = mp.rotemberg_weights(p, g, weighted=True)
    assert rw["alpha"].sum() == pytest.approx(1.0, abs=1e-10) and len(rw) == 8
    # the same decomposition as the 2SLS estimate with the non-leave-one-out instrument
    cols = [f"share_{s}" for s in rw["sector"]]
    q = p.assign(bartik_log=p[cols].to_numpy() @ g.reindex(rw["sector"]).to_numpy())
    iv = mp.estimate(q, method="iv", weighted=True)
    assert rw.attrs["beta_bartik"] == pytest.approx(iv["beta"], rel=1e-8)
    assert 0 <= rw.attrs["negative_weight_share"] < 1
    assert rw["alpha"].abs().is_monotonic_decreasing


def test_pretrend_test_detects_a_pre_existing_trend():
    emp, regions = synthetic(beta=0.8, seed=6)
    p = panel_for(emp, regions)
    pre = p[["zone", "drop_reason"]].copy()
    rng = np.random.default_rng(2)
    pre["dln_sheltered"] = 0.5 * p["bartik_log"] + rng.normal(0, 0.01, len(p))
    flagged = mp.pretrend_test(pre, p, cov="robust")
    assert flagged["coef"] == pytest.approx(0.5, abs=0.05) and flagged["p"] < 1e-6
    pre["dln_sheltered"] = rng.normal(0, 0.01, len(p))
    clean = mp.pretrend_test(pre, p, cov="robust")
    assert clean["p"] > 0.001 and clean["n"] == 600


def test_local_multiplier_one_call_defaults_and_errors():
    emp, regions = synthetic(beta=0.8, seed=7)
    data = emp.assign(region=emp["zone"].map(regions))
    groups = GROUPS.to_dict()
    res = mp.local_multiplier(data, (2000, 2010), definition=groups)
    by_hand = mp.estimate(panel_for(emp, regions), method="ols", weighted=True, cov="cluster")
    assert res.m == pytest.approx(by_hand["m"]) and res["cov"] == "cluster" and res["weighted"]
    text = res.summary()
    assert "m = " in text and "AKM0" in text and "t(G-1) = t(11)" in text and "usable 600" in text
    assert "region-clustered, t(G-1)" in text and "sample: metropolitan" in text
    assert set(res.intervals().index) >= {"robust", "cluster", "akm", "akm0"}
    typo = {**groups, "X3": "exposd"}
    with pytest.raises(mp.MultiplierError, match="exposd.*X3"):
        mp.local_multiplier(data, (2000, 2010), definition=typo)
    with pytest.raises(mp.MultiplierError, match=r"\[2020\] are not in the data"):
        mp.local_multiplier(data, (2000, 2020), definition=groups)
    with pytest.raises(mp.MultiplierError, match="definition must be one of"):
        mp.local_multiplier(data, (2000, 2010), definition="footnote_17")
    iv = mp.local_multiplier(data, (2000, 2010), definition=groups, method="iv", inference="akm")
    assert iv["se"] == iv["se_akm"] and "Anderson-Rubin (AKM)" in iv.summary()


def test_a_user_s_table_is_refused_saying_what_to_change():
    """Years held as text or floats, sector codes of no one level, every zone lost to gaps: each refusal says
    what is wrong and what to do (they said "years present: 2000, 2010" for string years, "pass groups=", an
    argument local_multiplier has not, and "too few usable zones (0)")."""
    emp, regions = synthetic(beta=0.8, seed=7)
    data = emp.assign(region=emp["zone"].map(regions))
    groups = GROUPS.to_dict()
    for years, shown in ((data["year"].astype(str), "values (e.g. '2000')"),
                         (data["year"].astype(float), "float64 values (e.g. 2000.0)")):
        with pytest.raises(mp.MultiplierError, match="column 'year' holds .*" + re.escape(
                f"{shown}, not whole-number years: convert it first, e.g. data['year'].astype(int)")):
            mp.local_multiplier(data.assign(year=years), (2000, 2010), definition=groups)
    a38 = pd.DataFrame({"zone": "z", "sector": ["CA", "CL", "GZ", "C1"], "year": 2000, "employment": 1.0})
    with pytest.raises(mp.MultiplierError, match=re.escape("(closest: 'a38', which lacks ['C1']); give codes of one "
                                                           "level (data/sector_classification.csv), or definition=")):
        mp.local_multiplier(pd.concat([a38, a38.assign(year=2010)]), (2000, 2010))
    gaps = data.assign(employment=data["employment"].where(~((data["year"] == 2010) & data["sector"].isin(["X1", "S1"]))))
    with pytest.raises(mp.MultiplierError, match=r"too few usable zones \(0 of 600\) for the regression; left out: 600 "
                                                 r"sector cell missing in one year only; local_multiplier\(tolerance=\.\.\.\)"):
        mp.local_multiplier(gaps, (2000, 2010), definition=groups)


def test_estimate_akm_is_shiftshare_on_the_start_year_shares():
    from analysis.methods import shiftshare as ss

    emp, regions = synthetic(beta=0.8, endogeneity=1.0, n_zones=300, seed=9)
    p = panel_for(emp, regions)
    r = mp.estimate(p, method="iv", weighted=True, region_fe=True, cov="akm")
    q = p[p["drop_reason"] == ""].sort_values("zone")
    W = q[[c for c in q.columns if c.startswith(mp.SHARE_PREFIX)]]
    fe = pd.get_dummies(q["region"], drop_first=True, dtype=float)
    direct = ss.ivreg_ss(q["dln_sheltered"], q["dln_exposed"], q["bartik_log"], W, controls=fe, weights=q["total_0"],
                         region_cvar=q["region"])
    assert r["beta"] == pytest.approx(direct.beta, rel=1e-10)
    assert r["se"] == pytest.approx(direct.se["akm"], rel=1e-10) and r["se_akm0"] == pytest.approx(direct.se["akm0"])
    assert r["ci_low"] == pytest.approx(direct.ci_low["akm"], rel=1e-10)


def test_group_typo_is_refused_by_every_step():
    emp, _ = synthetic(n_zones=20)
    typo = GROUPS.copy()
    typo["X2"] = "exposd"
    for call in (lambda: mp.long_differences(emp, typo, 2000, 2010), lambda: mp.shift_share(emp, typo, 2000, 2010)):
        with pytest.raises(mp.MultiplierError, match=r"exposd.*X2"):
            call()


def test_the_t_shown_is_the_statistic_behind_the_p_value_under_every_inference():
    """Under AKM0 the se is the set's half-length over the critical value (ShiftShareSE's convention), so beta / se
    is no test statistic: the summary showed 't 5.55, p 0.00376' for the ZE2020 IV. The t is now the null-imposed
    statistic, and for each inference the p-value is the two-sided tail of t in its reference distribution."""
    from scipy import stats

    emp, regions = synthetic(beta=0.8, seed=3, endogeneity=0.1)
    data = emp.assign(region=emp["zone"].map(regions))
    groups = GROUPS.to_dict()
    for inference in ("robust", "cluster", "akm", "akm0"):
        r = mp.local_multiplier(data, (2000, 2010), definition=groups, method="iv", inference=inference)
        e = r.estimate
        dist = {"robust": stats.t(e["df_resid"]), "cluster": stats.t(e["n_clusters"] - 1)}.get(inference, stats.norm)
        assert 2 * dist.sf(abs(e["t"])) == pytest.approx(e["p"], rel=1e-9, abs=1e-300), inference
        shown = "t (null imposed)" if inference == "akm0" else "t"
        assert f"{shown} {e['t']:.2f}, p {e['p']:.3g}" in r.summary()
    assert e["t"] != pytest.approx(e["beta"] / e["se"], rel=1e-3)  # AKM0: not beta / se
