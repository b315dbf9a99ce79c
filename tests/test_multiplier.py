"""Local multiplier estimator on synthetic panels whose true answer is known (fixed seeds)."""

import warnings

import numpy as np
import pandas as pd
import pytest

from analysis import multiplier as mp

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
    r = mp.estimate(p, spec="levels")
    assert r["beta"] == pytest.approx(1.3, abs=0.02) and r["m"] == r["beta"] and r["ratio"] == 1.0
    scaled = mp.estimate(p, spec="levels_scaled")
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
    unw, wtd = mp.estimate(p), mp.estimate(p, weighted=True)
    assert wtd["beta"] > unw["beta"] + 0.1
    wls = sm.WLS(p["dln_sheltered"], sm.add_constant(p["dln_exposed"]), weights=p["total_0"]).fit()
    assert wtd["beta"] == pytest.approx(wls.params["dln_exposed"], rel=1e-9)
