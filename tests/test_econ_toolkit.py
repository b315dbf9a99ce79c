"""Issue 26: result objects, etable, no silent inference, shock-level shift-share, panels, forest table."""

import math
import warnings

import numpy as np
import pandas as pd
import pytest

from analysis.methods import multiplier as mp
from analysis.methods import results, shiftshare as ss
from analysis.methods.shocklevel import ShockLevelError, effective_shocks, shock_balance, shock_level_iv


def _design(n=300, S=40, seed=5, incomplete=True):
    rng = np.random.default_rng(seed)
    W = rng.dirichlet(np.ones(S) * 0.4, size=n)
    if incomplete:
        W = W * rng.uniform(0.5, 1, size=(n, 1))
    g = rng.normal(size=S)
    C = rng.normal(size=(n, 2))
    e = rng.uniform(1, 10, size=n)
    x = W @ g + C @ [0.3, -0.2] + rng.normal(scale=0.3, size=n)
    y = 0.7 * x + C @ [1, 0.5] + rng.normal(scale=0.3, size=n)
    return y, x, g, W, C, e


def _iv2sls(*args, **kwargs):
    """linearmodels' IV2SLS (the reference implementation), imported by the tests that use it only: pytest
    imports every test module on both workers, and linearmodels with statsmodels takes 0.4 s."""
    from linearmodels.iv import IV2SLS

    return IV2SLS(*args, **kwargs)


@pytest.mark.parametrize("missing", [False, True])
def test_shock_level_iv_equals_the_location_level_iv(missing):
    y, x, g, W, C, e = _design()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        r = shock_level_iv(y, x, g, W, controls=C, weights=e, missing_industry=missing)
    exog = np.column_stack([np.ones(len(y)), C] + ([W.sum(axis=1)] if missing else []))
    lm = _iv2sls(y, exog, x, W @ g, weights=e).fit(cov_type="unadjusted")
    assert r.beta == pytest.approx(float(lm.params.iloc[-1]), rel=1e-10, abs=0)
    assert abs(r.identity_gap) < 1e-10 * abs(r.beta)
    assert r.intercept is missing and r.missing_industry is missing


def test_shock_level_complete_shares_constant_and_akm_close():
    y, x, g, W, C, e = _design(incomplete=False, seed=8)
    r = shock_level_iv(y, x, pd.Series(g, index=[f"s{j}" for j in range(W.shape[1])]),
                       pd.DataFrame(W, columns=[f"s{j}" for j in range(W.shape[1])]), controls=C, weights=e, akm=True)
    lm = _iv2sls(y, np.column_stack([np.ones(len(y)), C]), x, W @ g, weights=e).fit()
    assert r.beta == pytest.approx(float(lm.params.iloc[-1]), rel=1e-10) and r.intercept
    # BHJ's shock-level SE and AKM's estimate the same variance: close, not equal
    assert r.se == pytest.approx(r.akm.se["akm"], rel=0.15)
    assert set(r.methods()) == {"shock", "akm", "akm0"}
    assert r.conf_int("akm").loc["beta", "lower"] == r.akm.ci_low["akm"]
    assert r.sectors["s_share"].sum() == pytest.approx(1.0)


def test_effective_shocks_is_the_inverse_herfindahl():
    W = np.array([[1.0, 0.0, 0.0], [0.0, 0.5, 0.5]])
    assert effective_shocks(W) == pytest.approx(1 / (0.5 ** 2 + 0.25 ** 2 + 0.25 ** 2))
    assert effective_shocks(W, weights=[1, 3]) == pytest.approx(1 / (0.25 ** 2 + 0.375 ** 2 * 2))
    y, x, g, W, C, e = _design(incomplete=False)
    r = shock_level_iv(y, x, g, W, weights=e)
    assert r.effective_shocks == pytest.approx(effective_shocks(W, e))


def test_one_dominant_sector_gives_one_effective_shock():
    rng = np.random.default_rng(1)
    n, S = 200, 10
    W = np.zeros((n, S))
    W[:, 0] = 0.999
    W[:, 1:] = rng.dirichlet(np.ones(S - 1), size=n) * 0.001
    assert effective_shocks(W) < 1.01


def test_shock_level_errors_name_the_problem():
    y, x, g, W, C, e = _design()
    with pytest.raises(ShockLevelError, match="shocks has 3 values, expected 40"):
        shock_level_iv(y, x, g[:3], W)
    with pytest.raises(ShockLevelError, match="no shock for sector"):
        shock_level_iv(y, x, pd.Series(g[:-1], index=range(39)), pd.DataFrame(W))
    with pytest.warns(UserWarning, match="missing_industry=True"):
        shock_level_iv(y, x, g, W)


def test_balance_detects_a_confounded_shock_and_not_noise():
    rng = np.random.default_rng(4)
    n, S = 400, 60
    W = rng.dirichlet(np.ones(S) * 0.3, size=n)
    g = rng.normal(size=S)
    confounded = W @ g + rng.normal(scale=0.05, size=n)
    out = shock_balance(g, W, pd.DataFrame({"noise": rng.normal(size=n), "confounded": confounded}),
                        sector_variables=pd.DataFrame({"same": g * 2 + 1}))
    row = out.set_index("variable")
    assert row.loc["confounded", "p"] < 1e-6 and row.loc["noise", "p"] > 0.01
    assert row.loc["same", "coef"] == pytest.approx(2.0) and row.loc["same", "level"] == "sector"


def test_shiftshare_result_reads_like_statsmodels_and_has_first_stage_f():
    y, x, g, W, C, e = _design(incomplete=False)
    regions = np.arange(len(y)) % 12
    iv = ss.ivreg_ss(y, x, W @ g, W, controls=C, weights=e, region_cvar=regions)
    assert iv.params["beta"] == iv.beta and iv.nobs == len(y) and iv.inference == "akm"
    assert iv.bse["beta"] == iv.se["akm"]
    assert list(iv.conf_int("ehw").loc["beta"]) == [iv.ci_low["ehw"], iv.ci_high["ehw"]]
    with pytest.raises(results.ResultError, match="'cluster' means region-clustered with t\\(G-1\\)"):
        iv.conf_int("cluster")
    assert set(iv.first_stage_f) == {"ehw", "region_cluster", "akm"}
    # the AKM first-stage F is the square of the AKM t statistic of the first stage
    fs = ss.reg_ss(x, W @ g, W, controls=C, weights=e, method=("akm",))
    assert iv.first_stage_f["akm"] == pytest.approx((fs.beta / fs.se["akm"]) ** 2, rel=1e-10)
    assert "Montiel Olea-Pflueger" in iv.summary() and "region-clustered, normal (ShiftShareSE)" in iv.summary()
    frame = iv.to_frame()
    assert list(frame["method"]) == list(ss.METHODS) and frame["method_label"].is_unique


def _synthetic(n_zones=120, seed=3):
    rng = np.random.default_rng(seed)
    rows = []
    for z in range(n_zones):
        mix = rng.dirichlet(np.ones(6))
        for year in (2000, 2010):
            for j, sec in enumerate(["A", "B", "C", "D", "E", "F"]):
                grow = 1 + (0.3 * (j - 2.5) / 2.5 + rng.normal(0, 0.05)) * (year == 2010)
                rows.append((f"z{z:03d}", sec, year, 1000 * mix[j] * grow))
            shock = sum(mix[j] * 0.3 * (j - 2.5) / 2.5 for j in range(6))
            rows.append((f"z{z:03d}", "S", year, 3000 * (1 + 0.5 * shock * (year == 2010))))
    data = pd.DataFrame(rows, columns=["zone", "sector", "year", "employment"])
    regions = pd.Series([("94" if z < 5 else f"r{z % 10}") for z in range(n_zones)],
                        index=[f"z{z:03d}" for z in range(n_zones)])
    groups = {**{s: "exposed" for s in "ABCDEF"}, "S": "sheltered"}
    return data, regions, groups


def test_local_multiplier_refuses_silent_inference_and_prints_the_sample():
    data, regions, groups = _synthetic()
    regions = regions.replace("94", "01")                       # '01' Guadeloupe: overseas
    with pytest.raises(mp.MultiplierError, match="needs regions.*zone_regions"):
        mp.local_multiplier(data, (2000, 2010), definition=groups, method="iv", inference="akm")
    with pytest.raises(mp.MultiplierError, match="sample='metropolitan' needs regions"):
        mp.local_multiplier(data, (2000, 2010), definition=groups, inference="robust")
    robust = mp.local_multiplier(data, (2000, 2010), definition=groups, inference="robust", sample="all")
    assert math.isnan(robust["se_cluster"]) and robust["n_clusters"] is None
    assert "cluster" not in robust.methods() and "no regions" in robust.summary()
    metro = mp.local_multiplier(data, "2000-2010", definition=groups, regions=regions)
    every = mp.local_multiplier(data, "2000-2010", definition=groups, regions=regions, sample="all")
    assert metro.nobs == 115 and every.nobs == 120 and metro.sample == "metropolitan"
    assert "115 of 120 zones, 5 overseas zone(s) left out" in metro.summary()
    assert results.etable([metro, every]).count("metropolitan") == 1


def test_local_multiplier_errors_are_one_clear_line():
    data, regions, groups = _synthetic()
    call = dict(definition=groups, regions=regions)
    with pytest.raises(mp.MultiplierError, match="'hc1' is called 'robust'"):
        mp.local_multiplier(data, (2000, 2010), inference="hc1", **call)
    with pytest.raises(mp.MultiplierError, match="not a 'start-end' string"):
        mp.local_multiplier(data, "2000 to 2010", **call)
    with pytest.raises(mp.MultiplierError, match=r"year\(s\) \[2000, 2010\]; a quarterly table"):
        mp.local_multiplier(pd.concat([data, data]), (2000, 2010), **call)
    with pytest.raises(mp.MultiplierError, match="no region in regions"):
        mp.local_multiplier(data, (2000, 2010), definition=groups, regions=regions.iloc[3:])


def test_multiplier_result_interface_and_etable_formats():
    data, regions, groups = _synthetic()
    ols = mp.local_multiplier(data, (2000, 2010), definition=groups, regions=regions)
    iv = mp.local_multiplier(data, (2000, 2010), definition=groups, regions=regions, method="iv", inference="akm")
    assert ols["beta"] == ols.params["beta"] and ols.params["m"] == pytest.approx(ols.m)
    assert ols.bse["m"] == pytest.approx(ols["se"] * ols["ratio"])
    ci = ols.conf_int("cluster")
    assert ci.loc["m", "lower"] == pytest.approx(ols["m_low_cluster"]) and list(ci.columns) == ["lower", "upper"]
    assert ols.nobs == ols["n"] and "anderson_rubin" in iv.methods()
    assert iv.effective_f()["akm"] == iv["first_stage_f_akm"]
    with pytest.raises(results.ResultError, match="'region_cluster'.*'cluster'"):
        ols.conf_int("region_cluster")
    md = results.etable([ols, iv], param="m", scale=100, names=["OLS", "IV"])
    for row in ("95% CI: region-clustered, t(G-1)", "95% CI: AKM |", "95% CI: AKM0", "effective F (MOP), AKM"):
        assert row in md
    assert md.splitlines()[0] == "| | OLS | IV |"
    tex = iv.to_latex()
    assert tex.startswith(r"\begin{tabular}{lc}") and r"95\% CI: AKM0" in tex
    html = results.etable([ols], format="html")
    assert html.startswith('<table class="etable">') and "region-clustered, t(G-1)" in html
    with pytest.raises(results.ResultError, match="format must be one of"):
        results.etable([ols], format="docx")
    # pyfixest's spelling (etable(type="md" | "tex")) gives the same tables; its data-frame object is refused
    assert results.etable([ols, iv], param="m", scale=100, names=["OLS", "IV"], type="md") == md
    assert results.etable([ols], type="tex") == results.etable([ols], format="latex") == results.etable([ols], format="tex")
    with pytest.raises(results.ResultError, match=r"type='df' is a pyfixest object; etable here returns text"):
        results.etable([ols], type="df")
    with pytest.raises(results.ResultError, match="disagree"):
        results.etable([ols], format="html", type="tex")
    with pytest.raises(results.ResultError, match="list is not a result object"):
        results.etable([[ols]])


def test_one_meaning_per_inference_label():
    labels = results.INFERENCE_LABELS
    assert len(set(labels.values())) == len(labels)
    assert labels["cluster"] != labels["region_cluster"] and "t(G-1)" in labels["cluster"]
    assert set(ss.METHODS) <= set(labels) and set(mp.INFERENCE) <= set(labels)
    assert all(ss.LABELS[m] == labels[m] for m in ss.METHODS)


def test_published_multipliers_convert_and_say_how():
    refs = {"moretti_2010_multiplier": {"value": 160.0, "value_high": None, "period": "1980-2000",
                                        "geography": "United States (cities)"},
            "van_dijk_2017_multiplier": {"value": 160.0, "value_high": 170.0, "period": "1980-2000",
                                         "geography": "United States (cities)"},
            "malgouyres_2017_multiplier": {"value": 150.0, "value_high": None, "note": "e x N/M = 0.3 x 5 x 100"}}
    est = pd.DataFrame([{"label": "p", "window": "2007-2017", "geography": "ZE", "method": "OLS", "value": 88.0,
                         "ci_low": 49.0, "ci_high": 127.0, "interval": "cluster", "beta": 0.264, "ratio": 3.33}])
    t = mp.published_multipliers(refs, {"value": 134, "period": "2007-2023", "geography": "France",
                                        "attributed_to": "Karachanski (2025)"}, est)
    assert list(t["source"]) == ["published"] * 3 + ["cited", "this project"]
    vd = t.set_index("label").loc["van Dijk (2017)"]
    assert (vd["value"], vd["low"], vd["high"]) == (165.0, 160.0, 170.0) and "1.6 to 1.7" in vd["conversion"]
    assert "1.6 non-tradable jobs" in t.loc[0, "conversion"]
    assert t.loc[2, "conversion"] == "e x N/M = 0.3 x 5 x 100"
    assert t.loc[4, "interval"] == "region-clustered, t(G-1)" and "0.264 x S/E 3.33" in t.loc[4, "conversion"]
    with pytest.raises(mp.MultiplierError, match="no conversion known"):
        mp.published_multipliers({"unknown": {"value": 1}})


def test_forest_plot_draws_every_row():
    from analysis.report.charts.multiplier import plot_forest

    t = mp.published_multipliers({"frocrain_giraud_2017_multiplier": {"value": 64.0, "period": "2004-2013",
                                                                      "geography": "France"}},
                                 {"value": 134, "period": "2007-2023", "geography": "France", "attributed_to": "K"})
    fig = plot_forest(t, xlim=(0, 200))
    ax = fig.axes[0]
    assert len(ax.get_yticklabels()) == 2 and "2004-2013" in ax.get_yticklabels()[0].get_text()


def test_shock_level_se_is_akm_with_complete_shares_and_no_controls():
    y, x, g, W, C, e = _design(incomplete=False, seed=11)
    r = shock_level_iv(y, x, g, W, weights=e, akm=True)
    assert r.se == pytest.approx(r.akm.se["akm"], rel=1e-8)
